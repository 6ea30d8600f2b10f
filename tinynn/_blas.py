"""Matrix products on the CPU: Intel oneMKL's GEMM when it is installed, NumPy's matmul otherwise.

NumPy's wheels bring OpenBLAS, whose single-precision GEMM is 1.1-1.3x slower than MKL's on the
products of a small network (bench/gemm_blas.py: 2.41 vs 2.03 ms for the GEMMs of one W1 MLP
step), and MKL is what PyTorch's CPU build multiplies with. With the optional `mkl` extra
(`pip install -e ".[mkl]"`) tinynn calls MKL's `cblas_?gemm` / `cblas_?gemm_batch_strided`
through ctypes for float32/float64 products whose operands are plain strided matrices; anything
else (other dtypes, odd strides, empty arrays, CuPy arrays) goes to `matmul` of the array's own
module, so results never depend on which path ran beyond floating-point rounding.

TINYNN_BLAS=numpy turns MKL off; TINYNN_BLAS=mkl makes its absence an error at import.
"""
from __future__ import annotations

import ctypes
import glob
import os
import sys

import numpy as np

__all__ = ["matmul", "axpby", "blas_name", "set_num_threads", "get_num_threads"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _find_mkl():
    """Path of MKL's single dynamic library (mkl_rt) as the `mkl` wheel installs it, or None."""
    names = ("libmkl_rt.so*", "libmkl_rt*.dylib") if os.name != "nt" else ("mkl_rt*.dll",)
    sub = "lib" if os.name != "nt" else os.path.join("Library", "bin")
    roots = dict.fromkeys([sys.prefix, sys.base_prefix, os.path.join(os.path.expanduser("~"), ".local")])
    for root in roots:
        for name in names:
            found = sorted(glob.glob(os.path.join(root, sub, name)))
            if found:
                return found[-1]
    return None


def _load():
    choice = os.environ.get("TINYNN_BLAS", "").lower()
    if choice not in ("", "mkl", "numpy"):
        raise ValueError(f"TINYNN_BLAS must be 'mkl' or 'numpy', got {choice!r}")
    if choice == "numpy":
        return None
    path = _find_mkl()
    try:
        lib = ctypes.CDLL(path) if path else None
    except OSError:
        lib = None
    if lib is None:
        if choice == "mkl":
            raise ImportError("TINYNN_BLAS=mkl but Intel MKL was not found: pip install -e \".[mkl]\"")
        return None
    # MKL's own buffer pool keeps ~8 MiB of packing buffers per thread for the life of the process
    # (W2 loop with 2 threads: 33 -> 26 MiB peak RSS without it); malloc serves them as fast here
    lib.MKL_Disable_Fast_MM()
    i, p = ctypes.c_int, ctypes.c_void_p
    for fn, real in ((lib.cblas_sgemm, ctypes.c_float), (lib.cblas_dgemm, ctypes.c_double)):
        fn.restype = None
        fn.argtypes = [i, i, i, i, i, i, real, p, i, p, i, real, p, i]
    for fn, real in ((lib.cblas_sgemm_batch_strided, ctypes.c_float),
                     (lib.cblas_dgemm_batch_strided, ctypes.c_double)):
        fn.restype = None
        fn.argtypes = [i, i, i, i, i, i, real, p, i, i, p, i, i, real, p, i, i, i]
    for fn, real in ((lib.cblas_saxpby, ctypes.c_float), (lib.cblas_daxpby, ctypes.c_double)):
        fn.restype = None
        fn.argtypes = [i, real, p, i, real, p, i]
    return lib


_mkl = _load()
if _mkl is not None:
    _GEMM = {np.dtype(np.float32): _mkl.cblas_sgemm, np.dtype(np.float64): _mkl.cblas_dgemm}
    _GEMM_BATCH = {np.dtype(np.float32): _mkl.cblas_sgemm_batch_strided,
                   np.dtype(np.float64): _mkl.cblas_dgemm_batch_strided}
    _AXPBY = {np.dtype(np.float32): _mkl.cblas_saxpby, np.dtype(np.float64): _mkl.cblas_daxpby}


def blas_name() -> str:
    """'mkl' when tinynn multiplies with MKL, else 'numpy' (NumPy's own BLAS)."""
    return "mkl" if _mkl is not None else "numpy"


_num_threads: int | None = None  # set by set_num_threads


def set_num_threads(n: int) -> None:
    """torch.set_num_threads: the threads MKL's products may use (NumPy's own BLAS fixes its
    count when it starts: OMP_NUM_THREADS / OPENBLAS_NUM_THREADS)."""
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads = n
    if _mkl is not None:
        _mkl.MKL_Set_Num_Threads(n)


def get_num_threads() -> int:
    """torch.get_num_threads: the value set, else MKL's thread count, else OMP_NUM_THREADS or the
    number of cores."""
    if _num_threads is not None:
        return _num_threads
    if _mkl is not None:
        return int(_mkl.MKL_Get_Max_Threads())
    env = os.environ.get("OMP_NUM_THREADS", "")
    return int(env) if env.isdigit() and int(env) > 0 else (os.cpu_count() or 1)


def axpby(a: float, x, b: float, y) -> bool:
    """y = a * x + b * y in place with MKL's BLAS-1 (one pass, threaded for large arrays: SGD's
    momentum update of W1's 401k-element weight, 2 threads, 286 -> 105 us). Only for C-contiguous
    NumPy float32/float64 arrays of one dtype and size, from 16k elements (below, the call costs
    more than NumPy's passes); returns False, having done nothing, otherwise (or without MKL), and
    the caller does it with NumPy."""
    if (_mkl is None or type(x) is not np.ndarray or type(y) is not np.ndarray or x.dtype != y.dtype
            or x.dtype not in _AXPBY or x.size != y.size or not 1 << 14 <= x.size < 1 << 31
            or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)):
        return False
    _AXPBY[x.dtype](x.size, a, x.ctypes.data, 1, b, y.ctypes.data, 1)
    return True


