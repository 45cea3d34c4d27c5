"""Random cases of the losses and layers (their functional forms), for glassgrad and PyTorch.

A case is a name, the float arrays that require grad, constant arrays (labels, weights,
running statistics) and options, all drawn by hypothesis; `forward(lib, case, leaves)` computes
the result with either library's `functional` (the layers are thin modules over them). The
second derivative is taken where PyTorch has one too (not max pooling's or ReLU's kinks).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import strategies as st


@dataclasses.dataclass
class Case:
    name: str
    leaves: dict          # name -> float array (requires grad)
    constants: dict       # name -> array or None
    options: dict
    twice: bool = True


def _labels(rng, n, c, ignore):
    y = rng.integers(0, c, n)
    if ignore is not None and n > 1:
        y[rng.random(n) < 0.3] = ignore
        y[0] = rng.integers(0, c)              # at least one row counts
    return y


@st.composite
def cases(draw) -> Case:
    kind = draw(st.sampled_from(["cross_entropy", "cross_entropy_probs", "nll_loss", "mse_loss",
                                 "l1_loss", "bce", "bce_logits", "hinge", "linear", "conv2d",
                                 "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                                 "batch_norm", "layer_norm", "embedding", "dropout_eval"]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    if kind in ("cross_entropy", "nll_loss"):
        ignore = draw(st.sampled_from([None, -100, 1]))
        weight = rng.uniform(0.2, 2, c) if draw(st.booleans()) else None
        options = {"reduction": reduction, "ignore_index": -100 if ignore is None else ignore}
        if kind == "cross_entropy":
            options["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.5]))
        return Case(kind, {"z": rng.normal(size=(n, c))},
                    {"y": _labels(rng, n, c, ignore), "weight": weight}, options)
    if kind == "cross_entropy_probs":
        p = rng.uniform(0.1, 1, (n, c))
        weight = rng.uniform(0.2, 2, c) if draw(st.booleans()) else None
        return Case(kind, {"z": rng.normal(size=(n, c))},
                    {"y": p / p.sum(1, keepdims=True), "weight": weight},
                    {"reduction": reduction,
                     "label_smoothing": draw(st.sampled_from([0.0, 0.2]))})
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=3)))
    if kind in ("mse_loss", "l1_loss"):
        return Case(kind, {"p": rng.normal(size=shape)}, {"t": rng.normal(size=shape)},
                    {"reduction": reduction}, twice=kind == "mse_loss")
    if kind == "bce":
        return Case(kind, {"p": rng.uniform(0.05, 0.95, shape)}, {"t": rng.uniform(0, 1, shape)},
                    {"reduction": reduction})
    if kind == "bce_logits":
        pos = rng.uniform(0.5, 3, shape[-1:]) if draw(st.booleans()) and shape else None
        return Case(kind, {"z": rng.normal(size=shape) * 3}, {"t": rng.uniform(0, 1, shape),
                                                              "pos_weight": pos},
                    {"reduction": reduction})
    if kind == "hinge":
        return Case(kind, {"s": rng.normal(size=shape)},
                    {"t": rng.choice([-1.0, 1.0], shape)}, {"reduction": reduction}, twice=False)
    if kind == "linear":
        fin, fout = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        leaves = {"x": rng.normal(size=shape + (fin,)), "w": rng.normal(size=(fout, fin))}
        if draw(st.booleans()):
            leaves["b"] = rng.normal(size=fout)
        return Case(kind, leaves, {}, {})
    if kind == "conv2d":
        groups = draw(st.sampled_from([1, 2]))
        cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
        k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        options = {"stride": draw(st.sampled_from([1, 2, (1, 2)])),
                   "padding": draw(st.sampled_from([0, 1, (0, 1)])),
                   "dilation": draw(st.sampled_from([1, 2, (2, 1)])), "groups": groups}
        h, w = draw(st.integers(3, 6)), draw(st.integers(3, 6))
        leaves = {"x": rng.normal(size=(n, cin, h, w)),
                  "w": rng.normal(size=(cout, cin // groups) + k)}
        if draw(st.booleans()):
            leaves["b"] = rng.normal(size=cout)
        return Case(kind, leaves, {}, options)
    if kind in ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"):
        h, w = draw(st.integers(2, 6)), draw(st.integers(2, 6))
        x = rng.normal(size=(n, draw(st.integers(1, 2)), h, w))
        if kind == "adaptive_avg_pool2d":
            return Case(kind, {"x": x}, {}, {"output_size": (draw(st.integers(1, h)),
                                                             draw(st.integers(1, w)))})
        k = draw(st.integers(1, min(h, w, 3)))
        options = {"kernel_size": k, "stride": draw(st.sampled_from([None, 1, 2])),
                   "padding": draw(st.integers(0, k // 2)),
                   "ceil_mode": draw(st.booleans())}
        if kind == "max_pool2d":
            options["dilation"] = draw(st.sampled_from([1, 2]))
            if (k - 1) * options["dilation"] + 1 > min(h, w) + 2 * options["padding"]:
                options["dilation"] = 1
        else:
            options["count_include_pad"] = draw(st.booleans())
            options["divisor_override"] = draw(st.sampled_from([None, 2]))
        return Case(kind, {"x": x}, {}, options, twice=kind != "max_pool2d")
    if kind == "batch_norm":
        spatial = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        training = draw(st.booleans())
        if training and n * int(np.prod(spatial)) < 2:
            n = 2
        leaves = {"x": rng.normal(size=(n, c) + spatial) * 2 + 1}
        if draw(st.booleans()):
            leaves.update(w=rng.uniform(0.5, 2, c), b=rng.normal(size=c))
        return Case(kind, leaves, {"mean": rng.normal(size=c), "var": rng.uniform(0.5, 2, c)},
                    {"training": training, "momentum": draw(st.sampled_from([0.1, 0.5])),
                     "eps": draw(st.sampled_from([1e-5, 0.1]))})
    if kind == "layer_norm":
        trailing = draw(st.integers(1, 2))
        shape = shape + tuple(draw(st.integers(2, 3)) for _ in range(trailing))
        leaves = {"x": rng.normal(size=shape)}
        if draw(st.booleans()):
            leaves.update(w=rng.uniform(0.5, 2, shape[-trailing:]),
                          b=rng.normal(size=shape[-trailing:]))
        return Case(kind, leaves, {}, {"normalized_shape": shape[-trailing:]})
    if kind == "embedding":
        rows = draw(st.integers(2, 5))
        padding = draw(st.sampled_from([None, 0, -1]))
        return Case(kind, {"w": rng.normal(size=(rows, 3))},
                    {"i": rng.integers(0, rows, shape)}, {"padding_idx": padding})
    return Case(kind, {"x": rng.normal(size=shape)}, {}, {"p": 0.5})      # dropout_eval


def forward(lib, case: Case, leaves: dict, extras: dict):
    """The case's result with `lib` (Glass or Torch of fuzz_programs); arrays to compare
    besides it (the running statistics) go into `extras`."""
    F, o = lib.F, case.options

    def const(name, dtype=None):
        value = case.constants.get(name)
        if value is None:
            return None
        return lib.tensor(np.asarray(value, dtype=dtype or leaves_dtype), False)

    leaves_dtype = lib.numpy(next(iter(leaves.values()))).dtype
    k = case.name
    if k in ("cross_entropy", "cross_entropy_probs"):
        y = const("y", np.int64 if k == "cross_entropy" else None)
        return F.cross_entropy(leaves["z"], y, weight=const("weight"), **o)
    if k == "nll_loss":
        return F.nll_loss(leaves["z"].log_softmax(dim=1), const("y", np.int64),
                          weight=const("weight"), **o)
    if k == "mse_loss":
        return F.mse_loss(leaves["p"], const("t"), **o)
    if k == "l1_loss":
        return F.l1_loss(leaves["p"], const("t"), **o)
    if k == "bce":
        return F.binary_cross_entropy(leaves["p"], const("t"), **o)
    if k == "bce_logits":
        return F.binary_cross_entropy_with_logits(leaves["z"], const("t"),
                                                  pos_weight=const("pos_weight"), **o)
    if k == "hinge":
        if lib.name == "glassgrad":
            return F.hinge_loss(leaves["s"], const("t"), **o)
        losses = (1 - const("t") * leaves["s"]).relu()
        return {"mean": losses.mean, "sum": losses.sum, "none": lambda: losses}[o["reduction"]]()
    if k in ("linear", "conv2d"):
        return getattr(F, k)(leaves["x"], leaves["w"], leaves.get("b"), **o)
    if k in ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"):
        return getattr(F, k)(leaves["x"], **o)
    if k == "batch_norm":
        # the running statistics are updated in place in training: compared after the call
        mean, var = (np.array(case.constants[s], dtype=leaves_dtype) for s in ("mean", "var"))
        if lib.name == "torch":
            mean, var = lib.torch.from_numpy(mean), lib.torch.from_numpy(var)
        extras.update(running_mean=mean, running_var=var)
        return F.batch_norm(leaves["x"], mean, var, leaves.get("w"), leaves.get("b"), **o)
    if k == "layer_norm":
        return F.layer_norm(leaves["x"], o["normalized_shape"], leaves.get("w"), leaves.get("b"))
    if k == "embedding":
        return F.embedding(const("i", np.int64), leaves["w"], padding_idx=o["padding_idx"])
    return F.dropout(leaves["x"], o["p"], training=False)
