"""nn.utils.parametrizations: weight_norm and spectral_norm against PyTorch from the same state
(asked live where torch is installed, else as recorded in
tests/reference/utils_parametrizations.npz): outputs, gradients of the originals, the power
iteration's u and v after steps in training mode and none in eval mode; finite differences
through a Linear and a Conv2d; PyTorch's state-dict keys; the errors."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, gradcheck_parameters
from nn import Conv1d, Conv2d, ConvTranspose2d, Linear
from nn.utils.parametrizations import orthogonal, spectral_norm, weight_norm
from nn.utils.parametrize import is_parametrized, remove_parametrizations

from reference import as_array, assert_matches, drawn_state, record_cases, recorded_case

# (layer, its arguments, the input's shape, the parametrization, its options)
CASES = {
    "weight_norm-linear": ("Linear", (3, 4), (5, 3), "weight_norm", {}),
    "weight_norm-linear-dim=None": ("Linear", (3, 4), (5, 3), "weight_norm", {"dim": None}),
    "weight_norm-conv2d-dim=1": ("Conv2d", (2, 3, 2), (1, 2, 3, 3), "weight_norm", {"dim": 1}),
    # a 1-d tensor: each element its own g (it was one g for the whole bias)
    "weight_norm-linear-bias": ("Linear", (3, 4), (5, 3), "weight_norm", {"name": "bias"}),
    "spectral_norm-linear": ("Linear", (3, 4), (5, 3), "spectral_norm", {}),
    "spectral_norm-conv2d-dim=1": ("Conv2d", (2, 3, 2), (2, 2, 4, 4), "spectral_norm",
                                   {"dim": 1}),
    "spectral_norm-conv2d": ("Conv2d", (2, 3, 2), (2, 2, 4, 4), "spectral_norm", {}),
    "spectral_norm-convtranspose2d-2-steps": ("ConvTranspose2d", (2, 3, 2), (1, 2, 2, 2),
                                              "spectral_norm", {"n_power_iterations": 2}),
    "orthogonal-tall-householder": ("Linear", (3, 5), (2, 3), "orthogonal", {}),
    "orthogonal-square-matrix_exp": ("Linear", (3, 3), (2, 3), "orthogonal", {}),
    "orthogonal-wide-cayley": ("Linear", (5, 3), (2, 5), "orthogonal",
                               {"orthogonal_map": "cayley"}),
    "orthogonal-tall-matrix_exp-no-base": ("Linear", (3, 5), (2, 3), "orthogonal",
                                           {"orthogonal_map": "matrix_exp",
                                            "use_trivialization": False}),
    "orthogonal-wide-householder-no-base": ("Linear", (5, 3), (2, 5), "orthogonal",
                                            {"orthogonal_map": "householder",
                                             "use_trivialization": False}),
    # a weight of more dimensions: a batch of matrices, its last two axes (kh × kw here)
    "orthogonal-conv2d-square-matrix_exp": ("Conv2d", (2, 3, 2), (1, 2, 3, 3), "orthogonal",
                                            {}),
    "orthogonal-conv2d-tall-householder": ("Conv2d", (2, 3, (3, 2)), (1, 2, 4, 3),
                                           "orthogonal", {}),
    "orthogonal-conv2d-wide-cayley": ("Conv2d", (2, 2, (2, 3)), (1, 2, 3, 4), "orthogonal",
                                      {"orthogonal_map": "cayley"}),
    "orthogonal-conv1d-wide-householder-no-base": ("Conv1d", (3, 2, 4), (1, 3, 5),
                                                   "orthogonal",
                                                   {"orthogonal_map": "householder",
                                                    "use_trivialization": False}),
    "orthogonal-conv1d-tall-matrix_exp-no-base": ("Conv1d", (3, 2, 2), (1, 3, 4),
                                                  "orthogonal",
                                                  {"orthogonal_map": "matrix_exp",
                                                   "use_trivialization": False}),
}
# recorded: these (the reference files share a size budget); all are asked live
RECORDED = ["weight_norm-conv2d-dim=1", "weight_norm-linear-bias",
            "spectral_norm-convtranspose2d-2-steps",
            "orthogonal-tall-householder", "orthogonal-square-matrix_exp",
            "orthogonal-conv2d-tall-householder", "orthogonal-conv2d-wide-cayley"]
OURS = {"Linear": Linear, "Conv1d": Conv1d, "Conv2d": Conv2d,
        "ConvTranspose2d": ConvTranspose2d}


def ours(case, functions=None):
    """The case's glassgrad layer, in float64, parametrized."""
    layer, args, _, how, options = case
    functions = functions or {"weight_norm": weight_norm, "spectral_norm": spectral_norm,
                              "orthogonal": orthogonal}
    return functions[how](OURS[layer](*args, dtype="float64"), **options)


