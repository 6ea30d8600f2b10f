"""Convolutions, unfold/fold, padding, resizing and pixel shuffle (nn.functional names).

The arithmetic lives in tinynn.ops.conv (im2col + one GEMM per layer); these functions check and
translate PyTorch's arguments."""
from __future__ import annotations

import math

from ...ops import conv as _conv

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "unfold", "fold", "pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle"]

conv1d = _conv.conv1d
conv2d = _conv.conv2d
conv3d = _conv.conv3d
conv_transpose1d = _conv.conv_transpose1d
conv_transpose2d = _conv.conv_transpose2d
conv_transpose3d = _conv.conv_transpose3d
pixel_shuffle = _conv.pixel_shuffle
pixel_unshuffle = _conv.pixel_unshuffle


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C*kh*kw, L) (im2col)."""
    if input.dim() not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got "
                                  f"{input.dim()}D)")
    x = input.unsqueeze(0) if input.dim() == 3 else input
    out = _conv._im2col_op(x, kernel_size, dilation, padding, stride)
    return out.squeeze(0) if input.dim() == 3 else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding local blocks back into an image: (N, C*kh*kw, L) -> (N, C, H, W) (col2im)."""
    if input.dim() not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                                  f"supported (got {input.dim()}D)")
    x = input.unsqueeze(0) if input.dim() == 2 else input
    out = _conv._col2im_op(x, output_size, kernel_size, dilation, padding, stride)
    return out.squeeze(0) if input.dim() == 2 else out


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)//2 dims; `pad` lists (left, right) amounts from the last dim backwards.

    Modes: 'constant' (with `value`, default 0; negative amounts crop), 'reflect', 'replicate',
    'circular'."""
    if mode == "constant":
        return _conv.constant_pad_nd(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    return _conv._pad_index(input, pad, mode)


_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, *S) by `size` or `scale_factor`: nearest, nearest-exact, (bi/tri)linear, area."""
    nd = input.dim() - 2
    if nd < 1 or nd > 3:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.dim()}D) for the modes: nearest | linear | bilinear | bicubic "
                                  f"| trilinear | lanczos | area | nearest-exact (got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("tinynn's interpolate does not implement antialias=True")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    sizes_in = tuple(input.shape[2:])
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but "
                                 f"got input with spatial dimensions of {list(sizes_in)} and output size "
                                 f"of {size}. Please provide input tensor in (N, C, d1, d2, "
                                 "...,dK) format and output size in (o1, o2, ...,oK) format.")
            out = tuple(int(s) for s in size)
        else:
            out = (int(size),) * nd
        scales = (None,) * nd
    else:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError(f"Input and scale_factor must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of {list(sizes_in)} "
                                 f"and scale_factor of shape {scale_factor}. Please provide input "
                                 "tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, "
                                 "...,sK) format.")
            scales = tuple(float(s) for s in scale_factor)
        else:
            scales = (float(scale_factor),) * nd
        out = tuple(int(math.floor(s * f)) for s, f in zip(sizes_in, scales))
        if recompute_scale_factor:
            scales = (None,) * nd
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join(map(str, sizes_in))}) and output ({', '.join(map(str, out))})")
    if mode in ("nearest", "nearest-exact"):
        return _conv._interpolate(input, out, scales, mode, None)
    if mode == "area":
        return _conv._adaptive_avg_poolnd(input, out, nd, "adaptive_avg_pool")
    if mode in _LINEAR_MODES:
        need = _LINEAR_MODES[mode]
        if need != nd:
            raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need + 2}D "
                                      "input")
        return _conv._interpolate(input, out, scales, mode, align_corners)
    if mode == "bicubic":
        raise NotImplementedError("tinynn's interpolate does not implement mode='bicubic'")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                              f"{input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | "
                              f"trilinear | lanczos | area | nearest-exact (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

