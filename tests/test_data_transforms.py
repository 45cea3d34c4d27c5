"""nn.data.transforms: torchvision's image transforms, checked against what each one means."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from nn.data import DataLoader, Dataset
from nn.data import transforms as T


def test_to_tensor_puts_channels_first_and_scales_bytes():
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10      # (H, W, C)
    x = T.ToTensor()(image)
    assert x.shape == (3, 2, 3) and x.dtype == np.float32 and x.data.flags.c_contiguous
    np.testing.assert_allclose(x.data, np.moveaxis(image, -1, 0) / 255.0, rtol=1e-6)
    grey = T.ToTensor()(np.array([[0.25, 0.5]]))                            # floats kept
    assert grey.shape == (1, 1, 2) and grey.tolist() == [[[0.25, 0.5]]]
    with pytest.raises(ValueError, match=r"\(H, W, C\) or \(H, W\)"):
        T.ToTensor()(np.zeros((2, 4, 4, 3), np.uint8))


def test_normalize_per_channel_and_its_mistakes():
    x = Tensor(np.random.default_rng(0).uniform(size=(2, 3, 4, 4)).astype(np.float32))
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    got = T.Normalize(mean, std)(x)
    want = (x.data - np.reshape(mean, (3, 1, 1))) / np.reshape(std, (3, 1, 1))
    np.testing.assert_allclose(got.data, want, rtol=1e-6, atol=1e-6)
    assert got.dtype == np.float32 and got is not x
    same = T.Normalize(mean, std, inplace=True)(x)
    assert same is x
    np.testing.assert_allclose(x.data, want, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="2 mean values for an image of 3 channels"):
        T.Normalize([0.5, 0.5], [1.0, 1.0])(x)
    with pytest.raises(ValueError, match="divided by 0"):
        T.Normalize([0.5], [0.0])
    with pytest.raises(TypeError, match="ToTensor"):
        T.Normalize([0.5], [0.5])(np.zeros((8, 8, 3)))


def test_crops_and_flips_take_the_right_pixels():
    image = Tensor(np.arange(2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6))
    center = T.CenterCrop((3, 2))(image)
    np.testing.assert_array_equal(center.data, image.data[:, 1:4, 2:4])
    autograd.manual_seed(3)
    crops = [T.RandomCrop(3)(image) for _ in range(40)]
    starts = set()
    for crop in crops:
        assert crop.shape == (2, 3, 3)
        top, left = np.argwhere(image.data[0] == crop.data[0, 0, 0])[0]
        np.testing.assert_array_equal(crop.data, image.data[:, top:top + 3, left:left + 3])
        starts.add((int(top), int(left)))
    assert len(starts) > 5 and all(t <= 2 and l <= 3 for t, l in starts)
    padded = T.RandomCrop((5, 6), padding=2)(image)             # zeros come in at an edge
    assert padded.shape == (2, 5, 6)
    flipped = T.RandomHorizontalFlip(p=1.0)(image)
    np.testing.assert_array_equal(flipped.data, image.data[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(image).data, image.data[:, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(image) is image
    with pytest.raises(ValueError, match="a 6 × 6 crop of an image 5 × 6"):
        T.CenterCrop(6)(image)
    with pytest.raises(ValueError, match="probability"):
        T.RandomHorizontalFlip(p=2)


def test_random_transforms_repeat_after_manual_seed():
    image = Tensor(np.arange(64, dtype=np.float32).reshape(1, 8, 8))
    augment = T.Compose([T.RandomCrop(6, padding=1), T.RandomHorizontalFlip()])
    runs = []
    for _ in range(2):
        autograd.manual_seed(11)
        runs.append([augment(image).data for _ in range(10)])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    assert len({a.tobytes() for a in runs[0]}) > 1


def test_resize_is_bilinear_interpolation_as_pytorch_without_antialiasing():
    image = np.random.default_rng(1).uniform(size=(3, 7, 9)).astype(np.float32)
    got = T.Resize((4, 5))(Tensor(image))
    assert got.shape == (3, 4, 5)
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    want = torch.nn.functional.interpolate(torch.from_numpy(image)[None], size=(4, 5),
                                           mode="bilinear", align_corners=False)[0]
    np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-5, atol=1e-6)


def test_resize_of_a_constant_image_keeps_it_and_a_batch_keeps_its_axis():
    batch = Tensor(np.full((2, 1, 6, 6), 0.5, np.float32))
    out = T.Resize(3)(batch)
    assert out.shape == (2, 1, 3, 3)
    np.testing.assert_allclose(out.data, 0.5)


def test_a_dataset_with_a_composed_transform_feeds_a_loader():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10, 8, 8, 3), dtype=np.uint8)

    class Images(Dataset):
        def __init__(self, transform):
            self.transform = transform

        def __len__(self):
            return len(images)

        def __getitem__(self, i):
            return self.transform(images[i]), i % 2

    prepare = T.Compose([T.ToTensor(), T.RandomCrop(6, padding=1), T.RandomHorizontalFlip(),
                         T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
                         T.Lambda(lambda x: x.clip(-2.0, 2.0))])
    xb, yb = next(iter(DataLoader(Images(prepare), batch_size=4)))
    assert xb.shape == (4, 3, 6, 6) and xb.dtype == np.float32 and yb.tolist() == [0, 1, 0, 1]
    assert float(xb.data.min()) >= -2.0 and float(xb.data.max()) <= 2.0
    assert "RandomCrop(size=(6, 6), padding=(1, 1))" in repr(prepare)
    with pytest.raises(TypeError, match="with parentheses"):
        T.Compose([T.ToTensor])
