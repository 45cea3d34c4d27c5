"""A learner's trial of small graph neural networks written from scratch in PyTorch's spelling
after `import autograd as torch` (as course notebooks write them, without PyTorch Geometric):
a dense GCN on a two-community graph, message passing from an edge list (index_add_,
scatter_add, mean aggregation, a GraphSAGE layer, a GAT layer's softmax over each node's
incoming edges), and graph classification of small made-up molecules batched as one disjoint
graph by a DataLoader's collate_fn. Where PyTorch is installed, the same code runs on it from
the same weights and must give the same numbers.

What the trial needed, and why:
- `torch.zeros(n, d).index_add_(0, dst, msg)` (and `scatter_add_`, `add_`) with `msg` in a
  graph was refused; the constant now joins the graph, as with `+=` and in PyTorch;
- `scatter_reduce(..., reduce='amax', include_self=False)`, the stable softmax's maximum,
  did not exist; it does now (sum, mean, amax, amin);
- `torch.sparse_coo_tensor` / `torch.sparse.mm` say what to write (no sparse tensors here).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from autograd import Tensor, gradcheck
from nn.data import DataLoader, Dataset
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch


# -- made-up graphs -------------------------------------------------------------------------

def two_communities(n: int = 34, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A karate-club-like graph: a stochastic block model of two halves (edge probability
    0.35 inside a half, 0.04 across), as (adjacency (n, n) float32, labels (n,) int64)."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) >= n // 2).astype(np.int64)
    p = np.where(y[:, None] == y[None, :], 0.35, 0.04)
    upper = np.triu(rng.random((n, n)) < p, 1)
    return (upper | upper.T).astype(np.float32), y


def train_mask_of(y: np.ndarray, per_class: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), bool)
    for c in (0, 1):
        mask[rng.permutation(np.flatnonzero(y == c))[:per_class]] = True
    return mask


def molecule(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """A random tree of 5-10 atoms of 3 kinds (one-hot features) with 0-2 extra bonds, edges
    both ways; its label: whether two atoms of kind 2 are bonded (message passing sees it,
    a mean of the features alone does not)."""
    n = int(rng.integers(5, 11))
    bonds = {(int(rng.integers(0, i)), i) for i in range(1, n)}
    for _ in range(int(rng.integers(0, 3))):
        a, b = sorted(rng.choice(n, 2, replace=False).tolist())
        bonds.add((a, b))
    one_way = np.array(sorted(bonds)).T
    edge_index = np.concatenate([one_way, one_way[::-1]], axis=1).astype(np.int64)
    kinds = rng.integers(0, 3, n)
    label = int(((kinds[edge_index[0]] == 2) & (kinds[edge_index[1]] == 2)).any())
    return np.eye(3, dtype=np.float32)[kinds], edge_index, label


class Molecules(Dataset):
    def __init__(self, count: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.graphs = [molecule(rng) for _ in range(count)]

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, i: int):
        x, edge_index, label = self.graphs[i]
        return torch.tensor(x), torch.tensor(edge_index), torch.tensor(label)


def collate(samples):
    """Many graphs as one disjoint graph: node features stacked, edge indices offset by the
    nodes before them, and `batch` naming each node's graph."""
    xs, edges, labels, batch, offset = [], [], [], [], 0
    for g, (x, edge_index, label) in enumerate(samples):
        xs.append(x)
        edges.append(edge_index + offset)
        labels.append(label)
        batch.append(torch.full((x.shape[0],), g, dtype=torch.long))
        offset += x.shape[0]
    return torch.cat(xs, dim=0), torch.cat(edges, dim=1), torch.stack(labels), torch.cat(batch)


# -- the layers, as a learner writes them -------------------------------------------------------

def normalized_adjacency(torch, A):
    n = A.shape[0]
    A_hat = A + torch.eye(n, dtype=A.dtype)
    deg = A_hat.sum(1)
    D_inv_sqrt = torch.diag(deg.pow(-0.5))
    return D_inv_sqrt @ A_hat @ D_inv_sqrt


