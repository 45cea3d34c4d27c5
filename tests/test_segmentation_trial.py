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
- A mask's 255 ("do not care") without `ignore_index=255` was reported as "label 255 needs
  256: does the model have one output per class?", and `F.one_hot` of such a mask as "labels
  must be < num_classes": both now name 255's usual meaning and the fix; an int64 mask given to
  `grid_sample` was told `.astype(np.float32)`: now `.float()`, and mode='nearest' then `.long()`.
- `p.grad.abs()` (PyTorch's `.grad` is a Tensor) fails with numpy's "'numpy.ndarray' object has
  no attribute 'abs'": `.grad` is an ndarray here by design (README, "Data and gradient");
  left (the test writes `np.abs(p.grad)`).
Everything else the two weeks use was there and agreed with PyTorch: flip/rot90 with dims,
affine_grid/grid_sample (bilinear, nearest, gradients to theta), interpolate, ConvTranspose2d,
weighted cross-entropy with ignore_index over (N, C, H, W), one_hot, topk, max_pool2d peaks,
argsort(descending=True), integer tensor indexing, smooth_l1_loss(beta=).
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


# == 2. detection basics =====================================================================

def detection_parts(ns):
    """What torchvision.ops would give, written by hand, once for a torch-like namespace."""
    torch, nn, F = ns.torch, ns.nn, ns.F

    def box_xyxy_to_cxcywh(boxes):
        x0, y0, x1, y1 = boxes.unbind(-1)
        return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], dim=-1)

    def box_cxcywh_to_xyxy(boxes):
        cx, cy, w, h = boxes.unbind(-1)
        return torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)

    def box_area(boxes):
        return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])

    def box_iou(a, b):
        """(N, 4) and (M, 4) xyxy -> (N, M): every pair by broadcasting."""
        lt = torch.max(a[:, None, :2], b[None, :, :2])
        rb = torch.min(a[:, None, 2:], b[None, :, 2:])
        wh = (rb - lt).clamp(min=0)
        inter = wh[..., 0] * wh[..., 1]
        union = box_area(a)[:, None] + box_area(b)[None, :] - inter
        return inter / union

    def giou_loss(pred, target, eps=1e-7, reduction="mean"):
        """1 - GIoU of matched pairs of xyxy boxes (torchvision's generalized_box_iou_loss)."""
        x1, y1, x2, y2 = pred.unbind(dim=-1)
        x1g, y1g, x2g, y2g = target.unbind(dim=-1)
        xk1, yk1 = torch.max(x1, x1g), torch.max(y1, y1g)
        xk2, yk2 = torch.min(x2, x2g), torch.min(y2, y2g)
        inter = torch.zeros_like(x1)
        overlap = (xk2 > xk1) & (yk2 > yk1)
        inter[overlap] = ((xk2 - xk1) * (yk2 - yk1))[overlap]
        union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
        iou = inter / (union + eps)
        xc1, yc1 = torch.min(x1, x1g), torch.min(y1, y1g)
        xc2, yc2 = torch.max(x2, x2g), torch.max(y2, y2g)
        enclosing = (xc2 - xc1) * (yc2 - yc1)
        loss = 1 - (iou - (enclosing - union) / (enclosing + eps))
        return loss.mean() if reduction == "mean" else loss

    def nms(boxes, scores, iou_threshold):
        """The kept boxes' indices, best score first."""
        order = scores.argsort(descending=True)
        keep = []
        while order.numel() > 0:
            i = order[0]
            keep.append(i)
            if order.numel() == 1:
                break
            ious = box_iou(boxes[i].unsqueeze(0), boxes[order[1:]]).squeeze(0)
            order = order[1:][ious <= iou_threshold]
        return torch.stack(keep) if keep else torch.empty(0, dtype=torch.long)

    def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="mean"):
        p = torch.sigmoid(inputs)
        ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = ce * ((1 - p_t) ** gamma)
        if alpha >= 0:
            loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
        return loss.mean() if reduction == "mean" else loss.sum()

    def gaussian_heatmap(centers, size, sigma):
        """CenterNet's target: at each pixel the largest of the objects' Gaussians, exactly 1 on
        each (integer) centre."""
        ys = torch.arange(size, dtype=torch.float32)
        yy, xx = torch.meshgrid(ys, ys, indexing="ij")
        heat = torch.zeros(size, size)
        for cx, cy in centers:
            g = torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma ** 2))
            heat = torch.maximum(heat, g)
        return heat

    def centernet_focal_loss(logits, gt, alpha=2, beta=4):
        pred = torch.clamp(torch.sigmoid(logits), min=1e-4, max=1 - 1e-4)
        pos = gt.eq(1).float()
        neg = gt.lt(1).float()
        pos_loss = torch.log(pred) * torch.pow(1 - pred, alpha) * pos
        neg_loss = torch.log(1 - pred) * torch.pow(pred, alpha) * torch.pow(1 - gt, beta) * neg
        num_pos = pos.sum()
        return -(pos_loss.sum() + neg_loss.sum()) / torch.clamp(num_pos, min=1.0)

    def decode_peaks(logits, k=5):
        """The k best local maxima of each heatmap (N, 1, H, W): scores, rows, columns."""
        heat = torch.sigmoid(logits)
        hmax = F.max_pool2d(heat, kernel_size=3, stride=1, padding=1)
        heat = heat * (hmax == heat).float()
        n, _, _, w = heat.shape
        scores, inds = torch.topk(heat.view(n, -1), k)
        return scores, inds // w, inds % w

    class BoxRegressor(nn.Module):
        """One object per image: its box as (cx, cy, w, h), fractions of the image."""
        def __init__(self, size=24):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * (size // 8) ** 2, 64),
                                      nn.ReLU(), nn.Linear(64, 4))

        def forward(self, x):
            return torch.sigmoid(self.head(self.features(x)))

    def box_loss(pred_cxcywh, target_xyxy):
        target = box_xyxy_to_cxcywh(target_xyxy)
        return (F.smooth_l1_loss(pred_cxcywh, target, beta=0.05)
                + giou_loss(box_cxcywh_to_xyxy(pred_cxcywh), target_xyxy))

    class HeatmapNet(nn.Module):
        def __init__(self, width=16, prior=0.05):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.BatchNorm2d(width),
                nn.ReLU(), nn.Conv2d(width, width, 3, padding=1), nn.ReLU())
            self.head = nn.Conv2d(width, 1, 1)
            nn.init.constant_(self.head.bias, -math.log((1 - prior) / prior))

        def forward(self, x):
            return self.head(self.body(x))

    return types.SimpleNamespace(**{f.__name__: f for f in (
        box_xyxy_to_cxcywh, box_cxcywh_to_xyxy, box_area, box_iou, giou_loss, nms,
        sigmoid_focal_loss, gaussian_heatmap, centernet_focal_loss, decode_peaks, BoxRegressor,
        box_loss, HeatmapNet)})


