"""Parameter: a Tensor that a Module registers as trainable; Buffer: one it registers as state."""
from __future__ import annotations

from ..tensor import Tensor, _rebuild

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """torch.nn.Parameter(data=None, requires_grad=True): a leaf tensor sharing `data`'s storage.

    Assigning one to a Module attribute registers it in the module's parameters. Results of ops on
    a Parameter are plain Tensors."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .. import ops  # noqa: PLC0415
            data = ops.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): expected data to be a Tensor, got {type(data).__name__}")
        if requires_grad and data._data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        p = object.__new__(cls)
        p._init(data._data, bool(requires_grad))
        # shares storage and version counter with `data`, as `data.detach()` would
        if data._vc is None:
            data._vc = [0]
        p._vc = data._vc
        return p

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            new._grad = self._grad._detached_copy()
        for k, v in self.__dict__.items():
            if k != "_keep_acc":
                new.__dict__[k] = v
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (Tensor.__reduce_ex__(self, proto)[1], self._requires_grad))


def _rebuild_parameter(args, requires_grad):
    return Parameter(_rebuild(*args).detach_(), requires_grad)


class _BufferMeta(type):
    """`isinstance(t, Buffer)` is True only for tensors wrapped by Buffer (marked `_is_buffer`)."""

    def __instancecheck__(cls, inst):
        return isinstance(inst, Tensor) and getattr(inst, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """torch.nn.Buffer(data, persistent=True): assigning it to a Module attribute registers a buffer.

    As in PyTorch, the module stores a plain Tensor; this is only a marker."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .. import ops  # noqa: PLC0415
            data = ops.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(): expected data to be a Tensor, got {type(data).__name__}")
        t = data.detach()
        t.__dict__["_is_buffer"] = True
        t.__dict__["persistent"] = persistent
        return t
