"""One seedable source of randomness (a numpy Generator) for everything random in glassgrad.

>>> from autograd import manual_seed, default_rng
>>> manual_seed(0); a = default_rng().normal()
>>> manual_seed(0); a == default_rng().normal()
True
"""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the shared generator (initialisers, dropout, shuffling use it unless given rng=)."""
    global _rng
    _rng = np.random.default_rng(seed)


def default_rng() -> np.random.Generator:
    """The shared generator."""
    return _rng
