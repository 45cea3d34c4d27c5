"""Stochastic gradient descent: the first optimizer of every course, with momentum and Nesterov,
and its averaged form, ASGD."""

from __future__ import annotations

from typing import Any, Iterable

from autograd.graph import Node

from .optimizer import Optimizer, copy_of, zeros_like

__all__ = ["SGD", "ASGD"]


class SGD(Optimizer):
    """Gradient descent, optionally with momentum (PyTorch's `torch.optim.SGD`).

    For each parameter p with gradient g, every step:

        g ← −g                                  if maximize
        g ← g + weight_decay · p                (L2 penalty)
        with momentum μ > 0:
            b ← g                               at the first step
            b ← μ · b + (1 − dampening) · g     afterwards
            g ← g + μ · b  if nesterov,  else  g ← b
        p ← p − lr · g

    >>> from autograd import Value
    >>> w = Value(2.0)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).backward(); opt.step()   # g = 2w
    >>> round(w.data, 6)        # 2 - 0.1*4 = 1.6, then b = 0.9*4 + 3.2 = 6.8: 1.6 - 0.68
    0.92
    """

    _buffers = ("momentum_buffer",)
    # (b decays by μ while a gradient is 0: see `Optimizer._flush_subnormals`)
    _decaying = ("momentum_buffer",)

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "momentum", "weight_decay")
        self._numbers(group, "dampening")
        self._flags(group, "nesterov", "maximize")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        # only a momentum buffer (PyTorch's layout); None until update sets it to the first g
        return {"momentum_buffer": None} if group["momentum"] else {}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        if momentum:
            b = state.get("momentum_buffer")
            if b is None:
                b = copy_of(g)
            else:                   # in place for a Tensor's buffer (a Value's float rebinds)
                b *= momentum
                b += (1 - dampening) * g
            state["momentum_buffer"] = b
            g = g + momentum * b if group["nesterov"] else b
        p.data -= lr * g


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky, 1992; PyTorch's `torch.optim.ASGD`): plain SGD with a
    decaying step, and a running average of the parameters, which converges where the noisy
    iterates keep wandering.

    For each parameter p with gradient g, at step t = 1, 2, ... (η starts at lr, μ at 1):

        g ← −g                                  if maximize
        g ← g + weight_decay · p                (L2 penalty)
        p ← p · (1 − λ · η) − η · g
        p̄ ← p̄ + μ · (p − p̄)                   the average (μ = 1 copies p; after step t0, μ =
                                                1/(t − t0) averages the steps since then)
        η ← lr / (1 + λ · lr · t)^α
        μ ← 1 / max(1, t − t0)

    The average is the optimizer's state "ax": to evaluate with it, copy it into the
    parameters (`p.data[...] = optimizer.state[p]["ax"]`).

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = ASGD([w], lr=0.1, lambd=0.0)
    >>> (5 * w).backward(); opt.step(); round(w.data, 6)    # 1 - 0.1 * 5: SGD's first step
    0.5
    """

    _buffers = ("ax",)
    _scalars = {"step": int, "eta": float, "mu": float}

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "lambd", "alpha", "t0", "weight_decay")
        self._flags(group, "maximize")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "eta": group["lr"], "mu": 1.0, "ax": zeros_like(p.data)}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, lambd, alpha, t = group["lr"], group["lambd"], group["alpha"], state["step"]
        eta, mu = state["eta"], state["mu"]
        p.data *= 1 - lambd * eta
        p.data -= eta * g
        if mu != 1:
            state["ax"] = state["ax"] + mu * (p.data - state["ax"])
        else:
            state["ax"] = copy_of(p.data)
        state["eta"] = lr / (1 + lambd * lr * t) ** alpha
        state["mu"] = 1 / max(1, t - group["t0"])
