"""Second derivatives through `nn`: the losses, functional layers and models that no other
file checks to second order, one row per function, checked as tests/test_second_order_ops.py
checks the ops (Hessian-vector products by grad of grad and by backward() of a recorded
gradient, against finite differences in float64); the models' H v in their parameters; where
PyTorch is installed, the losses' H v against PyTorch's; and the one op that refuses a second
derivative, the CTC loss, refusing it by name.

Checked elsewhere: mse, cross_entropy, nll, bce (+ with logits), linear, conv2d, the pools,
batch_norm, layer_norm and embedding against PyTorch (test_fuzz_torch.py, fuzz_layers.py);
smooth_l1 and huber (test_losses_more.py); the activations (test_activations.py); attention
(test_attention.py); group, instance and rms norm; the recurrent ops (see the list in
tests/test_second_order_ops.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, grad, hessian

from conftest import sample
from second_order_helpers import check_row
from torch_helpers import needs_torch, torch

LABELS = np.array([2, 0, 1])
CLASS_WEIGHT = np.array([0.5, 2.0, 1.5])
SIGNS = np.array([[1.0, -1, 1], [-1, 1, -1]])
TARGET = np.array([[0.3, -0.2, 1.1], [0.5, 0.9, -0.7]])
BAGS = np.array([0, 2, 2, 1]), np.array([0, 1])
NEG = -np.inf

# (name, f, input shapes, domain: one for all inputs or one per input)
ROWS = [
    # -- classification losses -----------------------------------------------------------------
    ("nll_loss_weight_ignore", lambda z: F.nll_loss(z.log_softmax(1), LABELS, weight=CLASS_WEIGHT,
                                                    ignore_index=1), [(3, 3)], "real"),
    ("nll_loss_k_dims", lambda z: F.nll_loss(z.log_softmax(1), np.array([[2, 0], [1, 1]]),
                                             weight=CLASS_WEIGHT), [(2, 3, 2)], "real"),
    ("cross_entropy_weight_smoothing", lambda z: F.cross_entropy(
        z, LABELS, weight=CLASS_WEIGHT, label_smoothing=0.2), [(3, 3)], "real"),
    ("cross_entropy_k_dims", lambda z: F.cross_entropy(z, np.array([[2, 0], [1, 1]]),
                                                       label_smoothing=0.1), [(2, 3, 2)], "real"),
    ("cross_entropy_batch1", lambda z: F.cross_entropy(z, np.array([1])), [(1, 3)], "real"),
    ("cross_entropy_one_row", lambda z: F.cross_entropy(z, np.array(1)), [(3,)], "real"),
    ("cross_entropy_probabilities_weight", lambda z, t: F.cross_entropy(
        z, t.softmax(1), weight=CLASS_WEIGHT, label_smoothing=0.3), [(2, 3), (2, 3)], "real"),
    ("cross_entropy_masked_logits", lambda z: F.cross_entropy(
        z + Tensor([[0.0, NEG, 0.0], [0.0, 0.0, NEG]]), np.array([0, 1])), [(2, 3)], "real"),
    ("kl_div", lambda p, t: F.kl_div(p.log_softmax(1), t.softmax(1), reduction="batchmean"),
     [(2, 3), (2, 3)], "real"),
    ("kl_div_log_target", lambda p, t: F.kl_div(p.log_softmax(1), t.log_softmax(1),
                                                log_target=True, reduction="sum"),
     [(2, 3), (2, 3)], "real"),
    ("kl_div_zero_target", lambda p: F.kl_div(p.log_softmax(1), np.array(
        [[0.5, 0, 0.5], [0.2, 0.8, 0]]), reduction="sum"), [(2, 3)], "real"),
    ("soft_margin_loss", lambda s: F.soft_margin_loss(s, SIGNS), [(2, 3)], "real"),
    ("multilabel_soft_margin_loss", lambda s: F.multilabel_soft_margin_loss(
        s, (SIGNS > 0).astype(float), weight=CLASS_WEIGHT), [(2, 3)], "real"),
    # (scores scaled by 0.1: every margin term inside its hinge, so the curvature is not 0)
    ("multi_margin_loss_p2", lambda s: F.multi_margin_loss(s * 0.1, LABELS[:2], p=2,
                                                           weight=CLASS_WEIGHT), [(2, 3)], "real"),
    ("multi_margin_loss_times_s", lambda s: F.multi_margin_loss(
        s * 0.1, LABELS[:2], reduction="none") * s[:, 0], [(2, 3)], "real"),
    ("multilabel_margin_loss_times_s", lambda s: F.multilabel_margin_loss(
        s * 0.1, np.array([[2, 0, -1], [1, -1, 0]]), reduction="none") * s[:, 1], [(2, 3)],
     "real"),
    ("hinge_embedding_loss_times_s", lambda s: F.hinge_embedding_loss(
        s, SIGNS, margin=3.0, reduction="none") * s, [(2, 3)], "real"),
    # -- regression and distance losses --------------------------------------------------------
    ("mse_loss_broadcast_target", lambda p, t: F.mse_loss(p, t.expand(2, 3)), [(2, 3), (1, 3)],
     "real"),
    ("l1_loss_times_p", lambda p: F.l1_loss(p, TARGET, reduction="none") * p, [(2, 3)],
     "grid_offset"),
    ("gaussian_nll_loss_full", lambda p, v: F.gaussian_nll_loss(p, Tensor(TARGET), v.exp(),
                                                                full=True), [(2, 3), (2, 3)],
     "real"),
    ("gaussian_nll_loss_var_broadcast", lambda p, v: F.gaussian_nll_loss(
        p, Tensor(TARGET), v.exp()), [(2, 3), (2, 1)], "real"),
    ("poisson_nll_loss_log_input", lambda p: F.poisson_nll_loss(p, np.abs(TARGET)), [(2, 3)],
     "real"),
    ("poisson_nll_loss_full", lambda p: F.poisson_nll_loss(p.exp(), 3 * np.abs(TARGET),
                                                           log_input=False, full=True),
     [(2, 3)], "real"),
    ("margin_ranking_loss_times_a", lambda a, b: F.margin_ranking_loss(
        a, b, Tensor([1.0, -1, 1]), margin=0.2, reduction="none") * a, [(3,), (3,)], "real"),
    ("triplet_margin_loss", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=5.0),
     [(2, 3)] * 3, "real"),
    ("triplet_margin_loss_swap_p", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=5.0,
                                                                         p=1.5, swap=True),
     [(2, 3)] * 3, "nonzero"),
    ("triplet_margin_with_distance_loss", lambda a, p, n: F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), margin=3.0),
     [(2, 3)] * 3, "real"),
    ("cosine_embedding_loss", lambda a, b: F.cosine_embedding_loss(a, b, np.array([1, -1]),
                                                                   margin=-0.9),
     [(2, 3), (2, 3)], "real"),
    ("cosine_similarity_broadcast", lambda a, b: F.cosine_similarity(a, b) ** 2,
     [(2, 3), (1, 3)], "real"),
    ("pairwise_distance", lambda a, b: F.pairwise_distance(a, b), [(2, 3), (2, 3)], "real"),
    ("normalize", lambda x: F.normalize(x, dim=1) ** 2, [(2, 3)], "nonzero"),
    ("l2_penalty", lambda a, b: F.l2_penalty([a, b], 0.3) * a.sum(), [(2, 3), (2,)], "real"),
    ("l1_penalty_times_sum", lambda a: F.l1_penalty([a], 0.3) * a.sum(), [(2, 3)], "nonzero"),
    # -- functional layers ---------------------------------------------------------------------
    ("prelu", lambda x, w: F.prelu(x, w) * x, [(2, 2, 3), (2,)], "nonzero"),
    ("glu", lambda x: F.glu(x), [(2, 4)], "real"),
    ("softmin", lambda x: F.softmin(x, dim=1) ** 2, [(2, 3)], "real"),
    ("dropout_fixed_rng", lambda x: F.dropout(x, 0.5, rng=np.random.default_rng(0)) ** 3,
     [(2, 3)], "real"),
    ("embedding_padding_idx", lambda w: F.embedding(np.array([[0, 2], [2, 1]]), w,
                                                    padding_idx=2) ** 3, [(3, 2)], "real"),
    ("embedding_bag_mean", lambda w: F.embedding_bag(*BAGS[:1], w, BAGS[1], mode="mean") ** 3,
     [(3, 2)], "real"),
    ("embedding_bag_max", lambda w: F.embedding_bag(*BAGS[:1], w, BAGS[1], mode="max") ** 3,
     [(3, 2)], "distinct"),
    ("embedding_bag_per_sample_weights", lambda w, p: F.embedding_bag(
        BAGS[0], w, BAGS[1], mode="sum", per_sample_weights=p) ** 2, [(3, 2), (4,)], "real"),
    ("batch_norm_eval", lambda x, w, b: F.batch_norm(x, np.array([0.1, -0.2]),
                                                     np.array([0.5, 1.5]), w, b) ** 2,
     [(3, 2), (2,), (2,)], "real"),
    ("linear_batch1", lambda x, w, b: F.linear(x, w, b) ** 2, [(1, 3), (2, 3), (2,)], "real"),
    ("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1) ** 2,
     [(2, 2, 5), (3, 2, 2), (3,)], "real"),
    ("conv_transpose1d", lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2) ** 2,
     [(1, 2, 3), (2, 1, 3), (1,)], "real"),
    ("avg_pool1d", lambda x: F.avg_pool1d(x, 3, stride=1, padding=1) ** 3, [(1, 2, 4)], "real"),
    ("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 2) ** 3, [(1, 2, 5)],
     "distinct"),
    ("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2) ** 3, [(1, 4, 2, 2)], "real"),
    ("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2) ** 3, [(1, 1, 4, 2)], "real"),
    ("interpolate_area", lambda x: F.interpolate(x, size=(2, 2), mode="area") ** 3,
     [(1, 1, 4, 3)], "real"),
    ("attention_with_minus_inf", lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=np.array([[0.0, NEG, 0.5], [NEG, 0.0, 0.0]])) ** 2,
     [(2, 2), (3, 2), (3, 2)], "real"),
]


@pytest.mark.parametrize("f, shapes, domain", [pytest.param(f, s, d, id=name)
                                               for name, f, s, d in ROWS])
def test_hessian_vector_products_match_finite_differences(f, shapes, domain, rng):
    check_row(f, shapes, domain, rng)


def test_the_rows_name_each_function_once():
    names = [row[0] for row in ROWS]
    assert len(names) == len(set(names))


# ----------------------------------------------------------------------------------------------
# Models: H v in the parameters (the data a constant), as a learner's Newton step takes it
# ----------------------------------------------------------------------------------------------

def _sequence(rng):
    return (Tensor(rng.normal(size=(4, 2, 3))),)


MODELS = {
    "lstm_two_layers_bidirectional": (lambda: nn.LSTM(3, 2, num_layers=2, bidirectional=True),
                                      _sequence),
    "gru_bidirectional": (lambda: nn.GRU(3, 2, bidirectional=True), _sequence),
    "rnn_relu_two_layers": (lambda: nn.RNN(3, 2, num_layers=2, nonlinearity="relu"), _sequence),
    "lstm_cell_batch1": (lambda: nn.LSTMCell(3, 2), lambda rng: (Tensor(rng.normal(size=(1, 3))),)),
    "multihead_attention": (lambda: nn.MultiheadAttention(4, 2),
                            lambda rng: (Tensor(rng.normal(size=(3, 2, 4))),) * 3),
    "transformer_encoder_layer": (
        lambda: nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0),
        lambda rng: (Tensor(rng.normal(size=(3, 2, 4))),)),
    "cnn_batch_norm_max_pool": (
        lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.Tanh(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(27, 2)),
        lambda rng: (Tensor(rng.normal(size=(2, 2, 6, 6))),)),
    "embedding_layer_norm": (
        lambda: nn.Sequential(nn.Embedding(5, 4), nn.LayerNorm(4), nn.Linear(4, 3)),
        lambda rng: (np.array([[0, 3, 3], [1, 4, 2]]),)),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_models_hessian_vector_product_in_its_parameters(name, rng):
    make, inputs = MODELS[name]
    model, xs = make().double(), inputs(rng)
    params = list(model.parameters())
    vs = [rng.normal(size=p.shape) for p in params]

    def gradient(create_graph: bool) -> tuple:
        out = model(*xs)
        out = out[0] if isinstance(out, tuple) else out
        return grad((out ** 2).sum(), params, create_graph=create_graph)

    along = sum((g * Tensor(v)).sum() for g, v in zip(gradient(True), vs))
    hv = grad(along, params)
    eps, sides = 1e-5, []
    for sign in (1.0, -1.0):
        for p, v in zip(params, vs):
            p.data += sign * eps * v
        sides.append([g.data for g in gradient(False)])
        for p, v in zip(params, vs):
            p.data -= sign * eps * v
    for (p_name, _), h, plus, minus in zip(model.named_parameters(), hv, *sides):
        np.testing.assert_allclose(h.data, (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-6,
                                   err_msg=p_name)


# ----------------------------------------------------------------------------------------------
# PyTorch's H v, where it is installed
# ----------------------------------------------------------------------------------------------

# (name, f(F, constant, *inputs) on either library, input shapes); PyTorch has no second
# derivative of multi_margin_loss ("not implemented"): that one is checked above only
TORCH_ROWS = [
    ("kl_div", lambda F, c, p, t: F.kl_div(p.log_softmax(1), t.softmax(1),
                                           reduction="batchmean"), [(2, 3), (2, 3)]),
    ("gaussian_nll_loss", lambda F, c, p, v: F.gaussian_nll_loss(p, c(TARGET), v.exp(),
                                                                 full=True), [(2, 3), (2, 1)]),
    ("poisson_nll_loss", lambda F, c, p: F.poisson_nll_loss(p, c(np.abs(TARGET))), [(2, 3)]),
    ("soft_margin_loss", lambda F, c, s: F.soft_margin_loss(s, c(SIGNS)), [(2, 3)]),
    ("multilabel_soft_margin_loss", lambda F, c, s: F.multilabel_soft_margin_loss(
        s, c((SIGNS > 0).astype(float)), weight=c(CLASS_WEIGHT)), [(2, 3)]),
    ("triplet_margin_loss", lambda F, c, a, p, n: F.triplet_margin_loss(a, p, n, margin=5.0),
     [(2, 3)] * 3),
    ("cosine_embedding_loss", lambda F, c, a, b: F.cosine_embedding_loss(
        a, b, c(np.array([1, -1])), margin=-0.9), [(2, 3), (2, 3)]),
    ("cross_entropy_weight_smoothing", lambda F, c, z: F.cross_entropy(
        z, c(LABELS), weight=c(CLASS_WEIGHT), label_smoothing=0.2), [(3, 3)]),
    ("glu_softmin", lambda F, c, x: (F.glu(x, 1) * F.softmin(x[:, :2], 1)).sum(), [(2, 4)]),
    ("prelu", lambda F, c, x, w: (F.prelu(x, w) * x).sum(), [(2, 2, 3), (2,)]),
]


def _torch_hvp(arrays, vs, f):
    import torch.nn.functional as tF
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    gs = torch.autograd.grad(f(tF, torch.tensor, *xs), xs, create_graph=True)
    along = sum((g * torch.tensor(v)).sum() for g, v in zip(gs, vs))
    return [h.detach().numpy() for h in torch.autograd.grad(along, xs)]


@needs_torch
@pytest.mark.parametrize("f, shapes", [pytest.param(f, s, id=name) for name, f, s in TORCH_ROWS])
def test_hessian_vector_products_are_pytorchs(f, shapes, rng):
    arrays = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    vs = [rng.normal(size=s) for s in shapes]
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    gs = grad(f(F, Tensor, *xs), xs, create_graph=True)
    ours = grad(sum((g * Tensor(v)).sum() for g, v in zip(gs, vs)), xs)
    for i, (h, expected) in enumerate(zip(ours, _torch_hvp(arrays, vs, f))):
        np.testing.assert_allclose(h.data, expected, rtol=1e-10, atol=1e-12, err_msg=f"input {i}")


# ----------------------------------------------------------------------------------------------
# The refusal: the CTC loss is differentiable once
# ----------------------------------------------------------------------------------------------

def test_the_hessian_of_a_ctc_loss_is_refused_naming_the_op(rng):
    """Its gradient (the β recursion) is numpy: the second pass meets the occupancy op, which
    says so by name rather than giving a Hessian without its terms."""
    targets, lengths, target_lengths = np.array([[1, 2], [2, 2]]), [4, 3], [2, 1]

    def loss(z):
        return F.ctc_loss(z.log_softmax(2), targets, lengths, target_lengths)

    z = sample("real", (4, 2, 3), rng)
    assert grad(loss)(z).shape == z.shape                       # first order works
    with pytest.raises(NotImplementedError, match=r"ctc_loss: second derivatives are not "
                                                  r"implemented"):
        hessian(loss, Tensor(z))
