"""Adam and its relatives: momentum plus a per-coordinate scale, both bias-corrected.

Adam (with its AMSGrad variant), AdamW (Adam with decoupled weight decay), Adamax (the
infinity-norm scale), NAdam (Adam with Nesterov momentum) and RAdam (Adam that waits for its
scale to settle), in that order.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from autograd.graph import Node

from .optimizer import Optimizer, maximum, zeros_like

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015; PyTorch's `torch.optim.Adam`).

    For each parameter p with gradient g, at step t = 1, 2, ... (m, v, v_max start at 0):

        g ← −g                                  if maximize
        g ← g + weight_decay · p                (L2 penalty; with decoupled_weight_decay
                                                 p ← p · (1 − lr · weight_decay) instead)
        m ← β1 · m + (1 − β1) · g               running mean of gradients (momentum)
        v ← β2 · v + (1 − β2) · g²              running mean of squared gradients
        v_max ← max(v_max, v)                   if amsgrad: v_max replaces v in the next
                                                line only (v keeps its running mean)
        p ← p − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)

    The divisions by 1 − βᵗ undo the pull of the zero start on the first steps.

    Every 64th step, entries of m below the dtype's smallest normal number are set to 0, and
    so are v's when eps hides them (see `Optimizer._flush_subnormals`): a coordinate whose
    gradient stays 0 makes its m subnormal after ~800 float32 steps, and the step 5 times
    slower for good. No parameter larger than 2e-26 (float32, default settings) changes.

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> (5 * w).backward(); opt.step(); round(w.data, 6)    # first step: m̂/√v̂ = g/|g| = 1
    0.9
    """

    _buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _scalars = {"step": int}
    _decaying = ("exp_avg",)

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "eps", "weight_decay")
        self._betas(group)
        self._flags(group, "amsgrad", "maximize", "decoupled_weight_decay")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "exp_avg": zeros_like(p.data), "exp_avg_sq": zeros_like(p.data)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p.data)
        return state

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, t = group["lr"], group["betas"], group["eps"], state["step"]
        # The running means are updated in place (`*=` and `+=` rebind a Value's float and
        # write into a Tensor's buffer): the same numbers as `m = β1·m + (1 − β1)·g` without
        # new arrays, which is a fifth of the step for a layer of 100,000 weights.
        m, v = state["exp_avg"], state["exp_avg_sq"]
        step_size = lr / (1 - beta1 ** t)
        if m.__class__ is np.ndarray and g.__class__ is np.ndarray and g.dtype == m.dtype:
            # a Tensor's: every temporary too goes into arrays the optimizer keeps (`_scratch`),
            # the operations of the lines below in their order, so the same numbers
            work, update = self._scratch(m)
            m *= beta1
            m += np.multiply(g, 1 - beta1, out=work)
            v *= beta2
            np.multiply(g, 1 - beta2, out=work)
            work *= g
            v += work
            if group["amsgrad"]:
                v = _running_maximum(state, v)
            denom = np.sqrt(v, out=work)
            denom /= (1 - beta2 ** t) ** 0.5
            denom += eps
            np.multiply(m, step_size, out=update)
            update /= denom
            p.data -= update
            return
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        state["exp_avg"], state["exp_avg_sq"] = m, v
        if group["amsgrad"]:            # switched on after the first step: the maximum starts now
            v = state["max_exp_avg_sq"] = maximum(state.get("max_exp_avg_sq", v), v)
        denom = v ** 0.5
        denom /= (1 - beta2 ** t) ** 0.5
        denom += eps
        p.data -= step_size * m / denom

    def _flushable(self, state: dict[str, Any], group: dict[str, Any]) -> tuple[str, ...]:
        """m always; v when eps hides it in √v / √(1 − β2ᵗ) + eps (v_max does not decay)."""
        return self._decaying + self._hidden_by_eps(
            state, group, "exp_avg_sq", bias=1 - group["betas"][1] ** state["step"])


