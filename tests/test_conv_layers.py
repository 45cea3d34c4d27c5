"""The convolutional layers (and the transposed ones): shapes, PyTorch's parameter layout,
names and initialisation,
errors that name the layer, a CNN with BatchNorm and Dropout in training and evaluation, state
dict round trips (through a checkpoint file), and PyTorch's state dicts and outputs (asked live
where torch is installed, else as recorded in tests/reference/conv_layers.npz)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from autograd import Tensor, gradcheck, manual_seed
from autograd import functional as F
import nn
from nn import (
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose1d, ConvTranspose2d, Dropout,
    Flatten, Linear, MaxPool2d, ReLU, Sequential, cross_entropy, load, save,
)
from nn.optim import SGD

from conftest import sample, t64
from reference import (
    as_array, assert_matches, draw, drawn_state, layout, prefixed, record_cases, recorded,
    recorded_case, under,
)


def small_cnn() -> Sequential:
    return Sequential(Conv2d(1, 4, 3, padding=1), BatchNorm2d(4), ReLU(), MaxPool2d(2),
                      Conv2d(4, 6, 3, stride=2, groups=2), ReLU(), AvgPool2d(1), Flatten(),
                      Dropout(0.5), Linear(6 * 1 * 1, 3))


def test_conv2d_shapes_layout_and_initialisation():
    manual_seed(0)
    conv = Conv2d(6, 8, (3, 5), stride=2, padding=(1, 2), dilation=1, groups=2)
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    assert conv(Tensor(np.zeros((2, 6, 9, 10)))).shape == (2, 8, 5, 5)
    bound = 1 / math.sqrt(3 * 3 * 5)                      # PyTorch: U(±1/√fan_in) for both
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.9 * bound   # and really spread over that range
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert repr(conv) == ("Conv2d(6, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), "
                          "groups=2)")
    assert Conv2d(1, 2, 3, bias=False).bias is None


@pytest.mark.parametrize("args, kwargs, text", [
    ((2,), {}, "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"),
    ((3,), {"stride": 1, "padding": 1}, "kernel_size=3, stride=1, padding=1, dilation=1, "
                                        "ceil_mode=False"),
    (((2, 3),), {"stride": (1, 2), "padding": (1, 0), "dilation": (1, 2), "ceil_mode": True,
                 "return_indices": True},
     "kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), dilation=(1, 2), ceil_mode=True"),
])
def test_max_pool2d_repr_and_stride_are_pytorchs(args, kwargs, text):
    """PyTorch 2.13's, as MaxPool1d's and MaxPool3d's are: the repr left out dilation=1 and
    ceil_mode=False, and `stride` stayed None when not given (PyTorch stores the kernel)."""
    pool = MaxPool2d(*args, **kwargs)
    assert repr(pool) == f"MaxPool2d({text})"
    assert pool.stride == kwargs.get("stride", args[0])


def test_pool_layers_shapes_and_arguments():
    x = Tensor(np.zeros((2, 3, 8, 7)))
    assert MaxPool2d(2)(x).shape == (2, 3, 4, 3)
    assert MaxPool2d(3, stride=1, padding=1)(x).shape == (2, 3, 8, 7)
    assert AvgPool2d((2, 1))(x).shape == (2, 3, 4, 7)
    assert repr(MaxPool2d(2, dilation=2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, " \
                                             "dilation=2, ceil_mode=False)"
    assert repr(AvgPool2d(3, 2, 1, True, False, 4)) == (
        "AvgPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False, "
        "divisor_override=4)")
    assert repr(MaxPool2d(2, ceil_mode=True)).endswith("padding=0, dilation=1, ceil_mode=True)")
    with pytest.raises(TypeError, match="MaxPool2d: return_indices must be True or False"):
        MaxPool2d(2, return_indices="False")
    with pytest.raises(ValueError, match="AvgPool2d: divisor_override must be an int >= 1"):
        AvgPool2d(2, divisor_override=0.5)
    with pytest.raises(ValueError, match="MaxPool2d: padding 2 must be at most half"):
        MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="AvgPool2d: kernel_size must be"):
        AvgPool2d(0)


def test_adaptive_avg_pool_layer_shapes_and_repr():
    """Any input size pools to output_size; no parameters; a classifier head on it."""
    for height, width in ((8, 7), (13, 5)):
        x = Tensor(np.ones((2, 3, height, width)))
        assert AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
        assert AdaptiveAvgPool2d((4, None))(x).shape == (2, 3, 4, width)
        head = Sequential(AdaptiveAvgPool2d(1), Flatten(), Linear(3, 2))
        assert head(x).shape == (2, 2)
    assert repr(AdaptiveAvgPool2d((2, None))) == "AdaptiveAvgPool2d(output_size=(2, None))"
    assert list(AdaptiveAvgPool2d(3).parameters()) == []


@pytest.mark.parametrize("kernel, dilation, explicit", [
    (3, 1, ((1, 1), ())), ((4, 3), 1, ((1, 1), (0, 0, 0, 1))),     # even: one more at the end
    ((2, 5), (2, 1), ((1, 2), ())), (4, 1, ((1, 1), (0, 1, 0, 1)))])
def test_padding_same_keeps_the_size_as_pytorch_pads_it(rng, kernel, dilation, explicit):
    """PyTorch puts the odd row/column of an even kernel's padding at the bottom/right."""
    same = Conv2d(2, 3, kernel, padding="same", dilation=dilation)
    x = Tensor(rng.normal(size=(2, 2, 7, 6)).astype(np.float32))
    padding, extra = explicit
    expected = F.conv2d(F.pad(x, extra) if extra else x, same.weight, same.bias,
                        padding=padding, dilation=dilation)
    assert same(x).shape == (2, 3, 7, 6)
    assert np.allclose(same(x).numpy(), expected.numpy())
    assert "padding='same'" in repr(same)
    assert Conv2d(2, 3, 3, padding="valid")(x).shape == (2, 3, 5, 4)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        Conv2d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="'same' or 'valid', got 'full'"):
        Conv2d(2, 3, 3, padding="full")


