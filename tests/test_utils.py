"""nn.utils: gradient clipping by total norm and by value, on Tensors and Values, as PyTorch's
`torch.nn.utils.clip_grad_norm_` / `clip_grad_value_` compute it (the expected numbers are that
formula written out: factor = min(1, max_norm / (total + 1e-6)))."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import Linear, utils
from nn.optim import SGD
from autograd import gradcheck
from nn import MLP
from nn.utils import (
    clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm, parameters_to_vector,
    vector_to_parameters,
)


def _with_grads(*grads: list[float]) -> list[Tensor]:
    params = []
    for g in grads:
        p = Tensor(np.zeros(len(g)), requires_grad=True)
        p.grad = np.array(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_all_gradients_by_one_factor() -> None:
    a, b = _with_grads([3.0, 0.0], [0.0, 4.0])          # joint norm 5
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0) and not total.requires_grad
    factor = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(a.grad, [3 * factor, 0.0], rtol=1e-12)
    np.testing.assert_allclose(b.grad, [0.0, 4 * factor], rtol=1e-12)


def test_clip_grad_norm_changes_the_gradient_arrays_in_place() -> None:
    (a,) = _with_grads([30.0, 40.0])
    held = a.grad
    clip_grad_norm_(a, 5.0)                             # one Tensor is accepted too
    assert a.grad is held
    np.testing.assert_allclose(held, [3.0, 4.0], rtol=1e-6)


def test_clip_grad_norm_below_the_limit_leaves_gradients_alone() -> None:
    (a,) = _with_grads([0.3, 0.4])
    assert clip_grad_norm_(iter([a]), 10.0).item() == pytest.approx(0.5)   # a generator
    np.testing.assert_array_equal(a.grad, [0.3, 0.4])


def test_clip_grad_norm_infinity_norm_and_other_orders() -> None:
    a, b = _with_grads([1.0, -6.0], [2.0, 2.0])
    assert clip_grad_norm_([a, b], 3.0, norm_type="inf").item() == pytest.approx(6.0)
    np.testing.assert_allclose(a.grad, np.array([1.0, -6.0]) * 3 / (6 + 1e-6))
    (c,) = _with_grads([1.0, 2.0, 3.0])
    assert clip_grad_norm_([c], 100.0, norm_type=1).item() == pytest.approx(6.0)


def test_clip_grad_norm_skips_parameters_without_a_gradient() -> None:
    layer = Linear(2, 1)
    layer.weight.grad = np.array([[6.0, 8.0]], np.float32)     # the bias has none
    assert clip_grad_norm_(layer.parameters(), 5.0).item() == pytest.approx(10.0)
    assert layer.bias.grad is None
    np.testing.assert_allclose(layer.weight.grad, [[3.0, 4.0]], rtol=1e-5)
    assert clip_grad_norm_([layer.bias], 1.0).item() == 0.0      # nothing to clip


def test_clip_grad_norm_on_values_and_zero_d_tensors() -> None:
    a, b = Value(1.0), Value(1.0)
    (3 * a + 4 * b).backward()
    c = Tensor(2.0, requires_grad=True)
    (c * 12.0).backward()                                # a 0-d gradient: 12
    assert clip_grad_norm_([a, b, c], 6.5).item() == pytest.approx(13.0)
    assert isinstance(a.grad, float) and a.grad == pytest.approx(1.5, rel=1e-6)
    assert float(c.grad) == pytest.approx(6.0, rel=1e-6) and c.grad.dtype == np.float32


def test_clip_grad_norm_refuses_bad_arguments() -> None:
    (a,) = _with_grads([1.0])
    with pytest.raises(ValueError, match="clip_grad_norm_: max_norm must be >= 0"):
        clip_grad_norm_([a], -1.0)
    with pytest.raises(ValueError, match="norm_type must be > 0"):
        clip_grad_norm_([a], 1.0, norm_type=0)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray"):
        clip_grad_norm_([np.ones(2)], 1.0)
    a.grad = np.array([math.inf])
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_clamps_each_number() -> None:
    a, b = _with_grads([2.0, -4.0], [6.0, 0.5])
    held = a.grad
    assert clip_grad_value_([a, b], 3.0) is None
    assert a.grad is held
    np.testing.assert_array_equal(a.grad, [2.0, -3.0])
    np.testing.assert_array_equal(b.grad, [3.0, 0.5])
    v = Value(1.0)
    (v * -5).backward()
    clip_grad_value_([v], 2.0)
    assert v.grad == -2.0
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        clip_grad_value_([a], -1.0)


def test_nn_utils_is_reachable_as_in_pytorch() -> None:
    import nn
    assert nn.utils is utils and nn.utils.clip_grad_norm_ is clip_grad_norm_


def test_a_nan_total_makes_every_gradient_nan_as_in_pytorch() -> None:
    """min(1.0, nan) is 1.0: the other gradients were left unclipped and a NaN hid in one."""
    a, b = _with_grads([np.nan, 2.0], [30.0, 40.0])
    v = Value(0.0)
    v.grad = 50.0
    assert math.isnan(clip_grad_norm_([a, b, v], 1.0).item())
    assert np.isnan(a.grad).all() and np.isnan(b.grad).all() and math.isnan(v.grad)


def test_an_infinite_total_zeroes_the_finite_numbers_without_a_numpy_warning() -> None:
    (a,) = _with_grads([math.inf, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # numpy's "invalid value" warning
        assert clip_grad_norm_([a], 1.0).item() == math.inf
    assert np.isnan(a.grad[0]) and a.grad[1] == 0.0


def test_read_only_gradient_arrays_are_replaced_not_misread() -> None:
    """A read-only .grad (np.broadcast_to, a frozen array) went to np.ndarray(g * factor), which
    reads its argument as a shape."""
    for clip, expected in ((lambda p: clip_grad_norm_(p, 3.0), 3 / (6 + 1e-6) * 3.0),
                           (lambda p: clip_grad_value_(p, 2.0), 2.0)):
        (a,) = _with_grads([0.0])
        a.grad = np.broadcast_to(np.float32(3.0), (4,))  # read-only; norm 6
        clip([a])
        assert a.grad.shape == (4,) and a.grad.dtype == np.float32
        np.testing.assert_allclose(a.grad, expected, rtol=1e-6)


def test_clipping_matches_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="optional cross-check against PyTorch: "
                                                "pip install torch")
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(3, 4)), rng.normal(size=5) * 10, np.array([np.nan, 1.0])]
    for used, norm_type in (([0, 1], 2.0), ([0, 1], 1.0), ([0, 1], 0.5), ([0, 1], math.inf),
                            ([0, 1, 2], 2.0)):
        ours = _with_grads(*[[0.0]] * len(used))
        theirs = [torch.zeros(arrays[i].shape, dtype=torch.float64) for i in used]
        for p, t, i in zip(ours, theirs, used):
            p.grad, t.grad = arrays[i].copy(), torch.tensor(arrays[i])
        total = clip_grad_norm_(ours, 1.5, norm_type=norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type=norm_type)
        np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
        torch.nn.utils.clip_grad_value_(theirs, 0.3)
        clip_grad_value_(ours, 0.3)
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


def test_clipping_takes_pytorch_s_foreach_keyword() -> None:
    """A ported `clip_grad_norm_(model.parameters(), 1.0, foreach=True)` runs: `foreach` picks
    PyTorch's implementation, never the numbers."""
    (w,) = _with_grads([3.0, 4.0])
    assert clip_grad_norm_([w], 1.0, foreach=True).item() == pytest.approx(5.0)
    clip_grad_value_([w], 0.5, foreach=None)
    np.testing.assert_allclose(w.grad, [0.5, 0.5])


