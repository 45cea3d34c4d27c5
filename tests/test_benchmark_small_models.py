"""The small-models benchmark's two engines take the same training steps from the same weights
(so its table compares implementations of one computation), and its glassgrad models train:
the benchmark itself is not part of the suite."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import small_models as sm


def first_batches(name: str, count: int) -> list:
    workload = sm.WORKLOADS[name]
    x, y = sm.make_data(workload)
    return sm.make_batches(workload, x, y, count)


@pytest.mark.parametrize("name", list(sm.WORKLOADS))
def test_both_engines_take_the_same_first_steps(name):
    torch = pytest.importorskip("torch", reason="the PyTorch side needs torch (pip install torch)")
    torch.set_num_threads(1)
    workload = sm.WORKLOADS[name]
    weights = sm.init_weights(workload)
    ours, theirs = sm.Trainer("glassgrad", workload, weights), sm.Trainer("torch", workload, weights)
    for step, (x, y) in enumerate(first_batches(name, 3)):
        assert ours.step(x, y) == pytest.approx(theirs.step(x, y), rel=sm.LOSS_TOLERANCE), step


@pytest.mark.parametrize("name", list(sm.WORKLOADS))
def test_the_glassgrad_model_learns_one_batch(name):
    workload = sm.WORKLOADS[name]
    trainer = sm.Trainer("glassgrad", workload, sm.init_weights(workload))
    [(x, y)] = first_batches(name, 1)
    losses = [trainer.step(x, y) for _ in range(10)]   # one batch, again and again: it learns it
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


def test_a_worker_reports_its_steps_apart_from_the_first():
    result = sm.worker("tab", "glassgrad", steps=4)
    assert len(result["first_seconds"]) == sm.WARMUP and len(result["step_seconds"]) == 4
    assert len(result["first_losses"]) == sm.LOSSES_COMPARED


def test_unknown_workloads_and_bad_thread_counts_are_usage_errors(capsys):
    for argv in (["--only", "mlp,rnn"], ["--threads", "0"], ["--threads", "two"]):
        with pytest.raises(SystemExit) as stop:
            sm.parse_args(argv)
        assert stop.value.code == 2
    assert "rnn" in capsys.readouterr().err
    assert sm.parse_args(["--threads", "default"]).threads is None


def test_a_warm_allocator_is_asked_for_on_every_worker():
    args = sm.parse_args(["--warm-allocator", "--only", "tab"])
    assert args.warm_allocator and not sm.parse_args([]).warm_allocator
    result = sm.worker("tab", "glassgrad", steps=2, warm_allocator=True)
    assert len(result["step_seconds"]) == 2


def test_keeping_freed_memory_is_asked_for_by_its_option():
    """(The worker's call itself is not run here: it would change this process's allocator.)"""
    assert sm.parse_args(["--keep-freed-memory"]).keep_freed_memory
    assert not sm.parse_args([]).keep_freed_memory
