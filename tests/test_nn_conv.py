"""Convolution, pooling, padding and resizing: nn.functional and the layers.

Values and gradients are checked against literals real PyTorch 2.13 gave for the same inputs
(`EXPECTED` at the bottom, printed once from torch with inputs drawn from the NumPy seeds used
here), every function is gradchecked and gradgradchecked in float64 (stride, padding, dilation,
groups, ceil_mode, ...), and when torch is installed a wider table of configurations is compared
live."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from helpers import assert_close, check_grad


def r(seed, *shape):
    """The deterministic float32 inputs the literals were made from."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def r64(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def t(a, device, requires_grad=False):
    return tinynn.tensor(a, device=device, requires_grad=requires_grad)


def npy(x):
    return x.detach().cpu().numpy()


# ------------------------------------------------------------------------- literal values
def test_conv2d_matches_torch_literals(device):
    x, w, b = t(r(1, 1, 2, 4, 4), device, True), t(r(2, 3, 2, 2, 2), device, True), t(r(3, 3), device, True)
    y = F.conv2d(x, w, b, stride=1, padding=1, dilation=2)
    assert y.dtype == tinynn.float32 and y.grad_fn.name() == "ConvolutionBackward0"
    y.backward(t(r(4, *y.shape), device))
    e = EXPECTED["conv2d"]
    assert_close(y, e["y"], rtol=1e-4, atol=1e-4)
    assert_close(x.grad, e["gx"], rtol=1e-4, atol=1e-4)
    assert_close(w.grad, e["gw"], rtol=1e-4, atol=1e-4)
    assert_close(b.grad, e["gb"], rtol=1e-4, atol=1e-4)


def test_conv1d_groups_matches_torch_literals(device):
    x, w = t(r(5, 2, 4, 5), device, True), t(r(6, 4, 2, 3), device, True)
    y = F.conv1d(x, w, None, stride=2, padding=1, groups=2)
    y.backward(t(r(7, *y.shape), device))
    e = EXPECTED["conv1d_groups"]
    assert_close(y, e["y"], rtol=1e-4, atol=1e-4)
    assert_close(x.grad, e["gx"], rtol=1e-4, atol=1e-4)
    assert_close(w.grad, e["gw"], rtol=1e-4, atol=1e-4)


def test_conv_transpose2d_matches_torch_literals(device):
    x, w, b = t(r(8, 1, 2, 3, 3), device, True), t(r(9, 2, 3, 2, 2), device, True), t(r(10, 3), device, True)
    y = F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)
    assert tuple(y.shape) == (1, 3, 5, 5)
    y.backward(t(r(11, *y.shape), device))
    e = EXPECTED["conv_transpose2d"]
    for got, key in ((y, "y"), (x.grad, "gx"), (w.grad, "gw"), (b.grad, "gb")):
        assert_close(got, e[key], rtol=1e-4, atol=1e-4)


def test_max_pool2d_matches_torch_literals(device):
    xv = r(12, 1, 2, 5, 5)
    xv[0, 0, :2, :2] = 1.0  # a tie: the gradient goes to the first maximum, as in PyTorch
    x = t(xv, device, True)
    y, i = F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)
    assert i.dtype == tinynn.int64 and y.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    y.backward(t(r(13, *y.shape), device))
    e = EXPECTED["maxpool2d"]
    assert_close(y, e["y"])
    assert npy(i).tolist() == e["i"]
    assert_close(x.grad, e["gx"], atol=1e-5)


def test_avg_pool2d_matches_torch_literals(device):
    x = t(r(14, 1, 1, 5, 6), device, True)
    y = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    y.backward(t(r(15, *y.shape), device))
    assert_close(y, EXPECTED["avgpool2d"]["y"], atol=1e-5)
    assert_close(x.grad, EXPECTED["avgpool2d"]["gx"], atol=1e-5)


def test_adaptive_pools_match_torch_literals(device):
    x = t(r(16, 1, 2, 5, 7), device)
    assert_close(F.adaptive_avg_pool2d(x, (3, 4)), EXPECTED["adaptive_avg"], atol=1e-5)
    v, i = F.adaptive_max_pool2d(x, (2, 3), return_indices=True)
    assert_close(v, EXPECTED["adaptive_max"]["y"], atol=1e-5)
    assert npy(i).tolist() == EXPECTED["adaptive_max"]["i"]


