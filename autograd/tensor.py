"""`Tensor`: an n-dimensional array (numpy) that remembers how it was computed.

>>> import numpy as np
>>> from autograd import Tensor
>>> W = Tensor([[1.0, 2.0], [-3.0, 4.0]], requires_grad=True)
>>> x = Tensor([2.0, 1.0])
>>> y = (W @ x).relu().sum()             # W @ x = [4, -2]: the second ReLU is off
>>> y.backward()
>>> W.grad                               # dy/dW = relu'(W @ x) xᵀ: row 2 gets nothing
array([[2., 1.],
       [0., 0.]], dtype=float32)

Dtypes follow PyTorch: Python numbers and lists become the default dtype (float32, see
`set_default_dtype`), numpy arrays keep theirs, and only floating tensors can require grad.

This module holds the class's core: making a Tensor, the hooks the graph core calls, the
attributes, the operators (+ - * / ** @ < == & and their in-place forms), and backward. The
other methods come from mixin classes, one module each, beside this one:
tensor_elementwise.py (exp, log, clamp, casts, ...), tensor_reductions.py (sum, max, softmax,
sort, median, ...), tensor_shape.py (reshape, transpose, gather, t[i], ...),
tensor_in_place.py (t[i] = v, add_, fill_, uniform_, ...), tensor_in_place_functions.py (the
in-place forms of the other ops: exp_, relu_, unsqueeze_, ...) and tensor_aliases.py (PyTorch's
names and arguments for ops glassgrad has: add(x, alpha=), movedim, tensor_split, index_put,
stride, ...). The functions over several tensors
(matmul, einsum, stack, where, ...) are in tensor_functions.py. Two helper modules serve them
all: tensor_operands.py takes an op's operands (numbers and arrays made Tensors, dtypes
promoted, the errors numpy would give obscurely) and tensor_axes.py its axis and size arguments
(dim= or axis=, negative axes).
"""

from __future__ import annotations

import numbers
import weakref
from typing import Any, Callable

import numpy as np

from . import graph
from .broadcast import broadcasts_to, unbroadcast
from .cpu import device as _cpu
from .graph import COMPUTED, CUT, DETACHED, Leaf, Node, apply, write_clock
from .hooks import move_hooks
from .ops import (Add, AddConst, ConstDiv, ConstPow, ConstSub, Div, DivConst, IndexPut, Mul,
                  MulConst, Neg, PowConst, Remainder, Sub, SubConst, Transpose)
from .ops.arithmetic import pow_rule
from .pytorch_names import mark_pytorch_names, numpy_dtype, torch_function_refusal
from .tables import is_table, table_array
from .warn import warn
# Tensor's methods beyond its core live in mixin classes, one module each (see the class)
from . import tensor_aliases, tensor_elementwise, tensor_functions, tensor_in_place
from . import tensor_in_place_functions, tensor_operands, tensor_reductions, tensor_shape
from .tensor_axes import _axes
from .tensor_elementwise import ElementwiseMethods
from .tensor_functions import matmul
from .tensor_in_place import (
    InPlaceMethods, _last_memory_write, _memory_owner, _note_constant_view,
    _note_memory_write, _note_written_in_place, _put, _shared_with_numpy, _take_history,
    _update_views, _use_old_numbers, _view_link, _views_of, share_with_numpy,
)
from .tensor_operands import (
    _MIXED_ENGINES, NONE_GIVEN, _as_tensor, _promote, _python_number,
    _refuse_integer_division_by_zero, _refuse_integer_out_of_range, _refuse_unbroadcastable,
    _refuse_value,
)
from .tensor_reductions import ReductionMethods
from .tensor_shape import ShapeMethods
from .tensor_aliases import AliasMethods
from .tensor_in_place_functions import InPlaceFunctionMethods

# Names defined in those modules that other modules import from here (autograd.statistics,
# autograd.arrays, nn.layers, ...)
from .tensor_axes import (  # noqa: F401
    _all_if_empty, _one_int, _one_name, _reduction_axes, _shape_args, _softmax_axis,
)
from .tensor_functions import concatenate, einsum, flatten, stack, tril, triu, where  # noqa: F401
from .tensor_operands import _integer_index  # noqa: F401
from .tensor_reductions import (  # noqa: F401
    Histogram, ValuesAndIndices, _index_tensor, _stable_order,
)

_default_dtype = np.dtype(np.float32)
#: the numbers that arithmetic folds into its op (see Tensor.__add__): not bool, which is an int
#: but not of this class; numpy's float64 is a Python float. With the other numpy float scalars,
#: folded when they are of the tensor's dtype, _SCALARS: a Tensor operand (x * y, the usual
#: case) costs one look-up in it
_NUMBERS = frozenset((int, float, np.float64))
_SCALARS = _NUMBERS | {np.float32, np.float16}
_ndarray = np.ndarray                 # (a global: read for every gradient in backward)
_NOT_COPIED = ("_views", "_view_of", "_numpy_shares", "__weakref__")    # (see __getstate__)


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype that Python floats and lists become (float32 unless changed)."""
    global _default_dtype
    dtype = numpy_dtype("set_default_dtype", dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: needs a floating dtype, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The dtype that Python floats and lists become."""
    return _default_dtype


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    if data is None:
        raise TypeError(f"Tensor: {NONE_GIVEN}")
    if dtype is not None and not isinstance(dtype, np.dtype):
        dtype = numpy_dtype("Tensor", dtype)   # ("float32", torch.float32: numpy's dtype)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data, dtype=dtype)
    else:
        if isinstance(data, Node):
            raise TypeError("Tensor: cannot make a Tensor from a Value; use Value.data")
        if is_table(data):                  # a pandas/polars DataFrame or Series: its numbers, in a
            data = table_array("Tensor", data)      # new array (a text column is named)
        from_torch = hasattr(data, "detach") and hasattr(data, "numpy")
        if from_torch:                      # a PyTorch tensor: its numbers (one that requires
            data = data.detach()            # grad refuses numpy's __array__)
        if dtype is not None and dtype.kind in "iu" and not from_torch:
            _refuse_ints_beyond(data, dtype)  # tensor([300], dtype=np.uint8): numpy
        try:                                            # 2 raises, numpy 1.x wraps round to 44
            arr = np.asarray(data, dtype=dtype)
        except (ValueError, RuntimeError) as error:     # ragged nested lists, mostly; or
            arr = _from_tensors_among(data, dtype)      # Tensors among the items (see there)
            if arr is None:
                if isinstance(error, RuntimeError):
                    raise
                raise ValueError(f"Tensor: the nested lists must be rectangular (rows of equal "
                                 f"length); numpy says: {error}") from None
        else:       # more axes than the lists nest: items with axes of their own (arrays,
            if arr.ndim > 1 and isinstance(data, (list, tuple)) and arr.ndim > _nesting(data):
                arr = _from_tensors_among(data, dtype, arr)                         # Tensors)
        if dtype is None and not from_torch and (arr.dtype.kind in "uO" or (
                arr.dtype.kind == "f" and arr.size and np.abs(arr).max() >= 2.0 ** 63)):
            _refuse_int_beyond_int64(data)
        if dtype is None and arr.dtype == np.float64 and not from_torch:
            arr = arr.astype(_default_dtype)    # Python floats: the default dtype (a PyTorch
                                                # tensor keeps its own, as an ndarray does)
    if arr.dtype.kind not in "biuf":
        if arr.dtype == object and any(isinstance(x, Node) for x in arr.flat):
            raise TypeError("Tensor: got Values among the data; a Tensor holds numbers: "
                            "Tensor([v.data for v in values]) takes their numbers (no gradient "
                            "flows back to the Values), or keep to the Values' own ops")
        if arr.dtype.kind == "c":
            raise TypeError(
                f"Tensor: complex data (dtype {arr.dtype}) is not a Tensor here: Tensors are "
                f"real; a complex one is autograd.complex(real, imag) or autograd.fft's "
                f"results (a ComplexTensor: a pair of real tensors; to join, stack or "
                f"otherwise reshape several, do it on autograd.view_as_real(z) and take "
                f"autograd.view_as_complex of the result)")
        raise TypeError(
            f"Tensor: expected numbers (a number, a nested list or an ndarray), got data of "
            f"dtype {arr.dtype}")
    return arr


def _nesting(data: list | tuple) -> int:
    """How deep the lists nest, read down their first items: 2 for [[1.0, 2.0]]."""
    depth = 1
    while data and isinstance(data := data[0], (list, tuple)):
        depth += 1
    return depth


def _tensors_in(data: Any) -> list:
    """The Tensors among the items of nested lists, at any depth."""
    if isinstance(data, Tensor):
        return [data]
    if isinstance(data, (list, tuple)):
        return [t for item in data for t in _tensors_in(item)]
    return []


def _from_tensors_among(data: Any, dtype: Any, arr: np.ndarray | None = None) -> Any:
    """The array of a list with Tensors among its items, read as PyTorch reads it: each Tensor
    is one number (of its dtype), so [Tensor(1.0), Tensor(2.0)] has shape (2,). Tensors of
    several numbers, or in a graph, are refused (see `tensors_among_items_error`). With no Tensor
    among the items: `arr` (numpy's own reading, as of a list of arrays)."""
    tensors = _tensors_in(data) if isinstance(data, (list, tuple)) else []
    if not tensors:
        return arr
    error = tensors_among_items_error("Tensor", data, tensors)
    if error is not None:
        raise error
    return np.asarray(_numbers_of(data), dtype=dtype)


def _numbers_of(data: Any) -> Any:
    """Nested lists with each (one-number) Tensor replaced by its 0-d array, dtype kept."""
    if isinstance(data, Tensor):
        return data.data.reshape(())
    if isinstance(data, (list, tuple)):
        return [_numbers_of(item) for item in data]
    return data


