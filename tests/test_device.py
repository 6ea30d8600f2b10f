"""Device semantics (PyTorch's), the CUDA path through the CuPy stand-in, and the stand-in itself.

These tests run in every session: on the CPU run they install the stand-in (tests/fakecupy) for
the test and remove it afterwards; on the cuda-standin run it is already installed.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

import tinynn
import tinynn.backend as backend
from tinynn import cuda

import fakecupy

MIXED = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"


# ----------------------------------------------------------------------------------------
# fixtures
# ----------------------------------------------------------------------------------------
@pytest.fixture
def standin():
    """The CuPy stand-in as tinynn's CUDA module for this test (restoring the previous state)."""
    prev = (backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error)
    fakecupy.install()
    fakecupy.cuda.Device(0).use()
    yield fakecupy
    fakecupy.cuda.Device(0).use()
    backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error = prev
    backend._ARRAY_TYPES.clear()


@pytest.fixture
def no_cuda(monkeypatch):
    """A machine without CuPy: the real lookup, with `import cupy` failing."""
    prev = (backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error)
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    backend._set_cuda_module(None)
    dflt = tinynn.get_default_device()
    tinynn.set_default_device("cpu")
    yield
    tinynn.set_default_device(dflt)
    backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error = prev
    backend._ARRAY_TYPES.clear()


def need(name, mod=tinynn):
    """The op `name` of `mod`, or skip naming it (the op library is still growing)."""
    f = getattr(mod, name, None)
    if f is None:
        pytest.skip(f"{getattr(mod, '__name__', mod)}.{name} is not implemented yet")
    return f


def on_cuda(t, index=0):
    return t.device == tinynn.device("cuda", index) and isinstance(t._data, fakecupy.ndarray)


# ----------------------------------------------------------------------------------------
# tinynn.device
# ----------------------------------------------------------------------------------------
def test_device_objects_like_pytorch():
    d = tinynn.device("cuda:1")
    assert (d.type, d.index) == ("cuda", 1)
    assert repr(d) == "device(type='cuda', index=1)" and str(d) == "cuda:1"
    assert repr(tinynn.device("cpu")) == "device(type='cpu')" and str(tinynn.device("cuda")) == "cuda"
    assert tinynn.device("cuda", 1) == d and tinynn.device(d) == d and tinynn.device(1) == d
    assert hash(tinynn.device("cuda", 1)) == hash(d)
    assert {tinynn.device("cpu"): 1}[tinynn.device("cpu")] == 1
    assert tinynn.device("cuda") != tinynn.device("cuda:0")  # no index is not index 0, as in torch
    import pickle
    assert pickle.loads(pickle.dumps(d)) == d
    with pytest.raises(RuntimeError, match="must not include an index"):
        tinynn.device("cuda:0", 1)
    with pytest.raises(RuntimeError, match=r"Invalid device string: 'cuda:x'"):
        tinynn.device("cuda:x")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        tinynn.device("gpu")
    with pytest.raises(TypeError):
        tinynn.device(1.5)


def test_default_device_and_device_context():
    assert tinynn.get_default_device() == tinynn.device("cpu") or tinynn.get_default_device().type == "cuda"
    prev = tinynn.get_default_device()
    tinynn.set_default_device("cpu")
    try:
        with tinynn.device("cpu") as d:
            assert d == tinynn.device("cpu") and tinynn.zeros(1).device == tinynn.device("cpu")
        assert tinynn.get_default_device() == tinynn.device("cpu")
    finally:
        tinynn.set_default_device(prev)


# ----------------------------------------------------------------------------------------
# no CuPy / no GPU: clear errors, no ImportError trace
# ----------------------------------------------------------------------------------------
def test_no_cuda_is_reported_clearly(no_cuda):
    assert cuda.is_available() is False
    reason = cuda.unavailable_reason()
    assert "CuPy" in reason and "cuda12" in reason
    assert cuda.device_count() == 0 and cuda.memory_allocated() == 0 and cuda.max_memory_allocated() == 0
    cuda.manual_seed(0)
    cuda.manual_seed_all(0)
    cuda.empty_cache()
    for make in (lambda: tinynn.zeros(2, device="cuda"), lambda: tinynn.tensor([1.0]).cuda(),
                 lambda: tinynn.ones(2).to("cuda:0"), lambda: tinynn.randn(2, device="cuda")):
        with pytest.raises(RuntimeError, match="cannot use a cuda device") as ei:
            make()
        e = ei.value
        assert e.__cause__ is None and e.__context__ is None  # no ImportError chained in the trace
        assert "CuPy is not installed" in str(e)
    with pytest.raises(RuntimeError, match="cannot use a cuda device"):
        cuda.current_device()


