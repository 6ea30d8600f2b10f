"""Linear algebra: matmul with PyTorch's 1-D / 2-D / batched broadcasting rules, mm, mv, dot, bmm,
outer, inner, addmm and friends, einsum, trace, diag, diagonal, tril/triu, cov and corrcoef.

Products are Functions whose backward is again a product (so double backward works); `einsum`'s
backward is an einsum whose subscripts are derived from the forward equation. `cov`/`corrcoef` are
composed from mean, matmul and transpose, as PyTorch composes them.
"""
from __future__ import annotations

import builtins
import math
import warnings

import numpy as np  # shape metadata only (broadcast_shapes); array math goes through `xp`

from .._dtype import from_numpy_dtype
from ..autograd.function import Function
from ..backend import get_array_module, matmul as _bmatmul
from .. import amp as _amp  # autocast: float16 matmuls
from ..tensor import Tensor
from ._util import broadcast_error, canonical_dim, check_same_device, check_tensor

__all__ = ["matmul", "mm", "mv", "dot", "vdot", "bmm", "outer", "ger", "inner", "addmm", "addmv",
           "addr", "baddbmm", "addbmm", "einsum", "tensordot", "trace", "diag", "diagonal",
           "diag_embed", "tril", "triu", "cov", "corrcoef", "dist", "cdist",
           "renorm"]

_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
           "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
           "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_CTYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
          "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
          "bool": "bool"}


def _name(t, table=_LEGACY):
    n = from_numpy_dtype(t._data.dtype).name
    return table.get(n, n)


_check_tensor = check_tensor


def _check_bool(fn, *ts):
    for t in ts:
        if t._data.dtype.kind == "b":
            raise NotImplementedError(f'"{fn}" not implemented for \'Bool\'')


def _same_dtype_mm(a, b):
    check_same_device(a._data, b._data)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_name(a, _CTYPE)} "
                           f"!= {_name(b, _CTYPE)}")


def _same_dtype_scalar_type(a, b):
    check_same_device(a._data, b._data)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {_name(a)} but found {_name(b)}")


# ----------------------------------------------------------------------------------------------
# products
# ----------------------------------------------------------------------------------------------
class MM(Function):
    """a @ b for two matrices. d/da = g @ b^T, d/db = a^T @ g."""
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _bmatmul(a._data, b._data)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        ga = mm(grad_output, b.t()) if ctx.needs_input_grad[0] else None
        gb = mm(a.t(), grad_output) if ctx.needs_input_grad[1] else None
        return ga, gb


MatMul = MM  # the 2-D product under its historical name


class MatMulND(Function):
    """a @ b with NumPy/PyTorch matmul semantics when a 1-D operand meets a matrix or either operand
    is batched: 1-D operands gain (and lose) a unit dim, batch dims broadcast, and the engine sums
    the gradient of a broadcast operand back to its shape."""
    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.da, ctx.db = a._data.ndim, b._data.ndim
        return _bmatmul(a._data, b._data)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        da, db = ctx.da, ctx.db
        g = grad_output
        am = a.unsqueeze(0) if da == 1 else a
        bm = b.unsqueeze(-1) if db == 1 else b
        if da == 1:
            g = g.unsqueeze(-2)
        if db == 1:
            g = g.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = matmul(g, bm.mT)
            if da == 1:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            if db == 2 and da >= 3:
                # fold the batch into rows: one (k x B*m) @ (B*m x n) product, no batched temporary
                k, n = bm._data.shape
                gb = mm(am.reshape(-1, k).t(), g.reshape(-1, n))
            else:
                gb = matmul(am.mT, g)
                if db == 1:
                    gb = gb.squeeze(-1)
        return ga, gb


class _VecMat(MatMulND):
    node_name = "SqueezeBackward4"


class _MatBatch(MatMulND):
    node_name = "CloneBackward0"


def _mm_error(sa, sb):
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and "
                        f"{sb[0]}x{sb[1]})")


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _broadcast_batch(ba, bb):
    n = builtins.max(len(ba), len(bb))
    ba = (1,) * (n - len(ba)) + tuple(ba)
    bb = (1,) * (n - len(bb)) + tuple(bb)
    out = []
    for x, y in zip(ba, bb):
        if x != y and x != 1 and y != 1:
            return None
        out.append(builtins.max(x, y) if x != 0 and y != 0 else 0)
    return tuple(out)


def matmul(input, other, *, out=None):
    """Matrix product with PyTorch's rules: dot (1-D, 1-D), mv (2-D, 1-D), mm (2-D, 2-D), and
    broadcast batched products otherwise (a 1-D operand is promoted to a matrix and back)."""
    _check_tensor("matmul", "input", 1, input)
    _check_tensor("matmul", "other", 2, other)
    if _amp.state.on:
        input, other = _amp.lowp(input, other)
    sa, sb = input._data.shape, other._data.shape
    da, db = len(sa), len(sb)
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and "
                           f"{db}D")
    if da == 1 and db == 1:
        res = dot(input, other)
    elif da == 2 and db == 1:
        res = mv(input, other)
    elif da == 2 and db == 2:
        res = mm(input, other)
    else:
        _check_bool("addmm_impl_cpu_", input, other)
        if da == 1 and db == 2:
            if sa[0] != sb[0]:
                raise _mm_error((1, sa[0]), sb)
            _same_dtype_mm(input, other)
            res = _VecMat.apply(input, other)
        else:
            _same_dtype_scalar_type(input, other)
            _check_batched(sa, sb)
            cls = _MatBatch if da == 2 and db >= 3 else MatMulND
            res = cls.apply(input, other)
    if out is not None:
        from .reduce import _with_out  # noqa: PLC0415
        return _with_out(res, out, "matmul", (input, other))
    return res


