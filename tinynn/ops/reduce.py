"""Reductions: `dim` as int or tuple, `keepdim`, and NumPy's `axis=`/`keepdims=` aliases."""
from __future__ import annotations

from .._dtype import to_dtype
from ..autograd.function import Function
from ..backend import get_array_module
from ._util import canonical_dims

__all__ = ["sum", "mean", "reduce_args", "expand_reduced"]


def reduce_args(dim, keepdim, axis, keepdims, name="sum"):
    """Merge PyTorch's dim/keepdim with the NumPy-style axis/keepdims PyTorch also accepts."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}() received both dim and axis")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def expand_reduced(g, shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims (a view, no copy)."""
    if not keepdim and dims:
        kept = list(shape)
        for d in dims:
            kept[d] = 1
        g = g.reshape(kept)
    return g.expand(shape)


class Sum(Function):
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        xp = get_array_module(x._data)
        ctx.shape, ctx.dims, ctx.keepdim = x._data.shape, dims, keepdim
        a = x._data
        if dtype is None and a.dtype.kind in "biu":
            dtype = xp.int64
        return xp.sum(a, axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_output):
        return expand_reduced(grad_output, ctx.shape, ctx.dims, ctx.keepdim), None, None, None


class SumAll(Sum):
    node_name = "SumBackward0"


class Mean(Function):
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        xp = get_array_module(x._data)
        a = x._data
        if dtype is None and a.dtype.kind not in "fc":
            from .._dtype import from_numpy_dtype  # noqa: PLC0415
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                               "floating point or complex dtype. Got: "
                               f"{_legacy(from_numpy_dtype(a.dtype).name)}")
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        n = 1
        for d in dims:
            n *= a.shape[d]
        ctx.n = n
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        with _errstate(xp):
            return xp.mean(a, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad_output):
        return expand_reduced(grad_output / ctx.n, ctx.shape, ctx.dims, ctx.keepdim), None, None, None


class MeanAll(Mean):
    node_name = "MeanBackward0"


def _legacy(name):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(name, name.capitalize())


class _errstate:
    def __init__(self, xp):
        self.ctx = xp.errstate(invalid="ignore", divide="ignore") if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims)
    nd = input._data.ndim
    dims = canonical_dims(dim, nd)
    npdt = to_dtype(dtype).np if dtype is not None else None
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return SumAll.apply(input, tuple(range(nd)), False if dim is None else keepdim, npdt)
    return Sum.apply(input, dims, keepdim, npdt)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    dim, keepdim = reduce_args(dim, keepdim, axis, keepdims, "mean")
    nd = input._data.ndim
    dims = canonical_dims(dim, nd)
    npdt = to_dtype(dtype).np if dtype is not None else None
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return MeanAll.apply(input, tuple(range(nd)), False if dim is None else keepdim, npdt)
    return Mean.apply(input, dims, keepdim, npdt)

