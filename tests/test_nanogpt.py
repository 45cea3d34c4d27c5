"""nanoGPT's model.py and train.py, and the "Let's reproduce GPT-2" lecture's idioms, ported to a
laptop CPU: a learner's own rewrite with `import autograd as torch`, `import nn`, `import
nn.functional as F` (tests/test_lecture_gpt*.py hold the "Let's build GPT" lecture).

The model is written once, in nanoGPT's style (a GPTConfig dataclass; one c_attn projection
split into q, k, v; heads by view and transpose; scaled_dot_product_attention or the manual
causal mask from a registered tril buffer; exact GELU; a LayerNorm with an optional bias; a
ModuleDict of wte, wpe, drop, h, ln_f; lm_head's weight tied to wte's; the scaled init of
c_proj; crop_block_size; configure_optimizers; generate with top_k), against whichever
library it is given. Where glassgrad spells a line otherwise, the line says so (# port: ...);
the README's porting rules give the rest: torch.nn → nn, torch.nn.functional → F, torch.optim
→ nn.optim, torch.nn.utils → nn.utils, torch.save / torch.load → nn.save / nn.load.

Where torch is installed the same code runs on PyTorch from the same weights and batches
(drawn with numpy): the loss, every gradient and three AdamW steps agree. The other tests
assert what holds without torch.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import random
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F

# -- a small made-up text and its characters ----------------------------------------------------


def make_text(lines: int = 80, seed: int = 3) -> str:
    pick = random.Random(seed)
    words = "the old ship sails at dawn and the sea is grey but calm tonight".split()
    return "".join(" ".join(pick.choice(words) for _ in range(pick.randint(4, 9))) + ".\n"
                   for _ in range(lines))


TEXT = make_text()
CHARS = sorted(set(TEXT))
STOI = {c: i for i, c in enumerate(CHARS)}
TOKENS = np.array([STOI[c] for c in TEXT], dtype=np.uint16)     # prepare.py's uint16 ids
TINY = dict(n_layer=2, n_head=2, n_embd=32, block_size=16, vocab_size=len(CHARS))


def nanogpt(torch, nn, F, optim):
    """nanoGPT's model.py, in our own words, for `torch` = PyTorch or autograd."""

    @dataclass
    class GPTConfig:
        block_size: int = 16
        vocab_size: int = 64
        n_layer: int = 2
        n_head: int = 2
        n_embd: int = 32
        dropout: float = 0.0
        bias: bool = True

    class LayerNorm(nn.Module):
        """A LayerNorm whose bias may be left out."""

        def __init__(self, ndim, bias):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(ndim))
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

        def forward(self, input):
            return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):
        def __init__(self, config, flash):
            super().__init__()
            assert config.n_embd % config.n_head == 0
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            self.attn_dropout = nn.Dropout(config.dropout)
            self.resid_dropout = nn.Dropout(config.dropout)
            self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
            # port: torch.nn.functional is F
            self.flash = flash and hasattr(F, 'scaled_dot_product_attention')
            if not self.flash:
                bs = config.block_size
                self.register_buffer("bias", torch.tril(torch.ones(bs, bs)).view(1, 1, bs, bs))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            hs = C // self.n_head
            q = q.view(B, T, self.n_head, hs).transpose(1, 2)
            k = k.view(B, T, self.n_head, hs).transpose(1, 2)
            v = v.view(B, T, self.n_head, hs).transpose(1, 2)
            if self.flash:
                y = F.scaled_dot_product_attention(
                    q, k, v, attn_mask=None, dropout_p=self.dropout if self.training else 0,
                    is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
                att = F.softmax(att, dim=-1)
                att = self.attn_dropout(att)
                y = att @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.resid_dropout(self.c_proj(y))

    class MLP(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = nn.Dropout(config.dropout)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(nn.Module):
        def __init__(self, config, flash):
            super().__init__()
            self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
            self.attn = CausalSelfAttention(config, flash)
            self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = MLP(config)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self, config, flash=True):
            super().__init__()
            self.config = config
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config, flash) for _ in range(config.n_layer)]),
                ln_f=LayerNorm(config.n_embd, bias=config.bias),
            ))
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight       # weight tying
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith('c_proj.weight'):                      # port: torch.nn.init is
                    nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

        def get_num_params(self, non_embedding=True):
            n_params = sum(p.numel() for p in self.parameters())
            if non_embedding:
                n_params -= self.transformer.wpe.weight.numel()
            return n_params

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            device = idx.device
            b, t = idx.size()
            assert t <= self.config.block_size, f"sequence of {t}, block size {self.config.block_size}"
            pos = torch.arange(0, t, dtype=torch.long, device=device)
            x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            if targets is not None:
                logits = self.lm_head(x)
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                       ignore_index=-1)
            else:
                logits = self.lm_head(x[:, [-1], :])      # only the last position
                loss = None
            return logits, loss

        def crop_block_size(self, block_size):
            assert block_size <= self.config.block_size
            self.config.block_size = block_size
            self.transformer.wpe.weight = nn.Parameter(self.transformer.wpe.weight[:block_size])
            for block in self.transformer.h:
                if hasattr(block.attn, 'bias'):
                    block.attn.bias = block.attn.bias[:, :, :block_size, :block_size]

        def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
            param_dict = {pn: p for pn, p in self.named_parameters()}
            param_dict = {pn: p for pn, p in param_dict.items() if p.requires_grad}
            decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
            nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
            optim_groups = [{'params': decay_params, 'weight_decay': weight_decay},
                            {'params': nodecay_params, 'weight_decay': 0.0}]
            fused_available = 'fused' in inspect.signature(optim.AdamW).parameters
            use_fused = fused_available and device_type == 'cuda'
            extra_args = dict(fused=True) if use_fused else dict()
            return optim.AdamW(optim_groups, lr=learning_rate, betas=betas, eps=1e-8,
                               **extra_args)

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
            for _ in range(max_new_tokens):
                bs = self.config.block_size
                idx_cond = idx if idx.size(1) <= bs else idx[:, -bs:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float('Inf')
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    return GPTConfig, GPT


GPTConfig, GPT = nanogpt(torch, nn, F, nn.optim)       # port: torch.optim is nn.optim


def drawn_state(model) -> dict[str, np.ndarray]:
    """Weights of `model`'s names and shapes, larger than the init's 0.02 so that attention and
    GELU do more than pass numbers through (the causal-mask buffers kept)."""
    rng = np.random.default_rng(29)
    return {k: v.numpy().copy() if k.endswith("attn.bias") and v.ndim == 4
            else rng.normal(0.0, 0.3, tuple(v.shape)).astype(np.float32)
            for k, v in model.state_dict().items()}


def batches(count: int, batch_size: int = 4, block_size: int = 16):
    """get_batch's windows at starts drawn with numpy: (x, y) int64 arrays."""
    rng = np.random.default_rng(5)
    out = []
    for _ in range(count):
        ix = rng.integers(0, len(TOKENS) - block_size, batch_size)
        out.append((np.stack([TOKENS[i:i + block_size] for i in ix]).astype(np.int64),
                    np.stack([TOKENS[i + 1:i + 1 + block_size] for i in ix]).astype(np.int64)))
    return out


def train_three_steps(torch, nn, F, optim, flash: bool) -> dict:
    """From the drawn weights: the first batch's loss and every gradient, then three AdamW
    steps of configure_optimizers' groups (weight decay 0.1), their losses and the weights."""
    GPTConfig, GPT = nanogpt(torch, nn, F, optim)
    model = GPT(GPTConfig(**TINY), flash=flash)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in drawn_state(model).items()})
    optimizer = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95), 'cpu')
    data = batches(4)
    data[0][1][0, :3] = -1                          # ignore_index=-1 positions
    out = {"losses": [], "names": [n for n, _ in model.named_parameters()]}
    for k, (x, y) in enumerate(data):
        _, loss = model(torch.from_numpy(x), torch.from_numpy(y))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if k == 0:
            out["grads"] = [np.array(getattr(p.grad, "numpy", lambda: p.grad)())
                            for p in model.parameters()]
        optimizer.step()
        out["losses"].append(loss.item())
    out["weights"] = [p.detach().numpy().copy() for p in model.parameters()]
    return out


