"""autograd.viz.layout: the pure-Python layered layout.

Boxes never overlap, stay on the canvas, and edges start and end on their boxes' borders and run
through layers only in their own slots; cycles and repeated edges are handled; the same input
gives the same output. Checked on hand-made graphs and on random ones (hypothesis).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd.viz import layout as L
from autograd.viz.layout import layered_layout

EPS = 1e-6


def rects(sizes, placed):
    """(left, top, right, bottom) of every box."""
    return [(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            for (w, h), (x, y) in zip(sizes, placed.centres)]


def overlap(a, b) -> bool:
    return a[0] < b[2] - EPS and b[0] < a[2] - EPS and a[1] < b[3] - EPS and b[1] < a[3] - EPS


def on_border(point, rect) -> bool:
    x, y = point
    left, top, right, bottom = rect
    inside = left - EPS <= x <= right + EPS and top - EPS <= y <= bottom + EPS
    edge = min(abs(x - left), abs(x - right), abs(y - top), abs(y - bottom)) < EPS
    return inside and edge


def crosses(p, q, rect) -> bool:
    """Whether the axis-parallel segment p–q passes through the inside of `rect`."""
    (x0, y0), (x1, y1) = p, q
    left, top, right, bottom = rect
    if abs(y0 - y1) < EPS:                                  # horizontal
        return top + EPS < y0 < bottom - EPS and min(x0, x1) < right - EPS and \
            max(x0, x1) > left + EPS
    return left + EPS < x0 < right - EPS and min(y0, y1) < bottom - EPS and \
        max(y0, y1) > top + EPS


def check_layout(sizes, edges, rankdir):
    placed = layered_layout(sizes, edges, rankdir)
    boxes = rects(sizes, placed)
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not overlap(a, b), f"boxes {i} and {j} overlap: {a} {b}"
    for left, top, right, bottom in boxes:
        assert left >= -EPS and top >= -EPS
        assert right <= placed.width + EPS and bottom <= placed.height + EPS
    assert len(placed.routes) == len(edges)
    for (s, t), route in zip(edges, placed.routes):
        assert len(route) >= 4 and len(route) % 2 == 0
        assert on_border(route[0], boxes[s]) and on_border(route[-1], boxes[t])
        for k in range(0, len(route), 2):                   # the straight runs through layers
            p, q = route[k], route[k + 1]
            assert abs(p[1 if placed.horizontal else 0] - q[1 if placed.horizontal else 0]) < EPS
            for i, box in enumerate(boxes):
                if i not in (s, t):
                    assert not crosses(p, q, box), f"edge {s}->{t} runs through box {i}"
    return placed


# ----------------------------------------------------------------------------------------------
# Hand-made graphs
# ----------------------------------------------------------------------------------------------

def test_two_inputs_and_one_output_left_to_right():
    placed = check_layout([(40, 20), (40, 20), (60, 20)], [(0, 2), (1, 2)], "LR")
    assert placed.layers == [0, 0, 1]
    (x0, y0), (x1, y1), (x2, y2) = placed.centres
    assert x0 == x1 < x2
    assert abs(y0 - y1) >= 20 + L.BOX_GAP - EPS              # stacked with a gap
    assert y2 == pytest.approx((y0 + y1) / 2)                # the output between its inputs
    assert placed.routes[0][-1][1] != placed.routes[1][-1][1]   # two arrowheads, apart


@pytest.mark.parametrize("rankdir, axis, sign", [("LR", 0, 1), ("RL", 0, -1), ("TB", 1, 1),
                                                 ("BT", 1, -1)])
def test_rankdir_sets_the_direction_of_the_layers(rankdir, axis, sign):
    placed = check_layout([(50, 20)] * 3, [(0, 1), (1, 2)], rankdir)
    coords = [c[axis] for c in placed.centres]
    assert sign * coords[0] < sign * coords[1] < sign * coords[2]
    assert placed.horizontal == (rankdir in ("LR", "RL"))


def test_leaves_sit_next_to_their_consumer():
    # 0 → 1 → 2 → 3 and a leaf 4 read only by 3: it goes to layer 2, not 0
    placed = check_layout([(30, 20)] * 5, [(0, 1), (1, 2), (2, 3), (4, 3)], "LR")
    assert placed.layers == [0, 1, 2, 3, 2]


def test_long_edges_get_waypoints_and_route_around_boxes():
    # 0 → 1 → 2 → 3 → 4 and a shortcut 0 → 4 that must pass layers 1..3 beside the chain
    sizes = [(60, 30)] * 5
    placed = check_layout(sizes, [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)], "LR")
    assert len(placed.routes[4]) == 2 + 2 * 3 + 2


def test_barycentre_ordering_removes_a_crossing():
    # inputs 0, 1 in that order; 0 feeds 3 and 1 feeds 2: drawn uncrossed, 3 must come first
    placed = check_layout([(30, 20)] * 4, [(0, 3), (1, 2)], "LR")
    (_, y0), (_, y1), (_, y2), (_, y3) = placed.centres
    assert (y0 < y1) == (y3 < y2)


def test_cycles_are_drawn_with_every_arrow_the_right_way():
    edges = [(0, 1), (1, 2), (2, 0), (1, 0)]
    placed = check_layout([(40, 20)] * 3, edges, "TB")
    assert sorted(placed.layers) == [0, 1, 2]


def test_repeated_edges_and_isolated_boxes():
    placed = check_layout([(40, 20), (40, 20), (25, 25)], [(0, 1), (0, 1)], "LR")
    first, second = placed.routes
    assert first[0] == second[0]                  # they leave from one point...
    assert first[-1] != second[-1]                # ...and arrive apart: x * x shows two arrows


def test_empty_and_single_box():
    empty = layered_layout([], [])
    assert empty.centres == [] and (empty.width, empty.height) == (2 * L.MARGIN, 2 * L.MARGIN)
    placed = layered_layout([(50, 20)], [])
    assert placed.centres == [(L.MARGIN + 25, L.MARGIN + 10)]


@pytest.mark.parametrize("edges, message", [
    ([(0, 0)], r"edge \(0, 0\) is a loop"),
    ([(0, 5)], r"edge \(0, 5\) names a box outside 0..1"),
])
def test_bad_edges_are_refused(edges, message):
    with pytest.raises(ValueError, match=message):
        layered_layout([(10, 10), (10, 10)], edges)


def test_bad_rankdir_is_refused():
    with pytest.raises(ValueError, match="rankdir must be one of"):
        layered_layout([(10, 10)], [], "LEFT")


def test_big_graphs_get_fewer_sweeps_not_a_different_answer_shape(monkeypatch):
    # the sweep budget bounds the work; with a tiny budget the result is still a valid layout
    monkeypatch.setattr(L, "SWEEP_BUDGET", 1)
    edges = [(i, i + 1) for i in range(19)] + [(i, 19) for i in range(0, 19, 3)]
    check_layout([(30 + i, 20) for i in range(20)], edges, "LR")


@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_a_long_chain_folds_into_rows(rankdir):
    """200 boxes in a row would be ~24,000 px long: the drawing is cut into rows instead."""
    n = 200
    sizes, edges = [(80.0, 30.0)] * n, [(i, i + 1) for i in range(n - 1)]
    placed = check_layout(sizes, edges, rankdir)
    length, across = (placed.width, placed.height) if placed.horizontal else (
        placed.height, placed.width)
    assert length <= L.FOLD_AT + 2 * L.MARGIN
    rows = sorted({round(c[1] if placed.horizontal else c[0]) for c in placed.centres})
    assert len(rows) > 1 and across < 2 * length        # several rows, about as long as tall
    assert placed.layers == list(range(n))             # the layers themselves are unchanged


@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_edges_from_one_row_to_the_next_run_in_the_margins_and_gaps(rankdir):
    """Not across the rows' boxes: out after the row, back along the gap, in before the next."""
    n = 60                                   # two chains side by side, and a rung every 5 steps
    sizes = [(80.0, 30.0)] * (2 * n)
    edges = [(i, i + 1) for i in range(n - 1)] + [(n + i, n + i + 1) for i in range(n - 1)]
    edges += [(i, n + i + 1) for i in range(0, n - 1, 5)]
    placed = check_layout(sizes, edges, rankdir)
    assert placed.rows > 1
    boxes = rects(sizes, placed)
    rank = 0 if placed.horizontal else 1
    length = placed.width if placed.horizontal else placed.height
    returns = 0
    for (s, t), route in zip(edges, placed.routes):
        for p, q in zip(route, route[1:]):
            assert 0 <= min(p + q) and max(p[0], q[0]) <= placed.width + EPS \
                and max(p[1], q[1]) <= placed.height + EPS
            if abs(p[0] - q[0]) < EPS or abs(p[1] - q[1]) < EPS:       # straight
                for i, box in enumerate(boxes):
                    assert i in (s, t) or not crosses(p, q, box), f"{s}->{t} runs through {i}"
                returns += abs(p[rank] - q[rank]) > length / 2            # back along a gap
            else:                            # an S-curve only joins neighbouring layers
                assert abs(p[rank] - q[rank]) <= L.LAYER_GAP + EPS, f"{s}->{t}: {p} to {q}"
    assert placed.rows > 1 and returns >= placed.rows - 1


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_a_drifting_chain_folds_into_rows_as_wide_as_their_own_boxes(rankdir):
    """A running sum with an input at each step (micrograd's neuron: sum(w*x for ...), b)
    drifts along the order axis as it goes; every row was as wide as the whole drift (150 steps:
    27,000 px tall, almost all of it empty). Now no empty band is wider than the gap between
    two rows."""
    sizes, edges = [], []
    for i in range(150):
        sizes += [(120.0, 30.0), (120.0, 30.0)]            # an input, and the running sum
        edges.append((2 * i, 2 * i + 1))
        if i:
            edges.append((2 * i - 1, 2 * i + 1))
    placed = check_layout(sizes, edges, rankdir)
    assert placed.rows > 2
    across = 1 if placed.horizontal else 0                 # the axis the rows follow along
    spans = sorted((c[across] - size[across] / 2, c[across] + size[across] / 2)
                   for c, size in zip(placed.centres, sizes))
    reached = spans[0][1]
    for low, high in spans[1:]:
        assert low - reached <= L.ROW_GAP + EPS, f"an empty band from {reached} to {low}"
        reached = max(reached, high)


