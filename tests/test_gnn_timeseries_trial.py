"""A user trial: a prototyper's two short PyTorch courses, written as such a person writes them
after `import autograd as torch`, `import nn`, `import nn.functional as F`, `import nn.optim as
optim` (the code of each model is one function of those modules, so the same lines run on
PyTorch where it is installed, from the same weights, and must give the same numbers).

1. Graph neural networks from scratch (no PyG): a stochastic block model of two communities as
   an edge_index of shape (2, E); a GCN layer (the dense D^-1/2 (A + I) D^-1/2 X and the same
   by message passing: `index_add_`, `scatter_add_` with an expanded index, a sorted edge list
   through `segment_reduce`), GraphSAGE's mean (`index_reduce(..., 'mean')`), a two-head GAT
   layer (leaky_relu logits per edge, each node's softmax of its incoming edges shifted by a
   `scatter_reduce` amax), node classification through a boolean train mask, and graph
   classification by a global mean pool over a batch vector.
2. Time-series forecasting: a seasonal series with trend and noise, min-max and standard
   scaling fitted on the training part only, sliding windows by `unfold`, by stacked slices and
   by `as_strided`, a DataLoader that shuffles the training windows and not the validation
   ones, LSTM / GRU / causal dilated Conv1d forecasters (F.pad on the left), recursive and
   direct multi-step forecasts and a seq2seq decoder with teacher forcing; each beats the
   seasonal-naive forecast (MAE and RMSE) on the held-out tail.

What the trial found missing, and what was done:
- `t.index_reduce(dim, index, source, reduce, include_self=)` and `index_reduce_` (PyTorch's
  per-node mean / max of messages) did not exist: added (mean, amax, amin, made of
  scatter_reduce; 'sum' points to index_add, as PyTorch refuses it too);
- `torch.segment_reduce(data, reduce, lengths=/offsets=)` (a sorted edge list's or a batch's
  sums, means, maxima per segment) did not exist: added (sum, mean, max, min; PyTorch's values
  for an empty segment);
- `torch.unique_consecutive` (the nodes per graph of a sorted batch vector) did not exist: added;
- `t.as_strided(size, stride)` / `torch.as_strided` (a tutorial's sliding windows) was refused
  as having "no counterpart": it reads a contiguous tensor's memory now (a copy, in the graph),
  and names `unfold` and `contiguous()` for a view that is not contiguous.
"""

from __future__ import annotations

import math
import types

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
import nn.optim as optim
from autograd import Tensor, gradcheck
from nn.data import DataLoader, TensorDataset
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

OURS = types.SimpleNamespace(torch=torch, nn=nn, F=F)


def theirs() -> types.SimpleNamespace:
    import torch.nn.functional as tF
    return types.SimpleNamespace(torch=real_torch, nn=real_torch.nn, F=tF)


def copy_weights(ours, model) -> None:
    """PyTorch's `model` given our model's parameters, name by name."""
    mine = dict(ours.named_parameters())
    with real_torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(real_torch.tensor(np.asarray(mine[name].data)))


def assert_same_gradients(ours, model, rtol: float = 2e-4) -> None:
    mine = dict(ours.named_parameters())
    for name, p in model.named_parameters():
        want = p.grad.numpy()
        np.testing.assert_allclose(mine[name].grad, want, rtol=rtol,
                                   atol=rtol * float(np.abs(want).max()), err_msg=name)


# == 1. graph neural networks ================================================================

