"""cupy.cuda stand-in: devices (two fake GPUs), runtime queries, streams, memory pools."""
from __future__ import annotations

from . import _POOL, N_DEVICES, _cur, _tls, get_default_memory_pool, get_default_pinned_memory_pool  # noqa: F401


class CUDARuntimeError(RuntimeError):
    pass


class Device:
    """cupy.cuda.Device: `Device(i).use()`, `with Device(i): ...`, `.id`, `.synchronize()`."""

    def __init__(self, device=None):
        if device is None:
            device = _cur()
        elif isinstance(device, Device):
            device = device.id
        device = int(device)
        if not 0 <= device < N_DEVICES:
            raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
        self.id = device
        self._prev = []

    def use(self):
        _tls.device = self.id

    def synchronize(self):
        pass

    @property
    def compute_capability(self):
        return "80"

    @property
    def mem_info(self):
        total = 16 * 2**30
        return total - _POOL._used[self.id], total

    def __enter__(self):
        self._prev.append(_cur())
        _tls.device = self.id
        return self

    def __exit__(self, *exc):
        _tls.device = self._prev.pop()

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __int__(self):
        return self.id

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


def is_available():
    return True


def get_device_id():
    return _cur()


class Stream:
    null = None

    def __init__(self, null=False, non_blocking=False, ptr=0):
        self.ptr = ptr

    def synchronize(self):
        pass

    def use(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


Stream.null = Stream(null=True)


def get_current_stream(device_id=None):
    return Stream.null


class _Runtime:
    CUDARuntimeError = CUDARuntimeError

    @staticmethod
    def getDeviceCount():
        return N_DEVICES

    @staticmethod
    def getDevice():
        return _cur()

    @staticmethod
    def setDevice(i):
        Device(i).use()

    @staticmethod
    def deviceSynchronize():
        pass

    @staticmethod
    def getDeviceProperties(i):
        Device(i)
        return {"name": b"tinynn CuPy stand-in (NumPy)", "totalGlobalMem": 16 * 2**30, "major": 8,
                "minor": 0, "multiProcessorCount": 1}

    @staticmethod
    def memGetInfo():
        return Device().mem_info

    @staticmethod
    def runtimeGetVersion():
        return 12040

    @staticmethod
    def driverGetVersion():
        return 12040

    is_hip = False


runtime = _Runtime()
