"""Max pooling with return_indices=True and its inverse, max_unpool1d/2d/3d (and the layers):
indices and results equal to PyTorch's (asked live where torch is installed, else as recorded
in tests/reference/pool_indices.npz), ties, NaN and -inf windows, finite differences in
float64, the round trip, a SegNet-like autoencoder, reprs and errors."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck
from autograd import functional as F
import nn

from conftest import sample, t64
from reference import as_array, assert_matches, record_cases, recorded_case

POOLS = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
UNPOOLS = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}


def window_loops(x, kernel, stride, padding, dilation):
    """Every window's maximum and its place in the flattened plane, PyTorch's choice written
    out: the first strictly larger cell in row-major order, any NaN taking over (so the last
    NaN), a window of -inf at its first cell inside the input."""
    n, c, *sizes = x.shape
    outs = [(s + 2 * p - d * (k - 1) - 1) // st + 1
            for s, k, st, p, d in zip(sizes, kernel, stride, padding, dilation)]
    y, where = np.zeros((n, c, *outs)), np.zeros((n, c, *outs), dtype=np.int64)
    for b, ch, *o in itertools.product(range(n), range(c), *map(range, outs)):
        best, place = -np.inf, None
        for tap in itertools.product(*map(range, kernel)):
            cell = [oi * st - p + t * d for oi, st, p, t, d in
                    zip(o, stride, padding, tap, dilation)]
            if not all(0 <= ci < s for ci, s in zip(cell, sizes)):
                continue                                     # padding: never chosen
            value = x[(b, ch, *cell)]
            if place is None or value > best or np.isnan(value):
                best, place = value, int(np.ravel_multi_index(cell, sizes))
        y[(b, ch, *o)], where[(b, ch, *o)] = best, place
    return y, where


def settings(axes, k, s, p, d):
    return [v if isinstance(v, tuple) else (v,) * axes for v in (k, k if s is None else s, p, d)]


def unpool_settings(axes, k, s, p, d):
    """max_unpool's kernel, stride and padding for undoing a pooling: a dilated kernel as the
    span of its taps (the size rule knows no dilation), so that the input's size is in reach."""
    kernel, stride, padding, dilation = settings(axes, k, s, p, d)
    return tuple(di * (ki - 1) + 1 for ki, di in zip(kernel, dilation)), stride, padding


# (axes, x shape, kernel, stride, padding, dilation); batch 1 or 2, several channels
LOOP_CASES = [
    (1, (1, 3, 9), 3, 2, 1, 1),
    (1, (2, 2, 8), 2, None, 0, 2),
    (2, (1, 3, 6, 7), 3, 2, 1, 1),                    # overlapping windows, padded
    (2, (2, 2, 7, 6), (2, 3), (1, 2), (1, 0), (2, 1)),
    (3, (1, 2, 4, 5, 4), 3, (1, 2, 2), 1, 1),
    (3, (2, 1, 5, 4, 4), (2, 2, 1), None, 0, (1, 2, 1)),
]
LOOP_IDS = [f"{a}d-x{x}-k{k}-s{s}-p{p}-d{d}" for a, x, k, s, p, d in LOOP_CASES]


@pytest.mark.parametrize("axes, xs, k, s, p, d", LOOP_CASES, ids=LOOP_IDS)
def test_indices_are_each_windows_maximum_including_ties_nan_and_minus_inf(rng, axes, xs, k, s,
                                                                           p, d):
    x = rng.integers(0, 3, xs).astype(np.float64)           # many ties
    x[rng.random(xs) < 0.15] = -np.inf
    x[rng.random(xs) < 0.05] = np.nan
    y, where = POOLS[axes](t64(x), k, s, p, d, return_indices=True)
    expected_y, expected_where = window_loops(x, *settings(axes, k, s, p, d))
    np.testing.assert_array_equal(y.data, expected_y)
    np.testing.assert_array_equal(where.data, expected_where)
    assert where.dtype == np.int64 and not where.requires_grad
    np.testing.assert_array_equal(POOLS[axes](t64(x), k, s, p, d).data, y.data)  # same output


