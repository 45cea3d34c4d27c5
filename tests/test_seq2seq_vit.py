"""A user trial: sequence-to-sequence models and a vision transformer written as the PyTorch
tutorials write them, with the imports changed (`import autograd as torch`, `import nn`,
`nn.functional as F`, `nn.utils.rnn`). An `nn.Transformer` (batch first, sinusoidal positions
in a buffer, xavier_uniform_ on every matrix) learns to reverse digit strings under teacher
forcing, with `generate_square_subsequent_mask`, source and target key padding masks and
`CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.1)`, and decodes greedily and by a
batched beam search (`log_softmax`, `topk`, `//` and `%` on the flat index, `gather`). A GRU
encoder-decoder with Bahdanau attention as in "NLP from scratch" (`pack_padded_sequence`,
`masked_fill` of padded keys, `softmax`, `bmm`, `NLLLoss` over `log_softmax`, teacher forcing,
then `topk` feeding itself). A tiny ViT on 8x8 synthetic images (patches by a strided Conv2d
or by `unfold`/`reshape`, a class token `nn.Parameter`, learned positions,
`TransformerEncoderLayer(batch_first=True, norm_first=True, activation="gelu")`) trained with
AdamW, a warm-up-cosine `LambdaLR` and `clip_grad_norm_`. PyTorch's numbers for a training step
from the same weights (state dicts loaded both ways), float64 central differences for each
model's gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import gradcheck_parameters
from nn import functional as F
from nn.utils import rnn as rnn_utils

from torch_helpers import needs_torch, torch

PAD, BOS, EOS = 0, 1, 2
VOCAB = 10                      # PAD, BOS, EOS and the digits 3..9


def _course(torch, nn, F, rnn):
    """The tutorials' code in PyTorch's spelling, for `torch` = PyTorch or glassgrad."""

    class Seq2SeqTransformer(nn.Module):
        """The translation tutorial's model: token embeddings scaled by √d plus sinusoidal
        positions, nn.Transformer, a linear generator."""

        def __init__(self, vocab, d_model=32, nhead=2, layers=1, ff=64, dropout=0.1,
                     maxlen=16):
            super().__init__()
            self.d_model = d_model
            self.src_tok = nn.Embedding(vocab, d_model)
            self.tgt_tok = nn.Embedding(vocab, d_model)
            position = torch.arange(0, maxlen, dtype=torch.float).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2).float()
                                 * (-math.log(10000.0) / d_model))
            pe = torch.zeros(maxlen, d_model)
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            self.register_buffer("pe", pe.unsqueeze(0))
            self.dropout = nn.Dropout(dropout)
            self.transformer = nn.Transformer(d_model, nhead, layers, layers, ff, dropout,
                                              batch_first=True)
            self.generator = nn.Linear(d_model, vocab)
            for p in self.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

        def embed(self, embedding, tokens):
            x = embedding(tokens) * math.sqrt(self.d_model) + self.pe[:, :tokens.size(1)]
            return self.dropout(x)

        def forward(self, src, tgt_in):
            tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
            src_pad, tgt_pad = src == PAD, tgt_in == PAD
            out = self.transformer(self.embed(self.src_tok, src),
                                   self.embed(self.tgt_tok, tgt_in), tgt_mask=tgt_mask,
                                   src_key_padding_mask=src_pad, tgt_key_padding_mask=tgt_pad,
                                   memory_key_padding_mask=src_pad)
            return self.generator(out)

        def encode(self, src):
            return self.transformer.encoder(self.embed(self.src_tok, src),
                                            src_key_padding_mask=src == PAD)

        def decode(self, ys, memory, src_pad):
            tgt_mask = nn.Transformer.generate_square_subsequent_mask(ys.size(1))
            out = self.transformer.decoder(self.embed(self.tgt_tok, ys), memory,
                                           tgt_mask=tgt_mask, memory_key_padding_mask=src_pad)
            return self.generator(out)

    def transformer_step(model, optimizer, scheduler, criterion, src, tgt):
        """Teacher forcing: the target shifted right in, the target out."""
        logits = model(src, tgt[:, :-1])
        loss = criterion(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        return loss, norm

    @torch.no_grad()
    def greedy_decode(model, src, max_len):
        memory = model.encode(src)
        ys = torch.full((src.size(0), 1), BOS, dtype=torch.long)
        for _ in range(max_len):
            next_word = model.decode(ys, memory, src == PAD)[:, -1].argmax(dim=-1)
            ys = torch.cat([ys, next_word.unsqueeze(1)], dim=1)
        return ys

    @torch.no_grad()
    def beam_search(model, src, k, max_len):
        """The k best continuations of BOS for each source, all sources' beams as one batch;
        a beam that has said EOS goes on with PAD at no cost. Returns the best sequence of each
        source and its log-probability."""
        B = src.size(0)
        src_pad = (src == PAD).repeat_interleave(k, dim=0)
        memory = model.encode(src).repeat_interleave(k, dim=0)          # (B·k, S, d)
        ys = torch.full((B * k, 1), BOS, dtype=torch.long)
        scores = torch.zeros(B, k)
        scores[:, 1:] = float("-inf")          # one live beam to start from, not k copies
        finished = torch.zeros(B, k, dtype=torch.bool)
        for _ in range(max_len):
            logp = F.log_softmax(model.decode(ys, memory, src_pad)[:, -1], dim=-1)
            V = logp.size(-1)
            logp = logp.view(B, k, V)
            only_pad = torch.full((V,), float("-inf"))
            only_pad[PAD] = 0.0
            logp = torch.where(finished.unsqueeze(-1), only_pad, logp)
            scores, flat = (scores.unsqueeze(-1) + logp).view(B, k * V).topk(k, dim=-1)
            beam, token = flat // V, flat % V
            ys = ys.view(B, k, -1)
            ys = ys.gather(1, beam.unsqueeze(-1).expand(-1, -1, ys.size(-1)))
            finished = finished.gather(1, beam) | (token == EOS)
            ys = torch.cat([ys, token.unsqueeze(-1)], dim=-1).view(B * k, -1)
            if finished.all():
                break
        return ys.view(B, k, -1)[:, 0], scores[:, 0]

    class EncoderRNN(nn.Module):
        def __init__(self, input_size, hidden_size, dropout_p=0.1):
            super().__init__()
            self.embedding = nn.Embedding(input_size, hidden_size, padding_idx=PAD)
            self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, src, lengths):
            embedded = self.dropout(self.embedding(src))
            packed = rnn.pack_padded_sequence(embedded, lengths, batch_first=True,
                                              enforce_sorted=False)
            output, hidden = self.gru(packed)
            output, _ = rnn.pad_packed_sequence(output, batch_first=True,
                                                total_length=src.size(1))
            return output, hidden

    class BahdanauAttention(nn.Module):
        def __init__(self, hidden_size):
            super().__init__()
            self.Wa = nn.Linear(hidden_size, hidden_size)
            self.Ua = nn.Linear(hidden_size, hidden_size)
            self.Va = nn.Linear(hidden_size, 1)

        def forward(self, query, keys, pad_mask):
            scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
            scores = scores.squeeze(2).unsqueeze(1)
            scores = scores.masked_fill(pad_mask.unsqueeze(1), float("-inf"))
            weights = F.softmax(scores, dim=-1)
            context = torch.bmm(weights, keys)
            return context, weights

    class AttnDecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size, dropout_p=0.1):
            super().__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attention = BahdanauAttention(hidden_size)
            self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
            self.out = nn.Linear(hidden_size, output_size)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, encoder_outputs, encoder_hidden, pad_mask, steps, target=None):
            batch_size = encoder_outputs.size(0)
            decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(BOS)
            decoder_hidden = encoder_hidden
            decoder_outputs, attentions = [], []
            for i in range(steps):
                output, decoder_hidden, weights = self.forward_step(
                    decoder_input, decoder_hidden, encoder_outputs, pad_mask)
                decoder_outputs.append(output)
                attentions.append(weights)
                if target is not None:
                    decoder_input = target[:, i].unsqueeze(1)          # teacher forcing
                else:
                    _, topi = output.topk(1)
                    decoder_input = topi.squeeze(-1).detach()
            decoder_outputs = F.log_softmax(torch.cat(decoder_outputs, dim=1), dim=-1)
            return decoder_outputs, decoder_hidden, torch.cat(attentions, dim=1)

        def forward_step(self, input, hidden, encoder_outputs, pad_mask):
            embedded = self.dropout(self.embedding(input))
            query = hidden.permute(1, 0, 2)
            context, weights = self.attention(query, encoder_outputs, pad_mask)
            output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
            return self.out(output), hidden, weights

    def gru_loss(encoder, decoder, src, lengths, tgt, teacher_forcing=True):
        """NLLLoss of the decoder's log-probabilities for tgt (BOS left out), PAD ignored."""
        encoder_outputs, encoder_hidden = encoder(src, lengths)
        target = tgt[:, 1:]
        log_probs, _, attentions = decoder(encoder_outputs, encoder_hidden, src == PAD,
                                           target.size(1),
                                           target if teacher_forcing else None)
        loss = nn.NLLLoss(ignore_index=PAD)(log_probs.reshape(-1, log_probs.size(-1)),
                                            target.reshape(-1))
        return loss, log_probs, attentions

    class PatchEmbed(nn.Module):
        """Non-overlapping patch × patch squares to dim features: a Conv2d with
        stride = kernel_size, or the same weights applied to unfold's patches."""

        def __init__(self, patch, dim, in_chans=1, unfold=False):
            super().__init__()
            self.patch, self.unfold = patch, unfold
            self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)

        def forward(self, x):
            if not self.unfold:
                return self.proj(x).flatten(2).transpose(1, 2)        # (B, patches, dim)
            B, C, H, W = x.shape
            p = self.patch
            patches = x.unfold(2, p, p).unfold(3, p, p)               # (B, C, H/p, W/p, p, p)
            patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(B, -1, C * p * p)
            weight = self.proj.weight.reshape(self.proj.out_channels, -1)
            return F.linear(patches, weight, self.proj.bias)

    class ViT(nn.Module):
        def __init__(self, img=8, patch=2, dim=32, depth=1, heads=2, mlp=64, classes=4,
                     dropout=0.1, unfold=False):
            super().__init__()
            self.patch_embed = PatchEmbed(patch, dim, unfold=unfold)
            num_patches = (img // patch) ** 2
            self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
            self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, dim))
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
            nn.init.trunc_normal_(self.cls_token, std=0.02)
            self.pos_drop = nn.Dropout(dropout)
            layer = nn.TransformerEncoderLayer(dim, heads, mlp, dropout, activation="gelu",
                                               batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, classes)

        def forward(self, x):
            x = self.patch_embed(x)
            cls = self.cls_token.expand(x.shape[0], -1, -1)
            x = self.pos_drop(torch.cat((cls, x), dim=1) + self.pos_embed)
            return self.head(self.norm(self.encoder(x)[:, 0]))

    def warmup_cosine(warmup, total):
        """LambdaLR's factor: linear warm-up over `warmup` steps, then half a cosine to 0."""
        def factor(step):
            if step < warmup:
                return (step + 1) / warmup
            progress = min(1.0, (step - warmup) / max(1, total - warmup))
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return factor

    def vit_optimizer(model, optim, lr, total, warmup=10):
        """AdamW without weight decay on biases, norms, the class token and the positions."""
        decay, no_decay = [], []
        for name, p in model.named_parameters():
            skip = p.ndim < 2 or name in ("cls_token", "pos_embed")
            (no_decay if skip else decay).append(p)
        optimizer = optim.AdamW([{"params": decay, "weight_decay": 0.05},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=lr)
        return optimizer, optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(warmup, total))

    def vit_step(model, optimizer, scheduler, X, y):
        loss = nn.CrossEntropyLoss(label_smoothing=0.1)(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step()
        return loss, norm

    return dict(Seq2SeqTransformer=Seq2SeqTransformer, transformer_step=transformer_step,
                greedy_decode=greedy_decode, beam_search=beam_search, EncoderRNN=EncoderRNN,
                AttnDecoderRNN=AttnDecoderRNN, gru_loss=gru_loss, ViT=ViT,
                warmup_cosine=warmup_cosine, vit_optimizer=vit_optimizer, vit_step=vit_step)


OURS = _course(autograd, nn, F, rnn_utils)


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """numpy's BLAS on one thread while these small models train (see test_diffusion.py): on
    this suite's busy 2-core machine a second, spinning thread made a ViT step of 40 ms take
    up to 250 ms. The numbers do not depend on it beyond the last bits."""
    before = autograd.get_num_threads()
    autograd.set_num_threads(1)
    yield
    autograd.set_num_threads(before)


# ----------------------------------------------------------------------------------------------
# Data: digit strings to reverse, and 8x8 images of four kinds of stripe
# ----------------------------------------------------------------------------------------------

def _reversal_batch(rng, n, maxlen=4):
    """Sources (n, maxlen) of 1..maxlen digits then PAD, their lengths, and targets
    (n, maxlen + 2): BOS, the digits reversed, EOS, PAD."""
    lengths = rng.integers(1, maxlen + 1, n)
    src = np.full((n, maxlen), PAD, np.int64)
    tgt = np.full((n, maxlen + 2), PAD, np.int64)
    for i, length in enumerate(lengths):
        digits = rng.integers(3, VOCAB, length)
        src[i, :length] = digits
        tgt[i, 0], tgt[i, 1:length + 1], tgt[i, length + 1] = BOS, digits[::-1], EOS
    return src, lengths, tgt


def _until_eos(tokens) -> list:
    """A decoded row up to and with its first EOS (BOS left out)."""
    row = tokens.tolist()[1:]
    return row[:row.index(EOS) + 1] if EOS in row else row


def _stripes(rng, n):
    """Noisy 8x8 images, one bright row (class 0), column (1), diagonal (2) or anti-diagonal
    (3) each."""
    y = rng.integers(0, 4, n)
    X = 0.3 * rng.standard_normal((n, 1, 8, 8))
    diagonal = np.arange(8)
    for i, c in enumerate(y):
        r = rng.integers(0, 8)
        if c == 0:
            X[i, 0, r, :] += 1.0
        elif c == 1:
            X[i, 0, :, r] += 1.0
        elif c == 2:
            X[i, 0, diagonal, diagonal] += 1.0
        else:
            X[i, 0, diagonal, 7 - diagonal] += 1.0
    return X.astype(np.float32), y


def _to_torch(model) -> dict:
    """Our state dict as PyTorch tensors (copies)."""
    return {k: torch.as_tensor(np.array(v.numpy())) for k, v in model.state_dict().items()}


def _assert_same_grads(ours, theirs, rtol, atol_share):
    """Every parameter's gradient is PyTorch's, matched by name (atol: that share of the
    model's largest entry: a gradient that is 0 in exact arithmetic, such as that of
    Bahdanau's Va.bias, a constant every score shares, is rounding noise in both)."""
    torch_params = dict(theirs.named_parameters())
    assert set(torch_params) == {name for name, _ in ours.named_parameters()}
    largest = max(float(p.grad.abs().max()) for p in torch_params.values())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), rtol=rtol,
                                   atol=atol_share * largest, err_msg=name)


