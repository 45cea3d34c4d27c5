"""A parameter group's entries that its optimizer does not read (s33).

They stay in the group, as in PyTorch, where `Adam([{"params": ..., "momentum": 0.9}])` runs
Adam without momentum and says nothing; here the optimizer warns once, naming the entries and
its options. What PyTorch's own optimizers and schedulers write into groups passes quietly, and
loading a state dict (PyTorch's too) never warns.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import optim
from nn.optim.optimizer import PYTORCH_GROUP_ENTRIES, PYTORCH_SWITCHES

NAMES = [name for name in optim.__all__ if name not in ("Optimizer", "lr_scheduler")]


def w():
    return Tensor(np.zeros(2), requires_grad=True)


def caught(make):
    """The warnings `make()` gives, every one of them (none filtered out)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = make()
    return result, [str(warning.message) for warning in seen]


def test_an_option_of_another_optimizer_is_named_with_the_options_of_this_one():
    _, messages = caught(lambda: optim.Adam([{"params": [w()], "momentum": 0.9}]))
    assert messages == ["Adam has no 'momentum'; its options are lr, betas, eps, weight_decay, "
                        "amsgrad, maximize, decoupled_weight_decay (it is kept in the parameter "
                        "group and ignored, as in PyTorch)"]
    opt, messages = caught(lambda: optim.SGD([{"params": [w()], "betas": (0.9, 0.99),
                                               "amsgrad": True}], lr=0.1))
    assert messages == ["SGD has no 'betas', 'amsgrad'; its options are lr, momentum, "
                        "dampening, weight_decay, nesterov, maximize (they are kept in the "
                        "parameter group and ignored, as in PyTorch)"]
    assert opt.param_groups[0]["amsgrad"] is True          # kept, as PyTorch keeps it


def test_the_warning_comes_once_per_optimizer_at_the_users_line():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        opt = optim.Adam([{"params": [w()], "momentum": 0.9},
                          {"params": [w()], "nesterov": True}])
        opt.add_param_group({"params": [w()], "dampening": 0.1})
        optim.RMSprop([{"params": [w()], "betas": (0.9, 0.9)}])      # another optimizer
    assert [str(s.message).split(";")[0] for s in seen] == ["Adam has no 'momentum'",
                                                            "RMSprop has no 'betas'"]
    assert all(s.filename == __file__ and s.category is UserWarning for s in seen)


def test_a_tag_of_the_users_own_passes_quietly_and_is_kept():
    """A group's tag ("name", "lr_mult") is no optimizer's option: no warning, as in PyTorch;
    beside an option of another optimizer, only that option is named."""
    opt, messages = caught(lambda: optim.Adam([{"params": [w()], "name": "backbone",
                                                "lr_mult": 0.1}]))
    assert messages == [] and opt.param_groups[0]["name"] == "backbone"
    opt, messages = caught(lambda: optim.Adam([{"params": [w()], "name": "head",
                                                "nesterov": True}]))
    assert len(messages) == 1 and messages[0].startswith("Adam has no 'nesterov';")
    assert opt.param_groups[0]["name"] == "head"


@pytest.mark.parametrize("name", NAMES)
def test_what_pytorch_writes_into_groups_passes_quietly(name):
    cls = getattr(optim, name)
    defaults = cls([w()]).defaults
    groups = [{"params": [w()], **defaults},                     # every option, given again
              {"params": [w()], "initial_lr": 0.1, "foreach": None, "fused": None,
               "capturable": False, "differentiable": False, "maximize": False,
               "max_lr": 0.1, "min_lr": 1e-5, "base_momentum": 0.85, "max_momentum": 0.95,
               "swa_lr": 0.05, "decoupled_weight_decay": False}]
    if name == "LBFGS":                                     # (one group only)
        groups = [{**groups[0], **groups[1], "params": [w(), w()]}]
    if name == "AdamW":                                     # (always True)
        groups[-1]["decoupled_weight_decay"] = True
    _, messages = caught(lambda: cls(groups))
    assert messages == []
    _, messages = caught(lambda: cls([("weight", w())]))
    assert messages == []                                   # param_names, from named pairs


def test_loading_a_state_dict_never_warns():
    """PyTorch 2.13's Adam groups, as its state_dict() holds them, and a group's tag."""
    opt = optim.Adam([w()], lr=0.1)
    saved = {"state": {}, "param_groups": [{
        "lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
        "maximize": False, "foreach": None, "capturable": False, "differentiable": False,
        "fused": None, "decoupled_weight_decay": False, "initial_lr": 0.1, "params": [0]}]}
    _, messages = caught(lambda: opt.load_state_dict(saved))
    assert messages == []
    tagged, _ = caught(lambda: optim.Adam([{"params": [w()], "name": "head"}]))
    twin, _ = caught(lambda: optim.Adam([{"params": [w()], "name": "head"}]))
    _, messages = caught(lambda: twin.load_state_dict(tagged.state_dict()))
    assert messages == []


def test_pytorchs_groups_hold_nothing_that_warns():
    """Every key a torch.optim optimizer of the same name keeps in its groups is an option of
    ours, one of PyTorch's switches or one of the entries PyTorch writes elsewhere."""
    torch = pytest.importorskip("torch", reason="needs PyTorch: pip install torch")
    for name in NAMES:
        keys = set(getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))])
                   .param_groups[0]) - {"params"}
        ours = set(getattr(optim, name)([w()]).defaults)
        assert keys - ours - PYTORCH_SWITCHES - PYTORCH_GROUP_ENTRIES == set(), name


def test_the_groups_of_another_optimizer_pass_quietly():
    """SAM (Foret et al.) hands its own groups, which hold its rho, to the optimizer it wraps."""
    class SAM(optim.Optimizer):
        def __init__(self, params, base_optimizer, rho=0.05, **kwargs):
            super().__init__(params, dict(rho=rho, **kwargs))
            self.base_optimizer = base_optimizer(self.param_groups, **kwargs)

    sam, messages = caught(lambda: SAM([w()], optim.SGD, rho=0.05, lr=0.1))
    assert messages == [] and sam.base_optimizer.param_groups[0]["rho"] == 0.05
    # a Value's optimizer warns as a Tensor's does
    _, messages = caught(lambda: optim.SGD([{"params": [Value(1.0)], "rho": 0.05}], lr=0.1))
    assert len(messages) == 1 and messages[0].startswith("SGD has no 'rho';")


def test_an_optimizer_class_made_after_the_first_check_is_known_too():
    """The options of every optimizer class, also one defined after a group was first checked
    (the learner's own, written in the notebook after a first Adam): whether Adam warns of its
    option must not depend on when the class was made."""
    caught(lambda: optim.Adam([{"params": [w()], "momentum": 0.9}]))     # (a first check)

    class Mine(optim.Optimizer):
        def __init__(self, params, lr=0.1, decay_of_mine=0.5):
            super().__init__(params, dict(lr=lr, decay_of_mine=decay_of_mine))

    _, messages = caught(lambda: optim.Adam([{"params": [w()], "decay_of_mine": 0.5}]))
    assert len(messages) == 1 and messages[0].startswith("Adam has no 'decay_of_mine'")
    assert Mine([w()]).defaults["decay_of_mine"] == 0.5
