"""PyTorch compatibility of weights: a glassgrad model's `state_dict()` is PyTorch's (names,
shapes, order, layout) and a PyTorch state_dict loads back. The suite proves it without torch
(PyTorch's layout is written out, and a small fake tensor stands in for torch.Tensor); with torch
installed, the real round trip runs too, strict, in both directions, and without it the same
checks run on PyTorch's state dicts and numbers recorded in tests/reference/pytorch_compat.npz."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, manual_seed
from nn import MLP, Linear, Module, ReLU, Sequential, SoftmaxRegression, load, save
from reference import (
    as_array, assert_matches, draw, drawn_state, layout, prefixed, recorded, under,
)

try:
    import torch
except ImportError:                             # optional: everything above the fold still runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check: pip install torch)")

# What torch.nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).state_dict() holds:
# names, order and shapes (weight (out_features, in_features)).
TORCH_LAYOUT = [("0.weight", (8, 4)), ("0.bias", (8,)), ("2.weight", (3, 8)), ("2.bias", (3,))]


def _net(seed: int) -> Sequential:
    manual_seed(seed)
    return Sequential(Linear(4, 8), ReLU(), Linear(8, 3))


def _inputs() -> np.ndarray:
    return np.random.default_rng(5).normal(size=(6, 4)).astype(np.float32)


class FakeTorchTensor:
    """The part of torch.Tensor that loading touches: `.detach()`, `.cpu()`, `.numpy()`. Like
    torch, `.numpy()` refuses while the tensor requires grad."""

    def __init__(self, array: np.ndarray, requires_grad: bool = False) -> None:
        self.array, self.requires_grad = np.array(array), requires_grad

    def detach(self) -> FakeTorchTensor:
        return FakeTorchTensor(self.array)

    def cpu(self) -> FakeTorchTensor:
        return self

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad.")
        return self.array


def test_state_dict_has_pytorchs_names_order_and_shapes():
    for model in (_net(0), MLP(4, [8], 3)):
        assert [(k, v.shape) for k, v in model.state_dict().items()] == TORCH_LAYOUT


def test_the_glassgrad_only_models_use_the_same_layout():
    """SoftmaxRegression is one Linear: weight (classes, features), like scikit-learn's coef_."""
    state = SoftmaxRegression(4, 3).state_dict()
    assert [(k, v.shape) for k, v in state.items()] == [("linear.weight", (3, 4)),
                                                         ("linear.bias", (3,))]


def test_outputs_follow_pytorchs_formula_from_the_state_dict():
    """torch.nn.functional.linear computes x Wᵀ + b from these very arrays."""
    model, x = _net(1), _inputs()
    s = {name: value.numpy() for name, value in model.state_dict().items()}
    hidden = np.maximum(x @ s["0.weight"].T + s["0.bias"], 0)
    np.testing.assert_allclose(model(Tensor(x)).numpy(), hidden @ s["2.weight"].T + s["2.bias"],
                               rtol=1e-5, atol=1e-6)


def test_a_state_dict_of_tensor_like_objects_loads_even_when_they_require_grad():
    source, target, x = _net(2), _net(3), _inputs()
    fake = {k: FakeTorchTensor(v, requires_grad=True) for k, v in source.state_dict().items()}
    target.load_state_dict(fake)
    assert np.array_equal(target(Tensor(x)).numpy(), source(Tensor(x)).numpy())


def test_save_takes_tensor_like_values_and_the_file_loads_into_a_model(tmp_path):
    source = _net(4)
    save({k: FakeTorchTensor(v) for k, v in source.state_dict().items()}, tmp_path / "t.npz")
    target = _net(5).load(tmp_path / "t.npz")
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        assert np.array_equal(a, b), name


# -- the real thing: asked live where PyTorch is installed, else as recorded --------------------

def _torch_net() -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


class Tied(Module):
    """The decoder is the encoder: one layer, two names."""

    def __init__(self):
        self.enc = Linear(3, 3)
        self.dec = self.enc


def _torch_tied() -> torch.nn.Module:
    """Tied in torch.nn."""
    tied = torch.nn.Module()
    tied.enc = torch.nn.Linear(3, 3)
    tied.dec = tied.enc
    return tied


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/pytorch_compat.npz: the torch net's state dict with drawn numbers
    ("net/"), its outputs y on _inputs() x and the gradients of y.sum() ("net.grad/"), and a
    tied model's state dict ("tied/")."""
    rng = draw()
    net, x = _torch_net(), _inputs()
    state = drawn_state(rng, net.state_dict())
    net.load_state_dict({name: torch.from_numpy(value) for name, value in state.items()})
    y = net(torch.from_numpy(x))
    y.sum().backward()
    tied = _torch_tied()
    tied.enc.load_state_dict({name: torch.from_numpy(value) for name, value in
                              drawn_state(rng, tied.enc.state_dict()).items()})
    return {"x": x, "y": as_array(y), **prefixed("net", state),
            **prefixed("net.grad", {name: p.grad for name, p in net.named_parameters()}),
            **prefixed("tied", tied.state_dict())}


@needs_torch
def test_glassgrad_weights_load_strict_into_pytorch_and_give_the_same_outputs():
    model, x = _net(6), _inputs()
    torch_model = _torch_net()
    torch_model.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-5)


@needs_torch
def test_tied_layers_state_dicts_match_pytorchs_both_ways():
    ours, theirs = Tied(), _torch_tied()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())                   # strict: no unexpected dec.*
    np.testing.assert_array_equal(ours.dec.weight.data, theirs.enc.weight.detach().numpy())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in Tied().state_dict().items()})