def gcn_forward(F, A_norm, X, W1, W2, training):
    h = F.relu(A_norm @ (X @ W1))
    h = F.dropout(h, 0.5, training=training)
    return A_norm @ (h @ W2)


def mean_aggregate(torch, x, edge_index):
    src, dst = edge_index[0], edge_index[1]
    n = x.shape[0]
    summed = torch.zeros(n, x.shape[1], dtype=x.dtype).index_add_(0, dst, x[src])
    deg = torch.zeros(n, dtype=x.dtype).scatter_add_(0, dst, torch.ones(dst.shape[0],
                                                                         dtype=x.dtype))
    return summed / deg.clamp(min=1).unsqueeze(-1)


def sage_layer(torch, x, edge_index, W):
    return torch.cat([x, mean_aggregate(torch, x, edge_index)], dim=1) @ W


def edge_softmax(torch, scores, dst, n):
    """softmax of each node's incoming edges' scores, shifted by their largest (stable)."""
    top = torch.zeros(n, dtype=scores.dtype).scatter_reduce(0, dst, scores, reduce="amax",
                                                            include_self=False)
    e = (scores - top[dst]).exp()
    sums = torch.zeros(n, dtype=scores.dtype).scatter_add(0, dst, e)
    return e / sums[dst]


def gat_layer(torch, F, x, edge_index, W, a):
    src, dst = edge_index[0], edge_index[1]
    h = x @ W
    scores = F.leaky_relu(torch.cat([h[src], h[dst]], dim=1) @ a, 0.2)
    alpha = edge_softmax(torch, scores, dst, x.shape[0])
    return torch.zeros(x.shape[0], h.shape[1], dtype=h.dtype).index_add_(
        0, dst, alpha.unsqueeze(1) * h[src])


def graph_classifier(torch, F, x, edge_index, batch, num_graphs, params):
    W1, b1, W2, b2, W3, b3 = params
    src, dst = edge_index[0], edge_index[1]
    h = x
    for W, b in ((W1, b1), (W2, b2)):
        agg = torch.zeros(h.shape[0], h.shape[1], dtype=h.dtype).index_add_(0, dst, h[src])
        h = F.relu((h + agg) @ W + b)
    counts = torch.zeros(num_graphs, dtype=h.dtype).index_add_(
        0, batch, torch.ones(h.shape[0], dtype=h.dtype))
    pooled = torch.zeros(num_graphs, h.shape[1], dtype=h.dtype).index_add_(0, batch, h)
    return (pooled / counts.unsqueeze(1)) @ W3 + b3


def glassgrad_params(arrays):
    return [Tensor(a, requires_grad=True) for a in arrays]


def torch_params(arrays):
    return [real_torch.tensor(a, requires_grad=True) for a in arrays]


A_NP, Y_NP = two_communities()
EDGES_NP = np.stack(np.nonzero(A_NP)).astype(np.int64)     # (2, E), both directions


# -- 1. a dense GCN ---------------------------------------------------------------------------

def test_a_dense_gcn_separates_the_two_communities():
    torch.manual_seed(0)
    A, X, y = torch.tensor(A_NP), torch.eye(34), torch.tensor(Y_NP)
    train_mask = torch.tensor(train_mask_of(Y_NP))
    test_mask = ~train_mask
    A_norm = normalized_adjacency(torch, A)
    W1 = nn.Parameter(torch.randn(34, 16) * 0.1)
    W2 = nn.Parameter(torch.randn(16, 2) * 0.1)
    optimizer = nn.optim.Adam([W1, W2], lr=0.01, weight_decay=5e-4)
    for epoch in range(150):
        optimizer.zero_grad()
        out = gcn_forward(F, A_norm, X, W1, W2, training=True)
        loss = F.cross_entropy(out[train_mask], y[train_mask])
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        pred = gcn_forward(F, A_norm, X, W1, W2, training=False).argmax(dim=1)
    accuracy = (pred[test_mask] == y[test_mask]).float().mean().item()
    assert loss.item() < 0.1 and accuracy >= 0.85


