"""Helpers shared by the distributions (`torch.distributions.utils`)."""
from __future__ import annotations

import numbers

import tinynn
from tinynn.tensor import Tensor

__all__ = ["broadcast_all", "broadcast_shapes", "clamp_probs", "logits_to_probs",
           "probs_to_logits", "lazy_property", "finfo_eps", "finfo_min"]

_EPS = {"float16": 0.0009765625, "float32": 1.1920928955078125e-07,
        "float64": 2.220446049250313e-16}
_MIN = {"float16": -65504.0, "float32": -3.4028234663852886e+38,
        "float64": -1.7976931348623157e+308}


def finfo_eps(dtype) -> float:
    return _EPS[dtype.name]


def finfo_min(dtype) -> float:
    return _MIN[dtype.name]


def broadcast_shapes(*shapes) -> tuple:
    """The broadcast of several shapes (RuntimeError when they do not broadcast)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, d in enumerate(s):
            j = ndim - len(s) + i
            if out[j] == 1:
                out[j] = d
            elif d != 1 and d != out[j]:
                raise RuntimeError(f"shape mismatch: objects cannot be broadcast to a single shape. "
                                   f"Mismatch is between {list(shapes[0])} and {list(s)}")
    return tuple(out)


def _broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in tensors)


def broadcast_all(*values):
    """Numbers become tensors (dtype/device of the first tensor, else the default dtype); all are
    broadcast to one shape."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        opts = {"dtype": tinynn.get_default_dtype()}
        for v in values:
            if isinstance(v, Tensor):
                opts = {"dtype": v.dtype, "device": v.device}
                break
        values = [v if isinstance(v, Tensor) else tinynn.tensor(v, **opts) for v in values]
    return _broadcast_tensors(*values)


def clamp_probs(probs):
    eps = finfo_eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return tinynn.log(ps_clamped) - tinynn.log1p(-ps_clamped)
    return tinynn.log(ps_clamped)


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return tinynn.sigmoid(logits)
    # softmax over the last dim, written as exp(logits - logsumexp) (stable)
    return (logits - logits.logsumexp(-1, keepdim=True)).exp()


class lazy_property:
    """Computed on first access, then stored on the instance (as torch's, with grad enabled)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with tinynn.enable_grad():
            value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def softplus(x):
    """log(1 + exp(x)), stable for large |x|."""
    return x.clamp(min=0) + (-x.abs()).exp().log1p()


def bce_with_logits(logits, target):
    """Elementwise binary cross-entropy with logits, as ATen computes it:
    (1 - z) * x - log_sigmoid(x), with log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|))."""
    log_sigmoid = logits.clamp(max=0) - (-logits.abs()).exp().log1p()
    return (1 - target) * logits - log_sigmoid
