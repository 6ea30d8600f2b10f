"""parameters_to_vector / vector_to_parameters: flatten parameters into one vector and back."""
from __future__ import annotations

from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param: Tensor, old_param_device):
    """-1 for the CPU, the GPU index otherwise; raise when parameters are on different devices."""
    dev = param.device
    cur = (dev.index or 0) if dev.type == "cuda" else -1
    if old_param_device is None:
        return cur
    if cur != old_param_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return old_param_device


def parameters_to_vector(parameters) -> Tensor:
    """One 1-D tensor holding every parameter, flattened and concatenated (differentiable)."""
    from ...ops import cat  # noqa: PLC0415 - the op library's concatenation
    param_device = None
    vec = []
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        vec.append(param.view(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of `vec` into the parameters' data (views of `vec`, as PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    param_device = None
    pointer = 0
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
