"""MNIST with `nn.fit`: the real t10k digits, first 8,000 to train, last 2,000 held out.

    python benchmarks/mnist_fit.py [--mnist DIR] [--seeds 0 1 2] [--epochs 10]

Prints, per seed, the training time (fit only, data already loaded) and the held-out accuracy.
The MNIST directory defaults to $GLASSGRAD_MNIST_DIR (the t10k IDX files are enough).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import manual_seed  # noqa: E402
from nn import Dropout, Linear, ReLU, Sequential, cross_entropy, fit  # noqa: E402
from nn.data import load_mnist  # noqa: E402
from nn.metrics import accuracy  # noqa: E402
from nn.optim import Adam  # noqa: E402
from nn.optim.lr_scheduler import CosineAnnealingLR  # noqa: E402


def build() -> Sequential:
    """784-512-256-10 with ReLU and a little dropout (8,000 images overfit a plain MLP)."""
    return Sequential(Linear(784, 512), ReLU(), Dropout(0.2),
                      Linear(512, 256), ReLU(), Dropout(0.2),
                      Linear(256, 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", default=os.environ.get("GLASSGRAD_MNIST_DIR"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    if not args.mnist:
        parser.error("pass --mnist DIR or set GLASSGRAD_MNIST_DIR")
    digits = load_mnist(args.mnist, split_t10k=8000)
    mean, std = digits.train_images.mean(), digits.train_images.std()
    X_train = (digits.train_images - mean) / std          # standardised with training statistics
    X_test = (digits.test_images - mean) / std
    print(f"MNIST t10k split: {len(X_train)} train, {len(X_test)} held out; "
          f"MLP 784-512-256-10, Adam 1e-3 with cosine decay, batch 64, {args.epochs} epochs")
    for seed in args.seeds:
        manual_seed(seed)
        model = build()
        optimizer = Adam(model.parameters(), lr=1e-3)
        started = time.perf_counter()
        fit(model, cross_entropy, optimizer, (X_train, digits.train_labels), epochs=args.epochs,
            batch_size=64, seed=seed, scheduler=CosineAnnealingLR(optimizer, T_max=args.epochs),
            metrics=(), progress=False)
        seconds = time.perf_counter() - started
        model.eval()
        held_out = accuracy(digits.test_labels, model(X_test).numpy().argmax(axis=1))
        print(f"seed {seed}: {seconds:5.1f} s, held-out accuracy {held_out:.2%}")


if __name__ == "__main__":
    main()
