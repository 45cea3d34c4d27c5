"""A user trial: a reader works through part 1 of a "deep learning with PyTorch" book in the
style of Stevens, Antiga and Viehmann, with `import autograd as torch`, `import nn`,
`from nn import functional as F` and `import nn.optim as optim` (the reader's own code).

The chapters: tensors as views of one storage (strides, offsets, transposes that share it,
`contiguous()`, in-place ops, dtypes and their promotion, saving); real-world data (a
wine-quality CSV normalised and one-hot encoded by `scatter_`, a bike-sharing series reshaped by
view/transpose, categories by `eye`/`index_select`, text as one-hot characters and an embedding);
the learning mechanics (a thermometer's t_c = w t_u + b: the gradient by hand, then autograd,
then `optim.SGD` and `optim.Adam`, a validation split by `randperm` whose loss has no graph);
`nn.Linear`, `nn.Sequential` with named layers; the images chapters (CIFAR-like images made
here, birds against airplanes, a fully connected classifier, then convolutional nets: the
functional style, weight decay by hand, dropout, batch norm, a deep residual net with Kaiming's
init; the state dict saved and loaded). Where PyTorch is installed, the same weights give
PyTorch's losses and gradients.

What the trial found: `t.storage()` and `t.untyped_storage()` were refused ("the layout is
numpy's"); now they are autograd/storage.py's `Storage`, the flat memory the tensor shares
with its views, read and written by index (`torch.is_storage` too); a write through it makes a
graph that saved those numbers refuse its backward (PyTorch's gives the gradient at the new
numbers). The book's named tensors (`names=`, `refine_names`, `t.names`, ...; gone from
PyTorch 2.13) were "unexpected keyword argument 'names'" or a bare AttributeError; now they say
there are none and what to write. `torch.stack` of permuted images (ToTensor's) kept numpy's
permuted layout, so strides and `is_contiguous()` differed from PyTorch's (and a twin fed
`.numpy()` failed its `view`); stack, cat and collated batches are now C-ordered, as there.
`torch.save(points, f)` for an open file `f` (the book's `with open(...)`) said only
"expected the path"; now it says to give the file's name. Differences that stay: `.grad` is a
numpy array (`params.grad.zero_()` is `params.grad = None`; numpy's AttributeError gets a note
saying so only when it leaves a `with torch.no_grad():` block), and, each with an error saying
what to write, `float(loss)` of a tensor in a graph is refused (`loss.item()`), a method
`t.std(dim=1)` asks for the divisor (`unbiased=True`, or `torch.std(t, dim=1)`), `torch.save` is
`nn.save`, and `nn.load` gives arrays back. torchvision is not here: ToTensor, Normalize and the
dataset are the reader's own few lines.
"""

from __future__ import annotations

import csv
from collections import OrderedDict

import numpy as np
import pytest

import autograd as torch
import nn
import nn.optim as optim
from nn import functional as F

from torch_helpers import needs_torch
from torch_helpers import torch as pytorch


# -- chapter 3: tensors ---------------------------------------------------------------------

def test_a_tensor_is_a_view_of_one_storage_shared_by_its_transpose():
    points = torch.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
    storage = points.storage()
    assert storage.tolist() == [4.0, 1.0, 5.0, 3.0, 2.0, 1.0] and len(storage) == 6
    assert storage[1] == 1.0 and torch.is_storage(storage) and not torch.is_storage(points)
    storage[0] = 2.0                                    # writing the storage changes the tensor
    assert points[0, 0].item() == 2.0

    second_point = points[1]
    assert second_point.storage_offset() == 2 and second_point.shape == (2,)
    assert second_point.stride() == (1,) and points.stride() == (2, 1)
    second_point[0] = 10.0                              # a view: the tensor changes too
    assert points[1, 0].item() == 10.0
    copied = points[1].clone()
    copied[0] = 11.0
    assert points[1, 0].item() == 10.0

    points_t = points.t()
    assert points_t.shape == (2, 3) and points_t.stride() == (1, 2)
    assert points.untyped_storage().data_ptr() == points_t.untyped_storage().data_ptr()
    assert points.untyped_storage().nbytes() == 6 * 4 == len(points.untyped_storage())
    assert points.is_contiguous() and not points_t.is_contiguous()
    points_t_cont = points_t.contiguous()
    assert points_t_cont.is_contiguous() and points_t_cont.stride() == (3, 1)
    assert points_t_cont.storage().tolist() == [2.0, 10.0, 2.0, 1.0, 3.0, 1.0]
    assert points_t_cont.storage().data_ptr() != points.storage().data_ptr()

    some_t = torch.ones(3, 4, 5)
    transpose_t = some_t.transpose(0, 2)
    assert transpose_t.shape == (5, 4, 3)
    assert some_t.stride() == (20, 5, 1) and transpose_t.stride() == (1, 5, 20)
    points_t[0, 1] = 7.0                                # through the transpose, into points
    assert points[1, 0].item() == 7.0


def test_in_place_ops_are_seen_by_views_and_by_a_storage_taken_before():
    a = torch.ones(3, 2)
    storage, a_t = a.storage(), a.t()
    a.zero_()
    assert storage.tolist() == [0.0] * 6 and a_t.tolist() == [[0.0] * 3] * 2
    a.add_(2)
    assert storage.tolist() == [2.0] * 6 and a_t.sum().item() == 12.0
    stretch = storage[1:4]
    stretch[0] = 5.0
    assert len(stretch) == 3 and a[0, 1].item() == 5.0 and stretch.tolist() == [5.0, 2.0, 2.0]
    with pytest.raises(IndexError, match="out of range for a storage of size 6"):
        storage[6]
    with pytest.raises(ValueError, match="one stretch"):
        storage[::2]
    # what numpy refuses is named as the storage's (its own words named nothing)
    with pytest.raises(ValueError, match=r"^storage: cannot write 'a' into a storage of "
                                         r"float32 numbers: could not convert"):
        storage[0] = "a"
    frozen = torch.Tensor(np.frombuffer(bytes(8), dtype=np.float32))    # read-only memory
    with pytest.raises(ValueError, match=r"^storage: cannot write 1\.0 .*read-only"):
        frozen.storage()[0] = 1.0


