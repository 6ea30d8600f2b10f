"""Backend layer: maps a device to an array module (NumPy on the CPU, CuPy on CUDA).

This is the only module that imports CuPy, and it does so lazily: only when a cuda device is
asked for. Everything above it takes the array module from the arrays it holds
(`get_array_module`), never from a global switch, so the same op code runs on both.

The few kernels that differ between the libraries live here: scatter-add, sliding windows,
the random generator and the transfer to host memory.
"""
from __future__ import annotations

import numpy as np

__all__ = ["device", "get_array_module", "to_device", "to_host", "scatter_add",
           "sliding_window_view", "cuda_available", "cuda_unavailable_reason"]

# ----------------------------------------------------------------------------------------
# CUDA module: CuPy, imported on first use. Tests may install a stand-in (see tests/fakecupy).
# ----------------------------------------------------------------------------------------
_cuda_xp = None            # the CuPy module (or stand-in) once loaded
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
    _cuda_xp = cupy
    return cupy


def _set_cuda_module(module) -> None:
    """Install `module` as the CUDA array module (used by the test suite's CuPy stand-in).

    Passing None resets to the real lookup."""
    global _cuda_xp, _cuda_error, _cuda_checked
    _cuda_xp = module
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


CPU = device("cpu")


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
    """Move a raw array to `dev`, copying only when it is elsewhere."""
    if dev.type == "cpu":
        return to_host(a)
    xp = cuda_module()
    if isinstance(a, xp.ndarray):
        cur = getattr(getattr(a, "device", None), "id", 0) or 0
        if dev.index is None or cur == dev.index:
            return a
    idx = dev.index if dev.index is not None else 0
    with xp.cuda.Device(idx):
        return xp.asarray(a)


# ----------------------------------------------------------------------------------------
# kernels that differ between NumPy and CuPy
# ----------------------------------------------------------------------------------------
def scatter_add(target, indices, values) -> None:
    """target[indices] += values, accumulating repeated indices (np.add.at / cupyx.scatter_add)."""
    xp = get_array_module(target)
    if xp is np:
        np.add.at(target, indices, values)
    else:
        import cupyx  # noqa: PLC0415
        cupyx.scatter_add(target, indices, values)


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
    from cupy.lib.stride_tricks import sliding_window_view as swv  # noqa: PLC0415
    return swv(x, window_shape, axis=axis)


def as_strided(x, shape, strides):
    xp = get_array_module(x)
    if xp is np:
        return np.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def new_generator(dev: device, seed: int):
    """A seedable random generator for `dev` (NumPy's PCG64, CuPy's generator)."""
    if dev.type == "cpu":
        return np.random.Generator(np.random.PCG64(seed))
    xp = cuda_module()
    return xp.random.default_rng(seed)