def _check_batched(sa, sb):
    """PyTorch's errors for a batched matmul (it folds a >=3-D @ <=2-D product into mm/mv)."""
    da, db = len(sa), len(sb)
    if da >= 3 and db <= 2:
        rows = _prod(sa[:-1])
        if db == 1 and sa[-1] != sb[0]:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec "
                               f"({sb[0]})")
        if db == 2 and sa[-1] != sb[0]:
            raise _mm_error((rows, sa[-1]), sb)
        return
    a = (1,) + tuple(sa) if da == 1 else tuple(sa)
    b = tuple(sb) + (1,) if db == 1 else tuple(sb)
    batch = _broadcast_batch(a[:-2], b[:-2])
    if batch is None:
        raise broadcast_error(a[:-2], b[:-2])
    if a[-1] != b[-2]:
        nb = _prod(batch)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{nb}, {a[-1]}] but got: [{nb}, {b[-2]}].")


def mm(input, mat2, *, out=None):
    """Product of two matrices (no broadcasting; same dtype)."""
    _check_tensor("mm", "input", 1, input)
    _check_tensor("mm", "mat2", 2, mat2)
    if _amp.state.on:
        input, mat2 = _amp.lowp(input, mat2)
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _mm_error(input._data.shape, mat2._data.shape)
    _same_dtype_mm(input, mat2)
    _check_bool("addmm_impl_cpu_", input)
    res = MM.apply(input, mat2)
    if out is not None:
        from .reduce import _with_out  # noqa: PLC0415
        return _with_out(res, out, "mm", (input, mat2))
    return res


class BMM(Function):
    """Batched product of (b, n, m) and (b, m, p)."""
    node_name = "BmmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _bmatmul(a._data, b._data)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        ga = bmm(grad_output, b.mT) if ctx.needs_input_grad[0] else None
        gb = bmm(a.mT, grad_output) if ctx.needs_input_grad[1] else None
        return ga, gb


def bmm(input, mat2, *, out=None):
    """Batched matrix product; both operands 3-D with the same batch size."""
    _check_tensor("bmm", "input", 1, input)
    _check_tensor("bmm", "mat2", 2, mat2)
    if _amp.state.on:
        input, mat2 = _amp.lowp(input, mat2)
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    sa, sb = input._data.shape, mat2._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    _same_dtype_scalar_type(input, mat2)
    _check_bool("bmm", input)
    res = BMM.apply(input, mat2)
    if out is not None:
        from .reduce import _with_out  # noqa: PLC0415
        return _with_out(res, out, "bmm", (input, mat2))
    return res


class MV(Function):
    """Matrix @ vector. d/dm = outer(g, v), d/dv = m^T @ g."""
    node_name = "MvBackward0"

    @staticmethod
    def forward(ctx, m, v):
        ctx.save_for_backward(m, v)
        return _bmatmul(m._data, v._data)

    @staticmethod
    def backward(ctx, grad_output):
        m, v = ctx.saved_tensors
        gm = outer(grad_output, v) if ctx.needs_input_grad[0] else None
        gv = mv(m.t(), grad_output) if ctx.needs_input_grad[1] else None
        return gm, gv


def mv(input, vec, *, out=None):
    """Matrix-vector product."""
    _check_tensor("mv", "input", 1, input)
    _check_tensor("mv", "vec", 2, vec)
    dm, dv = input._data.ndim, vec._data.ndim
    if dm != 2 or dv != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {dm}, {dv}")
    n, k = input._data.shape
    if k != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{k}), vec ({vec._data.shape[0]})")
    check_same_device(input._data, vec._data)
    if input._data.dtype != vec._data.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_name(vec)}, "
                           f"{_name(input)}, and {_name(vec)}")
    _check_bool("addmv_impl_cpu", input)
    res = MV.apply(input, vec)
    if out is not None:
        from .reduce import _with_out  # noqa: PLC0415
        return _with_out(res, out, "mv", (input, vec))
    return res


class Dot(Function):
    """Inner product of two vectors. d/da = g b, d/db = g a."""
    node_name = "DotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        xp = get_array_module(a._data)
        return xp.asarray(xp.dot(a._data, b._data))

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return (grad_output * b if ctx.needs_input_grad[0] else None,
                grad_output * a if ctx.needs_input_grad[1] else None)


def dot(input, other, *, out=None):
    """Inner product of two 1-D tensors of the same size and dtype."""
    _check_dot("dot", input, other)
    res = Dot.apply(input, other)
    if out is not None:
        from .reduce import _with_out  # noqa: PLC0415
        return _with_out(res, out, "dot", (input, other))
    return res


def _check_dot(name, input, other):
    _check_tensor(name, "input", 1, input)
    _check_tensor(name, "tensor", 2, other)
    da, db = input._data.ndim, other._data.ndim
    if da != 1 or db != 1:
        raise RuntimeError(f"1D tensors expected, but got {da}D and {db}D tensors")
    n, m = input._data.shape[0], other._data.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the "
                           f"same number of elements, but got {n} and {m} elements respectively")
    check_same_device(input._data, other._data)
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{name} : expected both vectors to have same dtype, but found {_name(input)} "
                           f"and {_name(other)}")
    _check_bool(name, input)


class _Vdot(Dot):
    node_name = "VdotBackward0"


