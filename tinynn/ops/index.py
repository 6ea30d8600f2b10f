"""Indexing: `x[key]` / `x[key] = value` (ints, slices, None, Ellipsis, integer/bool tensors and
lists, combined as in PyTorch), gather/scatter, index_* ops, masked ops, take, nonzero, sorting,
topk, unique, searchsorted; `where`.

Basic keys (ints, slices, None, ...) give views (SelectBackward0, SliceBackward0, ...); advanced
keys copy (IndexBackward0). Backward of every gather-like op scatters with accumulation (repeated
indices add up) through `accumulate_flat` / `index_add_along`: a bincount kernel when many values
land in a small target, the backend's scatter-add otherwise.
"""
from __future__ import annotations

import math
import warnings

import numpy as np  # host-side metadata only (np.integer / np.ndarray in keys)

from .._dtype import result_type
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend import bincount_add, get_array_module
from ..backend import scatter_add as _scatter_add_kernel
from ..tensor import Tensor
from ._util import broadcast_error, canonical_dim, check_same_device, check_tensor, operands
from .reduce import _dtype_name, _errstate, _with_out, return_types
from .shape import as_view, parse_shape

__all__ = ["getitem", "setitem", "where", "convert_key", "gather", "scatter", "scatter_add",
           "index_select", "index_add", "index_fill", "index_copy", "index_put", "index_put_",
           "masked_fill", "masked_select", "masked_scatter", "take", "take_along_dim", "nonzero",
           "argwhere", "sort", "argsort", "msort", "topk", "unique", "unique_consecutive",
           "searchsorted", "bucketize", "isin", "bincount", "histc", "accumulate_flat", "index_add_along"]


# named tuples (torch.return_types.sort / topk), shared with the reductions
_sort_t = return_types.sort
_topk_t = return_types.topk


# ----------------------------------------------------------------------------------------
# scatter-add kernels
# ----------------------------------------------------------------------------------------
def accumulate_flat(target, pos, vals) -> None:
    """target[pos] += vals on a 1-D array, accumulating repeated positions."""
    if vals.size == 0:
        return
    if target.dtype.kind == "f" and vals.size * 4 >= target.size:
        bincount_add(target, pos, vals)  # many values into a small target: bincount is fastest
    else:
        _scatter_add_kernel(target, pos, vals)


def index_add_along(out, dim, idx, src) -> None:
    """out.index_add_(dim, idx, src) on raw arrays (idx 1-D, src shaped like out but idx.size at dim)."""
    xp = get_array_module(out)
    o = xp.moveaxis(out, dim, 0) if out.ndim else out.reshape(1)
    s = xp.moveaxis(src, dim, 0) if src.ndim else src.reshape(1)
    if s.shape[0] == 0:
        return
    if o.ndim == 1 and out.dtype.kind == "f" and idx.size * 4 >= o.shape[0]:
        o += xp.bincount(idx, weights=s, minlength=o.shape[0]).astype(o.dtype, copy=False)
    else:
        _scatter_add_kernel(o, idx, s)


def _contig_strides(shape):
    st = []
    acc = 1
    for n in reversed(shape):
        st.append(acc)
        acc *= n
    return tuple(reversed(st))


def _flat_positions(shape, key, xp):
    """Flat (C-order) positions, in an array of `shape`, of the elements `a[key]` selects."""
    nd = len(shape)
    if nd == 0:
        return _get(xp.zeros((), dtype=xp.int64), key).copy()
    total = None
    for d, (n, c) in enumerate(zip(shape, _contig_strides(shape))):
        ar = (xp.arange(n, dtype=xp.int64) * c).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
        term = _get(xp.broadcast_to(ar, shape), key)
        if total is None:
            total = term.copy()
        else:
            total += term
    return total


def _dim_positions(index, dim, shape, xp):
    """Flat positions in a C-contiguous array of `shape` of out[i...] = a[..., index[i...], ...]."""
    nd = index.ndim
    st = _contig_strides(shape)
    pos = index.astype(xp.int64) * st[dim]
    for d in range(nd):
        if d != dim:
            n = index.shape[d]
            pos = pos + (xp.arange(n, dtype=xp.int64) * st[d]).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
    return pos


# ----------------------------------------------------------------------------------------
# keys
# ----------------------------------------------------------------------------------------
_INDEX_TYPE_MSG = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                   "are valid indices (got {})")
_TENSOR_INDEX_MSG = "tensors used as indices must be long, int, byte or bool tensors"


def _int_of(v):
    if isinstance(v, Tensor):
        if v._data.dtype.kind not in "iub" or v._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(v.item())
    if v is None or isinstance(v, int):
        return v
    try:
        return v.__index__()
    except AttributeError:
        raise TypeError("slice indices must be integers or None or have an __index__ method") from None


def _slice(k):
    s = slice(_int_of(k.start), _int_of(k.stop), _int_of(k.step))
    if s.step is not None:
        if s.step == 0:
            raise ValueError("slice step cannot be zero")
        if s.step < 0:
            raise ValueError("step must be greater than zero")
    return s


def _legacy_tuple_list(key):
    """PyTorch reads a list holding slices, None, Ellipsis or sequences as a tuple of indices."""
    return any(k is None or k is Ellipsis or isinstance(k, (slice, list, tuple, Tensor)) and
               not (isinstance(k, Tensor) and k._data.ndim == 0) for k in key)


def _list_array(k, xp):
    vals = [int(v.item()) if isinstance(v, Tensor) and v._data.dtype.kind in "iu" else
            bool(v.item()) if isinstance(v, Tensor) and v._data.dtype.kind == "b" else v for v in k]
    try:
        a = xp.asarray(vals)
    except (ValueError, TypeError):
        raise IndexError(_TENSOR_INDEX_MSG) from None
    if a.size == 0:
        return a.astype(xp.int64)
    if a.dtype.kind not in "iub":
        raise IndexError(_TENSOR_INDEX_MSG)
    return a


def convert_key(key, a):
    """A PyTorch indexing key -> (tuple key for the array module of `a`, advanced?)."""
    xp = get_array_module(a)
    if isinstance(key, list) and _legacy_tuple_list(key):
        key = tuple(key)
    items = key if isinstance(key, tuple) else (key,)
    out = []
    adv = False
    n_ell = 0
    from_list = {}
    for k in items:
        if k is None:
            out.append(k)
        elif k is Ellipsis:
            out.append(k)
            n_ell += 1
        elif isinstance(k, bool):
            out.append(k)
            adv = True
        elif isinstance(k, (int, np.integer)):
            out.append(int(k))
        elif isinstance(k, slice):
            out.append(_slice(k))
        elif isinstance(k, Tensor):
            arr = k._data
            kind = arr.dtype.kind
            if kind == "u" and arr.dtype.itemsize == 1:
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                              "torch.bool instead.", UserWarning, stacklevel=4)
                arr = arr.astype(bool)
                kind = "b"
            if kind not in "iub":
                raise IndexError(_TENSOR_INDEX_MSG)
            if kind != "b" and arr.ndim == 0:
                out.append(int(arr))  # a 0-dim integer tensor indexes like an int
                continue
            if arr.ndim > 0:
                check_same_device(arr, a)
            out.append(arr if get_array_module(arr) is xp else xp.asarray(arr))
            adv = True
        elif isinstance(k, (list, tuple, range)):
            k = list(k) if isinstance(k, range) else k  # PyTorch takes a range as a sequence
            out.append(_list_array(k, xp))
            adv = True
            if xp is not np and out[-1].dtype.kind in "iu":
                # CuPy wraps out-of-range indices around: check a host list's values on the host
                from_list[len(out) - 1] = _host_minmax(k)
        elif isinstance(k, np.ndarray):
            if k.dtype.kind not in "iub":
                raise IndexError(_TENSOR_INDEX_MSG)
            out.append(xp.asarray(k))
            adv = True
        elif isinstance(k, float):
            raise IndexError(_INDEX_TYPE_MSG.format("float"))
        else:
            raise IndexError(_INDEX_TYPE_MSG.format(type(k).__name__))
    if adv or n_ell > 1:
        _check_key(out, a.shape, from_list)
    if adv and n_ell:
        # PyTorch expands `...` to full slices: one that covers no dim does not separate the index
        # arrays around it (NumPy would treat it as a separator and move the indexed dims first)
        out = list(_expand_ellipsis(out, a.ndim, pad=False))
    if adv and any(isinstance(k, int) for k in out):  # ints (bools are ints) next to index arrays
        return _two_step(out, xp), adv
    return tuple(out), adv


