"""A user trial: a student's segmentation and detection weeks of a computer-vision course, written
as the course's PyTorch notebooks write them, after `import autograd as torch`, `import nn`,
`import nn.functional as F`, `import nn.optim as optim`, with no torchvision: what it would give
(box conversions, box IoU, NMS, the focal loss) written by hand. The models and losses are
written once for a torch-like namespace, so the same lines run on PyTorch where it is installed,
from the same weights, and must give the same numbers.

1. Segmentation: random discs and rectangles on noise with their masks; a small U-Net
   (double-conv blocks Conv2d 3x3 / BatchNorm2d / ReLU, MaxPool2d down, ConvTranspose2d or
   bilinear `F.interpolate` up, skips by `torch.cat` on dim 1 centre-cropped when an odd size
   leaves them larger, a 1x1 head); BCE-with-logits plus a soft Dice loss for one class,
   `CrossEntropyLoss` with class weights and `ignore_index=255` (an uncertain band around each
   shape) for three; IoU and Dice per class. Augmentation of image and mask together: `flip`,
   `rot90(k, dims)`, random crops by slicing, a small rotation by `F.affine_grid` +
   `F.grid_sample` (bilinear for the image, nearest for the mask).
2. Detection basics: xyxy <-> cxcywh, pairwise IoU by broadcasting, the GIoU loss, a one-object
   box regressor trained with smooth L1 + GIoU, NMS by argsort and a loop, the sigmoid focal
   loss, CenterNet's Gaussian heatmap target, its focal loss, and peaks by
   `F.max_pool2d(heat, 3, 1, 1) == heat`, `topk` over the flattened heatmap and `//`, `%`
   (and `torch.unravel_index`).

What the trial found missing, and what was done:
- `torch.unravel_index(indices, shape)` (PyTorch >= 2.2: a flat `topk` position back to row and
  column) did not exist: added to autograd/arrays.py (int64 coordinates, negative indices from
  the end; an index past the end is an error where PyTorch wraps it silently).
- `F.grid_sample(mode="nearest")` on a mask rotated by our `F.affine_grid` differed from
  PyTorch's in 5-10 % of random small rotations: points falling exactly half-way between two
  pixels (exact ties), where the grids' last bits differ (PyTorch's linspace and bmm round
  differently, and differ between CPUs' vector widths too). Fed the same grid, both engines
  agree exactly; left as it is (documented here; the test compares from the same grid).
"""

from __future__ import annotations

import math
import types

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
import nn.optim as optim
from autograd import gradcheck
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

OURS = types.SimpleNamespace(torch=torch, nn=nn, F=F)


def theirs() -> types.SimpleNamespace:
    import torch.nn.functional as tF
    return types.SimpleNamespace(torch=real_torch, nn=real_torch.nn, F=tF)


def copy_weights(ours, model) -> None:
    """PyTorch's `model` given our model's parameters and buffers, name by name."""
    model.load_state_dict({k: real_torch.tensor(np.array(v))
                           for k, v in ours.state_dict().items()})


def assert_same_gradients(ours, model, rtol: float = 1e-4) -> None:
    mine = dict(ours.named_parameters())
    scale = max(float(p.grad.abs().max()) for p in model.parameters())
    for name, p in model.named_parameters():
        # (a convolution's bias before a batch norm has a gradient of rounding size)
        np.testing.assert_allclose(mine[name].grad, p.grad.numpy(), rtol=rtol,
                                   atol=rtol * scale, err_msg=name)


# == data: shapes on noise ===================================================================

