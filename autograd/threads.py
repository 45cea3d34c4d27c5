"""How many threads numpy's BLAS library uses for matrix products: PyTorch's
`torch.set_num_threads` / `torch.get_num_threads`, for glassgrad's one backend.

For the small matrices of a lecture's model, one thread is often the faster choice: two
threads wait on each other at every product, and a second core that another program keeps
busy makes them wait much longer (the README's "BLAS threads" section has the numbers). The
environment variable OPENBLAS_NUM_THREADS=1 does the same, but only if it is set before Python
starts; this changes it in a running program, a notebook included.

>>> import autograd
>>> before = autograd.get_num_threads()
>>> autograd.set_num_threads(1)
>>> autograd.get_num_threads()
1
>>> autograd.set_num_threads(before)            # as it was
"""

from __future__ import annotations

import numbers

from .warn import warn

__all__ = ["set_num_threads", "get_num_threads"]


def _blas_libraries() -> list:
    """The BLAS libraries loaded in this process (numpy's OpenBLAS or MKL), as threadpoolctl
    sees them. threadpoolctl finds each library's own thread setting, which differs between
    builds (numpy's wheels rename OpenBLAS's functions)."""
    from threadpoolctl import ThreadpoolController
    import numpy  # noqa: F401  (loads numpy's BLAS, so that there is one to find)
    return [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]


def set_num_threads(threads: int) -> None:
    """Use `threads` threads in numpy's BLAS from now on (for every matrix product, in forward
    and backward alike). As PyTorch's, it lasts until set again."""
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ValueError(f"set_num_threads: expected a whole number of threads >= 1, got "
                         f"{threads!r}")
    libraries = _blas_libraries()
    if not libraries:       # a ported script's torch.set_num_threads(1) must still run on a Mac
        warn("set_num_threads: numpy's BLAS library here has no thread setting that "
             "can be changed in a running program (Apple's Accelerate, numpy's BLAS on "
             "recent Macs: set VECLIB_MAXIMUM_THREADS=1 before Python starts); nothing "
             "was changed", RuntimeWarning)
        return
    for library in libraries:
        library.set_num_threads(int(threads))


def get_num_threads() -> int:
    """The number of threads numpy's BLAS uses for a matrix product (1 without a BLAS library)."""
    return max((library.num_threads for library in _blas_libraries()), default=1)
