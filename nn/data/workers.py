"""Worker processes for `DataLoader(..., num_workers=N)`: the batches of an epoch are made in
N other processes while the calling one trains on the batches made before, as with PyTorch's
loader. Worth it when reading a sample costs time (files read, decoded, augmented): not for
arrays in memory (`DataLoader(X, y)`, a `TensorDataset`), which the calling process gathers
faster than a worker can send them (see `DataLoader`).

For a dataset of samples (len() and dataset[i]) this process keeps the sampler, so the order,
the shuffles, `seed`, `generator=` and `state_dict()` are those of num_workers=0 and so are
the batches, number for number: the batches' lists of indices go to the workers in turn
(batch k to worker k % N), each worker reads its samples (`dataset.__getitems__(indices)` when
the dataset has one, else `dataset[i]` one by one) and collates them, and the batches come
back in their order. `prefetch_factor` batches (default 2) are asked of each worker ahead.

A stream (an `IterableDataset`) is copied into every worker, which reads it from the start:
without more, each sample comes N times, as in PyTorch. In a worker `get_worker_info()` says
which one it is, so the stream can read its share only:

>>> from nn.data import IterableDataset, get_worker_info
>>> class Numbers(IterableDataset):
...     def __init__(self, n):
...         self.n = n
...     def __iter__(self):
...         info = get_worker_info()            # None in the calling process
...         first, step = (0, 1) if info is None else (info.id, info.num_workers)
...         return iter(range(first, self.n, step))
>>> sorted(Numbers(5))
[0, 1, 2, 3, 4]

(`DataLoader(Numbers(100), batch_size=10, num_workers=2)` gives the batches of worker 0 and
worker 1 in turn: 0, 2, ..., 18, then 1, 3, ..., 19, ...; tests/test_data_workers.py.)

What is seeded in a worker: Python's `random`, numpy's global `np.random` and glassgrad's
shared generator (`autograd.default_rng()`), from `get_worker_info().seed`, which is a base
seed plus the worker's id. The base seed is new every epoch (every `iter(loader)`; with
`persistent_workers=True` the workers are seeded once, and their generators go on from epoch to
epoch). It comes from the loader's generator (its `seed` or `generator=`, else the shared one):
from the state it is in when the epoch starts, read without drawing from it, so the shuffles
stay those of num_workers=0; a loader whose generator did not move since its last epoch (no
shuffle, nothing else drawn) counts the repeat, so its epochs differ still. `manual_seed(s)`
before making a loader, or the same `seed`, replays the workers' draws. Generators of your own
(`np.random.default_rng()` made in the dataset's __init__) are copied into every worker as
they are: seed them in `worker_init_fn(worker_id)` or from `get_worker_info().seed`.

Processes are made by 'fork' on Linux (the default here, whatever Python's default is): a
dataset, a collate_fn or a worker_init_fn defined anywhere, in a script, a notebook or a test,
works. `multiprocessing_context='spawn'` or `'forkserver'` (the only ways on macOS and
Windows) start a new Python, which must import them: they must be defined in a module (not in
`__main__` of a notebook, not a lambda), and the script's loop must sit under
`if __name__ == "__main__":`.

Errors: an exception in a worker is raised here, of its type when it can be rebuilt (else a
RuntimeError), naming the worker, the sample's index (a stream: how many samples that worker
had read) and holding the worker's traceback. A worker that dies (killed, a crash in a C
extension) is a RuntimeError naming it and its signal, never a hang; `timeout=` seconds without
a batch is a RuntimeError too. The workers stop at the end of the epoch (unless
persistent_workers), when the loop is left early (`break`: the iterator is dropped), on an
error or Ctrl-C; workers ignore Ctrl-C themselves, so the calling process shuts them down.

Batches travel between the processes pickled, as numpy arrays: a Tensor made in a worker is
rebuilt here from its numbers, a constant (requires_grad False): a worker never reaches this
process's graph.
"""

from __future__ import annotations

import copy
import numbers
import os
import pickle
import random
import sys
import time
import weakref
from collections.abc import Mapping
from typing import Any, Callable, Iterator

import numpy as np

from autograd import Tensor, default_rng, manual_seed

#: seconds between a worker's looks at whether the calling process is still there, and the
#: calling process's at whether a worker died without a word
_POLL = 1.0
#: seconds a worker is given to stop by itself before it is terminated: at the end of an
#: epoch (it has nothing left to do), and when it may be busy with a batch nobody will take
_STOP_GRACE = 2.0
_BUSY_GRACE = 0.1


