"""Elementwise ops: arithmetic with broadcasting and PyTorch's dtype rules, unary math.

Each op is one Function with forward (on raw arrays, `xp` from the inputs) and backward (written
with Tensor ops, so double backward works). The engine sums broadcast gradients back to each
input's shape.
"""
from __future__ import annotations

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import broadcast_error, float_dtype_of, operands

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "exp", "log"]


def _shape(v):
    return v._data.shape if isinstance(v, Tensor) else ()


def _binary(op, a, b):
    """Apply a raw binary array op with PyTorch's broadcasting error."""
    xa, xb = operands(a, b)
    try:
        return op(xa, xb)
    except ValueError:
        raise broadcast_error(_shape(a), _shape(b)) from None


# ----------------------------------------------------------------------------- arithmetic
class Add(Function):
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if alpha == 1:
            return _binary(lambda x, y: x + y, a, b)
        return _binary(lambda x, y: x + alpha * y, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, (grad_output if ctx.alpha == 1 else grad_output * ctx.alpha), None


class Sub(Function):
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if _is_bool(a) and _is_bool(b):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        if alpha == 1:
            return _binary(lambda x, y: x - y, a, b)
        return _binary(lambda x, y: x - alpha * y, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, -grad_output if ctx.alpha == 1 else grad_output * (-ctx.alpha), None


def _is_bool(v):
    return (isinstance(v, Tensor) and v._data.dtype.kind == "b") or isinstance(v, bool)


class Mul(Function):
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        # d(a*b)/da = b, d(a*b)/db = a
        ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        ctx.save_for_backward(a if ta else None, b if tb else None)
        ctx.sa, ctx.sb = (None if ta else a), (None if tb else b)
        return _binary(lambda x, y: x * y, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = grad_output * (b if b is not None else ctx.sb)
        if ctx.needs_input_grad[1]:
            gb = grad_output * (a if a is not None else ctx.sa)
        return ga, gb


class Div(Function):
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b, rounding_mode=None):
        xa, xb = operands(a, b)
        xp = get_array_module(xa if isinstance(a, Tensor) else xb)
        ctx.rounding_mode = rounding_mode
        if rounding_mode is None:
            fa = _kind(xa) in "fc"
            fb = _kind(xb) in "fc"
            if not fa and not fb:  # integer / integer is true division in the default float dtype
                from .._dtype import get_default_dtype  # noqa: PLC0415
                dt = get_default_dtype().np
                xa = xp.asarray(xa, dtype=dt) if not isinstance(xa, (int, float)) else xa
                xb = xp.asarray(xb, dtype=dt) if not isinstance(xb, (int, float)) else xb
                if isinstance(xa, (int, float)) and isinstance(xb, (int, float)):
                    raise TypeError("div expects a tensor argument")
            ctx.save_for_backward(a if isinstance(b, Tensor) else None, b if isinstance(b, Tensor) else None)
            ctx.sb = None if isinstance(b, Tensor) else b
            try:
                with _np_errstate(xp):
                    return xa / xb
            except ValueError:
                raise broadcast_error(_shape(a), _shape(b)) from None
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                               f"found '{rounding_mode}'")
        try:
            with _np_errstate(xp):
                if rounding_mode == "floor":
                    if _kind(xa) in "iu" and _kind(xb) in "iu" and _any_zero(xb):
                        raise RuntimeError("ZeroDivisionError")
                    return xp.floor_divide(xa, xb)
                q = xa / xb
                if _kind(xa) in "iu" and _kind(xb) in "iu":
                    if _any_zero(xb):
                        raise RuntimeError("ZeroDivisionError")
                    return xp.trunc(q).astype(xp.result_type(xa, xb))
                return xp.trunc(q)
        except ValueError:
            raise broadcast_error(_shape(a), _shape(b)) from None

    @staticmethod
    def backward(ctx, grad_output):
        if ctx.rounding_mode is not None:
            # floor/trunc are piecewise constant: zero gradient almost everywhere
            return grad_output * 0, None, None
        a, b = ctx.saved_tensors
        if b is None:
            return grad_output / ctx.sb, None, None
        ga = grad_output / b if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            gb = -grad_output * a / (b * b) if a is not None else None
        return ga, gb, None


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


class _np_errstate:
    """Silence NumPy's divide/overflow warnings (PyTorch returns inf/nan silently)."""

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


class Pow(Function):
    """x ** y for a tensor and a scalar on either side, or two tensors."""
    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, b):
        xa, xb = operands(a, b)
        xp = get_array_module(xa if isinstance(a, Tensor) else xb)
        if _kind(xa) in "iu" and _kind(xb) in "iu":
            if (isinstance(xb, int) and xb < 0) or (hasattr(xb, "dtype") and bool((xb < 0).any())):
                raise RuntimeError("Integers to negative integer powers are not allowed.")
        try:
            with _np_errstate(xp):
                out = xp.power(xa, xb) if not isinstance(xa, (int, float)) else xp.power(
                    xp.asarray(xa, dtype=xb.dtype), xb)
        except ValueError:
            raise broadcast_error(_shape(a), _shape(b)) from None
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None,
                              None)
        ctx.sa = None if isinstance(a, Tensor) else a
        ctx.sb = None if isinstance(b, Tensor) else b
        return out

    @staticmethod
    def backward(ctx, grad_output):
        a, b, _ = ctx.saved_tensors
        ga = gb = None
        if a is not None and ctx.needs_input_grad[0]:
            e = b if b is not None else ctx.sb
            if b is None and e == 0:
                ga = grad_output * 0
            else:
                # d/da a**e = e * a**(e-1)
                ga = grad_output * e * a ** (e - 1)
        if b is not None and ctx.needs_input_grad[1]:
            base = a if a is not None else ctx.sa
            # d/db base**b = base**b * log(base); PyTorch defines it as 0 where base == 0 and b >= 0
            if a is not None:
                out = a ** b
                gb = grad_output * where_(a == 0, 0.0, out * log(where_(a == 0, 1.0, a)))
            else:
                import math  # noqa: PLC0415
                out = base ** b
                gb = grad_output * out * (math.log(base) if base > 0 else float("nan") if base < 0
                                          else 0.0)
        return ga, gb


def where_(cond, x, y):
    from .index import where  # noqa: PLC0415
    return where(cond, x, y)


# ----------------------------------------------------------------------------- unary
class Exp(Function):
    """exp(x); its derivative is the output, so the output is saved."""
    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x._data)
        with _np_errstate(xp):
            y = Tensor._make(xp.exp(x._data.astype(float_dtype_of(x._data), copy=False)))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


class Log(Function):
    """log(x); d/dx log(x) = 1/x."""
    node_name = "LogBackward0"

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x._data)
        ctx.save_for_backward(x)
        with _np_errstate(xp):
            return xp.log(x._data.astype(float_dtype_of(x._data), copy=False))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / x


# ----------------------------------------------------------------------------- wrappers
def add(input, other, *, alpha=1, out=None):
    return Add.apply(input, other, alpha)


def sub(input, other, *, alpha=1, out=None):
    return Sub.apply(input, other, alpha)


def mul(input, other, *, out=None):
    return Mul.apply(input, other)


def div(input, other, *, rounding_mode=None, out=None):
    return Div.apply(input, other, rounding_mode)


def neg(input):
    return Neg.apply(input)


def pow(input, exponent):
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("pow(): expected at least one Tensor argument")
    return Pow.apply(input, exponent)


def exp(input):
    return Exp.apply(input)


def log(input):
    return Log.apply(input)