# ----------------------------------------------------------------------------------------------
# nn.Transformer: reversing digit strings, greedy and beam-search decoding
# ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reverser():
    """The tutorial's model (d_model 32, one layer each side) trained 200 steps on batches of
    32 reversals, warm-up then cosine."""
    autograd.manual_seed(0)
    model = OURS["Seq2SeqTransformer"](VOCAB, dropout=0.0)
    optimizer = nn.optim.Adam(model.parameters(), lr=5e-3, betas=(0.9, 0.98), eps=1e-9)
    steps = 200
    scheduler = nn.optim.lr_scheduler.LambdaLR(optimizer, OURS["warmup_cosine"](20, steps))
    criterion = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.1)
    rng = np.random.default_rng(0)
    losses = []
    model.train()
    for _ in range(steps):
        src, _, tgt = _reversal_batch(rng, 32)
        loss, _ = OURS["transformer_step"](model, optimizer, scheduler, criterion,
                                           autograd.tensor(src), autograd.tensor(tgt))
        losses.append(loss.item())
    model.eval()
    return model, losses


def test_the_transformer_learns_to_reverse_and_decodes_greedily(reverser):
    """The label-smoothed loss falls from ~2.4 towards its floor (0.50: the entropy of the
    smoothed targets), and greedy decoding reverses unseen strings."""
    model, losses = reverser
    smoothed = np.full(VOCAB, 0.1 / VOCAB)
    smoothed[0] += 0.9
    floor = -(smoothed * np.log(smoothed)).sum()
    assert losses[0] > 2.0 and np.mean(losses[-20:]) < floor + 0.25, losses[-20:]
    src, lengths, tgt = _reversal_batch(np.random.default_rng(99), 100)
    ys = OURS["greedy_decode"](model, autograd.tensor(src), max_len=6)
    assert ys.shape == (100, 7) and ys.dtype == np.int64
    right = [_until_eos(ys[i]) == _until_eos(tgt[i]) for i in range(100)]
    assert np.mean(right) >= 0.85, np.mean(right)


