"""Losses: functional forms and modules, every reduction and option, against PyTorch-derived
literals (CASES runs unchanged on torch; EXPECTED was printed from it once), gradcheck and
gradgradcheck in float64, PyTorch's errors, and numerics at extreme logits."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from helpers import assert_close, check_grad


def _arr(seed, *shape, lo=-1.0, hi=1.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _out_weights(shape):
    n = int(np.prod(shape)) if shape else 1
    return (0.5 + (np.arange(n) % 5) * 0.25).reshape(shape)


def run_case(lib, fn, names, inputs, device="cpu"):
    """fn(lib, F, *tensors) -> (value, gradients of (out * fixed weights).sum() w.r.t. the float
    inputs whose name does not start with 'c_')."""
    ts = []
    for n in names:
        a = inputs[n]
        grad = a.dtype.kind == "f" and not n.startswith("c_")
        ts.append(lib.tensor(a, device=device, requires_grad=grad))
    out = fn(lib, lib.nn.functional, *ts)
    w = lib.tensor(_out_weights(tuple(out.shape)), dtype=out.dtype, device=device)
    (out * w).sum().backward()
    grads = [t.grad.detach().cpu().numpy() if t.grad is not None else None
             for n, t in zip(names, ts) if t.is_floating_point() and not n.startswith("c_")]
    return out.detach().cpu().numpy(), grads


INPUTS = {
    "x": _arr(1, 3, 4, lo=-2, hi=2),
    "t": np.array([3, 0, 1]),
    "t_ign": np.array([3, 0, 0]),
    "c_w": np.array([0.5, 2.0, 1.0, 1.5]),
    "x4": _arr(2, 2, 4, 2, 3, lo=-2, hi=2),
    "t4": np.random.default_rng(3).integers(0, 4, (2, 2, 3)),
    "x1": _arr(4, 4, lo=-2, hi=2),
    "t1": np.array(2),
    "p": np.random.default_rng(5).dirichlet(np.ones(4), 3),
    "c_p": np.random.default_rng(5).dirichlet(np.ones(4), 3),
    "xb": _arr(6, 3, 4, lo=0.05, hi=0.95),
    "yb": _arr(7, 3, 4, lo=0.0, hi=1.0),
    "c_yb": _arr(7, 3, 4, lo=0.0, hi=1.0),
    "c_pw": np.array([0.5, 1.0, 2.0, 3.0]),
    "c_bw": _arr(8, 3, 4, lo=0.2, hi=1.5),
    "r": _arr(9, 2, 3, lo=-2, hi=2),
    "s": _arr(10, 2, 3, lo=-2, hi=2),
    "s_row": _arr(11, 3, lo=-2, hi=2),
    "c_rw": _arr(12, 2, 3, lo=0.1, hi=1.0),
    "c_q": np.random.default_rng(13).dirichlet(np.ones(4), 3) * np.array([1, 1, 0, 1]),
    "u": _arr(14, 4, 5),
    "v": _arr(15, 4, 5),
    "nv": _arr(16, 4, 5),
    "c_pm": np.array([1.0, -1.0, -1.0, 1.0]),
    "c_sign": np.array([[1.0, -1.0, 1.0, -1.0], [-1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, 1.0]]),
    "c_multi": np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]]),
    "var": _arr(17, 3, 4, lo=0.2, hi=1.5),
    "mlt": np.array([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]]),
    "c_count": np.array([[0.0, 1.0, 3.0, 2.0], [5.0, 0.0, 1.0, 4.0], [2.0, 2.0, 0.0, 1.0]]),
}

CASES = {
    # cross-entropy with class indices
    "ce": (lambda T, F, x, t: F.cross_entropy(x, t), ("x", "t")),
    "ce_sum": (lambda T, F, x, t: F.cross_entropy(x, t, reduction="sum"), ("x", "t")),
    "ce_none": (lambda T, F, x, t: F.cross_entropy(x, t, reduction="none"), ("x", "t")),
    "ce_weight": (lambda T, F, x, t, w: F.cross_entropy(x, t, weight=w), ("x", "t", "c_w")),
    "ce_weight_none": (lambda T, F, x, t, w: F.cross_entropy(x, t, weight=w, reduction="none"),
                       ("x", "t", "c_w")),
    "ce_ignore": (lambda T, F, x, t: F.cross_entropy(x, t, ignore_index=0), ("x", "t_ign")),
    "ce_ignore_sum": (lambda T, F, x, t: F.cross_entropy(x, t, ignore_index=0, reduction="sum"),
                      ("x", "t_ign")),
    "ce_smooth": (lambda T, F, x, t: F.cross_entropy(x, t, label_smoothing=0.2), ("x", "t")),
    "ce_smooth_none": (lambda T, F, x, t: F.cross_entropy(x, t, label_smoothing=0.2, reduction="none"),
                       ("x", "t")),
    "ce_all": (lambda T, F, x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=0,
                                                     label_smoothing=0.3), ("x", "t_ign", "c_w")),
    "ce_all_sum": (lambda T, F, x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=0,
                                                         label_smoothing=0.3, reduction="sum"),
                   ("x", "t_ign", "c_w")),
    "ce_4d": (lambda T, F, x, t: F.cross_entropy(x, t), ("x4", "t4")),
    "ce_4d_none": (lambda T, F, x, t: F.cross_entropy(x, t, reduction="none"), ("x4", "t4")),
    "ce_4d_weight_smooth": (lambda T, F, x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.1),
                            ("x4", "t4", "c_w")),
    "ce_1d": (lambda T, F, x, t: F.cross_entropy(x, t), ("x1", "t1")),
    "ce_1d_none": (lambda T, F, x, t: F.cross_entropy(x, t, reduction="none"), ("x1", "t1")),
    # cross-entropy with class probabilities (differentiable in the target too)
    "ce_prob": (lambda T, F, x, p: F.cross_entropy(x, p), ("x", "p")),
    "ce_prob_none": (lambda T, F, x, p: F.cross_entropy(x, p, reduction="none"), ("x", "p")),
    "ce_prob_weight_smooth": (lambda T, F, x, p, w: F.cross_entropy(x, p, weight=w, label_smoothing=0.2),
                              ("x", "p", "c_w")),
    # nll
    "nll": (lambda T, F, x, t: F.nll_loss(F.log_softmax(x, 1), t), ("x", "t")),
    "nll_raw": (lambda T, F, x, t: F.nll_loss(x, t, reduction="sum"), ("x", "t")),
    "nll_weight_ignore": (lambda T, F, x, t, w: F.nll_loss(x, t, weight=w, ignore_index=0),
                          ("x", "t_ign", "c_w")),
    "nll_weight_ignore_none": (lambda T, F, x, t, w: F.nll_loss(x, t, weight=w, ignore_index=0,
                                                                reduction="none"), ("x", "t_ign", "c_w")),
    "nll_4d": (lambda T, F, x, t: F.nll_loss(x, t), ("x4", "t4")),
    # binary cross-entropy
    "bce": (lambda T, F, x, y: F.binary_cross_entropy(x, y), ("xb", "yb")),
    "bce_weight_sum": (lambda T, F, x, y, w: F.binary_cross_entropy(x, y, weight=w, reduction="sum"),
                       ("xb", "yb", "c_bw")),
    "bce_none": (lambda T, F, x, y: F.binary_cross_entropy(x, y, reduction="none"), ("xb", "c_yb")),
    "bce_logits": (lambda T, F, x, y: F.binary_cross_entropy_with_logits(x, y), ("x", "yb")),
    "bce_logits_pw": (lambda T, F, x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
                      ("x", "yb", "c_pw")),
    "bce_logits_all_none": (lambda T, F, x, y, w, pw: F.binary_cross_entropy_with_logits(
        x, y, weight=w, pos_weight=pw, reduction="none"), ("x", "yb", "c_bw", "c_pw")),
    # regression
    "mse": (lambda T, F, a, b: F.mse_loss(a, b), ("r", "s")),
    "mse_sum": (lambda T, F, a, b: F.mse_loss(a, b, reduction="sum"), ("r", "s")),
    "mse_none": (lambda T, F, a, b: F.mse_loss(a, b, reduction="none"), ("r", "s")),
    "mse_weight": (lambda T, F, a, b, w: F.mse_loss(a, b, weight=w), ("r", "s", "c_rw")),
    "l1": (lambda T, F, a, b: F.l1_loss(a, b), ("r", "s")),
    "l1_none": (lambda T, F, a, b: F.l1_loss(a, b, reduction="none"), ("r", "s")),
    "smooth_l1": (lambda T, F, a, b: F.smooth_l1_loss(a, b, beta=0.5), ("r", "s")),
    "smooth_l1_none": (lambda T, F, a, b: F.smooth_l1_loss(a, b, reduction="none"), ("r", "s")),
    "smooth_l1_beta0": (lambda T, F, a, b: F.smooth_l1_loss(a, b, beta=0.0, reduction="sum"), ("r", "s")),
    "huber": (lambda T, F, a, b: F.huber_loss(a, b, delta=0.7), ("r", "s")),
    "huber_none": (lambda T, F, a, b: F.huber_loss(a, b, reduction="none", delta=1.5), ("r", "s")),
    "huber_weight": (lambda T, F, a, b, w: F.huber_loss(a, b, weight=w, reduction="sum"),
                     ("r", "s", "c_rw")),
    # KL divergence
    "kl_batchmean": (lambda T, F, x, p: F.kl_div(F.log_softmax(x, 1), p, reduction="batchmean"),
                     ("x", "p")),
    "kl_sum_log_target": (lambda T, F, x, p: F.kl_div(F.log_softmax(x, 1), p.log(), reduction="sum",
                                                      log_target=True), ("x", "p")),
    "kl_none_zeros": (lambda T, F, x, q: F.kl_div(x, q, reduction="none"), ("x", "c_q")),
    # margins and others
    "cosine_embedding": (lambda T, F, u, v, y: F.cosine_embedding_loss(u, v, y, margin=0.1),
                         ("u", "v", "c_pm")),
    "margin_ranking": (lambda T, F, u, v, y: F.margin_ranking_loss(u[:, 0], v[:, 0], y, margin=0.2),
                       ("u", "v", "c_pm")),
    "soft_margin": (lambda T, F, x, y: F.soft_margin_loss(x, y), ("x", "c_sign")),
    "hinge_embedding": (lambda T, F, x, y: F.hinge_embedding_loss(x, y, margin=1.5), ("x", "c_sign")),
    "triplet": (lambda T, F, a, p, n: F.triplet_margin_loss(a, p, n, margin=0.5), ("u", "v", "nv")),
    "triplet_swap_p1": (lambda T, F, a, p, n: F.triplet_margin_loss(a, p, n, p=1, swap=True,
                                                                   reduction="none"), ("u", "v", "nv")),
    "poisson_log": (lambda T, F, x, y: F.poisson_nll_loss(x, y), ("x", "c_count")),
    "poisson_full": (lambda T, F, x, y: F.poisson_nll_loss(x, y, log_input=False, full=True),
                     ("xb", "c_count")),
    "gaussian_nll": (lambda T, F, x, y, v: F.gaussian_nll_loss(x, y, v), ("x", "yb", "var")),
    "multilabel_soft_margin": (lambda T, F, x, y: F.multilabel_soft_margin_loss(x, y), ("x", "c_multi")),
    "multi_margin": (lambda T, F, x, t: F.multi_margin_loss(x, t), ("x", "t")),
    "multi_margin_p2_weight": (lambda T, F, x, t, w: F.multi_margin_loss(x, t, p=2, margin=0.7, weight=w,
                                                                      reduction="none"), ("x", "t", "c_w")),
    "multilabel_margin": (lambda T, F, x, t: F.multilabel_margin_loss(x, t), ("x", "mlt")),
    "pdist": (lambda T, F, u: F.pdist(u), ("u",)),
    "pdist_p1": (lambda T, F, u: F.pdist(u, p=1), ("u",)),
    "triplet_distance": (lambda T, F, a, p, n: F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: 1 - F.cosine_similarity(x, y), margin=0.5, swap=True),
        ("u", "v", "nv")),
}



@pytest.mark.parametrize("name", list(CASES))
def test_loss_values_and_grads_match_torch(name, device):
    fn, names = CASES[name]
    value, grads = run_case(tinynn, fn, names, INPUTS, device)
    ev, egs = EXPECTED[name]
    assert value.shape == np.asarray(ev).shape
    assert_close(value, np.asarray(ev), rtol=1e-6, atol=1e-8)
    assert len(grads) == len(egs)
    for g, eg in zip(grads, egs):
        assert (g is None) == (eg is None)
        if eg is not None:
            assert_close(g, np.asarray(eg), rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------- gradcheck
GRADCHECK = {
    "ce": (lambda x: F.cross_entropy(x, _T("t")), ("x",)),
    "ce_none_all": (lambda x: F.cross_entropy(x, _T("t_ign"), weight=_T("c_w"), ignore_index=0,
                                              label_smoothing=0.3, reduction="none"), ("x",)),
    "ce_4d_weight_smooth": (lambda x: F.cross_entropy(x, _T("t4"), weight=_T("c_w"), label_smoothing=0.1),
                            ("x4",)),
    "ce_prob": (lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1), ("x", "p")),
    "nll": (lambda x: F.nll_loss(x, _T("t_ign"), weight=_T("c_w"), ignore_index=0), ("x",)),
    "bce": (lambda x, y: F.binary_cross_entropy(x, y, weight=_T("c_bw")), ("xb", "yb")),
    "bce_logits": (lambda x, y: F.binary_cross_entropy_with_logits(x, y, weight=_T("c_bw"),
                                                                   pos_weight=_T("c_pw")), ("x", "yb")),
    "mse": (lambda a, b: F.mse_loss(a, b), ("r", "s")),
    "mse_bcast": (lambda a, b: F.mse_loss(a, b.expand(2, 3), reduction="sum"), ("r", "s_row")),
    "l1": (lambda a, b: F.l1_loss(a, b, reduction="none"), ("r", "s")),
    "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), ("r", "s")),
    "huber": (lambda a, b: F.huber_loss(a, b, delta=0.7, reduction="sum"), ("r", "s")),
    "kl": (lambda x, p: F.kl_div(x, p, reduction="batchmean"), ("x", "p")),
    "kl_log_target": (lambda x, p: F.kl_div(x, p, reduction="sum", log_target=True), ("x", "yb")),
    "cosine_embedding": (lambda u, v: F.cosine_embedding_loss(u, v, _T("c_pm"), margin=0.1), ("u", "v")),
    "triplet": (lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0), ("u", "v", "nv")),
    "gaussian_nll": (lambda x, y, v: F.gaussian_nll_loss(x, y, v), ("x", "yb", "var")),
}


def _T(name, device=None):
    return tinynn.tensor(INPUTS[name], device=device)


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck_losses(name, device):
    fn, names = GRADCHECK[name]
    arrays = [INPUTS[n] for n in names]
    check_grad(fn, *arrays, device=device)


def test_cross_entropy_double_backward_matches_graph_path(device):
    """The backward recorded with create_graph equals the fast array path."""
    x = tinynn.tensor(INPUTS["x"], device=device, requires_grad=True)
    t = _T("t_ign", device)
    w = _T("c_w", device)
    loss = F.cross_entropy(x, t, weight=w, ignore_index=0, label_smoothing=0.3)
    (g_graph,) = tinynn.autograd.grad(loss, x, create_graph=True)
    loss2 = F.cross_entropy(x, t, weight=w, ignore_index=0, label_smoothing=0.3)
    (g_fast,) = tinynn.autograd.grad(loss2, x)
    assert g_graph.requires_grad and not g_fast.requires_grad
    assert_close(g_graph, g_fast, rtol=1e-12, atol=1e-14)
    (g_graph * g_graph).sum().backward()  # a gradient penalty
    assert x.grad is not None and np.isfinite(x.grad.cpu().numpy()).all()


# ---------------------------------------------------------------------------- float32, numerics
def test_float32_in_float32_out(device):
    x = tinynn.tensor(INPUTS["x"], dtype=tinynn.float32, device=device, requires_grad=True)
    t = _T("t", device)
    loss = F.cross_entropy(x, t)
    assert loss.dtype == tinynn.float32 and loss.grad_fn.name() == "NllLossBackward0"
    loss.backward()
    assert x.grad.dtype == tinynn.float32
    assert_close(loss, EXPECTED["ce"][0], rtol=1e-6)
    assert_close(x.grad, np.asarray(EXPECTED["ce"][1][0]) / 0.5, rtol=1e-5, atol=1e-6)
    for name, fn in [("mse", lambda a: F.mse_loss(a, a * 0.5)),
                     ("bcel", lambda a: F.binary_cross_entropy_with_logits(a, a.sigmoid().detach())),
                     ("nll", lambda a: F.nll_loss(a, t)), ("kl", lambda a: F.kl_div(a, a.exp().detach(),
                                                                                   reduction="sum"))]:
        a = x.detach().requires_grad_()
        out = fn(a)
        out.backward()
        assert out.dtype == tinynn.float32 and a.grad.dtype == tinynn.float32, name


def test_cross_entropy_exact_for_huge_logits(device):
    x = tinynn.tensor([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]], device=device, requires_grad=True)
    t = tinynn.tensor([1, 2], device=device)
    loss = F.cross_entropy(x, t, reduction="none")
    assert_close(loss, [2e4, 0.6931471805599453], rtol=1e-7)
    loss.sum().backward()
    assert_close(x.grad, [[1.0, -1.0, 0.0], [0.0, 0.5, -0.5]], atol=1e-7)
    assert_close(F.log_softmax(x, 1).detach()[0], [0.0, -2e4, -1e4])
    for dt in (tinynn.float32, tinynn.float64):
        xx = x.detach().to(dt)
        assert np.isfinite(F.cross_entropy(xx, t, label_smoothing=0.1).item())


def test_bce_with_logits_stable_and_bce_clamps(device):
    x = tinynn.tensor([1e4, -1e4, 50.0, -50.0], device=device, requires_grad=True)
    y = tinynn.tensor([0.0, 1.0, 1.0, 0.0], device=device)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    assert_close(loss, [1e4, 1e4, 1.9287498479639178e-22, 1.9287498479639178e-22], rtol=1e-6)
    loss.sum().backward()
    assert_close(x.grad, [1.0, -1.0, 0.0, 0.0], atol=1e-12)
    p = tinynn.tensor([0.0, 1.0, 0.5], device=device)
    q = tinynn.tensor([1.0, 0.0, 0.5], device=device)
    assert_close(F.binary_cross_entropy(p, q, reduction="none"), [100.0, 100.0, 0.6931471805599453])
    pg = tinynn.tensor([0.0, 1.0], device=device, requires_grad=True)
    F.binary_cross_entropy(pg, tinynn.tensor([1.0, 0.0], device=device), reduction="sum").backward()
    assert_close(pg.grad, [-1e12, 1e12], rtol=1e-6)


def test_ignored_everything_gives_nan_mean_and_zero_sum(device):
    x = tinynn.tensor(INPUTS["x"], device=device)
    t = tinynn.tensor([-100, -100, -100], device=device)
    assert np.isnan(F.cross_entropy(x, t).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0
    assert F.cross_entropy(x, t, reduction="none").tolist() == [0.0, 0.0, 0.0]


def test_empty_batch(device):
    x = tinynn.zeros(0, 4, device=device, requires_grad=True)
    t = tinynn.zeros(0, dtype=tinynn.int64, device=device)
    assert np.isnan(F.cross_entropy(x, t).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0
    assert F.cross_entropy(x, t, reduction="none").shape == (0,)
    assert np.isnan(F.mse_loss(x, x.detach()).item())


# ---------------------------------------------------------------------------- errors
def test_cross_entropy_and_nll_errors(device):
    x = tinynn.tensor(INPUTS["x"], device=device)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size "
                                         r"\(2\)\."):
        F.cross_entropy(x, tinynn.tensor([0, 1], device=device))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        F.cross_entropy(x, tinynn.tensor([0, 1, 2], dtype=tinynn.int32, device=device))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
        F.cross_entropy(x, tinynn.tensor([0.0, 1.0, 2.0], device=device))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.cross_entropy(x, tinynn.ones(3, 5, device=device))
    with pytest.raises(RuntimeError, match=r"weight tensor should be defined either for all 4 classes or "
                                           r"no classes but got weight tensor of shape: \[3\]"):
        F.cross_entropy(x, _T("t", device), weight=tinynn.ones(3, device=device))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 2, 3\], got \[2, 5\]"):
        F.cross_entropy(_T("x4", device), tinynn.zeros(2, 5, dtype=tinynn.int64, device=device))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.nll_loss(x, _T("t", device), reduction="foo")
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, _T("t", device), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.cross_entropy(x, _T("t", device), weight=tinynn.ones(4, device=device))
    with pytest.raises(TypeError):
        F.cross_entropy(INPUTS["x"], _T("t", device))
    assert F.cross_entropy(x, _T("t", device).to(tinynn.uint8)).item() == pytest.approx(
        EXPECTED["ce"][0])


@pytest.mark.cpu_only(reason="the target range is checked on the CPU only: on a GPU the check would "
                              "cost a host round trip per step (rows with a bad target get a NaN loss)")
def test_target_out_of_range_raises_on_cpu(device):
    x = tinynn.tensor(INPUTS["x"], device=device)
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.cross_entropy(x, tinynn.tensor([0, 1, 5], device=device))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.nll_loss(x, tinynn.tensor([0, 1, -1], device=device))
    with pytest.raises(IndexError, match="Target 4 is out of bounds."):
        F.cross_entropy(x, tinynn.tensor([0, 1, 4], device=device), ignore_index=1, weight=_T("c_w", device))


def test_target_out_of_range_is_nan_on_gpu(device):
    if tinynn.device(device).type == "cpu":
        pytest.skip("the CPU raises IndexError instead (test_target_out_of_range_raises_on_cpu)")
    x = tinynn.tensor(INPUTS["x"], device=device)
    out = F.cross_entropy(x, tinynn.tensor([0, 1, 5], device=device), reduction="none").cpu().numpy()
    assert np.isnan(out[2]) and np.isfinite(out[:2]).all()
    assert np.isnan(F.nll_loss(x, tinynn.tensor([0, 1, -1], device=device)).item())


def test_regression_and_binary_errors(device):
    a = tinynn.ones(3, 4, device=device)
    with pytest.warns(UserWarning, match="Using a target size .* that is different to the input size"):
        F.mse_loss(a, tinynn.ones(4, device=device))
    with pytest.raises(RuntimeError, match="The size of tensor a \\(4\\) must match the size of tensor b "
                                           "\\(3\\) at non-singleton dimension 1"):
        with pytest.warns(UserWarning):
            F.mse_loss(a, tinynn.ones(3, device=device))
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.mse_loss(a, a, weight=tinynn.ones(4, device=device))
    if tinynn.device(device).type == "cpu":  # (a GPU skips this check: it would be a host round trip)
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            F.binary_cross_entropy(tinynn.tensor([0.5, 1.5], device=device), tinynn.ones(2, device=device))
    with pytest.raises(ValueError, match="is different to the input size"):
        F.binary_cross_entropy(tinynn.tensor([0.5, 0.5], device=device), tinynn.ones(2, 1, device=device))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(tinynn.ones(2, device=device), tinynn.ones(2, 1, device=device))
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size "
                                         "and the support size"):
        F.kl_div(a, a)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta."):
        F.smooth_l1_loss(a, a, beta=-1.0)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use "
                                         "reduction='sum' instead."):
        assert F.mse_loss(a, a * 0, size_average=False).item() == 12.0


# ---------------------------------------------------------------------------- modules
def test_loss_modules_match_functional(device):
    x = tinynn.tensor(INPUTS["x"], device=device)
    t = _T("t_ign", device)
    w = _T("c_w", device)
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=0, label_smoothing=0.3, reduction="sum")
    assert_close(ce(x, t), EXPECTED["ce_all_sum"][0])
    assert [n for n, _ in ce.named_buffers()] == ["weight"] and list(ce.state_dict()) == ["weight"]
    assert repr(ce) == "CrossEntropyLoss()" and repr(nn.MSELoss()) == "MSELoss()"
    assert nn.CrossEntropyLoss().weight is None and list(nn.CrossEntropyLoss().state_dict()) == []
    assert_close(nn.NLLLoss(weight=w, ignore_index=0)(x, t), EXPECTED["nll_weight_ignore"][0])
    r, s = _T("r", device), _T("s", device)
    assert_close(nn.MSELoss()(r, s), EXPECTED["mse"][0])
    assert_close(nn.MSELoss(reduction="none")(r, s), EXPECTED["mse_none"][0])
    assert_close(nn.L1Loss()(r, s), EXPECTED["l1"][0])
    assert_close(nn.SmoothL1Loss(beta=0.5)(r, s), EXPECTED["smooth_l1"][0])
    assert_close(nn.HuberLoss(delta=0.7)(r, s), EXPECTED["huber"][0])
    xb, yb = _T("xb", device), _T("yb", device)
    assert_close(nn.BCELoss()(xb, yb), EXPECTED["bce"][0])
    bl = nn.BCEWithLogitsLoss(pos_weight=_T("c_pw", device))
    assert_close(bl(x, yb), EXPECTED["bce_logits_pw"][0])
    assert [n for n, _ in bl.named_buffers()] == ["pos_weight"]
    p = _T("p", device)
    assert_close(nn.KLDivLoss(reduction="batchmean")(F.log_softmax(x, 1), p), EXPECTED["kl_batchmean"][0])
    u, v, pm = _T("u", device), _T("v", device), _T("c_pm", device)
    assert_close(nn.CosineEmbeddingLoss(margin=0.1)(u, v, pm), EXPECTED["cosine_embedding"][0])
    assert_close(nn.MarginRankingLoss(margin=0.2)(u[:, 0], v[:, 0], pm), EXPECTED["margin_ranking"][0])
    assert_close(nn.SoftMarginLoss()(x, _T("c_sign", device)), EXPECTED["soft_margin"][0])
    assert_close(nn.TripletMarginLoss(margin=0.5)(u, v, _T("nv", device)), EXPECTED["triplet"][0])
    assert_close(nn.MultiMarginLoss()(x, _T("t", device)), EXPECTED["multi_margin"][0])
    assert_close(nn.MultiLabelMarginLoss()(x, _T("mlt", device)), EXPECTED["multilabel_margin"][0])
    assert_close(nn.PairwiseDistance(p=1.0)(u, v), F.pairwise_distance(u, v, p=1.0))
    assert_close(nn.CosineSimilarity(dim=1)(u, v), F.cosine_similarity(u, v, 1))
    assert isinstance(nn.NLLLoss2d(), nn.NLLLoss)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        assert nn.MSELoss(size_average=False).reduction == "sum"


def test_mseloss_case_like_the_notes(device):
    pred = tinynn.tensor([[0.5, -0.2], [0.1, 0.9], [-0.4, 0.3]], device=device, requires_grad=True)
    tgt = tinynn.tensor([[0.4, 0.0], [0.3, 1.0], [-0.1, 0.2]], device=device)
    loss = nn.MSELoss()(pred, tgt)
    loss.backward()
    assert loss.shape == () and loss.grad_fn.name() == "MseLossBackward0"
    assert_close(loss, 0.03333333, rtol=1e-6)
    assert_close(pred.grad, [[0.03333334, -0.06666667], [-0.06666667, -0.03333333],
                             [-0.1, 0.03333334]], rtol=1e-5)


# printed once by running CASES with PyTorch 2.13 (value, [grads of the weighted sum])
EXPECTED = {'ce': (2.2772336044,
        [[[0.0130720195, 0.0755687104, 0.0030036433, -0.0916443731],
          [-0.1526746764, 0.0218557715, 0.1101639388, 0.0206549661],
          [0.0384037287, -0.1619077681, 0.0868195858, 0.0366844536]]]),
 'ce_sum': (6.8317008133,
            [[[0.0392160584, 0.2267061311, 0.0090109298, -0.2749331193],
              [-0.4580240292, 0.0655673146, 0.3304918164, 0.0619648983],
              [0.115211186, -0.4857233042, 0.2604587574, 0.1100533608]]]),
 'ce_none': ([0.798210493, 2.477510768, 3.5559795523],
             [[[0.0392160584, 0.2267061311, 0.0090109298, -0.2749331193],
               [-0.6870360438, 0.0983509719, 0.4957377246, 0.0929473474],
               [0.2304223719, -0.9714466083, 0.5209175149, 0.2201067215]]]),
 'ce_weight': (2.387007557,
               [[[0.0147060219, 0.0850147992, 0.0033790987, -0.1030999198],
                 [-0.0572530037, 0.0081959143, 0.041311477, 0.0077456123],
                 [0.057605593, -0.2428616521, 0.1302293787, 0.0550266804]]]),
 'ce_weight_none': ([1.1973157395, 1.238755384, 7.1119591045],
                    [[[0.0588240876, 0.3400591967, 0.0135163948, -0.412399679],
                      [-0.3435180219, 0.0491754859, 0.2478688623, 0.0464736737],
                      [0.4608447438, -1.9428932167, 1.0418350298, 0.4402134431]]]),
 'ce_ignore': (0.798210493,
               [[[0.0392160584, 0.2267061311, 0.0090109298, -0.2749331193], [0.0, 0.0, 0.0, 0.0],
                 [0.0, 0.0, 0.0, 0.0]]]),
 'ce_ignore_sum': (0.798210493,
                   [[[0.0392160584, 0.2267061311, 0.0090109298, -0.2749331193], [0.0, 0.0, 0.0, 0.0],
                     [0.0, 0.0, 0.0, 0.0]]]),
 'ce_smooth': (2.1943133921,
               [[[0.0047386861, 0.067235377, -0.0053296901, -0.0666443731],
                 [-0.1276746764, 0.0135224382, 0.1018306055, 0.0123216328],
                 [0.0300703953, -0.1369077681, 0.0784862525, 0.0283511203]]]),
 'ce_smooth_none': ([1.0461111745, 2.3325640034, 3.2042649983],
                    [[[0.0142160584, 0.2017061311, -0.0159890702, -0.1999331193],
                      [-0.5745360438, 0.0608509719, 0.4582377246, 0.0554473474],
                      [0.1804223719, -0.8214466083, 0.4709175149, 0.1701067215]]]),
 'ce_all': (0.9621550178,
            [[[0.0247552555, 0.1653708246, -0.0164396166, -0.1736864634], [0.0, 0.0, 0.0, 0.0],
              [0.0, 0.0, 0.0, 0.0]]]),
 'ce_all_sum': (1.4432325267,
                [[[0.0371328832, 0.2480562368, -0.024659425, -0.2605296951], [0.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 0.0]]]),
 'ce_4d': (1.5720953865,
           [[[[[0.0077036414, -0.035182382, -0.0134801784], [-0.039977399, -0.0372387732, 0.0132724654]],
              [[0.0057364978, 0.0024497928, 0.0032602935], [0.0162219199, 0.0038060219, 0.0013121914]],
              [[0.0152681315, 0.0285771123, 0.0058889544], [0.0147223824, 0.0192452768, 0.011064135]],
              [[-0.0287082707, 0.004155477, 0.0043309305], [0.0090330967, 0.0141874745, -0.0256487918]]],
             [[[0.0036019862, 0.0181074, -0.0377039018], [-0.0296389595, 0.0010977956, 0.00306933]],
              [[0.0022626321, 0.0154444822, 0.0091389754], [0.0224013863, -0.032252459, -0.0313943286]],
              [[0.0079662333, -0.0368444815, 0.01894944], [0.0043272066, 0.0253666511, 0.0235270971]],
              [[-0.0138308516, 0.0032925993, 0.0096154864],
               [0.0029103666, 0.0057880123, 0.0047979015]]]]]),
 'ce_4d_none': ([[[1.1679575305, 1.8603199423, 0.3908587258],
                  [3.2054063313, 2.2417774848, 0.9559961699]],
                 [[0.4033779457, 2.1564742713, 2.3527594692],
                  [1.2424885299, 1.4874814489, 1.4002467883]]],
                [[[[[0.0924436965, -0.6332828759, -0.3235242822],
                    [-1.1993219692, -1.3405958339, 0.1592695844]],
                   [[0.0688379732, 0.0440962701, 0.0782470448],
                    [0.4866575972, 0.1370167868, 0.0157462968]],
                   [[0.1832175783, 0.5143880208, 0.1413349046],
                    [0.4416714711, 0.6928299651, 0.1327696203]],
                   [[-0.344499248, 0.0747985851, 0.1039423328],
                    [0.2709929009, 0.510749082, -0.3077855014]]],
                  [[[0.0648357507, 0.434577599, -1.1311170541],
                    [-1.067002542, 0.013173547, 0.0552479404]],
                   [[0.0407273781, 0.370667573, 0.2741692634],
                    [0.8064499061, -0.3870295083, -0.5650979143]],
                   [[0.1433922001, -0.8842675562, 0.5684831987],
                    [0.1557794388, 0.3043998133, 0.4234877471]],
                   [[-0.248955329, 0.0790223842, 0.2884645919],
                    [0.1047731972, 0.0694561479, 0.0863622269]]]]]),
 'ce_4d_weight_smooth': (1.4569600136,
                         [[[[[0.0104083562, -0.0149206749, -0.0029410585],
                             [-0.0175675242, -0.0160558028, 0.018293811]],
                            [[0.0061228808, -0.0006477144, -0.000200318],
                             [0.0069544998, 0.0001009241, -0.000141937]],
                            [[0.0206196742, 0.014774566, 0.0022507028],
                             [0.0071267551, 0.0096233928, 0.0146668152]],
                            [[-0.0371509113, 0.0007938233, 0.0008906737],
                             [0.0034862694, 0.0063314859, -0.0328186892]]],
                           [[[0.0046004124, 0.0173176816, -0.0163125538],
                             [-0.0118607056, 0.0015287262, 0.0051721219]],
                            [[0.0012038871, 0.0131973705, 0.0030447144],
                             [0.0103655652, -0.0566025443, -0.0550167192]],
                            [[0.0102801864, -0.0322549698, 0.0094600909],
                             [0.0013886181, 0.0458775712, 0.0424780754]],
                            [[-0.0160844859, 0.0017399178, 0.0038077485],
                             [0.0001065224, 0.0091962468, 0.007366522]]]]]),
 'ce_1d': (0.7223363818, [[0.2126231428, 0.0378112662, -0.2571918278, 0.0067574188]]),
 'ce_1d_none': (0.7223363818, [[0.2126231428, 0.0378112662, -0.2571918278, 0.0067574188]]),
 'ce_prob': (1.8391657924,
             [[[-0.0594186801, 0.0481953155, -0.0444808689, 0.0557042334],
               [0.0098777033, -0.0373526474, 0.0225415987, 0.0049333454],
               [0.0354960522, -0.0455627386, 0.0320101761, -0.0219434897]],
              [[0.4242536305, 0.1318255827, 0.6693616384, 0.1330350822],
               [0.4129184613, 0.3385884634, 0.0690043668, 0.3480066718],
               [0.2446402091, 0.5926632587, 0.1086939284, 0.2522737921]]]),
 'ce_prob_none': ([2.4738208831, 1.1974934015, 1.8461830926],
                  [[[-0.1782560402, 0.1445859466, -0.1334426067, 0.1671127002],
                    [0.0444496649, -0.1680869134, 0.101437194, 0.0222000545],
                    [0.2129763131, -0.2733764314, 0.1920610564, -0.1316609381]],
                   [[1.2727608914, 0.3954767481, 2.0080849153, 0.3991052465],
                    [1.858133076, 1.5236480851, 0.3105196506, 1.5660300229],
                    [1.4678412545, 3.5559795523, 0.6521635705, 1.5136427524]]]),
 'ce_prob_weight_smooth': (2.3965469968,
                           [[[-0.0193879405, 0.0191685431, -0.04315577, 0.0433751673],
                             [0.013245521, -0.0816313083, 0.07161847, -0.0032326827],
                             [0.049406041, -0.0903985588, 0.0715607069, -0.0305681891]],
                            [[0.1697014522, 0.2109209323, 0.5354893108, 0.1596420986],
                             [0.1651673845, 0.5417415414, 0.0552034934, 0.4176080061],
                             [0.0978560836, 0.9482612139, 0.0869551427, 0.3027285505]]]),
 'nll': (2.2772336044,
         [[[0.0130720195, 0.0755687104, 0.0030036433, -0.0916443731],
           [-0.1526746764, 0.0218557715, 0.1101639388, 0.0206549661],
           [0.0384037287, -0.1619077681, 0.0868195858, 0.0366844536]]]),
 'nll_raw': (0.8478399504, [[[0.0, 0.0, 0.0, -0.5], [-0.5, 0.0, 0.0, 0.0], [0.0, -0.5, 0.0, 0.0]]]),
 'nll_weight_ignore': (-1.7945977885,
                       [[[0.0, 0.0, 0.0, -0.5], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
 'nll_weight_ignore_none': ([-2.6918966828, 0.0, 0.0],
                            [[[0.0, 0.0, 0.0, -0.75], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
 'nll_4d': (-0.2034563886,
            [[[[[0.0, -0.0416666667, -0.0416666667], [-0.0416666667, -0.0416666667, 0.0]],
               [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
               [[-0.0416666667, 0.0, 0.0], [0.0, 0.0, -0.0416666667]]],
              [[[0.0, 0.0, -0.0416666667], [-0.0416666667, 0.0, 0.0]],
               [[0.0, 0.0, 0.0], [0.0, -0.0416666667, -0.0416666667]],
               [[0.0, -0.0416666667, 0.0], [0.0, 0.0, 0.0]],
               [[-0.0416666667, 0.0, 0.0], [0.0, 0.0, 0.0]]]]]),
 'bce': (0.930634259,
         [[[-0.0151963049, -0.0974689744, -0.0694448117, 0.0284238852],
           [0.4623691886, -0.0449099362, 0.1204653706, -0.0872133743],
           [-0.0251630193, -0.0949326831, -0.0986226891, 0.1484367469]],
          [[-0.0057336834, 0.0241646405, 0.0200161654, 0.0191559064],
           [-0.1136968597, -0.0203060173, -0.0270613459, 0.026349896],
           [-0.0279953538, 0.068883887, 0.0931703098, -0.0618322866]]]),
 'bce_weight_sum': (9.6309774327,
                    [[[-0.1139839498, -1.7350957767, -0.5119394491, 0.4178698649],
                      [7.3842142236, -0.3817759091, 1.1120106828, -0.7164476563],
                      [-0.1023751427, -0.9371622601, -0.6080180962, 0.9516971377]],
                     [[-0.0430070262, 0.4301673018, 0.1475569514, 0.2816179408],
                      [-1.8157826885, -0.1726198894, -0.2498021268, 0.21646131],
                      [-0.1138984281, 0.6800121632, 0.5744036682, -0.3964355958]]]),
 'bce_none': ([[0.6782981371, 0.9649784993, 0.8541566641, 0.5930043116],
               [1.9729123132, 0.5404968431, 1.066288995, 0.9454705857],
               [0.5489483858, 0.9487537269, 0.7791484962, 1.2751541498]],
              [[[-0.1823556583, -1.75444154, -1.6666754808, 0.8527165547],
                [16.6452907902, -0.5389192349, 2.1683766713, -2.0931209835],
                [-0.7548905788, -3.4175765921, -1.1834722697, 2.6718614441]]]),
 'bce_logits': (0.9249998569,
                [[[-0.0047198352, -0.0016183014, -0.0242312729, 0.0263451193],
                  [0.0008363584, -0.0187346498, 0.0325993094, -0.0171268374],
                  [-0.0103182392, -0.0140276467, 0.0179491684, 0.010818495]],
                 [[-0.0019702708, -0.0750772827, 0.0593067312, -0.0747749079],
                  [0.0313614247, 0.0127789252, -0.054617099, 0.0151334773],
                  [-0.0082656146, 0.0787401478, -0.0422521848, -0.0063572189]]]),
 'bce_logits_pw': (1.1438068,
                   [[[0.0016376537, -0.0016183014, -0.0502770163, 0.0236705973],
                     [0.0050872203, -0.0187346498, 0.0325527221, -0.0574912871],
                     [-0.0028362761, -0.0140276467, 0.0145881911, 0.0001007213]],
                    [[-0.0159240918, -0.0750772827, 0.1276067632, -0.0619627663],
                     [0.0076387572, 0.0127789252, -0.044671138, 0.0893958652],
                     [-0.0207420902, 0.0787401478, -0.0293562774, 0.0452900779]]]),
 'bce_logits_all_none': ([[0.2988881111, 0.5012915413, 1.5919747935, 1.9766429465],
                          [0.5869694084, 0.5804895851, 1.1876153146, 1.56759914],
                          [0.1357705791, 0.8432304911, 0.5702981254, 0.5743491779]],
                         [[[0.0122836597, -0.0432123346, -0.7412731749, 0.8699751323],
                           [0.2437346072, -0.1592618149, 0.4507391779, -0.9445683809],
                           [-0.028848304, -0.4154369388, 0.0899375618, 0.0009686564]],
                          [[-0.1194429102, -2.0047344848, 1.8814058078, -2.2773428619],
                           [0.3659816927, 0.1086326587, -0.6185360458, 1.4687531266],
                           [-0.2109717459, 2.3319354025, -0.1809841941, 0.4355636832]]]),
 'mse': (2.9545398468,
         [[[-0.0571683371, 0.0527569327, -0.1501978235], [0.4188346399, 0.1355133421, 0.5196403443]],
          [[0.0571683371, -0.0527569327, 0.1501978235], [-0.4188346399, -0.1355133421, -0.5196403443]]]),
 'mse_sum': (17.7272390805,
             [[[-0.3430100226, 0.316541596, -0.9011869409], [2.5130078394, 0.8130800527, 3.1178420659]],
              [[0.3430100226, -0.316541596, 0.9011869409],
               [-2.5130078394, -0.8130800527, -3.1178420659]]]),
 'mse_none': ([[0.1176558756, 0.100198582, 0.8121379024], [6.3152084006, 0.661099172, 9.7209391478]],
              [[[-0.3430100226, 0.4748123941, -1.8023738818], [6.2825195984, 2.439240158, 3.1178420659]],
               [[0.3430100226, -0.4748123941, 1.8023738818],
                [-6.2825195984, -2.439240158, -3.1178420659]]]),
 'mse_weight': (2.0802977638,
                [[[-0.0441290051, 0.1190273347, -0.0962379605],
                  [0.2594061615, 0.133235705, 0.3786383469]],
                 [[0.0441290051, -0.1190273347, 0.0962379605],
                  [-0.2594061615, -0.133235705, -0.3786383469]]]),
 'l1': (1.3341114196,
        [[[-0.0833333333, 0.0833333333, -0.0833333333], [0.0833333333, 0.0833333333, 0.0833333333]],
         [[0.0833333333, -0.0833333333, 0.0833333333], [-0.0833333333, -0.0833333333, -0.0833333333]]]),
 'l1_none': ([[0.3430100226, 0.316541596, 0.9011869409], [2.5130078394, 0.8130800527, 3.1178420659]],
             [[[-0.5, 0.75, -1.0], [1.25, 1.5, 0.5]], [[0.5, -0.75, 1.0], [-1.25, -1.5, -0.5]]]),
 'smooth_l1': (1.0938285594,
               [[[-0.0571683371, 0.0527569327, -0.0833333333],
                 [0.0833333333, 0.0833333333, 0.0833333333]],
                [[0.0571683371, -0.0527569327, 0.0833333333],
                 [-0.0833333333, -0.0833333333, -0.0833333333]]]),
 'smooth_l1_none': ([[0.0588279378, 0.050099291, 0.4060689512],
                     [2.0130078394, 0.330549586, 2.6178420659]],
                    [[[-0.1715050113, 0.237406197, -0.9011869409], [1.25, 1.219620079, 0.5]],
                     [[0.1715050113, -0.237406197, 0.9011869409], [-1.25, -1.219620079, -0.5]]]),
 'smooth_l1_beta0': (8.0046685175,
                     [[[-0.5, 0.5, -0.5], [0.5, 0.5, 0.5]], [[0.5, -0.5, 0.5], [-0.5, -0.5, -0.5]]]),
 'huber': (0.7117515097,
           [[[-0.0285841686, 0.0263784663, -0.0583333333], [0.0583333333, 0.0583333333, 0.0583333333]],
            [[0.0285841686, -0.0263784663, 0.0583333333],
             [-0.0583333333, -0.0583333333, -0.0583333333]]]),
 'huber_none': ([[0.0588279378, 0.050099291, 0.4060689512], [2.644511759, 0.330549586, 3.5517630988]],
                [[[-0.1715050113, 0.237406197, -0.9011869409], [1.875, 1.219620079, 0.75]],
                 [[0.1715050113, -0.237406197, 0.9011869409], [-1.875, -1.219620079, -0.75]]]),
 'huber_weight': (1.6448796057,
                  [[[-0.0558663875, 0.1506860892, -0.1218352232],
                    [0.1306811347, 0.1686735856, 0.153743561]],
                   [[0.0558663875, -0.1506860892, 0.1218352232],
                    [-0.1306811347, -0.1686735856, -0.153743561]]]),
 'kl_batchmean': (0.688654104,
                  [[[-0.0594186801, 0.0481953155, -0.0444808689, 0.0557042334],
                    [0.0098777033, -0.0373526474, 0.0225415987, 0.0049333454],
                    [0.0354960522, -0.0455627386, 0.0320101761, -0.0219434897]],
                   [[0.4521640407, -0.0025784605, 0.6267629365, -0.0594574833],
                    [-0.0373365841, 0.3327664524, 0.1285110635, 0.1211801828],
                    [-0.2634667095, 0.5597364816, 0.0900049418, 0.2448097289]]]),
 'kl_sum_log_target': (2.065962312,
                       [[[-0.1782560402, 0.1445859466, -0.1334426067, 0.1671127002],
                         [0.0296331099, -0.1120579423, 0.067624796, 0.0148000363],
                         [0.1064881565, -0.1366882157, 0.0960305282, -0.0658304691]],
                        [[1.3564921221, -0.0077353815, 1.8802888096, -0.1783724499],
                         [-0.1120097522, 0.9982993571, 0.3855331904, 0.3635405485],
                         [-0.7904001284, 1.6792094448, 0.2700148253, 0.7344291867]]]),
 'kl_none_zeros': ([[-0.3847263663, -0.8964341766, 0.0, -0.0503149102],
                    [-0.1312085716, -0.2434953425, 0.0, -0.0123805491],
                    [-0.3259173651, 0.3030452288, 0.0, -0.4244131379]],
                   [[[-0.1793551467, -0.2230173698, -0.0, -0.0094099645],
                     [-0.1013442364, -0.2004384032, -0.0, -0.0021406967],
                     [-0.2011725952, -0.5323628464, -0.0, -0.2779504342]]]),
 'cosine_embedding': (0.7110068176,
                      [[[-0.065863892, -0.0441124757, 0.0091626894, 0.0486195114, -0.0261862434],
                        [-0.1006960351, 0.0349589795, -0.0622620349, -0.008619059, 0.1226208005],
                        [0.0302320547, 0.0606533527, 0.0027453513, 0.0522750125, -0.0620435834],
                        [-0.0618576755, 0.027129145, 0.0371019145, -0.0222603023, -0.0632048564]],
                       [[-0.0753289259, -0.0001612324, -0.0242043361, -0.028661016, -0.0313051187],
                        [0.0228102887, 0.0653402486, 0.0630331686, -0.0077517018, 0.0067006415],
                        [0.0285053646, -0.0651402802, 0.0189549652, 0.0243317675, -0.0053587439],
                        [-0.0126047921, 0.0461874877, -0.0158685611, -0.0756100019, 0.0187568983]]]),
 'margin_ranking': (0.524487745,
                    [[[-0.0, 0.0, 0.0, 0.0, 0.0], [0.125, 0.0, 0.0, 0.0, 0.0],
                      [0.125, 0.0, 0.0, 0.0, 0.0], [-0.125, 0.0, 0.0, 0.0, 0.0]],
                     [[0.0, 0.0, 0.0, 0.0, 0.0], [-0.125, 0.0, 0.0, 0.0, 0.0],
                      [-0.125, 0.0, 0.0, 0.0, 0.0], [0.125, 0.0, 0.0, 0.0, 0.0]]]),
 'soft_margin': (1.0709962816,
                 [[[-0.0203408574, 0.035765607, -0.0335777025, 0.0357287523],
                   [0.013343287, 0.0176634104, -0.0088479696, -0.0245756533],
                   [-0.0187736796, -0.0361970237, 0.0305755195, -0.0192471045]]]),
 'hinge_embedding': (0.214836024,
                     [[[0.0416666667, 0.0, 0.0416666667, 0.0],
                       [-0.0416666667, -0.0416666667, 0.0416666667, 0.0416666667],
                       [0.0416666667, 0.0416666667, -0.0416666667, 0.0416666667]]]),
 'triplet': (0.4350885069,
             [[[-0.0221619458, -0.0458181006, -0.0461793308, 0.024624864, 0.0056690292],
               [-0.0157534667, 0.0270827326, 0.0914794833, -0.070019724, -0.0349408848],
               [-0.0671257332, -0.038626708, -0.0417306047, -0.0335568375, 0.1150364634],
               [0.0112712703, 0.0340930441, -0.0077167698, -0.0166558083, -0.085229729]],
              [[-0.0170766558, 0.0561894687, -0.0442643965, -0.1007105723, -0.0086125067],
               [-0.073783036, -0.0079894433, -0.068065633, -0.0018641394, 0.0740326075],
               [0.0048949343, 0.1086741295, -0.0127811397, 0.0286320489, -0.0529888802],
               [0.0488590639, 0.0205971634, -0.0535215992, -0.0558796171, 0.0826223671]],
              [[0.0392386016, -0.010371368, 0.0904437272, 0.0760857083, 0.0029434774],
               [0.0895365027, -0.0190932893, -0.0234138503, 0.0718838634, -0.0390917227],
               [0.062230799, -0.0700474215, 0.0545117444, 0.0049247886, -0.0620475832],
               [-0.0601303342, -0.0546902075, 0.061238369, 0.0725354254, 0.0026073619]]]),
 'triplet_swap_p1': ([2.4441183892, 0.7097797948, 0.0, 2.6013820759],
                     [[[0.5, -0.5, 0.5, 0.5, 0.5], [0.75, 0.75, 0.75, 0.75, -0.75],
                       [-0.0, 0.0, 0.0, -0.0, 0.0], [-1.25, -1.25, 1.25, 1.25, -1.25]],
                      [[-1.0, 0.0, -1.0, 0.0, 0.0], [-1.5, 0.0, 0.0, -1.5, 0.0],
                       [0.0, 0.0, 0.0, 0.0, -0.0], [2.5, 2.5, -2.5, -2.5, 0.0]],
                      [[0.5, 0.5, 0.5, -0.5, -0.5], [0.75, -0.75, -0.75, 0.75, 0.75],
                       [0.0, -0.0, 0.0, 0.0, 0.0], [-1.25, -1.25, 1.25, 1.25, 1.25]]]),
 'poisson_log': (2.523798287,
                 [[[0.0436842641, 0.2108699448, -0.1149623814, 0.1673772545],
                   [-0.1887039566, 0.0306614831, 0.11288243, -0.1376897947],
                   [-0.0325241964, -0.0770371861, 0.1148645816, 0.0068678244]]]),
 'poisson_full': (2.7560135529,
                  [[[0.0416666667, -0.0744146461, -0.2854210139, -0.1736387407],
                    [-0.1802713562, 0.0416666667, -0.0217633879, -0.4386862461],
                    [-0.0842285925, -0.476978156, 0.0416666667, -0.0094472765]]]),
 'gaussian_nll': (1.7144141979,
                  [[[-0.0185395233, 0.0921001616, -0.09904891, 0.0963756769],
                    [-0.0915020997, -0.070095497, 0.071896267, -0.0496119874],
                    [-0.0215549783, -0.4467845066, 0.055871109, -0.0053215989]],
                   [[0.0185395233, -0.0921001616, 0.09904891, -0.0963756769],
                    [0.0915020997, 0.070095497, -0.071896267, 0.0496119874],
                    [0.0215549783, 0.4467845066, -0.055871109, 0.0053215989]],
                   [[0.0119183851, -0.0508850162, -0.0952073698, -0.0807544442],
                    [-0.0570167373, -0.0292652949, -0.0344939168, -0.0085928226],
                    [0.0124262401, -2.3006466078, 0.0018304372, 0.0208023966]]]),
 'multilabel_soft_margin': (1.0709962816,
                            [[[-0.0203408574, 0.035765607, -0.0335777025, 0.0357287523],
                              [0.013343287, 0.0176634104, -0.0088479696, -0.0245756533],
                              [-0.0187736796, -0.0361970237, 0.0305755195, -0.0192471045]]]),
 'multi_margin': (1.4117069474,
                  [[[0.0, 0.0416666667, 0.0, -0.0416666667],
                    [-0.125, 0.0416666667, 0.0416666667, 0.0416666667],
                    [0.0416666667, -0.125, 0.0416666667, 0.0416666667]]]),
 'multi_margin_p2_weight': ([0.1875796723, 1.2671329467, 14.1408079607],
                            [[[0.0, 0.2652213738, 0.0, -0.2652213738],
                              [-0.9373003673, 0.2148712477, 0.5181533564, 0.2042757633],
                              [2.7881382977, -9.1342910794, 3.6038159817, 2.7423367999]]]),
 'multilabel_margin': (0.4105312132,
                       [[[-0.0416666667, 0.0833333333, 0.0, -0.0416666667],
                         [0.0833333333, -0.0416666667, 0.0, -0.0416666667], [0.0, 0.0, 0.0, 0.0]]]),
 'pdist': ([1.2653930757, 0.8317467497, 1.0096082445, 1.5934027302, 1.5746215291, 0.7741228827],
           [[[1.0174645997, 0.4810579534, 0.1941078563, 0.3140578003, 1.1705428987],
             [-0.4554793003, 2.4301154655, 0.2456480906, -1.6928643916, 0.7396593958],
             [0.4668285647, -1.8459734496, -0.2139786277, -0.1057220657, -0.5807309302],
             [-1.0288138641, -1.0651999693, -0.2257773192, 1.484528657, -1.3294713643]]]),
 'pdist_p1': ([2.3187410364, 1.6090544976, 1.924683652, 2.8174709533, 2.8375100776, 1.4857751165],
              [[[2.25, 1.25, 1.25, 0.25, 2.25], [-0.25, 3.25, 3.25, -3.25, 2.25],
                [1.0, -2.5, -2.5, 0.0, -1.5], [-3.0, -2.0, -2.0, 3.0, -3.0]]]),
 'triplet_distance': (0.8657153187,
                      [[[-0.065863892, -0.0441124757, 0.0091626894, 0.0486195114, -0.0261862434],
                        [0.1006960351, -0.0349589795, 0.0622620349, 0.008619059, -0.1226208005],
                        [-0.0302320547, -0.0606533527, -0.0027453513, -0.0522750125, 0.0620435834],
                        [-0.0618576755, 0.027129145, 0.0371019145, -0.0222603023, -0.0632048564]],
                       [[-0.0756037687, -0.0403625807, -0.1021744304, -0.0266559004, -0.0099316726],
                        [-0.0420602747, -0.0449570572, -0.0108637744, -0.0373576665, -0.0175017113],
                        [-0.0547317668, 0.0976542378, -0.0555823607, 0.0108008576, 0.0412600977],
                        [0.036665979, 0.0754365338, -0.0501345857, -0.09251553, -0.0364763279]],
                       [[0.0335618662, 0.0797615008, 0.0216289702, -0.0801010429, -0.0009145364],
                        [-0.0147172934, 0.0052561926, -0.0339114994, 0.01760962, 0.0364455439],
                        [0.0189933031, 0.0458508387, -0.0073324724, 0.0565704762, -0.0356547214],
                        [0.0305286253, -0.024392018, -0.0209321456, 0.0104451812, 0.0755252546]]])}
