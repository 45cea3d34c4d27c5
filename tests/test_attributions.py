"""A user trial: explaining a classifier as an interpretability course writes it in PyTorch,
with `import autograd as torch`, `import nn`, `import nn.functional as F`. A small CNN learns
vertical from horizontal bars (made here with a fixed seed); then vanilla gradients
(`x.requires_grad_()`, `out[0, c].backward()`, `x.grad`), gradient x input, SmoothGrad (noisy
copies in one batch), Integrated Gradients (a straight path of 50 steps, a Riemann sum, the
completeness check), DeepLIFT's rescale rule (a custom Function), Grad-CAM (a forward hook
keeps the last conv layer's output and a tensor hook its gradient; `F.interpolate` up to
28 x 28), occlusion (a loop, and the masks made by `F.fold`), the sanity check (randomised
weights give another map: rank correlation); a linear probe on frozen features, a
counterfactual found by gradient descent on the input (clamped into [0, 1] after each step)
and a concept activation vector with its directional derivatives. Where PyTorch is installed
the same code runs there from the same weights and must give the same numbers.

Differences that stay: `x.grad` is a numpy array (PyTorch's `x.grad.abs()` is
`np.abs(x.grad)`, `x.grad.view(-1)` is `x.grad.reshape(-1)`); modules have no backward hooks
(`register_full_backward_hook` is refused, saying to hook the output in a forward hook, as
Grad-CAM does below); `x.std(0)` divides by n (write `unbiased=True` for PyTorch's n - 1)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import gradcheck

try:
    import torch as real_torch
except ImportError:                             # optional: the cross-checks skip without it
    real_torch = None

needs_torch = pytest.mark.skipif(real_torch is None, reason="PyTorch is not installed (optional "
                                 "cross-check against live torch: pip install torch)")


def numbers(t) -> np.ndarray:
    """A gradient or a tensor of either engine as a numpy array (a copy)."""
    return np.array(t if isinstance(t, np.ndarray) else t.detach().numpy())


def explain_parts(torch, nn, F):
    """The CNN and the course's explanation methods, written once for either engine."""
    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
            self.conv2 = nn.Conv2d(4, 6, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(6 * 7 * 7, 2)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            return self.fc(torch.flatten(x, 1))

    def vanilla(model, x, c):
        x = x.clone().requires_grad_()
        out = model(x)
        out[0, c].backward()
        return x.grad

    def smoothgrad(model, x, c, noise):
        xs = (x.repeat(noise.shape[0], 1, 1, 1) + noise).requires_grad_()
        model(xs)[:, c].sum().backward()
        return xs.grad.mean(0)

    def integrated_gradients(model, x, c, baseline, steps=50):
        alphas = torch.linspace(0, 1, steps + 1)[1:].view(-1, 1, 1, 1).to(x.dtype)
        path = (baseline + alphas * (x - baseline)).detach().requires_grad_()
        grads, = torch.autograd.grad(model(path)[:, c].sum(), path)
        return (x - baseline) * grads.mean(0)

    def grad_cam(model, x, c):
        kept = {}

        def keep(module, inputs, output):
            kept["acts"] = output
            output.register_hook(lambda g: kept.__setitem__("grads", g))

        handle = model.conv2.register_forward_hook(keep)
        out = model(x)
        model.zero_grad()
        out[0, c].backward()
        handle.remove()
        weights = kept["grads"].mean(dim=(2, 3))
        cam = F.relu((weights[:, :, None, None] * kept["acts"]).sum(1))
        cam = F.interpolate(cam.unsqueeze(1), size=(28, 28), mode="bilinear",
                            align_corners=False)
        return cam, kept["acts"], kept["grads"]

    def occlusion(model, x, c, size=4):
        covered = []
        for i in range(0, 28, size):
            for j in range(0, 28, size):
                xx = x.clone()
                xx[:, :, i:i + size, j:j + size] = 0
                covered.append(xx)
        with torch.no_grad():
            p = F.softmax(model(torch.cat(covered)), dim=1)[:, c]
            base = F.softmax(model(x), dim=1)[0, c]
        return (base - p).view(28 // size, 28 // size)

    def occlusion_by_fold(model, x, c, size=4, stride=2):
        n = (28 - size) // stride + 1
        cols = torch.eye(n * n, dtype=x.dtype).unsqueeze(1).expand(n * n, size * size, n * n)
        masks = F.fold(cols, output_size=(28, 28), kernel_size=size, stride=stride)
        counts = F.fold(torch.ones(1, size * size, n * n, dtype=x.dtype), output_size=(28, 28),
                        kernel_size=size, stride=stride)
        with torch.no_grad():
            p = F.softmax(model(x * (1 - masks)), dim=1)[:, c]
            base = F.softmax(model(x), dim=1)[0, c]
        return ((base - p).view(-1, 1, 1, 1) * masks).sum(0) / counts[0], masks

    def rank_correlation(a, b):
        ra = a.flatten().argsort().argsort().to(torch.float64)
        rb = b.flatten().argsort().argsort().to(torch.float64)
        ra, rb = ra - ra.mean(), rb - rb.mean()
        return ((ra * rb).sum() / (ra.norm() * rb.norm())).item()

    def frozen_features(model, x):
        model.requires_grad_(False)
        kept = {}
        handle = model.conv2.register_forward_hook(
            lambda m, i, o: kept.__setitem__("f", o.flatten(1)))
        with torch.no_grad():
            model(x)
        handle.remove()
        return kept["f"]

    def linear_probe(features, labels, optim, steps=60):
        probe = nn.Linear(features.shape[1], 2).to(features.dtype)
        opt = optim.Adam(probe.parameters(), lr=1e-2)
        for _ in range(steps):
            opt.zero_grad()
            loss = F.cross_entropy(probe(features), labels)
            loss.backward()
            opt.step()
        return probe, loss.item()

    def counterfactual(model, x, target, optim, lam=0.02, steps=40):
        model.requires_grad_(False)
        x_cf = x.clone().requires_grad_(True)
        opt = optim.Adam([x_cf], lr=0.05)
        wanted = torch.tensor([target])
        for _ in range(steps):
            opt.zero_grad()
            loss = F.cross_entropy(model(x_cf), wanted) + lam * (x_cf - x).abs().sum()
            loss.backward()
            opt.step()
            with torch.no_grad():
                x_cf.clamp_(0, 1)
        return x_cf

    def concept_vector(acts_concept, acts_random, optim, steps=100):
        a = torch.cat([acts_concept, acts_random])
        labels = torch.cat([torch.ones(len(acts_concept)), torch.zeros(len(acts_random))])
        clf = nn.Linear(a.shape[1], 1).to(a.dtype)
        opt = optim.Adam(clf.parameters(), lr=1e-2)
        for _ in range(steps):
            opt.zero_grad()
            F.binary_cross_entropy_with_logits(clf(a).squeeze(1), labels.to(a.dtype)).backward()
            opt.step()
        w = clf.weight.detach().flatten()
        return w / w.norm()

    def directional_derivatives(model, x, c, cav):
        kept = {}
        handle = model.conv2.register_forward_hook(lambda m, i, o: kept.__setitem__("a", o))
        out = model(x)
        handle.remove()
        grads, = torch.autograd.grad(out[:, c].sum(), kept["a"])
        return grads.flatten(1) @ cav

    return dict(CNN=CNN, vanilla=vanilla, smoothgrad=smoothgrad,
                integrated_gradients=integrated_gradients, grad_cam=grad_cam,
                occlusion=occlusion, occlusion_by_fold=occlusion_by_fold,
                rank_correlation=rank_correlation, frozen_features=frozen_features,
                linear_probe=linear_probe, counterfactual=counterfactual,
                concept_vector=concept_vector, directional_derivatives=directional_derivatives)


ours = explain_parts(autograd, nn, F)
VERTICAL, HORIZONTAL = 0, 1


def bars(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n float32 images (n, 1, 28, 28) of faint noise with one bright bar two pixels wide,
    vertical (label 0) or horizontal (label 1), at a random place."""
    rng = np.random.default_rng(seed)
    images, labels = 0.1 * rng.random((n, 1, 28, 28)), np.arange(n) % 2
    for image, label, at in zip(images, labels, rng.integers(6, 22, n)):
        if label == VERTICAL:
            image[0, 4:24, at - 1:at + 1] = 1.0
        else:
            image[0, at - 1:at + 1, 4:24] = 1.0
    return images.astype(np.float32), labels


def bar_mask(image: np.ndarray) -> np.ndarray:
    return image[0, 0] > 0.5


@pytest.fixture(scope="module")
def trained():
    """The CNN after 30 Adam steps on 64 bars: every held-out bar right."""
    autograd.manual_seed(0)
    model = ours["CNN"]()
    images, labels = bars(64, 0)
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        F.cross_entropy(model(autograd.tensor(images)), autograd.tensor(labels)).backward()
        opt.step()
    held_out, truth = bars(32, 1)
    with autograd.no_grad():
        assert (model(autograd.tensor(held_out)).argmax(dim=1).numpy() == truth).all()
    return model.eval()


def float64_copy(model, dtype=np.float64):
    """A copy of `model` in `dtype` (float64 for central differences), in eval mode."""
    twin = ours["CNN"]().to(dtype)
    twin.load_state_dict({k: np.array(v, dtype) for k, v in model.state_dict().items()})
    return twin.eval()


def test_vanilla_gradients_and_gradient_times_input_are_central_differences(trained):
    """`x.grad` after `out[0, c].backward()`, against central differences at pixels on and off
    the bar (float64); gradient x input is x.grad * x."""
    model = float64_copy(trained)
    image = autograd.tensor(bars(2, 5)[0][:1].astype(np.float64))
    grad = ours["vanilla"](model, image, VERTICAL)
    assert isinstance(grad, np.ndarray) and grad.shape == (1, 1, 28, 28)
    times_input = grad * image
    np.testing.assert_array_equal(times_input.data, grad * image.data)
    rows, cols = np.nonzero(bar_mask(image.data))
    for i, j in [(rows[0], cols[0]), (rows[-1], cols[-1]), (2, 3), (27, 27)]:
        def score(shift):
            moved = image.data.copy()
            moved[0, 0, i, j] += shift
            return model(autograd.tensor(moved))[0, VERTICAL].item()
        assert abs(grad[0, 0, i, j] - (score(1e-6) - score(-1e-6)) / 2e-6) < 1e-6


def test_smoothgrad_in_one_batch_is_the_mean_of_each_copy_s_gradient(trained):
    model = float64_copy(trained)
    image = autograd.tensor(bars(2, 5)[0][:1].astype(np.float64))
    noise = autograd.tensor(np.random.default_rng(0).normal(0, 0.15, (8, 1, 28, 28)))
    batched = ours["smoothgrad"](model, image, VERTICAL, noise)
    one_by_one = np.mean([ours["vanilla"](model, image + noise[k:k + 1], VERTICAL)[0]
                          for k in range(8)], axis=0)
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-12, atol=1e-15)


def tabular_model(torch):
    """A smooth model of six standardised features (tanh hidden layer), fixed weights."""
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.normal(size=(200, 6)) * np.array([1, 2, 5, 0.5, 1, 3]) + 10)
    X = (X - X.mean(0)) / X.std(0, unbiased=True)   # PyTorch's divisor, said (bare: n here)
    W1 = torch.tensor(rng.normal(size=(6, 16)) / 2)
    W2 = torch.tensor(rng.normal(size=(16, 1)) / 4)
    return X, lambda x: (torch.tanh(x @ W1) @ W2).squeeze(-1)


def tabular_ig(torch, steps: int) -> tuple[float, float, np.ndarray]:
    X, f = tabular_model(torch)
    x, baseline = X[:1], torch.zeros_like(X[:1])
    alphas = torch.linspace(0, 1, steps + 1, dtype=torch.float64)[1:].view(-1, 1)
    path = (baseline + alphas * (x - baseline)).detach().requires_grad_()
    grads, = torch.autograd.grad(f(path).sum(), path)
    ig = (x - baseline) * grads.mean(0)
    return ig.sum().item(), (f(x) - f(baseline)).item(), numbers(ig)


def test_integrated_gradients_completeness_error_shrinks_with_the_steps():
    """The attributions sum to f(x) - f(baseline) up to the Riemann sum's error, which falls
    about as 1 / steps; the gradients along the path are central differences (gradcheck)."""
    errors = []
    for steps in (10, 50, 200):
        total, delta, _ = tabular_ig(autograd, steps)
        errors.append(abs(total - delta))
    assert errors[0] > errors[1] > errors[2]
    assert errors[1] < 0.02 * abs(delta) and errors[2] < errors[1] / 3
    X, f = tabular_model(autograd)
    path = autograd.tensor(np.linspace(0, 1, 5)[:, None] * X.data[:1], requires_grad=True)
    assert gradcheck(lambda p: f(p), path)


def test_integrated_gradients_on_the_cnn_are_nearly_complete(trained):
    model = float64_copy(trained)
    image = autograd.tensor(bars(2, 5)[0][:1].astype(np.float64))
    baseline = autograd.zeros_like(image)
    ig = ours["integrated_gradients"](model, image, VERTICAL, baseline)
    with autograd.no_grad():
        delta = (model(image)[0, VERTICAL] - model(baseline)[0, VERTICAL]).item()
    assert ig.shape == (1, 1, 28, 28) and abs(ig.sum().item() - delta) < 0.05 * abs(delta)
    on_bar = bar_mask(image.data)
    assert np.abs(ig.data[0, 0][on_bar]).sum() > np.abs(ig.data[0, 0][~on_bar]).sum()


class Rescale(autograd.Function):
    """DeepLIFT's rescale rule for a ReLU: forward relu(z); backward the slope of the secant
    from the reference, (relu(z) - relu(z_ref)) / (z - z_ref) (the derivative where they
    meet)."""
    @staticmethod
    def forward(ctx, z, z_ref):
        return np.maximum(z, 0)

    @staticmethod
    def backward(ctx, g, out, z, z_ref):
        dz = z - z_ref
        apart = np.abs(dz) > 1e-9
        secant = (np.maximum(z, 0) - np.maximum(z_ref, 0)) / np.where(apart, dz, 1.0)
        return g * np.where(apart, secant, z > 0), None


def test_deeplift_rescale_attributions_sum_exactly_to_the_difference():
    rng = np.random.default_rng(0)
    layers = [(rng.normal(size=(16, 5)), rng.normal(size=16) * 0.5),
              (rng.normal(size=(8, 16)) / 4, rng.normal(size=8) * 0.5)]
    head = autograd.tensor(rng.normal(size=(1, 8)))

    def net(x, refs=None):
        pre = []
        for k, (w, b) in enumerate(layers):
            z = F.linear(x, autograd.tensor(w), autograd.tensor(b))
            pre.append(z.detach())
            x = F.relu(z) if refs is None else Rescale.apply(z, refs[k])
        return (x @ head.T).squeeze(), pre

    x = autograd.tensor(rng.normal(size=(1, 5)), requires_grad=True)
    reference = autograd.zeros(1, 5, dtype=autograd.float64)
    with autograd.no_grad():
        at_reference, refs = net(reference)
    out, _ = net(x, refs)
    out.backward()
    contributions = (x.data - reference.data) * x.grad
    assert abs(contributions.sum() - (out.item() - at_reference.item())) < 1e-12


def test_grad_cam_keeps_the_activation_and_its_gradient_by_hooks(trained):
    """Grad-CAM on the last conv layer: the tensor hook's gradient is the score's gradient with
    respect to that activation (central differences through the rest of the network; the same
    as torch.autograd.grad and as the activation's own .grad); the map is >= 0, 28 x 28, and
    for the horizontal class brighter on the bar than off it. (This small network scores
    "vertical" as the absence of what it finds: that class's map is 0 nearly everywhere.)"""
    model = float64_copy(trained)
    image = autograd.tensor(bars(2, 5)[0][1:].astype(np.float64))      # a horizontal bar
    cam, acts, grads = ours["grad_cam"](model, image, HORIZONTAL)
    assert cam.shape == (1, 1, 28, 28) and cam.data.min() >= 0 and cam.data.max() > 0
    on_bar = bar_mask(image.data)
    assert cam.data[0, 0][on_bar].mean() > 2 * cam.data[0, 0][~on_bar].mean()
    np.testing.assert_array_equal(acts.grad, grads.data)       # every node keeps its .grad
    kept = {}
    with model.conv2.register_forward_hook(lambda m, i, o: kept.__setitem__("a", o)):
        out = model(image)
    again, = autograd.autograd.grad(out[0, HORIZONTAL], kept["a"])
    np.testing.assert_allclose(again.data, grads.data, rtol=1e-13, atol=1e-15)

    def rest(a):
        return model.fc(autograd.flatten(model.pool(F.relu(a)), 1))[:, HORIZONTAL].sum()

    assert gradcheck(rest, autograd.tensor(acts.data, requires_grad=True))


def test_module_backward_hooks_are_refused_saying_how_to_hook_the_tensors(trained):
    """PyTorch's Grad-CAM keeps grad_output[0] with register_full_backward_hook; here the
    error says to hook the output in a forward hook, and that gives the same gradient; the
    input's tensor hook gives grad_input[0]."""
    model = float64_copy(trained)
    with pytest.raises(NotImplementedError, match=r"Conv2d\.register_full_backward_hook: "
                                                  r"glassgrad's modules have no backward hooks"
                                                  r".*out\.register_hook\(fn\)"):
        model.conv2.register_full_backward_hook(lambda m, gin, gout: None)
    seen = {}

    def both(module, args, output):
        output.register_hook(lambda g: seen.__setitem__("grad_output", g))
        args[0].register_hook(lambda g: seen.__setitem__("grad_input", g))

    image = autograd.tensor(bars(2, 5)[0][:1].astype(np.float64))
    with model.conv2.register_forward_hook(both):
        model(image)[0, VERTICAL].backward()
    assert seen["grad_output"].shape == (1, 6, 14, 14)
    assert seen["grad_input"].shape == (1, 4, 14, 14)
    _, _, grads = ours["grad_cam"](model, image, VERTICAL)
    np.testing.assert_array_equal(seen["grad_output"].data, grads.data)


def test_occlusion_by_a_loop_and_by_fold_masks(trained):
    """Occluding the bar costs the class's probability; with stride = size the fold masks
    are the loop's patches, so the two maps agree."""
    model = float64_copy(trained)
    image = autograd.tensor(bars(2, 5)[0][:1].astype(np.float64))
    heat = ours["occlusion"](model, image, VERTICAL)
    folded, masks = ours["occlusion_by_fold"](model, image, VERTICAL, size=4, stride=4)
    assert masks.shape == (49, 1, 28, 28) and (masks.data.sum(0) == 1).all()
    np.testing.assert_allclose(folded.data[0, ::4, ::4], heat.data, rtol=1e-12, atol=1e-15)
    overlapping, _ = ours["occlusion_by_fold"](model, image, VERTICAL, size=4, stride=2)
    assert overlapping.shape == (1, 28, 28)
    on_bar = bar_mask(image.data)
    assert overlapping.data[0][on_bar].mean() > overlapping.data[0][~on_bar].mean()


def test_sanity_check_randomised_weights_give_a_different_map(trained):
    """Adebayo et al.'s check: the saliency of the trained model against that of the same
    network with its layers re-initialised from the top (cascading): low rank correlation,
    while two SmoothGrad estimates of the trained model agree."""
    model = float64_copy(trained)
    image = autograd.tensor(bars(2, 5)[0][:1].astype(np.float64))
    rng = np.random.default_rng(1)
    noises = [autograd.tensor(rng.normal(0, 0.05, (32, 1, 28, 28))) for _ in range(2)]
    maps = [autograd.tensor(np.abs(ours["smoothgrad"](model, image, VERTICAL, n)))
            for n in noises]
    assert ours["rank_correlation"](maps[0], maps[0]) == pytest.approx(1.0)
    same = ours["rank_correlation"](maps[0], maps[1])
    assert same > 0.8
    autograd.manual_seed(3)
    randomised = float64_copy(trained)
    for name in ("fc", "conv2", "conv1"):
        getattr(randomised, name).reset_parameters()
        other = np.abs(ours["smoothgrad"](randomised, image, VERTICAL, noises[0]))
        correlation = ours["rank_correlation"](maps[0], autograd.tensor(other))
        assert correlation < same - 0.5, name
    assert abs(correlation) < 0.2


def test_a_linear_probe_on_frozen_features_leaves_the_model_alone(trained):
    model = float64_copy(trained)
    images, labels = bars(40, 2)
    features = ours["frozen_features"](model, autograd.tensor(images.astype(np.float64)))
    assert features.shape == (40, 6 * 14 * 14) and not features.requires_grad  # no graph
    probe, loss = ours["linear_probe"](features, autograd.tensor(labels), nn.optim)
    assert loss < 0.05
    assert (probe(features).argmax(dim=1).numpy() == labels).all()
    assert all(not p.requires_grad and p.grad is None for p in model.parameters())


def test_a_counterfactual_by_gradient_descent_flips_the_class_and_stays_in_range(trained):
    model = float64_copy(trained)
    image = autograd.tensor(bars(2, 5)[0][:1].astype(np.float64))
    x_cf = ours["counterfactual"](model, image, HORIZONTAL, nn.optim)
    assert model(x_cf).argmax(dim=1).item() == HORIZONTAL
    assert 0.0 <= x_cf.data.min() and x_cf.data.max() <= 1.0
    changed = np.abs(x_cf.data - image.data)
    assert 0 < changed.mean() < 0.25 and all(p.grad is None for p in model.parameters())


def test_pytorch_s_data_clamp_idiom_is_named_at_the_next_convolution():
    """`x.data = torch.clamp(x.data, 0, 1)` (PyTorch's projection step) puts a Tensor into
    the numpy slot; the next convolution said only "'Tensor' object has no attribute
    'strides'". It names the op, the input and what to write now."""
    autograd.manual_seed(0)
    model = ours["CNN"]()
    x = autograd.tensor(bars(2, 5)[0][:1], requires_grad=True)
    x.data = autograd.clamp(x.data, 0, 1)
    with pytest.raises(TypeError, match=r"^conv2d: input 0's \.data holds a Tensor, not numbers "
                                        r"\(a Tensor's \.data is its numpy array here, and "
                                        r"PyTorch's w\.data = t is w\.data = t\.numpy\(\)"):
        model(x)
    x = autograd.tensor(bars(2, 5)[0][:1], requires_grad=True)
    x.data = autograd.clamp(x.data, 0, 1).numpy()               # what it says
    model(x)[0, VERTICAL].backward()
    assert x.grad.shape == (1, 1, 28, 28)


def test_concept_activation_vector_and_its_directional_derivatives(trained):
    """TCAV: a linear classifier separates the activations of vertical bars (the concept) from
    those of noise; its unit normal is the CAV. The vertical class's logit grows along it for
    most vertical bars (TCAV score high), the horizontal class's for few."""
    model = float64_copy(trained)
    concept = bars(40, 3)[0][::2].astype(np.float64)                 # vertical bars
    noise = 0.1 * np.random.default_rng(4).random((20, 1, 28, 28))
    acts = [ours["frozen_features"](model, autograd.tensor(a)) for a in (concept, noise)]
    model.requires_grad_(True)
    cav = ours["concept_vector"](*acts, nn.optim)
    assert cav.shape == (6 * 14 * 14,) and abs(cav.norm().item() - 1) < 1e-12
    tests = autograd.tensor(bars(40, 6)[0][::2].astype(np.float64))
    towards = ours["directional_derivatives"](model, tests, VERTICAL, cav)
    away = ours["directional_derivatives"](model, tests, HORIZONTAL, cav)
    assert (towards.data > 0).mean() >= 0.8 and (away.data > 0).mean() <= 0.2


# -- the same code in PyTorch, from the same weights -------------------------------------------

def torch_twin(model, dtype):
    parts = explain_parts(real_torch, real_torch.nn, real_torch.nn.functional)
    twin = parts["CNN"]().to(getattr(real_torch, np.dtype(dtype).name))
    twin.load_state_dict({k: real_torch.tensor(np.array(v, dtype))
                          for k, v in model.state_dict().items()})
    return parts, twin.eval()


@needs_torch
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-4), (np.float64, 1e-9)])
def test_attributions_match_pytorch(trained, dtype, rtol):
    """Vanilla gradients, SmoothGrad, Integrated Gradients, Grad-CAM (the map, the activation's
    gradient) and occlusion, from the same weights and images, relative to each map's
    largest entry."""
    parts, twin = torch_twin(trained, dtype)
    model = float64_copy(trained, dtype)
    image = bars(2, 5)[0][:1].astype(dtype)
    noise = np.random.default_rng(0).normal(0, 0.15, (8, 1, 28, 28)).astype(dtype)
    pairs = []
    for engine, m, run in ((autograd, model, ours), (real_torch, twin, parts)):
        x = engine.tensor(image)
        cam, acts, grads = run["grad_cam"](m, x, VERTICAL)
        fc_grad = numbers(m.fc.weight.grad)
        pairs.append([run["vanilla"](m, x, VERTICAL),
                      run["smoothgrad"](m, x, VERTICAL, engine.tensor(noise)),
                      run["integrated_gradients"](m, x, VERTICAL, engine.zeros_like(x)),
                      cam, grads, fc_grad, run["occlusion"](m, x, VERTICAL)])
    for name, a, b in zip(["vanilla", "smoothgrad", "ig", "cam", "cam grads", "fc grad",
                           "occlusion"], *pairs):
        a, b = numbers(a), numbers(b)
        assert a.shape == b.shape and a.dtype == b.dtype == dtype, name
        atol = rtol * np.abs(b).max()
        if name == "occlusion":
            # 1 - p of a confident model's p near 1: both sides are quantised at the dtype's
            # unit in the last place of 1 (1.2e-7 in float32), which two softmaxes' roundings
            # may each move by one or two
            atol = max(atol, 4 * np.finfo(dtype).eps)
        np.testing.assert_allclose(a, b, rtol=0, atol=atol, err_msg=name)


@needs_torch
def test_hooked_gradients_match_pytorch_s_backward_hook_tuples(trained):
    """PyTorch's register_full_backward_hook gives grad_input and grad_output as 1-tuples; the
    tensor hooks' gradients here have their shapes and numbers."""
    parts, twin = torch_twin(trained, np.float64)
    model = float64_copy(trained)
    image = bars(2, 5)[0][:1].astype(np.float64)
    theirs = {}
    twin.conv2.register_full_backward_hook(
        lambda m, gin, gout: theirs.update(grad_input=gin, grad_output=gout))
    twin(real_torch.tensor(image))[0, VERTICAL].backward()
    seen = {}

    def both(module, args, output):
        output.register_hook(lambda g: seen.__setitem__("grad_output", g))
        args[0].register_hook(lambda g: seen.__setitem__("grad_input", g))

    with model.conv2.register_forward_hook(both):
        model(autograd.tensor(image))[0, VERTICAL].backward()
    for key in ("grad_input", "grad_output"):
        assert len(theirs[key]) == 1
        np.testing.assert_allclose(seen[key].data, theirs[key][0].numpy(), rtol=1e-12,
                                   atol=1e-14)


@needs_torch
def test_probe_counterfactual_and_cav_match_pytorch(trained):
    parts, twin = torch_twin(trained, np.float64)
    model = float64_copy(trained)
    image = bars(2, 5)[0][:1].astype(np.float64)
    ours_cf = ours["counterfactual"](model, autograd.tensor(image), HORIZONTAL, nn.optim)
    theirs_cf = parts["counterfactual"](twin, real_torch.tensor(image), HORIZONTAL,
                                        real_torch.optim)
    np.testing.assert_allclose(ours_cf.data, numbers(theirs_cf), atol=1e-9)
    cav = np.random.default_rng(5).normal(size=6 * 14 * 14)
    cav /= np.linalg.norm(cav)
    tests = bars(8, 6)[0].astype(np.float64)
    model.requires_grad_(True)
    twin.requires_grad_(True)
    ours_dd = ours["directional_derivatives"](model, autograd.tensor(tests), VERTICAL,
                                              autograd.tensor(cav))
    theirs_dd = parts["directional_derivatives"](twin, real_torch.tensor(tests), VERTICAL,
                                                 real_torch.tensor(cav))
    np.testing.assert_allclose(ours_dd.data, numbers(theirs_dd), rtol=1e-10, atol=1e-12)
    features = bars(40, 2)[0].astype(np.float64)
    np.testing.assert_allclose(
        ours["frozen_features"](model, autograd.tensor(features)).data,
        numbers(parts["frozen_features"](twin, real_torch.tensor(features))), atol=1e-12)


def test_tabular_standardisation_says_its_divisor():
    """The one place std changed a number in this trial: `X.std(0)` divides by n here (numpy's),
    by n - 1 in PyTorch; with `unbiased=True` both divide by n - 1."""
    X = autograd.tensor(np.random.default_rng(0).normal(size=(200, 6)))
    n = 200
    np.testing.assert_allclose(X.std(0).data ** 2 * n / (n - 1),
                               X.std(0, unbiased=True).data ** 2, rtol=1e-12)
