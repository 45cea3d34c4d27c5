"""PyTorch's `inplace=True` (and F.relu_, F.elu_, ...): the activation or dropout written into
its input, which it returns, as PyTorch 2.13 does. Checked against live torch (values, the
returned object, gradients, refusals) and against central finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck, no_grad
from nn import functional as F

from torch_helpers import needs_torch, torch

# name, glassgrad's call, PyTorch's call (each given the tensor h to change, returns the result)
CASES = [
    ("relu", lambda h: F.relu(h, inplace=True), lambda T, h: T.relu(h, inplace=True)),
    ("relu_", F.relu_, lambda T, h: T.relu_(h)),
    ("relu6", lambda h: F.relu6(h, inplace=True), lambda T, h: T.relu6(h, inplace=True)),
    ("leaky_relu", lambda h: F.leaky_relu(h, 0.1, inplace=True),
     lambda T, h: T.leaky_relu(h, 0.1, inplace=True)),
    ("elu", lambda h: F.elu(h, 0.5, inplace=True), lambda T, h: T.elu(h, 0.5, inplace=True)),
    ("selu", lambda h: F.selu(h, inplace=True), lambda T, h: T.selu(h, inplace=True)),
    ("celu", lambda h: F.celu(h, 2.0, inplace=True), lambda T, h: T.celu(h, 2.0, inplace=True)),
    ("hardtanh", lambda h: F.hardtanh(h, -1.0, 0.5, inplace=True),
     lambda T, h: T.hardtanh(h, -1.0, 0.5, inplace=True)),
    ("hardsigmoid", lambda h: F.hardsigmoid(h, inplace=True),
     lambda T, h: T.hardsigmoid(h, inplace=True)),
    ("hardswish", lambda h: F.hardswish(h, inplace=True),
     lambda T, h: T.hardswish(h, inplace=True)),
    ("silu", lambda h: F.silu(h, inplace=True), lambda T, h: T.silu(h, inplace=True)),
    ("mish", lambda h: F.mish(h, inplace=True), lambda T, h: T.mish(h, inplace=True)),
    ("threshold", lambda h: F.threshold(h, 0.1, 3.0, inplace=True),
     lambda T, h: T.threshold(h, 0.1, 3.0, inplace=True)),
    ("elu_", lambda h: F.elu_(h, 0.5), lambda T, h: T.elu_(h, 0.5)),
    ("leaky_relu_", lambda h: F.leaky_relu_(h, 0.2), lambda T, h: T.leaky_relu_(h, 0.2)),
    ("hardtanh_", lambda h: F.hardtanh_(h, -0.5, 2.0), lambda T, h: T.hardtanh_(h, -0.5, 2.0)),
    ("threshold_", lambda h: F.threshold_(h, 0.0, -2.0), lambda T, h: T.threshold_(h, 0.0, -2.0)),
    ("celu_", lambda h: F.celu_(h, 0.5), lambda T, h: T.celu_(h, 0.5)),
    ("selu_", F.selu_, lambda T, h: T.selu_(h)),
    # dropout whose mask is fixed: every element dropped (p = 1), none (p = 0), evaluation
    ("dropout p=1", lambda h: F.dropout(h, 1.0, True, inplace=True),
     lambda T, h: T.dropout(h, 1.0, True, inplace=True)),
]
# these give back their input itself, untouched, as PyTorch's do: no write, so no refusal
IDENTITIES = [
    ("dropout p=0", lambda h: F.dropout(h, 0.0, True, inplace=True),
     lambda T, h: T.dropout(h, 0.0, True, inplace=True)),
    ("dropout eval", lambda h: F.dropout(h, 0.5, False, inplace=True),
     lambda T, h: T.dropout(h, 0.5, False, inplace=True)),
    ("dropout3d eval", lambda h: F.dropout3d(h, 0.5, False, inplace=True),
     lambda T, h: T.dropout3d(h, 0.5, False, inplace=True)),
]
NAMES = [case[0] for case in CASES]
# PyTorch's hardsigmoid slope is 1/6 in float32 (0.16666667163...), also for float64 tensors
RTOL = {"hardsigmoid": 1e-7}
# points away from every kink (0, ±1, ±3, the thresholds 0.1 and 0.5, hardtanh's edges)
POINTS = np.array([[-2.6, -0.7, 0.23, 0.8], [1.7, -1.4, 0.35, 2.3]])


def _pair(x: np.ndarray, requires_grad: bool = True) -> tuple:
    return (Tensor(x.copy(), requires_grad=requires_grad),
            torch.tensor(x.copy(), requires_grad=requires_grad))


SHAPES = {"2x4": (2, 4), "batch-1": (1, 4), "0-d": ()}


@needs_torch
@pytest.mark.parametrize("name, ours, theirs, shape", [
    pytest.param(*case, shape, id=f"{label}-{case[0]}")
    for label, shape in SHAPES.items() for case in CASES + IDENTITIES
    if "3d" not in case[0] or shape == (2, 4)])      # (channel dropout: a batch of channels)
def test_on_an_ops_result_the_write_is_recorded_as_pytorchs(name, ours, theirs, shape):
    """h = x * w (w broadcast along the rows): f(h) is h, with PyTorch's numbers, and the
    gradients of x and w through the write are PyTorch's."""
    rng = np.random.default_rng(len(name))
    x_np = POINTS[:shape[0]] if shape else np.array(POINTS[0, 2])
    w_np = rng.uniform(0.8, 1.2, shape[-1:] if shape else ())
    if "3d" in name:
        x_np, w_np = x_np.reshape(1, 2, 4, 1, 1), w_np.reshape(4, 1, 1)
    (x, tx), (w, tw) = _pair(x_np), _pair(w_np)
    h, th = x * w, tx * tw
    out, tout = ours(h), theirs(torch.nn.functional, th)
    assert out is h and tout is th
    np.testing.assert_allclose(h.data, th.detach().numpy(), rtol=1e-12, atol=1e-15)
    upstream = rng.uniform(0.5, 1.5, h.shape)
    (h * Tensor(upstream)).sum().backward()
    (th * torch.tensor(upstream)).sum().backward()
    rtol = RTOL.get(name, 1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=rtol, atol=1e-15)