@pytest.mark.parametrize("axes, xs, k, s, p, d", LOOP_CASES, ids=LOOP_IDS)
def test_pool_with_indices_and_unpool_match_finite_differences(rng, axes, xs, k, s, p, d):
    """The pooled values' gradient (the indices have none), and max_unpool's with respect to
    its input, in float64 at distinct values, overlapping windows included."""
    x = t64(sample("distinct", xs, rng))
    assert gradcheck(lambda x: POOLS[axes](x, k, s, p, d, return_indices=True)[0], x)
    where = POOLS[axes](x, k, s, p, d, return_indices=True)[1]
    v = t64(rng.normal(size=where.shape))
    assert gradcheck(lambda v: UNPOOLS[axes](v, where, *unpool_settings(axes, k, s, p, d),
                                             output_size=xs), v)


@pytest.mark.parametrize("shape", [(2, 2, 5, 6), (1, 1, 5, 6)], ids=str)
def test_unpool_differentiates_twice(shape, rng):
    """max_unpool and its backward are each the other's gradient: the second derivative of
    Σ r·unpool(v)² is checked against finite differences of the first (a batch and a batch
    of one)."""
    x = t64(sample("distinct", shape, rng))
    where = F.max_pool2d(x, 3, 2, 1, return_indices=True)[1]
    r = Tensor(rng.uniform(0.5, 1.5, shape))
    f = lambda v: (F.max_unpool2d(v, where, 3, 2, 1, output_size=(5, 6)) ** 2 * r).sum()
    v = t64(rng.normal(size=where.shape))
    assert gradcheck(lambda v: grad(f)(v), v)
    assert gradcheck(lambda v: grad(lambda v: (grad(f)(v) ** 2).sum())(v), v)


def test_unpool_puts_each_maximum_back_at_its_place_and_its_gradient_counts_it_once(rng):
    """With overlapping windows one maximum can win several windows: it is written once, and
    the round trip's gradient is 1 there (PyTorch's backward adds one g per window: 4 here)."""
    x = t64(np.array([[[[1.0, 2.0, 3.0], [4.0, 9.0, 5.0], [6.0, 7.0, 8.0]]]]))
    y, where = F.max_pool2d(x, 2, stride=1, return_indices=True)
    assert (where.data == 4).all()                          # the 9 wins all four windows
    z = F.max_unpool2d(y, where, 2, stride=1)
    np.testing.assert_array_equal(z.data[0, 0], [[0, 0, 0], [0, 9, 0], [0, 0, 0]])
    z.sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    # of values with one index, the last stays (PyTorch's loop, in order), and only it learns
    v = t64([[[1.0, 2.0, 3.0, 4.0]]])
    u = F.max_unpool1d(v, Tensor(np.array([[[1, 1, 2, 1]]])), 1)
    np.testing.assert_array_equal(u.data, [[[0, 4, 3, 0]]])
    u.backward(Tensor([[[10.0, 20.0, 30.0, 40.0]]]))
    np.testing.assert_array_equal(v.grad, [[[0, 0, 30, 20]]])


@pytest.mark.parametrize("axes, xs, k, s, p, d", LOOP_CASES, ids=LOOP_IDS)
def test_round_trip_keeps_the_maxima_where_they_were(rng, axes, xs, k, s, p, d):
    x = sample("distinct", xs, rng)
    y, where = POOLS[axes](t64(x), k, s, p, d, return_indices=True)
    z = UNPOOLS[axes](y, where, *unpool_settings(axes, k, s, p, d), output_size=xs)
    kept = np.zeros(x.shape, dtype=bool).reshape(xs[0] * xs[1], -1)
    np.put_along_axis(kept, where.data.reshape(xs[0] * xs[1], -1), True, axis=1)
    np.testing.assert_array_equal(z.data, np.where(kept.reshape(xs), x, 0.0))