def block_model(n: int = 40, seed: int = 0):
    """Two communities of n/2 nodes (edges inside with p 0.3, across with 0.03), undirected,
    as (edge_index (2, E) int64 both ways, labels, features (n, 8) with a weak signal)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    p = np.where(y[:, None] == y[None, :], 0.3, 0.03)
    upper = np.triu(rng.random((n, n)) < p, 1)
    edge_index = np.stack(np.nonzero(upper | upper.T)).astype(np.int64)
    x = rng.normal(size=(n, 8)) + 0.4 * y[:, None] * np.linspace(-1, 1, 8)
    return edge_index, y, x.astype(np.float32)


EDGES, LABELS, FEATURES = block_model()


def gnn_layers(ns):
    """The prototyper's layers, written once for a torch-like namespace."""
    torch, nn, F = ns.torch, ns.nn, ns.F

    def gcn_norm(edge_index, num_nodes):
        loops = torch.arange(num_nodes).unsqueeze(0).repeat(2, 1)
        edge_index = torch.cat([edge_index, loops], dim=1)
        row, col = edge_index
        deg = torch.bincount(col, minlength=num_nodes).float()
        inv_sqrt = deg.pow(-0.5)
        inv_sqrt[torch.isinf(inv_sqrt)] = 0
        return edge_index, inv_sqrt[row] * inv_sqrt[col]

    class GCNConv(nn.Module):
        def __init__(self, d_in, d_out):
            super().__init__()
            self.lin = nn.Linear(d_in, d_out, bias=False)
            self.bias = nn.Parameter(torch.zeros(d_out))

        def forward(self, x, edge_index):
            edge_index, norm = gcn_norm(edge_index, x.size(0))
            h = self.lin(x)
            src, dst = edge_index[0], edge_index[1]
            out = torch.zeros_like(h).index_add_(0, dst, norm.view(-1, 1) * h[src])
            return out + self.bias

    class SAGEConv(nn.Module):
        def __init__(self, d_in, d_out):
            super().__init__()
            self.lin_l = nn.Linear(d_in, d_out)
            self.lin_r = nn.Linear(d_in, d_out, bias=False)

        def forward(self, x, edge_index):
            src, dst = edge_index
            agg = torch.zeros_like(x).index_reduce_(0, dst, x[src], "mean", include_self=False)
            return self.lin_l(agg) + self.lin_r(x)

    class GATConv(nn.Module):
        def __init__(self, d_in, d_out, heads=2):
            super().__init__()
            self.heads, self.d_out = heads, d_out
            self.lin = nn.Linear(d_in, heads * d_out, bias=False)
            self.att_src = nn.Parameter(torch.empty(1, heads, d_out))
            self.att_dst = nn.Parameter(torch.empty(1, heads, d_out))
            nn.init.xavier_uniform_(self.att_src)
            nn.init.xavier_uniform_(self.att_dst)

        def forward(self, x, edge_index):
            n = x.size(0)
            h = self.lin(x).view(-1, self.heads, self.d_out)
            src, dst = edge_index
            e = F.leaky_relu((h * self.att_src).sum(-1)[src] + (h * self.att_dst).sum(-1)[dst],
                             0.2)                                           # (E, heads)
            top = torch.full((n, self.heads), float("-inf")).scatter_reduce(
                0, dst.unsqueeze(-1).expand_as(e), e, reduce="amax", include_self=True)
            e = (e - top[dst]).exp()
            alpha = e / torch.zeros(n, self.heads).index_add_(0, dst, e)[dst]
            out = torch.zeros(n, self.heads, self.d_out).index_add_(
                0, dst, alpha.unsqueeze(-1) * h[src])
            return out.mean(dim=1)

    class NodeClassifier(nn.Module):
        def __init__(self, conv, d_in=8, hidden=16, classes=2):
            super().__init__()
            self.conv1, self.conv2 = conv(d_in, hidden), conv(hidden, classes)

        def forward(self, x, edge_index):
            h = F.dropout(F.relu(self.conv1(x, edge_index)), p=0.5, training=self.training)
            return self.conv2(h, edge_index)

    class GraphClassifier(nn.Module):
        def __init__(self, d_in=1, hidden=16, classes=2):
            super().__init__()
            self.conv1, self.conv2 = GCNConv(d_in, hidden), GCNConv(hidden, hidden)
            self.head = nn.Linear(hidden, classes)

        def forward(self, x, edge_index, batch):
            h = F.relu(self.conv1(x, edge_index))
            h = F.relu(self.conv2(h, edge_index))
            graphs = int(batch.max()) + 1
            pooled = torch.zeros(graphs, h.size(1)).index_add_(0, batch, h)
            return self.head(pooled / torch.bincount(batch, minlength=graphs).unsqueeze(1))

    return types.SimpleNamespace(GCNConv=GCNConv, SAGEConv=SAGEConv, GATConv=GATConv,
                                 NodeClassifier=NodeClassifier, GraphClassifier=GraphClassifier,
                                 gcn_norm=gcn_norm)


G = gnn_layers(OURS)


def test_message_passing_in_every_spelling_equals_the_dense_normalised_adjacency():
    n = len(LABELS)
    edge_index, x = torch.tensor(EDGES), torch.tensor(FEATURES)
    A = torch.zeros(n, n)
    A[edge_index[0], edge_index[1]] = 1
    A_hat = A + torch.eye(n)
    D_inv_sqrt = torch.diag(A_hat.sum(dim=1).pow(-0.5))
    dense = D_inv_sqrt @ A_hat @ D_inv_sqrt @ x
    ei, norm = G.gcn_norm(edge_index, n)
    src, dst = ei
    msg = norm.unsqueeze(-1) * x[src]
    spellings = {
        "index_add_": torch.zeros(n, 8).index_add_(0, dst, msg),
        "index_add": x.new_zeros((n, 8)).index_add(0, dst, msg),
        "scatter_add_": torch.zeros(n, 8).scatter_add_(0, dst.view(-1, 1).expand(-1, 8), msg),
        "torch.scatter_add": torch.scatter_add(torch.zeros(n, 8), 0,
                                               dst.unsqueeze(1).expand_as(msg), msg),
    }
    order = torch.argsort(dst, stable=True)              # a CSR-like sorted edge list
    spellings["segment_reduce"] = torch.segment_reduce(
        msg[order], "sum", lengths=torch.bincount(dst, minlength=n))
    for name, out in spellings.items():
        np.testing.assert_allclose(out.numpy(), dense.numpy(), atol=1e-5, err_msg=name)
    degree = torch.zeros(n).scatter_add_(0, edge_index[1], torch.ones(edge_index.size(1)))
    assert torch.equal(degree.long(), torch.bincount(edge_index[1], minlength=n))


