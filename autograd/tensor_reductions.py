"""Tensor's reductions, mixed into `Tensor` (autograd/tensor.py): sum, mean, max and min, var
and std, logsumexp and the softmaxes, argmax, prod, the running sums and products and their
inverse, diff (autograd/sampled.py), diagonals, norm, sort and topk, all and any, histogram;
and the order statistics and counts (median, quantile, mode, unique, ...), whose work is done
in autograd/statistics.py.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

import numpy as np

from .graph import apply
from .ops import (
    Cumprod, Cumsum, Gather, LogCumSumExp, LogSoftmax, LogSumExp, Max, Mean, Min, Prod,
    Softmax, Sum, VectorNorm,
)
from .ops.reduce import largest_magnitude
from .ops.softmax import LogSumExpCtx
from .pytorch_names import numpy_dtype
from .tensor_axes import (
    _all_if_empty, _axes, _numpy_names, _one_int, _positional_axis, _reduction_axes, _refuse_empty,
    _softmax_axis, _torch_names, _torch_var, _torch_var_positional,
)
from .tensor_functions import concatenate
from .tensor_operands import _python_number

if TYPE_CHECKING:
    from .tensor import NumpyMaxValues, NumpyMinValues, Tensor
# `Tensor`, a global here as in tensor.py, is put into this module by autograd/tensor.py once
# the class exists (tensor.py imports this module to make it, so it cannot be imported back);
# so are NumpyMaxValues and NumpyMinValues, the Tensor subclasses that a positional t.max(1)
# gives


class ValuesAndIndices(NamedTuple):
    """What `t.max(dim=d)`, `t.min(dim=d)`, `t.sort()` and `t.topk(k)` give, as PyTorch's do:
    `values, indices = ...` (the indices an int64 Tensor, a constant)."""
    values: "Tensor"
    indices: "Tensor"


class Histogram(NamedTuple):
    """What `t.histogram()` gives, as PyTorch's: `hist, bin_edges = ...` (constants)."""
    hist: "Tensor"
    bin_edges: "Tensor"


