"""A student's trial of "Dive into Deep Learning" (PyTorch edition), multilayer perceptrons
(from scratch and concise, weight decay, dropout, numerical stability, Xavier) and the builders'
guide (custom blocks, parameter access, tied parameters, custom initialisation, custom layers,
file I/O), written from memory in the book's spelling with the imports changed (`import autograd
as torch`, `import nn`, `import nn.functional as F`), on small made-up data. Where PyTorch is
installed, one forward and backward of an MLP is checked against it from the same weights.

What the trial changed from the book's code (README.md, "Porting a PyTorch script"):
- `torch.save(x, 'x-file')` and `torch.load` are `nn.save` and `nn.load` (tensors come back as
  numpy arrays);
- `m.weight.data *= m.weight.data.abs() >= 5` is `... *= np.abs(m.weight.data) >= 5` and
  `param.data.normal_()` is `nn.init.normal_(param)`: `.data` is a numpy array (inside
  `net.apply(...)` numpy's error carries a note saying so);
- `nn.LazyLinear(256)` is `nn.Linear(in_features, 256)`: glassgrad has no lazy layers (the
  error says what to write).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch
from test_d2l_linear_models import (
    fake_fashion, fashion_iters, init_weights, linreg, sgd, squared_loss,
    synthetic_data, train_ch3,
)

# -- multilayer perceptrons ------------------------------------------------------------------


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def test_mlp_from_scratch_learns_the_fake_clothes():
    torch.manual_seed(0)
    train_iter, test_iter = fashion_iters()
    num_inputs, num_outputs, num_hiddens = 784, 10, 64
    W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens, requires_grad=True) * 0.01)
    b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
    W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs, requires_grad=True) * 0.01)
    b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
    params = [W1, b1, W2, b2]
    assert all(p.requires_grad and p.grad is None for p in params)
    assert relu(torch.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]

    def net(X):
        X = X.reshape((-1, num_inputs))
        H = relu(X @ W1 + b1)
        return (H @ W2 + b2)

    loss = nn.CrossEntropyLoss(reduction='none')
    history = train_ch3(net, train_iter, test_iter, loss, 8, nn.optim.SGD(params, lr=0.2))
    assert history[-1][0] < history[0][0] / 2 and history[-1][2] > 0.8


def test_mlp_concise_learns_the_fake_clothes():
    torch.manual_seed(1)
    train_iter, test_iter = fashion_iters()
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    net.apply(init_weights)
    loss = nn.CrossEntropyLoss(reduction='none')
    history = train_ch3(net, train_iter, test_iter, loss, 8, nn.optim.SGD(net.parameters(),
                                                                           lr=0.2))
    assert history[-1][0] < history[0][0] / 2 and history[-1][2] > 0.8


def weight_decay_data():
    torch.manual_seed(2)
    true_w, true_b = torch.ones((50, 1)) * 0.01, 0.05
    train = synthetic_data(true_w, true_b, 20)
    return nn.data.DataLoader(nn.data.TensorDataset(*train), 5, shuffle=True)


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def test_weight_decay_from_scratch_shrinks_w():
    train_iter = weight_decay_data()
    norms = {}
    for lambd in (0, 3):
        w = torch.normal(0, 1, size=(50, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        for epoch in range(30):
            for X, y in train_iter:
                l = squared_loss(linreg(X, w, b), y) + lambd * l2_penalty(w)
                l.sum().backward()
                sgd([w, b], 0.003, 5)
        norms[lambd] = torch.norm(w).item()
    assert norms[3] < norms[0] / 2


def test_weight_decay_concise_with_parameter_groups_shrinks_w():
    train_iter = weight_decay_data()
    norms = {}
    for wd in (0, 3):
        net = nn.Sequential(nn.Linear(50, 1))
        for param in net.parameters():
            nn.init.normal_(param)                  # the book's param.data.normal_()
        loss = nn.MSELoss(reduction='none')
        trainer = nn.optim.SGD([{"params": net[0].weight, 'weight_decay': wd},
                                {"params": net[0].bias}], lr=0.003)
        bias_before = net[0].bias.data.copy()
        for epoch in range(30):
            for X, y in train_iter:
                trainer.zero_grad()
                loss(net(X), y).mean().backward()
                trainer.step()
        norms[wd] = net[0].weight.norm().item()
        assert trainer.param_groups[1]["weight_decay"] == 0
        assert not np.array_equal(net[0].bias.data, bias_before)
    assert norms[3] < norms[0] / 2


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


def test_dropout_from_scratch_and_the_layer():
    torch.manual_seed(3)
    X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
    assert dropout_layer(X, 0.).tolist() == X.tolist()
    assert dropout_layer(X, 1.).tolist() == [[0.0] * 8] * 2
    half = dropout_layer(X, 0.5).data
    assert np.all((half == 0) | (half == 2 * X.data))
    layer = nn.Dropout(0.5)
    assert set(np.unique(layer(torch.ones(1000)).data)) <= {0.0, 2.0}
    layer.eval()
    assert layer(X).tolist() == X.tolist()


def test_sigmoid_gradient_vanishes_at_the_ends():
    x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
    y = torch.sigmoid(x)
    y.backward(torch.ones_like(x))
    assert x.grad.shape == (160,)
    assert abs(x.grad.max() - 0.25) < 1e-3 and x.grad[0] < 1e-3 and x.grad[-1] < 1e-3


def test_xavier_uniform_has_the_books_variance():
    def init_xavier(m):
        if type(m) == nn.Linear:
            nn.init.xavier_uniform_(m.weight)
    torch.manual_seed(4)
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).apply(init_xavier)
    assert abs(net[0].weight.data.std() / np.sqrt(2 / (784 + 256)) - 1) < 0.02


@needs_torch
def test_mlp_matches_pytorch_from_the_same_weights():
    X, y = fake_fashion(n=16, seed=6)
    torch.manual_seed(5)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    twin = real_torch.nn.Sequential(real_torch.nn.Flatten(), real_torch.nn.Linear(784, 32),
                                    real_torch.nn.ReLU(), real_torch.nn.Linear(32, 10))
    twin.load_state_dict({k: real_torch.as_tensor(v.data) for k, v in net.state_dict().items()})
    nn.CrossEntropyLoss()(net(X), y).backward()
    real_torch.nn.CrossEntropyLoss()(twin(real_torch.as_tensor(X.data)),
                                     real_torch.as_tensor(y.data)).backward()
    for (name, p), q in zip(net.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-7, err_msg=name)


# -- builders' guide: blocks -----------------------------------------------------------------


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.output = nn.Linear(256, 10)

    def forward(self, X):
        return self.output(F.relu(self.hidden(X)))


class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X


class MyOlderSequential(nn.Module):
    """The book's first edition: the blocks go into `self._modules`."""

    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self._modules[str(idx)] = module

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = torch.rand((20, 20), requires_grad=False)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(torch.mm(X, self.rand_weight) + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


def test_custom_blocks_run_as_the_books():
    torch.manual_seed(6)
    X = torch.rand(2, 20)
    assert MLP()(X).shape == (2, 10)
    for kind in (MySequential, MyOlderSequential):
        net = kind(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
        assert net(X).shape == (2, 10), kind
        assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                          "2.bias"]
        np.testing.assert_allclose(net(X).data, net[2](net[0](X).relu()).data
                                   if isinstance(net, nn.Sequential) else
                                   net._modules["2"](F.relu(net._modules["0"](X))).data)
    net = FixedHiddenMLP()
    out = net(X)
    assert out.shape == () and abs(out.item()) <= 1
    assert [n for n, _ in net.named_parameters()] == ["linear.weight", "linear.bias"]
    out.backward()
    assert net.linear.weight.grad.shape == (20, 20)


def test_modules_is_a_live_view_of_the_children():
    net = MyOlderSequential(nn.Linear(4, 3), nn.ReLU())
    assert list(net._modules) == ["0", "1"] and len(net._modules) == 2
    assert net._modules["0"] is net.get_submodule("0")
    del net._modules["1"]
    assert list(net._modules) == ["0"]
    with pytest.raises(KeyError):
        net._modules["9"]


def test_deleting_from_a_module_lists_modules_removes_that_position():
    """`del ml._modules["0"]` on a ModuleList raised AttributeError (its "0" is a position, not
    an attribute); Sequential, ModuleDict and a Module's own children already worked."""
    first, second = nn.Linear(1, 1), nn.Linear(1, 2)
    ml = nn.ModuleList([first, second])
    del ml._modules["0"]
    assert list(ml) == [second] and list(ml._modules) == ["0"]
    seq = nn.Sequential(nn.Linear(1, 1), second)
    del seq._modules["0"]
    assert list(seq) == [second] and list(seq._modules) == ["1"]     # PyTorch's names kept
    with pytest.raises(KeyError):
        del ml._modules["5"]


def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def block2():
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f'block {i}', block1())
    return net


