"""`autograd.gradcheck` itself: it accepts correct gradients, rejects wrong ones with a useful
message, works in float64, and agrees with an independent finite-difference check written here."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd import Function, GradcheckError, Tensor, Value, grad, gradcheck
from autograd.gradcheck import gradcheck_parameters
from autograd import functional as F

from conftest import t64


class OffByFactor(Function):
    """x² with a deliberately wrong derivative (2.02x instead of 2x: off by 1 %)."""

    def forward(ctx, x):
        return x * x

    def backward(ctx, g, out, x):
        return (g * 2.02 * x,)


class WrongSecondInput(Function):
    """a * b whose gradient for b is a + 1 instead of a."""

    def forward(ctx, a, b):
        return a * b

    def backward(ctx, g, out, a, b):
        return g * b, g * (a + 1.0)


def test_accepts_correct_gradients():
    """Correct ops pass for Value, scalar Tensor and vector-valued Tensor outputs."""
    assert gradcheck(lambda a, b: (a * b).tanh() + b.exp(), Value(0.3), Value(-0.8)) is True
    x = t64([[0.3, -1.2], [2.0, 0.5]])
    assert gradcheck(lambda t: (t.tanh() * t).sum(axis=0), x) is True
    assert gradcheck(lambda t: (t @ t).sum(), x) is True


def test_rejects_a_wrong_custom_function_with_details():
    """A 1 % error in a derivative is caught; the message says which input and element and
    gives both numbers."""
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda x: OffByFactor.apply(x), t64([0.5, 1.0, -2.0]))
    msg = str(err.value)
    assert "input 0" in msg and "element (0,)" in msg
    assert "backprop gives" in msg and "finite differences give" in msg
    assert "3 of 3 elements differ" in msg
    assert isinstance(err.value, AssertionError)
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: OffByFactor.apply(x), Value(0.7))


def test_names_the_wrong_input():
    """Only the second input's gradient is wrong: the message names input 1."""
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda a, b: WrongSecondInput.apply(a, b), t64([1.0, 2.0]), t64([3.0, 4.0]))


def test_returns_false_when_asked_not_to_raise():
    """raise_exception=False turns the failure into a False result."""
    assert gradcheck(lambda x: OffByFactor.apply(x), t64([1.0]), raise_exception=False) is False
    assert gradcheck(lambda x: x * x, t64([1.0]), raise_exception=False) is True


def test_constant_inputs_are_not_checked():
    """An input that does not require grad is passed through unchanged and not checked: the
    wrong gradient for b does not matter when b is a constant."""
    a, b = t64([1.0, 2.0]), Tensor(np.array([3.0, 4.0]))
    assert gradcheck(lambda a, b: WrongSecondInput.apply(a, b), a, b)


def test_plain_numbers_and_arrays_are_checked_inputs():
    """Numbers become Values and arrays float64 Tensors, both checked."""
    assert gradcheck(lambda x: x * x * x, 1.5)
    assert gradcheck(lambda x: (x * x).sum(), np.array([1.0, 2.0]))
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: OffByFactor.apply(x), np.array([1.0, 2.0]))


def test_float32_input_is_checked_in_float64_and_left_untouched():
    """A float32 input triggers a warning and a float64 copy is checked; the caller's tensor
    keeps its data and gets no gradient."""
    x = Tensor([0.5, 1.5], requires_grad=True)
    before = x.data.copy()
    with pytest.warns(UserWarning, match="float64"):
        assert gradcheck(lambda t: (t * t.tanh()).sum(), x)
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None and x.dtype == np.float32


def test_float64_inputs_are_not_modified():
    """The finite differences perturb a copy and put every element back exactly."""
    x = t64([0.1, 0.2, 0.3])
    before = x.data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcheck(lambda t: (t * t).sum(), x)
    np.testing.assert_array_equal(x.data, before)


def test_usage_errors():
    """Nothing to check, or f returning a non-node, are errors."""
    with pytest.raises(ValueError, match="nothing to check"):
        gradcheck(lambda t: t * 2.0, Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="f must return a Value or Tensor, got float; f "
                                        "computed with numpy"):
        gradcheck(lambda t: 3.0, t64([1.0]))
    with pytest.raises(TypeError, match="f must return a Value or Tensor, got str$"):
        gradcheck(lambda t: "3", t64([1.0]))


