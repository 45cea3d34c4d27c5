"""A user trial: recommender systems written as a PyTorch course writes them, with glassgrad's
names (`import autograd as torch`, `nn`, `nn.functional as F`, `nn.optim as optim`, `nn.data`).

Explicit ratings: matrix factorisation with user and item embeddings and biases, trained on
(user, item, rating) triples from a DataLoader over a TensorDataset, with Adam's weight decay or
an L2 term written by hand, reaches a held-out RMSE well below the global mean's. Implicit
feedback: BPR (-logsigmoid(pos - neg)) with negatives from randint and multinomial ranks each
user's held-out item into the top 10 far more often than chance (hit rate and NDCG computed
with tensor ops: masked_fill of the seen items with -inf, topk); a neural collaborative
filter (concatenated embeddings, an MLP, BCE with pos_weight) learns too. Gradients are checked
against central differences in float64, and against live PyTorch from the same weights where
torch is installed; everything else runs and asserts without it."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
import nn.optim as optim
from autograd import gradcheck
from nn.data import DataLoader, TensorDataset
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

N_USERS, N_ITEMS = 300, 200


def ratings_data(seed: int = 0) -> dict[str, np.ndarray]:
    """Ratings r = 3 + u·v / √3 + noise(0.3) from rank-3 factors, ~10% observed, 20% held out."""
    rng = np.random.default_rng(seed)
    users_f, items_f = rng.normal(size=(N_USERS, 3)), rng.normal(size=(N_ITEMS, 3))
    full = 3.0 + users_f @ items_f.T / math.sqrt(3) + rng.normal(0, 0.3, (N_USERS, N_ITEMS))
    users, items = np.nonzero(rng.random((N_USERS, N_ITEMS)) < 0.10)
    ratings = full[users, items].astype(np.float32)
    order = rng.permutation(len(users))
    test, train = order[:len(order) // 5], order[len(order) // 5:]
    return {"users": users, "items": items, "ratings": ratings, "train": train, "test": test}


class MatrixFactorisation(nn.Module):
    def __init__(self, n_users: int, n_items: int, k: int, mu: float) -> None:
        super().__init__()
        self.u, self.v = nn.Embedding(n_users, k), nn.Embedding(n_items, k)
        self.bu, self.bi = nn.Embedding(n_users, 1), nn.Embedding(n_items, 1)
        nn.init.normal_(self.u.weight, std=0.1)
        nn.init.normal_(self.v.weight, std=0.1)
        nn.init.zeros_(self.bu.weight)
        nn.init.zeros_(self.bi.weight)
        self.mu = mu

    def forward(self, user, item):
        u, v = self.u(user), self.v(item)
        return (u * v).sum(1) + self.bu(user).squeeze() + self.bi(item).squeeze() + self.mu


def held_out_rmse(model: MatrixFactorisation, data: dict[str, np.ndarray]) -> float:
    test = data["test"]
    model.eval()
    with torch.no_grad():
        pred = model(torch.tensor(data["users"][test]), torch.tensor(data["items"][test]))
        return F.mse_loss(pred, torch.tensor(data["ratings"][test])).sqrt().item()


@pytest.mark.parametrize("l2_by", ["optimizer", "hand"])
def test_matrix_factorisation_beats_the_global_mean_on_held_out_ratings(l2_by):
    torch.manual_seed(0)
    data = ratings_data()
    train, test, ratings = data["train"], data["test"], data["ratings"]
    baseline = float(np.sqrt(((ratings[test] - ratings[train].mean()) ** 2).mean()))
    model = MatrixFactorisation(N_USERS, N_ITEMS, 4, float(ratings[train].mean()))
    decay, lam = (1e-4, 0.0) if l2_by == "optimizer" else (0.0, 1e-4)
    opt = optim.Adam(model.parameters(), lr=0.03, weight_decay=decay)
    loader = DataLoader(TensorDataset(torch.tensor(data["users"][train]),
                                      torch.tensor(data["items"][train]),
                                      torch.tensor(ratings[train])), batch_size=256, shuffle=True)
    for epoch in range(30):
        model.train()
        for user, item, rating in loader:
            loss = F.mse_loss(model(user, item), rating)
            if lam:
                loss = loss + lam * (model.u(user).pow(2).sum() + model.v(item).pow(2).sum())
            opt.zero_grad()
            loss.backward()
            opt.step()
    rmse = held_out_rmse(model, data)
    assert baseline > 1.0 and rmse < 0.6 * baseline, (rmse, baseline)    # 0.43-0.49 seen


def test_padding_frozen_and_bagged_embeddings_in_a_recommender():
    """A padded history of items per user: the padding row (index 0) stays zero and gets no
    gradient; a frozen pretrained item table gets none at all; EmbeddingBag(mode='mean') with
    offsets is the mean of each history's rows."""
    table = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
    history = torch.tensor([[1, 2, 0, 0], [3, 3, 5, 0]])        # 0 pads
    padded = nn.Embedding(6, 3, padding_idx=0)
    assert padded.weight.data[0].tolist() == [0.0, 0.0, 0.0]
    (padded(history).sum(1) ** 2).sum().backward()
    assert padded.weight.grad[0].tolist() == [0.0, 0.0, 0.0]
    assert np.all(padded.weight.grad[[1, 2, 3, 5]] != 0) and np.all(padded.weight.grad[4] == 0)

    frozen = nn.Embedding.from_pretrained(torch.tensor(table), freeze=True)
    assert not frozen.weight.requires_grad and frozen(history).requires_grad is False

    bag = nn.EmbeddingBag.from_pretrained(torch.tensor(table), mode="mean")
    flat, offsets = torch.tensor([1, 2, 3, 3, 5]), torch.tensor([0, 2])
    np.testing.assert_allclose(bag(flat, offsets).data,
                               [table[[1, 2]].mean(0), table[[3, 3, 5]].mean(0)], rtol=1e-6)