def test_float32_gradients_beyond_float32_squares_are_still_clipped() -> None:
    """The docstring's promise: the total is summed in float64, so 1e20 (whose square overflows
    float32) gives a finite total and gradients scaled, not zeroed."""
    w = Tensor(np.zeros(2, np.float32), requires_grad=True)
    w.grad = np.full(2, 1e20, np.float32)
    assert clip_grad_norm_([w], 1.0).item() == pytest.approx(math.sqrt(2) * 1e20, rel=1e-6)
    np.testing.assert_allclose(w.grad, [0.5 ** 0.5] * 2, rtol=1e-6)


# -- parameters unrolled into one vector (the lectures' θ; torch.nn.utils' pair) --------------

def test_parameters_round_trip_through_one_vector_in_parameter_order() -> None:
    model = MLP(3, [4], 2, dtype="float64")
    theta = np.arange(model.num_parameters(), dtype=np.float64)
    vector_to_parameters(theta, model.parameters())
    np.testing.assert_array_equal(model[0].weight.data, theta[:12].reshape(4, 3))
    np.testing.assert_array_equal(model[2].bias.data, theta[-2:])
    np.testing.assert_array_equal(parameters_to_vector(model.parameters()).data, theta)


def test_the_unrolled_vector_backpropagates_into_the_parameters() -> None:
    model = MLP(2, [3], 1, dtype="float64")
    theta = parameters_to_vector(model.parameters())
    (theta * theta).sum().backward()
    grads = parameters_to_vector(p.grad for p in model.parameters())     # arrays unroll too
    np.testing.assert_allclose(grads.data, 2 * theta.data, rtol=1e-15)
    assert not grads.requires_grad
    weights = [Tensor(np.array([[0.3, -1.2], [2.0, 0.5]]), requires_grad=True),
               Tensor(np.array([0.7, -0.1]), requires_grad=True)]
    assert gradcheck(lambda w, b: parameters_to_vector([w, b]).tanh(), *weights)


def test_vector_to_parameters_refuses_a_vector_of_the_wrong_size_or_shape() -> None:
    model = MLP(2, [3], 1)                                    # 9 + 4 = 13 numbers
    before = parameters_to_vector(model.parameters()).data.copy()
    with pytest.raises(ValueError, match=r"vector has 12 numbers but the parameters hold 13 "
                                         r"\(\(3, 2\), \(3,\), \(1, 3\), \(1,\)\)"):
        vector_to_parameters(np.zeros(12), model.parameters())
    with pytest.raises(ValueError, match=r"vector must be 1-d, got shape \(13, 1\)"):
        vector_to_parameters(np.zeros((13, 1)), model.parameters())
    np.testing.assert_array_equal(parameters_to_vector(model.parameters()).data, before)