def shapes(n: int, size: int = 24, seed: int = 0, band: bool = False):
    """`n` images (n, 1, size, size) float32: noise with one or two discs (class 1, brighter)
    or rectangles (class 2); their binary masks (n, 1, size, size) float32, class masks
    (n, size, size) int64 (with band=True the pixels just outside each shape are 255, "do not
    care", as in VOC), and each image's first shape's box (n, 4) xyxy in pixels."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0.0, 0.3, (n, 1, size, size)).astype(np.float32)
    binary = np.zeros((n, 1, size, size), np.float32)
    classes = np.zeros((n, size, size), np.int64)
    boxes = np.zeros((n, 4), np.float32)
    yy, xx = np.mgrid[:size, :size] + 0.5                    # pixel centres
    for i in range(n):
        for k in range(rng.integers(1, 3)):
            kind = int(rng.integers(1, 3))
            cy, cx = rng.uniform(size * 0.25, size * 0.75, 2)
            ry, rx = rng.uniform(size * 0.1, size * 0.22, 2)
            if kind == 1:
                rx = ry
                inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= ry * ry
                near = (yy - cy) ** 2 + (xx - cx) ** 2 <= (ry + 1) ** 2
            else:
                inside = (np.abs(yy - cy) <= ry) & (np.abs(xx - cx) <= rx)
                near = (np.abs(yy - cy) <= ry + 1) & (np.abs(xx - cx) <= rx + 1)
            if band:
                classes[i][near & (classes[i] == 0)] = 255
            images[i, 0][inside] += 1.2 if kind == 1 else 0.8
            binary[i, 0][inside] = 1.0
            classes[i][inside] = kind
            if k == 0:
                boxes[i] = cx - rx, cy - ry, cx + rx, cy + ry
    return images, binary, classes, boxes


# == 1. segmentation =========================================================================

def segmentation_parts(ns):
    """The student's U-Net, losses and metrics, written once for a torch-like namespace."""
    torch, nn, F = ns.torch, ns.nn, ns.F

    class DoubleConv(nn.Module):
        def __init__(self, c_in, c_out):
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(c_in, c_out, kernel_size=3, padding=1), nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
                nn.Conv2d(c_out, c_out, kernel_size=3, padding=1), nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True))

        def forward(self, x):
            return self.net(x)

    def center_crop(skip, like):
        """The middle of `skip` at `like`'s height and width (the original U-Net's crop)."""
        h, w = like.shape[-2:]
        top = (skip.size(2) - h) // 2
        left = (skip.size(3) - w) // 2
        return skip[:, :, top:top + h, left:left + w]

    class Up(nn.Module):
        def __init__(self, c_in, c_out, bilinear):
            super().__init__()
            self.bilinear = bilinear
            if bilinear:
                self.reduce = nn.Conv2d(c_in, c_in // 2, kernel_size=1)
            else:
                self.up = nn.ConvTranspose2d(c_in, c_in // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(c_in, c_out)

        def forward(self, x, skip):
            if self.bilinear:
                x = self.reduce(F.interpolate(x, scale_factor=2, mode="bilinear",
                                              align_corners=False))
            else:
                x = self.up(x)
            if x.shape[-2:] != skip.shape[-2:]:
                skip = center_crop(skip, x)
            return self.conv(torch.cat([skip, x], dim=1))

    class UNet(nn.Module):
        def __init__(self, in_channels=1, n_classes=1, width=8, bilinear=False):
            super().__init__()
            self.inc = DoubleConv(in_channels, width)
            self.down1 = nn.Sequential(nn.MaxPool2d(2), DoubleConv(width, 2 * width))
            self.down2 = nn.Sequential(nn.MaxPool2d(2), DoubleConv(2 * width, 4 * width))
            self.up1 = Up(4 * width, 2 * width, bilinear)
            self.up2 = Up(2 * width, width, bilinear)
            self.outc = nn.Conv2d(width, n_classes, kernel_size=1)

        def forward(self, x):
            x1 = self.inc(x)
            x2 = self.down1(x1)
            x3 = self.down2(x2)
            return self.outc(self.up2(self.up1(x3, x2), x1))

    def dice_loss(logits, target, smooth=1.0):
        probs = torch.sigmoid(logits)
        inter = (probs * target).sum(dim=(2, 3))
        union = probs.sum(dim=(2, 3)) + target.sum(dim=(2, 3))
        return 1 - ((2 * inter + smooth) / (union + smooth)).mean()

    def multiclass_dice_loss(logits, target, ignore_index=255, smooth=1.0):
        """Soft Dice of the softmax against one-hot targets, the ignored pixels left out."""
        n_classes = logits.shape[1]
        valid = (target != ignore_index).unsqueeze(1).float()
        clean = torch.where(target == ignore_index, torch.zeros_like(target), target)
        one_hot = F.one_hot(clean, n_classes).permute(0, 3, 1, 2).float()
        probs = logits.softmax(dim=1) * valid
        one_hot = one_hot * valid
        inter = (probs * one_hot).sum(dim=(0, 2, 3))
        union = probs.sum(dim=(0, 2, 3)) + one_hot.sum(dim=(0, 2, 3))
        return 1 - ((2 * inter + smooth) / (union + smooth)).mean()

    def iou_and_dice_per_class(pred, target, n_classes, ignore_index=255):
        keep = target != ignore_index
        ious, dices = [], []
        for c in range(n_classes):
            p, t = (pred == c) & keep, (target == c) & keep
            inter = (p & t).sum().item()
            union = (p | t).sum().item()
            total = p.sum().item() + t.sum().item()
            ious.append(inter / union if union else float("nan"))
            dices.append(2 * inter / total if total else float("nan"))
        return ious, dices

    return types.SimpleNamespace(UNet=UNet, center_crop=center_crop, dice_loss=dice_loss,
                                 multiclass_dice_loss=multiclass_dice_loss,
                                 iou_and_dice_per_class=iou_and_dice_per_class)


SEG = segmentation_parts(OURS)


def augment(ns, image, mask, rng, size=None, max_degrees=10.0):
    """One random augmentation of a batch of images (N, C, H, W) and their masks (N, H, W)
    int64 (or (N, 1, H, W) float) together: flip, quarter turns, a crop, a small rotation."""
    torch, F = ns.torch, ns.F
    if rng.random() < 0.5:
        image, mask = torch.flip(image, dims=[3]), torch.flip(mask, dims=[-1])
    k = int(rng.integers(0, 4))
    image, mask = torch.rot90(image, k, dims=(2, 3)), torch.rot90(mask, k, dims=(-2, -1))
    if size is not None:
        top, left = (int(v) for v in rng.integers(0, image.shape[-1] - size + 1, 2))
        image = image[:, :, top:top + size, left:left + size]
        mask = mask[..., top:top + size, left:left + size]
    angle = math.radians(rng.uniform(-max_degrees, max_degrees))
    cos, sin = math.cos(angle), math.sin(angle)
    theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]],
                         dtype=image.dtype).unsqueeze(0).repeat(image.shape[0], 1, 1)
    grid = F.affine_grid(theta, list(image.shape), align_corners=False)
    image = F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros",
                          align_corners=False)
    as_image = mask.unsqueeze(1).to(image.dtype) if mask.ndim == 3 else mask
    warped = F.grid_sample(as_image, grid, mode="nearest", padding_mode="zeros",
                           align_corners=False)
    mask = warped.squeeze(1).long() if mask.ndim == 3 else warped
    return image, mask


