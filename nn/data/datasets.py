"""Small synthetic datasets for the lectures, the same numbers for the same seed.

Every generator returns X with the default dtype (float32 unless `autograd.set_default_dtype`
changed it, so X matches the models' parameters) and y as int64 class labels (classification) or
floats (regression). Randomness comes from `seed` (an int or a numpy Generator) or, without one,
from `autograd.default_rng()`, which `autograd.manual_seed` reseeds. `make_moons`, `make_circles`
and `make_blobs` take scikit-learn's name for the seed too, `random_state=` (the same
generator: the points are glassgrad's own, not scikit-learn's for that number).

>>> import numpy as np
>>> from nn.data import make_moons
>>> X, y = make_moons(100, noise=0.1, seed=0)
>>> X.shape, X.dtype, y.dtype, np.bincount(y).tolist()
((100, 2), dtype('float32'), dtype('int64'), [50, 50])
>>> y_pm1 = y * 2 - 1               # micrograd's demo (max-margin loss) wants labels -1 / +1
>>> sorted(set(y_pm1.tolist()))
[-1, 1]
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from autograd import Tensor, get_default_dtype

from .loader import generator, seed_or_random_state


def _rng(fn: str, seed: Any) -> np.random.Generator | np.random.RandomState:
    """A Generator from `seed` (a bad one is an error naming `fn`); a legacy
    `np.random.RandomState` is used as it is, so
    `make_moons(100, 0.1, seed=np.random.RandomState(1337))` gives scikit-learn's
    `make_moons(100, noise=0.1, random_state=1337)` points (micrograd's demo data)."""
    if isinstance(seed, np.random.RandomState):
        return seed
    return generator(fn, seed)


def _count(fn: str, name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be at least {minimum}, got {value}")
    return int(value)


def _scale(fn: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{fn}: {name} must be a number >= 0, got {value!r}")
    return float(value)


def _features(X: np.ndarray) -> np.ndarray:
    return X.astype(get_default_dtype())


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple:
    """Mix the classes (generators build them one after the other)."""
    order = rng.permutation(len(y))
    return X[order], y[order]


def _two_classes(fn: str, first: np.ndarray, second: np.ndarray, noise: float, seed: Any
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Points `first` as class 0 and `second` as class 1, mixed, plus Gaussian noise of std
    `noise` (shuffled first, then noised: scikit-learn's order, so its seeds carry over)."""
    X = np.concatenate([first, second])
    y = np.repeat(np.array([0, 1], dtype=np.int64), [len(first), len(second)])
    rng = _rng(fn, seed)
    X, y = _shuffled(X, y, rng)
    if noise:
        X = X + rng.normal(0.0, noise, X.shape)
    return _features(X), y


def make_xor(n_samples: int = 4, noise: float = 0.0, seed: int | np.random.Generator | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """XOR: label 1 where exactly one coordinate is 1. The 4 corners, or a noisy cloud around them.

    Sample i sits at corner i % 4 (plus Gaussian noise of std `noise`), so the classes are
    balanced and interleaved.

    >>> X, y = make_xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    >>> X, y = make_xor(200, noise=0.2, seed=0)      # not linearly separable: a hidden layer is
    >>> X.shape                                      # needed
    (200, 2)
    """
    n = _count("make_xor", "n_samples", n_samples)
    noise = _scale("make_xor", "noise", noise)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    corner = np.arange(n) % 4
    X, y = corners[corner], np.array([0, 1, 1, 0], dtype=np.int64)[corner]
    if noise:
        X = X + _rng("make_xor", seed).normal(0.0, noise, X.shape)
    return _features(X), y


def make_moons(n_samples: int = 100, noise: float = 0.1,
               seed: int | np.random.Generator | None = None,
               random_state: int | np.random.Generator | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's geometry), labels 0 (upper) and 1 (lower).

    Class 0 lies on the unit circle around (0, 0) with y >= 0; class 1 on the unit circle around
    (1, 0.5) with y <= 0.5; then Gaussian noise of std `noise` is added. For micrograd's demo
    (labels -1/+1) use `y * 2 - 1`.

    >>> X, y = make_moons(6, noise=0.0, seed=0)
    >>> sorted(X[y == 0].round(3).tolist()), sorted(X[y == 1].round(3).tolist())
    ([[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], [[0.0, 0.5], [1.0, -0.5], [2.0, 0.5]])
    """
    seed = seed_or_random_state("make_moons", seed, random_state)
    n = _count("make_moons", "n_samples", n_samples, minimum=2)
    noise = _scale("make_moons", "noise", noise)
    n_upper = n // 2
    t_upper, t_lower = np.linspace(0.0, np.pi, n_upper), np.linspace(0.0, np.pi, n - n_upper)
    return _two_classes("make_moons", np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1),
                        np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1),
                        noise, seed)


def make_circles(n_samples: int = 100, factor: float = 0.8, noise: float = 0.0,
                 seed: int | np.random.Generator | None = None,
                 random_state: int | np.random.Generator | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius `factor` (label 1) inside the unit circle (label 0), plus noise.

    >>> X, y = make_circles(8, factor=0.5, seed=0)
    >>> np.hypot(X[:, 0], X[:, 1]).round(3)[np.argsort(y)].tolist()
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    """
    seed = seed_or_random_state("make_circles", seed, random_state)
    n = _count("make_circles", "n_samples", n_samples, minimum=2)
    noise = _scale("make_circles", "noise", noise)
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"make_circles: factor (inner radius / outer radius) must be in "
                         f"[0, 1), got {factor}")
    n_outer = n // 2
    angles = [np.linspace(0.0, 2 * np.pi, m, endpoint=False) for m in (n_outer, n - n_outer)]
    outer = np.stack([np.cos(angles[0]), np.sin(angles[0])], axis=1)
    inner = factor * np.stack([np.cos(angles[1]), np.sin(angles[1])], axis=1)
    return _two_classes("make_circles", outer, inner, noise, seed)


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
                 seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Spiral arms, one per class, from the centre outwards (CS231n's spiral dataset).

    Arm k starts at angle 2*pi*k/n_classes and turns 4 radians while its radius grows from 0 to
    1; `noise` is the std of Gaussian noise on the angle (radians). Samples are shared out as
    evenly as possible between the classes.

    >>> X, y = make_spirals(300, n_classes=3, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((300, 2), [100, 100, 100])
    """
    n_classes = _count("make_spirals", "n_classes", n_classes, minimum=2)
    n = _count("make_spirals", "n_samples", n_samples, minimum=n_classes)
    noise = _scale("make_spirals", "noise", noise)
    per_class = np.full(n_classes, n // n_classes)
    per_class[:n % n_classes] += 1
    y = np.repeat(np.arange(n_classes, dtype=np.int64), per_class)
    radius = np.concatenate([np.linspace(0.0, 1.0, m) for m in per_class])
    rng = _rng("make_spirals", seed)
    angle = 2 * np.pi * y / n_classes + 4.0 * radius + rng.normal(0.0, noise, n)
    X = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    X, y = _shuffled(X, y, rng)
    return _features(X), y


def make_blobs(n_samples: int = 100, centers: int | Sequence = 3, n_features: int = 2,
               cluster_std: float | Sequence[float] = 1.0,
               center_box: tuple[float, float] = (-10.0, 10.0),
               seed: int | np.random.Generator | None = None,
               random_state: int | np.random.Generator | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs, one class per centre (scikit-learn's make_blobs).

    `centers` is a number of centres (drawn uniformly from `center_box` in each of `n_features`
    dimensions) or an array of them, shape (k, d); `cluster_std` one std or one per centre.
    Samples are shared out as evenly as possible between the blobs.

    >>> X, y = make_blobs(6, centers=[[0.0, 0.0], [5.0, 5.0]], cluster_std=0.0, seed=0)
    >>> X[np.argsort(y, kind="stable")].tolist()
    [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 5.0], [5.0, 5.0]]
    """
    fn = "make_blobs"
    seed = seed_or_random_state(fn, seed, random_state)
    n = _count(fn, "n_samples", n_samples)
    rng = _rng(fn, seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = _count(fn, "centers", centers)
        d = _count(fn, "n_features", n_features)
        low, high = center_box
        if not low < high:
            raise ValueError(f"{fn}: center_box must be (low, high) with low < high, "
                             f"got {center_box}")
        means = rng.uniform(low, high, (k, d))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2 or len(means) == 0:
            raise ValueError(f"{fn}: centers must be a count or an array of shape (k, d), "
                             f"got shape {means.shape}")
        k, d = means.shape
    stds = np.asarray(cluster_std, dtype=np.float64)
    if stds.ndim > 1 or stds.size not in (1, k) or not np.all(stds >= 0):
        raise ValueError(f"{fn}: cluster_std must be one number >= 0 or one per centre "
                         f"({k} here), got {cluster_std!r}")
    stds = np.broadcast_to(stds, (k,))
    per_blob = np.full(k, n // k)
    per_blob[:n % k] += 1
    y = np.repeat(np.arange(k, dtype=np.int64), per_blob)
    X = means[y] + rng.normal(size=(n, d)) * stds[y, None]
    X, y = _shuffled(X, y, rng)
    return _features(X), y


def make_regression(n_samples: int = 100, n_features: int = 1, noise: float = 0.0,
                    bias: float = 0.0, coef: bool = False,
                    seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, ...]:
    """A linear target plus noise: y = X @ w + bias + noise * N(0, 1), with X ~ N(0, 1).

    The true weights w have magnitudes in [0.5, 2] and random signs (every feature matters);
    `coef=True` returns them as well: (X, y, w). y has shape (n_samples,).

    >>> X, y, w = make_regression(50, n_features=3, bias=2.0, coef=True, seed=0)
    >>> X.shape, y.shape, w.shape, bool(np.allclose(X @ w + 2.0, y, atol=1e-4))
    ((50, 3), (50,), (3,), True)
    """
    fn = "make_regression"
    n = _count(fn, "n_samples", n_samples)
    d = _count(fn, "n_features", n_features)
    noise = _scale(fn, "noise", noise)
    rng = _rng(fn, seed)
    X = rng.normal(size=(n, d))
    w = rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)
    y = X @ w + float(bias)
    if noise:
        y = y + rng.normal(0.0, noise, n)
    dtype = get_default_dtype()
    return (X.astype(dtype), y.astype(dtype)) + ((w.astype(dtype),) if coef else ())


def make_daily_views(n_days: int = 730, *, base: float = 1000.0, trend: float = 0.5,
                     weekly: float = 150.0, yearly: float = 300.0, noise: float = 50.0,
                     seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Daily page views: a level, a linear trend, a weekly and a yearly cycle, and noise.

    views[t] = base + trend*t + weekly*cos(2*pi*t/7) + yearly*sin(2*pi*t/365.25) + noise*N(0, 1),
    clipped at 0 (views are never negative). Turn it into a supervised problem with
    `lag_features`.

    >>> views = make_daily_views(14, noise=0.0, trend=0.0, yearly=0.0)
    >>> bool(np.allclose(views[:7], views[7:]))             # one week repeats the last
    True
    """
    fn = "make_daily_views"
    n = _count(fn, "n_days", n_days)
    noise = _scale(fn, "noise", noise)
    t = np.arange(n, dtype=np.float64)
    views = (base + trend * t + weekly * np.cos(2 * np.pi * t / 7)
             + yearly * np.sin(2 * np.pi * t / 365.25))
    if noise:
        views = views + _rng(fn, seed).normal(0.0, noise, n)
    return np.maximum(views, 0.0).astype(get_default_dtype())


def lag_features(series: Any, windows: Sequence[int] | None = None, *, days: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Window features of a daily series and the next day's value as the target.

    Row i describes day t = max(windows) + i: feature j is the mean of the `windows[j]` days
    before t (window 1 is yesterday, 7 the past week, 28 the past four weeks; the default is
    (1, 7, 28)) and the target is series[t]. Only past days enter a row, so the features never
    see the day they predict.

    >>> X, y = lag_features([1.0, 2.0, 3.0, 4.0, 5.0], windows=(1, 2))
    >>> X.tolist(), y.tolist()
    ([[2.0, 1.5], [3.0, 2.5], [4.0, 3.5]], [3.0, 4.0, 5.0])

    `days=k` gives instead the k past days one by one, the lectures' y = b + Σⱼ wⱼ xⱼ with xⱼ
    the value j days before t (so each weight says how much that day counts):

    >>> X, y = lag_features([1.0, 2.0, 3.0, 4.0, 5.0], days=3)
    >>> X.tolist(), y.tolist()
    ([[3.0, 2.0, 1.0], [4.0, 3.0, 2.0]], [4.0, 5.0])
    """
    fn = "lag_features"
    s = np.asarray(series.data if isinstance(series, Tensor) else series)
    if s.ndim != 1 or s.dtype.kind not in "biuf":
        raise ValueError(f"{fn}: series must be a 1-d sequence of numbers, got shape {s.shape} "
                         f"and dtype {s.dtype}")
    if days is not None:
        if windows is not None:
            raise ValueError(f"{fn}: give windows (means of past days) or days (each past day "
                             f"on its own), not both")
        X, targets = _past_days(fn, s, _count(fn, "days", days))
    else:
        X, targets = _window_means(fn, s, (1, 7, 28) if windows is None else tuple(windows))
    dtype = s.dtype if s.dtype.kind == "f" else get_default_dtype()
    return X.astype(dtype), s[targets].astype(dtype)


def _window_means(fn: str, s: np.ndarray, windows: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Row i: the mean of each window of days before day t = max(windows) + i; and those t."""
    if not windows:
        raise ValueError(f"{fn}: needs at least one window")
    for w in windows:
        _count(fn, "every window", w)
    longest = max(windows)
    if len(s) <= longest:
        raise ValueError(f"{fn}: a series of {len(s)} days is too short for a {longest}-day "
                         f"window (needs at least {longest + 1} days)")
    # window means as differences of one running sum: no Python loop over days
    running = np.concatenate([[0.0], np.cumsum(s, dtype=np.float64)])
    days = np.arange(longest, len(s))
    X = np.stack([(running[days] - running[days - w]) / w for w in windows], axis=1)
    return X, days


def _past_days(fn: str, s: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Row i: the `days` values before day t = days + i, the latest first; and those t."""
    if len(s) <= days:
        raise ValueError(f"{fn}: a series of {len(s)} days is too short for days={days} (needs "
                         f"at least {days + 1} days)")
    # column j - 1 is the series shifted by j days: one slice per column, no loop over days
    X = np.stack([s[days - j:len(s) - j] for j in range(1, days + 1)], axis=1)
    return X, np.arange(days, len(s))
