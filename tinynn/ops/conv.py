"""Convolution, pooling, padding and resampling ops: one N-d implementation serves 1-D, 2-D, 3-D.

Convolution is im2col over a strided window view of the (zero-padded) input and one matrix
product per layer and direction, batched over the samples (and groups). The columns are laid out
per sample as (N, G, C/G * prod(kernel), L): the window view's own order, so im2col is a plain
copy, and the products read and write NCHW arrays directly, with no transposing copies:

    forward          y      = W   @ cols          (N, G, O/G, L)  = the (N, O, *out) output
    weight grad      dW     = sum_n g @ cols^T    (G, O/G, C/G*K)
    input grad       dcols  = W^T @ g             (N, G, C/G*K, L), then col2im

(measured on the W2 benchmark CNN against one big GEMM over (C*K, N*L) columns: forward 0.65 ->
0.31 ms for conv1 and 1.78 -> 1.19 ms for conv2, input-gradient product 1.37 -> 0.94 ms, 1 thread).

For stride 1 (the common 3x3 'same' case) col2im takes a faster road: in the flattened zero-padded
frame every kernel tap sits at one constant offset, so the columns add back as K contiguous adds
(see _shift_input_grad).

col2im adds the columns back by strided accumulation: one add per kernel offset (kh*kw slices of
the padded gradient), never np.add.at. The same per-offset slicing drives max/avg pooling.

Double backward: each of the three products is its own Function whose backward is written with the
other two (the gradient of a convolution is a transposed convolution and a weight-gradient
convolution, and so on), so gradients of any order work while every step stays one GEMM.
Pooling works likewise: max pooling's backward is a scatter Function whose backward is a gather,
and average pooling's backward is its adjoint, whose backward is the pooling again.
"""
from __future__ import annotations

import itertools

import numpy as np  # host-side metadata only (index tables, dtype info); math goes through xp

from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_state
from ..backend import array_device, as_strided, get_array_module, is_cuda_array, matmul, scatter_add
from .. import amp as _amp  # autocast: float16 convolutions
from ..tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "avg_pool1d",
           "adaptive_avg_pool1d", "adaptive_max_pool1d", "constant_pad_nd", "pixel_shuffle",
           "pixel_unshuffle"]

_DTYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _tname(a) -> str:
    return _DTYPE_NAMES.get(str(a.dtype), str(a.dtype))


# ===================================================================================== helpers
def _ntuple(v, n: int, name: str, what: str = "convolution") -> tuple:
    """An int or a sequence of n ints -> a tuple of n ints (PyTorch's message otherwise)."""
    if isinstance(v, (bool, np.bool_)):
        v = int(v)
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to "
                           f"match the {what} dimensions, but got {name}={list(v)}")
    return v


def _pad_array(a, pads, value=0):
    """`a` with its last len(pads) dims padded by (lo, hi) pairs, filled with `value`.

    Returns `a` itself when every pad is zero (no copy)."""
    if not any(lo or hi for lo, hi in pads):
        return a
    xp = get_array_module(a)
    lead = a.ndim - len(pads)
    shape = a.shape[:lead] + tuple(s + lo + hi for s, (lo, hi) in zip(a.shape[lead:], pads))
    out = xp.empty(shape, dtype=a.dtype) if value != 0 else xp.zeros(shape, dtype=a.dtype)
    if value != 0:
        out.fill(value)
    out[(Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(a.shape[lead:], pads))] = a
    return out


def _crop(a, pads, sizes):
    """The interior of a padded array (a contiguous copy), inverse of _pad_array."""
    if not any(lo or hi for lo, hi in pads) and tuple(a.shape[a.ndim - len(pads):]) == tuple(sizes):
        return a
    xp = get_array_module(a)
    return xp.ascontiguousarray(a[(Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(sizes, pads))])


def _offset_slices(kernel, stride, dilation, out):
    """For each kernel offset (row-major), the spatial slices picking that tap of every window."""
    res = []
    for offs in itertools.product(*(range(k) for k in kernel)):
        res.append(tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                         for o, d, s, n in zip(offs, dilation, stride, out)))
    return res


def _window_view(xpad, kernel, stride, dilation, out):
    """A strided (N, C, *kernel, *out) view of the windows of a padded (N, C, *S) array (no copy)."""
    st = xpad.strides
    nd = len(kernel)
    shape = tuple(xpad.shape[:2]) + tuple(kernel) + tuple(out)
    strides = tuple(st[:2]) + tuple(st[2 + i] * dilation[i] for i in range(nd)) \
        + tuple(st[2 + i] * stride[i] for i in range(nd))
    return as_strided(xpad, shape, strides)


def _col2im_into(gxpad, cols, kernel, stride, dilation, out):
    """gxpad[windows] += cols: cols viewable as (N, C, *kernel, *out); one strided add per offset."""
    overlap = any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
    lead = (slice(None), slice(None))
    for offs, sl in zip(itertools.product(*(range(k) for k in kernel)),
                        _offset_slices(kernel, stride, dilation, out)):
        src = cols[lead + offs]
        dst = gxpad[lead + sl]
        if overlap:
            dst += src
        else:  # windows do not overlap: every element is written once
            dst[...] = src
    return gxpad


def _conv_out(sizes, kernel, stride, pads, dilation):
    return tuple((s + lo + hi - d * (k - 1) - 1) // st + 1
                 for s, k, st, (lo, hi), d in zip(sizes, kernel, stride, pads, dilation))


def _prod(t) -> int:
    p = 1
    for v in t:
        p *= v
    return p


_TABLES: dict = {}


def _table(like, key, build):
    """A small constant table (indices, divisors, resampling weights) on `like`'s device.

    `build()` makes it on the host; the device copy is kept per (device, key), so a layer called
    again with the same geometry reuses it: on a GPU each host-to-device upload would otherwise be
    a synchronising copy per call. Callers never write into a table."""
    xp = get_array_module(like)
    k = (str(array_device(like)), key)
    t = _TABLES.get(k)
    if t is None:
        host = build()
        t = host if xp is np else xp.asarray(host)
        if len(_TABLES) >= 1024:
            _TABLES.clear()
        _TABLES[k] = t
    return t


