"""A user trial: a student works through the PyTorch chapters of a "machine learning with
PyTorch and scikit-learn" style book, writing the chapters' programs as the book writes them
(`import autograd as torch`, `import nn`, `from nn.data import ...`; our own code, small sizes).

The chapters: the data pipeline (a joint Dataset of (x, y), TensorDataset, DataLoader with
batch_size, shuffle and drop_last, the same shuffled order after the same torch.manual_seed,
random_split with a generator, chunk/split/cat/stack/where, `.to(torch.int64)`); an Iris-like
classifier (standardised features, sigmoid hidden units, the book's softmax before
CrossEntropyLoss, Adam, accuracy per epoch, saving and loading the weights); the autograd
chapter (`torch.autograd.grad`, `requires_grad_()`, xavier init, w x + b by hand and by
nn.Linear, L1/L2 penalties and weight_decay, an XOR classifier with two hidden layers,
Sequential with add_module, ModuleList, a layer adding noise only while training); a
fuel-efficiency-like regression on a table written here (standardised numeric columns,
torch.bucketize, one_hot of a categorical column, MSELoss, MAE); CNNs (a digits-sized CNN with
Conv2d(padding=2), MaxPool2d, Dropout, Flatten; a smile-classifier-style binary CNN on
3-channel images augmented by tensor ops, global AvgPool2d, BCEWithLogitsLoss and
Sigmoid + BCELoss); the RNN chapter (nn.RNN by hand and as a module, an Embedding + LSTM
sentiment classifier over padded, packed batches, a character-level LSTM language model
sampled from a Categorical with a temperature). Where PyTorch is installed, the same weights
give the same losses, gradients and optimizer steps.

What the trial found and fixed: the book's whole-model `torch.save(model, path)` was told only
"torch.save is nn.save(obj, path)", and the file then gave an OrderedDict whose `.eval()` said
"'OrderedDict' object has no attribute 'eval'"; now the hint says to save model.state_dict()
and load it into a model the code builds, and `nn.load` of a weights file gives LoadedWeights,
whose missing attributes say the same. The book's `nn.Parameter(torch.Tensor(n))` (the number
n here) said only that an int64 tensor cannot require grad; now it names PyTorch's form and
`autograd.zeros(n)`. Left as they are (documented): `torch.Tensor(4, 2)` and
`torch.LongTensor(...)` are refused with what to write, a module's attribute that requires grad
but is no Parameter is refused (PyTorch would silently not train it), `DataLoader(t)` batches
by 32 (PyTorch's default is 1), and Python floats collate to float32.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest

import autograd as torch
import nn
from autograd.distributions.categorical import Categorical
from nn.data import DataLoader, Dataset, TensorDataset, random_split
from nn.functional import one_hot

from torch_helpers import needs_torch
from torch_helpers import torch as pytorch


def torch_twin(model):
    """A torch.nn copy of one of our models' weights: the same state_dict loaded both ways."""
    return {k: pytorch.tensor(np.array(v)) for k, v in model.state_dict().items()}


# -- chapter 12: the data pipeline ---------------------------------------------------------------

class JointDataset(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return self.x[idx], self.y[idx]


def test_a_joint_dataset_batches_shuffles_and_splits_as_the_book_shows():
    torch.manual_seed(1)
    t_x = torch.rand([6, 3], dtype=torch.float32)
    t_y = torch.arange(6)
    joint = JointDataset(t_x, t_y)
    x0, y0 = joint[0]
    assert x0.shape == (3,) and int(y0) == 0
    assert [int(y) for _, y in joint] == list(range(6))
    pairs = TensorDataset(t_x, t_y)
    np.testing.assert_array_equal(pairs[2][0].numpy(), t_x[2].numpy())

    def epochs():
        torch.manual_seed(1)
        loader = DataLoader(joint, batch_size=2, shuffle=True)
        return [[b[1].tolist() for b in loader] for _ in range(3)]
    first, again = epochs(), epochs()
    assert first == again                               # reseeded: the same order, epoch by epoch
    assert first[0] != first[1] or first[1] != first[2]     # and a new order per epoch
    for epoch in first:
        assert sorted(sum(epoch, [])) == list(range(6)) and all(len(b) == 2 for b in epoch)
    x_batch, y_batch = next(iter(DataLoader(joint, batch_size=4)))
    assert x_batch.shape == (4, 3) and y_batch.dtype == np.int64 and y_batch.size(0) == 4

    t = torch.arange(6, dtype=torch.float32)
    assert [b.tolist() for b in DataLoader(t, batch_size=4, drop_last=False)] == \
        [[0, 1, 2, 3], [4, 5]]
    assert [b.tolist() for b in DataLoader(t, batch_size=4, drop_last=True)] == [[0, 1, 2, 3]]
    assert len(DataLoader(t, batch_size=1)) == 6

    def split(seed):
        return random_split(pairs, [4, 2], generator=torch.Generator().manual_seed(seed))
    train, valid = split(42)
    assert sorted(train.indices + valid.indices) == list(range(6))
    assert split(42)[0].indices == train.indices
    fractions = random_split(pairs, [0.5, 0.5], generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in fractions] == [3, 3]


def test_the_tensor_manipulations_of_the_first_pytorch_chapter():
    torch.manual_seed(1)
    t = torch.rand(6)
    pieces = torch.chunk(t, 3)
    assert [p.shape for p in pieces] == [(2,), (2,), (2,)]
    np.testing.assert_array_equal(torch.cat(pieces, axis=0).numpy(), t.numpy())
    a, b = torch.split(torch.rand(5), split_size_or_sections=[3, 2])
    assert a.shape == (3,) and b.shape == (2,)
    assert [p.shape for p in torch.split(torch.arange(5), 2)] == [(2,), (2,), (1,)]
    s = torch.stack([torch.ones(3), torch.zeros(3)], axis=1)
    assert s.tolist() == [[1, 0]] * 3
    c = torch.cat([torch.ones(2, 1), torch.zeros(2, 2)], dim=1)
    assert c.shape == (2, 3)
    x = torch.tensor([1.7, -2.2, 0.4])
    assert torch.where(x > 0, x, torch.zeros_like(x)).tolist() == pytest.approx([1.7, 0, 0.4])
    as_int = x.to(torch.int64)
    assert as_int.dtype == np.int64 and as_int.tolist() == [1, -2, 0]    # toward 0, as PyTorch
    t_a = torch.from_numpy(np.array([1, 2, 3], dtype=np.int32))
    assert t_a.dtype == np.int32 and t_a.to(torch.int64).dtype == np.int64
    t1, t2 = 2 * torch.rand(5, 2) - 1, torch.normal(mean=0, std=1, size=(5, 2))
    product = torch.matmul(t1, torch.transpose(t2, 0, 1))
    np.testing.assert_allclose(product.numpy(), t1.numpy() @ t2.numpy().T, rtol=1e-6)
    np.testing.assert_allclose(torch.linalg.norm(t1, ord=2, dim=1).numpy(),
                               np.linalg.norm(t1.numpy(), axis=1), rtol=1e-6)
    assert torch.squeeze(torch.zeros(1, 2, 1, 4, 1), 2).shape == (1, 2, 4, 1)


# -- chapter 12/13: the Iris-like classifier -----------------------------------------------------

def iris_like(seed=0):
    """Three gaussian classes of 4 features, 50 each, about where Iris's are."""
    rng = np.random.default_rng(seed)
    centers = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]])
    X = np.concatenate([c + 0.3 * rng.standard_normal((50, 4)) for c in centers])
    y = np.repeat(np.arange(3), 50)
    order = rng.permutation(150)
    return X[order[:100]], y[order[:100]], X[order[100:]], y[order[100:]]


class IrisModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_size)
        self.layer2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = self.layer1(x)
        x = nn.Sigmoid()(x)
        x = self.layer2(x)
        x = nn.Softmax(dim=1)(x)            # the book's: probabilities into CrossEntropyLoss
        return x


def test_the_iris_classifier_trains_saves_its_weights_and_loads_them(tmp_path):
    X_train, y_train, X_test, y_test = iris_like()
    mean, std = np.mean(X_train), np.std(X_train)
    X_train_norm = torch.from_numpy((X_train - mean) / std).float()
    train_ds = TensorDataset(X_train_norm, torch.from_numpy(y_train))
    torch.manual_seed(1)
    train_dl = DataLoader(train_ds, 2, shuffle=True)
    model = IrisModel(X_train_norm.shape[1], 16, 3)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.001)
    num_epochs = 40
    loss_hist, accuracy_hist = [0] * num_epochs, [0] * num_epochs
    with pytest.warns(UserWarning, match="expects logits"):     # said, and it still trains
        for epoch in range(num_epochs):
            for x_batch, y_batch in train_dl:
                pred = model(x_batch)
                loss = loss_fn(pred, y_batch)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                loss_hist[epoch] += loss.item() * y_batch.size(0)
                is_correct = (torch.argmax(pred, dim=1) == y_batch).float()
                accuracy_hist[epoch] += is_correct.sum()
            loss_hist[epoch] /= len(train_dl.dataset)
            accuracy_hist[epoch] /= len(train_dl.dataset)
    assert loss_hist[-1] < 0.75 < loss_hist[0]
    assert float(accuracy_hist[-1]) >= 0.95
    X_test_norm = torch.from_numpy((X_test - mean) / std).float()
    pred_test = model(X_test_norm)
    accuracy = (torch.argmax(pred_test, dim=1) == torch.from_numpy(y_test)).float().mean()
    assert f"{accuracy:.4f}" == f"{float(accuracy):.4f}" and float(accuracy) >= 0.9

    path = tmp_path / "iris_classifier.pt"
    with pytest.raises(AttributeError, match=r"nn\.save\(model\.state_dict\(\), path\)"):
        torch.save(model, path)                 # the book's whole model: never pickled here
    nn.save(model.state_dict(), path)
    with pytest.raises(ValueError, match="never stored"):
        nn.load(path, weights_only=False)
    with pytest.raises(AttributeError, match=r"no attribute 'eval'.*load_state_dict"):
        nn.load(path).eval()                    # the book's model_new = torch.load(path)
    model_new = IrisModel(4, 16, 3)
    model_new.load_state_dict(nn.load(path))
    model_new.eval()
    np.testing.assert_array_equal(model_new(X_test_norm).numpy(), pred_test.numpy())
    if pytorch is not None:                 # torch.load reads the file as the book's code does
        theirs = pytorch.load(path)
        np.testing.assert_array_equal(theirs["layer1.weight"].numpy(),
                                      model.layer1.weight.numpy())


@needs_torch
def test_the_iris_model_s_loss_gradients_and_adam_steps_are_pytorch_s():
    X_train, y_train, _, _ = iris_like(1)
    x = ((X_train - X_train.mean()) / X_train.std()).astype(np.float32)[:20]
    y = y_train[:20]
    torch.manual_seed(0)
    ours = IrisModel(4, 16, 3)
    theirs = pytorch.nn.Sequential()
    theirs.layer1 = pytorch.nn.Linear(4, 16)
    theirs.sig = pytorch.nn.Sigmoid()
    theirs.layer2 = pytorch.nn.Linear(16, 3)
    theirs.soft = pytorch.nn.Softmax(dim=1)
    theirs.load_state_dict(torch_twin(ours))
    opt_ours = nn.optim.Adam(ours.parameters(), lr=0.01)
    opt_theirs = pytorch.optim.Adam(theirs.parameters(), lr=0.01)
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # (the softmax-before-cross-entropy note)
            loss = nn.CrossEntropyLoss()(ours(torch.from_numpy(x)), torch.from_numpy(y))
        their_loss = pytorch.nn.CrossEntropyLoss()(theirs(pytorch.from_numpy(x)),
                                                   pytorch.from_numpy(y))
        np.testing.assert_allclose(loss.item(), their_loss.item(), rtol=1e-6)
        loss.backward()
        their_loss.backward()
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-7,
                                       err_msg=name)
        opt_ours.step(), opt_theirs.step()
        opt_ours.zero_grad(), opt_theirs.zero_grad()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), atol=1e-6)


# -- chapter 13: autograd, penalties, XOR, custom layers -----------------------------------------

