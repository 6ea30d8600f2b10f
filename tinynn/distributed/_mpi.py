"""The MPI engine (mpi4py) for tensors in host memory.

A tensor's array goes to MPI as a buffer, in place: for a contiguous tensor MPI reads and writes
the tensor's own memory (no copy). A non-contiguous tensor, a list of tensors that must travel
as one message, or a dtype MPI cannot reduce (float16) goes through a contiguous staging array
that is written back when the operation completes.

Every operation is MPI's nonblocking form (Iallreduce, Ibcast, Iallgather, Ireduce_scatter_block,
Isend, ...). A blocking call waits on it under the process group's timeout by polling
`MPI_Testall` (which also drives MPI's progress), so a peer that never joins makes this rank raise
`DistBackendError` instead of waiting forever.
"""
from __future__ import annotations

import time

import numpy as np  # host buffers only: this engine handles CPU tensors

from ._common import DistBackendError, RedOpType, Work

# A waiting rank polls MPI without pause for this long (as MPI's own blocking calls do), then
# sleeps between polls, 20 us at first, doubling up to 200 us. Spinning is fastest when every
# process has a core; but a process that spins while its peer waits for a core (a busy or
# oversubscribed machine) takes the CPU the peer needs. Measured on a 2-core machine shared with
# other jobs (load ~16), 2-process DDP on the MNIST MLP: 56 ms per step (median of 3 runs) and
# 8.5 ms of CPU per rank and step, against 62 ms and 20 ms of CPU when spinning throughout.
_SPIN_SECONDS = 0.001
_SLEEP_FIRST, _SLEEP_MAX = 20e-6, 200e-6


class MPIWork(Work):
    """An MPI operation in flight: completes when all its requests have; `finish` then runs
    (write back staged data, divide for AVG)."""

    def __init__(self, engine, reqs, what, finish=None, status=None):
        super().__init__()
        self._engine = engine
        self._reqs = reqs
        self._what = what
        self._finish = finish
        self._status = status
        self._completed = False

    def is_completed(self) -> bool:
        if not self._completed:
            try:
                done = self._engine.MPI.Request.Testall(self._reqs, self._statuses())
            except self._engine.MPI.Exception as e:
                self._fail(e)
                return True
            if done:
                self._complete()
        return self._completed

    def wait(self, timeout=None) -> bool:
        if not self._completed:
            t = self._engine.timeout if timeout is None else _seconds(timeout)
            try:
                self._engine.wait_all(self._reqs, self._statuses(), t, self._what)
            except self._engine.MPI.Exception as e:
                self._fail(e)
            else:
                self._complete()
        if self._exc is not None:
            raise self._exc
        return True

    def source_rank(self) -> int:
        if self._status is None:
            raise RuntimeError("source_rank() is only available for recv/irecv work")
        self.wait()
        return self._status.Get_source()

    def _statuses(self):
        return None if self._status is None else [self._status]

    def _fail(self, e):
        """An MPI error: the work is over and failed; wait() raises it."""
        self._completed = True
        self._exc = DistBackendError(f"MPI error in {self._what} on rank {self._engine.rank}: {e}")

    def _complete(self):
        if not self._completed:
            self._completed = True
            if self._finish is not None:
                self._finish()


def _seconds(timeout) -> float:
    return timeout.total_seconds() if hasattr(timeout, "total_seconds") else float(timeout)


# MPI has no reduction for half precision: those tensors reduce through a float32 copy
_STAGED_DTYPES = {np.dtype(np.float16): np.dtype(np.float32)}


