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

`Generator` is a numpy Generator with PyTorch's `manual_seed`, for code that keeps its own stream
apart from the shared one (makemore's `g = torch.Generator().manual_seed(2147483647)`); the
creators, `multinomial` and `DataLoader` take it, or any numpy Generator, as `generator=`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .devices import check_device

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the shared generator (initialisers, dropout, shuffling use it unless given rng=).

    Returns None, where PyTorch's returns its default generator: glassgrad's examples and
    notebooks call `manual_seed(0)` alone at the prompt, where a returned object would print.
    The shared generator is `default_rng()`, which any `generator=` argument takes. It is
    reseeded in place, as PyTorch's is: a `default_rng()` kept from before (a loader's
    `generator=`, a layer's `rng=`) starts again from the seed too.

    >>> manual_seed(0); first = default_rng().integers(10, size=3).tolist()
    >>> manual_seed(0); default_rng().integers(10, size=3).tolist() == first   # replayed
    True
    """
    _rng.bit_generator.state = _seeded("manual_seed", seed).bit_generator.state


#: PyTorch's deterministic-algorithms mode, as last set (see use_deterministic_algorithms)
_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """PyTorch's `torch.use_deterministic_algorithms(mode)`, which fast.ai's `set_seed` calls:
    accepted, and nothing changes, because glassgrad has no nondeterministic algorithms to
    switch off (numpy on the CPU, no atomic adds: after `manual_seed` a run repeats bit for bit
    on the same machine and BLAS thread count). The mode is kept for
    `are_deterministic_algorithms_enabled()`.

    >>> use_deterministic_algorithms(True); are_deterministic_algorithms_enabled()
    True
    >>> use_deterministic_algorithms(False); are_deterministic_algorithms_enabled()
    False
    """
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"use_deterministic_algorithms: {name} must be a bool, got "
                            f"{value!r}")
    _deterministic.update(mode=bool(mode), warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    """The mode last given to `use_deterministic_algorithms` (False at first, as in PyTorch).

    >>> isinstance(are_deterministic_algorithms_enabled(), bool)
    True
    """
    return _deterministic["mode"]


def _seeded(where: str, seed: int) -> np.random.Generator:
    """A new numpy Generator seeded with `seed`, or an error naming `where`."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as error:    # numpy's words are about SeedSequence
        raise type(error)(f"{where}: seed must be a non-negative int, got {seed!r}") from None


def default_rng() -> np.random.Generator:
    """The shared generator.

    >>> isinstance(default_rng(), np.random.Generator)
    True
    """
    return _rng


def get_state() -> dict[str, Any]:
    """The shared generator's state, as plain data (numpy's `bit_generator.state`).

    >>> get_state()["bit_generator"]
    'PCG64'
    """
    return _rng.bit_generator.state


def set_state(state: dict[str, Any]) -> None:
    """Put the shared generator back where `get_state()` found it.

    >>> state = get_state(); first = default_rng().random()
    >>> set_state(state); default_rng().random() == first
    True
    """
    set_generator_state("set_state", _rng, state)


def set_generator_state(where: str, rng: np.random.Generator, state: Any) -> None:
    """`rng.bit_generator.state = state`, with an error that names `where` if it does not fit.

    >>> set_generator_state("load", np.random.default_rng(), {"bit_generator": "MT19937"})
    Traceback (most recent call last):
    ValueError: load: not a PCG64 generator state (from get_state() / state_dict()): ...
    """
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as err:   # (a number out of range)
        raise ValueError(f"{where}: not a {type(rng.bit_generator).__name__} generator state "
                         f"(from get_state() / state_dict()): {err}") from None


#: where an unseeded `Generator()` starts (any fixed number: a fresh entropy seed would make a
#: script that forgets `.manual_seed` draw other numbers every run, which PyTorch's does not)
_GENERATOR_SEED = 67280421310721


class Generator(np.random.Generator):
    """A numpy Generator that PyTorch code can seed: `Generator().manual_seed(seed)` reseeds it in
    place and returns it, as `torch.Generator().manual_seed(seed)` does. Unseeded, it starts from
    one fixed seed, as PyTorch's does, so a script that never seeds it still repeats its numbers
    run after run (`autograd.manual_seed` does not reach it: it is not the shared generator).

    It draws with numpy's PCG64, not PyTorch's Mersenne Twister: a seed replays the same numbers
    in glassgrad every time, but they are not PyTorch's numbers for that seed.

    >>> g = Generator().manual_seed(2147483647)
    >>> first = g.random()
    >>> g.manual_seed(2147483647).random() == first
    True
    >>> Generator().random() == Generator().random()        # unseeded: the same fixed start
    True

    A copy (`copy.deepcopy`, as a model's or a loader's copy makes) is a Generator too, and
    draws what the original draws next:

    >>> import copy
    >>> twin = copy.deepcopy(g)
    >>> twin.manual_seed(1) is twin and copy.deepcopy(g).random() == g.random()
    True
    """

    def __init__(self, device: Any = None) -> None:
        """`device` is PyTorch's: the CPU (or None), the only device here."""
        check_device("Generator", device)
        super().__init__(np.random.PCG64(_GENERATOR_SEED))

    def manual_seed(self, seed: int) -> Generator:
        """Start again from `seed` (a non-negative int); returns this generator."""
        self.bit_generator.state = _seeded("Generator.manual_seed", seed).bit_generator.state
        return self

    def __reduce__(self) -> tuple:
        """How `copy.deepcopy` and pickle rebuild it: an `autograd.Generator` at the same point
        of its stream (numpy's own rule would give back a plain numpy Generator, which has no
        `manual_seed`)."""
        return _generator_at, (self.bit_generator.state,)


def _generator_at(state: dict[str, Any]) -> Generator:
    """A `Generator` whose stream stands at `state` (what `Generator.__reduce__` names)."""
    generator = Generator()
    generator.bit_generator.state = state
    return generator


def chosen_generator(where: str, generator: Any) -> np.random.Generator:
    """The generator a `generator=` argument names: None is the shared one, a numpy Generator
    (an `autograd.Generator` among them) is used as it is; anything else is an error naming
    `where`.

    >>> chosen_generator("randn", 0)
    Traceback (most recent call last):
    TypeError: randn: generator must be a numpy Generator, such as ...; got int
    """
    if generator is None:
        return _rng
    if isinstance(generator, np.random.Generator):
        return generator
    kind = type(generator)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    raise TypeError(f"{where}: generator must be a numpy Generator, such as "
                    f"autograd.Generator().manual_seed(0), or None for the shared one; got {name}")