def test_conv2d_errors_name_the_layer_and_suggest_the_fix():
    conv = Conv2d(1, 16, 5)
    with pytest.raises(ValueError, match=r"Conv2d\(1, 16, kernel_size=\(5, 5\).*\): expected a "
                                         r"4-d input.*add a batch dimension: "
                                         r"x.reshape\(1, 1, 28, 28\)"):
        conv(Tensor(np.zeros((1, 28, 28))))
    with pytest.raises(ValueError, match=r"Conv2d\(1, 16.*input has 3 channels \(shape "
                                         r"\(2, 3, 28, 28\)\), expected 1"):
        conv(Tensor(np.zeros((2, 3, 28, 28))))
    with pytest.raises(ValueError, match=r"Conv2d\(1, 16.*input of shape \(2, 1, 4, 4\).*"
                                         r"smaller than the kernel"):
        conv(Tensor(np.zeros((2, 1, 4, 4))))
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2d(3, 4, 3, groups=2)
    assert Conv2d(1, 2, 3, 1, 0, 1, 1, True, "zeros").padding == (0, 0)   # PyTorch's order
    with pytest.raises(ValueError, match="Conv2d: padding_mode must be 'zeros', 'reflect', "
                                         "'replicate' or 'circular', got 'wrap'"):
        Conv2d(1, 16, 3, padding_mode="wrap")
    with pytest.raises(ValueError, match=r"Conv2d: kernel_size must be an int >= 1 or a pair "
                                         r"of them, got 3.0"):
        Conv2d(1, 16, 3.0)


@pytest.mark.parametrize("layer", [Conv2d(3, 8, 3), BatchNorm2d(3)])
def test_channels_last_images_get_the_transpose_to_pytorchs_layout(layer):
    """(N, H, W, C), as PIL, matplotlib and TensorFlow store images."""
    with pytest.raises(ValueError, match=r"\(2, 28, 28, 3\).*channels-last images "
                                         r"\(N, H, W, C\): make them \(N, C, H, W\) with "
                                         r"x.transpose\(0, 3, 1, 2\)$"):
        layer(Tensor(np.zeros((2, 28, 28, 3), np.float32)))


