"""A learner's trial of a "deep learning from the foundations" course (fast.ai part 2's way,
our own code): a training library rebuilt on glassgrad after `import autograd as torch`,
`import nn`, `import nn.functional as F`. Matrix products by loops, broadcasting and einsum
against `@`; an MLP's forward and backward written by hand (the gradients kept in each tensor's
`.g`), then by autograd; a Module of our own, then nn.Module, Sequential and ModuleList; an
optimizer written by hand; Dataset, Sampler, BatchSampler and collate against nn.data's; a
Learner with callbacks (before_/after_/cleanup_ and the Cancel*Exception control flow),
metrics, a progress printout, a learning-rate finder and one-cycle scheduling (the library's
OneCycleLR against one written by hand); forward hooks that record each layer's activation
statistics and histograms, Kaiming init against the default, LSUV, GeneralRelu; batch norm by
hand against nn.BatchNorm2d, layer norm; a small ResNet trained on an MNIST IDX file written
here, augmented by tensor ops (flips, crops, random erasing); state_dict round trips,
model.apply, freezing and parameter groups. Where PyTorch is installed the same code runs on it
from the same weights, and losses, gradients and hook outputs must agree.

What the trial needed to change, and why:
- a Tensor took no attributes of the user's own (its slots had no `__dict__`), so the course's
  hand-written backward, `out.g = ...`, and its optimizers' `p.avg`, `p.sqr_avg` failed; they
  are kept now, as PyTorch keeps them;
- `init.normal_(patch, mean=x.mean(), std=x.std())` (random erasing) refused the 0-d tensors
  as "not a real number"; PyTorch takes them as their numbers, and so does nn.init now;
- `torch.zeros_like(p.grad.data)` blamed `full_like` and a memoryview; it names the function
  and says that p.grad is the array itself here; `p.grad.data.zero_()` leaving `no_grad()`
  gets the note `p.grad.zero_()` gets;
- the course's `set_seed` calls `torch.use_deterministic_algorithms(deterministic)`, which
  was missing (with no hint); it is accepted (glassgrad's algorithms are all deterministic).
What stays different, by design (README): `t.std()` and `t.var()` without PyTorch's keywords
are numpy's (divide by n), so the hooks' `acts.std()` is PyTorch's `acts.std(unbiased=False)`;
modules have no backward hooks (a forward hook hooks the output's gradient with
`out.register_hook`); `float(loss)` of a tensor in the graph is refused (`loss.item()`).
"""

from __future__ import annotations

import copy
import math
import os
import random
from functools import partial
from itertools import islice
from operator import attrgetter

import numpy as np
import pytest

import autograd
import autograd as torch
import nn
import nn.functional as F
from nn import init, optim
from nn.data import (BatchSampler, DataLoader, RandomSampler, SequentialSampler,
                     TensorDataset, default_collate, load_mnist)
from nn.data.mnist import write_idx
from nn.optim import lr_scheduler
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch
from tutorial_helpers import fake_images


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """BLAS on one thread while the small CNNs train: on the shared 2-core machine a second
    BLAS thread that waits for a busy core made a 7x7 convolution's weight gradient 0.5 ms ->
    190 ms (the ResNet's 3 epochs: 4.6 s -> 25 s). The numbers do not depend on it."""
    before = autograd.get_num_threads()
    autograd.set_num_threads(1)
    yield
    autograd.set_num_threads(before)


def _same_weights(ours, theirs):
    """Our model's state dict into PyTorch's twin (names and layouts are PyTorch's)."""
    theirs.load_state_dict({k: real_torch.tensor(np.array(v)) for k, v in
                            ours.state_dict().items()})


# -- matmul from scratch ----------------------------------------------------------------------

def test_matmul_by_loops_rows_broadcasting_and_einsum_is_the_product():
    torch.manual_seed(42)
    m1, m2 = torch.randn(5, 784), torch.randn(784, 10)

    def matmul_loops(a, b):
        (ar, ac), (_, bc) = a.shape, b.shape
        c = torch.zeros(ar, bc)
        for i in range(ar):
            for j in range(bc):
                for k in range(ac):
                    c[i, j] += a[i, k] * b[k, j]
        return c

    def matmul_rows(a, b):
        c = torch.zeros(a.shape[0], b.shape[1])
        for i in range(a.shape[0]):
            for j in range(b.shape[1]):
                c[i, j] = (a[i, :] * b[:, j]).sum()
        return c

    def matmul_broadcast(a, b):
        c = torch.zeros(a.shape[0], b.shape[1])
        for i in range(a.shape[0]):
            c[i] = (a[i, :, None] * b).sum(dim=0)
        return c

    ref = m1 @ m2
    assert torch.allclose(matmul_loops(m1[:2, :30], m2[:30, :3]), m1[:2, :30] @ m2[:30, :3],
                          atol=1e-5)
    for f in (matmul_rows, matmul_broadcast, lambda a, b: (a[..., None] * b[None]).sum(1),
              lambda a, b: torch.einsum('ik,kj->ij', a, b), torch.matmul):
        assert torch.allclose(f(m1, m2), ref, atol=1e-4)
    np.testing.assert_allclose(ref.numpy(), m1.numpy() @ m2.numpy(), rtol=1e-5, atol=1e-5)
    # broadcasting as the lesson shows it: a row expanded without copying (stride 0)
    c = torch.tensor([10., 20, 30])
    t = c.expand_as(torch.ones(3, 3))
    assert t.stride() == (0, 1) and t.shape == (3, 3)
    assert c[:, None].shape == (3, 1) and c[None].shape == (1, 3)
    assert torch.equal(c[:, None] * c[None], torch.einsum('i,j->ij', c, c))


# -- an MLP's forward and backward by hand ----------------------------------------------------

def _mlp_data(torch, dtype):
    rng = np.random.default_rng(1)
    x = torch.tensor(rng.standard_normal((64, 20)), dtype=dtype)
    y = torch.tensor((rng.standard_normal(64) > 0).astype(np.float64), dtype=dtype)
    w1 = torch.tensor(rng.standard_normal((20, 16)) * math.sqrt(2 / 20), dtype=dtype)
    w2 = torch.tensor(rng.standard_normal((16, 1)) / 4, dtype=dtype)
    return x, y, [w1, torch.zeros(16, dtype=dtype), w2, torch.zeros(1, dtype=dtype)]


def lin(x, w, b):
    return x @ w + b


def relu(x):
    return x.clamp_min(0.)


def mse(output, targ):
    return (output[:, 0] - targ).pow(2).mean()


