"""SparseAdam: Adam for embedding tables looked up with `sparse=True`, stepping only the rows
a batch looked up (PyTorch's `torch.optim.SparseAdam`)."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from autograd.functional.embeddings import sparse_rows
from autograd.graph import Node

from .optimizer import Optimizer, zeros_like

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Adam's step on the rows of an embedding table that the last backward reached through
    a lookup with `sparse=True` (`nn.Embedding(..., sparse=True)`, `nn.EmbeddingBag`, or
    `F.embedding(..., sparse=True)`): the lazy Adam of PyTorch's `torch.optim.SparseAdam`.

    For the rows r looked up (the padding_idx row is not), at this parameter's step t:

        m[r] ← m[r] + (1 − β1) · (g[r] − m[r])
        v[r] ← v[r] + (1 − β2) · (g[r]² − v[r])
        p[r] ← p[r] − lr · √(1 − β2ᵗ) / (1 − β1ᵗ) · m[r] / (√v[r] + eps)

    The other rows, and their m and v, stay as they are (Adam would decay their moments and
    keep moving them). Gradients are dense arrays here, with the numbers of PyTorch's sparse
    ones; a parameter whose gradient came from elsewhere (a Linear's weight, a lookup without
    `sparse=True`) is refused, as in PyTorch: give it to `optim.Adam`. The rows are noted in
    backward and taken by `step()`; `zero_grad()` of this optimizer forgets them too (a
    model's `zero_grad()` does not: call the optimizer's).

    >>> import numpy as np
    >>> import nn
    >>> table = nn.Embedding(4, 2, sparse=True)
    >>> before = table.weight.data.copy()
    >>> opt = SparseAdam(table.parameters(), lr=0.1)
    >>> table(np.array([1, 3, 1])).sum().backward(); opt.step()
    >>> np.round(table.weight.data - before, 6)         # rows 1 and 3 move by lr, 0 and 2 not
    array([[ 0. ,  0. ],
           [-0.1, -0.1],
           [ 0. ,  0. ],
           [-0.1, -0.1]], dtype=float32)
    """

    _buffers = ("exp_avg", "exp_avg_sq")
    _scalars = {"step": int}
    _decaying = ()          # only looked-up rows change: nothing decays toward subnormals

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False, **others: Any) -> None:
        if "weight_decay" in others:        # PyTorch's has none either
            raise TypeError("SparseAdam takes no weight_decay (as PyTorch's): decay would move "
                            "every row at each step; add an L2 term on the looked-up rows to "
                            "the loss instead, lam * emb(users).pow(2).sum()")
        if others:
            raise TypeError(f"SparseAdam.__init__() got an unexpected keyword argument "
                            f"{next(iter(others))!r}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "eps")
        self._betas(group)
        self._flags(group, "maximize")

    def _with_grads(self, group: dict[str, Any]) -> list[tuple[Node, Any]]:
        # every parameter is checked before any changes, as a bad lr is (see Optimizer.step)
        pairs = Optimizer._with_grads(group)
        for p, _ in pairs:
            if sparse_rows(p, take=False) is None:
                raise RuntimeError(
                    f"SparseAdam: a parameter of shape {tuple(np.shape(p.data))} has a dense "
                    f"gradient, not one from a lookup with sparse=True; SparseAdam steps "
                    f"only embedding tables looked up with nn.Embedding(..., sparse=True): "
                    f"give the other parameters to optim.Adam (two optimizers, both stepped)")
        return pairs

    def zero_grad(self, set_to_none: bool = True) -> None:
        super().zero_grad(set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                sparse_rows(p)

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "exp_avg": zeros_like(p.data), "exp_avg_sq": zeros_like(p.data)}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, t = group["lr"], group["betas"], group["eps"], state["step"]
        rows = sparse_rows(p)
        m, v, g = state["exp_avg"], state["exp_avg_sq"], g[rows]
        # PyTorch's order of operations (the old value plus (1 − β)·(new − old)), so that
        # float64 steps agree with it to the last bits
        m_rows, v_rows = m[rows], v[rows]
        m_rows = m_rows + (g - m_rows) * (1 - beta1)
        v_rows = v_rows + (g * g - v_rows) * (1 - beta2)
        m[rows], v[rows] = m_rows, v_rows
        step_size = lr * (1 - beta2 ** t) ** 0.5 / (1 - beta1 ** t)
        p.data[rows] -= (step_size * (m_rows / (np.sqrt(v_rows) + eps))).astype(p.data.dtype)