def test_sequential_add_module_joins_the_sequence():
    """`nn.Sequential().add_module(name, block)` made the block an attribute beside the
    sequence: forward skipped it silently (rgnet(X) was the last Linear of X alone)."""
    torch.manual_seed(7)
    rgnet = nn.Sequential(block2(), nn.Linear(4, 1))
    X = torch.rand(size=(2, 4))
    assert len(rgnet[0]) == 4
    expected = X
    for block in rgnet[0]:
        expected = block(expected)
    np.testing.assert_allclose(rgnet(X).data, rgnet[1](expected).data)
    assert rgnet[0][1][0].bias.shape == (8,)
    assert list(rgnet.state_dict())[:2] == ["0.block 0.0.weight", "0.block 0.0.bias"]
    assert "(block 3): Sequential(" in repr(rgnet)
    rgnet[0].add_module("block 1", nn.Identity())        # a name it has: replaced in place
    assert len(rgnet[0]) == 4 and isinstance(rgnet[0][1], nn.Identity)


# -- builders' guide: parameters -------------------------------------------------------------


def test_parameter_access():
    torch.manual_seed(8)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    net(torch.rand(size=(2, 4)))
    assert list(net[2].state_dict()) == ["weight", "bias"]
    assert type(net[2].bias) is nn.Parameter and net[2].bias.data.shape == (1,)
    assert net[2].weight.grad is None
    assert [(name, param.shape) for name, param in net.named_parameters()] == [
        ("0.weight", (8, 4)), ("0.bias", (8,)), ("2.weight", (1, 8)), ("2.bias", (1,))]
    assert net.state_dict()['2.bias'].data[0] == net[2].bias.data[0]


