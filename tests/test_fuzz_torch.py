"""Differential fuzzing against PyTorch: random small programs of Tensor ops (tests/fuzz_programs.py)
and random cases of the losses and layers (tests/fuzz_layers.py), run by both libraries on
the same numbers, in float64 (to 1e-10) and float32 (to 2e-5). Forward values, dtypes, the
gradients of a random weighted sum and (create_graph=True) the second derivatives must agree.

With torch installed, hypothesis draws the cases (deterministically: the suite's profile) and
torch answers live; without it, a fixed set of programs is checked against PyTorch's answers
recorded in tests/reference/fuzz_torch.npz. For a long local run:
GLASSGRAD_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz_torch.py

Known differences the programs steer around, each on purpose (see the notes in the files):
PyTorch's second derivative of b ** y is wrong where y == 0; its exact gelu loses digits
below x ≈ -5; an int beside an integer array indexes differently; a 0-d tensor takes dim 0.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzz_layers
import fuzz_programs
from fuzz_programs import Glass, Program, Torch, derivatives, mismatches, well_conditioned
from reference import recorded

try:
    import torch
except ImportError:                             # optional: the recorded cases still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check: pip install torch)")
EXAMPLES = int(os.environ.get("GLASSGRAD_FUZZ_EXAMPLES", "60"))
RTOL = {np.float64: 1e-10, np.float32: 2e-5}
DTYPES = st.sampled_from([np.float64, np.float32])


def _layer(lib, case, leaves, extras):
    return fuzz_layers.forward(lib, case, dict(zip(case.leaves, leaves)), extras)


def _agree(case, dtype, second: bool, inputs=None, build=fuzz_programs.run) -> None:
    """glassgrad's derivatives equal PyTorch's (a float32 case only if PyTorch's own float32
    and float64 answers agree: some programs amplify rounding, sin(large x) for one)."""
    lib = Torch(torch)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        theirs = derivatives(lib, case, dtype, second, inputs, build)
        if not all(np.isfinite(v).all() for k, v in theirs.items()
                   if k != "dtype" and v is not None):
            return                                          # overflowed: nothing to compare
        if dtype is np.float32:
            exact = derivatives(lib, case, np.float64, second, inputs, build)
            if not well_conditioned(theirs, {**exact, "dtype": "float32"}, RTOL[dtype]):
                return
        ours = derivatives(Glass, case, dtype, second, inputs, build)
    problems = mismatches(ours, theirs, RTOL[dtype])
    assert not problems, (case, problems)


@needs_torch
@settings(max_examples=EXAMPLES)
@given(program=fuzz_programs.programs(), dtype=DTYPES)
def test_random_programs_match_pytorch(program, dtype):
    _agree(program, dtype, second=True)


@needs_torch
@settings(max_examples=EXAMPLES)
@given(case=fuzz_layers.cases(), dtype=DTYPES)
def test_random_losses_and_layers_match_pytorch(case, dtype):
    _agree(case, dtype, case.twice, list(case.leaves.values()), _layer)


# ----------------------------------------------------------------------------------------------
# Recorded: fixed programs (one per kind of step), PyTorch's answers in fuzz_torch.npz
# ----------------------------------------------------------------------------------------------

def _fixed_programs() -> dict[str, Program]:
    rng = np.random.default_rng(7)
    u = lambda *shape: rng.uniform(-2, 2, shape)              # noqa: E731
    nonzero = lambda *shape: rng.uniform(0.3, 2, shape) * rng.choice([-1, 1], shape)  # noqa
    return {
        "elementwise": Program((2, 3), [("unary", "exp"), ("unary", "log"), ("gelu", "none"),
                                        ("leaky_relu", 0.2), ("unary", "sqrt"), ("gelu", "tanh"),
                                        ("unary", "sin")], [u(2, 3)]),
        "broadcast": Program((3, 1), [("binary", "/", 1, False), ("scalar", "-", 2, True),
                                      ("binary", "maximum", 2, True), ("pow", 3),
                                      ("rpow", 2.0), ("scalar", "*", np.float32(1.25), False)],
                             [u(3, 1), nonzero(1, 4), u(4)]),
        "ties": Program((2, 3), [("clip", -0.5, 0.5), ("unary", "abs"), ("unary", "relu"),
                                 ("reduce", "max", 1, True), ("binary", "where", 1, False)],
                        [np.array([[0.0, 0.5, -0.5], [1.0, 1.0, -1.0]]), np.zeros((1, 1))]),
        "reductions": Program((2, 3, 2), [("reduce", "logsumexp", (0, -1), True),
                                          ("var", -2, False, 1), ("unary", "tanh"),
                                          ("reduce", "mean", None, False)], [u(2, 3, 2)]),
        "softmax_matmul": Program((2, 3), [("softmax", 0), ("matmul", 1), ("log_softmax", -1),
                                           ("matmul", 2)], [u(2, 3), u(2, 3, 2), u(2)]),
        "shapes": Program((2, 3, 2), [("permute", (2, 0, 1)), ("index", (slice(None, None, -1),
                                                                        np.array([1, 1, 0]))),
                                      ("reshape", (-1,)), ("cat", 1, 0), ("unsqueeze", 0),
                                      ("stack", 2, 1), ("swap", 0, -1)],
                          [u(2, 3, 2), u(18), u(1, 36)]),
        "mask": Program((3, 2), [("binary", "pow_tensor", 1, False),
                                 ("index", np.array([[True, False], [True, True], [False, True]]))],
                        [u(3, 2), nonzero(2)]),
    }


FIXED = _fixed_programs()


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/fuzz_torch.npz: PyTorch's answers for the fixed programs (the inputs are
    drawn from a fixed seed in _fixed_programs)."""
    arrays = {}
    for name, program in FIXED.items():
        for dtype in (np.float64, np.float32):
            result = derivatives(Torch(torch), program, dtype, True)
            for key, value in result.items():
                if key != "dtype" and value is not None:
                    arrays[f"{name}/{dtype.__name__}/{key}"] = np.asarray(value)
    return arrays


@pytest.mark.parametrize("name", sorted(FIXED))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fixed_programs_match_pytorchs_recorded_answers(name, dtype):
    prefix = f"{name}/{dtype.__name__}/"
    theirs = {key[len(prefix):]: value for key, value in recorded("fuzz_torch").items()
              if key.startswith(prefix)}
    assert theirs, f"no recorded answers for {prefix}"
    ours = derivatives(Glass, FIXED[name], dtype, True)
    assert ours["dtype"] == np.dtype(dtype).name
    ours = {key: value for key, value in ours.items() if key != "dtype"}
    theirs.update({key: None for key in ours if key not in theirs})
    assert not mismatches(ours, theirs, RTOL[dtype])