def test_the_hand_written_backward_keeps_its_gradients_in_g_and_matches_autograd():
    x, y, (w1, b1, w2, b2) = _mlp_data(torch, torch.float64)

    def lin_grad(inp, out, w, b):
        inp.g = out.g @ w.t()
        w.g = inp.t() @ out.g
        b.g = out.g.sum(0)

    def forward_and_backward(inp, targ):
        l1 = lin(inp, w1, b1)
        l2 = relu(l1)
        out = lin(l2, w2, b2)
        diff = out[:, 0] - targ
        loss = diff.pow(2).mean()
        out.g = 2. * diff[:, None] / inp.shape[0]
        lin_grad(l2, out, w2, b2)
        l1.g = (l1 > 0).float() * l2.g
        lin_grad(inp, l1, w1, b1)
        return loss

    loss = forward_and_backward(x, y)
    by_hand = [w1.g, b1.g, w2.g, b2.g, x.g]
    leaves = [o.clone().requires_grad_(True) for o in (w1, b1, w2, b2, x)]
    loss2 = mse(lin(relu(lin(leaves[4], leaves[0], leaves[1])), leaves[2], leaves[3]), y)
    loss2.backward()
    assert loss.item() == pytest.approx(loss2.item(), rel=1e-14)
    for g, leaf in zip(by_hand, leaves):
        np.testing.assert_allclose(g.numpy(), leaf.grad, rtol=1e-10, atol=1e-14)
    # the autograd gradients are the true ones: finite differences of the loss in w2
    w2c = w2.numpy().copy()
    for i in (0, 5, 11):
        def f(h):
            w = w2c.copy()
            w[i, 0] += h
            return mse(lin(relu(lin(x, w1, b1)), torch.tensor(w), b2), y).item()
        assert leaves[2].grad[i, 0] == pytest.approx((f(1e-6) - f(-1e-6)) / 2e-6, abs=1e-8)

    # refactored into layer classes that remember their input and output
    class Relu:
        def __call__(self, inp):
            self.inp, self.out = inp, inp.clamp_min(0.)
            return self.out

        def backward(self):
            self.inp.g = (self.inp > 0).float() * self.out.g

    class Lin:
        def __init__(self, w, b):
            self.w, self.b = w, b

        def __call__(self, inp):
            self.inp, self.out = inp, lin(inp, self.w, self.b)
            return self.out

        def backward(self):
            lin_grad(self.inp, self.out, self.w, self.b)

    class Mse:
        def __call__(self, inp, targ):
            self.inp, self.targ = inp, targ
            self.out = mse(inp, targ)
            return self.out

        def backward(self):
            self.inp.g = 2. * (self.inp.squeeze() - self.targ).unsqueeze(-1) / self.targ.shape[0]

    class Model:
        def __init__(self, w1, b1, w2, b2):
            self.layers, self.loss = [Lin(w1, b1), Relu(), Lin(w2, b2)], Mse()

        def __call__(self, x, targ):
            for layer in self.layers:
                x = layer(x)
            return self.loss(x, targ)

        def backward(self):
            self.loss.backward()
            for layer in reversed(self.layers):
                layer.backward()

    for p in (w1, b1, w2, b2):
        del p.g
    assert not hasattr(w1, "g")
    model = Model(w1, b1, w2, b2)
    model(x, y)
    model.backward()
    for p, leaf in zip((w1, b1, w2, b2), leaves):
        np.testing.assert_allclose(p.g.numpy(), leaf.grad, rtol=1e-10, atol=1e-14)


def test_a_tensor_keeps_attributes_of_the_user_s_own_as_pytorch_s_does():
    t = torch.randn(3, requires_grad=True)
    assert not hasattr(t, "g") and t.__dict__ == {}
    t.g = torch.ones(3)
    t.note = "first layer"
    assert t.g.shape == (3,) and vars(t) == {"g": t.g, "note": "first layer"}
    copied = copy.deepcopy(t)
    assert copied.note == "first layer" and copied.g is not t.g
    y = (t * 2).sum()
    y.backward()                                    # the graph ignores them
    np.testing.assert_array_equal(t.grad, [2.0, 2.0, 2.0])
    p = nn.Parameter(torch.zeros(2))
    p.hess = np.ones(2)                             # AdaHessian's, as before
    assert p.hess.sum() == 2
    with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'h'"):
        t.h


@needs_torch
def test_the_hand_written_backward_gives_pytorch_s_gradients():
    ours = _mlp_data(torch, torch.float64)
    theirs = _mlp_data(real_torch, real_torch.float64)
    for leaves, x in ((ours[2], ours[0]), (theirs[2], theirs[0])):
        for p in leaves:
            p.requires_grad_(True)
    losses = []
    for eng, (x, y, (w1, b1, w2, b2)) in ((torch, ours), (real_torch, theirs)):
        loss = mse(lin(relu(lin(x, w1, b1)), w2, b2), y)
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-13)
    for a, b in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12, atol=1e-15)


# -- modules and optimizers written by hand ---------------------------------------------------

def _classes(n=500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 20)).astype(np.float32)
    Y = (X @ rng.standard_normal((20, 3)).astype(np.float32)).argmax(1)
    return X, Y


def test_modules_of_our_own_then_nn_module_sequential_and_module_list():
    torch.manual_seed(1)
    X, Y = _classes()
    x_train, y_train = torch.tensor(X[:400]), torch.tensor(Y[:400])

    class MyModule:
        def __init__(self, n_in, nh, n_out):
            self._modules = {}
            self.l1, self.l2 = nn.Linear(n_in, nh), nn.Linear(nh, n_out)

        def __setattr__(self, k, v):
            if not k.startswith("_"):
                self._modules[k] = v
            super().__setattr__(k, v)

        def parameters(self):
            for layer in self._modules.values():
                yield from layer.parameters()

    assert [p.shape for p in MyModule(20, 32, 3).parameters()] == [(32, 20), (32,), (3, 32), (3,)]

    class MLP(nn.Module):
        def __init__(self, n_in, nh, n_out):
            super().__init__()
            self.l1, self.l2, self.relu = nn.Linear(n_in, nh), nn.Linear(nh, n_out), nn.ReLU()

        def forward(self, x):
            return self.l2(self.relu(self.l1(x)))

    class SequentialModel(nn.Module):
        def __init__(self, layers):
            super().__init__()
            self.layers = nn.ModuleList(layers)

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    model = MLP(20, 32, 3)
    assert [name for name, _ in model.named_children()] == ["l1", "l2", "relu"]
    layers = [nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3)]
    seq = SequentialModel(layers)
    assert "(layers): ModuleList(" in repr(seq) and len(list(seq.parameters())) == 4
    same = nn.Sequential(*layers)
    assert torch.equal(same(x_train), seq(x_train))

    def accuracy(out, yb):
        return (out.argmax(dim=1) == yb).float().mean()

    # the lesson's loop: the update under no_grad, layer by layer, then zero_grad
    lr, bs = 0.5, 50
    first = F.cross_entropy(model(x_train), y_train).item()
    for epoch in range(3):
        for i in range(0, len(x_train), bs):
            xb, yb = x_train[i:i + bs], y_train[i:i + bs]
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            with torch.no_grad():
                for layer in model.children():
                    if hasattr(layer, 'weight'):
                        layer.weight -= layer.weight.grad * lr
                        layer.bias -= layer.bias.grad * lr
            model.zero_grad()
    assert F.cross_entropy(model(x_train), y_train).item() < 0.6 * first
    assert accuracy(model(x_train), y_train).item() > 0.8


