"""`DataLoader`: batches from a dataset, optionally loaded by worker threads ahead of training.

Differences from PyTorch, all deliberate and harmless for scripts written for PyTorch:

- `num_workers > 0` starts worker *threads*, not processes. Batch k goes to worker k % N (as in
  PyTorch), at most `prefetch_factor * num_workers` batches are in flight (a bounded queue), and
  batches come back in sampler order, so the batches are the same, in the same order, as with
  `num_workers=0`. Loading overlaps with training where either side runs outside the GIL
  (NumPy/BLAS kernels, file reads, decompression); per-item Python transforms hold the GIL, so
  for those threads mostly hide waits rather than add CPU (the batch fast path below is the
  remedy for MNIST-style data). `multiprocessing_context` is accepted and ignored. A worker's
  exception is re-raised in the main loop as the original exception object (same type and
  message, with the worker's traceback). Breaking out of a loop shuts the workers down.
- Randomness in `tinynn.transforms` inside a batch comes from a per-batch generator seeded from
  the iterator's base seed (drawn, as PyTorch draws it, from `generator=` or the default
  generator) and the batch number. So random transforms give the same batches for any
  `num_workers`, and `tinynn.manual_seed` makes them reproducible. `get_worker_info()` works in
  worker threads as in PyTorch's worker processes (`seed` = base seed + worker id).
- `pin_memory` / `pin_memory_device` are accepted and do nothing (CPU tensors need no pinning;
  CuPy copies from pageable memory). `persistent_workers=True` keeps the threads between epochs.
- Fast path: when the collate function is the default one and the dataset can fetch a whole batch
  at once (`TensorDataset`, `Subset` of one, `tinynn.datasets.MNIST` with ToTensor/Normalize),
  the batch is gathered with one fancy index per array instead of per-item indexing and a stack.
"""
from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass

import tinynn

from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _draw_seed

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]

_local = threading.local()  # worker_info, and the per-batch seed used by tinynn.transforms
_MASK63 = (1 << 63) - 1


@dataclass(frozen=True)
class WorkerInfo:
    """What `get_worker_info()` returns inside a worker: id, num_workers, seed, dataset."""
    id: int
    num_workers: int
    seed: int
    dataset: object

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, " \
               f"dataset={self.dataset!r})"


def get_worker_info():
    """The current worker's `WorkerInfo` inside a DataLoader worker thread, else None."""
    return getattr(_local, "worker_info", None)


def _data_generator():
    """The generator random transforms draw from while a DataLoader fetches a batch (else None).

    Created on first use, seeded from the loader's base seed and the batch number, so that the
    same batch gets the same random draws whichever thread loads it."""
    seed = getattr(_local, "batch_seed", None)
    if seed is None:
        return None
    g = getattr(_local, "batch_gen", None)
    if g is None:
        g = tinynn.Generator()
        g.manual_seed(seed)
        _local.batch_gen = g
    return g


def _run_fetch(fetcher, index, seed):
    prev = getattr(_local, "batch_seed", None), getattr(_local, "batch_gen", None)
    _local.batch_seed, _local.batch_gen = seed, None
    try:
        return fetcher.fetch(index)
    finally:
        _local.batch_seed, _local.batch_gen = prev


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: None forever (the dataset decides what comes next)."""

    def __iter__(self):
        while True:
            yield None


# ------------------------------------------------------------------------------- fetchers
class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.fast = None
        if auto_collation and collate_fn is default_collate:
            bf = getattr(dataset, "_batch_fetcher", None)
            self.fast = bf() if callable(bf) else None

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.fast is not None:
            return self.fast(index)
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


# ------------------------------------------------------------------------------- loader
class DataLoader:
    """Iterate over `dataset` in batches (PyTorch's signature, checks and defaults)."""

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if not isinstance(num_workers, int) or isinstance(num_workers, bool):
            raise TypeError(f"num_workers should be an int, but got {type(num_workers).__name__}")
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process "
                             f"loading (num_workers > 0), but got num_workers={num_workers}")
        if generator is not None and not isinstance(generator, tinynn.Generator):
            raise TypeError(f"generator must be a tinynn.Generator, not {type(generator).__name__}")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._iterable = True
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            self._iterable = False
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._initialized = True

    def __setattr__(self, attr, val):
        if self._initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last",
                                          "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is "
                             "initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _ThreadedDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else \
                    -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

    def __del__(self):
        it = self.__dict__.get("_iterator")
        if it is not None:
            it._shutdown()


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._base_seed = _draw_seed(loader.generator)
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def _batch_seed(self, k):
        return (self._base_seed + 1 + k) & _MASK63

    def _new_fetcher(self):
        if self._iterable:
            return _IterableFetcher(self._dataset, self._auto_collation, self._collate_fn,
                                    self._drop_last)
        return _MapFetcher(self._dataset, self._auto_collation, self._collate_fn)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler)

    def _shutdown(self):
        pass


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = self._new_fetcher()

    def __next__(self):
        index = next(self._sampler_iter)  # StopIteration ends the loop
        data = _run_fetch(self._fetcher, index, self._batch_seed(self._num_yielded))
        self._num_yielded += 1
        return data


