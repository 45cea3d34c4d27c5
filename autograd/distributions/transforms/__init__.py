"""PyTorch's `torch.distributions.transforms`: differentiable maps with an inverse and the log
of their Jacobian's |determinant|, so a density can follow them (TransformedDistribution),
a constrained parameter can be optimised as a free one (biject_to, transform_to), and a
normalizing flow is a ComposeTransform of layers whose parameters are Tensors.

One file per kind: `base.py` (`Transform`, its inverse, the cache), `elementwise.py` (Exp,
Affine, Sigmoid, Tanh, Softplus, Power, Abs), `structure.py` (Compose, Independent, Reshape),
`simplex.py` (StickBreaking, Softmax, LowerCholesky). Not built: CatTransform,
StackTransform, CorrCholeskyTransform, PositiveDefiniteTransform,
CumulativeDistributionTransform.

>>> from autograd import tensor
>>> from autograd.distributions.transforms import ComposeTransform, ExpTransform
>>> t = ExpTransform().inv
>>> t(tensor([1.0])).tolist(), t.inv == ExpTransform(), ComposeTransform([t]).inv(0.0).item()
([0.0], True, 1.0)
"""

from __future__ import annotations

from .base import Transform
from .elementwise import (AbsTransform, AffineTransform, ExpTransform, PowerTransform,
                          SigmoidTransform, SoftplusTransform, TanhTransform)
from .simplex import LowerCholeskyTransform, SoftmaxTransform, StickBreakingTransform
from .structure import ComposeTransform, IndependentTransform, ReshapeTransform, \
    identity_transform

__all__ = ["Transform", "AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform",
           "IndependentTransform", "LowerCholeskyTransform", "PowerTransform",
           "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform",
           "StickBreakingTransform", "TanhTransform", "identity_transform"]