def case_inputs(rng, case, make=ours):
    """A state drawn for the case's parametrized layer (u and v too), the input x and g, the
    weights of the loss Σ g ⊙ output."""
    model = make(case)
    state = drawn_state(rng, model.state_dict())
    if case[3] == "orthogonal":
        # Householder takes each column's sign from the diagonal; PyTorch truncates it to an
        # int, which gives the same signs for ±1.5 (drawn in [-1, 1] it would truncate to 0)
        original = state["parametrizations.weight.original"]
        on = np.arange(min(original.shape[-2:]))
        original[..., on, on] = rng.choice([-1.5, 1.5], original.shape[:-2] + on.shape)
    x = rng.standard_normal(case[2])
    model.load_state_dict(state)
    g = rng.standard_normal(model(Tensor(x)).shape)
    return {**{f"state.{k}": v for k, v in state.items()}, "x": x, "g": g}


def results(model, x, g, to_tensor):
    """Two steps in training mode (each runs the power iteration; the gradients add up), then
    the output in eval mode (no power iteration): outputs, gradients, buffers."""
    model.train()
    for _ in range(2):
        output = model(to_tensor(x))
        (output * to_tensor(g)).sum().backward()
    found = {"output": as_array(output),
             **{f"{name}.grad": as_array(p.grad) for name, p in model.named_parameters()},
             **{name: as_array(b) for name, b in model.named_buffers()}}
    model.eval()
    found["output.eval"] = as_array(model(to_tensor(x)))
    return found


def state_of(inputs):
    return {key[len("state."):]: value for key, value in inputs.items()
            if key.startswith("state.")}


def glassgrad_results(case, x, g, make=ours, **inputs):
    model = make(case)
    model.load_state_dict(state_of(inputs))
    return results(model, x, g, Tensor)


def torch_layer(torch, case, style="parametrizations"):
    """The case's torch layer, in float64, parametrized (`style` "hooks": the older ones)."""
    layer, args, _, how, options = case
    model = getattr(torch.nn, layer)(*args, dtype=torch.float64)
    where = torch.nn.utils.parametrizations if style == "parametrizations" else torch.nn.utils
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # the older weight_norm is deprecated
        return getattr(where, how)(model, **options)


def torch_results(torch, case, x, g, style="parametrizations", **inputs):
    model = torch_layer(torch, case, style)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state_of(inputs).items()})
    return results(model, x, g, torch.from_numpy)


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/utils_parametrizations.npz: each case's inputs and PyTorch's results,
    then orthogonal's weights after registering and assigning (see MADE_ORTHOGONAL)."""
    return {**record_cases(RECORDED, [CASES[name] for name in RECORDED], case_inputs,
                           functools.partial(torch_results, torch)),
            **made_orthogonal_reference(torch)}


def inputs_of(recorded):
    return {k: v for k, v in recorded.items() if k.startswith("state.") or k in ("x", "g")}