def test_autograd_grad_requires_grad_and_xavier_init():
    w = torch.tensor(1.0, requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)
    x, y = torch.tensor([1.4]), torch.tensor([2.1])
    z = torch.add(torch.mul(w, x), b)
    loss = (y - z).pow(2).sum()
    grad_w, grad_b = torch.autograd.grad(loss, [w, b])
    # by hand: dL/dw = 2 x (w x + b - y), dL/db = 2 (w x + b - y)
    assert float(grad_w) == pytest.approx(2 * 1.4 * (1.4 + 0.5 - 2.1), rel=1e-6)
    assert float(grad_b) == pytest.approx(2 * (1.4 + 0.5 - 2.1), rel=1e-6)
    assert w.grad is None                   # autograd.grad leaves .grad alone, as PyTorch's
    loss = (y - torch.add(torch.mul(w, x), b)).pow(2).sum()
    loss.backward()
    assert float(w.grad) == pytest.approx(float(grad_w))

    t = torch.tensor([1.0, 2.0, 3.0])
    assert not t.requires_grad and t.requires_grad_() is t and t.requires_grad
    torch.manual_seed(1)
    big = torch.empty(200, 300)
    nn.init.xavier_normal_(big)
    assert np.std(big.numpy()) == pytest.approx(np.sqrt(2 / (200 + 300)), rel=0.02)
    big_u = torch.empty(200, 300)
    nn.init.xavier_uniform_(big_u)
    assert np.abs(big_u.numpy()).max() <= np.sqrt(6 / 500)

    class LooseWeights(nn.Module):          # the book's: a tensor that requires grad, no Parameter
        def __init__(self):
            super().__init__()
            self.w1 = torch.empty(2, 3, requires_grad=True)
    with pytest.raises(TypeError, match=r"not a parameter.*nn\.Parameter"):
        LooseWeights()

    class NoisyLinearAsBook(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.b = nn.Parameter(torch.Tensor(n_out).fill_(0))    # PyTorch: a vector of n_out
    with pytest.raises(TypeError, match=r"torch\.Tensor\(n\), an uninitialised vector of n"
                                        r".*autograd\.zeros\(n\)"):
        NoisyLinearAsBook(4, 2)
    with pytest.raises(TypeError, match=r"autograd\.empty\(4, 2\)"):
        torch.Tensor(4, 2)


class Affine(nn.Module):
    """w x + b by hand, with PyTorch's (out, in) weight layout, to compare with nn.Linear."""
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))
        nn.init.xavier_normal_(self.weight)

    def forward(self, x):
        return torch.matmul(x, torch.transpose(self.weight, 0, 1)) + self.bias


def test_a_hand_written_affine_layer_is_nn_linear_and_penalties_add_to_its_gradient():
    torch.manual_seed(3)
    by_hand, linear = Affine(4, 3), nn.Linear(4, 3)
    linear.load_state_dict(by_hand.state_dict())
    x = torch.randn(5, 4)
    np.testing.assert_allclose(by_hand(x).numpy(), linear(x).numpy(), rtol=1e-6, atol=1e-7)
    l1, l2 = 0.01, 0.02
    for model in (by_hand, linear):
        loss = (model(x) ** 2).mean()
        loss = loss + l1 * torch.abs(model.weight).sum() + l2 * (model.weight ** 2).sum()
        loss.backward()
    np.testing.assert_allclose(by_hand.weight.grad, linear.weight.grad, rtol=1e-5, atol=1e-7)
    # the penalties' own share of the gradient: l1 sign(w) + 2 l2 w
    plain = Affine(4, 3)
    plain.load_state_dict(linear.state_dict())
    (plain(x) ** 2).mean().backward()
    w = linear.weight.numpy()
    np.testing.assert_allclose(linear.weight.grad - plain.weight.grad,
                               l1 * np.sign(w) + 2 * l2 * w, rtol=1e-5, atol=1e-7)


@needs_torch
def test_l1_l2_penalties_and_weight_decay_step_as_pytorch_s():
    torch.manual_seed(4)
    ours = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())
    theirs = pytorch.nn.Sequential(pytorch.nn.Linear(4, 16), pytorch.nn.ReLU(),
                                   pytorch.nn.Linear(16, 1), pytorch.nn.Sigmoid())
    theirs.load_state_dict(torch_twin(ours))
    x = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    opt_ours = nn.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    opt_theirs = pytorch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    for _ in range(3):
        losses = []
        for model, engine, opt in ((ours, torch, opt_ours), (theirs, pytorch, opt_theirs)):
            pred = model(engine.tensor(x))[:, 0]
            loss = nn.BCELoss()(pred, torch.tensor(y)) if engine is torch else \
                pytorch.nn.BCELoss()(pred, pytorch.tensor(y))
            loss = loss + 0.01 * model[2].weight.abs().sum()
            loss = loss + 0.01 * sum(p.pow(2.0).sum() for p in model.parameters())
            loss.backward()
            opt.step()
            opt.zero_grad()
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), atol=1e-6)


def xor_data():
    rng = np.random.default_rng(1)
    x = rng.uniform(low=-1, high=1, size=(200, 2))
    y = np.ones(len(x))
    y[x[:, 0] * x[:, 1] < 0] = 0
    return (torch.tensor(x[:100], dtype=torch.float32), torch.tensor(y[:100], dtype=torch.float32),
            torch.tensor(x[100:], dtype=torch.float32), torch.tensor(y[100:], dtype=torch.float32))


def train_xor(model, optimizer, epochs, seed=1, training_flag=False):
    """The book's train(): loss and accuracy per epoch for train and valid (the loss curves)."""
    x_train, y_train, x_valid, y_valid = xor_data()
    torch.manual_seed(seed)
    train_dl = DataLoader(TensorDataset(x_train, y_train), 4, shuffle=True)
    loss_fn = nn.BCELoss()
    hist = {"loss": [], "acc": [], "val_loss": [], "val_acc": []}
    for _ in range(epochs):
        model.train()
        loss_sum = acc_sum = 0.0
        for x_batch, y_batch in train_dl:
            pred = (model(x_batch, training=True) if training_flag else model(x_batch))[:, 0]
            loss = loss_fn(pred, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            loss_sum += loss.item() * y_batch.size(0)
            acc_sum += ((pred >= 0.5).float() == y_batch).float().sum().item()
        hist["loss"].append(loss_sum / 100)
        hist["acc"].append(acc_sum / 100)
        model.eval()
        with torch.no_grad():
            pred = model(x_valid)[:, 0]
            hist["val_loss"].append(loss_fn(pred, y_valid).item())
            hist["val_acc"].append(((pred >= 0.5).float() == y_valid).float().mean().item())
    return hist


def test_the_xor_classifier_with_two_hidden_layers_learns_from_a_fixed_seed():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(),
                          nn.Linear(4, 1), nn.Sigmoid())
    hist = train_xor(model, nn.optim.Adam(model.parameters(), lr=0.02), epochs=60)
    x_train, y_train = xor_data()[:2]
    with torch.no_grad():
        train_accuracy = ((model(x_train)[:, 0] >= 0.5).float() == y_train).float().mean()
    assert float(train_accuracy) >= 0.95 and hist["val_acc"][-1] >= 0.9
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    torch.manual_seed(1)                    # the same seed: the same weights and the same run
    again = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(),
                          nn.Linear(4, 1), nn.Sigmoid())
    assert train_xor(again, nn.optim.Adam(again.parameters(), lr=0.02), epochs=3)["loss"] == \
        hist["loss"][:3]


