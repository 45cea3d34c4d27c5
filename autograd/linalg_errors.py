"""The error `autograd.linalg` raises for a matrix it cannot factor or invert: PyTorch's
`torch.linalg.LinAlgError`. It is numpy's LinAlgError and a RuntimeError at once, so the three
ways code catches it all work: PyTorch's `except RuntimeError` (a GP's loop adding jitter until
the Cholesky factor exists), `except torch.linalg.LinAlgError` after `import autograd as
torch`, and numpy's `except np.linalg.LinAlgError`.

>>> import numpy as np
>>> from autograd import Tensor, linalg
>>> try:
...     linalg.cholesky(Tensor([[1.0, 2.0], [2.0, 1.0]]))
... except RuntimeError as error:
...     isinstance(error, np.linalg.LinAlgError)
True
"""

from __future__ import annotations

import numpy as np


class LinAlgError(np.linalg.LinAlgError, RuntimeError):
    """A matrix that is singular, not positive definite, or has no usable gradient here."""