def test_a_write_through_a_storage_is_not_silently_missed_by_backward():
    w = torch.ones(3, requires_grad=True)
    x = torch.zeros(3)
    y = (w * x).sum()
    x.storage()[0] = 5.0                    # after the forward pass used x
    with pytest.raises(RuntimeError, match="changed in place after this op used it"):
        y.backward()


@needs_torch
def test_storages_and_strides_are_pytorch_s():
    ours = torch.arange(12.0).view(3, 4)
    theirs = pytorch.arange(12.0).view(3, 4)
    for f in (lambda t: t.t(), lambda t: t[1:], lambda t: t[:, 1], lambda t: t.transpose(0, 1)[2]):
        o, t = f(ours), f(theirs)
        assert o.stride() == t.stride() and o.storage_offset() == t.storage_offset()
        assert o.is_contiguous() == t.is_contiguous()
        assert o.untyped_storage().tolist() == t.untyped_storage().tolist()
        assert o.contiguous().stride() == t.contiguous().stride()


def test_named_tensors_say_there_are_none_and_what_to_write():
    with pytest.raises(TypeError, match="randn: names=.* named tensor.*give dims by number"):
        torch.randn(3, 5, 5, names=["channels", "rows", "columns"])
    with pytest.raises(TypeError, match="tensor: names="):
        torch.tensor([1.0, 2.0], names=["x"])
    img = torch.randn(3, 5, 5)
    for read in (lambda: img.refine_names(..., "rows", "columns"), lambda: img.names,
                 lambda: img.rename(None), lambda: img.align_to("columns", ...)):
        with pytest.raises(AttributeError, match="no named tensors.*einsum"):
            read()
    # what the chapter does with the names, by dims and einsum
    weights = torch.tensor([0.2126, 0.7152, 0.0722])
    batch = torch.randn(2, 3, 5, 5)
    by_broadcast = (batch * weights.unsqueeze(-1).unsqueeze_(-1)).sum(-3)
    by_einsum = torch.einsum("...chw,c->...hw", batch, weights)
    np.testing.assert_allclose(by_broadcast.numpy(), by_einsum.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("a, b, expected", [
    ([1, 2], [1.0, 2.0], np.float32), ([1, 2], 1.5, np.float32), ([1, 2], [3, 4], np.int64)])
def test_dtypes_integers_are_int64_floats_float32_and_mixing_promotes(a, b, expected):
    assert torch.tensor([1, 2]).dtype == np.int64 and torch.tensor([1.0, 2]).dtype == np.float32
    assert torch.ones(10, 2, dtype=torch.double).dtype == np.float64
    assert torch.zeros(10, 2).short().dtype == np.int16
    assert torch.zeros(10, 2).to(dtype=torch.short).dtype == np.int16
    double_points = torch.rand(5, dtype=torch.double)
    short_points = double_points.to(torch.short)
    assert (double_points * short_points).dtype == np.float64
    b = torch.tensor(b) if isinstance(b, list) else b
    assert (torch.tensor(a) * b).dtype == expected
    assert (torch.tensor([1, 2]) / torch.tensor([2, 2])).dtype == np.float32


@needs_torch
def test_dtype_promotion_is_pytorch_s():
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    for x in names:
        for y in names:
            ours = (torch.ones(2, dtype=getattr(torch, x)) + torch.ones(2, dtype=getattr(torch, y)))
            theirs = (pytorch.ones(2, dtype=getattr(pytorch, x))
                      + pytorch.ones(2, dtype=getattr(pytorch, y)))
            assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (x, y)


def test_a_tensor_saved_and_loaded_and_an_open_file_says_give_the_name(tmp_path):
    points = torch.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
    for name in ("ourpoints.t", "ourpoints.pt"):
        nn.save(points, tmp_path / name)
        loaded = nn.load(tmp_path / name)               # numpy's array: torch.tensor(loaded)
        np.testing.assert_array_equal(torch.tensor(loaded).numpy(), points.numpy())
        assert loaded.dtype == np.float32
    with open(tmp_path / "ourpoints.t", "wb") as f:
        with pytest.raises(TypeError, match="an open file.*give its name"):
            nn.save(points, f)
    with open(tmp_path / "ourpoints.pt", "rb") as f:
        with pytest.raises(TypeError, match="an open file.*ourpoints.pt"):
            nn.load(f)
    with pytest.raises(AttributeError, match="nn.save"):
        torch.save(points, tmp_path / "p.t")


@needs_torch
def test_our_pt_file_of_a_tensor_is_read_by_torch_load(tmp_path):
    points = torch.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
    nn.save(points, tmp_path / "ourpoints.pt")
    theirs = pytorch.load(tmp_path / "ourpoints.pt")
    np.testing.assert_array_equal(theirs.numpy(), points.numpy())


# -- chapter 4: real-world data -------------------------------------------------------------

WINE_COLUMNS = ["fixed acidity", "volatile acidity", "citric acid", "residual sugar",
                "chlorides", "free sulfur dioxide", "total sulfur dioxide", "density", "pH",
                "sulphates", "alcohol", "quality"]


def write_wine_csv(path, n=300, seed=0):
    """A wine-quality-like file: 11 chemical columns and a quality 3..9 that follows alcohol
    and sulfur dioxide, ';'-separated with a header, as the real file."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 11)) * np.linspace(1, 3, 11) + np.linspace(5, 120, 11)
    score = 6 + (X[:, 10] - X[:, 10].mean()) / X[:, 10].std() \
        - 0.5 * (X[:, 6] - X[:, 6].mean()) / X[:, 6].std() + rng.normal(size=n) * 0.3
    quality = np.clip(np.round(score), 3, 9)
    with open(path, "w") as f:
        f.write(";".join(f'"{c}"' for c in WINE_COLUMNS) + "\n")
        for row, q in zip(X, quality):
            f.write(";".join(f"{v:.4f}" for v in row) + f";{q:.0f}\n")


def test_wine_quality_normalised_one_hot_encoded_and_thresholded(tmp_path):
    path = tmp_path / "winequality-white.csv"
    write_wine_csv(path)
    wineq_numpy = np.loadtxt(path, dtype=np.float32, delimiter=";", skiprows=1)
    col_list = next(csv.reader(open(path), delimiter=";"))
    wineq = torch.from_numpy(wineq_numpy)
    assert wineq.shape == (300, 12) and wineq.dtype == torch.float32
    assert col_list == WINE_COLUMNS

    data = wineq[:, :-1]
    target = wineq[:, -1].long()
    assert target.dtype == torch.int64
    target_onehot = torch.zeros(target.shape[0], 10)
    target_onehot.scatter_(1, target.unsqueeze(1), 1.0)
    assert target_onehot.sum(1).tolist() == [1.0] * 300
    assert (target_onehot.argmax(dim=1) == target).all()

    data_mean = torch.mean(data, dim=0)
    data_var = torch.var(data, dim=0)                   # PyTorch's: divided by n - 1
    np.testing.assert_allclose(data_var.numpy(), wineq_numpy[:, :-1].var(0, ddof=1), rtol=1e-4)
    data_normalized = (data - data_mean) / torch.sqrt(data_var)
    np.testing.assert_allclose(data_normalized.mean(0).numpy(), 0, atol=1e-4)
    np.testing.assert_allclose(data_normalized.std(0, unbiased=True).numpy(), 1, rtol=1e-4)

    bad_indexes = target <= 3
    assert bad_indexes.dtype == torch.bool
    assert bad_indexes.sum().item() == (target.numpy() <= 3).sum()
    bad_data = data[bad_indexes]
    mid_data = data[(target > 3) & (target < 7)]
    good_data = data[target >= 7]
    assert len(bad_data) + len(mid_data) + len(good_data) == 300
    bad_mean, good_mean = torch.mean(bad_data, dim=0), torch.mean(good_data, dim=0)
    rows = ["{:2} {:20} {:6.2f} {:6.2f}".format(i, *args)
            for i, args in enumerate(zip(col_list, bad_mean, good_mean))]
    assert rows[10].startswith("10 alcohol") and good_mean[10] > bad_mean[10]
    assert good_mean[6] < bad_mean[6]                   # less sulfur dioxide in good wines

    total_sulfur_threshold = float(torch.median(data[:, 6]))
    predicted_indexes = torch.lt(data[:, 6], total_sulfur_threshold)
    actual_indexes = target > 5
    n_matches = torch.sum(actual_indexes & predicted_indexes).item()
    n_predicted = torch.sum(predicted_indexes).item()
    n_actual = torch.sum(actual_indexes).item()
    assert isinstance(n_matches, int) and n_matches / n_predicted > 0.7
    assert 0 < n_matches / n_actual <= 1


def test_a_bike_sharing_series_reshaped_into_days_with_one_hot_weather():
    rng = np.random.default_rng(1)
    hours = 24 * 7
    bikes_numpy = np.zeros((hours, 17), np.float32)
    bikes_numpy[:, 0] = np.arange(1, hours + 1)
    bikes_numpy[:, 9] = rng.integers(1, 5, hours)       # weather situation 1..4
    bikes_numpy[:, 10] = rng.uniform(0.1, 0.9, hours)   # temperature
    bikes_numpy[:, 16] = rng.integers(0, 500, hours)
    bikes = torch.from_numpy(bikes_numpy)
    assert bikes.shape == (168, 17) and bikes.stride() == (17, 1)
    daily_bikes = bikes.view(-1, 24, bikes.shape[1])
    assert daily_bikes.shape == (7, 24, 17) and daily_bikes.stride() == (408, 17, 1)
    daily_bikes = daily_bikes.transpose(1, 2)
    assert daily_bikes.shape == (7, 17, 24) and daily_bikes.stride() == (408, 1, 17)
    assert daily_bikes.untyped_storage().data_ptr() == bikes.untyped_storage().data_ptr()

    first_day = bikes[:24].long()
    weather_onehot = torch.zeros(first_day.shape[0], 4)
    weather_onehot.scatter_(dim=1, index=first_day[:, 9].unsqueeze(1).long() - 1, value=1.0)
    assert torch.cat((bikes[:24], weather_onehot), 1).shape == (24, 21)
    np.testing.assert_array_equal(weather_onehot.argmax(1).numpy() + 1, bikes_numpy[:24, 9])

    daily_weather_onehot = torch.zeros(daily_bikes.shape[0], 4, daily_bikes.shape[2])
    daily_weather_onehot.scatter_(1, daily_bikes[:, 9, :].long().unsqueeze(1) - 1, 1.0)
    daily_bikes = torch.cat((daily_bikes, daily_weather_onehot), dim=1)
    assert daily_bikes.shape == (7, 21, 24)
    np.testing.assert_array_equal(daily_bikes[:, 17:].sum(1).numpy(), 1.0)

    daily_bikes[:, 9, :] = (daily_bikes[:, 9, :] - 1.0) / 3.0
    assert 0.0 <= daily_bikes[:, 9, :].min().item() and daily_bikes[:, 9, :].max().item() <= 1.0
    temp = daily_bikes[:, 10, :]
    daily_bikes[:, 10, :] = (daily_bikes[:, 10, :] - torch.mean(temp)) / torch.std(temp)
    assert abs(daily_bikes[:, 10, :].mean().item()) < 1e-5
    assert abs(torch.std(daily_bikes[:, 10, :]).item() - 1.0) < 1e-4

    # categories by rows of the identity, selected
    weather = torch.tensor([0, 2, 1, 3, 2])
    eye = torch.eye(4)
    np.testing.assert_array_equal(torch.index_select(eye, 0, weather).numpy(),
                                  np.eye(4, dtype=np.float32)[[0, 2, 1, 3, 2]])
    np.testing.assert_array_equal(eye[weather].numpy(), eye.index_select(0, weather).numpy())


def clean_words(input_str):
    punctuation = '.,;:"!?”“_-'
    word_list = input_str.lower().replace("\n", " ").split()
    return [word.strip(punctuation) for word in word_list]


def test_text_as_one_hot_characters_and_words_and_an_embedding_of_them():
    text = ("Impossible, Mr. Bennet, impossible, when I am not acquainted with him\n"
            "myself; how can you be so teasing?")
    line = text.split("\n")[0]
    letter_t = torch.zeros(len(line), 128)
    for i, letter in enumerate(line.lower().strip()):
        letter_index = ord(letter) if ord(letter) < 128 else 0
        letter_t[i][letter_index] = 1                   # two indexings, the second a view
    assert letter_t.sum().item() == len(line)
    assert letter_t.argmax(1).tolist() == [ord(c) for c in line.lower()]

    word_list = sorted(set(clean_words(text)))
    word2index_dict = {word: i for (i, word) in enumerate(word_list)}
    words_in_line = clean_words(line)
    word_t = torch.zeros(len(words_in_line), len(word2index_dict))
    for i, word in enumerate(words_in_line):
        word_t[i][word2index_dict[word]] = 1
    assert word_t.shape == (11, len(word_list)) and word_t.sum(1).tolist() == [1.0] * 11

    torch.manual_seed(0)
    embedding = nn.Embedding(len(word_list), 5)
    indices = torch.tensor([word2index_dict[w] for w in words_in_line])
    assert torch.allclose(word_t @ embedding.weight, embedding(indices))
    assert F.one_hot(indices, num_classes=len(word_list)).float().equal(word_t)
    # the embedding learns: two words pulled together
    optimizer = optim.SGD(embedding.parameters(), lr=0.1)
    pair = torch.tensor([word2index_dict["impossible"], word2index_dict["bennet"]])
    before = (embedding(pair[:1]) - embedding(pair[1:])).pow(2).sum().item()
    for _ in range(20):
        vectors = embedding(pair)
        loss = (vectors[0] - vectors[1]).pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 1e-3 * before


# -- chapter 5: the mechanics of learning ---------------------------------------------------

T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]
W_TRUE, B_TRUE = 5.3671, -17.3012           # the least-squares line through the readings


def model(t_u, w, b):
    return w * t_u + b


def loss_fn(t_p, t_c):
    squared_diffs = (t_p - t_c) ** 2
    return squared_diffs.mean()


def dloss_fn(t_p, t_c):
    return 2 * (t_p - t_c) / t_p.size(0)


def grad_fn(t_u, t_c, t_p, w, b):
    dloss_dtp = dloss_fn(t_p, t_c)
    dloss_dw = dloss_dtp * t_u                          # dmodel/dw
    dloss_db = dloss_dtp * 1.0                          # dmodel/db
    return torch.stack([dloss_dw.sum(), dloss_db.sum()])


def test_the_thermometer_s_gradient_by_hand_by_differences_and_by_autograd():
    t_c, t_u = torch.tensor(T_C), torch.tensor(T_U)
    w, b = torch.ones(()), torch.zeros(())
    t_p = model(t_u, w, b)
    assert t_p.shape == (11,)
    loss = loss_fn(t_p, t_c)
    assert abs(loss.item() - 1763.8846) < 1e-2
    delta = 0.1
    loss_rate_of_change_w = (loss_fn(model(t_u, w + delta, b), t_c)
                             - loss_fn(model(t_u, w - delta, b), t_c)) / (2.0 * delta)
    by_hand = grad_fn(t_u, t_c, t_p, w, b)
    np.testing.assert_allclose(by_hand[0].item(), loss_rate_of_change_w.item(), rtol=1e-3)

    params = torch.tensor([1.0, 0.0], requires_grad=True)
    assert params.grad is None
    loss = loss_fn(model(t_u, *params), t_c)
    loss.backward()
    np.testing.assert_allclose(params.grad, by_hand.numpy(), rtol=1e-5)


@needs_torch
def test_the_thermometer_s_loss_and_gradient_are_pytorch_s():
    params = torch.tensor([1.5, -3.0], requires_grad=True)
    theirs = pytorch.tensor([1.5, -3.0], requires_grad=True)
    loss = loss_fn(model(0.1 * torch.tensor(T_U), *params), torch.tensor(T_C))
    expected = loss_fn(model(0.1 * pytorch.tensor(T_U), *theirs), pytorch.tensor(T_C))
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(params.grad, theirs.grad.numpy(), rtol=1e-5)


def training_loop_by_hand(n_epochs, learning_rate, params, t_u, t_c):
    for epoch in range(1, n_epochs + 1):
        w, b = params
        t_p = model(t_u, w, b)
        loss = loss_fn(t_p, t_c)
        grad = grad_fn(t_u, t_c, t_p, w, b)
        params = params - learning_rate * grad
    return params, loss


def training_loop_autograd(n_epochs, learning_rate, params, t_u, t_c):
    for epoch in range(1, n_epochs + 1):
        if params.grad is not None:
            params.grad = None                          # the book's params.grad.zero_()
        t_p = model(t_u, *params)
        loss = loss_fn(t_p, t_c)
        loss.backward()
        with torch.no_grad():
            params -= learning_rate * params.grad
    return params, loss


def training_loop_optim(n_epochs, optimizer, params, t_u, t_c):
    for epoch in range(1, n_epochs + 1):
        t_p = model(t_u, *params)
        loss = loss_fn(t_p, t_c)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return params, loss


def test_the_thermometer_is_calibrated_by_hand_by_autograd_and_by_sgd_and_adam():
    t_c, t_u = torch.tensor(T_C), torch.tensor(T_U)
    t_un = 0.1 * t_u
    by_hand, _ = training_loop_by_hand(3000, 1e-2, torch.tensor([1.0, 0.0]), t_un, t_c)
    params = torch.tensor([1.0, 0.0], requires_grad=True)
    by_autograd, loss = training_loop_autograd(3000, 1e-2, params, t_un, t_c)
    assert by_autograd is params and params.is_leaf and params.requires_grad
    np.testing.assert_allclose(by_autograd.detach().numpy(), by_hand.numpy(), rtol=1e-4)
    params = torch.tensor([1.0, 0.0], requires_grad=True)
    by_sgd, _ = training_loop_optim(3000, optim.SGD([params], lr=1e-2), params, t_un, t_c)
    np.testing.assert_allclose(by_sgd.detach().numpy(), by_hand.numpy(), rtol=1e-4)
    np.testing.assert_allclose(by_hand.numpy(), [W_TRUE * 0.1 * 10, B_TRUE], rtol=0.05)
    # Adam on the unscaled input: the step is scale-free, so no normalisation is needed
    params = torch.tensor([1.0, 0.0], requires_grad=True)
    by_adam, loss = training_loop_optim(2000, optim.Adam([params], lr=1e-1), params, t_u, t_c)
    np.testing.assert_allclose(by_adam.detach().numpy(), [W_TRUE / 10, B_TRUE], rtol=1e-3)
    assert loss.item() < 2.93


def test_the_book_s_gradient_resets_say_what_to_write():
    params = torch.tensor([1.0, 0.0], requires_grad=True)
    loss = loss_fn(model(torch.tensor(T_U), *params), torch.tensor(T_C))
    loss.backward()
    with pytest.raises(AttributeError) as caught:
        with torch.no_grad():
            params.grad.zero_()                         # .grad is a numpy array here
    assert "p.grad = None" in " ".join(getattr(caught.value, "__notes__", []))
    with pytest.raises(TypeError, match=r"float\(\).*use t.item\(\)"):
        float(loss)                                     # the book's print(float(loss))
    assert f"{loss:.4f}" == f"{loss.item():.4f}"


def test_a_validation_split_by_randperm_whose_loss_has_no_graph():
    t_c, t_u = torch.tensor(T_C), torch.tensor(T_U)
    n_samples = t_u.shape[0]
    n_val = int(0.2 * n_samples)
    torch.manual_seed(1)
    shuffled_indices = torch.randperm(n_samples)
    assert sorted(shuffled_indices.tolist()) == list(range(11))
    train_indices, val_indices = shuffled_indices[:-n_val], shuffled_indices[-n_val:]
    train_t_un, val_t_un = 0.1 * t_u[train_indices], 0.1 * t_u[val_indices]
    train_t_c, val_t_c = t_c[train_indices], t_c[val_indices]

    params = torch.tensor([1.0, 0.0], requires_grad=True)
    optimizer = optim.SGD([params], lr=1e-2)
    losses = []
    for epoch in range(1, 3001):
        train_loss = loss_fn(model(train_t_un, *params), train_t_c)
        with torch.no_grad():
            val_loss = loss_fn(model(val_t_un, *params), val_t_c)
            assert val_loss.requires_grad is False and val_loss.is_leaf
        optimizer.zero_grad()
        train_loss.backward()
        optimizer.step()
        losses.append((train_loss.item(), val_loss.item()))
    assert losses[-1][0] < 0.1 * losses[0][0] and losses[-1][0] < 4.0
    assert losses[-1][1] < losses[0][1]

    def calc_forward(t_u, t_c, is_train):
        with torch.set_grad_enabled(is_train):
            return loss_fn(model(t_u, *params), t_c)
    assert calc_forward(train_t_un, train_t_c, True).requires_grad
    assert not calc_forward(val_t_un, val_t_c, False).requires_grad


# -- chapter 6: the neural network ----------------------------------------------------------

def thermometer_split():
    t_c = torch.tensor(T_C).unsqueeze(1)                # a batch of 11 one-feature samples
    t_u = torch.tensor(T_U).unsqueeze(1)
    train, val = [5, 0, 6, 10, 9, 1, 2, 4, 8], [3, 7]
    return 0.1 * t_u[train], 0.1 * t_u[val], t_c[train], t_c[val]


def training_loop(n_epochs, optimizer, model, loss_fn, t_u_train, t_u_val, t_c_train, t_c_val):
    history = []
    for epoch in range(1, n_epochs + 1):
        loss_train = loss_fn(model(t_u_train), t_c_train)
        with torch.no_grad():
            loss_val = loss_fn(model(t_u_val), t_c_val)
        optimizer.zero_grad()
        loss_train.backward()
        optimizer.step()
        history.append((loss_train.item(), loss_val.item()))
    return history


def test_nn_linear_learns_the_thermometer_from_a_batch():
    t_u_train, t_u_val, t_c_train, t_c_val = thermometer_split()
    torch.manual_seed(0)
    linear_model = nn.Linear(1, 1)
    assert linear_model(t_u_val).shape == (2, 1) and linear_model(torch.ones(1)).shape == (1,)
    assert linear_model.weight.shape == (1, 1) and linear_model.bias.shape == (1,)
    assert len(list(linear_model.parameters())) == 2
    optimizer = optim.SGD(linear_model.parameters(), lr=1e-2)
    history = training_loop(5000, optimizer, linear_model, nn.MSELoss(), *thermometer_split())
    assert history[-1][0] < 3.5 < 30 < history[0][0]
    # the least squares line through the nine training readings, in the scaled input
    A = np.c_[t_u_train.numpy(), np.ones(9)]
    w, b = np.linalg.lstsq(A, t_c_train.numpy()[:, 0], rcond=None)[0]
    assert abs(linear_model.weight.item() - w) < 0.05 * abs(w)
    assert abs(linear_model.bias.item() - b) < 0.05 * abs(b)


def test_a_sequential_of_named_layers_with_a_tanh_hidden_layer():
    torch.manual_seed(0)
    seq_model = nn.Sequential(nn.Linear(1, 13), nn.Tanh(), nn.Linear(13, 1))
    assert [p.shape for p in seq_model.parameters()] == [(13, 1), (13,), (1, 13), (1,)]
    assert [n for n, _ in seq_model.named_parameters()] == \
        ["0.weight", "0.bias", "2.weight", "2.bias"]
    seq_model = nn.Sequential(OrderedDict([
        ("hidden_linear", nn.Linear(1, 8)),
        ("hidden_activation", nn.Tanh()),
        ("output_linear", nn.Linear(8, 1))]))
    assert "(hidden_linear): Linear(in_features=1, out_features=8, bias=True)" in str(seq_model)
    assert [(n, p.shape) for n, p in seq_model.named_parameters()] == [
        ("hidden_linear.weight", (8, 1)), ("hidden_linear.bias", (8,)),
        ("output_linear.weight", (1, 8)), ("output_linear.bias", (1,))]
    assert seq_model.output_linear.bias is seq_model[2].bias
    assert sum(p.numel() for p in seq_model.parameters() if p.requires_grad) == 25
    optimizer = optim.SGD(seq_model.parameters(), lr=1e-3)
    history = training_loop(2000, optimizer, seq_model, nn.MSELoss(), *thermometer_split())
    assert history[-1][0] < 6.0 and history[-1][0] < 0.05 * history[0][0]
    grad = seq_model.hidden_linear.weight.grad
    assert grad.shape == (8, 1) and np.isfinite(grad).all() and np.abs(grad).sum() > 0
    t_range = torch.arange(20.0, 90.0).unsqueeze(1)
    assert seq_model(0.1 * t_range).detach().numpy().shape == (70, 1)


@needs_torch
def test_the_named_sequential_steps_as_pytorch_s_from_the_same_weights():
    from torch_helpers import assert_stepped_as_torch
    torch.manual_seed(3)
    ours = nn.Sequential(OrderedDict([("hidden_linear", nn.Linear(1, 8)),
                                      ("hidden_activation", nn.Tanh()),
                                      ("output_linear", nn.Linear(8, 1))]))
    theirs = pytorch.nn.Sequential(OrderedDict([("hidden_linear", pytorch.nn.Linear(1, 8)),
                                                ("hidden_activation", pytorch.nn.Tanh()),
                                                ("output_linear", pytorch.nn.Linear(8, 1))]))
    theirs.load_state_dict({k: pytorch.tensor(np.array(v)) for k, v in ours.state_dict().items()})
    t_u_train, _, t_c_train, _ = thermometer_split()
    ours_opt = optim.SGD(ours.parameters(), lr=1e-3)
    theirs_opt = pytorch.optim.SGD(theirs.parameters(), lr=1e-3)
    for _ in range(3):
        loss = nn.MSELoss()(ours(t_u_train), t_c_train)
        expected = pytorch.nn.MSELoss()(theirs(pytorch.tensor(t_u_train.numpy())),
                                        pytorch.tensor(t_c_train.numpy()))
        np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-5)
        for opt, l in ((ours_opt, loss), (theirs_opt, expected)):
            opt.zero_grad()
            l.backward()
            opt.step()
        assert_stepped_as_torch(ours, theirs)


# -- chapters 7 and 8: images -----------------------------------------------------------------

class ToTensor:
    """torchvision's ToTensor for an (H, W, C) uint8 image: (C, H, W) floats in [0, 1]."""
    def __call__(self, pic):
        return torch.from_numpy(pic).permute(2, 0, 1).float() / 255


class Normalize:
    def __init__(self, mean, std):
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __call__(self, t):
        return (t - self.mean) / self.std


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class TinyCIFAR10(nn.data.Dataset):
    """CIFAR-10-like: 16×16 RGB uint8 images of ten classes; airplanes (0) have a bluer upper
    half, birds (2) a greener middle, the rest noise; (image, label) pairs."""
    def __init__(self, n, seed, transform=None):
        rng = np.random.default_rng(seed)
        self.labels = rng.integers(0, 10, n)
        images = rng.integers(0, 200, (n, 16, 16, 3))
        images[self.labels == 0, :8, :, 2] += 55
        images[self.labels == 2, 4:12, 4:12, 1] += 55
        self.images = images.astype(np.uint8)
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        img = self.images[index]
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.labels[index])