@pytest.mark.parametrize("case_id", list(CASES))
def test_matches_pytorch_from_the_same_state(rng, case_id):
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    inputs = case_inputs(rng, CASES[case_id])
    theirs = torch_results(torch, CASES[case_id], **inputs)
    assert_matches(glassgrad_results(CASES[case_id], **inputs), theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case_id", RECORDED)
def test_matches_pytorchs_recorded_numbers(case_id):
    theirs = recorded_case("utils_parametrizations", case_id)
    inputs = inputs_of(theirs)
    assert_matches(glassgrad_results(CASES[case_id], **inputs), theirs, rtol=1e-10, atol=1e-12,
                   inputs=tuple(inputs))


@pytest.mark.parametrize("case_id", RECORDED)
def test_the_state_dict_has_pytorchs_keys_and_shapes(case_id):
    """The recorded state is the torch layer's, so its keys and shapes are PyTorch's."""
    theirs = state_of(recorded_case("utils_parametrizations", case_id))
    mine = ours(CASES[case_id]).state_dict()
    assert {k: v.shape for k, v in mine.items()} == {k: v.shape for k, v in theirs.items()}
    assert list(mine) == list(theirs)


# -- gradients, finite differences ---------------------------------------------------------------

@pytest.mark.parametrize("layer, x_shape, dim", [
    (lambda: Linear(3, 4, dtype="float64"), (5, 3), 0),
    (lambda: Linear(3, 4, dtype="float64"), (5, 3), 1),
    (lambda: Linear(3, 4, dtype="float64"), (5, 3), None),
    (lambda: Conv2d(2, 3, 2, dtype="float64"), (2, 2, 4, 4), 0),
    (lambda: Conv2d(2, 3, 2, dtype="float64"), (2, 2, 4, 4), -2),
])
def test_weight_norm_gradients_match_finite_differences(rng, layer, x_shape, dim):
    model = weight_norm(layer(), dim=dim)
    x, g = Tensor(rng.standard_normal(x_shape)), None
    g = Tensor(rng.standard_normal(model(x).shape))
    assert gradcheck_parameters(lambda: (model(x).tanh() * g).sum(), model.named_parameters(),
                                atol=1e-7)


@pytest.mark.parametrize("layer, x_shape", [
    (lambda: Linear(3, 4, dtype="float64"), (5, 3)),
    (lambda: Conv2d(2, 3, 2, dtype="float64"), (2, 2, 4, 4)),
])
def test_spectral_norm_gradients_match_finite_differences(rng, layer, x_shape):
    """In eval mode (u and v fixed: in training mode each evaluation moves them)."""
    model = spectral_norm(layer()).eval()
    x = Tensor(rng.standard_normal(x_shape))
    g = Tensor(rng.standard_normal(model(x).shape))
    assert gradcheck_parameters(lambda: (model(x).tanh() * g).sum(), model.named_parameters(),
                                atol=1e-7)


# -- what a user sees --------------------------------------------------------------------------

def test_an_optimizer_trains_the_originals_and_the_weight_follows(rng):
    model = weight_norm(Linear(3, 2, dtype="float64"))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["bias", "parametrizations.weight.original0",
                     "parametrizations.weight.original1"]
    g, v = model.parametrizations.weight.original0, model.parametrizations.weight.original1
    before = model.weight.data.copy()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    model(Tensor(rng.standard_normal((4, 3)))).sum().backward()
    optimizer.step()
    assert g.grad is not None and v.grad is not None
    expected = g.data * v.data / np.linalg.norm(v.data, axis=1, keepdims=True)
    np.testing.assert_allclose(model.weight.data, expected)
    assert not np.allclose(model.weight.data, before)


def test_weight_norm_keeps_the_weight_and_stores_its_norms():
    model = Conv2d(2, 3, 2, dtype="float64")
    weight = model.weight.data.copy()
    weight_norm(model, dim=1)
    np.testing.assert_allclose(model.weight.data, weight)
    np.testing.assert_allclose(model.parametrizations.weight.original0.data,
                               np.sqrt((weight ** 2).sum(axis=(0, 2, 3), keepdims=True)))


def test_dim_none_and_minus_one_take_the_norm_of_the_whole_weight_as_in_pytorch():
    for dim in (None, -1):
        model = weight_norm(Linear(3, 4, dtype="float64"), dim=dim)
        g = model.parametrizations.weight.original0
        assert g.shape == ()
        np.testing.assert_allclose(g.data, np.linalg.norm(model.weight.data))


def test_spectral_norm_divides_by_the_largest_singular_value():
    autograd.manual_seed(0)     # (a fixed weight: unseeded, 16 of 300 draws had sigma_2 so
    model = spectral_norm(Linear(5, 4, dtype="float64"))    # near sigma_1 that 30 steps of
    original = model.parametrizations.weight.original.data  # the iteration fell short)
    for _ in range(300):                            # power iteration, in training mode
        model.weight
    model.eval()
    np.testing.assert_allclose(model.weight.data,
                               original / np.linalg.svd(original, compute_uv=False)[0])


def test_spectral_norm_s_u_and_v_and_orthogonal_s_base_are_constant_tensors():
    """As PyTorch's buffers (they were ndarrays): u.clone(), u.size(0); the power iteration
    writes into them in place, so a state dict taken before follows, and a load writes into
    the same Tensors."""
    model = spectral_norm(Linear(5, 4, dtype="float64"))
    norm = model.parametrizations.weight[0]
    u, v = norm._u, norm._v
    assert type(u) is Tensor and type(v) is Tensor and not u.requires_grad
    assert u.size(0) == 4 and v.size(0) == 5
    state, kept = model.state_dict(), u.clone()
    model.weight                                        # training mode: one power iteration
    assert norm._u is u and not np.array_equal(kept.numpy(), u.numpy())
    np.testing.assert_array_equal(state["parametrizations.weight.0._u"].numpy(), u.numpy())
    model.load_state_dict({**state, "parametrizations.weight.0._v": np.ones(5) / 5 ** 0.5})
    assert norm._v is v and np.allclose(v.numpy(), 5 ** -0.5)
    layer = orthogonal(Linear(3, 5, dtype="float64"))
    base = layer.parametrizations.weight[0].base
    assert type(base) is Tensor and not base.requires_grad and base.shape == (5, 5)
    w = layer.weight.data
    np.testing.assert_allclose(w.T @ w, np.eye(3), atol=1e-12)


def test_spectral_norm_moves_u_and_v_in_training_mode_only():
    model = spectral_norm(Linear(5, 4, dtype="float64"), n_power_iterations=3)
    u = model.parametrizations.weight[0]._u
    kept = u.clone()
    model.eval()
    model.weight
    np.testing.assert_array_equal(u, kept)
    model.train()
    model.parametrizations.weight.original.data[...] = np.eye(4, 5)[::-1] * np.arange(1, 6)
    model.weight
    assert not np.allclose(u, kept)
    assert model.state_dict()["parametrizations.weight.0._u"] is not None
    np.testing.assert_array_equal(model.state_dict()["parametrizations.weight.0._u"].numpy(), u)


def test_spectral_norm_of_a_1d_weight_is_its_norm():
    model = Linear(3, 2)
    model.register_buffer("scale", np.array([3.0, 4.0]))
    spectral_norm(model, "scale")
    np.testing.assert_allclose(model.scale.data, [0.6, 0.8])
    assert [name for name, _ in model.named_buffers()] == ["parametrizations.scale.original"]


def test_spectral_norm_of_a_transposed_convolution_normalises_its_output_channels():
    model = spectral_norm(ConvTranspose2d(2, 5, 3))
    layer = model.parametrizations.weight[0]
    assert (layer.dim, layer._u.shape, layer._v.shape) == (1, (5,), (18,))


def test_the_repr_shows_the_parametrization():
    assert repr(spectral_norm(weight_norm(Linear(3, 4)))) == (
        "ParametrizedLinear(\n"
        "  in_features=3, out_features=4, bias=True\n"
        "  (parametrizations): ModuleDict(\n"
        "    (weight): ParametrizationList(\n"
        "      (0): _WeightNorm()\n"
        "      (1): _SpectralNorm()\n"
        "    )\n"
        "  )\n"
        ")")


def test_removing_weight_norm_leaves_the_weight_as_a_parameter():
    model = weight_norm(Linear(3, 4, dtype="float64"))
    weight = model.weight.data.copy()
    remove_parametrizations(model, "weight")
    assert type(model) is Linear and not is_parametrized(model)
    assert isinstance(model.weight, nn.Parameter)
    np.testing.assert_allclose(model.weight.data, weight)
    with pytest.raises(ValueError, match="computed from 2 tensors"):
        remove_parametrizations(weight_norm(Linear(3, 4)), "weight", leave_parametrized=False)


@pytest.mark.parametrize("call, error, message", [
    (lambda: weight_norm(Linear(3, 4), "wieght"), ValueError,
     r"weight_norm: Linear has no parameter or buffer 'wieght' .*\['weight', 'bias'\]"),
    (lambda: weight_norm(Linear(3, 4), dim=2), IndexError,
     r"weight_norm: dim=2 is out of range for the 2-d 'weight' \(expected -2 to 1\)"),
    (lambda: spectral_norm(Conv2d(1, 2, 3), dim=-5), IndexError,
     r"spectral_norm: dim=-5 is out of range for the 4-d 'weight' \(expected -4 to 3\)"),
    (lambda: spectral_norm(Linear(3, 4), n_power_iterations=0), ValueError,
     "n_power_iterations must be a positive int, got 0"),
    (lambda: spectral_norm(Linear(3, 4), eps=0), ValueError, "eps must be a positive number"),
    (lambda: weight_norm(Linear(3, 4), "0.weight"), ValueError, "pass the sub-module"),
    (lambda: weight_norm(Linear(3, 4), dim=1.0), TypeError, "dim must be an int"),
])
def test_mistakes_are_refused_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- orthogonal ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 3)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal_weights_are_orthogonal_and_their_gradients_match_finite_differences(
        rng, shape, orthogonal_map, use_trivialization):
    model = orthogonal(Linear(*shape, dtype="float64"), orthogonal_map=orthogonal_map,
                       use_trivialization=use_trivialization)
    w = model.weight.data
    small = min(w.shape)
    np.testing.assert_allclose(w.T @ w if w.shape[0] > w.shape[1] else w @ w.T, np.eye(small),
                               atol=1e-12)
    original = model.parametrizations.weight.original
    original.data[...] = rng.uniform(-1, 1, original.shape)
    np.fill_diagonal(original.data, 1.5)        # (householder: signs +1, see case_inputs)
    x = Tensor(rng.standard_normal((4, shape[0])))
    assert gradcheck_parameters(lambda: (model(x).tanh() ** 2).sum(), model.named_parameters(),
                                atol=1e-7)
    w = model.weight.data
    np.testing.assert_allclose(w.T @ w if w.shape[0] > w.shape[1] else w @ w.T, np.eye(small),
                               atol=1e-12)


