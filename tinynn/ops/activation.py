"""Activation primitives: one Function per nonlinearity, forward on raw arrays and backward with
Tensor ops (so double backward works). relu, sigmoid and tanh live in elementwise.py.

Where a derivative is piecewise (hardtanh, leaky_relu, threshold ...), backward multiplies the
incoming gradient by a constant array built from the saved input: its own derivative is zero almost
everywhere, which is what PyTorch's double backward gives too.
"""
from __future__ import annotations

import math

from ..autograd.function import Function
from ..backend import erf as _erf_kernel
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import check_tensor

# exported at the top level where PyTorch has them (torch.selu, torch.relu_, ...); the others are
# reached through nn.functional
__all__ = ["relu_", "selu", "selu_", "celu", "celu_", "threshold", "threshold_", "hardshrink", "prelu",
           "rrelu"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}


def _float_array(x, name):
    """x's array; integer inputs raise as PyTorch's float-only kernels do."""
    check_tensor(name, "input", 1, x)
    a = x._data
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_TYPE_NAMES.get(a.dtype.name, a.dtype.name)}'")
    return a


def _at_least_1d(a):
    """NumPy turns 0-d results into scalars, which `out=` cannot take: compute 0-d input as (1,)."""
    return a.reshape(1) if a.ndim == 0 else a


def _const(arr):
    """A raw array as a constant tensor (no history) for use in a backward formula."""
    return Tensor._make(arr)


def _mask(a, cond):
    """cond (a boolean array) as 0/1 in a's dtype."""
    return cond.astype(a.dtype)


# ----------------------------------------------------------------------------- piecewise linear
class Hardtanh(Function):
    """clamp(x, min_val, max_val); gradient 1 strictly inside (min_val, max_val)."""
    node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        a = _float_array(x, "hardtanh")
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = min_val, max_val
        return xp.clip(a, min_val, max_val)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        a = x._data
        return grad_output * _const(_mask(a, (a > ctx.lo) & (a < ctx.hi))), None, None


class LeakyRelu(Function):
    """x for x > 0, negative_slope * x otherwise."""
    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, negative_slope):
        a = _float_array(x, "leaky_relu")
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return xp.where(a > 0, a, a * a.dtype.type(negative_slope))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        a = x._data
        xp = get_array_module(a)
        return grad_output * _const(xp.where(a > 0, a.dtype.type(1), a.dtype.type(ctx.slope))), None


class Threshold(Function):
    """x where x > threshold, else value."""
    node_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, threshold, value):
        a = x._data
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        ctx.threshold = threshold
        return xp.where(a > threshold, a, a.dtype.type(value))  # a scalar: no host->GPU copy

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        a = x._data
        return grad_output * _const(_mask(a, a > ctx.threshold)), None, None


class Softshrink(Function):
    """x - lambd for x > lambd, x + lambd for x < -lambd, else 0."""
    node_name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        a = _float_array(x, "softshrink")
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        lam = a.dtype.type(lambd)
        return xp.where(a > lam, a - lam, xp.where(a < -lam, a + lam, a.dtype.type(0)))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        a = x._data
        return grad_output * _const(_mask(a, (a > ctx.lambd) | (a < -ctx.lambd))), None


class Hardshrink(Function):
    """x where |x| > lambd, else 0."""
    node_name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        a = _float_array(x, "hardshrink")
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        return xp.where((a > lambd) | (a < -lambd), a, a.dtype.type(0))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        a = x._data
        return grad_output * _const(_mask(a, (a > ctx.lambd) | (a < -ctx.lambd))), None