class WorkerInfo:
    """What `get_worker_info()` gives in a worker process: `id` (0 to num_workers - 1),
    `num_workers`, `seed` (this worker's: see nn/data/workers.py) and `dataset` (this
    process's copy of the dataset)."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self) -> str:
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={type(self.dataset).__name__})")


_info: WorkerInfo | None = None         # set in a worker process, once, as it starts


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader's worker process, which worker this is (`id`, `num_workers`, `seed`,
    `dataset`: see `WorkerInfo`); None in the calling process (num_workers=0 makes every batch
    there). A stream uses it to read its share of the samples (see nn/data/workers.py).

    >>> get_worker_info() is None
    True
    """
    return _info


# ----------------------------------------------------------------------------------------------
# The options
# ----------------------------------------------------------------------------------------------

def check_worker_options(num_workers: Any, persistent_workers: Any, prefetch_factor: Any,
                         timeout: Any, worker_init_fn: Any, context: Any) -> None:
    """The DataLoader's worker options, checked where they are given."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) \
            or num_workers < 0:
        raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
    if persistent_workers not in (None, True, False) or isinstance(persistent_workers, float):
        raise TypeError(f"DataLoader: persistent_workers must be True or False, got "
                        f"{persistent_workers!r}")
    if prefetch_factor is not None and (isinstance(prefetch_factor, bool) or not isinstance(
            prefetch_factor, numbers.Integral) or prefetch_factor < 1):
        raise ValueError(f"DataLoader: prefetch_factor must be None or an int >= 1, got "
                         f"{prefetch_factor!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or \
            not 0 <= timeout < float("inf"):
        raise ValueError(f"DataLoader: timeout must be a number of seconds >= 0 (0: wait as "
                         f"long as it takes), got {timeout!r}")
    if worker_init_fn is not None:
        if not callable(worker_init_fn):
            raise TypeError(f"DataLoader: worker_init_fn must be a function of the worker's "
                            f"id, got {type(worker_init_fn).__name__}")
        if num_workers == 0:
            raise TypeError("DataLoader: worker_init_fn is called in each worker process, and "
                            "num_workers=0 starts none: every batch is made in the calling "
                            "process (PyTorch does not call it then either); pass "
                            "num_workers >= 1, or set up the dataset before making the loader")
    _context(context)


def _context(context: Any) -> Any:
    """The multiprocessing context that starts the workers: 'fork' on Linux unless asked."""
    # multiprocessing is imported here and in _wait_for, where workers start, not with nn (so
    # are queue, signal and traceback, in the functions that use them): with the socket module
    # it loads it is ~1,500 objects alive in every process, which each full garbage collection
    # walks
    import multiprocessing
    methods = multiprocessing.get_all_start_methods()
    if context is None:
        return multiprocessing.get_context("fork" if sys.platform.startswith("linux")
                                           and "fork" in methods else None)
    if isinstance(context, str):
        if context not in methods:
            raise ValueError(f"DataLoader: multiprocessing_context must be one of {methods} "
                             f"(or a multiprocessing context), got {context!r}")
        return multiprocessing.get_context(context)
    if not hasattr(context, "Process"):
        raise TypeError(f"DataLoader: multiprocessing_context must be a start method's name "
                        f"({', '.join(methods)}) or multiprocessing.get_context(...), got "
                        f"{type(context).__name__}")
    return context


# ----------------------------------------------------------------------------------------------
# What travels between the processes
# ----------------------------------------------------------------------------------------------

class _Numbers:
    """A Tensor on its way from a worker: its array alone (a Tensor's graph stays behind)."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


def _packed(batch: Any) -> Any:
    """A batch with its Tensors as `_Numbers`, inside tuples, lists and dicts too."""
    if isinstance(batch, Tensor):
        return _Numbers(batch.data)
    if isinstance(batch, (list, tuple, Mapping)):
        return _rebuilt(batch, _packed)
    return batch


def _unpacked(batch: Any) -> Any:
    """A batch as the worker made it: its `_Numbers` as constant Tensors again."""
    if isinstance(batch, _Numbers):
        return Tensor(batch.array)
    if isinstance(batch, (list, tuple, Mapping)):
        return _rebuilt(batch, _unpacked)
    return batch


def _rebuilt(batch: Any, each: Callable[[Any], Any]) -> Any:
    """A tuple, list or dict (a namedtuple, a dict subclass: their type kept where it can be)
    with `each` applied to its entries."""
    if isinstance(batch, Mapping):
        entries = {key: each(value) for key, value in batch.items()}
        try:
            return type(batch)(entries)
        except TypeError:                   # (a mapping type that cannot be made so)
            return entries
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):        # a namedtuple
        return type(batch)(*map(each, batch))
    entries = list(map(each, batch))
    return entries if type(batch) is list else tuple(entries) if type(batch) is tuple \
        else type(batch)(entries)


