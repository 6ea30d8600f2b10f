"""Shape ops and views.

A view op returns a tensor over the same memory as its input, sharing the version counter with
the input's base (`as_view`), so writes through either are seen by both and saved copies go stale
(PyTorch's rule). Views that may later need their history regenerated (because their base, or
another view of it, is modified in place with autograd recording it) are remembered, weakly, on
the base; ops/inplace.py does the regeneration. Ops that copy (cat, stack, repeat, flip, roll)
return fresh tensors, as in PyTorch.
"""
from __future__ import annotations

import weakref

from .._dtype import promote_types
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend import get_array_module, sliding_window_view
from ..tensor import Size, Tensor
from ._util import broadcast_error, canonical_dim, check_same_device, check_tensor, check_tensor_seq

__all__ = ["view", "reshape", "expand", "broadcast_to", "sum_to_size", "transpose", "swapaxes",
           "swapdims", "permute", "t", "squeeze", "unsqueeze", "flatten", "unflatten", "ravel",
           "as_view", "parse_shape", "repeat", "tile", "repeat_interleave", "cat", "concat",
           "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack",
           "split", "tensor_split", "chunk", "unbind", "narrow", "select", "flip", "fliplr", "flipud",
           "roll", "movedim", "moveaxis", "unfold", "diag_embed", "broadcast_tensors",
           "broadcast_shapes", "atleast_1d", "atleast_2d", "atleast_3d", "alias", "diff", "rot90",
           "block_diag", "cartesian_prod"]


# ----------------------------------------------------------------------------------------
# views: shared version counter, and the registry of views whose history may need regenerating
# ----------------------------------------------------------------------------------------
NO_GRAD_VIEW = "no_grad"  # `_view_meta` of a view created with grad mode off


def _check_input(input, name):
    """PyTorch's TypeError for a non-tensor `input` (instead of an AttributeError further in)."""
    check_tensor(name, "input", 1, input)


def _track(root, out):
    """Remember `out` (weakly) as a live view of `root`; dead references are dropped as the list
    doubles, so the cost stays amortised O(1) per view."""
    refs = root.__dict__.get("_views")
    if refs is None:
        refs = root.__dict__["_views"] = []
    refs.append(weakref.ref(out))
    n = len(refs)
    if n >= 64 and not n & (n - 1):
        refs[:] = [r for r in refs if r() is not None]


def as_view(out: Tensor, base: Tensor, multi=None) -> Tensor:
    """Mark `out` as a view of `base`: shared version counter and `_base` (the root base).

    `multi` = (op name, output index) for the outputs of ops returning several views (split,
    unbind), which PyTorch does not let you modify in place while autograd records it."""
    root = base if base._base is None else base._base
    vc = root._vc
    if vc is None:
        vc = root._vc = [0]
    out._vc = vc
    out._base = root
    if root._data.dtype.kind in "fc":
        grad_on = _state.enabled
        if not grad_on:
            out.__dict__["_view_meta"] = NO_GRAD_VIEW
        elif multi is not None:
            out.__dict__["_view_meta"] = multi
        # a leaf that requires grad can never take a new history in place, so its views never go
        # stale; every other base may (x[0] = y, x.add_(y), ...)
        if root.grad_fn is not None or not root._requires_grad:
            _track(root, out)
    return out


def live_views(root: Tensor):
    """The tracked live views of `root` (see as_view)."""
    refs = root.__dict__.get("_views")
    if not refs:
        return []
    return [t for t in (r() for r in refs) if t is not None]


