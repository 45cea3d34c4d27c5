"""nn.functional: the activations (re-exported from autograd.functional, leaky_relu among
them), dropout, one_hot and embedding; leaky_relu and one_hot against PyTorch (asked live where
torch is installed, else as recorded in tests/reference/nn_functional.npz)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor, Value, gradcheck
from autograd import functional as AF
from nn import functional as F

from conftest import t64
from reference import as_array, assert_matches, draw, recorded


def test_activations_are_the_engines():
    """No second implementation: nn.functional re-exports autograd.functional's functions."""
    for name in ("relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "linear",
                 "embedding", "cross_entropy"):
        assert getattr(F, name) is getattr(AF, name)
    for name in F.__all__:
        assert callable(getattr(F, name))


def test_activations_work_on_tensors_and_values():
    x = t64([-1.0, 0.5])
    np.testing.assert_allclose(F.relu(x).data, [0.0, 0.5])
    np.testing.assert_allclose(F.tanh(x).data, np.tanh([-1.0, 0.5]))
    np.testing.assert_allclose(F.softmax(x).data.sum(), 1.0)
    assert F.sigmoid(Value(0.0)).data == 0.5 and F.relu(Value(-2.0)).data == 0.0


def test_pytorch_keywords_dim_and_inplace_are_accepted():
    """`F.softmax(x, dim=1)`, `F.log_softmax(x, dim=1)` and `F.relu(x, inplace=True)` as
    PyTorch code writes them (as the modules Softmax(dim=), ReLU(inplace=) accept them)."""
    x = t64([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]])
    for f in (F.softmax, F.log_softmax):
        np.testing.assert_array_equal(f(x, dim=0).data, f(x, 0).data)
        np.testing.assert_array_equal(f(x, dim=-1).data, f(x).data)
    h = x * 1.0
    assert F.relu(h, inplace=True) is h       # as PyTorch's (and ReLU(inplace=True)): h changed
    np.testing.assert_array_equal(h.data, np.maximum(x.data, 0))
    assert F.dropout(x, 0.5, training=False, inplace=True) is x


def test_dim_and_axis_together_are_refused():
    x = t64([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"softmax: got both axis=0 and dim=1; they are the "
                                        r"same setting \(dim is PyTorch's name\)"):
        F.softmax(x, 0, dim=1)
    with pytest.raises(TypeError, match="log_softmax: got both axis=0 and dim=1"):
        F.log_softmax(x, axis=0, dim=1)


@pytest.mark.parametrize("f", [F.softmax, F.log_softmax, F.softmin, Tensor.softmax,
                               Tensor.log_softmax], ids=lambda f: f.__qualname__)
def test_softmax_without_dim_is_the_last_axis_up_to_2d_and_refused_beyond(f):
    """PyTorch's implicit dim is 0 for 3-D and 1 for 4-D, ours was the last axis: the same code
    silently normalised different axes. Up to 2-D both agree, so those keep working."""
    name = f.__name__
    for shape in [(5,), (2, 3)]:
        x = t64(np.arange(np.prod(shape), dtype=float).reshape(shape) / 7)
        np.testing.assert_array_equal(f(x).data, f(x, dim=-1).data)
    for shape, torch_dim in [((2, 3, 4), 0), ((2, 3, 4, 5), 1)]:
        x = t64(np.zeros(shape))
        with pytest.raises(ValueError, match=re.escape(
                f"{name}: no dim given for an input of shape {shape}; pass dim= (dim=-1 for the "
                f"last axis, as language models want). PyTorch would have picked dim={torch_dim}")):
            f(x)
        assert f(x, dim=-1).shape == shape and f(x, 1).shape == shape


@pytest.mark.parametrize("f", [F.softmax, F.log_softmax, F.softmin, Tensor.softmax,
                               Tensor.log_softmax], ids=lambda f: f.__qualname__)
def test_softmax_takes_pytorchs_dtype_and_casts_first(f):
    """F.softmax(x, dim=-1, dtype=torch.float64) (mixed-precision code) was 'unexpected
    keyword argument'; as PyTorch's, the input is cast first, so the gradient comes back in
    the input's dtype."""
    x = Tensor(np.array([[0.5, -1.0, 2.0]], dtype=np.float32), requires_grad=True)
    y = f(x, dim=-1, dtype=np.float64)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.data, f(t64(x.data), dim=-1).data, rtol=1e-15)
    y[0, 0].backward()
    assert x.grad.dtype == np.float32
    counts = Tensor(np.array([1, 2, 3]))                 # integers cast to the dtype asked
    assert f(counts, dim=0, dtype="float64").dtype == np.float64


