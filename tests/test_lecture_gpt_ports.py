"""The lecture's gpt.py ("Let's build GPT") as a learner types it with `import autograd as torch`,
line for line, with the lines tests/test_lecture_gpt.py leaves out: the data as
`torch.tensor(encode(text), dtype=torch.long)`, the device line with `model.to(device)`,
`x.to(device)`, `torch.arange(T, device=device)` and `torch.zeros(..., device=device)`,
`self.apply(self._init_weights)` with `nn.init.normal_(w, mean=0.0, std=0.02)`, the parameter
count `sum(p.numel() for p in m.parameters())`, and the notebook's LayerNorm1d cell.

The model is written once, against whichever `torch`, `nn` and `F` it is given, and runs on
glassgrad here and on PyTorch in `pytorch_reference` (recorded in
tests/reference/lecture_gpt_ports.npz) from the same weights and batches, drawn with numpy (the
two libraries' generators differ): the loss, every parameter's gradient and three AdamW steps
agree. To keep the recording small an array is recorded as its norm and its dot products with
two fixed random arrays, which any wrong number in it would change.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
from reference import recorded

# -- the text: a small made-up play, and the lecture's character tables -----------------------


def make_text(lines: int = 60, seed: int = 7) -> str:
    pick = random.Random(seed)
    words = "the a my thou love night day sweet fair lord lady come go not is".split()
    speech = []
    for _ in range(lines):
        speech.append(pick.choice(["ROMEO:", "JULIET:", "NURSE:"]))
        speech.append(" ".join(pick.choice(words) for _ in range(pick.randint(3, 7))) + ".")
    return "\n".join(speech) + "\n"


text = make_text()
chars = sorted(list(set(text)))
vocab_size = len(chars)
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
encode = lambda s: [stoi[c] for c in s]             # noqa: E731 (the lecture's lambdas)
decode = lambda l: ''.join([itos[i] for i in l])    # noqa: E731, E741

# the hyperparameters, small; dropout 0 so that both libraries compute the same numbers
batch_size, block_size, n_embd, n_head, n_layer, dropout = 4, 8, 16, 4, 2, 0.0
learning_rate = 1e-2


def gpt_py(torch, nn, F, device):
    """gpt.py's model, unchanged from the lecture."""

    class Head(nn.Module):
        def __init__(self, head_size):
            super().__init__()
            self.key = nn.Linear(n_embd, head_size, bias=False)
            self.query = nn.Linear(n_embd, head_size, bias=False)
            self.value = nn.Linear(n_embd, head_size, bias=False)
            self.register_buffer('tril', torch.tril(torch.ones(block_size, block_size)))
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            B, T, C = x.shape
            k = self.key(x)
            q = self.query(x)
            wei = q @ k.transpose(-2, -1) * k.shape[-1]**-0.5
            wei = wei.masked_fill(self.tril[:T, :T] == 0, float('-inf'))
            wei = F.softmax(wei, dim=-1)
            wei = self.dropout(wei)
            v = self.value(x)
            out = wei @ v
            return out

    class MultiHeadAttention(nn.Module):
        def __init__(self, num_heads, head_size):
            super().__init__()
            self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
            self.proj = nn.Linear(head_size * num_heads, n_embd)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            out = torch.cat([h(x) for h in self.heads], dim=-1)
            out = self.dropout(self.proj(out))
            return out

    class FeedFoward(nn.Module):
        def __init__(self, n_embd):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(n_embd, 4 * n_embd),
                nn.ReLU(),
                nn.Linear(4 * n_embd, n_embd),
                nn.Dropout(dropout),
            )

        def forward(self, x):
            return self.net(x)

    class Block(nn.Module):
        def __init__(self, n_embd, n_head):
            super().__init__()
            head_size = n_embd // n_head
            self.sa = MultiHeadAttention(n_head, head_size)
            self.ffwd = FeedFoward(n_embd)
            self.ln1 = nn.LayerNorm(n_embd)
            self.ln2 = nn.LayerNorm(n_embd)

        def forward(self, x):
            x = x + self.sa(self.ln1(x))
            x = x + self.ffwd(self.ln2(x))
            return x

    class GPTLanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
            self.position_embedding_table = nn.Embedding(block_size, n_embd)
            self.blocks = nn.Sequential(*[Block(n_embd, n_head=n_head) for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, vocab_size)
            self.apply(self._init_weights)

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)   # port: torch.nn.init is
                if module.bias is not None:                          # nn.init (import nn)
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            B, T = idx.shape
            tok_emb = self.token_embedding_table(idx)
            pos_emb = self.position_embedding_table(torch.arange(T, device=device))
            x = tok_emb + pos_emb
            x = self.blocks(x)
            x = self.ln_f(x)
            logits = self.lm_head(x)
            if targets is None:
                loss = None
            else:
                B, T, C = logits.shape
                logits = logits.view(B*T, C)
                targets = targets.view(B*T)
                loss = F.cross_entropy(logits, targets)
            return logits, loss

        def generate(self, idx, max_new_tokens):
            for _ in range(max_new_tokens):
                idx_cond = idx[:, -block_size:]
                logits, loss = self(idx_cond)
                logits = logits[:, -1, :]
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    return GPTLanguageModel


