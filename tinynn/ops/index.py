"""Indexing: `x[key]` and `x[key] = value` with ints, slices, None, Ellipsis, integer/bool tensors
and lists; `where`. Backward of a gather-like index scatters with accumulation (repeated indices
add up)."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend import get_array_module, scatter_add
from ..tensor import Tensor
from ._util import broadcast_error, check_same_device, operands
from .shape import as_view

__all__ = ["getitem", "setitem", "where", "convert_key"]


def _is_basic(key) -> bool:
    """True when indexing with `key` returns a view (no integer/bool arrays)."""
    items = key if isinstance(key, tuple) else (key,)
    for k in items:
        if not (k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer))) or isinstance(k, bool):
            return False
    return True


def convert_key(key, x):
    """Tensors and lists in `key` become arrays of x's backend; bool/int checks as PyTorch's."""
    xp = get_array_module(x)

    def conv(k):
        if isinstance(k, Tensor):
            a = k._data
            check_same_device(a, x) if a.ndim > 0 else None
            if a.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            return a if get_array_module(a) is xp else xp.asarray(a)
        if isinstance(k, list):
            a = xp.asarray(k)
            if a.size == 0:
                a = a.astype(xp.int64)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            return a
        if isinstance(k, np.ndarray) and xp is not np:
            return xp.asarray(k)
        if isinstance(k, float):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             "Variables are valid indices (got float)")
        return k

    if isinstance(key, tuple):
        return tuple(conv(k) for k in key)
    return conv(key)


def _index(a, key, shape):
    try:
        return a[key]
    except IndexError as e:
        msg = str(e).replace("axis", "dimension")
        raise IndexError(msg) from None
    except (ValueError, TypeError) as e:
        raise IndexError(f"invalid index {key!r} for a tensor of shape {list(shape)}: {e}") from None


class Index(Function):
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.key, ctx.shape = key, x._data.shape
        return _index(x._data, key, x._data.shape)

    @staticmethod
    def backward(ctx, grad_output):
        return IndexGrad.apply(grad_output, ctx.key, ctx.shape, False), None


class Select(Index):
    """Basic indexing (ints, slices, None, ...): a view."""
    node_name = "SelectBackward0"

    @staticmethod
    def backward(ctx, grad_output):
        return IndexGrad.apply(grad_output, ctx.key, ctx.shape, True), None


class SliceOp(Select):
    node_name = "SliceBackward0"


class IndexGrad(Function):
    """zeros(shape) with `g` added at `key` (accumulating repeated indices): backward of x[key]."""
    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g, key, shape, basic):
        ctx.key, ctx.basic = key, basic
        a = g._data
        xp = get_array_module(a)
        out = xp.zeros(shape, dtype=a.dtype)
        if basic:
            out[key] += a
        else:
            scatter_add(out, key, a)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return (Select if ctx.basic else Index).apply(grad_output, ctx.key), None, None, None


def getitem(x, key):
    if isinstance(key, Tensor) and key._data.dtype.kind == "b" and key._data.shape == x._data.shape \
            and x._data.ndim > 0:
        k = key._data
    else:
        k = convert_key(key, x._data)
    if _is_basic(k):
        op = SliceOp if not _has_int(k) else Select
        return as_view(op.apply(x, k), x)
    return Index.apply(x, k)


def _has_int(k):
    items = k if isinstance(k, tuple) else (k,)
    return any(isinstance(i, (int, np.integer)) for i in items)


class IndexPut(Function):
    """x with x[key] = value (out of place); in-place `x[key] = value` writes this result back."""
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, x, key, value):
        a = x._data
        out = a.copy()
        v = value._data if isinstance(value, Tensor) else value
        if isinstance(value, Tensor):
            check_same_device(a, v)
            if v.dtype != a.dtype:
                v = v.astype(a.dtype)
        try:
            out[key] = v
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None
        except ValueError:
            tgt = _index(a, key, a.shape).shape
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(getattr(v, 'shape', ()))} "
                               f"cannot be broadcast to indexing result of shape {list(tgt)}") from None
        ctx.key = key
        ctx.vshape = v.shape if isinstance(value, Tensor) else None
        ctx.basic = _is_basic(key)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        xp = get_array_module(grad_output._data)
        gx = gv = None
        if ctx.needs_input_grad[0]:
            mask = xp.ones(grad_output._data.shape, dtype=grad_output._data.dtype)
            mask[ctx.key] = 0
            gx = grad_output * Tensor._make(mask)
        if ctx.vshape is not None and ctx.needs_input_grad[2]:
            op = Select if ctx.basic else Index
            gv = op.apply(grad_output, ctx.key)
            if gv._data.shape != ctx.vshape:
                gv = gv.sum_to_size(ctx.vshape) if len(gv._data.shape) >= len(ctx.vshape) else gv
        return gx, None, gv


def setitem(x, key, value):
    from .inplace import inplace  # noqa: PLC0415
    if isinstance(key, Tensor) and key._data.dtype.kind == "b" and key._data.shape == x._data.shape:
        k = key._data
    else:
        k = convert_key(key, x._data)
    if not isinstance(value, Tensor):
        if isinstance(value, (list, tuple)):
            value = Tensor._make(get_array_module(x._data).asarray(value, dtype=x._data.dtype))
        elif not isinstance(value, (bool, int, float, complex, np.generic, np.ndarray)):
            raise TypeError(f"can't assign a {type(value).__name__} to a {x.type()}")
    needs = _state.enabled and (x._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if not needs:
        if x._requires_grad and x.grad_fn is None and _state.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        v = value._data if isinstance(value, Tensor) else value
        if isinstance(value, Tensor):
            check_same_device(x._data, v)
        try:
            x._data[k] = v
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None
        except ValueError:
            tgt = _index(x._data, k, x._data.shape).shape
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(getattr(v, 'shape', ()))} "
                               f"cannot be broadcast to indexing result of shape {list(tgt)}") from None
        x._bump()
        return
    inplace(x, lambda t, kk, vv: IndexPut.apply(t, kk, vv), k, value)


class Where(Function):
    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b):
        c = cond._data
        if c.dtype.kind != "b":
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with "
                               f"dtype {cond.dtype.name.capitalize()}")
        xa, xb = operands(a, b) if isinstance(a, Tensor) or isinstance(b, Tensor) else (a, b)
        xp = get_array_module(c)
        ctx.save_for_backward(cond)
        try:
            return xp.where(c, xa, xb)
        except ValueError:
            raise broadcast_error(c.shape, getattr(xa, "shape", ())) from None

    @staticmethod
    def backward(ctx, grad_output):
        (cond,) = ctx.saved_tensors
        z = grad_output * 0
        return (None,
                Where.apply(cond, grad_output, z) if ctx.needs_input_grad[1] else None,
                Where.apply(cond, z, grad_output) if ctx.needs_input_grad[2] else None)


def where(condition, input=None, other=None):
    if input is None and other is None:
        from .index import nonzero  # noqa: PLC0415
        return nonzero(condition, as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        xp = get_array_module(condition._data)
        from .._dtype import result_type  # noqa: PLC0415
        dt = result_type(input, other).np
        input = Tensor._make(xp.asarray(input, dtype=dt))
    return Where.apply(condition, input, other)