def test_functional_logsumexp_takes_pytorch_names_as_the_method_does():
    """Tensor.logsumexp took dim=/keepdim=, autograd.functional.logsumexp did not."""
    x = t64([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(AF.logsumexp(x, dim=0, keepdim=True).data,
                                  x.logsumexp(axis=0, keepdims=True).data)
    with pytest.raises(TypeError, match="logsumexp: got both axis=0 and dim=1"):
        AF.logsumexp(x, 0, dim=1)


# ----------------------------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------------------------

def test_eval_mode_and_p_zero_return_the_input_itself():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_inverted_scaling_preserves_the_mean(p):
    """Each element is 0 or x/(1-p); a fraction ≈ p is dropped and the mean stays ≈ 1. The
    tolerances are 5 standard deviations of the sample mean (n = 200 000)."""
    n = 200_000
    y = F.dropout(Tensor(np.ones(n)), p, rng=np.random.default_rng(1)).data
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1.0 / (1.0 - p), rtol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    assert abs(y.mean() - 1.0) < 5 * np.sqrt(p / (1 - p) / n)


def test_gradient_flows_only_through_kept_units():
    """dy/dx is 1/(1-p) where an element was kept, 0 where it was dropped."""
    x = Tensor(np.arange(1.0, 201.0), requires_grad=True)
    y = F.dropout(x, 0.25, rng=np.random.default_rng(2))
    y.sum().backward()
    kept = y.data != 0
    assert 0 < kept.sum() < 200
    np.testing.assert_allclose(x.grad[kept], 1 / 0.75, rtol=1e-6)
    assert (x.grad[~kept] == 0).all()
    np.testing.assert_allclose(y.data[kept], x.data[kept] / 0.75, rtol=1e-6)
    # with a fixed mask (the same generator seed every call) dropout is a linear map:
    assert gradcheck(lambda t: F.dropout(t, 0.4, rng=np.random.default_rng(3)),
                     t64(np.linspace(-1, 1, 12).reshape(3, 4)))


def test_randomness_comes_from_the_seeded_shared_generator_or_rng():
    """manual_seed makes masks reproducible; rng= uses that generator and leaves the shared one
    untouched."""
    x = Tensor(np.ones((8, 8)))
    autograd.manual_seed(7)
    first = F.dropout(x, 0.5).data
    autograd.manual_seed(7)
    assert (F.dropout(x, 0.5).data == first).all()
    autograd.manual_seed(7)
    own = F.dropout(x, 0.5, rng=np.random.default_rng(99)).data
    assert (F.dropout(x, 0.5).data == first).all()      # shared generator not advanced
    assert not (own == first).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    x = Tensor(np.ones(10, dtype=dtype), requires_grad=True)
    y = F.dropout(x, 0.3, rng=np.random.default_rng(0))
    y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype


@pytest.mark.parametrize("p", [-0.1, 1.0001, 1.5, "0.5", None])
def test_p_outside_zero_one_is_an_error(p):
    with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\], "
                                         rf"got {re.escape(repr(p))}"):
        F.dropout(Tensor([1.0]), p)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_p_one_drops_everything_with_zero_gradients_as_pytorch(dtype):
    x = Tensor(np.arange(1.0, 7.0, dtype=dtype).reshape(2, 3), requires_grad=True)
    y = F.dropout(x, 1.0)
    assert y.dtype == dtype and np.array_equal(y.data, np.zeros((2, 3)))
    (y * 5).sum().backward()
    assert np.array_equal(x.grad, np.zeros((2, 3))) and x.grad.dtype == dtype
    assert F.dropout(x, 1, training=False) is x                 # evaluation: passed through


