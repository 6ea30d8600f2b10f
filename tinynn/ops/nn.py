"""Fused primitives for nn: softmax / log_softmax, linear, the losses, dropout, embedding, one_hot,
and the fills nn.init needs.

Each op is one Function: forward on raw arrays (stable formulations, no float64 upcasts of float32
data), backward written side by side. The hot ones (linear, cross-entropy, softmax) compute their
backward directly on arrays when no graph of the backward is wanted (grad mode off inside backward,
i.e. create_graph=False) and with Tensor ops otherwise, so double backward still works.
"""
from __future__ import annotations

import math

from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend import get_array_module, matmul, scatter_add
from .. import amp as _amp  # autocast: float16 linear, float32 losses
from ..tensor import Tensor
from ._util import canonical_dim, check_same_device, check_tensor

__all__ = ["softmax", "log_softmax"]  # the rest is reached through nn.functional

_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half"}


def _tname(npdt) -> str:
    return _TYPE_NAMES.get(npdt.name, npdt.name)


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}


def _cname(npdt) -> str:
    """The C++ type name PyTorch's matmul dtype errors use."""
    return _C_NAMES.get(npdt.name, npdt.name)


def _is_numpy(xp) -> bool:
    return xp.__name__ == "numpy"


# =============================================================================== softmax
def _check_float(x, kernel):
    k = x._data.dtype.kind
    if k not in "fc":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_tname(x._data.dtype)}\'')


def _max_keep(xp, a, axis):
    if a.shape[axis] == 0:
        return xp.zeros(a.shape[:axis] + (1,) + a.shape[axis + 1:], dtype=a.dtype)
    return a.max(axis=axis, keepdims=True)


class Softmax(Function):
    """exp(x - max) / sum(exp(x - max)) along `dim`; d/dx: y * (g - sum(g * y))."""
    node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        a = x._data
        xp = get_array_module(a)
        ctx.dim = dim
        if a.ndim == 0:
            y = Tensor._make(xp.ones_like(a))
        else:
            out = a - _max_keep(xp, a, dim)
            xp.exp(out, out=out)
            out /= out.sum(axis=dim, keepdims=True)
            y = Tensor._make(out)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        dim = ctx.dim
        if y.ndim == 0:
            return grad_output * 0, None
        if not _state.enabled:
            g, ya = grad_output._data, y._data
            gy = g * ya
            s = gy.sum(axis=dim, keepdims=True)
            s = ya * s
            gy -= s
            return gy, None
        return y * (grad_output - (grad_output * y).sum(dim, keepdim=True)), None


class LogSoftmax(Function):
    """x - max - log(sum(exp(x - max))) along `dim`; d/dx: g - exp(y) * sum(g)."""
    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        a = x._data
        xp = get_array_module(a)
        ctx.dim = dim
        if a.ndim == 0:
            y = Tensor._make(xp.zeros_like(a))
        else:
            out = a - _max_keep(xp, a, dim)
            lse = xp.exp(out).sum(axis=dim, keepdims=True)
            with _errstate(xp):
                xp.log(lse, out=lse)
            out -= lse
            y = Tensor._make(out)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        dim = ctx.dim
        if y.ndim == 0:
            return grad_output * 0, None
        if not _state.enabled:
            g, ya = grad_output._data, y._data
            xp = get_array_module(ya)
            e = xp.exp(ya)
            e *= g.sum(axis=dim, keepdims=True)
            xp.subtract(g, e, out=e)
            return e, None
        return grad_output - y.exp() * grad_output.sum(dim, keepdim=True), None


