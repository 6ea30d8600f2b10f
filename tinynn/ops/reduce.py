"""Reductions: `dim` as int or tuple, `keepdim`, and NumPy's `axis=`/`keepdims=` aliases.

Each differentiable reduction is one Function. Backward reshapes the incoming gradient to the
keepdim shape and lets broadcasting spread it over the reduced dims (no copy for sum/mean). Masks
that only select where the gradient goes (the arg-max of `max`, the NaNs of `nansum`) are computed
from the raw arrays in forward: they are constants of the derivative, so double backward stays
right.
"""
from __future__ import annotations

import builtins
import math
import sys
import types
import warnings

from .._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ..autograd.function import Function
from ..autograd.grad_mode import _state, no_grad
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import canonical_dim, canonical_dims, check_tensor

__all__ = ["sum", "nansum", "mean", "nanmean", "prod", "var", "std", "var_mean", "std_mean",
           "max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "median", "nanmedian",
           "mode", "kthvalue", "logsumexp", "norm", "cumsum", "cumprod", "cummax", "cummin", "all",
           "any", "count_nonzero", "return_types"]

_int = builtins.int
_bool = builtins.bool
_float = builtins.float


def _check_input(input, name):
    """PyTorch's TypeError for a non-tensor `input` (instead of an AttributeError further in)."""
    check_tensor(name, "input", 1, input)


# ----------------------------------------------------------------------------------------------
# named-tuple results: torch.return_types.max etc.
# ----------------------------------------------------------------------------------------------
class _StructSeq(tuple):
    """A tuple with named fields that prints like PyTorch's `torch.return_types.<name>`."""
    _fields: tuple = ()
    n_fields = n_sequence_fields = 0

    def __new__(cls, seq):
        seq = tuple(seq)
        if len(seq) != len(cls._fields):
            raise TypeError(f"{cls.__module__}.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                            f"({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"{type(self).__module__}.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _struct_seq(name, fields):
    ns = {"_fields": tuple(fields), "n_fields": len(fields), "n_sequence_fields": len(fields),
          "__module__": "tinynn.return_types", "__slots__": ()}
    for i, f in enumerate(fields):
        ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i))
    cls = type(name, (_StructSeq,), ns)
    cls.__qualname__ = name
    return cls


return_types = types.ModuleType("tinynn.return_types", "Named-tuple result types (torch.return_types).")
for _name, _fields in [("max", ("values", "indices")), ("min", ("values", "indices")),
                       ("median", ("values", "indices")), ("nanmedian", ("values", "indices")),
                       ("mode", ("values", "indices")), ("kthvalue", ("values", "indices")),
                       ("sort", ("values", "indices")), ("topk", ("values", "indices")),
                       ("cummax", ("values", "indices")), ("cummin", ("values", "indices")),
                       ("aminmax", ("min", "max"))]:
    setattr(return_types, _name, _struct_seq(_name, _fields))
sys.modules.setdefault("tinynn.return_types", return_types)


# ----------------------------------------------------------------------------------------------
# argument helpers
# ----------------------------------------------------------------------------------------------
def reduce_args(dim, keepdim, axis, keepdims, name="sum"):
    """Merge PyTorch's dim/keepdim with the NumPy-style axis/keepdims PyTorch also accepts."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}() got an unexpected keyword argument 'axis'")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, _bool(keepdim)


def _is_all(dim):
    return dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0)


def _axes(dim, ndim):
    """dim (None, int, tuple) -> tuple of axes for the array module (() for a 0-dim tensor)."""
    if _is_all(dim):
        return tuple(range(ndim))
    dims = canonical_dims(dim, ndim)
    return dims if ndim > 0 else ()


def _axis(dim, ndim):
    """One dim, wrapped; None for a 0-dim tensor (which has nothing to reduce over)."""
    d = canonical_dim(dim, ndim)
    return d if ndim > 0 else None


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _numel(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _keep(g, shape, dims, keepdim):
    """The reduced gradient reshaped to the keepdim shape (it broadcasts over the input)."""
    if not keepdim and dims:
        return g.reshape(_kept_shape(shape, dims))
    return g


def expand_reduced(g, shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims (a view, no copy)."""
    return _keep(g, shape, dims, keepdim).expand(shape)


def _np_dtype(dtype):
    return to_dtype(dtype).np if dtype is not None else None


def _legacy(name):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half",
            "bfloat16": "BFloat16", "complex64": "ComplexFloat",
            "complex128": "ComplexDouble"}.get(name, name.capitalize())


def _dtype_name(arr):
    return _legacy(from_numpy_dtype(arr.dtype).name)


def _float_data(a, xp):
    """The array in a floating dtype (ints and bools go to the default dtype)."""
    return a if a.dtype.kind in "fc" else a.astype(get_default_dtype().np)


class _errstate:
    """Silence NumPy's invalid/divide warnings (PyTorch returns nan/inf silently); CuPy has none."""

    def __init__(self, xp):
        self.ctx = xp.errstate(invalid="ignore", divide="ignore", over="ignore") \
            if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
        return False


def _with_out(result, out, name, inputs=()):
    """Write `result` into `out=` (PyTorch's out variants), resizing an out of the wrong shape."""
    if out is None:
        return result
    if _state.enabled and builtins.any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    pairs = zip(out, result) if isinstance(result, tuple) else ((out, result),)
    with no_grad():
        for o, r in pairs:
            if tuple(o.shape) != tuple(r.shape):
                o.resize_(*r.shape)
            o.copy_(r)
    return out


def _reduce_empty_error(name, x, dims):
    for d in dims:
        if x._data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


class _Masked(Function):
    """where(mask, g, 0) for a constant boolean array `mask` (g broadcasts to mask's shape).

    Linear in g, so its backward is itself (the engine sums the result back to g's shape)."""
    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, g, mask):
        ctx.mask = mask
        xp = get_array_module(g._data)
        return xp.where(mask, g._data, xp.zeros((), dtype=g._data.dtype))

    @staticmethod
    def backward(ctx, grad_output):
        return _Masked.apply(grad_output, ctx.mask), None


def _masked(g, mask):
    return _Masked.apply(g, mask)


def _const(arr):
    return Tensor._make(arr)


def _to_dtype(g, npdt):
    return g if g._data.dtype == npdt else g.to(from_numpy_dtype(npdt))


