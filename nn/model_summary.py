"""`summary(model, input_size)`: a table of a model's layers as one forward pass meets them,
each layer's input and output shapes and its number of parameters, then the totals; the table
torchinfo's `summary` prints for a PyTorch model (the courses install it for that), with its
argument names (`input_size`, `input_data`, `dtypes`, `depth`, `col_names`, `col_width`,
`row_settings`, `verbose`).

The forward pass runs on zeros of `input_size` (or on `input_data`) under `no_grad`, with every
layer in eval mode so that a batch norm's running statistics are left as they were (torchinfo
runs the model in whatever mode it is in, and so can move them); the modes are set back
afterwards. A layer called twice gets two rows; the totals count each parameter once. Rows deeper
than `depth` are left out of the table, not out of the totals. torchinfo's "mult-adds" and its
estimate of the memory a backward pass needs are not computed: the footer gives the sizes that
are certain, of the input and of the parameters.

>>> from nn import Conv2d, Flatten, Linear, ReLU, Sequential
>>> model = Sequential(Conv2d(1, 4, 3, padding=1), ReLU(), Flatten(), Linear(4 * 8 * 8, 10))
>>> table = summary(model, input_size=(2, 1, 8, 8), verbose=0)
>>> table.total_params, table.trainable_params, [row.output_shape for row in table.rows]
(2610, 2610, [[2, 10], [2, 4, 8, 8], [2, 4, 8, 8], [2, 256], [2, 10]])
>>> print(table)                                                # doctest: +NORMALIZE_WHITESPACE
==========================================================================================
Layer (type:depth-idx)                  Output Shape             Param #
==========================================================================================
Sequential                              [2, 10]                  --
├─Conv2d: 1-1                           [2, 4, 8, 8]             40
├─ReLU: 1-2                             [2, 4, 8, 8]             --
├─Flatten: 1-3                          [2, 256]                 --
├─Linear: 1-4                           [2, 10]                  2,570
==========================================================================================
Total params: 2,610
Trainable params: 2,610
Non-trainable params: 0
==========================================================================================
Input size (MB): 0.00
Params size (MB): 0.01
==========================================================================================
"""

from __future__ import annotations

import numbers
import sys
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from autograd import Tensor, get_default_dtype, no_grad

from .module import Module

__all__ = ["summary", "ModelSummary", "LayerRow"]

# torchinfo's column names, and the headings it prints for them
COLUMNS = {"input_size": "Input Shape", "output_size": "Output Shape", "num_params": "Param #",
           "trainable": "Trainable"}
ROW_SETTINGS = ("depth", "var_names", "ascii_only")


@dataclass
class LayerRow:
    """One call of one layer: its place in the model (`name`, dotted as in `named_modules`, ""
    for the model; `depth`, 0 for the model), its class, the shapes it took and gave (lists of
    ints; a list of them for several; None for what is no tensor), the number of its own
    parameters and of all in it (the table shows the latter on a row whose layers it hides, as
    torchinfo does), and whether they are trained."""
    name: str
    kind: str
    depth: int
    index: int                      # torchinfo's "1-3": the third row at depth 1
    input_shape: Any = None
    output_shape: Any = None
    num_params: int = 0             # its own parameters, not its layers'
    trainable: str = "--"           # of all its parameters: "True", "False", "Partial", "--"
    all_params: int = 0             # with its layers'
    recursive: bool = False         # a layer called before: its parameters are counted there


