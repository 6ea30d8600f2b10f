"""Numerics (issue 9, item 4): anomaly detection as PyTorch's, and stable formulations.

* `tinynn.autograd.detect_anomaly()` / `set_detect_anomaly(True)` raise at the backward node that
  first produces NaN, naming the node and the forward call that created it (PyTorch's message and
  its "Error detected in ..." warning); the mode is global, as PyTorch's, and off by default;
* softmax, log_softmax, logsumexp, sigmoid, logsigmoid, softplus, BCE with logits, cross-entropy
  at +-1e4, and norms of zero vectors (with PyTorch's subgradient 0), values and gradients against
  PyTorch 2.13 literals; none of them lets NumPy overflow (no RuntimeWarning: PyTorch is silent).
"""
from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import tinynn
from tinynn import autograd
from tinynn.nn import functional as F

from helpers import assert_close

INF = float("inf")
NAN = float("nan")
BIG = [1e4, -1e4, 0.0]


# ------------------------------------------------------------------------------------------------
# anomaly detection
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def anomaly_off():
    """Every test starts and ends with anomaly mode off (it is global)."""
    autograd.set_detect_anomaly(False)
    yield
    autograd.set_detect_anomaly(False)


def _nan_at_sqrt(device):
    x = tinynn.tensor([0.0, 1.0], device=device, requires_grad=True)
    y = x.sqrt()  # forward is fine; d/dx sqrt(x) = inf at 0
    z = y * 0     # backward: 0 * inf = nan, first made by SqrtBackward0
    return x, z.sum()


def test_detect_anomaly_names_the_first_nan_node_and_its_forward_call(device, anomaly_off):
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = autograd.detect_anomaly()
    with ctx:
        assert autograd.is_anomaly_enabled()
        x, loss = _nan_at_sqrt(device)
        with pytest.warns(UserWarning, match=r"Error detected in SqrtBackward0\. Traceback of "
                                             r"forward call that caused the error:") as rec:
            with pytest.raises(RuntimeError, match=r"^Function 'SqrtBackward0' returned nan values "
                                                   r"in its 0th output\.") as err:
                loss.backward()
    assert not autograd.is_anomaly_enabled()
    msg = str(err.value)
    # the forward call site is this test's `y = x.sqrt()` line, not tinynn's internals
    assert "test_numerics.py" in msg and "y = x.sqrt()" in msg
    assert "tinynn/tensor.py" not in msg and "tinynn/ops" not in msg
    assert any("y = x.sqrt()" in str(w.message) for w in rec)
    assert x.grad is None  # the error came before anything reached the leaf


def test_anomaly_reports_the_node_where_nan_first_appears_not_later_ones(device, anomaly_off):
    """NaN born in LogBackward0 (0/0) would flow on through MulBackward0: the error names
    LogBackward0, the first node (in backward order) whose output has NaN."""
    x = tinynn.tensor([0.0, 2.0], device=device, requires_grad=True)
    a = x * 1.0                    # MulBackward0 (would pass the NaN on)
    b = a.log()                    # log(0) = -inf: LogBackward0 computes g / a = g / 0
    c = b.clamp(min=-5.0).exp()    # the clamped entry sends g = 0 back: 0 / 0 = nan in LogBackward0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="^Function 'LogBackward0' returned nan"):
                c.sum().backward()


