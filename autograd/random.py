"""One seedable source of randomness (a numpy Generator) for everything random in glassgrad.

>>> from autograd import manual_seed, default_rng
>>> manual_seed(0); a = default_rng().normal()
>>> manual_seed(0); a == default_rng().normal()
True

`get_state()` and `set_state()` save and restore where the shared generator stands (plain data:
it goes into a checkpoint with `nn.save`), so a resumed run draws the same dropout masks and
shuffles as an uninterrupted one:

>>> from autograd.random import get_state, set_state
>>> state = get_state(); b = default_rng().normal()
>>> set_state(state); b == default_rng().normal()
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the shared generator (initialisers, dropout, shuffling use it unless given rng=)."""
    global _rng
    try:
        _rng = np.random.default_rng(seed)
    except (TypeError, ValueError) as error:    # numpy's words are about SeedSequence
        raise type(error)(f"manual_seed: seed must be a non-negative int, got {seed!r}") \
            from None


def default_rng() -> np.random.Generator:
    """The shared generator."""
    return _rng


def get_state() -> dict[str, Any]:
    """The shared generator's state, as plain data (numpy's `bit_generator.state`)."""
    return _rng.bit_generator.state


def set_state(state: dict[str, Any]) -> None:
    """Put the shared generator back where `get_state()` found it."""
    set_generator_state("set_state", _rng, state)


def set_generator_state(where: str, rng: np.random.Generator, state: Any) -> None:
    """`rng.bit_generator.state = state`, with an error that names `where` if it does not fit."""
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as err:
        raise ValueError(f"{where}: not a {type(rng.bit_generator).__name__} generator state "
                         f"(from get_state() / state_dict()): {err}") from None
