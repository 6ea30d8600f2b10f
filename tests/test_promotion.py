"""Type promotion as PyTorch's: promote_types, result_type's three tiers (dimensioned tensors,
0-dim tensors, Python scalars), the default dtype, the dtype of real ops, conversions and the
broadcasting error. The tables were printed by PyTorch 2.13 (torch.promote_types/result_type)."""
from __future__ import annotations

import pytest

import tinynn
from tinynn._dtype import result_type

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
         "complex64", "complex128"]
ABBR = {"b": "bool", "u8": "uint8", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
        "f16": "float16", "f32": "float32", "f64": "float64", "c64": "complex64", "c128": "complex128"}
SCALARS = {"True": True, "2": 2, "2.5": 2.5, "1j": 1j}

PROMOTE = '''
b u8 i8 i16 i32 i64 f16 f32 f64 c64 c128
u8 u8 i16 i16 i32 i64 f16 f32 f64 c64 c128
i8 i16 i8 i16 i32 i64 f16 f32 f64 c64 c128
i16 i16 i16 i16 i32 i64 f16 f32 f64 c64 c128
i32 i32 i32 i32 i32 i64 f16 f32 f64 c64 c128
i64 i64 i64 i64 i64 i64 f16 f32 f64 c64 c128
f16 f16 f16 f16 f16 f16 f16 f32 f64 c64 c128
f32 f32 f32 f32 f32 f32 f32 f32 f64 c64 c128
f64 f64 f64 f64 f64 f64 f64 f64 f64 c128 c128
c64 c64 c64 c64 c64 c64 c64 c64 c128 c64 c128
c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128
'''
TIERS = '''
b:b=b b:u8=u8 b:i8=i8 b:i16=i16 b:i32=i32 b:i64=i64 b:f16=f16 b:f32=f32
b:f64=f64 b:c64=c64 b:c128=c128 b:True=b b:2=i64 b:2.5=f32 b:1j=c64 u8:b=u8
u8:u8=u8 u8:i8=u8 u8:i16=u8 u8:i32=u8 u8:i64=u8 u8:f16=f16 u8:f32=f32 u8:f64=f64
u8:c64=c64 u8:c128=c128 u8:True=u8 u8:2=u8 u8:2.5=f32 u8:1j=c64 i8:b=i8 i8:u8=i8
i8:i8=i8 i8:i16=i8 i8:i32=i8 i8:i64=i8 i8:f16=f16 i8:f32=f32 i8:f64=f64 i8:c64=c64
i8:c128=c128 i8:True=i8 i8:2=i8 i8:2.5=f32 i8:1j=c64 i16:b=i16 i16:u8=i16 i16:i8=i16
i16:i16=i16 i16:i32=i16 i16:i64=i16 i16:f16=f16 i16:f32=f32 i16:f64=f64 i16:c64=c64 i16:c128=c128
i16:True=i16 i16:2=i16 i16:2.5=f32 i16:1j=c64 i32:b=i32 i32:u8=i32 i32:i8=i32 i32:i16=i32
i32:i32=i32 i32:i64=i32 i32:f16=f16 i32:f32=f32 i32:f64=f64 i32:c64=c64 i32:c128=c128 i32:True=i32
i32:2=i32 i32:2.5=f32 i32:1j=c64 i64:b=i64 i64:u8=i64 i64:i8=i64 i64:i16=i64 i64:i32=i64
i64:i64=i64 i64:f16=f16 i64:f32=f32 i64:f64=f64 i64:c64=c64 i64:c128=c128 i64:True=i64 i64:2=i64
i64:2.5=f32 i64:1j=c64 f16:b=f16 f16:u8=f16 f16:i8=f16 f16:i16=f16 f16:i32=f16 f16:i64=f16
f16:f16=f16 f16:f32=f16 f16:f64=f16 f16:True=f16 f16:2=f16 f16:2.5=f16 f32:b=f32 f32:u8=f32
f32:i8=f32 f32:i16=f32 f32:i32=f32 f32:i64=f32 f32:f16=f32 f32:f32=f32 f32:f64=f32 f32:c64=c64
f32:c128=c64 f32:True=f32 f32:2=f32 f32:2.5=f32 f32:1j=c64 f64:b=f64 f64:u8=f64 f64:i8=f64
f64:i16=f64 f64:i32=f64 f64:i64=f64 f64:f16=f64 f64:f32=f64 f64:f64=f64 f64:c64=c128 f64:c128=c128
f64:True=f64 f64:2=f64 f64:2.5=f64 f64:1j=c128 c64:b=c64 c64:u8=c64 c64:i8=c64 c64:i16=c64
c64:i32=c64 c64:i64=c64 c64:f16=c64 c64:f32=c64 c64:f64=c64 c64:c64=c64 c64:c128=c64 c64:True=c64
c64:2=c64 c64:2.5=c64 c64:1j=c64 c128:b=c128 c128:u8=c128 c128:i8=c128 c128:i16=c128 c128:i32=c128
c128:i64=c128 c128:f16=c128 c128:f32=c128 c128:f64=c128 c128:c64=c128 c128:c128=c128 c128:True=c128 c128:2=c128
c128:2.5=c128 c128:1j=c128
'''
ZERO_DIM_SCALAR = '''
b:True=b b:2=i64 b:2.5=f32 b:1j=c64 u8:True=u8 u8:2=u8 u8:2.5=f32 u8:1j=c64
i8:True=i8 i8:2=i8 i8:2.5=f32 i8:1j=c64 i16:True=i16 i16:2=i16 i16:2.5=f32 i16:1j=c64
i32:True=i32 i32:2=i32 i32:2.5=f32 i32:1j=c64 i64:True=i64 i64:2=i64 i64:2.5=f32 i64:1j=c64
f16:True=f16 f16:2=f16 f16:2.5=f16 f32:True=f32 f32:2=f32 f32:2.5=f32 f32:1j=c64 f64:True=f64
f64:2=f64 f64:2.5=f64 f64:1j=c128 c64:True=c64 c64:2=c64 c64:2.5=c64 c64:1j=c64 c128:True=c128
c128:2=c128 c128:2.5=c128 c128:1j=c128
'''