LABEL_MAP = {0: 0, 2: 1}        # airplane, bird


def birds_and_airplanes(n=600, seed=0):
    tensor_cifar10 = TinyCIFAR10(n, seed, transform=ToTensor())
    imgs = torch.stack([img_t for img_t, _ in tensor_cifar10], dim=3)
    mean = imgs.view(3, -1).mean(dim=1)
    std = imgs.view(3, -1).std(dim=1, unbiased=True)
    transform = Compose([ToTensor(), Normalize(mean.tolist(), std.tolist())])
    cifar2 = [(img, LABEL_MAP[label]) for img, label in TinyCIFAR10(n, seed, transform)
              if label in [0, 2]]
    cifar2_val = [(img, LABEL_MAP[label]) for img, label in TinyCIFAR10(n // 2, seed + 1,
                                                                        transform)
                  if label in [0, 2]]
    return cifar2, cifar2_val, imgs, mean, std


def accuracy(model, data, flatten=False):
    loader = nn.data.DataLoader(data, batch_size=64, shuffle=False)
    correct = total = 0
    with torch.no_grad():
        for imgs, labels in loader:
            outputs = model(imgs.view(imgs.shape[0], -1) if flatten else imgs)
            _, predicted = torch.max(outputs, dim=1)
            total += labels.shape[0]
            correct += int((predicted == labels).sum())
    return correct / total


