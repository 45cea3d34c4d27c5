"""A user trial: a student's transformer weeks of an NLP course, written as the course's PyTorch
notebooks write them, after `import autograd as torch`, `import nn`, `import nn.functional as F`,
`import nn.optim as optim`, with PyTorch's own `nn.Transformer*` modules and no tokenizer
library. The models are written once for a torch-like namespace, so the same lines run on
PyTorch where it is installed, from the same weights, and must give the same numbers.

1. A whitespace tokenizer over a small corpus the test writes: a vocabulary with [PAD] [CLS]
   [SEP] [MASK] first, sentence pairs as [CLS] a [SEP] b [SEP] with segment ids, padding to the
   batch's longest and the padding mask (True at [PAD]).
2. A BERT-like encoder: token + learned position + segment embeddings, LayerNorm, dropout,
   `nn.TransformerEncoder(nn.TransformerEncoderLayer(..., activation="gelu", batch_first=True,
   norm_first=...), num_layers, enable_nested_tensor=False)` with `src_key_padding_mask`; the
   masked-LM objective (15 % of the tokens, 80/10/10 [MASK] / random / kept, the loss on those
   only by `ignore_index=-100`), the MLM head's decoder tied to the token embedding
   (`head.weight = emb.weight`); AdamW with a linear warmup by `LambdaLR`; then a [CLS] head
   fine-tuned on a toy task.
3. Translation: `nn.Transformer(batch_first=True)` on a toy language pair (each word has its
   own target word), teacher forcing with the causal
   `tgt_mask` from `generate_square_subsequent_mask` and the padding masks, greedy decoding
   with `torch.argmax`; a decoder-only stack (`TransformerDecoderLayer`) with bool masks.
4. `nn.MultiheadAttention` used directly (per-head weights, masks (L, S) and
   (N * heads, L, S), sequence first) and `F.scaled_dot_product_attention` (is_causal, bool
   and float masks).
5. PyTorch's own modules' `state_dict()` loaded into ours for every configuration (norm_first,
   gelu/relu, batch_first True/False, the masks): the same outputs in eval mode, and the same
   losses and gradients.

What the trial found missing, and what was done:
- Everything the weeks use was there and agreed with PyTorch 2.13 (float64 to 1e-10, float32
  models to rounding): the encoder/decoder layers in every configuration (norm_first,
  gelu/relu, batch_first True/False, bool/float/per-head masks, is_causal hints), PyTorch's
  state_dicts loaded as they are (tied weights stay tied), MultiheadAttention's per-head
  weights, scaled_dot_product_attention, AdamW + LambdaLR steps, greedy decoding token for
  token. At these sizes a BERT step (d_model 32, 2 layers, batch 16) takes ~4.6 ms against
  PyTorch's ~6.7 ms on one core: nothing was slow.
- Mistakes with masks got true but unhelpful errors; they now say what to write: an integer
  0/1 padding mask (a tokenizer's attention_mask: `mask == 0`, or `mask.bool()` if 1 marks the
  padding), one attn_mask per sample (N, L, S) where PyTorch's 3-d mask is per sample and head
  (`repeat_interleave(num_heads, dim=0)`), BERT's extended (N, 1, 1, S) mask (`reshape(N, S)`),
  `is_causal=True` without a mask (`nn.Transformer.generate_square_subsequent_mask(L)` added to
  the numpy form), and batch-first sequences given to a model made without batch_first=True
  (src and tgt agree on axis 0 only).
- A bool padding mask True at the real tokens (a tokenizer's attention_mask, `.bool()`) ran
  silently, hiding the tokens (PyTorch too): it is now warned about when every sequence's first
  key is left out while others are not (right padding never does that).
- Left as they are: PyTorch's deprecation warning for a float attn_mask with a bool padding
  mask (both work here); `F.multi_head_attention_forward` (use `nn.MultiheadAttention`);
  `w.data.normal_(...)` in an init function (`.data` is the array here by design; the error's
  note says `nn.init.normal_`); in the toy problems, the tutorial's `emb * sqrt(d_model)` before
  sinusoids kept the model from learning in 300 steps in both engines (identically), so the
  student's model leaves it out.
"""

from __future__ import annotations

import math
import types
import warnings

import numpy as np
import pytest

import autograd as torch
import nn
import nn.functional as F
import nn.optim as optim
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

OURS = types.SimpleNamespace(torch=torch, nn=nn, F=F, optim=optim)


def theirs() -> types.SimpleNamespace:
    import torch.nn.functional as tF
    return types.SimpleNamespace(torch=real_torch, nn=real_torch.nn, F=tF,
                                 optim=real_torch.optim)


# == 1. the tokenizer ========================================================================

SPECIALS = ["[PAD]", "[CLS]", "[SEP]", "[MASK]"]
PAD, CLS, SEP, MASK = range(4)

ANIMALS = ["cat", "dog", "bird", "fish", "horse", "cow"]
COLOURS = ["red", "green", "blue", "black", "white"]
PLACES = ["garden", "house", "river", "field", "tree"]


