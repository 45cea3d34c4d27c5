"""An audio course's first week, written once for PyTorch and run on glassgrad too: synthetic
clips, log-mel spectrograms, a 1-d CNN on waveforms, a 2-d CNN on log-mels with SpecAugment,
and a denoiser trained with a multi-resolution STFT loss.

    python benchmarks/audio.py [--train] [--compare] [--time] [--steps 30] [--rounds 2]

Every function takes the engine as arguments (`torch`, `nn`, `F`: PyTorch's modules, or
`autograd`, glassgrad's `nn` and `nn.functional`), so the code is the same for both.

The data (numpy, seeded): 0.5 s clips at 8 kHz of four classes, each with random pitch,
level, onset and background noise:
    0  a harmonic tone (a fundamental in 150-600 Hz, 3-5 harmonics falling off)
    1  a linear chirp (sweeping up or down over 300-3000 Hz)
    2  noise bursts (2-4 short bursts of band-limited noise)
    3  a tone with vibrato and an amplitude envelope (a pitch wobbling by 3-8 %)
--train trains the two classifiers and the denoiser on glassgrad and prints held-out
accuracy and loss; --compare checks outputs and gradients against PyTorch from the same
weights; --time times a training step of the log-mel CNN and of the STFT-loss denoiser on
each engine (one thread, alternating, medians), see `time_steps`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RATE = 8000
LENGTH = RATE // 2
CLASSES = 4


# -- data ---------------------------------------------------------------------------------------

def clip(label: int, rng: np.random.Generator) -> np.ndarray:
    """One 0.5 s clip of class `label` (see the module's docstring), float32."""
    t = np.arange(LENGTH) / RATE
    if label == 0:
        f0 = rng.uniform(150, 600)
        y = sum(0.7 ** k * np.sin(2 * np.pi * f0 * (k + 1) * t + rng.uniform(0, 6.3))
                for k in range(rng.integers(3, 6)))
    elif label == 1:
        f_start, f_end = rng.uniform(300, 3000, size=2)
        phase = 2 * np.pi * (f_start * t + (f_end - f_start) * t ** 2 / (2 * t[-1]))
        y = np.sin(phase)
    elif label == 2:
        y = np.zeros(LENGTH)
        for _ in range(rng.integers(2, 5)):
            start, width = rng.integers(0, LENGTH - 800), rng.integers(200, 800)
            burst = np.convolve(rng.normal(size=width), np.ones(4) / 4, mode="same")
            y[start:start + width] += burst * np.hanning(width) * 2
    else:
        f0, depth, speed = rng.uniform(200, 800), rng.uniform(0.03, 0.08), rng.uniform(4, 9)
        pitch = f0 * (1 + depth * np.sin(2 * np.pi * speed * t))
        y = np.sin(2 * np.pi * np.cumsum(pitch) / RATE) * np.sin(np.pi * t / t[-1]) ** 2
    y = y / (np.abs(y).max() + 1e-9) * rng.uniform(0.3, 1.0)
    onset = rng.integers(0, LENGTH // 8)
    y = np.concatenate([np.zeros(onset), y[:LENGTH - onset]])
    return (y + rng.normal(scale=rng.uniform(0.01, 0.08), size=LENGTH)).astype(np.float32)


def dataset(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` clips (count, LENGTH) float32 and their labels (count,) int64, balanced."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % CLASSES
    rng.shuffle(labels)
    return np.stack([clip(int(k), rng) for k in labels]), labels.astype(np.int64)


def mel_filterbank(n_fft: int, n_mels: int, rate: int = RATE, low: float = 0.0,
                   high: float | None = None) -> np.ndarray:
    """Triangular filters (n_mels, n_fft//2 + 1), evenly spaced on the mel scale, built by
    hand: filter m rises from mel point m to m + 1 and falls to m + 2."""
    high = rate / 2 if high is None else high
    to_mel = lambda f: 2595 * np.log10(1 + f / 700)            # noqa: E731
    to_hz = lambda m: 700 * (10 ** (m / 2595) - 1)               # noqa: E731
    edges = to_hz(np.linspace(to_mel(low), to_mel(high), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1 / rate)
    rising = (bins[None] - edges[:-2, None]) / (edges[1:-1, None] - edges[:-2, None])
    falling = (edges[2:, None] - bins[None]) / (edges[2:, None] - edges[1:-1, None])
    return np.maximum(0, np.minimum(rising, falling)).astype(np.float32)


# -- the models, in either engine ------------------------------------------------------------

def log_mel(torch: Any, x: Any, bank: Any, n_fft: int = 256, hop: int = 64) -> Any:
    """(B, LENGTH) waveforms -> (B, 1, n_mels, frames) log-mel images."""
    window = torch.hann_window(n_fft, dtype=x.dtype)
    spectrum = torch.stft(x, n_fft, hop_length=hop, window=window, return_complex=True)
    power = spectrum.abs() ** 2                                   # (B, bins, frames)
    mel = bank @ power                                            # (B, n_mels, frames)
    return (mel + 1e-6).log().unsqueeze(1)


def spec_augment(torch: Any, images: Any, rng: np.random.Generator, width: int = 6) -> Any:
    """One random band of mel bins and one of frames per image set to the images' mean
    (masked_fill of a boolean mask), as SpecAugment does."""
    b, _, mels, frames = images.shape
    mask = np.zeros((b, 1, mels, frames), dtype=bool)
    for i in range(b):
        f0, t0 = rng.integers(0, mels - width), rng.integers(0, frames - 2 * width)
        mask[i, :, f0:f0 + width, :] = True
        mask[i, :, :, t0:t0 + 2 * width] = True
    return images.masked_fill(torch.from_numpy(mask), float(images.mean().item()))


def mel_cnn(nn: Any) -> Any:
    """A small 2-d CNN on (B, 1, 40, 63) log-mels."""
    return nn.Sequential(
        nn.BatchNorm2d(1),
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, CLASSES))


class WaveCNN:
    """A 1-d CNN on raw (B, 1, LENGTH) waveforms: strided convolutions, batch norm, max
    pooling, global average. Made by `wave_cnn(nn, F)` for either engine."""


def wave_cnn(nn: Any, F: Any) -> Any:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv1d(1, 16, 32, stride=8)
            self.bn1 = nn.BatchNorm1d(16)
            self.conv2 = nn.Conv1d(16, 32, 8, stride=2)
            self.bn2 = nn.BatchNorm1d(32)
            self.conv3 = nn.Conv1d(32, 32, 3)
            self.pool = nn.AdaptiveAvgPool1d(1)
            self.head = nn.Linear(32, CLASSES)

        def forward(self, x: Any) -> Any:
            x = F.max_pool1d(F.relu(self.bn1(self.conv1(x))), 2)
            x = F.max_pool1d(F.relu(self.bn2(self.conv2(x))), 2)
            x = F.relu(self.conv3(x))
            return self.head(self.pool(x).flatten(1))
    return Net()


def denoiser(nn: Any) -> Any:
    """A 1-d convolutional denoiser: (B, 1, L) noisy -> (B, 1, L) clean, residual."""
    return nn.Sequential(
        nn.Conv1d(1, 16, 9, padding=4), nn.Tanh(),
        nn.Conv1d(16, 16, 9, padding=4), nn.Tanh(),
        nn.Conv1d(16, 1, 9, padding=4))


def stft_loss(torch: Any, pred: Any, target: Any,
              resolutions: tuple = ((64, 16), (128, 32), (256, 64))) -> Any:
    """Multi-resolution STFT loss: at each (n_fft, hop), the spectral convergence
    ‖|S_t| - |S_p|‖ / ‖|S_t|‖ plus the mean log-magnitude distance."""
    total = 0
    for n_fft, hop in resolutions:
        window = torch.hann_window(n_fft, dtype=pred.dtype)
        sp = torch.stft(pred, n_fft, hop_length=hop, window=window, return_complex=True).abs()
        st = torch.stft(target, n_fft, hop_length=hop, window=window, return_complex=True).abs()
        convergence = ((st - sp) ** 2).sum().sqrt() / (st ** 2).sum().sqrt()
        magnitude = ((st + 1e-7).log() - (sp + 1e-7).log()).abs().mean()
        total = total + convergence + magnitude
    return total / len(resolutions)


# -- training on glassgrad ------------------------------------------------------------------------

def engines(name: str) -> tuple:
    if name == "torch":
        import torch
        return torch, torch.nn, torch.nn.functional
    import autograd
    import nn
    return autograd, nn, nn.functional


def accuracy(torch: Any, model: Any, inputs: Any, labels: np.ndarray) -> float:
    model.eval()
    with torch.no_grad():
        predicted = model(inputs).argmax(1).numpy()
    model.train()
    return float((predicted == labels).mean())


def train_classifiers(engine: str = "glassgrad", train: int = 320, test: int = 160,
                      epochs: int = 6, batch: int = 32, seed: int = 0, lr: float = 3e-3,
                      log: Any = print
                      ) -> dict:
    """Both classifiers trained on `train` clips, scored on `test` held-out ones."""
    torch, nn, F = engines(engine)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_train, y_train = dataset(train, seed + 1)
    x_test, y_test = dataset(test, seed + 2)
    bank = torch.from_numpy(mel_filterbank(256, 40))
    with torch.no_grad():
        mel_train = log_mel(torch, torch.from_numpy(x_train), bank)
        mel_test = log_mel(torch, torch.from_numpy(x_test), bank)
    results = {}
    for name, model, inputs, held_out in (
            ("log-mel 2-d CNN", mel_cnn(nn), mel_train, mel_test),
            ("waveform 1-d CNN", wave_cnn(nn, F), torch.from_numpy(x_train[:, None]),
             torch.from_numpy(x_test[:, None]))):
        optimizer = torch.optim.Adam(model.parameters(), lr=lr) if engine == "torch" else \
            nn.optim.Adam(model.parameters(), lr=lr)
        for epoch in range(epochs):
            order = rng.permutation(train)
            for start in range(0, train, batch):
                idx = order[start:start + batch]
                xb = inputs[torch.from_numpy(idx)] if engine == "torch" else inputs[idx]
                if name.startswith("log-mel"):
                    xb = spec_augment(torch, xb, rng)
                loss = F.cross_entropy(model(xb), torch.from_numpy(y_train[idx]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        results[name] = accuracy(torch, model, held_out, y_test)
        log(f"{name}: held-out accuracy {results[name]:.3f} (chance 0.25), last loss "
            f"{loss.item():.3f}")
    return results


def train_denoiser(engine: str = "glassgrad", clips: int = 32, steps: int = 60,
                   seed: int = 0, log: Any = print) -> tuple[float, float]:
    """The denoiser on noisy versions of clean clips; returns (first, last) STFT loss, and the
    SNR of the noisy and the denoised held-out clips."""
    torch, nn, F = engines(engine)
    torch.manual_seed(seed)
    clean, _ = dataset(clips, seed + 3)
    rng = np.random.default_rng(seed)
    noisy = clean + rng.normal(scale=0.15, size=clean.shape).astype(np.float32)
    model = denoiser(nn)
    optimizer = (torch.optim if engine == "torch" else nn.optim).Adam(model.parameters(),
                                                                      lr=2e-3)
    x, y = torch.from_numpy(noisy[:, None]), torch.from_numpy(clean)
    losses = []
    for step in range(steps):
        pred = (x + model(x))[:, 0]
        loss = stft_loss(torch, pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    log(f"denoiser: multi-resolution STFT loss {losses[0]:.3f} -> {losses[-1]:.3f} in "
        f"{steps} steps")
    return losses[0], losses[-1]


# -- against PyTorch, from the same weights ---------------------------------------------------

def compare(dtype: str = "float64") -> dict:
    """The log-mel CNN's and the STFT-loss denoiser's losses and parameter gradients on both
    engines, from PyTorch's initial weights copied into glassgrad's models (no SpecAugment:
    its masks are random). Returns the largest relative differences."""
    import torch
    import autograd
    import nn
    torch_dtype = getattr(torch, dtype)
    x_np, y_np = dataset(16, 7)
    x_np = x_np.astype(dtype)
    rng = np.random.default_rng(0)
    noisy = (x_np + rng.normal(scale=0.15, size=x_np.shape)).astype(dtype)
    bank = mel_filterbank(256, 40).astype(dtype)
    report = {}
    for name in ("log-mel CNN", "STFT-loss denoiser"):
        torch.manual_seed(0)
        theirs = (mel_cnn(torch.nn) if name == "log-mel CNN" else denoiser(torch.nn)).to(
            torch_dtype)
        ours = mel_cnn(nn) if name == "log-mel CNN" else denoiser(nn)
        ours.to(dtype)
        ours.load_state_dict(theirs.state_dict())
        losses, grads = [], []
        for lib, model, fn in ((torch, theirs, torch.nn.functional),
                               (autograd, ours, nn.functional)):
            if name == "log-mel CNN":
                images = log_mel(lib, lib.from_numpy(x_np), lib.from_numpy(bank))
                loss = fn.cross_entropy(model(images), lib.from_numpy(y_np))
            else:
                x = lib.from_numpy(noisy[:, None])
                loss = stft_loss(lib, (x + model(x))[:, 0], lib.from_numpy(x_np))
            loss.backward()
            losses.append(loss.item())
            grads.append([np.asarray(p.grad) if lib is autograd else p.grad.numpy()
                          for p in model.parameters()])
        report[name] = (abs(losses[0] - losses[1]) / abs(losses[0]),
                        max(np.abs(a - b).max() / (np.abs(a).max() + 1e-30)
                            for a, b in zip(*grads)))
    for name, (loss, grad) in report.items():
        print(f"{dtype} {name}: loss rel diff {loss:.1e}, gradient max rel diff {grad:.1e}")
    return report


# -- timing ---------------------------------------------------------------------------------------

def time_steps(engine: str, which: str, steps: int, seed: int = 0) -> list[float]:
    """Seconds per training step of one model, after 5 warm-up steps."""
    torch, nn, F = engines(engine)
    if engine == "torch":
        torch.set_num_threads(1)
    torch.manual_seed(seed)
    x_np, y_np = dataset(32, seed + 5)
    rng = np.random.default_rng(seed)
    if which == "logmel":
        model = mel_cnn(nn)
        bank = torch.from_numpy(mel_filterbank(256, 40))
    else:
        model = denoiser(nn)
        noisy = x_np + rng.normal(scale=0.15, size=x_np.shape).astype(np.float32)
    optimizer = (torch.optim if engine == "torch" else nn.optim).Adam(model.parameters(),
                                                                      lr=1e-3)
    times = []
    for step in range(steps + 5):
        start = time.perf_counter()
        if which == "logmel":
            images = spec_augment(torch, log_mel(torch, torch.from_numpy(x_np), bank), rng)
            loss = F.cross_entropy(model(images), torch.from_numpy(y_np))
        else:
            x = torch.from_numpy(noisy[:, None])
            loss = stft_loss(torch, (x + model(x))[:, 0], torch.from_numpy(x_np))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()
        times.append(time.perf_counter() - start)
    return times[5:]


def timing_table(steps: int, rounds: int) -> None:
    """Each (model, engine) in its own subprocess, the engines alternating, `rounds` times."""
    import json
    import subprocess
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    results: dict = {}
    for r in range(rounds):
        for which in ("logmel", "stftloss"):
            for engine in ("glassgrad", "torch"):
                code = (f"import json, benchmarks.audio as a; print(json.dumps("
                        f"a.time_steps({engine!r}, {which!r}, {steps})))")
                out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                     capture_output=True, text=True).stdout
                results.setdefault((which, engine), []).append(json.loads(out))
    print(f"{'model':10} {'engine':10} {'median ms':>10} {'q1-q3 ms':>14} "
          f"{'round medians ms':>20}")
    for (which, engine), runs in results.items():
        every = sorted(t * 1e3 for run in runs for t in run)
        q = statistics.quantiles(every, n=4)
        medians = " ".join(f"{statistics.median(run) * 1e3:.2f}" for run in runs)
        print(f"{which:10} {engine:10} {statistics.median(every):10.2f} "
              f"{q[0]:6.2f}-{q[2]:6.2f} {medians:>20}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--engine", default="glassgrad")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--time", action="store_true")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.train:
        start = time.perf_counter()
        train_classifiers(args.engine)
        train_denoiser(args.engine)
        print(f"({time.perf_counter() - start:.1f} s)")
    if args.compare:
        compare("float64")
        compare("float32")
    if args.time:
        timing_table(args.steps, args.rounds)


if __name__ == "__main__":
    main()
