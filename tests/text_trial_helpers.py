"""What the text-classification and sequence-labelling trials share: two toy corpora made from
templates with a fixed seed, a hand-made vocabulary, and the course notebooks' models and data
pipeline, written once against a (torch, nn, F) triple, so the very same source runs on
glassgrad (`import autograd as torch; import nn; import nn.functional as F`) and on PyTorch.

Sentiment: "the movie was <adj>" with fillers around it; "was not <adj>" flips the label, so a
bag of words, which cannot see that "not" sits before the adjective, gets negated sentences
wrong. Tagging: determiners, adjectives, nouns, names, verbs; "saw" and "left" are verbs or
nouns / adjectives by their place, so tagging them needs the context.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

POSITIVE = ["good", "great", "wonderful", "brilliant", "fun", "charming", "superb", "moving",
            "clever", "lovely"]
NEGATIVE = ["bad", "awful", "boring", "dull", "terrible", "weak", "poor", "silly", "tedious",
            "bland"]
SUBJECTS = ["it", "the movie", "the film", "this picture", "the plot", "the acting",
            "the ending", "the script"]
FILLERS = ["really", "quite", "honestly", "i think", "overall", "to be fair", "in the end",
           "frankly"]


def review(rng: random.Random) -> tuple[list[str], int, bool]:
    """One sentence of 3-20 tokens, its label (1 positive) and whether it is negated."""
    negated, positive = rng.random() < 0.3, rng.random() < 0.5
    adjective = rng.choice(POSITIVE if positive else NEGATIVE)
    before = [w for _ in range(rng.choice([0, 0, 1, 2])) for w in rng.choice(FILLERS).split()]
    after = [w for _ in range(rng.choice([0, 0, 1, 2]))
             for w in ("and " + rng.choice(FILLERS)).split()]
    words = (before + rng.choice(SUBJECTS).split() + ["was"] + ["not"] * negated
             + [adjective] + after)
    return words[:20], int(positive != negated), negated


def sentiment_corpus(n: int, seed: int) -> list[tuple[list[str], int, bool]]:
    rng = random.Random(seed)
    return [review(rng) for _ in range(n)]


TAGS = ["DET", "NOUN", "VERB", "ADJ", "NAME", "PUNCT"]
_WORDS = {"DET": ["the", "a"], "ADJ": ["big", "small", "old", "red", "left"],
          "NOUN": ["cat", "dog", "man", "woman", "city", "car", "river", "house", "saw"],
          "VERB": ["saw", "liked", "visited", "painted", "left"],
          "NAME": ["alice", "bob", "paris", "london", "carol"]}
AMBIGUOUS = {"saw", "left"}


def tagged_sentence(rng: random.Random) -> tuple[list[str], list[int]]:
    def phrase() -> list[str]:
        if rng.random() < 0.35:
            return ["NAME"]
        return ["DET"] + ["ADJ"] * (rng.random() < 0.5) + ["NOUN"]

    tags = phrase() + ["VERB"] + phrase()
    if rng.random() < 0.5:
        tags += ["PUNCT"] + phrase() + ["VERB"] + phrase()
    words = [("and" if i < len(tags) else ".") if t == "PUNCT" else rng.choice(_WORDS[t])
             for i, t in enumerate(tags)]
    return words + ["."], [TAGS.index(t) for t in tags] + [TAGS.index("PUNCT")]


def tagging_corpus(n: int, seed: int) -> list[tuple[list[str], list[int]]]:
    rng = random.Random(seed)
    return [tagged_sentence(rng) for _ in range(n)]


def build_vocab(sentences: list[list[str]]) -> dict[str, int]:
    """`<pad>` 0, `<unk>` 1, then the words seen, most frequent first (ties alphabetical)."""
    counts = Counter(word for words in sentences for word in words)
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    return {word: i for i, word in enumerate(["<pad>", "<unk>"] + ranked)}


def build_pipeline(torch: Any, nn: Any, Dataset: type) -> dict[str, Any]:
    """Numericalising, the datasets and the collate functions, as a course notebook writes
    them (`torch.tensor(ids, dtype=torch.long)`, `pad_sequence(..., batch_first=True)`)."""
    pad_sequence = nn.utils.rnn.pad_sequence

    def numericalise(words, vocab):
        return torch.tensor([vocab.get(w, 1) for w in words], dtype=torch.long)

    class Reviews(Dataset):
        def __init__(self, examples, vocab):
            self.items = [(numericalise(words, vocab), label) for words, label, _ in examples]

        def __len__(self):
            return len(self.items)

        def __getitem__(self, i):
            return self.items[i]

    class Tagged(Dataset):
        def __init__(self, examples, vocab):
            self.items = [(numericalise(words, vocab), torch.tensor(tags, dtype=torch.long))
                          for words, tags in examples]

        def __len__(self):
            return len(self.items)

        def __getitem__(self, i):
            return self.items[i]

    def collate_padded(batch):
        sequences, labels = zip(*batch)
        lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
        ids = pad_sequence(list(sequences), batch_first=True, padding_value=0)
        return ids, lengths, torch.tensor(labels, dtype=torch.long)

    def collate_bag(batch):                 # one long sequence cut at offsets
        sequences, labels = zip(*batch)
        offsets = torch.tensor([0] + [len(s) for s in sequences[:-1]]).cumsum(dim=0)
        return torch.cat(sequences), offsets, torch.tensor(labels, dtype=torch.long)

    def collate_tags(batch):
        sequences, tags = zip(*batch)
        lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
        ids = pad_sequence(list(sequences), batch_first=True, padding_value=0)
        return ids, lengths, pad_sequence(list(tags), batch_first=True, padding_value=-100)

    return dict(numericalise=numericalise, Reviews=Reviews, Tagged=Tagged,
                collate_padded=collate_padded, collate_bag=collate_bag, collate_tags=collate_tags)


def build_models(torch: Any, nn: Any, F: Any) -> dict[str, type]:
    """The course's text models: a bag of embeddings, a BiLSTM, Kim's CNN, a Transformer
    encoder, a BiLSTM with attention pooling written by hand, and a BiLSTM tagger."""
    pack = nn.utils.rnn.pack_padded_sequence
    unpack = nn.utils.rnn.pad_packed_sequence

    class BagOfEmbeddings(nn.Module):
        def __init__(self, vocab_size, dim, classes):
            super().__init__()
            self.bag = nn.EmbeddingBag(vocab_size, dim, mode='mean')
            self.fc = nn.Linear(dim, classes)

        def forward(self, flat_ids, offsets):
            return self.fc(self.bag(flat_ids, offsets))

    class BiLSTMClassifier(nn.Module):
        def __init__(self, vocab_size, dim, hidden, classes, weights=None):
            super().__init__()
            if weights is None:
                self.emb = nn.Embedding(vocab_size, dim, padding_idx=0)
            else:
                self.emb = nn.Embedding.from_pretrained(weights, freeze=False)
            self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
            self.drop = nn.Dropout(0.2)
            self.fc = nn.Linear(2 * hidden, classes)

        def forward(self, ids, lengths):
            packed = pack(self.emb(ids), lengths, batch_first=True, enforce_sorted=False)
            _, (h, _) = self.lstm(packed)
            return self.fc(self.drop(torch.cat((h[-2], h[-1]), dim=1)))

    class TextCNN(nn.Module):
        def __init__(self, vocab_size, dim, filters, classes, kernel_sizes=(3, 4, 5)):
            super().__init__()
            self.emb = nn.Embedding(vocab_size, dim, padding_idx=0)
            self.convs = nn.ModuleList([nn.Conv1d(dim, filters, k) for k in kernel_sizes])
            self.drop = nn.Dropout(0.5)
            self.fc = nn.Linear(filters * len(kernel_sizes), classes)

        def forward(self, ids, lengths=None):
            x = self.emb(ids).permute(0, 2, 1)                     # (N, dim, T)
            pooled = [F.relu(conv(x)).max(dim=2).values for conv in self.convs]
            return self.fc(self.drop(torch.cat(pooled, dim=1)))

    class TransformerClassifier(nn.Module):
        def __init__(self, vocab_size, d_model, nhead, classes, max_len=32, layers=2):
            super().__init__()
            self.emb = nn.Embedding(vocab_size, d_model, padding_idx=0)
            self.pos = nn.Embedding(max_len, d_model)              # learned positions
            layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2 * d_model,
                                               dropout=0.1, batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=layers,
                                                 enable_nested_tensor=False)
            self.fc = nn.Linear(d_model, classes)

        def forward(self, ids, lengths=None):
            pad = ids == 0
            x = self.emb(ids) + self.pos(torch.arange(ids.shape[1]).unsqueeze(0))
            h = self.encoder(x, src_key_padding_mask=pad)
            keep = (~pad).unsqueeze(-1).float()                    # mean over real tokens
            return self.fc((h * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0))

    class AttentionPooling(nn.Module):
        def __init__(self, vocab_size, dim, hidden, classes):
            super().__init__()
            self.emb = nn.Embedding(vocab_size, dim, padding_idx=0)
            self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
            self.score = nn.Linear(2 * hidden, 1)
            self.fc = nn.Linear(2 * hidden, classes)

        def forward(self, ids, lengths):
            packed = pack(self.emb(ids), lengths, batch_first=True, enforce_sorted=False)
            h, _ = unpack(self.lstm(packed)[0], batch_first=True, total_length=ids.shape[1])
            scores = self.score(h).squeeze(-1).masked_fill(ids == 0, float('-inf'))
            alpha = F.softmax(scores, dim=1)
            return self.fc((alpha.unsqueeze(-1) * h).sum(dim=1))

    class BiLSTMTagger(nn.Module):
        def __init__(self, vocab_size, dim, hidden, tags):
            super().__init__()
            self.emb = nn.Embedding(vocab_size, dim, padding_idx=0)
            self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(2 * hidden, tags)

        def forward(self, ids, lengths):
            packed = pack(self.emb(ids), lengths, batch_first=True, enforce_sorted=False)
            h, _ = unpack(self.lstm(packed)[0], batch_first=True, total_length=ids.shape[1])
            return self.fc(h)                                      # (N, T, tags)

    return dict(bag=BagOfEmbeddings, bilstm=BiLSTMClassifier, cnn=TextCNN,
                transformer=TransformerClassifier, attention=AttentionPooling,
                tagger=BiLSTMTagger)


def warmup(steps: int):
    """LambdaLR's factor: a linear warm-up over `steps` steps, then 1."""
    return lambda step: min(1.0, (step + 1) / steps)


def train(torch: Any, nn: Any, F: Any, optim: Any, model: Any, loader: Any, epochs: int,
          classes: int, lr: float = 5e-3, warm: int = 10) -> Any:
    """The notebook's loop: zero_grad(set_to_none=True), cross-entropy (a tagger's scores
    flattened to (N·T, C), padding at -100 ignored), clipping, Adam, LambdaLR warm-up."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, warmup(warm))
    model.train()
    for _ in range(epochs):
        for a, b, y in loader:
            optimizer.zero_grad(set_to_none=True)
            logits = model(a, b)
            loss = F.cross_entropy(logits.reshape(-1, classes), y.reshape(-1),
                                   ignore_index=-100)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
    return model


def no_dropout(model: Any) -> Any:
    """Every dropout off (p = 0), so both engines compute the same numbers in train mode."""
    for module in model.modules():
        if type(module).__name__ == "Dropout":
            module.p = 0.0
        elif type(module).__name__ == "MultiheadAttention":
            module.dropout = 0.0            # (the attention weights' dropout: a number)
    return model
