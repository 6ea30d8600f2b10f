"""Backend layer: maps a device to an array module (NumPy on the CPU, CuPy on CUDA).

This is the only module that imports CuPy, and it does so lazily: only when a cuda device is
asked for. Everything above it takes the array module from the arrays it holds
(`get_array_module`), never from a global switch, so the same op code runs on both.

The few kernels that differ between the libraries live here: scatter-add, sliding windows,
the random generator and the transfer to host memory.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from ._blas import axpby, matmul  # noqa: F401 - matrix products and y = a*x + b*y (MKL when installed)

__all__ = ["device", "get_array_module", "to_device", "to_host", "scatter_add",
           "sliding_window_view", "cuda_available", "cuda_unavailable_reason", "erf", "erfc", "special",
           "matmul", "axpby"]


# ----------------------------------------------------------------------------------------
# Host memory: keep freed NumPy buffers for reuse (glibc malloc)
# ----------------------------------------------------------------------------------------
def _keep_freed_host_memory() -> bool:
    """Make glibc's malloc serve arrays up to 32 MiB from its heap and keep up to 128 MiB of
    freed heap instead of returning it to the OS at every free.

    A training step allocates and frees the same activation-sized buffers every time; by default
    glibc hands buffers above ~128 KiB back to the kernel when freed, so each step page-faults
    them in again (zeroed by the kernel): 4,300 faults, 5-9 ms of a 34 ms W2 CNN step on the
    benchmark machine, vs 0.2 ms with this setting. Results are unchanged; only where freed
    memory waits differs. Linux with glibc only; TINYNN_KEEP_FREED_MEMORY=0 turns it off."""
    if os.environ.get("TINYNN_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    import platform  # noqa: PLC0415
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        import ctypes  # noqa: PLC0415
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, 32 << 20) and mallopt(m_trim_threshold, 128 << 20))


_keep_freed_host_memory()

# ----------------------------------------------------------------------------------------
# CUDA module: CuPy, imported on first use. Tests may install a stand-in (see tests/fakecupy).
# ----------------------------------------------------------------------------------------
_cuda_xp = None            # the CuPy module (or stand-in) once loaded
_cupyx = None              # cupyx (scatter_add, scipy.special) to go with it
_cuda_error: str | None = None
_cuda_checked = False


def _load_cuda():
    """Import CuPy once and check that it sees a GPU; remember why not otherwise."""
    global _cuda_xp, _cuda_error, _cuda_checked
    if _cuda_checked:
        return _cuda_xp
    _cuda_checked = True
    try:
        import cupy  # noqa: PLC0415 - lazy on purpose
    except Exception as e:  # ImportError, or a broken CUDA install raising at import
        _cuda_error = f"CuPy is not installed or failed to import ({type(e).__name__}: {e}); " \
                      "install tinynn with the cuda12 or cuda13 extra"
        return None
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        _cuda_error = f"CuPy imported but found no usable GPU ({type(e).__name__}: {e})"
        return None
    if n < 1:
        _cuda_error = "CuPy imported but found no CUDA device"
        return None
    try:
        import cupyx  # noqa: PLC0415
    except Exception as e:
        _cuda_error = f"CuPy imported but cupyx did not ({type(e).__name__}: {e})"
        return None
    global _cupyx
    _cupyx = cupyx
    _cuda_xp = cupy
    return cupy


def _set_cuda_module(module, cupyx=None) -> None:
    """Install `module` (and its `cupyx`) as the CUDA array module: the test suite's CuPy stand-in.

    Passing None resets to the real lookup (CuPy imported on the next cuda request)."""
    global _cuda_xp, _cupyx, _cuda_error, _cuda_checked
    _cuda_xp = module
    _cupyx = cupyx
    _cuda_checked = module is not None
    _cuda_error = None
    _ARRAY_TYPES.clear()


def cuda_available() -> bool:
    return _load_cuda() is not None


def cuda_unavailable_reason() -> str | None:
    """Why `cuda.is_available()` is False (None when it is True)."""
    _load_cuda()
    return _cuda_error


def cuda_module():
    xp = _load_cuda()
    if xp is None:
        raise RuntimeError(f"Torch not compiled with CUDA enabled: tinynn cannot use a cuda device "
                           f"here: {_cuda_error}")
    return xp


def cuda_is_built() -> bool:
    """True when CuPy is installed (tinynn's CUDA "build"), GPU or not; CuPy is not imported."""
    import importlib.util  # noqa: PLC0415
    return _cuda_xp is not None or importlib.util.find_spec("cupy") is not None


def cuda_nccl():
    """`cupy.cuda.nccl` of the CUDA module in use, for the distributed NCCL engine (so that only
    this module imports CuPy). RuntimeError naming the reason when CuPy has no NCCL bindings."""
    xp = cuda_module()
    nccl = getattr(xp.cuda, "nccl", None)
    if nccl is None:
        import importlib  # noqa: PLC0415
        try:
            nccl = importlib.import_module(xp.__name__ + ".cuda.nccl")
        except Exception as e:  # CuPy built without NCCL raises ImportError (or RuntimeError) here
            raise RuntimeError(f"CuPy's NCCL bindings are not available ({type(e).__name__}: {e}); "
                               "install NCCL for your CUDA version (e.g. pip install "
                               "nvidia-nccl-cu12)") from None
    return nccl


# ----------------------------------------------------------------------------------------
# device
# ----------------------------------------------------------------------------------------
class device:
    """torch.device: `device('cpu')`, `device('cuda')`, `device('cuda:1')`, `device('cuda', 1)`."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - torch's name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and index is None:
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        """`with tinynn.device('cuda'):` makes factory functions default to this device."""
        _DEVICE_STACK.append(_DEFAULT_DEVICE[0])
        _DEFAULT_DEVICE[0] = self
        return self

    def __exit__(self, *exc):
        _DEFAULT_DEVICE[0] = _DEVICE_STACK.pop()


CPU = device("cpu")
_DEFAULT_DEVICE = [CPU]  # where factories create tensors (tinynn.set_default_device)
_DEVICE_STACK: list = []


def as_device(d) -> device:
    """Normalise a device argument (str, int, device or None -> cpu)."""
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    return device(d)


def xp_for(dev: device):
    """The array module for a device."""
    if dev.type == "cpu":
        return np
    if dev.type == "cuda":
        return cuda_module()
    raise RuntimeError(f"tinynn has no backend for device type '{dev.type}'")


# ----------------------------------------------------------------------------------------
# array <-> module / device
# ----------------------------------------------------------------------------------------
_ARRAY_TYPES: dict = {}  # cuda array type -> module (filled on first sight)


def get_array_module(a):
    """NumPy or CuPy, whichever `a` (a raw array) belongs to."""
    t = type(a)
    if t is np.ndarray:
        return np
    m = _ARRAY_TYPES.get(t)
    if m is not None:
        return m
    if _cuda_xp is not None and isinstance(a, _cuda_xp.ndarray):
        _ARRAY_TYPES[t] = _cuda_xp
        return _cuda_xp
    return np


def array_device(a) -> device:
    """The device a raw array lives on."""
    if type(a) is np.ndarray:
        return CPU
    if _cuda_xp is not None and isinstance(a, _cuda_xp.ndarray):
        d = getattr(a, "device", None)
        return device("cuda", int(getattr(d, "id", 0) or 0))
    return CPU


def is_cuda_array(a) -> bool:
    return type(a) is not np.ndarray and _cuda_xp is not None and isinstance(a, _cuda_xp.ndarray)


def to_host(a) -> np.ndarray:
    """Copy an array to host memory as a NumPy array (no copy when already there)."""
    if type(a) is np.ndarray:
        return a
    if is_cuda_array(a):
        return _cuda_xp.asnumpy(a)
    return np.asarray(a)


def to_device(a, dev: device):
    """Move a raw array to `dev`, copying only when it is elsewhere.

    `cuda` without an index means the current device, as in PyTorch. Between GPUs the copy is
    `ndarray.copy()` under the target device: CuPy's `asarray` would return the array unmoved."""
    if dev.type == "cpu":
        return to_host(a)
    xp = cuda_module()
    if isinstance(a, xp.ndarray):
        cur = a.device.id
        if dev.index is None or cur == dev.index:
            return a
        with xp.cuda.Device(dev.index):
            return a.copy()
    if dev.index is None:
        return xp.asarray(a)
    with xp.cuda.Device(dev.index):
        return xp.asarray(a)


# ----------------------------------------------------------------------------------------
# kernels that differ between NumPy and CuPy
# ----------------------------------------------------------------------------------------
# dtypes cupyx.scatter_add (CUDA atomicAdd) accepts; others go through a wider or same-bits view
_SCATTER_OK = frozenset(np.dtype(d) for d in ("int32", "uint32", "uint64", "float16", "float32", "float64"))


def scatter_add(target, indices, values) -> None:
    """target[indices] += values, accumulating repeated indices (np.add.at / cupyx.scatter_add).

    CUDA's atomics have no int64/int8/int16/bool add: int64 adds as uint64 (the same bits, since
    two's-complement addition wraps alike), narrower integers through an int32 copy."""
    xp = get_array_module(target)
    if xp is np:
        np.add.at(target, indices, values)
        return
    dt = target.dtype
    if dt in _SCATTER_OK:
        _cupyx.scatter_add(target, indices, values.astype(dt, copy=False)
                           if isinstance(values, xp.ndarray) else values)
    elif dt == np.int64:
        v = values.astype(np.int64, copy=False) if isinstance(values, xp.ndarray) \
            else xp.asarray(values, dtype=np.int64)
        _cupyx.scatter_add(target.view(np.uint64), indices, v.view(np.uint64))
    else:
        wide = target.astype(np.int32)
        _cupyx.scatter_add(wide, indices, values.astype(np.int32) if isinstance(values, xp.ndarray)
                           else values)
        target[...] = wide.astype(dt)


def bincount_add(target_flat, flat_index, values_flat) -> None:
    """target_flat += bincount(flat_index, values): a fast scatter-add over a 1-D target."""
    xp = get_array_module(target_flat)
    target_flat += xp.bincount(flat_index, weights=values_flat,
                               minlength=target_flat.shape[0]).astype(target_flat.dtype, copy=False)


def sliding_window_view(x, window_shape, axis):
    """A read-only strided view of sliding windows (NumPy's and CuPy's helper of the same name)."""
    xp = get_array_module(x)
    if xp is np:
        return np.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)
    return xp.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)


