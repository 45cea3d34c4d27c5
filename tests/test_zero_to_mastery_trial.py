"""A user trial: a learner works through a "PyTorch zero to mastery" style beginner course,
chapters 00-04, with `import autograd as torch`, `import nn`, `import nn.optim as optim`:
tensor basics, the workflow (a hand-made linear regression module, training and testing loops,
saving and loading), classification (circles, blobs), computer vision (a FashionMNIST-like set
of 28x28 images read from IDX files, a flatten baseline, a TinyVGG) and a custom dataset of
images in class folders (.npy files and binary PPM images) with transforms.

Where PyTorch is installed the numbers are checked against it: from the same weights, the
same losses step by step (linear regression with L1Loss and SGD, the circles model with
BCEWithLogitsLoss, one TinyVGG step's loss and gradients with CrossEntropyLoss).

What the trial found and fixed: `torch.__version__` (the course's first cell) was missing;
`nn.save(obj=..., f=path)` and `nn.load(f=path)`, torch.save's and torch.load's keywords, were
unexpected keyword arguments; `DataLoader(dataset=train_data, batch_size=32)`, the course's way
of making every loader, was one too; scikit-learn's `random_state=` (its `train_test_split`,
`make_circles`, `make_blobs`) was refused by nn.data's versions, which say `seed=`; there was no
torchinfo-like `summary(model, input_size=...)`: now `nn.summary`. Left as they are (each with
an error that says what to write): `t.type(torch.LongTensor)` (write `t.long()`), a Conv2d on
one unbatched image (add the batch axis: the README says why), `torch.nn`/`torch.optim`/
`torch.save` after `import autograd as torch` (nn, nn.optim, nn.save).
"""

from __future__ import annotations

import os
import random
import re
import sys
from pathlib import Path
from timeit import default_timer as timer

import numpy as np
import pytest

import autograd as torch
import nn
import nn.optim as optim
from nn import functional as F
from nn.data import (DataLoader, Dataset, make_blobs, make_circles, read_idx, train_test_split,
                     write_idx)
from nn.metrics import confusion_matrix

from torch_helpers import needs_torch
from torch_helpers import torch as pytorch

ROOT = Path(__file__).resolve().parent.parent
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"       # the course's device line


def accuracy_fn(y_true, y_pred) -> float:
    """The course's accuracy in percent."""
    correct = torch.eq(y_true, y_pred).sum().item()
    return correct / len(y_pred) * 100


# -- 00 fundamentals ------------------------------------------------------------------------------

def test_version_is_the_release():
    text = (ROOT / "pyproject.toml").read_text()
    assert torch.__version__ == re.search(r'^version = "(.+)"', text, re.M).group(1)


def test_creating_tensors_and_their_attributes():
    scalar, vector = torch.tensor(7), torch.tensor([7, 7])
    assert (scalar.ndim, scalar.item(), vector.shape) == (0, 7, (2,))
    assert torch.tensor([[[1, 2, 3], [3, 6, 9], [2, 4, 5]]]).shape == (1, 3, 3)
    assert torch.rand(size=(224, 224, 3)).shape == (224, 224, 3)
    assert torch.zeros(size=(3, 4)).dtype == torch.float32 == torch.ones(3, 4).dtype
    zero_to_ten = torch.arange(start=0, end=10, step=1)
    assert zero_to_ten.dtype == torch.int64 and zero_to_ten.tolist() == list(range(10))
    assert torch.zeros_like(input=zero_to_ten).tolist() == [0] * 10
    assert torch.full((2, 3), 3.5).dtype == torch.float32 and torch.full((2,), 7).dtype == np.int64
    assert torch.randn(2, 3).dtype == torch.float32 and torch.rand_like(torch.ones(2)).shape == (2,)
    assert torch.arange(0, 1, 0.02).dtype == torch.float32
    f32 = torch.tensor([3.0, 6.0, 9.0], dtype=None, device=None, requires_grad=False)
    assert (f32.dtype, str(f32.device)) == (torch.float32, "cpu")
    f16 = f32.type(torch.float16)
    assert f16.dtype == torch.float16 and (f16 * f32).dtype == torch.float32
    assert (f32 * torch.tensor([3, 6, 9], dtype=torch.int32)).dtype == torch.float32
    assert f32.to(torch.float64).dtype == torch.float64
    assert f32.to(dtype=torch.half).dtype == np.float16
    with pytest.raises(AttributeError, match=r"y\.long\(\)"):
        torch.LongTensor
    with pytest.raises(ValueError, match=r"a @ b\.T"):
        torch.matmul(torch.rand(3, 2), torch.rand(3, 2))