def test_a_gcn_learns_the_communities_from_six_labelled_nodes():
    torch.manual_seed(0)
    edge_index, x, y = torch.tensor(EDGES), torch.tensor(FEATURES), torch.tensor(LABELS)
    train_mask = torch.zeros(len(y), dtype=torch.bool)
    train_mask[torch.tensor([0, 1, 2, 20, 21, 22])] = True
    model = G.NodeClassifier(G.GCNConv)
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for epoch in range(100):
        model.train()
        optimizer.zero_grad()
        out = model(x, edge_index)
        loss = F.cross_entropy(out[train_mask], y[train_mask])
        loss.backward()
        optimizer.step()
        if epoch == 0:
            first = loss.item()
    model.eval()
    with torch.no_grad():
        pred = model(x, edge_index).argmax(dim=1)
    test_mask = ~train_mask
    accuracy = (pred[test_mask] == y[test_mask]).sum().item() / int(test_mask.sum())
    assert loss.item() < 0.2 * first and accuracy >= 0.9, (first, loss.item(), accuracy)


@needs_torch
@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
@pytest.mark.parametrize("conv", ["GCNConv", "SAGEConv", "GATConv"])
def test_each_layer_gives_pytorch_s_loss_and_gradients_from_the_same_weights(conv):
    torch.manual_seed(1)
    ours = G.NodeClassifier(getattr(G, conv)).eval()
    model = G_TORCH().NodeClassifier(getattr(G_TORCH(), conv)).eval()
    copy_weights(ours, model)
    mask = LABELS % 3 == 0
    loss = F.cross_entropy(ours(torch.tensor(FEATURES), torch.tensor(EDGES))[
        torch.tensor(mask)], torch.tensor(LABELS[mask]))
    t_loss = real_torch.nn.functional.cross_entropy(
        model(real_torch.tensor(FEATURES), real_torch.tensor(EDGES))[real_torch.tensor(mask)],
        real_torch.tensor(LABELS[mask]))
    loss.backward()
    t_loss.backward()
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-5)
    assert_same_gradients(ours, model)


def G_TORCH():
    return gnn_layers(theirs())


def test_the_attention_softmax_sums_to_one_over_each_node_s_incoming_edges():
    torch.manual_seed(2)
    layer, x, edge_index = G.GATConv(8, 4), torch.tensor(FEATURES), torch.tensor(EDGES)
    h = layer.lin(x).view(-1, 2, 4)
    src, dst = edge_index
    e = F.leaky_relu((h * layer.att_src).sum(-1)[src] + (h * layer.att_dst).sum(-1)[dst], 0.2)
    by_scatter = torch.zeros(40, 2).scatter_reduce(0, dst.unsqueeze(-1).expand_as(e), e,
                                                   "amax", include_self=False)
    by_index = torch.zeros(40, 2).index_reduce(0, dst, e, "amax", include_self=False)
    assert torch.equal(by_scatter, by_index)
    alpha = (e - by_index[dst]).exp()
    alpha = alpha / torch.zeros(40, 2).index_add(0, dst, alpha)[dst]
    sums = torch.zeros(40, 2).index_add(0, dst, alpha)
    np.testing.assert_allclose(sums.detach().numpy(), 1.0, rtol=1e-6)


def test_gradients_of_the_index_add_and_scatter_paths_against_finite_differences():
    """float64: a GCN step, SAGE's index_reduce mean, GAT's scatter_reduce-shifted softmax and
    a segment_reduce max, each differentiated in the features and the edge scores."""
    rng = np.random.default_rng(3)
    edge_index = torch.tensor(EDGES[:, :30])
    src, dst = edge_index
    n = 40
    x = torch.tensor(rng.normal(size=(n, 3)), requires_grad=True)
    s = torch.tensor(rng.normal(size=30), requires_grad=True)

    def gcn(x):
        ei, norm = G.gcn_norm(edge_index, n)
        return torch.zeros(n, 3, dtype=torch.float64).index_add_(0, ei[1],
                                                                 norm.double()[:, None] * x[ei[0]])

    def sage(x):
        return torch.zeros_like(x).index_reduce(0, dst, x[src] ** 2, "mean", include_self=False)

    def attention(s):
        top = torch.zeros(n, dtype=torch.float64).scatter_reduce(0, dst, s, "amax",
                                                                 include_self=False)
        e = (s - top[dst]).exp()
        return e / torch.zeros(n, dtype=torch.float64).scatter_add(0, dst, e)[dst]

    def segment_max(s):
        order = torch.argsort(dst, stable=True)
        return torch.segment_reduce(s[order], "max", lengths=torch.bincount(dst, minlength=n))

    for f, arg in ((gcn, x), (sage, x), (attention, s)):
        assert gradcheck(f, (arg,), eps=1e-6, atol=1e-6)
    empty = torch.bincount(dst, minlength=n) == 0
    assert gradcheck(lambda s: segment_max(s)[~empty], (s,), eps=1e-6, atol=1e-6)