def test_pad_and_interpolate_match_torch_literals(device):
    x = t(r(17, 1, 1, 3, 4), device)
    assert_close(F.pad(x, (2, 1, 1, 2), mode="reflect"), EXPECTED["pad_reflect"], atol=1e-5)
    assert_close(F.pad(x, (2, 1, 1, 0), mode="replicate"), EXPECTED["pad_replicate"], atol=1e-5)
    assert_close(F.pad(x, (1, 2, 2, 1), mode="circular"), EXPECTED["pad_circular"], atol=1e-5)
    assert_close(F.interpolate(x, size=(4, 6), mode="bilinear"), EXPECTED["interp_bilinear"], atol=1e-5)
    assert_close(F.interpolate(x, scale_factor=1.5), EXPECTED["interp_nearest"], atol=1e-5)
    assert_close(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True),
                 EXPECTED["interp_bilinear_ac"], atol=1e-5)


def test_small_values_by_hand(device):
    # a 2x2 all-ones kernel sums each window; max pooling by hand
    x = tinynn.arange(16.0, device=device).reshape(1, 1, 4, 4)
    w = tinynn.ones(1, 1, 2, 2, device=device)
    assert npy(F.conv2d(x, w, stride=2)).tolist() == [[[[10.0, 18.0], [42.0, 50.0]]]]
    assert npy(F.max_pool2d(x, 2)).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert npy(F.avg_pool2d(x, 2)).tolist() == [[[[2.5, 4.5], [10.5, 12.5]]]]
    assert npy(F.max_pool1d(x[0, 0], 3, stride=1)).tolist() == [[2.0, 3.0], [6.0, 7.0], [10.0, 11.0],
                                                                [14.0, 15.0]]


# ------------------------------------------------------------------ gradients (float64)
CONV_CASES = [
    ("conv1d", (2, 4, 7), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    ("conv1d", (1, 2, 6), (3, 2, 2), dict(padding="same", dilation=2)),
    ("conv2d", (2, 4, 5, 4), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    ("conv2d", (1, 3, 5, 5), (2, 3, 2, 2), dict(padding="same")),
    ("conv2d", (1, 2, 4, 4), (2, 2, 3, 3), dict(padding="valid")),
    ("conv2d", (2, 5, 5), (3, 2, 3, 3), dict(stride=2, padding=1)),  # unbatched
    ("conv3d", (1, 2, 3, 4, 3), (2, 1, 2, 2, 2), dict(stride=(1, 2, 1), padding=1, groups=2)),
]


@pytest.mark.parametrize("name,xs,ws,kw", CONV_CASES)
def test_conv_gradcheck(device, name, xs, ws, kw):
    fn = getattr(F, name)
    check_grad(lambda x, w, b: fn(x, w, b, **kw), r64(20, *xs), r64(21, *ws), r64(22, ws[0]),
               device=device)


@pytest.mark.parametrize("name,xs,ws,kw", [
    ("conv_transpose1d", (2, 4, 3), (4, 3, 2), dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", (1, 4, 3, 2), (4, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), groups=2, dilation=(1, 2))),
    ("conv_transpose2d", (2, 3, 3), (2, 3, 2, 2), dict(stride=2)),
])
def test_conv_transpose_gradcheck(device, name, xs, ws, kw):
    fn = getattr(F, name)
    out_ch = ws[1] * kw.get("groups", 1)
    check_grad(lambda x, w, b: fn(x, w, b, **kw), r64(23, *xs), r64(24, *ws), r64(25, out_ch),
               device=device)


def test_conv_third_derivative(device):
    # conv's backward is itself made of convolutions: a third derivative is still exact
    x = tinynn.tensor(r64(26, 1, 1, 4, 4), device=device, requires_grad=True)
    w = tinynn.tensor(r64(27, 1, 1, 2, 2), device=device, requires_grad=True)
    y = (F.conv2d(x, w) ** 2).sum()
    (gw,) = tinynn.autograd.grad(y, w, create_graph=True)
    (ggx,) = tinynn.autograd.grad(gw.sum(), x, create_graph=True)
    (gggw,) = tinynn.autograd.grad((ggx ** 2).sum(), w)
    # the same by hand with unfold: y = sum((W . cols)^2)
    cols = F.unfold(x.detach(), 2)
    ref_w = w.detach().clone().requires_grad_(True)
    xx = x.detach().clone().requires_grad_(True)
    yy = ((ref_w.reshape(1, 4) @ F.unfold(xx, 2)) ** 2).sum()
    (a,) = tinynn.autograd.grad(yy, ref_w, create_graph=True)
    (b,) = tinynn.autograd.grad(a.sum(), xx, create_graph=True)
    (c,) = tinynn.autograd.grad((b ** 2).sum(), ref_w)
    del cols
    assert_close(gggw, c, rtol=1e-10, atol=1e-10)


POOL_CASES = [
    (dict(kernel_size=2), (2, 2, 4, 6)),
    (dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (1, 2, 5, 6)),
    (dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), padding=1), (1, 2, 6, 7)),
    (dict(kernel_size=2, stride=1), (3, 4, 4)),
]


@pytest.mark.parametrize("kw,xs", POOL_CASES)
def test_max_pool2d_gradcheck(device, kw, xs):
    x = np.random.default_rng(30).permutation(np.prod(xs)).reshape(xs) / 7.0  # no ties
    check_grad(lambda x: F.max_pool2d(x, **kw), x, device=device)


@pytest.mark.parametrize("kw,xs", [(dict(kernel_size=3, stride=2, padding=1), (2, 3, 7)),
                                   (dict(kernel_size=2, ceil_mode=True, dilation=2), (1, 2, 6))])
def test_max_pool1d_gradcheck(device, kw, xs):
    x = np.random.default_rng(31).permutation(np.prod(xs)).reshape(xs) / 7.0
    check_grad(lambda x: F.max_pool1d(x, **kw), x, device=device)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                     count_include_pad=False),
                                dict(kernel_size=(2, 3), stride=1, divisor_override=4)])
