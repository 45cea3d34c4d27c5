"""Model selection: k-fold cross-validation, grid search, learning and validation curves.

Each of the k folds is the validation set once, while the model trains on the other k - 1; the k
validation scores say how well the whole procedure (model, hyperparameters, training) does on
data it has not seen. Select on these folds, then retrain on all the training data; the test set
is never used to choose.

`KFold` cuts the samples into k consecutive folds (shuffled first if asked); `StratifiedKFold`
also keeps each class's share the same in every fold, which matters for small or imbalanced data.
Both give scikit-learn's fold sizes (the first n % k folds have one sample more) and yield
``(train_indices, val_indices)`` pairs of sorted numpy index arrays.

>>> import numpy as np
>>> for train, val in KFold(n_splits=3).split(np.zeros(7)):
...     print(train, val)
[3 4 5 6] [0 1 2]
[0 1 2 5 6] [3 4]
[0 1 2 3 4] [5 6]
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from autograd.random import default_rng
from autograd.tables import is_table
from autograd.warn import warn

from .data.loader import (_table_numbers, checked_arrays, checked_inputs, seed_or_random_state,
                          several_inputs)
from .module import Module
from .sample_weights import checked_weights
from .scoring import METRICS, default_metrics, metric_list, metric_table

__all__ = ["KFold", "StratifiedKFold", "cross_validate", "GridSearch", "learning_curve",
           "validation_curve"]


class _Folds:
    """What both splitters share: the arguments, `get_n_splits`, and turning a fold number per
    sample into (train, val) index pairs. Subclasses say which fold each sample goes to."""

    def __init__(self, n_splits: int = 5, shuffle: bool = False, seed: int | None = None, *,
                 random_state: int | None = None) -> None:
        name = type(self).__name__
        # scikit-learn's name for the seed: a Kaggle notebook's `KFold(5, shuffle=True,
        # random_state=42)` runs as it is
        seed = seed_or_random_state(name, seed, random_state)
        if not isinstance(n_splits, (int, np.integer)) or isinstance(n_splits, bool):
            raise TypeError(f"{name}: n_splits must be an integer, got {n_splits!r}")
        if n_splits < 2:
            raise ValueError(f"{name}: n_splits must be at least 2 (one fold to validate on and "
                             f"at least one to train on), got {n_splits}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"{name}: shuffle must be True or False, got {shuffle!r}")
        if seed is not None:
            given = "seed" if random_state is None else "random_state"   # as the caller wrote
            if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
                raise TypeError(f"{name}: {given} must be an integer or None, got {seed!r}")
            if seed < 0:
                raise ValueError(f"{name}: {given} must be non-negative, got {seed}")
            if not shuffle:      # a seed that does nothing is a mistake the user should hear of
                raise ValueError(f"{name}: {given}={seed} has no effect with shuffle=False; "
                                 f"pass shuffle=True, or leave {given}=None")
        self.n_splits = int(n_splits)
        self.shuffle = bool(shuffle)
        self.seed = None if seed is None else int(seed)

    def get_n_splits(self, X: Any = None, y: Any = None) -> int:
        """The number of (train, val) pairs `split` yields."""
        return self.n_splits

    def split(self, X: Any, y: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(train_indices, val_indices) for each fold; every sample is validated on once.

        With a seed every call gives the same folds (so models compared on them see the same
        data); without one the shuffle comes from `autograd.random.default_rng()`.
        """
        where = f"{type(self).__name__}.split"
        n_samples = _n_samples(where, X)
        if self.n_splits > n_samples:
            raise ValueError(f"{where}: n_splits={self.n_splits} is more than the number of "
                             f"samples ({n_samples}); every fold needs at least one sample")
        # the folds are decided now, so that bad input fails on this line and not at the loop
        fold_of = self._fold_numbers(where, n_samples, y)
        return ((np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold))
                for fold in range(self.n_splits))

    def _fold_numbers(self, where: str, n_samples: int, y: Any) -> np.ndarray:
        raise NotImplementedError

    def _rng(self) -> np.random.Generator:
        # a fresh generator per split() call: the same seed gives the same folds every time
        return default_rng() if self.seed is None else np.random.default_rng(self.seed)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n_splits={self.n_splits}, shuffle={self.shuffle}, "
                f"seed={self.seed})")


class KFold(_Folds):
    """k consecutive folds of sizes as equal as possible (first n % k folds one larger).

    shuffle=True shuffles the samples before cutting (seed, or scikit-learn's `random_state`,
    makes that reproducible); `y` is not needed (if given, only its length is checked).

    >>> import numpy as np
    >>> [val.tolist() for _, val in KFold(3, shuffle=True, seed=0).split(np.arange(7))]
    [[0, 5, 6], [1, 2], [3, 4]]
    """

    def _fold_numbers(self, where: str, n_samples: int, y: Any) -> np.ndarray:
        if y is not None:
            _check_length(where, n_samples, y)
        base, extra = divmod(n_samples, self.n_splits)
        fold_sizes = np.full(self.n_splits, base)
        fold_sizes[:extra] += 1
        fold_of = np.repeat(np.arange(self.n_splits), fold_sizes)
        return self._rng().permutation(fold_of) if self.shuffle else fold_of


