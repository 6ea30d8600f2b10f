"""tinynn.utils.data: datasets, samplers, collate and the DataLoader."""
from __future__ import annotations

import collections
import gc
import sys
import threading
import time

import numpy as np
import pytest

import tinynn
from tinynn import transforms as T
from tinynn.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                               DistributedSampler, IterableDataset, RandomSampler,
                               SequentialSampler, StackDataset, Subset, SubsetRandomSampler,
                               TensorDataset, WeightedRandomSampler, default_collate,
                               default_convert, get_worker_info, random_split)


def _batches(loader):
    """Every batch of one epoch as nested Python lists (for equality checks)."""
    def conv(x):
        if isinstance(x, tinynn.Tensor):
            return (str(x.dtype), x.tolist())
        if isinstance(x, (list, tuple)):
            return [conv(v) for v in x]
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        return x
    return [conv(b) for b in loader]


class Squares(Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i, float(i * i)


# --------------------------------------------------------------------------- collate
def test_default_collate_numbers():
    assert default_collate([1, 2]).dtype == tinynn.int64
    assert default_collate([1.0, 2.0]).dtype == tinynn.float64  # as PyTorch
    b = default_collate([True, False])
    assert b.dtype == tinynn.bool and b.tolist() == [True, False]
    assert default_collate([np.float32(1), np.float32(2)]).dtype == tinynn.float32
    assert default_collate([np.int64(1), np.int64(2)]).dtype == tinynn.int64


def test_default_collate_arrays_and_tensors(device):
    b = default_collate([np.array([1, 2], np.int32), np.array([3, 4], np.int32)])
    assert b.dtype == tinynn.int32 and b.tolist() == [[1, 2], [3, 4]]
    b = default_collate([np.array(1.5), np.array(2.5)])
    assert b.dtype == tinynn.float64 and b.tolist() == [1.5, 2.5]
    t = default_collate([tinynn.tensor([1.0, 2.0], device=device), tinynn.tensor([3.0, 4.0], device=device)])
    assert t.shape == (2, 2) and t.tolist() == [[1, 2], [3, 4]]
    assert default_collate([tinynn.tensor(1), tinynn.tensor(2)]).tolist() == [1, 2]


def test_default_collate_containers():
    out = default_collate([(1, "a"), (2, "b")])
    assert isinstance(out, list) and out[0].tolist() == [1, 2] and out[1] == ("a", "b")
    out = default_collate([[1, 2], [3, 4]])
    assert [o.tolist() for o in out] == [[1, 3], [2, 4]]
    out = default_collate([{"x": 1, "y": [1.0]}, {"x": 2, "y": [2.0]}])
    assert out["x"].tolist() == [1, 2] and out["y"][0].dtype == tinynn.float64
    od = collections.OrderedDict(a=1)
    assert type(default_collate([od, od])) is collections.OrderedDict
    P = collections.namedtuple("P", "a b")
    out = default_collate([P(1, 2.0), P(3, 4.0)])
    assert isinstance(out, P) and out.a.tolist() == [1, 3] and out.b.dtype == tinynn.float64
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, dicts "
                                        "or lists; found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match="NoneType"):
        default_collate([None, None])
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[2\] at entry 0 and \[3\] at entry 1"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError):
        default_collate([tinynn.zeros(2), tinynn.zeros(3)])


def test_default_convert():
    out = default_convert((np.array([1.0]), 2, "a"))
    assert isinstance(out, list) and out[0].dtype == tinynn.float64 and out[1:] == [2, "a"]
    assert default_convert(np.float64(3)).dtype == tinynn.float64
    assert default_convert([np.int64(2)])[0].tolist() == 2
    assert default_convert({"k": np.zeros(2, np.float32)})["k"].dtype == tinynn.float32


# --------------------------------------------------------------------------- datasets
def test_tensor_dataset(device):
    x = tinynn.arange(12, device=device).view(6, 2)
    y = tinynn.arange(6, device=device)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.tolist() == [8, 9] and yi.item() == 4
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, tinynn.arange(5))


