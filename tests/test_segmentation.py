"""A user trial: semantic segmentation written as a PyTorch course notebook writes it, with
`import autograd as torch`, `import nn`, `import nn.functional as F`. A small U-Net (two down
blocks Conv-BatchNorm-ReLU x2 + MaxPool, a bottleneck, two up blocks by ConvTranspose2d or by
bilinear resizing, skip connections by torch.cat, a 1x1 head) learns the masks of discs and
squares drawn on noise: binary with BCE-with-logits plus a hand-written soft Dice loss, three
classes with a weighted cross-entropy over (N, C, H, W) logits; random horizontal flips of image
and mask together; IoU per class from argmax and logical_and / logical_or. The network is the
same code in both engines (`unet_parts(torch, nn, F)`): where PyTorch is installed, it runs from
the same weights there too and the losses and every gradient must agree."""

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


def shapes_dataset(n: int, size: int = 32, seed: int = 0):
    """`n` noisy (1, size, size) images with one or two bright discs (class 1) or squares
    (class 2, dimmer) each: the images (float32), binary masks (N, 1, H, W) float32 and class masks
    (N, H, W) int64 (0 is the background; a later shape covers an earlier one)."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0.0, 0.3, (n, 1, size, size)).astype(np.float32)
    binary = np.zeros((n, 1, size, size), np.float32)
    classes = np.zeros((n, size, size), np.int64)
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        for _ in range(rng.integers(1, 3)):
            kind = int(rng.integers(1, 3))
            cy, cx = rng.integers(size // 5, size - size // 5, 2)
            r = rng.integers(size // 10, size // 5 + 1)
            if kind == 1:
                inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            else:
                inside = (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)
            images[i, 0][inside] += 1.2 if kind == 1 else 0.7     # (a hint for short training)
            binary[i, 0][inside] = 1.0
            classes[i][inside] = kind
    return images, binary, classes


def unet_parts(torch, nn, F):
    """The U-Net, the soft Dice loss and per-class IoU, written once for either engine."""
    def block(c_in, c_out):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out),
                             nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=1),
                             nn.BatchNorm2d(c_out), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self, c_in=1, n_out=1, c=8, bilinear=False):
            super().__init__()
            self.bilinear = bilinear
            self.down1, self.down2 = block(c_in, c), block(c, 2 * c)
            self.pool = nn.MaxPool2d(2)
            self.bottleneck = block(2 * c, 4 * c)
            if bilinear:            # resize, then a 1x1 convolution halves the channels
                self.up2 = nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear",
                                                     align_corners=False),
                                         nn.Conv2d(4 * c, 2 * c, 1))
                self.reduce1 = nn.Conv2d(2 * c, c, 1)
            else:
                self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
                self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
            self.dec2, self.dec1 = block(4 * c, 2 * c), block(2 * c, c)
            self.head = nn.Conv2d(c, n_out, 1)

        def forward(self, x):
            s1 = self.down1(x)
            s2 = self.down2(self.pool(s1))
            u = self.up2(self.bottleneck(self.pool(s2)))
            u = self.dec2(torch.cat([u, s2], dim=1))
            if self.bilinear:
                u = self.reduce1(F.interpolate(u, scale_factor=2, mode="bilinear",
                                               align_corners=False))
            else:
                u = self.up1(u)
            return self.head(self.dec1(torch.cat([u, s1], dim=1)))

    def dice_loss(logits, target):
        p = torch.sigmoid(logits)
        dice = (2 * (p * target).sum((2, 3)) + 1) / (p.sum((2, 3)) + target.sum((2, 3)) + 1)
        return 1 - dice.mean()

    def iou_per_class(pred, target, n_classes):
        return [(torch.logical_and(pred == c, target == c).float().sum()
                 / torch.logical_or(pred == c, target == c).float().sum()).item()
                for c in range(n_classes)]

    return UNet, dice_loss, iou_per_class


UNet, dice_loss, iou_per_class = unet_parts(autograd, nn, F)


def train(model, images, targets, loss_fn, steps, seed=0, flip_axis_of_target=3):
    """Adam on the whole small set, each step flipped left-right with probability 1/2."""
    rng = np.random.default_rng(seed)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    x, t = autograd.tensor(images), autograd.tensor(targets)
    model.train()
    for _ in range(steps):
        xb, tb = x, t
        if rng.random() < 0.5:
            xb, tb = autograd.flip(x, dims=[3]), autograd.flip(t, dims=[flip_axis_of_target])
        loss = loss_fn(model(xb), tb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return model


def test_flip_takes_pytorch_s_dims_keyword_on_image_and_mask_together():
    """`torch.flip(x, dims=[3])` and `x.flip(dims=[3])`, PyTorch's only spelling of the
    argument, were refused (flip took positional axes only: "unexpected keyword argument
    'dims'"); flipping the image and its mask alike keeps them aligned."""
    images, binary, classes = shapes_dataset(2, 16)
    x = autograd.tensor(images)
    np.testing.assert_array_equal(autograd.flip(x, dims=[3]).data, images[..., ::-1])
    np.testing.assert_array_equal(x.flip(dims=(2, 3)).data, images[..., ::-1, ::-1])
    np.testing.assert_array_equal(autograd.tensor(classes).flip(dims=[2]).data,
                                  classes[..., ::-1])
    with pytest.raises(TypeError, match=r"flip: the axes given twice"):
        x.flip(3, dims=[3])
    with pytest.raises(TypeError, match=r"flip: which axes\? x.flip\(dims=\[3\]\)"):
        x.flip()


def test_flip_by_dims_gradchecks():
    x = autograd.tensor(np.random.default_rng(1).normal(size=(2, 1, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: t.flip(dims=[3]) * t, x)


def test_soft_dice_loss_gradchecks():
    rng = np.random.default_rng(2)
    logits = autograd.tensor(rng.normal(size=(2, 1, 5, 5)), requires_grad=True)
    target = (rng.random((2, 1, 5, 5)) < 0.4).astype(np.float64)
    assert gradcheck(lambda z: dice_loss(z, autograd.tensor(target)), logits)
    # perfect predictions give a loss near 0, inverted ones near 1
    sure = autograd.tensor(np.where(target > 0, 20.0, -20.0))
    assert dice_loss(sure, autograd.tensor(target)).item() < 1e-6
    assert dice_loss(-sure, autograd.tensor(target)).item() > 0.9


@pytest.mark.parametrize("bilinear", [False, True], ids=["conv_transpose", "bilinear"])
def test_unet_input_gradient_gradchecks_through_upsampling(bilinear):
    """The whole U-Net at 8x8 in float64, batch statistics on: its gradient with respect to the
    image (through ConvTranspose2d, or bilinear interpolate, the skip concatenations, max pools
    and batch norms) against central differences."""
    autograd.manual_seed(3)
    model = UNet(c=2, bilinear=bilinear).double()
    x = autograd.tensor(np.random.default_rng(4).normal(size=(2, 1, 8, 8)), requires_grad=True)
    weights = autograd.tensor(np.random.default_rng(5).normal(size=(2, 1, 8, 8)))
    assert gradcheck(lambda img: (model(img) * weights).sum(), x, atol=1e-6)


def test_unet_parameter_gradients_gradcheck():
    """The transposed convolutions' and the head's weights, by central differences."""
    from autograd import gradcheck_parameters
    autograd.manual_seed(6)
    model = UNet(c=2).double()
    x = autograd.tensor(np.random.default_rng(7).normal(size=(2, 1, 8, 8)))
    weights = autograd.tensor(np.random.default_rng(8).normal(size=(2, 1, 8, 8)))
    chosen = [model.up2.weight, model.up2.bias, model.up1.weight, model.head.weight]
    assert gradcheck_parameters(lambda: (model(x) * weights).sum(), chosen, atol=1e-6)


def test_binary_unet_learns_the_masks_far_above_chance():
    """Eight 24x24 images, 30 steps (a few seconds; 24 images of 32x32 took 20-40 s)."""
    images, binary, _ = shapes_dataset(8, 24, seed=10)
    autograd.manual_seed(0)
    model = train(UNet(c=6, bilinear=True), images, binary,
                  lambda z, t: F.binary_cross_entropy_with_logits(z, t) + dice_loss(z, t),
                  steps=30)
    test_images, test_binary, _ = shapes_dataset(16, 24, seed=11)
    with autograd.no_grad():
        pred = (model(autograd.tensor(test_images)) > 0).long()
    background, shapes = iou_per_class(pred, autograd.tensor(test_binary).long(), 2)
    # the shapes cover 7 % of these pixels: a coin per pixel gives them an IoU of 0.07, all
    # foreground 0.07 too (all background: 0 for the shapes, 0.93 for the background)
    assert shapes > 0.5 and background > 0.95, (background, shapes)


def test_three_class_unet_with_weighted_cross_entropy_beats_chance_per_class():
    """Eight 24x24 images, 40 steps (a few seconds; 32 images of 32x32 took 30-100 s)."""
    images, _, classes = shapes_dataset(8, 24, seed=12)
    autograd.manual_seed(1)
    weight = autograd.tensor([0.3, 1.0, 1.0])
    model = train(UNet(n_out=3, c=6), images, classes,
                  lambda z, t: F.cross_entropy(z, t, weight=weight), steps=40,
                  flip_axis_of_target=2)
    test_images, _, test_classes = shapes_dataset(16, 24, seed=13)
    with autograd.no_grad():
        pred = model(autograd.tensor(test_images)).argmax(1)
    ious = iou_per_class(pred, autograd.tensor(test_classes), 3)
    # each shape class covers under 5 % of these pixels: chance IoU is below 0.05
    assert ious[0] > 0.9 and ious[1] > 0.4 and ious[2] > 0.4, ious
    accuracy = (pred == autograd.tensor(test_classes)).float().mean().item()
    assert accuracy > 0.95                      # (all background: 0.91)


@needs_torch
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-9), (np.float32, 1e-4)])
@pytest.mark.parametrize("bilinear, n_out", [(False, 1), (True, 1), (False, 3), (True, 3)])
def test_unet_matches_pytorch_from_the_same_weights(dtype, rtol, bilinear, n_out):
    """The same U-Net code in both engines, PyTorch's copy loaded from ours: the loss, every
    parameter's gradient, the running statistics and the eval-mode output agree."""
    torch, tnn, tF = real_torch, real_torch.nn, real_torch.nn.functional
    TorchUNet, torch_dice, _ = unet_parts(torch, tnn, tF)
    images, binary, classes = shapes_dataset(4, 16, seed=20)
    autograd.manual_seed(2)
    ours = UNet(n_out=n_out, c=4, bilinear=bilinear)
    theirs = TorchUNet(n_out=n_out, c=4, bilinear=bilinear)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    theirs.load_state_dict({k: torch.tensor(np.array(v)) for k, v in ours.state_dict().items()})
    x, tx = autograd.tensor(images.astype(dtype)), torch.tensor(images.astype(dtype))
    if n_out == 1:
        z, t = ours(x), autograd.tensor(binary.astype(dtype))
        loss = F.binary_cross_entropy_with_logits(z, t) + dice_loss(z, t)
        tz, tt = theirs(tx), torch.tensor(binary.astype(dtype))
        torch_loss = tF.binary_cross_entropy_with_logits(tz, tt) + torch_dice(tz, tt)
    else:
        w = np.array([0.3, 1.0, 2.0], dtype)
        loss = F.cross_entropy(ours(x), autograd.tensor(classes), weight=autograd.tensor(w))
        torch_loss = tF.cross_entropy(theirs(tx), torch.tensor(classes), weight=torch.tensor(w))
    loss.backward()
    torch_loss.backward()
    np.testing.assert_allclose(loss.item(), torch_loss.item(), rtol=rtol)
    torch_params = dict(theirs.named_parameters())
    scale = max(float(p.grad.abs().max()) for p in theirs.parameters())
    for name, p in ours.named_parameters():
        # (the biases of convolutions before a batch norm have gradients of rounding size)
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), rtol=rtol,
                                   atol=rtol * scale, err_msg=name)
    torch_state = theirs.state_dict()
    for name, v in ours.state_dict().items():
        np.testing.assert_allclose(np.asarray(v), torch_state[name].numpy(), rtol=rtol,
                                   atol=rtol, err_msg=name)
    ours.eval()
    theirs.eval()
    with autograd.no_grad(), torch.no_grad():
        np.testing.assert_allclose(ours(x).data, theirs(tx).numpy(), rtol=rtol, atol=rtol)