class XorModuleList(nn.Module):
    def __init__(self):
        super().__init__()
        layers = [nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1),
                  nn.Sigmoid()]
        self.module_list = nn.ModuleList(layers)

    def forward(self, x):
        for f in self.module_list:
            x = f(x)
        return x

    def predict(self, x):
        x = torch.tensor(x, dtype=torch.float32)
        return (self.forward(x)[:, 0] >= 0.5).float()


def test_modulelist_and_a_keras_like_sequential_built_with_add_module():
    torch.manual_seed(1)
    model = XorModuleList()
    assert [n for n, _ in model.named_parameters()][:2] == ["module_list.0.weight",
                                                            "module_list.0.bias"]
    hist = train_xor(model, nn.optim.Adam(model.parameters(), lr=0.02), epochs=60)
    assert hist["acc"][-1] >= 0.9
    x_valid = xor_data()[2].numpy()
    assert model.predict(x_valid[:5]).shape == (5,)

    keras_like = nn.Sequential()
    keras_like.add_module("fc1", nn.Linear(2, 4))
    keras_like.add_module("relu1", nn.ReLU())
    keras_like.add_module("fc2", nn.Linear(4, 1))
    keras_like.add_module("sigmoid", nn.Sigmoid())
    assert keras_like.fc1 is keras_like[0]
    assert list(keras_like.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert "(fc1): Linear(in_features=2, out_features=4, bias=True)" in repr(keras_like)
    assert keras_like(torch.ones(3, 2)).shape == (3, 1)


class NoisyLinear(nn.Module):
    """The book's noisy layer: Gaussian noise on the input while training only."""
    def __init__(self, input_size, output_size, noise_stddev=0.1):
        super().__init__()
        self.w = nn.Parameter(torch.empty(input_size, output_size))
        nn.init.xavier_uniform_(self.w)
        self.b = nn.Parameter(torch.zeros(output_size))
        self.noise_stddev = noise_stddev

    def forward(self, x, training=False):
        if training:
            noise = torch.normal(0.0, self.noise_stddev, (x.shape[0], x.shape[1]))
            x = torch.add(x, noise)
        return torch.add(torch.mm(x, self.w), self.b)


class GaussianNoise(nn.Module):
    """The same idea through the module's own mode: self.training."""
    def __init__(self, std):
        super().__init__()
        self.std = std

    def forward(self, x):
        return x + torch.randn_like(x) * self.std if self.training else x


class NoisyXor(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = NoisyLinear(2, 4, 0.07)
        self.rest = nn.Sequential(nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1),
                                  nn.Sigmoid())

    def forward(self, x, training=False):
        return self.rest(self.l1(x, training))


def test_noise_layers_add_noise_only_while_training_and_the_noisy_xor_net_learns():
    torch.manual_seed(1)
    layer = NoisyLinear(4, 2)
    x = torch.zeros((1, 4))
    noisy = [layer(x, training=True).numpy() for _ in range(2)]
    assert not np.array_equal(noisy[0], noisy[1])
    np.testing.assert_array_equal(layer(x).numpy(), np.zeros((1, 2)))
    net = nn.Sequential(nn.Linear(2, 3), GaussianNoise(0.5))
    x = torch.ones(2, 2)
    assert not np.array_equal(net(x).numpy(), net(x).numpy())
    net.eval()
    np.testing.assert_array_equal(net(x).numpy(), net(x).numpy())
    out = net(x)
    out.sum().backward()                    # the gradient passes the noise layer
    assert net[0].weight.grad is not None
    torch.manual_seed(1)
    model = NoisyXor()
    hist = train_xor(model, nn.optim.Adam(model.parameters(), lr=0.02), epochs=60,
                     training_flag=True)
    assert hist["val_acc"][-1] >= 0.9


# -- chapter 13: the fuel-efficiency regression --------------------------------------------------

COLUMNS = ["MPG", "Cylinders", "Displacement", "Horsepower", "Weight", "Acceleration",
           "Model Year", "Origin"]
NUMERIC = ["Cylinders", "Displacement", "Horsepower", "Weight", "Acceleration"]


def write_auto_table(path, n=200):
    rng = np.random.default_rng(3)
    cylinders = rng.choice([4, 6, 8], n)
    displacement = cylinders * 40 + rng.normal(0, 20, n)
    horsepower = displacement * 0.5 + rng.normal(0, 10, n)
    weight = 1500 + displacement * 6 + rng.normal(0, 150, n)
    acceleration = 20 - horsepower * 0.04 + rng.normal(0, 1, n)
    year = rng.integers(70, 83, n)
    origin = rng.integers(1, 4, n)
    mpg = 45 - weight * 0.006 + (year - 70) * 0.7 + (origin == 3) * 2 + rng.normal(0, 1.5, n)
    pd.DataFrame(dict(zip(COLUMNS, [mpg, cylinders.astype(float), displacement, horsepower,
                                    weight, acceleration, year, origin]))
                 ).to_csv(path, index=False)


def features(df, train_stats, total_origin):
    """The book's preprocessing: numeric columns standardised by the training statistics,
    the model year bucketized, the origin one-hot."""
    df = df.copy()
    for name in NUMERIC:
        df[name] = (df[name] - train_stats.loc[name, "mean"]) / train_stats.loc[name, "std"]
    boundaries = torch.tensor([73, 76, 79])
    v = torch.tensor(df["Model Year"].values)
    df["Model Year Bucketed"] = torch.bucketize(v, boundaries, right=True)
    origin_encoded = one_hot(torch.from_numpy(df["Origin"].values) % total_origin)
    numeric = torch.tensor(df[NUMERIC + ["Model Year Bucketed"]].values)
    return torch.cat([numeric, origin_encoded], 1).float(), torch.tensor(df["MPG"].values).float()


def test_the_fuel_efficiency_regression_from_a_table(tmp_path):
    write_auto_table(tmp_path / "auto-mpg.csv")
    df = pd.read_csv(tmp_path / "auto-mpg.csv")
    df_train, df_test = df.iloc[:160], df.iloc[160:]
    train_stats = df_train.describe().transpose()
    total_origin = len(set(df_train["Origin"]))
    x_train, y_train = features(df_train, train_stats, total_origin)
    x_test, y_test = features(df_test, train_stats, total_origin)
    assert x_train.shape == (160, 9) and x_train.dtype == np.float32
    np.testing.assert_allclose(x_train.numpy()[:, :5].mean(axis=0), 0, atol=1e-5)
    buckets = x_train.numpy()[:, 5]
    years = df_train["Model Year"].values
    np.testing.assert_array_equal(buckets, np.searchsorted([73, 76, 79], years, side="right"))
    np.testing.assert_array_equal(x_train.numpy()[:, 6:].sum(axis=1), 1)

    torch.manual_seed(1)
    train_dl = DataLoader(TensorDataset(x_train, y_train), 8, shuffle=True)
    layers, size = [], x_train.shape[1]
    for hidden in [8, 4]:
        layers += [nn.Linear(size, hidden), nn.ReLU()]
        size = hidden
    model = nn.Sequential(*layers, nn.Linear(size, 1))
    loss_fn = nn.MSELoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.001)
    epoch_losses = []
    for epoch in range(60):
        total = 0
        for x_batch, y_batch in train_dl:
            pred = model(x_batch)[:, 0]
            loss = loss_fn(pred, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            total += loss.item()
        epoch_losses.append(total / len(train_dl))
    assert epoch_losses[-1] < 10 < 100 < epoch_losses[0]
    with torch.no_grad():
        pred = model(x_test)[:, 0]
        mae = nn.L1Loss()(pred, y_test).item()
    assert mae < 2.5 < float(np.abs(y_test.numpy() - y_train.numpy().mean()).mean())


@needs_torch
def test_bucketize_one_hot_and_the_regressor_s_step_are_pytorch_s():
    values = np.array([70, 72, 73, 75, 76, 78, 79, 82])
    for right in (False, True):
        ours = torch.bucketize(torch.tensor(values), torch.tensor([73, 76, 79]), right=right)
        theirs = pytorch.bucketize(pytorch.tensor(values), pytorch.tensor([73, 76, 79]),
                                   right=right)
        assert ours.tolist() == theirs.tolist() and ours.dtype == np.int64
    codes = np.array([1, 3, 2, 3]) % 3
    assert one_hot(torch.from_numpy(codes)).tolist() == \
        pytorch.nn.functional.one_hot(pytorch.from_numpy(codes)).tolist()
    torch.manual_seed(2)
    ours = nn.Sequential(nn.Linear(9, 8), nn.ReLU(), nn.Linear(8, 1))
    theirs = pytorch.nn.Sequential(pytorch.nn.Linear(9, 8), pytorch.nn.ReLU(),
                                   pytorch.nn.Linear(8, 1))
    theirs.load_state_dict(torch_twin(ours))
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((16, 9)).astype(np.float32), rng.normal(20, 5, 16).astype(np.float32)
    loss = nn.MSELoss()(ours(torch.from_numpy(x))[:, 0], torch.from_numpy(y))
    their_loss = pytorch.nn.MSELoss()(theirs(pytorch.from_numpy(x))[:, 0], pytorch.from_numpy(y))
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-6)
    loss.backward()
    their_loss.backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-5)


