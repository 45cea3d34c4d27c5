"""DataLoader: batch shapes and counts, every sample once per epoch, reproducible shuffles,
dtypes, and the errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from nn.data import (
    BatchSampler, DataLoader, Dataset, IterableDataset, RandomSampler, Subset, TensorDataset,
    default_collate,
)
from torch_helpers import needs_torch, torch


def _rows(n: int, width: int = 3) -> np.ndarray:
    """Row i holds i, i + 0.25, ...: every sample is recognisable from its first column."""
    return (np.arange(n)[:, None] + 0.25 * np.arange(width)).astype(np.float32)


def _epoch(loader: DataLoader) -> list[int]:
    """The sample ids (first column) in the order one epoch yields them."""
    return [int(v) for xb, _ in loader for v in xb.data[:, 0]]


# -- batches ------------------------------------------------------------------------------------

def test_batches_in_order_with_a_smaller_last_batch():
    X, y = _rows(10), np.arange(10) * 10
    loader = DataLoader(X, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [xb.shape for xb, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert [yb.tolist() for _, yb in batches] == [[0, 10, 20, 30], [40, 50, 60, 70], [80, 90]]
    assert np.array_equal(batches[2][0].data, X[8:])


def test_drop_last_skips_the_short_batch():
    loader = DataLoader(_rows(10), np.arange(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [xb.shape[0] for xb, _ in loader] == [4, 4]
    exact = DataLoader(_rows(8), batch_size=4, drop_last=True)     # nothing to drop
    assert len(exact) == 2 and [xb.shape[0] for xb in exact] == [4, 4]


def test_without_labels_it_yields_tensors():
    batches = list(DataLoader(_rows(5), batch_size=2))
    assert all(isinstance(xb, Tensor) for xb in batches)
    assert [xb.shape for xb in batches] == [(2, 3), (2, 3), (1, 3)]


@pytest.mark.parametrize("shuffle", [False, True])
def test_changing_a_batch_in_place_leaves_the_dataset_alone(shuffle):
    """Unshuffled batches were views: `xb.data /= 255` rescaled the dataset itself, so each
    epoch trained on different numbers."""
    X, y = _rows(6), np.arange(6)
    X_before, y_before = X.copy(), y.copy()
    loader = DataLoader(X, y, batch_size=4, shuffle=shuffle, seed=0 if shuffle else None)
    for _ in range(2):
        for xb, yb in loader:
            xb.data /= 255
            yb -= 1
            assert xb.data.flags.c_contiguous
    assert np.array_equal(X, X_before) and np.array_equal(y, y_before)
    for xb in DataLoader(Tensor(X), batch_size=4, shuffle=shuffle):       # a Tensor dataset too
        xb.data[:] = 0
    assert np.array_equal(X, X_before)


@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_every_sample_exactly_once_per_epoch(n, batch_size, shuffle, drop_last, seed):
    assume(not (drop_last and batch_size > n))          # an error, tested below
    X, y = _rows(n), np.arange(n) * 2 + 1
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                        seed=seed if shuffle else None)
    for _ in range(2):                                  # a second epoch is as complete
        batches = list(loader)
        assert len(batches) == len(loader)
        assert all(xb.shape[0] == batch_size for xb, _ in batches[:-1])
        assert all(np.array_equal(yb, xb.data[:, 0].astype(int) * 2 + 1) for xb, yb in batches)
        ids = [int(v) for xb, _ in batches for v in xb.data[:, 0]]
        if drop_last:
            assert len(ids) == n - n % batch_size and len(set(ids)) == len(ids)
        else:
            assert sorted(ids) == list(range(n))
        if not shuffle:
            assert ids == list(range(len(ids)))


# -- shuffling ----------------------------------------------------------------------------------

def test_each_epoch_reshuffles_and_a_seed_repeats_the_sequence():
    X, y = _rows(50), np.arange(50)
    a = DataLoader(X, y, batch_size=8, shuffle=True, seed=7)
    b = DataLoader(X, y, batch_size=8, shuffle=True, seed=7)
    epochs_a = [_epoch(a) for _ in range(3)]
    epochs_b = [_epoch(b) for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert epochs_a[0] != list(range(50))
    assert _epoch(DataLoader(X, y, batch_size=8, shuffle=True, seed=8)) != epochs_a[0]


def test_a_generator_works_as_the_seed():
    X = _rows(30)
    a = DataLoader(X, np.arange(30), shuffle=True, seed=np.random.default_rng(3))
    b = DataLoader(X, np.arange(30), shuffle=True, seed=np.random.default_rng(3))
    assert _epoch(a) == _epoch(b)


def test_pytorchs_generator_keyword_takes_autograd_and_numpy_generators():
    """DataLoader(..., generator=g) as in PyTorch: g (used as it is) drives the shuffles."""
    X, y = _rows(30), np.arange(30)
    a = DataLoader(X, y, shuffle=True, generator=autograd.Generator().manual_seed(5))
    b = DataLoader(X, y, shuffle=True, generator=np.random.default_rng(5))
    first = _epoch(a)
    assert first == _epoch(b) != list(range(30))
    autograd.manual_seed(0)                             # the shared generator plays no part
    assert _epoch(a) == _epoch(b) != first
    assert set(a.state_dict()) == {"rng"}               # it is the loader's own, for resuming


def test_a_loader_with_a_generator_resumes_from_its_state():
    """state_dict holds the generator's state (as for seed=); a state without it is refused
    naming the generator, not only a seed."""
    X, y = _rows(30), np.arange(30)
    loader = DataLoader(X, y, shuffle=True, generator=autograd.Generator().manual_seed(5))
    state = loader.state_dict()
    first = _epoch(loader)
    loader.load_state_dict(state)
    assert _epoch(loader) == first
    with pytest.raises(ValueError, match=r"expected the keys \['rng'\] \(a DataLoader with a "
                                         r"seed or generator\), got \[\]"):
        loader.load_state_dict({})


def test_a_generator_not_numpys_or_with_a_seed_is_refused():
    with pytest.raises(TypeError, match=r"DataLoader: generator must be a numpy Generator, "
                                        r"such as autograd.Generator\(\).manual_seed\(0\), "
                                        r"or None for the shared one; got int"):
        DataLoader(np.zeros((5, 2)), shuffle=True, generator=7)
    with pytest.raises(TypeError, match=r"DataLoader: got seed=1 and a generator; pass one"):
        DataLoader(np.zeros((5, 2)), shuffle=True, seed=1, generator=autograd.Generator())


def test_without_a_seed_manual_seed_makes_shuffles_reproducible():
    loader = DataLoader(_rows(40), np.arange(40), batch_size=16, shuffle=True)
    autograd.manual_seed(123)
    first = [_epoch(loader), _epoch(loader)]
    autograd.manual_seed(123)                           # reseeding after construction counts
    assert [_epoch(loader), _epoch(loader)] == first
    assert first[0] != first[1]


# -- dtypes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8])
def test_x_keeps_its_dtype(dtype):
    xb, _ = next(iter(DataLoader(np.ones((4, 2), dtype=dtype), np.zeros(4), batch_size=2)))
    assert xb.dtype == dtype
    assert not xb.requires_grad


def test_lists_follow_tensor_rules_and_labels_stay_numpy(restore_default_dtype):
    xb, yb = next(iter(DataLoader([[0.5, 1.0], [2.0, 3.0]], [1, 0])))
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert isinstance(yb, np.ndarray)
    autograd.set_default_dtype(np.float64)
    xb, yb = next(iter(DataLoader([[0.5, 1.0]], [2.5])))
    assert xb.dtype == np.float64 and isinstance(yb, np.ndarray) and yb.tolist() == [2.5]


def test_tensor_inputs_are_unwrapped():
    X = Tensor(_rows(4), requires_grad=True)
    y = Tensor(np.array([0.5, 1.5, 2.5, 3.5]))
    xb, yb = next(iter(DataLoader(X, y, batch_size=4)))
    assert isinstance(yb, Tensor) and yb.tolist() == [0.5, 1.5, 2.5, 3.5]
    assert np.array_equal(xb.data, X.data) and xb is not X
    assert not xb.requires_grad and xb.is_leaf     # batches are inputs, not parameters
    assert not yb.requires_grad and yb.is_leaf


def test_labels_come_back_as_they_were_given():
    """Labels given as a Tensor came back as ndarrays, so PyTorch's `yb.size(0)` failed with
    "'int' object is not callable"; labels given as an ndarray stay ndarrays."""
    X = _rows(5)
    for make in (Tensor, lambda a: [Tensor(v) for v in a]):       # a Tensor, or one per sample
        data = TensorDataset(Tensor(X), make(np.arange(5)))
        for loader in (DataLoader(data, batch_size=2),
                       DataLoader(Tensor(X), make(np.arange(5)), batch_size=2, shuffle=True,
                                  seed=0)):
            batches = list(loader)
            assert [yb.size(0) for _, yb in batches] == [2, 2, 1]
            assert all(isinstance(yb, Tensor) and yb.dtype == np.int64 and not yb.requires_grad
                       for _, yb in batches)
            assert sorted(v for _, yb in batches for v in yb.tolist()) == [0, 1, 2, 3, 4]
    xb, yb = next(iter(DataLoader(Tensor(X), np.arange(5), batch_size=2)))
    assert isinstance(xb, Tensor) and isinstance(yb, np.ndarray) and len(yb) == 2
    xb, yb = next(iter(DataLoader(X, Tensor(np.array([0.5, 1.5, 2.5, 3.5, 4.5])))))
    assert isinstance(yb, Tensor) and yb.dtype == np.float64     # floats keep their dtype too


def test_a_tensor_label_batch_owns_its_numbers():
    y = Tensor(np.arange(4))
    loader = DataLoader(_rows(4), y, batch_size=2)
    _, yb = next(iter(loader))
    yb.data += 10
    assert [v for _, b in loader for v in b.tolist()] == [0, 1, 2, 3] and y.tolist() == [0, 1, 2, 3]


def test_a_dataset_of_tensors_gives_samples_as_tensors():
    X, y = _rows(3), np.arange(3)
    x1, y1 = TensorDataset(Tensor(X), Tensor(y))[1]
    assert isinstance(x1, Tensor) and isinstance(y1, Tensor) and not x1.requires_grad
    assert x1.tolist() == X[1].tolist() and y1.item() == 1
    x1, y1 = TensorDataset(X, Tensor(y))[1]                  # each as it was given
    assert isinstance(x1, np.ndarray) and isinstance(y1, Tensor)
    data = TensorDataset(Tensor(X))
    x1, = data[1]
    x1.data[0] = 99.0                                         # a copy: the dataset stays
    assert data[1][0].tolist() == X[1].tolist() and data.arrays[0][1, 0] != 99.0
    assert DataLoader(Tensor(X), Tensor(y)).dataset[1][0].tolist() == X[1].tolist()
    assert isinstance(DataLoader(Tensor(X), Tensor(y)).dataset[1][1], Tensor)
    assert isinstance(DataLoader(X, y).dataset[1][1], np.integer)


def test_samples_as_lists_of_tensors_are_stacked():
    """Labels as a list of 0-d Tensors failed in numpy's words (float ones as "must be
    rectangular"); PyTorch's default collate stacks them."""
    X = [Tensor([1.0, 2.0]), Tensor([3.0, 4.0], requires_grad=True), Tensor([5.0, 6.0])]
    for y, expected in (([Tensor(1), Tensor(0), Tensor(1)], [1, 0, 1]),
                        ((Tensor(0.5), Tensor(1.5), Tensor(2.5)), [0.5, 1.5, 2.5])):
        xb, yb = next(iter(DataLoader(X, y, batch_size=3)))
        assert xb.data.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
        assert xb.dtype == np.float32 and not xb.requires_grad
        assert isinstance(yb, Tensor) and yb.tolist() == expected     # stacked, as PyTorch
    with pytest.raises(ValueError, match="DataLoader: X must be rectangular"):
        DataLoader([Tensor([1.0, 2.0]), Tensor([3.0])])


