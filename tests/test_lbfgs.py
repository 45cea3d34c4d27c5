"""nn.optim.LBFGS: PyTorch's iterates on three problems (recorded in tests/reference/lbfgs.npz),
with and without the line search, on Tensors and Values; the closure's checks, checkpoints,
schedulers and argument errors."""

from __future__ import annotations

import copy
import os

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import load, save
from nn.optim import LBFGS
from nn.optim.lr_scheduler import StepLR

from reference import draw, recorded_case

# (id, problem, LBFGS's arguments, calls of step): each option where it changes the iterates;
# the line search matches PyTorch's bit for bit, plain L-BFGS to rounding (which its lr = 1
# steps amplify on Rosenbrock: 1e-9 after 20 iterations, so few are run there)
CASES = [
    ("logreg-defaults", "logreg", {}, 3),
    ("logreg-strong_wolfe-tolerance_grad", "logreg",
     dict(line_search_fn="strong_wolfe", tolerance_grad=1e-3), 2),
    ("mlp-history_size=2", "mlp", dict(lr=0.5, max_iter=7, history_size=2), 2),
    ("mlp-strong_wolfe", "mlp", dict(line_search_fn="strong_wolfe", history_size=3,
                                     max_iter=10), 2),
    ("rosenbrock-max_iter=5", "rosenbrock", dict(max_iter=5), 2),
    ("rosenbrock-strong_wolfe", "rosenbrock", dict(line_search_fn="strong_wolfe"), 3),
    ("rosenbrock-strong_wolfe-max_eval=6", "rosenbrock",
     dict(line_search_fn="strong_wolfe", max_iter=4, max_eval=6, tolerance_change=1e-5), 3),
]
IDS = [case[0] for case in CASES]
PARAMETERS = {"logreg": ("w", "b"), "mlp": ("W1", "b1", "W2", "b2"), "rosenbrock": ("x",)}


def draw_inputs(rng, case):
    """The data and the starting parameters of the case's problem."""
    problem = case[1]
    if problem == "logreg":                     # logistic regression, 12 points in 3-d
        X = rng.normal(size=(12, 3))
        labels = (X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=12) > 0).astype(float)
        return dict(X=X, labels=labels, w=rng.normal(size=3) * 0.1, b=np.array(0.0))
    if problem == "mlp":                        # a 2-4-1 tanh network fitting sin
        X = rng.uniform(-2, 2, size=(8, 2))
        return dict(X=X, targets=np.sin(X[:, :1] + X[:, 1:]), W1=rng.normal(size=(4, 2)),
                    b1=rng.normal(size=4), W2=rng.normal(size=(1, 4)), b2=rng.normal(size=1))
    return dict(x=np.array([-1.5, 2.0]))


def loss_of(problem, constant, inputs, params):
    """The problem's loss, written with methods torch's tensors and glassgrad's share."""
    if problem == "logreg":
        w, b = params
        z = constant(inputs["X"]) @ w + b
        return ((z.exp() + 1.0).log() - constant(inputs["labels"]) * z).mean()
    if problem == "mlp":
        W1, b1, W2, b2 = params
        hidden = (constant(inputs["X"]) @ W1.T + b1).tanh()
        return ((hidden @ W2.T + b2 - constant(inputs["targets"])) ** 2).mean()
    (x,) = params
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def run(optimizer, params, closure, steps, flat):
    """The parameters (laid end to end), the loss returned and the counters after each step."""
    results = {"params": [], "losses": [], "func_evals": [], "n_iter": []}
    for _ in range(steps):
        results["losses"].append(optimizer.step(closure).item())
        results["params"].append(np.concatenate([np.ravel(flat(p)) for p in params]))
        state = optimizer.state[params[0]]
        results["func_evals"].append(state["func_evals"])
        results["n_iter"].append(state["n_iter"])
    return {key: np.array(value) for key, value in results.items()}


