"""Warping images by a grid of sample points, as a spatial transformer network does it:
`affine_grid` turns a batch of affine matrices into the points, `grid_sample` reads the images
there. PyTorch's names, arguments, coordinates and numbers; the op is autograd/ops/grid_sample.py.

Coordinates are normalised: x = -1 is the image's left, x = 1 its right (y top to bottom;
z front to back for volumes); with align_corners=False (the default) ±1 are the outer edges of
the corner pixels, with True their centres.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import apply
from ..ops.grid_sample import GridSample, plan
from ..tensor import Tensor
from .arguments import _is_int, _node

MODES = ("bilinear", "nearest", "bicubic")
PADDING_MODES = ("zeros", "border", "reflection")
LAYOUT = {4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}
GRID_LAYOUT = {4: "(N, H_out, W_out, 2)", 5: "(N, D_out, H_out, W_out, 3)"}


def affine_grid(theta: Any, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sample points of an affine warp: grid[n, i, j] = theta[n] @ (x_j, y_i, 1), the output
    pixel's own normalised position mapped by the 2 x 3 matrix theta[n] (N, 2, 3); size is the
    output's (N, C, H, W), the grid (N, H, W, 2). Volumes: theta (N, 3, 4), size (N, C, D, H, W),
    grid (N, D, H, W, 3). Differentiable in theta (to any order). align_corners=None is False.

    >>> identity = Tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> affine_grid(identity, (1, 1, 2, 2))[0].data.tolist()      # the pixel centres
    [[[-0.5, -0.5], [0.5, -0.5]], [[-0.5, 0.5], [0.5, 0.5]]]
    """
    align_corners = _align("affine_grid", align_corners)
    size = _size(size)
    theta = _node(theta, "affine_grid")
    if not isinstance(theta, Tensor) or theta.dtype.kind != "f":
        what = type(theta).__name__ if not isinstance(theta, Tensor) else f"dtype {theta.dtype}"
        raise TypeError(f"affine_grid: theta must be a floating Tensor (N, 2, 3) or (N, 3, 4), "
                        f"got {what}")
    if len(size) not in (4, 5):
        raise ValueError(f"affine_grid: size must be the output's (N, C, H, W) or "
                         f"(N, C, D, H, W), got {size}")
    dims = len(size) - 2
    if theta.ndim != 3 or theta.shape[1:] != (dims, dims + 1):
        other = {(2, 3): "; a 2 x 3 theta warps images: give a 4-d size (N, C, H, W)",
                 (3, 4): "; a 3 x 4 theta warps volumes: give a 5-d size (N, C, D, H, W)"}
        hint = other.get(tuple(theta.shape[1:]), "") if theta.ndim == 3 else \
            ("; for one matrix add a batch axis: theta.reshape(1, "
             f"{', '.join(map(str, theta.shape))})" if theta.shape == (dims, dims + 1) else "")
        raise ValueError(f"affine_grid: for a size of {len(size)} axes {size} theta must be "
                         f"(N, {dims}, {dims + 1}), got shape {theta.shape}{hint}")
    if theta.shape[0] != size[0]:
        raise ValueError(f"affine_grid: theta holds {theta.shape[0]} matrices (shape "
                         f"{theta.shape}) but size {size} asks for a batch of {size[0]}")
    if min(size[2:]) < 1:
        raise ValueError(f"affine_grid: every spatial size must be >= 1, got {size}")
    dtype = theta.dtype
    axes = [_positions(n, align_corners, dtype) for n in reversed(size[2:])]   # x, y (, z)
    mesh = np.meshgrid(*reversed(axes), indexing="ij")                        # (D,) H, W
    base = np.stack([*reversed(mesh), np.ones_like(mesh[0])], axis=-1).reshape(-1, dims + 1)
    # (P, dims + 1) @ (N, dims + 1, dims) -> (N, P, dims)
    grid = Tensor(base.astype(dtype)) @ theta.transpose(0, 2, 1)
    return grid.reshape((size[0],) + tuple(size[2:]) + (dims,))


def _positions(n: int, align_corners: bool, dtype: Any) -> np.ndarray:
    """The normalised positions of n pixels along an axis: their centres; one pixel is at 0."""
    if n == 1:
        return np.zeros(1, dtype)
    steps = np.linspace(-1.0, 1.0, n)
    return (steps if align_corners else steps * (n - 1) / n).astype(dtype)


def _size(size: Any) -> tuple:
    values = tuple(size) if isinstance(size, (tuple, list)) or hasattr(size, "__len__") else None
    if values is None or not all(_is_int(v) for v in values):
        raise TypeError(f"affine_grid: size must be a sequence of ints (N, C, H, W) or "
                        f"(N, C, D, H, W), got {size!r}")
    return tuple(int(v) for v in values)