def test_optimizers_written_by_hand_step_as_nn_optim_s():
    X, Y = _classes(64)
    x, y = torch.tensor(X), torch.tensor(Y)

    class SGD:
        def __init__(self, params, lr, wd=0.):
            self.params, self.lr, self.wd, self.i = list(params), lr, wd, 0

        def step(self):
            with torch.no_grad():
                for p in self.params:
                    self.reg_step(p)
                    self.opt_step(p)
            self.i += 1

        def opt_step(self, p):
            p -= p.grad * self.lr

        def reg_step(self, p):
            if self.wd != 0:
                p *= 1 - self.lr * self.wd

        def zero_grad(self):
            for p in self.params:
                p.grad = None

    class Adam(SGD):            # PyTorch's formula: eps outside the root
        def __init__(self, params, lr, wd=0., beta1=0.9, beta2=0.999, eps=1e-8):
            super().__init__(params, lr=lr, wd=wd)
            self.beta1, self.beta2, self.eps = beta1, beta2, eps

        def opt_step(self, p):
            if not hasattr(p, 'avg'):
                p.avg, p.sqr_avg = torch.zeros_like(p.grad), torch.zeros_like(p.grad)
            p.avg = self.beta1 * p.avg + (1 - self.beta1) * p.grad
            p.sqr_avg = self.beta2 * p.sqr_avg + (1 - self.beta2) * p.grad ** 2
            unbias_avg = p.avg / (1 - self.beta1 ** (self.i + 1))
            unbias_sqr = p.sqr_avg / (1 - self.beta2 ** (self.i + 1))
            p -= self.lr * unbias_avg / (unbias_sqr.sqrt() + self.eps)

    for mine, theirs in ((partial(SGD, lr=0.1, wd=1e-2), partial(optim.SGD, lr=0.1,
                                                                 weight_decay=1e-2)),
                         (partial(Adam, lr=1e-2), partial(optim.Adam, lr=1e-2))):
        torch.manual_seed(3)
        a = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 3))
        b = copy.deepcopy(a)
        opt_a, opt_b = mine(a.parameters()), theirs(b.parameters())
        for _ in range(5):
            for model, opt in ((a, opt_a), (b, opt_b)):
                F.cross_entropy(model(x), y).backward()
                opt.step()
                opt.zero_grad()
        for p, q in zip(a.parameters(), b.parameters()):
            np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-6)

    # fast.ai's MomentumLearner: its zero_grad keeps mom times each gradient, which the next
    # backward adds to, so that it steps as SGD with momentum
    torch.manual_seed(4)
    a = nn.Linear(20, 3)
    b = copy.deepcopy(a)
    opt = optim.SGD(b.parameters(), lr=0.1, momentum=0.85)
    for _ in range(4):
        F.cross_entropy(a(x), y).backward()
        with torch.no_grad():
            for p in a.parameters():
                p -= p.grad * 0.1
            for p in a.parameters():
                p.grad *= 0.85
        F.cross_entropy(b(x), y).backward()
        opt.step()
        opt.zero_grad()
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-6)

    # PyTorch's habits on p.grad, a numpy array here, are explained
    p = nn.Parameter(torch.ones(3))
    (p * 2).sum().backward()
    with pytest.raises(TypeError, match=r"zeros_like: .* got a memoryview, .* p\.grad is the "
                                        r"numpy array itself .* write zeros_like\(p\.grad\)"):
        torch.zeros_like(p.grad.data)
    with pytest.raises(AttributeError, match="'memoryview' object has no attribute 'zero_'") \
            as caught:
        with torch.no_grad():
            p.grad.data.zero_()
    assert "so p.grad.data is p.grad: for a gradient, p.grad = None" in caught.value.__notes__[0]


# -- Dataset, Sampler, DataLoader, collate ----------------------------------------------------

class Dataset:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def collate(b):
    xs, ys = zip(*b)
    return torch.stack(xs), torch.stack(ys)


def test_dataset_sampler_batch_sampler_and_collate_of_our_own_and_nn_data_s():
    X, Y = _classes(103)
    ds = Dataset(torch.tensor(X), torch.tensor(Y))
    xb, yb = ds[0:5]
    assert xb.shape == (5, 20) and yb.dtype == np.int64

    class Sampler:
        def __init__(self, ds, shuffle=False):
            self.n, self.shuffle = len(ds), shuffle

        def __iter__(self):
            res = list(range(self.n))
            if self.shuffle:
                random.Random(0).shuffle(res)
            return iter(res)

    def chunked(it, sz):
        it = iter(it)
        while c := list(islice(it, sz)):
            yield c

    class MyDataLoader:
        def __init__(self, ds, batchs, collate_fn=collate):
            self.ds, self.batchs, self.collate_fn = ds, batchs, collate_fn

        def __iter__(self):
            yield from (self.collate_fn([self.ds[i] for i in b]) for b in self.batchs)

    mine = list(MyDataLoader(ds, list(chunked(Sampler(ds, shuffle=True), 32))))
    assert [len(b[0]) for b in mine] == [32, 32, 32, 7]
    seen = np.sort(np.concatenate([b[1].numpy() for b in mine]))
    np.testing.assert_array_equal(seen, np.sort(Y))

    # the library's, fed the same: samplers and a collate_fn, or the defaults
    g = torch.Generator().manual_seed(0)
    train_samp = BatchSampler(RandomSampler(ds, generator=g), 32, drop_last=False)
    valid_samp = BatchSampler(SequentialSampler(ds), 32, drop_last=True)
    batches = list(DataLoader(ds, batch_sampler=train_samp, collate_fn=collate))
    assert [b[0].shape[0] for b in batches] == [32, 32, 32, 7]
    assert sorted(np.concatenate([b[1].numpy() for b in batches])) == sorted(Y.tolist())
    first = next(iter(DataLoader(ds, batch_sampler=valid_samp, collate_fn=collate)))
    assert torch.equal(first[0], torch.tensor(X[:32]))
    assert len(DataLoader(ds, batch_sampler=valid_samp)) == 3
    xb, yb = next(iter(DataLoader(ds, 16, shuffle=True, drop_last=True)))
    assert isinstance(xb, torch.Tensor) and xb.shape == (16, 20) and yb.shape == (16,)
    # a sampler of index lists with batch_size=None: the dataset takes the list itself
    xb, yb = next(iter(DataLoader(Dataset(X, Y), sampler=valid_samp, batch_size=None)))
    np.testing.assert_array_equal(xb, X[:32])
    stacked = default_collate([{'x': ds[i][0], 'y': ds[i][1]} for i in range(4)])
    assert stacked['x'].shape == (4, 20) and stacked['y'].shape == (4,)


# -- a Learner with callbacks -----------------------------------------------------------------

class CancelFitException(Exception):
    pass


class CancelBatchException(Exception):
    pass


class CancelEpochException(Exception):
    pass


class Callback:
    order = 0


def run_cbs(cbs, method_nm, learn=None):
    for cb in sorted(cbs, key=attrgetter('order')):
        method = getattr(cb, method_nm, None)
        if method is not None:
            method(learn)


