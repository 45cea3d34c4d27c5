"""Samplers (nn/data/sampler.py): the indices each yields, their distribution (seeded, over
enough draws that a wrong one cannot pass), lengths, DataLoader's sampler= and batch_sampler=,
and the errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from nn.data import (
    BatchSampler, DataLoader, RandomSampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler,
)


def test_sequential_sampler_visits_every_index_in_order():
    sampler = SequentialSampler(range(4))
    assert list(sampler) == [0, 1, 2, 3] and len(sampler) == 4


def test_random_sampler_gives_a_new_permutation_every_epoch_from_its_generator():
    sampler = RandomSampler(range(50), generator=autograd.Generator().manual_seed(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(50)) and first != second
    again = RandomSampler(range(50), generator=autograd.Generator().manual_seed(0))
    assert [list(again), list(again)] == [first, second]


def test_random_sampler_without_a_generator_follows_manual_seed():
    sampler = RandomSampler(range(50))
    autograd.manual_seed(4)
    first = list(sampler)
    autograd.manual_seed(4)                 # a new shared generator: the sampler must use it
    assert list(sampler) == first


def test_random_sampler_without_replacement_repeats_whole_permutations_past_the_length():
    drawn = list(RandomSampler(range(5), num_samples=12, generator=np.random.default_rng(0)))
    assert len(drawn) == 12
    assert sorted(drawn[:5]) == sorted(drawn[5:10]) == list(range(5))
    assert len(set(drawn[10:])) == 2


def test_random_sampler_with_replacement_draws_uniformly():
    drawn = np.array(list(RandomSampler(range(4), replacement=True, num_samples=100_000,
                                        generator=np.random.default_rng(1))))
    shares = np.bincount(drawn, minlength=4) / len(drawn)
    assert np.abs(shares - 0.25).max() < 0.005          # 3.6 standard errors
    assert len(RandomSampler(range(7), replacement=True)) == 7


@pytest.mark.parametrize("kwargs, error, message", [
    ({"num_samples": 0}, ValueError, r"RandomSampler: num_samples must be an int >= 1, got 0"),
    ({"replacement": "yes"}, TypeError, r"RandomSampler: replacement must be True or False"),
    ({"generator": 0}, TypeError, r"RandomSampler: generator must be a numpy Generator"),
])
def test_random_sampler_refuses_bad_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        RandomSampler(range(5), **kwargs)


def test_random_sampler_refuses_an_empty_dataset():
    with pytest.raises(ValueError, match=r"RandomSampler: data_source is empty"):
        RandomSampler([])


def test_subset_random_sampler_shuffles_only_its_indices():
    sampler = SubsetRandomSampler([7, 3, 9, 1], generator=np.random.default_rng(2))
    drawn = [list(sampler) for _ in range(5)]
    assert all(sorted(d) == [1, 3, 7, 9] for d in drawn) and len(sampler) == 4
    assert len({tuple(d) for d in drawn}) > 1


def test_subset_random_sampler_takes_a_tensor_of_indices():
    sampler = SubsetRandomSampler(Tensor(np.array([4, 2])), generator=np.random.default_rng(0))
    assert sorted(sampler) == [2, 4] and all(type(i) is int for i in sampler)


def test_weighted_sampler_draws_each_index_in_proportion_to_its_weight():
    weights = [1.0, 3.0, 0.0, 6.0]                  # they need not add up to 1
    drawn = np.array(list(WeightedRandomSampler(weights, 100_000,
                                                generator=np.random.default_rng(3))))
    shares = np.bincount(drawn, minlength=4) / len(drawn)
    np.testing.assert_allclose(shares, [0.1, 0.3, 0.0, 0.6], atol=0.006)
    assert shares[2] == 0


def test_weighted_sampler_without_replacement_gives_each_index_at_most_once():
    sampler = WeightedRandomSampler(Tensor(np.array([1.0, 0.0, 2.0, 5.0])), 3,
                                    replacement=False, generator=np.random.default_rng(0))
    for _ in range(20):
        assert sorted(sampler) == [0, 2, 3]


@pytest.mark.parametrize("weights, count, kwargs, message", [
    ([1.0, -2.0], 2, {}, r"weights must be finite and >= 0, got -2.0 at index 1"),
    ([1.0, np.nan], 2, {}, r"weights must be finite and >= 0, got nan at index 1"),
    ([0.0, 0.0], 2, {}, r"weights are all zero; at least one must be positive"),
    ([[1.0, 2.0]], 2, {}, r"weights must be a non-empty 1-d sequence, got shape \(1, 2\)"),
    ([1.0, 2.0], 0, {}, r"num_samples must be an int >= 1, got 0"),
    ([1.0, 2.0], 2.0, {}, r"num_samples must be an int >= 1, got 2.0"),
    ([1.0, 0.0, 1.0], 3, {"replacement": False},
     r"num_samples=3 without replacement, but only 2 weights are positive"),
])
def test_weighted_sampler_refuses_weights_it_cannot_draw_from(weights, count, kwargs, message):
    # PyTorch takes negative weights and an all-zero vector, and fails at the first draw
    with pytest.raises(ValueError, match="WeightedRandomSampler: " + message):
        WeightedRandomSampler(weights, count, **kwargs)


def test_batch_sampler_groups_indices_and_counts_its_batches():
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, False)) == 3 and len(BatchSampler(range(5), 2, True)) == 2
    with pytest.raises(ValueError, match=r"BatchSampler: batch_size must be an int >= 1"):
        BatchSampler(range(5), 0, False)


# -- a DataLoader's sampler= and batch_sampler= --------------------------------------------------

def test_a_loader_visits_the_samplers_indices():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    loader = DataLoader(X, y, batch_size=3, sampler=[9, 8, 7, 6])
    assert len(loader) == 2
    assert [yb.tolist() for _, yb in loader] == [[9, 8, 7], [6]]
    np.testing.assert_array_equal(next(iter(loader))[0].data, X[[9, 8, 7]])


def test_a_loader_takes_its_batches_from_a_batch_sampler():
    loader = DataLoader(np.arange(5.0), batch_sampler=[[0, 1], [4]])
    assert len(loader) == 2 and [xb.tolist() for xb in loader] == [[0.0, 1.0], [4.0]]
    assert loader.batch_size is None                # as PyTorch's: the batch sampler decides


def test_a_weighted_sampler_balances_the_classes_a_loader_gives():
    y = np.array([0] * 90 + [1] * 10)
    weights = np.where(y == 1, 9.0, 1.0)            # both classes equally likely
    loader = DataLoader(np.zeros((100, 2)), y, batch_size=50, sampler=WeightedRandomSampler(
        weights, 20_000, generator=np.random.default_rng(0)))
    share = np.mean(np.concatenate([yb for _, yb in loader]))
    assert abs(share - 0.5) < 0.015


@pytest.mark.parametrize("kwargs", [{"batch_size": 4}, {"shuffle": True},
                                    {"sampler": [0]}, {"drop_last": True},
                                    {"batch_size": 32}])    # written, though the default's
def test_a_batch_sampler_refuses_the_options_it_replaces(kwargs):
    with pytest.raises(ValueError, match=r"DataLoader: batch_sampler gives the batches; it "
                                         r"cannot be combined with batch_size, shuffle, "
                                         r"sampler or drop_last"):
        DataLoader(np.zeros((5, 2)), batch_sampler=[[0]], **kwargs)


def test_a_sampler_refuses_shuffle():
    with pytest.raises(ValueError, match=r"DataLoader: sampler gives the order; it cannot be "
                                         r"combined with shuffle=True"):
        DataLoader(np.zeros((5, 2)), sampler=[0, 1], shuffle=True)


def test_a_sampler_index_outside_the_arrays_is_named():
    loader = DataLoader(np.zeros((5, 2)), batch_size=2, sampler=[0, 7])
    with pytest.raises(IndexError, match=r"DataLoader: the sampler gave the indices \[0, 7\], "
                                         r"but the dataset has 5 samples"):
        list(loader)
