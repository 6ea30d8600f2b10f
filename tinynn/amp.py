"""Automatic mixed precision, as `torch.amp`: `autocast` (float16 matmuls) and `GradScaler`.

Inside `with tinynn.autocast("cuda"):` the matrix-product ops (`matmul`, `mm`, `bmm`, `linear`,
`conv1d/2d/3d`, `conv_transpose*`) cast their floating inputs on that device to float16 and return
float16 -- on a GPU that is what tensor cores are for -- while the ops that need range and
precision (`softmax`, `log_softmax`, `cross_entropy`, `nll_loss`, `mse_loss`) compute in float32,
as PyTorch's autocast lists do. Other ops follow type promotion. The casts are ordinary
differentiable `to()` copies, so gradients reach float32 parameters as float32.

`GradScaler` multiplies the loss by a scale factor so that float16 gradients do not underflow,
unscales the gradients before the optimizer step, skips steps whose gradients hold inf/NaN, and
adapts the scale (backoff on overflow, growth after `growth_interval` clean steps).

Differences from PyTorch: there is no bfloat16 in tinynn, so `autocast("cpu")` also uses float16
(PyTorch's CPU default is bfloat16); casts are not cached across uses within a region.
"""
from __future__ import annotations

import functools
import threading

from . import _dtype

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "get_autocast_dtype"]


class _State(threading.local):
    def __init__(self):
        self.on = False          # is any autocast region active (the ops' one fast check)
        self.device_type = "cuda"
        self.dtype = _dtype.float16
        self.stack = []


state = _State()


def is_autocast_enabled(device_type: str | None = None) -> bool:
    return state.on and (device_type is None or device_type == state.device_type)


def get_autocast_dtype(device_type: str = "cuda"):
    return state.dtype


class autocast:
    """`with autocast(device_type, dtype=None, enabled=True):` / `@autocast(...)`."""

    def __init__(self, device_type: str = "cuda", dtype=None, enabled: bool = True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in ("cuda", "cpu"):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device_type = device_type
        self.fast_dtype = _dtype.to_dtype(dtype) if dtype is not None else _dtype.float16
        if self.fast_dtype not in (_dtype.float16,):
            raise RuntimeError(f"In {device_type} autocast, tinynn supports only float16 as the "
                               f"autocast dtype (got {self.fast_dtype}); it has no bfloat16")
        self._enabled = bool(enabled)

    def __enter__(self):
        state.stack.append((state.on, state.device_type, state.dtype))
        if self._enabled:
            state.on, state.device_type, state.dtype = True, self.device_type, self.fast_dtype
        else:
            state.on = False
        return self

    def __exit__(self, *exc):
        state.on, state.device_type, state.dtype = state.stack.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device_type, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)
        return wrapper


def _cast(dt, args):
    from .tensor import Tensor  # noqa: PLC0415
    out = []
    for t in args:
        if isinstance(t, Tensor) and t._data.dtype.kind == "f" and t._data.dtype != dt.np \
                and t.device.type == state.device_type:
            t = t.to(dt)
        out.append(t)
    return out


def lowp(*args):
    """Inputs of a matrix-product op inside autocast: floating tensors on its device -> float16."""
    return _cast(state.dtype, args)


def fp32(*args):
    """Inputs of a precision-sensitive op inside autocast: float16 tensors -> float32."""
    from .tensor import Tensor  # noqa: PLC0415
    return [t.to(_dtype.float32) if isinstance(t, Tensor) and t._data.dtype == _dtype.float16.np
            and t.device.type == state.device_type else t for t in args]


# ----------------------------------------------------------------------------------------
# GradScaler
# ----------------------------------------------------------------------------------------
_READY, _UNSCALED, _STEPPED = 0, 1, 2


class GradScaler:
    """torch.amp.GradScaler: dynamic loss scaling for float16 training.

        scaler = GradScaler()
        with autocast("cuda"):
            loss = loss_fn(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)      # unscales, skips the step if a gradient is inf/NaN
        scaler.update()

    The scale lives on the host; checking the gradients for inf/NaN reads one flag back per step
    (as PyTorch's does)."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._device = device
        self._enabled = bool(enabled)
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer: dict = {}

    # -------------------------------------------------------------- scaling
    def scale(self, outputs):
        """outputs * scale (a tensor, or a list/tuple of them)."""
        if not self._enabled:
            return outputs
        from .tensor import Tensor  # noqa: PLC0415
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": None})

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale (in place) and note any inf/NaN."""
        if not self._enabled:
            return
        st = self._state(optimizer)
        if st["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last "
                               "update().")
        if st["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        from . import ops  # noqa: PLC0415
        from .autograd.grad_mode import no_grad  # noqa: PLC0415
        inv = 1.0 / self._scale
        found = None
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    g.mul_(inv)
                    bad = ops.logical_not(ops.isfinite(g)).any()
                    found = bad if found is None else ops.logical_or(found, bad.to(found.device))
        st["found_inf"] = found
        st["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (unless done), then optimizer.step(...) unless a gradient is inf/NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        st = self._state(optimizer)
        if st["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if st["stage"] == _READY:
            self.unscale_(optimizer)
        found = st["found_inf"]
        st["inf"] = found is not None and bool(found.item())  # the one host read of the step
        retval = None if st["inf"] else optimizer.step(*args, **kwargs)
        st["stage"] = _STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Back off the scale after an overflow; grow it after growth_interval clean steps."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if hasattr(new_scale, "item") else new_scale)
        else:
            found_any = any(st["inf"] if "inf" in st else
                            st["found_inf"] is not None and bool(st["found_inf"].item())
                            for st in self._per_optimizer.values())
            if not self._per_optimizer:
                raise RuntimeError("No inf checks were recorded prior to update.")
            if found_any:
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = {}

    # -------------------------------------------------------------- accessors and state
    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a "
                               "disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
