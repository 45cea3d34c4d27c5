"""`gradcheck`: compare backprop's gradients with central finite differences, in float64.

    dJ/dθ_i ≈ (J(θ + ε e_i) - J(θ - ε e_i)) / 2ε

For a scalar output J is the output itself, so the numbers in a failure message are true
derivatives (backward is seeded with g = 2 and its gradients halved, exactly: so a rule that
forgets to multiply by g, right whenever g = 1, is caught on a scalar too). For an output with
several elements, J is the output weighted by a fixed random vector r (J = Σ r ⊙ f(θ)), which
checks the vector-Jacobian product that backward computes.
`gradcheck_parameters(cost, model.parameters())` checks a model's own parameters where they
live, as the lectures' gradient checking does: `cost()` computes J from them.

>>> from autograd import Tensor, gradcheck
>>> x = Tensor([[0.3, -1.2], [2.0, 0.5]], dtype="float64", requires_grad=True)
>>> gradcheck(lambda t: (t.tanh() * t).sum(axis=0), x)
True
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from .function import Function
from .graph import Leaf, Node, no_grad, walk
from .tensor import Tensor
from .pytorch_names import type_name
from .value import Value
from .warn import warn


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree (the message says where and by how much).

    >>> from autograd import Function
    >>> class WrongCube(Function):
    ...     def forward(ctx, x):
    ...         return x ** 3
    ...     def backward(ctx, g, out, x):
    ...         return (g * 2 * x,)                 # should be 3x²
    >>> gradcheck(WrongCube.apply, Value(2.0))
    Traceback (most recent call last):
    autograd.gradcheck.GradcheckError: gradcheck: input 0 (a Value): backprop gives 4.0,
    finite differences give 12.0...
    """


def _check_callable(where: str, name: str, f: Any, called: str, example: str) -> None:
    """Refuse a `f` that is not a function, where it is given: a result passed for the function
    that computes it (`gradcheck(loss, W)`) would fail inside as "'Tensor' object is not
    callable"."""
    if callable(f):
        return
    what = type(f).__name__
    if isinstance(f, Node):     # the result itself: finite differences must recompute it
        what += (", a result already computed; finite differences recompute it at moved "
                 "inputs, so pass the function that computes it")
    raise TypeError(f"{where}: {name} is the function to check, {called}; got a {what}: "
                    f"{example}")


def _float64_leaf(x: Any, name: str, where: str = "gradcheck") -> Node:
    """A checked input as a float64 leaf of its own (finite differences need float64, and
    moving a copy leaves the caller's numbers alone); a Tensor of another dtype is said."""
    if isinstance(x, Value):
        return Value(x.data)
    if isinstance(x, Tensor):
        if x.dtype != np.float64:
            warn(f"{where}: {name} is {x.dtype}; finite differences need float64, so a float64 "
                 f"copy is checked")
        return Tensor(np.array(x.data, dtype=np.float64, order="C"), requires_grad=True)
    if isinstance(x, numbers.Real):
        return Value(float(x))
    return Tensor(np.array(x, dtype=np.float64, order="C"), requires_grad=True)


_NO_FORWARD_MODE = ("glassgrad has no forward-mode AD (autograd.jvp gives Jacobian-vector "
                    "products by differentiating a vector-Jacobian product, which gradgradcheck "
                    "checks): leave it out")