@pytest.mark.parametrize("layer, hint", [
    (Conv2d(1, 8, 5), r"for a batch of 4 one-channel images: x\.reshape\(-1, 1, 28, 28\)$"),
    (Conv2d(4, 8, 5), r"for one image of 4 channels add a batch dimension: "
                      r"x\.reshape\(1, 4, 28, 28\), then \[0\] of the result for PyTorch\'s unbatched shape$"),
    (Conv2d(3, 8, 5), r"got shape \(4, 28, 28\); the layer takes images of 3 channels, "
                      r"\(N, 3, H, W\)$"),
    (BatchNorm2d(1), r"for a batch of 4 one-channel images: x\.reshape\(-1, 1, 28, 28\)$"),
    (MaxPool2d(2), r"x\.reshape\(-1, 1, 28, 28\); for one image of 4 channels add "
                   r"a batch dimension: x\.reshape\(1, 4, 28, 28\), then \[0\] of the result for PyTorch\'s unbatched shape$"),
    (AvgPool2d(2), r"x\.reshape\(-1, 1, 28, 28\); .*x\.reshape\(1, 4, 28, 28\), then \[0\] of the result for PyTorch\'s unbatched shape$"),
])
def test_a_batch_without_its_channel_axis_gets_the_reshape_that_fits_the_layer(layer, hint):
    # four grayscale digits (4, 28, 28): the hint must not be the one-image reshape
    # (1, 4, 28, 28), which a one-channel layer then refuses for its 4 channels
    with pytest.raises(ValueError, match=rf"^{type(layer).__name__}\(.*expected a 4-d input "
                                         rf"\(N, C, H, W\).*{hint}"):
        layer(Tensor(np.zeros((4, 28, 28), np.float32)))


@pytest.mark.parametrize("layer, shape, hint", [
    (Conv2d(1, 8, 5), (32, 784), r"each row of 784 numbers fits one flattened 1×28×28 image: "
                                 r"x\.reshape\(-1, 1, 28, 28\)$"),
    (Conv2d(3, 8, 5), (2, 3072), r"each row of 3072 numbers fits one flattened 3×32×32 image: "
                                 r"x\.reshape\(-1, 3, 32, 32\)$"),
    (BatchNorm2d(1), (8, 784), r"x\.reshape\(-1, 1, 28, 28\)$"),
    (MaxPool2d(2), (8, 784), r"x\.reshape\(-1, 1, 28, 28\)$"),
    (functools.partial(F.conv2d, weight=Tensor(np.zeros((8, 1, 5, 5), np.float32))), (8, 784),
     r"x\.reshape\(-1, 1, 28, 28\)$"),
    (functools.partial(F.avg_pool2d, kernel_size=2), (8, 3 * 16 * 16),
     r"fits one flattened 3×16×16 image: x\.reshape\(-1, 3, 16, 16\)$"),
])
def test_rows_of_flattened_images_get_the_reshape_back_to_images(layer, shape, hint):
    """MNIST as load_mnist gives it, (N, 784), fed to a CNN (in fit the shape is a batch's,
    so the reshape must not name the batch size): the error said only "expected a 4-d input"."""
    with pytest.raises(ValueError, match=rf"expected a 4-d input \(N, C, H, W\), got shape "
                                         rf"\({shape[0]}, {shape[1]}\); .*{hint}"):
        layer(Tensor(np.zeros(shape, np.float32)))


def test_rows_that_are_not_square_images_get_no_reshape():
    with pytest.raises(ValueError, match=r"expected a 4-d input \(N, C, H, W\), got shape "
                                         r"\(8, 785\)$"):
        Conv2d(1, 8, 5)(Tensor(np.zeros((8, 785), np.float32)))
    with pytest.raises(ValueError, match=r"got shape \(8, 784\)$"):     # 784 = 3 · 261.3
        Conv2d(3, 8, 5)(Tensor(np.zeros((8, 784), np.float32)))


def test_one_image_without_its_channel_axis_gets_one_reshape_not_the_same_one_twice():
    # (1, 28, 28) as one one-channel image or as a batch of one: the same reshape, said once
    with pytest.raises(ValueError, match=r"got shape \(1, 28, 28\); for one one-channel image "
                                         r"add its batch and channel axes: "
                                         r"x\.reshape\(1, 1, 28, 28\)$"):
        F.max_pool2d(Tensor(np.zeros((1, 28, 28), np.float32)), 2)


