"""Gradient clipping: clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_.

Like the optimizers, these change `.grad` arrays in place and record no graph, so they work on
the raw arrays of the gradients (through the gradients' own array module, NumPy or CuPy).
"""
from __future__ import annotations

import types
import warnings

from ...autograd.grad_mode import no_grad
from ...backend import array_device, get_array_module, to_device
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _vector_norm(a, norm_type: float):
    """linalg.vector_norm of a raw array, as a 0-dim array of its dtype."""
    xp = get_array_module(a)
    a = a.reshape(-1)
    if norm_type == 2.0:
        return xp.sqrt(xp.dot(a, a)) if a.size else xp.zeros((), dtype=a.dtype)
    if norm_type == float("inf"):
        return xp.abs(a).max() if a.size else xp.zeros((), dtype=a.dtype)
    if norm_type == float("-inf"):
        if not a.size:
            raise RuntimeError("linalg.vector_norm cannot compute the -inf norm on an empty tensor "
                               "because the operation does not have an identity")
        return xp.abs(a).min()
    if norm_type == 0.0:
        return (a != 0).sum(dtype=a.dtype)
    if norm_type == 1.0:
        return xp.abs(a).sum()
    return (xp.abs(a) ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The norm of the per-tensor norms of `tensors` (a tensor or an iterable of tensors).

    `foreach` is accepted for PyTorch compatibility; tinynn has one code path."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        from ...ops.creation import tensor  # noqa: PLC0415
        return tensor(0.0)
    first = tensors[0]._data
    xp = get_array_module(first)
    dev = array_device(first)
    norms = [to_device(_vector_norm(t._data, norm_type), dev) for t in tensors]
    dtype = xp.result_type(*[n.dtype for n in norms])
    total = _vector_norm(xp.stack([n.astype(dtype, copy=False) for n in norms]), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and scale the "
                           "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(xp.asarray(total))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)), in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p._grad for p in parameters if p._grad is not None]
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else total_norm
    xp = get_array_module(total)
    # the coefficient keeps the norm's dtype (float32 for float32 gradients), as in PyTorch
    clip_coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        coef = to_device(clip_coef, array_device(g._data))
        g._data *= coef.astype(g._data.dtype, copy=False)
        g._bump()


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale the gradients of `parameters` so that their total norm is at most `max_norm`.

    Returns the total norm of the gradients before clipping (a 0-dim tensor)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    with no_grad():
        grads = [p._grad for p in parameters if p._grad is not None]
        total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
        clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient of `parameters` into [-clip_value, clip_value], in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        g = p._grad
        if g is not None:
            get_array_module(g._data).clip(g._data, -clip_value, clip_value, out=g._data)
            g._bump()
