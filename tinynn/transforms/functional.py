"""Functional image transforms, as `torchvision.transforms.functional`.

An image is a PIL image (when Pillow is installed), a NumPy array of shape HxW or HxWxC (what
`tinynn.datasets` gives when Pillow is absent), or a tinynn tensor of shape (..., C, H, W).
Geometric functions return the same kind of image they are given.
"""
from __future__ import annotations

import enum
import numbers

import numpy as np

import tinynn
from tinynn.tensor import Tensor

__all__ = ["InterpolationMode", "to_tensor", "pil_to_tensor", "normalize", "hflip", "vflip", "crop",
           "center_crop", "pad", "resize", "get_dimensions", "get_image_size",
           "get_image_num_channels", "to_pil_image"]


class InterpolationMode(enum.Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_pil = []


def _PIL():
    """The PIL.Image module, or None when Pillow is not installed."""
    if not _pil:
        try:
            from PIL import Image  # noqa: PLC0415
            _pil.append(Image)
        except ImportError:
            _pil.append(None)
    return _pil[0]


def _is_pil(img) -> bool:
    Image = _PIL()
    return Image is not None and isinstance(img, Image.Image)


def _check_image(img):
    if not (_is_pil(img) or isinstance(img, (np.ndarray, Tensor))):
        raise TypeError(f"img should be PIL Image, NumPy array or Tensor. Got {type(img)}")


def get_dimensions(img) -> list:
    """[channels, height, width]."""
    _check_image(img)
    if _is_pil(img):
        return [len(img.getbands()), img.height, img.width]
    if isinstance(img, np.ndarray):
        return [1 if img.ndim == 2 else img.shape[2], img.shape[0], img.shape[1]]
    c = 1 if img.ndim == 2 else img.shape[-3]
    return [c, img.shape[-2], img.shape[-1]]


def get_image_size(img) -> list:
    """[width, height]."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


# --------------------------------------------------------------------------------- conversion
def _pil_to_array(pic) -> np.ndarray:
    """A PIL image as an HxWxC array, with torchvision's dtypes per mode."""
    mode_to_nptype = {"I": np.int32, "I;16": np.int16, "I;16B": np.int16, "F": np.float32}
    arr = np.array(pic, mode_to_nptype.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        arr = 255 * arr
    return arr.reshape(pic.height, pic.width, len(pic.getbands()))


def to_tensor(pic) -> Tensor:
    """PIL image or HxW / HxWxC array -> CxHxW tensor; uint8 data becomes float32 in [0, 1]
    (other dtypes keep their dtype and values, as torchvision's)."""
    if _is_pil(pic):
        arr = _pil_to_array(pic)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    arr = arr.transpose(2, 0, 1)
    if arr.dtype == np.uint8:
        return _uint8_to_float(arr)
    return tinynn.from_numpy(np.ascontiguousarray(arr))


def _uint8_to_float(arr: np.ndarray) -> Tensor:
    """uint8 image data -> default-float tensor / 255, as torchvision's `img.float().div(255)`
    (the same float32 division, done while converting the host array: one pass, no temporaries)."""
    dt = tinynn.get_default_dtype().np
    return tinynn.from_numpy(np.divide(arr, dt.type(255), dtype=dt, order="C"))


def pil_to_tensor(pic) -> Tensor:
    """PIL image -> CxHxW tensor of the image's own dtype (no scaling)."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    return tinynn.from_numpy(np.ascontiguousarray(np.asarray(pic).reshape(
        pic.height, pic.width, len(pic.getbands())).transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    """CxHxW tensor or HxWxC array -> PIL image (float data is scaled by 255)."""
    Image = _PIL()
    if Image is None:
        raise RuntimeError("to_pil_image needs Pillow: pip install pillow")
    if isinstance(pic, Tensor):
        t = pic.detach().cpu()
        if t.ndim == 2:
            t = t.unsqueeze(0)
        if t.is_floating_point() and mode != "F":
            t = (t * 255).to(tinynn.uint8)
        arr = t.numpy().transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
    img = Image.fromarray(np.ascontiguousarray(arr))
    return img if mode is None or img.mode == mode else img.convert(mode)


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """(tensor - mean) / std per channel of a (..., C, H, W) float tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    mean_t, std_t = _mean_std(mean, std, tensor.dtype, tensor.device)
    if inplace:
        return tensor.sub_(mean_t).div_(std_t)
    return (tensor - mean_t) / std_t


def _mean_std(mean, std, dtype, device):
    mean_t = tinynn.as_tensor(mean, dtype=dtype, device=device)
    std_t = tinynn.as_tensor(std, dtype=dtype, device=device)
    if bool((std_t == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division "
                         "by zero.")
    if mean_t.ndim == 1:
        mean_t = mean_t.view(-1, 1, 1)
    if std_t.ndim == 1:
        std_t = std_t.view(-1, 1, 1)
    return mean_t, std_t


# --------------------------------------------------------------------------------- geometry
def hflip(img):
    """Mirror left-right."""
    _check_image(img)
    if _is_pil(img):
        return img.transpose(_PIL().Transpose.FLIP_LEFT_RIGHT)
    if isinstance(img, np.ndarray):
        return np.ascontiguousarray(img[:, ::-1])
    return img.flip(-1)


def vflip(img):
    """Mirror top-bottom."""
    _check_image(img)
    if _is_pil(img):
        return img.transpose(_PIL().Transpose.FLIP_TOP_BOTTOM)
    if isinstance(img, np.ndarray):
        return np.ascontiguousarray(img[::-1])
    return img.flip(-2)


def _parse_padding(padding):
    """(left, top, right, bottom) from an int or a sequence of 1, 2 or 4 ints."""
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    if isinstance(padding, (list, tuple)):
        if len(padding) == 1:
            return (int(padding[0]),) * 4
        if len(padding) == 2:
            return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
        if len(padding) == 4:
            return tuple(int(p) for p in padding)
    raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding) if isinstance(padding, (list, tuple)) else type(padding)} "
                     "element tuple")


