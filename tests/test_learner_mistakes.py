"""A user trial: the mistakes learners make, written as a learner writes PyTorch code
(`import autograd as torch`, `import nn`, `from nn import functional as F`, `import nn.optim as
optim`), each a small program of its own. glassgrad's standard: bad input gets a clear error,
raised where the mistake is made, naming the op, the shapes or values and what was expected;
nothing silently gives wrong numbers. So each program asserts the error's type and the key
words of its message; a mistake that is legal (PyTorch runs it too) asserts PyTorch's
behaviour, against live PyTorch where it is installed (`pt`).

Covered: gradients that accumulate without zero_grad, backward twice or on a non-scalar,
in-place edits of leaves and of tensors saved for backward, .item() on many elements, dtypes
mixed (float32/float64/ints, integer tensors that require grad, torch.Tensor([1, 2])), labels
as floats, one-hot, numbered from 1 or as a column, softmax before cross_entropy and sigmoid
before BCEWithLogits, MSE of (N, 1) against (N,), wrong in_features, channels-last and
unbatched images, a forgotten flatten or eval(), `inplace=True` as a statement (changes h),
parameters a module does not register (a plain list, a dict, a Tensor, a Parameter scaled
inline), optimizers given strings, a model or nothing to step (no gradient, a replaced layer),
no_grad misused (without parentheses, alone on a line), p.grad.zero_() in a manual update, a
target network not detached, a graph reused after optimizer.step,
datasets of mismatched lengths, NaN, exploding losses and division by zero, Values mixed with
Tensors, lists and float64 arrays given to float32 layers, model.forward against model(),
super().__init__() forgotten, and state dicts with wrong keys or shapes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd as torch
import nn
import nn.optim as optim
from autograd import Value
from nn import data
from nn import functional as F
from nn.scalar import MLP as ScalarMLP

from torch_helpers import needs_torch, torch as pt


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)


def _no_warning(f, *args):
    """f(*args) with every warning an error: what legal code must not hear."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*args)


def _linear_pair(n_in=3, n_out=2):
    """A glassgrad Linear and a PyTorch Linear with the same float64 weights."""
    ours = nn.Linear(n_in, n_out).double()
    theirs = pt.nn.Linear(n_in, n_out).double()
    with pt.no_grad():
        theirs.weight.copy_(pt.tensor(ours.weight.data))
        theirs.bias.copy_(pt.tensor(ours.bias.data))
    return ours, theirs


# ---------------------------------------------------------------------------------------------
# Gradients: accumulation, backward, in place
# ---------------------------------------------------------------------------------------------

@needs_torch
def test_forgetting_zero_grad_accumulates_as_in_pytorch():
    """Legal: without zero_grad the gradients of three backward passes add up, in a module and
    a leaf alike, to the same numbers as PyTorch's."""
    ours, theirs = _linear_pair()
    x = np.random.default_rng(1).normal(size=(4, 3))
    for _ in range(3):
        ours(torch.tensor(x)).pow(2).mean().backward()
        theirs(pt.tensor(x)).pow(2).mean().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (w * w).sum().backward()
    assert w.grad.tolist() == [6.0, 12.0]


@needs_torch
def test_backward_twice_warns_and_adds_as_pytorch_with_retain_graph():
    """PyTorch refuses a second backward() through a freed graph; glassgrad keeps graphs, so
    it runs, adds what PyTorch's adds with retain_graph=True, and warns that it does."""
    w, v = torch.tensor([1.0, 2.0], requires_grad=True), pt.tensor([1.0, 2.0], requires_grad=True)
    y, z = w.exp().sum(), v.exp().sum()
    _no_warning(y.backward)
    with pytest.warns(UserWarning, match=r"backward\(\) again from a result of sum.*added into "
                                         r"the leaves' \.grad once more.*retain_graph=True"):
        y.backward()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(w.grad, v.grad.numpy(), rtol=1e-6)
    z = v.exp().sum()
    z.backward()
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()
    y = w.exp().sum()                       # said to be meant: the next one is quiet
    y.backward(retain_graph=True)
    _no_warning(y.backward)


def test_a_notebook_cell_run_again_warns_but_a_new_loss_each_step_does_not():
    model = nn.Linear(2, 1)
    x = torch.randn(4, 2)
    for _ in range(3):                      # the loop: a new loss each time
        model.zero_grad()
        _no_warning(model(x).pow(2).mean().backward)
    loss = model(x).pow(2).mean()
    loss.backward()
    with pytest.warns(UserWarning, match="backward\\(\\) again"):
        loss.backward()                     # the cell run again


def test_backward_of_a_non_scalar_or_with_a_wrong_gradient_names_the_shapes():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\) needs a gradient of that shape"):
        (w * 2).backward()
    with pytest.raises(ValueError, match=r"shape \(2,\) needs a gradient.*got \(3,\)"):
        (w * 2).backward(torch.ones(3))


def test_backward_of_what_does_not_require_grad_says_why():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad.*no_grad"):
        (x * 2).sum().backward()
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        y = (w * w).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        (nn.Linear(2, 1)(torch.ones(3, 2)).detach() ** 2).mean().backward()


def test_no_grad_without_parentheses_is_refused():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"parentheses: `with no_grad\(\):`"):
        with torch.no_grad:
            w * 2


def test_no_grad_alone_on_a_line_is_refused():
    """`torch.no_grad()` alone switches nothing (in PyTorch too): the lines after it still
    record, so a parameter update after it is refused as an in-place edit, far from the slip."""
    w = torch.ones(2, requires_grad=True)

    def update():
        torch.no_grad()
        w.mul_(0.5)

    def evaluate():
        torch.inference_mode()
        return w * 2

    with pytest.raises(RuntimeError, match=r"no_grad\(\) alone on a line switches nothing.*"
                                           r"Write `with no_grad\(\):`"):
        update()
    with pytest.raises(RuntimeError, match=r"inference_mode\(\) alone on a line"):
        evaluate()
    switch = torch.no_grad()                # kept for later: fine
    with switch:
        assert not (w * 2).requires_grad


def test_pytorchs_grad_zero_in_a_manual_update_gets_a_note():
    """`p.grad.zero_()`: .grad is a numpy array here; inside `with no_grad():` numpy's
    AttributeError gets a note saying what to write."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with pytest.raises(AttributeError, match="zero_") as caught:
        with torch.no_grad():
            w -= 0.1 * torch.tensor(w.grad)
            w.grad.zero_()
    assert "p.grad = None" in " ".join(getattr(caught.value, "__notes__", []))


def test_pytorchs_grad_data_zero_in_a_manual_update_gets_a_note_too():
    """Older code's `p.grad.data.zero_()` (fast.ai's hand-written optimizers): .data of the
    numpy array is a memoryview, whose AttributeError said nothing of glassgrad; leaving
    `no_grad()` it gets the note p.grad.zero_() gets, saying that p.grad.data is p.grad."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with pytest.raises(AttributeError, match="'memoryview' object has no attribute 'zero_'") \
            as caught:
        with torch.no_grad():
            w.grad.data.zero_()
    (note,) = caught.value.__notes__
    assert note.startswith("glassgrad: a memoryview, numpy's .data of an array, has no zero_; ")
    assert "so p.grad.data is p.grad: for a gradient, p.grad = None" in note


