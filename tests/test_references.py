"""The recorded PyTorch numbers (tests/reference/): plain arrays, small, one file per name the
script writes, drawn from the live tests' seed, and, where torch is installed, still what
tests/reference/make_references.py would write."""

from __future__ import annotations

import numpy as np
import pytest

from reference import REFERENCE_DIR, REGENERATE, draw, recorded
from reference.make_references import NAMES, maker


def test_there_is_one_file_per_name_and_together_they_stay_small():
    files = sorted(REFERENCE_DIR.glob("*.npz"))
    assert [path.stem for path in files] == sorted(NAMES)
    # (the budget grows with the PyTorch surface the tests check: 400 kB held 17 files of
    # uncompressed arrays; compressed, each new layer's references take ~5-20 kB: 600 kB held
    # 30 files; session 21's CTC, parametrizations and 3-d family (conv3d.npz: convolutions,
    # pools, norms and padding of volumes, 89 kB) needed more)
    assert sum(path.stat().st_size for path in files) < 800_000


@pytest.mark.parametrize("name", NAMES)
def test_a_file_holds_plain_arrays_only(name):
    """np.load refuses pickled objects here, so loading a reference never runs code."""
    arrays = recorded(name)
    assert arrays and all(array.dtype.kind in "fiub" for array in arrays.values())


def test_the_recorded_inputs_are_the_live_tests(rng):
    """draw() starts where conftest's `rng` fixture does."""
    np.testing.assert_array_equal(draw().random(8), rng.random(8))


@pytest.mark.parametrize("name", NAMES)
def test_the_file_is_what_the_script_writes_now(name):
    """The cases, inputs and PyTorch's answers are current; numbers agree to rounding (another
    machine's PyTorch may sum in another order)."""
    torch = pytest.importorskip("torch", reason="regenerating the references needs PyTorch "
                                "(pip install torch); the tests still compare glassgrad with "
                                "the recorded numbers")
    fresh, committed = maker(name)(torch), recorded(name)
    assert list(fresh) == list(committed), f"the cases changed: {REGENERATE}"
    for key, value in fresh.items():
        assert (value.shape, value.dtype) == (committed[key].shape, committed[key].dtype), key
        # (float64: s32's host read LBFGS's logistic regression and linalg's answers 8e-12
        # apart from the recorded ones, PyTorch's own sums in another order)
        rtol = 1e-5 if value.dtype == np.float32 else 1e-10
        # a recorded rounding error (float32 matrix_exp's |QᵀQ - I|, ~1e-6) is that machine's
        # rounding itself: it only has to stay as small
        atol = 1e-5 if key.endswith("_error") else rtol
        np.testing.assert_allclose(value, committed[key], rtol=rtol, atol=atol,
                                   err_msg=f"{key}: {REGENERATE}")