#: PyTorch's other gradcheck and gradgradcheck keywords: the values that ask nothing beyond
#: what glassgrad's check does, and why any other value is refused
PYTORCH_OPTIONS: dict[str, tuple[Callable[[Any], bool], str]] = {
    # backward is run once per check, and glassgrad's ops are deterministic
    "nondet_tol": (lambda v: isinstance(v, numbers.Real) and v >= 0,
                   "it is a tolerance, a number >= 0"),
    # J = Σ r ⊙ f, checked element by element of every input: a vector-Jacobian product for
    # one random r, between PyTorch's fast mode (one number, u^T J v) and its slow mode (all J)
    "fast_mode": (lambda v: isinstance(v, bool), "it is True or False"),
    # a node that receives no gradient is skipped, so no backward gets an undefined one
    "check_undefined_grad": (lambda v: isinstance(v, bool), "it is True or False"),
    # each gradient is cast to its input's dtype (float64 here) where it is accumulated
    "check_grad_dtypes": (lambda v: isinstance(v, bool), "it is True or False"),
    "gen_non_contig_grad_outputs": (lambda v: v is False, (
        "the grad_outputs gradgradcheck draws are contiguous; to check a backward with others, "
        "pass them as grad_outputs=")),
    "check_backward_ad": (lambda v: v is True, "glassgrad's gradcheck checks backward mode, "
                                               "which is all it has: leave it out"),
    "check_rev_over_rev": (lambda v: v is True, "gradgradcheck checks backward over backward, "
                                                "which is all it does: leave it out"),
    "check_forward_ad": (lambda v: v is False, _NO_FORWARD_MODE),
    "check_batched_forward_grad": (lambda v: v is False, _NO_FORWARD_MODE),
    "check_fwd_over_rev": (lambda v: v is False, _NO_FORWARD_MODE),
    "check_batched_grad": (lambda v: v is False, (
        "autograd.vmap runs the function once per example (a loop), so its gradients are those "
        "gradcheck checks, one example at a time: leave it out")),
    "masked": (lambda v: v is None or v is False, "glassgrad has no sparse tensors: leave it "
                                                  "out"),
}


_GRADGRADCHECK_ONLY = ("gen_non_contig_grad_outputs", "check_rev_over_rev", "check_fwd_over_rev")


def check_pytorch_options(where: str, options: dict) -> None:
    """Take PyTorch's other `gradcheck` keywords (`PYTORCH_OPTIONS`) with the values glassgrad's
    check meets as it is; refuse other values, and other names, saying why.

    >>> check_pytorch_options("gradcheck", {"fast_mode": True, "nondet_tol": 0.0})
    >>> check_pytorch_options("gradcheck", {"check_forward_ad": True})
    Traceback (most recent call last):
    ValueError: gradcheck: check_forward_ad=True: glassgrad has no forward-mode AD ...
    """
    taken = [name for name in PYTORCH_OPTIONS
             if where == "gradgradcheck" or name not in _GRADGRADCHECK_ONLY]
    for name, value in options.items():
        if name not in taken:
            own = "eps, atol, rtol, seed" + (", grad_outputs" if where == "gradgradcheck" else "")
            raise TypeError(f"{where}() got an unexpected keyword argument {name!r}; it takes "
                            f"{own} and raise_exception, and PyTorch's {', '.join(taken)}")
        accepted, why = PYTORCH_OPTIONS[name]
        if not accepted(value):
            raise ValueError(f"{where}: {name}={value!r}: {why}")


