"""Optimizers and learning-rate schedules, with PyTorch's arguments, defaults and update rules.

Simple to complex: `SGD` (momentum, Nesterov) and `ASGD` in `sgd.py`; `Adagrad`, `Adadelta`,
`RMSprop`, `Rprop`, `Adafactor` in `adaptive.py`; `Adam`, `AdamW`, `Adamax`, `NAdam`, `RAdam`
in `adam.py`; `SparseAdam` (the rows an `Embedding(sparse=True)` looked up) in
`sparse_adam.py`; the quasi-Newton `LBFGS`, which takes a closure, in `lbfgs.py`; the shared
`Optimizer` base in `optimizer.py`; schedules in the package `lr_scheduler/`, one family a
file; `swa_utils`, a running or exponential average of a model's weights
(`AveragedModel`). Every optimizer updates `Value` and `Tensor` parameters alike.

>>> from autograd import Tensor
>>> from nn.optim import Adam
>>> w = Tensor([3.0, -2.0], requires_grad=True)
>>> opt = Adam([w], lr=0.1)
>>> for _ in range(200):
...     opt.zero_grad()
...     ((w - 1.0) ** 2).sum().backward()
...     opt.step()
>>> w.data.round(2)
array([1., 1.], dtype=float32)
"""

from . import lr_scheduler, swa_utils
from .adam import Adam, Adamax, AdamW, NAdam, RAdam
from .adaptive import Adadelta, Adafactor, Adagrad, RMSprop, Rprop
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .sgd import ASGD, SGD
from .sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "ASGD", "Adagrad", "Adadelta", "RMSprop", "Rprop", "Adafactor",
           "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "SparseAdam", "LBFGS",
           "lr_scheduler"]

