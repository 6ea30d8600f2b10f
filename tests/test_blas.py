"""The CPU matrix product behind every matmul/linear/conv (tinynn/_blas.py): Intel MKL's GEMM
when the `mkl` extra is installed, NumPy's matmul otherwise. Whatever the operands' layout
(transposed views, strided slices, broadcast or reversed batches), the result must be NumPy's."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

from tinynn import _blas

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_mkl = pytest.mark.skipif(_blas.blas_name() != "mkl",
                               reason="tinynn is not using Intel MKL (not installed: pip install -e "
                                      "\".[mkl]\"; or TINYNN_BLAS=numpy)")


@pytest.fixture
def every_size_on_mkl(monkeypatch):
    """Small products normally go to NumPy (cheaper there); these tests want MKL's path for every
    layout, so the size threshold is lifted."""
    monkeypatch.setattr(_blas, "_MKL_MIN_WORK", 0)


def _operands(rng, dt, m, k, n, ta, tb):
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dt)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dt)
    return (a.T if ta else a), (b.T if tb else b)


def _check(a, b):
    got, want = _blas.matmul(a, b), np.matmul(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if a.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol * 10, atol=tol * max(1, a.shape[-1]))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 1, 4), (1, 5, 1), (7, 5, 3), (6, 4, 1), (33, 17, 9)])
def test_matmul_matches_numpy_for_every_layout(dt, m, k, n, every_size_on_mkl):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    for ta, tb in itertools.product((0, 1), (0, 1)):
        a, b = _operands(rng, dt, m, k, n, ta, tb)
        _check(a, b)
        big = rng.standard_normal((2 * m, 3 * k)).astype(dt)
        _check(big[::2, ::3], b)                                 # strided rows and columns
        _check(big[:m, :k], b)                                   # leading dimension > columns
        _check(np.broadcast_to(a, (4, m, k)), b)                 # batch broadcast by stride 0
        _check(a, np.broadcast_to(b, (3, k, n)))
        A = rng.standard_normal((2, 3, m, k)).astype(dt)
        Bm = rng.standard_normal((3, k, n)).astype(dt)
        _check(A, Bm)                                            # batch dims broadcast
        _check(A.transpose(1, 0, 2, 3), Bm[:, None])             # batch axes not in memory order
        _check(A[::-1], Bm)                                      # reversed batch
        _check(A[0][::-1], Bm[::-1])
        _check(A[:, :, ::-1], Bm)                                # reversed rows
        _check(rng.standard_normal((5, 1, m, k)).astype(dt), rng.standard_normal((1, 4, k, n)).astype(dt))
        _check(np.zeros((0, m, k), dt), Bm[:1])                  # empty batch
        _check(np.zeros((m, 0), dt), np.zeros((0, n), dt))       # empty inner dimension
        _check(np.zeros((0, k), dt), b)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_add_is_added_to_the_product(dt, every_size_on_mkl):
    """matmul(a, b, add): the GEMM accumulates onto `add` broadcast to the result (addmm)."""
    rng = np.random.default_rng(1)
    a, b = _operands(rng, dt, 9, 7, 5, 0, 1)
    for add in (rng.standard_normal(5), rng.standard_normal((9, 1)), rng.standard_normal((9, 5)),
                np.float64(2.5)):
        add = np.asarray(add, dt)
        got = _blas.matmul(a, b, add)
        np.testing.assert_allclose(got, a @ b + add, rtol=1e-5, atol=1e-5)
        assert got.dtype == dt and add.shape == np.asarray(add).shape  # add itself is not written
    batched = rng.standard_normal((3, 9, 7)).astype(dt)
    np.testing.assert_allclose(_blas.matmul(batched, b, add), batched @ b + add, rtol=1e-5, atol=1e-5)
    keep = rng.standard_normal(5).astype(dt)
    before = keep.copy()
    _blas.matmul(a, b, keep)
    np.testing.assert_array_equal(keep, before)
    with pytest.raises(ValueError):
        _blas.matmul(a, b, np.ones(4, dt))


def test_large_products_at_the_default_threshold():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((130, 300)).astype(np.float32)
    b = rng.standard_normal((70, 300)).astype(np.float32)
    assert 130 * 300 * 70 >= _blas._MKL_MIN_WORK
    _check(a, b.T)
    _check(np.stack([a, a[::-1]]), b.T)


def test_other_dtypes_and_errors_are_numpys():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    np.testing.assert_array_equal(_blas.matmul(a, a.T), a @ a.T)
    h = a.astype(np.float16)
    assert _blas.matmul(h, h.T).dtype == np.float16
    mixed = _blas.matmul(a.astype(np.float32), a.T.astype(np.float64))
    assert mixed.dtype == np.float64
    with pytest.raises(ValueError):
        _blas.matmul(np.ones((2, 3), np.float32), np.ones((2, 3), np.float32))
    with pytest.raises(ValueError):
        _blas.matmul(np.ones((2, 2, 3), np.float32), np.ones((3, 3, 2), np.float32))


@needs_mkl
def test_mkl_is_reported():
    import tinynn
    assert tinynn.backends.mkl.is_available()
    assert _blas.blas_name() == "mkl"


def test_set_num_threads_as_pytorch():
    import tinynn
    old = tinynn.get_num_threads()
    assert isinstance(old, int) and old >= 1
    try:
        tinynn.set_num_threads(1)
        assert tinynn.get_num_threads() == 1
        a = np.ones((300, 300), np.float32)
        assert float(_blas.matmul(a, a)[5, 7]) == 300.0
    finally:
        tinynn.set_num_threads(old)
    assert tinynn.get_num_threads() == old
    # PyTorch 2.13's exceptions and messages
    for bad, msg in ((0, "set_num_threads expects a positive integer"),
                     (-1, "set_num_threads expects a positive integer"),
                     (1.5, "set_num_threads expects an int, but got float"),
                     (True, "set_num_threads expects an int, but got bool"),
                     ("2", "set_num_threads expects an int, but got str")):
        with pytest.raises(RuntimeError, match=msg):
            tinynn.set_num_threads(bad)
    assert tinynn.get_num_threads() == old


def _blas_in_subprocess(value):
    env = dict(os.environ, TINYNN_BLAS=value)
    return subprocess.run([sys.executable, "-c", "import tinynn; print(tinynn._blas.blas_name())"],
                          cwd=REPO, env=env, capture_output=True, text=True)


def test_tinynn_blas_environment_variable():
    r = _blas_in_subprocess("numpy")
    assert r.returncode == 0 and r.stdout.strip() == "numpy"
    r = _blas_in_subprocess("openblas")
    assert r.returncode != 0 and "TINYNN_BLAS must be 'mkl' or 'numpy', got 'openblas'" in r.stderr
    r = _blas_in_subprocess("mkl")
    if _blas._find_mkl() is not None:
        assert r.returncode == 0 and r.stdout.strip() == "mkl"
    else:
        assert r.returncode != 0 and "Intel MKL was not found" in r.stderr


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_axpby_updates_in_place_or_declines(dt):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(100_003).astype(dt)  # above MKL's threading threshold
    y = rng.standard_normal(100_003).astype(dt)
    want = 0.5 * x + 0.9 * y
    done = _blas.axpby(0.5, x, 0.9, y)
    assert done == (_blas.blas_name() == "mkl")
    if done:
        np.testing.assert_allclose(y, want, rtol=1e-6 if dt == np.float32 else 1e-14)
    # what it cannot do it leaves alone, and says so
    before = y.copy()
    for args in ((1.0, x[::2], 1.0, y[::2]), (1.0, x.astype(np.float16), 1.0, y), (1.0, x[:10], 1.0, y),
                 (1.0, x.astype(np.int64), 1.0, y), (1.0, x[:100], 1.0, y[:100])):
        assert _blas.axpby(*args) is False
    ro = y.copy()
    ro.flags.writeable = False
    assert _blas.axpby(1.0, x, 1.0, ro) is False
    np.testing.assert_array_equal(y, before)