def _consumed(k):
    if k is None or k is Ellipsis or isinstance(k, bool):
        return 0
    if isinstance(k, (int, slice)):
        return 1
    return k.ndim if k.dtype.kind == "b" else 1


def _host_minmax(k):
    """(min, max) of a nested list of ints, read on the host."""
    lo = hi = None
    stack = [k]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
            continue
        v = int(v)
        lo = v if lo is None or v < lo else lo
        hi = v if hi is None or v > hi else hi
    return lo, hi


def _check_key(items, shape, from_list=None):
    """PyTorch's errors for too many indices, mask shapes and out-of-range ints (and out-of-range
    entries of the index arrays at positions `from_list`)."""
    nd = len(shape)
    n_ell = sum(1 for k in items if k is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    total = sum(_consumed(k) for k in items)
    if total > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    pos = 0
    for j, k in enumerate(items):
        if k is Ellipsis:
            pos += nd - total
            continue
        c = _consumed(k)
        if from_list and j in from_list and k.size:
            n = shape[pos]
            lo, hi = from_list[j]
            if lo < -n or hi >= n:
                raise IndexError(f"index {hi if hi >= n else lo} is out of bounds for dimension {pos} "
                                 f"with size {n}")
        if isinstance(k, int):
            n = shape[pos]
            if k < -n or k >= n:
                raise IndexError(f"index {k} is out of bounds for dimension {pos} with size {n}")
        elif c and not isinstance(k, slice) and k.dtype.kind == "b":
            for j in range(c):
                if k.shape[j] != shape[pos + j]:
                    raise IndexError(f"The shape of the mask {list(k.shape)} at index {j} does not match "
                                     f"the shape of the indexed tensor {list(shape)} at index {pos + j}")
        pos += c


class TwoStepKey:
    """An advanced key mixing ints (or bools) with index arrays. PyTorch applies the ints as selects
    first and then indexes the rest, where NumPy would treat the ints as advanced indices too (and
    may move the indexed dims to the front): `k1` is the basic part, `k2` indexes its result."""
    __slots__ = ("k1", "k2")

    def __init__(self, k1, k2):
        self.k1, self.k2 = k1, k2


def _two_step(items, xp):
    k1, k2 = [], []
    for k in items:
        if k is Ellipsis:
            k1.append(k)
            k2.append(k)
        elif k is None:
            k1.append(None)
            k2.append(slice(None))
        elif isinstance(k, bool):
            k1.append(None)
            k2.append(xp.asarray([k]))
        elif isinstance(k, int):
            k1.append(k)
        elif isinstance(k, slice):
            k1.append(k)
            k2.append(slice(None))
        else:
            k1.extend([slice(None)] * _consumed(k))
            k2.append(k)
    return TwoStepKey(tuple(k1), tuple(k2))


def _get(a, key):
    if type(key) is TwoStepKey:
        return a[key.k1][key.k2]
    return a[key]


def _set(a, key, v):
    if type(key) is TwoStepKey:
        a[key.k1][key.k2] = v  # a[k1] is a view (k1 keeps a slice for each indexed dim)
    else:
        a[key] = v


def _index(a, key):
    try:
        return _get(a, key)
    except IndexError as e:
        raise _index_error(e, a) from None


def _index_error(e, a):
    """NumPy's (or CuPy's) IndexError in PyTorch's words."""
    msg = str(e)
    if msg.startswith("too many indices"):
        return IndexError(f"too many indices for tensor of dimension {a.ndim}")
    if msg.startswith("Index "):  # CuPy: "Index 5 is out of bounds for axis 0 with size 3"
        msg = "i" + msg[1:]
    return IndexError(msg.replace("axis", "dimension"))


def _expand_ellipsis(key, nd, pad=True):
    """Replace `...` by full slices (and, with `pad`, add trailing full slices for the dims the
    key does not reach, for the kernels' fast paths)."""
    total = sum(_consumed(k) for k in key)
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (nd - total))
        else:
            out.append(k)
    if pad and not any(k is Ellipsis for k in key):
        out.extend([slice(None)] * (nd - total))
    return tuple(out)


def _single_array_dim(key, nd):
    """(dim, index array) when `key` is full slices around one integer array, else None."""
    key = _expand_ellipsis(key, nd)
    found = None
    for d, k in enumerate(key):
        if isinstance(k, slice):
            if k != slice(None):
                return None
        elif k is None or isinstance(k, (bool, int)) or k.dtype.kind == "b":
            return None
        elif found is not None:
            return None
        else:
            found = (d, k)
    return found


# ----------------------------------------------------------------------------------------
# x[key]
# ----------------------------------------------------------------------------------------
class Index(Function):
    """Advanced indexing (a copy)."""
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.key, ctx.shape = key, x._data.shape
        return _index(x._data, key)

    @staticmethod
    def backward(ctx, grad_output):
        return IndexGrad.apply(grad_output, ctx.key, ctx.shape), None


class IndexGrad(Function):
    """zeros(shape) with `g` added at `key`, repeated indices accumulating: the backward of x[key]."""
    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g, key, shape):
        ctx.key = key
        a = g._data
        xp = get_array_module(a)
        out = xp.zeros(shape, dtype=a.dtype)
        if type(key) is TwoStepKey:
            view = out[key.k1]
            if _scatter_fast(view, key.k2, a):
                return out
        elif _scatter_fast(out, key, a):
            return out
        pos = _flat_positions(shape, key, xp)
        accumulate_flat(out.reshape(-1), pos.reshape(-1), xp.ascontiguousarray(a).reshape(-1))
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return Index.apply(grad_output, ctx.key), None, None


def _scatter_fast(out, key, a):
    """out[key] += a for a full mask or a single index array (True), else False (not handled)."""
    shape = out.shape
    nd = len(shape)
    k0 = key[0] if len(key) == 1 else None
    if k0 is not None and k0 is not Ellipsis and not isinstance(k0, (bool, int, slice)) \
            and k0.dtype.kind == "b" and k0.shape == shape:
        out[key] += a  # a full mask selects each element once
        return True
    single = _single_array_dim(key, nd)
    if single is not None:
        d, idx = single
        src = a.reshape(shape[:d] + (idx.size,) + shape[d + 1:])
        index_add_along(out, d, (idx % shape[d]).reshape(-1) if idx.size else idx.reshape(-1), src)
        return True
    return False