def test_beam_search_keeps_the_best_beams_with_their_log_probabilities(reverser):
    """Width 1 is greedy decoding; width 3 reverses unseen strings, and each answer's score is
    the sum of the log-probabilities a teacher-forced pass gives its tokens (gathered)."""
    model, _ = reverser
    src, _, tgt = _reversal_batch(np.random.default_rng(98), 100)
    src_t = autograd.tensor(src)
    greedy = OURS["greedy_decode"](model, src_t, max_len=6)
    one, _ = OURS["beam_search"](model, src_t, k=1, max_len=6)
    assert [_until_eos(r) for r in one] == [_until_eos(r) for r in greedy]
    best, scores = OURS["beam_search"](model, src_t, k=3, max_len=6)
    right = [_until_eos(best[i]) == _until_eos(tgt[i]) for i in range(100)]
    assert np.mean(right) >= 0.8, np.mean(right)
    with autograd.no_grad():
        logp = F.log_softmax(model(src_t, best[:, :-1]), dim=-1)
        picked = logp.gather(-1, best[:, 1:].unsqueeze(-1)).squeeze(-1)
    counted = np.cumsum(best[:, :-1].numpy() == EOS, axis=1) == 0      # up to the first EOS
    np.testing.assert_allclose((picked.numpy() * counted).sum(1), scores.numpy(), rtol=1e-4,
                               atol=1e-4)
    assert np.all(scores.numpy() <= 0) and np.all(np.isfinite(scores.numpy()))


