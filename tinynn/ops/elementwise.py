"""Elementwise ops: arithmetic with broadcasting and PyTorch's dtype rules, unary math, comparisons,
logical and bitwise ops.

Each differentiable op is one Function with forward (on raw arrays, `xp` from the inputs) and
backward (written with Tensor ops, so double backward works). The engine sums broadcast gradients
back to each input's shape and casts them to each input's dtype.

Dtypes follow PyTorch: integer inputs to float functions (exp, sqrt, sin ...) compute in the default
float dtype; Python scalars and 0-dim tensors only change the dtype of a dimensioned tensor when they
are of a higher category (bool < int < float < complex), see `tinynn._dtype.result_type`.
"""
from __future__ import annotations

import math
import operator

import numpy as np  # dtype metadata only (iinfo/finfo); array math goes through `xp`

from .._dtype import from_numpy_dtype, get_default_dtype, result_type
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend import erf as _erf_kernel
from ..backend import erfc as _erfc_kernel
from ..backend import get_array_module
from ..backend import special as _special_kernel
from ..tensor import Tensor
from ._util import broadcast_error, check_same_device, check_tensor, float_dtype_of, operands

__all__ = [
    # arithmetic
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "neg",
    "negative", "positive", "pow", "float_power", "square", "remainder", "fmod", "floor_divide",
    "abs", "absolute", "sign", "sgn", "reciprocal",
    # exponentials, logs, roots
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
    # trigonometric and hyperbolic
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "arcsin", "arccos", "arctan", "arctan2",
    "sinh", "cosh", "tanh", "sigmoid", "relu", "erf",
    # special functions
    "hypot", "logaddexp", "logaddexp2", "xlogy", "logit", "erfinv", "sinc", "copysign", "signbit",
    "heaviside", "ldexp", "nextafter",
    # clamping, interpolation, rounding
    "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "lerp", "addcmul", "addcdiv",
    "floor", "ceil", "round", "trunc", "fix", "frac", "nan_to_num",
    # comparisons, logical, bitwise, predicates
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "equal", "allclose", "isclose", "logical_and", "logical_or", "logical_not",
    "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf",
    "isfinite", "isposinf", "isneginf", "isreal",
    # in-place functions (torch.exp_(x) is x.exp_())
    "abs_", "neg_", "negative_", "exp_", "exp2_", "expm1_", "log_", "log2_", "log10_", "log1p_",
    "sqrt_", "rsqrt_", "reciprocal_", "square_", "sin_", "cos_", "tan_", "asin_", "acos_", "atan_",
    "arcsin_", "arccos_", "arctan_", "sinh_", "cosh_", "tanh_", "sigmoid_", "erf_", "floor_",
    "ceil_", "round_", "trunc_", "fix_", "frac_", "clamp_", "clip_", "clamp_min_", "clamp_max_",
    "nan_to_num_", "sinc_", "xlogy_", "logit_", "ldexp_",
]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# ============================================================================= helpers
def _shape(v):
    return v._data.shape if isinstance(v, Tensor) else ()


def _wrap_int(s: int, npdt) -> int:
    """A Python int out of an integer dtype's range wraps around, as PyTorch casts it."""
    info = np.iinfo(npdt)
    if info.min <= s <= info.max:
        return s
    bits = npdt.itemsize * 8
    s %= 1 << bits
    if info.min < 0 and s > info.max:
        s -= 1 << bits
    return s


def _pair(a, b):
    """Raw operands of a binary op in PyTorch's result dtype (a Python scalar stays a scalar)."""
    if type(b) is int and isinstance(a, Tensor) and a._data.dtype.kind in "iu":
        b = _wrap_int(b, a._data.dtype)
    elif type(a) is int and isinstance(b, Tensor) and b._data.dtype.kind in "iu":
        a = _wrap_int(a, b._data.dtype)
    return operands(a, b)


def _xp_of(*vals):
    """The array module of the first tensor (or array) among `vals`."""
    for v in vals:
        if isinstance(v, Tensor):
            return get_array_module(v._data)
        if hasattr(v, "dtype") and hasattr(v, "shape"):
            return get_array_module(v)
    return get_array_module(vals[0])


def _binary(op, a, b, xp=None):
    """Apply a raw binary array op on promoted operands, with PyTorch's broadcasting error."""
    if xp is None and type(a) is Tensor:
        # fast path: two tensors of one dtype, or a float tensor and a moderate Python number
        xa = a._data
        d = xa.dtype
        if d.kind == "f" and d.itemsize > 2:
            tb = type(b)
            if tb is Tensor:
                xb = b._data
                if xb.dtype == d and type(xb) is type(xa):
                    try:
                        return op(xa, xb)
                    except ValueError:
                        check_same_device(xa, xb)  # two GPUs: CuPy raises ValueError too
                        raise broadcast_error(xa.shape, xb.shape) from None
            elif (tb is float or tb is int) and -65504.0 <= b <= 65504.0:
                return op(xa, b)
    xa, xb = _pair(a, b)
    if xp is None and (_overflows(xa) or _overflows(xb)):
        xp = _xp_of(a, b)  # silence NumPy's overflow warning: PyTorch gives inf quietly
    try:
        if xp is not None:
            with _errstate(xp):
                return op(xa, xb)
        return op(xa, xb)
    except ValueError:
        raise broadcast_error(_shape(a), _shape(b)) from None


def _overflows(v) -> bool:
    """float16 data, or a Python float beyond float16's range: either may overflow to inf."""
    if type(v) is float:
        return not -65504.0 <= v <= 65504.0
    d = getattr(v, "dtype", None)
    return d is not None and d.itemsize == 2 and d.kind == "f"


def _as_arrays(xp, xa, xb):
    """Promoted operands with a Python scalar made a 0-dim array of the other operand's dtype."""
    if not hasattr(xa, "dtype"):
        xa = xp.asarray(xa, dtype=xb.dtype)
    elif not hasattr(xb, "dtype"):
        xb = xp.asarray(xb, dtype=xa.dtype)
    return xa, xb


def _broadcast_shapes(*shapes):
    """The broadcast shape of several operands, with PyTorch's error naming the first mismatch."""
    out = tuple(shapes[0])
    for s in shapes[1:]:
        if not _broadcastable(out, s):
            raise broadcast_error(out, s)
        out = np.broadcast_shapes(out, tuple(s))  # shapes only (host metadata)
    return out


def _broadcastable(sa, sb) -> bool:
    for x, y in zip(reversed(sa), reversed(sb)):
        if x != y and x != 1 and y != 1:
            return False
    return True


class _errstate:
    """Silence NumPy's divide/overflow/invalid warnings (PyTorch returns inf/nan silently)."""
    __slots__ = ("ctx",)

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


_np_errstate = _errstate  # old name, kept for other modules that imported it


def _kind(x):
    if isinstance(x, bool):
        return "b"
    if isinstance(x, int):
        return "i"
    if isinstance(x, float):
        return "f"
    if isinstance(x, complex):
        return "c"
    return x.dtype.kind


def _any_zero(x):
    return bool((x == 0).any()) if hasattr(x, "any") else x == 0


def _c_type_name(npdt) -> str:
    """PyTorch's C++ scalar type name used in some messages ('float', 'double', 'long int')."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}[from_numpy_dtype(npdt).name]


def _type_title(npdt) -> str:
    """PyTorch's short scalar type name ('Float', 'Long', 'Bool')."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}[from_numpy_dtype(npdt).name]


def _need_tensor(v, fn: str, arg: str = "input", pos: int = 1):
    check_tensor(fn, arg, pos, v)


def _need_number_or_tensor(v, fn: str):
    if not isinstance(v, (Tensor, bool, int, float, complex, np.generic)):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got "
                        f"({type(v).__name__}), but expected one of: (Tensor input, Tensor other) or "
                        f"(Tensor input, Number other)")


def _float_data(x):
    """x's array in the dtype a float function computes in (integers -> the default float)."""
    a = x._data
    k = a.dtype.kind
    if k == "f" or k == "c":
        return a
    return a.astype(get_default_dtype().np)


def _unary_float(x, fn):
    """fn(array) on x's data as floats, with NumPy's warnings silenced."""
    a = _float_data(x)
    xp = get_array_module(a)
    with _errstate(xp):
        return fn(xp, a)


def _zeros_like(t):
    return Tensor._make(get_array_module(t._data).zeros_like(t._data))


def _where(cond, a, b):
    from .index import where  # noqa: PLC0415  (index imports this module's helpers lazily too)
    return where(cond, a, b)


def _to_scalar(v):
    return v.item() if isinstance(v, np.generic) else v


