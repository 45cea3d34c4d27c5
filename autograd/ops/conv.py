"""2-D convolution (PyTorch's cross-correlation, NCHW) by im2col and one matmul, and zero padding.

    y[n, o] = b[o] + Σ_c Σ_ij w[o, c, i, j] · x_pad[n, c, s·h + d·i, s·w + d·j]

im2col copies every receptive field of x into a column, so the whole layer is one product:

    cols (N, C·kh·kw, Ho·Wo)    W (O, C·kh·kw)    y = W @ cols  (N, O, Ho·Wo) = NCHW already

A convolution is linear in x and in w, so its two gradients are the other two "faces" of the
same sum, and each of them is linear again:

    dx = conv_input_grad(g, w)     the adjoint of x ↦ conv(x, w): W.T @ g, then col2im
    dw = conv_weight_grad(x, g)    Σ_n g[n] @ cols[n].T

Because of this, the backward of each of the three ops is made of the other two, so gradients of
any order come out of the same three rules: called with Tensors (in the higher-order pass) they
record nodes, called with arrays they compute. `groups` splits the channels into independent
convolutions (a batch axis in the matmul).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..graph import Node, Op


class Geometry(NamedTuple):
    """How the kernel walks over the input: (h, w) pairs of ints, and the number of groups."""
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int

    def output_size(self, size: tuple, kernel: tuple) -> tuple:
        """(Ho, Wo) for an input (H, W) and a kernel (kh, kw); < 1 when the kernel does not fit."""
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
                     zip(size, kernel, self.stride, self.padding, self.dilation))


# ----------------------------------------------------------------------------------------------
# The numpy kernels: im2col, col2im and the three products
# ----------------------------------------------------------------------------------------------

def pad_hw(x: np.ndarray, padding: tuple) -> np.ndarray:
    """x (N, C, H, W) with `padding` zeros added on both sides of H and W (x itself if none)."""
    ph, pw = padding
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def windows(xp: np.ndarray, kernel: tuple, out_size: tuple, geo: Geometry) -> np.ndarray:
    """A read-only view (N, C, kh, kw, Ho, Wo) of the padded input: [..., i, j, h, w] is the
    pixel that kernel tap (i, j) sees at output position (h, w). No copy."""
    sn, sc, sh, sw = xp.strides
    (dh, dw), (th, tw) = geo.dilation, geo.stride
    shape = xp.shape[:2] + tuple(kernel) + tuple(out_size)
    strides = (sn, sc, sh * dh, sw * dw, sh * th, sw * tw)
    return as_strided(xp, shape, strides, writeable=False)


def im2col(x: np.ndarray, kernel: tuple, geo: Geometry) -> np.ndarray:
    """Every receptive field as a column: (N, G, C/G·kh·kw, Ho·Wo), one contiguous copy."""
    n, c = x.shape[:2]
    out_size = geo.output_size(x.shape[2:], kernel)
    view = windows(pad_hw(x, geo.padding), kernel, out_size, geo)
    cols = np.ascontiguousarray(view)
    return cols.reshape(n, geo.groups, -1, out_size[0] * out_size[1])


def col2im(cols: np.ndarray, x_shape: tuple, kernel: tuple, geo: Geometry) -> np.ndarray:
    """The adjoint of im2col: every column entry is added back onto the pixel it came from.

    One strided add per kernel tap (kh·kw of them), each covering the whole batch."""
    n, c, h, w = x_shape
    (ph, pw), (dh, dw), (sh, sw) = geo.padding, geo.dilation, geo.stride
    ho, wo = geo.output_size((h, w), kernel)
    taps = cols.reshape(n, c, kernel[0], kernel[1], ho, wo)
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            xp[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh,
               j * dw:j * dw + sw * (wo - 1) + 1:sw] += taps[:, :, i, j]
    return xp[:, :, ph:ph + h, pw:pw + w] if (ph or pw) else xp


def _grouped(w: np.ndarray, groups: int) -> np.ndarray:
    """The weight (O, C/G, kh, kw) as G matrices (G, O/G, C/G·kh·kw)."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def conv_forward(x: np.ndarray, w: np.ndarray, geo: Geometry, cols: np.ndarray | None = None):
    """conv(x, w) on arrays: (N, O, Ho, Wo). `cols` is im2col(x) if the caller already has it."""
    kernel = w.shape[2:]
    if cols is None:
        cols = im2col(x, kernel, geo)
    ho, wo = geo.output_size(x.shape[2:], kernel)
    y = np.matmul(_grouped(w, geo.groups), cols)             # (N, G, O/G, Ho·Wo)
    return y.reshape(x.shape[0], w.shape[0], ho, wo)


