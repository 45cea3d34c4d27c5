"""Synthetic datasets: shapes, dtypes, labels, determinism, and each one's geometry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from nn.data import (
    lag_features, make_blobs, make_circles, make_daily_views, make_moons, make_regression,
    make_spirals, make_xor,
)

CLASSIFIERS = {      # name: (generator with its size argument, number of classes)
    "xor": (lambda n, **kw: make_xor(n, noise=0.1, **kw), 2),
    "moons": (make_moons, 2),
    "circles": (lambda n, **kw: make_circles(n, noise=0.05, **kw), 2),
    "spirals": (make_spirals, 3),
    "blobs": (make_blobs, 3),
}


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_shapes_dtypes_and_balanced_labels(name):
    make, k = CLASSIFIERS[name]
    X, y = make(120, seed=0)
    assert X.shape == (120, 2) and X.dtype == np.float32
    assert y.shape == (120,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [120 // k] * k
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_same_seed_same_data_other_seed_other_data(name):
    make, _ = CLASSIFIERS[name]
    X1, y1 = make(60, seed=3)
    X2, y2 = make(60, seed=3)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(make(60, seed=4)[0], X1)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_without_a_seed_manual_seed_decides(name):
    make, _ = CLASSIFIERS[name]
    autograd.manual_seed(11)
    X1, _ = make(40)
    autograd.manual_seed(11)
    assert np.array_equal(make(40)[0], X1)


@pytest.mark.parametrize("make", [make_xor, make_moons, make_circles, make_spirals, make_blobs,
                                  make_regression, make_daily_views])
@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError)])
def test_a_bad_seed_is_named_by_the_generator(make, seed, error):
    """numpy's own words ("expected non-negative integer") named neither the function nor the
    seed."""
    with pytest.raises(error, match=rf"^{make.__name__}: seed must be an int >= 0 or a numpy "
                                    rf"Generator, got {seed}$"):
        make(seed=seed, **({} if make is make_blobs else {"noise": 0.1}))


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_features_follow_the_default_dtype(name, restore_default_dtype):
    autograd.set_default_dtype(np.float64)
    X, y = CLASSIFIERS[name][0](20, seed=0)
    assert X.dtype == np.float64 and y.dtype == np.int64


# -- geometry -----------------------------------------------------------------------------------

def test_xor_truth_table_and_cloud():
    X, y = make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    X, y = make_xor(400, noise=0.1, seed=0)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])[np.arange(400) % 4]
    assert np.array_equal(y, np.logical_xor(corners[:, 0], corners[:, 1]))
    spread = (X - corners).std()
    assert 0.08 < spread < 0.12                       # the noise std asked for


def test_moons_without_noise_lie_on_two_unit_half_circles():
    X, y = make_moons(101, noise=0.0, seed=0)
    upper, lower = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    assert (len(upper), len(lower)) == (50, 51)       # scikit-learn gives the odd one to class 1
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert upper[:, 1].min() >= -1e-6 and lower[:, 1].max() <= 0.5 + 1e-6
    X4, y4 = make_moons(4, noise=0.0, seed=0)       # the half circles' ends, by hand
    ends = sorted(map(tuple, np.round(X4, 6).tolist()))
    assert ends == [(-1.0, 0.0), (0.0, 0.5), (1.0, 0.0), (2.0, 0.5)]
    assert sorted(zip(np.round(X4[:, 0]).tolist(), y4.tolist())) == [
        (-1.0, 0), (0.0, 1), (1.0, 0), (2.0, 1)]


def test_moons_noise_scatters_points_off_the_curve():
    X, y = make_moons(2000, noise=0.1, seed=1)
    upper = X[y == 0].astype(np.float64)
    radial = np.hypot(upper[:, 0], upper[:, 1]) - 1.0
    assert 0.08 < radial.std() < 0.12 and abs(radial.mean()) < 0.02


def test_circles_radii():
    X, y = make_circles(50, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0, atol=1e-6) and np.allclose(r[y == 1], 0.3, atol=1e-6)
    X, y = make_circles(3000, factor=0.5, noise=0.1, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert abs(np.median(r[y == 0]) - 1.0) < 0.02 and abs(np.median(r[y == 1]) - 0.5) < 0.02


def test_spiral_arms_without_noise():
    k = 4
    X, y = make_spirals(200, n_classes=k, noise=0.0, seed=0)
    X = X.astype(np.float64)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() == 0.0 and np.isclose(r.max(), 1.0)
    keep = r > 1e-3                       # the angle of the centre point is undefined
    angle = np.arctan2(X[keep, 0], X[keep, 1])        # x = r sin(a), y = r cos(a)
    offset = np.angle(np.exp(1j * (angle - 4.0 * r[keep] - 2 * np.pi * y[keep] / k)))
    assert np.allclose(offset, 0.0, atol=1e-4)


def test_blobs_around_given_centres():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, -5.0, 3.0]])
    X, y = make_blobs(2001, centers=centers, cluster_std=[0.1, 0.5], seed=0)
    assert X.shape == (2001, 3) and np.bincount(y).tolist() == [1001, 1000]
    for label, std in ((0, 0.1), (1, 0.5)):
        points = X[y == label].astype(np.float64)
        assert np.allclose(points.mean(axis=0), centers[label], atol=4 * std / np.sqrt(1000))
        assert np.allclose(points.std(axis=0), std, rtol=0.1)


def test_blobs_random_centres_in_the_box():
    X, y = make_blobs(300, centers=5, n_features=4, cluster_std=0.0, center_box=(2.0, 3.0),
                      seed=0)
    assert X.shape == (300, 4)
    assert np.all((X >= 2.0) & (X <= 3.0))
    assert len(np.unique(X, axis=0)) == 5             # std 0: every blob is one point


def test_regression_is_linear_plus_noise():
    X, y, w = make_regression(200, n_features=3, bias=1.5, coef=True, seed=0)
    assert X.shape == (200, 3) and y.shape == (200,) and w.shape == (3,)
    assert np.allclose(X @ w + 1.5, y, atol=1e-5)
    assert np.all((np.abs(w) >= 0.5) & (np.abs(w) <= 2.0))
    Xn, yn, wn = make_regression(5000, n_features=3, noise=0.5, bias=1.5, coef=True, seed=0)
    residual = yn.astype(np.float64) - (Xn.astype(np.float64) @ wn + 1.5)
    assert 0.47 < residual.std() < 0.53
    fitted, *_ = np.linalg.lstsq(np.c_[Xn, np.ones(len(Xn))], yn.astype(np.float64), rcond=None)
    assert np.allclose(fitted, np.r_[wn, 1.5], atol=0.05)     # least squares finds the truth
    X2, y2 = make_regression(10, seed=0)
    assert X2.shape == (10, 1) and y2.dtype == np.float32


# -- the daily series and its window features ---------------------------------------------------

def test_daily_views_formula_by_hand():
    v = make_daily_views(400, base=100.0, trend=1.0, weekly=10.0, yearly=20.0, noise=0.0)
    assert v.shape == (400,) and v.dtype == np.float32
    assert v[0] == pytest.approx(110.0)                            # 100 + 0 + 10 cos 0 + 0
    assert v[7] == pytest.approx(100 + 7 + 10 + 20 * np.sin(2 * np.pi * 7 / 365.25))
    t = np.arange(400)
    expected = (100 + t + 10 * np.cos(2 * np.pi * t / 7) + 20 * np.sin(2 * np.pi * t / 365.25))
    assert np.allclose(v, expected, rtol=1e-6)


def test_daily_views_are_never_negative_and_seeded():
    v = make_daily_views(60, base=0.0, trend=0.0, weekly=5.0, yearly=0.0, noise=0.0)
    assert v.min() == 0.0 and v.max() == pytest.approx(5.0)
    a, b = make_daily_views(100, seed=2), make_daily_views(100, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, make_daily_views(100, seed=3))


def test_lag_features_default_windows():
    series = np.arange(40, dtype=np.float64) ** 2
    X, y = lag_features(series)
    assert X.shape == (12, 3) and y.shape == (12,)
    t = 28                                                         # the first row
    assert X[0].tolist() == [series[27], series[21:28].mean(), series[0:28].mean()]
    assert y[0] == series[t] and y[-1] == series[-1]


@given(series=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=40),
       windows=st.lists(st.integers(1, 10), min_size=1, max_size=4))
def test_lag_features_match_a_loop_over_days(series, windows):
    series = np.array(series)
    if len(series) <= max(windows):
        with pytest.raises(ValueError, match="too short"):
            lag_features(series, windows)
        return
    X, y = lag_features(series, windows)
    days = range(max(windows), len(series))
    expected = np.array([[series[t - w:t].mean() for w in windows] for t in days])
    assert np.allclose(X, expected, rtol=1e-9, atol=1e-9)
    assert np.array_equal(y, series[max(windows):])


def test_lag_features_never_see_the_day_they_predict():
    series = make_daily_views(60, seed=0).astype(np.float64)
    X, _ = lag_features(series)
    changed = series.copy()
    changed[40] += 1e6                                          # row 40 - 28 = 12 predicts day 40
    X2, y2 = lag_features(changed)
    assert np.array_equal(X2[:13], X[:13]) and y2[12] == changed[40]
    assert not np.array_equal(X2[13], X[13])                    # the day after sees it


@given(series=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=40),
       days=st.integers(1, 10))
def test_lag_features_days_are_the_past_days_one_by_one(series, days):
    series = np.array(series)
    if len(series) <= days:
        with pytest.raises(ValueError, match=f"too short for days={days}"):
            lag_features(series, days=days)
        return
    X, y = lag_features(series, days=days)
    expected = np.array([[series[t - j] for j in range(1, days + 1)]
                         for t in range(days, len(series))])
    assert np.array_equal(X, expected) and np.array_equal(y, series[days:])


def test_lag_features_dtypes():
    X, y = lag_features(np.arange(10, dtype=np.float32), (1, 3))
    assert X.dtype == y.dtype == np.float32
    X, y = lag_features(list(range(10)), (2,))                  # integers: the default dtype
    assert X.dtype == np.float32 and X[0, 0] == 0.5


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: make_moons(1), ValueError, "make_moons: n_samples must be at least 2, got 1"),
    (lambda: make_moons(10.0), TypeError, "make_moons: n_samples must be an int"),
    (lambda: make_moons(10, noise=-0.1), ValueError, "noise must be a number >= 0"),
    (lambda: make_xor(0), ValueError, "make_xor: n_samples must be at least 1"),
    (lambda: make_circles(10, factor=1.0), ValueError, r"factor .* must be in \[0, 1\)"),
    (lambda: make_spirals(10, n_classes=1), ValueError, "n_classes must be at least 2"),
    (lambda: make_spirals(2, n_classes=3), ValueError, "n_samples must be at least 3"),
    (lambda: make_blobs(10, centers=np.zeros(3)), ValueError, r"shape \(k, d\), got shape"),
    (lambda: make_blobs(10, cluster_std=[1.0, 2.0]), ValueError, "one per centre"),
    (lambda: make_blobs(10, cluster_std=-1.0), ValueError, "cluster_std must be one number"),
    (lambda: make_blobs(10, center_box=(1.0, 1.0)), ValueError, "low < high"),
    (lambda: make_regression(10, n_features=0), ValueError, "n_features must be at least 1"),
    (lambda: make_daily_views(0), ValueError, "n_days must be at least 1"),
    (lambda: lag_features(np.zeros((5, 2))), ValueError, r"1-d sequence .* shape \(5, 2\)"),
    (lambda: lag_features(np.arange(28.0)), ValueError,
     "28 days is too short for a 28-day window"),
    (lambda: lag_features(np.arange(30.0), ()), ValueError, "at least one window"),
    (lambda: lag_features(np.arange(30.0), (0, 7)), ValueError, "every window must be at least"),
    (lambda: lag_features(np.arange(30.0), (1.5,)), TypeError, "every window must be an int"),
    (lambda: lag_features(np.arange(30.0), (1, 7), days=7), ValueError,
     "give windows .* or days .*, not both"),
    (lambda: lag_features(np.arange(30.0), days=0), ValueError, "days must be at least 1"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_legacy_random_state_gives_scikit_learns_moons():
    # scikit-learn's make_moons(100, noise=0.1, random_state=1337), micrograd's demo data
    X, y = make_moons(100, noise=0.1, seed=np.random.RandomState(1337))
    assert np.allclose(X[:3], [[1.12211461, 0.08147717], [-0.81882941, 0.05879006],
                               [1.61370966, -0.1246459]], atol=1e-7)
    assert y[:6].tolist() == [0, 0, 1, 0, 1, 1]
