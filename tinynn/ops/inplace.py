"""In-place ops (`add_`, `x += y`, `x[k] = v`, `copy_`, ...) and copies (`clone`, `to`).

An in-place op computes the out-of-place op's result and writes it into the tensor's own array (so
views and `id(x)` are kept), then bumps the version counter (shared by a base and all its views).
When autograd records it:

* on a tensor that is not a view, the tensor takes the result's history (PyTorch's rebase); any
  saved copy of the old value is checked against its version at backward;
* on a view, the base's history is rebased through a `CopySlices` node: the base's new value is
  its old value with the view's region replaced by `op(view)`. The view's history is then
  regenerated from the base (`AsStridedBackward0`, as PyTorch names it), and so is the history of
  every other live view of that base, so all of them stay correct.

Where PyTorch forbids a case (a view of a leaf that requires grad, a view created under no_grad,
an output of split/unbind), the same RuntimeError is raised. Bases whose memory is not dense with
non-negative strides cannot be addressed by the view geometry below: in-place on their views
under autograd raises a clear RuntimeError rather than risk a wrong gradient.
"""
from __future__ import annotations

from .._dtype import from_numpy_dtype, to_dtype
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend import as_device, get_array_module, to_device
from ..tensor import Tensor
from ._util import broadcast_error, check_tensor
from .shape import NO_GRAD_VIEW, live_views

__all__ = ["inplace", "inplace_view", "copy_", "fill_", "clone", "to", "set_data_", "set_shape_",
           "resize_", "as_strided"]

_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
_LEAF_VIEW_MSG = "a view of a leaf Variable that requires grad is being used in an in-place operation."
_NO_GRAD_VIEW_MSG = ("A view was created in no_grad mode and is being modified inplace with grad mode "
                     "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. "
                     "You can clarify your code by moving both the view and the inplace either both "
                     "inside the no_grad block (if you don't want the inplace to be tracked) or both "
                     "outside (if you want the inplace to be tracked).")
_NO_GRAD_VIEW_REBASED_MSG = ("A view was created in no_grad mode and its base or another view of its "
                             "base has been modified inplace with grad mode enabled. Given that this "
                             "use case is ambiguous and error-prone, it is forbidden. You can clarify "
                             "your code by moving both the view and the inplace either both inside the "
                             "no_grad block (if you don't want the inplace to be tracked) or both "
                             "outside (if you want the inplace to be tracked).")
_MULTI_TAIL = ("This view is the output of a function that returns multiple views. Such functions do "
               "not allow the output views to be modified inplace. You should replace the inplace "
               "operation by an out-of-place one.")
_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers to a "
                "single memory location. Please clone() the tensor before performing the operation.")


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


def _check_result(x, arr):
    if arr.shape != x._data.shape:
        raise RuntimeError(f"output with shape {list(x._data.shape)} doesn't match the broadcast shape "
                           f"{list(arr.shape)}")
    _check_cast(x, arr.dtype)


def _write(x, arr):
    """Copy `arr` into x's own array (broadcast shapes must equal x's)."""
    _check_result(x, arr)
    if arr is not x._data:
        get_array_module(x._data).copyto(x._data, arr, casting="unsafe")


def _check_overlap(x):
    """PyTorch refuses to write into a tensor whose elements share memory (an expanded view)."""
    a = x._data
    if 0 in a.strides:
        for n, st in zip(a.shape, a.strides):
            if st == 0 and n > 1:
                raise RuntimeError(_OVERLAP_MSG)


def _alias_with_history(x):
    """A new tensor over x's array carrying x's history (the op's input for the old value).

    It shares x's version counter, so anything the op saves that still aliases x's memory (a view
    of the old value) is detected as modified at backward rather than read silently."""
    old = Tensor._make(x._data)
    old._requires_grad, old.grad_fn, old._output_nr = x._requires_grad, x.grad_fn, x._output_nr
    if x._vc is None:
        x._vc = [0]
    old._vc = x._vc
    return old


def _keep_old_value(out, old, x):
    """If the op saved its input (the old value) it must not see the overwrite: give it a copy,
    with a version counter of its own."""
    node = out.grad_fn
    if node is not None and node._saved:
        saved = [s for s in node._saved if s is not None and s.tensor is old]
        if saved:
            old._data = x._data.copy()
            old._vc = [0]
            for s in saved:
                s.vc, s.version = old._vc, 0


def _track_saved_output(out, x):
    """A node that saved its own output now finds that value in x: track x's versions instead."""
    node = out.grad_fn
    if node is not None and node._saved:
        for s in node._saved:
            if s is not None and s.tensor is None and s.data is out._data:
                s.vc, s.version = x._vc, x._vc[0]
                s.data = x._data


