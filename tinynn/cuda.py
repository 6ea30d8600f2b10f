"""tinynn.cuda: availability, devices, seeding and memory figures (CuPy underneath)."""
from __future__ import annotations

from . import backend

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "manual_seed", "manual_seed_all", "get_device_name", "memory_allocated",
           "max_memory_allocated", "reset_peak_memory_stats", "empty_cache", "unavailable_reason"]

_peak = [0]


def is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return backend.cuda_available()


def unavailable_reason():
    """Why is_available() is False (None when it is True)."""
    return backend.cuda_unavailable_reason()


def _xp():
    return backend.cuda_module()


def device_count() -> int:
    if not is_available():
        return 0
    return int(_xp().cuda.runtime.getDeviceCount())


def current_device() -> int:
    return int(_xp().cuda.Device().id)


def set_device(device) -> None:
    d = backend.as_device(device) if not isinstance(device, int) else backend.device("cuda", device)
    _xp().cuda.Device(d.index or 0).use()


def synchronize(device=None) -> None:
    _xp().cuda.Device().synchronize()


def manual_seed(seed) -> None:
    from .ops.random import default_generator_for  # noqa: PLC0415
    if is_available():
        default_generator_for(f"cuda:{current_device()}").manual_seed(seed)


def manual_seed_all(seed) -> None:
    from .ops.random import default_generator_for  # noqa: PLC0415
    for i in range(device_count()):
        default_generator_for(f"cuda:{i}").manual_seed(seed)


def get_device_name(device=None) -> str:
    xp = _xp()
    idx = 0 if device is None else backend.as_device(device if not isinstance(device, int)
                                                      else f"cuda:{device}").index or 0
    props = xp.cuda.runtime.getDeviceProperties(idx)
    name = props.get("name", b"CUDA device")
    return name.decode() if isinstance(name, bytes) else str(name)


def memory_allocated(device=None) -> int:
    """Bytes held by tensors in CuPy's memory pool."""
    if not is_available():
        return 0
    used = int(_xp().get_default_memory_pool().used_bytes())
    _peak[0] = max(_peak[0], used)
    return used


def max_memory_allocated(device=None) -> int:
    """Peak of memory_allocated() as observed (CuPy's pool keeps no peak counter of its own)."""
    if not is_available():
        return 0
    memory_allocated()
    return _peak[0]


def reset_peak_memory_stats(device=None) -> None:
    _peak[0] = 0


def empty_cache() -> None:
    if is_available():
        _xp().get_default_memory_pool().free_all_blocks()
