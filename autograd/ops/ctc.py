"""The connectionist temporal classification (CTC) loss of a batch of sequences, one fused op.

Each target l (length S) is extended with blanks around and between its labels,
l' = (blank, l_1, blank, l_2, ..., l_S, blank), length 2S + 1. A path through the T time steps
sits at one position s of l' at each step, and moves from s to s, s + 1, or s + 2 (skipping a
blank, allowed only between two different labels: a repeated label needs a blank between).
With y_t(c) = exp(log_probs[t, c]):

    α_t(s) = y_t(l'_s) [α_{t-1}(s) + α_{t-1}(s-1) + skip(s) α_{t-1}(s-2)]      (forward)
    β_t(s) = Σ_{s' = s, s+1, s+2 (skip(s'))} y_{t+1}(l'_{s'}) β_{t+1}(s')       (backward)
    p(l) = α_{T-1}(2S) + α_{T-1}(2S - 1),     β_{T-1}(2S) = β_{T-1}(2S - 1) = 1
    loss = -log p(l)       dloss/dlog_probs[t, c] = -Σ_{s: l'_s = c} α_t(s) β_t(s) / p(l)

All of it in log space (logaddexp for +), vectorised over the batch. α_t(s) β_t(s) / p(l) is
the probability that the path is at s at time t, so the gradient of a log-probability is minus
the expected number of times its class is emitted there: it is the true gradient with respect
to log_probs, whatever made them (PyTorch's own rule assumes they came from log_softmax; the
two agree on the logits' gradient through log_softmax, as both are that composition's slope).
"""

from __future__ import annotations

import numpy as np

from ..graph import Node, Op, apply


class CTCCtx:
    """The batch's targets as the op reads them, and what forward keeps for backward.

    `extended` (N, 2 S_max + 1): each sample's l', padded with blanks; `skip` (N, 2 S_max + 1):
    0 where a path may come from s - 2, -inf where not; `input_lengths`, `target_lengths` (N,);
    `zero_infinity`: an impossible alignment costs 0 and sends no gradient (else its loss is
    inf and its gradient NaN, as in PyTorch); forward fills `alpha` (T, N, 2 S_max + 1) and
    `log_likelihood` (N,)."""
    __slots__ = ("extended", "skip", "input_lengths", "target_lengths", "zero_infinity",
                 "alpha", "log_likelihood")

    def __init__(self, targets: np.ndarray, input_lengths: np.ndarray,
                 target_lengths: np.ndarray, blank: int, zero_infinity: bool) -> None:
        n, s_max = targets.shape
        # past its length, a target's padding may hold anything: read as blanks, never used
        labels = np.where(np.arange(s_max) < target_lengths[:, None], targets, blank)
        self.extended = np.full((n, 2 * s_max + 1), blank, dtype=np.intp)
        self.extended[:, 1::2] = labels
        skip = np.full(self.extended.shape, -np.inf)
        # a label (odd s) may be reached from the label two positions back, over the blank
        # between, unless the two are the same; a blank never (two back is a blank too)
        differs = labels[:, 1:] != labels[:, :-1]
        skip[:, 3::2][differs & (np.arange(1, s_max) < target_lengths[:, None])] = 0.0
        self.skip = skip
        self.input_lengths = input_lengths.astype(np.intp)
        self.target_lengths = target_lengths.astype(np.intp)
        self.zero_infinity = zero_infinity
        self.alpha = self.log_likelihood = None


def _log_add3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """log(e^a + e^b + e^c), -inf when all three are."""
    return np.logaddexp(np.logaddexp(a, b), c)


def _emissions(log_probs: np.ndarray, ctx: CTCCtx) -> np.ndarray:
    """log y_t(l'_s) for every step, sample and position: (T, N, 2 S_max + 1), in float64
    (the recursions add up T terms; float32 log_probs cost no more so); -inf past a sample's
    input, whose padding is never read (NaN there stays out of the recursions)."""
    picked = log_probs[:, np.arange(len(ctx.extended))[:, None], ctx.extended].astype(np.float64)
    inside = (np.arange(len(log_probs))[:, None] < ctx.input_lengths)[:, :, None]
    return np.where(inside, picked, -np.inf)


