"""On a machine with a GPU: a training step on cuda matches the same step on the CPU.

Skipped (with the reason tinynn.cuda.unavailable_reason() gives) where CuPy or a GPU is missing.
It also runs on the CuPy stand-in session, where it checks the code path but not the numerics.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
from tinynn import cuda

pytestmark = pytest.mark.skipif(not cuda.is_available(),
                                reason=f"no CUDA device: {cuda.unavailable_reason()}")

# cuBLAS sums in a different order than OpenBLAS; float32 results agree to about 1e-6 relative
RTOL, ATOL = 1e-4, 1e-5


def _pair(make):
    """The same freshly initialised model twice: on the CPU and on the GPU."""
    with tinynn.device("cpu"):
        tinynn.manual_seed(0)
        cpu = make()
        gpu = make()
    gpu.load_state_dict(cpu.state_dict())
    return cpu, gpu.cuda()


def _steps(model, opt, x, y, n):
    F = tinynn.nn.functional
    losses = []
    for _ in range(n):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _data(shape, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, classes, shape[0])
    return tinynn.tensor(x, device="cpu"), tinynn.tensor(y, device="cpu")


def test_mlp_training_step_matches_cpu():
    nn = tinynn.nn
    cpu, gpu = _pair(lambda: nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)))
    x, y = _data((32, 64))
    oc = tinynn.optim.SGD(cpu.parameters(), lr=0.1, momentum=0.9)
    og = tinynn.optim.SGD(gpu.parameters(), lr=0.1, momentum=0.9)
    lc = _steps(cpu, oc, x, y, 5)
    lg = _steps(gpu, og, x.cuda(), y.cuda(), 5)
    np.testing.assert_allclose(lg, lc, rtol=RTOL, atol=ATOL)
    assert lg[-1] < lg[0]
    for pc, pg in zip(cpu.parameters(), gpu.parameters()):
        assert pg.is_cuda and pg.grad.is_cuda
        np.testing.assert_allclose(pg.detach().cpu().numpy(), pc.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_cnn_training_step_matches_cpu():
    nn = tinynn.nn
    if not hasattr(nn, "Conv2d") or not hasattr(nn, "MaxPool2d"):
        pytest.skip("nn.Conv2d / nn.MaxPool2d not implemented yet")
    cpu, gpu = _pair(lambda: nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                           nn.Flatten(), nn.Linear(8 * 7 * 7, 10)))
    x, y = _data((8, 1, 14, 14))
    oc = tinynn.optim.Adam(cpu.parameters(), lr=1e-3)
    og = tinynn.optim.Adam(gpu.parameters(), lr=1e-3)
    np.testing.assert_allclose(_steps(gpu, og, x.cuda(), y.cuda(), 3), _steps(cpu, oc, x, y, 3),
                               rtol=RTOL, atol=ATOL)


def test_device_basics_on_the_gpu():
    a = tinynn.randn(1000, 1000, device="cuda")
    assert a.is_cuda and a.device == tinynn.device("cuda", cuda.current_device())
    assert cuda.memory_allocated() >= 4_000_000
    b = (a @ a.T).sum()
    cuda.synchronize()
    ref = (a.cpu().numpy().astype(np.float64) @ a.cpu().numpy().T.astype(np.float64)).sum()
    np.testing.assert_allclose(b.item(), ref, rtol=1e-3)
    with pytest.raises(TypeError, match="can't convert cuda"):
        a.numpy()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        a + a.cpu()
    assert isinstance(cuda.get_device_name(), str) and cuda.device_count() >= 1