def _dt(name):
    return getattr(tinynn, "bool" if name == "bool" else name)


def _parse(table):
    for item in table.split():
        pair, want = item.split("=")
        a, b = pair.split(":")
        yield a, b, ABBR[want]


def test_promote_types_table():
    rows = PROMOTE.split("\n")[1:-1]
    for a, row in zip(NAMES, rows):
        for b, want in zip(NAMES, row.split()):
            assert tinynn.promote_types(_dt(a), _dt(b)).name == ABBR[want], (a, b)


@pytest.mark.parametrize("a,b,want", list(_parse(TIERS)), ids=lambda v: str(v))
def test_result_type_dim_tensor_with_zero_dim_or_scalar(a, b, want, device):
    ta = tinynn.ones(2, dtype=_dt(ABBR[a]), device=device)
    tb = SCALARS[b] if b in SCALARS else tinynn.ones((), dtype=_dt(ABBR[b]), device=device)
    assert tinynn.result_type(ta, tb).name == want
    assert result_type(tb, ta).name == want  # order does not matter
    if want.startswith("complex"):
        return
    # the ops really compute in that dtype
    if not (want == "bool" and a == "b"):
        assert (ta * tb).dtype.name == want
        assert (tb * ta).dtype.name == want
    if want != "bool":
        assert (ta + tb).dtype.name == want
        assert (ta - tb).dtype.name == want


@pytest.mark.parametrize("a,b,want", list(_parse(ZERO_DIM_SCALAR)), ids=lambda v: str(v))
def test_result_type_zero_dim_with_scalar(a, b, want, device):
    ta = tinynn.ones((), dtype=_dt(ABBR[a]), device=device)
    assert tinynn.result_type(ta, SCALARS[b]).name == want
    if not want.startswith("complex") and want != "bool":
        assert (ta + SCALARS[b]).dtype.name == want


def test_default_dtype_decides_python_floats(device):
    i = tinynn.tensor([1, 2], device=device)
    old = tinynn.get_default_dtype()
    try:
        tinynn.set_default_dtype(tinynn.float64)
        assert tinynn.get_default_dtype() == tinynn.float64
        assert (i + 1.5).dtype == tinynn.float64
        assert (i / i).dtype == tinynn.float64
        assert tinynn.tensor([1.0], device=device).dtype == tinynn.float64
        assert tinynn.result_type(i, 1j) == tinynn.complex128
        # a float32 tensor is not widened by a Python float even when the default is float64
        f = tinynn.tensor([1.0], dtype=tinynn.float32, device=device)
        assert (f * 2.5).dtype == tinynn.float32
        tinynn.set_default_dtype(tinynn.float16)
        assert (i * 0.5).dtype == tinynn.float16
    finally:
        tinynn.set_default_dtype(old)
    assert tinynn.get_default_dtype() == tinynn.float32
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        tinynn.set_default_dtype(tinynn.int64)


