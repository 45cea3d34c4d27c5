"""Weight normalisation and spectral normalisation as parametrizations (see
`nn.utils.parametrize`), PyTorch's `torch.nn.utils.parametrizations`: the module's weight is
computed from the parameters that train at every read, and its state dict has PyTorch's keys.

`weight_norm(layer)`: weight = g · v / ‖v‖, the norm taken over every dimension but `dim`
(Salimans & Kingma, 2016): the length g and the direction v of each output unit's weights
train apart. g is ``parametrizations.weight.original0``, v ``original1``.

`spectral_norm(layer)`: weight = W / σ(W), σ the largest singular value of W (as a matrix:
`dim` first, the other dimensions flattened), estimated by power iteration with the vectors u
and v kept as buffers (``parametrizations.weight.0._u``, ``_v``): a step of it runs at each
read in training mode, none in eval mode. W is ``parametrizations.weight.original``.

`orthogonal(layer)`: the weight (a matrix, or each matrix of a batch: its last two axes)
has orthonormal columns, or rows if it is wide, whatever the parameter
``parametrizations.weight.original`` holds: the weight is ``base @ Q(original)``, Q the
matrix exponential or the Cayley transform of a skew-symmetric matrix, or a product of
Householder reflections, made from its lower triangle; `base` (``parametrizations.weight.0.base``,
a buffer) is the weight at registration, made orthogonal.

>>> import numpy as np
>>> from nn import Linear
>>> layer = weight_norm(Linear(3, 2))
>>> for name, p in layer.named_parameters():
...     print(name, p.shape)
bias (2,)
parametrizations.weight.original0 (2, 1)
parametrizations.weight.original1 (2, 3)
>>> g = layer.parametrizations.weight.original0
>>> np.allclose(np.linalg.norm(layer.weight.data, axis=1, keepdims=True), g.data)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, eye, linalg
from autograd.random import default_rng

from .. import functional as F
from ..conv import _ConvTransposeNd
from ..module import Module, as_array
from .parametrize import _as_tensor, _parametrizable, is_parametrized, register_parametrization

__all__ = ["weight_norm", "spectral_norm", "orthogonal"]


def checked_dim(where: str, dim: Any, ndim: int, name: str) -> int:
    """`dim` as a dimension of an `ndim`-d tensor (negative ones counted from the end)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{where}: dim must be an int, got {dim!r}")
    if not -ndim <= dim < ndim:
        raise IndexError(f"{where}: dim={dim} is out of range for the {ndim}-d {name!r} "
                         f"(expected {-ndim} to {ndim - 1})")
    return int(dim) % ndim


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of each slice of `v` along `dim` (over all the other dimensions, kept as 1s),
    or of the whole of `v`, a 0-d Tensor, for dim=-1 (PyTorch's convention, even for a 2-d v,
    where -1 is also the last dimension). A 1-d v has no other dimension: each element is its
    own slice, its norm its absolute value (a bias gets a g per element, as in PyTorch)."""
    if dim == -1:
        return v.norm()
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v.norm(dim=others, keepdim=True) if others else v.abs()


class _WeightNorm(Module):
    """weight = g · v / ‖v‖ (norms along every dimension but `dim`; of all of v for -1)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        """The g and v that give `weight`: its norms, and itself."""
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise `module.<name>` as g · v / ‖v‖ (see the top of this file); returns the
    module. `dim` is the dimension that keeps a g of its own, 0 (the output units) by default;
    None, or -1 as in PyTorch, takes one norm of the whole tensor.

    >>> from nn import Conv2d
    >>> conv = weight_norm(Conv2d(1, 4, 3))
    >>> conv.parametrizations.weight.original0.shape
    (4, 1, 1, 1)
    """
    where = "weight_norm"
    if dim is None:
        dim = -1
    weight = _tensor(where, module, name)
    if dim != -1:
        dim = checked_dim(where, dim, weight.ndim, name)
    return register_parametrization(module, name, _WeightNorm(dim))


class _SpectralNorm(Module):
    """weight = W / σ, σ = uᵀ W v estimated by power iteration (u, v buffers); a 1-d weight is
    divided by its norm, exactly."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        self.dim, self.eps = dim, eps
        if weight.ndim > 1:
            self.n_power_iterations = n_power_iterations
            matrix = self._matrix(weight).data
            rng = default_rng()
            self.register_buffer("_u", Tensor(unit(rng.standard_normal(matrix.shape[0]), eps)
                                              .astype(matrix.dtype)))
            self.register_buffer("_v", Tensor(unit(rng.standard_normal(matrix.shape[1]), eps)
                                              .astype(matrix.dtype)))
            self._power_method(matrix, 15)      # start near the largest singular vectors

    def _matrix(self, weight: Tensor) -> Tensor:
        return as_matrix(weight, self.dim)

    def _power_method(self, matrix: np.ndarray, steps: int) -> None:
        """u ← W v / ‖W v‖, then v ← Wᵀ u / ‖Wᵀ u‖, `steps` times, in the buffers' arrays (a
        state dict shares them)."""
        u, v = as_array(self._u), as_array(self._v)      # (an array assigned stays one)
        for _ in range(steps):
            u[...] = unit(matrix @ v, self.eps)
            v[...] = unit(matrix.T @ u, self.eps)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        matrix = self._matrix(weight)
        if self.training:
            self._power_method(matrix.data, self.n_power_iterations)
        # constants of this graph: copies, as the next power iteration changes the buffers
        u, v = Tensor(as_array(self._u).copy()), Tensor(as_array(self._v).copy())
        sigma = u.dot(matrix.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        """A weight assigned is stored as it is (W, not W / σ)."""
        return value


def as_matrix(weight: Tensor, dim: int) -> Tensor:
    """The weight as a matrix: `dim` as its rows, the other dimensions flattened."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.reshape(weight.shape[0], -1)


def checked_power_settings(where: str, n_power_iterations: Any, eps: Any) -> tuple[int, float]:
    """spectral_norm's `n_power_iterations` (a positive int) and `eps` (a positive number)."""
    if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations,
                                                              (int, np.integer)) \
            or n_power_iterations <= 0:
        raise ValueError(f"{where}: n_power_iterations must be a positive int, got "
                         f"{n_power_iterations!r}")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"{where}: eps must be a positive number, got {eps!r}")
    return int(n_power_iterations), float(eps)