def vdot(input, other, *, out=None):
    """dot with the first argument conjugated (the same as dot for real tensors)."""
    _check_dot("vdot", input, other)
    res = _Vdot.apply(input, other)
    if out is not None:
        from .reduce import _with_out  # noqa: PLC0415
        return _with_out(res, out, "vdot", (input, other))
    return res


def outer(input, vec2):
    """Outer product of two vectors (with type promotion, as PyTorch's)."""
    _check_tensor("outer", "input", 1, input)
    _check_tensor("outer", "vec2", 2, vec2)
    if input._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input._data.ndim}-D")
    if vec2._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    return input.reshape(-1, 1) * vec2


ger = outer


def inner(input, other):
    """Sum of products over the last dims: shape input.shape[:-1] + other.shape[:-1]."""
    _check_tensor("inner", "input", 1, input)
    _check_tensor("inner", "other", 2, other)
    sa, sb = input._data.shape, other._data.shape
    if len(sa) == 0 or len(sb) == 0:
        return input * other
    if sa[-1] != sb[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(sa)} and {list(sb)}")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if len(sa) == 1 and len(sb) == 1:
        return dot(input, other)
    k = sa[-1]
    res = mm(input.reshape(-1, k), other.reshape(-1, k).t())
    return res.reshape(*sa[:-1], *sb[:-1])


# ----------------------------------------------------------------------------------------------
# beta * input + alpha * product
# ----------------------------------------------------------------------------------------------
def _scaled(t, s):
    return t if s == 1 else t * s


class Addmm(Function):
    """beta * input + alpha * (mat1 @ mat2); input broadcasts to the product's shape.

    beta == 0 ignores input (NaN in it does not propagate), as in PyTorch."""
    node_name = "AddmmBackward0"
    _kind = "mm"

    @classmethod
    def _product(cls, xp, a, b):
        if cls._kind == "addbmm":
            return _bmatmul(a, b).sum(axis=0)
        if cls._kind == "addr":
            return a[:, None] * b[None, :]
        return _bmatmul(a, b)

    @classmethod
    def forward(cls, ctx, input, m1, m2, beta, alpha):
        xp = get_array_module(m1._data)
        ctx.beta, ctx.alpha = beta, alpha
        ctx.save_for_backward(m1, m2)
        p = cls._product(xp, m1._data, m2._data)
        if alpha != 1:
            p *= alpha
        if beta != 0:
            p += input._data if beta == 1 else beta * input._data
        return p

    @classmethod
    def backward(cls, ctx, grad_output):
        m1, m2 = ctx.saved_tensors
        g = grad_output
        gi = g1 = g2 = None
        if ctx.needs_input_grad[0]:
            gi = g * ctx.beta if ctx.beta != 1 else g
        ga = _scaled(g, ctx.alpha)
        kind = cls._kind
        if ctx.needs_input_grad[1]:
            g1 = {"mm": lambda: mm(ga, m2.t()), "mv": lambda: outer(ga, m2),
                  "bmm": lambda: bmm(ga, m2.mT), "addbmm": lambda: matmul(ga.unsqueeze(0), m2.mT),
                  "addr": lambda: mv(ga, m2)}[kind]()
        if ctx.needs_input_grad[2]:
            g2 = {"mm": lambda: mm(m1.t(), ga), "mv": lambda: mv(m1.t(), ga),
                  "bmm": lambda: bmm(m1.mT, ga), "addbmm": lambda: matmul(m1.mT, ga.unsqueeze(0)),
                  "addr": lambda: mv(ga.t(), m1)}[kind]()
        return gi, g1, g2, None, None


class Addmv(Addmm):
    node_name = "AddmvBackward0"
    _kind = "mv"


class Baddbmm(Addmm):
    node_name = "BaddbmmBackward0"
    _kind = "bmm"


class Addbmm(Addmm):
    node_name = "AddbmmBackward0"
    _kind = "addbmm"


class Addr(Addmm):
    node_name = "AddrBackward0"
    _kind = "addr"


def _check_addend(input, shape):
    """PyTorch expands `input` to the product's shape: its error when that is impossible."""
    si = tuple(input._data.shape)
    if len(si) > len(shape):
        raise RuntimeError(f"expand(tinynn.{_LEGACY.get(input.dtype.name, input.dtype.name)}Tensor"
                           f"{{{list(si)}}}, size={list(shape)}): the number of sizes provided "
                           f"({len(shape)}) must be greater or equal to the number of dimensions in "
                           f"the tensor ({len(si)})")
    off = len(shape) - len(si)
    for i, s in enumerate(si):
        if s != 1 and s != shape[i + off]:
            raise RuntimeError(f"The expanded size of the tensor ({shape[i + off]}) must match the "
                               f"existing size ({s}) at non-singleton dimension {i + off}.  Target "
                               f"sizes: {list(shape)}.  Tensor sizes: {list(si)}")


