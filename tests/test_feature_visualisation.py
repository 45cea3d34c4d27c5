"""A user trial: feature visualisation and style transfer as a PyTorch course writes them, with
`import autograd as torch`, `import nn`, `import nn.functional as F`: an input image optimised
by Adam to maximise one class logit of a frozen CNN under an L2 and a total-variation penalty;
saliency maps from the image's gradient; a Gram-matrix style loss and an MSE content loss on
feature maps captured by forward hooks, minimised by L-BFGS with a closure, the image clipped to
[0, 1] after each step. Where PyTorch is installed the same code runs there from the same
weights and must give the same images. Differences that stay: `img.grad` and `img.data` are
numpy arrays here (saliency is np.abs(img.grad).max(1); the clip is np.clip(img.data, 0, 1,
out=img.data), or img.clamp_(0, 1) under no_grad())."""

from __future__ import annotations

import sys

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


def vision_parts(torch, nn, F, optim):
    """The CNN, the penalties, the Gram matrix and the two optimisation loops, for either
    engine (`optim` is torch.optim or nn.optim)."""
    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(),
                                          nn.MaxPool2d(2), nn.Conv2d(6, 8, 3, padding=1),
                                          nn.ReLU(), nn.MaxPool2d(2))
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(8 * 7 * 7, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    def tv(img):
        return ((img[..., 1:, :] - img[..., :-1, :]).abs().mean()
                + (img[..., :, 1:] - img[..., :, :-1]).abs().mean())

    def gram(feats):
        _, c, h, w = feats.shape
        f = feats.view(c, h * w)
        return f @ f.t() / (c * h * w)

    def clip_(img):
        with torch.no_grad():
            img.clamp_(0, 1)

    def maximise_class(model, cls, steps=20, l2=1e-3, tv_weight=0.1):
        model.eval()
        model.requires_grad_(False)
        img = torch.zeros(1, 1, 28, 28, requires_grad=True)
        if img.dtype != next(model.parameters()).dtype:
            img = torch.zeros(1, 1, 28, 28, dtype=next(model.parameters()).dtype,
                              requires_grad=True)
        opt = optim.Adam([img], lr=0.05)
        for _ in range(steps):
            opt.zero_grad()
            loss = -model(img)[0, cls] + l2 * (img ** 2).sum() + tv_weight * tv(img)
            loss.backward()
            opt.step()
            clip_(img)
        return img

    def style_transfer(model, content, style, style_layers, content_layer, steps=2):
        model.eval()
        model.requires_grad_(False)
        feats = {}
        modules = dict(model.named_modules())
        handles = [modules[name].register_forward_hook(
            lambda module, inputs, output, name=name: feats.__setitem__(name, output))
            for name in sorted(set(style_layers) | {content_layer})]
        model(content)
        content_target = feats[content_layer].detach()
        model(style)
        style_targets = {name: gram(feats[name]).detach() for name in style_layers}
        img = content.clone().requires_grad_(True)
        opt = optim.LBFGS([img], max_iter=20)
        losses = []

        def closure():
            opt.zero_grad()
            model(img)
            loss = F.mse_loss(feats[content_layer], content_target) + 1e3 * sum(
                F.mse_loss(gram(feats[name]), style_targets[name]) for name in style_layers)
            loss.backward()
            losses.append(loss.item())
            return loss

        for _ in range(steps):
            opt.step(closure)
            clip_(img)
        for handle in handles:
            handle.remove()
        return img, losses

    return CNN, tv, gram, maximise_class, style_transfer


CNN, tv, gram, maximise_class, style_transfer = vision_parts(autograd, nn, F, nn.optim)
STYLE_LAYERS, CONTENT_LAYER = ("features.1", "features.4"), "features.4"


def blobs(seed: int) -> np.ndarray:
    """A (1, 1, 28, 28) float32 image in [0, 1]: a few soft bright blobs."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28]
    img = sum(np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
              for cy, cx, s in zip(*rng.uniform([4, 4, 2], [24, 24, 5], (3, 3)).T))
    return (np.clip(img, 0, 1) + 0.05 * rng.random((28, 28)))[None, None].astype(np.float32)


def frozen_cnn(seed: int = 0, dtype=np.float32):
    autograd.manual_seed(seed)
    model = CNN()
    return model.double() if dtype == np.float64 else model


def test_total_variation_penalty_gradchecks():
    img = autograd.tensor(np.random.default_rng(0).random((1, 1, 6, 7)), requires_grad=True)
    assert gradcheck(tv, img)
    assert tv(autograd.ones(1, 1, 6, 7)).item() == 0.0


def test_gram_style_loss_gradchecks_with_respect_to_the_image():
    """Gram matrices of hooked feature maps of a frozen float64 CNN, compared with a style's by
    MSE: the gradient reaching the image, against central differences."""
    model = frozen_cnn(1, np.float64).eval().requires_grad_(False)
    feats = {}
    for name in STYLE_LAYERS:
        dict(model.named_modules())[name].register_forward_hook(
            lambda m, i, o, name=name: feats.__setitem__(name, o))
    model(autograd.tensor(blobs(2).astype(np.float64)))
    targets = {name: gram(feats[name]).detach() for name in STYLE_LAYERS}

    def style_loss(img):
        model(img)
        return sum(F.mse_loss(gram(feats[name]), targets[name]) for name in STYLE_LAYERS)

    img = autograd.tensor(blobs(3).astype(np.float64), requires_grad=True)
    assert gradcheck(lambda x: 1e3 * style_loss(x), img, atol=1e-7)
    assert all(p.grad is None for p in model.parameters())     # requires_grad_(False) held


def test_gram_matrix_of_a_feature_map_by_hand():
    f = np.random.default_rng(4).random((1, 3, 2, 5))
    flat = f.reshape(3, 10)
    np.testing.assert_allclose(gram(autograd.tensor(f)).data, flat @ flat.T / 30)


def test_maximising_a_class_logit_makes_that_class_the_prediction():
    model = frozen_cnn(0)
    start = model(autograd.zeros(1, 1, 28, 28))[0].data
    for cls in (int(start.argmin()), 3):
        img = maximise_class(model, cls)
        logits = model(img)[0].data
        assert logits.argmax() == cls and logits[cls] > start[cls] + 0.2
        assert img.data.min() >= 0.0 and img.data.max() <= 1.0 and img.data.max() > 0.1
        assert all(p.grad is None for p in model.parameters())


def test_saliency_is_the_class_score_s_gradient_magnitude():
    """PyTorch's `img.grad.abs().amax(1)` is `np.abs(img.grad).max(1)` here (.grad is an
    array); the map is |d score / d pixel|, checked by central differences at a few pixels."""
    model = frozen_cnn(0, np.float64).eval().requires_grad_(False)
    x = autograd.tensor(blobs(5).astype(np.float64), requires_grad=True)
    model(x)[0, 3].backward()
    saliency = np.abs(x.grad).max(1)
    assert saliency.shape == (1, 28, 28) and saliency.max() > 0
    for i, j in [(3, 4), (14, 14), (27, 0)]:
        def score(shift):
            moved = x.data.copy()
            moved[0, 0, i, j] += shift
            return model(autograd.tensor(moved))[0, 3].item()
        assert abs(saliency[0, i, j] - abs(score(1e-6) - score(-1e-6)) / 2e-6) < 1e-6


def test_style_transfer_by_lbfgs_lowers_the_loss_and_stays_in_range():
    model = frozen_cnn(0)
    img, losses = style_transfer(model, autograd.tensor(blobs(6)), autograd.tensor(blobs(7)),
                                 STYLE_LAYERS, CONTENT_LAYER)
    assert min(losses) < 0.5 * losses[0]
    assert img.data.min() >= 0.0 and img.data.max() <= 1.0
    assert not model._forward_hooks if hasattr(model, "_forward_hooks") else True


@pytest.mark.skipif(sys.version_info < (3, 11), reason="notes on exceptions are Python 3.11+")
def test_pytorch_s_data_clamp_in_a_closure_is_told_to_use_np_clip():
    """`img.data.clamp_(0, 1)`, the older PyTorch tutorials' clip inside the closure: .data is
    a numpy array here, and the note said to call t.clamp_ on the tensor, which is refused
    outside no_grad() for an image that requires grad; it now names np.clip and no_grad()."""
    img = autograd.zeros(1, 1, 4, 4, requires_grad=True)
    opt = nn.optim.LBFGS([img], max_iter=2)

    def closure():
        img.data.clamp_(0, 1)
        opt.zero_grad()
        loss = ((img - 0.5) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(AttributeError) as caught:
        opt.step(closure)
    note = caught.value.__notes__[0]
    assert "np.clip(img.data, 0, 1, out=img.data)" in note
    assert "img.clamp_(0, 1) on the tensor under no_grad()" in note


def _torch_parts():
    torch = real_torch
    return torch, vision_parts(torch, torch.nn, torch.nn.functional, torch.optim)


def _torch_copy(model, TorchCNN):
    theirs = TorchCNN().double()
    theirs.load_state_dict({k: real_torch.tensor(np.array(v)) for k, v in
                            model.state_dict().items()})
    return theirs


@needs_torch
def test_class_visualisation_matches_pytorch():
    torch, (TorchCNN, _, _, torch_maximise, _) = _torch_parts()
    model = frozen_cnn(0, np.float64)
    theirs = _torch_copy(model, TorchCNN)
    ours_img = maximise_class(model, 3, steps=10)
    torch_img = torch_maximise(theirs, 3, steps=10)
    np.testing.assert_allclose(ours_img.data, torch_img.detach().numpy(), atol=1e-9)


@needs_torch
def test_style_transfer_matches_pytorch_step_for_step():
    torch, (TorchCNN, _, _, _, torch_style) = _torch_parts()
    model = frozen_cnn(0, np.float64)
    theirs = _torch_copy(model, TorchCNN)
    content, style = blobs(6).astype(np.float64), blobs(7).astype(np.float64)
    img, losses = style_transfer(model, autograd.tensor(content), autograd.tensor(style),
                                 STYLE_LAYERS, CONTENT_LAYER)
    torch_img, torch_losses = torch_style(theirs, torch.tensor(content), torch.tensor(style),
                                          STYLE_LAYERS, CONTENT_LAYER)
    np.testing.assert_allclose(losses, torch_losses, rtol=1e-8)
    np.testing.assert_allclose(img.data, torch_img.detach().numpy(), atol=1e-8)


@needs_torch
def test_saliency_matches_pytorch():
    torch, (TorchCNN, *_) = _torch_parts()
    model = frozen_cnn(0, np.float64).eval().requires_grad_(False)
    theirs = _torch_copy(model, TorchCNN).eval().requires_grad_(False)
    x = autograd.tensor(blobs(5).astype(np.float64), requires_grad=True)
    tx = torch.tensor(blobs(5).astype(np.float64), requires_grad=True)
    model(x)[0, 3].backward()
    theirs(tx)[0, 3].backward()
    np.testing.assert_allclose(np.abs(x.grad).max(1), tx.grad.abs().amax(1).numpy(), atol=1e-12)