def test_avg_pool2d_gradcheck(device, kw):
    check_grad(lambda x: F.avg_pool2d(x, **kw), r64(32, 1, 2, 5, 6), device=device)


def test_avg_pool1d_and_adaptive_gradcheck(device):
    check_grad(lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
               r64(33, 2, 2, 7), device=device)
    check_grad(lambda x: F.adaptive_avg_pool2d(x, (3, 4)), r64(34, 1, 2, 5, 7), device=device)
    check_grad(lambda x: F.adaptive_avg_pool2d(x, 2), r64(35, 1, 2, 4, 6), device=device)
    check_grad(lambda x: F.adaptive_avg_pool1d(x, 3), r64(36, 2, 5), device=device)
    x = np.random.default_rng(37).permutation(70).reshape(1, 2, 5, 7) / 7.0
    check_grad(lambda x: F.adaptive_max_pool2d(x, (2, 3)), x, device=device)
    check_grad(lambda x: F.adaptive_max_pool1d(x, 3), x[0], device=device)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck(device, mode):
    check_grad(lambda x: F.pad(x, (1, 2, 2, 1), mode=mode), r64(38, 1, 2, 3, 4), device=device)
    check_grad(lambda x: F.pad(x, (2, 1), mode=mode), r64(39, 2, 3, 4), device=device)


def test_resize_unfold_fold_gradcheck(device):
    x = r64(40, 1, 2, 3, 4)
    check_grad(lambda x: F.interpolate(x, scale_factor=2), x, device=device)
    check_grad(lambda x: F.interpolate(x, size=(5, 3), mode="bilinear"), x, device=device)
    check_grad(lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True), x,
               device=device)
    check_grad(lambda x: F.interpolate(x, size=5, mode="linear"), x[0], device=device)
    check_grad(lambda x: F.unfold(x, (2, 3), padding=1, stride=(1, 2)), x, device=device)
    check_grad(lambda c: F.fold(c, (3, 4), 2, padding=1), r64(41, 1, 8, 20), device=device)
    check_grad(lambda x: F.pixel_shuffle(x, 2), r64(42, 1, 8, 2, 3), device=device)
    check_grad(lambda x: F.pixel_unshuffle(x, 2), r64(43, 1, 2, 4, 2), device=device)


def test_max_unpool_roundtrip(device):
    x = t(r(44, 1, 2, 4, 4), device, True)
    p, i = F.max_pool2d(x, 2, return_indices=True)
    u = F.max_unpool2d(p, i, 2)
    assert tuple(u.shape) == (1, 2, 4, 4)
    # unpooling puts every maximum back where it came from, zeros elsewhere
    assert_close(F.max_pool2d(u, 2), p)
    assert int((npy(u) != 0).sum()) == 8
    u.sum().backward()
    assert int(npy(x.grad).sum()) == 8