def test_a_segnet_like_autoencoder_trains_end_to_end(rng):
    """Encoder: conv, ReLU, pool (keeping the indices); decoder: unpool to the encoder's
    sizes, conv. The layers take and give what PyTorch's do; a few SGD steps lower the loss."""

    class SegNetLike(nn.Module):
        def __init__(self):
            self.encode = nn.Conv2d(1, 4, 3, padding=1)
            self.pool = nn.MaxPool2d(2, return_indices=True)
            self.unpool = nn.MaxUnpool2d(2)
            self.decode = nn.Conv2d(4, 1, 3, padding=1)

        def forward(self, x):
            h = self.encode(x).relu()
            pooled, where = self.pool(h)
            return self.decode(self.unpool(pooled, where, output_size=h.shape))

    model = SegNetLike()
    assert list(model.state_dict()) == ["encode.weight", "encode.bias", "decode.weight",
                                        "decode.bias"]                # unpool: no parameters
    x = Tensor(rng.normal(size=(4, 1, 7, 9)).astype(np.float32))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(5):
        loss = ((model(x) - x) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert model(x).shape == (4, 1, 7, 9) and losses[-1] < losses[0]


def test_layers_reprs_state_dicts_and_return_indices():
    assert repr(nn.MaxUnpool2d(2)) == \
        "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nn.MaxUnpool1d(3, stride=2, padding=1)) == \
        "MaxUnpool1d(kernel_size=(3,), stride=(2,), padding=(1,))"
    assert repr(nn.MaxUnpool3d((1, 2, 2))) == \
        "MaxUnpool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=(0, 0, 0))"
    assert dict(nn.MaxUnpool2d(2).state_dict()) == {}
    # PyTorch's pools show no return_indices in their repr
    assert repr(nn.MaxPool1d(2, return_indices=True)) == repr(nn.MaxPool1d(2))
    x = Tensor(np.arange(16.0).reshape(1, 1, 2, 8))
    for layer, data in ((nn.MaxPool1d(2, return_indices=True), x.reshape(1, 2, 8)),
                        (nn.MaxPool2d(2, return_indices=True), x),
                        (nn.MaxPool3d((1, 2, 2), return_indices=True), x.reshape(1, 1, 1, 2, 8))):
        y, where = layer(data)
        np.testing.assert_array_equal(y.data, getattr(F, f"max_pool{data.ndim - 2}d")(
            data, layer.kernel_size).data)
        assert where.dtype == np.int64 and where.shape == y.shape


def test_unpool_output_size():
    y, where = F.max_pool2d(Tensor(-np.arange(25.0).reshape(1, 1, 5, 5)), 2,
                            return_indices=True)         # each window's maximum at its top left
    assert F.max_unpool2d(y, where, 2).shape == (1, 1, 4, 4)          # (2 - 1)·2 + 2
    assert F.max_unpool2d(y, where, 2, output_size=(5, 5)).shape == (1, 1, 5, 5)
    assert F.max_unpool2d(y, where, 2, output_size=[1, 1, 5, 5]).shape == (1, 1, 5, 5)
    first = Tensor(np.zeros((1, 1, 3), dtype=np.int64))
    assert F.max_unpool1d(Tensor(np.ones((1, 1, 3))), first, 3, 2, 1).shape == (1, 1, 5)
    assert nn.MaxUnpool2d(2)(y, where, output_size=(1, 1, 5, 4)).shape == (1, 1, 5, 4)


def test_unpool_and_pool_errors():
    y, where = F.max_pool2d(Tensor(np.arange(25.0).reshape(1, 1, 5, 5)), 2,
                            return_indices=True)
    with pytest.raises(ValueError, match=r"max_unpool2d: index 18 is out of range for output "
                                         r"planes \(H, W\) of size \(4, 4\), places 0 to 15; "
                                         r"if the pooling left cells out, pass its input's "
                                         r"shape as output_size"):
        F.max_unpool2d(y, where, 2)                      # the 18 at row 3, column 3 of 5 x 5
    with pytest.raises(ValueError, match=r"index -1 is out of range"):
        F.max_unpool2d(y, Tensor(-np.ones((1, 1, 2, 2), dtype=np.int64)), 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: output_size \(6, 5\) cannot come from "
                                         r"this pooling: .* unpools to \(4, 4\); each size must "
                                         r"be from \(3, 3\) to \(5, 5\)"):
        F.max_unpool2d(y, where, 2, output_size=(6, 5))
    with pytest.raises(ValueError, match=r"max_unpool2d: output_size must be the ints \(H, W\) "
                                         r"or \(N, C, H, W\), got \(5,\)"):
        F.max_unpool2d(y, where, 2, output_size=(5,))
    with pytest.raises(ValueError, match=r"max_unpool2d: indices of shape \(1, 1, 2, 1\) must "
                                         r"have the input's shape \(1, 1, 2, 2\)"):
        F.max_unpool2d(y, where[..., :1], 2)
    with pytest.raises(TypeError, match=r"max_unpool2d: indices must be an integer Tensor "
                                        r"\(max_pool2d's, with return_indices=True\), got dtype "
                                        r"float64"):
        F.max_unpool2d(y, y, 2)
    with pytest.raises(TypeError, match=r"got list"):
        F.max_unpool1d(Tensor(np.ones((1, 1, 2))), [[[0, 1]]], 2)
    with pytest.raises(ValueError, match=r"^MaxUnpool2d\(kernel_size=\(2, 2\).*\): expected a "
                                         r"4-d input \(N, C, H, W\), got shape \(1, 2, 2\)"):
        nn.MaxUnpool2d(2)(y[0], where[0])
    with pytest.raises(ValueError, match=r"MaxUnpool1d: kernel_size must be an int or a "
                                         r"1-element tuple"):
        nn.MaxUnpool1d((2, 2))
    with pytest.raises(TypeError, match="max_pool2d: return_indices must be True or False"):
        F.max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 2, return_indices="yes")
    # dilation 2 with padding 1 over a length of 1: a window of padding only, whose -inf
    # has no place (PyTorch returns index 1, outside the input)
    with pytest.raises(ValueError, match=r"max_pool1d: a window of the input of shape .* holds "
                                         r"padding only .* has no index"):
        F.max_pool1d(Tensor(np.zeros((1, 1, 1))), 2, padding=1, dilation=2, return_indices=True)