def as_strided(x, shape, strides):
    xp = get_array_module(x)
    if xp is np:
        return np.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def new_generator(dev: device, seed: int):
    """A seedable random generator for `dev`: NumPy's PCG64 on the CPU; on a GPU, CuPy's
    generator (cuRAND) behind `CudaGenerator`, which supplies the NumPy Generator methods CuPy's
    lacks. Its stream differs from the CPU one for the same seed, as PyTorch's CUDA stream does."""
    if dev.type == "cpu":
        return np.random.Generator(np.random.PCG64(seed))
    xp = cuda_module()
    with xp.cuda.Device(dev.index if dev.index is not None else xp.cuda.Device().id):
        return CudaGenerator(xp.random.default_rng(seed), xp)


class CudaGenerator:
    """NumPy-Generator methods on top of `cupy.random.Generator`.

    CuPy's generator has random / standard_normal / uniform / integers / exponential / binomial /
    poisson / gamma / beta, but no normal, permutation or choice: those are built here from its
    primitives, on the device. No `bit_generator.state` (cuRAND's state stays on the GPU)."""

    def __init__(self, gen, xp):
        self._g = gen
        self._xp = xp
        self._dev = xp.cuda.Device()  # cuRAND's state lives on the device current at creation

    def random(self, size=None, dtype=np.float64):
        with self._dev:
            return self._g.random(size, dtype=dtype)

    def standard_normal(self, size=None, dtype=np.float64):
        with self._dev:
            return self._g.standard_normal(size, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        with self._dev:
            return self._g.uniform(low, high, size, dtype=dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=np.float64):
        with self._dev:
            out = self._g.standard_normal(size, dtype=dtype)
            if not (isinstance(scale, (int, float)) and scale == 1):
                out *= scale
            if not (isinstance(loc, (int, float)) and loc == 0):
                out += loc
            return out

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        with self._dev:
            return self._g.integers(low, high, size, dtype=dtype, endpoint=endpoint)

    def exponential(self, scale=1.0, size=None):
        with self._dev:
            return self._g.standard_exponential(size) * scale

    def standard_exponential(self, size=None, dtype=np.float64):
        with self._dev:
            return self._g.standard_exponential(size, dtype=dtype)

    def permutation(self, x):
        """A random permutation of range(x) (int) or of x's first axis: argsort of uniform keys."""
        xp = self._xp
        n = x if isinstance(x, (int, np.integer)) else x.shape[0]
        with self._dev:
            order = xp.argsort(self._g.random(int(n)))
            return order if isinstance(x, (int, np.integer)) else x[order]

    def choice(self, a, size=None, replace=True, p=None):
        """Indices (a an int) or elements of a drawn with probabilities p (uniform by default)."""
        with self._dev:
            return self._choice(a, size, replace, p)

    def _choice(self, a, size, replace, p):
        xp = self._xp
        n = int(a) if isinstance(a, (int, np.integer)) else a.shape[0]
        shape = () if size is None else ((size,) if isinstance(size, (int, np.integer)) else tuple(size))
        k = 1
        for s in shape:
            k *= s
        if replace:
            if p is None:
                idx = self._g.integers(0, n, k)
            else:
                cdf = xp.cumsum(p)
                cdf /= cdf[-1]
                idx = xp.searchsorted(cdf, self._g.random(k), side="right")
                idx = xp.minimum(idx, n - 1)
        else:
            # Gumbel top-k: the k largest log(p) + Gumbel noise are a sample without replacement
            keys = self._g.random(n)
            if p is not None:
                keys = xp.log(xp.asarray(p, dtype=np.float64)) - xp.log(-xp.log(keys))
            idx = xp.argsort(-keys)[:k]
        idx = idx.reshape(shape)
        return idx if isinstance(a, (int, np.integer)) else a[idx]

    def __getattr__(self, name):  # binomial, poisson, gamma, beta, ...: CuPy's own, on its device
        if name.startswith("_") or name == "bit_generator":
            raise AttributeError(name)
        fn = getattr(self._g, name)
        dev = self._dev

        def draw(*args, **kwargs):
            with dev:
                return fn(*args, **kwargs)
        return draw


def erf(x):
    """The error function, elementwise (SciPy's / CuPy's kernel when there, else a series).

    NumPy has no erf; without SciPy, `_erf_fallback` computes it to double precision."""
    if get_array_module(x) is np:
        try:
            from scipy.special import erf as sp_erf  # noqa: PLC0415
        except ImportError:
            return _erf_fallback(np, x)
        return sp_erf(x)
    sp = _cupyx_special()
    if sp is None:
        return _erf_fallback(get_array_module(x), x)
    return sp.erf(x)


def erfc(x):
    """1 - erf(x) without its cancellation for large x (SciPy's / CuPy's kernel when there)."""
    if get_array_module(x) is np:
        try:
            from scipy.special import erfc as sp_erfc  # noqa: PLC0415
        except ImportError:
            return _erfc_fallback(np, x)
        return sp_erfc(x)
    sp = _cupyx_special()
    if sp is None:
        return _erfc_fallback(get_array_module(x), x)
    return sp.erfc(x)


def _cupyx_special():
    """cupyx.scipy.special for the installed CUDA module (None when it cannot be imported)."""
    sp = getattr(getattr(_cupyx, "scipy", None), "special", None)
    if sp is None and _cupyx is not None:
        try:
            import importlib  # noqa: PLC0415
            sp = importlib.import_module(_cupyx.__name__ + ".scipy.special")
        except ImportError:
            return None
    return sp


def special(name: str, x, *args):
    """A scipy.special function (`gammaln`, `digamma`, `erfinv`, `ndtri`, `xlogy`, ...) on x's device.

    On the CPU it needs SciPy (RuntimeError naming it when absent); on a GPU, cupyx.scipy.special."""
    if get_array_module(x) is np:
        try:
            import scipy.special as sp  # noqa: PLC0415
        except ImportError:
            raise RuntimeError(f"tinynn needs SciPy for {name} on the CPU: pip install scipy") from None
        return getattr(sp, name)(x, *args)
    sp = _cupyx_special()
    if sp is None or not hasattr(sp, name):
        raise RuntimeError(f"cupyx.scipy.special.{name} is not available")
    return getattr(sp, name)(x, *args)


def _erf_fallback(xp, x):
    """erf to ~1e-15 with vectorised loops over terms (not elements), computed in float64.

    |x| < 3: erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)), all terms positive.
    |x| >= 3: erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), a continued
    fraction evaluated bottom-up."""
    out_dtype = x.dtype
    a = xp.abs(x.astype(np.float64))
    small = xp.minimum(a, 3.0)
    x2 = small * small
    term = small.copy()
    total = small.copy()
    for n in range(1, 80):
        term *= 2.0 * x2 / (2 * n + 1)
        total += term
    res_small = total * (2.0 / np.sqrt(np.pi)) * xp.exp(-x2)
    res_big = 1.0 - _erfc_cf(xp, xp.maximum(a, 3.0), 60)
    res = xp.where(a < 3.0, res_small, res_big)
    res = xp.where(xp.isnan(a), a, res)
    return (xp.sign(x) * res).astype(out_dtype, copy=False)


def _erfc_cf(xp, x, terms):
    """erfc(x) for float64 x >= 1.5 by its continued fraction exp(-x^2) / (sqrt(pi) (x + (1/2) /
    (x + 1 / (x + (3/2) / ...)))), evaluated bottom-up over `terms` terms (vectorised over elements)."""
    f = x.copy()
    for k in range(terms, 0, -1):
        f = x + (k / 2.0) / f
    return xp.exp(-x * x) / (np.sqrt(np.pi) * f)


def _erfc_fallback(xp, x):
    """erfc to a few ulps, relative: 1 - erf(|x|) below 1.5 (erfc >= 0.03 there), the continued
    fraction above; erfc(-x) = 2 - erfc(x)."""
    a = xp.abs(x.astype(np.float64))
    pos = xp.where(a < 1.5, 1.0 - _erf_fallback(xp, xp.minimum(a, 1.5)), _erfc_cf(xp, xp.maximum(a, 1.5), 100))
    res = xp.where(x < 0, 2.0 - pos, pos)
    return xp.where(xp.isnan(a), a, res).astype(x.dtype, copy=False)
