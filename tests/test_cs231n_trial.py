"""A user trial: a student works through a CS231n-style course's assignments, writing every
layer by hand in numpy (forward and backward, the cache passed between them) and using glassgrad
(`import autograd as torch`, `import nn`, `from nn import functional as F`) to check the hand
gradients and to train.

Each hand backward is checked three ways in float64: against glassgrad's autograd on the same
forward written with Tensor ops or `nn.functional`, against `autograd.gradcheck` run on the
hand layer wrapped as an `autograd.Function` (its backward the hand one), and against PyTorch
where it is installed. The layers: affine, ReLU, softmax and multiclass SVM losses, batch norm
(both backwards, the graph one and the simplified one), layer norm, inverted dropout, naive
convolution and max pooling, spatial batch norm, group norm, a vanilla RNN step and sequence,
word embedding, temporal affine, the masked temporal softmax loss and an LSTM step.
Then the course's models: a two-layer net and a FullyConnectedNet trained with SGD-momentum,
RMSprop and Adam written by hand and with `nn.optim` (the same numbers step for step), each
overfitting 50 examples to 100 %; saliency maps, a fooling image and a class visualisation
(L2 regularisation, jitter by `np.roll`) on a tiny CNN trained here; an RNN captioner over a toy
vocabulary whose greedy samples give back the captions it learnt.

What the trial found and fixed: `gradcheck(f, inputs, eps=1e-6, atol=1e-4, fast_mode=True)`
and PyTorch's other gradcheck/gradgradcheck keywords were unexpected keyword arguments; now
those whose check glassgrad's already makes are taken and the rest refused saying why.
`gradcheck` of a numpy forward (which returns an array) said only "f must return a Value or
Tensor"; now it says to make the forward and the hand backward a Function. The network
visualisation notebook's `dtype = torch.FloatTensor` (`x.type(dtype)`) and `X.grad.data.abs()`
(numpy's memoryview here) now get hints saying what to write. Differences that stay: `.grad`
and `.data` are numpy arrays (`np.abs(X.grad)`, `X.grad = None`), a positional `scores.max(1)`
is numpy's (`_, pred = scores.max(dim=1)`), and nn's batch-norm momentum is PyTorch's (the
course's 0.9 is 0.1 there).
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Callable, NamedTuple

import numpy as np
import pytest

import autograd as torch
import nn
import nn.optim as optim
from nn import functional as F

from torch_helpers import needs_torch
from torch_helpers import torch as pytorch


# -- the assignments' layers, by hand in numpy --------------------------------------------------

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    return dx, dw, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, x):
    return dout * (x > 0)


def svm_loss(scores, y):
    n = scores.shape[0]
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1.0)
    margins[np.arange(n), y] = 0
    dscores = (margins > 0).astype(scores.dtype)
    dscores[np.arange(n), y] = -dscores.sum(axis=1)
    return margins.sum() / n, dscores / n


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    probs = np.exp(log_probs)
    probs[np.arange(n), y] -= 1
    return -log_probs[np.arange(n), y].mean(), probs / n


def batchnorm_forward(x, gamma, beta, bn_param):
    """The course's convention: running = momentum * running + (1 - momentum) * batch's."""
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d))
    running_var = bn_param.get("running_var", np.ones(d))
    if bn_param["mode"] == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        xhat = (x - mu) * inv_std
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        return gamma * xhat + beta, (x, mu, inv_std, xhat, gamma)
    xhat = (x - running_mean) / np.sqrt(running_var + eps)
    return gamma * xhat + beta, None


def batchnorm_backward(dout, cache):
    """Through the graph, node by node."""
    x, mu, inv_std, xhat, gamma = cache
    n = x.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    xmu = x - mu
    dinv_std = (dxhat * xmu).sum(axis=0)
    dvar = dinv_std * -0.5 * inv_std ** 3
    dxmu = dxhat * inv_std + dvar * 2 * xmu / n
    dx = dxmu - dxmu.sum(axis=0) / n
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """The simplified expression, worked out on paper."""
    x, mu, inv_std, xhat, gamma = cache
    n = x.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)
    dx = gamma * inv_std / n * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv_std
    return gamma * xhat + beta, (inv_std, xhat, gamma)


def layernorm_backward(dout, cache):
    inv_std, xhat, gamma = cache
    d = xhat.shape[1]
    dxhat = dout * gamma
    dx = inv_std / d * (d * dxhat - dxhat.sum(axis=1, keepdims=True)
                        - xhat * (dxhat * xhat).sum(axis=1, keepdims=True))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def dropout_forward(x, dropout_param):
    """Inverted dropout; the course's p is the probability to KEEP a unit."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = (rng.random(x.shape) < p) / p
        return x * mask, mask
    return x, None


def dropout_backward(dout, mask):
    return dout * mask


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, _, h, wid = x.shape
    f, _, hh, ww = w.shape
    h_out, w_out = 1 + (h + 2 * pad - hh) // stride, 1 + (wid + 2 * pad - ww) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = window.reshape(n, -1) @ w.reshape(f, -1).T + b
    return out, (x, w, conv_param)


def conv_backward_naive(dout, cache):
    x, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    n = x.shape[0]
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + hh), slice(j * stride, j * stride + ww)
            g = dout[:, :, i, j]                                        # (N, F)
            dw += (g.T @ xp[:, :, rows, cols].reshape(n, -1)).reshape(w.shape)
            dxp[:, :, rows, cols] += (g @ w.reshape(f, -1)).reshape(n, *w.shape[1:])
    dx = dxp[:, :, pad:dxp.shape[2] - pad, pad:dxp.shape[3] - pad]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    out = np.zeros((n, c, 1 + (h - ph) // s, 1 + (w - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
            flat = window.reshape(*window.shape[:2], -1)
            at = np.argmax(flat, axis=2)            # the first maximum, as the forward took
            mask = np.zeros_like(flat)
            np.put_along_axis(mask, at[..., None], 1.0, axis=2)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += \
                mask.reshape(window.shape) * dout[:, :, i, j][:, :, None, None]
    return dx


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    flat = x.transpose(0, 2, 3, 1).reshape(-1, c)
    out, cache = batchnorm_forward(flat, gamma, beta, bn_param)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """gamma and beta of shape (1, C, 1, 1), as the course keeps them."""
    eps = gn_param.get("eps", 1e-5)
    n, c, h, w = x.shape
    groups = x.reshape(n, G, -1)
    mu, var = groups.mean(axis=2, keepdims=True), groups.var(axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = ((groups - mu) * inv_std).reshape(x.shape)
    return gamma * xhat + beta, (G, inv_std, xhat, gamma)


def spatial_groupnorm_backward(dout, cache):
    G, inv_std, xhat, gamma = cache
    n = dout.shape[0]
    dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(n, G, -1)
    xh = xhat.reshape(n, G, -1)
    m = xh.shape[2]
    dx = inv_std / m * (m * dxhat - dxhat.sum(axis=2, keepdims=True)
                        - xh * (dxhat * xh).sum(axis=2, keepdims=True))
    return dx.reshape(dout.shape), dgamma, dbeta


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    n, t, _ = x.shape
    h, caches, prev = np.zeros((n, t, h0.shape[1])), [], h0
    for k in range(t):
        prev, cache = rnn_step_forward(x[:, k], prev, Wx, Wh, b)
        h[:, k] = prev
        caches.append(cache)
    return h, caches


def rnn_backward(dh, caches):
    n, t, _ = dh.shape
    x0, _, Wx, Wh, _ = caches[0]
    dx = np.zeros((n, t, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dprev = np.zeros((n, Wh.shape[0]))
    for k in reversed(range(t)):
        dx[:, k], dprev, dwx, dwh, dbk = rnn_step_backward(dh[:, k] + dprev, caches[k])
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbk
    return dx, dprev, dWx, dWh, db


def word_embedding_forward(x, W):
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache):
    x, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, x, dout)
    return dW


def temporal_affine_forward(x, w, b):
    n, t, d = x.shape
    return (x.reshape(n * t, d) @ w + b).reshape(n, t, -1), (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    n, t, d = x.shape
    g = dout.reshape(n * t, -1)
    return (g @ w.T).reshape(n, t, d), x.reshape(n * t, d).T @ g, g.sum(axis=0)


def temporal_softmax_loss(x, y, mask):
    n, t, v = x.shape
    flat, yf, mf = x.reshape(n * t, v), y.reshape(n * t), mask.reshape(n * t)
    shifted = flat - flat.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -(mf * log_probs[np.arange(n * t), yf]).sum() / n
    dx = np.exp(log_probs)
    dx[np.arange(n * t), yf] -= 1
    return loss, (dx * mf[:, None] / n).reshape(n, t, v)


def sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))         # no overflow for large |x|


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """Gates in the course's order i, f, o, g (PyTorch's is i, f, g, o)."""
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tc = np.tanh(next_c)
    return o * tc, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tc)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tc = cache
    dc = dnext_c + dnext_h * o * (1 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                         dnext_h * tc * o * (1 - o), dc * i * (1 - g ** 2)], axis=1)
    return (da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0))