def test_no_grad_as_a_decorator_and_backward_inside_it_work_as_in_pytorch():
    """Legal: @no_grad (with or without the call) records nothing; backward() of a graph
    recorded outside runs under no_grad too."""
    w = torch.ones(2, requires_grad=True)

    @torch.no_grad
    def f(w):
        return w * 2

    @torch.no_grad()
    def g(w):
        return w * 2

    assert not f(w).requires_grad and not g(w).requires_grad
    y = (w * w).sum()
    with torch.no_grad():
        y.backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_in_place_edits_of_a_leaf_that_requires_grad_are_refused_outside_no_grad():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\+= on a tensor that requires grad.*no_grad"):
        w += 1
    with pytest.raises(RuntimeError, match=r"t\[\.\.\.\] = \.\.\. on a tensor that requires grad"):
        w[0] = 5.0
    (w * w).sum().backward()
    with pytest.raises(RuntimeError, match=r"-= on a tensor.*update parameters under"):
        w -= 0.1 * w.grad
    with torch.no_grad():                   # the way: as an optimizer's step
        w -= 0.1 * torch.tensor(w.grad)
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.data, [0.8, 1.6], rtol=1e-6)


def test_editing_a_tensor_saved_for_backward():
    """PyTorch refuses backward() through exp once exp's saved output is changed in place;
    glassgrad records the write (y becomes 2 · exp(h), the old numbers kept for exp's rule), so
    the gradient is the right one. An op that used y before the write is refused by both,
    naming it: its numbers are gone."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (w * 1.0).exp()
    y.mul_(2)
    y.sum().backward()
    np.testing.assert_allclose(w.grad, 2 * np.exp([1.0, 2.0]), rtol=1e-6)
    w.grad = None
    y = (w * 1.0).exp()
    z = y * 3
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 0 .*written in place"):
        z.sum().backward()
    h = w * 1.0
    y = (h ** 2).sum()
    h[0] = 100.0                            # recorded: y's pow used the old numbers
    with pytest.raises(RuntimeError, match=r"backward of pow: its input 0.*written by "
                                           r"t\[index\] = value"):
        y.backward()


def test_item_of_many_numbers_and_indexing_a_loss_say_what_to_do():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"item: needs a one-element tensor, got shape \(2,\)"):
        x.item()
    with pytest.raises(TypeError, match=r"float\(\): needs a one-element tensor"):
        float(x)
    assert torch.tensor([[3.0]]).item() == 3.0          # one element of any shape: as PyTorch
    loss = (x * 2).sum()
    with pytest.raises(IndexError, match=r"0-d tensor holds one number, t\.item\(\).*"
                                         r"loss\.item\(\), not loss\[0\]"):
        loss[0]


@needs_torch
def test_mixed_dtypes_promote_as_pytorch_does():
    """Legal: float32 with float64 gives float64, float32 with int64 float32, int / int a
    float; float32 @ float64 (PyTorch refuses it) gives float64 with the exact numbers."""
    f32, f64, i64 = torch.ones(3), torch.ones(3, dtype=torch.float64), torch.tensor([1, 2, 3])
    p32, p64, pi64 = pt.ones(3), pt.ones(3, dtype=pt.float64), pt.tensor([1, 2, 3])
    assert (f32 + f64).dtype == np.float64 and (p32 + p64).dtype == pt.float64
    assert (f32 * i64).dtype == np.float32 and (p32 * pi64).dtype == pt.float32
    assert (i64 / 2).tolist() == (pi64 / 2).tolist() == [0.5, 1.0, 1.5]
    assert (i64 // 2).tolist() == (pi64 // 2).tolist()
    a = np.random.default_rng(2).normal(size=(2, 3))
    b = np.random.default_rng(3).normal(size=(3, 2))
    out = torch.tensor(a, dtype=torch.float32) @ torch.tensor(b)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, a.astype(np.float32).astype(np.float64) @ b, rtol=1e-12)
    with pytest.raises(RuntimeError, match="same dtype"):
        pt.tensor(a, dtype=pt.float32) @ pt.tensor(b)


def test_integer_tensors_cannot_require_grad_wherever_it_is_asked():
    with pytest.raises(TypeError, match="tensor: only floating-point tensors can require grad"):
        torch.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(TypeError, match="arange: only floating-point"):
        torch.arange(5, requires_grad=True)
    a = torch.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="requires_grad: only floating-point"):
        a.requires_grad_()
    with pytest.raises(TypeError, match="requires_grad: only floating-point"):
        a.requires_grad = True


def test_torch_tensor_of_python_ints_is_int64_and_the_error_says_so():
    """PyTorch's torch.Tensor([1, 2]) is float32; here Tensor([1, 2]) is int64 (numpy's and
    torch.tensor's reading): making it require grad names the fix."""
    w = torch.Tensor([1, 2])
    assert w.dtype == np.int64
    with pytest.raises(TypeError, match=r"t = t\.float\(\).*torch\.Tensor\(\[1, 2\]\) would "
                                        r"be float32"):
        w.requires_grad_()
    with pytest.raises(TypeError, match=r"Tensor\(3, 4\).* autograd\.empty\(3, 4\)"):
        torch.Tensor(3, 4)


def test_requires_grad_of_a_computed_result_cannot_be_switched_off():
    h = torch.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"only leaves can change it; use \.detach\(\)"):
        h.requires_grad = False


def test_a_weight_made_as_a_computed_result_cannot_be_trained_by_hand():
    """randn(..., requires_grad=True) / sqrt(n) is div's result, not a leaf: PyTorch's manual
    step then fails on its None .grad; glassgrad's says why."""
    W = torch.randn(4, 2, requires_grad=True) / math.sqrt(4)
    (torch.randn(8, 4) @ W).pow(2).mean().backward()
    with pytest.raises(RuntimeError, match=r"result of div, not a leaf.*\(autograd\.randn\(4, "
                                           r"2\) / n\)\.requires_grad_\(\)"):
        with torch.no_grad():
            W -= 0.1 * torch.tensor(W.grad)


def test_a_list_of_tensors_in_a_graph_given_to_tensor_points_to_stack():
    a = torch.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"autograd\.stack\(tensors\)"):
        torch.tensor([a, a * 2])
    assert torch.stack([a, a * 2]).requires_grad


