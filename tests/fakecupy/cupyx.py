"""cupyx stand-in: scatter_add/max/min (CuPy's dtype limits), rsqrt, pinned arrays, scipy.special."""
from __future__ import annotations

import math as _math
import types as _types

import numpy as _np

from . import _check, _prep_key, _un, _w, ndarray

# CUDA atomics behind cupyx.scatter_*: no int64, int8, int16, uint8, uint16 or bool
_ADD_OK = {"int32", "float16", "float32", "float64", "uint32", "uint64"}
_MINMAX_OK = {"int32", "float32", "float64", "uint32", "uint64"}


def _scatter(op, a, slices, value):
    if type(a) is not ndarray:
        raise TypeError(f"Unsupported type {type(a)}")
    _check(a)
    ok = _ADD_OK if op == "add" else _MINMAX_OK
    if a.dtype.name not in ok:
        raise TypeError(f"scatter_{op} only supports {', '.join(sorted(ok))} as data type")
    k, _ = _prep_key(slices, a._a.shape, True)
    v = _un(value, True)
    getattr(_np, {"add": "add", "max": "maximum", "min": "minimum"}[op]).at(a._a, k, v)


def scatter_add(a, slices, value):
    _scatter("add", a, slices, value)


def scatter_max(a, slices, value):
    _scatter("max", a, slices, value)


def scatter_min(a, slices, value):
    _scatter("min", a, slices, value)


def rsqrt(x, out=None):
    return _w(1.0 / _np.sqrt(_un(x)))


def empty_pinned(shape, dtype=float, order="C"):
    return _np.empty(shape, dtype=dtype, order=order)


def zeros_pinned(shape, dtype=float, order="C"):
    return _np.zeros(shape, dtype=dtype, order=order)


def _special(name, fallback):
    def f(x, *args):
        a = _un(x)
        try:
            import scipy.special as sp  # noqa: PLC0415
            r = getattr(sp, name)(a, *[_un(v) for v in args])
        except ImportError:
            r = _np.vectorize(fallback, otypes=[a.dtype if a.dtype.kind == "f" else _np.float64])(a)
        return _w(_np.asarray(r).astype(a.dtype if a.dtype.kind == "f" else _np.float64, copy=False))
    f.__name__ = name
    return f


special = _types.ModuleType("fakecupy.cupyx.scipy.special")
for _n, _fb in (("erf", _math.erf), ("erfc", _math.erfc), ("gammaln", _math.lgamma),
                ("erfinv", None), ("erfcinv", None), ("digamma", None), ("ndtr", None), ("ndtri", None),
                ("log_ndtr", None), ("expit", lambda v: 1 / (1 + _math.exp(-v))), ("logit", None),
                ("xlogy", None), ("xlog1py", None), ("i0", None), ("i0e", None), ("i1", None),
                ("i1e", None), ("entr", None), ("polygamma", None)):
    setattr(special, _n, _special(_n, _fb))
scipy = _types.ModuleType("fakecupy.cupyx.scipy")
scipy.special = special
