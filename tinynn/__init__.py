"""tinynn: a small deep-learning framework whose public API is PyTorch's.

    import tinynn as torch

Layers: backend (NumPy | CuPy) -> Tensor -> autograd -> ops -> nn.functional -> nn -> optim ->
utils.data, datasets, serialization, training loop.
"""
from __future__ import annotations

import builtins as _builtins

__version__ = "0.1.0"

from . import _dtype
from ._dtype import (bool_ as bool, complex64, complex128, dtype, float16, float32, float64,  # noqa: A004
                     get_default_dtype, int8, int16, int32, int64, promote_types, set_default_dtype,
                     uint8)
from ._dtype import result_type as _result_type
from .backend import device
from .tensor import Size, Tensor
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from . import ops
from .ops import *  # noqa: F401,F403  (tinynn.<op> for every op function)
from .ops.creation import get_default_device, set_default_device
from .ops.random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from . import cuda
from . import amp
from .amp import autocast
from ._tensor_str import set_printoptions
from ._blas import get_num_threads, set_num_threads
from .ops._util import check_tensor as _check_tensor

# dtype aliases PyTorch has
half = float16
float = float32  # noqa: A001
double = float64
short = int16
int = int32  # noqa: A001
long = int64
cfloat = complex64
cdouble = complex128


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    _check_tensor("is_floating_point", "input", 1, input)
    return input.is_floating_point()


def is_complex(input) -> bool:
    _check_tensor("is_complex", "input", 1, input)
    return input.is_complex()


def numel(input) -> int:
    _check_tensor("numel", "input", 1, input)
    return input.numel()


def result_type(tensor1, tensor2):
    return _result_type(tensor1, tensor2)


def can_cast(from_, to) -> bool:
    order = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
    return order[from_.np.kind] <= order[to.np.kind]


def _legacy_tensor_type(dt):
    def ctor(*args, device=None):
        return Tensor(*args, device=device).to(dt) if not (args and _builtins.all(
            isinstance(a, type(1)) and not isinstance(a, type(True)) for a in args)) \
            else ops.empty(*args, dtype=dt, device=device)
    return ctor


FloatTensor = _legacy_tensor_type(float32)
DoubleTensor = _legacy_tensor_type(float64)
HalfTensor = _legacy_tensor_type(float16)
LongTensor = _legacy_tensor_type(int64)
IntTensor = _legacy_tensor_type(int32)
ByteTensor = _legacy_tensor_type(uint8)
BoolTensor = _legacy_tensor_type(bool)


# Subpackages load on first use (`tinynn.nn`, `tinynn.optim`, ...), as `torch.nn` is there after
# `import torch`.
_SUBMODULES = {"nn", "optim", "utils", "distributions", "datasets", "transforms", "train",
               "serialization", "distributed", "accelerator", "run", "backends", "random", "amp"}


def __getattr__(name):
    import importlib  # noqa: PLC0415
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("save", "load"):
        from . import serialization  # noqa: PLC0415
        return getattr(serialization, name)
    raise AttributeError(f"module 'tinynn' has no attribute '{name}'")