@needs_torch
def test_a_graph_reused_after_optimizer_step_is_refused():
    """PyTorch refuses backward() through a graph whose saved weight an optimizer step has
    changed; glassgrad refuses any graph whose inputs changed since (also where PyTorch's rule
    would not read the weight), naming the op and the input."""
    lin = nn.Linear(2, 1)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    x = torch.ones(4, 2, requires_grad=True)
    loss = lin(x).pow(2).mean()
    loss.backward()
    opt.step()
    with pytest.raises(RuntimeError, match=r"backward of linear: its input 1 \(shape \(1, 2\)\) "
                                           r"was changed in place.*an optimizer step"):
        loss.backward()
    plin = pt.nn.Linear(2, 1)
    popt = pt.optim.SGD(plin.parameters(), lr=0.1)
    ploss = plin(pt.ones(4, 2, requires_grad=True)).pow(2).mean()
    ploss.backward(retain_graph=True)
    popt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ploss.backward()


def test_a_value_mixed_with_a_tensor_is_refused_both_ways():
    for f in (lambda: Value(2.0) * torch.ones(3), lambda: torch.ones(3) * Value(2.0)):
        with pytest.raises(TypeError, match="cannot combine a Tensor with a Value"):
            f()


# ---------------------------------------------------------------------------------------------
# Values: micrograd's loop
# ---------------------------------------------------------------------------------------------

def test_value_gradients_accumulate_and_a_parameter_is_updated_through_data():
    w = Value(1.0)
    for _ in range(2):
        (w * w).backward()
    assert w.grad == 4.0                    # zero_grad forgotten: added, as in micrograd
    w.data -= 0.1 * w.grad                  # micrograd's update
    assert w.data == pytest.approx(0.6)
    with pytest.raises(RuntimeError, match=r"update its number, p\.data -= \.\.\."):
        w -= 0.1 * w.grad


def test_values_are_not_numbers_for_comparisons_or_float():
    v = Value(2.0)
    with pytest.raises(TypeError, match=r"compare its number: value\.data > 0"):
        v > 0
    with pytest.raises(TypeError, match=r"max\(values, key=lambda v: v\.data\)"):
        max(Value(1.0), Value(2.0))
    with pytest.raises(TypeError, match=r"v\.data \(v\.item\(\)\) for the number"):
        float(v * 2)


@pytest.mark.parametrize("data, words", [
    ([1.0, 2.0], r"one Value per number, \[Value\(x\) for x in xs\]"),
    ("1.5", r"Value\(float\('1\.5'\)\)"),
    (None, "never given a number"),
    (np.array([1.0]), r"Value\(array\.item\(\)\)"),
])
def test_a_value_of_what_is_not_one_number_says_what_to_write(data, words):
    with pytest.raises(TypeError, match=words):
        Value(data)


def test_value_domain_errors_name_the_op():
    with pytest.raises(ValueError, match="log: needs a positive input, got -1.0"):
        Value(-1.0).log()
    with pytest.raises(ZeroDivisionError, match="divides by zero"):
        Value(1.0) / Value(0.0)
    with pytest.raises(OverflowError, match=r"exp:.*z\.sigmoid\(\)"):
        Value(1000.0).exp()


def test_a_scalar_mlp_given_the_wrong_number_of_inputs():
    m = ScalarMLP(3, [4, 1])
    with pytest.raises(ValueError, match="MLP: expected 3 inputs, got 2"):
        m([1.0, 2.0])


# ---------------------------------------------------------------------------------------------
# Losses and their targets
# ---------------------------------------------------------------------------------------------

LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-1.0, 3.0, 0.0], [1.0, 1.0, -2.0]])
LABELS = np.array([0, 1, 2, 1])


@pytest.mark.parametrize("target, error, words", [
    (LABELS.astype(np.float32), TypeError, "class labels must be integers, got dtype float32"),
    (np.array([0.5, 1.2, 3.0, 0.1]), TypeError, "a regression target"),
    (LABELS + 1, ValueError, r"labels numbered from 1\? pass y - 1"),
    (LABELS[:, None], ValueError, r"labels as a column: use labels\.reshape\(-1\)"),
    (LABELS[:3], ValueError, "3 labels for 4 rows of scores"),
])
def test_cross_entropy_targets_that_are_not_class_indices(target, error, words):
    with pytest.raises(error, match=words):
        F.cross_entropy(torch.tensor(LOGITS), torch.tensor(target))


def test_cross_entropy_arguments_swapped_or_one_output_column():
    with pytest.raises(ValueError, match="are the arguments swapped"):
        F.cross_entropy(torch.tensor(LABELS), torch.tensor(LOGITS))
    with pytest.raises(ValueError, match="for two classes use binary_cross_entropy_with_logits"):
        F.cross_entropy(torch.randn(4, 1), torch.tensor([0, 1, 1, 0]))


@needs_torch
def test_one_hot_targets_are_probabilities_as_in_pytorch():
    """Legal: float one-hot rows are class probabilities, the same loss as the labels (PyTorch
    too); int64 one-hot (what F.one_hot gives, which PyTorch refuses) is read as the same."""
    onehot = np.eye(3)[LABELS]
    ours = F.cross_entropy(torch.tensor(LOGITS), torch.tensor(onehot)).item()
    theirs = pt.nn.functional.cross_entropy(pt.tensor(LOGITS), pt.tensor(onehot)).item()
    by_label = F.cross_entropy(torch.tensor(LOGITS), torch.tensor(LABELS)).item()
    assert ours == pytest.approx(theirs, rel=1e-12) and ours == pytest.approx(by_label, rel=1e-12)
    ints = F.one_hot(torch.tensor(LABELS), 3)
    assert F.cross_entropy(torch.tensor(LOGITS), ints).item() == pytest.approx(by_label)


@needs_torch
def test_softmax_before_cross_entropy_warns_and_computes_what_pytorch_computes():
    """PyTorch trains silently on the wrong loss; glassgrad computes the same number and warns
    where the model's final softmax feeds the loss."""
    ours, theirs = _linear_pair(2, 3)
    x = np.random.default_rng(4).normal(size=(4, 2))
    with pytest.warns(UserWarning, match="its input comes from softmax.*remove the final "
                                         "softmax"):
        loss = F.cross_entropy(F.softmax(ours(torch.tensor(x)), dim=1), torch.tensor(LABELS))
    expected = pt.nn.functional.cross_entropy(
        pt.softmax(theirs(pt.tensor(x)), dim=1), pt.tensor(LABELS))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    model = nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1))
    with pytest.warns(UserWarning, match="cross_entropy: its input comes from softmax"):
        nn.CrossEntropyLoss()(model(torch.tensor(x)), torch.tensor(LABELS))