@pytest.mark.parametrize("name, ours, theirs", CASES, ids=NAMES)
def test_the_recorded_write_matches_finite_differences(name, ours, theirs):
    """float64, at points away from the kinks, with a weight broadcast along the rows."""
    w = Tensor(np.array([1.1, 0.9, 1.05, 0.95]), requires_grad=True)
    x = Tensor(POINTS.copy(), requires_grad=True)

    def f(x, w):
        h = x * w
        assert ours(h) is h
        return (h * h).sum() + h.sum()
    assert gradcheck(f, x, w)


@needs_torch
@pytest.mark.parametrize("name, ours, theirs", CASES, ids=NAMES)
def test_a_leaf_that_requires_grad_is_refused_while_recording(name, ours, theirs):
    """As PyTorch refuses it ("a leaf Variable that requires grad is being used in an in-place
    operation"); under no_grad() both write into it and return it."""
    x, tx = _pair(POINTS)
    with pytest.raises(RuntimeError, match=r"\(inplace=True\): the input requires grad .* "
                                           r"pass inplace=False"):
        ours(x)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        theirs(torch.nn.functional, tx)
    np.testing.assert_array_equal(x.data, POINTS)          # refused before any write
    with no_grad():
        assert ours(x) is x
    with torch.no_grad():
        assert theirs(torch.nn.functional, tx) is tx
    np.testing.assert_allclose(x.data, tx.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert x.requires_grad and x.is_leaf


@needs_torch
@pytest.mark.parametrize("name, ours, theirs", CASES + IDENTITIES, ids=NAMES + [
    case[0] for case in IDENTITIES])
def test_a_constant_is_written_in_place(name, ours, theirs):
    x, tx = _pair(POINTS, requires_grad=False)
    if "3d" in name:
        x, tx = x.reshape(1, 2, 4, 1, 1), tx.reshape(1, 2, 4, 1, 1)
    assert ours(x) is x and theirs(torch.nn.functional, tx) is tx
    np.testing.assert_allclose(x.data, tx.numpy(), rtol=1e-12, atol=1e-15)
    assert not x.requires_grad


@needs_torch
@pytest.mark.parametrize("name, ours, theirs", CASES, ids=NAMES)
def test_an_op_that_used_h_before_the_write_cannot_backpropagate(name, ours, theirs):
    """y = h * h used h's old numbers: after the write its backward refuses, in both."""
    x, tx = _pair(POINTS)
    h, th = x * 2.0, tx * 2.0
    y, ty = h * h, th * th
    ours(h)
    theirs(torch.nn.functional, th)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()
    with pytest.raises(RuntimeError, match=r"backward of mul: its input 0 .* was written in "
                                           r"place .* after this op used it"):
        y.sum().backward()


@needs_torch
@pytest.mark.parametrize("name, ours, theirs", IDENTITIES, ids=[c[0] for c in IDENTITIES])
def test_the_identities_write_nothing_and_refuse_nothing(name, ours, theirs):
    """Evaluation and p = 0 give back the input itself in PyTorch, a parameter too."""
    x, tx = _pair(POINTS)
    if "3d" in name:
        x, tx = x.reshape(1, 2, 4, 1, 1), tx.reshape(1, 2, 4, 1, 1)
    assert ours(x) is x and theirs(torch.nn.functional, tx) is tx
    h, th = x * 2.0, tx * 2.0
    y, ty = h * h, th * th
    assert ours(h) is h and theirs(torch.nn.functional, th) is th
    y.sum().backward()
    ty.sum().backward()


def test_where_pytorch_refuses_an_output_its_op_kept_glassgrad_differentiates():
    """h = x.exp(); F.relu(h, inplace=True): PyTorch's backward refuses (exp kept its output,
    which the write changed); glassgrad's exp keeps the numbers from before the write, so the
    gradient is right (a documented difference: code that runs in PyTorch runs the same)."""
    x = Tensor(np.array([-0.3, 0.8]), requires_grad=True)

    def f(x):
        h = x.exp() - 1.5
        F.relu(h, inplace=True)
        return (h * h).sum()
    assert gradcheck(f, x)


def test_inplace_wants_a_tensor_and_a_dtype_that_holds_the_result():
    with pytest.raises(TypeError, match=r"^relu\(inplace=True\) changes a Tensor in place, got "
                                        r"ndarray; pass inplace=False for a new tensor"):
        F.relu(np.array([1.0, -1.0]), inplace=True)
    with pytest.raises(TypeError, match=r"^dropout\(inplace=True\) changes a Tensor in place, "
                                        r"got list"):
        F.dropout([1.0, 2.0], 0.5, True, inplace=True)
    with pytest.raises(TypeError, match=r"^hardtanh\(inplace=True\) changes a Tensor"):
        nn.ReLU6(inplace=True)([1.0, -1.0])
    integers = Tensor(np.array([-2, 3]))
    assert F.relu(integers, inplace=True) is integers and integers.tolist() == [0, 3]
    with pytest.raises(TypeError, match=r"elu\(inplace=True\): cannot update the tensor .* "
                                        r"int64"):
        F.elu(Tensor(np.array([-2, 3])), inplace=True)


MODULES = [
    nn.ReLU(inplace=True), nn.ReLU6(inplace=True), nn.LeakyReLU(0.2, inplace=True),
    nn.ELU(0.7, inplace=True), nn.SELU(inplace=True), nn.CELU(1.5, inplace=True),
    nn.Hardtanh(-0.5, 0.5, inplace=True), nn.Hardsigmoid(inplace=True),
    nn.Hardswish(inplace=True), nn.SiLU(inplace=True), nn.Mish(inplace=True),
    nn.Threshold(0.2, -1.0, inplace=True),
]


@needs_torch
@pytest.mark.parametrize("module", MODULES, ids=[type(m).__name__ for m in MODULES])
def test_modules_with_inplace_write_into_their_input_as_pytorchs(module):
    theirs = eval("torch.nn." + repr(module))          # the same repr, PyTorch's arguments
    x, tx = _pair(POINTS)
    h, th = x * 1.3, tx * 1.3
    assert module(h) is h and theirs(th) is th
    np.testing.assert_allclose(h.data, th.detach().numpy(), rtol=1e-12, atol=1e-15)
    h.sum().backward()
    th.sum().backward()
    rtol = RTOL.get(type(module).__name__.lower(), 1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=rtol, atol=1e-15)


def _nets(drop: str, seed: int = 0) -> tuple:
    """The same float64 weights in two small nets: Linear-ReLU(inplace)-Dropout(inplace)-Linear,
    glassgrad's, and PyTorch's with `drop` ("module": its own Dropout(inplace=True); "mask": the
    mask glassgrad's drew, multiplied out of place: see below)."""
    ours = nn.Sequential(nn.Linear(4, 6), nn.ReLU(inplace=True),
                         nn.Dropout(0.4, np.random.default_rng(seed), inplace=True),
                         nn.Linear(6, 3)).double()
    layers = [torch.nn.Linear(4, 6), torch.nn.ReLU(inplace=True)]
    layers += [torch.nn.Dropout(0.4, inplace=True)] if drop == "module" else []
    layers += [torch.nn.Linear(6, 3)]
    theirs = torch.nn.Sequential(*layers).double()
    with torch.no_grad():
        for a, b in zip([ours[0], ours[3]], [layers[0], layers[-1]]):
            b.weight.copy_(torch.tensor(a.weight.data))
            b.bias.copy_(torch.tensor(a.bias.data))
    return ours, theirs, (layers[0], layers[-1])


@needs_torch
@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
def test_a_small_net_with_inplace_relu_and_dropout_trains_as_pytorchs(training):
    """Values and parameter gradients, in evaluation (PyTorch's own Dropout(inplace=True)) and
    in training (the mask glassgrad's dropout drew, on PyTorch's side out of place: its
    in-place dropout after ReLU(inplace=True) cannot backpropagate, as relu kept its output;
    glassgrad's relu keeps the numbers from before the write, so the net trains)."""
    ours, theirs, (first, last) = _nets("mask" if training else "module")
    ours.train(training)
    theirs.train(training)
    x = np.random.default_rng(1).normal(size=(5, 4))
    out = ours(Tensor(x))
    if training:
        # the mask ours drew (a generator seeded as the net's), applied in place on torch's side
        mask = nn.Dropout(0.4, np.random.default_rng(0))(Tensor(np.ones((5, 6)))).data
        t_out = last(torch.relu_(first(torch.tensor(x))) * torch.tensor(mask))
    else:
        t_out = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12)
    (out * out).sum().backward()
    (t_out * t_out).sum().backward()
    for a, b in zip([ours[0], ours[3]], [first, last]):
        np.testing.assert_allclose(a.weight.grad, b.weight.grad.numpy(), rtol=1e-11)
        np.testing.assert_allclose(a.bias.grad, b.bias.grad.numpy(), rtol=1e-11)


