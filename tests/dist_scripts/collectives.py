"""Every collective of tinynn.distributed against its definition (run under mpirun -np N >= 2).

Rank r contributes values that depend on r; each result is compared with what the definition
gives for the contributions of all ranks, computed here with NumPy. Usage:
    mpirun -np 2 ... python collectives.py {cpu|cuda-standin|cuda}
"""
from __future__ import annotations

import sys

import numpy as np
from _setup import init

MODE = sys.argv[1] if len(sys.argv) > 1 else "cpu"
dist, DEV = init(MODE)

import tinynn as torch  # noqa: E402
from tinynn.distributed import ReduceOp  # noqa: E402

R, N = dist.get_rank(), dist.get_world_size()
assert N >= 2, "run with at least 2 processes"
assert dist.is_initialized() and dist.get_backend() == ("mpi" if DEV == "cpu" else "nccl")
NCCL = DEV == "cuda"


def contrib(r, shape=(2, 3), dtype=np.float32):
    """What rank r puts in: distinct per rank and per element, exact in float32."""
    return (np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * (r + 1) - r
            ).astype(dtype)


def mine(shape=(2, 3), dtype=np.float32, **kw):
    return torch.tensor(contrib(R, shape, dtype), device=DEV, **kw)


def host(t):
    return t.cpu().numpy()


def check(name, got, want, exact=True):
    got, want = np.asarray(got), np.asarray(want)
    ok = got.shape == want.shape and (np.array_equal(got, want) if exact else
                                      np.allclose(got, want, rtol=1e-6, atol=1e-6))
    if not ok:
        raise AssertionError(f"rank {R}: {name}: got\n{got}\nwant\n{want}")


ALL = np.stack([contrib(r) for r in range(N)])

# --- all_reduce: every op, every rank gets the result, in place --------------------------------
for op, ref in ((ReduceOp.SUM, ALL.sum(0)), (ReduceOp.AVG, ALL.sum(0) / N),
                (ReduceOp.MAX, ALL.max(0)), (ReduceOp.MIN, ALL.min(0)),
                (ReduceOp.PRODUCT, ALL.prod(0))):
    t = mine()
    data_before = t.data_ptr()
    assert dist.all_reduce(t, op=op) is None
    check(f"all_reduce {op}", host(t), ref, exact=op is not ReduceOp.AVG)
    assert t.data_ptr() == data_before  # in place

# integer tensors (AVG truncates toward zero), float64, a 0-dim tensor, an empty tensor
ti = mine(dtype=np.int64)
dist.all_reduce(ti)
check("all_reduce int64", host(ti), ALL.astype(np.int64).sum(0))
ti = torch.tensor([7, -7, 5], device=DEV) * (R + 1)
dist.all_reduce(ti, op=ReduceOp.AVG)
s = np.array([7, -7, 5]) * sum(r + 1 for r in range(N))
check("all_reduce AVG int", host(ti), np.trunc(s / N).astype(np.int64))
td = mine(dtype=np.float64)
dist.all_reduce(td, op=ReduceOp.MAX)
check("all_reduce float64", host(td), ALL.astype(np.float64).max(0))
t0 = torch.tensor(float(R + 1), device=DEV)
dist.all_reduce(t0)
check("all_reduce 0-dim", host(t0), np.float32(sum(r + 1 for r in range(N))))
te = torch.zeros(0, 3, device=DEV)
dist.all_reduce(te)
assert te.shape == (0, 3)
# float16 (MPI has no half reductions: staged through float32) and bool (logical OR / AND)
th = mine(dtype=np.float16)
dist.all_reduce(th)
check("all_reduce float16", host(th), ALL.astype(np.float16).astype(np.float32).sum(0).astype(np.float16))
tb = torch.tensor([R == 0, False, True], device=DEV)
dist.all_reduce(tb)  # SUM of bools = any
check("all_reduce bool SUM", host(tb), [True, False, True])
tb = torch.tensor([R == 0, False, True], device=DEV)
dist.all_reduce(tb, op=ReduceOp.MIN)  # = all
check("all_reduce bool MIN", host(tb), [N == 1, False, True])
if not NCCL:  # bitwise ops: MPI only (NCCL has none)
    tw = torch.tensor([1 << R, 3, 6], device=DEV)
    dist.all_reduce(tw, op=ReduceOp.BOR)
    check("all_reduce BOR", host(tw), [(1 << N) - 1, 3, 6])