# ----------------------------------------------------------------------------------------
# argument parsing
# ----------------------------------------------------------------------------------------
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
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = list(shape)
        shape[neg[0]] = numel // known
        return tuple(shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _dims_arg(dims):
    """`f(0, 1)`, `f((0, 1))`, `f([0, 1])` -> tuple of ints."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return tuple(int(d) for d in dims)


def _unique_dims(dims, ndim):
    out = []
    for d in dims:
        c = canonical_dim(d, ndim)
        if c in out:
            raise RuntimeError(f"dim {c} appears multiple times in the list of dims")
        out.append(c)
    return tuple(out)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


# ----------------------------------------------------------------------------------------
# view / reshape / flatten
# ----------------------------------------------------------------------------------------
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
    """reshape of a fresh contiguous copy (PyTorch records a clone, then this `_unsafe_view`)."""
    node_name = "UnsafeViewBackward0"


class Alias(Function):
    """x[...], x[()]: a view of the whole tensor."""
    node_name = "AliasBackward0"

    @staticmethod
    def forward(ctx, x):
        return x._data.view()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def alias(input):
    _check_input(input, "alias")
    return as_view(Alias.apply(input), input)


def view(input, *shape):
    _check_input(input, "view")
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and hasattr(shape[0], "np"):
        return _view_dtype(input, shape[0])
    shape = infer_size(parse_shape(shape), input._data.size)
    if _reshape_view(input._data, shape) is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least "
                           "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                           "instead.")
    return as_view(View.apply(input, shape), input)


def _view_dtype(input, dt):
    a = input._data
    if dt.np == a.dtype:
        return alias(input)
    if dt.itemsize != a.dtype.itemsize:
        raise RuntimeError("view(dtype) with a different element size is not supported by tinynn")
    if input._requires_grad:
        raise RuntimeError("Cannot view a tensor that requires grad as a different dtype (tinynn does "
                           "not differentiate through view(dtype))")
    return as_view(Tensor._make(a.view(dt.np)), input)


def reshape(input, *shape):
    _check_input(input, "reshape")
    shape = infer_size(parse_shape(shape), input._data.size)
    if _reshape_view(input._data, shape) is not None:
        return as_view(View.apply(input, shape), input)
    from .inplace import clone  # noqa: PLC0415
    return Reshape.apply(clone(input), shape)


def ravel(input):
    _check_input(input, "ravel")
    return view(input.contiguous(), -1)


def flatten(input, start_dim=0, end_dim=-1):
    _check_input(input, "flatten")
    nd = input._data.ndim
    if nd == 0:
        canonical_dim(start_dim, 0)  # (dims of a 0-dim tensor: [-1, 0], as PyTorch checks)
        canonical_dim(end_dim, 0)
        return reshape(input, (1,))
    s = canonical_dim(start_dim, nd)
    e = canonical_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input  # as PyTorch: nothing to flatten returns the input itself
    shp = input._data.shape
    return reshape(input, shp[:s] + (_numel(shp[s:e + 1]),) + shp[e + 1:])


def unflatten(input, dim, sizes):
    _check_input(input, "unflatten")
    shp = input._data.shape
    d = canonical_dim(dim, len(shp))
    sizes = parse_shape((sizes,)) if not isinstance(sizes, int) else (sizes,)
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = shp[d] if shp else 1
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = _numel(s for s in sizes if s != -1)
    if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of "
                           f"dim {d} ({n}) in the input tensor")
    sizes = infer_size(sizes, n)
    return reshape(input, shp[:d] + sizes + shp[d + 1:])


# ----------------------------------------------------------------------------------------
# expand / broadcast
# ----------------------------------------------------------------------------------------
class Expand(Function):
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        xp = get_array_module(x._data)
        ctx.in_shape = x._data.shape
        if shape == x._data.shape:
            return x._data.view()  # a writable view (broadcast_to is read-only)
        return xp.broadcast_to(x._data, shape)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.sum_to_size(ctx.in_shape), None


def _expand_shape(input, sizes):
    return _expand_sizes(input._data.shape, sizes, _legacy_name(input))


def _expand_sizes(shp, sizes, tname):
    """The shape `expand(sizes)` gives a tensor of shape `shp` (-1 keeps a size), or PyTorch's error."""
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand(tinynn.{tname}{{{list(shp)}}}, size={list(sizes)}): "
                           f"the number of sizes provided ({len(sizes)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(shp)})")
    off = len(sizes) - len(shp)
    out = list(sizes)
    for i in reversed(range(len(sizes))):  # PyTorch checks from the last dim
        s = sizes[i]
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
                               f"non-existing dimension {i}")
    return tuple(out)


def _legacy_name(t):
    return {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
            "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
            "uint8": "ByteTensor", "bool": "BoolTensor"}.get(t.dtype.name, t.dtype.name)


def expand(input, *sizes):
    _check_input(input, "expand")
    out = _expand_shape(input, parse_shape(sizes))
    return as_view(Expand.apply(input, out), input)


def broadcast_to(input, size):
    return expand(input, size)


