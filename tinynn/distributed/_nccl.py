"""The NCCL engine for tensors on the GPU: a thin layer over CuPy's `cupy.cuda.nccl`.

One `NcclCommunicator` per process, on the current CUDA device, created from a unique id that
rank 0 makes and MPI broadcasts (so NCCL jobs are launched with mpirun too). Operations are
enqueued on the current CUDA stream with the arrays' device pointers, in place; whatever the
caller enqueues afterwards on that stream sees the result, so the returned `Work` is complete
from the host's point of view (as PyTorch's NCCL work, `wait()` never blocks the host).

Not run on this project's machines (no GPU): its logic is exercised against a stand-in
`nccl` module over MPI in tests/test_distributed.py.
"""
from __future__ import annotations

import numpy as np  # dtype metadata only

from ..backend import get_array_module
from ._common import RedOpType, Work


class NCCLEngine:
    name = "nccl"

    def __init__(self, cupy, mpi_engine):
        self.cupy = cupy
        nccl = getattr(cupy.cuda, "nccl", None)
        if nccl is None:
            from ..backend import cuda_nccl  # noqa: PLC0415 - only the backend imports CuPy
            nccl = cuda_nccl()  # RuntimeError naming the reason when CuPy has no NCCL
        self.nccl = nccl
        self.rank, self.size = mpi_engine.rank, mpi_engine.size
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = mpi_engine.bcast_object(uid, 0)  # bootstrap over MPI
        self.comm = nccl.NcclCommunicator(self.size, uid, self.rank)
        self._types = {np.dtype(k): getattr(nccl, v) for k, v in (
            ("float16", "NCCL_FLOAT16"), ("float32", "NCCL_FLOAT32"), ("float64", "NCCL_FLOAT64"),
            ("int8", "NCCL_INT8"), ("uint8", "NCCL_UINT8"), ("int32", "NCCL_INT32"),
            ("uint32", "NCCL_UINT32"), ("int64", "NCCL_INT64"), ("uint64", "NCCL_UINT64"))}
        self._ops = {RedOpType.SUM: nccl.NCCL_SUM, RedOpType.PRODUCT: nccl.NCCL_PROD,
                     RedOpType.MIN: nccl.NCCL_MIN, RedOpType.MAX: nccl.NCCL_MAX}
        self._avg = getattr(nccl, "NCCL_AVG", None)  # NCCL >= 2.10 (not exported by every CuPy)

    def close(self):
        self.comm.destroy()

    def abort(self):
        self.comm.abort()

    # ------------------------------------------------------------------ buffers
    def _stream(self):
        return self.cupy.cuda.get_current_stream().ptr

    def _contiguous(self, arr):
        if arr.flags.c_contiguous:
            return arr, None
        stage = get_array_module(arr).ascontiguousarray(arr)

        def write_back():
            arr[...] = stage
        return stage, write_back

    def _typed(self, buf, op):
        """(array NCCL reduces, element count, NCCL dtype, NCCL op, divide after?) for `op`."""
        if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR, RedOpType.PREMUL_SUM):
            raise RuntimeError(f"ReduceOp.{op.name} is not supported by the nccl backend")
        dt = buf.dtype
        if dt.kind == "b":  # as uint8: OR for SUM/MAX, AND for PRODUCT/MIN
            if op is RedOpType.AVG:
                raise RuntimeError("ReduceOp.AVG is not supported for bool tensors")
            op = RedOpType.MAX if op is RedOpType.SUM else RedOpType.MIN if op is RedOpType.PRODUCT \
                else op
            buf = buf.view(np.uint8)
        elif dt.kind == "c":  # a complex sum is the sum of the real and imaginary parts
            if op not in (RedOpType.SUM, RedOpType.AVG):
                raise RuntimeError(f"ReduceOp.{op.name} is not supported for complex tensors")
            buf = buf.view(np.float32 if dt.itemsize == 8 else np.float64)
        if buf.dtype not in self._types:
            raise RuntimeError(f"the nccl backend does not support dtype {dt}")
        divide = False
        if op is RedOpType.AVG:
            if self._avg is not None:
                nop = self._avg
            else:
                nop, divide = self._ops[RedOpType.SUM], True
        else:
            nop = self._ops[op]
        return buf, buf.size, self._types[buf.dtype], nop, divide

    def _divide(self, buf):
        xp = get_array_module(buf)
        if buf.dtype.kind in "fc":
            xp.true_divide(buf, self.size, out=buf)
        else:  # truncate toward zero, as ncclAvg does on integers
            q = xp.abs(buf) // self.size
            buf[...] = xp.where(buf < 0, -q, q)

    # ------------------------------------------------------------------ collectives
    def all_reduce(self, arr, op):
        buf, back = self._contiguous(arr)
        v, n, dt, nop, divide = self._typed(buf, op)
        p = v.data.ptr
        self.comm.allReduce(p, p, n, dt, nop, self._stream())
        if divide:
            self._divide(buf)
        if back:
            back()
        return Work()

    def reduce(self, arr, dst, op):
        buf, back = self._contiguous(arr)
        v, n, dt, nop, divide = self._typed(buf, op)
        p = v.data.ptr
        self.comm.reduce(p, p, n, dt, nop, dst, self._stream())
        if self.rank == dst:
            if divide:
                self._divide(buf)
            if back:
                back()
        return Work()

    def broadcast(self, arr, src):
        buf, back = self._contiguous(arr)
        p = buf.data.ptr
        self.comm.broadcast(p, p, buf.nbytes, self.nccl.NCCL_UINT8, src, self._stream())
        if back and self.rank != src:
            back()
        return Work()

    def all_gather(self, out, arr, write_out=None):
        buf, _ = self._contiguous(arr)
        self.comm.allGather(buf.data.ptr, out.data.ptr, buf.nbytes, self.nccl.NCCL_UINT8,
                            self._stream())
        if write_out:
            write_out()
        return Work()

    def reduce_scatter(self, out, inp, op, write_in=None):
        obuf, back = self._contiguous(out)
        if inp.dtype != obuf.dtype:
            inp = inp.astype(obuf.dtype)
        v, n, dt, nop, divide = self._typed(obuf, op)
        iv = self._typed(inp, op)[0]
        self.comm.reduceScatter(iv.data.ptr, v.data.ptr, n, dt, nop, self._stream())
        if divide:
            self._divide(obuf)
        if back:
            back()
        return Work()

    def gather(self, out, arr, dst, write_out=None):
        buf, _ = self._contiguous(arr)
        s, u8 = self._stream(), self.nccl.NCCL_UINT8
        self.nccl.groupStart()
        try:
            if self.rank == dst:
                for r in range(self.size):
                    self.comm.recv(out[r].data.ptr, buf.nbytes, u8, r, s)
            self.comm.send(buf.data.ptr, buf.nbytes, u8, dst, s)
        finally:
            self.nccl.groupEnd()
        if write_out and self.rank == dst:
            write_out()
        return Work()

    def scatter(self, arr, inp, src):
        buf, back = self._contiguous(arr)
        s, u8 = self._stream(), self.nccl.NCCL_UINT8
        self.nccl.groupStart()
        try:
            if self.rank == src:
                for r in range(self.size):
                    self.comm.send(inp[r].data.ptr, buf.nbytes, u8, r, s)
            self.comm.recv(buf.data.ptr, buf.nbytes, u8, src, s)
        finally:
            self.nccl.groupEnd()
        if back:
            back()
        return Work()

    def send(self, arr, dst, tag):
        buf, _ = self._contiguous(arr)
        self.comm.send(buf.data.ptr, buf.nbytes, self.nccl.NCCL_UINT8, dst, self._stream())
        return Work()

    def recv(self, arr, src, tag):
        if src is None:
            raise RuntimeError("the nccl backend cannot receive from any source: pass src")
        buf, back = self._contiguous(arr)
        self.comm.recv(buf.data.ptr, buf.nbytes, self.nccl.NCCL_UINT8, src, self._stream())
        if back:
            back()
        return Work(source=src)
