"""nn.selection: KFold, StratifiedKFold, cross_validate, GridSearch.

Every sample is validated on exactly once, train and validation never overlap, fold sizes are
scikit-learn's (the first n % k folds one larger), stratified folds keep each class's share,
seeded shuffles are reproducible, and bad arguments fail at once with a clear message.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, manual_seed
from nn import MLP, LinearRegression, SoftmaxRegression, cross_entropy, mse_loss
from nn.optim import SGD
from nn.selection import (GridSearch, KFold, StratifiedKFold, _splits, cross_validate,
                          learning_curve, validation_curve)


def val_folds(cv, X, y=None) -> list[list[int]]:
    return [val.tolist() for _, val in cv.split(X, y)]


def check_partition(splits, n_samples: int) -> None:
    """Each pair splits range(n) into disjoint sorted parts; each index validated on once."""
    seen = np.zeros(n_samples, dtype=int)
    for train, val in splits:
        assert train.dtype.kind == "i" and val.dtype.kind == "i"
        assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
        np.testing.assert_array_equal(np.union1d(train, val), np.arange(n_samples))
        assert len(train) + len(val) == n_samples
        seen[val] += 1
    np.testing.assert_array_equal(seen, 1)


def expected_sizes(n_samples: int, k: int) -> list[int]:
    return [n_samples // k + (i < n_samples % k) for i in range(k)]


# ----------------------------------------------------------------------------------------------
# KFold
# ----------------------------------------------------------------------------------------------

def test_kfold_consecutive_folds():
    """10 samples, 3 folds: sizes 4, 3, 3, cut in order."""
    splits = list(KFold(3).split(np.zeros((10, 2))))
    assert [val.tolist() for _, val in splits] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert splits[1][0].tolist() == [0, 1, 2, 3, 7, 8, 9]
    assert KFold(3).get_n_splits() == 3 == len(splits)


@settings(max_examples=60)
@given(n=st.integers(2, 60), k=st.integers(2, 10), shuffle=st.booleans(), seed=st.integers(0, 99))
def test_kfold_partitions_with_sklearn_sizes(n, k, shuffle, seed):
    k = min(k, n)
    cv = KFold(k, shuffle=shuffle, seed=seed if shuffle else None)
    splits = list(cv.split(np.arange(n)))
    assert len(splits) == k
    check_partition(splits, n)
    assert [len(val) for _, val in splits] == expected_sizes(n, k)


def test_kfold_seeded_shuffle_is_reproducible():
    X = np.zeros(20)
    cv = KFold(4, shuffle=True, seed=7)
    first = val_folds(cv, X)
    assert val_folds(cv, X) == first                          # every call: the same folds
    assert val_folds(KFold(4, shuffle=True, seed=7), X) == first
    assert val_folds(KFold(4, shuffle=True, seed=8), X) != first
    assert first != val_folds(KFold(4), X)                    # it did shuffle



def test_the_splitters_take_scikit_learn_s_random_state_for_the_seed():
    """A Kaggle notebook's `KFold(n_splits=5, shuffle=True, random_state=42)` (s34)."""
    X, y = np.zeros(20), np.arange(20) % 2
    for cls in (KFold, StratifiedKFold):
        assert (val_folds(cls(4, shuffle=True, random_state=7), X, y)
                == val_folds(cls(4, shuffle=True, seed=7), X, y))
        assert cls(4, shuffle=True, random_state=7).seed == 7
        with pytest.raises(TypeError, match=r"give seed=1 or random_state=2 .*not both"):
            cls(4, shuffle=True, seed=1, random_state=2)
        with pytest.raises(ValueError, match=r"random_state=3 has no effect with "
                                             r"shuffle=False.*leave random_state=None"):
            cls(4, random_state=3)
        with pytest.raises(ValueError, match=r"^\w+: random_state must be non-negative"):
            cls(4, shuffle=True, random_state=-1)         # (named as written, not 'seed')
        with pytest.raises(TypeError, match=r"^\w+: random_state must be an integer"):
            cls(4, shuffle=True, random_state=np.random.default_rng(0))

def test_kfold_without_seed_uses_the_shared_generator():
    X = np.zeros(20)
    cv = KFold(4, shuffle=True)
    manual_seed(3)
    first, second = val_folds(cv, X), val_folds(cv, X)
    assert first != second                                    # a new shuffle each call
    manual_seed(3)
    assert val_folds(cv, X) == first                          # ... replayed by manual_seed


def test_kfold_accepts_tensors_lists_and_checks_y_length():
    assert val_folds(KFold(2), Tensor(np.zeros((4, 3)))) == [[0, 1], [2, 3]]
    assert val_folds(KFold(2), [[1, 2], [3, 4], [5, 6]]) == [[0, 1], [2]]
    assert val_folds(KFold(2), np.zeros(4), np.arange(4)) == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match=r"X has 4 samples but y has shape \(3,\)"):
        KFold(2).split(np.zeros(4), np.arange(3))


# ----------------------------------------------------------------------------------------------
# StratifiedKFold
# ----------------------------------------------------------------------------------------------