def test_the_gcn_loss_through_a_boolean_mask_matches_finite_differences():
    rng = np.random.default_rng(1)
    A_norm = normalized_adjacency(torch, Tensor(A_NP.astype(np.float64)))
    X, mask = Tensor(rng.standard_normal((34, 5))), train_mask_of(Y_NP)
    y = Tensor(Y_NP)

    def loss(W1, W2):
        out = gcn_forward(F, A_norm, X, W1, W2, training=False)
        return F.cross_entropy(out[Tensor(mask)], y[Tensor(mask)])
    assert gradcheck(loss, rng.standard_normal((5, 4)), rng.standard_normal((4, 2)))


@needs_torch
def test_the_gcn_matches_pytorch_from_the_same_weights():
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((34, 16)) * 0.1, rng.standard_normal((16, 2)) * 0.1]
    mask = train_mask_of(Y_NP)
    results = []
    for lib, params in ((torch, glassgrad_params(arrays)), (real_torch, torch_params(arrays))):
        functional = F if lib is torch else real_torch.nn.functional
        A_norm = normalized_adjacency(lib, lib.tensor(A_NP.astype(np.float64)))
        X = lib.eye(34, dtype=lib.float64)
        out = gcn_forward(functional, A_norm, X, *params, training=False)
        loss = functional.cross_entropy(out[lib.tensor(mask)], lib.tensor(Y_NP)[lib.tensor(mask)])
        loss.backward()
        results.append([loss.item()] + [np.asarray(p.grad) for p in params])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


# -- 2. message passing from an edge list ------------------------------------------------------

def test_every_spelling_of_the_neighbour_sum_equals_the_dense_product():
    x = Tensor(np.random.default_rng(3).standard_normal((34, 4)))
    edge_index = torch.tensor(EDGES_NP)
    src, dst = edge_index[0], edge_index[1]
    dense = Tensor(A_NP.astype(np.float64)).t() @ x         # sum over j -> i of x_j
    msg = x[src]
    sums = [torch.zeros(34, 4, dtype=torch.float64).index_add_(0, dst, msg),
            torch.zeros(34, 4, dtype=torch.float64).index_add(0, dst, msg),
            torch.zeros(34, 4, dtype=torch.float64).scatter_add(
                0, dst.unsqueeze(1).expand(-1, 4), msg),
            torch.zeros(34, 4, dtype=torch.float64).scatter_add_(
                0, dst.view(-1, 1).repeat(1, 4), msg)]
    for total in sums:
        np.testing.assert_allclose(total.data, dense.data, rtol=1e-13)
    degree = torch.zeros(34).scatter_add_(0, dst, torch.ones(dst.shape[0]))
    assert degree.tolist() == A_NP.sum(0).tolist() == torch.bincount(dst, minlength=34).tolist()


def test_in_place_sums_into_new_zeros_pass_the_messages_their_gradient():
    """`torch.zeros(n, d).index_add_(0, dst, msg)` with msg in a graph was refused ("would
    not pass it a gradient"); as in PyTorch, the zeros join the graph, also over several
    calls (two kinds of edges into one sum)."""
    rng = np.random.default_rng(4)
    dst, src = EDGES_NP[1], EDGES_NP[0]
    half = len(dst) // 2

    def two_relations(x, w):
        out = torch.zeros(34, 3, dtype=torch.float64)
        out.index_add_(0, Tensor(dst[:half]), x[src[:half]] * w)
        out.index_add_(0, Tensor(dst[half:]), x[src[half:]])
        return out.scatter_add_(0, Tensor(np.zeros((1, 3), np.int64)), w.reshape(1, 3))
    assert gradcheck(two_relations, rng.standard_normal((34, 3)), rng.standard_normal(3))
    x = Tensor(rng.standard_normal((34, 3)), requires_grad=True)
    out = torch.zeros(34, 3, dtype=torch.float64)
    assert out.index_add_(0, Tensor(dst), x[Tensor(src)]) is out and out.op == "add"