def _layout(shape, strides, itemsize):
    """(transpose flag, leading dimension) of a 2-D matrix as BLAS wants it, or None when its
    elements are not laid out with unit stride along one axis."""
    rows, cols = shape
    rs, cs = strides
    if cs == itemsize or cols == 1:
        ld = rs // itemsize if rows > 1 else cols
        if rs % itemsize == 0 and ld >= cols:
            return _NO_TRANS, ld
    if rs == itemsize or rows == 1:
        ld = cs // itemsize if cols > 1 else rows
        if cs % itemsize == 0 and ld >= rows:
            return _TRANS, ld
    return None


def _batch_stride(arr, batch):
    """The one stride (in elements) that steps through `arr`'s leading (batch) axes when they are
    broadcast to `batch`: 0 when they are all broadcast, None when no single stride does."""
    lead = arr.shape[:-2]
    if all(n == 1 for n in lead):
        return 0
    if len(lead) != len(batch) or lead != batch:
        return None
    step = None
    expect = None
    for n, s in zip(reversed(lead), reversed(arr.strides[:-2])):
        if n == 1:
            continue
        if step is None:
            step, expect = s, s * n
        elif s != expect:
            return None
        else:
            expect = s * n
    if step is None or step < 0 or step % arr.itemsize:
        return None
    return step // arr.itemsize


# multiply-adds per matrix below which NumPy's matmul is faster: the ctypes call costs ~7 us, and
# MKL's batched call loses on many tiny matrices (W1's last layer 13.5 -> 7.7 us per product; W2's
# first convolution, 64 products of 16x9x784, 234 -> 204 us forward, 425 -> 239 us weight grad)
_MKL_MIN_WORK = 1 << 19


def _numpy_matmul(a, b, add):
    r = a @ b
    if add is not None:
        r += add
    return r


def _result(shape, dt, add):
    """The output buffer, holding `add` (broadcast) when there is one: the GEMM then adds the
    product to it (beta = 1), as PyTorch's addmm does, instead of a separate pass afterwards."""
    if add is None:
        return np.empty(shape, dt), 0.0
    c = np.empty(shape, dt)
    c[...] = add
    return c, 1.0


def matmul(a, b, add=None):
    """`a @ b` (+ `add`, broadcast to the result) for arrays of at least 2 dimensions; batch
    dimensions broadcast. `add` must have the result's dtype."""
    if _mkl is None or type(a) is not np.ndarray or type(b) is not np.ndarray:
        return _numpy_matmul(a, b, add)
    dt = a.dtype
    if dt is not b.dtype and dt != b.dtype or dt not in _GEMM or a.ndim < 2 or b.ndim < 2:
        return _numpy_matmul(a, b, add)
    m, k = a.shape[-2:]
    k2, n = b.shape[-2:]
    if k != k2 or m * n * k < _MKL_MIN_WORK or m * n * k == 0:
        return _numpy_matmul(a, b, add)
    la = _layout(a.shape[-2:], a.strides[-2:], dt.itemsize)
    lb = _layout(b.shape[-2:], b.strides[-2:], dt.itemsize)
    if la is None or lb is None:
        return _numpy_matmul(a, b, add)
    if a.ndim == 2 and b.ndim == 2:
        c, beta = _result((m, n), dt, add)
        _GEMM[dt](_ROW_MAJOR, la[0], lb[0], m, n, k, 1.0, a.ctypes.data, la[1], b.ctypes.data, lb[1],
                  beta, c.ctypes.data, n)
        return c
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        return a @ b  # NumPy raises its own error, which the caller has already ruled out
    sa = _batch_stride(a, batch) if a.ndim > 2 else 0
    sb = _batch_stride(b, batch) if b.ndim > 2 else 0
    count = 1
    for d in batch:
        count *= d
    if sa is None or sb is None or count == 0:
        return _numpy_matmul(a, b, add)
    c, beta = _result(batch + (m, n), dt, add)
    _GEMM_BATCH[dt](_ROW_MAJOR, la[0], lb[0], m, n, k, 1.0, a.ctypes.data, la[1], sa,
                    b.ctypes.data, lb[1], sb, beta, c.ctypes.data, n, m * n, count)
    return c