def test_a_drawing_within_fold_at_stays_in_one_row():
    n = 20
    placed = check_layout([(80.0, 30.0)] * n, [(i, i + 1) for i in range(n - 1)], "LR")
    assert len({c[1] for c in placed.centres}) == 1 and placed.width <= L.FOLD_AT


# ----------------------------------------------------------------------------------------------
# Pieces
# ----------------------------------------------------------------------------------------------

@given(st.lists(st.integers(0, 9), max_size=40))
def test_inversions_match_counting_pairs(values):
    brute = sum(1 for i, j in itertools.combinations(range(len(values)), 2)
                if values[i] > values[j])
    assert L._inversions(values, 10) == brute


def test_settle_keeps_separated_wishes_and_pools_colliding_ones():
    along = [0.0] * 3
    size, gap = [10.0, 10.0, 10.0], [4.0, 4.0, 4.0]
    L._settle([0, 1, 2], [0.0, 100.0, 200.0], along, size, gap)
    assert along == [0.0, 100.0, 200.0]
    L._settle([0, 1, 2], [50.0, 50.0, 50.0], along, size, gap)    # all want the same place:
    assert along == [36.0, 50.0, 64.0]                             # centred on it, 14 apart


@given(st.lists(st.floats(-500, 500), min_size=1, max_size=12),
       st.lists(st.floats(0, 80), min_size=12, max_size=12))