def test_aggregation_and_shapes():
    x = torch.arange(0, 100, 10)
    assert (x.min().item(), torch.max(x).item(), x.sum().item()) == (0, 90, 450)
    assert x.mean().item() == 45.0                  # works on an int tensor (PyTorch refuses)
    assert torch.mean(x.type(torch.float32)).item() == 45.0
    assert (x.argmax().item(), x.argmin().item(), x[x.argmax()].item()) == (9, 0, 90)
    x = torch.arange(1., 8.)
    z = x.view(1, 7)
    z[:, 0] = 5
    assert x[0].item() == 5                          # a view shares the numbers
    assert torch.stack([x, x, x, x], dim=0).shape == (4, 7)
    assert torch.stack([x, x], dim=1).shape == (7, 2)
    assert x.reshape(1, 7).squeeze().shape == (7,) and x.unsqueeze(dim=1).shape == (7, 1)
    image = torch.rand(size=(224, 224, 3))
    permuted = image.permute(2, 0, 1)
    image[0, 0, 0] = 728218
    assert permuted.shape == (3, 224, 224) and permuted[0, 0, 0].item() == 728218
    x = torch.arange(1, 10).reshape(1, 3, 3)
    assert x[0][2][2].item() == 9 and x[:, :, 1].tolist() == [[2, 5, 8]]
    assert x[:, 1, 1].tolist() == [5] and x[0, 0, :].tolist() == [1, 2, 3]


def test_numpy_bridge_and_reproducibility():
    array = np.arange(1.0, 8.0)
    tensor = torch.from_numpy(array)
    assert tensor.dtype == torch.float64
    array += 1                                       # in place: the tensor sees it, as in PyTorch
    assert tensor[0].item() == 2.0
    array = array + 1                                # a new array: the tensor keeps the old one
    assert tensor[0].item() == 2.0
    ones = torch.ones(7)
    numpy_tensor = ones.numpy()
    assert numpy_tensor.dtype == np.float32
    ones.add_(1)
    assert numpy_tensor[0] == 2.0                     # .numpy() shares too
    torch.manual_seed(seed=42)
    c = torch.rand(3, 4)
    torch.manual_seed(seed=42)
    assert bool((c == torch.rand(3, 4)).all())
    assert DEVICE == "cpu" and torch.cuda.device_count() == 0
    on_device = torch.tensor([1, 2, 3]).to(DEVICE)
    assert on_device.cpu().numpy().tolist() == [1, 2, 3]


# -- 01 workflow ----------------------------------------------------------------------------------

class LinearRegressionModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))
        self.bias = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))

    def forward(self, x):
        return self.weights * x + self.bias


def regression_data():
    X = torch.arange(0, 1, 0.02).unsqueeze(dim=1)
    y = 0.7 * X + 0.3
    split = int(0.8 * len(X))
    return X[:split], y[:split], X[split:], y[split:]