def gradcheck(f: Callable, *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0, raise_exception: bool = True,
              **pytorch_options: Any) -> bool:
    """True if backprop's gradient of `f(*inputs)` matches finite differences for every input.

    Inputs that are Values or Tensors requiring grad (or plain numbers/arrays) are checked; the
    others are passed through as constants. PyTorch's form, the inputs as one tuple or list
    (`gradcheck(f, (x, y))`), is taken too: then, as in PyTorch, only its Values and Tensors
    requiring grad are checked, and its other items are passed to `f` as they are. `f` is called
    with float64 copies of the checked inputs, which are what it perturbs: `f` must compute from its
    arguments (one that reads a layer's own parameters instead is refused, as it checks nothing:
    `gradcheck_parameters` checks a model's parameters where they are). On a mismatch raises
    `GradcheckError` naming the input, the element, and both values (or returns False with
    `raise_exception=False`), with the likely cause when it is not backward's fault: a kink at that
    point (relu at 0: check elsewhere), a value outside f's domain, or a result that left the graph
    (its backprop gradient is taken as 0). A backward that forgets to multiply by `g` fails, also on
    a scalar output (a custom loss) and on a `.sum()`: backward is seeded with 2, not 1, and its
    gradients halved (exactly), so the numbers reported are still f's derivatives.
    PyTorch's other keywords are taken where this check already does what they ask
    (`nondet_tol`, `fast_mode`, `check_undefined_grad`, `check_grad_dtypes`, `check_backward_ad`
    True, `check_forward_ad` False, ...; see `PYTORCH_OPTIONS`); a value asking for a check
    glassgrad cannot make (`check_forward_ad=True`) is refused, saying why.

    >>> import numpy as np
    >>> from autograd import Tensor, gradcheck
    >>> gradcheck(lambda x: (x.tanh() * x).sum(), Tensor(np.array([0.3, -1.2]), requires_grad=True))
    True
    >>> x = Tensor([0.3, 2.0], dtype="float64", requires_grad=True)
    >>> gradcheck(lambda x, n: (x ** n).sum(), (x, 3))     # PyTorch's form: n is passed as is
    True
    """
    _check_callable("gradcheck", "f", f, "called as f(*inputs)", "gradcheck(lambda x: ..., x)")
    check_pytorch_options("gradcheck", pytorch_options)
    pytorch_form = _is_packed(inputs[0]) if len(inputs) == 1 else False
    if pytorch_form:                                # gradcheck(f, (x, y)): f(x, y)
        inputs = tuple(inputs[0])
    _check_not_packed(inputs)
    checked = [i for i, x in enumerate(inputs)
               if (x.requires_grad if isinstance(x, Node) else not pytorch_form)]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check: pass "
                         "the tensors f computes from, with requires_grad=True (to check a "
                         "model's own parameters: gradcheck_parameters(cost, model.parameters()))")
    args = list(inputs)
    for i in checked:
        args[i] = _float64_leaf(inputs[i], f"input {i}")

    try:
        out = f(*args)
    except (TypeError, IndexError, ValueError) as error:
        _explain_integer_inputs(inputs, checked, error)
        numbers_tuple = (len(inputs) == 1 and isinstance(inputs[0], (list, tuple))
                         and all(isinstance(x, numbers.Real) for x in inputs[0]))
        if not numbers_tuple or not isinstance(error, TypeError):
            raise
        raise TypeError(                    # gradcheck(f, (0.3, 0.2)) for f(x, y)
            f"gradcheck: {inputs[0]!r} was taken as one input, an array of {len(inputs[0])} "
            f"numbers, and f refused it ({error}); for separate inputs pass them one by one, "
            f"gradcheck(f, {', '.join(map(repr, inputs[0]))}), or as Values in PyTorch's "
            f"tuple, gradcheck(f, ({', '.join(f'Value({x!r})' for x in inputs[0])}))"
        ) from error
    if not isinstance(out, Node):
        hint = ""
        if isinstance(out, (np.ndarray, numbers.Number)):   # numpy code, a backward by hand
            hint = ("; f computed with numpy, which backprop cannot follow. To check a "
                    "backward written by hand for numpy code (a layer's forward and backward), "
                    "make the two an autograd.Function, forward(ctx, x) returning the array "
                    "and backward(ctx, g, out, x) your gradient, and check "
                    "gradcheck(Layer.apply, x)")
        raise TypeError(f"gradcheck: f must return a Value or Tensor, got "
                        f"{type(out).__name__}{hint}")
    if np.size(out.data) == 1:                      # a scalar: J = f, true derivatives
        weights = np.ones(np.shape(out.data))
    else:
        weights = np.random.default_rng(seed).uniform(0.5, 1.5, np.shape(out.data))
    # from g = 1, a rule that returns its local slope without multiplying by g is right; seed
    # backward with 2 and halve what arrives (exact in floating point: the numbers stay f's
    # derivatives), so that such a rule gives half the finite difference
    seed_scale = 2.0

    def objective(result: Node) -> float:                 # J = Σ r ⊙ f
        return float(np.sum(weights * np.asarray(result.data, dtype=np.float64)))

    if out.requires_grad:               # (if not, backprop's gradient is 0 for every input)
        _backward_leaving_other_leaves(out, seed_scale * weights, [args[i] for i in checked])

    unreached = 0           # inputs f's graph does not hold and f's value does not depend on
    # (one it holds is no sign of f reading other leaves, even if no gradient reached it: the
    # derivative of relu's derivative, a step, is 0 and its rule passes None)
    in_graph = {id(node) for node in walk(out)} if out.requires_grad else set()
    for i in checked:
        x = args[i]
        analytic = np.zeros(np.shape(x.data)) if x.grad is None else \
            np.array(x.grad, dtype=np.float64, order="C") / seed_scale
        numeric = np.zeros(analytic.shape)              # C-contiguous, so reshape is a view
        flat = numeric.reshape(-1)
        for k in range(flat.size):
            flat[k] = _central_difference(f, args, x, k, eps, objective)
        unreached += bool(out.requires_grad and id(x) not in in_graph and not flat.any())
        bad = ~np.isclose(analytic, numeric, atol=atol, rtol=rtol)
        if bad.any():
            flat_k = int(np.argmax(bad))
            k = np.unravel_index(flat_k, bad.shape) if bad.ndim else ()
            where = ("(a Value)" if isinstance(x, Value) else
                     f"(shape {np.shape(x.data)}), element {tuple(map(int, k))}")
            msg = (f"gradcheck: input {i} {where}: "
                   f"backprop gives {float(analytic[k])!r}, "
                   f"finite differences give {float(numeric[k])!r} "
                   f"({int(bad.sum())} of {bad.size} elements differ)")
            if weights.size > 1:            # the numbers are not f's derivatives: say so
                msg += (f"; f has {weights.size} outputs, so both are derivatives of "
                        f"J = Σ r ⊙ f with random weights r in [0.5, 1.5]")
                if numeric[k] != 0 and analytic[k] != 0:
                    msg += f" (backprop / finite differences = {analytic[k] / numeric[k]:.4g})"
            if _ignores_g(out, x, weights, analytic * seed_scale):
                msg += (f"; backward, seeded with g = {seed_scale:g} (its result halved), gave "
                        f"what it gives for g = 1: does a rule forget to multiply by g?")
                msg += _suspects(out)
            else:
                cause = _likely_cause(f, args, x, flat_k, float(analytic[k]), eps, objective,
                                      atol, rtol, out, reached=bool(np.any(analytic)))
                msg += cause or _suspects(out)
            if raise_exception:
                raise GradcheckError(msg)
            return False
    if unreached == len(checked):
        # f's graph is made of other leaves (a model's own parameters, read by a closure):
        # 0 = 0 everywhere would pass, having checked nothing
        raise ValueError("gradcheck: f's result is computed from other leaves than the checked "
                         "inputs (no gradient reached them and moving them changes nothing), so "
                         "nothing was checked: f must compute from its arguments. To check a "
                         "model's own parameters, use gradcheck_parameters(cost, "
                         "model.parameters())")
    return True


