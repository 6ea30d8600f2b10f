"""What both engines share: `ReduceOp`, the error classes and the `Work` handle."""
from __future__ import annotations

import enum

__all__ = ["ReduceOp", "RedOpType", "DistError", "DistBackendError", "Work", "Future"]


class RedOpType(enum.Enum):
    """The reduction of a collective (PyTorch's `ReduceOp.RedOpType`)."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    """`ReduceOp.SUM`, `AVG`, `PRODUCT`, `MIN`, `MAX`, `BAND`, `BOR`, `BXOR`, as PyTorch's.

    Notes: AVG works on both engines (MPI: a SUM divided by the world size when it completes;
    integer tensors divide with truncation, as NCCL's ncclAvg). PREMUL_SUM is not implemented."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


def _as_op(op) -> RedOpType:
    if isinstance(op, RedOpType):
        return op
    if isinstance(op, str) and op.upper() in RedOpType.__members__:
        return RedOpType[op.upper()]
    raise TypeError(f"op must be a ReduceOp (ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, BXOR), "
                    f"got {op!r}")


class DistError(RuntimeError):
    """Base of the errors of tinynn.distributed (PyTorch's `torch.distributed.DistError`)."""


class DistBackendError(DistError):
    """The communication engine failed or timed out (PyTorch's `DistBackendError`)."""


for _cls in (DistError, DistBackendError):
    _cls.__module__ = "tinynn.distributed"  # how tracebacks name them


class Work:
    """The handle of a collective (`async_op=True`), as PyTorch's `Work`: `wait()`,
    `is_completed()`, `is_success()`, `exception()`, `result()`, `source_rank()` (irecv from any
    source), `get_future()`. This base class is an operation that has already completed; the MPI
    engine's subclass completes when MPI says so."""

    def __init__(self, result=(), source=None):
        self._result = list(result)
        self._source = source
        self._exc = None

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return self.is_completed() and self._exc is None

    def exception(self):
        return self._exc

    def wait(self, timeout=None) -> bool:
        """Block until the operation has completed (raises if it failed or timed out)."""
        if self._exc is not None:
            raise self._exc
        return True

    def synchronize(self) -> None:
        self.wait()

    def result(self) -> list:
        """The output tensors of the operation (the tensors it wrote)."""
        return self._result

    def source_rank(self) -> int:
        if self._source is None:
            raise RuntimeError("source_rank() is only available for recv/irecv work")
        return self._source

    def get_future(self) -> Future:
        return Future(self)


class Future:
    """A minimal `torch.futures.Future` over a `Work`: `wait()`/`value()` give the output
    tensors, `done()`, and `then(callback)`: a future whose value is `callback(this_future)`,
    computed when it is waited for."""

    def __init__(self, work: Work | None = None, _parent=None, _callback=None):
        self._work = work
        self._parent = _parent
        self._callback = _callback
        self._has_value = False
        self._value = None

    def done(self) -> bool:
        if self._has_value:
            return True
        if self._work is not None:
            return self._work.is_completed()
        return self._parent.done()

    def wait(self):
        if not self._has_value:
            if self._work is not None:
                self._work.wait()
                self._value = self._work.result()
            else:
                self._parent.wait()
                self._value = self._callback(self._parent)
            self._has_value = True
        return self._value

    def value(self):
        return self.wait()

    def then(self, callback) -> Future:
        return Future(_parent=self, _callback=callback)
