"""Per-coordinate step sizes: Adagrad, Adadelta, RMSprop and Adafactor from running sums of
squared gradients, Rprop from the signs of the gradients alone.

Most divide a coordinate's step by the root of (a running average of) its squared gradients, so
coordinates with large, frequent gradients take small steps and rare ones large steps. Adagrad
(2011) sums forever; Adadelta and RMSprop (both 2012) forget with a decaying average. Rprop
(1993) ignores the gradient's size: each coordinate's step grows while the sign of its gradient
holds and shrinks when it flips. Adafactor (2018) keeps, for a matrix, only the averages of
each row and each column, and steps in proportion to the parameter's own size.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from autograd.graph import Node

from .optimizer import Optimizer, clamp, maximum, sign, where, zeros_like

__all__ = ["Adagrad", "Adadelta", "RMSprop", "Rprop", "Adafactor"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011; PyTorch's `torch.optim.Adagrad`).

    For each parameter p with gradient g, at step t = 1, 2, ...:

        g ← −g                                  if maximize
        g ← g + weight_decay · p                (L2 penalty)
        s ← s + g²                              (s starts at initial_accumulator_value)
        lr_t = lr / (1 + (t − 1) · lr_decay)
        p ← p − lr_t · g / (√s + eps)

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = Adagrad([w], lr=0.5)
    >>> (3 * w).backward(); opt.step(); round(w.data, 6)    # 1 - 0.5 * 3 / √9
    0.5
    """

    _buffers = ("sum",)
    _scalars = {"step": int}

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value",
                           "eps")
        self._flags(group, "maximize")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": zeros_like(p.data) + group["initial_accumulator_value"]}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, lr_decay, eps, t = group["lr"], group["lr_decay"], group["eps"], state["step"]
        s = state["sum"] = state["sum"] + g * g
        lr_t = lr / (1 + (t - 1) * lr_decay)
        p.data -= lr_t * g / (s ** 0.5 + eps)


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012; PyTorch's `torch.optim.Adadelta`): steps in the units of p.

    For each parameter p with gradient g, every step (v and u start at 0):

        g ← −g                                  if maximize
        g ← g + weight_decay · p                (L2 penalty)
        v ← ρ · v + (1 − ρ) · g²                running mean of squared gradients
        Δ ← √(u + eps) / √(v + eps) · g         the step
        u ← ρ · u + (1 − ρ) · Δ²                running mean of squared steps
        p ← p − lr · Δ

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = Adadelta([w], rho=0.5, eps=0.25)
    >>> (2 * w).backward(); opt.step(); round(w.data, 6)     # v = 2, Δ = √0.25 / √2.25 * 2
    0.333333
    """

    _buffers = ("square_avg", "acc_delta")
    _scalars = {"step": int}
    _decaying = ("square_avg", "acc_delta")     # (flushed when eps hides them: `_flushable`)

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "rho", "eps", "weight_decay")
        if group["rho"] > 1:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {group['rho']!r}")
        self._flags(group, "maximize")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "square_avg": zeros_like(p.data), "acc_delta": zeros_like(p.data)}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        v = state["square_avg"] = rho * state["square_avg"] + (1 - rho) * g * g
        delta = (state["acc_delta"] + eps) ** 0.5 / (v + eps) ** 0.5 * g
        state["acc_delta"] = rho * state["acc_delta"] + (1 - rho) * delta * delta
        p.data -= lr * delta

    def _flushable(self, state: dict[str, Any], group: dict[str, Any]) -> tuple[str, ...]:
        """Both running means, when eps hides them in √(v + eps) (for float32 any eps above
        4e-12 does): then a flushed entry changes no step (see `Optimizer._flush_subnormals`)."""
        return self._hidden_by_eps(state, group, *self._decaying)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e; PyTorch's `torch.optim.RMSprop`).

    For each parameter p with gradient g, every step (v, ḡ and b start at 0):

        g ← −g                                  if maximize
        g ← g + weight_decay · p                (L2 penalty)
        v ← α · v + (1 − α) · g²                running mean of squared gradients
        centered:   ḡ ← α · ḡ + (1 − α) · g
                    d = √(v − ḡ²) + eps         (v − ḡ² estimates the variance of g)
        otherwise:  d = √v + eps
        momentum μ > 0:   b ← μ · b + g / d;   p ← p − lr · b
        otherwise:        p ← p − lr · g / d

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = RMSprop([w], lr=0.1, alpha=0.75, eps=0.0)
    >>> (2 * w).backward(); opt.step(); round(w.data, 6)     # v = 0.25 * 4: 1 - 0.1 * 2 / 1
    0.8
    """

    _buffers = ("square_avg", "grad_avg", "momentum_buffer")
    _scalars = {"step": int}
    _decaying = ("grad_avg", "momentum_buffer")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "alpha", "eps", "weight_decay", "momentum")
        if group["alpha"] > 1:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {group['alpha']!r}")
        self._flags(group, "centered", "maximize")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "square_avg": zeros_like(p.data)}
        if group["centered"]:
            state["grad_avg"] = zeros_like(p.data)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p.data)
        return state

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        v = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
        # `centered` and `momentum` may be switched on after the first step (by hand, or by
        # CyclicLR): their buffers then start at 0 there (PyTorch raises KeyError)
        if group["centered"]:
            g_avg = state["grad_avg"] = alpha * state.get("grad_avg", 0.0) + (1 - alpha) * g
            # v >= ḡ² in exact arithmetic; rounding can make the difference -1e-20,
            # whose root would be NaN (complex for a float): clamp it at 0
            d = maximum(v - g_avg * g_avg, 0.0) ** 0.5 + eps
        else:
            d = v ** 0.5 + eps
        if momentum > 0:
            b = state["momentum_buffer"] = momentum * state.get("momentum_buffer", 0.0) + g / d
            p.data -= lr * b
        else:
            p.data -= lr * g / d

    def _flushable(self, state: dict[str, Any], group: dict[str, Any]) -> tuple[str, ...]:
        """ḡ and the momentum buffer always; v when eps hides it in √v + eps (and so in
        √(v − ḡ²) + eps: v ≥ ḡ²)."""
        return self._decaying + self._hidden_by_eps(state, group, "square_avg")


