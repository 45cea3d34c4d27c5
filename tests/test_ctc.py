"""The CTC loss (autograd/ops/ctc.py, `F.ctc_loss`, `nn.CTCLoss`): losses against a sum over
every path, enumerated (repeated labels, empty targets, other blanks, padding that is not read);
the gradient with respect to log_probs against finite differences at points that are not
log_softmax outputs (the true gradient); impossible alignments (inf, NaN gradient; 0 with
zero_infinity); the target layouts, one sequence, integer lengths of both widths; errors; and
PyTorch's losses and logits' gradients, asked live where torch is installed, else as recorded in
tests/reference/ctc.npz."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from nn import CTCLoss
from nn import functional as F
from nn.scoring import loss_task

from conftest import strict, t64
from reference import as_array, assert_matches, draw, recorded

REDUCTIONS = ("none", "sum", "mean")


def collapse(path, blank):
    """A path's labels: repeats merged, then blanks dropped."""
    merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    return [c for c in merged if c != blank]


def enumerated_loss(log_probs, target, blank=0):
    """-log Σ over every path of len(log_probs) steps that collapses to `target` (C^T paths)."""
    steps, classes = log_probs.shape
    scores = [log_probs[np.arange(steps), path].sum()
              for path in itertools.product(range(classes), repeat=steps)
              if collapse(path, blank) == list(target)]
    return -np.logaddexp.reduce(scores) if scores else np.inf


def log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# a batch of four: a repeated label, an empty target, a full-length one, one shorter input
TARGETS = np.array([[1, 1, 2], [2, 0, 0], [1, 2, 1], [2, 2, 0]])
INPUT_LENGTHS = np.array([5, 4, 5, 3])
TARGET_LENGTHS = np.array([2, 0, 3, 2])


def batch(rng, steps=5, n=4, classes=3):
    return log_softmax(rng.normal(size=(steps, n, classes)) * 1.5)


# ----------------------------------------------------------------------------------------------
# The loss: every alignment counted
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("blank", [0, 1, 2])
def test_each_loss_is_minus_the_log_of_the_sum_over_all_its_paths(blank, rng):
    log_probs = batch(rng)
    labels = [c for c in range(3) if c != blank]
    targets = np.array([[labels[0], labels[0], labels[1]], [labels[1], 0, 0],
                        [labels[0], labels[1], labels[0]], [labels[1], labels[1], 0]])
    losses = F.ctc_loss(t64(log_probs), targets, INPUT_LENGTHS, TARGET_LENGTHS, blank=blank,
                        reduction="none")
    expected = [enumerated_loss(log_probs[:INPUT_LENGTHS[n], n], targets[n, :TARGET_LENGTHS[n]],
                                blank) for n in range(4)]
    # "2 2" in 3 steps needs 2 _ 2: one path (a repeat needs a blank between its copies)
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(losses.data, expected, rtol=1e-13)