def _out(res, out):
    """Write `res` into `out` (PyTorch's out= argument): resized when its shape differs."""
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if _state.enabled and (res._requires_grad or out._requires_grad):
        raise RuntimeError("functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    from .inplace import _check_cast  # noqa: PLC0415
    _check_cast(out, res._data.dtype)
    xp = get_array_module(out._data)
    if out._data.shape != res._data.shape:
        out._data = xp.empty(res._data.shape, dtype=out._data.dtype)
    xp.copyto(out._data, res._data, casting="unsafe")
    out._bump()
    return out


# ============================================================================= arithmetic
class Add(Function):
    """a + alpha * b."""
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if alpha == 1:
            return _binary(_add, a, b)
        return _binary(lambda x, y: x + alpha * y, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[1]:
            return grad_output, None, None
        return grad_output, (grad_output if ctx.alpha == 1 else grad_output * ctx.alpha), None


# the operator module's C functions: one Python frame less per op than a def (-0.1 us)
_add = operator.add
_sub = operator.sub
_mul = operator.mul


class Sub(Function):
    """a - alpha * b."""
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if _is_bool(a) and _is_bool(b):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        if alpha == 1:
            return _binary(_sub, a, b)
        return _binary(lambda x, y: x - alpha * y, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[1]:  # x - scalar: no negated copy (W3: -5 us per op)
            return grad_output, None, None
        return grad_output, (-grad_output if ctx.alpha == 1 else grad_output * (-ctx.alpha)), None


class Rsub(Function):
    """other - alpha * input, for a Python scalar `other` (PyTorch's `2 - x`)."""
    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, x, other, alpha=1):
        ctx.alpha = alpha
        if _is_bool(x) and _is_bool(other):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        if alpha == 1:
            return _binary(_sub, other, x)
        return _binary(lambda s, y: s - alpha * y, other, x)

    @staticmethod
    def backward(ctx, grad_output):
        return (-grad_output if ctx.alpha == 1 else grad_output * (-ctx.alpha)), None, None


def _is_bool(v):
    return (isinstance(v, Tensor) and v._data.dtype.kind == "b") or isinstance(v, bool)


def _check_alpha(a, b, alpha, fn):
    if alpha == 1:
        return
    if isinstance(alpha, float) or isinstance(alpha, Tensor) and alpha.is_floating_point():
        if result_type(a, b)._cat < 2:
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point "
                               "number.")


class Mul(Function):
    """a * b; d(a*b)/da = b, d(a*b)/db = a."""
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        # a is needed only for b's gradient and b only for a's
        ctx.save_for_backward(a if ta and ctx_needs(ctx, 1) else None,
                              b if tb and ctx_needs(ctx, 0) else None)
        ctx.sa, ctx.sb = (None if ta else a), (None if tb else b)
        return _binary(_mul, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        ga = gb = None
        if not _state.enabled:
            # not recording (no create_graph): the forward's kernel on raw arrays, without a
            # Function call per product (W3: -4 us per op)
            if ctx.needs_input_grad[0]:
                ga = Tensor._make(_binary(_mul, grad_output, b if b is not None else ctx.sb))
            if ctx.needs_input_grad[1]:
                gb = Tensor._make(_binary(_mul, grad_output, a if a is not None else ctx.sa))
            return ga, gb
        if ctx.needs_input_grad[0]:
            ga = grad_output * (b if b is not None else ctx.sb)
        if ctx.needs_input_grad[1]:
            gb = grad_output * (a if a is not None else ctx.sa)
        return ga, gb


class Div(Function):
    """True division a / b (integers divide into the default float dtype)."""
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        xa, xb = _pair(a, b)
        xp = _xp_of(a, b)
        if _kind(xa) not in "fc" and _kind(xb) not in "fc":
            dt = get_default_dtype().np
            xa = xa.astype(dt) if hasattr(xa, "astype") else xa
            xb = xb.astype(dt) if hasattr(xb, "astype") else xb
        ctx.save_for_backward(a if isinstance(a, Tensor) and ctx_needs(ctx, 1) else None,
                              b if isinstance(b, Tensor) else None)
        ctx.sa = None if isinstance(a, Tensor) else a
        ctx.sb = None if isinstance(b, Tensor) else b
        try:
            with _errstate(xp):
                return xa / xb
        except ValueError:
            raise broadcast_error(_shape(a), _shape(b)) from None

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        if b is None:
            return grad_output / ctx.sb, None
        ga = grad_output / b if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            # d/db (a/b) = -a / b^2
            gb = -grad_output * (a if a is not None else ctx.sa) / (b * b)
        return ga, gb


def ctx_needs(ctx, i) -> bool:
    n = getattr(ctx, "needs_input_grad", None)
    return bool(n and n[i])


class DivMode(Function):
    """Division rounded by `rounding_mode` ('trunc' or 'floor'); piecewise constant: zero gradient."""
    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, rounding_mode):
        xa, xb = _pair(a, b)
        xp = _xp_of(a, b)
        ints = _kind(xa) in "iub" and _kind(xb) in "iub"
        if ints and _any_zero(xb):
            raise RuntimeError("ZeroDivisionError")
        xa, xb = _as_arrays(xp, xa, xb)
        try:
            with _errstate(xp):
                if rounding_mode == "floor":
                    return _floor_divide(xp, xa, xb)
                if ints:
                    # C division truncates toward zero: |a| // |b| with the quotient's sign
                    q = xp.floor_divide(xp.abs(xa), xp.abs(xb))
                    return xp.where((xa < 0) != (xb < 0), -q, q)
                return xp.trunc(xa / xb)
        except ValueError:
            raise broadcast_error(_shape(a), _shape(b)) from None

    @staticmethod
    def backward(ctx, grad_output):
        return _zeros_like(grad_output), _zeros_like(grad_output), None


def _floor_divide(xp, xa, xb):
    xa, xb = _as_arrays(xp, xa, xb)
    if xa.dtype.kind == "b":
        xa, xb = xa.astype(np.int64), xb.astype(np.int64)
    return xp.floor_divide(xa, xb)


class _NotImplementedBackward(Function):
    """An op PyTorch has no derivative for: backward raises, as PyTorch's NotImplemented node."""
    node_name = "NotImplemented"
    op_name = "?"

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError(f"derivative for aten::{ctx.op_name} is not implemented")


class FloorDivide(Function):
    """a // b, rounding toward -inf; PyTorch has no derivative for it."""
    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, b):
        xa, xb = _pair(a, b)
        if _kind(xa) in "iub" and _kind(xb) in "iub" and _any_zero(xb):
            raise RuntimeError("ZeroDivisionError")
        xp = _xp_of(a, b)
        try:
            with _errstate(xp):
                return _floor_divide(xp, xa, xb)
        except ValueError:
            raise broadcast_error(_shape(a), _shape(b)) from None

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


def _remainder_arrays(a, b, fn):
    xa, xb = _pair(a, b)
    if _kind(xa) in "iub" and _kind(xb) in "iub" and _any_zero(xb):
        raise RuntimeError("ZeroDivisionError")
    xp = _xp_of(a, b)
    xa, xb = _as_arrays(xp, xa, xb)
    try:
        with _errstate(xp):
            if fn == "remainder" and xa.dtype.kind == "f":
                # PyTorch's formula (NumPy's differs in the sign of a zero result)
                r = xp.fmod(xa, xb)
                return xp.where((r != 0) & ((xb < 0) != (r < 0)), r + xb, r)
            return getattr(xp, fn)(xa, xb)
    except ValueError:
        raise broadcast_error(_shape(a), _shape(b)) from None


class RemainderScalar(Function):
    """input % other for a Python scalar other (sign of the divisor, as Python's %)."""
    node_name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, x, other):
        return _remainder_arrays(x, other, "remainder")

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


class Remainder(Function):
    """a - floor(a / b) * b; d/da = 1, d/db = -floor(a / b)."""
    node_name = "RemainderBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _remainder_arrays(a, b, "remainder")

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        gb = None
        if ctx.needs_input_grad[1]:
            gb = -grad_output * floor_divide(a.detach(), b.detach())
        return grad_output, gb


class RemainderScalarSelf(Function):
    """A Python scalar % a tensor: PyTorch has no derivative for it."""
    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, s, x):
        return _remainder_arrays(s, x, "remainder")

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError("derivative for aten::remainder is not implemented")


class FmodScalar(Function):
    """C's fmod (sign of the dividend) by a Python scalar."""
    node_name = "FmodBackward0"

    @staticmethod
    def forward(ctx, x, other):
        return _remainder_arrays(x, other, "fmod")

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


class Fmod(Function):
    """a - trunc(a / b) * b; d/da = 1, d/db = -trunc(a / b)."""
    node_name = "FmodBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _remainder_arrays(a, b, "fmod")

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        gb = None
        if ctx.needs_input_grad[1]:
            gb = -grad_output * div(a.detach(), b.detach(), rounding_mode="trunc")
        return grad_output, gb


class Neg(Function):
    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, x):
        if x._data.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                               "are trying to invert a mask, use the `~` or `logical_not()` operator "
                               "instead.")
        return -x._data

    @staticmethod
    def backward(ctx, grad_output):
        return -grad_output


def _check_int_pow(xa, xb):
    if _kind(xa) in "iub" and _kind(xb) in "iu":
        if (isinstance(xb, int) and xb < 0) or (hasattr(xb, "dtype") and bool((xb < 0).any())):
            raise RuntimeError("Integers to negative integer powers are not allowed.")


def _power(a, b):
    xa, xb = _pair(a, b)
    _check_int_pow(xa, xb)
    xp = _xp_of(a, b)
    if not hasattr(xa, "dtype"):
        xa = xp.asarray(xa, dtype=xb.dtype)
    elif _kind(xa) == "b" and _kind(xb) == "b":
        xa = xa.astype(np.int64)
    try:
        with _errstate(xp):
            return xp.power(xa, xb)
    except ValueError:
        raise broadcast_error(_shape(a), _shape(b)) from None