# ----------------------------------------------------------------------------------------------
# sum, mean, nansum, nanmean
# ----------------------------------------------------------------------------------------------
class Sum(Function):
    """sum over `dims`; d/dx = 1, so the gradient is broadcast back over the reduced dims."""
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        a = x._data
        xp = get_array_module(a)
        ctx.shape, ctx.dims, ctx.keepdim, ctx.in_dtype = a.shape, dims, keepdim, a.dtype
        if dtype is None and a.dtype.kind in "biu":
            dtype = xp.int64
        return xp.sum(a, axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_output):
        g = _to_dtype(grad_output, ctx.in_dtype)
        return expand_reduced(g, ctx.shape, ctx.dims, ctx.keepdim), None, None, None


class SumAll(Sum):
    node_name = "SumBackward0"


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    """Sum over `dim` (all dims when None); bools and ints sum in int64, as in PyTorch."""
    _check_input(input, "sum")
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, "sum")
    nd = input._data.ndim
    dims = _axes(dim, nd)
    npdt = _np_dtype(dtype)
    if dim is None and not keepdim:
        res = SumAll.apply(input, dims, False, npdt)
    else:
        res = Sum.apply(input, dims, keepdim, npdt)
    return _with_out(res, out, "sum", (input,))


class Nansum(Function):
    """sum treating NaN as 0; the gradient of a NaN entry is 0."""
    node_name = "NansumBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        a = x._data
        xp = get_array_module(a)
        ctx.shape, ctx.dims, ctx.keepdim, ctx.in_dtype = a.shape, dims, keepdim, a.dtype
        if a.dtype.kind in "biu":
            return xp.sum(a, axis=dims, keepdims=keepdim, dtype=dtype or xp.int64)
        ctx.notnan = ~xp.isnan(a)
        return xp.nansum(a, axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_output):
        g = _keep(_to_dtype(grad_output, ctx.in_dtype), ctx.shape, ctx.dims, ctx.keepdim)
        return _masked(g, ctx.notnan), None, None, None


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    _check_input(input, "nansum")
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, "nansum")
    dims = _axes(dim, input._data.ndim)
    res = Nansum.apply(input, dims, keepdim, _np_dtype(dtype))
    return _with_out(res, out, "nansum", (input,))


def _mean_dtype_check(a, dtype, name="mean"):
    if dtype is None and a.dtype.kind not in "fc":
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_dtype_name(a)}")


class Mean(Function):
    """mean over `dims`; d/dx = 1/n."""
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        xp = get_array_module(x._data)
        a = x._data
        _mean_dtype_check(a, dtype)
        ctx.shape, ctx.dims, ctx.keepdim, ctx.in_dtype = a.shape, dims, keepdim, a.dtype
        ctx.n = _numel(a.shape, dims)
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        with _errstate(xp):
            if ctx.n == 0:  # NumPy would warn "Mean of empty slice"; PyTorch returns nan quietly
                return xp.sum(a, axis=dims, keepdims=keepdim) / a.dtype.type(0)
            return xp.mean(a, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad_output):
        g = _to_dtype(grad_output, ctx.in_dtype)
        return expand_reduced(g / ctx.n, ctx.shape, ctx.dims, ctx.keepdim), None, None, None


class MeanAll(Mean):
    node_name = "MeanBackward0"


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    """Mean over `dim`; floating (or explicit `dtype=`) input only, as in PyTorch."""
    _check_input(input, "mean")
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, "mean")
    nd = input._data.ndim
    dims = _axes(dim, nd)
    npdt = _np_dtype(dtype)
    if dim is None and not keepdim:
        res = MeanAll.apply(input, dims, False, npdt)
    else:
        res = Mean.apply(input, dims, keepdim, npdt)
    return _with_out(res, out, "mean", (input,))


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    """nansum / (number of non-NaN entries), composed as PyTorch does (its node is a division)."""
    _check_input(input, "nanmean")
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, "nanmean")
    a = input._data
    _mean_dtype_check(a, dtype, "nanmean")
    x = input if dtype is None else input.to(dtype)
    xp = get_array_module(a)
    dims = _axes(dim, a.ndim)
    kd = keepdim
    cnt = xp.sum(~xp.isnan(x._data), axis=dims, keepdims=kd).astype(x._data.dtype)
    res = nansum(x, dim, kd) / _const(cnt)
    return _with_out(res, out, "nanmean", (input,))


# ----------------------------------------------------------------------------------------------
# prod, cumsum, cumprod
# ----------------------------------------------------------------------------------------------
def _others_product(x, dims):
    """prod over `dims` of every entry but one, for each entry: O(n^2) but differentiable
    everywhere (used for double backward of prod/cumprod through zeros)."""
    from .index import where  # noqa: PLC0415
    shape = x._data.shape
    nd = len(shape)
    kept = [d for d in range(nd) if d not in dims]
    perm = kept + list(dims)
    n = _numel(shape, dims)
    xt = x.permute(*perm).reshape(*[shape[d] for d in kept], n)
    xp = get_array_module(x._data)
    eye = _const(xp.eye(n, dtype=bool))
    y = where(eye, 1.0, xt.unsqueeze(-2))   # y[..., k, j] = x_j for j != k, else 1
    p = y.prod(-1)                           # p[..., k] = prod_{j != k} x_j
    p = p.reshape(*[shape[d] for d in perm])
    inv = [0] * nd
    for i, d in enumerate(perm):
        inv[d] = i
    return p.permute(*inv)


class Prod(Function):
    """prod over `dims`. d/dx_k = prod of the others: out / x_k without zeros; with zeros, the
    single zero of a slice gets the product of the rest and every other entry gets 0."""
    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        a = x._data
        xp = get_array_module(a)
        if dtype is None and a.dtype.kind in "biu":
            dtype = xp.int64
        ctx.dims, ctx.keepdim, ctx.in_dtype = dims, keepdim, a.dtype
        y = Tensor._make(xp.prod(a, axis=dims, keepdims=keepdim, dtype=dtype))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        shape, dims = x._data.shape, ctx.dims
        g = _keep(_to_dtype(grad_output, ctx.in_dtype), shape, dims, ctx.keepdim)
        yk = _keep(_to_dtype(y, ctx.in_dtype), shape, dims, ctx.keepdim)
        if not dims:
            return g, None, None, None
        xd = x._data
        xp = get_array_module(xd)
        zero = xd == 0
        if _state.enabled:  # create_graph: the backward must itself be differentiable
            if not _bool(zero.any()):
                return g * yk / x, None, None, None
            # a formula whose own derivative is right at zeros too
            return g * _others_product(x, dims), None, None, None
        # first order (grad mode is off, plain array math is enough): branch-free, no host sync
        safe = xp.where(zero, xp.ones((), dtype=xd.dtype), xd)
        cnt = xp.sum(zero, axis=dims, keepdims=True)
        prod_nz = xp.prod(safe, axis=dims, keepdims=True)
        with _errstate(xp):
            d = xp.where(zero, xp.where(cnt == 1, prod_nz, 0), yk._data / safe)
        return g * _const(d.astype(xd.dtype, copy=False)), None, None, None