def lstm_forward(x, h0, Wx, Wh, b):
    n, t, _ = x.shape
    h, caches = np.zeros((n, t, h0.shape[1])), []
    prev_h, prev_c = h0, np.zeros_like(h0)
    for k in range(t):
        prev_h, prev_c, cache = lstm_step_forward(x[:, k], prev_h, prev_c, Wx, Wh, b)
        h[:, k] = prev_h
        caches.append(cache)
    return h, caches


def lstm_backward(dh, caches):
    n, t, _ = dh.shape
    x0, _, _, Wx, Wh = caches[0][:5]
    dx, dWx, dWh = np.zeros((n, t, x0.shape[1])), np.zeros_like(Wx), np.zeros_like(Wh)
    db, dprev_h, dprev_c = np.zeros(Wx.shape[1]), np.zeros((n, Wh.shape[0])), 0
    for k in reversed(range(t)):
        dx[:, k], dprev_h, dprev_c, dwx, dwh, dbk = lstm_step_backward(dh[:, k] + dprev_h,
                                                                        dprev_c, caches[k])
        dWx, dWh, db = dWx + dwx, dWh + dwh, db + dbk
    return dx, dprev_h, dWx, dWh, db

# -- checking a hand layer: glassgrad's autograd, gradcheck on the hand op, PyTorch -------------

class HandLayer(torch.autograd.Function):
    """A hand layer as an op of glassgrad's graph: forward and backward are the hand ones, so
    `gradcheck` compares the hand backward with finite differences of the hand forward."""

    @staticmethod
    def forward(ctx, *inputs):
        out, ctx.cache = ctx.forward(*inputs, *ctx.settings)
        return out

    @staticmethod
    def backward(ctx, g, out, *inputs):
        grads = ctx.backward(g, ctx.cache)
        grads = grads if isinstance(grads, tuple) else (grads,)
        return grads + (None,) * (len(inputs) - len(grads))


def hand_op(forward, backward, *settings):
    """f(*tensors) running the hand layer; `settings` (a dict, G) go to forward as they are."""
    def f(*tensors):
        ctx = SimpleNamespace(forward=forward, backward=backward, settings=settings)
        return HandLayer.apply(*tensors, ctx=ctx)
    return f


def hand_loss(loss):
    """A loss layer's (loss, dscores) as forward and backward (the upstream g times dscores)."""
    def forward(scores, y, *more):
        value, dscores = loss(scores, y, *more)
        return np.asarray(value), dscores

    def backward(g, dscores):
        return g * dscores
    return forward, backward


class Layer(NamedTuple):
    """A hand layer (forward(*arrays, *constants, *settings) -> (out, cache), backward(dout,
    cache) -> the arrays' gradients) beside the same forward in PyTorch's spelling,
    engine(lib, F, *tensors, *constants), for lib = glassgrad or PyTorch."""
    forward: Callable
    backward: Callable
    engine: Callable
    arrays: list
    constants: list = []
    settings: list = []


def train_batch_norm(lib, F, x, gamma, beta):
    """Batch norm in training mode: the batch's statistics, no running averages."""
    return F.batch_norm(x, None, None, gamma, beta, training=True)


def lstm_order(H):
    """The course's LSTM gates i, f, o, g as PyTorch's i, f, g, o: the last two blocks swap."""
    return np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]


def layer_cases():
    """name -> Layer, each group in a function of its own (the engines' closures keep its
    sizes)."""
    rng = np.random.default_rng(0)
    cases = {}
    for group in (_affine_and_losses, _norms_and_dropout, _convolution_and_pooling,
                  _vanilla_rnn, _words, _lstm):
        cases.update(group(rng))
    return cases


def _affine_and_losses(rng):
    cases = {}
    x, w, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    cases["affine-F.linear"] = Layer(affine_forward, affine_backward,
                                     lambda lib, F, x, w, b: F.linear(x.flatten(1), w.T, b),
                                     [x, w, b])
    cases["affine-ops"] = Layer(affine_forward, affine_backward,
                                lambda lib, F, x, w, b: x.reshape(x.shape[0], -1) @ w + b,
                                [x, w, b])
    away = rng.uniform(0.1, 1.0, (3, 7)) * rng.choice([-1, 1], (3, 7))     # no kink at 0
    cases["relu"] = Layer(relu_forward, relu_backward, lambda lib, F, x: F.relu(x), [away])
    cases["relu-clamp"] = Layer(relu_forward, relu_backward, lambda lib, F, x: x.clamp(min=0),
                                [away])
    scores, labels = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    # the course's SVM loss sums the margins; multi_margin_loss also divides them by the classes
    cases["svm-loss"] = Layer(*hand_loss(svm_loss),
                              lambda lib, F, s, y: 5 * F.multi_margin_loss(s, y), [scores],
                              [labels])
    cases["softmax-loss"] = Layer(*hand_loss(softmax_loss),
                                  lambda lib, F, s, y: F.cross_entropy(s, y), [scores],
                                  [labels])
    return cases


