"""nn.init: gains and fans as PyTorch computes them, the distributions of every fill (bounds and
statistics), reproducibility with generators, no autograd history, errors; and the default
initialisation of the layers in this area."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.init as init
from helpers import assert_close


def _np(t):
    return t.detach().cpu().numpy().astype(np.float64)


def test_calculate_gain_matches_torch():
    names = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
             "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    expected = [1, 1, 1, 1, 1, 1, 1, 1, 1.6666666666666667, 1.4142135623730951, 1.4141428569978354, 0.75]
    assert [init.calculate_gain(n) for n in names] == pytest.approx(expected, rel=1e-15)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(1.3867504905630728, rel=1e-15)
    assert init.calculate_gain("leaky_relu", 5 ** 0.5) == pytest.approx(0.5773502691896257, rel=1e-15)
    assert init.calculate_gain("leaky_relu", 1) == 1.0
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(tinynn.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(tinynn.empty(16, 4, 3, 3)) == (36, 144)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer "
                                         "than 2 dimensions"):
        init.xavier_uniform_(tinynn.empty(3))


def test_simple_fills(device):
    t = tinynn.empty(3, 4, device=device)
    assert init.constant_(t, 0.3) is t and (_np(t) == np.float32(0.3)).all()
    assert (_np(init.zeros_(t)) == 0).all() and (_np(init.ones_(t)) == 1).all()
    assert _np(init.eye_(tinynn.empty(2, 3, device=device))).tolist() == [[1, 0, 0], [0, 1, 0]]
    w = init.dirac_(tinynn.empty(3, 4, 3, 3, device=device))
    assert _np(w[:, :, 1, 1]).tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    assert _np(w).sum() == 3
    w2 = init.dirac_(tinynn.empty(4, 2, 3, device=device), 2)
    assert _np(w2[:, :, 1]).tolist() == [[1, 0], [0, 1], [1, 0], [0, 1]]
    assert init.dirac_(tinynn.empty(2, 2, 1, 1, 1, device=device)).sum().item() == 2


def test_uniform_and_normal_statistics(device):
    tinynn.manual_seed(0)
    u = _np(init.uniform_(tinynn.empty(200, 250, device=device), -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.02 and abs(u.var() - 25 / 12) < 0.03
    n = _np(init.normal_(tinynn.empty(200, 250, device=device), 1.0, 0.5))
    assert abs(n.mean() - 1.0) < 0.01 and abs(n.std() - 0.5) < 0.01


def test_xavier_and_kaiming(device):
    tinynn.manual_seed(1)
    t = tinynn.empty(300, 200, device=device)
    a = math.sqrt(6.0 / 500)
    x = _np(init.xavier_uniform_(t))
    assert x.max() <= a and x.min() >= -a and abs(x.std() - a / math.sqrt(3)) < 0.02 * a
    x = _np(init.xavier_uniform_(t, gain=2.0))
    assert x.max() <= 2 * a and x.max() > 1.9 * a
    x = _np(init.xavier_normal_(t))
    assert abs(x.std() - math.sqrt(2.0 / 500)) < 0.01 * math.sqrt(2.0 / 500) * 3
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 200)  # relu gain, fan_in
    k = _np(init.kaiming_uniform_(t, nonlinearity="relu"))
    assert k.max() <= bound and k.min() >= -bound and k.max() > 0.99 * bound
    bound_out = math.sqrt(2.0) * math.sqrt(3.0 / 300)
    k = _np(init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"))
    assert k.max() <= bound_out and k.max() > 0.99 * bound_out
    k = _np(init.kaiming_normal_(t, a=0.2, mode="fan_in", nonlinearity="leaky_relu"))
    std = math.sqrt(2.0 / (1 + 0.04)) / math.sqrt(200)
    assert abs(k.std() - std) < 0.02 * std
    with pytest.raises(ValueError, match=r"Mode fan_x not supported, please use one of \['fan_in', "
                                         r"'fan_out'\]"):
        init.kaiming_uniform_(t, mode="fan_x")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        e = tinynn.empty(0, 3, device=device)
        assert init.kaiming_uniform_(e) is e and init.kaiming_normal_(e) is e
    assert [str(m.message) for m in w] == ["Initializing zero-element tensors is a no-op"] * 2


def test_orthogonal(device):
    tinynn.manual_seed(2)
    for shape in [(6, 4), (4, 6), (5, 5), (3, 2, 2, 2)]:
        w = init.orthogonal_(tinynn.empty(*shape, device=device), gain=2.0)
        m = _np(w).reshape(shape[0], -1)
        g = m @ m.T if shape[0] <= m.shape[1] else m.T @ m
        assert_close(g, 4.0 * np.eye(g.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(tinynn.empty(3, device=device))


def test_trunc_normal(device):
    tinynn.manual_seed(3)
    t = _np(init.trunc_normal_(tinynn.empty(300, 300, device=device), mean=0.5, std=1.0, a=-1.0, b=1.5))
    assert t.min() >= -1.0 and t.max() <= 1.5
    # the mean of N(0.5, 1) truncated to [-1, 1.5]
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    al, be = -1.5, 1.0
    mean = 0.5 + (phi(al) - phi(be)) / (cdf(be) - cdf(al))
    assert abs(t.mean() - mean) < 0.01
    # a narrow window far in the tail uses the other sampler
    with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\]"):
        tail = _np(init.trunc_normal_(tinynn.empty(2000, device=device), mean=0.0, std=0.1, a=0.5, b=0.6))
    assert tail.min() >= 0.5 and tail.max() <= 0.6 and tail.mean() < 0.525
    small = _np(init.trunc_normal_(tinynn.empty(4000, device=device), std=0.02))
    assert np.abs(small).max() <= 2.0 and abs(small.std() - 0.02) < 0.002


def test_sparse(device):
    tinynn.manual_seed(4)
    w = _np(init.sparse_(tinynn.empty(10, 7, device=device), sparsity=0.3, std=0.5))
    assert ((w == 0).sum(0) == 3).all()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(tinynn.empty(2, 2, 2, device=device), 0.5)


def test_errors():
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(tinynn.empty(2, 2, 2))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(tinynn.empty(2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(tinynn.empty(3, 2, 3, 3), groups=2)
    with pytest.warns(FutureWarning, match="`nn.init.uniform` is now deprecated in favor of "
                                           "`nn.init.uniform_`."):
        init.uniform(tinynn.empty(2))


def test_generator_and_seed_reproducibility(device):
    g1 = tinynn.Generator(device=device).manual_seed(5)
    g2 = tinynn.Generator(device=device).manual_seed(5)
    a = init.kaiming_uniform_(tinynn.empty(4, 3, device=device), generator=g1)
    b = init.kaiming_uniform_(tinynn.empty(4, 3, device=device), generator=g2)
    assert_close(a, b, rtol=0, atol=0)
    tinynn.manual_seed(6)
    c = nn.Linear(5, 4).to(device)
    tinynn.manual_seed(6)
    d = nn.Linear(5, 4).to(device)
    assert_close(c.weight, d.weight, rtol=0, atol=0)
    assert_close(c.bias, d.bias, rtol=0, atol=0)


def test_fills_record_no_history_on_parameters(device):
    p = nn.Parameter(tinynn.empty(3, 4, device=device))
    for fn in (lambda t: init.normal_(t), lambda t: init.xavier_uniform_(t), lambda t: init.orthogonal_(t),
               lambda t: init.trunc_normal_(t), lambda t: init.constant_(t, 1.0), lambda t: init.eye_(t),
               lambda t: init.kaiming_normal_(t), lambda t: init.sparse_(t, 0.5)):
        out = fn(p)
        assert out is p and p.is_leaf and p.requires_grad and p.grad_fn is None


# ---------------------------------------------------------------------------- layer defaults
def test_linear_default_init_like_torch(device):
    tinynn.manual_seed(7)
    lin = nn.Linear(400, 300).to(device)
    bound = 1.0 / math.sqrt(400)
    w, b = _np(lin.weight), _np(lin.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    assert lin.weight.dtype == tinynn.float32 and lin.weight.requires_grad
    assert nn.Linear(3, 2, dtype=tinynn.float64).weight.dtype == tinynn.float64
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        empty = nn.Linear(0, 3)
    assert (_np(empty.bias) == 0).all()


def test_other_layer_defaults(device):
    tinynn.manual_seed(8)
    bl = nn.Bilinear(50, 20, 30).to(device)
    bound = 1.0 / math.sqrt(50)
    assert np.abs(_np(bl.weight)).max() <= bound and np.abs(_np(bl.bias)).max() <= bound
    assert abs(_np(bl.weight).std() - bound / math.sqrt(3)) < 0.02 * bound
    emb = nn.Embedding(300, 100, padding_idx=3).to(device)
    e = _np(emb.weight)
    assert (e[3] == 0).all() and abs(e.mean()) < 0.02 and abs(e.std() - 1.0) < 0.02
    assert (_np(nn.PReLU(3).weight) == np.float32(0.25)).all()
    assert (_np(nn.PReLU(init=0.1).weight) == np.float32(0.1)).all()
    lin = nn.Linear(10, 10)
    w_before = _np(lin.weight)
    lin.reset_parameters()
    assert not np.array_equal(_np(lin.weight), w_before)