class _BasicIndex(Function):
    """Basic indexing (ints, slices, None, ...): a view."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.key, ctx.shape = key, x._data.shape
        # a trailing `...` makes NumPy return a 0-dim view rather than a scalar copy for x[i, j]
        return _index(x._data, key if any(k is Ellipsis for k in key) else key + (Ellipsis,))

    @staticmethod
    def backward(ctx, grad_output):
        return BasicIndexGrad.apply(grad_output, ctx.key, ctx.shape), None


class Select(_BasicIndex):
    node_name = "SelectBackward0"


class SliceOp(_BasicIndex):
    node_name = "SliceBackward0"


class UnsqueezeIndex(_BasicIndex):
    node_name = "UnsqueezeBackward0"


class AliasIndex(_BasicIndex):
    node_name = "AliasBackward0"


class BasicIndexGrad(Function):
    """zeros(shape) with `g` written at a basic key (no repeats): the backward of a basic x[key]."""
    node_name = "SliceBackwardBackward0"

    @staticmethod
    def forward(ctx, g, key, shape):
        ctx.key = key
        a = g._data
        out = get_array_module(a).zeros(shape, dtype=a.dtype)
        out[key] = a
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return _basic_op(ctx.key, False).apply(grad_output, ctx.key), None, None


def _basic_op(key, bare):
    """PyTorch names the node after the last op the key applies (full slices are no-ops)."""
    op = None
    for k in key:
        if k is None:
            op = UnsqueezeIndex
        elif isinstance(k, int):
            op = Select
        elif isinstance(k, slice) and (k != slice(None) or bare):
            op = SliceOp
    return op or AliasIndex


def getitem(x, key):
    tk = type(key)
    if tk is int and x._data.ndim:  # fast path: x[i]
        return as_view(Select.apply(x, (key,)), x)
    if tk is slice and x._data.ndim and type(key.start) is not Tensor and type(key.stop) is not Tensor \
            and (key.step is None or type(key.step) is int and key.step > 0):  # fast path: x[a:b:c]
        return as_view(SliceOp.apply(x, (key,)), x)
    k, adv = convert_key(key, x._data)
    if adv:
        return Index.apply(x, k)
    return as_view(_basic_op(k, not isinstance(key, tuple)).apply(x, k), x)


# ----------------------------------------------------------------------------------------
# x[key] = value
# ----------------------------------------------------------------------------------------
class IndexPut(Function):
    """x with x[key] = value (or += with accumulate), out of place; in-place ops write it back."""
    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, key, value, accumulate=False):
        a = x._data
        xp = get_array_module(a)
        out = a.copy()
        v = value._data if isinstance(value, Tensor) else value
        if isinstance(value, Tensor):
            check_same_device(a, v)
            if v.dtype != a.dtype:
                v = v.astype(a.dtype)
        ctx.key, ctx.accumulate = key, accumulate
        ctx.vshape = v.shape if isinstance(value, Tensor) else None
        if accumulate:
            pos = _flat_positions(a.shape, key, xp)
            try:
                vals = xp.broadcast_to(v.astype(a.dtype, copy=False) if hasattr(v, 'shape') else
                                       xp.asarray(v, dtype=a.dtype), pos.shape)
            except ValueError:
                raise RuntimeError(f"shape mismatch: value tensor of shape {list(getattr(v, 'shape', ()))} "
                                   f"cannot be broadcast to indexing result of shape {list(pos.shape)}") from None
            accumulate_flat(out.reshape(-1), pos.reshape(-1), xp.ascontiguousarray(vals).reshape(-1))
            return out
        try:
            _set(out, key, v)
        except IndexError as e:
            raise _index_error(e, a) from None
        except ValueError:
            tgt = _index(a, key).shape
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(getattr(v, 'shape', ()))} "
                               f"cannot be broadcast to indexing result of shape {list(tgt)}") from None
        return out

    @staticmethod
    def backward(ctx, grad_output):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = grad_output if ctx.accumulate else IndexPut.apply(grad_output, ctx.key, 0.0)
        if ctx.vshape is not None and ctx.needs_input_grad[2]:
            gv = Index.apply(grad_output, ctx.key)
        return gx, None, gv, None


def _value_arg(x, value):
    if isinstance(value, Tensor):
        if value._data.ndim == 0 and type(value._data) is not type(x._data) and value.device.type == "cpu":
            return value.to(x.device)  # a CPU scalar tensor may go into a GPU tensor, as in PyTorch
        return value
    if isinstance(value, (bool, int, float, complex, np.generic)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, np.ndarray):
        return Tensor._make(get_array_module(x._data).asarray(value))
    raise TypeError(f"can't assign a {type(value).__name__} to a {x.type()}")


def _overlap_error():
    return RuntimeError("unsupported operation: more than one element of the written-to tensor refers "
                        "to a single memory location. Please clone() the tensor before performing the "
                        "operation.")


def setitem(x, key, value):
    from .inplace import copy_  # noqa: PLC0415 - inplace builds on index
    value = _value_arg(x, value)
    k, adv = convert_key(key, x._data)
    vt = isinstance(value, Tensor)
    grad_on = _state.enabled
    root = x._base if x._base is not None else x
    needs = grad_on and (x._requires_grad or root._requires_grad or (vt and value._requires_grad))
    if not needs:
        v = value._data if vt else value
        if vt:
            check_same_device(x._data, v)
        try:
            _set(x._data, k, v)
        except IndexError as e:
            raise _index_error(e, x._data) from None
        except ValueError as e:
            if "read-only" in str(e):
                raise _overlap_error() from None
            tgt = _index(x._data, k).shape
            if adv:
                raise RuntimeError(f"shape mismatch: value tensor of shape {list(getattr(v, 'shape', ()))} "
                                   f"cannot be broadcast to indexing result of shape {list(tgt)}") from None
            raise _expand_error(getattr(v, "shape", ()), tgt) from None
        except TypeError:
            raise TypeError(f"can't assign a {type(value).__name__} to a {x.type()}") from None
        x._bump()
        return
    if not adv:
        target = getitem(x, key)
        if vt:
            ts = target._data.shape
            _check_expand(value._data.shape, ts)
            if value._data.ndim > len(ts):  # leading size-1 dims of the value are dropped, as in PyTorch
                value = value.reshape(value._data.shape[value._data.ndim - len(ts):])
        copy_(target, value)
        return
    from .inplace import inplace  # noqa: PLC0415
    inplace(x, _index_put_fn, k, value)


def _index_put_fn(t, key, value, accumulate=False):
    return IndexPut.apply(t, key, value, accumulate)


def _expand_error(vshape, tshape):
    try:
        _check_expand(vshape, tshape)
    except RuntimeError as e:
        return e
    return RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                        f"indexing result of shape {list(tshape)}")


def _strip_leading_ones(shape):
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape


def _check_expand(vshape, tshape, tname="FloatTensor"):
    """PyTorch's error when a value of `vshape` cannot be written into a slice of `tshape`."""
    from .shape import _expand_sizes  # noqa: PLC0415
    vs = tuple(vshape)
    if len(vs) > len(tshape):
        vs = _strip_leading_ones(vs)[-len(tshape):] if len(_strip_leading_ones(vs)) <= len(tshape) \
            else _strip_leading_ones(vs)
    _expand_sizes(vs, tuple(tshape), tname)


def index_put(input, indices, values, accumulate=False):
    k, _ = convert_key(tuple(indices), input._data)
    return IndexPut.apply(input, k, _value_arg(input, values), accumulate)


def index_put_(input, indices, values, accumulate=False):
    from .inplace import inplace  # noqa: PLC0415
    k, _ = convert_key(tuple(indices), input._data)
    return inplace(input, _index_put_fn, k, _value_arg(input, values), accumulate)


# ----------------------------------------------------------------------------------------
# gather / scatter
# ----------------------------------------------------------------------------------------
def _check_index_dtype(index, name):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")


def _on_host(a) -> bool:
    """Index checks that read values run on host arrays only: on a GPU they would cost a device
    sync per op (PyTorch's CUDA kernels assert on the device instead)."""
    return type(a) is np.ndarray