def test_sigmoid_before_bce_with_logits_warns():
    model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    y = torch.tensor([[0.0], [1.0]])
    with pytest.warns(UserWarning, match="binary_cross_entropy_with_logits: its input comes from "
                                         "sigmoid"):
        nn.BCEWithLogitsLoss()(model(torch.randn(2, 2)), y)


@needs_torch
def test_log_softmax_before_cross_entropy_is_harmless_as_in_pytorch():
    """Legal: log_softmax of log-probabilities changes nothing, so the loss is the logits'."""
    z = torch.tensor(LOGITS)
    twice = F.cross_entropy(F.log_softmax(z, dim=1), torch.tensor(LABELS)).item()
    assert twice == pytest.approx(F.cross_entropy(z, torch.tensor(LABELS)).item(), rel=1e-12)
    expected = pt.nn.functional.cross_entropy(pt.log_softmax(pt.tensor(LOGITS), 1),
                                              pt.tensor(LABELS)).item()
    assert twice == pytest.approx(expected, rel=1e-12)


def test_nll_loss_of_logits_or_probabilities_is_refused():
    """PyTorch's nll_loss takes any numbers and gives a wrong (even negative) loss."""
    with pytest.raises(ValueError, match=r"log-probabilities \(<= 0\).* logits\?"):
        F.nll_loss(torch.tensor(LOGITS), torch.tensor(LABELS))
    probs = F.softmax(torch.tensor(LOGITS), dim=1)
    with pytest.raises(ValueError, match=r"probabilities \(softmax's output\?\)"):
        F.nll_loss(probs, torch.tensor(LABELS))


def test_binary_losses_refuse_logits_and_plus_minus_one_labels_and_swapped_arguments():
    with pytest.raises(ValueError, match="for logits use binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(torch.tensor([[-2.0], [3.0]]), torch.tensor([[0.0], [1.0]]))
    with pytest.raises(ValueError, match=r"for ±1 labels use \(y \+ 1\) / 2"):
        F.binary_cross_entropy_with_logits(torch.randn(4), torch.tensor([1.0, -1.0, -1.0, 1.0]))
    p = torch.sigmoid(nn.Linear(2, 1)(torch.randn(4, 2))).squeeze(1)
    with pytest.raises(ValueError, match="are the arguments swapped"):
        F.binary_cross_entropy(torch.tensor([0.0, 1.0, 1.0, 0.0]), p)


@needs_torch
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_a_column_against_a_vector_is_an_error_where_pytorch_broadcasts(name):
    """(N, 1) predictions against (N,) targets broadcast to (N, N) in PyTorch, which warns and
    returns a wrong loss; glassgrad refuses it with the reshape to write."""
    with pytest.raises(ValueError, match=rf"{name}: prediction has shape \(4, 1\) but target has "
                                         r"shape \(4,\).*pred\.reshape\(-1\)"):
        getattr(F, name)(torch.randn(4, 1), torch.randn(4))
    with pytest.warns(UserWarning, match="different to the input size"):
        getattr(pt.nn.functional, name)(pt.randn(4, 1), pt.randn(4))


def test_squeezing_a_batch_of_one_away_is_caught_by_the_loss():
    pred = torch.randn(1, 1, requires_grad=True)
    with pytest.raises(ValueError, match=r"prediction has shape \(\) but target has shape \(1,\)"):
        F.mse_loss(pred.squeeze(), torch.tensor([0.5]))
    with pytest.raises(ValueError, match=r"input has shape \(4, 1\) but target has shape \(4,\)"):
        nn.BCEWithLogitsLoss()(torch.randn(4, 1), torch.tensor([0.0, 1.0, 1.0, 0.0]))


def test_a_loss_module_called_before_it_is_made():
    criterion = nn.CrossEntropyLoss
    with pytest.raises(TypeError, match=r"a loss module is made first.*criterion = "
                                        r"CrossEntropyLoss\(\)"):
        criterion(torch.tensor(LOGITS), torch.tensor(LABELS))


@needs_torch
def test_float32_predictions_with_float64_targets_as_in_pytorch():
    """Legal: the loss is float64, the parameter's gradient stays float32 (PyTorch's too)."""
    pred = torch.randn(4, requires_grad=True)
    loss = F.mse_loss(pred, torch.tensor(np.arange(4.0)))
    loss.backward()
    p = pt.randn(4, requires_grad=True)
    tl = pt.nn.functional.mse_loss(p, pt.tensor(np.arange(4.0)))
    tl.backward()
    assert (loss.dtype, pred.grad.dtype) == (np.float64, np.float32)
    assert (tl.dtype, p.grad.dtype) == (pt.float64, pt.float32)


# ---------------------------------------------------------------------------------------------
# Layers and shapes
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, x, words", [
    (lambda: nn.Linear(10, 5), (4, 12), r"input of shape \(4, 12\) does not fit a weight of "
                                        r"shape \(5, 10\).*the last input dim must be 10"),
    (lambda: nn.Linear(784, 10), (4, 1, 28, 28), r"1 × 28 × 28 = 784 numbers per sample: "
                                                 r"flatten them first.*nn\.Flatten\(\)"),
    (lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Linear(4 * 26 * 26, 10)),
     (2, 1, 28, 28), r"4 × 26 × 26 = 2704 numbers per sample"),
    (lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 28 * 28, 10)),
     (2, 1, 28, 28), r"input of shape \(2, 2704\).*must be 3136"),
    (lambda: nn.Conv2d(3, 8, 3), (2, 32, 32, 3), r"channels-last images \(N, H, W, C\): make "
                                                 r"them \(N, C, H, W\)"),
    (lambda: nn.Conv2d(3, 8, 3), (3, 32, 32), r"add a batch dimension: x\.reshape\(1, 3, 32, 32"),
    (lambda: nn.BatchNorm2d(4), (8, 4), r"take BatchNorm1d\(4\)"),
    (lambda: nn.BatchNorm1d(4), (8, 5), r"4 channels on axis 1, got shape \(8, 5\)"),
])
def test_inputs_of_the_wrong_shape_are_refused_by_the_layer(layer, x, words):
    with pytest.raises(ValueError, match=words):
        layer()(torch.randn(*x))


def test_samples_as_columns_and_the_whole_batch_flattened():
    x = torch.randn(4, 1, 28, 28)
    lin = nn.Linear(784, 10)
    with pytest.raises(ValueError, match=r"the samples as columns\? x\.T has one row per sample"):
        lin(x.view(784, -1))
    with pytest.raises(ValueError, match=r"input of shape \(3136,\)"):
        lin(x.view(-1))
    assert lin(x.view(x.size(0), -1)).shape == (4, 10)