def test_a_wrong_channel_count_says_channel_once():
    with pytest.raises(ValueError, match=r"input has 1 channel \(shape \(2, 1, 28, 28\)\), "
                                         r"expected 3$"):
        Conv2d(3, 8, 3)(Tensor(np.zeros((2, 1, 28, 28), np.float32)))


@pytest.mark.parametrize("batch", [2, 1], ids=["batch", "batch-1"])
def test_conv2d_layer_gradients_match_finite_differences(rng, batch):
    """Through the layer (its stride, padding, dilation and groups reach the op), for the
    input, weight and bias, in float64; without PyTorch this is the layer's numeric check."""
    conv = Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=2,
                  dtype=np.float64)
    x, weight, bias = (t64(rng.normal(size=s)) for s in ((batch, 4, 5, 6), (6, 2, 3, 2), (6,)))

    def f(x, weight, bias):
        vars(conv).update(weight=weight, bias=bias)     # plain Tensors, which assignment refuses
        return conv(x)

    expected = F.conv2d(x, weight, bias, (2, 1), 1, (1, 2), 2)
    np.testing.assert_array_equal(f(x, weight, bias).data, expected.data)
    assert gradcheck(f, x, weight, bias)


@pytest.mark.parametrize("layer, function", [
    (MaxPool2d(3, stride=2, padding=1, dilation=1), lambda x: F.max_pool2d(x, 3, 2, 1)),
    (AvgPool2d((2, 3), stride=1, padding=(1, 0)), lambda x: F.avg_pool2d(x, (2, 3), 1, (1, 0))),
    (MaxPool2d(2, ceil_mode=True), lambda x: F.max_pool2d(x, 2, ceil_mode=True)),
    (AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False, divisor_override=None),
     lambda x: F.avg_pool2d(x, 3, 2, 1, True, False)),
    (AvgPool2d(2, divisor_override=3), lambda x: F.avg_pool2d(x, 2, divisor_override=3)),
], ids=["max", "avg", "max-ceil", "avg-ceil-no-padding", "avg-divisor"])
@pytest.mark.parametrize("batch", [2, 1], ids=["batch", "batch-1"])
def test_pool_layers_are_the_functions_with_their_arguments(rng, layer, function, batch):
    x = t64(sample("distinct", (batch, 2, 5, 6), rng))
    np.testing.assert_array_equal(layer(x).data, function(x).data)
    assert gradcheck(layer, x)


def test_cnn_train_and_eval_behaviour(rng):
    """Training: dropout's mask and the batch statistics change the output; evaluation is
    deterministic and uses the running statistics (so one image alone gives its batch answer)."""
    manual_seed(0)
    model = small_cnn()
    x = Tensor(rng.normal(size=(5, 1, 6, 6)).astype(np.float32))
    assert model(x).shape == (5, 3)
    assert not np.allclose(model(x).data, model(x).data)      # dropout differs call to call
    model.eval()
    np.testing.assert_array_equal(model(x).data, model(x).data)
    alone = model(Tensor(x.data[:1]))
    np.testing.assert_allclose(alone.data, model(x).data[:1], rtol=1e-5)
    assert model[1].num_batches_tracked == 3                  # three training calls


def test_a_cnn_learns(rng):
    """A few SGD steps on a fixed batch lower the loss (the gradients reach every layer)."""
    manual_seed(1)
    model = small_cnn()
    model[8].p = 0.0
    x = Tensor(rng.normal(size=(12, 1, 6, 6)).astype(np.float32))
    y = rng.integers(0, 3, 12)
    optimizer = SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert all(p.grad is not None and np.abs(p.grad).sum() > 0 for p in model.parameters())


def test_state_dict_round_trip_through_a_checkpoint(tmp_path, rng):
    manual_seed(2)
    model = small_cnn()
    model(Tensor(rng.normal(size=(4, 1, 6, 6)).astype(np.float32)))   # moves running stats
    names = list(model.state_dict())
    assert names[:2] == ["0.weight", "0.bias"]
    assert {"1.running_mean", "1.running_var", "1.num_batches_tracked"} <= set(names)
    save(model, tmp_path / "cnn.npz")
    manual_seed(3)
    other = small_cnn()
    other.load_state_dict(load(tmp_path / "cnn.npz"))
    x = Tensor(rng.normal(size=(3, 1, 6, 6)).astype(np.float32))
    np.testing.assert_array_equal(model.eval()(x).data, other.eval()(x).data)