class ProdAll(Prod):
    node_name = "ProdBackward0"


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    """Product over one `dim` (or all entries); bools and ints multiply in int64."""
    _check_input(input, "prod")
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, "prod")
    nd = input._data.ndim
    npdt = _np_dtype(dtype)
    if dim is None:
        res = ProdAll.apply(input, tuple(range(nd)), False, npdt)
    else:
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
        ax = _axis(dim, nd)
        res = Prod.apply(input, () if ax is None else (ax,), keepdim, npdt)
    return _with_out(res, out, "prod", (input,))


def _flip(a, axis, xp):
    return xp.flip(a, axis=axis)


class Cumsum(Function):
    """Running sum along `dim`. Its adjoint is the reversed running sum (and vice versa), so
    backward is this same Function with `reverse` toggled."""
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, dim, dtype, reverse=False):
        a = x._data
        xp = get_array_module(a)
        if dtype is None and a.dtype.kind in "biu":
            dtype = xp.int64
        ctx.dim, ctx.reverse, ctx.in_dtype = dim, reverse, a.dtype
        if dim is None:  # 0-dim
            return a.astype(dtype or a.dtype, copy=True)
        if reverse:
            return _flip(xp.cumsum(_flip(a, dim, xp), axis=dim, dtype=dtype), dim, xp)
        return xp.cumsum(a, axis=dim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_output):
        g = _to_dtype(grad_output, ctx.in_dtype)
        return Cumsum.apply(g, ctx.dim, None, not ctx.reverse), None, None, None


def cumsum(input, dim=None, *, dtype=None, axis=None, out=None):
    _check_input(input, "cumsum")
    if dim is None:
        dim = axis
    if dim is None:
        raise TypeError('cumsum() missing 1 required positional arguments: "dim"')
    res = Cumsum.apply(input, _axis(dim, input._data.ndim), _np_dtype(dtype), False)
    return _with_out(res, out, "cumsum", (input,))


def _rev_cumsum(g, dim):
    return Cumsum.apply(g, dim, None, True)


class Cumprod(Function):
    """Running product along `dim`.

    d out_i / d x_k = prod_{j<=i, j!=k} x_j for i >= k. Without zeros the gradient is
    revcumsum(g * out) / x. With zeros: entries before a slice's first zero z use that formula
    restricted to i < z; entry z gets prod_{j<z} x_j * sum_{i>=z} g_i prod_{z<j<=i} x_j; entries
    after z get 0. Under create_graph an O(n^2) formula that is differentiable at zeros is used."""
    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, dim, dtype):
        a = x._data
        xp = get_array_module(a)
        if dtype is None and a.dtype.kind in "biu":
            dtype = xp.int64
        ctx.dim, ctx.in_dtype = dim, a.dtype
        if dim is None:
            y = Tensor._make(a.astype(dtype or a.dtype, copy=True))
        else:
            y = Tensor._make(xp.cumprod(a, axis=dim, dtype=dtype))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        dim = ctx.dim
        g = _to_dtype(grad_output, ctx.in_dtype)
        if dim is None or x._data.size == 0:
            return g, None, None
        y = _to_dtype(y, ctx.in_dtype)
        xd = x._data
        xp = get_array_module(xd)
        if _state.enabled:  # create_graph: the backward must itself be differentiable
            if not _bool((xd == 0).any()):
                return _rev_cumsum(g * y, dim) / x, None, None
            return _cumprod_grad_quadratic(x, g, dim), None, None
        # first order (grad mode is off): branch-free array math, no host sync
        return _const(_cumprod_grad_zeros(xd, g._data, y._data, dim, xp)), None, None


def _cumprod_grad_quadratic(x, g, dim):
    from .index import where  # noqa: PLC0415
    xp = get_array_module(x._data)
    xt = x.transpose(dim, -1)
    n = xt._data.shape[-1]
    eye = _const(xp.eye(n, dtype=bool))
    y = where(eye, 1.0, xt.unsqueeze(-2))       # y[..., k, j] = x_j for j != k, else 1
    c = y.cumprod(-1)                            # c[..., k, i] = prod_{j<=i, j!=k} x_j
    upper = _const(xp.triu(xp.ones((n, n), dtype=x._data.dtype)))  # i >= k
    gk = (c * g.transpose(dim, -1).unsqueeze(-2) * upper).sum(-1)
    return gk.transpose(dim, -1)


def _cumprod_grad_zeros(xd, gd, yd, dim, xp):
    x = xp.moveaxis(xd, dim, -1)
    g = xp.moveaxis(gd, dim, -1)
    y = xp.moveaxis(yd, dim, -1)
    n = x.shape[-1]
    pos = xp.arange(n)
    zero = x == 0
    anyz = zero.any(axis=-1, keepdims=True)
    z = xp.where(anyz, xp.argmax(zero, axis=-1)[..., None], n)
    before, at = pos < z, pos == z
    one = xp.ones((), dtype=x.dtype)
    safe = xp.where(before, x, one)
    gy = xp.where(before, g * y, 0)
    rc = xp.flip(xp.cumsum(xp.flip(gy, -1), axis=-1), -1)
    res = xp.where(before, rc / safe, 0)
    e_z = xp.prod(xp.where(before, x, one), axis=-1, keepdims=True)       # prod_{j<z} x_j
    tail = xp.cumprod(xp.where(pos <= z, one, x), axis=-1)               # prod_{z<j<=i} x_j
    s = xp.sum(xp.where(pos >= z, g * tail, 0), axis=-1, keepdims=True)
    res = xp.where(at, e_z * s, res)
    return xp.moveaxis(res.astype(xd.dtype, copy=False), -1, dim)


def cumprod(input, dim=None, *, dtype=None, axis=None, out=None):
    _check_input(input, "cumprod")
    if dim is None:
        dim = axis
    if dim is None:
        raise TypeError('cumprod() missing 1 required positional arguments: "dim"')
    res = Cumprod.apply(input, _axis(dim, input._data.ndim), _np_dtype(dtype))
    return _with_out(res, out, "cumprod", (input,))