def train_unet(model, images, targets, loss_fn, steps, seed=0, lr=0.01, crop=None, batch=8):
    """Adam on random batches of the small set, each batch augmented."""
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    x, t = torch.tensor(images), torch.tensor(targets)
    model.train()
    losses = []
    for _ in range(steps):
        pick = torch.tensor(rng.choice(len(images), batch, replace=False))
        xb, tb = augment(OURS, x[pick], t[pick], rng, size=crop)
        loss = loss_fn(model(xb), tb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses


def test_center_crop_makes_odd_sizes_fit_in_both_up_paths():
    """A 21 x 21 image: pooled to 10 and 5, upsampled to 10 and 20; the 21-wide skip is cropped
    to the middle 20 x 20, so the output is 20 x 20 (the original U-Net's valid output)."""
    torch.manual_seed(0)
    x = torch.randn(2, 1, 21, 21)
    for bilinear in (False, True):
        model = SEG.UNet(width=4, bilinear=bilinear)
        assert model(x).shape == (2, 1, 20, 20)
    skip = torch.arange(2 * 3 * 7 * 7).reshape(2, 3, 7, 7)
    crop = SEG.center_crop(skip, torch.zeros(1, 1, 4, 5))
    np.testing.assert_array_equal(crop.numpy(), skip.numpy()[:, :, 1:5, 1:6])


@pytest.mark.parametrize("bilinear", [False, True], ids=["transpose", "bilinear"])
def test_unet_input_gradient_gradchecks_through_the_crop(bilinear):
    torch.manual_seed(1)
    model = SEG.UNet(width=2, bilinear=bilinear).double()
    x = torch.tensor(np.random.default_rng(1).normal(size=(2, 1, 9, 9)), requires_grad=True)
    w = torch.tensor(np.random.default_rng(2).normal(size=(2, 1, 8, 8)))
    assert gradcheck(lambda img: (model(img) * w).sum(), x, atol=1e-6)


def test_dice_losses_gradcheck_and_ignore_the_band():
    rng = np.random.default_rng(3)
    logits = torch.tensor(rng.normal(size=(2, 3, 5, 5)), requires_grad=True)
    target = rng.integers(0, 3, (2, 5, 5))
    target[0, 0] = 255
    t = torch.tensor(target)
    assert gradcheck(lambda z: SEG.multiclass_dice_loss(z, t), logits)
    assert gradcheck(lambda z: SEG.dice_loss(z[:, :1], (t[:, None] == 1).double()), logits)
    # whatever the logits say on ignored pixels changes nothing
    changed = logits.detach().clone()
    changed[0, :, 0] = torch.tensor(rng.normal(size=(3, 5)) * 10)
    assert SEG.multiclass_dice_loss(changed, t).item() == pytest.approx(
        SEG.multiclass_dice_loss(logits, t).item(), abs=1e-12)
    # certain and right: a loss near 0; the ignored pixels do not count as wrong
    clean = np.where(target == 255, 0, target)
    sure = torch.tensor(np.moveaxis(np.eye(3)[clean], -1, 1) * 40.0)
    assert SEG.multiclass_dice_loss(sure, t).item() < 1e-6


def test_augmentation_keeps_image_and_mask_aligned():
    """On clean images (no noise) the mask is exactly `image > 0.5`; after flips, quarter turns
    and crops it still is, and after a small rotation (bilinear image, nearest mask) nearly every
    pixel still is (the disagreement is the resampled edge)."""
    images, binary, classes, _ = shapes(6, 24, seed=4)
    clean = torch.tensor(binary * 1.0)                 # the image is its own mask
    mask = torch.tensor(classes.clip(0, 2))
    rng = np.random.default_rng(5)
    for _ in range(8):
        img, m = augment(OURS, clean, mask, rng, size=16, max_degrees=0.0)
        assert img.shape == (6, 1, 16, 16) and m.shape == (6, 16, 16) and m.dtype == torch.int64
        np.testing.assert_array_equal(img.numpy()[:, 0] > 0.5, m.numpy() > 0)
    img, m = augment(OURS, clean, mask, rng, size=None, max_degrees=10.0)
    agree = ((img.numpy()[:, 0] > 0.5) == (m.numpy() > 0)).mean()
    assert agree > 0.97, agree
    assert set(np.unique(m.numpy())) <= {0, 1, 2}     # nearest: no new labels
    # a quarter turn by rot90 is a 90-degree affine rotation (the same direction)
    square = torch.tensor(images[:2])
    turned = torch.rot90(square, 1, dims=(2, 3))
    theta = torch.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]] * 2)   # x_in = -y, y_in = x
    grid = F.affine_grid(theta, list(square.shape), align_corners=False)
    np.testing.assert_allclose(F.grid_sample(square, grid, align_corners=False).numpy(),
                               turned.numpy(), atol=1e-5)