@needs_torch
def test_pytorch_weights_load_strict_into_glassgrad_and_give_the_same_outputs(tmp_path):
    """Straight from the tensors (even parameters that require grad), via numpy, and via a file."""
    torch.manual_seed(0)
    torch_model, x = _torch_net(), _inputs()
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    save(torch_model.state_dict(), tmp_path / "from_torch.npz")
    sources = [torch_model.state_dict(), dict(torch_model.named_parameters()),
               {k: v.numpy() for k, v in torch_model.state_dict().items()},
               load(tmp_path / "from_torch.npz")]
    for i, state in enumerate(sources):
        model = _net(7)
        model.load_state_dict(state)
        np.testing.assert_allclose(model(Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-5,
                                   err_msg=f"source {i}")


@needs_torch
def test_gradients_match_pytorchs_in_the_same_layout():
    """After one backward, each parameter's gradient equals PyTorch's, name for name."""
    model, x = _net(8), _inputs()
    torch_model = _torch_net()
    torch_model.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})
    model(Tensor(x)).sum().backward()
    torch_model(torch.from_numpy(x)).sum().backward()
    torch_grads = {k: p.grad.numpy() for k, p in torch_model.named_parameters()}
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, torch_grads[name], rtol=1e-5, atol=1e-5,
                                   err_msg=name)


def test_state_dict_is_pytorchs_recorded_one_in_names_order_shapes_and_dtypes():
    """So it loads strict into the torch net (PyTorch checks names and shapes)."""
    theirs = under("net", recorded("pytorch_compat"))
    assert list(_net(0).state_dict()) == list(theirs)
    assert layout(_net(0).state_dict()) == layout(theirs)


def test_pytorchs_recorded_weights_give_pytorchs_outputs_and_gradients():
    """PyTorch's state dict loads strict, is given back unchanged by state_dict() (what
    PyTorch would load from us), and gives PyTorch's outputs and gradients, name for name."""
    theirs = recorded("pytorch_compat")
    model = _net(7)
    model.load_state_dict(under("net", theirs))
    assert_matches(model.state_dict(), under("net", theirs), rtol=0, atol=0)
    y = model(Tensor(theirs["x"]))
    np.testing.assert_allclose(y.numpy(), theirs["y"], rtol=1e-5, atol=1e-6)
    y.sum().backward()
    assert_matches({name: p.grad for name, p in model.named_parameters()},
                   under("net.grad", theirs), rtol=1e-5, atol=1e-6)


def test_tied_layers_state_dict_is_pytorchs_recorded_one():
    """Each name of the shared layer listed, as PyTorch does; PyTorch's loads back strict."""
    theirs = under("tied", recorded("pytorch_compat"))
    ours = Tied()
    assert layout(ours.state_dict()) == layout(theirs)
    assert list(ours.state_dict()) == list(theirs)
    ours.load_state_dict(theirs)
    assert ours.dec is ours.enc
    assert_matches(ours.state_dict(), theirs, rtol=0, atol=0)


@needs_torch
def test_a_hand_written_rnn_trains_as_pytorchs_does():
    """A character RNN from Tensor ops (h = tanh(W_xh[x] + h W_hh + b)), cross-entropy at each
    step, truncated BPTT (h.detach() between chunks), clip_grad_norm_ and Adam: the same losses
    and weights as the same code in PyTorch, step after step."""
    from autograd import functional as AF
    from nn import Parameter
    from nn.optim import Adam
    from nn.utils import clip_grad_norm_
    rng = np.random.default_rng(0)
    weights = {"W_xh": rng.normal(size=(6, 8)), "W_hh": rng.normal(size=(8, 8)) * 0.5,
               "b_h": np.zeros(8), "W_hy": rng.normal(size=(8, 6)), "b_y": np.zeros(6)}
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    text = rng.integers(0, 6, size=(3, 2, 6))              # 3 chunks, batch 2, 5 steps + 1

    def train(params, zeros, detach, cross_entropy, clip, optimizer, tanh):
        h, norms = zeros, []
        for chunk in text:
            optimizer.zero_grad()
            loss = 0
            for t in range(5):
                h = tanh(params["W_xh"][chunk[:, t]] + h @ params["W_hh"] + params["b_h"])
                loss = loss + cross_entropy(h @ params["W_hy"] + params["b_y"], chunk[:, t + 1])
            (loss / 5).backward()
            norms.append(clip(list(params.values()), 0.5).item())    # clipped every chunk
            optimizer.step()
            h = detach(h)
        return norms

    ours = {k: Parameter(v.copy()) for k, v in weights.items()}
    our_norms = train(ours, Tensor(np.zeros((2, 8), np.float32)), lambda h: h.detach(),
                      AF.cross_entropy, clip_grad_norm_, Adam(list(ours.values()), lr=0.01),
                      lambda z: z.tanh())
    theirs = {k: torch.nn.Parameter(torch.from_numpy(v.copy())) for k, v in weights.items()}
    their_norms = train(theirs, torch.zeros(2, 8), lambda h: h.detach(),
                        lambda z, y: torch.nn.functional.cross_entropy(z, torch.from_numpy(y)),
                        torch.nn.utils.clip_grad_norm_, torch.optim.Adam(theirs.values(), lr=0.01),
                        torch.tanh)
    assert min(our_norms) > 0.5                            # so clipping really scaled them
    np.testing.assert_allclose(our_norms, their_norms, rtol=1e-5)
    for name, p in ours.items():
        np.testing.assert_allclose(p.data, theirs[name].detach().numpy(), rtol=1e-5, atol=1e-6)