def test_batchnorm_in_training_mode_with_one_sample_says_to_call_eval():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    with pytest.raises(ValueError, match=r"more than one value per channel.*drop_last.*eval\(\)"):
        model(torch.randn(1, 3))
    assert model.eval()(torch.randn(1, 3)).shape == (1, 1)


def test_eval_forgotten_keeps_dropout_and_batch_statistics_as_in_pytorch():
    """Legal, and what PyTorch does: in training mode dropout draws a new mask each call and
    batch norm uses the batch's statistics; eval() makes both deterministic."""
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 1))
    x = torch.randn(16, 3)
    assert not np.allclose(model(x).data, model(x).data)
    model.eval()
    np.testing.assert_array_equal(model(x).data, model(x).data)
    with pytest.raises(ValueError, match=r"the mode must be True or False, got 'eval'"):
        model.train("eval")


def test_embedding_indices_must_be_integers_in_range():
    e = nn.Embedding(10, 3)
    with pytest.raises(TypeError, match="indices must be integers, got floats"):
        e(torch.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match=r"index 10 is out of range.*num_embeddings >= 11"):
        e(torch.tensor([1, 10]))


@pytest.mark.parametrize("part, words", [
    (nn.ReLU, r"got the class ReLU; pass an instance: ReLU\(\)"),
    (F.relu, r"got the function relu.*nn\.ReLU\(\)"),
    ([nn.Linear(3, 1)], r"Sequential\(\*layers\)"),
])
def test_sequential_of_what_is_not_a_layer_instance(part, words):
    with pytest.raises(TypeError, match=words):
        nn.Sequential(nn.Linear(2, 3), part)


@needs_torch
def test_inplace_true_as_a_statement_changes_h_as_in_pytorch():
    """`F.relu(h, inplace=True)` or `self.act(h)` alone on a line: PyTorch's changes h, and so
    does glassgrad's (the learner's line gives PyTorch's numbers and gradients); `model(x)`
    alone on a line for forward hooks still runs."""
    def functional(lib, lin, x):
        h = lin(x)
        lib.functional.relu(h, inplace=True)
        return h

    def net(lib, lin, x):
        act = lib.ReLU(inplace=True)
        h = lin(x)
        act(h)                  # the module alone on a line: h changed in place too
        return h * 2

    for forward in (functional, net):
        ours, theirs = _linear_pair(3, 2)
        x = np.random.default_rng(3).normal(size=(5, 3))
        h, p = forward(nn, ours, torch.tensor(x)), forward(pt.nn, theirs, pt.tensor(x))
        assert (h.data >= 0).all() and (h.data == 0).any()
        np.testing.assert_allclose(h.data, p.detach().numpy(), rtol=1e-12)
        h.sum().backward()
        p.sum().backward()
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-12)
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(inplace=True), nn.Dropout(0.1, inplace=True))
    seen = []
    model[1].register_forward_hook(lambda module, args, out: seen.append(out))
    x = torch.randn(3, 2)
    model(x)                                # alone on a line: the hook collects the output
    assert len(seen) == 1 and _no_warning(model, x).shape == (3, 2)


@needs_torch
def test_pytorch_in_place_activation_spellings():
    """F.relu_(h) and h.relu_() change h as PyTorch's do (h becomes relu(h), the gradient
    goes through relu); so do F.elu_ & co.; F.silu_, which PyTorch lacks too, says what to
    write."""
    ours, theirs = _linear_pair(3, 2)
    x = np.random.default_rng(8).normal(size=(4, 3))
    h, p = ours(torch.tensor(x)), theirs(pt.tensor(x))
    assert F.relu_(h) is h
    pt.nn.functional.relu_(p)
    h.sum().backward()
    p.sum().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    for ours_, theirs_, args in ((F.elu_, pt.nn.functional.elu_, (0.5,)),
                                 (F.leaky_relu_, pt.nn.functional.leaky_relu_, (0.2,)),
                                 (F.hardtanh_, pt.nn.functional.hardtanh_, (-0.5, 0.5)),
                                 (F.threshold_, pt.nn.functional.threshold_, (0.1, 3.0)),
                                 (F.celu_, pt.nn.functional.celu_, (2.0,)),
                                 (F.selu_, pt.nn.functional.selu_, ())):
        ours.zero_grad()
        theirs.zero_grad()
        h, p = ours(torch.tensor(x)), theirs(pt.tensor(x))
        assert ours_(h, *args) is h and theirs_(p, *args) is p
        np.testing.assert_allclose(h.data, p.detach().numpy(), rtol=1e-12)
        (h * h).sum().backward()
        (p * p).sum().backward()
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    with pytest.raises(AttributeError, match=r"no attribute 'silu_' \(nor has PyTorch's\): "
                                             r"write x = F\.silu\(x\) .* F\.silu\(x, "
                                             r"inplace=True\)"):
        F.silu_(torch.randn(3))
    with pytest.raises(TypeError, match=r"relu\(inplace=True\) changes a Tensor in place, got "
                                        r"list"):
        F.relu_([1.0, -1.0])


# ---------------------------------------------------------------------------------------------
# Modules: what gets registered
# ---------------------------------------------------------------------------------------------

class _ListNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(2, 3), nn.Linear(3, 1)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


