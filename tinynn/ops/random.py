"""Random numbers: `Generator`, the default generators, `manual_seed`, and the sampling functions.

Each device has a default generator (NumPy's PCG64 on the CPU, CuPy's on a GPU). A `generator=`
argument takes a `tinynn.Generator` instead."""
from __future__ import annotations

import json
import os

import numpy as np

from .._dtype import get_default_dtype, to_dtype
from ..backend import as_device, new_generator
from ..tensor import Tensor
from .creation import finish, resolve_device
from .shape import parse_shape

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "rand", "randn", "generator_for", "uniform_", "normal_"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed


class Generator:
    """torch.Generator: a seedable stream of random numbers on one device."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = _DEFAULT_SEED
        self._gen = None

    @property
    def gen(self):
        """The backend generator, created on first use (so a cuda Generator costs nothing until used)."""
        if self._gen is None:
            self._gen = new_generator(self.device, self._seed)
        return self._gen

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < -0x8000_0000_0000_0000 or seed > 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError(f"Overflow when unpacking long long: seed {seed}")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._gen = None
        return self

    def seed(self):
        s = int.from_bytes(os.urandom(8), "little") & 0x7FFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (JSON of the bit generator's state)."""
        state = self.gen.bit_generator.state if hasattr(self.gen, "bit_generator") else None
        if state is None:
            raise RuntimeError("this generator cannot report its state")
        blob = json.dumps({"seed": self._seed, "state": state}).encode()
        return Tensor._make(np.frombuffer(blob, dtype=np.uint8).copy())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("expected a tinynn.ByteTensor as the generator state")
        try:
            d = json.loads(bytes(new_state.numpy().tobytes()).decode())
            self._seed = d["seed"]
            self._gen = None
            self.gen.bit_generator.state = d["state"]
        except (ValueError, KeyError, TypeError) as e:
            raise RuntimeError(f"Invalid generator state: {e}") from None
        return self

    def __repr__(self):
        return f"<tinynn.Generator object at {hex(id(self))}>"


_defaults: dict = {}


def default_generator_for(device) -> Generator:
    d = as_device(device)
    if d.type == "cuda" and d.index is None:
        d = as_device("cuda:0")
    g = _defaults.get(d)
    if g is None:
        g = _defaults[d] = Generator(d)
    return g


default_generator = default_generator_for("cpu")


def generator_for(device, generator=None):
    """The backend generator to draw from: `generator`'s, else the device's default."""
    if generator is not None:
        if not isinstance(generator, Generator):
            raise TypeError(f"generator must be a tinynn.Generator, not {type(generator).__name__}")
        if generator.device.type != as_device(device).type:
            raise RuntimeError(f"Expected a '{as_device(device).type}' device type for generator but "
                               f"found '{generator.device.type}'")
        return generator.gen
    return default_generator_for(device).gen


def manual_seed(seed):
    """Seed the default generators of every device; returns the CPU generator."""
    for g in list(_defaults.values()):
        g.manual_seed(seed)
    return default_generator.manual_seed(seed)


def seed():
    s = default_generator.seed()
    for g in _defaults.values():
        if g is not default_generator:
            g.manual_seed(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def check_inplace_leaf(t):
    from ..autograd.grad_mode import _state  # noqa: PLC0415
    if _state.enabled and t._requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def _float_dtype(dtype):
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{dt.name}'")
    return dt


def _shape(size):
    shape = parse_shape(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Uniform on [0, 1)."""
    dt = _float_dtype(dtype)
    dev = resolve_device(device)
    g = generator_for(dev, generator)
    return finish(g.random(_shape(size), dtype=np.float64).astype(dt.np)
                  if dt.np not in (np.float32, np.float64) else g.random(_shape(size), dtype=dt.np),
                  requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Standard normal."""
    dt = _float_dtype(dtype)
    dev = resolve_device(device)
    g = generator_for(dev, generator)
    shape = _shape(size)
    arr = g.standard_normal(shape, dtype=dt.np) if dt.np in (np.float32, np.float64) else \
        g.standard_normal(shape).astype(dt.np)
    return finish(arr, requires_grad)


def uniform_(t, a=0.0, b=1.0, *, generator=None):
    """Fill `t` in place from U(a, b) (no autograd record, as PyTorch's init functions)."""
    check_inplace_leaf(t)
    g = generator_for(t.device, generator)
    arr = g.uniform(a, b, t._data.shape)
    t._data[...] = arr
    t._bump()
    return t


def normal_(t, mean=0.0, std=1.0, *, generator=None):
    check_inplace_leaf(t)
    g = generator_for(t.device, generator)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    t._data[...] = g.normal(mean, std, t._data.shape)
    t._bump()
    return t