# -- against PyTorch -----------------------------------------------------------------------------

@pytest.mark.parametrize("flash", [True, False], ids=["sdpa", "manual-mask"])
def test_loss_gradients_and_three_adamw_steps_equal_pytorchs(flash):
    real = pytest.importorskip("torch", reason="the cross-check needs PyTorch: pip install torch")
    ours = train_three_steps(torch, nn, F, nn.optim, flash)
    theirs = train_three_steps(real, real.nn, real.nn.functional, real.optim, flash)
    assert ours["names"] == theirs["names"]         # tied weight once, in PyTorch's order
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=2e-6)
    for name, g, t in zip(ours["names"], ours["grads"], theirs["grads"]):
        np.testing.assert_allclose(g, t, rtol=1e-4, atol=1e-5 * np.abs(t).max(), err_msg=name)
    for name, w, t in zip(ours["names"], ours["weights"], theirs["weights"]):
        if name.endswith("c_attn.bias"):
            # the keys' bias adds q·b_k to a whole row of scores, which softmax ignores: its
            # gradient is 0 but for rounding (~1e-10), and Adam turns that noise into steps of
            # ±lr; only the queries' and values' biases are compared
            n = w.shape[0] // 3
            w, t = np.delete(w, np.s_[n:2 * n]), np.delete(t, np.s_[n:2 * n])
        # (Adam divides by the root of tiny second moments: a few entries of c_attn.weight,
        # with gradients ~3e-8, move by ~1e-5 differently)
        np.testing.assert_allclose(w, t, rtol=0, atol=5e-5, err_msg=name)


