"""The exercises that follow the micrograd and makemore lectures, run on glassgrad.

A learner who has built micrograd goes on to its exercises (derivatives of a function of
several variables; softmax and its negative log-likelihood from Values, checked against
PyTorch), then to "becoming a backprop ninja" (a two-layer MLP with an embedding table and a
batch norm written out by hand, every gradient derived on paper and compared with the engine's)
and to makemore's sampling loops. These tests are our own re-creations of those exercises, as a
learner ports them: `from autograd import Value` for micrograd's class; glassgrad Tensors,
`nn.functional as F` and `autograd.multinomial` for PyTorch's. Where glassgrad spells a call
differently the test uses glassgrad's spelling and says so in a comment (# port: ...).

The references are the learner's own: gradients derived by hand with numpy, central
differences, counting. Where torch is installed the same numbers are also checked against
PyTorch (skipped otherwise; nothing is recorded).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, Value
from nn import functional as F

# -- part 1: the micrograd exercises ---------------------------------------------------------------


def f(a, b, c):
    """A function of three variables built of the ops the exercise uses: powers (fractional
    ones too), a sine, a division of a number by a variable, sums and differences."""
    return -a ** 3 + math.sin(2 * b) - 2.0 / c + b ** 2.5 - a ** 0.5


def f_of_values(a: Value, b: Value, c: Value) -> Value:
    """`f` with Values: math.sin takes floats only (as with micrograd's Value), so `.sin()`."""
    return -a ** 3 + (2 * b).sin() - 2.0 / c + b ** 2.5 - a ** 0.5


def gradient_of_f(a: float, b: float, c: float) -> list[float]:
    """df/da, df/db, df/dc, derived by hand."""
    return [-3 * a ** 2 - 0.5 * a ** -0.5,
            2 * math.cos(2 * b) + 2.5 * b ** 1.5,
            2.0 / c ** 2]


POINT = (2.0, 3.0, 4.0)


def test_the_hand_derived_gradient_matches_finite_differences():
    forward, central = [], []
    for i in range(3):
        h = 1e-6
        up = list(POINT); up[i] += h                       # noqa: E702
        down = list(POINT); down[i] -= h                   # noqa: E702
        forward.append((f(*up) - f(*POINT)) / h)
        central.append((f(*up) - f(*down)) / (2 * h))
    exact = gradient_of_f(*POINT)
    assert np.allclose(forward, exact, rtol=0, atol=1e-4)
    assert np.allclose(central, exact, rtol=0, atol=1e-7)     # the symmetric one is closer


def test_backward_through_the_same_function_of_values():
    a, b, c = (Value(x) for x in POINT)
    out = f_of_values(a, b, c)
    out.backward()
    assert out.data == pytest.approx(f(*POINT), abs=1e-12)
    assert [a.grad, b.grad, c.grad] == pytest.approx(gradient_of_f(*POINT), abs=1e-12)


def softmax(logits: list) -> list:
    """The exercise's softmax over a list of Values: `sum` starts from the int 0 (so 0 + Value
    must work), then each count is divided by the Value total."""
    counts = [logit.exp() for logit in logits]
    total = sum(counts)
    return [count / total for count in counts]


LOGITS, LABEL = [0.5, -1.0, 2.0, 0.25], 1


def test_softmax_and_its_negative_log_likelihood_from_values():
    logits = [Value(x) for x in LOGITS]
    probs = softmax(logits)
    loss = -probs[LABEL].log()
    loss.backward()
    # by hand: p = exp(z) / sum exp(z); -log p_y has the gradient p - onehot(y)
    p = np.exp(LOGITS) / np.exp(LOGITS).sum()
    assert loss.data == pytest.approx(-math.log(p[LABEL]), abs=1e-12)
    assert [x.grad for x in logits] == pytest.approx(p - np.eye(4)[LABEL], abs=1e-12)
    assert sum(q.data for q in probs) == pytest.approx(1.0, abs=1e-15)


def test_softmax_negative_log_likelihood_as_pytorch_computes_it():
    torch = pytest.importorskip("torch", reason="PyTorch is optional (pip install torch)")
    logits = [Value(x) for x in LOGITS]
    loss = -softmax(logits)[LABEL].log()
    loss.backward()
    z = torch.tensor(LOGITS, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(z[None], torch.tensor([LABEL]))
    expected.backward()
    assert loss.data == pytest.approx(expected.item(), abs=1e-12)
    assert [x.grad for x in logits] == pytest.approx(z.grad.tolist(), abs=1e-12)


# The ops the exercise has the learner add to micrograd's Value, each as a learner writes it;
# glassgrad's Value has them all. Each is checked against central differences.
LEARNERS_OPS = {
    "a / b": lambda a, b: a / b,
    "2 / b": lambda a, b: 2 / b,
    "-a": lambda a, b: -a,
    "a - b": lambda a, b: a - b,
    "3 - a": lambda a, b: 3 - a,
    "a ** 2": lambda a, b: a ** 2,
    "a ** -1.5": lambda a, b: a ** -1.5,
    "2 ** a": lambda a, b: 2 ** a,
    "a ** b": lambda a, b: a ** b,
    "a.exp()": lambda a, b: a.exp(),
    "b.log()": lambda a, b: b.log(),
    "a.tanh()": lambda a, b: a.tanh(),
    "sum([a, b, a])": lambda a, b: sum([a, b, a]),
    "(a * b).exp() / (1 + a.exp())": lambda a, b: (a * b).exp() / (1 + a.exp()),
}


@pytest.mark.parametrize("name", LEARNERS_OPS)
def test_the_ops_the_exercise_adds_to_value(name):
    op, x, y, h = LEARNERS_OPS[name], 0.7, 1.3, 1e-6
    a, b = Value(x), Value(y)
    out = op(a, b)
    out.backward()
    value = op(_Float(x), _Float(y)).x                  # the same expression on plain floats
    assert out.data == pytest.approx(value, abs=1e-12)
    da = (op(_Float(x + h), _Float(y)).x - op(_Float(x - h), _Float(y)).x) / (2 * h)
    db = (op(_Float(x), _Float(y + h)).x - op(_Float(x), _Float(y - h)).x) / (2 * h)
    assert (a.grad, b.grad) == pytest.approx((da, db), abs=1e-6)


class _Float:
    """A float with `.exp()`, `.log()`, `.tanh()` methods, so that one lambda serves both."""

    def __init__(self, x: float) -> None:
        self.x = x

    def _map(self, other, fn):
        return _Float(fn(self.x, other.x if isinstance(other, _Float) else other))

    def __add__(self, o): return self._map(o, lambda s, t: s + t)
    def __radd__(self, o): return self._map(o, lambda s, t: t + s)
    def __sub__(self, o): return self._map(o, lambda s, t: s - t)
    def __rsub__(self, o): return self._map(o, lambda s, t: t - s)
    def __mul__(self, o): return self._map(o, lambda s, t: s * t)
    def __truediv__(self, o): return self._map(o, lambda s, t: s / t)
    def __rtruediv__(self, o): return self._map(o, lambda s, t: t / s)
    def __pow__(self, o): return self._map(o, lambda s, t: s ** t)
    def __rpow__(self, o): return self._map(o, lambda s, t: t ** s)
    def __neg__(self): return _Float(-self.x)
    def exp(self): return _Float(math.exp(self.x))
    def log(self): return _Float(math.log(self.x))
    def tanh(self): return _Float(math.tanh(self.x))


# -- part 2: becoming a backprop ninja ------------------------------------------------------------
# A character-level MLP: 3 characters of context, each looked up in an embedding table C, the
# three embeddings concatenated, a hidden layer with a batch norm written out step by step, tanh,
# and a cross-entropy written out too. Every intermediate has a name, and the learner derives
# the gradient of the loss with respect to each of them by hand (here with numpy), then
# compares it with what backward left in its `.grad`.

VOCAB, BLOCK, EMBED, HIDDEN, BATCH = 27, 3, 10, 64, 32
BN_EPS = 1e-5


def ninja_data() -> dict[str, np.ndarray]:
    """The parameters (float32, scaled as in the lecture) and one batch, drawn with numpy."""
    rng = np.random.default_rng(2024)

    def normal(*shape):
        return rng.standard_normal(shape).astype(np.float32)
    fan_in = EMBED * BLOCK
    return dict(
        C=normal(VOCAB, EMBED),
        W1=normal(fan_in, HIDDEN) * np.float32((5 / 3) / fan_in ** 0.5),
        b1=normal(HIDDEN) * np.float32(0.1),       # (useless before a batch norm: a check that
        W2=normal(HIDDEN, VOCAB) * np.float32(0.1),  # its gradient is 0 all the same)
        b2=normal(VOCAB) * np.float32(0.1),
        bngain=normal(1, HIDDEN) * np.float32(0.1) + np.float32(1.0),
        bnbias=normal(1, HIDDEN) * np.float32(0.1),
        Xb=rng.integers(0, VOCAB, (BATCH, BLOCK)),
        Yb=rng.integers(0, VOCAB, BATCH),
    )


PARAMETERS = ["C", "W1", "b1", "W2", "b2", "bngain", "bnbias"]
# every intermediate, from the loss back to the embeddings (the order of the derivation)
INTERMEDIATES = ["logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits",
                 "logit_maxes", "logits", "h", "hpreact", "bnraw", "bnvar_inv", "bnvar",
                 "bndiff2", "bndiff", "bnmeani", "hprebn", "embcat", "emb"]


def lecture_forward(C, W1, b1, W2, b2, bngain, bnbias, Xb, Yb, tanh, row_max) -> dict:
    """The lecture's forward pass, line by line, for glassgrad's Tensors or PyTorch's: the two
    calls spelt differently come as arguments. Returns every named node, the loss among them,
    after backward with retain_grad on each intermediate."""
    n = BATCH
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff ** 2
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)      # Bessel's correction: n - 1
    bnvar_inv = (bnvar + BN_EPS) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = row_max(logits)
    norm_logits = logits - logit_maxes                      # subtracted for stability only
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    nodes = dict(locals())
    for name in INTERMEDIATES:
        nodes[name].retain_grad()                   # (glassgrad: nothing to do, all keep it)
    loss.backward()
    return nodes


def ninja_forward(data: dict) -> dict:
    """The forward pass on glassgrad Tensors, ported from PyTorch."""
    parameters = [Tensor(data[k], requires_grad=True) for k in PARAMETERS]
    return lecture_forward(
        *parameters, Tensor(data["Xb"]), Tensor(data["Yb"]),
        tanh=F.tanh,                                        # port: torch.tanh
        # port: PyTorch's positional logits.max(1, keepdim=True) is numpy's max here (the
        # values only), so its .values is refused; dim= asks for PyTorch's (values, indices)
        row_max=lambda logits: logits.max(dim=1, keepdim=True).values)


def ninja_by_hand(t: dict) -> dict[str, np.ndarray]:
    """The gradient of the loss with respect to every intermediate and parameter, derived by
    hand with numpy from the forward pass's numbers, last op first."""
    v = {name: t[name].data for name in INTERMEDIATES + PARAMETERS}
    Xb, Yb, n = t["Xb"].data, t["Yb"].data, BATCH
    d = {}
    d["logprobs"] = np.zeros_like(v["logprobs"])
    d["logprobs"][range(n), Yb] = -1.0 / n                  # loss = -mean of the picked ones
    d["probs"] = d["logprobs"] / v["probs"]                 # log p: 1/p
    # probs = counts * counts_sum_inv, counts_sum_inv (n, 1) broadcast over the columns
    d["counts_sum_inv"] = (v["counts"] * d["probs"]).sum(1, keepdims=True)
    d["counts_sum"] = -v["counts_sum"] ** -2 * d["counts_sum_inv"]
    # counts reaches the loss twice: directly, and through counts_sum
    d["counts"] = v["counts_sum_inv"] * d["probs"] + d["counts_sum"]
    d["norm_logits"] = v["counts"] * d["counts"]            # exp' = exp
    d["logit_maxes"] = -d["norm_logits"].sum(1, keepdims=True)
    # logits reaches norm_logits directly, and the max through the position it was taken at
    at_max = np.zeros_like(v["logits"])
    at_max[range(n), v["logits"].argmax(1)] = 1.0
    d["logits"] = d["norm_logits"] + at_max * d["logit_maxes"]
    d["h"] = d["logits"] @ v["W2"].T
    d["W2"] = v["h"].T @ d["logits"]
    d["b2"] = d["logits"].sum(0)
    d["hpreact"] = (1.0 - v["h"] ** 2) * d["h"]             # tanh' = 1 - tanh²
    d["bngain"] = (v["bnraw"] * d["hpreact"]).sum(0, keepdims=True)
    d["bnbias"] = d["hpreact"].sum(0, keepdims=True)
    d["bnraw"] = v["bngain"] * d["hpreact"]
    d["bnvar_inv"] = (v["bndiff"] * d["bnraw"]).sum(0, keepdims=True)
    d["bnvar"] = -0.5 * (v["bnvar"] + BN_EPS) ** -1.5 * d["bnvar_inv"]
    d["bndiff2"] = np.ones_like(v["bndiff2"]) / (n - 1) * d["bnvar"]
    # bndiff reaches the loss through bnraw and through its square
    d["bndiff"] = v["bnvar_inv"] * d["bnraw"] + 2 * v["bndiff"] * d["bndiff2"]
    d["bnmeani"] = -d["bndiff"].sum(0, keepdims=True)
    d["hprebn"] = d["bndiff"] + np.ones_like(v["hprebn"]) / n * d["bnmeani"]
    d["embcat"] = d["hprebn"] @ v["W1"].T
    d["W1"] = v["embcat"].T @ d["hprebn"]
    d["b1"] = d["hprebn"].sum(0)
    d["emb"] = d["embcat"].reshape(v["emb"].shape)
    d["C"] = np.zeros_like(v["C"])
    for k in range(Xb.shape[0]):                            # each row of C gets the gradient
        for j in range(Xb.shape[1]):                        # of every place it was looked up
            d["C"][Xb[k, j]] += d["emb"][k, j]
    return d


@pytest.fixture(scope="module")
def ninja():
    forward = ninja_forward(ninja_data())
    return forward, ninja_by_hand(forward)


def test_every_intermediate_keeps_its_gradient_after_backward(ninja):
    t, _ = ninja
    for name in INTERMEDIATES + PARAMETERS:
        grad = t[name].grad
        assert isinstance(grad, np.ndarray) and grad.shape == t[name].shape, name
        assert grad.dtype == np.float32, name


@pytest.mark.parametrize("name", INTERMEDIATES + PARAMETERS)
def test_each_gradient_derived_by_hand_matches_backward(ninja, name):
    t, by_hand = ninja
    # the lecture's cmp(): "approximate" is torch.allclose (rtol 1e-5, atol 1e-8); float32
    # sums of ~30 terms in another order differ in their last bits, hence atol 1e-7 here
    assert np.allclose(by_hand[name], t[name].grad, rtol=1e-5, atol=1e-7), \
        f"{name}: max diff {np.abs(by_hand[name] - t[name].grad).max()}"


def test_the_loss_is_a_cross_entropy_and_its_gradient_is_softmax_minus_onehot(ninja):
    """Exercise 2: the cross-entropy in one call, and its gradient with respect to the logits in
    one line (softmax, less 1 at the label, over the batch size)."""
    t, _ = ninja
    logits, Yb = t["logits"], t["Yb"]
    assert F.cross_entropy(logits, Yb).item() == pytest.approx(t["loss"].item(), rel=1e-6)
    dlogits = F.softmax(logits, 1)                  # in the graph: setitem records the write
    dlogits[range(BATCH), Yb] -= 1
    dlogits /= BATCH
    assert np.allclose(dlogits.data, logits.grad, rtol=1e-5, atol=1e-8)


def test_the_batch_norm_in_one_line_and_its_gradient_in_one_line(ninja):
    """Exercise 3: the batch norm written in one expression (var with Bessel's correction), and
    dhprebn from dhpreact in one formula."""
    t, _ = ninja
    hprebn, bngain, bnbias = t["hprebn"], t["bngain"], t["bnbias"]
    # port: PyTorch's hprebn.var(0, keepdim=True, unbiased=True) is numpy's var here: ddof=1
    fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / \
        ag.functional.sqrt(hprebn.var(0, keepdims=True, ddof=1) + BN_EPS) + bnbias
    assert np.allclose(fast.data, t["hpreact"].data, rtol=1e-5, atol=1e-6)
    n, dhpreact, bnraw = BATCH, t["hpreact"].grad, t["bnraw"].data
    dhprebn = bngain.data * t["bnvar_inv"].data / n * (
        n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
    assert np.allclose(dhprebn, hprebn.grad, rtol=1e-5, atol=1e-7)


def test_training_with_hand_derived_gradients_follows_backward(ninja):
    """Exercise 4: the same SGD steps with the hand-derived gradients (no backward at all) and
    with backward's: the parameters stay together and the loss goes down."""
    data = ninja_data()
    by_backward = {k: data[k].copy() for k in PARAMETERS}
    by_hand = {k: data[k].copy() for k in PARAMETERS}
    losses = []
    for _ in range(5):
        t = ninja_forward({**data, **by_backward})
        losses.append(t["loss"].item())
        hand = ninja_by_hand(ninja_forward({**data, **by_hand}))
        for k in PARAMETERS:
            by_backward[k] = by_backward[k] - np.float32(0.1) * t[k].grad
            by_hand[k] = by_hand[k] - np.float32(0.1) * hand[k]
    for k in PARAMETERS:
        assert np.allclose(by_backward[k], by_hand[k], rtol=1e-4, atol=1e-6), k
    assert losses == sorted(losses, reverse=True)


def ninja_in_pytorch(torch, data: dict) -> dict:
    """The same forward pass in PyTorch, as the lecture writes it."""
    parameters = [torch.tensor(data[k], requires_grad=True) for k in PARAMETERS]
    return lecture_forward(*parameters, torch.tensor(data["Xb"]), torch.tensor(data["Yb"]),
                           tanh=torch.tanh,
                           row_max=lambda logits: logits.max(1, keepdim=True).values)


def test_every_gradient_matches_pytorchs_retained_ones(ninja):
    torch = pytest.importorskip("torch", reason="PyTorch is optional (pip install torch)")
    t, _ = ninja
    expected = ninja_in_pytorch(torch, ninja_data())
    assert t["loss"].item() == pytest.approx(expected["loss"].item(), rel=1e-6)
    for name in INTERMEDIATES + PARAMETERS:
        theirs = expected[name].grad.numpy()
        assert np.allclose(t[name].grad, theirs, rtol=1e-5, atol=1e-7), \
            f"{name}: max diff {np.abs(t[name].grad - theirs).max()}"


# -- part 3: makemore's sampling loops -------------------------------------------------------------
# Names are made one character at a time: '.' (index 0) starts and ends each name, the model
# gives a distribution over the next character, autograd.multinomial draws from it (with its own
# generator, as `torch.multinomial(p, num_samples=1, replacement=True, generator=g)`) until '.'.
# glassgrad's Generator is numpy's, so the names drawn are not PyTorch's, only as likely.

NAMES = ["ada", "alan", "anna", "bea", "ben", "cleo", "dan", "eli", "ella", "emil", "eva",
         "ida", "ivan", "jan", "lea", "leo", "lina", "max", "mia", "nora", "ola", "otto",
         "rosa", "sam", "tim", "una", "vera", "zoe"]
CHARS = [chr(c) for c in range(ord("a"), ord("z") + 1)]        # 26 letters and "."
STOI = {ch: i + 1 for i, ch in enumerate(CHARS)} | {".": 0}
ITOS = {i: ch for ch, i in STOI.items()}
K = len(STOI)


def bigrams():
    for name in NAMES:
        chars = ["."] + list(name) + ["."]
        for ch1, ch2 in zip(chars, chars[1:]):
            yield STOI[ch1], STOI[ch2]


def bigram_probabilities() -> Tensor:
    """The counts table and its rows normalised (with add-one smoothing), as in the lecture."""
    N = ag.zeros((K, K), dtype=np.int32)
    for ix1, ix2 in bigrams():
        N[ix1, ix2] += 1
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    return P


def sample_names(next_probs, count: int, generator) -> list[str]:
    """`count` names, each drawn character by character from `next_probs(context)`."""
    names = []
    for _ in range(count):
        out, context = [], [0] * BLOCK
        while True:
            p = next_probs(context)
            ix = ag.multinomial(p, num_samples=1, replacement=True, generator=generator).item()
            context = context[1:] + [ix]
            if ix == 0:
                break
            out.append(ITOS[ix])
        names.append("".join(out))
    return names


def test_sampling_from_the_bigram_table():
    P = bigram_probabilities()
    assert np.allclose(P.sum(1).data, 1.0)

    def next_probs(context):
        return P[context[-1]]
    first = sample_names(next_probs, 20, ag.Generator().manual_seed(2147483647))
    again = sample_names(next_probs, 20, ag.Generator().manual_seed(2147483647))
    assert first == again                                   # the generator alone decides
    assert all(set(name) <= set(CHARS) for name in first)
    # a sampled name is as likely under the table as the lecture's evaluation says: the
    # average negative log-likelihood of the training bigrams is low, that of uniform ones high
    nll = -np.mean([P[ix1, ix2].log().item() for ix1, ix2 in bigrams()])
    assert nll < math.log(K) - 0.5


def test_multinomial_draws_each_character_as_often_as_its_probability():
    P = bigram_probabilities()
    p = P[0]                                    # how names start
    g = ag.Generator().manual_seed(42)
    draws = ag.multinomial(p, num_samples=20000, replacement=True, generator=g).data
    frequencies = np.bincount(draws, minlength=K) / len(draws)
    assert np.abs(frequencies - p.data).max() < 0.01        # ~4 standard errors at p ~ 0.2


def test_gradient_descent_on_the_neural_bigram():
    """The lecture's one-layer version of the table: one-hot inputs times W, softmax, mean
    negative log-likelihood plus a little weight decay; `W.data += -lr * W.grad` steps."""
    xs, ys = (Tensor(list(column)) for column in zip(*bigrams()))
    g = ag.Generator().manual_seed(2147483647)
    W = ag.randn((K, K), generator=g, requires_grad=True)
    xenc = F.one_hot(xs, num_classes=K).float()
    num = xs.numel()                                        # port: PyTorch's xs.nelement()
    losses = []
    for _ in range(30):
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[ag.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
        losses.append(loss.item())
        W.grad = None
        loss.backward()
        W.data += -10 * W.grad
    assert losses == sorted(losses, reverse=True)
    assert losses[-1] < losses[0] - 1.0

    def next_probs(context):
        x = F.one_hot(Tensor([context[-1]]), num_classes=K).float()
        return F.softmax(x @ W, dim=1)
    names = sample_names(next_probs, 10, ag.Generator().manual_seed(7))
    assert all(set(name) <= set(CHARS) for name in names)


def test_sampling_from_the_mlp():
    """The MLP's loop: embed the context, tanh layer, softmax over the logits, draw."""
    data = ninja_data()
    C, W1, b1, W2, b2 = (Tensor(data[k]) for k in ["C", "W1", "b1", "W2", "b2"])

    def next_probs(context):
        emb = C[Tensor([context])]                          # port: torch.tensor([context])
        h = F.tanh(emb.view(1, -1) @ W1 + b1)               # port: torch.tanh
        logits = h @ W2 + b2
        probs = F.softmax(logits, dim=1)
        assert probs.shape == (1, VOCAB) and abs(probs.data.sum() - 1) < 1e-5
        return probs
    names = sample_names(next_probs, 5, ag.Generator().manual_seed(2147483657))
    assert names == sample_names(next_probs, 5, ag.Generator().manual_seed(2147483657))
    assert all(0 <= len(name) < 200 for name in names)