def random_graphs(count: int, seed: int):
    """Sparse (p 0.15) and dense (p 0.5) random graphs of 6-12 nodes, labelled 0 and 1; with no
    features of their own, each node's is its degree (scaled), as courses do."""
    rng = np.random.default_rng(seed)
    graphs = []
    for i in range(count):
        n, label = int(rng.integers(6, 13)), i % 2
        upper = np.triu(rng.random((n, n)) < (0.5 if label else 0.15), 1)
        edge_index = np.stack(np.nonzero(upper | upper.T)).astype(np.int64)
        degree = np.bincount(edge_index[1], minlength=n).astype(np.float32) / 4
        graphs.append((degree[:, None], edge_index, label))
    return graphs


def collate(graphs, torch=torch):
    """One disjoint graph: edges offset by the nodes before, `batch` naming each node's graph."""
    sizes = [len(x) for x, _, _ in graphs]
    offsets = np.cumsum([0] + sizes[:-1])
    x = torch.tensor(np.concatenate([x for x, _, _ in graphs]))
    edge_index = torch.tensor(np.concatenate([e + o for (_, e, _), o in zip(graphs, offsets)],
                                             axis=1))
    batch = torch.repeat_interleave(torch.arange(len(graphs)), torch.tensor(sizes))
    return x, edge_index, batch, torch.tensor([label for _, _, label in graphs])


def test_global_mean_pooling_in_four_spellings_and_a_graph_classifier():
    x, edge_index, batch, y = collate(random_graphs(6, seed=4))
    h = torch.randn(len(batch), 5)
    graphs, counts = torch.unique_consecutive(batch, return_counts=True)
    by_index_add = torch.zeros(6, 5).index_add_(0, batch, h) / counts.unsqueeze(1)
    by_scatter = torch.zeros(6, 5).scatter_reduce(0, batch.view(-1, 1).expand(-1, 5), h, "mean",
                                                  include_self=False)
    by_index_reduce = torch.zeros(6, 5).index_reduce(0, batch, h, "mean", include_self=False)
    by_segment = torch.segment_reduce(h, "mean", lengths=counts)
    assert by_index_add.dtype == torch.float32 and graphs.tolist() == list(range(6))
    for other in (by_scatter, by_index_reduce, by_segment):
        np.testing.assert_allclose(other.numpy(), by_index_add.numpy(), rtol=1e-6)

    torch.manual_seed(5)
    model = G.GraphClassifier()
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    train, test = random_graphs(64, seed=6), random_graphs(32, seed=7)
    losses = []
    for epoch in range(40):
        for start in range(0, 64, 16):
            x, edge_index, batch, y = collate(train[start:start + 16])
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x, edge_index, batch), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        x, edge_index, batch, y = collate(test)
        accuracy = model(x, edge_index, batch).argmax(1).eq(y).float().mean().item()
    assert np.mean(losses[-4:]) < 0.3 * np.mean(losses[:4]) and accuracy >= 0.9, (
        losses[:4], losses[-4:], accuracy)


# -- the ops the trial added ------------------------------------------------------------------

def leaf(numbers) -> Tensor:
    return Tensor(np.asarray(numbers, dtype=np.float64), requires_grad=True)


def test_index_reduce_against_finite_differences_at_0d_batch_1_and_ties():
    rng = np.random.default_rng(8)
    index = torch.tensor([2, 0, 2, 2])
    for reduce in ("mean", "amax", "amin"):
        for include_self in (True, False):
            def f(t, src):
                return t.index_reduce(1, index, src, reduce, include_self=include_self)
            for rows in (2, 1):                             # and batch 1
                assert gradcheck(f, (leaf(rng.normal(size=(rows, 3))),
                                     leaf(rng.normal(size=(rows, 4)))), eps=1e-6, atol=1e-6)
    zero_d = lambda t, s: t.index_reduce(0, torch.tensor([0]), s, "mean")   # noqa: E731
    assert gradcheck(zero_d, (leaf(1.5), leaf([0.25])), eps=1e-6, atol=1e-6)
    t = Tensor([0.0, 0.0], requires_grad=True)
    src = Tensor([3.0, 3.0, 1.0], requires_grad=True)
    t.index_reduce(0, torch.tensor([0, 0, 1]), src, "amax").sum().backward()
    assert src.grad.tolist() == [0.5, 0.5, 1.0] and t.grad.tolist() == [0.0, 0.0]