class with_cbs:
    def __init__(self, nm):
        self.nm = nm

    def __call__(self, f):
        cancel = {'batch': CancelBatchException, 'epoch': CancelEpochException,
                  'fit': CancelFitException}[self.nm]

        def _f(o, *args, **kwargs):
            try:
                o.callback(f'before_{self.nm}')
                f(o, *args, **kwargs)
                o.callback(f'after_{self.nm}')
            except cancel:
                pass
            finally:
                o.callback(f'cleanup_{self.nm}')
        return _f


def learner_class(torch, optim):
    """The Learner for one engine: `torch` is glassgrad or PyTorch."""

    class Learner:
        def __init__(self, model, dls, loss_func, lr=0.1, cbs=None, opt_func=optim.SGD):
            self.model, self.dls, self.loss_func = model, dls, loss_func
            self.lr, self.opt_func, self.cbs = lr, opt_func, list(cbs or [])

        @with_cbs('batch')
        def _one_batch(self):
            self.predict()
            self.callback('after_predict')
            self.get_loss()
            self.callback('after_loss')
            if self.training:
                self.backward()
                self.callback('after_backward')
                self.step()
                self.callback('after_step')
                self.zero_grad()

        @with_cbs('epoch')
        def _one_epoch(self):
            for self.iter, self.batch in enumerate(self.dl):
                self._one_batch()

        def one_epoch(self, training):
            self.model.train(training)
            self.dl = self.dls[0] if training else self.dls[1]
            self._one_epoch()

        @with_cbs('fit')
        def _fit(self, train, valid):
            for self.epoch in self.epochs:
                if train:
                    self.one_epoch(True)
                if valid:
                    torch.no_grad()(self.one_epoch)(False)

        def fit(self, n_epochs=1, train=True, valid=True, cbs=None, lr=None):
            cbs = list(cbs or [])
            self.cbs += cbs
            try:
                self.n_epochs, self.epochs = n_epochs, range(n_epochs)
                self.opt = self.opt_func(self.model.parameters(), self.lr if lr is None else lr)
                self._fit(train, valid)
            finally:
                for cb in cbs:
                    self.cbs.remove(cb)

        def __getattr__(self, name):
            if name in ('predict', 'get_loss', 'backward', 'step', 'zero_grad'):
                return partial(self.callback, name)
            raise AttributeError(name)

        def callback(self, method_nm):
            run_cbs(self.cbs, method_nm, self)

        @property
        def training(self):
            return self.model.training

    return Learner


class TrainCB(Callback):
    def predict(self, learn):
        learn.preds = learn.model(learn.batch[0])

    def get_loss(self, learn):
        learn.loss = learn.loss_func(learn.preds, learn.batch[1])

    def backward(self, learn):
        learn.loss.backward()

    def step(self, learn):
        learn.opt.step()

    def zero_grad(self, learn):
        learn.opt.zero_grad()


class Mean:
    def __init__(self):
        self.reset()

    def reset(self):
        self.tot, self.n = 0., 0

    def update(self, v, weight=1):
        self.tot += v.item() * weight
        self.n += weight

    def compute(self):
        return self.tot / self.n


class Accuracy(Mean):
    def update(self, preds, targ):
        self.tot += (preds.argmax(dim=1) == targ).float().sum().item()
        self.n += len(targ)


class MetricsCB(Callback):
    def __init__(self, **metrics):
        self.metrics, self.loss, self.log = metrics, Mean(), []

    def before_epoch(self, learn):
        for m in [*self.metrics.values(), self.loss]:
            m.reset()

    def after_batch(self, learn):
        for m in self.metrics.values():
            m.update(learn.preds.detach(), learn.batch[1])
        self.loss.update(learn.loss.detach(), weight=len(learn.batch[0]))

    def after_epoch(self, learn):
        row = {k: round(m.compute(), 4) for k, m in self.metrics.items()}
        row.update(loss=round(self.loss.compute(), 4), epoch=learn.epoch,
                   train='train' if learn.training else 'eval')
        self.log.append(row)


class ProgressCB(Callback):
    order = MetricsCB.order + 1

    def __init__(self, every=5):
        self.every, self.lines, self.losses = every, [], []

    def after_batch(self, learn):
        if learn.training:
            self.losses.append(learn.loss.item())
            if learn.iter % self.every == 0:
                self.lines.append(f"epoch {learn.epoch} batch {learn.iter}/{len(learn.dl)} "
                                  f"loss {learn.loss:.4f}")


class Recorder(Callback):
    def __init__(self):
        self.events = []

    def __getattr__(self, name):
        if name.startswith(('before_', 'after_', 'cleanup_')):
            return lambda learn: self.events.append(name)
        raise AttributeError(name)


class SkipOddBatchesCB(Callback):
    order = -1

    def before_batch(self, learn):
        if learn.training and learn.iter % 2 == 1:
            raise CancelBatchException()


class SingleBatchCB(Callback):
    order = 1

    def after_batch(self, learn):
        raise CancelFitException()


def _run_learner(torch, nn, F, optim, weights=None):
    """Two epochs on made-up classes with metrics and progress, then one of half the batches
    skipped: (model, the metrics' log, the progress' losses, its first lines)."""
    X, Y = _classes()
    DL = DataLoader if torch is autograd else real_torch.utils.data.DataLoader
    TD = TensorDataset if torch is autograd else real_torch.utils.data.TensorDataset
    dls = (DL(TD(torch.tensor(X[:400]), torch.tensor(Y[:400])), 50),
           DL(TD(torch.tensor(X[400:]), torch.tensor(Y[400:])), 100))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))
    if weights is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    metrics, progress = MetricsCB(accuracy=Accuracy()), ProgressCB()
    learn = learner_class(torch, optim)(model, dls, F.cross_entropy, lr=0.2,
                                        cbs=[TrainCB(), metrics, progress])
    learn.fit(2)
    learn.fit(1, cbs=[SkipOddBatchesCB()])
    return model, metrics.log, progress.losses, progress.lines


def test_a_learner_with_callbacks_trains_and_reports():
    model, log, losses, lines = _run_learner(torch, nn, F, optim)
    assert [(r['epoch'], r['train']) for r in log] == [(0, 'train'), (0, 'eval'), (1, 'train'),
                                                      (1, 'eval'), (0, 'train'), (0, 'eval')]
    assert log[-1]['loss'] < 0.85 * log[1]['loss'] and log[-1]['accuracy'] > log[1]['accuracy']
    assert len(losses) == 8 + 8 + 4                 # the skipped batches report nothing
    assert lines[0].startswith("epoch 0 batch 0/8 loss ") and len(lines) == 2 + 2 + 1

    # the control flow: a batch cancelled in before_batch (by a callback of a lower order: the
    # recorder never sees its start) still runs cleanup_batch; SingleBatchCB stops the fit
    events = Recorder()
    X, Y = _classes(40)
    dl = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), 20)
    learn = learner_class(torch, optim)(nn.Linear(20, 3), (dl, dl), F.cross_entropy,
                                        cbs=[TrainCB(), events])
    learn.fit(1, cbs=[SkipOddBatchesCB()])
    batches = [e for e in events.events if e.endswith('_batch')]
    assert batches[:6] == ['before_batch', 'after_batch', 'cleanup_batch', 'cleanup_batch',
                           'before_batch', 'after_batch']
    events.events.clear()
    learn.fit(3, cbs=[SingleBatchCB()])
    assert events.events[-3:] == ['cleanup_batch', 'cleanup_epoch', 'cleanup_fit']
    assert events.events.count('before_batch') == 1 and 'after_fit' not in events.events