def test_rules_from_the_issue(device):
    i = tinynn.tensor([1, 2, 3], device=device)
    f = tinynn.tensor([1.0, 2.0], device=device)
    d = tinynn.tensor([1.0, 2.0], dtype=tinynn.float64, device=device)
    assert (i + 1.5).dtype == tinynn.float32  # int tensor + Python float -> default float
    assert (f + d).dtype == tinynn.float64  # float32 + float64 -> float64
    assert (f + tinynn.tensor(1.0, dtype=tinynn.float64, device=device)).dtype == tinynn.float32
    assert (f + 1e300).dtype == tinynn.float32  # a Python scalar never widens
    assert (i / i).dtype == tinynn.float32 and (i / i).tolist() == [1.0, 1.0, 1.0]
    assert (i // 2).dtype == tinynn.int64
    b = tinynn.tensor([True, False], device=device)
    assert (b + b).dtype == tinynn.bool and (b + b).tolist() == [True, False]
    assert (b * b).tolist() == [True, False]
    u8 = tinynn.tensor([1], dtype=tinynn.uint8, device=device)
    i8 = tinynn.tensor([-1], dtype=tinynn.int8, device=device)
    assert (u8 + i8).dtype == tinynn.int16 and (u8 + i8).tolist() == [0]
    assert (tinynn.tensor(1.5, device=device) + i).dtype == tinynn.float32
    assert (tinynn.tensor(1, device=device) + u8).dtype == tinynn.uint8
    assert (i.int() + tinynn.tensor(1, device=device)).dtype == tinynn.int32


def test_inplace_keeps_dtype_and_refuses_higher_category(device):
    i = tinynn.tensor([1, 2], device=device)
    i += tinynn.tensor([True, False], device=device)
    assert i.dtype == tinynn.int64 and i.tolist() == [2, 2]
    f = tinynn.tensor([1.0], device=device)
    f += tinynn.tensor([1.0], dtype=tinynn.float64, device=device)  # same category: cast down
    assert f.dtype == tinynn.float32 and f.tolist() == [2.0]
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i += 0.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2


def test_broadcast_errors(device):
    with pytest.raises(RuntimeError) as e:
        tinynn.ones(4, 2, 3, device=device) + tinynn.ones(2, 1, 2, device=device)
    assert str(e.value) == ("The size of tensor a (3) must match the size of tensor b (2) at "
                            "non-singleton dimension 2")
    with pytest.raises(RuntimeError, match=r"tensor a \(2\) must match the size of tensor b \(3\) at "
                                           r"non-singleton dimension 0"):
        tinynn.ones(2, device=device) - tinynn.ones(3, device=device)
    with pytest.raises(RuntimeError, match="non-singleton dimension 1"):
        tinynn.ones(5, 2, device=device) < tinynn.ones(3, device=device)
    # broadcasting that works: shapes and gradients summed back
    a = tinynn.ones(3, 1, requires_grad=True, device=device)
    b = tinynn.ones(1, 4, requires_grad=True, device=device)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[4.0], [4.0], [4.0]]
    assert b.grad.tolist() == [[3.0, 3.0, 3.0, 3.0]]


def test_conversions(device):
    x = tinynn.tensor([1.7, -2.2], device=device)
    assert x.long().tolist() == [1, -2] and x.long().dtype == tinynn.int64
    assert x.int().dtype == tinynn.int32
    assert x.double().dtype == tinynn.float64
    assert x.half().dtype == tinynn.float16
    assert x.bool().tolist() == [True, True]
    assert x.float() is x
    assert x.to(tinynn.float64).dtype == tinynn.float64
    assert x.to("cpu", tinynn.int64).tolist() == [1, -2] and x.to("cpu").device.type == "cpu"
    assert x.type() == ("tinynn.cuda.FloatTensor" if x.is_cuda else "tinynn.FloatTensor")
    assert x.type(tinynn.float64).dtype == tinynn.float64
    assert x.type("torch.LongTensor").dtype == tinynn.int64
    assert x.to(dtype=tinynn.int16).dtype == tinynn.int16
    assert tinynn.tensor([1, 0], device=device).to(tinynn.bool).tolist() == [True, False]
    g = tinynn.tensor([1.5], requires_grad=True, device=device)
    h = g.double() * 2
    h.sum().backward()
    assert g.grad.dtype == tinynn.float32 and g.grad.tolist() == [2.0]
    assert tinynn.can_cast(tinynn.int64, tinynn.float32) and not tinynn.can_cast(tinynn.float32, tinynn.int64)