def test_index_reduce_in_place_and_its_errors_name_it():
    msgs = Tensor([[1.0], [3.0], [5.0]], requires_grad=True)
    out = torch.zeros(3, 1)
    assert out.index_reduce_(0, torch.tensor([1, 1, 0]), msgs * 2, "mean",
                             include_self=False) is out
    out.sum().backward()
    assert out.tolist() == [[10.0], [4.0], [0.0]] and msgs.grad.tolist() == [[1.0], [1.0], [2.0]]
    with pytest.raises(ValueError, match=r"^index_reduce: reduce must be 'mean', 'amax' or "
                                         r"'amin', got 'sum' \(a sum is t\.index_add"):
        torch.zeros(3).index_reduce(0, torch.tensor([0]), torch.ones(1), "sum")
    with pytest.raises(ValueError, match=r"^index_reduce: with an index of 2 along dim 0, "
                                         r"source must have shape \(2, 4\)"):
        torch.zeros(3, 4).index_reduce(0, torch.tensor([0, 1]), torch.ones(2, 3), "amax")
    with pytest.raises(IndexError, match=r"^index_reduce: index 3 is out of range"):
        torch.zeros(3).index_reduce(0, torch.tensor([3]), torch.ones(1), "amin")
    with pytest.raises(TypeError, match=r"^index_reduce: reduce='mean' needs a floating"):
        torch.zeros(3, dtype=torch.long).index_reduce(0, torch.tensor([0]),
                                                      torch.ones(1, dtype=torch.long), "mean")


def test_segment_reduce_values_gradients_and_errors():
    data = Tensor(np.arange(12.0).reshape(6, 2))
    out = torch.segment_reduce(data, "sum", offsets=torch.tensor([0, 2, 2, 6]))
    assert out.tolist() == [[2.0, 4.0], [0.0, 0.0], [28.0, 32.0]]
    empty = [torch.segment_reduce(Tensor([1.0]), r, lengths=[0, 1])[0].item()
             for r in ("mean", "max", "min")]
    assert math.isnan(empty[0]) and empty[1:] == [-math.inf, math.inf]
    rng = np.random.default_rng(9)
    for reduce in ("sum", "mean", "max", "min"):
        assert gradcheck(lambda d: torch.segment_reduce(d, reduce, lengths=[1, 3, 2]),
                         (leaf(rng.normal(size=(6, 2))),), eps=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match=r"^segment_reduce: the segments must cover data's dim "
                                         r"0 \(data of shape \(6, 2\)\) .* got lengths \[1, 2\]"):
        torch.segment_reduce(data, "sum", lengths=torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"^segment_reduce: reduce must be .*'prod' is not"):
        torch.segment_reduce(data, "prod", lengths=[6])


def test_unique_consecutive_gives_runs_in_order():
    runs, inverse, counts = torch.unique_consecutive(torch.tensor([0, 0, 1, 1, 1, 0]),
                                                     return_inverse=True, return_counts=True)
    assert (runs.tolist(), inverse.tolist(), counts.tolist()) == (
        [0, 1, 0], [0, 0, 1, 1, 1, 2], [2, 3, 1])
    rows = torch.tensor([[1, 1], [1, 1], [2, 3]]).unique_consecutive(dim=0)
    assert rows.tolist() == [[1, 1], [2, 3]]
    assert torch.unique_consecutive(torch.tensor([], dtype=torch.long)).shape == (0,)
    assert torch.tensor(5).unique_consecutive().tolist() == [5]
    for name in ("unique_consecutive", "unique"):   # (numpy's AxisError named no op)
        with pytest.raises(IndexError, match=rf"^{name}: dim=0 of a 0-d tensor \(one number\)"):
            getattr(torch.tensor(5), name)(dim=0)


def test_as_strided_windows_their_gradient_and_what_it_refuses():
    series = Tensor(np.arange(6.0), requires_grad=True)
    windows = series.as_strided((4, 3), (1, 1))
    assert windows.tolist() == series.unfold(0, 3, 1).tolist()
    windows.sum().backward()
    assert series.grad.tolist() == [1.0, 2.0, 3.0, 3.0, 2.0, 1.0]
    assert torch.as_strided(torch.arange(10)[2:], (2, 2), (3, 1), 4).tolist() == [[4, 5], [7, 8]]
    assert gradcheck(lambda s: s.as_strided((2, 3), (2, 1), 1), (leaf(np.ones(6) * 0.3),))
    with pytest.raises(IndexError, match=r"^as_strided: size \(3, 3\) with stride \(2, 1\) "
                                         r"from storage offset 0 reaches elements 0 to 6, "
                                         r"outside t's 6 elements"):
        torch.arange(6).as_strided((3, 3), (2, 1))
    # a view's own offset (2) is not counted twice: storage offset 11 reaches elements 11, 12
    with pytest.raises(IndexError, match=r"offset 11 reaches elements 11 to 12, outside t's 10 "
                                         r"elements \(from 2\)"):
        torch.arange(12)[2:].as_strided((2,), (1,), 11)
    with pytest.raises(IndexError, match=r"offset 0 reaches elements 0 to 4, outside t's 10"):
        torch.arange(12)[2:].as_strided((2, 2), (3, 1), 0)
    with pytest.raises(ValueError, match=r"^as_strided: t \(shape \(3, 2\), stride \(1, 3\)\) "
                                         r"is a view that is not contiguous.*t\.unfold"):
        torch.zeros(2, 3).t().as_strided((2,), (1,))