def _softmax_prep(input, dim, dtype, kernel):
    if not isinstance(input, Tensor):
        raise TypeError(f"softmax(): argument 'input' must be Tensor, not {type(input).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    _check_float(input, kernel)
    return input, canonical_dim(dim, input._data.ndim)


def softmax(input, dim, dtype=None):
    """Softmax along `dim` (tinynn.softmax / Tensor.softmax); `dtype` casts the input first."""
    if _amp.state.on:
        (input,) = _amp.fp32(input)
    input, d = _softmax_prep(input, dim, dtype, "softmax_lastdim_kernel_impl")
    return Softmax.apply(input, d)


def log_softmax(input, dim, dtype=None):
    """Log-softmax along `dim`, exact for large logits (no overflow)."""
    if _amp.state.on:
        (input,) = _amp.fp32(input)
    input, d = _softmax_prep(input, dim, dtype, "log_softmax_lastdim_kernel_impl")
    return LogSoftmax.apply(input, d)


# =============================================================================== linear
class Linear(Function):
    """x @ weight.T + bias for x of shape (..., in_features); one GEMM each way."""
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        a, w = x._data, weight._data
        xp = get_array_module(a)
        check_same_device(a, w)
        if w.ndim != 2 and not (w.ndim == 1 and a.ndim >= 1):
            raise RuntimeError(f"linear(): weight must be 1-D or 2-D, got {w.ndim}-D")
        if a.dtype != w.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cname(a.dtype)} != "
                               f"{_cname(w.dtype)}")
        if a.ndim == 0:
            raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and "
                               f"{w.ndim}D")
        k = a.shape[-1]
        if k != w.shape[-1]:
            rows = a.size // k if k else (a.shape[0] if a.ndim > 1 else 1)
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                               f"{w.shape[-1]}x{w.shape[0] if w.ndim == 2 else 1})")
        b = bias._data if bias is not None else None
        if b is not None and b.dtype != a.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tname(b.dtype)} "
                               f"and {_tname(a.dtype)}")
        try:
            if a.ndim == 2:  # the bias is added inside the GEMM (beta = 1), as addmm does
                out = matmul(a, w.T, b)
            elif a.ndim > 2 and (b is None or b.ndim <= 1):
                out = matmul(a.reshape(-1, k), w.T, b).reshape(a.shape[:-1] + w.shape[:-1])
            else:
                out = w @ a if a.ndim == 1 else matmul(a, w.T)
                if b is not None:
                    out += b
        except ValueError:
            shape = a.shape[:-1] + w.shape[:-1]
            raise RuntimeError(f"The expanded size of the tensor ({shape[-1] if shape else 1}) "
                               f"must match the existing size ({b.shape[-1] if b.ndim else 1}) at "
                               f"non-singleton dimension {max(len(shape) - 1, 0)}.  Target sizes: "
                               f"{list(shape)}.  Tensor sizes: {list(b.shape)}") from None
        ctx.save_for_backward(x if ctx_needs(ctx, 1) else None, weight if ctx_needs(ctx, 0) else None)
        ctx.has_bias = bias is not None
        return xp.ascontiguousarray(out) if not out.flags.c_contiguous else out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3] if ctx.has_bias else (*ctx.needs_input_grad[:2], False)
        if not _state.enabled:
            g = grad_output._data
            gx = gw = gb = None
            w = weight._data if weight is not None else None
            if w is not None and w.ndim == 1:
                # weight (in,) maps (..., in) -> (...)
                a = x._data if x is not None else None
                if nx:
                    gx = g[..., None] * w
                if nw:
                    gw = (g[..., None] * a).reshape(-1, a.shape[-1]).sum(0)
                if nb:
                    gb = g.sum()
                return gx, gw, gb
            out_f = g.shape[-1] if g.ndim else 1
            g2 = g.reshape(-1, out_f) if g.ndim != 1 else g
            if nx:
                if g.ndim == 1:
                    gx = g @ w
                else:
                    gx = matmul(g2, w).reshape(g.shape[:-1] + (w.shape[1],))
            if nw:
                a = x._data
                if a.ndim == 1:
                    gw = g[:, None] * a[None, :]
                else:
                    gw = matmul(g2.T, a.reshape(-1, a.shape[-1]))
            if nb:
                gb = g2.sum(axis=0) if g.ndim != 1 else g
            return gx, gw, gb
        return _linear_backward_tensor(grad_output, x, weight, nx, nw, nb)


def _linear_backward_tensor(g, x, weight, nx, nw, nb):
    gx = gw = gb = None
    if weight is not None and weight.ndim == 1:
        if nx:
            gx = g.unsqueeze(-1) * weight
        if nw:
            gw = (g.unsqueeze(-1) * x).reshape(-1, x.shape[-1]).sum(0)
        if nb:
            gb = g.sum()
        return gx, gw, gb
    if g.ndim == 1:
        if nx:
            gx = g.matmul(weight)
        if nw:
            gw = g.unsqueeze(1) * x.unsqueeze(0)
        if nb:
            gb = g
        return gx, gw, gb
    g2 = g.reshape(-1, g.shape[-1])
    if nx:
        gx = g2.matmul(weight).reshape(*g.shape[:-1], weight.shape[1])
    if nw:
        gw = g2.t().matmul(x.reshape(-1, x.shape[-1]))
    if nb:
        gb = g2.sum(0)
    return gx, gw, gb


class LinearNoBias(Linear):
    node_name = "MmBackward0"


def ctx_needs(ctx, i) -> bool:
    n = getattr(ctx, "needs_input_grad", None)
    return bool(n and n[i])


def linear(input, weight, bias=None):
    """input @ weight.T + bias (nn.functional.linear)."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"linear(): argument 'input' and 'weight' must be Tensor, not "
                        f"{type(input).__name__} and {type(weight).__name__}")
    if _amp.state.on:
        input, weight, bias = _amp.lowp(input, weight, bias)
    if bias is None:
        return LinearNoBias.apply(input, weight)
    return Linear.apply(input, weight, bias)


# =============================================================================== losses
_REDUCTIONS = ("none", "mean", "sum")


def _reduce(xp, loss, reduction):
    if reduction == "none":
        return loss
    with _errstate(xp):
        s = loss.sum()
        if reduction == "mean":
            s = s / loss.size
    return xp.asarray(s, dtype=loss.dtype)


def _grad_scale(grad_output, reduction, n):
    """The factor each element's local gradient is multiplied by (a Tensor, broadcastable)."""
    if reduction == "mean":
        return grad_output / n
    return grad_output