# a non-contiguous tensor is reduced in place too (through a staging copy)
base = mine((3, 4))
tt = base.t()
assert not tt.is_contiguous()
dist.all_reduce(tt)
check("all_reduce non-contiguous", host(base), np.stack([contrib(r, (3, 4)) for r in range(N)]).sum(0))
# a leaf that requires grad: the data changes, autograd does not see it (as PyTorch)
p = mine(requires_grad=True)
dist.all_reduce(p)
assert p.requires_grad and p.grad_fn is None and p.is_leaf
check("all_reduce requires_grad", host(p.detach()), ALL.sum(0))

# --- async: Work handles --------------------------------------------------------------------
t = mine()
w = dist.all_reduce(t, op=ReduceOp.SUM, async_op=True)
assert isinstance(w, dist.Work)
assert w.wait() is True and w.is_completed() and w.is_success() and w.exception() is None
check("async all_reduce", host(t), ALL.sum(0))
assert w.result()[0] is t
t = mine()
fut = dist.all_reduce(t, op=ReduceOp.MAX, async_op=True).get_future()
chained = fut.then(lambda f: f.value()[0] * 2)
check("future.then", host(chained.wait()), ALL.max(0) * 2)
assert fut.done()
works = [dist.all_reduce(mine(), async_op=True) for _ in range(3)]  # several in flight at once
while not all(w.is_completed() for w in works):
    pass

# --- broadcast from a non-zero root -----------------------------------------------------------
src = N - 1
t = mine()
dist.broadcast(t, src=src)
check("broadcast", host(t), contrib(src))
t = mine((3, 4)).t()  # non-contiguous receiver
dist.broadcast(t, src=src)
check("broadcast non-contiguous", host(t), contrib(src, (3, 4)).T)
t = mine()
dist.broadcast(t, src=0, async_op=True).wait()
check("broadcast async", host(t), contrib(0))

# --- all_gather, all_gather_into_tensor -------------------------------------------------------
outs = [torch.zeros(2, 3, device=DEV) for _ in range(N)]
dist.all_gather(outs, mine())
for r in range(N):
    check(f"all_gather[{r}]", host(outs[r]), contrib(r))
out = torch.zeros(N * 2, 3, device=DEV)
dist.all_gather_into_tensor(out, mine())
check("all_gather_into_tensor (concatenated)", host(out), ALL.reshape(N * 2, 3))
out = torch.zeros(N, 2, 3, device=DEV)
dist.all_gather_into_tensor(out, mine())
check("all_gather_into_tensor (stacked)", host(out), ALL)
w = dist.all_gather(outs, mine() + 1, async_op=True)
w.wait()
check("all_gather async", host(outs[N - 1]), contrib(N - 1) + 1)

# --- reduce_scatter, reduce_scatter_tensor: rank i gets the reduction of everyone's block i ----
blocks = [np.stack([contrib(r, (2, 3)) + 10 * i for i in range(N)]) for r in range(N)]  # [r][i]
out = torch.zeros(2, 3, device=DEV)
dist.reduce_scatter(out, [torch.tensor(b, device=DEV) for b in blocks[R]])
check("reduce_scatter", host(out), sum(blocks[r][R] for r in range(N)))
out = torch.zeros(2, 3, device=DEV)
dist.reduce_scatter(out, [torch.tensor(b, device=DEV) for b in blocks[R]], op=ReduceOp.MAX)
check("reduce_scatter MAX", host(out), np.max([blocks[r][R] for r in range(N)], axis=0))
out = torch.zeros(2, 3, device=DEV)
dist.reduce_scatter_tensor(out, torch.tensor(blocks[R].reshape(N * 2, 3), device=DEV),
                           op=ReduceOp.AVG)
