"""nn.functional activations, softmax family and normalize (PyTorch's signatures)."""
from __future__ import annotations

import warnings

from ... import ops
from ...autograd.grad_mode import no_grad
from ...ops import activation as _act
from ...ops import nn as _nnops

__all__ = ["threshold", "threshold_", "relu", "relu_", "hardtanh", "hardtanh_", "relu6", "elu", "elu_",
           "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_",
           "glu", "gelu", "logsigmoid", "hardshrink", "tanhshrink", "softsign", "softplus", "softmin",
           "softmax", "log_softmax", "gumbel_softmax", "softshrink", "tanh", "sigmoid", "hardsigmoid",
           "silu", "mish", "hardswish", "normalize"]


def threshold(input, threshold, value, inplace=False):
    """input where input > threshold, else value."""
    if inplace:
        return _act.threshold_(input, threshold, value)
    return _act.threshold(input, threshold, value)


def threshold_(input, threshold, value):
    return _act.threshold_(input, threshold, value)


def relu(input, inplace=False):
    """max(input, 0); `inplace=True` overwrites input (autograd-correct, as torch.relu_)."""
    if inplace:
        return _act.relu_(input)
    return ops.relu(input)


def relu_(input):
    return _act.relu_(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if inplace:
        return _act.hardtanh_(input, min_val, max_val)
    return _act.hardtanh(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _act.hardtanh_(input, min_val, max_val)


def relu6(input, inplace=False):
    if inplace:
        return _act.hardtanh_(input, 0.0, 6.0)
    return _act.relu6(input)


def elu(input, alpha=1.0, inplace=False):
    return _act.elu_(input, alpha) if inplace else _act.elu(input, alpha)


def elu_(input, alpha=1.0):
    return _act.elu_(input, alpha)


def selu(input, inplace=False):
    return _act.selu_(input) if inplace else _act.selu(input)


def selu_(input):
    return _act.selu_(input)


def celu(input, alpha=1.0, inplace=False):
    return _act.celu_(input, alpha) if inplace else _act.celu(input, alpha)


def celu_(input, alpha=1.0):
    return _act.celu_(input, alpha)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if inplace:
        return _act.leaky_relu_(input, negative_slope)
    return _act.leaky_relu(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return _act.leaky_relu_(input, negative_slope)


def prelu(input, weight):
    return _act.prelu(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if inplace:
        return rrelu_(input, lower, upper, training)
    return _act.rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    from ...ops.inplace import inplace as _inplace  # noqa: PLC0415
    return _inplace(input, _act.rrelu, lower, upper, training)


def glu(input, dim=-1):
    return _act.glu(input, dim)


def gelu(input, approximate="none"):
    return _act.gelu(input, approximate)


def logsigmoid(input):
    return _act.logsigmoid(input)


def hardshrink(input, lambd=0.5):
    return _act.hardshrink(input, lambd)


def softshrink(input, lambd=0.5):
    return _act.softshrink(input, lambd)


def tanhshrink(input):
    return input - input.tanh()


def softsign(input):
    return input / (input.abs() + 1)


def softplus(input, beta=1.0, threshold=20.0):
    return _act.softplus(input, beta, threshold)


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _nnops.softmax(-input, dim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax along `dim`; without `dim` it warns and picks one as PyTorch does (0 for 0-, 1- and
    3-D input, else 1)."""
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _nnops.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _nnops.log_softmax(input, dim, dtype=dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Softmax of (logits + Gumbel noise) / tau; with hard=True a one-hot sample whose gradient is
    the soft one's (straight-through)."""
    gumbels = -ops.empty_like(logits).exponential_().log()
    y_soft = _nnops.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = ops.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def tanh(input):
    return ops.tanh(input)


def sigmoid(input):
    return ops.sigmoid(input)


def hardsigmoid(input, inplace=False):
    if inplace:
        from ...ops.inplace import inplace as _inplace  # noqa: PLC0415
        return _inplace(input, _act.hardsigmoid)
    return _act.hardsigmoid(input)


def silu(input, inplace=False):
    if inplace:
        from ...ops.inplace import inplace as _inplace  # noqa: PLC0415
        return _inplace(input, _act.silu)
    return _act.silu(input)


def mish(input, inplace=False):
    if inplace:
        from ...ops.inplace import inplace as _inplace  # noqa: PLC0415
        return _inplace(input, _act.mish)
    return _act.mish(input)


def hardswish(input, inplace=False):
    if inplace:
        from ...ops.inplace import inplace as _inplace  # noqa: PLC0415
        return _inplace(input, _act.hardswish)
    return _act.hardswish(input)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along `dim`."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    res = input / denom
    if out is not None:
        with no_grad():
            out.copy_(res)
        return out
    return res
