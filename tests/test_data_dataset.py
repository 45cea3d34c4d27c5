"""Dataset, Subset, ConcatDataset and random_split (nn/data/dataset.py): PyTorch's meaning,
random_split's part sizes as PyTorch 2.13 rounds them (live where torch is installed, else as
recorded in tests/reference/data_dataset.npz), and the errors for bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd
from autograd import Tensor
from nn.data import (
    ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset, Subset, TensorDataset,
    get_worker_info, random_split,
)
from reference import recorded


class Squares(Dataset):
    """A user's own dataset: sample i is (i as float32, i squared)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.float32(i), i * i


# -- Dataset, Subset, ConcatDataset ------------------------------------------------------------

def test_a_dataset_without_getitem_says_what_to_write():
    class Empty(Dataset):
        def __len__(self):
            return 3
    with pytest.raises(NotImplementedError, match=r"Empty must define __getitem__\(index\)"):
        Empty()[0]


def test_adding_datasets_chains_them():
    data = Squares(3) + Squares(2)
    assert isinstance(data, ConcatDataset) and len(data) == 5
    assert [data[i][1] for i in range(5)] == [0, 1, 4, 0, 1]


def test_a_subset_reads_its_indices_in_order_and_counts_negative_ones_from_the_end():
    data = Subset(Squares(10), [7, -1, 2])
    assert len(data) == 3 and data.indices == [7, 9, 2]
    assert [data[i][1] for i in range(3)] == [49, 81, 4]
    assert data[-1][1] == 4


def test_a_subset_takes_indices_as_an_array_or_a_tensor():
    # autograd.randperm gives a Tensor, as torch.randperm does: Subset(data, perm[:k])
    assert Subset(Squares(10), np.array([3, 4])).indices == [3, 4]
    assert Subset(Squares(10), Tensor(np.array([5, 1]))).indices == [5, 1]


@pytest.mark.parametrize("indices, error, message", [
    ([0, 10], IndexError, r"Subset: indices: index 10 is out of range for 10 samples"),
    ([0.5], TypeError, r"Subset: indices: index must be an int, got 0.5"),
])
def test_a_subset_refuses_indices_the_dataset_does_not_have(indices, error, message):
    with pytest.raises(error, match=message):
        Subset(Squares(10), indices)


def test_a_subset_index_out_of_range_names_the_subset():
    with pytest.raises(IndexError, match=r"Subset: index 2 is out of range for 2 samples"):
        Subset(Squares(10), [1, 2])[2]


def test_concat_dataset_finds_each_index_in_its_part():
    data = ConcatDataset([[10, 11, 12], [], [20, 21]])
    assert len(data) == 5 and data.cumulative_sizes == [3, 3, 5]
    assert [data[i] for i in range(5)] == [10, 11, 12, 20, 21]
    assert data[-5] == 10 and repr(data) == "ConcatDataset(5 samples: 3 + 0 + 2)"
    with pytest.raises(IndexError, match=r"ConcatDataset: index 5 is out of range for 5 "):
        data[5]


def test_concat_dataset_refuses_nothing_and_objects_without_a_length():
    with pytest.raises(ValueError, match=r"ConcatDataset: needs at least one dataset"):
        ConcatDataset([])
    with pytest.raises(TypeError, match=r"ConcatDataset: a dataset needs len\(\) and "
                                        r"dataset\[i\], got int"):
        ConcatDataset([[1, 2], 3])


# -- random_split --------------------------------------------------------------------------------

