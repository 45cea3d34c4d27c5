"""PyTorch's `torch.cov` and `torch.corrcoef` (`t.cov()`, `t.corrcoef()`): the covariance and
correlation matrices of variables in rows, observations in columns (numpy's np.cov layout;
PCA's covariance of a data matrix X, samples in rows, is X.T.cov()). Made of Tensor ops,
so differentiable to any order, in the data and in aweights.

>>> from autograd import Tensor
>>> x = Tensor([[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]])        # the second row: twice the first
>>> cov(x).tolist()
[[2.3333332538604736, 4.666666507720947], [4.666666507720947, 9.333333015441895]]
>>> corrcoef(x).tolist()
[[1.0, 1.0], [1.0, 1.0]]
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .tensor import Tensor, _as_tensor
from .warn import warn


def _weights(name: str, w: Any, integral: bool, observations: int) -> Tensor:
    """fweights (integers) or aweights (floats) checked as PyTorch's: 1-d (or 0-d), one per
    observation, none negative."""
    w = _as_tensor(w, "cov")
    kinds, wanted = ("iu", "an integer dtype") if integral else ("f", "a floating dtype")
    if w.data.dtype.kind not in kinds:
        raise TypeError(f"cov: {name} must have {wanted}, got {w.data.dtype}")
    if w.ndim > 1:
        raise ValueError(f"cov: {name} must be 1-d (one weight per observation), got shape "
                         f"{w.shape}")
    if w.data.size != observations:
        raise ValueError(f"cov: {name} has {w.data.size} weights, but x has {observations} "
                         f"observations (its columns)")
    if (w.data < 0).any():
        raise ValueError(f"cov: {name} must not be negative, got {w.data.min()}")
    return w.reshape(-1)


def cov(x: Any, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Tensor:
    """The covariance matrix of the variables in x's rows (observations in its columns), or
    the variance of a 1-d x (a 0-d result): PyTorch's `torch.cov` and `x.cov()`, numpy's
    np.cov. Divided by N − correction (1, the default: the unbiased estimate; 0: by N).
    fweights (integers: how often each observation occurs) and aweights (floats: importance)
    weight the observations; with aweights the divisor is Σw − correction · Σ(w·a)/Σw, as in
    both. A divisor at or below 0 (too few observations) warns and gives inf or NaN, as
    PyTorch's. Integer data is taken in the default float dtype. As PyTorch's, a result of
    one variable is 0-d.

    >>> round(cov(Tensor([1.0, 2.0, 3.0, 4.0])).item(), 6)       # the variance, / (N - 1)
    1.666667
    """
    x = _as_tensor(x, "cov")
    if x.ndim > 2:
        raise ValueError(f"cov: x must be 1-d (one variable) or 2-d (variables in rows, "
                         f"observations in columns), got shape {x.shape}")
    if x.data.dtype.kind == "b":
        raise TypeError("cov: x is a bool tensor; convert it with .float() (as PyTorch, which "
                        "refuses bool too)")
    if not isinstance(correction, numbers.Integral) or isinstance(correction, bool):
        raise TypeError(f"cov: correction must be an int (0: divide by N, 1: by N - 1), got "
                        f"{correction!r}")
    x = x._floating()
    rows = x if x.ndim == 2 else x.reshape(1, -1)
    observations = rows.shape[1]
    w = None
    if fweights is not None:
        w = _weights("fweights", fweights, True, observations).astype(x.data.dtype)
    a = None
    if aweights is not None:
        a = _weights("aweights", aweights, False, observations)
        w = a if w is None else w * a
    with np.errstate(divide="ignore", invalid="ignore"):      # (no observations: NaN)
        if w is None:
            total = observations
            mean = rows.sum(1, keepdim=True) / total
        else:
            total = w.sum()
            mean = (rows * w).sum(1, keepdim=True) / total
        if correction == 0:
            divisor = total
        elif a is None:
            divisor = total - correction
        else:
            divisor = total - correction * (w * a).sum() / total
        if float(divisor if isinstance(divisor, numbers.Number) else divisor.data) <= 0:
            warn(f"cov: the divisor N - correction is <= 0 ({observations} observations, "
                 f"correction={correction}): the result is inf or NaN", RuntimeWarning)
            divisor = divisor * 0 if isinstance(divisor, Tensor) else 0.0
        centred = rows - mean
        weighted = centred if w is None else centred * w
        out = (weighted @ centred.mT) / divisor
    return out.reshape(()) if out.shape == (1, 1) else out


def corrcoef(x: Any) -> Tensor:
    """The Pearson correlation coefficients of the variables in x's rows: cov(x) divided by
    the standard deviations of both variables, clipped to [-1, 1]; PyTorch's `torch.corrcoef`
    and `x.corrcoef()`, numpy's np.corrcoef. A variable that is constant has none (0/0: NaN),
    as in both. Differentiable as cov, sqrt and the division are.

    >>> corrcoef(Tensor([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]])).tolist()
    [[1.0, -0.5], [-0.5, 1.0]]
    """
    c = cov(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        if c.ndim == 0:
            return c / c
        std = c.diagonal().sqrt()
        return (c / std[:, None] / std[None, :]).clip(-1.0, 1.0)