def test_concat_subset_stack_chain():
    a, b = Squares(3), Squares(4)
    cat = a + b
    assert isinstance(cat, ConcatDataset) and len(cat) == 7
    assert [cat[i][0] for i in range(7)] == [0, 1, 2, 0, 1, 2, 3]
    assert cat[-1] == (3, 9.0)
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        cat[-8]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    sub = Subset(Squares(10), [9, 2, 5])
    assert len(sub) == 3 and sub[0] == (9, 81.0) and sub.__getitems__([1, 2]) == [(2, 4.0), (5, 25.0)]
    st = StackDataset(Squares(3), Squares(3))
    assert st[1] == ((1, 1.0), (1, 1.0))
    assert StackDataset(a=Squares(2), b=Squares(2))[1] == {"a": (1, 1.0), "b": (1, 1.0)}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(Squares(2), Squares(3))

    class It(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n
    chain = It(2) + It(3)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 0, 1, 2] and len(chain) == 5


def test_random_split_lengths_and_fractions():
    g = tinynn.Generator().manual_seed(42)
    parts = random_split(range(10), [3, 7], generator=g)
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(range(10), [3, 7], generator=tinynn.Generator().manual_seed(42))
    assert again[0].indices == parts[0].indices
    assert [len(p) for p in random_split(range(30), [0.3, 0.3, 0.4])] == [9, 9, 12]
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34])] == [4, 3, 3]
    with pytest.warns(UserWarning) as rec:
        random_split(range(2), [0.9, 0.05, 0.05])
    assert [str(w.message)[:31] for w in rec] == ["Length of split at index 1 is 0",
                                                 "Length of split at index 2 is 0"]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the "
                                         "input dataset!"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(range(10), [0.5, 1.5, -1.0])


# --------------------------------------------------------------------------- samplers
def test_sequential_and_random_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = tinynn.Generator().manual_seed(0)
    perm = list(RandomSampler(range(20), generator=g))
    assert sorted(perm) == list(range(20)) and perm != list(range(20))
    assert list(RandomSampler(range(20), generator=tinynn.Generator().manual_seed(0))) == perm
    tinynn.manual_seed(5)
    a = list(RandomSampler(range(20)))
    tinynn.manual_seed(5)
    assert list(RandomSampler(range(20))) == a  # seeded from the default generator
    rep = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(rep) == 50 and set(rep) <= {0, 1, 2}
    more = list(RandomSampler(range(3), num_samples=7))
    assert len(more) == 7 and sorted(more[:3]) == [0, 1, 2]
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got "
                                         "num_samples=0"):
        RandomSampler(range(3), num_samples=0)


def test_subset_and_weighted_samplers():
    s = list(SubsetRandomSampler([10, 20, 30], generator=tinynn.Generator().manual_seed(1)))
    assert sorted(s) == [10, 20, 30]
    w = list(WeightedRandomSampler([0.0, 1.0, 3.0], 400, generator=tinynn.Generator().manual_seed(0)))
    assert len(w) == 400 and 0 not in w and 200 < w.count(2) < 400
    nr = list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=False))
    assert len(set(nr)) == 5
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 1, replacement=None)
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights have "
                                         r"shape \(1, 2\)"):
        WeightedRandomSampler([[1.0, 2.0]], 1)


def test_batch_sampler():
    assert list(BatchSampler(SequentialSampler(range(10)), 3, False)) == \
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(SequentialSampler(range(10)), 3, True)) == \
        [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(BatchSampler(range(10), 3, False)) == 4 and len(BatchSampler(range(10), 3, True)) == 3
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got "
                                         "batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=1"):
        BatchSampler(range(3), 1, 1)