def test_a_numpy_layer_says_how_to_check_its_hand_written_backward():
    """CS231n's layers are numpy functions with a backward by hand: gradcheck of the numpy
    forward says to make the pair a Function, and that Function's check catches a wrong
    backward."""
    x = t64([[0.5, -1.0], [2.0, 0.3]])
    x.requires_grad_()
    with pytest.raises(TypeError, match=r"got ndarray; f computed with numpy, .* make the two "
                                        r"an autograd.Function, .* gradcheck\(Layer.apply, x\)"):
        gradcheck(lambda t: np.tanh(t.detach().numpy()), x)

    class Layer(Function):
        def forward(ctx, x):
            return np.tanh(x)

        def backward(ctx, g, out, x):
            return (g * (1 - out ** 2),)

    class WrongLayer(Layer):
        def backward(ctx, g, out, x):
            return (g * (1 - out),)
    assert gradcheck(Layer.apply, x)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(WrongLayer.apply, x)


def test_a_result_given_for_the_function_is_refused_where_given():
    """gradcheck(loss, W) / gradcheck_parameters(loss, ...) with the computed result instead of
    the function failed inside as "'Tensor' object is not callable" (gradcheck_parameters after
    zeroing the parameters' grads); now each names its argument and shows the form to write."""
    from nn import Linear
    w = t64([0.5, -1.0])
    loss = (w * w).sum()
    with pytest.raises(TypeError, match=r"gradcheck: f is the function to check, called as "
                                        r"f\(\*inputs\); got a Tensor, a result already "
                                        r"computed.*gradcheck\(lambda x: \.\.\., x\)"):
        gradcheck(loss, w)
    with pytest.raises(TypeError, match=r"gradcheck: f is .*; got a float: "):
        gradcheck(2.0, w)
    layer = Linear(2, 1, dtype=np.float64)
    cost = layer(Tensor(np.array([[1.0, 2.0]]))).sum()
    with pytest.raises(TypeError, match=r"gradcheck_parameters: cost is the function to check, "
                                        r"called as cost\(\) .*got a Tensor, a result already "
                                        r"computed.*lambda: loss_fn\(model\(X\), y\)"):
        gradcheck_parameters(cost, layer.parameters())


def test_inputs_as_one_tuple_or_list_as_in_pytorch_are_unpacked():
    """gradcheck(f, (x,)), PyTorch's form: f is called with x, not with the tuple as one array;
    the items that are not nodes are passed through as they are (n = 3 stays an int)."""
    x = t64([1.0, 2.0])
    for packed in ((x,), [x]):
        assert gradcheck(lambda t: (t * t).sum(), packed)
    seen = []
    assert gradcheck(lambda t, n: seen.append(n) or (t ** n).sum(), (x, 3))
    assert set(seen) == {3} and all(type(n) is int for n in seen)
    assert gradcheck(lambda a, b: (a * b).tanh(), [Value(0.5), Value(-1.0)])
    with pytest.raises(GradcheckError, match="input 1"):          # both are checked
        gradcheck(lambda a, b: WrongSecondInput.apply(a, b), (t64([1.0, 2.0]), t64([3.0, 4.0])))
    assert gradcheck(lambda t: (t * t).sum(), [1.0, 2.0])         # a list of numbers: an array


def test_a_tuple_of_nodes_among_other_inputs_is_refused():
    x = t64([1.0, 2.0])
    for args in (((x,), x), (x, (x, 2.0)), ((x, (x,)),)):
        with pytest.raises(TypeError, match=r"input \d is a (tuple|list) holding Values or "
                                            r"Tensors; pass the inputs as separate arguments"):
            gradcheck(lambda *t: t[0].sum(), *args)