def _check_range(idx, n, dim):
    if idx.size == 0 or not _on_host(idx):
        return
    xp = get_array_module(idx)
    bad = (idx < 0) | (idx >= n)
    if bool(bad.any()):
        v = int(idx.reshape(-1)[int(xp.argmax(bad.reshape(-1)))])
        raise RuntimeError(f"index {v} is out of bounds for dimension {dim} with size {n}")


class Gather(Function):
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        a, idx = x._data, index._data
        xp = get_array_module(a)
        check_same_device(a, idx)
        ctx.dim, ctx.shape = dim, a.shape
        ctx.save_for_backward(index)
        if a.ndim == 0:
            return a.reshape(1)[idx.reshape(1)].reshape(idx.shape)
        sub = a[tuple(slice(0, idx.shape[d]) if d != dim else slice(None) for d in range(a.ndim))]
        return xp.take_along_axis(sub, idx.astype(xp.int64, copy=False), axis=dim)

    @staticmethod
    def backward(ctx, grad_output):
        (index,) = ctx.saved_tensors
        xp = get_array_module(grad_output._data)
        zeros = Tensor._make(xp.zeros(ctx.shape, dtype=grad_output._data.dtype))
        return scatter_add(zeros, ctx.dim, index, grad_output), None, None


def _check_gather(input, dim, index):
    _check_index_dtype(index, "gather")
    a, idx = input._data, index._data
    nd = a.ndim
    d = canonical_dim(dim, nd)
    if idx.ndim != nd and not (max(idx.ndim, nd) <= 1 and idx.size <= 1 and a.size <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if nd:
        for k in range(nd):
            if k != d and idx.shape[k] > a.shape[k]:
                raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} "
                                   f"to be no larger than self {list(a.shape)} apart from dimension {d}")
    _check_range(idx, a.shape[d] if nd else 1, d)
    return d


def gather(input, dim, index, *, sparse_grad=False, out=None):
    d = _check_gather(input, dim, index)
    return Gather.apply(input, d, index)


def _scatter_checks(input, dim, index, src, name="scatter"):
    _check_index_dtype(index, name)
    a, idx = input._data, index._data
    nd = a.ndim
    d = canonical_dim(dim, nd)
    if idx.ndim != nd and not (max(idx.ndim, nd) <= 1 and idx.size <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor):
        check_same_device(a, src._data)
        if src._data.ndim != idx.ndim and not (max(idx.ndim, src._data.ndim) <= 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if nd and idx.ndim == nd:
        bad = any(k != d and idx.shape[k] > a.shape[k] for k in range(nd))
        if isinstance(src, Tensor) and src._data.ndim == nd:
            if bad or any(idx.shape[k] > src._data.shape[k] for k in range(nd)):
                raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                                   f"{list(a.shape)} apart from dimension {d} and to be no larger size "
                                   f"than src {list(src._data.shape)}")
        elif bad:
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(a.shape)} "
                               f"apart from dimension {d}")
    _check_range(idx, a.shape[d] if nd else 1, d)
    return d


def _src_block(src, idx):
    """The leading block of `src` that `idx` addresses (src may be larger than index)."""
    s = src._data if isinstance(src, Tensor) else src
    if not isinstance(src, Tensor):
        return s
    if s.ndim and s.shape != idx.shape:
        s = s[tuple(slice(0, n) for n in idx.shape)]
    return s


def _pad_to(g, shape):
    """g zero-padded at the end of each dim up to `shape` (for src larger than index)."""
    from .shape import cat  # noqa: PLC0415
    if tuple(g.shape) == tuple(shape):
        return g
    xp = get_array_module(g._data)
    for d, n in enumerate(shape):
        cur = g._data.shape[d]
        if cur < n:
            zshape = g._data.shape[:d] + (n - cur,) + g._data.shape[d + 1:]
            g = cat([g, Tensor._make(xp.zeros(zshape, dtype=g._data.dtype))], d)
    return g


def _scatter_positions(a, d, idx):
    xp = get_array_module(a)
    if a.ndim == 0:
        return xp.zeros(idx.shape, dtype=xp.int64)
    return _dim_positions(idx, d, a.shape, xp)


class Scatter(Function):
    """out = x.clone(); out[... index ...] = src (or a scalar value)."""
    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src):
        a, idx = x._data, index._data
        xp = get_array_module(a)
        out = xp.ascontiguousarray(a).copy() if not a.flags.c_contiguous else a.copy()
        ctx.dim = dim
        ctx.src_shape = src._data.shape if isinstance(src, Tensor) else None
        ctx.save_for_backward(index)
        s = _src_block(src, idx)
        pos = _scatter_positions(a, dim, idx)
        flat = out.reshape(-1)
        if isinstance(src, Tensor):
            flat[pos.reshape(-1)] = xp.ascontiguousarray(s).reshape(-1).astype(a.dtype, copy=False)
        else:
            flat[pos.reshape(-1)] = src
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (index,) = ctx.saved_tensors
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = ScatterValue.apply(grad_output, ctx.dim, index, 0.0)
        if ctx.src_shape is not None and ctx.needs_input_grad[3]:
            gs = _pad_to(Gather.apply(grad_output, ctx.dim, index), ctx.src_shape)
        return gx, None, None, gs


class ScatterValue(Scatter):
    node_name = "ScatterBackward1"


class ScatterAdd(Function):
    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src):
        a, idx = x._data, index._data
        xp = get_array_module(a)
        out = a.copy() if a.flags.c_contiguous else xp.ascontiguousarray(a)
        ctx.dim, ctx.src_shape = dim, src._data.shape
        ctx.save_for_backward(index)
        s = _src_block(src, idx)
        pos = _scatter_positions(a, dim, idx)
        accumulate_flat(out.reshape(-1), pos.reshape(-1),
                        xp.ascontiguousarray(s).reshape(-1).astype(a.dtype, copy=False))
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (index,) = ctx.saved_tensors
        gs = None
        if ctx.needs_input_grad[3]:
            gs = _pad_to(Gather.apply(grad_output, ctx.dim, index), ctx.src_shape)
        return grad_output, None, None, gs


class ScatterReduce(Function):
    """scatter with reduce='add'/'multiply': PyTorch does not differentiate it."""
    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        a, idx = x._data, index._data
        xp = get_array_module(a)
        out = a.copy() if a.flags.c_contiguous else xp.ascontiguousarray(a)
        pos = _scatter_positions(a, dim, idx).reshape(-1)
        if isinstance(src, Tensor):
            vals = xp.ascontiguousarray(_src_block(src, idx)).reshape(-1).astype(a.dtype, copy=False)
        else:
            vals = xp.full(pos.shape, src, dtype=a.dtype)
        flat = out.reshape(-1)
        if reduce == "add":
            accumulate_flat(flat, pos, vals)
        else:
            # repeated positions multiply in turn: one round per multiplicity, each vectorised
            while pos.size:
                uniq, first = xp.unique(pos, return_index=True)
                flat[uniq] *= vals[first]
                keep = xp.ones(pos.shape, dtype=bool)
                keep[first] = False
                pos, vals = pos[keep], vals[keep]
        return out

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if src is not None and value is not None:
        raise TypeError("scatter() got both 'src' and 'value'")
    s = src if src is not None else value
    if not isinstance(s, Tensor) and not isinstance(s, (bool, int, float, complex)):
        raise TypeError(f"scatter(): argument 'src' must be Tensor, not {type(s).__name__}")
    if isinstance(s, Tensor) and s._data.ndim == 0 and input._data.ndim > 0 and index._data.ndim > 0:
        s = s.item()  # PyTorch treats a 0-dim src as a value
    d = _scatter_checks(input, dim, index, s)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if isinstance(s, Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be "
                          "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
                          "reduction options.", UserWarning, stacklevel=2)
        return ScatterReduce.apply(input, d, index, s, reduce)
    if isinstance(s, Tensor):
        return Scatter.apply(input, d, index, s)
    return ScatterValue.apply(input, d, index, s)