def test_the_checkpoint_and_the_state_dict_move_to_pytorch_and_back(tmp_path):
    """nn.save's .pt checkpoint loads with torch.load into nanoGPT's model on PyTorch (tied
    weights included), and PyTorch's state_dict loads back."""
    real = pytest.importorskip("torch", reason="the cross-check needs PyTorch: pip install torch")
    RealConfig, RealGPT = nanogpt(real, real.nn, real.nn.functional, real.optim)
    model = GPT(GPTConfig(**TINY))
    x, y = batches(1)[0]
    nn.save({'model': model.state_dict(), 'model_args': TINY, 'iter_num': 3},
            tmp_path / "ckpt.pt")
    checkpoint = real.load(tmp_path / "ckpt.pt")
    theirs = RealGPT(RealConfig(**checkpoint['model_args']))
    theirs.load_state_dict(checkpoint['model'])
    assert theirs.transformer.wte.weight is theirs.lm_head.weight
    expected = theirs(real.from_numpy(x), real.from_numpy(y))[1].item()
    ours = model(torch.from_numpy(x), torch.from_numpy(y))[1].item()
    assert ours == pytest.approx(expected, rel=1e-6)
    back = GPT(GPTConfig(**TINY))
    back.load_state_dict(theirs.state_dict())
    assert back(torch.from_numpy(x), torch.from_numpy(y))[1].item() == pytest.approx(expected,
                                                                                  rel=1e-6)


# -- what holds without PyTorch ------------------------------------------------------------------