# -------------------------------------------------------------------------- dtypes / errors
def test_float32_in_float32_out(device):
    x = t(r(45, 2, 3, 8, 8), device, True)
    conv = nn.Conv2d(3, 4, 3, padding=1).to(device)
    y = F.max_pool2d(F.relu(conv(x)), 2)
    y = F.avg_pool2d(y, 2) + F.adaptive_avg_pool2d(y, 2)
    assert y.dtype == tinynn.float32
    y.sum().backward()
    assert x.grad.dtype == conv.weight.grad.dtype == conv.bias.grad.dtype == tinynn.float32


def test_conv_errors(device):
    x = tinynn.zeros(1, 2, 5, 5, device=device)
    w = tinynn.zeros(3, 2, 3, 3, device=device)
    with pytest.raises(RuntimeError, match="expected input\\[1, 2, 5, 5\\] to have 3 channels, but got 2"):
        F.conv2d(x, tinynn.zeros(3, 3, 3, 3, device=device))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to conv2d"):
        F.conv2d(x[0, 0], w)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(x, tinynn.zeros(3, 2, 7, 7, device=device))
    with pytest.raises(RuntimeError, match="expected weight to be divisible by 2 at dimension 0"):
        F.conv2d(x, w, groups=2)
    with pytest.raises(RuntimeError, match="non-positive stride is not supported"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(RuntimeError, match="negative padding is not supported"):
        F.conv2d(x, w, padding=-1)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(x, w, padding="same", stride=2)
    with pytest.raises(RuntimeError, match="Invalid padding string: 'foo'"):
        F.conv2d(x, w, padding="foo")
    with pytest.raises(RuntimeError, match="expected stride to be a single integer value or a list of 2"):
        F.conv2d(x, w, stride=(1, 1, 1))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(x.double(), w)
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F.conv2d(x, w.double())
    with pytest.raises(RuntimeError, match="Input type \\(float\\) and bias type \\(double\\)"):
        F.conv2d(x, w, tinynn.zeros(3, dtype=tinynn.float64, device=device))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 4, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


def test_pool_pad_interpolate_errors(device):
    x = tinynn.zeros(1, 2, 6, 6, device=device)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size, but got "
                                           "pad=2, kernel_size=2 and dilation=1"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="Given input size: \\(2x6x6\\). Calculated output size: "
                                           "\\(2x0x0\\). Output size is too small"):
        F.max_pool2d(x, 7)
    with pytest.raises(RuntimeError, match="non-empty 3D or 4D \\(batch mode\\) tensor expected for input"):
        F.max_pool2d(x[0, 0], 2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.avg_pool2d(x, 7)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D input tensor"):
        F.pad(x, (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input "
                                           "dimension, but got: padding \\(6, 6\\) at dimension 3"):
        F.pad(x, (6, 6, 1, 1), mode="reflect")
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, scale_factor=2, mode="linear")


# --------------------------------------------------------------------------------- modules
def test_conv2d_module_defaults(device):
    tinynn.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3, padding=1).to(device)
    assert tuple(conv.weight.shape) == (32, 16, 3, 3) and tuple(conv.bias.shape) == (32,)
    assert list(conv.state_dict()) == ["weight", "bias"]
    # kaiming_uniform_(a=sqrt(5)) and the bias both draw from U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    bound = 1 / math.sqrt(16 * 9)
    wv, bv = npy(conv.weight), npy(conv.bias)
    assert np.abs(wv).max() <= bound and np.abs(bv).max() <= bound
    assert np.abs(wv).max() > 0.95 * bound
    assert abs(wv.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert repr(conv) == "Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.Conv2d(1, 2, 3, padding="same")) == \
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)"
    assert repr(nn.Conv1d(2, 4, 3, stride=2, padding_mode="reflect", bias=False, groups=2)) == \
        "Conv1d(2, 4, kernel_size=(3,), stride=(2,), groups=2, bias=False, padding_mode=reflect)"
    assert repr(nn.ConvTranspose2d(2, 3, (2, 3), stride=2, output_padding=1, dilation=2)) == \
        "ConvTranspose2d(2, 3, kernel_size=(2, 3), stride=(2, 2), dilation=(2, 2), output_padding=(1, 1))"
    assert tuple(nn.ConvTranspose2d(4, 6, 3, groups=2).weight.shape) == (4, 3, 3, 3)
    assert nn.Conv2d(2, 2, 1, bias=False).bias is None


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes(device, mode):
    tinynn.manual_seed(1)
    conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).to(device)
    x = t(r(46, 1, 2, 5, 6), device)
    ref = F.conv2d(F.pad(x, (2, 2, 1, 1), mode=mode), conv.weight, conv.bias)
    assert_close(conv(x), ref)


