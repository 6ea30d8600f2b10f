"""`default_collate` and `default_convert`: PyTorch's rules for turning samples into batches.

default_collate(batch), by the type of the first element:
  Tensor            -> tinynn.stack(batch)
  NumPy array       -> stacked into one tensor (string/object dtypes raise TypeError)
  NumPy scalar      -> a tensor of that dtype
  float / int / bool-> float64 / int64 / bool tensor (as PyTorch: Python floats collate to float64)
  str / bytes       -> the batch unchanged
  Mapping           -> the same mapping type with each key collated
  namedtuple        -> the same namedtuple with each field collated
  tuple / Sequence  -> a list (tuples, as PyTorch for backwards compatibility) or the same
                       sequence type, of the collated transposed fields; unequal lengths raise
                       RuntimeError "each element in list of batch should be of equal size"
"""
from __future__ import annotations

import collections.abc

import numpy as np

import tinynn
from tinynn.tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_string_array(a) -> bool:
    return a.dtype.kind in "USO"


def default_convert(data):
    """Convert NumPy arrays and scalars in `data` to tensors, recursively (no batching)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_string_array(data) else tinynn.as_tensor(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return tinynn.as_tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # a list, as PyTorch's (backwards compatibility)
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Stack a list of samples into a batch, as `torch.utils.data.default_collate`."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return tinynn.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if _is_string_array(elem):
            raise TypeError(_ERR.format(elem.dtype))
        # one host-side stack, then one tensor (PyTorch converts each array and stacks tensors;
        # the values and dtype are the same)
        for i, b in enumerate(batch):
            if b.shape != elem.shape:
                raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                                   f"{list(elem.shape)} at entry 0 and {list(b.shape)} at entry {i}")
        return tinynn.as_tensor(np.stack(batch))  # as_tensor: the default device, as PyTorch
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        if elem.dtype.kind in "O":
            raise TypeError(_ERR.format(elem.dtype))
        return tinynn.as_tensor(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, float):
        return tinynn.tensor(batch, dtype=tinynn.float64)
    if isinstance(elem, bool):
        return tinynn.tensor(batch)
    if isinstance(elem, int):
        return tinynn.tensor(batch, dtype=tinynn.int64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]  # backwards compatibility
        try:
            return type(elem)([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ERR.format(type(elem)))
