"""Image transforms, as `torchvision.transforms`.

Images are PIL images (with Pillow installed), NumPy arrays HxW / HxWxC (what `tinynn.datasets`
gives without Pillow), or tensors (..., C, H, W). `ToTensor` accepts both PIL images and arrays:
uint8 data becomes a float32 CxHxW tensor in [0, 1], as in torchvision.

Random transforms draw from tinynn's generators: inside a DataLoader from the loader's per-batch
generator (so batches are the same for any `num_workers` and reproducible under
`tinynn.manual_seed`), elsewhere from the default generator.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

import tinynn
from tinynn.ops.random import generator_for
from tinynn.tensor import Tensor
from tinynn.utils.data.dataloader import _data_generator

from . import functional
from . import functional as F
from .functional import InterpolationMode

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Lambda",
           "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "CenterCrop", "Resize",
           "Pad", "RandomApply", "RandomChoice", "RandomOrder", "InterpolationMode", "functional"]


def _gen():
    """(generator, device) for a random decision: the DataLoader's per-batch generator, else the
    default CPU generator (decisions are host-side, whatever the default device)."""
    g = _data_generator()
    return g, (g.device if g is not None else "cpu")


def _rng():
    """The backend generator behind `_gen()`. Per-item decisions draw one number from it directly:
    a tinynn.rand/randint call costs about 10-20 us of tensor machinery per draw, this about 1 us,
    which is most of a RandomCrop's cost on a 28 x 28 image."""
    g, dev = _gen()
    return generator_for(dev, g)


def _rand() -> float:
    return float(_rng().random())


def _randint(low: int, high: int) -> int:
    return int(_rng().integers(low, high))


class Compose:
    """Apply `transforms` in order."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"

    def _batch_steps(self):
        steps = []
        for t in self.transforms:
            sub = _steps_of(t)
            if sub is None:
                return None
            steps.extend(sub)
        return steps


class ToTensor:
    """PIL image or HxW / HxWxC array -> CxHxW tensor (uint8 -> float32 in [0, 1])."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self):
        return f"{type(self).__name__}()"

    # batch step: uint8 (B, H, W) grayscale array -> (B, 1, H, W) float tensor, the same values
    # as stacking the per-item results (the same float32 ops, elementwise)
    _batch_in, _batch_out = "raw", "tensor"

    def _batch(self, x):
        return F._uint8_to_float(x[:, None])


class PILToTensor:
    """PIL image -> CxHxW tensor of the image's dtype (no scaling)."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return f"{type(self).__name__}()"

    _batch_in, _batch_out = "raw", "tensor"

    def _batch(self, x):
        return tinynn.from_numpy(np.ascontiguousarray(x[:, None]))


class ToPILImage:
    """Tensor or array -> PIL image (needs Pillow)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        return f"{type(self).__name__}(mode={self.mode})" if self.mode else f"{type(self).__name__}()"


class Normalize:
    """(x - mean) / std per channel of a float tensor image."""

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace
        self._cache = {}

    def _stats(self, t):
        key = (t.dtype, t.device)
        ms = self._cache.get(key)
        if ms is None:
            ms = self._cache[key] = F._mean_std(self.mean, self.std, t.dtype, t.device)
        return ms

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor) or not tensor.is_floating_point() or tensor.ndim < 3:
            return F.normalize(tensor, self.mean, self.std, self.inplace)  # raises its error
        mean, std = self._stats(tensor)  # cached: no per-item tensor construction
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"

    _batch_in, _batch_out = "tensor", "tensor"

    def _batch(self, t):
        return self(t)  # (B, C, H, W) broadcasts against the (C, 1, 1) statistics


class Lambda:
    """Apply a user function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


class RandomHorizontalFlip:
    """Mirror left-right with probability p."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if _rand() < self.p:
            return F.hflip(img)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip:
    """Mirror top-bottom with probability p."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if _rand() < self.p:
            return F.vflip(img)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class Pad:
    """Pad the borders (int, (left/right, top/bottom) or (left, top, right, bottom))."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, " \
               f"padding_mode={self.padding_mode})"


class RandomCrop:
    """A random size (h, w) crop, after optional padding (torchvision's arguments)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = F._setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img, output_size):
        """(top, left, height, width) of a random crop of `output_size`."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = _randint(0, h - th + 1)
        j = _randint(0, w - tw + 1)
        return i, j, th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class CenterCrop:
    """The central (h, w) region."""

    def __init__(self, size):
        self.size = F._setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class Resize:
    """Resize to (h, w), or the smaller edge to an int size (Pillow for PIL images and arrays)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.interpolation = interpolation
        self.max_size = max_size
        self.antialias = antialias

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, interpolation=" \
               f"{self.interpolation.value}, max_size={self.max_size}, antialias={self.antialias})"


class RandomApply:
    """Apply all `transforms` with probability p."""

    def __init__(self, transforms, p=0.5):
        self.transforms = transforms
        self.p = p

    def __call__(self, img):
        if self.p < _rand():
            return img
        for t in self.transforms:
            img = t(img)
        return img


class RandomChoice:
    """Apply one of `transforms`, picked at random (with optional weights p)."""

    def __init__(self, transforms, p=None):
        self.transforms = transforms
        self.p = p

    def __call__(self, img):
        if self.p is None:
            return self.transforms[_randint(0, len(self.transforms))](img)
        g, dev = _gen()
        w = tinynn.tensor(self.p, dtype=tinynn.float64, device=dev)
        i = int(tinynn.multinomial(w, 1, generator=g).item())
        return self.transforms[i](img)


class RandomOrder:
    """Apply `transforms` in a random order."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        g, dev = _gen()
        for i in tinynn.randperm(len(self.transforms), generator=g, device=dev).tolist():
            img = self.transforms[i](img)
        return img


# ------------------------------------------------------------------------------ batch fast path
def _steps_of(t):
    if isinstance(t, Compose):
        return t._batch_steps()
    if type(t) in (ToTensor, PILToTensor, Normalize):  # exact types: a subclass may differ
        return [t]
    return None


def _batch_plan(transform):
    """For datasets of grayscale uint8 images: a function mapping a (B, H, W) uint8 array to what
    stacking `transform(image)` for each image would give, or None when `transform` has a step
    that cannot be applied to a whole batch at once (random or user-defined ones)."""
    if transform is None:
        return None
    steps = _steps_of(transform)
    if not steps:
        return None
    kind = "raw"
    for s in steps:
        if s._batch_in != kind:
            return None
        kind = s._batch_out
    if kind != "tensor":
        return None

    def apply(x):
        for s in steps:
            x = s._batch(x)
        return x
    return apply