def test_a_batch_feeds_a_gradient_step():
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    W = Tensor(np.array([[1.0], [-2.0]]), requires_grad=True)
    for xb, yb in DataLoader(X, np.array([1.0, 0.0, 2.0]), batch_size=2):
        ((xb @ W).reshape(-1) - yb).sum().backward()
    # d/dW of sum(x @ W) over all rows is the column sums of X
    assert np.allclose(W.grad, X.sum(axis=0, keepdims=True).T)


# -- errors -------------------------------------------------------------------------------------

def test_length_mismatch_names_both_counts():
    with pytest.raises(ValueError, match="X has 5 samples but y has 4"):
        DataLoader(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="X has 5 samples but y has a 0-d array"):
        DataLoader(np.zeros((5, 2)), np.float64(1.0))


@pytest.mark.parametrize("bad", [0, -3])
def test_batch_size_below_one(bad):
    with pytest.raises(ValueError, match=f"batch_size must be at least 1, got {bad}"):
        DataLoader(np.zeros((5, 2)), batch_size=bad)


@pytest.mark.parametrize("bad", [2.5, True, "8"])          # None: samples one at a time
def test_batch_size_must_be_an_int(bad):
    with pytest.raises(TypeError, match="batch_size must be an int"):
        DataLoader(np.zeros((5, 2)), batch_size=bad)


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (1.5, TypeError), ("7", TypeError)])
def test_a_bad_seed_names_the_loader(bad, error):
    """numpy's own words ("expected non-negative integer") did not say who was seeded."""
    with pytest.raises(error, match=rf"DataLoader: seed must be an int >= 0 or a numpy "
                                    rf"Generator, got {bad!r}"):
        DataLoader(np.zeros((5, 2)), shuffle=True, seed=bad)