class _Failure:
    """An exception raised in a worker, told to the calling process: the exception's class
    (None if it cannot be pickled), its message, where it happened and the traceback."""

    def __init__(self, error: BaseException, worker: int, where: str) -> None:
        kind = type(error)
        try:
            pickle.dumps(kind)
        except Exception:                   # (a class defined inside a function)
            kind = None
        self.kind, self.name = kind, type(error).__name__
        self.message, self.worker, self.where = str(error), worker, where
        import traceback
        self.trace = "".join(traceback.format_exception(type(error), error,
                                                        error.__traceback__))

    def error(self) -> BaseException:
        """The exception to raise in the calling process: of the worker's type, when it can be
        made from one message, else a RuntimeError."""
        text = (f"DataLoader worker {self.worker}, {self.where}: {self.name}: {self.message}"
                f"\n\nThe worker's traceback:\n{self.trace}")
        if self.kind is not None and issubclass(self.kind, Exception):
            try:
                error = self.kind(text)
                if str(error) == text or isinstance(error, KeyError):
                    return error
            except Exception:               # (an __init__ that wants other arguments)
                pass
        return RuntimeError(text)


class _Exhausted:
    """What a stream's worker sends once its copy of the stream has no samples left."""


_EXHAUSTED = _Exhausted()


# ----------------------------------------------------------------------------------------------
# The worker process
# ----------------------------------------------------------------------------------------------

def _fetcher(loader: Any) -> Any:
    """What a worker needs of `loader`: a shallow copy without the sampler and generators (the
    calling process keeps them) nor the worker options."""
    fetcher = copy.copy(loader)
    fetcher.sampler = fetcher.batch_sampler = fetcher._rng = fetcher._seed_source = None
    fetcher.worker_init_fn = fetcher.multiprocessing_context = None
    fetcher.num_workers = 0
    return fetcher


def _seed(seed: int) -> None:
    """Seed this worker's Python `random`, numpy's global generator and glassgrad's shared one
    from `seed` (numpy's from the whole seed, through a SeedSequence: it takes 32 bits)."""
    random.seed(seed)
    np.random.seed(np.random.SeedSequence(seed).generate_state(4))
    manual_seed(seed)


