"""Shared by the tests of nn.metrics (tests/test_metrics_*.py, one file per module of the
package): the worked 3-class example and `no_warnings`."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np


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