def test_mean_aggregation_and_a_sage_layer_match_finite_differences():
    rng = np.random.default_rng(5)
    edge_index = Tensor(EDGES_NP)
    x = rng.standard_normal((34, 3))
    dense_mean = A_NP.T @ x / np.maximum(A_NP.sum(0), 1)[:, None]
    np.testing.assert_allclose(mean_aggregate(torch, Tensor(x), edge_index).data, dense_mean,
                               rtol=1e-13)
    assert gradcheck(lambda x, W: sage_layer(torch, x, edge_index, W), x,
                     rng.standard_normal((6, 2)))


def test_the_scatter_softmax_sums_to_one_per_node_and_matches_finite_differences():
    rng = np.random.default_rng(6)
    edges = np.concatenate([EDGES_NP, [[0, 5, 5], [0, 5, 5]]], axis=1)    # self-loops, one twice
    dst = Tensor(edges[1])
    scores = rng.standard_normal(edges.shape[1]) * 3
    alpha = edge_softmax(torch, Tensor(scores), dst, 35)        # node 34 has no edges
    sums = torch.zeros(35, dtype=torch.float64).index_add(0, dst, alpha)
    np.testing.assert_allclose(sums.data, [1.0] * 34 + [0.0], rtol=1e-14)
    assert gradcheck(lambda s: edge_softmax(torch, s, dst, 35), scores)
    big = edge_softmax(torch, Tensor(scores + 1000), dst, 35)    # the shift keeps it finite
    np.testing.assert_allclose(big.data, alpha.data, rtol=1e-12)
    assert gradcheck(lambda x, W, a: gat_layer(torch, F, x, Tensor(edges), W, a),
                     rng.standard_normal((34, 3)), rng.standard_normal((3, 2)),
                     rng.standard_normal(4))


@needs_torch
def test_sage_and_gat_layers_match_pytorch_from_the_same_weights():
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((34, 3)), rng.standard_normal((6, 2)),
              rng.standard_normal((3, 2)), rng.standard_normal(4)]
    results = []
    for lib, params in ((torch, glassgrad_params(arrays)), (real_torch, torch_params(arrays))):
        functional = F if lib is torch else real_torch.nn.functional
        x, W_sage, W_gat, a = params
        edge_index = lib.tensor(EDGES_NP)
        out = sage_layer(lib, x, edge_index, W_sage).sum() + \
            (gat_layer(lib, functional, x, edge_index, W_gat, a) ** 2).sum()
        out.backward()
        results.append([out.item()] + [np.asarray(p.grad) for p in params])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# -- scatter_reduce, the stable softmax's maximum -----------------------------------------------

@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gives_the_reduction_and_matches_finite_differences(reduce,
                                                                           include_self):
    rng = np.random.default_rng(8)
    x, src = rng.standard_normal((4, 3)), rng.standard_normal((6, 3))
    index = np.array([[0, 1, 0], [2, 1, 0], [0, 1, 3], [2, 0, 0], [0, 1, 0], [2, 2, 0]])
    out = Tensor(x).scatter_reduce(0, index, Tensor(src), reduce, include_self=include_self)
    combine = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for i in range(4):
        for j in range(3):
            gathered = list(src[index[:, j] == i, j])
            if include_self or not gathered:
                gathered.append(x[i, j])
            assert out.data[i, j] == pytest.approx(combine(gathered), rel=1e-14)
    assert gradcheck(lambda a, b: a.scatter_reduce(0, index, b, reduce,
                                                   include_self=include_self), x, src)