class StratifiedKFold(_Folds):
    """k folds that each keep the class proportions of `y` (as nearly as counts allow).

    The samples, ordered by class, are dealt to the folds like cards, so every fold gets
    ⌊count / k⌋ or ⌈count / k⌉ of each class; fold sizes are KFold's. Within a class the folds
    are then given out in blocks in data order (shuffled with shuffle=True). Unshuffled folds are
    scikit-learn's. A class with fewer than k samples cannot be in every fold: that warns, and if
    every class is that small it is an error. `split(X, y)` needs the class labels y.

    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1])
    >>> [y[val].tolist() for _, val in StratifiedKFold(3).split(np.zeros(9), y)]
    [[0, 0, 1], [0, 0, 1], [0, 0, 1]]
    """

    def _fold_numbers(self, where: str, n_samples: int, y: Any) -> np.ndarray:
        class_of, counts = _classes_in_order_of_appearance(where, n_samples, y)
        if np.all(counts < self.n_splits):
            raise ValueError(f"{where}: n_splits={self.n_splits} is more than the number of "
                             f"members of every class (largest class: {counts.max()})")
        if counts.min() < self.n_splits:
            fewest = counts.min()
            warn(f"{where}: the least populated class in y has only {fewest} "
                 f"member{'s' if fewest != 1 else ''}, fewer than "
                 f"n_splits={self.n_splits}; some folds will miss it", UserWarning)
        rng = self._rng() if self.shuffle else None
        fold_of = np.empty(n_samples, dtype=np.intp)
        dealt = 0                 # samples of the earlier classes already dealt out
        for cls, count in enumerate(counts):
            # continue the deal where the previous class stopped, so that the classes' extra
            # samples land in different folds and fold sizes stay within one of each other
            folds = np.sort((dealt + np.arange(count)) % self.n_splits)
            if rng is not None:
                rng.shuffle(folds)
            fold_of[class_of == cls] = folds
            dealt += count
        return fold_of