class _Counted:
    """A worker's stream, counting the samples read (an error says how many)."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.read = stream, 0

    def __iter__(self) -> Iterator[Any]:
        self.read = 0
        for sample in self.stream:
            yield sample
            self.read += 1


def _work(worker: int, num_workers: int, fetcher: Any, tasks: Any, results: Any,
          base_seed: int, worker_init_fn: Callable[[int], Any] | None, parent: int) -> None:
    """A worker's life: set up, then make each batch asked of it on `tasks` and send it on
    `results`, until told to stop (None), or the calling process is gone."""
    import queue
    import signal
    global _info
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the calling process's to handle
    seed = base_seed + worker
    _info = WorkerInfo(worker, num_workers, seed, fetcher.dataset)
    _seed(seed)
    if worker_init_fn is not None:
        try:
            worker_init_fn(worker)
        except Exception as error:
            results.send((None, None, _Failure(error, worker, "in worker_init_fn")))
            return
    make = _maker(fetcher, worker)
    while True:
        try:
            task = tasks.get(timeout=_POLL)
        except queue.Empty:
            if os.getppid() != parent:              # orphaned: nobody will ask again
                return
            continue
        if task is None:
            return
        epoch, number, job = task
        payload = make(epoch, job)
        try:
            results.send((epoch, number, payload))
        except (BrokenPipeError, EOFError, ConnectionError):    # the iterator is gone
            return
        except Exception as error:          # a batch that pickle cannot write
            failure = _Failure(error, worker, "sending the batch back (the batches of workers "
                                              "are pickled: a collate_fn must give numbers, "
                                              "arrays, Tensors, or containers of them)")
            results.send((epoch, number, failure))


def _maker(fetcher: Any, worker: int) -> Callable[[int, Any], Any]:
    """The function that makes the batch of one job (a list of indices, one index, a slice of
    rows, or, for a stream, the next batch) and packs it, or a `_Failure` saying where."""
    if fetcher._stream:
        fetcher.dataset = stream = _Counted(fetcher.dataset)
        current: dict[str, Any] = {"epoch": None, "batches": iter(())}

        def make_from_stream(epoch: int, job: Any) -> Any:
            if current["epoch"] != epoch:      # a new epoch reads the stream from its start
                current["epoch"], current["batches"] = epoch, fetcher._stream_batches()
            try:
                return _packed(next(current["batches"]))
            except StopIteration:
                return _EXHAUSTED
            except Exception as error:
                return _Failure(error, worker, f"after its copy of the stream gave "
                                               f"{stream.read} samples")
        return make_from_stream

    dataset, reading = fetcher.dataset, [None]

    def samples_at(indices: list) -> list:      # the loader's _samples_at, saying where it is
        read_all = getattr(dataset, "__getitems__", None)
        if read_all is not None:
            reading[0] = indices
            samples = list(read_all(indices))
        else:
            samples = []
            for index in indices:
                reading[0] = index
                samples.append(dataset[index])
        reading[0] = None
        return samples

    fetcher._samples_at = samples_at

    def make(epoch: int, job: Any) -> Any:
        reading[0] = None
        try:
            if fetcher._unbatched:
                reading[0] = job
                return _packed(fetcher._sample_of(job))
            if fetcher._direct:
                return _packed(fetcher._direct_batch(job))
            return _packed(fetcher._batch_of(job))
        except Exception as error:
            if isinstance(reading[0], list):
                where = f"reading the samples {_shown(reading[0])} (__getitems__)"
            elif reading[0] is not None:
                where = f"reading sample {reading[0]} of the dataset"
            elif fetcher._direct:
                where = "gathering the rows of a batch"
            else:
                where = f"making the batch of dataset indices {_shown(job)}"
            return _Failure(error, worker, where)
    return make


def _shown(indices: Any, most: int = 8) -> str:
    """Indices for a message, a long list cut short."""
    if isinstance(indices, list) and len(indices) > most:
        return "[" + ", ".join(map(repr, indices[:most])) + ", ...]"
    return repr(indices)


# ----------------------------------------------------------------------------------------------
# The calling process: the workers, and one epoch's batches
# ----------------------------------------------------------------------------------------------

class _Pool:
    """A loader's worker processes, each with its queue of tasks and its pipe of results."""

    def __init__(self, loader: Any, base_seed: int) -> None:
        context = _context(loader.multiprocessing_context)
        n, fetcher = loader.num_workers, _fetcher(loader)
        self.processes, self.tasks, self.results = [], [], []
        self.epoch, self.closed = 0, False
        #: epoch -> its iterator, while it runs: with persistent workers a later iter(loader)
        #: may start before an earlier loop is over, and each takes in the other's batches
        self.epochs: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        try:
            for worker in range(n):
                tasks = context.Queue()
                tasks.cancel_join_thread()      # (at exit, never wait to write to a dead worker)
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=_work, name=f"DataLoader worker {worker}", daemon=True,
                    args=(worker, n, fetcher, tasks, writer, base_seed, loader.worker_init_fn,
                          os.getpid()))
                self.processes.append(process)
                self.tasks.append(tasks)
                self.results.append(reader)
                try:
                    process.start()
                except (pickle.PicklingError, AttributeError, TypeError) as error:
                    raise TypeError(_not_sent(context, error)) from None
                writer.close()                  # the worker's end: EOF here when it dies
        except BaseException:
            self.shutdown()
            raise

    def shutdown(self, grace: float = _STOP_GRACE) -> None:
        """Stop the workers: ask each to stop, give them `grace` seconds, then terminate
        them; reap them all (no zombies)."""
        if self.closed:
            return
        self.closed = True
        for reader in self.results:         # a worker blocked on sending a batch gets an error
            reader.close()
        for tasks, process in zip(self.tasks, self.processes):
            if process.pid is not None and process.exitcode is None:
                try:
                    tasks.put(None)
                except (OSError, ValueError):
                    pass
        deadline = time.monotonic() + grace
        for process in self.processes:
            if process.pid is None:         # (never started)
                continue
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.terminate()
                process.join()
        for tasks in self.tasks:
            tasks.close()


