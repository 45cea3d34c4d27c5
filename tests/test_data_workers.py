"""DataLoader(..., num_workers=N): batches made in worker processes (nn/data/workers.py) are
those of num_workers=0, streams split by get_worker_info(), seeds, errors, dead and stuck
workers, shutdown without zombies."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time

import numpy as np
import pytest

import autograd
from autograd import Tensor
from nn.data import (
    DataLoader, IterableDataset, TensorDataset, WeightedRandomSampler, get_worker_info,
)

from data_workers_helpers import Rows, WhoMadeIt
from interrupt_helpers import python_s_own_sigint_handler  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def no_worker_left():
    """Every test leaves no worker process behind (active_children also reaps the dead)."""
    yield
    gc.collect()
    assert multiprocessing.active_children() == []


def _numbers(batches):
    """Batches of (x, y) Tensors as plain lists, to compare."""
    return [(xb.data.tolist(), yb.tolist()) for xb, yb in batches]


class _Slow(Rows):
    """Rows defined in the test module (fork needs nothing importable), with a __getitems__
    that reads a batch at once when asked."""

    def __init__(self, n=12, getitems=False):
        super().__init__(n)
        if getitems:
            self.__getitems__ = lambda indices: [("many", self[i]) for i in indices]


def test_batches_come_back_in_order_with_the_numbers_and_shuffles_of_num_workers_0():
    def epochs(options, **workers):
        loader = DataLoader(**options(), **workers)
        batches = [_numbers(loader) for _ in range(2)]
        return batches, loader.state_dict()

    for options in (lambda: dict(X=_Slow(23), batch_size=4, shuffle=True, seed=3),
                    lambda: dict(X=np.arange(46.0).reshape(23, 2), y=np.arange(23),
                                 batch_size=5, shuffle=True, drop_last=True,
                                 generator=autograd.Generator().manual_seed(1))):
        alone = epochs(options)
        assert alone == epochs(options, num_workers=2, persistent_workers=True,
                               prefetch_factor=1)
        assert alone[0][0] != alone[0][1]           # two shuffles


def test_samplers_unbatched_samples_getitems_and_nested_batches_cross_unchanged():
    def sampler():
        return WeightedRandomSampler(np.arange(12.0), 9, generator=np.random.default_rng(0))

    dicts = lambda samples: {"x": [s[0] for s in samples], "n": (len(samples), "text")}  # noqa
    for options in (dict(X=_Slow(), sampler=sampler(), batch_size=4),
                    dict(X=_Slow(), batch_size=None),
                    dict(X=_Slow(getitems=True), batch_size=5, collate_fn=lambda s: s),
                    dict(X=_Slow(), batch_size=5, collate_fn=dicts),
                    dict(X=TensorDataset(Tensor(np.ones((6, 2))), np.arange(6)), batch_size=4)):
        alone = repr(list(DataLoader(**options)))
        if "sampler" in options:
            options["sampler"] = sampler()
        assert repr(list(DataLoader(**options, num_workers=2))) == alone
    first = next(iter(DataLoader(_Slow(getitems=True), batch_size=2, collate_fn=lambda s: s,
                                 num_workers=1)))
    assert [tag for tag, _ in first] == ["many", "many"]


class _Range(IterableDataset):
    """The numbers below n; `split` makes each worker read its share (PyTorch's pattern)."""

    def __init__(self, n, split):
        self.n, self.split = n, split

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.split:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def test_a_stream_split_by_worker_id_gives_every_sample_once_and_unsplit_twice():
    loader = DataLoader(_Range(23, True), batch_size=4, num_workers=2, persistent_workers=True)
    split = [b.tolist() for b in loader]
    assert split[:3] == [[0, 2, 4, 6], [1, 3, 5, 7], [8, 10, 12, 14]]
    assert sorted(sum(split, [])) == list(range(23))
    assert [b.tolist() for b in loader] == split        # persistent: read again from the start
    del loader
    unsplit = [b.tolist() for b in DataLoader(_Range(5, False), batch_size=2, num_workers=2)]
    assert sorted(sum(unsplit, [])) == sorted(list(range(5)) * 2)


def test_worker_generators_differ_by_worker_and_epoch_and_replay_with_manual_seed():
    def draws():
        autograd.manual_seed(7)
        loader = DataLoader(WhoMadeIt(8), batch_size=2, num_workers=2)
        return [batch for _ in range(2) for batch in loader]    # two epochs: four workers

    first, again = draws(), draws()
    for batch in first + again:
        del batch["pid"]
    assert repr(first) == repr(again)
    ids = [b["id"].tolist() for b in first]
    assert ids == [[0, 0], [1, 1]] * 4
    seeds = {b["seed"].tolist()[0] for b in first}
    assert len(seeds) == 4                          # per worker and per epoch
    for key in ("autograd", "numpy"):
        values = [v for b in first for v in b[key].tolist()]
        assert len(set(values)) == len(values)


def test_worker_init_fn_is_called_in_each_worker_with_its_id():
    def init(worker_id):
        info = get_worker_info()
        info.dataset.offset = 100 * (worker_id + 1)

    class Offset(Rows):
        offset = 0

        def __getitem__(self, i):
            return self.offset + i

    batches = [b.tolist() for b in DataLoader(Offset(6), batch_size=2, num_workers=2,
                                              worker_init_fn=init)]
    assert batches == [[100, 101], [202, 203], [104, 105]]


class _Failing(Rows):
    def __getitem__(self, i):
        if i == 13:
            raise ValueError(f"cannot decode sample {i}")
        return super().__getitem__(i)


def test_an_error_in_a_worker_names_the_worker_and_the_sample_with_its_traceback():
    with pytest.raises(ValueError) as caught:
        list(DataLoader(_Failing(20), batch_size=4, num_workers=2))
    message = str(caught.value)
    assert "DataLoader worker 1, reading sample 13 of the dataset: ValueError: cannot decode " \
           "sample 13" in message
    assert "The worker's traceback:" in message and "in __getitem__" in message

    def init(worker_id):
        raise OSError("no such file")

    with pytest.raises(OSError, match="worker 0, in worker_init_fn: OSError: no such file"):
        next(iter(DataLoader(Rows(4), num_workers=1, worker_init_fn=init)))


def test_a_worker_that_dies_is_an_error_not_a_hang():
    class Killed(Rows):
        def __getitem__(self, i):
            if i == 5:
                os.kill(os.getpid(), signal.SIGKILL)
            return super().__getitem__(i)

    loader = DataLoader(Killed(8), batch_size=2, num_workers=2)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"worker 0 \(pid \d+\) stopped unexpectedly \("
                                           r"killed by SIGKILL\) before it sent batch 2"):
        list(loader)
    assert time.monotonic() - started < 10