def test_distributed_sampler_partitions():
    ds = range(10)
    parts = [list(DistributedSampler(ds, num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert parts == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    parts = [list(DistributedSampler(ds, num_replicas=3, rank=r, shuffle=False, drop_last=True))
             for r in range(3)]
    assert parts == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    for epoch in (0, 1):  # shuffled: every index exactly once per epoch over the ranks
        samplers = [DistributedSampler(range(12), num_replicas=4, rank=r, seed=7) for r in range(4)]
        for s in samplers:
            s.set_epoch(epoch)
        seen = sorted(i for s in samplers for i in s)
        assert seen == list(range(12)) and all(len(s) == 3 for s in samplers)
    s = DistributedSampler(range(12), num_replicas=2, rank=0)
    e0 = list(s)
    s.set_epoch(1)
    assert list(s) != e0  # set_epoch reshuffles
    s.set_epoch(0)
    assert list(s) == e0  # the same seed and epoch give the same order (on every rank)
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(ds, num_replicas=3, rank=3)
    assert "mpi4py" not in sys.modules  # importing tinynn.utils.data never imports MPI


def test_distributed_sampler_with_dataloader():
    ds = TensorDataset(tinynn.arange(8))
    got = []
    for r in range(2):
        sampler = DistributedSampler(ds, num_replicas=2, rank=r, shuffle=True, seed=3)
        sampler.set_epoch(2)
        got += [int(v) for (b,) in DataLoader(ds, batch_size=2, sampler=sampler) for v in b.tolist()]
    assert sorted(got) == list(range(8))


# --------------------------------------------------------------------------- DataLoader: checks
@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"batch_size": 0}, ValueError, "batch_size should be a positive integer value, but got batch_size=0"),
    ({"batch_size": -1}, ValueError, "batch_size=-1"),
    ({"num_workers": -1}, ValueError, "num_workers option should be non-negative; use num_workers=0 "
                                      "to disable multiprocessing."),
    ({"timeout": -1}, ValueError, "timeout option should be non-negative"),
    ({"prefetch_factor": 2}, ValueError, "prefetch_factor option could only be specified in "
                                         "multiprocessing"),
    ({"num_workers": 1, "prefetch_factor": -1}, ValueError, "prefetch_factor option should be "
                                                            "non-negative"),
    ({"persistent_workers": True}, ValueError, "persistent_workers option needs num_workers > 0"),
    ({"sampler": [0, 1], "shuffle": True}, ValueError, "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, ValueError, "batch_sampler option is mutually "
                                                            "exclusive with batch_size, shuffle, "
                                                            "sampler, and drop_last"),
    ({"batch_size": None, "drop_last": True}, ValueError, "batch_size=None option disables "
                                                          "auto-batching and is mutually exclusive "
                                                          "with drop_last"),
    ({"drop_last": 1}, ValueError, "drop_last should be a boolean value"),
    ({"multiprocessing_context": "fork"}, ValueError, "multiprocessing_context can only be used "
                                                      "with multi-process loading"),
])
def test_dataloader_argument_checks(kwargs, exc, msg):
    with pytest.raises(exc, match=msg.replace("(", r"\(").replace(")", r"\)")):
        DataLoader(Squares(), **kwargs)


