"""A stand-in for `cupy.cuda.nccl`, for testing tinynn's NCCL engine without a GPU.

It has the calls tinynn uses (get_unique_id, NcclCommunicator.allReduce/reduce/broadcast/
allGather/reduceScatter/send/recv/destroy/abort, groupStart/groupEnd) with CuPy's signatures:
raw device pointers, element counts, NCCL dtype and op codes, a stream pointer. Here a "device
pointer" is the address of a CuPy stand-in array's NumPy memory, and the communication is done
by MPI between the processes of the mpirun job, with NCCL's semantics (in place when the send
and receive pointers are equal). `calls` counts the calls so tests can check the NCCL engine (not
MPI) carried the cuda tensors. Not emulated: streams (everything completes at once), NCCL's own
errors and timeouts.
"""
from __future__ import annotations

import ctypes
import random
from collections import Counter

import numpy as np
from mpi4py import MPI

NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4
(NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_UINT32, NCCL_INT64, NCCL_UINT64, NCCL_FLOAT16,
 NCCL_FLOAT32, NCCL_FLOAT64) = range(9)
NCCL_CHAR, NCCL_INT, NCCL_HALF, NCCL_FLOAT, NCCL_DOUBLE = 0, 2, 6, 7, 8

_DTYPES = {NCCL_INT8: np.int8, NCCL_UINT8: np.uint8, NCCL_INT32: np.int32, NCCL_UINT32: np.uint32,
           NCCL_INT64: np.int64, NCCL_UINT64: np.uint64, NCCL_FLOAT16: np.float16,
           NCCL_FLOAT32: np.float32, NCCL_FLOAT64: np.float64}
_OPS = {NCCL_SUM: MPI.SUM, NCCL_PROD: MPI.PROD, NCCL_MAX: MPI.MAX, NCCL_MIN: MPI.MIN}

available = True
calls: Counter = Counter()
_group: list | None = None


class NcclError(RuntimeError):
    pass


def _mem(ptr, count, datatype):
    """The `count` elements of NCCL type `datatype` at address `ptr`, as a writable array."""
    dt = np.dtype(_DTYPES[datatype])
    if count == 0:
        return np.empty(0, dt)
    raw = (ctypes.c_uint8 * (count * dt.itemsize)).from_address(ptr)
    return np.ctypeslib.as_array(raw).view(dt)


def _reduce_avg(buf, op, size):
    if op == NCCL_AVG:
        if buf.dtype.kind == "f":
            buf /= size
        else:
            buf[...] = np.trunc(buf / size).astype(buf.dtype)


def get_unique_id():
    return tuple(random.randrange(-128, 128) for _ in range(128))


def get_version():
    return 22000


def groupStart():  # noqa: N802 - CuPy's name
    global _group
    _group = []


def groupEnd():  # noqa: N802
    global _group
    ops, _group = _group, None
    reqs = []
    for kind, comm, arr, peer in ops:
        reqs.append(comm.Isend(arr, dest=peer, tag=7) if kind == "send" else
                    comm.Irecv(arr, source=peer, tag=7))
    MPI.Request.Waitall(reqs)


class NcclCommunicator:
    def __init__(self, ndev, commId, rank):  # noqa: N803
        assert isinstance(commId, tuple) and len(commId) == 128, "commId must be get_unique_id()"
        self._mpi = MPI.COMM_WORLD.Dup()
        ids = self._mpi.allgather(commId)
        if any(i != ids[0] for i in ids):
            raise NcclError("ranks were given different unique ids: the bootstrap is broken")
        if ndev != self._mpi.Get_size() or rank != self._mpi.Get_rank():
            raise NcclError(f"ndev={ndev}, rank={rank} do not match the job")
        self._rank, self._size = rank, ndev
        calls["init"] += 1

    def rank_id(self):
        return self._rank

    def size(self):
        return self._size

    def device_id(self):
        return 0

    def destroy(self):
        if self._mpi is not None:
            self._mpi.Free()
            self._mpi = None

    def abort(self):
        self.destroy()

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):  # noqa: N802
        calls["allReduce"] += 1
        recv = _mem(recvbuf, count, datatype)
        send = _mem(sendbuf, count, datatype).copy()
        if datatype == NCCL_FLOAT16:  # NCCL reduces half precision; MPI has no such type
            out = np.empty(count, np.float32)
            self._mpi.Allreduce(send.astype(np.float32), out, op=_OPS[NCCL_SUM if op == NCCL_AVG else op])
            recv[...] = out
        else:
            self._mpi.Allreduce(send, recv, op=_OPS[NCCL_SUM if op == NCCL_AVG else op])
        _reduce_avg(recv, op, self._size)

    def reduce(self, sendbuf, recvbuf, count, datatype, op, root, stream):
        calls["reduce"] += 1
        send = _mem(sendbuf, count, datatype)
        mop = _OPS[NCCL_SUM if op == NCCL_AVG else op]
        if self._rank == root:
            recv = _mem(recvbuf, count, datatype)
            self._mpi.Reduce(MPI.IN_PLACE if sendbuf == recvbuf else send.copy(), recv, op=mop,
                             root=root)
            _reduce_avg(recv, op, self._size)
        else:
            self._mpi.Reduce(send.copy(), None, op=mop, root=root)

    def broadcast(self, sendbuff, recvbuff, count, datatype, root, stream):
        calls["broadcast"] += 1
        recv = _mem(recvbuff, count, datatype)
        if self._rank == root and sendbuff != recvbuff:
            recv[...] = _mem(sendbuff, count, datatype)
        self._mpi.Bcast(recv, root=root)

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):  # noqa: N802
        calls["allGather"] += 1
        send = _mem(sendbuf, count, datatype).copy()
        self._mpi.Allgather(send, _mem(recvbuf, count * self._size, datatype))

    def reduceScatter(self, sendbuf, recvbuf, recvcount, datatype, op, stream):  # noqa: N802
        calls["reduceScatter"] += 1
        send = _mem(sendbuf, recvcount * self._size, datatype).copy()
        recv = _mem(recvbuf, recvcount, datatype)
        self._mpi.Reduce_scatter_block(send, recv, op=_OPS[NCCL_SUM if op == NCCL_AVG else op])
        _reduce_avg(recv, op, self._size)

    def send(self, sendbuf, count, datatype, peer, stream):
        calls["send"] += 1
        arr = _mem(sendbuf, count, datatype)
        if _group is not None:
            _group.append(("send", self._mpi, arr, peer))
        else:
            self._mpi.Send(arr, dest=peer, tag=7)

    def recv(self, recvbuf, count, datatype, peer, stream):
        calls["recv"] += 1
        arr = _mem(recvbuf, count, datatype)
        if _group is not None:
            _group.append(("recv", self._mpi, arr, peer))
        else:
            self._mpi.Recv(arr, source=peer, tag=7)