# -- PyTorch's twin of small_cnn: asked live where torch is installed, else as recorded ----------

def torch_small_cnn(torch):
    """small_cnn() in torch.nn, layer for layer."""
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(),
                          tnn.MaxPool2d(2), tnn.Conv2d(4, 6, 3, stride=2, groups=2), tnn.ReLU(),
                          tnn.AvgPool2d(1), tnn.Flatten(), tnn.Dropout(0.5), tnn.Linear(6, 3))


def cnn_batch(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(4, 1, 6, 6)).astype(np.float32)


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/conv_layers.npz: the twin's state dict with drawn numbers ("before/"),
    its state dict after one training batch x ("after/": the running statistics moved), and
    its evaluation outputs on x."""
    rng = draw()
    x = cnn_batch(rng)
    theirs = torch_small_cnn(torch)
    before = drawn_state(rng, theirs.state_dict())
    theirs.load_state_dict({name: torch.from_numpy(value) for name, value in before.items()})
    theirs(torch.tensor(x))
    after = prefixed("after", theirs.state_dict())
    theirs.eval()
    return {"x": x, **prefixed("before", before), **after,
            "eval": as_array(theirs(torch.tensor(x))),
            **record_cases(PADDING_MODE_IDS, PADDING_MODE_CASES, padding_mode_inputs,
                           functools.partial(padding_mode_torch, torch))}


def test_pytorch_state_dict_loads_and_gives_the_same_outputs(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    theirs = torch_small_cnn(torch)
    x = cnn_batch(rng)
    theirs(torch.tensor(x))                                # training step: running statistics
    ours = small_cnn()
    ours.load_state_dict(theirs.state_dict())              # PyTorch's tensors, as they are
    theirs.eval(), ours.eval()
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_state_dict_has_the_names_shapes_and_dtypes_of_pytorchs_recorded_one():
    """So a glassgrad CNN's state dict loads strict into its torch twin, and back."""
    assert layout(small_cnn().state_dict()) == layout(under("before", recorded("conv_layers")))


def test_state_dict_lists_the_entries_in_pytorchs_order():
    # module by module, each module's parameters then its buffers (1.running_mean before 4.weight)
    assert list(small_cnn().state_dict()) == list(under("before", recorded("conv_layers")))


def test_pytorchs_recorded_state_dict_trains_and_evaluates_as_in_pytorch():
    """Loaded from PyTorch's numbers, one training batch moves the running statistics (and
    the batch counter) to PyTorch's, and evaluation gives PyTorch's outputs."""
    theirs = recorded("conv_layers")
    ours = small_cnn()
    ours.load_state_dict(under("before", theirs))
    ours(Tensor(theirs["x"]))
    assert_matches(ours.state_dict(), under("after", theirs), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.eval()(Tensor(theirs["x"])).data, theirs["eval"],
                               rtol=1e-4, atol=1e-5)


def test_pytorchs_recorded_trained_state_dict_gives_its_outputs():
    theirs = recorded("conv_layers")
    ours = small_cnn()
    ours.load_state_dict(under("after", theirs))
    np.testing.assert_allclose(ours.eval()(Tensor(theirs["x"])).data, theirs["eval"],
                               rtol=1e-4, atol=1e-5)


# -- padding_mode: the border copied from the input (reflect, replicate, circular) -------------

# (layer, in, out, kernel, options, x shape): "same" with an odd total padding, where PyTorch
# puts the extra cell at the end (bottom, right), and the height's padding apart from the
# width's; groups, dilation; Conv1d. No bias: the padding does not reach it. (Two small cases:
# the recorded references have a size budget; `test_padding_modes_match_finite_differences`
# covers more.)
PADDING_MODE_CASES = [
    ("Conv2d", 2, 2, (2, 3), dict(padding="same", groups=2, padding_mode="reflect", bias=False),
     (1, 2, 3, 4)),
    ("Conv1d", 1, 1, 4, dict(padding="same", padding_mode="circular", bias=False), (2, 1, 5)),
]
PADDING_MODE_IDS = [case[0].lower() for case in PADDING_MODE_CASES]     # short keys: the budget


