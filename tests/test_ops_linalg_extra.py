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


def _check(out, values, dtype, shape=None):
    want = np.asarray(values, dtype=np.float64)
    assert tuple(out.shape) == (want.shape if shape is None else shape)
    assert out.dtype.name == dtype
    np.testing.assert_allclose(out.detach().cpu().numpy().astype(np.float64), want.reshape(out.shape),
                               rtol=1e-5, atol=1e-6)


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
