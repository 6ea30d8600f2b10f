"""Helpers shared by the ops: argument checking, scalar/tensor operands, PyTorch's promotion."""
from __future__ import annotations

import numpy as np

from .._dtype import from_numpy_dtype, result_type
from ..backend import array_device, get_array_module
from ..tensor import Tensor

__all__ = ["canonical_dim", "canonical_dims", "operands", "broadcast_error", "check_same_device", "same_device",
           "as_tensor_arg", "float_dtype_of", "is_tensor", "check_tensor", "check_tensor_seq"]


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def check_tensor(fn: str, arg: str, pos: int, v) -> None:
    """PyTorch's TypeError for a non-tensor where a tensor argument is required."""
    if not isinstance(v, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(v).__name__}")


def check_tensor_seq(tensors) -> None:
    """PyTorch's TypeError for a non-tensor in a sequence-of-tensors argument."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")


def canonical_dim(dim, ndim: int) -> int:
    """Wrap a negative dim; IndexError naming the valid range, as PyTorch's."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if dim < -n or dim >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but "
                         f"got {dim})")
    return int(dim) % n if ndim > 0 else 0


def canonical_dims(dim, ndim: int):
    """dim as int / tuple / list / None -> sorted tuple of non-negative dims (None -> all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        out = tuple(canonical_dim(d, ndim) for d in dim)
        if len(set(out)) != len(out):
            dup = next(d for i, d in enumerate(out) if d in out[:i])
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
        return out
    return (canonical_dim(dim, ndim),)


def broadcast_error(sa, sb) -> RuntimeError:
    """PyTorch's message for shapes that do not broadcast."""
    na, nb = len(sa), len(sb)
    n = max(na, nb)
    for i in range(1, n + 1):
        a = sa[-i] if i <= na else 1
        b = sb[-i] if i <= nb else 1
        if a != b and a != 1 and b != 1:
            return RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                f"non-singleton dimension {n - i}")
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} are not broadcastable")


def check_same_device(a, b):
    """Raise PyTorch's RuntimeError when raw arrays `a` and `b` live on different devices
    (CPU vs GPU, or two GPUs). Cheap when both are NumPy arrays."""
    ta, tb = type(a), type(b)
    if ta is tb and (ta is np.ndarray or a.device == b.device):
        return
    da, db = array_device(a), array_device(b)
    if da != db:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {max(str(da), str(db))} and {min(str(da), str(db))}!")


def same_device(*tensors):
    """Check that all tensors (Nones and non-tensors are skipped) are on one device; return it.

    For ops taking several tensors or a list (cat, stack, where, addcmul, ...). A 0-dim CPU
    tensor is allowed next to GPU tensors only through `operands`, as PyTorch allows CPU scalars."""
    first = None
    for t in tensors:
        if isinstance(t, Tensor):
            if first is None:
                first = t._data
            else:
                check_same_device(first, t._data)
    return array_device(first) if first is not None else None


def operands(a, b):
    """Raw arrays (or a Python scalar) for a binary op, converted to PyTorch's result dtype.

    Fast path: two tensors of one dtype. A Python scalar stays a Python scalar (NumPy treats it as
    weak, like PyTorch) unless it is of a higher category than the tensor."""
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if ta and tb:
        xa, xb = a._data, b._data
        if type(xa) is not type(xb) or (type(xa) is not np.ndarray and xa.device != xb.device):
            xa, xb = _mixed_device(a, b)
        if xa.dtype == xb.dtype:
            return xa, xb
        rt = result_type(a, b).np
        return (xa if xa.dtype == rt else xa.astype(rt)), (xb if xb.dtype == rt else xb.astype(rt))
    if ta:
        return _with_scalar(a, b), _scalar(b, a)
    if tb:
        return _scalar(a, b), _with_scalar(b, a)
    raise TypeError(f"expected a Tensor argument, got {type(a).__name__} and {type(b).__name__}")


def _mixed_device(a, b):
    """A 0-dim CPU tensor may meet a CUDA tensor (as a CPU scalar does in PyTorch); else raise."""
    xa, xb = a._data, b._data
    if a.device.type == "cpu" and xa.ndim == 0 and b.device.type != "cpu":
        xa = get_array_module(xb).asarray(xa)
    elif b.device.type == "cpu" and xb.ndim == 0 and a.device.type != "cpu":
        xb = get_array_module(xa).asarray(xb)
    else:
        check_same_device(xa, xb)
    if xa.dtype == xb.dtype:
        return xa, xb
    rt = result_type(a, b).np
    return xa.astype(rt, copy=False), xb.astype(rt, copy=False)


def _scalar(s, t):
    if isinstance(s, np.generic):  # first: np.float64 is also a Python float, but not a weak one
        return s.item()
    if isinstance(s, (bool, int, float, complex)):
        return s
    if isinstance(s, np.ndarray) and type(t._data) is np.ndarray:
        return s.astype(result_type(t, Tensor._make(s)).np, copy=False)
    raise TypeError(f"unsupported operand type: {type(s).__name__} (expected a Tensor or a number)")


def _with_scalar(t, s):
    x = t._data
    if isinstance(s, np.generic):
        s = s.item()
    if isinstance(s, (bool, int, float, complex)):
        kind = x.dtype.kind
        # only a scalar of a higher category (bool < int < float < complex) changes the dtype
        if (isinstance(s, bool) or kind in "fc" or (kind in "iu" and isinstance(s, int))) \
                and not (kind == "f" and isinstance(s, complex)):
            return x
        return x.astype(result_type(t, s).np)
    if isinstance(s, np.ndarray):
        rt = result_type(t, Tensor._make(s)).np
        return x if x.dtype == rt else x.astype(rt)
    return x


def as_tensor_arg(v, like: Tensor) -> Tensor:
    """A scalar or array as a tensor on `like`'s device (for ops whose Function takes tensors)."""
    if isinstance(v, Tensor):
        return v
    xp = get_array_module(like._data)
    if isinstance(v, (bool, int, float)):
        dt = result_type(like, v)
        return Tensor._make(xp.asarray(v, dtype=dt.np))
    return Tensor._make(xp.asarray(v))


def float_dtype_of(x) -> np.dtype:
    """The floating dtype an op on `x` computes in: its own if floating, else the default."""
    from .._dtype import get_default_dtype  # noqa: PLC0415
    return x.dtype if x.dtype.kind in "fc" else get_default_dtype().np


def dtype_name(npd) -> str:
    return from_numpy_dtype(npd).name
