"""Tensor creation: `tensor`, `zeros`, `ones`, `full`, `empty`, `arange`, ... and the default device."""
from __future__ import annotations

import numpy as np

from .._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ..backend import CPU, as_device, is_cuda_array, to_device, xp_for
from ..tensor import Tensor
from .shape import parse_shape

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "set_default_device", "get_default_device", "resolve_device", "finish"]

_default_device = [CPU]


def set_default_device(device) -> None:
    _default_device[0] = as_device(device) if device is not None else CPU


def get_default_device():
    return _default_device[0]


def resolve_device(device):
    d = as_device(device) if device is not None else _default_device[0]
    if d.type == "cuda":
        xp_for(d)  # raises a clear RuntimeError without CuPy / GPU
    return d


def finish(arr, requires_grad: bool) -> Tensor:
    """Wrap a freshly created array, honouring requires_grad (floating dtypes only)."""
    t = Tensor._make(arr)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _infer_dtype(data):
    """PyTorch's inference for Python data: floats -> default dtype, ints -> int64, bools -> bool."""
    kinds = set()
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, bool) or isinstance(v, np.bool_):
            kinds.add("b")
        elif isinstance(v, (int, np.integer)):
            kinds.add("i")
        elif isinstance(v, (float, np.floating)):
            kinds.add("f")
        elif isinstance(v, complex):
            kinds.add("c")
        elif isinstance(v, Tensor):
            kinds.add(v._data.dtype.kind if v._data.dtype.kind != "u" else "i")
        else:
            raise TypeError(f"Could not infer dtype of {type(v).__name__}")
    if "c" in kinds:
        return np.complex64 if get_default_dtype().np == np.float32 else np.complex128
    if "f" in kinds:
        return get_default_dtype().np
    if "i" in kinds:
        return np.int64
    if "b" in kinds:
        return np.bool_
    return get_default_dtype().np  # empty list


def _to_array(data, npdt):
    if isinstance(data, Tensor):
        a = data._data
        return a if npdt is None else a.astype(npdt)
    if isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in _flat_first(data)):
        data = _tensors_to_lists(data)
    if isinstance(data, np.ndarray) or is_cuda_array(data):
        from_numpy_dtype(data.dtype)  # raises TypeError for unsupported dtypes
        return data.astype(npdt) if npdt is not None else data.copy()
    if isinstance(data, (np.generic,)):
        return np.asarray(data, dtype=npdt)
    if not isinstance(data, (list, tuple, int, float, bool, complex)):
        if hasattr(data, "__array__"):
            return np.asarray(data, dtype=npdt)
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if npdt is None:
        npdt = _infer_dtype(data)
    try:
        return np.array(data, dtype=npdt)
    except ValueError as e:
        raise ValueError(f"expected sequence of equal-length lists to build a tensor: {e}") from None
    except OverflowError as e:
        raise RuntimeError(f"value cannot be converted to type {from_numpy_dtype(np.dtype(npdt)).name} "
                           f"without overflow") from e


def _flat_first(data):
    v = data
    while isinstance(v, (list, tuple)) and v:
        yield from (x for x in v if isinstance(x, Tensor))
        v = v[0]


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        if data._data.size != 1 and data._data.ndim != 0:
            return data.tolist()
        return data.item() if data._data.ndim == 0 else data.tolist()
    return [_tensors_to_lists(v) for v in data]


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data`, with PyTorch's dtype inference."""
    npdt = to_dtype(dtype).np if dtype is not None else None
    arr = _to_array(data, npdt)
    if isinstance(data, Tensor):
        arr = arr.copy() if arr is data._data else arr
    if device is not None or _default_device[0] is not CPU or not isinstance(arr, np.ndarray):
        dev = resolve_device(device) if device is not None or not is_cuda_array(arr) else None
        if dev is not None:
            arr = to_device(arr, dev)
    return finish(arr, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a Tensor or NumPy array when dtype/device allow."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    if isinstance(data, np.ndarray) and device is None and _default_device[0] is CPU:
        npdt = to_dtype(dtype).np if dtype is not None else None
        if npdt is None or npdt == data.dtype:
            from_numpy_dtype(data.dtype)
            return Tensor._make(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray`."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _factory(fill, size, dtype, device, requires_grad, default=None):
    shape = parse_shape(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    dt = to_dtype(dtype) if dtype is not None else (default or get_default_dtype())
    xp = xp_for(resolve_device(device))
    return finish(fill(xp, shape, dt.np), requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _factory(lambda xp, s, d: xp.zeros(s, dtype=d), size, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _factory(lambda xp, s, d: xp.ones(s, dtype=d), size, dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, pin_memory=False):
    return _factory(lambda xp, s, d: xp.empty(s, dtype=d), size, dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    default = None
    if dtype is None:
        default = (to_dtype(bool) if isinstance(fill_value, bool) else
                   to_dtype(int) if isinstance(fill_value, int) else get_default_dtype())
    return _factory(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (size,) if isinstance(size, int)
                    else size, dtype, device, requires_grad, default)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Values in [start, end) by step; int64 when all arguments are integers, else the default float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dt = np.int64 if all(isinstance(v, int) and not isinstance(v, bool) for v in vals) \
            else get_default_dtype().np
    else:
        dt = to_dtype(dtype).np
    xp = xp_for(resolve_device(device))
    n = int(np.ceil((end - start) / step))
    arr = (xp.arange(n, dtype=np.float64) * step + start).astype(dt) if np.dtype(dt).kind == "f" \
        else xp.arange(start, end, step, dtype=dt)
    return finish(arr, requires_grad)