def corpus(n: int, seed: int = 0) -> list[str]:
    """Sentences of a tiny grammar: 'the <colour> <animal> sleeps in the <place>' and
    variants, so a masked word can be guessed from the others (each animal has its colour)."""
    rng = np.random.default_rng(seed)
    verbs = ["sleeps", "runs", "eats"]
    lines = []
    for _ in range(n):
        k = int(rng.integers(len(ANIMALS)))
        animal, colour = ANIMALS[k], COLOURS[k % len(COLOURS)]
        place = PLACES[(k + int(rng.integers(2))) % len(PLACES)]
        verb = verbs[int(rng.integers(len(verbs)))]
        if rng.random() < 0.5:
            lines.append(f"the {colour} {animal} {verb} in the {place}")
        else:
            lines.append(f"a {colour} {animal} {verb}")
    return lines


class Tokenizer:
    """Whitespace words; the specials first, then the words in order of first sight."""

    def __init__(self, texts):
        self.itos = list(SPECIALS)
        for text in texts:
            for word in text.split():
                if word not in self.itos:
                    self.itos.append(word)
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, a, b=None):
        """[CLS] a [SEP] (b [SEP]): token ids and segment ids (0 for a, 1 for b)."""
        ids = [CLS] + [self.stoi[w] for w in a.split()] + [SEP]
        segments = [0] * len(ids)
        if b is not None:
            more = [self.stoi[w] for w in b.split()] + [SEP]
            ids += more
            segments += [1] * len(more)
        return ids, segments

    def decode(self, ids):
        return " ".join(self.itos[i] for i in ids if i not in (PAD, CLS, SEP))


def pad_batch(ns, sequences, value=PAD):
    """The sequences padded to the longest (N, L) int64, and the padding mask (True at pads)."""
    torch = ns.torch
    L = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), L), value, dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
    lengths = torch.tensor([len(s) for s in sequences])
    pad_mask = torch.arange(L)[None, :] >= lengths[:, None]
    return ids, pad_mask


def test_the_tokenizer_pads_a_batch_and_masks_the_padding():
    tok = Tokenizer(corpus(20))
    ids, segments = tok.encode("the red cat sleeps", "a red cat")
    assert ids[0] == CLS and ids[5] == SEP and ids[-1] == SEP
    assert segments == [0] * 6 + [1] * 4
    assert tok.decode(ids) == "the red cat sleeps a red cat"
    batch, pad_mask = pad_batch(OURS, [ids, ids[:3]])
    assert batch.shape == (2, 10) and batch.dtype == np.int64
    assert pad_mask.dtype == np.bool_ and pad_mask.sum().item() == 7
    assert (batch[1, 3:] == PAD).all().item()
    assert (pad_mask == (batch == PAD)).all().item()


# == 2. the BERT-like encoder ================================================================

def bert_parts(ns):
    """The student's BERT, its masking and its warmup, for a torch-like namespace."""
    torch, nn = ns.torch, ns.nn

    class Bert(nn.Module):
        def __init__(self, vocab_size, d_model=16, nhead=2, dim_feedforward=32, num_layers=2,
                     max_len=16, dropout=0.1, norm_first=False, activation="gelu",
                     num_classes=2):
            super().__init__()
            self.tok_emb = nn.Embedding(vocab_size, d_model, padding_idx=PAD)
            self.pos_emb = nn.Embedding(max_len, d_model)
            self.seg_emb = nn.Embedding(2, d_model)
            self.emb_norm = nn.LayerNorm(d_model)
            self.emb_drop = nn.Dropout(dropout)
            layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                               activation=activation, batch_first=True,
                                               norm_first=norm_first)
            final = nn.LayerNorm(d_model) if norm_first else None
            self.encoder = nn.TransformerEncoder(layer, num_layers, norm=final,
                                                 enable_nested_tensor=False)
            # the MLM head: a transform, then the decoder tied to the token embedding
            self.mlm_dense = nn.Linear(d_model, d_model)
            self.mlm_act = nn.GELU()
            self.mlm_norm = nn.LayerNorm(d_model)
            self.mlm_decoder = nn.Linear(d_model, vocab_size)
            self.mlm_decoder.weight = self.tok_emb.weight
            self.cls_head = nn.Sequential(nn.Dropout(dropout), nn.Linear(d_model, num_classes))
            for emb in (self.tok_emb, self.pos_emb, self.seg_emb):      # BERT's: N(0, 0.02)
                nn.init.normal_(emb.weight, std=0.02)

        def forward(self, ids, segments=None, pad_mask=None):
            N, L = ids.shape
            positions = torch.arange(L).unsqueeze(0).expand(N, L)
            if segments is None:
                segments = torch.zeros_like(ids)
            x = self.tok_emb(ids) + self.pos_emb(positions) + self.seg_emb(segments)
            x = self.emb_drop(self.emb_norm(x))
            return self.encoder(x, src_key_padding_mask=pad_mask)

        def mlm_logits(self, hidden):
            return self.mlm_decoder(self.mlm_norm(self.mlm_act(self.mlm_dense(hidden))))

        def classify(self, hidden):
            return self.cls_head(hidden[:, 0])

    def mask_tokens(ids, vocab_size, prob=0.15, generator=None):
        """BERT's masking: `prob` of the real tokens are chosen; of those 80 % become [MASK],
        10 % a random word, 10 % stay. The labels are the chosen tokens, -100 elsewhere."""
        labels = ids.clone()
        special = ids < len(SPECIALS)
        chosen = (torch.rand(ids.shape, generator=generator) < prob) & ~special
        labels[~chosen] = -100
        inputs = ids.clone()
        to_mask = (torch.rand(ids.shape, generator=generator) < 0.8) & chosen
        inputs[to_mask] = MASK
        to_random = (torch.rand(ids.shape, generator=generator) < 0.5) & chosen & ~to_mask
        words = torch.randint(len(SPECIALS), vocab_size, ids.shape, dtype=torch.long,
                              generator=generator)
        inputs[to_random] = words[to_random]
        return inputs, labels

    def warmup(total_steps, warmup_steps):
        def factor(step):
            if step < warmup_steps:
                return (step + 1) / warmup_steps
            return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))
        return factor

    return types.SimpleNamespace(Bert=Bert, mask_tokens=mask_tokens, warmup=warmup)


