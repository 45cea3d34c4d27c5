"""L-BFGS: a quasi-Newton method that steers by the curvature it has seen, not only the slope.

Gradient descent steps along −g; Newton's method along −H⁻¹g, with H the matrix of second
derivatives, which is too large to form for a network. BFGS builds an estimate of H⁻¹ from how
the gradient changed between steps; L-BFGS keeps only the last few changes and applies the
estimate to g without ever writing the matrix down (the "two-loop recursion"). It needs the loss
at several points per step, so `step` takes a closure that recomputes it.

The optional line search finds a step length satisfying the strong Wolfe conditions (Nocedal &
Wright, Numerical Optimization, 2nd ed., algorithms 3.5 and 3.6), with the cubic interpolation
of their equation 3.59 to guess the next trial.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from autograd import enable_grad
from autograd.graph import Node
from autograd.pytorch_names import type_name

from .optimizer import Optimizer, follow_dtype

__all__ = ["LBFGS"]

#: the line search's constants (PyTorch's): the loss must fall by at least SUFFICIENT_DECREASE
#: of what the slope promises (Armijo), and the slope must flatten to CURVATURE of its start
SUFFICIENT_DECREASE = 1e-4
CURVATURE = 0.9
#: the zoom stops when its interval is this short (PyTorch's line search uses 1e-9 whatever
#: the optimizer's tolerance_change)
SHORTEST_INTERVAL = 1e-9
#: a pair (s, y) with sᵀy at or below this says nothing trustworthy about the curvature
LEAST_CURVATURE = 1e-10


class LBFGS(Optimizer):
    """L-BFGS (Liu & Nocedal, 1989; PyTorch's `torch.optim.LBFGS`): all parameters as one vector
    x with gradient g; `step(closure)` runs up to `max_iter` iterations of

        d ← −g                                  at the very first iteration
        d ← −H · g                              afterwards: H estimates the inverse Hessian
                                                from the last history_size pairs
                                                s = x_new − x_old, y = g_new − g_old (kept only
                                                if sᵀy > 1e-10), starting from (sᵀy / yᵀy) · I
        t ← lr · min(1, 1 / Σ|g|)               at the very first iteration, lr afterwards;
                                                with line_search_fn="strong_wolfe" t is searched
                                                for, starting there
        x ← x + t · d

    stopping early when max|g| ≤ tolerance_grad, when gᵀd > −tolerance_change (no descent
    along d), when max|t · d| or the change of the loss is below tolerance_change, or after
    max_eval evaluations of the closure. The closure clears the gradients, computes the loss,
    calls backward and returns the loss; `step` returns its first value. The history carries
    over from one `step` to the next. There is one parameter group (PyTorch's rule).

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> w = Tensor(np.array([3.0, -2.0]), requires_grad=True)
    >>> optimizer = LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     optimizer.zero_grad()
    ...     loss = ((w - 1.0) ** 2 * np.array([1.0, 10.0])).sum()    # curvatures 1 and 10
    ...     loss.backward()
    ...     return loss
    >>> optimizer.step(closure).item()              # the loss before the step
    94.0
    >>> w.data.round(4)                             # the minimum, within one step's iterations
    array([1., 1.])
    """

    step_needs_closure = True
    _scalars = {"func_evals": int, "n_iter": int, "t": float, "H_diag": float,
                "prev_loss": float}
    #: state entries shaped like all the parameters laid end to end, and lists of them
    _vectors = ("d", "prev_flat_grad")
    _vector_lists = ("old_dirs", "old_stps")
    #: PyTorch's two-loop recursion keeps its coefficients in the state ("al"), overwritten at
    #: every iteration; here they are local to `_two_loop`
    _pytorch_scratch = ("al",)

    def __init__(self, params: Iterable[Any], lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None and _is_count(max_iter):
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS: takes one parameter group (it moves all its parameters as "
                             "one vector); put every parameter in it")
        super().add_param_group(param_group)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._non_negative(group, "lr", "tolerance_grad", "tolerance_change")
        for key in ("max_iter", "max_eval", "history_size"):
            if not _is_count(group[key]):
                raise ValueError(f"LBFGS: {key} must be a whole number >= 1, got "
                                 f"{group[key]!r:.60}")
            group[key] = int(group[key])
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{group['line_search_fn']!r:.60}")

    # -- the parameters as one vector ----------------------------------------------------------

    @property
    def _params(self) -> list[Node]:
        return self.param_groups[0]["params"]

    def _flat_grad(self) -> np.ndarray:
        """The gradients laid end to end; zeros for a parameter without one, or frozen."""
        pieces = []
        for i, p in enumerate(self._params):
            g = p.grad.data if isinstance(p.grad, Node) else p.grad
            if g is not None and np.shape(g) != np.shape(p.data):     # a .grad set by hand
                raise ValueError(f"LBFGS.step: parameter {i} has shape {np.shape(p.data)} and a "
                                 f"gradient of shape {np.shape(g)}; a gradient set by hand "
                                 f"(p.grad = ...) must have its parameter's shape")
            pieces.append(np.zeros(np.size(p.data)) if g is None or not p.requires_grad
                          else np.ravel(g))
        return np.concatenate(pieces).astype(self._dtype(), copy=False)

    def _dtype(self) -> np.dtype:
        return np.result_type(*(p.data for p in self._params))

    def _move(self, t: float, d: np.ndarray) -> None:
        """x ← x + t · d, each parameter taking its stretch of d."""
        start = 0
        for p in self._params:
            size = np.size(p.data)
            stretch = d[start:start + size]
            if isinstance(p.data, np.ndarray):
                p.data += t * stretch.reshape(p.data.shape)
            else:                                           # a Value's float stays a float
                p.data = p.data + t * float(stretch[0])
            p._changed_in_place()
            start += size

    def _put_back(self, saved: list[Any]) -> None:
        for p, data in zip(self._params, saved):
            if isinstance(p.data, np.ndarray):
                p.data[...] = data
            else:
                p.data = data
            p._changed_in_place()

    # -- the step ------------------------------------------------------------------------------

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Up to max_iter iterations of L-BFGS on the loss `closure()` computes; returns the
        closure's first result (the loss before the step)."""
        if not callable(closure):
            raise TypeError(f"LBFGS.step: needs a closure, a function that clears the "
                            f"gradients, computes the loss, calls loss.backward() and returns "
                            f"the loss (L-BFGS evaluates it several times per step), got "
                            f"{'None' if closure is None else type_name(closure)}")
        group = self.param_groups[0]
        self._check_settings(group)             # an lr set by hand or by a scheduler
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]

        def evaluate() -> tuple[Any, float, np.ndarray]:
            """The closure's result, the loss as a number and the gradient, as one vector."""
            with enable_grad():
                result = closure()
            if all(p.grad is None for p in self._params if p.requires_grad):
                raise ValueError("LBFGS.step: no parameter has a gradient after closure(); the "
                                 "closure must call loss.backward() before returning the loss")
            return result, _loss_number(result), self._flat_grad()

        # (self.state is a defaultdict: an entry read before the first step is an empty dict)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        follow_dtype(state, self._dtype())      # (the parameters may have been cast since)
        first_result, loss, grad = evaluate()
        evaluations = 1
        state["func_evals"] += 1
        if np.abs(grad).max() <= tolerance_grad:        # already at a minimum
            return first_result

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps = state.get("old_dirs"), state.get("old_stps")
        ro, H_diag = state.get("ro"), state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        converged = False
        for iteration in range(1, max_iter + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, H_diag = -grad, [], [], [], 1.0
            else:
                y, s = grad - prev_flat_grad, d * t
                ys = float(y @ s)
                if ys > LEAST_CURVATURE:
                    if len(old_dirs) == group["history_size"]:
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(y @ y)
                d = _two_loop(grad, old_dirs, old_stps, ro, H_diag)
            prev_flat_grad, prev_loss = grad, loss
            t = lr * min(1.0, 1.0 / float(np.abs(grad).sum())) if state["n_iter"] == 1 else lr
            slope = float(grad @ d)
            if slope > -tolerance_change:               # d does not go downhill
                break

            used = 0
            if group["line_search_fn"] == "strong_wolfe":
                start = [np.copy(p.data) if isinstance(p.data, np.ndarray) else p.data
                         for p in self._params]

                def evaluate_at(trial: float) -> tuple[float, np.ndarray]:
                    self._move(trial, d)
                    try:
                        return evaluate()[1:]
                    finally:
                        self._put_back(start)

                loss, grad, t, used = _strong_wolfe(evaluate_at, d, loss, grad, slope, t,
                                                    max_eval - evaluations)
                self._move(t, d)
                converged = np.abs(grad).max() <= tolerance_grad
            else:
                self._move(t, d)
                if iteration != max_iter:               # the last one's loss is not needed
                    _, loss, grad = evaluate()
                    converged = np.abs(grad).max() <= tolerance_grad
                    used = 1
            evaluations += used
            state["func_evals"] += used
            if (iteration == max_iter or evaluations >= max_eval or converged
                    or np.abs(d * t).max() <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break

        state.update(d=d, t=float(t), old_dirs=old_dirs, old_stps=old_stps, ro=ro,
                     H_diag=float(H_diag), prev_flat_grad=prev_flat_grad,
                     prev_loss=float(prev_loss))
        return first_result

    # -- checkpoints ---------------------------------------------------------------------------

    def _restored(self, p: Node, index: Any, key: str, value: Any) -> Any:
        """A saved entry, checked: vectors must have the length of all the parameters laid end
        to end, the history's lists hold such vectors (old_dirs, old_stps) or numbers (ro)."""
        if key == "ro":
            return [self._restored(p, index, "t", number) for number in _listed(key, value)]
        if key in self._vector_lists:
            return [self._restored(p, index, "d", vector) for vector in _listed(key, value)]
        if key not in self._vectors:
            return super()._restored(p, index, key, value)
        array, size = np.asarray(value), sum(np.size(q.data) for q in self._params)
        if array.dtype.kind not in "biuf" or array.shape != (size,):
            raise ValueError(f"LBFGS.load_state_dict: state[{index!r}][{key!r}] has shape "
                             f"{array.shape} and dtype {array.dtype}; expected a vector of "
                             f"{size} numbers, one per number in the parameters")
        return array.astype(self._dtype())

    def _state_entries(self) -> list[str]:
        return sorted([*self._scalars, *self._vectors, *self._vector_lists, "ro"])

    def _check_restored(self, index: Any, entries: dict[str, Any]) -> None:
        lengths = {key: len(entries[key]) for key in ("old_dirs", "old_stps", "ro")
                   if key in entries}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"LBFGS.load_state_dict: state[{index!r}]: the history's lists "
                             f"differ in length: {lengths}")


def _listed(key: str, value: Any) -> list:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"LBFGS.load_state_dict: state entry {key!r} must be a list, got "
                         f"{type_name(value)}")
    return list(value)


def _is_count(value: Any) -> bool:
    return (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
            and value >= 1)


def _loss_number(loss: Any) -> float:
    """The closure's loss as a float: a Value, a Tensor of one element, or a number."""
    if isinstance(loss, Node):
        if np.size(loss.data) != 1:
            raise ValueError(f"LBFGS.step: the closure returned a Tensor of shape "
                             f"{np.shape(loss.data)}; L-BFGS minimizes one number: return the "
                             f"loss (a .mean() or .sum() of the per-example losses)")
        return float(np.ravel(loss.data)[0])
    if isinstance(loss, numbers.Real) and not isinstance(loss, (bool, np.bool_)):
        return float(loss)
    if loss is None:
        raise TypeError("LBFGS.step: the closure returned None; it must return the loss (end "
                        "it with `return loss`)")
    raise TypeError(f"LBFGS.step: the closure must return the loss, got {type_name(loss)}")


def _two_loop(grad: np.ndarray, old_dirs: list[np.ndarray], old_stps: list[np.ndarray],
              ro: list[float], H_diag: float) -> np.ndarray:
    """−H · g by the two-loop recursion (Nocedal & Wright, algorithm 7.4): H is the inverse
    Hessian estimate that starts as H_diag · I and takes in each pair (s, y = old_stps[i],
    old_dirs[i]), oldest first, with ro[i] = 1 / sᵀy."""
    q = -grad
    alphas = []
    for s, y, rho in zip(reversed(old_stps), reversed(old_dirs), reversed(ro)):   # newest first
        alpha = float(s @ q) * rho
        q = q - alpha * y
        alphas.append(alpha)
    r = q * H_diag
    for s, y, rho, alpha in zip(old_stps, old_dirs, ro, reversed(alphas)):        # oldest first
        beta = float(y @ r) * rho
        r = r + (alpha - beta) * s
    return r


def _cubic_minimum(a: tuple, b: tuple, bounds: tuple[float, float] | None = None) -> float:
    """Where the cubic through two points (t, loss, slope) with those slopes has its minimum,
    kept within `bounds` (the interval between the points if None); the middle of the bounds
    if the cubic has no minimum (Nocedal & Wright, equation 3.59)."""
    (t1, f1, s1), (t2, f2, s2) = a, b
    low, high = bounds if bounds is not None else (min(t1, t2), max(t1, t2))
    d1 = s1 + s2 - 3 * (f1 - f2) / (t1 - t2)
    square = d1 * d1 - s1 * s2
    if square < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(square)
    if t1 <= t2:
        minimum = t2 - (t2 - t1) * ((s2 + d2 - d1) / (s2 - s1 + 2 * d2))
    else:
        minimum = t1 - (t1 - t2) * ((s1 + d2 - d1) / (s1 - s2 + 2 * d2))
    return min(max(minimum, low), high)


def _strong_wolfe(evaluate_at: Callable[[float], tuple[float, np.ndarray]], d: np.ndarray,
                  loss: float, grad: np.ndarray, slope: float, t: float, most_evaluations: int
                  ) -> tuple[float, np.ndarray, float, int]:
    """A step length along d that lowers the loss enough and flattens the slope enough:

        loss(t) ≤ loss(0) + SUFFICIENT_DECREASE · t · slope(0),   |slope(t)| ≤ CURVATURE · |slope(0)|

    `evaluate_at(t)` gives the loss and gradient at x + t·d. First widen t until an interval is
    known to hold such a step (or t is one), then narrow that interval ("zoom") with cubic
    guesses. Returns the loss, gradient and t found, and how many evaluations it took (the
    first, at t, and at most `most_evaluations` more).
    """
    def trial(at: float) -> tuple[float, float, np.ndarray, float]:
        new_loss, new_grad = evaluate_at(at)
        return at, new_loss, new_grad, float(new_grad @ d)

    def too_high(point: tuple) -> bool:            # (a NaN loss is not: PyTorch's test)
        return point[1] > loss + SUFFICIENT_DECREASE * point[0] * slope

    def flat(point: tuple) -> bool:
        return abs(point[3]) <= -CURVATURE * slope

    def cubic(a: tuple, b: tuple, bounds: tuple[float, float] | None = None) -> float:
        return _cubic_minimum((a[0], a[1], a[3]), (b[0], b[1], b[3]), bounds)

    # a point is (t, loss, gradient, slope along d)
    previous, current = (0.0, loss, grad, slope), trial(t)
    evaluations = 1
    bracket = None
    while evaluations <= most_evaluations:              # widen
        if too_high(current) or (evaluations > 2 and current[1] >= previous[1]):
            bracket = [previous, current]
            break
        if flat(current):
            return current[1], current[2], current[0], evaluations
        if current[3] >= 0:                             # the slope turned: a minimum between
            bracket = [previous, current]
            break
        # still going down: guess further on, at least a little past t and at most 10 t
        guess = cubic(previous, current,
                      (current[0] + 0.01 * (current[0] - previous[0]), current[0] * 10))
        previous, current = current, trial(guess)
        evaluations += 1
    if bracket is None:                                 # out of evaluations: the better end
        bracket = [(0.0, loss, grad, slope), current]

    low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
    longest_move = np.abs(d).max()
    stalled = False                                     # the last guess hugged an end too
    while evaluations <= most_evaluations:              # zoom
        left, right = min(bracket[0][0], bracket[1][0]), max(bracket[0][0], bracket[1][0])
        if (right - left) * longest_move < SHORTEST_INTERVAL:
            break
        guess = cubic(bracket[0], bracket[1])
        # a guess within a tenth of the interval from an end gains little: after two such
        # guesses in a row (or one outside the interval), move it a tenth inside
        margin = 0.1 * (right - left)
        if min(right - guess, guess - left) < margin:
            if stalled or guess >= right or guess <= left:
                guess = right - margin if abs(guess - right) < abs(guess - left) else left + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        current = trial(guess)
        evaluations += 1
        if too_high(current) or current[1] >= bracket[low][1]:
            bracket[high] = current                     # the new point bounds the far side
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            done = flat(current)
            if not done and current[3] * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]            # the minimum lies on the other side
            bracket[low] = current
            if done:
                break
    t, best_loss, best_grad, _ = bracket[low]
    return best_loss, best_grad, t, evaluations