def test_settle_never_overlaps_and_keeps_the_order(wanted, sizes):
    n = len(wanted)
    along = [0.0] * n
    gap = [L.BOX_GAP] * n
    L._settle(list(range(n)), wanted, along, sizes[:n], gap)
    for i in range(1, n):
        need = (sizes[i - 1] + sizes[i]) / 2 + L.BOX_GAP
        assert along[i] - along[i - 1] >= need - 1e-6
    # least squares: the mean position is the mean wish (the constraints only shift blocks)
    assert sum(along) / n == pytest.approx(sum(wanted) / n, abs=1e-6)


# ----------------------------------------------------------------------------------------------
# Random graphs
# ----------------------------------------------------------------------------------------------

@st.composite
def graphs(draw, max_boxes=14):
    n = draw(st.integers(1, max_boxes))
    sizes = draw(st.lists(st.tuples(st.floats(4, 200), st.floats(4, 60)), min_size=n,
                          max_size=n))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] != e[1])
    edges = draw(st.lists(pairs, max_size=3 * n)) if n > 1 else []
    rankdir = draw(st.sampled_from(L.RANKDIRS))
    return sizes, edges, rankdir


@given(graphs())
def test_random_graphs_have_no_overlaps_and_edges_between_boxes(graph):
    sizes, edges, rankdir = graph
    check_layout(sizes, edges, rankdir)


@given(graphs())
def test_random_acyclic_graphs_point_every_edge_forward_and_layout_is_deterministic(graph):
    sizes, edges, rankdir = graph
    forward = [(min(s, t), max(s, t)) for s, t in edges]    # index order: acyclic
    placed = layered_layout(sizes, forward, rankdir)
    for s, t in forward:
        assert placed.layers[s] < placed.layers[t]
    assert layered_layout(sizes, forward, rankdir) == placed