# -- chapter 14: CNNs ------------------------------------------------------------------------------

def digits_cnn():
    model = nn.Sequential()
    model.add_module("conv1", nn.Conv2d(in_channels=1, out_channels=4, kernel_size=5, padding=2))
    model.add_module("relu1", nn.ReLU())
    model.add_module("pool1", nn.MaxPool2d(kernel_size=2))
    model.add_module("conv2", nn.Conv2d(in_channels=4, out_channels=8, kernel_size=5, padding=2))
    model.add_module("relu2", nn.ReLU())
    model.add_module("pool2", nn.MaxPool2d(kernel_size=2))
    model.add_module("flatten", nn.Flatten())
    model.add_module("fc1", nn.Linear(8 * 7 * 7, 32))
    model.add_module("relu3", nn.ReLU())
    model.add_module("dropout", nn.Dropout(p=0.5))
    model.add_module("fc2", nn.Linear(32, 10))
    return model


def stroke_digits(n, seed):
    """28x28 'digits': class k is a bright bar at row 2 + 2k (a little noise and jitter)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = rng.uniform(0, 0.2, (n, 1, 28, 28)).astype(np.float32)
    for i, k in enumerate(y):
        row, col = 3 + 2 * k + rng.integers(0, 2), rng.integers(2, 8)
        x[i, 0, row:row + 2, col:col + 16] = 1.0
    return torch.from_numpy(x), torch.from_numpy(y)


def test_a_digits_cnn_with_padding_pooling_dropout_and_flatten_learns():
    torch.manual_seed(1)
    model = digits_cnn()
    assert model[:6](torch.ones((4, 1, 28, 28))).shape == (4, 8, 7, 7)
    x_train, y_train = stroke_digits(200, 0)
    x_valid, y_valid = stroke_digits(100, 1)
    train_dl = DataLoader(TensorDataset(x_train, y_train), 32, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.003)
    for epoch in range(6):
        model.train()
        for x_batch, y_batch in train_dl:
            loss = loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    model.eval()
    with torch.no_grad():
        pred = model(x_valid)
        again = model(x_valid)              # eval: dropout is off, the same numbers
    np.testing.assert_array_equal(pred.numpy(), again.numpy())
    accuracy = (torch.argmax(pred, dim=1) == y_valid).float().mean().item()
    assert accuracy >= 0.9


@needs_torch
def test_the_digits_cnn_s_loss_and_gradients_are_pytorch_s():
    torch.manual_seed(2)
    ours = digits_cnn()
    ours.eval()                             # (dropout's masks differ between the engines)
    T = pytorch.nn
    theirs = T.Sequential(T.Conv2d(1, 4, 5, padding=2), T.ReLU(), T.MaxPool2d(2),
                          T.Conv2d(4, 8, 5, padding=2), T.ReLU(), T.MaxPool2d(2), T.Flatten(),
                          T.Linear(392, 32), T.ReLU(), T.Dropout(0.5), T.Linear(32, 10)).eval()
    theirs.load_state_dict({k.replace("conv1", "0").replace("conv2", "3").replace("fc1", "7")
                            .replace("fc2", "10"): v for k, v in torch_twin(ours).items()})
    x, y = stroke_digits(8, 3)
    loss = nn.CrossEntropyLoss()(ours(x), y)
    their_loss = T.CrossEntropyLoss()(theirs(pytorch.from_numpy(x.numpy())),
                                      pytorch.from_numpy(y.numpy()))
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    loss.backward()
    their_loss.backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-3,
                                   atol=1e-5 * float(q.grad.abs().max()))


class SmileImages(Dataset):
    """Small 3-channel faces: a bright band where a smile would be for label 1; each read is
    augmented by tensor ops (a random 28x28 crop by slicing, a horizontal flip by torch.flip,
    brightness by add and clamp)."""
    def __init__(self, images, labels, augment):
        self.images, self.labels, self.augment = images, labels, augment

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = torch.from_numpy(self.images[i])
        if not self.augment:
            return img[:, 2:30, 2:30], self.labels[i]
        top, left = torch.randint(0, 5, (2,)).tolist()
        img = img[:, top:top + 28, left:left + 28]
        if torch.rand(1).item() < 0.5:
            img = torch.flip(img, dims=[2])
        img = torch.clamp(img + (torch.rand(1) - 0.5) * 0.2, 0, 1)
        return img, self.labels[i]


def smiles(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 0.5, (n, 3, 32, 32)).astype(np.float32)
    labels = rng.integers(0, 2, n)
    images[labels == 1, :, 20:23, 8:24] += 0.5
    return images, labels.astype(np.float32)


def smile_cnn(sigmoid):
    model = nn.Sequential()
    model.add_module("conv1", nn.Conv2d(3, 8, kernel_size=3, padding=1))
    model.add_module("relu1", nn.ReLU())
    model.add_module("pool1", nn.MaxPool2d(kernel_size=2))
    model.add_module("dropout1", nn.Dropout(p=0.2))
    model.add_module("conv2", nn.Conv2d(8, 16, kernel_size=3, padding=1))
    model.add_module("relu2", nn.ReLU())
    model.add_module("pool2", nn.MaxPool2d(kernel_size=2))
    model.add_module("pool3", nn.AvgPool2d(kernel_size=7))         # global: (N, 16, 1, 1)
    model.add_module("flatten", nn.Flatten())
    model.add_module("fc", nn.Linear(16, 1))
    if sigmoid:
        model.add_module("sigmoid", nn.Sigmoid())
    return model


def test_the_augmentations_are_tensor_ops_that_keep_shape_and_range():
    images, labels = smiles(4, 0)
    torch.manual_seed(0)
    ds = SmileImages(images, labels, augment=True)
    views = [ds[0][0].numpy() for _ in range(8)]
    assert all(v.shape == (3, 28, 28) and 0 <= v.min() and v.max() <= 1 for v in views)
    assert len({v.tobytes() for v in views}) > 1
    img = torch.from_numpy(images[0])
    np.testing.assert_array_equal(torch.flip(img, dims=[2]).numpy(), images[0][:, :, ::-1])
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 3, 28, 28) and yb.shape == (4,)


@pytest.mark.parametrize("sigmoid", [False, True], ids=["BCEWithLogitsLoss", "Sigmoid+BCELoss"])
def test_the_smile_classifier_learns_from_augmented_images(sigmoid):
    images, labels = smiles(96, 1)
    valid_images, valid_labels = smiles(64, 2)
    torch.manual_seed(1)
    train_dl = DataLoader(SmileImages(images, labels, augment=True), 16, shuffle=True)
    x_valid, y_valid = next(iter(DataLoader(SmileImages(valid_images, valid_labels, False), 64)))
    model = smile_cnn(sigmoid)
    loss_fn = nn.BCELoss() if sigmoid else nn.BCEWithLogitsLoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(12):
        model.train()
        for x_batch, y_batch in train_dl:
            pred = model(x_batch)[:, 0]
            loss = loss_fn(pred, y_batch.float())
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    model.eval()
    with torch.no_grad():
        pred = model(x_valid)[:, 0]
    threshold = 0.5 if sigmoid else 0.0
    accuracy = ((pred >= threshold).float() == y_valid).float().mean().item()
    assert accuracy >= 0.9


@needs_torch
def test_global_average_pooling_and_both_binary_losses_are_pytorch_s():
    torch.manual_seed(3)
    ours = smile_cnn(sigmoid=False).eval()
    T = pytorch.nn
    theirs = T.Sequential(T.Conv2d(3, 8, 3, padding=1), T.ReLU(), T.MaxPool2d(2), T.Dropout(0.2),
                          T.Conv2d(8, 16, 3, padding=1), T.ReLU(), T.MaxPool2d(2),
                          T.AvgPool2d(7), T.Flatten(), T.Linear(16, 1)).eval()
    theirs.load_state_dict({k.replace("conv1", "0").replace("conv2", "4").replace("fc", "9"): v
                            for k, v in torch_twin(ours).items()})
    images, labels = smiles(6, 4)
    x = images[:, :, 2:30, 2:30].copy()
    logits, their_logits = ours(torch.from_numpy(x))[:, 0], theirs(pytorch.from_numpy(x))[:, 0]
    np.testing.assert_allclose(logits.numpy(), their_logits.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    y, their_y = torch.from_numpy(labels), pytorch.from_numpy(labels)
    pairs = [(nn.BCEWithLogitsLoss()(logits, y), T.BCEWithLogitsLoss()(their_logits, their_y)),
             (nn.BCELoss()(nn.Sigmoid()(logits), y),
              T.BCELoss()(T.Sigmoid()(their_logits), their_y))]
    for loss, their_loss in pairs:
        assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    (pairs[0][0] + pairs[1][0]).backward()
    (pairs[0][1] + pairs[1][1]).backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4,
                                   atol=1e-5 * float(q.grad.abs().max()))


# -- chapter 15: RNNs -----------------------------------------------------------------------------

def test_an_rnn_by_hand_gives_the_rnn_module_s_outputs():
    torch.manual_seed(1)
    rnn_layer = nn.RNN(input_size=5, hidden_size=2, num_layers=1, batch_first=True)
    w_xh, w_hh = rnn_layer.weight_ih_l0, rnn_layer.weight_hh_l0
    b_xh, b_hh = rnn_layer.bias_ih_l0, rnn_layer.bias_hh_l0
    assert (w_xh.shape, w_hh.shape, b_xh.shape, b_hh.shape) == ((2, 5), (2, 2), (2,), (2,))
    x_seq = torch.tensor([[1.0] * 5, [2.0] * 5, [3.0] * 5]).float()
    output, hn = rnn_layer(torch.reshape(x_seq, (1, 3, 5)))
    out_man = []
    for t in range(3):
        xt = torch.reshape(x_seq[t], (1, 5))
        ht = torch.matmul(xt, torch.transpose(w_xh, 0, 1)) + b_xh
        prev_h = out_man[t - 1] if t > 0 else torch.zeros(ht.shape)
        ot = torch.tanh(ht + torch.matmul(prev_h, torch.transpose(w_hh, 0, 1)) + b_hh)
        out_man.append(ot)
        np.testing.assert_allclose(ot.detach().numpy(), output[:, t].detach().numpy(),
                                   rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hn[0].detach().numpy(), out_man[-1].detach().numpy(), atol=1e-7)
    if pytorch is not None:
        theirs = pytorch.nn.RNN(5, 2, batch_first=True)
        theirs.load_state_dict(torch_twin(rnn_layer))
        their_out, _ = theirs(pytorch.from_numpy(x_seq.numpy().reshape(1, 3, 5)))
        np.testing.assert_allclose(output.numpy(), their_out.detach().numpy(), atol=1e-6)


POSITIVE = ["great", "good", "fun", "love", "excellent", "wonderful"]
NEGATIVE = ["bad", "awful", "boring", "hate", "terrible", "worst"]
FILLER = ["the", "movie", "was", "a", "plot", "and", "i", "it", "acting", "film"]


def reviews(n, seed):
    rng = np.random.default_rng(seed)
    data = []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        words = list(rng.choice(FILLER, rng.integers(3, 10)))
        for _ in range(rng.integers(1, 3)):
            words.insert(rng.integers(0, len(words) + 1),
                         rng.choice(POSITIVE if label else NEGATIVE))
        data.append((label, "<br />" + " ".join(words)))
    return data


def tokenizer(text):
    return re.sub("<[^>]*>", "", text).lower().split()


def build_vocab(dataset):
    token_counts = Counter()
    for _, line in dataset:
        token_counts.update(tokenizer(line))
    vocab = {"<pad>": 0, "<unk>": 1}
    for word, _ in sorted(token_counts.items(), key=lambda x: x[1], reverse=True):
        vocab[word] = len(vocab)
    return vocab


def collate_with(vocab):
    def collate_batch(batch):
        label_list, text_list, lengths = [], [], []
        for label, text in batch:
            label_list.append(float(label))
            processed = torch.tensor([vocab.get(tok, 1) for tok in tokenizer(text)],
                                     dtype=torch.int64)
            text_list.append(processed)
            lengths.append(processed.size(0))
        padded = nn.utils.rnn.pad_sequence(text_list, batch_first=True)
        return padded, torch.tensor(label_list), torch.tensor(lengths)
    return collate_batch


class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, embed_dim, rnn_hidden_size, fc_hidden_size,
                 bidirectional=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.LSTM(embed_dim, rnn_hidden_size, batch_first=True,
                           bidirectional=bidirectional)
        self.fc1 = nn.Linear(rnn_hidden_size * (2 if bidirectional else 1), fc_hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(fc_hidden_size, 1)
        self.sigmoid = nn.Sigmoid()
        self.bidirectional = bidirectional

    def forward(self, text, lengths):
        out = self.embedding(text)
        out = nn.utils.rnn.pack_padded_sequence(out, lengths.cpu().numpy(),
                                                enforce_sorted=False, batch_first=True)
        out, (hidden, cell) = self.rnn(out)
        if self.bidirectional:
            out = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
        else:
            out = hidden[-1, :, :]
        return self.sigmoid(self.fc2(self.relu(self.fc1(out))))


@pytest.mark.parametrize("bidirectional", [False, True], ids=["LSTM", "bidirectional"])
def test_the_sentiment_lstm_learns_over_padded_packed_batches(bidirectional):
    train_dataset, valid_dataset = reviews(160, 0), reviews(60, 1)
    vocab = build_vocab(train_dataset)
    collate_batch = collate_with(vocab)
    text_batch, label_batch, length_batch = collate_batch(train_dataset[:4])
    assert text_batch.shape == (4, int(length_batch.max())) and text_batch.dtype == np.int64
    for row, n in zip(text_batch.tolist(), length_batch.tolist()):
        assert all(t != 0 for t in row[:n]) and all(t == 0 for t in row[n:])
    torch.manual_seed(1)
    train_dl = DataLoader(train_dataset, batch_size=16, shuffle=True, collate_fn=collate_batch)
    valid_dl = DataLoader(valid_dataset, batch_size=16, shuffle=False, collate_fn=collate_batch)
    model = SentimentRNN(len(vocab), 12, 16, 8, bidirectional)
    loss_fn = nn.BCELoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(8):
        model.train()
        for text_batch, label_batch, lengths in train_dl:
            optimizer.zero_grad()
            pred = model(text_batch, lengths)[:, 0]
            loss = loss_fn(pred, label_batch)
            loss.backward()
            optimizer.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for text_batch, label_batch, lengths in valid_dl:
            pred = model(text_batch, lengths)[:, 0]
            correct += ((pred >= 0.5).float() == label_batch).float().sum().item()
    assert correct / len(valid_dataset) >= 0.9
    np.testing.assert_array_equal(model.embedding.weight.grad[0], 0)   # padding_idx: no update


@needs_torch
def test_the_packed_lstm_classifier_s_outputs_and_gradients_are_pytorch_s():
    data = reviews(6, 2)
    vocab = build_vocab(data)
    text, labels, lengths = collate_with(vocab)(data)
    torch.manual_seed(5)
    ours = SentimentRNN(len(vocab), 6, 5, 4, bidirectional=True)

    class Theirs(pytorch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = pytorch.nn.Embedding(len(vocab), 6, padding_idx=0)
            self.rnn = pytorch.nn.LSTM(6, 5, batch_first=True, bidirectional=True)
            self.fc1, self.fc2 = pytorch.nn.Linear(10, 4), pytorch.nn.Linear(4, 1)

        def forward(self, text, lengths):
            out = pytorch.nn.utils.rnn.pack_padded_sequence(
                self.embedding(text), lengths, enforce_sorted=False, batch_first=True)
            _, (hidden, _) = self.rnn(out)
            out = pytorch.cat((hidden[-2], hidden[-1]), dim=1)
            return pytorch.sigmoid(self.fc2(pytorch.relu(self.fc1(out))))
    theirs = Theirs()
    theirs.load_state_dict(torch_twin(ours))
    pred = ours(text, lengths)[:, 0]
    their_pred = theirs(pytorch.from_numpy(text.numpy()), pytorch.from_numpy(lengths.numpy()))
    np.testing.assert_allclose(pred.numpy(), their_pred[:, 0].detach().numpy(), atol=1e-6)
    loss = nn.BCELoss()(pred, labels)
    their_loss = pytorch.nn.BCELoss()(their_pred[:, 0], pytorch.from_numpy(labels.numpy()))
    loss.backward()
    their_loss.backward()
    theirs_by_name = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        q = theirs_by_name[name].grad.numpy()
        np.testing.assert_allclose(p.grad, q, rtol=1e-4, atol=1e-6 * max(1, np.abs(q).max()),
                                   err_msg=name)


class CharRNN(nn.Module):
    def __init__(self, vocab_size, embed_dim, rnn_hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn_hidden_size = rnn_hidden_size
        self.rnn = nn.LSTM(embed_dim, rnn_hidden_size, batch_first=True)
        self.fc = nn.Linear(rnn_hidden_size, vocab_size)

    def forward(self, x, hidden, cell):
        out = self.embedding(x).unsqueeze(1)
        out, (hidden, cell) = self.rnn(out, (hidden, cell))
        out = self.fc(out).reshape(out.size(0), -1)
        return out, hidden, cell

    def init_hidden(self, batch_size):
        hidden = torch.zeros(1, batch_size, self.rnn_hidden_size)
        cell = torch.zeros(1, batch_size, self.rnn_hidden_size)
        return hidden.to("cpu"), cell.to("cpu")


class TextDataset(Dataset):
    def __init__(self, text_chunks):
        self.text_chunks = text_chunks

    def __len__(self):
        return len(self.text_chunks)

    def __getitem__(self, idx):
        chunk = self.text_chunks[idx]
        return chunk[:-1].long(), chunk[1:].long()


TEXT = "the island of mystery. the engineer looked at the sea and the island. " * 6


def test_the_character_level_lstm_learns_the_text_and_samples_with_a_temperature():
    chars_sorted = sorted(set(TEXT))
    char2int = {ch: i for i, ch in enumerate(chars_sorted)}
    char_array = np.array(chars_sorted)
    text_encoded = np.array([char2int[ch] for ch in TEXT], dtype=np.int32)
    seq_length = 12
    chunks = [text_encoded[i:i + seq_length + 1] for i in range(len(text_encoded) - seq_length)]
    seq_dataset = TextDataset(torch.tensor(np.array(chunks)))
    seq, target = seq_dataset[0]
    assert "".join(char_array[seq]) == TEXT[:seq_length]
    assert "".join(char_array[target]) == TEXT[1:seq_length + 1]
    torch.manual_seed(1)
    seq_dl = DataLoader(seq_dataset, batch_size=32, shuffle=True, drop_last=True)
    model = CharRNN(len(char_array), 16, 48)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for epoch in range(80):
        hidden, cell = model.init_hidden(32)
        seq_batch, target_batch = next(iter(seq_dl))
        optimizer.zero_grad()
        loss = 0
        for c in range(seq_length):
            pred, hidden, cell = model(seq_batch[:, c], hidden, cell)
            loss += loss_fn(pred, target_batch[:, c])
        loss.backward()
        optimizer.step()
        losses.append(loss.item() / seq_length)
    assert losses[-1] < 0.6 < 2.5 < losses[0]

    def sample(starting_str, length=60, scale_factor=1.0):
        encoded = torch.reshape(torch.tensor([char2int[s] for s in starting_str]), (1, -1))
        generated = starting_str
        model.eval()
        hidden, cell = model.init_hidden(1)
        for c in range(len(starting_str) - 1):
            _, hidden, cell = model(encoded[:, c].view(1), hidden, cell)
        last_char = encoded[:, -1]
        for _ in range(length):
            logits, hidden, cell = model(last_char.view(1), hidden, cell)
            m = Categorical(logits=torch.squeeze(logits, 0) * scale_factor)
            last_char = m.sample()
            generated += str(char_array[last_char])
        return generated
    torch.manual_seed(1)
    cold = sample("the island", scale_factor=3.0)       # a low temperature: the text itself
    assert len(cold) == 70 and sum(w in TEXT.split() for w in cold.split()[:-1]) >= 8
    torch.manual_seed(1)
    assert sample("the island", scale_factor=3.0) == cold

    logits = torch.tensor([[1.0, 1.0, 3.0]])
    probabilities = nn.functional.softmax(logits, dim=1).numpy()[0]
    torch.manual_seed(1)
    draws = Categorical(logits=logits).sample((2000,))
    assert draws.shape == (2000, 1) and draws.dtype == np.int64
    np.testing.assert_allclose(np.bincount(draws.numpy()[:, 0], minlength=3) / 2000,
                               probabilities, atol=0.03)
    hot = Categorical(logits=logits * 0.1).probs.numpy()[0]     # a high temperature: flatter
    assert hot.max() - hot.min() < probabilities.max() - probabilities.min()


@needs_torch
def test_the_char_model_s_unrolled_loss_and_gradients_are_pytorch_s():
    torch.manual_seed(6)
    ours = CharRNN(9, 4, 6)

    class Theirs(pytorch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = pytorch.nn.Embedding(9, 4)
            self.rnn = pytorch.nn.LSTM(4, 6, batch_first=True)
            self.fc = pytorch.nn.Linear(6, 9)

        def forward(self, x, hidden, cell):
            out, (hidden, cell) = self.rnn(self.embedding(x).unsqueeze(1), (hidden, cell))
            return self.fc(out).reshape(out.size(0), -1), hidden, cell
    theirs = Theirs()
    theirs.load_state_dict(torch_twin(ours))
    rng = np.random.default_rng(0)
    seq, target = rng.integers(0, 9, (3, 5)), rng.integers(0, 9, (3, 5))
    losses = []
    for model, engine in ((ours, torch), (theirs, pytorch)):
        hidden, cell = engine.zeros(1, 3, 6), engine.zeros(1, 3, 6)
        loss = 0
        for c in range(5):
            pred, hidden, cell = model(engine.tensor(seq[:, c]), hidden, cell)
            loss += (nn.CrossEntropyLoss() if engine is torch else
                     pytorch.nn.CrossEntropyLoss())(pred, engine.tensor(target[:, c]))
        loss.backward()
        losses.append(loss.item())
        # the temperature-scaled sampling distribution of the last step
        scaled = pred[0] * 2.0
        dist = (Categorical if engine is torch else pytorch.distributions.Categorical)(
            logits=scaled)
        losses.append(dist.log_prob(engine.tensor(3)).item())
    assert losses[0] == pytest.approx(losses[2], rel=1e-6)
    assert losses[1] == pytest.approx(losses[3], rel=1e-5, abs=1e-6)
    theirs_by_name = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        q = theirs_by_name[name].grad.numpy()
        np.testing.assert_allclose(p.grad, q, rtol=1e-4, atol=1e-6 * max(1, np.abs(q).max()),
                                   err_msg=name)