# ============================================================================= convolution
def _im2col(xd, groups, kernel, stride, pads, dilation, out):
    """Columns (N, G, C/G*K, L) of the padded input: a copy of the strided window view."""
    xp = get_array_module(xd)
    v = _window_view(_pad_array(xd, pads), kernel, stride, dilation, out)  # (N, C, *K, *out)
    N, C = xd.shape[:2]
    return xp.ascontiguousarray(v).reshape(N, groups, (C // groups) * _prod(kernel), _prod(out))


def _per_group(gd, groups):
    """An output-shaped (N, O, *out) array viewed as (N, G, O/G, L) (no copy when contiguous)."""
    N, O = gd.shape[:2]
    return gd.reshape(N, groups, O // groups, _prod(gd.shape[2:]))


# ------------------------------------------------------------ stride 1: col2im by shifts
def _shift_geometry(x_shape, kernel, stride, pads, dilation):
    """(padded sizes, output sizes, flat offset of each tap) for a stride-1 convolution whose
    padded frame is at most 1.5x its output; None otherwise (see _shift_input_grad)."""
    if any(s != 1 for s in stride) or 0 in x_shape:
        return None
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x_shape[2:], pads))
    out = tuple(p - d * (k - 1) for p, k, d in zip(padded, kernel, dilation))
    if any(o <= 0 for o in out) or _prod(padded) > 1.5 * _prod(out):
        return None
    steps = [_prod(padded[i + 1:]) for i in range(len(padded))]
    shifts = tuple(sum(o * d * st for o, d, st in zip(offs, dilation, steps))
                   for offs in itertools.product(*(range(k) for k in kernel)))
    return padded, out, shifts


def _shift_input_grad(gd, wd, x_shape, pads, groups, geo):
    """The input gradient of a stride-1 convolution, col2im done as K contiguous adds.

    With the output gradient placed in the zero-padded input frame (zero outside the output
    positions), the columns W^T @ g cover the whole frame, and in the flattened (c, n, *padded)
    array every kernel tap adds its column block at one constant offset. NumPy's strided 4-D adds
    of the general col2im cost 6x more per element: W2's conv2 input gradient 3.3 -> 2.2 ms. The
    frame is channel-major so that the product is one GEMM over all samples (per-sample GEMMs
    ran 64 small multi-threaded BLAS calls: 100x slower with 2 threads on a busy machine)."""
    padded, out, shifts = geo
    xp = get_array_module(gd)
    N, C = x_shape[:2]
    O = wd.shape[0]
    cg, og, K, P = C // groups, O // groups, len(shifts), _prod(padded)
    nd = len(padded)
    gf = xp.zeros((groups, og, N) + tuple(padded), dtype=gd.dtype)
    gf[(slice(None),) * 3 + tuple(slice(0, o) for o in out)] = gd.reshape(
        (N, groups, og) + tuple(out)).transpose((1, 2, 0) + tuple(range(3, 3 + nd)))
    wt = wd.reshape(groups, og, cg, K).transpose(0, 3, 2, 1).reshape(groups, K * cg, og)
    gcols = matmul(wt, gf.reshape(groups, og, N * P))  # (G, K * C/G, N * P), rows (tap, channel)
    gcols = gcols.reshape(groups, K, cg * N * P)
    n = cg * N * P
    flat = xp.empty((groups, n + shifts[-1]), dtype=gcols.dtype)
    flat[:, :n] = gcols[:, 0]  # tap 0 has offset 0
    flat[:, n:] = 0
    for t in range(1, K):
        flat[:, shifts[t]:shifts[t] + n] += gcols[:, t]
    inner = flat[:, :n].reshape((groups, cg, N) + tuple(padded))[
        (slice(None),) * 3 + tuple(slice(lo, lo + s) for s, (lo, _) in zip(x_shape[2:], pads))]
    res = xp.empty(x_shape, dtype=flat.dtype)
    res.reshape((N, groups, cg) + tuple(x_shape[2:]))[...] = inner.transpose(
        (2, 0, 1) + tuple(range(3, 3 + nd)))
    return res


# ------------------------------------------------------------ any stride
def _conv_forward(xd, wd, bd, stride, pads, dilation, groups):
    """y = conv(x, w) + b on raw arrays; also returns the columns (kept for the weight grad)."""
    xp = get_array_module(xd)
    N = xd.shape[0]
    O = wd.shape[0]
    kernel = wd.shape[2:]
    out = _conv_out(xd.shape[2:], kernel, stride, pads, dilation)
    cols = _im2col(xd, groups, kernel, stride, pads, dilation, out)
    bias = bd.reshape(groups, O // groups, 1) if bd is not None else None  # added by the GEMM
    y = matmul(wd.reshape(groups, O // groups, -1), cols, bias)  # (N, G, O/G, L): NCHW already
    return y.reshape((N, O) + out), cols


def _conv_input_grad(gd, wd, x_shape, stride, pads, dilation, groups):
    """The transposed convolution: col2im(W^T @ g) into an x-shaped array."""
    xp = get_array_module(gd)
    O = wd.shape[0]
    kernel = wd.shape[2:]
    geo = _shift_geometry(x_shape, kernel, stride, pads, dilation)
    if geo is not None:
        return _shift_input_grad(gd, wd, x_shape, pads, groups, geo)
    out = gd.shape[2:]
    N, C = x_shape[:2]
    w3 = wd.reshape(groups, O // groups, -1)
    gcols = matmul(w3.transpose(0, 2, 1), _per_group(gd, groups))  # (N, G, C/G*K, L)
    gcols = gcols.reshape((N, C) + tuple(kernel) + tuple(out))
    padded = (N, C) + tuple(s + lo + hi for s, (lo, hi) in zip(x_shape[2:], pads))
    gxpad = xp.zeros(padded, dtype=gcols.dtype)
    _col2im_into(gxpad, gcols, kernel, stride, dilation, out)
    return _crop(gxpad, pads, x_shape[2:])


def _wgrad_by_rows(cg, kernel) -> bool:
    """Whether the weight gradient is one GEMM over all samples and positions (columns laid out
    (G, C/G*K, N*L), im2col redone in backward) rather than per-sample products summed over the
    batch (with the forward's columns). One GEMM wins unless C/G*K is tiny: W2's conv2 (144 rows)
    3.2 -> 2.4 ms with the extra im2col, conv1 (9 rows) 0.24 -> 0.85 ms."""
    return cg * _prod(kernel) >= 32


def _conv_weight_grad(xd, gd, w_shape, stride, pads, dilation, groups, cols=None):
    """dW = g @ cols^T summed over samples and positions."""
    xp = get_array_module(gd)
    kernel, out = tuple(w_shape[2:]), tuple(gd.shape[2:])
    if _wgrad_by_rows(w_shape[1], kernel):
        v = _window_view(_pad_array(xd, pads), kernel, stride, dilation, out)  # (N, C, *K, *out)
        nd = len(kernel)
        v = v.transpose((1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd)))
        rows = xp.ascontiguousarray(v).reshape(groups, w_shape[1] * _prod(kernel), -1)
        N, O = gd.shape[:2]
        gT = xp.ascontiguousarray(gd.reshape(N, O, -1).swapaxes(0, 1)).reshape(groups, O // groups, -1)
        return matmul(rows, gT.swapaxes(1, 2)).swapaxes(1, 2).reshape(w_shape)  # (G, C/G*K, O/G)
    if cols is None:
        cols = _im2col(xd, groups, kernel, stride, pads, dilation, out)
    prod = matmul(_per_group(gd, groups), cols.swapaxes(-1, -2))  # (N, G, O/G, C/G*K)
    return prod.sum(axis=0).reshape(w_shape)


def _sum_bias(g, nd):
    """Bias gradient: the output gradient summed over batch and positions."""
    return g.sum(dim=(0,) + tuple(range(2, 2 + nd)))


class _ConvNd(Function):
    """y = conv(x, w) + b. Backward: a transposed conv for x, a weight-grad conv for w."""
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups):
        ctx.conf = (stride, pads, dilation, groups)
        y, cols = _conv_forward(x._data, w._data, None if b is None else b._data, stride, pads,
                                dilation, groups)
        needs = getattr(ctx, "needs_input_grad", None)
        if needs is not None:
            # the columns are the weight gradient's other operand: keep them rather than redo im2col
            # (unless that gradient is computed from columns laid out for one GEMM)
            keep = needs[1] and not _wgrad_by_rows(w.shape[1], tuple(w.shape[2:]))
            ctx.save_for_backward(x, w, Tensor._make(cols) if keep else None)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, w, cols = ctx.saved_tensors
        stride, pads, dilation, groups = ctx.conf
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if needs[0]:
            gx = _ConvTransposeNd.apply(grad_output, w, None, tuple(x.shape), stride, pads, dilation,
                                        groups)
        if needs[1]:
            gw = _ConvWeightGrad.apply(x, grad_output, tuple(w.shape), stride, pads, dilation, groups,
                                       cols=None if cols is None else cols._data)
        if needs[2]:
            if _grad_state.enabled:
                gb = _sum_bias(grad_output, len(stride))
            else:  # contiguous row sums over positions, then over the batch
                gd = grad_output._data
                gb = Tensor._make(gd.reshape(gd.shape[0], gd.shape[1], -1).sum(2).sum(0))
        return gx, gw, gb, None, None, None, None


class _ConvTransposeNd(Function):
    """Transposed convolution (the input gradient of _ConvNd): x-shaped col2im(W^T @ g)."""
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, g, w, b, x_shape, stride, pads, dilation, groups):
        ctx.conf = (x_shape, stride, pads, dilation, groups)
        res = _conv_input_grad(g._data, w._data, x_shape, stride, pads, dilation, groups)
        if b is not None:
            res += b._data.reshape((1, -1) + (1,) * (len(x_shape) - 2))
        ctx.save_for_backward(g, w)
        return res

    @staticmethod
    def backward(ctx, grad_output):
        g, w = ctx.saved_tensors
        x_shape, stride, pads, dilation, groups = ctx.conf
        needs = ctx.needs_input_grad
        dg = dw = db = None
        if needs[0]:
            dg = _ConvNd.apply(grad_output, w, None, stride, pads, dilation, groups)
        if needs[1]:
            dw = _ConvWeightGrad.apply(grad_output, g, tuple(w.shape), stride, pads, dilation, groups)
        if needs[2]:
            db = _sum_bias(grad_output, len(stride))
        return dg, dw, db, None, None, None, None, None


class _ConvWeightGrad(Function):
    """dW of a convolution from its input x and output gradient g (one GEMM)."""
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, g, w_shape, stride, pads, dilation, groups, cols=None):
        ctx.conf = (stride, pads, dilation, groups)
        ctx.save_for_backward(x, g)
        return _conv_weight_grad(x._data, g._data, w_shape, stride, pads, dilation, groups, cols)

    @staticmethod
    def backward(ctx, grad_output):
        x, g = ctx.saved_tensors
        stride, pads, dilation, groups = ctx.conf
        needs = ctx.needs_input_grad
        dx = dg = None
        if needs[0]:
            dx = _ConvTransposeNd.apply(g, grad_output, None, tuple(x.shape), stride, pads, dilation,
                                        groups)
        if needs[1]:
            dg = _ConvNd.apply(x, grad_output, None, stride, pads, dilation, groups)
        return dx, dg, None, None, None, None, None


def _check_conv_args(input, weight, bias, nd, name, groups, transposed=False):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{name}() argument 'input' and 'weight' must be Tensors, not "
                        f"{type(input).__name__} and {type(weight).__name__}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but "
                           f"got input of size: {list(input.shape)}")
    if weight.dim() != nd + 2:
        if weight.dim() < 3:
            raise RuntimeError("weight should have at least three dimensions")
        if nd > 1:  # PyTorch checks the stride list (nd values) against the weight first
            raise RuntimeError(f"expected stride to be a single integer value or a list of "
                               f"{weight.dim() - 2} values to match the convolution dimensions, but got "
                               f"stride={[1] * nd}")
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional "
                           f"weight {list(weight.shape)}, but got {input.dim()}-dimensional input of "
                           f"size {list(input.shape)} instead")
    xdt, wdt = input._data.dtype, weight._data.dtype
    if xdt != wdt:
        if {str(xdt), str(wdt)} <= {"float32", "float64"}:
            raise RuntimeError(f"expected scalar type {_tname(input._data)} but found "
                               f"{_tname(weight._data)}")
        raise RuntimeError(f"Input type (tinynn.{_tname(input._data)}Tensor) and weight type "
                           f"(tinynn.{_tname(weight._data)}Tensor) should be the same")
    if bias is not None and bias._data.dtype != xdt:
        raise RuntimeError(f"Input type ({_tname(input._data).lower()}) and bias type "
                           f"({_tname(bias._data).lower()}) should be the same")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    out_ch = weight.shape[0]
    if out_ch % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size [{list(weight.shape)}] instead")


