"""autograd.set_num_threads / get_num_threads: numpy's BLAS threads, set in a running program."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import autograd


def blas_threads() -> list:
    """What threadpoolctl reads from the BLAS libraries themselves (not from our function)."""
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


@pytest.fixture
def restore_threads():
    before = autograd.get_num_threads()
    yield
    autograd.set_num_threads(before)


def test_set_num_threads_changes_what_blas_uses(restore_threads):
    np.ones((4, 4)) @ np.ones((4, 4))          # numpy's BLAS is loaded
    assert blas_threads(), "numpy here has no BLAS library that threadpoolctl can see"
    autograd.set_num_threads(1)
    assert blas_threads() == [1] * len(blas_threads())
    assert autograd.get_num_threads() == 1
    autograd.set_num_threads(2)
    assert autograd.get_num_threads() == 2 and set(blas_threads()) == {2}


def test_products_give_the_same_numbers_with_one_thread(restore_threads):
    rng = np.random.default_rng(0)
    x = autograd.Tensor(rng.normal(size=(64, 300)), requires_grad=True)
    w = autograd.Tensor(rng.normal(size=(300, 50)), requires_grad=True)
    autograd.set_num_threads(1)
    (x @ w).tanh().sum().backward()
    np.testing.assert_allclose(w.grad, x.data.T @ (1 - np.tanh(x.data @ w.data) ** 2),
                               rtol=1e-10)


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2", True, None])
def test_set_num_threads_refuses_what_is_not_a_count(threads):
    with pytest.raises(ValueError, match=r"set_num_threads: expected a whole number of threads "
                                         r">= 1, got"):
        autograd.set_num_threads(threads)


def test_a_blas_without_a_thread_setting_warns_instead_of_stopping_the_script(monkeypatch):
    """numpy's wheels for recent Macs use Apple's Accelerate, which threadpoolctl cannot set:
    a ported script's torch.set_num_threads(1) raised RuntimeError at its first line."""
    from autograd import threads
    monkeypatch.setattr(threads, "_blas_libraries", lambda: [])
    with pytest.warns(RuntimeWarning, match=r"set_num_threads: numpy's BLAS library here has "
                                            r"no thread setting .* VECLIB_MAXIMUM_THREADS=1"):
        autograd.set_num_threads(1)