class ReductionMethods:
    """Tensor's methods that reduce axes, sort or count (see the module's docstring)."""

    __slots__ = ()

    # -- reductions ----------------------------------------------------------------------------

    def _reduce(self, op: type, axis: Any, keepdims: bool) -> Tensor:
        # (a loss reduces every axis: axis None needs no normalising, 1.5 µs of a small sum)
        axes = None if axis is None else _reduction_axes(axis, self.data.ndim, op.name,
                                                         self.data.shape)
        if op in (Max, Min) and self.data.size == 0:
            _refuse_empty(op.name, self.shape, axes)
        x, ctx = self, (axes, bool(keepdims))
        # an integer tensor's logsumexp is a fraction: floated first (its mean needs no cast:
        # numpy already gives float64 for it)
        if op is LogSumExp:
            x, ctx = self._floating(), LogSumExpCtx(*ctx)
        elif op is Sum and self.data.dtype.kind == "u":     # as PyTorch: numpy's uint64 sum
            x = Tensor(self.data.astype(np.int64))          # would wrap round below zero
        return apply(op, (x,), ctx)

    def _reduced(self, name: str, dtype: Any, out: Any) -> Tensor:
        """What a reduction works on: this tensor, cast first if a `dtype` is given (as in
        PyTorch). numpy's `np.sum(t)`, `np.mean(t)`, ... call the method with numpy's keywords
        (`out=None` among them), so they work too and record the graph."""
        if out is not None:
            raise TypeError(f"{name}: out= is not supported (a Tensor op makes a new Tensor); "
                            f"write result = t.{name}(...) instead")
        return self if dtype is None else self.astype(dtype)

    def sum(self, axis: Any = None, keepdims: bool = False, *, dtype: Any = None,
            out: Any = None, dim: Any = None, keepdim: bool | None = None) -> Tensor:
        """The sum along `axis` (all of them by default); `dim`/`keepdim` are PyTorch's names.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=1, keepdim=True).numpy()
        array([[3.],
               [7.]], dtype=float32)
        """
        if dim is not None or keepdim is not None:      # PyTorch's names
            axis, keepdims = _torch_names("sum", axis, keepdims, _all_if_empty(dim), keepdim)
        x = self if dtype is None and out is None else self._reduced("sum", dtype, out)
        return x._reduce(Sum, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False, *, dtype: Any = None,
             out: Any = None, dim: Any = None, keepdim: bool | None = None) -> Tensor:
        if dim is not None or keepdim is not None:      # PyTorch's names
            axis, keepdims = _torch_names("mean", axis, keepdims, _all_if_empty(dim), keepdim)
        x = self._reduced("mean", _fraction_dtype("mean", dtype), out)
        if x.data.dtype.kind != "f":    # integers, bools: a fraction, in the default float dtype
            from .tensor import get_default_dtype   # (tensor.py imports this module)
            return x._exactly_in_float64()._reduce(Mean, axis, keepdims).astype(get_default_dtype())
        return x._reduce(Mean, axis, keepdims)

    # The axis of max/min is positional-only under another name, so that a positional axis can
    # be told from `axis=`: PyTorch's `values, indices = t.max(1)` must not silently unpack the
    # rows of numpy's result (see NumpyMaxValues).
    def max(self, positional_axis: Any = None, /, keepdims: bool = False, *, axis: Any = None,
            out: Any = None, dim: Any = None, keepdim: bool | None = None) -> Any:
        """The largest number along `axis` (numpy's `max`: the values only). With `dim`,
        PyTorch's: the values and the indices where they are, `values, indices = t.max(dim=1)`.
        A positional `t.max(1)` is numpy's, and refuses to be unpacked or indexed by an int
        (`_, pred = t.max(1)`, `t.max(1)[1]`: PyTorch's pair, which it is not).

        >>> scores = Tensor([[0.1, 2.0, -1.0], [3.0, 0.5, 0.0]])
        >>> scores.max(axis=1).numpy()
        array([2., 3.], dtype=float32)
        >>> values, indices = scores.max(dim=1)
        >>> indices
        Tensor([1, 0], dtype=int64)
        >>> _, indices = scores.max(1)
        Traceback (most recent call last):
        TypeError: t.max(d) with a positional axis is numpy's max: the values only, ...

        With PyTorch's `keepdim=` (numpy's is `keepdims=`) a positional axis is PyTorch's too:

        >>> scores.max(1, keepdim=True).values.numpy()
        array([[2.],
               [3.]], dtype=float32)

        Given another tensor, PyTorch's elementwise maximum (`t.maximum(u)`):

        >>> scores.max(Tensor([1.0, 1.0, 1.0])).numpy()
        array([[1., 2., 1.],
               [3., 1., 1.]], dtype=float32)
        """
        return self._extreme(Max, positional_axis, keepdims, axis, out, dim, keepdim)

    def min(self, positional_axis: Any = None, /, keepdims: bool = False, *, axis: Any = None,
            out: Any = None, dim: Any = None, keepdim: bool | None = None) -> Any:
        """The smallest number along `axis`; with `dim`, values and indices; given another
        tensor, the elementwise minimum (see `max`)."""
        return self._extreme(Min, positional_axis, keepdims, axis, out, dim, keepdim)

    def _extreme(self, op: type, positional_axis: Any, keepdims: bool, axis: Any, out: Any,
                 dim: Any, keepdim: bool | None) -> Any:
        """`max` or `min` (`op` is Max or Min), with the three ways to call them sorted out."""
        name = op.name
        if isinstance(positional_axis, Tensor):     # PyTorch's t.max(u): elementwise
            given = {"axis": axis, "dim": dim, "keepdim": keepdim, "keepdims": keepdims or None}
            extra = ", ".join(f"{k}={v!r}" for k, v in given.items() if v is not None)
            if extra:
                raise TypeError(f"{name}: got the other tensor and {extra}; t.{name}(u) is the "
                                f"elementwise {name}imum of t and u, which takes no axis")
            return self.maximum(positional_axis) if op is Max else self.minimum(positional_axis)
        if positional_axis is not None:
            axis = _positional_axis(name, positional_axis, axis)
        # dim=, or an axis with PyTorch's keepdim= (numpy's is keepdims=): PyTorch's call, so
        # PyTorch's pair (makemore's logits.max(1, keepdim=True).values)
        if dim is not None or (keepdim is not None and positional_axis is not None):
            return self._with_indices(name, axis, keepdims, dim, keepdim, out)
        if keepdim is not None:                         # PyTorch's name
            axis, keepdims = _torch_names(name, axis, keepdims, None, keepdim)
        result = self._reduced(name, None, out)._reduce(op, axis, keepdims)
        if positional_axis is not None:
            return _numpy_values(result, name, axis)
        return result

    def _with_indices(self, name: str, axis: Any, keepdims: bool, dim: Any,
                      keepdim: bool | None, out: Any) -> ValuesAndIndices:
        """PyTorch's `t.max(dim=d)` / `t.min(dim=d)`: the values and, as an int64 Tensor (a
        constant: indices have no gradient), where they are along the one axis `d`. The values
        are picked at those indices, so the gradient goes to the one element picked where
        several are equal, as in PyTorch (`t.max(axis=d)`, a reduction, shares it among them,
        as PyTorch's amax)."""
        axis, keepdims = _torch_names(name, axis, keepdims, dim, keepdim)
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise TypeError(f"{name}: dim must be one int (PyTorch's max/min along an axis), "
                            f"got {axis!r}")
        x = self._reduced(name, None, out)
        if x.data.ndim == 0:                # (PyTorch's dim 0 or -1 of one number: itself)
            _reduction_axes(axis, 0, name)
            values, where = x.reshape(1)._with_indices(name, None, False, 0, None, None)
            return ValuesAndIndices(values.reshape(()), where.reshape(()))
        (at,) = _axes(axis, x.data.ndim, name)
        if x.shape[at] == 0:
            raise ValueError(f"{name}: the tensor of shape {x.shape} is empty along axis {axis} "
                             f"(the {name} of no numbers is undefined)")
        where = _first_extreme(x.data, at, name == "max")
        values = apply(Gather, (x,), (at, where))
        if not keepdims:
            where = where.squeeze(at)
            values = values.reshape(where.shape)
        return ValuesAndIndices(values, _index_tensor(where))

    def var(self, axis: Any = None, *positional: Any, keepdims: bool = False, ddof: int = 0,
            dtype: Any = None, out: Any = None, **pytorch: Any) -> Tensor:
        """Variance, numpy's definition: the sum of squared deviations divided by n - ddof (n by
        default). PyTorch's call works when it says the divisor (`unbiased=`, `correction=`, or
        PyTorch's positional `t.var(dim, unbiased, keepdim)`).

        >>> x = Tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> x.var(0, keepdims=True, ddof=1).numpy(), x.var(0, keepdim=True, unbiased=True).numpy()
        (array([[2., 8.]], dtype=float32), array([[2., 8.]], dtype=float32))
        >>> x.var(0, True).numpy()                  # PyTorch's positional unbiased=True
        array([2., 8.], dtype=float32)
        """
        if positional:
            pytorch = _torch_var_positional("var", positional, pytorch)
        if pytorch:
            axis, keepdims, ddof = _torch_var("var", axis, keepdims, ddof, pytorch)
        x = self._reduced("var", _fraction_dtype("var", dtype), out)
        if x.data.dtype.kind != "f":    # integers, bools: a fraction, in the default float dtype
            from .tensor import get_default_dtype   # (tensor.py imports this module)
            exact = x._exactly_in_float64().var(axis, keepdims=keepdims, ddof=ddof)
            return exact.astype(get_default_dtype())
        d, axes, dof = x._deviations("var", axis, ddof)
        try:
            with np.errstate(over="raise"):
                return (d * d).sum(axes, keepdims) * (1.0 / dof)
        except FloatingPointError:
            pass
        # a square, or their sum, overflowed: each (d / dof) · d is at most the variance, so
        # their sum overflows only where the variance is beyond a float, and so does no slope:
        # d / dof each, 2 d / dof summed (as (d / √dof)², the slope 2 d / √dof could overflow
        # before its / √dof). (`* c` of a number is MulConst, which works out no slope for c,
        # d · dvar, that could overflow though nobody asks for it)
        return (d * (1.0 / dof) * d).sum(axes, keepdims)

    def std(self, axis: Any = None, *positional: Any, keepdims: bool = False, ddof: int = 0,
            dtype: Any = None, out: Any = None, **pytorch: Any) -> Tensor:
        """Standard deviation, sqrt(var); where all the numbers are equal its gradient is 0.
        The arguments are var's (`t.std(dim, unbiased, keepdim)` positionally is PyTorch's)."""
        if positional:
            pytorch = _torch_var_positional("std", positional, pytorch)
        if pytorch:
            axis, keepdims, ddof = _torch_var("std", axis, keepdims, ddof, pytorch)
        x = self._reduced("std", _fraction_dtype("std", dtype), out)
        if x.data.dtype.kind != "f":
            return _root(x.var(axis, keepdims=keepdims, ddof=ddof))
        try:
            with np.errstate(over="raise", under="raise"):
                return _root(x.var(axis, keepdims=keepdims, ddof=ddof))
        except FloatingPointError:
            pass
        # a square under- or overflowed (1e-30 ** 2 is 0, 1e20 ** 2 inf, in float32), though
        # the deviation is a float: std = s · sqrt(Σ (d/s)² / (n - ddof)), s the largest |d|
        # (a constant: any s gives the same function), as BLAS's nrm2 scales its sum
        d, axes, dof = x._deviations("std", axis, ddof)
        s = largest_magnitude(d.data, axes)                                  # 1 at 0 and inf
        e = d / s
        root = _root((e * e).sum(axes, keepdims) * (1.0 / dof))
        return root * s.reshape(root.shape)

    def _deviations(self, name: str, axis: Any, ddof: int) -> tuple[Tensor, Any, int]:
        """(x - mean, the axes, n - ddof) for var and std along `axis`."""
        axes = _reduction_axes(axis, self.data.ndim, name)
        n = self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        if n - ddof <= 0:
            raise ValueError(f"{name}: {n} elements leave no degrees of freedom with "
                             f"ddof={ddof}")
        return self - self.mean(axes, keepdims=True), axes, n - ddof

    def logsumexp(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
                  keepdim: bool | None = None) -> Tensor:
        if dim is not None or keepdim is not None:      # PyTorch's names
            axis, keepdims = _torch_names("logsumexp", axis, keepdims, dim, keepdim)
        return self._reduce(LogSumExp, axis, keepdims)

    def softmax(self, axis: int | None = None, *, dim: int | None = None,
                dtype: Any = None) -> Tensor:
        """exp(x) / Σ exp(x) along `axis` (or `dim`); not given, the last axis up to 2-D and
        an error beyond (see `_softmax_axis`). `dtype` casts first, as in PyTorch.

        >>> Tensor([[0.0, 0.0], [1.0, 1.0]]).softmax(dim=0).numpy().round(4)
        array([[0.2689, 0.2689],
               [0.7311, 0.7311]], dtype=float32)
        """
        if axis is None or dim is not None:
            axis = _softmax_axis("softmax", axis, dim, self.data.shape)
        (axis,) = _axes(axis, max(self.data.ndim, 1), "softmax")
        x = self if dtype is None else self.astype(_fraction_dtype("softmax", dtype))
        return apply(Softmax, (x._floating(),), axis)

    def log_softmax(self, axis: int | None = None, *, dim: int | None = None,
                    dtype: Any = None) -> Tensor:
        """x - logsumexp(x) along `axis` (or `dim`), as `softmax`; `dtype` casts first."""
        if axis is None or dim is not None:
            axis = _softmax_axis("log_softmax", axis, dim, self.data.shape)
        (axis,) = _axes(axis, max(self.data.ndim, 1), "log_softmax")
        x = self if dtype is None else self.astype(_fraction_dtype("log_softmax", dtype))
        return apply(LogSoftmax, (x._floating(),), axis)

    def argmax(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
               keepdim: bool | None = None) -> Tensor:
        """Indices of the maxima, as an int64 Tensor (a constant: indices have no gradient),
        as PyTorch's; it indexes tensors and arrays and compares with numpy labels.

        >>> out = Tensor([[0.1, 2.0, -1.0], [3.0, 0.5, 0.0]])
        >>> out.argmax(dim=1)
        Tensor([1, 0], dtype=int64)
        >>> (out.argmax(dim=1) == np.array([1, 1])).float().mean().item()
        0.5
        """
        return self._arg_extreme("argmax", axis, keepdims, dim, keepdim)

    def argmin(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
               keepdim: bool | None = None) -> Tensor:
        """Indices of the minima, as an int64 Tensor (a constant; see `argmax`)."""
        return self._arg_extreme("argmin", axis, keepdims, dim, keepdim)

    def _arg_extreme(self, name: str, axis: Any, keepdims: bool, dim: Any,
                     keepdim: bool | None) -> Tensor:
        """argmax or argmin (`name`) over one axis, or over all elements as one flat row."""
        axis, keepdims = _torch_names(name, axis, keepdims, dim, keepdim)
        if axis is not None:
            if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
                raise TypeError(f"{name}: the axis must be one int (or None: all elements as "
                                f"one row), got {axis!r}")
            (axis,) = _axes(axis, max(self.data.ndim, 1), name)   # (0-d: dim 0 or -1)
            if self.data.ndim == 0:
                axis = None
        if self.data.size == 0:
            _refuse_empty(name, self.shape, None if axis is None else (axis,))
        found = self.data.argmax if name == "argmax" else self.data.argmin
        return _index_tensor(found(axis=axis, keepdims=bool(keepdims)))

    def amax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool = False) -> Tensor:
        """PyTorch's `amax`: the largest element over `dim` (an int, a tuple, or all axes);
        the gradient is shared evenly among tied maxima (as PyTorch's amax; `max(dim=)` gives
        it to the one it picks).

        >>> x = Tensor([[1.0, 3.0, 3.0]], requires_grad=True)
        >>> x.amax(dim=1).sum().backward(); x.grad
        array([[0. , 0.5, 0.5]], dtype=float32)
        """
        dim, keepdim = _numpy_names("amax", dim, keepdim, axis, keepdims)
        return self._reduce(Max, None if dim == () else dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool = False) -> Tensor:
        """PyTorch's `amin`: the smallest element over `dim` (see `amax`)."""
        dim, keepdim = _numpy_names("amin", dim, keepdim, axis, keepdims)
        return self._reduce(Min, None if dim == () else dim, keepdim)

    def prod(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
             out: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
        """The product over `dim` (all elements by default). Its slope for an element is the
        product of the others in its slice, also where some are 0 (no division by 0: one 0
        gets the product of the rest, two or more make every slope 0), as in PyTorch. Integers
        and bools multiply in int64.

        >>> x = Tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> x.prod().backward(); x.grad
        array([0., 6., 0.], dtype=float32)
        """
        dim, keepdim = _numpy_names("prod", dim, keepdim, axis, keepdims)
        x = self._reduced("prod", dtype, out)
        if x.data.dtype.kind in "biu":      # as PyTorch: int64 (numpy's uint8 would stay uint)
            return Tensor(x.data.prod(axis=_reduction_axes(dim, x.ndim, "prod"),
                                      keepdims=keepdim, dtype=np.int64))
        return apply(Prod, (x,), (_reduction_axes(dim, x.ndim, "prod"), bool(keepdim)))

    def cumsum(self, dim: int | None = None, *, dtype: Any = None, out: Any = None,
               axis: int | None = None) -> Tensor:
        """The running sum along `dim`: element i is the sum of elements 0..i. Its gradient is
        the upstream gradient's running sum from the end. Integers and bools sum in int64.

        >>> Tensor([[1.0, 2.0, 3.0]]).cumsum(dim=-1).tolist()
        [[1.0, 3.0, 6.0]]
        """
        return self._running("cumsum", "sum", Cumsum, np.cumsum, dim, dtype, out, axis)

    def cumprod(self, dim: int | None = None, *, dtype: Any = None, out: Any = None,
                axis: int | None = None) -> Tensor:
        """The running product along `dim`: element i is the product of elements 0..i. Its
        gradient is PyTorch's also where elements are 0 (no division by them). Integers and
        bools multiply in int64.

        >>> x = Tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> y = x.cumprod(dim=0); y.sum().backward()
        >>> y.tolist(), x.grad.tolist()
        ([2.0, 0.0, 0.0], [1.0, 8.0, 0.0])
        """
        return self._running("cumprod", "multiply", Cumprod, np.cumprod, dim, dtype, out, axis)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None
             ) -> Tensor:
        """PyTorch's `t.diff(n, dim, prepend, append)`, the inverse of cumsum: the differences
        of neighbours along `dim`, taken n times (`autograd.diff`, in autograd/sampled.py).

        >>> Tensor([1.0, 3.0, 6.0]).diff().tolist()
        [2.0, 3.0]
        """
        from .sampled import diff           # (sampled.py imports the Tensor)
        return diff(self, n, dim, prepend, append)

    def _running(self, name: str, verb: str, op: type, numpy_function: Any, dim: Any,
                 dtype: Any, out: Any, axis: Any) -> Tensor:
        """cumsum's and cumprod's shared steps: the axis from `dim` (or numpy's `axis`), the
        dtype, a 0-d tensor as one element, integers and bools in int64 (a constant)."""
        dim, _ = _numpy_names(name, dim, False, axis, False)
        if dim is None:
            raise TypeError(f"{name}: give the axis to {verb} along: dim= (or numpy's axis=)")
        x = self._reduced(name, dtype, out)
        (axis,) = _axes(dim, max(x.data.ndim, 1), name)     # (a 0-d tensor: dim 0 or -1)
        if x.data.ndim == 0:
            return getattr(x.reshape(1), name)(0).reshape(())
        if x.data.dtype.kind in "biu":
            return Tensor(numpy_function(x.data, axis=axis, dtype=np.int64))
        return apply(op, (x,), axis)

    def logcumsumexp(self, dim: int) -> Tensor:
        """The running log-sum-exp along `dim`: element i is ln(e^x_0 + ... + e^x_i), without
        overflow or underflow (a 1000 beside a -1000 is fine).

        >>> Tensor([-1000.0, 0.0, 1000.0]).logcumsumexp(0).tolist()
        [-1000.0, 0.0, 1000.0]
        """
        x = self._floating()
        axis = x._sort_axis("logcumsumexp", dim)
        if x.data.ndim == 0:
            return x.reshape(1).logcumsumexp(0).reshape(())
        return apply(LogCumSumExp, (x,), axis)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The diagonal of the matrices in axes dim1 and dim2 (above it for offset > 0, below
        for offset < 0), as a last axis, as in PyTorch; differentiable.

        >>> m = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> m.diagonal().tolist(), m.diagonal(1).tolist(), m.diagonal(-1).tolist()
        ([1.0, 5.0], [2.0, 6.0], [4.0])
        """
        offset = _one_int("diagonal", "offset", offset)
        if self.ndim < 2:
            raise ValueError(f"diagonal: needs a tensor of at least 2 dimensions, got shape "
                             f"{self.shape}")
        (first,), (second,) = (_axes(d, self.ndim, "diagonal", self.shape) for d in (dim1, dim2))
        if first == second:
            raise ValueError(f"diagonal: dim1 and dim2 name the same axis ({dim1} and {dim2}) "
                             f"of a tensor of shape {self.shape}")
        rest = [a for a in range(self.ndim) if a not in (first, second)]
        x = self if rest + [first, second] == list(range(self.ndim)) else self.permute(
            *rest, first, second)
        first_row, first_column = max(0, -offset), max(0, offset)
        along = np.arange(max(0, min(self.shape[first] - first_row,
                                     self.shape[second] - first_column)))
        return x[..., along + first_row, along + first_column]

    def trace(self) -> Tensor:
        """The sum of a matrix's diagonal (integers in int64, as PyTorch's).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).trace().item()
        5.0
        """
        if self.ndim != 2:
            raise ValueError(f"trace: expects a matrix (2-d), got shape {self.shape}")
        return self.diagonal().sum(dtype=np.int64 if self.data.dtype.kind in "biu" else None)

    def diag(self, diagonal: int = 0) -> Tensor:
        """PyTorch's diag: a matrix's diagonal as a vector (see `diagonal`), or a vector as
        the diagonal of a square matrix of zeros (above the main one for diagonal > 0, below
        for diagonal < 0); differentiable either way.

        >>> Tensor([1.0, 2.0]).diag(1).tolist()
        [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]
        """
        diagonal = _one_int("diag", "diagonal", diagonal)
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise ValueError(f"diag: expects a vector (1-d, to put on a diagonal) or a matrix "
                             f"(2-d, to take one from), got shape {self.shape}")
        n = self.shape[0]
        size = n + abs(diagonal)
        # a gather from the vector with a 0 after it: each place of the matrix picks its
        # element on the diagonal and the 0 elsewhere (its gradient is dropped)
        picks = np.full((size, size), n)
        along = np.arange(n)
        picks[along + max(0, -diagonal), along + max(0, diagonal)] = along
        return concatenate([self, self.new_zeros(1)])[picks]

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False, *,
             dtype: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
        """PyTorch's `t.norm(p, dim, keepdim)`: the vector p-norm (Σ |x|^p)^(1/p) over `dim`
        (all elements by default, as one vector): p = 2 or "fro" (the default: the Frobenius
        norm, which is the 2-norm of all the elements), 1, any other number, inf (the largest
        |x|), -inf (the smallest), 0 (the count of nonzeros). At 0 the slope is 0, as in
        PyTorch (where the norm is 0 and at elements that are 0). "nuc" is not supported.

        >>> x = Tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
        >>> n = x.norm(dim=1); n.tolist()
        [5.0, 0.0]
        >>> n.sum().backward(); x.grad
        array([[0.6, 0.8],
               [0. , 0. ]], dtype=float32)
        """
        if p == "fro":
            p = 2
        elif isinstance(p, str):
            raise ValueError(f"norm: p={p!r} is not supported; p is 'fro' or a number (inf, "
                             f"-inf, 0, 1, 2, ...)" + (" (the nuclear norm needs an SVD: "
                                                        "autograd.linalg.matrix_norm(t, 'nuc'))"
                                                        if p == "nuc" else ""))
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or math.isnan(p):
            raise TypeError(f"norm: p must be a number or 'fro', got {p!r}")
        dim, keepdim = _numpy_names("norm", dim, keepdim, axis, keepdims)
        x = self._reduced("norm", _fraction_dtype("norm", dtype), None)._floating()
        axes = _reduction_axes(None if dim == () else dim, x.data.ndim, "norm")
        if p in (math.inf, -math.inf) and x.data.size == 0:
            _refuse_empty("norm", x.shape, axes, f"{p}-norm")
        return apply(VectorNorm, (x,), (_python_number(p), axes, bool(keepdim)))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False
             ) -> ValuesAndIndices:
        """The elements sorted along `dim` and where they were: `values, indices = t.sort()`.
        The values are picked at the indices (their gradient goes back there, `gather`); the
        indices are an int64 Tensor (a constant, no gradient). Equal elements keep their order
        (a stable sort, whatever `stable` says); NaN sorts as the largest, as in PyTorch.

        >>> values, indices = Tensor([3.0, 1.0, 2.0]).sort(descending=True)
        >>> values.tolist(), indices
        ([3.0, 2.0, 1.0], Tensor([0, 2, 1], dtype=int64))
        """
        axis = self._sort_axis("sort", dim)
        order = _stable_order(self.data, axis, descending)
        return ValuesAndIndices(self._picked(axis, order), _index_tensor(order))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False
                ) -> Tensor:
        """The indices that sort the elements along `dim` (an int64 Tensor; see `sort`).

        >>> Tensor([3.0, 1.0, 2.0]).argsort()
        Tensor([1, 2, 0], dtype=int64)
        """
        return _index_tensor(_stable_order(self.data, self._sort_axis("argsort", dim),
                                           descending))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
             ) -> ValuesAndIndices:
        """The `k` largest elements along `dim` (the smallest with largest=False), largest
        first, and where they were: `values, indices = t.topk(3)`. As in `sort`, the values
        take the gradient back to where they were picked; the indices are an int64 Tensor.
        They come sorted also with sorted=False (PyTorch leaves that order open).

        >>> x = Tensor([[0.1, 0.7, 0.2]], requires_grad=True)
        >>> values, indices = x.topk(2)
        >>> values.sum().backward(); indices, x.grad
        (Tensor([[1, 2]], dtype=int64), array([[0., 1., 1.]], dtype=float32))
        """
        axis = self._sort_axis("topk", dim)
        n = self.shape[axis] if self.data.ndim else 1
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 0 <= k <= n:
            raise ValueError(f"topk: k must be an int from 0 to {n} (the length of dim {dim} "
                             f"of shape {self.shape}), got {k!r}")
        order = np.take(_stable_order(self.data, axis, largest), np.arange(int(k)), axis=axis)
        return ValuesAndIndices(self._picked(axis, order), _index_tensor(order))

    def _sort_axis(self, name: str, dim: Any) -> int:
        if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
            raise TypeError(f"{name}: dim must be one int, got {dim!r}")
        (axis,) = _axes(dim, max(self.data.ndim, 1), name)
        return axis

    def _picked(self, axis: int, order: np.ndarray) -> Tensor:
        """The elements at `order` along `axis` (sort's and topk's values)."""
        if self.data.ndim == 0:
            return self.reshape(())
        return apply(Gather, (self,), (axis, order))

    def all(self, axis: Any = None, keepdims: bool = False, *, out: Any = None,
            dim: Any = None, keepdim: bool | None = None) -> Tensor:
        """Whether every element is true (nonzero), as a bool Tensor (a constant, as in
        PyTorch): `(pred == y).all()`; `axis`/`dim` for each row or column.

        >>> (Tensor([[1, 2], [0, 3]]) > 0).all(dim=1).tolist()
        [True, False]
        """
        axis, keepdims = _torch_names("all", axis, keepdims, dim, keepdim)
        axes = _reduction_axes(axis, self.data.ndim, "all")
        return Tensor(self._reduced("all", None, out).data.all(axis=axes, keepdims=keepdims))

    def any(self, axis: Any = None, keepdims: bool = False, *, out: Any = None,
            dim: Any = None, keepdim: bool | None = None) -> Tensor:
        """Whether some element is true (nonzero), as a bool Tensor (a constant): see `all`."""
        axis, keepdims = _torch_names("any", axis, keepdims, dim, keepdim)
        axes = _reduction_axes(axis, self.data.ndim, "any")
        return Tensor(self._reduced("any", None, out).data.any(axis=axes, keepdims=keepdims))

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator: Any = None) -> Tensor:
        """Indices drawn with these (unnormalised) weights: `autograd.multinomial(self, ...)`."""
        from .creation import multinomial        # (creation builds on Tensor: imported here)
        return multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli(self, p: float | None = None, *, generator: Any = None) -> Tensor:
        """0 or 1 for each element, 1 with the probability it holds (or `p`):
        `autograd.bernoulli(self, p)`, a constant."""
        from .creation import bernoulli
        return bernoulli(self, p, generator=generator)

    def histogram(self, bins: Any = 100, *, range: Sequence[float] | None = None,
                  weight: Any = None, density: bool = False) -> Histogram:
        """PyTorch's histogram of all the elements: counts in `bins` equal bins from `range`
        (the smallest to the largest number by default), or between the edges `bins` gives;
        `density=True` scales them to integrate to 1. Both are constants in this tensor's dtype
        (a count has no gradient), for makemore's plots: `hy, hx = torch.histogram(h, density=True)`.

        >>> hist, edges = Tensor([0.0, 1.0, 1.0, 3.0]).histogram(bins=3)
        >>> hist.tolist(), edges.tolist()
        ([1.0, 2.0, 1.0], [0.0, 1.0, 2.0, 3.0])
        """
        dtype = self.data.dtype
        if dtype.kind != "f":
            raise TypeError(f"histogram: needs a floating-point tensor, got dtype {dtype} (as in "
                            f"PyTorch; t.float() converts it)")
        numbers = self.data.reshape(-1)
        if range is None and numbers.size and not np.isfinite(numbers).all():
            raise ValueError("histogram: the tensor holds NaN or infinity, so its numbers give no "
                             "range for the bins: pass range=(low, high)")
        edges = bins.data if isinstance(bins, Tensor) else bins
        weights = weight.data if isinstance(weight, Tensor) else weight
        if weights is not None:
            weights = np.asarray(weights)
            if weights.shape != self.shape:
                raise ValueError(f"histogram: weight must have the tensor's shape {self.shape}, "
                                 f"got {weights.shape}")
            weights = weights.reshape(-1)
        hist, edges = np.histogram(numbers, bins=edges, range=range, weights=weights,
                                   density=density)
        return Histogram(Tensor(hist.astype(dtype)), Tensor(edges.astype(dtype)))

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
        """PyTorch's `t.histc(bins, min, max)`: the counts of all the elements in `bins` equal
        bins from min to max (elements outside are left out; x = max falls in the last bin),
        a constant in t's dtype (a count has no gradient, as in PyTorch). min == max (both 0
        by default): the smallest and largest element, widened by 1 each way if they are
        equal. An element's bin is int((x − min) · bins / (max − min)), computed in t's dtype,
        as PyTorch does.

        >>> Tensor([1.0, 2.0, 1.0, 4.0]).histc(bins=3, min=1, max=4).tolist()
        [2.0, 1.0, 1.0]
        """
        dtype = self.data.dtype
        if dtype.kind != "f":
            raise TypeError(f"histc: needs a floating-point tensor, got dtype {dtype} (as in "
                            f"PyTorch; t.float() converts it)")
        if not isinstance(bins, numbers.Integral) or isinstance(bins, bool) or bins <= 0:
            raise ValueError(f"histc: bins must be an int > 0, got {bins!r}")
        values = self.data.reshape(-1)
        low, high = float(min), float(max)
        if low == high and values.size:
            low, high = float(values.min()), float(values.max())
        if low == high:
            low, high = low - 1, high + 1
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"histc: the range [{low}, {high}] is not finite (the tensor holds "
                             f"NaN or infinity: pass min and max)")
        if low > high:
            raise ValueError(f"histc: max must be larger than min, got min={min}, max={max}")
        inside = values[(values >= low) & (values <= high)]
        low_, width = dtype.type(low), dtype.type(high) - dtype.type(low)
        place = ((inside - low_) * dtype.type(bins) / width).astype(np.int64)
        counts = np.bincount(np.minimum(place, bins - 1), minlength=bins)
        return Tensor(counts.astype(dtype))

    # -- order statistics and counts (autograd/statistics.py) ----------------------------------

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """PyTorch's lower median: of all elements (a 0-d tensor), or along `dim` (values and
        indices); NaN if any is NaN. See `autograd.statistics.median`."""
        from .statistics import median
        return median(self, dim, keepdim)

    def nanmedian(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """`median` of the numbers that are not NaN."""
        from .statistics import median
        return median(self, dim, keepdim, skip_nan=True, name="nanmedian")

    def quantile(self, q: Any, dim: int | None = None, keepdim: bool = False, *,
                 interpolation: str = "linear") -> Tensor:
        """The q-th quantile(s), all elements or along `dim` (see
        `autograd.statistics.quantile`); NaN if any is NaN."""
        from .statistics import quantile
        return quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q: Any, dim: int | None = None, keepdim: bool = False, *,
                    interpolation: str = "linear") -> Tensor:
        """`quantile` of the numbers that are not NaN."""
        from .statistics import quantile
        return quantile(self, q, dim, keepdim, interpolation=interpolation, skip_nan=True,
                        name="nanquantile")

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> ValuesAndIndices:
        """The k-th smallest element along `dim` and where it is (k from 1)."""
        from .statistics import kthvalue
        return kthvalue(self, k, dim, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False) -> ValuesAndIndices:
        """The most frequent element along `dim` (the smallest if several) and where it is."""
        from .statistics import mode
        return mode(self, dim, keepdim)

    def cummax(self, dim: int) -> ValuesAndIndices:
        """The running maximum along `dim` and where each is (values differentiable)."""
        from .statistics import running_extreme
        return running_extreme(self, dim, largest=True)

    def cummin(self, dim: int) -> ValuesAndIndices:
        """The running minimum along `dim` and where each is (values differentiable)."""
        from .statistics import running_extreme
        return running_extreme(self, dim, largest=False)

    def nansum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """The sum with NaN counted as 0."""
        from .statistics import nansum
        return nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """The mean of the numbers that are not NaN."""
        from .statistics import nanmean
        return nanmean(self, dim, keepdim, dtype=dtype)

    def count_nonzero(self, dim: Any = None) -> Tensor:
        """How many elements are not zero (along `dim`), an int64 tensor."""
        from .statistics import count_nonzero
        return count_nonzero(self, dim)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The indices of the elements that are not zero, (count, ndim) int64 (one 1-d tensor
        per axis with as_tuple=True)."""
        from .statistics import nonzero
        return nonzero(self, as_tuple=as_tuple)

    def argwhere(self) -> Tensor:
        """The indices of the elements that are not zero, (count, ndim) int64: `nonzero()`."""
        from .statistics import nonzero
        return nonzero(self)

    def unique(self, sorted: bool = True, return_inverse: bool = False,
               return_counts: bool = False, dim: int | None = None) -> Any:
        """The distinct elements, sorted (optionally where each element is among them, and
        their counts); constants."""
        from .statistics import unique
        return unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse: bool = False, return_counts: bool = False,
                           dim: int | None = None) -> Any:
        """Each run of equal neighbours once, in order (optionally which run each element is
        in, and the runs' lengths); constants."""
        from .statistics import unique_consecutive
        return unique_consecutive(self, return_inverse, return_counts, dim)

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        """How often each of 0, 1, ..., max occurs (sums of `weights` instead); a constant."""
        from .statistics import bincount
        return bincount(self, weights, minlength)


