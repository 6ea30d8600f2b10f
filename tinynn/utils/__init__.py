"""tinynn.utils: `tinynn.utils.data` (datasets, samplers, DataLoader), loaded on first use."""
from __future__ import annotations

_SUBMODULES = {"data"}


def __getattr__(name):
    import importlib  # noqa: PLC0415
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'tinynn.utils' has no attribute '{name}'")
