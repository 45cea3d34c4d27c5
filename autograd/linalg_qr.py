"""PyTorch's `torch.linalg.qr` (and the old `t.qr(some)`), differentiable: A = Q R, the op in
autograd/ops/qr.py. Exported by `autograd.linalg`.

>>> import numpy as np
>>> from autograd import Tensor
>>> Q, R = qr(Tensor([[3.0, 1.0], [4.0, 2.0]]))
>>> np.allclose(Q.data @ R.data, [[3.0, 1.0], [4.0, 2.0]]), round(abs(R.data[0, 0].item()), 5)
(True, 5.0)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .graph import apply
from .linalg import _factorable
from .ops import Qr
from .ops.qr import MODES
from .tensor import Tensor


class QrResult(NamedTuple):
    """What `qr` gives, as PyTorch's: `Q, R = qr(A)`.

    >>> qr(Tensor([[1.0, 2.0], [0.0, 1.0], [1.0, 0.0]])).R.shape
    (2, 2)
    """
    Q: Tensor
    R: Tensor


def qr(A: Any, mode: str = "reduced") -> QrResult:
    """The QR decomposition A = Q R of a matrix, or of each in a batch (..., m, n): PyTorch's
    `torch.linalg.qr`. Q has orthonormal columns and R is upper triangular; mode='reduced'
    (the default): Q (..., m, k) and R (..., k, n), k = min(m, n); 'complete': Q (..., m, m)
    and R (..., m, n); 'r': R alone (Q an empty tensor), without a gradient, as in PyTorch.
    Signs are LAPACK's (R's diagonal may be negative; Q's column i and R's row i change sign
    together), as numpy's and PyTorch's.

    The gradient (to any order) is that of the reduced decomposition and needs A's first k
    columns of full rank (a 0 on R's diagonal, to rounding, is refused in backward, naming
    the batch index). With mode='complete' and m > n, the columns of Q past n are any
    orthonormal basis of the rest of the space: a loss that uses them is refused (PyTorch
    refuses mode='complete' with m > n whatever the loss); the first n get their gradient.

    >>> A = Tensor([[1.0, 2.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float64, requires_grad=True)
    >>> Q, R = qr(A)
    >>> Q.shape, R.shape
    ((3, 2), (2, 2))
    >>> (R.diagonal() ** 2).sum().backward()        # ‖a₁‖² + dist(a₂, span a₁)²
    >>> A.grad.round(6).tolist()                    # column 1: 2 (a₂ − its projection on a₁)
    [[0.0, 2.0], [-2.0, 2.0], [4.0, -2.0]]
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"qr: mode must be 'reduced' (the default), 'complete' or 'r', got "
                         f"{mode!r}")
    A = _factorable("qr", A, square=False)
    m, n = A.shape[-2:]
    k = min(m, n)
    packed = apply(Qr, (A,), mode)
    if mode == "r":
        return QrResult(Tensor(np.zeros(0, dtype=A.data.dtype)), packed)
    p = m if mode == "complete" else k
    return QrResult(packed[..., :m, :p], packed[..., m:, :n])