def _running_maximum(state: dict[str, Any], v: np.ndarray) -> np.ndarray:
    """AMSGrad's max(v_max, v), kept in place in state["max_exp_avg_sq"] (a copy of v when
    amsgrad was switched on after the first step: the maximum starts now)."""
    most = state.get("max_exp_avg_sq")
    if most.__class__ is not np.ndarray or most.shape != v.shape:
        most = state["max_exp_avg_sq"] = maximum(v if most is None else most, v)
        return most
    return np.maximum(most, v, out=most)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019; PyTorch's `torch.optim.AdamW`): Adam whose weight decay
    shrinks the parameter directly instead of entering the gradient (and so the scaling):

        p ← p · (1 − lr · weight_decay)         then the Adam step, without the L2 term

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (5 * w).backward(); opt.step(); round(w.data, 6)    # 1 * (1 - 0.05) - 0.1
    0.85
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if not group["decoupled_weight_decay"]:
            raise ValueError("AdamW: decoupled_weight_decay is always True (use Adam for the "
                             "L2 form of weight decay)")


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2015, section 7; PyTorch's `torch.optim.Adamax`): Adam with the
    infinity norm in place of the root mean square.

    For each parameter p with gradient g, at step t = 1, 2, ... (m and u start at 0):

        g ← −g                                  if maximize
        g ← g + weight_decay · p                (L2 penalty)
        m ← β1 · m + (1 − β1) · g
        u ← max(β2 · u, |g| + eps)              a decaying maximum of |g|
        p ← p − lr / (1 − β1ᵗ) · m / u

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = Adamax([w], lr=0.1)
    >>> (-4 * w).backward(); opt.step(); round(w.data, 6)   # first step: m̂/u = g/|g| = -1
    1.1
    """

    _buffers = ("exp_avg", "exp_inf")
    _scalars = {"step": int}
    _decaying = ("exp_avg",)      # (u >= eps: with eps 0 a flushed u would divide by zero)

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "eps", "weight_decay")
        self._betas(group)
        self._flags(group, "maximize")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "exp_avg": zeros_like(p.data), "exp_inf": zeros_like(p.data)}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, t = group["lr"], group["betas"], group["eps"], state["step"]
        m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
        u = state["exp_inf"] = maximum(beta2 * state["exp_inf"], abs(g) + eps)
        p.data -= lr / (1 - beta1 ** t) * m / u


class NAdam(Optimizer):
    """NAdam (Dozat, 2016; PyTorch's `torch.optim.NAdam`): Adam with Nesterov momentum, the
    momentum coefficient warming up over the first steps.

    For each parameter p with gradient g, at step t = 1, 2, ... (m, v start at 0, Π at 1):

        g ← −g                                  if maximize
        g ← g + weight_decay · p                (L2 penalty; with decoupled_weight_decay
                                                 p ← p · (1 − lr · weight_decay) instead)
        μ_t = β1 · (1 − ½ · 0.96^(t · momentum_decay))            momentum schedule
        Π ← Π · μ_t                                                product μ_1 ⋯ μ_t
        m ← β1 · m + (1 − β1) · g
        v ← β2 · v + (1 − β2) · g²
        d = √(v / (1 − β2ᵗ)) + eps
        p ← p − lr · (1 − μ_t) / (1 − Π) · g / d − lr · μ_{t+1} / (1 − Π · μ_{t+1}) · m / d

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = NAdam([w], lr=0.1)
    >>> (5 * w).backward(); opt.step(); round(w.data, 4)    # a longer first step than Adam's 0.1
    0.8944
    """

    _buffers = ("exp_avg", "exp_avg_sq")
    _scalars = {"step": int, "mu_product": float}
    _decaying = ("exp_avg",)

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "eps", "weight_decay", "momentum_decay")
        self._betas(group)
        self._flags(group, "decoupled_weight_decay", "maximize")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "mu_product": 1.0, "exp_avg": zeros_like(p.data),
                "exp_avg_sq": zeros_like(p.data)}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, t = group["lr"], group["betas"], group["eps"], state["step"]
        momentum_decay = group["momentum_decay"]
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product = state["mu_product"] = state["mu_product"] * mu
        m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        d = (v / (1 - beta2 ** t)) ** 0.5 + eps
        p.data -= lr * (1 - mu) / (1 - mu_product) * g / d
        p.data -= lr * mu_next / (1 - mu_product * mu_next) * m / d

    def _flushable(self, state: dict[str, Any], group: dict[str, Any]) -> tuple[str, ...]:
        """m always; v when eps hides it in √(v / (1 − β2ᵗ)) + eps."""
        return self._decaying + self._hidden_by_eps(
            state, group, "exp_avg_sq", bias=1 - group["betas"][1] ** state["step"])


class RAdam(Optimizer):
    """RAdam (Liu et al., 2020; PyTorch's `torch.optim.RAdam`): Adam whose scale 1/√v̂ enters
    only once enough squared gradients are averaged for it to be trusted, and then rectified
    by r_t, which corrects its variance (a warm-up without a schedule).

    For each parameter p with gradient g, at step t = 1, 2, ... (m, v start at 0):

        g ← −g                                  if maximize
        g ← g + weight_decay · p                (L2 penalty; with decoupled_weight_decay
                                                 p ← p · (1 − lr · weight_decay) instead)
        m ← β1 · m + (1 − β1) · g
        v ← β2 · v + (1 − β2) · g²
        m̂ = m / (1 − β1ᵗ)
        ρ∞ = 2 / (1 − β2) − 1;   ρ_t = ρ∞ − 2t · β2ᵗ / (1 − β2ᵗ)      (how many g² v averages)
        ρ_t > 5:    r_t = √((ρ_t − 4)(ρ_t − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρ_t))
                    p ← p − lr · m̂ · √(1 − β2ᵗ) / (√v + eps) · r_t
        otherwise:  p ← p − lr · m̂             (momentum SGD: the first 5 steps by default)

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = RAdam([w], lr=0.1)
    >>> (5 * w).backward(); opt.step(); round(w.data, 6)    # first step: ρ_1 = 1, so lr · g
    0.5
    """

    _buffers = ("exp_avg", "exp_avg_sq")
    _scalars = {"step": int}
    _decaying = ("exp_avg",)

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "eps", "weight_decay")
        self._betas(group)
        self._flags(group, "decoupled_weight_decay", "maximize")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "exp_avg": zeros_like(p.data), "exp_avg_sq": zeros_like(p.data)}

    def _flushable(self, state: dict[str, Any], group: dict[str, Any]) -> tuple[str, ...]:
        """m always; v when eps hides it in √v + eps."""
        return self._decaying + self._hidden_by_eps(state, group, "exp_avg_sq")

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, t = group["lr"], group["betas"], group["eps"], state["step"]
        m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
        if rho_t > 5:
            r_t = ((rho_t - 4) * (rho_t - 2) * rho_inf
                   / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            p.data -= m_hat * lr * ((1 - beta2 ** t) ** 0.5 / (v ** 0.5 + eps)) * r_t
        else:
            p.data -= m_hat * lr