def _addprod(cls, name, input, m1, m2, beta, alpha, shape):
    _check_addend(input, shape)
    for t in (input,):
        if t._data.dtype != m1._data.dtype:
            raise RuntimeError(f"expected scalar type {_name(m1)} but found {_name(t)}")
    return cls.apply(input, m1, m2, beta, alpha)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat1 @ mat2)."""
    if mat1._data.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1._data.ndim}-D tensor")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2._data.ndim}-D tensor")
    if mat1._data.shape[1] != mat2._data.shape[0]:
        raise _mm_error(mat1._data.shape, mat2._data.shape)
    _same_dtype_mm(mat1, mat2)
    res = _addprod(Addmm, "addmm", input, mat1, mat2, beta, alpha,
                   (mat1._data.shape[0], mat2._data.shape[1]))
    if out is not None:
        from .reduce import _with_out  # noqa: PLC0415
        return _with_out(res, out, "addmm", (input, mat1, mat2))
    return res


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat @ vec)."""
    dm, dv = mat._data.ndim, vec._data.ndim
    if dm != 2 or dv != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {dm}, {dv}")
    n, k = mat._data.shape
    if k != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{k}), vec ({vec._data.shape[0]})")
    if mat._data.dtype != vec._data.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_name(input)}, "
                           f"{_name(mat)}, and {_name(vec)}")
    return _addprod(Addmv, "addmv", input, mat, vec, beta, alpha, (n,))


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * outer(vec1, vec2)."""
    if vec1._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1._data.ndim}-D"
                           if vec1._data.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    return _addprod(Addr, "addr", input, vec1, vec2, beta, alpha,
                    (vec1._data.shape[0], vec2._data.shape[0]))


def _check_bmm_pair(b1, b2):
    if b1._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    sa, sb = b1._data.shape, b2._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    _same_dtype_scalar_type(b1, b2)
    return sa, sb


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * bmm(batch1, batch2)."""
    sa, sb = _check_bmm_pair(batch1, batch2)
    return _addprod(Baddbmm, "baddbmm", input, batch1, batch2, beta, alpha, (sa[0], sa[1], sb[2]))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * sum_b batch1[b] @ batch2[b]."""
    sa, sb = _check_bmm_pair(batch1, batch2)
    return _addprod(Addbmm, "addbmm", input, batch1, batch2, beta, alpha, (sa[1], sb[2]))


# ----------------------------------------------------------------------------------------------
# einsum
# ----------------------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(equation, shapes):
    """Rewrite `equation` with explicit letters only (ellipses become fresh letters, the implicit
    output is made explicit) and check it against the operand shapes, with PyTorch's errors."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->", 1)
    else:
        lhs, rhs = eq, None
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    pos = 0
    for ch in eq:
        if not (ch in _LETTERS or ch in ".,->"):
            raise RuntimeError(f"einsum(): invalid subscript given at index {pos} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
        pos += 1
    used = set(c for c in eq if c in _LETTERS)
    ell_dims = []
    parsed = []
    for i, (t, shp) in enumerate(zip(terms, shapes)):
        if t.count("...") > 1 or t.replace("...", "").count(".") > 0:
            raise RuntimeError(f"einsum(): found more than one ellipsis in operand {i}"
                               if t.count("...") > 1 else
                               "einsum(): found '.' for operand {i} that is not part of any ellipsis")
        letters = t.replace("...", "")
        if "..." in t:
            if len(letters) > len(shp):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(letters)}) is more than the number of dimensions "
                                   f"({len(shp)}) for operand {i}")
            ell_dims.append(len(shp) - len(letters))
        else:
            if len(letters) != len(shp):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(letters)}) does not match the number of dimensions "
                                   f"({len(shp)}) for operand {i} and no ellipsis was given")
            ell_dims.append(0)
        parsed.append(t)
    n_ell = builtins.max(ell_dims) if ell_dims else 0
    fresh = [c for c in _LETTERS if c not in used]
    if n_ell > len(fresh):
        raise RuntimeError("einsum(): too many subscripts")
    ell = "".join(fresh[:n_ell])
    fresh = fresh[n_ell:]
    ins = [t.replace("...", ell[n_ell - e:]) for t, e in zip(parsed, ell_dims)]
    if rhs is None:
        counts = {}
        for t in ins:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        if rhs.count("...") > 1:
            raise RuntimeError("einsum(): found more than one ellipsis in the output")
        out = rhs.replace("...", ell)
        seen = set()
        allin = set("".join(ins))
        for c in out:
            if c in seen:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                                   "output")
            if c not in allin:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation "
                                   "for any input operand")
            seen.add(c)
    sizes = {}
    for i, (t, shp) in enumerate(zip(ins, shapes)):
        local = {}
        for c, s in zip(t, shp):
            if c in local and local[c] != s:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes "
                                   f"don't match, {s} != {local[c]}")
            local[c] = s
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = s
            elif s != 1 and s != prev:
                raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {i} which does "
                                   f"not broadcast with previously seen size {prev}")
    return ins, out, sizes, fresh


def _einsum_pair(xp, sa, sb, out, a, b):
    """A two-operand einsum as one batched matmul (BLAS), as PyTorch does; None when the
    equation has repeated letters in an operand or size-1 broadcasting of a shared letter."""
    if len(set(sa)) != len(sa) or len(set(sb)) != len(sb):
        return None
    size = {}
    for sub, arr in ((sa, a), (sb, b)):
        for c, n in zip(sub, arr.shape):
            if size.setdefault(c, n) != n:
                return None
    dt = a.dtype
    batch = [c for c in out if c in sa and c in sb]
    m = [c for c in out if c in sa and c not in sb]
    n = [c for c in out if c in sb and c not in sa]
    k = [c for c in sa if c in sb and c not in out]
    a_sum = tuple(i for i, c in enumerate(sa) if c not in sb and c not in out)
    b_sum = tuple(i for i, c in enumerate(sb) if c not in sa and c not in out)
    if a_sum:
        a = a.sum(axis=a_sum)
        sa = "".join(c for i, c in enumerate(sa) if i not in a_sum)
    if b_sum:
        b = b.sum(axis=b_sum)
        sb = "".join(c for i, c in enumerate(sb) if i not in b_sum)

    def prod(letters):
        r = 1
        for c in letters:
            r *= size[c]
        return r

    bs = [size[c] for c in batch]
    a2 = a.transpose([sa.index(c) for c in batch + m + k]).reshape(bs + [prod(m), prod(k)])
    b2 = b.transpose([sb.index(c) for c in batch + k + n]).reshape(bs + [prod(k), prod(n)])
    r = _bmatmul(a2, b2).reshape(bs + [size[c] for c in m] + [size[c] for c in n])
    order = batch + m + n
    return r.transpose([order.index(c) for c in out]).astype(dt, copy=False)