def _align(name: str, align_corners: Any) -> bool:
    """align_corners: True, False, or None (False, PyTorch's default)."""
    if align_corners is None:
        return False
    if not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"{name}: align_corners must be True, False or None, got "
                        f"{align_corners!r}")
    return bool(align_corners)


def grid_sample(input: Any, grid: Any, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Each output pixel reads `input` (N, C, H, W) at its point of `grid` (N, H_out, W_out, 2),
    (x, y) normalised to [-1, 1]: y[n, c, i, j] = Σ_k w_k · input[n, c, neighbour k], the
    neighbours and weights by `mode` "bilinear" (the 4 around the point), "nearest" or
    "bicubic" (4 x 4, Keys' cubic). Points outside read `padding_mode` "zeros", "border"
    (the edge pixels) or "reflection" (the image mirrored). Volumes: input (N, C, D, H, W),
    grid (N, D_out, H_out, W_out, 3), "bilinear" (trilinear) or "nearest".
    Differentiable in input and grid, to any order ("nearest": no gradient for the grid, 0).
    NaN in the grid gives what PyTorch's gives: 0 for "nearest" with zeros, pixel 0 with
    border or reflection, NaN otherwise.

    >>> x = Tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> grid_sample(x, Tensor([[[[0.0, 0.0], [1.0, -1.0]]]]), align_corners=True).data
    array([[[[2.5, 2. ]]]], dtype=float32)
    """
    name = "grid_sample"
    mode, padding_mode = _choice(name, "mode", mode, MODES), \
        _choice(name, "padding_mode", padding_mode, PADDING_MODES)
    align_corners = _align(name, align_corners)
    x = _floating_only(name, "input", input)
    if x.ndim not in (4, 5):
        raise ValueError(f"{name}: input must be 4-d {LAYOUT[4]} or 5-d {LAYOUT[5]}, got shape "
                         f"{x.shape}")
    given_as_tensor = isinstance(grid, Tensor)
    grid = _floating_only(name, "grid", grid)
    if not given_as_tensor:             # numbers or an array: the input's precision
        grid = grid.astype(x.dtype)
    dims = x.ndim - 2
    if grid.ndim != x.ndim or grid.shape[-1] != dims:
        raise ValueError(f"{name}: for an input of shape {x.shape} {LAYOUT[x.ndim]} the grid "
                         f"must be {GRID_LAYOUT[x.ndim]}, got shape {grid.shape}")
    if grid.shape[0] != x.shape[0]:
        raise ValueError(f"{name}: the grid's batch {grid.shape[0]} (shape {grid.shape}) differs "
                         f"from the input's {x.shape[0]} (shape {x.shape})")
    if grid.dtype != x.dtype:
        raise TypeError(f"{name}: input and grid must have one dtype, got {x.dtype} and "
                        f"{grid.dtype}; convert one with .astype(...)")
    if mode == "bicubic" and dims == 3:
        raise ValueError(f"{name}: mode 'bicubic' takes 4-d images, not volumes (shape "
                         f"{x.shape}); use 'bilinear' (trilinear) or 'nearest'")
    if 0 in x.shape[2:]:
        raise ValueError(f"{name}: cannot sample an empty input, shape {x.shape}")
    need = (x._fn is not None, grid._fn is not None)
    ctx = plan(grid.data, x.shape, mode, padding_mode, align_corners, need)
    return apply(GridSample, (x, grid), ctx)


def _choice(name: str, what: str, value: Any, valid: tuple) -> str:
    if not (isinstance(value, str) and value in valid):
        hint = ""
        if what == "mode" and value == "trilinear":
            hint = " (for volumes too: 'bilinear' is trilinear on a 5-d input)"
        raise ValueError(f"{name}: {what} must be one of {', '.join(map(repr, valid))}, got "
                         f"{value!r}{hint}")
    return value


def _floating_only(name: str, what: str, x: Any) -> Tensor:
    """A floating Tensor; integers are refused, as PyTorch refuses them."""
    x = _node(x, name)
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: {what} must be a Tensor (or an array), got "
                        f"{type(x).__name__}")
    if x.dtype.kind != "f":
        mask = " (a label mask: mode='nearest', then .long() the result)" if what == "input" \
            else ""
        raise TypeError(f"{name}: {what} must be floating point, got dtype {x.dtype} (shape "
                        f"{x.shape}); convert it with .float(){mask}")
    return x