def test_a_kink_is_named_as_the_likely_cause():
    """relu at 0: backprop gives the slope on one side (0), the central difference the average
    (0.5). The message says f is not differentiable there, with both one-sided slopes; a plain
    wrong backward and a large eps on a smooth f get no such hint."""
    with pytest.raises(GradcheckError, match=r"not differentiable here: its slope is 0 on the "
                                             r"left and 1 on the right"):
        gradcheck(lambda x: x.relu().sum(), t64([0.0, 1.0]))
    with pytest.raises(GradcheckError, match="not differentiable"):
        gradcheck(lambda x: x.relu(), Value(0.0))
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda x: OffByFactor.apply(x), t64([0.5]))
    assert "differentiable" not in str(err.value)
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda x: (x ** 3).sum(), t64([1.0]), eps=0.1)
    assert "differentiable" not in str(err.value)


def test_outside_the_domain_is_named_as_the_likely_cause():
    """log at -1: the finite difference is NaN; the message says f is not finite there."""
    with pytest.raises(GradcheckError, match="not finite"), np.errstate(invalid="ignore"):
        gradcheck(lambda x: x.log().sum(), t64([-1.0]))


def test_a_result_outside_the_graph_is_compared_with_zero():
    """f's result does not require grad: its backprop gradient is 0. A constant f passes; one
    that left the graph (through .data) fails, saying so, instead of a backward() error."""
    assert gradcheck(lambda x: Tensor(np.ones(2)), t64([1.0, 2.0]))
    with pytest.raises(GradcheckError, match="does not require grad: it was computed outside "
                                             "the graph"):
        gradcheck(lambda x: Tensor(x.data * 2.0).sum(), t64([1.0, 2.0]))


def test_non_contiguous_gradient():
    """A gradient that comes back as a transposed view (transpose, .T, swapaxes) is compared
    element by element like any other."""
    x = t64(np.arange(6.0).reshape(2, 3) / 7)
    assert gradcheck(lambda t: t.T * 1.0, x)


def test_non_contiguous_input():
    """An input whose data is a transposed (Fortran-ordered) array is perturbed for real."""
    data = np.arange(6.0).reshape(3, 2).T / 7
    assert not data.flags.c_contiguous
    assert gradcheck(lambda t: (t * t).sum(), Tensor(data, requires_grad=True))


# ----------------------------------------------------------------------------------------------
# An independent check that does not use gradcheck
# ----------------------------------------------------------------------------------------------

def _fd_gradient(f, arrays, i, weights, eps=1e-6):
    """Central differences of Σ weights * f(*arrays) with respect to arrays[i], by hand."""
    out = np.zeros_like(arrays[i])
    for k in np.ndindex(arrays[i].shape):
        plus = [a.copy() for a in arrays]
        minus = [a.copy() for a in arrays]
        plus[i][k] += eps
        minus[i][k] -= eps
        fp = np.sum(weights * f(*[Tensor(a) for a in plus]).data)
        fm = np.sum(weights * f(*[Tensor(a) for a in minus]).data)
        out[k] = (fp - fm) / (2 * eps)
    return out


@pytest.mark.parametrize("name, f, shapes", [
    ("tanh_mul", lambda a, b: a.tanh() * b, ((2, 3), (3,))),
    ("matmul_batched", lambda a, b: a @ b, ((2, 3, 4), (4,))),
    ("transpose", lambda a: a.transpose(2, 0, 1) * 1.5, ((2, 3, 4),)),
    ("swapaxes", lambda a: a.swapaxes(0, 1).exp(), ((2, 3),)),
    ("softmax_getitem", lambda a: a[:, ::2].softmax(axis=0), ((3, 5),)),
    ("cross_entropy", lambda z: F.cross_entropy(z, np.array([1, 0, 2]), reduction="none"),
     ((3, 3),)),
])
def test_backprop_matches_hand_written_finite_differences(name, f, shapes):
    """Backprop against a finite-difference loop written here, so the checker is checked too:
    both tools must agree with each other on correct ops."""
    rng = np.random.default_rng(7)
    arrays = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    xs = [t64(a) for a in arrays]
    out = f(*xs)
    weights = rng.uniform(0.5, 1.5, out.shape)
    out.backward(weights)
    for i, x in enumerate(xs):
        np.testing.assert_allclose(x.grad, _fd_gradient(f, arrays, i, weights),
                                   rtol=1e-6, atol=1e-8)


