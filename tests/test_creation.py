"""Creation and random functions: values (PyTorch-derived literals), dtype/device/requires_grad
handling, the default dtype, errors; random functions by statistics and seeding reproducibility."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
from helpers import assert_close


@pytest.fixture
def default_float64():
    old = tinynn.get_default_dtype()
    tinynn.set_default_dtype(tinynn.float64)
    yield
    tinynn.set_default_dtype(old)


# ----------------------------------------------------------------------------------------------
# tensor and the factories
# ----------------------------------------------------------------------------------------------
def test_tensor_dtype_inference(device):
    assert tinynn.tensor([[1, 2.5], [True, 3]], device=device).dtype == tinynn.float32
    assert tinynn.tensor([True, 1], device=device).dtype == tinynn.int64
    assert tinynn.tensor([True, False], device=device).dtype == tinynn.bool
    assert tinynn.tensor([], device=device).shape == (0,)
    assert tinynn.tensor([], device=device).dtype == tinynn.float32
    assert tinynn.tensor(3, device=device).shape == () and tinynn.tensor(3).dtype == tinynn.int64
    assert tinynn.tensor(np.float64(1.5), device=device).dtype == tinynn.float64
    assert tinynn.tensor(np.array([1, 2], dtype=np.int32), device=device).dtype == tinynn.int32
    assert tinynn.tensor([tinynn.tensor(1.0), tinynn.tensor(2.0)], device=device).tolist() == [1.0, 2.0]
    assert tinynn.tensor([1, 2], dtype=tinynn.float64, device=device).dtype == tinynn.float64
    t = tinynn.tensor([1.0], requires_grad=True, device=device)
    assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require"):
        tinynn.tensor([1, 2], requires_grad=True, device=device)


def test_zeros_ones_full_empty(device):
    for shape_args, shape in (((2, 3), (2, 3)), (((2, 3),), (2, 3)), (([4],), (4,)), (((),), ()),
                              ((tinynn.Size([2]),), (2,)), ((0,), (0,))):
        for f in (tinynn.zeros, tinynn.ones, tinynn.empty, tinynn.rand, tinynn.randn):
            t = f(*shape_args, device=device)
            assert tuple(t.shape) == shape and t.dtype == tinynn.float32
    assert tinynn.zeros(size=(2, 3), device=device).shape == (2, 3)
    assert tinynn.zeros(2, dtype=tinynn.int32, device=device).tolist() == [0, 0]
    assert tinynn.ones(2, 2, dtype=tinynn.bool, device=device).tolist() == [[True, True], [True, True]]
    assert tinynn.full((2,), 3, device=device).dtype == tinynn.int64
    assert tinynn.full((2,), True, device=device).dtype == tinynn.bool
    assert tinynn.full((2,), 1.5, device=device).dtype == tinynn.float32
    assert tinynn.full((2, 1), 7.0, dtype=tinynn.float64, device=device).tolist() == [[7.0], [7.0]]
    assert tinynn.full([2], tinynn.tensor(2.5), device=device).tolist() == [2.5, 2.5]
    assert tinynn.zeros(2, requires_grad=True, device=device).requires_grad
    with pytest.raises(RuntimeError, match="negative dimension -3"):
        tinynn.zeros(2, -3, device=device)
    with pytest.raises(RuntimeError, match="negative dimension"):
        tinynn.rand(-1, 2, device=device)
    with pytest.raises(TypeError):
        tinynn.zeros(2.5)
    with pytest.raises(TypeError):
        tinynn.ones()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        tinynn.zeros(2, dtype=tinynn.int64, requires_grad=True, device=device)


def test_eye(device):
    assert tinynn.eye(2, device=device).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert tinynn.eye(2, 3, device=device).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert tinynn.eye(2, dtype=tinynn.int64, device=device).dtype == tinynn.int64
    assert tinynn.eye(0, device=device).shape == (0, 0)
    assert tinynn.eye(3, requires_grad=True, device=device).requires_grad
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        tinynn.eye(-1)
    with pytest.raises(RuntimeError, match="m must be greater or equal to 0, got -1"):
        tinynn.eye(2, -1)


def test_arange(device):
    a = tinynn.arange(5, device=device)
    assert a.tolist() == [0, 1, 2, 3, 4] and a.dtype == tinynn.int64
    assert tinynn.arange(10, 0, -3, device=device).tolist() == [10, 7, 4, 1]
    assert tinynn.arange(5.0, device=device).dtype == tinynn.float32
    assert_close(tinynn.arange(-1, 1, 0.3, device=device),
                 [-1.0, -0.699999988079071, -0.4000000059604645, -0.10000000149011612,
                  0.20000000298023224, 0.5, 0.800000011920929])
    assert tinynn.arange(0, 1, 0.1, dtype=tinynn.float64, device=device).tolist() == [
        0.0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9]
    assert tinynn.arange(5, 0, -1.5, device=device).tolist() == [5.0, 3.5, 2.0, 0.5]
    assert tinynn.arange(0.5, 3, device=device).tolist() == [0.5, 1.5, 2.5]
    assert tinynn.arange(0, 5, 1.5, dtype=tinynn.int64, device=device).tolist() == [0, 1, 2, 3, 4]
    assert tinynn.arange(0, 0, device=device).shape == (0,)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        tinynn.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        tinynn.arange(0, 5, -1)
    with pytest.raises(RuntimeError, match="unsupported range"):
        tinynn.arange(0, float("inf"))


def test_linspace_logspace(device):
    t = tinynn.linspace(-1, 1.3, 7, device=device)
    assert t.dtype == tinynn.float32
    # PyTorch computes in float32, the first half from start and the second half back from end
    assert t.tolist() == [-1.0, -0.6166666746139526, -0.23333334922790527, 0.1499999761581421,
                          0.5333333015441895, 0.9166666269302368, 1.2999999523162842]
    assert tinynn.linspace(0.0, 1.0, 10, device=device).tolist() == [
        0.0, 0.1111111119389534, 0.2222222238779068, 0.3333333432674408, 0.4444444477558136,
        0.5555555820465088, 0.6666666865348816, 0.7777777910232544, 0.8888888955116272, 1.0]
    assert tinynn.linspace(0, 10, 7, dtype=tinynn.int32, device=device).tolist() == [0, 1, 3, 5, 6, 8, 10]
    assert tinynn.linspace(10, 0, 7, dtype=tinynn.int32, device=device).tolist() == [10, 8, 6, 5, 3, 1, 0]
    assert tinynn.linspace(0, 1, 4, dtype=tinynn.float64, device=device).tolist() == [
        0.0, 0.3333333333333333, 0.6666666666666667, 1.0]
    assert tinynn.linspace(2, 3, 1, device=device).tolist() == [2.0]
    assert tinynn.linspace(2, 3, 0, device=device).shape == (0,)
    assert tinynn.linspace(tinynn.tensor(0.0), tinynn.tensor(1.0), 3, device=device).tolist() == [0.0, 0.5, 1.0]
    assert tinynn.linspace(3, 3, 4, device=device).tolist() == [3.0] * 4
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        tinynn.linspace(0, 1, -1)
    assert_close(tinynn.logspace(-1, 1, 5, device=device),
                 [0.10000000149011612, 0.3162277638912201, 1.0, 3.1622776985168457, 10.0])
    assert_close(tinynn.logspace(0, 1, 5, base=3.0, device=device),
                 [1.0, 1.316074013710022, 1.7320507764816284, 2.2795071601867676, 3.0])
    assert tinynn.logspace(0, 2, 3, dtype=tinynn.int64, device=device).tolist() == [1, 10, 100]


def test_like_functions(device):
    x = tinynn.zeros(2, 3, dtype=tinynn.int32, device=device)
    for f in (tinynn.zeros_like, tinynn.ones_like, tinynn.empty_like):
        r = f(x)
        assert r.shape == (2, 3) and r.dtype == tinynn.int32 and r.device == x.device
    assert tinynn.ones_like(x).tolist() == [[1, 1, 1], [1, 1, 1]]
    assert tinynn.zeros_like(x, dtype=tinynn.float64).dtype == tinynn.float64
    assert tinynn.full_like(x, 2.7).tolist() == [[2, 2, 2], [2, 2, 2]]
    assert tinynn.full_like(tinynn.zeros(2), 2).tolist() == [2.0, 2.0]
    g = tinynn.zeros(2, requires_grad=True)
    assert not tinynn.ones_like(g).requires_grad
    assert tinynn.ones_like(g, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="zeros_like\\(\\): argument 'input' \\(position 1\\) must be Tensor"):
        tinynn.zeros_like([1, 2])
    f = tinynn.zeros(4, 5, dtype=tinynn.float64, device=device)
    for f_like in (tinynn.rand_like, tinynn.randn_like):
        r = f_like(f)
        assert r.shape == (4, 5) and r.dtype == tinynn.float64
    r = tinynn.randint_like(f, 10)
    assert r.dtype == tinynn.float64 and _np(r).min() >= 0 and _np(r).max() < 10
    r = tinynn.randint_like(tinynn.zeros(200, dtype=tinynn.int32, device=device), 3, 6)
    assert r.dtype == tinynn.int32 and set(r.tolist()) == {3, 4, 5}
    with pytest.raises(NotImplementedError, match="check_uniform_bounds\" not implemented for 'Long'"):
        tinynn.rand_like(tinynn.zeros(2, dtype=tinynn.int64))


def test_default_dtype_respected(device, default_float64):
    for t in (tinynn.zeros(2, device=device), tinynn.ones(2, device=device),
              tinynn.empty(2, device=device), tinynn.full((2,), 1.5, device=device),
              tinynn.eye(2, device=device), tinynn.arange(0.5, 2, device=device),
              tinynn.linspace(0, 1, 3, device=device), tinynn.logspace(0, 1, 3, device=device),
              tinynn.rand(2, device=device), tinynn.randn(2, device=device),
              tinynn.normal(0.0, 1.0, (2,), device=device), tinynn.tensor([1.5], device=device),
              tinynn.scalar_tensor(2, device=device)):
        assert t.dtype == tinynn.float64
    assert tinynn.arange(3, device=device).dtype == tinynn.int64
    assert tinynn.full((1,), 2, device=device).dtype == tinynn.int64


def test_legacy_constructors():
    with pytest.raises(TypeError):
        tinynn.FloatTensor(1.0)
    assert tinynn.FloatTensor([1.0]).tolist() == [1.0]
    assert tinynn.FloatTensor(2, 3).shape == (2, 3)
    assert tinynn.LongTensor([1, 2]).dtype == tinynn.int64
    assert tinynn.DoubleTensor([1]).dtype == tinynn.float64


@pytest.mark.cpu_only(reason="sharing memory with a NumPy array is a CPU contract")
def test_asarray_shares_memory():
    a = np.array([1.0, 2.0])
    t = tinynn.asarray(a)
    a[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    c = tinynn.asarray(a, copy=True)
    a[0] = 7.0
    assert c.tolist() == [5.0, 2.0]


# ----------------------------------------------------------------------------------------------
# random: seeding and generators
# ----------------------------------------------------------------------------------------------
def test_manual_seed_reproducible(device):
    samplers = [lambda: tinynn.rand(5, device=device), lambda: tinynn.randn(2, 3, device=device),
                lambda: tinynn.randint(0, 100, (6,), device=device), lambda: tinynn.randperm(7, device=device),
                lambda: tinynn.normal(1.0, 2.0, (4,), device=device),
                lambda: tinynn.bernoulli(tinynn.full((8,), 0.5, device=device)),
                lambda: tinynn.multinomial(tinynn.ones(5, device=device), 3),
                lambda: tinynn.empty(4, device=device).uniform_(-1, 1),
                lambda: tinynn.empty(4, device=device).normal_(),
                lambda: tinynn.empty(4, device=device).exponential_(),
                lambda: tinynn.empty(4, device=device).random_(0, 50)]
    tinynn.manual_seed(123)
    first = [f().tolist() for f in samplers]
    tinynn.manual_seed(123)
    again = [f().tolist() for f in samplers]
    assert first == again
    tinynn.manual_seed(124)
    assert [f().tolist() for f in samplers][0] != first[0]
    assert tinynn.initial_seed() == 124


def test_generator_is_independent_of_the_global_stream(device):
    tinynn.manual_seed(7)
    a = tinynn.rand(4, device=device)
    tinynn.manual_seed(7)
    g = tinynn.Generator(device).manual_seed(99)
    drawn = tinynn.randn(10, generator=g, device=device)
    b = tinynn.rand(4, device=device)
    assert a.tolist() == b.tolist()  # the generator did not consume the global stream
    g2 = tinynn.Generator(device)
    g2.manual_seed(99)
    assert tinynn.randn(10, generator=g2, device=device).tolist() == drawn.tolist()
    # generator= on every sampler
    d = device
    for f in (lambda gen: tinynn.rand(3, generator=gen, device=d),
              lambda gen: tinynn.randint(9, (3,), generator=gen, device=d),
              lambda gen: tinynn.randperm(5, generator=gen, device=d),
              lambda gen: tinynn.normal(0.0, 1.0, (3,), generator=gen, device=d),
              lambda gen: tinynn.normal(tinynn.zeros(3, device=d), 1.0, generator=gen),
              lambda gen: tinynn.bernoulli(tinynn.full((9,), 0.5, device=d), generator=gen),
              lambda gen: tinynn.multinomial(tinynn.ones(4, device=d), 2, generator=gen),
              lambda gen: tinynn.rand_like(tinynn.zeros(3, device=d), generator=gen),
              lambda gen: tinynn.empty(3, device=d).uniform_(generator=gen),
              lambda gen: tinynn.empty(3, device=d).normal_(generator=gen),
              lambda gen: tinynn.empty(9, device=d).bernoulli_(0.5, generator=gen),
              lambda gen: tinynn.empty(3, device=d).exponential_(generator=gen),
              lambda gen: tinynn.empty(3, device=d).random_(100, generator=gen)):
        assert f(tinynn.Generator(d).manual_seed(3)).tolist() == f(tinynn.Generator(d).manual_seed(3)).tolist()
    assert tinynn.Generator().initial_seed() == 67280421310721
    assert tinynn.Generator().device == tinynn.device("cpu")
    with pytest.raises(TypeError):
        tinynn.rand(2, generator=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but found 'cuda'"):
        tinynn.rand(2, generator=tinynn.Generator("cuda"), device="cpu")


def test_seed_state_and_fork():
    # get_rng_state / set_rng_state / fork_rng are about the CPU generator, as in PyTorch
    s = tinynn.seed()
    assert isinstance(s, int) and tinynn.initial_seed() == s
    tinynn.manual_seed(-1)
    assert tinynn.initial_seed() == 2 ** 64 - 1
    with pytest.raises(ValueError, match="Overflow"):
        tinynn.manual_seed(2 ** 64)
    assert isinstance(tinynn.manual_seed(5), tinynn.Generator)
    state = tinynn.get_rng_state()
    assert state.dtype == tinynn.uint8
    a = tinynn.rand(5, device="cpu")
    tinynn.set_rng_state(state)
    assert tinynn.rand(5, device="cpu").tolist() == a.tolist()
    g = tinynn.Generator().manual_seed(1)
    st = g.get_state()
    x = tinynn.rand(3, generator=g, device="cpu")
    g.set_state(st)
    assert tinynn.rand(3, generator=g, device="cpu").tolist() == x.tolist()
    with tinynn.fork_rng():
        tinynn.rand(10, device="cpu")
    assert tinynn.rand(5, device="cpu").tolist() != a.tolist()
    tinynn.set_rng_state(state)
    tinynn.rand(5, device="cpu")
    after = tinynn.rand(2, device="cpu").tolist()
    tinynn.set_rng_state(state)
    tinynn.rand(5, device="cpu")
    with tinynn.fork_rng():
        tinynn.randn(100, device="cpu")
    assert tinynn.rand(2, device="cpu").tolist() == after


# ----------------------------------------------------------------------------------------------
# random: distributions (fixed seeds, so the checks are deterministic; tolerances are ~5 sigma)
# ----------------------------------------------------------------------------------------------
def _np(t):
    return t.detach().cpu().numpy().astype(np.float64)


def test_rand_randn_statistics(device):
    tinynn.manual_seed(0)
    u = _np(tinynn.rand(200, 500, device=device))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.004 and abs(u.var() - 1 / 12) < 0.002
    n = _np(tinynn.randn(200, 500, device=device))
    assert abs(n.mean()) < 0.011 and abs(n.std() - 1) < 0.008
    assert abs((np.abs(n) < 1).mean() - 0.6827) < 0.01
    h = tinynn.rand(10000, dtype=tinynn.float16, device=device)
    assert h.dtype == tinynn.float16 and _np(h).max() < 1.0
    assert tinynn.rand(3, dtype=tinynn.float64, device=device).dtype == tinynn.float64
    with pytest.raises(NotImplementedError, match="check_uniform_bounds\" not implemented for 'Long'"):
        tinynn.rand(2, dtype=tinynn.int64)
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu\" not implemented for 'Long'"):
        tinynn.randn(2, dtype=tinynn.int64)


def test_normal_forms(device):
    tinynn.manual_seed(1)
    t = tinynn.normal(2.0, 3.0, (200, 200), device=device)
    assert t.shape == (200, 200) and t.dtype == tinynn.float32
    assert abs(_np(t).mean() - 2.0) < 0.075 and abs(_np(t).std() - 3.0) < 0.06
    t = tinynn.normal(mean=-1.0, std=0.5, size=(40000,), device=device)
    assert abs(_np(t).mean() + 1.0) < 0.0125 and abs(_np(t).std() - 0.5) < 0.01
    mean = tinynn.zeros(20000, device=device) + 5.0
    std = tinynn.ones(20000, device=device) * 0.1
    t = tinynn.normal(mean, std)
    assert t.shape == (20000,) and abs(_np(t).mean() - 5.0) < 0.005 and abs(_np(t).std() - 0.1) < 0.004
    t = tinynn.normal(tinynn.zeros(2, 1, device=device), tinynn.ones(3, device=device))
    assert t.shape == (2, 3)
    t = tinynn.normal(tinynn.zeros(3, dtype=tinynn.float64, device=device), 2.0)
    assert t.shape == (3,) and t.dtype == tinynn.float64
    t = tinynn.normal(0.0, tinynn.full((4,), 0.0, device=device))
    assert t.tolist() == [0.0] * 4
    t = tinynn.normal(tinynn.arange(4.0, device=device), 0.0)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert tinynn.normal(tinynn.zeros(2, dtype=tinynn.float64), tinynn.ones(2)).dtype == tinynn.float64
    assert tinynn.normal(0.0, 1.0, (2,), dtype=tinynn.float64).dtype == tinynn.float64
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        tinynn.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        tinynn.normal(tinynn.zeros(2), -tinynn.ones(2))
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        tinynn.normal(tinynn.zeros(2), tinynn.ones(3))
    with pytest.raises(TypeError):
        tinynn.normal(0.0, 1.0)
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
        tinynn.normal(tinynn.zeros(2, dtype=tinynn.int64), 1.0)


def test_samplers_have_zero_gradient(device):
    m = tinynn.zeros(3, requires_grad=True, device=device)
    s = tinynn.ones(3, requires_grad=True, device=device)
    y = tinynn.normal(m, s)
    assert type(y.grad_fn).__name__ == "NormalBackward3"
    assert type(tinynn.normal(m, 1.0).grad_fn).__name__ == "NormalBackward1"
    assert type(tinynn.normal(0.0, s).grad_fn).__name__ == "NormalBackward2"
    y.sum().backward()
    assert m.grad.tolist() == [0.0, 0.0, 0.0] and s.grad.tolist() == [0.0, 0.0, 0.0]
    p = tinynn.full((3,), 0.3, requires_grad=True, device=device)
    b = tinynn.bernoulli(p)
    assert type(b.grad_fn).__name__ == "BernoulliBackward0" and b.requires_grad
    b.sum().backward()
    assert p.grad.tolist() == [0.0, 0.0, 0.0]
    for name, fill in (("UniformBackward0", lambda t: t.uniform_()), ("NormalBackward0", lambda t: t.normal_()),
                       ("BernoulliBackward2", lambda t: t.bernoulli_(0.5)),
                       ("BernoulliBackward1", lambda t: t.bernoulli_(tinynn.full((3,), 0.5))),
                       ("ExponentialBackward0", lambda t: t.exponential_()),
                       ("RandomBackward2", lambda t: t.random_()), ("RandomBackward1", lambda t: t.random_(5)),
                       ("RandomBackward0", lambda t: t.random_(1, 5))):
        x = tinynn.ones(3, requires_grad=True, device=device)
        h = x * 2
        fill(h)
        assert type(h.grad_fn).__name__ == name
        (h * 3).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]
    leaf = tinynn.zeros(3, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.normal_()
    with tinynn.no_grad():
        leaf.normal_()
    assert leaf.grad_fn is None and leaf.requires_grad
    assert tinynn.rand(2, requires_grad=True).is_leaf


def test_randint_randperm(device):
    tinynn.manual_seed(2)
    r = tinynn.randint(5, (3000,), device=device)
    assert r.dtype == tinynn.int64 and set(r.tolist()) == {0, 1, 2, 3, 4}
    r = tinynn.randint(2, 5, (2, 500), device=device)
    assert r.shape == (2, 500) and set(r.flatten().tolist()) == {2, 3, 4}
    assert abs(_np(r).mean() - 3.0) < 0.1
    r = tinynn.randint(low=-3, high=-1, size=(100,), device=device)
    assert set(r.tolist()) == {-3, -2}
    assert tinynn.randint(high=5, size=(2,)).shape == (2,)
    r = tinynn.randint(5, (3,), dtype=tinynn.float32, requires_grad=True)
    assert r.dtype == tinynn.float32 and r.requires_grad
    assert tinynn.randint(0, 2 ** 40, (10,)).cpu().numpy().max() < 2 ** 40
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        tinynn.randint(5, 3)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=5"):
        tinynn.randint(5, 5, (3,))
    p = tinynn.randperm(50, device=device)
    assert p.dtype == tinynn.int64 and sorted(p.tolist()) == list(range(50)) and p.tolist() != list(range(50))
    assert tinynn.randperm(4, dtype=tinynn.float32).dtype == tinynn.float32
    assert tinynn.randperm(0).shape == (0,)
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        tinynn.randperm(-1)


def test_bernoulli(device):
    tinynn.manual_seed(3)
    p = tinynn.tensor([0.0, 1.0, 0.25], device=device).expand(20000, 3)
    b = tinynn.bernoulli(p)
    assert b.dtype == tinynn.float32 and set(b.flatten().tolist()) <= {0.0, 1.0}
    means = _np(b).mean(axis=0)
    assert means[0] == 0.0 and means[1] == 1.0 and abs(means[2] - 0.25) < 0.02
    assert tinynn.bernoulli(tinynn.zeros(3, dtype=tinynn.float64, device=device)).dtype == tinynn.float64
    assert tinynn.bernoulli(tinynn.zeros(3, device=device), 1.0).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1 to be true"):
        tinynn.bernoulli(tinynn.tensor([1.5]))
    with pytest.raises(NotImplementedError):
        tinynn.bernoulli(tinynn.tensor([1, 0]))
    t = tinynn.zeros(4000, dtype=tinynn.int64, device=device)
    t.bernoulli_(0.75)
    assert t.dtype == tinynn.int64 and abs(_np(t).mean() - 0.75) < 0.04
    t = tinynn.zeros(3, device=device).bernoulli_(tinynn.tensor([1.0, 0.0, 1.0], device=device))
    assert t.tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=2"):
        tinynn.zeros(3).bernoulli_(2.0)


def test_multinomial(device):
    tinynn.manual_seed(4)
    w = tinynn.tensor([1.0, 2.0, 0.0, 7.0], device=device)  # unnormalised weights
    s = tinynn.multinomial(w, 20000, replacement=True)
    assert s.dtype == tinynn.int64 and s.shape == (20000,)
    freq = np.bincount(s.cpu().numpy(), minlength=4) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.0, 0.7], atol=0.015)
    # without replacement: rows of distinct indices; the first draw follows w, the second the
    # distribution after removing the first
    rows = tinynn.multinomial(tinynn.tensor([[0.1, 0.2, 0.7]], device=device).expand(20000, 3), 2)
    r = rows.cpu().numpy()
    assert r.shape == (20000, 2) and (r[:, 0] != r[:, 1]).all()
    np.testing.assert_allclose(np.bincount(r[:, 0], minlength=3) / 20000, [0.1, 0.2, 0.7], atol=0.015)
    p = np.array([0.1, 0.2, 0.7])
    second = [sum(p[j] * p[i] / (1 - p[j]) for j in range(3) if j != i) for i in range(3)]
    np.testing.assert_allclose(np.bincount(r[:, 1], minlength=3) / 20000, second, atol=0.015)
    full = tinynn.multinomial(tinynn.ones(2, 6, device=device), 6)
    assert sorted(full[0].tolist()) == list(range(6))
    assert tinynn.multinomial(tinynn.tensor([0.0, 1.0, 0.0]), 1).tolist() == [1]
    assert tinynn.multinomial(tinynn.tensor([[0.0, 1.0], [1.0, 0.0]]), 1).tolist() == [[1], [0]]
    assert tinynn.multinomial(tinynn.tensor([1.0, 0.0]), 4, replacement=True).tolist() == [0, 0, 0, 0]
    assert tinynn.multinomial(tinynn.tensor([1.0, 0.0, 0.0]), 2)[0].item() == 0
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size\\(-1\\) samples without replacement"):
        tinynn.multinomial(tinynn.tensor([1.0, 1.0]), 3)
    with pytest.raises(RuntimeError, match="probability tensor contains either `inf`, `nan` or element < 0"):
        tinynn.multinomial(tinynn.tensor([-1.0, 1.0]), 1)
    with pytest.raises(RuntimeError, match="probability tensor contains"):
        tinynn.multinomial(tinynn.tensor([float("nan"), 1.0]), 1)
    with pytest.raises(RuntimeError, match="invalid multinomial distribution \\(sum of probabilities <= 0\\)"):
        tinynn.multinomial(tinynn.tensor([0.0, 0.0]), 1)
    with pytest.raises(RuntimeError, match="prob_dist must be 1 or 2 dim"):
        tinynn.multinomial(tinynn.ones(2, 2, 2), 1)
    with pytest.raises(RuntimeError, match="cannot sample n_sample <= 0 samples"):
        tinynn.multinomial(tinynn.ones(2), 0)
    with pytest.raises(RuntimeError, match="multinomial only supports floating-point dtypes for input, got: Long"):
        tinynn.multinomial(tinynn.tensor([1, 1]), 1)


def test_inplace_samplers(device):
    tinynn.manual_seed(5)
    t = tinynn.empty(50000, device=device)
    before = id(t)
    v = t._version
    r = t.uniform_(-2.0, 3.0)
    assert r is t and id(t) == before and t._version > v
    a = _np(t)
    assert a.min() >= -2.0 and a.max() < 3.0 and abs(a.mean() - 0.5) < 0.04
    t.normal_(1.0, 2.0)
    assert abs(_np(t).mean() - 1.0) < 0.04 and abs(_np(t).std() - 2.0) < 0.04
    t.exponential_(4.0)
    assert _np(t).min() >= 0 and abs(_np(t).mean() - 0.25) < 0.01
    assert tinynn.zeros(3).normal_(0, 0).tolist() == [0.0] * 3
    assert tinynn.zeros(3).uniform_(1, 1).tolist() == [1.0] * 3
    f = tinynn.zeros(3000, device=device).random_(5)
    assert f.dtype == tinynn.float32 and set(f.tolist()) == {0.0, 1.0, 2.0, 3.0, 4.0}
    i = tinynn.zeros(3000, dtype=tinynn.int64, device=device).random_(2, 5)
    assert set(i.tolist()) == {2, 3, 4}
    assert 10 < _np(tinynn.zeros(1000).random_()).max() <= 2 ** 24
    assert set(tinynn.zeros(100, dtype=tinynn.bool).random_().tolist()) == {False, True}
    i8 = tinynn.zeros(4000, dtype=tinynn.int8).random_()
    assert _np(i8).min() >= 0 and _np(i8).max() > 100
    h = tinynn.empty(10000, dtype=tinynn.float16).uniform_()
    assert h.dtype == tinynn.float16 and _np(h).max() < 1.0
    c = tinynn.empty(20001, dtype=tinynn.float64).cauchy_(1.0, 2.0)
    assert abs(np.median(_np(c)) - 1.0) < 0.1
    ln = tinynn.empty(20000, dtype=tinynn.float64).log_normal_(0.0, 0.5)
    assert abs(np.log(_np(ln)).mean()) < 0.02 and abs(np.log(_np(ln)).std() - 0.5) < 0.02
    geo = tinynn.empty(20000).geometric_(0.25)
    assert _np(geo).min() >= 1 and abs(_np(geo).mean() - 4.0) < 0.15
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"):
        tinynn.zeros(3).uniform_(2, 1)
    with pytest.raises(NotImplementedError, match="check_uniform_bounds"):
        tinynn.zeros(3, dtype=tinynn.int64).uniform_()
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
        tinynn.zeros(3, dtype=tinynn.int64).normal_()
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        tinynn.zeros(3).normal_(0, -1)
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0, but found lambda=-1"):
        tinynn.zeros(3).exponential_(-1.0)
    with pytest.raises(RuntimeError, match="Exponential distribution is a continuous probability distribution"):
        tinynn.zeros(3, dtype=tinynn.int64).exponential_()
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=2"):
        tinynn.zeros(3).random_(5, 2)


def test_sampling_into_a_view_writes_the_base(device):
    base = tinynn.zeros(4, 3, device=device)
    base[1].uniform_(5.0, 6.0)
    a = _np(base)
    assert (a[1] >= 5.0).all() and (a[[0, 2, 3]] == 0).all()
    assert math.isfinite(float(base.sum()))