class MPIEngine:
    """Collectives over a private duplicate of MPI_COMM_WORLD (user MPI traffic cannot interfere)."""

    name = "mpi"

    def __init__(self, timeout_s: float):
        from mpi4py import MPI  # noqa: PLC0415 - importing initialises MPI: only on demand
        self.MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()
        self.comm.Set_errhandler(MPI.ERRORS_RETURN)  # MPI errors raise MPI.Exception, not abort
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.timeout = timeout_s
        self._ops = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
                     RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
                     RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}
        # bool tensors reduce with MPI's logical operations (C_BOOL has no arithmetic in MPI)
        self._bool_ops = {RedOpType.SUM: MPI.LOR, RedOpType.MAX: MPI.LOR, RedOpType.BOR: MPI.LOR,
                          RedOpType.PRODUCT: MPI.LAND, RedOpType.MIN: MPI.LAND,
                          RedOpType.BAND: MPI.LAND, RedOpType.BXOR: MPI.LXOR}

    def close(self):
        try:
            self.comm.Free()
        except Exception:  # noqa: BLE001 - MPI may already be finalised at interpreter exit
            pass

    def abort(self, code=1):
        self.MPI.COMM_WORLD.Abort(code)

    # ------------------------------------------------------------------ waiting
    def wait_all(self, reqs, statuses, timeout_s, what):
        """Poll until `reqs` complete; raise DistBackendError after `timeout_s` seconds."""
        testall = self.MPI.Request.Testall
        if testall(reqs, statuses):
            return
        start = time.monotonic()
        deadline, spin_until = start + timeout_s, start + _SPIN_SECONDS
        nap = _SLEEP_FIRST
        while not testall(reqs, statuses):
            now = time.monotonic()
            if now > spin_until:
                time.sleep(nap)  # a long wait must not take the CPU a peer may need
                nap = min(2 * nap, _SLEEP_MAX)
                if now > deadline:
                    raise DistBackendError(
                        f"tinynn.distributed: {what} timed out after {timeout_s:g} s on rank "
                        f"{self.rank} of {self.size}: a peer did not take part (it may have died, "
                        f"hung, or called a different collective)")

    def _start(self, what, fn, *args, finish=None, status=None, **kwargs):
        try:
            req = fn(*args, **kwargs)
        except self.MPI.Exception as e:
            raise DistBackendError(f"MPI error in {what} on rank {self.rank}: {e}") from None
        return MPIWork(self, [req], what, finish, status)

    # ------------------------------------------------------------------ buffers
    def _op(self, op, dtype):
        if op is RedOpType.PREMUL_SUM:
            raise NotImplementedError("ReduceOp.PREMUL_SUM is not implemented in tinynn.distributed")
        if dtype.kind == "b":
            if op is RedOpType.AVG:
                raise RuntimeError("ReduceOp.AVG is not supported for bool tensors")
            return self._bool_ops[op]
        if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and dtype.kind not in "iu":
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype {dtype}")
        return self._ops[op]

    def _reducible(self, arr):
        """(buffer MPI reduces in place, write-back or None): `arr` itself when possible."""
        to = _STAGED_DTYPES.get(arr.dtype)
        if to is not None:
            stage = arr.astype(to)
        elif not arr.flags.c_contiguous:
            stage = np.ascontiguousarray(arr)
        else:
            return arr, None

        def write_back():
            arr[...] = stage
        return stage, write_back

    def _contiguous(self, arr):
        """(contiguous buffer over the same values, write-back or None)."""
        if arr.flags.c_contiguous:
            return arr, None
        stage = np.ascontiguousarray(arr)

        def write_back():
            arr[...] = stage
        return stage, write_back

    def _average(self, buf):
        _divide(buf, self.size)

    def _bytes(self, buf):
        """A buffer spec moving `buf`'s bytes (any dtype) for the non-reducing collectives."""
        return [buf, self.MPI.BYTE]

    @staticmethod
    def _chain(*fns):
        fns = [f for f in fns if f is not None]
        if not fns:
            return None

        def run():
            for f in fns:
                f()
        return run

    # ------------------------------------------------------------------ collectives
    def all_reduce(self, arr, op):
        buf, back = self._reducible(arr)
        avg = (lambda: self._average(buf)) if op is RedOpType.AVG else None
        return self._start("all_reduce", self.comm.Iallreduce, self.MPI.IN_PLACE, buf,
                           self._op(op, buf.dtype), finish=self._chain(avg, back))

    def reduce(self, arr, dst, op):
        buf, back = self._reducible(arr)
        mop = self._op(op, buf.dtype)
        if self.rank == dst:
            avg = (lambda: self._average(buf)) if op is RedOpType.AVG else None
            return self._start("reduce", self.comm.Ireduce, self.MPI.IN_PLACE, buf, mop, root=dst,
                               finish=self._chain(avg, back))
        return self._start("reduce", self.comm.Ireduce, buf, None, mop, root=dst)

    def broadcast(self, arr, src):
        buf, back = self._contiguous(arr)
        return self._start("broadcast", self.comm.Ibcast, self._bytes(buf), root=src,
                           finish=back if self.rank != src else None)

    def all_gather(self, out, arr, write_out=None):
        """Gather `arr` from every rank into the contiguous `out` ((size, *arr.shape) bytes)."""
        buf, _ = self._contiguous(arr)
        return self._start("all_gather", self.comm.Iallgather, self._bytes(buf), self._bytes(out),
                           finish=write_out)

    def reduce_scatter(self, out, inp, op, write_in=None):
        """Reduce the contiguous `inp` ((size, *out.shape)) and scatter row `rank` into `out`."""
        obuf, back = self._reducible(out)
        if inp.dtype != obuf.dtype:
            inp = inp.astype(obuf.dtype)
        avg = (lambda: self._average(obuf)) if op is RedOpType.AVG else None
        return self._start("reduce_scatter", self.comm.Ireduce_scatter_block, inp, obuf,
                           self._op(op, obuf.dtype), finish=self._chain(avg, back))

    def gather(self, out, arr, dst, write_out=None):
        buf, _ = self._contiguous(arr)
        recv = self._bytes(out) if self.rank == dst else None
        return self._start("gather", self.comm.Igather, self._bytes(buf), recv, root=dst,
                           finish=write_out if self.rank == dst else None)

    def scatter(self, arr, inp, src):
        buf, back = self._contiguous(arr)
        send = self._bytes(inp) if self.rank == src else None
        return self._start("scatter", self.comm.Iscatter, send, self._bytes(buf), root=src,
                           finish=back)

    def send(self, arr, dst, tag):
        buf, _ = self._contiguous(arr)
        return self._start("send", self.comm.Isend, self._bytes(buf), dest=dst, tag=tag)

    def recv(self, arr, src, tag):
        buf, back = self._contiguous(arr)
        source = self.MPI.ANY_SOURCE if src is None else src
        return self._start("recv", self.comm.Irecv, self._bytes(buf), source=source, tag=tag,
                           finish=back, status=self.MPI.Status())

    def barrier(self):
        return self._start("barrier", self.comm.Ibarrier)

    # ------------------------------------------------------------------ Python objects
    def allgather_object(self, obj):
        return self.comm.allgather(obj)

    def bcast_object(self, obj, src):
        return self.comm.bcast(obj, root=src)

    def gather_object(self, obj, dst):
        return self.comm.gather(obj, root=dst)

    def scatter_object(self, objs, src):
        return self.comm.scatter(objs, root=src)


def _divide(buf, n):
    """buf /= n in place; integers truncate toward zero (C division, as NCCL's ncclAvg)."""
    if buf.dtype.kind in "fc":
        np.true_divide(buf, n, out=buf)
    else:
        q = np.abs(buf) // n
        np.copyto(buf, np.where(buf < 0, -q, q), casting="unsafe")