def broadcast_shapes(*shapes):
    """The shape all `shapes` broadcast to (PyTorch's rules and errors)."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i, d in enumerate(s):
            j = n - len(s) + i
            if d < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {d}: {list(s)}")
            if d == 1 or d == out[j]:
                continue
            if out[j] != 1:
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape.  "
                                   f"Mismatch is between arg 0 and arg {shapes.index(s)}.")
            out[j] = d
    for i, d in enumerate(out):  # what torch.Size() refuses, named by its place in the result
        if not (isinstance(d, int) or hasattr(d, "__index__")):
            raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is '{type(d).__name__}')")
    return Size(out)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    check_tensor_seq(tensors)
    shape = ()
    for t in tensors:
        try:
            shape = tuple(broadcast_shapes(shape, t._data.shape))
        except RuntimeError:
            raise broadcast_error(shape, t._data.shape) from None
    return tuple(expand(t, shape) for t in tensors)


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
    _check_input(input, "sum_to_size")
    size = parse_shape(size)
    shp = input._data.shape
    if size == shp:
        return input
    lead = len(shp) - len(size)
    ok = lead >= 0 and all(s == 1 or s == shp[i + lead] for i, s in enumerate(size))
    if not ok:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shp)}}}.")
    return SumToSize.apply(input, size)


# ----------------------------------------------------------------------------------------
# permutations
# ----------------------------------------------------------------------------------------
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
        a = x._data
        return a.swapaxes(d0, d1) if a.ndim else a.view()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.transpose(ctx.d0, ctx.d1), None, None


class T(Transpose):
    node_name = "TBackward0"


def permute(input, *dims):
    _check_input(input, "permute")
    dims = _dims_arg(dims)
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
    _check_input(input, "transpose")
    nd = input._data.ndim
    d0, d1 = canonical_dim(dim0, nd), canonical_dim(dim1, nd)
    return as_view(Transpose.apply(input, d0, d1), input)


def swapaxes(input, axis0, axis1):
    _check_input(input, "swapaxes")
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    _check_input(input, "swapdims")
    return transpose(input, dim0, dim1)


def t(input):
    _check_input(input, "t")
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return as_view(T.apply(input, 0, nd - 1 if nd else 0), input)


def movedim(input, source, destination):
    _check_input(input, "movedim")
    nd = input._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                           f"should contain the same number of dims as destination ({list(dst)} dims)")
    src = [canonical_dim(d, nd) for d in src]
    dst = [canonical_dim(d, nd) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(destination)})")
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    order = [o if o is not None else next(rest) for o in order]
    return as_view(Permute.apply(input, tuple(order)), input)


moveaxis = movedim


# ----------------------------------------------------------------------------------------
# squeeze / unsqueeze
# ----------------------------------------------------------------------------------------
class Squeeze(View):
    node_name = "SqueezeBackward0"


class SqueezeDim(View):
    node_name = "SqueezeBackward1"


class SqueezeDims(View):
    node_name = "SqueezeBackward2"


class Unsqueeze(View):
    node_name = "UnsqueezeBackward0"


def squeeze(input, dim=None):
    _check_input(input, "squeeze")
    shp = input._data.shape
    nd = len(shp)
    if dim is None:
        new = tuple(s for s in shp if s != 1)
        return as_view(Squeeze.apply(input, new), input)
    if isinstance(dim, (tuple, list)):
        dims = _unique_dims(dim, nd)
        op = SqueezeDims
    else:
        dims = (canonical_dim(dim, nd),)
        op = SqueezeDim
    new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return as_view(op.apply(input, new), input)


def unsqueeze(input, dim):
    _check_input(input, "unsqueeze")
    shp = input._data.shape
    d = canonical_dim(dim, len(shp) + 1)
    new = shp[:d] + (1,) + shp[d:]
    return as_view(Unsqueeze.apply(input, new), input)


def atleast_1d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    check_tensor_seq(ts)
    out = tuple(reshape(t, (1,)) if t._data.ndim == 0 else t for t in ts)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def atleast_2d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    check_tensor_seq(ts)
    out = tuple(t if t._data.ndim >= 2 else reshape(t, (1, -1) if t._data.ndim else (1, 1)) for t in ts)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def atleast_3d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    check_tensor_seq(ts)

    def one(t):
        nd = t._data.ndim
        if nd == 0:
            return reshape(t, (1, 1, 1))
        if nd == 1:
            return reshape(t, (1, -1, 1))
        if nd == 2:
            return unsqueeze(t, -1)
        return t
    out = tuple(one(t) for t in ts)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


# ----------------------------------------------------------------------------------------
# repeat / tile / repeat_interleave
# ----------------------------------------------------------------------------------------
class Repeat(Function):
    node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, reps):
        a = x._data
        xp = get_array_module(a)
        lead = len(reps) - a.ndim
        ctx.in_shape = a.shape
        ctx.reps = reps
        a = a.reshape((1,) * lead + a.shape)
        return xp.tile(a, reps)

    @staticmethod
    def backward(ctx, grad_output):
        # the output is (r0*s0, r1*s1, ...): view it as (r0, s0, r1, s1, ...) and sum the r axes
        reps = ctx.reps
        lead = len(reps) - len(ctx.in_shape)
        padded = (1,) * lead + ctx.in_shape
        split = []
        for r, s in zip(reps, padded):
            split += [r, s]
        g = grad_output.reshape(split)
        axes = tuple(range(0, 2 * len(reps), 2))
        if axes:
            g = g.sum(dim=axes)
        return g.reshape(ctx.in_shape), None


def repeat(input, *sizes):
    _check_input(input, "repeat")
    reps = parse_shape(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    for r in reps:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {r}: {list(reps)}")
    return Repeat.apply(input, reps)


def tile(input, *dims):
    _check_input(input, "tile")
    dims = parse_shape(dims)
    nd = input._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    _check_input(input, "repeat_interleave")
    from .index import index_select  # noqa: PLC0415 - index builds on shape
    if repeats is None:  # repeat_interleave(repeats_tensor): arange(len) repeated
        reps = input
        xp = get_array_module(reps._data)
        _check_repeats(reps._data)
        return Tensor._make(xp.repeat(xp.arange(reps._data.size), reps._data.reshape(-1)))
    if dim is None:
        input = reshape(input, -1)
        dim = 0
    nd = input._data.ndim
    d = canonical_dim(dim, nd)
    if isinstance(repeats, Tensor) and repeats._data.size == 1 and repeats._data.ndim <= 1:
        repeats = int(repeats.item())
    if isinstance(repeats, int):
        if repeats < 0:
            raise RuntimeError("repeats can not be negative")
        shp = input._data.shape if nd else (1,)
        x = unsqueeze(input if nd else reshape(input, (1,)), d + 1)
        x = expand(x, shp[:d + 1] + (repeats,) + shp[d + 1:])
        return reshape(x.contiguous(), shp[:d] + (shp[d] * repeats,) + shp[d + 1:])
    reps = repeats._data if isinstance(repeats, Tensor) else get_array_module(input._data).asarray(repeats)
    xp = get_array_module(input._data)
    n = input._data.shape[d] if nd else 1
    if reps.ndim != 1 or reps.shape[0] != n:
        raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) "
                           f"= {reps.size} and input.size({d}) = {n}")
    _check_repeats(reps)
    idx = Tensor._make(xp.repeat(xp.arange(n), reps))
    return index_select(input, d, idx)


def _check_repeats(reps):
    if reps.dtype.kind not in "iu":
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if reps.size and type(reps).__module__ == "numpy" and int(reps.min()) < 0:
        raise RuntimeError("repeats can not be negative")


# ----------------------------------------------------------------------------------------
# cat / stack
# ----------------------------------------------------------------------------------------
def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tensors


def _common_dtype(tensors):
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = promote_types(dt, t.dtype)
    return dt


class Cat(Function):
    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, npdt, *tensors):
        xp = get_array_module(tensors[0]._data)
        first = tensors[0]._data
        arrs = []
        sizes = []
        for t in tensors:
            a = t._data
            check_same_device(first, a)
            if a.ndim == 1 and a.shape[0] == 0 and not (first.ndim == 1):
                sizes.append(None)  # PyTorch skips legacy empty 1-D tensors
                continue
            sizes.append(a.shape[dim])
            arrs.append(a if a.dtype == npdt else a.astype(npdt))
        ctx.dim, ctx.sizes = dim, sizes
        if not arrs:
            return xp.empty((0,), dtype=npdt)
        return xp.concatenate(arrs, axis=dim)

    @staticmethod
    def backward(ctx, grad_output):
        out = [None, None]
        start = 0
        for s in ctx.sizes:
            if s is None:
                out.append(grad_output.reshape(-1)[:0])
                continue
            out.append(grad_output.narrow(ctx.dim, start, s))
            start += s
        return tuple(out)


def cat(tensors, dim=0, *, out=None):
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    real = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)]
    ref = real[0] if real else tensors[0]
    nd = ref._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = canonical_dim(dim, nd)
    for i, t in enumerate(tensors):
        a = t._data
        if t is not ref and a.ndim == 1 and a.shape[0] == 0 and nd != 1:
            continue
        if a.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if a.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {a.ndim}")
        for k in range(nd):
            if k != d and a.shape[k] != ref._data.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref._data.shape[k]} but got size {a.shape[k]} for tensor number "
                                   f"{i} in the list.")
    dt = _common_dtype(tensors)
    res = Cat.apply(d, dt.np, *tensors)
    return _write_out(res, out)


def _write_out(res, out):
    if out is None:
        return res
    from .inplace import copy_  # noqa: PLC0415
    if out._data.shape != res._data.shape:
        out._data = get_array_module(res._data).empty(res._data.shape, dtype=out._data.dtype)
    return copy_(out, res)


def concat(tensors, dim=0, *, out=None):
    return cat(tensors, dim, out=out)


def concatenate(tensors, axis=0, out=None):
    return cat(tensors, axis, out=out)


class Stack(Function):
    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, npdt, *tensors):
        xp = get_array_module(tensors[0]._data)
        first = tensors[0]._data
        arrs = []
        for t in tensors:
            check_same_device(first, t._data)
            arrs.append(t._data if t._data.dtype == npdt else t._data.astype(npdt))
        ctx.dim, ctx.n = dim, len(tensors)
        return xp.stack(arrs, axis=dim)

    @staticmethod
    def backward(ctx, grad_output):
        return (None, None) + tuple(grad_output.select(ctx.dim, i) for i in range(ctx.n))


def stack(tensors, dim=0, *, out=None):
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shp = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shp:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shp)} at "
                               f"entry 0 and {list(t._data.shape)} at entry {i}")
    d = canonical_dim(dim, len(shp) + 1)
    res = Stack.apply(d, _common_dtype(tensors).np, *tensors)
    return _write_out(res, out)


def hstack(tensors, *, out=None):
    ts = atleast_1d(*_tensor_list(tensors, "hstack"))
    if not ts:
        raise RuntimeError("hstack expects a non-empty TensorList")
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    ts = atleast_2d(*_tensor_list(tensors, "vstack"))
    if not ts:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return cat(ts, 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    ts = atleast_3d(*_tensor_list(tensors, "dstack"))
    if not ts:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return cat(ts, 2, out=out)


def column_stack(tensors, *, out=None):
    ts = _tensor_list(tensors, "column_stack")
    if not ts:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    ts = [reshape(t, (-1, 1)) if t._data.ndim <= 1 else t for t in ts]
    return cat(ts, 1, out=out)


# ----------------------------------------------------------------------------------------
# split / chunk / unbind (several views of one input)
# ----------------------------------------------------------------------------------------
class SplitWithSizes(Function):
    node_name = "SplitWithSizesBackward0"
    view_name = "SplitWithSizes"

    @staticmethod
    def forward(ctx, x, sizes, dim):
        a = x._data
        ctx.dim = dim
        outs = []
        start = 0
        pre = (slice(None),) * dim
        for s in sizes:
            outs.append(a[pre + (slice(start, start + s),)])
            start += s
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return cat(list(grads), ctx.dim), None, None


class Split(SplitWithSizes):
    node_name = "SplitBackward0"
    view_name = "Split"


class Unbind(Function):
    node_name = "UnbindBackward0"
    view_name = "Unbind"

    @staticmethod
    def forward(ctx, x, dim):
        a = x._data
        ctx.dim = dim
        pre = (slice(None),) * dim
        return tuple(a[pre + (i,)] for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(list(grads), ctx.dim), None


def _multi_views(outs, input, op):
    outs = outs if isinstance(outs, tuple) else (outs,)
    return tuple(as_view(o, input, (op.view_name, i)) for i, o in enumerate(outs))


def split(tensor, split_size_or_sections, dim=0):
    _check_input(tensor, "split")
    nd = tensor._data.ndim
    if nd == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = canonical_dim(dim, nd)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, Tensor):
        split_size_or_sections = split_size_or_sections.tolist()
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = tuple(int(s) for s in split_size_or_sections)
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                               f"size at dimension {d}), but got split_sizes={list(sizes)}")
        return _multi_views(SplitWithSizes.apply(tensor, sizes, d), tensor, SplitWithSizes)
    s = int(split_size_or_sections)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    if n == 0:
        sizes = (0,)
    else:
        sizes = tuple(min(s, n - i) for i in range(0, n, s))
    return _multi_views(Split.apply(tensor, sizes, d), tensor, Split)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = canonical_dim(dim, nd)
    n = input._data.shape[d]
    size = -(-n // chunks)
    if size == 0:  # PyTorch: an empty dim gives `chunks` empty pieces
        return _multi_views(Split.apply(input, (0,) * chunks, d), input, Split)
    return split(input, size, d)


def tensor_split(input, indices_or_sections, dim=0):
    _check_input(input, "tensor_split")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                           "with 0 dims")
    d = canonical_dim(dim, nd)
    n = input._data.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds = [0]
        for i in range(k):
            bounds.append(bounds[-1] + q + (1 if i < r else 0))
    else:
        bounds = [0] + [min(max(int(i), 0), n) for i in indices_or_sections] + [n]
    return tuple(narrow(input, d, bounds[i], max(bounds[i + 1] - bounds[i], 0))
                 for i in range(len(bounds) - 1))


def unbind(input, dim=0):
    _check_input(input, "unbind")
    nd = input._data.ndim
    if nd == 0:
        canonical_dim(dim, 0)  # out of [-1, 0]: PyTorch's "Dimension out of range" first
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = canonical_dim(dim, nd)
    if input._data.shape[d] == 0:
        return ()
    return _multi_views(Unbind.apply(input, d), input, Unbind)


def narrow(input, dim, start, length):
    _check_input(input, "narrow")
    from .index import getitem  # noqa: PLC0415
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = canonical_dim(dim, nd)
    n = input._data.shape[d]
    if isinstance(start, Tensor):
        start = int(start.item())
    if isinstance(length, Tensor):
        length = int(length.item())
    if start < -n or start > n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def select(input, dim, index):
    _check_input(input, "select")
    from .index import getitem  # noqa: PLC0415
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = canonical_dim(dim, nd)
    n = input._data.shape[d]
    index = int(index)
    if index < -n or index >= n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input._data.shape)} at dimension {d}")
    return getitem(input, (slice(None),) * d + (index,))


# ----------------------------------------------------------------------------------------
# flip / roll
# ----------------------------------------------------------------------------------------
class Flip(Function):
    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        xp = get_array_module(x._data)
        ctx.dims = dims
        if not dims:
            return x._data.copy()
        return xp.flip(x._data, axis=dims).copy()  # PyTorch's flip copies

    @staticmethod
    def backward(ctx, grad_output):
        return Flip.apply(grad_output, ctx.dims), None


def flip(input, *dims):
    _check_input(input, "flip")
    dims = _dims_arg(dims)
    return Flip.apply(input, _unique_dims(dims, input._data.ndim))


def fliplr(input):
    _check_input(input, "fliplr")
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    _check_input(input, "flipud")
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Function):
    node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, dims):
        xp = get_array_module(x._data)
        ctx.shifts, ctx.dims = shifts, dims
        a = x._data
        if dims is None:
            return xp.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
        return xp.roll(a, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad_output):
        return Roll.apply(grad_output, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll(input, shifts, dims=None):
    _check_input(input, "roll")
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts, None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    dims = tuple(canonical_dim(d, input._data.ndim) for d in dims)
    return Roll.apply(input, shifts, dims)


# ----------------------------------------------------------------------------------------
# unfold (sliding windows, a view) and diag_embed
# ----------------------------------------------------------------------------------------
class Unfold(Function):
    node_name = "UnfoldBackward0"

    @staticmethod
    def forward(ctx, x, dim, size, step):
        a = x._data
        ctx.in_shape, ctx.dim, ctx.size, ctx.step = a.shape, dim, size, step
        if a.ndim == 0:
            return a.reshape(1)
        w = sliding_window_view(a, size, axis=dim)
        return w[(slice(None),) * dim + (slice(None, None, step),)]

    @staticmethod
    def backward(ctx, grad_output):
        return UnfoldBackward.apply(grad_output, ctx.in_shape, ctx.dim, ctx.size, ctx.step), None, None, None


class UnfoldBackward(Function):
    """Sum the windows back into the input's shape (overlapping windows accumulate)."""
    node_name = "UnfoldBackwardBackward0"

    @staticmethod
    def forward(ctx, g, in_shape, dim, size, step):
        from .index import accumulate_flat  # noqa: PLC0415
        ga = g._data
        xp = get_array_module(ga)
        ctx.in_shape, ctx.dim, ctx.size, ctx.step = in_shape, dim, size, step
        if len(in_shape) == 0:
            return ga.reshape(())
        n = in_shape[dim]
        # move the window-count axis next to the window axis: (rest..., n_windows, size)
        gm = xp.moveaxis(ga, dim, -2)
        rest = gm.shape[:-2]
        nw = gm.shape[-2]
        r = _numel(rest)
        pos = (xp.arange(nw)[:, None] * step + xp.arange(size)[None, :]).reshape(-1)
        flat = (xp.arange(r)[:, None] * n + pos[None, :]).reshape(-1)
        out = xp.zeros(r * n, dtype=ga.dtype)
        accumulate_flat(out, flat, xp.ascontiguousarray(gm).reshape(-1))
        return xp.moveaxis(out.reshape(rest + (n,)), -1, dim)

    @staticmethod
    def backward(ctx, grad_output):
        return unfold(grad_output, ctx.dim, ctx.size, ctx.step), None, None, None, None