def inplace(x, fn, *args, **kwargs):
    """Run `fn(x, *args, **kwargs)` (an out-of-place op) and store the result in `x`."""
    if not isinstance(x, Tensor):
        raise TypeError(f"in-place op expected a Tensor, got {type(x).__name__}")
    _check_overlap(x)
    root = x._base
    is_view = root is not None
    if not is_view:
        root = x
    needs = False
    if _state.enabled:
        if root._requires_grad and root.grad_fn is None:
            raise RuntimeError(_LEAF_VIEW_MSG if is_view else _LEAF_MSG)
        needs = x._requires_grad or root._requires_grad or _any_requires_grad(args, kwargs)
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
    if is_view:
        _check_view_inplace(x)
        return _inplace_on_view(x, root, fn, args, kwargs)
    old = _alias_with_history(x)
    out = fn(old, *args, **kwargs)
    _check_result(x, out._data)
    _keep_old_value(out, old, x)
    _write(x, out._data)
    x._bump()
    x.grad_fn, x._output_nr, x._requires_grad = out.grad_fn, out._output_nr, out._requires_grad
    _track_saved_output(out, x)
    refresh_views(x)
    return x


def _any_requires_grad(args, kwargs):
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    if kwargs:
        for a in kwargs.values():
            if isinstance(a, Tensor) and a._requires_grad:
                return True
    return False


def _check_view_inplace(x):
    meta = x.__dict__.get("_view_meta")
    if meta is None:
        return
    if meta == NO_GRAD_VIEW:
        raise RuntimeError(_NO_GRAD_VIEW_MSG)
    name, i = meta
    raise RuntimeError(f"Output {i} of {name} is a view and is being modified inplace. {_MULTI_TAIL}")


def _inplace_on_view(x, root, fn, args, kwargs):
    """x (a view of root) = fn(x): root's history is rebased through CopySlices, then the views'
    histories are regenerated from root."""
    geom = view_geometry(root._data, x._data)
    old = _alias_with_history(x)
    out = fn(old, *args, **kwargs)
    _check_result(x, out._data)
    _keep_old_value(out, old, x)
    if root._requires_grad or out._requires_grad:
        CopySlices.apply(root, out, geom, x._data)  # writes into x's memory, bumps, rebases root
    else:
        _write(x, out._data)
        x._bump()
    _track_saved_output(out, x)
    _regenerate(x, root, geom)
    refresh_views(root, skip=x)
    return x


def refresh_views(root, skip=None):
    """Regenerate the history of root's live views after root took a new history."""
    for v in live_views(root):
        if v is skip or v._base is not root:
            continue
        meta = v.__dict__.get("_view_meta")
        if meta is not None:
            if meta == NO_GRAD_VIEW:
                msg = _NO_GRAD_VIEW_REBASED_MSG
            else:
                msg = (f"Output {meta[1]} of {meta[0]} is a view and its base or another view of its "
                       f"base has been modified inplace. {_MULTI_TAIL}")
            _poison(v, root, msg)
            continue
        try:
            geom = view_geometry(root._data, v._data)
        except RuntimeError as e:
            _poison(v, root, str(e))
            continue
        _regenerate(v, root, geom)


def _regenerate(v, root, geom):
    r = AsStrided.apply(root, geom, v._data)
    v.grad_fn, v._output_nr, v._requires_grad = r.grad_fn, r._output_nr, r._requires_grad


def _poison(v, root, msg):
    """A view whose history cannot be regenerated: using it in backward raises `msg`."""
    r = _ViewError.apply(root, msg, v._data)
    v.grad_fn, v._output_nr, v._requires_grad = r.grad_fn, r._output_nr, r._requires_grad


# ----------------------------------------------------------------------------------------
# where a view's elements live in its base's memory
# ----------------------------------------------------------------------------------------
def _as_dtype(xp, v, dtype):
    """An array of `dtype` from an array (cast) or a Python scalar."""
    if hasattr(v, "astype") and hasattr(v, "shape"):
        return v.astype(dtype, copy=False)
    return xp.asarray(v, dtype=dtype)


def _ptr(a) -> int:
    d = getattr(a, "data", None)
    p = getattr(d, "ptr", None)  # CuPy's MemoryPointer
    return int(p) if p is not None else int(a.__array_interface__["data"][0])


