"""train_test_split and train_val_test_split: sizes, pairing, disjoint parts, stratified class
shares (property tests), reproducibility and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from nn.data import train_test_split, train_val_test_split


def _data(n: int):
    """X row i is (i, -i); y[i] = 10 i: any broken pairing shows."""
    X = np.stack([np.arange(n), -np.arange(n)], axis=1)
    return X, np.arange(n) * 10


def _ids(X: np.ndarray) -> list[int]:
    return X[:, 0].tolist()


def _check_paired(X, y):
    assert np.array_equal(X[:, 0] * 10, y) and np.array_equal(X[:, 1], -X[:, 0])


# -- train_test_split ---------------------------------------------------------------------------

@pytest.mark.parametrize("n, test_size, n_test", [
    (10, 0.25, 3),          # 2.5 rounds up, as in scikit-learn
    (10, 0.3, 3),
    (100, 0.07, 7),         # 0.07 * 100 = 7.000000000000001 must not become 8
    (100, 0.55, 55),        # 0.55 * 100 = 55.00000000000001
    (100, 0.2, 20),
    (10, 4, 4),             # a count
    (3, 0.01, 1),           # never an empty test part
])
def test_sizes(n, test_size, n_test):
    X, y = _data(n)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size, seed=0)
    assert (len(X_train), len(X_test), len(y_train), len(y_test)) == (n - n_test, n_test,
                                                                     n - n_test, n_test)


@given(n=st.integers(2, 80), data=st.data())
def test_parts_are_disjoint_cover_everything_and_stay_paired(n, data):
    test_size = data.draw(st.integers(1, n - 1))
    X, y = _data(n)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size, seed=data.draw(
        st.integers(0, 1000)))
    _check_paired(X_train, y_train)
    _check_paired(X_test, y_test)
    assert sorted(_ids(X_train) + _ids(X_test)) == list(range(n))


def test_split_is_random_reproducible_and_manual_seed_drives_the_default():
    X, y = _data(40)
    a = train_test_split(X, y, seed=1)
    assert all(np.array_equal(p, q) for p, q in zip(a, train_test_split(X, y, seed=1)))
    assert not np.array_equal(a[1], train_test_split(X, y, seed=2)[1])
    assert _ids(a[0]) != sorted(_ids(a[0]))             # shuffled, not just cut
    autograd.manual_seed(5)
    b = train_test_split(X, y)
    autograd.manual_seed(5)
    assert np.array_equal(b[1], train_test_split(X, y)[1])


def test_unshuffled_split_holds_out_the_end():
    X, y = _data(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, shuffle=False)
    assert _ids(X_train) == list(range(7)) and _ids(X_test) == [7, 8, 9]
    assert y_test.tolist() == [70, 80, 90]


def test_tensors_stay_tensors_and_lists_become_arrays():
    X_train, X_test, y_train, y_test = train_test_split(
        Tensor(np.arange(8.0)), [0, 1] * 4, test_size=2, seed=0)
    assert isinstance(X_train, Tensor) and isinstance(X_test, Tensor)
    assert isinstance(y_train, np.ndarray) and y_train.dtype.kind == "i"
    assert sorted(X_train.data.tolist() + X_test.data.tolist()) == list(range(8))


def test_stratified_split_worked_example():
    y = np.array([0] * 6 + [1] * 3 + [2] * 1 + [3] * 2)          # 12 samples, 4 classes
    X = np.arange(12)
    with pytest.raises(ValueError, match="class 2 has only 1 sample"):
        train_test_split(X, y, test_size=4, stratify=y, seed=0)
    y[9] = 3                                                       # classes 6, 3, 3
    _, _, _, y_test = train_test_split(X, y, test_size=4, stratify=y, seed=0)
    # shares 6*4/12 = 2, 3*4/12 = 1, 3*4/12 = 1
    assert np.bincount(y_test).tolist() == [2, 1, 0, 1]


@given(counts=st.lists(st.integers(2, 30), min_size=1, max_size=6), data=st.data())
def test_stratified_shares_are_within_one_sample(counts, data):
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    n_test = data.draw(st.integers(1, n - 1))
    X = np.stack([np.arange(n), y], axis=1)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, n_test, stratify=y, seed=data.draw(st.integers(0, 1000)))
    assert len(y_test) == n_test
    assert np.array_equal(X_test[:, 1], y_test) and np.array_equal(X_train[:, 1], y_train)
    assert sorted(_ids(X_train) + _ids(X_test)) == list(range(n))
    exact = np.array(counts) * n_test / n
    got = np.bincount(y_test, minlength=len(counts))
    assert np.all(np.abs(got - exact) < 1)


def test_stratified_test_part_is_mixed_not_sorted_by_class():
    y = np.repeat([0, 1], 50)
    _, _, _, y_test = train_test_split(np.arange(100), y, 40, stratify=y, seed=0)
    assert np.bincount(y_test).tolist() == [20, 20]
    assert y_test.tolist() != sorted(y_test.tolist())


# -- train_val_test_split -----------------------------------------------------------------------

@pytest.mark.parametrize("n, sizes, expected", [
    (10, (0.8, 0.1, 0.1), (8, 1, 1)),
    (1000, (0.8, 0.1, 0.1), (800, 100, 100)),
    (15, (0.8, 0.1, 0.1), (11, 2, 2)),               # 1.5 rounds up for validation and test
    (10, (6, 3, 1), (6, 3, 1)),
])
def test_three_way_sizes(n, sizes, expected):
    X, y = _data(n)
    parts = train_val_test_split(X, y, sizes, seed=0)
    assert tuple(len(p) for p in parts[:3]) == expected
    assert tuple(len(p) for p in parts[3:]) == expected
    for Xp, yp in zip(parts[:3], parts[3:]):
        _check_paired(Xp, yp)
    assert sorted(sum((_ids(p) for p in parts[:3]), [])) == list(range(n))


def test_three_way_unshuffled_is_chronological():
    X, y = _data(10)
    X_train, X_val, X_test, *_ = train_val_test_split(X, y, (0.6, 0.2, 0.2), shuffle=False)
    assert (_ids(X_train), _ids(X_val), _ids(X_test)) == ([0, 1, 2, 3, 4, 5], [6, 7], [8, 9])


@given(counts=st.lists(st.integers(3, 40), min_size=1, max_size=5), seed=st.integers(0, 1000))
def test_three_way_stratified_shares(counts, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    X = np.stack([np.arange(n), y], axis=1)
    X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
        X, y, (0.6, 0.2, 0.2), stratify=y, seed=seed)
    assert sorted(_ids(X_train) + _ids(X_val) + _ids(X_test)) == list(range(n))
    for part, Xp, yp, slack in ((0.2, X_test, y_test, 1), (0.2, X_val, y_val, 2)):
        assert np.array_equal(Xp[:, 1], yp)
        got = np.bincount(yp, minlength=len(counts))
        assert np.all(np.abs(got - np.array(counts) * len(yp) / n) < slack)


# -- errors -------------------------------------------------------------------------------------

def test_length_mismatch():
    with pytest.raises(ValueError, match="train_test_split: X has 5 samples but y has 4"):
        train_test_split(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="train_val_test_split: X has 5 samples but y has 6"):
        train_val_test_split(np.zeros(5), np.zeros(6))
    with pytest.raises(TypeError, match="must be sequences of samples"):
        train_test_split(3, np.zeros(4))


@pytest.mark.parametrize("bad, error, message", [
    (0.0, ValueError, r"must be in \(0, 1\), got 0.0"),
    (1.0, ValueError, r"must be in \(0, 1\), got 1.0"),
    (1.5, ValueError, r"must be in \(0, 1\)"),
    (0, ValueError, r"test_size must be positive \(a float in \(0, 1\) or an int ≥ 1\), "
                    r"got 0$"),
    (-1, ValueError, r"^train_test_split: test_size must be positive \(a float in \(0, 1\) or "
                     r"an int ≥ 1\), got -1$"),                  # not "gives -1 held out"
    (np.int64(-3), ValueError, r"must be positive .* got -3$"),
    (10, ValueError, "gives 10 held out, which leaves one part empty"),
    (0.95, ValueError, "gives 10 held out"),
    (True, TypeError, "must be a fraction or a count"),
    ("0.2", TypeError, "must be a fraction or a count"),
])
def test_bad_test_size(bad, error, message):
    with pytest.raises(error, match=message):
        train_test_split(np.zeros(10), np.zeros(10), bad)


@pytest.mark.parametrize("split", [train_test_split, train_val_test_split])
def test_a_bad_seed_names_the_split(split):
    with pytest.raises(ValueError, match=rf"{split.__name__}: seed must be an int >= 0 or a "
                                         rf"numpy Generator, got -1"):
        split(np.zeros(10), np.zeros(10), seed=-1)


@pytest.mark.parametrize("split", [train_test_split, train_val_test_split])
def test_shuffle_must_be_a_yes_or_no_not_a_string(split):
    """shuffle="False" (from a config file) is a true string: it shuffled, silently."""
    with pytest.raises(TypeError, match=rf"{split.__name__}: shuffle must be True or False, "
                                        rf"got 'False'"):
        split(np.arange(10), np.arange(10), shuffle="False")
    assert split(np.arange(10), np.arange(10), shuffle=np.False_)[0].tolist()[:2] == [0, 1]


def test_bad_stratify():
    y = np.repeat([0, 1], 5)
    with pytest.raises(ValueError, match=r"stratify must be one label per sample, shape \(10,\), "
                                         r"got shape \(9,\)"):
        train_test_split(np.zeros(10), y, stratify=y[:9])
    with pytest.raises(ValueError, match="stratify needs shuffle=True"):
        train_test_split(np.zeros(10), y, stratify=y, shuffle=False)
    y3 = np.array([0] * 8 + [1] * 2)
    with pytest.raises(ValueError, match="class 1 has only 2 sample.*into 3 parts needs at least "
                                         "3 per class"):
        train_val_test_split(np.zeros(10), y3, stratify=y3)


@pytest.mark.parametrize("sizes, error, message", [
    ((0.8, 0.1), TypeError, "three numbers"),
    ((0.8, 0.1, "0.1"), TypeError, "three numbers"),
    ((0.7, 0.1, 0.1), ValueError, r"add up to 1, got \(0.7, 0.1, 0.1\) \(sum 0.9\)"),
    ((1.0, 0.0, 0.0), ValueError, r"each be in \(0, 1\)"),
    ((6, 3, 2), ValueError, "add up to 11, but there are 10 samples"),
    ((8, 2, 0), ValueError, "each part needs at least one"),
])
def test_bad_sizes(sizes, error, message):
    with pytest.raises(error, match=message):
        train_val_test_split(np.zeros(10), np.zeros(10), sizes)


def test_too_few_samples_for_three_parts():
    with pytest.raises(ValueError, match=r"give parts of \(0, 1, 1\) samples"):
        train_val_test_split(np.zeros(2), np.zeros(2))
