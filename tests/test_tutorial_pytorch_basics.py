"""A learner's trial of PyTorch's "Learn the Basics" tutorials (Quickstart, Tensors, Datasets &
DataLoaders, Transforms, Build the Model, Autograd, Optimization, Save & Load) and of the 60-minute
blitz's "Neural Networks" (LeNet), written from memory in the tutorials' spelling after
`import autograd as torch`, `import nn`, `import nn.functional as F` and `from nn.data import
...` (README, "Porting a PyTorch script"), on 200 made-up 28x28 images of 10 classes
(tests/tutorial_helpers.py). Each test asserts what the learner checks on screen; where PyTorch
is installed, one forward and backward is checked against it from the same weights.

What the trial needed to change from the tutorials' code, and why:
- `torch.save`/`torch.load` are `nn.save`/`nn.load` (`import nn`); a whole model is never
  pickled: `nn.save(model, path)` stores its weights, loaded into a model built in code;
- `.grad` is a numpy array: `inp.grad.zero_()` is `inp.grad = None`, and the blitz's
  `f.data.sub_(f.grad.data * learning_rate)` is `f.data -= learning_rate * f.grad`;
- `t.matmul(u)` and `t.mul(u)` are `t @ u` and `t * u` (the AttributeError says so), and
  `out=` is refused: `y3 = torch.matmul(t, t.T)`;
- `loss.grad_fn` is `loss.op`, and `grad_fn.next_functions[0][0]` is `loss.parents[0]`;
- torchvision's `ToTensor` and `Lambda` are the learner's own few lines;
- the Quickstart's `lr=1e-3` and batches of 64 barely move in 5 epochs on 160 images (3 steps
  an epoch): `lr=0.3` and batches of 16.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from nn.data import DataLoader, Dataset
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch
from tutorial_helpers import fake_images

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]
IMAGES, LABELS = fake_images(200)


class ToTensor:
    """torchvision's ToTensor for our images: a (1, 28, 28) float tensor."""

    def __call__(self, image):
        return torch.tensor(image).unsqueeze(0)


class Lambda:
    """torchvision's Lambda: any function as a transform."""

    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)


class FakeFashionMNIST(Dataset):
    def __init__(self, train=True, transform=None, target_transform=None):
        part = slice(0, 160) if train else slice(160, 200)
        self.images, self.labels = IMAGES[part], LABELS[part]
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image, label = self.images[idx], int(self.labels[idx])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() \
    else "cpu"


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    losses = []
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss, current = loss.item(), (batch + 1) * len(X)
        print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")
        losses.append(loss)
    return losses


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return test_loss, correct


test.__test__ = False                   # (the tutorial's name; pytest must not collect it)


def quickstart(tmp_path, epochs=5):
    torch.manual_seed(0)
    training_data = FakeFashionMNIST(train=True, transform=ToTensor())
    test_data = FakeFashionMNIST(train=False, transform=ToTensor())
    train_dataloader = DataLoader(training_data, batch_size=16)
    test_dataloader = DataLoader(test_data, batch_size=16)
    model = NeuralNetwork().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.3)
    history = [test(test_dataloader, model, loss_fn)]
    for t in range(epochs):
        print(f"Epoch {t + 1}\n-------------------------------")
        train(train_dataloader, model, loss_fn, optimizer)
        history.append(test(test_dataloader, model, loss_fn))
    nn.save(model.state_dict(), tmp_path / "model.pth")
    return model, test_data, test_dataloader, history


# -- Quickstart ------------------------------------------------------------------------------------

def test_quickstart_trains_saves_and_loads(tmp_path):
    model, test_data, test_dataloader, history = quickstart(tmp_path)
    X, y = next(iter(test_dataloader))
    assert X.shape == (16, 1, 28, 28) and y.shape == (16,) and y.dtype == torch.int64
    losses = [loss for loss, _ in history]
    assert losses[-1] < 0.3 * losses[0] and all(b < a for a, b in zip(losses, losses[1:]))
    assert history[0][1] < 0.3 and history[-1][1] >= 0.9          # accuracy on held-out images

    model2 = NeuralNetwork().to(device)
    model2.load_state_dict(nn.load(tmp_path / "model.pth", weights_only=True))
    model2.eval()
    x, y = test_data[0][0], test_data[0][1]
    with torch.no_grad():
        x = x.to(device)
        pred = model2(x)
        predicted, actual = CLASSES[pred[0].argmax(0)], CLASSES[y]
    assert predicted == actual
    np.testing.assert_array_equal(model2(X).data, model(X).data)    # the same outputs
    print(model)
    assert str(model).splitlines()[2:4] == [
        "  (linear_relu_stack): Sequential(",
        "    (0): Linear(in_features=784, out_features=512, bias=True)"]