def test_orthogonal_keeps_an_orthogonal_weight_and_its_default_map():
    model = Linear(3, 3, dtype="float64")
    model.weight.data[...] = np.linalg.qr(np.arange(9.0).reshape(3, 3) + np.eye(3))[0]
    weight = model.weight.data.copy()
    orthogonal(model)
    assert model.parametrizations.weight[0].orthogonal_map == "matrix_exp"
    np.testing.assert_allclose(model.weight.data, weight, atol=1e-12)
    assert orthogonal(Linear(3, 5)).parametrizations.weight[0].orthogonal_map == "householder"


@pytest.mark.parametrize("call, error, message", [
    (lambda: orthogonal(Linear(3, 4), "bias"), ValueError,
     r"orthogonal: Linear.bias has 1 dimension, shape \(4,\); a matrix or a batch of "
     r"matrices \(\.\.\., n, k\) was expected"),
    (lambda: orthogonal(Linear(3, 4), orthogonal_map="qr"), ValueError,
     "orthogonal_map must be one of"),
])
def test_orthogonal_mistakes_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- orthogonal: a batch of matrices (a weight of more than 2 dimensions) ------------------------

def each_matrix_error(w):
    """The largest |QᵀQ − I| (Q Qᵀ for wide matrices) over the matrices of the batch w."""
    tall = w.shape[-2] >= w.shape[-1]
    gram = w.swapaxes(-2, -1) @ w if tall else w @ w.swapaxes(-2, -1)
    return np.abs(gram - np.eye(min(w.shape[-2:]))).max()


