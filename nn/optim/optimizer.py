"""`Optimizer`: what every optimizer shares (parameter groups, per-parameter state, checkpoints).

An optimizer sees parameters only through `.data` and `.grad`, so the same update rule serves a
scalar `Value` (Python floats) and a `Tensor` (ndarrays). The rules are written so that each line
works on both: `p.data -= lr * g` rebinds a float and updates an array in place, `v ** 0.5` is a
square root of either. Apart from loading checkpoints, the helpers at the bottom of this file
(`zeros_like`, `copy_of`, `maximum`, `sign`, `where`, `clamp`) are the only places that ask
which kind of payload they hold.

`step()` is written once, here: it loops over the parameters that have a gradient and does what
every optimizer does to a gradient first (flip its sign for `maximize`, add weight decay). A
subclass lists its hyperparameters' defaults, checks them in `_check_group`, names its state in
`_buffers` (shaped like the parameter) and `_scalars` (one number per parameter), creates that
state in `init_state` and writes its formula in `update`. See `nn.optim.sgd.SGD` for the
simplest.

>>> from autograd import Value
>>> from nn.optim import SGD
>>> w = Value(3.0)
>>> opt = SGD([w], lr=0.25)
>>> (w * w).backward()          # dL/dw = 2w = 6
>>> opt.step(); w.data          # 3 - 0.25 * 6
1.5
>>> opt.zero_grad(); w.grad
0.0
"""

from __future__ import annotations

import collections
import copy
import difflib
import functools
import inspect
import math
import numbers
import weakref
from typing import Any, Callable, Iterable

import numpy as np

from autograd import Tensor, enable_grad
from autograd.graph import Node
from autograd.pytorch_names import type_name
from autograd.warn import warn

from ..module import _Replacements, clear_grad, replaced_parameter_note
from ..state_dict import as_array

#: what a parameter group holds besides hyperparameters: its parameters, their names if given
#: as named_parameters() gives them, and the lr a scheduler started from
GROUP_ENTRIES = {"params", "param_names", "initial_lr"}
#: PyTorch's switches of how its update runs, in its optimizers' groups: nothing to do here
PYTORCH_SWITCHES = {"foreach", "fused", "capturable", "differentiable"}
#: what else PyTorch writes into its optimizers' groups: options some of its optimizers take
#: (`step` reads decoupled_weight_decay in any group), and its schedulers' bounds (OneCycleLR,
#: CyclicLR, SWALR); a group holding them is taken without a warning (`_warn_unused`)
PYTORCH_GROUP_ENTRIES = {"maximize", "decoupled_weight_decay", "max_lr", "min_lr",
                         "base_momentum", "max_momentum", "swa_lr"}
#: other spellings of a hyperparameter that are refused in a group, not kept as a group's own
#: entry (`_misspelt`)
MEANT = {"learning_rate": "lr", "learningrate": "lr", "epsilon": "eps", "wd": "weight_decay"}

#: every how many calls of `step()` the running averages are cleared of subnormal numbers
#: (`Optimizer._flush_subnormals`): often enough that an entry stays subnormal for at most
#: this many steps, rarely enough that the check (a sixth of an Adam step, once in 64 steps:
#: 0.3 %) is lost in the noise
FLUSH_EVERY = 64

__all__ = ["Optimizer", "zeros_like", "copy_of", "maximum", "sign", "where", "clamp",
           "follow_dtype", "flush_subnormal", "eps_hides_subnormal", "FLUSH_EVERY"]