@needs_torch
@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
def test_the_added_ops_match_pytorch():
    rng = np.random.default_rng(10)
    for reduce in ("mean", "amax", "amin"):
        for include_self in (True, False):
            a, src = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
            src[1] = src[0]                                 # a tie
            idx = np.array([0, 0, 3, 0, 3])
            ours = [Tensor(a, requires_grad=True), Tensor(src, requires_grad=True)]
            mine = [real_torch.tensor(a, requires_grad=True),
                    real_torch.tensor(src, requires_grad=True)]
            out = ours[0].index_reduce(0, Tensor(idx), ours[1], reduce, include_self=include_self)
            want = mine[0].index_reduce(0, real_torch.tensor(idx), mine[1], reduce,
                                        include_self=include_self)
            g = rng.normal(size=(4, 3))
            out.backward(g)
            want.backward(real_torch.tensor(g))
            np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
            for x, t in zip(ours, mine):
                np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)
    data = rng.normal(size=(7, 2))
    for reduce in ("sum", "mean", "max", "min"):
        ours = Tensor(data, requires_grad=True)
        mine = real_torch.tensor(data, requires_grad=True)
        out = torch.segment_reduce(ours, reduce, lengths=Tensor([2, 0, 4, 1]))
        want = real_torch.segment_reduce(mine, reduce, lengths=real_torch.tensor([2, 0, 4, 1]))
        np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
        out[[0, 2, 3]].sum().backward()
        want[[0, 2, 3]].sum().backward()
        np.testing.assert_allclose(ours.grad, mine.grad.numpy(), rtol=1e-12)
    runs = np.array([[1, 1], [1, 1], [2, 3], [1, 1]])
    for dim in (None, 0):
        got = torch.unique_consecutive(Tensor(runs), True, True, dim=dim)
        expected = real_torch.unique_consecutive(real_torch.tensor(runs), True, True, dim=dim)
        for a, b in zip(got, expected):
            assert a.tolist() == b.tolist()
    x = np.arange(12.0)
    assert Tensor(x[1:]).as_strided((3, 2), (3, 2), 2).tolist() == \
        real_torch.tensor(x)[1:].as_strided((3, 2), (3, 2), 2).tolist()


# == 2. time-series forecasting ==============================================================

PERIOD, WINDOW, HORIZON = 12, 24, 6


