"""The Python around the math of a training step, for small models: `parameters()`,
`named_parameters()`, `zero_grad`, the optimizers' `step()` on tiny weights, `clip_grad_norm_`,
`train()` / `eval()`, `state_dict()`, a Linear's call, `to(dtype)` as a no-op, `requires_grad_`
and an EMA's update, each against PyTorch's (when installed) in one process, alternated round
by round; best of `--rounds` rounds of `--calls` calls, µs of CPU time a call (the host is shared).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/overhead.py \
        [--rounds 7] [--calls 1000] [--only mlp3,cnn] [--ops step_adam,parameters] [--json F]

Models: MLPs of 3 and 6 Linear layers (Sequential, 6 and 12 parameters), a small CNN (two
Conv2d-BatchNorm2d-ReLU blocks and a Linear head, 10 parameters, 6 buffers) and a 2-layer
transformer encoder (d_model 16, an embedding, a ModuleDict of two heads: 30 parameters,
nested ModuleLists). The gradients are set once and kept, so every `step()` works on them.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Callable

import numpy as np

import autograd
import nn
from nn.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from nn.utils import clip_grad_norm_

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None


class _Transformer:
    """What both engines' transformers are built from: the library (`nn` or `torch.nn`)."""

    @staticmethod
    def build(lib: Any) -> Any:
        class Model(lib.Module):
            def __init__(self) -> None:
                super().__init__()
                self.embed = lib.Embedding(50, 16)
                layer = lib.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0)
                self.encoder = lib.TransformerEncoder(layer, num_layers=2)
                self.heads = lib.ModuleDict({"tag": lib.Linear(16, 5), "score": lib.Linear(16, 1)})
        return Model()


def build(lib: Any, name: str) -> Any:
    """The model `name` built with `lib` (glassgrad's `nn` or `torch.nn`)."""
    if name.startswith("mlp"):
        layers, width = int(name[3:]), 16
        parts: list = [lib.Linear(8, width), lib.ReLU()]
        for _ in range(layers - 2):
            parts += [lib.Linear(width, width), lib.ReLU()]
        return lib.Sequential(*parts, lib.Linear(width, 1))
    if name == "cnn":
        return lib.Sequential(lib.Conv2d(1, 4, 3), lib.BatchNorm2d(4), lib.ReLU(),
                              lib.MaxPool2d(2), lib.Conv2d(4, 8, 3), lib.BatchNorm2d(8),
                              lib.ReLU(), lib.Flatten(), lib.Linear(8 * 11 * 11, 10))
    if name == "transformer":
        return _Transformer.build(lib)
    raise ValueError(name)


def _set_grads(params: list, torch_side: bool) -> None:
    rng = np.random.default_rng(0)
    for p in params:
        g = (rng.standard_normal(tuple(p.shape)) * 1e-3).astype(np.float32)
        p.grad = torch.from_numpy(g) if torch_side else g


def operations(model: Any, torch_side: bool) -> dict[str, Callable[[], Any]]:
    """name -> a call, for one model of one engine."""
    params = list(model.parameters())
    _set_grads(params, torch_side)
    if torch_side:
        opt = torch.optim
        clip = torch.nn.utils.clip_grad_norm_
        ema = torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.999))
        float32 = torch.float32
        layer, x = torch.nn.Linear(16, 16), torch.ones(4, 16)
        grad_mode = torch.no_grad
    else:
        opt = nn.optim
        clip = clip_grad_norm_
        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
        float32 = np.float32
        layer, x = nn.Linear(16, 16), np.ones((4, 16), np.float32)
        grad_mode = autograd.no_grad
    ema.update_parameters(model)
    sgd = opt.SGD(params, lr=1e-6)
    momentum = opt.SGD(params, lr=1e-6, momentum=0.9)
    adam = opt.Adam(params, lr=1e-6)
    adamw = opt.AdamW(params, lr=1e-6)
    for o in (momentum, adam, adamw):
        o.step()                        # the state made: what a step costs from then on

    def zero_grad_keep() -> None:       # set_to_none=False on gradients that exist
        model.zero_grad(set_to_none=False)

    def call_linear() -> Any:
        with grad_mode():
            return layer(x)

    def forward_linear() -> Any:
        with grad_mode():
            return layer.forward(x)

    return {
        "parameters": lambda: list(model.parameters()),
        "named_parameters": lambda: list(model.named_parameters()),
        "model.zero_grad(False)": zero_grad_keep,
        "model.zero_grad()": model.zero_grad,       # (after the False one: all None)
        "optimizer.zero_grad()": sgd.zero_grad,
        "set grads": lambda: _set_grads(params, torch_side),
        "step SGD": sgd.step,
        "step SGD momentum": momentum.step,
        "step Adam": adam.step,
        "step AdamW": adamw.step,
        "clip_grad_norm_": lambda: clip(model.parameters(), 1.0),     # (within the bound)
        "set grads + clip to 1e-4": lambda: (_set_grads(params, torch_side),
                                                       clip(model.parameters(), 1e-4)),
        "train()": model.train,
        "eval()": model.eval,
        "state_dict()": model.state_dict,
        "Linear call": call_linear,
        "Linear forward": forward_linear,
        "to(float32)": lambda: model.to(float32),
        "requires_grad_()": model.requires_grad_,
        "EMA update": lambda: ema.update_parameters(model),
    }


# the order the calls run in: zero_grad(set_to_none=True) leaves no gradients, so the grads are
# set again before the steps and clipping that read them
ORDER = ["parameters", "named_parameters", "train()", "eval()", "state_dict()", "Linear call",
         "Linear forward", "to(float32)", "requires_grad_()", "EMA update",
         "model.zero_grad(False)", "model.zero_grad()", "optimizer.zero_grad()", "set grads",
         "step SGD", "step SGD momentum", "step Adam", "step AdamW", "clip_grad_norm_",
         "set grads + clip to 1e-4"]


def best(fn: Callable[[], Any], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--only", default="mlp3,mlp6,cnn,transformer")
    parser.add_argument("--ops", default="")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    ops_wanted = [o for o in args.ops.split(",") if o] or ORDER
    results: dict[str, dict[str, dict[str, float]]] = {}
    use_torch = torch is not None and not args.no_torch
    for name in args.only.split(","):
        engines = {"glassgrad": operations(build(nn, name), False)}
        if use_torch:
            torch.manual_seed(0)
            engines["torch"] = operations(build(torch.nn, name), True)
        n = len(list(build(nn, name).parameters()))
        times = {engine: {op: float("inf") for op in ops_wanted} for engine in engines}
        for _ in range(args.rounds):
            for engine, ops in engines.items():
                for op in ORDER:                    # all run, in order (see ORDER)
                    if op in ops_wanted:
                        times[engine][op] = min(times[engine][op], best(ops[op], args.calls))
                    elif op == "set grads" or op.startswith("model.zero_grad"):
                        ops[op]()
        results[name] = times
        print(f"\n{name} ({n} parameters): µs a call, best of {args.rounds} x {args.calls}")
        for op in ops_wanted:
            row = "  ".join(f"{engine} {times[engine][op]:8.2f}" for engine in engines)
            print(f"  {op:24s} {row}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
