"""Reproducible runs: one `manual_seed` and a script gives the same numbers, bit for bit, every
time it runs (the README's "Reproducible runs"). Global state lives in a process, so the runs
that matter are compared in fresh processes."""

from __future__ import annotations

import json
import os
import pathlib
import random
import subprocess
import sys

import numpy as np

import autograd
import nn
from autograd import Generator, default_rng, manual_seed
from nn.data import DataLoader, make_moons

ROOT = pathlib.Path(__file__).resolve().parents[1]

# a learner's script: weights of several kinds of layer, dropout masks, the loader's shuffles,
# a split, a data set and a training run, each as a list of numbers
SCRIPT = """
import json, sys
import numpy as np
import autograd, nn
from nn.data import DataLoader, make_moons, random_split, train_test_split
if sys.argv[1] != "none":
    autograd.manual_seed(int(sys.argv[1]))
seen = {}
seen["linear"] = nn.Linear(3, 2).weight.data.ravel().tolist()
seen["conv"] = nn.Conv2d(1, 2, 3).weight.data.ravel()[:6].tolist()
seen["lstm"] = nn.LSTM(3, 2).parameters()[0].data.ravel()[:6].tolist()
seen["embedding"] = nn.Embedding(5, 2).weight.data.ravel().tolist()
seen["attention"] = nn.MultiheadAttention(4, 2).parameters()[0].data.ravel()[:6].tolist()
seen["dropout"] = nn.Dropout(0.5)(autograd.ones(64)).data.tolist()     # (two runs alike: 2^-64)
seen["randn"] = autograd.randn(4).data.tolist()
seen["loader"] = [b.data.tolist() for b in DataLoader(np.arange(32.0), batch_size=8, shuffle=True)]
seen["split"] = list(random_split(range(100), [90, 10])[1].indices)     # (8 in [6, 2]: 1 in 56)
X, y = make_moons(40, noise=0.1)
seen["moons"] = X[:3].ravel().tolist()
seen["tts"] = train_test_split(np.arange(40), y, test_size=5)[1].tolist()
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 2))
nn.fit(model, nn.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
       progress=False)
seen["fit"] = model.parameters()[0].data.ravel().tolist()
seen["unseeded Generator"] = autograd.Generator().random(3).tolist()
print(json.dumps(seen))
"""


def fresh_run(code: str, *args: str) -> dict:
    """What `code` prints (JSON) when run by a new Python process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=True)
    return json.loads(done.stdout)


def test_a_seeded_script_repeats_bit_for_bit_in_fresh_processes():
    first, again, other = fresh_run(SCRIPT, "0"), fresh_run(SCRIPT, "0"), fresh_run(SCRIPT, "1")
    assert first == again                        # floats through JSON: every bit compared
    for name in first:
        if name != "unseeded Generator":        # its own fixed start, whatever the seed
            assert first[name] != other[name], name


def test_without_a_seed_runs_differ_as_in_pytorch():
    first, again = fresh_run(SCRIPT, "none"), fresh_run(SCRIPT, "none")
    for name in first:
        if name != "unseeded Generator":
            assert first[name] != again[name], name


def test_an_unseeded_generator_starts_at_the_same_place_every_run():
    """`torch.Generator()` never seeded repeats its numbers run after run (a fixed initial
    seed); glassgrad's started from fresh entropy, so a ported script changed every run."""
    first, again = fresh_run(SCRIPT, "0"), fresh_run(SCRIPT, "1")
    assert first["unseeded Generator"] == again["unseeded Generator"]
    assert Generator().random() == Generator().random()         # and within one process


def test_manual_seed_reaches_a_default_rng_taken_before_it():
    """PyTorch reseeds its default generator in place; `manual_seed` made a new one, so a
    `default_rng()` kept from before (a loader's generator=) went on with the old stream."""
    kept = default_rng()
    manual_seed(0)
    first = default_rng().normal(size=4)
    kept.normal(size=10)
    manual_seed(0)
    assert default_rng() is kept
    np.testing.assert_array_equal(kept.normal(size=4), first)


def test_a_loader_given_the_shared_generator_replays_after_manual_seed():
    loader = DataLoader(np.arange(10.0), batch_size=10, shuffle=True,
                        generator=autograd.default_rng())
    manual_seed(3)
    first = next(iter(loader)).data
    manual_seed(3)
    np.testing.assert_array_equal(next(iter(loader)).data, first)


def test_glassgrad_leaves_numpys_and_pythons_global_generators_alone():
    """A library must not reseed or draw from the user's np.random or random streams: seeding,
    building, data, splitting and training all use glassgrad's own generator (nn.scalar, which
    draws from Python's random as micrograd does, is left out here)."""
    np.random.seed(11)
    random.seed(11)
    numpy_before, python_before = np.random.get_state(), random.getstate()
    manual_seed(0)
    X, y = make_moons(30, noise=0.1)
    model = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    nn.fit(model, nn.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), (X, y),
           epochs=1, progress=False)
    nn.fit(model, nn.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), (X, y),
           epochs=1, progress=False, seed=0)
    numpy_after = np.random.get_state()
    assert numpy_after[0] == numpy_before[0] and numpy_after[2:] == numpy_before[2:]
    np.testing.assert_array_equal(numpy_after[1], numpy_before[1])
    assert random.getstate() == python_before


def test_fit_with_a_seed_shuffles_alike_every_call_and_leaves_the_shared_stream():
    """fit(seed=0) shuffles with a generator of its own, made anew each call: two calls on
    equal models train alike, and (no dropout) the shared generator does not move."""
    X, y = make_moons(40, noise=0.1, seed=0)

    def trained() -> list:
        manual_seed(0)
        model = nn.MLP(2, [4], 2)
        before = autograd.random.get_state()
        nn.fit(model, nn.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1), (X, y),
               epochs=2, progress=False, seed=0)
        assert autograd.random.get_state() == before
        return [p.data.copy() for p in model.parameters()]

    for a, b in zip(trained(), trained()):
        np.testing.assert_array_equal(a, b)
