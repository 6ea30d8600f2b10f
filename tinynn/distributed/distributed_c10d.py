"""The process group and the collectives on tensors, as `torch.distributed`.

Engines: MPI (mpi4py) for tensors in host memory, NCCL (cupy.cuda.nccl) for tensors on the GPU.
Processes are started by `mpirun`/`mpiexec`, which gives each its rank and the world size.
Collectives act on the tensors' data in place, outside autograd, as PyTorch's do.
"""
from __future__ import annotations

import datetime
import sys

from ..backend import cuda_module, is_cuda_array
from ._common import ReduceOp, Work, _as_op

__all__ = ["Backend", "ProcessGroup", "GroupMember", "group", "init_process_group",
           "destroy_process_group", "is_available", "is_initialized", "is_mpi_available",
           "is_nccl_available", "is_gloo_available", "is_torchelastic_launched", "get_rank",
           "get_world_size", "get_backend", "get_process_group_ranks", "get_global_rank",
           "get_group_rank", "new_group", "barrier", "all_reduce", "reduce", "broadcast",
           "all_gather", "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor",
           "gather", "scatter", "send", "recv", "isend", "irecv", "all_gather_object",
           "broadcast_object_list", "gather_object", "scatter_object_list",
           "default_pg_timeout"]

default_pg_timeout = datetime.timedelta(minutes=30)

_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


class Backend(str):
    """The name of a communication engine: `Backend.MPI` ("mpi"), `Backend.NCCL` ("nccl")."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {type(name)}")
        return str.__new__(cls, name.lower())


class ProcessGroup:
    """A set of processes running collectives together. tinynn has one: the world
    (`group.WORLD`), over MPI_COMM_WORLD, plus NCCL for cuda tensors with the nccl backend."""

    def __init__(self, backend: str, mpi, nccl, timeout: float):
        self._backend = Backend(backend)
        self._mpi = mpi
        self._nccl = nccl
        self._timeout = timeout

    def rank(self) -> int:
        return self._mpi.rank

    def size(self) -> int:
        return self._mpi.size

    def name(self) -> str:
        return self._backend.upper()

    def _engine(self, cuda: bool):
        if not cuda:
            return self._mpi
        if self._nccl is None:
            raise RuntimeError(f"the {self._backend!r} backend handles CPU tensors; tensors on a cuda "
                               f"device need init_process_group(backend='nccl')")
        return self._nccl

    def __repr__(self):
        return f"<ProcessGroup {self._backend} rank={self.rank()} size={self.size()}>"


_state = {"pg": None, "excepthook": None}


class _WorldMeta(type):
    @property
    def WORLD(cls):  # noqa: N802 - torch's name
        return _state["pg"]


class GroupMember(metaclass=_WorldMeta):
    """`GroupMember.WORLD`: the default process group (None before init_process_group)."""

    NON_GROUP_MEMBER = -100


class group(GroupMember):  # noqa: N801 - torch's name
    """`group.WORLD`: the default process group."""


# ---------------------------------------------------------------------------- availability
def is_mpi_available() -> bool:
    """Whether mpi4py can be imported (it is not imported, so MPI is not initialised)."""
    import importlib.util  # noqa: PLC0415
    return importlib.util.find_spec("mpi4py") is not None


def is_nccl_available() -> bool:
    """Whether CuPy with a GPU and its NCCL bindings are there."""
    try:
        cp = cuda_module()
        from ..backend import cuda_nccl  # noqa: PLC0415
        cuda_nccl()
    except Exception:  # noqa: BLE001 - no CuPy, no GPU or no NCCL: all mean "not available"
        return False
    return getattr(cp, "_IS_STANDIN", False) is False


def is_gloo_available() -> bool:
    return False


def is_available() -> bool:
    """Whether a communication engine is installed (mpi4py: the nccl backend needs it too)."""
    return is_mpi_available()


def is_torchelastic_launched() -> bool:
    return False


def is_initialized() -> bool:
    return _state["pg"] is not None


# ---------------------------------------------------------------------------- init / destroy
def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Join the job started by `mpirun -np N python script.py`.

    backend "mpi" (the default): every process of the MPI job, CPU tensors through MPI.
    backend "nccl": the same processes; cuda tensors through NCCL on the current CUDA device
    (set it first, e.g. `tinynn.cuda.set_device(local_rank)`), CPU tensors still through MPI.
    Rank and world size come from MPI: `rank`/`world_size`, if given, must agree with it;
    `init_method` and `store` are not needed and ignored. `timeout` bounds every wait
    (default 30 minutes): a rank whose peer does not join raises DistBackendError.

    Once initialised, an exception that escapes to the top of a process of a job of several
    processes aborts the whole job (MPI_Abort), as `python -m mpi4py` does, so that the other
    processes do not wait forever in their next collective."""
    if _state["pg"] is not None:
        raise ValueError("trying to initialize the default process group twice!")
    backend = Backend(backend if backend is not None else Backend.MPI)
    if backend not in (Backend.MPI, Backend.NCCL):
        raise ValueError(f"tinynn.distributed supports the 'mpi' and 'nccl' backends (processes "
                         f"launched with mpirun), got {str(backend)!r}")
    if timeout is None:
        timeout = default_pg_timeout
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout).__name__}")
    if not is_mpi_available():
        raise RuntimeError(f"the {str(backend)!r} backend needs mpi4py and an MPI library: "
                           f"apt-get install openmpi-bin libopenmpi-dev, then pip install -e "
                           f"'.[distributed]' in tinynn's repository; launch with mpirun")
    from ._mpi import MPIEngine  # noqa: PLC0415
    mpi = MPIEngine(timeout.total_seconds())
    if world_size not in (-1, None, mpi.size) or rank not in (-1, None, mpi.rank):
        mpi.close()
        raise ValueError(f"world_size={world_size} and rank={rank} do not match the MPI job "
                         f"(size {mpi.size}, this process has rank {mpi.rank}): with tinynn's "
                         f"backends both come from mpirun")
    nccl = None
    if backend == Backend.NCCL:
        try:
            cp = cuda_module()
            if device_id is not None:
                from ..backend import as_device  # noqa: PLC0415
                cp.cuda.Device(as_device(device_id).index or 0).use()
            from ._nccl import NCCLEngine  # noqa: PLC0415
            nccl = NCCLEngine(cp, mpi)
        except Exception:
            mpi.close()
            raise
    _state["pg"] = ProcessGroup(backend, mpi, nccl, timeout.total_seconds())
    if mpi.size > 1:
        _install_abort_hook()