def test_conv_transpose_module_output_size(device):
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).to(device)
    x = t(r(47, 1, 2, 4, 4), device)
    assert tuple(m(x).shape) == (1, 3, 7, 7)
    assert tuple(m(x, output_size=(8, 8)).shape) == (1, 3, 8, 8)
    with pytest.raises(ValueError, match="requested an output size of \\(9, 9\\), but valid sizes range"):
        m(x, output_size=(9, 9))


def test_pool_modules(device):
    x = t(r(48, 2, 3, 6, 6), device)
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(2, divisor_override=3)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AdaptiveAvgPool2d((None, 3))) == "AdaptiveAvgPool2d(output_size=(None, 3))"
    assert_close(nn.MaxPool2d(3, 2, 1, ceil_mode=True)(x), F.max_pool2d(x, 3, 2, 1, ceil_mode=True))
    y, i = nn.MaxPool2d(2, return_indices=True)(x)
    assert tuple(i.shape) == (2, 3, 3, 3)
    assert_close(nn.AvgPool2d(3, 1, 1, count_include_pad=False)(x),
                 F.avg_pool2d(x, 3, 1, 1, count_include_pad=False))
    assert tuple(nn.AdaptiveAvgPool2d((None, 4))(x).shape) == (2, 3, 6, 4)
    assert tuple(nn.AdaptiveMaxPool2d(4)(x).shape) == (2, 3, 4, 4)
    assert tuple(nn.AdaptiveAvgPool1d(2)(x[0]).shape) == (3, 6, 2)
    assert tuple(nn.MaxPool1d(2)(x[0]).shape) == (3, 6, 3)
    assert_close(nn.LPPool2d(2, 2)(x), (F.avg_pool2d(x * x, 2) * 4).sqrt(), rtol=1e-5)
    assert tuple(nn.Upsample(scale_factor=2, mode="bilinear")(x).shape) == (2, 3, 12, 12)
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.ZeroPad2d((1, 2, 3, 4))) == "ZeroPad2d((1, 2, 3, 4))"
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert tuple(nn.ReflectionPad2d(1)(x).shape) == (2, 3, 8, 8)
    assert tuple(nn.PixelShuffle(2)(t(r(49, 1, 8, 2, 2), device)).shape) == (1, 2, 4, 4)
    assert tuple(nn.Unfold(2)(x).shape) == (2, 12, 25)
    assert tuple(nn.Fold((6, 6), 2)(nn.Unfold(2)(x)).shape) == (2, 3, 6, 6)


def test_small_cnn_trains(device):
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, 2)).to(device)
    rng = np.random.default_rng(50)
    x = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    x[:8] += 0.5  # class 1: brighter images
    y = (np.arange(16) < 8).astype(np.int64)
    xt, yt = t(x, device), tinynn.tensor(y, device=device)
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(model(xt), yt)
        model.zero_grad()
        loss.backward()
        with tinynn.no_grad():
            for p in model.parameters():
                p -= 0.3 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------- live comparison with torch
LIVE = [
    ("conv2d", (2, 4, 7, 6), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    ("conv2d", (2, 3, 6, 6), (4, 3, 2, 2), dict(padding="same", dilation=2)),
    ("conv2d", (3, 5, 5), (2, 3, 3, 3), dict()),
    ("conv1d", (2, 3, 9), (6, 1, 3), dict(groups=3, stride=2, padding=1)),
    ("conv3d", (1, 2, 4, 5, 5), (2, 2, 2, 3, 2), dict(stride=(1, 2, 1), padding=1)),
]


@pytest.mark.parametrize("name,xs,ws,kw", LIVE)
def test_conv_live_torch(device, name, xs, ws, kw):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional live oracle)")
    x, w, b = r(60, *xs), r(61, *ws), r(62, ws[0])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    nx, nw, nb = (t(a, device, True) for a in (x, w, b))
    ty = getattr(torch.nn.functional, name)(tx, tw, tb, **kw)
    ny = getattr(F, name)(nx, nw, nb, **kw)
    g = r(63, *ty.shape)
    ty.backward(torch.tensor(g))
    ny.backward(t(g, device))
    for a, b_ in ((ny, ty), (nx.grad, tx.grad), (nw.grad, tw.grad), (nb.grad, tb.grad)):
        assert_close(a, b_.detach().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), padding=1),
                                dict(kernel_size=3, stride=1, padding=1)])