def _not_sent(context: Any, error: Exception) -> str:
    """Why a worker could not be started by 'spawn' or 'forkserver': what it is sent must be
    pickled."""
    return (f"DataLoader: multiprocessing_context={context.get_start_method()!r} starts each "
            f"worker as a new Python, which gets the dataset, collate_fn and worker_init_fn "
            f"pickled, and pickle failed: {error}; define them at the top level of a module "
            f"the worker can import (not in a notebook's __main__, not a lambda or a function "
            f"inside a function), or use 'fork' (Linux)")


#: a loader's persistent workers, and where its generator stood at its last epoch's start
_pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_last_seed_states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _base_seed(loader: Any) -> int:
    """This epoch's base seed (see the module's docstring), from the state of the loader's
    generator, read without drawing from it."""
    rng = loader._rng if loader._rng is not None else loader._seed_source
    rng = rng if rng is not None else default_rng()
    words = _integers(rng.bit_generator.state)
    last, repeats = _last_seed_states.get(loader, (None, 0))
    repeats = repeats + 1 if words == last else 0
    _last_seed_states[loader] = (words, repeats)
    sequence = np.random.SeedSequence(words, spawn_key=(repeats,))
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(2))  # room for + worker id


def _integers(state: Any) -> list[int]:
    """The integers of a bit generator's state (nested dicts of ints and arrays), in order."""
    if isinstance(state, Mapping):
        return [i for key in sorted(state) for i in _integers(state[key])]
    if isinstance(state, np.ndarray):
        return [int(i) for i in state.ravel().tolist()]
    if isinstance(state, numbers.Integral) and not isinstance(state, bool):
        return [int(state)]
    return []


def worker_batches(loader: Any) -> Iterator[Any]:
    """One epoch of `loader`'s batches made by its worker processes (DataLoader.__iter__)."""
    pool = _pools.get(loader)
    if pool is None or pool.closed:
        pool = _Pool(loader, _base_seed(loader))
        if loader.persistent_workers:
            _pools[loader] = pool
            weakref.finalize(loader, pool.shutdown)
    return _Epoch(loader, pool)


def _jobs(loader: Any) -> Iterator[Any]:
    """What the workers are asked for, batch by batch, in order: the lists of indices of the
    batch sampler, the indices of the sampler (batch_size=None), or the rows of arrays."""
    if loader._unbatched:
        return iter(loader.sampler)
    if loader._direct:
        return loader._direct_rows()
    return (list(indices) for indices in loader.batch_sampler)


