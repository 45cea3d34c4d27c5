"""The input checks every metric shares: arrays from lists, Tensors and Values, class labels,
lengths, labels= and sample_weight=. Each names the public function it checks for, so an error
points at the call the learner wrote."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.graph import Node
from autograd.tables import is_table, table_array


class UndefinedMetricWarning(UserWarning):
    """A score was 0/0 (e.g. precision with no positive predictions) and was set to a value."""


def _as_array(y: Any) -> np.ndarray:
    """An ndarray from an array, list, Tensor, or list of Values (the scalar MLP's outputs)."""
    if isinstance(y, Node):                 # a model's output, perhaps in a graph (which
        y = y.data                          # numpy refuses): a metric reads only the numbers
    elif isinstance(y, (list, tuple)) and y and isinstance(y[0], Node):
        y = [item.data for item in y]
    elif is_table(y):       # a pandas or polars Series: by its dtype (a null/<NA> as NaN)
        return table_array("metrics", y, text=True)
    arr = np.asarray(y)
    if arr.dtype == object and arr.size and isinstance(arr.flat[0], Node):
        arr = np.array([item.data for item in arr.flat]).reshape(arr.shape)
    return arr


def _column(fn: str, name: str, y: Any, hint: str = "") -> np.ndarray:
    """`y` as a non-empty 1-D array; an (n, 1) column is flattened."""
    arr = _as_array(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{fn}: {name} has shape {arr.shape}; expected a 1-D array{hint}")
    if arr.size == 0:
        raise ValueError(f"{fn}: {name} is empty; need at least one sample")
    return arr


def _same_length(fn: str, names: tuple[str, str], a: np.ndarray, b: np.ndarray) -> None:
    if len(a) != len(b):
        raise ValueError(f"{fn}: {names[0]} and {names[1]} have different numbers of samples "
                         f"(shapes {a.shape} and {b.shape})")


def _finite(fn: str, name: str, arr: np.ndarray) -> None:
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{fn}: {name} contains NaN or infinity")


def _class_labels(fn: str, name: str, y: Any) -> np.ndarray:
    """A 1-D array of class labels; probabilities, scores and logits are refused with a hint."""
    arr = _column(fn, name, y, hint=" of class labels (for class probabilities or logits of "
                                     "shape (n, classes) pass probs.argmax(1))")
    _finite(fn, name, arr)
    if arr.dtype.kind == "f" and np.any(arr != np.round(arr)):
        example = arr[arr != np.round(arr)][0]
        raise ValueError(f"{fn}: {name} holds non-integer values such as {example}; expected "
                         f"class labels (threshold probabilities first: probs > 0.5, or "
                         f"probs.argmax(1))")
    return arr


def _is_text(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "US"


def _text_meets_number(arr: np.ndarray, other: np.ndarray) -> bool:
    """True when one holds text and the other numbers: then no element can be equal (and numpy
    1.x would answer `==` with one False instead of an array)."""
    return object not in (arr.dtype, other.dtype) and _is_text(arr) != _is_text(other)


def _equals(y: np.ndarray, label: Any) -> np.ndarray:
    """y == label, elementwise."""
    label = np.asarray(label)
    return np.zeros(len(y), dtype=bool) if _text_meets_number(y, label) else y == label


def _label_pair(fn: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _class_labels(fn, "y_true", y_true), _class_labels(fn, "y_pred", y_pred)
    _same_length(fn, ("y_true", "y_pred"), y_true, y_pred)
    if _text_meets_number(y_true, y_pred):          # sorting "cat" against 3 has no meaning
        raise TypeError(f"{fn}: y_true and y_pred hold labels of different types "
                        f"({y_true.dtype} and {y_pred.dtype}); use the same kind of label in both")
    return y_true, y_pred


def _encode(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The position of each value in `labels`, or -1 where it is not one of them."""
    if _text_meets_number(values, labels):
        return np.full(len(values), -1)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    pos = np.minimum(np.searchsorted(sorted_labels, values), len(labels) - 1)
    return np.where(sorted_labels[pos] == values, order[pos], -1)


def _labels(fn: str, y_true: np.ndarray, y_pred: np.ndarray, labels: Any) -> np.ndarray:
    """The given labels (checked), or every label that occurs in y_true or y_pred, sorted."""
    if labels is None:
        return np.unique(np.concatenate([y_true, y_pred]))
    return _given_labels(fn, labels)


def _given_labels(fn: str, labels: Any, *, sorted_for: str = "") -> np.ndarray:
    """A labels= argument, checked: not empty, no label twice; sorted when the columns of a
    score array stand for them (`sorted_for` names that array), as scikit-learn requires."""
    labels = _as_array(labels).reshape(-1)
    if labels.size == 0:
        raise ValueError(f"{fn}: labels is empty; give at least one label (or labels=None)")
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"{fn}: labels contains repeated values: {labels.tolist()}")
    if sorted_for and np.any(np.unique(labels) != labels):
        raise ValueError(f"{fn}: labels must be sorted, got {labels.tolist()}: the columns of "
                         f"{sorted_for} stand for the labels in sorted order")
    return labels


# ----------------------------------------------------------------------------------------------
# sample_weight: one weight per sample, as in scikit-learn. An integer weight w counts a sample
# as w copies of it; a weight of 0 leaves it out.
# ----------------------------------------------------------------------------------------------

def _sample_weight(fn: str, sample_weight: Any, n: int) -> np.ndarray | None:
    """None, or the weights checked: a 1-D array of `n` finite numbers >= 0, not all 0.
    Integer and boolean weights stay integers (int64), so counts weighted by them stay exact;
    others are float64."""
    if sample_weight is None:
        return None
    w = _as_array(sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: sample_weight must be numbers, got dtype {w.dtype}")
    if w.ndim != 1:
        raise ValueError(f"{fn}: sample_weight has shape {w.shape}; expected a 1-D array of "
                         f"one weight per sample, shape ({n},)")
    if len(w) != n:
        raise ValueError(f"{fn}: sample_weight has {len(w)} weights for {n} samples; "
                         f"expected one weight per sample")
    _finite(fn, "sample_weight", w)
    if np.any(w < 0):
        raise ValueError(f"{fn}: sample_weight holds negative values such as "
                         f"{w[w < 0][0].item()}; weights must be >= 0")
    if not np.any(w > 0):
        raise ValueError(f"{fn}: sample_weight is all zeros; at least one sample needs a "
                         f"positive weight")
    return w.astype(np.int64 if w.dtype.kind in "biu" else np.float64)


def _weighted_mean(values: np.ndarray, w: np.ndarray | None, axis: int | None = None) -> Any:
    """The mean over samples (axis 0 of `values`), each weighted by w (None: all alike)."""
    return np.mean(values, axis=axis) if w is None else np.average(values, axis=axis, weights=w)


def _weighted_count(hits: np.ndarray, w: np.ndarray | None) -> float:
    """How many samples the boolean mask `hits` marks: Σ w_i over them (1 each without w)."""
    return float(np.sum(hits) if w is None else np.sum(w[hits]))
