"""Elementwise functions of many numpy passes, run over an array in cache-sized blocks.

A function made of ~20-50 numpy passes (a rational approximation, an overflow-free sigmoid)
over a 2-million-element array streams each temporary through main memory: a float64
temporary of (4096, 512) is 16 MB, and each pass reads and writes it. Over blocks of 32768
elements every temporary is 256 KB or less and stays in the core's L2 cache, and numpy's
allocator hands the same small buffers back block after block (no page faults). Measured on
the exact GELU of a (4096, 512) float32 tensor (the s29 float64 path, 30 passes, one thread,
CPU time): 38 -> 20 ms, bit for bit the same numbers. Blocks of 8192 were slower (24-31 ms:
numpy's ~1 µs a call, 256 blocks x 30 calls), 32768-131072 the same (docs/measurements.md,
s31 transcendental).

>>> x = np.arange(6.0).reshape(2, 3)
>>> in_blocks(lambda b: (b * 2, b + 1), (x,), (np.float64, np.float32), block=4)[1]
array([[1., 2., 3.],
       [4., 5., 6.]], dtype=float32)
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

#: elements a block: 256 KB of float64
BLOCK = 32768


def in_blocks(function: Callable[..., tuple], arrays: Sequence[np.ndarray], dtypes: Sequence,
              block: int = BLOCK) -> tuple:
    """function(*parts) for consecutive parts of `arrays` (all of one shape, flattened in C
    order, 1-d), each call returning a tuple of arrays of the parts' shape; put together: one
    new array of that shape per entry of `dtypes`, or None where the entry is None (an output
    not asked for, which the function returns as None). Elementwise functions only: each
    element's results must depend on the same element of the inputs alone."""
    shape = arrays[0].shape
    flats = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
    size = flats[0].size
    if size <= block:                   # (one block: the function's own arrays, no copies)
        return tuple(None if p is None else p.reshape(shape) for p in function(*flats))
    outs = [None if d is None else np.empty(size, d) for d in dtypes]
    for start in range(0, size, block):
        parts = function(*(f[start:start + block] for f in flats))
        for out, part in zip(outs, parts):
            if out is not None:
                out[start:start + block] = part
    return tuple(None if o is None else o.reshape(shape) for o in outs)