def _batchify(input, nd):
    """(C, *S) -> (1, C, *S); returns the tensor and whether to squeeze the result again."""
    if input.dim() == nd + 1:
        return input.unsqueeze(0), True
    return input, False


def _conv_padding(padding, x_sizes, kernel, stride, dilation, nd):
    """PyTorch's padding argument (int, tuple, 'same', 'valid') -> (lo, hi) pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                lo = total // 2
                pads.append((lo, total - lo))
            return tuple(pads)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    p = _ntuple(padding, nd, "padding")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    return tuple((v, v) for v in p)


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd, name):
    _check_conv_args(input, weight, bias, nd, name, groups)
    if _amp.state.on:
        input, weight, bias = _amp.lowp(input, weight, bias)
    x, squeeze = _batchify(input, nd)
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    kernel = tuple(weight.shape[2:])
    pads = _conv_padding(padding, tuple(x.shape[2:]), kernel, stride, dilation, nd)
    C = x.shape[1]
    if weight.shape[1] * groups != C:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {weight.shape[1] * groups} channels, but got "
                           f"{C} channels instead")
    padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads)]
    eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater "
                           "than actual input size")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
                           f"with {weight.shape[0]} elements, but got bias of size {list(bias.shape)} "
                           "instead")
    y = _ConvNd.apply(x, weight, bias, stride, pads, dilation, int(groups))
    return y.squeeze(0) if squeeze else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) or (C, L)."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) or (C, H, W)."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W)."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, name):
    _check_conv_args(input, weight, bias, nd, name, groups, transposed=True)
    if _amp.state.on:
        input, weight, bias = _amp.lowp(input, weight, bias)
    x, squeeze = _batchify(input, nd)
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        raise RuntimeError(f"{name}: padding must be an int or a tuple for transposed convolution, "
                           f"got '{padding}'")
    padding = _ntuple(padding, nd, "padding")
    output_padding = _ntuple(output_padding, nd, "output_padding")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(v < 0 for v in padding):
        raise RuntimeError("negative padding is not supported")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            names = ("height", "width") if nd == 2 else ("depth", "height", "width")[3 - nd:]
            got = " ".join(f"output_padding_{n}: {v}" for n, v in zip(names, output_padding))
            got += " " + " ".join(f"stride_{n}: {v}" for n, v in zip(names, stride))
            got += " " + " ".join(f"dilation_{n}: {v}" for n, v in zip(names, dilation))
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"{got}")
    C_in = x.shape[1]
    if weight.shape[0] != C_in:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {weight.shape[0]} channels, but got {C_in} channels "
                           "instead")
    kernel = tuple(weight.shape[2:])
    C_out = weight.shape[1] * groups
    sizes = tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1
                  for s, st, p, d, k, op in zip(x.shape[2:], stride, padding, dilation, kernel,
                                                output_padding))
    if any(s <= 0 for s in sizes):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, x.shape[2:]))}). "
                           f"Calculated output size per channel: ({' x '.join(map(str, sizes))}). "
                           "Output size is too small")
    if bias is not None and tuple(bias.shape) != (C_out,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to "
                           f"be 1-dimensional with {C_out} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    pads = tuple((p, p) for p in padding)
    y = _ConvTransposeNd.apply(x, weight, bias, (x.shape[0], C_out) + sizes, stride, pads, dilation,
                               int(groups))
    return y.squeeze(0) if squeeze else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution (the gradient of conv1d with respect to its input)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                             "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution (the gradient of conv2d with respect to its input)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                             "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-D transposed convolution."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                             "conv_transpose3d")


# ===================================================================== unfold / fold (im2col)
class _Im2Col(Function):
    """F.unfold: (N, C, *S) -> (N, C*K, L) sliding-window columns."""
    node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, kernel, dilation, pads, stride):
        xd = x._data
        xp = get_array_module(xd)
        out = _conv_out(xd.shape[2:], kernel, stride, pads, dilation)
        ctx.conf = (tuple(xd.shape[2:]), kernel, dilation, pads, stride)
        v = _window_view(_pad_array(xd, pads), kernel, stride, dilation, out)
        N, C = xd.shape[:2]
        return xp.ascontiguousarray(v).reshape(N, C * _prod(kernel), _prod(out))

    @staticmethod
    def backward(ctx, grad_output):
        sizes, kernel, dilation, pads, stride = ctx.conf
        return _Col2Im.apply(grad_output, sizes, kernel, dilation, pads, stride), None, None, None, None


class _Col2Im(Function):
    """F.fold: (N, C*K, L) columns summed back into (N, C, *S)."""
    node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, sizes, kernel, dilation, pads, stride):
        cd = cols._data
        xp = get_array_module(cd)
        out = _conv_out(sizes, kernel, stride, pads, dilation)
        ctx.conf = (sizes, kernel, dilation, pads, stride)
        N = cd.shape[0]
        K = _prod(kernel)
        C = cd.shape[1] // K
        padded = (N, C) + tuple(s + lo + hi for s, (lo, hi) in zip(sizes, pads))
        gxpad = xp.zeros(padded, dtype=cd.dtype)
        _col2im_into(gxpad, cd.reshape((N, C) + tuple(kernel) + tuple(out)), kernel, stride, dilation,
                     out)
        return _crop(gxpad, pads, sizes)

    @staticmethod
    def backward(ctx, grad_output):
        sizes, kernel, dilation, pads, stride = ctx.conf
        return _Im2Col.apply(grad_output, kernel, dilation, pads, stride), None, None, None, None, None


def _im2col_op(input, kernel_size, dilation=1, padding=0, stride=1):
    nd = input.dim() - 2
    kernel = _ntuple(kernel_size, nd, "kernel_size")
    dilation = _ntuple(dilation, nd, "dilation")
    padding = _ntuple(padding, nd, "padding")
    stride = _ntuple(stride, nd, "stride")
    return _Im2Col.apply(input, kernel, dilation, tuple((p, p) for p in padding), stride)


def _col2im_op(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    nd = len(output_size) if not isinstance(output_size, int) else 2
    sizes = _ntuple(output_size, nd, "output_size")
    kernel = _ntuple(kernel_size, nd, "kernel_size")
    dilation = _ntuple(dilation, nd, "dilation")
    padding = _ntuple(padding, nd, "padding")
    stride = _ntuple(stride, nd, "stride")
    pads = tuple((p, p) for p in padding)
    K = _prod(kernel)
    if input.shape[1] % K != 0:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={input.shape[1]} and "
                           f"kernel_size={kernel}.")
    out = _conv_out(sizes, kernel, stride, pads, dilation)
    if _prod(out) != input.shape[2]:
        raise RuntimeError(f"Given output_size={sizes}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {' * '.join(map(str, out))} = "
                           f"{_prod(out)}, but got input.size(2)={input.shape[2]}.")
    return _Col2Im.apply(input, sizes, kernel, dilation, pads, stride)


# ==================================================================================== pooling
def _pool_out(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size (with its ceil_mode rule: the last window must start inside)."""
    num = size + 2 * p - d * (k - 1) - 1 + ((s - 1) if ceil_mode else 0)
    o = num // s + 1 if num >= 0 else 0
    if ceil_mode and o > 0 and (o - 1) * s >= size + p:
        o -= 1
    return o