class _Layout:
    """(N, C, d1, ...) logits viewed as 2-D (M, C) rows with the class last, and back."""

    def __init__(self, a):
        self.shape = a.shape
        self.ndim = a.ndim
        self.C = a.shape[1] if a.ndim >= 2 else a.shape[0]

    def rows(self, a):
        if self.ndim == 1:
            return a.reshape(1, -1)
        if self.ndim == 2:
            return a
        xp = get_array_module(a)
        return xp.moveaxis(a, 1, -1).reshape(-1, self.C)

    def back(self, r):
        """(M, C) rows -> the input's layout."""
        if self.ndim == 1:
            return r.reshape(self.shape)
        if self.ndim == 2:
            return r
        xp = get_array_module(r)
        s = self.shape
        return xp.moveaxis(r.reshape((s[0],) + s[2:] + (self.C,)), -1, 1)

    def target_shape(self):
        if self.ndim == 1:
            return ()
        return (self.shape[0],) + self.shape[2:]


def _check_targets(xp, t1, valid, C):
    """IndexError for a class index outside [0, C) (not ignored), like PyTorch on the CPU.

    On a GPU the check would cost a host round-trip per step: there, rows with a bad target get a
    NaN loss instead (see `_bad_rows`)."""
    if not _is_numpy(xp):
        return None
    bad = (t1 < 0) | (t1 >= C)
    if valid is not None:
        bad &= valid
    if bad.any():
        raise IndexError(f"Target {int(t1[bad][0])} is out of bounds.")
    return None


def _all_in_range(t1, C) -> bool:
    """0 <= t < C for every target, in one pass: negative int64 values read as huge uint64."""
    if t1.size == 0:
        return True
    u = t1.view("uint64") if t1.dtype.itemsize == 8 and t1.dtype.kind == "i" else t1
    return bool((u < C).all())


def _bad_rows(xp, t1, valid, C):
    if _is_numpy(xp):
        return None
    bad = (t1 < 0) | (t1 >= C)
    if valid is not None:
        bad &= valid
    return bad


class _IndexTargets:
    """Per-row class indices with ignore_index and class weights folded into row coefficients."""

    def __init__(self, xp, t1, C, weight, ignore_index, dtype):
        self.M = t1.shape[0]
        self.w = weight
        if _is_numpy(xp) and not 0 <= ignore_index < C and _all_in_range(t1, C):
            # the common case: every target is a class and none can equal ignore_index
            self.valid = self.bad = None
            self.safe = t1
        else:
            valid = t1 != ignore_index
            self.valid = None if (_is_numpy(xp) and bool(valid.all())) else valid
            _check_targets(xp, t1, self.valid, C)
            self.bad = _bad_rows(xp, t1, self.valid, C)
            if self.valid is not None or self.bad is not None:
                ok = valid if self.bad is None else (valid & ~self.bad)
                self.safe = xp.where(ok, t1, 0)
            else:
                self.safe = t1
        if weight is not None:
            c = weight[self.safe]
            if self.valid is not None:
                c = c * self.valid
            self.c = c.astype(dtype, copy=False)          # per-row weight of the picked class
        elif self.valid is not None:
            self.c = self.valid.astype(dtype)
        else:
            self.c = None                                  # all ones

    def denom(self, xp, dtype):
        """Mean reduction's divisor: the summed weights of the counted rows."""
        if self.c is None:
            return self.M
        return self.c.sum(dtype=dtype)