def test_inplace_dropout_in_training_is_the_out_of_place_one_written_into_h():
    """The same generator: the same mask, numbers and gradients as without inplace, and h is
    the result; channel dropout too."""
    for make, shape in ((nn.Dropout, (6, 5)), (nn.Dropout1d, (3, 4, 5)),
                        (nn.Dropout2d, (2, 4, 3, 3)), (nn.Dropout3d, (2, 4, 2, 2, 2))):
        results = []
        for inplace in (False, True):
            w = Tensor(np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape),
                       requires_grad=True)
            h = w * 3.0
            out = make(0.5, np.random.default_rng(5), inplace=inplace)(h)
            assert (out is h) == inplace
            (out * out).sum().backward()
            results.append((out.data.copy(), w.grad.copy()))
        np.testing.assert_array_equal(results[0][0], results[1][0])
        np.testing.assert_array_equal(results[0][1], results[1][1])


@needs_torch
def test_pytorchs_relu_then_dropout_both_in_place_refuses_where_glassgrads_is_right():
    """PyTorch: nn.ReLU(inplace=True) then nn.Dropout(inplace=True) in training cannot
    backpropagate (the dropout changed relu's kept output); glassgrad's gradient is the finite
    differences' (the mask fixed: a generator made again at each call)."""
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(inplace=True),
                                 torch.nn.Dropout(0.5, inplace=True)).double()
    with pytest.raises(RuntimeError, match="output 0 of Relu.*modified|modified.*output 0 of "
                                           "Relu"):
        theirs(torch.ones(2, 3, dtype=torch.float64)).sum().backward()
    x = Tensor(np.array([[0.3, -0.8, 1.1], [0.5, 0.2, -0.4]]), requires_grad=True)
    w = Tensor(np.array([[0.9, -0.6, 0.4], [-0.7, 0.8, 0.3], [0.5, 0.5, -0.9],
                         [0.2, -0.4, 0.6]]), requires_grad=True)

    def f(x, w):
        h = x @ w.T
        nn.ReLU(inplace=True)(h)
        nn.Dropout(0.5, np.random.default_rng(2), inplace=True)(h)
        return (h * h).sum()
    assert gradcheck(f, x, w)