# (PyTorch's own warnings: about its float causal mask beside bool padding masks, which is the
# tutorial's code, and about the nested tensors of its evaluation fast path)
@needs_torch
@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning")
@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors:UserWarning")
def test_a_transformer_training_step_is_pytorchs():
    """PyTorch's initial weights loaded into ours (its state dict as it is), float64 in both:
    the label-smoothed loss, every gradient, the clipped norm and the Adam step are PyTorch's;
    then both decode the same tokens, greedily."""
    theirs = _course(torch, torch.nn, torch.nn.functional, torch.nn.utils.rnn)
    torch.manual_seed(0)
    twin = theirs["Seq2SeqTransformer"](VOCAB, d_model=8, nhead=2, layers=2, ff=16,
                                        dropout=0.0).double()
    model = OURS["Seq2SeqTransformer"](VOCAB, d_model=8, nhead=2, layers=2, ff=16,
                                       dropout=0.0).double()
    assert not model.load_state_dict(twin.state_dict()).missing_keys
    src, _, tgt = _reversal_batch(np.random.default_rng(1), 6)
    results = []
    for lib, course, net, optim in ((autograd, OURS, model, nn.optim),
                                    (torch, theirs, twin, torch.optim)):
        optimizer = optim.Adam(net.parameters(), lr=1e-2, betas=(0.9, 0.98), eps=1e-9)
        scheduler = optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 4))
        criterion = (nn if lib is autograd else torch.nn).CrossEntropyLoss(
            ignore_index=PAD, label_smoothing=0.1)
        loss, norm = course["transformer_step"](net, optimizer, scheduler, criterion,
                                                lib.tensor(src), lib.tensor(tgt))
        net.eval()
        decoded = course["greedy_decode"](net, lib.tensor(src), max_len=6)
        results.append((loss.item(), float(norm), np.asarray(decoded.tolist())))
    (loss, norm, ours_decoded), (torch_loss, torch_norm, torch_decoded) = results
    assert norm > 1.0           # so clipping scaled the step
    np.testing.assert_allclose([loss, norm], [torch_loss, torch_norm], rtol=1e-12)
    _assert_same_grads(model, twin, rtol=1e-9, atol_share=1e-12)
    # (the steps are 2.5e-3; the keys' bias, on which the scores do not depend, has gradients
    # of rounding noise, ~1e-18, which Adam's eps = 1e-9 turns into steps of ~1e-11)
    torch_params = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.data, torch_params[name].detach().numpy(), rtol=0,
                                   atol=1e-10, err_msg=name)
    np.testing.assert_array_equal(ours_decoded, torch_decoded)