def test_binary_unet_learns_the_shapes():
    """Batches of 8 of 24 images, augmented (random 20 x 20 crops), 40 Adam steps."""
    images, binary, _, _ = shapes(24, 24, seed=10)
    torch.manual_seed(0)
    model = SEG.UNet(width=6, bilinear=True)
    losses = train_unet(model, images, binary,
                        lambda z, t: nn.BCEWithLogitsLoss()(z, t) + SEG.dice_loss(z, t),
                        steps=40, crop=20)
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5]), losses
    test_images, test_binary, _, _ = shapes(16, 24, seed=11)
    with torch.no_grad():
        pred = (model(torch.tensor(test_images)) > 0).long().squeeze(1)
    (background, fg), (_, fg_dice) = SEG.iou_and_dice_per_class(
        pred, torch.tensor(test_binary).long().squeeze(1), 2)
    # the shapes cover about 12 % of the pixels: all-foreground would score IoU 0.12
    assert fg > 0.8 and fg_dice > 0.88 and background > 0.95, (background, fg, fg_dice)


def test_three_class_unet_with_weights_and_ignored_band_learns_each_class():
    """Cross-entropy with class weights and ignore_index=255 (the band round each shape) plus
    the multi-class Dice loss; ConvTranspose2d up path; 200 Adam steps of 8 of 48 images."""
    images, _, classes, _ = shapes(48, 24, seed=12, band=True)
    counts = np.bincount(classes[classes != 255].ravel(), minlength=3)
    weight = torch.tensor((counts.sum() / (3 * counts)) ** 0.5, dtype=torch.float32)
    criterion = nn.CrossEntropyLoss(weight=weight, ignore_index=255)
    torch.manual_seed(1)
    model = SEG.UNet(n_classes=3, width=6, bilinear=False)
    losses = train_unet(model, images, classes,
                        lambda z, t: criterion(z, t) + SEG.multiclass_dice_loss(z, t),
                        steps=200)
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5]), losses
    test_images, _, test_classes, _ = shapes(16, 24, seed=13, band=True)
    with torch.no_grad():
        pred = model(torch.tensor(test_images)).argmax(dim=1)
    ious, dices = SEG.iou_and_dice_per_class(pred, torch.tensor(test_classes), 3)
    assert ious[0] > 0.9 and ious[1] > 0.5 and ious[2] > 0.5, ious
    assert min(dices) > 0.65, dices