def test_unpool_given_the_pools_pair_as_one_value_says_to_unpack_it():
    # Sequential(MaxPool2d(2, return_indices=True), MaxUnpool2d(2)) hands the pair on whole;
    # that was Python's "missing 1 required positional argument: 'indices'"
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    model = nn.Sequential(nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2))
    with pytest.raises(TypeError, match=r"^MaxUnpool2d\(kernel_size=\(2, 2\).*\): needs the "
                                        r"pooled values and their indices, unpool\(values, "
                                        r"indices\), from MaxPool2d\(\.\.\., return_indices="
                                        r"True\); it got the pool's \(values, indices\) pair as "
                                        r"one argument: unpack it, unpool\(\*pooled\)"):
        model(x)
    with pytest.raises(TypeError, match=r"^MaxUnpool1d\(.*\): needs the pooled values and "
                                        r"their indices.*return_indices=True\)$"):
        nn.MaxUnpool1d(2)(Tensor(np.ones((1, 1, 2))))


def test_an_empty_batch_pools_and_unpools():
    y, where = F.max_pool2d(Tensor(np.zeros((0, 2, 4, 4))), 2, return_indices=True)
    assert where.shape == (0, 2, 2, 2) and F.max_unpool2d(y, where, 2).shape == (0, 2, 4, 4)


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded ----------

# (axes, x shape, kernel, stride, padding, dilation, ceil_mode, special values)
CASES = [
    (1, (2, 3, 9), 3, 2, 1, 1, False, "ties"),
    (1, (1, 2, 8), 2, 3, 1, 2, True, "-inf"),
    (2, (2, 3, 4, 6), 2, None, 0, 1, False, "ties"),      # tiles: indices all distinct
    (2, (1, 2, 7, 5), 3, 2, 1, 1, True, "nan"),
    (2, (2, 2, 6, 7), (2, 3), (1, 2), (1, 0), (2, 1), False, "-inf"),
    (2, (1, 3, 5, 5), 2, 2, 1, 1, True, "all -inf"),
    (3, (1, 2, 4, 5, 5), 2, (1, 2, 2), (0, 1, 1), 1, False, "ties"),
    (3, (2, 1, 5, 4, 6), (2, 2, 3), 2, (1, 0, 1), (1, 1, 2), True, "nan"),
]
IDS = [f"{a}d-x{x}-k{k}-s{s}-p{p}-d{d}-ceil{c}-{v}" for a, x, k, s, p, d, c, v in CASES]


