"""The QR decomposition A = Q R (`autograd.linalg.qr`), with its gradient.

For A (m × n) with k = min(m, n), Q (m × k) with orthonormal columns, R (k × n) upper
triangular, and the first k columns of A of full rank (R's k × k block R₁ invertible):

    K = copyu(gR₁ R₁ᵀ − Qᵀ G_Q'),   dL/dA₁ = (G_Q' + Q K) R₁⁻ᵀ

copyu(M) is the symmetric matrix made from M's upper triangle (triu(M) + triu(M, 1)ᵀ). For
m ≥ n that is all of A (G_Q' = G_Q). For m < n, A = [A₁ | A₂] and R = [R₁ | V] with V = Qᵀ A₂:
V's gradient moves A₂ (dL/dA₂ = Q G_V) and Q (G_Q' = G_Q + A₂ G_Vᵀ).

How: with X = Qᵀ dA R₁⁻¹ (m ≥ n), Qᵀ dQ is skew and dR R⁻¹ upper triangular, and they add up
to X; so Qᵀ dQ is X's strict lower triangle minus its transpose, dR = (X − Qᵀ dQ) R, and
dQ = (I − QQᵀ) dA R⁻¹ + Q (Qᵀ dQ). Collecting ⟨G_Q, dQ⟩ + ⟨G_R, dR⟩ as ⟨·, dA⟩ gives the rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Node, Op, apply, raw
from ..linalg_errors import LinAlgError
from .linalg import SolveTriangular, _at
from .shape import Concatenate

MODES = ("reduced", "complete", "r")


def _swap(m: Any) -> Any:
    return m.swapaxes(-1, -2)


class Qr(Op):
    """A = Q R of each matrix (..., m, n) (ctx: the mode, 'reduced', 'complete' or 'r'),
    packed in one array (..., m + r, max(q, n)): Q (m × q) in rows :m, R (r × n) below,
    q = r = min(m, n) reduced, m complete; mode 'r': R alone (..., k, n), no gradient;
    dL/dA = (G_Q + Q copyu(G_R Rᵀ − Qᵀ G_Q)) R⁻ᵀ, see the module's docstring"""
    name = "qr"

    @staticmethod
    def forward(mode, a):
        m, n = a.shape[-2:]
        if mode == "r":                     # R alone, the reduced decomposition's
            return np.linalg.qr(a)[1]
        q, r = np.linalg.qr(a, mode=mode)
        p = q.shape[-1]
        packed = np.zeros(a.shape[:-2] + (m + p, max(p, n)), dtype=q.dtype)
        packed[..., :m, :p] = q
        packed[..., m:, :n] = r
        return packed

    @staticmethod
    def backward(mode, g, out, a):
        m, n = a.shape[-2:]
        k = min(m, n)
        if mode == "r":
            raise ValueError("qr: mode='r' computes R alone, and R's gradient is built from Q: "
                             "use qr(A) (mode='reduced') to differentiate through R, as in "
                             "PyTorch")
        p = m if mode == "complete" else k
        q, r = out[..., :m, :p], out[..., m:, :n]
        g_q, g_r = g[..., :m, :p], g[..., m:, :n]
        if p > k:                           # complete, m > n: Q's columns past n
            _refuse_the_completed_basis(raw(g_q)[..., k:], n, a.shape)
            q, g_q, r, g_r = q[..., :k], g_q[..., :k], r[..., :k, :], g_r[..., :k, :]
        if raw(a).size == 0:
            return (np.zeros_like(raw(a)),)
        r1, g_r1 = r[..., :, :k], g_r[..., :, :k]
        if n > k:                           # wide: R = [R₁ | V], V = Qᵀ A₂
            g_v = g_r[..., :, k:]
            g_q = g_q + a[..., :, k:] @ _swap(g_v)
        _refuse_a_rank_deficient_block(raw(r1), raw(g), a.shape)
        source = g_r1 @ _swap(r1) - _swap(q) @ g_q         # copyu of it is K
        upper = np.triu(np.ones((k, k), dtype=raw(r1).dtype))
        strict = np.triu(upper, 1)
        b = g_q + q @ (source * upper + _swap(source * strict))
        # B R₁⁻ᵀ = (R₁⁻¹ Bᵀ)ᵀ: a solve with the upper triangle of R₁
        if isinstance(g, Node):             # a higher-order pass: the same solve, recorded
            grad = _swap(apply(SolveTriangular, (r1, _swap(b)), (True, False)))
        else:
            grad = _swap(SolveTriangular.forward((True, False), r1, _swap(b)))
        if n == k:
            return (grad,)
        right = q @ g_v
        if isinstance(g, Node):
            return (apply(Concatenate, (grad, right), a.ndim - 1),)
        return (np.concatenate([grad, right], -1),)


def _refuse_the_completed_basis(g_extra: np.ndarray, n: int, shape: tuple) -> None:
    """With mode='complete' and m > n, Q's columns past n are any orthonormal basis of the
    rest of the space: a loss that uses them has no gradient."""
    used = np.any(g_extra, axis=(-2, -1))
    if used.any():
        where = np.flatnonzero(used)[0]
        raise LinAlgError(
            f"qr: the loss{' of A' + _at(shape[:-2], where) if shape[:-2] else ''} (shape "
            f"{tuple(shape)}) uses the columns of Q past n = {n} that mode='complete' adds: "
            f"they are any orthonormal basis of the rest of the space (LAPACK's choice), so "
            f"their gradient is not defined; use qr(A) (mode='reduced'), whose Q is those "
            f"first n columns (PyTorch refuses mode='complete' with m > n whatever the loss)")


def _refuse_a_rank_deficient_block(r1: np.ndarray, g: np.ndarray, shape: tuple) -> None:
    """R₁'s diagonal at 0 (to rounding: k ε max|R₁_jj|) makes Q's column there any unit
    vector orthogonal to the others, so the decomposition, and its gradient, are not defined;
    refused for the matrices the loss reached (a 0 gradient elsewhere stays 0)."""
    k = r1.shape[-1]
    diagonal = np.abs(np.diagonal(r1, 0, -2, -1))
    rounding = k * np.finfo(r1.dtype).eps * diagonal.max(-1, initial=0.0)
    low = diagonal <= rounding[..., None]
    reached = np.any(g, axis=(-2, -1))
    bad = np.any(low, axis=-1) & reached
    if bad.any():
        where = np.flatnonzero(bad)[0]
        i = int(np.argmax(low.reshape((-1, k))[where]))
        columns = "columns" if shape[-2] >= shape[-1] else f"first {k} columns"
        raise LinAlgError(
            f"qr: A{_at(shape[:-2], where)} (shape {tuple(shape)}) does not have {columns} of "
            f"full rank (R's diagonal entry {i} is {diagonal.reshape((-1, k))[where, i]:g}, 0 "
            f"to rounding): Q's column {i} is then any unit vector orthogonal to the others, "
            f"so the gradient of qr is not defined there")