def _n_samples(where: str, X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        raise TypeError(f"{where}: X must be an array (or list) of samples, got "
                        f"{type(X).__name__}" + (" of shape ()" if shape is not None else "")
                        ) from None


def _check_length(where: str, n_samples: int, y: Any) -> np.ndarray:
    y = _labels(where, y)
    if y.ndim == 0 or len(y) != n_samples:
        raise ValueError(f"{where}: X has {n_samples} samples but y has shape {y.shape}")
    return y


def _classes_in_order_of_appearance(where: str, n_samples: int, y: Any
                                    ) -> tuple[np.ndarray, np.ndarray]:
    """The class number of each sample (0 for the first class seen in y, ...) and class sizes."""
    if y is None:
        raise ValueError(f"{where}: stratifying needs the class labels y")
    y = _check_length(where, n_samples, y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{where}: y has shape {y.shape}; expected one class label per sample")
    if y.dtype.kind == "f" and not np.all((y == np.round(y)) & np.isfinite(y)):
        raise ValueError(f"{where}: y holds non-integer values such as "
                         f"{y[~((y == np.round(y)) & np.isfinite(y))][0]}; stratifying needs "
                         f"class labels (for a continuous target use KFold)")
    _, first_seen, sorted_class = np.unique(y, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first_seen))      # sorted class -> order of first appearance
    class_of = rank[sorted_class.reshape(-1)]
    return class_of, np.bincount(class_of)


# -- cross-validation and grid search ------------------------------------------------------------

def _splits(where: str, cv: Any, X: np.ndarray, y: np.ndarray, seed: Any) -> list[tuple]:
    """The (train, val) index pairs of `cv`: a fold count (StratifiedKFold for class labels
    when every class fills every fold, else KFold; shuffled with `seed`), a splitter with
    `split(X, y)`, or the pairs themselves."""
    if isinstance(cv, bool):
        raise TypeError(f"{where}: cv must be a number of folds, a KFold or StratifiedKFold, "
                        f"or a list of (train, val) index pairs, got {cv!r}")
    if isinstance(cv, numbers.Integral):
        if cv < 2:
            raise ValueError(f"{where}: cv={cv}, but cross-validation needs at least 2 folds "
                             f"(one to validate on, the rest to train on)")
        labels = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
        # one label per sample only: one-hot rows (or regression targets) are folded plainly
        if labels.ndim == 1 and labels.size and _whole_numbers(labels) and \
                np.unique(labels, return_counts=True)[1].min() >= cv:
            cv = StratifiedKFold(int(cv), shuffle=True, seed=seed)
        else:
            cv = KFold(int(cv), shuffle=True, seed=seed)
    if isinstance(cv, _Folds):
        return list(cv.split(X, y))
    pairs = list(cv)
    for fold, (train, val) in enumerate(pairs):
        shared = np.intersect1d(_positions(train, len(X)), _positions(val, len(X)))
        if shared.size:
            shown = ", ".join(map(str, shared[:5])) + (", ..." if shared.size > 5 else "")
            raise ValueError(f"{where}: the (train, val) pair of fold {fold} shares "
                             f"{shared.size} of its indices ({shown}); the model would be "
                             f"scored on rows it trained on, so val must not overlap train")
    return pairs


def _whole_numbers(labels: np.ndarray) -> bool:
    """Whether `labels` can be class labels: integers, booleans, or floats that are whole
    numbers (0.0 / 1.0, the targets of binary_cross_entropy), as scikit-learn reads them.

    >>> _whole_numbers(np.array([0.0, 1.0])), _whole_numbers(np.array([0.5, 1.0]))
    (True, False)
    """
    if labels.dtype.kind in "iub":
        return True
    return labels.dtype.kind == "f" and bool(np.all(np.isfinite(labels) &
                                                    (labels == np.round(labels))))


def _arrays(where: str, X: Any, y: Any) -> Any:
    """X as an ndarray, or, for a model of several inputs, a tuple of them (X_a, X_b), checked
    to have one sample each per label (as `fit` takes them: ((X_a, X_b), y))."""
    if several_inputs(X, y):
        return checked_inputs(where, X, y)[0]
    # a DataFrame by its columns (np.asarray makes one of mixed dtypes, or with a text column,
    # an array of Python objects that fit refuses without naming the column)
    return _table_numbers(where, "X", X) if is_table(X) else np.asarray(X)


def _labels(where: str, y: Any) -> np.ndarray:
    """y as an ndarray; a pandas or polars Series by its dtype (a nullable Int64 one as int64)."""
    return _table_numbers(where, "y", y, text=True) if is_table(y) else np.asarray(y)


def _rows(X: Any, rows: Any) -> Any:
    """The samples of X at `rows`: of every input alike, for several inputs (X_a, X_b)."""
    return tuple(x[rows] for x in X) if isinstance(X, tuple) else X[rows]


def _first(X: Any) -> Any:
    """X, or its first input: what the folds are made from (they only count its samples)."""
    return X[0] if isinstance(X, tuple) else X


def _positions(indices: Any, n_samples: int) -> np.ndarray:
    """Row numbers from `indices` (ints, negative ones counted from the end, or a boolean
    mask), to compare two parts of a fold."""
    indices = np.asarray(indices)
    if indices.dtype == bool:
        return np.flatnonzero(indices)
    return np.where(indices < 0, indices + n_samples, indices) if indices.dtype.kind in "iu" \
        else indices


def _checked_fit_kwargs(where: str, fit_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of `fit_kwargs`; metrics are the caller's own argument, as they score the
    held-out folds (fit itself records only the loss there)."""
    fit_kwargs = dict(fit_kwargs or {})
    if "metrics" in fit_kwargs:
        raise ValueError(f"{where}: pass metrics= as its own argument, not in fit_kwargs: they "
                         f"score each held-out fold")
    if "sample_weight" in fit_kwargs:
        raise ValueError(_no_weighted_training(where))
    return fit_kwargs


def _no_weighted_training(where: str) -> str:
    """Why `fit`'s sample_weight cannot go to these functions' fits: each trains on some of
    the rows, and one array given to every fit would not follow them."""
    scores = {"cross_validate": "; cross_validate(..., sample_weight=w) weighs the scores",
              "GridSearch": "; GridSearch(...).fit(X, y, sample_weight=w) weighs the scores",
              }.get(where, "")
    return (f"{where}: fit's sample_weight cannot be passed on: each fit here trains on a part "
            f"of the rows, which one array of weights for every fit would not follow, and "
            f"weighted training is not done here{scores}; to train weighted, split the data "
            f"yourself and call fit(..., sample_weight=w[train_rows])")


def _fit_arguments_go_in_fit_kwargs(where: str) -> Callable[[Callable], Callable]:
    """A decorator: `nn.fit`'s keywords given to the function itself, as fit is called
    (`cross_validate(build, X, y, epochs=5)`), are refused saying that they go in `fit_kwargs`,
    where Python would say only "unexpected keyword argument". Other keywords reach the
    function, whose signature (help()) stays its own."""
    def decorate(function: Callable) -> Callable:
        own = inspect.signature(function).parameters

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            from .train import fit
            misplaced = {name: value for name, value in kwargs.items()
                         if name not in own and name in inspect.signature(fit).parameters}
            if "sample_weight" in misplaced:        # (fit_kwargs would refuse it in turn)
                raise TypeError(_no_weighted_training(where))
            if misplaced:
                given = ", ".join(f"{name}={value!r}" for name, value in misplaced.items())
                which = ("is fit's argument: pass it" if len(misplaced) == 1 else
                         "are fit's arguments: pass them")
                together = {**(kwargs.get("fit_kwargs") or {}), **misplaced}
                raise TypeError(f"{where}: {given} {which} as fit_kwargs={together!r}")
            return function(*args, **kwargs)
        return checked
    return decorate


def _check_builder(where: str, build_model: Any) -> None:
    """build_model makes a fresh model per fold: a model itself (one object, trained on every
    fold in turn) or anything else not callable is refused before any training."""
    if isinstance(build_model, Module):
        raise TypeError(f"{where}: build_model must be a function returning a fresh (model, "
                        f"loss_fn, optimizer), got the model {type(build_model).__name__} "
                        f"(each fold trains a new one): def build(): model = ...; return "
                        f"model, loss_fn, optimizer")
    if not callable(build_model):
        raise TypeError(f"{where}: build_model must be a function returning (model, loss_fn, "
                        f"optimizer), got {type(build_model).__name__}")


def _grid(param_grid: Any) -> dict[str, list]:
    """`param_grid` as name → list of values, each a list to try: a lone value (a number, or a
    string that would be tried letter by letter) is refused."""
    if not isinstance(param_grid, Mapping):
        raise TypeError(f"GridSearch: param_grid must be a dict of name -> list of values, got "
                        f"{type(param_grid).__name__}")
    for name, values in param_grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(f"GridSearch: param_grid[{name!r}] must be a list of the values to "
                            f"try, got {values!r}; write [{values!r}]")
    grid = {name: list(values) for name, values in param_grid.items()}
    if not grid or not all(grid.values()):
        raise ValueError(f"GridSearch: param_grid needs at least one value per parameter, "
                         f"got {param_grid!r}")
    return grid


class _FreshModels:
    """Refuses a build_model that gives out the same model (or its parameters) twice in one call
    of cross_validate, GridSearch.fit or learning_curve: a model made once outside build_model
    trains fold after fold, so each fold starts from weights that have seen its validation rows,
    and the scores come out silently too good.

    Each model is compared with the one before it, which is kept alive until the next is built
    (so the ids of its parameters cannot have been given to new objects meanwhile)."""

    def __init__(self, where: str, why: str) -> None:
        self.where, self.why = where, why
        self.last: tuple[Any, set[int], str] | None = None     # (model, its parameters' ids, label)

    def check(self, model: Any, label: str) -> None:
        """Refuse `model` if it, or a parameter of it, was given out for the previous label."""
        params = {id(p) for p in model.parameters()} if isinstance(model, Module) else set()
        if self.last is not None:
            before, before_params, before_label = self.last
            if model is before or params & before_params:
                what = ("the same model" if model is before
                        else "a model sharing parameters with the one")
                raise ValueError(
                    f"{self.where}: build_model returned, for {label}, {what} it returned "
                    f"for {before_label}; {self.why}. Create the model inside build_model: "
                    f"def build(): model = MLP(...); return model, loss_fn, "
                    f"SGD(model.parameters(), lr=...)")
        self.last = (model, params, label)


def _build(where: str, build_model: Callable, params: dict[str, Any],
           fresh: _FreshModels | None = None, label: str = "") -> tuple:
    """`build_model(**params)`, checked to be a (model, loss_fn, optimizer) triple; an error
    names `where` (cross_validate or GridSearch) and what came back instead. With `fresh`, a
    model given out before in the same call (for `label`, "fold 2") is refused."""
    built = build_model(**params)
    if not (isinstance(built, tuple) and len(built) == 3):
        got = (f"a tuple of {len(built)}" if isinstance(built, tuple)
               else f"a value of type {type(built).__name__}")
        raise TypeError(f"{where}: build_model must return a (model, loss_fn, optimizer) "
                        f"triple, got {got}")
    if fresh is not None:
        fresh.check(built[0], label)
    return built


_LEAK = ("each fold must start from a fresh model, or it trains on weights that saw its "
         "validation rows")


@_fit_arguments_go_in_fit_kwargs("cross_validate")
def cross_validate(build_model: Callable, X: Any, y: Any, cv: Any = 5,
                   fit_kwargs: dict[str, Any] | None = None,
                   metrics: Sequence[str | Callable] | None = None, *,
                   params: dict | None = None, seed: Any = 0,
                   return_train_score: bool = False,
                   sample_weight: Any = None) -> dict[str, Any]:
    """Train a fresh model on each fold's training part and score it on the held-out fold.

    `build_model(**params)` returns `(model, loss_fn, optimizer)`, new each call; `fit_kwargs`
    go to `nn.fit` (epochs, batch_size, ...). `cv` is a fold count, a `KFold` /
    `StratifiedKFold`, or a list of (train, val) index pairs. A fold count gives shuffled folds
    (scikit-learn's are in data order), stratified when y holds one class label per sample
    (integers, booleans, or whole floats such as binary_cross_entropy's 0.0 / 1.0) and every
    class has at least `cv` samples; otherwise plain `KFold`. `metrics=None` takes the loss's
    defaults (accuracy for a classifier, R² for regression; see `nn.scoring`). Returns
    `{"folds": [scores per fold], "mean": {...}, "std": {...}, "higher_is_better": {...}}`,
    the scores being the validation loss and `metrics`, each with its direction. For a model
    of several inputs, X is a tuple of them, `(X_a, X_b)`, each folded by the same rows (as
    `fit` takes `((X_a, X_b), y)`); so in `GridSearch.fit` and `learning_curve`.
    `return_train_score=True` also scores each model on the rows it trained on (with
    `nn.evaluate`: no penalty, eval mode), under "train": `{"folds", "mean", "std"}`; a
    training score far above the validation score is high variance.

    `sample_weight` (one weight >= 0 per sample of X) weights the loss and the metrics of
    every fold, each fold scored with its own samples' weights (see `nn.evaluate`). It does
    not weight the training (`fit(..., sample_weight=)` does, given the rows it
    trains on; here fit_kwargs refuse it), so for classes of different sizes give the loss a
    class `weight=`, or `pos_weight=` for two. This is
    scikit-learn's `cross_validate(..., params={"sample_weight": w})` with its scorers given
    the weights; `params=` here are build_model's arguments.

    `seed` fixes the folds only (as scikit-learn's `random_state`): the models' initial weights
    and fit's shuffling draw from the shared generator, so two identical calls score
    differently. For repeatable scores call `autograd.manual_seed(k)` before each call (or
    make build_model seed its model).
    """
    _check_builder("cross_validate", build_model)
    if not isinstance(return_train_score, (bool, np.bool_)):
        raise TypeError(f"cross_validate: return_train_score must be True or False, got "
                        f"{return_train_score!r}")
    return _cross_validate(build_model, X, y, cv, fit_kwargs, metrics, params, seed,
                           _FreshModels("cross_validate", _LEAK), "", bool(return_train_score),
                           sample_weight)


def _summary(folds: list[dict[str, float]]) -> dict[str, Any]:
    """The scores of each fold, and their mean and (population) standard deviation."""
    names = list(folds[0])
    return {"folds": folds,
            "mean": {n: float(np.mean([f[n] for f in folds])) for n in names},
            "std": {n: float(np.std([f[n] for f in folds])) for n in names}}


def _cross_validate(build_model: Callable, X: Any, y: Any, cv: Any,
                    fit_kwargs: dict[str, Any] | None, metrics: Any, params: dict | None,
                    seed: Any, fresh: _FreshModels, candidate: str,
                    train_scores: bool = False, sample_weight: Any = None,
                    where: str = "cross_validate") -> dict[str, Any]:
    """cross_validate, with `fresh` remembering the models given out (GridSearch shares one
    across its candidates; `candidate` names this one in an error); errors name `where`, the
    function the user called (GridSearch.fit, validation_curve)."""
    from .evaluation import _check_weighted
    from .train import _metrics_for, _numbers_judged_here, evaluate, fit

    X = _arrays(where, X, y)
    y = _labels(where, y)
    _check_params(where, build_model, params)
    w = checked_weights(where, sample_weight, len(y))  # before any fold trains
    fit_kwargs = {"progress": False, **_checked_fit_kwargs(where, fit_kwargs)}
    splits = _splits(where, cv, _first(X), y, seed)
    if w is not None:
        _check_fold_weights(where, w, splits, train_scores)
    folds, trained = [], []
    # a candidate that nearly diverged scores inf (a loss summed past float32's range): the
    # scores say so, numpy's warnings from deep inside would only add noise (see fit)
    with _numbers_judged_here():
        for fold, (train_idx, val_idx) in enumerate(splits):
            model, loss_fn, optimizer = _build(where, build_model, params or {},
                                               fresh, f"{candidate}fold {fold}")
            scored = default_metrics(loss_fn, y) if metrics is None else metrics  # every fold's
            chosen = _metrics_for(loss_fn, scored, where, fit_kwargs.get("predict"), y)
            if w is not None:
                _check_weighted(where, chosen)
            train_part = (_rows(X, train_idx), y[train_idx])
            fit(model, loss_fn, optimizer, train_part, metrics=(), **fit_kwargs)
            folds.append(evaluate(model, loss_fn, (_rows(X, val_idx), y[val_idx]), scored,
                                  predict=fit_kwargs.get("predict"),
                                  sample_weight=None if w is None else w[val_idx]))
            if train_scores:
                trained.append(evaluate(model, loss_fn, train_part, scored,
                                        predict=fit_kwargs.get("predict"),
                                        sample_weight=None if w is None else w[train_idx]))
        result = {**_summary(folds),
                  "higher_is_better": {"loss": False, **{n: m.higher_is_better
                                                         for n, m in chosen.items()}}}
        if train_scores:
            result["train"] = _summary(trained)
        return result


def _check_fold_weights(where: str, w: np.ndarray, splits: list[tuple], train_scores: bool
                        ) -> None:
    """Every part that is scored must weigh something: a fold whose held-out samples all have
    weight 0 has no weighted score (0/0), said before any fold trains."""
    for fold, (train_idx, val_idx) in enumerate(splits):
        parts = [("held-out", val_idx)] + ([("training", train_idx)] if train_scores else [])
        for part, idx in parts:
            if not np.any(w[idx] > 0):
                raise ValueError(f"{where}: the {part} samples of fold {fold} all have "
                                 f"sample_weight 0, so its weighted scores would be 0/0; give "
                                 f"some of them a positive weight, or choose other folds")


def _check_params(where: str, build_model: Callable, params: dict | None) -> None:
    """scikit-learn's `params={"sample_weight": w}` (fit's arguments there) given to
    build_model, which does not take it: said before any training, pointing to sample_weight=."""
    if not params or "sample_weight" not in params:
        return
    try:
        parameters = inspect.signature(build_model).parameters
    except (TypeError, ValueError):
        return
    if "sample_weight" not in parameters and not any(
            p.kind is p.VAR_KEYWORD for p in parameters.values()):
        raise TypeError(f"{where}: params= are build_model's arguments, and it takes no "
                        f"sample_weight (scikit-learn's params= go to fit); to weight the "
                        f"scores pass it by itself: cross_validate(..., sample_weight=w), "
                        f"GridSearch(...).fit(X, y, sample_weight=w)")


class GridSearch:
    """Try every combination of `param_grid` by cross-validation; keep the best, then retrain it
    on all the training data (the lectures' procedure: select on validation folds, never on the
    test set).

    `build_model(**params)` returns `(model, loss_fn, optimizer)`. `metrics=None` takes the
    loss's defaults (accuracy for a classifier, R² for regression). `scoring` is the score that
    picks the winner (default: the first metric, else "loss"), in its own direction: the loss,
    "mse", "mae", "log_loss" are minimised, accuracy, R², "roc_auc" and the others maximised,
    and a metric function goes the way it declares (`nn.scoring.declare_metric`). As in
    scikit-learn, `scoring` may be a name of `nn.scoring.METRICS` ("roc_auc", "neg_log_loss")
    or a metric function that `metrics` does not list: it is scored too (alone, when
    `metrics` is None), and `scoring` becomes its recorded name. `fit(X, y, sample_weight=w)`
    weights the scores of every fold, as in `cross_validate`.

    A combination whose training diverges (`nn.train.TrainingDiverged`: the loss became NaN or
    infinite, as a large learning rate with a large penalty will) does not stop the search: it
    is ranked last, shown as "diverged" in `table()`, and a RuntimeWarning names it. Only if
    every combination diverges is that an error.

    `seed` fixes the folds only (as scikit-learn's `random_state`), the same for every
    candidate; initial weights and fit's shuffling draw from the shared generator, so for a
    repeatable search call `autograd.manual_seed(k)` before `fit`.

    >>> import numpy as np
    >>> from nn import MLP, cross_entropy
    >>> from nn.optim import SGD
    >>> def build(lr):
    ...     model = MLP(2, [8], 2)
    ...     return model, cross_entropy, SGD(model.parameters(), lr=lr)
    >>> X = np.random.default_rng(0).normal(size=(60, 2)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> search = GridSearch(build, {"lr": [0.001, 0.5]}, cv=3,
    ...                     fit_kwargs={"epochs": 10, "batch_size": 16}).fit(X, y)
    >>> search.best_params, search.scoring
    ({'lr': 0.5}, 'accuracy')
    """

    @_fit_arguments_go_in_fit_kwargs("GridSearch")
    def __init__(self, build_model: Callable, param_grid: dict[str, Sequence[Any]], cv: Any = 5,
                 fit_kwargs: dict[str, Any] | None = None,
                 metrics: Sequence[str | Callable] | None = None, scoring: str | None = None,
                 refit: bool = True, seed: Any = 0) -> None:
        _check_builder("GridSearch", build_model)
        self.param_grid = _grid(param_grid)
        self.build_model, self.cv, self.seed = build_model, cv, seed
        self.fit_kwargs = _checked_fit_kwargs("GridSearch", fit_kwargs)
        self.metrics = None if metrics is None else metric_list(metrics)
        self.metrics, self.scoring = _scored(self.metrics, scoring)  # None: the first results'
        self.refit = refit
        self.results: list[dict[str, Any]] = []
        self.best_params: dict[str, Any] | None = None
        self.best_score: float | None = None
        self.best_model: Any = None

    def candidates(self) -> list[dict[str, Any]]:
        """Every combination of the grid, in order."""
        names = list(self.param_grid)
        return [dict(zip(names, combo)) for combo in itertools.product(*self.param_grid.values())]

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> GridSearch:
        """Cross-validate every candidate on the same folds, rank them by `scoring`, and (with
        `refit`) train the best on all of (X, y) as `best_model`; returns the search.
        `sample_weight` weights the scores (not the training: see `cross_validate`)."""
        from .train import TrainingDiverged, fit

        X, y = _arrays("GridSearch.fit", X, y), _labels("GridSearch.fit", y)
        w = checked_weights("GridSearch.fit", sample_weight, len(y))
        folds = _splits("GridSearch.fit", self.cv, _first(X), y, self.seed)  # the same for all
        self.results = []
        self.best_params = self.best_score = self.best_model = None   # none of an earlier fit
        higher, diverged = None, None
        fresh = _FreshModels("GridSearch.fit", _LEAK)      # across all candidates and folds
        for params in self.candidates():
            try:
                scores = _cross_validate(self.build_model, X, y, folds, self.fit_kwargs,
                                         self.metrics, params, self.seed, fresh,
                                         f"candidate {params}, ", sample_weight=w,
                                         where="GridSearch.fit")
            except TrainingDiverged as error:
                # one bad corner of the grid (a large learning rate) must not end the search
                diverged = diverged or error
                warn(f"GridSearch: {params} diverged ({error}); it is ranked last",
                     RuntimeWarning)
                self.results.append({"params": params, "mean": None, "std": None,
                                     "diverged": str(error)})
                continue
            if self.scoring is None:            # the first metric, else the loss
                self.scoring = next((n for n in scores["mean"] if n != "loss"), "loss")
            if self.scoring not in scores["mean"]:
                raise ValueError(f"GridSearch: scoring {self.scoring!r} is not among the "
                                 f"scores {sorted(scores['mean'])}")
            higher = scores["higher_is_better"][self.scoring]
            if higher is None:
                raise ValueError(f"GridSearch: cannot rank by {self.scoring!r}: the metric does "
                                 f"not say whether higher or lower is better; declare it with "
                                 f"nn.scoring.declare_metric(higher_is_better=...)")
            self.results.append({"params": params, "mean": scores["mean"], "std": scores["std"]})
        trained = [r for r in self.results if r["mean"] is not None]
        if not trained:
            raise TrainingDiverged(f"GridSearch: every combination diverged, the first with: "
                                   f"{diverged}", loss=diverged.loss, epoch=diverged.epoch,
                                   batch=diverged.batch, stepped=diverged.stepped)
        sign = -1.0 if higher else 1.0                          # min() of sign * score
        # a NaN score (outputs that were NaN on a fold) is last: min() would keep it if first
        best = min(trained, key=lambda r: (math.isnan(r["mean"][self.scoring]),
                                           sign * r["mean"][self.scoring]))
        self.best_params, self.best_score = best["params"], best["mean"][self.scoring]
        if self.refit:
            model, loss_fn, optimizer = _build("GridSearch", self.build_model, self.best_params,
                                               fresh, "the refit on all the data")
            fit(model, loss_fn, optimizer, (X, y), metrics=(),
                **{"progress": False, **self.fit_kwargs})
            self.best_model = model
        return self

    def table(self) -> str:
        """The results as text: one row per candidate, mean ± std of each score, best marked."""
        if not self.results:
            return "GridSearch: not fitted yet"
        names = list(self.param_grid)
        trained = [r["mean"] for r in self.results if r["mean"] is not None]
        scores = list(trained[0]) if trained else ["score"]     # (every combination diverged)
        header = names + [f"{s} (mean ± std)" for s in scores]
        rows = []
        for r in self.results:
            mark = " *" if r["params"] == self.best_params else ""
            cells = (["diverged"] * len(scores) if r["mean"] is None else
                     [f"{_score_text(r['mean'][s])} ± {_score_text(r['std'][s])}"
                      for s in scores])
            rows.append([repr(r["params"][n]) for n in names] + cells[:-1] + [cells[-1] + mark])
        widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                 for row in [header] + rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"GridSearch({len(self.candidates())} candidates, cv={self.cv!r}, "
                f"best_params={self.best_params})")


def _scored(metrics: tuple | None, scoring: Any) -> tuple[tuple | None, str | None]:
    """The metrics to score and the name of the one that ranks: a `scoring` that `metrics`
    leaves out (a name of METRICS, or a metric function) is scored too, so that
    GridSearch(build, grid, scoring="roc_auc") works as scikit-learn's does; checked now, not
    after the first candidate has been cross-validated."""
    if scoring is None or scoring == "loss":
        return metrics, scoring
    if not (isinstance(scoring, str) or callable(scoring)):
        raise TypeError(f"GridSearch: scoring must be a metric's name or a metric function, "
                        f"got {scoring!r}")
    listed = metric_table(() if metrics is None else metrics, where="GridSearch")
    if isinstance(scoring, str) and scoring in listed:
        return metrics, scoring
    if isinstance(scoring, str) and scoring not in METRICS:
        raise ValueError(f"GridSearch: scoring {scoring!r} is neither 'loss' nor one of the "
                         f"metrics {sorted(listed)}, nor a name of nn.scoring.METRICS "
                         f"({', '.join(sorted(METRICS))})")
    name = next(iter(metric_table(scoring, where="GridSearch")))
    if name in listed:              # the function already listed, or one of its name
        return metrics, name
    return (*(metrics or ()), scoring), name


def _score_text(score: float) -> str:
    """A score for `GridSearch.table`: four decimals, as "0.9500"; in scientific notation beyond
    them (a diverging-but-finite loss, "9.1e+32", would otherwise take 40 digits, and a score
    below 0.001 would show as "0.0000").

    >>> _score_text(0.95), _score_text(9.1234e32), _score_text(0.0), _score_text(-2.5e-05)
    ('0.9500', '9.123e+32', '0.0000', '-2.5e-05')
    """
    ordinary = score == 0 or 1e-3 <= abs(score) < 1e6
    return f"{score:.4f}" if ordinary else f"{score:.4g}"


@_fit_arguments_go_in_fit_kwargs("learning_curve")
def learning_curve(build_model: Callable, X: Any, y: Any, train_sizes: Sequence[float | int],
                   val_data: Any, fit_kwargs: dict[str, Any] | None = None,
                   metrics: Sequence[str | Callable] | None = None, *,
                   params: dict | None = None) -> dict[str, Any]:
    """Training and validation scores as the training set grows: the lectures' diagnosis of
    high bias (both errors high and close) against high variance (a low training error far
    below the validation error, the gap closing as data is added).

    For each size n in `train_sizes` (a count, or a fraction of len(X) rounded up, where
    scikit-learn's learning_curve rounds down, of its cross-validation folds) a fresh
    model from `build_model(**params)` (a `(model, loss_fn, optimizer)` triple, as for
    `cross_validate`) is trained with `nn.fit` on the first n rows of (X, y), then scored
    with `nn.evaluate` on those n rows and on the whole fixed `val_data` (an `(X, y)` pair).
    The scores are the loss without any penalty (a `weight_decay` acts in the optimizer, not
    in the loss, as the lectures' learning curves want) and `metrics` (default: the loss's,
    accuracy or R²). Shuffle X first if its rows are ordered. Returns
    `{"train_sizes": [n, ...], "train": {score: [...]}, "val": {score: [...]},
    "higher_is_better": {score: ...}}`.

    >>> import numpy as np
    >>> from nn import LinearRegression, mse_loss
    >>> from nn.optim import SGD
    >>> def build():
    ...     model = LinearRegression(1)
    ...     return model, mse_loss, SGD(model.parameters(), lr=0.5)
    >>> x = np.random.default_rng(0).uniform(-1, 1, (60, 1))
    >>> y = (x ** 2).ravel()                        # a line cannot fit a parabola: high bias
    >>> curve = learning_curve(build, x[:40], y[:40], [2, 10, 40], (x[40:], y[40:]),
    ...                        {"epochs": 300, "batch_size": 40})
    >>> curve["train_sizes"]
    [2, 10, 40]
    >>> [round(e, 2) for e in curve["train"]["loss"]], [round(e, 2) for e in curve["val"]["loss"]]
    ([0.0, 0.11, 0.11], [0.1, 0.08, 0.07])

    Two points are fitted exactly; with more, the training error rises to meet the validation
    error and both stay high: more data will not help, a richer model (features x²) will.
    """
    from .evaluation import _name_the_data
    from .train import _metrics_for, evaluate, fit

    where = "learning_curve"
    _check_builder(where, build_model)
    X, y = _arrays(where, X, y), _labels(where, y)
    n_samples = _n_samples(where, _first(X))
    _check_length(where, n_samples, y)
    if not (isinstance(val_data, tuple) and len(val_data) == 2):
        raise TypeError(f"{where}: val_data must be an (X_val, y_val) pair, the fixed set every "
                        f"model is scored on, got {type(val_data).__name__}")
    # checked now, not after the first model has trained (nor in evaluate's name)
    val_data = checked_inputs(f"{where}: val_data", *val_data) if several_inputs(*val_data) \
        else checked_arrays(f"{where}: val_data", *val_data)
    sizes = _train_sizes(where, train_sizes, n_samples)
    fit_kwargs = {"progress": False, **_checked_fit_kwargs(where, fit_kwargs)}
    predict = fit_kwargs.get("predict")
    train_scores: list[dict[str, float]] = []
    val_scores: list[dict[str, float]] = []
    fresh = _FreshModels(where, "each train size must start from a fresh model, or it goes "
                                "on from the weights trained on the smaller sizes")
    for n in sizes:
        model, loss_fn, optimizer = _build(where, build_model, params or {}, fresh,
                                           f"train size {n}")
        scored = default_metrics(loss_fn, y) if metrics is None else metrics   # every size's
        chosen = _metrics_for(loss_fn, scored, where, predict, y)
        part = (_rows(X, slice(n)), y[:n])
        fit(model, loss_fn, optimizer, part, metrics=(), **fit_kwargs)
        train_scores.append(evaluate(model, loss_fn, part, scored, predict=predict))
        try:            # only a trained model can refuse some val_data (its width, y's shape)
            val_scores.append(evaluate(model, loss_fn, val_data, scored, predict=predict))
        except Exception as error:
            _name_the_data(error, f"{where}: val_data")
            raise
    names = list(train_scores[0])
    return {"train_sizes": sizes,
            "train": {name: [s[name] for s in train_scores] for name in names},
            "val": {name: [s[name] for s in val_scores] for name in names},
            "higher_is_better": {"loss": False, **{name: m.higher_is_better
                                                   for name, m in chosen.items()}}}


def _train_sizes(where: str, train_sizes: Any, n_samples: int) -> list[int]:
    """Each size as a count of rows: a fraction in (0, 1] of n_samples (rounded up) or a count
    from 1 to n_samples; increasing, so the curve reads left to right."""
    if isinstance(train_sizes, (str, bytes)) or not isinstance(train_sizes, Iterable):
        raise TypeError(f"{where}: train_sizes must be a list of counts or fractions, got "
                        f"{train_sizes!r}")
    sizes = []
    for size in train_sizes:
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Real):
            raise TypeError(f"{where}: train_sizes holds {size!r}; expected counts or fractions")
        if isinstance(size, numbers.Integral):
            if not 1 <= size <= n_samples:
                raise ValueError(f"{where}: train size {size} is outside 1..{n_samples} (the "
                                 f"rows of X)")
            sizes.append(int(size))
        else:
            if not 0 < size <= 1:
                raise ValueError(f"{where}: train size {size} is a fraction outside (0, 1]; "
                                 f"give a count as an int")
            rows = size * n_samples
            # a count that the float product overshoots by its rounding is that count: 0.55 of
            # 100 rows is 55.00000000000001, which rounded up would be 56
            whole = round(rows)
            sizes.append(whole if math.isclose(rows, whole, rel_tol=1e-9) else math.ceil(rows))
    if not sizes:
        raise ValueError(f"{where}: train_sizes is empty")
    if any(b <= a for a, b in zip(sizes, sizes[1:])):
        raise ValueError(f"{where}: train_sizes must increase, got the counts {sizes}")
    return sizes


@_fit_arguments_go_in_fit_kwargs("validation_curve")
def validation_curve(build_model: Callable, X: Any, y: Any, param_name: str,
                     param_range: Sequence[Any], cv: Any = 5,
                     fit_kwargs: dict[str, Any] | None = None,
                     metrics: Sequence[str | Callable] | None = None, *,
                     params: dict | None = None, seed: Any = 0) -> dict[str, Any]:
    """Training and validation scores as one hyperparameter varies (a penalty λ, a width, a
    degree): the lectures' bias-variance picture. Too simple a model scores badly on both; too
    flexible a one scores well on its training rows and badly on the held-out ones.

    For each value v in `param_range`, `cross_validate(build_model, X, y, cv, ...,
    params={**params, param_name: v}, return_train_score=True)` on the same folds (`seed` as
    there). Returns `{"param_range": [...], "train": {score: [mean over folds, ...]}, "val":
    {...}, "folds": [cross_validate's result per value], "higher_is_better": {...}}`. A value
    whose training diverges scores NaN, with a RuntimeWarning.

    >>> import numpy as np
    >>> from nn import LinearRegression, mse_loss
    >>> from nn.optim import SGD
    >>> def build(scale):        # a fixed line y = scale·x: lr=0, so nothing is learnt
    ...     model = LinearRegression(1)
    ...     model.weight.data[:], model.bias.data[:] = scale, 0.0
    ...     return model, mse_loss, SGD(model.parameters(), lr=0.0)
    >>> x = np.arange(6.0)[:, None]
    >>> curve = validation_curve(build, x, 2 * x.ravel(), "scale", [1.0, 2.0], cv=3,
    ...                          metrics=(), fit_kwargs={"epochs": 1})
    >>> curve["param_range"], [round(v, 4) for v in curve["val"]["loss"]]
    ([1.0, 2.0], [9.1667, 0.0])
    """
    from .train import TrainingDiverged

    where = "validation_curve"
    _check_builder(where, build_model)
    if not isinstance(param_name, str):
        raise TypeError(f"{where}: param_name must be the name of build_model's argument, got "
                        f"{param_name!r}")
    if isinstance(param_range, (str, bytes)) or not isinstance(param_range, Iterable):
        raise TypeError(f"{where}: param_range must be a list of the values of {param_name} to "
                        f"try, got {param_range!r}; write [{param_range!r}]")
    values = list(param_range)
    if not values:
        raise ValueError(f"{where}: param_range is empty; give the values of {param_name} to try")
    X, y = _arrays(where, X, y), _labels(where, y)
    folds = _splits(where, cv, _first(X), y, seed)              # the same for every value
    fresh = _FreshModels(where, _LEAK)
    results: list[dict[str, Any] | None] = []
    diverged = None
    for value in values:
        try:
            results.append(_cross_validate(build_model, X, y, folds, fit_kwargs, metrics,
                                           {**(params or {}), param_name: value}, seed, fresh,
                                           f"{param_name}={value!r}, ", train_scores=True,
                                           where=where))
        except TrainingDiverged as error:
            diverged = diverged or error
            warn(f"{where}: {param_name}={value!r} diverged ({error}); its scores are NaN",
                 RuntimeWarning)
            results.append(None)
    done = [r for r in results if r is not None]
    if not done:
        raise TrainingDiverged(f"{where}: every value of {param_name} diverged, the first with: "
                               f"{diverged}", loss=diverged.loss, epoch=diverged.epoch,
                               batch=diverged.batch, stepped=diverged.stepped)
    names = list(done[0]["mean"])

    def means(part: Callable[[dict], dict]) -> dict[str, list[float]]:
        return {n: [math.nan if r is None else part(r)["mean"][n] for r in results]
                for n in names}
    return {"param_range": values, "train": means(lambda r: r["train"]),
            "val": means(lambda r: r), "folds": results,
            "higher_is_better": done[0]["higher_is_better"]}
