"""Normalisation ops: batch, layer, group and instance norm as fused Functions.

One kernel serves all four: x is viewed as `stat_shape` and normalised over `red` axes of that view
(batch norm: (N, C, L) over (0, 2); layer norm: (M, D) over 1; group norm: (N, G, C/G*L) over 2),
then scaled and shifted per channel in the `aff_shape` view. Forward saves x, mean and invstd;
backward is the closed form

    dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),   dxhat = dy * weight

on raw arrays. When the backward itself is recorded (create_graph=True) the same formula is written
with Tensor ops from x, recomputing mean and invstd differentiably, so second derivatives are exact.
Statistics stay in the input's dtype (float32 in, float32 out).
"""
from __future__ import annotations

from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_state
from ..backend import get_array_module
from ..tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "native_batch_norm",
           "native_layer_norm"]


def _prod(t) -> int:
    p = 1
    for v in t:
        p *= v
    return p


_LETTERS = "abcdefghij"


def _rsum(xp, a, axes, b=None):
    """sum over `axes` of a (or of a * b), keepdims, as one einsum: no temporary for the product and
    a fast multi-axis reduction (0.10 ms against 0.30 ms for mul-then-sum of 64x32x196 float32)."""
    sub = _LETTERS[:a.ndim]
    out = "".join(c for i, c in enumerate(sub) if i not in axes)
    if b is None:
        r = xp.einsum(f"{sub}->{out}", a)
    else:
        r = xp.einsum(f"{sub},{sub}->{out}", a, b)
    return r.reshape(tuple(1 if i in axes else n for i, n in enumerate(a.shape)))


def _stats(xs, red, eps):
    """mean, centred x, biased variance and invstd over `red` axes (keepdims), in x's dtype."""
    xp = get_array_module(xs)
    n = _prod(xs.shape[a] for a in red)
    mean = _rsum(xp, xs, red) / xs.dtype.type(n)
    xc = xs - mean
    var = _rsum(xp, xc, red, xc) / xs.dtype.type(n)  # two-pass: exact for data far from zero
    invstd = 1.0 / xp.sqrt(var + eps)
    return mean, xc, var, invstd.astype(xs.dtype, copy=False)


class _NormBase(Function):
    """y = (x - mean) * invstd * weight + bias, statistics over `red` axes of x viewed as stat_shape.

    `fixed` = (mean, var) raw arrays (batch norm in eval mode) skips the batch statistics.
    `running` = (running_mean, running_var, momentum, n_lead) updates running statistics in place
    (with the unbiased variance), averaging per-instance statistics over n_lead leading entries."""

    @staticmethod
    def forward(ctx, x, weight, bias, stat_shape, red, aff_shape, w_shape, eps, fixed=None,
                running=None):
        xd = x._data
        xp = get_array_module(xd)
        xs = xp.ascontiguousarray(xd).reshape(stat_shape)
        if fixed is None:
            mean, xhat, var, invstd = _stats(xs, red, eps)
            xhat *= invstd
        else:
            fm, fv = fixed
            shape = [1] * len(stat_shape)
            for a in range(len(stat_shape)):
                if a not in red:
                    shape[a] = stat_shape[a]
            mean = fm.reshape(shape).astype(xd.dtype, copy=False)
            var = fv.reshape(shape).astype(xd.dtype, copy=False)
            invstd = (1.0 / xp.sqrt(var + eps)).astype(xd.dtype, copy=False)
            xhat = (xs - mean) * invstd
        if running is not None:
            _update_running(xp, running, mean, var, stat_shape, red)
        y = xhat.reshape(aff_shape)
        if weight is not None:
            y *= weight._data.reshape(w_shape)
        if bias is not None:
            y += bias._data.reshape(w_shape)
        ctx.conf = (tuple(xd.shape), stat_shape, red, aff_shape, w_shape, eps, fixed is not None)
        ctx.b_shape = None if bias is None else tuple(bias._data.shape)
        if getattr(ctx, "needs_input_grad", None) is not None:
            ctx.save_for_backward(x, weight, Tensor._make(mean), Tensor._make(invstd))
        return y.reshape(xd.shape)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight, mean, invstd = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if _grad_state.enabled:
            return _norm_backward_graph(ctx, grad_output, x, weight, mean, invstd) + (None,) * 7
        x_shape, stat_shape, red, aff_shape, w_shape, eps, fixed = ctx.conf
        xd = x._data
        xp = get_array_module(xd)
        gd = xp.ascontiguousarray(grad_output._data)
        m_, inv = mean._data, invstd._data
        xhat = xp.ascontiguousarray(xd).reshape(stat_shape) - m_
        xhat *= inv
        g_aff = gd.reshape(aff_shape)
        w_axes = tuple(a for a in range(len(aff_shape)) if w_shape[a] == 1)
        gw = gb = gx = None
        if needs[1]:
            gw = Tensor._make(_rsum(xp, g_aff, w_axes, xhat.reshape(aff_shape)).reshape(weight.shape))
        if needs[2]:
            gb = Tensor._make(_rsum(xp, g_aff, w_axes).reshape(ctx.b_shape))
        if needs[0]:
            gxh = g_aff * weight._data.reshape(w_shape) if weight is not None else g_aff.copy()
            gxh = gxh.reshape(stat_shape)
            if fixed:
                gxh *= inv
            else:
                # dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
                n = xd.dtype.type(_prod(stat_shape[a] for a in red))
                proj = _rsum(xp, gxh, red, xhat) / n
                mg = _rsum(xp, gxh, red) / n
                xhat *= proj
                gxh -= xhat
                gxh -= mg
                gxh *= inv
            gx = Tensor._make(gxh.reshape(x_shape))
        return (gx, gw, gb) + (None,) * 7