def _pool_pads(sizes, kernel, stride, padding, dilation, out):
    """(lo, hi) pads reaching every window: `padding` on the left, as much as needed on the right."""
    pads = []
    for s, k, st, p, d, o in zip(sizes, kernel, stride, padding, dilation, out):
        need = (o - 1) * st + d * (k - 1) + 1 if o > 0 else 0
        pads.append((p, max(need - s - p, 0)))
    return tuple(pads)


_WORDS = {1: "one int", 2: "two ints", 3: "three ints"}


def _pool_tuple(v, nd, name, what, omit=False):
    """PyTorch's pooling argument check: an int or a tuple of nd ints."""
    if isinstance(v, (bool, np.bool_)):
        v = int(v)
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        how = "either be omitted, a single int" if omit else "either be a single int"
        if what == "dilation":
            how = "be either a single int"
        raise RuntimeError(f"{name}: {what} must {how}, or a tuple of {_WORDS[nd]}")
    return v


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, nd, name):
    """Kernel, stride, padding, dilation, input and output sizes, with PyTorch's checks."""
    kernel = _pool_tuple(kernel_size, nd, name, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _pool_tuple(stride, nd, name, "stride", omit=True)
    padding = _pool_tuple(padding, nd, name, "padding")
    dilation = _pool_tuple(dilation, nd, name, "dilation")
    one_d_max = nd == 1 and name.startswith("max")
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in kernel):
        if one_d_max:
            raise RuntimeError(f"{name}() kernel_size must be greater than zero, but got {kernel[0]}")
        raise RuntimeError("kernel size should be greater than zero, but got "
                           + " ".join(f"k{'DHW'[3 - nd + i]}: {k}" for i, k in enumerate(kernel)))
    if any(s < 0 for s in stride):
        raise RuntimeError(f"{name}: stride must be greater than zero")
    if any(d <= 0 for d in dilation):
        if one_d_max:
            raise RuntimeError(f"{name}() dilation must be greater than zero, but got {dilation[0]}")
        raise RuntimeError("dilation should be greater than zero, but got "
                           + " ".join(f"dilation{'DHW'[3 - nd + i]}: {d}" for i, d in enumerate(dilation)))
    for k, p, d in zip(kernel, padding, dilation):
        if one_d_max and (p < 0 or p > k // 2):
            raise RuntimeError(f"{name}() padding should be at most half of kernel size, but got "
                               f"padding={p} and kernel_size={k}")
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    sizes = tuple(x.shape[x.dim() - nd:])
    out = tuple(_pool_out(s, k, st, p, d, ceil_mode)
                for s, k, st, p, d in zip(sizes, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out):
        if one_d_max:
            raise RuntimeError(f"{name}() Invalid computed output size: {out[0]}")
        lead = x.shape[x.dim() - nd - 1] if x.dim() > nd else 1
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (lead,) + sizes))}). Calculated "
                           f"output size: ({'x'.join(map(str, (lead,) + out))}). Output size is too small")
    return kernel, stride, padding, dilation, sizes, out