def test_the_reductions_sum_and_average_per_target_label(rng):
    log_probs = t64(batch(rng))
    losses = F.ctc_loss(log_probs, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none").data
    total = F.ctc_loss(log_probs, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="sum")
    mean = F.ctc_loss(log_probs, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS)
    np.testing.assert_allclose(total.data, losses.sum(), rtol=1e-15)
    # each divided by its target's length, the empty one's by 1, then the batch mean
    np.testing.assert_allclose(mean.data, np.mean(losses / [2, 1, 3, 2]), rtol=1e-15)


def test_the_padding_of_targets_and_of_inputs_is_never_read(rng):
    log_probs = batch(rng)
    clean = F.ctc_loss(t64(log_probs), TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none")
    targets = TARGETS.copy()
    targets[1] = [-7, 99, 0]                # past target_lengths: anything
    padded = log_probs.copy()
    padded[3:, 3] = np.nan                  # past input_lengths[3] = 3
    x = t64(padded)
    losses = F.ctc_loss(x, targets, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none")
    np.testing.assert_array_equal(losses.data, clean.data)
    losses.sum().backward()
    assert np.isfinite(x.grad).all() and not x.grad[3:, 3].any()


def test_padded_and_concatenated_targets_one_sequence_and_a_batch_of_one_agree(rng):
    log_probs = t64(batch(rng))
    padded = F.ctc_loss(log_probs, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none")
    concatenated = np.concatenate([TARGETS[n, :TARGET_LENGTHS[n]] for n in range(4)])
    joined = F.ctc_loss(log_probs, concatenated, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none")
    np.testing.assert_array_equal(joined.data, padded.data)
    for n in range(4):
        length = INPUT_LENGTHS[n]
        one = F.ctc_loss(log_probs[:, n], TARGETS[n, :TARGET_LENGTHS[n]], length,
                         TARGET_LENGTHS[n], reduction="none")
        assert one.shape == () and one.data == padded.data[n]
        of_one = F.ctc_loss(log_probs[:, n:n + 1], TARGETS[n:n + 1], [length],
                            TARGET_LENGTHS[n:n + 1], reduction="none")
        assert of_one.shape == (1,) and of_one.data[0] == padded.data[n]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_lengths_and_targets_of_any_integer_type(dtype, rng):
    log_probs = t64(batch(rng))
    expected = F.ctc_loss(log_probs, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS).data
    loss = F.ctc_loss(log_probs, Tensor(TARGETS.astype(dtype)),
                      Tensor(INPUT_LENGTHS.astype(dtype)), TARGET_LENGTHS.astype(dtype))
    assert loss.data == expected


def test_float32_log_probs_give_a_float32_loss_and_gradient(rng):
    log_probs = batch(rng)
    x = Tensor(log_probs.astype(np.float32), requires_grad=True)
    loss = F.ctc_loss(x, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS)
    loss.backward()
    assert loss.dtype == x.grad.dtype == np.float32
    np.testing.assert_allclose(loss.data, F.ctc_loss(t64(log_probs.astype(np.float32)), TARGETS,
                                                     INPUT_LENGTHS, TARGET_LENGTHS).data,
                               rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# The gradient with respect to log_probs
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_the_gradient_is_the_true_one_with_respect_to_log_probs(reduction, zero_infinity, rng):
    """Checked at log_probs that are not a log_softmax (rows do not sum to 1): the gradient is
    the loss's own slope there, not one that assumes log_softmax came before."""
    log_probs = -rng.uniform(0.1, 3.0, size=(5, 4, 3))
    assert gradcheck(lambda x: F.ctc_loss(x, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS,
                                          reduction=reduction, zero_infinity=zero_infinity),
                     t64(log_probs))


def test_the_gradient_of_one_sequence_of_more_classes(rng):
    log_probs = -rng.uniform(0.1, 4.0, size=(7, 5))
    assert gradcheck(lambda x: F.ctc_loss(x, [3, 3, 1, 4], 7, 4, blank=2, reduction="none"),
                     t64(log_probs))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_the_gradient_of_a_batch_of_one(reduction, rng):
    """(T, 1, C) log_probs, a (1, S) target: the batch axis of length 1 (axis 1 here)."""
    log_probs = -rng.uniform(0.1, 3.0, size=(6, 1, 4))
    assert gradcheck(lambda x: F.ctc_loss(x, [[1, 3, 3]], [6], [3], reduction=reduction),
                     t64(log_probs))


def test_the_gradient_counts_how_often_each_class_is_emitted(rng):
    """Through log_softmax the logits' gradient is softmax - the expected emissions, whose
    rows sum to 1 where the input lasts and to 0 past it."""
    x = t64(batch(rng))
    F.ctc_loss(x, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="sum").backward()
    inside = np.arange(5)[:, None] < INPUT_LENGTHS
    np.testing.assert_allclose(-x.grad.sum(axis=2), inside.astype(float), rtol=1e-12)
    assert (x.grad <= 0).all()


def test_the_gradient_can_be_recorded_but_not_differentiated_again(rng):
    x = t64(batch(rng))
    F.ctc_loss(x, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS).backward()
    first_order = x.grad
    x.grad = None
    F.ctc_loss(x, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS).backward(create_graph=True)
    slope = x.grad
    np.testing.assert_allclose(slope.data, first_order, rtol=1e-15)
    x.grad = None
    with pytest.raises(NotImplementedError, match="ctc_loss: second derivatives are not"):
        (slope * slope).sum().backward()


# ----------------------------------------------------------------------------------------------
# Targets that no alignment fits
# ----------------------------------------------------------------------------------------------

def test_an_impossible_target_costs_inf_and_a_nan_gradient_over_its_input(rng):
    """"1 1 2" needs 4 steps (1 _ 1 2); in 3 there is no path. PyTorch gives the same."""
    x = t64(batch(rng))
    input_lengths = np.array([3, 4, 5, 3])
    with strict():
        losses = F.ctc_loss(x, TARGETS, input_lengths, [3, 0, 3, 2], reduction="none")
    assert np.isinf(losses.data[0]) and np.isfinite(losses.data[1:]).all()
    losses.sum().backward()
    assert np.isnan(x.grad[:3, 0]).all() and not x.grad[3:, 0].any()
    assert np.isfinite(x.grad[:, 1:]).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_zero_infinity_makes_an_impossible_target_cost_0_and_send_no_gradient(reduction, rng):
    x = t64(batch(rng))
    args = (TARGETS, [3, 4, 5, 3], [3, 0, 3, 2])
    losses = F.ctc_loss(x, *args, reduction="none", zero_infinity=True)
    assert losses.data[0] == 0.0
    others = F.ctc_loss(x.detach(), *args, reduction="none").data[1:]
    np.testing.assert_array_equal(losses.data[1:], others)
    F.ctc_loss(x, *args, reduction=reduction, zero_infinity=True).sum().backward()
    assert not x.grad[:, 0].any() and x.grad[:, 1:].any()


def test_no_input_fits_only_the_empty_target():
    x = t64(np.log(np.full((2, 2, 3), 1 / 3)))
    losses = F.ctc_loss(x, [[1], [1]], [0, 0], [0, 1], reduction="none")
    assert losses.data[0] == 0.0 and np.isinf(losses.data[1])
    empty = t64(np.zeros((0, 1, 3)))
    assert F.ctc_loss(empty, [[1]], [0], [0], reduction="none").data[0] == 0.0


# ----------------------------------------------------------------------------------------------
# Mistakes
# ----------------------------------------------------------------------------------------------

def test_an_empty_batch_sums_to_zero_and_has_no_mean():
    """N = 0 sequences: "mean" returned NaN (numpy's mean of nothing), where every other loss
    raises for the mean of no elements; "sum" is 0 and "none" empty."""
    log_probs = t64(np.zeros((5, 0, 3)))
    empty = (np.zeros((0, 2), dtype=int), np.zeros(0, dtype=int), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match=r"^ctc_loss: the mean over 0 sequences is undefined "
                                         r"\(empty batch, log_probs \(5, 0, 3\)\)$"):
        F.ctc_loss(log_probs, *empty)
    assert F.ctc_loss(log_probs, *empty, reduction="sum").item() == 0.0
    assert F.ctc_loss(log_probs, *empty, reduction="none").shape == (0,)


def test_mistakes_are_errors_naming_the_function_and_what_was_expected():
    x = t64(np.log(np.full((5, 2, 4), 0.25)))
    targets, lengths, target_lengths = np.array([[1, 2], [3, 3]]), [5, 4], [2, 1]
    cases = [
        ((x, targets, [6, 4], target_lengths), ValueError,
         r"ctc_loss: input_lengths must be at most T = 5 \(log_probs \(5, 2, 4\)\), got 6"),
        ((x, targets, lengths, [3, 1]), ValueError,
         r"ctc_loss: target_lengths goes up to 3, longer than the padded targets \(2, 2\)"),
        ((x, [[0, 2], [3, 3]], lengths, target_lengths), ValueError,
         r"ctc_loss: targets must not contain the blank label 0"),
        ((x, [[1, 4], [3, 3]], lengths, target_lengths), ValueError,
         r"ctc_loss: targets must be labels in \[0, 4\) .*got values in \[1, 4\]"),
        ((x, targets, [5, 4, 3], target_lengths), ValueError,
         r"ctc_loss: input_lengths must be \(2,\), one per sequence, got shape \(3,\)"),
        ((x, targets, lengths, [2]), ValueError,
         r"ctc_loss: target_lengths must be \(2,\), one per sequence, got shape \(1,\)"),
        ((x, targets[:1], lengths, target_lengths), ValueError,
         r"ctc_loss: targets must be padded \(N, S\) = \(2, S\) or 1-d .*shape \(1, 2\)"),
        ((x, [1, 2], lengths, target_lengths), ValueError,
         r"ctc_loss: 1-d targets .* sum\(target_lengths\) = 3, got 2"),
        ((x, targets, [5, -1], target_lengths), ValueError,
         r"ctc_loss: input_lengths must be >= 0, got -1"),
        ((x, targets.astype(float), lengths, target_lengths), TypeError,
         r"ctc_loss: targets must be integers, got floats"),
        ((x, targets, np.array([5.0, 4.0]), target_lengths), TypeError,
         r"ctc_loss: input_lengths must be integers, got floats"),
        ((Tensor(np.zeros((5, 2, 4), dtype=np.int64)), targets, lengths, target_lengths),
         TypeError, r"ctc_loss: log_probs must be floating point .*dtype int64, shape"),
        ((t64(np.zeros((5, 2, 4, 1))), targets, lengths, target_lengths), ValueError,
         r"ctc_loss: log_probs must be \(T, N, C\), time first, or one sequence \(T, C\), "
         r"got shape \(5, 2, 4, 1\)"),
        ((t64(np.ones((5, 2, 4))), targets, lengths, target_lengths), ValueError,
         r"ctc_loss: log_probs must be log-probabilities \(<= 0\), got values up to 1"),
        ((x[:, 0], [[1, 2]], 5, 2), ValueError,
         r"ctc_loss: one sequence's targets must be 1-d \(S,\), got shape \(1, 2\)"),
        ((x[:, 0], [1, 2], [5, 5], 2), ValueError,
         r"ctc_loss: input_lengths must be a number \(one sequence\), got shape \(2,\)"),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            F.ctc_loss(*args)
    batch_first = t64(np.log(np.full((2, 5, 4), 0.25)))
    with pytest.raises(ValueError, match=r"ctc_loss: input_lengths must be \(5,\), one per "
                       r"sequence, got shape \(2,\); log_probs \(2, 5, 4\) is read time first "
                       r"\(T, N, C\): for batch-first outputs \(N, T, C\) pass "
                       r"log_probs.transpose\(0, 1\)"):
        F.ctc_loss(batch_first, targets, lengths, target_lengths)
    with pytest.raises(ValueError, match=r"ctc_loss: blank must be a class in \[0, 4\)"):
        F.ctc_loss(x, targets, lengths, target_lengths, blank=4)
    with pytest.raises(ValueError, match=r"ctc_loss: reduction must be 'mean', 'sum' or 'none'"):
        F.ctc_loss(x, targets, lengths, target_lengths, reduction="batchmean")


# ----------------------------------------------------------------------------------------------
# The module
# ----------------------------------------------------------------------------------------------

def test_the_module_passes_its_options(rng):
    x = t64(batch(rng))
    args = (TARGETS, [3, 4, 5, 3], [3, 0, 3, 2])
    criterion = CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    assert repr(criterion) == "CTCLoss(reduction='sum', blank=0, zero_infinity=True)"
    assert criterion(x, *args).data == F.ctc_loss(x, *args, reduction="sum",
                                                  zero_infinity=True).data
    assert np.isinf(CTCLoss()(x, *args).data)
    # label sequences are not class labels: no task, so fit would report the loss alone
    assert loss_task(F.ctc_loss) is None and loss_task(criterion) is None
    with pytest.raises(ValueError, match=r"CTCLoss: blank must be a class index >= 0, got -1"):
        CTCLoss(blank=-1)
    with pytest.raises(ValueError, match=r"CTCLoss: reduction must be"):
        CTCLoss(reduction="avg")
    with pytest.raises(TypeError, match=r"CTCLoss: zero_infinity must be True or False, got 1"):
        CTCLoss(zero_infinity=1)
    with pytest.raises(TypeError, match=r"ctc_loss: zero_infinity must be True or False"):
        F.ctc_loss(x, *args, zero_infinity="yes")


# ----------------------------------------------------------------------------------------------
# PyTorch's numbers: asked live where torch is installed, else as recorded in
# tests/reference/ctc.npz. PyTorch's ctc_loss backward assumes its log_probs came from
# log_softmax, so the gradients compared are the logits' through log_softmax.
# ----------------------------------------------------------------------------------------------

def ctc_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Logits (T, N, C) = (12, 5, 6); targets with repeats, an empty one, one that does not fit
    its input (5 repeats of one label need 9 steps), concatenated lengths of int32."""
    logits = rng.normal(size=(12, 5, 6)) * 2.0
    targets = np.array([[1, 1, 2, 3, 3], [4, 0, 0, 0, 0], [5, 2, 5, 2, 1], [3, 3, 3, 3, 3],
                        [2, 0, 0, 0, 0]])
    return {"logits": logits, "targets": targets,
            "input_lengths": np.array([12, 9, 10, 8, 1], dtype=np.int32),
            "target_lengths": np.array([5, 0, 5, 5, 1], dtype=np.int32)}


CASES = {"none": ("none", False), "sum": ("sum", True), "mean": ("mean", True),
         "mean_inf": ("mean", False)}


def ctc_torch(torch, logits, targets, input_lengths, target_lengths) -> dict[str, np.ndarray]:
    results = {}
    for case, (reduction, zero_infinity) in CASES.items():
        z = torch.tensor(logits, requires_grad=True)
        loss = torch.nn.functional.ctc_loss(
            z.log_softmax(2), torch.tensor(targets), torch.tensor(input_lengths),
            torch.tensor(target_lengths), reduction=reduction, zero_infinity=zero_infinity)
        if case != "mean_inf":      # an inf loss: PyTorch's gradient is NaN, as ours
            loss.sum().backward()
            results[f"{case}.grad"] = as_array(z.grad)
        results[case] = as_array(loss)
    return results


def ctc_glassgrad(logits, targets, input_lengths, target_lengths) -> dict[str, np.ndarray]:
    results = {}
    for case, (reduction, zero_infinity) in CASES.items():
        z = t64(logits)
        loss = F.ctc_loss(F.log_softmax(z, dim=2), targets, input_lengths, target_lengths,
                          reduction=reduction, zero_infinity=zero_infinity)
        if case != "mean_inf":
            loss.sum().backward()
            results[f"{case}.grad"] = z.grad
        results[case] = loss.data
    return results


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/ctc.npz: the inputs and PyTorch's losses and logits' gradients."""
    inputs = ctc_inputs(draw())
    return {**inputs, **ctc_torch(torch, **inputs)}


def _same_as_pytorch(ours: dict, theirs: dict) -> None:
    assert np.isinf(theirs["mean_inf"]) and np.isinf(ours["mean_inf"])
    assert_matches(ours, theirs, rtol=1e-10, atol=1e-12, inputs=tuple(ctc_inputs(draw())))


def test_the_losses_and_logits_gradients_match_pytorch(rng):
    torch = pytest.importorskip(
        "torch", reason="optional cross-check against PyTorch: pip install torch")
    inputs = ctc_inputs(rng)
    _same_as_pytorch(ctc_glassgrad(**inputs), {**inputs, **ctc_torch(torch, **inputs)})


def test_the_losses_and_logits_gradients_match_pytorchs_recorded_numbers():
    theirs = recorded("ctc")
    _same_as_pytorch(ctc_glassgrad(**{name: theirs[name] for name in ctc_inputs(draw())}),
                     theirs)