class PowTensorScalar(Function):
    """x ** e for a Python scalar e; d/dx = e * x**(e-1) (zero when e == 0)."""
    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, e):
        ctx.save_for_backward(x)
        ctx.e = e
        return _power(x, e)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        e = ctx.e
        if e == 0:
            return _zeros_like(grad_output), None
        if e == 1:
            return grad_output, None
        if e == 2:
            return grad_output * (x * 2), None
        return grad_output * (x ** (e - 1) * e), None


class PowTensorTensor(Function):
    """a ** b for two tensors; d/da = b * a**(b-1), d/db = a**b * log(a) (0 where a == 0, b >= 0)."""
    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        out = Tensor._make(_power(a, b))
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = _where(b == 0, 0.0, grad_output * (b * a ** (b - 1)))
        if ctx.needs_input_grad[1]:
            zero = (a == 0) & (b >= 0)
            # log of a stand-in 1 where the result is masked, so no 0 * -inf is ever formed
            gb = grad_output * _where(zero, 0.0, out * log(_where(zero, 1.0, a)))
        return ga, gb


class PowScalarTensor(Function):
    """s ** x for a Python scalar base; d/dx = s**x * log(s) (0 where s == 0 and x >= 0)."""
    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, s, x):
        out = Tensor._make(_power(s, x))
        ctx.save_for_backward(x, out)
        ctx.s = s
        return out

    @staticmethod
    def backward(ctx, grad_output):
        x, out = ctx.saved_tensors
        s = ctx.s
        if s == 0:
            nonneg = x >= 0
            return None, grad_output * _where(nonneg, 0.0, _where(nonneg, 1.0, out) * float("-inf"))
        ln = math.log(s) if s > 0 else float("nan")
        return None, grad_output * (out * ln)


class Sign(Function):
    """sign(x) as PyTorch's: NaN -> 0; piecewise constant, zero gradient."""
    node_name = "SignBackward0"

    @staticmethod
    def forward(ctx, x):
        a = x._data
        if a.dtype.kind == "b":
            return a.copy()
        if a.dtype.kind == "c":
            raise RuntimeError("Unlike NumPy, torch.sign is not intended to support complex numbers. "
                               "Please use torch.sgn instead.")
        return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        return _zeros_like(grad_output)


class Sgn(Sign):
    node_name = "SgnBackward0"


class Abs(Function):
    """|x|; d/dx = sign(x) (0 at 0)."""
    node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, x):
        a = x._data
        if a.dtype.kind == "b":
            raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
        ctx.save_for_backward(x)
        return get_array_module(a).abs(a)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * sign(x)