def scatter_add(input, dim, index, src):
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    d = _scatter_checks(input, dim, index, src, "scatter_add")
    return ScatterAdd.apply(input, d, index, src)


# ----------------------------------------------------------------------------------------
# index_select / index_add / index_fill / index_copy
# ----------------------------------------------------------------------------------------
def _index_vector(index, name):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")
    return idx.reshape(-1)


class IndexSelect(Function):
    node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        a = x._data
        xp = get_array_module(a)
        idx = index._data.reshape(-1)
        ctx.dim, ctx.shape = dim, a.shape
        ctx.save_for_backward(index)
        if a.ndim == 0:
            return a.reshape(1)[idx].reshape(idx.shape if index._data.ndim else ())
        return xp.take(a, idx, axis=dim)

    @staticmethod
    def backward(ctx, grad_output):
        (index,) = ctx.saved_tensors
        xp = get_array_module(grad_output._data)
        zeros = Tensor._make(xp.zeros(ctx.shape, dtype=grad_output._data.dtype))
        if not ctx.shape:
            return grad_output.sum().reshape(()), None, None
        return index_add(zeros, ctx.dim, index.reshape(-1), grad_output), None, None


def index_select(input, dim, index, *, out=None):
    idx = _index_vector(index, "index_select")
    a = input._data
    d = canonical_dim(dim, a.ndim)
    check_same_device(a, idx)
    n = a.shape[d] if a.ndim else 1
    if idx.size and _on_host(idx) and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError("index out of range in self")
    return IndexSelect.apply(input, d, index)


def _check_index_source(input, d, idx, source, name):
    a = input._data
    s = source._data
    n = a.shape[d] if a.ndim else 1
    ns = s.shape[d] if s.ndim else 1
    if idx.size != ns:
        raise RuntimeError(f"{name}(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({ns}), for dim: {d}")
    if a.ndim and s.ndim and (s.ndim != a.ndim or any(s.shape[k] != a.shape[k]
                                                      for k in range(a.ndim) if k != d)):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(a.shape)} source.shape = {list(s.shape)}")
    if n == 0 and idx.size:
        raise IndexError("index out of range in self")
    _check_range(idx, n, d)


class IndexAdd(Function):
    node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        a = x._data
        xp = get_array_module(a)
        out = a.copy() if a.flags.c_contiguous else xp.ascontiguousarray(a)
        s = source._data.astype(a.dtype, copy=False)
        if alpha != 1:
            s = s * alpha
        ctx.dim, ctx.alpha, ctx.src_shape = dim, alpha, source._data.shape
        ctx.save_for_backward(index)
        idx = index._data.reshape(-1).astype(xp.int64, copy=False)
        if a.ndim == 0:
            return out + s.sum().astype(a.dtype)
        index_add_along(out, dim, idx, s if s.ndim == a.ndim else s.reshape(a.shape[:dim] + (idx.size,) + a.shape[dim + 1:]))
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (index,) = ctx.saved_tensors
        gs = None
        if ctx.needs_input_grad[3]:
            if grad_output._data.ndim == 0:
                gs = grad_output.expand(ctx.src_shape)
            else:
                gs = IndexSelect.apply(grad_output, ctx.dim, index.reshape(-1))
                if ctx.alpha != 1:
                    gs = gs * ctx.alpha
                gs = gs.reshape(ctx.src_shape)
        return grad_output, None, None, gs, None


def index_add(input, dim, index, source, *, alpha=1, out=None):
    idx = _index_vector(index, "index_add_")
    d = canonical_dim(dim, input._data.ndim)
    _check_index_source(input, d, idx, source, "index_add_")
    return IndexAdd.apply(input, d, index, source, alpha)


class IndexFill(Function):
    node_name = "IndexFillBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, value):
        a = x._data
        xp = get_array_module(a)
        out = a.copy()
        v = value._data if isinstance(value, Tensor) else value
        idx = index._data.reshape(-1)
        ctx.dim = dim
        ctx.save_for_backward(index)
        o = xp.moveaxis(out, dim, 0) if out.ndim else out.reshape(1)
        o[idx] = v
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (index,) = ctx.saved_tensors
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = IndexFill.apply(grad_output, ctx.dim, index, 0.0)
        if len(ctx.needs_input_grad) > 3 and ctx.needs_input_grad[3]:
            if grad_output._data.ndim == 0:
                gv = grad_output
            else:
                gv = IndexSelect.apply(grad_output, ctx.dim, index.reshape(-1)).sum()
        return gx, None, None, gv


class IndexFillTensor(IndexFill):
    node_name = "IndexFillBackward1"


def index_fill(input, dim, index, value):
    idx = _index_vector(index, "index_fill_")
    d = canonical_dim(dim, input._data.ndim)
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    n = input._data.shape[d] if input._data.ndim else 1
    if idx.size and _on_host(idx):  # PyTorch: IndexError, and negative indices count from the end
        bad = (idx < -n) | (idx >= n)
        if bool(bad.any()):
            v = int(idx[int(get_array_module(idx).argmax(bad))])
            raise IndexError(f"index {v} is out of bounds for dimension {d} with size {n}")
        if bool((idx < 0).any()):
            index = Tensor._make(idx % n)
    return (IndexFillTensor if isinstance(value, Tensor) else IndexFill).apply(input, d, index, value)


class IndexCopy(Function):
    node_name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, source):
        a = x._data
        xp = get_array_module(a)
        out = a.copy()
        idx = index._data.reshape(-1)
        ctx.dim, ctx.src_shape = dim, source._data.shape
        ctx.save_for_backward(index)
        o = xp.moveaxis(out, dim, 0) if out.ndim else out.reshape(1)
        s = source._data.astype(a.dtype, copy=False)
        o[idx] = xp.moveaxis(s, dim, 0) if s.ndim else s.reshape(1)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (index,) = ctx.saved_tensors
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = IndexFill.apply(grad_output, ctx.dim, index, 0.0)
        if ctx.needs_input_grad[3]:
            gs = IndexSelect.apply(grad_output, ctx.dim, index.reshape(-1)).reshape(ctx.src_shape)
        return gx, None, None, gs


def index_copy(input, dim, index, source):
    idx = _index_vector(index, "index_copy_")
    d = canonical_dim(dim, input._data.ndim)
    _check_index_source(input, d, idx, source, "index_copy_")
    return IndexCopy.apply(input, d, index, source)


# ----------------------------------------------------------------------------------------
# masked ops
# ----------------------------------------------------------------------------------------
_C_TYPE = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
           "uint8": "unsigned char", "float32": "float", "float64": "double", "float16": "c10::Half"}


def _check_mask(mask, name):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype.kind != "b":
        if name == "masked_fill_":
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{_C_TYPE.get(mask.dtype.name, mask.dtype.name)}")
        raise RuntimeError(f"{name}: expected BoolTensor for mask")


class MaskedFill(Function):
    node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, mask, value):
        a, m = x._data, mask._data
        xp = get_array_module(a)
        check_same_device(a, m)
        v = value._data if isinstance(value, Tensor) else value
        ctx.save_for_backward(mask)
        if a.dtype.kind == "f" and type(v) in (float, int):
            fill = a.dtype.type(v)  # a scalar: no host->GPU copy per call (masks in attention)
        else:
            fill = xp.asarray(v).astype(a.dtype)
        try:
            return xp.where(m, fill, a)
        except ValueError:
            raise broadcast_error(a.shape, m.shape) from None

    @staticmethod
    def backward(ctx, grad_output):
        (mask,) = ctx.saved_tensors
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = MaskedFill.apply(grad_output, mask, 0.0)
        if ctx.needs_input_grad[2]:
            gv = MaskedFill.apply(grad_output, Tensor._make(~mask._data), 0.0).sum()
        return gx, None, gv