def lbfgs_glassgrad(case, inputs, as_values=False):
    _, problem, options, steps = case
    if as_values:                               # one Value per number (Rosenbrock's x)
        params = [Value(float(v)) for v in inputs["x"]]
        unpacked = [params]
    else:
        params = [Tensor(np.array(inputs[name]), requires_grad=True)
                  for name in PARAMETERS[problem]]
        unpacked = params
    optimizer = LBFGS(params, **options)

    def closure():
        optimizer.zero_grad()
        loss = loss_of(problem, Tensor, inputs, unpacked)
        loss.backward()
        return loss

    return run(optimizer, params, closure, steps, lambda p: p.data)


def lbfgs_torch(torch, case, inputs):
    _, problem, options, steps = case
    params = [torch.tensor(inputs[name], dtype=torch.float64, requires_grad=True)
              for name in PARAMETERS[problem]]
    optimizer = torch.optim.LBFGS(params, **options)

    def closure():
        optimizer.zero_grad()
        loss = loss_of(problem, torch.tensor, inputs, params)
        loss.backward()
        return loss

    return run(optimizer, params, closure, steps, lambda p: p.detach().numpy())


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/lbfgs.npz: under each case's id, its inputs and PyTorch's iterates."""
    arrays = {}
    for case in CASES:
        inputs = draw_inputs(draw(), case)
        results = lbfgs_torch(torch, case, inputs)
        arrays.update({f"{case[0]}/{key}": np.asarray(value)
                       for key, value in {**inputs, **results}.items()})
    return arrays


def assert_same_run(ours, theirs):
    for key in ("func_evals", "n_iter"):        # the same number of evaluations and iterations
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
    for key in ("params", "losses"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-9, atol=1e-11, err_msg=key)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_takes_pytorchs_recorded_steps(case):
    theirs = recorded_case("lbfgs", case[0])
    inputs = draw_inputs(draw(), case)
    for name, value in inputs.items():      # the recorded data are these (np.sin, which made
        np.testing.assert_allclose(theirs[name], value, rtol=1e-15, atol=0, err_msg=name)
        inputs[name] = theirs[name]         # the MLP's targets, may differ by an ulp between
    assert_same_run(lbfgs_glassgrad(case, inputs), theirs)      # numpy builds and CPUs)


@pytest.mark.parametrize("case", [c for c in CASES if c[1] == "rosenbrock"],
                         ids=[c[0] for c in CASES if c[1] == "rosenbrock"])
def test_values_take_the_same_steps_as_a_tensor(case):
    theirs = recorded_case("lbfgs", case[0])
    ours = lbfgs_glassgrad(case, draw_inputs(draw(), case), as_values=True)
    assert_same_run(ours, theirs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_takes_pytorchs_steps_live(case):
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    inputs = draw_inputs(draw(), case)
    assert_same_run(lbfgs_glassgrad(case, inputs), lbfgs_torch(torch, case, inputs))


def test_reaches_the_minimum_of_rosenbrock_in_float32():
    x = Tensor([-1.5, 2.0], requires_grad=True)
    optimizer = LBFGS([x], line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(5):
        optimizer.step(closure)
    assert x.data.dtype == np.float32
    np.testing.assert_allclose(x.data, [1.0, 1.0], atol=1e-3)


# ----------------------------------------------------------------------------------------------
# The closure
# ----------------------------------------------------------------------------------------------

def _quadratic(**options):
    """w, an LBFGS for it and the closure of Σ cᵢ (wᵢ − 1)² with curvatures 1 and 10."""
    w = Tensor(np.array([3.0, -2.0]), requires_grad=True)
    optimizer = LBFGS([w], **options)

    def closure():
        optimizer.zero_grad()
        loss = ((w - 1.0) ** 2 * np.array([1.0, 10.0])).sum()
        loss.backward()
        return loss

    return w, optimizer, closure


def test_step_without_a_closure_says_what_to_pass():
    w, optimizer, _ = _quadratic()
    (w * w).sum().backward()
    with pytest.raises(TypeError, match=r"LBFGS.step: needs a closure, a function that clears "
                                        r"the gradients, computes the loss, calls "
                                        r"loss.backward\(\) and returns the loss .* got None"):
        optimizer.step()


@pytest.mark.parametrize("returned, error, message", [
    (lambda w: None, TypeError, r"the closure returned None; it must return the loss \(end it "
                                r"with `return loss`\)"),
    (lambda w: w * w, ValueError, r"the closure returned a Tensor of shape \(2,\); L-BFGS "
                                  r"minimizes one number"),
    (lambda w: "loss", TypeError, r"the closure must return the loss, got str"),
])
def test_a_closure_returning_no_single_number_is_named(returned, error, message):
    w, optimizer, _ = _quadratic()

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return returned(w)

    with pytest.raises(error, match=r"^LBFGS.step: " + message):
        optimizer.step(closure)


def test_step_without_a_closure_says_what_the_closure_does():
    w, optimizer, _ = _quadratic()
    with pytest.raises(TypeError, match=r"^LBFGS.step: needs a closure, a function that clears "
                                        r"the gradients, computes the loss, calls "
                                        r"loss.backward\(\) and returns the loss .*got None$"):
        optimizer.step()


def test_a_closure_that_does_not_call_backward_is_named():
    """Every gradient None would read as zeros: a minimum, and the step silently did nothing."""
    w, optimizer, _ = _quadratic()
    with pytest.raises(ValueError, match=r"no parameter has a gradient after closure\(\); the "
                                         r"closure must call loss.backward\(\)"):
        optimizer.step(lambda: (w * w).sum())


def test_a_gradient_of_another_shape_set_by_hand_is_named():
    """The lectures' cost functions return J and its gradient: set by hand, a gradient of the
    wrong length would have been laid end to end out of step with the parameters."""
    a, b = Tensor(np.zeros(3), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    optimizer = LBFGS([a, b])

    def cost():
        a.grad, b.grad = np.ones(2), np.ones(3)
        return 1.0

    with pytest.raises(ValueError, match=r"LBFGS.step: parameter 0 has shape \(3,\) and a "
                                         r"gradient of shape \(2,\)"):
        optimizer.step(cost)


def test_a_closure_may_return_a_number_and_a_one_element_tensor():
    for as_number in (True, False):
        w, optimizer, _ = _quadratic()

        def closure():
            optimizer.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss.item() if as_number else loss.reshape(1)

        optimizer.step(closure)
        np.testing.assert_allclose(w.data, [0.0, 0.0], atol=1e-12)


def test_a_frozen_parameter_stays_where_it_is():
    w, frozen = Tensor([2.0], requires_grad=True), Tensor([5.0], requires_grad=True)
    optimizer = LBFGS([w, frozen])
    frozen.requires_grad_(False)

    def closure():
        optimizer.zero_grad()
        loss = ((w - 1.0) ** 2 + (w * frozen) ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    assert frozen.data[0] == 5.0 and abs(w.data[0] - 1 / 26) < 1e-6


def test_a_state_read_before_the_first_step_does_not_break_it():
    """optimizer.state is a defaultdict, as PyTorch's: reading state[p] first (a log of the
    state) leaves an empty entry, which the first step fills in: the same iterates and counts
    as without the read."""
    runs = []
    for peek in (False, True):
        w = Tensor([2.0, -1.0], requires_grad=True)
        optimizer = LBFGS([w], lr=0.5)
        if peek:
            assert optimizer.state[w] == {}

        def closure():
            optimizer.zero_grad()
            loss = ((w - 3.0) ** 2).sum()
            loss.backward()
            return loss

        optimizer.step(closure)
        runs.append((w.data.tolist(), optimizer.state[w]["func_evals"],
                     optimizer.state[w]["n_iter"]))
    assert runs[0] == runs[1] and runs[0][1] > 1


def test_a_scheduler_sets_the_lr_the_next_step_uses():
    w = Tensor(np.array([3.0]), requires_grad=True)
    optimizer = LBFGS([w], lr=1.0, max_iter=1)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    optimizer.step(closure)                 # first iteration: t = lr · min(1, 1/|g|) = 1/6
    assert w.data[0] == pytest.approx(2.0)
    scheduler.step()
    optimizer.step(closure)                 # then t = lr = 0.5 along d = -H g = -g/2 (H = 1/2)
    assert optimizer.state[w]["t"] == 0.5


# ----------------------------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------------------------

def _mlp_problem(options):
    """The mlp case's parameters, a fresh LBFGS with `options` and its closure."""
    inputs = draw_inputs(draw(), CASES[3])
    params = [Tensor(np.array(inputs[name]), requires_grad=True) for name in PARAMETERS["mlp"]]
    optimizer = LBFGS(params, **options)

    def closure():
        optimizer.zero_grad()
        loss = loss_of("mlp", Tensor, inputs, params)
        loss.backward()
        return loss

    return params, optimizer, closure