def seasonal_series(n: int = 360, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (0.01 * t + np.sin(2 * np.pi * t / PERIOD) + 0.4 * np.cos(4 * np.pi * t / PERIOD)
            + 0.1 * rng.normal(size=n)).astype(np.float32)


SERIES = seasonal_series()
N_TRAIN, N_VAL = 240, 60                        # the last 60 points: the held-out tail


def scaled_windows():
    """Standard scaling fitted on the training part, (window, next HORIZON values) pairs."""
    series = torch.tensor(SERIES)
    train = series[:N_TRAIN]
    mean, std = train.mean(), train.std()
    scaled = (series - mean) / std
    w = scaled.unfold(0, WINDOW + HORIZON, 1)
    x, y = w[:, :WINDOW].unsqueeze(-1), w[:, WINDOW:]
    last_train = N_TRAIN - WINDOW - HORIZON + 1          # windows ending inside train
    return scaled, (mean, std), (x[:last_train], y[:last_train]), (x[N_TRAIN - WINDOW:],
                                                                   y[N_TRAIN - WINDOW:])


def test_windows_three_ways_and_scaling_fitted_on_the_training_part_only():
    series = torch.tensor(SERIES)
    by_unfold = series.unfold(0, WINDOW, 1)
    by_stack = torch.stack([series[i:i + WINDOW] for i in range(len(series) - WINDOW + 1)])
    by_strides = series.as_strided((len(series) - WINDOW + 1, WINDOW), (1, 1))
    assert torch.equal(by_unfold, by_stack) and torch.equal(by_strides, by_stack)
    train = series[:N_TRAIN]
    low, high = train.min(), train.max()
    minmax = (series - low) / (high - low)
    assert minmax[:N_TRAIN].min().item() == 0 and minmax[:N_TRAIN].max().item() == 1
    assert minmax[N_TRAIN:].max().item() > 1            # the trend goes past the training range
    scaled, (mean, std), (x, y), (tx, ty) = scaled_windows()
    assert abs(scaled[:N_TRAIN].mean().item()) < 1e-6
    assert scaled[:N_TRAIN].std().item() == pytest.approx(1.0, rel=1e-5)
    assert x.shape == (N_TRAIN - WINDOW - HORIZON + 1, WINDOW, 1) and y.shape[1] == HORIZON
    np.testing.assert_allclose((ty[-1] * std + mean).numpy(), SERIES[-HORIZON:], rtol=1e-5)


def test_the_dataloader_shuffles_training_windows_and_keeps_validation_in_order():
    _, _, (x, y), (tx, ty) = scaled_windows()
    torch.manual_seed(12)
    train_loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    val_loader = DataLoader(TensorDataset(tx, ty), batch_size=32, shuffle=False)
    first = [float(xb[:, 0, 0].sum()) for xb, _ in train_loader]
    second = [float(xb[:, 0, 0].sum()) for xb, _ in train_loader]
    starts = torch.cat([xb[:, 0, 0] for xb, _ in train_loader])
    assert first != second and sorted(starts.tolist()) == sorted(x[:, 0, 0].tolist())
    in_order = torch.cat([xb for xb, _ in val_loader])
    assert torch.equal(in_order, tx) and len(val_loader) == math.ceil(len(tx) / 32)


def forecasters(ns):
    torch, nn, F = ns.torch, ns.nn, ns.F

    class LSTMForecaster(nn.Module):
        def __init__(self, hidden=24, horizon=HORIZON):
            super().__init__()
            self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, batch_first=True)
            self.fc = nn.Linear(hidden, horizon)

        def forward(self, x):
            out, (h_n, c_n) = self.lstm(x)
            return self.fc(h_n[-1])

    class GRUForecaster(nn.Module):
        def __init__(self, hidden=24, horizon=HORIZON):
            super().__init__()
            self.gru = nn.GRU(1, hidden, batch_first=True)
            self.fc = nn.Linear(hidden, horizon)

        def forward(self, x):
            out, h = self.gru(x)
            return self.fc(out[:, -1, :])

    class CausalCNN(nn.Module):
        def __init__(self, channels=16, horizon=HORIZON, kernel=3):
            super().__init__()
            self.kernel = kernel
            self.convs = nn.ModuleList([nn.Conv1d(1 if i == 0 else channels, channels, kernel,
                                                  dilation=2 ** i) for i in range(4)])
            self.fc = nn.Linear(channels, horizon)

        def forward(self, x):
            h = x.permute(0, 2, 1)                          # (batch, channels, time)
            for conv in self.convs:
                h = F.relu(conv(F.pad(h, ((self.kernel - 1) * conv.dilation[0], 0))))
            return self.fc(h[:, :, -1])

    class Seq2Seq(nn.Module):
        def __init__(self, hidden=24):
            super().__init__()
            self.encoder = nn.GRU(1, hidden, batch_first=True)
            self.decoder = nn.GRUCell(1, hidden)
            self.fc = nn.Linear(hidden, 1)

        def forward(self, x, target=None, teacher_forcing=0.0, horizon=HORIZON):
            _, h = self.encoder(x)
            h, step_in, outputs = h[0], x[:, -1, :], []
            for t in range(horizon):
                h = self.decoder(step_in, h)
                out = self.fc(h)
                outputs.append(out)
                teach = target is not None and torch.rand(1).item() < teacher_forcing
                step_in = target[:, t:t + 1] if teach else out
            return torch.cat(outputs, dim=1)

    return types.SimpleNamespace(LSTMForecaster=LSTMForecaster, GRUForecaster=GRUForecaster,
                                 CausalCNN=CausalCNN, Seq2Seq=Seq2Seq)


M = forecasters(OURS)


def fit(model, x, y, epochs, lr=0.01, teacher_forcing=None, seed=0):
    torch.manual_seed(seed)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            pred = model(xb) if teacher_forcing is None else model(
                xb, yb, teacher_forcing=teacher_forcing * (1 - epoch / epochs))
            loss = F.mse_loss(pred, yb)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
    return model.eval()


def recursive(model, x, steps):
    """A one-step model rolled out: each prediction appended to the window, the oldest dropped."""
    window, preds = x, []
    with torch.no_grad():
        for _ in range(steps):
            nxt = model(window)[:, :1]
            preds.append(nxt)
            window = torch.cat([window[:, 1:, :], nxt.unsqueeze(-1)], dim=1)
    return torch.cat(preds, dim=1)


