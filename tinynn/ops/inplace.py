"""In-place ops (`add_`, `x += y`, `x[k] = v`, `copy_`, ...) and copies (`clone`, `to`).

An in-place op computes the out-of-place op's result and writes it into the tensor's own array (so
views and `id(x)` are kept), then bumps the version counter. When autograd records it, the tensor
takes the result's history, as PyTorch rebases it: gradients stay right and any saved copy of the
old value is checked against its version at backward.
"""
from __future__ import annotations

from .._dtype import from_numpy_dtype, to_dtype
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend import as_device, get_array_module, to_device
from ..tensor import Tensor

__all__ = ["inplace", "copy_", "fill_", "clone", "to", "set_data_", "set_shape_", "resize_"]

_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."


def _check_cast(x, res_dtype):
    """PyTorch refuses an in-place result of a higher category than the tensor (float into long)."""
    xd = x._data.dtype
    if res_dtype != xd:
        cat = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
        if cat[res_dtype.kind] > cat[xd.kind]:
            raise RuntimeError(f"result type {_legacy(res_dtype)} can't be cast to the desired output "
                               f"type {_legacy(xd)}")


def _legacy(npd):
    name = from_numpy_dtype(npd).name
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half"}.get(name, name)


def _write(x, arr):
    """Copy `arr` into x's own array (broadcast shapes must equal x's)."""
    if arr.shape != x._data.shape:
        raise RuntimeError(f"output with shape {list(x._data.shape)} doesn't match the broadcast shape "
                           f"{list(arr.shape)}")
    _check_cast(x, arr.dtype)
    xp = get_array_module(x._data)
    if arr is not x._data:
        xp.copyto(x._data, arr, casting="unsafe")


def inplace(x, fn, *args, **kwargs):
    """Run `fn(x, *args, **kwargs)` (an out-of-place op) and store the result in `x`."""
    if not isinstance(x, Tensor):
        raise TypeError(f"in-place op expected a Tensor, got {type(x).__name__}")
    grad_on = _state.enabled
    needs = grad_on and (x._requires_grad or any(isinstance(a, Tensor) and a._requires_grad
                                                 for a in args))
    if grad_on and x._requires_grad and x.grad_fn is None:
        if x._base is not None and x._base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        raise RuntimeError(_LEAF_MSG)
    if not needs:
        prev = _state.enabled
        _state.enabled = False
        try:
            out = fn(x, *args, **kwargs)
        finally:
            _state.enabled = prev
        _write(x, out._data)
        x._bump()
        return x
    if x._base is not None and (x._base._requires_grad or x._requires_grad):
        raise RuntimeError("tinynn does not record in-place operations on a view of a tensor that is "
                           "part of an autograd graph (the base would not see the change): use the "
                           "out-of-place op, or write into the base with indexing")
    if x._base is not None:
        raise RuntimeError("tinynn does not record an in-place operation with a tensor that requires "
                           "grad into a view (its base would miss the gradient): write into the base "
                           "tensor with indexing, e.g. base[idx] = value")
    # the op sees the old value through an alias with x's current history
    old = Tensor._make(x._data)
    old._requires_grad, old.grad_fn, old._output_nr = x._requires_grad, x.grad_fn, x._output_nr
    out = fn(old, *args, **kwargs)
    node = out.grad_fn
    if node is not None and node._saved:
        if any(s is not None and s.tensor is old for s in node._saved):
            old._data = x._data.copy()  # the node needs the old value: keep it before overwriting
    _write(x, out._data)
    x._bump()
    x.grad_fn, x._output_nr, x._requires_grad = out.grad_fn, out._output_nr, out._requires_grad
    if node is not None and node._saved:
        for s in node._saved:  # a saved output now lives in x: track x's versions
            if s is not None and s.tensor is None and s.data is out._data:
                s.vc, s.version = x._vc, x._vc[0]
                s.data = x._data
    return x


class Copy(Function):
    """Values of `src` (broadcast and cast to x's dtype); gradient flows to src only."""
    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, x, src):
        a = x._data
        xp = get_array_module(a)
        ctx.src_dtype = None
        if isinstance(src, Tensor):
            s = src._data
            if type(s) is not type(a):
                s = to_device(s, x.device)
            ctx.src_dtype = src.dtype
        else:
            s = src
        try:
            return xp.broadcast_to(xp.asarray(s, dtype=a.dtype), a.shape).copy()
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({a.shape[-1] if a.ndim else 1}) must match the "
                               f"size of tensor b ({getattr(s, 'shape', (1,))[-1:]}) "
                               f"at non-singleton dimension {max(a.ndim - 1, 0)}") from None

    @staticmethod
    def backward(ctx, grad_output):
        g = grad_output
        if ctx.src_dtype is not None and ctx.src_dtype != grad_output.dtype:
            g = g.to(ctx.src_dtype)
        return None, g


def copy_(x, src):
    """x.copy_(src): may change dtype (cast) and device (copy across)."""
    return inplace(x, _copy_fn, src)


def _copy_fn(x, src):
    return Copy.apply(x, src)


def fill_(x, value):
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value._data.ndim} dimensions.")
    return inplace(x, _copy_fn, value)


def set_data_(x, new):
    """Rebind x to `new`'s array and history (for t_, transpose_ and similar metadata changes)."""
    x._data = new._data
    x._bump()
    return x


def set_shape_(x, shape):
    x._data = x._data.reshape(shape)
    x._bump()
    return x


def resize_(x, *sizes):
    from .shape import parse_shape  # noqa: PLC0415
    shape = parse_shape(sizes)
    xp = get_array_module(x._data)
    n = 1
    for s in shape:
        n *= s
    flat = x._data.reshape(-1)
    if flat.size >= n:
        x._data = flat[:n].reshape(shape).copy()
    else:
        new = xp.empty(n, dtype=x._data.dtype)
        new[:flat.size] = flat
        x._data = new.reshape(shape)
    x._bump()
    return x


class Clone(Function):
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return x._data.copy()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def clone(input, *, memory_format=None):
    return Clone.apply(input)


class ToCopy(Function):
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dev, npdt, copy):
        a = x._data
        ctx.src_dev, ctx.src_dtype = x.device, x.dtype
        if dev is not None:
            a = to_device(a, dev)
        if npdt is not None and a.dtype != npdt:
            a = a.astype(npdt)
        elif copy and a is x._data:
            a = a.copy()
        return a

    @staticmethod
    def backward(ctx, grad_output):
        g = grad_output
        if g.device != ctx.src_dev:
            g = g.to(ctx.src_dev)
        if g.dtype != ctx.src_dtype and ctx.src_dtype.is_floating_point:
            g = g.to(ctx.src_dtype)
        return g, None, None, None


def to(x, device=None, dtype=None, copy=False):
    dev = as_device(device) if device is not None else None
    if dev is not None and dev.type == "cuda" and dev.index is None:
        from ..backend import cuda_module  # noqa: PLC0415
        xp = cuda_module()
        dev = as_device(f"cuda:{xp.cuda.Device().id}")
    dt = to_dtype(dtype) if dtype is not None else None
    same_dev = dev is None or x.device == dev
    same_dt = dt is None or x._data.dtype == dt.np
    if same_dev and same_dt and not copy:
        return x
    if dt is not None and x._requires_grad and not dt.is_floating_point and not dt.is_complex:
        out = ToCopy.apply(x.detach(), None if same_dev else dev, dt.np, copy)
        return out
    return ToCopy.apply(x, None if same_dev else dev, None if dt is None else dt.np, copy)