def test_hand_written_check_catches_the_wrong_function():
    """The independent loop also rejects the deliberately wrong derivative (so it can fail)."""
    a = np.array([0.5, 1.0, -2.0])
    x = t64(a)
    OffByFactor.apply(x).backward(np.ones(3))
    numeric = _fd_gradient(lambda t: OffByFactor.apply(t), [a], 0, np.ones(3))
    np.testing.assert_allclose(numeric, 2 * a, rtol=1e-7)
    assert not np.allclose(x.grad, numeric, rtol=1e-3, atol=0)


class HalfSquare(Function):
    """x² with backward g·x (half the true derivative 2x)."""

    def forward(ctx, x):
        return x * x

    def backward(ctx, g, out, x):
        return (g * x,)


@pytest.mark.parametrize("x", [Value(1.0), Tensor(1.0, dtype="float64", requires_grad=True),
                               Tensor([1.0], dtype="float64", requires_grad=True)],
                         ids=["Value", "0-d Tensor", "one-element Tensor"])
def test_scalar_output_reports_the_true_derivatives(x):
    """No random weight on a scalar: x² at x = 1 is reported as 1 (backprop) against 2."""
    with pytest.raises(GradcheckError) as err:
        gradcheck(HalfSquare.apply, x)
    message = str(err.value)
    assert "backprop gives 1.0," in message
    numeric = float(message.split("finite differences give ")[1].split(" ")[0])
    assert numeric == pytest.approx(2.0, abs=1e-6)


class ForgetsG(Function):
    """sin(x) whose backward forgets the incoming gradient g."""

    def forward(ctx, x):
        return np.sin(x)

    def backward(ctx, g, out, x):
        return (np.cos(x),)


def test_a_vector_output_says_its_numbers_are_weighted():
    """For several outputs the two numbers are of Σ r ⊙ f, not f's derivatives: the message
    says so, with their ratio (x² with backward x: 0.5), so a learner is not left to wonder why
    the derivative of x² at 1 is reported as 2.27."""
    with pytest.raises(GradcheckError, match=r"f has 3 outputs, so both are derivatives of "
                                             r"J = Σ r ⊙ f .*finite differences = 0\.5\)"):
        gradcheck(HalfSquare.apply, t64([1.0, 2.0, 3.0]))


def test_a_backward_that_forgets_g_fails_on_its_output_on_a_sum_and_on_a_scalar():
    """Seeded with g = 1, a scalar output (a Value, a custom loss, a .sum()) let a rule that
    forgets to multiply by g pass: g * cos(x) = cos(x) there. Seeded with 2 it fails, and the
    message says why."""
    x = t64([0.1, 0.2])
    assert not gradcheck(ForgetsG.apply, x, raise_exception=False)
    forgets = r"backprop gives 0\.49.*does a rule forget to multiply by g\?"
    with pytest.raises(GradcheckError, match=forgets):
        gradcheck(lambda t: ForgetsG.apply(t).sum(), x)
    with pytest.raises(GradcheckError, match=r"input 0 \(a Value\): backprop gives 0\.49"
                                             r".*does a rule forget to multiply by g\?"):
        gradcheck(ForgetsG.apply, Value(0.1))
    assert gradcheck(lambda t: t.sin().sum(), x) and gradcheck(lambda v: v.sin(), Value(0.1))


def test_the_leaves_f_reads_besides_its_inputs_keep_their_gradients():
    """A model's parameters read by f (a closure) got backward's gradient added to their .grad,
    where PyTorch's gradcheck leaves them: a loop that zeroes after its step then trained on it."""
    w = Value(3.0)
    w.grad = 0.5
    W = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert gradcheck(lambda x: x * w + x * x, 2.0)
    assert gradcheck(lambda x: (x * W).tanh(), t64([0.3, -0.4]))
    assert w.grad == 0.5 and W.grad is None
    assert not gradcheck(lambda x: ForgetsG.apply(x * W), t64([0.3, -0.4]),
                         raise_exception=False)      # the failure's second pass too
    assert W.grad is None