@needs_torch
def test_the_learner_gives_pytorch_s_losses_from_the_same_weights():
    model, log, losses, _ = _run_learner(torch, nn, F, optim)
    torch.manual_seed(0)
    start = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))   # the same draw
    weights = {k: v.numpy() for k, v in start.state_dict().items()}
    t = real_torch
    _, t_log, t_losses, _ = _run_learner(t, t.nn, t.nn.functional, t.optim, weights)
    np.testing.assert_allclose(losses, t_losses, rtol=2e-5)
    assert [r['accuracy'] for r in log] == [r['accuracy'] for r in t_log]


# -- learning-rate finder and one-cycle -------------------------------------------------------

def lr_finder_cb(lr_scheduler):
    class LRFinderCB(Callback):
        def __init__(self, gamma=1.3, max_mult=3):
            self.gamma, self.max_mult = gamma, max_mult

        def before_fit(self, learn):
            self.sched = lr_scheduler.ExponentialLR(learn.opt, self.gamma)
            self.lrs, self.losses, self.min = [], [], math.inf

        def after_batch(self, learn):
            if not learn.training:
                raise CancelEpochException()
            self.lrs.append(learn.opt.param_groups[0]['lr'])
            loss = learn.loss.detach().cpu()
            self.losses.append(loss.item())
            if loss < self.min:
                self.min = loss.item()
            if math.isnan(loss) or loss > self.min * self.max_mult:
                raise CancelFitException()
            self.sched.step()
    return LRFinderCB


class BatchSchedCB(Callback):
    def __init__(self, sched):
        self.sched = sched

    def before_fit(self, learn):
        self.schedo = self.sched(learn.opt)

    def after_batch(self, learn):
        if learn.training:
            self.schedo.step()


class RecorderCB(Callback):
    def __init__(self, **d):
        self.d = d

    def before_fit(self, learn):
        self.recs, self.pg = {k: [] for k in self.d}, learn.opt.param_groups[0]

    def after_batch(self, learn):
        if learn.training:
            for k, v in self.d.items():
                self.recs[k].append(v(self))


def one_cycle_by_hand(max_lr, total, pct_start=0.3, div=25., final_div=1e4, moms=(0.95, 0.85)):
    """PyTorch's default one-cycle (two cosine phases, momentum the other way) by hand."""
    def cos(a, b, pct):
        return b + (a - b) / 2 * (math.cos(math.pi * pct) + 1)
    up, down = float(pct_start * total) - 1, float(total) - 1
    lrs, momentums = [], []
    for step in range(total):
        if step <= up:
            pct = step / up
            lrs.append(cos(max_lr / div, max_lr, pct))
            momentums.append(cos(moms[0], moms[1], pct))
        else:
            pct = (step - up) / (down - up)
            lrs.append(cos(max_lr, max_lr / div / final_div, pct))
            momentums.append(cos(moms[1], moms[0], pct))
    return lrs, momentums


def test_the_lr_finder_grows_the_rate_until_the_loss_diverges():
    X, Y = _classes()
    dl = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), 50)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))
    finder = lr_finder_cb(lr_scheduler)()
    learner_class(torch, optim)(model, (dl, dl), F.cross_entropy, lr=1e-4,
                                cbs=[TrainCB(), finder]).fit(50)
    lrs, losses = np.array(finder.lrs), np.array(finder.losses)
    np.testing.assert_allclose(lrs[1:] / lrs[:-1], 1.3, rtol=1e-12)
    assert losses[-1] > 3 * finder.min and (losses[:-1] <= 3 * finder.min).all()
    assert 10 < len(lrs) < 50 * 10 and losses.min() < 0.6 * losses[0]
    best = lrs[losses.argmin()]
    assert 1e-2 < best < lrs[-1]


def test_one_cycle_by_hand_gives_onecycle_lr_s_rates_and_momentums():
    X, Y = _classes()
    dl = DataLoader(TensorDataset(torch.tensor(X[:400]), torch.tensor(Y[:400])), 50)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))
    sched = partial(lr_scheduler.OneCycleLR, max_lr=0.1, total_steps=2 * len(dl))
    rec = RecorderCB(lr=lambda cb: cb.pg['lr'], mom=lambda cb: cb.pg['betas'][0])
    learner_class(torch, optim)(model, (dl, dl), F.cross_entropy, lr=0.1, opt_func=optim.AdamW,
                                cbs=[TrainCB(), rec, BatchSchedCB(sched)]).fit(2)
    lrs, moms = one_cycle_by_hand(0.1, 2 * len(dl))
    # recorded before the scheduler stepped (callbacks of one order run in the list's order):
    # batch i trained at step i's rate
    np.testing.assert_allclose(rec.recs['lr'], lrs[:16], rtol=1e-12)
    np.testing.assert_allclose(rec.recs['mom'], moms[:16], rtol=1e-12)
    # discriminative rates: a max_lr per parameter group, each group its own cycle
    body, head = nn.Linear(4, 8), nn.Linear(8, 2)
    opt = optim.SGD([{'params': body.parameters(), 'lr': 1e-3}, {'params': head.parameters()}],
                    lr=1e-1, momentum=0.9)
    s = lr_scheduler.OneCycleLR(opt, max_lr=[1e-2, 1e-1], total_steps=10)
    seen = []
    for _ in range(10):
        seen.append([g['lr'] for g in opt.param_groups])
        opt.step()
        s.step()
    for k, top in enumerate((1e-2, 1e-1)):
        np.testing.assert_allclose([r[k] for r in seen], one_cycle_by_hand(top, 10)[0],
                                   rtol=1e-12)


@needs_torch
def test_onecycle_lr_is_pytorch_s():
    mine = optim.AdamW(nn.Linear(2, 2).parameters(), lr=0.1)
    theirs = real_torch.optim.AdamW(real_torch.nn.Linear(2, 2).parameters(), lr=0.1)
    s1 = lr_scheduler.OneCycleLR(mine, max_lr=0.1, total_steps=23, pct_start=0.25)
    s2 = real_torch.optim.lr_scheduler.OneCycleLR(theirs, max_lr=0.1, total_steps=23,
                                                  pct_start=0.25)
    for _ in range(22):
        for g1, g2 in zip(mine.param_groups, theirs.param_groups):
            assert g1['lr'] == pytest.approx(g2['lr'], rel=1e-12)
            assert g1['betas'][0] == pytest.approx(g2['betas'][0], rel=1e-12)
        mine.step()
        theirs.step()
        s1.step()
        s2.step()


# -- initialisation studies with hooks --------------------------------------------------------

