"""Optimizers and learning-rate schedules, with PyTorch's arguments, defaults and update rules.

Simple to complex: `SGD` (momentum, Nesterov) in `sgd.py`; `Adagrad`, `Adadelta`, `RMSprop` in
`adaptive.py`; `Adam`, `AdamW`, `Adamax`, `NAdam` in `adam.py`; the shared `Optimizer` base in
`optimizer.py`; the quasi-Newton `LBFGS`, which takes a closure, in `lbfgs.py`; schedules in
`lr_scheduler.py`. Every optimizer updates `Value` and `Tensor`
parameters alike.

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

from . import lr_scheduler
from .adam import Adam, Adamax, AdamW, NAdam
from .adaptive import Adadelta, Adagrad, RMSprop
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "Adamax",
           "NAdam", "LBFGS", "lr_scheduler"]