# ----------------------------------------------------------------------------------------------
# A GRU encoder-decoder with Bahdanau attention
# ----------------------------------------------------------------------------------------------

def test_the_attention_gru_learns_to_reverse_and_never_attends_to_padding():
    """150 teacher-forced steps; then, feeding its own outputs back (topk), it reverses unseen
    strings, and its attention weights sum to 1 over the source's real positions, 0 on the
    padded ones. (Where it looks is not asserted: with strings of up to 4 digits the GRU's
    state can carry them, and from other seeds it learnt to reverse with weights that pointed
    at the digit being written only 50-65 % of the time.)"""
    autograd.manual_seed(0)
    encoder, decoder = OURS["EncoderRNN"](VOCAB, 32), OURS["AttnDecoderRNN"](32, VOCAB)
    encoder_optimizer = nn.optim.Adam(encoder.parameters(), lr=5e-3)
    decoder_optimizer = nn.optim.Adam(decoder.parameters(), lr=5e-3)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(150):
        src, lengths, tgt = _reversal_batch(rng, 32)
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        loss, _, _ = OURS["gru_loss"](encoder, decoder, autograd.tensor(src),
                                      autograd.tensor(lengths), autograd.tensor(tgt))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 2.0 and np.mean(losses[-10:]) < 0.3, losses[-10:]
    encoder.eval()
    decoder.eval()
    src, lengths, tgt = _reversal_batch(np.random.default_rng(99), 100)
    with autograd.no_grad():
        _, log_probs, attentions = OURS["gru_loss"](
            encoder, decoder, autograd.tensor(src), autograd.tensor(lengths),
            autograd.tensor(tgt), teacher_forcing=False)
    predicted = log_probs.argmax(-1).numpy()
    right = [predicted[i, :n + 1].tolist() == tgt[i, 1:n + 2].tolist()
             for i, n in enumerate(lengths)]
    assert np.mean(right) >= 0.8, np.mean(right)
    weights = attentions.numpy()                                  # (N, steps, source)
    assert weights.shape == (100, 5, 4)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    padded = src[:, None, :].repeat(5, 1) == PAD
    assert np.all(weights[padded] == 0.0) and np.all(weights[~padded] > 0.0)


