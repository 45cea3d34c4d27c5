"""The GPT lecture ("Let's build GPT: from scratch, in code, spelled out") ported to glassgrad.

A learner who has watched it writes its models again on glassgrad: first the bigram language
model (a table of next-character logits), then the averaging trick that becomes self-attention
(a loop, a matrix of lower-triangular weights, masked_fill and softmax), then a small
character-level GPT: token and position embeddings, attention heads under a causal mask,
several heads joined with `cat`, a feed-forward net, residual connections, pre-norm LayerNorm,
dropout, AdamW, an `estimate_loss` under no_grad in eval mode, and `generate` by sampling.
The code below is our own re-creation, as such a learner would write it from memory, on a tiny
text of our own, small enough to train in about a second.

`import autograd as torch` stands in for PyTorch's module; where glassgrad spells a call
differently the line says so in a comment (# port: ...). There is no device: glassgrad runs on
the CPU, so the lecture's `.to(device)` lines are left out.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as torch
import nn
from autograd import Tensor
from nn import functional as F

TEXT = ("the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat. "
        "the dog ran to the cat and the cat ran to the log. ") * 20
CHARS = sorted(set(TEXT))
VOCAB_SIZE = len(CHARS)
STOI = {ch: i for i, ch in enumerate(CHARS)}
ITOS = {i: ch for ch, i in STOI.items()}


def encode(s: str) -> list[int]:
    return [STOI[c] for c in s]


def decode(ids: list[int]) -> str:
    return "".join(ITOS[i] for i in ids)


DATA = Tensor(encode(TEXT))                 # port: torch.tensor(..., dtype=torch.long); ints
N_TRAIN = int(0.9 * len(DATA))              # give int64 here
TRAIN_DATA, VAL_DATA = DATA[:N_TRAIN], DATA[N_TRAIN:]


def get_batch(split: str, batch_size: int, block_size: int) -> tuple[Tensor, Tensor]:
    """batch_size random windows of the text and, one character on, what follows each."""
    data = TRAIN_DATA if split == "train" else VAL_DATA
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])      # i is a 0-d int64 Tensor
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


@torch.no_grad()
def estimate_loss(model: nn.Module, batch_size: int, block_size: int,
                  eval_iters: int = 10) -> dict[str, float]:
    """The mean loss over a few batches of each split, with dropout off."""
    out = {}
    model.eval()
    for split in ("train", "val"):
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(split, batch_size, block_size)
            _, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean().item()
    model.train()
    return out


def train(model: nn.Module, steps: int, lr: float, batch_size: int, block_size: int) -> None:
    optimizer = nn.optim.AdamW(model.parameters(), lr=lr)
    for _ in range(steps):
        xb, yb = get_batch("train", batch_size, block_size)
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


# -- the bigram language model ---------------------------------------------------------------

class BigramLanguageModel(nn.Module):
    def __init__(self, vocab_size: int):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx, targets=None):
        logits = self.token_embedding_table(idx)            # (B, T, C)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        loss = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
        return logits, loss

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            logits, _ = self(idx)
            probs = F.softmax(logits[:, -1, :], dim=-1)     # the last time step: (B, C)
            idx_next = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


def test_the_bigram_model_learns_the_pairs_of_the_text():
    torch.manual_seed(1337)
    model = BigramLanguageModel(VOCAB_SIZE)
    start = estimate_loss(model, 32, 8)
    assert start["train"] > math.log(VOCAB_SIZE) - 0.5      # a random table: about ln(vocab)
    train(model, steps=200, lr=1e-1, batch_size=32, block_size=8)
    end = estimate_loss(model, 32, 8)
    assert end["train"] < start["train"] - 1.0 and end["val"] < start["val"] - 1.0
    ids = model.generate(torch.zeros((1, 1), dtype=np.int64), max_new_tokens=30)
    assert ids.shape == (1, 31) and set(decode(ids[0].tolist())) <= set(CHARS)


# -- the mathematical trick: averaging the past with a matrix ----------------------------------

def test_the_three_ways_of_averaging_the_past_agree():
    """A loop over time steps, lower-triangular weights normalised by rows, and masked_fill of
    -inf above the diagonal followed by softmax: the same running mean."""
    torch.manual_seed(1337)
    B, T, C = 4, 8, 2
    x = torch.randn(B, T, C)
    xbow = torch.zeros((B, T, C))
    for b in range(B):
        for t in range(T):
            xbow[b, t] = x[b, :t + 1].mean(0)               # port: torch.mean(x[b, :t+1], 0)

    wei = torch.tril(torch.ones(T, T))
    wei = wei / wei.sum(1, keepdim=True)
    xbow2 = wei @ x                                         # (T, T) @ (B, T, C): a batch
    np.testing.assert_allclose(xbow2.data, xbow.data, rtol=1e-5, atol=1e-6)

    tril = torch.tril(torch.ones(T, T))
    wei = torch.zeros((T, T)).masked_fill(tril == 0, float("-inf"))
    xbow3 = F.softmax(wei, dim=-1) @ x
    np.testing.assert_allclose(xbow3.data, xbow.data, rtol=1e-5, atol=1e-6)


# -- the GPT ---------------------------------------------------------------------------------

N_EMBD, N_HEAD, N_LAYER, BLOCK_SIZE, DROPOUT = 32, 4, 2, 8, 0.1


class Head(nn.Module):
    """One head of self-attention: each position mixes the values of itself and those before."""

    def __init__(self, head_size: int):
        super().__init__()
        self.key = nn.Linear(N_EMBD, head_size, bias=False)
        self.query = nn.Linear(N_EMBD, head_size, bias=False)
        self.value = nn.Linear(N_EMBD, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(BLOCK_SIZE, BLOCK_SIZE)))
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, x):
        B, T, C = x.shape
        k, q = self.key(x), self.query(x)                   # (B, T, head_size)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, T), scaled
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))   # no peeking ahead
        wei = self.dropout(F.softmax(wei, dim=-1))
        return wei @ self.value(x)


class MultiHeadAttention(nn.Module):
    def __init__(self, num_heads: int, head_size: int):
        super().__init__()
        self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
        self.proj = nn.Linear(head_size * num_heads, N_EMBD)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)
        return self.dropout(self.proj(out))


class FeedForward(nn.Module):
    def __init__(self, n_embd: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.ReLU(),
                                 nn.Linear(4 * n_embd, n_embd), nn.Dropout(DROPOUT))

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """Communication (attention) then computation (feed-forward), each as a residual branch
    that reads a layer-normed copy of the stream (pre-norm)."""

    def __init__(self, n_embd: int, n_head: int):
        super().__init__()
        self.sa = MultiHeadAttention(n_head, n_embd // n_head)
        self.ffwd = FeedForward(n_embd)
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        return x + self.ffwd(self.ln2(x))


class GPTLanguageModel(BigramLanguageModel):
    """The bigram model's loss and generate, with a transformer between lookup and logits."""

    def __init__(self, vocab_size: int):
        nn.Module.__init__(self)
        self.token_embedding_table = nn.Embedding(vocab_size, N_EMBD)
        self.position_embedding_table = nn.Embedding(BLOCK_SIZE, N_EMBD)
        self.blocks = nn.Sequential(*[Block(N_EMBD, N_HEAD) for _ in range(N_LAYER)])
        self.ln_f = nn.LayerNorm(N_EMBD)
        self.lm_head = nn.Linear(N_EMBD, vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        tok_emb = self.token_embedding_table(idx)                        # (B, T, C)
        pos_emb = self.position_embedding_table(torch.arange(T))         # (T, C)
        x = self.ln_f(self.blocks(tok_emb + pos_emb))
        logits = self.lm_head(x)                                         # (B, T, vocab)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -BLOCK_SIZE:])          # no more context than positions
            probs = F.softmax(logits[:, -1, :], dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
        return idx


@pytest.fixture(scope="module")
def trained_gpt():
    torch.manual_seed(1337)
    model = GPTLanguageModel(VOCAB_SIZE)
    start = estimate_loss(model, 16, BLOCK_SIZE)
    train(model, steps=250, lr=1e-2, batch_size=16, block_size=BLOCK_SIZE)
    return model, start, estimate_loss(model, 16, BLOCK_SIZE)


def test_the_gpt_learns_the_text_well_below_a_uniform_guess(trained_gpt):
    model, start, end = trained_gpt
    uniform = math.log(VOCAB_SIZE)                          # the loss of guessing uniformly
    assert abs(start["train"] - uniform) < 0.5
    assert end["train"] < uniform - 1.5 and end["val"] < uniform - 1.5
    # our text is a few sentences repeated: far more predictable than the pairs alone
    assert end["val"] < 0.8


def test_the_trained_gpt_generates_characters_of_the_text(trained_gpt):
    model, _, _ = trained_gpt
    model.eval()
    ids = model.generate(torch.zeros((2, 1), dtype=np.int64), max_new_tokens=40)
    model.train()
    assert ids.shape == (2, 41) and ids.dtype == np.int64
    assert ((ids >= 0) & (ids < VOCAB_SIZE)).all()
    assert set(decode(ids[0].tolist())) <= set(CHARS)


def test_attention_is_causal_and_eval_mode_is_deterministic(trained_gpt):
    """In eval mode (no dropout) the same input gives the same logits, and changing the last
    character changes no logits before it: no position sees the future."""
    model, _, _ = trained_gpt
    model.eval()
    idx = Tensor([encode("the cat")])
    changed = Tensor([encode("the cad")])
    with torch.no_grad():
        logits, _ = model(idx)
        again, _ = model(idx)
        other, _ = model(changed)
    model.train()
    np.testing.assert_array_equal(logits.data, again.data)
    np.testing.assert_allclose(other.data[:, :-1], logits.data[:, :-1], rtol=1e-5, atol=1e-6)
    assert not np.allclose(other.data[:, -1], logits.data[:, -1])


def test_one_gpt_step_has_a_gradient_for_every_parameter():
    torch.manual_seed(0)
    model = GPTLanguageModel(VOCAB_SIZE)
    xb, yb = get_batch("train", 4, BLOCK_SIZE)
    _, loss = model(xb, yb)
    loss.backward()
    named = dict(model.named_parameters())
    assert all(p.grad is not None and p.grad.shape == p.shape for p in named.values())
    assert "blocks.0.sa.heads.0.tril" not in named          # a buffer, not a parameter
    assert "blocks.0.sa.heads.0.tril" in dict(model.named_buffers())


def test_one_attention_head_matches_pytorch_in_values_and_gradients():
    """The same weights and input in PyTorch (when installed): the masked, scaled attention
    and the gradients of its three projections agree."""
    real_torch = pytest.importorskip("torch", reason="PyTorch is optional (pip install torch)")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, N_EMBD))
    head = Head(8)
    head.dropout.p = 0.0
    for layer in (head.key, head.query, head.value):
        layer.weight.data = rng.standard_normal(layer.weight.shape) * 0.3
    out = head(Tensor(x))
    (out * out).sum().backward()

    xt = real_torch.tensor(x)
    k, q, v = (real_torch.tensor(layer.weight.data, requires_grad=True)
               for layer in (head.key, head.query, head.value))
    wei = (xt @ q.T) @ (xt @ k.T).transpose(-2, -1) * 8 ** -0.5
    tril = real_torch.tril(real_torch.ones(5, 5))
    wei = real_torch.softmax(wei.masked_fill(tril == 0, float("-inf")), dim=-1)
    expected = wei @ (xt @ v.T)
    (expected * expected).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10)
    for layer, t in zip((head.key, head.query, head.value), (k, q, v)):
        np.testing.assert_allclose(layer.weight.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_the_lecture_s_device_line_picks_the_cpu():
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    assert device == 'cpu'


@pytest.mark.parametrize("name, hint", [
    ("LongTensor", r"torch.LongTensor is autograd.tensor\(data, dtype=autograd.long\)"),
])
def test_pytorch_only_names_of_the_lecture_say_what_to_write(name, hint):
    with pytest.raises(AttributeError, match=rf"no attribute '{name}'; PyTorch's .*{hint}"):
        getattr(torch, name)
    with pytest.raises(AttributeError, match=r"no attribute 'no_such_name'$"):
        torch.no_such_name


def test_the_lecture_s_torch_functions_and_dtypes_work_as_written():
    """torch.softmax(wei, dim=-1), torch.long, torch.float, torch.allclose: as in PyTorch."""
    wei = Tensor(np.array([[0.5, -1.0, 2.0]]))
    np.testing.assert_array_equal(torch.softmax(wei, dim=-1).data, wei.softmax(dim=-1).data)
    assert torch.long == np.int64 and torch.float == np.float32
    assert torch.allclose(wei, wei + 1e-9) is True


def test_a_head_that_forgets_to_return_is_named_at_the_join():
    """A learner's Head.forward that ends at `out = wei @ v` gives None; torch.cat of the heads
    says which item is None and why, not 'data of dtype object'."""
    class ForgetfulHead(Head):
        def forward(self, x):
            out = super().forward(x)            # noqa: F841 (the missing `return out`)

    mha = MultiHeadAttention(2, N_EMBD // 2)
    mha.heads = nn.ModuleList([ForgetfulHead(N_EMBD // 2) for _ in range(2)])
    with pytest.raises(TypeError, match=r"concatenate: tensors\[0\]: got None .* without "
                                        r"`return`"):
        mha(torch.randn(1, 3, N_EMBD))


def test_generating_past_the_block_size_without_cropping_says_to_crop():
    """The lecture's generate() before `idx[:, -block_size:]`: the position table is asked for
    position BLOCK_SIZE, and the error says to crop the context, not to grow a vocabulary."""
    model = GPTLanguageModel(VOCAB_SIZE)
    idx = torch.zeros((1, BLOCK_SIZE + 1), dtype=np.int64)
    with pytest.raises(IndexError, match=rf"Embedding\({BLOCK_SIZE}, {N_EMBD}\): index "
                                         rf"{BLOCK_SIZE} is out of range .* positions 0 to "
                                         rf"{BLOCK_SIZE} are a context of {BLOCK_SIZE + 1}, "
                                         rf"longer than the table's {BLOCK_SIZE}: crop the "
                                         rf"context to its last {BLOCK_SIZE} "
                                         r"\(idx\[:, -block_size:\]\)"):
        model(idx)