@dataclass
class ModelSummary:
    """What `summary` found: `rows` (a `LayerRow` per layer call, in the order of the calls),
    `total_params`, `trainable_params`, the input's and the parameters' bytes; `str()` is the
    table. Shown in a notebook as the table too."""
    rows: list[LayerRow]
    total_params: int
    trainable_params: int
    input_bytes: int
    param_bytes: int
    depth: int = 3
    col_names: tuple[str, ...] = ("output_size", "num_params")
    col_width: int = 25
    row_settings: tuple[str, ...] = ("depth",)
    _name_width: int = field(default=40, repr=False)

    def __str__(self) -> str:
        rule = "=" * (self._name_width + self.col_width * len(self.col_names))
        heading = "Layer (type" + (" (var_name)" if "var_names" in self.row_settings else "") + \
                  (":depth-idx)" if "depth" in self.row_settings else ")")
        lines = [rule, self._line(heading, [COLUMNS[c] for c in self.col_names]), rule]
        for row in self.rows:
            if row.depth <= self.depth:
                lines.append(self._line(_row_name(row, self.row_settings),
                                        [self._cell(row, c, row.depth == self.depth)
                                         for c in self.col_names]))
        lines += [rule, f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.total_params - self.trainable_params:,}", rule,
                  f"Input size (MB): {self.input_bytes / 1e6:.2f}",
                  f"Params size (MB): {self.param_bytes / 1e6:.2f}", rule]
        return "\n".join(lines)

    __repr__ = __str__

    def _line(self, name: str, cells: list[str]) -> str:
        return (name.ljust(self._name_width) +
                "".join(cell.ljust(self.col_width) for cell in cells)).rstrip()

    @staticmethod
    def _cell(row: LayerRow, column: str, folded: bool) -> str:
        if column == "input_size":
            return _shape_text(row.input_shape)
        if column == "output_size":
            return _shape_text(row.output_shape)
        if column == "num_params":
            count = row.all_params if folded else row.num_params
            # (a second call's parameters are the first call's: torchinfo's word, so that
            # the column does not add them up twice)
            return "--" if not count else "(recursive)" if row.recursive else f"{count:,}"
        return row.trainable


def _row_name(row: LayerRow, row_settings: tuple[str, ...]) -> str:
    """The first column: the tree's branch (torchinfo's: ├─ at depth 1, │    └─ below it), the
    class, the attribute's name, "depth-index"."""
    ascii_only = "ascii_only" in row_settings
    branch = "" if not row.depth else ("+ " if ascii_only else "├─") if row.depth == 1 else (
        ("|    " if ascii_only else "│    ") * (row.depth - 1) + ("+ " if ascii_only else "└─"))
    text = branch + row.kind
    if "var_names" in row_settings and row.name:
        text += f" ({row.name.rsplit('.', 1)[-1]})"
    if "depth" in row_settings and row.depth:
        text += f": {row.depth}-{row.index}"
    return text


def _shape_text(shape: Any) -> str:
    return "--" if shape is None else str(shape).replace("'", "")


def _shape_of(value: Any) -> Any:
    """A tensor's shape as a list (torchinfo prints [1, 10]); a list of them for a tuple or list
    of tensors; None for anything else."""
    if isinstance(value, (Tensor, np.ndarray)):
        return list(value.shape)
    if isinstance(value, (tuple, list)):
        shapes = [_shape_of(v) for v in value]
        if any(s is not None for s in shapes):
            return shapes[0] if len(shapes) == 1 else shapes
    return None


def _trainable(params: list) -> str:
    wanted = [bool(p.requires_grad) for p in params]
    if not wanted:
        return "--"
    return "True" if all(wanted) else "False" if not any(wanted) else "Partial"


def _inputs(input_size: Any, input_data: Any, dtypes: Any) -> list[Tensor]:
    """The forward pass's positional arguments: `input_data` as given (arrays made Tensors), or
    zeros of each shape in `input_size` (one shape, or a list of shapes for several inputs)."""
    if (input_size is None) == (input_data is None):
        raise TypeError("summary: give the input's shape, input_size=(1, 3, 64, 64) (batch "
                        "first), or an input, input_data=x; one of them")
    if input_data is not None:
        data = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
        return [d if isinstance(d, Tensor) else Tensor(np.asarray(d)) for d in data]
    one = all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in input_size)
    shapes = [tuple(input_size)] if one else [tuple(s) for s in input_size]
    for shape in shapes:
        if not shape or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool)
                                and n >= 0 for n in shape):
            raise ValueError(f"summary: input_size must be a shape of ints >= 0, batch first "
                             f"(e.g. (1, 3, 64, 64)), or a list of such shapes, got "
                             f"{input_size!r}")
    kinds = list(dtypes) if dtypes is not None else [get_default_dtype()] * len(shapes)
    if len(kinds) != len(shapes):
        raise ValueError(f"summary: {len(kinds)} dtypes for {len(shapes)} inputs")
    return [Tensor(np.zeros(shape, dtype=np.dtype(kind))) for shape, kind in zip(shapes, kinds)]