# -- the same weights and batches for both libraries, drawn with numpy --------------------------

def drawn_weights(state: dict) -> dict[str, np.ndarray]:
    """A state dict of `state`'s names and shapes: weights larger than _init_weights' 0.02, so
    that attention and ReLU do more than pass numbers through; the causal mask kept."""
    rng = np.random.default_rng(2024)
    drawn = {}
    for name, value in state.items():
        shape = tuple(value.shape)
        if name.endswith("tril"):
            drawn[name] = np.tril(np.ones(shape, np.float32))
        elif ".ln" in name or name.startswith("ln_f"):
            drawn[name] = ((1.0 if name.endswith("weight") else 0.0)
                           + rng.normal(0.0, 0.1, shape)).astype(np.float32)
        else:
            drawn[name] = rng.normal(0.0, 0.3, shape).astype(np.float32)
    return drawn


def drawn_batches(data: np.ndarray, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """get_batch's windows, at starts drawn with numpy: (x, y) pairs of int64 arrays."""
    rng = np.random.default_rng(11)
    batches = []
    for _ in range(count):
        ix = rng.integers(0, len(data) - block_size, batch_size)
        batches.append((np.stack([data[i:i + block_size] for i in ix]),
                        np.stack([data[i + 1:i + block_size + 1] for i in ix])))
    return batches


def summary(arrays: list) -> np.ndarray:
    """Each array as a row [its norm, its dot products with two fixed random arrays]."""
    rows = []
    for i, a in enumerate(arrays):
        a = np.asarray(a, np.float64)
        directions = np.random.default_rng(i).standard_normal((2,) + a.shape)
        rows.append([np.linalg.norm(a), *(directions * a).reshape(2, -1).sum(1)])
    return np.array(rows)


def train_from_drawn_weights(torch, nn, F, optim) -> dict:
    """The lecture's setup and training loop, on the drawn weights and batches: the loss and
    logits of the first batch, every gradient, the losses of three AdamW steps, the weights
    after them (each array summarised, a row per parameter in the order of parameters()), and
    estimate_loss's mean over the first batches in eval mode."""
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    data = torch.tensor(encode(text), dtype=torch.long)
    batches = drawn_batches(data.numpy(), 4)

    model = gpt_py(torch, nn, F, device)()
    m = model.to(device)
    m.load_state_dict({k: torch.tensor(v) for k, v in drawn_weights(model.state_dict()).items()})
    params = sum(p.numel() for p in m.parameters())

    def get_batch(k):
        x, y = (torch.tensor(a) for a in batches[k])
        x, y = x.to(device), y.to(device)
        return x, y

    xb, yb = get_batch(0)
    logits, loss = model(xb, yb)
    loss.backward()
    first = {"logits": summary([logits.detach().numpy()]), "loss": np.array(loss.item())}
    grads = summary([p.grad for p in model.parameters()])
    model.zero_grad(set_to_none=True)

    optimizer = optim.AdamW(model.parameters(), lr=learning_rate)
    losses = []
    for k in range(1, 4):
        xb, yb = get_batch(k)
        logits, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    after = summary([p.detach().numpy() for p in model.parameters()])

    @torch.no_grad()
    def estimate_loss():
        model.eval()
        losses = torch.zeros(4)
        for k in range(4):
            X, Y = get_batch(k)
            logits, loss = model(X, Y)
            losses[k] = loss.item()
        model.train()
        return losses.mean()

    return {**first, "params": np.array(params), "steps": np.array(losses),
            "estimate": np.array(estimate_loss().item()), "grads": grads, "after": after}


def layer_norm_1d_cell(torch) -> dict:
    """The notebook's LayerNorm1d on drawn numbers: the mean and std of a row and a column."""
    class LayerNorm1d:
        def __init__(self, dim, eps=1e-5, momentum=0.1):
            self.eps = eps
            self.gamma = torch.ones(dim)
            self.beta = torch.zeros(dim)

        def __call__(self, x):
            xmean = x.mean(1, keepdim=True)
            xvar = x.var(1, keepdim=True, unbiased=True)    # port: x.var(1, keepdim=True) is
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)    # refused: numpy's var divides
            self.out = self.gamma * xhat + self.beta            # by n, PyTorch's by n - 1
            return self.out

    module = LayerNorm1d(100)
    x = torch.tensor(np.random.default_rng(3).standard_normal((32, 100), np.float32))
    x = module(x)
    return {"column": np.array([x[:, 0].mean().item(), x[:, 0].std(unbiased=True).item()]),
            "row": np.array([x[0, :].mean().item(), x[0, :].std(unbiased=True).item()])}


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/lecture_gpt_ports.npz: the same code on PyTorch."""
    from reference import prefixed
    arrays = {**prefixed("gpt", train_from_drawn_weights(torch, torch.nn, torch.nn.functional,
                                                         torch.optim)),
              **prefixed("layer_norm_1d", layer_norm_1d_cell(torch))}
    # computed in float32 (summed in float64 after): kept in float32, the precision they have,
    # so that test_references compares a regenerated file at float32's tolerance (PyTorch may
    # sum in another order from run to run)
    return {key: value.astype(np.float32) if value.dtype == np.float64 else value
            for key, value in arrays.items()}


def assert_like_pytorch(name: str, ours: dict, rtol: float, atol: float) -> None:
    theirs = {k.split("/", 1)[1]: v for k, v in recorded("lecture_gpt_ports").items()
              if k.startswith(name + "/")}
    assert list(theirs) == list(ours)
    for key, value in ours.items():
        np.testing.assert_allclose(np.asarray(value), theirs[key], rtol=rtol, atol=atol,
                                   err_msg=key)


# -- the tests -----------------------------------------------------------------------------------

def test_the_lecture_s_gpt_computes_pytorchs_loss_gradients_and_adamw_steps():
    """Same weights, same batches: logits, loss, every gradient, three AdamW steps and
    estimate_loss agree with PyTorch's (float32 both; sums in another order)."""
    ours = train_from_drawn_weights(torch, nn, F, nn.optim)     # port: torch.optim is nn.optim
    assert ours["steps"][-1] < ours["loss"]                     # the steps did learn
    assert_like_pytorch("gpt", ours, rtol=2e-4, atol=2e-5)