def test_scatter_reduce_splits_a_tie_s_gradient_evenly():
    x = Tensor([2.0, 0.0, 5.0], requires_grad=True)
    src = Tensor([2.0, 1.0, 2.0, 7.0], requires_grad=True)
    out = x.scatter_reduce(0, np.array([0, 0, 0, 1]), src, "amax")
    out.backward(np.array([3.0, 1.0, 1.0]))
    assert out.tolist() == [2.0, 7.0, 5.0]
    assert x.grad.tolist() == [1.0, 0.0, 1.0] and src.grad.tolist() == [1.0, 0.0, 1.0, 1.0]
    # include_self=False: x's own 2.0 takes no part, so the tie is the two src elements only
    # (PyTorch 2.13 still counts x's equal element and gives each 0.75: finite differences
    # say 1.5, the slope of the result along each of them together halved)
    x.grad = src.grad = None
    out = x.scatter_reduce(0, np.array([0, 0, 0, 1]), src, "amax", include_self=False)
    out.backward(np.array([3.0, 1.0, 1.0]))
    assert x.grad.tolist() == [0.0, 0.0, 1.0] and src.grad.tolist() == [1.5, 0.0, 1.5, 1.0]


def test_scatter_reduce_in_place_and_as_a_module_function():
    scores = Tensor([0.5, 3.0, -1.0], dtype=torch.float64, requires_grad=True)
    top = torch.full((2,), float("-inf"), dtype=torch.float64)
    assert top.scatter_reduce_(0, np.array([1, 1, 0]), scores, reduce="amax") is top
    assert top.tolist() == [-1.0, 3.0]
    top.sum().backward()
    assert scores.grad.tolist() == [0.0, 1.0, 1.0]
    low = torch.scatter_reduce(Tensor([9.0, 9.0]), 0, Tensor([0, 0]), Tensor([4.0, 2.0]),
                               "amin")
    assert low.tolist() == [2.0, 9.0]
    with pytest.raises(ValueError, match=r"scatter_reduce: reduce must be .*'prod' is not "
                                         r"supported here"):
        Tensor([1.0]).scatter_reduce(0, [0], Tensor([2.0]), "prod")
    with pytest.raises(TypeError, match=r"reduce='mean' needs a floating tensor"):
        Tensor([1, 2]).scatter_reduce(0, [0], Tensor([2]), "mean")


@needs_torch
@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin"])
def test_scatter_reduce_matches_pytorch(reduce, rng):
    """(On numbers with no ties between an uncounted x and the result: see above.)"""
    index = rng.integers(0, 4, (7, 3))
    for include_self in (True, False):
        t_index = real_torch.tensor(index)
        from torch_helpers import same_as_torch
        same_as_torch(lambda a, b: a.scatter_reduce(0, index, b, reduce,
                                                    include_self=include_self),
                      rng.standard_normal((5, 3)), rng.standard_normal((7, 3)), rng=rng,
                      torch_f=lambda a, b: a.scatter_reduce(0, t_index, b, reduce,
                                                            include_self=include_self))



def test_scatter_and_index_reduce_take_bools_and_integers_as_pytorch():
    """A bool's amax is an `or`, its amin an `and`, as PyTorch's scatter_reduce gives them
    (numpy has no iinfo for bool, where the start value was taken from); integers start from
    their own limits (PyTorch's numbers)."""
    x, src = Tensor([False, False, True]), Tensor([True, False, False, False])
    index = Tensor([0, 1, 1, 2])
    assert x.scatter_reduce(0, index, src, "amax").tolist() == [True, False, True]
    assert x.scatter_reduce(0, index, src, "amin").tolist() == [False, False, False]
    every = Tensor([True, True, True])
    assert every.scatter_reduce(0, index, src, "amin", include_self=False).tolist() == [
        True, False, False]
    assert every.index_reduce(0, index, src, "amin").tolist() == [True, False, False]
    assert x.index_reduce(0, index, src, "amax", include_self=False).tolist() == [
        True, False, False]
    small = Tensor(np.array([3, 5, 7], np.int8))
    values = Tensor(np.array([4, -128, 9], np.int8))
    assert small.index_reduce(0, Tensor([0, 0, 1]), values, "amin",
                              include_self=False).tolist() == [-128, 9, 7]
    assert small.index_reduce(0, Tensor([0, 0, 1]), values, "amax").tolist() == [4, 9, 7]