def test_pool_live_torch(device, kw):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional live oracle)")
    x = r(64, 2, 3, 9, 8)
    x[x < 0] = 0.0  # ReLU-like input: many ties
    tx, nx = torch.tensor(x, requires_grad=True), t(x, device, True)
    ty, ti = torch.nn.functional.max_pool2d(tx, return_indices=True, **kw)
    ny, ni = F.max_pool2d(nx, return_indices=True, **kw)
    g = r(65, *ty.shape)
    ty.backward(torch.tensor(g))
    ny.backward(t(g, device))
    assert_close(ny, ty.detach().numpy())
    assert_close(nx.grad, tx.grad.numpy())
    assert (npy(ni) == ti.numpy()).all()
    kw.pop("dilation", None)
    for cip in (True, False):
        tx, nx = torch.tensor(x, requires_grad=True), t(x, device, True)
        ty = torch.nn.functional.avg_pool2d(tx, count_include_pad=cip, **kw)
        ny = F.avg_pool2d(nx, count_include_pad=cip, **kw)
        g = r(66, *ty.shape)
        ty.backward(torch.tensor(g))
        ny.backward(t(g, device))
        assert_close(ny, ty.detach().numpy())
        assert_close(nx.grad, tx.grad.numpy())

# printed once from PyTorch 2.13 (see the seeds above); rounded to 5 decimals
EXPECTED = {'adaptive_avg': [[[[-0.43875, 0.11809, 0.24885, 0.27194], [-0.0901, -0.10768, -0.13362, 0.00491],
                    [-0.19809, -0.12223, 0.36544, -0.25969]],
                   [[0.14885, 0.67553, 0.82048, 0.8517], [-0.11316, 0.06108, 0.02173, 0.3354],
                    [0.095, -0.38955, -0.02567, -0.01466]]]],
 'adaptive_max': {'i': [[[[2, 4, 4], [30, 30, 33]], [[9, 3, 12], [28, 25, 25]]]],
                  'y': [[[[1.03935, 1.81785, 1.81785], [1.18633, 1.18633, 1.50806]],
                         [[0.99181, 1.35828, 1.61614], [2.03699, 2.2645, 2.2645]]]]},
 'avgpool2d': {'gx': [[[[-0.35772, -0.51381, -0.15609, -0.09043, 0.06566, -0.19639],
                        [-0.27012, -0.3365, -0.06639, -0.16112, -0.09474, -0.01776],
                        [0.0876, 0.17731, 0.0897, -0.07069, -0.16039, 0.17863],
                        [-0.06131, 0.37741, 0.43872, 0.39977, -0.03894, 0.03058],
                        [-0.14891, 0.2001, 0.34901, 0.47046, 0.12145, -0.14805]]]],
               'y': [[[[0.06524, -0.80417, -0.18956, 0.18535], [0.14743, 0.5168, 0.13045, -0.05648],
                       [-0.5517, 0.05495, -0.233, -0.1503]]]]},
 'conv1d_groups': {'gw': [[[-1.00857, -0.41509, 0.73076], [1.18711, -0.35105, 0.96236]],
                          [[-0.28891, -0.89806, 2.16539], [2.16616, -0.36067, 0.32769]],
                          [[-1.90664, 3.06259, 2.42331], [1.19088, 3.12102, 0.93657]],
                          [[-0.14189, -0.49935, 1.92987], [1.17859, 1.84065, -0.28466]]],
                   'gx': [[[-1.33114, -0.24402, -0.14998, -1.83165, -1.97162],
                           [-0.15794, 0.66617, 0.22158, 0.38336, -0.45514],
                           [-0.83573, -0.62028, 1.18652, -0.8139, 0.30699],
                           [0.02728, 1.23785, 1.7719, 1.63142, -0.60711]],
                          [[1.22822, -1.92627, -3.66542, 1.656, -0.73707],
                           [0.23114, -1.21677, -1.1835, -0.06286, -0.11145],
                           [-1.04697, 2.44084, -2.24327, 3.44848, -0.32374],
                           [-2.47623, -4.09113, -1.76963, -5.2396, -2.35818]]],
                   'y': [[[1.3208, -2.61633, 4.01486], [-0.97152, -2.36474, 2.68063],
                          [-1.57003, -2.98961, -2.70848], [1.33025, -2.94652, 0.71303]],
                         [[-4.06049, 0.61601, 0.06676], [1.00524, 0.19799, -0.34369],
                          [-2.97655, -2.59012, -1.288], [-2.14227, 1.06667, -1.71578]]]},
 'conv2d': {'gb': [1.40633, -5.80044, -1.80504],
            'gw': [[[[-1.17603, -1.9574], [-0.92656, 0.23228]],
                    [[3.0846, 1.58051], [4.99862, 4.89399]]],
                   [[[-2.00237, 0.36579], [2.96483, -1.00399]],
                    [[5.13466, -3.11007], [-2.19751, -0.73088]]],
                   [[[-0.56834, 0.58714], [-0.3849, -2.2267]],
                    [[1.8266, 2.58109], [4.20246, 3.31402]]]],
            'gx': [[[[-0.72427, 0.19312, 0.85613, 0.59977], [1.26943, 1.74565, -1.71403, -3.80936],
                     [-1.59674, 3.26392, 2.57492, 3.23128], [-1.7805, 2.60828, -2.38127, 0.05952]],
                    [[-0.6129, -3.09618, 0.47472, -1.16453], [2.63661, -4.60241, 4.38163, 1.5318],
                     [0.49573, -3.87583, 5.52108, -2.32851],
                     [-0.62977, -1.39706, -0.40141, -0.10888]]]],
            'y': [[[[0.73785, 3.97661, 1.30645, 1.8416], [-0.90305, 1.63742, 0.88862, 0.74132],
                    [2.05815, 7.0386, 0.1514, 3.7783], [-0.27418, -2.98428, -2.07199, 1.73175]],
                   [[-2.66695, -1.62853, -2.52503, -2.49183],
                    [-2.68299, -2.90372, -2.00279, -2.25736],
                    [-2.55552, -3.71455, -3.59487, -2.63996],
                    [-1.22219, -1.43894, -1.82014, -2.4902]],
                   [[-0.09333, 1.54594, 0.27835, 0.77778], [-1.17366, -0.6548, 0.11465, -0.11384],
                    [0.32982, 2.76478, -0.6736, 1.85316],
                    [-0.11569, -1.71457, -1.4224, 0.28653]]]]},
 'conv_transpose2d': {'gb': [-0.63159, -5.54979, 6.06612],
                      'gw': [[[[-0.86803, 0.69587], [-2.86899, -3.99493]],
                              [[-0.54153, 1.28471], [0.39143, 1.01587]],
                              [[-0.07971, -0.74551], [-2.30378, -3.50275]]],
                             [[[0.11435, 1.94828], [0.11371, 0.30893]],
                              [[-2.46299, -1.60424], [1.50957, -1.78811]],
                              [[2.76327, -1.74638], [2.68219, 3.74423]]]],
                      'gx': [[[[1.77251, -2.73511, 0.54786], [1.21386, -2.26843, -0.32995],
                               [1.46145, -0.49939, -0.23952]],
                              [[1.97837, 0.04569, 1.93643], [-0.95117, -1.9312, -3.74017],
                               [2.47684, -0.84454, 0.84194]]]],
                      'y': [[[[-1.85708, 1.7447, -1.76713, 1.10731, -2.0111],
                              [0.97995, 0.68158, 2.13237, -0.92055, -2.79779],
                              [-1.0952, 3.97095, -2.20244, -1.33047, -1.40883],
                              [0.2037, -1.81872, -0.99397, -1.94012, 2.76123],
                              [-1.56184, -2.61871, -0.5289, -1.49844, -0.07554]],
                             [[1.02456, -1.68899, 0.14446, -1.28411, -1.14982],
                              [0.63136, -4.3591, 2.41801, -0.51133, -1.54964],
                              [0.53658, -2.48277, 1.0582, -0.47543, -1.79854],
                              [0.55812, 0.32482, -1.1889, -0.57763, 0.84707],
                              [-0.007, -0.31874, -0.56779, -1.04218, 1.77583]],
                             [[0.02889, 0.76639, -0.86868, 2.06546, -2.8258],
                              [-0.31869, -0.46956, 1.49253, -0.44695, -0.74044],
                              [0.73696, 1.62629, -0.51583, 0.59735, -2.57975],
                              [0.15721, -1.1172, -1.56039, -1.73279, -1.33922],
                              [-0.70171, -2.53312, 0.37855, -4.91932, 3.94205]]]]},
 'interp_bilinear': [[[[1.10126, 0.71985, 0.19203, -0.39357, -0.90011, -1.26024],
                       [-0.77116, -0.3163, -0.00272, -0.56782, -0.86339, -1.01769],
                       [-1.26738, -0.63759, -0.23323, -1.13496, -0.77928, -0.19817],
                       [-0.22197, -0.13691, -0.42267, -1.90596, -0.67582, 0.92515]]]],
 'interp_bilinear_ac': [[[[1.10126, 0.77433, 0.44741, 0.08746, -0.289, -0.64287, -0.95155,
                           -1.26024],
                          [-0.09709, 0.03474, 0.16657, -0.03484, -0.40286, -0.71347, -0.90924,
                           -1.10501],
                          [-1.29544, -0.70486, -0.11427, -0.15713, -0.51672, -0.78407, -0.86692,
                           -0.94977],
                          [-1.56009, -0.88953, -0.21898, -0.31213, -0.78714, -1.01937, -0.76603,
                           -0.5127],
                          [-0.89103, -0.5193, -0.14756, -0.49984, -1.21411, -1.41936, -0.60657,
                           0.20623],
                          [-0.22197, -0.14906, -0.07615, -0.68754, -1.64109, -1.81936, -0.44711,
                           0.92515]]]],
 'interp_nearest': [[[[1.10126, 1.10126, 0.33843, -0.53997, -0.53997, -1.26024],
                      [1.10126, 1.10126, 0.33843, -0.53997, -0.53997, -1.26024],
                      [-1.89462, -1.89462, 0.01864, -0.81057, -0.81057, -0.87216],
                      [-0.22197, -0.22197, -0.05185, -2.27678, -2.27678, 0.92515]]]],
 'maxpool2d': {'gx': [[[[1.82676, -3.07833, 0.0, 0.0, 0.95806], [0.0, 1.31825, 0.0, 0.0, 0.38563],
                        [0.0, 0.0, 0.0, 0.0, 0.0], [1.8969, 0.0, 0.03174, 0.0, -0.51623],
                        [0.0, 0.0, 0.0, 0.0, 0.0]],
                       [[0.0, 0.0, 0.0, 0.07527, 0.0], [0.33318, 0.0, 0.0, 0.0, 0.0],
                        [0.0, 0.0, 0.0, 0.0, 0.70432], [0.0, 0.0, 0.35173, 0.0, -1.80679],
                        [-0.49393, 0.0, 0.0, 0.0, 0.0]]]],
               'i': [[[[0, 1, 4], [15, 6, 9], [15, 17, 19]],
                      [[5, 3, 3], [5, 17, 14], [20, 17, 19]]]],
               'y': [[[[1.0, 1.0, 1.61878], [1.77539, 1.0, 0.99876], [1.77539, 0.94935, 0.61286]],
                      [[0.82356, 0.76633, 0.76633], [0.82356, 0.95311, 1.81969],
                       [0.61275, 0.95311, 0.59387]]]]},
 'pad_circular': [[[[-0.87216, -1.89462, 0.01864, -0.81057, -0.87216, -1.89462, 0.01864],
                    [0.92515, -0.22197, -0.05185, -2.27678, 0.92515, -0.22197, -0.05185],
                    [-1.26024, 1.10126, 0.33843, -0.53997, -1.26024, 1.10126, 0.33843],
                    [-0.87216, -1.89462, 0.01864, -0.81057, -0.87216, -1.89462, 0.01864],
                    [0.92515, -0.22197, -0.05185, -2.27678, 0.92515, -0.22197, -0.05185],
                    [-1.26024, 1.10126, 0.33843, -0.53997, -1.26024, 1.10126, 0.33843]]]],
 'pad_reflect': [[[[-0.81057, 0.01864, -1.89462, 0.01864, -0.81057, -0.87216, -0.81057],
                   [-0.53997, 0.33843, 1.10126, 0.33843, -0.53997, -1.26024, -0.53997],
                   [-0.81057, 0.01864, -1.89462, 0.01864, -0.81057, -0.87216, -0.81057],
                   [-2.27678, -0.05185, -0.22197, -0.05185, -2.27678, 0.92515, -2.27678],
                   [-0.81057, 0.01864, -1.89462, 0.01864, -0.81057, -0.87216, -0.81057],
                   [-0.53997, 0.33843, 1.10126, 0.33843, -0.53997, -1.26024, -0.53997]]]],
 'pad_replicate': [[[[1.10126, 1.10126, 1.10126, 0.33843, -0.53997, -1.26024, -1.26024],
                     [1.10126, 1.10126, 1.10126, 0.33843, -0.53997, -1.26024, -1.26024],
                     [-1.89462, -1.89462, -1.89462, 0.01864, -0.81057, -0.87216, -0.87216],
                     [-0.22197, -0.22197, -0.22197, -0.05185, -2.27678, 0.92515, 0.92515]]]]}