@needs_torch
def test_quickstart_model_matches_pytorch_from_the_same_weights():
    torch.manual_seed(1)
    model = NeuralNetwork()
    theirs = real_torch.nn.Sequential(
        real_torch.nn.Flatten(), real_torch.nn.Sequential(
            real_torch.nn.Linear(784, 512), real_torch.nn.ReLU(), real_torch.nn.Linear(512, 512),
            real_torch.nn.ReLU(), real_torch.nn.Linear(512, 10)))
    theirs.load_state_dict({k.replace("flatten.", "0.").replace("linear_relu_stack.", "1."):
                            real_torch.as_tensor(v.numpy().copy())
                            for k, v in model.state_dict().items()})
    X, y = IMAGES[:16, None], LABELS[:16]
    loss = nn.CrossEntropyLoss()(model(torch.tensor(X)), torch.tensor(y))
    loss.backward()
    their_loss = real_torch.nn.CrossEntropyLoss()(theirs(real_torch.tensor(X)),
                                                  real_torch.tensor(y))
    their_loss.backward()
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    for (name, p), q in zip(model.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


# -- Tensors ---------------------------------------------------------------------------------------

def test_tensors():
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    x_np = torch.from_numpy(np.array(data))
    assert x_data.dtype == x_np.dtype == torch.int64
    x_ones = torch.ones_like(x_data)
    assert x_ones.tolist() == [[1, 1], [1, 1]] and x_ones.dtype == torch.int64
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    assert x_rand.dtype == torch.float32 and ((x_rand >= 0) & (x_rand < 1)).all()
    shape = (2, 3,)
    assert torch.rand(shape).shape == torch.ones(shape).shape == torch.zeros(shape).shape == shape
    tensor = torch.rand(3, 4)
    assert (tensor.shape, tensor.dtype, str(tensor.device)) == ((3, 4), torch.float32, "cpu")

    tensor = torch.ones(4, 4)
    assert tensor[0].tolist() == tensor[:, 0].tolist() == tensor[..., -1].tolist() == [1.0] * 4
    tensor[:, 1] = 0
    assert tensor.tolist() == [[1.0, 0.0, 1.0, 1.0]] * 4
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    assert t1.shape == (4, 12)

    y1 = tensor @ tensor.T
    y3 = torch.rand_like(y1)
    assert tensor.matmul(tensor.T).tolist() == y1.tolist()       # (once a hint: t @ x)
    with pytest.raises(TypeError, match=r"matmul: out= is not supported .* write y = matmul"):
        torch.matmul(tensor, tensor.T, out=y3)
    y3 = torch.matmul(tensor, tensor.T)
    assert y1.tolist() == y3.tolist() == [[3.0] * 4] * 4
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)                                      # (once a hint: t * x)
    assert z1.tolist() == z2.tolist() == tensor.tolist()

    agg = tensor.sum()
    agg_item = agg.item()
    assert agg_item == 12.0 and type(agg_item) is float
    tensor.add_(5)
    assert tensor.tolist() == [[6.0, 5.0, 6.0, 6.0]] * 4


def test_the_numpy_bridge_shares_memory_both_ways():
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    assert n.tolist() == [2.0] * 5                  # the change in the tensor shows in n
    n = np.ones(5)
    t = torch.from_numpy(n)
    np.add(n, 1, out=n)
    assert t.tolist() == [2.0] * 5                  # and the change in n in the tensor


@needs_torch
def test_the_tensor_snippets_match_pytorch():
    for lib in (torch, real_torch):
        tensor = lib.ones(4, 4)
        tensor[:, 1] = 0
        out = (lib.cat([tensor, tensor], dim=1).sum().item(), (tensor @ tensor.T).tolist(),
               tensor.matmul(tensor.T).tolist() if lib is real_torch else None)
        t = lib.ones(3)
        n = t.numpy()
        t.add_(1)
        if lib is torch:
            ours = out, n.tolist()
        else:
            theirs = out, n.tolist()
    assert ours[0][:2] == theirs[0][:2] and ours[0][1] == theirs[0][2] and ours[1] == theirs[1]


# -- Datasets & DataLoaders, Transforms ----------------------------------------------------------