def _norms_and_dropout(rng):
    cases = {}
    x = 3 * rng.standard_normal((8, 5)) + 2
    gamma, beta = rng.uniform(0.5, 1.5, 5), rng.standard_normal(5)
    cases["batchnorm"] = Layer(batchnorm_forward, batchnorm_backward, train_batch_norm,
                               [x, gamma, beta], settings=[{"mode": "train"}])
    cases["batchnorm-alt"] = Layer(batchnorm_forward, batchnorm_backward_alt, train_batch_norm,
                                   [x, gamma, beta], settings=[{"mode": "train"}])
    x = 2 * rng.standard_normal((4, 6)) - 1
    gamma, beta = rng.uniform(0.5, 1.5, 6), rng.standard_normal(6)
    cases["layernorm"] = Layer(layernorm_forward, layernorm_backward,
                               lambda lib, F, x, g, b: F.layer_norm(x, (6,), g, b),
                               [x, gamma, beta], settings=[{}])
    seeded = {"p": 0.7, "mode": "train", "seed": 5}
    mask = dropout_forward(x, seeded)[1]            # the same seed: the same mask
    cases["dropout"] = Layer(dropout_forward, dropout_backward,
                             lambda lib, F, x: x * lib.tensor(mask), [x], settings=[seeded])
    return cases


def _convolution_and_pooling(rng):
    cases = {}
    x, w, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3)), \
        rng.standard_normal(4)
    for stride, pad in ((1, 1), (2, 1), (2, 0)):
        cases[f"conv-stride{stride}-pad{pad}"] = Layer(
            conv_forward_naive, conv_backward_naive,
            lambda lib, F, x, w, b, s=stride, p=pad: F.conv2d(x, w, b, stride=s, padding=p),
            [x, w, b], settings=[{"stride": stride, "pad": pad}])
    # distinct values: no ties inside a window, where max pooling has no derivative
    distinct = rng.permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6) * 0.1
    for size, stride in ((2, 2), (3, 1)):
        cases[f"max-pool-{size}-stride{stride}"] = Layer(
            max_pool_forward_naive, max_pool_backward_naive,
            lambda lib, F, x, k=size, s=stride: F.max_pool2d(x, k, s), [distinct],
            settings=[{"pool_height": size, "pool_width": size, "stride": stride}])
    x = 2 * rng.standard_normal((3, 4, 3, 2)) + 1
    gamma, beta = rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)
    cases["spatial-batchnorm"] = Layer(spatial_batchnorm_forward, spatial_batchnorm_backward,
                                       train_batch_norm, [x, gamma, beta],
                                       settings=[{"mode": "train"}])
    x = 2 * rng.standard_normal((2, 6, 3, 3)) + 1
    gamma, beta = rng.uniform(0.5, 1.5, (1, 6, 1, 1)), rng.standard_normal((1, 6, 1, 1))
    cases["groupnorm"] = Layer(
        spatial_groupnorm_forward, spatial_groupnorm_backward,
        lambda lib, F, x, g, b: F.group_norm(x, 3, g.reshape(-1), b.reshape(-1)),
        [x, gamma, beta], settings=[3, {}])

    def group_norm_by_ops(lib, F, x, g, b):
        groups = x.reshape(2, 3, -1)
        mu = groups.mean(dim=2, keepdim=True)
        var = groups.var(dim=2, keepdim=True, unbiased=False)
        return ((groups - mu) / lib.sqrt(var + 1e-5)).reshape(x.shape) * g + b
    cases["groupnorm-ops"] = Layer(spatial_groupnorm_forward, spatial_groupnorm_backward,
                                   group_norm_by_ops, [x, gamma, beta], settings=[3, {}])
    return cases


def _vanilla_rnn(rng):
    cases = {}
    N, T, D, H = 3, 4, 5, 6
    x, h0 = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b = 0.4 * rng.standard_normal((D, H)), 0.4 * rng.standard_normal((H, H)), \
        0.1 * rng.standard_normal(H)
    cases["rnn-step"] = Layer(rnn_step_forward, rnn_step_backward,
                              lambda lib, F, x, h, Wx, Wh, b: lib.tanh(x @ Wx + h @ Wh + b),
                              [x, h0, Wx, Wh, b])
    xs = rng.standard_normal((N, T, D))

    def unrolled(lib, F, x, h, Wx, Wh, b):
        hs = []
        for k in range(x.shape[1]):
            h = lib.tanh(x[:, k] @ Wx + h @ Wh + b)
            hs.append(h)
        return lib.stack(hs, dim=1)
    cases["rnn-unrolled"] = Layer(rnn_forward, rnn_backward, unrolled, [xs, h0, Wx, Wh, b])

    def nn_rnn(lib, F, x, h, Wx, Wh, b):
        """nn.RNN with these weights (stored transposed; its second bias zero)."""
        rnn = (nn if lib is torch else pytorch.nn).RNN(D, H, batch_first=True).double()
        weights = {"weight_ih_l0": Wx.T, "weight_hh_l0": Wh.T, "bias_ih_l0": b,
                   "bias_hh_l0": lib.zeros(H, dtype=lib.float64)}
        return lib.func.functional_call(rnn, weights, (x, h[None]))[0]
    cases["rnn-nn.RNN"] = Layer(rnn_forward, rnn_backward, nn_rnn, [xs, h0, Wx, Wh, b])
    return cases


def _words(rng):
    cases = {}
    N, T, V, D = 3, 5, 7, 4
    words, W = rng.integers(0, V, (N, T)), rng.standard_normal((V, D))
    words[0, :3] = 2                                 # a repeated word: its gradients add up
    embed = lambda W, x: word_embedding_forward(x, W)                              # noqa: E731
    cases["embedding"] = Layer(embed, word_embedding_backward,
                               lambda lib, F, W, x: F.embedding(x, W), [W], [words])
    cases["embedding-index"] = Layer(embed, word_embedding_backward,
                                     lambda lib, F, W, x: W[x], [W], [words])
    x, w, b = rng.standard_normal((N, T, D)), rng.standard_normal((D, V)), rng.standard_normal(V)
    cases["temporal-affine"] = Layer(temporal_affine_forward, temporal_affine_backward,
                                     lambda lib, F, x, w, b: x @ w + b, [x, w, b])
    cases["temporal-affine-F.linear"] = Layer(temporal_affine_forward, temporal_affine_backward,
                                              lambda lib, F, x, w, b: F.linear(x, w.T, b),
                                              [x, w, b])
    scores, y = rng.standard_normal((N, T, V)), rng.integers(1, V, (N, T))
    y[0, 3:], y[2, 1:] = NULL, NULL                  # captions end early: <NULL> is masked
    mask = y != NULL

    def per_word(lib, F, s, y, mask):           # (N*T, V) rows, the mask as weights
        losses = F.cross_entropy(s.reshape(N * T, V), y.reshape(-1), reduction="none")
        return (losses * mask.reshape(-1)).sum() / N

    def classes_second(lib, F, s, y, mask):     # (N, V, T): the class axis second
        return (F.cross_entropy(s.permute(0, 2, 1), y, reduction="none") * mask).sum() / N

    def ignored(lib, F, s, y, mask):
        return F.cross_entropy(s.transpose(1, 2), y, ignore_index=NULL, reduction="sum") / N
    for engine in (per_word, classes_second, ignored):
        cases[f"temporal-softmax-loss-{engine.__name__}"] = Layer(
            *hand_loss(temporal_softmax_loss), engine, [scores], [y, mask])
    return cases