def gradcheck_parameters(cost: Callable[[], Node], parameters: Iterable[Any], eps: float = 1e-6,
                         atol: float = 1e-5, rtol: float = 1e-3,
                         raise_exception: bool = True) -> bool:
    """Gradient checking as the lectures do it: backprop's dJ/dθ_i for every number θ_i of
    `parameters` (a model's, as they are: the unrolled θ) against the central difference
    (J(θ + ε e_i) − J(θ − ε e_i)) / 2ε, where `cost()` computes the scalar cost J from them.

    `cost` takes no arguments: it is a closure over the model and the data, so it reads the
    parameters where they live, which `gradcheck` (whose f must compute from its arguments) cannot
    do. Each number is moved in place and put back exactly; the parameters' `.grad` is left as it
    was. `parameters` holds Tensors or Values, or `(name, parameter)` pairs such as
    `model.named_parameters()` or a dict of them (a mismatch then names the parameter). Tensors must
    be float64 (`model.double()`, or build it with `dtype="float64"`): a float32 cost moves by less
    than its rounding for small ε. It costs two forward passes per number (a BatchNorm in training
    mode updates its running statistics in each), so check a small network once, then train without
    it. On a mismatch raises `GradcheckError` naming the parameter, the element and both values (or
    returns False with `raise_exception=False`).

    >>> W = Tensor([[0.5, -1.0], [0.3, 0.8]], dtype="float64", requires_grad=True)
    >>> X = Tensor([[1.0, 2.0], [-0.5, 0.1], [0.2, 0.4]], dtype="float64")
    >>> gradcheck_parameters(lambda: ((X @ W).tanh() ** 2).mean(), [W], eps=1e-4)
    True
    """
    where = "gradcheck_parameters"
    _check_callable(where, "cost", cost, "called as cost() after each parameter moves",
                    "gradcheck_parameters(lambda: loss_fn(model(X), y), model.parameters())")
    named = _named_parameters(where, parameters)
    kept = [p.grad for _, p in named]
    try:
        for _, p in named:
            p.grad = 0.0 if isinstance(p, Value) else None
        out = cost()
        if not isinstance(out, Node) or np.size(out.data) != 1:
            got = (f"shape {np.shape(out.data)}" if isinstance(out, Node)
                   else type(out).__name__)
            raise TypeError(f"{where}: cost() must return a scalar Value or Tensor (the cost J), "
                            f"got {got}")
        if out.requires_grad:                       # (a (1, 1) cost is a scalar too)
            # seeded with 2, not 1, and halved (exactly), as in gradcheck: a loss Function
            # whose backward forgets its g would pass with g = 1
            out.backward(2.0 if isinstance(out, Value) else np.full(np.shape(out.data), 2.0))
        analytics = [np.zeros(np.shape(p.data)) if p.grad is None else
                     np.array(p.grad, dtype=np.float64, order="C") / 2 for _, p in named]
    finally:
        for (_, p), grad in zip(named, kept):
            p.grad = grad

    def objective(result: Node) -> float:
        return float(np.sum(result.data, dtype=np.float64))

    for (name, p), analytic in zip(named, analytics):
        numeric = np.zeros(analytic.shape)
        flat = numeric.reshape(-1)
        for k in range(flat.size):
            flat[k] = _central_difference(cost, [], p, k, eps, objective)
        bad = ~np.isclose(analytic, numeric, atol=atol, rtol=rtol)
        if bad.any():
            k = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
            element = f", element {tuple(map(int, k))}" if bad.ndim else ""
            msg = (f"{where}: parameter {name}{element}: backprop gives {float(analytic[k])!r}, "
                   f"finite differences give {float(numeric[k])!r} ({int(bad.sum())} of "
                   f"{bad.size} elements differ)")
            if not out.requires_grad:
                msg += ("; cost()'s result does not require grad: it was computed outside the "
                        "graph (from .data, numpy or math functions, or under no_grad())")
            else:
                msg += _draws_random_numbers("cost()", objective(out),
                                             objective(_evaluate(cost, [])))
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def _named_parameters(where: str, parameters: Any) -> list[tuple[str, Node]]:
    """(name, parameter) pairs from parameters or from such pairs, each checked: float64
    Tensors or Values that require grad."""
    if isinstance(parameters, Node):
        parameters = [parameters]
    named = []
    if isinstance(parameters, Mapping):          # dict(model.named_parameters())
        parameters = parameters.items()
    for i, item in enumerate(parameters):
        if isinstance(item, tuple) and not (len(item) == 2 and isinstance(item[0], str)):
            # a layer's (W, b): read as a (name, parameter) pair it would check b alone
            raise TypeError(f"{where}: item {i} is a tuple of {len(item)} (a layer's (W, b)?); "
                            f"pass the parameters one by one, [W1, b1, W2, b2], or (name, "
                            f"parameter) pairs such as model.named_parameters()")
        name, p = item if isinstance(item, tuple) else (str(i), item)
        if not isinstance(p, Node):
            raise TypeError(f"{where}: parameter {name} is a {type_name(p)}, not a Tensor or "
                            f"Value")
        if not p.requires_grad:
            raise ValueError(f"{where}: parameter {name} does not require grad, so backprop "
                             f"gives it no gradient to check")
        if isinstance(p, Tensor) and p.dtype != np.float64:
            raise TypeError(f"{where}: parameter {name} is {p.dtype}; finite differences need "
                            f"float64: call model.double() first, or build the model with "
                            f"dtype=\"float64\" (e.g. MLP(..., dtype=\"float64\"))")
        named.append((name, p))
    if not named:
        raise ValueError(f"{where}: got no parameters")
    return named