def test_gradcheck_parameters_catches_a_loss_whose_backward_forgets_g():
    """A cost ending in a custom op seeded with g = 1 let a backward without g pass."""
    W = t64([0.3, -0.4])
    W.requires_grad_()
    assert not gradcheck_parameters(lambda: ForgetsG.apply((W * W).sum()), [W],
                                    raise_exception=False)
    assert gradcheck_parameters(lambda: (W * W).sum().sin(), [W])


def test_no_gradient_reaching_an_input_is_named():
    """A backward returning None for an input that needs a gradient: backprop gives exactly 0
    for all of it, and the message asks whether that is why."""
    class ScaleByB(Function):
        def forward(ctx, a, b):
            return a * b

        def backward(ctx, g, out, a, b):
            return g * b, None

    with pytest.raises(GradcheckError, match=r"input 1 .*no gradient reached it: does a "
                                             r"backward return None for it"):
        gradcheck(ScaleByB.apply, t64([1.0, 2.0]), t64([3.0]))
    with pytest.raises(GradcheckError, match=r"input 1 \(a Value\): .*no gradient reached it"):
        gradcheck(ScaleByB.apply, Value(1.0), Value(3.0))


def test_a_function_that_reads_other_leaves_than_its_inputs_is_refused():
    """f computes from a model's own parameters, not from the float64 copies it is given: no
    gradient reaches the copies and moving them changes nothing. That checked nothing, and
    passed; now it says so and names gradcheck_parameters."""
    from nn import LogisticRegression, binary_cross_entropy_with_logits
    model = LogisticRegression(2, dtype=np.float64)
    X, y = np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([1.0, 0.0])
    with pytest.raises(ValueError, match=r"computed from other leaves than the checked inputs.*"
                                         r"gradcheck_parameters\(cost, model.parameters\(\)\)"):
        gradcheck(lambda w, b: binary_cross_entropy_with_logits(model(X), y),
                  model.weight, model.bias)
    assert gradcheck(lambda x: Tensor(np.ones(2)), t64([1.0, 2.0]))     # a constant f passes


def test_a_derivative_that_is_zero_where_no_gradient_flows_passes():
    """relu's derivative is a step, whose own derivative is 0 and whose rule passes no gradient:
    a second-order check of it (or of l1_loss, hinge_loss) was refused as "computed from other
    leaves than the checked inputs", though f computes from its argument."""
    x = t64([0.3, -1.2, 2.0])
    assert gradcheck(lambda t: grad(lambda u: u.relu().sum())(t), x)
    assert gradcheck(lambda t: grad(lambda u: (u - 0.5).abs().mean())(t), x)
    assert gradcheck(lambda v: grad(lambda u: u.relu())(v), Value(0.7))


def test_gradcheck_parameters_checks_a_model_where_it_lives_and_leaves_its_grads():
    from nn import MLP, mse_loss
    rng = np.random.default_rng(0)
    model = MLP(2, [3], 1, activation="tanh", dtype=np.float64, rng=rng)
    X, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    model[0].weight.grad = np.full((3, 2), 7.0)
    before = [p.data.copy() for p in model.parameters()]
    assert gradcheck_parameters(lambda: mse_loss(model(X), y), model.parameters(), eps=1e-4)
    assert all((p.data == b).all() for p, b in zip(model.parameters(), before))
    assert (model[0].weight.grad == 7.0).all() and model[2].bias.grad is None
    w = Value(0.5)
    assert gradcheck_parameters(lambda: (w * w).tanh(), [w])


def test_gradcheck_parameters_names_the_parameter_that_disagrees():
    from nn import Linear
    layer = Linear(2, 1, dtype=np.float64)
    layer.bias.data[:] = 0.7            # (a random bias near 0 would hide the leak: 2b ~ 0)
    x = Tensor(np.array([[1.0, 2.0]]))
    leaky = lambda: (layer(x) ** 2).sum() + float(layer.bias.data[0]) ** 2    # noqa: E731
    with pytest.raises(GradcheckError, match=r"parameter bias, element \(0,\): backprop gives"):
        gradcheck_parameters(leaky, layer.named_parameters())
    assert not gradcheck_parameters(leaky, layer.parameters(), raise_exception=False)


