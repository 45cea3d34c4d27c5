"""Sampling an image at arbitrary points, as PyTorch's `grid_sample` does it: each output pixel
reads a few input pixels around its grid point and weighs them,

    y[n, c, p] = Σ_k w_k[n, p] · x[n, c, i_k[n, p]]

with one neighbour ("nearest"), the 2^D corners of the cell around the point ("bilinear",
trilinear for volumes) or its 4 x 4 block ("bicubic"). Each weight is a product of one factor
per grid component, a polynomial in the point's fractional position t_d (1 - t and t for
linear; Keys' cubic kernel for bicubic); a neighbour outside the image has weight 0 and
reads a row of zeros ("zeros" padding; "border" and "reflection" move the point inside).

Where the points fall (`plan`) is worked out once from the grid's numbers; then

    dx[n, c, i]   = Σ_{k, p: i_k[n, p] = i} w_k[n, p] · g[n, c, p]            (a scatter-add)
    dgrid_d[n, p] = s_d[n, p] · Σ_k ∂w_k/∂t_d · Σ_c g[n, c, p] · x[n, c, i_k[n, p]]

s_d being how fast the position moves with the grid value: the unnormalising scale, times
0 where "border" clamped it and ±1 where "reflection" folded it. "nearest" has no
grid gradient (0, as PyTorch's).

`GridSample` is one op. Its rule runs on arrays (first order: x laid out as (C, N·S + 1)
planes, gather with `take`, scatter with one `np.add.at` per channel) or on nodes
(create_graph): then the same formulas are built from the engine's ops on (N·S + 1, C) rows,
with the t_d nodes of the grid, so they differentiate again.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, NamedTuple

import numpy as np

from ..graph import Node, Op
from .resample import CUBIC_A

KERNELS = {"bilinear": 2, "nearest": 1, "bicubic": 4}       # taps per grid component
# np.add.at's fast loop for single elements came with numpy 1.25 (see ops/shape.py)
_ADD_AT_IS_FAST = np.lib.NumpyVersion(np.__version__) >= "1.25.2"


class Plan(NamedTuple):
    """Where a grid's points read: for each of the K neighbours its pixel's place in the input
    seen as N·S pixels and a zero pixel after them (`index`, (K, M) for M = N·P points; the
    zero pixel N·S for a neighbour outside the image: a column of the planes, a row of the
    rows) and whether it lies inside the image (`inside`, (K, M) floats 1/0); each point's
    fractional positions `t` and slopes `slope` (one (M,) array per grid component, x first),
    the taps each neighbour takes per component (`corners`), and the shapes. `need` says which
    of x and grid want a gradient. Worked out here once for forward and backward: each
    component's tap factors (`factor`, (taps, M); none for "nearest") and the neighbours'
    weights (`weight`, (K, M))."""
    mode: str
    index: np.ndarray
    inside: np.ndarray
    t: tuple
    slope: tuple
    corners: tuple
    x_shape: tuple
    out_shape: tuple
    grid_shape: tuple
    need: tuple
    factor: tuple = ()
    weight: Any = None


def unnormalize(g: np.ndarray, size: int, align_corners: bool) -> tuple:
    """Grid values (-1 .. 1 spanning the image) as pixel positions, and the scale between them:
    align_corners=True puts -1 and 1 on the corner pixels' centres, False on the image's edges.

    >>> ends = np.array([-1.0, 1.0])
    >>> unnormalize(ends, 4, align_corners=False)[0], unnormalize(ends, 4, align_corners=True)[0]
    (array([-0.5,  3.5]), array([0., 3.]))
    """
    if align_corners:
        return (g + 1) / 2 * (size - 1), g.dtype.type((size - 1) / 2)
    return ((g + 1) * size - 1) / 2, g.dtype.type(size / 2)


def clip(position: np.ndarray, slope: np.ndarray, size: int) -> tuple:
    """"border": positions clamped into [0, size - 1]; the slope is 0 at and beyond the ends
    (PyTorch's choice at the ends themselves)."""
    inside = (position > 0) & (position < size - 1)
    return np.clip(position, 0, size - 1), np.where(inside, slope, 0)


def reflect(position: np.ndarray, slope: np.ndarray, size: int, align_corners: bool) -> tuple:
    """"reflection": positions folded back at the image's ends, as in a mirror (about the
    corner pixels' centres, or with align_corners=False the edges), then clamped; each fold
    flips the slope's sign.

    >>> reflect(np.array([-1.0, 4.0]), np.ones(2), 3, True)[0]
    array([1., 0.])
    """
    low, span = (0.0, size - 1.0) if align_corners else (-0.5, float(size))
    if span <= 0:                       # one pixel, corners aligned: every point is on it
        return np.zeros_like(position), np.zeros_like(slope)
    offset = position - position.dtype.type(low)
    sign = np.where(offset < 0, -1, 1).astype(slope.dtype)
    distance = np.abs(offset)
    with np.errstate(invalid="ignore"):             # (inf: NaN, made 0 by the caller)
        flips = np.floor(distance / span)
        rest = np.fmod(distance, span)
        even = flips % 2 == 0
    folded = np.where(even, rest, span - rest) + position.dtype.type(low)
    return clip(folded.astype(position.dtype), sign * np.where(even, slope, -slope), size)


def _pad_taps(taps: np.ndarray, size: int, padding: str, align_corners: bool) -> np.ndarray:
    """Bicubic's tap columns mapped by the padding (PyTorch pads the taps, not the point)."""
    if padding == "border":
        return np.clip(taps, 0, size - 1)
    if padding == "reflection":
        folded, _ = reflect(taps.astype(np.float64), np.zeros(taps.shape), size, align_corners)
        return folded.astype(np.int64)
    return taps


def plan(grid: np.ndarray, x_shape: tuple, mode: str, padding: str, align_corners: bool,
         need: tuple = (True, True)) -> Plan:
    """The neighbours, weights' positions and slopes of every grid point (see `Plan`)."""
    n, sizes = x_shape[0], x_shape[2:]                  # (D,) H, W
    dims = len(sizes)
    points = grid.reshape(-1, dims)                     # (M, D): x, y (, z) per point
    m = len(points)
    strides = [math.prod(sizes[axis + 1:]) for axis in range(dims)]
    taps_per, ts, slopes, cols, oks = KERNELS[mode], [], [], [], []
    for d in range(dims):                               # component d walks axis dims - 1 - d
        axis = dims - 1 - d
        size = sizes[axis]
        position, scale = unnormalize(points[:, d], size, align_corners)
        slope = np.full(m, scale, dtype=grid.dtype)
        if mode != "bicubic" and padding == "border":
            position, slope = clip(position, slope, size)
        elif mode != "bicubic" and padding == "reflection":
            position, slope = reflect(position, slope, size, align_corners)
        if mode != "bicubic" and padding != "zeros":    # NaN and inf end on pixel 0, as
            bad = ~np.isfinite(position)                # PyTorch's clamp makes them
            position, slope = np.where(bad, 0, position), np.where(bad, 0, slope)
        # an integer start far from the image would overflow: the taps land outside (or on
        # the clamped ends) either way, and t comes from the true position
        finite = np.where(np.isfinite(position), position, -8)
        near = np.clip(finite, -8, size + 8)
        if mode == "nearest":
            start = np.rint(near).astype(np.int64)
            t = None
        else:
            start = np.floor(near).astype(np.int64)
            with np.errstate(invalid="ignore"):
                t = position - np.floor(position)
        first = {1: 0, 2: 0, 4: -1}[taps_per]
        col = start + np.arange(first, first + taps_per)[:, None]      # (taps, M)
        if mode == "bicubic":
            col = _pad_taps(col, size, padding, align_corners)
        ok = (col >= 0) & (col < size)
        if mode == "nearest":
            ok &= np.isfinite(position)                 # NaN with zeros padding reads nothing
        cols.append(col * strides[axis])              # (kept only where ok, below)
        oks.append(ok)
        ts.append(t)
        slopes.append(slope)
    corners = tuple(itertools.product(range(taps_per), repeat=dims))
    # every neighbour's offset in its image and whether it is inside, summed and and-ed one
    # component at a time (the first component's tap slowest, as in `corners`)
    offset, ok = cols[0], oks[0]
    for col, ok_d in zip(cols[1:], oks[1:]):
        offset = (offset[:, None] + col).reshape(len(offset) * len(col), m)
        ok = (ok[:, None] & ok_d).reshape(len(offset), m)
    offset += np.repeat(np.arange(n) * math.prod(sizes), m // n if n else 0)
    # a neighbour outside reads the zero row after the last (so an inf or NaN on the image's
    # edge does not leak into the points outside as 0 · inf)
    index = np.where(ok, offset, n * math.prod(sizes))
    inside = ok.astype(grid.dtype)
    out_shape = (n, x_shape[1]) + grid.shape[1:-1]
    if mode == "nearest":
        factor, weight = (), inside
    else:
        factor = tuple(np.stack(factors(mode, t)) for t in ts)
        weight = outer(factor) * inside
    return Plan(mode, index, inside, tuple(ts), tuple(slopes), corners, tuple(x_shape),
                out_shape, grid.shape, need, factor, weight)


# ----------------------------------------------------------------------------------------------
# The weights: one factor per component, polynomials in t (arrays, or nodes for create_graph)
# ----------------------------------------------------------------------------------------------

def factors(mode: str, t: Any) -> list:
    """Each tap's factor at fractional position t (1 - t, t for linear; Keys' cubic at the
    four distances for bicubic)."""
    if mode == "bilinear":
        return [1 - t, t]
    a = CUBIC_A
    near = lambda d: ((a + 2) * d - (a + 3)) * d * d + 1           # noqa: E731  |d| <= 1
    far = lambda d: ((a * d - 5 * a) * d + 8 * a) * d - 4 * a      # noqa: E731  1 <= |d| <= 2
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def factor_slopes(mode: str, t: Any) -> list:
    """d(factor)/dt for each tap of `factors`."""
    if mode == "bilinear":
        return [-1, 1]
    a = CUBIC_A
    near = lambda d: (3 * (a + 2) * d - 2 * (a + 3)) * d          # noqa: E731
    far = lambda d: (3 * a * d - 10 * a) * d + 8 * a               # noqa: E731
    return [far(t + 1), near(t), -near(1 - t), -far(2 - t)]


def outer(factor: tuple) -> np.ndarray:
    """(K, M): every neighbour's product of its components' factors, in `corners`' order (the
    first component's tap slowest), from each component's (taps, M) factors."""
    product = factor[0]
    for f in factor[1:]:
        product = (product[:, None] * f).reshape(len(product) * len(f), f.shape[1])
    return product


def weights(p: Plan, t: tuple) -> list:
    """w_k for every neighbour k: its factors' product, 0 outside the image."""
    if p.mode == "nearest":
        return list(p.inside)
    fs = [factors(p.mode, td) for td in t]
    return [math.prod(fs[d][j] for d, j in enumerate(corner)) * p.inside[k]
            for k, corner in enumerate(p.corners)]


def weight_slopes(p: Plan, t: tuple, d: int) -> list:
    """∂w_k/∂t_d for every neighbour k."""
    fs = [factors(p.mode, td) for td in t]
    slope = factor_slopes(p.mode, t[d])
    return [math.prod(slope[j] if e == d else fs[e][j] for e, j in enumerate(corner))
            * p.inside[k] for k, corner in enumerate(p.corners)]


# ----------------------------------------------------------------------------------------------
# Rows in and out: x (N, C, *S) as (N·S, C) rows, the points' (M, C) rows as (N, C, *S_out)
# ----------------------------------------------------------------------------------------------

def to_rows(x: Any, count: int) -> Any:
    """(N, C, *S) -> (N·S, C): the channels of each pixel side by side, so that one `take`
    fetches them all (8x faster than fancy indexing channels-first)."""
    n, c = x.shape[:2]
    rows = x.reshape(n, c, math.prod(x.shape[2:])).transpose(0, 2, 1)
    if isinstance(rows, np.ndarray):
        return np.ascontiguousarray(rows).reshape(count, c)
    return rows.reshape(count, c)


def input_rows(p: Plan, x: Any) -> Any:
    """x as (N·S + 1, C) rows, the last of zeros: what the neighbours outside read."""
    n, c = p.x_shape[:2]
    pixels = math.prod(p.x_shape[2:])
    if isinstance(x, Node):
        from ..tensor import Tensor, concatenate
        return concatenate([to_rows(x, n * pixels), Tensor(np.zeros((1, c), dtype=x.dtype))], 0)
    rows = np.empty((n * pixels + 1, c), dtype=x.dtype)
    rows[:-1].reshape(n, pixels, c)[...] = x.reshape(n, c, pixels).transpose(0, 2, 1)
    rows[-1] = 0
    return rows


def from_rows(rows: Any, shape: tuple) -> Any:
    """(N·P, C) -> (N, C, *S_out)."""
    n, c = shape[:2]
    out = rows.reshape(n, math.prod(shape[2:]), c).transpose(0, 2, 1)
    if isinstance(out, np.ndarray):
        out = np.ascontiguousarray(out)
    return out.reshape(shape)


def gather(p: Plan, x: Any) -> Any:
    """x at every neighbour: (K, M, C)."""
    rows = input_rows(p, x)
    if isinstance(rows, Node):
        return rows[p.index.reshape(-1)].reshape(len(p.index), -1, p.x_shape[1])
    return rows.take(p.index.reshape(-1), axis=0).reshape(len(p.index), -1, p.x_shape[1])


def input_planes(p: Plan, x: np.ndarray) -> np.ndarray:
    """x as (C, N·S + 1): each channel's pixels of every image in one row, then a 0 (what the
    neighbours outside read, at index N·S as in `input_rows`). A take along the rows then
    reads C values a point with long inner loops: on (8, 3, 64, 64) the forward took 0.35 ms
    against 0.97 from (N·S, C) rows (whose broadcast weights run C-long loops), 1.8 against
    1.9 on (32, 16, 28, 28), 2.2 against 3.6 on (8, 64, 32, 32); the copy from (N, C, S) moves
    whole S-long rows (0.06 ms against 0.16 for the rows)."""
    n, c = p.x_shape[:2]
    pixels = math.prod(p.x_shape[2:])
    planes = np.empty((c, n * pixels + 1), dtype=x.dtype)
    planes[:, :-1].reshape(c, n, pixels)[...] = x.reshape(n, c, pixels).transpose(1, 0, 2)
    planes[:, -1] = 0
    return planes


def planes_of(g: np.ndarray) -> np.ndarray:
    """(N, C, *S_out) -> (C, N·P), as `input_planes` lays out the points."""
    n, c, points = g.shape[0], g.shape[1], math.prod(g.shape[2:])
    return np.ascontiguousarray(g.reshape(n, c, points).transpose(1, 0, 2)).reshape(c, n * points)


def sample_forward(p: Plan, x: np.ndarray) -> np.ndarray:
    """Σ_k w_k · x[i_k], as (N, C, *S_out): each neighbour's values taken into one reused
    (C, M) buffer (no (K, C, M) array, K times the memory to write and read back), summed in
    another, which is then laid out as (N, C, P) (0.1-0.7 ms less than summing straight into
    the output seen as (C, N, P)). mode="clip" skips take's bounds checks: the indices lie in
    [0, N·S] by construction."""
    planes, w = input_planes(p, x), p.weight
    out = planes.take(p.index[0], axis=1, mode="clip")
    out *= w[0]
    values = np.empty_like(out)
    for k in range(1, len(w)):
        planes.take(p.index[k], axis=1, out=values, mode="clip")
        values *= w[k]
        out += values
    n, c, points = p.out_shape[0], p.out_shape[1], math.prod(p.out_shape[2:])
    return np.ascontiguousarray(out.reshape(c, n, points).transpose(1, 0, 2)).reshape(p.out_shape)


def input_gradient(p: Plan, g: Any, w: Any) -> Any:
    """dx: each g[n, :, p] · w_k[n, p] added onto neighbour i_k[n, p]."""
    n, c = p.x_shape[:2]
    count = n * math.prod(p.x_shape[2:])
    if isinstance(g, Node) or isinstance(w[0], Node):
        from ..tensor import Tensor, concatenate
        g_rows = to_rows(g, len(p.index[0]))
        scaled = [g_rows * wk.reshape(-1, 1) for wk in w]
        spread = concatenate(scaled, 0) if len(scaled) > 1 else scaled[0]
        zero = Tensor(np.zeros((count + 1, c), dtype=g.dtype))
        return from_rows(zero.index_add(0, p.index.reshape(-1), spread)[:count], p.x_shape)
    # one scatter per channel over all K neighbours at once, into x laid out as planes (C,
    # N·S + 1) whose last column takes the neighbours outside; np.add.at adds in g's own
    # precision (PyTorch's too) and on (32, 16, 28, 28) took 3.2 ms against bincount's 3.6
    # (11.4 against 15.6 for bicubic's 16 taps); before numpy 1.25 its loop was slow
    g_planes, w = planes_of(g), np.asarray(w)
    index = p.index.reshape(-1)
    planes = np.zeros((c, count + 1), dtype=g.dtype)
    spread = np.empty(w.shape, dtype=g.dtype)
    for channel in range(c):
        np.multiply(w, g_planes[channel], out=spread)
        if _ADD_AT_IS_FAST:
            np.add.at(planes[channel], index, spread.reshape(-1))
        else:
            planes[channel] = np.bincount(index, spread.reshape(-1), minlength=count + 1)
    pixels = math.prod(p.x_shape[2:])
    dx = planes[:, :count].reshape(c, n, pixels).transpose(1, 0, 2)
    return np.ascontiguousarray(dx).reshape(p.x_shape)


def grid_gradient(p: Plan, g: Any, x: Any, t: tuple) -> Any:
    """dgrid_d = s_d · Σ_k ∂w_k/∂t_d · (g · x[i_k] summed over channels)."""
    if p.mode == "nearest":             # piecewise constant in the grid: no gradient
        return np.zeros(p.grid_shape, dtype=p.slope[0].dtype)
    if isinstance(g, Node) or isinstance(x, Node):
        g_rows = to_rows(g, len(p.index[0]))                        # (M, C)
        values = gather(p, x)                                       # (K, M, C)
        products = (values * g_rows).sum(axis=2)                    # (K, M)
        parts = []
        for d in range(len(t)):
            slopes = weight_slopes(p, t, d)
            parts.append(sum(products[k] * slopes[k] for k in range(len(slopes))) * p.slope[d])
        from ..tensor import stack
        return stack(parts, 1).reshape(p.grid_shape)
    planes, g_planes = input_planes(p, x), planes_of(g)            # (C, N·S + 1), (C, M)
    products = np.empty((len(p.index), g_planes.shape[1]), dtype=g.dtype)
    values = np.empty_like(g_planes)
    for k in range(len(p.index)):                   # Σ_c g · x[i_k], one neighbour at a time
        planes.take(p.index[k], axis=1, out=values, mode="clip")
        np.einsum("cm,cm->m", values, g_planes, out=products[k])
    # ∂w_k/∂t_d is separable: contract the (taps,) * D products one component at a time, with
    # d's factor slopes and the others' factors (bicubic: 20 products of M a component, not 16
    # weights' 32; outside neighbours have products 0, so no mask is needed)
    dims, m = len(t), products.shape[1]
    out = np.empty((m, dims), dtype=p.slope[0].dtype)
    for d in range(dims):
        total = products.reshape((len(p.factor[0]),) * dims + (m,))
        for e in reversed(range(dims)):
            f = p.factor[e] if e != d else factor_slopes(p.mode, t[d])
            total = sum(f[j] * total[..., j, :] for j in range(len(f)))
        out[:, d] = total * p.slope[d]
    return out.reshape(p.grid_shape)


def grid_positions(p: Plan, grid: Node) -> tuple:
    """t_d as nodes of the grid: the same numbers, with slope s_d (for create_graph)."""
    if p.mode == "nearest":
        return p.t
    flat = grid.reshape(-1, len(p.t))
    return tuple(p.t[d] + (flat[:, d] - flat.data[:, d]) * p.slope[d] for d in range(len(p.t)))


class GridSample(Op):
    """y[n, c, p] = Σ_k w_k(grid[n, p]) · x[n, c, i_k];  dx: g · w_k scattered to i_k, dgrid:
    Σ_k ∂w_k/∂grid · Σ_c g · x[i_k]"""
    name = "grid_sample"

    @staticmethod
    def forward(ctx, x, grid):
        return sample_forward(ctx, x)

    @staticmethod
    def backward(ctx, g, out, x, grid):
        graph = isinstance(g, Node)
        t = grid_positions(ctx, grid) if graph else ctx.t
        w = weights(ctx, t) if graph else ctx.weight
        dx = input_gradient(ctx, g, w) if ctx.need[0] else None
        dgrid = grid_gradient(ctx, g, x, t) if ctx.need[1] else None
        return dx, dgrid