def _explain_integer_inputs(inputs: tuple, checked: list, error: Exception) -> None:
    """f failed on its arguments, one of which was given as an integer (indices, labels, an
    exponent) and, as a plain number or array, checked: f got it as a float64 Value or Tensor
    to perturb, so its own error (float indices, a Value in a Tensor op) hides the cause."""
    for i in checked:
        x = inputs[i]
        if isinstance(x, numbers.Integral) and not isinstance(x, bool):
            shown, got = f"the int {x!r}", "Value"
            instead = (f"for a setting such as an exponent, use PyTorch's tuple, gradcheck(f, "
                       f"(x, {x!r})), which passes it to f as it is")
        elif (not isinstance(x, (Node, numbers.Number)) and np.size(x) > 0
              and np.asarray(x).dtype.kind in "iub"):
            kind = "a boolean" if np.asarray(x).dtype.kind == "b" else "an integer"
            shown, got = f"{kind} array of shape {np.shape(x)}", "Tensor"
            instead = ("for indices or labels, which have no gradient, pass them as a Tensor "
                       "(Tensor(idx), not requiring grad) or use PyTorch's tuple, gradcheck(f, "
                       "(x, idx)), which passes them to f as they are")
        else:
            continue
        same = next(k for k in (TypeError, IndexError, ValueError) if isinstance(error, k))
        raise same(f"{error} (gradcheck: input {i}, {shown}, was taken as a point to check, as "
                   f"plain numbers and arrays are, so f got it as a float64 {got}; {instead})"
                   ) from error