def destroy_process_group(group=None) -> None:
    """Leave the default group (MPI itself stays initialised until the process exits, so
    init_process_group may be called again)."""
    pg = _state["pg"]
    if pg is None:
        raise AssertionError("Process group cannot be None")
    if group is not None and group is not pg:
        raise NotImplementedError("tinynn.distributed has only the default group")
    _state["pg"] = None
    _remove_abort_hook()
    if pg._nccl is not None:
        pg._nccl.close()
    pg._mpi.close()


def _install_abort_hook():
    prev = sys.excepthook

    def hook(etype, value, tb):
        prev(etype, value, tb)
        pg = _state["pg"]
        if pg is not None and pg.size() > 1:
            sys.stderr.write(f"tinynn.distributed: uncaught {etype.__name__} on rank {pg.rank()}: "
                             f"aborting the MPI job so that the other ranks do not hang\n")
            sys.stderr.flush()
            pg._mpi.abort(1)
    _state["excepthook"] = (prev, hook)
    sys.excepthook = hook


def _remove_abort_hook():
    saved = _state["excepthook"]
    _state["excepthook"] = None
    if saved is not None and sys.excepthook is saved[1]:
        sys.excepthook = saved[0]


# ---------------------------------------------------------------------------- queries
def _pg(group=None) -> ProcessGroup:
    pg = _state["pg"]
    if pg is None:
        raise ValueError(_NOT_INIT)
    if group is not None and group is not pg:
        raise ValueError(f"tinynn.distributed has only the default group (group.WORLD), got {group!r}")
    return pg


def get_rank(group=None) -> int:
    return _pg(group).rank()


