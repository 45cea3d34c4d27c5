"""`relaxed_gc()`: raises the GC's first threshold for a block and always restores it."""

from __future__ import annotations

import gc

import pytest

from autograd import relaxed_gc


def test_raises_threshold_inside_and_restores_after():
    """Inside: the first threshold is the requested one, the others unchanged; after: as before."""
    before = gc.get_threshold()
    with relaxed_gc(123_456):
        assert gc.get_threshold() == (123_456,) + before[1:]
    assert gc.get_threshold() == before


def test_restores_even_on_exception():
    """An exception inside the block does not leave the relaxed threshold behind."""
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        with relaxed_gc():
            assert gc.get_threshold()[0] == 1_000_000
            raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_nesting_and_decorator():
    """Nested blocks restore level by level; as a decorator it wraps each call."""
    before = gc.get_threshold()

    @relaxed_gc(5_000)
    def inner():
        return gc.get_threshold()[0]

    with relaxed_gc(50_000):
        assert inner() == 5_000
        assert gc.get_threshold()[0] == 50_000
    assert gc.get_threshold() == before


def test_rejects_a_non_positive_threshold():
    """0 would disable automatic collection altogether: refused."""
    with pytest.raises(ValueError):
        relaxed_gc(0)


def test_as_a_bare_decorator_as_no_grad_is():
    """`@relaxed_gc` without parentheses raised "'<' not supported between instances of
    'function' and 'int'"."""
    before = gc.get_threshold()

    @relaxed_gc
    def inner(x):
        return x, gc.get_threshold()[0]

    assert inner(3) == (3, 1_000_000) and inner.__name__ == "inner"
    assert gc.get_threshold() == before


@pytest.mark.parametrize("threshold", ["1000", None, True])
def test_a_threshold_that_is_no_number_is_named(threshold):
    with pytest.raises(TypeError, match="relaxed_gc: threshold must be a number of objects"):
        relaxed_gc(threshold)
    with pytest.raises(ValueError, match="relaxed_gc: threshold must be positive, got nan"):
        relaxed_gc(float("nan"))


def test_does_not_disable_the_collector():
    """The library never switches the GC off; cyclic garbage is still collectable inside."""
    with relaxed_gc():
        assert gc.isenabled()
        box = []
        box.append(box)
        del box
        assert gc.collect() >= 1


def test_a_scalar_graph_makes_one_tracked_object_per_op():
    """The module docstring's count: each Value op adds one GC-tracked object, its node (the
    floats and the op's constant are not tracked), which is what the thresholds are weighed
    against."""
    from autograd import Value
    w, x = Value(0.5), Value(2.0)
    was_enabled = gc.isenabled()
    gc.disable()                        # so that no collection resets the count midway
    try:
        before = gc.get_count()[0]
        y = w * x + 1.0                 # two ops: Mul and AddConst
        made = gc.get_count()[0] - before
    finally:
        if was_enabled:
            gc.enable()
    assert gc.is_tracked(y) and made == 2