def test_cupy_without_gpu_leaves_is_available_false(monkeypatch):
    """A CuPy that imports but finds no GPU: is_available() False with the driver's reason."""
    import types
    fake = types.ModuleType("cupy")

    class _RT:
        @staticmethod
        def getDeviceCount():
            raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    fake.cuda = types.SimpleNamespace(runtime=_RT)
    prev = (backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    backend._set_cuda_module(None)
    try:
        assert cuda.is_available() is False
        assert "no usable GPU" in cuda.unavailable_reason() and "no CUDA-capable" in cuda.unavailable_reason()
    finally:
        backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error = prev


# ----------------------------------------------------------------------------------------
# tinynn.cuda on the stand-in
# ----------------------------------------------------------------------------------------
def test_cuda_module_api(standin):
    assert cuda.is_available() and cuda.unavailable_reason() is None and cuda.is_initialized()
    assert cuda.device_count() == 2 and cuda.current_device() == 0
    assert "stand-in" in cuda.get_device_name() and cuda.get_device_name(0) == cuda.get_device_name("cuda:1")
    assert cuda.get_device_capability() == (8, 0)
    assert cuda.get_device_properties(0).total_memory > 0
    cuda.synchronize()
    cuda.synchronize("cuda:1")
    cuda.set_device(1)
    assert cuda.current_device() == 1
    assert tinynn.zeros(2, device="cuda").device == tinynn.device("cuda:1")  # "cuda" = the current GPU
    cuda.set_device("cuda:0")
    with cuda.device(1):
        assert cuda.current_device() == 1
    assert cuda.current_device() == 0
    free, total = cuda.mem_get_info()
    assert 0 < free <= total


def test_memory_figures_follow_tensors(standin):
    cuda.empty_cache()
    cuda.reset_peak_memory_stats()
    base = cuda.memory_allocated()
    x = tinynn.zeros(1000, 250, device="cuda")  # 1,000,000 bytes of float32
    assert cuda.memory_allocated() - base == 1_000_000
    assert cuda.memory_allocated("cuda:1") == cuda.memory_allocated(1)
    peak = cuda.max_memory_allocated()
    del x
    assert cuda.memory_allocated() == base
    assert cuda.max_memory_allocated() == peak >= base + 1_000_000
    cuda.reset_peak_memory_stats()
    assert cuda.max_memory_allocated() == base
    assert cuda.memory_reserved() >= cuda.memory_allocated()


# ----------------------------------------------------------------------------------------
# moving tensors
# ----------------------------------------------------------------------------------------
def test_to_cuda_cpu_round_trip(standin):
    x = tinynn.tensor([[1.5, -2.0], [3.0, 4.25]], device="cpu")
    y = x.to("cuda")
    assert on_cuda(y) and y.is_cuda and not y.is_cpu and y.dtype == tinynn.float32
    assert y.device == tinynn.device("cuda:0") and str(y.device) == "cuda:0"
    z = y.cpu()
    assert z.device == tinynn.device("cpu") and type(z._data) is np.ndarray
    np.testing.assert_array_equal(z.numpy(), x.numpy())
    assert y.to("cuda") is y and y.cuda() is y and y.to("cuda:0") is y and x.cpu() is x
    assert y.to("cuda", copy=True) is not y
    assert x.cuda().device == tinynn.device("cuda:0")
    assert x.cuda(1).device == tinynn.device("cuda:1") and x.cuda("cuda:1").device.index == 1
    assert x.to(tinynn.device("cuda", 1)).device.index == 1
    assert y.to("cuda:1").to("cuda:0").cpu().tolist() == x.tolist()  # GPU -> GPU copies
    with pytest.raises(RuntimeError, match="Invalid device, must be cuda device"):
        x.cuda("cpu")


def test_to_forms_like_pytorch(standin):
    x = tinynn.tensor([1.0, 2.0], device="cpu")
    a = x.to("cuda", tinynn.float64)
    assert on_cuda(a) and a.dtype == tinynn.float64
    b = x.to(device="cuda", dtype=tinynn.float16, non_blocking=True)
    assert on_cuda(b) and b.dtype == tinynn.float16
    c = x.to(a)  # other tensor: its device and dtype
    assert on_cuda(c) and c.dtype == tinynn.float64
    d = x.to("cuda", tinynn.float32, False, True)  # positional non_blocking, copy
    assert on_cuda(d) and d.dtype == tinynn.float32
    assert x.to(tinynn.float32, False, True) is not x and x.to() is x and x.to(None) is x
    e = a.to(tinynn.int64)
    assert on_cuda(e) and e.dtype == tinynn.int64 and e.tolist() == [1, 2]
    with pytest.raises(TypeError):
        x.to("cuda", tinynn.float64, device="cuda")
    with pytest.raises(TypeError):
        x.to("cuda", foo=1)


def test_numpy_item_tolist_on_cuda(standin):
    y = tinynn.tensor([[1.0, 2.0]], device="cuda")
    with pytest.raises(TypeError, match=r"^can't convert cuda:0 device type tensor to numpy\. Use "
                                        r"Tensor\.cpu\(\) to copy the tensor to host memory first\.$"):
        y.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.requires_grad_().numpy()  # the device is checked before requires_grad, as in PyTorch
    with pytest.raises(TypeError, match="can't convert cuda:0"):
        np.asarray(y)
    np.testing.assert_array_equal(y.numpy(force=True), [[1.0, 2.0]])
    assert y.tolist() == [[1.0, 2.0]]
    s = tinynn.tensor(2.5, device="cuda")
    assert s.item() == 2.5 and float(s) == 2.5 and int(s) == 2 and bool(s) is True
    assert isinstance(s.item(), float)
    assert repr(tinynn.tensor([1.0, 2.0], device="cuda")) == "tensor([1., 2.], device='cuda:0')"


def test_numpy_under_no_grad_and_cpu_semantics():
    x = tinynn.ones(2, requires_grad=True, device="cpu")
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        x.numpy()
    with tinynn.no_grad():
        np.testing.assert_array_equal(x.numpy(), [1.0, 1.0])  # PyTorch allows it under no_grad


def test_gradient_flows_back_across_devices(standin):
    x = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True, device="cpu")
    y = x.to("cuda") * tinynn.tensor([2.0, 3.0, 4.0], device="cuda")
    assert on_cuda(y) and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.device == tinynn.device("cpu")
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0, 4.0])
    w = tinynn.tensor([1.0, -1.0], device="cuda", requires_grad=True)
    (w * w).sum().backward()
    assert on_cuda(w.grad) and w.grad.tolist() == [2.0, -2.0]
    v = tinynn.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    (v.cpu() * 3).sum().backward()
    assert on_cuda(v.grad) and v.grad.tolist() == [3.0, 3.0]