def summary(model: Module, input_size: Sequence[Any] | None = None, input_data: Any = None, *,
            dtypes: Sequence[Any] | None = None, depth: int = 3,
            col_names: Sequence[str] = ("output_size", "num_params"), col_width: int = 25,
            row_settings: Sequence[str] = ("depth",), verbose: int | None = None,
            device: Any = None, **kwargs: Any) -> ModelSummary:
    """The table of `model`'s layers for one forward pass on zeros of `input_size` (batch
    first; a list of shapes for a model of several inputs, `dtypes` one dtype each, default the
    default dtype) or on `input_data`; keyword arguments `kwargs` go to the forward pass.
    `col_names` from "input_size", "output_size", "num_params", "trainable";
    `row_settings` from "depth", "var_names" (the attribute's name), "ascii_only". Printed unless
    `verbose=0`, or in a notebook or the interactive prompt (which shows the returned table);
    returns the `ModelSummary`. `device` is accepted for the CPU (or None) only.

    >>> from nn import Linear
    >>> row = summary(Linear(3, 2), input_size=(4, 3), verbose=0).rows[0]
    >>> row.kind, row.input_shape, row.output_shape, row.num_params, row.trainable
    ('Linear', [4, 3], [4, 2], 8, 'True')
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected an nn.Module, got {type(model).__name__}")
    unknown = [c for c in col_names if c not in COLUMNS]
    if unknown:
        raise ValueError(f"summary: unknown col_names {unknown}; choose from {list(COLUMNS)} "
                         f"(torchinfo's kernel_size and mult_adds are not computed here)")
    unknown = [r for r in row_settings if r not in ROW_SETTINGS]
    if unknown:
        raise ValueError(f"summary: unknown row_settings {unknown}; choose from "
                         f"{list(ROW_SETTINGS)}")
    if device is not None and str(device) != "cpu":
        raise ValueError(f"summary: device={device!r}: glassgrad runs on the CPU only")
    inputs = _inputs(input_size, input_data, dtypes)
    rows, handles, counts, called = [], [], {}, set()
    modes = {m: m.training for m in model.modules()}

    def entered(name: str, depth: int) -> Any:
        def hook(module: Module, args: tuple) -> None:
            counts[depth] = counts.get(depth, 0) + 1
            own = [p for _, p in module._own_parameters()]
            every = list(module.parameters())
            rows.append(LayerRow(name, type(module).__name__, depth, counts[depth],
                                 _shape_of(args), None, sum(int(np.size(p.data)) for p in own),
                                 _trainable(every), sum(int(np.size(p.data)) for p in every),
                                 recursive=id(module) in called))
            called.add(id(module))
            stack.append(rows[-1])
        return hook

    def left(module: Module, args: tuple, output: Any) -> None:
        stack.pop().output_shape = _shape_of(output)

    stack: list[LayerRow] = []
    try:
        for name, module in model.named_modules():
            level = name.count(".") + 1 if name else 0
            handles.append(module.register_forward_pre_hook(entered(name, level)))
            handles.append(module.register_forward_hook(left))
        model.eval()
        with no_grad():
            model(*inputs, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes.items():
            module.training = mode
    params = list(model.parameters())
    table = ModelSummary(
        rows, total_params=sum(int(np.size(p.data)) for p in params),
        trainable_params=sum(int(np.size(p.data)) for p in params if p.requires_grad),
        input_bytes=sum(int(x.data.nbytes) for x in inputs),
        param_bytes=sum(int(np.asarray(p.data).nbytes) for p in params), depth=depth,
        col_names=tuple(col_names), col_width=col_width, row_settings=tuple(row_settings),
        _name_width=max([40] + [len(_row_name(r, tuple(row_settings))) + 2 for r in rows]))
    interactive = hasattr(sys, "ps1") or "ipykernel" in sys.modules
    if verbose if verbose is not None else not interactive:
        print(table)
    return table