def test_tied_parameters_get_the_sum_of_both_gradients():
    torch.manual_seed(9)
    shared = nn.Linear(8, 8)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(),
                        nn.Linear(8, 1))
    X = torch.rand(size=(2, 4))
    net(X)
    net[2].weight.data[0, 0] = 100
    assert net[4].weight.data[0, 0] == 100
    assert len(list(net.parameters())) == 6
    net(X).sum().backward()
    # the same network with two separate copies of the shared layer: its two gradients
    first, second = nn.Linear(8, 8), nn.Linear(8, 8)
    for copy in (first, second):
        copy.load_state_dict(shared.state_dict())
    untied = nn.Sequential(net[0], nn.ReLU(), first, nn.ReLU(), second, nn.ReLU(), net[6])
    net[0].zero_grad(), net[6].zero_grad()
    untied(X).sum().backward()
    np.testing.assert_allclose(shared.weight.grad, first.weight.grad + second.weight.grad,
                               rtol=1e-5, atol=1e-7)


def test_custom_initialisation():
    torch.manual_seed(10)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))

    def init_constant(m):
        if type(m) == nn.Linear:
            nn.init.constant_(m.weight, 1)
            nn.init.zeros_(m.bias)
    net.apply(init_constant)
    assert net[0].weight.data[0].tolist() == [1.0] * 4 and net[0].bias.data[0] == 0

    def my_init(m):
        if type(m) == nn.Linear:
            nn.init.uniform_(m.weight, -10, 10)
            m.weight.data *= np.abs(m.weight.data) >= 5     # the book: m.weight.data.abs()
    net.apply(my_init)
    w = net[0].weight.data
    assert np.all((w == 0) | (np.abs(w) >= 5)) and np.any(w != 0)
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42
    assert net[0].weight.data[0, 0] == 42