def padding_mode_inputs(rng: np.random.Generator, case: tuple) -> dict[str, np.ndarray]:
    name, cin, cout, kernel, options, shape = case
    weight_shape = getattr(nn, name)(cin, cout, kernel, **options).weight.shape
    x = rng.normal(size=shape)
    inputs = {"x": x, "weight": rng.normal(size=weight_shape)}
    if options.get("bias", True):
        inputs["bias"] = rng.normal(size=cout)
    y_shape = getattr(nn, name)(cin, cout, kernel, dtype=np.float64, **options)(t64(x)).shape
    return {**inputs, "g": rng.normal(size=y_shape)}


def padding_mode_glassgrad(case: tuple, x, weight, g, bias=None) -> dict[str, np.ndarray]:
    name, cin, cout, kernel, options, _ = case
    layer = getattr(nn, name)(cin, cout, kernel, dtype=np.float64, **options)
    layer.load_state_dict({"weight": weight} if bias is None else
                          {"weight": weight, "bias": bias})
    x = t64(x)
    y = layer(x)
    y.backward(t64(g))
    out = {"y": y.data, "x.grad": x.grad, "weight.grad": layer.weight.grad}
    return out if bias is None else {**out, "bias.grad": layer.bias.grad}


def padding_mode_torch(torch, case: tuple, x, weight, g, bias=None) -> dict[str, np.ndarray]:
    """The same as `padding_mode_glassgrad`, computed by PyTorch."""
    name, cin, cout, kernel, options, _ = case
    layer = getattr(torch.nn, name)(cin, cout, kernel, dtype=torch.float64, **options)
    layer.load_state_dict({"weight": torch.tensor(weight)} if bias is None else
                          {"weight": torch.tensor(weight), "bias": torch.tensor(bias)})
    x = torch.tensor(x, requires_grad=True)
    y = layer(x)
    y.backward(torch.tensor(g))
    out = {"y": as_array(y), "x.grad": as_array(x.grad), "weight.grad": as_array(layer.weight.grad)}
    return out if bias is None else {**out, "bias.grad": as_array(layer.bias.grad)}


@pytest.mark.parametrize("case_id, case", list(zip(PADDING_MODE_IDS, PADDING_MODE_CASES)),
                         ids=PADDING_MODE_IDS)
def test_padding_modes_match_pytorchs_recorded_numbers(case_id, case):
    """PyTorch's Conv2d/Conv1d padding_mode: outputs and the gradients of x, weight, bias."""
    theirs = recorded_case("conv_layers", case_id)
    inputs = {name: theirs[name] for name in ("x", "weight", "bias", "g") if name in theirs}
    assert_matches(padding_mode_glassgrad(case, **inputs), theirs, rtol=1e-12, atol=1e-14,
                   inputs=tuple(inputs))


@pytest.mark.parametrize("case", PADDING_MODE_CASES + [
    ("Conv2d", 2, 4, (2, 3), dict(stride=2, padding=(1, 2), padding_mode="replicate"),
     (2, 2, 4, 5)),
    ("Conv2d", 2, 2, 2, dict(padding="same", dilation=(3, 1), padding_mode="circular"),
     (1, 2, 5, 4)),
    ("Conv1d", 2, 3, 3, dict(stride=2, padding=2, dilation=2, padding_mode="reflect"),
     (2, 2, 6)),
], ids=PADDING_MODE_IDS + ["conv2d-stride", "conv2d-dilated-same", "conv1d-stride"])
def test_padding_modes_match_finite_differences(rng, case):
    name, cin, cout, kernel, options, shape = case
    layer = getattr(nn, name)(cin, cout, kernel, dtype=np.float64, **options)
    x, weight = t64(rng.normal(size=shape)), t64(rng.normal(size=layer.weight.shape))
    parameters = (weight,) if layer.bias is None else (weight, t64(rng.normal(size=cout)))

    def f(x, weight, bias=None):
        vars(layer).update(weight=weight, bias=bias)    # plain Tensors: assignment refuses them
        return layer(x)

    assert gradcheck(f, x, *parameters)