def _norm_backward_graph(ctx, g, x, weight, mean, invstd):
    """The same backward with Tensor ops (recorded when create_graph=True): exact higher orders."""
    x_shape, stat_shape, red, aff_shape, w_shape, eps, fixed = ctx.conf
    needs = ctx.needs_input_grad
    xs = x.reshape(stat_shape)
    if fixed:
        xhat = (xs - mean) * invstd
    else:
        mu = xs.mean(dim=red, keepdim=True)
        xc = xs - mu
        inv = ((xc * xc).mean(dim=red, keepdim=True) + eps) ** -0.5
        xhat = xc * inv
    g_aff = g.reshape(aff_shape)
    w_axes = tuple(a for a in range(len(aff_shape)) if w_shape[a] == 1)
    gx = gw = gb = None
    if needs[1]:
        gw = (g_aff * xhat.reshape(aff_shape)).sum(dim=w_axes).reshape(weight.shape)
    if needs[2]:
        gb = g_aff.sum(dim=w_axes).reshape(ctx.b_shape)
    if needs[0]:
        gxh = (g_aff * weight.reshape(w_shape) if weight is not None else g_aff).reshape(stat_shape)
        if fixed:
            gx = gxh * invstd
        else:
            gx = inv * (gxh - gxh.mean(dim=red, keepdim=True)
                        - xhat * (gxh * xhat).mean(dim=red, keepdim=True))
        gx = gx.reshape(x_shape)
    return gx, gw, gb


def _update_running(xp, running, mean, var, stat_shape, red):
    """running <- (1 - momentum) * running + momentum * batch statistic (unbiased variance)."""
    rm, rv, momentum, n_lead = running
    n = _prod(stat_shape[a] for a in red)
    m = mean.reshape(n_lead, -1).mean(axis=0) if n_lead > 1 else mean.reshape(-1)
    v = var.reshape(n_lead, -1).mean(axis=0) if n_lead > 1 else var.reshape(-1)
    v = v * (n / (n - 1)) if n > 1 else v
    if rm is not None:
        d = rm._data
        d *= 1 - momentum
        d += (momentum * m).astype(d.dtype, copy=False)
        rm._bump()
    if rv is not None:
        d = rv._data
        d *= 1 - momentum
        d += (momentum * v).astype(d.dtype, copy=False)
        rv._bump()


class _BatchNorm(_NormBase):
    node_name = "NativeBatchNormBackward0"


class _LayerNorm(_NormBase):
    node_name = "NativeLayerNormBackward0"


class _GroupNorm(_NormBase):
    node_name = "NativeGroupNormBackward0"


# ------------------------------------------------------------------------------ wrappers
def _check_float(input, name):
    if input._data.dtype.kind != "f":
        raise RuntimeError(f'"{name}" not implemented for \'{input.dtype}\'')


def _check_param(t, n, what):
    if t is not None and t.numel() != n:
        raise RuntimeError(f"{what} should contain {n} elements not {t.numel()}")


