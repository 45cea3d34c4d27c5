"""PyTorch's `torch.utils`, as far as it belongs to the engine: `checkpoint` (activation
checkpointing, `autograd.utils.checkpoint.checkpoint`). PyTorch's `torch.utils.data` is glassgrad's
`nn.data`, and `torch.nn.utils` is `nn.utils`: asking this module for `data` says so.

>>> import autograd as torch
>>> torch.utils.checkpoint.checkpoint_sequential
<function checkpoint_sequential at ...>
"""

from . import checkpoint

__all__ = ["checkpoint"]

# what a ported script asks for here that lives elsewhere in glassgrad
_ELSEWHERE = {
    "data": ("torch.utils.data is nn.data (DataLoader, Dataset, TensorDataset, random_split, "
             "the samplers: from nn.data import DataLoader); torch.nn.utils is nn.utils"),
}


def __getattr__(name: str) -> object:
    hint = _ELSEWHERE.get(name)
    if hint is None:
        raise AttributeError(f"module 'autograd.utils' has no attribute {name!r} (it has "
                             f"checkpoint: PyTorch's torch.utils.checkpoint)")
    raise AttributeError(f"module 'autograd.utils' has no attribute {name!r}; PyTorch's {hint}")