def tensors_among_items_error(where: Any, data: list | tuple,
                              tensors: list | None = None) -> Exception | None:
    """The error for a list or tuple with Tensors among its items that cannot become one Tensor
    of numbers, or None when each is one number with no history (PyTorch's rule).

    Refused: a Tensor of several numbers (PyTorch refuses it too; numpy would stack them, and a
    max pool's (values, indices) pair given to the next layer became one array of both), and a
    Tensor in a graph (the new Tensor would be a constant: no gradient would reach it).

    >>> Tensor([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])
    Traceback (most recent call last):
    ValueError: Tensor: got a list of 2 Tensors, of shapes (2,) and (2,); a list of Tensors makes
    one Tensor only when each holds one number, as in PyTorch. To join them write autograd.stack...
    >>> Tensor([Tensor(1.0), Tensor(2.0)])            # one number each: their numbers
    Tensor([1., 2.])
    """
    tensors = _tensors_in(data) if tensors is None else tensors
    several = [t for t in tensors if t.data.size != 1]
    in_graph = [t for t in tensors if t._fn is not None]
    if not several and not in_graph:
        return None
    kind, plural = type(data).__name__, "s" if len(tensors) > 1 else ""
    if all(isinstance(item, Tensor) for item in data):
        given = f"a {kind} of {len(data)} Tensor{plural}, of shape{plural} {_shapes(tensors)}"
    else:
        given = f"a {kind} with {'Tensors' if plural else 'a Tensor'} among its items, of " \
                f"shape{plural} {_shapes(tensors)}"
    takes = "" if where == "Tensor" else "takes one Tensor (or numbers), "
    join = ("autograd.stack(tensors) (along a new first axis) or autograd.concatenate(tensors) "
            "(along axis 0), which keep the graph")
    if several and _looks_like_a_pool_pair(data):
        return ValueError(
            f"{where}: {takes}got {given}: it looks like a max pool's (values, indices) pair, "
            f"from return_indices=True; unpack it, values, indices = pool(x), and pass the "
            f"values on (in a Sequential, which hands one value from layer to layer, leave out "
            f"return_indices=True)")
    if several:
        pair = isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], Tensor)
        return ValueError(
            f"{where}: {takes}got {given}; a list of Tensors makes one Tensor only when each "
            f"holds one number, as in PyTorch. To join them write {join}"
            + ("; if a layer returned this pair, as RNN, GRU and LSTM return (output, state), "
               "take the part meant: output, _ = rnn(x)" if pair else ""))
    who = "it" if len(tensors) == 1 else f"one of them, of shape {in_graph[0].shape},"
    return RuntimeError(
        f"{where}: {takes}got {given}, and {who} {in_graph[0]._history()}: a Tensor made from "
        f"them would be a constant, with no gradient flowing back. To keep the graph write "
        f"{join}; for a constant, take the numbers with t.detach()")


def _shapes(tensors: list) -> str:
    shapes = [str(t.shape) for t in tensors[:3]]
    if len(tensors) > 3:
        return ", ".join(shapes) + ", ..."
    return " and ".join(shapes) if len(shapes) < 3 else f"{shapes[0]}, {shapes[1]} and {shapes[2]}"


def _looks_like_a_pool_pair(data: list | tuple) -> bool:
    """(values, indices) with integer indices: what a max pool with return_indices=True gives,
    handed on whole (a Sequential passes one value from layer to layer)."""
    if len(data) != 2 or not isinstance(data[0], Tensor):
        return False
    indices = data[1].data if isinstance(data[1], Tensor) else data[1]
    return isinstance(indices, np.ndarray) and indices.dtype.kind in "iu"


def _refuse_ints_beyond(data: Any, dtype: np.dtype) -> None:
    """Python ints given for an integer `dtype` must fit in it (numpy 1.x would wrap them)."""
    try:
        given = np.asarray(data)
    except (ValueError, OverflowError):                 # ragged (reported after), or huge
        return
    if given.dtype.kind in "iu" and given.size:
        info = np.iinfo(dtype)
        low, high = given.min(), given.max()
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            raise ValueError(f"Tensor: a number does not fit in dtype {dtype} (integers from "
                             f"{info.min} to {info.max}), got {bad}")


def _refuse_int_beyond_int64(data: Any) -> None:
    """Python ints become int64, as in PyTorch; numpy would quietly make 2**63 uint64, or the
    whole list float (losing digits) when an int beyond int64 sits among others."""
    if isinstance(data, (list, tuple)):
        for item in data:
            _refuse_int_beyond_int64(item)
    elif isinstance(data, int) and not isinstance(data, bool) and \
            not -2 ** 63 <= data < 2 ** 63:
        raise ValueError(f"Tensor: the int {data} does not fit in int64 (from -2**63 to "
                         f"2**63 - 1), the dtype Python ints take; write it as a float "
                         f"({float(data):.6g}) or pass dtype=np.float64")


class _Size(int):
    """A Tensor's `.size`: an int (numpy's element count) that answers PyTorch's calls too.

    The shape is kept as `_shape`, not `shape`: numpy's `np.shape(x)` reads an attribute named
    `shape` and would call this int a (2, 3) array. Copies and pickles keep both numbers."""

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self._shape
        if not isinstance(dim, numbers.Integral):
            raise TypeError(f"size: dim must be one int (the axis whose length to give), got "
                            f"{dim!r}")
        (axis,) = _axes(dim, len(self._shape), "size")
        return self._shape[axis]

    def __reduce__(self) -> tuple:
        return _size, (int(self), self._shape)


def _size(count: int, shape: tuple) -> _Size:
    """`_Size(count)` with its shape; int.__new__ and an attribute, as a Python `__new__` would
    make every `t.size` twice as slow."""
    size = int.__new__(_Size, count)
    size._shape = shape
    return size


# numpy's ufuncs behind Python's operators, as the Tensor methods that take over
# `t <op> array` and `array <op> t` (the array first: numpy asks Tensor.__array_ufunc__)
_OPERATOR_METHODS = {
    np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"), np.true_divide: ("__truediv__", "__rtruediv__"),
    np.floor_divide: ("__floordiv__", "__rfloordiv__"), np.remainder: ("__mod__", "__rmod__"),
    np.power: ("__pow__", "__rpow__"), np.matmul: ("__matmul__", "__rmatmul__"),
    np.less: ("__lt__", "__gt__"), np.less_equal: ("__le__", "__ge__"),
    np.greater: ("__gt__", "__lt__"), np.greater_equal: ("__ge__", "__le__"),
    np.equal: ("__eq__", "__eq__"), np.not_equal: ("__ne__", "__ne__"),
    np.bitwise_and: ("__and__", "__rand__"), np.bitwise_or: ("__or__", "__ror__"),
    np.bitwise_xor: ("__xor__", "__rxor__"),
}
_OPERATOR_SYMBOLS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
                     np.floor_divide: "//", np.remainder: "%", np.power: "**", np.matmul: "@",
                     np.bitwise_and: "&", np.bitwise_or: "|", np.bitwise_xor: "^"}


#: what PyTorch's `w.data = t` is here (a Tensor put into .data half works, then baffles)
DATA_IS_AN_ARRAY = ("a Tensor's .data is its numpy array here, and PyTorch's w.data = t "
                    "is w.data = t.numpy(), or with no_grad(): w.copy_(t)")