@needs_torch
def test_an_attention_gru_step_is_pytorchs():
    """Our weights loaded into PyTorch's twin: with teacher forcing the loss, the attention
    weights and every gradient (through the packed GRU, masked_fill, softmax and bmm) are
    PyTorch's in float32; feeding back its own outputs, each picks the same tokens."""
    theirs = _course(torch, torch.nn, torch.nn.functional, torch.nn.utils.rnn)
    autograd.manual_seed(0)
    encoder, decoder = OURS["EncoderRNN"](VOCAB, 16), OURS["AttnDecoderRNN"](16, VOCAB)
    twin_encoder, twin_decoder = theirs["EncoderRNN"](VOCAB, 16), theirs["AttnDecoderRNN"](
        16, VOCAB)
    twin_encoder.load_state_dict(_to_torch(encoder))
    twin_decoder.load_state_dict(_to_torch(decoder))
    for module in (encoder, decoder, twin_encoder, twin_decoder):
        module.eval()                                  # dropout's draws differ
    src, lengths, tgt = _reversal_batch(np.random.default_rng(2), 8)
    out = []
    for lib, course, enc, dec in ((autograd, OURS, encoder, decoder),
                                  (torch, theirs, twin_encoder, twin_decoder)):
        loss, _, attentions = course["gru_loss"](enc, dec, lib.tensor(src),
                                                 lib.tensor(lengths), lib.tensor(tgt))
        loss.backward()
        with lib.no_grad():
            _, free, _ = course["gru_loss"](enc, dec, lib.tensor(src), lib.tensor(lengths),
                                            lib.tensor(tgt), teacher_forcing=False)
        out.append((loss.item(), attentions.detach().numpy(), free.argmax(-1).numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-6)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(out[0][2], out[1][2])
    _assert_same_grads(encoder, twin_encoder, rtol=1e-4, atol_share=1e-6)
    _assert_same_grads(decoder, twin_decoder, rtol=1e-4, atol_share=1e-6)


def test_the_attention_gru_gradients_are_central_differences():
    """Float64, a batch of 2 with one string padded: every parameter of the packed encoder and
    the attention decoder (masked softmax over the padded key included)."""
    autograd.manual_seed(1)
    encoder = OURS["EncoderRNN"](5, 3, dropout_p=0.0).double()
    decoder = OURS["AttnDecoderRNN"](3, 5, dropout_p=0.0).double()
    src = autograd.tensor([[3, 4, 3], [4, PAD, PAD]])
    lengths = autograd.tensor([3, 1])
    tgt = autograd.tensor([[BOS, 3, 4, 3, EOS], [BOS, 4, EOS, PAD, PAD]])
    named = [("encoder." + n, p) for n, p in encoder.named_parameters()]
    named += [("decoder." + n, p) for n, p in decoder.named_parameters()]
    assert gradcheck_parameters(lambda: OURS["gru_loss"](encoder, decoder, src, lengths,
                                                         tgt)[0], named, eps=1e-6)


def test_the_transformer_gradients_are_central_differences():
    """Float64, label smoothing and PAD ignored, padded source and target: the source
    embedding (through the encoder, the memory's padding mask and cross-attention), the
    cross-attention's projections and the generator."""
    autograd.manual_seed(2)
    model = OURS["Seq2SeqTransformer"](6, d_model=4, nhead=2, layers=1, ff=8,
                                       dropout=0.0).double()
    src = autograd.tensor([[3, 4, 5], [5, PAD, PAD]])
    tgt = autograd.tensor([[BOS, 5, 4, 3], [BOS, 5, EOS, PAD]])
    criterion = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.2)
    params = dict(model.named_parameters())
    checked = ["src_tok.weight", "transformer.decoder.layers.0.multihead_attn.in_proj_weight",
               "transformer.decoder.layers.0.multihead_attn.out_proj.bias",
               "generator.bias"]

    def cost():
        logits = model(src, tgt[:, :-1])
        return criterion(logits.reshape(-1, 6), tgt[:, 1:].reshape(-1))

    assert gradcheck_parameters(cost, [(n, params[n]) for n in checked], eps=1e-6)