@pytest.mark.parametrize("suffix", [".npz", ".pt"])
def test_a_checkpoint_resumes_the_history_exactly(tmp_path, suffix):
    """Two steps, a checkpoint, two more: the same numbers as two steps after loading the
    checkpoint into a new optimizer made with other settings."""
    params, optimizer, closure = _mlp_problem(CASES[3][2])
    for _ in range(2):
        optimizer.step(closure)
    path = os.path.join(tmp_path, "run" + suffix)
    save({"optimizer": optimizer, "params": [p.data for p in params]}, path)
    for _ in range(2):
        optimizer.step(closure)

    checkpoint = load(path)
    resumed_params, resumed, resumed_closure = _mlp_problem(dict(lr=0.1))
    for p, data in zip(resumed_params, checkpoint["params"]):
        p.data[...] = data
    resumed.load_state_dict(checkpoint["optimizer"])
    assert resumed.param_groups[0]["history_size"] == 3
    assert len(resumed.state[resumed_params[0]]["old_dirs"]) == 3
    for _ in range(2):
        resumed.step(resumed_closure)
    for ours, theirs in zip(resumed_params, params):
        np.testing.assert_array_equal(ours.data, theirs.data)


def test_pytorchs_state_with_its_scratch_list_resumes():
    """torch.optim.LBFGS's state holds "al", the two-loop recursion's coefficients, a list of
    history_size entries (None, or a 0-d tensor each) that every iteration overwrites. Its
    state dict was refused ("unknown state entry 'al'"), so a run trained in PyTorch could not
    resume here; "al" is now left out, and the run goes on with the same numbers."""
    params, optimizer, closure = _mlp_problem(CASES[3][2])
    for _ in range(2):
        optimizer.step(closure)
    saved = copy.deepcopy(optimizer.state_dict())
    saved["state"][0]["al"] = [np.array(0.25), np.array(-1.5), None]     # PyTorch's layout
    resumed_params, resumed, resumed_closure = _mlp_problem(CASES[3][2])
    for p, q in zip(resumed_params, params):
        p.data[...] = q.data
    resumed.load_state_dict(saved)
    assert "al" not in resumed.state[resumed_params[0]]
    for _ in range(2):
        optimizer.step(closure)
        resumed.step(resumed_closure)
    for ours, theirs in zip(resumed_params, params):
        np.testing.assert_array_equal(ours.data, theirs.data)


