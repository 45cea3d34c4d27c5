"""PyTorch's numbers, recorded: the suite's cross-checks against PyTorch run without torch.

CI installs no torch, so a test that asks torch for its answer is skipped there. Each
`tests/reference/<name>.npz` holds, for the cross-checks of `tests/test_<name>.py`, the inputs
and what PyTorch computed from them; the test file's `pytorch_reference(torch)` computes those
arrays and `make_references.py` (run by hand where torch is installed) writes them. The files
hold plain arrays only: they load with `allow_pickle=False`.

>>> sorted(recorded("lecture_micrograd"))[:2]
['b', 'b.grad']
"""

from __future__ import annotations

import functools
import pathlib
from typing import Callable, Mapping, Sequence

import numpy as np

REFERENCE_DIR = pathlib.Path(__file__).resolve().parent
REGENERATE = "python tests/reference/make_references.py"

# the seed of conftest's `rng` fixture: the recorded cases draw the live tests' very inputs
SEED = 20240611


def draw() -> np.random.Generator:
    """A fresh generator in the state the `rng` fixture hands to each test."""
    return np.random.default_rng(SEED)


@functools.lru_cache(maxsize=None)
def recorded(name: str) -> Mapping[str, np.ndarray]:
    """The arrays of `tests/reference/<name>.npz` by key, in the order they were written
    (read-only: one copy serves every test)."""
    path = REFERENCE_DIR / f"{name}.npz"
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays


def recorded_case(name: str, case: str) -> dict[str, np.ndarray]:
    """The arrays recorded under `<case>/` in `<name>.npz`, without that prefix."""
    arrays = under(case, recorded(name))
    if not arrays:
        raise KeyError(f"no case {case!r} recorded in tests/reference/{name}.npz; after "
                       f"changing the cases, regenerate the files: {REGENERATE}")
    return arrays


def under(prefix: str, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The entries whose key starts with `<prefix>/`, keyed by the rest, in order.

    >>> under("a", {"a/x": 1, "b/x": 2, "a/y": 3})
    {'x': 1, 'y': 3}
    """
    start = prefix + "/"
    return {key[len(start):]: value for key, value in arrays.items() if key.startswith(start)}


def prefixed(prefix: str, arrays: Mapping[str, object]) -> dict[str, np.ndarray]:
    """The arrays keyed `<prefix>/<key>`, as numpy arrays (torch tensors detached): the inverse
    of `under`.

    >>> prefixed("a", {"x": 1.5})
    {'a/x': array(1.5)}
    """
    return {f"{prefix}/{key}": as_array(value) for key, value in arrays.items()}


def as_array(value: object) -> np.ndarray:
    """A numpy copy of an array, a number, or a torch tensor (detached, on the CPU)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.array(value)


def record_cases(ids: Sequence[str], cases: Sequence[tuple],
                 draw_inputs: Callable[..., dict], compute: Callable[..., dict]
                 ) -> dict[str, np.ndarray]:
    """Under `<id>/` for each case: its inputs, `draw_inputs(draw(), case)` (the live test's),
    and the results of `compute(case, **inputs)`."""
    arrays = {}
    for case_id, case in zip(ids, cases):
        inputs = draw_inputs(draw(), case)
        arrays.update(prefixed(case_id, {**inputs, **compute(case, **inputs)}))
    return arrays


def drawn_state(rng: np.random.Generator, state: Mapping[str, object]) -> dict[str, np.ndarray]:
    """A state dict with `state`'s names, shapes and dtypes and numbers drawn from `rng`
    (PyTorch's own initialisation would not be reproducible from numpy's seed): weights,
    biases and running means uniform in [-1, 1], running variances in [0.5, 2], counters kept.

    >>> drawn_state(draw(), {"bn.running_var": np.ones(2, np.float32)})["bn.running_var"].dtype
    dtype('float32')
    """
    drawn = {}
    for name, value in state.items():
        value = as_array(value)
        if value.dtype.kind != "f":
            drawn[name] = value
        elif name.endswith("running_var"):
            drawn[name] = rng.uniform(0.5, 2.0, value.shape).astype(value.dtype)
        else:
            drawn[name] = rng.uniform(-1.0, 1.0, value.shape).astype(value.dtype)
    return drawn


def cut(weights: np.ndarray, state: Mapping[str, object]) -> dict[str, np.ndarray]:
    """The vector `weights` cut into `state`'s shapes, in its order: a state dict to load. The
    recorded numbers land on the same parameters in both libraries only if their state dicts
    list the same names with the same shapes in the same order.

    >>> cut(np.arange(5.0), {"w": np.zeros((2, 2)), "b": np.zeros(1)})["b"]
    array([4.])
    """
    ends = np.cumsum([np.prod(as_array(value).shape, dtype=int) for value in state.values()])
    return {name: part.reshape(as_array(value).shape) for (name, value), part
            in zip(state.items(), np.split(weights, ends[:-1]))}


def layout(state: Mapping[str, object]) -> dict[str, tuple]:
    """Name -> (shape, dtype) of a state dict: what must agree for it to load into the
    other library's model (PyTorch's strict `load_state_dict` checks the names and shapes).

    >>> layout({"w": np.zeros((2, 3), np.float32)})
    {'w': ((2, 3), dtype('float32'))}
    """
    return {name: (as_array(value).shape, as_array(value).dtype) for name, value in state.items()}


def assert_matches(ours: Mapping[str, object], theirs: Mapping[str, np.ndarray],
                   rtol: float, atol: float, inputs: tuple[str, ...] = ()) -> None:
    """Every array of `ours` equals `theirs`' of the same name within the tolerances, and
    `theirs` holds nothing else but the named inputs (no recorded result goes unchecked)."""
    assert set(theirs) - set(inputs) == set(ours), (sorted(theirs), sorted(ours))
    for name, value in ours.items():
        np.testing.assert_allclose(as_array(value), theirs[name], rtol=rtol, atol=atol,
                                   err_msg=name)