class CTCLoss(Op):
    """-log p(l | x) of each sample, from log_probs (T, N, C), as α recursions in log space;
    dloss/dlog_probs[t, n, c] = -Σ_{s: l'_s = c} exp(α_t(s) + β_t(s) - log p(l)) (see the
    module's docstring). The output is the N losses; the caller reduces them."""
    name = "ctc_loss"

    @staticmethod
    def forward(ctx, log_probs):
        # the steps past every input's length are never read (padding)
        log_probs = log_probs[:ctx.input_lengths.max(initial=0)]
        steps, n, _ = log_probs.shape
        emit = _emissions(log_probs, ctx)
        positions = emit.shape[2]
        # α with two columns of -inf in front: s - 1 and s - 2 are slices, no edge cases
        alpha = np.full((steps, n, positions + 2), -np.inf)
        skip = ctx.skip
        if steps:
            alpha[0, :, 2:4] = emit[0, :, :2]       # start on the first blank or label
        for t in range(1, steps):
            before = alpha[t - 1]
            alpha[t, :, 2:] = _log_add3(before[:, 2:], before[:, 1:-1],
                                        before[:, :-2] + skip) + emit[t]
        alpha = alpha[:, :, 2:]
        ctx.alpha = alpha
        last_step = np.maximum(ctx.input_lengths - 1, 0)
        ends = 2 * ctx.target_lengths                # l' ends on its last blank (or label)
        rows = np.arange(n)
        if steps:
            at_end = alpha[last_step, rows, ends]
            before_end = np.where(ends > 0, alpha[last_step, rows, np.maximum(ends - 1, 0)],
                                  -np.inf)
            log_likelihood = np.logaddexp(at_end, before_end)
        else:
            log_likelihood = np.zeros(n)
        # no time steps: the empty target is certain, any other impossible
        no_input = ctx.input_lengths == 0
        log_likelihood[no_input] = np.where(ends[no_input] == 0, 0.0, -np.inf)
        ctx.log_likelihood = log_likelihood
        losses = -log_likelihood
        if ctx.zero_infinity:
            losses[np.isinf(losses)] = 0.0
        return losses.astype(log_probs.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, out, log_probs):
        n = len(ctx.extended)
        if isinstance(log_probs, Node):              # higher order: the occupancy as a node
            return (-apply(CTCOccupancy, (log_probs,), ctx) * g.reshape((1, n, 1)),)
        gradient = occupancy(ctx, log_probs)
        gradient *= g.reshape((1, n, 1))
        return (np.subtract(0.0, gradient, out=gradient),)     # (0 - x: no -0 where x is 0)


def occupancy(ctx: CTCCtx, log_probs: np.ndarray) -> np.ndarray:
    """Σ_{s: l'_s = c} exp(α_t(s) + β_t(s) - log p(l)) for each (t, n, c): how many times,
    expected over the alignments of sample n, class c is emitted at step t. The α recursion
    and log p(l) come from forward (ctx); this runs the β recursion. (The sum of the exps
    equals exp of their logsumexp: each term is at most 1, so nothing overflows.)"""
    all_steps = log_probs.shape[0]
    log_probs = log_probs[:len(ctx.alpha)]          # the steps forward ran (up to the longest)
    steps, n, classes = log_probs.shape
    emit = _emissions(log_probs, ctx)
    positions = emit.shape[2]
    last_step = (ctx.input_lengths - 1)[:, None]
    ends = 2 * ctx.target_lengths[:, None]
    at_position = np.arange(positions)
    finish = np.where((at_position == ends) | (at_position == ends - 1), 0.0, -np.inf)
    beta = np.empty((steps, n, positions))
    # the next step's β y, with two columns of -inf behind: s + 1 and s + 2 are slices
    after = np.full((n, positions + 2), -np.inf)
    skip_ahead = np.full((n, positions), -np.inf)
    skip_ahead[:, :-2] = ctx.skip[:, 2:]             # may s go on to s + 2
    for t in range(steps - 1, -1, -1):
        if t < steps - 1:
            after[:, :positions] = beta[t + 1] + emit[t + 1]
        carried = _log_add3(after[:, :-2], after[:, 1:-1], after[:, 2:] + skip_ahead)
        # a sample's β starts at its last step; the steps past it are not its input
        beta[t] = np.where(t < last_step, carried, np.where(t == last_step, finish, -np.inf))
    with np.errstate(invalid="ignore"):              # an impossible sample: -inf - -inf
        posterior = np.exp(ctx.alpha + beta - ctx.log_likelihood[None, :, None])
    inside = (np.arange(steps)[:, None] < ctx.input_lengths)[:, :, None]
    # past a sample's input nothing is emitted (padding there may even be NaN); with no
    # alignment at all, the loss is inf whatever log_probs are: PyTorch's gradient is then
    # NaN over the sample's input, and 0 with zero_infinity
    impossible = np.isinf(ctx.log_likelihood)[None, :, None]
    fill = 0.0 if ctx.zero_infinity else np.nan
    posterior = np.where(inside, np.where(impossible, fill, posterior), 0.0)
    # scatter-add each position's share into its class: one (T, S') @ (S', C) product a sample
    one_hot = (ctx.extended[:, :, None] == np.arange(classes)).astype(posterior.dtype)
    counts = np.zeros((all_steps, n, classes), dtype=log_probs.dtype)
    counts[:steps] = np.matmul(posterior.transpose(1, 0, 2), one_hot).transpose(1, 0, 2)
    return counts


class CTCOccupancy(Op):
    """occupancy(log_probs), the expected emissions: minus the CTC loss's gradient, as a node
    of log_probs in a gradient graph; no derivative of its own (the loss's second is not
    implemented: backward raises)."""
    name = "ctc_occupancy"

    @staticmethod
    def forward(ctx, log_probs):
        return occupancy(ctx, log_probs)

    @staticmethod
    def backward(ctx, g, out, log_probs):
        raise NotImplementedError(
            "ctc_loss: second derivatives are not implemented (the CTC loss's gradient is "
            "differentiable once: backward(), also with create_graph=True, works; "
            "differentiating that gradient again does not)")
