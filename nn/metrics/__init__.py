"""Scores for predictions: how good is a model, beyond its loss?

Classification: `accuracy`, `confusion_matrix`, `precision`, `recall`, `f1_score`,
`classification_report`; ranking: `roc_curve`, `roc_auc_score`, `precision_recall_curve`,
`average_precision_score`; regression: `mean_squared_error`, `root_mean_squared_error`,
`mean_absolute_error`, `r2_score`. One file each: classification.py, precision_recall.py,
ranking.py, regression.py; the input checks they share in checks.py.

Numpy arrays, lists or Tensors go in; Python floats (or numpy arrays) come out. The contracts are
scikit-learn's, so results can be compared with it line by line: classification metrics take class
*labels*, not probabilities (use ``probs.argmax(1)``, or ``probs > 0.5`` for one sigmoid output),
and a score that would be 0/0 (precision when nothing was predicted positive) is set to 0.0 with an
`UndefinedMetricWarning` instead of dividing by zero.

>>> import numpy as np
>>> y_true = np.array([0] * 98 + [1] * 2)        # 98 healthy patients, 2 sick ones
>>> y_pred = np.zeros(100, dtype=int)            # a "model" that calls everyone healthy
>>> accuracy(y_true, y_pred), recall(y_true, y_pred)
(0.98, 0.0)
"""

from .checks import UndefinedMetricWarning
from .classification import accuracy, confusion_matrix
from .precision_recall import classification_report, f1_score, precision, recall
from .ranking import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve
from .regression import mean_absolute_error, mean_squared_error, r2_score, root_mean_squared_error

__all__ = [
    "UndefinedMetricWarning", "accuracy", "confusion_matrix", "precision", "recall", "f1_score",
    "classification_report", "roc_curve", "roc_auc_score", "precision_recall_curve",
    "average_precision_score", "mean_squared_error", "root_mean_squared_error",
    "mean_absolute_error", "r2_score",
]