def test_gradcheck_parameters_usage_errors():
    from nn import Linear
    layer = Linear(2, 1)
    x = Tensor(np.array([[1.0, 2.0]]))
    with pytest.raises(TypeError, match=r"parameter weight is float32; .*dtype=\"float64\""):
        gradcheck_parameters(lambda: layer(x).sum(), layer.named_parameters())
    layer64 = Linear(2, 1, dtype=np.float64)
    with pytest.raises(TypeError, match=r"cost\(\) must return a scalar .*shape \(2, 1\)"):
        gradcheck_parameters(lambda: layer64(Tensor(np.ones((2, 2)))), layer64.parameters())
    assert gradcheck_parameters(lambda: layer64(x) ** 2, layer64.parameters())   # (1, 1)
    with pytest.raises(ValueError, match="got no parameters"):
        gradcheck_parameters(lambda: layer64(x).sum(), [])
    with pytest.raises(TypeError, match="parameter 0 is a ndarray"):
        gradcheck_parameters(lambda: layer64(x).sum(), [np.zeros(2)])


def test_gradcheck_parameters_moves_a_transposed_parameter_itself():
    """A parameter whose array is not C-contiguous (a transposed weight): reshape(-1) made a
    copy, the copy was moved, the cost did not change, and a right gradient was reported as
    wrong (finite differences 0.0)."""
    X = Tensor(np.random.default_rng(0).normal(size=(4, 3)))
    for data in (np.arange(6.0).reshape(2, 3).T / 5, np.asfortranarray(np.ones((3, 2)))):
        W = Tensor(data, requires_grad=True)
        before = W.data.copy()
        assert gradcheck_parameters(lambda: ((X @ W) ** 3).sum(), [W], eps=1e-4)
        assert (W.data == before).all()


def test_gradcheck_parameters_refuses_a_layer_pair_it_would_read_as_a_name():
    """[(W1, b1), (W2, b2)] was taken as (name, parameter) pairs: only the biases were
    checked, each 'named' by its weight's repr."""
    W, b = t64([[0.5, -1.0]]), t64([0.1])
    x = Tensor(np.array([[1.0], [2.0]]))
    with pytest.raises(TypeError, match=r"item 0 is a tuple of 2 .*\[W1, b1, W2, b2\]"):
        gradcheck_parameters(lambda: ((x @ W) + b).sum(), [(W, b)])
    assert gradcheck_parameters(lambda: ((x @ W) + b).tanh().sum(), {"W": W, "b": b})


def test_a_tuple_of_plain_numbers_for_a_function_of_several_arguments_says_how_to_pass_them():
    """(0.3, 0.2) is one array input to gradcheck; f(x, y) refuses it: the error says how to
    give two inputs (one by one, or as Values in PyTorch's tuple)."""
    f = lambda x, y: x * y.exp()                                    # noqa: E731
    with pytest.raises(TypeError, match=r"gradcheck: \(0\.3, 0\.2\) was taken as one input, an "
                                        r"array of 2 numbers.*gradcheck\(f, 0\.3, 0\.2\).*"
                                        r"gradcheck\(f, \(Value\(0\.3\), Value\(0\.2\)\)\)"):
        gradcheck(f, (0.3, 0.2))
    assert gradcheck(f, 0.3, 0.2)


def test_a_function_that_draws_random_numbers_is_named_as_the_likely_cause():
    """Dropout in training mode inside f (or cost()): each finite difference measures two
    different draws, so the numbers were huge and unexplained; the message now says f gives
    different numbers at the same point, and eval() mode passes."""
    import nn
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, dtype="float64"), nn.Dropout(0.5),
                          nn.Linear(4, 1, dtype="float64"))
    X = Tensor(rng.normal(size=(5, 3)))
    with pytest.raises(GradcheckError, match=r"f gives different numbers at the same point .*"
                                             r"\(dropout, a model in training mode"):
        gradcheck(lambda x: (model(x) ** 2).mean(), t64(rng.normal(size=(5, 3))))
    with pytest.raises(GradcheckError, match=r"cost\(\) gives different numbers at the same"):
        gradcheck_parameters(lambda: (model(X) ** 2).mean(), model.named_parameters())
    model.eval()
    assert gradcheck_parameters(lambda: (model(X) ** 2).mean(), model.named_parameters())


