"""Shared by the tests of nn.metrics (tests/test_metrics_*.py, one file per module of the
package): the worked 3-class example, `no_warnings`, and integer sample weights as repeated
rows, the definition every weighted metric is checked against."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
from hypothesis import strategies as st


@contextlib.contextmanager
def no_warnings():
    """Any warning inside the block fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ----------------------------------------------------------------------------------------------
# The worked 3-class example
#
#   y_true  0 0 1 1 1 2 2 2 2          confusion matrix      precision  recall   F1 = 2TP/(T+P)
#   y_pred  0 1 1 1 0 2 2 0 2          (rows: true class)    TP / col   TP / row
#                                      [[1, 1, 0],  row 2    1/3        1/2      2/5
#                                       [1, 2, 0],  row 3    2/3        2/3      2/3
#                                       [1, 0, 3]]  row 4    3/3        3/4      6/7
#                                     columns: 3, 3, 3
# ----------------------------------------------------------------------------------------------

Y_TRUE = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 0, 2, 2, 0, 2])
PRECISION = [1 / 3, 2 / 3, 1.0]
RECALL = [1 / 2, 2 / 3, 3 / 4]
F1 = [2 / 5, 2 / 3, 6 / 7]
SUPPORT = [2, 3, 4]


# the worked example's weights: sample i counts W[i] times. Right predictions (samples 0, 2, 3,
# 5, 6, 8) weigh 1 + 1 + 1 + 1 + 1 + 0 = 5 of 12. Weighted confusion matrix (rows: true class):
#   [[1, 2, 0],      row sums 3, 5, 4; column sums 6, 4, 2
#    [3, 2, 0],
#    [2, 0, 2]]
W = np.array([1, 2, 1, 1, 3, 1, 1, 2, 0])
W_COUNTS = np.array([[1, 2, 0], [3, 2, 0], [2, 0, 2]])


def repeated(weights, *arrays) -> tuple[np.ndarray, ...]:
    """Each array with its row i repeated weights[i] times (a weight of 0 leaves the row out):
    what integer sample weights must be equal to."""
    return tuple(np.repeat(np.asarray(a), weights, axis=0) for a in arrays)


def weights(n: int, low: int = 0) -> st.SearchStrategy:
    """n integer weights in [low, 3], not all 0."""
    return st.lists(st.integers(low, 3), min_size=n, max_size=n).filter(lambda w: sum(w) > 0)


def labels_and_weights(classes: int, min_size: int = 1, max_size: int = 25,
                       low: int = 0) -> st.SearchStrategy:
    """(y_true, y_pred, weights) of n samples, labels 0 .. classes - 1."""
    def draw(n):
        labels = st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)
        return st.tuples(labels, labels, weights(n, low))
    return st.integers(min_size, max_size).flatmap(draw)
