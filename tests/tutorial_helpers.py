"""Made-up images for the trials of PyTorch's beginner tutorials (tests/test_tutorial_*.py): a
tiny MNIST-like set, 28x28 grey images of 10 classes on faint noise, each class a 6x6 glyph of
its own (a fixed random pattern) in a place of its own, so that a linear model separates them by
place and a small CNN that averages over the whole image (the tutorial's AdaptiveAvgPool2d) by
shape. Nothing is downloaded."""

from __future__ import annotations

import numpy as np


def fake_images(count: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(images (count, 28, 28) float32 in [0, 1], labels (count,) int64 in 0..9): class c has
    its glyph at row 2 + 13 * (c // 5), column 5 * (c % 5), jittered by a pixel.

    >>> images, labels = fake_images(20)
    >>> images.shape, images.dtype, labels.shape, int(labels.max()) <= 9
    ((20, 28, 28), dtype('float32'), (20,), True)
    """
    glyphs = np.random.default_rng(12345).random((10, 6, 6)) < 0.5    # the same in every set
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10                  # every class, in equal numbers
    rng.shuffle(labels)
    images = rng.uniform(0.0, 0.25, (count, 28, 28)).astype(np.float32)
    for image, label in zip(images, labels):
        row, column = 2 + 13 * (label // 5), 5 * (label % 5)
        row, column = row + rng.integers(-1, 2), column + rng.integers(0, 2)
        image[row:row + 6, column:column + 6] += 0.7 * glyphs[label]
    return images, labels.astype(np.int64)