def _lstm(rng):
    cases = {}
    N, D, H = 3, 4, 5
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = 0.5 * rng.standard_normal((D, 4 * H)), 0.5 * rng.standard_normal((H, 4 * H)), \
        0.2 * rng.standard_normal(4 * H)

    def both(x, h, c, Wx, Wh, b):                   # next_h and next_c as one output
        next_h, next_c, cache = lstm_step_forward(x, h, c, Wx, Wh, b)
        return np.stack([next_h, next_c]), cache

    def both_backward(d, cache):
        return lstm_step_backward(d[0], d[1], cache)

    def by_ops(lib, F, x, h, c, Wx, Wh, b):
        i, f, o, g = (x @ Wx + h @ Wh + b).chunk(4, dim=1)
        next_c = lib.sigmoid(f) * c + lib.sigmoid(i) * lib.tanh(g)
        return lib.stack([lib.sigmoid(o) * lib.tanh(next_c), next_c])

    def cell(lib, F, x, h, c, Wx, Wh, b):
        lstm = (nn if lib is torch else pytorch.nn).LSTMCell(D, H).double()
        weights = {"weight_ih": Wx.T[lstm_order(H)], "weight_hh": Wh.T[lstm_order(H)],
                   "bias_ih": b[lstm_order(H)], "bias_hh": lib.zeros(4 * H, dtype=lib.float64)}
        return lib.stack(lib.func.functional_call(lstm, weights, (x, (h, c))))
    cases["lstm-step"] = Layer(both, both_backward, by_ops, [x, h, c, Wx, Wh, b])
    cases["lstm-step-nn.LSTMCell"] = Layer(both, both_backward, cell, [x, h, c, Wx, Wh, b])
    xs = rng.standard_normal((N, 4, D))

    def sequence(lib, F, x, h, Wx, Wh, b):      # the course's c0 is 0
        lstm = (nn if lib is torch else pytorch.nn).LSTM(D, H, batch_first=True).double()
        weights = {"weight_ih_l0": Wx.T[lstm_order(H)], "weight_hh_l0": Wh.T[lstm_order(H)],
                   "bias_ih_l0": b[lstm_order(H)],
                   "bias_hh_l0": lib.zeros(4 * H, dtype=lib.float64)}
        return lib.func.functional_call(lstm, weights,
                                        (x, (h[None], lib.zeros_like(h)[None])))[0]
    cases["lstm-nn.LSTM"] = Layer(lstm_forward, lstm_backward, sequence, [xs, h, Wx, Wh, b])
    return cases


NULL, START, END = 0, 1, 2             # the captions' special words
LAYERS = layer_cases()


def hand_gradients(name):
    """The hand layer's output and gradients for a random upstream gradient dout."""
    case = LAYERS[name]
    out, cache = case.forward(*case.arrays, *case.constants, *case.settings)
    dout = np.random.default_rng(list(LAYERS).index(name)).standard_normal(np.shape(out))
    grads = case.backward(dout, cache)
    return out, dout, grads if isinstance(grads, tuple) else (grads,)


def same_as_hand(lib, F, name, rtol=1e-7):
    """The engine's forward and backward of the layer agree with the hand ones (float64)."""
    case = LAYERS[name]
    out, dout, hand = hand_gradients(name)
    tensors = [lib.tensor(a, requires_grad=True) for a in case.arrays]
    y = case.engine(lib, F, *tensors, *[lib.tensor(c) for c in case.constants])
    np.testing.assert_allclose(y.detach().numpy(), out, rtol=rtol, atol=1e-10)
    y.backward(lib.tensor(dout))
    assert len(hand) == len(tensors)
    for k, (t, g) in enumerate(zip(tensors, hand)):
        grad = t.grad if lib is torch else t.grad.numpy()
        assert grad.dtype == np.float64
        np.testing.assert_allclose(grad, g, rtol=rtol, atol=1e-9, err_msg=f"input {k}")


@pytest.mark.parametrize("name", LAYERS)
def test_hand_backward_is_autograds_and_passes_gradcheck(name):
    same_as_hand(torch, F, name)
    case = LAYERS[name]
    checked = [torch.tensor(a, requires_grad=True) for a in case.arrays]
    assert torch.autograd.gradcheck(hand_op(case.forward, case.backward, *case.settings),
                                    (*checked, *case.constants), eps=1e-6, atol=1e-6, rtol=1e-5)


@needs_torch
@pytest.mark.parametrize("name", LAYERS)
def test_hand_backward_is_pytorchs(name):
    same_as_hand(pytorch, pytorch.nn.functional, name)


def test_hand_layers_sanity_checks():
    """The course's own checks: the two batch-norm backwards agree; a softmax loss of tiny
    scores is log C; the running averages (the course's momentum 0.9 is PyTorch's 0.1; nn,
    as PyTorch, keeps the unbiased variance, the course the biased one); test mode."""
    rng = np.random.default_rng(1)
    x = 3 * rng.standard_normal((8, 5)) + 2
    gamma, beta = rng.uniform(0.5, 1.5, 5), rng.standard_normal(5)
    out, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dout = rng.standard_normal(out.shape)
    for a, b in zip(batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    loss, _ = softmax_loss(0.001 * rng.standard_normal((50, 10)), rng.integers(0, 10, 50))
    assert abs(loss - np.log(10)) < 0.01

    bn_param = {"mode": "train", "momentum": 0.9}
    mean, var = torch.zeros(5, dtype=torch.float64), torch.ones(5, dtype=torch.float64)
    for step in range(3):
        batch = rng.standard_normal((8, 5)) * (step + 1)
        batchnorm_forward(batch, gamma, beta, bn_param)
        F.batch_norm(torch.tensor(batch), mean, var, training=True, momentum=0.1)
        np.testing.assert_allclose(mean.numpy(), bn_param["running_mean"], rtol=1e-12)
    assert not np.allclose(var.numpy(), bn_param["running_var"])
    layer = nn.BatchNorm1d(5, momentum=0.1).double()
    layer.weight.data[:], layer.bias.data[:] = gamma, beta
    y = layer(torch.tensor(x))
    np.testing.assert_allclose(layer.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1))
    np.testing.assert_allclose(y.detach().numpy(), out, rtol=1e-10)
    test = {"mode": "test", "running_mean": layer.running_mean.numpy(),
            "running_var": layer.running_var.numpy()}
    layer.eval()
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(),
                               batchnorm_forward(x, gamma, beta, test)[0], rtol=1e-10)


def test_nn_dropout_is_inverted_dropout_too():
    """p is the probability to DROP here (the course's p keeps): the kept units are scaled by
    1 / keep, so the expected output is the input; in eval mode the input passes."""
    rng = np.random.default_rng(2)
    keep = 0.7
    big = torch.tensor(rng.uniform(1, 2, (200, 50)), requires_grad=True)
    out = F.dropout(big, p=1 - keep, training=True)
    out.sum().backward()
    kept = out.detach().numpy() != 0
    np.testing.assert_allclose(out.detach().numpy()[kept], big.detach().numpy()[kept] / keep)
    np.testing.assert_allclose(big.grad, kept / keep)
    assert abs(kept.mean() - keep) < 0.02
    assert abs(out.detach().numpy().mean() / big.detach().numpy().mean() - 1) < 0.03
    np.testing.assert_array_equal(F.dropout(big, p=1 - keep, training=False).detach().numpy(),
                                  big.detach().numpy())
    ours, course = nn.Dropout(1 - keep), dropout_forward(big.detach().numpy(),
                                                         {"p": keep, "mode": "train", "seed": 0})
    assert abs((course[1] != 0).mean() - keep) < 0.02
    ours.eval()
    assert np.array_equal(ours(big).detach().numpy(), big.detach().numpy())