# ------------------------------------------------------------------------------- worker threads
class _Failure:
    """An exception raised in a worker, carried to the main thread."""
    __slots__ = ("exc",)

    def __init__(self, exc):
        self.exc = exc


_ITER_END = object()   # an iterable dataset's worker ran out of data
_STOP = None           # sentinel task: the worker exits


def _worker_loop(dataset, task_q, result_q, worker_id, num_workers, seed, init_fn):
    """Body of a worker thread. It holds no reference to the iterator, so that an iterator
    dropped by a `break` is collected and shuts its workers down."""
    _local.worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                    dataset=dataset)
    init_error = None
    if init_fn is not None:
        try:
            init_fn(worker_id)
        except Exception as e:  # reported with the first batch this worker is given
            init_error = e
    fetchers = {}  # epoch -> this worker's fetcher (iterable datasets keep per-epoch state)
    while True:
        task = task_q.get()
        if task is _STOP:
            break
        epoch, k, index, batch_seed, make_fetcher = task
        if init_error is not None:
            result_q.put((epoch, k, _Failure(init_error), worker_id))
            continue
        try:
            fetcher = fetchers.get(epoch)
            if fetcher is None:
                fetchers.clear()
                fetcher = fetchers[epoch] = make_fetcher()
            data = _run_fetch(fetcher, index, batch_seed)
        except StopIteration:
            data = _ITER_END
        except BaseException as e:  # noqa: BLE001 - carried to the main thread, re-raised there
            data = _Failure(e)
        result_q.put((epoch, k, data, worker_id))
        del data, task


class _WorkerPool:
    def __init__(self, loader, base_seed):
        n = loader.num_workers
        self.task_queues = [queue.Queue() for _ in range(n)]
        self.result_queue = queue.Queue()
        self.threads = []
        for w in range(n):
            t = threading.Thread(target=_worker_loop, name=f"tinynn-DataLoader-worker-{w}",
                                 args=(loader.dataset, self.task_queues[w], self.result_queue, w,
                                       n, (base_seed + w) & _MASK63, loader.worker_init_fn),
                                 daemon=True)
            t.start()
            self.threads.append(t)
        self.closed = False

    def shutdown(self):
        if self.closed:
            return
        self.closed = True
        for q in self.task_queues:
            while True:  # drop tasks not started yet
                try:
                    q.get_nowait()
                except queue.Empty:
                    break
            q.put(_STOP)


class _ThreadedDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._persistent = loader.persistent_workers
        self._prefetch = max(1, loader.prefetch_factor * self._num_workers)
        self._pool = _WorkerPool(loader, self._base_seed)
        self._epoch = 0
        self._start_epoch()

    def _start_epoch(self):
        self._epoch += 1
        for q in self._pool.task_queues:  # tasks of an abandoned epoch (persistent workers)
            while True:
                try:
                    q.get_nowait()
                except queue.Empty:
                    break
        self._send_idx = 0
        self._rcvd_idx = 0
        self._tasks = {}  # k -> [worker_id] or [worker_id, data]
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if self._iterable:
            ds, ac, cf, dl = self._dataset, self._auto_collation, self._collate_fn, self._drop_last
            self._make_fetcher = lambda: _IterableFetcher(ds, ac, cf, dl)
        else:
            shared = _MapFetcher(self._dataset, self._auto_collation, self._collate_fn)
            self._make_fetcher = lambda: shared
        for _ in range(self._prefetch):
            self._try_put_index()

    def _reset(self, loader):
        """Start a new epoch on the same (persistent) worker threads."""
        self._base_seed = _draw_seed(loader.generator)
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._start_epoch()

    def _try_put_index(self):
        if self._send_idx - self._rcvd_idx >= self._prefetch:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            w = next(self._worker_cycle)
            if self._active[w]:
                break
        else:
            return
        k = self._send_idx
        self._pool.task_queues[w].put((self._epoch, k, index, self._batch_seed(k),
                                       self._make_fetcher))
        self._tasks[k] = [w]
        self._send_idx += 1

    def _get_result(self):
        waited = 0.0
        step = min(1.0, self._timeout) if self._timeout else 1.0
        while True:
            try:
                return self._pool.result_queue.get(timeout=step)
            except queue.Empty:
                waited += step
                if self._timeout and waited >= self._timeout:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") \
                        from None
                if not all(t.is_alive() for t in self._pool.threads):
                    raise RuntimeError("DataLoader worker thread exited unexpectedly") from None

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._tasks[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._tasks[self._rcvd_idx]  # its worker ran out of data
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._tasks[self._rcvd_idx]
            if len(info) == 2:
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
                self._try_put_index()
                data = info[1]
                if isinstance(data, _Failure):
                    exc = data.exc
                    del data, info
                    raise exc
                self._num_yielded += 1
                return data
            epoch, k, data, w = self._get_result()
            if epoch != self._epoch:
                continue  # a batch of an epoch abandoned by `break` (persistent workers)
            if data is _ITER_END:
                self._active[w] = False
                self._try_put_index()
                continue
            self._tasks[k].append(data)

    def _shutdown(self):
        pool = self.__dict__.get("_pool")
        if pool is not None:
            pool.shutdown()

    def __del__(self):
        self._shutdown()