_NP_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
             "symmetric": "symmetric"}


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders: padding is an int, (left/right, top/bottom) or (left, top, right, bottom)."""
    _check_image(img)
    if padding_mode not in _NP_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    if _is_pil(img):
        if padding_mode == "constant" and min(left, top, right, bottom) >= 0:
            from PIL import ImageOps  # noqa: PLC0415 - C-level padding, as torchvision
            return ImageOps.expand(img, border=(left, top, right, bottom), fill=fill)
        arr = np.asarray(img)
        out = _pad_array(arr, left, top, right, bottom, fill, padding_mode)
        res = _PIL().fromarray(out)
        return res if res.mode == img.mode else res.convert(img.mode)
    if isinstance(img, np.ndarray):
        return _pad_array(img, left, top, right, bottom, fill, padding_mode)
    return _pad_tensor(img, left, top, right, bottom, fill, padding_mode)


def _pad_array(arr, left, top, right, bottom, fill, mode):
    h, w = arr.shape[:2]
    if mode == "constant":
        out = np.empty((h + top + bottom, w + left + right) + arr.shape[2:], dtype=arr.dtype)
        out[...] = fill
        out[top:top + h, left:left + w] = arr
        return out
    pads = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
    return np.pad(arr, pads, mode=_NP_MODES[mode])


def _pad_tensor(t, left, top, right, bottom, fill, mode):
    h, w = t.shape[-2], t.shape[-1]
    if mode == "constant":
        out = tinynn.full(tuple(t.shape[:-2]) + (h + top + bottom, w + left + right), fill,
                          dtype=t.dtype, device=t.device)
        out[..., top:top + h, left:left + w] = t
        return out
    # other modes: gather rows and columns at indices padded the same way (host-side index math)
    rows = np.pad(np.arange(h), (top, bottom), mode=_NP_MODES[mode])
    cols = np.pad(np.arange(w), (left, right), mode=_NP_MODES[mode])
    rows_t = tinynn.tensor(rows, dtype=tinynn.int64, device=t.device)
    cols_t = tinynn.tensor(cols, dtype=tinynn.int64, device=t.device)
    return t[..., rows_t, :][..., cols_t]


def crop(img, top: int, left: int, height: int, width: int):
    """The region [top, top + height) x [left, left + width); zero-padded where it leaves the image."""
    _check_image(img)
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        inner = crop(img, max(top, 0), max(left, 0), min(bottom, h) - max(top, 0),
                     min(right, w) - max(left, 0))
        return pad(inner, ltrb, fill=0)
    if isinstance(img, np.ndarray):
        return img[top:bottom, left:right]
    return img[..., top:bottom, left:right]


def _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        raise ValueError(error_msg)
    return int(size[0]), int(size[1])


def center_crop(img, output_size):
    """The central output_size region (padded with zeros when the image is smaller)."""
    crop_h, crop_w = _setup_size(output_size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        ltrb = [(crop_w - w) // 2 if crop_w > w else 0, (crop_h - h) // 2 if crop_h > h else 0,
                (crop_w - w + 1) // 2 if crop_w > w else 0, (crop_h - h + 1) // 2 if crop_h > h else 0]
        img = pad(img, ltrb, fill=0)
        _, h, w = get_dimensions(img)
        if crop_w == w and crop_h == h:
            return img
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def _resized_size(h, w, size, max_size):
    if isinstance(size, numbers.Number) or (isinstance(size, (list, tuple)) and len(size) == 1):
        requested = int(size if isinstance(size, numbers.Number) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1 in "
                         "torchscript mode.")
    return int(size[0]), int(size[1])


_PIL_FILTERS = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0,
                InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
                InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
                InterpolationMode.LANCZOS: 1}


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to `size` ((h, w), or the smaller edge for an int). PIL images and uint8 arrays go
    through Pillow; tensors through `nn.functional.interpolate` (no antialiasing)."""
    _check_image(img)
    if isinstance(interpolation, int):
        interpolation = {v: k for k, v in _PIL_FILTERS.items()}[interpolation]
    _, h, w = get_dimensions(img)
    new_h, new_w = _resized_size(h, w, size, max_size)
    if (new_h, new_w) == (h, w):
        return img
    if _is_pil(img):
        return img.resize((new_w, new_h), _PIL_FILTERS[interpolation])
    if isinstance(img, np.ndarray):
        Image = _PIL()
        if Image is None:
            raise RuntimeError("resizing a NumPy image needs Pillow: pip install pillow")
        arr = img[:, :, 0] if img.ndim == 3 and img.shape[2] == 1 else img
        out = np.asarray(Image.fromarray(arr).resize((new_w, new_h), _PIL_FILTERS[interpolation]))
        return out.reshape(new_h, new_w, *img.shape[2:])
    from tinynn.nn import functional as F  # noqa: PLC0415
    mode = "nearest" if interpolation in (InterpolationMode.NEAREST,
                                          InterpolationMode.NEAREST_EXACT) else "bilinear"
    x = img
    squeeze = x.ndim == 3
    if squeeze:
        x = x.unsqueeze(0)
    dt = x.dtype
    if not x.is_floating_point():
        x = x.float()
    out = F.interpolate(x, size=(new_h, new_w), mode=mode,
                        **({} if mode == "nearest" else {"align_corners": False}))
    if not dt.is_floating_point:
        out = out.round().clamp(0, 255 if dt == tinynn.uint8 else None).to(dt)
    return out.squeeze(0) if squeeze else out