def unit(x: np.ndarray, eps: float) -> np.ndarray:
    """x / max(‖x‖, eps): a unit vector (0 stays 0)."""
    return x / max(float(np.linalg.norm(x)), eps)


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Reparametrise `module.<name>` as W / σ(W) (see the top of this file); returns the
    module. `dim` is the dimension that makes the matrix's rows: 1 for the transposed
    convolutions (their output channels), else 0. u and v start from 15 steps of power
    iteration; each read in training mode takes `n_power_iterations` more.

    >>> from nn import Linear
    >>> layer = spectral_norm(Linear(4, 3)).eval()
    >>> round(float(np.linalg.norm(layer.weight.data, ord=2)), 3)
    1.0
    """
    where = "spectral_norm"
    weight = _tensor(where, module, name)
    if dim is None:
        dim = 1 if isinstance(module, _ConvTransposeNd) else 0
    dim = checked_dim(where, dim, weight.ndim, name)
    n_power_iterations, eps = checked_power_settings(where, n_power_iterations, eps)
    return register_parametrization(module, name,
                                    _SpectralNorm(weight, n_power_iterations, dim, eps))


def _tensor(where: str, module: Module, name: str) -> Tensor:
    """The tensor `name` of `module` as it is now (parametrized or not), or an error naming
    what the module has."""
    if not isinstance(module, Module):
        raise TypeError(f"{where}: the first argument is the module to change, got "
                        f"{type(module).__name__}")
    if is_parametrized(module, name):
        return getattr(module, name)
    held = _parametrizable(where, module, name)
    return held if isinstance(held, Tensor) else Tensor(held)


# -- orthogonal ------------------------------------------------------------------------------

def _householder_product(reflectors: Tensor, tau: Tensor) -> Tensor:
    """H₁ H₂ ⋯ H_k, first k columns, Hᵢ = I − τᵢ vᵢ vᵢᵀ, vᵢ column i of `reflectors` (n × k,
    zero above its diagonal) with a 1 on the diagonal (LAPACK's layout, as geqrf returns it);
    for a batch (..., n, k) with τ (..., k), one product per matrix."""
    n, k = reflectors.shape[-2:]
    vectors = reflectors + eye(n, k, dtype=reflectors.dtype)
    q = eye(n, dtype=reflectors.dtype)          # the first step broadcasts it to the batch
    for i in range(k):
        v = vectors[..., i:i + 1]                                  # (..., n, 1)
        q = q - ((q @ v) * tau[..., i:i + 1].unsqueeze(-1)) @ v.mT
    return q[..., :k]


def _made_orthogonal(a: np.ndarray) -> np.ndarray:
    """Q of a = QR with R's diagonal positive (of each matrix of a batch): the orthogonal
    matrix nearest a's columns' directions, one by one (Gram-Schmidt's)."""
    q, r = np.linalg.qr(a)
    signs = np.where(np.diagonal(r, axis1=-2, axis2=-1) < 0, -1, 1).astype(a.dtype)
    return q * signs[..., None, :]


def _set_diagonal(matrices: np.ndarray, values: Any) -> None:
    """Write `values` on the main diagonal of each matrix (the last two axes), in place."""
    on = np.arange(min(matrices.shape[-2:]))
    matrices[..., on, on] = values


ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


class _Orthogonal(Module):
    """weight = base @ Q(X) (transposed for a wide weight), Q orthogonal: exp or Cayley of
    tril(X) − tril(X)ᵀ, or the Householder reflections of X's strict lower triangle; a weight
    of more than 2 dimensions is a batch of matrices (the last two axes), each done alone."""

    def __init__(self, weight: Tensor, orthogonal_map: str, use_trivialization: bool = True
                 ) -> None:
        self.shape, self.orthogonal_map = weight.shape, orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:
        transposed = x.shape[-2] < x.shape[-1]
        if transposed:
            x = x.mT
        n, k = x.shape[-2:]
        if self.orthogonal_map == "householder":
            reflectors = x.tril(-1)
            tau = 2.0 / (1.0 + (reflectors * reflectors).sum(axis=-2))
            # a sign per column, which does not train: the diagonal's (-1 where registration
            # put it). PyTorch truncates the diagonal to an int instead, which agrees for
            # 1 <= |d| < 2 but zeroes the column once weight decay has moved -1 to -0.9999
            # (after one AdamW step): the sign keeps every matrix orthogonal
            signs = np.where(np.diagonal(x.data, axis1=-2, axis2=-1) < 0, -1.0, 1.0)
            signs = signs.astype(x.data.dtype)
            q = _householder_product(reflectors, tau) * Tensor(signs[..., None, :])
        else:
            lower = x.tril()
            if n != k:
                lower = lower @ eye(k, n, dtype=x.dtype)        # zero columns up to n × n
            skew = lower - lower.mT
            if self.orthogonal_map == "matrix_exp":
                q = linalg.matrix_exp(skew)
            else:
                identity = eye(n, dtype=x.dtype)
                q = linalg.solve(identity - skew * 0.5, identity + skew * 0.5)
            q = q[..., :k]
        base = self.__dict__.get("base")
        if base is not None:
            q = _as_tensor(base) @ q
        return q.mT if transposed else q

    def right_inverse(self, q: Tensor) -> Tensor:
        """Keep an assigned (or the registered) weight: `base` becomes it, made orthogonal
        (all of a batch, if one of its matrices is not), and the original the X whose Q is the
        identity (-1 on each diagonal, zeros elsewhere)."""
        if q.shape != self.shape:
            raise ValueError(f"orthogonal: the weight has shape {self.shape}, the value "
                             f"assigned {q.shape}")
        held = self.__dict__.get("base")        # refused before `base` changes, not after
        if held is not None and q.data.dtype != held.dtype:
            raise TypeError(f"orthogonal: the weight holds {held.dtype}, the value assigned is "
                            f"{q.data.dtype} (cast it first: .to({str(held.dtype)!r}))")
        if "base" not in self.__dict__.get("_buffer_names", ()):
            if self.orthogonal_map != "householder":
                raise NotImplementedError(
                    "orthogonal: with use_trivialization=False a weight cannot be assigned to "
                    "the matrix_exp or cayley map (only householder has an inverse)")
            return self._householder_inverse(q)
        wide = q.shape[-2] < q.shape[-1]
        matrix = q.data.swapaxes(-2, -1) if wide else q.data
        n, k = matrix.shape[-2:]
        if n == k and np.allclose(matrix.swapaxes(-2, -1) @ matrix, np.eye(k), rtol=0,
                                  atol=10 * n * np.finfo(matrix.dtype).eps):
            base = matrix.copy()
        else:
            completion = default_rng().standard_normal(matrix.shape[:-2] + (n, n - k))
            base = _made_orthogonal(
                np.concatenate([matrix, completion.astype(matrix.dtype)], axis=-1))
        self.base = Tensor(base)                # a buffer, a constant Tensor as PyTorch's
        start = np.zeros(self.shape, dtype=q.data.dtype)
        _set_diagonal(start, -1.0)
        return Tensor(start)

    def _householder_inverse(self, q: Tensor) -> Tensor:
        """The X whose reflections give q (orthogonal): geqrf's reflectors, with q's signs on
        the diagonal."""
        wide = q.shape[-2] < q.shape[-1]
        matrix = q.data.swapaxes(-2, -1) if wide else q.data
        raw, tau = np.linalg.qr(matrix, mode="raw")
        reflectors = raw.swapaxes(-2, -1).copy()    # numpy gives LAPACK's Fortran layout
        diagonal = np.sign(np.diagonal(reflectors, axis1=-2, axis2=-1)).copy()
        diagonal[tau == 0] *= -1
        _set_diagonal(reflectors, diagonal)
        return Tensor(reflectors.swapaxes(-2, -1) if wide else reflectors)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Keep `module.<name>`, a matrix, orthogonal (see the top of this file); returns the
    module. A tensor of more dimensions is a batch of matrices, its last two axes: a
    Conv2d's weight (out, in, kh, kw) gets out × in orthogonal kh × kw matrices.
    `orthogonal_map` is "matrix_exp" (the default for square matrices), "cayley" or
    "householder" (the default for others). `use_trivialization=False` drops `base`: the
    weight is Q(original) itself.

    >>> from nn import Conv2d, Linear
    >>> layer = orthogonal(Linear(3, 5))
    >>> w = layer.weight.data
    >>> np.allclose(w.T @ w, np.eye(3), atol=1e-6)
    True
    >>> conv = orthogonal(Conv2d(2, 4, (3, 2)))
    >>> w = conv.weight.data                        # (4, 2, 3, 2): 8 matrices 3 × 2
    >>> np.allclose(w.swapaxes(-2, -1) @ w, np.eye(2), atol=1e-6)
    True
    """
    where = "orthogonal"
    weight = _tensor(where, module, name)
    if weight.ndim < 2:
        raise ValueError(f"orthogonal: {type(module).__name__}.{name} has {weight.ndim} "
                         f"dimension{'s' if weight.ndim != 1 else ''}, shape {weight.shape}; "
                         f"a matrix or a batch of matrices (..., n, k) was expected")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square else "householder"
    if orthogonal_map not in ORTHOGONAL_MAPS:
        raise ValueError(f"orthogonal: orthogonal_map must be one of {ORTHOGONAL_MAPS}, got "
                         f"{orthogonal_map!r}")
    return register_parametrization(module, name,
                                    _Orthogonal(weight, orthogonal_map, use_trivialization),
                                    unsafe=True)