def test_a_custom_dataset_in_a_shuffled_dataloader():
    training_data = FakeFashionMNIST(train=True, transform=ToTensor())
    assert len(training_data) == 160
    img, label = training_data[7]
    assert img.shape == (1, 28, 28) and label == LABELS[7]
    train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
    train_features, train_labels = next(iter(train_dataloader))
    assert train_features.size() == (64, 1, 28, 28) and train_labels.size() == (64,)
    img = train_features[0].squeeze()
    assert img.shape == (28, 28)
    seen = np.concatenate([y.numpy() for _, y in train_dataloader])
    assert sorted(seen.tolist()) == sorted(LABELS[:160].tolist())       # each image once
    assert seen.tolist() != LABELS[:160].tolist()                      # shuffled


def test_a_lambda_target_transform_makes_one_hot_labels():
    target_transform = Lambda(
        lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1))
    assert target_transform(3).tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    ds = FakeFashionMNIST(train=True, transform=ToTensor(), target_transform=target_transform)
    X, Y = next(iter(DataLoader(ds, batch_size=8)))
    assert Y.shape == (8, 10) and Y.dtype == torch.float32
    assert Y.argmax(1).tolist() == LABELS[:8].tolist() and Y.sum().item() == 8.0


# -- Build the Model ---------------------------------------------------------------------------------

def test_build_the_model():
    torch.manual_seed(0)
    model = NeuralNetwork().to(device)
    X = torch.rand(1, 28, 28, device=device)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    assert logits.shape == (1, 10) and y_pred.shape == (1,)
    assert pred_probab.sum().item() == pytest.approx(1.0, abs=1e-6)
    input_image = torch.rand(3, 28, 28)
    flat_image = nn.Flatten()(input_image)
    layer1 = nn.Linear(in_features=28 * 28, out_features=20)
    hidden1 = layer1(flat_image)
    assert flat_image.size() == (3, 784) and hidden1.size() == (3, 20)
    hidden1 = nn.ReLU()(hidden1)
    assert (hidden1 >= 0).all()
    seq_modules = nn.Sequential(nn.Flatten(), layer1, nn.ReLU(), nn.Linear(20, 10))
    pred_probab = nn.Softmax(dim=1)(seq_modules(input_image))
    np.testing.assert_allclose(pred_probab.sum(1).data, np.ones(3), rtol=1e-6)
    sizes = {name: param.size() for name, param in model.named_parameters()}
    assert sizes == {"linear_relu_stack.0.weight": (512, 784), "linear_relu_stack.0.bias": (512,),
                     "linear_relu_stack.2.weight": (512, 512), "linear_relu_stack.2.bias": (512,),
                     "linear_relu_stack.4.weight": (10, 512), "linear_relu_stack.4.bias": (10,)}
    for name, param in model.named_parameters():
        print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")


# -- Autograd --------------------------------------------------------------------------------------

def test_autograd():
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    with pytest.raises(AttributeError, match=r"grad_fn: a glassgrad Tensor names the op that "
                                             r"made it in \.op \('add' here"):
        z.grad_fn
    assert (z.op, loss.op) == ("add", "mean")
    loss.backward()
    slope = (1 / (1 + np.exp(-z.data)) - y.data) / 3          # d mean BCE / dz
    np.testing.assert_allclose(b.grad, slope, rtol=1e-5)
    np.testing.assert_allclose(w.grad, np.outer(x.data, slope), rtol=1e-5)
    assert (torch.matmul(x, w) + b).requires_grad
    with torch.no_grad():
        assert not (torch.matmul(x, w) + b).requires_grad
    assert not (torch.matmul(x, w) + b).detach().requires_grad

    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = np.where(np.eye(4, 5) == 1, 4.0, 2.0)
    np.testing.assert_array_equal(inp.grad, first)
    out.backward(torch.ones_like(out), retain_graph=True)        # (the tutorial's: a third
    np.testing.assert_array_equal(inp.grad, 2 * first)            # follows) gradients add up
    with pytest.raises(AttributeError, match="'numpy.ndarray' object has no attribute 'zero_'"):
        inp.grad.zero_()                                          # numpy's: README's porting
    inp.grad = None                                               # notes say to write this
    out.backward(torch.ones_like(out), retain_graph=True)
    np.testing.assert_array_equal(inp.grad, first)


# -- Optimization, Save & Load ---------------------------------------------------------------------

def test_optimization_loop_lowers_the_loss():
    torch.manual_seed(0)
    learning_rate, batch_size, epochs = 0.3, 16, 3
    train_dataloader = DataLoader(FakeFashionMNIST(train=True, transform=ToTensor()),
                                  batch_size=batch_size, shuffle=True)
    model = NeuralNetwork()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=learning_rate)
    losses = []
    for t in range(epochs):
        losses += train(train_dataloader, model, loss_fn, optimizer)
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])


