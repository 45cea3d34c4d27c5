"""unfold / fold and Unfold / Fold (im2col and col2im): windows as columns in PyTorch's order,
fold adding overlaps, one image without a batch axis, gradients against finite differences
(first and second order: each is the other's gradient), reprs and errors that name the
function or layer and the shapes, and the same numbers as PyTorch (asked live where torch is
installed, else as recorded in tests/reference/fold.npz)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, grad, gradcheck
from nn import Fold, Unfold
from nn.functional import conv2d, fold, unfold

from conftest import t64
from reference import assert_matches, draw, prefixed, recorded


def test_a_convolution_is_an_unfold_and_one_product(rng):
    x, w = t64(rng.normal(size=(2, 3, 6, 5))), t64(rng.normal(size=(4, 3, 3, 2)))
    cols = unfold(x, (3, 2), dilation=(1, 2), padding=1, stride=2)        # (N, C·kh·kw, L)
    y = (w.reshape(4, -1) @ cols).reshape(2, 4, 3, 3)
    np.testing.assert_allclose(y.data, conv2d(x, w, dilation=(1, 2), padding=1, stride=2).data,
                               rtol=1e-12)


def test_fold_adds_overlapping_windows_and_inverts_unfold_where_they_tile(rng):
    x = t64(rng.normal(size=(1, 2, 4, 6)))
    np.testing.assert_array_equal(fold(unfold(x, 2, stride=2), (4, 6), 2, stride=2).data, x.data)
    counts = fold(unfold(Tensor(np.ones((1, 1, 3, 3))), 2), 3, 2).data[0, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_one_image_without_a_batch_axis(rng):
    x = rng.normal(size=(3, 5, 4))
    cols = unfold(Tensor(x), 2)
    assert cols.shape == (12, 12)
    np.testing.assert_array_equal(cols.data, unfold(Tensor(x[None]), 2).data[0])
    assert fold(cols, (5, 4), 2).shape == (3, 5, 4)


def test_an_empty_batch_gives_empty_columns_and_an_empty_gradient():
    """N = 0 (PyTorch gives (0, C·kh·kw, L)); numpy could not infer L from an empty array."""
    x = Tensor(np.zeros((0, 2, 5, 4)), requires_grad=True)
    cols = unfold(x, 2)
    assert cols.shape == (0, 8, 12)
    cols.sum().backward()
    assert x.grad.shape == (0, 2, 5, 4)
    assert fold(cols, (5, 4), 2).shape == (0, 2, 5, 4)


CASES = {                   # x's shape, kernel_size, dilation, padding, stride
    "plain": ((2, 2, 4, 5), 2, 1, 0, 1),
    "everything, batch of one": ((1, 2, 6, 5), (3, 2), (1, 2), (1, 0), (2, 1)),
    "one image": ((2, 4, 3), (2, 1), 1, (0, 1), (1, 2)),
}


@pytest.mark.parametrize("case", CASES)
def test_gradients_match_finite_differences(rng, case):
    x_shape, *geometry = CASES[case]
    cols = unfold(Tensor(np.zeros(x_shape)), *geometry)
    assert gradcheck(lambda x: unfold(x, *geometry), t64(rng.normal(size=x_shape)))
    assert gradcheck(lambda c: fold(c, x_shape[-2:], *geometry), t64(rng.normal(size=cols.shape)))


def test_second_derivatives_match_finite_differences(rng):
    x_shape, *geometry = CASES["everything, batch of one"]
    r = rng.normal(size=unfold(Tensor(np.zeros(x_shape)), *geometry).shape)
    direction = rng.normal(size=x_shape)

    def directional(x):
        first = grad(lambda t: (r * unfold(t, *geometry).tanh()).sum())(x)
        return (first * direction).sum()
    assert gradcheck(directional, t64(rng.normal(size=x_shape)))


def test_the_layers_print_as_pytorchs_and_run():
    assert repr(Unfold(3)) == "Unfold(kernel_size=3, dilation=1, padding=0, stride=1)"
    assert repr(Unfold((2, 3), dilation=2, padding=1, stride=(1, 2))) == \
        "Unfold(kernel_size=(2, 3), dilation=2, padding=1, stride=(1, 2))"
    assert repr(Fold((4, 5), 2)) == \
        "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"
    model = nn.Sequential(Unfold(2), Fold(3, 2))
    assert model(Tensor(np.zeros((2, 1, 3, 3)))).shape == (2, 1, 3, 3)


@pytest.mark.parametrize("call, message", [
    (lambda: unfold(np.zeros((1, 1, 2, 2)), 3),
     r"unfold: the input's height and width \(2, 2\) .* hold no \(3, 3\) window"),
    (lambda: unfold(np.zeros((5, 5)), 2), r"unfold: expected a 4-d input .* got shape \(5, 5\)"),
    (lambda: unfold(np.zeros((1, 1, 4, 4)), 0), "unfold: kernel_size must be an int >= 1"),
    (lambda: fold(np.zeros((1, 12, 15)), 5, 2),
     r"fold: output_size \(5, 5\) with kernel_size \(2, 2\), .* holds 4 x 4 windows, but the "
     r"columns \(shape \(1, 12, 15\)\) hold 15"),
    (lambda: fold(np.zeros((1, 11, 16)), 5, 2),
     r"fold: the columns' 11 rows \(shape \(1, 11, 16\)\) are not a multiple of kernel_size "
     r"\(2, 2\)'s 4 taps"),
    (lambda: fold(np.zeros((1, 4, 1)), 1, 2), "holds 0 x 0 windows"),
    (lambda: fold(np.zeros(4), 1, 1), r"fold: expected columns .* got shape \(4,\)"),
    (lambda: Fold(0, 2), "Fold: output_size must be an int >= 1"),
    (lambda: Unfold(2, stride=0), "Unfold: stride must be an int >= 1"),
])
def test_mistakes_are_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_layer_names_itself_when_the_input_is_wrong():
    with pytest.raises(ValueError, match=r"^Fold\(output_size=4, kernel_size=2, .*\): "
                                         r"output_size \(4, 4\)"):
        Fold(4, 2)(Tensor(np.zeros((1, 4, 8))))


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

def fold_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per case: x, and a gradient g for unfold's output, which is also fold's input."""
    arrays = {}
    for case, (x_shape, *geometry) in CASES.items():
        length = unfold(Tensor(np.zeros(x_shape)), *geometry).shape
        arrays.update(prefixed(case, dict(x=rng.normal(size=x_shape), g=rng.normal(size=length))))
    return arrays