def _pool_input_check(input, nd, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    dim = input.dim()
    if dim not in (nd + 1, nd + 2):
        if name.startswith("adaptive"):
            raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                               f"{list(input.shape)}")
        if name.startswith("avg") and nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {dim}-dimensional tensor for "
                               f"argument #1 'self' (while checking arguments for {name})")
        if dim < nd + 1 or name.startswith("avg"):
            raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}" if nd == 1 else
                           f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(input.shape)}")
    if any(s == 0 for s in input.shape[dim - nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(input.shape)}")


def _lowest(dtype):
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


class _MaxPoolBase(Function):
    """Max over each window; the tap index of the (first) max is kept for backward."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, dilation, out, want_index):
        xd = x._data
        xp = get_array_module(xd)
        xpad = _pad_array(xd, pads, _lowest(xd.dtype))
        slices = _offset_slices(kernel, stride, dilation, out)
        lead = (Ellipsis,)
        m = xpad[lead + slices[0]].copy()
        for sl in slices[1:]:
            xp.maximum(m, xpad[lead + sl], out=m)  # NaN propagates, as in PyTorch
        needs = getattr(ctx, "needs_input_grad", None)
        ctx.conf = (tuple(xd.shape), kernel, stride, pads, dilation, out)
        if not want_index and not needs:
            return m, None
        # tap of the first maximum, with bool/int8 arithmetic only: masked copies (copyto(where=),
        # where) cost 5x more here (0.59 ms against 3.3 ms for a 64x16x28x28 2x2 pool)
        K = len(slices)
        kdt = np.int8 if K <= 127 else np.int32
        kidx = xp.zeros(m.shape, dtype=kdt)
        found = xp.zeros(m.shape, dtype=bool)
        eq = xp.empty(m.shape, dtype=bool)
        new = xp.empty(m.shape, dtype=bool)
        tmp = xp.empty(m.shape, dtype=kdt)
        for o in range(K):
            if o < K - 1:
                xp.equal(xpad[lead + slices[o]], m, out=eq)
                xp.greater(eq, found, out=new)  # eq and not found before
                xp.logical_or(found, new, out=found)
            else:
                xp.logical_not(found, out=new)
            if o:
                xp.multiply(new.view(np.int8), kdt(o), out=tmp)
                kidx += tmp
        kt = Tensor._make(kidx)
        if needs:
            ctx.save_for_backward(kt)
        return m, kt

    @staticmethod
    def backward(ctx, grad_output, _grad_index=None):
        (kidx,) = ctx.saved_tensors
        x_shape, kernel, stride, pads, dilation, out = ctx.conf
        gx = _MaxPoolScatter.apply(grad_output, kidx, x_shape, kernel, stride, pads, dilation, out)
        return gx, None, None, None, None, None, None


_MAXPOOL = {nd: type(f"_MaxPool{nd}d", (_MaxPoolBase,),
                     {"node_name": f"MaxPool{nd}DWithIndicesBackward0", "__module__": __name__})
            for nd in (1, 2, 3)}


class _MaxPoolScatter(Function):
    """Route each output gradient to its window's argmax tap (x-shaped result)."""
    node_name = "MaxPoolBackward0"

    @staticmethod
    def forward(ctx, g, kidx, x_shape, kernel, stride, pads, dilation, out):
        gd, kd = g._data, kidx._data
        xp = get_array_module(gd)
        ctx.conf = (x_shape, kernel, stride, pads, dilation, out)
        ctx.save_for_backward(kidx)
        nd = len(kernel)
        padded = tuple(x_shape[:len(x_shape) - nd]) + tuple(
            s + lo + hi for s, (lo, hi) in zip(x_shape[len(x_shape) - nd:], pads))
        overlap = any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
        # windows that tile the padded input exactly write every element once: no zero fill
        tiles = all(s == k and d == 1 and o * k == p for k, s, d, o, p in
                    zip(kernel, stride, dilation, out, padded[len(padded) - nd:]))
        gxpad = xp.empty(padded, dtype=gd.dtype) if tiles else xp.zeros(padded, dtype=gd.dtype)
        hit = xp.empty(kd.shape, dtype=bool)
        for o, sl in enumerate(_offset_slices(kernel, stride, dilation, out)):
            xp.equal(kd, o, out=hit)
            dst = gxpad[(Ellipsis,) + sl]
            if overlap:
                dst += gd * hit
            else:  # windows tile: each input element receives from at most one window
                xp.multiply(gd, hit, out=dst)
        return _crop(gxpad, pads, x_shape[len(x_shape) - nd:])

    @staticmethod
    def backward(ctx, grad_output):
        (kidx,) = ctx.saved_tensors
        x_shape, kernel, stride, pads, dilation, out = ctx.conf
        return (_MaxPoolGather.apply(grad_output, kidx, x_shape, kernel, stride, pads, dilation, out),
                None, None, None, None, None, None, None)


class _MaxPoolGather(Function):
    """Pick, for each window, the value at its argmax tap (the adjoint of _MaxPoolScatter)."""
    node_name = "MaxPoolBackwardBackward0"

    @staticmethod
    def forward(ctx, gg, kidx, x_shape, kernel, stride, pads, dilation, out):
        gd, kd = gg._data, kidx._data
        xp = get_array_module(gd)
        ctx.conf = (x_shape, kernel, stride, pads, dilation, out)
        ctx.save_for_backward(kidx)
        gpad = _pad_array(gd, pads, 0)
        res = xp.zeros(kd.shape, dtype=gd.dtype)
        hit = xp.empty(kd.shape, dtype=bool)
        for o, sl in enumerate(_offset_slices(kernel, stride, dilation, out)):
            xp.equal(kd, o, out=hit)
            xp.copyto(res, gpad[(Ellipsis,) + sl], where=hit)
        return res

    @staticmethod
    def backward(ctx, grad_output):
        (kidx,) = ctx.saved_tensors
        x_shape, kernel, stride, pads, dilation, out = ctx.conf
        return (_MaxPoolScatter.apply(grad_output, kidx, x_shape, kernel, stride, pads, dilation, out),
                None, None, None, None, None, None, None)


def _flat_indices(kidx, sizes, kernel, stride, padding, dilation):
    """PyTorch's returned indices: flat positions in the (unpadded) input plane, as int64."""
    xp = get_array_module(kidx)
    nd = len(kernel)
    out = kidx.shape[kidx.ndim - nd:]
    taps = _table(kidx, ("taps", tuple(kernel)), lambda: np.array(
        list(itertools.product(*(range(k) for k in kernel))), dtype=np.int64))  # (K, nd)
    flat = None
    for i in range(nd):
        tap_i = taps[:, i][kidx.astype(np.int64)]  # tap offset along dim i
        base = xp.arange(out[i], dtype=np.int64) * stride[i] - padding[i]
        base = base.reshape((out[i],) + (1,) * (nd - 1 - i))
        pos = base + tap_i * dilation[i]
        flat = pos if flat is None else flat * sizes[i] + pos
    return flat


def _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, name):
    _pool_input_check(input, nd, name)
    kernel, stride, padding, dilation, sizes, out = _pool_geometry(
        input, kernel_size, stride, padding, dilation, ceil_mode, nd, name)
    pads = _pool_pads(sizes, kernel, stride, padding, dilation, out)
    y, kidx = _MAXPOOL[nd].apply(input, kernel, stride, pads, dilation, out, bool(return_indices))
    if return_indices:
        return y, Tensor._make(_flat_indices(kidx._data, sizes, kernel, stride, padding, dilation))
    return y


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L)."""
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1,
                       "max_pool1d")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over (N, C, H, W) or (C, H, W)."""
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2,
                       "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W)."""
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3,
                       "max_pool3d")


# ----------------------------------------------------------------------------- average pooling
def _avg_divisor(like, dtype, sizes, kernel, stride, padding, out, count_include_pad, divisor_override):
    """Per-window divisor as PyTorch computes it: a scalar, or an array over the output positions."""
    if divisor_override:
        return float(divisor_override)
    incl, excl = [], []
    uniform = True
    for s, k, st, p, o in zip(sizes, kernel, stride, padding, out):
        start = np.arange(o) * st - p
        end = np.minimum(start + k, s + p)
        size_incl = end - start
        start_c = np.maximum(start, 0)
        end_c = np.minimum(end, s)
        size_excl = end_c - start_c
        incl.append(size_incl)
        excl.append(size_excl)
        sel = size_incl if count_include_pad else size_excl
        uniform = uniform and bool(np.all(sel == k))
    if uniform:
        return float(_prod(kernel))
    def build():
        div = None
        for i, v in enumerate(incl if count_include_pad else excl):
            v = v.reshape((-1,) + (1,) * (len(sizes) - 1 - i)).astype(np.float64)
            div = v if div is None else div * v
        return div.astype(dtype)

    return _table(like, ("avgdiv", sizes, kernel, stride, padding, out, bool(count_include_pad),
                         str(dtype)), build)