def test_masking_follows_the_80_10_10_rule():
    parts = bert_parts(OURS)
    ids = torch.randint(len(SPECIALS), 40, (200, 50), generator=torch.Generator().manual_seed(1))
    ids[:, 0] = CLS
    ids[:, -5:] = PAD
    inputs, labels = parts.mask_tokens(ids, 40, generator=torch.Generator().manual_seed(2))
    chosen = labels != -100
    real = (ids >= len(SPECIALS)).sum().item()
    assert abs(chosen.sum().item() / real - 0.15) < 0.01
    assert not chosen[:, 0].any().item() and not chosen[:, -5:].any().item()
    assert (labels[chosen] == ids[chosen]).all().item()
    assert (inputs[~chosen] == ids[~chosen]).all().item()
    n = chosen.sum().item()
    masked = (inputs[chosen] == MASK).sum().item() / n
    kept = (inputs[chosen] == ids[chosen]).sum().item() / n
    assert abs(masked - 0.8) < 0.03
    assert 0.07 < kept < 0.14                    # 10 %, plus the random draws of the same word


def test_the_mlm_decoder_is_tied_to_the_token_embedding_and_gets_both_gradients():
    parts = bert_parts(OURS)
    torch.manual_seed(0)
    model = parts.Bert(30, dropout=0.0)
    assert model.mlm_decoder.weight is model.tok_emb.weight
    names = [name for name, _ in model.named_parameters()]
    assert "tok_emb.weight" in names and "mlm_decoder.weight" not in names
    assert "mlm_decoder.weight" in model.state_dict()           # PyTorch lists both names
    ids = torch.tensor([[CLS, 5, 6, 7, SEP]])
    hidden = model(ids)
    model.mlm_logits(hidden).sum().backward()
    grad = model.tok_emb.weight.grad
    # the decoder's share reaches every row; the embedding's only rows 1, 2, 5, 6, 7
    assert np.all(grad[10:] != 0)
    model.zero_grad()
    model.mlm_logits(hidden.detach()).sum().backward()
    decoder_only = model.tok_emb.weight.grad.copy()
    np.testing.assert_allclose(decoder_only[10:], grad[10:], rtol=1e-6)
    assert not np.allclose(decoder_only[5], grad[5])


def bert_batches(tok, texts, ns, batch=16):
    for start in range(0, len(texts), batch):
        chunk = texts[start:start + batch]
        ids, pad_mask = pad_batch(ns, [tok.encode(t)[0] for t in chunk])
        yield ids, pad_mask