class CrossEntropy(Function):
    """cross_entropy with class-index targets as one op: log-softmax, pick, weight, smooth, reduce.

    Backward is `softmax - target` (scaled by the row weights), from the softmax kept by forward."""
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, label_smoothing, reduction):
        a = x._data
        xp = get_array_module(a)
        lay = _Layout(a)
        C = lay.C
        a2 = lay.rows(a)
        t1 = target._data.reshape(-1)
        w = weight._data if weight is not None else None
        it = _IndexTargets(xp, t1, C, w, ignore_index, a.dtype)
        M = a2.shape[0]
        eps = label_smoothing
        ar = xp.arange(M)

        # log-softmax by rows: z = a - max, lse = log(sum(exp(z))), log p = z - lse
        z = a2 - _max_keep(xp, a2, 1)
        picked = z[ar, it.safe]
        smooth_s = None
        if eps > 0:
            smooth_s = (z @ w) if w is not None else z.sum(axis=1)   # sum_c w_c z_c
        xp.exp(z, out=z)
        s = z.sum(axis=1)
        z /= s[:, None]                                   # z is now softmax(x) by rows
        lse = xp.log(s, out=s)
        nll = lse - picked                                # -log p[target]
        if it.c is not None:
            nll *= it.c
        loss = nll
        if eps > 0:
            wsum = w.sum(dtype=a.dtype) if w is not None else a.dtype.type(C)
            smooth = lse * wsum
            smooth -= smooth_s                            # -sum_c w_c log p_c
            if it.valid is not None:
                smooth *= it.valid
            loss = nll * a.dtype.type(1 - eps)
            smooth *= a.dtype.type(eps / C)
            loss += smooth
        if it.bad is not None:
            loss = xp.where(it.bad, a.dtype.type(math.nan), loss)

        denom = it.denom(xp, a.dtype)
        ctx.it, ctx.lay, ctx.eps, ctx.reduction, ctx.denom = it, lay, eps, reduction, denom
        ctx.save_for_backward(Tensor._make(z), x)
        if reduction == "none":
            return loss.reshape(lay.target_shape())
        total = loss.sum()
        if reduction == "sum":
            return xp.asarray(total, dtype=a.dtype)
        with _errstate(xp):
            return xp.asarray(total / denom, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        p, x = ctx.saved_tensors
        it, lay, eps, reduction = ctx.it, ctx.lay, ctx.eps, ctx.reduction
        C = lay.C
        if not ctx.needs_input_grad[0]:
            return (None,) * 6
        if not _state.enabled:
            pa = p._data
            xp = get_array_module(pa)
            g = grad_output._data
            dt = pa.dtype
            # r: each row's share of the output gradient
            if reduction == "none":
                r = g.reshape(-1).astype(dt, copy=False)
            elif reduction == "mean":
                r = (g / ctx.denom).astype(dt, copy=False)
            else:
                r = g.astype(dt, copy=False)
            scalar_r = reduction != "none"
            c = it.c
            pick = r if c is None else c * r              # weight of the one-hot term per row
            if eps > 0:
                pick = pick * dt.type(1 - eps)
                v = r if it.valid is None else it.valid * r
                wsum = it.w.sum(dtype=dt) if it.w is not None else dt.type(C)
                A = pick + v * (wsum * dt.type(eps / C))  # sum over classes of the target row
            else:
                A = pick
            if scalar_r and c is None and eps == 0:
                grad = pa * r
            else:
                grad = pa * (A[:, None] if getattr(A, "ndim", 0) else A)
            ar = xp.arange(grad.shape[0])
            grad[ar, it.safe] -= pick
            if eps > 0:
                vv = v if getattr(v, "ndim", 0) else xp.full((grad.shape[0],), v, dtype=dt)
                wv = it.w if it.w is not None else xp.ones((C,), dtype=dt)
                grad -= (vv * dt.type(eps / C))[:, None] * wv[None, :]
            return lay.back(grad), None, None, None, None, None
        return (_ce_backward_tensor(grad_output, x, it, lay, eps, reduction, ctx.denom),
                None, None, None, None, None)


def _ce_backward_tensor(grad_output, x, it, lay, eps, reduction, denom):
    """The same gradient with Tensor ops: (softmax(x) * A - a) * r, differentiable in x and g."""
    xa = x._data
    xp = get_array_module(xa)
    dt = xa.dtype
    M, C = it.M, lay.C
    c = it.c if it.c is not None else xp.ones((M,), dtype=dt)
    a_rows = xp.zeros((M, C), dtype=dt)
    a_rows[xp.arange(M), it.safe] = c * dt.type(1 - eps)
    if eps > 0:
        v = it.valid.astype(dt) if it.valid is not None else xp.ones((M,), dtype=dt)
        wv = it.w.astype(dt) if it.w is not None else xp.ones((C,), dtype=dt)
        a_rows += (v * dt.type(eps / C))[:, None] * wv[None, :]
    A_rows = a_rows.sum(axis=1, keepdims=True)
    dim = 1 if lay.ndim >= 2 else 0
    p = softmax(x, dim)
    a_t = Tensor._make(lay.back(a_rows))
    A_t = Tensor._make(lay.back(xp.broadcast_to(A_rows, (M, C)).copy()))
    local = p * A_t - a_t
    if reduction == "none":
        r = grad_output.unsqueeze(1) if lay.ndim >= 2 else grad_output
    elif reduction == "mean":
        r = grad_output / Tensor._make(xp.asarray(denom, dtype=dt))
    else:
        r = grad_output
    return local * r


class NllLoss(Function):
    """-weight[t] * input[t] per row (input holds log-probabilities), reduced."""
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        a = x._data
        xp = get_array_module(a)
        lay = _Layout(a)
        a2 = lay.rows(a)
        t1 = target._data.reshape(-1)
        w = weight._data if weight is not None else None
        it = _IndexTargets(xp, t1, lay.C, w, ignore_index, a.dtype)
        picked = -a2[xp.arange(a2.shape[0]), it.safe]
        if it.c is not None:
            picked = picked * it.c
        if it.bad is not None:
            picked = xp.where(it.bad, a.dtype.type(math.nan), picked)
        denom = it.denom(xp, a.dtype)
        ctx.it, ctx.lay, ctx.reduction, ctx.denom = it, lay, reduction, denom
        ctx.dtype = a.dtype
        if reduction == "none":
            return picked.reshape(lay.target_shape())
        total = picked.sum()
        if reduction == "sum":
            return xp.asarray(total, dtype=a.dtype)
        with _errstate(xp):
            return xp.asarray(total / denom, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return (None,) * 5
        it, lay, dt = ctx.it, ctx.lay, ctx.dtype
        xp = get_array_module(grad_output._data)
        M, C = it.M, lay.C
        coef = xp.zeros((M, C), dtype=dt)
        c = it.c if it.c is not None else dt.type(1)
        coef[xp.arange(M), it.safe] = -c
        coef_t = Tensor._make(lay.back(coef))
        if ctx.reduction == "none":
            r = grad_output.unsqueeze(1) if lay.ndim >= 2 else grad_output
        elif ctx.reduction == "mean":
            r = grad_output / Tensor._make(xp.asarray(ctx.denom, dtype=dt))
        else:
            r = grad_output
        return coef_t * r, None, None, None, None


def _index_target_checks(input, target, weight):
    """PyTorch's argument checks for nll_loss / cross_entropy with class-index targets."""
    nd = input.ndim
    if nd == 0:
        raise RuntimeError("Expected 1 or more dimensions (got 0)")
    td = target._data.dtype
    if nd <= 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if nd >= 2 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if nd == 1 and target.ndim != 0:
        if target.ndim == 1 and target.shape[0] == 1:
            pass
        else:
            raise RuntimeError(f"Expected input batch_size ({1}) to match target batch_size "
                               f"({target.shape[0]}).")
    if nd >= 3:
        want = [input.shape[0]] + list(input.shape[2:])
        if list(target.shape) != want:
            raise RuntimeError(f"Expected target size {want}, got {list(target.shape)}")
    if nd == 2 and target.ndim == 0:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size (1).")
    if td.kind not in "iu" or (td.kind == "i" and td.itemsize != 8) or (td.kind == "u" and td.itemsize != 1):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_tname(td)}")
    C = input.shape[1] if nd >= 2 else input.shape[0]
    if weight is not None:
        if weight.ndim != 1 or weight.shape[0] != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no "
                               f"classes but got weight tensor of shape: {list(weight.shape)}")
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected scalar type {_tname(input._data.dtype)} but found "
                               f"{_tname(weight._data.dtype)}")