def test_empty_and_shapeless_x():
    with pytest.raises(ValueError, match=r"X is empty \(shape \(0, 3\)\)"):
        DataLoader(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="X must have a sample axis"):
        DataLoader(np.float32(1.0))


def test_non_numeric_and_ragged_x():
    with pytest.raises(TypeError, match="X must hold numbers, got dtype <U1"):
        DataLoader(np.array(["a", "b"]))        # (a list of strings is a dataset of texts)
    with pytest.raises(ValueError, match="X must be rectangular"):
        DataLoader([[1.0, 2.0], [3.0]])


def _csv_table(*columns: str) -> np.ndarray:
    """What np.genfromtxt("data.csv", delimiter=",", names=True) gives for a CSV with a header
    row: one record per row, its columns named."""
    return np.zeros(4, dtype=[(c, np.float64) for c in columns])


def test_a_table_of_named_columns_says_how_to_make_it_numbers():
    """np.genfromtxt(..., names=True), numpy's way to read a CSV by its header, gives an array
    of named columns; the error showed only its dtype, {'names': [...], 'formats': [...],
    'offsets': [...], 'itemsize': 48}, and nothing of what to do."""
    table = _csv_table("rooms", "age", "price")
    X, y = table[["rooms", "age"]], table[["price"]]
    with pytest.raises(TypeError, match=r"^DataLoader: X must hold numbers, got a table of "
                                        r"named columns \('rooms', 'age'\), as "
                                        r"np.genfromtxt\(..., names=True\) gives; make it one "
                                        r"array: np.column_stack\(\[X\[c\] for c in "
                                        r"X.dtype.names\]\)$"):
        DataLoader(X, table["price"])
    with pytest.raises(TypeError, match=r"^DataLoader: y must hold numbers \(class indices or "
                                        r"targets\), got a table of named columns "
                                        r"\('price',\), .*; take the column itself: "
                                        r"y\['price'\]$"):
        DataLoader(np.zeros((4, 2)), y)
    with pytest.raises(TypeError, match=r"^TensorDataset: X must hold numbers, got a table"):
        TensorDataset(X, np.zeros(4))
    many = _csv_table(*"abcdefgh")
    with pytest.raises(TypeError, match=r"named columns \('a', 'b', 'c', 'd', 'e', 'f', ... 8 "
                                        r"in all\)"):
        DataLoader(many)


@pytest.mark.parametrize("option", ["shuffle", "drop_last"])
def test_shuffle_and_drop_last_are_yes_or_no(option):
    """shuffle="False" shuffled (bool() of a non-empty string is True)."""
    for bad in ("False", "no", 2, 0.5):
        with pytest.raises(TypeError, match=f"DataLoader: {option} must be True or False, "
                                            f"got {bad!r}"):
            DataLoader(np.zeros((5, 2)), batch_size=2, **{option: bad})
    for no in (None, False, np.False_, 0):
        assert getattr(DataLoader(np.zeros((5, 2)), **{option: no}), option) is False
    assert getattr(DataLoader(np.zeros((5, 2)), batch_size=2, **{option: np.True_}), option) \
        is True


def test_an_x_y_pair_as_one_argument_gets_told_to_pass_x_and_y_apart():
    with pytest.raises(ValueError, match=r"DataLoader: X must be rectangular .*; for samples of "
                                         r"several parts, give each as a tuple, \(x, y\), or "
                                         r"pass X and y as two arguments: "
                                         r"DataLoader\(X, y, batch_size=...\)"):
        DataLoader((_rows(4), np.arange(4)), batch_size=2)


def test_a_list_of_x_y_tuples_is_batched_as_pytorch_batches_it():
    # it was refused, and (x, y) tuples of two numbers became one (N, 2) X: PyTorch batches
    # each part of the samples on its own
    X, y = _rows(5), np.arange(5)
    (xb, yb), *_ = DataLoader(list(zip(X, y)), batch_size=4)
    assert np.array_equal(xb.data, X[:4]) and xb.dtype == np.float32
    assert yb.tolist() == [0, 1, 2, 3] and yb.dtype == np.int64
    (first, second), *_ = DataLoader([(0.5, 1), (0.25, 0)], batch_size=2)
    assert first.tolist() == [0.5, 0.25] and second.tolist() == [1, 0]


def test_drop_last_that_leaves_nothing():
    with pytest.raises(ValueError, match="batch_size=8 and only 5 samples leaves no batch"):
        DataLoader(np.zeros((5, 2)), batch_size=8, drop_last=True)


def test_repr_says_what_an_epoch_is():
    text = repr(DataLoader(np.zeros((10, 2)), np.zeros(10), batch_size=4, shuffle=True))
    assert text == ("DataLoader(10 samples, with labels, batch_size=4, shuffle=True, "
                    "drop_last=False: 3 batches)")
    assert repr(DataLoader(np.zeros((10, 2)), batch_size=32)).endswith(": 1 batch)")