def _fraction_dtype(name: str, dtype: Any) -> np.dtype | None:
    """The `dtype=` of `name`, whose results are fractions (mean, var, std, softmax,
    log_softmax, norm, nanmean), as numpy's: a floating dtype, or None; an integer or bool one
    is refused, as PyTorch refuses it (the result came silently in a float dtype)."""
    if dtype is None:
        return None
    dtype = numpy_dtype(name, dtype)
    if dtype.kind != "f":
        hint = "" if name.endswith("softmax") else \
            f"; for whole numbers, cast the result: t.{name}(...).round().long()"
        raise TypeError(f"{name}: dtype must be a floating dtype, got {dtype}: the result "
                        f"holds fractions (PyTorch refuses it too){hint}")
    return dtype


def _numpy_values(result: Tensor, name: str, axis: Any) -> Tensor:
    """`result` of a positional t.max(axis) / t.min(axis), marked so that PyTorch's unpacking
    is refused (an int axis only: PyTorch's pair comes from one dim)."""
    if not isinstance(axis, numbers.Integral):
        return result
    result.__class__ = NumpyMaxValues if name == "max" else NumpyMinValues
    return result


def _root(var: Tensor) -> Tensor:
    """sqrt(var), with slope 0 where var is 0 (all the numbers equal), as PyTorch's std. sqrt's
    slope is infinite at 0 and every deviation is 0 there, which would make NaN: there it is
    sqrt(var + 1) * 0 instead, whose slope is 0."""
    flat = var.data == 0
    if not flat.any():
        return var.sqrt()
    return (var + flat).sqrt() * ~flat


