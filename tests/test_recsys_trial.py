"""A user trial: a recommender-systems course's exercises, written as a PyTorch student writes
them (`import autograd as torch`, `nn`, `nn.functional as F`, `nn.optim as optim`), on
ratings and implicit feedback drawn from known latent factors (a few hundred users and items).

Matrix factorisation with biases trained by Adam (weight decay, or an L2 term on the looked-up
rows only) and by SparseAdam on `nn.Embedding(sparse=True)` tables: held-out RMSE near the
noise, and the learned scores rank each user's items as the true factors do. BPR with
negatives drawn by randint and resampled where they hit a positive, evaluated by recall@k and
NDCG@k over all items (seen items masked with -inf, topk). A two-tower model (MLP towers, dot
and cosine scores) with in-batch negatives (softmax over the batch's score matrix, a
temperature) and a sampled softmax. NCF (GMF and MLP branches concatenated), EmbeddingBag
features with offsets and per_sample_weights, padding_idx, max_norm, from_pretrained(freeze=).
A factorisation machine's O(kn) pairwise term against the explicit double sum. A DataLoader
whose collate draws the negatives. Where PyTorch is installed, the same weights give the same
losses, gradients and optimizer steps (SparseAdam's included)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
import nn.optim as optim
from autograd import gradcheck
from nn.data import DataLoader, Dataset
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

N_USERS, N_ITEMS, RANK = 200, 150, 4


def latent_truth(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True user and item factors and the true score matrix u·v / √rank."""
    rng = np.random.default_rng(seed)
    users, items = rng.normal(size=(N_USERS, RANK)), rng.normal(size=(N_ITEMS, RANK))
    return users, items, users @ items.T / math.sqrt(RANK)


def explicit_ratings(seed: int = 0) -> dict[str, np.ndarray]:
    """r = 3 + truth + noise(0.25) on ~15% of the pairs; 20% of them held out."""
    rng = np.random.default_rng(seed + 1)
    truth = latent_truth(seed)[2]
    users, items = np.nonzero(rng.random(truth.shape) < 0.15)
    ratings = (3 + truth[users, items] + rng.normal(0, 0.25, len(users))).astype(np.float32)
    order = rng.permutation(len(users))
    cut = len(order) // 5
    return {"users": users, "items": items, "ratings": ratings, "truth": truth,
            "train": order[cut:], "test": order[:cut]}


