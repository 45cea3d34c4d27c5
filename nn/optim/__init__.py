"""Optimizers and learning-rate schedules, with PyTorch's arguments, defaults and update rules.

Simple to complex: `SGD` (momentum, Nesterov) and `ASGD` in `sgd.py`; `Adagrad`, `Adadelta`,
`RMSprop`, `Rprop`, `Adafactor` in `adaptive.py`; `Adam`, `AdamW`, `Adamax`, `NAdam`, `RAdam`
in `adam.py`; the quasi-Newton `LBFGS`, which takes a closure, in `lbfgs.py`; the shared
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

__all__ = ["Optimizer", "SGD", "ASGD", "Adagrad", "Adadelta", "RMSprop", "Rprop", "Adafactor",
           "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "LBFGS", "lr_scheduler"]


def __getattr__(name: str) -> object:
    # PyTorch's SparseAdam takes the sparse gradients of Embedding(sparse=True); here every
    # gradient is a dense array, so Adam is the one to use (it also moves the moments of rows
    # the batch did not look up, which SparseAdam's lazy update leaves alone)
    if name == "SparseAdam":
        raise AttributeError("module 'nn.optim' has no attribute 'SparseAdam': it takes the "
                             "sparse gradients of Embedding(sparse=True), and glassgrad's "
                             "gradients are dense arrays; use optim.Adam (which also decays the "
                             "moments of the rows a batch did not look up, where SparseAdam "
                             "leaves them)")
    raise AttributeError(f"module 'nn.optim' has no attribute {name!r}")
