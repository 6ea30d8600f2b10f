"""diff, rot90, block_diag, cartesian_prod, dist, cdist and renorm: values and dtypes against
literals computed once with PyTorch 2.13 (CPU), gradients (gradcheck + gradgradcheck in float64)
and PyTorch's errors for bad input."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
from helpers import assert_close, check_grad

RNG = np.random.default_rng(2024)


def T(data, device, **kw):
    return tinynn.tensor(data, device=device, **kw)


def _check(out, values, dtype, shape=None, rtol=1e-5):
    want = np.asarray(values, dtype=np.float64)
    assert tuple(out.shape) == (want.shape if shape is None else shape)
    assert out.dtype.name == dtype
    np.testing.assert_allclose(out.detach().cpu().numpy().astype(np.float64), want.reshape(out.shape),
                               rtol=rtol, atol=1e-6)


def _raises(exc, msg, fn):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


# ----------------------------------------------------------------------------------------------
# diff
# ----------------------------------------------------------------------------------------------
X = [[1., 3., 6., 10.], [2., -1., 4., 0.]]


def test_diff_values(device):
    x = T(X, device)
    _check(tinynn.diff(x), [[2., 3., 4.], [-3., 5., -4.]], "float32")
    _check(tinynn.diff(x, n=2), [[1., 1.], [8., -9.]], "float32")
    _check(tinynn.diff(x, n=3), [[0.], [-17.]], "float32")
    _check(tinynn.diff(x, dim=0), [[1., -4., -2., -10.]], "float32")
    _check(tinynn.diff(x, n=5), np.zeros((2, 0)), "float32")
    _check(tinynn.diff(x, n=0), X, "float32")
    _check(tinynn.diff(x, prepend=T([[0.], [1.]], device), append=T([[5., 6.], [7., 8.]], device)),
           [[1., 2., 3., 4., -5., 1.], [1., -3., 5., -4., 7., 1.]], "float32")
    _check(tinynn.diff(x, prepend=T([[1], [2]], device)), [[0., 2., 3., 4.], [0., -3., 5., -4.]], "float32")
    _check(tinynn.diff(T([1, 4, 9], device)), [3, 5], "int64")
    _check(tinynn.diff(T([1, 4, 9], device), prepend=T([0.5], device)), [0.5, 3., 5.], "float32")
    _check(tinynn.diff(T([1, 2], device, dtype=tinynn.uint8)), [1], "uint8")
    _check(tinynn.diff(T([1, 2, 3], device, dtype=tinynn.int8), n=2), [0], "int8")
    _check(tinynn.diff(T([1, 2], device, dtype=tinynn.int32), prepend=T([1], device)), [0, 1], "int64")
    _check(tinynn.diff(tinynn.zeros(0, device=device)), [], "float32")
    b = tinynn.diff(T([True, False, False, True], device))
    assert b.dtype.name == "bool" and b.tolist() == [True, False, True]
    assert tinynn.diff(T([True, False], device), n=2).tolist() == []
    _check(tinynn.diff(T([True, False, True], device), prepend=T([1], device)), [0, -1, 1], "int64")
    # n=0 is a copy (ignores dim and prepend)
    _check(tinynn.diff(x, n=0, dim=5), X, "float32")
    out = tinynn.empty(0, device=device)
    tinynn.diff(T([1., 2., 4.], device), out=out)
    _check(out, [1., 2.], "float32")


def test_diff_autograd(device):
    x = T(X, device).requires_grad_()
    assert type(tinynn.diff(x).grad_fn).__name__ == "SubBackward0"
    assert tuple(tinynn.diff(x, n=9).shape) == (2, 0)
    check_grad(lambda a: tinynn.diff(a), RNG.uniform(-2, 2, (3, 5)), device=device)
    check_grad(lambda a: tinynn.diff(a, n=3, dim=0), RNG.uniform(-2, 2, (5, 2)), device=device)
    check_grad(lambda a, p, q: tinynn.diff(a, n=2, dim=1, prepend=p, append=q),
               RNG.uniform(-2, 2, (2, 3)), RNG.uniform(-2, 2, (2, 1)), RNG.uniform(-2, 2, (2, 2)),
               device=device)


def test_diff_errors(device):
    x = T(X, device)
    _raises(RuntimeError, "order must be non-negative but got -1", lambda: tinynn.diff(x, n=-1))
    _raises(RuntimeError, "diff expects input to be at least one-dimensional",
            lambda: tinynn.diff(T(3., device)))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
            lambda: tinynn.diff(x, dim=2))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 5)",
            lambda: tinynn.diff(x, dim=5, prepend=T([[1.], [2.]], device)))
    _raises(RuntimeError, "diff expects prepend or append to be the same dimension as input",
            lambda: tinynn.diff(x, prepend=T([1.], device)))
    _raises(RuntimeError, "diff expects prepend or append to be the same dimension as input",
            lambda: tinynn.diff(x, n=0, append=T(1., device)))
    _raises(RuntimeError, "diff expects the shape of tensor to prepend or append to match that of input "
            "except along the differencing dimension; input.size(0) = 2, but got tensor.size(0) = 1",
            lambda: tinynn.diff(x, prepend=T([[1., 2, 3]], device)))
    _raises(TypeError, "diff(): argument 'n' must be int, not float", lambda: tinynn.diff(x, n=1.5))
    _raises(TypeError, "diff(): argument 'input' (position 1) must be Tensor, not list",
            lambda: tinynn.diff([1, 2]))


# ----------------------------------------------------------------------------------------------
# rot90
# ----------------------------------------------------------------------------------------------
ROT = {  # k -> torch.rot90(torch.arange(6.).reshape(2, 3), k)
    1: [[2., 5.], [1., 4.], [0., 3.]],
    2: [[5., 4., 3.], [2., 1., 0.]],
    3: [[3., 0.], [4., 1.], [5., 2.]],
    0: [[0., 1., 2.], [3., 4., 5.]],
}


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 4, 5])
def test_rot90_values(k, device):
    x = tinynn.arange(6., device=device).reshape(2, 3).requires_grad_()
    r = tinynn.rot90(x, k)
    _check(r, ROT[k % 4], "float32")
    assert type(r.grad_fn).__name__ == "Rot90Backward0"
    assert r.is_contiguous() == (k % 2 == 0)  # PyTorch's layouts: odd k is a transposed copy
    _check(tinynn.rot90(x, k, [1, 0]), ROT[(-k) % 4], "float32")


def test_rot90_3d_and_grad(device):
    z = tinynn.arange(24, device=device).reshape(2, 3, 4)
    r = tinynn.rot90(z, 1, [0, 2])
    assert r.dtype.name == "int64"
    assert r.tolist() == [[[3, 15], [7, 19], [11, 23]], [[2, 14], [6, 18], [10, 22]],
                          [[1, 13], [5, 17], [9, 21]], [[0, 12], [4, 16], [8, 20]]]
    assert tinynn.rot90(z, 3, [-1, 1]).tolist() == [
        [[3, 7, 11], [2, 6, 10], [1, 5, 9], [0, 4, 8]], [[15, 19, 23], [14, 18, 22], [13, 17, 21], [12, 16, 20]]]
    for k in range(4):
        check_grad(lambda a, k=k: tinynn.rot90(a, k, (2, 0)), RNG.uniform(-2, 2, (2, 3, 4)), device=device)


def test_rot90_errors(device):
    x = tinynn.ones(2, 3, device=device)
    _raises(RuntimeError, "expected total rotation dims == 2, but got dims = 1", lambda: tinynn.rot90(x, 1, [0]))
    _raises(RuntimeError, "expected total rotation dims == 2, but got dims = 3",
            lambda: tinynn.rot90(x, 1, [0, 1, 2]))
    _raises(RuntimeError, "expected total dims >= 2, but got total dims = 1",
            lambda: tinynn.rot90(tinynn.ones(3, device=device)))
    _raises(RuntimeError, "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0",
            lambda: tinynn.rot90(x, 1, [0, 0]))
    _raises(RuntimeError, "expected rotation dims to be different, but got dim0 = 0 and dim1 = -2",
            lambda: tinynn.rot90(x, 1, [0, -2]))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
            lambda: tinynn.rot90(x, 1, [0, 2]))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got -3)",
            lambda: tinynn.rot90(x, 1, [-3, -5]))


# ----------------------------------------------------------------------------------------------
# block_diag, cartesian_prod
# ----------------------------------------------------------------------------------------------
def test_block_diag_values(device):
    a = T([[1., 2.], [3., 4.]], device)
    _check(tinynn.block_diag(a, T(5., device), T([6, 7, 8], device)),
           [[1., 2., 0., 0., 0., 0.], [3., 4., 0., 0., 0., 0.], [0., 0., 5., 0., 0., 0.],
            [0., 0., 0., 6., 7., 8.]], "float32")
    _check(tinynn.block_diag(a, tinynn.zeros(0, 2, device=device), T(5., device)),
           [[1., 2., 0., 0., 0.], [3., 4., 0., 0., 0.], [0., 0., 0., 0., 5.]], "float32")
    _check(tinynn.block_diag(), np.zeros((1, 0)), "float32")
    _check(tinynn.block_diag(a), [[1., 2.], [3., 4.]], "float32")
    _check(tinynn.block_diag(tinynn.zeros(0, device=device), tinynn.zeros(2, 0, device=device)),
           np.zeros((3, 0)), "float32")
    _check(tinynn.block_diag(T([1, 2], device, dtype=tinynn.int32), T([True], device)),
           [[1, 2, 0], [0, 0, 1]], "int32")
    r = tinynn.block_diag(a.requires_grad_(), T(5., device))
    assert type(r.grad_fn).__name__ == "BlockDiagBackward0"


def test_block_diag_grad(device):
    check_grad(lambda a, b, c, d: tinynn.block_diag(a, b, c, d), RNG.uniform(-2, 2, (2, 3)),
               RNG.uniform(-2, 2, ()), RNG.uniform(-2, 2, (4,)), RNG.uniform(-2, 2, (3, 1)),
               device=device)
    # mixed dtypes: each gradient comes back in its input's dtype
    a = T([[1., 2.]], device, dtype=tinynn.float32).requires_grad_()
    b = T([3.], device, dtype=tinynn.float64).requires_grad_()
    out = tinynn.block_diag(a, b)
    assert out.dtype.name == "float64"
    (out * T([[1., 2., 3.], [4., 5., 6.]], device, dtype=tinynn.float64)).sum().backward()
    assert a.grad.dtype.name == "float32" and a.grad.tolist() == [[1., 2.]]
    assert b.grad.tolist() == [6.]


def test_block_diag_errors(device):
    a = T([[1., 2.], [3., 4.]], device)
    _raises(RuntimeError, "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3 "
            "dimensions", lambda: tinynn.block_diag(tinynn.zeros(2, 2, 2, device=device)))
    _raises(RuntimeError, "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 1 has 3 "
            "dimensions", lambda: tinynn.block_diag(a, tinynn.zeros(2, 2, 2, device=device)))
    _raises(TypeError, "expected Tensor as element 1 in argument 0, but got list",
            lambda: tinynn.block_diag(a, [1, 2]))


def test_cartesian_prod_values(device):
    r = tinynn.cartesian_prod(T([1, 2, 3], device), T([4, 5], device))
    assert r.dtype.name == "int64"
    assert r.tolist() == [[1, 4], [1, 5], [2, 4], [2, 5], [3, 4], [3, 5]]
    _check(tinynn.cartesian_prod(T([1., 2], device), T([4., 5], device), T([7.], device)),
           [[1., 4., 7.], [1., 5., 7.], [2., 4., 7.], [2., 5., 7.]], "float32")
    t1 = T([1., 2], device)
    assert tinynn.cartesian_prod(t1) is t1
    _check(tinynn.cartesian_prod(tinynn.zeros(0, device=device), T([4., 5], device)), np.zeros((0, 2)),
           "float32")
    r = tinynn.cartesian_prod(T([1., 2], device).requires_grad_(), T([4., 5], device))
    assert type(r.grad_fn).__name__ == "StackBackward0"
    check_grad(lambda a, b, c: tinynn.cartesian_prod(a, b, c), RNG.uniform(-2, 2, (3,)),
               RNG.uniform(-2, 2, (2,)), RNG.uniform(-2, 2, (2,)), device=device)


def test_cartesian_prod_errors(device):
    _raises(RuntimeError, "meshgrid expects all tensors to have the same dtype",
            lambda: tinynn.cartesian_prod(T([1, 2], device), T([4., 5], device)))
    _raises(RuntimeError, "Expect a 1D vector, but got shape [1, 2]",
            lambda: tinynn.cartesian_prod(T([[1, 2]], device), T([4, 5], device)))
    _raises(RuntimeError, "Expect a 1D vector, but got shape [1, 2]",
            lambda: tinynn.cartesian_prod(T([[1, 2]], device)))
    _raises(RuntimeError, "Expect a 1D vector, but got shape []",
            lambda: tinynn.cartesian_prod(T(1, device), T([4, 5], device)))
    _raises(RuntimeError, "meshgrid expects a non-empty TensorList", lambda: tinynn.cartesian_prod())
    _raises(TypeError, "expected Tensor as element 0 in argument 0, but got list",
            lambda: tinynn.cartesian_prod([1, 2]))


# ----------------------------------------------------------------------------------------------
# dist, cdist
# ----------------------------------------------------------------------------------------------
INF = float("inf")
DIST = {2: 5.220153331756592, 1: 9.5, 0: 5.0, 3: 4.532735824584961, 0.5: 41.46270751953125, INF: 4.0,
        -INF: 0.0, -1: 0.0}


@pytest.mark.parametrize("p", list(DIST))
def test_dist_values(p, device):
    a = T([[1., -2., 3.], [0.5, 0., -1.]], device)
    # PyTorch's float32 p=3 norm is 1.1e-5 off the exact 4.532683850629707 (its float64 value);
    # tinynn's is the exact one rounded, hence the tolerance
    _check(tinynn.dist(a, T([0., 1., -1.], device), p), DIST[p], "float32", rtol=2e-5)


def test_dist_dtypes_grad_and_errors(device):
    _check(tinynn.dist(T([1., 2], device), T([3, 4], device)), 2.8284270763397217, "float32")
    _check(tinynn.dist(T([1., 2], device, dtype=tinynn.float64), T([3., 4], device)), 2.8284271247461903,
           "float64")
    _check(tinynn.dist(T([1., 2], device), T([3., 4], device), p=T(3., device)), 2.5198421478271484,
           "float32")
    x = T([1., 2.], device).requires_grad_()
    y = T([1., 2.], device).requires_grad_()
    for p in (2, 1, 3, 0.5, INF):  # zero distance: PyTorch's gradient is 0
        x.grad = y.grad = None
        r = tinynn.dist(x, y, p)
        assert type(r.grad_fn).__name__ == "DistBackward0"
        r.backward()
        assert x.grad.tolist() == [0., 0.] and y.grad.tolist() == [0., 0.]
    for p in (2, 1, 3, 0.5, INF, 0):
        check_grad(lambda a, b, p=p: tinynn.dist(a, b, p), RNG.uniform(-2, 2, (2, 3)), RNG.uniform(-2, 2, (3,)),
                   device=device)
    _raises(RuntimeError, "norm(): input dtype should be either floating point or complex. Got Long instead.",
            lambda: tinynn.dist(T([1, 2], device), T([3, 4], device)))
    _raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
            "dimension 1", lambda: tinynn.dist(tinynn.ones(2, 3, device=device), tinynn.ones(2, device=device)))
    _raises(TypeError, "dist(): argument 'other' (position 2) must be Tensor, not list",
            lambda: tinynn.dist(tinynn.ones(2, device=device), [1, 2]))
    _raises(RuntimeError, "linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
            "operation does not have an identity",
            lambda: tinynn.dist(tinynn.zeros(0, device=device), tinynn.zeros(0, device=device), INF))
    _check(tinynn.dist(tinynn.zeros(0, device=device), tinynn.zeros(0, device=device)), 0., "float32")


CA = [[1., -2., 3.], [0.5, 0., -1.]]
CB = [[0., 1., -1.], [1., -2., 3.], [2., 2., 2.]]
CDIST = {
    2: [[5.099019527435303, 0.0, 4.242640495300293], [1.1180340051651, 4.5, 3.9051249027252197]],
    1: [[8.0, 0.0, 6.0], [1.5, 6.5, 6.5]],
    0: [[3., 0., 3.], [2., 3., 3.]],
    3: [[4.514357566833496, 0.0, 4.041240215301514], [1.0400419235229492, 4.16257381439209, 3.3729982376098633]],
    0.5: [[22.392305374145508, 0.0, 16.0], [2.9142136573791504, 16.985280990600586, 19.105722427368164]],
    INF: [[4., 0., 4.], [1., 4., 3.]],
}


@pytest.mark.parametrize("p", list(CDIST))
@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                  "donot_use_mm_for_euclid_dist"])
def test_cdist_values(p, mode, device):
    a = T(CA, device).requires_grad_()
    r = tinynn.cdist(a, T(CB, device), p, compute_mode=mode)
    _check(r, CDIST[p], "float32")
    # PyTorch's graph: the matmul form ends in a view, the direct form is one CdistBackward0 node
    want = "ViewBackward0" if (p == 2 and mode == "use_mm_for_euclid_dist") else "CdistBackward0"
    assert type(r.grad_fn).__name__ == want


# d/dx of sum(g * cdist(x, y, p)) for x = [[1, 2], [3, 4]], y = [[1, 2], [0, 0]], g = [[1, 2], [3, 4]]
# (x[0] == y[0]: zero distance, whose gradient PyTorch takes as 0); same for both compute modes
CDIST_GRAD = {
    2: ([[0.8944271802902222, 1.7888543605804443], [4.521320343017578, 5.321320533752441]],
        [[-2.1213202476501465, -2.1213204860687256], [-3.2944271564483643, -4.98885440826416]]),
    1: ([[2.0, 2.0], [7.0, 7.0]], [[-3.0, -3.0], [-6.0, -6.0]]),
    3: ([[0.4622408449649811, 1.8489633798599243], [3.6692867279052734, 5.053268909454346]],
        [[-1.8898814916610718, -1.8898814916610718], [-2.2416462898254395, -5.012350559234619]]),
    0.5: ([[4.828427314758301, 3.4142136573791504], [14.618802070617676, 13.464101791381836]],
          [[-6.0, -6.0], [-13.447229385375977, -10.878314971923828]]),
    INF: ([[0.0, 2.0], [3.0, 7.0]], [[-3.0, -3.0], [0.0, -6.0]]),  # ties each take the full gradient
    0: ([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]),
}


@pytest.mark.parametrize("p", list(CDIST_GRAD))
@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"])
def test_cdist_grad_at_zero_distance(p, mode, device):
    x = T([[1., 2.], [3., 4.]], device).requires_grad_()
    y = T([[1., 2.], [0., 0.]], device).requires_grad_()
    tinynn.cdist(x, y, p, compute_mode=mode).backward(T([[1., 2.], [3., 4.]], device))
    assert_close(x.grad, CDIST_GRAD[p][0])
    assert_close(y.grad, CDIST_GRAD[p][1])


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, INF, 0])
def test_cdist_gradcheck(p, device):
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        check_grad(lambda a, b, mode=mode: tinynn.cdist(a, b, p, compute_mode=mode),
                   RNG.uniform(-2, 2, (3, 2)), RNG.uniform(-2, 2, (4, 2)), device=device)
        check_grad(lambda a, b, mode=mode: tinynn.cdist(a, b, p, compute_mode=mode),
                   RNG.uniform(-2, 2, (2, 1, 3, 2)), RNG.uniform(-2, 2, (3, 2, 2)), device=device)


def test_cdist_batched_and_mm_threshold(device):
    a = T([[[1., 2.], [0., -1.]], [[3., 0.5], [2., 2.]]], device)
    b = T([[0., 0.], [1., 1.], [-1., 2.]], device)
    want = {2: [[[2.2360680103302, 1.0, 2.0], [1.0, 2.2360680103302, 3.1622776985168457]],
                [[3.041381359100342, 2.0615527629852295, 4.27200174331665],
                 [2.8284270763397217, 1.4142135381698608, 3.0]]],
            1: [[[3.0, 1.0, 2.0], [1.0, 3.0, 4.0]], [[3.5, 2.5, 5.5], [4.0, 2.0, 3.0]]],
            INF: [[[2.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [[3.0, 2.0, 4.0], [2.0, 1.0, 3.0]]]}
    for p, w in want.items():
        _check(tinynn.cdist(a, b, p), w, "float32")
        assert tuple(tinynn.cdist(a.unsqueeze(1), b.expand(3, 3, 2), p).shape) == (2, 3, 2, 3)
    assert tuple(tinynn.cdist(tinynn.ones(4, 1, 2, 3, device=device), tinynn.ones(5, 3, 3, device=device)).shape) \
        == (4, 5, 2, 3)
    _check(tinynn.cdist(tinynn.ones(0, 3, device=device), tinynn.ones(2, 3, device=device)), np.zeros((0, 2)),
           "float32")
    _check(tinynn.cdist(tinynn.ones(2, 0, device=device), tinynn.ones(3, 0, device=device)), np.zeros((2, 3)),
           "float32")
    # more than 25 rows: the matmul form (PyTorch's default), a coincident row has distance 0 and
    # gradient 0 from it
    x1 = np.sin(np.arange(26 * 3).reshape(26, 3) * 0.7) * 2
    x2 = np.cos(np.arange(4 * 3).reshape(4, 3) * 1.3)
    r = tinynn.cdist(T(x1, device, dtype=tinynn.float32), T(x2, device, dtype=tinynn.float32))
    assert tuple(r.shape) == (26, 4)
    assert_close(r.sum(), 263.53509521484375, rtol=1e-5)
    assert_close(r[0, 0], 3.1683902740478516)
    assert_close(r[25, 3], 1.312334418296814)
    x1[5] = np.asarray(x2[1], dtype=np.float32)
    xa = T(x1, device, dtype=tinynn.float32).requires_grad_()
    r = tinynn.cdist(xa, T(x2, device, dtype=tinynn.float32))
    assert type(r.grad_fn).__name__ == "ViewBackward0"
    assert r[5, 1].item() == 0.0
    r.backward(tinynn.ones_like(r))
    assert_close(xa.grad[5], [-1.780355453491211, 0.4754398465156555, 2.034714698791504], rtol=1e-4, atol=1e-5)


def test_cdist_errors(device):
    a, b = T(CA, device), T(CB, device)
    _raises(ValueError, "foo is not a valid value for compute_mode", lambda: tinynn.cdist(a, b, compute_mode="foo"))
    _raises(RuntimeError, "cdist only supports non-negative p values", lambda: tinynn.cdist(a, b, -1))
    _raises(RuntimeError, "cdist only supports at least 2D tensors, X1 got: 1D", lambda: tinynn.cdist(a[0], b))
    _raises(RuntimeError, "cdist only supports at least 2D tensors, X2 got: 1D", lambda: tinynn.cdist(a, b[0]))
    _raises(RuntimeError, "X1 and X2 must have the same number of columns. X1: 3 X2: 2",
            lambda: tinynn.cdist(a, b[:, :2]))
    _raises(RuntimeError, "cdist only supports floating-point dtypes, X1 got: Long",
            lambda: tinynn.cdist(T([[1, 2]], device), T([[1, 2]], device)))
    _raises(RuntimeError, "expected scalar type Float but found Double",
            lambda: tinynn.cdist(tinynn.ones(2, 3, device=device),
                                 tinynn.ones(2, 3, dtype=tinynn.float64, device=device)))
    _raises(RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
            "dimension 1", lambda: tinynn.cdist(tinynn.ones(4, 2, 2, 3, device=device),
                                                tinynn.ones(3, 3, 3, device=device)))
    _raises(TypeError, "cdist(): argument 'x2' (position 2) must be Tensor, not list",
            lambda: tinynn.cdist(tinynn.ones(2, 3, device=device), [1]))


@pytest.mark.cpu_only(reason="PyTorch has no CPU half cdist kernel; on CUDA it computes")
def test_cdist_half_cpu(device):
    _raises(NotImplementedError, "\"cdist\" not implemented for 'Half'",
            lambda: tinynn.cdist(tinynn.ones(2, 3, dtype=tinynn.float16), tinynn.ones(2, 3, dtype=tinynn.float16)))


# ----------------------------------------------------------------------------------------------
# renorm
# ----------------------------------------------------------------------------------------------
RX = [[1., 2., 3.], [4., 5., 6.], [0.1, 0.2, -0.3]]
RENORM = {
    (2, 0, 5): [[1.0, 2.0, 3.0], [2.27921152, 2.84901428, 3.41881728], [0.1, 0.2, -0.30000001]],
    (1, 1, 5): [[0.98039216, 1.38888896, 1.61290312], [3.92156863, 3.47222233, 3.22580624],
                [0.09803922, 0.1388889, -0.16129032]],
    (INF, 0, 2): [[0.66666669, 1.33333337, 2.0], [1.33333337, 1.66666675, 2.0], [0.1, 0.2, -0.30000001]],
    (0.5, 0, 5): [[0.29084125, 0.5816825, 0.87252378], [0.44746053, 0.5593257, 0.6711908], [0.1, 0.2, -0.30000001]],
    (2, -1, 5): [[1.0, 1.85567403, 2.23383546], [4.0, 4.63918495, 4.46767092], [0.1, 0.18556741, -0.22338355]],
}


@pytest.mark.parametrize("args", list(RENORM))
def test_renorm_values(args, device):
    x = T(RX, device).requires_grad_()
    r = tinynn.renorm(x, *args)
    _check(r, RENORM[args], "float32")
    assert type(r.grad_fn).__name__ == "RenormBackward0"


def test_renorm_more_values(device):
    _check(tinynn.renorm(T(RX, device), 2, 0, T(1., device)),
           [[0.26726124, 0.53452247, 0.80178368], [0.45584232, 0.56980288, 0.6837635], [0.1, 0.2, -0.30000001]],
           "float32")
    _check(tinynn.renorm(tinynn.ones(2, 3, dtype=tinynn.float64, device=device), 2, 0, 1),
           np.full((2, 3), 0.57735024), "float64")
    _check(tinynn.renorm(tinynn.ones(2, 3, dtype=tinynn.float16, device=device), 2, 0, 1),
           np.full((2, 3), 0.57714844), "float16")
    _check(tinynn.renorm(tinynn.ones(2, 3, 4, device=device), 3, 1, 1.5), np.full((2, 3, 4), 0.75), "float32")
    _check(tinynn.renorm(tinynn.zeros(2, 3, device=device), 2, 0, 0), np.zeros((2, 3)), "float32")
    _check(tinynn.renorm(tinynn.zeros(2, 0, device=device), 2, 0, 1), np.zeros((2, 0)), "float32")
    _check(tinynn.renorm(tinynn.zeros(0, 2, device=device), INF, 0, 1), np.zeros((0, 2)), "float32")
    out = tinynn.empty(0, device=device)
    tinynn.renorm(T(RX, device), 2, 0, 5, out=out)
    _check(out, RENORM[(2, 0, 5)], "float32")


def test_renorm_grad(device):
    y = T([[1., 2., 3.], [0., 0., 0.], [0.1, 0.2, -0.3]], device).requires_grad_()
    g = T([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]], device)
    tinynn.renorm(y, 2, 0, 1).backward(g)
    assert_close(y.grad, [[7.14285653e-09, 1.42857131e-08, 2.14285709e-08], [4., 5., 6.], [7., 8., 9.]])
    y.grad = None
    tinynn.renorm(y, INF, 0, 1).backward(g)
    assert_close(y.grad, [[0.33333331, 0.66666663, -0.55555546], [4., 5., 6.], [7., 8., 9.]])
    # rows / columns above and below maxnorm, away from the kink at norm == maxnorm
    x = np.array([[1.5, -2.0, 0.7], [0.1, 0.2, -0.3], [-3.0, 1.2, 2.5], [0.4, -0.1, 0.3]])
    for p, dim, maxnorm in ((2, 0, 1.0), (1, 1, 2.0), (3, 0, 1.0), (INF, 1, 2.2), (0.5, 0, 4.0)):
        check_grad(lambda a, p=p, dim=dim, maxnorm=maxnorm: tinynn.renorm(a, p, dim, maxnorm), x,
                   device=device)
    check_grad(lambda a: tinynn.renorm(a, 2, 1, 1.0), RNG.uniform(-2, 2, (2, 3, 4)), device=device)


def test_renorm_errors(device):
    x = T(RX, device)
    _raises(RuntimeError, "renorm: non-positive-norm not supported", lambda: tinynn.renorm(x, 0, 0, 2))
    _raises(RuntimeError, "renorm: non-positive-norm not supported", lambda: tinynn.renorm(x, -1, 0, 5))
    _raises(RuntimeError, "renorm: non-positive-norm not supported",
            lambda: tinynn.renorm(T([1.], device), -1, 5, -1))
    _raises(RuntimeError, "renorm: expected maxnorm to be >= 0 but got -5", lambda: tinynn.renorm(x, 2, 0, -5))
    _raises(RuntimeError, "renorm: expected maxnorm to be >= 0 but got -1.5", lambda: tinynn.renorm(x, 2, 0, -1.5))
    _raises(RuntimeError, "renorm: expected maxnorm to be >= 0 but got -1e-07",
            lambda: tinynn.renorm(x, 2, 0, -1e-7))
    _raises(RuntimeError, "renorm: expected maxnorm to be >= 0 but got -1",
            lambda: tinynn.renorm(T([1.], device), 2, 0, -1))
    _raises(RuntimeError, "renorm: input needs at least 2 dimensions, got 1 dimensions",
            lambda: tinynn.renorm(T([3., -4.], device), 2, 0, 1))
    _raises(RuntimeError, "renorm: input needs at least 2 dimensions, got 0 dimensions",
            lambda: tinynn.renorm(T(3., device), 2, 0, 1))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
            lambda: tinynn.renorm(x, 2, 2, 5))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 5)",
            lambda: tinynn.renorm(T([[1]], device), 2, 5, 1))
    _raises(RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long",
            lambda: tinynn.renorm(T([[1, 2]], device), 2, 0, 1))
    _raises(RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Bool",
            lambda: tinynn.renorm(T([[True]], device), 2, 0, 1))
    _raises(RuntimeError, "linalg.vector_norm cannot compute the inf norm on the dimension 1because this "
            "dimension is empty and the operation does not have an identity",
            lambda: tinynn.renorm(tinynn.zeros(2, 0, device=device), INF, 0, 1))
    _raises(RuntimeError, "linalg.vector_norm cannot compute the inf norm on the dimension 2because this "
            "dimension is empty and the operation does not have an identity",
            lambda: tinynn.renorm(tinynn.zeros(2, 3, 0, device=device), INF, 0, 1))
    _raises(RuntimeError, "renorm(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad.",
            lambda: tinynn.renorm(x.requires_grad_(), 2, 0, 5, out=tinynn.empty(0, device=device)))
    _raises(TypeError, "renorm(): argument 'input' (position 1) must be Tensor, not list",
            lambda: tinynn.renorm([1], 3, 1, 1.5))
