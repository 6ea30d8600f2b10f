"""Shape ops and views. A view op returns a tensor over the same memory, sharing the version
counter with its base (so writes through either are seen by both, and saved copies go stale)."""
from __future__ import annotations

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import canonical_dim

__all__ = ["view", "reshape", "expand", "sum_to_size", "transpose", "permute", "t", "squeeze",
           "unsqueeze", "flatten", "as_view", "parse_shape"]


def as_view(out: Tensor, base: Tensor) -> Tensor:
    """Mark `out` as a view of `base`: shared version counter and `_base`."""
    if base._vc is None:
        base._vc = [0]
    out._vc = base._vc
    out._base = base if base._base is None else base._base
    return out


def parse_shape(shape):
    """Accept `f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(Size)`."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    out = []
    for s in shape:
        if isinstance(s, Tensor):
            s = int(s.item())
        if not isinstance(s, int) or isinstance(s, bool):
            try:
                s = s.__index__()
            except AttributeError:
                raise TypeError(f"shape must be a sequence of ints, but got {type(s).__name__}") from None
        out.append(int(s))
    return tuple(out)


def infer_size(shape, numel):
    """Resolve one -1 entry, with PyTorch's error for an impossible shape."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = list(shape)
        shape[neg[0]] = numel // known
        return tuple(shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _reshape_view(a, shape):
    """`a` reshaped without copying, or None when the strides do not allow it."""
    xp = get_array_module(a)
    try:
        if xp.__name__ == "numpy":
            return a.reshape(shape, copy=False)
        r = a.reshape(shape)
        return r if r.base is a or r.base is a.base and r.base is not None else None
    except (ValueError, AttributeError, TypeError):
        return None


class View(Function):
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        return x._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.reshape(ctx.in_shape), None


class Reshape(View):
    """reshape that had to copy (PyTorch records it as a clone then a view)."""
    node_name = "UnsafeViewBackward0"


def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and hasattr(shape[0], "np"):
        return input.to(shape[0]) if shape[0].itemsize == input.itemsize else _view_dtype_error()
    shape = infer_size(parse_shape(shape), input._data.size)
    if _reshape_view(input._data, shape) is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least "
                           "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                           "instead.")
    return as_view(View.apply(input, shape), input)


def _view_dtype_error():
    raise RuntimeError("view(dtype) with a different element size is not supported by tinynn")


def reshape(input, *shape):
    shape = infer_size(parse_shape(shape), input._data.size)
    if _reshape_view(input._data, shape) is not None:
        return as_view(View.apply(input, shape), input)
    return Reshape.apply(input, shape)


def flatten(input, start_dim=0, end_dim=-1):
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, (1,))
    s = canonical_dim(start_dim, nd)
    e = canonical_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = input._data.shape
    n = 1
    for d in shp[s:e + 1]:
        n *= d
    return reshape(input, shp[:s] + (n,) + shp[e + 1:])


class Expand(Function):
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        xp = get_array_module(x._data)
        ctx.in_shape = x._data.shape
        return xp.broadcast_to(x._data, shape)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.sum_to_size(ctx.in_shape), None


def expand(input, *sizes):
    sizes = parse_shape(sizes)
    shp = input._data.shape
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand(tinynn.{input.dtype.name}{{{list(shp)}}}, size={list(sizes)}): the "
                           f"number of sizes provided ({len(sizes)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({len(shp)})")
    off = len(sizes) - len(shp)
    out = list(sizes)
    for i, s in enumerate(sizes):
        if i >= off:
            cur = shp[i - off]
            if s == -1:
                out[i] = cur
            elif cur != 1 and cur != s:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size "
                                   f"({cur}) at non-singleton dimension {i}.  Target sizes: "
                                   f"{list(sizes)}.  Tensor sizes: {list(shp)}")
        elif s < 0:
            raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                               "non-existing dimension 0")
    out = tuple(out)
    if out == shp:
        return as_view(View.apply(input, shp), input) if input._requires_grad else input.detach()
    return as_view(Expand.apply(input, out), input)


class SumToSize(Function):
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, shape):
        a = x._data
        xp = get_array_module(a)
        ctx.in_shape = a.shape
        lead = a.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                          if s == 1 and a.shape[i + lead] != 1)
        r = xp.sum(a, axis=axes, keepdims=True) if axes else a
        return r.reshape(shape)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.expand(ctx.in_shape), None


def sum_to_size(input, *size):
    size = parse_shape(size)
    shp = input._data.shape
    if size == shp:
        return input
    lead = len(shp) - len(size)
    ok = lead >= 0 and all(s == 1 or s == shp[i + lead] for i, s in enumerate(size))
    if not ok:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shp)}}}.")
    return SumToSize.apply(input, size)


class Permute(Function):
    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x._data.transpose(dims)

    @staticmethod
    def backward(ctx, grad_output):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return grad_output.permute(*inv), None


class Transpose(Function):
    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.d0, ctx.d1 = d0, d1
        return x._data.swapaxes(d0, d1)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.transpose(ctx.d0, ctx.d1), None, None


class T(Transpose):
    node_name = "TBackward0"


def permute(input, *dims):
    dims = parse_shape(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not "
                           f"match the length of the desired ordering of dimensions i.e. input.dim() = "
                           f"{nd} is not equal to len(dims) = {len(dims)}")
    dims = tuple(canonical_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return as_view(Permute.apply(input, dims), input)


def transpose(input, dim0, dim1):
    nd = input._data.ndim
    d0, d1 = canonical_dim(dim0, nd), canonical_dim(dim1, nd)
    if nd < 2:
        return as_view(View.apply(input, input._data.shape), input)
    return as_view(Transpose.apply(input, d0, d1), input)


def t(input):
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    if nd < 2:
        return as_view(View.apply(input, input._data.shape), input)
    return as_view(T.apply(input, 0, 1), input)


class Squeeze(View):
    node_name = "SqueezeBackward0"


class Unsqueeze(View):
    node_name = "UnsqueezeBackward0"


def squeeze(input, dim=None):
    shp = input._data.shape
    nd = len(shp)
    if dim is None:
        new = tuple(s for s in shp if s != 1)
        return as_view(Squeeze.apply(input, new), input)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    dims = {canonical_dim(d, nd) for d in dims}
    new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return as_view(Squeeze.apply(input, new), input)


def unsqueeze(input, dim):
    shp = input._data.shape
    d = canonical_dim(dim, len(shp) + 1)
    new = shp[:d] + (1,) + shp[d:]
    return as_view(Unsqueeze.apply(input, new), input)