def test_relu_module_shows_inplace_as_pytorch_prints_it():
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)" and repr(nn.ReLU()) == "ReLU()"


@pytest.mark.parametrize("held", ["nothing", "the array", "a numpy view", "a tensor view",
                                  "a numpy share"])
def test_the_write_hands_its_array_over_only_where_nothing_else_sees_it(held):
    """A recorded write gives h the op's new array (no copy, no write back) only when nothing
    else can see h's array; otherwise it writes into h's own array, which whatever holds it
    then shows. Either way: the same numbers, the same gradients, and the old history
    (exp, which reads its output in backward) keeps the old numbers."""
    x = Tensor(np.linspace(-2.0, 1.0, 6).reshape(2, 3), requires_grad=True)
    h = (x * 2.0).exp() - 2.0
    seen = {"nothing": lambda: None, "the array": lambda: h.data,
            "a numpy view": lambda: h.data[0], "a tensor view": lambda: h[0],
            "a numpy share": lambda: h.numpy()}[held]()
    before = id(h.data)                                  # (an id: holding it would count)
    expected = np.maximum(h.data, 0.0)
    assert F.relu(h, inplace=True) is h
    np.testing.assert_array_equal(h.data, expected)
    assert (id(h.data) == before) == (held != "nothing")  # written into, or handed over
    if held != "nothing":
        np.testing.assert_array_equal(np.asarray(seen.data if isinstance(seen, Tensor)
                                                 else seen), expected[0] if "view" in held
                                      else expected)
    (h * np.arange(6.0).reshape(2, 3)).sum().backward()
    step = (np.exp(2.0 * x.data) - 2.0 > 0)
    np.testing.assert_allclose(x.grad, np.arange(6.0).reshape(2, 3) * step * 2.0
                               * np.exp(2.0 * x.data), rtol=1e-12)