def _first_extreme(data: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    """Where along `axis` the first largest (or smallest) element lies, with `axis` kept as 1:
    numpy's argmax (argmin), NaN counting as the extreme. numpy's argmax copies the array
    with `axis` innermost first, and where `axis` lies outermost in memory (a max-pool over the
    points of a conv1d's length-major output) that transposing copy is most of the cost:
    (32, 256, 512) float32, 17 ms. There the places are found with reductions, which run
    along memory as it lies: the extreme, and, among the elements equal to it, the largest
    of n - i (4 ms; the same indices).

    >>> x = np.random.default_rng(0).integers(0, 9, (2, 100, 50)).transpose(0, 2, 1)
    >>> x.strides[2] == x.itemsize          # axis 2 is not innermost: found by reductions
    False
    >>> np.array_equal(_first_extreme(x, 2, True), x.argmax(2, keepdims=True))
    True
    """
    n = data.shape[axis]
    if (data.strides[axis] == data.itemsize or data.size < 4096 or n >= 2 ** 31
            or data.dtype.kind not in "fiu"):
        return (data.argmax if largest else data.argmin)(axis, keepdims=True)
    extreme = (data.max if largest else data.min)(axis, keepdims=True)
    if extreme.dtype.kind == "f" and np.isnan(extreme).any():   # the first NaN: numpy's way
        return (data.argmax if largest else data.argmin)(axis, keepdims=True)
    # n - i at each extreme element (0 elsewhere): its largest is the first one's
    countdown = np.arange(n, 0, -1, dtype=np.int16 if n < 2 ** 15 else np.int32)
    countdown = countdown.reshape((n,) + (1,) * (data.ndim - axis - 1))
    first = np.multiply(data == extreme, countdown).max(axis, keepdims=True)
    return n - first.astype(np.int64)


def _index_tensor(indices: Any) -> Tensor:
    """Indices (argmax's, sort's, ...) as PyTorch gives them: an int64 Tensor, a constant."""
    return Tensor(np.asarray(indices, dtype=np.int64))


def _stable_order(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """The int64 indices that sort `data` along `axis`, equal elements in their order, NaN as
    the largest (first when descending, as PyTorch puts it). Descending: the ascending order
    of the reversed elements, reversed, so that ties still keep their order."""
    if data.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(data, axis=axis, kind="stable").astype(np.int64, copy=False)
    n = data.shape[axis]
    backwards = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return (n - 1 - np.flip(backwards, axis)).astype(np.int64, copy=False)