def cross_entropy_index(input, target, weight, ignore_index, label_smoothing, reduction):
    if _amp.state.on:
        input, weight = _amp.fp32(input, weight)
    _check_float(input, "log_softmax_lastdim_kernel_impl")
    _index_target_checks(input, target, weight)
    return CrossEntropy.apply(input, target, weight, ignore_index, label_smoothing, reduction)


def nll_loss(input, target, weight, ignore_index, reduction):
    if _amp.state.on:
        input, weight = _amp.fp32(input, weight)
    _check_float(input, "nll_loss_out_frame")
    _index_target_checks(input, target, weight)
    return NllLoss.apply(input, target, weight, ignore_index, reduction)


class _PointwiseLoss(Function):
    """mse / l1 / smooth_l1 / huber of (input - target), with broadcasting and reduction."""

    @staticmethod
    def forward(ctx, x, y, kind, param, reduction):
        xa = x._data if isinstance(x, Tensor) else x
        ya = y._data if isinstance(y, Tensor) else y
        xp = get_array_module(xa)
        check_same_device(xa, ya)
        try:
            d = xa - ya
        except ValueError:
            from ._util import broadcast_error  # noqa: PLC0415
            raise broadcast_error(xa.shape, ya.shape) from None
        if d.dtype.kind not in "fc":
            raise NotImplementedError(f'"{kind}_loss" not implemented for \'{_tname(d.dtype)}\'')
        t = d.dtype.type
        if kind == "mse":
            loss = d * d
        elif kind == "l1":
            loss = xp.abs(d)
        elif kind == "smooth_l1":
            ad = xp.abs(d)
            if param == 0:
                loss = ad
            else:
                loss = xp.where(ad < param, t(0.5) * d * d / t(param), ad - t(0.5 * param))
        else:  # huber
            ad = xp.abs(d)
            loss = xp.where(ad < param, t(0.5) * d * d, t(param) * (ad - t(0.5 * param)))
        ctx.kind, ctx.param, ctx.reduction, ctx.n = kind, param, reduction, loss.size
        ctx.save_for_backward(x, y)
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        kind, param = ctx.kind, ctx.param
        r = _grad_scale(grad_output, ctx.reduction, ctx.n)
        d_arr = x._data - y._data
        xp = get_array_module(d_arr)
        t = d_arr.dtype.type
        if kind == "mse":
            local = (x - y) * 2
        else:
            sign = xp.sign(d_arr)
            if kind == "l1" or (kind == "smooth_l1" and param == 0):
                local = Tensor._make(sign)
            else:
                inside = xp.abs(d_arr) < param if kind == "smooth_l1" else xp.abs(d_arr) <= param
                k = 1.0 / param if kind == "smooth_l1" else 1.0
                c = 1.0 if kind == "smooth_l1" else param
                # linear inside the band (slope k), constant +-c outside
                local = (x - y) * Tensor._make(inside.astype(d_arr.dtype) * t(k)) + \
                    Tensor._make(xp.where(inside, t(0), sign * t(c)))
        g = local * r
        gx = g if ctx.needs_input_grad[0] else None
        gy = -g if ctx.needs_input_grad[1] else None
        return gx, gy, None, None, None