def test_the_model_as_nanogpt_builds_it():
    """Tied weights counted once; get_num_params; the scaled init of c_proj; the flash flag;
    the inference-time logits of the last position only."""
    torch.manual_seed(1337)
    model = GPT(GPTConfig(**TINY))
    assert model.transformer.wte.weight is model.lm_head.weight
    names = [n for n, _ in model.named_parameters()]
    assert "lm_head.weight" not in names and names[0] == "transformer.wte.weight"
    n_embd, V, L = TINY["n_embd"], TINY["vocab_size"], TINY["n_layer"]
    per_block = (2 * 2 * n_embd                                      # two LayerNorms
                 + n_embd * 3 * n_embd + 3 * n_embd + n_embd * n_embd + n_embd   # attention
                 + n_embd * 4 * n_embd + 4 * n_embd + 4 * n_embd * n_embd + n_embd)  # MLP
    total = V * n_embd + TINY["block_size"] * n_embd + L * per_block + 2 * n_embd
    assert model.get_num_params(non_embedding=False) == total
    assert model.get_num_params() == total - TINY["block_size"] * n_embd
    params = dict(model.named_parameters())
    assert 0.003 < params["transformer.h.0.attn.c_proj.weight"].data.std() < 0.015  # 0.02/√4
    assert 0.015 < params["transformer.h.0.attn.c_attn.weight"].data.std() < 0.025
    assert model.transformer.h[0].attn.flash
    idx = torch.from_numpy(batches(1)[0][0])
    logits, loss = model(idx)
    assert loss is None and logits.shape == (4, 1, V)
    full, _ = model(idx, idx)
    np.testing.assert_allclose(logits.numpy()[:, 0], full.numpy().reshape(4, 16, V)[:, -1],
                               rtol=1e-5, atol=1e-6)


def test_sdpa_and_the_manual_causal_mask_give_the_same_loss_and_gradients():
    models = [GPT(GPTConfig(**TINY), flash=flash) for flash in (True, False)]
    state = drawn_state(models[1])
    models[0].load_state_dict({k: v for k, v in state.items() if not k.endswith("attn.bias")
                               or v.ndim == 1})
    models[1].load_state_dict(state)
    x, y = batches(1)[0]
    losses = []
    for model in models:
        _, loss = model(torch.from_numpy(x), torch.from_numpy(y))
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    for (name, p), q in zip(models[0].named_parameters(), models[1].parameters()):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-4, atol=1e-7, err_msg=name)


def test_configure_optimizers_groups_by_dimension_with_the_tied_weight_once():
    model = GPT(GPTConfig(**TINY))
    optimizer = model.configure_optimizers(0.1, 6e-4, (0.9, 0.95), 'cpu')
    decay, nodecay = optimizer.param_groups
    assert decay['weight_decay'] == 0.1 and nodecay['weight_decay'] == 0.0
    assert decay['betas'] == (0.9, 0.95) and decay['eps'] == 1e-8
    assert all(p.dim() >= 2 for p in decay['params'])
    assert all(p.dim() == 1 for p in nodecay['params'])
    ids = [id(p) for g in optimizer.param_groups for p in g['params']]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))
    assert sum(p.numel() for p in decay['params']) + sum(
        p.numel() for p in nodecay['params']) == model.get_num_params(non_embedding=False)
    # nanoGPT asks the signature for fused= (which the optimizers accept and ignore)
    assert 'fused' not in inspect.signature(nn.optim.AdamW).parameters
    nn.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95), eps=1e-8, fused=False)


def test_weight_tying_holds_through_a_step_and_a_save_and_load(tmp_path):
    model = GPT(GPTConfig(**TINY))
    optimizer = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95), 'cpu')
    x, y = (torch.from_numpy(a) for a in batches(1)[0])
    before = model.lm_head.weight.data.copy()
    _, loss = model(x, y)
    loss.backward()
    optimizer.step()
    assert model.transformer.wte.weight is model.lm_head.weight
    assert not np.array_equal(model.lm_head.weight.data, before)
    state = model.state_dict()
    assert np.shares_memory(state["lm_head.weight"].numpy(), state["transformer.wte.weight"].numpy())
    for name in ("ckpt.pt", "ckpt.npz"):
        nn.save({'model': model.state_dict()}, tmp_path / name)
        again = GPT(GPTConfig(**TINY))
        again.load_state_dict(nn.load(tmp_path / name)['model'])
        assert again.transformer.wte.weight is again.lm_head.weight
        np.testing.assert_array_equal(again.lm_head.weight.data, model.lm_head.weight.data)
        assert again(x, y)[1].item() == model(x, y)[1].item()


