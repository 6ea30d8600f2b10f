"""cupy.random stand-in: `default_rng(seed)` returns a Generator with CuPy's method set only.

CuPy's `Generator` (cuRAND XORWOW) has random, uniform, integers, standard_normal,
standard_exponential, exponential, gamma, standard_gamma, beta, binomial, poisson, geometric,
chisquare, dirichlet, f, hypergeometric, logseries and power -- but no `normal`, `permutation`,
`shuffle`, `choice`, `multinomial` or `bit_generator.state`. The stream is NumPy's Philox, so it
differs from the CPU (PCG64) stream for the same seed, as a real GPU's does.
"""
from __future__ import annotations

import numpy as _np

from . import _w

_SALT = 0x5EED_C0DE


def _size(size):
    return () if size is None else size


class Generator:
    def __init__(self, bit_generator):
        self.bit_generator = bit_generator
        self._g = _np.random.Generator(_np.random.Philox(bit_generator._seed ^ _SALT))

    def random(self, size=None, dtype=_np.float64, out=None):
        dt = _np.dtype(dtype)
        if dt.char not in "fd":
            raise TypeError(f"Unsupported dtype {dt.name} for random")
        r = _w(self._g.random(_size(size), dtype=dt))
        if out is not None:
            out[...] = r
            return out
        return r

    def uniform(self, low=0.0, high=1.0, size=None, dtype=_np.float64):
        from . import asarray, broadcast_to  # noqa: PLC0415
        low, high = asarray(low), asarray(high)
        if size is None:
            size = _np.broadcast_shapes(low.shape, high.shape)
        y = self.random(size, dtype=_np.float64 if _np.dtype(dtype).char == "d" else _np.float32)
        return (broadcast_to(low, y.shape) + (broadcast_to(high, y.shape) - low) * y).astype(dtype, copy=False)

    def integers(self, low, high=None, size=None, dtype=_np.int64, endpoint=False):
        if high is None:
            low, high = 0, low
        return _w(self._g.integers(int(low), int(high), _size(size), dtype=dtype, endpoint=endpoint))

    def standard_normal(self, size=None, dtype=_np.float64, out=None):
        dt = _np.dtype(dtype)
        if dt.char not in "fd":
            raise TypeError(f"Unsupported dtype {dt.name} for standard_normal")
        r = _w(self._g.standard_normal(_size(size), dtype=dt))
        if out is not None:
            out[...] = r
            return out
        return r

    def standard_exponential(self, size=None, dtype=_np.float64, method="inv", out=None):
        if method == "zig":
            raise NotImplementedError("Ziggurat method is not supported")
        return _w(self._g.standard_exponential(_size(size)).astype(dtype, copy=False))

    def exponential(self, scale=1.0, size=None):
        return self.standard_exponential(size) * scale

    def _arr(self, v):
        from . import ndarray  # noqa: PLC0415
        if isinstance(v, ndarray):
            return v._a
        if type(v) in (float, int):
            return v
        raise TypeError("parameters are required to be a cupy.ndarray or a scalar")

    def standard_gamma(self, shape, size=None, dtype=_np.float64, out=None):
        return _w(self._g.standard_gamma(self._arr(shape), size).astype(dtype, copy=False))

    def gamma(self, shape, scale=1.0, size=None):
        return _w(self._g.gamma(self._arr(shape), self._arr(scale), size))

    def beta(self, a, b, size=None, dtype=_np.float64):
        return _w(self._g.beta(self._arr(a), self._arr(b), size).astype(dtype, copy=False))

    def binomial(self, n, p, size=None):
        return _w(self._g.binomial(self._arr(n), self._arr(p), size))

    def poisson(self, lam=1.0, size=None):
        return _w(self._g.poisson(self._arr(lam), size))

    def geometric(self, p, size=None):
        return _w(self._g.geometric(self._arr(p), size))

    def chisquare(self, df, size=None):
        return _w(self._g.chisquare(self._arr(df), size))

    def dirichlet(self, alpha, size=None):
        return _w(self._g.dirichlet(self._arr(alpha), size))

    def f(self, dfnum, dfden, size=None):
        return _w(self._g.f(self._arr(dfnum), self._arr(dfden), size))

    def hypergeometric(self, ngood, nbad, nsample, size=None):
        return _w(self._g.hypergeometric(self._arr(ngood), self._arr(nbad), self._arr(nsample), size))

    def logseries(self, p, size=None):
        return _w(self._g.logseries(self._arr(p), size))

    def power(self, a, size=None):
        return _w(self._g.power(self._arr(a), size))


class XORWOW:
    """The default BitGenerator (no `.state`, unlike NumPy's)."""

    def __init__(self, seed=None):
        if seed is None:
            seed = int.from_bytes(__import__("os").urandom(8), "little")
        self._seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF


def default_rng(seed=None):
    if isinstance(seed, Generator):
        return seed
    return Generator(XORWOW(seed))