def drawn_original(rng, model):
    """The original drawn in [-1, 1] with ±1.5 on each matrix's diagonal (see case_inputs):
    a weight far from the one at registration."""
    original = model.parametrizations.weight.original
    drawn = rng.uniform(-1, 1, original.shape)
    on = np.arange(min(original.shape[-2:]))
    drawn[..., on, on] = rng.choice([-1.5, 1.5], original.shape[:-2] + on.shape)
    original.data[...] = drawn


@pytest.mark.parametrize("kernel", [(2, 2), (3, 2), (2, 3)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_each_matrix_of_a_conv_weight_is_orthogonal_and_the_gradients_match_finite_differences(
        rng, kernel, orthogonal_map, use_trivialization):
    """Conv2d's weight (out, in, kh, kw): out × in matrices kh × kw (it used to be refused)."""
    model = orthogonal(Conv2d(2, 3, kernel, dtype="float64"), orthogonal_map=orthogonal_map,
                       use_trivialization=use_trivialization)
    assert model.weight.shape == (3, 2) + kernel
    assert each_matrix_error(model.weight.data) < 1e-12
    drawn_original(rng, model)
    assert each_matrix_error(model.weight.data) < 1e-12
    x = Tensor(rng.standard_normal((1, 2, 4, 4)))
    assert gradcheck_parameters(lambda: (model(x).tanh() ** 2).sum(), model.named_parameters(),
                                atol=1e-7)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("kernel", [3, (3, 2), (2, 3)])
def test_float32_batches_are_orthogonal_to_single_precision(rng, orthogonal_map,
                                                            use_trivialization, kernel):
    model = orthogonal(Conv2d(2, 4, kernel), orthogonal_map=orthogonal_map,
                       use_trivialization=use_trivialization)
    assert model.weight.data.dtype == np.float32
    assert each_matrix_error(model.weight.data) < 1e-6
    drawn_original(rng, model)
    assert model.weight.data.dtype == np.float32
    assert each_matrix_error(model.weight.data) < 1e-6


def test_a_conv1d_weight_is_a_batch_over_its_first_axis():
    model = orthogonal(Conv1d(3, 4, 5, dtype="float64"))
    assert model.parametrizations.weight[0].orthogonal_map == "householder"
    assert model.parametrizations.weight[0].base.shape == (4, 5, 5)     # n × n, n = 5
    assert each_matrix_error(model.weight.data) < 1e-12


def test_a_batch_of_orthogonal_matrices_is_kept_at_registration():
    model = Conv2d(2, 3, 3, dtype="float64")
    rotations = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 2, 3, 3)))[0]
    model.weight.data[...] = rotations
    orthogonal(model)
    np.testing.assert_allclose(model.weight.data, rotations, atol=1e-12)