def test_stratified_worked_example():
    """6 of class 0 and 3 of class 1 in 3 folds: each fold validates on 2 + 1. Within a class
    the folds are consecutive blocks in data order."""
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1])
    assert val_folds(StratifiedKFold(3), np.zeros(9), y) == [[0, 1, 6], [2, 3, 7], [4, 5, 8]]


def test_stratified_classes_share_out_their_extra_samples():
    """Three classes of 3 in 2 folds: each class has one extra sample for one fold. The deal
    continues from class to class, so the extras go to fold 0 (a), fold 1 (b), fold 0 (c):
    sizes 5 and 4 as in KFold. (Starting every class at fold 0 would give sizes 6 and 3.)"""
    y = np.array(list("aaabbbccc"))
    folds = val_folds(StratifiedKFold(2), np.zeros(9), y)
    assert folds == [[0, 1, 3, 6, 7], [2, 4, 5, 8]]
    assert [sorted(y[f].tolist()) for f in folds] == [list("aabcc"), list("abbc")]


labels_and_k = st.tuples(st.integers(2, 6), st.integers(1, 4)).flatmap(
    lambda kc: st.tuples(st.just(kc[0]),
                         st.lists(st.integers(0, kc[1] - 1), min_size=kc[0] * 2, max_size=60)))


@settings(max_examples=60)
@given(labels_and_k, st.booleans(), st.integers(0, 99))
def test_stratified_keeps_class_proportions(data, shuffle, seed):
    """Every fold holds floor(count / k) or ceil(count / k) of each class; fold sizes are
    KFold's; the folds partition the samples."""
    k, y = data[0], np.array(data[1]) * 5 - 3            # labels need not be 0..C-1
    counts = {c: np.sum(y == c) for c in np.unique(y)}
    if max(counts.values()) < k:
        return                                           # covered by the error test below
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # a class smaller than k: tested below
        splits = list(StratifiedKFold(k, shuffle=shuffle, seed=seed if shuffle else None)
                      .split(np.zeros((len(y), 2)), y))
    check_partition(splits, len(y))
    assert [len(val) for _, val in splits] == expected_sizes(len(y), k)
    for _, val in splits:
        for c, count in counts.items():
            assert count // k <= np.sum(y[val] == c) <= -(-count // k)


def test_stratified_seeded_shuffle_is_reproducible_and_shuffles():
    y = np.array([0, 1] * 15)
    X = np.zeros(30)
    first = val_folds(StratifiedKFold(3, shuffle=True, seed=1), X, y)
    assert val_folds(StratifiedKFold(3, shuffle=True, seed=1), X, y) == first
    assert first != val_folds(StratifiedKFold(3, shuffle=True, seed=2), X, y)
    assert first != val_folds(StratifiedKFold(3), X, y)


def test_stratified_small_class_warns_and_all_small_fails():
    y = np.array([0] * 8 + [1] * 2)
    with pytest.warns(UserWarning, match="only 2 members, fewer than n_splits=3") as record:
        splits = list(StratifiedKFold(3).split(np.zeros(10), y))
    assert record[0].filename == __file__
    check_partition(splits, 10)
    with pytest.raises(ValueError, match="n_splits=3 is more than the number of members of "
                                         "every class"):
        StratifiedKFold(3).split(np.zeros(4), [0, 0, 1, 1])


@pytest.mark.parametrize("y, message", [
    (None, "needs the class labels y"),
    (np.arange(5), r"X has 6 samples but y has shape \(5,\)"),
    (np.linspace(0, 1, 6), r"non-integer values such as 0.2.*KFold"),
    (np.zeros((6, 2)), r"y has shape \(6, 2\)"),
])
def test_stratified_bad_labels(y, message):
    with pytest.raises(ValueError, match=message):
        StratifiedKFold(2).split(np.zeros(6), y)


def test_stratified_accepts_column_and_string_labels():
    y = np.array([[0], [1], [0], [1]])
    assert val_folds(StratifiedKFold(2), np.zeros(4), y) == [[0, 1], [2, 3]]
    y = np.array(["no", "yes", "no", "yes"])
    assert val_folds(StratifiedKFold(2), np.zeros(4), y) == [[0, 1], [2, 3]]


# ----------------------------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [KFold, StratifiedKFold])
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(n_splits=1), ValueError, "n_splits must be at least 2"),
    (dict(n_splits=2.5), TypeError, "n_splits must be an integer"),
    (dict(n_splits=True), TypeError, "n_splits must be an integer"),
    (dict(shuffle="yes"), TypeError, "shuffle must be True or False"),
    (dict(seed=3), ValueError, "seed=3 has no effect with shuffle=False"),
    (dict(shuffle=True, seed=-1), ValueError, "seed must be non-negative, got -1"),
    (dict(shuffle=True, seed=1.5), TypeError, "seed must be an integer or None"),
])
def test_bad_arguments(cls, kwargs, error, message):
    with pytest.raises(error, match=f"{cls.__name__}: {message}"):
        cls(**kwargs)


