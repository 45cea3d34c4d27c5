"""A model trained on a table, with everything it needs to predict: `load_trained("model.npz")`.

`glassgrad train` saves two files side by side (and `TrainedModel.save` writes the same pair):

    model.npz    the MLP's weights ("0.weight", ...) and the training inputs' `input_mean` and
                 `input_std` (the standardisation every input row goes through first)
    model.json   the settings: task, target, feature names, hidden sizes, activation, class
                 names, "weights": "model.npz", and "weights_sha256": that file's SHA-256,
                 so that a pair from two runs (or a save interrupted between the files) is
                 refused when loaded, not used

`load_trained` reads both and returns a `TrainedModel`: call it on raw rows (it standardises
them), or ask `predict` for class names or numbers.

>>> import os, tempfile
>>> import numpy as np
>>> from nn import MLP
>>> from nn.trained import TrainedModel, load_trained
>>> mlp = MLP(2, [4], 2)
>>> trained = TrainedModel(mlp, input_mean=np.array([10., 0.]), input_std=np.array([2., 1.]),
...                        task="classify", target="colour", features=["x1", "x2"],
...                        classes=["blue", "red"], hidden=[4])
>>> weights, settings = trained.save(os.path.join(tempfile.mkdtemp(), "model.npz"))
>>> os.path.basename(weights), os.path.basename(settings)
('model.npz', 'model.json')
>>> again = load_trained(weights)
>>> rows = np.array([[9.0, 0.5], [12.0, -1.0]])
>>> bool(np.allclose(again(rows).numpy(), trained(rows).numpy()))
True
>>> again.predict(rows).tolist() == trained.predict(rows).tolist()
True
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Sequence

import numpy as np

from autograd.files import atomic_open, check_destination
from autograd.graph import Node

from .data.loader import checked_arrays
from .io import load, save
from .layers import MLP
from .module import Module

__all__ = ["TrainedModel", "load_trained", "trained_paths"]

TASKS = ("classify", "regress")


def trained_paths(path: str | os.PathLike) -> tuple[str, str]:
    """The (weights, settings) file names for `path`: `model`, `model.npz` and `model.json` all
    give ("model.npz", "model.json"); any other suffix is kept ("m.v2" → "m.v2.npz", "m.v2.json"),
    so the two files never share a name.

    >>> trained_paths("runs/model.json")
    ('runs/model.npz', 'runs/model.json')

    A path without a name ("", "runs/", ".npz") is refused: it would give hidden ".npz" files.
    """
    path = os.fspath(path)
    stem, suffix = os.path.splitext(path)
    if suffix.lower() not in (".npz", ".json"):
        stem = path
    name = os.path.basename(stem)
    if name in ("", ".", "..") or name.lower() in (".npz", ".json"):
        raise ValueError(f"trained_paths: {path!r} has no file name; give one such as "
                         f"'model.npz'")
    return stem + ".npz", stem + ".json"


class TrainedModel(Module):
    """An MLP with the standardisation of its training inputs and the names of its columns.

    Calling it standardises raw rows, `(x - input_mean) / input_std`, then runs the MLP (logits
    for "classify", one number per row for "regress"); `predict` gives class names or numbers.
    """

    def __init__(self, model: Module, input_mean: Any, input_std: Any, *, task: str, target: str,
                 features: Sequence[str], classes: Sequence[str] = (),
                 hidden: Sequence[int] = (), activation: str = "relu") -> None:
        super().__init__()
        if task not in TASKS:
            raise ValueError(f"TrainedModel: task must be one of {TASKS}, got {task!r}")
        if task == "classify" and len(classes) < 2:
            raise ValueError(f"TrainedModel: a classifier needs at least two class names, got "
                             f"{list(classes)}")
        self.model = model
        self.input_mean = np.asarray(input_mean, dtype=np.float32)
        self.input_std = np.asarray(input_std, dtype=np.float32)
        if self.input_mean.shape != (len(features),) or self.input_std.shape != (len(features),):
            raise ValueError(f"TrainedModel: input_mean and input_std need one value per feature "
                             f"({len(features)}), got shapes {self.input_mean.shape} and "
                             f"{self.input_std.shape}")
        self.task, self.target = task, target
        self.features, self.classes = list(features), list(classes)
        self.hidden, self.activation = [int(h) for h in hidden], activation

    def forward(self, x: Any) -> Any:
        if not isinstance(x, Node):
            x = np.asarray(x, dtype=np.float32)
        if x.shape[-1:] != self.input_mean.shape:
            names = ", ".join(self.features[:8]) + (", ..." if len(self.features) > 8 else "")
            raise ValueError(f"{type(self).__name__}: expected {len(self.features)} features "
                             f"per row ({names}), got "
                             f"{x.shape[-1] if x.ndim else 0} (input of shape {x.shape})")
        return self.model((x - self.input_mean) / self.input_std)

    def predict(self, X: Any) -> np.ndarray:
        """Class names (classify) or numbers (regress), one per row of raw inputs `X`; rows with
        NaN or infinity are refused (their outputs would be NaN, and the arg-max of NaN is the
        first class)."""
        outputs = self(checked_arrays(f"{type(self).__name__}.predict", X)[0]).numpy()
        if self.task == "classify":
            return np.array(self.classes)[outputs.argmax(axis=-1)]
        return outputs.reshape(len(outputs))

    def settings(self, weights_name: str) -> dict[str, Any]:
        """What model.json holds (everything but the arrays)."""
        return {"task": self.task, "target": self.target, "features": self.features,
                "hidden": self.hidden, "activation": self.activation, "classes": self.classes,
                "weights": weights_name}

    def save(self, path: str | os.PathLike) -> tuple[str, str]:
        """Write the weights and the settings (see `trained_paths`); returns the two paths."""
        weights_path, settings_path = trained_paths(path)
        for destination in (weights_path, settings_path):      # both, before writing either
            check_destination("TrainedModel.save", destination)
        state = self.model.state_dict()
        state["input_mean"], state["input_std"] = self.input_mean, self.input_std
        save(state, weights_path)
        settings = self.settings(os.path.basename(weights_path))
        settings["weights_sha256"] = _sha256(weights_path)
        with atomic_open(settings_path, "w") as f:
            f.write(json.dumps(settings, indent=2) + "\n")
        return weights_path, settings_path

    def extra_repr(self) -> str:
        return f"task={self.task!r}, target={self.target!r}, features={self.features}"


def load_trained(path: str | os.PathLike) -> TrainedModel:
    """The model `glassgrad train` saved at `path` (its .npz, its .json, or their common stem),
    ready to predict from raw rows. Nothing in the files is executed (no pickle)."""
    _, settings_path = trained_paths(path)
    try:
        with open(settings_path, encoding="utf-8") as f:
            settings = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"load_trained: no settings file {settings_path!r} (glassgrad "
                                f"train writes it beside the weights)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"load_trained: {settings_path!r} is not a settings file: {err}") from None
    settings = _checked(settings, settings_path)
    weights_path = os.path.join(os.path.dirname(settings_path), settings["weights"])
    expected = settings.get("weights_sha256")       # (older settings files have none)
    if expected is not None and os.path.isfile(weights_path) and \
            _sha256(weights_path) != expected:
        raise ValueError(f"load_trained: {weights_path!r} is not the weights file its settings "
                         f"{settings_path!r} were saved with (the two come from different runs, "
                         f"or a save stopped between them); train again, or put back the pair")
    state = load(weights_path)
    try:
        mean, std = state.pop("input_mean"), state.pop("input_std")
    except KeyError:
        raise ValueError(f"load_trained: {weights_path!r} has no input_mean/input_std (it is not "
                         f"a model saved by glassgrad train)") from None
    n_out = len(settings["classes"]) if settings["task"] == "classify" else 1
    mlp = MLP(len(settings["features"]), settings["hidden"], n_out,
              activation=settings["activation"])
    mlp.load_state_dict(state)
    return TrainedModel(mlp, mean, std, task=settings["task"], target=settings["target"],
                        features=settings["features"], classes=settings["classes"],
                        hidden=settings["hidden"], activation=settings["activation"])


def _sha256(path: str) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked(settings: Any, path: str) -> dict[str, Any]:
    """The settings with every entry of the expected kind, else a ValueError naming it."""
    def expect(ok: bool, what: str) -> None:
        if not ok:
            raise ValueError(f"load_trained: {path!r}: {what}")

    expect(isinstance(settings, dict), "expected a JSON object")
    settings = {"activation": "relu", "classes": [], **settings}
    expect(settings.get("task") in TASKS, f"'task' must be one of {TASKS}")
    expect(isinstance(settings.get("target"), str), "'target' must be a column name")
    for key in ("features", "classes"):
        expect(isinstance(settings[key], list) and all(isinstance(v, str) for v in settings[key]),
               f"'{key}' must be a list of names")
        expect(len(set(settings[key])) == len(settings[key]),
               f"'{key}' lists a name more than once")   # one column would be read twice
    expect(isinstance(settings.get("hidden"), list) and all(
        isinstance(h, int) and h > 0 for h in settings["hidden"]), "'hidden' must be sizes")
    expect(isinstance(settings["activation"], str), "'activation' must be a name")
    weights = settings.get("weights")
    expect(isinstance(weights, str) and weights == os.path.basename(weights) and weights
           not in ("", ".", ".."), "'weights' must be a file name beside the settings")
    digest = settings.get("weights_sha256")
    expect(digest is None or (isinstance(digest, str) and len(digest) == 64 and
                              all(c in "0123456789abcdef" for c in digest)),
           "'weights_sha256' must be 64 hex digits")
    return settings
