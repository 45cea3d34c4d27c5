"""A model trained on a table, with everything it needs to predict: `load_trained("model.npz")`.

`glassgrad train` saves two files side by side (and `TrainedModel.save` writes the same pair):

    model.npz    the MLP's weights ("0.weight", ...), the training inputs' `input_mean` and
                 `input_std` (the standardisation every input row goes through first), for a
                 regression the target's `target_mean` and `target_std` (the MLP learns the
                 standardised target: its outputs are scaled back), and "settings": the model's
                 settings, so that this file alone is the whole model
    model.json   the same settings to read and edit: task, target, feature names, hidden sizes,
                 activation, class names, for a model of a table's columns how it reads them
                 ("columns" in order, the words of each "categories" column, one 0/1 feature
                 "colour=red" each, and the "fill" of a number column's missing values: its
                 training median), plus "weights": "model.npz" and "weights_sha256":
                 that file's SHA-256, which ties the two files together (the weights loaded
                 are always the .npz of the same name: a pair copied or renamed still loads)

The weights are written first, then the settings, each file atomically; a save stopped between
the two (Ctrl-C, SIGTERM, a full disk) leaves new weights beside the old settings. So
`load_trained` takes the settings from model.json only when its "weights_sha256" is the
SHA-256 of model.npz, and otherwise from model.npz itself, with a warning that model.json was
left out: the files on disk always load as the old model or the new one. Edits to model.json
(class names, say) are used as long as the pair belongs together. Files from glassgrad
versions whose model.npz has no "settings" load as before, from model.json alone.

`load_trained` returns a `TrainedModel`: call it on raw rows (it standardises them), or ask
`predict` for class names or numbers.

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
import math
import os
from typing import Any, Sequence

import numpy as np

from autograd.files import atomic_open, check_destination
from autograd import Tensor
from autograd.graph import Node
from autograd.tables import is_table
from autograd.warn import warn

from .data.loader import checked_arrays
from .io import load, save, unique_keys
from .layers import ACTIVATIONS, MLP
from .module import Module

__all__ = ["TrainedModel", "load_trained", "trained_paths", "encoded_features"]

TASKS = ("classify", "regress")


def encoded_features(columns: Sequence[str], categories: dict[str, Sequence[str]]) -> list[str]:
    """The features a table's `columns` give: a column of numbers is one, a category one per
    word, named "column=word" (as pd.get_dummies(df, prefix_sep="=") names them).

    >>> encoded_features(["age", "colour"], {"colour": ["blue", "red"]})
    ['age', 'colour=blue', 'colour=red']
    """
    names: list[str] = []
    for column in columns:
        if column in categories:
            names += [f"{column}={word}" for word in categories[column]]
        else:
            names.append(column)
    return names


#: the suffixes of a weights file: numpy's archive, or PyTorch's (torch.load reads it)
WEIGHTS_SUFFIXES = (".npz", ".pt", ".pth")


def trained_paths(path: str | os.PathLike) -> tuple[str, str]:
    """The (weights, settings) file names for `path`: `model`, `model.npz` and `model.json` all
    give ("model.npz", "model.json"), `model.pt` ("model.pt", "model.json"): PyTorch's format;
    any other suffix is kept ("m.v2" → "m.v2.npz", "m.v2.json"), so the two files never share
    a name. `model.json` names a `model.pt` beside it when there is no `model.npz`.

    >>> trained_paths("runs/model.json"), trained_paths("runs/model.pt")
    (('runs/model.npz', 'runs/model.json'), ('runs/model.pt', 'runs/model.json'))

    A path without a name ("", "runs/", ".npz") is refused: it would give hidden ".npz" files.
    """
    path = os.fspath(path)
    stem, suffix = os.path.splitext(path)
    if suffix.lower() not in (*WEIGHTS_SUFFIXES, ".json"):
        stem, suffix = path, ""
    name = os.path.basename(stem)
    if name in ("", ".", "..") or name.lower() in (*WEIGHTS_SUFFIXES, ".json"):
        raise ValueError(f"trained_paths: {path!r} has no file name; give one such as "
                         f"'model.npz'")
    weights = stem + (suffix if suffix.lower() in WEIGHTS_SUFFIXES else ".npz")
    if suffix.lower() == ".json" and not os.path.exists(weights):
        weights = next((stem + pt for pt in WEIGHTS_SUFFIXES[1:] if os.path.exists(stem + pt)),
                       weights)
    return weights, stem + ".json"


class TrainedModel(Module):
    """An MLP with the standardisation of its training inputs and the names of its columns.

    Calling it standardises raw rows, `(x - input_mean) / input_std`, then runs the MLP (logits
    for "classify"; for "regress" one number per row, scaled back to the target's units:
    `output * target_std + target_mean`); `predict` gives class names or numbers.
    """

    def __init__(self, model: Module, input_mean: Any, input_std: Any, *, task: str, target: str,
                 features: Sequence[str], classes: Sequence[str] = (),
                 hidden: Sequence[int] = (), activation: str = "relu",
                 target_mean: float = 0.0, target_std: float = 1.0,
                 columns: Sequence[str] | None = None,
                 categories: dict[str, Sequence[str]] | None = None,
                 fill: dict[str, float] | None = None) -> None:
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
        usable = np.isfinite(self.input_mean) & np.isfinite(self.input_std) & (self.input_std > 0)
        if not usable.all():                     # else the outputs would be NaN or infinite
            i = int(np.argmin(usable))
            raise ValueError(f"TrainedModel: input_mean must be finite and input_std finite and "
                             f"above 0; feature {features[i]!r} has mean {self.input_mean[i]:g} "
                             f"and std {self.input_std[i]:g}")
        if not (math.isfinite(target_mean) and math.isfinite(target_std) and target_std > 0):
            raise ValueError(f"TrainedModel: target_mean must be finite and target_std finite and "
                             f"above 0, got {target_mean:g} and {target_std:g}")
        # float32, as the outputs are: a float64 scalar would make them float64
        self.target_mean, self.target_std = np.float32(target_mean), np.float32(target_std)
        self.task, self.target = task, target
        self.features, self.classes = list(features), list(classes)
        self.hidden, self.activation = [int(h) for h in hidden], activation
        # how a table's columns become the features (glassgrad train's; None: they are the
        # features): the words of the categories, the medians that fill in missing numbers
        self.columns = None if columns is None else list(columns)
        self.categories = {k: list(v) for k, v in (categories or {}).items()}
        self.fill = {k: float(v) for k, v in (fill or {}).items()}
        if self.columns is not None and encoded_features(self.columns, self.categories) != \
                self.features:
            raise ValueError(f"TrainedModel: the columns {self.columns} with the categories "
                             f"{self.categories} give the features "
                             f"{encoded_features(self.columns, self.categories)}, not "
                             f"{self.features}")

    def _features_of(self, x: Any, where: str) -> Any:
        """A pandas or polars DataFrame's feature columns, by name, in the model's order (as
        `glassgrad predict` reads a CSV file): the other columns (the target, an id) are left
        out, and a DataFrame whose columns come in another order is not read by position. A
        pandas Series that is one row of such a DataFrame (df.iloc[0]: the column names are its
        index) is read by name too (polars has no such rows: df[0] is a DataFrame)."""
        if not is_table(x):
            return x
        if not hasattr(x, "columns"):       # a Series: a row of a frame, or a column of numbers
            index = getattr(x, "index", ())
            return x[self.features] if all(name in index for name in self.features) else x
        absent = [name for name in self.features if name not in x.columns]
        if absent:
            raise ValueError(f"{where}: the DataFrame has no column "
                             f"{', '.join(map(repr, absent[:8]))} (the model was trained on "
                             f"{', '.join(map(repr, self.features[:8]))}"
                             f"{', ...' if len(self.features) > 8 else ''}); its columns are "
                             f"{', '.join(map(repr, list(x.columns)[:12]))}")
        return x[self.features]

    def forward(self, x: Any) -> Any:
        x = self._features_of(x, type(self).__name__)
        if not isinstance(x, Node):
            x = Tensor(x, dtype=np.float32).data if is_table(x) else \
                np.asarray(x, dtype=np.float32)
        if x.shape[-1:] != self.input_mean.shape:
            names = ", ".join(self.features[:8]) + (", ..." if len(self.features) > 8 else "")
            raise ValueError(f"{type(self).__name__}: expected {len(self.features)} features "
                             f"per row ({names}), got "
                             f"{x.shape[-1] if x.ndim else 0} (input of shape {x.shape})")
        outputs = self.model((x - self.input_mean) / self.input_std)
        if self.task == "regress":           # the MLP learnt the standardised target
            outputs = outputs * self.target_std + self.target_mean
        return outputs

    def predict(self, X: Any) -> np.ndarray:
        """Class names (classify) or numbers (regress), one per row of raw inputs `X`; rows with
        NaN or infinity are refused (their outputs would be NaN, and the arg-max of NaN is the
        first class). Classes named by numbers ("0", "1", as a CSV's label column has them)
        come back as numbers, so that `model.predict(X) == y` compares with numeric labels
        (strings would compare unequal to every one of them). A pandas or polars DataFrame's
        feature columns are read by name, whatever their order and whatever other columns it
        has (and so are a pandas row's, df.iloc[0], one sample)."""
        where = f"{type(self).__name__}.predict"
        X = self._filled(self._features_of(X, where))
        outputs = self(checked_arrays(where, X)[0]).numpy()
        if self.task == "classify":
            return _class_array(self.classes)[outputs.argmax(axis=-1)]
        return outputs.reshape(len(outputs))

    def _filled(self, X: Any) -> Any:
        """An array `X` whose NaN (missing values) in features with a `fill` value are that
        value, the median of the training rows, as `glassgrad predict` fills them in; anything
        else as it is."""
        if not self.fill or not isinstance(X, np.ndarray) or X.dtype.kind != "f" or \
                X.shape[-1:] != (len(self.features),) or not np.isnan(X).any():
            return X
        values = np.array([self.fill.get(name, np.nan) for name in self.features], X.dtype)
        return np.where(np.isnan(X), values, X)

    def settings(self) -> dict[str, Any]:
        """What the model is, apart from its arrays: model.json holds it, and model.npz too."""
        settings = {"task": self.task, "target": self.target, "features": self.features,
                    "hidden": self.hidden, "activation": self.activation,
                    "classes": self.classes}
        if self.columns is not None:
            settings.update(columns=self.columns, categories=self.categories, fill=self.fill)
        return settings

    def save(self, path: str | os.PathLike) -> tuple[str, str]:
        """Write the weights, then the settings (see `trained_paths`); returns the two paths.

        The weights file holds the settings too, so a save stopped between the two files still
        leaves a pair that loads (as this model)."""
        weights_path, settings_path = trained_paths(path)
        for destination in (weights_path, settings_path):      # both, before writing either
            check_destination("TrainedModel.save", destination)
        state = self.model.state_dict()
        state.update(input_mean=self.input_mean, input_std=self.input_std,
                     settings=self.settings())
        if self.task == "regress":
            # 0-d arrays: a .pt file keeps them as tensors (numpy scalars became floats)
            state.update(target_mean=np.array(self.target_mean),
                         target_std=np.array(self.target_std))
        save(state, weights_path)
        settings = {**self.settings(), "weights": os.path.basename(weights_path),
                    "weights_sha256": _sha256(weights_path)}
        with atomic_open(settings_path, "w") as f:
            f.write(json.dumps(settings, indent=2) + "\n")
        return weights_path, settings_path

    def extra_repr(self) -> str:
        features = self.features
        if len(features) > 8:   # a CSV of 784 pixel columns would fill the screen
            shown = ", ".join(map(repr, features[:3])) + ", ..., " + repr(features[-1])
            features = f"[{shown}] ({len(features)} columns)"
        return f"task={self.task!r}, target={self.target!r}, features={features}"


def load_trained(path: str | os.PathLike) -> TrainedModel:
    """The model `glassgrad train` saved at `path` (its .npz, its .json, or their common stem),
    ready to predict from raw rows. Nothing in the files is executed (no pickle).

    The settings come from model.json when it belongs to model.npz (its "weights_sha256" is
    the weights file's), else from model.npz itself, with a warning naming the settings file
    left out; model.json is needed only beside weights saved without settings (older files)."""
    weights_path, settings_path = trained_paths(path)
    settings = _read_settings(settings_path)
    # the weights are the .npz the path names, whatever name the settings recorded: a pair
    # copied or renamed (best.npz, best.json) keeps "weights": "model.npz", which may by now
    # be another run's file
    if settings is None and not os.path.exists(weights_path):
        given = os.fspath(path)
        if os.path.exists(given):        # a CSV file, a folder: not one of the model's files
            raise FileNotFoundError(f"load_trained: {given!r} is not a model: expected the .npz "
                                    f"or .json that glassgrad train wrote (there is no "
                                    f"{weights_path!r} or {settings_path!r})")
        raise FileNotFoundError(f"load_trained: no model at {weights_path!r}: neither it nor "
                                f"its settings file {settings_path!r} exists")
    if not os.path.exists(weights_path):
        raise FileNotFoundError(f"load_trained: no weights file {weights_path!r} beside its "
                                f"settings {settings_path!r} (the two files go together)")
    state = load(weights_path)
    if not isinstance(state, dict):               # (a PyTorch archive renamed, holding a list)
        raise ValueError(f"load_trained: {weights_path!r} holds a {type(state).__name__}, not "
                         f"the named arrays of a model saved by glassgrad train")
    own = state.pop("settings", None)             # (older glassgrads saved none there)
    if "input_mean" not in state or "input_std" not in state:
        raise ValueError(f"load_trained: {weights_path!r} has no input_mean/input_std (it is not "
                         f"a model saved by glassgrad train)")
    _check_numbers(state, weights_path)
    mean, std = state.pop("input_mean"), state.pop("input_std")
    # a classifier's file, or a regressor's from an older glassgrad, has no target scale: its
    # MLP learnt the target as it is, which mean 0 and std 1 leave unchanged
    target_mean, target_std = state.pop("target_mean", 0.0), state.pop("target_std", 1.0)
    if own is not None:
        own = _checked(own, weights_path, in_weights=True)
    if settings is None:
        if own is None:
            raise FileNotFoundError(f"load_trained: no settings file {settings_path!r} "
                                    f"(glassgrad train writes it beside the weights)")
        settings = own
    elif not _belongs(settings, weights_path, own is not None):
        if own is None:
            raise ValueError(f"load_trained: {weights_path!r} is not the weights file its "
                             f"settings {settings_path!r} were saved with (the two come from "
                             f"different runs); train again, or put back the pair")
        warn(f"load_trained: {settings_path!r} does not belong to {weights_path!r} (a "
             f"save stopped between the two files, or they come from different runs); "
             f"used the settings saved in the weights file. Save the model again to "
             f"rewrite {os.path.basename(settings_path)!r}")
        settings = own
    source = settings_path if settings is not own else weights_path
    n_out = len(settings["classes"]) if settings["task"] == "classify" else 1
    sizes = [len(settings["features"]), *settings["hidden"], n_out]
    _check_layers(sizes, state, source, weights_path)     # before building: "hidden" may be huge
    mlp = MLP(sizes[0], sizes[1:-1], n_out, activation=settings["activation"])
    try:
        mlp.load_state_dict(state)
    except (KeyError, ValueError, TypeError) as err:       # names or shapes that do not fit
        raise ValueError(f"load_trained: {weights_path!r}: {err.args[0]}") from None
    try:
        return TrainedModel(mlp, mean, std, task=settings["task"], target=settings["target"],
                            features=settings["features"], classes=settings["classes"],
                            hidden=settings["hidden"], activation=settings["activation"],
                            target_mean=float(target_mean), target_std=float(target_std),
                            columns=settings.get("columns"),
                            categories=settings.get("categories"), fill=settings.get("fill"))
    except ValueError as err:
        raise ValueError(f"load_trained: {weights_path!r}: {err}") from None


def _read_settings(path: str) -> dict[str, Any] | None:
    """The checked settings in `path`, or None if there is no such file. A file that is there
    but unreadable is an error, never skipped: a hand edit gone wrong must not pass unnoticed."""
    try:
        # utf-8-sig: an editor may have put a byte order mark in front
        with open(path, encoding="utf-8-sig") as f:
            settings = json.load(f, object_pairs_hook=unique_keys)
    except FileNotFoundError:
        return None
    except OSError as err:                  # a folder, permission denied, a symlink loop
        raise ValueError(f"load_trained: {path!r} cannot be read ({err.strerror}); expected "
                         f"the settings file") from None
    except ValueError as err:               # bad JSON or UTF-8, a key twice, a 5000-digit number
        raise ValueError(f"load_trained: {path!r} is not a settings file: {err}") from None
    except RecursionError:
        raise ValueError(f"load_trained: {path!r} is not a settings file: it is nested too "
                         f"deeply") from None
    return _checked(settings, path, in_weights=False)


def _belongs(settings: dict[str, Any], weights_path: str, weights_have_settings: bool) -> bool:
    """Whether the settings read from model.json were saved with the weights at `weights_path`:
    their digest is the file's. Settings without a digest (glassgrad 0.2) belong only to
    weights without settings, as that version wrote them: settings are saved in the weights
    by versions that write the digest too."""
    expected = settings.get("weights_sha256")
    if expected is None:
        return not weights_have_settings
    return _sha256(weights_path) == expected


def _check_numbers(state: dict[str, Any], weights_path: str) -> None:
    """Every entry of the weights file (but "settings") must be an array of real numbers, and
    the target's scale one number: a file written by hand or by another program may hold text,
    lists or dicts there."""
    for name, value in state.items():
        if not isinstance(value, (np.ndarray, np.generic)) or value.dtype.kind not in "biuf":
            what = f"{value.dtype} data" if isinstance(value, (np.ndarray, np.generic)) \
                else f"a {type(value).__name__}"
            raise ValueError(f"load_trained: {weights_path!r}: {name!r} holds {what}, expected "
                             f"an array of numbers (it is not a model saved by glassgrad train)")
        if name in ("target_mean", "target_std") and value.ndim != 0:
            raise ValueError(f"load_trained: {weights_path!r}: {name!r} has shape "
                             f"{value.shape}, expected one number")


def _check_layers(sizes: list[int], state: dict[str, Any], source: str,
                  weights_path: str) -> None:
    """The layer sizes the settings describe must be those of the weights (a settings file
    edited by hand may not fit them), and every weight a finite number (else every prediction
    would be NaN, which `predict` would turn into the first class). Checked before the MLP is
    built: sizes that no weights back (a "hidden" of 10**9) would fill the memory."""
    for name, array in state.items():
        if not np.isfinite(array).all():
            raise ValueError(f"load_trained: {weights_path!r}: {name!r} holds NaN or infinity; "
                             f"the model cannot predict")
    weights = [array for name, array in state.items() if name.endswith("weight")]
    if not weights or any(array.ndim != 2 for array in weights):
        raise ValueError(f"load_trained: {weights_path!r} holds no MLP weights (a 2-d "
                         f"'<layer>.weight' array per layer); it is not a model saved by "
                         f"glassgrad train")
    found = [weights[0].shape[1], *(array.shape[0] for array in weights)]
    if found != sizes:
        raise ValueError(f"load_trained: {source!r} describes layers "
                         f"{'-'.join(map(str, sizes))} (features, hidden, outputs), but the "
                         f"weights in {weights_path!r} are {'-'.join(map(str, found))}")


def _sha256(path: str) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked(settings: Any, path: str, in_weights: bool) -> dict[str, Any]:
    """The settings with every entry of the expected kind, else a ValueError naming it. Those
    saved in the weights file (`in_weights`) have no "weights" and "weights_sha256": they are
    the file's own."""
    def expect(ok: bool, what: str) -> None:
        if not ok:
            raise ValueError(f"load_trained: {path!r}: {what}")

    where = " 'settings' entry" if in_weights else ""
    expect(isinstance(settings, dict), f"expected a JSON object{where}")
    settings = {"activation": "relu", "classes": [], **settings}
    expect(settings.get("task") in TASKS, f"'task' must be one of {TASKS}")
    expect(isinstance(settings.get("target"), str), "'target' must be a column name")
    for key in ("features", "classes"):
        expect(isinstance(settings[key], list) and all(isinstance(v, str) for v in settings[key]),
               f"'{key}' must be a list of names")
        expect(len(set(settings[key])) == len(settings[key]),
               f"'{key}' lists a name more than once")   # one column would be read twice
    expect(isinstance(settings.get("hidden"), list) and all(
        type(h) is int and h > 0 for h in settings["hidden"]), "'hidden' must be sizes")  # no bool
    expect(isinstance(settings["activation"], str) and settings["activation"].lower() in
           ACTIVATIONS, f"'activation' must be one of {sorted(ACTIVATIONS)}")
    if "columns" in settings:
        columns = settings["columns"]
        expect(isinstance(columns, list) and all(isinstance(v, str) for v in columns) and
               len(set(columns)) == len(columns), "'columns' must be a list of distinct names")
        categories = settings.setdefault("categories", {})
        expect(isinstance(categories, dict) and all(
            name in columns and isinstance(words, list) and words and
            all(isinstance(w, str) for w in words) for name, words in categories.items()),
            "'categories' must map some of the 'columns' to lists of words")
        fill = settings.setdefault("fill", {})
        expect(isinstance(fill, dict) and all(
            name in columns and name not in categories and type(v) in (int, float) and
            math.isfinite(v) for name, v in fill.items()),
            "'fill' must map number columns of 'columns' to finite numbers")
        expect(encoded_features(columns, categories) == settings["features"],
               "'features' must be the 'columns', a category's as one 'column=word' per word")
    if in_weights:
        return settings
    weights = settings.get("weights")
    expect(isinstance(weights, str) and weights == os.path.basename(weights) and weights
           not in ("", ".", ".."), "'weights' must be a file name beside the settings")
    digest = settings.get("weights_sha256")
    expect(digest is None or (isinstance(digest, str) and len(digest) == 64 and
                              all(c in "0123456789abcdef" for c in digest)),
           "'weights_sha256' must be 64 hex digits")
    return settings


def _class_array(classes: Sequence[str]) -> np.ndarray:
    """The class names as `predict` gives them: integers when every name is one as Python writes
    it ("0", "7", "-1"), floats when every name is a float so written ("1.0"), else strings.

    >>> _class_array(["0", "1"]), _class_array(["1.0", "2.0"]), _class_array(["01", "2"])
    (array([0, 1]), array([1., 2.]), array(['01', '2'], dtype='<U2'))
    """
    for kind, spell in ((int, str), (float, repr)):
        try:
            values = [kind(name) for name in classes]
        except ValueError:
            continue
        if [spell(v) for v in values] == list(classes):
            return np.array(values)
    return np.array(classes)