# ----------------------------------------------------------------------------------------------
# A tiny vision transformer
# ----------------------------------------------------------------------------------------------

def test_a_tiny_vit_learns_the_stripes():
    """100 steps of AdamW (warm-up, cosine to 0, clipping) with dropout; in eval mode it tells
    the four kinds of stripe apart on new images, and the schedule has ended at 0."""
    autograd.manual_seed(0)
    model = OURS["ViT"](dim=32, depth=1, heads=2, mlp=64)
    steps = 100
    optimizer, scheduler = OURS["vit_optimizer"](model, nn.optim, lr=5e-3, total=steps)
    rng = np.random.default_rng(0)
    losses = []
    model.train()
    for _ in range(steps):
        X, y = _stripes(rng, 32)
        loss, _ = OURS["vit_step"](model, optimizer, scheduler, autograd.tensor(X),
                                   autograd.tensor(y))
        losses.append(loss.item())
    assert scheduler.get_last_lr() == [0.0, 0.0]
    assert losses[0] > 1.2 and np.mean(losses[-10:]) < 0.6, losses[-10:]   # floor: 0.35
    model.eval()
    X, y = _stripes(np.random.default_rng(99), 400)
    with autograd.no_grad():
        accuracy = (model(autograd.tensor(X)).argmax(1).numpy() == y).mean()
    assert accuracy >= 0.95, accuracy


def test_patches_by_unfold_are_the_strided_convolution():
    """unfold(2, p, p).unfold(3, p, p), permuted and reshaped, then F.linear with the conv's
    weight flattened: the same patch embeddings, and the same gradients for the weight."""
    autograd.manual_seed(3)
    conv_vit = OURS["ViT"](dim=8, depth=1, dropout=0.0).double()
    unfold_vit = OURS["ViT"](dim=8, depth=1, dropout=0.0, unfold=True).double()
    unfold_vit.load_state_dict(conv_vit.state_dict())
    X = autograd.tensor(np.random.default_rng(4).standard_normal((3, 1, 8, 8)))
    a, b = conv_vit.patch_embed(X), unfold_vit.patch_embed(X)
    assert a.shape == b.shape == (3, 16, 8)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)
    for model in (conv_vit, unfold_vit):
        model(X).sum().backward()
    for (name, p), (_, q) in zip(conv_vit.named_parameters(), unfold_vit.named_parameters()):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-10, atol=1e-13, err_msg=name)