def test_an_unknown_state_entry_is_named_with_the_entries_lbfgs_keeps():
    """The message listed only the numbers (H_diag, func_evals, ...), not the vectors and
    lists L-BFGS keeps (d, old_dirs, ro, ...)."""
    _, optimizer, closure = _quadratic(max_iter=2)
    optimizer.step(closure)
    saved = optimizer.state_dict()
    saved["state"][0]["momentum"] = 0.5
    with pytest.raises(ValueError, match=r"unknown state entry 'momentum' .*'d', 'func_evals', "
                                         r".*'old_dirs', 'old_stps', 'prev_flat_grad'.*'ro'"):
        optimizer.load_state_dict(saved)

def test_state_dict_holds_copies_of_the_history():
    _, optimizer, closure = _quadratic(max_iter=2)
    optimizer.step(closure)
    saved = optimizer.state_dict()["state"][0]
    dirs = [y.copy() for y in saved["old_dirs"]]
    optimizer.step(closure)
    assert len(saved["old_dirs"]) == len(dirs)
    for kept, copied in zip(saved["old_dirs"], dirs):
        np.testing.assert_array_equal(kept, copied)


@pytest.mark.parametrize("mutate, message", [
    (lambda entries: entries.update(d=np.zeros(3)),
     r"state\[0\]\['d'\] has shape \(3,\) .* expected a vector of 2 numbers"),
    (lambda entries: entries.update(old_dirs=np.zeros(2)), r"'old_dirs' must be a list"),
    (lambda entries: entries["ro"].append(1.0), r"the history's lists differ in length"),
    (lambda entries: entries.update(n_iter=-1), r"\['n_iter'\] counts steps"),
])
def test_a_damaged_state_is_refused_before_anything_changes(mutate, message):
    _, optimizer, closure = _quadratic(max_iter=3)
    optimizer.step(closure)
    before = optimizer.state_dict()
    damaged = copy.deepcopy(before)
    mutate(damaged["state"][0])
    with pytest.raises(ValueError, match=r"^LBFGS.load_state_dict: .*" + message):
        optimizer.load_state_dict(damaged)
    after = optimizer.state_dict()["state"][0]
    assert after["n_iter"] == before["state"][0]["n_iter"]
    assert len(after["ro"]) == len(after["old_dirs"]) == len(before["state"][0]["ro"])