class Einsum(Function):
    """einsum on an explicit equation (letters only). The gradient of operand i is an einsum of the
    output gradient with the other operands into operand i's subscripts; letters summed away in
    operand i alone come back through a ones vector, repeated letters (diagonals) through an
    identity matrix."""
    node_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, ins, out, fresh, *operands):
        arrays = [t._data for t in operands]
        xp = get_array_module(arrays[0])
        ctx.ins, ctx.out, ctx.fresh = ins, out, fresh
        ctx.shapes = [a.shape for a in arrays]
        ctx.save_for_backward(*operands)
        if len(arrays) == 2:
            r = _einsum_pair(xp, ins[0], ins[1], out, arrays[0], arrays[1])
            if r is not None:
                return r
        eq = ",".join(ins) + "->" + out
        if len(arrays) > 1:  # a contraction path lets NumPy/CuPy use BLAS (tensordot) products
            return xp.einsum(eq, *arrays, optimize=True)
        return xp.einsum(eq, *arrays)

    @staticmethod
    def backward(ctx, grad_output):
        ops = ctx.saved_tensors
        ins, out = ctx.ins, ctx.out
        xp = get_array_module(grad_output._data)
        grads = [None, None, None]
        for i, sub in enumerate(ins):
            if not ctx.needs_input_grad[3 + i]:
                grads.append(None)
                continue
            terms = [out] + [s for j, s in enumerate(ins) if j != i]
            tensors = [grad_output] + [t for j, t in enumerate(ops) if j != i]
            shape = ctx.shapes[i]
            avail = set("".join(terms))
            fresh = list(ctx.fresh)
            target = []
            first = {}
            for c, s in zip(sub, shape):
                if c not in first:
                    first[c] = s
                    target.append(c)
                    if c not in avail:   # summed away in this operand only: broadcast it back
                        terms.append(c)
                        tensors.append(Tensor._make(xp.ones(s, dtype=grad_output._data.dtype)))
                        avail.add(c)
                else:                    # a repeated letter: put the gradient on the diagonal
                    r = fresh.pop(0)
                    terms.append(c + r)
                    tensors.append(Tensor._make(xp.eye(s, dtype=grad_output._data.dtype)))
                    target.append(r)
            g = Einsum.apply(terms, "".join(target), fresh, *tensors)
            grads.append(_fit(g, shape))
        return tuple(grads)


def _fit(g, shape):
    """A gradient whose size-1 letters met larger sizes elsewhere (einsum broadcasts them): sum
    where the operand had size 1, expand where the operand was broadcast against size 1."""
    gs = tuple(g._data.shape)
    if gs == tuple(shape):
        return g
    red = tuple(i for i, (a, b) in enumerate(zip(gs, shape)) if b == 1 and a != 1)
    if red:
        g = g.sum(red, keepdim=True)
    return g.expand(*shape)


def einsum(equation, *operands):
    """Einstein summation: `einsum('ij,jk->ik', a, b)`; implicit outputs and '...' supported."""
    if not isinstance(equation, str):
        raise TypeError("einsum(): the sublist format is not supported by tinynn; pass an equation "
                        "string")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, t in enumerate(operands):
        _check_tensor("einsum", "operands", i + 2, t)
    ins, out, _sizes, fresh = _parse_einsum(equation, [t._data.shape for t in operands])
    for t in operands[1:]:
        _same_dtype_scalar_type(operands[0], t)
    return Einsum.apply(ins, out, fresh, *operands)


def tensordot(a, b, dims=2, out=None):
    """Contract the last `dims` dims of a with the first of b, or the listed pairs of dims."""
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        if isinstance(da, int):
            da, db = [da], [db]
        da = [canonical_dim(d, na) for d in da]
        db = [canonical_dim(d, nb) for d in db]
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    letters = iter(_LETTERS)
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for x, y in zip(da, db):
        if a._data.shape[x] != b._data.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._data.shape[x]} in dim {x} and second has size "
                               f"{b._data.shape[y]} in dim {y}")
        sb[y] = sa[x]
    outs = [c for i, c in enumerate(sa) if i not in da] + [c for i, c in enumerate(sb) if i not in db]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(outs), a, b)


# ----------------------------------------------------------------------------------------------
# trace, diagonals, triangles
# ----------------------------------------------------------------------------------------------
class Trace(Function):
    """Sum of the main diagonal of a matrix. d/dx = g * I."""
    node_name = "TraceBackward0"

    @staticmethod
    def forward(ctx, x):
        a = x._data
        xp = get_array_module(a)
        ctx.shape = a.shape
        dt = xp.int64 if a.dtype.kind in "iu" else None
        return xp.asarray(xp.trace(a, dtype=dt))

    @staticmethod
    def backward(ctx, grad_output):
        xp = get_array_module(grad_output._data)
        n, m = ctx.shape
        return grad_output * Tensor._make(xp.eye(n, m, dtype=grad_output._data.dtype))


def trace(input):
    _check_tensor("trace", "input", 1, input)
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    _check_bool("trace", input)
    return Trace.apply(input)


