"""The audio course's trial (benchmarks/audio.py), small: synthetic clips of four classes,
log-mel spectrograms through a hand-built mel filterbank, a 2-d CNN on them with SpecAugment
masking and a 1-d CNN on the waveforms, both far above chance on held-out clips; a denoiser
whose multi-resolution STFT loss falls."""

import numpy as np

import autograd
from autograd import Tensor
from benchmarks import audio


def test_mel_filterbank_and_log_mel_shapes():
    bank = audio.mel_filterbank(256, 40)
    assert bank.shape == (40, 129) and bank.min() >= 0 and np.allclose(bank.max(axis=1), 1,
                                                                       atol=0.35)
    peaks = bank.argmax(axis=1)
    assert np.all(np.diff(peaks) >= 0)                  # filters climb in frequency
    x, labels = audio.dataset(8, seed=0)
    assert x.shape == (8, audio.LENGTH) and x.dtype == np.float32
    assert sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2, 3, 3]
    images = audio.log_mel(autograd, Tensor(x), Tensor(bank))
    assert images.shape == (8, 1, 40, 1 + audio.LENGTH // 64)
    assert np.isfinite(images.data).all()


def test_spec_augment_masks_bands_and_stops_their_gradient():
    images = Tensor(np.random.default_rng(0).normal(size=(2, 1, 40, 63)), requires_grad=True)
    masked = audio.spec_augment(autograd, images, np.random.default_rng(1))
    changed = masked.data != images.data
    assert changed.any(axis=(2, 3)).all()               # every image has its bands
    masked.sum().backward()
    assert np.array_equal(images.grad == 0, changed)


def test_classifiers_beat_chance_on_held_out_clips():
    accuracy = audio.train_classifiers(train=128, test=64, epochs=6, lr=1e-2, log=lambda s: None)
    assert accuracy["log-mel 2-d CNN"] > 0.5, accuracy             # chance is 0.25
    assert accuracy["waveform 1-d CNN"] > 0.5, accuracy


def test_denoiser_lowers_the_multi_resolution_stft_loss():
    first, last = audio.train_denoiser(clips=3, steps=15, log=lambda s: None)
    assert last < 0.8 * first, (first, last)