class Tensor(ElementwiseMethods, ReductionMethods, ShapeMethods, InPlaceMethods,
             InPlaceFunctionMethods, AliasMethods, Node):
    """An array node: `.data` is an ndarray, `.grad` an ndarray of the same shape (or None).
    (Its methods beyond the core are in the mixins' modules: see this module's docstring.)

    Made from a number, nested lists, an ndarray (shared, not copied) or a Tensor (its numbers,
    as a constant). Tensors among a list's items count as one number each, as in PyTorch:
    `Tensor([Tensor(1.0), Tensor(2.0)])` has shape (2,); Tensors of several numbers, or in a
    graph, are refused there: `autograd.stack` and `concatenate` join Tensors and keep the graph.

    Comparisons are elementwise, as in numpy and PyTorch: `t == 2.0`, `t != u`, `t < 0` give a
    bool Tensor (no gradient), so `(pred == y).mean()`-style code works. Hashing is by identity,
    so a Tensor can still be a dict key or a set member; but `t in list_of_tensors` compares
    elementwise, so find a Tensor among others with `is` (`any(t is p for p in params)`).

    >>> (Tensor([1.0, 2.0, 3.0]) == 2.0).data
    array([False,  True, False])
    """

    # _written_at: graph.write_clock's count when the data was made or changed; _hooks: its
    # register_hook hooks, set with the first (autograd/hooks.py); _views and _view_of: a
    # constant's views (x[0], x.T), kept to follow x's in-place changes, and a view's base
    # (tensor_in_place.py), set with the first; __weakref__: what is remembered of a tensor
    # goes with it: a hook's entry (autograd/hooks.py), a view's entry in its base's _views;
    # _numpy_shares: the array numpy code was handed (t.numpy(), from_numpy), which in-place
    # changes write into (tensor_in_place.share_with_numpy), set with the first; __dict__:
    # attributes of the user's own, as PyTorch's tensors take them (the from-scratch backprop
    # lessons' `out.g = ...`, AdaHessian's `p.hess`); made only when one is set, so a tensor
    # without any costs one pointer more and its attribute loads are as fast (CPython 3.11)
    __slots__ = ("_written_at", "_hooks", "_views", "_view_of", "_numpy_shares", "__weakref__",
                 "__dict__")
    _empty_grad = None
    _notes_writes = True
    #: pandas (2.1 on) steps aside for an operand of higher priority than its own (a DataFrame's
    #: is 4000), so `series * t` is the Tensor's op, as `t * series` is: a Tensor in the graph,
    #: not a Series of the numbers (refused, for a tensor in a graph, by __array__)
    __pandas_priority__ = 5000
    _note_view = staticmethod(_note_constant_view)

    def __getstate__(self) -> tuple:
        """What pickle and copy.deepcopy keep: the slots, but not the record of views
        (`_views`, weak references pickle cannot write, and `_view_of`) nor the numpy bridge's
        mark (`_numpy_shares`): a copy's numbers are its own, so it has no views, is no one's,
        and no numpy code holds them. (A model pickles after state_dict(), whose entries are
        views of its buffers.)"""
        slots = {}
        for cls in type(self).__mro__:
            for name in cls.__dict__.get("__slots__", ()):
                if name not in _NOT_COPIED and hasattr(self, name):
                    slots[name] = getattr(self, name)
        return getattr(self, "__dict__", None), slots

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: tuple = (),
                           kwargs: Any = None) -> Any:
        """PyTorch's function given a Tensor of ours (PyTorch asks this before it runs one):
        refused with what to write, most often `import nn.functional as F` where the lecture's
        `import torch.nn.functional as F` brought PyTorch's F. (Without it PyTorch's message
        would be "argument 'input' must be Tensor, not Tensor", and a few of its functions,
        such as F.softmax, would call our methods and half work.) Nothing here imports torch."""
        raise TypeError(torch_function_refusal(func))

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, out: Any = None,
                        **kwargs: Any) -> Any:
        """numpy meeting a Tensor. `array + t` (any operator, the array first) is the Tensor's
        own op, so the result is a Tensor in the graph; `array += t` writes t's numbers into the
        array, as the lectures' `p.data += -lr * grad` does with `lr = lrs[i]` or a gradient
        derived by hand; any other ufunc (`np.exp(t)`) takes no Tensor.

        >>> w = np.ones(2, dtype=np.float32)
        >>> w += -0.5 * Tensor([1.0, 2.0])
        >>> w
        array([0.5, 0. ], dtype=float32)
        """
        names = _OPERATOR_METHODS.get(ufunc)
        if names is None or method != "__call__" or kwargs or len(inputs) != 2:
            raise TypeError(
                f"numpy's {ufunc.__name__}{'' if method == '__call__' else '.' + method} takes "
                f"no Tensor: use the Tensor ops (t.exp(), t.maximum(u), autograd.where, ...) to "
                f"stay in the graph, or t.detach().numpy() for the numbers (if this Tensor "
                f"was put into another's .data: {DATA_IS_AN_ARRAY})")
        if out is None:
            first, second = inputs
            if isinstance(first, Tensor):           # np.add(t, array), called by name
                return getattr(first, names[0])(second)
            return getattr(second, names[1])(first)
        if any(isinstance(o, Tensor) for o in out):
            raise TypeError(f"numpy's {ufunc.__name__} cannot write into a Tensor (out=): "
                            f"write into its array, t.data, or use the Tensor's own op")
        numbers = []
        for x in inputs:
            if isinstance(x, Tensor):
                if x._fn is not None and _computed_from(x, out[0]):
                    symbol = _OPERATOR_SYMBOLS.get(ufunc, ufunc.__name__)
                    raise RuntimeError(
                        f"array {symbol}= Tensor: the Tensor of shape {x.shape} is computed "
                        f"from the parameter whose numbers this updates (p.data {symbol}= "
                        f"lr * p): was .grad forgotten? The step is p.data {symbol}= "
                        f"lr * p.grad; if the numbers are meant (Reptile's p.data += "
                        f"eps * (fast - p.data), the fast weights computed from p), write "
                        f"fast.detach() (or compute them under no_grad())")
                if x._fn is not None:
                    raise RuntimeError(
                        f"array {_OPERATOR_SYMBOLS.get(ufunc, ufunc.__name__)}= Tensor: the "
                        f"Tensor of shape {x.shape} {x._history()}, so its numbers would go "
                        f"into the array with no gradient flowing back; if only the numbers "
                        f"are meant (an update of p.data by a gradient derived by hand), "
                        f"write t.detach()"
                        + ("" if x._fn is Leaf else " or compute it under no_grad()"))
                x = x.data
            numbers.append(x)
        return ufunc(*numbers, out=out)

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 label: str = "") -> None:
        if requires_grad is not False and requires_grad is not None:   # (False: the usual case)
            _refuse_sizes(data, requires_grad, dtype, label)
            requires_grad = graph.checked_requires_grad("Tensor", requires_grad)
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require grad, got dtype "
                f"{self.data.dtype} (pass floats or dtype=np.float32)"
                + _one_int_is_a_number(self.data))
        self.grad = None
        self._fn = Leaf if requires_grad else None
        # a tensor the user made says where it came from as an unset `_a` did (neither an op's
        # constant, COMPUTED, nor a NUMBER: graph.constant_kind reads it with getattr(x, "_a",
        # None)); set, that read is 30 ns instead of the 200 of a slot left empty, and every
        # op on a constant reads it (a[i, k] of a loop's matmul)
        self._a = None
        self._written_at = write_clock.count
        if label:
            self.label = label

    # -- the facade's hooks for the graph core (ops are made by graph.apply) -------------------

    @staticmethod
    def _payload(x: Any, op: type) -> np.ndarray:
        """What a forward returned, as a Tensor's data (numpy reductions return scalars)."""
        return x if x.__class__ is np.ndarray else np.asarray(x)

    def _operand(self, other: Any) -> Tensor:
        """`other` as a Tensor. A Python number takes this tensor's dtype when that can hold it
        (any number with a floating tensor, an int with an integer one, a bool with a bool one);
        an int with a bool tensor is int64 (PyTorch's), a float with an integer or bool tensor
        the default dtype. A numpy scalar counts as the Python number it holds, as in PyTorch
        (numpy 2 would widen uint8 + np.int64(2) to int64, numpy 1.x not), except an integer
        that this integer tensor cannot hold: a 0-d tensor, compared exactly, and refused by
        arithmetic (`_promote`)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, np.generic) and other.dtype.kind in "biuf":
            other = _python_scalar(other, self.data.dtype)
            if other.__class__ is Tensor:
                return other
        if isinstance(other, (bool, int, float)):
            kind = self.data.dtype.kind
            if kind == "b" and isinstance(other, int):      # PyTorch: bool with int is int64
                return Tensor(np.asarray(other, dtype=np.bool_ if isinstance(other, bool)
                                         else np.int64))
            keep = kind == "f" or (kind in "iu" and isinstance(other, int))
            if keep and kind != "f":
                _refuse_integer_out_of_range(other, self.data.dtype)
            return Tensor(np.asarray(other, dtype=self.data.dtype if keep else _default_dtype))
        if isinstance(other, Node):
            raise TypeError(_MIXED_ENGINES)
        return Tensor(other)

    def _binary(self, op: type, a: Any, b: Any) -> Tensor:
        """`a op b` for the operators (`self` is one of a, b): numbers and arrays made
        Tensors (`_operand`), two dtypes made one as PyTorch does (`_promote`), then one
        `apply`; numpy's errors become ones naming the op and the shapes."""
        try:
            # (two Tensors, the usual case, need no call: 7 % of a small x * y)
            if not isinstance(a, Tensor):
                a = self._operand(a)
            if not isinstance(b, Tensor):
                b = self._operand(b)
        except TypeError as error:
            if getattr(a, "_complex_pair", False) or getattr(b, "_complex_pair", False):
                return NotImplemented       # t * z for a ComplexTensor z: its __rmul__ does it
            _refuse_value(op.name, error, a, b)
            if a is None or b is None:      # (== None stays False: that is _compare's)
                raise TypeError(f"{op.name}: {NONE_GIVEN}") from None
            raise
        if a.data.dtype != b.data.dtype:
            a, b = _promote(a, b, op.name)
        try:
            return apply(op, (a, b))
        except ValueError:
            _refuse_unbroadcastable(op.name, a, b)
            raise
        except TypeError:               # numpy's "boolean subtract ... is not supported"
            if a.data.dtype.kind == b.data.dtype.kind == "b":
                raise TypeError(f"{op.name}: not defined for two bool tensors; convert first, "
                                f"e.g. a.float(), or combine conditions with & | ^ "
                                f"(^ is where they differ)") from None
            raise

    @staticmethod
    def _constant_like(x: Any, like: Tensor) -> Tensor:
        return Tensor(np.asarray(x, dtype=like.data.dtype))

    @staticmethod
    def _conform_grad(g: Any, node: Tensor, child: Tensor) -> Any:
        """Every gradient that `child`'s op sends to its input `node`, made to fit it: summed back
        over broadcast axes (or an error naming the op), cast to its dtype, and copied when it
        is to become a leaf's own `.grad`. First, though: if some tensor was changed in place
        since `child` was recorded, that must not be one of its inputs."""
        if child._written_at < write_clock.count:
            _refuse_changed_inputs(child)
        data = node.data
        if g.shape != data.shape:
            op = child._fn
            if not op.broadcasting:
                position = next(i for i, x in enumerate(child.parents) if x is node)
                raise ValueError(
                    f"{op.name}.backward: gradient {position} has shape {g.shape}, but input "
                    f"{position} has shape {data.shape}: a gradient has its input's shape (sum "
                    f"it over the axes the input was broadcast along, e.g. g.sum(axis=0))")
            g = unbroadcast(g, data.shape, op.name)
        if g.dtype != data.dtype:
            if g.dtype.kind == "c":         # (numpy would drop the imaginary part with a warning)
                raise TypeError(f"{child._fn.name}.backward: a complex gradient (dtype {g.dtype}) "
                                f"for an input of dtype {data.dtype}: gradients are real here")
            g = g.astype(data.dtype)
        if node._fn is Leaf and node.grad is None:
            if g.__class__ is _ndarray:
                if g.base is not None or g is child.grad or not g.flags.writeable:
                    g = g.copy()  # a leaf's .grad is its own array (not the child's, not a view)
            elif isinstance(g, np.generic):         # a numpy scalar (numpy's result of 0-d
                g = np.array(g)                     # arithmetic): a 0-d array, as promised
        elif (not data.ndim and node._fn is Leaf and node.grad.__class__ is _ndarray
              and not isinstance(g, Node)):      # (a higher-order pass's g is a Tensor)
            # a second gradient for a 0-d leaf (a scalar parameter used twice): numpy would add
            # the two 0-d arrays into a numpy scalar, so the sum is made here (graph.summed), a
            # 0-d array, and the caller finds no gradient left to add it to (only a leaf: an op
            # node's .grad may be an earlier pass's, which its new gradient replaces)
            g = graph.summed(node.grad, g)
            node.grad = None
        return g

    # -- attributes ----------------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> Any:
        """The CPU, where every tensor lives (PyTorch's `x.device`, for `device=x.device`).

        >>> Tensor([1.0]).device
        device(type='cpu')
        """
        return _cpu("cpu")

    @property
    def size(self) -> int:
        """numpy's element count, which PyTorch code may also call: `t.size()` is the shape and
        `t.size(0)` the length of axis 0, as in PyTorch.

        >>> t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> t.size, t.size(), t.size(-1)
        (6, (2, 3), 3)
        """
        return _size(self.data.size, self.data.shape)

    @property
    def T(self) -> Tensor:
        """The transpose: the axes reversed (a matrix's rows become its columns), as numpy's."""
        if self.data.ndim == 2:             # a matrix (the usual case): no axes to check
            return apply(Transpose, (self,), (1, 0))
        return self.transpose()

    @property
    def mT(self) -> Tensor:
        """PyTorch's `t.mT`: the last two axes swapped (each matrix of a batch transposed).

        >>> Tensor(np.zeros((5, 2, 3))).mT.shape
        (5, 3, 2)
        """
        if self.data.ndim < 2:
            raise ValueError(f"mT: needs a tensor of at least 2 dims (a matrix or a batch of "
                             f"them), got shape {self.shape}")
        return self._swapped(-2, -1, "mT")

    def dim(self) -> int:
        """PyTorch's `t.dim()`: the number of axes (numpy's `ndim`)."""
        return self.data.ndim

    ndimension = dim                    # PyTorch's other name

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """PyTorch's `t.contiguous()`: this tensor itself if its elements lie in memory row by
        row (`is_contiguous()`), else a copy that does, in the graph. No op here needs it.

        >>> x = Tensor(np.zeros((2, 3)))
        >>> x.contiguous() is x, x.T.is_contiguous(), x.T.contiguous().is_contiguous()
        (True, False, True)
        """
        if self.data.flags.c_contiguous:
            return self
        copy = self.clone()                 # (numpy's copy keeps the layout: made row by row)
        copy.data = np.ascontiguousarray(copy.data)
        return copy

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """PyTorch's `t.is_contiguous()`: whether the elements lie in memory row by row, with
        no gaps (numpy's `t.data.flags.c_contiguous`; False for a transpose or a strided
        slice, which are views)."""
        return bool(self.data.flags.c_contiguous)

    def data_ptr(self) -> int:
        """PyTorch's `t.data_ptr()`: the address of the first element in memory (a view, such
        as `t[1:]` or `t.T`, shares its base's memory)."""
        return self.data.__array_interface__["data"][0]

    def element_size(self) -> int:
        """PyTorch's `t.element_size()`: the bytes one element takes (4 for float32)."""
        return self.data.itemsize

    def __len__(self) -> int:
        if not self.data.ndim:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def __iter__(self) -> Any:
        """The rows, as `for row in t` gives them in PyTorch. Without this method Python would
        iterate by `t[0]`, `t[1]`, ... until an IndexError, and a 0-d Tensor, whose `t[0]` is
        one, would silently give no rows at all (`zeros(n)` for n = tensor(3) made a 0-d
        tensor that way): like PyTorch, a 0-d Tensor refuses."""
        if not self.data.ndim:
            raise TypeError("iteration over a 0-d Tensor (t.item() gives its number)")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a Tensor of shape {self.shape} is ambiguous; "
                             f"use .any() or .all() on .data (Python's max(0, t), min and "
                             f"`if t > 0` ask it: elementwise, write t.relu(), t.maximum(0), "
                             f"autograd.where(t > 0, a, b))")
        return bool(self.data.item())

    def item(self) -> float | int | bool:
        """The single element as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: needs a one-element tensor, got shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        """float(t) of a one-element tensor with no history (np.asarray([t0, t1]) of 0-d
        tensors comes here too). One in a graph is refused, as `float(v)` of a Value is:
        `math.exp(w)` would take the op out of the graph without a word; `.item()` is the way to
        ask for the number."""
        return float(self._number("float"))

    def __int__(self) -> int:
        """int(t), as float(t); a float is truncated toward 0, as int(2.7) is."""
        return int(self._number("int"))

    def __index__(self) -> int:
        """A one-element integer tensor used as an index, as in PyTorch: the lecture's
        `data[i:i + block_size] for i in randint(...)` slices with the tensors it iterates."""
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only a one-element integer tensor can be used as an index, got "
                            f"dtype {self.data.dtype} and shape {self.shape}")
        return int(self.data.item())

    def _number(self, convert: str) -> Any:
        if self.data.size != 1:
            raise TypeError(f"{convert}(): needs a one-element tensor, got shape {self.shape}")
        if self._fn is not None:
            raise TypeError(f"{convert}(): this tensor {self._history()}; as a Python number "
                            f"it would leave the graph (math.exp(t) would pass no gradient): use "
                            f"t.item() for the number, or the Tensor ops (t.exp(), ...) to stay "
                            f"differentiable ('%f' % t calls {convert}(t) too: f'{{t:.4f}}' works)")
        return self.data.item()

    def __format__(self, spec: str) -> str:
        """f"{loss:.4f}" formats a one-element tensor's number, as PyTorch does; so does
        f"{nll / n}" of a 0-d tensor with no spec (makemore's loss prints as 2.4540..., not
        Tensor(2.454)), while a tensor with dimensions prints as its repr.

        >>> f"{Tensor(2.5) / 2}", f"{Tensor([2.5])}"
        ('1.25', 'Tensor([2.5])')
        """
        if not spec:
            return format(self.data.item()) if self.data.ndim == 0 else repr(self)
        if self.data.size != 1:
            raise TypeError(f"format: a format spec ({spec!r}) needs a one-element tensor, got "
                            f"shape {self.shape}; format its numbers one by one")
        return format(self.data.item(), spec)

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied), as PyTorch's numpy bridge: an in-place
        change of the tensor (t.add_(1), t += 1) shows in the array, and a change of the array
        in the tensor.

        >>> t = Tensor([1.0, 1.0]); n = t.numpy(); _ = t.add_(1.0); n
        array([2., 2.], dtype=float32)
        """
        return share_with_numpy(self)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """numpy's view of a tensor with no history, for np.asarray(t), np.concatenate, plots...

        A tensor in a graph is refused, as in PyTorch: the numbers would leave the graph
        silently, and the parameters behind them would get no gradient."""
        if self._fn is not None:
            raise RuntimeError(
                f"numpy was given a Tensor of shape {self.shape} that {self._history()}: its "
                f"numbers would leave the graph, and no gradient would flow back. Use the Tensor "
                f"ops to stay differentiable (autograd.concatenate, stack, where, t @ u, "
                f"t.exp(), ...), or t.detach().numpy() (or t.data) for the numbers (if a "
                f"Tensor was assigned to another's .data, assign numbers: t.data = "
                f"t.data - lr * t.grad, or update t under no_grad())")
        return self.data if dtype is None else self.data.astype(dtype)

    def __dlpack__(self, **kwargs: Any) -> Any:
        """The DLPack exchange of a tensor with no history (as `__array__`'s): torch.as_tensor(t)
        and torch.tensor(t) take its numbers, as_tensor without a copy."""
        return self.__array__().__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple:
        return self.data.__dlpack_device__()

    def _history(self) -> str:
        """How a tensor in a graph got there, for errors: "wants a gradient" (a leaf) or "is
        the result of mul"."""
        return "wants a gradient" if self._fn is Leaf else f"is the result of {self.op}"

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = f", op={self.op}" if not self.is_leaf else (
            ", requires_grad=True" if self.requires_grad else "")
        dtype = "" if self.data.dtype == _default_dtype else f", dtype={self.data.dtype}"
        # numpy prints every empty array as [], whatever its shape: an empty batch
        # (X[y == 5] with no 5s) shows its shape, as PyTorch's repr does
        shape = f", size={self.shape}" if self.data.size == 0 and self.ndim != 1 else ""
        return f"Tensor({body}{shape}{dtype}{extra})"

    # -- arithmetic ----------------------------------------------------------------------------

    # A Python number with a floating tensor is folded into the op (x * 0.5 is MulConst with
    # 0.5 in ctx; see ops/arithmetic.py), as the tensor's dtype's scalar: float32 stays float32
    # under numpy 1.x's casting rules (a 0-d float32 times a Python float is float64 there) as
    # under numpy 2's; so is a numpy scalar of the tensor's own dtype (a float64 one is also a
    # Python float). Anything else (an integer or bool tensor, an array, a numpy scalar of
    # another dtype) is made a Tensor first, for the dtype rules (`_operand`, `_promote`).

    def __add__(self, other: Any) -> Tensor:
        if other.__class__ in _SCALARS and (c := self._folded(other)) is not None:
            return apply(AddConst, (self,), c)
        return self._binary(Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        if other.__class__ in _SCALARS and (c := self._folded(other)) is not None:
            return apply(AddConst, (self,), c)          # c + x == x + c
        return self._binary(Add, other, self)

    def __sub__(self, other: Any) -> Tensor:
        if other.__class__ in _SCALARS and (c := self._folded(other)) is not None:
            return apply(SubConst, (self,), c)
        return self._binary(Sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        if other.__class__ in _SCALARS and (c := self._folded(other)) is not None:
            return apply(ConstSub, (self,), c)
        return self._binary(Sub, other, self)

    def __mul__(self, other: Any) -> Tensor:
        if other.__class__ in _SCALARS and (c := self._folded(other)) is not None:
            return apply(MulConst, (self,), c)
        return self._binary(Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        if other.__class__ in _SCALARS and (c := self._folded(other)) is not None:
            return apply(MulConst, (self,), c)          # c * x == x * c
        return self._binary(Mul, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        x = self if self.data.dtype.kind == "f" else self._as_fractions(other)   # 7 / 2 is 3.5
        if other.__class__ in _SCALARS and (c := x._folded(other)) is not None:
            return apply(DivConst, (x,), c)
        return x._binary(Div, x, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        x = self if self.data.dtype.kind == "f" else self._as_fractions(other)
        if other.__class__ in _SCALARS and (c := x._folded(other)) is not None:
            return apply(ConstDiv, (x,), c)
        return x._binary(Div, other, x)

    def _as_fractions(self, other: Any) -> Tensor:
        """Integer or bool data about to be divided by (or into) `other`, as floats: in the
        dtype of `other` when that is a floating Tensor (PyTorch's: int64 / float64 is float64),
        else in the default float dtype (PyTorch's 7 / 2 is 3.5 in float32)."""
        if isinstance(other, Tensor) and other.data.dtype.kind == "f":
            return Tensor(self.data.astype(other.data.dtype))
        return self._floating()

    def _folded(self, number: Any) -> Any:
        """`number` (of a class in _SCALARS) as the scalar its op keeps in ctx, or None when it
        must be made a Tensor first (see above): not with an integer or bool tensor, nor as a
        numpy scalar of another dtype than the tensor's."""
        dtype = self.data.dtype
        if dtype.kind == "f" and (number.__class__ in _NUMBERS or number.__class__ is dtype.type):
            return dtype.type(number)
        return None

    def __mod__(self, other: Any) -> Tensor:
        """The remainder with the divisor's sign (Python's and PyTorch's %); x % 0.0 is NaN."""
        _refuse_integer_division_by_zero(self, other, "%")
        return self._binary(Remainder, self, other)

    def __rmod__(self, other: Any) -> Tensor:
        _refuse_integer_division_by_zero(other, self, "%")
        return self._binary(Remainder, other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        """floor(x / y), a constant (rounding has no slope to pass back; PyTorch's backward
        through it is an error): `i // width` is a row index."""
        return _floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _floor_divide(other, self)

    true_divide, floor_divide = __truediv__, __floordiv__      # PyTorch's names for / and //

    # In-place arithmetic changes the tensor itself, as in PyTorch, so that every name for it
    # sees the change (a momentum buffer in a list: `for v in buffers: v *= 0.9`):
    # - a parameter (a leaf that wants a gradient), only under no_grad(), where no graph records
    #   it: `p -= lr * p.grad` writes into its own array;
    # - a constant takes an array of new numbers: its old array may be the user's own
    #   (Tensor(array) shares it) or a batch viewing the dataset, and is left as it was (the
    #   views an op made of it, and x.detach(), are made again, to show the new numbers); but
    #   x.detach() and a view an op made (x[0], x.T) write into the numbers they show; given a
    #   tensor in a graph (x += w), a constant joins the graph, as the same object
    #   (`_join_graph`), and the views taken of it after that follow it too;
    # - a result in a graph becomes a new tensor, as `t = t - x` would give (its op's backward
    #   reads the old numbers): `h += x` of a residual connection; but not under no_grad(),
    #   where that new tensor would be a constant: there the result is someone's weights made
    #   by `randn(..., requires_grad=True) / n`, which would silently stop training.
    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(np.add, "+=", self.__add__, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(np.subtract, "-=", self.__sub__, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(np.multiply, "*=", self.__mul__, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(np.divide, "/=", self.__truediv__, other)

    # **=, //=, %= and (on bools and integers) &= |= ^=: the operator's own numbers, with its
    # checks (an integer division by 0, bools and integers only for &), under the same rules;
    # without these, Python made a new tensor (t = t ** 2), silently leaving a view's base,
    # every other name for the tensor, and a parameter updated under no_grad() as they were
    def __ipow__(self, exponent: Any) -> Tensor:
        return self._in_place_by(Tensor.__pow__, "**=", exponent)

    def __ifloordiv__(self, other: Any) -> Tensor:
        return self._in_place_by(Tensor.__floordiv__, "//=", other)

    def __imod__(self, other: Any) -> Tensor:
        return self._in_place_by(Tensor.__mod__, "%=", other)

    def __iand__(self, other: Any) -> Tensor:
        return self._in_place_by(Tensor.__and__, "&=", other)

    def __ior__(self, other: Any) -> Tensor:
        return self._in_place_by(Tensor.__or__, "|=", other)

    def __ixor__(self, other: Any) -> Tensor:
        return self._in_place_by(Tensor.__xor__, "^=", other)

    def _in_place_by(self, op: Any, symbol: str, other: Any) -> Tensor:
        """`_in_place` with the numbers of the Tensor operator `op` (computed unrecorded); an
        error of op's own (`x & 1` on floats) is raised as op words it."""
        def numbers(data: np.ndarray, value: Any, out: Any = None,
                    casting: str = "same_kind") -> np.ndarray:
            try:
                with graph.no_grad():
                    result = op(Tensor(data), value).data
            except (TypeError, ValueError, ArithmeticError) as error:
                raise _OperatorRefused(error) from None
            return _put(data, result, out, casting)
        try:
            return self._in_place(numbers, symbol, lambda x: op(self, x), other)
        except _OperatorRefused as refused:
            raise refused.args[0] from None

    def _in_place(self, ufunc: Any, symbol: str, new_tensor: Any, other: Any,
                  instead: str | None = None) -> Tensor:
        fn = self._fn
        if fn is not None and fn is not Leaf:
            if not graph.grad_mode.enabled:
                raise self._not_a_leaf(symbol, instead or f"write t = t {symbol[:-1]} x")
            if _views_of(self) or _view_link(self) is not None:
                # a constant, or a constant's view, that joined a graph by an earlier write:
                # changed in place as it was then, so that its base and views follow again
                return self._join_graph(new_tensor(other), symbol,
                                        instead or f"t = t {symbol[:-1]} x")
            return new_tensor(other)
        if (fn is None and new_tensor is not None and isinstance(other, Node)
                and other._fn is not None and graph.grad_mode.enabled):
            # a constant that takes in a tensor wanting a gradient joins the graph, or w's
            # gradient would be lost (PyTorch records the change)
            return self._join_graph(new_tensor(other), symbol, instead or f"t = t {symbol[:-1]} x")
        if fn is Leaf and graph.grad_mode.enabled:
            raise RuntimeError(
                f"{symbol} on a tensor that requires grad would change it behind the graph's "
                f"back: update parameters under `with no_grad():` (as an optimizer step does), "
                f"or write t = t {symbol[:-1]} x for a new tensor")
        value = other.data if isinstance(other, Node) else other
        # a numpy int or a 0-d integer tensor as the Python int, which numpy 1.x and 2 alike
        # keep out of the dtype (PyTorch's rule): uint8 += np.int64(2) is uint8 (numpy 2
        # refused to cast its int64 result back)
        if self.data.dtype.kind in "biu" and isinstance(value, (np.ndarray, np.integer)) \
                and value.ndim == 0 and value.dtype.kind in "iu":
            value = int(value)
        # a constant that shows another tensor's numbers, as a view an op made of them (x[0],
        # x.T, a piece of x.split) or x.detach(), writes through into them, as in PyTorch (and
        # as copy_ and t[...] = ... do): `with no_grad(): w[0].zero_()` zeroes w's first row;
        # so does one whose array numpy code shares (t.numpy(), from_numpy: the numpy bridge)
        own = fn is Leaf or (fn is None and (self._shows_anothers_numbers()
                                             or _shared_with_numpy(self)))
        try:
            if self.data.dtype.kind in "iu":      # (a float tensor, the usual case, skips it)
                _refuse_integer_out_of_range(value, self.data.dtype)
            if own:
                ufunc(self.data, value, out=self.data, casting="same_kind")
            else:
                before = self.data
                result = np.asarray(ufunc(before, value))   # (numpy gives a 0-d one a scalar)
                if result.shape != self.data.shape:
                    raise ValueError("the shape would change")
                self.data = result.astype(self.data.dtype, casting="same_kind", copy=False)
        # (the messages' words are made in the handlers, not on every `c[i, j] += x`)
        except OverflowError as error:          # a Python int beyond an integer dtype's range
            what = "parameter" if fn is Leaf else "tensor"
            raise OverflowError(f"{symbol}: cannot update the {what} (dtype {self.data.dtype}) "
                                f"in place with {value!r}: {error}") from None
        except (TypeError, ValueError) as error:
            what = "parameter" if fn is Leaf else "tensor"
            instead = instead or f"t = t {symbol[:-1]} x"
            raise (TypeError if isinstance(error, TypeError) else ValueError)(
                f"{symbol}: cannot update the {what} (shape {self.shape}, dtype "
                f"{self.data.dtype}) in place with {np.asarray(value).dtype} data of shape "
                f"{np.shape(value)}: the result must keep its shape and dtype ({instead} "
                f"makes a new tensor)") from None
        if own:
            self._changed_in_place()
        else:                       # new numbers, which no other tensor shares (yet)
            write_clock.count += 1
            self._written_at = write_clock.count
            if _views_of(self):             # views of the old numbers (x[0]) show the new
                _update_views(self, _memory_owner(before))
        return self

    def _join_graph(self, changed: Tensor, symbol: str, instead: str) -> Tensor:
        """`t += w` on a constant t, w in a graph: t itself becomes `changed` (t + w), as in
        PyTorch, so that every name for t, and its views, see the new numbers and pass w its
        gradient; in changed's graph, a copy of t's old numbers stands for t."""
        if changed.shape != self.shape or not np.can_cast(changed.data.dtype, self.data.dtype,
                                                          "same_kind"):
            raise (ValueError if changed.shape != self.shape else TypeError)(
                f"{symbol}: cannot update the tensor (shape {self.shape}, dtype "
                f"{self.data.dtype}) in place with the tensor of shape {changed.shape} and dtype "
                f"{changed.data.dtype} it would become: the result must keep its shape and "
                f"dtype ({instead} makes a new tensor)")
        if changed.data.dtype != self.data.dtype:       # float32 += float64: float32
            changed = changed.to(self.data.dtype)
        if self._shows_anothers_numbers() or _view_link(self) is not None:
            # a view (x[0], x.T) or x.detach(): the write goes into the numbers it shows,
            # recorded as t[...] = t + w is (into x's history, for an op's view); t + w reads
            # the view's numbers before the write, and its history if it is in a graph (given
            # after the walk, which must not go into it: its input x keeps its numbers)
            old = Tensor(self.data.copy())
            _use_old_numbers(changed, self, old)
            if self._fn is not None:
                _take_history(old, self)
            self[...] = changed
            return self
        old = Tensor(self.data)             # (the old array: a constant takes new numbers)
        _take_history(old, self)
        _use_old_numbers(changed, self, old)
        memory = _memory_owner(self.data)
        self.data = changed.data
        move_hooks(self, old)
        _take_history(self, changed)
        self.grad = None
        self._changed_in_place()
        _note_written_in_place(self)
        _update_views(self, memory)
        return self

    def __neg__(self) -> Tensor:
        try:
            return apply(Neg, (self,))
        except TypeError:               # numpy's "boolean negative ... is not supported"
            if self.data.dtype.kind == "b":
                raise TypeError("neg: a bool tensor has no negative; use ~t for logical not, "
                                "or t.float() for numbers") from None
            raise

    neg = negative = __neg__            # PyTorch's names for -t

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, Node):
            exponent = _python_number(exponent)
            base = self if isinstance(exponent, int) else self._floating()
            if base.data.dtype.kind == "b" and exponent >= 0:     # PyTorch's bool ** 2 is
                base = Tensor(base.data.astype(np.int64))           # int64 (numpy's int8)
            return apply(PowConst, (base,), exponent)
        return self._binary(pow_rule(self, exponent), self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        if isinstance(base, numbers.Real) and not isinstance(base, Node):     # 2 ** x
            base = _python_number(base)
            x = self if isinstance(base, int) else self._floating()
            return apply(ConstPow, (x,), base)
        return self._binary(pow_rule(base, self), base, self)

    def pow(self, exponent: Any) -> Tensor:
        """PyTorch's name for `t ** exponent` (a number or a tensor, broadcast): `(y_pred -
        y).pow(2).sum()` is a sum of squares.

        >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> x.pow(2).sum().backward(); x.grad
        array([2., 4., 6.], dtype=float32)
        >>> Tensor([[2.0], [3.0]]).pow(Tensor([1, 2, 3])).tolist()     # (2, 1) with (3,)
        [[2.0, 4.0, 8.0], [3.0, 9.0, 27.0]]
        """
        return self.__pow__(exponent)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(other, self)

    # PyTorch's products for given numbers of dims: t @ x, once the dims are those they ask for
    def dot(self, other: Any) -> Tensor:
        """The dot product of two 1-d tensors of one length (PyTorch's `dot`)."""
        return matmul(self, self._product_operand("dot", other, 1, 1))

    def mm(self, other: Any) -> Tensor:
        """The product of two matrices (PyTorch's `mm`: 2-d only, no broadcasting)."""
        return matmul(self, self._product_operand("mm", other, 2, 2))

    def mv(self, other: Any) -> Tensor:
        """A matrix times a vector (PyTorch's `mv`)."""
        return matmul(self, self._product_operand("mv", other, 2, 1))

    def bmm(self, other: Any) -> Tensor:
        """The products of two batches of matrices, (b, n, k) @ (b, k, m) (PyTorch's `bmm`: 3-d
        only, one batch size, no broadcasting).

        >>> Tensor(np.ones((4, 2, 3))).bmm(Tensor(np.ones((4, 3, 5)))).shape
        (4, 2, 5)
        """
        return matmul(self, self._product_operand("bmm", other, 3, 3))

    def matrix_exp(self) -> Tensor:
        """PyTorch's `t.matrix_exp()`: exp of a square matrix (or of each in a batch),
        I + t + t²/2! + ...; see `autograd.linalg.matrix_exp`."""
        from .linalg import matrix_exp     # (linalg builds on Tensor: imported here)
        return matrix_exp(self)

    def inverse(self) -> Tensor:
        """PyTorch's `t.inverse()`: A⁻¹ (of each matrix of a batch); see `autograd.linalg.inv`."""
        from .linalg import inv
        return inv(self)

    def det(self) -> Tensor:
        """PyTorch's `t.det()`: the determinant (of each matrix of a batch); see
        `autograd.linalg.det`."""
        from .linalg import det
        return det(self)

    def slogdet(self) -> Any:
        """PyTorch's `t.slogdet()`: (sign, logabsdet) of the determinant, the gradient through
        logabsdet; see `autograd.linalg.slogdet`."""
        from .linalg import slogdet
        return slogdet(self)

    def logdet(self) -> Tensor:
        """PyTorch's `t.logdet()`: log det A, NaN where det A < 0 and -inf where it is 0; the
        gradient is slogdet's."""
        from .linalg import _logdet
        return _logdet(self)

    def cholesky(self, upper: bool = False) -> Tensor:
        """PyTorch's `t.cholesky(upper=False)`: the Cholesky factor L (L Lᵀ = A) of a symmetric
        positive definite matrix; see `autograd.linalg.cholesky`."""
        from .linalg import cholesky
        return cholesky(self, upper=upper)

    def cholesky_solve(self, L: Any, upper: bool = False) -> Tensor:
        """PyTorch's `B.cholesky_solve(L, upper=False)`: X with A X = B, A = L Lᵀ given by its
        Cholesky factor L; see `autograd.linalg.cholesky_solve`."""
        from .linalg import cholesky_solve
        return cholesky_solve(self, L, upper=upper)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        """PyTorch's `t.pinverse(rcond=1e-15)`: the pseudo-inverse, singular values at or below
        rcond · s_max taken as 0; see `autograd.linalg.pinv` (this is pinv(t, rtol=rcond))."""
        from .linalg import pinv
        return pinv(self, rtol=rcond)

    def qr(self, some: bool = True) -> Any:
        """PyTorch's old `t.qr(some=True)`: (Q, R), the reduced decomposition (some=False: the
        complete one); see `autograd.linalg.qr` (torch.linalg.qr's mode='reduced' or
        'complete')."""
        from .linalg_qr import qr
        return qr(self, "reduced" if some else "complete")

    def matrix_power(self, n: int) -> Tensor:
        """PyTorch's `t.matrix_power(n)`: Aⁿ (n < 0: of A⁻¹); see
        `autograd.linalg.matrix_power`."""
        from .linalg_products import matrix_power
        return matrix_power(self, n)

    def cov(self, *, correction: int = 1, fweights: Any = None, aweights: Any = None
            ) -> Tensor:
        """PyTorch's `t.cov()`: the covariance matrix of the variables in t's rows,
        observations in its columns (of samples in rows, X.T.cov()); see
        `autograd.covariance.cov`."""
        from .covariance import cov
        return cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self) -> Tensor:
        """PyTorch's `t.corrcoef()`: the correlation matrix of the variables in t's rows; see
        `autograd.covariance.corrcoef`."""
        from .covariance import corrcoef
        return corrcoef(self)

    def kron(self, other: Any) -> Tensor:
        """PyTorch's `t.kron(other)`: the Kronecker product; see
        `autograd.linalg_products.kron`."""
        from .linalg_products import kron
        return kron(self, other)

    def cross(self, other: Any, dim: int | None = None) -> Tensor:
        """PyTorch's `t.cross(other, dim=None)`: the cross product of 3-vectors along `dim`;
        dim None takes t's first axis of length 3, as PyTorch's (which warns that this will
        change: `autograd.linalg.cross` takes the last, dim=-1)."""
        from .linalg_products import _cross
        if dim is None:
            dim = next((i for i, n in enumerate(self.shape) if n == 3), None)
            if dim is None:
                raise ValueError(f"cross: no axis of shape {self.shape} has length 3 (the "
                                 f"3-vectors' axis); pass dim=")
        return _cross("cross", self, other, dim)

    def outer(self, other: Any) -> Tensor:
        """The outer product of two 1-d tensors: (n,) and (m,) give (n, m), u_i v_j.

        >>> Tensor([1.0, 2.0]).outer(Tensor([1.0, 10.0, 100.0])).tolist()
        [[1.0, 10.0, 100.0], [2.0, 20.0, 200.0]]
        """
        other = self._product_operand("outer", other, 1, 1)
        return matmul(self.reshape(-1, 1), other.reshape(1, -1))

    def _product_operand(self, name: str, other: Any, ndim: int, other_ndim: int) -> Tensor:
        """`other` as a Tensor, once both have the dims that PyTorch's `name` asks for."""
        other = _as_tensor(other)
        if self.ndim != ndim or other.ndim != other_ndim:
            raise ValueError(f"{name}: expects {ndim}-d and {other_ndim}-d tensors, got shapes "
                             f"{self.shape} and {other.shape} (matmul, @, takes any)")
        if name == "dot" and self.shape != other.shape:
            raise ValueError(f"dot: the two vectors differ in length, shapes {self.shape} and "
                             f"{other.shape}")
        if name == "bmm" and self.shape[0] != other.shape[0]:
            raise ValueError(f"bmm: the batch sizes differ, shapes {self.shape} and "
                             f"{other.shape} (bmm does not broadcast; matmul does)")
        return other

    # comparisons give boolean tensors (no gradient), elementwise like numpy and PyTorch
    def __lt__(self, other: Any) -> Tensor: return self._compare(np.less, "<", other)
    def __le__(self, other: Any) -> Tensor: return self._compare(np.less_equal, "<=", other)
    def __gt__(self, other: Any) -> Tensor: return self._compare(np.greater, ">", other)
    def __ge__(self, other: Any) -> Tensor: return self._compare(np.greater_equal, ">=", other)

    def __eq__(self, other: Any) -> Any:            # type: ignore[override]
        return self._compare(np.equal, "==", other)

    def __ne__(self, other: Any) -> Any:            # type: ignore[override]
        return self._compare(np.not_equal, "!=", other)

    # defining == would make Tensors unhashable; hashing by identity keeps them dict keys (an
    # optimizer's state) and set members. Look a Tensor up in a list with `is`, never `in`.
    __hash__ = Node.__hash__

    def _compare(self, ufunc: Any, symbol: str, other: Any) -> Any:
        try:
            other = self._operand(other)
        except TypeError as error:
            _refuse_value(symbol, error, other)
            return NotImplemented                   # t == None, t == "text": Python says False
        try:
            return Tensor(ufunc(self.data, other.data))
        except ValueError:
            _refuse_unbroadcastable(symbol, self, other)
            raise

    # & | ^ ~ of conditions (bool tensors) or integers: constants too, as in numpy and PyTorch:
    # `((ids >= 0) & (ids < vocab_size)).all()`
    def __and__(self, other: Any) -> Tensor: return self._logical(np.bitwise_and, "&", other)
    def __or__(self, other: Any) -> Tensor: return self._logical(np.bitwise_or, "|", other)
    def __xor__(self, other: Any) -> Tensor: return self._logical(np.bitwise_xor, "^", other)
    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__     # each is symmetric

    def __invert__(self) -> Tensor:
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"~: needs a bool or integer tensor, got dtype {self.data.dtype}")
        return Tensor(~self.data)

    def _logical(self, ufunc: Any, symbol: str, other: Any) -> Any:
        try:
            other = self._operand(other)
        except TypeError as error:
            _refuse_value(symbol, error, other)
            return NotImplemented
        if not {self.data.dtype.kind, other.data.dtype.kind} <= set("biu"):
            raise TypeError(f"{symbol}: needs bool or integer tensors, got dtypes "
                            f"{self.data.dtype} and {other.data.dtype}; to combine conditions, "
                            f"compare first: (x > 0) {symbol} (x < 1)"
                            + ("; a power is x ** 2 (^ is xor)" if symbol == "^" else ""))
        x = self
        if x.data.dtype != other.data.dtype:        # (numpy 2 would widen uint8 & a 0-d int64)
            x, other = _promote(x, other, symbol)
        return x._compare(ufunc, symbol, other)

    # -- graph ---------------------------------------------------------------------------------

    def backward(self, gradient: Any = None, create_graph: bool = False,
                 retain_graph: bool | None = None) -> None:
        """Backpropagate from this tensor; leaves' `.grad` accumulate, intermediates' are rewritten.

        A one-element tensor needs no `gradient` (it is 1); any other needs one of its shape.
        The graph is always kept, so a second backward() from the same result runs, adding the
        gradients again, with a warning (PyTorch raises), unless the backward before it from
        this result passed `retain_graph=True` (or `create_graph=True`) to say it is meant, as
        PyTorch lets it run once more. A tensor the graph
        used must not have changed in place since (an optimizer step, `+=` or `copy_` between
        the forward pass and backward): that raises, as in PyTorch, rather than give the
        gradients at the new values.

        >>> from autograd import no_grad
        >>> w = Tensor([1.0, -2.0], requires_grad=True)
        >>> loss = (w * w).sum()
        >>> loss.backward(); w.grad
        array([ 2., -4.], dtype=float32)
        >>> with no_grad():
        ...     w -= 0.5 * w.grad
        >>> loss.backward()
        Traceback (most recent call last):
        RuntimeError: backward of mul: its input 0 (shape (2,)) was changed in place ...
        """
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() on a Tensor of shape {self.shape} needs a gradient of that "
                    f"shape (only a one-element tensor has the implicit gradient 1)")
            seed = np.array(1, self.data.dtype)            # 0-d (np.ones: 4x slower)
            if self.data.ndim:
                seed = seed.reshape(self.data.shape)
        else:
            seed = np.array(_to_array(gradient, self.data.dtype))
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward() on a Tensor of shape {self.shape} needs a gradient of that "
                    f"shape, got {seed.shape}")
        if self._written_at < write_clock.count:    # some tensor changed since this was made:
            _refuse_changed_graph(self)             # is it one of the graph's? (before any rule)
        if self.grad is not None and self._fn is not Leaf and not _retained_last(self):
            _warn_backward_again(self)              # a result backward already went through
        if create_graph:
            if isinstance(gradient, Tensor):
                root_grad = gradient
            else:
                root_grad = Tensor(seed)
            graph.backward_create_graph(self, root_grad)
        elif graph.tensor_hooks:                    # some tensor has a hook (register_hook)
            from .hooks import backward
            backward(self, seed)
        else:
            graph.backward(self, seed)
        if retain_graph or create_graph:            # this graph may be walked once more
            _retain(self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """PyTorch's `t.register_hook(hook)`: backward calls `hook(grad)` (grad a Tensor) once
        it has this tensor's gradient; a Tensor returned replaces it (for an op's result: in
        `.grad` and on its way to the inputs; for a leaf: in what is added into `.grad`).
        Returns a handle whose `.remove()` takes the hook off. See autograd/hooks.py.

        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> handle = w.register_hook(lambda g: g * 10)
        >>> (w * w).sum().backward(); w.grad
        array([20., 40.], dtype=float32)
        >>> handle.remove()
        """
        from .hooks import register_hook
        return register_hook(self, hook)

    @property
    def grad_fn(self) -> Any:
        """PyTorch's handle on the op that made a tensor, which glassgrad does not have: its
        name is `.op` and its inputs are `.parents`, so an error says so."""
        raise AttributeError(
            f"grad_fn: a glassgrad Tensor names the op that made it in .op ({self.op!r} here, "
            f"'' for a leaf) and its inputs in .parents: loss.parents[0].op is the op before "
            f"(PyTorch's loss.grad_fn.next_functions[0][0]); requires_grad and is_leaf answer "
            f"what `t.grad_fn is None` asks")

    def detach(self) -> Tensor:
        """The same numbers as a new leaf with no history and no gradient. They are shared, as
        in PyTorch: an in-place change of either is a change of the other.

        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> _ = w.detach().zero_(); w
        Tensor([0., 0.], requires_grad=True)
        """
        if isinstance(self.data, Node):         # w.data = tensor: state_dict, numpy() come here
            raise TypeError(f"detach: this tensor's .data holds a Tensor, not numbers "
                            f"({DATA_IS_AN_ARRAY})")
        detached = Tensor(self.data.view())     # (a view: see _shows_anothers_numbers)
        detached._a = DETACHED
        if self._fn is None or id(self) in graph.written_in_place:   # a constant's (also one
            _note_constant_view(detached, self, None, None)         # in a graph): follows it
        return detached

    def _shows_anothers_numbers(self) -> bool:
        """True for a constant that an in-place change must write through, into numbers that
        another tensor holds too: x.detach(), or a view an op made (x[0], x.T, x.reshape(4)).
        False for a read-only view (expand's, whose elements share memory): such a change
        takes new numbers instead, as it does for other constants."""
        if self.data.base is None:      # its own memory (asked first: an unset `_a` is slow)
            return False
        mark = getattr(self, "_a", None)
        return (mark is COMPUTED or mark is DETACHED) and self.data.flags.writeable

    def _check_writable(self, what: str, instead: str) -> None:
        """Refuse an in-place write into an op's result (the graph would not record it, so
        backward would differentiate the op at the old numbers) or, while recording, into a
        tensor that requires grad (a parameter)."""
        if not self.is_leaf:
            if not graph.grad_mode.enabled:
                raise self._not_a_leaf(what, instead)
            op = "clone" if self.op == "astype" and self.dtype == self.parents[0].dtype \
                else self.op        # clone() records a cast to the same dtype
            raise RuntimeError(f"{what}: this tensor is the result of {op} in a graph, which "
                               f"would not record the change: backward would go through {op} "
                               f"as if the old numbers were still there; {instead}")
        if self._fn is Leaf and graph.grad_mode.enabled:
            raise RuntimeError(f"{what} on a tensor that requires grad would change it behind "
                               f"the graph's back: write it under `with no_grad():`, as "
                               f"PyTorch asks")

    def _refuse_read_only(self, what: str) -> None:
        """A write into numbers numpy keeps read-only: expand's, broadcast_to's and unfold's,
        where many elements are one number in memory (PyTorch refuses those writes too), or an
        array made read-only before Tensor(array) shared it."""
        if isinstance(self.data, np.ndarray) and not self.data.flags.writeable:
            raise ValueError(f"{what}: this tensor's numbers (shape {self.shape}) are "
                             f"read-only: a result of expand, broadcast_to or unfold, whose "
                             f"elements share memory, or a read-only array given to Tensor(); "
                             f"write into a copy, u = t.clone()")

    def _not_a_leaf(self, what: str, instead: str) -> RuntimeError:
        """The error for an update under no_grad() of an op's result: the usual cause is
        weights made as `randn(..., requires_grad=True) / n`, whose result is not the leaf that
        an optimizer step may change, and a rebinding `-=` would leave a constant.

        >>> from autograd import no_grad, randn
        >>> w = randn(3, 2, requires_grad=True) / 2
        >>> with no_grad():
        ...     w -= 0.1
        Traceback (most recent call last):
        RuntimeError: -=: this tensor (shape (3, 2)) is the result of div, not a leaf, ...
        """
        size = ", ".join(map(str, self.shape))
        return RuntimeError(
            f"{what}: this tensor (shape {self.shape}) is the result of {self.op}, not a leaf, "
            f"so updating it under no_grad() cannot train it: `t -= x` would replace it with a "
            f"constant that gets no gradient. To train it, make the result a leaf, e.g. "
            f"`(autograd.randn({size}) / n).requires_grad_()`, not "
            f"`autograd.randn({size}, requires_grad=True) / n`; for new numbers only, {instead}")

    def copy_(self, source: Any) -> Tensor:
        """Overwrite the data in place with `source` (this shape, or one that broadcasts to it;
        cast to this dtype); returns self. A source in a graph is recorded while recording, as
        `t[...] = source` is (see `__setitem__`), so its gradient is not lost (as in PyTorch);
        so is a copy into an op's result in a graph (`h.copy_(values)`: h, the same object).

        >>> t = Tensor([1.0, 2.0]); t.copy_([3, 4])
        Tensor([3., 4.])
        >>> t.copy_(Tensor(0.5))
        Tensor([0.5, 0.5])
        """
        if graph.grad_mode.enabled and self._fn is not None and self._fn is not Leaf:
            # an op's result in a graph becomes source, recorded (autograd/tensor_in_place.py)
            return self._copy_in_graph("copy_", source if isinstance(source, Tensor) else
                                       Tensor(np.asarray(source)), "t = source.expand(shape)")
        self._check_writable("copy_", "make a new tensor instead (Tensor(values)), or copy "
                                      "into a leaf")
        self._refuse_read_only("copy_")
        numbers = np.asarray(source.data if isinstance(source, Tensor) else source)
        if numbers.shape != self.data.shape and not broadcasts_to(numbers.shape, self.shape):
            raise ValueError(f"copy_: expected data of shape {self.data.shape} (or one that "
                             f"broadcasts to it, as in PyTorch), got {numbers.shape}")
        if self.data.dtype.kind == "f" and numbers.dtype.kind not in "biuf":
            raise TypeError(f"copy_: expected numbers for a {self.data.dtype} tensor, "
                            f"got dtype {numbers.dtype}")
        if isinstance(source, Tensor) and source._fn is not None and graph.grad_mode.enabled:
            self[...] = source      # recorded, as PyTorch records it: the gradient reaches source
            return self
        np.copyto(self.data, numbers, casting="unsafe")
        self._changed_in_place()
        return self

    def _changed_in_place(self) -> None:
        write_clock.count += 1
        self._written_at = write_clock.count
        _note_memory_write(self.data)


Tensor._kind = Tensor               # what apply() makes from Tensor inputs (a Parameter too)
Tensor._payload_type = np.ndarray
Tensor._node_in_data_hint = f" ({DATA_IS_AN_ARRAY})"     # graph.apply's error for w.data = t

# The methods mixed in above, and the functions over tensors, make Tensors by the plain name
# `Tensor`: a global in their modules, as fast to read as in this one (`tensor.Tensor`, a
# module's attribute, would cost every call a lookup more). Those modules cannot import it,
# since this module imports them to make the class, so each is given it here, once.
for _module in (tensor_aliases, tensor_elementwise, tensor_functions, tensor_in_place,
                tensor_in_place_functions, tensor_operands, tensor_reductions, tensor_shape):
    _module.Tensor = Tensor


class NumpyMaxValues(Tensor):
    """What a positional `t.max(1)` gives: numpy's values, a Tensor except where PyTorch code
    expects a pair. PyTorch's `t.max(1)` is a pair (values, indices), so PyTorch code unpacks
    it (`_, pred = out.max(1)`), indexes it (`out.max(1)[1]`) or reads its fields
    (`out.max(1).indices`); here the first two would take rows of the values instead, silently
    when there are two of them. All three are refused, naming the ways to say which is meant.
    The ops made from it, and `t.max(axis=1)`, give plain Tensors."""

    __slots__ = ()
    reduction = "max"

    def __iter__(self) -> Any:
        raise TypeError(self._which("unpacked or iterated, which would take rows of the values"))

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, numbers.Integral) and not isinstance(index, bool):
            raise TypeError(self._which(f"indexed by an int ([{index}]), which would take a "
                                        f"row of the values"))
        return super().__getitem__(index)

    # PyTorch's pair is a named tuple too: `out.max(1).indices`
    @property
    def values(self) -> Any:
        raise AttributeError(self._which("read as .values"))

    @property
    def indices(self) -> Any:
        raise AttributeError(self._which("read as .indices"))

    def _which(self, use: str) -> str:
        name = self.reduction
        return (f"t.{name}(d) with a positional axis is numpy's {name}: the values only, not "
                f"PyTorch's pair (values, indices), so it cannot be {use}. Write "
                f"t.{name}(dim=d) for PyTorch's values and indices, t.arg{name}(d) for the "
                f"indices alone, or t.{name}(axis=d) for numpy's values as a plain Tensor")


class NumpyMinValues(NumpyMaxValues):
    """What a positional `t.min(1)` gives (see NumpyMaxValues)."""

    __slots__ = ()
    reduction = "min"


tensor_reductions.NumpyMaxValues = NumpyMaxValues    # (made from Tensor, and so given to the
tensor_reductions.NumpyMinValues = NumpyMinValues    # module of max and min the same way)


#: {id(result): (a weak reference to it, its .grad after a backward from it that passed
#: retain_graph=True or create_graph=True)}: PyTorch then lets the next backward from it run,
#: and so that one is not warned. Every backward sets a new .grad there, so one not retained
#: since is warned again; other results are warned as ever. An entry goes with its result.
#: (By id: a WeakKeyDictionary would compare two Tensors with ==, which is elementwise.)
_retained: dict[int, tuple] = {}


def _retain(root: Tensor) -> None:
    """Note that the backward just run from `root` kept its graph for one more."""
    key = id(root)
    _retained[key] = (weakref.ref(root, lambda _, key=key: _retained.pop(key, None)), root.grad)


def _retained_last(root: Tensor) -> bool:
    """Whether the last backward from `root` passed retain_graph=True (see `_retain`)."""
    entry = _retained.get(id(root))
    return entry is not None and entry[1] is root.grad


def _warn_backward_again(root: Tensor) -> None:
    """A second backward() from a result that a backward has gone through (its `.grad` is set:
    `loss.backward()` twice, a notebook cell run again): glassgrad keeps graphs, so it runs,
    and adds the gradients into the leaves' `.grad` once more, where PyTorch raises unless the
    call before passed retain_graph=True (then it is not warned: see `_retained`). Warned once
    per line."""
    warn(f"backward() again from a result of {root.op} that backward() has already gone "
         f"through: its gradients are added into the leaves' .grad once more (PyTorch raises "
         f"here, 'Trying to backward through the graph a second time'). For fresh gradients "
         f"call zero_grad() first, or compute the loss again; if the repeat is meant, pass "
         f"retain_graph=True to the backward() before", UserWarning)


def _refuse_changed_graph(root: Tensor) -> None:
    """Raise if an op that leads to `root` has an input changed in place since it was recorded."""
    for node in graph.walk(root):
        if not node.is_leaf:
            _refuse_changed_inputs(node)


def _refuse_changed_inputs(node: Tensor) -> None:
    """Raise if an input of `node` was changed in place after `node` was recorded: its rule
    would read the new values (PyTorch raises here too). An op whose rule reads no input's
    values (`reads_inputs = False`: an embedding's lookup) is not refused for that; but any op
    is, whose input was made index_put by `t[index] = value` since (see Tensor.__setitem__)."""
    inputs = node.parents
    for i, x in enumerate(inputs):
        if (x._written_at > node._written_at and x._fn is None
                and getattr(x, "_a", None) is CUT):
            raise RuntimeError(
                f"backward of {node._fn.name}: its input {i} (shape {x.shape}) was detached in "
                f"place (t.detach_()) after this op used it, so the gradient cannot go on to "
                f"what it was computed from; call detach_() after the backward "
                f"(loss.backward(); h.detach_()), or write h = h.detach() for a new tensor")
        if x._written_at > node._written_at and x._fn is not None and x._fn is not Leaf:
            # the input took a new history after this op used it: it became index_put(its old
            # numbers, value) by t[index] = value, or a constant joined the graph by a write
            # into it or into its base (x += w, x[0] = w for a view x[:2]); its gradient would
            # go through a write this op never saw, whatever its rule reads
            how = ("by t[index] = value (or masked_fill_, fill_diagonal_, fill_ or copy_, "
                   "each recorded as one)" if x._fn is IndexPut else
                   "in place (t += w, or through a tensor it shares numbers with)")
            raise RuntimeError(
                f"backward of {node._fn.name}: its input {i} (shape {x.shape}) was written "
                f"{how} after this op used it, so it now stands for the numbers after the "
                f"write; compute this op again after the write, or write into a copy "
                f"(u = t.clone(); u[index] = value)")
    if not node._fn.reads_inputs:
        return
    if _last_memory_write(node.data) > node._written_at:     # (its own result can be
        raise RuntimeError(                                   # changed only through a view)
            f"backward of {node._fn.name}: its result (shape {node.shape}) was changed in "
            f"place after it was computed, through a tensor sharing its numbers (a view such "
            f"as y.detach() or y[0] under no_grad()), and its rule may read it; compute the "
            f"output again after the change, or change a copy (y.detach().clone())")
    for i, x in enumerate(inputs):
        if x._written_at > node._written_at or _last_memory_write(x.data) > node._written_at:
            raise RuntimeError(
                f"backward of {node._fn.name}: its input {i} (shape {x.shape}) was changed in "
                f"place after this op used it (an optimizer step, +=, copy_, or a model's "
                f".double() or .to(dtype) between the forward pass and backward(); or a write "
                f"into a tensor sharing its numbers: a view such as x[0], x.T or x.detach()), "
                f"so the gradients would be those of the new values. Call backward() before "
                f"changing the parameters, or compute the output again after the change")


class _OperatorRefused(Exception):
    """Carries an operator's own error past `_in_place`'s messages (see `_in_place_by`)."""


def _floor_divide(a: Any, b: Any) -> Tensor:
    """a // b as a constant Tensor (see `Tensor.__floordiv__`), in the dtype a + b would have."""
    like = a if isinstance(a, Tensor) else b
    try:
        a, b = like._operand(a), like._operand(b)
    except TypeError as error:
        _refuse_value("//", error, a, b)
        raise
    if a.data.dtype != b.data.dtype:
        a, b = _promote(a, b, "//")
    _refuse_unbroadcastable("//", a, b)         # (before the check for a divisor of 0)
    _refuse_integer_division_by_zero(a, b, "//")
    with np.errstate(divide="ignore", invalid="ignore"):    # x // 0.0 is ±inf or NaN
        return Tensor(np.floor_divide(a.data, b.data))


def _computed_from(t: Tensor, array: np.ndarray, limit: int = 64) -> bool:
    """Whether a tensor in a graph was computed from the tensor whose numbers are `array`
    (`p.data -= lr * p`, `.grad` forgotten), looking at no more than `limit` nodes."""
    waiting, seen = [t], 0
    while waiting and seen < limit:
        node = waiting.pop()
        seen += 1
        if node.data is array:
            return True
        waiting.extend(q for q in node.parents if isinstance(q, Tensor))
    return False


def _refuse_sizes(data: Any, *rest: Any) -> None:
    """`Tensor(64, 1)`: PyTorch's `torch.Tensor(*sizes)` (an uninitialised tensor of that shape,
    Bayes-by-backprop code's `torch.Tensor(out, in).uniform_(-0.2, 0.2)`) would otherwise be
    read as the number 64 with requires_grad=1, and fail on something else."""
    def size(n: Any) -> bool:
        return isinstance(n, int) and not isinstance(n, bool)
    sizes = [data, *(x for x in rest if size(x))]         # (dtype None and label "" unused)
    if size(data) and all(size(x) or x is None or isinstance(x, str) and not x for x in rest):
        shape = ", ".join(map(str, sizes))
        raise TypeError(f"Tensor({shape}): Tensor(data) takes numbers here, not a shape as "
                        f"PyTorch's torch.Tensor(*sizes) does: write autograd.empty({shape}) "
                        f"(zeros here) or autograd.zeros({shape}), then .uniform_(a, b) or "
                        f"nn.init's fills, as for nn.Parameter(autograd.empty({shape})"
                        f".uniform_(-0.2, 0.2))")


def _one_int_is_a_number(data: np.ndarray) -> str:
    """The note for a 0-d integer tensor asked to require grad: `nn.Parameter(torch.Tensor(n))`
    (or `torch.Tensor(n).fill_(0)`), PyTorch's uninitialised vector of n, is the number n here
    (`Tensor(3)` is 3, as `torch.tensor(3)`); `_refuse_sizes` catches two or more sizes.

    >>> _one_int_is_a_number(np.array(3))[:52]
    '; this is one integer (0-d), holding 3: if it came f'
    """
    if data.ndim or data.dtype.kind not in "iu":
        return ""
    return (f"; this is one integer (0-d), holding {int(data)}: if it came from PyTorch's "
            f"torch.Tensor(n), an uninitialised vector of n, that is the number n here "
            f"(Tensor(n) as torch.tensor(n)): write autograd.empty(n) (zeros here) or "
            f"autograd.zeros(n), as in nn.Parameter(autograd.zeros(n))")


def _python_scalar(number: np.generic, dtype: np.dtype) -> Any:
    """The numpy scalar `number` (bool, integer or float) as a Python number, which a tensor
    of `dtype` takes as PyTorch does whatever numpy's version (see `Tensor._operand`); an
    integer beyond an integer `dtype`'s range as a 0-d Tensor."""
    kind = number.dtype.kind
    if kind == "b":
        return bool(number)
    if kind == "f":
        return float(number)
    value = int(number)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            return Tensor(number)
    return value


# PyTorch Tensor methods that glassgrad spells otherwise or lacks: marked on the class, so that
# reading one raises an AttributeError saying what to write instead (autograd/pytorch_names.py)
mark_pytorch_names(Tensor)