def case_inputs(rng: np.random.Generator, case: tuple) -> dict[str, np.ndarray]:
    axes, xs, k, s, p, d, ceil, special = case
    x = rng.integers(0, 3, xs).astype(np.float64)
    if special == "-inf":
        x[rng.random(xs) < 0.4] = -np.inf
    elif special == "nan":
        x[rng.random(xs) < 0.15] = np.nan
    elif special == "all -inf":
        x[...] = -np.inf
    y = POOLS[axes](Tensor(x), k, s, p, d, ceil)
    # small whole numbers: exact sums, and a small file (what matters here is where they go)
    g, v = (rng.integers(-9, 10, y.shape).astype(np.float64) for _ in range(2))
    return dict(x=x, g=g, v=v, h=rng.integers(-9, 10, xs).astype(np.float64))


def distinct_places(where: np.ndarray) -> bool:
    planes = where.reshape(where.shape[0] * where.shape[1], -1)
    return all(len(set(row)) == len(row) for row in planes.tolist())


def with_indices_glassgrad(case: tuple, x, g, v, h) -> dict[str, np.ndarray]:
    axes, xs, k, s, p, d, ceil, _ = case
    ours = t64(x)
    y, where = POOLS[axes](ours, k, s, p, d, ceil, return_indices=True)
    y.backward(g)
    values = t64(v)
    z = UNPOOLS[axes](values, where, *unpool_settings(axes, k, s, p, d), output_size=xs)
    z.backward(h)
    result = {"y": y.data, "indices": where.data, "x.grad": ours.grad, "z": z.data}
    if distinct_places(where.data):          # else PyTorch's v.grad counts repeats (see above)
        result["v.grad"] = values.grad
    return result


def with_indices_torch(torch, case: tuple, x, g, v, h) -> dict[str, np.ndarray]:
    """The same as `with_indices_glassgrad`, computed by PyTorch."""
    axes, xs, k, s, p, d, ceil, _ = case
    functional = torch.nn.functional
    theirs = torch.tensor(x, requires_grad=True)
    pool = getattr(functional, f"max_pool{axes}d")
    y, where = pool(theirs, k, s, p, d, ceil, return_indices=True)
    y.backward(torch.tensor(g))
    values = torch.tensor(v, requires_grad=True)
    z = getattr(functional, f"max_unpool{axes}d")(values, where, *unpool_settings(axes, k, s, p, d),
                                                  output_size=xs)
    z.backward(torch.tensor(h))
    result = {"y": as_array(y), "indices": as_array(where), "x.grad": as_array(theirs.grad),
              "z": as_array(z)}
    if distinct_places(as_array(where)):
        result["v.grad"] = as_array(values.grad)
    return result


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/pool_indices.npz: each case's inputs and PyTorch's results, under its
    id."""
    return record_cases(IDS, CASES, case_inputs, functools.partial(with_indices_torch, torch))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_indices_and_unpool_match_pytorch(rng, case):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = case_inputs(rng, case)
    assert_matches(with_indices_glassgrad(case, **inputs),
                   with_indices_torch(torch, case, **inputs), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case_id, case", list(zip(IDS, CASES)), ids=IDS)
def test_indices_and_unpool_match_pytorchs_recorded_numbers(case_id, case):
    theirs = recorded_case("pool_indices", case_id)
    assert_matches(with_indices_glassgrad(case, theirs["x"], theirs["g"], theirs["v"],
                                          theirs["h"]),
                   theirs, rtol=1e-12, atol=1e-15, inputs=("x", "g", "v", "h"))
