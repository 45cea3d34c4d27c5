"""Record PyTorch's numbers for the suite's cross-checks, so that they also run without torch.

Run by hand where PyTorch is installed, from the project root, then commit tests/reference/:

    python tests/reference/make_references.py

For each name in NAMES, `tests/test_<name>.py` defines `pytorch_reference(torch)`: the inputs
of its cross-checks (drawn with numpy from fixed seeds) and what PyTorch computes from them, by
key. This script writes them to `tests/reference/<name>.npz`; the test file compares glassgrad
with them, and tests/test_references.py checks (where torch is installed) that the files are
still what this script would write.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import sys
import tempfile
from typing import Callable

import numpy as np

TESTS = pathlib.Path(__file__).resolve().parents[1]
for folder in (TESTS.parent, TESTS):           # the project and the test modules, run from anywhere
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from reference import REFERENCE_DIR  # noqa: E402

NAMES = [     # one per line, sorted: each test file that records torch's numbers adds its own
    "attention",
    "batchnorm",
    "conv",
    "conv3d",
    "conv_layers",
    "ctc",
    "data_dataset",
    "embedding_bag",
    "fold",
    "fuzz_torch",
    "gelu",
    "groupnorm",
    "higher_order",
    "layernorm",
    "layers",
    "lbfgs",
    "lecture_gpt_ports",
    "lecture_makemore_ports",
    "lecture_micrograd",
    "linalg",
    "loss_options",
    "losses_more",
    "lr_scheduler_cycles",
    "nn_functional",
    "optim",
    "pool",
    "pool_indices",
    "pytorch_compat",
    "recurrent",
    "resampling",
    "rmsnorm",
    "statistics",
    "tensor_scatter",
    "tensor_torch_math",
    "transformer",
    "utils_norm_hooks",
    "utils_parametrizations",
    "utils_rnn",
]


def maker(name: str) -> Callable[[object], dict[str, np.ndarray]]:
    """`pytorch_reference` of tests/test_<name>.py."""
    return importlib.import_module(f"test_{name}").pytorch_reference


def write(name: str, arrays: dict[str, np.ndarray]) -> pathlib.Path:
    """Save the arrays to <name>.npz atomically (a half-written reference never lands)."""
    path = REFERENCE_DIR / f"{name}.npz"
    handle, temporary = tempfile.mkstemp(dir=REFERENCE_DIR, suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez_compressed(file, **arrays)     # (zip-deflated: ~15 % smaller)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


def main() -> None:
    import torch

    for name in NAMES:
        path = write(name, maker(name)(torch))
        print(f"{path.relative_to(TESTS.parent)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
