"""numpy 1.x's casting of 0-d results, undone for the ops that need it.

numpy 1.x promotes a 0-d array with a Python number as if both were scalars: a 0-d float32 x
gives float64 for x ** 0.5, np.clip(x, 0, 1), 1 / (1 + x) or np.where(c, x, 0.5), and a 0-d
int8 or uint8 gives int64 for x ** 3 or np.clip(x, 0, 5), where numpy 2 (NEP 50), like
PyTorch, keeps the array's dtype; arrays with dimensions keep it on both. A loss is 0-d, so
`loss ** 0.5` or `loss.clamp(max=10)` became float64 on numpy 1.x only, and a uint8 10 ** 3
was 1000 there, 232 (wrapped round in uint8) on numpy 2 and in PyTorch. `@in_input_dtype` on
an op gives such a 0-d result its input's dtype again; on numpy 2 it changes nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: numpy 2 keeps a 0-d float32 with a Python float float32: nothing to undo there
NUMPY_1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"

#: what numpy 1.x widens a 0-d array of each category to, beside a Python number
_WIDENED = {"f": np.dtype(np.float64), "i": np.dtype(np.int64), "u": np.dtype(np.int64)}


def in_input_dtype(op: type) -> type:
    """Class decorator for an op whose result has the dtype of its (one) input: a 0-d float64
    result of a float32 or float16 input, or a 0-d int64 result of a narrower integer one, is
    cast back, on numpy 1.x.

    >>> from autograd.ops import PowConst
    >>> PowConst.forward(0.5, np.array(4.0, np.float32)).dtype
    dtype('float32')
    >>> PowConst.forward(3, np.array(10, np.uint8)).dtype
    dtype('uint8')
    """
    if not NUMPY_1:
        return op
    forward = op.forward

    def forward_in_input_dtype(ctx: Any, *inputs: Any) -> Any:
        out = forward(ctx, *inputs)
        if getattr(out, "ndim", None) == 0:
            dtypes = {x.dtype for x in inputs if isinstance(x, np.ndarray)}
            if len(dtypes) == 1:
                dtype = dtypes.pop()
                if out.dtype != dtype and out.dtype == _WIDENED.get(dtype.kind):
                    return np.asarray(out, dtype)   # (an integer wraps round, as on numpy 2)
        return out

    forward_in_input_dtype.__doc__ = forward.__doc__
    op.forward = staticmethod(forward_in_input_dtype)
    return op