SPLITS = [(10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (10, [0.1, 0.1, 0.1, 0.7]),
          (3, [0.1, 0.1, 0.8]), (7, [1.0, 0.0]), (100, [0.07, 0.93])]


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/data_dataset.npz: the part sizes PyTorch's random_split gives."""
    with warnings.catch_warnings():             # PyTorch's own warning for the empty parts
        warnings.simplefilter("ignore")
        return {f"split{i}/sizes": np.array([len(part) for part in torch.utils.data.random_split(
            range(n), fractions)], dtype=np.int64) for i, (n, fractions) in enumerate(SPLITS)}


@pytest.mark.filterwarnings("ignore:random_split")     # the empty parts: see the next test
@pytest.mark.parametrize("case", range(len(SPLITS)))
def test_fractions_round_as_pytorchs_do(case):
    """Rounded down, the samples left over go one each to the first parts (PyTorch 2.13)."""
    n, fractions = SPLITS[case]
    ours = [len(part) for part in random_split(range(n), fractions)]
    assert ours == recorded("data_dataset")[f"split{case}/sizes"].tolist()


def test_fractions_that_leave_a_part_empty_warn_as_pytorchs_do():
    with pytest.warns(UserWarning, match=r"random_split: the fractions \[0.1, 0.1, 0.8\] of 3 "
                                         r"samples give parts of \[1, 0, 2\] samples; part 1 "
                                         r"is empty"):
        random_split(range(3), [0.1, 0.1, 0.8])


def test_a_split_uses_every_sample_once_and_repeats_with_the_same_generator():
    parts = random_split(Squares(20), [12, 8], generator=autograd.Generator().manual_seed(3))
    again = random_split(Squares(20), [12, 8], generator=autograd.Generator().manual_seed(3))
    indices = [i for part in parts for i in part.indices]
    assert sorted(indices) == list(range(20)) and indices != list(range(20))
    assert [part.indices for part in again] == [part.indices for part in parts]
    autograd.manual_seed(1)
    first = random_split(range(20), [10, 10])[0].indices
    autograd.manual_seed(1)
    assert random_split(range(20), [10, 10])[0].indices == first     # the shared generator


@pytest.mark.parametrize("lengths, error, message", [
    ([3, 3], ValueError, r"random_split: lengths \[3, 3\] must be counts >= 0 adding up to the "
                         r"dataset's 10 samples \(they add up to 6\)"),
    ([-1, 11], ValueError, r"must be counts >= 0"),              # PyTorch splits it as 9 and 1
    ([0.5, 0.6], ValueError, r"random_split: lengths as fractions must each be in \[0, 1\] and "
                             r"add up to 1, got \[0.5, 0.6\] \(sum 1.1\)"),
    ([1.5, -0.5], ValueError, r"must each be in \[0, 1\]"),
    (["a", 1], TypeError, r"random_split: lengths must be counts \(ints\) or fractions"),
    ([], TypeError, r"random_split: lengths must be counts"),
])
def test_random_split_refuses_lengths_that_do_not_make_the_dataset(lengths, error, message):
    with pytest.raises(error, match=message):
        random_split(range(10), lengths)


def test_random_split_refuses_a_generator_that_is_not_numpys():
    with pytest.raises(TypeError, match=r"random_split: generator must be a numpy Generator"):
        random_split(range(10), [5, 5], generator=42)


def test_the_parts_of_a_split_train_through_a_loader():
    data = TensorDataset(np.arange(12.0).reshape(6, 2), np.arange(6))
    train, test = random_split(data, [4, 2], generator=np.random.default_rng(0))
    xb, yb = next(iter(DataLoader(train, batch_size=4)))
    assert xb.shape == (4, 2) and sorted(yb.tolist()) == sorted(train.indices)
    np.testing.assert_array_equal(xb.data[:, 0], 2.0 * yb.data)


# -- streams ------------------------------------------------------------------------------------

class _Count(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        yield from range(self.n)

    def __len__(self) -> int:
        return self.n


def test_streams_chain_with_plus_and_chaindataset_and_add_up_their_lengths():
    chained = _Count(2) + _Count(3)
    assert isinstance(chained, ChainDataset) and isinstance(chained, Dataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    with pytest.raises(TypeError, match="every chained dataset"):
        len(ChainDataset([_Count(1), iter([1])]))


def test_a_stream_without_iter_says_what_to_write():
    with pytest.raises(NotImplementedError, match="must define __iter__"):
        iter(IterableDataset())


@pytest.mark.parametrize("make", [lambda s: Subset(s, [0]), lambda s: ConcatDataset([s]),
                                  lambda s: random_split(s, [1, 1])])
def test_index_based_datasets_refuse_a_stream_saying_why(make):
    with pytest.raises(TypeError, match="_Count is a stream .* no dataset\\[i\\]"):
        make(_Count(2))


def test_get_worker_info_is_none_as_in_pytorchs_main_process():
    assert get_worker_info() is None


def test_tensor_dataset_index_out_of_range_names_the_dataset_and_its_size():
    data = TensorDataset(np.zeros((3, 2)), np.arange(3))
    with pytest.raises(IndexError, match=r"TensorDataset: index 10 is out of range for 3 "
                                         r"samples \(0 to 2, or -3 to -1\)"):
        data[10]
    with pytest.raises(IndexError, match="index -4"):
        data[-4]
    assert data[-1][1] == 2 and data[np.int64(2)][1] == 2
    assert [int(y) for _, y in data] == [0, 1, 2]       # iteration still ends at the last one