class Optimizer:
    """Base class: holds `param_groups` (a list of dicts) and `state` ({parameter: dict}).

    `params` is an iterable of parameters (Values or Tensors), of (name, parameter) pairs
    (`model.named_parameters()`: the group keeps the names as "param_names") or of dicts
    `{"params": [...], "lr": ..., ...}`, one per group, whose entries override `defaults`.
    Every optimizer's defaults include `lr` and `maximize`, and most `weight_decay`, which
    `step()` reads (LBFGS, which evaluates the loss itself, has its own `step`).

    A parameter's state (Adam's moments, SGD's momentum, ...) is kept in the parameter's dtype:
    if the parameter's dtype changes after a step (`model.double()`, `.half()`, `.to(dtype)`),
    its state is cast to the new dtype at the next step, as `load_state_dict` casts saved
    state (PyTorch's rule there), so that float64 parameters get float64 updates: float32
    moments would silently round them (PyTorch's step refuses them, "expected dtype float for
    `end` but got dtype double").

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> from nn.optim import Adam
    >>> w = Tensor([1.0, 2.0], requires_grad=True)         # float32
    >>> opt = Adam([w]); (w * w).sum().backward(); opt.step()
    >>> w.data = w.data.astype(np.float64)                 # what model.double() does
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> opt.state[w]["exp_avg"].dtype
    dtype('float64')

    PyTorch's keywords that choose how its update runs (`foreach=`, `fused=`, `capturable=`)
    are accepted by every optimizer and change nothing: numpy has one way, and the numbers are
    the same. `differentiable=True` (backpropagating through the update) is refused.

    >>> from autograd import Value
    >>> from nn.optim import AdamW
    >>> AdamW([Value(1.0)], lr=3e-4, fused=True).defaults["lr"]     # as nanoGPT writes it
    0.0003
    """

    #: names of per-parameter state entries shaped like the parameter (checked on load)
    _buffers: tuple[str, ...] = ()
    #: names of per-parameter state entries that are single numbers, with their type
    _scalars: dict[str, type] = {}
    #: entries PyTorch keeps in a parameter's state that hold nothing to resume from (scratch
    #: space it reuses between steps): left out when its state dict is loaded
    _pytorch_scratch: tuple[str, ...] = ()
    #: whether `update` applies the weight decay itself (Adafactor measures p before it shrinks)
    _decays_in_update = False
    #: state entries shaped like the parameter that shrink geometrically while a coordinate's
    #: gradient is 0 (momentum, running means): cleared of subnormal numbers every
    #: FLUSH_EVERY steps (see `_flush_subnormals`); `_flushable` may add more at a step
    _decaying: tuple[str, ...] = ()
    #: whether `step` must be given a closure that recomputes the loss (LBFGS evaluates it
    #: several times per step); `nn.fit` passes one to such an optimizer
    step_needs_closure = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Each optimizer's own __init__ lists its hyperparameters; PyTorch's implementation
        # switches are taken off here, once, rather than in every signature.
        super().__init_subclass__(**kwargs)
        own_step = cls.__dict__.get("step")
        if own_step is not None:            # LBFGS's, or a user's optimizer's own step
            cls.step = _noting_the_step(own_step)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def __init__(self: Optimizer, *args: Any, foreach: bool | None = None,
                     fused: bool | None = None, capturable: bool = False,
                     differentiable: bool = False, **hyperparameters: Any) -> None:
            if differentiable:
                raise ValueError(f"{cls.__name__}: differentiable=True (backpropagating through "
                                 f"the optimizer's update) is not supported; leave it out")
            init(self, *args, **hyperparameters)

        cls.__init__ = __init__

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, (Node, dict)):
            raise TypeError(
                f"{name}: params must be an iterable of parameters or of parameter-group "
                f"dicts, got a single {type(params).__name__} (wrap it in a list)")
        _check_ordered(name, params)
        one_pass = iter(params) is params if hasattr(params, "__iter__") else False
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of parameters or of "
                            f"parameter-group dicts, got {type(params).__name__}"
                            f"{_model_hint(params)}") from None
        if not groups:
            hint = (" (an iterator, such as a generator, is used up after one pass: pass "
                    "model.parameters() again, or a list)" if one_pass else "")
            raise ValueError(f"{name}: got an empty parameter list (nothing to optimize){hint}")
        self.defaults = dict(defaults)
        _OPTIMIZERS.add(self)               # (whose groups another may share: `_warn_unused`)
        #: whether step() was ever called: a scheduler stepped before it warns, as in PyTorch
        self._stepped = False
        # a defaultdict, as PyTorch's: a subclass's step writes self.state[p]["key"] first
        self.state: dict[Node, dict[str, Any]] = collections.defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        if not any(p.requires_grad for group in self.param_groups for p in group["params"]):
            raise ValueError(f"{name}: none of its parameters requires grad, so it would never "
                             f"change one (create them with requires_grad=True, or unfreeze "
                             f"some; frozen parameters next to trained ones are fine)")

    # -- parameter groups ----------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group: `{"params": [...]}` plus any hyperparameters that differ from the defaults.

        Used to unfreeze layers while training: the new group gets its own lr, momentum, ...
        Entries that are not hyperparameters of this optimizer stay in the group, as in
        PyTorch (a tag, `"name": "head"`; SAM's `rho` in the groups it hands to its base
        optimizer), with a warning, once per optimizer, when one is another optimizer's option
        (`momentum` given to Adam changes nothing: `_warn_unused`); a hyperparameter
        misspelt (`learning_rate`, `momentom`) is refused.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' entry, "
                            f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: parameter group has no 'params' entry "
                             f"(got keys {sorted(param_group)})")
        # Other entries are kept in the group, as PyTorch keeps them: a group's tag ("name")
        # and SAM's rho, which SAM's base optimizer gets in the groups it shares with SAM.
        # Only what looks like a hyperparameter misspelt is refused.
        misspelt = _misspelt(set(param_group) - set(self.defaults) - GROUP_ENTRIES,
                             self.defaults)
        if misspelt:
            raise ValueError(f"{name}: unknown hyperparameter(s) {sorted(misspelt)} in a "
                             f"parameter group (meant {sorted(set(misspelt.values()))}?); "
                             f"{name} takes {sorted(self.defaults)}")
        self._warn_unused(param_group)
        params = param_group["params"]
        _check_ordered(name, params)
        params = [params] if isinstance(params, Node) else list(params)
        if not params:
            raise ValueError(f"{name}: parameter group {len(self.param_groups)} has an empty "
                             f"parameter list")
        names = _names_of(name, params)
        if names is not None:               # named_parameters(): PyTorch keeps the names
            params = [p for _, p in params]
            param_group = {**param_group, "param_names": names}
        if self.param_groups and \
                ("param_names" in param_group) != ("param_names" in self.param_groups[0]):
            raise ValueError(f"{name}: every parameter group gives its parameters with names "
                             f"((name, parameter) pairs, as named_parameters() gives them), "
                             f"or every one without")
        for i, p in enumerate(params):
            _check_parameter(name, p, i)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {i} of the new group appears twice (in "
                                 f"this group or in an earlier one); a parameter belongs to "
                                 f"exactly one group")
            seen.add(id(p))
        group = {**self.defaults, **param_group, "params": params}
        self._check_settings(group)
        self.param_groups.append(group)

    def _warn_unused(self, param_group: dict[str, Any]) -> None:
        """Warn (once per optimizer) of the entries of a new group that are another optimizer's
        options, which this one does not read, and PyTorch's own would not hold:
        `Adam([{"params": ..., "momentum": 0.9}])` runs Adam without momentum, silently in
        PyTorch. The options of the optimizer, the
        entries PyTorch's optimizers and schedulers write (GROUP_ENTRIES, PYTORCH_SWITCHES,
        PYTORCH_GROUP_ENTRIES) and the groups of another optimizer (SAM gives its base
        optimizer its own groups, with its rho) pass quietly; a state dict's groups, PyTorch's
        too, are loaded without this check."""
        if self.__dict__.get("_warned_unused"):
            return
        # (a tag of the user's own, "name": "head", "lr_mult": 0.1, is no optimizer's option:
        # it passes quietly, as in PyTorch; `momentum` is SGD's, so Adam warns of it)
        unused = [key for key in param_group if key not in self.defaults
                  and key not in GROUP_ENTRIES and key not in PYTORCH_SWITCHES
                  and key not in PYTORCH_GROUP_ENTRIES and key in _hyperparameter_names()]
        if not unused or any(group is param_group for optimizer in list(_OPTIMIZERS)
                             for group in getattr(optimizer, "param_groups", ())):
            return
        self._warned_unused = True
        keys = ", ".join(repr(key) for key in unused)
        warn(f"{type(self).__name__} has no {keys}; its options are "
             f"{', '.join(self.defaults)} ({'they are' if len(unused) > 1 else 'it is'} kept "
             f"in the parameter group and ignored, as in PyTorch)", UserWarning)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for a bad hyperparameter in `group`; subclasses list their rules."""

    def _check_settings(self, group: dict[str, Any]) -> None:
        """`_check_group`, the "initial_lr" a scheduler keeps in the group (a checkpoint
        carries it, and a scheduler resumed with last_epoch computes its lrs from it) and the
        parameters' names, if the group has them."""
        self._check_group(group)
        if "initial_lr" in group:
            self._non_negative(group, "initial_lr")
        if "param_names" in group:
            names = group["param_names"]
            if not isinstance(names, (list, tuple)) or len(names) != len(group["params"]) \
                    or not all(isinstance(n, str) for n in names):
                raise ValueError(f"{type(self).__name__}: param_names must list one name (a "
                                 f"string) per parameter of the group, got {names!r:.60}")

    def _numbers(self, group: dict[str, Any], *names: str) -> None:
        """Each named hyperparameter must be a finite real number (stored as a Python float,
        so that a Value's data stays a float)."""
        for key in names:
            group[key] = _real(type(self).__name__, key, group[key])

    def _non_negative(self, group: dict[str, Any], *names: str) -> None:
        """Each named hyperparameter must be a finite real number >= 0."""
        self._numbers(group, *names)
        for key in names:
            if group[key] < 0:
                raise ValueError(f"{type(self).__name__}: {key} must be >= 0, got {group[key]!r}")

    def _pair(self, group: dict[str, Any], key: str) -> tuple[float, float]:
        """`group[key]` must be two real numbers (stored, and returned, as a tuple of floats)."""
        name, value = type(self).__name__, group[key]
        try:
            first, second = value
        except (TypeError, ValueError):
            raise ValueError(f"{name}: {key} must be a pair of numbers, got {value!r:.60}") \
                from None
        group[key] = (_real(name, f"{key}[0]", first), _real(name, f"{key}[1]", second))
        return group[key]

    def _betas(self, group: dict[str, Any]) -> None:
        """`betas` must be two numbers in [0, 1) (stored as a tuple of floats)."""
        for i, beta in enumerate(self._pair(group, "betas")):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{type(self).__name__}: betas[{i}] must be in [0, 1), got "
                                 f"{beta!r}")

    def _flags(self, group: dict[str, Any], *names: str) -> None:
        """Each named option must be True or False."""
        for key in names:
            if not isinstance(group[key], (bool, np.bool_)):
                raise TypeError(f"{type(self).__name__}: {key} must be True or False, got "
                                f"{group[key]!r}")
            group[key] = bool(group[key])

    # -- the training loop's calls -------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: a Value's becomes 0.0, a Tensor's None (or, with
        `set_to_none=False`, zeros if it had one), as in PyTorch.

        >>> from autograd import Value
        >>> from nn.optim import SGD
        >>> w = Value(2.0)
        >>> optimizer = SGD([w], lr=0.1)
        >>> (w * w).backward()
        >>> w.grad
        4.0
        >>> optimizer.zero_grad()
        >>> w.grad
        0.0
        """
        if set_to_none is True:             # every step's call: p.zero_grad(), written out
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = p._empty_grad
            return
        for group in self.param_groups:
            for p in group["params"]:
                clear_grad(p, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient and is not frozen; returns `closure()` if
        one is given.

        For each parameter p with gradient g (the subclass's `update` does the rest):

            g ← −g                              if maximize
            g ← g + weight_decay · p            (L2 penalty; with decoupled_weight_decay
                                                 p ← p · (1 − lr · weight_decay) instead)

        Plain SGD's update is p ← p − lr · g: here the loss w², its slope 2w = 4 at w = 2, so
        w becomes 2 − 0.1 · 4.

        >>> from autograd import Value
        >>> from nn.optim import SGD
        >>> w = Value(2.0)
        >>> optimizer = SGD([w], lr=0.1)
        >>> (w * w).backward()
        >>> optimizer.step()
        >>> w.data
        1.6
        """
        self._stepped = True
        loss = self._evaluate(closure)
        # the lr and every gradient are checked before any parameter changes: a bad one leaves
        # all as they were. The lr again, because a training loop may have set it by hand
        # (group["lr"] = ...): a NaN, a string or a Tensor would otherwise reach the update (a
        # Value's data became a Tensor; NaN spread to every weight). A plain float in range
        # passes at a glance: checking every setting of every group each step cost Adam 8 µs
        # of a 55 µs step (the other settings are checked where they are given)
        for i, group in enumerate(self.param_groups):
            lr = group["lr"]
            if lr.__class__ is not float or not 0.0 <= lr < math.inf:
                try:
                    self._check_settings(group)
                except (TypeError, ValueError) as error:
                    raise type(error)(f"step: param_groups[{i}]: {error}") from None
        groups = [(group, self._with_grads(group)) for group in self.param_groups]
        if not any(with_grads for _, with_grads in groups):
            self._warn_without_gradients()
        else:
            self._had_gradients = True
            if _Replacements.count:
                self._warn_about_replaced()
        states, update = self.state, self.update        # (read once, not per parameter)
        calls = self.__dict__.get("_step_calls", 0) + 1
        self._step_calls = calls
        flush = calls % FLUSH_EVERY == 0 and self._decaying
        for group, with_grads in groups:
            lr, maximize = group["lr"], group["maximize"]
            weight_decay = 0 if self._decays_in_update else group.get("weight_decay", 0)
            decoupled = group.get("decoupled_weight_decay", False)      # AdamW, Adam, NAdam
            for p, g in with_grads:
                if maximize:
                    g = -g
                if weight_decay and decoupled:
                    p.data *= 1 - lr * weight_decay
                elif weight_decay:
                    g = g + weight_decay * p.data
                state = states.get(p)
                if not state:                   # (none, or {} a subclass read: PyTorch's test)
                    state = self.init_state(p, group)
                    if state:                   # SGD without momentum remembers nothing
                        states[p] = state
                elif p.data.__class__ is np.ndarray:
                    # a model cast since its state was made (see the class): one buffer tells,
                    # as all are made, and cast, in the parameter's dtype (a loop over every
                    # entry cost Adam 3 µs of a 55 µs step of 6 parameters)
                    dtype = p.data.dtype
                    for value in state.values():
                        if value.__class__ is np.ndarray:
                            if value.dtype is not dtype:        # (`is`: dtypes are shared)
                                follow_dtype(state, dtype)
                            break
                if "step" in state:             # SGD counts no steps (as in PyTorch)
                    state["step"] += 1
                update(p, g, state, group)
                if flush and p.data.__class__ is np.ndarray:
                    self._flush_subnormals(state, group)
                p._changed_in_place()           # a graph recorded before the step can tell
        return loss

    def init_state(self, p: Node, group: dict[str, Any]) -> dict[str, Any]:
        """The state of `p` before its first step: its buffers (`zeros_like(p.data)`, ...) and
        `"step": 0` if the rule counts steps. An empty dict keeps no state for `p`."""
        return {}

    def update(self, p: Node, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply the update rule to `p.data`: `g` is the gradient's payload after `maximize` and
        weight decay, `state` is p's (with `state["step"]` already counting this step), `group`
        holds the hyperparameters."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update()")

    def _flush_subnormals(self, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Set to 0 (of the same sign) the entries of a Tensor's decaying state that are
        below its dtype's smallest normal number (float32 1.2e-38, float64 2.2e-308): called
        after the update, every FLUSH_EVERY steps.

        Why: a coordinate whose gradient stays 0 (a dead ReLU's weights, an embedding row no
        batch looks up, a padding index) has its momentum multiplied by β1 at every step; after
        ~800 float32 steps (~6,700 float64) it is subnormal, and an x86 CPU takes a slow
        microcode assist for every operation that reads or writes a subnormal number: an Adam
        step of 100,000 float32 weights went from 0.25 to 1.4 ms, SGD with momentum from 0.08
        to 1.2. Rounding never lets it reach 0 (4 units of the last place times 0.9 rounds back
        to 4), so without the flush the step stays that slow for good (PyTorch's does too:
        Adam 0.6 -> 2.0 ms).

        What it changes: a numerator's entry (Adam's m) below `tiny` moves its coordinate by
        less than lr · tiny / eps (for Adam, divided by 1 − β1ᵗ), which rounds away in any
        parameter larger than 2²⁴ (float32; 2⁵³ float64) times that: 2e-26 for float32 Adam at
        its defaults. A denominator's entry (v in √v + eps) is flushed only when eps hides it
        (`eps_hides_subnormal`), so the step is the same to the last bit. And the next gradient
        of ordinary size makes the entry what it would have been: β·(a subnormal) + (1 − β)·g
        rounds to (1 − β)·g. Values (Python floats) and other dtypes are left as they are."""
        buffers = self.__dict__.get("_scratch_buffers", ())
        for key in self._flushable(state, group):
            x = state.get(key)
            if x.__class__ is np.ndarray and x.dtype in _SUBNORMAL:
                # Adam's scratch arrays, where it has them (no new memory, which other
                # optimizers' own temporaries would then share: RAdam's step of 100,000 weights
                # went 0.36 -> 0.77 ms with two such arrays held for this alone)
                flush_subnormal(x, self._scratch(x)[0] if x.dtype in buffers else None)

    def _flushable(self, state: dict[str, Any], group: dict[str, Any]) -> tuple[str, ...]:
        """The entries of `state` that `_flush_subnormals` clears at this step: `_decaying`, and
        in a subclass a denominator's running mean when eps hides it."""
        return self._decaying

    @staticmethod
    def _hidden_by_eps(state: dict[str, Any], group: dict[str, Any], *names: str,
                       bias: float = 1.0) -> tuple[str, ...]:
        """`names` (running means of squared gradients) if group["eps"] hides their subnormal
        numbers in a denominator √(v / bias) + eps or √(v + eps), else ()."""
        v = state.get(names[0])
        if v.__class__ is np.ndarray and eps_hides_subnormal(group["eps"], v.dtype, bias):
            return names
        return ()

    def _scratch(self, like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two arrays of `like`'s shape and dtype for an update's temporaries (`np.multiply(g,
        c, out=work)`), written before they are read and good until the next call: views of
        two flat buffers as large as the largest parameter, which the optimizer keeps (they
        are no part of its state). Temporaries made anew were five arrays of each parameter's
        size at every step (each an allocation, and a big one new pages from the OS until
        glibc's malloc keeps freed blocks: see autograd/allocator.py)."""
        key = (like.shape, like.dtype)
        views = self.__dict__.setdefault("_scratch_views", {})
        pair = views.get(key)
        if pair is None:
            buffers = self.__dict__.setdefault("_scratch_buffers", {})
            flat = buffers.get(like.dtype)
            if flat is None or flat[0].size < like.size:
                flat = buffers[like.dtype] = (np.empty(like.size, like.dtype),
                                              np.empty(like.size, like.dtype))
                views.clear()               # (views of the smaller buffers would keep them)
            pair = views[key] = (flat[0][:like.size].reshape(like.shape),
                                 flat[1][:like.size].reshape(like.shape))
        return pair

    def _warn_without_gradients(self) -> None:
        """A step in which no parameter has a gradient changes nothing. PyTorch's is silent,
        but a model then never trains, and the mistakes that cause it are each made on one
        line: backward() not called (`loss.backward` without the parentheses, or after the
        step), zero_grad() between backward() and step(), or an optimizer of parameters the
        loss does not use (another model's, or made before the model's layers were replaced).
        Frozen parameters (requires_grad False) are meant to get none, and are not counted;
        an optimizer that has never had a gradient and drives a scheduler (its groups have
        "initial_lr") is stepped to plot the schedule, and is left alone."""
        params = [p for group in self.param_groups for p in group["params"]]
        if not any(p.requires_grad for p in params) or (
                not self.__dict__.get("_had_gradients")
                and any("initial_lr" in group for group in self.param_groups)):
            return
        warn(f"{type(self).__name__}.step(): none of its {len(params)} parameters has a "
             f"gradient, so nothing changed. Call loss.backward() (with the parentheses) "
             f"before optimizer.step(), and zero_grad() before backward(), not between "
             f"backward() and step(); if backward() did run, the loss does not use these "
             f"parameters: make the optimizer from the parameters() of the model that computes "
             f"the loss, after its layers are built or replaced", UserWarning)

    def _warn_about_replaced(self) -> None:
        """Some parameters got gradients and a model's part was replaced since (`model.fc =
        Linear(512, 10)`, see `nn.module.note_replaced`): if one that got none is a part that
        was replaced, and none of its replacement's parameters is here, the new part does not
        train (PyTorch's step is silent)."""
        held = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            for p in group["params"]:
                note = replaced_parameter_note(p) if p.grad is None else None
                if note is not None and not any(id(new) in held for new in note[1]):
                    where, new = note
                    warn(f"{type(self).__name__}.step(): {where} was replaced after this "
                         f"optimizer was made, which still holds the old parameter (shape "
                         f"{p.shape}) and none of the new {len(new)}: the new part does not "
                         f"train. Make the optimizer after changing the model, or add them: "
                         f"optimizer.add_param_group({{'params': <the new part>.parameters()}})",
                         UserWarning)
                    return

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        """Run `closure` (which recomputes the loss and calls backward) with grad mode on."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    @staticmethod
    def _with_grads(group: dict[str, Any]) -> list[tuple[Node, Any]]:
        """(parameter, gradient payload) for each parameter of `group` that has a gradient.

        A Tensor that backward never reached has `.grad` None and is skipped (as in PyTorch); a
        Value's 0.0 is a real zero gradient. A frozen parameter (`requires_grad_(False)`, the
        transfer-learning way) is skipped too, whatever its `.grad` holds, and trains again
        once unfrozen. After `backward(create_graph=True)` a gradient is itself a node: the
        update uses its payload.
        """
        pairs = []
        for p in group["params"]:
            g = p.grad
            if g is None or not p.requires_grad:
                continue
            if isinstance(g, Node):
                g = g.data
            if g.__class__ is np.ndarray and g.shape != p.data.shape:   # a .grad set by hand
                raise ValueError(f"step: a parameter of shape {p.data.shape} has a gradient of "
                                 f"shape {g.shape}; a gradient set by hand (p.grad = ...) must "
                                 f"have its parameter's shape")
            pairs.append((p, g))
        return pairs

    # -- checkpoints ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer as plain data: {"state": {index: {...}}, "param_groups": [...]}.

        Parameters are numbered in group order; each group lists its parameters' numbers under
        "params". Arrays are copies, so training on does not change a saved state dict.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index[id(p)] = len(index)
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: {k: copy_of(v) for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by `state_dict()` (copies, checked first).

        The groups must have the same number of parameters as this optimizer's, in the same
        order; every buffer must have its parameter's shape. Nothing changes if a check fails.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and "
                             f"'param_groups' (from state_dict()), got {got}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, dict) or \
                not all(isinstance(entries, dict) for entries in saved_state.values()):
            raise ValueError(f"{name}.load_state_dict: expected 'param_groups' to be a list of "
                             f"dicts and 'state' a dict of dicts (from state_dict()), got a "
                             f"{type(saved_groups).__name__} and a {type(saved_state).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter group(s), this optimizer has {len(self.param_groups)}")
        by_index: dict[Any, Node] = {}
        groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, dict) or not isinstance(saved.get("params"), (list, tuple)):
                raise ValueError(f"{name}.load_state_dict: group {i} is not a dict with a "
                                 f"'params' list")
            listed = saved["params"]
            if not all(type(k) is int for k in listed) or \
                    len(set(listed) | set(by_index)) != len(listed) + len(by_index):
                raise ValueError(f"{name}.load_state_dict: group {i} lists the parameters "
                                 f"{list(listed)!r:.60}; expected numbers, each once in all "
                                 f"the groups")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(saved['params'])} parameter(s) "
                    f"in the state dict and {len(group['params'])} in this optimizer")
            by_index.update(zip(saved["params"], group["params"]))
            if saved.get("differentiable"):
                raise ValueError(f"{name}.load_state_dict: group {i} has differentiable=True "
                                 f"(backpropagating through the update), which is not supported")
            # a torch.optim state dict: its implementation switches change nothing here, as
            # when they are passed to the constructor
            saved = {k: v for k, v in saved.items() if k not in PYTORCH_SWITCHES}
            # (an entry the group has, a tag or SAM's rho, is restored as PyTorch restores it)
            unknown = set(saved) - set(self.defaults) - set(group) - GROUP_ENTRIES
            if unknown:
                cycles = unknown & {"max_lr", "min_lr", "base_momentum", "max_momentum"}
                hint = ("; PyTorch's OneCycleLR and CyclicLR keep their bounds in the "
                        "optimizer's groups: start the optimizer and the scheduler afresh"
                        if cycles else "")
                raise ValueError(f"{name}.load_state_dict: group {i} has unknown "
                                 f"hyperparameter(s) {sorted(unknown)}{hint}")
            restored = {**group, **{k: v for k, v in saved.items() if k != "params"},
                        "params": group["params"]}
            self._check_settings(restored)
            groups.append(restored)
        state = {}
        for index, entries in state_dict["state"].items():
            if index not in by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter {index!r}, "
                                 f"which no group lists")
            p = by_index[index]
            state[p] = {key: self._restored(p, index, key, value)
                        for key, value in entries.items() if key not in self._pytorch_scratch}
            self._check_restored(index, state[p])
        self.param_groups = groups
        self.state = collections.defaultdict(dict, state)

    def _restored(self, p: Node, index: Any, key: str, value: Any) -> Any:
        """A copy of one saved state entry, checked against parameter `p` and converted to its
        payload's kind (a float for a Value, an array of the parameter's dtype for a Tensor)."""
        name = type(self).__name__
        if _foreign_array(value):
            # a torch.optim state dict as `torch_optimizer.state_dict()` gives it in memory:
            # its buffers are tensors, and so are its "step" counts (0-d)
            value = as_array(value)
        if key in self._scalars:
            if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
                value = value.item()        # PyTorch's form: a 0-d tensor (a .pt file's "step")
            where = f"{name}.load_state_dict: state[{index!r}][{key!r}]"
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                raise ValueError(f"{where} must be a number, got {value!r:.60}")
            if not abs(value) < 2 ** 1024:         # NaN, infinity, an int no float can hold
                raise ValueError(f"{where} must be finite, got {value!r:.60}")
            if self._scalars[key] is int and (value < 0 or value != int(value)):
                why = (" (Adam's bias correction, 1 - beta ** step, depends on it)"
                       if key == "step" else "")
                raise ValueError(f"{where} counts steps (0, 1, 2, ...), got {value!r:.60}{why}")
            return self._scalars[key](value)
        if key not in self._buffers:
            if not type(self).__module__.startswith(__package__):
                # a user's optimizer (SAM's "old_p", AdaHessian's "exp_avg"), whose entries
                # no list names: restored as PyTorch restores them
                return _entry_as_saved(p, key, value)
            raise ValueError(f"{name}.load_state_dict: unknown state entry {key!r} for "
                             f"parameter {index!r} ({name} keeps {self._state_entries()})")
        array = np.asarray(value)
        if array.dtype.kind not in "biuf" or array.shape != np.shape(p.data):
            hint = ("; saved states go to the parameters by position: list them in the order "
                    "they had when saved" if array.dtype.kind in "biuf" else "")
            raise ValueError(f"{name}.load_state_dict: state[{index!r}][{key!r}] has shape "
                             f"{array.shape} and dtype {array.dtype}, its parameter has shape "
                             f"{np.shape(p.data)}{hint}")
        if isinstance(p.data, np.ndarray):
            return array.astype(p.data.dtype)               # astype copies
        return float(array)

    def _state_entries(self) -> list[str]:
        """The names of the entries a parameter's state may hold (for an error message)."""
        return sorted(self._buffers) + sorted(self._scalars)

    def _check_restored(self, index: Any, entries: dict[str, Any]) -> None:
        """Raise ValueError if a parameter's restored entries do not fit together (each was
        checked alone by `_restored`); a subclass whose entries depend on each other says how."""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _hyperparameter_names() -> frozenset:
    """The options any optimizer class takes (its constructor's keywords), those defined
    since the last call too (a learner's own): what a group entry that this optimizer does not
    read was most likely meant as, another optimizer's option."""
    classes, found = [], [Optimizer]
    while found:
        cls = found.pop()
        classes.append(cls)
        found += cls.__subclasses__()
    return _keywords_of(tuple(classes))