def test_a_function_that_computes_in_float32_is_named_as_the_likely_cause():
    """f casts its float64 copy to float32 (a .float(), a float32 layer): the finite
    differences are float32 rounding, and the message now says so; a wrong backward in
    float64 gets no such hint."""
    with pytest.raises(GradcheckError, match=r"f's result is float32, though its inputs are "
                                             r"float64 copies"):
        gradcheck(lambda x: (x.float() ** 2).sum(), t64([0.3, -1.2, 2.0]))
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda x: OffByFactor.apply(x).sum(), t64([0.3, -1.2, 2.0]))
    assert "float32" not in str(err.value) and "random" not in str(err.value)


def test_an_integer_input_that_f_cannot_take_as_a_float_point_says_so():
    """Plain numbers and arrays are checked, so indices, labels or an exponent given as
    gradcheck(f, W, idx) reached f as float64 and f's own error (float indices; a Value in a
    Tensor op) said nothing of gradcheck; it now says how to pass them as they are. Integers
    that f can take as a point are still checked."""
    import nn
    W = t64(np.arange(12.0).reshape(4, 3) / 7)
    idx = np.array([0, 2, 2])
    with pytest.raises(TypeError, match=r"embedding: indices must be integers.*gradcheck: input "
                                        r"1, an integer array of shape \(3,\), was taken as a "
                                        r"point to check.*gradcheck\(f, \(x, idx\)\)"):
        gradcheck(lambda w, i: nn.functional.embedding(i, w).sum(), W, idx)
    with pytest.raises(IndexError, match=r"gradcheck: input 1, an integer array"):
        gradcheck(lambda w, i: (w[i] ** 2).sum(), W, idx)
    with pytest.raises(TypeError, match=r"gradcheck: input 1, the int 3, .*gradcheck\(f, \(x, "
                                        r"3\)\)"):
        gradcheck(lambda w, n: (w ** n).sum(), W, 3)
    assert gradcheck(lambda w, i: (w[i] ** 2).sum(), (W, idx))
    assert gradcheck(lambda w, i: (w[i] ** 2).sum(), W, Tensor(idx))
    assert gradcheck(lambda x: x ** 3, 2) and gradcheck(lambda x: (x ** 3).sum(), np.arange(3))


def test_a_mismatch_names_the_custom_function_in_f_s_graph():
    """A wrong backward of a Function used inside a larger f was reported only by input and
    element: the message now names the custom Function in f's graph as the place to look, and
    a mismatch of built-in ops alone (here a kink) names none."""
    with pytest.raises(GradcheckError, match=r"f's graph holds the custom Function OffByFactor: "
                                             r"check it alone, gradcheck\(OffByFactor\.apply, x\)"):
        gradcheck(lambda x: (OffByFactor.apply(x.tanh()) * 2.0).sum(), t64([0.5, -1.3, 2.0]))
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda x: x.relu().sum(), t64([0.0, 1.0]))
    assert "custom Function" not in str(err.value)