class ViewGeometry:
    """A view's elements as positions in its base's memory (in elements, memory order).

    The base must be dense with non-negative strides (any dimension order): then its memory is one
    block, `order` lists its dims from the largest stride to the smallest, and an array of the
    base's logical shape maps to memory order by a transpose (free when the base is C-ordered)."""
    __slots__ = ("base_shape", "order", "inv", "mem_shape", "shape", "offset", "strides", "_idx")

    def __init__(self, base_shape, order, offset, shape, strides):
        self.base_shape = tuple(base_shape)
        self.order = tuple(order)
        inv = [0] * len(order)
        for i, d in enumerate(order):
            inv[d] = i
        self.inv = tuple(inv)
        self.mem_shape = tuple(self.base_shape[d] for d in order)
        self.offset, self.shape, self.strides = offset, tuple(shape), tuple(strides)
        self._idx = None

    @property
    def base_numel(self):
        n = 1
        for s in self.base_shape:
            n *= s
        return n

    def idx(self, xp):
        """Memory positions of the view's elements (an int array of the view's shape)."""
        if self._idx is None or get_array_module(self._idx) is not xp:
            nd = len(self.shape)
            pos = xp.full((), self.offset, dtype=xp.int64)
            for d, (n, st) in enumerate(zip(self.shape, self.strides)):
                pos = pos + (xp.arange(n, dtype=xp.int64) * st).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
            self._idx = xp.broadcast_to(pos, self.shape)
        return self._idx

    def to_mem(self, a):
        """A base-shaped array -> a new 1-D array in the base's memory order."""
        xp = get_array_module(a)
        if self.order != tuple(range(len(self.order))):
            a = a.transpose(self.order)
        return xp.array(a, copy=True, order="C").reshape(-1)

    def from_mem(self, flat):
        """A 1-D array in memory order -> an array of the base's logical shape."""
        a = flat.reshape(self.mem_shape)
        if self.order != tuple(range(len(self.order))):
            a = a.transpose(self.inv)
        return a


def view_geometry(base, view) -> ViewGeometry:
    """Where `view` (a raw array into `base`'s memory) sits in `base`; RuntimeError if unaddressable."""
    isz = base.itemsize
    nd = base.ndim
    strides = base.strides
    if any(s < 0 for s in strides) or view.itemsize != isz or any(s < 0 for s in view.strides):
        raise _layout_error(base)
    order = sorted(range(nd), key=lambda d: -strides[d])
    if nd and not base.transpose(order).flags.c_contiguous:
        raise _layout_error(base)
    off_b = _ptr(view) - _ptr(base)
    if off_b % isz or any(s % isz for s in view.strides):
        raise _layout_error(base)
    offset = off_b // isz
    vstr = tuple(s // isz for s in view.strides)
    if view.size:
        last = offset + sum((n - 1) * s for n, s in zip(view.shape, vstr))
        if offset < 0 or last >= base.size:
            raise RuntimeError("tinynn cannot record an in-place operation on this view: its memory is "
                               "no longer inside its base's (the base's data was replaced)")
    return ViewGeometry(base.shape, order, offset, view.shape, vstr)


def _layout_error(base):
    return RuntimeError(f"tinynn cannot record an in-place operation on a view of a tensor whose memory "
                        f"is not dense with non-negative strides (shape {list(base.shape)}, strides "
                        f"{[s // base.itemsize for s in base.strides]}): call .clone() on the base first")


class AsStrided(Function):
    """The view at `geom` of a base-shaped tensor (PyTorch's as_strided, read as a copy)."""
    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, x, geom, data=None):
        ctx.geom = geom
        if data is not None:
            return data  # regenerating a live view's history: its data is already in place
        a = x._data
        xp = get_array_module(a)
        return geom.to_mem(a)[geom.idx(xp)]

    @staticmethod
    def backward(ctx, grad_output):
        return AsStridedScatter.apply(grad_output, ctx.geom), None, None


class AsStridedScatter(Function):
    """zeros(base) with `g` added at the view's positions (overlapping positions accumulate)."""
    node_name = "AsStridedScatterBackward0"

    @staticmethod
    def forward(ctx, g, geom):
        from .index import accumulate_flat  # noqa: PLC0415
        ctx.geom = geom
        a = g._data
        xp = get_array_module(a)
        flat = xp.zeros(geom.base_numel, dtype=a.dtype)
        accumulate_flat(flat, geom.idx(xp).reshape(-1), xp.ascontiguousarray(a).reshape(-1))
        return geom.from_mem(flat)

    @staticmethod
    def backward(ctx, grad_output):
        return AsStrided.apply(grad_output, ctx.geom), None