def test_parameters_to_vector_names_what_it_cannot_unroll() -> None:
    model = MLP(2, [3], 1)
    with pytest.raises(TypeError, match=r"item 0 is None \(a parameter's .grad before any "
                                        r"backward\(\)\?\)"):
        parameters_to_vector(p.grad for p in model.parameters())
    with pytest.raises(TypeError, match=r"item 1 is a Value.*\[p.data for p in parameters\]"):
        parameters_to_vector([Tensor([1.0]), Value(2.0)])
    with pytest.raises(ValueError, match="got no parameters"):
        parameters_to_vector([])
    with pytest.raises(TypeError, match="parameter 0 is a Value, not a Tensor"):
        vector_to_parameters([1.0], [Value(2.0)])


def test_vector_round_trip_matches_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="optional cross-check against PyTorch: "
                                                "pip install torch")
    model = MLP(3, [4], 2, dtype="float64")
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                               torch.nn.Linear(4, 2)).double()
    twin.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})
    theirs = torch.nn.utils.parameters_to_vector(twin.parameters()).detach().numpy()
    np.testing.assert_array_equal(parameters_to_vector(model.parameters()).data, theirs)
    new = np.random.default_rng(0).normal(size=theirs.size)
    vector_to_parameters(new, model.parameters())
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new), twin.parameters())
    for key, value in twin.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value.numpy())


def test_a_foreign_tensor_is_named_with_its_package():
    """A torch tensor passed by mistake was 'a Tensor, not a Tensor or Value'."""
    Foreign = type("Tensor", (), {"__module__": "torch"})
    with pytest.raises(TypeError, match=r"parameter 0 is a torch\.Tensor, not a Tensor or Value"):
        utils.clip_grad_norm_([Foreign()], 1.0)
    with pytest.raises(TypeError, match=r"SGD: parameter 0 is a torch\.Tensor; an optimizer"):
        SGD([Foreign()], lr=0.1)


def test_get_total_norm_and_clip_grads_with_norm_are_clip_grad_norm_in_two_halves(rng):
    """PyTorch 2.6's split of clip_grad_norm_: the same total and the same clipped gradients."""
    def model_grads():
        a = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
        b = Tensor(rng.normal(size=5), requires_grad=True)
        ((a * a).sum() * 3 + (b * b * b).sum()).backward()
        return a, b

    for norm_type in (2.0, 1.0, "inf"):
        a, b = model_grads()
        a2, b2 = Tensor(a.data, requires_grad=True), Tensor(b.data, requires_grad=True)
        a2.grad, b2.grad = a.grad.copy(), b.grad.copy()
        total = get_total_norm([a.grad, Tensor(b.grad), None], norm_type=norm_type)
        clip_grads_with_norm_([a, b], 0.5, total)
        assert total.item() == clip_grad_norm_([a2, b2], 0.5, norm_type=norm_type).item()
        np.testing.assert_array_equal(a.grad, a2.grad)
        np.testing.assert_array_equal(b.grad, b2.grad)
    with pytest.raises(TypeError, match="total_norm must be one number"):
        clip_grads_with_norm_([a], 1.0, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="get_total_norm: the total 2.0-norm .* is inf"):
        get_total_norm([np.array([np.inf])], error_if_nonfinite=True)


def test_get_total_norm_and_clip_grads_with_norm_match_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5) * 10]
    ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.copy(), torch.tensor(g)
    total = get_total_norm([p.grad for p in ours], norm_type=3.0)
    expected = torch.nn.utils.get_total_norm([q.grad for q in theirs], norm_type=3.0)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-14)
    clip_grads_with_norm_(ours, 1.5, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 1.5, expected)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-14)


def test_clip_grad_norm_within_the_bound_leaves_the_gradients_as_they_are() -> None:
    """A factor of 1 is not applied (s31): the same arrays, the same numbers."""
    a, b = _with_grads([0.3, -0.4], [0.0, 0.1])
    before = a.grad
    total = clip_grad_norm_([a, b], 1.0).item()
    assert total == pytest.approx(math.sqrt(0.09 + 0.16 + 0.01))
    assert a.grad is before and a.grad.tolist() == pytest.approx([0.3, -0.4])


def test_clip_grad_norm_sums_the_squares_in_float64() -> None:
    """The 2-norm's Σ g² by products in float64: float32 gradients of 1e30 (whose squares
    overflow float32) give the right total, as the per-parameter norms did."""
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(shape).astype(np.float32) * 1e30 for shape in [(3, 4), (5,)]]
    params = [Tensor(np.zeros(g.shape, np.float32), requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    expected = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
    assert clip_grad_norm_(params, 1.0).item() == pytest.approx(expected, rel=1e-6)
    assert math.sqrt(sum((p.grad.astype(np.float64) ** 2).sum() for p in params)) == \
        pytest.approx(1.0, rel=1e-5)