# -- degree normalisation and the graph's edge cases --------------------------------------------

def test_an_isolated_node_gives_inf_degrees_and_nan_as_in_pytorch_and_clamp_fixes_it():
    """deg.pow(-0.5) of a degree 0 is inf, and the dense D A D then NaN (0 * inf), in
    PyTorch too; deg.clamp(min=1) (or d[d == inf] = 0) is the usual fix."""
    A = np.zeros((4, 4))
    A[0, 1] = A[1, 0] = A[1, 2] = A[2, 1] = A[2, 2] = 1.0                   # node 3 alone
    deg = Tensor(A).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = deg.pow(-0.5)
        assert d.tolist()[3] == float("inf")
        assert np.isnan((torch.diag(d) @ Tensor(A) @ torch.diag(d)).data[3]).all()
        masked = deg.pow(-0.5)
        masked[masked == float("inf")] = 0
    clamped = deg.clamp(min=1).pow(-0.5)
    assert masked.tolist()[3] == 0.0 and clamped.tolist()[3] == 1.0
    rng = np.random.default_rng(9)
    edges = Tensor(np.array([[0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 2, 1]]))    # a duplicate 0 -> 1

    def weighted_gcn(weights, x):
        src, dst = edges[0], edges[1]
        deg = torch.zeros(4, dtype=weights.dtype).index_add(0, dst, weights)
        d = deg.clamp(min=1e-6).pow(-0.5)
        norm = d[src] * weights * d[dst]
        return torch.zeros(4, 2, dtype=x.dtype).index_add(0, dst, norm.unsqueeze(1) * x[src])
    assert gradcheck(weighted_gcn, rng.uniform(0.5, 2.0, 6), rng.standard_normal((4, 2)))


def test_an_empty_edge_list_passes_no_messages_and_zero_gradients():
    edge_index = torch.zeros(2, 0, dtype=torch.long)
    x = Tensor(np.random.default_rng(10).standard_normal((4, 3)), requires_grad=True)
    out = torch.zeros(4, 3, dtype=torch.float64).index_add_(0, edge_index[1], x[edge_index[0]])
    top = torch.zeros(4).scatter_reduce(0, edge_index[1], torch.ones(0), "amax",
                                        include_self=False)
    assert out.tolist() == [[0.0] * 3] * 4 and top.tolist() == [0.0] * 4
    (out + x).sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 4


def test_sparse_tensors_say_what_to_write():
    with pytest.raises(AttributeError, match=r"torch.sparse_coo_tensor is not here .*index_add"
                                             r"\(0, row \* n \+ col, values\)"):
        torch.sparse_coo_tensor
    with pytest.raises(AttributeError, match=r"torch.sparse is not here .*torch.sparse.mm\(A, "
                                             r"X\) is X.new_zeros"):
        torch.sparse.mm
    with pytest.raises(AttributeError, match=r"Tensor.to_sparse is not here"):
        Tensor([1.0]).to_sparse()
    # and what they say to write is sparse.mm's product
    rng = np.random.default_rng(11)
    row, col, values = Tensor(EDGES_NP[0]), Tensor(EDGES_NP[1]), Tensor(rng.random(180))
    X, n = Tensor(rng.standard_normal((34, 2))), 34
    A = values.new_zeros(n * n).index_add(0, row * n + col, values).view(n, n)
    without_A = X.new_zeros(n, X.shape[1]).index_add(0, row, values.unsqueeze(1) * X[col])
    np.testing.assert_allclose((A @ X).data, without_A.data, rtol=1e-12)