def conv_input_grad_forward(g: np.ndarray, w: np.ndarray, geo: Geometry, x_shape: tuple):
    """dL/dx of y = conv(x, w) for dL/dy = g: each column gets Wᵀ g, then col2im."""
    n, o = g.shape[:2]
    wg = _grouped(w, geo.groups)                             # (G, O/G, K)
    gg = g.reshape(n, geo.groups, o // geo.groups, -1)       # (N, G, O/G, L)
    dcols = np.matmul(wg.swapaxes(1, 2), gg)                 # (N, G, K, L)
    return col2im(dcols, x_shape, w.shape[2:], geo)


def conv_weight_grad_forward(x: np.ndarray, g: np.ndarray, geo: Geometry, w_shape: tuple,
                             cols: np.ndarray | None = None):
    """dL/dw of y = conv(x, w) for dL/dy = g: Σ_n g[n] colsᵀ[n], one product over the batch."""
    if cols is None:
        cols = im2col(x, w_shape[2:], geo)
    n, groups, k, l = cols.shape
    o = g.shape[1]
    gg = g.reshape(n, groups, o // groups, l).transpose(1, 2, 0, 3).reshape(groups, o // groups,
                                                                            n * l)
    cc = cols.transpose(1, 0, 3, 2).reshape(groups, n * l, k)
    return np.matmul(gg, cc).reshape(w_shape)


# ----------------------------------------------------------------------------------------------
# The ops, and the functions their rules call (nodes in, nodes out; arrays in, arrays out)
# ----------------------------------------------------------------------------------------------

class ConvCtx:
    """What a convolution node keeps: the geometry, which inputs need a gradient, and (first
    order only) the im2col columns of x, which the weight's gradient reuses."""
    __slots__ = ("geo", "needs", "cols", "shape")

    def __init__(self, geo: Geometry, needs: tuple, shape: tuple = ()) -> None:
        self.geo, self.needs, self.cols, self.shape = geo, needs, None, shape


def _apply(op: type, inputs: tuple, geo: Geometry, shape: tuple = ()):
    tensor = type(next(t for t in inputs if isinstance(t, Node)))
    inputs = tuple(t if isinstance(t, Node) else tensor(t) for t in inputs)
    return tensor._apply(op, inputs, ConvCtx(geo, tuple(t.requires_grad for t in inputs), shape))


def conv(x, w, geo: Geometry):
    """conv(x, w) without bias, on arrays or nodes."""
    if isinstance(x, Node) or isinstance(w, Node):
        return _apply(Conv2d, (x, w), geo)
    return conv_forward(x, w, geo)


def conv_input_grad(g, w, geo: Geometry, x_shape: tuple):
    """The gradient of conv(x, w) with respect to x, on arrays or nodes."""
    if isinstance(g, Node) or isinstance(w, Node):
        return _apply(ConvInputGrad, (g, w), geo, tuple(x_shape))
    return conv_input_grad_forward(g, w, geo, x_shape)


def conv_weight_grad(x, g, geo: Geometry, w_shape: tuple):
    """The gradient of conv(x, w) with respect to w, on arrays or nodes."""
    if isinstance(x, Node) or isinstance(g, Node):
        return _apply(ConvWeightGrad, (x, g), geo, tuple(w_shape))
    return conv_weight_grad_forward(x, g, geo, w_shape)


class Conv2d(Op):
    """y = conv(x, w) + b (cross-correlation, NCHW);  dx = conv_input_grad(g, w),
    dw = conv_weight_grad(x, g), db = Σ_{n,h,w} g. Works at any order."""
    name = "conv2d"

    def forward(ctx, x, w, b=None):
        if ctx.needs[1]:                  # the weight's gradient will need the columns again
            ctx.cols = im2col(x, w.shape[2:], ctx.geo)
        y = conv_forward(x, w, ctx.geo, ctx.cols)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def backward(ctx, g, out, x, w, b=None):
        need_x, need_w = ctx.needs[:2]
        gx = conv_input_grad(g, w, ctx.geo, x.shape) if need_x else None
        if need_w and not isinstance(g, Node) and ctx.cols is not None:
            gw = conv_weight_grad_forward(x, g, ctx.geo, w.shape, ctx.cols)
        else:
            gw = conv_weight_grad(x, g, ctx.geo, w.shape) if need_w else None
        gb = g.sum(axis=(0, 2, 3)) if b is not None and ctx.needs[2] else None
        return gx, gw, gb


class ConvInputGrad(Op):
    """dx = conv_input_grad(g, w) (a transposed convolution);  bilinear, so for upstream h:
    d/dg = conv(h, w), d/dw = conv_weight_grad(h, g)"""
    name = "conv2d_input_grad"

    def forward(ctx, g, w):
        return conv_input_grad_forward(g, w, ctx.geo, ctx.shape)

    def backward(ctx, h, out, g, w):
        need_g, need_w = ctx.needs
        return (conv(h, w, ctx.geo) if need_g else None,
                conv_weight_grad(h, g, ctx.geo, w.shape) if need_w else None)


class ConvWeightGrad(Op):
    """dw = conv_weight_grad(x, g);  bilinear, so for upstream k (shaped like w):
    d/dx = conv_input_grad(g, k), d/dg = conv(x, k)"""
    name = "conv2d_weight_grad"

    def forward(ctx, x, g):
        return conv_weight_grad_forward(x, g, ctx.geo, ctx.shape)

    def backward(ctx, k, out, x, g):
        need_x, need_g = ctx.needs
        return (conv_input_grad(g, k, ctx.geo, x.shape) if need_x else None,
                conv(x, k, ctx.geo) if need_g else None)


class Pad(Op):
    """x with constant borders: ctx = (((before, after) per axis), value);  the gradient is the
    middle of g (the padding was constant, so it gets none)"""
    name = "pad"

    def forward(ctx, x):
        widths, value = ctx
        return np.pad(x, widths, constant_values=value)

    def backward(ctx, g, out, x):
        widths, _ = ctx
        return (g[tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))],)