@pytest.mark.skipif(sys.version_info < (3, 11), reason="notes on exceptions are Python 3.11+")
def test_the_books_data_methods_in_apply_say_what_to_write():
    """`m.weight.data.abs()` and `.data.normal_()` in an init function given to `net.apply`
    are numpy's AttributeError; apply adds a note that `.data` is a numpy array, and what to
    write instead."""
    def my_init(m):
        if type(m) == nn.Linear:
            m.weight.data *= m.weight.data.abs() >= 5

    def init_normal(m):
        if type(m) == nn.Linear:
            m.weight.data.normal_(0, 0.01)
    for fn, instead in ((my_init, "np.abs"), (init_normal, "nn.init.normal_")):
        with pytest.raises(AttributeError) as caught:
            nn.Sequential(nn.Linear(2, 2)).apply(fn)
        notes = caught.value.__notes__
        assert len(notes) == 1 and "numpy arrays" in notes[0] and instead in notes[0]


def test_lazy_linear_says_what_to_write():
    with pytest.raises(AttributeError, match=r"nn\.Linear\(in_features, \.\.\.\).*"
                                             r"nn\.Linear\(X\.shape\[-1\], 256\)"):
        nn.LazyLinear(256)
    with pytest.raises(AttributeError, match=r"nn\.Conv2d\(in_channels"):
        nn.LazyConv2d(6, 5)
    with pytest.raises(AttributeError, match=r"^module 'nn' has no attribute 'Linearr'$"):
        nn.Linearr


class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


def test_custom_layers():
    torch.manual_seed(11)
    assert CenteredLayer()(torch.tensor([1.0, 2, 3, 4, 5])).tolist() == [-2, -1, 0, 1, 2]
    Y = nn.Sequential(nn.Linear(8, 128), CenteredLayer())(torch.rand(4, 8))
    assert abs(Y.mean().item()) < 1e-6
    linear = MyLinear(5, 3)
    assert [n for n, _ in linear.named_parameters()] == ["weight", "bias"]
    assert linear(torch.rand(2, 5)).shape == (2, 3)
    assert nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))(torch.rand(2, 64)).shape == (2, 1)


@pytest.mark.parametrize("suffix", ["", ".pt"])
def test_file_io_of_tensors_lists_dicts_and_state_dicts(tmp_path, suffix):
    """`nn.save(x, 'x-file')` of a tensor or a list of tensors was refused (a Module or a dict
    only); torch.save takes any of them."""
    x, y = torch.arange(4), torch.zeros(4)
    nn.save(x, tmp_path / f"x-file{suffix}")
    x2 = nn.load(tmp_path / f"x-file{suffix}")
    assert isinstance(x2, np.ndarray) and x2.tolist() == [0, 1, 2, 3] and x2.dtype == np.int64
    nn.save([x, y], tmp_path / f"x-files{suffix}")
    x2, y2 = nn.load(tmp_path / f"x-files{suffix}")
    assert x2.tolist() == [0, 1, 2, 3] and y2.tolist() == [0.0] * 4 and y2.dtype == np.float32
    nn.save({'x': x, 'y': y}, tmp_path / f"mydict{suffix}")
    assert {k: v.tolist() for k, v in nn.load(tmp_path / f"mydict{suffix}").items()} == {
        'x': [0, 1, 2, 3], 'y': [0.0] * 4}
    torch.manual_seed(12)
    net = MLP()
    X = torch.randn(size=(2, 20))
    Y = net(X)
    nn.save(net.state_dict(), tmp_path / f"mlp.params{suffix}")
    clone = MLP()
    clone.load_state_dict(nn.load(tmp_path / f"mlp.params{suffix}"))
    clone.eval()
    Y_clone = clone(X)
    assert bool((Y_clone == Y).all())
    if suffix and real_torch is not None:           # torch.load reads glassgrad's .pt files
        assert real_torch.load(tmp_path / "x-files.pt")[0].tolist() == [0, 1, 2, 3]