class Hardsigmoid(Function):
    """relu6(x + 3) / 6; gradient 1/6 on (-3, 3)."""
    node_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        a = _at_least_1d(_float_array(x, "hardsigmoid"))
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        out = a + a.dtype.type(3)
        xp.clip(out, 0, 6, out=out)
        out /= a.dtype.type(6)
        return (out).reshape(x._data.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        a = x._data
        return grad_output * _const(_mask(a, (a > -3) & (a < 3)) / a.dtype.type(6))


class Hardswish(Function):
    """x * relu6(x + 3) / 6; gradient 0 up to -3, x/3 + 1/2 on (-3, 3), 1 from 3 on (PyTorch's)."""
    node_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        a = _at_least_1d(_float_array(x, "hardswish"))
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        out = a + a.dtype.type(3)
        xp.clip(out, 0, 6, out=out)
        out *= a
        out /= a.dtype.type(6)
        return (out).reshape(x._data.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        a = x._data
        mid = _const(_mask(a, (a > -3) & (a < 3)))
        hi = _const(_mask(a, a >= 3))
        return grad_output * (mid * (x / 3 + 0.5) + hi)


# ----------------------------------------------------------------------------- smooth
class Elu(Function):
    """PyTorch's elu kernel: scale * x for x > 0, else scale * alpha * (exp(x * input_scale) - 1).

    elu: (alpha, 1, 1); selu: (1.6733, 1.0507, 1); celu: (alpha, 1, 1/alpha)."""
    node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale, name):
        a = _at_least_1d(_float_array(x, name))
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        ctx.p = (alpha, scale, input_scale)
        t = a.dtype.type
        neg = xp.minimum(a, t(0))
        neg *= t(input_scale)
        neg = xp.expm1(neg, out=neg)
        neg *= t(alpha * scale)
        return (xp.where(a > 0, a * t(scale), neg)).reshape(x._data.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.p
        pos = _const(_mask(x._data, x._data > 0))
        # d/dx = scale for x > 0, else scale * alpha * input_scale * exp(x * input_scale);
        # clamp_max(0) keeps exp from overflowing where the positive branch is taken
        neg = (x.clamp_max(0) * input_scale).exp() * (scale * alpha * input_scale)
        return grad_output * (pos * scale + (1 - pos) * neg), None, None, None, None


class Celu(Elu):
    node_name = "CeluBackward0"


class Gelu(Function):
    """x * Phi(x) (approximate='none') or the tanh approximation (approximate='tanh')."""
    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        a = _at_least_1d(_float_array(x, "GeluKernelImpl"))
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        t = a.dtype.type
        if approximate == "tanh":
            inner = a * a
            inner *= t(0.044715)
            inner += t(1)
            inner *= a
            inner *= t(_SQRT_2_OVER_PI)
            out = xp.tanh(inner, out=inner)
            out += t(1)
            out *= a
            out *= t(0.5)
            return (out).reshape(x._data.shape)
        cdf = _erf_kernel(a * t(_INV_SQRT_2)).astype(a.dtype, copy=False)
        cdf += t(1)
        cdf *= a
        cdf *= t(0.5)
        return (cdf).reshape(x._data.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            x2 = x * x
            th = ((x + x2 * x * 0.044715) * _SQRT_2_OVER_PI).tanh()
            # d/dx 0.5 x (1 + tanh(u)) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) u'
            du = (x2 * (3 * 0.044715) + 1) * _SQRT_2_OVER_PI
            return grad_output * (0.5 * (th + 1) + 0.5 * x * (1 - th * th) * du), None
        cdf = ((x * _INV_SQRT_2).erf() + 1) * 0.5
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return grad_output * (cdf + x * pdf), None


def _sigmoid_array(xp, a):
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, a.dtype.type(1), e) / (e + a.dtype.type(1))


def _softplus_array(xp, a):
    """log(1 + exp(a)) without overflow: max(a, 0) + log1p(exp(-|a|))."""
    out = xp.abs(a)
    xp.negative(out, out=out)
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    out += xp.maximum(a, a.dtype.type(0))
    return out


class Silu(Function):
    """x * sigmoid(x); d/dx = s (1 + x (1 - s))."""
    node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        a = _at_least_1d(_float_array(x, "silu"))
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        out = _sigmoid_array(xp, a)
        out *= a
        return (out).reshape(x._data.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return grad_output * (s * (x * (1 - s) + 1))


class Mish(Function):
    """x * tanh(softplus(x)); d/dx = t + x * sigmoid(x) * (1 - t^2) with t = tanh(softplus(x))."""
    node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        a = _at_least_1d(_float_array(x, "mish"))
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        out = _softplus_array(xp, a)
        xp.tanh(out, out=out)
        out *= a
        return (out).reshape(x._data.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        t = softplus(x).tanh()
        return grad_output * (t + x * x.sigmoid() * (1 - t * t))


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, linear where beta * x > threshold."""
    node_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        a = _at_least_1d(_float_array(x, "softplus"))
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        t = a.dtype.type
        bx = a * t(beta) if beta != 1 else a
        out = _softplus_array(xp, bx)
        if beta != 1:
            out /= t(beta)
        return (xp.where(bx > threshold, a, out)).reshape(x._data.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        a = x._data
        beta = ctx.beta
        lin = _const(_mask(a, a * beta > ctx.threshold))
        # d/dx = sigmoid(beta x) on the smooth part, 1 on the linear part
        return grad_output * (lin + (1 - lin) * (x * beta).sigmoid()), None, None


class LogSigmoid(Function):
    """log(sigmoid(x)) = -softplus(-x), stable; d/dx = sigmoid(-x)."""
    node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        a = _at_least_1d(_float_array(x, "log_sigmoid_forward"))
        xp = get_array_module(a)
        ctx.save_for_backward(x)
        out = _softplus_array(xp, -a)
        xp.negative(out, out=out)
        return (out).reshape(x._data.shape)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (-x).sigmoid()


class Prelu(Function):
    """x for x > 0, weight * x otherwise; weight has 1 or C entries (C = dim 1 of x)."""
    node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, weight):
        a = _float_array(x, "prelu")
        w = weight._data
        xp = get_array_module(a)
        nw = w.size
        if w.ndim > 1:
            raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                               f"ndim = {w.ndim}")
        channels = a.shape[1] if a.ndim >= 2 else 1
        if nw != 1 and nw != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter "
                               f"numbers = {nw} and channel size = {channels}.")
        wb = _prelu_weight_view(w, a.ndim)
        ctx.save_for_backward(x, weight)
        return xp.where(a > 0, a, a * wb)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        a = x._data
        pos = _const(_mask(a, a > 0))
        wb = weight.reshape(_prelu_weight_shape(weight._data, a.ndim))
        gx = grad_output * (pos + (1 - pos) * wb) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gfull = grad_output * x * (1 - pos)
            if weight._data.size == 1:
                gw = gfull.sum().reshape(weight.shape)
            else:
                dims = [d for d in range(a.ndim) if d != 1]
                gw = gfull.sum(dims) if dims else gfull
        return gx, gw


def _prelu_weight_shape(w, ndim):
    if w.size == 1 or ndim < 2:
        return (1,) * max(ndim, 0) if ndim else ()
    return (1, w.size) + (1,) * (ndim - 2)


def _prelu_weight_view(w, ndim):
    return w.reshape(_prelu_weight_shape(w, ndim))


# ----------------------------------------------------------------------------- wrappers
def relu_(input):
    """relu in place (tinynn.relu_ / Tensor.relu_)."""
    from .elementwise import relu  # noqa: PLC0415
    from .inplace import inplace  # noqa: PLC0415
    return inplace(input, relu)


def _inplace(input, fn, *args):
    from .inplace import inplace  # noqa: PLC0415
    return inplace(input, fn, *args)


def hardtanh(input, min_val=-1.0, max_val=1.0):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return Hardtanh.apply(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _inplace(input, Hardtanh.apply, min_val, max_val)


def relu6(input):
    return Hardtanh.apply(input, 0.0, 6.0)


def leaky_relu(input, negative_slope=0.01):
    return LeakyRelu.apply(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return _inplace(input, LeakyRelu.apply, negative_slope)


def elu(input, alpha=1.0):
    return Elu.apply(input, alpha, 1.0, 1.0, "elu")


def elu_(input, alpha=1.0):
    return _inplace(input, elu, alpha)


def selu(input):
    return Elu.apply(input, _SELU_ALPHA, _SELU_SCALE, 1.0, "selu")


def selu_(input):
    return _inplace(input, selu)


def celu(input, alpha=1.0):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return Celu.apply(input, alpha, 1.0, 1.0 / alpha, "celu")


def celu_(input, alpha=1.0):
    return _inplace(input, celu, alpha)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return Gelu.apply(input, approximate)


def silu(input):
    return Silu.apply(input)


def mish(input):
    return Mish.apply(input)


def softplus(input, beta=1.0, threshold=20.0):
    return Softplus.apply(input, beta, threshold)


def hardsigmoid(input):
    return Hardsigmoid.apply(input)


def hardswish(input):
    return Hardswish.apply(input)


def logsigmoid(input):
    return LogSigmoid.apply(input)


def threshold(input, threshold, value):
    return Threshold.apply(input, threshold, value)


def threshold_(input, threshold, value):
    return _inplace(input, Threshold.apply, threshold, value)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return Softshrink.apply(input, lambd)


def hardshrink(input, lambd=0.5):
    return Hardshrink.apply(input, lambd)


def prelu(input, weight):
    return Prelu.apply(input, weight)


def glu(input, dim=-1):
    """a * sigmoid(b) where a, b are the two halves of `input` along `dim`."""
    from ._util import canonical_dim  # noqa: PLC0415
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = canonical_dim(dim, input.ndim)
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.split(n // 2, d)
    return a * b.sigmoid()


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """Randomized leaky ReLU: a slope drawn from U(lower, upper) per element when training, the
    mean slope (lower + upper) / 2 otherwise."""
    if not training:
        return LeakyRelu.apply(input, (lower + upper) / 2)
    from .random import generator_for  # noqa: PLC0415
    a = _float_array(input, "rrelu_with_noise")
    xp = get_array_module(a)
    g = generator_for(input.device, generator)
    slopes = xp.asarray(g.uniform(lower, upper, a.shape)).astype(a.dtype)
    noise = Tensor._make(xp.where(a >= 0, a.dtype.type(1), slopes))
    return input * noise
