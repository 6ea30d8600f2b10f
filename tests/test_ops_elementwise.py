"""Elementwise ops: values (PyTorch-derived literals), gradients (gradcheck + gradgradcheck over
several shapes with broadcasting, 0-dim and empty tensors), dtype rules, errors and in-place forms."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
from helpers import OnDevice, assert_close, check_grad, make

RNG = np.random.default_rng(1234)


# ----------------------------------------------------------------------------------------------
# values: each expression was run on PyTorch 2.13 (CPU, float32) and its result pasted here
# ----------------------------------------------------------------------------------------------
VALUES = {
    "add_alpha": ("torch.add(x, y, alpha=2)", [[2.5, 3.75, 4.0], [-5.5, -5.0, -3.5]]),
    "sub_alpha": ("torch.sub(x, y, alpha=0.5)", [[-2.5, -1.25, -1.0], [2.0, 2.5, 4.0]]),
    "rsub": ("2 - x", [[3.5, 2.25, 2.0], [1.5, 1.0, -0.5]]),
    "mul": ("x * y", [[-3.0, -0.5, 0.0], [-1.5, -3.0, -7.5]]),
    "div": ("x / y", [[-0.75, -0.125, 0.0], [-0.1666666716337204, -0.3333333432674408, -0.8333333134651184]]),
    "div_floor": ("torch.div(x, y, rounding_mode='floor')", [[-1.0, -1.0, 0.0], [-1.0, -1.0, -1.0]]),
    "div_trunc": ("torch.div(x, y, rounding_mode='trunc')", [[-0.0, -0.0, 0.0], [-0.0, -0.0, -0.0]]),
    "rdiv": ("3 / p", [12.0, 3.0, 0.75]),
    "neg": ("-x", [[1.5, 0.25, -0.0], [-0.5, -1.0, -2.5]]),
    "pow_ts": ("x ** 2", [[2.25, 0.0625, 0.0], [0.25, 1.0, 6.25]]),
    "pow_tt": ("p ** torch.tensor([2.0, -1.0, 0.5])", [0.0625, 1.0, 2.0]),
    "pow_st": ("2 ** x", [[0.3535533845424652, 0.8408964276313782, 1.0], [1.4142135381698608, 2.0, 5.656854152679443]]),
    "float_power": ("torch.float_power(p, 2)", [0.0625, 1.0, 16.0]),
    "remainder": ("torch.remainder(x, y)", [[0.5, 1.75, 0.0], [-2.5, -2.0, -0.5]]),
    "remainder_s": ("x % -0.75", [[-0.0, -0.25, 0.0], [-0.25, -0.5, -0.5]]),
    "rremainder": ("5 % p", [0.0, 0.0, 1.0]),
    "fmod": ("torch.fmod(x, y)", [[-1.5, -0.25, 0.0], [0.5, 1.0, 2.5]]),
    "fmod_s": ("torch.fmod(x, -0.75)", [[-0.0, -0.25, 0.0], [0.5, 0.25, 0.25]]),
    "floor_divide": ("x // y", [[-1.0, -1.0, 0.0], [-1.0, -1.0, -1.0]]),
    "abs": ("x.abs()", [[1.5, 0.25, 0.0], [0.5, 1.0, 2.5]]),
    "sign": ("x.sign()", [[-1.0, -1.0, 0.0], [1.0, 1.0, 1.0]]),
    "exp": ("x.exp()", [[0.22313016653060913, 0.7788007855415344, 1.0], [1.6487212181091309, 2.7182817459106445, 12.182494163513184]]),
    "exp2": ("x.exp2()", [[0.3535533845424652, 0.8408964276313782, 1.0], [1.4142135381698608, 2.0, 5.656854152679443]]),
    "expm1": ("x.expm1()", [[-0.7768698334693909, -0.22119921445846558, 0.0], [0.6487212777137756, 1.718281865119934, 11.182494163513184]]),
    "log": ("p.log()", [-1.3862943649291992, 0.0, 1.3862943649291992]),
    "log2": ("p.log2()", [-2.0, 0.0, 2.0]),
    "log10": ("p.log10()", [-0.6020600199699402, 0.0, 0.6020600199699402]),
    "log1p": ("p.log1p()", [0.2231435477733612, 0.6931471824645996, 1.6094379425048828]),
    "sqrt": ("p.sqrt()", [0.5, 1.0, 2.0]),
    "rsqrt": ("p.rsqrt()", [2.0, 1.0, 0.5]),
    "reciprocal": ("p.reciprocal()", [4.0, 1.0, 0.25]),
    "square": ("x.square()", [[2.25, 0.0625, 0.0], [0.25, 1.0, 6.25]]),
    "sin": ("x.sin()", [[-0.9974949955940247, -0.24740396440029144, 0.0], [0.4794255495071411, 0.8414709568023682, 0.5984721183776855]]),
    "cos": ("x.cos()", [[0.07073719799518585, 0.9689124226570129, 1.0], [0.8775825500488281, 0.5403023362159729, -0.8011435866355896]]),
    "tan": ("x.tan()", [[-14.101420402526855, -0.25534191727638245, 0.0], [0.5463024973869324, 1.5574077367782593, -0.747022271156311]]),
    "asin": ("u.asin()", [-1.1197694540023804, -0.30469265580177307, 0.0, 0.6435011625289917]),
    "acos": ("u.acos()", [2.690565824508667, 1.8754889965057373, 1.5707963705062866, 0.9272952079772949]),
    "atan": ("x.atan()", [[-0.9827937483787537, -0.244978666305542, 0.0], [0.46364760398864746, 0.7853981852531433, 1.1902899742126465]]),
    "atan2": ("torch.atan2(x, y)", [[-0.6435011029243469, -0.12435499578714371, 0.0], [2.9764440059661865, 2.8198421001434326, 2.44685435295105]]),
    "sinh": ("x.sinh()", [[-2.129279375076294, -0.25261232256889343, 0.0], [0.5210952758789062, 1.175201177597046, 6.050204753875732]]),
    "cosh": ("x.cosh()", [[2.352409601211548, 1.0314130783081055, 1.0], [1.1276259422302246, 1.5430805683135986, 6.132289409637451]]),
    "tanh": ("x.tanh()", [[-0.9051482677459717, -0.24491865932941437, 0.0], [0.46211716532707214, 0.7615941762924194, 0.9866142868995667]]),
    "sigmoid": ("x.sigmoid()", [[0.18242552876472473, 0.43782350420951843, 0.5], [0.622459352016449, 0.7310585975646973, 0.9241418242454529]]),
    "relu": ("x.relu()", [[0.0, 0.0, 0.0], [0.5, 1.0, 2.5]]),
    "erf": ("x.erf()", [[-0.9661051630973816, -0.27632638812065125, 0.0], [0.5204998850822449, 0.8427007794380188, 0.9995930194854736]]),
    "clamp": ("x.clamp(-0.5, 1.0)", [[-0.5, -0.25, 0.0], [0.5, 1.0, 1.0]]),
    "clamp_min": ("x.clamp(min=0.2)", [[0.20000000298023224, 0.20000000298023224, 0.20000000298023224], [0.5, 1.0, 2.5]]),
    "clamp_max": ("x.clamp(max=0.2)", [[-1.5, -0.25, 0.0], [0.20000000298023224, 0.20000000298023224, 0.20000000298023224]]),
    "clamp_t": ("x.clamp(torch.tensor([-1.0, 0.0, 0.5]), torch.tensor([0.0, 0.5, 2.0]))", [[-1.0, 0.0, 0.5], [0.0, 0.5, 2.0]]),
    "maximum": ("torch.maximum(x, torch.tensor([0.0, -1.0, 0.0]))", [[0.0, -0.25, 0.0], [0.5, 1.0, 2.5]]),
    "minimum": ("torch.minimum(x, torch.tensor([0.0, -1.0, 0.0]))", [[-1.5, -1.0, 0.0], [0.0, -1.0, 0.0]]),
    "lerp": ("torch.lerp(x, y.expand(2, 3), 0.75)", [[1.125, 1.4375, 1.5], [-2.125, -2.0, -1.625]]),
    "lerp_t": ("torch.lerp(x, y.expand(2,3), torch.tensor([0.0, 0.5, 1.5]))", [[-1.5, 0.875, 3.0], [0.5, -1.0, -5.75]]),
    "addcmul": ("torch.addcmul(x, x, y, value=0.5)", [[-3.0, -0.5, 0.0], [-0.25, -0.5, -1.25]]),
    "addcdiv": ("torch.addcdiv(x, x, y, value=2)", [[-3.0, -0.5, 0.0], [0.1666666567325592, 0.3333333134651184, 0.8333333730697632]]),
    "floor": ("x.floor()", [[-2.0, -1.0, 0.0], [0.0, 1.0, 2.0]]),
    "ceil": ("x.ceil()", [[-1.0, -0.0, 0.0], [1.0, 1.0, 3.0]]),
    "round": ("torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 1.2345]).round()", [0.0, 2.0, 2.0, -0.0, -2.0, 1.0]),
    "round_dec": ("torch.tensor([1.2345, 2.5, 0.125, -3.14159]).round(decimals=2)", [1.2300000190734863, 2.5, 0.11999999731779099, -3.140000104904175]),
    "round_negdec": ("torch.tensor([1234.5678, -55.0, 150.0]).round(decimals=-2)", [1200.0, -100.0, 200.0]),
    "trunc": ("x.trunc()", [[-1.0, -0.0, 0.0], [0.0, 1.0, 2.0]]),
    "frac": ("x.frac()", [[-0.5, -0.25, 0.0], [0.5, 0.0, 0.5]]),
    "nan_to_num": ("torch.tensor([float('nan'), float('inf'), -float('inf'), 1.0]).nan_to_num()", [0.0, 3.4028234663852886e+38, -3.4028234663852886e+38, 1.0]),
    "nan_to_num_args": ("torch.tensor([float('nan'), float('inf'), -float('inf'), 1.0]).nan_to_num(nan=2.0, posinf=9.0, neginf=-9.0)", [2.0, 9.0, -9.0, 1.0]),
    "sigmoid_big": ("torch.tensor([-1000., -50., 50., 1000.]).sigmoid()", [0.0, 1.9287498933537385e-22, 1.0, 1.0]),
    "erf_wide": ("torch.tensor([-4.0, -2.0, -0.1, 0.3, 1.7, 3.5, 6.0], dtype=torch.float64).erf()", [-0.9999999845827421, -0.9953222650189527, -0.1124629160182849, 0.3286267594591274, 0.9837904585907745, 0.9999992569016276, 1.0]),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_pytorch(name, device):
    expr, expected = VALUES[name]
    T = OnDevice(device)
    env = {"torch": T, "x": T.tensor([[-1.5, -0.25, 0.0], [0.5, 1.0, 2.5]]),
           "p": T.tensor([0.25, 1.0, 4.0]), "u": T.tensor([-0.9, -0.3, 0.0, 0.6]),
           "y": T.tensor([[2.0], [-3.0]])}
    out = eval(expr, env)  # noqa: S307 - fixed expressions from this file
    want = np.asarray(expected, dtype=np.float64)
    assert tuple(out.shape) == want.shape
    expected_dtype = "float64" if ("float64" in expr or "float_power" in expr) else "float32"
    assert out.dtype.name == expected_dtype
    np.testing.assert_allclose(out.cpu().numpy().astype(np.float64), want, rtol=2e-6, atol=1e-30)
    # the sign of zero is kept as PyTorch's (floor/ceil/trunc/neg of -0.25 ...)
    np.testing.assert_array_equal(np.signbit(out.cpu().numpy()), np.signbit(want))


# ----------------------------------------------------------------------------------------------
# gradients
# ----------------------------------------------------------------------------------------------
UNARY_SHAPES = [(3, 4), (), (0, 3)]


def _any(shape):
    return RNG.uniform(-2, 2, shape)


def _pos(shape):
    return RNG.uniform(0.3, 2.0, shape)


def _nonzero(shape):
    return RNG.choice([-1.0, 1.0], shape) * RNG.uniform(0.3, 2.0, shape)


def _unit(shape):
    return RNG.uniform(-0.8, 0.8, shape)


def _frac_part(shape):
    """Values at least 0.1 away from an integer (rounding ops are smooth there)."""
    return RNG.integers(-3, 3, shape) + RNG.uniform(0.1, 0.9, shape)


UNARY = {
    "neg": (tinynn.neg, _any), "abs": (tinynn.abs, _nonzero), "sign": (tinynn.sign, _nonzero),
    "sgn": (tinynn.sgn, _nonzero), "exp": (tinynn.exp, _any), "exp2": (tinynn.exp2, _any),
    "expm1": (tinynn.expm1, _any), "log": (tinynn.log, _pos), "log2": (tinynn.log2, _pos),
    "log10": (tinynn.log10, _pos), "log1p": (tinynn.log1p, _pos), "sqrt": (tinynn.sqrt, _pos),
    "rsqrt": (tinynn.rsqrt, _pos), "reciprocal": (tinynn.reciprocal, _nonzero),
    "square": (tinynn.square, _any), "sin": (tinynn.sin, _any), "cos": (tinynn.cos, _any),
    "tan": (tinynn.tan, _unit), "asin": (tinynn.asin, _unit), "acos": (tinynn.acos, _unit),
    "atan": (tinynn.atan, _any), "sinh": (tinynn.sinh, _any), "cosh": (tinynn.cosh, _any),
    "tanh": (tinynn.tanh, _any), "sigmoid": (tinynn.sigmoid, _any), "relu": (tinynn.relu, _nonzero),
    "erf": (tinynn.erf, _any), "floor": (tinynn.floor, _frac_part), "ceil": (tinynn.ceil, _frac_part),
    "round": (tinynn.round, _frac_part), "trunc": (tinynn.trunc, _frac_part),
    "frac": (tinynn.frac, _frac_part), "nan_to_num": (tinynn.nan_to_num, _any),
    "round_decimals": (lambda t: tinynn.round(t, decimals=1), lambda s: _frac_part(s) / 10 + 0.005),
    "clamp": (lambda t: t.clamp(-0.5, 0.5), lambda s: _away(_any(s), (-0.5, 0.5))),
    "clamp_min": (lambda t: t.clamp_min(0.25), lambda s: _away(_any(s), (0.25,))),
    "clamp_max": (lambda t: tinynn.clamp_max(t, 0.25), lambda s: _away(_any(s), (0.25,))),
    "clip": (lambda t: tinynn.clip(t, max=1.0), lambda s: _away(_any(s), (1.0,))),
    "pow_scalar": (lambda t: t ** 3, _any), "pow_half": (lambda t: t ** 0.5, _pos),
    "pow_neg": (lambda t: tinynn.pow(t, -1.5), _pos), "pow_zero": (lambda t: t ** 0, _any),
    "rpow": (lambda t: 2.5 ** t, _any), "float_power": (lambda t: tinynn.float_power(t, 2.5), _pos),
    "add_scalar": (lambda t: tinynn.add(t, 2, alpha=3), _any), "sub_scalar": (lambda t: t - 1.5, _any),
    "rsub": (lambda t: 1.5 - t, _any), "rsub_alpha": (lambda t: tinynn.rsub(t, 2, alpha=3), _any),
    "mul_scalar": (lambda t: 3 * t, _any), "div_scalar": (lambda t: t / 4, _any),
    "rdiv": (lambda t: 3 / t, _nonzero), "remainder_scalar": (lambda t: t % 0.7, lambda s: _away_mod(s, 0.7)),
    "fmod_scalar": (lambda t: t.fmod(0.7), lambda s: _away_mod(s, 0.7)),
}


def _away(x, points, eps=0.05):
    for p in points:
        x = np.where(np.abs(x - p) < eps, p + 2 * eps, x)
    return x


def _away_mod(shape, m):
    return (RNG.integers(-3, 3, shape) + RNG.uniform(0.1, 0.9, shape)) * m


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradients(name, shape, device):
    fn, domain = UNARY[name]
    check_grad(fn, np.asarray(domain(shape)), device=device)


def _binary_domain(shape_a, shape_b, da=_any, db=_any):
    return da(shape_a), db(shape_b)


BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (3,)), ((2, 3), ()),
                 ((0, 3), (3,))]

BINARY = {
    "add": (lambda a, b: a + b, _any, _any), "add_alpha": (lambda a, b: tinynn.add(a, b, alpha=-2), _any, _any),
    "sub": (lambda a, b: a - b, _any, _any), "sub_alpha": (lambda a, b: a.sub(b, alpha=0.5), _any, _any),
    "mul": (lambda a, b: a * b, _any, _any), "div": (lambda a, b: a / b, _any, _nonzero),
    "pow": (lambda a, b: a ** b, _pos, _any), "atan2": (lambda a, b: tinynn.atan2(a, b), _nonzero, _nonzero),
    "maximum": (tinynn.maximum, _any, _any), "minimum": (tinynn.minimum, _any, _any),
    "lerp_scalar": (lambda a, b: tinynn.lerp(a, b, 0.3), _any, _any),
    "lerp_scalar_hi": (lambda a, b: a.lerp(b, 0.8), _any, _any),
    "float_power": (lambda a, b: tinynn.float_power(a, b), _pos, _any),
    "hypot_composed": (lambda a, b: (a * a + b * b).sqrt(), _nonzero, _nonzero),
}


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradients(name, shapes, device):
    fn, da, db = BINARY[name]
    check_grad(fn, np.asarray(da(shapes[0])), np.asarray(db(shapes[1])), device=device)


TERNARY_SHAPES = [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (4,)), ((), (2, 3), ()), ((0, 2), (2,), (1, 2))]

TERNARY = {
    "lerp_tensor": (lambda a, b, w: tinynn.lerp(a, b, w), _any, _any, _any),
    "addcmul": (lambda a, b, c: tinynn.addcmul(a, b, c, value=0.5), _any, _any, _any),
    "addcdiv": (lambda a, b, c: a.addcdiv(b, c, value=-2), _any, _any, _nonzero),
}


@pytest.mark.parametrize("shapes", TERNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(TERNARY))
def test_ternary_gradients(name, shapes, device):
    fn, da, db, dc = TERNARY[name]
    check_grad(fn, *(np.asarray(d(s)) for d, s in zip((da, db, dc), shapes)), device=device)


@pytest.mark.parametrize("shapes", [((3, 4), (4,), (3, 1)), ((2, 3), (2, 3), (2, 3)), ((), (), ())], ids=str)
def test_clamp_tensor_bounds_gradients(shapes, device):
    x = np.asarray(RNG.uniform(-1, 1, shapes[0]))
    lo = np.asarray(RNG.uniform(-0.8, -0.2, shapes[1]))
    hi = np.asarray(RNG.uniform(0.2, 0.8, shapes[2]))
    near = (np.abs(x - lo) < 0.05) | (np.abs(x - hi) < 0.05)
    x = np.where(near, 0.0, x)
    check_grad(lambda a, b, c: tinynn.clamp(a, b, c), x, lo, hi, device=device)
    check_grad(lambda a, b: a.clamp(min=b), x, lo, device=device)
    check_grad(lambda a, c: tinynn.clamp(a, max=c), x, hi, device=device)


def test_remainder_fmod_tensor_gradients(device):
    b = RNG.uniform(1.0, 2.0, (3, 4))
    a = (RNG.integers(-3, 3, (3, 4)) + RNG.uniform(0.2, 0.8, (3, 4))) * b
    check_grad(lambda x, y: x % y, a, b, device=device)
    check_grad(lambda x, y: tinynn.fmod(x, y), a, b, device=device)
    check_grad(lambda x, y: tinynn.remainder(x, y), np.array(2.3), np.array(0.7), device=device)


def test_gradient_values_against_pytorch(device):
    x = make([[-1.5, -0.25, 0.5], [1.0, 2.0, 3.0]], device)
    w = make([[0.5], [2.0]], device)
    out = (x.sigmoid() * w + x.tanh() ** 2 - x.clamp(-1.0, 2.0) * x.erf() + tinynn.atan2(x, w)).sum()
    gx, gw = tinynn.autograd.grad(out, (x, w))
    # from PyTorch 2.13 with float64
    assert_close(gx, [[0.06637091797124785, 1.8039426050624987, 0.8844726702036158],
                      [0.1751155845618787, -0.44045037749301064, 0.2635554615671267]], rtol=1e-10)
    assert_close(gw, [[1.642708354122413], [1.88366055266109]], rtol=1e-10)


def test_maximum_minimum_ties_split_gradient(device):
    a = make([1.0, 2.0, 3.0], device)
    b = make([1.0, 5.0, 0.0], device)
    tinynn.maximum(a, b).sum().backward()
    assert_close(a.grad, [0.5, 0.0, 1.0])
    assert_close(b.grad, [0.5, 1.0, 0.0])
    a.grad = b.grad = None
    tinynn.minimum(a, b).sum().backward()
    assert_close(a.grad, [0.5, 1.0, 0.0])
    assert_close(b.grad, [0.5, 0.0, 1.0])


def test_clamp_gradient_passes_at_the_bounds(device):
    x = make([-2.0, -1.0, 0.0, 1.0, 2.0], device)
    x.clamp(-1.0, 1.0).sum().backward()
    assert_close(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    x.grad = None
    x.relu().sum().backward()
    assert_close(x.grad, [0.0, 0.0, 0.0, 1.0, 1.0])
    x.grad = None
    x.abs().sum().backward()
    assert_close(x.grad, [-1.0, -1.0, 0.0, 1.0, 1.0])


def test_pow_gradient_at_zero(device):
    # PyTorch: d/dx x**0 = 0, d/db 0**b = 0 for b >= 0
    x = make([0.0, 2.0], device)
    e = make([2.0, 3.0], device)
    (x ** e).sum().backward()
    assert_close(x.grad, [0.0, 12.0])
    assert_close(e.grad, [0.0, 8.0 * math.log(2.0)])
    x.grad = None
    (x ** 0).sum().backward()
    assert_close(x.grad, [0.0, 0.0])
    t = make([0.5, 1.0], device)
    (0 ** t).sum().backward()
    assert_close(t.grad, [0.0, 0.0])


def test_rounding_ops_have_zero_gradient(device):
    x = make([0.3, 1.7, -2.2], device)
    for f in (tinynn.floor, tinynn.ceil, tinynn.round, tinynn.trunc, tinynn.sign,
              lambda t: t.div(2.0, rounding_mode="floor"), lambda t: t.div(2.0, rounding_mode="trunc")):
        x.grad = None
        f(x).sum().backward()
        assert_close(x.grad, [0.0, 0.0, 0.0])


def test_no_derivative_for_floor_divide(device):
    x = make([1.5, 2.5], device)
    y = x // 1.0
    assert type(y.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="derivative for aten::remainder is not implemented"):
        (2.0 % x).sum().backward()


def test_node_names(device):
    x = make([0.5, 1.5], device)
    y = make([2.0, 3.0], device)
    names = {
        "AddBackward0": x + 2, "SubBackward0": x - y, "RsubBackward1": 2 - x, "MulBackward0": 2 / x,
        "DivBackward0": x / y, "DivBackward2": x.div(y, rounding_mode="floor"),
        "NegBackward0": -x, "PowBackward0": x.square(), "PowBackward1": x ** y, "PowBackward2": 2 ** x,
        "RemainderBackward0": x % 2, "RemainderBackward1": x % y, "FmodBackward0": x.fmod(2),
        "FmodBackward1": x.fmod(y), "AbsBackward0": x.abs(), "SignBackward0": x.sign(),
        "SgnBackward0": x.sgn(), "ExpBackward0": x.exp(), "Exp2Backward0": x.exp2(),
        "Expm1Backward0": x.expm1(), "LogBackward0": x.log(), "Log2Backward0": x.log2(),
        "Log10Backward0": x.log10(), "Log1PBackward0": x.log1p(), "SqrtBackward0": x.sqrt(),
        "RsqrtBackward0": x.rsqrt(), "ReciprocalBackward0": x.reciprocal(), "SinBackward0": x.sin(),
        "CosBackward0": x.cos(), "TanBackward0": x.tan(), "AsinBackward0": (x / 2).asin(),
        "AcosBackward0": (x / 2).acos(), "AtanBackward0": x.atan(), "Atan2Backward0": x.atan2(y),
        "SinhBackward0": x.sinh(), "CoshBackward0": x.cosh(), "TanhBackward0": x.tanh(),
        "SigmoidBackward0": x.sigmoid(), "ReluBackward0": x.relu(), "ErfBackward0": x.erf(),
        "ClampBackward1": x.clamp(0, 1), "ClampBackward0": x.clamp(y), "ClampMinBackward0": x.clamp_min(1),
        "ClampMaxBackward0": x.clamp_max(1), "MaximumBackward0": tinynn.maximum(x, y),
        "MinimumBackward0": tinynn.minimum(x, y), "LerpBackward0": x.lerp(y, 0.5),
        "LerpBackward1": x.lerp(y, y), "AddcmulBackward0": x.addcmul(x, y),
        "AddcdivBackward0": x.addcdiv(x, y), "FloorBackward0": x.floor(), "CeilBackward0": x.ceil(),
        "RoundBackward0": x.round(), "RoundBackward1": x.round(decimals=1), "TruncBackward0": x.trunc(),
        "FracBackward0": x.frac(), "NanToNumBackward0": x.nan_to_num(),
    }
    for name, t in names.items():
        assert type(t.grad_fn).__name__ == name, name


def test_comparisons_have_no_grad(device):
    x = make([0.5, 1.5], device)
    for r in (x > 1, x == x, x.le(1.0), tinynn.isclose(x, x), x.isnan(), tinynn.logical_not(x)):
        assert r.dtype == tinynn.bool and not r.requires_grad and r.grad_fn is None


# ----------------------------------------------------------------------------------------------
# dtypes
# ----------------------------------------------------------------------------------------------
def test_integer_inputs_to_float_functions_give_default_float(device):
    i = tinynn.tensor([1, 2, 3], device=device)
    b = tinynn.tensor([True, False], device=device)
    for f in (tinynn.exp, tinynn.exp2, tinynn.expm1, tinynn.log, tinynn.log2, tinynn.log10,
              tinynn.log1p, tinynn.sqrt, tinynn.rsqrt, tinynn.reciprocal, tinynn.sin, tinynn.cos,
              tinynn.tan, tinynn.asin, tinynn.acos, tinynn.atan, tinynn.sinh, tinynn.cosh,
              tinynn.tanh, tinynn.sigmoid, tinynn.erf):
        assert f(i).dtype == tinynn.float32
        assert f(b).dtype == tinynn.float32
    assert tinynn.atan2(i, i).dtype == tinynn.float32
    assert (i / i).dtype == tinynn.float32
    assert_close(i.exp(), [2.7182817459106445, 7.389056205749512, 20.08553695678711])
    old = tinynn.get_default_dtype()
    tinynn.set_default_dtype(tinynn.float64)
    try:
        assert i.sqrt().dtype == tinynn.float64
        assert (i / 2).dtype == tinynn.float64
    finally:
        tinynn.set_default_dtype(old)


def test_integer_preserving_ops(device):
    i = tinynn.tensor([-3, 0, 2], device=device)
    for f in (tinynn.abs, tinynn.sign, tinynn.neg, tinynn.square, tinynn.floor, tinynn.ceil,
              tinynn.round, tinynn.trunc, tinynn.relu, lambda t: t.clamp(-1, 1), lambda t: t ** 2,
              lambda t: t % 2, lambda t: t // 2, lambda t: t.fmod(2), lambda t: t.nan_to_num(),
              lambda t: t.div(2, rounding_mode="trunc"), lambda t: t.div(2, rounding_mode="floor")):
        assert f(i).dtype == tinynn.int64
    assert i.abs().tolist() == [3, 0, 2]
    assert i.sign().tolist() == [-1, 0, 1]
    assert (i % 2).tolist() == [1, 0, 0]
    assert i.fmod(2).tolist() == [-1, 0, 0]
    assert (i // 2).tolist() == [-2, 0, 1]
    assert i.div(2, rounding_mode="trunc").tolist() == [-1, 0, 1]
    assert i.remainder(-2).tolist() == [-1, 0, 0]
    assert (2 ** tinynn.tensor([0, 3], device=device)).tolist() == [1, 8]
    assert i.clamp(0.5).dtype == tinynn.float32
    assert (i ** 0.5).dtype == tinynn.float32
    assert tinynn.float_power(i, 2).dtype == tinynn.float64
    assert tinynn.tensor([True, False], device=device).square().dtype == tinynn.int64
    assert tinynn.tensor([True], device=device).sign().dtype == tinynn.bool
    u = tinynn.tensor([3], dtype=tinynn.uint8, device=device)
    assert u.sign().dtype == tinynn.uint8 and u.relu().dtype == tinynn.uint8
    assert tinynn.tensor([-128], dtype=tinynn.int8, device=device).abs().tolist() == [-128]


def test_python_scalars_wrap_into_integer_dtypes(device):
    u8 = tinynn.tensor([1, 2, 3], dtype=tinynn.uint8, device=device)
    i8 = tinynn.tensor([1, 2, 3], dtype=tinynn.int8, device=device)
    assert (u8 + 300).tolist() == [45, 46, 47] and (u8 + 300).dtype == tinynn.uint8
    assert (i8 + 1000).tolist() == [-23, -22, -21]
    assert (u8 - 5).tolist() == [252, 253, 254]


# ----------------------------------------------------------------------------------------------
# special values
# ----------------------------------------------------------------------------------------------
def test_special_values(device):
    nan, inf = float("nan"), float("inf")
    t = tinynn.tensor([nan, -0.0, 0.0, -2.0], device=device)
    assert t.sign().tolist() == [0.0, 0.0, 0.0, -1.0]  # PyTorch: sign(nan) = 0
    assert math.isnan(tinynn.tensor([nan], device=device).relu().item())
    assert math.isnan(tinynn.tensor([nan], device=device).clamp(0, 1).item())
    m = tinynn.minimum(tinynn.tensor([nan, 1.0], device=device), tinynn.tensor([0.0, nan], device=device))
    assert all(math.isnan(v) for v in m.tolist())
    assert tinynn.tensor([inf], dtype=tinynn.float16, device=device).nan_to_num().tolist() == [65504.0]
    assert (tinynn.tensor([1.0, 2.0], dtype=tinynn.float16, device=device) + 1e5).tolist() == [inf, inf]
    f = tinynn.tensor([1.0, 2.0], device=device)
    assert (f / 0).tolist() == [inf, inf]
    assert (f // 0).tolist() == [inf, inf]
    assert all(math.isnan(v) for v in f.fmod(0).tolist() + f.remainder(0).tolist())
    assert tinynn.tensor([-1.0], device=device).sqrt().isnan().item()
    assert tinynn.tensor([0.0], device=device).log().tolist() == [-inf]
    s = tinynn.tensor([-1000.0, 1000.0], dtype=tinynn.float64, device=device).sigmoid()
    assert s.tolist() == [0.0, 1.0]
    # the stable sigmoid keeps precision far in the tails
    assert_close(tinynn.tensor([-40.0], dtype=tinynn.float64, device=device).sigmoid(),
                 [4.248354255291589e-18], rtol=1e-12, atol=0)


def test_erf_fallback_matches_reference(device):
    from tinynn.backend import _erf_fallback
    x = np.array([-6.0, -3.5, -3.0, -2.999, -1.0, -1e-8, 0.0, 0.25, 1.7, 2.9999, 3.0, 3.0001, 5.0,
                  np.inf, -np.inf])
    # math.erf is correctly rounded to about 1 ulp
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(_erf_fallback(np, x), want, rtol=2e-15, atol=2e-16)
    assert np.isnan(_erf_fallback(np, np.array([np.nan]))).all()
    assert _erf_fallback(np, np.array([0.5], dtype=np.float32)).dtype == np.float32


# ----------------------------------------------------------------------------------------------
# comparisons, logical, bitwise, predicates
# ----------------------------------------------------------------------------------------------
def test_comparisons(device):
    a = tinynn.tensor([1, 2, 3], device=device)
    f = tinynn.tensor([1.5, 2.0, 2.5], device=device)
    assert (a == f).tolist() == [False, True, False]
    assert (a != f).tolist() == [True, False, True]
    assert (a < f).tolist() == [True, False, False]
    assert (a <= f).tolist() == [True, True, False]
    assert (a > 2).tolist() == [False, False, True]
    assert (a >= 2.5).tolist() == [False, False, True]
    assert (2 < a).tolist() == [False, False, True]
    assert a.eq(1.5).tolist() == [False, False, False]
    assert tinynn.greater_equal(a, f).tolist() == [False, True, True]
    assert tinynn.ne(a, 2).tolist() == [True, False, True]
    m = tinynn.tensor([[1.0], [2.0]], device=device) < tinynn.tensor([1.5, 2.5, 0.0], device=device)
    assert m.tolist() == [[True, True, False], [False, True, False]]
    assert (a == None) is False and (a != None) is True  # noqa: E711 - PyTorch's behaviour
    assert (a == "x") is False


def test_equal_allclose_isclose(device):
    i = tinynn.tensor([1, 2, 3], device=device)
    f = tinynn.tensor([1.0, 2.0, 3.0], device=device)
    assert tinynn.equal(i, f) is True
    assert tinynn.equal(f, f[:2]) is False
    assert f.equal(f + 1e-3) is False
    assert tinynn.allclose(f, f + 1e-6) is True
    assert f.allclose(f + 1e-3) is False
    assert f.allclose(f + 1e-3, atol=1e-2) is True
    nan = float("nan")
    n = tinynn.tensor([nan, 1.0, float("inf")], device=device)
    assert tinynn.isclose(n, n).tolist() == [False, True, True]
    assert tinynn.isclose(n, n, equal_nan=True).tolist() == [True, True, True]
    assert tinynn.isclose(i, i).tolist() == [True, True, True]
    assert tinynn.isclose(f, tinynn.tensor([1.1, 2.0, 2.0], device=device), rtol=0.1).tolist() == [True, True, False]
    with pytest.raises(RuntimeError, match="Long did not match Float"):
        tinynn.allclose(i, f)
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        tinynn.isclose(f, f.double())
    with pytest.raises(TypeError):
        tinynn.isclose(f, 1.0)
    with pytest.raises(TypeError):
        tinynn.equal(f, 1.0)


def test_logical_and_bitwise(device):
    a = tinynn.tensor([0.0, 1.5, -2.0], device=device)
    b = tinynn.tensor([3, 0, 1], device=device)
    assert tinynn.logical_and(a, b).tolist() == [False, False, True]
    assert a.logical_or(b).tolist() == [True, True, True]
    assert tinynn.logical_xor(a, b).tolist() == [True, True, False]
    assert tinynn.logical_not(a).tolist() == [True, False, False]
    i = tinynn.tensor([12, 10, 7], device=device)
    assert (i & 6).tolist() == [4, 2, 6]
    assert (i | 1).tolist() == [13, 11, 7]
    assert (i ^ b).tolist() == [15, 10, 6]
    assert (~i).tolist() == [-13, -11, -8]
    t = tinynn.tensor([True, False, True], device=device)
    assert (t & tinynn.tensor([True, True, False], device=device)).tolist() == [True, False, False]
    assert (~t).tolist() == [False, True, False]
    assert (t | True).dtype == tinynn.bool
    assert (t & 1).dtype == tinynn.int64
    assert (2 & i).tolist() == [0, 2, 2]
    with pytest.raises(NotImplementedError, match="bitwise_and_cpu\" not implemented for 'Float'"):
        a & a
    with pytest.raises(NotImplementedError, match="'Float'"):
        i & 1.5
    with pytest.raises(NotImplementedError, match="bitwise_not_cpu"):
        tinynn.bitwise_not(a)
    with pytest.raises(TypeError, match="must be Tensor"):
        tinynn.logical_and(a, 1)


def test_predicates_and_nan_to_num(device):
    nan, inf = float("nan"), float("inf")
    x = tinynn.tensor([nan, inf, -inf, 1.0], device=device)
    assert x.isnan().tolist() == [True, False, False, False]
    assert x.isinf().tolist() == [False, True, True, False]
    assert x.isfinite().tolist() == [False, False, False, True]
    assert tinynn.isposinf(x).tolist() == [False, True, False, False]
    assert tinynn.isneginf(x).tolist() == [False, False, True, False]
    i = tinynn.tensor([1, 2], device=device)
    assert i.isnan().tolist() == [False, False] and i.isfinite().tolist() == [True, True]
    assert i.nan_to_num(1.0).dtype == tinynn.int64
    d = make([nan, inf, 2.0], device)
    d.nan_to_num(posinf=5.0).sum().backward()
    assert_close(d.grad, [0.0, 0.0, 1.0])


# ----------------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------------
def test_errors(device):
    f = tinynn.tensor([1.0, 2.0, 3.0], device=device)
    i = tinynn.tensor([1, 2, 3], device=device)
    b = tinynn.tensor([True, False], device=device)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor "
                                           r"b \(2\) at non-singleton dimension 1"):
        tinynn.ones(2, 3, device=device) + tinynn.ones(3, 2, device=device)
    with pytest.raises(RuntimeError, match=r"tensor a \(3\) must match the size of tensor b \(2\) at "
                                           r"non-singleton dimension 2"):
        tinynn.ones(4, 2, 3, device=device) * tinynn.ones(2, 1, 2, device=device)
    for fn in (tinynn.maximum, tinynn.atan2, lambda a, c: a.clamp(c), lambda a, c: tinynn.lerp(a, a, c)):
        with pytest.raises(RuntimeError, match="must match the size"):
            fn(f, tinynn.ones(2, device=device))
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        b - b
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        -b
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        i ** -1
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        i // 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        i % 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        i.fmod(0)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        i.div(0, rounding_mode="floor")
    with pytest.raises(RuntimeError, match="rounding_mode to be one of None, 'trunc', or 'floor'"):
        f.div(2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point number"):
        tinynn.add(i, i, alpha=0.5)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        f.clamp()
    with pytest.raises(TypeError):
        tinynn.clamp(f, 0.5, f)
    with pytest.raises(TypeError, match="maximum\\(\\): argument 'other' \\(position 2\\) must be Tensor"):
        tinynn.maximum(f, 2)
    with pytest.raises(TypeError, match="atan2"):
        tinynn.atan2(f, 2)
    with pytest.raises(TypeError, match="exp\\(\\): argument 'input' \\(position 1\\) must be Tensor, not int"):
        tinynn.exp(2)
    with pytest.raises(TypeError):
        tinynn.pow(2, 2)
    with pytest.raises(TypeError):
        tinynn.fmod(2, f)
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        tinynn.lerp(f, f.double(), 0.5)
    with pytest.raises(NotImplementedError, match="lerp_kernel_scalar"):
        tinynn.lerp(i, i, 0.5)
    with pytest.raises(NotImplementedError, match="\"abs_cpu\" not implemented for 'Bool'"):
        b.abs()
    with pytest.raises(NotImplementedError, match="frac_cpu\" not implemented for 'Long'"):
        i.frac()
    with pytest.raises(NotImplementedError, match="round_cpu"):
        i.round(decimals=1)
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        b.relu()
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        i.addcdiv(i, i)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.exp_()


# ----------------------------------------------------------------------------------------------
# in-place forms and out=
# ----------------------------------------------------------------------------------------------
INPLACE = [
    ("add_", lambda t: t.add_(2.0, alpha=0.5), lambda t: t + 1.0),
    ("sub_", lambda t: t.sub_(1.0), lambda t: t - 1.0),
    ("mul_", lambda t: t.mul_(3.0), lambda t: t * 3),
    ("div_", lambda t: t.div_(2.0), lambda t: t / 2),
    ("pow_", lambda t: t.pow_(2), lambda t: t * t),
    ("neg_", lambda t: t.neg_(), lambda t: -t),
    ("abs_", lambda t: t.abs_(), lambda t: t.abs()),
    ("exp_", lambda t: t.exp_(), lambda t: t.exp()),
    ("exp2_", lambda t: t.exp2_(), lambda t: t.exp2()),
    ("expm1_", lambda t: t.expm1_(), lambda t: t.expm1()),
    ("sin_", lambda t: t.sin_(), lambda t: t.sin()),
    ("cos_", lambda t: t.cos_(), lambda t: t.cos()),
    ("tan_", lambda t: t.tan_(), lambda t: t.tan()),
    ("atan_", lambda t: t.atan_(), lambda t: t.atan()),
    ("sinh_", lambda t: t.sinh_(), lambda t: t.sinh()),
    ("cosh_", lambda t: t.cosh_(), lambda t: t.cosh()),
    ("tanh_", lambda t: t.tanh_(), lambda t: t.tanh()),
    ("sigmoid_", lambda t: t.sigmoid_(), lambda t: t.sigmoid()),
    ("relu_", lambda t: t.relu_(), lambda t: t.relu()),
    ("erf_", lambda t: t.erf_(), lambda t: t.erf()),
    ("square_", lambda t: t.square_(), lambda t: t * t),
    ("clamp_", lambda t: t.clamp_(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5)),
    ("clamp_min_", lambda t: t.clamp_min_(0.1), lambda t: t.clamp(min=0.1)),
    ("clip_", lambda t: t.clip_(max=0.1), lambda t: t.clamp(max=0.1)),
    ("lerp_", lambda t: t.lerp_(tinynn.ones_like(t), 0.25), lambda t: t * 0.75 + 0.25),
    ("addcmul_", lambda t: t.addcmul_(t.detach(), t.detach(), value=2), lambda t: t + 2 * t.detach() ** 2),
    ("floor_", lambda t: t.floor_(), lambda t: t.floor()),
    ("trunc_", lambda t: t.trunc_(), lambda t: t.trunc()),
    ("frac_", lambda t: t.frac_(), lambda t: t.frac()),
    ("iadd", lambda t: t.__iadd__(1.5), lambda t: t + 1.5),
    ("isub", lambda t: t.__isub__(1.5), lambda t: t - 1.5),
    ("imul", lambda t: t.__imul__(-2), lambda t: t * -2),
    ("itruediv", lambda t: t.__itruediv__(4), lambda t: t / 4),
    ("ipow", lambda t: t.__ipow__(3), lambda t: t ** 3),
]


@pytest.mark.parametrize("name,inplace,ref", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_matches_out_of_place_and_keeps_identity(name, inplace, ref, device):
    base = RNG.uniform(-1, 1, (2, 3)) + 0.05
    x = tinynn.tensor(base, device=device)
    before = id(x)
    version = x._version
    r = inplace(x)
    assert r is x and id(x) == before
    assert x._version > version
    assert_close(x, ref(tinynn.tensor(base, device=device)), rtol=1e-6)
    # through autograd: an in-place op on a non-leaf takes the op's history
    leaf = make(base, device)
    h = leaf * 1.0
    inplace(h)
    expected = tinynn.autograd.grad(ref(leaf * 1.0).sum(), leaf)[0]
    got = tinynn.autograd.grad(h.sum(), leaf)[0]
    assert_close(got, expected, rtol=1e-10)


def test_inplace_variants_more(device):
    y = tinynn.tensor([4.0, 16.0], device=device)
    y.sqrt_()
    assert y.tolist() == [2.0, 4.0]
    y.log2_()
    assert y.tolist() == [1.0, 2.0]
    y.rsqrt_().reciprocal_()
    assert_close(y, [1.0, math.sqrt(2.0)])
    z = tinynn.tensor([1.0, float("nan")], device=device)
    z.nan_to_num_(nan=7.0)
    assert z.tolist() == [1.0, 7.0]
    i = tinynn.tensor([12, 10], device=device)
    i &= 6
    assert i.tolist() == [4, 2]
    i |= 1
    assert i.tolist() == [5, 3]
    i ^= tinynn.tensor([1, 1], device=device)
    assert i.tolist() == [4, 2]
    i //= 3
    assert i.tolist() == [1, 0]
    b = tinynn.tensor([True, False], device=device)
    b.logical_not_()
    assert b.tolist() == [False, True]
    f = tinynn.tensor([0.0, 2.0], device=device)
    f.logical_and_(tinynn.tensor([1.0, 1.0], device=device))
    assert f.dtype == tinynn.float32 and f.tolist() == [0.0, 1.0]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        make([1.0], device).exp_()


def test_out_argument(device):
    a = tinynn.tensor([1.0, 2.0], device=device)
    out = tinynn.empty(0, device=device)
    r = tinynn.add(a, 1, out=out)
    assert r is out and out.tolist() == [2.0, 3.0]
    tinynn.exp(tinynn.tensor([0.0], device=device), out=out)
    assert out.tolist() == [1.0]
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        tinynn.mul(make([1.0], device), 2, out=tinynn.empty(1, dtype=tinynn.float64, device=device))


def test_module_level_inplace_functions(device):
    x = tinynn.tensor([0.0, 1.0], device=device)
    assert tinynn.exp_(x) is x
    assert_close(x, [1.0, math.e])
    y = tinynn.tensor([-2.0, 0.25, 3.0], device=device)
    tinynn.clamp_(y, -1, 1)
    assert y.tolist() == [-1.0, 0.25, 1.0]
    tinynn.neg_(y)
    tinynn.clamp_min_(y, 0.0)
    assert y.tolist() == [1.0, 0.0, 0.0]
    r = tinynn.tensor([1.26, -0.04], device=device)
    tinynn.round_(r, decimals=1)
    assert_close(r, [1.3, -0.0])
    leaf = make([0.5, -1.0], device)
    h = leaf * 1.0
    tinynn.tanh_(h)
    assert type(h.grad_fn).__name__ == "TanhBackward0"
    h.sum().backward()
    assert_close(leaf.grad, 1 - np.tanh([0.5, -1.0]) ** 2)
    for name in ("abs_", "sqrt_", "rsqrt_", "log_", "log1p_", "sin_", "cos_", "sigmoid_", "erf_",
                 "floor_", "ceil_", "trunc_", "frac_", "nan_to_num_", "reciprocal_", "square_"):
        t = tinynn.tensor([0.3, 1.7], device=device)
        want = getattr(tinynn, name[:-1])(t.clone())
        assert getattr(tinynn, name)(t) is t
        assert_close(t, want)
    with pytest.raises(TypeError, match="must be Tensor"):
        tinynn.exp_(1.0)