def unfold(input, dimension, size, step):
    _check_input(input, "unfold")
    nd = input._data.ndim
    d = canonical_dim(dimension, nd)
    n = input._data.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return as_view(Unfold.apply(input, d, size, step), input)


class DiagEmbed(Function):
    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        a = x._data
        xp = get_array_module(a)
        ctx.offset, ctx.dim1, ctx.dim2 = offset, dim1, dim2
        n = a.shape[-1] + abs(offset)
        out = xp.zeros(a.shape[:-1] + (n, n), dtype=a.dtype)
        i = xp.arange(a.shape[-1])
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        out[..., r, c] = a
        # the two new axes sit last; move them to dim1, dim2 of the output
        nd = out.ndim
        order = [d for d in range(nd - 2)]
        for d, src in sorted(((dim1, nd - 2), (dim2, nd - 1))):
            order.insert(d, src)
        return out.transpose(order)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.diagonal(ctx.offset, ctx.dim1, ctx.dim2), None, None, None


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    _check_input(input, "diag_embed")
    nd = input._data.ndim + 1
    d1, d2 = canonical_dim(dim1, nd), canonical_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(input, offset, d1, d2)



# ----------------------------------------------------------------------------------------
# diff / rot90: composed from narrow, cat, flip and transpose (autograd through those)
# ----------------------------------------------------------------------------------------
def _diff_check_other(input, other, dim):
    if other is None:
        return
    _check_input(other, "diff")
    nd = input._data.ndim
    d = canonical_dim(dim, nd)
    if other._data.ndim != nd:
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for i in range(nd):
        if i != d and other._data.shape[i] != input._data.shape[i]:
            raise RuntimeError("diff expects the shape of tensor to prepend or append to match that of "
                               "input except along the differencing dimension; input.size("
                               f"{i}) = {input._data.shape[i]}, but got tensor.size({i}) = "
                               f"{other._data.shape[i]}")


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """n-th forward difference along `dim` (logical xor for bool), after concatenating `prepend`
    and `append`; as PyTorch's, n larger than the size gives an empty result."""
    _check_input(input, "diff")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"diff(): argument 'n' must be int, not {type(n).__name__}")
    if input._data.ndim < 1:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    _diff_check_other(input, prepend, dim)
    _diff_check_other(input, append, dim)
    if n == 0:
        from .inplace import clone  # noqa: PLC0415
        return _write_out(clone(input), out)
    res = input
    if prepend is not None or append is not None:
        parts = [t for t in (prepend, input, append) if t is not None]
        res = cat(parts, dim)
    d = canonical_dim(dim, res._data.ndim)
    size = res._data.shape[d]
    length = size - 1
    if res._data.dtype.kind == "b":
        from .elementwise import logical_xor as step  # noqa: PLC0415
    else:
        def step(a, b):
            return a - b
    for _ in range(min(n, size)):  # one step per order (n is small), each vectorised
        res = step(narrow(res, d, 1, length), narrow(res, d, 0, length))
        length -= 1
    return _write_out(res, out)