# ----------------------------------------------------------------------------------------
# factories
# ----------------------------------------------------------------------------------------
FACTORIES = {
    "zeros": lambda d: tinynn.zeros(2, 3, device=d),
    "ones": lambda d: tinynn.ones((2, 3), device=d),
    "empty": lambda d: tinynn.empty(2, device=d),
    "full": lambda d: tinynn.full((2,), 7.0, device=d),
    "tensor": lambda d: tinynn.tensor([1, 2], device=d),
    "as_tensor": lambda d: tinynn.as_tensor(np.arange(3.0), device=d),
    "arange": lambda d: tinynn.arange(5, device=d),
    "arange_float": lambda d: tinynn.arange(0, 1, 0.25, device=d),
    "eye": lambda d: need("eye")(3, device=d),
    "linspace": lambda d: need("linspace")(0, 1, 5, device=d),
    "logspace": lambda d: need("logspace")(0, 1, 5, device=d),
    "rand": lambda d: tinynn.rand(2, 2, device=d),
    "randn": lambda d: tinynn.randn(2, 2, device=d),
    "randint": lambda d: need("randint")(0, 10, (4,), device=d),
    "randperm": lambda d: need("randperm")(6, device=d),
    "normal": lambda d: need("normal")(0.0, 1.0, (3,), device=d),
    "zeros_like": lambda d: need("zeros_like")(tinynn.ones(2, device=d)),
    "ones_like": lambda d: need("ones_like")(tinynn.ones(2, device=d)),
    "full_like": lambda d: need("full_like")(tinynn.ones(2, device=d), 3.0),
    "empty_like": lambda d: need("empty_like")(tinynn.ones(2, device=d)),
    "rand_like": lambda d: need("rand_like")(tinynn.ones(2, device=d)),
    "randn_like": lambda d: need("randn_like")(tinynn.ones(2, device=d)),
    "randint_like": lambda d: need("randint_like")(tinynn.ones(2, device=d), 5),
    "new_zeros": lambda d: tinynn.ones(2, device=d).new_zeros(3),
    "new_tensor": lambda d: tinynn.ones(2, device=d).new_tensor([1.0]),
    "legacy_Tensor": lambda d: tinynn.Tensor([1.0, 2.0], device=d),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_take_device(standin, name):
    for dev, idx in (("cuda", 0), ("cuda:1", 1), (tinynn.device("cuda", 1), 1)):
        t = FACTORIES[name](dev)
        assert on_cuda(t, idx), f"{name}(device={dev!r}) landed on {t.device}"
    assert FACTORIES[name]("cpu").device == tinynn.device("cpu")


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_default_device_applies_to_factories(standin, name):
    prev = tinynn.get_default_device()
    tinynn.set_default_device("cuda")
    try:
        if name == "legacy_Tensor":  # PyTorch's legacy constructor ignores the default device
            assert tinynn.Tensor([1.0]).device == tinynn.device("cpu")
            return
        t = FACTORIES[name](None) if name != "as_tensor" else tinynn.as_tensor(np.arange(3.0))
        assert on_cuda(t), f"{name}() with default device cuda landed on {t.device}"
        assert tinynn.get_default_device() == tinynn.device("cuda")
    finally:
        tinynn.set_default_device(prev)
    with tinynn.device("cuda"):
        assert on_cuda(tinynn.zeros(1))
    assert tinynn.get_default_device() == prev


def test_random_streams_per_device(standin):
    tinynn.manual_seed(0)
    a = tinynn.randn(5, device="cuda").tolist()
    c = tinynn.randn(5).cpu().tolist() if tinynn.get_default_device().type == "cpu" else None
    tinynn.manual_seed(0)
    assert tinynn.randn(5, device="cuda").tolist() == a
    if c is not None:
        assert a != c  # the GPU stream is not the CPU one (as in PyTorch)
    cuda.manual_seed(1)
    b1 = tinynn.rand(3, device="cuda").tolist()
    cuda.manual_seed_all(1)
    assert tinynn.rand(3, device="cuda").tolist() == b1
    g = tinynn.Generator(device="cuda").manual_seed(3)
    x1 = tinynn.rand(4, device="cuda", generator=g).tolist()
    g.manual_seed(3)
    assert tinynn.rand(4, device="cuda", generator=g).tolist() == x1
    t = tinynn.empty(1000, device="cuda")
    t.normal_(2.0, 0.5)
    assert on_cuda(t) and abs(t.mean().item() - 2.0) < 0.1
    t.uniform_(-1.0, 1.0)
    assert -1.0 <= t.min().item() and t.max().item() < 1.0


# ----------------------------------------------------------------------------------------
# ops on two devices raise PyTorch's error
# ----------------------------------------------------------------------------------------
def _a(d):
    return tinynn.tensor([[1.0, 2.0], [3.0, 4.0]], device=d)


MIXED_OPS = {
    "add": lambda g, c: g + c,
    "radd": lambda g, c: c + g,
    "sub": lambda g, c: g - c,
    "mul": lambda g, c: c * g,
    "div": lambda g, c: g / c,
    "pow": lambda g, c: g ** c,
    "maximum": lambda g, c: need("maximum")(g, c),
    "atan2": lambda g, c: need("atan2")(g, c),
    "eq": lambda g, c: g == c,
    "lt": lambda g, c: g < c,
    "matmul": lambda g, c: g @ c,
    "rmatmul": lambda g, c: c @ g,
    "mm": lambda g, c: need("mm")(g, c),
    "bmm": lambda g, c: need("bmm")(g[None], c[None]),
    "mv": lambda g, c: need("mv")(g, c[0]),
    "dot": lambda g, c: need("dot")(g[0], c[0]),
    "cat": lambda g, c: need("cat")([g, c]),
    "stack": lambda g, c: need("stack")([g, c]),
    "where": lambda g, c: need("where")(g > 0, g, c),
    "where_cond": lambda g, c: need("where")(c > 0, g, g),
    "lerp": lambda g, c: need("lerp")(g, c, 0.5),
    "addcmul": lambda g, c: need("addcmul")(g, c, g),
    "clamp": lambda g, c: need("clamp")(g, c, None),
    "index_tensor": lambda g, c: c[tinynn.tensor([0, 1], device="cuda")],
    "setitem_value": lambda g, c: c.__setitem__(0, g[0]),
    "gather": lambda g, c: need("gather")(g, 1, tinynn.tensor([[0], [1]], device="cpu")),
    "index_select": lambda g, c: need("index_select")(g, 0, tinynn.tensor([1], device="cpu")),
    "masked_fill": lambda g, c: need("masked_fill")(g, c > 2, 0.0),
    "scatter_add": lambda g, c: need("scatter_add")(g, 1, tinynn.tensor([[0], [1]], device="cuda"), c[:, :1]),
    "index_add": lambda g, c: need("index_add")(g, 0, tinynn.tensor([0], device="cuda"), c[:1]),
    "add_": lambda g, c: g.clone().add_(c),
    "mul_": lambda g, c: c.clone().mul_(g),
    "linear": lambda g, c: need("linear", tinynn.nn.functional)(g, c),
    "mse_loss": lambda g, c: need("mse_loss", tinynn.nn.functional)(g, c),
    "cross_entropy": lambda g, c: need("cross_entropy", tinynn.nn.functional)(g, tinynn.tensor([0, 1], device="cpu")),
    "conv2d": lambda g, c: need("conv2d", tinynn.nn.functional)(g[None, None], c[None, None]),
    "allclose": lambda g, c: need("allclose")(g, c),
    "equal": lambda g, c: need("equal")(g, c),
}


@pytest.mark.parametrize("name", sorted(MIXED_OPS))
def test_mixed_devices_raise_pytorchs_error(standin, name):
    g, c = _a("cuda"), _a("cpu")
    with pytest.raises(RuntimeError) as ei:
        MIXED_OPS[name](g, c)
    assert str(ei.value) == MIXED or "device" in str(ei.value) and "cuda:0" in str(ei.value), str(ei.value)
    assert str(ei.value) == MIXED, f"{name}: {ei.value}"


def test_mixed_gpus_raise(standin):
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least "
                                           "two devices, cuda:1 and cuda:0!"):
        _a("cuda:0") + _a("cuda:1")