def course_models(torch, nn, F):
    class GeneralRelu(nn.Module):
        def __init__(self, leak=None, sub=None, maxv=None):
            super().__init__()
            self.leak, self.sub, self.maxv = leak, sub, maxv

        def forward(self, x):
            x = F.leaky_relu(x, self.leak) if self.leak is not None else F.relu(x)
            if self.sub is not None:
                x -= self.sub
            if self.maxv is not None:
                x.clamp_max_(self.maxv)
            return x

    def conv(ni, nf, ks=3, stride=2, act=nn.ReLU, norm=None, bias=None):
        if bias is None:
            bias = not (isinstance(norm, type) and issubclass(norm, nn.BatchNorm2d))
        layers = [nn.Conv2d(ni, nf, stride=stride, kernel_size=ks, padding=ks // 2, bias=bias)]
        if norm:
            layers.append(norm(nf))
        if act:
            layers.append(act())
        return nn.Sequential(*layers)

    def cnn(act=nn.ReLU):
        return nn.Sequential(conv(1, 8, ks=5, act=act), conv(8, 16, act=act),
                             conv(16, 32, act=act), conv(32, 64, act=act),
                             conv(64, 10, act=None), nn.Flatten())

    act_gr = partial(GeneralRelu, leak=0.1, sub=0.4)

    def noop(x):
        return x

    class ResBlock(nn.Module):
        def __init__(self, ni, nf, stride=1, act=act_gr, norm=None):
            super().__init__()
            self.convs = nn.Sequential(conv(ni, nf, stride=1, act=act, norm=norm),
                                       conv(nf, nf, stride=stride, act=None, norm=norm))
            self.idconv = noop if ni == nf else conv(ni, nf, ks=1, stride=1, act=None)
            self.pool = noop if stride == 1 else nn.AvgPool2d(2, ceil_mode=True)
            self.act = act()

        def forward(self, x):
            return self.act(self.convs(x) + self.idconv(self.pool(x)))

    def resnet(nfs=(8, 16, 32), norm=nn.BatchNorm2d):
        layers = [ResBlock(1, nfs[0], stride=2, norm=norm)]
        layers += [ResBlock(nfs[i], nfs[i + 1], stride=2, norm=norm) for i in range(len(nfs) - 1)]
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(nfs[-1], 10, bias=False),
                   nn.BatchNorm1d(10)]
        return nn.Sequential(*layers)

    def init_weights(m, leaky=0.):
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            nn.init.kaiming_normal_(m.weight, a=leaky)

    return dict(GeneralRelu=GeneralRelu, act_gr=act_gr, cnn=cnn, resnet=resnet,
                init_weights=init_weights)


OURS = course_models(torch, nn, F)


class Hook:
    def __init__(self, m, f):
        self.hook = m.register_forward_hook(partial(f, self))

    def remove(self):
        self.hook.remove()


class Hooks(list):
    def __init__(self, ms, f):
        super().__init__([Hook(m, f) for m in ms])

    def __enter__(self, *args):
        return self

    def __exit__(self, *args):
        for h in self:
            h.remove()


def append_stats(hook, mod, inp, outp):
    if not hasattr(hook, 'stats'):
        hook.stats = ([], [], [])
    acts = outp.detach().cpu()
    hook.stats[0].append(acts.mean())
    hook.stats[1].append(acts.std(unbiased=True))   # (acts.std() is numpy's here: see above)
    hook.stats[2].append(acts.abs().histc(40, 0, 10))


def _images(n=16, seed=1):
    return np.random.default_rng(seed).standard_normal((n, 1, 28, 28)).astype(np.float32)


def _layer_stats(model, xb):
    with Hooks(model[:4], append_stats) as hooks:
        with torch.no_grad():
            model(xb)
    return [(h.stats[0][0].item(), h.stats[1][0].item()) for h in hooks]


def test_hooks_show_the_default_init_s_activations_vanish_and_kaiming_s_do_not():
    xb = torch.tensor(_images(32))
    torch.manual_seed(0)
    default = _layer_stats(OURS['cnn'](), xb)
    stds = [s for _, s in default]
    assert all(b < 0.6 * a for a, b in zip(stds, stds[1:])) and stds[-1] < 0.1
    model = OURS['cnn']()
    model.apply(OURS['init_weights'])
    kaiming = [s for _, s in _layer_stats(model, xb)]
    assert min(kaiming) > 0.3 and kaiming[-1] > 5 * stds[-1]
    w = model[1][0].weight
    assert w.std().item() == pytest.approx(math.sqrt(2 / (8 * 9)), rel=0.1)   # kaiming's
    x = init.xavier_uniform_(torch.empty(200, 300))
    assert abs(x.numpy()).max() <= math.sqrt(6 / 500) and x.std().item() == pytest.approx(
        math.sqrt(2 / 500), rel=0.05)

    # GeneralRelu with kaiming for a leaky ReLU; the histograms by histc and by numpy agree
    model = OURS['cnn'](OURS['act_gr'])
    model.apply(partial(OURS['init_weights'], leaky=0.1))
    with Hooks(model[:4], append_stats) as hooks:
        out = model(xb)
        acts = []
        h = model[0].register_forward_hook(lambda m, i, o: acts.append(o.detach()))
        model(xb)
        h.remove()
    counts, _ = np.histogram(acts[0].abs(), bins=40, range=(0, 10))
    np.testing.assert_array_equal(hooks[0].stats[2][0].numpy(), counts)
    hist = torch.stack(hooks[0].stats[2]).t().float().log1p()
    assert hist.shape == (40, 2) and out.shape == (32, 10)
    h1 = torch.stack(hooks[0].stats[2]).t().float()
    near_zero = (h1[0] / h1.sum(0)).numpy()
    assert (near_zero > 0.05).all() and (near_zero < 0.6).all()


def test_lsuv_rescales_each_layer_to_mean_0_and_std_1():
    xb = torch.tensor(_images(64, seed=2))
    torch.manual_seed(0)
    model = OURS['cnn'](OURS['act_gr'])

    def lsuv_stats(hook, mod, inp, outp):
        acts = outp.detach().cpu()
        hook.mean, hook.std = acts.mean(), acts.std()

    def lsuv_init(model, m, m_in, xb):
        h, rounds = Hook(m, lsuv_stats), 0
        with torch.no_grad():
            while model(xb) is not None and (abs(h.std - 1) > 1e-3 or abs(h.mean) > 1e-3):
                m_in.bias -= h.mean
                m_in.weight.data /= h.std
                rounds += 1
                assert rounds < 60
        h.remove()
        return rounds

    relus = [o for o in model.modules() if isinstance(o, OURS['GeneralRelu'])]
    convs = [o for o in model.modules() if isinstance(o, nn.Conv2d)]
    assert all(lsuv_init(model, *pair, xb) > 3 for pair in zip(relus, convs))
    with Hooks(relus, lsuv_stats) as hooks:
        with torch.no_grad():
            model(xb)
    for h in hooks:
        assert abs(h.mean.item()) < 1.1e-3 and abs(h.std.item() - 1) < 1.1e-3


def test_general_relu_s_in_place_steps_have_the_true_gradient():
    act = OURS['GeneralRelu'](leak=0.1, sub=0.4, maxv=1.5)
    rng = np.random.default_rng(5)
    x = rng.uniform(-3, 3, (6, 7))
    x[np.abs(x) < 0.05] += 0.2                         # no kinks within the step
    x[np.abs(x - 19.0 / 10) < 0.05] += 0.2             # (1.9 - 0.4 = 1.5: the clamp's kink)
    autograd.gradcheck(lambda t: act(t), (torch.tensor(x, requires_grad=True),))
    t = torch.tensor(x, requires_grad=True)
    y = act(t)
    y.backward(torch.ones_like(y))
    expected = np.where(x > 0, 1.0, 0.1) * (np.where(x > 0, x, 0.1 * x) - 0.4 < 1.5)
    np.testing.assert_array_equal(t.grad, expected)


@needs_torch
def test_hooks_see_pytorch_s_activations_and_output_gradients_from_the_same_weights():
    t = real_torch
    theirs_fns = course_models(t, t.nn, t.nn.functional)
    torch.manual_seed(0)
    ours = OURS['cnn'](OURS['act_gr'])
    theirs = theirs_fns['cnn'](theirs_fns['act_gr'])
    _same_weights(ours, theirs)
    x = _images()
    stats = []
    for model, xb in ((ours, torch.tensor(x)), (theirs, t.tensor(x))):
        with Hooks(model[:5], append_stats) as hooks:
            model(xb).pow(2).mean().backward()
        stats.append(hooks)
    for a, b in zip(*stats):
        assert a.stats[0][0].item() == pytest.approx(b.stats[0][0].item(), abs=2e-6)
        assert a.stats[1][0].item() == pytest.approx(b.stats[1][0].item(), rel=1e-5)
        np.testing.assert_array_equal(a.stats[2][0].numpy(), b.stats[2][0].numpy())
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4,
                                   atol=1e-6 * float(q.grad.abs().max()))

    # a layer's output gradient: PyTorch's full backward hook, here a hook on the output
    with pytest.raises(NotImplementedError, match=r"register_full_backward_hook: .* "
                                                  r"out\.register_hook\(fn\)"):
        ours[1][0].register_full_backward_hook(lambda m, gi, go: None)
    got, want = [], []
    ours[1][0].register_forward_hook(
        lambda m, args, out: out.register_hook(lambda g: got.append(np.array(g))) and None)
    theirs[1][0].register_full_backward_hook(lambda m, gi, go: want.append(go[0].numpy()))
    ours(torch.tensor(x)).pow(2).mean().backward()
    theirs(t.tensor(x)).pow(2).mean().backward()
    np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-9)


