"""Tensor creation: `tensor`, `zeros`, `ones`, `full`, `empty`, `arange`, ... and the default device."""
from __future__ import annotations

import os

import numpy as np

from .._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ..backend import CPU, as_device, is_cuda_array, to_device, xp_for
from ..tensor import Tensor
from ._util import check_tensor
from .shape import parse_shape

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "scalar_tensor", "zeros", "ones", "full",
           "empty", "eye", "arange", "linspace", "logspace", "zeros_like", "ones_like", "full_like",
           "empty_like", "set_default_device", "get_default_device", "resolve_device", "finish",
           "factory_shape"]

from ..backend import _DEFAULT_DEVICE as _default_device  # noqa: E402  (shared with `with device(...)`)


def set_default_device(device) -> None:
    _default_device[0] = as_device(device) if device is not None else CPU


def get_default_device():
    return _default_device[0]


def resolve_device(device):
    d = as_device(device) if device is not None else _default_device[0]
    if d.type == "cuda":
        xp_for(d)  # raises a clear RuntimeError without CuPy / GPU
    return d


_switched = __import__("threading").local()  # (xp, previous GPU) while a factory runs on another


def finish(arr, requires_grad: bool) -> Tensor:
    """Wrap a freshly created array, honouring requires_grad (floating dtypes only)."""
    prev = getattr(_switched, "prev", None)
    if prev is not None:  # back to the GPU that was current before _alloc_xp
        _switched.prev = None
        prev[0].cuda.Device(prev[1]).use()
    t = Tensor._make(arr)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _alloc_xp(dev):
    """The array module for `dev`. For cuda:N other than the current GPU, N is made current
    until the factory's `finish` (which switches back), so the factory computes on N."""
    xp = xp_for(dev)
    if dev.type == "cuda" and dev.index is not None:
        cur = xp.cuda.Device().id
        if cur != dev.index:
            _switched.prev = (xp, cur)
            xp.cuda.Device(dev.index).use()
    return xp


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
        elif isinstance(v, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(v).__name__}'")
        else:  # None, dicts, arbitrary objects: PyTorch's RuntimeError
            raise RuntimeError(f"Could not infer dtype of {type(v).__name__}")
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
        if isinstance(data, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    if npdt is None:
        npdt = _infer_dtype(data)
    try:
        return np.array(data, dtype=npdt)
    except ValueError:
        raise _ragged_error(data) from None
    except OverflowError as e:
        raise RuntimeError(f"value cannot be converted to type {from_numpy_dtype(np.dtype(npdt)).name} "
                           f"without overflow") from e


def _ragged_error(data):
    """PyTorch's error for nested sequences that do not make a rectangular tensor: the shape is
    read off the first elements, and the first sequence that disagrees is named."""
    shape = []
    v = data
    while isinstance(v, (list, tuple)):
        shape.append(len(v))
        if not v:
            break
        v = v[0]
    todo = [(data, 0)]
    while todo:
        v, d = todo.pop()
        if d == len(shape):
            if isinstance(v, (list, tuple)):
                return TypeError(f"must be real number, not {type(v).__name__}")
            continue
        if not isinstance(v, (list, tuple)):
            return TypeError("not a sequence")
        if len(v) != shape[d]:
            return ValueError(f"expected sequence of length {shape[d]} at dim {d} (got {len(v)})")
        todo.extend((x, d + 1) for x in reversed(v))
    return ValueError("could not build a tensor from the nested sequences given")


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


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """Like `as_tensor` (sharing memory when it can), or a copy when `copy=True`."""
    if copy:
        t = tensor(obj, dtype=dtype, device=device)
    else:
        t = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t = t.detach() if t.grad_fn is not None else t
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray`."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def factory_shape(size, kw_size=None, name="zeros"):
    """The shape of a factory call: `f(2, 3)`, `f((2, 3))`, `f([2, 3])`, `f(Size)` or `f(size=...)`,
    checked for negative sizes."""
    if kw_size is not None:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        size = (kw_size,)
    elif not size:
        raise TypeError(f"{name}() missing 1 required positional arguments: \"size\"")
    shape = parse_shape(size)
    numel = 1
    for i, s in enumerate(shape):
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
        if s >= 1 << 63:
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {i + 1}: "
                            f"{s} does not fit in int64")
        numel *= s
    if numel > _MAX_ELEMENTS:
        _too_big(shape, numel)
    return shape


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 1 << 62


# A factory asked for more elements than twice this machine's memory in bytes fails before NumPy
# (or CuPy) is asked: as PyTorch, with a RuntimeError naming the size, not a MemoryError (or a
# lazily committed allocation that the OOM killer ends later).
_MAX_ELEMENTS = 2 * _physical_memory()


def _too_big(shape, numel):
    if numel * 8 >= 1 << 63:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    raise RuntimeError(f"can't allocate memory: you tried to allocate a tensor of {numel} elements "
                       f"(shape {list(shape)}), more than this machine's {_physical_memory()} bytes "
                       "of memory can hold")


def _factory(fill, size, kw_size, dtype, device, requires_grad, name, default=None):
    shape = factory_shape(size, kw_size, name)
    dt = to_dtype(dtype) if dtype is not None else (default or get_default_dtype())
    xp = _alloc_xp(resolve_device(device))
    return finish(fill(xp, shape, dt.np), requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kw):
    """A tensor of zeros (the default float dtype unless `dtype`)."""
    return _out(_factory(lambda xp, s, d: xp.zeros(s, dtype=d), size, _kw_size(kw, "zeros"), dtype,
                         device, requires_grad, "zeros"), out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw):
    """A tensor of ones (the default float dtype unless `dtype`)."""
    return _out(_factory(lambda xp, s, d: xp.ones(s, dtype=d), size, _kw_size(kw, "ones"), dtype,
                         device, requires_grad, "ones"), out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, pin_memory=False, **kw):
    """An uninitialised tensor."""
    return _out(_factory(lambda xp, s, d: xp.empty(s, dtype=d), size, _kw_size(kw, "empty"), dtype,
                         device, requires_grad, "empty"), out)


def _kw_size(kw, name):
    size = kw.pop("size", None)
    if kw:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")
    return size


def _out(res, out):
    """PyTorch's out=: resize `out` to the result and copy the values in."""
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    out._data = res._data if res._data.dtype == out._data.dtype else res._data.astype(out._data.dtype)
    out._bump()
    return out


def _fill_dtype(fill_value):
    """PyTorch's dtype for a fill value: bool, int64, complex, else the default float."""
    if isinstance(fill_value, (bool, np.bool_)):
        return to_dtype(bool)
    if isinstance(fill_value, (int, np.integer)):
        return to_dtype(int)
    if isinstance(fill_value, complex):
        return to_dtype(complex)
    return get_default_dtype()


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """A tensor filled with `fill_value`; its dtype follows the value (bool, int64, float) unless
    `dtype` is given."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    default = _fill_dtype(fill_value) if dtype is None else None
    return _out(_factory(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (size,),
                         None, dtype, device, requires_grad, "full", default), out)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A 0-dim tensor of `s` (the default float dtype unless `dtype`)."""
    if isinstance(s, Tensor) and s._data.ndim == 0:
        s = s.item()
    if not isinstance(s, (int, float, complex, bool, np.number, np.bool_)):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    return full((), s, dtype=dtype or get_default_dtype(), device=device, requires_grad=requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    """A 2-D tensor with ones on the diagonal."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is None:
        m = n
    elif m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    xp = _alloc_xp(resolve_device(device))
    return _out(finish(xp.eye(int(n), int(m), dtype=dt.np), requires_grad), out)


def _number(v):
    if isinstance(v, Tensor):
        if v._data.size != 1:
            raise RuntimeError(f"linspace only supports 0-dimensional start and end tensors, but got "
                               f"start with {v._data.ndim} dimension(s) and end with "
                               f"{v._data.ndim} dimension(s).")
        return v.item()
    return v.item() if isinstance(v, np.generic) else v


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Values in [start, end) by step; int64 when all arguments are integers, else the default float."""
    if end is None:
        start, end = 0, start
    vals = [_number(v) for v in (start, end, step)]
    start, end, step = vals
    if dtype is None:
        dt = np.dtype(np.int64) if all(isinstance(v, int) for v in vals) else get_default_dtype().np
    else:
        dt = to_dtype(dtype).np
    if dt.kind in "iub":
        # an integer dtype computes in integers, as PyTorch's int64 accumulator
        start, end, step = (int(v) for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    for v in (start, end):
        if v != v or v in (float("inf"), float("-inf")):
            raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    xp = _alloc_xp(resolve_device(device))
    n = max(int(np.ceil((end - start) / step)), 0)  # host arithmetic on Python numbers
    if dt.kind in "fc":
        arr = (xp.arange(n, dtype=np.float64) * step + start).astype(dt)
    else:
        arr = (xp.arange(n, dtype=np.int64) * step + start).astype(dt)
    return _out(finish(arr, requires_grad), out)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """`steps` evenly spaced values from start to end, both included, computed as PyTorch does:
    the first half forward from `start`, the second half back from `end` (so both ends are exact)."""
    start, end = _number(start), _number(end)
    if not isinstance(steps, int) or isinstance(steps, bool):
        if not hasattr(steps, "__index__"):
            raise TypeError(f"linspace(): argument 'steps' must be int, not {type(steps).__name__}")
        steps = steps.__index__()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = to_dtype(dtype).np if dtype is not None else (
        get_default_dtype().np if not isinstance(start, complex) and not isinstance(end, complex)
        else to_dtype(complex).np)
    xp = _alloc_xp(resolve_device(device))
    return _out(finish(_linspace(xp, start, end, steps, dt), requires_grad), out)


def _linspace(xp, start, end, steps, dt):
    # the step is computed in the dtype (float64 for integers, which then truncate); each value is
    # start + step * i (first half) or end - step * (steps - 1 - i) (second half) with one rounding,
    # as PyTorch's fused multiply-add: float32 / float16 evaluate it exactly in float64
    ct = dt if dt.kind in "fc" else np.dtype(np.float64)
    if steps == 0:
        return xp.empty((0,), dtype=dt)
    if steps == 1:
        return xp.full((1,), start, dtype=ct).astype(dt)
    s, e = ct.type(start), ct.type(end)
    step = (e - s) / ct.type(steps - 1)
    wide = np.dtype(np.float64) if ct.itemsize < 8 and ct.kind == "f" else ct
    idx = xp.arange(steps, dtype=wide)
    fwd = wide.type(s) + wide.type(step) * idx
    back = wide.type(e) - wide.type(step) * (steps - 1 - idx)
    return xp.where(idx < steps // 2, fwd, back).astype(dt)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """base ** linspace(start, end, steps)."""
    start, end = _number(start), _number(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = to_dtype(dtype).np if dtype is not None else get_default_dtype().np
    xp = _alloc_xp(resolve_device(device))
    ct = dt if dt.kind in "fc" else np.dtype(np.float64)
    exps = _linspace(xp, start, end, steps, ct)
    return _out(finish(xp.power(ct.type(base), exps).astype(dt), requires_grad), out)


# ----------------------------------------------------------------------------- *_like
def _like(input, dtype, device, name):
    check_tensor(name, "input", 1, input)
    dt = to_dtype(dtype) if dtype is not None else input.dtype
    dev = resolve_device(device) if device is not None else input.device
    return input._data.shape, dt.np, dev


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    shape, dt, dev = _like(input, dtype, device, "zeros_like")
    return finish(_alloc_xp(dev).zeros(shape, dtype=dt), requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    shape, dt, dev = _like(input, dtype, device, "ones_like")
    return finish(_alloc_xp(dev).ones(shape, dtype=dt), requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    shape, dt, dev = _like(input, dtype, device, "empty_like")
    return finish(_alloc_xp(dev).empty(shape, dtype=dt), requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """A tensor shaped like `input` (and of its dtype unless `dtype`) filled with `fill_value`."""
    shape, dt, dev = _like(input, dtype, device, "full_like")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    xp = _alloc_xp(dev)
    with np.errstate(invalid="ignore", over="ignore"):  # host-side cast of the fill value
        v = np.asarray(fill_value).astype(dt) if np.dtype(dt).kind != "b" else bool(fill_value)
    return finish(xp.full(shape, v, dtype=dt), requires_grad)