def test_embedding_gradients_match_finite_differences():
    """Repeated indices add up; the padding row gets exactly zero; the MF prediction as a whole
    (two tables, two bias tables, a user and an item picked several times)."""
    rng = np.random.default_rng(2)
    index = np.array([[1, 1, 4], [4, 4, 0]])
    upstream = rng.normal(size=(2, 3, 3))
    table = torch.tensor(rng.normal(size=(6, 3)), requires_grad=True)
    assert gradcheck(lambda w: (F.embedding(index, w) * torch.tensor(upstream)).sum(), table)
    padded = torch.tensor(table.data, requires_grad=True)       # padding row 4: no gradient
    (F.embedding(index, padded, padding_idx=4) ** 2).sum().backward()
    (F.embedding(index, table) ** 2).sum().backward()
    expected = table.grad.copy()
    expected[4] = 0.0
    np.testing.assert_array_equal(padded.grad, expected)

    user, item = np.array([0, 2, 2, 1]), np.array([3, 3, 0, 1])
    rating = torch.tensor(rng.normal(3, 1, 4))

    def mf_loss(u, v, bu, bi):
        pred = (F.embedding(user, u) * F.embedding(item, v)).sum(1) \
            + F.embedding(user, bu).squeeze() + F.embedding(item, bi).squeeze() + 3.0
        return F.mse_loss(pred, rating) + 0.1 * (F.embedding(user, u).pow(2).sum())
    tables = [torch.tensor(rng.normal(size=shape), requires_grad=True)
              for shape in [(3, 4), (4, 4), (3, 1), (4, 1)]]
    assert gradcheck(mf_loss, *tables)


def test_bpr_and_the_logit_losses_match_finite_differences_and_stay_finite_at_1000():
    rng = np.random.default_rng(3)
    u, pos, neg = (torch.tensor(rng.normal(size=(5, 4)), requires_grad=True) for _ in range(3))
    assert gradcheck(lambda a, b, c: -F.logsigmoid((a * b).sum(-1) - (a * c).sum(-1)).mean(),
                     u, pos, neg)
    logits = torch.tensor(rng.normal(size=6), requires_grad=True)
    target = torch.tensor((rng.random(6) < 0.5).astype(np.float64))
    assert gradcheck(lambda z: F.binary_cross_entropy_with_logits(
        z, target, pos_weight=torch.tensor([4.0], dtype=torch.float64)), logits)

    x = torch.tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no overflow warning, no NaN
        out = F.logsigmoid(x)
        out.sum().backward()
    np.testing.assert_allclose(out.data, [-1000.0, -30.0, -math.log(2), -9.4e-14, 0.0],
                               rtol=1e-2, atol=1e-30)
    np.testing.assert_allclose(x.grad, [1.0, 1.0, 0.5, 9.4e-14, 0.0], rtol=1e-2, atol=1e-30)