# -- normalisation by hand --------------------------------------------------------------------

class BatchNorm(nn.Module):
    def __init__(self, nf, mom=0.1, eps=1e-5):
        super().__init__()
        self.mom, self.eps = mom, eps
        self.mults = nn.Parameter(torch.ones(nf, 1, 1))
        self.adds = nn.Parameter(torch.zeros(nf, 1, 1))
        self.register_buffer('vars', torch.ones(1, nf, 1, 1))
        self.register_buffer('means', torch.zeros(1, nf, 1, 1))

    def forward(self, x):
        if self.training:
            m = x.mean((0, 2, 3), keepdim=True)
            v = x.var((0, 2, 3), keepdim=True, unbiased=False)
            n = x.numel() / x.shape[1]
            with torch.no_grad():           # the running variance is the unbiased one
                self.means.lerp_(m, self.mom)
                self.vars.lerp_(v * n / (n - 1), self.mom)
        else:
            m, v = self.means, self.vars
        return (x - m) / (v + self.eps).sqrt() * self.mults + self.adds


class LayerNorm(nn.Module):
    def __init__(self, dummy, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.mult = nn.Parameter(torch.tensor(1.))
        self.add = nn.Parameter(torch.tensor(0.))

    def forward(self, x):
        m = x.mean((1, 2, 3), keepdim=True)
        v = x.var((1, 2, 3), keepdim=True, unbiased=False)
        return (x - m) / (v + self.eps).sqrt() * self.mult + self.add


def test_batch_norm_by_hand_is_nn_batchnorm2d_in_training_and_in_eval():
    rng = np.random.default_rng(2)
    mine, ref = BatchNorm(4).double(), nn.BatchNorm2d(4).double()
    for step in range(3):
        x = torch.tensor(rng.standard_normal((8, 4, 5, 5)) * 3 + 1, requires_grad=True)
        g = torch.tensor(rng.standard_normal((8, 4, 5, 5)))
        grads = []
        for layer in (mine, ref):
            y = layer(x)
            (y * g).sum().backward()
            grads.append((y.detach(), x.grad))
            x.grad = None
        np.testing.assert_allclose(grads[0][0].numpy(), grads[1][0].numpy(), atol=1e-12)
        np.testing.assert_allclose(grads[0][1], grads[1][1], atol=1e-12)
    np.testing.assert_allclose(mine.means.flatten().numpy(), ref.running_mean.numpy(),
                               rtol=1e-13)
    np.testing.assert_allclose(mine.vars.flatten().numpy(), ref.running_var.numpy(), rtol=1e-13)
    np.testing.assert_allclose(mine.mults.grad.flatten(), ref.weight.grad, rtol=1e-12)
    mine.eval()
    ref.eval()
    x = torch.tensor(rng.standard_normal((2, 4, 5, 5)))
    np.testing.assert_allclose(mine(x).numpy(), ref(x).numpy(), atol=1e-12)
    assert list(mine.state_dict()) == ['mults', 'adds', 'vars', 'means']
    x = torch.tensor(rng.standard_normal((3, 4, 5, 5)), requires_grad=True)
    ln = LayerNorm(4).double()
    np.testing.assert_allclose(ln(x).numpy(), F.layer_norm(x, (4, 5, 5)).numpy(), atol=1e-12)
    autograd.gradcheck(lambda t: ln(t), (x,))


@needs_torch
def test_batch_norm_by_hand_gives_pytorch_s_numbers():
    t = real_torch
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4, 3, 3)) * 2 - 1
    ours = BatchNorm(4).double()
    theirs = t.nn.BatchNorm2d(4).double()
    xo, xt = torch.tensor(x, requires_grad=True), t.tensor(x, requires_grad=True)
    ours(xo).pow(3).sum().backward()
    theirs(xt).pow(3).sum().backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.vars.flatten().numpy(), theirs.running_var.numpy(),
                               rtol=1e-13)


# -- a ResNet on an MNIST file, with augmentation ---------------------------------------------

def _mnist_idx(folder):
    """A t10k pair of IDX files of made-up digits, read back as load_mnist reads MNIST."""
    images, labels = fake_images(900, seed=3)
    write_idx(os.path.join(folder, "t10k-images-idx3-ubyte"),
              (images * 255).clip(0, 255).astype(np.uint8))
    write_idx(os.path.join(folder, "t10k-labels-idx1-ubyte"), labels.astype(np.uint8))
    return load_mnist(folder, split_t10k=700, flatten=False)


class BatchTransformCB(Callback):
    def __init__(self, tfm):
        self.tfm = tfm

    def before_batch(self, learn):
        if learn.training:
            learn.batch = self.tfm(learn.batch)