def implicit_feedback(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each user's 12 best items by the true scores (plus noise) are positives; 2 of them per
    user held out. Returns the (user, item) training pairs, the held-out pairs and the
    training interaction matrix (users, items) of 0/1."""
    rng = np.random.default_rng(seed + 2)
    truth = latent_truth(seed)[2]
    liked = np.argsort(-(truth + rng.normal(0, 0.3, truth.shape)), axis=1)[:, :12]
    held = liked[:, :2]
    seen = np.zeros(truth.shape, np.float32)
    np.put_along_axis(seen, liked[:, 2:], 1.0, axis=1)
    users, items = np.nonzero(seen)
    held_users = np.repeat(np.arange(N_USERS), 2)
    return np.stack([users, items], 1), np.stack([held_users, held.reshape(-1)], 1), seen


class MF(nn.Module):
    def __init__(self, n_users, n_items, k, mu, sparse=False):
        super().__init__()
        self.user = nn.Embedding(n_users, k, sparse=sparse)
        self.item = nn.Embedding(n_items, k, sparse=sparse)
        self.user_bias = nn.Embedding(n_users, 1, sparse=sparse)
        self.item_bias = nn.Embedding(n_items, 1, sparse=sparse)
        for table in (self.user, self.item):
            nn.init.normal_(table.weight, std=0.1)
        for table in (self.user_bias, self.item_bias):
            nn.init.zeros_(table.weight)
        self.mu = mu

    def forward(self, u, i):
        dot = (self.user(u) * self.item(i)).sum(dim=1)
        return dot + self.user_bias(u).squeeze(1) + self.item_bias(i).squeeze(1) + self.mu


def ndcg_against_truth(scores: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k of each user's top-k by `scores`, with the true scores (shifted to be
    positive) as graded relevance."""
    gains = truth - truth.min()
    top = np.argsort(-scores, axis=1)[:, :k]
    ideal = -np.sort(-gains, axis=1)[:, :k]
    discount = 1 / np.log2(np.arange(2, k + 2))
    dcg = (np.take_along_axis(gains, top, 1) * discount).sum(1)
    return float((dcg / (ideal * discount).sum(1)).mean())


def train_mf(how: str, epochs: int = 50) -> tuple[float, float, MF]:
    torch.manual_seed(0)
    data = explicit_ratings()
    train, test = data["train"], data["test"]
    users, items = torch.tensor(data["users"]), torch.tensor(data["items"])
    ratings = torch.tensor(data["ratings"])
    model = MF(N_USERS, N_ITEMS, RANK, float(data["ratings"][train].mean()),
               sparse=how == "sparse_adam")
    if how == "sparse_adam":
        opt = optim.SparseAdam(model.parameters(), lr=0.05)
    else:
        opt = optim.Adam(model.parameters(), lr=0.05,
                         weight_decay=1e-4 if how == "weight_decay" else 0.0)
    train_t = torch.tensor(train)
    for epoch in range(epochs):
        for batch in torch.randperm(len(train)).split(256):
            rows = train_t[batch]
            u, i = users[rows], items[rows]
            loss = F.mse_loss(model(u, i), ratings[rows])
            if how in ("l2_rows", "sparse_adam"):    # only the rows this batch looked up
                loss = loss + 1e-3 * (model.user(u).pow(2).sum(1).mean()
                                      + model.item(i).pow(2).sum(1).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred = model(users[torch.tensor(test)], items[torch.tensor(test)])
        rmse = (pred - ratings[torch.tensor(test)]).pow(2).mean().sqrt().item()
        every_u = torch.arange(N_USERS).repeat_interleave(N_ITEMS)
        every_i = torch.arange(N_ITEMS).repeat(N_USERS)
        scores = model(every_u, every_i).reshape(N_USERS, N_ITEMS).numpy()
    return rmse, ndcg_against_truth(scores, data["truth"]), model


@pytest.mark.parametrize("how", ["weight_decay", "l2_rows", "sparse_adam"])
def test_matrix_factorisation_recovers_the_true_ranking(how):
    rmse, ndcg, model = train_mf(how)
    data = explicit_ratings()
    spread = float(data["ratings"][data["test"]].std())
    random = ndcg_against_truth(np.random.default_rng(0).random((N_USERS, N_ITEMS)),
                                data["truth"])
    # noise 0.25, ratings' spread ~1: a global mean scores ~1.0
    assert rmse < 0.5 * spread, (rmse, spread)                 # 0.39-0.42 seen
    assert ndcg > 0.95 and random < 0.85, (ndcg, random)         # 0.98-0.99 seen


def test_sparse_adam_leaves_the_rows_no_batch_looked_up():
    torch.manual_seed(1)
    table = nn.Embedding(10, 3, sparse=True, padding_idx=0)
    assert repr(table) == "Embedding(10, 3, padding_idx=0, sparse=True)"
    before = table.weight.data.copy()
    opt = optim.SparseAdam(table.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        table(torch.tensor([[0, 2], [5, 2]])).pow(2).sum().backward()
        opt.step()
    moved = np.any(table.weight.data != before, axis=1)
    assert moved.tolist() == [False, False, True, False, False, True] + [False] * 4
    # row 1 looked up by the first batch only: Adam moves it again on the second step (its
    # moments are not zero), SparseAdam does not
    after = {}
    for sparse, make in [(False, optim.Adam), (True, optim.SparseAdam)]:
        table = nn.Embedding.from_pretrained(torch.tensor(before), freeze=False, sparse=sparse)
        opt = make(table.parameters(), lr=0.1)
        rows_1 = []
        for rows in ([1, 2], [5, 5]):
            opt.zero_grad()
            table(torch.tensor(rows)).pow(2).sum().backward()
            opt.step()
            rows_1.append(table.weight.data[1].copy())
        after[make.__name__] = rows_1
    assert np.all(after["Adam"][0] != after["Adam"][1])
    np.testing.assert_array_equal(after["SparseAdam"][0], after["SparseAdam"][1])


def test_sparse_adam_names_adam_for_a_dense_gradient():
    model = nn.Sequential(nn.Embedding(5, 2, sparse=True), nn.Linear(2, 1))
    opt = optim.SparseAdam(model.parameters())
    model(torch.tensor([1, 2])).sum().backward()
    before = model[0].weight.data.copy()
    with pytest.raises(RuntimeError, match=r"SparseAdam: a parameter of shape \(1, 2\) has a "
                       r"dense gradient.*optim\.Adam"):
        opt.step()
    np.testing.assert_array_equal(model[0].weight.data, before)     # nothing half-stepped


def test_sparse_tables_with_sparse_adam_and_the_rest_with_adam():
    """The usual split: SparseAdam for the sparse tables, Adam for the dense layers; a sparse
    table trained by Adam alone works too (its noted rows stay a bounded union)."""
    from autograd.functional.embeddings import _SPARSE_ROWS
    torch.manual_seed(2)
    emb, head = nn.Embedding(20, 4, sparse=True), nn.Linear(4, 1)
    sparse_opt = optim.SparseAdam(emb.parameters(), lr=0.05)
    dense_opt = optim.Adam(head.parameters(), lr=0.05)
    x, y = torch.arange(20), torch.linspace(-1, 1, 20)
    first = None
    for _ in range(60):
        loss = F.mse_loss(head(emb(x)).squeeze(1), y)
        first = loss.item() if first is None else first
        sparse_opt.zero_grad()
        dense_opt.zero_grad()
        loss.backward()
        sparse_opt.step()
        dense_opt.step()
    assert loss.item() < 0.05 * first, (first, loss.item())
    alone = nn.Embedding(20, 4, sparse=True)
    adam = optim.Adam(alone.parameters(), lr=0.05)
    for step in range(200):
        adam.zero_grad()
        alone(torch.tensor([step % 20])).pow(2).sum().backward()
        adam.step()
    assert len(_SPARSE_ROWS[id(alone.weight)][1]) <= 65


def test_sparse_adam_state_follows_a_cast_and_a_checkpoint():
    """After model.double() the state is float64; a state_dict loaded into a twin gives the
    same next step."""
    torch.manual_seed(3)
    model = make_sparse_mf(torch, nn)()
    opt = optim.SparseAdam(model.parameters(), lr=0.05)
    rng = np.random.default_rng(3)

    def step(model, opt):
        u, i, feats = rng.integers(0, 7, 4), rng.integers(0, 9, 4), rng.integers(0, 5, 6)
        pred = model(torch.tensor(u), torch.tensor(i), torch.tensor(feats),
                     torch.tensor([0, 1, 3, 5]), torch.ones(6, dtype=model.user.weight.dtype))
        opt.zero_grad()
        pred.pow(2).mean().backward()
        opt.step()
    step(model, opt)
    model.double()
    twin = make_sparse_mf(torch, nn)().double()
    twin.load_state_dict(model.state_dict())
    twin_opt = optim.SparseAdam(twin.parameters(), lr=0.05)
    twin_opt.load_state_dict(opt.state_dict())
    state = rng.bit_generator.state
    step(model, opt)
    rng.bit_generator.state = state
    step(twin, twin_opt)
    assert {s["exp_avg"].dtype for s in opt.state.values()} == {np.dtype(np.float64)}
    for p, q in zip(model.parameters(), twin.parameters()):
        assert p.dtype == np.float64
        np.testing.assert_array_equal(p.data, q.data)


def test_a_students_mistakes_are_named():
    with pytest.raises(TypeError, match=r"SparseAdam takes no weight_decay .* add an L2 term on "
                                        r"the looked-up rows"):
        optim.SparseAdam(nn.Embedding(5, 2, sparse=True).parameters(), weight_decay=1e-4)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'momentum'"):
        optim.SparseAdam(nn.Embedding(5, 2, sparse=True).parameters(), momentum=0.9)
    with pytest.raises(TypeError, match=r"Embedding\(5, 2\): indices must be integers, got "
                                        r"floats \(dtype float32\); convert them with \.long\(\)"):
        nn.Embedding(5, 2)(torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"per_sample_weights .* only taken with mode='sum'"):
        nn.EmbeddingBag(5, 2)(torch.tensor([1, 2]), torch.tensor([0]),
                              per_sample_weights=torch.ones(2))


# -- implicit feedback: BPR, recall@k / NDCG@k ---------------------------------------------


def sample_negatives(users: torch.Tensor, seen: torch.Tensor, n_items: int) -> torch.Tensor:
    """One negative per user by torch.randint, redrawn where it hit a positive."""
    neg = torch.randint(0, n_items, (len(users),))
    bad = seen[users, neg] > 0
    while bad.any():
        neg[bad] = torch.randint(0, n_items, (int(bad.sum()),))
        bad = seen[users, neg] > 0
    return neg


def recall_ndcg_at_k(scores: torch.Tensor, seen: torch.Tensor, held: np.ndarray,
                     k: int) -> tuple[float, float]:
    """Recall@k and NDCG@k of the held-out (user, item) pairs, over all items, with the
    training positives masked out by -inf."""
    masked = scores.masked_fill(seen > 0, float("-inf"))
    top = torch.topk(masked, k, dim=1).indices.numpy()
    relevant = np.zeros(scores.shape, bool)
    relevant[held[:, 0], held[:, 1]] = True
    hits = np.take_along_axis(relevant, top, 1)
    n_rel = relevant.sum(1)
    recall = (hits.sum(1) / n_rel).mean()
    discount = 1 / np.log2(np.arange(2, k + 2))
    ideal = np.array([discount[:min(n, k)].sum() for n in n_rel])
    return float(recall), float(((hits * discount).sum(1) / ideal).mean())


class BPR(nn.Module):
    def __init__(self, n_users, n_items, k):
        super().__init__()
        self.user, self.item = nn.Embedding(n_users, k), nn.Embedding(n_items, k)
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)

    def forward(self, u, i):
        return (self.user(u) * self.item(i)).sum(-1)


def test_bpr_with_rejected_negatives_beats_chance_in_recall_and_ndcg():
    torch.manual_seed(0)
    pairs, held, seen_np = implicit_feedback()
    seen = torch.tensor(seen_np)
    model = BPR(N_USERS, N_ITEMS, 16)
    opt = optim.Adam(model.parameters(), lr=0.02)
    pairs_t = torch.tensor(pairs)
    for epoch in range(15):
        for batch in torch.randperm(len(pairs)).split(256):
            u, pos = pairs_t[batch, 0], pairs_t[batch, 1]
            neg = sample_negatives(u, seen, N_ITEMS)
            assert not (seen[u, neg] > 0).any()
            loss = -F.logsigmoid(model(u, pos) - model(u, neg)).mean()
            loss = loss + 1e-4 * (model.user(u).pow(2).sum() + model.item(pos).pow(2).sum()
                                  + model.item(neg).pow(2).sum()) / len(u)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        scores = model.user.weight @ model.item.weight.T
    recall, ndcg = recall_ndcg_at_k(scores, seen, held, k=10)
    chance = 10 / (N_ITEMS - 10)
    assert recall > 6 * chance and ndcg > 0.2, (recall, ndcg, chance)


# -- two towers: in-batch negatives, sampled softmax ---------------------------------------


class Tower(nn.Module):
    def __init__(self, n, k, out):
        super().__init__()
        self.emb = nn.Embedding(n, k)
        self.mlp = nn.Sequential(nn.Linear(k, 32), nn.ReLU(), nn.Linear(32, out))

    def forward(self, ids):
        return self.mlp(self.emb(ids))


def in_batch_loss(F_, lib, user_vec, item_vec, temperature, cosine):
    if cosine:
        user_vec, item_vec = F_.normalize(user_vec, dim=-1), F_.normalize(item_vec, dim=-1)
    logits = user_vec @ item_vec.T / temperature            # (B, B): the diagonal is positive
    return F_.cross_entropy(logits, lib.arange(len(user_vec)))


def sampled_softmax_loss(F_, lib, user_vec, item_table, pos, sampled, log_q):
    """Softmax over the positive and shared sampled negatives, with the logQ correction."""
    candidates = lib.cat([pos, sampled])
    logits = user_vec @ item_table[candidates].T - log_q[candidates]
    # a sampled copy of a row's own positive is not a negative
    hit = pos.reshape(-1, 1) == sampled.reshape(1, -1)
    own = lib.zeros(len(pos), len(pos), dtype=lib.bool)
    logits = logits.masked_fill(lib.cat([own, hit], dim=1), float("-inf"))
    return F_.cross_entropy(logits, lib.arange(len(pos)))


@pytest.mark.parametrize("cosine", [False, True])
def test_two_tower_with_in_batch_negatives_learns(cosine):
    torch.manual_seed(0)
    pairs, held, seen_np = implicit_feedback()
    users, items = Tower(N_USERS, 16, 16), Tower(N_ITEMS, 16, 16)
    opt = optim.Adam([*users.parameters(), *items.parameters()], lr=1e-2)
    pairs_t = torch.tensor(pairs)
    first = None
    for epoch in range(15):
        for batch in torch.randperm(len(pairs)).split(128):
            u, i = pairs_t[batch, 0], pairs_t[batch, 1]
            loss = in_batch_loss(F, torch, users(u), items(i), 0.1 if cosine else 1.0, cosine)
            first = loss.item() if first is None else first
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        scores = users(torch.arange(N_USERS)) @ items(torch.arange(N_ITEMS)).T
    recall, _ = recall_ndcg_at_k(scores, torch.tensor(seen_np), held, k=10)
    # log(128) = 4.85 at the start; recall 0.49 (dot), 0.29 (cosine) seen, chance 0.067
    assert loss.item() < first - 1.0 and recall > 0.2, (first, loss.item(), recall)


def test_sampled_softmax_learns_and_masks_a_sampled_copy_of_the_positive():
    torch.manual_seed(0)
    pairs, held, seen_np = implicit_feedback()
    popularity = seen_np.sum(0) + 1.0
    q = torch.tensor(popularity / popularity.sum())
    users = Tower(N_USERS, 16, 16)
    items = nn.Embedding(N_ITEMS, 16)
    nn.init.normal_(items.weight, std=0.1)
    opt = optim.Adam([*users.parameters(), *items.parameters()], lr=1e-2)
    pairs_t = torch.tensor(pairs)
    for epoch in range(10):
        for batch in torch.randperm(len(pairs)).split(128):
            u, pos = pairs_t[batch, 0], pairs_t[batch, 1]
            sampled = torch.multinomial(q, 32, replacement=True)
            loss = sampled_softmax_loss(F, torch, users(u), items.weight, pos, sampled,
                                        q.log())
            assert torch.isfinite(loss)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        scores = users(torch.arange(N_USERS)) @ items.weight.T
    recall, _ = recall_ndcg_at_k(scores, torch.tensor(seen_np), held, k=10)
    assert recall > 0.2, recall


# -- NCF, bags of features, padding, max_norm, pretrained tables ---------------------------


def make_neumf(lib, layers):
    class NeuMF(layers.Module):
        """GMF (elementwise product) and MLP (concatenation) branches, concatenated into one
        logit; the user's multi-hot features (genres liked, weighted) come in as a bag."""

        def __init__(self, n_users, n_items, n_features, k):
            super().__init__()
            self.gmf_user = layers.Embedding(n_users, k)
            self.gmf_item = layers.Embedding(n_items, k)
            self.mlp_user = layers.Embedding(n_users, k)
            self.mlp_item = layers.Embedding(n_items, k)
            self.features = layers.EmbeddingBag(n_features, k, mode="sum", padding_idx=0)
            self.mlp = layers.Sequential(layers.Linear(3 * k, 16), layers.ReLU(),
                                         layers.Linear(16, k), layers.ReLU())
            self.out = layers.Linear(2 * k, 1)

        def forward(self, u, i, feats, offsets, weights):
            gmf = self.gmf_user(u) * self.gmf_item(i)
            bag = self.features(feats, offsets, per_sample_weights=weights)
            mlp = self.mlp(lib.cat([self.mlp_user(u), self.mlp_item(i), bag], dim=1))
            return self.out(lib.cat([gmf, mlp], dim=1)).squeeze(-1)
    return NeuMF


def user_features(users: np.ndarray, seed: int = 0):
    """Each user's bag of 1-3 feature ids (0 is padding, sometimes present) and weights."""
    rng = np.random.default_rng(seed + int(users.sum()))
    lengths = 1 + (users % 3)
    feats = np.concatenate([rng.integers(0, 6, n) for n in lengths])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return feats, offsets, rng.uniform(0.5, 1.5, len(feats)).astype(np.float32)


def test_neumf_with_feature_bags_learns_to_separate_positives():
    torch.manual_seed(0)
    pairs, held, seen_np = implicit_feedback()
    model = make_neumf(torch, nn)(N_USERS, N_ITEMS, 6, 8)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    pairs_t, seen = torch.tensor(pairs), torch.tensor(seen_np)
    losses = []
    for epoch in range(12):
        for batch in torch.randperm(len(pairs)).split(256):
            u, pos = pairs_t[batch, 0], pairs_t[batch, 1]
            neg = sample_negatives(u, seen, N_ITEMS)
            uu, ii = torch.cat([u, u]), torch.cat([pos, neg])
            labels = torch.cat([torch.ones(len(u)), torch.zeros(len(u))])
            feats, offsets, weights = user_features(uu.numpy())
            logits = model(uu, ii, torch.tensor(feats), torch.tensor(offsets),
                           torch.tensor(weights))
            loss = F.binary_cross_entropy_with_logits(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert model.features.weight.data[0].tolist() == [0.0] * 8      # padding stays zero
    # log 2 = 0.69 at the start; 0.59 seen after 12 epochs
    assert np.mean(losses[:5]) > 0.68 and np.mean(losses[-8:]) < 0.62, losses[::10]


def test_padding_max_norm_and_pretrained_tables():
    rng = np.random.default_rng(3)
    table = rng.normal(0, 2, (6, 4)).astype(np.float32)
    capped = nn.Embedding.from_pretrained(torch.tensor(table.copy()), freeze=False,
                                          max_norm=1.0)
    out = capped(torch.tensor([[1, 2], [2, 5]]))
    norms = np.linalg.norm(capped.weight.data, axis=1)
    assert np.all(norms[[1, 2, 5]] <= 1.0 + 1e-6)
    np.testing.assert_allclose(norms[[0, 3, 4]], np.linalg.norm(table[[0, 3, 4]], axis=1))
    np.testing.assert_allclose(out.data[0, 0], table[1] / (np.linalg.norm(table[1]) + 1e-7),
                               rtol=1e-6)
    frozen = nn.Embedding.from_pretrained(torch.tensor(table), freeze=True)
    head = nn.Linear(4, 1)
    head(frozen(torch.tensor([1, 2]))).sum().backward()
    assert frozen.weight.grad is None and head.weight.grad is not None
    padded = nn.Embedding(6, 4, padding_idx=0)
    padded(torch.tensor([[0, 3], [0, 0]])).sum().backward()
    assert padded.weight.grad[0].tolist() == [0.0] * 4 and padded.weight.grad[3].tolist() \
        == [1.0] * 4


# -- factorisation machines ----------------------------------------------------------------


def fm_pairwise_fast(v_rows, x):
    """0.5 * sum_f ((sum_i x_i v_if)^2 - sum_i x_i^2 v_if^2): O(kn) for each sample."""
    xv = (x.unsqueeze(-1) * v_rows).sum(1)
    x2v2 = (x.unsqueeze(-1).pow(2) * v_rows.pow(2)).sum(1)
    return 0.5 * (xv.pow(2) - x2v2).sum(-1)


def fm_pairwise_slow(v_rows, x):
    """The explicit sum over pairs i < j of <v_i, v_j> x_i x_j."""
    n = v_rows.shape[1]
    total = 0
    for i in range(n):
        for j in range(i + 1, n):
            total = total + (v_rows[:, i] * v_rows[:, j]).sum(-1) * x[:, i] * x[:, j]
    return total


class FM(nn.Module):
    def __init__(self, n_features, k):
        super().__init__()
        self.w0 = nn.Parameter(torch.zeros(1))
        self.w = nn.Embedding(n_features, 1)
        self.v = nn.Embedding(n_features, k)
        nn.init.zeros_(self.w.weight)
        nn.init.normal_(self.v.weight, std=0.1)

    def forward(self, index, value):
        """index (B, fields) of one-hot feature ids, value (B, fields) their values."""
        linear = (self.w(index).squeeze(-1) * value).sum(1)
        return self.w0 + linear + fm_pairwise_fast(self.v(index), value)


def test_fm_trick_is_the_pairwise_sum_and_differentiates():
    rng = np.random.default_rng(4)
    v = torch.tensor(rng.normal(size=(30, 8)), requires_grad=True)
    index = torch.tensor(rng.integers(0, 30, (5, 4)))
    x = torch.tensor(rng.uniform(0.5, 1.5, (5, 4)), requires_grad=True)
    rows = F.embedding(index, v)
    np.testing.assert_allclose(fm_pairwise_fast(rows, x).data, fm_pairwise_slow(rows, x).data,
                               rtol=1e-12)
    assert gradcheck(lambda v, x: fm_pairwise_fast(F.embedding(index, v), x), (v, x))
    one = torch.tensor(rng.normal(size=(1, 3, 2)), requires_grad=True)     # batch of 1
    assert gradcheck(lambda r: fm_pairwise_fast(r, torch.ones(1, 3, dtype=torch.float64)), one)


def test_fm_learns_the_ratings_from_one_hot_user_and_item_fields():
    torch.manual_seed(0)
    data = explicit_ratings()
    train, test = data["train"], data["test"]
    index = torch.tensor(np.stack([data["users"], N_USERS + data["items"]], 1))
    value = torch.ones(index.shape)
    ratings = torch.tensor(data["ratings"])
    model = FM(N_USERS + N_ITEMS, RANK)
    with torch.no_grad():
        model.w0.fill_(float(data["ratings"][train].mean()))
    opt = optim.Adam(model.parameters(), lr=0.05)
    train_t = torch.tensor(train)
    for epoch in range(40):
        for batch in torch.randperm(len(train)).split(256):
            rows = train_t[batch]
            loss = F.mse_loss(model(index[rows], value[rows]), ratings[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        test_t = torch.tensor(test)
        rmse = F.mse_loss(model(index[test_t], value[test_t]), ratings[test_t]).sqrt().item()
    assert rmse < 0.5 * float(data["ratings"][test].std()), rmse


# -- a DataLoader whose collate draws the negatives ----------------------------------------


class Interactions(Dataset):
    def __init__(self, pairs):
        self.pairs = pairs

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, idx):
        u, i = self.pairs[idx]
        return int(u), int(i), 1.0


def make_collate(seen: torch.Tensor, n_neg: int):
    def collate(batch):
        users = torch.tensor([b[0] for b in batch])
        items = torch.tensor([b[1] for b in batch])
        labels = torch.tensor([b[2] for b in batch])
        neg_users = users.repeat_interleave(n_neg)
        negs = sample_negatives(neg_users, seen, seen.shape[1])
        return (torch.cat([users, neg_users]), torch.cat([items, negs]),
                torch.cat([labels, torch.zeros(len(negs))]))
    return collate


def test_a_collate_that_samples_negatives_feeds_a_shuffled_loader():
    torch.manual_seed(0)
    pairs, _, seen_np = implicit_feedback()
    seen = torch.tensor(seen_np)
    loader = DataLoader(Interactions(pairs), batch_size=64, shuffle=True,
                        collate_fn=make_collate(seen, 2))
    first_users = []
    for epoch in range(2):
        total = 0
        for b, (u, i, y) in enumerate(loader):
            assert u.shape == i.shape == y.shape == (3 * len(u) // 3,)
            assert y.dtype == torch.float32 and u.dtype == torch.int64
            positives = y == 1
            assert (seen[u[positives], i[positives]] == 1).all()
            assert (seen[u[~positives], i[~positives]] == 0).all()
            assert int(positives.sum()) * 2 == int((~positives).sum())
            total += int(positives.sum())
            if b == 0:
                first_users.append(u[:8].tolist())
        assert total == len(pairs)
    assert first_users[0] != first_users[1]                         # reshuffled each epoch


# -- the same numbers as PyTorch -----------------------------------------------------------


def numbers(x) -> np.ndarray:
    """A glassgrad or torch tensor (a sparse torch gradient made dense) as a numpy array."""
    if isinstance(x, np.ndarray):
        return x
    if getattr(x, "is_sparse", False):
        x = x.to_dense()
    return x.detach().numpy()


def twin_models(make, rng, *args):
    """The same model in glassgrad and in PyTorch, float64, with glassgrad's initial weights."""
    ours = make(torch, nn)(*args).double()
    theirs = make(real_torch, real_torch.nn)(*args).double()
    theirs.load_state_dict({k: real_torch.tensor(v.numpy())
                            for k, v in ours.state_dict().items()})
    return ours, theirs


def make_sparse_mf(lib, layers):
    class SparseMF(layers.Module):
        def __init__(self):
            super().__init__()
            self.user = layers.Embedding(7, 3, sparse=True, padding_idx=0)
            self.item = layers.Embedding(9, 3, sparse=True)
            self.bag = layers.EmbeddingBag(5, 3, mode="sum", sparse=True)

        def forward(self, u, i, feats, offsets, weights):
            tag = self.bag(feats, offsets, per_sample_weights=weights)
            return ((self.user(u) + tag) * self.item(i)).sum(1)
    return SparseMF


@needs_torch
@pytest.mark.parametrize("maximize", [False, True])
def test_sparse_adam_steps_as_pytorchs(maximize):
    rng = np.random.default_rng(5)
    torch.manual_seed(5)
    models = twin_models(make_sparse_mf, rng)
    batches = [(rng.integers(0, 7, 6), rng.integers(0, 9, 6), rng.integers(0, 5, 9),
                rng.normal(3, 1, 6), rng.uniform(0.5, 1.5, 9)) for _ in range(4)]
    results = []
    for lib, F_, optimizers, model in [(torch, F, optim, models[0]),
                                       (real_torch, real_torch.nn.functional, real_torch.optim,
                                        models[1])]:
        opt = optimizers.SparseAdam(model.parameters(), lr=0.05, betas=(0.8, 0.95),
                                    maximize=maximize)
        trace = []
        for u, i, feats, r, w in batches:
            offsets = lib.tensor([0, 2, 3, 3, 5, 7])            # an empty bag too
            pred = model(lib.tensor(u), lib.tensor(i), lib.tensor(feats), offsets,
                         lib.tensor(w))
            loss = F_.mse_loss(pred, lib.tensor(r))
            opt.zero_grad()
            loss.backward()
            trace.append([loss.item()] + [numbers(p.grad) for p in model.parameters()])
            opt.step()
        trace.append([numbers(p) for p in model.parameters()])
        results.append(trace)
    for ours, theirs in zip(*results):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@needs_torch
@pytest.mark.parametrize("cosine, temperature", [(False, 1.0), (True, 0.07)])
def test_in_batch_and_sampled_softmax_losses_are_pytorchs(cosine, temperature):
    rng = np.random.default_rng(6)
    user_np, item_np = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    table_np, q_np = rng.normal(size=(12, 4)), rng.dirichlet(np.ones(12))
    pos, sampled = np.array([1, 4, 4, 7, 0]), np.array([4, 2, 9, 11, 1, 1])
    results = []
    for lib, F_ in [(torch, F), (real_torch, real_torch.nn.functional)]:
        user = lib.tensor(user_np, requires_grad=True)
        item = lib.tensor(item_np, requires_grad=True)
        table = lib.tensor(table_np, requires_grad=True)
        loss = in_batch_loss(F_, lib, user, item, temperature, cosine) \
            + sampled_softmax_loss(F_, lib, user, table, lib.tensor(pos), lib.tensor(sampled),
                                   lib.tensor(q_np).log())
        loss.backward()
        results.append([loss.item(), numbers(user.grad), numbers(item.grad),
                        numbers(table.grad)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@needs_torch
def test_neumf_bpr_and_fm_gradients_are_pytorchs():
    rng = np.random.default_rng(7)
    torch.manual_seed(7)
    models = twin_models(make_neumf, rng, 6, 10, 6, 4)
    u, i, neg = rng.integers(0, 6, 8), rng.integers(0, 10, 8), rng.integers(0, 10, 8)
    feats, offsets, weights = user_features(u)
    v_np, x_np = rng.normal(size=(20, 3)), rng.uniform(0.5, 1.5, (8, 4))
    fm_index = rng.integers(0, 20, (8, 4))
    results = []
    for lib, F_, model in [(torch, F, models[0]),
                           (real_torch, real_torch.nn.functional, models[1])]:
        def score(items):
            return model(lib.tensor(u), lib.tensor(items), lib.tensor(feats),
                         lib.tensor(offsets), lib.tensor(weights.astype(np.float64)))
        bpr = -F_.logsigmoid(score(i) - score(neg)).mean()
        v = lib.tensor(v_np, requires_grad=True)
        x = lib.tensor(x_np, requires_grad=True)
        fm = fm_pairwise_fast(F_.embedding(lib.tensor(fm_index), v), x).pow(2).mean()
        (bpr + fm).backward()
        results.append([bpr.item(), fm.item(), numbers(v.grad), numbers(x.grad)]
                       + [numbers(p.grad) for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
