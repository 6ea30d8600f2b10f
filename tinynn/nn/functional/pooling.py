"""Pooling (nn.functional names): max, average, adaptive, Lp, and max-unpooling."""
from __future__ import annotations

from ...ops import conv as _conv

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "lp_pool1d", "lp_pool2d", "max_unpool1d",
           "max_unpool2d", "max_unpool3d"]

max_pool1d = _conv.max_pool1d
max_pool2d = _conv.max_pool2d
max_pool3d = _conv.max_pool3d
avg_pool1d = _conv.avg_pool1d
avg_pool2d = _conv._avg_pool2d
avg_pool3d = _conv._avg_pool3d
adaptive_avg_pool1d = _conv.adaptive_avg_pool1d
adaptive_avg_pool2d = _conv._adaptive_avg_pool2d
adaptive_avg_pool3d = _conv._adaptive_avg_pool3d
adaptive_max_pool1d = _conv._adaptive_max_pool1d
adaptive_max_pool2d = _conv._adaptive_max_pool2d


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _conv.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _conv.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _conv.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return _conv._adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return _conv._adaptive_max_pool2d(input, output_size, True)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd):
    """(sum over the window of x**p) ** (1/p), computed as PyTorch does from an average pool."""
    kernel = _conv._ntuple(kernel_size, nd, "kernel_size", "pooling")
    k = 1
    for v in kernel:
        k *= v
    pool = _conv.avg_pool1d if nd == 1 else _conv._avg_pool2d
    p = float(norm_type)
    out = pool(input.pow(p), kernel, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(k).pow(1.0 / p)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def _unpool_size(input, kernel_size, stride, padding, output_size, nd):
    kernel = _conv._ntuple(kernel_size, nd, "kernel_size", "pooling")
    stride = kernel if stride is None else _conv._ntuple(stride, nd, "stride", "pooling")
    padding = _conv._ntuple(padding, nd, "padding", "pooling")
    sizes = tuple(input.shape[input.dim() - nd:])
    default = tuple((s - 1) * st + k - 2 * p for s, st, k, p in zip(sizes, stride, kernel, padding))
    if output_size is None:
        return default
    output_size = tuple(int(s) for s in output_size)
    if len(output_size) == nd + 2 or len(output_size) == nd + 1:
        output_size = output_size[len(output_size) - nd:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but "
                         f"it has a length of '{len(output_size)}'")
    for o, d, st in zip(output_size, default, stride):
        if not d - st < o < d + st:
            raise ValueError(f"invalid output_size \"{list(output_size)}\" (dim {o} must be between "
                             f"{d - st} and {d + st})")
    return output_size


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool1d: values placed at their indices, zeros elsewhere."""
    size = _unpool_size(input, kernel_size, stride, padding, output_size, 1)
    return _conv._max_unpoolnd(input, indices, size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool2d: values placed at their indices, zeros elsewhere."""
    size = _unpool_size(input, kernel_size, stride, padding, output_size, 2)
    return _conv._max_unpoolnd(input, indices, size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool3d."""
    size = _unpool_size(input, kernel_size, stride, padding, output_size, 3)
    return _conv._max_unpoolnd(input, indices, size, 3)