def test_generate_with_top_k_samples_only_the_top_k():
    torch.manual_seed(0)
    model = GPT(GPTConfig(**TINY))
    model.load_state_dict(drawn_state(model))
    model.eval()
    idx = torch.from_numpy(batches(1)[0][0][:2, :5])
    with torch.no_grad():
        logits, _ = model(idx)
    top3 = np.argsort(-logits.numpy()[:, -1], axis=-1)[:, :3]
    seen = set()
    for _ in range(40):
        out = model.generate(idx, 1, temperature=0.8, top_k=3)
        assert out.shape == (2, 6) and np.array_equal(out.numpy()[:, :5], idx.numpy())
        for row in range(2):
            assert out.numpy()[row, -1] in top3[row]
            seen.add((row, int(out.numpy()[row, -1])))
    assert len(seen) > 2                            # it samples, not just takes the largest
    long = model.generate(idx, 2 * TINY["block_size"], top_k=200)  # longer than the block;
    assert long.shape == (2, 5 + 2 * TINY["block_size"])          # top_k beyond the vocabulary
    assert long.numpy().max() < TINY["vocab_size"]
    greedy = model.generate(idx, 1, top_k=1)
    np.testing.assert_array_equal(greedy.numpy()[:, -1], top3[:, 0])


def test_crop_block_size_slices_the_position_table_and_the_mask():
    model = GPT(GPTConfig(**TINY), flash=False)
    wpe = model.transformer.wpe.weight.data.copy()
    model.crop_block_size(8)
    assert isinstance(model.transformer.wpe.weight, nn.Parameter)
    assert any(p is model.transformer.wpe.weight for p in model.parameters())
    np.testing.assert_array_equal(model.transformer.wpe.weight.data, wpe[:8])
    state = model.state_dict()
    assert state["transformer.wpe.weight"].shape == (8, 32)
    assert state["transformer.h.0.attn.bias"].shape == (1, 1, 8, 8)
    x, y = (torch.from_numpy(a[:, :8]) for a in batches(1)[0])
    _, loss = model(x, y)
    loss.backward()
    assert model.transformer.wpe.weight.grad.shape == (8, 32)
    with pytest.raises(AssertionError):
        model(torch.from_numpy(batches(1)[0][0]))


def test_from_pretrained_copies_transposed_conv1d_weights_under_no_grad():
    """GPT-2's checkpoints keep Conv1D weights as (in, out): from_pretrained copies them
    transposed into the Linear weights through the state dict's tensors."""
    model = GPT(GPTConfig(**TINY))
    sd = model.state_dict()
    sd_keys = [k for k in sd.keys() if not k.endswith('.attn.bias')]
    rng = np.random.default_rng(1)
    transposed = ['attn.c_attn.weight', 'attn.c_proj.weight', 'mlp.c_fc.weight',
                  'mlp.c_proj.weight']
    sd_hf = {k: rng.normal(size=tuple(sd[k].shape)[::-1] if any(k.endswith(w) for w in transposed)
                           else tuple(sd[k].shape)).astype(np.float32) for k in sd_keys}
    for k in sd_keys:
        if any(k.endswith(w) for w in transposed):
            assert sd_hf[k].shape[::-1] == sd[k].shape
            with torch.no_grad():
                sd[k].copy_(torch.from_numpy(sd_hf[k]).t())    # numpy's own: sd_hf[k].T
        else:
            assert sd_hf[k].shape == sd[k].shape
            with torch.no_grad():
                sd[k].copy_(sd_hf[k])
    params = dict(model.named_parameters())
    np.testing.assert_array_equal(params['transformer.h.1.mlp.c_fc.weight'].data,
                                  sd_hf['transformer.h.1.mlp.c_fc.weight'].T)
    # lm_head.weight was copied last, into the tied table
    np.testing.assert_array_equal(params['transformer.wte.weight'].data, sd_hf['lm_head.weight'])