class Rot90(Function):
    """Rotation by k quarter turns in the plane of (d0, d1); the gradient rotates back by -k."""
    node_name = "Rot90Backward0"

    @staticmethod
    def forward(ctx, x, k, d0, d1):
        a = x._data
        xp = get_array_module(a)
        ctx.k, ctx.d0, ctx.d1 = k, d0, d1
        # PyTorch's layouts: k = 1, 3 are transposed (non-contiguous) copies, k = 0, 2 contiguous
        if k == 1:
            return xp.swapaxes(xp.flip(a, d1).copy(), d0, d1)
        if k == 2:
            return xp.flip(a, (d0, d1)).copy()
        if k == 3:
            return xp.swapaxes(xp.flip(a, d0).copy(), d0, d1)
        return a.copy()

    @staticmethod
    def backward(ctx, grad_output):
        return Rot90.apply(grad_output, (4 - ctx.k) % 4, ctx.d0, ctx.d1), None, None, None


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees k times in the plane of `dims` (from dims[0] towards dims[1])."""
    _check_input(input, "rot90")
    dims = list(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = canonical_dim(dims[0], nd), canonical_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    return Rot90.apply(input, int(k) % 4, d0, d1)


# ----------------------------------------------------------------------------------------
# block_diag / cartesian_prod
# ----------------------------------------------------------------------------------------
class BlockDiag(Function):
    """The (at most 2-D) inputs on the diagonal of a zero matrix; each input's gradient is its
    block of the output's gradient."""
    node_name = "BlockDiagBackward0"

    @staticmethod
    def forward(ctx, npdt, *tensors):
        xp = get_array_module(tensors[0]._data)
        shapes = [t._data.shape for t in tensors]
        blocks = [(1, 1) if len(sh) == 0 else (1, sh[0]) if len(sh) == 1 else sh for sh in shapes]
        rows = sum(b[0] for b in blocks)
        cols = sum(b[1] for b in blocks)
        out = xp.zeros((rows, cols), dtype=npdt)
        r = c = 0
        spans = []
        for t, (h, w) in zip(tensors, blocks):  # one block copy per input tensor
            out[r:r + h, c:c + w] = t._data.reshape(h, w)
            spans.append((r, c, h, w))
            r += h
            c += w
        ctx.spans, ctx.shapes = spans, shapes
        return out

    @staticmethod
    def backward(ctx, grad_output):
        grads = [None]
        for (r, c, h, w), sh in zip(ctx.spans, ctx.shapes):
            grads.append(grad_output.narrow(0, r, h).narrow(1, c, w).reshape(sh))
        return tuple(grads)


def block_diag(*tensors):
    """A block diagonal matrix from 0-, 1- (a row) and 2-D tensors, in PyTorch's promoted dtype."""
    check_tensor_seq(tensors)
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
    if not tensors:
        from .creation import empty  # noqa: PLC0415
        return empty(1, 0)
    for t in tensors[1:]:
        check_same_device(tensors[0]._data, t._data)
    return BlockDiag.apply(_common_dtype(list(tensors)).np, *tensors)


def cartesian_prod(*tensors):
    """All combinations of the entries of 1-D tensors (itertools.product order), one per row."""
    check_tensor_seq(tensors)
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors[1:]:
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        check_same_device(tensors[0]._data, t._data)
    n = len(tensors)
    full = tuple(t._data.shape[0] for t in tensors)
    cols = []
    for i, t in enumerate(tensors):  # one broadcast column per input tensor
        shape = [1] * n
        shape[i] = full[i]
        cols.append(reshape(expand(reshape(t, *shape), *full), -1))
    return stack(cols, 1)
