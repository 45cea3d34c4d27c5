"""`manual_seed` / `default_rng`: one seedable generator, reproducible runs."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Generator, default_rng, manual_seed


def test_same_seed_same_numbers():
    """Reseeding with the same seed replays exactly the same stream."""
    manual_seed(1234)
    first = default_rng().normal(size=5)
    manual_seed(1234)
    np.testing.assert_array_equal(default_rng().normal(size=5), first)


def test_different_seeds_differ():
    """Different seeds give different streams (the seed is actually used)."""
    manual_seed(1)
    a = default_rng().normal(size=5)
    manual_seed(2)
    assert not np.array_equal(default_rng().normal(size=5), a)


def test_shared_generator():
    """default_rng() is one shared numpy Generator: consecutive draws continue its stream."""
    manual_seed(0)
    rng = default_rng()
    assert isinstance(rng, np.random.Generator) and default_rng() is rng
    a = rng.random()
    manual_seed(0)
    assert default_rng().random() == a


def test_a_seed_that_is_no_integer_is_named():
    """manual_seed('abc') or -1: the seed named, not numpy's words about SeedSequence."""
    for seed, error in (("abc", TypeError), (1.5, TypeError), (-1, ValueError)):
        with pytest.raises(error, match=rf"manual_seed: seed must be a non-negative int, got "
                                        rf"{seed!r}"):
            manual_seed(seed)
    manual_seed(np.int64(3))                    # a numpy integer is an int


def test_generator_manual_seed_reseeds_in_place_and_returns_itself():
    """PyTorch's `g = torch.Generator().manual_seed(2147483647)`: the same seed, the same stream
    (numpy's PCG64 stream for that seed, not PyTorch's numbers)."""
    g = Generator()
    assert g.manual_seed(2147483647) is g and isinstance(g, np.random.Generator)
    first = g.normal(size=5)
    np.testing.assert_array_equal(g.manual_seed(2147483647).normal(size=5), first)
    np.testing.assert_array_equal(np.random.default_rng(2147483647).normal(size=5), first)


def test_generator_seed_errors_name_it():
    for seed, error in ((-1, ValueError), (1.5, TypeError)):
        with pytest.raises(error, match=rf"Generator.manual_seed: seed must be a non-negative "
                                        rf"int, got {seed!r}"):
            Generator().manual_seed(seed)


@pytest.mark.parametrize("number", [2 ** 200, 2 ** 128])
def test_a_generator_state_with_a_number_out_of_range_is_named(number):
    from autograd.random import get_state, set_state
    state = get_state()
    bad = {**state, "state": {**state["state"], "state": number}}
    with pytest.raises(ValueError, match=r"set_state: not a PCG64 generator state"):
        set_state(bad)
    set_state(state)                        # the shared generator is left as it was


def test_manual_seed_returns_none_and_the_shared_generator_is_default_rng():
    """Not PyTorch's generator object (it would print after every `manual_seed(0)` at a prompt):
    `default_rng()` is the generator a `generator=` argument takes."""
    from autograd import randn
    assert manual_seed(5) is None
    first = randn(3, generator=default_rng()).tolist()
    manual_seed(5)
    assert randn(3).tolist() == first


def test_a_copied_generator_is_still_a_seedable_generator():
    """copy.deepcopy (and pickle) of an autograd.Generator gave a plain numpy Generator, whose
    `manual_seed` is an AttributeError; now the copy is one, at the same point of the stream."""
    import copy
    import pickle
    original = autograd.Generator().manual_seed(7)
    original.random(3)
    for twin in (copy.deepcopy(original), copy.copy(original),
                 pickle.loads(pickle.dumps(original))):
        assert type(twin) is autograd.Generator and twin is not original
        assert twin.random(4).tolist() == copy.deepcopy(original).random(4).tolist()
        assert twin.manual_seed(7).random(2).tolist() == \
            autograd.Generator().manual_seed(7).random(2).tolist()
    ahead = original.random(2).tolist()              # the copies did not move the original
    assert ahead == copy.deepcopy(autograd.Generator().manual_seed(7)).random(5).tolist()[3:]


def test_torch_default_generator_names_the_shared_generator():
    with pytest.raises(AttributeError, match=r"torch.default_generator is autograd.default_rng"):
        autograd.default_generator


def test_pytorch_s_deterministic_algorithms_switch_is_accepted_and_kept():
    """fast.ai's set_seed calls torch.use_deterministic_algorithms(deterministic) before
    seeding: it was "module 'autograd' has no attribute ...", with no hint. glassgrad has only
    deterministic algorithms, so either mode runs the same code: a seeded run repeats."""
    before = autograd.are_deterministic_algorithms_enabled()
    try:
        draws = []
        for mode in (True, False):
            autograd.use_deterministic_algorithms(mode, warn_only=not mode)
            assert autograd.are_deterministic_algorithms_enabled() is mode
            manual_seed(3)
            x = autograd.randn(4, 5)
            draws.append(((x @ x.T).softmax(-1) * x.sum()).numpy())
        np.testing.assert_array_equal(draws[0], draws[1])
        for bad in ({"mode": 1}, {"mode": True, "warn_only": "yes"}):
            with pytest.raises(TypeError, match=r"^use_deterministic_algorithms: \w+ must be a "
                                                r"bool, got "):
                autograd.use_deterministic_algorithms(**bad)
    finally:
        autograd.use_deterministic_algorithms(before)