@needs_torch
def test_a_plain_list_of_layers_is_registered_where_pytorch_loses_it():
    """PyTorch registers no layer of a plain list (its optimizer then gets an empty list);
    glassgrad registers them (documented), so they train and save."""
    net = _ListNet()
    assert [n for n, _ in net.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    before = net.layers[0].weight.detach().clone()
    opt = optim.SGD(net.parameters(), lr=0.1)
    net(torch.randn(4, 2)).pow(2).mean().backward()
    opt.step()
    assert not np.allclose(before.data, net.layers[0].weight.data)

    class TorchListNet(pt.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [pt.nn.Linear(2, 3)]

    with pytest.raises(ValueError, match="empty parameter list"):
        pt.optim.SGD(TorchListNet().parameters(), lr=0.1)


def test_a_dict_of_layers_or_a_tensor_that_requires_grad_is_refused_on_assignment():
    class DictNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = {"a": nn.Linear(2, 3)}

    class TensorNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.randn(2, 1, requires_grad=True)

    with pytest.raises(TypeError, match=r"DictNet\.layers: a plain dict.*nn\.ModuleDict"):
        DictNet()
    with pytest.raises(TypeError, match=r"TensorNet\.w: a Tensor that requires grad is not a "
                                        r"parameter.*nn\.Parameter\(values\)"):
        TensorNet()


@pytest.mark.parametrize("make, op, what", [
    (lambda: nn.Parameter(torch.randn(3, 3)) * 0.01, "mul", "Parameter"),
    (lambda: torch.randn(3, 3, requires_grad=True) / 3, "div", "leaf Tensor that requires grad"),
    (lambda: nn.Parameter(torch.randn(3)).double(), "astype", "Parameter"),
    (lambda: (nn.Parameter(torch.randn(3)) * 2 + 1).exp(), "exp", "Parameter"),
    (lambda: torch.cat([nn.Parameter(torch.randn(3)), torch.zeros(2)]), "concatenate",
     "Parameter"),
])
def test_a_parameter_made_inline_inside_a_computation_is_refused(make, op, what):
    """`self.w = nn.Parameter(torch.randn(3, 3)) * 0.01`: w is a computed tensor, so neither it
    nor the Parameter it came from is registered (PyTorch silently trains without them)."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = make()

    with pytest.raises(TypeError, match=rf"Net\.w: this Tensor is the result of {op} on a new "
                                        rf"{what}.*nothing else holds.*Compute the numbers "
                                        r"first and wrap the result"):
        Net()


def test_tensors_computed_from_held_parameters_may_be_kept_on_a_module():
    """Legal: a result kept on the module (an activation for a plot), computed from
    parameters something holds, is a plain attribute, as in PyTorch."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.p = nn.Parameter(torch.randn(2))
            self.twice = self.p * 2

        def forward(self, x):
            self.last = self.fc(x)
            return self.last

    net = _no_warning(Net)
    net(torch.randn(3, 2))
    assert sorted(n for n, _ in net.named_parameters()) == ["fc.bias", "fc.weight", "p"]
    assert net.last.op == "linear" and "last" not in net.state_dict()


def test_super_init_forgotten_still_registers_as_glassgrad_documents():
    """PyTorch raises 'cannot assign module before Module.__init__() call'; a glassgrad module
    needs no __init__ of its base, so this model works."""
    class Net(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 1)

        def forward(self, x):
            return self.fc(x)

    net = Net()
    assert len(list(net.parameters())) == 2 and net(torch.randn(3, 2)).shape == (3, 1)


def test_forward_misspelt_is_named():
    class Net(nn.Module):
        def foward(self, x):
            return x

    with pytest.raises(NotImplementedError, match="it has 'foward': a misspelling"):
        Net()(torch.randn(2))


def test_model_forward_gives_the_same_numbers_but_skips_hooks_as_in_pytorch():
    model = nn.Linear(2, 1)
    calls = []
    model.register_forward_hook(lambda m, i, o: calls.append(1))
    x = torch.randn(3, 2)
    np.testing.assert_array_equal(model.forward(x).data, model(x).data)
    assert calls == [1]


def test_a_layer_made_inside_forward_registers_nothing_as_in_pytorch():
    class Net(nn.Module):
        def forward(self, x):
            return nn.Linear(2, 1)(x)

    net = Net()
    assert net(torch.randn(3, 2)).shape == (3, 1) and len(list(net.parameters())) == 0
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD(net.parameters(), lr=0.1)


# ---------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, error, words", [
    (lambda p: optim.SGD(p, lr="0.01"), TypeError, "SGD: lr must be a real number, got '0.01'"),
    (lambda p: optim.Adam(p, lr="1e-3"), TypeError, "Adam: lr must be a real number"),
    (lambda p: optim.SGD(p, lr=-0.1), ValueError, "lr must be >= 0, got -0.1"),
    (lambda p: optim.SGD(p, lr=0.1, momentum="0.9"), TypeError, "momentum must be a real"),
    (lambda p: optim.Adam(p, lr=0.1, betas=0.9), ValueError, "betas must be a pair"),
    (lambda p: optim.Adam(p, weight_decay="1e-4"), TypeError, "weight_decay must be a real"),
    (lambda p: optim.SGD(p, lr=torch.tensor(0.1)), TypeError, r"lr\.item\(\)"),
])
def test_hyperparameters_of_the_wrong_kind_are_refused_when_given(make, error, words):
    with pytest.raises(error, match=words):
        make(nn.Linear(2, 1).parameters())


def test_an_lr_set_by_hand_to_a_string_is_refused_at_the_step():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    opt.param_groups[0]["lr"] = "0.01"
    model(torch.ones(1, 2)).sum().backward()
    with pytest.raises(TypeError, match=r"step: param_groups\[0\]: SGD: lr must be a real"):
        opt.step()


@pytest.mark.parametrize("params, error, words", [
    (lambda m: m, TypeError, r"got Linear \(a model: pass its parameters, model\.parameters\(\)"),
    (lambda m: m.parameters, TypeError, r"the method itself: call it, model\.parameters\(\)"),
    (lambda m: [m.parameters()], TypeError, "parameter 0 is a Parameters"),
    (lambda m: [], ValueError, "empty parameter list"),
    (lambda m: [{"params": m.parameters()}, {"params": [m.weight]}], ValueError, "appears twice"),
])
def test_what_is_not_a_list_of_parameters(params, error, words):
    with pytest.raises(error, match=words):
        optim.SGD(params(nn.Linear(2, 1)), lr=0.1)


def _step_changes(train):
    """Runs `train(model, optimizer)` once; returns whether model.weight changed."""
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.detach().clone()
    train(model, opt)
    return not np.allclose(before.data, model.weight.data)


def _zero_grad_between(model, opt):
    loss = model(torch.ones(3, 2)).sum()
    loss.backward()
    opt.zero_grad()
    opt.step()


def _backward_without_parentheses(model, opt):
    loss = model(torch.ones(3, 2)).sum()
    opt.zero_grad()
    loss.backward                           # noqa: B018 (the mistake)
    opt.step()


def _step_before_backward(model, opt):
    opt.zero_grad()
    opt.step()
    model(torch.ones(3, 2)).sum().backward()


def _loss_of_another_model(model, opt):
    other = nn.Linear(2, 1)
    opt.zero_grad()
    other(torch.ones(3, 2)).sum().backward()
    opt.step()


@pytest.mark.parametrize("train", [_zero_grad_between, _backward_without_parentheses,
                                   _step_before_backward, _loss_of_another_model])
def test_a_step_without_gradients_warns_that_nothing_changed(train):
    """PyTorch's step is silent and the model never trains; glassgrad's warns at the step."""
    with pytest.warns(UserWarning, match=r"SGD\.step\(\): none of its 2 parameters has a "
                                         r"gradient, so nothing changed"):
        assert not _step_changes(train)


def test_stepping_to_plot_a_schedule_or_with_frozen_parameters_is_quiet():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    schedule = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(4):
        _no_warning(opt.step)
        lrs.append(schedule.get_last_lr()[0])
        schedule.step()
    assert lrs == [0.1, 0.1, 0.05, 0.05]
    frozen = nn.Linear(2, 1)
    opt = optim.SGD(frozen.parameters(), lr=0.1)
    frozen.requires_grad_(False)                            # frozen since: meant to get none
    _no_warning(opt.step)


