"""nn/metrics/probabilities.py: log_loss and top_k_accuracy_score. Hand-computed cases (weighted
too), scikit-learn's clipping, thresholds and tie rule, integer weights as repeated rows, and
clear errors for bad input.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_helpers import no_warnings, repeated, weights

from autograd import Tensor
from nn.metrics import UndefinedMetricWarning, log_loss, top_k_accuracy_score

LN = np.log

# ----------------------------------------------------------------------------------------------
# log_loss
# ----------------------------------------------------------------------------------------------


def test_log_loss_worked_examples():
    """-log of the probability of the true class, averaged: y 0 1 1 with P(1) = .2 .7 .4 gives
    the true classes .8 .7 .4. Weights 1, 2, 0: (-log .8 - 2 log .7) / 3; the sum without / 3."""
    expected = -(LN(0.8) + LN(0.7) + LN(0.4)) / 3
    with no_warnings():
        assert log_loss([0, 1, 1], [0.2, 0.7, 0.4]) == pytest.approx(expected)
        assert log_loss([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]) == pytest.approx(expected)
        assert log_loss([0, 1, 1], [[0.2], [0.7], [0.4]]) == pytest.approx(expected)
        assert log_loss(Tensor([0, 1, 1]), Tensor([0.2, 0.7, 0.4])) == \
            pytest.approx(expected, rel=1e-6)
        assert log_loss([0, 1, 1], [0.2, 0.7, 0.4], sample_weight=[1, 2, 0]) == \
            pytest.approx(-(LN(0.8) + 2 * LN(0.7)) / 3)
        assert log_loss([0, 1, 1], [0.2, 0.7, 0.4], normalize=False) == pytest.approx(3 * expected)
        assert log_loss([0, 1, 1], [0.2, 0.7, 0.4], normalize=False, sample_weight=[1, 2, 0]) == \
            pytest.approx(-(LN(0.8) + 2 * LN(0.7)))
        # text labels: the columns are the sorted labels, "ham" then "spam"
        assert log_loss(["spam", "ham"], [[0.1, 0.9], [0.8, 0.2]]) == \
            pytest.approx(-(LN(0.9) + LN(0.8)) / 2)
        # three classes, saying 1/3 each: log 3
        assert log_loss([0, 1, 2], np.full((3, 3), 1 / 3)) == pytest.approx(LN(3))
        # labels= names a class y_true lacks (its column), or the other class of a single one
        assert log_loss([0, 1], [[0.5, 0.3, 0.2], [0.2, 0.6, 0.2]], labels=[0, 1, 2]) == \
            pytest.approx(-(LN(0.5) + LN(0.6)) / 2)
        assert log_loss([1, 1], [0.9, 0.8], labels=[0, 1]) == \
            pytest.approx(-(LN(0.9) + LN(0.8)) / 2)
    assert log_loss.higher_is_better is False and log_loss.on == "probabilities"


def test_log_loss_clips_as_scikit_learn_does():
    """A probability of exactly 0 for the true class costs -log(eps), eps of y_pred's dtype,
    not infinity; a perfect prediction costs -log(1 - eps), about eps."""
    eps64, eps32 = np.finfo(np.float64).eps, np.finfo(np.float32).eps
    with no_warnings():
        assert log_loss([0, 1], [1.0, 1.0]) == pytest.approx(-(LN(eps64) + LN(1 - eps64)) / 2)
        assert log_loss([0, 1], np.array([1.0, 1.0], np.float32)) == \
            pytest.approx(-(LN(float(eps32)) + LN(1 - float(eps32))) / 2)
        assert log_loss([0, 1], [0.0, 1.0]) == pytest.approx(0.0, abs=1e-15)
        assert log_loss([0, 1, 2], np.eye(3)) == pytest.approx(0.0, abs=1e-15)


def test_log_loss_rows_that_do_not_sum_to_one_warn_and_are_used_as_they_are():
    probs = [[0.5, 0.3, 0.1], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]]
    with pytest.warns(UserWarning, match=r"log_loss: the rows of y_pred do not sum to 1 \(row 0 "
                                         r"sums to 0.9\)"):
        assert log_loss([0, 1, 2], probs) == pytest.approx(-(LN(0.5) + LN(0.6) + LN(0.8)) / 3)


def test_log_loss_as_a_metric_of_evaluate_scores_the_probabilities():
    """Declared on the probabilities: a model ending in a sigmoid gets its binary cross-entropy
    (in float64), and so does a model of logits, given σ of them (it was refused, "apply
    sigmoid or softmax"; scored as if they were probabilities, or by its 0/1 labels, it would
    be a wrong number)."""
    from nn import (LogisticRegression, Linear, Sequential, Sigmoid, binary_cross_entropy,
                    binary_cross_entropy_with_logits, evaluate)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = Sequential(Linear(2, 1), Sigmoid())
    scores = evaluate(model, binary_cross_entropy, (X, y[:, None].astype(np.float32)),
                      metrics=[log_loss])
    assert scores["log_loss"] == pytest.approx(scores["loss"], rel=1e-6)
    logits = LogisticRegression(2)
    logits.weight.data[...] = [[1.0, 0.3]]
    scores = evaluate(logits, binary_cross_entropy_with_logits, (X, y), metrics=[log_loss])
    z = X.astype(np.float64) @ [1.0, 0.3]            # (the model computes z in float32)
    assert scores["log_loss"] == pytest.approx(np.mean(np.logaddexp(0, -z) + (1 - y) * z),
                                               rel=1e-6)


@pytest.mark.parametrize("call, error, message", [
    (lambda: log_loss([0, 1], [0.5, 1.2]), ValueError,
     r"log_loss: y_pred holds values above 1 such as 1.2; it takes probabilities \(apply "
     r"sigmoid or softmax"),
    (lambda: log_loss([0, 1], [-0.1, 0.8]), ValueError, "values below 0 such as -0.1"),
    (lambda: log_loss([1, 1], [0.9, 0.8]), ValueError,
     r"log_loss: there is one class only \(classes found in y_true: \[1\]\); pass labels="),
    (lambda: log_loss([1, 1], [0.9, 0.8], labels=[1]), ValueError, "one class only"),
    (lambda: log_loss([0, 1, 2], np.full((3, 2), 0.5)), ValueError,
     r"y_pred has 2 columns but there are 3 classes found in y_true, \[0, 1, 2\]"),
    (lambda: log_loss([0, 1, 2], [0.5, 0.5, 0.5]), ValueError,
     r"y_pred has one score per sample, shape \(3,\), which is for two classes, but there are 3"),
    (lambda: log_loss([0, 1], np.full((2, 2), 0.5), labels=[1, 0]), ValueError,
     r"labels must be sorted, got \[1, 0\]"),
    (lambda: log_loss([0, 3], np.full((2, 2), 0.5), labels=[0, 1]), ValueError,
     r"y_true holds labels \[3\] that are not in labels \[0, 1\]"),
    (lambda: log_loss([0, 1], [0.5, np.nan]), ValueError, "log_loss: y_pred contains NaN"),
    (lambda: log_loss([0, 1], np.full((2, 2, 2), 0.5)), ValueError, r"expected \(n,\) for two"),
    (lambda: log_loss([0, 1, 1], [0.5, 0.5]), ValueError, "different numbers of samples"),
    (lambda: log_loss([0, 1], ["a", "b"]), TypeError, "y_pred must be numbers"),
])
def test_log_loss_refuses_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------------------------
# top_k_accuracy_score
# ----------------------------------------------------------------------------------------------

SCORES = np.array([[0.5, 0.2, 0.3], [0.3, 0.4, 0.3], [0.2, 0.4, 0.4], [0.7, 0.2, 0.1]])
TRUE = np.array([0, 1, 2, 2])


def test_top_k_worked_example():
    """Ranks of the true class: row 0 first, row 1 first, row 2 first (0.4 = 0.4: the later
    column wins the tie, scikit-learn's rule), row 3 third. Weights 1 2 3 4: right 1 + 2 + 3."""
    with no_warnings():
        assert top_k_accuracy_score(TRUE, SCORES, k=1) == 0.75
        assert top_k_accuracy_score(TRUE, SCORES, k=2) == 0.75
        assert top_k_accuracy_score(TRUE, SCORES, k=2, normalize=False) == 3.0
        assert top_k_accuracy_score(TRUE, SCORES, k=2, sample_weight=[1, 2, 3, 4]) == 0.6
        assert top_k_accuracy_score(TRUE, SCORES, k=2, normalize=False,
                                    sample_weight=[1, 2, 3, 4]) == 6.0
        # logits rank as their probabilities do; the default k is 2
        assert top_k_accuracy_score(TRUE, np.log(SCORES)) == 0.75
        # ties: all equal, the later column first: k=1 picks 2, k=2 picks 2 and 1
        ties = np.full((2, 3), 0.5)
        assert top_k_accuracy_score([2, 0], ties, k=1, labels=[0, 1, 2]) == 0.5
        assert top_k_accuracy_score([1, 0], ties, k=2, labels=[0, 1, 2]) == 0.5
        # labels= gives the columns of classes y_true lacks (row 2 ranks class 2 first)
        assert top_k_accuracy_score([0, 1, 1], np.eye(3), k=1, labels=[0, 1, 2]) == \
            pytest.approx(2 / 3)
    with pytest.warns(UndefinedMetricWarning, match=r"top_k_accuracy_score: k=3 covers all 3 "
                                                    r"classes"):
        assert top_k_accuracy_score(TRUE, SCORES, k=3) == 1.0
    assert top_k_accuracy_score.higher_is_better is True


def test_top_k_of_one_score_per_sample():
    """Two classes, the larger label's score: k=1 predicts it above 0.5 when the scores are
    probabilities, above 0 otherwise (logits); k=2 covers both classes."""
    with no_warnings():
        assert top_k_accuracy_score([0, 1, 1], [0.2, 0.7, 0.4], k=1) == pytest.approx(2 / 3)
        assert top_k_accuracy_score([0, 1, 1], [-2.0, 0.7, 3.0], k=1) == 1.0
        assert top_k_accuracy_score([1, 2, 2], [0.2, 0.7, 0.4], k=1) == pytest.approx(2 / 3)
        assert top_k_accuracy_score([0, 1, 1], [0.2, 0.7, 0.4], k=1,
                                    sample_weight=[1, 1, 2]) == 0.5
    with pytest.warns(UndefinedMetricWarning, match="k=2 covers all 2 classes"):
        assert top_k_accuracy_score([0, 1, 1], [0.2, 0.7, 0.4], k=2) == 1.0


@pytest.mark.parametrize("call, message", [
    (lambda: top_k_accuracy_score(TRUE, SCORES, k=0), "k must be a whole number >= 1, got 0"),
    (lambda: top_k_accuracy_score(TRUE, SCORES, k=1.5), "got 1.5"),
    (lambda: top_k_accuracy_score(TRUE, SCORES, k=True), "got True"),
    (lambda: top_k_accuracy_score([0, 1, 1], np.eye(3), k=1), r"y_score has 3 columns but there "
     r"are 2 classes found in y_true, \[0, 1\].*pass labels= all of them"),
    (lambda: top_k_accuracy_score(TRUE, SCORES, labels=[2, 1, 0]), "labels must be sorted"),
    (lambda: top_k_accuracy_score([0, 5], np.eye(2), labels=[0, 1]), r"labels \[5\]"),
    (lambda: top_k_accuracy_score([1, 1], [0.7, 0.2], k=1), "one class only"),
    (lambda: top_k_accuracy_score([0, 1, 2], [0.1, 0.2, 0.3], k=1), "one score per sample"),
    (lambda: top_k_accuracy_score(TRUE, SCORES[:3]), "different numbers of samples"),
    (lambda: top_k_accuracy_score(TRUE, SCORES * np.inf), "y_score contains NaN or infinity"),
])
def test_top_k_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------------------------
# integer weights are repeated rows
# ----------------------------------------------------------------------------------------------

def _probabilities_with_weights(n):
    rows = st.lists(st.lists(st.integers(0, 4), min_size=3, max_size=3).filter(sum),
                    min_size=n, max_size=n)
    return st.tuples(st.lists(st.integers(0, 2), min_size=n, max_size=n), rows, weights(n))


@settings(max_examples=50)
@given(st.integers(1, 20).flatmap(_probabilities_with_weights))
def test_integer_weights_are_repeated_rows(data):
    y, counts, w = np.array(data[0]), np.array(data[1], dtype=float), np.array(data[2])
    probs = counts / counts.sum(axis=1, keepdims=True)      # few values: ties and zeros
    y_rep, probs_rep = repeated(w, y, probs)
    with no_warnings():
        for normalize in (True, False):
            assert log_loss(y, probs, labels=[0, 1, 2], normalize=normalize, sample_weight=w) == \
                pytest.approx(log_loss(y_rep, probs_rep, labels=[0, 1, 2], normalize=normalize),
                              rel=1e-12)
            for k in (1, 2):
                assert top_k_accuracy_score(y, probs, k=k, labels=[0, 1, 2], normalize=normalize,
                                            sample_weight=w) == pytest.approx(
                    top_k_accuracy_score(y_rep, probs_rep, k=k, labels=[0, 1, 2],
                                         normalize=normalize), abs=1e-12)