@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_infinity_is_refused_naming_the_array_and_sample(where, bad):
    X, y = np.zeros((6, 2)), np.zeros(6)
    (X if where == "X" else y)[4] = bad
    what = "NaN" if np.isnan(bad) else "infinity"
    with pytest.raises(ValueError, match=f"DataLoader: {where} contains {what} .* in sample "
                                         f"4\\)"):
        DataLoader(X, y)


def test_labels_must_be_numbers():
    with pytest.raises(TypeError, match=r"DataLoader: y must hold numbers .*got dtype <U3; "
                                        r"for class names, number them first: classes, y = "
                                        r"np.unique\(y, return_inverse=True\)"):
        DataLoader(np.zeros((2, 2)), np.array(["cat", "dog"]))


def test_a_tensor_dataset_is_pytorchs_form_of_x_and_y():
    X, y = _rows(5), np.arange(5)
    data = TensorDataset(X, y)
    assert len(data) == 5 and repr(data) == "TensorDataset(5 samples: (5, 3), (5,))"
    np.testing.assert_array_equal(data[3][0], X[3])
    assert data[3][1] == 3
    ours = [(xb.data.tolist(), yb.tolist()) for xb, yb in DataLoader(X, y, batch_size=2)]
    assert [(xb.data.tolist(), yb.tolist()) for xb, yb in DataLoader(data, batch_size=2)] == ours


def test_a_loader_over_one_array_of_a_tensor_dataset_yields_one_element_batches():
    """It yielded bare Tensors, though `TensorDataset(X)[0]` is a 1-tuple: `batch[0]` was the
    first sample, shape (3,), and `for (xb,) in loader` failed ("too many values to unpack").
    PyTorch's default collate gives [xb]; DataLoader(X), glassgrad's own form, gives xb."""
    X = _rows(5)
    loader = DataLoader(TensorDataset(X), batch_size=4)
    batches = list(loader)
    assert [len(batch) for batch in batches] == [1, 1]
    assert [batch[0].shape for batch in batches] == [(4, 3), (1, 3)]
    assert all(isinstance(batch[0], Tensor) for batch in batches)
    assert [xb.data.tolist() for (xb,) in loader] == [X[:4].tolist(), X[4:].tolist()]
    assert [xb.shape for xb in DataLoader(X, batch_size=4)] == [(4, 3), (1, 3)]   # unchanged


@needs_torch
@pytest.mark.parametrize("count", [1, 2, 3])
def test_batches_of_a_tensor_dataset_have_pytorchs_structure(count):
    arrays = [_rows(10) * (i + 1) for i in range(count)]
    ours = list(DataLoader(TensorDataset(*map(Tensor, arrays)), batch_size=4))
    theirs = list(torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(*map(torch.from_numpy, arrays)), batch_size=4))
    assert [len(batch) for batch in ours] == [len(batch) for batch in theirs] == [count] * 3
    for our, their in zip(ours, theirs):
        for a, b in zip(our, their):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_tensor_dataset_takes_any_number_of_arrays_and_batches_them_all():
    """Three arrays were refused ("takes the features X and optionally the labels y");
    PyTorch's takes any number of equal length (word2vec: centre, context, negatives)."""
    center, context = np.arange(7), np.arange(7) * 10
    negatives = np.arange(14).reshape(7, 2)
    data = TensorDataset(center, Tensor(context), negatives)
    assert len(data) == 7 and repr(data) == "TensorDataset(7 samples: (7,), (7,), (7, 2))"
    c, o, n = data[2]
    assert (int(c), o.item(), n.tolist()) == (2, 20, [4, 5])
    loader = DataLoader(data, batch_size=3, shuffle=True, seed=0)
    assert repr(loader).startswith("DataLoader(7 samples, 3 arrays each, batch_size=3")
    seen = []
    for cb, ob, nb in loader:
        assert isinstance(cb, Tensor) and isinstance(ob, Tensor) and isinstance(nb, np.ndarray)
        assert ob.tolist() == (cb.data * 10).tolist()               # rows stay together
        assert nb.tolist() == negatives[cb.data].tolist()
        seen += cb.tolist()
    assert sorted(seen) == list(range(7))
    assert [len(batch) for batch in DataLoader(TensorDataset(*[center] * 5), batch_size=4)] == [5, 5]


def test_every_loader_has_its_dataset_for_counting_samples():
    loader = DataLoader(_rows(7), np.arange(7), batch_size=3)
    assert len(loader.dataset) == 7 and len(loader) == 3    # samples, batches
    assert len(DataLoader(_rows(4), batch_size=3).dataset[0]) == 1      # (x,): no labels


def test_tensor_dataset_errors():
    with pytest.raises(TypeError, match=r"TensorDataset: needs at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match=r"TensorDataset: every array must hold the same number "
                                         r"of samples \(along its first axis\), got 3, 3, 2$"):
        TensorDataset(_rows(3), np.arange(3), np.arange(2))
    with pytest.raises(TypeError, match=r"TensorDataset: arrays\[2\] must hold numbers, got "
                                        r"dtype <U1"):
        TensorDataset(_rows(3), np.arange(3), np.array(list("abc")))
    with pytest.raises(ValueError, match=r"TensorDataset: arrays\[1\] contains NaN"):
        TensorDataset(_rows(3), np.array([0.0, np.nan, 1.0]), np.arange(3))
    with pytest.raises(ValueError, match="TensorDataset: X has 3 samples but y has 2 labels"):
        TensorDataset(_rows(3), np.arange(2))
    with pytest.raises(TypeError, match="DataLoader: got a TensorDataset and y"):
        DataLoader(TensorDataset(_rows(3)), np.arange(3))


def test_a_seed_without_shuffling_is_refused_as_kfold_refuses_it():
    """DataLoader(..., shuffle=False, seed=0) was accepted, the seed doing nothing, while
    KFold(shuffle=False, seed=0) refused it."""
    X, y = _rows(10), np.arange(10)
    for seed, shown in ((0, "0"), (np.random.default_rng(0), "a Generator")):
        with pytest.raises(ValueError, match=rf"^DataLoader: seed={shown} has no effect with "
                                             rf"shuffle=False; pass shuffle=True, or leave "
                                             rf"seed=None$"):
            DataLoader(X, y, shuffle=False, seed=seed)
    with pytest.raises(ValueError, match="seed=3 has no effect"):
        DataLoader(X, y, seed=3)                        # shuffle=False is the default