@needs_torch
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-9), (np.float32, 2e-4)])
@pytest.mark.parametrize("bilinear", [False, True], ids=["transpose", "bilinear"])
def test_unet_losses_and_gradients_match_pytorch(dtype, rtol, bilinear):
    """The same U-Net code in both engines from the same weights, on odd-sized (17 x 17)
    images: the binary BCE + Dice loss, the weighted, ignoring cross-entropy + multi-class Dice
    loss, and every parameter's gradient."""
    T = theirs()
    their_seg = segmentation_parts(T)
    images, binary, classes, _ = shapes(3, 17, seed=20, band=True)
    crop = (slice(None), slice(None), slice(0, 16), slice(0, 16))
    for n_classes in (1, 3):
        torch.manual_seed(2)
        ours = SEG.UNet(n_classes=n_classes, width=4, bilinear=bilinear)
        model = their_seg.UNet(n_classes=n_classes, width=4, bilinear=bilinear)
        if dtype == np.float64:
            ours, model = ours.double(), model.double()
        copy_weights(ours, model)
        x, tx = torch.tensor(images.astype(dtype)), real_torch.tensor(images.astype(dtype))
        z, tz = ours(x), model(tx)
        assert z.shape == tuple(tz.shape) == (3, n_classes, 16, 16)
        if n_classes == 1:
            t = binary.astype(dtype)[crop]
            loss = F.binary_cross_entropy_with_logits(z, torch.tensor(t)) + SEG.dice_loss(
                z, torch.tensor(t))
            tt = real_torch.tensor(t)
            their_loss = T.F.binary_cross_entropy_with_logits(tz, tt) + their_seg.dice_loss(
                tz, tt)
        else:
            t = classes[:, :16, :16]
            w = np.array([0.4, 1.0, 2.0], dtype)
            loss = F.cross_entropy(z, torch.tensor(t), weight=torch.tensor(w),
                                   ignore_index=255) + SEG.multiclass_dice_loss(z, torch.tensor(t))
            tt = real_torch.tensor(t)
            their_loss = T.F.cross_entropy(tz, tt, weight=real_torch.tensor(w),
                                           ignore_index=255) + their_seg.multiclass_dice_loss(
                tz, tt)
        loss.backward()
        their_loss.backward()
        np.testing.assert_allclose(loss.item(), their_loss.item(), rtol=rtol)
        assert_same_gradients(ours, model, rtol)