def test_cpu_scalar_tensor_meets_cuda_tensor(standin):
    """A 0-dim CPU tensor is allowed with a CUDA tensor, as in PyTorch (it acts as a scalar)."""
    g = _a("cuda")
    s = tinynn.tensor(2.0, device="cpu")
    for r in (g * s, s * g, g + s, g / s):
        assert on_cuda(r)
    assert (g * s).tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_copy_between_devices_is_allowed(standin):
    g = tinynn.zeros(2, 2, device="cuda")
    g.copy_(_a("cpu"))
    assert on_cuda(g) and g.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    c = tinynn.zeros(2, 2, device="cpu")
    c.copy_(_a("cuda"))
    assert c.device.type == "cpu" and c.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    g[0] = tinynn.tensor(9.0, device="cpu")  # a 0-dim CPU value, as PyTorch allows
    assert g.tolist()[0] == [9.0, 9.0]


# ----------------------------------------------------------------------------------------
# nn and optim on the GPU
# ----------------------------------------------------------------------------------------
def _mlp():
    nn = tinynn.nn
    for n in ("Linear", "ReLU", "Sequential"):
        need(n, nn)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_module_to_moves_parameters_buffers_and_grads(standin):
    nn = tinynn.nn
    with tinynn.device("cpu"):  # built on the CPU whatever the session's default device
        m = _mlp()
        m.register_buffer("steps", tinynn.zeros(1))
    params = list(m.parameters())
    m(tinynn.randn(2, 4, device="cpu")).sum().backward()
    assert m.cuda() is m
    assert all(on_cuda(p) for p in m.parameters()) and on_cuda(m.steps)
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]  # same Parameter objects
    assert all(isinstance(p, nn.Parameter) for p in m.parameters())
    assert all(on_cuda(p.grad) for p in m.parameters())
    m.to("cpu")
    assert all(p.device.type == "cpu" and p.grad.device.type == "cpu" for p in m.parameters())
    m.to(tinynn.device("cuda:1"))
    assert all(on_cuda(p, 1) for p in m.parameters())
    m.to("cuda", tinynn.float64)
    assert all(on_cuda(p) and p.dtype == tinynn.float64 for p in m.parameters())