# -- train.py ------------------------------------------------------------------------------------

def write_data(folder) -> None:
    """prepare.py: the ids as uint16, 90 % to train.bin, the rest to val.bin."""
    n = int(0.9 * len(TOKENS))
    TOKENS[:n].tofile(folder / 'train.bin')
    TOKENS[n:].tofile(folder / 'val.bin')


def train_py(folder, max_iters: int, resume: bool = False, compile: bool = False) -> dict:
    """train.py's loop on the CPU: memmap batches, GradScaler, gradient accumulation, clipping,
    the warm-up-then-cosine learning rate set by hand, estimate_loss, checkpoints."""
    batch_size, block_size = 4, TINY['block_size']
    gradient_accumulation_steps, grad_clip, eval_iters = 2, 1.0, 4
    learning_rate, min_lr, warmup_iters, lr_decay_iters = 1e-2, 1e-3, 4, max_iters
    device = 'cpu'
    device_type = 'cuda' if 'cuda' in device else 'cpu'
    dtype = 'float16'                   # train.py's choice where there is no bfloat16 GPU
    torch.manual_seed(1337 + 0)
    # port: torch.backends.cuda.matmul.allow_tf32 = True and torch.backends.cudnn.allow_tf32 =
    # True are left out (an AttributeError says so), and torch.bfloat16 with them: numpy has
    # no bfloat16, so the dict of dtypes keeps float32 and float16
    ptdtype = {'float32': torch.float32, 'float16': torch.float16}[dtype]
    ctx = nullcontext() if device_type == 'cpu' else torch.amp.autocast(device_type=device_type,
                                                                          dtype=ptdtype)

    def get_batch(split):
        data = np.memmap(folder / ('train.bin' if split == 'train' else 'val.bin'),
                         dtype=np.uint16, mode='r')
        ix = torch.randint(len(data) - block_size, (batch_size,))
        x = torch.stack([torch.from_numpy((data[i:i + block_size]).astype(np.int64))
                         for i in ix])
        y = torch.stack([torch.from_numpy((data[i + 1:i + 1 + block_size]).astype(np.int64))
                         for i in ix])
        if device_type == 'cuda':
            x, y = x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(
                device, non_blocking=True)
        else:
            x, y = x.to(device), y.to(device)
        return x, y

    iter_num, best_val_loss = 0, 1e9
    model_args = dict(n_layer=TINY['n_layer'], n_head=TINY['n_head'], n_embd=TINY['n_embd'],
                      block_size=block_size, bias=False, vocab_size=None, dropout=0.0)
    if not resume:
        model_args['vocab_size'] = TINY['vocab_size']
        model = GPT(GPTConfig(**model_args))
    else:
        checkpoint = nn.load(folder / 'ckpt.pt', map_location=device)   # port: torch.load
        for k in ['n_layer', 'n_head', 'n_embd', 'block_size', 'bias', 'vocab_size']:
            model_args[k] = checkpoint['model_args'][k]
        model = GPT(GPTConfig(**model_args))
        state_dict = checkpoint['model']
        unwanted_prefix = '_orig_mod.'
        for k, v in list(state_dict.items()):
            if k.startswith(unwanted_prefix):
                state_dict[k[len(unwanted_prefix):]] = state_dict.pop(k)
        model.load_state_dict(state_dict)
        iter_num, best_val_loss = checkpoint['iter_num'], checkpoint['best_val_loss']
    model.to(device)
    with pytest.warns(UserWarning, match="GradScaler: glassgrad has no mixed precision"):
        scaler = torch.amp.GradScaler(enabled=(dtype == 'float16'))
    optimizer = model.configure_optimizers(0.1, learning_rate, (0.9, 0.95), device_type)
    if resume:
        optimizer.load_state_dict(checkpoint['optimizer'])
    checkpoint = None
    if compile:
        with pytest.warns(UserWarning, match="no compiler for Tensor models"):
            model = torch.compile(model)
    raw_model = model

    @torch.no_grad()
    def estimate_loss():
        out = {}
        model.eval()
        for split in ['train', 'val']:
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                X, Y = get_batch(split)
                with ctx:
                    logits, loss = model(X, Y)
                losses[k] = loss.item()
            out[split] = losses.mean()
        model.train()
        return out

    def get_lr(it):
        if it < warmup_iters:
            return learning_rate * (it + 1) / (warmup_iters + 1)
        if it > lr_decay_iters:
            return min_lr
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        assert 0 <= decay_ratio <= 1
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
        return min_lr + coeff * (learning_rate - min_lr)

    fixed = [torch.from_numpy(a) for a in batches(1)[0]]
    record = {"start_loss": model(*fixed)[1].item(), "first_eval": estimate_loss(), "lrs": [],
              "losses": [], "norms": []}
    X, Y = get_batch('train')
    while iter_num < max_iters:
        lr = get_lr(iter_num)
        for param_group in optimizer.param_groups:
            param_group['lr'] = lr
        for micro_step in range(gradient_accumulation_steps):
            with ctx:
                logits, loss = model(X, Y)
                loss = loss / gradient_accumulation_steps
            X, Y = get_batch('train')
            scaler.scale(loss).backward()
        if grad_clip != 0.0:
            scaler.unscale_(optimizer)
            record["norms"].append(float(nn.utils.clip_grad_norm_(model.parameters(), grad_clip)))
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        record["lrs"].append(lr)
        record["losses"].append(loss.item() * gradient_accumulation_steps)
        iter_num += 1
    losses = record["last_eval"] = estimate_loss()
    record["end_loss"] = model(*fixed)[1].item()
    best_val_loss = min(best_val_loss, float(losses['val']))
    checkpoint = {'model': raw_model.state_dict(), 'optimizer': optimizer.state_dict(),
                  'model_args': model_args, 'iter_num': iter_num,
                  'best_val_loss': best_val_loss,
                  'config': {'batch_size': batch_size, 'grad_clip': grad_clip,
                             'dataset': 'made_up_char', 'compile': compile}}
    nn.save(checkpoint, folder / 'ckpt.pt')                  # port: torch.save
    record.update(model=model, optimizer=optimizer, get_batch=get_batch)
    return record