def test_dataloader_iterable_dataset_checks():
    class It(IterableDataset):
        def __iter__(self):
            return iter(range(3))
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(It(), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(It(), sampler=[0])
    with pytest.raises(ValueError, match="expected unspecified batch_sampler option"):
        DataLoader(It(), batch_sampler=[[0]])


def test_dataloader_attributes_are_frozen():
    dl = DataLoader(Squares(), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader "
                                         "is initialized"):
        dl.batch_size = 3
    dl.num_workers = 0  # others may be set, as in PyTorch


# --------------------------------------------------------------------------- DataLoader: batches
def test_dataloader_batches_and_len():
    dl = DataLoader(Squares(10), batch_size=4)
    assert len(dl) == 3
    batches = list(dl)
    assert [b[0].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][1].dtype == tinynn.float64
    assert len(DataLoader(Squares(10), batch_size=4, drop_last=True)) == 2
    assert [b[0].tolist() for b in DataLoader(Squares(10), batch_size=4, drop_last=True)] == \
        [[0, 1, 2, 3], [4, 5, 6, 7]]
    one = list(DataLoader(Squares(3)))  # batch_size=1 by default
    assert one[2][0].tolist() == [2]


def test_dataloader_no_auto_batching_converts():
    dl = DataLoader([np.array([1.0, 2.0]), np.array([3.0, 4.0])], batch_size=None)
    out = list(dl)
    assert len(out) == 2 and isinstance(out[0], tinynn.Tensor) and out[1].tolist() == [3.0, 4.0]


def test_dataloader_custom_collate_sampler_batch_sampler():
    dl = DataLoader(Squares(6), batch_size=2, collate_fn=lambda b: [x for x, _ in b])
    assert list(dl) == [[0, 1], [2, 3], [4, 5]]
    dl = DataLoader(Squares(6), sampler=[5, 0], batch_size=2)
    assert [b[0].tolist() for b in dl] == [[5, 0]]
    dl = DataLoader(Squares(6), batch_sampler=[[1, 2], [3]])
    assert [b[0].tolist() for b in dl] == [[1, 2], [3]] and len(dl) == 2


def test_dataloader_uses_getitems():
    class Batched(Squares):
        calls = 0

        def __getitems__(self, idx):
            Batched.calls += 1
            return [self[i] for i in idx]
    assert [b[0].tolist() for b in DataLoader(Batched(4), batch_size=2)] == [[0, 1], [2, 3]]
    assert Batched.calls == 2


def test_shuffle_is_reproducible_and_changes_per_epoch():
    ds = Squares(30)
    dl = DataLoader(ds, batch_size=8, shuffle=True)
    tinynn.manual_seed(0)
    e1, e2 = _batches(dl), _batches(dl)
    tinynn.manual_seed(0)
    assert _batches(dl) == e1 and _batches(dl) == e2
    assert e1 != e2
    assert sorted(v for b in e1 for v in b[0][1]) == list(range(30))
    g1 = DataLoader(ds, batch_size=8, shuffle=True, generator=tinynn.Generator().manual_seed(9))
    g2 = DataLoader(ds, batch_size=8, shuffle=True, generator=tinynn.Generator().manual_seed(9))
    assert _batches(g1) == _batches(g2)


class RandomAug(Dataset):
    """Items go through a random transform: the equivalence across num_workers covers it."""

    def __init__(self, n=24):
        self.x = tinynn.arange(n * 4, dtype=tinynn.float32).view(n, 1, 2, 2)
        self.t = T.Compose([T.RandomHorizontalFlip(0.5), T.RandomCrop(2, padding=1)])

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.t(self.x[i]), i


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_num_workers_give_the_same_batches_in_the_same_order(workers):
    ds = RandomAug()
    tinynn.manual_seed(123)
    ref = [_batches(DataLoader(ds, batch_size=5, shuffle=True)) for _ in range(2)]
    tinynn.manual_seed(123)
    got = [_batches(DataLoader(ds, batch_size=5, shuffle=True, num_workers=workers))
           for _ in range(2)]
    assert got == ref
    tinynn.manual_seed(123)
    persistent = DataLoader(ds, batch_size=5, shuffle=True, num_workers=workers,
                            persistent_workers=True, prefetch_factor=1, pin_memory=True)
    assert [_batches(persistent) for _ in range(2)] == ref


def test_worker_exception_propagates_with_original_message():
    class Bad(Squares):
        def __getitem__(self, i):
            if i == 5:
                raise KeyError("item 5 is broken")
            return super().__getitem__(i)
    dl = DataLoader(Bad(10), batch_size=2, num_workers=2)
    it = iter(dl)
    assert next(it)[0].tolist() == [0, 1]
    assert next(it)[0].tolist() == [2, 3]
    with pytest.raises(KeyError, match="item 5 is broken"):
        next(it)
    assert next(it)[0].tolist() == [6, 7]  # the loader goes on after the failed batch, as PyTorch
    with pytest.raises(KeyError, match="item 5 is broken"):
        list(DataLoader(Bad(10), batch_size=2))  # the same error without workers


def _worker_threads():
    return [t for t in threading.enumerate() if t.name.startswith("tinynn-DataLoader-worker")]


def _wait_no_workers(timeout=5.0):
    gc.collect()  # iterators kept alive by exception tracebacks (reference cycles) of other tests
    deadline = time.time() + timeout
    while _worker_threads() and time.time() < deadline:
        time.sleep(0.01)
    return _worker_threads()


def test_breaking_out_of_a_loop_stops_the_workers():
    assert _wait_no_workers() == []
    for i, _ in enumerate(DataLoader(Squares(100), batch_size=2, num_workers=3)):
        if i == 2:
            break
    assert _wait_no_workers() == []
    list(DataLoader(Squares(10), batch_size=2, num_workers=2))  # an exhausted loop too
    assert _wait_no_workers() == []
    dl = DataLoader(Squares(10), batch_size=2, num_workers=2, persistent_workers=True)
    list(dl)
    assert len(_worker_threads()) == 2  # persistent workers stay for the next epoch
    del dl
    assert _wait_no_workers() == []


def test_worker_info_and_init_fn():
    assert get_worker_info() is None
    seen = []
    lock = threading.Lock()

    class Who(Squares):
        def __getitem__(self, i):
            info = get_worker_info()
            return i, info.id

    def init(wid):
        with lock:
            seen.append((wid, get_worker_info().num_workers))
    batches = list(DataLoader(Who(8), batch_size=2, num_workers=2, worker_init_fn=init))
    assert sorted(seen) == [(0, 2), (1, 2)]
    assert [b[1].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]  # round robin


def test_iterable_dataset_sharded_by_worker_info():
    class Stream(IterableDataset):
        def __iter__(self):
            info = get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(start, 20, step))
    single = sorted(v for b in DataLoader(Stream(), batch_size=3) for v in b.tolist())
    multi = sorted(v for b in DataLoader(Stream(), batch_size=3, num_workers=3) for v in b.tolist())
    assert single == multi == list(range(20))
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=6, drop_last=True)] == \
        [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], [12, 13, 14, 15, 16, 17]]