def _run(lib, tensor, case, arrays):
    """unfold(x) and x's gradient for g; fold(g) and g's gradient for x."""
    x_shape, *geometry = CASES[case]
    x, g = tensor(arrays[f"{case}/x"]), tensor(arrays[f"{case}/g"])
    cols = lib.unfold(x, *geometry)
    cols.backward(tensor(arrays[f"{case}/g"], requires_grad=False))
    image = lib.fold(g, x_shape[-2:], *geometry)
    image.backward(tensor(arrays[f"{case}/x"], requires_grad=False))
    return {"unfold": cols, "x.grad": x.grad, "fold": image, "g.grad": g.grad}


def fold_glassgrad(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: value for case in CASES
            for key, value in prefixed(case, _run(nn.functional, t64, case, arrays)).items()}


def fold_torch(torch, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same as `fold_glassgrad`, computed by PyTorch."""
    def tensor(a, requires_grad=True):
        return torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad)
    return {key: value for case in CASES for key, value in
            prefixed(case, _run(torch.nn.functional, tensor, case, arrays)).items()}


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/fold.npz: the inputs and PyTorch's results."""
    inputs = fold_inputs(draw())
    return {**inputs, **fold_torch(torch, inputs)}


def test_matches_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = fold_inputs(rng)
    assert_matches(fold_glassgrad(inputs), fold_torch(torch, inputs), rtol=1e-12, atol=1e-13)


def test_matches_pytorchs_recorded_numbers():
    theirs = recorded("fold")
    inputs = tuple(f"{case}/{name}" for case in CASES for name in ("x", "g"))
    assert_matches(fold_glassgrad(theirs), theirs, rtol=1e-12, atol=1e-13, inputs=inputs)


def test_fold_whose_windows_tile_the_image_gives_an_array_of_its_own(rng):
    """fold with kernel = stride, or kernel = image (where the columns are the image already),
    takes col2im's one copy and must not hand back the caller's columns: writing into the
    image leaves them as they were."""
    for kernel, stride, size in (((2, 2), 2, (4, 6)), ((3, 2), 1, (3, 2))):
        cols = t64(rng.normal(size=(2, 2 * kernel[0] * kernel[1],
                                    (size[0] // kernel[0]) * (size[1] // kernel[1]))))
        before = cols.data.copy()
        image = fold(cols, size, kernel, stride=stride)
        assert not np.shares_memory(image.data, cols.data)
        image.data[...] = 0
        np.testing.assert_array_equal(cols.data, before)
        np.testing.assert_allclose(unfold(fold(cols, size, kernel, stride=stride), kernel,
                                          stride=stride).data, before, rtol=1e-15)
        assert gradcheck(lambda c: fold(c, size, kernel, stride=stride), cols)