# -- the course's models and update rules ------------------------------------------------------

def sgd_momentum(w, dw, config):
    v = config.get("velocity", np.zeros_like(w))
    v = config.get("momentum", 0.9) * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config):
    decay, eps = config.get("decay_rate", 0.99), config.get("epsilon", 1e-8)
    cache = decay * config.get("cache", np.zeros_like(w)) + (1 - decay) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + eps), config


def adam(w, dw, config):
    b1, b2, eps = config.get("beta1", 0.9), config.get("beta2", 0.999), config.get("epsilon", 1e-8)
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    config.update(t=t, m=m, v=v)
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + eps), config


class FullyConnectedNet:
    """{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax, with
    0.5 * reg * ||W||^2 on the weights. `hidden_dims=[H]`, no norm, is the two-layer net."""

    def __init__(self, hidden_dims, input_dim, num_classes, normalization=None, keep=1.0,
                 reg=0.0, weight_scale=1e-2, seed=0):
        rng = np.random.default_rng(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        self.L, self.normalization, self.reg, self.keep = len(dims) - 1, normalization, reg, keep
        self.params = {}
        for k in range(self.L):
            self.params[f"W{k + 1}"] = weight_scale * rng.standard_normal(dims[k:k + 2])
            self.params[f"b{k + 1}"] = np.zeros(dims[k + 1])
            if normalization and k < self.L - 1:
                self.params[f"gamma{k + 1}"] = np.ones(dims[k + 1])
                self.params[f"beta{k + 1}"] = np.zeros(dims[k + 1])
        self.bn_params = [{"mode": "train"} for _ in range(self.L - 1)]

    def loss(self, X, y=None):
        mode = "test" if y is None else "train"
        caches, h = [], X
        for k in range(1, self.L):
            h, affine = affine_forward(h, self.params[f"W{k}"], self.params[f"b{k}"])
            norm = None
            if self.normalization == "batchnorm":
                self.bn_params[k - 1]["mode"] = mode
                h, norm = batchnorm_forward(h, self.params[f"gamma{k}"], self.params[f"beta{k}"],
                                            self.bn_params[k - 1])
            elif self.normalization == "layernorm":
                h, norm = layernorm_forward(h, self.params[f"gamma{k}"], self.params[f"beta{k}"],
                                            {})
            h, relu = relu_forward(h)
            drop = None
            if self.keep < 1 and mode == "train":
                h, drop = dropout_forward(h, {"p": self.keep, "mode": "train", "seed": k})
            caches.append((affine, norm, relu, drop))
        scores, last = affine_forward(h, self.params[f"W{self.L}"], self.params[f"b{self.L}"])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dh, grads[f"W{self.L}"], grads[f"b{self.L}"] = affine_backward(dscores, last)
        for k in reversed(range(1, self.L)):
            affine, norm, relu, drop = caches[k - 1]
            if drop is not None:
                dh = dropout_backward(dh, drop)
            dh = relu_backward(dh, relu)
            if self.normalization == "batchnorm":
                dh, grads[f"gamma{k}"], grads[f"beta{k}"] = batchnorm_backward_alt(dh, norm)
            elif self.normalization == "layernorm":
                dh, grads[f"gamma{k}"], grads[f"beta{k}"] = layernorm_backward(dh, norm)
            dh, grads[f"W{k}"], grads[f"b{k}"] = affine_backward(dh, affine)
        for k in range(1, self.L + 1):
            W = self.params[f"W{k}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{k}"] += self.reg * W
        return loss, grads


def as_module(net, lib=torch):
    """The same network in `nn` (or PyTorch's): Linear's weight is the course's W transposed;
    the course's batch-norm momentum 0.9 is PyTorch's 0.1."""
    mods = (nn if lib is torch else pytorch.nn)
    layers = []
    for k in range(1, net.L + 1):
        W = net.params[f"W{k}"]
        linear = mods.Linear(*W.shape).double()
        with lib.no_grad():
            linear.weight.copy_(lib.tensor(W.T))
            linear.bias.copy_(lib.tensor(net.params[f"b{k}"]))
        layers.append(linear)
        if k < net.L:
            if net.normalization:
                layers.append((mods.BatchNorm1d(W.shape[1], momentum=0.1)
                               if net.normalization == "batchnorm" else
                               mods.LayerNorm(W.shape[1])).double())
            layers.append(mods.ReLU())
    return mods.Sequential(*layers)


def course_name(model, name):
    """nn's parameter name ('3.weight') as the course's ('W2', 'gamma1', ...)."""
    index, kind = name.split(".")
    linears = [k for k, m in enumerate(model) if type(m).__name__ == "Linear"]
    layer = sum(k <= int(index) for k in linears)
    if kind in ("weight", "bias") and int(index) in linears:
        return ("W" if kind == "weight" else "b") + str(layer)
    return ("gamma" if kind == "weight" else "beta") + str(layer)


def tiny_digits(folder, n=50, size=10, seed=0):
    """A small MNIST in IDX files: ten stroke patterns, shifted by a pixel and noised, as uint8
    digits 0-9; read back with `load_mnist`, the way the real files are."""
    rng = np.random.default_rng(seed)
    templates = (rng.random((10, size, size)) < 0.3) * 200.0
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = np.stack([np.roll(templates[c], rng.integers(-1, 2, 2), axis=(0, 1)) for c in labels])
    images = np.clip(images + rng.normal(0, 25, images.shape), 0, 255).astype(np.uint8)
    nn.data.write_idx(folder / "t10k-images-idx3-ubyte", images)
    nn.data.write_idx(folder / "t10k-labels-idx1-ubyte", labels.astype(np.uint8))
    X_train, y_train, X_val, y_val = nn.data.load_mnist(folder, split_t10k=n - 10)
    return X_train.astype(np.float64), y_train, X_val.astype(np.float64), y_val


def autograd_of_the_net(lib, F, net, X, y):
    """The course's loss (softmax, 0.5 * reg * ||W||^2) of the same net in the engine (lib, F:
    glassgrad's or PyTorch's), and its parameters' gradients by the course's names and
    layouts; also the model and the cost function."""
    model = as_module(net, lib)
    Ws = [p for name, p in model.named_parameters() if course_name(model, name)[0] == "W"]

    def cost():
        return F.cross_entropy(model(lib.tensor(X)), lib.tensor(y)) + \
            0.5 * net.reg * sum((W ** 2).sum() for W in Ws)
    value = cost()
    value.backward()
    grads = {course_name(model, name): np.asarray(p.grad).T
             for name, p in model.named_parameters()}
    return value.item(), grads, model, cost


def small_net(normalization):
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((6, 8)), rng.integers(0, 4, 6)
    return FullyConnectedNet([7, 5], 8, 4, normalization=normalization, reg=0.3,
                             weight_scale=0.5, seed=1), X, y


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_hand_gradients_of_the_nets_are_autograds(normalization):
    net, X, y = small_net(normalization)
    loss, grads = net.loss(X, y)
    value, ours, model, cost = autograd_of_the_net(torch, F, net, X, y)
    assert abs(value - loss) < 1e-10 and ours.keys() == grads.keys()
    for name in grads:
        np.testing.assert_allclose(ours[name], grads[name], rtol=1e-7, atol=1e-10,
                                   err_msg=name)
    assert torch.autograd.gradcheck_parameters(cost, model.named_parameters())


@needs_torch
@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_hand_gradients_of_the_nets_are_pytorchs(normalization):
    net, X, y = small_net(normalization)
    loss, grads = net.loss(X, y)
    value, theirs, *_ = autograd_of_the_net(pytorch, pytorch.nn.functional, net, X, y)
    assert abs(value - loss) < 1e-10 and theirs.keys() == grads.keys()
    for name in grads:
        np.testing.assert_allclose(theirs[name], grads[name], rtol=1e-7, atol=1e-10,
                                   err_msg=name)


class ModelLoss(torch.autograd.Function):
    """A hand model's loss as one op of its parameters, backward the hand gradients: the
    course's gradient check of a whole model, by `gradcheck`."""

    @staticmethod
    def forward(ctx, *params):
        ctx.net.params = dict(zip(ctx.names, params))
        loss, ctx.grads = ctx.net.loss(ctx.X, ctx.y)
        return np.asarray(loss)

    @staticmethod
    def backward(ctx, g, out, *params):
        return tuple(g * ctx.grads[name] for name in ctx.names)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_gradient_check_of_whole_nets_with_dropout(normalization):
    rng = np.random.default_rng(10)
    X, y = rng.standard_normal((5, 6)), rng.integers(0, 3, 5)
    net = FullyConnectedNet([5, 4], 6, 3, normalization=normalization, keep=0.75, reg=0.1,
                            weight_scale=0.7, seed=3)
    for name in net.params:             # biases off 0: a unit whose inputs dropout zeroed all
        if name[0] != "W":              # would sit on relu's kink
            net.params[name] = net.params[name] + rng.uniform(0.2, 0.5, net.params[name].shape)
    names = list(net.params)
    params = [torch.tensor(net.params[name], requires_grad=True) for name in names]

    def loss(*params):
        return ModelLoss.apply(*params, ctx=SimpleNamespace(net=net, names=names, X=X, y=y))
    assert torch.autograd.gradcheck(loss, tuple(params), atol=1e-6, rtol=1e-5)
    # a wrong gradient for one parameter is caught, and named
    net.reg = 0.0

    def wrong(*params):
        value = loss(*params)
        net.reg = 0.1                               # finite differences see the penalty
        return value
    with pytest.raises(torch.GradcheckError, match=r"input 0 \(shape \(6, 5\)\)"):
        torch.autograd.gradcheck(wrong, tuple(params), atol=1e-6, rtol=1e-5)


def accuracy(scores, y):
    return float((np.argmax(scores, axis=1) == y).mean())


def train_with_optim(lib, F, optim, model, net, rule, config, X, y, batches):
    """The course's training steps in PyTorch's spelling (lib, F, optim: glassgrad's or
    PyTorch's); the L2 penalty in the loss, or for SGD as weight decay on the weights only.
    Returns each step's loss with the penalty."""
    weights = [p for name, p in model.named_parameters() if course_name(model, name)[0] == "W"]
    others = [p for name, p in model.named_parameters() if course_name(model, name)[0] != "W"]
    lr = config["learning_rate"]
    if rule is sgd_momentum:
        opt = optim.SGD([{"params": weights, "weight_decay": net.reg}, {"params": others}],
                        lr=lr, momentum=config["momentum"])
    elif rule is rmsprop:
        opt = optim.RMSprop(model.parameters(), lr=lr, alpha=config["decay_rate"])
    else:
        opt = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for batch in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(lib.tensor(X[batch])), lib.tensor(y[batch]))
        penalty = 0.5 * net.reg * sum((W ** 2).sum() for W in weights)
        if rule is sgd_momentum:
            losses.append(loss.item() + penalty.item())
        else:
            loss = loss + penalty
            losses.append(loss.item())
        loss.backward()
        opt.step()
    return losses