def test_a_layer_replaced_after_the_optimizer_was_made_warns():
    """The transfer-learning slip: `model.fc = nn.Linear(...)` after the optimizer was made;
    the new layer never trains (PyTorch's step is silent)."""
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    model[2] = nn.Linear(4, 1)
    new = model[2].weight.detach().clone()
    model(torch.ones(3, 2)).sum().backward()
    with pytest.warns(UserWarning, match=r"Sequential\[2\] was replaced after this optimizer was "
                                         r"made.*add_param_group"):
        opt.step()
    np.testing.assert_array_equal(model[2].weight.data, new.data)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.fc = nn.Linear(2, 4), nn.Linear(4, 1)

        def forward(self, x):
            return self.fc(self.body(x))

    net = Net()
    opt = optim.SGD(net.parameters(), lr=0.1)
    net.fc = nn.Linear(4, 1)
    net(torch.ones(3, 2)).sum().backward()
    with pytest.warns(UserWarning, match=r"Net\.fc was replaced"):
        opt.step()


def test_replacing_a_layer_the_right_ways_is_quiet():
    wrapped = nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 1))
    opt = optim.SGD(wrapped.parameters(), lr=0.1)
    wrapped[1] = nn.Sequential(wrapped[1], nn.ReLU())      # the old layer kept inside
    wrapped(torch.ones(3, 2)).sum().backward()
    _no_warning(opt.step)
    added = nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 1))
    opt = optim.SGD(added.parameters(), lr=0.1)
    added[1] = nn.Linear(4, 1)
    opt.add_param_group({"params": added[1].parameters()})
    added(torch.ones(3, 2)).sum().backward()
    _no_warning(opt.step)
    rebuilt = nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 1))
    rebuilt[1] = nn.Linear(4, 1)
    opt = optim.SGD(rebuilt.parameters(), lr=0.1)          # made after the change
    rebuilt(torch.ones(3, 2)).sum().backward()
    _no_warning(opt.step)


@needs_torch
@pytest.mark.parametrize("cast", ["double", "to"])
def test_an_optimizer_made_before_the_model_is_cast_trains_it_as_pytorch(cast):
    """Legal: .double() and .to(float64) change the parameters in place, so an optimizer made
    before keeps them; Adam's steps give PyTorch's numbers."""
    ours, theirs = _linear_pair()
    ours.float()
    theirs.float()
    opt, popt = optim.Adam(ours.parameters(), lr=0.1), pt.optim.Adam(theirs.parameters(), lr=0.1)
    if cast == "double":
        ours.double(), theirs.double()
    else:
        ours.to(torch.float64), theirs.to(pt.float64)
    x = np.random.default_rng(5).normal(size=(5, 3))
    for _ in range(3):
        opt.zero_grad()
        popt.zero_grad()
        ours(torch.tensor(x)).pow(2).mean().backward()
        theirs(pt.tensor(x)).pow(2).mean().backward()
        opt.step()
        popt.step()
    assert ours.weight.dtype == np.float64
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-6)


def test_scheduler_stepped_before_the_optimizer_warns_as_in_pytorch():
    opt = optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    schedule = optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    with pytest.warns(UserWarning, match=r"StepLR\.step\(\) was called before "
                                         r"optimizer\.step\(\)"):
        schedule.step()


# ---------------------------------------------------------------------------------------------
# Target networks and max's pair
# ---------------------------------------------------------------------------------------------

def test_a_target_network_not_detached_gets_gradients_as_in_pytorch():
    """Legal: without detach() the loss's gradient reaches the target network too (PyTorch's
    does the same); with it, none does."""
    q, q_target = nn.Linear(2, 2), nn.Linear(2, 2)
    q_target.load_state_dict(q.state_dict())
    s, s2 = torch.randn(4, 2), torch.randn(4, 2)
    for detach in (False, True):
        q.zero_grad()
        q_target.zero_grad()
        best = q_target(s2).max(dim=1)[0]
        target = 1 + 0.9 * (best.detach() if detach else best)
        F.mse_loss(q(s).max(dim=1)[0], target).backward()
        assert (q_target.weight.grad is None) == detach


def test_max_with_a_positional_axis_is_numpys_and_says_so():
    out = nn.Linear(2, 2)(torch.randn(4, 2))
    with pytest.raises(TypeError, match=r"t\.max\(dim=d\) for PyTorch's values and indices"):
        out.max(1)[0]
    with pytest.raises(AttributeError, match=r"cannot be read as \.values"):
        out.max(1).values
    assert out.max(dim=1).values.shape == (4,)


# ---------------------------------------------------------------------------------------------
# Data loading
# ---------------------------------------------------------------------------------------------

def test_a_dataset_of_mismatched_lengths_is_refused_when_made():
    with pytest.raises(ValueError, match="X has 10 samples but y has 9 labels"):
        data.TensorDataset(torch.randn(10, 2), torch.randn(9))


@pytest.mark.parametrize("sampler", [
    lambda ds: data.SubsetRandomSampler(list(range(12))),
    lambda ds: data.RandomSampler(data.TensorDataset(torch.randn(14, 2))),
])
def test_a_sampler_of_another_length_names_the_dataset_size(sampler):
    ds = data.TensorDataset(torch.randn(10, 2), torch.randn(10))
    loader = data.DataLoader(ds, batch_size=4, sampler=sampler(ds))
    with pytest.raises(IndexError, match=r"the dataset has 10 samples \(indices must be ints in "
                                         r"0\.\.9\)"):
        list(loader)


def test_batch_sizes_that_are_not_positive_ints():
    ds = data.TensorDataset(torch.randn(6, 2))
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        data.DataLoader(ds, batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be an int, got 2.0"):
        data.DataLoader(ds, batch_size=2.0)


def test_float_labels_from_a_loader_are_refused_by_the_loss():
    ds = data.TensorDataset(torch.randn(6, 2), torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0]))
    xb, yb = next(iter(data.DataLoader(ds, batch_size=6)))
    with pytest.raises(TypeError, match="class labels must be integers, got dtype float32"):
        F.cross_entropy(nn.Linear(2, 2)(xb), yb)


def test_x_and_y_shuffled_by_two_loaders_lose_their_pairing():
    """Legal, and PyTorch's behaviour: two shuffled loaders draw two orders, so the pairs are
    broken; one TensorDataset of both keeps them."""
    X, y = torch.arange(10.0).reshape(10, 1), torch.arange(10.0)
    xb, = next(iter(data.DataLoader(data.TensorDataset(X), batch_size=10, shuffle=True)))
    yb, = next(iter(data.DataLoader(data.TensorDataset(y), batch_size=10, shuffle=True)))
    assert not np.array_equal(xb.data.reshape(-1), yb.data)
    xb, yb = next(iter(data.DataLoader(data.TensorDataset(X, y), batch_size=10, shuffle=True)))
    np.testing.assert_array_equal(xb.data.reshape(-1), yb.data)