def flip_crop(rng, torch, F):
    """A random horizontal flip per image and one random crop of the padded batch."""
    def tfm(b, pad=2):
        x, y = b
        n, c, h, w = x.shape
        flip = torch.tensor(rng.random(n) < 0.5)[:, None, None, None]
        x = torch.where(flip, x.flip(-1), x)
        i, j = rng.integers(0, 2 * pad + 1, 2)
        return F.pad(x, (pad, pad, pad, pad))[:, :, i:i + h, j:j + w], y
    return tfm


def test_random_erasing_and_copying_write_into_the_batch():
    torch.manual_seed(0)
    x = torch.randn(4, 1, 8, 8)
    before = x.clone()
    xm, xs, mn, mx = x.mean(), x.std(), x.min(), x.max()
    init.normal_(x[:, :, 2:5, 3:6], mean=xm, std=xs)       # 0-d tensors as PyTorch takes them
    x.clamp_(mn, mx)
    changed = (x != before).numpy()
    assert changed[:, :, 2:5, 3:6].all() and changed.sum() == 4 * 9
    assert x.min().item() >= mn.item() and x.max().item() <= mx.item()
    x[:, :, 0:2, 0:2] = x[:, :, 4:6, 4:6]
    assert torch.equal(x[:, :, 0:2, 0:2], x[:, :, 4:6, 4:6])
    with pytest.raises(TypeError, match=r"normal_: mean must be a real number, got Tensor\("):
        init.normal_(x, mean=torch.ones(2))


def set_seed(seed, deterministic=False):
    torch.use_deterministic_algorithms(deterministic)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


def test_a_resnet_trained_with_one_cycle_and_augmentation_learns_the_digits(tmp_path):
    d = _mnist_idx(tmp_path)
    mean, std = d.train_images.mean(), d.train_images.std()
    xt = torch.tensor((d.train_images[:, None] - mean) / std)
    xv = torch.tensor((d.test_images[:, None] - mean) / std)
    assert xt.shape == (700, 1, 28, 28) and xt.dtype == np.float32
    dls = (DataLoader(TensorDataset(xt, torch.tensor(d.train_labels)), 64, shuffle=True),
           DataLoader(TensorDataset(xv, torch.tensor(d.test_labels)), 200))
    set_seed(1, deterministic=True)
    first = OURS['resnet']().state_dict()
    set_seed(1)                                      # the same weights again
    model = OURS['resnet']()
    assert all(torch.equal(first[k], v) for k, v in model.state_dict().items())
    model.apply(partial(OURS['init_weights'], leaky=0.1))
    metrics = MetricsCB(accuracy=Accuracy())
    sched = partial(lr_scheduler.OneCycleLR, max_lr=2e-2, total_steps=3 * len(dls[0]))
    cbs = [TrainCB(), metrics, BatchTransformCB(flip_crop(np.random.default_rng(7), torch, F)),
           BatchSchedCB(sched)]
    learn = learner_class(torch, optim)(model, dls, F.cross_entropy, lr=2e-2, cbs=cbs,
                                        opt_func=partial(optim.AdamW, eps=1e-5))
    learn.fit(3)
    train, valid = metrics.log[-2], metrics.log[-1]
    assert train['loss'] < 0.7 * metrics.log[0]['loss'] and valid['accuracy'] > 0.5
    # eval mode used the running statistics: a batch of one gives its row of the whole batch
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(model(xv[:1]).numpy(), model(xv[:8])[:1].numpy(), atol=1e-5)


@needs_torch
def test_the_resnet_s_loss_and_gradients_are_pytorch_s_from_the_same_weights():
    t = real_torch
    theirs_fns = course_models(t, t.nn, t.nn.functional)
    torch.manual_seed(1)
    ours = OURS['resnet']()
    ours.apply(partial(OURS['init_weights'], leaky=0.1))
    theirs = theirs_fns['resnet']()
    _same_weights(ours, theirs)
    x, y = _images(12, seed=4), np.arange(12) % 10
    batches = [flip_crop(np.random.default_rng(9), eng, f)((eng.tensor(x), eng.tensor(y)))
               for eng, f in ((torch, F), (t, t.nn.functional))]
    np.testing.assert_array_equal(batches[0][0].numpy(), batches[1][0].numpy())
    losses = []
    for model, f, (xb, yb) in ((ours, F, batches[0]), (theirs, t.nn.functional, batches[1])):
        loss = f.cross_entropy(model(xb), yb)
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        q = grads[name].grad
        np.testing.assert_allclose(p.grad, q.numpy(), rtol=1e-3,
                                   atol=1e-5 * float(q.abs().max()), err_msg=name)
    for name, b in theirs.named_buffers():
        np.testing.assert_allclose(np.asarray(ours.get_buffer(name)), b.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=name)


# -- checkpoints, init by apply, freezing, parameter groups -----------------------------------

def test_state_dicts_round_trip_and_freezing_and_parameter_groups_work(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

    def iw(m):
        if isinstance(m, nn.Linear):
            init.kaiming_normal_(m.weight, nonlinearity='relu')
            init.zeros_(m.bias)
    assert model.apply(iw) is model and not model[0].bias.numpy().any()
    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    for name in ("m.npz", "m.pt"):
        nn.save(model.state_dict(), tmp_path / name)
        again = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        again.load_state_dict(nn.load(tmp_path / name))
        assert torch.equal(again(x), model(x))

    # discriminative rates: the body at a tenth of the head's, then the body frozen
    opt = optim.SGD([{'params': model[0].parameters(), 'lr': 1e-2},
                     {'params': model[2].parameters()}], lr=1e-1)
    before = [p.numpy().copy() for p in model.parameters()]
    F.cross_entropy(model(x), y).backward()
    grads = [p.grad.copy() for p in model.parameters()]
    opt.step()
    for p, b, g, lr in zip(model.parameters(), before, grads, (1e-2, 1e-2, 1e-1, 1e-1)):
        np.testing.assert_allclose(p.numpy(), b - lr * g, rtol=1e-6, atol=1e-7)
    opt.zero_grad()
    model[0].requires_grad_(False)
    frozen = model[0].weight.numpy().copy()
    F.cross_entropy(model(x), y).backward()
    opt.step()
    assert model[0].weight.grad is None and (model[0].weight.numpy() == frozen).all()
    assert model[2].weight.grad is not None
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]
    model.requires_grad_(True)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 58


@needs_torch
def test_a_checkpoint_loads_into_pytorch_s_twin(tmp_path):
    torch.manual_seed(0)
    ours = OURS['resnet']()
    nn.save(ours.state_dict(), tmp_path / "resnet.pt")
    t = real_torch
    theirs = course_models(t, t.nn, t.nn.functional)['resnet']()
    theirs.load_state_dict(t.load(tmp_path / "resnet.pt"))
    ours.eval()
    theirs.eval()
    x = _images(4)
    with t.no_grad():
        np.testing.assert_allclose(ours(torch.tensor(x)).numpy(), theirs(t.tensor(x)).numpy(),
                                   rtol=1e-4, atol=1e-5)