class MaskedFillTensor(MaskedFill):
    node_name = "MaskedFillBackward1"


def masked_fill(input, mask, value):
    _check_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                               f"with {value._data.ndim} dimension(s).")
    elif not isinstance(value, (bool, int, float, complex)):
        raise TypeError(f"masked_fill(): argument 'value' must be Number, not {type(value).__name__}")
    return (MaskedFillTensor if isinstance(value, Tensor) else MaskedFill).apply(input, mask, value)


def _broadcast_pair(a, m):
    xp = get_array_module(a)
    try:
        shape = tuple(np.broadcast_shapes(a.shape, m.shape))
    except ValueError:
        raise broadcast_error(a.shape, m.shape) from None
    return xp.broadcast_to(a, shape), xp.broadcast_to(m, shape), shape


class MaskedSelect(Function):
    node_name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, x, mask):
        a, m = x._data, mask._data
        check_same_device(a, m)
        ab, mb, shape = _broadcast_pair(a, m)
        ctx.shape = shape
        ctx.save_for_backward(mask)
        return ab[mb]

    @staticmethod
    def backward(ctx, grad_output):
        (mask,) = ctx.saved_tensors
        xp = get_array_module(grad_output._data)
        zeros = Tensor._make(xp.zeros(ctx.shape, dtype=grad_output._data.dtype))
        return masked_scatter(zeros, mask, grad_output), None


def masked_select(input, mask, *, out=None):
    _check_mask(mask, "masked_select")
    return MaskedSelect.apply(input, mask)


class MaskedScatter(Function):
    node_name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, x, mask, source):
        a, m, s = x._data, mask._data, source._data
        check_same_device(a, m)
        ab, mb, shape = _broadcast_pair(a, m)
        out = ab.copy()
        n = int(mb.sum())
        if s.size < n:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        ctx.count, ctx.src_shape = n, s.shape
        ctx.save_for_backward(mask)
        out[mb] = s.reshape(-1)[:n].astype(a.dtype, copy=False)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        from .shape import cat  # noqa: PLC0415
        (mask,) = ctx.saved_tensors
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = MaskedFill.apply(grad_output, mask, 0.0)
        if ctx.needs_input_grad[2]:
            g = MaskedSelect.apply(grad_output, mask)
            n_src = 1
            for k in ctx.src_shape:
                n_src *= k
            if n_src > ctx.count:
                xp = get_array_module(grad_output._data)
                g = cat([g, Tensor._make(xp.zeros(n_src - ctx.count, dtype=grad_output._data.dtype))])
            gs = g.reshape(ctx.src_shape)
        return gx, None, gs


def masked_scatter(input, mask, source):
    _check_mask(mask, "masked_scatter_")
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' must be Tensor, not {type(source).__name__}")
    return MaskedScatter.apply(input, mask, source)


# ----------------------------------------------------------------------------------------
# take / take_along_dim
# ----------------------------------------------------------------------------------------
class Take(Function):
    node_name = "TakeBackward0"

    @staticmethod
    def forward(ctx, x, index):
        a = x._data
        idx = index._data
        ctx.shape = a.shape
        ctx.save_for_backward(index)
        return a.reshape(-1)[idx]

    @staticmethod
    def backward(ctx, grad_output):
        (index,) = ctx.saved_tensors
        xp = get_array_module(grad_output._data)
        n = 1
        for s in ctx.shape:
            n *= s
        zeros = Tensor._make(xp.zeros(n, dtype=grad_output._data.dtype))
        flat_idx = Tensor._make(index._data.reshape(-1) % max(n, 1))
        return IndexAdd.apply(zeros, 0, flat_idx, grad_output.reshape(-1), 1).reshape(ctx.shape), None


def take(input, index):
    _check_index_dtype(index, "take")
    idx = index._data
    n = input._data.size
    if idx.size and _on_host(idx):
        bad = (idx < -n) | (idx >= n)
        if bool(bad.any()):
            v = int(idx.reshape(-1)[int(get_array_module(idx).argmax(bad.reshape(-1)))])
            raise IndexError(f"out of range: tried to access index {v} on a tensor of {n} elements.")
    return Take.apply(input, index)


def take_along_dim(input, indices, dim=None, *, out=None):
    from .shape import expand, reshape  # noqa: PLC0415
    _check_index_dtype(indices, "take_along_dim")
    if dim is None:
        return gather(reshape(input, -1), 0, reshape(indices, -1))
    a, idx = input._data, indices._data
    if a.ndim != idx.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {a.ndim} dimensions for input, and {idx.ndim} dimensions "
                           f"for indices")
    d = canonical_dim(dim, a.ndim)
    sa = list(a.shape)
    si = list(idx.shape)
    sa[d] = si[d] = 1
    try:
        b = list(np.broadcast_shapes(tuple(sa), tuple(si)))
    except ValueError:
        raise broadcast_error(tuple(sa), tuple(si)) from None
    ba, bi = list(b), list(b)
    ba[d], bi[d] = a.shape[d], idx.shape[d]
    if tuple(ba) != a.shape:
        input = expand(input, ba)
    if tuple(bi) != idx.shape:
        indices = expand(indices, bi)
    return gather(input, d, indices)


# ----------------------------------------------------------------------------------------
# nonzero, sort, topk, unique, searchsorted
# ----------------------------------------------------------------------------------------
def nonzero(input, *, out=None, as_tuple=False):
    check_tensor("nonzero", "input", 1, input)
    a = input._data
    xp = get_array_module(a)
    if as_tuple:
        if a.ndim == 0:
            return (Tensor._make(xp.flatnonzero(a.reshape(1)).astype(xp.int64)),)
        return tuple(Tensor._make(i.astype(xp.int64, copy=False)) for i in xp.nonzero(a))
    if a.ndim == 0:
        return Tensor._make(xp.zeros((1 if bool(a) else 0, 0), dtype=xp.int64))
    return Tensor._make(xp.argwhere(a).astype(xp.int64, copy=False))


def argwhere(input):
    check_tensor("argwhere", "input", 1, input)
    return nonzero(input)


def _argsort(a, dim, descending):
    """Stable argsort along dim; descending keeps equal elements in their original order and puts
    NaN first (PyTorch's order)."""
    xp = get_array_module(a)
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    n = a.shape[dim]
    j = xp.argsort(xp.flip(a, axis=dim), axis=dim, kind="stable")
    return xp.flip(n - 1 - j, axis=dim)


class SortValues(Gather):
    node_name = "SortBackward0"


class TopkValues(Gather):
    node_name = "TopkBackward0"


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    check_tensor("sort", "input", 1, input)
    a = input._data
    xp = get_array_module(a)
    d = canonical_dim(dim, a.ndim)
    if a.ndim == 0:
        idx = Tensor._make(xp.zeros((), dtype=xp.int64))
        return _sort_t((SortValues.apply(input, 0, idx), idx))
    idx = Tensor._make(_argsort(a, d, descending).astype(xp.int64, copy=False))
    return _sort_t((SortValues.apply(input, d, idx), idx))