def _train_step(model, opt, x, y):
    F = tinynn.nn.functional
    opt.zero_grad()
    loss = need("cross_entropy", F)(model(x), y)
    loss.backward()
    opt.step()
    return loss


def test_optimizer_made_after_model_to_cuda(standin):
    optim = tinynn.optim
    tinynn.manual_seed(0)
    with tinynn.device("cpu"):
        cpu_model = _mlp()
        gpu_model = _mlp()
    gpu_model.load_state_dict(cpu_model.state_dict())
    gpu_model.to("cuda")
    x = tinynn.randn(16, 4, device="cpu")
    y = tinynn.tensor([i % 3 for i in range(16)], device="cpu")
    for name, kw in (("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01})):
        oc = need(name, optim)(cpu_model.parameters(), **kw)
        og = need(name, optim)(gpu_model.parameters(), **kw)
        for _ in range(3):
            lc = _train_step(cpu_model, oc, x, y)
            lg = _train_step(gpu_model, og, x.cuda(), y.cuda())
            assert on_cuda(lg)
            np.testing.assert_allclose(lg.item(), lc.item(), rtol=1e-5, atol=1e-6)
        for pc, pg in zip(cpu_model.parameters(), gpu_model.parameters()):
            assert on_cuda(pg)
            np.testing.assert_allclose(pg.detach().cpu().numpy(), pc.detach().numpy(), rtol=1e-5, atol=1e-6)
        for st in og.state.values():
            for v in st.values():
                if isinstance(v, tinynn.Tensor) and v.dim() > 0:
                    assert on_cuda(v), "optimizer state must live with its parameter"


def test_training_step_makes_no_host_round_trip(standin):
    """Forward, backward and optimizer step on the GPU read nothing back to the host; only the
    loss.item() the user asks for is a sync."""
    optim = tinynn.optim
    F = tinynn.nn.functional
    need("cross_entropy", F)
    tinynn.manual_seed(0)
    x = tinynn.randn(16, 4, device="cuda")
    y = tinynn.tensor([i % 3 for i in range(16)], device="cuda")
    for name, kw in (("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 1e-3}),
                     ("AdamW", {"lr": 1e-3}), ("RMSprop", {"lr": 1e-3})):
        model = _mlp().to("cuda")
        opt = need(name, optim)(model.parameters(), **kw)
        _train_step(model, opt, x, y)  # warm-up (state creation)
        fakecupy.reset_sync_counts(trace=True)
        loss = _train_step(model, opt, x, y)
        counts = fakecupy.sync_counts()
        trace = "\n".join(f"[{k}]\n{s}" for k, s in fakecupy.sync_trace())
        assert not any(counts.values()), f"{name}: host syncs in a step {counts}:\n{trace}"
        loss.item()
        assert sum(fakecupy.sync_counts().values()) == 1
        fakecupy.reset_sync_counts()


# ----------------------------------------------------------------------------------------
# backend kernels on the stand-in
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int8", "uint8"])
def test_backend_scatter_add_all_dtypes(standin, dtype):
    xp = fakecupy
    t = xp.zeros(5, dtype=dtype)
    idx = xp.asarray([0, 2, 2, 4, 0])
    backend.scatter_add(t, idx, xp.asarray([1, 2, 3, 4, 5], dtype=dtype))
    assert t.dtype == np.dtype(dtype)
    assert t.get().tolist() == [6, 0, 5, 0, 4]
    t64 = xp.zeros(2, dtype="int64")
    backend.scatter_add(t64, xp.asarray([1, 1]), xp.asarray([-3, 2**40], dtype="int64"))
    assert t64.get().tolist() == [0, 2**40 - 3]


def test_backend_sliding_windows_and_strides(standin):
    x = fakecupy.arange(10.0).reshape(2, 5)
    w = backend.sliding_window_view(x, 3, axis=1)
    assert isinstance(w, fakecupy.ndarray) and w.shape == (2, 3, 3)
    assert w.get()[1, 2].tolist() == [7.0, 8.0, 9.0]
    s = backend.as_strided(x, (2, 2), (x.strides[0], x.strides[1] * 2))
    assert s.get().tolist() == [[0.0, 2.0], [5.0, 7.0]]


def test_backend_cuda_generator(standin):
    g = backend.new_generator(tinynn.device("cuda:0"), 123)
    n = g.normal(3.0, 0.5, (4000,))
    assert isinstance(n, fakecupy.ndarray) and abs(float(n.mean()) - 3.0) < 0.05
    p = g.permutation(10)
    assert sorted(p.get().tolist()) == list(range(10))
    c = g.choice(5, size=(200,), p=fakecupy.asarray([0.0, 0.0, 1.0, 0.0, 0.0]))
    assert set(c.get().tolist()) == {2}
    c2 = g.choice(6, size=6, replace=False)
    assert sorted(c2.get().tolist()) == list(range(6))
    assert g.integers(0, 3, (50,)).get().max() <= 2
    assert not hasattr(g, "bit_generator")  # cuRAND's state stays on the GPU
    g1 = backend.new_generator(tinynn.device("cuda:1"), 123)
    assert g1.random(3).device.id == 1


def test_backend_special_functions(standin):
    import math
    x = fakecupy.asarray([-1.0, 0.0, 0.5, 2.0], dtype="float32")
    r = backend.erf(x)
    assert isinstance(r, fakecupy.ndarray) and r.dtype == np.float32
    np.testing.assert_allclose(r.get(), [math.erf(v) for v in (-1.0, 0.0, 0.5, 2.0)], rtol=1e-6)
    np.testing.assert_allclose(backend.special("gammaln", fakecupy.asarray([3.0])).get(), [math.log(2.0)])


# ----------------------------------------------------------------------------------------
# the stand-in behaves like CuPy where bugs hide
# ----------------------------------------------------------------------------------------
def test_standin_refuses_implicit_host_conversion():
    xp = fakecupy
    a = xp.asarray([1.0, 2.0])
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    for f in (lambda: a + np.ones(2), lambda: np.ones(2) * a, lambda: xp.maximum(a, np.ones(2)),
              lambda: xp.concatenate([a, np.ones(2)]), lambda: a + [1, 2], lambda: np.add(np.ones(2), a)):
        with pytest.raises(TypeError, match="Unsupported type"):
            f()
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray"):
        a[:] = np.ones(2)  # CuPy fills basic slices from scalars only
    a[xp.asarray([0])] = np.ones(1)  # advanced indexing takes host values, as CuPy does
    assert (a + np.float32(1)).dtype == np.float64  # NumPy scalars are fine


def test_standin_dispatches_numpy_calls_and_lacks_what_cupy_lacks():
    xp = fakecupy
    a = xp.asarray([[3.0, 1.0], [2.0, 0.5]])
    assert isinstance(np.exp(a), xp.ndarray) and isinstance(np.concatenate([a, a]), xp.ndarray)
    assert isinstance(np.sum(a), xp.ndarray) and np.sum(a).ndim == 0  # 0-dim, not a NumPy scalar
    assert isinstance(a.max(), xp.ndarray)
    for name in ("errstate", "put_along_axis", "acos", "concat", "permute_dims", "pow", "astype",
                 "add_docstring", "apply_over_axes", "vectorize", "frompyfunc"):
        assert not hasattr(xp, name), name
    with pytest.raises(TypeError):
        np.put_along_axis(a, xp.asarray([[0], [0]]), 1.0, axis=1)
    with pytest.raises(AttributeError):
        xp.maximum.reduce  # noqa: B018  (CuPy: reduce only for add and multiply)
    with pytest.raises(AttributeError):
        xp.subtract.at  # noqa: B018
    with pytest.raises(ValueError, match="kind"):
        xp.sort(a, kind="quicksort")
    with pytest.raises(TypeError):
        xp.argsort(a, stable=True)
    with pytest.raises(TypeError):
        range(xp.asarray(3))  # no __index__
    assert not hasattr(xp.random.default_rng(0), "normal")


def test_standin_counts_host_syncs():
    xp = fakecupy
    fakecupy.reset_sync_counts()
    a = xp.arange(6.0).reshape(2, 3)
    b = (a * 2).sum(axis=0)
    assert not any(fakecupy.sync_counts().values())
    float(b[0]), b.tolist(), bool(b[1] > 0)
    assert fakecupy.sync_counts()["scalar"] == 3
    a[a > 2]
    xp.nonzero(a)
    assert fakecupy.sync_counts()["shape"] == 2
    xp.asnumpy(a), a.get()
    assert fakecupy.sync_counts()["transfer"] == 2
    fakecupy.reset_sync_counts()


def test_standin_wraps_out_of_range_indices_and_tracks_devices():
    xp = fakecupy
    a = xp.asarray([10, 20, 30])
    assert a[xp.asarray([3, -4])].get().tolist() == [10, 30]  # CuPy wraps, NumPy would raise
    with pytest.raises(IndexError):
        a[3]  # scalar indices are checked, as in CuPy
    with xp.cuda.Device(1):
        b = xp.ones(2)
        assert b.device.id == 1 and xp.asarray(a) is a and a.copy().device.id == 1
    with pytest.raises(ValueError, match="different from the current device"):
        b + 1
    with xp.cuda.Device(1):
        assert (b + 1).device.id == 1


def test_factories_on_another_gpu_keep_the_current_device(standin):
    assert cuda.current_device() == 0
    for make in (lambda: tinynn.zeros(2, device="cuda:1"), lambda: tinynn.full((2,), 1.0, device="cuda:1"),
                 lambda: tinynn.arange(3, device="cuda:1"), lambda: tinynn.randn(2, device="cuda:1"),
                 lambda: tinynn.tensor([1.0], device="cuda:1"), lambda: tinynn.ones(1, device="cpu").cuda(1)):
        assert on_cuda(make(), 1)
        assert cuda.current_device() == 0, "a factory on cuda:1 must not change the current GPU"


@pytest.mark.parametrize("split", ["unbind", "split", "chunk"])
def test_backward_through_unused_outputs_stays_on_the_gpu(standin, split):
    """Gradients the engine fills with zeros (outputs that got none) are made on the graph's device."""
    x = tinynn.ones(4, 2, device="cuda", requires_grad=True)
    y = x * 2  # a non-leaf input: the node has no leaf or saved tensor to take the device from
    parts = {"unbind": lambda: y.unbind(0), "split": lambda: y.split(1), "chunk": lambda: y.chunk(4)}[split]()
    parts[0].sum().backward()
    assert on_cuda(x.grad) and x.grad.tolist() == [[2.0, 2.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]


def test_backward_through_overwritten_views_stays_on_the_gpu(standin):
    """The study notes' b[0, 0] = ...; b[1, 0] = ... on the GPU: the engine's made-up zero
    gradients (for the overwritten regions) are made on the graph's device."""
    a = tinynn.ones(2, 1, requires_grad=True, device="cuda")
    b = tinynn.zeros(2, 1, device="cuda")
    b[0, 0] = a[0, 0] ** 2 + a[1, 0] * 5
    b[1, 0] = a[0, 0] ** 3 + a[1, 0] * 4
    b.backward(tinynn.ones(2, 1, device="cuda"))
    assert on_cuda(a.grad) and a.grad.tolist() == [[5.0], [9.0]]


def test_cnn_training_step_makes_no_host_round_trip(standin):
    """Conv2d / BatchNorm2d / MaxPool2d / dropout / cross-entropy / Adam on the GPU, step after
    warm-up: no reads back to the host and no uploads from host memory (which wait for the GPU)."""
    nn = tinynn.nn
    for n in ("Conv2d", "BatchNorm2d", "MaxPool2d", "Dropout", "Flatten"):
        need(n, nn)
    tinynn.manual_seed(0)
    with tinynn.device("cuda"):
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Dropout(0.1), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
        x = tinynn.randn(8, 1, 8, 8)
        y = tinynn.tensor([i % 3 for i in range(8)])
    opt = tinynn.optim.Adam(model.parameters(), lr=1e-3)
    _train_step(model, opt, x, y)
    fakecupy.reset_sync_counts(trace=True)
    _train_step(model, opt, x, y)
    counts = fakecupy.sync_counts()
    trace = "\n".join(f"[{k}]\n{s}" for k, s in fakecupy.sync_trace())
    fakecupy.reset_sync_counts()
    assert not any(counts.values()), f"host syncs in a CNN training step {counts}:\n{trace}"


def test_standin_diagonal_is_a_writable_view_like_cupys():
    a = fakecupy.zeros((3, 4))
    a.diagonal(1)[...] = 7.0
    np.diagonal(a, -1)[:] = 5.0  # dispatches to the stand-in
    assert a.get().tolist() == [[0, 7, 0, 0], [5, 0, 7, 0], [0, 5, 0, 7]]