DET = detection_parts(OURS)


def random_boxes(rng, n, size=24.0):
    xy = rng.uniform(0, size * 0.7, (n, 2))
    wh = rng.uniform(2, size * 0.3, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def test_box_conversions_round_trip_and_iou_by_broadcasting_is_right_by_hand():
    rng = np.random.default_rng(40)
    a, b = random_boxes(rng, 5), random_boxes(rng, 7)
    ta, tb = torch.tensor(a), torch.tensor(b)
    c = DET.box_xyxy_to_cxcywh(ta)
    np.testing.assert_allclose(c.numpy()[:, 2:], a[:, 2:] - a[:, :2])
    np.testing.assert_allclose(DET.box_cxcywh_to_xyxy(c).numpy(), a, atol=1e-12)
    iou = DET.box_iou(ta, tb).numpy()
    for i in range(5):                          # one pair at a time, in plain Python
        for j in range(7):
            w = max(0.0, min(a[i, 2], b[j, 2]) - max(a[i, 0], b[j, 0]))
            h = max(0.0, min(a[i, 3], b[j, 3]) - max(a[i, 1], b[j, 1]))
            area = lambda r: (r[2] - r[0]) * (r[3] - r[1])       # noqa: E731
            assert iou[i, j] == pytest.approx(w * h / (area(a[i]) + area(b[j]) - w * h))
    assert np.allclose(np.diag(DET.box_iou(ta, ta).numpy()), 1.0)
    assert gradcheck(lambda x: DET.box_iou(x, tb), torch.tensor(a, requires_grad=True))


def test_giou_loss_is_right_by_hand_and_gradchecks():
    same = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    assert DET.giou_loss(same, same).item() == pytest.approx(0.0, abs=1e-6)
    # apart by one box width: IoU 0, the enclosing box 3 x 1 holds 1 unit of nothing -> GIoU
    # -1/3, loss 4/3
    left, right = torch.tensor([[0.0, 0.0, 1.0, 1.0]]), torch.tensor([[2.0, 0.0, 3.0, 1.0]])
    assert DET.giou_loss(left, right).item() == pytest.approx(4 / 3, rel=1e-6)
    rng = np.random.default_rng(41)
    pred = torch.tensor(random_boxes(rng, 6), requires_grad=True)
    target = torch.tensor(random_boxes(rng, 6))
    assert gradcheck(lambda p: DET.giou_loss(p, target), pred)
    # the loss has a gradient even for boxes that do not overlap (plain IoU's is 0)
    far = torch.tensor([[0.0, 0.0, 1.0, 1.0]], requires_grad=True)
    DET.giou_loss(far, right).backward()
    assert np.abs(far.grad).sum() > 0             # (.grad is an ndarray here)


def test_nms_keeps_one_box_per_cluster_and_matches_brute_force():
    rng = np.random.default_rng(42)
    centres = random_boxes(rng, 4)
    boxes = np.concatenate([centres + rng.normal(0, 0.5, centres.shape) for _ in range(5)])
    scores = rng.random(len(boxes))
    kept = DET.nms(torch.tensor(boxes), torch.tensor(scores), 0.5)
    assert kept.dtype == torch.int64
    # brute force: walk down by score, keep a box unless it overlaps a kept one by > 0.5
    iou = DET.box_iou(torch.tensor(boxes), torch.tensor(boxes)).numpy()
    want = []
    for i in np.argsort(-scores):
        if all(iou[i, j] <= 0.5 for j in want):
            want.append(i)
    assert kept.tolist() == want
    assert DET.nms(torch.tensor(boxes), torch.tensor(scores), 1.0).numel() == len(boxes)
    assert DET.nms(torch.zeros(0, 4), torch.zeros(0), 0.5).numel() == 0


def test_focal_losses_gradcheck_and_down_weight_the_easy_pixels():
    rng = np.random.default_rng(43)
    logits = torch.tensor(rng.normal(0, 2, (2, 1, 6, 6)), requires_grad=True)
    targets = torch.tensor((rng.random((2, 1, 6, 6)) < 0.2).astype(np.float64))
    assert gradcheck(lambda z: DET.sigmoid_focal_loss(z, targets), logits)
    gt = DET.gaussian_heatmap([(2, 3), (4, 1)], 6, 1.0).double().reshape(1, 1, 6, 6)
    assert gradcheck(lambda z: DET.centernet_focal_loss(z[:1], gt), logits)
    # an easy pixel (right and sure) counts far less than with plain BCE
    easy, hard = torch.tensor([4.0]), torch.tensor([-1.0])
    one = torch.tensor([1.0])
    ratio_focal = (DET.sigmoid_focal_loss(easy, one) / DET.sigmoid_focal_loss(hard, one)).item()
    ratio_bce = (F.binary_cross_entropy_with_logits(easy, one)
                 / F.binary_cross_entropy_with_logits(hard, one)).item()
    assert ratio_focal < 0.01 * ratio_bce
    # stable at +-1000 (no overflow or invalid values)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        big = DET.sigmoid_focal_loss(torch.tensor([1000.0, -1000.0]), torch.tensor([0.0, 1.0]))
    assert np.isfinite(big.item())


def test_heatmap_peaks_come_back_by_topk_and_unravel():
    centers = [(3, 4), (15, 9), (8, 17)]
    heat = DET.gaussian_heatmap(centers, 20, 1.5)
    assert heat.max().item() == 1.0 and (heat == 1).sum().item() == 3
    logits = torch.logit(heat.clamp(1e-4, 1 - 1e-4)).reshape(1, 1, 20, 20)
    scores, rows, cols = DET.decode_peaks(logits, k=5)
    found = sorted(zip(cols[0, :3].tolist(), rows[0, :3].tolist()))
    assert found == sorted(centers)
    assert scores[0, 3].item() < 0.01             # the rest are tails, not peaks
    _, inds = torch.topk(torch.sigmoid(logits).view(1, -1), 3)
    r, c = torch.unravel_index(inds, (20, 20))
    assert sorted(zip(c[0].tolist(), r[0].tolist())) == sorted(centers)
    assert (torch.div(inds, 20, rounding_mode="floor") == r).all()


def one_object_images(n, size=24, seed=0):
    """One rectangle per image: images, xyxy boxes as fractions of the image size."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0.0, 0.3, (n, 1, size, size)).astype(np.float32)
    boxes = np.zeros((n, 4), np.float32)
    for i in range(n):
        w, h = rng.integers(4, size // 2, 2)
        x0, y0 = rng.integers(0, size - w + 1), rng.integers(0, size - h + 1)
        images[i, 0, y0:y0 + h, x0:x0 + w] += 1.0
        boxes[i] = x0, y0, x0 + w, y0 + h
    return images, boxes / size


def test_one_object_box_regressor_learns_the_boxes():
    """smooth L1 on (cx, cy, w, h) + GIoU on xyxy, Adam, 300 steps of 16 of 256 images."""
    images, boxes = one_object_images(256, seed=50)
    torch.manual_seed(3)
    model = DET.BoxRegressor()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(51)
    x, t = torch.tensor(images), torch.tensor(boxes)
    first = None
    for step in range(300):
        pick = torch.tensor(rng.choice(256, 16, replace=False))
        loss = DET.box_loss(model(x[pick]), t[pick])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        first = first if first is not None else loss.item()
    model.eval()
    test_images, test_boxes = one_object_images(64, seed=52)
    with torch.no_grad():
        pred = DET.box_cxcywh_to_xyxy(model(torch.tensor(test_images)))
    ious = torch.diagonal(DET.box_iou(pred, torch.tensor(test_boxes)))
    # a box guessed at the mean position and size scores about 0.2
    assert loss.item() < 0.5 * first
    assert ious.mean().item() > 0.6 and (ious > 0.5).float().mean().item() > 0.8, ious


def test_centernet_heatmap_finds_the_objects():
    """1-3 discs per 20 x 20 image; a Gaussian target per centre (sigma 1); the CenterNet focal
    loss; peaks decoded by max-pool equality and topk, kept above 0.3; each within 1.5 px."""
    rng = np.random.default_rng(60)
    size, n = 20, 48
    images = rng.normal(0.0, 0.3, (n, 1, size, size)).astype(np.float32)
    yy, xx = np.mgrid[:size, :size]
    centers = []
    for i in range(n):
        mine = []
        while len(mine) < rng.integers(1, 4):
            cx, cy = rng.integers(3, size - 3, 2)
            if all(abs(cx - a) + abs(cy - b) > 6 for a, b in mine):
                mine.append((int(cx), int(cy)))
                images[i, 0][(yy - cy) ** 2 + (xx - cx) ** 2 <= 4] += 1.0
        centers.append(mine)
    targets = torch.stack([DET.gaussian_heatmap(c, size, 1.0) for c in centers]).unsqueeze(1)
    x = torch.tensor(images)
    torch.manual_seed(4)
    model = DET.HeatmapNet()
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    losses = []
    for step in range(120):
        pick = torch.tensor(rng.choice(n - 8, 8, replace=False))
        loss = DET.centernet_focal_loss(model(x[pick]), targets[pick])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.4 * np.mean(losses[:5])
    model.eval()
    with torch.no_grad():
        scores, rows, cols = DET.decode_peaks(model(x[n - 8:]), k=6)
    hits = misses = false = 0
    for i in range(8):
        found = [(c, r) for s, r, c in zip(scores[i].tolist(), rows[i].tolist(),
                                           cols[i].tolist()) if s > 0.3]
        truth = centers[n - 8 + i]
        for cx, cy in truth:
            ok = any(math.hypot(cx - c, cy - r) <= 1.5 for c, r in found)
            hits, misses = hits + ok, misses + (not ok)
        false += sum(all(math.hypot(cx - c, cy - r) > 1.5 for cx, cy in truth)
                     for c, r in found)
    assert hits >= 0.9 * (hits + misses) and false <= 2, (hits, misses, false)


@needs_torch
def test_detection_losses_nms_and_decoding_match_pytorch():
    """The same hand-written code in both engines, float64: box IoU, GIoU loss and both focal
    losses (values and gradients), NMS's kept indices and the decoded peaks."""
    T = theirs()
    their = detection_parts(T)
    rng = np.random.default_rng(70)
    a, b = random_boxes(rng, 6), random_boxes(rng, 6)
    np.testing.assert_allclose(DET.box_iou(torch.tensor(a), torch.tensor(b)).numpy(),
                               their.box_iou(real_torch.tensor(a), real_torch.tensor(b)).numpy(),
                               rtol=1e-12)
    logits = rng.normal(0, 2, (2, 1, 8, 8))
    gt = DET.gaussian_heatmap([(2, 3), (6, 5)], 8, 1.0).numpy().astype(np.float64)
    gt = np.broadcast_to(gt, (2, 1, 8, 8)).copy()
    hard = (gt == 1).astype(np.float64)
    np.testing.assert_allclose(
        gt[0, 0], their.gaussian_heatmap([(2, 3), (6, 5)], 8, 1.0).numpy(), rtol=1e-6)
    cases = [(lambda d, t, z: d.giou_loss(z, d.box_cxcywh_to_xyxy(d.box_xyxy_to_cxcywh(
                  t.tensor(b)))), a),
             (lambda d, t, z: d.sigmoid_focal_loss(z, t.tensor(hard)), logits),
             (lambda d, t, z: d.centernet_focal_loss(z, t.tensor(gt)), logits)]
    for f, value in cases:
        ours = torch.tensor(value, requires_grad=True)
        mine = real_torch.tensor(value, requires_grad=True)
        loss, their_loss = f(DET, torch, ours), f(their, real_torch, mine)
        loss.backward()
        their_loss.backward()
        np.testing.assert_allclose(loss.item(), their_loss.item(), rtol=1e-10)
        np.testing.assert_allclose(ours.grad, mine.grad.numpy(), rtol=1e-9, atol=1e-12)
    boxes = np.concatenate([a + rng.normal(0, 0.5, a.shape) for _ in range(4)])
    scores = rng.random(len(boxes))
    assert DET.nms(torch.tensor(boxes), torch.tensor(scores), 0.4).tolist() == their.nms(
        real_torch.tensor(boxes), real_torch.tensor(scores), 0.4).tolist()
    for ours, want in zip(DET.decode_peaks(torch.tensor(logits), 4),
                          their.decode_peaks(real_torch.tensor(logits), 4)):
        np.testing.assert_allclose(ours.numpy(), want.numpy(), rtol=1e-12)


@needs_torch
def test_box_regressor_step_matches_pytorch():
    """One training step of the box regressor from the same weights: the loss and every
    gradient (smooth L1 with beta, GIoU through unbind/stack, sigmoid outputs)."""
    T = theirs()
    their = detection_parts(T)
    images, boxes = one_object_images(8, seed=80)
    torch.manual_seed(5)
    ours = DET.BoxRegressor()
    model = their.BoxRegressor()
    copy_weights(ours, model)
    loss = DET.box_loss(ours(torch.tensor(images)), torch.tensor(boxes))
    their_loss = their.box_loss(model(real_torch.tensor(images)), real_torch.tensor(boxes))
    loss.backward()
    their_loss.backward()
    np.testing.assert_allclose(loss.item(), their_loss.item(), rtol=1e-5)
    assert_same_gradients(ours, model, 2e-4)


def test_a_mask_s_255_without_ignore_index_says_what_to_do():
    """A VOC-style mask marks its "do not care" pixels 255; forgetting ignore_index=255, or
    one-hot encoding the mask as it is, named the label but not the cause; a label mask given to
    grid_sample as it is (int64) is refused with the fix for a mask."""
    logits = torch.randn(2, 3, 4, 4)
    mask = torch.randint(0, 3, (2, 4, 4))
    mask[0, 0, 0] = 255
    with pytest.raises(ValueError, match=r"cross_entropy: labels must be in \[0, 3\), got values "
                                         r"in \[0, 255\] .*; if 255 marks pixels to skip, as "
                                         r"in segmentation masks, pass ignore_index=255\)"):
        nn.CrossEntropyLoss()(logits, mask)
    assert np.isfinite(nn.CrossEntropyLoss(ignore_index=255)(logits, mask).item())
    with pytest.raises(ValueError, match=r"one_hot: labels must be < num_classes=3, got 255 "
                                         r"\(if 255 marks pixels to skip, replace it first"):
        F.one_hot(mask, 3)
    grid = F.affine_grid(torch.eye(2, 3).unsqueeze(0).repeat(2, 1, 1), [2, 1, 4, 4],
                         align_corners=False)
    with pytest.raises(TypeError, match=r"grid_sample: input must be floating point, got dtype "
                                        r"int64 .*convert it with \.float\(\) \(a label mask: "
                                        r"mode='nearest', then \.long\(\) the result\)"):
        F.grid_sample(mask.unsqueeze(1), grid, mode="nearest", align_corners=False)
    same = F.grid_sample(mask.unsqueeze(1).float(), grid, mode="nearest", align_corners=False)
    assert (same.squeeze(1).long() == mask).all()