class Rprop(Optimizer):
    """Rprop, resilient backpropagation (Riedmiller & Braun, 1993; PyTorch's
    `torch.optim.Rprop`): every coordinate has its own step size η, and the gradient gives only
    the direction.

    For each coordinate of a parameter p with gradient g, every step (η starts at lr, g_prev
    at 0; η− < 1 < η+ are `etas`, the bounds are `step_sizes`):

        g ← −g                                  if maximize
        g · g_prev > 0:   η ← min(η · η+, step_max)         same sign as before: speed up
        g · g_prev < 0:   η ← max(η · η−, step_min);  g ← 0 it flipped, a minimum was jumped
                                                            over: slow down, stand still once
        p ← p − η · sign(g)
        g_prev ← g

    The step sizes start at the lr of the first step; a scheduler changing lr afterwards
    changes nothing (as in PyTorch). Rprop is meant for full-batch training: the signs of
    mini-batch gradients flip from noise.

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = Rprop([w], lr=0.1)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (5 * w).backward(); opt.step()     # the same sign twice
    >>> round(w.data, 6)                                        # 1 - 0.1 - 0.12
    0.78
    """

    _buffers = ("prev", "step_size")
    _scalars = {"step": int}

    def __init__(self, params: Iterable[Any], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr")
        self._flags(group, "maximize")
        eta_minus, eta_plus = self._pair(group, "etas")
        if not 0 < eta_minus < 1 < eta_plus:
            raise ValueError(f"Rprop: etas must be (η−, η+) with 0 < η− < 1 < η+, got "
                             f"{group['etas']!r}")
        step_min, step_max = self._pair(group, "step_sizes")
        if not 0 <= step_min <= step_max:
            raise ValueError(f"Rprop: step_sizes must be (smallest, largest) with 0 <= "
                             f"smallest <= largest, got {group['step_sizes']!r}")

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "prev": zeros_like(p.data),
                "step_size": zeros_like(p.data) + group["lr"]}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        (eta_minus, eta_plus), (step_min, step_max) = group["etas"], group["step_sizes"]
        agreement = sign(g * state["prev"])     # +1: the sign held, −1: it flipped, 0: a zero
        step_size = state["step_size"]
        step_size *= where(agreement > 0, eta_plus, where(agreement < 0, eta_minus, 1.0))
        step_size = state["step_size"] = clamp(step_size, step_min, step_max)
        g = state["prev"] = where(agreement < 0, 0.0, g)    # (a new array: not the .grad)
        p.data -= sign(g) * step_size


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018; PyTorch's `torch.optim.Adafactor`): RMSprop without
    momentum whose mean of g² is, for a matrix, rebuilt from its row and column means (memory
    m + n instead of m · n), with steps relative to the size of the parameter.

    For each parameter p with gradient g, at step t = 1, 2, ... (R, C, v start at 0):

        g ← −g                                  if maximize
        β̂ = t^beta2_decay                       the weight of the new g² (1, 0.57, 0.42, ...)
        α = max(eps2, RMS(p)) · min(lr, 1/√t)   RMS(x) = √(mean of x²), of p before the decay
        p ← p · (1 − lr · weight_decay)
        p a matrix (…, m, n):
            R ← R + β̂ · (mean over columns of g² − R)        shape (…, m, 1)
            C ← C + β̂ · (mean over rows of g² − C)           shape (…, 1, n)
            v = R · C / max(mean(R), eps1)                     the rank-1 estimate of g²
        otherwise:
            v ← v + β̂ · (g² − v)
        u = g / √max(v, eps1²)
        p ← p − α / max(1, RMS(u) / d) · u      (the step clipped to RMS d)

    `eps=(eps1, eps2)`; eps1 None is the machine epsilon of p's dtype.

    >>> from autograd import Value
    >>> w = Value(2.0)
    >>> opt = Adafactor([w], lr=0.1)
    >>> (5 * w).backward(); opt.step(); round(w.data, 6)    # α = 2 · 0.1, u = g / |g| = 1
    1.8
    """

    _buffers = ("variance",)
    _scalars = {"step": int}
    _decays_in_update = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, maximize=maximize))

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "weight_decay")
        self._numbers(group, "beta2_decay", "d")
        self._flags(group, "maximize")
        if group["beta2_decay"] > 0:
            raise ValueError(f"Adafactor: beta2_decay must be <= 0 (the new g²'s weight "
                             f"t^beta2_decay must not grow), got {group['beta2_decay']!r}")
        if group["d"] < 1:
            raise ValueError(f"Adafactor: d must be >= 1, got {group['d']!r}")
        try:
            eps1, eps2 = group["eps"]
        except (TypeError, ValueError):
            raise ValueError(f"Adafactor: eps must be a pair (eps1 or None, eps2), got "
                             f"{group['eps']!r:.60}") from None
        numbers = {"eps1": 0.0 if eps1 is None else eps1, "eps2": eps2}
        self._non_negative(numbers, "eps1", "eps2")
        group["eps"] = (None if eps1 is None else numbers["eps1"], numbers["eps2"])

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        if np.ndim(p.data) < 2:
            return {"step": 0, "variance": zeros_like(p.data)}
        rows, columns = list(p.data.shape), list(p.data.shape)
        rows[-1], columns[-2] = 1, 1
        return {"step": 0, "row_var": np.zeros(rows, p.data.dtype),
                "col_var": np.zeros(columns, p.data.dtype)}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, t, d = group["lr"], state["step"], group["d"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(np.result_type(p.data)).eps)
        new_weight = t ** group["beta2_decay"]
        alpha = max(eps2, _rms(p.data)) * min(lr, 1 / t ** 0.5)
        p.data *= 1 - lr * group["weight_decay"]
        if "row_var" in state:
            R, C = state["row_var"], state["col_var"]
            R += new_weight * (np.mean(g * g, axis=-1, keepdims=True) - R)
            C += new_weight * (np.mean(g * g, axis=-2, keepdims=True) - C)
            v = R @ C / np.maximum(np.mean(R, axis=-2, keepdims=True), eps1)
        else:
            v = state["variance"] = state["variance"] + new_weight * (g * g - state["variance"])
        u = g / maximum(v, eps1 * eps1) ** 0.5
        p.data -= alpha / max(1.0, _rms(u) / d) * u

    def _restored(self, p: Node, index: Any, key: str, value: Any) -> Any:
        """A matrix's row and column means have its shape with the last, or the second to
        last, axis 1."""
        if key not in ("row_var", "col_var"):
            return super()._restored(p, index, key, value)
        shape = list(np.shape(p.data))
        if len(shape) >= 2:
            shape[-1 if key == "row_var" else -2] = 1
        array = np.asarray(value)
        if len(shape) < 2 or array.dtype.kind not in "biuf" or list(array.shape) != shape:
            raise ValueError(f"Adafactor.load_state_dict: state[{index!r}][{key!r}] has shape "
                             f"{array.shape}, expected {tuple(shape)} for a parameter of shape "
                             f"{np.shape(p.data)}")
        return array.astype(p.data.dtype)


def _rms(x: Any) -> float:
    """The root mean square of the elements of x: ‖x‖ / √(number of elements)."""
    return float(np.sqrt(np.mean(np.square(x))))