def errors(pred, truth):
    return (pred - truth).abs().mean().item(), torch.sqrt(F.mse_loss(pred, truth)).item()


def level(x):
    """Each window's level, the mean of its last season (batch, 1): windows and targets are
    given to the models relative to it, so the trend never takes them outside the range they
    were trained on (the scaled tail lies above the training part's)."""
    return x[:, -PERIOD:, 0].mean(dim=1, keepdim=True)


def relative_windows():
    scaled, (mean, std), (x, y), (tx, ty) = scaled_windows()
    base, test_base = level(x), level(tx)
    return ((x - base.unsqueeze(-1), y - base), tx - test_base.unsqueeze(-1),
            lambda pred: (pred + test_base) * std + mean, ty * std + mean)


def seasonal_naive():
    """y[t + h - PERIOD]: the last season's values, h = 1 .. HORIZON, from each tail window."""
    scaled, (mean, std), _, (tx, ty) = scaled_windows()
    return errors(tx[:, -PERIOD:-PERIOD + HORIZON, 0] * std + mean, ty * std + mean)


def test_lstm_gru_and_causal_cnn_beat_the_seasonal_naive_forecast_on_the_held_out_tail():
    """Direct six-step forecasts (one output per step) and a one-step GRU rolled out six
    times, from every window of the tail."""
    (x, y), tx, to_series, truth = relative_windows()
    naive_mae, naive_rmse = seasonal_naive()
    results = {}
    for name, model, epochs in (("lstm", M.LSTMForecaster(), 30), ("gru", M.GRUForecaster(), 25),
                                ("cnn", M.CausalCNN(), 25)):
        torch.manual_seed(13)
        fit(model, x, y, epochs)
        with torch.no_grad():
            results[name] = errors(to_series(model(tx)), truth)
    torch.manual_seed(14)
    one_step = fit(M.GRUForecaster(horizon=1), x, y[:, :1], 25)
    results["gru recursive"] = errors(to_series(recursive(one_step, tx, HORIZON)), truth)
    for name, (mae, rmse) in results.items():
        assert mae < 0.8 * naive_mae and rmse < 0.8 * naive_rmse, (name, results, naive_mae)


def test_seq2seq_with_teacher_forcing_feeds_the_targets_and_beats_the_seasonal_naive():
    (x, y), tx, to_series, truth = relative_windows()
    torch.manual_seed(15)
    model = M.Seq2Seq()
    xb, yb = x[:4], y[:4]
    forced = model(xb, yb, teacher_forcing=1.0)
    # fully forced, the decoder's inputs are the last observation and the targets before each
    # step: the same as one pass of the cell over them
    h, outs = model.encoder(xb)[1][0], []
    for step_in in torch.cat([xb[:, -1:, 0], yb[:, :-1]], dim=1).unbind(1):
        h = model.decoder(step_in.unsqueeze(1), h)
        outs.append(model.fc(h))
    np.testing.assert_allclose(forced.detach().numpy(), torch.cat(outs, 1).detach().numpy(),
                               rtol=1e-6, atol=1e-7)
    free = model(xb)
    assert not torch.allclose(free, forced)
    fit(model, x, y, 25, teacher_forcing=0.5)
    with torch.no_grad():
        mae, rmse = errors(to_series(model(tx)), truth)
    naive_mae, naive_rmse = seasonal_naive()
    assert mae < 0.8 * naive_mae and rmse < 0.8 * naive_rmse, (mae, naive_mae, rmse, naive_rmse)


def test_a_recursive_forecast_s_gradient_against_finite_differences():
    """float64: a tiny GRU's three-step rollout differentiated in its input window."""
    torch.manual_seed(16)
    model = M.GRUForecaster(hidden=3, horizon=1).double()

    def rollout(window):
        preds = []
        for _ in range(3):
            nxt = model(window)
            preds.append(nxt)
            window = torch.cat([window[:, 1:, :], nxt.unsqueeze(-1)], dim=1)
        return torch.cat(preds, dim=1)

    window = leaf(np.random.default_rng(17).normal(size=(2, 5, 1)))
    assert gradcheck(rollout, (window,), eps=1e-6, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("name", ["LSTMForecaster", "GRUForecaster", "CausalCNN", "Seq2Seq"])
def test_each_forecaster_gives_pytorch_s_loss_and_gradients_from_the_same_weights(name):
    _, _, (x, y), _ = scaled_windows()
    torch.manual_seed(18)
    ours = getattr(M, name)()
    model = getattr(forecasters(theirs()), name)()
    copy_weights(ours, model)
    loss = F.mse_loss(ours(x[:16]), y[:16])
    t_loss = real_torch.nn.functional.mse_loss(model(real_torch.tensor(x[:16].numpy())),
                                               real_torch.tensor(y[:16].numpy()))
    loss.backward()
    t_loss.backward()
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-5)
    assert_same_gradients(ours, model)
