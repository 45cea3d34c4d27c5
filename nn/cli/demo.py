"""`glassgrad demo`: an MLP learns the two moons; the command writes its pictures.

    glassgrad demo [-o glassgrad-demo]
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

from autograd import Tensor, manual_seed
from autograd.files import atomic_open
from autograd.viz import GraphDrawing, draw_graph
from nn import MLP, cross_entropy, fit
from nn.data import make_moons, train_test_split
from nn.metrics import accuracy, confusion_matrix
from nn.module import Module
from nn.optim import Adam

from .errors import UsageError
from .options import positive_int, random_seed
from .output import check_output_path, check_writable, matrix_text, missing_folder


def add_parser(subparsers: Any) -> None:
    """Register `demo` on the `glassgrad` command's subparsers."""
    p = subparsers.add_parser(
        "demo", help="train an MLP on the two moons and write its pictures",
        description="Train an MLP on the two-moons dataset, print train and "
                    "test accuracy and the confusion matrix, and write two pictures into an "
                    "output folder: decision_boundary.png (the regions the network assigns to "
                    "each class, with the data) and prediction_graph.svg (the computation graph "
                    "of one test point's loss, every weight with its gradient).")
    p.add_argument("-o", "--out", default="glassgrad-demo", metavar="FOLDER",
                   help="output folder, made if it does not exist; the folder it is in must "
                        "exist (default: %(default)s)")
    p.add_argument("--epochs", type=positive_int, default=100, metavar="N",
                   help="passes over the data (default: 100)")
    p.add_argument("--seed", type=random_seed, default=0, help="random seed (default: 0)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: when stderr is a terminal)")
    p.set_defaults(run=run)


def _check_folder(out: str) -> None:
    """The pictures' folder must exist or be one that can be made in an existing folder (as
    the other commands' outputs, whose folder must exist), checked before training: a folder
    to be made is made and removed again (it is made for good after training), so that one
    that cannot be (/proc/x, a read-only disk, no permission) is refused now."""
    if not out.strip():
        raise UsageError(f"-o {out!r}: no folder name; give one")
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"-o {out}: is a file; give a folder for the pictures")
    parent = os.path.dirname(os.path.abspath(out))       # the folder that makes it
    if not os.path.isdir(parent):
        raise missing_folder("-o", out, os.path.dirname(os.path.normpath(out)) or parent)
    if os.path.isdir(out):
        check_writable("-o", out, out)
        return
    try:
        os.mkdir(out)
    except OSError as error:
        raise UsageError(f"-o {out}: the folder cannot be made in {parent} "
                         f"({error.strerror or error})") from None
    try:
        check_writable("-o", out, out)
    finally:
        os.rmdir(out)


def run(args: argparse.Namespace) -> int:
    _check_folder(args.out)
    boundary = os.path.join(args.out, "decision_boundary.png")
    graph = os.path.join(args.out, "prediction_graph.svg")
    if os.path.isdir(args.out):                  # else it is made, empty, after training
        for picture in (boundary, graph):
            check_output_path("-o", picture, given=args.out)
    manual_seed(args.seed)
    X, y = make_moons(n_samples=400, noise=0.15, seed=args.seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=args.seed)
    model = MLP(2, [16, 16], 2)
    print(f"glassgrad demo: an MLP 2-16-16-2 learns the two moons ({len(X_train)} training "
          f"points, {len(X_test)} held out)")
    fit(model, cross_entropy, Adam(model.parameters(), lr=0.03), (X_train, y_train),
        epochs=args.epochs, batch_size=32, seed=args.seed, progress=args.progress)
    train_acc = accuracy(y_train, model(X_train).numpy().argmax(1))
    predicted = model(X_test).numpy().argmax(1)
    print(f"train accuracy {train_acc:.3f}, test accuracy {accuracy(y_test, predicted):.3f}")
    print("confusion matrix on the test set (rows: true class, columns: predicted):")
    print(matrix_text(confusion_matrix(y_test, predicted)))

    if not os.path.isdir(args.out):
        os.mkdir(args.out)                       # one folder: the one it is in was checked
    _decision_boundary(model, X, y, boundary)
    print(f"wrote {boundary}: the regions the network assigns to each class, with the data")
    _prediction_graph(model, X_test[:1], y_test[:1]).save(graph)
    print(f"wrote {graph}: one test point's loss as a graph, every weight with its gradient")
    return 0


def _prediction_graph(model: Module, x: np.ndarray, y: np.ndarray) -> GraphDrawing:
    """The graph of one test point's loss after backward: every weight with its gradient."""
    model.label_parameters()                             # "0.weight" in the picture
    model.zero_grad()
    loss = cross_entropy(model(Tensor(x, label="x")), y)
    loss.label = "loss"
    loss.backward()
    return draw_graph(loss, engine="builtin")


def _decision_boundary(model: Module, X: np.ndarray, y: np.ndarray, path: str) -> None:
    """The predicted class over a grid around the data, the points on top, as a PNG."""
    # a dependency (pyproject), imported when needed. A Figure of its own, not pyplot's: it
    # draws to a file without a display, and main() run in a notebook or an interactive
    # session leaves that session's plotting backend as it was
    from matplotlib.figure import Figure

    xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 200)
    ys = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 200)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    classes = model(grid).numpy().argmax(1).reshape(gx.shape)
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    ax.contourf(gx, gy, classes, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
    ax.set_title("glassgrad MLP on the two moons")
    _save_figure(fig, path)


def _save_figure(fig: Any, path: str) -> None:
    with atomic_open(path) as f:
        fig.savefig(f, format="png", dpi=120, bbox_inches="tight")