def test_images_to_tensors_normalised_per_channel_by_stacking():
    cifar10 = TinyCIFAR10(50, 0)
    img, label = cifar10[3]
    assert img.shape == (16, 16, 3) and img.dtype == np.uint8 and isinstance(label, int)
    img_t, _ = TinyCIFAR10(50, 0, transform=ToTensor())[3]
    assert img_t.shape == (3, 16, 16) and img_t.dtype == torch.float32
    assert 0.0 <= img_t.min().item() and img_t.max().item() <= 1.0
    np.testing.assert_allclose(img_t.permute(1, 2, 0).numpy(), img / 255, rtol=1e-6)
    cifar2, cifar2_val, imgs, mean, std = birds_and_airplanes(200)
    assert imgs.shape == (3, 16, 16, 200)
    pixels = np.stack([TinyCIFAR10(200, 0)[i][0] for i in range(200)], axis=3) / 255
    np.testing.assert_allclose(mean.numpy(), pixels.reshape(-1, 3, 200).mean((0, 2)), rtol=1e-5)
    assert {label for _, label in cifar2} == {0, 1} and len(cifar2_val) > 10
    transform = Compose([ToTensor(), Normalize(mean.tolist(), std.tolist())])
    normalised = torch.stack([img for img, _ in TinyCIFAR10(200, 0, transform)], dim=3)
    assert normalised.is_contiguous() and normalised.stride() == (200 * 256, 16 * 200, 200, 1)
    np.testing.assert_allclose(normalised.view(3, -1).mean(dim=1).numpy(), 0, atol=1e-5)
    np.testing.assert_allclose(torch.std(normalised.view(3, -1), dim=1).numpy(), 1, rtol=1e-5)