# What registering and assigning give, as PyTorch: a drawn weight (not orthogonal) made
# orthogonal matrix by matrix (the Q of its QR, R's diagonal positive), on both paths; these
# are deterministic (a tall matrix's completion to a square base is drawn at random, but it
# does not reach the weight), so PyTorch's numbers are recorded too.
MADE_ORTHOGONAL = [case_id for case_id in CASES if case_id.startswith("orthogonal-conv")]


def registration_inputs(rng, case):
    layer, args, _, _, options = case
    shape = OURS[layer](*args).weight.shape
    return {"weight": rng.uniform(-1, 1, shape), "value": rng.uniform(-1, 1, shape)}


def registered_and_assigned(case, weight, value, make, to_tensor):
    """The weight after registering the case's parametrization on a layer holding `weight`,
    and after assigning `value` to it (not possible for matrix_exp and cayley without
    trivialization)."""
    model = make(case, weight)
    found = {"registered": as_array(model.weight)}
    if case[4].get("use_trivialization", True) or case[4]["orthogonal_map"] == "householder":
        model.weight = to_tensor(value)
        found["assigned"] = as_array(model.weight)
    return found


def ours_holding(case, weight):
    layer, args, _, _, options = case
    model = OURS[layer](*args, dtype="float64")
    model.weight.data[...] = weight
    return orthogonal(model, **options)