class _AvgPoolBase(Function):
    """Mean over each window: the sum of the kernel taps divided by PyTorch's divisor."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, out, divisor):
        xd = x._data
        xp = get_array_module(xd)
        ctx.conf = (tuple(xd.shape), kernel, stride, pads, out, divisor)
        xpad = _pad_array(xd, pads, 0)
        slices = _offset_slices(kernel, stride, (1,) * len(kernel), out)
        acc = xpad[(Ellipsis,) + slices[0]].copy()
        for sl in slices[1:]:
            acc += xpad[(Ellipsis,) + sl]
        acc /= divisor
        return acc

    @staticmethod
    def backward(ctx, grad_output):
        x_shape, kernel, stride, pads, out, divisor = ctx.conf
        return (_AvgPoolAdjoint.apply(grad_output, x_shape, kernel, stride, pads, out, divisor),
                None, None, None, None, None)


_AVGPOOL = {nd: type(f"_AvgPool{nd}d", (_AvgPoolBase,),
                     {"node_name": f"AvgPool{nd}DBackward0", "__module__": __name__})
            for nd in (1, 2, 3)}


class _AvgPoolAdjoint(Function):
    """Spread each output gradient / divisor over its window (the adjoint of average pooling)."""
    node_name = "AvgPoolBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x_shape, kernel, stride, pads, out, divisor):
        gd = g._data
        xp = get_array_module(gd)
        nd = len(kernel)
        ctx.conf = (nd, kernel, stride, pads, out, divisor)
        padded = tuple(x_shape[:len(x_shape) - nd]) + tuple(
            s + lo + hi for s, (lo, hi) in zip(x_shape[len(x_shape) - nd:], pads))
        tiles = all(s == k and o * k == p for k, s, o, p in
                    zip(kernel, stride, out, padded[len(padded) - nd:]))
        gxpad = xp.empty(padded, dtype=gd.dtype) if tiles else xp.zeros(padded, dtype=gd.dtype)
        gdiv = gd / divisor
        overlap = any(s < k for k, s in zip(kernel, stride))
        for sl in _offset_slices(kernel, stride, (1,) * nd, out):
            dst = gxpad[(Ellipsis,) + sl]
            if overlap:
                dst += gdiv
            else:
                dst[...] = gdiv
        return _crop(gxpad, pads, x_shape[len(x_shape) - nd:])

    @staticmethod
    def backward(ctx, grad_output):
        nd, kernel, stride, pads, out, divisor = ctx.conf
        return (_AVGPOOL[nd].apply(grad_output, kernel, stride, pads, out, divisor),
                None, None, None, None, None, None)


def _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                nd, name):
    _pool_input_check(input, nd, name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    kernel, stride, padding, _, sizes, out = _pool_geometry(input, kernel_size, stride, padding, 1,
                                                            ceil_mode, nd, name)
    pads = _pool_pads(sizes, kernel, stride, padding, (1,) * nd, out)
    divisor = _avg_divisor(input._data, input._data.dtype, sizes, kernel, stride, padding, out,
                           count_include_pad, divisor_override)
    return _AVGPOOL[nd].apply(input, kernel, stride, pads, out, divisor)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L)."""
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1,
                       "avg_pool1d")


def _avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                divisor_override=None):
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, 2, "avg_pool2d")


def _avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                divisor_override=None):
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, 3, "avg_pool3d")


# ---------------------------------------------------------------------------- adaptive pooling
def _adaptive_bounds(size, out):
    """PyTorch's adaptive windows: start = floor(i*S/O), end = ceil((i+1)*S/O)."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    return start, end


def _adaptive_sizes(output_size, sizes, nd, name):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        if name.startswith("adaptive_avg"):
            raise RuntimeError(f"{name}: output_size must be {nd}")
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nd}")
    return tuple(s if o is None else int(o) for o, s in zip(output_size, sizes))


class _AdaptiveMatrixPool(Function):
    """Adaptive average pooling along the last nd dims as products with averaging matrices."""
    node_name = "AdaptiveAvgPoolBackward0"

    @staticmethod
    def forward(ctx, x, mats, transpose=False):
        ctx.mats = mats
        ctx.transpose = transpose
        a = x._data
        xp = get_array_module(a)
        nd = len(mats)
        for i, A in enumerate(mats):  # A: (out, in); contract dim -nd+i
            A = A.T if transpose else A
            ax = a.ndim - nd + i
            a = xp.moveaxis(xp.tensordot(a, A, axes=([ax], [1])), -1, ax)
        return xp.ascontiguousarray(a)

    @staticmethod
    def backward(ctx, grad_output):
        return _AdaptiveMatrixPool.apply(grad_output, ctx.mats, not ctx.transpose), None, None


class _AdaptiveAvgPool2d(_AdaptiveMatrixPool):
    node_name = "AdaptiveAvgPool2DBackward0"


def _adaptive_avg_poolnd(input, output_size, nd, name):
    _pool_input_check(input, nd, name)
    sizes = tuple(input.shape[input.dim() - nd:])
    out = _adaptive_sizes(output_size, sizes, nd, name)
    if any(o < 0 for o in out):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{', '.join(map(str, out))}}}")
    if all(s % o == 0 for s, o in zip(sizes, out) if o > 0) and all(o > 0 for o in out):
        k = tuple(s // o for s, o in zip(sizes, out))
        return _AVGPOOL[nd].apply(input, k, k, ((0, 0),) * nd, out, float(_prod(k)))
    mats = []
    dt = input._data.dtype
    for s_, o in zip(sizes, out):
        def build(s_=s_, o=o):
            start, end = _adaptive_bounds(s_, o)
            j = np.arange(s_)[None, :]
            inside = (j >= start[:, None]) & (j < end[:, None])
            return (inside / (end - start)[:, None]).astype(dt)  # out x in averaging matrix
        mats.append(_table(input._data, ("adaptive_avg", s_, o, str(dt)), build))
    cls = _AdaptiveAvgPool2d if nd == 2 else _AdaptiveMatrixPool
    return cls.apply(input, tuple(mats))


def adaptive_avg_pool1d(input, output_size):
    """Adaptive average pooling to `output_size` positions over (N, C, L) or (C, L)."""
    return _adaptive_avg_poolnd(input, output_size, 1, "adaptive_avg_pool1d")


def _adaptive_avg_pool2d(input, output_size):
    return _adaptive_avg_poolnd(input, output_size, 2, "adaptive_avg_pool2d")


def _adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg_poolnd(input, output_size, 3, "adaptive_avg_pool3d")


class _ScatterFlat(Function):
    """Add g into an x-shaped zero array at flat spatial indices (per leading position)."""
    node_name = "MaxUnpoolBackward0"

    @staticmethod
    def forward(ctx, g, idx, x_shape, nd):
        gd, id_ = g._data, idx._data
        xp = get_array_module(gd)
        ctx.save_for_backward(idx)
        ctx.conf = (x_shape, nd)
        lead = _prod(x_shape[:len(x_shape) - nd])
        S = _prod(x_shape[len(x_shape) - nd:])
        res = xp.zeros(lead * S, dtype=gd.dtype)
        base = (xp.arange(lead, dtype=np.int64) * S).reshape(-1, 1)
        flat = (id_.reshape(lead, -1) + base).reshape(-1)
        scatter_add(res, flat, gd.reshape(-1))
        return res.reshape(x_shape)

    @staticmethod
    def backward(ctx, grad_output):
        (idx,) = ctx.saved_tensors
        return _GatherFlat.apply(grad_output, idx, ctx.conf[1]), None, None, None


class _GatherFlat(Function):
    """Values of x at flat spatial indices (per leading position): the adjoint of _ScatterFlat."""
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, idx, nd):
        xd, id_ = x._data, idx._data
        xp = get_array_module(xd)
        ctx.save_for_backward(idx)
        ctx.conf = (tuple(xd.shape), nd)
        lead = tuple(xd.shape[:xd.ndim - nd])
        xf = xd.reshape(lead + (-1,))
        out = xp.take_along_axis(xf, id_.reshape(lead + (-1,)), axis=-1)
        return out.reshape(id_.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (idx,) = ctx.saved_tensors
        x_shape, nd = ctx.conf
        return _ScatterFlat.apply(grad_output, idx, x_shape, nd), None, None


def _adaptive_max_table(sizes, out):
    """Flat spatial index of every (output position, window tap): shape (*out, K).

    Windows shorter than the longest repeat their last index (the max is unaffected)."""
    nd = len(out)
    tables = []
    for s, o in zip(sizes, out):
        start, end = _adaptive_bounds(s, o)
        kmax = int((end - start).max())
        tables.append(np.minimum(start[:, None] + np.arange(kmax)[None, :], (end - 1)[:, None]))
    flat = None
    for i, t in enumerate(tables):
        shp = [1] * (2 * nd)
        shp[i], shp[nd + i] = t.shape
        ti = t.reshape(shp)
        flat = ti if flat is None else flat * sizes[i] + ti
    return flat.reshape(tuple(out) + (-1,)).astype(np.int64)


class _AdaptiveMaxPoolBase(Function):
    """Max over PyTorch's adaptive windows (gathered with clipped index tables)."""

    @staticmethod
    def forward(ctx, x, out):
        xd = x._data
        xp = get_array_module(xd)
        nd = len(out)
        sizes = tuple(xd.shape[xd.ndim - nd:])
        lead = tuple(xd.shape[:xd.ndim - nd])
        fl = _table(xd, ("adaptive_max", sizes, tuple(out)), lambda: _adaptive_max_table(sizes, out))
        xf = xd.reshape(lead + (-1,))
        win = xf[..., fl]  # (*lead, *out, K)
        arg = xp.argmax(win, axis=-1)
        vals = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
        idx = xp.take_along_axis(xp.broadcast_to(fl, win.shape), arg[..., None], axis=-1)[..., 0]
        it = Tensor._make(xp.ascontiguousarray(idx))
        ctx.save_for_backward(it)
        ctx.conf = (tuple(xd.shape), nd)
        return vals, it

    @staticmethod
    def backward(ctx, grad_output, _gi=None):
        (idx,) = ctx.saved_tensors
        x_shape, nd = ctx.conf
        return _ScatterFlat.apply(grad_output, idx, x_shape, nd), None