class MseLoss(_PointwiseLoss):
    node_name = "MseLossBackward0"


class L1Loss(_PointwiseLoss):
    node_name = "L1LossBackward0"


class SmoothL1Loss(_PointwiseLoss):
    node_name = "SmoothL1LossBackward0"


class HuberLoss(_PointwiseLoss):
    node_name = "HuberLossBackward0"


_POINTWISE = {"mse": MseLoss, "l1": L1Loss, "smooth_l1": SmoothL1Loss, "huber": HuberLoss}


def pointwise_loss(kind, input, target, param, reduction):
    return _POINTWISE[kind].apply(input, target, kind, param, reduction)


def _softplus_neg(xp, a):
    """softplus(-a) = log(1 + exp(-a)) = max(-a, 0) + log1p(exp(-|a|)), without overflow."""
    out = xp.abs(a)
    xp.negative(out, out=out)
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    out += xp.maximum(-a, a.dtype.type(0))
    return out


def _broadcasts(sa, sb) -> bool:
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(sa), reversed(sb)))


class BinaryCrossEntropyWithLogits(Function):
    """(1 - y) x + (1 + (pos_weight - 1) y) softplus(-x), times weight: stable for any x."""
    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, weight, pos_weight, reduction):
        a, t = x._data, y._data
        xp = get_array_module(a)
        sp = _softplus_neg(xp, a)
        try:
            if pos_weight is not None:
                lw = (pos_weight._data - 1) * t + 1
                loss = lw * sp
            else:
                loss = sp.copy()
            loss += (1 - t) * a
            if weight is not None:
                loss = loss * weight._data
        except ValueError:  # a weight that does not broadcast: PyTorch's RuntimeError
            from ._util import broadcast_error  # noqa: PLC0415
            w = pos_weight if pos_weight is not None and \
                not _broadcasts(pos_weight._data.shape, t.shape) else weight
            raise broadcast_error(w._data.shape, t.shape) from None
        ctx.reduction, ctx.n = reduction, loss.size
        ctx.save_for_backward(x, y, weight, pos_weight)
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, grad_output):
        x, y, weight, pos_weight = ctx.saved_tensors
        r = _grad_scale(grad_output, ctx.reduction, ctx.n)
        gx = gy = None
        if not _state.enabled:
            a, t = x._data, y._data
            xp = get_array_module(a)
            ra = r._data
            w = weight._data if weight is not None else None
            if ctx.needs_input_grad[0]:
                # d/dx = (1 - y) - lw * sigmoid(-x);  sigmoid(-x) = exp(-softplus(x))
                sig_neg = xp.exp(-_softplus_neg(xp, -a))
                if pos_weight is not None:
                    sig_neg = sig_neg * ((pos_weight._data - 1) * t + 1)
                gxa = (1 - t) - sig_neg
                if w is not None:
                    gxa = gxa * w
                gx = gxa * ra
            if ctx.needs_input_grad[1]:
                gya = -a
                if pos_weight is not None:
                    gya = gya + (pos_weight._data - 1) * _softplus_neg(xp, a)
                if w is not None:
                    gya = gya * w
                gy = gya * ra
            return gx, gy, None, None, None
        from .activation import softplus  # noqa: PLC0415
        if ctx.needs_input_grad[0]:
            sig_neg = (-x).sigmoid()
            if pos_weight is not None:
                sig_neg = sig_neg * ((pos_weight - 1) * y + 1)
            gx = (1 - y) - sig_neg
            if weight is not None:
                gx = gx * weight
            gx = gx * r
        if ctx.needs_input_grad[1]:
            gy = -x
            if pos_weight is not None:
                gy = gy + (pos_weight - 1) * softplus(-x)
            if weight is not None:
                gy = gy * weight
            gy = gy * r
        return gx, gy, None, None, None


class BinaryCrossEntropy(Function):
    """-weight (y log x + (1 - y) log(1 - x)) with each log clamped at -100, as PyTorch."""
    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, y, weight, reduction):
        a, t = x._data, y._data
        xp = get_array_module(a)
        if _is_numpy(xp) and a.size and not bool(((a >= 0) & (a <= 1)).all()):  # (NaN too)
            raise RuntimeError("all elements of input should be between 0 and 1")
        with _errstate(xp):
            log_x = xp.maximum(xp.log(a), a.dtype.type(-100))
            log_1mx = xp.maximum(xp.log1p(-a), a.dtype.type(-100))
        loss = log_x - log_1mx
        loss *= t
        loss += log_1mx
        xp.negative(loss, out=loss)
        if weight is not None:
            loss = loss * weight._data
        ctx.reduction, ctx.n = reduction, loss.size
        ctx.save_for_backward(x, y, weight)
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, grad_output):
        x, y, weight = ctx.saved_tensors
        r = _grad_scale(grad_output, ctx.reduction, ctx.n)
        gx = gy = None
        if ctx.needs_input_grad[0]:
            # d/dx = (x - y) / max(x (1 - x), 1e-12)
            gx = (x - y) / ((1 - x) * x).clamp_min(1e-12)
            if weight is not None:
                gx = gx * weight
            gx = gx * r
        if ctx.needs_input_grad[1]:
            # d/dy = log(1 - x) - log(x), each clamped at -100
            gy = (1 - x).log().clamp_min(-100) - x.log().clamp_min(-100)
            if weight is not None:
                gy = gy * weight
            gy = gy * r
        return gx, gy, None, None