def implicit_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each user has seen 20 items, drawn by a softmax of rank-4 affinities; one per user is
    held out. Returns the training interactions (bool, users × items) and the held-out items."""
    rng = np.random.default_rng(seed)
    affinity = 2.0 * rng.normal(size=(N_USERS, 4)) @ rng.normal(size=(4, N_ITEMS))
    p = np.exp(affinity - affinity.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    seen = np.zeros((N_USERS, N_ITEMS), bool)
    for user in range(N_USERS):
        seen[user, rng.choice(N_ITEMS, 20, replace=False, p=p[user])] = True
    held_out = np.array([rng.choice(np.flatnonzero(row)) for row in seen])
    seen[np.arange(N_USERS), held_out] = False
    return seen, held_out


def hit_rate_and_ndcg(scores, seen: np.ndarray, held_out: np.ndarray) -> tuple[float, float]:
    """Top 10 per user among the items not seen in training, as tensor ops."""
    with torch.no_grad():
        top = scores.masked_fill(torch.tensor(seen), float("-inf")).topk(10, dim=1).indices
        hit = (top == torch.tensor(held_out).unsqueeze(1)).float()
        discount = 1.0 / torch.log2(torch.arange(2, 12).float())
        return hit.sum(1).mean().item(), (hit * discount).sum(1).mean().item()


class DotModel(nn.Module):
    def __init__(self, k: int) -> None:
        super().__init__()
        self.user, self.item = nn.Embedding(N_USERS, k), nn.Embedding(N_ITEMS, k)
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)

    def forward(self, user, item):
        return (self.user(user) * self.item(item)).sum(-1)


def test_bpr_ranks_held_out_items_far_above_chance():
    torch.manual_seed(0)
    seen, held_out = implicit_data()
    users, items = (torch.tensor(a) for a in np.nonzero(seen))
    popularity = torch.tensor(seen.sum(0).astype(np.float64)) ** 0.75
    model = DotModel(16)
    opt = optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(30):
        order = torch.randperm(len(users))
        for start in range(0, len(users), 512):
            batch = order[start:start + 512]
            user, pos = users[batch], items[batch]
            if epoch % 2:
                neg = torch.randint(0, N_ITEMS, (len(batch),))
            else:
                neg = torch.multinomial(popularity, len(batch), replacement=True)
            loss = -F.logsigmoid(model(user, pos) - model(user, neg)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    scores = model.user.weight @ model.item.weight.T
    hit_rate, ndcg = hit_rate_and_ndcg(scores, seen, held_out)
    chance = 10 / (N_ITEMS - 19)
    assert hit_rate > 6 * chance and 0.3 * hit_rate < ndcg <= hit_rate, (hit_rate, ndcg)


class NeuralCF(nn.Module):
    def __init__(self, k: int) -> None:
        super().__init__()
        self.user, self.item = nn.Embedding(N_USERS, k), nn.Embedding(N_ITEMS, k)
        self.mlp = nn.Sequential(nn.Linear(2 * k, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, user, item):
        return self.mlp(torch.cat([self.user(user), self.item(item)], dim=1)).squeeze(-1)


def test_neural_collaborative_filtering_learns_with_pos_weight():
    torch.manual_seed(1)
    seen, held_out = implicit_data()
    users, items = (torch.tensor(a) for a in np.nonzero(seen))
    model = NeuralCF(16)
    opt = optim.Adam(model.parameters(), lr=0.01)
    pos_weight = torch.tensor([4.0])
    losses = []
    for epoch in range(12):
        order = torch.randperm(len(users))
        for start in range(0, len(users), 512):
            batch = order[start:start + 512]
            user = torch.cat([users[batch], users[batch].repeat(4)])
            item = torch.cat([items[batch], torch.randint(0, N_ITEMS, (4 * len(batch),))])
            label = torch.cat([torch.ones(len(batch)), torch.zeros(4 * len(batch))])
            loss = F.binary_cross_entropy_with_logits(model(user, item), label,
                                                      pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        every_user = torch.arange(N_USERS).repeat_interleave(N_ITEMS)
        every_item = torch.arange(N_ITEMS).repeat(N_USERS)
        scores = model(every_user, every_item).view(N_USERS, N_ITEMS)
    hit_rate, _ = hit_rate_and_ndcg(scores, seen, held_out)
    assert np.mean(losses[-10:]) < 0.9 * np.mean(losses[:10])
    assert hit_rate > 2 * 10 / (N_ITEMS - 19), hit_rate           # 0.17-0.25 seen (chance 0.055)


def numbers(x) -> np.ndarray:
    """An array, a glassgrad Tensor or a torch tensor as a numpy array."""
    return x if isinstance(x, np.ndarray) else x.detach().numpy()


def mf_twin(lib, layers, weights):
    class MF(layers.Module):
        def __init__(self):
            super().__init__()
            self.u, self.v = layers.Embedding(6, 3), layers.Embedding(5, 3)
            self.bu, self.bi = layers.Embedding(6, 1), layers.Embedding(5, 1)

        def forward(self, user, item):
            u, v = self.u(user), self.v(item)
            return (u * v).sum(1) + self.bu(user).squeeze() + self.bi(item).squeeze() + 3.0
    model = MF().double()
    model.load_state_dict({name: lib.tensor(w) for name, w in weights.items()})
    return model


@needs_torch
@pytest.mark.parametrize("name, kwargs", [("Adam", {"weight_decay": 1e-2}),
                                          ("Adagrad", {"weight_decay": 1e-2}),
                                          ("SGD", {"momentum": 0.9, "weight_decay": 1e-2})])
def test_mf_steps_as_pytorch_does_from_the_same_weights(name, kwargs):
    """Three steps of the MF model with the L2 term by hand and the optimizer's weight decay:
    PyTorch's losses, gradients and weights, in float64."""
    rng = np.random.default_rng(4)
    weights = {"u.weight": rng.normal(size=(6, 3)), "v.weight": rng.normal(size=(5, 3)),
               "bu.weight": rng.normal(size=(6, 1)), "bi.weight": rng.normal(size=(5, 1))}
    batches = [(rng.integers(0, 6, 8), rng.integers(0, 5, 8), rng.normal(3, 1, 8))
               for _ in range(3)]
    results = []
    for lib, layers, functional, optimizers in [
            (torch, nn, F, optim),
            (real_torch, real_torch.nn, real_torch.nn.functional, real_torch.optim)]:
        model = mf_twin(lib, layers, weights)
        opt = getattr(optimizers, name)(model.parameters(), lr=0.05, **kwargs)
        losses, grads = [], []
        for user, item, rating in batches:
            user, item = lib.tensor(user), lib.tensor(item)
            loss = functional.mse_loss(model(user, item), lib.tensor(rating)) \
                + 1e-3 * (model.u(user).pow(2).sum() + model.v(item).pow(2).sum())
            opt.zero_grad()
            loss.backward()
            grads.append({n: numbers(p.grad) for n, p in model.named_parameters()})
            opt.step()
            losses.append(loss.item())
        results.append((losses, grads, {n: numbers(p).copy()
                                        for n, p in model.named_parameters()}))
    (ours, our_grads, our_weights), (theirs, their_grads, their_weights) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    for mine, expected in zip(our_grads, their_grads):
        for key in expected:
            np.testing.assert_allclose(mine[key], expected[key], rtol=1e-10, atol=1e-14)
    for key in their_weights:
        np.testing.assert_allclose(our_weights[key], their_weights[key], rtol=1e-10)


