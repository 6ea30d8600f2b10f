"""kthvalue, cummax/cummin, isin, bincount, histc: values, dtypes and named-tuple results against
literals derived once with PyTorch 2.13 (CPU), gradients (gradcheck + gradgradcheck) and PyTorch's
errors. Inputs with ties avoid asking for the index PyTorch's quickselect picks (kthvalue returns
the first of equal entries in a stable sort; PyTorch's choice among ties is unspecified)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_close, check_grad

import tinynn

NAN = float("nan")
X = [[0.5, -1.25, 2.0, 3.5], [1.5, 0.25, -2.0, 0.75], [-0.5, 4.0, 1.0, -3.0]]
N = [[1.0, NAN, 2.0, -3.0], [4.0, 0.0, 2.5, 2.0]]


def t(data, device, **kw):
    return tinynn.tensor(data, device=device, **kw)


def _same(actual, expected):
    """Values equal, NaN where expected is NaN."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e))
    np.testing.assert_array_equal(a[~np.isnan(a)], e[~np.isnan(e)])


def _distinct(*shape, seed=0):
    """float64 values without ties (so arg-indices are unambiguous and gradcheck is smooth)."""
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    return (rng.permutation(n) * 0.37 - n * 0.15).reshape(shape)


# ----------------------------------------------------------------------------------------------
# kthvalue
# ----------------------------------------------------------------------------------------------
KTH = {  # expression -> (values, indices, dtype), from PyTorch 2.13
    "kthvalue(x, 2)": ([0.5, 0.25, -0.5], [0, 1, 0], "float32"),
    "kthvalue(x, 1, 0)": ([-0.5, -1.25, -2.0, -3.0], [2, 0, 1, 2], "float32"),
    "kthvalue(x, 3, 0, True)": ([[1.5, 4.0, 2.0, 3.5]], [[1, 2, 0, 0]], "float32"),
    "kthvalue(x, 4, -1, keepdim=True)": ([[3.5], [1.5], [4.0]], [[3], [0], [1]], "float32"),
    "kthvalue(n, 4)": ([NAN, 4.0], [1, 0], "float32"),
    "kthvalue(n, 3)": ([2.0, 2.5], [2, 2], "float32"),
    "kthvalue(i, 3)": (5, 0, "int64"),
    "kthvalue(s, 1)": (2.5, 0, "float32"),
    "kthvalue(s, 1, 0, True)": (2.5, 0, "float32"),
    "kthvalue(x.double(), 2, 0)": ([0.5, 0.25, 1.0, 0.75], [0, 1, 2, 1], "float64"),
    "kthvalue(x.half(), 2)": ([0.5, 0.25, -0.5], [0, 1, 0], "float16"),
}


@pytest.mark.parametrize("expr", list(KTH))
def test_kthvalue_values(device, expr):
    env = {"kthvalue": tinynn.kthvalue, "x": t(X, device), "n": t(N, device),
           "i": t([5, -2, 7, 0], device), "s": t(2.5, device)}
    r = eval(expr, env)  # noqa: S307
    vals, idx, dt = KTH[expr]
    assert type(r) is tinynn.return_types.kthvalue
    assert r.values is r[0] and r.indices is r[1]
    assert r.values.dtype == getattr(tinynn, dt) and r.indices.dtype == tinynn.int64
    _same(r.values.tolist(), vals)
    assert r.indices.tolist() == idx


def test_kthvalue_empty_and_out(device):
    r = tinynn.kthvalue(t(np.zeros((0, 3)), device), 1, 1)
    assert r.values.shape == (0,) and r.indices.shape == (0,) and r.indices.dtype == tinynn.int64
    v, i = t([0.0], device), t([0], device)
    res = tinynn.kthvalue(t(X, device), 2, out=(v, i))
    assert res[0] is v and v.tolist() == [0.5, 0.25, -0.5] and i.tolist() == [0, 1, 0]


def test_kthvalue_grad(device):
    x = t([[1.0, 5.0, 2.0, 3.0]], device, requires_grad=True)
    r = tinynn.kthvalue(x, 2)
    assert r.values.grad_fn.name() == "KthvalueBackward0"
    assert not r.indices.requires_grad
    r.values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 1.0, 0.0]]
    check_grad(lambda a: tinynn.kthvalue(a, 2, 1).values, _distinct(3, 4), device=device)
    check_grad(lambda a: tinynn.kthvalue(a, 3, 0, True).values, _distinct(4, 2, 3, seed=1),
               device=device)
    check_grad(lambda a: tinynn.kthvalue(a, 1).values, np.array(1.5), device=device)