def _diag_len(shape, offset, d1, d2):
    if offset >= 0:
        return builtins.max(builtins.min(shape[d1], shape[d2] - offset), 0)
    return builtins.max(builtins.min(shape[d1] + offset, shape[d2]), 0)


def _diag_view(a, offset, d1, d2, xp):
    """A writable view of the diagonal (moved to the last dim, as PyTorch's diagonal)."""
    v = xp.diagonal(a, offset, d1, d2)
    flags = getattr(v, "flags", None)
    # CuPy's views are always writable (its flags have no `writeable`)
    if not getattr(flags, "writeable", True) and getattr(a.flags, "writeable", False):
        try:  # NumPy returns a read-only view; the memory is the caller's to write
            v.flags.writeable = True
        except (ValueError, AttributeError):
            pass
    return v


class Diagonal(Function):
    """A view of the diagonal over (dim1, dim2) with `offset`; backward scatters onto it."""
    node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        a = x._data
        ctx.shape, ctx.offset, ctx.d1, ctx.d2 = a.shape, offset, d1, d2
        return _diag_view(a, offset, d1, d2, get_array_module(a))

    @staticmethod
    def backward(ctx, grad_output):
        return DiagonalScatter.apply(grad_output, ctx.shape, ctx.offset, ctx.d1, ctx.d2), None, None, None


class _DiagonalCopy(Diagonal):
    node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        return Diagonal.forward(ctx, x, offset, d1, d2).copy()


class DiagonalScatter(Function):
    """Zeros of `shape` with `src` written on the diagonal (dim1, dim2, offset): the adjoint of
    `diagonal`, so its backward is `diagonal`."""
    node_name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, src, shape, offset, d1, d2):
        xp = get_array_module(src._data)
        ctx.offset, ctx.d1, ctx.d2 = offset, d1, d2
        out = xp.zeros(shape, dtype=src._data.dtype)
        n = src._data.shape[-1]
        if n:
            i = xp.arange(n)
            view = xp.moveaxis(out, (d1, d2), (-2, -1))
            view[..., i + builtins.max(-offset, 0), i + builtins.max(offset, 0)] = src._data
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return _DiagonalCopy.apply(grad_output, ctx.offset, ctx.d1, ctx.d2), None, None, None, None


class _DiagEmbed(DiagonalScatter):
    node_name = "DiagEmbedBackward0"


def diagonal(input, offset=0, dim1=0, dim2=1):
    """View of the diagonal over dims (dim1, dim2), appended as the last dim."""
    _check_tensor("diagonal", "input", 1, input)
    from .shape import as_view  # noqa: PLC0415
    nd = input._data.ndim
    d1, d2 = canonical_dim(dim1, nd), canonical_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return as_view(Diagonal.apply(input, int(offset), d1, d2), input)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Tensors whose diagonals (over the new dims dim1, dim2) are the last dim of `input`."""
    nd = input._data.ndim + 1
    d1, d2 = canonical_dim(dim1, nd), canonical_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    shp = list(input._data.shape)
    n = shp.pop() + builtins.abs(int(offset))
    rest = iter(shp)
    out_shape = tuple(n if i in (d1, d2) else next(rest) for i in range(nd))
    return _DiagEmbed.apply(input, out_shape, int(offset), d1, d2)


def diag(input, diagonal=0):
    """1-D -> a square matrix with `input` on the `diagonal`; 2-D -> that diagonal (a copy)."""
    _check_tensor("diag", "input", 1, input)
    nd = input._data.ndim
    if nd == 1:
        n = input._data.shape[0] + builtins.abs(int(diagonal))
        return _DiagEmbed.apply(input, (n, n), int(diagonal), 0, 1)
    if nd == 2:
        return _DiagonalCopy.apply(input, int(diagonal), 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


class Tril(Function):
    """Lower triangle (of the last two dims) from `diagonal`; the gradient is masked the same way."""
    node_name = "TrilBackward0"
    _lower = True

    @classmethod
    def forward(cls, ctx, x, k):
        xp = get_array_module(x._data)
        ctx.k = k
        return (xp.tril if cls._lower else xp.triu)(x._data, k)

    @classmethod
    def backward(cls, ctx, grad_output):
        return cls.apply(grad_output, ctx.k), None


class Triu(Tril):
    node_name = "TriuBackward0"
    _lower = False


def tril(input, diagonal=0, *, out=None):
    _check_tensor("tril", "input", 1, input)
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, int(diagonal))


def triu(input, diagonal=0, *, out=None):
    _check_tensor("triu", "input", 1, input)
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, int(diagonal))


# ----------------------------------------------------------------------------------------------
# covariance
# ----------------------------------------------------------------------------------------------
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of `input` (observations in the columns).

    Composed as PyTorch's: subtract the (weighted) mean, multiply by the transpose, divide by the
    (weighted) number of observations minus `correction`."""
    _check_tensor("cov", "input", 1, input)
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input "
                           f"with {nd} dimensions")
    x = input.reshape(1, -1) if nd < 2 else input
    n_obs = x._data.shape[1]
    w = None
    if fweights is not None:
        if fweights._data.ndim > 1:
            raise RuntimeError(f"cov(): expected fweights to have one or fewer dimensions but got "
                               f"fweights with {fweights._data.ndim} dimensions")
        if fweights._data.dtype.kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights "
                               f"with {_name(fweights)} dtype")
        if fweights.numel() != n_obs:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are "
                               f"observations in the input but got {fweights.numel()} != {n_obs}")
        if builtins.bool((fweights._data < 0).any()):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        if aweights._data.ndim > 1:
            raise RuntimeError(f"cov(): expected aweights to have one or fewer dimensions but got "
                               f"aweights with {aweights._data.ndim} dimensions")
        if aweights._data.dtype.kind not in "fc":
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {_name(aweights)} dtype")
        if aweights.numel() != n_obs:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are "
                               f"observations in the input but got {aweights.numel()} != {n_obs}")
        if builtins.bool((aweights._data < 0).any()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n_obs
        avg = x.sum(1) / w_sum
        norm_factor = w_sum - correction
        if norm_factor <= 0:
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                          "than the number of observations.", UserWarning, stacklevel=2)
            norm_factor = 0
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if aweights is not None and correction != 0:
            norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
        else:
            norm_factor = w_sum - correction
        if builtins.bool((norm_factor._data <= 0).all()):
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                          "than the number of observations.", UserWarning, stacklevel=2)
            norm_factor = norm_factor * 0
    xc = x - avg.unsqueeze(1)
    c = mm(xc, (xc if w is None else xc * w).t())
    return (c / norm_factor).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the rows of `input`, clipped to [-1, 1]."""
    _check_tensor("corrcoef", "input", 1, input)
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    sd = diag(c) ** 0.5
    c = c / sd.unsqueeze(1)
    c = c / sd.unsqueeze(0)
    from .elementwise import clamp  # noqa: PLC0415
    return clamp(c, -1, 1)


# ----------------------------------------------------------------------------------------------
# distances
# ----------------------------------------------------------------------------------------------
class Dist(Function):
    """||input - other||_p over all entries (broadcast). The norm and its gradient are
    VectorNorm's (0 at zero distance, as PyTorch's); the difference is rebuilt from the saved
    inputs in backward so double backward sees it."""
    node_name = "DistBackward0"

    @staticmethod
    def forward(ctx, input, other, p):
        from .reduce import VectorNorm  # noqa: PLC0415 - reduce builds on more than linalg
        d = input - other  # grad mode is off inside forward: a plain difference
        if d._data.dtype.kind not in "fc":
            raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                               f"{_name(d)} instead.")
        inner = _NormCtx()
        y = VectorNorm.forward(inner, d, p, (), False, None)
        ctx.inner = inner
        ctx.save_for_backward(input, other, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        from .reduce import VectorNorm  # noqa: PLC0415
        input, other, y = ctx.saved_tensors
        inner = ctx.inner
        inner.to_save = (input - other, y)
        gd = VectorNorm.backward(inner, grad_output)[0]
        return gd, -gd, None


class _NormCtx:
    """A bare ctx for running VectorNorm's forward/backward inside another Function."""
    to_save = None

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    @property
    def saved_tensors(self):
        return tuple(self.to_save or ())


