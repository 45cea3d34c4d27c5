"""A dataset that a worker started by 'spawn' or 'forkserver' can import (tests/ is on the
path the calling process gives its workers), for tests/test_data_workers.py."""

from __future__ import annotations

import os

import numpy as np

import autograd
from nn.data import Dataset, get_worker_info


class Rows(Dataset):
    """Sample i: (row i, whose entries are i, i + 0.25, i + 0.5, as float32; i % 3)."""

    def __init__(self, n: int = 12) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return (i + 0.25 * np.arange(3)).astype(np.float32), i % 3


class WhoMadeIt(Rows):
    """A sample that says which worker read it, in which process, and what that worker's
    generators drew: (pid, worker id, seed, glassgrad's draw, numpy's global draw)."""

    def __getitem__(self, i: int) -> dict:
        info = get_worker_info()
        return {"pid": os.getpid(), "id": -1 if info is None else info.id,
                "seed": -1 if info is None else info.seed,
                "autograd": float(autograd.default_rng().random()),
                "numpy": float(np.random.random())}