# -- 3. graph classification -------------------------------------------------------------------

def test_a_dataloader_with_a_collate_fn_batches_graphs_as_one_disjoint_graph():
    data = Molecules(3, seed=12)
    x, edge_index, y, batch = next(iter(DataLoader(data, batch_size=3, collate_fn=collate)))
    sizes = [g[0].shape[0] for g in data.graphs]
    assert x.shape == (sum(sizes), 3) and y.shape == (3,) and batch.dtype == np.int64
    assert batch.tolist() == sum(([g] * s for g, s in enumerate(sizes)), [])
    second = data.graphs[1][1] + sizes[0]
    first_edges = data.graphs[0][1].shape[1]
    np.testing.assert_array_equal(edge_index.data[:, first_edges:first_edges +
                                                  second.shape[1]], second)


def test_a_graph_classifier_learns_which_molecules_bond_two_atoms_of_kind_2():
    torch.manual_seed(0)
    train, test = Molecules(300, seed=13), Molecules(150, seed=14)
    rng = np.random.default_rng(15)
    shapes = [(3, 16), (16,), (16, 16), (16,), (16, 2), (2,)]
    params = [nn.Parameter(torch.tensor(rng.standard_normal(s).astype(np.float32) * 0.4))
              for s in shapes]
    optimizer = nn.optim.Adam(params, lr=0.02)
    loader = DataLoader(train, batch_size=32, shuffle=True, collate_fn=collate)
    for epoch in range(12):
        for x, edge_index, y, batch in loader:
            optimizer.zero_grad()
            out = graph_classifier(torch, F, x, edge_index, batch, y.shape[0], params)
            F.cross_entropy(out, y).backward()
            optimizer.step()
    correct = 0
    with torch.no_grad():
        for x, edge_index, y, batch in DataLoader(test, batch_size=64, collate_fn=collate):
            out = graph_classifier(torch, F, x, edge_index, batch, y.shape[0], params)
            correct += (out.argmax(dim=1) == y).sum().item()
    majority = max(np.mean([g[2] for g in test.graphs]), 1 - np.mean([g[2] for g in
                                                                    test.graphs]))
    assert correct / len(test) > majority + 0.1


@needs_torch
def test_the_graph_classifier_matches_pytorch_from_the_same_weights():
    rng = np.random.default_rng(16)
    shapes = [(3, 8), (8,), (8, 8), (8,), (8, 2), (2,)]
    arrays = [rng.standard_normal(s) * 0.5 for s in shapes]
    samples = Molecules(5, seed=17).graphs
    results = []
    for lib, params in ((torch, glassgrad_params(arrays)), (real_torch, torch_params(arrays))):
        functional = F if lib is torch else real_torch.nn.functional
        x, edge_index, y, batch = collate([(lib.tensor(x.astype(np.float64)), lib.tensor(e),
                                            lib.tensor(label)) for x, e, label in samples]) \
            if lib is torch else _torch_collate(samples)
        loss = functional.cross_entropy(
            graph_classifier(lib, functional, x, edge_index, batch, 5, params), y)
        loss.backward()
        results.append([loss.item()] + [np.asarray(p.grad) for p in params])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def _torch_collate(samples):
    """`collate` in PyTorch (the same code, with torch's module)."""
    xs, edges, labels, batch, offset = [], [], [], [], 0
    for g, (x, edge_index, label) in enumerate(samples):
        xs.append(real_torch.tensor(x.astype(np.float64)))
        edges.append(real_torch.tensor(edge_index) + offset)
        labels.append(real_torch.tensor(label))
        batch.append(real_torch.full((x.shape[0],), g, dtype=real_torch.long))
        offset += x.shape[0]
    return (real_torch.cat(xs, dim=0), real_torch.cat(edges, dim=1), real_torch.stack(labels),
            real_torch.cat(batch))