# ----------------------------------------------------------------------------------------------
# cummax, cummin
# ----------------------------------------------------------------------------------------------
def _running_extreme(a, axis, largest, xp):
    """maximum/minimum.accumulate along `axis` (NaN propagates). CuPy has no maximum.accumulate:
    there a log-step (Hillis-Steele) scan, ceil(log2 n) vectorised steps."""
    fn = xp.maximum if largest else xp.minimum
    if xp.__name__ == "numpy":
        return fn.accumulate(a, axis=axis)
    out = xp.moveaxis(a, axis, -1).copy()
    n = out.shape[-1]
    s = 1
    while s < n:
        out[..., s:] = fn(out[..., s:], out[..., :-s])  # the right side is read before the write
        s *= 2
    return xp.moveaxis(out, -1, axis)


def _cummax_index(a, axis, largest, xp):
    """PyTorch's running arg-extreme: index i moves to j when a[j] >= the running max (<= for
    min; so the last of equal values wins) or a[j] is NaN (a NaN, once met, stays the value)."""
    m = _running_extreme(a, axis, largest, xp)
    hit = a == m
    if a.dtype.kind in "fc":
        hit |= xp.isnan(a)
    n = a.shape[axis]
    pos = xp.arange(n, dtype=xp.int64).reshape([-1 if i == axis else 1 for i in range(a.ndim)])
    cand = xp.where(hit, pos, xp.zeros((), dtype=xp.int64))
    return _running_extreme(cand, axis, True, xp)


class Cummax(Function):
    """(values, indices) of the running max along `dim`; the gradient of each output goes to
    the input entry its index names (scatter-add, so repeated indices accumulate)."""
    node_name = "CummaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, largest):
        a = x._data
        xp = get_array_module(a)
        ctx.shape, ctx.dim = a.shape, dim
        if dim is None:  # 0-dim input
            ctx.idx = None
            return a.copy(), xp.zeros((), dtype=xp.int64)
        idx = _cummax_index(a, dim, largest, xp)
        ctx.idx = idx
        return xp.take_along_axis(a, idx, axis=dim), idx

    @staticmethod
    def backward(ctx, grad_values, grad_indices=None):
        if ctx.idx is None or grad_values is None:
            return grad_values, None, None
        from .index import scatter_add  # noqa: PLC0415
        xp = get_array_module(ctx.idx)
        zeros = _const(xp.zeros(ctx.shape, dtype=grad_values._data.dtype))
        return scatter_add(zeros, ctx.dim, _const(ctx.idx), grad_values), None, None


class Cummin(Cummax):
    node_name = "CumminBackward0"


def _cummax_cummin(largest, input, dim, out):
    name = "cummax" if largest else "cummin"
    _check_input(input, name)
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    dim = _check_int_arg(name, "dim", 2, dim)
    a = input._data
    if a.ndim == 0:
        if dim not in (-1, 0):
            raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
        ax = None
    else:
        ax = canonical_dim(dim, a.ndim)
    _check_not_kind(a, name, "c")
    v, i = (Cummax if largest else Cummin).apply(input, ax, largest)
    return _with_out(getattr(return_types, name)((v, i)), out, name, (input,))


def cummax(input, dim=None, *, out=None):
    """(values, indices) of the running maximum along `dim`; NaN propagates."""
    return _cummax_cummin(True, input, dim, out)


def cummin(input, dim=None, *, out=None):
    """(values, indices) of the running minimum along `dim`; NaN propagates."""
    return _cummax_cummin(False, input, dim, out)


# ----------------------------------------------------------------------------------------------
# var, std
# ----------------------------------------------------------------------------------------------
def _var_args(name, dim, unbiased, keepdim, correction, axis, keepdims):
    """PyTorch's overloads: (dim, unbiased, keepdim), (dim, *, correction, keepdim), (unbiased)."""
    if isinstance(dim, _bool):          # var(True): the legacy `unbiased` overload
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, name)
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments - got both "
                            "unbiased and correction")
        if not isinstance(unbiased, _bool):
            raise TypeError(f"{name}(): argument 'unbiased' must be bool, not "
                            f"{type(unbiased).__name__}")
        correction = 1 if unbiased else 0
    if correction is None:
        correction = 1
    return dim, keepdim, correction


class Var(Function):
    """Variance with `correction` (Bessel's: 1). d var / dx = 2 (x - mean) / (n - correction)."""
    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, name="var"):
        a = x._data
        xp = get_array_module(a)
        if a.dtype.kind not in "fc":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        n = _numel(a.shape, dims)
        if n - correction <= 0:
            warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                          "than the reduction factor (input numel divided by output numel).",
                          UserWarning, stacklevel=4)
        ctx.dims, ctx.correction, ctx.keepdim, ctx.n = dims, correction, keepdim, n
        with _errstate(xp):
            m = xp.mean(a, axis=dims, keepdims=True)
            d = a - m
            v = xp.sum(d * d, axis=dims, keepdims=keepdim) / builtins.max(n - correction, 0)
        ctx.save_for_backward(x)
        return v.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        g = _keep(grad_output, x._data.shape, ctx.dims, ctx.keepdim)
        return g * _var_scale(ctx) * _centered(x, ctx.dims), None, None, None, None


def _var_scale(ctx):
    den = ctx.n - ctx.correction
    return 2.0 / den if den != 0 else math.inf


def _centered(x, dims):
    return x - x.mean(dims, keepdim=True) if dims else x - x


class Std(Function):
    """sqrt(var). d std / dx = (x - mean) / ((n - correction) std), 0 where std == 0."""
    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        y = Tensor._make(get_array_module(x._data).sqrt(Var.forward(ctx, x, dims, correction,
                                                                    keepdim, "std")))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        shape = x._data.shape
        g = _keep(grad_output, shape, ctx.dims, ctx.keepdim)
        yk = _keep(y, shape, ctx.dims, ctx.keepdim)
        nz = yk._data != 0
        scale = _masked(g / (yk * 2), nz)   # PyTorch masks the std == 0 entries to 0
        return scale * _var_scale(ctx) * _centered(x, ctx.dims), None, None, None


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
        keepdims=None, out=None):
    """Variance over `dim` with `correction` (default 1, or `unbiased=False` for 0)."""
    _check_input(input, "var")
    dim, keepdim, correction = _var_args("var", dim, unbiased, keepdim, correction, axis, keepdims)
    dims = _axes(dim, input._data.ndim)
    res = Var.apply(input, dims, correction, keepdim)
    return _with_out(res, out, "var", (input,))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
        keepdims=None, out=None):
    """Standard deviation over `dim` with `correction` (default 1)."""
    _check_input(input, "std")
    dim, keepdim, correction = _var_args("std", dim, unbiased, keepdim, correction, axis, keepdims)
    dims = _axes(dim, input._data.ndim)
    res = Std.apply(input, dims, correction, keepdim)
    return _with_out(res, out, "std", (input,))


