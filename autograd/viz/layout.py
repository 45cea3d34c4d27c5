"""A layered drawing of a directed graph in pure Python (Sugiyama's method, kept small).

1. Cycles: an edge that closes a cycle is turned round for the layout (drawn the right way).
2. Layers: a box sits one layer after its latest input, then moves on to just before its first
   consumer, so weights and constants stand next to the op that reads them.
3. An edge that spans several layers gets a waypoint in each layer it crosses; waypoints take a
   slot in their layer, so edges pass between boxes, never through them.
4. Order within layers: barycentre sweeps (each box moves to the mean position of its neighbours),
   a bounded number of them; the order with the fewest edge crossings is kept.
5. Coordinates: each box is pulled towards its neighbours, with "keep the order, do not overlap"
   solved exactly per layer (isotonic regression), in a few sweeps.
6. Folding: a drawing longer than FOLD_AT along the rank axis (a long chain) is cut between
   layers into rows laid one under the other, like lines of text, about as long as the rows
   are tall in total. An edge from one row to the next goes like a carriage return: out into
   the margin after its row, along the gap between the rows, down the margin before the next
   row and in; each such edge has its own lane, so none runs through a box or along another.

The "rank" axis runs from layer to layer (left to right for rankdir="LR"); the "order" axis runs
along a layer. Everything is computed on those two axes and turned into x, y at the end.

>>> layout = layered_layout([(40, 20), (40, 20), (40, 20)], [(0, 2), (1, 2)])
>>> layout.layers
[0, 0, 1]
>>> layout.centres[2][0] > layout.centres[0][0]       # left to right
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RANKDIRS = ("LR", "RL", "TB", "BT")

LAYER_GAP = 40.0        # between the boxes of neighbouring layers, along the rank axis
BOX_GAP = 14.0          # between neighbouring boxes of a layer
WAYPOINT_GAP = 6.0      # room given to an edge passing through a layer
MARGIN = 8.0
MAX_SWEEPS = 8          # ordering sweeps (each one down and up)
PLACEMENT_SWEEPS = 4
SWEEP_BUDGET = 200_000  # boxes and waypoints visited per phase: big graphs get fewer sweeps
FOLD_AT = 3000.0        # a drawing longer than this along the rank axis is folded into rows
FOLD_MIN = 1000.0       # ... of at least this length (unless a layer alone is longer)
ROW_GAP = 40.0          # between the rows of a folded drawing
FOLD_MARGIN = 16.0      # before and after each row of a folded drawing: the lanes of the edges
                        # from one row to the next


@dataclass(frozen=True)
class Layout:
    """Where everything goes, in SVG coordinates (y downwards).

    `centres[i]` is the centre of box i and `layers[i]` its layer. `routes[k]` is edge k's path,
    from the border of its source box to the border of its target box, as pairs of points: where
    it runs straight through each layer it touches (from the source box to the layer's far side,
    through a waypoint, from the layer's near side to the target box). Between the pairs it
    crosses the gap to the next layer, which a drawing may curve. `horizontal` is True when
    layers follow each other along x (rankdir LR or RL).
    """

    centres: list[tuple[float, float]]
    layers: list[int]
    routes: list[list[tuple[float, float]]]
    width: float
    height: float
    horizontal: bool
    rows: int = 1               # more than 1: the drawing was folded (see _fold)


def layered_layout(sizes: list[tuple[float, float]], edges: list[tuple[int, int]],
                   rankdir: str = "LR") -> Layout:
    """Place boxes of the given (width, height) so that no two overlap and edges run between them.

    `edges` are (source, target) pairs of box indices; repeated edges are allowed, loops are not.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"layered_layout: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    n = len(sizes)
    for source, target in edges:
        if not (0 <= source < n and 0 <= target < n):
            raise ValueError(f"layered_layout: edge ({source}, {target}) names a box outside "
                             f"0..{n - 1}")
        if source == target:
            raise ValueError(f"layered_layout: edge ({source}, {target}) is a loop")
    horizontal = rankdir in ("LR", "RL")
    # along the rank axis a box spans its width in LR, its height in TB; the order axis the other
    rank_size = [float(w if horizontal else h) for w, h in sizes]
    order_size = [float(h if horizontal else w) for w, h in sizes]

    turned = _cycle_edges(n, edges)
    forward = [(t, s) if turn else (s, t) for (s, t), turn in zip(edges, turned)]
    layer = _assign_layers(n, forward)

    chains = _add_waypoints(forward, layer)               # extends `layer` with the waypoints
    count = len(layer)
    rank_size += [0.0] * (count - n)
    order_size += [0.0] * (count - n)
    preds: list[list[int]] = [[] for _ in range(count)]
    succs: list[list[int]] = [[] for _ in range(count)]
    for a, b in dict.fromkeys(pair for chain in chains for pair in zip(chain, chain[1:])):
        succs[a].append(b)
        preds[b].append(a)

    layers: list[list[int]] = [[] for _ in range(max(layer, default=-1) + 1)]
    for v in range(count):
        layers[layer[v]].append(v)
    sweeps = max(1, SWEEP_BUDGET // max(count, 1))    # bounded work: fast at any size
    layers = _order(layers, preds, succs, min(sweeps, MAX_SWEEPS))
    gap = [BOX_GAP if v < n else WAYPOINT_GAP for v in range(count)]
    along = _place(layers, preds, succs, order_size, gap, min(sweeps, PLACEMENT_SWEEPS))

    # the rank axis: each layer as deep as its deepest box
    depth = [max((rank_size[v] for v in nodes), default=0.0) for nodes in layers]
    start, position = [], MARGIN
    for d in depth:
        start.append(position)
        position += d + LAYER_GAP
    # each layer's extent along the order axis: a folded drawing's rows are each as wide as
    # their own layers need (a drawing that drifts along a long chain has no empty bands)
    extent = [(min((along[v] - order_size[v] / 2 for v in nodes), default=math.inf),
               max((along[v] + order_size[v] / 2 for v in nodes), default=-math.inf))
              for nodes in layers]
    shift, row_of, band_of, rank_total, order_total = _fold(start, depth, extent)

    def point(rank: float, order: float, at: int) -> tuple[float, float]:
        """Rank and order of a point in layer `at` as SVG (x, y), folded and turned."""
        rank -= shift[at][0]
        if rankdir in ("RL", "BT"):
            rank = rank_total - rank
        order = order + MARGIN + shift[at][1]
        return (rank, order) if horizontal else (order, rank)

    centre_rank = [start[layer[v]] + depth[layer[v]] / 2 for v in range(n)]
    centres = [point(centre_rank[v], along[v], layer[v]) for v in range(n)]
    ports = _ports(n, chains, along, order_size)
    lane = _return_lanes(chains, layer, row_of, along)
    routes = []
    for k, chain in enumerate(chains):
        s, t = chain[0], chain[-1]
        exit_, entry = ports[k]
        # where the route enters and leaves each layer it touches, and its place in the layer
        stops = [[centre_rank[s] + rank_size[s] / 2, start[layer[s]] + depth[layer[s]],
                  along[s] + exit_]]
        stops += [[start[layer[w]], start[layer[w]] + depth[layer[w]], along[w]]
                  for w in chain[1:-1]]
        stops.append([start[layer[t]], centre_rank[t] - rank_size[t] / 2, along[t] + entry])
        path: list[tuple[float, float]] = []
        for i, (enter, leave, order) in enumerate(stops):
            at = layer[chain[i]]
            if i and row_of[before] != row_of[at]:     # from the end of the row above
                f = lane[chain[i - 1]]
                turn = leave_before + FOLD_MARGIN * f                # the margin after it,
                margin = shift[at][0] + MARGIN + FOLD_MARGIN * f     # the one before this row
                path[-1] = point(turn, order_before, before)
                path += [point(turn, band_of[before][1] + ROW_GAP * f, before),   # the gap
                         point(margin, band_of[at][0] - ROW_GAP * (1 - f), at)]   # between
                enter = margin
            path += [point(enter, order, at), point(leave, order, at)]
            before, leave_before, order_before = at, leave, order
        routes.append(path[::-1] if turned[k] else path)
    size = (rank_total, order_total) if horizontal else (order_total, rank_total)
    rows = row_of[-1] + 1 if row_of else 1
    return Layout(centres, layer[:n], routes, size[0], size[1], horizontal, rows)


def _fold(start: list[float], depth: list[float], extent: list[tuple[float, float]],
          ) -> tuple[list[tuple[float, float]], list[int], list[tuple[float, float]], float,
                     float]:
    """Cut a long drawing into rows: each layer's (rank, order) shift, row and its row's band
    (low, high along the order axis, before the shift), and the folded size (rank, order).
    `extent` is each layer's (low, high) along the order axis.

    The rows are about sqrt(length × (band + ROW_GAP)) long, kept between FOLD_MIN and
    FOLD_AT, so a long chain becomes a roughly square picture; a drawing no longer than FOLD_AT
    stays in one row. Each row is as wide as its own layers: a chain that drifts along the
    order axis does not make every row as wide as the whole drift. The rows of a folded drawing
    have FOLD_MARGIN before and after them, for the edges from one row to the next.
    """
    low = min((a for a, _ in extent), default=0.0)         # (an empty layer: inf, -inf)
    high = max((b for _, b in extent), default=0.0)
    length = start[-1] + depth[-1] - MARGIN if start else 0.0
    if length <= FOLD_AT:
        return ([(0.0, -low)] * len(start), [0] * len(start), [(low, high)] * len(start),
                length + 2 * MARGIN, high - low + 2 * MARGIN)
    row_length = min(FOLD_AT, max(FOLD_MIN, math.sqrt(length * (high - low + ROW_GAP))))
    row_of, row_starts, row, row_start, longest = [], [], 0, start[0], 0.0
    for s, d in zip(start, depth):
        if s + d - row_start > row_length and s > row_start:      # this layer starts a new row
            row, row_start = row + 1, s
        row_of.append(row)
        row_starts.append(row_start)
        longest = max(longest, s + d - row_start)
    bands = [(math.inf, -math.inf) for _ in range(row + 1)]
    for r, (a, b) in zip(row_of, extent):
        bands[r] = (min(bands[r][0], a), max(bands[r][1], b))
    tops, top = [], 0.0                    # where each row begins along the order axis
    for a, b in bands:
        tops.append(top)
        top += b - a + ROW_GAP
    shift = [(row_start - MARGIN - FOLD_MARGIN, tops[r] - bands[r][0])
             for r, row_start in zip(row_of, row_starts)]
    return (shift, row_of, [bands[r] for r in row_of], longest + 2 * (MARGIN + FOLD_MARGIN),
            top - ROW_GAP + 2 * MARGIN)


def _return_lanes(chains: list[list[int]], layer: list[int], row_of: list[int],
                  along: list[float]) -> dict[int, float]:
    """Folded drawings: for each node an edge leaves to go on in the next row, its lane, as a
    fraction in (0, 1) of the margins and of the gap between the rows.

    Of the edges leaving one row, the uppermost gets the outer lane after the row, the lowest
    lane in the gap and the inner lane before the next row: edges that keep their order then
    never cross.
    """
    leaving: dict[int, dict[int, None]] = {}        # row → the nodes leaving it, in order
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            if row_of[layer[a]] != row_of[layer[b]]:
                leaving.setdefault(row_of[layer[a]], {})[a] = None
    lane = {}
    for nodes in leaving.values():
        ordered = sorted(nodes, key=along.__getitem__)
        lane.update((v, (len(ordered) - i) / (len(ordered) + 1)) for i, v in enumerate(ordered))
    return lane


def _add_waypoints(edges: list[tuple[int, int]], layer: list[int]) -> list[list[int]]:
    """Each edge as a chain of nodes, one per layer from its source to its target.

    The nodes in between are waypoints, numbered after the boxes (their layers are appended to
    `layer`). The edges that leave one box share its waypoint in each layer, like a bus with
    branches: fewer lines to draw, less work to place.
    """
    waypoint: dict[tuple[int, int], int] = {}            # (source, layer) → waypoint
    chains = []
    for s, t in edges:
        chain = [s]
        for between in range(layer[s] + 1, layer[t]):
            w = waypoint.get((s, between))
            if w is None:
                w = waypoint[s, between] = len(layer)
                layer.append(between)
            chain.append(w)
        chain.append(t)
        chains.append(chain)
    return chains


def _cycle_edges(n: int, edges: list[tuple[int, int]]) -> list[bool]:
    """For each edge, whether it closes a cycle (it points back into the depth-first search's
    current path); turning those round leaves an acyclic graph. Iterative, deterministic."""
    out: list[list[int]] = [[] for _ in range(n)]
    for k, (s, _) in enumerate(edges):
        out[s].append(k)
    turned = [False] * len(edges)
    state = [0] * n                         # 0 unseen, 1 on the current path, 2 finished
    for start in range(n):
        if state[start]:
            continue
        state[start] = 1
        stack = [(start, iter(out[start]))]
        while stack:
            v, pending = stack[-1]
            for k in pending:
                w = edges[k][1]
                if state[w] == 1:
                    turned[k] = True
                elif state[w] == 0:
                    state[w] = 1
                    stack.append((w, iter(out[w])))
                    break
            else:
                state[v] = 2
                stack.pop()
    return turned


def _assign_layers(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Longest path from the sources, then every box with consumers moves up to just before
    the first of them (sinks stay), which shortens edges from leaves and side branches."""
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    waiting = [0] * n
    for s, t in edges:
        preds[t].append(s)
        succs[s].append(t)
        waiting[t] += 1
    order = [v for v in range(n) if not waiting[v]]     # Kahn's algorithm: a topological order
    for v in order:                                     # (the list grows while it is read)
        for w in succs[v]:
            waiting[w] -= 1
            if not waiting[w]:
                order.append(w)
    layer = [0] * n
    for v in order:
        if preds[v]:
            layer[v] = 1 + max(layer[p] for p in preds[v])
    for v in reversed(order):
        if succs[v]:
            layer[v] = min(layer[w] for w in succs[v]) - 1
    return layer


def _order(layers: list[list[int]], preds: list[list[int]], succs: list[list[int]],
           sweeps: int) -> list[list[int]]:
    """Barycentre sweeps, down then up, at most `sweeps` times; returns the best order seen."""
    position = [0.0] * len(preds)           # a node's place in its layer, scaled to [0, 1)

    def number(nodes: list[int]) -> None:
        for i, v in enumerate(nodes):
            position[v] = (i + 0.5) / len(nodes)

    def sweep(indices: range, neighbours: list[list[int]]) -> None:
        for i in indices:
            nodes = layers[i]
            keys = {}
            for v in nodes:
                near = neighbours[v]
                keys[v] = sum(position[u] for u in near) / len(near) if near else position[v]
            nodes.sort(key=keys.__getitem__)            # stable: ties keep their order
            number(nodes)

    for nodes in layers:
        number(nodes)
    best, fewest = [list(nodes) for nodes in layers], _crossings(layers, succs)
    stale = 0
    for _ in range(sweeps):
        if fewest == 0 or stale == 2:
            break
        sweep(range(1, len(layers)), preds)
        sweep(range(len(layers) - 2, -1, -1), succs)
        crossings = _crossings(layers, succs)
        if crossings < fewest:
            best, fewest, stale = [list(nodes) for nodes in layers], crossings, 0
        else:
            stale += 1
    return best


def _crossings(layers: list[list[int]], succs: list[list[int]]) -> int:
    """Edge crossings between neighbouring layers: inversions among the edges' target places."""
    total = 0
    for upper, lower in zip(layers, layers[1:]):
        place = {v: i for i, v in enumerate(lower)}
        targets = []
        for v in upper:
            targets.extend(sorted(place[w] for w in succs[v]))
        total += _inversions(targets, len(lower))
    return total


def _inversions(values: list[int], bound: int) -> int:
    """Pairs i < j with values[i] > values[j], counted with a Fenwick tree in O(n log bound)."""
    tree = [0] * (bound + 1)
    count = 0
    for seen, value in enumerate(values):
        i, not_greater = value + 1, 0
        while i > 0:
            not_greater += tree[i]
            i -= i & -i
        count += seen - not_greater
        i = value + 1
        while i <= bound:
            tree[i] += 1
            i += i & -i
    return count


def _place(layers: list[list[int]], preds: list[list[int]], succs: list[list[int]],
           size: list[float], gap: list[float], sweeps: int) -> list[float]:
    """Coordinates along the order axis: sweeps that pull each box towards the mean of its
    neighbours, each layer solved under its no-overlap constraints."""
    along = [0.0] * len(size)
    for nodes in layers:                                 # start: every layer packed, centred
        _settle(nodes, [0.0] * len(nodes), along, size, gap)

    def sweep(indices: range, neighbours: list[list[int]]) -> None:
        for i in indices:
            nodes = layers[i]
            wanted = []
            for v in nodes:
                near = neighbours[v]
                wanted.append(sum([along[u] for u in near]) / len(near) if near else along[v])
            _settle(nodes, wanted, along, size, gap)

    down, up = range(1, len(layers)), range(len(layers) - 2, -1, -1)
    for _ in range(sweeps):
        sweep(down, preds)
        sweep(up, succs)
    sweep(range(len(layers)), [p + s for p, s in zip(preds, succs)])   # balance both sides
    return along


def _settle(nodes: list[int], wanted: list[float], along: list[float], size: list[float],
            gap: list[float]) -> None:
    """Put `nodes` (in this order) as close to `wanted` as possible, in the least-squares sense,
    with each at least half their sizes plus gaps after the previous one.

    Subtracting each node's minimum offset from the first turns "no overlap" into "non-decreasing",
    which pool-adjacent-violators solves exactly in one pass.
    """
    offsets, total, previous = [], 0.0, None
    for v in nodes:
        if previous is not None:
            total += (size[previous] + size[v] + gap[previous] + gap[v]) / 2
        offsets.append(total)
        previous = v
    means: list[float] = []                              # the blocks of pooled targets:
    counts: list[int] = []                               # their means and sizes
    for target, offset in zip(wanted, offsets):
        mean, count = target - offset, 1
        while means and means[-1] > mean:                # out of order: pool with the last
            last, last_count = means.pop(), counts.pop()
            mean = (mean * count + last * last_count) / (count + last_count)
            count += last_count
        means.append(mean)
        counts.append(count)
    i = 0
    for mean, count in zip(means, counts):
        for _ in range(count):
            along[nodes[i]] = mean + offsets[i]
            i += 1


def _ports(n: int, chains: list[list[int]], along: list[float],
           size: list[float]) -> list[tuple[float, float]]:
    """Where each edge leaves its source and enters its target, as offsets from the box's centre
    along the order axis. Several ends at one side are spread out, in the order of the places
    they come from, so that arrowheads stay apart (x * x shows two); edges that share their
    first waypoint leave from one point."""
    leaving: list[dict[int, None]] = [{} for _ in range(n)]     # distinct first hops, in order
    entering: list[list[tuple[float, int]]] = [[] for _ in range(n)]
    for k, chain in enumerate(chains):
        leaving[chain[0]][chain[1]] = None
        entering[chain[-1]].append((along[chain[-2]], k))

    def spread(v: int, count: int) -> list[float]:
        step = min(8.0, size[v] / (count + 1))
        return [(i - (count - 1) / 2) * step for i in range(count)]

    exit_at: dict[tuple[int, int], float] = {}
    for v, hops in enumerate(leaving):
        ordered = sorted(hops, key=along.__getitem__)
        exit_at.update(((v, hop), offset) for hop, offset in zip(ordered, spread(v, len(ordered))))
    entry = [0.0] * len(chains)
    for v, ends in enumerate(entering):
        ends.sort()
        for (_, k), offset in zip(ends, spread(v, len(ends))):
            entry[k] = offset
    return [(exit_at[chain[0], chain[1]], entry[k]) for k, chain in enumerate(chains)]