def test_timeout_is_an_error_naming_the_worker():
    class Stuck(Rows):
        def __getitem__(self, i):
            time.sleep(5 if i == 0 else 0)
            return i

    with pytest.raises(RuntimeError, match=r"timed out after 0.2 s waiting for batch 0 of "
                                           r"the epoch from worker 0"):
        next(iter(DataLoader(Stuck(4), batch_size=2, num_workers=1, timeout=0.2)))


def test_a_loop_left_early_and_ctrl_c_stop_the_workers(python_s_own_sigint_handler):
    loader = DataLoader(Rows(40), batch_size=2, num_workers=2)
    for _ in loader:
        break
    gc.collect()
    assert multiprocessing.active_children() == []

    class Slow(Rows):
        def __getitem__(self, i):
            time.sleep(0.05)
            return i

    timer = threading.Timer(0.3, signal.raise_signal, (signal.SIGINT,))
    timer.start()
    batches = iter(DataLoader(Slow(200), batch_size=2, num_workers=2))
    with pytest.raises(KeyboardInterrupt):
        for _ in batches:
            pass
    timer.join()
    assert multiprocessing.active_children() == []     # while the iterator is still held


def test_persistent_workers_stay_for_the_next_epoch_and_go_with_the_loader():
    loader = DataLoader(WhoMadeIt(4), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in loader:                    # an epoch left early: its batches are not the next's
        break
    pids = [b["pid"].tolist() for _ in range(2) for b in loader]
    assert pids[:2] == pids[2:] and len(multiprocessing.active_children()) == 2
    del loader


def test_two_loops_at_once_over_persistent_workers_each_get_their_batches():
    """Two loops over a loader with persistent workers at once (a batch looked at with
    next(iter(loader)) inside the training loop): each gets its whole epoch, as with
    num_workers=0. The later loop used to drop what the workers made for the earlier one,
    which then waited for it forever (here: until its timeout, with a wrong story about slow
    samples). A stream's workers read one pass at a time: that is refused, saying so."""
    expected = _numbers(DataLoader(Rows(12), batch_size=4))
    loader = DataLoader(Rows(12), batch_size=4, num_workers=2, persistent_workers=True,
                        timeout=3)
    older, later = iter(loader), iter(loader)
    assert _numbers([next(later)]) == expected[:1]
    assert _numbers(older) == expected
    assert _numbers(later) == expected[1:]
    assert _numbers(loader) == expected                 # the workers were kept
    stream = DataLoader(_Range(8, True), batch_size=2, num_workers=2, persistent_workers=True)
    running = iter(stream)
    with pytest.raises(RuntimeError, match="while an earlier loop over it is not over"):
        iter(stream)
    del running
    assert sorted(sum((b.tolist() for b in stream), [])) == list(range(8))
    del older, later, loader, stream


def test_tensors_come_back_as_constants_with_their_dtype():
    class Trainable(Rows):
        def __getitem__(self, i):
            return Tensor(np.full(2, i, np.float16), requires_grad=True), np.int8(i)

    xb, yb = next(iter(DataLoader(Trainable(4), batch_size=2, num_workers=1)))
    assert isinstance(xb, Tensor) and not xb.requires_grad and xb.dtype == np.float16
    assert yb.dtype == np.int8 and yb.tolist() == [0, 1]


def test_spawn_works_with_a_dataset_from_an_importable_module():
    options = dict(batch_size=5, shuffle=True, seed=0)
    spawned = DataLoader(Rows(12), num_workers=1, multiprocessing_context="spawn", **options)
    assert _numbers(spawned) == _numbers(DataLoader(Rows(12), **options))
    with pytest.raises(TypeError, match="'spawn' starts each worker as a new Python.*pickle"):
        list(DataLoader(Rows(4), num_workers=1, multiprocessing_context="spawn",
                        collate_fn=lambda samples: samples))


def test_worker_options_are_checked_where_given():
    for options, error, match in (
            (dict(num_workers=-1), ValueError, "num_workers must be an int >= 0, got -1"),
            (dict(num_workers=1, timeout=-1), ValueError, "timeout must be a number of seconds"),
            (dict(num_workers=1, multiprocessing_context="thread"), ValueError,
             "multiprocessing_context must be one of"),
            (dict(num_workers=1, worker_init_fn=3), TypeError, "worker_init_fn must be a "),
            (dict(worker_init_fn=print), TypeError, "num_workers=0 starts none"),
            (dict(num_workers=1, persistent_workers="yes"), TypeError, "persistent_workers")):
        with pytest.raises(error, match=match):
            DataLoader(Rows(4), **options)