class VarMean(Function):
    """(var, mean) in one node, as PyTorch's VarMeanBackward0; the two gradients add up."""
    node_name = "VarMeanBackward0"
    _std = False

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, take_sqrt):
        xp = get_array_module(x._data)
        name = "std_mean" if take_sqrt else "var_mean"
        v = Var.forward(ctx, x, dims, correction, keepdim, name)
        with _errstate(xp):
            m = xp.mean(x._data, axis=dims, keepdims=keepdim)
        ctx.take_sqrt = take_sqrt
        y = Tensor._make(xp.sqrt(v) if take_sqrt else v)
        ctx.save_for_backward(x, y)
        return y, m

    @staticmethod
    def backward(ctx, grad_var, grad_mean):
        x, y = ctx.saved_tensors
        shape = x._data.shape
        res = None
        if grad_var is not None:
            g = _keep(grad_var, shape, ctx.dims, ctx.keepdim)
            if ctx.take_sqrt:
                yk = _keep(y, shape, ctx.dims, ctx.keepdim)
                g = _masked(g / (yk * 2), yk._data != 0)
            res = g * _var_scale(ctx) * _centered(x, ctx.dims)
        if grad_mean is not None:
            gm = _keep(grad_mean, shape, ctx.dims, ctx.keepdim) / builtins.max(ctx.n, 1)
            res = gm if res is None else res + gm
        return res, None, None, None, None


class StdMean(VarMean):
    node_name = "StdMeanBackward0"


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over `dim`."""
    _check_input(input, "var_mean")
    dim, keepdim, correction = _var_args("var_mean", dim, unbiased, keepdim, correction, None, None)
    dims = _axes(dim, input._data.ndim)
    return VarMean.apply(input, dims, correction, keepdim, False)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over `dim`."""
    _check_input(input, "std_mean")
    dim, keepdim, correction = _var_args("std_mean", dim, unbiased, keepdim, correction, None, None)
    dims = _axes(dim, input._data.ndim)
    return StdMean.apply(input, dims, correction, keepdim, True)


# ----------------------------------------------------------------------------------------------
# max / min family
# ----------------------------------------------------------------------------------------------
def _tie_mask(xd, yd, xp):
    """Entries equal to the (broadcast) extreme value; NaN matches NaN."""
    m = xd == yd
    if xd.dtype.kind in "fc":
        m |= xp.isnan(xd) & xp.isnan(yd)
    return m


def _evenly(g, mask, dims, xp, dtype):
    """Split g evenly among the entries of `mask` in each reduced slice (PyTorch's rule for
    max(), amax, median() with ties)."""
    cnt = xp.sum(mask, axis=dims, keepdims=True).astype(dtype)
    return _masked(g / _const(cnt), mask)


class MaxAll(Function):
    """max of all entries (0-dim); the gradient is shared evenly by the entries that tie."""
    node_name = "MaxBackward1"
    _fn = "max"

    @staticmethod
    def forward(ctx, x, largest):
        a = x._data
        xp = get_array_module(a)
        name = "max" if largest else "min"
        if a.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                               "== 0. Specify the reduction dim with the 'dim' argument.")
        y = xp.max(a) if largest else xp.min(a)
        if a.dtype.kind in "fc":
            ctx.mask = _tie_mask(a, y, xp)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        mask = ctx.mask
        xp = get_array_module(mask)
        return _evenly(grad_output, mask, None, xp, grad_output._data.dtype), None


class MinAll(MaxAll):
    node_name = "MinBackward1"


def _select_index(g, idx, shape, dim, xp):
    """Put g (keepdim shape) at `idx` along `dim` and 0 elsewhere (the arg-max's gradient)."""
    pos = xp.arange(shape[dim]).reshape([-1 if i == dim else 1 for i in range(len(shape))])
    return _masked(g, pos == idx)


class MaxDim(Function):
    """(values, indices) of the max along `dim`; the gradient goes to the index (first of ties)."""
    node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest, name):
        a = x._data
        xp = get_array_module(a)
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        if dim is None:  # 0-dim input
            ctx.idx = None
            return a.copy(), xp.zeros((), dtype=xp.int64)
        if a.shape[dim] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
        idx = (xp.argmax if largest else xp.argmin)(a, axis=dim, keepdims=True)
        vals = xp.take_along_axis(a, idx, axis=dim)
        ctx.idx = idx
        idx = idx.astype(xp.int64, copy=False)
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx

    @staticmethod
    def backward(ctx, grad_values, grad_indices=None):
        if ctx.idx is None:
            return grad_values, None, None, None, None
        g = _keep(grad_values, ctx.shape, (ctx.dim,), ctx.keepdim)
        xp = get_array_module(ctx.idx)
        return _select_index(g, ctx.idx, ctx.shape, ctx.dim, xp), None, None, None, None


class MinDim(MaxDim):
    node_name = "MinBackward0"


def _max_min(largest, input, dim, keepdim, other, axis, keepdims, out):
    name = "max" if largest else "min"
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        if dim is not None or keepdim is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        from . import elementwise  # noqa: PLC0415
        fn = getattr(elementwise, "maximum" if largest else "minimum")
        return _with_out(fn(input, other), out, name, (input, other))
    dim, kd = reduce_args(dim, keepdim or False, axis, keepdims, name)
    if dim is None:
        if keepdim is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                            "keepdim=bool), but expected one of: (Tensor input), (Tensor input, "
                            "Tensor other), (Tensor input, int dim, bool keepdim = False)")
        res = (MaxAll if largest else MinAll).apply(input, largest)
        return _with_out(res, out, name, (input,))
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    ax = _axis(dim, input._data.ndim)
    v, i = (MaxDim if largest else MinDim).apply(input, ax, kd, largest, name)
    res = getattr(return_types, name)((v, i))
    return _with_out(res, out, name, (input,))


def max(input, dim=None, keepdim=None, *, other=None, axis=None, keepdims=None, out=None):
    """max(input) -> 0-dim; max(input, dim, keepdim=False) -> (values, indices);
    max(input, other) -> elementwise maximum."""
    _check_input(input, "max")
    return _max_min(True, input, dim, keepdim, other, axis, keepdims, out)