def _is_packed(x: Any) -> bool:
    """A tuple or list holding Values or Tensors: PyTorch's form of the inputs, (x, y)."""
    return isinstance(x, (list, tuple)) and any(isinstance(item, Node) for item in x)


def _check_not_packed(inputs: tuple) -> None:
    """The inputs come as separate arguments, `gradcheck(f, x, y)`, or as PyTorch's one tuple,
    `gradcheck(f, (x, y))`; a tuple holding Values or Tensors among other arguments (or inside
    PyTorch's tuple) would otherwise be checked as one array, and f called with that array."""
    for position, x in enumerate(inputs):
        if _is_packed(x):
            raise TypeError(f"gradcheck: input {position} is a {type(x).__name__} holding "
                            f"Values or Tensors; pass the inputs as separate arguments, "
                            f"gradcheck(f, x, y), or as one tuple, gradcheck(f, (x, y)), as in "
                            f"PyTorch, not both")


def _evaluate(f: Callable, args: list) -> Node:
    """f(*args) for a finite difference, without recording its graph (it is dropped at once),
    unless f needs one: a cost that differentiates inside (a gradient penalty, `grad(d, x,
    create_graph=True)`) fails without it, so it runs again recording, as PyTorch's gradcheck
    always does (an error of f's own comes again then). Only grad()'s refusal is retried: a
    cost that calls `.backward()` inside stays an error, rather than adding into the
    parameters' `.grad` at every finite-difference point."""
    try:
        with no_grad():
            return f(*args)
    except RuntimeError as error:
        if not str(error).startswith("grad: "):
            raise
        return f(*args)


def _objective_at(f: Callable, args: list, x: Node, k: int, shift: float,
                  objective: Callable) -> float:
    """J with element k of input x moved by `shift` (and put back exactly)."""
    if isinstance(x, Value):
        old = x.data
        x.data = old + shift
        try:
            return objective(_evaluate(f, args))
        finally:
            x.data = old
    # the element by its index, not through x.data.reshape(-1): that is a copy when the
    # array is not C-contiguous (a transposed weight), and moving the copy moves nothing
    index = np.unravel_index(k, x.data.shape)
    old = x.data[index]
    x.data[index] = old + shift
    try:
        return objective(_evaluate(f, args))
    finally:
        x.data[index] = old


def _central_difference(f: Callable, args: list, x: Node, k: int, eps: float,
                        objective: Callable) -> float:
    plus = _objective_at(f, args, x, k, eps, objective)
    minus = _objective_at(f, args, x, k, -eps, objective)
    return (plus - minus) / (2 * eps)


def _backward_leaving_other_leaves(out: Node, gradient: np.ndarray, checked: list) -> None:
    """`out.backward(gradient)`, the `.grad` of every leaf but the `checked` copies put back as
    it was: a model's parameters read by f (a closure) keep theirs, as PyTorch's gradcheck
    leaves them (a training loop that zeroes after its step would add this pass to its next)."""
    mine = {id(x) for x in checked}
    others = [(node, node.grad) for node in walk(out)
              if node._fn is Leaf and id(node) not in mine]
    if not isinstance(out, Value) and out._fn is not Leaf:
        out.grad = None             # a repeat on purpose (backward warns of one by its .grad)
    try:
        out.backward(float(gradient) if isinstance(out, Value) else gradient)
    finally:                        # accumulating rebinds .grad (have + g): the old is intact
        for node, grad in others:
            node.grad = grad