def test_dropout_of_a_value_is_a_type_error():
    with pytest.raises(TypeError, match="dropout: expects a Tensor, got a Value"):
        F.dropout(Value(1.0), 0.5)


@pytest.mark.parametrize("name, call", [
    ("nll_loss", lambda v: F.nll_loss(v, [1])), ("dropout", F.dropout)])
def test_a_list_of_values_where_only_tensors_go_is_named_as_such(name, call):
    """Not "expects ... a flat list of Values, got list" (it got one, and takes none)."""
    takes = "this loss takes Tensors" if name.endswith("loss") else "which is not a Tensor"
    with pytest.raises(TypeError, match=rf"^{name}: got a list of Values[,;] {takes}"):
        call([Value(-0.5), Value(-1.0)])


def test_what_a_loss_of_values_refuses_says_it_takes_values():
    with pytest.raises(TypeError, match=r"^mse_loss: expects a Tensor, an array or a flat list "
                                        r"of Values, got list"):
        F.mse_loss(["a"], [1.0])
    with pytest.raises(TypeError, match=r"^nll_loss: expects a Tensor or an array, got str"):
        F.nll_loss("ab", [1])


# ----------------------------------------------------------------------------------------------
# leaky_relu
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 4), (1, 2, 5)])
@pytest.mark.parametrize("slope", [0.0, 0.01, 0.3, -0.5, 2.0])
def test_leaky_relu_gradients_match_finite_differences(rng, shape, slope):
    """Away from the kink at 0, for slopes small, negative and above 1 (PyTorch takes any)."""
    x = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    assert gradcheck(lambda t: F.leaky_relu(t, slope) * 1.5, t64(x))


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 0.999, -0.1, 1.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_gradient_is_g_or_slope_times_g_bit_for_bit(rng, slope, dtype):
    """The first-order rule computes the slope as max(step(x), c) for 0 <= c < 1 (7x as fast
    as np.where for a conv layer's activations): the same numbers, bit for bit, also for NaN,
    ±inf and ±0, and for an image batch stored batch-innermost."""
    x = rng.standard_normal((6, 3, 4, 5)).astype(dtype)
    x.reshape(-1)[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30]
    g = rng.standard_normal(x.shape).astype(dtype)
    g.reshape(-1)[6:9] = [np.nan, np.inf, -np.inf]
    for layout in (lambda a: a, lambda a: a.transpose(1, 2, 3, 0).copy().transpose(3, 0, 1, 2)):
        t = Tensor(layout(x), requires_grad=True)
        with np.errstate(invalid="ignore"):             # (0 · inf, for slope 0)
            F.leaky_relu(t, slope).backward(layout(g))
            expected = np.where(x > 0, g, g * slope)
        assert t.grad.dtype == dtype
        np.testing.assert_array_equal(t.grad, expected)


def test_leaky_relu_at_zero_has_slope_negative_slope_as_in_pytorch():
    x = t64([0.0, -0.0, 1e-300, -1e-300])
    F.leaky_relu(x, 0.25).backward(np.ones(4))
    np.testing.assert_array_equal(x.grad, [0.25, 0.25, 1.0, 0.25])
    v = Value(0.0)
    F.leaky_relu(v, 0.25).backward()
    assert v.grad == 0.25


def test_leaky_relu_keeps_the_dtype_and_takes_integers_and_values():
    for dtype in (np.float32, np.float64):
        assert F.leaky_relu(Tensor(np.ones(3, dtype))).dtype == dtype
    assert F.leaky_relu(Tensor(np.array([-2, 3]))).dtype == np.float32     # ints: the default
    assert F.leaky_relu(Value(-2.0), 0.5).data == -1.0
    assert F.leaky_relu([-1.0, 2.0]).data.tolist() == [-0.009999999776482582, 2.0]
    with pytest.raises(TypeError, match=r"leaky_relu\(inplace=True\) changes a Tensor in place, "
                                        r"got list; pass inplace=False"):
        F.leaky_relu([-1.0, 2.0], inplace=True)
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a number, got None"):
        F.leaky_relu(Tensor([1.0]), None)