def argsort(input, dim=-1, descending=False, stable=False):
    check_tensor("argsort", "input", 1, input)
    a = input._data
    xp = get_array_module(a)
    d = canonical_dim(dim, a.ndim)  # (a 0-dim tensor takes dims -1 and 0, as in sort)
    if a.ndim == 0:
        return Tensor._make(xp.zeros((), dtype=xp.int64))
    return Tensor._make(_argsort(a, d, descending).astype(xp.int64, copy=False))


def msort(input):
    check_tensor("msort", "input", 1, input)
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    a = input._data
    xp = get_array_module(a)
    d = canonical_dim(dim, a.ndim)
    n = a.shape[d] if a.ndim else 1
    if k < 0 or k > n:
        raise RuntimeError("selected index k out of range")
    if a.ndim == 0:
        idx = Tensor._make(xp.zeros((), dtype=xp.int64) if k else xp.zeros((0,), dtype=xp.int64))
        return _topk_t((TopkValues.apply(input, 0, idx), idx))
    order = _argsort(a, d, largest)
    idx = order[(slice(None),) * d + (slice(0, k),)]
    idx = Tensor._make(xp.ascontiguousarray(idx).astype(xp.int64, copy=False))
    return _topk_t((TopkValues.apply(input, d, idx), idx))


class _NotDifferentiable(Function):
    """An output PyTorch records but cannot differentiate (unique)."""
    node_name = "Unique2Backward0"

    @staticmethod
    def forward(ctx, x, arr, what):
        ctx.what = what
        return arr

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError(f"derivative for {ctx.what} is not implemented")


class _NotDifferentiableDim(_NotDifferentiable):
    node_name = "UniqueDimBackward0"


