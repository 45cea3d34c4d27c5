"""PyTorch's `device=` on the layers whose PyTorch counterparts take it (`nn.Linear(2, 5,
device=device)`): the CPU ("cpu", "cpu:0", a torch.device("cpu")) builds the very layer built
without it; a GPU is refused with the layer named, as the creators (`zeros(..., device=)`) do."""

from __future__ import annotations

import re

import numpy as np
import pytest

from autograd import manual_seed
from nn import (
    GRU, LSTM, RNN, BatchNorm1d, BatchNorm2d, Conv2d, Embedding, EmbeddingBag, GroupNorm,
    GRUCell, InstanceNorm1d, InstanceNorm2d, LayerNorm, Linear, LSTMCell, MultiheadAttention,
    RNNCell,
    Transformer, TransformerDecoderLayer, TransformerEncoderLayer,
)

LAYERS = {
    "Linear": lambda **kw: Linear(3, 4, **kw),
    "Conv2d": lambda **kw: Conv2d(2, 3, 3, **kw),
    "Embedding": lambda **kw: Embedding(10, 4, padding_idx=0, **kw),
    "EmbeddingBag": lambda **kw: EmbeddingBag(10, 4, padding_idx=0, **kw),
    "LayerNorm": lambda **kw: LayerNorm(4, **kw),
    "BatchNorm1d": lambda **kw: BatchNorm1d(4, **kw),
    "BatchNorm2d": lambda **kw: BatchNorm2d(4, **kw),
    "GroupNorm": lambda **kw: GroupNorm(2, 4, **kw),
    "InstanceNorm1d": lambda **kw: InstanceNorm1d(4, affine=True, track_running_stats=True, **kw),
    "InstanceNorm2d": lambda **kw: InstanceNorm2d(4, **kw),
    "RNN": lambda **kw: RNN(3, 4, num_layers=2, nonlinearity="relu", **kw),
    "GRU": lambda **kw: GRU(3, 4, bidirectional=True, **kw),
    "LSTM": lambda **kw: LSTM(3, 4, **kw),
    "RNNCell": lambda **kw: RNNCell(3, 4, **kw),
    "GRUCell": lambda **kw: GRUCell(3, 4, **kw),
    "LSTMCell": lambda **kw: LSTMCell(3, 4, **kw),
    "MultiheadAttention": lambda **kw: MultiheadAttention(8, 2, kdim=3, **kw),
    "TransformerEncoderLayer": lambda **kw: TransformerEncoderLayer(4, 2, 6, **kw),
    "TransformerDecoderLayer": lambda **kw: TransformerDecoderLayer(4, 2, 6, **kw),
    "Transformer": lambda **kw: Transformer(4, 2, 1, 1, 6, **kw),
}


class _TorchDevice:
    """Stands in for torch.device("cpu"): recognised by its class name and module, as torch is
    never imported by glassgrad."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"device(type={self.name!r})"


_TorchDevice.__name__ = "device"
_TorchDevice.__module__ = "torch"


def _state(layer):
    return {name: value.clone() for name, value in layer.state_dict().items()}


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("device", ["cpu", "cpu:0", _TorchDevice("cpu"), None])
def test_the_cpu_builds_the_same_layer(name, device):
    make = LAYERS[name]
    manual_seed(0)
    plain = make()
    manual_seed(0)
    placed = make(device=device)
    assert repr(placed) == repr(plain)
    mine, theirs = _state(placed), _state(plain)
    assert list(mine) == list(theirs)
    for key in mine:
        np.testing.assert_array_equal(mine[key], theirs[key])
        assert mine[key].dtype == theirs[key].dtype


@pytest.mark.parametrize("name", LAYERS)
def test_device_and_dtype_together(name):
    layer = LAYERS[name](device="cpu", dtype=np.float64)
    assert all(p.dtype == np.float64 for p in layer.parameters())


@pytest.mark.parametrize("name", LAYERS)
def test_a_gpu_is_refused_naming_the_layer(name):
    make = LAYERS[name]
    for device in ("cuda", "cuda:0", _TorchDevice("cuda"), "mps"):
        shown = re.escape(repr(device))
        with pytest.raises(RuntimeError, match=rf"^{name}\(\.\.\., device={shown}\): there is "
                                               r"no GPU here: glassgrad computes with numpy"):
            make(device=device)
    with pytest.raises(TypeError, match=rf"^{name}: device must be a device such as 'cpu', "
                                        r"got 'float32'"):
        make(device="float32")
