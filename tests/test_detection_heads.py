"""A user trial: small detection-style heads as a PyTorch course writes them, with `import
autograd as torch`: box IoU of (N, 1, 4) against (1, M, 4) by torch.max / torch.min
broadcasting, non-maximum suppression by argsort(descending=True) and boolean masks, and a
grid head (objectness and box offsets per cell) trained with F.smooth_l1_loss and a
BCE-with-logits. Where PyTorch is installed the same code runs there and must agree."""

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


def detection_parts(torch, nn, F):
    def box_iou(a, b):
        """(N, 4) and (M, 4) boxes (x1, y1, x2, y2) -> (N, M) intersection over union."""
        lt = torch.max(a[:, None, :2], b[None, :, :2])
        rb = torch.min(a[:, None, 2:], b[None, :, 2:])
        wh = (rb - lt).clamp(min=0)
        inter = wh[..., 0] * wh[..., 1]
        area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
        area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        return inter / (area_a[:, None] + area_b[None, :] - inter)

    def nms(boxes, scores, threshold):
        order = scores.argsort(descending=True)
        keep = []
        while order.numel() > 0:
            best = order[0]
            keep.append(best.item())
            ious = box_iou(boxes[best].unsqueeze(0), boxes[order[1:]])[0]
            order = order[1:][ious <= threshold]
        return keep

    class GridHead(nn.Module):
        """A 4x4 grid over a 32x32 image: one objectness logit and 4 box offsets per cell."""
        def __init__(self, c=8):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
            self.objectness = nn.Conv2d(c, 1, 1)
            self.boxes = nn.Conv2d(c, 4, 1)

        def forward(self, x):
            h = self.body(x)
            return self.objectness(h), self.boxes(h)

    def head_loss(objectness, boxes, obj_target, box_target):
        mask = obj_target[:, 0] > 0                                   # (N, 4, 4) cells
        pred = boxes.permute(0, 2, 3, 1)[mask]                       # (K, 4)
        target = box_target.permute(0, 2, 3, 1)[mask]
        return (F.binary_cross_entropy_with_logits(objectness, obj_target)
                + F.smooth_l1_loss(pred, target, beta=0.5))

    return box_iou, nms, GridHead, head_loss


box_iou, nms, GridHead, head_loss = detection_parts(autograd, nn, F)


def random_boxes(rng, n, low=1.0, high=5.0):
    corner = rng.uniform(0, 10, (n, 2))
    return np.concatenate([corner, corner + rng.uniform(low, high, (n, 2))], 1)


def squares_with_boxes(n, seed):
    """32x32 noisy images with one bright square each; per 8x8 cell of its centre, objectness 1
    and the box as (centre offset in the cell, log size / 8)."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0, 0.2, (n, 1, 32, 32)).astype(np.float32)
    obj = np.zeros((n, 1, 4, 4), np.float32)
    box = np.zeros((n, 4, 4, 4), np.float32)
    for i in range(n):
        h, w = rng.integers(5, 13, 2)
        y0, x0 = rng.integers(0, 32 - h), rng.integers(0, 32 - w)
        images[i, 0, y0:y0 + h, x0:x0 + w] += 1.0
        cy, cx = y0 + h / 2, x0 + w / 2
        gy, gx = int(cy // 8), int(cx // 8)
        obj[i, 0, gy, gx] = 1
        box[i, :, gy, gx] = [cx / 8 - gx, cy / 8 - gy, np.log(w / 8), np.log(h / 8)]
    return images, obj, box


def test_box_iou_by_broadcasting_is_right_by_hand_and_gradchecks():
    a = autograd.tensor([[0., 0., 2., 2.], [1., 1., 3., 3.]])
    b = autograd.tensor([[1., 1., 2., 2.], [5., 5., 6., 6.], [0., 0., 2., 2.]])
    np.testing.assert_allclose(box_iou(a, b).data, [[0.25, 0, 1], [0.25, 0, 1 / 7]], rtol=1e-6)
    rng = np.random.default_rng(0)
    boxes = autograd.tensor(random_boxes(rng, 4), requires_grad=True)
    others = autograd.tensor(random_boxes(rng, 3))
    # (the points stay away from the kinks where an overlap starts or one box's edge passes
    # another's: random corners make a tie of coordinates unlikely)
    assert gradcheck(lambda x: box_iou(x, others), boxes)


def test_nms_keeps_the_best_box_of_each_cluster():
    boxes = autograd.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.],
                             [21., 20., 30., 31.], [0., 20., 5., 25.]])
    scores = autograd.tensor([0.9, 0.95, 0.5, 0.6, 0.1])
    assert nms(boxes, scores, 0.5) == [1, 3, 4]
    assert nms(boxes, scores, 0.99) == [1, 0, 3, 2, 4]


def test_grid_head_learns_where_the_square_is():
    images, obj, box = squares_with_boxes(48, seed=1)
    autograd.manual_seed(0)
    model = GridHead()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    x, o, b = autograd.tensor(images), autograd.tensor(obj), autograd.tensor(box)
    losses = []
    for _ in range(60):
        loss = head_loss(*model(x), o, b)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    test_images, test_obj, _ = squares_with_boxes(32, seed=2)
    with autograd.no_grad():
        objectness, _ = model(autograd.tensor(test_images))
    found = objectness.reshape(32, 16).argmax(1)
    hits = (found == autograd.tensor(test_obj.reshape(32, 16).argmax(1))).float().mean().item()
    assert hits > 0.5, hits                         # chance: 1 in 16


@needs_torch
def test_box_iou_nms_and_the_head_s_loss_match_pytorch():
    torch = real_torch
    t_iou, t_nms, TorchHead, t_loss = detection_parts(torch, torch.nn, torch.nn.functional)
    rng = np.random.default_rng(3)
    a, b, scores = random_boxes(rng, 20), random_boxes(rng, 7), rng.random(20)
    x = autograd.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    iou, t_iou_ab = box_iou(x, autograd.tensor(b)), t_iou(tx, torch.tensor(b))
    np.testing.assert_allclose(iou.data, t_iou_ab.detach().numpy(), rtol=1e-12, atol=1e-15)
    iou.sum().backward()
    t_iou_ab.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-15)
    assert nms(autograd.tensor(a), autograd.tensor(scores), 0.3) == \
        t_nms(torch.tensor(a), torch.tensor(scores), 0.3)

    images, obj, box = squares_with_boxes(4, seed=4)
    autograd.manual_seed(1)
    model = GridHead()
    theirs = TorchHead()
    theirs.load_state_dict({k: torch.tensor(np.array(v)) for k, v in model.state_dict().items()})
    loss = head_loss(*model(autograd.tensor(images)), autograd.tensor(obj), autograd.tensor(box))
    t = t_loss(*theirs(torch.tensor(images)), torch.tensor(obj), torch.tensor(box))
    loss.backward()
    t.backward()
    np.testing.assert_allclose(loss.item(), t.item(), rtol=1e-5)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(dict(model.named_parameters())[name].grad, p.grad.numpy(),
                                   rtol=1e-4, atol=1e-6 * float(p.grad.abs().max()), err_msg=name)