RULES = pytest.mark.parametrize("hidden, normalization, rule, config", [
    ([40], None, sgd_momentum, {"learning_rate": 0.2, "momentum": 0.9}),
    ([40, 40], None, rmsprop, {"learning_rate": 5e-3, "decay_rate": 0.99}),
    ([40, 40, 40], "batchnorm", adam, {"learning_rate": 1e-2}),
], ids=["two-layer-sgd-momentum", "three-layer-rmsprop", "four-layer-batchnorm-adam"])


def overfit_by_hand(folder, hidden, normalization, rule, config):
    """The course's Solver, cut down: 40 steps of 25 of the 50 training digits, the update rule
    on each parameter with its own config. Returns the data, the batches, the net as it
    started, the trained net and each step's loss."""
    X, y, X_val, y_val = tiny_digits(folder, n=60)
    assert X.shape == (50, 100) and X_val.shape == (10, 100) and X.dtype == np.float64
    assert 0 <= X.min() and X.max() <= 1
    net = FullyConnectedNet(hidden, 100, 10, normalization=normalization, reg=1e-3,
                            weight_scale=0.1, seed=2)
    start = copy.deepcopy(net)
    rng = np.random.default_rng(3)
    batches = [rng.choice(50, 25, replace=False) for it in range(40)]
    configs = {name: dict(config) for name in net.params}
    losses = []
    for batch in batches:
        loss, grads = net.loss(X[batch], y[batch])
        for name in net.params:
            net.params[name], configs[name] = rule(net.params[name], grads[name], configs[name])
        losses.append(loss)
    return X, y, batches, start, net, losses


def assert_same_training(model, losses, engine_losses, net):
    """The same steps, the same numbers (atol: a bias before batch norm has no gradient but
    rounding noise, ~1e-17, which Adam's step scales to ~1e-10)."""
    np.testing.assert_allclose(engine_losses, losses, rtol=1e-9)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), net.params[course_name(model, name)].T,
                                   rtol=1e-9, atol=1e-8, err_msg=name)


@RULES
def test_overfit_fifty_digits_by_hand_and_with_nn_optim(tmp_path, hidden, normalization, rule,
                                                        config):
    X, y, batches, start, net, losses = overfit_by_hand(tmp_path, hidden, normalization, rule,
                                                        config)
    model = as_module(start)
    assert_same_training(model, losses, train_with_optim(torch, F, optim, model, start, rule,
                                                         config, X, y, batches), net)
    assert losses[-1] < 0.1 * losses[0]
    assert accuracy(net.loss(X), y) == 1.0          # 50 examples learnt by heart
    model.eval()
    with torch.no_grad():
        assert accuracy(model(torch.tensor(X)).numpy(), y) == 1.0


@needs_torch
@RULES
def test_torch_optim_takes_the_courses_steps_too(tmp_path, hidden, normalization, rule, config):
    X, y, batches, start, net, losses = overfit_by_hand(tmp_path, hidden, normalization, rule,
                                                        config)
    theirs = as_module(start, pytorch)
    assert_same_training(theirs, losses, train_with_optim(
        pytorch, pytorch.nn.functional, pytorch.optim, theirs, start, rule, config, X, y,
        batches), net)


# -- network visualisation on a tiny CNN ---------------------------------------------------------