def test_the_lecture_s_layer_norm_cell_with_its_divisor_said_is_pytorchs():
    ours = layer_norm_1d_cell(torch)
    np.testing.assert_allclose(ours["row"], [0.0, 1.0], atol=1e-5)     # a row is normalised
    assert_like_pytorch("layer_norm_1d", ours, rtol=1e-5, atol=1e-6)


def test_the_lecture_s_set_up_lines_run_as_written():
    """The data, device and parameter-count lines; _init_weights by `apply`; generate from a
    zeros context made on the device."""
    data = torch.tensor(encode(text), dtype=torch.long)
    assert data.dtype == torch.long and data.shape == (len(text),)
    assert decode(data[:20].tolist()) == text[:20]
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.manual_seed(1337)
    model = gpt_py(torch, nn, F, device)()
    m = model.to(device)
    assert m is model
    count = sum(p.numel() for p in m.parameters())
    assert count == sum(p.data.size for p in model.parameters()) > 0
    for name, p in model.named_parameters():                 # _init_weights reached every layer
        if name.endswith("bias") and ".ln" not in name and not name.startswith("ln_f"):
            assert not p.data.any(), name
        elif name.startswith(("token", "position", "lm_head")) or "key" in name:
            assert 0.01 < p.data.std() < 0.03, name
    context = torch.zeros((1, 1), dtype=torch.long, device=device)
    out = m.generate(context, max_new_tokens=2 * block_size)
    assert out.shape == (1, 2 * block_size + 1)
    assert set(decode(out[0].tolist())) <= set(chars)


def test_the_state_dict_moves_to_pytorch_and_back_unchanged():
    """The model's state_dict loads into the same model written with torch.nn, buffers
    included, and PyTorch's loads back (where torch is installed)."""
    real_torch = pytest.importorskip("torch", reason="PyTorch is optional (pip install torch)")
    ours = gpt_py(torch, nn, F, "cpu")()
    theirs = gpt_py(real_torch, real_torch.nn, real_torch.nn.functional, "cpu")()
    theirs.load_state_dict({k: real_torch.as_tensor(v.numpy())
                            for k, v in ours.state_dict().items()})
    back = gpt_py(torch, nn, F, "cpu")()
    back.load_state_dict(theirs.state_dict())
    for (name, a), (_, b) in zip(ours.state_dict().items(), back.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
