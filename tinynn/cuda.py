"""tinynn.cuda: availability, devices, seeding and memory figures, as `torch.cuda` (CuPy underneath).

Everything here goes through `tinynn.backend`, the only module that imports CuPy. On a machine
without CuPy or a GPU, `is_available()` is False, `unavailable_reason()` says why, `device_count()`
is 0, seeding is a no-op (as in PyTorch) and the memory figures are 0; the calls that need a
device raise RuntimeError naming the reason.
"""
from __future__ import annotations

from . import backend

__all__ = ["is_available", "unavailable_reason", "device_count", "current_device", "set_device",
           "device", "synchronize", "manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed",
           "get_device_name", "get_device_capability", "get_device_properties", "memory_allocated",
           "max_memory_allocated", "reset_peak_memory_stats", "reset_max_memory_allocated",
           "memory_reserved", "max_memory_reserved", "mem_get_info", "empty_cache", "is_initialized",
           "init", "amp"]

_peak: dict = {}  # device index -> highest memory_allocated() observed


def is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return backend.cuda_available()


def unavailable_reason():
    """Why is_available() is False (None when it is True)."""
    return backend.cuda_unavailable_reason()


def is_initialized() -> bool:
    return backend._cuda_xp is not None


def init() -> None:
    backend.cuda_module()


def _xp():
    return backend.cuda_module()


def _index(device) -> int:
    """A device argument (None, int, 'cuda:N', tinynn.device) as a GPU index (None: the current one)."""
    if device is None:
        return current_device()
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    d = backend.as_device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return current_device() if d.index is None else d.index


def device_count() -> int:
    if not is_available():
        return 0
    return int(_xp().cuda.runtime.getDeviceCount())


def current_device() -> int:
    return int(_xp().cuda.Device().id)


def set_device(device) -> None:
    """Make `device` the current GPU: where `"cuda"` tensors go and where ops run."""
    _xp().cuda.Device(_index(device)).use()


class device:
    """torch.cuda.device: a context manager that changes the current GPU for its body."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx != -1:
            self.prev_idx = current_device()
            if self.prev_idx != self.idx:
                set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev_idx != -1 and self.prev_idx != self.idx:
            set_device(self.prev_idx)
        return False


def synchronize(device=None) -> None:
    """Wait for all work queued on the GPU (the current one, or `device`)."""
    xp = _xp()
    xp.cuda.Device(_index(device)).synchronize()


def manual_seed(seed) -> None:
    """Seed the current GPU's default generator (a no-op without a GPU, as in PyTorch)."""
    from .ops.random import default_generator_for  # noqa: PLC0415
    if is_available():
        default_generator_for(f"cuda:{current_device()}").manual_seed(seed)


def manual_seed_all(seed) -> None:
    from .ops.random import default_generator_for  # noqa: PLC0415
    for i in range(device_count()):
        default_generator_for(f"cuda:{i}").manual_seed(seed)


def seed() -> None:
    from .ops.random import default_generator_for  # noqa: PLC0415
    if is_available():
        default_generator_for(f"cuda:{current_device()}").seed()


def seed_all() -> None:
    from .ops.random import default_generator_for  # noqa: PLC0415
    for i in range(device_count()):
        default_generator_for(f"cuda:{i}").seed()


def initial_seed() -> int:
    from .ops.random import default_generator_for  # noqa: PLC0415
    return default_generator_for(f"cuda:{current_device()}").initial_seed()


class _DeviceProperties:
    def __init__(self, props):
        name = props.get("name", b"CUDA device")
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.total_memory = int(props.get("totalGlobalMem", 0))
        self.major = int(props.get("major", 0))
        self.minor = int(props.get("minor", 0))
        self.multi_processor_count = int(props.get("multiProcessorCount", 0))

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2**20}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None) -> _DeviceProperties:
    return _DeviceProperties(_xp().cuda.runtime.getDeviceProperties(_index(device)))


def get_device_name(device=None) -> str:
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple:
    p = get_device_properties(device)
    return (p.major, p.minor)


def memory_allocated(device=None) -> int:
    """Bytes held by live arrays in CuPy's memory pool on `device` (0 without a GPU)."""
    if not is_available():
        return 0
    xp = _xp()
    idx = _index(device)
    with xp.cuda.Device(idx):
        used = int(xp.get_default_memory_pool().used_bytes())
    if used > _peak.get(idx, 0):
        _peak[idx] = used
    return used


def max_memory_allocated(device=None) -> int:
    """The highest memory_allocated() seen since the last reset_peak_memory_stats().

    CuPy's pool keeps no peak counter, so the peak is sampled: at every memory_* call (tinynn
    does not hook CuPy's allocator, which would cost every allocation a Python call)."""
    if not is_available():
        return 0
    memory_allocated(device)
    return _peak.get(_index(device), 0)


def reset_peak_memory_stats(device=None) -> None:
    if is_available():
        _peak[_index(device)] = 0
        memory_allocated(device)


reset_max_memory_allocated = reset_peak_memory_stats


def memory_reserved(device=None) -> int:
    """Bytes CuPy's pool holds from the driver (in use plus cached)."""
    if not is_available():
        return 0
    xp = _xp()
    with xp.cuda.Device(_index(device)):
        return int(xp.get_default_memory_pool().total_bytes())


max_memory_reserved = memory_reserved


def mem_get_info(device=None) -> tuple:
    """(free, total) bytes on the GPU, as the driver reports them."""
    xp = _xp()
    with xp.cuda.Device(_index(device)):
        free, total = xp.cuda.runtime.memGetInfo()
    return int(free), int(total)


def empty_cache() -> None:
    """Return the cached, unused blocks of CuPy's pools to the driver."""
    if is_available():
        xp = _xp()
        xp.get_default_memory_pool().free_all_blocks()
        xp.get_default_pinned_memory_pool().free_all_blocks()


class _AmpNamespace:
    """torch.cuda.amp (deprecated in PyTorch in favour of torch.amp; kept for older scripts)."""

    @staticmethod
    def autocast(enabled=True, dtype=None, cache_enabled=True):
        from .amp import autocast as _autocast  # noqa: PLC0415
        return _autocast("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    @staticmethod
    def GradScaler(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                   enabled=True):
        from .amp import GradScaler as _GradScaler  # noqa: PLC0415
        return _GradScaler("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


amp = _AmpNamespace()