def train_regression(model, loss_fn, optimizer, data, epochs):
    X_train, y_train, X_test, y_test = data
    train_losses, test_losses = [], []
    for _ in range(epochs):
        model.train()
        loss = loss_fn(model(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.inference_mode():
            test_loss = loss_fn(model(X_test), y_test.type(torch.float))
        train_losses.append(loss.detach().numpy())
        test_losses.append(test_loss.detach().numpy())
    return np.array(train_losses), np.array(test_losses)


def test_workflow_linear_regression_save_and_load(tmp_path):
    torch.manual_seed(42)
    model_0 = LinearRegressionModel()
    data = regression_data()
    with torch.inference_mode():
        assert not model_0(data[2]).requires_grad
    train_losses, test_losses = train_regression(
        model_0, nn.L1Loss(), optim.SGD(params=model_0.parameters(), lr=0.01), data, 300)
    assert train_losses[-1] < 0.01 and test_losses[-1] < 0.02 < test_losses[0]
    assert abs(model_0.weights.item() - 0.7) < 0.02 and abs(model_0.bias.item() - 0.3) < 0.02
    path = tmp_path / "models" / "01_pytorch_workflow_model_0.pth"
    path.parent.mkdir(parents=True, exist_ok=True)
    nn.save(obj=model_0.state_dict(), f=path)        # torch.save's keywords
    loaded = LinearRegressionModel()
    loaded.load_state_dict(nn.load(f=path))
    loaded.eval()
    with torch.inference_mode():
        assert bool((loaded(data[2]) == model_0(data[2])).all())

    class LinearRegressionModelV2(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear_layer = nn.Linear(in_features=1, out_features=1)

        def forward(self, x):
            return self.linear_layer(x)

    torch.manual_seed(42)
    model_1 = LinearRegressionModelV2().to(DEVICE)
    assert str(next(model_1.parameters()).device) == "cpu"
    train_regression(model_1, nn.L1Loss(), optim.SGD(model_1.parameters(), lr=0.01), data, 800)
    sd = model_1.state_dict()
    assert abs(sd["linear_layer.weight"].item() - 0.7) < 0.03
    assert abs(sd["linear_layer.bias"].item() - 0.3) < 0.03


@needs_torch
def test_workflow_losses_equal_pytorchs():
    torch.manual_seed(0)
    ours = LinearRegressionModel()

    class Theirs(pytorch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = pytorch.nn.Parameter(pytorch.tensor(ours.weights.data.copy()))
            self.bias = pytorch.nn.Parameter(pytorch.tensor(ours.bias.data.copy()))

        def forward(self, x):
            return self.weights * x + self.bias

    theirs = Theirs()
    data = regression_data()
    our_losses, _ = train_regression(ours, nn.L1Loss(), optim.SGD(ours.parameters(), lr=0.01),
                                     data, 150)
    X_train, y_train = (pytorch.from_numpy(t.numpy().copy()) for t in data[:2])
    sgd, their_losses = pytorch.optim.SGD(theirs.parameters(), lr=0.01), []
    for _ in range(150):
        loss = pytorch.nn.L1Loss()(theirs(X_train), y_train)
        sgd.zero_grad()
        loss.backward()
        sgd.step()
        their_losses.append(loss.item())
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-5, atol=1e-6)


# -- 02 classification ----------------------------------------------------------------------------

def circles(n=300, seed=42):
    """make_circles-like data made with numpy, as the course's are before sklearn."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.where(np.arange(n) % 2 == 0, 1.0, 0.6)
    X = np.stack([r * np.cos(t), r * np.sin(t)], 1) + rng.normal(0, 0.03, (n, 2))
    return (torch.from_numpy(X).type(torch.float),
            torch.from_numpy((np.arange(n) % 2 == 1).astype(int)).type(torch.float))


class CircleModelV2(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer_1 = nn.Linear(in_features=2, out_features=10)
        self.layer_2 = nn.Linear(in_features=10, out_features=10)
        self.layer_3 = nn.Linear(in_features=10, out_features=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x)))))


def plot_decision_boundary(model, X, y):
    """The course's helper without the plotting: the predicted class on a 101x101 grid."""
    x_min, x_max = X[:, 0].min().item() - 0.1, X[:, 0].max().item() + 0.1
    y_min, y_max = X[:, 1].min().item() - 0.1, X[:, 1].max().item() + 0.1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, 101), np.linspace(y_min, y_max, 101))
    grid = torch.from_numpy(np.column_stack((xx.ravel(), yy.ravel()))).float()
    model.eval()
    with torch.inference_mode():
        logits = model(grid)
    if len(torch.unique(y)) > 2:
        pred = torch.softmax(logits, dim=1).argmax(dim=1)
    else:
        pred = torch.round(torch.sigmoid(logits))
    return xx, yy, pred.reshape(xx.shape).detach().numpy()


def test_binary_classification_with_relu_learns_circles():
    X, y = circles()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    again = train_test_split(X, y, test_size=0.2, seed=42)
    assert bool((again[0] == X_train).all())         # scikit-learn's name is the same seed
    torch.manual_seed(42)
    model_3 = CircleModelV2().to(DEVICE)
    loss_fn, optimizer = nn.BCEWithLogitsLoss(), optim.SGD(model_3.parameters(), lr=0.1)
    losses = []
    for _ in range(1000):
        model_3.train()
        y_logits = model_3(X_train).squeeze()
        loss = loss_fn(y_logits, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model_3.eval()
    with torch.inference_mode():
        test_pred = torch.round(torch.sigmoid(model_3(X_test).squeeze()))
    assert losses[-1] < 0.2 < 0.6 < losses[0]
    assert accuracy_fn(y_test, test_pred) >= 95
    xx, _, zz = plot_decision_boundary(model_3, X_train, y_train)
    assert zz.shape == (101, 101, 1) or zz.shape == (101, 101)
    assert zz[50, 50] == 1 and zz[0, 0] == 0          # inside the small circle, outside both


@needs_torch
def test_circles_losses_equal_pytorchs():
    X, y = circles(64)
    torch.manual_seed(1)
    ours = CircleModelV2()
    theirs = pytorch.nn.Sequential(pytorch.nn.Linear(2, 10), pytorch.nn.ReLU(),
                                   pytorch.nn.Linear(10, 10), pytorch.nn.ReLU(),
                                   pytorch.nn.Linear(10, 1))
    theirs.load_state_dict({k: pytorch.as_tensor(v.numpy().copy()) for k, v in zip(
        theirs.state_dict(), ours.state_dict().values())})
    opt, their_opt = optim.SGD(ours.parameters(), lr=0.1), pytorch.optim.SGD(theirs.parameters(),
                                                                              lr=0.1)
    Xt, yt = pytorch.from_numpy(X.numpy().copy()), pytorch.from_numpy(y.numpy().copy())
    for _ in range(20):
        loss = nn.BCEWithLogitsLoss()(ours(X).squeeze(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        their_loss = pytorch.nn.BCEWithLogitsLoss()(theirs(Xt).squeeze(), yt)
        their_opt.zero_grad()
        their_loss.backward()
        their_opt.step()
        assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)


def test_multiclass_blobs_softmax_argmax():
    X_blob, y_blob = make_blobs(400, centers=[[-6, -6], [6, -6], [-6, 6], [6, 6]],
                                cluster_std=1.5, random_state=42)
    assert np.array_equal(X_blob, make_blobs(400, centers=[[-6, -6], [6, -6], [-6, 6], [6, 6]],
                                             cluster_std=1.5, seed=42)[0])
    X_blob = torch.from_numpy(X_blob).type(torch.float)
    y_blob = torch.from_numpy(y_blob).type(torch.long)
    X_train, X_test, y_train, y_test = train_test_split(X_blob, y_blob, test_size=0.2, seed=42)
    torch.manual_seed(42)
    model_4 = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                            nn.Linear(8, 4)).to(DEVICE)
    loss_fn, optimizer = nn.CrossEntropyLoss(), optim.SGD(model_4.parameters(), lr=0.1)
    for _ in range(100):
        model_4.train()
        loss = loss_fn(model_4(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model_4.eval()
    with torch.inference_mode():
        y_pred_probs = torch.softmax(model_4(X_test), dim=1)
    assert np.allclose(y_pred_probs.sum(dim=1).numpy(), 1, atol=1e-6)
    y_preds = y_pred_probs.argmax(dim=1)
    assert loss.item() < 0.1 and accuracy_fn(y_test, y_preds) >= 97
    assert nn.metrics.accuracy(y_test, y_preds) * 100 == accuracy_fn(y_test, y_preds)
    _, _, zz = plot_decision_boundary(model_4, X_test, y_test)
    assert sorted(np.unique(zz).tolist()) == [0, 1, 2, 3]


def test_sklearn_seed_name_checks():
    assert np.array_equal(make_circles(50, noise=0.03, random_state=3)[0],
                          make_circles(50, noise=0.03, seed=3)[0])
    with pytest.raises(TypeError, match="not both"):
        make_circles(50, seed=1, random_state=2)
    with pytest.raises(TypeError, match="dataset="):
        DataLoader(batch_size=4)
    with pytest.raises(TypeError, match="twice"):
        DataLoader(np.zeros((4, 2)), dataset=np.zeros((4, 2)))


# -- 03 computer vision ---------------------------------------------------------------------------

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress"]


def fashion_images(n, seed):
    """Four kinds of 28x28 grey pictures, noisy, as uint8 (the IDX files' type)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    images = np.zeros((n, 28, 28), np.float32)
    for i, c in enumerate(y):
        if c == 0:
            images[i, 4:12, 4:24] = 1
        elif c == 1:
            images[i, 4:24, 10:18] = 1
        elif c == 2:
            images[i, 12:24, 4:24] = 1
        else:
            images[i, np.arange(28), np.arange(28)] = 1
    images = np.clip(images + rng.normal(0, 0.3, images.shape), 0, 1)
    return (images * 255).astype(np.uint8), y.astype(np.uint8)


class FashionData(Dataset):
    def __init__(self, root, train=True):
        split = "train" if train else "t10k"
        self.data = read_idx(os.path.join(root, f"{split}-images-idx3-ubyte"))
        self.targets = read_idx(os.path.join(root, f"{split}-labels-idx1-ubyte")).astype(np.int64)
        self.classes = CLASS_NAMES

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return torch.tensor(self.data[i], dtype=torch.float32).unsqueeze(0) / 255, \
            int(self.targets[i])


class TinyVGG(nn.Module):
    def __init__(self, input_shape, hidden_units, output_shape, side):
        super().__init__()
        self.block_1 = nn.Sequential(
            nn.Conv2d(input_shape, hidden_units, kernel_size=3, stride=1, padding=1), nn.ReLU(),
            nn.Conv2d(hidden_units, hidden_units, kernel_size=3, stride=1, padding=1), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.block_2 = nn.Sequential(
            nn.Conv2d(hidden_units, hidden_units, 3, padding=1), nn.ReLU(),
            nn.Conv2d(hidden_units, hidden_units, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(hidden_units * (side // 4) ** 2, output_shape))

    def forward(self, x):
        return self.classifier(self.block_2(self.block_1(x)))


def train_step(model, data_loader, loss_fn, optimizer):
    train_loss, train_acc = 0, 0
    model.train()
    for X, y in data_loader:
        y_pred = model(X.to(DEVICE))
        loss = loss_fn(y_pred, y.to(DEVICE))
        train_loss += loss.item()
        train_acc += accuracy_fn(y, y_pred.argmax(dim=1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return train_loss / len(data_loader), train_acc / len(data_loader)


def test_step(data_loader, model, loss_fn):
    test_loss, test_acc = 0, 0
    model.eval()
    with torch.inference_mode():
        for X, y in data_loader:
            pred = model(X)
            test_loss += loss_fn(pred, y)
            test_acc += accuracy_fn(y, pred.argmax(dim=1))
    return (test_loss / len(data_loader)).item(), test_acc / len(data_loader)


test_step.__test__ = False                           # the course's name, not a pytest test


def eval_model(model, data_loader, loss_fn):
    loss, acc = test_step(data_loader, model, loss_fn)
    return {"model_name": model.__class__.__name__, "model_loss": loss, "model_acc": acc}


@pytest.fixture(scope="module")
def fashion(tmp_path_factory):
    root = tmp_path_factory.mktemp("FashionMNIST")
    for split, n, seed in (("train", 384, 0), ("t10k", 128, 1)):
        images, labels = fashion_images(n, seed)
        write_idx(root / f"{split}-images-idx3-ubyte", images)
        write_idx(root / f"{split}-labels-idx1-ubyte", labels)
    return FashionData(root, True), FashionData(root, False)


def test_computer_vision_baseline_and_tinyvgg(fashion):
    train_data, test_data = fashion
    image, label = train_data[0]
    assert image.shape == (1, 28, 28) and isinstance(label, int)
    torch.manual_seed(42)
    train_dataloader = DataLoader(dataset=train_data, batch_size=32, shuffle=True)
    test_dataloader = DataLoader(dataset=test_data, batch_size=32, shuffle=False)
    assert len(train_dataloader) == 12
    features, labels = next(iter(train_dataloader))
    assert features.shape == (32, 1, 28, 28) and labels.dtype == torch.int64
    assert nn.Flatten()(features[0]).shape == (1, 784)
    loss_fn = nn.CrossEntropyLoss()

    model_0 = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Linear(10, 4))
    optimizer = optim.SGD(params=model_0.parameters(), lr=0.1)
    start = timer()
    for _ in range(2):
        train_step(model_0, train_dataloader, loss_fn, optimizer)
    assert timer() - start > 0
    results_0 = eval_model(model_0, test_dataloader, loss_fn)
    assert results_0["model_acc"] >= 95 and set(results_0) == {"model_name", "model_loss",
                                                               "model_acc"}

    torch.manual_seed(42)
    model_2 = TinyVGG(1, 8, len(CLASS_NAMES), 28).to(DEVICE)
    with pytest.raises(ValueError, match=r"add a batch dimension"):
        model_2(image)                               # one image: the batch axis is needed
    optimizer = optim.SGD(params=model_2.parameters(), lr=0.1)
    first_loss, _ = train_step(model_2, train_dataloader, loss_fn, optimizer)
    for _ in range(3):
        last_loss, train_acc = train_step(model_2, train_dataloader, loss_fn, optimizer)
    results_2 = eval_model(model_2, test_dataloader, loss_fn)
    assert last_loss < 0.5 * first_loss and results_2["model_acc"] >= 90, (first_loss, results_2)

    random.seed(42)
    samples = random.sample(list(test_data), k=9)
    model_2.eval()
    with torch.inference_mode():
        pred_probs = torch.stack([torch.softmax(model_2(torch.unsqueeze(x, dim=0)).squeeze(), dim=0)
                                  for x, _ in samples])
    assert pred_probs.shape == (9, 4)
    assert (pred_probs.argmax(dim=1).numpy() == [t for _, t in samples]).mean() >= 0.75
    with torch.inference_mode():
        y_pred_tensor = torch.cat([torch.softmax(model_2(X), dim=1).argmax(dim=1)
                                   for X, _ in test_dataloader])
    matrix = confusion_matrix(test_data.targets, y_pred_tensor)
    assert matrix.shape == (4, 4) and matrix.trace() >= 0.9 * len(test_data)


def test_summary_of_tinyvgg(capsys, monkeypatch):
    model = TinyVGG(3, 10, 3, 64)
    # printed by default in a script; an earlier test may have loaded ipykernel or set sys.ps1,
    # where the returned table is shown instead
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delattr(sys, "ps1", raising=False)
    table = nn.summary(model, input_size=[1, 3, 64, 64])
    printed = capsys.readouterr().out
    assert table.total_params == sum(p.numel() for p in model.parameters()) == 10693
    assert "Total params: 10,693" in printed and "├─Sequential: 1-1" in printed
    rows = {row.name: row for row in table.rows}
    assert rows["block_1.4"].output_shape == [1, 10, 32, 32]
    assert rows["classifier.1"].input_shape == [1, 2560] and rows["classifier.1"].num_params == 7683
    model.block_1.requires_grad_(False)
    model.train()
    table = nn.summary(model, input_size=(2, 3, 64, 64), verbose=0, depth=1,
                       col_names=["input_size", "output_size", "num_params", "trainable"],
                       row_settings=["var_names"])
    assert model.training and model.block_1[0].training     # modes set back
    assert table.trainable_params == 10693 - (3 * 10 * 9 + 10) - (10 * 10 * 9 + 10)
    text = str(table)
    assert "Sequential (block_1)" in text and "Conv2d" not in text and "False" in text
    with pytest.raises(ValueError, match="mult_adds"):
        nn.summary(model, input_size=(1, 3, 64, 64), col_names=["mult_adds"])
    with pytest.raises(TypeError, match="input_size="):
        nn.summary(model)


def test_summary_marks_a_second_call_recursive_and_draws_torchinfo_s_tree():
    """A layer called twice counts its parameters on its first row only, "(recursive)" on
    the next (the column added them twice); rows below depth 1 hang on "│    └─" ("+ " in
    ascii), as torchinfo 1.8 prints them."""
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
            self.shared = nn.Linear(4, 4)

        def forward(self, x):
            return self.shared(self.shared(self.body(x)))

    table = nn.summary(Twice(), input_size=(2, 4), verbose=0)
    lines = [line.split() for line in str(table).splitlines()]
    assert ["├─Linear:", "1-2", "[2,", "4]", "20"] in lines
    assert ["├─Linear:", "1-3", "[2,", "4]", "(recursive)"] in lines
    assert ["│", "└─Linear:", "2-1", "[2,", "4]", "20"] in lines
    assert table.total_params == 40 and [row.recursive for row in table.rows] == [
        False, False, False, False, False, True]
    ascii_rows = str(nn.summary(Twice(), input_size=(2, 4), verbose=0,
                                row_settings=["ascii_only"])).splitlines()
    assert "+ Sequential" in ascii_rows[4] and ascii_rows[5].startswith("|    + Linear")


@needs_torch
def test_summary_counts_and_tinyvgg_step_equal_pytorchs():
    torch.manual_seed(3)
    ours = TinyVGG(3, 4, 3, 16)
    P = pytorch.nn
    theirs = P.Sequential(
        P.Sequential(P.Conv2d(3, 4, 3, padding=1), P.ReLU(), P.Conv2d(4, 4, 3, padding=1), P.ReLU(),
                     P.MaxPool2d(2)),
        P.Sequential(P.Conv2d(4, 4, 3, padding=1), P.ReLU(), P.Conv2d(4, 4, 3, padding=1), P.ReLU(),
                     P.MaxPool2d(2)),
        P.Sequential(P.Flatten(), P.Linear(4 * 4 * 4, 3)))
    our_state = ours.state_dict()
    assert len(our_state) == len(theirs.state_dict())
    theirs.load_state_dict({k: pytorch.as_tensor(v.numpy().copy())
                            for k, v in zip(theirs.state_dict(), our_state.values())})
    assert nn.summary(ours, input_size=(1, 3, 16, 16), verbose=0).total_params == \
        sum(p.numel() for p in theirs.parameters())
    rng = np.random.default_rng(0)
    X, y = rng.random((6, 3, 16, 16), dtype=np.float32), rng.integers(0, 3, 6)
    loss = nn.CrossEntropyLoss()(ours(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    their_loss = P.CrossEntropyLoss()(theirs(pytorch.from_numpy(X)), pytorch.from_numpy(y))
    their_loss.backward()
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-6)


# -- 04 custom datasets ---------------------------------------------------------------------------

def write_ppm(path, image):
    h, w, _ = image.shape
    path.write_bytes(b"P6\n%d %d\n255\n" % (w, h) + image.astype(np.uint8).tobytes())


def read_ppm(path):
    _, w, h, rest = path.read_bytes().split(maxsplit=3)
    return np.frombuffer(rest[4:], np.uint8).reshape(int(h), int(w), 3)


def find_classes(directory):
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any classes in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


class ToTensor:
    def __call__(self, image):
        return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float() / 255.0


class Resize:
    def __init__(self, size):
        self.size = size

    def __call__(self, x):
        return F.interpolate(x.unsqueeze(0), size=self.size, mode="bilinear",
                             align_corners=False)[0]


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, x):
        return torch.flip(x, dims=[-1]) if torch.rand(1).item() < self.p else x


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class ImageFolderCustom(Dataset):
    def __init__(self, targ_dir, transform=None):
        self.paths = sorted(Path(targ_dir).glob("*/*.*"))
        self.transform = transform
        self.classes, self.class_to_idx = find_classes(targ_dir)

    def load_image(self, index):
        path = self.paths[index]
        return np.load(path) if path.suffix == ".npy" else read_ppm(path)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        image = self.load_image(index)
        class_idx = self.class_to_idx[self.paths[index].parent.name]
        return (self.transform(image) if self.transform else image), class_idx


def test_custom_image_folder_dataset_trains(tmp_path):
    root, rng = tmp_path / "pizza_steak_sushi", np.random.default_rng(0)
    for split, n in (("train", 24), ("test", 8)):
        for ci, name in enumerate(["pizza", "steak", "sushi"]):
            folder = root / split / name
            folder.mkdir(parents=True)
            for k in range(n):
                image = rng.integers(0, 60, (20, 24, 3))
                image[..., ci] += 150                    # each class its own colour
                if k % 2:
                    np.save(folder / f"{k}.npy", image.astype(np.uint8))
                else:
                    write_ppm(folder / f"{k}.ppm", image)
    train_transform = Compose([ToTensor(), Resize((16, 16)), RandomHorizontalFlip(p=0.5)])
    train_data = ImageFolderCustom(root / "train", transform=train_transform)
    test_data = ImageFolderCustom(root / "test", transform=Compose([ToTensor(), Resize((16, 16))]))
    assert (len(train_data), len(test_data)) == (72, 24)
    assert train_data.class_to_idx == {"pizza": 0, "steak": 1, "sushi": 2}
    image, label = train_data[0]
    assert image.shape == (3, 16, 16) and image.dtype == torch.float32 and label == 0
    flipped = RandomHorizontalFlip(p=1.0)(image)
    assert np.array_equal(flipped.numpy(), image.numpy()[..., ::-1])
    torch.manual_seed(42)
    train_loader = DataLoader(dataset=train_data, batch_size=8, num_workers=0, shuffle=True)
    test_loader = DataLoader(dataset=test_data, batch_size=8, num_workers=0, shuffle=False)
    batch, labels = next(iter(train_loader))
    assert batch.shape == (8, 3, 16, 16) and labels.shape == (8,)
    model_0 = TinyVGG(3, 8, 3, 16)
    loss_fn, optimizer = nn.CrossEntropyLoss(), optim.Adam(model_0.parameters(), lr=0.003)
    results = {"train_loss": [], "test_acc": []}
    for _ in range(5):
        train_loss, _ = train_step(model_0, train_loader, loss_fn, optimizer)
        _, test_acc = test_step(test_loader, model_0, loss_fn)
        results["train_loss"].append(train_loss)
        results["test_acc"].append(test_acc)
    assert results["train_loss"][-1] < 0.5 * results["train_loss"][0], results
    assert results["test_acc"][-1] >= 90, results