def min(input, dim=None, keepdim=None, *, other=None, axis=None, keepdims=None, out=None):
    """min(input) -> 0-dim; min(input, dim, keepdim=False) -> (values, indices);
    min(input, other) -> elementwise minimum."""
    _check_input(input, "min")
    return _max_min(False, input, dim, keepdim, other, axis, keepdims, out)


class Amax(Function):
    """max over `dims`; the gradient is shared evenly among the entries that tie."""
    node_name = "AmaxBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, largest):
        a = x._data
        xp = get_array_module(a)
        y = (xp.amax if largest else xp.amin)(a, axis=dims, keepdims=True) if dims else a.copy()
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        if a.dtype.kind in "fc":
            ctx.mask = _tie_mask(a, y, xp)
        if not keepdim and dims:
            y = y.reshape([s for i, s in enumerate(y.shape) if i not in dims])
        return y

    @staticmethod
    def backward(ctx, grad_output):
        g = _keep(grad_output, ctx.shape, ctx.dims, ctx.keepdim)
        if not ctx.dims:
            return g, None, None, None
        xp = get_array_module(ctx.mask)
        return _evenly(g, ctx.mask, ctx.dims, xp, g._data.dtype), None, None, None


class Amin(Amax):
    node_name = "AminBackward0"


def _amax_amin(largest, input, dim, keepdim, axis, keepdims, out):
    name = "amax" if largest else "amin"
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, name)
    a = input._data
    dims = _axes(dim, a.ndim)
    if _is_all(dim) and a.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")
    _reduce_empty_error(name, input, dims)
    res = (Amax if largest else Amin).apply(input, dims, keepdim, largest)
    return _with_out(res, out, name, (input,))


def amax(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    _check_input(input, "amax")
    return _amax_amin(True, input, dim, keepdim, axis, keepdims, out)


def amin(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    _check_input(input, "amin")
    return _amax_amin(False, input, dim, keepdim, axis, keepdims, out)


class Aminmax(Function):
    """(amin, amax) in one pass; each gradient is shared evenly among its ties."""
    node_name = "AminmaxBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        a = x._data
        xp = get_array_module(a)
        lo = xp.amin(a, axis=dims, keepdims=True) if dims else a.copy()
        hi = xp.amax(a, axis=dims, keepdims=True) if dims else a.copy()
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        if a.dtype.kind in "fc":
            ctx.masks = (_tie_mask(a, lo, xp), _tie_mask(a, hi, xp))
        if not keepdim and dims:
            out_shape = [s for i, s in enumerate(lo.shape) if i not in dims]
            lo, hi = lo.reshape(out_shape), hi.reshape(out_shape)
        return lo, hi

    @staticmethod
    def backward(ctx, grad_min, grad_max):
        res = None
        for g, mask in zip((grad_min, grad_max), ctx.masks):
            if g is None:
                continue
            g = _keep(g, ctx.shape, ctx.dims, ctx.keepdim)
            r = _evenly(g, mask, ctx.dims, get_array_module(mask), g._data.dtype) if ctx.dims else g
            res = r if res is None else res + r
        return res, None, None


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) of `input`, over `dim` or all entries."""
    _check_input(input, "aminmax")
    a = input._data
    dims = _axes(dim, a.ndim)
    if (_is_all(dim) and a.size == 0) or builtins.any(a.shape[d] == 0 for d in dims):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    lo, hi = Aminmax.apply(input, dims, keepdim)
    return return_types.aminmax((lo, hi))


def _arg(largest, input, dim, keepdim, axis, keepdims):
    name = "argmax" if largest else "argmin"
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, name)
    a = input._data
    xp = get_array_module(a)
    fn = xp.argmax if largest else xp.argmin
    if a.dtype.kind == "b":
        raise RuntimeError(f'"{name}_cpu" not implemented for \'Bool\'')
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                             "== 0.")
        r = fn(a.reshape(-1)).astype(xp.int64)
        return Tensor._make(r.reshape((1,) * a.ndim) if keepdim else xp.asarray(r))
    ax = _axis(dim, a.ndim)
    if ax is None:
        return Tensor._make(xp.zeros((), dtype=xp.int64))
    if a.shape[ax] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {ax} to have non-zero size.")
    return Tensor._make(fn(a, axis=ax, keepdims=keepdim).astype(xp.int64, copy=False))


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the max (of the flattened tensor when dim is None); first of ties."""
    _check_input(input, "argmax")
    return _arg(True, input, dim, keepdim, axis, keepdims)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    _check_input(input, "argmin")
    return _arg(False, input, dim, keepdim, axis, keepdims)


# ----------------------------------------------------------------------------------------------
# median, nanmedian, mode
# ----------------------------------------------------------------------------------------------
def _median_index(a, axis, xp, ignore_nan):
    """Index (keepdims) of the lower median along `axis`: the k-th of a stable sort. median
    returns the first NaN of a slice that has one; nanmedian skips NaNs."""
    n = a.shape[axis]
    sidx = xp.argsort(a, axis=axis, kind="stable")  # NaNs sort last
    isnan = xp.isnan(a) if a.dtype.kind in "fc" else None
    if ignore_nan and isnan is not None:
        cnt = xp.sum(~isnan, axis=axis, keepdims=True)
        k = xp.maximum((cnt - 1) // 2, 0)
    else:
        k = xp.full([1 if i == axis else s for i, s in enumerate(a.shape)], (n - 1) // 2,
                    dtype=xp.int64)
    idx = xp.take_along_axis(sidx, k, axis=axis)
    if not ignore_nan and isnan is not None:
        anynan = isnan.any(axis=axis, keepdims=True)
        idx = xp.where(anynan, xp.argmax(isnan, axis=axis, keepdims=True), idx)
    return idx.astype(xp.int64, copy=False)


class MedianAll(Function):
    """Lower median of all entries; the gradient is shared evenly by the entries that tie."""
    node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x, ignore_nan):
        a = x._data
        xp = get_array_module(a)
        if a.size == 0:
            ctx.mask = xp.zeros(a.shape, dtype=bool)
            return xp.full((), xp.nan, dtype=a.dtype)
        flat = a.reshape(-1)
        y = flat[_median_index(flat, 0, xp, ignore_nan)[0]]
        ctx.mask = _tie_mask(a, y, xp) if a.dtype.kind in "fc" else None
        return y

    @staticmethod
    def backward(ctx, grad_output):
        mask = ctx.mask
        return _evenly(grad_output, mask, None, get_array_module(mask), grad_output._data.dtype), None


class NanmedianAll(MedianAll):
    node_name = "NanmedianBackward0"


class MedianDim(Function):
    """(values, indices) of the lower median along `dim`; the gradient goes to the index."""
    node_name = "MedianBackward1"

    @staticmethod
    def forward(ctx, x, dim, keepdim, kind, name):
        a = x._data
        xp = get_array_module(a)
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        if dim is None:
            ctx.idx = None
            return a.copy(), xp.zeros((), dtype=xp.int64)
        if a.shape[dim] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
        idx = _mode_index(a, dim, xp) if kind == "mode" else \
            _median_index(a, dim, xp, kind == "nanmedian")
        vals = xp.take_along_axis(a, idx, axis=dim)
        ctx.idx = idx
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx

    backward = staticmethod(MaxDim.backward)


class NanmedianDim(MedianDim):
    node_name = "NanmedianBackward1"


class ModeDim(MedianDim):
    node_name = "ModeBackward0"


def _mode_index(a, axis, xp):
    """Index (keepdims) of the most frequent value along `axis`: the smallest such value, at its
    last occurrence, as PyTorch returns. Runs of a stable sort are counted with bincount."""
    m = xp.moveaxis(a, axis, -1)
    lead = m.shape[:-1]
    n = m.shape[-1]
    m2 = m.reshape(-1, n)
    rows = m2.shape[0]
    sidx = xp.argsort(m2, axis=-1, kind="stable")
    s = xp.take_along_axis(m2, sidx, axis=-1)
    new_run = xp.ones(s.shape, dtype=bool)
    new_run[:, 1:] = s[:, 1:] != s[:, :-1]
    run = xp.cumsum(new_run, axis=-1) - 1                                  # run id within row
    gid = (run + xp.arange(rows)[:, None] * n).reshape(-1)
    length = xp.bincount(gid, minlength=rows * n).reshape(rows, n)         # length of each run
    best = xp.argmax(length, axis=-1)                                      # first longest run
    end = xp.take_along_axis(xp.cumsum(length, axis=-1), best[:, None], axis=-1) - 1
    idx = xp.take_along_axis(sidx, end, axis=-1)                           # its last occurrence
    idx = idx.reshape(lead + (1,))
    return xp.moveaxis(idx, -1, axis).astype(xp.int64, copy=False)


def _median(kind, input, dim, keepdim, axis, keepdims):
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, kind)
    if dim is None:
        return (MedianAll if kind == "median" else NanmedianAll).apply(input, kind == "nanmedian")
    ax = _axis(dim, input._data.ndim)
    cls = {"median": MedianDim, "nanmedian": NanmedianDim, "mode": ModeDim}[kind]
    v, i = cls.apply(input, ax, keepdim, kind, kind)
    return getattr(return_types, kind)((v, i))