def _ignores_g(out: Node, x: Node, weights: np.ndarray, seeded: np.ndarray) -> bool:
    """Whether backward gives `x` the same gradient from g = `weights` as it gave (`seeded`)
    from twice that: a rule that does not multiply by its g (only asked after a mismatch)."""
    if not out.requires_grad:
        return False
    x.grad = 0.0 if isinstance(x, Value) else None
    _backward_leaving_other_leaves(out, weights, [x])
    plain = np.zeros(np.shape(x.data)) if x.grad is None else np.asarray(x.grad, np.float64)
    return bool(np.any(seeded != 0) and np.allclose(plain, seeded, rtol=1e-12, atol=0))


def _suspects(out: Node, check: str = "gradcheck", f: str = "f") -> str:
    """The custom Functions in f's graph, named as the likely place of a wrong backward (the
    built-in ops are checked by glassgrad's own tests), to be checked alone by `check`. Named
    as the code names the class (its `name`, which graphs show, may differ), so that the call
    suggested runs."""
    names = sorted({node._fn.__name__ for node in walk(out) if isinstance(node._fn, type)
                    and issubclass(node._fn, Function)}) if out.requires_grad else []
    if not names:
        return ""
    listed = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return (f"; {f}'s graph holds the custom Function{'s' if len(names) > 1 else ''} {listed}: "
            f"check {'each' if len(names) > 1 else 'it'} alone, {check}({names[0]}.apply, x)")


def _draws_random_numbers(name: str, first: float, again: float) -> str:
    """A hint if J came out different at the same point (`first`, then `again`): the finite
    differences then measure the random draws, not the slope."""
    if not np.isfinite(first) or np.isclose(again, first, rtol=1e-9, atol=1e-12):
        return ""
    return (f"; {name} gives different numbers at the same point (J = {first:.10g}, then "
            f"{again:.10g}): it draws random numbers (dropout, a model in training mode, randn "
            f"inside {name}); check it in eval() mode, or draw them once outside {name}")


def _likely_cause(f: Callable, args: list, x: Node, k: int, analytic: float, eps: float,
                  objective: Callable, atol: float, rtol: float, out: Node,
                  reached: bool) -> str:
    """A hint for a mismatch that is not a wrong backward: f leaves the graph, is not finite
    there, or has a kink there (backprop gives the slope on one side, the central difference
    averages two different ones); or for one where no gradient reached the input at all."""
    if not out.requires_grad:
        return ("; f's result does not require grad: it was computed outside the graph "
                "(from .data, numpy or math functions, or under no_grad())")
    left_j, mid_j, right_j = (_objective_at(f, args, x, k, shift, objective)
                              for shift in (-eps, 0.0, eps))
    random = _draws_random_numbers("f", objective(out), mid_j)
    if random:
        return random
    if not np.isfinite([left_j, mid_j, right_j]).all():
        return "; f is not finite at or next to this point (outside its domain?)"
    if isinstance(out, Tensor) and out.dtype != np.float64:
        # a step of eps moves a float32 result by about its rounding, 1e-7 of it
        return (f"; f's result is {out.dtype}, though its inputs are float64 copies: it "
                f"computes in lower precision than finite differences need (a .float(), or a "
                f"float32 constant or layer inside f): compute in float64 throughout")
    left, right = (mid_j - left_j) / eps, (right_j - mid_j) / eps
    close = lambda a, b: bool(np.isclose(a, b, atol=atol, rtol=rtol))
    if not close(left, right) and (close(analytic, left) or close(analytic, right)):
        return (f"; f is not differentiable here: its slope is {left:.6g} on the left and "
                f"{right:.6g} on the right (a kink, as relu and abs have at 0, or a tie in max): "
                f"check at a point away from it")
    if not reached:
        return ("; backprop's gradient is 0 for all of this input, as if no gradient reached "
                "it: does a backward return None for it, or does f use it through .data or "
                "numpy?")
    return ""