def test_softmax_logsoftmax_nllloss_and_cross_entropy_agree():
    x = torch.tensor([1.0, 2.0, 3.0])

    def softmax(x):
        return torch.exp(x) / torch.exp(x).sum()
    np.testing.assert_allclose(softmax(x).numpy(), nn.Softmax(dim=0)(x).numpy(), rtol=1e-6)
    assert abs(softmax(x).sum().item() - 1.0) < 1e-6
    torch.manual_seed(0)
    logits = torch.randn(5, 2, requires_grad=True)
    labels = torch.tensor([0, 1, 1, 0, 1])
    a = nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), labels)
    b = nn.CrossEntropyLoss()(logits, labels)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)
    a.backward()
    first = logits.grad.copy()
    logits.grad = None
    b.backward()
    np.testing.assert_allclose(first, logits.grad, rtol=1e-5, atol=1e-7)


def test_a_fully_connected_classifier_tells_birds_from_airplanes():
    cifar2, cifar2_val, *_ = birds_and_airplanes()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(768, 64), nn.Tanh(), nn.Linear(64, 2), nn.LogSoftmax(dim=1))
    img, label = cifar2[0]
    out = model(img.view(-1).unsqueeze(0))
    assert out.shape == (1, 2) and abs(out.exp().sum().item() - 1) < 1e-5
    _, index = torch.max(out, dim=1)
    assert index.shape == (1,) and index.dtype == torch.int64
    train_loader = nn.data.DataLoader(cifar2, batch_size=32, shuffle=True)
    optimizer = optim.SGD(model.parameters(), lr=1e-2)
    loss_fn = nn.NLLLoss()
    first = None
    for epoch in range(8):
        total = 0.0
        for imgs, labels in train_loader:
            outputs = model(imgs.view(imgs.shape[0], -1))
            loss = loss_fn(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        first = total if first is None else first
    assert total < 0.5 * first
    assert accuracy(model, cifar2_val, flatten=True) > 0.85
    model = nn.Sequential(nn.Linear(3072, 512), nn.Tanh(), nn.Linear(512, 2))
    numel_list = [p.numel() for p in model.parameters() if p.requires_grad == True]  # noqa: E712
    assert sum(numel_list) == 1574402 and numel_list == [1572864, 512, 1024, 2]


class Net(nn.Module):
    """The chapter's net in the functional style (16×16 images: 4×4 after two poolings)."""
    def __init__(self, n_chans1=16):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(4 * 4 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
        out = out.view(-1, 4 * 4 * self.n_chans1 // 2)
        out = torch.tanh(self.fc1(out))
        return self.fc2(out)


class NetDropoutBatchNorm(nn.Module):
    def __init__(self, n_chans1=8):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv1_batchnorm = nn.BatchNorm2d(num_features=n_chans1)
        self.conv1_dropout = nn.Dropout2d(p=0.4)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
        self.conv2_batchnorm = nn.BatchNorm2d(num_features=n_chans1 // 2)
        self.conv2_dropout = nn.Dropout2d(p=0.4)
        self.fc1 = nn.Linear(4 * 4 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = self.conv1_batchnorm(self.conv1(x))
        out = self.conv1_dropout(F.max_pool2d(torch.tanh(out), 2))
        out = self.conv2_batchnorm(self.conv2(out))
        out = self.conv2_dropout(F.max_pool2d(torch.tanh(out), 2))
        out = out.view(-1, 4 * 4 * self.n_chans1 // 2)
        return self.fc2(torch.tanh(self.fc1(out)))


class ResBlock(nn.Module):
    def __init__(self, n_chans):
        super(ResBlock, self).__init__()
        self.conv = nn.Conv2d(n_chans, n_chans, kernel_size=3, padding=1, bias=False)
        self.batch_norm = nn.BatchNorm2d(num_features=n_chans)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        nn.init.constant_(self.batch_norm.weight, 0.5)
        nn.init.zeros_(self.batch_norm.bias)

    def forward(self, x):
        out = self.conv(x)
        out = self.batch_norm(out)
        out = torch.relu(out)
        return out + x


class NetResDeep(nn.Module):
    def __init__(self, n_chans1=8, n_blocks=4):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.resblocks = nn.Sequential(*(n_blocks * [ResBlock(n_chans=n_chans1)]))
        self.fc1 = nn.Linear(4 * 4 * n_chans1, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        out = self.resblocks(out)
        out = F.max_pool2d(out, 2)
        out = out.view(-1, 4 * 4 * self.n_chans1)
        out = torch.relu(self.fc1(out))
        return self.fc2(out)


def train_loop(n_epochs, optimizer, model, loss_fn, train_loader, l2_lambda=0.0):
    losses = []
    for epoch in range(1, n_epochs + 1):
        loss_train = 0.0
        for imgs, labels in train_loader:
            outputs = model(imgs)
            loss = loss_fn(outputs, labels)
            if l2_lambda:
                l2_norm = sum(p.pow(2.0).sum() for p in model.parameters())
                loss = loss + l2_lambda * l2_norm
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_train += loss.item()
        losses.append(loss_train / len(train_loader))
    return losses


@pytest.mark.parametrize("make, l2_lambda", [(Net, 0.001), (NetDropoutBatchNorm, 0.0),
                                             (NetResDeep, 0.0)])
def test_convolutional_nets_learn_birds_from_airplanes(make, l2_lambda, tmp_path):
    cifar2, cifar2_val, *_ = birds_and_airplanes()
    torch.manual_seed(0)
    model = make()
    train_loader = nn.data.DataLoader(cifar2, batch_size=32, shuffle=True)
    optimizer = optim.SGD(model.parameters(), lr=1e-1)
    losses = train_loop(6, optimizer, model, nn.CrossEntropyLoss(), train_loader, l2_lambda)
    assert losses[-1] < 0.65 * losses[0]
    model.eval()
    assert accuracy(model, cifar2_val) > 0.85
    # saved and loaded into a new model: the same outputs
    nn.save(model.state_dict(), tmp_path / "birds_vs_airplanes.pt")
    loaded_model = make()
    loaded_model.load_state_dict(nn.load(tmp_path / "birds_vs_airplanes.pt",
                                         map_location=torch.device("cpu")))
    loaded_model.eval()
    batch = torch.stack([img for img, _ in cifar2_val[:8]])
    np.testing.assert_array_equal(loaded_model(batch).detach().numpy(),
                                  model(batch).detach().numpy())


def test_parameter_counts_and_the_init_functions_of_the_deep_net():
    assert sum(p.numel() for p in Net().parameters()) == 448 + 1160 + 4128 + 66
    torch.manual_seed(0)
    block = ResBlock(16)
    assert block.conv.bias is None
    assert np.all(block.batch_norm.weight.numpy() == 0.5)
    assert np.all(block.batch_norm.bias.numpy() == 0.0)
    std = block.conv.weight.numpy().std()
    assert abs(std - np.sqrt(2.0 / (16 * 9))) < 0.1 * np.sqrt(2.0 / (16 * 9))
    deep = NetResDeep(8, 3)
    # the book's n_blocks * [ResBlock(...)]: one block three times, its weights counted once
    assert len(list(deep.parameters())) == 2 + 3 + 4
    with pytest.raises(ValueError, match=r"flatten them first.*nn.Flatten\(\)"):
        nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2),
                      nn.Linear(4 * 8 * 8, 2))(torch.zeros(1, 3, 16, 16))


@needs_torch
@pytest.mark.parametrize("make", [Net, NetResDeep])
def test_the_conv_nets_losses_and_gradients_are_pytorch_s(make):
    torch.manual_seed(1)
    ours = make()
    theirs = _twin(make)
    theirs.load_state_dict({k: pytorch.tensor(np.array(v)) for k, v in ours.state_dict().items()})
    cifar2, *_ = birds_and_airplanes(120)
    imgs = torch.stack([img for img, _ in cifar2[:16]])
    labels = torch.tensor([label for _, label in cifar2[:16]])
    loss = nn.CrossEntropyLoss()(ours(imgs), labels)
    l2 = sum(p.pow(2.0).sum() for p in ours.parameters())
    (loss + 0.001 * l2).backward()
    expected = pytorch.nn.CrossEntropyLoss()(theirs(pytorch.tensor(imgs.numpy())),
                                             pytorch.tensor(labels.numpy()))
    l2_theirs = sum(p.pow(2.0).sum() for p in theirs.parameters())
    (expected + 0.001 * l2_theirs).backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-5)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        t = theirs_params[name].grad.numpy()
        np.testing.assert_allclose(p.grad, t, rtol=1e-3, atol=1e-5 * np.abs(t).max(),
                                   err_msg=name)


def _twin(make):
    """The same nets in PyTorch, written as the book writes them."""
    tnn, tF = pytorch.nn, pytorch.nn.functional

    class TNet(tnn.Module):
        def __init__(self, n_chans1=16):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = tnn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.conv2 = tnn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
            self.fc1 = tnn.Linear(4 * 4 * n_chans1 // 2, 32)
            self.fc2 = tnn.Linear(32, 2)

        def forward(self, x):
            out = tF.max_pool2d(pytorch.tanh(self.conv1(x)), 2)
            out = tF.max_pool2d(pytorch.tanh(self.conv2(out)), 2)
            out = out.view(-1, 4 * 4 * self.n_chans1 // 2)
            return self.fc2(pytorch.tanh(self.fc1(out)))

    class TResBlock(tnn.Module):
        def __init__(self, n_chans):
            super().__init__()
            self.conv = tnn.Conv2d(n_chans, n_chans, kernel_size=3, padding=1, bias=False)
            self.batch_norm = tnn.BatchNorm2d(num_features=n_chans)

        def forward(self, x):
            return pytorch.relu(self.batch_norm(self.conv(x))) + x

    class TNetResDeep(tnn.Module):
        def __init__(self, n_chans1=8, n_blocks=4):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = tnn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.resblocks = tnn.Sequential(*(n_blocks * [TResBlock(n_chans=n_chans1)]))
            self.fc1 = tnn.Linear(4 * 4 * n_chans1, 32)
            self.fc2 = tnn.Linear(32, 2)

        def forward(self, x):
            out = tF.max_pool2d(pytorch.relu(self.conv1(x)), 2)
            out = tF.max_pool2d(self.resblocks(out), 2)
            out = out.view(-1, 4 * 4 * self.n_chans1)
            return self.fc2(pytorch.relu(self.fc1(out)))

    return {Net: TNet, NetResDeep: TNetResDeep}[make]()


@needs_torch
def test_our_state_dict_file_loads_into_pytorch_s_net(tmp_path):
    torch.manual_seed(2)
    ours = NetResDeep(8, 2)
    ours.eval()
    nn.save(ours.state_dict(), tmp_path / "birds_vs_airplanes.pt")
    theirs = _twin(NetResDeep)
    theirs.resblocks = pytorch.nn.Sequential(*theirs.resblocks[:2])
    theirs.load_state_dict(pytorch.load(tmp_path / "birds_vs_airplanes.pt"))
    theirs.eval()
    x = np.random.default_rng(0).normal(size=(4, 3, 16, 16)).astype(np.float32)
    with torch.no_grad():
        mine = ours(torch.tensor(x)).numpy()
    np.testing.assert_allclose(mine, theirs(pytorch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