def median(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Lower median: of all entries (0-dim), or (values, indices) along `dim`."""
    _check_input(input, "median")
    return _median("median", input, dim, keepdim, axis, keepdims)


def nanmedian(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """median ignoring NaNs."""
    _check_input(input, "nanmedian")
    return _median("nanmedian", input, dim, keepdim, axis, keepdims)


def mode(input, dim=-1, keepdim=False, *, axis=None, keepdims=None):
    """(values, indices) of the most frequent value along `dim` (default the last)."""
    _check_input(input, "mode")
    if axis is not None:
        dim = axis
    return _median("mode", input, dim, keepdim, None, keepdims)


# ----------------------------------------------------------------------------------------------
# kthvalue
# ----------------------------------------------------------------------------------------------
def _check_int_arg(name, arg, pos, v):
    """PyTorch's TypeError for a non-int (or bool) int argument."""
    if isinstance(v, _bool) or not hasattr(v, "__index__"):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not "
                        f"{type(v).__name__}")
    try:
        return _int(v.__index__())
    except TypeError:  # a non-integer (or multi-element) tensor
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not "
                        f"{type(v).__name__}") from None


def _check_not_kind(a, name, kinds):
    """NotImplementedError "<name>_cpu" not implemented for '<dtype>' (PyTorch's dispatch error)."""
    if a.dtype.kind in kinds:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_dtype_name(a)}\'')


class Kthvalue(Function):
    """(values, indices) of the k-th smallest entry along `dim` (NaN counts as the largest); the
    gradient goes to the index. Among equal entries the first one of a stable sort is returned
    (PyTorch's quickselect may return another of them)."""
    node_name = "KthvalueBackward0"

    @staticmethod
    def forward(ctx, x, k, dim, keepdim):
        a = x._data
        xp = get_array_module(a)
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        if dim is None:  # 0-dim input (k == 1)
            ctx.idx = None
            return a.copy(), xp.zeros((), dtype=xp.int64)
        sidx = xp.argsort(a, axis=dim, kind="stable")  # NaNs sort last
        idx = sidx[(slice(None),) * dim + (slice(k - 1, k),)].astype(xp.int64, copy=False)
        idx = xp.ascontiguousarray(idx)
        vals = xp.take_along_axis(a, idx, axis=dim)
        ctx.idx = idx
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx

    backward = staticmethod(MaxDim.backward)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """(values, indices) of the k-th smallest entry (1-based) along `dim` (default the last)."""
    _check_input(input, "kthvalue")
    k = _check_int_arg("kthvalue", "k", 2, k)
    dim = _check_int_arg("kthvalue", "dim", 3, dim)
    if not isinstance(keepdim, _bool):
        raise TypeError(f"kthvalue(): argument 'keepdim' (position 4) must be bool, not "
                        f"{type(keepdim).__name__}")
    a = input._data
    ax = canonical_dim(dim, a.ndim)
    n = a.shape[ax] if a.ndim else 1
    if a.ndim and n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {ax} to have non-zero size.")
    if k < 1 or k > n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {ax}")
    _check_not_kind(a, "kthvalue", "bc")
    v, i = Kthvalue.apply(input, k, ax if a.ndim else None, keepdim)
    return _with_out(return_types.kthvalue((v, i)), out, "kthvalue", (input,))