def test_padding_modes_repr_and_errors():
    conv = Conv2d(1, 2, 3, padding=1, padding_mode="circular")
    assert repr(conv) == ("Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), "
                          "padding_mode=circular)")
    assert conv.state_dict().keys() == {"weight", "bias"}
    with pytest.raises(ValueError, match=r"^Conv2d\(1, 2, .*padding_mode=reflect\): "
                                         r"mode='reflect' needs each width below the size of "
                                         r"its axis, got \(2, 2\) for an axis of 2"):
        Conv2d(1, 2, 5, padding=2, padding_mode="reflect")(Tensor(np.zeros((1, 1, 2, 6))))


# -- ConvTranspose2d and ConvTranspose1d: the learned upsampling --------------------------------

def test_conv_transpose2d_shapes_layout_initialisation_and_repr():
    manual_seed(0)
    up = ConvTranspose2d(6, 8, (3, 5), stride=2, padding=(1, 2), output_padding=1, groups=2)
    assert up.weight.shape == (6, 4, 3, 5) and up.bias.shape == (8,)    # (in, out/groups, k)
    assert up(Tensor(np.zeros((2, 6, 4, 5)))).shape == (2, 8, 8, 10)
    bound = 1 / math.sqrt(4 * 3 * 5)          # PyTorch: fan_in from the weight, (out/groups)·k
    for p in (up.weight, up.bias):
        assert bound * 0.7 < np.abs(p.data).max() <= bound     # spread over that range
    assert [n for n, _ in up.named_parameters()] == ["weight", "bias"]
    assert repr(up) == ("ConvTranspose2d(6, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), "
                        "output_padding=(1, 1), groups=2)")
    assert repr(ConvTranspose2d(1, 2, 3, dilation=2, bias=False)) == (
        "ConvTranspose2d(1, 2, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), bias=False)")
    # PyTorch's positional order: ..., output_padding, groups, bias, dilation
    layer = ConvTranspose1d(2, 4, 3, 2, 1, 1, 2, False, 3)
    assert (layer.output_padding, layer.groups, layer.bias, layer.dilation) == ((1,), 2, None,
                                                                                 (3,))
    assert repr(layer) == ("ConvTranspose1d(2, 4, kernel_size=(3,), stride=(2,), padding=(1,), "
                           "dilation=(3,), output_padding=(1,), groups=2, bias=False)")
    assert layer(Tensor(np.zeros((5, 2, 7)))).shape == (5, 4, 18)    # 6·2 - 2 + 3·2 + 1 + 1


def test_conv_transpose_layers_give_the_recorded_pytorch_numbers():
    """The layer with PyTorch's weight and bias (tests/reference/conv.npz, recorded from
    torch.nn.functional.conv_transpose2d with these settings) gives PyTorch's output."""
    theirs = recorded_case("conv", "t-all")
    up = ConvTranspose2d(4, 2, (2, 3), stride=(2, 1), padding=(1, 0), output_padding=(1, 0),
                         dilation=(1, 2), groups=2, dtype=np.float64)
    up.load_state_dict({"weight": theirs["w"], "bias": theirs["b"]})
    np.testing.assert_allclose(up(Tensor(theirs["x"])).data, theirs["y"], rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize("batch", [2, 1], ids=["batch", "batch-1"])
def test_conv_transpose_layer_gradients_match_finite_differences(rng, batch):
    up = ConvTranspose2d(4, 6, (3, 2), stride=(2, 1), padding=1, output_padding=(1, 0),
                         dilation=(1, 2), groups=2, dtype=np.float64)
    x, weight, bias = (t64(rng.normal(size=s)) for s in ((batch, 4, 3, 4), (4, 3, 3, 2), (6,)))

    def f(x, weight, bias):
        vars(up).update(weight=weight, bias=bias)       # plain Tensors, which assignment refuses
        return up(x)

    expected = F.conv_transpose2d(x, weight, bias, (2, 1), 1, (1, 0), 2, (1, 2))
    np.testing.assert_array_equal(f(x, weight, bias).data, expected.data)
    assert gradcheck(f, x, weight, bias)
    up1 = ConvTranspose1d(2, 3, 3, stride=2, output_padding=1, dtype=np.float64)
    x1 = t64(rng.normal(size=(batch, 2, 4)))
    assert gradcheck(lambda x: up1(x, output_size=(9,)), x1)


def test_conv_transpose_output_size_picks_the_output_padding():
    """A stride-2 Conv2d maps 13 and 14 to 7; output_size says which one to go back to."""
    up = ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1)
    x = Tensor(np.zeros((1, 2, 4, 5)))
    assert up(x).shape == (1, 3, 7, 13)
    assert up(x, output_size=(8, 15)).shape == (1, 3, 8, 15)
    assert up(x, output_size=[1, 3, 8, 14]).shape == (1, 3, 8, 14)     # the whole shape
    assert up.output_padding == (0, 0)                                  # for that call only
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(2, 3, .*\): output_size \(9, 13\) "
                                         r"cannot come out of an input of shape \(1, 2, 4, 5\): "
                                         r"the sizes it can give are \(7, 13\) to \(8, 15\)"):
        up(x, output_size=(9, 13))
    with pytest.raises(ValueError, match=r"output_size must be the output's sizes \(H, W\) or "
                                         r"its whole shape \(N, C, H, W\), got \(7,\)"):
        up(x, output_size=(7,))
    up1 = ConvTranspose1d(2, 3, 3, stride=2)
    assert up1(Tensor(np.zeros((1, 2, 4))), output_size=10).shape == (1, 3, 10)