def test_train_py_with_accumulation_and_clipping_lowers_the_loss(tmp_path):
    write_data(tmp_path)
    run = train_py(tmp_path, max_iters=40, compile=True)
    assert run["last_eval"]["val"] < 0.8 * run["first_eval"]["val"]
    assert run["last_eval"]["train"] < 0.8 * run["first_eval"]["train"]
    assert np.mean(run["losses"][-5:]) < 0.8 * np.mean(run["losses"][:5])
    lrs = run["lrs"]
    assert lrs[0] == pytest.approx(1e-2 / 5) and lrs[3] == pytest.approx(4e-2 / 5)   # warm-up
    assert lrs[4] == pytest.approx(1e-2) and np.all(np.diff(lrs[4:]) < 0)           # cosine
    assert all(g['lr'] == lrs[-1] for g in run["optimizer"].param_groups)
    assert max(run["norms"]) > 1.0                  # clipping had work to do
    assert all(p.grad is None for p in run["model"].parameters())   # set_to_none=True


def test_train_py_resumes_from_its_checkpoint_with_compile_s_prefix(tmp_path):
    """init_from='resume': the model, AdamW's state and iter_num come back (the keys' `_orig_mod.`
    prefix removed by train.py's own loop), and the run goes on from where it stopped."""
    write_data(tmp_path)
    first = train_py(tmp_path, max_iters=6)
    saved = nn.load(tmp_path / 'ckpt.pt')
    assert saved['iter_num'] == 6 and saved['config']['dataset'] == 'made_up_char'
    assert saved['best_val_loss'] == pytest.approx(float(first["last_eval"]["val"]))
    saved['model'] = {'_orig_mod.' + k: v for k, v in saved['model'].items()}
    nn.save(saved, tmp_path / 'ckpt.pt')
    resumed = train_py(tmp_path, max_iters=8, resume=True)
    assert resumed["start_loss"] == first["end_loss"]       # the same weights
    assert len(resumed["losses"]) == 2                       # iterations 6 and 7
    assert resumed["lrs"] == pytest.approx([1e-3 + 0.5 * (1 + math.cos(math.pi * r)) * 9e-3
                                            for r in (2 / 4, 3 / 4)])
    step = resumed["optimizer"].state[next(resumed["model"].parameters())]["step"]
    assert int(step) == 8                                    # AdamW's count went on