# ----------------------------------------------------------------------------------------------
# logsumexp, norm
# ----------------------------------------------------------------------------------------------
class LogSumExp(Function):
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m = max (0 where m is infinite).
    d/dx = exp(x - out), the softmax."""
    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = get_array_module(x._data)
        a = _float_data(x._data, xp)
        with _errstate(xp):
            if a.size == 0:
                m = xp.zeros([1 if i in dims else s for i, s in enumerate(a.shape)], dtype=a.dtype)
            else:
                m = xp.amax(a, axis=dims, keepdims=True)
                m = xp.where(xp.isfinite(m), m, xp.zeros((), dtype=a.dtype))
            out = xp.log(xp.sum(xp.exp(a - m), axis=dims, keepdims=True)) + m
        if not keepdim and dims:
            out = out.reshape([s for i, s in enumerate(a.shape) if i not in dims])
        y = Tensor._make(out)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        shape = x._data.shape
        g = _keep(grad_output, shape, ctx.dims, ctx.keepdim)
        return g * (x - _keep(y, shape, ctx.dims, ctx.keepdim)).exp(), None, None


def logsumexp(input, dim, keepdim=False, *, axis=None, keepdims=None, out=None):
    """log(sum(exp(input), dim)), computed stably."""
    _check_input(input, "logsumexp")
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, "logsumexp")
    dims = _axes(dim, input._data.ndim)
    res = LogSumExp.apply(input, dims, keepdim)
    return _with_out(res, out, "logsumexp", (input,))


class VectorNorm(Function):
    """The p-norm of the entries over `dims` (p = 2, 1, inf, -inf, 0 or any other number).

    d/dx ||x||_p = sign(x) |x|^(p-1) / ||x||^(p-1), defined as 0 where the norm is 0 (PyTorch's
    choice at the zero vector); inf-norms share the gradient among the entries that tie."""
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim, dtype):
        a = x._data
        xp = get_array_module(a)
        if a.dtype.kind not in "fc":
            raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                               f"input. Got {_dtype_name(a)}")
        ctx.in_dtype = a.dtype
        if dtype is not None:
            if xp.promote_types(a.dtype, dtype) != dtype:
                raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({_dtype_name(a)}) "
                                   "should be convertible without narrowing to the specified dtype "
                                   f"({_legacy(from_numpy_dtype(xp.dtype(dtype)).name)})")
            a = a.astype(dtype, copy=False)
        out_dt = a.dtype
        if out_dt == xp.float16:  # accumulate half in float32, as PyTorch (no overflow at 256+)
            a = a.astype(xp.float32)
        alld = dims if dims else None
        absa = xp.abs(a)
        with _errstate(xp):
            if p == 2:
                y = xp.sqrt(xp.sum(a * a, axis=alld, keepdims=True))
            elif p == 1:
                y = xp.sum(absa, axis=alld, keepdims=True)
            elif p == math.inf or p == -math.inf:
                if a.size == 0:
                    raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty "
                                       "tensor because the operation does not have an identity")
                y = (xp.amax if p > 0 else xp.amin)(absa, axis=alld, keepdims=True)
            elif p == 0:
                y = xp.sum(a != 0, axis=alld, keepdims=True).astype(a.dtype)
            else:
                y = xp.sum(absa ** p, axis=alld, keepdims=True) ** (1.0 / p)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        ctx.sign = xp.sign(a)
        ctx.nonzero_norm = y != 0
        if p in (math.inf, -math.inf):
            ctx.mask = absa == y
        y_keep = y.astype(out_dt, copy=False)
        if not keepdim:
            y = y.reshape([s for i, s in enumerate(a.shape) if i not in dims]) if dims \
                else y.reshape(())
        y = Tensor._make(y.astype(out_dt, copy=False))
        ctx.save_for_backward(x, y)
        ctx.y_keep_shape = y_keep.shape
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        p = ctx.p
        g = grad_output.reshape(ctx.y_keep_shape)
        yk = y.reshape(ctx.y_keep_shape)
        if x._data.dtype != g._data.dtype:
            x = x.to(from_numpy_dtype(g._data.dtype))
        sign = _const(ctx.sign)
        if p == 0:
            res = x * 0 * g
        elif p == 1:
            res = g * sign
        elif p in (math.inf, -math.inf):
            xp = get_array_module(ctx.mask)
            dims = ctx.dims if ctx.dims else None
            res = _evenly(g, ctx.mask, dims, xp, g._data.dtype) * sign
        elif p == 2:
            res = x * _masked(g / yk, ctx.nonzero_norm)
        else:
            absx = x * sign
            scale = _masked(g / yk ** (p - 1), ctx.nonzero_norm)
            pw = absx ** (p - 1)
            if p < 1:  # |x|^(p-1) is infinite at x == 0; PyTorch takes 0 there
                pw = _masked(pw, x._data != 0)
            res = sign * pw * scale
        return _to_dtype(res, ctx.in_dtype), None, None, None, None


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: the vector p-norm over `dim` (all entries when None); 'fro' is the 2-norm."""
    _check_input(input, "norm")
    if isinstance(p, str):
        if p != "fro":
            if p == "nuc":
                raise NotImplementedError("norm(p='nuc') is not supported by tinynn")
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        p = 2
    if p is None:
        p = 2
    p = _float(p)
    nd = input._data.ndim
    dims = _axes(dim, nd)
    if _is_all(dim):
        dims = tuple(range(nd))
    res = VectorNorm.apply(input, p, dims, _bool(keepdim), _np_dtype(dtype))
    return _with_out(res, out, "norm", (input,))


# ----------------------------------------------------------------------------------------------
# all, any, count_nonzero
# ----------------------------------------------------------------------------------------------
def _logical(name, input, dim, keepdim, axis, keepdims):
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, name)
    a = input._data
    xp = get_array_module(a)
    fn = xp.all if name == "all" else xp.any
    if isinstance(dim, (tuple, list)) and len(dim) == 0:   # PyTorch: dim=() reduces nothing
        r = a != 0
    else:
        dims = _axes(dim, a.ndim)
        r = fn(a, axis=dims, keepdims=keepdim) if dims else (a != 0)
    r = xp.asarray(r)
    if a.dtype == xp.uint8:  # PyTorch keeps uint8 for uint8 input
        r = r.astype(xp.uint8)
    return Tensor._make(r)


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """True where every entry (over `dim`) is nonzero."""
    _check_input(input, "all")
    return _with_out(_logical("all", input, dim, keepdim, axis, keepdims), out, "all")


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """True where some entry (over `dim`) is nonzero."""
    _check_input(input, "any")
    return _with_out(_logical("any", input, dim, keepdim, axis, keepdims), out, "any")


def count_nonzero(input, dim=None):
    """Number of nonzero entries (over `dim`), int64."""
    _check_input(input, "count_nonzero")
    a = input._data
    xp = get_array_module(a)
    dims = _axes(dim, a.ndim)
    r = xp.sum(a != 0, axis=dims, dtype=xp.int64)
    return Tensor._make(xp.asarray(r))