def test_conv_transpose_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"ConvTranspose2d: output_padding \(2, 2\) must be "
                                         r"smaller than the stride \(2, 2\) or the dilation"):
        ConvTranspose2d(1, 2, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"ConvTranspose1d: output_padding 1 must be smaller"):
        ConvTranspose1d(1, 2, 3, output_padding=1)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: padding_mode must be 'zeros' \(a "
                                         r"transposed convolution's padding cuts the output"):
        ConvTranspose2d(1, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"ConvTranspose1d: padding_mode must be 'zeros' .*got "
                                         r"'wrap'"):
        ConvTranspose1d(1, 2, 3, padding_mode="wrap")
    with pytest.raises(ValueError, match=r"ConvTranspose2d: in_channels 3 and out_channels 4 "
                                         r"must both be divisible by groups 2"):
        ConvTranspose2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: padding must be an int >= 0 or a "
                                         r"pair of them, got 'same'"):
        ConvTranspose2d(1, 2, 3, padding="same")
    up = ConvTranspose2d(1, 8, 4, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"^ConvTranspose2d\(1, 8, .*\): expected a 4-d input "
                                         r"\(N, C, H, W\).*x\.reshape\(-1, 1, 7, 7\)$"):
        up(Tensor(np.zeros((4, 7, 7))))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(1, 8, .*input has 3 channels \(shape "
                                         r"\(2, 3, 7, 7\)\), expected 1"):
        up(Tensor(np.zeros((2, 3, 7, 7))))
    with pytest.raises(ValueError, match=r"ConvTranspose1d\(4, 2, .*expected a 3-d input "
                                         r"\(N, C, L\)"):
        ConvTranspose1d(4, 2, 3)(Tensor(np.zeros((4, 9))))


CONV_TRANSPOSE_LAYERS = [
    ("ConvTranspose2d", (4, 6, (3, 2)), dict(stride=2, padding=1, output_padding=1, groups=2,
                                             dilation=(1, 2)), (2, 4, 3, 4)),
    ("ConvTranspose2d", (3, 2, 3), dict(bias=False, dilation=2, output_padding=1), (1, 3, 2, 2)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=3, padding=1, output_padding=2, groups=2),
     (2, 4, 5)),
]


@pytest.mark.parametrize("name, args, options, x_shape", CONV_TRANSPOSE_LAYERS)
def test_conv_transpose_layers_load_pytorchs_state_dict_and_give_its_outputs(rng, name, args,
                                                                             options, x_shape):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    theirs = getattr(torch.nn, name)(*args, **options)
    ours = getattr(nn, name)(*args, **options)
    assert repr(ours) == repr(theirs)
    assert layout(ours.state_dict()) == layout(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    x = rng.normal(size=x_shape).astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