_ADAPTIVEMAX = {nd: type(f"_AdaptiveMaxPool{nd}d", (_AdaptiveMaxPoolBase,),
                         {"node_name": f"AdaptiveMaxPool{nd}DBackward0", "__module__": __name__})
                for nd in (1, 2, 3)}


def _adaptive_max_poolnd(input, output_size, return_indices, nd, name):
    _pool_input_check(input, nd, name)
    sizes = tuple(input.shape[input.dim() - nd:])
    out = _adaptive_sizes(output_size, sizes, nd, name)
    if any(o < 0 for o in out):
        raise RuntimeError(f"{name}(): Expected output_size to be non-negative, but got {list(out)}")
    if any(o == 0 for o in out):  # an empty result, as PyTorch gives
        xp = get_array_module(input._data)
        shape = tuple(input.shape[:input.dim() - nd]) + tuple(out)
        y = Tensor._make(xp.empty(shape, dtype=input._data.dtype)) * input.sum() * 0
        idx = Tensor._make(xp.empty(shape, dtype=np.int64))
        return (y, idx) if return_indices else y
    y, idx = _ADAPTIVEMAX[nd].apply(input, out)
    return (y, idx) if return_indices else y


def _adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool1d(input, output_size):
    """torch.adaptive_max_pool1d: (values, indices) of adaptive max pooling over (N, C, L)."""
    return _adaptive_max_poolnd(input, output_size, True, 1, "adaptive_max_pool1d")


def _adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def _max_unpoolnd(input, indices, output_size, nd):
    x, squeeze = (input.unsqueeze(0), True) if input.dim() == nd + 1 else (input, False)
    idx = indices.unsqueeze(0) if squeeze else indices
    shape = tuple(x.shape[:2]) + tuple(output_size)
    S = _prod(output_size)
    # checked on the host only: on a GPU it would cost a device sync per call
    if not is_cuda_array(idx._data) and idx._data.size and (int(idx._data.min()) < 0
                                                           or int(idx._data.max()) >= S):
        raise RuntimeError(f"Found an invalid max index: {int(idx._data.max())} (output volumes are of "
                           f"size {'x'.join(map(str, output_size))}")
    y = _ScatterFlat.apply(x, idx, shape, nd)
    return y.squeeze(0) if squeeze else y


# ==================================================================================== padding
class _ConstantPadNd(Function):
    """Pad (or crop, for negative amounts) the last dims with a constant."""
    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pairs, value):
        xd = x._data
        xp = get_array_module(xd)
        nd = len(pairs)
        ctx.pairs = pairs
        lead = xd.ndim - nd
        # crop first (negative pads), then pad (positive pads)
        crop = tuple(slice(max(-lo, 0), s - max(-hi, 0)) for s, (lo, hi) in zip(xd.shape[lead:], pairs))
        a = xd[(Ellipsis,) + crop]
        pos = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pairs)
        if not any(lo or hi for lo, hi in pos):
            return a.copy()
        shape = a.shape[:lead] + tuple(s + lo + hi for s, (lo, hi) in zip(a.shape[lead:], pos))
        out = xp.full(shape, value, dtype=xd.dtype)
        out[(Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(a.shape[lead:], pos))] = a
        return out

    @staticmethod
    def backward(ctx, grad_output):
        neg = tuple((-lo, -hi) for lo, hi in ctx.pairs)
        return _ConstantPadNd.apply(grad_output, neg, 0), None, None


def _pad_pairs(pad):
    """PyTorch's flat pad tuple (last dim first) -> (lo, hi) pairs for the last dims, in order."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    return tuple(reversed(pairs))


def constant_pad_nd(input, pad, value=0):
    """Pad the last len(pad)//2 dims with `value` (negative amounts crop)."""
    pairs = _pad_pairs(pad)
    if len(pairs) > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.dim()}")
    nd = len(pairs)
    for i, (s, (lo, hi)) in enumerate(zip(input.shape[input.dim() - nd:], pairs)):
        if s + min(lo, 0) + min(hi, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if s + lo + hi < 0:
            raise RuntimeError(f"The input size {s}, plus negative padding {lo} and {hi} resulted in a "
                               f"negative output size, which is invalid. Check dimension "
                               f"{input.dim() - nd + i} of your input.")
    return _ConstantPadNd.apply(input, pairs, value)


class _GatherAxes(Function):
    """x indexed along some axes by integer tables (reflect/replicate/circular pad, nearest resize)."""
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, tables):
        a = x._data
        xp = get_array_module(a)
        ctx.tables = tables
        ctx.sizes = tuple(a.shape[ax] for ax, _, _ in tables)
        for ax, t, key in tables:
            a = xp.take(a, _table(a, key, lambda t=t: t), axis=ax)
        return a

    @staticmethod
    def backward(ctx, grad_output):
        return _ScatterAxes.apply(grad_output, ctx.tables, ctx.sizes), None