def test_an_empty_dataset_is_named_as_it_was_given():
    with pytest.raises(ValueError, match=r"^TensorDataset: the first array is empty \(shape "
                                         r"\(0, 3\)\); there is nothing to batch$"):
        TensorDataset(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"^DataLoader: X is empty"):
        DataLoader(np.zeros((0, 3)))


# -- a dataset of samples: a user's Dataset, batched by default_collate or a collate_fn -------

class _Pairs(Dataset):
    """A user's own dataset: sample i is (row i of _rows, label i % 3)."""

    def __init__(self, n: int = 10) -> None:
        self.X, self.y = _rows(n), np.arange(n) % 3

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int) -> tuple:
        return self.X[i], int(self.y[i])


def test_a_users_dataset_is_batched_sample_by_sample():
    """It was read as one array X: refused as ragged, or, for samples of two numbers, silently
    made into an (N, 2) X."""
    data = _Pairs()
    loader = DataLoader(data, batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [(xb.shape, yb.shape) for xb, yb in batches] == [((4, 3), (4,))] * 2 + [((2, 3), (2,))]
    xb, yb = batches[0]
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor) and not xb.requires_grad
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([xb.data for xb, _ in batches]), data.X)
    assert [v for _, yb in DataLoader(data, batch_size=4) for v in yb.tolist()] == \
        data.y.tolist()                                     # a second pass gives the same