class Reciprocal(Function):
    """1 / x; d/dx = -1/x^2 = -y^2, so the output is saved."""
    node_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(_unary_float(x, lambda xp, a: xp.reciprocal(a)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return -grad_output * (y * y)


# ============================================================================= exp / log / roots
class Exp(Function):
    """exp(x); its derivative is the output, so the output is saved."""
    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(_unary_float(x, lambda xp, a: xp.exp(a)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


class Exp2(Function):
    """2**x; d/dx = 2**x * ln 2."""
    node_name = "Exp2Backward0"

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(_unary_float(x, lambda xp, a: xp.exp2(a)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (y * _LN2)


class Expm1(Function):
    """exp(x) - 1, accurate near 0; d/dx = y + 1."""
    node_name = "Expm1Backward0"

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(_unary_float(x, lambda xp, a: xp.expm1(a)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (y + 1)


class Log(Function):
    """log(x); d/dx = 1/x."""
    node_name = "LogBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.log(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / x


class Log2(Function):
    """log2(x); d/dx = 1/(x ln 2)."""
    node_name = "Log2Backward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.log2(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (x * _LN2)


class Log10(Function):
    """log10(x); d/dx = 1/(x ln 10)."""
    node_name = "Log10Backward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.log10(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (x * _LN10)


class Log1p(Function):
    """log(1 + x), accurate near 0; d/dx = 1/(1 + x)."""
    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.log1p(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (x + 1)


class Sqrt(Function):
    """sqrt(x); d/dx = 1/(2 sqrt(x)), from the saved output."""
    node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(_unary_float(x, lambda xp, a: xp.sqrt(a)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output / (y * 2)


class Rsqrt(Function):
    """1/sqrt(x); d/dx = -x^(-3/2)/2 = -y^3/2."""
    node_name = "RsqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(_unary_float(x, lambda xp, a: 1.0 / xp.sqrt(a)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (y * y * y * -0.5)


# ============================================================================= trigonometric
class Sin(Function):
    node_name = "SinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.sin(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * cos(x)


class Cos(Function):
    node_name = "CosBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.cos(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * -sin(x)


class Tan(Function):
    """tan(x); d/dx = 1 + tan(x)^2, from the saved output."""
    node_name = "TanBackward0"

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(_unary_float(x, lambda xp, a: xp.tan(a)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (y * y + 1)


class Asin(Function):
    """asin(x); d/dx = 1/sqrt(1 - x^2)."""
    node_name = "AsinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.arcsin(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * rsqrt(1 - x * x)


class Acos(Function):
    """acos(x); d/dx = -1/sqrt(1 - x^2)."""
    node_name = "AcosBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.arccos(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -grad_output * rsqrt(1 - x * x)


class Atan(Function):
    """atan(x); d/dx = 1/(1 + x^2)."""
    node_name = "AtanBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.arctan(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (x * x + 1)


class Atan2(Function):
    """atan2(a, b), the angle of (b, a); d/da = b/(a^2+b^2), d/db = -a/(a^2+b^2)."""
    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        xa, xb = _pair(a, b)
        xp = _xp_of(a, b)
        if xa.dtype.kind not in "fc":
            dt = get_default_dtype().np
            xa, xb = xa.astype(dt), xb.astype(dt)
        try:
            with _errstate(xp):
                return xp.arctan2(xa, xb)
        except ValueError:
            raise broadcast_error(_shape(a), _shape(b)) from None

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        r = grad_output / (a * a + b * b)
        return (r * b if ctx.needs_input_grad[0] else None,
                -r * a if ctx.needs_input_grad[1] else None)


class Sinh(Function):
    node_name = "SinhBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.sinh(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * cosh(x)


class Cosh(Function):
    node_name = "CoshBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_float(x, lambda xp, a: xp.cosh(a))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * sinh(x)


class Tanh(Function):
    """tanh(x); d/dx tanh(x) = 1 - tanh(x)^2, so the output is saved."""
    node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, x):
        a = _float_data(x)  # tanh never warns: no errstate needed (-2 us per call)
        y = Tensor._make(get_array_module(a).tanh(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        if not _state.enabled:  # not recording: one private temporary, updated in place
            yd = y._data
            xp = get_array_module(yd)
            t = xp.multiply(yd, yd, out=xp.empty_like(yd))  # an array even when 0-dim
            xp.subtract(1, t, out=t)
            xp.multiply(t, grad_output._data, out=t)
            return Tensor._make(t)
        return grad_output * (1 - y * y)


def _sigmoid_array(xp, a):
    # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0: exp never overflows
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1.0, e) / (1.0 + e)


class Sigmoid(Function):
    """1 / (1 + exp(-x)), stable for large |x|; d/dx = y (1 - y), so the output is saved."""
    node_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(_unary_float(x, _sigmoid_array))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (y * (1 - y))


class Relu(Function):
    """max(x, 0); the gradient passes where the output is positive (saved output)."""
    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        a = x._data
        if a.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        xp = get_array_module(a)
        y = Tensor._make(xp.maximum(a, xp.zeros((), dtype=a.dtype)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        if not _state.enabled:
            return Tensor._make(_relu_grad(y._data, grad_output._data))
        return _where(y > 0, grad_output, 0.0)


_INT_OF_SIZE = {2: np.int16, 4: np.int32, 8: np.int64}


def _relu_grad(y, g):
    """where(y > 0, g, 0) on raw arrays, exactly (+0.0 where y <= 0, even for NaN/inf in g).

    The gradient's bits ANDed with an all-ones/all-zeros mask: 8x faster than NumPy's where,
    whose per-element branch mispredicts on a ReLU pattern (W2: 3.2 -> 0.4 ms per ReLU). The mask
    is one byte per element, sign-extended by the AND (a 4-byte mask: 0.58 -> 0.46 ms on W2's
    first ReLU)."""
    xp = get_array_module(y)
    itype = _INT_OF_SIZE.get(g.dtype.itemsize) if g.dtype.kind == "f" else None
    if itype is None or g.dtype != y.dtype or g.shape != y.shape or y.ndim == 0:
        return xp.where(y > 0, g, xp.zeros((), dtype=g.dtype))
    mask = xp.greater(y, 0).view(np.int8)  # 1 / 0
    xp.negative(mask, out=mask)  # 1 -> -1 (all bits set), 0 -> 0
    return xp.bitwise_and(g.view(itype), mask).view(g.dtype)


class Erf(Function):
    """erf(x); d/dx = 2/sqrt(pi) exp(-x^2)."""
    node_name = "ErfBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        a = _float_data(x)
        return _erf_kernel(a).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)


# ============================================================================= clamp / min / max
def _clamp_array(xp, a, lo, hi):
    if lo is not None:
        a = xp.maximum(a, lo)
    if hi is not None:
        a = xp.minimum(a, hi)
    return a


class ClampScalar(Function):
    """clamp(x, min, max) with Python numbers; the gradient passes where min <= x <= max."""
    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        a = x._data
        dt = result_type(x, *(v for v in (lo, hi) if v is not None)).np
        if a.dtype != dt:
            a = a.astype(dt)
        if a.dtype.kind in "iu":
            lo = _wrap_int(lo, a.dtype) if type(lo) is int else lo
            hi = _wrap_int(hi, a.dtype) if type(hi) is int else hi
        return _clamp_array(get_array_module(a), a, lo, hi)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.lo, ctx.hi
        if lo is not None and hi is not None:
            mask = (x >= lo) & (x <= hi)
        elif lo is not None:
            mask = x >= lo
        else:
            mask = x <= hi
        return _where(mask, grad_output, 0.0), None, None


class ClampMinScalar(ClampScalar):
    node_name = "ClampMinBackward0"


class ClampMaxScalar(ClampScalar):
    node_name = "ClampMaxBackward0"


class ClampTensor(Function):
    """clamp(x, min, max) with tensor bounds; where x is outside, the gradient goes to the bound."""
    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        dt = result_type(x, *(v for v in (lo, hi) if v is not None)).np
        _broadcast_shapes(*(v._data.shape for v in (x, lo, hi) if v is not None))
        xp = get_array_module(x._data)
        arrs = [None if v is None else (v._data if v._data.dtype == dt else v._data.astype(dt))
                for v in (x, lo, hi)]
        return _clamp_array(xp, *arrs)

    @staticmethod
    def backward(ctx, grad_output):
        x, lo, hi = ctx.saved_tensors
        gx = glo = ghi = None
        ge = x >= lo if lo is not None else None
        le = x <= hi if hi is not None else None
        mask = ge & le if ge is not None and le is not None else (ge if ge is not None else le)
        if ctx.needs_input_grad[0]:
            gx = _where(mask, grad_output, 0.0)
        if lo is not None and ctx.needs_input_grad[1]:
            glo = _where(logical_not(ge), grad_output, 0.0)
        if hi is not None and ctx.needs_input_grad[2]:
            ghi = _where(logical_not(le), grad_output, 0.0)
        return gx, glo, ghi


class ClampMinTensor(ClampTensor):
    node_name = "ClampMinBackward1"


class ClampMaxTensor(ClampTensor):
    node_name = "ClampMaxBackward1"


class Maximum(Function):
    """max(a, b) elementwise (NaN propagates); at ties each side gets half the gradient."""
    node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(get_array_module(a._data).maximum, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        half = _where(a == b, grad_output / 2, grad_output)
        return (_where(a < b, 0.0, half) if ctx.needs_input_grad[0] else None,
                _where(a > b, 0.0, half) if ctx.needs_input_grad[1] else None)


class Minimum(Function):
    """min(a, b) elementwise (NaN propagates); at ties each side gets half the gradient."""
    node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(get_array_module(a._data).minimum, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        half = _where(a == b, grad_output / 2, grad_output)
        return (_where(a > b, 0.0, half) if ctx.needs_input_grad[0] else None,
                _where(a < b, 0.0, half) if ctx.needs_input_grad[1] else None)


def _lerp_array(xp, s, e, w):
    # PyTorch's formula: accurate at both ends (w < 0.5 from the start, else from the end)
    diff = e - s
    with _errstate(xp):
        return xp.where(xp.abs(w) < 0.5, s + w * diff, e - diff * (1 - w))


class LerpScalar(Function):
    """start + weight * (end - start) with a Python weight."""
    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.w = weight
        s, e = start._data, end._data
        _broadcast_shapes(s.shape, e.shape)
        with _errstate(get_array_module(s)):
            # PyTorch's formula: accurate at both ends
            return s + weight * (e - s) if weight < 0.5 and weight > -0.5 else e - (e - s) * (1 - weight)

    @staticmethod
    def backward(ctx, grad_output):
        w = ctx.w
        return (grad_output * (1 - w) if ctx.needs_input_grad[0] else None,
                grad_output * w if ctx.needs_input_grad[1] else None, None)


class LerpTensor(Function):
    """start + weight * (end - start) with a tensor weight; d/dweight = end - start."""
    node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        s, e, w = start._data, end._data, weight._data
        _broadcast_shapes(s.shape, e.shape, w.shape)
        return _lerp_array(get_array_module(s), s, e, w).astype(s.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_output):
        start, end, w = ctx.saved_tensors
        return (grad_output * (1 - w) if ctx.needs_input_grad[0] else None,
                grad_output * w if ctx.needs_input_grad[1] else None,
                grad_output * (end - start) if ctx.needs_input_grad[2] else None)


class Addcmul(Function):
    """input + value * t1 * t2."""
    node_name = "AddcmulBackward0"

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(t1 if ctx_needs(ctx, 2) else None, t2 if ctx_needs(ctx, 1) else None)
        ctx.value = value
        dt = result_type(x, t1, t2).np
        a, b, c = (v._data if v._data.dtype == dt else v._data.astype(dt) for v in (x, t1, t2))
        xp = get_array_module(a)
        _broadcast_shapes(a.shape, b.shape, c.shape)
        prod = b * c
        if value != 1:
            prod = prod * (xp.asarray(value).astype(dt) if dt.kind in "iub" else value)
        return a + prod

    @staticmethod
    def backward(ctx, grad_output):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        g = grad_output if v == 1 else grad_output * v
        return (grad_output if ctx.needs_input_grad[0] else None,
                g * t2 if ctx.needs_input_grad[1] else None,
                g * t1 if ctx.needs_input_grad[2] else None, None)


class Addcdiv(Function):
    """input + value * t1 / t2."""
    node_name = "AddcdivBackward0"

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        if t1._data.dtype.kind in "iub" and t2._data.dtype.kind in "iub":
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
                "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
                "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
                "float inputs. The future addcdiv behavior is just the latter implementation: "
                "(input + value * tensor1 / tensor2), for all dtypes.")
        dt = result_type(x, t1, t2).np
        a, b, c = (v._data if v._data.dtype == dt else v._data.astype(dt) for v in (x, t1, t2))
        _broadcast_shapes(a.shape, b.shape, c.shape)
        with _errstate(get_array_module(a)):
            q = b / c
            if value != 1:
                q = q * value
            return a + q

    @staticmethod
    def backward(ctx, grad_output):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        g = grad_output if v == 1 else grad_output * v
        return (grad_output if ctx.needs_input_grad[0] else None,
                g / t2 if ctx.needs_input_grad[1] else None,
                -g * t1 / (t2 * t2) if ctx.needs_input_grad[2] else None, None)


# ============================================================================= rounding
class _Rounding(Function):
    """Piecewise-constant rounding: zero gradient; integer tensors come back unchanged (a copy)."""
    node_name = "FloorBackward0"
    kernel = "floor"

    @classmethod
    def forward(cls, ctx, x):
        a = x._data
        if a.dtype.kind in "iub":
            return a.copy()
        return getattr(get_array_module(a), cls.kernel)(a)

    @staticmethod
    def backward(ctx, grad_output):
        return _zeros_like(grad_output)


class Floor(_Rounding):
    node_name = "FloorBackward0"
    kernel = "floor"


class Ceil(_Rounding):
    node_name = "CeilBackward0"
    kernel = "ceil"


class Trunc(_Rounding):
    node_name = "TruncBackward0"
    kernel = "trunc"


class Round(_Rounding):
    """Round half to even, as PyTorch (and NumPy)."""
    node_name = "RoundBackward0"
    kernel = "rint"


class RoundDecimals(Function):
    """round(x * 10**d) / 10**d, half to even; zero gradient."""
    node_name = "RoundBackward1"

    @staticmethod
    def forward(ctx, x, decimals):
        a = x._data
        if a.dtype.kind in "iub":
            raise NotImplementedError(f"\"round_cpu\" not implemented for '{_type_title(a.dtype)}'")
        xp = get_array_module(a)
        with _errstate(xp):
            if decimals >= 0:
                p = a.dtype.type(10.0 ** decimals)
                return xp.rint(a * p) / p
            p = a.dtype.type(10.0 ** -decimals)
            return xp.rint(a / p) * p

    @staticmethod
    def backward(ctx, grad_output):
        return _zeros_like(grad_output), None


class Frac(Function):
    """x - trunc(x); d/dx = 1."""
    node_name = "FracBackward0"

    @staticmethod
    def forward(ctx, x):
        a = x._data
        if a.dtype.kind in "iub":
            raise NotImplementedError(f"\"frac_cpu\" not implemented for '{_type_title(a.dtype)}'")
        return a - get_array_module(a).trunc(a)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


class NanToNum(Function):
    """NaN -> nan, +inf -> posinf, -inf -> neginf (defaults: the dtype's extremes)."""
    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        a = x._data
        if a.dtype.kind not in "fc":
            return a.copy()
        ctx.save_for_backward(x)
        xp = get_array_module(a)
        fi = np.finfo(a.dtype)
        out = xp.where(xp.isnan(a), xp.asarray(nan, dtype=a.dtype), a)
        out = xp.where(xp.isposinf(a), xp.asarray(fi.max if posinf is None else posinf, dtype=a.dtype),
                       out)
        out = xp.where(xp.isneginf(a), xp.asarray(fi.min if neginf is None else neginf, dtype=a.dtype),
                       out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return _where(isfinite(x), grad_output, 0.0), None, None, None


# ============================================================================= special functions
def _float_binary_dtype(a, b, fn):
    """PyTorch's result dtype for a float-only binary kernel (hypot, logaddexp, nextafter): integer
    or bool results are refused with its CPU kernel's NotImplementedError."""
    dt = result_type(a, b).np
    if dt.kind != "f":
        raise NotImplementedError(f"\"{fn}_cpu\" not implemented for '{_type_title(dt)}'")
    return dt


def _float_result_dtype(*vals):
    """The promoted dtype of `vals`, integers and bool computing in the default float dtype."""
    dt = result_type(*vals).np
    return dt if dt.kind in "fc" else get_default_dtype().np


def _cast(v, dt):
    """A tensor's array in dtype `dt` (no copy when already there); a Python number unchanged."""
    if isinstance(v, Tensor):
        a = v._data
        return a if a.dtype == dt else a.astype(dt)
    return v


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow; d/da = a / out, d/db = b / out."""
    node_name = "HypotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        dt = _float_binary_dtype(a, b, "hypot")
        out = Tensor._make(_float_kernel(a, b, dt, lambda xp, x, y: xp.hypot(x, y)))
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        a, b, out = ctx.saved_tensors
        r = grad_output / out
        return (r * a if ctx.needs_input_grad[0] else None,
                r * b if ctx.needs_input_grad[1] else None)


def _float_kernel(a, b, dt, kernel):
    """kernel(xp, xa, xb) on both tensors cast to `dt`, NumPy's warnings silenced, PyTorch's errors
    for two devices or shapes that do not broadcast."""
    xa, xb = _cast(a, dt), _cast(b, dt)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        check_same_device(xa, xb)
    xp = _xp_of(a, b)
    try:
        with _errstate(xp):
            r = kernel(xp, xa, xb)
    except ValueError:
        raise broadcast_error(_shape(a), _shape(b)) from None
    return r if r.dtype == dt else r.astype(dt)


def _logaddexp_complex(xp, x, y):
    # PyTorch's complex rule: the operand with the larger real part leads, max + log1p(exp(min - max))
    first = x.real >= y.real
    hi, lo = xp.where(first, x, y), xp.where(first, y, x)
    return hi + xp.log1p(xp.exp(lo - hi))


class Logaddexp(Function):
    """log(exp(a) + exp(b)) without overflow; d/da = 1 / (1 + exp(b - a))."""
    node_name = "LogaddexpBackward0"

    @staticmethod
    def forward(ctx, a, b):
        dt = result_type(a, b).np
        if dt.kind != "c":
            dt = _float_binary_dtype(a, b, "logaddexp")
        ctx.save_for_backward(a, b)
        return _float_kernel(a, b, dt, _logaddexp_complex if dt.kind == "c" else
                             (lambda xp, x, y: xp.logaddexp(x, y)))

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return (grad_output / (exp(b - a) + 1) if ctx.needs_input_grad[0] else None,
                grad_output / (exp(a - b) + 1) if ctx.needs_input_grad[1] else None)


class Logaddexp2(Function):
    """log2(2^a + 2^b) without overflow; d/da = 1 / (1 + 2^(b - a))."""
    node_name = "Logaddexp2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        dt = _float_binary_dtype(a, b, "logaddexp2")
        ctx.save_for_backward(a, b)
        return _float_kernel(a, b, dt, lambda xp, x, y: xp.logaddexp2(x, y))

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return (grad_output / (exp2(b - a) + 1) if ctx.needs_input_grad[0] else None,
                grad_output / (exp2(a - b) + 1) if ctx.needs_input_grad[1] else None)


def _xlogy_kernel(xp, x, y):
    # PyTorch's rule: 0 * log(y) is 0 for every y but NaN
    if not hasattr(x, "dtype"):
        x = xp.full((), x, dtype=y.dtype)
    if not hasattr(y, "dtype"):
        y = xp.full((), y, dtype=x.dtype)
    return xp.where((x == 0) & ~xp.isnan(y), xp.zeros((), dtype=x.dtype), x * xp.log(y))


class Xlogy(Function):
    """x * log(y), 0 where x == 0 (unless y is NaN); d/dx = log(y) (0 where x == 0 and y <= 0),
    d/dy = x / y. Either operand may be a Python number (PyTorch's XlogyBackward1 / 2)."""
    node_name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, a, b):
        dt = _float_result_dtype(a, b)
        if dt.kind == "c":
            raise NotImplementedError(f"\"xlogy_cpu\" not implemented for '{_type_title(dt)}'")
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
        ctx.sa = None if isinstance(a, Tensor) else a
        ctx.sb = None if isinstance(b, Tensor) else b
        return _float_kernel(a, b, dt, _xlogy_kernel)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        ga = gb = None
        if a is not None and ctx.needs_input_grad[0]:
            if b is not None:
                ga = _where((a == 0) & (b <= 0), 0.0, xlogy(grad_output, b))
            else:
                ga = xlogy(grad_output, ctx.sb)
                if ctx.sb <= 0:
                    ga = _where(a == 0, 0.0, ga)
        if b is not None and ctx.needs_input_grad[1]:
            gb = grad_output * (a if a is not None else ctx.sa) / b
        return ga, gb


class XlogyScalarSelf(Xlogy):
    node_name = "XlogyBackward1"


class XlogyScalarOther(Xlogy):
    node_name = "XlogyBackward2"


class Logit(Function):
    """log(z / (1 - z)) with z = x, or x clamped to [eps, 1 - eps] when eps >= 0 is given.
    d/dx = 1 / (x (1 - x)): 0 where eps clamped x, NaN outside [0, 1] without eps."""
    node_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps):
        if x._data.dtype.kind == "c":
            raise NotImplementedError(f"\"logit_cpu\" not implemented for '{_type_title(x._data.dtype)}'")
        ctx.save_for_backward(x)
        ctx.eps = eps

        def kernel(xp, a):
            if eps is not None:
                lo, hi = a.dtype.type(eps), a.dtype.type(1 - eps)
                # PyTorch's order of tests (a NaN stays NaN, lo > hi picks lo below lo)
                a = xp.where(a < lo, lo, xp.where(a > hi, hi, a))
            return xp.log(a / (1 - a))
        return _unary_float(x, kernel)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        eps = ctx.eps
        g = grad_output / (x * (1 - x))
        if eps is None:
            return _where((x < 0) | (x > 1), float("nan"), g), None
        return _where((x < eps) | (x > 1 - eps), 0.0, g), None


_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2

# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision:
# erfinv(x) ~ x p(w), w = -log(1 - x^2), one polynomial for w < 5 (in w - 2.5), one beyond (in
# sqrt(w) - 3); coefficients highest degree first
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coefs, w):
    p = coefs[0]
    for c in coefs[1:]:
        p = p * w + c
    return p


def _erfinv_fallback(a):
    """erfinv in float64 without SciPy: Giles' single-precision approximation, refined by Halley
    steps on erf(y) = |x| for |x| <= 1/2 and by Newton steps on log erfc(y) = log(1 - |x|) beyond
    (1 - |x| is exact there, and the log makes the steps converge from Giles' rough guess near
    +-1, where w = -log(1 - x^2) is past the range it was fitted for)."""
    xp = get_array_module(a)
    x = a.astype(np.float64)
    ax = xp.abs(x)
    inside = ax < 1.0
    t = xp.where(inside, ax, 0.0)
    w = -xp.log((1.0 - t) * (1.0 + t))
    y = t * xp.where(w < 5.0, _horner(_GILES_CENTRAL, w - 2.5),
                     _horner(_GILES_TAIL, xp.sqrt(xp.maximum(w, 5.0)) - 3.0))
    tail = t > 0.5
    q = xp.where(tail, 1.0 - t, 0.5)
    log_q = xp.log(q)
    for _ in range(3):  # erf(y) = t: Halley (f'' = -2 y f')
        r = (_erf_kernel(y) - t) / (_TWO_OVER_SQRT_PI * xp.exp(-y * y))
        y = xp.where(tail, y, y - r / (1.0 + y * r))
    yt = xp.where(tail, y, 1.0)
    for _ in range(6):  # log erfc(y) = log q: Newton, d/dy log erfc(y) = -2/sqrt(pi) exp(-y^2) / erfc(y)
        c = _erfc_kernel(yt)
        yt = yt + (xp.log(c) - log_q) * c / (_TWO_OVER_SQRT_PI * xp.exp(-yt * yt))
    y = xp.where(tail, yt, y)
    y = xp.where(inside, xp.copysign(y, x), xp.where(ax == 1.0, xp.copysign(math.inf, x), math.nan))
    y = xp.where(x == 0, x, xp.where(xp.isnan(x), x, y))
    return y.astype(a.dtype, copy=False)


def _erfinv_array(a):
    """erfinv of a float array: SciPy's / cupyx's kernel, or `_erfinv_fallback` without them."""
    try:
        return _special_kernel("erfinv", a)
    except RuntimeError:
        return _erfinv_fallback(a)


class Erfinv(Function):
    """The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside); d/dx = sqrt(pi)/2 exp(y^2)."""
    node_name = "ErfinvBackward0"

    @staticmethod
    def forward(ctx, x):
        a = _float_data(x)
        xp = get_array_module(a)
        if a.dtype.kind == "c":
            raise NotImplementedError(f"\"erfinv_vml_cpu\" not implemented for '{_type_title(a.dtype)}'")
        with _errstate(xp):
            # float16 computes in float32, as PyTorch's CPU kernel, then rounds
            y = _erfinv_array(a.astype(np.float32) if a.dtype == np.float16 else a)
            y = xp.where(a == 0, a, y.astype(a.dtype, copy=False))  # erfinv(-0.0) = -0.0
        y = Tensor._make(y)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (exp(y * y) * _SQRT_PI_OVER_2)


class Sinc(Function):
    """sin(pi x) / (pi x), 1 at 0; d/dx = (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at 0."""
    node_name = "SincBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)

        def kernel(xp, a):
            w = a.astype(np.float32) if a.dtype == np.float16 else a  # float16 computes in float32
            p = w * math.pi
            r = xp.where(w == 0, xp.ones((), dtype=w.dtype), xp.sin(p) / p)
            return r.astype(a.dtype, copy=False)
        return _unary_float(x, kernel)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        p = x * math.pi
        d = (p * cos(p) - sin(p)) / (p * x)
        return _where(x == 0, 0.0, d) * grad_output


class Copysign(Function):
    """|a| with the sign (bit) of b; d/da = out / a (0 where a == 0), d/db = 0."""
    node_name = "CopysignBackward0"

    @staticmethod
    def forward(ctx, a, b):
        dt = result_type(a, b).np
        if dt.kind == "c":
            raise NotImplementedError(f"\"copysign_cpu\" not implemented for '{_type_title(dt)}'")
        if dt.kind != "f":
            dt = get_default_dtype().np
        if not isinstance(b, Tensor):
            b = float(b)
        out = Tensor._make(_float_kernel(a, b, dt, lambda xp, x, y: xp.copysign(x, y)))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        a, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = grad_output * _where(a == 0, 0.0, out / a)
        if len(ctx.needs_input_grad) > 1 and ctx.needs_input_grad[1]:
            gb = _zeros_like(grad_output)
        return ga, gb


class CopysignScalar(Copysign):
    node_name = "CopysignBackward1"


class Heaviside(Function):
    """The step function: 0 for x < 0 (and NaN), values at x == 0, 1 for x > 0. PyTorch has no
    derivative for it: backward raises."""
    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, values):
        a, v = x._data, values._data
        if a.dtype != v.dtype:
            raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
        if a.dtype.kind == "c":
            raise RuntimeError("heaviside is not yet implemented for complex tensors.")
        check_same_device(a, v)
        xp = get_array_module(a)
        try:
            with _errstate(xp):
                return xp.where(a == 0, v, a > 0).astype(a.dtype, copy=False)
        except ValueError:
            raise broadcast_error(a.shape, v.shape) from None

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


class Nextafter(Function):
    """The next representable float after a toward b; PyTorch passes the gradient to a where
    a != b (0 where they are equal) and gives b a zero gradient."""
    node_name = "NextafterBackward0"

    @staticmethod
    def forward(ctx, a, b):
        dt = _float_binary_dtype(a, b, "nextafter")
        ctx.save_for_backward(a, b)
        return _float_kernel(a, b, dt, lambda xp, x, y: xp.nextafter(x, y))

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return (_where(a == b, 0.0, grad_output) if ctx.needs_input_grad[0] else None,
                _zeros_like(grad_output) if ctx.needs_input_grad[1] else None)


class Ldexp(Function):
    """a * 2^b. An integer exponent scales exactly (C's ldexp, the exponent taken as a 32-bit int
    as PyTorch does); a float exponent multiplies by 2^b computed in b's dtype, as PyTorch.
    d/da = 2^b, d/db = a 2^b ln 2."""
    node_name = "LdexpBackward0"

    @staticmethod
    def forward(ctx, a, b):
        xa, xb = a._data, b._data
        dt = result_type(a, b).np
        if dt.kind not in "fc":
            dt = get_default_dtype().np
        if xb.dtype.kind == "b" and xa.dtype.kind == "f":
            raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
        check_same_device(xa, xb)
        ctx.save_for_backward(a if ctx_needs(ctx, 1) else None, b)
        xp = get_array_module(xa)
        xa = xa if xa.dtype == dt else xa.astype(dt)
        try:
            with _errstate(xp):
                if dt.kind == "c":  # complex: a * exp(b ln 2)
                    return xa * xp.exp(xb.astype(dt) * _LN2)
                if xb.dtype.kind in "iu":
                    return xp.ldexp(xa, xb.astype(np.int32))
                p = xp.exp2(xb if xb.dtype.kind == "f" else xb.astype(dt))
                return xa * (p if p.dtype == dt else p.astype(dt))
        except ValueError:
            raise broadcast_error(a.shape, b.shape) from None

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = ldexp(grad_output, b)
        if ctx.needs_input_grad[1]:
            gb = ldexp(grad_output * a, b) * _LN2
        return ga, gb


# ============================================================================= wrappers
def add(input, other, *, alpha=1, out=None):
    """input + alpha * other."""
    if alpha != 1:
        _check_alpha(input, other, alpha, "add")
        if _is_bool(input) and _is_bool(other):
            alpha = bool(alpha)
    res = Add.apply(input, other, alpha)
    return res if out is None else _out(res, out)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other."""
    if alpha != 1:
        _check_alpha(input, other, alpha, "sub")
    if isinstance(input, Tensor):
        res = Sub.apply(input, other, alpha)
    else:
        _need_number_or_tensor(input, "sub")
        res = Rsub.apply(other, input, alpha)
    return res if out is None else _out(res, out)


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return sub(other, input, alpha=alpha)


def mul(input, other, *, out=None):
    res = Mul.apply(input, other)
    return res if out is None else _out(res, out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """True division, or rounded with rounding_mode 'trunc' / 'floor'."""
    if rounding_mode is None:
        if not isinstance(input, Tensor) and isinstance(other, Tensor):
            # PyTorch computes `s / x` as `reciprocal(x) * s`
            res = Mul.apply(reciprocal(other), input)
        else:
            res = Div.apply(input, other)
    elif rounding_mode in ("trunc", "floor"):
        res = DivMode.apply(input, other, rounding_mode)
    else:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{rounding_mode}'")
    return _out(res, out)


divide = div


def true_divide(dividend, divisor, *, out=None):
    return div(dividend, divisor, out=out)


def floor_divide(input, other, *, out=None):
    """input // other, rounding toward -inf (no derivative, as PyTorch)."""
    return _out(FloorDivide.apply(input, other), out)


def remainder(input, other, *, out=None):
    """Python's modulus: the result has the sign of the divisor."""
    if isinstance(input, Tensor):
        res = Remainder.apply(input, other) if isinstance(other, Tensor) else \
            RemainderScalar.apply(input, _to_scalar(other))
    else:
        _need_tensor(other, "remainder", "other", 2)
        res = RemainderScalarSelf.apply(_to_scalar(input), other)
    return _out(res, out)


def fmod(input, other, *, out=None):
    """C's fmod: the result has the sign of the dividend."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}), but expected one of: "
                        f"(Tensor input, Tensor other) or (Tensor input, Number other)")
    res = Fmod.apply(input, other) if isinstance(other, Tensor) else \
        FmodScalar.apply(input, _to_scalar(other))
    return _out(res, out)


def neg(input, *, out=None):
    _need_tensor(input, "neg")
    return _out(Neg.apply(input), out)


negative = neg


def positive(input):
    check_tensor("positive", "input", 1, input)
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def pow(input, exponent, *, out=None):  # noqa: A001 - torch's name
    """input ** exponent with a tensor or a Python number on either side."""
    if isinstance(input, Tensor):
        if isinstance(exponent, Tensor):
            res = PowTensorTensor.apply(input, exponent)
        else:
            res = PowTensorScalar.apply(input, _to_scalar(exponent))
    elif isinstance(exponent, Tensor):
        res = PowScalarTensor.apply(_to_scalar(input), exponent)
    else:
        raise TypeError(f"pow() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(exponent).__name__}), but expected one of: "
                        "(Tensor input, Tensor exponent), (Number self, Tensor exponent), "
                        "(Tensor input, Number exponent)")
    return _out(res, out)


def float_power(input, exponent, *, out=None):
    """pow computed in double precision (complex128 when an operand is complex)."""
    from .inplace import to  # noqa: PLC0415
    cplx = any((isinstance(v, Tensor) and v.is_complex()) or isinstance(v, complex)
               for v in (input, exponent))
    from .._dtype import complex128, float64  # noqa: PLC0415
    dt = complex128 if cplx else float64

    def cast(v):
        if isinstance(v, Tensor):
            return to(v, None, dt)
        return complex(v) if cplx else float(v)
    return pow(cast(input), cast(exponent), out=out)


def square(input, *, out=None):
    return pow(input, 2, out=out)


def abs(input, *, out=None):  # noqa: A001 - torch's name
    _need_tensor(input, "abs")
    return _out(Abs.apply(input), out)


absolute = abs


def sign(input, *, out=None):
    _need_tensor(input, "sign")
    return _out(Sign.apply(input), out)


def sgn(input, *, out=None):
    _need_tensor(input, "sgn")
    return _out(Sgn.apply(input), out)


def _unary(cls, name):
    def fn(input, *, out=None):
        if not isinstance(input, Tensor):
            _need_tensor(input, name)
        res = cls.apply(input)
        return res if out is None else _out(res, out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}, elementwise ({cls.__doc__ or cls.__name__})"
    return fn


reciprocal = _unary(Reciprocal, "reciprocal")
exp = _unary(Exp, "exp")
exp2 = _unary(Exp2, "exp2")
expm1 = _unary(Expm1, "expm1")
log = _unary(Log, "log")
log2 = _unary(Log2, "log2")
log10 = _unary(Log10, "log10")
log1p = _unary(Log1p, "log1p")
sqrt = _unary(Sqrt, "sqrt")
rsqrt = _unary(Rsqrt, "rsqrt")
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")
tan = _unary(Tan, "tan")
asin = arcsin = _unary(Asin, "asin")
acos = arccos = _unary(Acos, "acos")
atan = arctan = _unary(Atan, "atan")
sinh = _unary(Sinh, "sinh")
cosh = _unary(Cosh, "cosh")
tanh = _unary(Tanh, "tanh")
sigmoid = _unary(Sigmoid, "sigmoid")
relu = _unary(Relu, "relu")
erf = _unary(Erf, "erf")
floor = _unary(Floor, "floor")
ceil = _unary(Ceil, "ceil")
trunc = fix = _unary(Trunc, "trunc")
frac = _unary(Frac, "frac")


def atan2(input, other, *, out=None):
    _need_tensor(input, "atan2")
    _need_tensor(other, "atan2", "other", 2)
    return _out(Atan2.apply(input, other), out)


arctan2 = atan2


def round(input, *, decimals=0, out=None):  # noqa: A001 - torch's name
    """Round half to even; with `decimals`, to that many decimal places."""
    _need_tensor(input, "round")
    if decimals == 0:
        return _out(Round.apply(input), out)
    return _out(RoundDecimals.apply(input, int(decimals)), out)


def _scalar_bound(v):
    if isinstance(v, np.generic):
        return v.item()
    return v


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002 - torch's names
    """Clamp into [min, max]; bounds are Python numbers or tensors (broadcast)."""
    _need_tensor(input, "clamp")
    min, max = _scalar_bound(min), _scalar_bound(max)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    tmin, tmax = isinstance(min, Tensor), isinstance(max, Tensor)
    if tmin or tmax:
        if (min is not None and not tmin) or (max is not None and not tmax):
            raise TypeError("clamp() received an invalid combination of arguments - got (Tensor, "
                            f"min={type(min).__name__}, max={type(max).__name__}), but expected one "
                            "of: (Tensor input, Tensor min, Tensor max) or (Tensor input, Number min, "
                            "Number max)")
        return _out(ClampTensor.apply(input, min, max), out)
    return _out(ClampScalar.apply(input, min, max), out)


clip = clamp


def clamp_min(input, min, *, out=None):  # noqa: A002
    _need_tensor(input, "clamp_min")
    min = _scalar_bound(min)
    if isinstance(min, Tensor):
        return _out(ClampMinTensor.apply(input, min, None), out)
    return _out(ClampMinScalar.apply(input, min, None), out)


def clamp_max(input, max, *, out=None):  # noqa: A002
    _need_tensor(input, "clamp_max")
    max = _scalar_bound(max)
    if isinstance(max, Tensor):
        return _out(ClampMaxTensor.apply(input, None, max), out)
    return _out(ClampMaxScalar.apply(input, None, max), out)


def maximum(input, other, *, out=None):
    _need_tensor(input, "maximum")
    _need_tensor(other, "maximum", "other", 2)
    return _out(Maximum.apply(input, other), out)


def minimum(input, other, *, out=None):
    _need_tensor(input, "minimum")
    _need_tensor(other, "minimum", "other", 2)
    return _out(Minimum.apply(input, other), out)


def _lerp_check(name, t, ref):
    if t._data.dtype != ref._data.dtype:
        raise RuntimeError(f"expected dtype {_c_type_name(ref._data.dtype)} for `{name}` but got dtype "
                           f"{_c_type_name(t._data.dtype)}")


def lerp(input, end, weight, *, out=None):
    """input + weight * (end - input); weight a Python number or a tensor."""
    _need_tensor(input, "lerp")
    _need_tensor(end, "lerp", "end", 2)
    _lerp_check("end", end, input)
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f"\"lerp_kernel_scalar\" not implemented for "
                                  f"'{_type_title(input._data.dtype)}'")
    if isinstance(weight, Tensor):
        if weight._data.ndim > 0 or weight._data.dtype.kind not in "fc":
            _lerp_check("weight", weight, input)
        elif weight._data.dtype != input._data.dtype:
            weight = weight.to(input.dtype)
        return _out(LerpTensor.apply(input, end, weight), out)
    return _out(LerpScalar.apply(input, end, _to_scalar(weight)), out)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2."""
    _need_tensor(input, "addcmul")
    return _out(Addcmul.apply(input, tensor1, tensor2, value), out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2."""
    _need_tensor(input, "addcdiv")
    return _out(Addcdiv.apply(input, tensor1, tensor2, value), out)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    _need_tensor(input, "nan_to_num")
    return _out(NanToNum.apply(input, nan, posinf, neginf), out)


# ============================================================================= special functions
def _need_two_tensors(input, other, fn, arg="other"):
    _need_tensor(input, fn)
    _need_tensor(other, fn, arg, 2)


def _invalid_args(fn, input, other, forms):
    return TypeError(f"{fn}() received an invalid combination of arguments - got "
                     f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
                     + "".join(f" * ({f}, *, Tensor out = None)\n" for f in forms))


_NUMBER = (bool, int, float, np.generic)


def hypot(input, other, *, out=None):
    """sqrt(input^2 + other^2), elementwise, without intermediate overflow."""
    _need_two_tensors(input, other, "hypot")
    return _out(Hypot.apply(input, other), out)


def logaddexp(input, other, *, out=None):
    """log(exp(input) + exp(other)), elementwise, without overflow."""
    _need_two_tensors(input, other, "logaddexp")
    return _out(Logaddexp.apply(input, other), out)


def logaddexp2(input, other, *, out=None):
    """log2(2^input + 2^other), elementwise, without overflow."""
    _need_two_tensors(input, other, "logaddexp2")
    return _out(Logaddexp2.apply(input, other), out)


def xlogy(input, other, *, out=None):
    """input * log(other), 0 where input == 0 (unless other is NaN); either may be a number."""
    ti, to = isinstance(input, Tensor), isinstance(other, Tensor)
    if ti and to:
        res = Xlogy.apply(input, other)
    elif ti and isinstance(other, _NUMBER):
        res = XlogyScalarOther.apply(input, _to_scalar(other))
    elif to and isinstance(input, _NUMBER):
        res = XlogyScalarSelf.apply(_to_scalar(input), other)
    else:
        raise _invalid_args("xlogy", input, other, ("Tensor input, Tensor other",
                                                    "Number self, Tensor other",
                                                    "Tensor input, Number other"))
    return _out(res, out)


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)); with eps, p is input clamped to [eps, 1 - eps] (a negative eps: no clamp)."""
    _need_tensor(input, "logit")
    if eps is not None:
        if not isinstance(eps, (int, float, np.integer, np.floating)):
            raise TypeError(f"logit(): argument 'eps' (position 2) must be float, not {type(eps).__name__}")
        eps = float(eps)
        if eps < 0:
            eps = None
    return _out(Logit.apply(input, eps), out)


def erfinv(input, *, out=None):
    """The inverse error function: erfinv(erf(x)) = x; +-inf at +-1, NaN outside [-1, 1]."""
    _need_tensor(input, "erfinv")
    return _out(Erfinv.apply(input), out)


def sinc(input, *, out=None):
    """The normalised sinc: sin(pi x) / (pi x), 1 at 0."""
    _need_tensor(input, "sinc")
    return _out(Sinc.apply(input), out)


def copysign(input, other, *, out=None):
    """|input| with the sign of other (a tensor or a number), as floats."""
    if not isinstance(input, Tensor) or not isinstance(other, (Tensor, bool, int, float, complex,
                                                                 np.generic)):
        raise _invalid_args("copysign", input, other, ("Tensor input, Tensor other",
                                                       "Tensor input, Number other"))
    if isinstance(other, Tensor):
        return _out(Copysign.apply(input, other), out)
    other = _to_scalar(other)
    if isinstance(other, complex):
        raise NotImplementedError(f"\"copysign_cpu\" not implemented for "
                                  f"'{_type_title(result_type(input, other).np)}'")
    return _out(CopysignScalar.apply(input, other), out)


def signbit(input, *, out=None):
    """True where the sign bit is set (-0.0 and negative NaNs included); a bool tensor."""
    _need_tensor(input, "signbit")
    a = input._data
    xp = get_array_module(a)
    if a.dtype.kind == "f":
        r = xp.signbit(a)
    elif a.dtype.kind == "i":
        r = a < 0
    elif a.dtype.kind in "ub":
        r = xp.zeros(a.shape, dtype=bool)
    else:
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    return _out(Tensor._make(r), out)


def heaviside(input, values, *, out=None):
    """The step function of input, taking `values` where input == 0 (same dtype required)."""
    _need_two_tensors(input, values, "heaviside", "values")
    return _out(Heaviside.apply(input, values), out)


def ldexp(input, other, *, out=None):
    """input * 2^other."""
    _need_two_tensors(input, other, "ldexp")
    return _out(Ldexp.apply(input, other), out)


def nextafter(input, other, *, out=None):
    """The next floating-point value after input toward other."""
    _need_two_tensors(input, other, "nextafter")
    return _out(Nextafter.apply(input, other), out)


# ============================================================================= comparisons
def _compare(name, op, input, other):
    """A comparison on promoted operands: a bool tensor without history."""
    if not isinstance(input, Tensor):
        if isinstance(other, Tensor):  # reflected: 2 < x is x > 2
            _need_number_or_tensor(input, name)
        else:
            check_tensor(name, "input", 1, input)
    else:
        _need_number_or_tensor(other, name)
    xa, xb = operands(input, other)
    xp = _xp_of(input, other)
    try:
        with _errstate(xp):
            return Tensor._make(op(xa, xb))
    except ValueError:
        raise broadcast_error(_shape(input), _shape(other)) from None


def eq(input, other, *, out=None):
    return _out(_compare("eq", _op_eq, input, other), out)


def ne(input, other, *, out=None):
    return _out(_compare("ne", _op_ne, input, other), out)


def lt(input, other, *, out=None):
    return _out(_compare("lt", _op_lt, input, other), out)


def le(input, other, *, out=None):
    return _out(_compare("le", _op_le, input, other), out)


def gt(input, other, *, out=None):
    return _out(_compare("gt", _op_gt, input, other), out)


def ge(input, other, *, out=None):
    return _out(_compare("ge", _op_ge, input, other), out)


def _op_eq(a, b):
    return a == b


def _op_ne(a, b):
    return a != b


def _op_lt(a, b):
    return a < b


def _op_le(a, b):
    return a <= b


def _op_gt(a, b):
    return a > b


def _op_ge(a, b):
    return a >= b


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements (dtypes may differ)."""
    _need_tensor(input, "equal")
    _need_tensor(other, "equal", "other", 2)
    if input._data.shape != other._data.shape:
        return False
    xa, xb = operands(input, other)
    return bool(get_array_module(xa).all(xa == xb))


def _same_dtype(input, other):
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{_type_title(input._data.dtype)} did not match "
                           f"{_type_title(other._data.dtype)}")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False, *, _name="isclose"):
    """|input - other| <= atol + rtol * |other|, elementwise (infinities equal themselves)."""
    _need_tensor(input, _name)
    _need_tensor(other, _name, "other", 2)
    _same_dtype(input, other)
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    a, b = input._data, other._data
    check_same_device(a, b)
    xp = get_array_module(a)
    try:
        with _errstate(xp):
            if a.dtype.kind in "iub":
                if a.dtype.kind == "b":
                    return Tensor._make(a == b)
                af, bf = a.astype(np.float64), b.astype(np.float64)
                return Tensor._make((a == b) | (xp.abs(af - bf) <= atol + rtol * xp.abs(bf)))
            return Tensor._make(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan, _name="allclose")._data.all())


# ============================================================================= logical / bitwise
def _logical(name, op, input, other):
    _need_tensor(input, name)
    _need_tensor(other, name, "other", 2)
    a, b = input._data, other._data
    xp = get_array_module(a)
    if type(a) is not type(b):
        from ._util import check_same_device  # noqa: PLC0415
        check_same_device(a, b)
    try:
        return Tensor._make(op(xp, a, b))
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None


def logical_and(input, other, *, out=None):
    return _out(_logical("logical_and", lambda xp, a, b: xp.logical_and(a, b), input, other), out)


def logical_or(input, other, *, out=None):
    return _out(_logical("logical_or", lambda xp, a, b: xp.logical_or(a, b), input, other), out)


def logical_xor(input, other, *, out=None):
    return _out(_logical("logical_xor", lambda xp, a, b: xp.logical_xor(a, b), input, other), out)


def logical_not(input, *, out=None):
    _need_tensor(input, "logical_not")
    return _out(Tensor._make(get_array_module(input._data).logical_not(input._data)), out)


def _bitwise(name, op, input, other):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__})")
    xa, xb = _pair(input, other)
    for v in (xa, xb):
        k = _kind(v)
        if k not in "iub":
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for "
                                      f"'{_type_title(v.dtype) if hasattr(v, 'dtype') else 'Float'}'")
    try:
        return Tensor._make(op(xa, xb))
    except ValueError:
        raise broadcast_error(_shape(input), _shape(other)) from None


def bitwise_and(input, other, *, out=None):
    return _out(_bitwise("bitwise_and", lambda a, b: a & b, input, other), out)


def bitwise_or(input, other, *, out=None):
    return _out(_bitwise("bitwise_or", lambda a, b: a | b, input, other), out)


def bitwise_xor(input, other, *, out=None):
    return _out(_bitwise("bitwise_xor", lambda a, b: a ^ b, input, other), out)


def bitwise_not(input, *, out=None):
    _need_tensor(input, "bitwise_not")
    a = input._data
    if a.dtype.kind not in "iub":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{_type_title(a.dtype)}'")
    return _out(Tensor._make(~a), out)


# ============================================================================= predicates
def isnan(input):
    _need_tensor(input, "isnan")
    return Tensor._make(get_array_module(input._data).isnan(input._data))


def isinf(input):
    _need_tensor(input, "isinf")
    return Tensor._make(get_array_module(input._data).isinf(input._data))


def isposinf(input):
    _need_tensor(input, "isposinf")
    a = input._data
    xp = get_array_module(a)
    return Tensor._make(xp.isposinf(a) if a.dtype.kind == "f" else xp.zeros(a.shape, dtype=bool))


def isneginf(input):
    _need_tensor(input, "isneginf")
    a = input._data
    xp = get_array_module(a)
    return Tensor._make(xp.isneginf(a) if a.dtype.kind == "f" else xp.zeros(a.shape, dtype=bool))


def isfinite(input):
    _need_tensor(input, "isfinite")
    return Tensor._make(get_array_module(input._data).isfinite(input._data))


def isreal(input):
    _need_tensor(input, "isreal")
    a = input._data
    xp = get_array_module(a)
    return Tensor._make(a.imag == 0 if a.dtype.kind == "c" else xp.ones(a.shape, dtype=bool))


# ============================================================================= in-place functions
def _inplace_fn(op, name):
    """torch.<name>(input, ...): `op` applied to input in place (autograd-aware, see ops.inplace)."""
    def fn(input, *args, **kwargs):
        from .inplace import inplace  # noqa: PLC0415
        _need_tensor(input, name)
        return inplace(input, op, *args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"In-place {op.__name__}: the result is written into `input`, which is returned."
    return fn


abs_ = _inplace_fn(abs, "abs_")
neg_ = negative_ = _inplace_fn(neg, "neg_")
exp_ = _inplace_fn(exp, "exp_")
exp2_ = _inplace_fn(exp2, "exp2_")
expm1_ = _inplace_fn(expm1, "expm1_")
log_ = _inplace_fn(log, "log_")
log2_ = _inplace_fn(log2, "log2_")
log10_ = _inplace_fn(log10, "log10_")
log1p_ = _inplace_fn(log1p, "log1p_")
sqrt_ = _inplace_fn(sqrt, "sqrt_")
rsqrt_ = _inplace_fn(rsqrt, "rsqrt_")
reciprocal_ = _inplace_fn(reciprocal, "reciprocal_")
square_ = _inplace_fn(square, "square_")
sin_ = _inplace_fn(sin, "sin_")
cos_ = _inplace_fn(cos, "cos_")
tan_ = _inplace_fn(tan, "tan_")
asin_ = arcsin_ = _inplace_fn(asin, "asin_")
acos_ = arccos_ = _inplace_fn(acos, "acos_")
atan_ = arctan_ = _inplace_fn(atan, "atan_")
sinh_ = _inplace_fn(sinh, "sinh_")
cosh_ = _inplace_fn(cosh, "cosh_")
tanh_ = _inplace_fn(tanh, "tanh_")
sigmoid_ = _inplace_fn(sigmoid, "sigmoid_")
erf_ = _inplace_fn(erf, "erf_")
floor_ = _inplace_fn(floor, "floor_")
ceil_ = _inplace_fn(ceil, "ceil_")
round_ = _inplace_fn(round, "round_")
trunc_ = fix_ = _inplace_fn(trunc, "trunc_")
frac_ = _inplace_fn(frac, "frac_")
clamp_ = clip_ = _inplace_fn(clamp, "clamp_")
clamp_min_ = _inplace_fn(clamp_min, "clamp_min_")
clamp_max_ = _inplace_fn(clamp_max, "clamp_max_")
nan_to_num_ = _inplace_fn(nan_to_num, "nan_to_num_")
sinc_ = _inplace_fn(sinc, "sinc_")
xlogy_ = _inplace_fn(xlogy, "xlogy_")
logit_ = _inplace_fn(logit, "logit_")
ldexp_ = _inplace_fn(ldexp, "ldexp_")