class _ScatterAxes(Function):
    """The adjoint of _GatherAxes: gradients summed back to the source positions."""
    node_name = "IndexBackwardBackward0"

    @staticmethod
    def forward(ctx, g, tables, sizes):
        a = g._data
        xp = get_array_module(a)
        ctx.tables = tables
        for (ax, t, key), s in reversed(list(zip(tables, sizes))):
            shape = list(a.shape)
            shape[ax] = s
            res = xp.zeros(shape, dtype=a.dtype)
            td = _table(a, key, lambda t=t: t)
            if len(np.unique(t)) == len(t):  # (host table) each source once: plain assignment
                res[(slice(None),) * ax + (td,)] = a
            else:
                scatter_add(res, (slice(None),) * ax + (td,), a)
            a = res
        return a

    @staticmethod
    def backward(ctx, grad_output):
        return _GatherAxes.apply(grad_output, ctx.tables), None, None


_GATHER_NAMES = {}


def _gather_cls(name):
    cls = _GATHER_NAMES.get(name)
    if cls is None:
        cls = _GATHER_NAMES[name] = type(f"_Gather_{name}", (_GatherAxes,),
                                         {"node_name": name, "__module__": __name__})
    return cls


def _pad_table(s, lo, hi, mode):
    """Source index of every padded position along one dim."""
    i = np.arange(-lo, s + hi)
    if mode == "reflect":
        period = 2 * (s - 1)
        j = np.abs(i) % period if period > 0 else np.zeros_like(i)
        return np.where(j >= s, period - j, j)
    if mode == "replicate":
        return np.clip(i, 0, s - 1)
    return i % s  # circular


def _pad_index(input, pad, mode):
    pairs = _pad_pairs(pad)
    nd = len(pairs)
    dim = input.dim()
    if not (nd <= 3 and dim in (nd + 1, nd + 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {dim}D input tensor.\nSupported combinations "
            "for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: "
            "padding size = 6 (pads last 3 dimensions)")
    tables = []
    for i, (s, (lo, hi)) in enumerate(zip(input.shape[dim - nd:], pairs)):
        ax = dim - nd + i
        if mode == "reflect" and (lo >= s or hi >= s):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({lo}, {hi}) at dimension {ax} of input "
                               f"{list(input.shape)}")
        if mode == "circular" and (lo > s or hi > s):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and s == 0 and (lo or hi):
            raise RuntimeError(f"input tensor must have non-zero size at dimension {ax}")
        if lo or hi:  # (negative pads crop: the table then starts/ends inside)
            tables.append((ax, _pad_table(s, lo, hi, mode), ("pad", mode, s, lo, hi)))
    names = {"reflect": f"ReflectionPad{nd}DBackward0", "replicate": f"ReplicationPad{nd}DBackward0",
             "circular": "CopySlices"}
    if not tables:
        return input.clone() if hasattr(input, "clone") else input
    return _gather_cls(names[mode]).apply(input, tuple(tables))


# ================================================================================ resampling
def _resize_tables(input, sizes, scales, mode, align_corners):
    """Per spatial dim: (axis, table, key) for nearest modes, (axis, matrix, None) for linear ones."""
    dim = input.dim()
    nd = len(sizes)
    res = []
    for i, (o, sc) in enumerate(zip(sizes, scales)):
        ax = dim - nd + i
        s = input.shape[ax]
        if mode in ("nearest", "nearest-exact"):
            # PyTorch computes the source index in float32
            scale = np.float32(1.0 / sc) if sc is not None else np.float32(s) / np.float32(o)
            d = np.arange(o, dtype=np.float32)
            if mode == "nearest":
                src = np.floor(d * scale).astype(np.int64)
            else:
                src = np.floor((d + np.float32(0.5)) * scale).astype(np.int64)
            res.append((ax, np.minimum(src, s - 1), (mode, s, o, float(scale))))
        else:
            dt = input._data.dtype
            key = ("linear", s, o, sc, bool(align_corners), str(dt))
            res.append((ax, _table(input._data, key,
                                   lambda s=s, o=o, sc=sc: _linear_matrix(s, o, sc, align_corners, dt)),
                        None))
    return res


def _linear_matrix(s, o, sc, align_corners, dtype):
    """(o, s) linear-interpolation weights along one dim, with PyTorch's source index rule."""
    d = np.arange(o, dtype=np.float64)
    if align_corners:
        scale = (s - 1) / (o - 1) if o > 1 else 0.0
        src = d * scale
    else:
        scale = (1.0 / sc) if sc is not None else s / o
        src = np.maximum((d + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), s - 1)
    i1 = np.where(i0 < s - 1, i0 + 1, i0)
    l1 = src - i0
    A = np.zeros((o, s), dtype=np.float64)
    A[np.arange(o), i0] += 1.0 - l1
    A[np.arange(o), i1] += l1
    return A.astype(dtype)


def _interpolate(input, sizes, scales, mode, align_corners):
    """Resize the spatial dims of (N, C, *S) to `sizes` (nearest / nearest-exact / linear modes)."""
    tables = _resize_tables(input, sizes, scales, mode, align_corners)
    nd = len(sizes)
    if mode in ("nearest", "nearest-exact"):
        name = f"Upsample{'NearestExact' if mode == 'nearest-exact' else 'Nearest'}{nd}DBackward0"
        return _gather_cls(name).apply(input, tuple(tables))
    names = {"linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
             "trilinear": "UpsampleTrilinear3DBackward0"}
    return _resize_cls(names.get(mode, "UpsampleBackward0")).apply(input, tuple(m for _, m, _ in tables))


_RESIZE_NAMES = {}


def _resize_cls(name):
    cls = _RESIZE_NAMES.get(name)
    if cls is None:
        cls = _RESIZE_NAMES[name] = type(f"_Resize_{name}", (_AdaptiveMatrixPool,),
                                         {"node_name": name, "__module__": __name__})
    return cls


# ============================================================================ pixel shuffle
def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input "
                           f"with {input.dim()} dimension(s)")
    *lead, C, H, W = input.shape
    if C % (r * r) != 0:
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by "
                           f"the square of upscale_factor, but input.size(-3)={C} is not divisible by "
                           f"{r * r}")
    n = len(lead)
    x = input.reshape(*lead, C // (r * r), r, r, H, W)
    perm = list(range(n)) + [n, n + 3, n + 1, n + 4, n + 2]
    return x.permute(*perm).reshape(*lead, C // (r * r), H * r, W * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input "
                           f"with {input.dim()} dimension(s)")
    *lead, C, H, W = input.shape
    if H % r or W % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={H} is not divisible by {r}" if H % r else
                           f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={W} is not divisible by {r}")
    n = len(lead)
    x = input.reshape(*lead, C, H // r, r, W // r, r)
    perm = list(range(n)) + [n, n + 2, n + 4, n + 1, n + 3]
    return x.permute(*perm).reshape(*lead, C * r * r, H // r, W // r)