def _p_value(p):
    if isinstance(p, Tensor):
        p = p.item()
    return float(p)


def dist(input, other, p=2):
    """The p-norm of `input - other` (broadcast), a 0-dim tensor."""
    _check_tensor("dist", "input", 1, input)
    _check_tensor("dist", "other", 2, other)
    return Dist.apply(input, other, _p_value(p))


def _safe(t, mask):
    """t where mask, else 1 (t is 0 there): a denominator without zeros, same gradient."""
    return t + Tensor._make((~mask).astype(t._data.dtype))


class Cdist(Function):
    """p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M), batch dims
    broadcast, computed on the differences. Backward is PyTorch's _cdist_backward (0 at zero
    distance; inf-norm ties each take the full gradient) written with tinynn ops."""
    node_name = "CdistBackward0"

    @staticmethod
    def forward(ctx, x1, x2, p, out_shape):
        a, b = x1._data, x2._data
        xp = get_array_module(a)
        ctx.p = p
        if a.shape[-1] == 0 or 0 in out_shape:
            y = xp.zeros(out_shape, dtype=a.dtype)
        else:
            d = a[..., :, None, :] - b[..., None, :, :]
            ad = xp.abs(d)
            if p == 2:
                y = xp.sqrt(xp.sum(d * d, axis=-1))
            elif p == 1:
                y = xp.sum(ad, axis=-1)
            elif p == 0:
                y = xp.sum(d != 0, axis=-1).astype(a.dtype)
            elif p == math.inf:
                y = xp.amax(ad, axis=-1)
            else:
                y = xp.sum(ad ** p, axis=-1) ** (1.0 / p)
        y = Tensor._make(y.astype(a.dtype, copy=False))
        ctx.save_for_backward(x1, x2, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x1, x2, y = ctx.saved_tensors
        p = ctx.p
        d = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        yk, gk = y.unsqueeze(-1), grad_output.unsqueeze(-1)
        if p == 0 or d._data.size == 0:
            gd = d * 0
        elif p == 1:
            gd = gk * Tensor._make(get_array_module(d._data).sign(d._data))
        elif p == math.inf:
            xp = get_array_module(d._data)
            ad = xp.abs(d._data)
            gd = gk * Tensor._make(xp.sign(d._data) * (ad == yk._data))
        else:
            from .reduce import _masked  # noqa: PLC0415
            nz = yk._data != 0
            if p == 2:
                gd = _masked(d * (gk / _safe(yk, nz)), nz)
            else:
                ad = d.abs()
                gd = _masked(d * _safe(ad, d._data != 0) ** (p - 2) * (gk / _safe(yk, nz) ** (p - 1)), nz)
        return gd.sum(-2), -gd.sum(-3), None, None


class EuclideanDist(Function):
    """PyTorch's matmul form of the 2-distance: sqrt(clamp_min(|a|^2 + |b|^2 - 2 a.b, 0)).
    Its backward is PyTorch's _euclidean_dist_backward (0 where the distance is 0)."""
    node_name = "EuclideanDistBackward0"

    @staticmethod
    def forward(ctx, x1, x2):
        a, b = x1._data, x2._data
        xp = get_array_module(a)
        n1 = xp.sum(a * a, axis=-1)[..., :, None]
        n2 = xp.sum(b * b, axis=-1)[..., None, :]
        r = xp.matmul(a * -2, xp.swapaxes(b, -1, -2)) + n1 + n2
        y = Tensor._make(xp.sqrt(xp.maximum(r, 0)).astype(a.dtype, copy=False))
        ctx.save_for_backward(x1, x2, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        from .reduce import _masked  # noqa: PLC0415
        x1, x2, y = ctx.saved_tensors
        nz = y._data != 0
        ratio = _masked(grad_output / _safe(y, nz), nz)
        g1 = x1 * ratio.sum(-1, keepdim=True) - matmul(ratio, x2)
        g2 = x2 * ratio.sum(-2).unsqueeze(-1) - matmul(ratio.transpose(-1, -2), x1)
        return g1, g2


_CDIST_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
                "donot_use_mm_for_euclid_dist": 2}


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between each row of x1 (..., P, M) and each row of x2 (..., R, M), batch
    dims broadcast; p = 2 goes through the matmul form when PyTorch would (compute_mode)."""
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    mode = _CDIST_MODES[compute_mode]
    _check_tensor("cdist", "x1", 1, x1)
    _check_tensor("cdist", "x2", 2, x2)
    p = _p_value(p)
    a, b = x1._data, x2._data
    if a.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D")
    if b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {b.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: "
                           f"{b.shape[-1]}")
    if a.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {_name(x1)}")
    if b.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X2 got: {_name(x2)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    check_same_device(a, b)
    try:
        batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    except ValueError:
        raise broadcast_error(a.shape[:-2], b.shape[:-2]) from None
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_name(x1)} but found {_name(x2)}")
    if a.dtype.itemsize == 2 and x1.device.type == "cpu":
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    r1, r2, c = a.shape[-2], b.shape[-2], a.shape[-1]
    out_shape = batch + (r1, r2)
    nb = 1
    for s in batch:
        nb *= s
    if p == 2 and a.size and b.size and c and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25))):
        from .shape import reshape  # noqa: PLC0415
        if nb == 1:
            res = EuclideanDist.apply(x1, x2)
        else:
            res = EuclideanDist.apply(x1.expand(*batch, r1, c).reshape(nb, r1, c),
                                      x2.expand(*batch, r2, c).reshape(nb, r2, c))
        return reshape(res, out_shape)
    return Cdist.apply(x1, x2, p, out_shape)


# ----------------------------------------------------------------------------------------------
# renorm
# ----------------------------------------------------------------------------------------------
class Renorm(Function):
    """Each slice along `dim` whose p-norm exceeds maxnorm is scaled to maxnorm / (norm + 1e-7).

    Backward is PyTorch's renorm_backward: where scaled, factor * (g - nb / (norm + 1e-7)) with nb
    the norm's gradient for sum(x * g) over the slice; the norm is recomputed with tinynn ops in
    backward so double backward sees it."""
    node_name = "RenormBackward0"

    @staticmethod
    def forward(ctx, x, p, dims, maxnorm):
        from .reduce import VectorNorm  # noqa: PLC0415
        a = x._data
        xp = get_array_module(a)
        inner = _NormCtx()
        norm = VectorNorm.forward(inner, x, p, dims, True, None)._data
        over = norm > maxnorm
        factor = xp.where(over, maxnorm / (norm + 1e-7), 1).astype(a.dtype, copy=False)
        ctx.inner, ctx.over, ctx.maxnorm, ctx.p, ctx.dims = inner, over, maxnorm, p, dims
        ctx.save_for_backward(x)
        return a * factor

    @staticmethod
    def backward(ctx, grad_output):
        from .index import where  # noqa: PLC0415
        from .reduce import VectorNorm, norm as _norm  # noqa: PLC0415
        (x,) = ctx.saved_tensors
        dims = ctx.dims
        nrm = _norm(x, ctx.p, dims, keepdim=True)
        inner = ctx.inner
        inner.to_save = (x, nrm)
        gs = (x * grad_output).sum(dims, keepdim=True)
        nb = VectorNorm.backward(inner, gs)[0]
        invnorm = 1 / (nrm + 1e-7)
        scaled = invnorm * ctx.maxnorm * (grad_output - invnorm * nb)
        return where(Tensor._make(ctx.over), scaled, grad_output), None, None, None


def renorm(input, p, dim, maxnorm, *, out=None):
    """Rescale the slices input.select(dim, i) whose p-norm exceeds maxnorm to norm maxnorm."""
    _check_tensor("renorm", "input", 1, input)
    p = _p_value(p)
    maxnorm = _p_value(maxnorm)
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    a = input._data
    if a.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {a.ndim} dimensions")
    d = canonical_dim(dim, a.ndim)
    if a.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_name(input)}")
    dims = tuple(i for i in range(a.ndim) if i != d)
    if p == math.inf:
        for i in dims:
            if a.shape[i] == 0 and a.size == 0 and a.shape[d] != 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the inf norm on the dimension {i}"
                                   "because this dimension is empty and the operation does not have an "
                                   "identity")
    if a.size == 0:
        from .inplace import clone  # noqa: PLC0415
        res = clone(input)
    else:
        res = Renorm.apply(input, p, dims, maxnorm)
    if out is None:
        return res
    from .reduce import _with_out  # noqa: PLC0415
    return _with_out(res, out, "renorm", (input,))