KTH_ERRORS = [  # (call, exception, PyTorch 2.13's message)
    (lambda d: tinynn.kthvalue(t(X, d), 0), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 1"),
    (lambda d: tinynn.kthvalue(t(X, d), 5), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 1"),
    (lambda d: tinynn.kthvalue(t(X, d), -1), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 1"),
    (lambda d: tinynn.kthvalue(t(X, d), 4, 0), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 0"),
    (lambda d: tinynn.kthvalue(t(5.0, d), 2), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 0"),
    (lambda d: tinynn.kthvalue(t(np.zeros((2, 0)), d), 1), IndexError,
     "kthvalue(): Expected reduction dim 1 to have non-zero size."),
    (lambda d: tinynn.kthvalue(t(np.zeros((2, 0)), d), 5), IndexError,
     "kthvalue(): Expected reduction dim 1 to have non-zero size."),
    (lambda d: tinynn.kthvalue(t(np.zeros((0, 3)), d), 1, 0), IndexError,
     "kthvalue(): Expected reduction dim 0 to have non-zero size."),
    (lambda d: tinynn.kthvalue(t([True, False], d), 1), NotImplementedError,
     "\"kthvalue_cpu\" not implemented for 'Bool'"),
    (lambda d: tinynn.kthvalue(t([True, False], d), 5), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 0"),
    (lambda d: tinynn.kthvalue(t(X, d), 1.5), TypeError,
     "kthvalue(): argument 'k' (position 2) must be int, not float"),
    (lambda d: tinynn.kthvalue(t(X, d), True), TypeError,
     "kthvalue(): argument 'k' (position 2) must be int, not bool"),
    (lambda d: tinynn.kthvalue(t(X, d), 1, 0.0), TypeError,
     "kthvalue(): argument 'dim' (position 3) must be int, not float"),
    (lambda d: tinynn.kthvalue(t(X, d), 1, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda d: tinynn.kthvalue(t(5.0, d), 1, 1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda d: tinynn.kthvalue([1.0, 2.0], 1), TypeError,
     "kthvalue(): argument 'input' (position 1) must be Tensor, not list"),
]


@pytest.mark.parametrize("case", range(len(KTH_ERRORS)))
def test_kthvalue_errors(device, case):
    call, exc, msg = KTH_ERRORS[case]
    with pytest.raises(exc) as e:
        call(device)
    assert str(e.value) == msg


# ----------------------------------------------------------------------------------------------
# cummax, cummin
# ----------------------------------------------------------------------------------------------
C = [[3.0, 1.0, 3.0, 4.0, NAN, 2.0, NAN], [1.0, 1.0, 0.0, 5.0, 5.0, -1.0, 7.0]]
INF = math.inf
CUM = {  # expression -> (values, indices, dtype), from PyTorch 2.13
    "cummax(c, 1)": ([[3.0, 3.0, 3.0, 4.0, NAN, NAN, NAN], [1.0, 1.0, 1.0, 5.0, 5.0, 5.0, 7.0]],
                     [[0, 0, 2, 3, 4, 4, 6], [0, 1, 1, 3, 4, 4, 6]], "float32"),
    "cummin(c, 1)": ([[3.0, 1.0, 1.0, 1.0, NAN, NAN, NAN], [1.0, 1.0, 0.0, 0.0, 0.0, -1.0, -1.0]],
                     [[0, 1, 1, 1, 4, 4, 6], [0, 1, 2, 2, 2, 5, 5]], "float32"),
    "cummax(c, 0)": ([[3.0, 1.0, 3.0, 4.0, NAN, 2.0, NAN], [3.0, 1.0, 3.0, 5.0, NAN, 2.0, NAN]],
                     [[0, 0, 0, 0, 0, 0, 0], [0, 1, 0, 1, 0, 0, 0]], "float32"),
    "cummin(c, -2)": ([[3.0, 1.0, 3.0, 4.0, NAN, 2.0, NAN], [1.0, 1.0, 0.0, 4.0, NAN, -1.0, NAN]],
                      [[0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 1, 0]], "float32"),
    "cummax(t([3, 1, 5, 5, 2]), 0)": ([3, 3, 5, 5, 5], [0, 0, 2, 3, 3], "int64"),
    "cummin(t([3, 1, 5, 1, 2], dtype=tinynn.int32), 0)": ([3, 1, 1, 1, 1], [0, 1, 1, 3, 3], "int32"),
    "cummax(t([True, False, True]), 0)": ([True, True, True], [0, 0, 2], "bool"),
    "cummin(t([True, False, True]), 0)": ([True, False, False], [0, 1, 1], "bool"),
    "cummax(t(5.0), 0)": (5.0, 0, "float32"),
    "cummin(t(5.0), -1)": (5.0, 0, "float32"),
    "cummax(t([1.0, INF, -INF, 2.0]), 0)": ([1.0, INF, INF, INF], [0, 1, 1, 1], "float32"),
    "cummin(t([1.0, INF, -INF, 2.0, -INF]), 0)": ([1.0, 1.0, -INF, -INF, -INF], [0, 0, 2, 2, 4],
                                                   "float32"),
    "cummax(t([1.0, NAN, 2.0, NAN, 3.0]), 0)": ([1.0, NAN, NAN, NAN, NAN], [0, 1, 1, 3, 3], "float32"),
    "cummax(t([2, 2, 2], dtype=tinynn.uint8), 0)": ([2, 2, 2], [0, 1, 2], "uint8"),
    "cummax(t([[0.5, 2.0], [1.5, -1.0], [2.5, 3.0]]).half(), 0)": (
        [[0.5, 2.0], [1.5, 2.0], [2.5, 3.0]], [[0, 0], [1, 0], [2, 2]], "float16"),
    "cummax(t([-0.0, 0.0, -0.0]), 0)": ([-0.0, 0.0, -0.0], [0, 1, 2], "float32"),
}


@pytest.mark.parametrize("expr", list(CUM))
def test_cummax_cummin_values(device, expr):
    env = {"cummax": tinynn.cummax, "cummin": tinynn.cummin, "tinynn": tinynn, "NAN": NAN,
           "INF": INF, "c": t(C, device), "t": lambda d, **kw: t(d, device, **kw)}
    r = eval(expr, env)  # noqa: S307
    vals, idx, dt = CUM[expr]
    name = expr.split("(")[0]
    assert type(r) is getattr(tinynn.return_types, name)
    assert r.values is r[0] and r.indices is r[1]
    assert r.values.dtype == getattr(tinynn, dt) and r.indices.dtype == tinynn.int64
    if dt == "bool":
        assert r.values.tolist() == vals
    else:
        _same(r.values.tolist(), vals)
    assert r.indices.tolist() == idx
    if expr == "cummax(t([-0.0, 0.0, -0.0]), 0)":  # the value is the input entry at the index
        assert [math.copysign(1, v) for v in r.values.tolist()] == [-1, 1, -1]


def test_cummax_empty_and_out(device):
    for d in (0, 1):
        r = tinynn.cummax(t(np.zeros((2, 0)), device), d)
        assert r.values.shape == (2, 0) and r.indices.shape == (2, 0)
        assert r.indices.dtype == tinynn.int64
    v, i = t([0.0], device), t([0], device)
    res = tinynn.cummin(t([2.0, 1.0, 3.0], device), 0, out=(v, i))
    assert res[0] is v and v.tolist() == [2.0, 1.0, 1.0] and i.tolist() == [0, 1, 1]


def test_cummax_cummin_grad(device):
    x = t([[3.0, 1.0, 3.0, 4.0]], device, requires_grad=True)
    r = tinynn.cummax(x, 1)
    assert r.values.grad_fn.name() == "CummaxBackward0"
    assert tinynn.cummin(x, 1).values.grad_fn.name() == "CumminBackward0"
    assert not r.indices.requires_grad
    r.values.sum().backward()
    assert x.grad.tolist() == [[2.0, 0.0, 1.0, 1.0]]  # PyTorch 2.13: ties go to the later entry
    for fn in (tinynn.cummax, tinynn.cummin):
        check_grad(lambda a, fn=fn: fn(a, 1).values, _distinct(3, 6), device=device)
        check_grad(lambda a, fn=fn: fn(a, 0).values, _distinct(5, 2, 3, seed=2), device=device)
        check_grad(lambda a, fn=fn: fn(a, -1).values, _distinct(9, seed=3), device=device)
        check_grad(lambda a, fn=fn: fn(a, 0).values, np.array(1.5), device=device)


def test_cummax_long_scan(device):
    """A running max over more than a few powers of two (the GPU path scans in log2 n steps)."""
    a = _distinct(3, 37, seed=4)
    for fn, acc in ((tinynn.cummax, np.maximum), (tinynn.cummin, np.minimum)):
        r = fn(t(a, device), 1)
        want = acc.accumulate(a, axis=1)
        assert_close(r.values, want, rtol=0, atol=0)
        got_idx = np.asarray(r.indices.tolist())
        np.testing.assert_array_equal(np.take_along_axis(a, got_idx, 1), want)


CUM_ERRORS = [  # (call, exception, PyTorch 2.13's message)
    (lambda d: tinynn.cummax(t(C, d), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda d: tinynn.cummax(t(C, d)), TypeError, 'cummax() missing 1 required positional arguments: "dim"'),
    (lambda d: tinynn.cummax([1.0], 0), TypeError,
     "cummax(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda d: tinynn.cummax(t(3.0, d), 1), IndexError,
     "cummax(): Expected reduction dim -1 or 0 for scalar but got 1"),
    (lambda d: tinynn.cummin(t(3.0, d), -2), IndexError,
     "cummin(): Expected reduction dim -1 or 0 for scalar but got -2"),
    (lambda d: tinynn.cummax(t([1.0, 2.0], d), 1.0), TypeError,
     "cummax(): argument 'dim' (position 2) must be int, not float"),
    (lambda d: tinynn.cummax(t([3.0], d), True), TypeError,
     "cummax(): argument 'dim' (position 2) must be int, not bool"),
    (lambda d: tinynn.cummax(t([1.0 + 1.0j], d), 0), NotImplementedError,
     "\"cummax_cpu\" not implemented for 'ComplexFloat'"),
]


@pytest.mark.parametrize("case", range(len(CUM_ERRORS)))
def test_cummax_errors(device, case):
    call, exc, msg = CUM_ERRORS[case]
    with pytest.raises(exc) as e:
        call(device)
    assert str(e.value) == msg


# ----------------------------------------------------------------------------------------------
# isin
# ----------------------------------------------------------------------------------------------
ISIN = {  # expression -> result (bool), from PyTorch 2.13
    "isin(x, t([2, 3]))": [[False, True], [True, False]],
    "isin(x, t([2, 3]), invert=True)": [[True, False], [False, True]],
    "isin(x, 3)": [[False, False], [True, False]],
    "isin(3, x)": True,
    "isin(x, 3.0)": [[False, False], [True, False]],
    "isin(x, t([2.0, 3.5]))": [[False, True], [False, False]],
    "isin(t([1.0, NAN]), t([NAN, 1.0]))": [True, False],
    "isin(t([1.0, NAN]), t([NAN, 1.0]), invert=True)": [False, True],
    "isin(x, t([[2], [3]]), assume_unique=True)": [[False, True], [True, False]],
    "isin(t(2), t([2, 3]))": True,
    "isin(x, t([], dtype=tinynn.int64))": [[False, False], [False, False]],
    "isin(t([1, 2], dtype=tinynn.uint8), t([2.5, 1.0]))": [True, False],
    "isin(t([0.1]), t([0.1], dtype=tinynn.float64))": [False],  # compared in float64
    "isin(t([0.1]), 0.1)": [True],                               # a number is weak
    "isin(0.1, t([0.1]))": True,
    "isin(t([300]), t([44], dtype=tinynn.uint8))": [False],
    "isin(t([255], dtype=tinynn.uint8), t([-1], dtype=tinynn.int8))": [False],
    "isin(t([1, 2], dtype=tinynn.uint8), t([1], dtype=tinynn.int8))": [True, False],
    "isin(t([1.0, 2.0]), t([1.0], dtype=tinynn.float16))": [True, False],
    "isin(t([1, 2], dtype=tinynn.int8), t([1.5], dtype=tinynn.float16))": [False, False],
    "isin(t([1, 2]), t([[1, 5], [2, 7]]))": [True, True],
    "isin(t([1, 2]), t([[1, 5], [2, 7]]), assume_unique=True, invert=True)": [False, False],
    "isin(t([1, 2]), t(2))": [False, True],
    "isin(t([-0.0]), t([0.0]))": [True],
    "isin(t([1.5]), np.float64(1.5))": [True],
    "isin(np.int64(2), t([1, 2]))": True,
}


@pytest.mark.parametrize("expr", list(ISIN))
def test_isin_values(device, expr):
    env = {"isin": tinynn.isin, "tinynn": tinynn, "np": np, "NAN": NAN, "x": t([[1, 2], [3, 4]], device),
           "t": lambda d, **kw: t(d, device, **kw)}
    r = eval(expr, env)  # noqa: S307
    assert isinstance(r, tinynn.Tensor) and r.dtype == tinynn.bool
    assert r.tolist() == ISIN[expr]


def test_isin_empty_and_out(device):
    r = tinynn.isin(t(np.zeros((0, 3)), device), t([1.0], device))
    assert r.shape == (0, 3) and r.dtype == tinynn.bool
    o = t([False], device)
    assert tinynn.isin(t([1, 2, 3], device), t([3], device), out=o) is o
    assert o.tolist() == [False, False, True]
    r = tinynn.isin(t([1.0, 2.0], device, requires_grad=True), t([1.0], device))
    assert not r.requires_grad and r.grad_fn is None


_ISIN_SIGS = (
    "but expected one of:\n"
    " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
    "Tensor out = None)\n"
    " * (Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
    "Tensor out = None)\n"
    " * (Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = False, "
    "Tensor out = None)\n")
ISIN_ERRORS = [  # (call, exception, PyTorch 2.13's message)
    (lambda d: tinynn.isin(t([1], d), [1]), TypeError,
     "isin() received an invalid combination of arguments - got (Tensor, list), " + _ISIN_SIGS),
    (lambda d: tinynn.isin([1, 2], t([1], d)), TypeError,
     "isin() received an invalid combination of arguments - got (list, Tensor), " + _ISIN_SIGS),
    (lambda d: tinynn.isin(3, 4), TypeError,
     "isin() received an invalid combination of arguments - got (int, int), " + _ISIN_SIGS),
    (lambda d: tinynn.isin(t([1], d), None), TypeError,
     "isin() received an invalid combination of arguments - got (Tensor, NoneType), " + _ISIN_SIGS),
    (lambda d: tinynn.isin(t([1], d), t([1], d), invert=1), TypeError,
     "isin() received an invalid combination of arguments - got (Tensor, Tensor, invert=int), "
     + _ISIN_SIGS),
    (lambda d: tinynn.isin(t([True, False], d), t([1], d)), RuntimeError,
     "Unsupported input type encountered for isin(): Bool"),
    (lambda d: tinynn.isin(t([1], d), t([True], d)), RuntimeError,
     "Unsupported input type encountered for isin(): Bool"),
    (lambda d: tinynn.isin(t([1], d), True), RuntimeError,
     "Unsupported input type encountered for isin(): Bool"),
    (lambda d: tinynn.isin(True, t([1], d)), RuntimeError,
     "Unsupported input type encountered for isin(): Bool"),
    (lambda d: tinynn.isin(t([1.0], d), t([1.0 + 0j], d)), RuntimeError,
     "Unsupported input type encountered for isin(): ComplexFloat"),
    (lambda d: tinynn.isin(t([True], d), t([1j], d)), RuntimeError,
     "Unsupported input type encountered for isin(): Bool"),
    (lambda d: tinynn.isin(t([1j], d), t([True], d)), RuntimeError,
     "Unsupported input type encountered for isin(): ComplexFloat"),
    (lambda d: tinynn.isin(t([1.0], d, dtype=tinynn.float64), 1j), RuntimeError,
     "Unsupported input type encountered for isin(): ComplexDouble"),
]


@pytest.mark.parametrize("case", range(len(ISIN_ERRORS)))
def test_isin_errors(device, case):
    call, exc, msg = ISIN_ERRORS[case]
    with pytest.raises(exc) as e:
        call(device)
    assert str(e.value) == msg


def test_isin_number_wraps(device):
    """A number compares after the cast to the promoted dtype, which wraps integers (PyTorch 2.13)."""
    u8 = t([255, 0], device, dtype=tinynn.uint8)
    assert tinynn.isin(u8, -1).tolist() == [True, False]
    assert tinynn.isin(u8, 256).tolist() == [False, True]
    assert tinynn.isin(-1, u8).tolist() is True
    assert tinynn.isin(t([127], device, dtype=tinynn.int8), 2 ** 40).tolist() == [False]
    assert tinynn.isin(u8, 255, invert=True).tolist() == [False, True]
    assert tinynn.isin(5, u8, invert=True).tolist() is True


# ----------------------------------------------------------------------------------------------
# bincount
# ----------------------------------------------------------------------------------------------
BI = [1, 4, 1, 0, 2]
BW = [0.5, 1.25, -2.0, 3.0, 0.25]
BINCOUNT = {  # expression -> (result, dtype), from PyTorch 2.13
    "bincount(t(BI))": ([1, 2, 1, 0, 1], "int64"),
    "bincount(t(BI), minlength=7)": ([1, 2, 1, 0, 1, 0, 0], "int64"),
    "bincount(t(BI), minlength=2)": ([1, 2, 1, 0, 1], "int64"),
    "bincount(t(BI), t(BW))": ([3.0, -1.5, 0.25, 0.0, 1.25], "float32"),
    "bincount(t(BI), t(BW, dtype=tinynn.float64), minlength=6)": ([3.0, -1.5, 0.25, 0.0, 1.25, 0.0],
                                                                  "float64"),
    "bincount(t(BI), t([1, 2, 3, 4, 5]))": ([4.0, 4.0, 5.0, 0.0, 2.0], "float64"),
    "bincount(t(BI), t(BW).half())": ([3.0, -1.5, 0.25, 0.0, 1.25], "float64"),
    "bincount(t(BI, dtype=tinynn.uint8))": ([1, 2, 1, 0, 1], "int64"),
    "bincount(t(BI, dtype=tinynn.int32), t([True, False, True, True, False]))": (
        [1.0, 2.0, 0.0, 0.0, 0.0], "float64"),
    "bincount(t(BI, dtype=tinynn.int8), None, 0)": ([1, 2, 1, 0, 1], "int64"),
    "bincount(t([], dtype=tinynn.int64))": ([], "int64"),
    "bincount(t([], dtype=tinynn.int64), minlength=3)": ([0, 0, 0], "int64"),
    "bincount(t([], dtype=tinynn.int64), t([]), minlength=3)": ([0, 0, 0], "int64"),
    "bincount(t([], dtype=tinynn.int64), t([1.0, 2.0]))": ([], "int64"),
    "bincount(t([1, 2]), None, 5)": ([0, 1, 1, 0, 0], "int64"),
}


@pytest.mark.parametrize("expr", list(BINCOUNT))
def test_bincount_values(device, expr):
    env = {"bincount": tinynn.bincount, "tinynn": tinynn, "BI": BI, "BW": BW,
           "t": lambda d, **kw: t(d, device, **kw)}
    r = eval(expr, env)  # noqa: S307
    want, dt = BINCOUNT[expr]
    assert r.dtype == getattr(tinynn, dt)
    assert r.tolist() == want


def test_bincount_grad_not_implemented(device):
    w = t([1.0, 2.0], device, requires_grad=True)
    r = tinynn.bincount(t([1, 2], device), w)
    assert r.grad_fn.name() == "NotImplemented" and r.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError) as e:
        r.sum().backward()
    assert str(e.value) == "derivative for aten::bincount is not implemented"
    with tinynn.no_grad():
        assert tinynn.bincount(t([1, 2], device), w).grad_fn is None


def test_bincount_complex_weights_warn(device):
    with pytest.warns(UserWarning, match="Casting complex values to real discards the imaginary part"):
        r = tinynn.bincount(t([1, 2], device), t([1.0 + 1.0j, 2.0], device))
    assert r.dtype == tinynn.float64 and r.tolist() == [0.0, 1.0, 2.0]


_BC_1D = "bincount only supports 1-d non-negative integral inputs."
_BC_W = "weights should be 1-d and have the same length as input"
BINCOUNT_ERRORS = [  # (call, exception, PyTorch 2.13's message)
    (lambda d: tinynn.bincount(t([True, False], d)), NotImplementedError,
     "\"bincount_cpu\" not implemented for 'Bool'"),
    (lambda d: tinynn.bincount(t([1.0, 2.0], d)), NotImplementedError,
     "\"bincount_cpu\" not implemented for 'Float'"),
    (lambda d: tinynn.bincount(t([1.0, 2.0], d), t([1.0], d), minlength=-1), NotImplementedError,
     "\"bincount_cpu\" not implemented for 'Float'"),
    (lambda d: tinynn.bincount(t([1, -1, 3], d)), RuntimeError, _BC_1D),
    (lambda d: tinynn.bincount(t([[1, 1], [3, 0]], d)), RuntimeError, _BC_1D),
    (lambda d: tinynn.bincount(t(3, d)), RuntimeError, _BC_1D),
    (lambda d: tinynn.bincount(t(np.zeros((2, 0), dtype=np.int64), d)), RuntimeError, _BC_1D),
    (lambda d: tinynn.bincount(t([1, -2], d), t([1.0], d)), RuntimeError, _BC_1D),
    (lambda d: tinynn.bincount(t([1, 2], d), minlength=-1), RuntimeError, "minlength should be >= 0"),
    (lambda d: tinynn.bincount(t([], d, dtype=tinynn.int64), minlength=-1), RuntimeError,
     "minlength should be >= 0"),
    (lambda d: tinynn.bincount(t([1, -2], d), minlength=-1), RuntimeError, "minlength should be >= 0"),
    (lambda d: tinynn.bincount(t([1, 2], d), t([1.0, 2.0, 3.0], d)), RuntimeError, _BC_W),
    (lambda d: tinynn.bincount(t([1, 2], d), t([[1.0, 2.0]], d)), RuntimeError, _BC_W),
    (lambda d: tinynn.bincount([1, 2]), TypeError,
     "bincount(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda d: tinynn.bincount(t([1, 2], d), [1.0, 2.0]), TypeError,
     "bincount(): argument 'weights' (position 2) must be Tensor, not list"),
    (lambda d: tinynn.bincount(t([1, 2], d), minlength=2.0), TypeError,
     "bincount(): argument 'minlength' must be int, not float"),
    (lambda d: tinynn.bincount(t([1, 2], d), minlength=True), TypeError,
     "bincount(): argument 'minlength' must be int, not bool"),
]


@pytest.mark.parametrize("case", range(len(BINCOUNT_ERRORS)))
def test_bincount_errors(device, case):
    call, exc, msg = BINCOUNT_ERRORS[case]
    with pytest.raises(exc) as e:
        call(device)
    assert str(e.value) == msg


# ----------------------------------------------------------------------------------------------
# histc
# ----------------------------------------------------------------------------------------------
H = [1.0, 2.0, 1.0, 4.0, 2.5, 0.0, -1.0, 7.0]
G = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
HISTC = {  # expression -> (result, dtype), from PyTorch 2.13
    "histc(h, bins=4)": ([2.0, 4.0, 1.0, 1.0], "float32"),
    "histc(h, bins=4, min=0, max=3)": ([1.0, 2.0, 1.0, 1.0], "float32"),
    "histc(h, bins=3, min=1, max=1)": ([4.0, 3.0, 1.0], "float32"),   # min == max: the data's range
    "histc(h, 5, 1, 4)": ([2.0, 1.0, 1.0, 0.0, 1.0], "float32"),
    "histc(t([1.0, 1.0, 1.0]), bins=4)": ([0.0, 0.0, 3.0, 0.0], "float32"),  # widened to [0, 2]
    "histc(t([2.0, 2.0]), bins=4, min=0, max=0)": ([0.0, 0.0, 2.0, 0.0], "float32"),
    "histc(t([0.0, 0.0]), bins=4)": ([0.0, 0.0, 2.0, 0.0], "float32"),
    "histc(t([1.0, NAN, 2.0]), bins=4, min=0, max=3)": ([0.0, 1.0, 1.0, 0.0], "float32"),
    "histc(t([1.0, INF, -INF, 2.0]), bins=4, min=0, max=3)": ([0.0, 1.0, 1.0, 0.0], "float32"),
    "histc(t([1.0, 2.0], dtype=tinynn.float64), bins=4)": ([1.0, 0.0, 0.0, 1.0], "float64"),
    "histc(t([1.0, 2.0]).half(), bins=4)": ([1.0, 0.0, 0.0, 1.0], "float16"),
    "histc(t([]), bins=4)": ([0.0, 0.0, 0.0, 0.0], "float32"),
    "histc(t([[1.0, 2.0], [3.0, 4.0]]), bins=4)": ([1.0, 1.0, 1.0, 1.0], "float32"),
    "histc(t(2.0), bins=3)": ([0.0, 1.0, 0.0], "float32"),
    "histc(g, bins=10)": ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0], "float32"),
    "histc(g, bins=3, min=0, max=0.9)": ([3.0, 3.0, 4.0], "float32"),  # float32 rounding at edges
    "histc(h, bins=4, min=True, max=3)": ([2.0, 0.0, 1.0, 1.0], "float32"),
    "histc(h, bins=4, min=t(1.0), max=3)": ([2.0, 0.0, 1.0, 1.0], "float32"),
    # half precision overflows to inf in (x - min) * bins; PyTorch's kernel puts those in bin 0
    "histc(t([-900.0, 0.0, 500.0, 1000.0]).half(), 8, -1000, 1000)": (
        [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0], "float16"),
    "histc(h, bins=2, min=-1, max=7.0)": ([6.0, 2.0], "float32"),
    # max - min overflows the dtype: PyTorch's linspace edges are NaN and nothing is counted
    "histc(t([1.0, 2.0]), 4, -3e38, 3e38)": ([0.0, 0.0, 0.0, 0.0], "float32"),
    "histc(t([1.0, 2.0, 3e38, -3e38]), 4)": ([0.0, 0.0, 0.0, 0.0], "float32"),
    "histc(t([1.0, 2.0]).half(), 4, -4e4, 4e4)": ([0.0, 0.0, 0.0, 0.0], "float16"),
    "histc(t([1e38, -1e38, 0.0]), 3, -1e38, 1e38)": ([2.0, 1.0, 0.0], "float32"),
    # min and max equal once in float32: 0/0 is NaN, which PyTorch's kernel puts in bin 0
    "histc(t([1.0, 2.0]), 4, 1.0, 1.00000001)": ([1.0, 0.0, 0.0, 0.0], "float32"),
}


@pytest.mark.parametrize("expr", list(HISTC))
def test_histc_values(device, expr):
    env = {"histc": tinynn.histc, "tinynn": tinynn, "NAN": NAN, "INF": INF, "h": t(H, device),
           "g": t(G, device), "t": lambda d, **kw: t(d, device, **kw)}
    r = eval(expr, env)  # noqa: S307
    want, dt = HISTC[expr]
    assert r.dtype == getattr(tinynn, dt)
    assert r.tolist() == want


def test_histc_default_bins_and_out(device):
    r = tinynn.histc(t(H, device))
    want = np.zeros(100)
    want[[0, 12, 37, 43, 62, 99]] = 1.0
    want[25] = 2.0
    assert r.tolist() == want.tolist()
    o = t([0.0], device)
    assert tinynn.histc(t(H, device), 4, 0, 3, out=o) is o and o.tolist() == [1.0, 2.0, 1.0, 1.0]
    r = tinynn.histc(t([[1.0, 2.0], [3.0, 4.0]], device, requires_grad=True), bins=4)
    assert not r.requires_grad and r.grad_fn is None


HISTC_ERRORS = [  # (call, exception, PyTorch 2.13's message)
    (lambda d: tinynn.histc(t([1.0, NAN, 2.0], d), bins=4), RuntimeError,
     "torch.histc: range of [-nan, -nan] is not finite"),
    (lambda d: tinynn.histc(t([1.0, INF, 2.0], d), bins=4), RuntimeError,
     "torch.histc: range of [1, inf] is not finite"),
    (lambda d: tinynn.histc(t([-INF, 2.0], d), bins=4), RuntimeError,
     "torch.histc: range of [-inf, 2] is not finite"),
    (lambda d: tinynn.histc(t(H, d), bins=4, min=NAN, max=1), RuntimeError,
     "torch.histc: range of [nan, 1] is not finite"),
    (lambda d: tinynn.histc(t(H, d), bins=4, min=0, max=INF), RuntimeError,
     "torch.histc: range of [0, inf] is not finite"),
    (lambda d: tinynn.histc(t([1.5], d), bins=4, min=1e-7, max=INF), RuntimeError,
     "torch.histc: range of [1e-07, inf] is not finite"),
    (lambda d: tinynn.histc(t([1.5], d), bins=4, min=1234567.0, max=INF), RuntimeError,
     "torch.histc: range of [1.23457e+06, inf] is not finite"),
    (lambda d: tinynn.histc(t(H, d), bins=4, min=3, max=1), RuntimeError,
     "torch.histc: max must be larger than min"),
    (lambda d: tinynn.histc(t([1, 2], d), bins=4, min=3, max=1), RuntimeError,
     "torch.histc: max must be larger than min"),
    (lambda d: tinynn.histc(t(H, d), bins=0), RuntimeError,
     "torch.histogram(): bins must be > 0, but got 0 for dimension 0"),
    (lambda d: tinynn.histc(t(H, d), bins=-1), RuntimeError,
     "torch.histogram(): bins must be > 0, but got -1 for dimension 0"),
    (lambda d: tinynn.histc(t([1, 2], d), bins=0, min=3, max=1), RuntimeError,
     "torch.histogram(): bins must be > 0, but got 0 for dimension 0"),
    (lambda d: tinynn.histc(t([1, 2], d), bins=4), NotImplementedError,
     "\"histogram_cpu\" not implemented for 'Long'"),
    (lambda d: tinynn.histc(t([1, 2], d, dtype=tinynn.int32), bins=4), NotImplementedError,
     "\"histogram_cpu\" not implemented for 'Int'"),
    (lambda d: tinynn.histc(t([1, 2], d, dtype=tinynn.uint8), bins=4), NotImplementedError,
     "\"histogram_cpu\" not implemented for 'Byte'"),
    (lambda d: tinynn.histc(t([True], d), bins=4), NotImplementedError,
     "\"linspace_cpu\" not implemented for 'Bool'"),
    (lambda d: tinynn.histc(t([1j], d), bins=3), NotImplementedError,
     "\"aminmax_cpu\" not implemented for 'ComplexFloat'"),
    (lambda d: tinynn.histc(t(H, d), bins=2.5), TypeError, "histc(): argument 'bins' must be int, not float"),
    (lambda d: tinynn.histc(t(H, d), bins=True), TypeError, "histc(): argument 'bins' must be int, not bool"),
    (lambda d: tinynn.histc(t(H, d), bins=3, min="a"), TypeError,
     "histc(): argument 'min' must be Number, not str"),
    (lambda d: tinynn.histc(t(H, d), bins=3, min=1j, max=3), RuntimeError,
     "value cannot be converted to type double without overflow"),
    (lambda d: tinynn.histc(t([1.0, 2.0], d).half(), 4, -1e5, 1e5), RuntimeError,
     "value cannot be converted to type c10::Half without overflow"),
    (lambda d: tinynn.histc(t([1.0, 2.0], d), 4, -1e39, 1e39), RuntimeError,
     "value cannot be converted to type float without overflow"),
    (lambda d: tinynn.histc([1.0], bins=3), TypeError,
     "histc(): argument 'input' (position 1) must be Tensor, not list"),
]


@pytest.mark.parametrize("case", range(len(HISTC_ERRORS)))
def test_histc_errors(device, case):
    call, exc, msg = HISTC_ERRORS[case]
    with pytest.raises(exc) as e:
        call(device)
    assert str(e.value) == msg