def test_a_resumed_step_is_the_step_the_run_would_have_taken(tmp_path):
    """Model and AdamW state saved after 3 steps, loaded into a new model and optimizer: the
    next step's loss and weights are the uninterrupted run's, bit for bit."""
    model = GPT(GPTConfig(**TINY))
    optimizer = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95), 'cpu')
    data = batches(5)

    def step(model, optimizer, k):
        _, loss = model(*(torch.from_numpy(a) for a in data[k]))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    for k in range(3):
        step(model, optimizer, k)
    nn.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
             'model_args': TINY, 'iter_num': 3, 'best_val_loss': torch.tensor(2.5)},
            tmp_path / 'ckpt.pt')
    expected = [step(model, optimizer, k) for k in (3, 4)]
    checkpoint = nn.load(tmp_path / 'ckpt.pt', map_location='cpu')
    again = GPT(GPTConfig(**checkpoint['model_args']))
    again.load_state_dict(checkpoint['model'])
    resumed = again.configure_optimizers(0.1, 1e-2, (0.9, 0.95), 'cpu')
    resumed.load_state_dict(checkpoint['optimizer'])
    assert [step(again, resumed, k) for k in (3, 4)] == expected
    for p, q in zip(model.parameters(), again.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert checkpoint['iter_num'] == 3 and float(checkpoint['best_val_loss']) == 2.5


# -- the lines glassgrad answers otherwise -------------------------------------------------------

def test_the_gpu_and_precision_settings_say_to_leave_them_out():
    for line in (lambda: torch.backends.cuda.matmul, lambda: torch.set_float32_matmul_precision):
        with pytest.raises(AttributeError, match="leave .*out"):
            line()
    with pytest.raises(AttributeError, match="numpy has no bfloat16"):
        torch.bfloat16
    t = torch.zeros(2)
    assert t.pin_memory() is t and not t.is_pinned()     # no GPU to pin for: the tensor


def test_a_dataclass_in_a_checkpoint_is_refused_saying_what_to_store(tmp_path):
    """build-nanogpt saves `'config': raw_model.config`, a GPTConfig: load reads no classes,
    so save refuses it, and says to store dataclasses.asdict and rebuild it."""
    config = GPTConfig(**TINY)
    for name in ("ckpt.pt", "ckpt.npz"):
        with pytest.raises(TypeError, match=r"'config' is a GPTConfig; .*dataclasses\.asdict"
                                            r".*GPTConfig\(\*\*fields\)"):
            nn.save({'config': config, 'step': 1}, tmp_path / name)
        nn.save({'config': dataclasses.asdict(config), 'step': 1}, tmp_path / name)
        assert GPTConfig(**nn.load(tmp_path / name)['config']) == config