def _unique_out(input, arr, dim):
    if input._requires_grad and _state.enabled:
        if dim is None:
            return _NotDifferentiable.apply(input, arr, "aten::_unique2")
        return _NotDifferentiableDim.apply(input, arr, "aten::unique_dim")
    return Tensor._make(arr)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    check_tensor("_unique2", "input", 1, input)
    a = input._data
    xp = get_array_module(a)
    if dim is None:
        res = xp.unique(a.reshape(-1), return_inverse=return_inverse, return_counts=return_counts)
        res = res if isinstance(res, tuple) else (res,)
        vals = res[0]
        extra = list(res[1:])
        if return_inverse:
            extra[0] = extra[0].reshape(a.shape)
    else:
        d = canonical_dim(dim, a.ndim)
        res = xp.unique(a, axis=d, return_inverse=return_inverse, return_counts=return_counts)
        res = res if isinstance(res, tuple) else (res,)
        vals = res[0]
        extra = list(res[1:])
        if return_inverse:
            extra[0] = extra[0].reshape(-1)
    out = [_unique_out(input, vals, dim)] + [Tensor._make(e.astype(xp.int64, copy=False)) for e in extra]
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    check_tensor("unique_consecutive", "input", 1, input)
    a = input._data
    xp = get_array_module(a)
    if dim is None:
        flat = a.reshape(-1)
        change = xp.ones(flat.shape, dtype=bool)
        if flat.size > 1:
            change[1:] = flat[1:] != flat[:-1]
        vals = flat[change]
        d = 0
    else:
        d = canonical_dim(dim, a.ndim)
        m = xp.moveaxis(a, d, 0)
        change = xp.ones(m.shape[0], dtype=bool)
        if m.shape[0] > 1:
            diff = (m[1:] != m[:-1]).reshape(m.shape[0] - 1, -1)
            change[1:] = diff.any(axis=1)
        vals = xp.moveaxis(m[change], 0, d)
    out = [_unique_out(input, vals, dim)]
    if return_inverse:
        inv = xp.cumsum(change) - 1
        out.append(Tensor._make(inv.reshape(a.shape if dim is None else (-1,)).astype(xp.int64)))
    if return_counts:
        starts = xp.flatnonzero(change)
        ends = xp.concatenate([starts[1:], xp.asarray([change.size])])
        out.append(Tensor._make((ends - starts).astype(xp.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None,
                 out=None):
    seq = sorted_sequence._data
    xp = get_array_module(seq)
    scalar = not isinstance(input, Tensor)
    v = xp.asarray(input) if scalar else input._data
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("side and right can't be set to opposites, got side of left while right "
                               "was True")
        right = side == "right"
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    if seq.ndim == 1:
        res = xp.searchsorted(seq, v, side="right" if right else "left")
    else:
        if seq.shape[:-1] != v.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first "
                               f"N-1 dimensions of boundaries tensor and input value tensor must match, but "
                               f"we got boundaries tensor {list(seq.shape)} and input value tensor "
                               f"{list(v.shape)}")
        cmp = seq[..., None, :] <= v[..., :, None] if right else seq[..., None, :] < v[..., :, None]
        res = cmp.sum(axis=-1)
    return Tensor._make(xp.asarray(res).astype(xp.int32 if out_int32 else xp.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ----------------------------------------------------------------------------------------
# isin, bincount, histc
# ----------------------------------------------------------------------------------------
_ISIN_SIGNATURES = (
    " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
    "Tensor out = None)\n"
    " * (Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
    "Tensor out = None)\n"
    " * (Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = False, "
    "Tensor out = None)\n")


def _is_number(v) -> bool:
    return isinstance(v, (bool, int, float, complex, np.bool_, np.number))


def _isin_dtype_name(v) -> str:
    """PyTorch's name for the dtype of a tensor, or of the tensor a Python number wraps into."""
    if isinstance(v, Tensor):
        return _dtype_name(v._data)
    if isinstance(v, (bool, np.bool_)):
        return "Bool"
    return "ComplexDouble" if isinstance(v, (complex, np.complexfloating)) else "Double"


def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    """True where an entry of `elements` is in `test_elements` (False where `invert`); a bool
    tensor shaped like `elements`. Either argument may be a number. The two compare in their
    promoted dtype (a number is weak); NaN is in nothing."""
    te, tt = isinstance(elements, Tensor), isinstance(test_elements, Tensor)
    if not (te and (tt or _is_number(test_elements)) or tt and _is_number(elements)) \
            or not isinstance(assume_unique, (bool, np.bool_)) or not isinstance(invert, (bool, np.bool_)):
        got = [type(elements).__name__, type(test_elements).__name__]
        got += [f"{k}={type(v).__name__}" for k, v in (("assume_unique", assume_unique),
                                                        ("invert", invert))
                if not isinstance(v, (bool, np.bool_))]
        raise TypeError(f"isin() received an invalid combination of arguments - got ({', '.join(got)}), "
                        f"but expected one of:\n{_ISIN_SIGNATURES}")
    for v in (elements, test_elements):
        name = _isin_dtype_name(v)
        if name == "Bool" or name.startswith("Complex"):
            raise RuntimeError(f"Unsupported input type encountered for isin(): {name}")
    e = elements.item() if isinstance(elements, np.generic) else elements
    s = test_elements.item() if isinstance(test_elements, np.generic) else test_elements
    rt = np.dtype(result_type(e, s).np)
    xp = get_array_module((elements if te else test_elements)._data)
    invert = bool(invert)
    if te and tt:
        check_same_device(elements._data, test_elements._data)
        ea, sa = (v._data if v._data.dtype == rt else v._data.astype(rt) for v in (elements, test_elements))
        res = xp.isin(ea, sa.reshape(-1), assume_unique=bool(assume_unique), invert=invert)
        res = xp.asarray(res).reshape(ea.shape)
    elif te:  # a number: one comparison (no upload of a one-element array)
        ea = elements._data if elements._data.dtype == rt else elements._data.astype(rt)
        sv = _scalar_as(s, rt)
        res = ea != sv if invert else ea == sv
    else:
        sa = test_elements._data if test_elements._data.dtype == rt else test_elements._data.astype(rt)
        res = xp.asarray(xp.any(sa == _scalar_as(e, rt)))
        if invert:
            res = ~res
    return _with_out(Tensor._make(res), out, "isin")


def _scalar_as(v, rt):
    """A Python number as a scalar of dtype `rt`; integers wrap around as PyTorch's cast does."""
    if rt.kind in "iu" and isinstance(v, int):
        bits = rt.itemsize * 8
        v &= (1 << bits) - 1
        if rt.kind == "i" and v >= 1 << (bits - 1):
            v -= 1 << bits
    return rt.type(v)


class _BincountNotImplemented(_NotDifferentiable):
    """bincount's output with weights that require grad: PyTorch records a node it names
    NotImplemented, whose backward raises."""
    node_name = "NotImplemented"


def _int_arg(fn, arg, v):
    if isinstance(v, (bool, np.bool_)) or not hasattr(v, "__index__"):
        raise TypeError(f"{fn}(): argument '{arg}' must be int, not {type(v).__name__}")
    try:
        return int(v.__index__())
    except TypeError:
        raise TypeError(f"{fn}(): argument '{arg}' must be int, not {type(v).__name__}") from None


def bincount(input, weights=None, minlength=0):
    """Counts of each value of a 1-D non-negative integer tensor (int64), or the sums of `weights`
    per value (float32 for float32 weights, else float64); length max(input.max() + 1, minlength).
    The output length depends on the data: on a GPU this reads input's min and max back."""
    check_tensor("bincount", "input", 1, input)
    if weights is not None and not isinstance(weights, Tensor):
        raise TypeError(f"bincount(): argument 'weights' (position 2) must be Tensor, not "
                        f"{type(weights).__name__}")
    minlength = _int_arg("bincount", "minlength", minlength)
    a = input._data
    xp = get_array_module(a)
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{_dtype_name(a)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if a.ndim == 1 and a.size == 0:  # PyTorch returns int64 zeros here, weights or not
        return Tensor._make(xp.zeros(minlength, dtype=xp.int64))
    bad = RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if a.ndim != 1:
        raise bad
    lo, hi = (int(v) for v in xp.stack([a.min(), a.max()]).astype(xp.int64).tolist())  # one read
    if lo < 0:
        raise bad
    n = max(hi + 1, minlength)
    a = a.astype(xp.int64, copy=False)
    if weights is None:
        return Tensor._make(xp.bincount(a, minlength=n).astype(xp.int64, copy=False))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != a.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    check_same_device(a, w)
    out_dt = xp.float32 if w.dtype == xp.float32 else xp.float64  # (complex64 too -> float64)
    if w.dtype.kind == "c":
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning,
                      stacklevel=2)
        w = w.real
    res = xp.bincount(a, weights=w.astype(xp.float64), minlength=n).astype(out_dt, copy=False)
    if weights._requires_grad and _state.enabled:
        return _BincountNotImplemented.apply(weights, res, "aten::bincount")
    return Tensor._make(res)


def _number_arg(fn, arg, v) -> float:
    """A Scalar argument as a double (PyTorch's TypeError / RuntimeError otherwise)."""
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, (complex, np.complexfloating)):
        raise RuntimeError("value cannot be converted to type double without overflow")
    if not isinstance(v, (bool, int, float, np.bool_, np.number)):
        raise TypeError(f"{fn}(): argument '{arg}' must be Number, not {type(v).__name__}")
    return float(v)


_C_FLOAT = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double"}


def _cpp_double(v: float, from_data: bool = False) -> str:
    """A double as PyTorch's message prints it (C++ ostream: %g). A NaN range taken from the data
    comes out of aminmax as -nan on x86, which PyTorch prints as such."""
    if math.isnan(v):
        return "-nan" if from_data or math.copysign(1.0, v) < 0 else "nan"
    return "%g" % v


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Histogram of the entries in `bins` equal bins over [min, max] (the data's min and max when
    min == max; widened by 1 each side when still equal), as a tensor of input's float dtype.
    Entries outside the range and NaNs are ignored; an entry equal to max counts in the last bin.
    Bins are found as PyTorch's histc does: int((x - min) * bins / (max - min)) in input's dtype."""
    check_tensor("histc", "input", 1, input)
    bins = _int_arg("histc", "bins", bins)
    lo, hi = _number_arg("histc", "min", min), _number_arg("histc", "max", max)
    a = input._data
    xp = get_array_module(a)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    from_data = False
    if lo == hi and a.size > 0:
        if a.dtype.kind == "c":
            raise NotImplementedError(f'"aminmax_cpu" not implemented for \'{_dtype_name(a)}\'')
        lo, hi = (float(v) for v in xp.stack([a.min(), a.max()]).tolist())  # one read
        from_data = True
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_cpp_double(lo, from_data)}, "
                           f"{_cpp_double(hi, from_data)}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if a.dtype.kind == "b":
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if a.dtype.kind in "iuc":
        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{_dtype_name(a)}\'')
    dt = a.dtype
    big = float(np.finfo(dt).max)
    if abs(lo) > big or abs(hi) > big:  # the edges are made in input's dtype (linspace)
        raise RuntimeError(f"value cannot be converted to type {_C_FLOAT.get(dt.name, dt.name)} "
                           "without overflow")
    left, right = dt.type(lo), dt.type(hi)
    with np.errstate(over="ignore"):  # (host scalars)
        width = right - left
    if not math.isfinite(float(width)):
        # PyTorch's linspace step is inf there, its edges become NaN and every entry is skipped
        return _with_out(Tensor._make(xp.zeros(bins, dtype=dt)), out, "histc", (input,))
    flat = a.reshape(-1)
    keep = (flat >= left) & (flat <= right)                         # NaN fails both
    with _errstate(xp):                                             # overflow: as PyTorch, quietly
        pos = (flat - left) * dt.type(bins) / width                 # each step rounds in dt
    # an overflow to inf (half precision, huge ranges) casts to INT64_MIN in PyTorch's kernel on
    # x86, and INT64_MIN * itemsize wraps to offset 0: such an entry lands in bin 0 there
    pos = xp.where(keep & xp.isfinite(pos), pos, xp.zeros((), dtype=dt)).astype(xp.int64)
    # pos == bins (x == max) goes to the last bin. Rounding (half precision, over 2048 bins) can
    # give pos > bins, where PyTorch's kernel writes out of its buffer (wrong counts, or a crash);
    # such entries go to the last bin here
    pos = xp.minimum(pos, bins - 1)
    res = xp.bincount(pos, weights=keep.astype(xp.float64), minlength=bins).astype(dt)
    return _with_out(Tensor._make(res), out, "histc", (input,))


# ----------------------------------------------------------------------------------------
# where
# ----------------------------------------------------------------------------------------
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
            sa, sb = getattr(xa, "shape", ()), getattr(xb, "shape", ())
            for s1, s2 in ((c.shape, sa), (c.shape, sb), (sa, sb)):  # name the pair that clashes
                try:
                    np.broadcast_shapes(s1, s2)
                except ValueError:
                    raise broadcast_error(s1, s2) from None
            raise broadcast_error(c.shape, sa) from None

    @staticmethod
    def backward(ctx, grad_output):
        (cond,) = ctx.saved_tensors
        z = grad_output * 0
        return (None,
                Where.apply(cond, grad_output, z) if ctx.needs_input_grad[1] else None,
                Where.apply(cond, z, grad_output) if ctx.needs_input_grad[2] else None)


def where(condition, input=None, other=None, *, out=None):
    check_tensor("where", "condition", 1, condition)
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        xp = get_array_module(condition._data)
        dt = result_type(input, other).np
        input = Tensor._make(xp.asarray(input, dtype=dt))
    return Where.apply(condition, input, other)