@needs_torch
def test_augmentation_matches_pytorch_from_the_same_draws():
    """The same augmentation code and random draws in both engines: the images agree to
    rounding; the nearest-sampled masks agree exactly when both read the same grid (our
    `affine_grid` and PyTorch's differ in the last bits, which can flip a point lying exactly
    half-way between two pixels)."""
    T = theirs()
    images, _, classes, _ = shapes(4, 20, seed=30, band=True)
    for seed in range(4):
        img, m = augment(OURS, torch.tensor(images), torch.tensor(classes),
                         np.random.default_rng(seed), size=16)
        timg, tm = augment(T, real_torch.tensor(images), real_torch.tensor(classes),
                           np.random.default_rng(seed), size=16)
        np.testing.assert_allclose(img.numpy(), timg.numpy(), atol=1e-5)
        assert (m.numpy() != tm.numpy()).mean() < 0.01
    theta = np.array([[[0.98, -0.17, 0.05], [0.17, 0.98, -0.1]]] * 4, np.float32)
    grid = T.F.affine_grid(real_torch.tensor(theta), [4, 1, 20, 20], align_corners=False)
    ours = F.affine_grid(torch.tensor(theta), [4, 1, 20, 20], align_corners=False)
    np.testing.assert_allclose(ours.numpy(), grid.numpy(), atol=1e-6)
    masks = classes[:, None].astype(np.float32)
    np.testing.assert_array_equal(
        F.grid_sample(torch.tensor(masks), torch.tensor(grid.numpy()), mode="nearest",
                      align_corners=False).numpy(),
        T.F.grid_sample(real_torch.tensor(masks), grid, mode="nearest",
                        align_corners=False).numpy())


def test_unravel_index_as_pytorch_s():
    """torch.unravel_index (PyTorch >= 2.2): a topk over a flattened heatmap back to (row,
    column); the same as `// W` and `% W`."""
    flat = torch.tensor([[5, 17, 63], [0, -1, 8]])
    rows, cols = torch.unravel_index(flat, (8, 8))
    assert rows.dtype == cols.dtype == torch.int64 and rows.shape == (2, 3)
    assert rows.tolist() == [[0, 2, 7], [0, 7, 1]] and cols.tolist() == [[5, 1, 7], [0, 7, 0]]
    positive = flat % 64
    assert (rows == positive // 8).all() and (cols == positive % 8).all()
    assert [t.tolist() for t in torch.unravel_index(torch.tensor(29), (2, 3, 5))] == [1, 2, 4]
    assert [t.tolist() for t in torch.unravel_index(torch.tensor([7]), 8)] == [[7]]
    with pytest.raises(IndexError, match=r"unravel_index: index 64 is out of range for shape "
                                         r"\(8, 8\) \(64 elements: indices -64 .. 63\)"):
        torch.unravel_index(torch.tensor([64]), (8, 8))
    with pytest.raises(TypeError, match="unravel_index: indices must be integers, got dtype "
                                        "float32"):
        torch.unravel_index(torch.tensor([1.0]), (8, 8))
    with pytest.raises(ValueError, match="cannot have negative sizes"):
        torch.unravel_index(torch.tensor([1]), (8, -1))
    if real_torch is not None:
        for shape in ((8, 8), (2, 3, 5), (30,)):
            idx = np.random.default_rng(0).integers(-30, 30, (4, 3))
            want = real_torch.unravel_index(real_torch.tensor(idx), shape)
            got = torch.unravel_index(torch.tensor(idx), shape)
            for a, b in zip(got, want, strict=True):
                np.testing.assert_array_equal(a.numpy(), b.numpy())