@pytest.mark.parametrize("cls", [KFold, StratifiedKFold])
def test_more_folds_than_samples_fails_at_the_call(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}.split: n_splits=5 is more than the "
                                         rf"number of samples \(3\)"):
        cls(5).split(np.zeros(3), [0, 1, 0])
    with pytest.raises(TypeError, match="X must be an array"):
        cls(2).split(7, [0, 1])


def test_repr_and_defaults():
    assert repr(KFold()) == "KFold(n_splits=5, shuffle=False, seed=None)"
    assert repr(StratifiedKFold(3, shuffle=True, seed=0)) == \
        "StratifiedKFold(n_splits=3, shuffle=True, seed=0)"
    assert StratifiedKFold().get_n_splits(np.zeros(10), np.zeros(10)) == 5


# -- cross_validate and GridSearch ---------------------------------------------------------------


def _two_blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = (rng.normal(0, 0.8, (n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)).astype(np.float32)
    return X, y


def _build(lr=0.5, calls=None):
    model = SoftmaxRegression(2, 2)
    if calls is not None:
        calls.append(model)
    return model, cross_entropy, SGD(model.parameters(), lr=lr)


def test_cross_validate_trains_a_fresh_model_per_fold_and_scores_held_out_data():
    X, y = _two_blobs()
    calls = []
    folds = list(KFold(3, shuffle=True, seed=0).split(X, y))
    scores = cross_validate(lambda: _build(calls=calls), X, y, cv=folds,
                            fit_kwargs={"epochs": 5, "batch_size": 8}, metrics=("accuracy",))
    assert len(calls) == 3 and len({id(m) for m in calls}) == 3
    assert len(scores["folds"]) == 3
    assert set(scores["mean"]) == {"loss", "accuracy"}
    # each fold's score is the fold's model on the fold's validation part
    for model, fold, (_, val) in zip(calls, scores["folds"], folds):
        predicted = model(X[val]).numpy().argmax(1)
        assert fold["accuracy"] == np.mean(predicted == y[val])
    fold_accuracies = [f["accuracy"] for f in scores["folds"]]
    assert scores["mean"]["accuracy"] == pytest.approx(np.mean(fold_accuracies))
    assert scores["mean"]["accuracy"] > 0.9


def test_fits_arguments_given_directly_say_they_go_in_fit_kwargs():
    """cross_validate(build, X, y, cv=3, epochs=5), as one writes fit(..., epochs=5), said only
    "got an unexpected keyword argument 'epochs'": nothing of fit_kwargs, where they go."""
    X, y = _two_blobs()
    message = (r"{}: epochs=5, batch_size=8 are fit's arguments: pass them as "
               r"fit_kwargs={{'epochs': 5, 'batch_size': 8}}$")
    with pytest.raises(TypeError, match="^" + message.format("cross_validate")):
        cross_validate(_build, X, y, cv=3, epochs=5, batch_size=8)
    with pytest.raises(TypeError, match="^" + message.format("GridSearch")):
        GridSearch(_build, {"lr": [0.1, 0.5]}, cv=3, epochs=5, batch_size=8)
    with pytest.raises(TypeError, match=r"^learning_curve: epochs=5 is fit's argument: pass it "
                                        r"as fit_kwargs={'epochs': 5}$"):
        learning_curve(_build, X, y, [10, 20], (X, y), epochs=5)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'epoch'"):   # not fit's
        cross_validate(_build, X, y, cv=3, epoch=5)
    # the help still shows each function's own arguments
    import inspect
    assert "fit_kwargs" in inspect.signature(cross_validate).parameters
    assert "param_grid" in inspect.signature(GridSearch).parameters


def test_cross_validate_scores_labels_of_a_regression_model_through_predict():
    """predict= in fit_kwargs reads a regression model's outputs as labels, as in fit and
    evaluate; cross_validate refused the label metrics, asking for the predict= it was given."""
    X = np.random.default_rng(0).normal(size=(30, 1)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)

    def build():
        model = LinearRegression(1)
        return model, mse_loss, SGD(model.parameters(), lr=0.1)

    def predict(outputs):
        return (outputs.reshape(-1) > 0.5).astype(np.float32)

    scores = cross_validate(build, X, y, cv=3, metrics=["accuracy"],
                            fit_kwargs={"epochs": 2, "predict": predict})
    assert set(scores["mean"]) == {"loss", "accuracy"}


def test_cross_validate_with_a_fold_count_stratifies_class_labels():
    X, y = _two_blobs(40)
    calls = []
    cross_validate(lambda: _build(calls=calls), X, y, cv=4, fit_kwargs={"epochs": 1})
    assert len(calls) == 4


def test_cross_validate_checks_what_build_model_returns():
    X, y = _two_blobs(20)
    with pytest.raises(TypeError, match=r"^cross_validate: build_model must return a \(model, "
                                        r"loss_fn, optimizer\) triple, got a value of type MLP$"):
        cross_validate(lambda: MLP(2, [2], 2), X, y, cv=2)
    with pytest.raises(TypeError, match=r"^cross_validate: .* triple, got a tuple of 2$"):
        cross_validate(lambda: (MLP(2, [2], 2), None), X, y, cv=2)


def test_a_model_or_a_lone_grid_value_is_refused_before_any_training():
    """A model passed for build_model (one object trained on every fold) and a grid value that
    is not a list (a number: not iterable; a string: tried letter by letter) are named."""
    X, y = _two_blobs(20)
    model = MLP(2, [2], 2)
    with pytest.raises(TypeError, match=r"cross_validate: build_model must be a function "
                                        r"returning a fresh .*got the model MLP"):
        cross_validate(model, X, y, cv=2)
    with pytest.raises(TypeError, match="GridSearch: build_model must be a function.*got int"):
        GridSearch(3, {"lr": [0.1]})
    for lone in (0.1, "relu"):
        with pytest.raises(TypeError, match=rf"GridSearch: param_grid\['lr'\] must be a list of "
                                            rf"the values to try, got {lone!r}; write \[{lone!r}\]"):
            GridSearch(_build, {"lr": lone})
    with pytest.raises(TypeError, match="param_grid must be a dict.*got list"):
        GridSearch(_build, [{"lr": [0.1]}])


def test_a_model_built_once_outside_build_model_is_refused_at_the_second_fold():
    """build_model returning the same model every call trained it fold after fold, so each
    fold started from weights that had seen its validation rows: noise labels scored far above
    chance. Now the second fold's build is refused, before it trains."""
    X, y = _two_blobs(30)
    shared = SoftmaxRegression(2, 2)
    trained = []

    def build_shared(lr=0.5):
        trained.append(1)
        return shared, cross_entropy, SGD(shared.parameters(), lr=lr)

    message = (r"^cross_validate: build_model returned, for fold 1, the same model it returned "
               r"for fold 0; each fold must start from a fresh model, or it trains on weights "
               r"that saw its validation rows\. Create the model inside build_model: "
               r"def build\(\): model = MLP")
    with pytest.raises(ValueError, match=message):
        cross_validate(build_shared, X, y, cv=3, fit_kwargs={"epochs": 1})
    assert len(trained) == 2
    # a fresh model around a shared layer is the same leak
    layer = SoftmaxRegression(2, 2)

    def build_wrapped():
        model = MLP(2, [], 2)
        model.inner = layer
        return model, cross_entropy, SGD(model.parameters(), lr=0.1)

    with pytest.raises(ValueError, match=r"for fold 1, a model sharing parameters with the one "
                                         r"it returned for fold 0"):
        cross_validate(build_wrapped, X, y, cv=2, fit_kwargs={"epochs": 1})
    # across GridSearch's candidates too, and learning_curve's sizes
    with pytest.raises(ValueError, match=r"^GridSearch.fit: build_model returned, for candidate "
                                         r"\{'lr': 0.5\}, fold 1, the same model"):
        GridSearch(build_shared, {"lr": [0.5, 0.1]}, cv=2, fit_kwargs={"epochs": 1}).fit(X, y)
    with pytest.raises(ValueError, match=r"^learning_curve: build_model returned, for train "
                                         r"size 20, the same model it returned for train size "
                                         r"10; each train size must start from a fresh model"):
        learning_curve(build_shared, X, y, [10, 20], (X, y), {"epochs": 1})


def test_fresh_models_are_not_mistaken_for_the_freed_ones_whose_ids_they_reuse():
    """Ids of freed models and parameters are given to new ones: that alone is no sharing."""
    X, y = _two_blobs(40)
    scores = cross_validate(_build, X, y, cv=10, fit_kwargs={"epochs": 1})
    assert len(scores["folds"]) == 10
    search = GridSearch(_build, {"lr": [0.1, 0.2, 0.5]}, cv=4, fit_kwargs={"epochs": 1})
    assert search.fit(X, y).best_model is not None


def test_seed_fixes_the_folds_and_manual_seed_makes_the_scores_repeatable():
    """seed=0 (the default) fixes only the folds: initial weights and fit's shuffling come from
    the shared generator, so identical calls differ unless manual_seed is called first, as
    the docstrings say."""
    X, y = _two_blobs(40)

    def run():
        return cross_validate(_build, X, y, cv=4, fit_kwargs={"epochs": 2, "batch_size": 8})

    manual_seed(1)
    first = run()
    assert run()["mean"] != first["mean"]           # the same folds, other weights and orders
    manual_seed(1)
    assert run() == first
    search = GridSearch(_build, {"lr": [0.1, 0.5]}, cv=3, fit_kwargs={"epochs": 2})
    manual_seed(2)
    before = [r["mean"] for r in search.fit(X, y).results]
    manual_seed(2)
    assert [r["mean"] for r in search.fit(X, y).results] == before
    assert "seed` fixes the folds only" in cross_validate.__doc__
    assert "manual_seed" in GridSearch.__doc__


def test_explicit_pairs_whose_train_and_val_overlap_are_refused():
    """(train, val) pairs given as cv were taken as they came: validation rows that were also
    trained on scored the model on what it had seen."""
    X, y = _two_blobs(60)
    good = (np.arange(30), np.arange(30, 60))
    bad = (np.arange(60), np.arange(30, 60))
    with pytest.raises(ValueError, match=r"^cross_validate: the \(train, val\) pair of fold 1 "
                                         r"shares 30 of its indices \(30, 31, 32, 33, 34, "
                                         r"\.\.\.\); the model would be scored on rows it "
                                         r"trained on"):
        cross_validate(_build, X, y, cv=[good, bad], fit_kwargs={"epochs": 1})
    mask = np.zeros(60, dtype=bool)
    mask[:31] = True
    with pytest.raises(ValueError, match=r"fold 0 shares 1 of its indices \(30\)"):
        cross_validate(_build, X, y, cv=[(mask, ~mask | (np.arange(60) == 30))])
    with pytest.raises(ValueError, match=r"^GridSearch.fit: .* fold 0 shares 1 .*\(59\)"):
        GridSearch(_build, {"lr": [0.1]}, cv=[(np.arange(-1, 30), good[1])]).fit(X, y)
    assert len(cross_validate(_build, X, y, cv=[good, good[::-1]],
                              fit_kwargs={"epochs": 1})["folds"]) == 2


def test_grid_search_selects_on_folds_and_refits_on_all_data():
    X, y = _two_blobs()
    search = GridSearch(_build, {"lr": [0.0, 0.5]}, cv=3,        # lr 0: never learns
                        fit_kwargs={"epochs": 5, "batch_size": 8})
    assert search.candidates() == [{"lr": 0.0}, {"lr": 0.5}]
    assert search.fit(X, y) is search
    assert search.best_params == {"lr": 0.5}
    assert search.best_score == max(r["mean"]["accuracy"] for r in search.results)
    assert len(search.results) == 2
    assert (search.best_model(X).numpy().argmax(1) == y).mean() > 0.9
    table = search.table()
    assert table.splitlines()[0].startswith("lr")
    assert "0.5" in table.splitlines()[2] and table.splitlines()[2].endswith(" *")


def test_grid_search_can_minimise_the_loss_and_skip_the_refit():
    X, y = _two_blobs()
    search = GridSearch(_build, {"lr": [1e-4, 0.5]}, cv=2, fit_kwargs={"epochs": 3},
                        scoring="loss", refit=False).fit(X, y)
    assert search.best_params == {"lr": 0.5} and search.best_model is None
    assert search.best_score == min(r["mean"]["loss"] for r in search.results)


def test_grid_search_rejects_an_empty_grid_and_an_unknown_score():
    with pytest.raises(ValueError, match="needs at least one value per parameter"):
        GridSearch(_build, {"lr": []})
    # an unknown name is said when the search is made, not after a candidate has trained
    with pytest.raises(ValueError, match="scoring 'auc' is neither 'loss' nor one of the "
                                         "metrics .*, nor a name of nn.scoring.METRICS"):
        GridSearch(_build, {"lr": [0.1]}, cv=2, fit_kwargs={"epochs": 1}, scoring="auc")


def test_cross_validate_folds_one_hot_labels_and_refuses_bad_fold_counts():
    X, y = _two_blobs(24)
    one_hot = np.eye(2, dtype=np.int64)[y]          # cross_entropy takes such rows too
    scores = cross_validate(_build, X, one_hot, cv=3, fit_kwargs={"epochs": 1})
    assert len(scores["folds"]) == 3
    with pytest.raises(ValueError, match="cross_validate: cv=1, but cross-validation needs at "
                                         "least 2 folds"):
        cross_validate(_build, X, y, cv=1)
    with pytest.raises(TypeError, match="GridSearch.fit: cv must be a number of folds"):
        GridSearch(_build, {"lr": [0.1]}, cv=True).fit(X, y)


def test_metrics_may_be_one_name_but_not_hidden_in_fit_kwargs():
    X, y = _two_blobs(24)
    scores = cross_validate(_build, X, y, cv=2, fit_kwargs={"epochs": 1}, metrics="f1")
    assert set(scores["mean"]) == {"loss", "f1"}
    search = GridSearch(_build, {"lr": [0.1]}, cv=2, fit_kwargs={"epochs": 1}, metrics="f1")
    assert search.fit(X, y).scoring == "f1"
    with pytest.raises(ValueError, match="cross_validate: pass metrics= as its own argument"):
        cross_validate(_build, X, y, cv=2, fit_kwargs={"epochs": 1, "metrics": ["f1"]})
    with pytest.raises(ValueError, match="GridSearch: pass metrics= as its own argument"):
        GridSearch(_build, {"lr": [0.1]}, fit_kwargs={"metrics": ["f1"]})


def test_grid_search_ranks_a_diverging_combination_last_and_carries_on():
    X, y = _two_blobs()
    search = GridSearch(_build, {"lr": [1e38, 0.5]}, cv=2, fit_kwargs={"epochs": 3})
    with np.errstate(all="ignore"), pytest.warns(
            RuntimeWarning, match=r"GridSearch: \{'lr': 1e\+38\} diverged \(fit: the loss became"):
        search.fit(X, y)
    assert search.best_params == {"lr": 0.5}
    assert search.results[0]["mean"] is None and "diverged" in search.results[0]
    assert search.table().splitlines()[1].split()[1:] == ["diverged", "diverged"]


@pytest.mark.parametrize("scoring", ["loss", "accuracy"])
def test_grid_search_never_picks_a_combination_that_scored_nan(scoring):
    """Training went fine, but the held-out outputs are NaN: its scores are NaN, which min()
    kept as the best when that combination came first."""
    class NaNWhenEvaluated(SoftmaxRegression):
        def forward(self, x):
            out = super().forward(x)
            return out * np.nan if self.broken and not self.training else out

    def build(broken):
        model = NaNWhenEvaluated(2, 2)
        model.broken = broken
        return model, cross_entropy, SGD(model.parameters(), lr=0.5)

    X, y = _two_blobs()
    search = GridSearch(build, {"broken": [True, False]}, cv=2, fit_kwargs={"epochs": 2},
                        scoring=scoring)
    with pytest.warns(RuntimeWarning, match="evaluate: the model's outputs are NaN"):
        search.fit(X, y)
    assert search.best_params == {"broken": False} and not np.isnan(search.best_score)


def test_grid_search_fails_when_every_combination_diverges():
    from nn.train import TrainingDiverged
    X, y = _two_blobs()
    search = GridSearch(_build, {"lr": [1e38]}, cv=2, fit_kwargs={"epochs": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TrainingDiverged, match="GridSearch: every combination diverged, "
                                                   "the first with: fit: the loss became"):
            search.fit(X, y)
    assert search.best_params is None
    assert search.table().splitlines() == ["lr     score (mean ± std)", "1e+38  diverged"]


def test_grid_search_table_shows_huge_finite_scores_in_scientific_notation():
    """A loss that blows up but stays finite (~1e32 here) is shown as 2.23e+32, not as 40
    digits; ordinary scores keep their four decimals."""
    X = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
    y = X @ np.array([1.0, -2.0], np.float32)

    def build(weight):
        model = LinearRegression(2)
        model.weight.data[:] = weight                 # lr 0: the weights stay where they start
        return model, mse_loss, SGD(model.parameters(), lr=0.0)

    search = GridSearch(build, {"weight": [1e16, 0.0]}, cv=2, fit_kwargs={"epochs": 1},
                        scoring="loss", refit=False).fit(X, y)
    header, huge, ordinary = search.table().splitlines()
    assert max(len(line) for line in (header, huge, ordinary)) < 70
    assert huge.startswith("1e+16 ") and "e+32 ± " in huge and "e+" in huge.split("±")[-1]
    assert ordinary.startswith("0.0 ") and ordinary.endswith(" *")
    assert all("." in cell and len(cell.split(".")[1]) == 4 for cell in
               ordinary.split()[1:-1] if cell != "±")


def test_grid_search_fit_again_forgets_the_best_of_the_fit_before():
    """A second fit in which every combination diverges leaves no best from the first one."""
    from nn.train import TrainingDiverged
    X, y = _two_blobs()
    search = GridSearch(_build, {"lr": [0.5]}, cv=2, fit_kwargs={"epochs": 3}).fit(X, y)
    assert search.best_params == {"lr": 0.5} and search.best_model is not None
    search.param_grid = {"lr": [1e38]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TrainingDiverged):
            search.fit(X, y)
    assert (search.best_params, search.best_score, search.best_model) == (None, None, None)


def _line_builder():
    model = LinearRegression(1, dtype=np.float64)
    return model, mse_loss, SGD(model.parameters(), lr=0.5)


def test_learning_curve_trains_on_growing_prefixes_and_scores_them_and_the_fixed_set():
    """Each size: a fresh model fitted on the first n rows, scored on them and on val_data;
    the numbers are evaluate's on a model trained the same way by hand."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (30, 1))
    y = (x ** 2).ravel()
    curve = learning_curve(_line_builder, x[:20], y[:20], [0.1, 10, 1.0], (x[20:], y[20:]),
                           {"epochs": 50, "batch_size": 20, "shuffle": False})
    assert curve["train_sizes"] == [2, 10, 20]
    assert set(curve["train"]) == set(curve["val"]) == {"loss", "r2"}
    assert curve["higher_is_better"] == {"loss": False, "r2": True}
    from nn import evaluate, fit
    model, loss_fn, optimizer = _line_builder()
    fit(model, loss_fn, optimizer, (x[:10], y[:10]), epochs=50, batch_size=20, shuffle=False,
        progress=False)
    assert curve["train"]["loss"][1] == evaluate(model, loss_fn, (x[:10], y[:10]))["loss"]
    assert curve["val"]["loss"][1] == evaluate(model, loss_fn, (x[20:], y[20:]))["loss"]
    assert curve["train"]["loss"][0] < 1e-6 < curve["train"]["loss"][2]   # 2 points: exact


def test_learning_curve_fractions_are_not_rounded_up_past_their_count():
    """0.55 × 100 is 55.00000000000001 in floats, and 0.07 × 100 7.000000000000001: rounded up
    they trained on 56 and 8 rows. A fraction that is no whole count still rounds up."""
    from nn.selection import _train_sizes
    assert _train_sizes("learning_curve", [0.07, 0.55, 0.555, 1.0], 100) == [7, 55, 56, 100]
    assert _train_sizes("learning_curve", [0.1, 0.5], 3) == [1, 2]


@pytest.mark.parametrize("sizes, error, message", [
    ([0], ValueError, r"train size 0 is outside 1\.\.5"),
    ([6], ValueError, r"train size 6 is outside 1\.\.5"),
    ([1.5], ValueError, r"fraction outside \(0, 1\]"),
    ([4, 2], ValueError, r"must increase, got the counts \[4, 2\]"),
    ([], ValueError, "train_sizes is empty"),
    (5, TypeError, "must be a list of counts or fractions"),
    ([True], TypeError, "holds True"),
])
def test_learning_curve_checks_the_sizes_before_training(sizes, error, message):
    X, y = np.zeros((5, 1)), np.zeros(5)
    with pytest.raises(error, match=message):
        learning_curve(_line_builder, X, y, sizes, (X, y))


def test_learning_curve_needs_a_validation_pair_and_a_builder():
    X, y = np.zeros((5, 1)), np.zeros(5)
    with pytest.raises(TypeError, match=r"val_data must be an \(X_val, y_val\) pair"):
        learning_curve(_line_builder, X, y, [2], X)
    with pytest.raises(TypeError, match="build_model must be a function"):
        learning_curve(LinearRegression(1), X, y, [2], (X, y))
    with pytest.raises(ValueError, match=r"X has 5 samples but y has shape \(4,\)"):
        learning_curve(_line_builder, X, y[:4], [2], (X, y))


def test_learning_curve_checks_val_data_before_training():
    """A malformed val_data was found by evaluate after the first model had trained, and the
    error named evaluate."""
    X, y = np.zeros((5, 1)), np.zeros(5)
    built = []

    def build():
        built.append(1)
        return _line_builder()

    with pytest.raises(ValueError, match=r"^learning_curve: val_data: X has 5 samples but y has "
                                         r"4 labels"):
        learning_curve(build, X, y, [2], (X, y[:4]))
    with pytest.raises(ValueError, match=r"^learning_curve: val_data: X contains NaN"):
        learning_curve(build, X, y, [2], (X + np.nan, y))
    assert built == []


def test_learning_curve_names_val_data_the_model_or_loss_refuses():
    """val_data that only the trained model can refuse (a flat y for one output column, a
    wrong width): the error named evaluate ("evaluate: mse_loss got ..."), which the learner
    never called, or was the layer's alone; it starts 'learning_curve: val_data: '."""
    from nn import MLP

    def build():
        model = MLP(1, [4], 1)
        return model, mse_loss, SGD(model.parameters(), lr=0.1)

    x = np.linspace(-1, 1, 12).reshape(-1, 1)
    y = x ** 2
    with pytest.raises(ValueError, match=r"^learning_curve: val_data: mse_loss got the model's "
                                         r"outputs of shape \(\d+, 1\) and targets of shape"):
        learning_curve(build, x, y, [6], (x, y.ravel()), {"epochs": 1})
    with pytest.raises(ValueError, match=r"^learning_curve: val_data: Linear\(in_features=1, "):
        learning_curve(build, x, y, [6], (np.hstack([x, x]), y), {"epochs": 1})


def test_cross_validate_reports_an_overflowing_score_without_numpys_warnings():
    """A model whose validation loss sums past float32's range (batches of 16 train, the fold
    of 100 overflows): the score says inf; numpy's "overflow encountered in reduce" from its
    own files said nothing more."""
    from nn import Linear

    def build():
        model = Linear(1, 1)
        model.weight.data[:] = 3e18
        model.bias.data[:] = 0.0
        return model, mse_loss, SGD(model.parameters(), lr=0.0)
    X, y = np.ones((300, 1), np.float32), np.zeros((300, 1), np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = cross_validate(build, X, y, cv=3, fit_kwargs={"batch_size": 16}, metrics=())
    assert scores["mean"]["loss"] == np.inf
    assert [str(w.message) for w in caught] == []


def test_cross_validate_scores_every_fold_by_the_same_default_metrics():
    """Defaults come from all of y: a fold whose targets happen to be whole numbers gets no
    accuracy that the others lack."""
    from nn import Linear, binary_cross_entropy_with_logits

    def build():
        model = Linear(2, 1)
        return model, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.1)
    X = np.random.default_rng(0).normal(size=(30, 2)).astype(np.float32)
    y = np.r_[np.zeros(10), np.ones(10), np.full(10, 0.7)].astype(np.float32)[:, None]
    scores = cross_validate(build, X, y, cv=3, fit_kwargs={"epochs": 1})
    assert [sorted(fold) for fold in scores["folds"]] == [["loss"]] * 3


def test_a_fold_count_stratifies_float_labels_as_it_does_integer_ones():
    """binary_cross_entropy's targets are floats 0.0 / 1.0: a fold count folded them plainly,
    so a fold could hold no positive at all (its recall undefined, its AUC an error). Now they
    are stratified as the same labels as integers are: each of 3 folds holds one of the 3."""
    y = np.array([1] * 3 + [0] * 12)
    for labels in (y, y.astype(np.float32), y.astype(np.float64)[:, None]):
        folds = _splits("test", 3, np.zeros((15, 1)), labels, 0)
        assert [int(labels.reshape(-1)[val].sum()) for _, val in folds] == [1, 1, 1]
    # a target of other values (0.5 / 1.5) is not classes: folded plainly, as before
    folds = _splits("test", 3, np.zeros((15, 1)), y + 0.5, 0)
    plain = KFold(3, shuffle=True, seed=0).split(np.zeros(15))
    assert [val.tolist() for _, val in folds] == [val.tolist() for _, val in plain]


def _fixed_line(scale=1.0, bias=0.0):
    """A line y = scale·x + bias that fit cannot move (lr=0): its scores are known by hand."""
    model = LinearRegression(1)
    model.weight.data[:], model.bias.data[:] = scale, bias
    return model, mse_loss, SGD(model.parameters(), lr=0.0)


def _r2(y, p):
    return 1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)


def test_cross_validate_can_score_the_training_rows_too():
    x = np.array([0.0, 1.0, 2.0, 4.0, 5.0, 7.0])[:, None]
    y = np.array([0.5, 1.0, 3.0, 3.0, 6.0, 6.5])
    folds = [(np.array([0, 1, 2]), np.array([3, 4, 5])), (np.array([3, 4, 5]), np.array([0, 1, 2]))]
    scores = cross_validate(lambda: _fixed_line(1.0, 0.5), x, y, cv=folds,
                            fit_kwargs={"epochs": 1}, metrics=("r2",), return_train_score=True)
    p = x.ravel() + 0.5
    for part, rows in (("train", [f[0] for f in folds]), ("val", [f[1] for f in folds])):
        got = scores["train"] if part == "train" else scores
        loss = [np.mean((p[r] - y[r]) ** 2) for r in rows]
        r2 = [_r2(y[r], p[r]) for r in rows]
        assert [f["loss"] for f in got["folds"]] == pytest.approx(loss, rel=1e-6)
        assert [f["r2"] for f in got["folds"]] == pytest.approx(r2, rel=1e-6)
        assert got["mean"]["r2"] == pytest.approx(np.mean(r2), rel=1e-6)
        assert got["std"]["loss"] == pytest.approx(np.std(loss), rel=1e-5)
    assert "train" not in cross_validate(lambda: _fixed_line(), x, y, cv=folds,
                                         fit_kwargs={"epochs": 1}, metrics=())
    with pytest.raises(TypeError, match="return_train_score must be True or False, got 'yes'"):
        cross_validate(lambda: _fixed_line(), x, y, cv=folds, return_train_score="yes")


def test_validation_curve_scores_each_value_on_the_same_folds():
    """y = 2x: the line of slope s misses each point by (2 - s)·x, so each fold's mean squared
    error is (2 - s)² · mean(x²) over its rows; a NaN slope diverges and scores NaN."""
    x = np.arange(1.0, 7.0)[:, None]
    y = 2 * x.ravel()
    folds = [(np.array([0, 2, 4]), np.array([1, 3, 5])), (np.array([1, 3, 5]), np.array([0, 2, 4]))]
    with pytest.warns(RuntimeWarning, match=r"validation_curve: scale=nan diverged"):
        curve = validation_curve(_fixed_line, x, y, "scale", [0.0, 1.5, 2.0, np.nan], cv=folds,
                                 fit_kwargs={"epochs": 1}, metrics=())
    assert curve["param_range"][:3] == [0.0, 1.5, 2.0]
    for part, rows in (("train", [0, 2, 4]), ("val", [1, 3, 5])):
        other = [1, 3, 5] if rows == [0, 2, 4] else [0, 2, 4]
        per_fold = lambda s: [(2 - s) ** 2 * np.mean(x.ravel()[r] ** 2) for r in (rows, other)]
        expected = [np.mean(per_fold(s)) for s in (0.0, 1.5, 2.0)]
        assert curve[part]["loss"][:3] == pytest.approx(expected, rel=1e-6)
        assert np.isnan(curve[part]["loss"][3])
    assert curve["higher_is_better"] == {"loss": False} and curve["folds"][3] is None
    with pytest.raises(TypeError, match=r"^validation_curve: param_range must be a list of the "
                                        r"values of scale to try, got 2.0; write \[2.0\]$"):
        validation_curve(_fixed_line, x, y, "scale", 2.0, cv=folds)
    with pytest.raises(TypeError, match="validation_curve: epochs=1 is fit's argument"):
        validation_curve(_fixed_line, x, y, "scale", [2.0], cv=folds, epochs=1)
