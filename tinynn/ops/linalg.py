"""Matrix products: matmul with PyTorch's 1-D / 2-D / batched broadcasting rules, mm, mv, dot, bmm."""
from __future__ import annotations

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import check_same_device

__all__ = ["matmul", "mm", "mv", "dot", "bmm"]


def _promote(a, b):
    xa, xb = a._data, b._data
    check_same_device(xa, xb)
    if xa.dtype != xb.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}")
    return xa, xb


class MatMul(Function):
    """a @ b for a, b with at least 2 dims (batch dims broadcast; the engine sums them back)."""
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        xa, xb = _promote(a, b)
        ctx.save_for_backward(a if ctx_needs(ctx, 1) else None, b if ctx_needs(ctx, 0) else None)
        return get_array_module(xa).matmul(xa, xb)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        ga = grad_output.matmul(b.mT) if ctx.needs_input_grad[0] else None
        gb = a.mT.matmul(grad_output) if ctx.needs_input_grad[1] else None
        return ga, gb


class BMM(MatMul):
    node_name = "BmmBackward0"


def ctx_needs(ctx, i):
    nig = getattr(ctx, "needs_input_grad", None)
    return nig is None or nig[i]


def _mm_error(a, b):
    sa, sb = a._data.shape, b._data.shape
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]})")


def matmul(input, other):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other if isinstance(input, Tensor) else input).__name__}")
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 2:
        return mm(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    a = input.unsqueeze(0) if da == 1 else input
    b = other.unsqueeze(-1) if db == 1 else other
    if a._data.shape[-1] != b._data.shape[-2]:
        sa, sb = a._data.shape, b._data.shape
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sb[0] if len(sb) > 2 else 1}, {sa[-1]}] but got: "
                           f"[{sb[0] if len(sb) > 2 else 1}, {sb[-2]}]."
                           if len(sa) == len(sb) == 3 else
                           f"mat1 and mat2 shapes cannot be multiplied ({sa[-2]}x{sa[-1]} and "
                           f"{sb[-2]}x{sb[-1]})")
    try:
        out = MatMul.apply(a, b)
    except ValueError as e:
        raise RuntimeError(f"matmul: shapes {list(input.shape)} and {list(other.shape)} do not "
                           f"broadcast: {e}") from None
    if da == 1:
        out = out.squeeze(-2)
    if db == 1:
        out = out.squeeze(-1)
    return out


def mm(input, mat2):
    if input._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _mm_error(input, mat2)
    return MatMul.apply(input, mat2)


def bmm(input, mat2):
    if input._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    sa, sb = input._data.shape, mat2._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    return BMM.apply(input, mat2)


class MV(Function):
    node_name = "MvBackward0"

    @staticmethod
    def forward(ctx, m, v):
        xm, xv = _promote(m, v)
        ctx.save_for_backward(m, v)
        return xm @ xv

    @staticmethod
    def backward(ctx, grad_output):
        m, v = ctx.saved_tensors
        gm = grad_output.unsqueeze(1) * v.unsqueeze(0) if ctx.needs_input_grad[0] else None
        gv = m.t().mv(grad_output) if ctx.needs_input_grad[1] else None
        return gm, gv


def mv(input, vec):
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {vec._data.ndim}, "
                           f"{input._data.ndim}, {vec._data.ndim}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat "
                           f"({input._data.shape[0]}x{input._data.shape[1]}), vec ({vec._data.shape[0]})")
    return MV.apply(input, vec)


class Dot(Function):
    node_name = "DotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        xa, xb = _promote(a, b)
        ctx.save_for_backward(a, b)
        return get_array_module(xa).dot(xa, xb)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * b, grad_output * a


def dot(input, other):
    da, db = input._data.ndim, other._data.ndim
    if da != 1 or db != 1:
        raise RuntimeError(f"1D tensors expected, but got {da}D and {db}D tensors")
    if input._data.shape[0] != other._data.shape[0]:
        n, m = input._data.shape[0], other._data.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the "
                           f"same number of elements, but got {n} and {m} elements respectively")
    return Dot.apply(input, other)