def test_bert_learns_the_masked_words_with_adamw_and_warmup():
    parts = bert_parts(OURS)
    texts = corpus(96, seed=1)
    tok = Tokenizer(texts)
    torch.manual_seed(0)
    model = parts.Bert(len(tok), d_model=32, nhead=4, dim_feedforward=64, num_layers=2,
                       dropout=0.0, norm_first=True)
    steps = 300
    optimizer = optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, parts.warmup(steps, 10))
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    g = torch.Generator().manual_seed(0)
    batches = list(bert_batches(tok, texts, OURS))
    losses = []
    for step in range(steps):
        ids, pad_mask = batches[step % len(batches)]
        inputs, labels = parts.mask_tokens(ids, len(tok), prob=0.3, generator=g)
        logits = model.mlm_logits(model(inputs, pad_mask=pad_mask))
        loss = loss_fn(logits.view(-1, len(tok)), labels.view(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    assert optimizer.param_groups[0]["lr"] < 5e-3 / 100
    assert np.mean(losses[:5]) > 2.5 and np.mean(losses[-20:]) < 0.8
    # the colour of an animal, masked, comes back
    model.eval()
    right = 0
    for k, animal in enumerate(ANIMALS):
        ids, _ = tok.encode(f"a [MASK] {animal} runs")
        with torch.no_grad():
            logits = model.mlm_logits(model(torch.tensor([ids])))
        right += tok.itos[logits[0, 2].argmax().item()] == COLOURS[k % len(COLOURS)]
    assert right == len(ANIMALS)


def test_bert_cls_head_fine_tunes_on_a_pair_task():
    """Is b the same animal's sentence as a? ([CLS] a [SEP] b [SEP] with segments.)"""
    parts = bert_parts(OURS)
    rng = np.random.default_rng(3)
    texts = corpus(64, seed=2)
    tok = Tokenizer(texts)
    pairs, targets = [], []
    for _ in range(128):
        a, b = texts[rng.integers(len(texts))], texts[rng.integers(len(texts))]
        pairs.append(tok.encode(a, b))
        targets.append(int(a.split()[-4 if a.startswith("the") else -2]
                           == b.split()[-4 if b.startswith("the") else -2]))
    torch.manual_seed(1)
    model = parts.Bert(len(tok), d_model=32, nhead=4, dim_feedforward=64, num_layers=1,
                       max_len=24, dropout=0.1)
    optimizer = optim.AdamW(model.parameters(), lr=2e-3)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, parts.warmup(150, 15))
    ids, pad_mask = pad_batch(OURS, [p[0] for p in pairs])
    segments, _ = pad_batch(OURS, [p[1] for p in pairs], value=0)
    y = torch.tensor(targets)
    for step in range(150):
        batch = torch.arange(32) + 32 * (step % 4)
        model.train()
        logits = model.classify(model(ids[batch], segments[batch], pad_mask[batch]))
        loss = F.cross_entropy(logits, y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    model.eval()
    with torch.no_grad():
        predicted = model.classify(model(ids, segments, pad_mask)).argmax(dim=-1)
    accuracy = (predicted == y).float().mean().item()
    assert accuracy > 0.9, accuracy


# == 3. translation ==========================================================================

BOS, EOS = 1, 2                      # the target side's [CLS] and [SEP] serve as <bos> <eos>


def toy_pairs(n, seed=0, words=8, max_len=5):
    """Source sentences of 2..max_len words (ids 4..4+words) and their translations: each word
    w becomes w + words (its own target word); <bos> and <eos> around the target."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        src = list(rng.integers(4, 4 + words, rng.integers(2, max_len + 1)))
        tgt = [w + words for w in src]
        pairs.append(([int(w) for w in src], [BOS] + [int(w) for w in tgt] + [EOS]))
    return pairs


def translation_parts(ns):
    torch, nn = ns.torch, ns.nn

    class PositionalEncoding(nn.Module):
        """The sinusoids of "Attention Is All You Need", a buffer, batch first."""

        def __init__(self, d_model, max_len=32):
            super().__init__()
            position = torch.arange(max_len).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
            pe = torch.zeros(max_len, d_model)
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            self.register_buffer("pe", pe.unsqueeze(0))

        def forward(self, x):
            return x + self.pe[:, :x.size(1)]

    class Seq2Seq(nn.Module):
        def __init__(self, src_vocab, tgt_vocab, d_model=32, nhead=4, layers=1,
                     dim_feedforward=64, dropout=0.1, norm_first=False, activation="relu"):
            super().__init__()
            self.d_model = d_model
            self.src_emb = nn.Embedding(src_vocab, d_model, padding_idx=PAD)
            self.tgt_emb = nn.Embedding(tgt_vocab, d_model, padding_idx=PAD)
            self.pos = PositionalEncoding(d_model)
            self.transformer = nn.Transformer(d_model, nhead, num_encoder_layers=layers,
                                              num_decoder_layers=layers,
                                              dim_feedforward=dim_feedforward,
                                              dropout=dropout, activation=activation,
                                              batch_first=True, norm_first=norm_first)
            self.generator = nn.Linear(d_model, tgt_vocab)

        def embed(self, emb, ids):
            return self.pos(emb(ids))

        def forward(self, src, tgt_in, src_pad, tgt_pad):
            T = tgt_in.size(1)
            tgt_mask = nn.Transformer.generate_square_subsequent_mask(T)
            out = self.transformer(self.embed(self.src_emb, src), self.embed(self.tgt_emb, tgt_in),
                                   tgt_mask=tgt_mask, src_key_padding_mask=src_pad,
                                   tgt_key_padding_mask=tgt_pad,
                                   memory_key_padding_mask=src_pad, tgt_is_causal=True)
            return self.generator(out)

        def encode(self, src, src_pad):
            return self.transformer.encoder(self.embed(self.src_emb, src),
                                            src_key_padding_mask=src_pad)

        def decode(self, tgt, memory, src_pad):
            T = tgt.size(1)
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            out = self.transformer.decoder(self.embed(self.tgt_emb, tgt), memory, tgt_mask=mask,
                                           memory_key_padding_mask=src_pad)
            return self.generator(out)

        @torch.no_grad()
        def greedy(self, src, src_pad, max_len):
            memory = self.encode(src, src_pad)
            ys = torch.full((src.size(0), 1), BOS, dtype=torch.long)
            for _ in range(max_len - 1):
                logits = self.decode(ys, memory, src_pad)[:, -1]
                next_word = torch.argmax(logits, dim=-1, keepdim=True)
                ys = torch.cat([ys, next_word], dim=1)
            return ys

    return types.SimpleNamespace(Seq2Seq=Seq2Seq, PositionalEncoding=PositionalEncoding)


def translation_batch(ns, pairs):
    src, src_pad = pad_batch(ns, [p[0] for p in pairs])
    tgt, _ = pad_batch(ns, [p[1] for p in pairs])
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
    return src, src_pad, tgt_in, tgt_in == PAD, tgt_out


def test_a_transformer_learns_to_translate_by_teacher_forcing_and_decodes_greedily():
    parts = translation_parts(OURS)
    pairs = toy_pairs(256, seed=0)
    torch.manual_seed(0)
    model = parts.Seq2Seq(20, 20, d_model=32, nhead=4, layers=1, dropout=0.0)
    optimizer = optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.98), eps=1e-9)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.05)
    losses = []
    for step in range(300):
        chunk = pairs[32 * (step % 8):32 * (step % 8 + 1)]
        src, src_pad, tgt_in, tgt_pad, tgt_out = translation_batch(OURS, chunk)
        logits = model(src, tgt_in, src_pad, tgt_pad)
        loss = loss_fn(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[:8]) > 2.0 and np.mean(losses[-8:]) < 0.5, np.mean(losses[-8:])
    model.eval()
    test = toy_pairs(32, seed=99)
    src, src_pad, _, _, _ = translation_batch(OURS, test)
    out = model.greedy(src, src_pad, max_len=7)
    right = 0
    for row, (_, tgt) in zip(out.tolist(), test):
        right += row[:len(tgt)] == tgt
    assert right >= 28, right


def decoder_only_parts(ns):
    """A GPT-like language model from `TransformerDecoderLayer` without a memory: the student
    passes the sequence itself as memory with a causal bool mask on both attentions."""
    torch, nn = ns.torch, ns.nn

    class TinyGPT(nn.Module):
        def __init__(self, vocab, d_model=16, nhead=2, layers=2, max_len=16):
            super().__init__()
            self.emb = nn.Embedding(vocab, d_model)
            self.pos = nn.Embedding(max_len, d_model)
            layer = nn.TransformerDecoderLayer(d_model, nhead, 32, dropout=0.0,
                                               batch_first=True, norm_first=True)
            self.blocks = nn.TransformerDecoder(layer, layers, norm=nn.LayerNorm(d_model))
            self.head = nn.Linear(d_model, vocab, bias=False)

        def forward(self, ids, pad_mask=None):
            T = ids.size(1)
            x = self.emb(ids) + self.pos(torch.arange(T))
            causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
            return self.head(self.blocks(x, x, tgt_mask=causal, memory_mask=causal,
                                         tgt_key_padding_mask=pad_mask,
                                         memory_key_padding_mask=pad_mask,
                                         tgt_is_causal=True, memory_is_causal=True))

    return types.SimpleNamespace(TinyGPT=TinyGPT)


def test_a_decoder_only_model_learns_to_count_and_never_looks_ahead():
    parts = decoder_only_parts(OURS)
    torch.manual_seed(0)
    model = parts.TinyGPT(12)
    rng = np.random.default_rng(0)
    starts = rng.integers(4, 8, 64)
    data = torch.tensor(np.array([np.arange(s, s + 5) for s in starts]))   # s, s+1, ...
    optimizer = optim.AdamW(model.parameters(), lr=1e-2)
    for step in range(60):
        logits = model(data[:, :-1])
        loss = F.cross_entropy(logits.transpose(1, 2), data[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05, loss.item()
    # changing a later token changes nothing before it
    ids = data[:2, :-1].clone()
    before = model(ids)
    ids[:, 2] = 11
    after = model(ids)
    np.testing.assert_array_equal(before[:, :2].detach().numpy(), after[:, :2].detach().numpy())
    assert not np.allclose(before[:, 2:].detach().numpy(), after[:, 2:].detach().numpy())


# == 4. attention by hand, and 5. PyTorch's weights in our modules ===========================

def to_torch(x):
    return real_torch.tensor(np.array(x))


def plain(x):
    """An array of either engine's tensor (ours' .grad is already one)."""
    return x if isinstance(x, np.ndarray) else x.detach().numpy()


def pair(make, seed=0):
    """PyTorch's module `make(theirs)` and ours `make(OURS)`, ours given PyTorch's weights
    through its state_dict, both in float64."""
    real_torch.manual_seed(seed)
    model = make(theirs()).double()
    ours = make(OURS).double()
    ours.load_state_dict(model.state_dict())
    return ours, model


def assert_same(ours_out, their_out, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(plain(ours_out), plain(their_out), rtol=rtol, atol=atol)


def assert_same_grads(ours, model, rtol=1e-9):
    mine = dict(ours.named_parameters())
    for name, p in model.named_parameters():
        if p.grad is None:
            assert mine[name].grad is None or not np.any(mine[name].grad), name
            continue
        np.testing.assert_allclose(mine[name].grad, p.grad.numpy(), rtol=rtol,
                                   atol=rtol * float(p.grad.abs().max()), err_msg=name)


@needs_torch
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("mask", ["none", "bool", "float", "per_head"])
def test_multihead_attention_with_pytorchs_weights_gives_its_outputs_and_head_weights(
        batch_first, mask):
    N, L, S, E, H = 3, 4, 5, 8, 2
    ours, model = pair(lambda ns: ns.nn.MultiheadAttention(E, H, batch_first=batch_first))
    rng = np.random.default_rng(1)
    shape = (lambda n, t: (n, t, E)) if batch_first else (lambda n, t: (t, n, E))
    q, k, v = (rng.normal(size=shape(N, length)) for length in (L, S, S))
    padding = np.zeros((N, S), bool)
    padding[0, -2:] = True
    masks = {"none": None, "bool": rng.random((L, S)) < 0.3,
             "float": rng.normal(size=(L, S)), "per_head": rng.random((N * H, L, S)) < 0.3}
    attn_mask = masks[mask]
    if attn_mask is not None and attn_mask.dtype == bool:
        attn_mask[..., 0] = False                      # every query sees a key
    outs = []
    for engine, module, make in ((OURS, ours, lambda a: torch.tensor(a, requires_grad=True)),
                                 (theirs(), model, lambda a: to_torch(a).requires_grad_())):
        tq, tk, tv = make(q), make(k), make(v)
        kpm = engine.torch.tensor(padding)
        am = None if attn_mask is None else engine.torch.tensor(attn_mask)
        if mask == "float":                            # both masks of one kind, as PyTorch asks
            kpm = engine.torch.zeros(N, S, dtype=engine.torch.float64).masked_fill(
                kpm, float("-inf"))
        out, weights = module(tq, tk, tv, key_padding_mask=kpm, attn_mask=am,
                              need_weights=True, average_attn_weights=False)
        assert tuple(weights.shape) == (N, H, L, S)
        (out * engine.torch.tensor(np.arange(out.numel()).reshape(tuple(out.shape)) % 3
                                   ).double()).sum().backward()
        outs.append((out, weights, tq.grad, tk.grad, tv.grad))
    (o, w, *grads), (to, tw, *tgrads) = outs
    assert_same(o, to)
    assert_same(w, tw)
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(plain(g), plain(tg), rtol=1e-9, atol=1e-12)
    assert_same_grads(ours, model)
    # averaged over the heads by default
    _, mean_weights = ours(torch.tensor(q), torch.tensor(k), torch.tensor(v))
    _, their_mean = model(to_torch(q), to_torch(k), to_torch(v))
    assert_same(mean_weights, their_mean)


@needs_torch
@pytest.mark.parametrize("how", ["is_causal", "bool", "float", "broadcast_bool"])
def test_scaled_dot_product_attention_as_pytorchs(how):
    import torch.nn.functional as tF
    rng = np.random.default_rng(2)
    q, k, v = (rng.normal(size=(2, 3, 5, 4)) for _ in range(3))
    masks = {"is_causal": None, "bool": rng.random((2, 3, 5, 5)) < 0.7,
             "float": rng.normal(size=(5, 5)), "broadcast_bool": rng.random((2, 1, 5, 5)) < 0.7}
    mask = masks[how]
    if mask is not None and mask.dtype == bool:
        mask[..., 0] = True                            # True: may attend, here
    results = []
    for f, make, wrap in ((F.scaled_dot_product_attention,
                           lambda a: torch.tensor(a, requires_grad=True), torch.tensor),
                          (tF.scaled_dot_product_attention,
                           lambda a: to_torch(a).requires_grad_(), to_torch)):
        tq, tk, tv = make(q), make(k), make(v)
        out = f(tq, tk, tv, attn_mask=None if mask is None else wrap(mask),
                is_causal=how == "is_causal")
        (out ** 2).sum().backward()
        results.append([plain(x) for x in (out, tq.grad, tk.grad, tv.grad)])
    for mine, want in zip(*results):
        np.testing.assert_allclose(mine, want, rtol=1e-10, atol=1e-12)


ENCODER_CONFIGS = [dict(norm_first=False, activation="relu", batch_first=True),
                   dict(norm_first=True, activation="gelu", batch_first=True),
                   dict(norm_first=False, activation="gelu", batch_first=False),
                   dict(norm_first=True, activation="relu", batch_first=False)]


def sequence(rng, batch_first, N, L, E):
    return rng.normal(size=(N, L, E) if batch_first else (L, N, E))


@needs_torch
@pytest.mark.parametrize("config", ENCODER_CONFIGS)
@pytest.mark.parametrize("masks", ["padding", "causal_float", "causal_bool_is_causal"])
def test_pytorchs_encoder_weights_give_its_outputs_and_gradients(config, masks):
    N, L, E = 2, 5, 8

    def make(ns):
        layer = ns.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.1, **config)
        return ns.nn.TransformerEncoder(layer, 2, norm=ns.nn.LayerNorm(E),
                                        enable_nested_tensor=False)

    ours, model = pair(make)
    x = sequence(np.random.default_rng(3), config["batch_first"], N, L, E)
    padding = np.array([[False] * L, [False] * 3 + [True] * 2])
    for engine, module in ((OURS, ours), (theirs(), model)):
        t = engine.torch
        kwargs = {}
        if masks == "padding":
            kwargs["src_key_padding_mask"] = t.tensor(padding)
        elif masks == "causal_float":
            kwargs["mask"] = engine.nn.Transformer.generate_square_subsequent_mask(
                L, dtype=t.float64)
        else:
            kwargs["mask"] = t.triu(t.ones(L, L, dtype=t.bool), diagonal=1)
            kwargs["is_causal"] = True
        module.eval()
        with t.no_grad():                              # PyTorch's fast path where it has one
            module.fast = module(t.tensor(x), **kwargs)
        module.train()
        for layer in module.layers:                    # dropout off, gradients on
            layer.self_attn.dropout = 0.0              # (the attention weights' is a number)
            for sub in layer.modules():
                if isinstance(sub, engine.nn.Dropout):
                    sub.p = 0.0
        module.slow = module(t.tensor(x), **kwargs)
    keep = ~padding if config["batch_first"] else ~padding.T
    keep = keep[..., None] if masks == "padding" else np.ones_like(keep)[..., None]
    # outputs at padded positions are not read (PyTorch's nested-tensor path zeroes them)
    np.testing.assert_allclose(plain(ours.fast) * keep, plain(model.fast) * keep, rtol=1e-9,
                               atol=1e-10)
    assert_same(ours.slow, model.slow)
    weights = np.random.default_rng(4).normal(size=ours.slow.shape) * keep
    (ours.slow * torch.tensor(weights)).sum().backward()
    (model.slow * to_torch(weights)).sum().backward()
    assert_same_grads(ours, model)


@needs_torch
@pytest.mark.parametrize("config", ENCODER_CONFIGS)
def test_pytorchs_transformer_weights_give_its_outputs_and_gradients(config):
    N, S, T, E = 2, 5, 4, 8

    def make(ns):
        return ns.nn.Transformer(E, 2, 1, 2, 16, dropout=0.0, **config)

    ours, model = pair(make)
    rng = np.random.default_rng(5)
    src, tgt = sequence(rng, config["batch_first"], N, S, E), sequence(rng, config["batch_first"],
                                                                      N, T, E)
    src_pad = np.array([[False] * S, [False] * 3 + [True] * 2])
    tgt_pad = np.array([[False] * T, [False] * 3 + [True]])
    upstream = rng.normal(size=tgt.shape)
    outs = []
    for engine, module in ((OURS, ours), (theirs(), model)):
        t = engine.torch
        mask = engine.nn.Transformer.generate_square_subsequent_mask(T, dtype=t.float64)
        floats = {k: t.zeros(m.shape, dtype=t.float64).masked_fill(t.tensor(m), float("-inf"))
                  for k, m in (("src", src_pad), ("tgt", tgt_pad))}
        out = module(t.tensor(src), t.tensor(tgt), tgt_mask=mask,
                     src_key_padding_mask=floats["src"], tgt_key_padding_mask=floats["tgt"],
                     memory_key_padding_mask=floats["src"], tgt_is_causal=True)
        # (not out.pow(2).sum(): after a LayerNorm without affine change that is constant)
        (out * t.tensor(upstream)).sum().backward()
        module.eval()
        with t.no_grad():
            evaluated = module(t.tensor(src), t.tensor(tgt), tgt_mask=mask,
                               memory_key_padding_mask=t.tensor(src_pad))
        outs.append((out, evaluated))
    assert_same(outs[0][0], outs[1][0])
    assert_same(outs[0][1], outs[1][1])
    assert_same_grads(ours, model)


def float32_pair(make, seed=0):
    """PyTorch's float32 model `make(theirs())` and ours given its state_dict as it is (the
    way a student moves weights over), both in training mode."""
    real_torch.manual_seed(seed)
    model = make(theirs())
    ours = make(OURS)
    ours.load_state_dict(model.state_dict())
    return ours, model


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
def test_pytorchs_bert_weights_give_its_mlm_and_cls_losses_gradients_and_adamw_steps(
        norm_first):
    texts = corpus(16, seed=5)
    tok = Tokenizer(texts)
    ours, model = float32_pair(lambda ns: bert_parts(ns).Bert(
        len(tok), d_model=16, nhead=2, dim_feedforward=32, num_layers=2, dropout=0.0,
        norm_first=norm_first))
    assert model.mlm_decoder.weight is model.tok_emb.weight
    assert ours.mlm_decoder.weight is ours.tok_emb.weight       # still tied after loading
    ids, pad_mask = next(bert_batches(tok, texts, OURS, batch=8))
    inputs, labels = bert_parts(OURS).mask_tokens(ids, len(tok), prob=0.3,
                                                  generator=torch.Generator().manual_seed(0))
    y = np.arange(8) % 2
    steps = []
    for engine, module in ((OURS, ours), (theirs(), model)):
        t = engine.torch
        optimizer = engine.optim.AdamW(module.parameters(), lr=1e-2)
        scheduler = engine.optim.lr_scheduler.LambdaLR(optimizer, bert_parts(engine).warmup(4, 2))
        losses = []
        for _ in range(3):
            hidden = module(t.tensor(inputs.numpy()), pad_mask=t.tensor(pad_mask.numpy()))
            mlm = engine.nn.CrossEntropyLoss()(
                module.mlm_logits(hidden).view(-1, len(tok)), t.tensor(labels.numpy()).view(-1))
            cls = engine.F.cross_entropy(module.classify(hidden), t.tensor(y))
            loss = mlm + cls
            optimizer.zero_grad()
            loss.backward()
            if not losses:
                grads = {n: plain(p.grad).copy() for n, p in module.named_parameters()}
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        steps.append((losses, grads, {n: plain(p).copy() for n, p in module.named_parameters()}))
    (losses, grads, params), (their_losses, their_grads, their_params) = steps
    np.testing.assert_allclose(losses, their_losses, rtol=2e-5)
    for name, g in their_grads.items():
        np.testing.assert_allclose(grads[name], g, rtol=1e-3, atol=1e-5 * np.abs(g).max(),
                                   err_msg=name)
    for name, p in their_params.items():
        if name.endswith("in_proj_bias"):
            # the key's bias adds a constant to each query's scores: its gradient is rounding
            # noise in both engines, which AdamW turns into steps of lr either way
            keep = np.r_[:16, 32:48]
            p, params[name] = p[keep], params[name][keep]
        np.testing.assert_allclose(params[name], p, rtol=0, atol=1e-5, err_msg=name)


@needs_torch
def test_pytorchs_translation_model_gives_its_loss_gradients_and_greedy_translations():
    pairs = toy_pairs(16, seed=7)
    ours, model = float32_pair(lambda ns: translation_parts(ns).Seq2Seq(
        20, 20, d_model=16, nhead=2, layers=2, dim_feedforward=32, dropout=0.0))
    results = []
    for engine, module in ((OURS, ours), (theirs(), model)):
        src, src_pad, tgt_in, tgt_pad, tgt_out = translation_batch(engine, pairs)
        logits = module(src, tgt_in, src_pad, tgt_pad)
        loss = engine.F.cross_entropy(logits.reshape(-1, 20), tgt_out.reshape(-1),
                                      ignore_index=PAD, label_smoothing=0.1)
        loss.backward()
        module.eval()
        decoded = module.greedy(src, src_pad, max_len=7)
        results.append((loss.item(), plain(decoded), {n: plain(p.grad).copy()
                                                      for n, p in module.named_parameters()}))
    (loss, decoded, grads), (their_loss, their_decoded, their_grads) = results
    assert loss == pytest.approx(their_loss, rel=1e-5)
    np.testing.assert_array_equal(decoded, their_decoded)
    for name, g in their_grads.items():
        np.testing.assert_allclose(grads[name], g, rtol=1e-3, atol=1e-5 * np.abs(g).max(),
                                   err_msg=name)


# == the mistakes the trial made, and what they now say =====================================

@pytest.mark.parametrize("call, message", [
    # a tokenizer's attention_mask (1 = real token) given as the padding mask
    (lambda layer, x: layer(x, src_key_padding_mask=torch.tensor([[1, 1, 0], [1, 1, 1]])),
     r"src_key_padding_mask must be bool .* got dtype int64; if 1 marks the keys to leave out, "
     r"mask.bool\(\); if 1 marks the real tokens \(a tokenizer's attention_mask\), mask == 0"),
    # one mask per sample, where PyTorch's 3-d mask is one per sample and head
    (lambda layer, x: layer(x, src_mask=torch.zeros(2, 3, 3, dtype=torch.bool)),
     r"src_mask must have shape \(3, 3\) \(L, S\) or \(4, 3, 3\) \(N · num_heads, L, S\), got "
     r"\(2, 3, 3\); for one mask per sample, repeat it for each head: "
     r"src_mask.repeat_interleave\(2, dim=0\)"),
    # BERT's extended mask, shaped to broadcast over hand-written scores
    (lambda layer, x: layer(x, src_key_padding_mask=torch.zeros(2, 1, 1, 3, dtype=torch.bool)),
     r"got \(2, 1, 1, 3\); a mask shaped for the scores is not taken here: "
     r"src_key_padding_mask.reshape\(2, 3\)"),
    (lambda layer, x: layer(x, is_causal=True),
     r"src_mask=np.triu\(np.ones\(\(3, 3\), dtype=bool\), 1\) \(True: left out\), or "
     r"nn.Transformer.generate_square_subsequent_mask\(3\)"),
])
def test_the_masks_a_student_gets_wrong_say_what_to_write(call, message):
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    with pytest.raises((TypeError, ValueError), match=message):
        call(layer, torch.randn(2, 3, 8))


def test_a_padding_mask_true_at_the_real_tokens_is_warned_about():
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    x = torch.randn(2, 3, 8)
    attention_mask = torch.tensor([[1, 1, 0], [1, 1, 1]])      # a tokenizer's: 1 = real token
    with pytest.warns(UserWarning, match=r"src_key_padding_mask is True at the first key of "
                                         r"every sequence.* pass ~mask"):
        layer(x, src_key_padding_mask=attention_mask.bool())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(x, src_key_padding_mask=attention_mask == 0)    # right: no warning
        layer(x, src_key_padding_mask=torch.tensor([[True] * 3, [False] * 3]))


def test_an_integer_mask_given_to_scaled_dot_product_attention_says_bool():
    q = torch.randn(1, 3, 4)
    with pytest.raises(TypeError, match=r"attn_mask must be bool \(True where a query may "
                                        r"attend to the key\) .* got dtype int64: mask.bool\(\) "
                                        r"if 1 marks the keys to see"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.tril(torch.ones(3, 3,
                                                                                dtype=torch.long)))


@pytest.mark.parametrize("make, call, message", [
    (lambda: nn.Transformer(8, 2, 1, 1, 16),
     lambda m: m(torch.randn(2, 5, 8), torch.randn(2, 3, 8)),
     r"Transformer\(d_model=8, nhead=2\): src \(2, 5, 8\), tgt \(2, 3, 8\) must have the same "
     r"batch size on axis 1 \(L, N, E\); they agree on axis 0: for batch-first inputs "
     r"\(N, L, E\) make the Transformer with batch_first=True"),
    (lambda: nn.MultiheadAttention(8, 2),
     lambda m: m(torch.randn(2, 3, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 8)),
     r"query \(2, 3, 8\) and key \(2, 5, 8\) must have the same batch size on axis 1 "
     r"\(L, N, E\); they agree on axis 0: for batch-first inputs \(N, L, E\) make the layer "
     r"with batch_first=True"),
])
def test_batch_first_sequences_given_to_a_sequence_first_model_say_batch_first(make, call,
                                                                              message):
    with pytest.raises(ValueError, match=message):
        call(make())