@needs_torch
@pytest.mark.parametrize("unfold", [False, True])
def test_vit_training_steps_are_pytorchs(unfold):
    """Our weights loaded into PyTorch's twin, float64, dropout off: three steps of AdamW
    (two parameter groups), warm-up-cosine LambdaLR and clip_grad_norm_ give PyTorch's losses,
    norms, learning rates, first gradients and final weights; and the float32 model's loss and
    gradients are PyTorch's too."""
    theirs = _course(torch, torch.nn, torch.nn.functional, torch.nn.utils.rnn)
    autograd.manual_seed(5)
    model = OURS["ViT"](dim=8, depth=2, heads=2, mlp=16, dropout=0.0, unfold=unfold)
    twin = theirs["ViT"](dim=8, depth=2, heads=2, mlp=16, dropout=0.0, unfold=unfold)
    twin.load_state_dict(_to_torch(model))
    X, y = _stripes(np.random.default_rng(6), 16)
    for lib, net in ((autograd, model), (torch, twin)):      # float32: loss and gradients
        nn_lib = nn if lib is autograd else torch.nn
        nn_lib.CrossEntropyLoss(label_smoothing=0.1)(net(lib.tensor(X)), lib.tensor(y)) \
            .backward()
    _assert_same_grads(model, twin, rtol=1e-4, atol_share=1e-5)
    model.double()
    twin.double()
    runs = []
    for lib, course, net, optim in ((autograd, OURS, model, nn.optim),
                                    (torch, theirs, twin, torch.optim)):
        optimizer, scheduler = course["vit_optimizer"](net, optim, lr=1e-2, total=6, warmup=2)
        record = []
        for step in range(3):
            loss, norm = course["vit_step"](net, optimizer, scheduler,
                                            lib.tensor(X.astype(np.float64)), lib.tensor(y))
            record.append((loss.item(), float(norm), *scheduler.get_last_lr()))
            if step == 0:
                grads = {n: np.array(p.grad if lib is autograd else p.grad.numpy())
                         for n, p in net.named_parameters()}
        runs.append((record, grads))
    (ours_record, ours_grads), (torch_record, torch_grads) = runs
    np.testing.assert_allclose(ours_record, torch_record, rtol=1e-10)
    assert ours_record[0][1] > 1.0                 # the clipping did scale the first step
    for name in ours_grads:
        np.testing.assert_allclose(ours_grads[name], torch_grads[name], rtol=1e-8,
                                   atol=1e-12 * np.abs(torch_grads[name]).max(), err_msg=name)
    torch_params = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.data, torch_params[name].detach().numpy(), rtol=0,
                                   atol=1e-10, err_msg=name)


def test_the_vit_gradients_are_central_differences():
    """Float64: the class token, the learned positions, the patch convolution and the first
    pre-norm layer's attention and GELU feed-forward weights."""
    autograd.manual_seed(7)
    model = OURS["ViT"](dim=4, depth=1, heads=2, mlp=8, dropout=0.0).double()
    X = autograd.tensor(np.random.default_rng(8).standard_normal((2, 1, 8, 8)))
    y = autograd.tensor([1, 3])
    params = dict(model.named_parameters())
    checked = ["cls_token", "pos_embed", "patch_embed.proj.weight",
               "encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.0.linear1.weight",
               "encoder.layers.0.norm1.weight"]
    assert gradcheck_parameters(
        lambda: F.cross_entropy(model(X), y, label_smoothing=0.1),
        [(n, params[n]) for n in checked], eps=1e-6)


# ----------------------------------------------------------------------------------------------
# What the trial's code met that is spelt otherwise here
# ----------------------------------------------------------------------------------------------

def test_pytorchs_division_with_a_rounding_mode_is_here():
    """Beam search's torch.div(flat, V, rounding_mode='floor') (older code: 'trunc'): once a
    hint (write //), now PyTorch's div (autograd/tensor_aliases.py), integers kept."""
    flat = autograd.tensor([7, 12, 29])
    assert autograd.div(flat, 10, rounding_mode="floor").tolist() == (flat // 10).tolist() \
        == [0, 1, 2]
    assert flat.div(10, rounding_mode="trunc").dtype == flat.dtype
    assert autograd.tensor([-7, 7]).div(5, rounding_mode="trunc").tolist() == [-1, 1]


def test_index_fill_and_the_assignment_it_stood_for_are_differentiable():
    """The Annotated Transformer's label smoothing writes true_dist.index_fill_(0, rows, 0.0):
    once a hint (true_dist[rows] = 0.0), now PyTorch's method; the assignment and t.index_fill's
    copy pass no gradient to the filled places."""
    t = autograd.zeros(3, 4)
    assert t.index_fill_(0, autograd.tensor([1]), 2.0) is t
    assert t.sum().item() == 8.0 and t[1].tolist() == [2.0] * 4
    x = autograd.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    u = x.clone()
    u[:, autograd.tensor([0, 2])] = 0.0
    (u * u).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data * np.array([0, 1, 0, 1]))