@pytest.mark.parametrize("slope, expected", [(np.nan, [np.nan, np.nan, 3.0]),
                                             (np.inf, [-np.inf, np.nan, 3.0])])
@pytest.mark.filterwarnings("error")
def test_leaky_relu_keeps_positive_inputs_whatever_the_slope(slope, expected):
    """x > 0 gives x and x <= 0 gives slope · x (NaN at 0 · inf), as in PyTorch, without a
    warning: a NaN slope made the positive outputs NaN too, an infinite one warned."""
    np.testing.assert_array_equal(F.leaky_relu(t64([-2.0, 0.0, 3.0]), slope).data, expected)

# ----------------------------------------------------------------------------------------------
# one_hot
# ----------------------------------------------------------------------------------------------

def test_one_hot_gives_an_int64_constant_tensor_with_a_last_axis_of_classes():
    out = F.one_hot(np.array([[2, 0], [1, 1]]), 3)
    assert isinstance(out, Tensor) and out.dtype == np.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.data, [[[0, 0, 1], [1, 0, 0]], [[0, 1, 0], [0, 1, 0]]])
    assert F.one_hot(Tensor(np.array([0, 3]))).shape == (2, 4)       # -1: the largest + 1
    assert F.one_hot(2, 4).data.tolist() == [0, 0, 1, 0]              # 0-d: one row
    assert F.one_hot(np.array([], np.int64), 5).shape == (0, 5)
    assert F.one_hot([], 2).shape == (0, 2)
    assert F.one_hot(np.array([1, 0], np.uint8)).data.tolist() == [[0, 1], [1, 0]]


@settings(max_examples=40)
@given(shape=st.lists(st.integers(0, 4), max_size=3), classes=st.integers(1, 6),
       seed=st.integers(0, 2 ** 16))
def test_one_hot_rows_have_one_one_at_the_label(shape, classes, seed):
    labels = np.random.default_rng(seed).integers(0, classes, tuple(shape))
    out = F.one_hot(labels, classes).data
    assert out.shape == tuple(shape) + (classes,)
    assert (out.sum(-1) == 1).all() and (out.argmax(-1) == labels).all()


@pytest.mark.parametrize("labels, classes, error, message", [
    ([0, -1], -1, ValueError, "one_hot: labels must be >= 0, got -1"),
    ([0, 3], 3, ValueError, r"one_hot: labels must be < num_classes=3, got 3$"),
    ([1, 3], 3, ValueError, r"got 3 \(labels numbered from 1\? pass labels - 1\)"),
    ([0.0, 1.0], 2, TypeError, r"one_hot: labels must be integers, got floats \(dtype float64\)"),
    ([True], 2, TypeError, "one_hot: labels must be integers, got bools"),
    (np.array([], np.int64), -1, ValueError, "one_hot: no labels to count the classes from"),
    ([1], 0, ValueError, "one_hot: num_classes must be a positive int, or -1"),
    ([1], 2.0, ValueError, "one_hot: num_classes must be a positive int, or -1"),
])
def test_one_hot_errors_say_what_was_expected(labels, classes, error, message):
    with pytest.raises(error, match=message):
        F.one_hot(labels, classes)


# ----------------------------------------------------------------------------------------------
# embedding (the function; the layer is in test_layers.py)
# ----------------------------------------------------------------------------------------------

