"""Mixed precision: tinynn.autocast (float16 matmuls, float32 losses) and tinynn.amp.GradScaler.

Autocast("cuda") runs on the CuPy stand-in (installed for these tests on the CPU run). The stand-in
computes float16 products with NumPy, so this checks the dtype flow, the casts in the graph and the
scaler's logic, not GPU tensor-core numerics.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
import tinynn.backend as backend
from tinynn import amp

import fakecupy

F = tinynn.nn.functional
nn = tinynn.nn


@pytest.fixture
def cuda():
    prev = (backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error)
    fakecupy.install()
    yield "cuda"
    backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error = prev
    backend._ARRAY_TYPES.clear()


def test_autocast_dtype_flow(cuda):
    x = tinynn.randn(4, 8, device=cuda)
    w = tinynn.randn(3, 8, device=cuda, requires_grad=True)
    with tinynn.autocast("cuda"):
        assert amp.is_autocast_enabled() and amp.is_autocast_enabled("cuda")
        y = F.linear(x, w)
        assert y.dtype == tinynn.float16 and y.is_cuda
        assert (x @ w.T).dtype == tinynn.float16 and tinynn.mm(x, w.T).dtype == tinynn.float16
        assert tinynn.bmm(x[None], w.T[None]).dtype == tinynn.float16
        assert (y + 1).dtype == tinynn.float16  # elementwise follows promotion
        assert (y.float() + y).dtype == tinynn.float32
        assert F.softmax(y, dim=1).dtype == tinynn.float32
        assert F.log_softmax(y, dim=1).dtype == tinynn.float32
        loss = F.cross_entropy(y, tinynn.tensor([0, 1, 2, 0], device=cuda))
        assert loss.dtype == tinynn.float32
        assert F.mse_loss(y, tinynn.zeros(4, 3, device=cuda)).dtype == tinynn.float32
        with tinynn.autocast("cuda", enabled=False):
            assert not amp.is_autocast_enabled() and F.linear(x, w).dtype == tinynn.float32
        assert amp.is_autocast_enabled()
        c = tinynn.randn(2, 2, device="cpu")
        assert (c @ c).dtype == tinynn.float32  # autocast("cuda") leaves CPU tensors alone
    assert not amp.is_autocast_enabled()
    assert F.linear(x, w).dtype == tinynn.float32
    loss.backward()
    assert w.grad.dtype == tinynn.float32 and w.grad.is_cuda  # gradients reach float32 parameters


def test_autocast_decorator_conv_and_errors(cuda):
    if not hasattr(F, "conv2d"):
        pytest.skip("conv2d not implemented yet")

    @tinynn.autocast("cuda")
    def f(x, w):
        return F.conv2d(x, w, padding=1)
    out = f(tinynn.randn(1, 2, 5, 5, device=cuda), tinynn.randn(3, 2, 3, 3, device=cuda))
    assert out.dtype == tinynn.float16 and out.shape == (1, 3, 5, 5)
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        tinynn.autocast("tpu")
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        tinynn.autocast(tinynn.device("cuda"))
    with pytest.raises(RuntimeError, match="only float16"):
        tinynn.autocast("cuda", dtype=tinynn.float64)
    with tinynn.cuda.amp.autocast():
        assert amp.is_autocast_enabled("cuda")


def test_autocast_values_close_to_float32(cuda):
    tinynn.manual_seed(0)
    x = tinynn.randn(16, 32, device=cuda)
    w = tinynn.randn(8, 32, device=cuda) * 0.1
    ref = F.linear(x, w).cpu().numpy()
    with tinynn.autocast("cuda"):
        half = F.linear(x, w).float().cpu().numpy()
    np.testing.assert_allclose(half, ref, rtol=2e-2, atol=2e-2)


def _model(device):
    with tinynn.device(device):
        tinynn.manual_seed(1)
        return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3))


def _data(device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 10)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0).astype(np.int64)
    return tinynn.tensor(x, device=device), tinynn.tensor(y, device=device)


def test_mixed_precision_training_with_grad_scaler(cuda):
    x, y = _data(cuda)
    model = _model(cuda)
    opt = tinynn.optim.SGD(model.parameters(), lr=0.1)
    scaler = amp.GradScaler(init_scale=2.0 ** 10, growth_interval=3)
    losses = []
    for _ in range(12):
        opt.zero_grad()
        with tinynn.autocast("cuda"):
            loss = F.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.9
    assert all(p.dtype == tinynn.float32 for p in model.parameters())
    assert scaler.get_scale() == 2.0 ** 14  # grew 4 times in 12 clean steps (interval 3)
    ref = _model(cuda)  # the same run in float32 lands close by
    oref = tinynn.optim.SGD(ref.parameters(), lr=0.1)
    for _ in range(12):
        oref.zero_grad()
        F.cross_entropy(ref(x), y).backward()
        oref.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().cpu().numpy(), atol=3e-2)


def test_grad_scaler_skips_overflowing_steps(cuda):
    model = _model(cuda)
    opt = tinynn.optim.SGD(model.parameters(), lr=0.1)
    scaler = amp.GradScaler(init_scale=8.0)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = _data(cuda)
    out = model(x)
    loss = F.cross_entropy(out, y) * float("inf")
    with np.errstate(all="ignore"):  # NumPy (under the stand-in) warns on inf - inf; CuPy does not
        scaler.scale(loss).backward()
    assert scaler.step(opt) is None
    scaler.update()
    for p, b in zip(model.parameters(), before):
        assert p.detach().cpu().tolist() == b.cpu().tolist()  # the step was skipped
    assert scaler.get_scale() == 4.0  # backed off


def test_grad_scaler_unscale_and_state(cuda):
    model = _model(cuda)
    opt = tinynn.optim.SGD(model.parameters(), lr=0.1)
    scaler = amp.GradScaler(init_scale=4.0)
    x, y = _data(cuda)
    scaler.scale(F.cross_entropy(model(x), y)).backward()
    scaled = [p.grad.clone() for p in model.parameters()]
    scaler.unscale_(opt)
    for p, g in zip(model.parameters(), scaled):
        np.testing.assert_allclose(p.grad.cpu().numpy(), g.cpu().numpy() / 4.0, rtol=1e-6)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    sd = scaler.state_dict()
    assert sd == {"scale": 4.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                  "_growth_tracker": 1}
    other = amp.GradScaler()
    other.load_state_dict(sd)
    assert other.get_scale() == 4.0 and other.state_dict() == sd
    off = amp.GradScaler(enabled=False)
    t = tinynn.ones(1, device=cuda)
    assert off.scale(t) is t and off.get_scale() == 1.0 and off.state_dict() == {}
    with pytest.raises(ValueError, match="growth factor"):
        amp.GradScaler(growth_factor=0.5)