def test_a_cost_that_differentiates_inside_is_checked_as_pytorch_checks_it():
    """A gradient penalty calls grad(d, x, create_graph=True) inside the function checked; the
    finite differences ran it under no_grad(), where that grad() has no graph ("output 0 does
    not require grad"), so gradcheck and gradcheck_parameters refused what PyTorch's gradcheck
    checks. Through Linear and LeakyReLU the penalty's gradient is a second derivative."""
    rng = np.random.default_rng(0)
    W, points = t64(rng.normal(size=(3, 2))), t64(rng.normal(size=(4, 2)), requires_grad=False)

    def penalty(W):
        x = points.clone().requires_grad_()
        d = F.leaky_relu(x @ W.T, 0.2).pow(2).sum()
        (g,) = grad(d, x, create_graph=True)
        return ((g.norm(2, dim=1) - 1) ** 2).mean()

    assert gradcheck(penalty, W)
    assert gradcheck_parameters(lambda: penalty(W), [W])
    with pytest.raises(GradcheckError, match=r"backprop gives 0.0"):   # create_graph left out
        gradcheck(lambda W: penalty(W.detach()) + (W * 0).sum(), W)
    with pytest.raises(ValueError, match="log: needs a positive input"):    # f's own error stays
        gradcheck(lambda v: (v - 1.0000001).log(), Value(1.0000005))


def test_a_cost_that_calls_backward_inside_is_still_refused_and_leaves_grad_alone():
    """The retry with recording is for grad()'s refusal only: a cost calling `.backward()`
    inside ran again recording at every finite-difference point, adding into `.grad`."""
    W = t64(np.random.default_rng(1).normal(size=(2, 2)))
    other = t64(np.ones(2))

    def cost():
        (other * 3.0).sum().backward()          # a side effect the check must not repeat
        return (W * W).sum()
    with pytest.raises(RuntimeError, match=r"^backward: this result does not require grad"):
        gradcheck_parameters(cost, [W])
    assert np.array_equal(other.grad, [3.0, 3.0])    # the one call of the first evaluation


def test_pytorchs_other_keywords_are_taken_where_this_check_does_what_they_ask():
    """PyTorch's `gradcheck(f, inputs, eps=1e-6, atol=1e-4, fast_mode=True, nondet_tol=0.0)`
    runs as it is, and still fails a wrong backward; a flag asking for a check glassgrad
    cannot make is refused, saying why, and an unknown one names those it takes."""
    from autograd import gradgradcheck
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    same = dict(eps=1e-6, atol=1e-4, nondet_tol=0.0, fast_mode=True, check_undefined_grad=True,
                check_grad_dtypes=True, check_backward_ad=True, check_forward_ad=False,
                check_batched_grad=False, check_batched_forward_grad=False, masked=None)
    assert gradcheck(lambda t: t.tanh() * t, (x,), **same)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(OffByFactor.apply, (x,), **same)
    assert not gradcheck(OffByFactor.apply, (x,), raise_exception=False, fast_mode=False)
    assert gradgradcheck(lambda t: t.tanh() * t, (x,), check_rev_over_rev=True,
                         check_fwd_over_rev=False, gen_non_contig_grad_outputs=False, **same)
    for option, said in (("check_forward_ad", "no forward-mode AD"),
                         ("check_batched_grad", "vmap runs the function once per example"),
                         ("masked", "no sparse tensors")):
        with pytest.raises(ValueError, match=f"gradcheck: {option}=True: .*{said}"):
            gradcheck(lambda t: t.tanh(), (x,), **{option: True})
    with pytest.raises(ValueError, match="check_backward_ad=False: .*backward mode"):
        gradcheck(lambda t: t.tanh(), (x,), check_backward_ad=False)
    with pytest.raises(ValueError, match="nondet_tol=-1.0: it is a tolerance"):
        gradcheck(lambda t: t.tanh(), (x,), nondet_tol=-1.0)
    with pytest.raises(ValueError, match="gradgradcheck: check_fwd_over_rev=True"):
        gradgradcheck(lambda t: t.tanh(), (x,), check_fwd_over_rev=True)
    with pytest.raises(TypeError, match=r"gradcheck\(\) got an unexpected keyword argument "
                                        r"'check_rev_over_rev'; it takes eps, atol, rtol, seed "
                                        r"and raise_exception, and PyTorch's nondet_tol"):
        gradcheck(lambda t: t.tanh(), (x,), check_rev_over_rev=True)
    with pytest.raises(TypeError, match=r"gradgradcheck\(\) got an unexpected keyword "
                                        r"argument 'fast'; .*grad_outputs.*check_rev_over_rev"):
        gradgradcheck(lambda t: t.tanh(), (x,), fast=True)