def coloured_patches(n, rng, size=12):
    """The class is the colour (the channel) of a bright 3x3 patch at a random place on a noisy
    background; also returns each patch's top-left corner."""
    X = rng.normal(0, 0.3, (n, 3, size, size)).astype(np.float32)
    y = rng.integers(0, 3, n)
    corners = rng.integers(0, size - 2, (n, 2))
    for k, (r, c) in enumerate(corners):
        X[k, y[k], r:r + 3, c:c + 3] += 2.0
    return X, y, corners


def tiny_cnn(nn):
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 3 * 3, 3))


@pytest.fixture(scope="module")
def trained_cnn():
    rng = np.random.default_rng(8)
    torch.manual_seed(8)
    X, y, _ = coloured_patches(300, rng)
    model = tiny_cnn(nn)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    data = nn.data.DataLoader(nn.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                              batch_size=32, shuffle=True)
    for epoch in range(4):
        for xb, yb in data:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    model.eval()
    for p in model.parameters():            # the images are what is optimised from here on
        p.requires_grad = False
    X_test, y_test, corners = coloured_patches(60, rng)
    with torch.no_grad():
        assert accuracy(model(torch.tensor(X_test)).numpy(), y_test) >= 0.95
    return model, X_test, y_test, corners


def torch_twin(model):
    """The same CNN in PyTorch, with glassgrad's trained weights."""
    twin = tiny_cnn(pytorch.nn)
    twin.load_state_dict({k: pytorch.tensor(np.asarray(v)) for k, v in
                          model.state_dict().items()})
    twin.eval()
    for p in twin.parameters():
        p.requires_grad = False
    return twin


def compute_saliency_maps(X, y, model, lib=torch):
    """|d score_y / d pixel|, the largest over the colour channels."""
    X = lib.tensor(X, requires_grad=True)
    scores = model(X).gather(1, lib.tensor(y).view(-1, 1)).squeeze()
    scores.backward(lib.ones_like(scores))
    grad = X.grad if lib is torch else X.grad.numpy()
    return np.abs(grad).max(axis=1)


def test_saliency_maps_light_up_the_coloured_patch(trained_cnn):
    model, X, y, corners = trained_cnn
    saliency = compute_saliency_maps(X[:20], y[:20], model)
    assert saliency.shape == (20, 12, 12) and saliency.dtype == np.float32
    ratios, peaks_near = [], 0
    for k, (r, c) in enumerate(corners[:20]):
        inside = np.zeros((12, 12), bool)
        inside[r:r + 3, c:c + 3] = True
        ratios.append(saliency[k][inside].mean() / saliency[k][~inside].mean())
        i, j = np.unravel_index(np.argmax(saliency[k]), (12, 12))
        peaks_near += r - 1 <= i <= r + 3 and c - 1 <= j <= c + 3
    # the patch's pixels matter most: per pixel ~2.5 times the rest, and the largest gradient
    # is on or next to the patch in most images
    assert np.median(ratios) > 2 and peaks_near >= 14


def make_fooling_image(X, target_y, model, lib=torch, learning_rate=1.0, steps=100):
    """Gradient ascent on the target's score, steps of fixed length, until the model says
    target_y."""
    X_fooling = lib.tensor(X[None], requires_grad=True)
    for step in range(steps):
        scores = model(X_fooling)
        if scores.argmax(dim=1).item() == target_y:
            break
        scores[0, target_y].backward()
        g = X_fooling.grad if lib is torch else X_fooling.grad.numpy()
        with lib.no_grad():
            X_fooling += lib.tensor(learning_rate * g / np.linalg.norm(g))
        X_fooling.grad = None
    return X_fooling.detach().numpy()[0], step


def test_a_fooling_image_changes_the_class_by_a_small_step(trained_cnn):
    model, X, y, _ = trained_cnn
    image, target = X[0], (y[0] + 1) % 3
    fooled, steps = make_fooling_image(image, target, model, learning_rate=0.5)
    with torch.no_grad():
        assert model(torch.tensor(fooled[None])).argmax(dim=1).item() == target
        assert model(torch.tensor(image[None])).argmax(dim=1).item() == y[0]
    assert 0 < steps < 100
    assert np.linalg.norm(fooled - image) <= 0.5 * steps + 1e-4
    assert np.linalg.norm(fooled - image) < 0.6 * np.linalg.norm(image)


def create_class_visualization(target_y, model, lib=torch, steps=60, l2_reg=1e-3,
                               learning_rate=2.0, max_jitter=2, seed=0):
    """Gradient ascent on score_y - l2_reg * ||img||^2 from noise, the image jittered by
    np.roll before each step and rolled back after it, clipped to a plausible range."""
    rng = np.random.default_rng(seed)
    img = lib.tensor(0.1 * rng.standard_normal((1, 3, 12, 12)).astype(np.float32),
                     requires_grad=True)
    for t in range(steps):
        ox, oy = rng.integers(-max_jitter, max_jitter + 1, 2)
        with lib.no_grad():
            img.copy_(lib.tensor(np.roll(img.detach().numpy(), (oy, ox), axis=(2, 3))))
        objective = model(img)[0, target_y] - l2_reg * (img * img).sum()
        objective.backward()
        g = img.grad if lib is torch else img.grad.numpy()
        with lib.no_grad():
            img += lib.tensor(learning_rate * g / np.linalg.norm(g))
            img.copy_(lib.tensor(np.roll(img.detach().numpy(), (-oy, -ox), axis=(2, 3))))
            img.clamp_(-1.0, 3.0)
        img.grad = None
    return img.detach().numpy()[0]


def test_class_visualisation_paints_the_class_colour(trained_cnn):
    model, *_ = trained_cnn
    for target in range(3):
        img = create_class_visualization(target, model, seed=target)
        with torch.no_grad():
            probs = F.softmax(model(torch.tensor(img[None])), dim=1).numpy()[0]
        assert probs.argmax() == target and probs[target] > 0.99
        # the image is painted in the class's colour: its channel the brightest on average
        assert img.mean(axis=(1, 2)).argmax() == target