check("reduce_scatter_tensor AVG", host(out), sum(blocks[r][R] for r in range(N)) / N, exact=False)

# --- reduce, gather, scatter to / from a non-zero rank ----------------------------------------
dst = N - 1
t = mine()
dist.reduce(t, dst=dst, op=ReduceOp.SUM)
check("reduce", host(t), ALL.sum(0) if R == dst else contrib(R))
gl = [torch.zeros(2, 3, device=DEV) for _ in range(N)] if R == dst else None
dist.gather(mine(), gl, dst=dst)
if R == dst:
    for r in range(N):
        check(f"gather[{r}]", host(gl[r]), contrib(r))
t = torch.zeros(2, 3, device=DEV)
sl = [torch.tensor(contrib(r) * 100, device=DEV) for r in range(N)] if R == dst else None
dist.scatter(t, sl, src=dst)
check("scatter", host(t), contrib(R) * 100)

# --- point to point ---------------------------------------------------------------------------
if R == 0:
    dist.send(mine(), dst=1)
    dist.send(mine() * 2, dst=1, tag=5)
elif R == 1:
    t = torch.zeros(2, 3, device=DEV)
    assert dist.recv(t, src=0) == 0
    check("recv", host(t), contrib(0))
    t = torch.zeros(2, 3, device=DEV)
    if NCCL:  # NCCL needs the source rank
        w = dist.irecv(t, src=0, tag=5)
    else:
        w = dist.irecv(t, tag=5)
    w.wait()
    assert w.source_rank() == 0
    check("irecv", host(t), contrib(0) * 2)
# a ring of isend/irecv in flight together
nxt, prv = (R + 1) % N, (R - 1) % N
t = torch.zeros(2, 3, device=DEV)
ws = [dist.isend(mine(), dst=nxt), dist.irecv(t, src=prv)]
for w in ws:
    w.wait()
check("isend/irecv ring", host(t), contrib(prv))

# --- objects, barrier -------------------------------------------------------------------------
objs = [None] * N
dist.all_gather_object(objs, {"rank": R})
assert objs == [{"rank": r} for r in range(N)], objs
lst = [R, "x"] if R == src else [None, None]
dist.broadcast_object_list(lst, src=src)
assert lst == [src, "x"], lst
dist.barrier()
assert dist.barrier(async_op=True).wait()

# --- errors as PyTorch's ----------------------------------------------------------------------
def raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return str(e)
    raise AssertionError(f"{fn.__name__} did not raise {exc.__name__}")


raises(ValueError, dist.broadcast, mine(), src=N)
raises(TypeError, dist.all_reduce, [mine()])
raises(RuntimeError, dist.all_gather, [mine()] * (N + 1), mine())
raises(RuntimeError, dist.all_gather, [torch.zeros(3, device=DEV)] * N, mine())
raises(ValueError, dist.send, mine(), dst=R)
raises(RuntimeError, dist.all_gather_into_tensor, torch.zeros(3, device=DEV), mine())
raises(ValueError, dist.init_process_group, "mpi")

if NCCL:
    # the cuda tensors above went through the NCCL engine; CPU tensors still go through MPI
    import fakenccl
    for call in ("init", "allReduce", "broadcast", "allGather", "reduceScatter", "reduce", "send",
                 "recv"):
        assert fakenccl.calls[call] > 0, (call, fakenccl.calls)
    n = fakenccl.calls["allReduce"]
    c = torch.ones(3)
    dist.all_reduce(c)
    assert fakenccl.calls["allReduce"] == n and host(c).tolist() == [N] * 3
    # NCCL without ncclAvg (older NCCL / CuPy): SUM then a division on the device
    pg = dist.group.WORLD
    pg._nccl._avg = None
    t = mine()
    dist.all_reduce(t, op=ReduceOp.AVG)
    check("AVG without ncclAvg", host(t), ALL.sum(0) / N, exact=False)

dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {R}: collectives OK ({MODE})", flush=True)
