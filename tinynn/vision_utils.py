"""Image grids, as `torchvision.utils`: `make_grid` and `save_image`.

`python -m tinynn.run` resolves `torchvision.utils` to this module, so scripts that write sample
images (`from torchvision.utils import save_image`) run without torchvision. `save_image` needs
Pillow (tinynn's `vision` and `test` extras install it).
"""
from __future__ import annotations

import math

import tinynn
import tinynn.nn.functional as F

__all__ = ["make_grid", "save_image"]


def _normalize(t, value_range, scale_each):
    def norm(x, low, high):
        return (x.clamp(min=low, max=high) - low) / max(high - low, 1e-5)

    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are "
                        "numbers")
    if scale_each:
        if value_range is not None:
            return norm(t, *value_range)
        flat = t.reshape(t.shape[0], -1)
        low = flat.amin(dim=1).reshape(-1, 1, 1, 1)
        high = flat.amax(dim=1).reshape(-1, 1, 1, 1)
        return (t.clamp(min=low, max=high) - low) / (high - low).clamp(min=1e-5)
    if value_range is not None:
        return norm(t, *value_range)
    return norm(t, float(t.min()), float(t.max()))


@tinynn.no_grad()
def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False, value_range=None,
              scale_each: bool = False, pad_value: float = 0.0):
    """Arrange a (B, C, H, W) batch (or a list of (C, H, W) images) into one (C, H', W') image.

    Up to `nrow` images per row, `padding` pixels of `pad_value` around each; one-channel images
    become three-channel (as torchvision does); `normalize` rescales to [0, 1] by `value_range`
    or by the min and max (of each image with `scale_each`)."""
    if isinstance(tensor, (list, tuple)):
        tensor = tinynn.stack(list(tensor), dim=0)
    if not isinstance(tensor, tinynn.Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if tensor.dim() == 2:  # a single image H x W
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # a single image C x H x W
        if tensor.shape[0] == 1:
            tensor = tinynn.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.shape[1] == 1:
        tensor = tinynn.cat((tensor, tensor, tensor), 1)
    if tensor.dim() != 4:
        raise ValueError(f"make_grid expects a 2-, 3- or 4-D tensor, got {tensor.dim()} dims")
    if normalize:
        tensor = _normalize(tensor.clone(), value_range, scale_each)
    if tensor.shape[0] == 1:
        return tensor.squeeze(0)
    nmaps, c, h, w = tensor.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    # pad every image on its top and left, fill the last row with blank tiles, tile, then close
    # the grid with the bottom and right padding
    tiles = F.pad(tensor, (padding, 0, padding, 0), value=pad_value)
    blank = ymaps * xmaps - nmaps
    if blank:
        tiles = tinynn.cat([tiles, tinynn.full((blank, c, h + padding, w + padding), pad_value,
                                               dtype=tiles.dtype, device=tiles.device)], 0)
    grid = tiles.reshape(ymaps, xmaps, c, h + padding, w + padding).permute(2, 0, 3, 1, 4)
    grid = grid.reshape(c, ymaps * (h + padding), xmaps * (w + padding))
    return F.pad(grid, (0, padding, 0, padding), value=pad_value)


@tinynn.no_grad()
def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or list of tensors) as an image file, through `make_grid` (its keywords)."""
    try:
        from PIL import Image  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise RuntimeError("save_image needs Pillow: pip install pillow") from None
    grid = make_grid(tensor, **kwargs)
    arr = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", tinynn.uint8).numpy()
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
    Image.fromarray(arr).save(fp, format=format)