@needs_torch
def test_the_visualisations_are_pytorchs_from_the_same_weights(trained_cnn):
    """The same code on PyTorch's twin of the trained CNN (float32): the same saliency maps,
    the same fooling image in as many steps, the same class visualisation after 60 steps."""
    model, X, y, _ = trained_cnn
    twin = torch_twin(model)
    saliency = compute_saliency_maps(X[:20], y[:20], model)
    np.testing.assert_allclose(saliency, compute_saliency_maps(X[:20], y[:20], twin, pytorch),
                               rtol=1e-4, atol=1e-6 * saliency.max())
    target = (y[0] + 1) % 3
    fooled, steps = make_fooling_image(X[0], target, model, learning_rate=0.5)
    theirs, their_steps = make_fooling_image(X[0], target, twin, pytorch, learning_rate=0.5)
    assert their_steps == steps
    np.testing.assert_allclose(fooled, theirs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(create_class_visualization(0, model),
                               create_class_visualization(0, twin, pytorch), rtol=1e-3,
                               atol=1e-4)


# -- an image-captioning RNN over a toy vocabulary ----------------------------------------------

WORDS = ["<NULL>", "<START>", "<END>", "a", "red", "blue", "square", "circle", "on", "left",
         "right", "big", "small"]
CAPTIONS = ["a red square on left", "a blue circle", "big blue square on right",
            "a small red circle on left", "small square"]


def encode(captions, length=8):
    codes = np.full((len(captions), length), NULL)
    for k, words in enumerate(captions):
        ids = [START] + [WORDS.index(w) for w in words.split()] + [END]
        codes[k, :len(ids)] = ids
    return codes


def decode(codes):
    words = []
    for row in codes:
        taken = []
        for c in row:
            if c == END:
                break
            taken.append(WORDS[c])
        words.append(" ".join(taken))
    return words


class CaptioningRNN:
    """The image features give h0; the caption's words, embedded, run through a vanilla RNN;
    each hidden state scores the next word."""

    def __init__(self, input_dim, wordvec_dim=8, hidden_dim=24, seed=0):
        rng = np.random.default_rng(seed)
        V, D, W, H = len(WORDS), input_dim, wordvec_dim, hidden_dim
        self.params = {"W_embed": rng.standard_normal((V, W)) / 10,
                       "W_proj": rng.standard_normal((D, H)) / np.sqrt(D), "b_proj": np.zeros(H),
                       "Wx": rng.standard_normal((W, H)) / np.sqrt(W),
                       "Wh": rng.standard_normal((H, H)) / np.sqrt(H), "b": np.zeros(H),
                       "W_vocab": rng.standard_normal((H, V)) / np.sqrt(H),
                       "b_vocab": np.zeros(V)}

    def loss(self, features, captions):
        p = self.params
        captions_in, captions_out = captions[:, :-1], captions[:, 1:]
        mask = captions_out != NULL
        h0, proj = affine_forward(features, p["W_proj"], p["b_proj"])
        x, embed = word_embedding_forward(captions_in, p["W_embed"])
        h, rnn = rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])
        scores, vocab = temporal_affine_forward(h, p["W_vocab"], p["b_vocab"])
        loss, dscores = temporal_softmax_loss(scores, captions_out, mask)
        grads = {}
        dh, grads["W_vocab"], grads["b_vocab"] = temporal_affine_backward(dscores, vocab)
        dx, dh0, grads["Wx"], grads["Wh"], grads["b"] = rnn_backward(dh, rnn)
        grads["W_embed"] = word_embedding_backward(dx, embed)
        _, grads["W_proj"], grads["b_proj"] = affine_backward(dh0, proj)
        return loss, grads

    def sample(self, features, max_length=10):
        p = self.params
        h = features @ p["W_proj"] + p["b_proj"]
        word = np.full(len(features), START)
        captions = np.full((len(features), max_length), NULL)
        for t in range(max_length):
            h, _ = rnn_step_forward(p["W_embed"][word], h, p["Wx"], p["Wh"], p["b"])
            word = np.argmax(h @ p["W_vocab"] + p["b_vocab"], axis=1)
            captions[:, t] = word
        return captions


def captioner(hand, nn=nn, lib=torch):
    """The same model from nn's layers (or PyTorch's: nn=torch.nn, lib=torch)."""

    class Captioner(nn.Module):
        def __init__(self):
            super().__init__()
            V, W = hand.params["W_embed"].shape
            D, H = hand.params["W_proj"].shape
            self.proj, self.embed = nn.Linear(D, H), nn.Embedding(V, W)
            self.rnn, self.vocab = nn.RNN(W, H, batch_first=True), nn.Linear(H, V)

        def forward(self, features, words, h=None):
            h0 = self.proj(features)[None] if h is None else h
            out, h = self.rnn(self.embed(words), h0)
            return self.vocab(out), h

    model = Captioner().double()
    with lib.no_grad():
        for name, p in model.named_parameters():
            p.copy_(lib.tensor(hand_layout(name, hand.params[HAND_NAMES[name]])
                               if name in HAND_NAMES else np.zeros(p.shape)))
    model.rnn.bias_hh_l0.requires_grad_(False)      # the course's RNN has one bias
    return model


HAND_NAMES = {"proj.weight": "W_proj", "proj.bias": "b_proj", "embed.weight": "W_embed",
              "rnn.weight_ih_l0": "Wx", "rnn.weight_hh_l0": "Wh", "rnn.bias_ih_l0": "b",
              "vocab.weight": "W_vocab", "vocab.bias": "b_vocab"}


def hand_layout(name, array):
    """nn's parameter as the hand model keeps it: Linear's and RNN's weights transposed."""
    return array if name == "embed.weight" else array.T


def caption_loss(F, model, features, captions):
    scores, _ = model(features, captions[:, :-1])
    return F.cross_entropy(scores.transpose(1, 2), captions[:, 1:], ignore_index=NULL,
                           reduction="sum") / len(features)


def captioning_problem():
    features = np.random.default_rng(9).standard_normal((len(CAPTIONS), 6))
    return features, encode(CAPTIONS), CaptioningRNN(6, seed=1)


def same_caption_gradients(lib, nn, F, hand, features, captions):
    """The hand model's loss and gradients are the engine's on the same model."""
    loss, grads = hand.loss(features, captions)
    model = captioner(hand, nn, lib)
    value = caption_loss(F, model, lib.tensor(features), lib.tensor(captions))
    value.backward()
    assert abs(value.item() - loss) < 1e-10
    checked = 0
    for name, p in model.named_parameters():
        if p.requires_grad:
            np.testing.assert_allclose(hand_layout(name, np.asarray(p.grad)),
                                       grads[HAND_NAMES[name]], rtol=1e-7, atol=1e-10,
                                       err_msg=name)
            checked += 1
    assert checked == len(grads)
    return model


@needs_torch
def test_captioning_gradients_are_pytorchs():
    features, captions, hand = captioning_problem()
    same_caption_gradients(pytorch, pytorch.nn, pytorch.nn.functional, hand, features, captions)


def test_captioning_rnn_learns_and_samples_its_captions():
    features, captions, hand = captioning_problem()
    model = same_caption_gradients(torch, nn, F, hand, features, captions)

    # train: the hand model with the hand Adam, nn's with nn.optim.Adam, the same steps
    configs = {name: {"learning_rate": 2e-2} for name in hand.params}
    opt = optim.Adam([p for p in model.parameters() if p.requires_grad], lr=2e-2)
    for it in range(150):
        loss, grads = hand.loss(features, captions)
        for name in hand.params:
            hand.params[name], configs[name] = adam(hand.params[name], grads[name],
                                                    configs[name])
        opt.zero_grad()
        caption_loss(F, model, torch.tensor(features), torch.tensor(captions)).backward()
        opt.step()
    assert loss < 0.05
    for name, p in model.named_parameters():
        if p.requires_grad:
            np.testing.assert_allclose(hand_layout(name, p.detach().numpy()),
                                       hand.params[HAND_NAMES[name]],
                                       rtol=1e-8, atol=1e-10, err_msg=name)

    # sampling at test time, a word at a time, the hidden state carried
    assert decode(hand.sample(features)) == CAPTIONS
    words = torch.full((len(CAPTIONS), 1), START)
    sampled, h = [], None
    with torch.no_grad():
        h = model.proj(torch.tensor(features))[None]
        for t in range(10):
            scores, h = model(None, words, h)
            words = scores.argmax(dim=-1)
            sampled.append(words.numpy()[:, 0])
    assert decode(np.stack(sampled, axis=1)) == CAPTIONS
