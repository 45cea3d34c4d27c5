"""Shared by the tests of `autograd.compile`: run a graph eagerly and compiled, compare."""

from __future__ import annotations

from typing import Callable, Sequence

from autograd import Value, compile

RTOL = 1e-12


def close(got: float, want: float, scale: float = 1.0) -> bool:
    """Equal to RTOL relative to the larger of |want| and `scale` (the size of its vector:
    a gradient that cancels to ~0 is compared at the scale of its neighbours)."""
    return abs(got - want) <= RTOL * max(abs(want), scale, 1e-300) or got == want


def assert_matches(compiled: Sequence[float], eager: Sequence[float], what: str) -> None:
    scale = max((abs(x) for x in eager), default=1.0)
    for i, (got, want) in enumerate(zip(compiled, eager)):
        assert close(got, want, scale), f"{what}[{i}]: compiled {got!r}, eager {want!r}"


def eager_pass(build: Callable[[], Value], leaves: Sequence[Value]) -> tuple[float, list]:
    """(output, gradients of the leaves) from a fresh eager graph."""
    for p in leaves:
        p.grad = 0.0
    out = build()
    out.backward()
    return out.data, [p.grad for p in leaves]


def compiled_pass(graph, leaves: Sequence[Value]) -> tuple[float, list]:
    for p in leaves:
        p.grad = 0.0
    value = graph.forward()
    graph.backward()
    return value, [p.grad for p in leaves]


def check_against_eager(build: Callable[[], Value], leaves: Sequence[Value],
                        new_data: Sequence[float] | None = None):
    """Compile `build()`'s graph; compare with eager mode at the recorded data and, if given,
    after assigning `new_data` to the leaves (the replay must follow the new numbers)."""
    graph = compile(build())
    for data in [None, new_data]:
        if data is not None:
            for p, x in zip(leaves, data):
                p.data = x
        value, grads = compiled_pass(graph, leaves)
        want_value, want_grads = eager_pass(build, leaves)
        assert close(value, want_value), f"forward: compiled {value!r}, eager {want_value!r}"
        assert_matches(grads, want_grads, "grad")
    return graph
