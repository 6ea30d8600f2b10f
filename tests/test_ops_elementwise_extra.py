"""Special elementwise functions: hypot, logaddexp, logaddexp2, xlogy, logit, erfinv, sinc,
copysign, signbit, heaviside, ldexp, nextafter. Values and gradients at edge cases are PyTorch 2.13
literals; gradients are also checked with gradcheck + gradgradcheck; errors carry PyTorch's class and
message."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
from helpers import OnDevice, check_grad, make

inf, nan = math.inf, math.nan
RNG = np.random.default_rng(2024)
X = [[-1.5, -0.25, 0.0], [0.5, 1.0, 2.5]]
Y = [[2.0, -3.0, 0.0], [-1.0, 0.75, 4.0]]

# ----------------------------------------------------------------------------------------------
# values: each expression was run on PyTorch 2.13 (CPU); result dtype and values pasted here.
# The same expression is evaluated with `torch` bound to tinynn (x, y: X and Y in float64).
# ----------------------------------------------------------------------------------------------
VALUES = {
    'hypot': ('torch.hypot(x, y)',
        'float64', [[2.5, 3.010398644698074, 0.0], [1.118033988749895, 1.25, 4.716990566028302]]),
    'hypot_f32_bcast': ('torch.hypot(x.float(), torch.tensor([1.0, -2.0, 3.0]))',
        'float32', [[1.8027756214141846, 2.015564441680908, 3.0], [1.1180340051651, 2.2360680103302, 3.9051249027252197]]),
    'hypot_edges': ('torch.hypot(torch.tensor([inf, nan, 3e200, -0.0], dtype=torch.float64), torch.tensor([nan, -inf, 4e200, 0.0], dtype=torch.float64))',
        'float64', [inf, inf, 4.9999999999999995e+200, 0.0]),
    'hypot_int_float': ('torch.hypot(torch.tensor([3, 5]), torch.tensor([4.0, 12.0]))',
        'float32', [5.0, 13.0]),
    'logaddexp': ('torch.logaddexp(x, y)',
        'float64', [[2.0297504182726205, -0.18803241099680137, 0.6931471805599453], [0.7014132779827524, 1.5759394198788437, 4.201413277982752]]),
    'logaddexp_edges': ('torch.logaddexp(torch.tensor([inf, -inf, inf, 1000.0, nan, -800.0], dtype=torch.float64), torch.tensor([inf, -inf, -inf, 1000.0, 1.0, -800.0], dtype=torch.float64))',
        'float64', [inf, -inf, inf, 1000.6931471805599, nan, -799.3068528194401]),
    'logaddexp_f32': ('torch.logaddexp(x.float(), y.float())',
        'float32', [[2.029750347137451, -0.18803241848945618, 0.6931471824645996], [0.7014132738113403, 1.575939416885376, 4.201413154602051]]),
    'logaddexp2': ('torch.logaddexp2(x, y)',
        'float64', [[2.122193416202274, -0.05005961515621484, 1.0], [0.936751795439824, 1.880408450476996, 4.436751795439824]]),
    'logaddexp2_edges': ('torch.logaddexp2(torch.tensor([inf, -inf, inf, 1000.0, nan, -1100.0], dtype=torch.float64), torch.tensor([inf, -inf, -inf, 1000.0, 1.0, -1100.0], dtype=torch.float64))',
        'float64', [inf, -inf, inf, 1001.0, nan, -1099.0]),
    'xlogy': ('torch.xlogy(x, y.abs())',
        'float64', [[-1.0397207708399179, -0.27465307216702745, 0.0], [0.0, -0.2876820724517809, 3.4657359027997265]]),
    'xlogy_edges': ('torch.xlogy(torch.tensor([0.0, 0.0, 0.0, nan, 1.0, 0.0, 2.0, -0.0], dtype=torch.float64), torch.tensor([0.0, nan, inf, 0.0, nan, -1.0, -1.0, 5.0], dtype=torch.float64))',
        'float64', [0.0, nan, 0.0, nan, nan, 0.0, nan, 0.0]),
    'xlogy_scalar_other': ('torch.xlogy(x, 3)',
        'float64', [[-1.6479184330021646, -0.27465307216702745, 0.0], [0.5493061443340549, 1.0986122886681098, 2.7465307216702746]]),
    'xlogy_scalar_self': ('torch.xlogy(2.5, y.abs())',
        'float64', [[1.7328679513998633, 2.7465307216702746, -inf], [0.0, -0.7192051811294522, 3.4657359027997265]]),
    'xlogy_zero_scalar_self': ('torch.xlogy(0, torch.tensor([0.0, 1.0, nan], dtype=torch.float64))',
        'float64', [0.0, 0.0, nan]),
    'xlogy_ints': ('torch.xlogy(torch.tensor([0, 1, 2]), torch.tensor([0, 3, 4]))',
        'float32', [0.0, 1.0986123085021973, 2.7725887298583984]),
    'xlogy_half': ('torch.xlogy(torch.tensor([1.0, 2.0]).half(), 2.0)',
        'float16', [0.693359375, 1.38671875]),
    'logit': ('torch.logit(torch.tensor([0.0, 1.0, 0.5, 0.1, 0.9, -0.5, 2.0, nan], dtype=torch.float64))',
        'float64', [-inf, inf, 0.0, -2.197224577336219, 2.1972245773362196, nan, nan, nan]),
    'logit_eps': ('torch.logit(torch.tensor([0.0, 1.0, 0.5, 0.1, 0.2, 0.8, -0.5, 2.0, nan], dtype=torch.float64), eps=0.2)',
        'float64', [-1.3862943611198906, 1.3862943611198908, 0.0, -1.3862943611198906, -1.3862943611198906, 1.3862943611198908, -1.3862943611198906, 1.3862943611198908, nan]),
    'logit_eps0': ('torch.logit(torch.tensor([0.0, 1.0, 0.5, -0.5, 2.0], dtype=torch.float64), eps=0.0)',
        'float64', [-inf, inf, 0.0, -inf, inf]),
    'logit_eps_neg': ('torch.logit(torch.tensor([0.0, 1.0, 0.5, -0.5, 2.0], dtype=torch.float64), eps=-0.1)',
        'float64', [-inf, inf, 0.0, nan, nan]),
    'logit_eps_big': ('torch.logit(torch.tensor([0.0, 1.0, 0.5], dtype=torch.float64), eps=0.6)',
        'float64', [0.4054651081081642, -0.4054651081081643, 0.4054651081081642]),
    'logit_int': ('torch.logit(torch.tensor([0, 1]), eps=0.1)',
        'float32', [-2.1972246170043945, 2.1972243785858154]),
    'logit_f32': ('torch.logit(torch.tensor([0.25, 0.75, 0.001]))',
        'float32', [-1.0986123085021973, 1.0986123085021973, -6.906754970550537]),
    'erfinv': ('torch.erfinv(torch.tensor([-1.0, 1.0, -0.999999, 0.999999, 0.5, 1e-10, -0.0, 1.5, -1.0000001, nan, 0.9999999999999999, -0.3], dtype=torch.float64))',
        'float64', [-inf, inf, -3.458910737275499, 3.458910737275499, 0.4769362762044699, 8.862269254527581e-11, -0.0, nan, nan, nan, 5.8635847487551676, -0.2724627147267543]),
    'erfinv_grid': ('torch.erfinv(torch.tensor([i / 20 - 1 for i in range(41)], dtype=torch.float64))',
        'float64', [-inf, -1.3859038243496777, -1.1630871536766743, -1.0179024648320276, -0.9061938024368233, -0.8134198475976185, -0.7328690779592167, -0.6608544253423859, -0.5951160814499948, -0.5341590877497024, -0.4769362762044699, -0.4226802386475618, -0.37080715859355795, -0.32085832171518147, -0.2724627147267544, -0.2253120550121781, -0.17914345462129164, -0.13372692166481973, -0.08885599049425767, -0.04434038791000553, 0.0, 0.04434038791000553, 0.08885599049425777, 0.13372692166481961, 0.17914345462129164, 0.2253120550121781, 0.2724627147267544, 0.3208583217151816, 0.37080715859355784, 0.4226802386475618, 0.4769362762044699, 0.5341590877497024, 0.595116081449995, 0.6608544253423858, 0.7328690779592167, 0.8134198475976185, 0.9061938024368233, 1.0179024648320278, 1.1630871536766738, 1.3859038243496777, inf]),
    'erfinv_near1': ('torch.erfinv(torch.tensor([1 - 10.0 ** -k for k in range(1, 17, 2)] + [-1 + 10.0 ** -k for k in range(2, 17, 2)], dtype=torch.float64))',
        'float64', [1.1630871536766743, 2.3267537655135246, 3.123413274341571, 3.7665625816384707, 4.320005388105362, 4.812924058944833, 5.261483331372676, 5.675915739744713, -1.8213863677184494, -2.75106390571208, -3.458910737275499, -4.052237243268763, -4.572824958544925, -5.042031898572696, -5.4725525174145355, -5.8635847487551676]),
    'erfinv_f32': ('torch.erfinv(torch.tensor([-0.9, 0.0, 0.3, 0.99]))',
        'float32', [-1.1630871295928955, 0.0, 0.27246272563934326, 1.8213865756988525]),
    'erfinv_half': ('torch.erfinv(torch.tensor([-0.9, 0.0, 0.3, 0.99]).half())',
        'float16', [-1.1630859375, 0.0, 0.2724609375, 1.8271484375]),
    'erfinv_bool': ('torch.erfinv(torch.tensor([True, False]))',
        'float32', [inf, 0.0]),
    'sinc': ('torch.sinc(torch.tensor([0.0, -0.0, inf, nan, 1e-20, 1e-8, 2.5, -1.0, 0.5, 3.0], dtype=torch.float64))',
        'float64', [1.0, 1.0, nan, nan, 1.0, 0.9999999999999998, 0.12732395447351627, 3.8981718325193755e-17, 0.6366197723675814, 3.8981718325193755e-17]),
    'sinc_f32': ('torch.sinc(torch.tensor([0.0, 1.0, 0.25, -2.5]))',
        'float32', [1.0, -2.7827534054836178e-08, 0.9003162980079651, 0.1273239552974701]),
    'sinc_half': ('torch.sinc(torch.tensor([0.0, 1.0, 0.25, -2.5]).half())',
        'float16', [1.0, -0.0, 0.900390625, 0.1273193359375]),
    'sinc_int': ('torch.sinc(torch.tensor([0, 1, 2]))',
        'float32', [1.0, -2.7827534054836178e-08, 2.7827534054836178e-08]),
    'copysign': ('torch.copysign(x, y)',
        'float64', [[1.5, -0.25, 0.0], [-0.5, 1.0, 2.5]]),
    'copysign_edges': ('torch.copysign(torch.tensor([1.0, 2.0, 0.0, nan, inf, 3.0], dtype=torch.float64), torch.tensor([-0.0, 0.0, -1.0, -1.0, -2.0, -nan], dtype=torch.float64))',
        'float64', [-1.0, 2.0, -0.0, nan, -inf, -3.0]),
    'copysign_scalar': ('torch.copysign(x, -2)',
        'float64', [[-1.5, -0.25, -0.0], [-0.5, -1.0, -2.5]]),
    'copysign_int': ('torch.copysign(torch.tensor([1, -2, 3]), torch.tensor([-1, 1, -0]))',
        'float32', [-1.0, 2.0, 3.0]),
    'copysign_half_scalar': ('torch.copysign(torch.tensor([1.0, -2.0]).half(), -2.0)',
        'float16', [-1.0, -2.0]),
    'signbit': ('torch.signbit(torch.tensor([-0.0, 0.0, -1.0, nan, -nan, -inf, 2.0]))',
        'bool', [True, False, True, False, True, True, False]),
    'signbit_int': ('torch.signbit(torch.tensor([-3, 0, 2]))',
        'bool', [True, False, False]),
    'signbit_uint8': ('torch.signbit(torch.tensor([3, 0, 2], dtype=torch.uint8))',
        'bool', [False, False, False]),
    'signbit_bool': ('torch.signbit(torch.tensor([True, False]))',
        'bool', [False, False]),
    'heaviside': ('torch.heaviside(torch.tensor([-1.5, 0.0, -0.0, 2.0, nan, -inf, inf]), torch.tensor([0.5]))',
        'float32', [0.0, 0.5, 0.5, 1.0, 0.0, 0.0, 1.0]),
    'heaviside_bcast': ('torch.heaviside(torch.tensor([[-1.0], [0.0]], dtype=torch.float64), torch.tensor([7.0, 8.0], dtype=torch.float64))',
        'float64', [[0.0, 0.0], [7.0, 8.0]]),
    'heaviside_int': ('torch.heaviside(torch.tensor([-1, 0, 2]), torch.tensor([7]))',
        'int64', [0, 7, 1]),
    'heaviside_bool': ('torch.heaviside(torch.tensor([True, False]), torch.tensor([True, False]))',
        'bool', [True, False]),
    'ldexp': ('torch.ldexp(x, torch.tensor([1, -2, 3]))',
        'float64', [[-3.0, -0.0625, 0.0], [1.0, 0.25, 20.0]]),
    'ldexp_float_exp': ('torch.ldexp(x, y)',
        'float64', [[-6.0, -0.03125, 0.0], [0.25, 1.681792830507429, 40.0]]),
    'ldexp_exact': ('torch.ldexp(torch.tensor([1e-38, 3.0, 1.0]), torch.tensor([130, 2, -149]))',
        'float32', [13.61129379272461, 12.0, 1.401298464324817e-45]),
    'ldexp_f32_exp_overflow': ('torch.ldexp(torch.ones(3, dtype=torch.float64), torch.tensor([100.0, 128.0, 200.0]))',
        'float64', [1.2676506002282294e+30, inf, inf]),
    'ldexp_f64_int_exp': ('torch.ldexp(torch.ones(3, dtype=torch.float64), torch.tensor([200, 1024, -1080]))',
        'float64', [1.6069380442589903e+60, inf, 0.0]),
    'ldexp_ints': ('torch.ldexp(torch.tensor([1, 3]), torch.tensor([2, 130]))',
        'float32', [4.0, inf]),
    'ldexp_int_bool': ('torch.ldexp(torch.tensor([1, 3]), torch.tensor([True, False]))',
        'float32', [2.0, 3.0]),
    'ldexp_half': ('torch.ldexp(torch.tensor([1e-3, 3.0, 1.0]).half(), torch.tensor([20, 2, -25]))',
        'float16', [1049.0, 12.0, 0.0]),
    'ldexp_wrap': ('torch.ldexp(torch.tensor([1.5, 3.0]), torch.tensor([2**40, 2**40 + 3]))',
        'float32', [1.5, 24.0]),
    'nextafter': ('torch.nextafter(torch.tensor([0.0, 1.0, -1.0, inf, 1.0, nan], dtype=torch.float64), torch.tensor([1.0, 0.0, inf, 0.0, 1.0, 0.0], dtype=torch.float64))',
        'float64', [5e-324, 0.9999999999999999, -0.9999999999999999, 1.7976931348623157e+308, 1.0, nan]),
    'nextafter_f32': ('torch.nextafter(torch.tensor([0.0, 1.0, -1.0, 3.4028234663852886e+38]), torch.tensor([1.0, 0.0, inf, inf]))',
        'float32', [1.401298464324817e-45, 0.9999999403953552, -0.9999999403953552, inf]),
    'nextafter_half': ('torch.nextafter(torch.tensor([0.0, 1.0]).half(), torch.tensor([1.0, 0.0]).half())',
        'float16', [5.960464477539063e-08, 0.99951171875]),
    'nextafter_int_float': ('torch.nextafter(torch.tensor([3, 4]), torch.tensor([1.0, 5.0]))',
        'float32', [2.999999761581421, 4.000000476837158]),
}


# float64 results must agree to a few ulps; float32 / float16 to their precision
_RTOL = {"float64": 1e-14, "float32": 2e-7, "float16": 1e-3}


_SUBNORMAL_CASES = {"ldexp_exact", "nextafter_f32"}  # float32 subnormals in or out


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_pytorch(name, device):
    expr, dtype, expected = VALUES[name]
    from conftest import device_mode
    if device_mode() == "cuda" and name in _SUBNORMAL_CASES:
        pytest.skip("CuPy's float32 kernels flush subnormal inputs and results to zero on a real GPU "
                    "(ldexp(1e-38, 130) gives 0 there); PyTorch's CUDA kernels keep them")
    t = OnDevice(device)
    env = {"torch": t, "inf": inf, "nan": nan, "x": t.tensor(X, dtype=tinynn.float64),
           "y": t.tensor(Y, dtype=tinynn.float64)}
    got = eval(expr, env)  # noqa: S307 - fixed expressions above
    assert got.dtype == getattr(tinynn, dtype)
    assert got.device.type == ("cpu" if device == "cpu" else "cuda")
    a = got.cpu().numpy()
    e = np.array(expected, dtype=a.dtype)
    assert a.shape == e.shape
    if dtype == "bool" or a.dtype.kind in "iu":
        np.testing.assert_array_equal(a, e)
        return
    np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), rtol=_RTOL[dtype], atol=0,
                               equal_nan=True)
    zero = e == 0  # signed zeros too (copysign, sinc, logit)
    np.testing.assert_array_equal(np.signbit(a[zero]), np.signbit(e[zero]))


def test_erfinv_inverts_erf_to_double_precision(device):
    """erfinv(erf(v)) == v on a grid, including |v| large enough that erf(v) is within ulps of 1."""
    v = np.concatenate([np.linspace(-5.5, 5.5, 221), [-1e-300, 1e-300, 0.0]])
    x = tinynn.tensor(v, device=device)
    back = tinynn.erfinv(tinynn.erf(x)).cpu().numpy()
    ok = np.abs(v) < 3  # past 3 erf(v) has too few bits left in 1 - erf(v) to invert exactly
    np.testing.assert_allclose(back[ok], v[ok], rtol=1e-13, atol=1e-300)
    assert np.all(np.isfinite(back[~ok]) | (np.abs(back[~ok]) == inf))


# ----------------------------------------------------------------------------------------------
# gradients: gradcheck + gradgradcheck in float64, with broadcasting
# ----------------------------------------------------------------------------------------------
def _away_from_zero(shape, lo=0.3, hi=2.0):
    return np.asarray(RNG.uniform(lo, hi, shape) * RNG.choice([-1.0, 1.0], shape))


def test_hypot_grad(device):
    check_grad(tinynn.hypot, _away_from_zero((2, 3)), _away_from_zero((3,)), device=device)
    check_grad(tinynn.hypot, _away_from_zero(()), _away_from_zero((4,)), device=device)


@pytest.mark.parametrize("fn", ["logaddexp", "logaddexp2"])
def test_logaddexp_grad(fn, device):
    f = getattr(tinynn, fn)
    check_grad(f, RNG.normal(size=(2, 3)) * 3, RNG.normal(size=(3,)) * 3, device=device)
    check_grad(f, RNG.normal(size=(4, 1)), np.asarray(RNG.normal(size=())), device=device)


def test_xlogy_grad(device):
    check_grad(tinynn.xlogy, RNG.normal(size=(2, 3)), RNG.uniform(0.2, 3.0, (3,)), device=device)
    check_grad(lambda a: tinynn.xlogy(a, 2.5), RNG.normal(size=(2, 3)), device=device)
    check_grad(lambda b: tinynn.xlogy(-1.5, b), RNG.uniform(0.2, 3.0, (4,)), device=device)


def test_logit_grad(device):
    p = RNG.uniform(0.05, 0.95, (2, 5))
    check_grad(tinynn.logit, p, device=device)
    q = np.array([0.05, 0.3, 0.5, 0.7, 0.95])  # 0.05 and 0.95 are clamped (zero gradient)
    check_grad(lambda a: tinynn.logit(a, eps=0.2), q, device=device)


def test_erfinv_grad(device):
    check_grad(tinynn.erfinv, RNG.uniform(-0.95, 0.95, (3, 4)), device=device)


def test_sinc_grad(device):
    check_grad(tinynn.sinc, _away_from_zero((3, 4), 0.05, 3.0), device=device)
    # at 0 the first derivative is 0 (PyTorch masks it there); its own derivative is masked too
    check_grad(tinynn.sinc, np.array([0.0, 0.7, -1.3]), device=device, gradgrad=False)


def test_copysign_grad(device):
    sign = tinynn.tensor([[1.0, -2.0, -0.0]], dtype=tinynn.float64, device=device)
    check_grad(lambda a: tinynn.copysign(a, sign), _away_from_zero((2, 3)), device=device)
    check_grad(lambda a: tinynn.copysign(a, -3), _away_from_zero((2, 3)), device=device)


def test_ldexp_grad(device):
    check_grad(tinynn.ldexp, RNG.normal(size=(2, 3)), RNG.normal(size=(3,)), device=device)
    e = tinynn.tensor([1, -2, 3], device=device)
    check_grad(lambda a: tinynn.ldexp(a, e), RNG.normal(size=(2, 3)), device=device)


# ----------------------------------------------------------------------------------------------
# gradients at edge cases (PyTorch 2.13 literals)
# ----------------------------------------------------------------------------------------------
def _grads(fn, device, *arrays, weights=None):
    ts = [make(a, device) for a in arrays]
    out = fn(*ts)
    w = tinynn.ones_like(out) if weights is None else tinynn.tensor(weights, dtype=out.dtype, device=device)
    gs = tinynn.autograd.grad((out * w).sum(), ts, allow_unused=True)
    return out, [None if g is None else g.cpu().numpy() for g in gs]


def _same(actual, expected):
    np.testing.assert_allclose(actual, np.array(expected, dtype=np.float64), rtol=1e-14, atol=0,
                               equal_nan=True)


def test_edge_gradients_match_pytorch(device):
    out, g = _grads(tinynn.hypot, device, [3.0, 0.0, 0.0], [4.0, 0.0, 1.0])
    assert type(out.grad_fn).__name__ == "HypotBackward0"
    _same(g[0], [0.6, nan, 0.0])
    _same(g[1], [0.8, nan, 1.0])
    out, g = _grads(tinynn.xlogy, device, [0.0, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0])
    _same(g[0], [0.0, 0.0, -inf, 1.0986122886681098])
    _same(g[1], [nan, 0.0, inf, 0.6666666666666666])
    out, g = _grads(tinynn.logaddexp, device, [0.0, -inf, 1000.0], [0.0, -inf, 1.0])
    _same(g[0], [0.5, nan, 1.0])
    _same(g[1], [0.5, nan, 0.0])
    out, g = _grads(tinynn.logaddexp2, device, [0.0, -inf, 1000.0], [0.0, -inf, 1.0])
    _same(g[0], [0.5, nan, 1.0])
    _same(g[1], [0.5, nan, 1.8665272370064378e-301])
    out, g = _grads(tinynn.sinc, device, [0.0, 1.0, 0.5])
    _same(g[0], [0.0, -1.0, -1.2732395447351625])
    out, g = _grads(tinynn.erfinv, device, [0.0, 1.0, 0.5, -1.0, 2.0])
    _same(g[0], [0.8862269254527579, inf, 1.1125848189719496, inf, nan])
    out, g = _grads(tinynn.copysign, device, [1.0, -2.0, 0.0], [-1.0, 3.0, -0.0])
    _same(g[0], [-1.0, -1.0, 0.0])
    _same(g[1], [0.0, 0.0, 0.0])
    out, g = _grads(tinynn.ldexp, device, [1.0, -2.0, 3.0], [1.0, 2.0, 3.0])
    _same(g[0], [2.0, 4.0, 8.0])
    _same(g[1], [1.3862943611198906, -5.545177444479562, 16.635532333438686])
    out, g = _grads(tinynn.nextafter, device, [1.0, -2.0, 3.0, 0.5], [1.0, 2.0, 3.0, -7.0],
                    weights=[10.0, 20.0, 30.0, 40.0])
    assert type(out.grad_fn).__name__ == "NextafterBackward0"
    _same(g[0], [0.0, 20.0, 0.0, 40.0])
    _same(g[1], [0.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("eps,expected", [
    (None, [nan, nan, inf, inf, 4.0]),
    (-0.1, [nan, nan, inf, inf, 4.0]),
    (0.0, [0.0, 0.0, inf, inf, 4.0]),
    (0.3, [0.0, 0.0, 0.0, 0.0, 4.0]),
])
def test_logit_gradient_at_edges(eps, expected, device):
    _, g = _grads(lambda t: tinynn.logit(t, eps), device, [2.0, -1.0, 0.0, 1.0, 0.5])
    _same(g[0], expected)
    _, g = _grads(lambda t: tinynn.logit(t, eps=0.2), device, [0.0, 1.0, 0.5, 0.1, 0.2, 0.8])
    _same(g[0], [0.0, 0.0, 4.0, 0.0, 6.249999999999999, 6.250000000000001])


def test_xlogy_scalar_gradients(device):
    _, g = _grads(lambda a: tinynn.xlogy(a, 0.0), device, [0.0, 2.0])
    _same(g[0], [0.0, -inf])
    _, g = _grads(lambda b: tinynn.xlogy(0.0, b), device, [0.0, 2.0])
    _same(g[0], [nan, 0.0])


def test_node_names(device):
    x = tinynn.tensor([0.25, 0.5], requires_grad=True, device=device)
    i = tinynn.tensor([1, 2], device=device)
    cases = {
        "HypotBackward0": tinynn.hypot(x, x), "LogaddexpBackward0": tinynn.logaddexp(x, i),
        "Logaddexp2Backward0": tinynn.logaddexp2(i, x), "XlogyBackward0": tinynn.xlogy(x, x),
        "XlogyBackward1": tinynn.xlogy(2.0, x), "XlogyBackward2": tinynn.xlogy(x, 2),
        "LogitBackward0": tinynn.logit(x, 0.1), "ErfinvBackward0": tinynn.erfinv(x),
        "SincBackward0": tinynn.sinc(x), "CopysignBackward0": tinynn.copysign(x, i),
        "CopysignBackward1": tinynn.copysign(x, True), "LdexpBackward0": tinynn.ldexp(x, i),
        "NextafterBackward0": tinynn.nextafter(x, i), "NotImplemented": tinynn.heaviside(x, x),
    }
    for name, t in cases.items():
        assert t.requires_grad and type(t.grad_fn).__name__ == name, name


def test_non_differentiable_results(device):
    x = tinynn.tensor([-1.0, 0.0, 2.0], requires_grad=True, device=device)
    s = tinynn.signbit(x)
    assert s.dtype == tinynn.bool and not s.requires_grad and s.grad_fn is None
    h = tinynn.heaviside(x, tinynn.tensor([0.5], device=device))
    assert h.requires_grad  # as PyTorch: a NotImplemented node that raises on backward
    with pytest.raises(RuntimeError, match="^derivative for aten::heaviside is not implemented$"):
        h.sum().backward()
    n = tinynn.nextafter(x, tinynn.tensor([1.0, 1.0, 1.0], device=device))
    (g,) = tinynn.autograd.grad(n.sum(), x, create_graph=True)
    assert not g.requires_grad  # PyTorch's nextafter gradient has no history of its own
    for t in (tinynn.hypot(x.detach(), x.detach()), tinynn.erfinv(x.detach() / 4)):
        assert not t.requires_grad


def test_out_argument(device):
    x = tinynn.tensor([0.25, 0.5], device=device)
    o = tinynn.empty(2, device=device)
    assert tinynn.hypot(x, x, out=o) is o
    np.testing.assert_allclose(o.cpu().numpy(), [0.3535533845424652, 0.7071067690849304], rtol=1e-7)
    b = tinynn.empty(0, dtype=tinynn.bool, device=device)
    tinynn.signbit(-x, out=b)
    assert b.tolist() == [True, True]
    for fn, args in (("logaddexp", (x, x)), ("logaddexp2", (x, x)), ("xlogy", (x, 2.0)),
                     ("logit", (x,)), ("erfinv", (x,)), ("sinc", (x,)), ("copysign", (x, -1.0)),
                     ("heaviside", (x, x)), ("ldexp", (x, x)), ("nextafter", (x, x))):
        o = tinynn.empty(2, device=device)
        r = getattr(tinynn, fn)(*args, out=o)
        assert r is o
        np.testing.assert_array_equal(o.cpu().numpy(), getattr(tinynn, fn)(*args).cpu().numpy())


# ----------------------------------------------------------------------------------------------
# bad input: PyTorch's exception class and message
# ----------------------------------------------------------------------------------------------
_XLOGY_FORMS = ("xlogy() received an invalid combination of arguments - got ({}, {}), but expected one "
                "of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n * (Number self, Tensor "
                "other, *, Tensor out = None)\n * (Tensor input, Number other, *, Tensor out = None)\n")
_COPYSIGN_FORMS = ("copysign() received an invalid combination of arguments - got ({}, {}), but expected "
                   "one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n * (Tensor input, "
                   "Number other, *, Tensor out = None)\n")


def _errors(device):
    x = tinynn.tensor([1.0, 2.0], device=device)
    i = tinynn.tensor([3, 4], device=device)
    b = tinynn.tensor([True, False], device=device)
    cases = []
    for fn in ("hypot", "logaddexp", "logaddexp2", "nextafter"):
        cases += [
            (fn, (i, i), NotImplementedError, f"\"{fn}_cpu\" not implemented for 'Long'"),
            (fn, (b, b), NotImplementedError, f"\"{fn}_cpu\" not implemented for 'Bool'"),
            (fn, (x, 2), TypeError, f"{fn}(): argument 'other' (position 2) must be Tensor, not int"),
            (fn, (2.0, x), TypeError, f"{fn}(): argument 'input' (position 1) must be Tensor, not float"),
            (fn, ([1.0], x), TypeError, f"{fn}(): argument 'input' (position 1) must be Tensor, not list"),
        ]
    for fn in ("hypot", "logaddexp", "logaddexp2", "nextafter", "xlogy", "copysign", "heaviside",
               "ldexp"):
        cases.append((fn, (x, tinynn.ones(3, device=device)), RuntimeError,
                      "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
                      "dimension 0"))
    for fn in ("erfinv", "sinc", "logit", "signbit"):
        cases += [(fn, ([1.0],), TypeError, f"{fn}(): argument 'input' (position 1) must be Tensor, not list"),
                  (fn, (2.0,), TypeError, f"{fn}(): argument 'input' (position 1) must be Tensor, not float")]
    cases += [
        ("xlogy", ([1.0], x), TypeError, _XLOGY_FORMS.format("list", "Tensor")),
        ("xlogy", (2, 3), TypeError, _XLOGY_FORMS.format("int", "int")),
        ("copysign", (2.0, x), TypeError, _COPYSIGN_FORMS.format("float", "Tensor")),
        ("copysign", ([1.0], x), TypeError, _COPYSIGN_FORMS.format("list", "Tensor")),
        ("copysign", (x, 2j), NotImplementedError, "\"copysign_cpu\" not implemented for 'ComplexFloat'"),
        ("heaviside", (x, 2.0), TypeError, "heaviside(): argument 'values' (position 2) must be Tensor, not float"),
        ("heaviside", (2.0, x), TypeError, "heaviside(): argument 'input' (position 1) must be Tensor, not float"),
        ("heaviside", (x, i), RuntimeError, "heaviside is not yet implemented for tensors with different dtypes."),
        ("heaviside", (x, x.double()), RuntimeError,
         "heaviside is not yet implemented for tensors with different dtypes."),
        ("ldexp", (x, 2), TypeError, "ldexp(): argument 'other' (position 2) must be Tensor, not int"),
        ("ldexp", (2.0, x), TypeError, "ldexp(): argument 'input' (position 1) must be Tensor, not float"),
        ("ldexp", (x, b), NotImplementedError, "\"ldexp_cpu_exp\" not implemented for 'Bool'"),
        ("logit", (x, "a"), TypeError, "logit(): argument 'eps' (position 2) must be float, not str"),
    ]
    c = tinynn.tensor([1 + 1j, 2j], device=device)
    for fn in ("hypot", "logaddexp2", "nextafter", "xlogy", "copysign"):
        cases.append((fn, (c, c), NotImplementedError, f"\"{fn}_cpu\" not implemented for 'ComplexFloat'"))
    cases += [
        ("xlogy", (x, c), NotImplementedError, "\"xlogy_cpu\" not implemented for 'ComplexFloat'"),
        ("copysign", (x, c), NotImplementedError, "\"copysign_cpu\" not implemented for 'ComplexFloat'"),
        ("logit", (c,), NotImplementedError, "\"logit_cpu\" not implemented for 'ComplexFloat'"),
        ("erfinv", (c,), NotImplementedError, "\"erfinv_vml_cpu\" not implemented for 'ComplexFloat'"),
        ("signbit", (c,), NotImplementedError, "signbit is not implemented for complex tensors."),
        ("heaviside", (c, c), RuntimeError, "heaviside is not yet implemented for complex tensors."),
    ]
    return cases


def test_bad_input_errors(device):
    for fn, args, exc, msg in _errors(device):
        with pytest.raises(exc) as info:
            getattr(tinynn, fn)(*args)
        assert str(info.value) == msg, (fn, args)


def test_inplace_functions(device):
    """torch.sinc_ / xlogy_ / logit_ / ldexp_ (PyTorch 2.13 values, float32)."""
    cases = (("sinc_", (), [0.9003162980079651, 0.6366197466850281]),
             ("xlogy_", (2.0,), [0.1732867956161499, 0.3465735912322998]),
             ("logit_", (0.3,), [-0.8472977876663208, 0.0]),
             ("ldexp_", (tinynn.tensor([1, 2], device=device),), [0.5, 2.0]))
    for fn, args, expected in cases:
        x = tinynn.tensor([0.25, 0.5], device=device)
        assert getattr(tinynn, fn)(x, *args) is x
        np.testing.assert_allclose(x.cpu().numpy(), expected, rtol=1e-7)
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired output type Long$"):
        tinynn.sinc_(tinynn.tensor([1, 2], device=device))
    x = tinynn.tensor([0.25, 0.5], requires_grad=True, device=device)
    y = x * 1
    tinynn.logit_(y, 0.1)
    assert type(y.grad_fn).__name__ == "LogitBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [5.333333492279053, 4.0], rtol=1e-7)


@pytest.mark.parametrize("name", ["erfinv", "erfinv_grid", "erfinv_near1", "erfinv_f32", "erfinv_half",
                                  "erfinv_bool"])
def test_erfinv_without_scipy(name, device, monkeypatch):
    """Where no special-function kernel is available (CPU without SciPy), erfinv falls back to its
    own vectorised iteration: the same PyTorch values, within a few ulps."""
    from tinynn.ops import elementwise as ew

    from tinynn import backend

    def unavailable(fn, x, *args):
        raise RuntimeError(f"tinynn needs SciPy for {fn} on the CPU: pip install scipy")
    monkeypatch.setattr(ew, "_special_kernel", unavailable)
    # erf and erfc without SciPy too: the backend's own series and continued fraction
    monkeypatch.setattr(ew, "_erf_kernel", lambda x: backend._erf_fallback(backend.get_array_module(x), x))
    monkeypatch.setattr(ew, "_erfc_kernel", lambda x: backend._erfc_fallback(backend.get_array_module(x), x))
    expr, dtype, expected = VALUES[name]
    t = OnDevice(device)
    got = eval(expr, {"torch": t, "inf": inf, "nan": nan})  # noqa: S307 - fixed expressions above
    assert got.dtype == getattr(tinynn, dtype)
    a = got.cpu().numpy()
    e = np.array(expected, dtype=a.dtype)
    np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64),
                               rtol=2e-15 if dtype == "float64" else _RTOL[dtype], atol=0, equal_nan=True)
    np.testing.assert_array_equal(np.signbit(a[e == 0]), np.signbit(e[e == 0]))


def test_complex_values_match_pytorch(device):
    """logaddexp, ldexp and sinc accept complex tensors as PyTorch does (forward values)."""
    a = tinynn.tensor([1 + 1j, 2j, -3 + 0.5j, 0.25 - 2j], dtype=tinynn.complex128, device=device)
    b = tinynn.tensor([1 + 1j, 2j, 1 - 1j, -4 + 1j], dtype=tinynn.complex128, device=device)
    cases = (
        (tinynn.logaddexp(a, b), tinynn.complex128, 1e-14,
         [(1.6931471805599454 + 1j), (0.6931471805599453 + 2j), (1.001461191194629 - 0.9817559060822776j),
          (0.23577994303083644 - 1.9979582007566652j)]),
        (tinynn.logaddexp(a.to(tinynn.complex64), tinynn.tensor([1.0, -1.0, 2.0, 0.0], device=device)),
         tinynn.complex64, 1e-6,
         [(1.5625629425048828 + 0.5j), (-0.09367618709802628 + 1.623828649520874j),
          (2.0059008598327637 + 0.003211344126611948j), (0.22872349619865417 - 1.1913000345230103j)]),
        (tinynn.ldexp(a, tinynn.tensor([1, -2, 3, 0], device=device)), tinynn.complex128, 1e-14,
         [(2 + 2j), 0.5j, (-23.999999999999993 + 3.999999999999999j), (0.25 - 2j)]),
        (tinynn.ldexp(tinynn.tensor([1.0, 2.0, 3.0, -1.0], device=device), b.to(tinynn.complex64)),
         tinynn.complex64, 1e-6,
         [(1.5384777784347534 + 1.277922511100769j), (0.36691394448280334 + 1.9660555124282837j),
          (4.615433216094971 - 3.8337674140930176j), (-0.048077430576086044 - 0.03993507847189903j)]),
        (tinynn.sinc(tinynn.tensor([1 + 1j, 2j], device=device)), tinynn.complex64, 1e-6,
         [(-1.8380390405654907 - 1.838038682937622j), (42.6129264831543 + 0j)]),
    )
    for got, dtype, rtol, expected in cases:
        assert got.dtype == dtype
        np.testing.assert_allclose(got.cpu().numpy(), np.array(expected), rtol=rtol)


def test_backend_erfc_against_the_standard_library():
    """backend.erfc (SciPy's when installed) and its own fallback against math.erfc, relative."""
    import math as _m
    from tinynn import backend
    x = np.concatenate([np.linspace(-6.0, 6.0, 241), [0.0, 1.4999, 1.5, 26.0]])
    want = np.array([_m.erfc(v) for v in x])
    for got in (backend.erfc(x), backend._erfc_fallback(np, x)):
        np.testing.assert_allclose(got, want, rtol=5e-14, atol=0)
    assert np.isnan(backend._erfc_fallback(np, np.array([np.nan])))[0]