def test_save_and_load_weights_and_a_whole_model_is_refused_clearly(tmp_path):
    torch.manual_seed(0)
    model = NeuralNetwork()
    nn.save(model.state_dict(), tmp_path / "model_weights.pth")
    model2 = NeuralNetwork()
    model2.load_state_dict(nn.load(tmp_path / "model_weights.pth", weights_only=True))
    model2.eval()
    X = torch.tensor(IMAGES[:4])
    np.testing.assert_array_equal(model2(X).data, model(X).data)
    nn.save(model, tmp_path / "model.pth")                          # its weights, not pickled
    with pytest.raises(ValueError, match=r"never does.*A whole model \(PyTorch's torch.save\("
                                         r"model, path\)\) is never stored.*model = MyModel\(\); "
                                         r"model.load_state_dict\(nn.load\(path\)\)"):
        nn.load(tmp_path / "model.pth", weights_only=False)
    model3 = NeuralNetwork()
    model3.load_state_dict(nn.load(tmp_path / "model.pth"))
    np.testing.assert_array_equal(model3(X).data, model(X).data)


# -- the 60-minute blitz: Neural Networks (LeNet) --------------------------------------------------

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        return self.fc3(f6)


def test_the_blitz_lenet():
    torch.manual_seed(0)
    net = Net()
    params = list(net.parameters())
    assert len(params) == 10 and params[0].size() == (6, 1, 5, 5)
    input = torch.randn(1, 1, 32, 32)
    out = net(input)
    assert out.shape == (1, 10)
    net.zero_grad()
    out.backward(torch.randn(1, 10))
    assert all(p.grad is not None and p.grad.shape == p.shape for p in params)

    output = net(input)
    target = torch.randn(10).view(1, -1)
    criterion = nn.MSELoss()
    loss = criterion(output, target)
    with pytest.raises(AttributeError, match=r"loss.parents\[0\].op is the op before \(PyTorch's "
                                             r"loss.grad_fn.next_functions\[0\]\[0\]\)"):
        loss.grad_fn.next_functions[0][0]
    node, ops = loss, []                        # the chain grad_fn.next_functions walks
    while node.parents:
        ops.append(node.op)
        node = node.parents[0]
    assert ops[:5] == ["mean", "pow", "sub", "linear", "relu"] and ops[-1] == "conv2d"
    net.zero_grad()
    assert net.conv1.bias.grad is None                      # PyTorch's zero_grad: None too
    loss.backward()
    assert net.conv1.bias.grad.shape == (6,) and np.abs(net.conv1.bias.grad).sum() > 0

    learning_rate = 0.01
    with pytest.raises(AttributeError, match="'numpy.ndarray' object has no attribute 'sub_'"):
        for f in net.parameters():                          # numpy's error: the README's
            f.data.sub_(f.grad.data * learning_rate)        # porting notes give the line below
    for f in net.parameters():
        f.data -= learning_rate * f.grad
    after_manual = criterion(net(input), target).item()
    assert after_manual < loss.item()

    optimizer = nn.optim.SGD(net.parameters(), lr=0.01)
    for _ in range(5):
        optimizer.zero_grad()
        loss = criterion(net(input), target)
        loss.backward()
        optimizer.step()
    assert criterion(net(input), target).item() < after_manual


@needs_torch
def test_the_blitz_lenet_matches_pytorch_from_the_same_weights():
    class TorchNet(real_torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = real_torch.nn.Conv2d(1, 6, 5)
            self.conv2 = real_torch.nn.Conv2d(6, 16, 5)
            self.fc1 = real_torch.nn.Linear(400, 120)
            self.fc2 = real_torch.nn.Linear(120, 84)
            self.fc3 = real_torch.nn.Linear(84, 10)

        def forward(self, x):
            tf = real_torch.nn.functional
            x = tf.max_pool2d(tf.relu(self.conv1(x)), (2, 2))
            x = real_torch.flatten(tf.max_pool2d(tf.relu(self.conv2(x)), 2), 1)
            return self.fc3(tf.relu(self.fc2(tf.relu(self.fc1(x)))))

    torch.manual_seed(2)
    net, theirs = Net(), TorchNet()
    theirs.load_state_dict({k: real_torch.as_tensor(v.numpy().copy())
                            for k, v in net.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, 32, 32)).astype(np.float32)
    target = rng.standard_normal((2, 10)).astype(np.float32)
    loss = nn.MSELoss()(net(torch.tensor(x)), torch.tensor(target))
    loss.backward()
    their_loss = real_torch.nn.MSELoss()(theirs(real_torch.tensor(x)), real_torch.tensor(target))
    their_loss.backward()
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    for (name, p), q in zip(net.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-7, err_msg=name)
