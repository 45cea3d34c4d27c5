"""Layers: `Linear`, `Embedding` and `EmbeddingBag` (bags of indices, each reduced to one
vector), `Identity`, `Flatten` and its inverse `Unflatten`, `Dropout`, the distances between two
inputs `CosineSimilarity` and `PairwiseDistance`, `Sequential` and `MLP`. (The activation
modules are in nn.activations; `MLP` names them.)

>>> import numpy as np
>>> from autograd import Tensor, manual_seed
>>> from nn import MLP
>>> manual_seed(0)
>>> model = MLP(2, [16, 16], 1)
>>> model(Tensor(np.zeros((5, 2)))).shape
(5, 1)
>>> model
MLP(
  (0): Linear(in_features=2, out_features=16, bias=True)
  (1): ReLU()
  (2): Linear(in_features=16, out_features=16, bias=True)
  (3): ReLU()
  (4): Linear(in_features=16, out_features=1, bias=True)
)
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

import numpy as np

from autograd import Tensor, Value, get_default_dtype, no_grad
from autograd import functional as AF
from autograd.devices import check_device
from autograd.random import default_rng
from autograd.tensor import _one_name   # `dim=` for `axis=`, PyTorch's name, as Tensor takes it

from . import activations as A
from . import functional as F
from .activations import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh, _int
from .conv import not_a_sequence_batch, not_a_volume_batch, not_an_image_batch
from .containers import _check_key_free
from .module import Module, ModuleList, Parameter, _check_name, _Hint, _modules_of, as_array

__all__ = [
    "Linear", "Embedding", "EmbeddingBag", "Identity", "Flatten", "Unflatten", "Dropout",
    "Dropout1d", "Dropout2d", "Dropout3d", "CosineSimilarity", "PairwiseDistance", "Sequential",
    "MLP",
]


class Linear(Module):
    """y = x @ Wᵀ + b, as one fused op. W has shape (out_features, in_features), PyTorch's
    layout: row j of W holds the weights of output j, and `state_dict()` loads into
    `torch.nn.Linear` as it is.

    Initialised like PyTorch: W and b uniform in ±1/√in_features (`rng` or the shared generator).
    `device` is PyTorch's keyword, on every layer that has it in PyTorch: the CPU, the only
    device here, or None (a GPU is refused).

    >>> from autograd import Tensor, no_grad
    >>> layer = Linear(2, 1)
    >>> with no_grad():
    ...     _ = layer.weight.copy_([[1.0, 2.0]]), layer.bias.copy_([0.5])
    >>> y = layer(Tensor([[3.0, 4.0]]))         # 1·3 + 2·4 + 0.5
    >>> y
    Tensor([[11.5]], op=linear)
    >>> y.sum().backward()
    >>> layer.weight.grad, layer.bias.grad      # dy/dW = x, dy/db = 1
    (array([[3., 4.]], dtype=float32), array([1.], dtype=float32))
    >>> Linear(2, 5, device="cpu")
    Linear(in_features=2, out_features=5, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = None, rng: np.random.Generator | None = None, *,
                 device: Any = None) -> None:
        check_device("Linear", device)
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or n < 1:
                got = (f"an array of shape {np.shape(n)}" if np.ndim(n) else repr(n))
                raise ValueError(f"Linear: {name} must be a positive integer, got {got}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = get_default_dtype() if dtype is None else dtype
        self.weight = Parameter(np.zeros((self.out_features, self.in_features)), dtype)
        self.bias = Parameter(np.zeros(self.out_features), dtype) if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """Redraw W and b uniform in ±1/√in_features, in place, as the constructor does: from
        `rng`, or the shared generator (after the same `manual_seed`, the same numbers)."""
        rng = default_rng() if rng is None else rng
        bound = 1.0 / math.sqrt(self.in_features)
        # drawn as (in, out) and transposed to PyTorch's (out, in): the same numbers in the same
        # order as ever, so a seeded model (a test's, a notebook's, a saved run's) keeps its
        # weights
        with no_grad():
            self.weight.copy_(rng.uniform(-bound, bound, (self.in_features, self.out_features)).T)
            if self.bias is not None:
                self.bias.copy_(rng.uniform(-bound, bound, self.out_features))

    def forward(self, x: Any) -> Tensor:
        try:                    # free until it raises: the hot path stays one call
            return AF.linear(x, self.weight, self.bias)
        except ValueError as error:         # name the layer, not only the op
            if not str(error).startswith("linear: "):
                raise
            raise ValueError(f"{self!r}: {str(error).removeprefix('linear: ')}"
                             f"{_one_feature_hint(x, self.in_features)}") from None
        except TypeError:
            if not (isinstance(x, (list, tuple)) and any(isinstance(v, Value) for v in x)):
                raise
            raise TypeError(f"{self!r}: takes a Tensor or an array, got a {type(x).__name__} "
                            f"of Values (the scalar engine): use nn.scalar's Neuron, Layer and "
                            f"MLP for Values") from None

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def _one_feature_hint(x: Any, in_features: int) -> str:
    """For a 1-d input to Linear(1, ...): the usual mistake is N samples of one feature given as
    a flat array (scikit-learn asks for X.reshape(-1, 1) too)."""
    if in_features == 1 and np.ndim(x.data if isinstance(x, Tensor) else x) == 1:
        return ("; a 1-d input is one sample: for N samples of one feature pass a column, "
                "X.reshape(-1, 1)")
    return ""


class Embedding(Module):
    """A lookup table: row i of `weight` (num_embeddings, embedding_dim) is the vector of
    token i, and integer indices of any shape (...) give their rows, shape (..., embedding_dim).
    PyTorch's `nn.Embedding`: weight drawn from N(0, 1) (`rng` or the shared generator), the
    same `state_dict()` (one entry, `weight`), and row `padding_idx`, when given, starts at zero
    and never gets a gradient. Picking rows is indexing, weight[indices]; repeated indices add
    up their gradients.

    >>> import numpy as np
    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> C = Embedding(27, 2)                          # makemore: 27 characters, 2-d vectors
    >>> C(np.array([[0, 5, 13], [5, 13, 13]])).shape  # 2 contexts of 3 characters
    (2, 3, 2)
    >>> list(C.state_dict()), C
    (['weight'], Embedding(27, 2))

    A table made elsewhere (word vectors) goes in with `Embedding.from_pretrained(table)`.
    PyTorch's `max_norm` (with `norm_type`) scales each looked-up row whose norm is larger
    down to `max_norm` in place, before the lookup, as PyTorch does. With `sparse=True` the
    gradient stays a dense array (the same numbers) and the rows it reaches are noted for
    `nn.optim.SparseAdam`, which updates only those; `scale_grad_by_freq=True` is refused.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight: Any = None,
                 _freeze: bool = False, device: Any = None, dtype: Any = None, *,
                 rng: np.random.Generator | None = None) -> None:
        check_device("Embedding", device)
        AF.check_embedding_options("Embedding", max_norm, scale_grad_by_freq, sparse)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = False, bool(sparse)
        _make_table(self, "Embedding", num_embeddings, embedding_dim, padding_idx, _weight,
                    not _freeze, dtype, rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """Redraw the rows from N(0, 1), the padding_idx row 0, in place, as the constructor
        does: from `rng`, or the shared generator."""
        rng = default_rng() if rng is None else rng
        weight = rng.standard_normal((self.num_embeddings, self.embedding_dim))
        if self.padding_idx is not None:
            weight[self.padding_idx] = 0.0
        with no_grad():
            self.weight.copy_(weight)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose table is `embeddings` (num_embeddings, embedding_dim): an array,
        a Tensor, a torch tensor or a list (lists take the default dtype, the others keep
        theirs). As in PyTorch, the table is shared, not copied; `freeze=True` (the default)
        makes it a frozen Parameter (requires_grad=False; `requires_grad_()` thaws it), and a
        `padding_idx` row keeps its numbers but never gets a gradient. No random numbers are
        drawn. `max_norm`, `norm_type` and `sparse` work as in the constructor;
        `scale_grad_by_freq` must be False.

        >>> emb = Embedding.from_pretrained(np.array([[0.5, 1.0], [2.0, 3.0]]))
        >>> emb(np.array([1, 1, 0])).data
        array([[2. , 3. ],
               [2. , 3. ],
               [0.5, 1. ]])
        >>> emb.weight.requires_grad
        False
        """
        name = "Embedding.from_pretrained"
        AF.check_embedding_options(name, max_norm, scale_grad_by_freq, sparse)
        table = _pretrained_table(name, embeddings, freeze)
        return cls(*table.shape, padding_idx, max_norm, norm_type, sparse=sparse,
                   _weight=table, _freeze=bool(freeze))

    def forward(self, indices: Any) -> Tensor:
        try:
            return AF.embedding(indices, self.weight, self.padding_idx, self.max_norm,
                                self.norm_type, sparse=self.sparse)
        except (IndexError, TypeError, ValueError) as error:    # name the layer, not the function
            if not str(error).startswith("embedding: "):
                raise
            raise type(error)(f"{self!r}: {str(error).removeprefix('embedding: ')}") from None

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            padding += f", max_norm={self.max_norm}"
            if self.norm_type != 2.0:
                padding += f", norm_type={self.norm_type}"
        if self.sparse:
            padding += ", sparse=True"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


def _pretrained_table(name: str, embeddings: Any, freeze: bool) -> np.ndarray:
    """`from_pretrained`'s table as an array, shared with `embeddings` (a list or tuple takes
    the default dtype): 2-d and not empty, and floating-point if it is to train."""
    table = Tensor(embeddings).data if isinstance(embeddings, (list, tuple)) \
        else as_array(embeddings)
    if table.ndim != 2 or 0 in table.shape:
        raise ValueError(f"{name}: embeddings must be 2-d (num_embeddings, embedding_dim), "
                         f"got shape {table.shape}")
    if not freeze and table.dtype.kind != "f":
        raise TypeError(f"{name}: freeze=False trains the table, which needs "
                        f"floating-point numbers, got {table.dtype} (pass "
                        f"embeddings.astype(np.float32))")
    return table


def _make_table(layer: Embedding | EmbeddingBag, where: str, num_embeddings: int,
                embedding_dim: int, padding_idx: int | None, table: Any, trains: bool,
                dtype: Any, rng: np.random.Generator | None) -> None:
    """Set the sizes, `padding_idx` and `weight` of an Embedding or EmbeddingBag: `table` as
    the weight (PyTorch's private `_weight`, the way in of `from_pretrained`), or one drawn by
    the layer's `reset_parameters`."""
    for name, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{where}: {name} must be a positive integer, got {n!r}")
    layer.num_embeddings, layer.embedding_dim = int(num_embeddings), int(embedding_dim)
    layer.padding_idx = None if padding_idx is None else AF.padding_index(
        where, padding_idx, layer.num_embeddings)
    if table is not None:
        layer.weight = Parameter(table, dtype, requires_grad=trains)
        if layer.weight.shape != (layer.num_embeddings, layer.embedding_dim):
            raise ValueError(f"{where}: _weight of shape {layer.weight.shape} does not match "
                             f"({layer.num_embeddings}, {layer.embedding_dim})")
        return
    layer.weight = Parameter(np.zeros((layer.num_embeddings, layer.embedding_dim)),
                             get_default_dtype() if dtype is None else dtype)
    layer.reset_parameters(rng)


class EmbeddingBag(Module):
    """Bags of indices, each reduced to one vector: PyTorch's `nn.EmbeddingBag`, the
    bag-of-words layer of a text classifier. `weight` (num_embeddings, embedding_dim) is drawn
    from N(0, 1) as `Embedding`'s is, and its `state_dict()` is the same (one entry, `weight`);
    `mode` "sum", "mean" (the default) or "max" reduces each bag.
    `forward(input, offsets=None, per_sample_weights=None)` takes a 2-d input (bags, length),
    or a 1-d input of every bag's indices one after another with the `offsets` where the bags
    start; `per_sample_weights` weigh the indices ("sum" mode). An index equal to
    `padding_idx` (whose row starts at zero) is left out of its bag, and an empty bag gives
    zeros: the rules are `nn.functional.embedding_bag`'s.

    >>> import numpy as np
    >>> from autograd import manual_seed
    >>> manual_seed(0)
    >>> bag = EmbeddingBag(10, 3, mode="sum")
    >>> text = np.array([1, 2, 4, 5, 4, 3, 2, 9])   # two sentences, of 4 words each
    >>> bag(text, offsets=np.array([0, 4])).shape
    (2, 3)
    >>> bag
    EmbeddingBag(10, 3, mode='sum')
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Any = None, include_last_offset: bool = False,
                 padding_idx: int | None = None, device: Any = None, dtype: Any = None, *,
                 rng: np.random.Generator | None = None) -> None:
        check_device("EmbeddingBag", device)
        AF.check_embedding_options("EmbeddingBag", max_norm, scale_grad_by_freq, sparse)
        if mode not in AF.BAG_MODES:
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        self.max_norm, self.norm_type, self.mode = max_norm, norm_type, mode
        self.scale_grad_by_freq, self.sparse = False, bool(sparse)
        self.include_last_offset = bool(include_last_offset)
        _make_table(self, "EmbeddingBag", num_embeddings, embedding_dim, padding_idx, _weight,
                    True, dtype, rng)

    reset_parameters = Embedding.reset_parameters   # the same table, drawn the same way

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean",
                        sparse: bool = False, include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        """An EmbeddingBag whose table is `embeddings`, shared, not copied, and frozen unless
        `freeze=False`, as `Embedding.from_pretrained` (in PyTorch's order of arguments).

        >>> EmbeddingBag.from_pretrained(np.ones((5, 2)))(np.array([[0, 1]])).data
        array([[1., 1.]])
        """
        name = "EmbeddingBag.from_pretrained"
        AF.check_embedding_options(name, max_norm, scale_grad_by_freq, sparse)
        table = _pretrained_table(name, embeddings, freeze)
        bag = cls(*table.shape, max_norm, norm_type, mode=mode, sparse=sparse, _weight=table,
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

    def forward(self, input: Any, offsets: Any = None, per_sample_weights: Any = None) -> Tensor:
        try:
            return AF.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                                    mode=self.mode, sparse=self.sparse,
                                    per_sample_weights=per_sample_weights,
                                    include_last_offset=self.include_last_offset,
                                    padding_idx=self.padding_idx)
        except (IndexError, TypeError, ValueError) as error:   # name the layer, not the function
            if not str(error).startswith("embedding_bag: "):
                raise
            raise type(error)(f"{self!r}: {str(error).removeprefix('embedding_bag: ')}") from None

    def extra_repr(self) -> str:
        shown = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            shown += f", max_norm={self.max_norm}"
            if self.norm_type != 2.0:
                shown += f", norm_type={self.norm_type}"
        shown += f", mode={self.mode!r}"
        if self.include_last_offset:
            shown += ", include_last_offset=True"
        if self.padding_idx is not None:
            shown += f", padding_idx={self.padding_idx}"
        return shown


class Identity(Module):
    """Returns its input (a placeholder where a layer is optional). As PyTorch's, it takes any
    arguments and ignores them, so it can stand in for a layer in code that builds one.

    >>> Identity(54, unused="ignored")(Tensor([1.0, 2.0]))
    Tensor([1., 2.])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass                                # nothing to keep: the arguments are ignored

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Reshape (N, d1, d2, ...) to (N, d1·d2·...): images to rows of pixels. The axes from
    `start_axis` to `end_axis` (both included) become one; PyTorch's names `start_dim` and
    `end_dim` work too.

    >>> Flatten(1, 2)(Tensor(np.zeros((2, 3, 4, 5)))).shape
    (2, 12, 5)
    """
    def __init__(self, start_axis: int = 1, end_axis: int = -1, *, start_dim: int | None = None,
                 end_dim: int | None = None) -> None:
        self.start_axis = _one_name("Flatten", "start_axis", start_axis, 1, "start_dim", start_dim)
        self.end_axis = _one_name("Flatten", "end_axis", end_axis, -1, "end_dim", end_dim)

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else AF._tensor(x, repr(self))
        start, end = (self._checked_axis(axis, x.shape) for axis in (self.start_axis,
                                                                      self.end_axis))
        if start > end:
            raise ValueError(f"{self!r}: start axis {start} comes after end axis {end} for an "
                             f"input of shape {x.shape}")
        # the merged size is computed, not left as -1: numpy cannot infer it for an empty batch
        merged = math.prod(x.shape[start:end + 1])
        return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1:])

    def _checked_axis(self, axis: Any, shape: tuple) -> int:
        """`axis` as a position in `shape`; one outside it is an error, not wrapped around."""
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise TypeError(f"{self!r}: an axis must be an int, got {axis!r}")
        if not -len(shape) <= axis < len(shape):
            raise ValueError(f"{self!r}: axis {axis} is out of range for an input of shape "
                             f"{shape}")
        return int(axis) % len(shape)

    def extra_repr(self) -> str:
        end = "" if self.end_axis == -1 else f", end_axis={self.end_axis}"
        return f"start_axis={self.start_axis}{end}"


class Unflatten(Module):
    """Axis `dim` of the input split into the axes `unflattened_size` (one may be -1, inferred):
    the inverse of `Flatten`, e.g. (N, 784) rows back to (N, 1, 28, 28) images.

    >>> Unflatten(1, (1, 28, 28))(Tensor(np.zeros((5, 784)))).shape
    (5, 1, 28, 28)
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        self.dim = _int("Unflatten", "dim", dim)
        if isinstance(unflattened_size, (numbers.Integral, str)) or not isinstance(
                unflattened_size, Sequence):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of ints, "
                            f"got {unflattened_size!r}")
        sizes = tuple(_int("Unflatten", "unflattened_size", n) for n in unflattened_size)
        if not sizes or sizes.count(-1) > 1 or any(n < -1 for n in sizes):
            raise ValueError(f"Unflatten: unflattened_size must be sizes >= 0 with at most one "
                             f"-1 (inferred), got {sizes}")
        self.unflattened_size = sizes

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{self!r}: dim {self.dim} is out of range for an input of shape "
                             f"{x.shape}")
        axis = self.dim % x.ndim
        n, known = x.shape[axis], math.prod(s for s in self.unflattened_size if s != -1)
        sizes = tuple(n // known if s == -1 and known else s for s in self.unflattened_size)
        if math.prod(sizes) != n:
            raise ValueError(f"{self!r}: axis {self.dim} of the input, of shape {x.shape}, has "
                             f"{n} elements, which do not split into {self.unflattened_size}")
        return x.reshape(x.shape[:axis] + sizes + x.shape[axis + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """In training, zero each input with probability p and scale the rest by 1/(1-p) (p = 1
    gives zeros, as in PyTorch); in evaluation (`model.eval()`), pass the input through.
    `inplace=True` writes the result into the input Tensor, which it returns, as PyTorch's
    does; so does PyTorch's positional form, `Dropout(0.2, True)` (the second argument is
    `rng` here, and a bool there is read as `inplace`).

    >>> Dropout(0.2, True)
    Dropout(p=0.2, inplace=True)
    """

    inplace = False             # (a subclass need not call __init__)

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None, *,
                 inplace: bool = False) -> None:
        name = type(self).__name__
        if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
            raise ValueError(f"{name}: p must be a probability in [0, 1], got {p!r}")
        if isinstance(rng, (bool, np.bool_)):      # PyTorch's Dropout(p, inplace)
            rng, inplace = None, bool(rng)
        self.p, self.inplace, self.rng = float(p), inplace, F._dropout_rng(name, rng)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, training=self.training, rng=self.rng, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Channel dropout for images (N, C, H, W): in training each channel of each image is
    zeroed whole with probability p and the rest scaled by 1/(1-p) (see `F.dropout2d`); in
    evaluation the input passes through. An unbatched image (C, H, W) is refused, as by the
    convolution layers.

    >>> Dropout2d(0.25)
    Dropout2d(p=0.25, inplace=False)
    """

    def forward(self, x: Any) -> Tensor:
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != 4:
            raise not_an_image_batch(self, x.shape)
        return F.dropout2d(x, self.p, training=self.training, rng=self.rng,
                            inplace=self.inplace)


class Dropout3d(Dropout):
    """Channel dropout for volumes (N, C, D, H, W): in training each channel of each volume is
    zeroed whole with probability p and the rest scaled by 1/(1-p) (see `F.dropout3d`); in
    evaluation the input passes through. An unbatched volume (C, D, H, W) is refused, as by
    the 3-d convolution layers.

    >>> drop = Dropout3d(0.5, rng=np.random.default_rng(3))
    >>> drop(Tensor(np.ones((1, 4, 2, 2, 2)))).data[0].mean(axis=(1, 2, 3))   # whole channels
    array([0., 0., 2., 2.])
    """

    def forward(self, x: Any) -> Tensor:
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != 5:
            raise not_a_volume_batch(self, x.shape)
        return F.dropout3d(x, self.p, training=self.training, rng=self.rng,
                            inplace=self.inplace)


class Dropout1d(Dropout):
    """Channel dropout for sequences (N, C, L): in training each channel of each sequence is
    zeroed whole with probability p and the rest scaled by 1/(1-p) (see `F.dropout1d`); in
    evaluation the input passes through. An unbatched sequence (C, L) is refused, as by the
    convolution layers.

    >>> drop = Dropout1d(0.5, rng=np.random.default_rng(3))
    >>> drop(Tensor(np.ones((1, 4, 3)))).data[0]          # each channel kept (×2) or zeroed whole
    array([[0., 0., 0.],
           [0., 0., 0.],
           [2., 2., 2.],
           [2., 2., 2.]])
    """

    def forward(self, x: Any) -> Tensor:
        if isinstance(x, (Tensor, np.ndarray)) and x.ndim != 3:
            raise not_a_sequence_batch(self, x.shape)
        return F.dropout1d(x, self.p, training=self.training, rng=self.rng,
                            inplace=self.inplace)


# -- distances between two inputs --------------------------------------------------------------

class CosineSimilarity(Module):
    """x1 · x2 / (max(‖x1‖, eps) max(‖x2‖, eps)) along `dim` (`F.cosine_similarity`).

    >>> CosineSimilarity()(Tensor([[1.0, 0.0], [1.0, 0.0]]), Tensor([[2.0, 0.0], [0.0, 3.0]]))
    Tensor([1., 0.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        self.dim, self.eps = _int("CosineSimilarity", "dim", dim), AF._real(
            "CosineSimilarity", "eps", eps)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"


class PairwiseDistance(Module):
    """‖x1 - x2 + eps‖_p along the last axis (`F.pairwise_distance`).

    >>> PairwiseDistance()(Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0]])).data.round(3)
    array([5.], dtype=float32)
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        self.p, self.eps = F.checked_norm_order("PairwiseDistance", p), AF._real(
            "PairwiseDistance", "eps", eps)
        self.keepdim = bool(keepdim)

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.pairwise_distance(x1, x2, self.p, self.eps, self.keepdim)

    def extra_repr(self) -> str:
        return f"p={self.p}, eps={self.eps}, keepdim={self.keepdim}"


# -- containers ----------------------------------------------------------------------------------

class Sequential(ModuleList):
    """Layers applied in order: `Sequential(Linear(2, 8), ReLU(), Linear(8, 1))`.

    A slice is a Sequential of the same layers that keeps their names, as in PyTorch, so its
    state_dict() keys are the model's:

    >>> model = Sequential(Linear(2, 8), ReLU(), Linear(8, 1))
    >>> list(model[1:].state_dict())
    ['2.weight', '2.bias']

    Named layers, as PyTorch's `Sequential(OrderedDict(...))`, come from one dict; each is
    then also an attribute:

    >>> model = Sequential({"hidden": Linear(2, 8), "act": ReLU(), "out": Linear(8, 1)})
    >>> list(model.state_dict()), model.out is model[2]
    (['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias'], True)
    """

    def __init__(self, *layers: Module) -> None:
        if len(layers) == 1 and isinstance(layers[0], dict):
            names = list(layers[0])
            for name in names:
                if not isinstance(name, str) or not name or "." in name:
                    raise TypeError(f"Sequential: layer names must be non-empty strings "
                                    f"without '.', got {name!r}")
            super().__init__(layers[0].values())
            for name in names:
                _check_key_free(self, name)
            self._kept_names = names
        else:
            super().__init__(layers)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            part = Sequential(*self._items[index])
            part._kept_names = self._names()[index]
            return part
        return self._item(index)

    def __add__(self, other: Iterable[Module]) -> Sequential:
        """A new Sequential of these layers, then `other`'s (the same layer objects), numbered
        from 0 as in PyTorch: `features + head`."""
        return Sequential(*self, *_modules_of(self, other))

    def __getattr__(self, name: str) -> Module:
        # only reached when ordinary lookup fails: a layer named by a dict (model.out)
        names = self.__dict__.get("_kept_names", ())
        if name in names:
            return self._items[names.index(name)]
        if name == "_items":
            return super().__getattr__(name)    # says to call super().__init__(...)
        kept_hint = getattr(type(self), name, None)
        if isinstance(kept_hint, _Hint):    # Module's own hints (predict): its message, not ours
            kept_hint.__get__(self)
        # makemore's hand-written Sequential keeps its list in .layers; this one is the list
        hint = (": a Sequential is itself the list of its layers (for layer in model, "
                "model[0], model[-1], len(model))" if name == "layers" else "")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}{hint}")

    def add_module(self, name: str, module: Module) -> None:
        """PyTorch's: `module` joins the sequence under `name`, after the layers already there
        (a name the sequence has: that layer is replaced in place), so forward runs it, as in
        PyTorch, where a Sequential's layers are its named children. (Module's add_module would
        make it an attribute beside the sequence, which forward would skip.)

        >>> model = Sequential()
        >>> model.add_module("hidden", Linear(2, 8)); model.add_module("out", Linear(8, 1))
        >>> len(model), list(model.state_dict())[-1], model.out is model[1]
        (2, 'out.bias', True)
        """
        _check_name(self, "add_module", name)
        if not isinstance(module, Module):      # (PyTorch takes None, which forward trips on)
            raise TypeError(f"{type(self).__name__}.add_module: {name!r} must be a Module, got "
                            f"{type(module).__name__}")
        names = self._names()
        if name in names:
            self[names.index(name)] = module
            return
        _check_key_free(self, name)
        self._items.append(module)
        self._kept_names = names + [name]

    def _names(self) -> list[str]:
        """Positions, or the names a slice or a dict kept (layers appended later are numbered
        after the numbered ones, or by their position)."""
        kept = self.__dict__.get("_kept_names")
        if kept is None:                # numbered by position, as most models are
            return super()._names()
        first_new = max((int(name) + 1 for name in kept if name.isdigit()), default=len(kept))
        return kept + [str(first_new + i) for i in range(len(self._items) - len(kept))]

    def _renumber(self) -> None:
        self.__dict__.pop("_kept_names", None)

    def __delattr__(self, name: str) -> None:
        # `del model.out` removes the layer named "out"; the others keep their names, as in
        # PyTorch (where `del model[i]` numbers them afresh)
        names = self._names() if "_items" in self.__dict__ else []
        if name in names:
            index = names.index(name)
            del self._items[index]
            self._kept_names = names[:index] + names[index + 1:]
        else:
            super().__delattr__(name)

    def forward(self, x: Any) -> Any:
        for layer in self:
            x = layer(x)
        return x


ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "gelu": GELU, "sigmoid": Sigmoid, "tanh": Tanh,
    "softmax": Softmax, "log_softmax": LogSoftmax, "identity": Identity, "linear": Identity,
    "relu6": A.ReLU6, "elu": A.ELU, "selu": A.SELU, "celu": A.CELU, "silu": A.SiLU,
    "mish": A.Mish, "softplus": A.Softplus, "softsign": A.Softsign, "hardtanh": A.Hardtanh,
    "hardswish": A.Hardswish, "logsigmoid": A.LogSigmoid, "prelu": A.PReLU,
}


def activation_layer(activation: str | type[Module] | Module) -> Module:
    """A fresh activation module from a name ("relu"), a Module class, or an instance.

    >>> activation_layer("relu"), activation_layer(Tanh), activation_layer(LeakyReLU(0.2))
    (ReLU(), Tanh(), LeakyReLU(negative_slope=0.2))
    """
    if isinstance(activation, Module):
        return activation
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    if isinstance(activation, str) and activation.lower() in ACTIVATIONS:
        return ACTIVATIONS[activation.lower()]()
    raise ValueError(f"unknown activation {activation!r}; expected one of "
                     f"{sorted(ACTIVATIONS)} or a Module")


class MLP(Sequential):
    """A multilayer perceptron: Linear layers with `activation` between them.

    `MLP(784, [100], 10)` is 784 → 100 → ReLU → 10 (logits; pair with `cross_entropy`).
    `output_activation` (e.g. "sigmoid") is applied after the last layer when given. (On
    Values, micrograd's `nn.scalar.MLP(nin, nouts)` is the same network, its output size the
    last of `nouts`.)

    >>> model = MLP(2, [8], 1, rng=np.random.default_rng(0))
    >>> model
    MLP(
      (0): Linear(in_features=2, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=1, bias=True)
    )
    >>> model(np.zeros((5, 2))).shape
    (5, 1)
    """

    def __init__(self, in_features: int, hidden_sizes: Sequence[int],
                 out_features: int | None = None, activation: str | type[Module] = "relu",
                 output_activation: Any = None, dtype: Any = None,
                 rng: np.random.Generator | None = None) -> None:
        if out_features is None:        # (a default only to say this, instead of Python's line)
            example = ("" if not isinstance(hidden_sizes, (list, tuple)) or len(hidden_sizes) < 2
                       else f": MLP({in_features}, {list(hidden_sizes[:-1])}, "
                            f"{hidden_sizes[-1]!r})")
            raise TypeError(f"MLP: out_features is missing; the sizes are MLP(in_features, "
                            f"hidden_sizes, out_features){example} (micrograd's MLP(nin, nouts), "
                            f"the output's size last in one list, is nn.scalar.MLP, on Values)")
        if isinstance(hidden_sizes, (int, np.integer)):
            hidden_sizes = [hidden_sizes]
        sizes = [in_features, *hidden_sizes, out_features]
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, dtype=dtype, rng=rng))
            if i < len(sizes) - 2:
                layers.append(activation_layer(activation))
        if output_activation is not None:
            layers.append(activation_layer(output_activation))
        super().__init__(*layers)
