"""`nn.utils.prune`, PyTorch's `torch.nn.utils.prune`: the masks each method computes, the
reparametrisation (`weight_orig` the Parameter, `weight_mask` a buffer, `weight` recomputed
before each forward), iterative pruning among what is left, `remove`, global and structured
pruning, checkpoints, and the errors. With torch installed the same calls are made in PyTorch
from the same weights, and masks, state-dict keys, outputs and gradients compared."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nn
from autograd import Tensor, manual_seed, no_grad
from nn import Conv2d, Linear, ReLU, Sequential
from nn.optim import SGD
from nn.utils import prune

try:
    import torch
    import torch.nn.utils.prune as torch_prune
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="optional cross-check against PyTorch: "
                                 "pip install torch")


def _linear(weight: np.ndarray, bias: bool = True) -> Linear:
    layer = Linear(weight.shape[1], weight.shape[0], bias=bias)
    layer.weight.data[...] = weight
    return layer


def _random(shape: tuple, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _pruned_fraction(mask: Tensor) -> float:
    return float(1 - mask.numpy().mean())


# -- the reparametrisation -------------------------------------------------------------------

def test_l1_unstructured_prunes_the_smallest_and_reparametrises_as_pytorch():
    w = np.array([[0.1, -0.5, 0.2, 0.9], [-0.3, 0.05, 0.7, -0.4]], np.float32)
    layer = _linear(w)
    weight = layer.weight
    assert prune.l1_unstructured(layer, "weight", amount=3) is layer
    assert layer.weight_mask.numpy().tolist() == [[0, 1, 0, 1], [1, 0, 1, 1]]
    assert layer.weight_orig is weight                  # the Parameter itself moved
    assert isinstance(layer.weight_orig, nn.Parameter)
    assert not isinstance(layer.weight, nn.Parameter)
    assert layer.weight_mask.dtype == np.float32        # the weight's dtype, as PyTorch's
    np.testing.assert_array_equal(layer.weight.numpy(), w * layer.weight_mask.numpy())
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in layer.named_buffers()] == ["weight_mask"]
    assert list(layer.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert prune.is_pruned(Sequential(layer)) and not prune.is_pruned(Linear(2, 2))


def test_the_weight_is_recomputed_before_each_forward_and_pruned_entries_get_no_gradient():
    manual_seed(0)
    layer = Linear(5, 3)
    prune.l1_unstructured(layer, "weight", amount=0.6)
    opt = SGD(layer.parameters(), lr=0.5)
    x = _random((4, 5), 1)
    for _ in range(3):
        opt.zero_grad()
        (layer(x) ** 2).sum().backward()
        mask = layer.weight_mask.numpy()
        assert np.all(layer.weight_orig.grad[mask == 0] == 0)
        assert np.any(layer.weight_orig.grad[mask == 1] != 0)
        opt.step()
    before = layer.weight.numpy().copy()
    layer(x)                                            # the pre-hook recomputes it
    assert not np.array_equal(before, layer.weight.numpy())
    np.testing.assert_array_equal(layer.weight.numpy(),
                                  layer.weight_orig.numpy() * layer.weight_mask.numpy())
    assert np.all(layer.weight.numpy()[layer.weight_mask.numpy() == 0] == 0)


def test_the_gradient_of_weight_orig_is_the_finite_difference_one():
    manual_seed(1)
    layer = Linear(4, 3).double()
    prune.l1_unstructured(layer, "weight", amount=0.5)
    x = np.random.default_rng(2).normal(size=(5, 4))

    def loss() -> Tensor:
        return (layer(x).tanh() ** 2).sum()

    layer.zero_grad()
    loss().backward()
    grad = layer.weight_orig.grad.copy()
    numeric = np.zeros_like(grad)
    h = 1e-6
    with no_grad():
        for i in np.ndindex(*grad.shape):
            layer.weight_orig.data[i] += h
            up = loss().item()
            layer.weight_orig.data[i] -= 2 * h
            down = loss().item()
            layer.weight_orig.data[i] += h
            numeric[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    assert np.all(grad[layer.weight_mask.numpy() == 0] == 0)    # exactly, not just small


def test_a_second_pruning_acts_on_the_entries_left():
    manual_seed(2)
    layer = Linear(10, 10)
    prune.l1_unstructured(layer, "weight", amount=0.5)
    first = layer.weight_mask.numpy().copy()
    prune.l1_unstructured(layer, "weight", amount=0.5)     # half of the 50 left
    assert _pruned_fraction(layer.weight_mask) == 0.75
    assert np.all(layer.weight_mask.numpy() <= first)      # what was pruned stays pruned
    prune.l1_unstructured(layer, "weight", amount=5)       # a count: 5 of the 25 left
    assert layer.weight_mask.numpy().sum() == 20
    # PyTorch's tutorial finds the hook in the module's dict of hooks
    for hook in layer._forward_pre_hooks.values():
        if hook._tensor_name == "weight":
            break
    assert len(layer._forward_pre_hooks) == 1 and isinstance(hook, prune.PruningContainer)
    assert [type(m).__name__ for m in hook] == ["L1Unstructured"] * 3
    assert list(layer.state_dict()) == ["bias", "weight_orig", "weight_mask"]


def test_a_second_pruning_ranks_the_weights_as_they_are_now():
    layer = _linear(np.array([[1.0, 2.0, 3.0, 4.0]], np.float32))
    prune.l1_unstructured(layer, "weight", amount=1)       # prunes 1.0
    with no_grad():
        layer.weight_orig.data[...] = [[1.0, 5.0, 0.5, 4.0]]  # as an optimizer step would
    prune.l1_unstructured(layer, "weight", amount=1)       # 0.5 now, not the stale 2.0
    assert layer.weight_mask.numpy().tolist() == [[0, 1, 0, 1]]


def test_amounts_are_rounded_as_python_and_pytorch_round():
    for size, amount, pruned in [(5, 0.5, 2), (5, 0.3, 2), (7, 0.5, 4), (4, 0.125, 0),
                                 (4, 1.0, 4), (4, 0.0, 0), (4, 0, 0), (4, 4, 4)]:
        layer = _linear(_random((1, size)))
        prune.l1_unstructured(layer, "weight", amount)
        assert size - layer.weight_mask.numpy().sum() == pruned, (size, amount)


def test_ties_prune_the_first_entries_and_the_first_channels():
    layer = _linear(np.ones((2, 5), np.float32))
    prune.l1_unstructured(layer, "weight", amount=3)
    assert layer.weight_mask.numpy().tolist() == [[0, 0, 0, 1, 1], [1, 1, 1, 1, 1]]
    layer = _linear(np.array([[2.0, 1.0], [1.0, 1.0], [3.0, 0.0], [1.0, 1.0]], np.float32))
    prune.ln_structured(layer, "weight", amount=2, n=1, dim=0)     # norms 3, 2, 3, 2
    assert layer.weight_mask.numpy()[:, 0].tolist() == [1, 0, 1, 0]
    prune.l1_unstructured(layer, "bias", amount=0)
    assert layer.bias_mask.numpy().tolist() == [1, 1, 1, 1]


def test_remove_makes_the_pruning_permanent():
    manual_seed(3)
    layer = Linear(6, 4)
    weight = layer.weight
    opt = SGD(layer.parameters(), lr=0.1)
    prune.l1_unstructured(layer, "weight", amount=0.5)
    mask = layer.weight_mask.numpy().copy()
    expected = weight.numpy() * mask
    assert prune.remove(layer, "weight") is layer
    assert layer.weight is weight and isinstance(layer.weight, nn.Parameter)
    np.testing.assert_array_equal(layer.weight.numpy(), expected)
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight"]
    assert list(layer.state_dict()) == ["bias", "weight"]
    assert not hasattr(layer, "weight_orig") and not hasattr(layer, "weight_mask")
    assert not prune.is_pruned(layer)
    layer(_random((2, 6))).sum().backward()
    opt.step()                                          # the optimizer still has the weight
    assert not np.array_equal(layer.weight.numpy(), expected)
    with pytest.raises(ValueError, match="not pruned"):
        prune.remove(layer, "weight")


def test_structured_pruning_removes_whole_channels_among_those_left():
    manual_seed(4)
    conv = Conv2d(2, 6, 3)
    prune.ln_structured(conv, "weight", amount=2, n=2, dim=0)
    dead = conv.weight_mask.numpy().sum(axis=(1, 2, 3)) == 0
    assert dead.sum() == 2
    norms = np.sqrt((conv.weight_orig.numpy() ** 2).sum(axis=(1, 2, 3)))
    assert norms[dead].max() < norms[~dead].min()
    prune.ln_structured(conv, "weight", amount=0.5, n=1, dim=0)   # half of the 4 left
    assert (conv.weight_mask.numpy().sum(axis=(1, 2, 3)) == 0).sum() == 4
    prune.random_structured(conv, "weight", amount=1, dim=1)      # one input channel of 2
    alive = conv.weight_mask.numpy().sum(axis=(0, 2, 3)) != 0
    assert alive.sum() == 1


def test_unstructured_then_structured_keeps_both_masks():
    layer = _linear(_random((4, 6), 5))
    prune.l1_unstructured(layer, "weight", amount=6)
    first = layer.weight_mask.numpy().copy()
    prune.ln_structured(layer, "weight", amount=1, n=float("inf"), dim=0)
    mask = layer.weight_mask.numpy()
    assert np.all(mask <= first) and (mask.sum(axis=1) == 0).sum() == 1


def test_random_pruning_prunes_the_amount_and_repeats_after_manual_seed():
    masks = []
    for _ in range(2):
        layer = _linear(_random((8, 8)))
        manual_seed(7)
        prune.random_unstructured(layer, "weight", amount=0.25)
        masks.append(layer.weight_mask.numpy())
    assert masks[0].sum() == 48
    np.testing.assert_array_equal(*masks)


def test_global_unstructured_ranks_every_layer_together():
    model = Sequential(Linear(8, 8), ReLU(), Linear(8, 4))
    with no_grad():
        model[0].weight.copy_(_random((8, 8), 1) * 0.1)
        model[2].weight.copy_(_random((4, 8), 2))
    pairs = [(model[0], "weight"), (model[2], "weight")]
    prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, amount=0.5)
    everything = np.abs(np.concatenate([model[0].weight_orig.numpy().ravel(),
                                        model[2].weight_orig.numpy().ravel()]))
    kept = np.concatenate([model[0].weight_mask.numpy().ravel(),
                           model[2].weight_mask.numpy().ravel()]) == 1
    assert kept.sum() == 48 and everything[~kept].max() < everything[kept].min()
    assert _pruned_fraction(model[0].weight_mask) > _pruned_fraction(model[2].weight_mask)
    prune.global_unstructured(iter(pairs), pruning_method=prune.L1Unstructured, amount=12)
    assert sum(m.weight_mask.numpy().sum() for m in (model[0], model[2])) == 36


def test_identity_custom_from_mask_and_importance_scores():
    layer = _linear(_random((2, 3)))
    prune.identity(layer, "weight")
    assert layer.weight_mask.numpy().tolist() == [[1, 1, 1], [1, 1, 1]]
    prune.custom_from_mask(layer, "weight", np.array([[1, 0, 1], [0, 1, 1]]))
    prune.custom_from_mask(layer, "weight", Tensor([[1.0, 1, 0], [1, 1, 1]]))
    assert layer.weight_mask.numpy().tolist() == [[1, 0, 0], [0, 1, 1]]
    other = _linear(_random((2, 3)))
    scores = np.array([[6.0, 5, 4], [3, 2, 1]])
    prune.l1_unstructured(other, "weight", amount=2, importance_scores=scores)
    assert other.weight_mask.numpy().tolist() == [[1, 1, 1], [1, 0, 0]]


def test_a_pruning_method_of_ones_own():
    class EveryOther(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    layer = _linear(_random((3, 3)))
    EveryOther.apply(layer, "bias")
    assert layer.bias_mask.numpy().tolist() == [0, 1, 0]
    EveryOther.apply(layer, "bias")                      # every other of those left: [1]
    assert layer.bias_mask.numpy().tolist() == [0, 0, 0]
    np.testing.assert_array_equal(prune.L1Unstructured(amount=1).prune(Tensor([3.0, -1, 2])).numpy(),
                                  [3, 0, 2])


def test_a_pruned_model_copies_and_saves_and_loads(tmp_path):
    manual_seed(5)
    model = Sequential(Linear(4, 6), ReLU(), Linear(6, 2))
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    prune.l1_unstructured(model[2], "bias", amount=1)
    x = _random((3, 4))
    out = model(x).numpy()
    twin = copy.deepcopy(model)
    np.testing.assert_array_equal(twin(x).numpy(), out)
    assert twin[0].weight_orig is not model[0].weight_orig
    for name in ("model.pt", "model.npz"):
        nn.save(model.state_dict(), tmp_path / name)
        manual_seed(9)
        fresh = Sequential(Linear(4, 6), ReLU(), Linear(6, 2))
        with pytest.raises(RuntimeError, match="weight_orig") as err:
            fresh.load_state_dict(nn.load(tmp_path / name))
        assert "prune.identity" in str(err.value)
        prune.identity(fresh[0], "weight")
        prune.identity(fresh[2], "bias")
        fresh.load_state_dict(nn.load(tmp_path / name))
        np.testing.assert_array_equal(fresh(x).numpy(), out)   # the hook recomputes the weight


# -- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, error, words", [
    (-1, ValueError, r"^prune\.L1Unstructured: amount=-1 .*non-negative integer"),
    (1.5, ValueError, r"^prune\.L1Unstructured: amount=1\.5 .*range \[0, 1\]"),
    (-0.1, ValueError, r"range \[0, 1\]"),
    ("0.5", TypeError, r"^prune\.L1Unstructured: Invalid type for amount"),
    (None, TypeError, "Invalid type for amount"), (13, ValueError, "smaller than the number")])
def test_bad_amounts_are_refused_as_pytorch_refuses_them(amount, error, words):
    layer = _linear(_random((3, 4)))
    with pytest.raises(error, match=words):
        prune.l1_unstructured(layer, "weight", amount)
    assert isinstance(layer.weight, nn.Parameter) and not prune.is_pruned(layer)


def test_a_refused_second_pruning_leaves_the_first_in_force():
    layer = _linear(_random((3, 4)))
    prune.l1_unstructured(layer, "weight", amount=6)
    with pytest.raises(ValueError, match="amount=7"):
        prune.l1_unstructured(layer, "weight", amount=7)   # only 6 are left
    assert prune.is_pruned(layer) and layer.weight_mask.numpy().sum() == 6
    layer.weight_orig.data[...] += 1
    layer(_random((1, 4)))
    assert (layer.weight.numpy() == 0).sum() == 6


def test_other_mistakes_say_what_is_wrong():
    layer = Linear(3, 2, bias=False)
    with pytest.raises(AttributeError, match="bias=False"):
        prune.l1_unstructured(layer, "bias", 0.5)
    with pytest.raises(AttributeError, match="its parameters: \\['weight'\\]"):
        prune.l1_unstructured(layer, "weights", 0.5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        prune.ln_structured(Linear(3, 2), "bias", 0.5, n=2, dim=0)
    with pytest.raises(IndexError, match="dim=2"):
        prune.ln_structured(layer, "weight", 0.5, n=2, dim=2)
    with pytest.raises(ValueError, match="shape"):
        prune.custom_from_mask(layer, "weight", np.ones((3, 2)))
    with pytest.raises(ValueError, match="importance_scores"):
        prune.l1_unstructured(layer, "weight", 1, importance_scores=np.ones(6))
    with pytest.raises(TypeError, match="unstructured"):
        prune.global_unstructured([(layer, "weight")], pruning_method=prune.LnStructured,
                                  amount=0.5, n=2, dim=0)
    with pytest.raises(TypeError, match="the class, not an instance"):
        prune.global_unstructured([(layer, "weight")], prune.L1Unstructured(0.5))
    with pytest.raises(TypeError, match="pair"):
        prune.global_unstructured([layer], prune.L1Unstructured, amount=0.5)
    assert not prune.is_pruned(layer)


# -- against PyTorch -------------------------------------------------------------------------

def _torch_twin(model):
    twin = {Linear: lambda m: torch.nn.Linear(m.in_features, m.out_features),
            Conv2d: lambda m: torch.nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size)}
    layers = [twin[type(m)](m) if type(m) in twin else torch.nn.ReLU() for m in model]
    tmodel = torch.nn.Sequential(*layers)
    tmodel.load_state_dict({k: torch.as_tensor(v.numpy().copy())
                            for k, v in model.state_dict().items()})
    return tmodel


def _same_masks(model, tmodel):
    sd, tsd = model.state_dict(), tmodel.state_dict()
    assert list(sd) == list(tsd)
    for key in sd:
        np.testing.assert_array_equal(sd[key].numpy(), tsd[key].numpy(), err_msg=key)


@needs_torch
def test_the_masks_state_dicts_outputs_and_gradients_are_pytorchs():
    manual_seed(11)
    model = Sequential(Conv2d(3, 8, 3), ReLU(), Conv2d(8, 6, 3))
    tmodel = _torch_twin(model)
    steps = [("l1_unstructured", 0, "weight", dict(amount=0.3)),
             ("l1_unstructured", 0, "weight", dict(amount=17)),
             ("ln_structured", 0, "weight", dict(amount=0.25, n=2, dim=0)),
             ("ln_structured", 2, "weight", dict(amount=2, n=1, dim=1)),
             ("ln_structured", 2, "weight", dict(amount=0.5, n=float("inf"), dim=0)),
             ("l1_unstructured", 2, "bias", dict(amount=0.5)),
             ("ln_structured", 0, "weight", dict(amount=1, n=3, dim=3)),
             ("l1_unstructured", 2, "weight", dict(amount=0.4))]
    for fn, i, name, kwargs in steps:
        getattr(prune, fn)(model[i], name, **kwargs)
        getattr(torch_prune, fn)(tmodel[i], name, **kwargs)
        _same_masks(model, tmodel)
    x = _random((2, 3, 9, 9), 3)
    out = model(x)
    tout = tmodel(torch.as_tensor(x))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    (out ** 2).sum().backward()
    (tout ** 2).sum().backward()
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in tmodel.named_parameters()]
    for (name, p), (_, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)
    for i in (0, 2):
        prune.remove(model[i], "weight")
        torch_prune.remove(tmodel[i], "weight")
    _same_masks(model, tmodel)


@needs_torch
def test_global_unstructured_is_pytorchs():
    manual_seed(12)
    model = Sequential(Linear(20, 16), ReLU(), Linear(16, 8), ReLU(), Linear(8, 3))
    tmodel = _torch_twin(model)
    prune.l1_unstructured(model[2], "weight", amount=0.2)
    torch_prune.l1_unstructured(tmodel[2], "weight", amount=0.2)
    for amount in (0.5, 100):
        prune.global_unstructured([(model[0], "weight"), (model[2], "weight"),
                                   (model[4], "weight"), (model[4], "bias")],
                                  pruning_method=prune.L1Unstructured, amount=amount)
        torch_prune.global_unstructured([(tmodel[0], "weight"), (tmodel[2], "weight"),
                                         (tmodel[4], "weight"), (tmodel[4], "bias")],
                                        pruning_method=torch_prune.L1Unstructured, amount=amount)
        _same_masks(model, tmodel)


@needs_torch
def test_checkpoints_of_pruned_models_load_into_pytorch_and_back(tmp_path):
    manual_seed(13)
    model = Sequential(Linear(5, 4), ReLU(), Linear(4, 2))
    tmodel = _torch_twin(model)
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    nn.save(model.state_dict(), tmp_path / "pruned.pt")
    torch_prune.identity(tmodel[0], "weight")
    tmodel.load_state_dict(torch.load(tmp_path / "pruned.pt"))
    x = _random((3, 5), 4)
    np.testing.assert_allclose(tmodel(torch.as_tensor(x)).detach().numpy(), model(x).numpy(),
                               rtol=1e-6, atol=1e-6)
    torch_prune.l1_unstructured(tmodel[2], "weight", amount=3)
    torch.save(tmodel.state_dict(), tmp_path / "back.pt")
    prune.identity(model[2], "weight")
    model.load_state_dict(nn.load(tmp_path / "back.pt"))
    _same_masks(model, tmodel)


@needs_torch
@pytest.mark.parametrize("amount", [-1, 1.5, "0.5", 13])
def test_amount_errors_are_pytorchs_types(amount):
    with pytest.raises(Exception) as theirs:
        torch_prune.l1_unstructured(torch.nn.Linear(4, 3), "weight", amount)
    with pytest.raises(Exception) as ours:
        prune.l1_unstructured(Linear(4, 3), "weight", amount)
    assert type(ours.value) is type(theirs.value)


def test_fro_is_the_2_norm_and_a_pruned_state_says_how_to_load_it():
    # (both passed with their code changed: 'fro' taken as the 1-norm, the hint left out)
    layer = Linear(2, 2)
    with no_grad():
        layer.weight.copy_(Tensor(np.array([[3.0, 3.0], [0.0, 5.0]], dtype=np.float32)))
    # rows' 1-norms 6 and 5 would prune row 1; their 2-norms 4.24 and 5 prune row 0
    prune.ln_structured(layer, "weight", amount=1, n="fro", dim=0)
    assert layer.weight_mask.numpy().tolist() == [[0.0, 0.0], [1.0, 1.0]]
    with pytest.raises(Exception, match=r"was pruned in the state .*prune.identity\(model, 'weight'\)"):
        Linear(2, 2).load_state_dict(layer.state_dict())