class _Epoch:
    """The iterator over one epoch's batches: keeps `prefetch_factor` tasks per worker asked,
    and gives back the batches in the order they were asked for."""

    def __init__(self, loader: Any, pool: _Pool) -> None:
        self.pool, self.persistent = pool, loader.persistent_workers
        self.timeout = loader.timeout
        if loader._stream and any(not epoch.done for epoch in pool.epochs.values()):
            # (each worker reads its copy of the stream from the start for a new epoch: two
            # at once would restart each other's)
            raise RuntimeError(
                "DataLoader: iter(loader) of a stream (an IterableDataset) with "
                "persistent_workers=True while an earlier loop over it is not over: its "
                "workers read one pass of the stream at a time; finish (or drop) the earlier "
                "loop first, or make the loader with persistent_workers=False")
        pool.epoch += 1
        self.epoch = pool.epoch
        self.stream = loader._stream
        pool.epochs[self.epoch] = self
        self.jobs = None if self.stream else _jobs(loader)
        n = len(pool.processes)
        self.active = list(range(n))        # a stream's workers that still have samples
        self.turn = 0                       # whose turn it is to be asked next (a stream's)
        self.asked = self.given = 0         # tasks asked, batches given back
        self.owner: dict[int, int] = {}     # task -> worker, for the tasks not given back yet
        self.arrived: dict[int, Any] = {}   # batches that came before their turn
        self.done = False
        try:
            for _ in range(n * (loader.prefetch_factor or 2)):
                self._ask()
        except BaseException:
            self._close()
            raise

    def _ask(self) -> None:
        """Ask the next task of a worker: the next job, to the workers in turn."""
        if self.stream:
            if not self.active:
                return
            worker = self.active[self.turn % len(self.active)]
            self.turn += 1
            job = None
        else:
            if self.jobs is None:
                return
            job = next(self.jobs, self)     # (self: no jobs left)
            if job is self:
                self.jobs = None
                return
            worker = self.asked % len(self.pool.processes)
        self.owner[self.asked] = worker
        self.pool.tasks[worker].put((self.epoch, self.asked, job))
        self.asked += 1

    def __iter__(self) -> _Epoch:
        return self

    def __next__(self) -> Any:
        if self.done or self.given == self.asked:
            self._close()
            raise StopIteration
        try:
            while True:
                number = self.given
                payload = self._wait_for(number)
                worker = self.owner.pop(number)
                self.given += 1
                if isinstance(payload, _Exhausted):       # that worker's stream is read: ask the others
                    if worker in self.active:
                        self.turn = self.active.index(worker)
                        self.active.remove(worker)
                    self._ask()
                    if self.given == self.asked:
                        break
                    continue
                if isinstance(payload, _Failure):
                    raise payload.error()
                self._ask()
                return _unpacked(payload)
        except BaseException:
            self._close(stop=True)
            raise
        self._close()
        raise StopIteration

    def _wait_for(self, number: int) -> Any:
        """The payload of task `number`, waiting for it if it has not come; a dead worker or
        `timeout` seconds without it are a RuntimeError."""
        from multiprocessing.connection import wait         # (see _context)
        started = time.monotonic()
        pool = self.pool
        while number not in self.arrived:
            worker = self.owner[number]
            process = pool.processes[worker]
            left = None if not self.timeout else self.timeout - (time.monotonic() - started)
            if left is not None and left <= 0:
                raise RuntimeError(f"DataLoader: timed out after {self.timeout} s waiting for "
                                   f"batch {number} of the epoch from worker {worker} "
                                   f"(timeout={self.timeout}); a sample that takes longer to "
                                   f"read needs a larger timeout, or 0 to wait as long as it "
                                   f"takes")
            ready = wait([pool.results[worker], process.sentinel],
                         _POLL if left is None else min(_POLL, left))
            self._read(worker)
            if number not in self.arrived and (process.sentinel in ready
                                               or process.exitcode is not None):
                self._read(worker)              # (what it sent before it died)
                if number not in self.arrived:
                    process.join(_POLL)         # (its exit code: it may not be reaped yet)
                    raise RuntimeError(f"DataLoader: worker {worker} (pid {process.pid}) "
                                       f"stopped unexpectedly ({_how(process.exitcode)}) before "
                                       f"it sent batch {number} of the epoch; a worker killed "
                                       f"(the out-of-memory killer sends SIGKILL) or crashed (a "
                                       f"C extension's segmentation fault) cannot say why: run "
                                       f"with num_workers=0 to see the error in this process")
        return self.arrived.pop(number)

    def _read(self, worker: int) -> None:
        """Take in all that `worker` has sent: this epoch's, and another's that is still
        running (persistent workers serving two loops at once); a finished epoch's, asked of a
        persistent worker by a loop left early, is dropped."""
        reader = self.pool.results[worker]
        while True:
            try:
                if not reader.poll():
                    return
                epoch, number, payload = reader.recv()
            except (EOFError, OSError):         # it died: the caller sees its exit code
                return
            if epoch is None:                   # worker_init_fn failed
                raise payload.error()
            owner = self if epoch == self.epoch else self.pool.epochs.get(epoch)
            if owner is not None and not owner.done:
                owner.arrived[number] = payload

    def _close(self, stop: bool = False) -> None:
        """The epoch is over: stop its workers, unless they persist (and `stop` is False:
        after an error or Ctrl-C they stop too). Workers still busy (an error, a loop left
        early) are given a moment only: nobody wants what they are making."""
        if self.done:
            return
        self.done = True
        self.arrived.clear()
        if stop or not self.persistent:
            busy = stop or self.given < self.asked
            self.pool.shutdown(_BUSY_GRACE if busy else _STOP_GRACE)

    def __del__(self) -> None:                  # a loop left early (break) drops the iterator
        try:
            self._close()
        except Exception:
            pass


def _how(exitcode: int | None) -> str:
    """How a process ended, from its exit code: a signal's name, or the code."""
    import signal
    if exitcode is None:
        return "its pipe closed"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"
