"""cupy.lib stand-in: `stride_tricks.as_strided` (no `writeable`) and `sliding_window_view`."""
from __future__ import annotations

import types as _types

import numpy as _np

from . import _check, ndarray


def _as_strided(x, shape=None, strides=None):
    if type(x) is not ndarray:
        raise TypeError(f"Unsupported type {type(x)}")
    _check(x)
    return x._view(_np.lib.stride_tricks.as_strided(x._a, shape=shape, strides=strides))


def _sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    if type(x) is not ndarray:
        raise TypeError(f"Unsupported type {type(x)}")
    _check(x)
    if writeable:
        raise NotImplementedError("Writeable views are not supported.")
    return x._view(_np.lib.stride_tricks.sliding_window_view(x._a, window_shape, axis=axis))


stride_tricks = _types.ModuleType("fakecupy.lib.stride_tricks")
stride_tricks.as_strided = _as_strided
stride_tricks.sliding_window_view = _sliding_window_view
stride_tricks.as_strided.__name__ = "as_strided"
stride_tricks.sliding_window_view.__name__ = "sliding_window_view"