def torch_holding(torch, case, weight):
    layer, args, _, _, options = case
    model = getattr(torch.nn, layer)(*args, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(weight))
    return torch.nn.utils.parametrizations.orthogonal(model, **options)


def torch_registered_and_assigned(torch, case, weight, value):
    return registered_and_assigned(case, weight, value, functools.partial(torch_holding, torch),
                                   torch.from_numpy)


def made_orthogonal_reference(torch):
    return record_cases([f"registered-{case_id}" for case_id in MADE_ORTHOGONAL],
                        [CASES[case_id] for case_id in MADE_ORTHOGONAL], registration_inputs,
                        functools.partial(torch_registered_and_assigned, torch))


@pytest.mark.parametrize("case_id", MADE_ORTHOGONAL)
def test_registering_and_assigning_make_each_matrix_orthogonal_as_pytorch(case_id):
    theirs = recorded_case("utils_parametrizations", f"registered-{case_id}")
    inputs = {"weight": theirs["weight"], "value": theirs["value"]}
    mine = registered_and_assigned(CASES[case_id], **inputs, make=ours_holding, to_tensor=Tensor)
    assert_matches(mine, theirs, rtol=1e-10, atol=1e-12, inputs=tuple(inputs))
    for value in mine.values():
        assert each_matrix_error(value) < 1e-12


def test_assigning_to_matrix_exp_without_trivialization_is_refused_as_in_pytorch(rng):
    model = orthogonal(Conv2d(2, 3, 2), orthogonal_map="matrix_exp", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        model.weight = rng.uniform(-1, 1, (3, 2, 2, 2)).astype(np.float32)
    with pytest.raises(ValueError, match=r"the weight has shape \(3, 2, 2, 2\), the value "
                                         r"assigned \(3, 2, 2, 3\)"):
        orthogonal(Conv2d(2, 3, 2)).weight = np.zeros((3, 2, 2, 3), np.float32)


@pytest.mark.parametrize("layer", [lambda: Linear(3, 5), lambda: Conv2d(2, 3, (3, 2))])
def test_weight_decay_does_not_zero_a_householder_weight(rng, layer):
    """Householder's signs were the diagonal truncated to an int (PyTorch's rule): AdamW's
    default weight decay moved the -1s to -0.9999 in one step and the weight became 0."""
    model = orthogonal(layer(), orthogonal_map="householder")
    optimizer = nn.optim.AdamW(model.parameters(), lr=0.01)
    x = Tensor(rng.standard_normal((2,) + ((3,) if isinstance(model, Linear) else (2, 4, 4)))
               .astype(np.float32))
    for _ in range(2):
        optimizer.zero_grad()
        (model(x) ** 2).mean().backward()
        optimizer.step()
    assert each_matrix_error(model.weight.data) < 1e-6
    original = model.parametrizations.weight.original
    on = np.arange(min(original.shape[-2:]))
    original.data[..., on, on] = rng.choice([-0.5, 0.0, 0.5, 2.5], original.shape[:-2] + on.shape)
    assert each_matrix_error(model.weight.data) < 1e-6


def test_an_assignment_refused_for_its_dtype_leaves_the_weight_as_it_was(rng):
    """`base` was replaced before the dtype was refused: the weight changed anyway."""
    model = orthogonal(Conv2d(2, 3, 3, dtype="float64"))
    before = model.weight.data.copy()
    with pytest.raises(TypeError, match="orthogonal: the weight holds float64, the value "
                                        "assigned is float32"):
        model.weight = rng.uniform(-1, 1, (3, 2, 3, 3)).astype(np.float32)
    np.testing.assert_array_equal(model.weight.data, before)
