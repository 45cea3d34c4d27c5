"""Scores for predictions: how good is a model, beyond its loss?

Classification, of predicted labels (classification.py, precision_recall.py): `accuracy` (also
`accuracy_score`), `zero_one_loss`, `confusion_matrix`, `balanced_accuracy_score`,
`matthews_corrcoef`, `precision`, `recall` (also `precision_score`, `recall_score`),
`f1_score`, `classification_report`; of predicted probabilities or class scores
(probabilities.py): `log_loss`, `top_k_accuracy_score`; ranking (ranking.py): `roc_curve`,
`roc_auc_score`, `precision_recall_curve`, `average_precision_score`; regression
(regression.py): `mean_squared_error`, `root_mean_squared_error`, `mean_absolute_error`,
`mean_absolute_percentage_error`, `r2_score`, `explained_variance_score`. The input checks they share are in checks.py.

Numpy arrays, lists or Tensors go in; Python floats (or numpy arrays) come out. The contracts are
scikit-learn's, so results can be compared with it line by line: classification metrics take class
*labels*, not probabilities (use ``probs.argmax(1)``, or ``probs > 0.5`` for one sigmoid output),
and a score that would be 0/0 (precision when nothing was predicted positive) is set to 0.0 with an
`UndefinedMetricWarning` instead of dividing by zero. Every metric takes scikit-learn's
`sample_weight=` (one weight >= 0 per sample): a sample of weight 2 counts as two copies of it.

>>> import numpy as np
>>> y_true = np.array([0] * 98 + [1] * 2)        # 98 healthy patients, 2 sick ones
>>> y_pred = np.zeros(100, dtype=int)            # a "model" that calls everyone healthy
>>> accuracy(y_true, y_pred), recall(y_true, y_pred)
(0.98, 0.0)
>>> balanced_accuracy_score(y_true, y_pred)      # the mean of each class's recall: (1 + 0) / 2
0.5
"""

from .checks import UndefinedMetricWarning
from .classification import (accuracy, accuracy_score, balanced_accuracy_score, confusion_matrix,
                             matthews_corrcoef, zero_one_loss)
from .precision_recall import (classification_report, f1_score, precision, precision_score,
                               recall, recall_score)
from .probabilities import log_loss, top_k_accuracy_score
from .ranking import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve
from .regression import (explained_variance_score, mean_absolute_error,
                         mean_absolute_percentage_error, mean_squared_error, r2_score,
                         root_mean_squared_error)

__all__ = [
    "UndefinedMetricWarning", "accuracy", "accuracy_score", "zero_one_loss", "confusion_matrix",
    "balanced_accuracy_score", "matthews_corrcoef", "precision", "recall",
    "precision_score", "recall_score", "f1_score",
    "classification_report", "log_loss", "top_k_accuracy_score", "roc_curve", "roc_auc_score",
    "precision_recall_curve", "average_precision_score", "mean_squared_error",
    "root_mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "r2_score", "explained_variance_score",
]