class _errstate:
    def __init__(self, xp):
        self.ctx = xp.errstate(divide="ignore", invalid="ignore", over="ignore") \
            if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
        return False


# =============================================================================== dropout
class Dropout(Function):
    """x * mask / (1 - p) with mask ~ Bernoulli(1 - p), per element or per channel (feature)."""
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, p, feature, generator):
        from .random import generator_for  # noqa: PLC0415
        a = x._data
        xp = get_array_module(a)
        if feature:
            mshape = a.shape[:2] + (1,) * (a.ndim - 2)
        else:
            mshape = a.shape
        dt = a.dtype if a.dtype.kind == "f" else xp.dtype("float32")
        q = 1.0 - p
        if q == 0:
            mask = xp.zeros(mshape, dtype=dt)
        else:
            g = generator_for(x.device, generator)
            u = g.random(mshape, dtype=dt if dt in (xp.float32, xp.float64) else xp.float32)
            mask = (xp.asarray(u) < q).astype(dt)
            mask *= dt.type(1.0 / q)
        m = Tensor._make(mask)
        ctx.save_for_backward(m)
        return a * mask

    @staticmethod
    def backward(ctx, grad_output):
        (m,) = ctx.saved_tensors
        return grad_output * m, None, None, None


def dropout(input, p, feature=False, generator=None):
    return Dropout.apply(input, p, feature, generator)


_ALPHA_PRIME = -1.7580993408473766  # -lambda * alpha of SELU


class AlphaDropout(Function):
    """Dropout keeping SELU's mean and variance: a (x * keep + alpha' (1 - keep)) + b."""
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, p, feature, generator):
        from .random import generator_for  # noqa: PLC0415
        a = x._data
        xp = get_array_module(a)
        mshape = a.shape[:2] + (1,) * (a.ndim - 2) if feature else a.shape
        q = 1.0 - p
        g = generator_for(x.device, generator)
        keep = (xp.asarray(g.random(mshape)) < q).astype(a.dtype)
        ca = (q + _ALPHA_PRIME ** 2 * q * p) ** -0.5 if q > 0 else 0.0
        cb = -ca * _ALPHA_PRIME * p
        scale = keep * a.dtype.type(ca)
        ctx.save_for_backward(Tensor._make(scale))
        return a * scale + ((1 - keep) * a.dtype.type(_ALPHA_PRIME * ca) + a.dtype.type(cb))

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return grad_output * s, None, None, None


def alpha_dropout(input, p, feature=False, generator=None):
    return AlphaDropout.apply(input, p, feature, generator)


# =============================================================================== embedding
def _check_indices(idx, fn="embedding"):
    dt = idx._data.dtype
    if dt.kind not in "iu" or dt.itemsize not in (4, 8) or dt.kind == "u":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {idx.type()} instead (while checking "
                           f"arguments for {fn})")


class Embedding(Function):
    """weight[indices]; backward scatter-adds the rows (the padding row's gradient stays zero)."""
    node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        w, i = weight._data, indices._data
        xp = get_array_module(w)
        check_same_device(w, i)
        n = w.shape[0]
        if _is_numpy(xp) and i.size and (int(i.min()) < 0 or int(i.max()) >= n):
            raise IndexError("index out of range in self")
        ctx.save_for_backward(indices)
        ctx.n, ctx.padding_idx, ctx.freq = n, padding_idx, scale_grad_by_freq
        return xp.take(w, i, axis=0)

    @staticmethod
    def backward(ctx, grad_output):
        (indices,) = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        return EmbeddingDenseBackward.apply(grad_output, indices, ctx.n, ctx.padding_idx,
                                            ctx.freq), None, None, None


class EmbeddingDenseBackward(Function):
    """The gradient of Embedding w.r.t. weight: rows of g summed into their indices."""
    node_name = "EmbeddingDenseBackwardBackward0"

    @staticmethod
    def forward(ctx, g, indices, n, padding_idx, scale_grad_by_freq):
        ga, i = g._data, indices._data
        xp = get_array_module(ga)
        d = ga.shape[-1] if ga.ndim else 1
        flat = i.reshape(-1)
        rows = ga.reshape(-1, d)
        scale = None
        if scale_grad_by_freq:
            counts = xp.bincount(flat, minlength=n)
            scale = (1.0 / counts[flat]).astype(ga.dtype)
            rows = rows * scale[:, None]
        out = xp.zeros((n, d), dtype=ga.dtype)
        scatter_add(out, flat, rows)
        if padding_idx is not None:
            out[padding_idx] = 0
        ctx.save_for_backward(indices)
        ctx.padding_idx, ctx.scale = padding_idx, scale
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (indices,) = ctx.saved_tensors
        # d/dg: gather the rows back (the padding positions and frequency scaling included)
        i = indices._data
        xp = get_array_module(i)
        gg = Embedding.apply(grad_output, indices, None, False)
        factor = None
        if ctx.padding_idx is not None:
            factor = (i != ctx.padding_idx).astype(grad_output._data.dtype)
        if ctx.scale is not None:
            s = ctx.scale.reshape(i.shape)
            factor = s if factor is None else factor * s
        if factor is not None:
            gg = gg * Tensor._make(xp.asarray(factor)[..., None])
        return gg, None, None, None, None