def test_set_detect_anomaly_as_call_and_context_manager(device, anomaly_off):
    autograd.set_detect_anomaly(True)
    assert autograd.is_anomaly_enabled()
    x, loss = _nan_at_sqrt(device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            loss.backward()
    autograd.set_detect_anomaly(False)
    assert not autograd.is_anomaly_enabled()
    with autograd.set_detect_anomaly(True):
        assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()


def test_without_anomaly_mode_nan_gradients_flow_silently(device, anomaly_off):
    """As in PyTorch: no check, the NaN simply reaches .grad."""
    x, loss = _nan_at_sqrt(device)
    loss.backward()
    g = x.grad.cpu().numpy()
    assert np.isnan(g[0]) and g[1] == 0.0


def test_anomaly_check_nan_false_does_not_raise(device, anomaly_off):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly(check_nan=False):
            x, loss = _nan_at_sqrt(device)
            loss.backward()
    assert np.isnan(x.grad.cpu().numpy()[0])


def test_anomaly_as_decorator_and_with_a_custom_function(device, anomaly_off):
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * NAN

    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        deco = autograd.detect_anomaly()

    @deco
    def step(x):
        return Bad.apply(x).sum().backward()

    x = tinynn.ones(3, device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="^Function 'BadBackward' returned nan values in its "
                                               "0th output") as err:
            step(x)
    assert "Bad.apply(x)" in str(err.value)
    assert not autograd.is_anomaly_enabled()


def test_anomaly_in_double_backward(device, anomaly_off):
    """With create_graph the recorded backward ops are checked when differentiated again."""
    x = tinynn.tensor([0.0, 4.0], dtype=tinynn.float64, device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly():
            (g,) = autograd.grad((x ** 3).sum(), x, create_graph=True)   # 3x^2, fine
            assert_close(g, [0.0, 48.0])
            (gg,) = autograd.grad(g.sum(), x)                              # 6x, fine
            assert_close(gg, [0.0, 24.0])
            y = x.sqrt()
            (g,) = autograd.grad(y.sum(), x, create_graph=True)            # 1/(2 sqrt x): inf at 0
            with pytest.raises(RuntimeError, match="returned nan values"):
                autograd.grad((g * 0).sum(), x)                            # 0 * d(inf)/dx = nan


def test_anomaly_mode_is_global_like_pytorch(anomaly_off):
    """PyTorch's anomaly mode is one process-wide flag (grad mode, by contrast, is per thread)."""
    seen = []
    autograd.set_detect_anomaly(True)
    t = threading.Thread(target=lambda: seen.append(autograd.is_anomaly_enabled()))
    t.start()
    t.join()
    autograd.set_detect_anomaly(False)
    assert seen == [True]


# ------------------------------------------------------------------------------------------------
# stable formulations: PyTorch 2.13 float32 values and gradients of (f(x) * [1, 2, 3, ...]).sum()
# ------------------------------------------------------------------------------------------------
LITERALS = {
    "softmax": ([1.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    "softmax_neginf": ([0.0, 0.2689414322376251, 0.7310585975646973],
                       [-0.0, -0.1966119408607483, 0.1966119259595871]),
    "log_softmax": ([0.0, -20000.0, -10000.0], [-5.0, 2.0, 3.0]),
    "log_softmax_neginf": ([-INF, -1.31326162815094, -0.31326165795326233],
                           [1.0, 0.38635140657424927, -1.3863515853881836]),
    "logsumexp_pos": (10000.693359375, [0.4998939037322998, 0.4998939037322998, 0.0]),
    "logsumexp_neg": (-9999.306640625, [0.4998939037322998, 0.4998939037322998]),
    "sigmoid": ([1.0, 0.0, 0.5], [0.0, 0.0, 0.75]),
    "logsigmoid": ([0.0, -10000.0, -0.6931471824645996], [0.0, 2.0, 1.5]),
    "softplus": ([10000.0, 0.0, 0.6931471824645996], [1.0, 0.0, 1.5]),
    "bce_logits_t0": ([10000.0, 10000.0, 0.6931471824645996], [1.0, -2.0, 0.0]),
    "bce_logits_t1": ([0.0, 0.0, 0.6931471824645996], [0.0, 0.0, 0.0]),
    "bce_logits_pw": ([0.0, 0.0, 1.732867956161499], [0.0, 0.0, -2.25]),
    "cross_entropy": (20000.0, [1.0, -1.0, 0.0]),
    "norm2_zero": (0.0, [0.0, 0.0, 0.0]),
    "norm1_zero": (0.0, [0.0, 0.0, 0.0]),
    "norm3_zero": (0.0, [0.0, 0.0, 0.0]),
    "norminf_zero": (0.0, [0.0, 0.0, 0.0]),
    "norm_dim_zero": ([0.0], [0.0, 0.0, 0.0]),
    "normalize_zero": ([[0.0, 0.0, 0.0]], [999999995904.0, 1999999991808.0, 3000000053248.0]),
    "cosine_zero": ([0.0], [57735028.0, 57735028.0, 57735028.0]),
    "pairwise_zero": ([1.7320508050033823e-06],
                      [0.5773502588272095, 0.5773502588272095, 0.5773502588272095]),
}

CASES = {
    "softmax": (lambda x, d: tinynn.softmax(x, 0), BIG),
    "softmax_neginf": (lambda x, d: tinynn.softmax(x, 0), [-INF, 0.0, 1.0]),
    "log_softmax": (lambda x, d: tinynn.log_softmax(x, 0), BIG),
    "log_softmax_neginf": (lambda x, d: tinynn.log_softmax(x, 0), [-INF, 0.0, 1.0]),
    "logsumexp_pos": (lambda x, d: tinynn.logsumexp(x, 0), [1e4, 1e4, -1e4]),
    "logsumexp_neg": (lambda x, d: tinynn.logsumexp(x, 0), [-1e4, -1e4]),
    "sigmoid": (lambda x, d: tinynn.sigmoid(x), BIG),
    "logsigmoid": (lambda x, d: F.logsigmoid(x), BIG),
    "softplus": (lambda x, d: F.softplus(x), BIG),
    "bce_logits_t0": (lambda x, d: F.binary_cross_entropy_with_logits(
        x, tinynn.tensor([0.0, 1.0, 0.5], device=d), reduction="none"), BIG),
    "bce_logits_t1": (lambda x, d: F.binary_cross_entropy_with_logits(
        x, tinynn.tensor([1.0, 0.0, 0.5], device=d), reduction="none"), BIG),
    "bce_logits_pw": (lambda x, d: F.binary_cross_entropy_with_logits(
        x, tinynn.tensor([1.0, 0.0, 0.5], device=d), reduction="none",
        pos_weight=tinynn.tensor([2.0, 3.0, 4.0], device=d)), BIG),
    "cross_entropy": (lambda x, d: F.cross_entropy(x.reshape(1, 3), tinynn.tensor([1], device=d)),
                      BIG),
    "norm2_zero": (lambda x, d: x.norm(), [0.0, 0.0, 0.0]),
    "norm1_zero": (lambda x, d: x.norm(p=1), [0.0, 0.0, 0.0]),
    "norm3_zero": (lambda x, d: x.norm(p=3), [0.0, 0.0, 0.0]),
    "norminf_zero": (lambda x, d: x.norm(p=INF), [0.0, 0.0, 0.0]),
    "norm_dim_zero": (lambda x, d: x.reshape(1, 3).norm(dim=1), [0.0, 0.0, 0.0]),
    "normalize_zero": (lambda x, d: F.normalize(x.reshape(1, 3)), [0.0, 0.0, 0.0]),
    "cosine_zero": (lambda x, d: F.cosine_similarity(x.reshape(1, 3), tinynn.ones(1, 3, device=d)),
                    [0.0, 0.0, 0.0]),
    "pairwise_zero": (lambda x, d: F.pairwise_distance(x.reshape(1, 3), tinynn.zeros(1, 3, device=d)),
                      [0.0, 0.0, 0.0]),
}


def _value_and_grad(fn, vals, device, dtype=tinynn.float32):
    x = tinynn.tensor(vals, dtype=dtype, device=device, requires_grad=True)
    y = fn(x, device)
    w = tinynn.arange(1.0, y.numel() + 1, dtype=y.dtype, device=device).reshape(y.shape)
    (y * w).sum().backward()
    return y, x.grad


@pytest.mark.parametrize("name", sorted(CASES))
def test_extreme_inputs_match_pytorch_without_overflow_warnings(name, device):
    fn, vals = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy overflow/invalid warnings would mean an unstable formula
        y, g = _value_and_grad(fn, vals, device)
    value, grad = LITERALS[name]
    assert_close(y, value, rtol=1e-6, atol=1e-6)
    assert_close(g, grad, rtol=1e-6, atol=1e-6)
    assert np.isfinite(g.cpu().numpy()).all()


def test_stable_in_float64_and_float16(device):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, g = _value_and_grad(lambda x, d: tinynn.sigmoid(x), [800.0, -800.0], device, tinynn.float64)
        assert_close(y, [1.0, 0.0]) and assert_close(g, [0.0, 0.0])
        y, g = _value_and_grad(lambda x, d: F.logsigmoid(x), [800.0, -800.0], device, tinynn.float64)
        assert_close(y, [0.0, -800.0])
        assert_close(g, [0.0, 2.0])
        h = tinynn.softmax(tinynn.tensor([1e4, 0.0], dtype=tinynn.float16, device=device), 0)
        assert h.dtype == tinynn.float16
        assert_close(h, [1.0, 0.0])
        # 2-D, along either dim
        x = tinynn.tensor([[1e4, -1e4], [-1e4, 1e4]], device=device)
        assert_close(tinynn.log_softmax(x, 1), [[0.0, -20000.0], [-20000.0, 0.0]])
        assert_close(tinynn.softmax(x, 0), [[1.0, 0.0], [0.0, 1.0]])


def test_infinite_and_all_masked_rows_give_pytorchs_inf_and_nan(device):
    """Degenerate rows: PyTorch returns inf/-inf/nan here (no error); so does tinynn."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy may mention the nan it makes (PyTorch is silent)
        assert tinynn.logsumexp(tinynn.tensor([INF, 1.0], device=device), 0).item() == INF
        assert tinynn.logsumexp(tinynn.tensor([-INF, -INF], device=device), 0).item() == -INF
        s = tinynn.softmax(tinynn.tensor([-INF, -INF], device=device), 0).cpu().numpy()
        assert np.isnan(s).all()  # a fully masked attention row: nan, as in PyTorch


def test_bce_with_logits_equals_the_naive_formula_where_that_is_finite(device):
    """Over moderate logits the stable formula agrees with -[t log s(x) + (1-t) log(1-s(x))]."""
    x = tinynn.tensor(np.linspace(-15, 15, 31), dtype=tinynn.float64, device=device)
    t = tinynn.tensor(np.linspace(0, 1, 31), dtype=tinynn.float64, device=device)
    s = tinynn.sigmoid(x)
    naive = -(t * s.log() + (1 - t) * (1 - s).log())
    assert_close(F.binary_cross_entropy_with_logits(x, t, reduction="none"), naive, rtol=1e-9)