def test_any_object_with_len_and_getitem_is_a_dataset():
    class Plain:                                            # no Dataset base
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"x": np.full(2, float(i)), "name": f"s{i}"}
    batch = next(iter(DataLoader(Plain(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["x"].dtype == np.float64
    assert batch["name"] == ["s0", "s1", "s2"]


def test_a_users_dataset_shuffles_reproducibly_and_covers_every_sample():
    def epochs(loader):
        return [[int(v) for xb, _ in loader for v in xb.data[:, 0]] for _ in range(2)]
    first = epochs(DataLoader(_Pairs(20), batch_size=6, shuffle=True, seed=5))
    assert first == epochs(DataLoader(_Pairs(20), batch_size=6, shuffle=True, seed=5))
    assert first[0] != first[1] and sorted(first[0]) == sorted(first[1]) == list(range(20))
    loader = DataLoader(_Pairs(20), batch_size=6, shuffle=True, drop_last=True,
                        generator=autograd.Generator().manual_seed(1))
    assert len(loader) == 3 and all(len(yb) == 6 for _, yb in loader)


def test_a_collate_fn_gets_the_list_of_samples():
    loader = DataLoader(_Pairs(5), batch_size=2, collate_fn=lambda samples: samples)
    first = next(iter(loader))
    assert isinstance(first, list) and len(first) == 2 and first[1][1] == 1
    # over arrays, a sample is what the TensorDataset gives, or x alone for DataLoader(X)
    assert next(iter(DataLoader(_rows(4), batch_size=2, collate_fn=len))) == 2
    xs = next(iter(DataLoader(_rows(4), batch_size=2, collate_fn=list)))
    assert [x.tolist() for x in xs] == _rows(4)[:2].tolist()


def test_default_collate_batches_as_pytorchs_does():
    """PyTorch 2.13: numbers and arrays become one tensor (ints int64, bools bool, arrays
    their dtype), tuples, lists, dicts and namedtuples are batched entry by entry, strings
    stay a list. (Python floats take glassgrad's default dtype, float32; PyTorch's float64.)"""
    from collections import namedtuple
    Point = namedtuple("Point", "x y")
    batch = default_collate([(1, 0.5, True, np.float64(2.0), Tensor(np.ones(2, np.float32)),
                              Point(1, 2), [3, "a"])] * 2)
    assert isinstance(batch, list) and len(batch) == 7          # PyTorch's list
    assert [b.dtype for b in batch[:5]] == [np.int64, np.float32, np.bool_, np.float64,
                                            np.float32]
    assert batch[4].shape == (2, 2)
    assert isinstance(batch[5], Point) and batch[5].x.tolist() == [1, 1]
    assert isinstance(batch[6], list) and batch[6][0].tolist() == [3, 3]
    assert batch[6][1] == ("a", "a")


def test_default_collate_gives_pytorchs_lists_and_tuples():
    """PyTorch 2.13's types, recorded by hand (torch.utils.data.default_collate): tuple samples
    gave a tuple (PyTorch: a list), and strings inside a tuple a list (PyTorch: a tuple, as
    the strings of one entry were gathered)."""
    strings = default_collate(["a", "b"])
    assert type(strings) is list and strings == ["a", "b"]
    x, names = default_collate([(np.array([1.0, 2.0]), "a"), (np.array([3.0, 4.0]), "b")])
    assert type(default_collate([(np.zeros(2), "a")] * 2)) is list
    assert isinstance(x, Tensor) and x.shape == (2, 2) and names == ("a", "b")
    assert type(default_collate([[np.zeros(2), "a"]] * 2)[1]) is tuple
    batch = default_collate([{"x": np.array([1.0]), "s": "a", "t": (1, "q")},
                             {"x": np.array([2.0]), "s": "b", "t": (2, "r")}])
    assert type(batch) is dict and type(batch["s"]) is list and batch["s"] == ["a", "b"]
    assert type(batch["t"]) is list and batch["t"][0].tolist() == [1, 2]
    assert batch["t"][1] == ("q", "r")
    assert type(default_collate([(1, 2), (3, 4)])) is list


@pytest.mark.parametrize("samples, error, message", [
    ([(np.zeros(2), 0), (np.zeros(3), 1)], ValueError,
     r"default_collate: sample 0's \[0\] has shape \(2,\) but sample 1's has \(3,\)"),
    ([(np.zeros(2), 0), (np.zeros(2),)], ValueError,
     r"default_collate: sample 0's has 2 entries but sample 1's has 1"),
    ([{"x": 1}, {"y": 1}], ValueError,
     r"default_collate: sample 0's has the keys \['x'\] but sample 1's has \['y'\]"),
    ([(1, None), (2, None)], TypeError,
     r"default_collate: cannot batch \[1\] of type NoneType; a sample may hold Tensors"),
    ([(1, 2), (1, "a")], TypeError,
     r"default_collate: sample 0's \[1\] is a int but sample 1's is a str"),
    ([{"x": np.array(["a"])}] * 2, TypeError,
     r"default_collate: cannot batch \['x'\] of dtype <U1; it must hold numbers"),
    ([], ValueError, r"default_collate: got an empty batch"),
])
def test_default_collate_names_the_entry_that_cannot_be_batched(samples, error, message):
    with pytest.raises(error, match=message):
        default_collate(samples)


def test_a_list_given_with_a_collate_fn_gives_it_the_items_as_they_are():
    """PyTorch's NLP scripts: DataLoader(token_lists, collate_fn=pad) over lists of different
    lengths, or sentences tokenised in the collate_fn. The list was made one array first (a
    ValueError for ragged lists, "must hold numbers" for strings) and ints came as np.int64."""
    def pad(batch):
        width = max(len(ids) for ids in batch)
        return Tensor(np.array([ids + [0] * (width - len(ids)) for ids in batch]))
    ragged = [[5, 6, 7], [8], [9, 10]]
    assert [b.tolist() for b in DataLoader(ragged, batch_size=2, collate_fn=pad)] == \
        [[[5, 6, 7], [8, 0, 0]], [[9, 10]]]
    seen = next(iter(DataLoader([1, 2, 3], batch_size=3, collate_fn=lambda b: b)))
    assert seen == [1, 2, 3] and all(type(i) is int for i in seen)
    words = ["a cat", "the dog", "hi"]
    lengths = DataLoader(words, batch_size=2, collate_fn=lambda b: [len(w.split()) for w in b])
    assert list(lengths) == [[2, 2], [1]] and len(lengths) == 2
    # without one, strings are collated as PyTorch's default collate does: a list of them
    assert [b for b in DataLoader(words, batch_size=2)] == [["a cat", "the dog"], ["hi"]]
    shuffled = DataLoader(words, batch_size=3, shuffle=True, seed=0, collate_fn=sorted)
    assert next(iter(shuffled)) == sorted(words)
    # a list of numbers without a collate_fn is still X, cut into Tensor batches
    assert next(iter(DataLoader([[1.0, 2.0], [3.0, 4.0]], batch_size=2))).shape == (2, 2)


def test_sequences_of_different_lengths_get_the_collate_fn_that_pads_them():
    """Samples that differ only in their first axis are sequences of different lengths: the
    error says how to batch them (other shapes keep the plain message)."""
    words = [(Tensor(np.array([3, 1, 4])), 0), (Tensor(np.array([1, 5])), 1)]
    with pytest.raises(ValueError, match=r"DataLoader: sample 0's \[0\] has shape \(3,\) but "
                                         r"sample 1's has \(2,\); .*; sequences of different "
                                         r"lengths: pad them in a collate_fn, with "
                                         r"nn.utils.rnn.pad_sequence"):
        next(iter(DataLoader(words, batch_size=2)))
    with pytest.raises(ValueError, match=r"sample 1's has \(2, 4\); samples stacked into one "
                                         r"batch must have the same shape$"):
        default_collate([np.zeros((2, 3)), np.zeros((2, 4))])


def test_a_sample_that_cannot_be_batched_is_named_with_its_dataset_indices():
    class Ragged(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.zeros(2 if i < 3 else 5), 0
    loader = DataLoader(Ragged(), batch_size=2)
    next(iter(loader))
    with pytest.raises(ValueError, match=r"DataLoader: sample 0's \[0\] has shape \(2,\) but "
                                         r"sample 1's has \(5,\); .* \(the batch of dataset "
                                         r"indices \[2, 3\]\)"):
        list(loader)


def test_a_dataset_with_y_or_without_samples_is_refused():
    with pytest.raises(TypeError, match=r"DataLoader: got a dataset and y=an array of shape "
                                        r"\(10,\); the dataset's samples hold the labels "
                                        r"already"):
        DataLoader(_Pairs(), np.zeros(10))
    assert len(DataLoader(_Pairs(), 4)) == 3            # PyTorch's batch_size, positionally
    with pytest.raises(ValueError, match=r"DataLoader: the dataset is empty"):
        DataLoader(Subset(_Pairs(), []))

    class NoLength(Dataset):
        def __getitem__(self, i):
            return i
    with pytest.raises(TypeError, match=r"DataLoader: a dataset needs len\(\) and dataset\[i\], "
                                        r"got NoLength, which has no len\(\)"):
        DataLoader(NoLength())


def test_num_workers_and_pin_memory_give_the_same_batches():
    """A ported script's num_workers=2 makes the batches in worker processes: the same
    batches, in the same order (tests/test_data_workers.py tests the workers)."""
    plain = [yb.tolist() for _, yb in DataLoader(_Pairs(), batch_size=4)]
    ported = DataLoader(_Pairs(), batch_size=4, num_workers=2, pin_memory=True)
    assert [yb.tolist() for _, yb in ported] == plain
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match=r"DataLoader: num_workers must be an int >= 0"):
            DataLoader(_Pairs(), num_workers=bad)


def test_a_tensor_dataset_gives_its_arrays_as_tensors_as_pytorchs_tensors_attribute():
    X, y = _rows(3), np.arange(3)
    data = TensorDataset(X, y)
    assert len(data.tensors) == 2 and all(isinstance(t, Tensor) for t in data.tensors)
    np.testing.assert_array_equal(data.tensors[0].data, X)


@pytest.mark.parametrize("tensors", [False, True])
def test_a_subset_of_a_tensor_dataset_batches_as_its_samples_collate(tensors):
    """random_split's parts of a TensorDataset are gathered a batch at a time (collating the
    samples one by one took ten times as long as the arrays' own loader); the batches must
    be what default_collate makes of those samples."""
    X, y = _rows(30), np.arange(30)
    data = TensorDataset(*((Tensor(X), Tensor(y)) if tensors else (X, y)))
    part = Subset(Subset(data, list(range(10, 30))), [5, -1, 7, 0, 3])
    for batch, start in zip(DataLoader(part, batch_size=3), (0, 3)):
        expected = default_collate([part[i] for i in range(start, min(start + 3, 5))])
        assert type(batch) is type(expected) is list and len(batch) == 2
        for ours, theirs in zip(batch, expected):
            assert isinstance(ours, Tensor) and ours.dtype == theirs.dtype
            np.testing.assert_array_equal(ours.data, theirs.data)
    assert next(iter(DataLoader(part, batch_size=2)))[1].tolist() == [15, 29]


def test_an_iterator_is_refused_with_what_to_pass_instead():
    """DataLoader(zip(X, y)) said "X must hold numbers, got dtype object"."""
    X, y = _rows(4), np.arange(4)
    with pytest.raises(TypeError, match=r"DataLoader: got a zip, which can only be iterated; a "
                                        r"dataset needs len\(\) and dataset\[i\] .*pass "
                                        r"list\(...\) of it"):
        DataLoader(zip(X, y))
    assert len(DataLoader(list(zip(X, y)), batch_size=2)) == 2


def test_an_array_like_with_len_and_getitem_stays_an_array():
    """Objects with __array__ (a pandas DataFrame, whose [0] is a column) are X, not datasets
    of samples."""
    class Frame:
        def __init__(self, values):
            self.values = values

        def __array__(self, dtype=None, copy=None):
            return self.values

        def __len__(self):
            return len(self.values)

        def __getitem__(self, column):
            raise KeyError(column)
    xb = next(iter(DataLoader(Frame(_rows(4)), batch_size=4)))
    np.testing.assert_array_equal(xb.data, _rows(4))


def test_samples_that_require_grad_stay_in_the_graph():
    """Collating copied them into a constant: the gradient never reached them. PyTorch's
    default collate stacks them in the graph."""
    rows = [Tensor(np.array([1.0, 2.0]), requires_grad=True) for _ in range(3)]
    batch = default_collate([(row, i) for i, row in enumerate(rows)])[0]
    assert batch.requires_grad
    (batch * Tensor(np.arange(3.0)[:, None])).sum().backward()
    assert [row.grad.tolist() for row in rows] == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]


def test_rows_given_as_tuples_next_to_y_are_still_rows_of_x():
    xb, yb = next(iter(DataLoader([(1.0, 2.0), (3.0, 4.0)], [0, 1], batch_size=2)))
    assert xb.tolist() == [[1.0, 2.0], [3.0, 4.0]] and yb.tolist() == [0, 1]


def test_a_sampler_of_fractional_indices_is_refused_not_cut_to_whole_rows():
    """sampler=[0.5, 1.0] gathered rows 0 and 1."""
    loader = DataLoader(_rows(5), batch_size=2, sampler=[0.5, 1.0])
    with pytest.raises(IndexError, match=r"DataLoader: the sampler gave the indices \[0.5, 1.0\], "
                                         r"but the dataset has 5 samples \(indices must be ints "
                                         r"in 0..4\)"):
        list(loader)


@pytest.mark.parametrize("option, value, message", [
    ("sampler", 5, r"DataLoader: sampler must give indices when iterated \(such as "
                   r"RandomSampler\(dataset\)\), got int"),
    ("batch_sampler", 5, r"DataLoader: batch_sampler must give indices when iterated"),
    ("collate_fn", "stack", r"DataLoader: collate_fn must be a function of the list of "
                            r"samples, got str"),
])
def test_options_that_cannot_work_are_refused_where_the_loader_is_made(option, value, message):
    with pytest.raises(TypeError, match=message):
        DataLoader(_Pairs(), **{option: value})


@pytest.mark.parametrize("make", [lambda: DataLoader(_rows(10), batch_size=4, shuffle=True),
                                  lambda: DataLoader(_Pairs(10), batch_size=4),
                                  lambda: DataLoader(_Pairs(20), sampler=list(range(10)))])
def test_the_loaders_sampler_counts_the_samples_an_epoch_visits(make):
    """PyTorch's `test_loss /= len(test_loader.sampler)`: the sampler was None unless given."""
    assert len(make().sampler) == 10


def test_the_direct_shuffle_of_arrays_is_the_order_random_sampler_draws():
    """Arrays are batched without going index by index; the order must be the one a
    RandomSampler over the same generator gives (a collate_fn switches to that path)."""
    direct = DataLoader(_rows(10), batch_size=4, shuffle=True, seed=2)
    by_index = DataLoader(_rows(10), batch_size=4, shuffle=True, seed=2,
                          collate_fn=lambda rows: Tensor(np.stack(rows)))
    assert direct._direct and not by_index._direct
    assert _epoch_x(direct) == _epoch_x(by_index)


def _epoch_x(loader: DataLoader) -> list[int]:
    return [int(v) for xb in loader for v in xb.data[:, 0]]


@pytest.mark.parametrize("batches", [False, True])
def test_a_given_samplers_generator_is_saved_so_a_resumed_run_draws_the_same_epochs(batches):
    """Only the loader's own generator was saved: a RandomSampler(generator=g) given to it
    drew different epochs after a resume, silently."""
    def loader():
        sampler = RandomSampler(_Pairs(12), generator=np.random.default_rng(0))
        if batches:
            return DataLoader(_Pairs(12), batch_sampler=BatchSampler(sampler, 4, False))
        return DataLoader(_Pairs(12), batch_size=4, sampler=sampler)
    first = loader()
    list(first)
    state = first.state_dict()
    assert set(state) == {"sampler_rng"}
    expected = [yb.tolist() for _, yb in first]
    resumed = loader()
    resumed.load_state_dict(state)
    assert [yb.tolist() for _, yb in resumed] == expected
    with pytest.raises(ValueError, match=r"DataLoader.load_state_dict: expected the keys "
                                         r"\['sampler_rng'\] .*, got \[\]"):
        resumed.load_state_dict({})


def test_batch_size_none_gives_the_samples_one_at_a_time_as_pytorchs_does():
    """It was refused ("batch_size must be an int, got None")."""
    loader = DataLoader(_Pairs(3), batch_size=None)
    samples = list(loader)
    assert len(loader) == 3 and len(samples) == 3
    x, y = samples[1]
    assert isinstance(x, Tensor) and x.shape == (3,) and y == 1 and type(y) is int
    assert [xb.shape for xb in DataLoader(_rows(4), batch_size=None)] == [(3,)] * 4
    shuffled = DataLoader(_rows(20), batch_size=None, shuffle=True, seed=0)
    assert sorted(int(x.data[0]) for x in shuffled) == list(range(20))
    assert next(iter(DataLoader(_Pairs(3), batch_size=None, collate_fn=len))) == 2
    with pytest.raises(ValueError, match=r"DataLoader: batch_size=None gives the samples one at "
                                         r"a time; it cannot be combined with drop_last"):
        DataLoader(_Pairs(3), batch_size=None, drop_last=True)


# -- streams: an IterableDataset read in its own order ------------------------------------------

class _Stream(IterableDataset):
    """n samples (x = [i, i + 0.5], y = i % 3), made afresh each epoch; `length` gives it a len()."""

    def __init__(self, n: int, length: bool = False) -> None:
        self.n, self.length = n, length

    def __iter__(self):
        for i in range(self.n):
            yield np.array([i, i + 0.5]), i % 3

    def __len__(self) -> int:
        if not self.length:
            raise TypeError("no len()")
        return self.n


def test_a_stream_is_batched_in_its_own_order_with_a_short_last_batch():
    loader = DataLoader(_Stream(7), batch_size=3)
    batches = list(loader)
    assert [xb.data[:, 0].tolist() for xb, _ in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [yb.tolist() for _, yb in batches] == [[0, 1, 2], [0, 1, 2], [0]]
    assert isinstance(batches[0][0], Tensor) and batches[0][0].shape == (3, 2)
    assert [len(xb) for xb, _ in loader] == [3, 3, 1]              # a second epoch, afresh
    assert [len(xb) for xb, _ in DataLoader(_Stream(7), batch_size=3, drop_last=True)] == [3, 3]


def test_a_stream_takes_collate_fn_and_batch_size_none():
    sizes = [len(batch) for batch in DataLoader(_Stream(5), batch_size=2, collate_fn=list)]
    assert sizes == [2, 2, 1]
    x, y = next(iter(DataLoader(_Stream(5), batch_size=None)))
    assert isinstance(x, Tensor) and x.tolist() == [0.0, 0.5] and y == 0


def test_len_of_a_stream_loader_counts_batches_when_the_stream_has_a_len():
    assert len(DataLoader(_Stream(7, length=True), batch_size=3)) == 3
    assert len(DataLoader(_Stream(7, length=True), batch_size=3, drop_last=True)) == 2
    assert len(DataLoader(_Stream(7, length=True), batch_size=None)) == 7
    with pytest.raises(TypeError, match="_Stream has no __len__"):
        len(DataLoader(_Stream(7), batch_size=3))


@pytest.mark.parametrize("option", [dict(shuffle=True), dict(sampler=[0, 1]),
                                    dict(batch_sampler=[[0, 1]]), dict(seed=0)])
def test_a_stream_refuses_the_options_that_pick_samples_by_index(option):
    with pytest.raises(ValueError, match=rf"_Stream is a stream .*; {next(iter(option))}= "):
        DataLoader(_Stream(4), **option)


def test_a_stream_takes_pytorchs_generator_which_seeds_its_workers_only():
    loader = DataLoader(_Stream(4), batch_size=2, generator=autograd.Generator().manual_seed(0))
    assert [xb.data[:, 0].tolist() for xb, _ in loader] == [[0, 1], [2, 3]]
    assert loader.state_dict() == {}        # (it orders nothing)


def test_a_generator_is_refused_saying_how_to_make_a_stream():
    with pytest.raises(TypeError, match="a subclass of nn.data.IterableDataset"):
        DataLoader(x for x in range(3))


def test_a_stream_sample_that_cannot_be_batched_names_its_place_in_the_stream():
    class Ragged(IterableDataset):
        def __iter__(self):
            yield from (np.zeros(2), np.zeros(2), np.zeros(3))

    with pytest.raises(ValueError, match="the stream's samples 0 to 2"):
        list(DataLoader(Ragged(), batch_size=4))


@needs_torch
def test_a_stream_is_batched_as_pytorch_batches_it():
    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            for i in range(7):
                yield np.array([i, i + 0.5]), i % 3

    for options in (dict(batch_size=3), dict(batch_size=3, drop_last=True)):
        ours = [(xb.data.tolist(), yb.tolist()) for xb, yb in DataLoader(_Stream(7), **options)]
        theirs = [(xb.tolist(), yb.tolist())
                  for xb, yb in torch.utils.data.DataLoader(TorchStream(), **options)]
        assert ours == theirs


def test_pytorchs_worker_settings_are_taken_and_worker_init_fn_without_workers_is_refused():
    """DataLoader(..., num_workers=4, persistent_workers=True, prefetch_factor=2) stopped at
    Python's "unexpected keyword argument"; worker_init_fn with num_workers=0 is never
    called, and is refused saying so."""
    loader = DataLoader(_rows(4), batch_size=2, persistent_workers=True, prefetch_factor=2,
                        timeout=0)
    assert [xb.shape for xb in loader] == [(2, 3), (2, 3)]
    with pytest.raises(TypeError, match="worker_init_fn is called in each worker process"):
        DataLoader(_rows(4), worker_init_fn=lambda worker_id: None)
    with pytest.raises(ValueError, match="prefetch_factor must be None or an int >= 1, got 0"):
        DataLoader(_rows(4), prefetch_factor=0)


def test_three_arrays_given_to_dataloader_point_to_a_tensor_dataset():
    """DataLoader(X_a, X_b, y) took y as batch_size, and the error printed the whole array."""
    X = _rows(6)
    with pytest.raises(TypeError, match=r"^DataLoader: batch_size, the third argument, must be "
                                        r"an int, got ndarray; DataLoader takes X and y: for "
                                        r"more arrays per sample \(a model's several inputs and "
                                        r"y\) pass DataLoader\(TensorDataset\(X_a, X_b, y\), "
                                        r"batch_size=\.\.\.\)$"):
        DataLoader(X, X, np.arange(6))
    xa, xb, yb = next(iter(DataLoader(TensorDataset(X, X + 100, np.arange(6)), batch_size=4)))
    assert xa.shape == xb.shape == (4, 3) and yb.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("X, message", [
    ([[1.0, None], [2.0, 3.0]], r"dtype object \(None at \[0, 1\]: a missing value; fill it in "
                                r"or remove the row\)"),
    (np.array([[1.0, 2.0], [2.0, {}]], dtype=object), r"dtype object \(dict \{\} at \[1, 1\]"),
    (np.array([[1, 2], [3, 4]], dtype=object), r"dtype object \(each a number: convert them "
                                               r"with X.astype\(float\)\)"),
])
def test_an_array_of_python_objects_names_the_element_that_is_no_number(X, message):
    with pytest.raises(TypeError, match=r"^DataLoader: X must hold numbers, got " + message):
        DataLoader(X)