def test_timeout_raises():
    class Slow(Squares):
        def __getitem__(self, i):
            time.sleep(0.6)
            return i
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        next(iter(DataLoader(Slow(2), num_workers=1, timeout=0.2)))


def test_tensor_dataset_fast_path_matches_per_item_path(device):
    x = tinynn.randn(50, 3, device=device)
    y = tinynn.arange(50, device=device)

    class PerItem(TensorDataset):
        def __getitem__(self, i):  # same items, but a subclass takes the per-item path
            return tuple(t[i] for t in self.tensors)
    for ds_fast, ds_slow in [(TensorDataset(x, y), PerItem(x, y)),
                             (Subset(TensorDataset(x, y), list(range(49, -1, -2))),
                              Subset(PerItem(x, y), list(range(49, -1, -2))))]:
        assert ds_fast._batch_fetcher() is not None and ds_slow._batch_fetcher() is None
        tinynn.manual_seed(4)
        fast = _batches(DataLoader(ds_fast, batch_size=7, shuffle=True))
        tinynn.manual_seed(4)
        assert _batches(DataLoader(ds_slow, batch_size=7, shuffle=True)) == fast


def test_torchvision_style_dataset_with_pil_images():
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (PIL image items)")

    class Pics(Dataset):
        def __init__(self):
            self.transform = T.ToTensor()

        def __len__(self):
            return 4

        def __getitem__(self, i):
            img = Image.fromarray(np.full((5, 6), 51 * i, np.uint8))
            return self.transform(img), i
    x, y = next(iter(DataLoader(Pics(), batch_size=4)))
    assert x.shape == (4, 1, 5, 6) and x.dtype == tinynn.float32 and y.dtype == tinynn.int64
    np.testing.assert_allclose(x[:, 0, 0, 0].numpy(), [0.0, 0.2, 0.4, 0.6], rtol=1e-6)
