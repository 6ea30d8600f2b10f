"""tinynn.accelerator: the device-agnostic accelerator API, as `torch.accelerator`.

tinynn has one kind of accelerator, CUDA through CuPy (`tinynn.cuda`). When CuPy imports and sees
a GPU, `is_available()` is True and `current_accelerator()` is `device(type='cuda')`; on a
CPU-only machine `is_available()` is False, `current_accelerator()` is None and `device_count()`
is 0, and the calls that need a device raise PyTorch's RuntimeError ("Cannot access accelerator
device when none is available."), as a CPU-only PyTorch build does.

    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"
"""
from __future__ import annotations

from . import backend, cuda

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize", "device_index",
           "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved",
           "max_memory_reserved", "reset_peak_memory_stats", "get_memory_info",
           "get_device_capability"]

_NONE_MSG = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """True when an accelerator (a CUDA GPU through CuPy) can be used."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False):
    """`device(type='cuda')` when tinynn has a usable GPU, else None.

    PyTorch answers with the accelerator its build was compiled for; tinynn's "build" is the
    CuPy install, which only counts when it sees a GPU, so `check_available` changes nothing."""
    if backend.cuda_available():
        return backend.device("cuda")
    return None


def device_count() -> int:
    return cuda.device_count() if is_available() else 0


def _require():
    if not is_available():
        raise RuntimeError(_NONE_MSG)


def _index(device) -> int:
    if device is None:
        return current_device_index()
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    d = backend.as_device(device)
    if d.type != "cuda":
        raise ValueError(f"{d.type} doesn't match the current accelerator cuda.")
    return current_device_index() if d.index is None else d.index


def current_device_index() -> int:
    _require()
    return cuda.current_device()


def set_device_index(device, /) -> None:
    _require()
    cuda.set_device(_index(device))


current_device_idx = current_device_index  # PyTorch's deprecated spellings
set_device_idx = set_device_index


def synchronize(device=None, /) -> None:
    """Wait for the work queued on the accelerator (the current device, or `device`)."""
    _require()
    cuda.synchronize(_index(device))


class device_index:
    """Context manager: make `device` the current accelerator index for its body (None: no-op)."""

    def __init__(self, device, /):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            _require()
            self.prev_idx = current_device_index()
            if self.prev_idx != self.idx:
                set_device_index(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx is not None and self.prev_idx != self.idx:
            set_device_index(self.prev_idx)
        return False


def empty_cache() -> None:
    if is_available():
        cuda.empty_cache()


def memory_allocated(device_index=None, /) -> int:
    _require()
    return cuda.memory_allocated(_index(device_index))


def max_memory_allocated(device_index=None, /) -> int:
    _require()
    return cuda.max_memory_allocated(_index(device_index))


def memory_reserved(device_index=None, /) -> int:
    _require()
    return cuda.memory_reserved(_index(device_index))


def max_memory_reserved(device_index=None, /) -> int:
    _require()
    return cuda.max_memory_reserved(_index(device_index))


def reset_peak_memory_stats(device_index=None, /) -> None:
    _require()
    cuda.reset_peak_memory_stats(_index(device_index))


def get_memory_info(device_index=None, /) -> tuple:
    """(free, total) bytes of the device."""
    _require()
    return cuda.mem_get_info(_index(device_index))


def get_device_capability(device=None, /) -> dict:
    _require()
    major, minor = cuda.get_device_capability(_index(device))
    return {"major": major, "minor": minor}