def test_embedding_function_picks_rows_and_checks_its_arguments():
    weight = t64(np.arange(12.0).reshape(4, 3))
    out = F.embedding(np.array([[3, 0, 3]]), weight, padding_idx=0)
    np.testing.assert_array_equal(out.data, [[[9, 10, 11], [0, 1, 2], [9, 10, 11]]])
    assert out.op == "embedding"
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad, [[0] * 3, [0] * 3, [0] * 3, [2] * 3])
    with pytest.raises(IndexError, match=r"embedding: index 4 is out of range for a table of "
                                         r"4 rows \(num_embeddings=4\)"):
        F.embedding([4], weight)
    with pytest.raises(ValueError, match=r"embedding: weight must be a 2-d Tensor "
                                         r"\(num_embeddings, embedding_dim\), got shape \(4,\)"):
        F.embedding([1], Tensor(np.zeros(4)))
    with pytest.raises(TypeError, match="embedding: padding_idx must be an int or None"):
        F.embedding([1], weight, padding_idx=1.0)
    with pytest.raises(TypeError, match=r"embedding: weight must be a Tensor \(num_embeddings, "
                                        r"embedding_dim\), got shape \(4, 3\) of type ndarray; "
                                        r"to train it, make it Tensor\(weight, requires_grad"):
        F.embedding([1], np.zeros((4, 3)))          # 2-d: 'must be a 2-d Tensor' misled
    with pytest.raises(TypeError, match=r"indices must be integers, got something else "
                                        r"\(dtype object\); convert"):
        F.embedding(np.array([object()]), weight)   # said 'got dtype object (dtype object)'


# ----------------------------------------------------------------------------------------------
# The same numbers as PyTorch: asked live where torch is installed, else as recorded
# ----------------------------------------------------------------------------------------------

SLOPES = (0.01, 0.2, -0.5, 3.0)


def functional_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """float32 x with exact zeros (both signs) in it, and int64 labels of shape (3, 4)."""
    x = rng.normal(size=(4, 5)).astype(np.float32)
    x[0, :2] = [0.0, -0.0]
    return dict(x=x, labels=rng.integers(0, 6, (3, 4)))


def functional_glassgrad(x, labels) -> dict[str, np.ndarray]:
    """leaky_relu(x, slope) and its gradient for each slope; one_hot of the labels with
    num_classes -1 and 8."""
    results = {}
    for slope in SLOPES:
        ours = Tensor(x, requires_grad=True)
        y = F.leaky_relu(ours, slope)
        y.sum().backward()
        results.update({f"leaky_relu/{slope}/y": y.data, f"leaky_relu/{slope}/x.grad": ours.grad})
    for classes in (-1, 8):
        results[f"one_hot/{classes}"] = F.one_hot(labels, classes).data
    return results


def functional_torch(torch, x, labels) -> dict[str, np.ndarray]:
    """The same as `functional_glassgrad`, computed by PyTorch."""
    results = {}
    for slope in SLOPES:
        theirs = torch.tensor(x, requires_grad=True)
        y = torch.nn.functional.leaky_relu(theirs, slope)
        y.sum().backward()
        results.update({f"leaky_relu/{slope}/y": as_array(y),
                        f"leaky_relu/{slope}/x.grad": as_array(theirs.grad)})
    for classes in (-1, 8):
        results[f"one_hot/{classes}"] = as_array(
            torch.nn.functional.one_hot(torch.tensor(labels), classes))
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/nn_functional.npz: the inputs and PyTorch's results."""
    inputs = functional_inputs(draw())
    return {**inputs, **functional_torch(torch, **inputs)}


def _bitwise(ours: dict, theirs: dict) -> None:
    """The same numbers to the bit (x times the slope in float32 both ways), and the same
    dtypes: one_hot's int64, float32 in, float32 out."""
    for name, value in ours.items():
        assert value.dtype == theirs[name].dtype, name
    assert_matches(ours, theirs, rtol=0, atol=0, inputs=("x", "labels"))


def test_leaky_relu_and_one_hot_match_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = functional_inputs(rng)
    _bitwise(functional_glassgrad(**inputs), {**inputs, **functional_torch(torch, **inputs)})


def test_leaky_relu_and_one_hot_match_pytorchs_recorded_numbers():
    theirs = recorded("nn_functional")
    _bitwise(functional_glassgrad(theirs["x"], theirs["labels"]), theirs)
