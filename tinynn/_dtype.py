"""tinynn dtypes and PyTorch's type-promotion rules.

A `dtype` wraps a NumPy dtype (CuPy uses the same dtype objects). Promotion follows PyTorch, not
NumPy: int32 + float32 is float32 (NumPy says float64), a Python float never widens a float32
tensor, and a 0-dim tensor only decides the result when it is of a higher category.
"""
from __future__ import annotations

import numpy as np


class dtype:
    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_cat")

    def __init__(self, name: str, np_dtype, cat: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._cat = cat  # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = cat == 2
        self.is_complex = cat == 3
        self.is_signed = name not in ("bool", "uint8")
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"tinynn.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self):
        return self

    def to_complex(self):
        return complex64 if self is float32 else complex128


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update({"half": float16, "float": float32, "double": float64, "long": int64, "int": int32,
               "short": int16, "cfloat": complex64, "cdouble": complex128})


def _by_name(name):
    return _NAMES[name]


def from_numpy_dtype(npd) -> dtype:
    d = _FROM_NP.get(npd)
    if d is None:
        d = _FROM_NP.get(np.dtype(npd))
        if d is None:
            raise TypeError(f"can't convert np.ndarray of type {np.dtype(npd)}. The only supported types "
                            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
                            "int8, uint8, and bool.")
    return d


def to_dtype(d) -> dtype:
    """Accept a tinynn dtype, a NumPy dtype/type, or Python's float/int/bool."""
    if isinstance(d, dtype):
        return d
    if d is float:  # as PyTorch: Python's float is double, complex is complex128
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex128
    if isinstance(d, str):
        if d.startswith("torch.") or d.startswith("tinynn."):
            d = d.split(".", 1)[1]
        if d in _NAMES:
            return _NAMES[d]
    try:
        return from_numpy_dtype(np.dtype(d))
    except TypeError:
        raise TypeError(f"invalid dtype: {d!r}") from None


# ----------------------------------------------------------------------------------------
# default dtype
# ----------------------------------------------------------------------------------------
_default = [float32]


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d) -> None:
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


# ----------------------------------------------------------------------------------------
# promotion
# ----------------------------------------------------------------------------------------
def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types."""
    if a is b:
        return a
    if a._cat != b._cat:
        hi, lo = (a, b) if a._cat > b._cat else (b, a)
        if hi._cat == 3 and lo is float64:
            return complex128
        return hi
    if a._cat == 0:
        return a
    return _FROM_NP[np.promote_types(a.np, b.np)]


def scalar_category(v) -> int:
    if isinstance(v, bool):
        return 0
    if isinstance(v, int):
        return 1
    if isinstance(v, float):
        return 2
    if isinstance(v, complex):
        return 3
    raise TypeError(f"unsupported scalar type {type(v).__name__}")


def default_for_category(cat: int) -> dtype:
    """The dtype a Python scalar of category `cat` (bool, int, float, complex) stands for."""
    if cat == 3:
        return complex128 if get_default_dtype() is float64 else complex64
    return (bool_, int64, get_default_dtype())[cat]


def _to_complex(d: dtype) -> dtype:
    return complex128 if d is float64 else complex64  # (float16 -> complex32, which tinynn lacks)


def _combine_categories(higher, lower):
    """PyTorch's combine_categories: a lower tier only matters when of a higher category."""
    if higher is None:
        return lower
    if lower is None or higher._cat == 3:
        return higher
    if lower._cat == 3:
        # a complex lower tier keeps the precision of a floating higher tier
        return _to_complex(higher) if higher._cat == 2 else lower
    if higher._cat == 2:
        return higher
    if higher is bool_ or lower._cat == 2:
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """torch.result_type over tensors (objects with .dtype and .ndim) and Python scalars.

    Three tiers, as in PyTorch: tensors with dims, 0-dim tensors, then Python scalars. A lower tier
    only matters when its category (bool < int < float < complex) is higher than the tiers above."""
    dim_t = zero_t = None
    scal_cat = -1
    for o in operands:
        d = getattr(o, "dtype", None)
        if isinstance(d, dtype):
            if o.ndim > 0:
                dim_t = d if dim_t is None else promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote_types(zero_t, d)
        else:
            scal_cat = max(scal_cat, scalar_category(o))
    wrapped = default_for_category(scal_cat) if scal_cat >= 0 else None
    return _combine_categories(dim_t, _combine_categories(zero_t, wrapped))