@functools.lru_cache(maxsize=1)
def _keywords_of(classes: tuple) -> frozenset:
    """The keywords of the constructors of `classes` (read again only when a class is added)."""
    names = set()
    for cls in classes:
        names |= set(inspect.signature(cls.__init__).parameters)
    return frozenset(names - {"self", "params", "defaults", "args", "kwargs"})


#: every optimizer made, held weakly: a group given to one that is another's own group (SAM's,
#: handed to its base optimizer) is not warned of (`Optimizer._warn_unused`)
_OPTIMIZERS: weakref.WeakSet = weakref.WeakSet()


def _entry_as_saved(p: Node, key: str, value: Any) -> Any:
    """A copy of a user's optimizer's saved state entry: arrays as Tensors, which such code,
    written as PyTorch's, keeps (`torch.zeros_like(p)`; a checkpoint file gives them back as
    arrays), numbers as they are (a 0-d array too: a .pt file holds a "step" count as PyTorch's
    Adam does, a float32 tensor, which is the count again); floating arrays in the parameter's
    dtype, as PyTorch's `load_state_dict` casts them."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "biuf":
        number = value.item()
        return int(number) if key == "step" and float(number).is_integer() else number
    if isinstance(value, Tensor):
        value = value.detach().clone()
    elif isinstance(value, np.ndarray):
        value = Tensor(value.copy())
    else:
        return copy.deepcopy(value)
    dtype = getattr(p.data, "dtype", None)
    if key != "step" and dtype is not None and dtype.kind == "f" and value.dtype.kind == "f" \
            and value.dtype != dtype:
        value = value.astype(dtype)
    return value


def _noting_the_step(step: Callable[..., Any]) -> Callable[..., Any]:
    """A subclass's own `step` that also records that the optimizer has stepped."""
    @functools.wraps(step)
    def noted_step(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        self._stepped = True
        return step(self, *args, **kwargs)
    return noted_step


# ----------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------

def _misspelt(keys: set[str], hyperparameters: dict[str, Any]) -> dict[str, str]:
    """The keys among `keys` that look like one of `hyperparameters` misspelt, with the one
    each likely means: another spelling (`learning_rate`) or a near one of about its length
    (`momentom`, `weight_decy`; not a longer tag such as `weight_decay_mult`).

    >>> _misspelt({"momentom", "rho", "name", "learning_rate"}, {"lr": 0.1, "momentum": 0})
    {'learning_rate': 'lr', 'momentom': 'momentum'}
    """
    found = {}
    for key in sorted(k for k in keys if isinstance(k, str)):
        near = [h for h in difflib.get_close_matches(key, hyperparameters, n=3, cutoff=0.8)
                if abs(len(h) - len(key)) <= 2]
        meant = MEANT.get(key.lower()) if MEANT.get(key.lower()) in hyperparameters else None
        if meant or near:
            found[key] = meant or near[0]
    return found


def _check_parameter(optimizer: str, p: Any, i: int) -> None:
    if not isinstance(p, Node):
        hint = ("; a model's layers, not its parameters: pass model.parameters()"
                if callable(getattr(p, "parameters", None)) else "")
        raise TypeError(f"{optimizer}: parameter {i} is a {type_name(p)}; an optimizer "
                        f"updates Values and Tensors (autograd.graph.Node){hint}")
    dtype = np.result_type(p.data)
    if dtype.kind != "f":
        raise TypeError(f"{optimizer}: parameter {i} has dtype {dtype}; only floating-point "
                        f"parameters can be optimized")
    if not p.is_leaf:
        raise ValueError(f"{optimizer}: parameter {i} is not a leaf (it is the result of "
                         f"'{p.op}'); optimize the leaves it was computed from")


def _foreign_array(value: Any) -> bool:
    """Whether `value` is another library's array with a `.numpy()` method (a PyTorch tensor),
    which `as_array` turns into numpy's."""
    return not isinstance(value, (np.ndarray, numbers.Number, list, tuple, Node)) and \
        callable(getattr(value, "numpy", None))


def _names_of(optimizer: str, params: list[Any]) -> list[str] | None:
    """The names of (name, parameter) pairs, which `named_parameters()` gives and PyTorch's
    optimizers take, or None for bare parameters."""
    named = [isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params]
    if not any(named):
        return None
    if not all(named):
        raise ValueError(f"{optimizer}: a parameter group mixes (name, parameter) pairs and bare "
                         f"parameters; give every parameter with its name, or none")
    return [name for name, _ in params]


def _model_hint(params: Any) -> str:
    """What to pass instead when `params` is a model, or its `parameters` method uncalled."""
    if callable(getattr(params, "parameters", None)):
        return " (a model: pass its parameters, model.parameters())"
    if callable(params) and getattr(params, "__name__", "") == "parameters":
        return " (the method itself: call it, model.parameters())"
    return ""


def _check_ordered(optimizer: str, params: Any) -> None:
    # a set's order changes from run to run, and with it the numbering in state_dict()
    if isinstance(params, (set, frozenset)):
        raise TypeError(f"{optimizer}: parameters must come in a fixed order (a list or tuple, "
                        f"not a set)")


def _real(optimizer: str, key: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        hint = f" (pass a number: {key}.item())" if isinstance(value, Node) else ""
        raise TypeError(f"{optimizer}: {key} must be a real number, got {value!r:.60}{hint}")
    try:
        value = float(value)
    except OverflowError:                   # an int of 400 digits (a file may hold one)
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"{optimizer}: {key} must be finite, got {value!r}")
    return value


# ----------------------------------------------------------------------------------------------
# The places where a payload's kind matters
# ----------------------------------------------------------------------------------------------

def zeros_like(x: Any) -> Any:
    """0.0 for a float, an array of zeros of the same shape and dtype for an ndarray.

    >>> zeros_like(3.5), zeros_like(np.ones(2, dtype=np.float32))
    (0.0, array([0., 0.], dtype=float32))
    """
    return np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0


def follow_dtype(state: dict[str, Any], dtype: np.dtype) -> None:
    """Cast the floating arrays of a parameter's `state` (and of its lists of arrays, L-BFGS's
    history) that are not of `dtype` to it, in place in the dict: the state of a parameter
    whose dtype changed after a step (see `Optimizer`).

    >>> state = {"step": 3, "exp_avg": np.zeros(2, dtype=np.float32)}
    >>> follow_dtype(state, np.dtype(np.float64)); state["exp_avg"].dtype
    dtype('float64')
    """
    for key, value in state.items():
        if value.__class__ is np.ndarray:
            if value.dtype != dtype and value.dtype.kind == "f":
                state[key] = value.astype(dtype)
        elif value.__class__ is list and value and value[0].__class__ is np.ndarray \
                and value[0].dtype != dtype:
            state[key] = [v.astype(dtype) for v in value]


#: the dtypes whose subnormal numbers slow the CPU down (numpy computes float16 in float32,
#: where its subnormal numbers are normal): their smallest normal number, and a bound below
#: half a unit in the last place of any number x > 0, as a fraction of x (with room for the
#: rounding of x to the dtype)
_SUBNORMAL = {np.dtype(t): (float(np.finfo(t).tiny), float(np.finfo(t).eps) / 8)
              for t in (np.float32, np.float64)}


def flush_subnormal(x: Any, work: np.ndarray | None = None) -> None:
    """Set the entries of a float32 or float64 array whose magnitude is below the dtype's
    smallest normal number to zero (keeping their sign), in place; anything else is left alone.
    `work`, an array of x's shape and dtype, saves allocating one.

    >>> m = np.array([1e-39, -1e-40, 1e-30, 0.0, np.nan], dtype=np.float32)
    >>> flush_subnormal(m); m.tolist()
    [0.0, -0.0, 1.0000000031710769e-30, 0.0, nan]
    """
    if x.__class__ is not np.ndarray or x.dtype not in _SUBNORMAL:
        return
    small = np.less(np.abs(x, out=work), _SUBNORMAL[x.dtype][0])     # (zeros too)
    if np.count_nonzero(small):
        np.multiply(x, 0, out=x, where=small)           # (a zero of the sign x had)


def eps_hides_subnormal(eps: float, dtype: np.dtype, bias: float = 1.0) -> bool:
    """Whether `√(v / bias) + eps` rounds to eps in `dtype` for every v below the dtype's
    smallest normal number (with a factor 2 to spare for the roundings on the way): then such
    a v can be flushed to 0 without changing a denominator `√v / √bias + eps` or
    `√(v + eps)`. Never with eps = 0 (where a flushed v would divide by zero).

    >>> float32, float64 = np.dtype(np.float32), np.dtype(np.float64)
    >>> eps_hides_subnormal(1e-8, float32), eps_hides_subnormal(0.0, float64)
    (True, False)
    """
    limits = _SUBNORMAL.get(dtype)
    if limits is None or not bias > 0:
        return False
    tiny, half_ulp = limits
    return 2 * math.sqrt(tiny / bias) < eps * half_ulp


def copy_of(x: Any) -> Any:
    """A copy of an array (a buffer must not share memory with a `.grad` the user may
    overwrite in place) or of a list of them (L-BFGS's history, which grows in place); numbers
    are immutable and returned as they are.

    >>> grad = np.ones(2)
    >>> buffer = copy_of(grad); grad *= 5; buffer          # not changed with the gradient
    array([1., 1.])
    """
    if isinstance(x, list):
        return [copy_of(item) for item in x]
    if isinstance(x, Tensor):               # (kept by a user's optimizer, as PyTorch's keep)
        return x.detach().clone()
    return x.copy() if isinstance(x, np.ndarray) else x


def maximum(a: Any, b: Any) -> Any:
    """Elementwise maximum that keeps a Python float a Python float (np.maximum would not).

    >>> maximum(1.0, 2.0), maximum(np.array([1.0, 5.0]), np.array([3.0, 4.0]))
    (2.0, array([3., 5.]))
    """
    return max(a, b) if isinstance(a, float) else np.maximum(a, b)


def sign(x: Any) -> Any:
    """−1.0, 0.0 or 1.0 for each element (a Python float for a float, as np.sign would not).

    >>> sign(-2.5), sign(np.array([-2.0, 0.0, 3.0]))
    (-1.0, array([-1.,  0.,  1.]))
    """
    return np.sign(x) if isinstance(x, np.ndarray) else float((x > 0) - (x < 0))


def where(condition: Any, a: Any, b: Any) -> Any:
    """`a` where `condition` holds, else `b`: np.where for arrays, a plain choice for floats.

    >>> where(True, 1.0, 2.0), where(np.array([True, False]), np.ones(2), np.zeros(2))
    (1.0, array([1., 0.]))
    """
    if isinstance(condition, np.ndarray):
        return np.where(condition, a, b)
    return a if condition else b


def clamp(x: Any, low: float, high: float) -> Any:
    """Each element of `x` moved into [low, high], keeping its kind and dtype.

    >>> clamp(5.0, 0.0, 1.0), clamp(np.array([-1.0, 0.5, 2.0]), 0.0, 1.0)
    (1.0, array([0. , 0.5, 1. ]))
    """
    return np.clip(x, low, high) if isinstance(x, np.ndarray) else min(max(x, low), high)
