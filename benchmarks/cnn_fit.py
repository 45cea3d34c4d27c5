"""The CNN of notebook 10 on MNIST: the real t10k digits, first 8,000 to train, last 2,000 held out.

    python benchmarks/cnn_fit.py [--mnist DIR] [--seeds 0 1 2] [--epochs 8]

Conv(1→16, 5×5, pad 2)–BatchNorm–ReLU–MaxPool 2–Conv(16→32, 5×5, pad 2)–BatchNorm–ReLU–MaxPool 2–
Flatten–Dropout 0.3–Linear(1568→10); every epoch each digit shifted at random by up to 2 pixels;
Adam 2e-3 with cosine decay, batch 64. Prints, per seed, the training time and the held-out
accuracy. The MNIST directory defaults to $GLASSGRAD_MNIST_DIR (the t10k IDX files are enough).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Tensor, manual_seed  # noqa: E402
from nn import (  # noqa: E402
    BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, cross_entropy,
    evaluate, fit,
)
from nn.data import DataLoader, load_mnist  # noqa: E402
from nn.optim import Adam  # noqa: E402
from nn.optim.lr_scheduler import CosineAnnealingLR  # noqa: E402


def build() -> Sequential:
    return Sequential(Conv2d(1, 16, 5, padding=2), BatchNorm2d(16), ReLU(), MaxPool2d(2),
                      Conv2d(16, 32, 5, padding=2), BatchNorm2d(32), ReLU(), MaxPool2d(2),
                      Flatten(), Dropout(0.3), Linear(32 * 7 * 7, 10))


def shift_images(images: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Each image (N, 1, 28, 28) moved by a random (dy, dx) in [-max_shift, max_shift]², zero fill."""
    n = len(images)
    padded = np.pad(images[:, 0], ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy, dx = rng.integers(0, 2 * max_shift + 1, size=(2, n))
    rows = dy[:, None] + np.arange(28)
    cols = dx[:, None] + np.arange(28)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]][:, None]


class ShiftedDigits(DataLoader):
    """Shuffled batches, every image shifted at random anew each epoch."""

    def __init__(self, X, y, batch_size: int, seed: int) -> None:
        super().__init__(X, y, batch_size=batch_size, shuffle=True, seed=seed)
        self.shifts = np.random.default_rng(seed + 1)

    def __iter__(self):
        for xb, yb in super().__iter__():
            yield Tensor(shift_images(xb.data, self.shifts)), yb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", default=os.environ.get("GLASSGRAD_MNIST_DIR"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    if not args.mnist:
        parser.error("pass --mnist DIR or set GLASSGRAD_MNIST_DIR")
    digits = load_mnist(args.mnist, split_t10k=8000)
    X_train = digits.train_images.reshape(-1, 1, 28, 28)
    X_test = digits.test_images.reshape(-1, 1, 28, 28)
    print(f"MNIST t10k split: {len(X_train)} train, {len(X_test)} held out; notebook 10's CNN, "
          f"{args.epochs} epochs")
    for seed in args.seeds:
        manual_seed(seed)
        model = build()
        optimizer = Adam(model.parameters(), lr=2e-3)
        started = time.perf_counter()
        fit(model, cross_entropy, optimizer, ShiftedDigits(X_train, digits.train_labels, 64, seed),
            epochs=args.epochs, scheduler=CosineAnnealingLR(optimizer, T_max=args.epochs),
            metrics=(), progress=False)
        seconds = time.perf_counter() - started
        held_out = evaluate(model, cross_entropy, (X_test, digits.test_labels),
                            metrics=("accuracy",))["accuracy"]
        print(f"seed {seed}: {seconds:5.1f} s, held-out accuracy {held_out:.2%}", flush=True)


if __name__ == "__main__":
    main()