def _batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
                momentum=0.1, eps=1e-5):
    """F.batch_norm's argument order; normalises over every dim but 1."""
    if input.dim() < 2:
        raise RuntimeError(f"batch_norm: expected input with at least 2 dims, got {input.dim()}")
    N, C = input.shape[:2]
    L = _prod(input.shape[2:])
    _check_param(running_mean, C, "running_mean")
    _check_param(running_var, C, "running_var")
    _check_param(weight, C, "weight")
    _check_param(bias, C, "bias")
    stat_shape = (N, C, L)
    w_shape = (1, C, 1)
    if training:
        if N * L <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{input.shape}")
        running = None
        if running_mean is not None or running_var is not None:
            running = (running_mean, running_var, momentum if momentum is not None else 0.0, 1)
        return _BatchNorm.apply(input, weight, bias, stat_shape, (0, 2), stat_shape, w_shape, eps,
                                running=running)
    if running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    if running_var is None:
        raise RuntimeError("running_var must be defined in evaluation mode")
    return _BatchNorm.apply(input, weight, bias, stat_shape, (0, 2), stat_shape, w_shape, eps,
                            fixed=(running_mean._data, running_var._data))


def _layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    shape = tuple(input.shape)
    if k == 0 or k > len(shape) or shape[len(shape) - k:] != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
                           f"{list(input.shape)}")
    for t, what in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"Expected {what} to be of same shape as normalized_shape, but got "
                               f"{what} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(normalized_shape)}")
    D = _prod(normalized_shape)
    M = _prod(shape[:len(shape) - k])
    return _LayerNorm.apply(input, weight, bias, (M, D), (1,), (M, D), (1, D), eps)


def _group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    N, C = input.shape[:2]
    if C % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but "
                           f"got input of shape {list(input.shape)} and num_groups={num_groups}")
    _check_param(weight, C, "weight")
    _check_param(bias, C, "bias")
    L = _prod(input.shape[2:])
    return _GroupNorm.apply(input, weight, bias, (N, num_groups, (C // num_groups) * L), (2,),
                            (N, C, L), (1, C, 1), eps)


def _instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                   use_input_stats=True, momentum=0.1, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"instance_norm expects at least 2-D input, got {input.dim()}D")
    N, C = input.shape[:2]
    L = _prod(input.shape[2:])
    _check_param(weight, C, "weight")
    _check_param(bias, C, "bias")
    if use_input_stats:
        if L <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{input.shape}")
        running = None
        if running_mean is not None or running_var is not None:
            running = (running_mean, running_var, momentum if momentum is not None else 0.0, N)
        return _BatchNorm.apply(input, weight, bias, (N, C, L), (2,), (N, C, L), (1, C, 1), eps,
                                running=running)
    if running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats "
                           "is false")
    return _BatchNorm.apply(input, weight, bias, (N, C, L), (0, 2), (N, C, L), (1, C, 1), eps,
                            fixed=(running_mean._data, running_var._data))


# torch.<name> signatures (PyTorch's top-level functions take these argument orders)
def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled=True):
    """torch.batch_norm (note the argument order differs from nn.functional.batch_norm)."""
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """(output, save_mean, save_invstd) as PyTorch's native_batch_norm returns them."""
    out = _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    xp = get_array_module(input._data)
    C = input.shape[1]
    xs = input._data.reshape(input.shape[0], C, -1)
    if training:
        mean = xs.mean(axis=(0, 2))
        var = ((xs - mean[None, :, None]) ** 2).mean(axis=(0, 2))
        inv = (1.0 / xp.sqrt(var + eps)).astype(xs.dtype)
        return out, Tensor._make(mean), Tensor._make(inv)
    return out, Tensor._make(xp.zeros(0, dtype=xs.dtype)), Tensor._make(xp.zeros(0, dtype=xs.dtype))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """Normalise over the trailing `normalized_shape` dims."""
    return _layer_norm(input, normalized_shape, weight, bias, eps)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(output, mean, rstd) as PyTorch's native_layer_norm returns them."""
    out = _layer_norm(input, normalized_shape, weight, bias, eps)
    xp = get_array_module(input._data)
    k = len(normalized_shape) if not isinstance(normalized_shape, int) else 1
    axes = tuple(range(input.dim() - k, input.dim()))
    xd = input._data
    mean = xd.mean(axis=axes, keepdims=True)
    var = ((xd - mean) ** 2).mean(axis=axes, keepdims=True)
    return out, Tensor._make(mean), Tensor._make((1.0 / xp.sqrt(var + eps)).astype(xd.dtype))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """Normalise over groups of channels (and all positions) of each sample."""
    return _group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled=True):
    """torch.instance_norm: each (sample, channel) normalised over its positions."""
    return _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum,
                          eps)