# ----------------------------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------------------------

def test_the_defaults_are_pytorchs():
    assert LBFGS([Tensor([1.0], requires_grad=True)]).defaults == dict(
        lr=1, max_iter=20, max_eval=25, tolerance_grad=1e-7, tolerance_change=1e-9,
        history_size=100, line_search_fn=None)
    assert LBFGS([Tensor([1.0], requires_grad=True)], max_iter=3).defaults["max_eval"] == 3


def _w():
    return [Tensor([1.0], requires_grad=True)]


@pytest.mark.parametrize("make, error, message", [
    (lambda: LBFGS(_w(), lr=-1), ValueError, r"LBFGS: lr must be >= 0, got -1.0"),
    (lambda: LBFGS(_w(), max_iter=0), ValueError, r"LBFGS: max_iter must be a whole number >= "
                                                  r"1, got 0"),
    (lambda: LBFGS(_w(), max_iter=2.5), ValueError, r"LBFGS: max_iter must be a whole number"),
    (lambda: LBFGS(_w(), max_eval=0), ValueError, r"LBFGS: max_eval must be a whole number"),
    (lambda: LBFGS(_w(), history_size=0), ValueError, r"LBFGS: history_size must be a whole"),
    (lambda: LBFGS(_w(), tolerance_grad=-1e-7), ValueError, r"LBFGS: tolerance_grad must be "
                                                            r">= 0"),
    (lambda: LBFGS(_w(), line_search_fn="wolfe"), ValueError,
     r"LBFGS: line_search_fn must be None or 'strong_wolfe', got 'wolfe'"),
    (lambda: LBFGS([{"params": _w()}, {"params": _w()}]), ValueError,
     r"LBFGS: takes one parameter group"),
])
def test_bad_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_second_group_added_later_is_refused():
    optimizer = LBFGS(_w())
    with pytest.raises(ValueError, match=r"LBFGS: takes one parameter group"):
        optimizer.add_param_group({"params": _w()})