# ---------------------------------------------------------------------------------------------
# Numerics: NaN, explosions, division by zero
# ---------------------------------------------------------------------------------------------

def test_nan_in_the_inputs_spreads_as_in_pytorch_and_the_checks_catch_it():
    X = torch.randn(8, 2)
    X[3, 1] = float("nan")
    model = nn.Linear(2, 1)
    loss = F.mse_loss(model(X), torch.randn(8, 1))
    loss.backward()
    assert math.isnan(loss.item())
    with pytest.raises(RuntimeError, match="total 2.0-norm of the gradients is nan"):
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(FloatingPointError, match="backward of sqrt.*NaN gradient"):
        with torch.autograd.detect_anomaly():
            with np.errstate(all="ignore"):
                (x.sqrt() * 0).sum().backward()


def test_an_exploding_loss_is_heard_from_numpy_where_pytorch_is_silent():
    X = torch.randn(64, 3) * 10
    y = X @ torch.tensor([1.0, -2.0, 3.0])
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=1.0)
    with pytest.warns(RuntimeWarning, match="overflow|invalid value"):
        for _ in range(60):
            loss = F.mse_loss(model(X).squeeze(1), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert not math.isfinite(loss.item())


@needs_torch
def test_normalising_by_a_zero_std_gives_nan_with_a_warning():
    """A constant column divides 0 by 0: NaN, as in PyTorch (silent there); numpy's warning
    says where. The divisor is stated: t.std(0, unbiased=True) is PyTorch's t.std(0)."""
    X = np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 4.0]])
    t = torch.tensor(X)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        Xn = (t - t.mean(0)) / t.std(0, unbiased=True)
    p = pt.tensor(X)
    np.testing.assert_allclose(Xn.data, ((p - p.mean(0)) / p.std(0)).numpy(), rtol=1e-12)
    assert np.isnan(Xn.data[:, 0]).all()
    with pytest.raises(TypeError, match=r"divides by n where PyTorch's divides by n - 1"):
        t.std(dim=0)


@needs_torch
def test_log_of_zero_in_a_hand_written_bce_against_the_clamped_library_loss():
    """By hand, log(0) gives inf and NaN (with numpy's warnings); F.binary_cross_entropy clamps
    the logs at -100 as PyTorch does, so it stays finite and equal to PyTorch's."""
    p = torch.tensor([0.0, 1.0, 0.5], requires_grad=True)
    y = torch.tensor([1.0, 1.0, 0.0])
    with pytest.warns(RuntimeWarning, match="divide by zero|invalid value"):
        by_hand = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    assert not math.isfinite(by_hand.item())
    loss = F.binary_cross_entropy(p, y)
    expected = pt.nn.functional.binary_cross_entropy(pt.tensor([0.0, 1.0, 0.5]),
                                                     pt.tensor([1.0, 1.0, 0.0]))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_softmax_by_hand_overflows_where_the_library_one_does_not():
    z = torch.tensor([1000.0, 0.0])
    with pytest.warns(RuntimeWarning, match="overflow|invalid value"):
        by_hand = z.exp() / z.exp().sum()
    assert math.isnan(by_hand.data[0])
    np.testing.assert_allclose(F.softmax(z, dim=0).data, [1.0, 0.0])


# ---------------------------------------------------------------------------------------------
# Lists and numpy arrays where tensors are expected
# ---------------------------------------------------------------------------------------------

def test_float64_arrays_and_lists_into_a_float32_layer():
    """PyTorch refuses both; glassgrad computes a float64 array's batch in float64 (exact) with
    float32 gradients for the float32 weights, and reads a list as the default float32."""
    lin = nn.Linear(2, 1)
    x = np.random.default_rng(6).normal(size=(4, 2))
    out = lin(x)
    assert out.dtype == np.float64
    expected = x @ lin.weight.data.astype(np.float64).T + lin.bias.data.astype(np.float64)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    out.sum().backward()
    assert lin.weight.grad.dtype == np.float32
    assert lin([1.0, 2.0]).dtype == np.float32


def test_fit_casts_float64_data_to_the_models_float32():
    model = nn.Linear(2, 1)
    X = np.random.default_rng(7).normal(size=(32, 2))
    y = X @ np.array([[1.0], [-1.0]])
    history = nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.1), (X, y),
                     epochs=30, progress=False)
    assert history["loss"][-1] < 1e-3 and model.weight.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# State dicts
# ---------------------------------------------------------------------------------------------

def test_state_dict_keys_with_a_prefix_or_of_another_model():
    m = nn.Linear(2, 1)
    prefixed = {"module." + k: v for k, v in m.state_dict().items()}
    with pytest.raises(nn.module.StateDictKeyError, match=r"missing \['weight', 'bias'\].*"
                                                          r"k\.removeprefix\('module\.'\)"):
        m.load_state_dict(prefixed)
    with pytest.raises(RuntimeError):               # PyTorch's type, and the old KeyError
        m.load_state_dict(prefixed)
    with pytest.raises(KeyError):
        m.load_state_dict(prefixed)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(2, 3), nn.Linear(3, 1)

    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(nn.module.StateDictKeyError, match=r"unexpected \['0\.weight'"):
        Net().load_state_dict(seq.state_dict())


def test_state_dict_of_other_shapes_and_a_lenient_load():
    m = nn.Linear(2, 1)
    with pytest.raises(nn.module.StateDictShapeError, match=r"'weight' has shape \(1, 3\), the "
                                                            r"model expects \(1, 2\)"):
        m.load_state_dict(nn.Linear(3, 1).state_dict())
    result = m.load_state_dict(nn.Sequential(nn.Linear(2, 1)).state_dict(), strict=False)
    assert result.missing_keys == ["weight", "bias"]            # PyTorch's answer
    assert result.unexpected_keys == ["0.weight", "0.bias"]


@pytest.mark.parametrize("given, words", [
    (lambda: nn.Linear(2, 1), r"got the Linear module itself; pass its \.state_dict\(\)"),
    (lambda: "model.pt", r"got the path 'model\.pt'; read a file with.*nn\.load\(path\)"),
])
def test_load_state_dict_of_a_model_or_a_path(given, words):
    with pytest.raises(TypeError, match=words):
        nn.Linear(2, 1).load_state_dict(given())


def test_an_optimizer_state_of_another_model_is_refused():
    small, big = nn.Linear(2, 1), nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    opt = optim.Adam(small.parameters())
    with pytest.raises(ValueError, match="group 0 has 4 parameter"):
        opt.load_state_dict(optim.Adam(big.parameters()).state_dict())