class CopySlices(Function):
    """base with the view's region replaced by `value`.

    In place (`target`, the view's own array, given): writes into the base's memory and marks the
    base dirty, so the base takes this node as its history. Out of place (in backward): a copy."""
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, value, geom, target=None):
        ctx.geom = geom
        v = value._data if isinstance(value, Tensor) else value
        if target is not None:
            get_array_module(target).copyto(target, v, casting="unsafe")
            ctx.mark_dirty(base)
            return base
        a = base._data
        xp = get_array_module(a)
        flat = geom.to_mem(a)
        idx = geom.idx(xp)
        flat[idx] = xp.broadcast_to(_as_dtype(xp, v, a.dtype), idx.shape)
        return geom.from_mem(flat)

    @staticmethod
    def backward(ctx, grad_output):
        gb = gv = None
        if ctx.needs_input_grad[0]:
            gb = CopySlices.apply(grad_output, 0.0, ctx.geom)  # the region was overwritten
        if ctx.needs_input_grad[1]:
            gv = AsStrided.apply(grad_output, ctx.geom)
        return gb, gv, None, None


class _ViewError(Function):
    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, x, msg, data):
        ctx.msg = msg
        return data

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError(ctx.msg)


def as_strided(input, size, stride, storage_offset=None):
    """input.as_strided(size, stride, storage_offset): a view of the base's memory (read as a copy
    when recorded by autograd). Offsets and strides count elements of the base's memory."""
    from .shape import as_view  # noqa: PLC0415
    root = input if input._base is None else input._base
    a = root._data
    base_geom = view_geometry(a, input._data)
    off = base_geom.offset if storage_offset is None else int(storage_offset)
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    last = off + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else off
    if off < 0 or any(s < 0 for s in stride) or (all(size) and last >= a.size):
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {off} "
                           f"is out of bounds for storage of size {a.size}")
    geom = ViewGeometry(a.shape, base_geom.order, off, size, stride)
    xp = get_array_module(a)
    mem = a.transpose(geom.order) if geom.order != tuple(range(a.ndim)) else a
    flat = mem.reshape(-1)  # a view: the base is dense
    arr = _strided_view(flat, off, size, stride)
    out = AsStrided.apply(root, geom, arr)
    return as_view(out, root)


def _strided_view(flat, off, size, stride):
    from ..backend import as_strided as _as_strided  # noqa: PLC0415
    isz = flat.itemsize
    return _as_strided(flat[off:] if flat.size else flat, tuple(size), tuple(s * isz for s in stride))


# ----------------------------------------------------------------------------------------
# copy_ / fill_ and metadata changes in place
# ----------------------------------------------------------------------------------------
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
            return xp.broadcast_to(_as_dtype(xp, s, a.dtype), a.shape).copy()
        except ValueError:
            raise broadcast_error(a.shape, getattr(s, "shape", ())) from None

    @staticmethod
    def backward(ctx, grad_output):
        g = grad_output
        if ctx.src_dtype is not None and ctx.src_dtype != grad_output.dtype:
            g = g.to(ctx.src_dtype)
        return None, g


def copy_(x, src, non_blocking=False):
    """x.copy_(src): may change dtype (cast) and device (copy across)."""
    return inplace(x, _copy_fn, src)


def _copy_fn(x, src):
    return Copy.apply(x, src)


def fill_(x, value):
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value._data.ndim} dimensions.")
    return inplace(x, _copy_fn, value)


def inplace_view(x, fn, *args):
    """x.unsqueeze_(d), x.t_(), ...: x takes fn(x)'s shape and strides over the same memory, and
    its history when autograd records it."""
    grad_on = _state.enabled
    if grad_on and x._requires_grad and x.grad_fn is None:
        raise RuntimeError(_LEAF_MSG)
    if not (grad_on and x._requires_grad):
        prev = _state.enabled
        _state.enabled = False
        try:
            new = fn(Tensor._make(x._data), *args)
        finally:
            _state.enabled = prev
        x._data = new._data
        x._bump()
        return x
    new = fn(_alias_with_history(x), *args)
    x._data = new._data
    x.grad_fn, x._output_nr = new.grad_fn, new._output_nr
    x._bump()
    return x


def set_data_(x, new):
    """Rebind x to `new`'s array (no history change; prefer inplace_view)."""
    x._data = new._data
    x._bump()
    return x


def set_shape_(x, shape):
    x._data = x._data.reshape(shape)
    x._bump()
    return x


def resize_(x, *sizes):
    from .shape import parse_shape  # noqa: PLC0415
    if _state.enabled and x._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = parse_shape(sizes)
    xp = get_array_module(x._data)
    n = 1
    for s in shape:
        n *= s
    if tuple(shape) == x._data.shape:
        return x
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
    check_tensor("clone", "input", 1, input)
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

