"""autograd.distributions.transforms: every transform's forward, inverse and log|det J|
against PyTorch's in float32 and float64 (broadcast, 0-d and batch-1 parameters), the
log|det J| against a numerically differentiated Jacobian, gradients by central differences,
the cache, inverses and equality, shapes and event axes of compositions, biject_to and
transform_to, and a tiny flow of AffineTransforms trained by maximum likelihood."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.distributions import (Normal, TransformedDistribution, biject_to, constraints,
                                    transform_to, transforms as T)
from distributions_helpers import DTYPES, TOL, check_gradients
from torch_helpers import needs_torch, torch

RNG = np.random.default_rng(0)
#: (name, a factory given the transforms module and a maker of its tensors, x, kind of x)
CASES = [
    ("exp", lambda m, t: m.ExpTransform(), RNG.normal(size=(3, 4))),
    ("affine numbers", lambda m, t: m.AffineTransform(0.5, -2.0), RNG.normal(size=(2, 3))),
    ("affine broadcast", lambda m, t, loc=RNG.normal(size=(3, 1)), scale=RNG.uniform(0.5, 2, 4):
     m.AffineTransform(t(loc), t(scale)), RNG.normal(size=(3, 4))),
    ("affine 0-d", lambda m, t: m.AffineTransform(t(np.array(0.3)), t(np.array(-1.5))),
     RNG.normal(size=5)),
    ("affine batch-1", lambda m, t: m.AffineTransform(t(np.array([0.3])), t(np.array([2.5]))),
     RNG.normal(size=(1,))),
    ("affine event_dim 1", lambda m, t, loc=RNG.normal(size=(2, 3)),
     scale=RNG.uniform(-2, -0.5, (2, 3)): m.AffineTransform(t(loc), t(scale), event_dim=1),
     RNG.normal(size=(2, 3))),
    ("sigmoid", lambda m, t: m.SigmoidTransform(), RNG.normal(0, 3, size=(4, 2))),
    ("tanh", lambda m, t: m.TanhTransform(), RNG.normal(0, 1, size=(3, 2))),
    ("softplus", lambda m, t: m.SoftplusTransform(), RNG.normal(0, 2, size=6)),
    ("power", lambda m, t: m.PowerTransform(t(np.array([0.5, 2.0, -1.5]))),
     RNG.uniform(0.2, 3, (2, 3))),
    ("compose", lambda m, t: m.ComposeTransform([m.AffineTransform(0.2, 1.5), m.TanhTransform(),
                                                 m.AffineTransform(1.0, 3.0)]),
     RNG.normal(size=(2, 3))),
    ("independent", lambda m, t: m.IndependentTransform(m.SigmoidTransform(), 2),
     RNG.normal(size=(4, 2, 3))),
    ("reshape", lambda m, t: m.ReshapeTransform((6,), (2, 3)), RNG.normal(size=(4, 6))),
    ("stick-breaking", lambda m, t: m.StickBreakingTransform(), RNG.normal(size=(3, 4))),
    ("compose onto the simplex", lambda m, t: m.ComposeTransform(
        [m.AffineTransform(0.5, 2.0), m.StickBreakingTransform()]), RNG.normal(size=(2, 3))),
    ("exp inverse", lambda m, t: m.ExpTransform().inv, RNG.uniform(0.1, 4, 5)),
]
NOT_BIJECTIVE = [("abs", lambda m, t: m.AbsTransform(), RNG.normal(size=5)),
                 ("softmax", lambda m, t: m.SoftmaxTransform(), RNG.normal(size=(3, 4))),
                 ("lower-cholesky", lambda m, t: m.LowerCholeskyTransform(),
                  RNG.normal(size=(2, 3, 3)))]


def pair(make, dtype):
    ours = make(T, lambda a: Tensor(np.asarray(a, dtype)))
    theirs = make(torch.distributions.transforms, lambda a: torch.tensor(np.asarray(a, dtype)))
    return ours, theirs


def same(got, expected, dtype, what):
    expected = expected.detach().numpy()
    assert got.shape == expected.shape and got.dtype == expected.dtype, \
        (what, got.shape, expected.shape, got.dtype, expected.dtype)
    np.testing.assert_allclose(got.numpy(), expected, err_msg=what, **TOL[dtype])


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, make, x", CASES, ids=[c[0] for c in CASES])
def test_forward_inverse_and_log_det_are_pytorchs(name, make, x, dtype):
    ours, theirs = pair(make, dtype)
    a, b = Tensor(np.asarray(x, dtype)), torch.tensor(np.asarray(x, dtype))
    y, ty = ours(a), theirs(b)
    same(y, ty, dtype, "forward")
    same(ours.inv(y), theirs.inv(ty), dtype, "inverse")
    same(ours.log_abs_det_jacobian(a, y), theirs.log_abs_det_jacobian(b, ty), dtype, "ladj")
    assert (ours.domain.event_dim, ours.codomain.event_dim) == \
        (theirs.domain.event_dim, theirs.codomain.event_dim)
    assert ours.bijective == theirs.bijective
    assert ours.forward_shape(x.shape) == tuple(theirs.forward_shape(x.shape))
    assert ours.inverse_shape(y.shape) == tuple(theirs.inverse_shape(ty.shape))
    if name not in ("reshape", "independent", "stick-breaking", "compose onto the simplex"):
        sign, their_sign = ours.sign, theirs.sign
        assert np.array_equal(np.asarray(getattr(sign, "data", sign)),
                              np.asarray(getattr(their_sign, "numpy", lambda: their_sign)()))


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, make, x", NOT_BIJECTIVE, ids=[c[0] for c in NOT_BIJECTIVE])
def test_maps_that_are_not_bijective_are_pytorchs(name, make, x, dtype):
    ours, theirs = pair(make, dtype)
    a, b = Tensor(np.asarray(x, dtype)), torch.tensor(np.asarray(x, dtype))
    y, ty = ours(a), theirs(b)
    same(y, ty, dtype, "forward")
    same(ours.inv(y), theirs.inv(ty), dtype, "inverse")
    assert not ours.bijective
    with pytest.raises(NotImplementedError, match=r"log_abs_det_jacobian: not defined"):
        ours.log_abs_det_jacobian(a, y)


def numerical_log_det(f, x, event_dim, out_slice=slice(None)):
    """ln |det dy/dx| of each event, the Jacobian by central differences (float64)."""
    x = np.asarray(x, np.float64)
    batch, event = x.shape[:x.ndim - event_dim], x.shape[x.ndim - event_dim:]
    flat = x.reshape(batch + (-1,))
    n = flat.shape[-1]

    def g(v):
        y = f(Tensor(v.reshape(batch + event))).numpy()
        return y.reshape(batch + (-1,))[..., out_slice]
    h = 1e-6
    columns = []
    for i in range(n):
        step = np.zeros(n)
        step[i] = h
        columns.append((g(flat + step) - g(flat - step)) / (2 * h))
    jacobian = np.stack(columns, -1)                       # batch + (n_out, n)
    return np.linalg.slogdet(jacobian)[1]


@pytest.mark.parametrize("name, make, x", CASES, ids=[c[0] for c in CASES])
def test_log_det_is_the_numerical_jacobians(name, make, x):
    t = make(T, lambda a: Tensor(np.asarray(a, np.float64)))
    x = np.asarray(x, np.float64)
    y = t(Tensor(x))
    event_dim = t.domain.event_dim
    simplex = t.codomain.event_dim == 1 and y.shape[-1] == x.shape[-1] + 1
    # onto the simplex: the map to its first K - 1 coordinates is the bijection
    expected = numerical_log_det(t, x, event_dim, slice(0, -1) if simplex else slice(None))
    got = t.log_abs_det_jacobian(Tensor(x), y).numpy()
    np.testing.assert_allclose(np.broadcast_to(got, expected.shape), expected, rtol=1e-6,
                               atol=1e-7)


@pytest.mark.parametrize("name, make, x", CASES, ids=[c[0] for c in CASES])
def test_gradients_by_central_differences(name, make, x):
    t = make(T, lambda a: Tensor(np.asarray(a, np.float64)))
    check_gradients(lambda v: (t(v) ** 2).sum() + t.log_abs_det_jacobian(v, t(v)).sum(), x)
    y = t(Tensor(np.asarray(x, np.float64))).numpy()
    if name != "reshape":
        check_gradients(lambda v: t.inv(v).sum() * 0.7 + t.inv(v).exp().sum(), y)


def test_gradients_reach_the_parameters_of_affine_and_power():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 2, (3, 4))
    check_gradients(lambda loc, scale, v: (T.AffineTransform(loc, scale, event_dim=1)(v) ** 2
                                           ).sum() + T.AffineTransform(loc, scale, event_dim=1)
                    .log_abs_det_jacobian(v, v).sum(), rng.normal(size=4),
                    rng.uniform(0.5, 2, 4), x)
    check_gradients(lambda e, v: T.PowerTransform(e)(v).sum()
                    + T.PowerTransform(e).log_abs_det_jacobian(v, T.PowerTransform(e)(v)).sum(),
                    rng.uniform(0.5, 2, 4), x)


def test_tanh_log_det_is_finite_far_out_and_exact_in_the_middle():
    x = Tensor(np.array([-1000.0, -20.0, 0.0, 0.5, 20.0, 1000.0]))
    t = T.TanhTransform()
    got = t.log_abs_det_jacobian(x, t(x)).numpy()
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got[[0, -1]], 2 * (math.log(2) - 1000.0), rtol=1e-15)
    np.testing.assert_allclose(got[2:4], np.log(1 - np.tanh([0.0, 0.5]) ** 2), rtol=1e-14)
    for dtype in DTYPES:
        big = Tensor(np.array([-1000.0, 1000.0], dtype))
        assert np.all(np.isfinite(t.log_abs_det_jacobian(big, t(big)).numpy()))
        g = Tensor(np.array([-1000.0, 1000.0], dtype), requires_grad=True)
        t.log_abs_det_jacobian(g, t(g)).sum().backward()
        np.testing.assert_allclose(g.grad, [2.0, -2.0])        # d/dx of -2|x|: finite


def test_sigmoid_and_stick_breaking_stay_finite_far_out():
    t = T.SigmoidTransform()
    for dtype in DTYPES:
        x = Tensor(np.array([-200.0, 200.0], dtype))
        assert np.all(np.isfinite(t.inv(t(x)).numpy()))
        assert np.all(np.isfinite(t.log_abs_det_jacobian(x, t(x)).numpy()))
    s = T.StickBreakingTransform()
    x = Tensor(np.array([[-800.0, 3.0, 800.0]]))
    assert np.isfinite(s.log_abs_det_jacobian(x, s(x)).item())      # ln of a 0 piece avoided
    np.testing.assert_allclose(s(x).sum(-1).numpy(), 1.0, rtol=1e-12)


def test_the_cache_gives_back_the_pair_and_nothing_else():
    t = T.TanhTransform(cache_size=1)
    x = Tensor(np.array([25.0, -30.0]))                  # tanh rounds to ±1: atanh is inf
    y = t(x)
    assert t.inv(y) is x and t(x) is y
    with np.errstate(divide="ignore"):
        assert np.all(np.isinf(T.TanhTransform().inv(y).numpy()))
        assert np.all(np.isinf(t.inv(Tensor(y.numpy())).numpy()))   # another object: computed
    e = T.ExpTransform(cache_size=1)
    z = Tensor([1.0])
    w = e.inv(z)
    assert e(w) is z
    assert T.TanhTransform().with_cache(1)._cache_size == 1 and t.with_cache(1) is t
    with pytest.raises(ValueError, match=r"^TanhTransform: cache_size must be 0 \(no cache\) "
                                         r"or 1 \(the last pair x, y kept\), got 2$"):
        T.TanhTransform(cache_size=2)
    c = T.ComposeTransform([T.AffineTransform(0.0, 2.0), T.TanhTransform()], cache_size=1)
    assert all(part._cache_size == 1 for part in c.parts)
    y = c(x)
    assert c.inv(y) is not None and np.all(np.isfinite(c.inv(y).numpy()))


def test_inverses_equality_and_repr():
    e = T.ExpTransform()
    assert e.inv.inv is e and e.inv is e.inv
    assert e == T.ExpTransform() and e.inv == T.ExpTransform().inv and e != e.inv
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.AffineTransform(Tensor([1.0]), 2.0) == T.AffineTransform(Tensor([1.0]), 2.0)
    assert T.ComposeTransform([e, T.TanhTransform()]) == T.ComposeTransform(
        [T.ExpTransform(), T.TanhTransform()])
    assert repr(e.inv) == "ExpTransform().inv"
    assert repr(T.AffineTransform(1.0, 2.0)) == "AffineTransform(loc=1.0, scale=2.0, event_dim=0)"
    c = T.ComposeTransform([T.AffineTransform(0.0, 2.0), T.ExpTransform()])
    assert c.inv.inv is c
    assert c.inv.parts[0] == T.ExpTransform().inv
    assert T.identity_transform(Tensor([3.0])).tolist() == [3.0]
    assert T.identity_transform.log_abs_det_jacobian(Tensor([3.0]), Tensor([3.0])).tolist() \
        == [0.0]
    assert c.sign == 1 and T.ComposeTransform([T.AffineTransform(0.0, -2.0), e]).sign == -1
    with pytest.raises(NotImplementedError, match=r"StickBreakingTransform\.sign: not a "
                                                  r"monotone map"):
        T.StickBreakingTransform().sign


def test_shapes_and_event_axes_of_compositions():
    c = T.ComposeTransform([T.ExpTransform(), T.StickBreakingTransform()])
    assert (c.domain.event_dim, c.codomain.event_dim) == (1, 1)
    r = T.ComposeTransform([T.ReshapeTransform((4,), (2, 2)), T.ExpTransform()])
    assert (r.domain.event_dim, r.codomain.event_dim) == (1, 2)
    x = Tensor(np.arange(8.0).reshape(2, 4))
    assert r.log_abs_det_jacobian(x, r(x)).tolist() == [6.0, 22.0]      # Σ x over each event
    assert r.forward_shape((5, 4)) == (5, 2, 2) and r.inverse_shape((5, 2, 2)) == (5, 4)
    with pytest.raises(ValueError, match=r"ReshapeTransform: in_shape \(4,\) and out_shape "
                                         r"\(3,\) hold different numbers of elements"):
        T.ReshapeTransform((4,), (3,))
    with pytest.raises(ValueError, match=r"ReshapeTransform\.forward_shape: shape \(5, 3\) "
                                         r"does not end in the event shape \(4,\)"):
        r.forward_shape((5, 3))
    with pytest.raises(ValueError, match=r"IndependentTransform: the input of shape \(3,\) "
                                         r"has fewer axes than the 2 of one event"):
        T.IndependentTransform(T.ExpTransform(), 2)(Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match=r"ComposeTransform: every part must be a Transform, "
                                        r"got ufunc"):
        T.ComposeTransform([np.exp])
    with pytest.raises(ValueError, match=r"^ComposeTransform\.event_dim: the domain's \(1\) and "
                                         r"the codomain's \(2\) differ"):
        T.ComposeTransform([T.ReshapeTransform((4,), (2, 2))]).event_dim
    with pytest.raises(TypeError, match=r"ExpTransform: expected a Tensor or numbers, got str"):
        T.ExpTransform()("1")
    # AffineTransform with one scale over an event of 3 numbers: 3 ln |s| (see the report:
    # PyTorch gives ln |s| here)
    a = T.AffineTransform(0.0, Tensor([2.0]), event_dim=1)
    x = Tensor(np.zeros((4, 3)))
    np.testing.assert_allclose(a.log_abs_det_jacobian(x, a(x)).numpy(), [3 * math.log(2)] * 4)


@pytest.mark.parametrize("constraint, inside", [
    (constraints.real, None), (constraints.real_vector, None),
    (constraints.positive, None), (constraints.nonnegative, None),
    (constraints.greater_than(2.0), None), (constraints.greater_than_eq(-1.0), None),
    (constraints.less_than(3.0), None), (constraints.unit_interval, None),
    (constraints.interval(-2.0, 5.0), None), (constraints.half_open_interval(1.0, 2.0), None),
    (constraints.simplex, None), (constraints.independent(constraints.positive, 1), None),
    (constraints.interval(Tensor([0.0, 1.0]), Tensor([1.0, 4.0])), None)])
def test_biject_to_and_transform_to_land_in_the_constraint(constraint, inside):
    rng = np.random.default_rng(4)
    u = Tensor(rng.normal(0, 2, (6, 2)))
    for registry in (biject_to, transform_to):
        t = registry(constraint)
        y = t(u)
        assert constraint.check(y.numpy()).all(), (registry, constraint, y)
        back = t.inv(y)
        if t.bijective and constraint is not constraints.simplex:
            np.testing.assert_allclose(back.numpy(), u.numpy(), rtol=1e-9, atol=1e-9)
        elif t.bijective:
            np.testing.assert_allclose(t(back).numpy(), y.numpy(), rtol=1e-9, atol=1e-12)
    assert biject_to(constraint).bijective


def test_transform_to_lower_cholesky_and_what_is_not_there():
    rng = np.random.default_rng(5)
    t = transform_to(constraints.lower_cholesky)
    m = t(Tensor(rng.normal(size=(3, 4, 4))))
    assert constraints.lower_cholesky.check(m.numpy()).all()
    assert isinstance(transform_to(constraints.simplex), T.SoftmaxTransform)
    assert isinstance(biject_to(constraints.simplex), T.StickBreakingTransform)
    with pytest.raises(NotImplementedError, match=r"^biject_to: no transform onto "
                                                  r"Constraint\(lower triangular"):
        biject_to(constraints.lower_cholesky)
    mine = constraints.Constraint("odd", lambda x: x % 2 == 1)
    biject_to.register(mine, lambda c: T.AffineTransform(1.0, 2.0))
    try:
        assert biject_to(mine) == T.AffineTransform(1.0, 2.0)
    finally:
        del biject_to._objects[id(mine)]


def test_a_constrained_parameter_optimised_through_transform_to():
    # the scale of a Normal fitted by gradient descent on an unconstrained u, scale = e^u
    rng = np.random.default_rng(6)
    data = Tensor(rng.normal(1.0, 3.0, 500))
    u = Tensor(np.array(0.0), requires_grad=True)
    to_scale = transform_to(constraints.positive)
    for _ in range(200):
        u.grad = None
        loss = -Normal(1.0, to_scale(u)).log_prob(data).mean()
        loss.backward()
        u.data -= 0.5 * u.grad
    # the maximum-likelihood scale about a known mean: the root mean square deviation
    assert to_scale(u).item() == pytest.approx(np.sqrt(((data.numpy() - 1) ** 2).mean()),
                                               rel=1e-4)


def test_a_tiny_flow_of_affine_layers_learns_a_gaussian():
    # x = a2 (a1 z + b1) + b2 on z ~ N(0, 1): maximum likelihood on N(2, 0.5²) data finds
    # the overall scale |a1 a2| = 0.5 and shift 2, through TransformedDistribution.log_prob
    autograd.manual_seed(0)
    rng = np.random.default_rng(7)
    data = Tensor(rng.normal(2.0, 0.5, 2000))
    params = [Tensor(np.array(v), requires_grad=True) for v in (0.0, 0.0, 0.0, 0.0)]

    def flow():
        b1, log_a1, b2, log_a2 = params
        layers = T.ComposeTransform([T.AffineTransform(b1, log_a1.exp()),
                                     T.AffineTransform(b2, log_a2.exp())])
        return TransformedDistribution(Normal(0.0, 1.0), layers)
    first = -flow().log_prob(data).mean().item()
    for _ in range(300):
        for p in params:
            p.grad = None
        loss = -flow().log_prob(data).mean()
        loss.backward()
        for p in params:
            p.data -= 0.1 * p.grad
    d = flow()
    x = d.sample((20000,)).numpy()
    assert loss.item() < first - 1.0
    assert math.exp(params[1].item() + params[3].item()) == pytest.approx(data.numpy().std(),
                                                                          rel=1e-3)
    assert abs(x.mean() - data.numpy().mean()) < 4 * 0.5 / math.sqrt(20000)
    # the flow's density is the Normal it became: N(a2 b1 + b2, (a1 a2)²)
    b1, log_a1, b2, log_a2 = (p.item() for p in params)
    a1, a2 = math.exp(log_a1), math.exp(log_a2)
    grid = Tensor(np.linspace(0.0, 4.0, 9))
    np.testing.assert_allclose(d.log_prob(grid).numpy(), Normal(
        Tensor(np.array(a2 * b1 + b2)), Tensor(np.array(a1 * a2))).log_prob(grid).numpy(),
        rtol=1e-12)


def test_the_clamps_that_keep_inverses_finite():
    # (each passed with its clamp taken out)
    from autograd.distributions.transforms import SigmoidTransform, StickBreakingTransform
    # σ(±800) rounds to 0 and 1: clamped into [tiny, 1 - eps], so the logit back is finite
    t = SigmoidTransform()
    y = t(Tensor(np.array([-800.0, 800.0])))
    assert y.tolist() == [np.finfo(np.float64).tiny, 1 - np.finfo(np.float64).eps]
    assert np.isfinite(t.inv(y).data).all()
    # a point on the simplex's edge (the last piece 0): the stick left is floored, not 0
    x = StickBreakingTransform().inv(Tensor(np.array([0.5, 0.5, 0.0])))
    assert np.isfinite(x.data).all() and x.data[0] == pytest.approx(math.log(2))