@needs_torch
def test_ncf_loss_and_gradients_are_pytorchs():
    """Concatenated embeddings, an MLP, BCE with logits and pos_weight; then top-10 of the
    scores with the seen items masked out: the same numbers and the same items."""
    rng = np.random.default_rng(5)
    weights = {"user.weight": rng.normal(size=(4, 3)), "item.weight": rng.normal(size=(7, 3)),
               "mlp.0.weight": rng.normal(size=(5, 6)), "mlp.0.bias": rng.normal(size=5),
               "mlp.2.weight": rng.normal(size=(1, 5)), "mlp.2.bias": rng.normal(size=1)}
    user, item = rng.integers(0, 4, 10), rng.integers(0, 7, 10)
    label = (rng.random(10) < 0.3).astype(np.float64)
    seen = rng.random((4, 7)) < 0.3
    out = []
    for lib, layers, functional in [(torch, nn, F),
                                    (real_torch, real_torch.nn, real_torch.nn.functional)]:
        model = layers.Module()
        model.user, model.item = layers.Embedding(4, 3), layers.Embedding(7, 3)
        model.mlp = layers.Sequential(layers.Linear(6, 5), layers.ReLU(), layers.Linear(5, 1))
        model.double().load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
        logits = model.mlp(lib.cat([model.user(lib.tensor(user)), model.item(lib.tensor(item))],
                                   dim=1)).squeeze(-1)
        loss = functional.binary_cross_entropy_with_logits(
            logits, lib.tensor(label), pos_weight=lib.tensor([3.0], dtype=lib.float64))
        loss.backward()
        with lib.no_grad():
            scores = model.mlp(lib.cat([model.user.weight.repeat_interleave(7, dim=0),
                                        model.item.weight.repeat(4, 1)], dim=1)).view(4, 7)
            top = scores.masked_fill(lib.tensor(seen), float("-inf")).topk(3, dim=1)
        out.append((loss.item(), {n: numbers(p.grad) for n, p in model.named_parameters()},
                    numbers(top.values), numbers(top.indices)))
    (loss, grads, values, indices), (t_loss, t_grads, t_values, t_indices) = out
    assert loss == pytest.approx(t_loss, rel=1e-12)
    for key in t_grads:
        np.testing.assert_allclose(grads[key], t_grads[key], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(values, t_values, rtol=1e-12)
    np.testing.assert_array_equal(indices, t_indices)