def get_world_size(group=None) -> int:
    return _pg(group).size()


def get_backend(group=None) -> Backend:
    return _pg(group)._backend


def get_process_group_ranks(group) -> list[int]:
    return list(range(_pg(group).size()))


def get_global_rank(group, group_rank: int) -> int:
    _pg(group)
    return group_rank


def get_group_rank(group, global_rank: int) -> int:
    _pg(group)
    return global_rank


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """Only the whole world: `new_group()` / `new_group(range(world_size))` give group.WORLD."""
    pg = _pg()
    if ranks is not None and sorted(ranks) != list(range(pg.size())):
        raise NotImplementedError("tinynn.distributed supports only the group of all ranks; "
                                  f"new_group({list(ranks)}) is not implemented")
    return pg


# ---------------------------------------------------------------------------- argument checks
def _check_tensor(t, name):
    from ..tensor import Tensor  # noqa: PLC0415
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor but got {type(t)} instead.")


def _check_tensor_list(ts, name):
    from ..tensor import Tensor  # noqa: PLC0415
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor] but got {type(ts)} instead.")


def _check_rank(pg, r, what, name):
    if not isinstance(r, int) or not 0 <= r < pg.size():
        raise ValueError(f"{what}: invalid {name} rank {r!r} (world size {pg.size()})")


def _engine(pg, tensors):
    cuda = [is_cuda_array(t._data) for t in tensors]
    if any(cuda) and not all(cuda):
        raise RuntimeError("Tensors must all be on the same device (all CPU or all cuda)")
    return pg._engine(cuda[0] if cuda else False)


def _finish(work, async_op, result):
    work._result = list(result)
    if async_op:
        return work
    work.wait()
    return None


def _same_shape(tensors, ref, what, name):
    for i, t in enumerate(tensors):
        if t.shape != ref.shape or t.dtype != ref.dtype:
            raise RuntimeError(f"{what}: invalid tensor size or dtype at index {i} of `{name}` "
                               f"(expected {tuple(ref.shape)} {ref.dtype}, got {tuple(t.shape)} "
                               f"{t.dtype})")


def _stack_list(engine_xp, tensors):
    """The tensors' arrays as one contiguous (n, *shape) array (a copy)."""
    return engine_xp.stack([t._data for t in tensors])


def _xp(t):
    from ..backend import get_array_module  # noqa: PLC0415
    return get_array_module(t._data)


