"""Anomaly detection: `detect_anomaly()` / `set_detect_anomaly(True)`, as PyTorch's.

While on, each node remembers where its forward op was called, and backward raises at the first
node whose gradient contains NaN, naming the node and showing that forward call site (the frames
of the caller's code: tinynn's own frames are left out, as PyTorch's C++ frames are). As in
PyTorch, the mode is global (all threads), unlike the grad mode, and a UserWarning "Error
detected in <node>. Traceback of forward call that caused the error: ..." comes before the error."""
from __future__ import annotations

import os
import traceback
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_stack():
    """The current stack without tinynn's own frames (all of it if nothing else is left)."""
    frames = traceback.extract_stack()[:-3]
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(_PKG_DIR)]
    return traceback.format_list(user or frames)


class _Anomaly:
    """The anomaly-mode flags: one global setting, as PyTorch's AnomalyMode."""
    enabled = False
    check_nan = True

    def record(self, ctx):
        ctx.metadata = {"traceback_": _user_stack()}

    def check(self, fn, outs):
        if not self.check_nan:
            return
        for i, g in enumerate(outs):
            if g is None or not hasattr(g, "_data"):
                continue
            xp_data = g._data
            if xp_data.dtype.kind in "fc" and bool((xp_data != xp_data).any()):
                tb = "".join(getattr(fn, "metadata", {}).get("traceback_", []))
                if tb:
                    warnings.warn(f"Error detected in {fn.name()}. Traceback of forward call that "
                                  f"caused the error:\n{tb}", UserWarning, stacklevel=2)
                raise RuntimeError(f"Function '{fn.name()}' returned nan values in its {i}th output."
                                   + (f"\nThe forward call that created it:\n{tb}" if tb else ""))


_anomaly = _Anomaly()


def is_anomaly_enabled() -> bool:
    return _anomaly.enabled


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self.prev = (False, True)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and "
                      "should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev = (_anomaly.enabled, _anomaly.check_nan)
        _anomaly.enabled, _anomaly.check_nan = True, self.check_nan

    def __exit__(self, *exc):
        _anomaly.enabled, _anomaly.check_nan = self.prev
        return False

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return func(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Set anomaly detection on or off; as a context manager, restore the old mode on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (_anomaly.enabled, _anomaly.check_nan)
        _anomaly.enabled, _anomaly.check_nan = bool(mode), check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _anomaly.enabled, _anomaly.check_nan = self.prev
        return False