def embedding(indices, weight, padding_idx=None, scale_grad_by_freq=False):
    if not isinstance(indices, Tensor):
        raise TypeError(f"embedding(): argument 'indices' must be Tensor, not {type(indices).__name__}")
    _check_indices(indices)
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    return Embedding.apply(weight, indices, padding_idx, scale_grad_by_freq)


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place, the rows of `weight` used by `indices` whose norm exceeds max_norm."""
    w, i = weight._data, indices._data
    xp = get_array_module(w)
    rows = xp.unique(i.reshape(-1))
    sel = w[rows]
    if norm_type == math.inf:
        norms = xp.abs(sel).max(axis=1)
    else:
        norms = (xp.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] = sel * scale[:, None]
    weight._bump()
    return weight


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding with a trailing class dimension (nn.functional.one_hot)."""
    check_tensor("one_hot", "input", 1, tensor)
    a = tensor._data
    xp = get_array_module(a)
    if a.dtype != xp.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    infer = num_classes == -1
    if infer:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size and (infer or _is_numpy(xp)):
        # (on a GPU with num_classes given, the check would cost a host round trip: skipped, and
        # out-of-range rows stay all-zero)
        if int(a.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(a.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((a[..., None] == xp.arange(num_classes)).astype(xp.int64))


# =============================================================================== init fills
def _gen(t, generator):
    from .random import generator_for  # noqa: PLC0415
    return generator_for(t.device, generator)


def _write(t, arr):
    xp = get_array_module(t._data)
    t._data[...] = xp.asarray(arr).astype(t._data.dtype, copy=False)
    t._bump()
    return t


def init_trunc_normal_(t, mean, std, a, b, generator=None):
    """N(mean, std^2) restricted to [a, b]: redraw the out-of-range values until none is left, or,
    when [a, b] holds little of the mass, propose from U(a, b) and accept by the density."""
    g = _gen(t, generator)
    xp = get_array_module(t._data)
    shape = t._data.shape
    n = int(t._data.size)
    if n == 0:
        return t
    cdf = lambda v: (1.0 + math.erf(v / math.sqrt(2.0))) / 2.0  # noqa: E731
    mass = cdf((b - mean) / std) - cdf((a - mean) / std)
    out = xp.empty(n, dtype=xp.float64)
    todo = xp.arange(n)
    if mass > 0.3:
        while todo.size:
            v = xp.asarray(g.normal(mean, std, int(todo.size)))
            out[todo] = v
            todo = todo[(v < a) | (v > b)]
    else:
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2
        while todo.size:
            v = xp.asarray(g.uniform(a, b, int(todo.size)))
            logp = -0.5 * ((v - mean) / std) ** 2 - log_peak
            ok = xp.log(xp.asarray(g.random(int(todo.size)))) <= logp
            out[todo[ok]] = v[ok]
            todo = todo[~ok]
    return _write(t, xp.clip(out, a, b).reshape(shape))


def init_eye_(t):
    xp = get_array_module(t._data)
    return _write(t, xp.eye(*t._data.shape))


def init_dirac_(t, groups=1):
    xp = get_array_module(t._data)
    s = t._data.shape
    out = xp.zeros(s)
    per = s[0] // groups
    k = min(per, s[1])
    centre = tuple(d // 2 for d in s[2:])
    gi = xp.repeat(xp.arange(groups), k)
    di = xp.tile(xp.arange(k), groups)
    out[(gi * per + di, di) + tuple(xp.full(gi.shape, c) for c in centre)] = 1
    return _write(t, out)


def init_orthogonal_(t, gain=1.0, generator=None):
    g = _gen(t, generator)
    xp = get_array_module(t._data)
    rows = t._data.shape[0]
    cols = t._data.size // rows
    flat = xp.asarray(g.standard_normal((rows, cols)))
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diagonal(r))  # make Q uniform (Mezzadri, 2007)
    if rows < cols:
        q = q.T
    return _write(t, (q * gain).reshape(t._data.shape))


def init_sparse_(t, sparsity, std=0.01, generator=None):
    g = _gen(t, generator)
    xp = get_array_module(t._data)
    rows, cols = t._data.shape
    num_zeros = int(math.ceil(sparsity * rows))
    vals = xp.asarray(g.normal(0.0, std, (rows, cols)))
    if num_zeros:
        # per column, the rows of the num_zeros smallest keys of a random permutation
        order = xp.argsort(xp.asarray(g.random((rows, cols))), axis=0)[:num_zeros]
        vals[order, xp.arange(cols)[None, :]] = 0
    return _write(t, vals)