# ---------------------------------------------------------------------------- collectives
def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every process has reached the barrier (through MPI; with the nccl backend,
    after this process's current CUDA stream has finished its queued work)."""
    pg = _pg(group)
    if pg._nccl is not None:
        pg._nccl.cupy.cuda.get_current_stream().synchronize()
    return _finish(pg._mpi.barrier(), async_op, ())


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce `tensor` across all processes with `op`; every process gets the result, in place."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    op = _as_op(op)
    return _finish(_engine(pg, [tensor]).all_reduce(tensor._data, op), async_op, [tensor])


def reduce(tensor, dst: int = 0, op=ReduceOp.SUM, group=None, async_op: bool = False,
           group_dst=None):
    """Reduce `tensor` across all processes into `tensor` on rank `dst` (the others' tensors
    are left as they were)."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    dst = group_dst if group_dst is not None else dst
    _check_rank(pg, dst, "reduce", "destination")
    op = _as_op(op)
    return _finish(_engine(pg, [tensor]).reduce(tensor._data, dst, op), async_op, [tensor])


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False, group_src=None):
    """Copy `tensor` of rank `src` into `tensor` of every process."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    src = group_src if group_src is not None else src
    _check_rank(pg, src, "broadcast", "source")
    return _finish(_engine(pg, [tensor]).broadcast(tensor._data, src), async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """`tensor_list[i]` = `tensor` of rank i, on every process."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if len(tensor_list) != pg.size():
        raise RuntimeError(f"all_gather: invalid output tensor list (expected length {pg.size()}, "
                           f"got {len(tensor_list)})")
    _same_shape(tensor_list, tensor, "all_gather", "tensor_list")
    engine = _engine(pg, [tensor, *tensor_list])
    xp = _xp(tensor)
    out = xp.empty((pg.size(),) + tuple(tensor.shape), dtype=tensor._data.dtype)

    def write_out():
        for i, t in enumerate(tensor_list):
            t._data[...] = out[i]
    return _finish(engine.all_gather(out, tensor._data, write_out), async_op, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """The inputs of all ranks, in rank order, into `output_tensor`: either concatenated along
    dim 0 (shape (world_size * n, ...)) or stacked (shape (world_size, n, ...))."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _pg(group)
    n = pg.size()
    ishape, oshape = tuple(input_tensor.shape), tuple(output_tensor.shape)
    stacked = (n,) + ishape
    cat = (n * ishape[0],) + ishape[1:] if ishape else None
    if oshape not in (stacked, cat) or output_tensor.dtype != input_tensor.dtype:
        raise RuntimeError(f"all_gather_into_tensor: output tensor must have shape {list(stacked)}"
                           + (f" or {list(cat)}" if cat else "") + f" and dtype "
                           f"{input_tensor.dtype}, got {list(oshape)} {output_tensor.dtype}")
    engine = _engine(pg, [output_tensor, input_tensor])
    out = output_tensor._data
    back = None
    if not out.flags.c_contiguous:
        stage = _xp(output_tensor).empty(out.shape, dtype=out.dtype)

        def back():
            out[...] = stage
        out = stage
    return _finish(engine.all_gather(out, input_tensor._data, back), async_op, [output_tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """`output` on rank i = the reduction over all ranks of their `input_list[i]`."""
    _check_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    pg = _pg(group)
    if len(input_list) != pg.size():
        raise RuntimeError(f"reduce_scatter: invalid input tensor list (expected length "
                           f"{pg.size()}, got {len(input_list)})")
    _same_shape(input_list, output, "reduce_scatter", "input_list")
    engine = _engine(pg, [output, *input_list])
    inp = _stack_list(_xp(output), input_list)
    return _finish(engine.reduce_scatter(output._data, inp, _as_op(op)), async_op, [output])


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):  # noqa: A002
    """Reduce `input` over all ranks and give rank i its i-th block along dim 0 (`input` has
    shape (world_size * n, ...) or (world_size, n, ...) for `output` of shape (n, ...))."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _pg(group)
    n = pg.size()
    oshape, ishape = tuple(output.shape), tuple(input.shape)
    stacked = (n,) + oshape
    cat = (n * oshape[0],) + oshape[1:] if oshape else None
    if ishape not in (stacked, cat) or output.dtype != input.dtype:
        raise RuntimeError(f"reduce_scatter_tensor: input tensor must have shape {list(stacked)}"
                           + (f" or {list(cat)}" if cat else "") + f" and dtype {output.dtype}, "
                           f"got {list(ishape)} {input.dtype}")
    engine = _engine(pg, [output, input])
    inp = input._data
    if not inp.flags.c_contiguous:
        inp = _xp(input).ascontiguousarray(inp)
    return _finish(engine.reduce_scatter(output._data, inp, _as_op(op)), async_op, [output])


def gather(tensor, gather_list=None, dst: int = 0, group=None, async_op: bool = False,
           group_dst=None):
    """`gather_list[i]` on rank `dst` = `tensor` of rank i (other ranks pass no gather_list)."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    dst = group_dst if group_dst is not None else dst
    _check_rank(pg, dst, "gather", "destination")
    if pg.rank() == dst:
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_tensor_list(gather_list, "gather_list")
        if len(gather_list) != pg.size():
            raise RuntimeError(f"gather: invalid output tensor list (expected length {pg.size()}, "
                               f"got {len(gather_list)})")
        _same_shape(gather_list, tensor, "gather", "gather_list")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    engine = _engine(pg, [tensor, *(gather_list or [])])
    out = write_out = None
    if pg.rank() == dst:
        out = _xp(tensor).empty((pg.size(),) + tuple(tensor.shape), dtype=tensor._data.dtype)

        def write_out():
            for i, t in enumerate(gather_list):
                t._data[...] = out[i]
    return _finish(engine.gather(out, tensor._data, dst, write_out), async_op, gather_list or [])


def scatter(tensor, scatter_list=None, src: int = 0, group=None, async_op: bool = False,
            group_src=None):
    """`tensor` on rank i = `scatter_list[i]` of rank `src` (other ranks pass no scatter_list)."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    src = group_src if group_src is not None else src
    _check_rank(pg, src, "scatter", "source")
    inp = None
    if pg.rank() == src:
        if scatter_list is None:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_tensor_list(scatter_list, "scatter_list")
        if len(scatter_list) != pg.size():
            raise RuntimeError(f"scatter: invalid input tensor list (expected length {pg.size()}, "
                               f"got {len(scatter_list)})")
        _same_shape(scatter_list, tensor, "scatter", "scatter_list")
        inp = _stack_list(_xp(tensor), scatter_list)
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    engine = _engine(pg, [tensor, *(scatter_list or [])])
    return _finish(engine.scatter(tensor._data, inp, src), async_op, [tensor])


def _p2p_check(pg, peer, what, name):
    _check_rank(pg, peer, what, name)
    if peer == pg.rank():
        raise ValueError(f"Invalid {name} rank: should not be the same as rank of the current "
                         f"process.")


def isend(tensor, dst: int, group=None, tag: int = 0, group_dst=None) -> Work:
    """Start sending `tensor` to rank `dst`; the returned Work completes once it is sent."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    dst = group_dst if group_dst is not None else dst
    _p2p_check(pg, dst, "isend", "destination")
    return _finish(_engine(pg, [tensor]).send(tensor._data, dst, tag), True, [tensor])


def irecv(tensor, src: int | None = None, group=None, tag: int = 0, group_src=None) -> Work:
    """Start receiving into `tensor` from rank `src` (any rank when None; the Work's
    `source_rank()` tells which)."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    src = group_src if group_src is not None else src
    if src is not None:
        _p2p_check(pg, src, "irecv", "source")
    return _finish(_engine(pg, [tensor]).recv(tensor._data, src, tag), True, [tensor])


def send(tensor, dst: int, group=None, tag: int = 0, group_dst=None) -> None:
    """Send `tensor` to rank `dst` (returns once the data has left this process's buffer)."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src: int | None = None, group=None, tag: int = 0, group_src=None) -> int:
    """Receive into `tensor` from rank `src` (any when None); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    work.wait()
    return work.source_rank()


# ---------------------------------------------------------------------------- Python objects
def all_gather_object(object_list, obj, group=None) -> None:
    """`object_list[i]` = `obj` of rank i (pickled through MPI)."""
    pg = _pg(group)
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list must have length {pg.size()}, got "
                         f"{len(object_list)}")
    object_list[:] = pg._mpi.allgather_object(obj)


def broadcast_object_list(object_list, src: int = 0, group=None, device=None, group_src=None) -> None:
    """The objects of rank `src`'s `object_list` into every rank's `object_list`, in place."""
    pg = _pg(group)
    src = group_src if group_src is not None else src
    _check_rank(pg, src, "broadcast_object_list", "source")
    got = pg._mpi.bcast_object(list(object_list) if pg.rank() == src else None, src)
    object_list[:] = got


def gather_object(obj, object_gather_list=None, dst: int = 0, group=None, group_dst=None) -> None:
    pg = _pg(group)
    dst = group_dst if group_dst is not None else dst
    _check_rank(pg, dst, "gather_object", "destination")
    got = pg._mpi.gather_object(obj, dst)
    if pg.rank() == dst:
        if object_gather_list is None:
            raise ValueError("Argument ``object_gather_list`` must be specified on destination rank.")
        object_gather_list[:] = got


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src: int = 0,
                        group=None, group_src=None) -> None:
    pg = _pg(group)
    src = group_src if group_src is not None else src
    _check_rank(pg, src, "scatter_object_list", "source")
    objs = list(scatter_object_input_list) if pg.rank() == src else None
    scatter_object_output_list[0] = pg._mpi.scatter_object(objs, src)
