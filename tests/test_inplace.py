"""In-place ops and the view/in-place autograd policy: identity, versions, storage sharing,
gradients through in-place ops on tensors and on views (CopySlices), and PyTorch's errors.

Expected values were derived once with PyTorch 2.13 and are written in as literals."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import check_grad

import tinynn

RNG = np.random.default_rng(2)


def node(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


def w33(device=None):
    return tinynn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], requires_grad=True, device=device)


def ar33():
    return tinynn.tensor(np.arange(9.0).reshape(3, 3), dtype=tinynn.float32)


# ----------------------------------------------------------------------------- identity, values
def test_inplace_keeps_identity(device):
    x = tinynn.tensor(np.arange(12.0).reshape(3, 4), dtype=tinynn.float32, device=device)
    y = tinynn.ones(3, 4, device=device)
    before = id(x)
    x += y
    x -= 0.5
    x *= 2
    x /= 4
    assert id(x) == before and x[0].tolist() == [0.25, 0.75, 1.25, 1.75]
    z = tinynn.zeros_like(y)
    zid = id(z)
    z[:] = x + y
    assert id(z) == zid and z[0].tolist() == [1.25, 1.75, 2.25, 2.75] and z.dtype is tinynn.float32
    x[:] = x + y  # Y[:] = X + Y on itself
    assert id(x) == before and x[0, 0].item() == 1.25
    m = tinynn.eye(2, device=device)
    mid = id(m)
    m @= tinynn.tensor([[2.0, 0.0], [0.0, 3.0]])
    assert id(m) == mid and m.tolist() == [[2.0, 0.0], [0.0, 3.0]]
    y2 = y + 0
    y2 = y2 + 1  # rebinding allocates a new tensor
    assert y.tolist()[0][0] == 1.0


def test_inplace_visible_through_views(device):
    X = tinynn.tensor(np.arange(6.0).reshape(2, 3), dtype=tinynn.float32, device=device)
    row = X[0]
    X += 10
    assert row.tolist() == [10.0, 11.0, 12.0]
    row.mul_(2)
    assert X[0].tolist() == [20.0, 22.0, 24.0]
    col = X[:, 1]
    col.zero_()
    assert X.tolist() == [[20.0, 0.0, 24.0], [13.0, 0.0, 15.0]]
    X.t()[2].fill_(-1.0)
    assert X[:, 2].tolist() == [-1.0, -1.0]


def test_inplace_cast_rules(device):
    i = tinynn.tensor([1, 2, 3], device=device)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i += 0.5
    i.copy_(tinynn.tensor([1.7, 2.2, -0.5]))
    assert i.tolist() == [1, 2, 0]
    f = tinynn.zeros(3, device=device)
    f += tinynn.tensor([1, 2, 3])
    assert f.dtype is tinynn.float32 and f.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        f.add_(tinynn.ones(2, 3))


def test_overlapping_write_raises(device):
    e = tinynn.ones(1, 3, device=device).expand(2, 3)
    with pytest.raises(RuntimeError, match="unsupported operation: more than one element of the written-to "
                                           "tensor refers to a single memory location"):
        e.add_(1)


# ----------------------------------------------------------------------------- versions
def test_version_counter_like_pytorch(device):
    x = tinynn.zeros(3, device=device)
    assert x._version == 0
    x.add_(1)
    x[0] = 2
    x += 1
    v = x[1:]
    v.mul_(2)
    x.zero_()
    assert x._version == v._version == 5
    d = tinynn.ones(3, device=device)
    dd = d.detach()
    dd.add_(1)
    assert d._version == dd._version == 1 and d.tolist() == [2.0, 2.0, 2.0] and dd._base is None
    e = tinynn.ones(3, device=device)
    ed = e.data
    ed.add_(1)
    assert e._version == 0 and ed._version == 1 and e.tolist() == [2.0, 2.0, 2.0]


def test_detach_and_data_semantics(device):
    x = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    d = x.detach()
    d[0] = 10.0
    d.mul_(2)
    assert x.tolist() == [20.0, 4.0, 6.0] and not d.requires_grad and x.requires_grad
    a = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    out = a.sigmoid()
    out.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    a = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    out = a.sigmoid()
    out.data.zero_()
    out.sum().backward()  # .data is not tracked: silently uses the zeroed output
    assert a.grad.tolist() == [0.0, 0.0, 0.0]


# ----------------------------------------------------------------------------- in-place on non-leaves
def test_inplace_on_nonleaf_rebases_history(device):
    w = w33(device)
    y = w * 1
    y.add_(1)
    y.pow_(2)
    y.clamp_(max=50.0)
    y.sub_(tinynn.ones(3), alpha=2)
    y.div_(3)
    assert node(y) == "DivBackward0"
    y.sum().backward()
    np.testing.assert_allclose(w.grad.tolist(), [[1.3333334, 2.0, 2.6666667], [3.3333335, 4.0, 4.666667],
                                                 [0.0, 0.0, 0.0]], rtol=1e-6)
    a = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = tinynn.tensor([2.0, 3.0, 4.0], requires_grad=True)
    y = a * 1
    y.mul_(z)  # the old value of y is needed for z's gradient
    y.sum().backward()
    assert a.grad.tolist() == [2.0, 3.0, 4.0] and z.grad.tolist() == [1.0, 2.0, 3.0]


def test_inplace_on_saved_output_raises(device):
    w = w33(device)
    y = w.sigmoid()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been "
                                           "modified by an inplace operation: .*output 0 of SigmoidBackward0"):
        y.sum().backward()
    y = w.relu()
    y.relu_()
    y.pow_(2)  # relu_ saved its result
    with pytest.raises(RuntimeError, match="is at version 2; expected version 1 instead"):
        y.sum().backward()


def test_inplace_leaf_errors(device):
    w = tinynn.ones(3, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                           "operation."):
        w.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        w[0:2].mul_(2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.unsqueeze_(0)
    with tinynn.no_grad():
        w.add_(1)
        w[0:2].mul_(2)
    assert w.tolist() == [4.0, 4.0, 2.0] and w.is_leaf and w._version == 2


# ----------------------------------------------------------------------------- in-place on views
def test_copyslices_view_inplace(device):
    w = w33(device)
    B = w * w
    B[:, 0].mul_(2)
    assert node(B) == "CopySlices"
    (B * ar33()).sum().backward()
    assert w.grad.tolist() == [[0.0, 4.0, 12.0], [48.0, 40.0, 60.0], [168.0, 112.0, 144.0]]


def test_brief_example_mul_on_column(device):
    w = tinynn.ones(3, 3, requires_grad=True, device=device)
    B = w * 1
    B[:, 0].mul_(2)
    B.sum().backward()
    assert w.grad.tolist() == [[2.0, 1.0, 1.0], [2.0, 1.0, 1.0], [2.0, 1.0, 1.0]]


def test_view_add_inplace_regenerates_view_history(device):
    w = w33(device)
    x = tinynn.tensor([1.0, -1.0, 2.0], requires_grad=True, device=device)
    B = w * 1
    v = B[0]
    v.add_(x * x)
    assert node(v) == "AsStridedBackward0" and v._version == B._version == 1
    assert B[0].tolist() == [2.0, 3.0, 7.0]
    (B * ar33()).sum().backward()
    assert w.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
    assert x.grad.tolist() == [0.0, -2.0, 8.0]


def test_sibling_view_follows_base_inplace(device):
    w = w33(device)
    B = w * 1
    r = B[1]
    B.mul_(B.detach() + 1)  # r's history is regenerated from B's new history
    assert node(r) == "AsStridedBackward0"
    (r * tinynn.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.tolist() == [[0.0, 0.0, 0.0], [5.0, 12.0, 21.0], [0.0, 0.0, 0.0]]


def test_view_of_untracked_base_joins_graph(device):
    Z = tinynn.zeros(2, 3, device=device)
    row = Z[0]
    a = tinynn.ones(3, requires_grad=True, device=device)
    Z[0] = a * 2
    assert row.requires_grad and node(Z) == "CopySlices"
    (row * 5).sum().backward()
    assert a.grad.tolist() == [10.0, 10.0, 10.0]


def test_inplace_on_view_of_transposed_base(device):
    w = w33(device)
    B = w.t() * 2  # NumPy keeps the transposed (F-ordered) layout
    B[0].mul_(B[1].detach().clone())
    B[:, 2].tanh_()
    (B * ar33() / 100).sum().backward()
    np.testing.assert_allclose(w.grad.reshape(-1).tolist(), [0.0, 0.06, 0.12, 0.2, 0.08, 0.14, 0.0, 0.0, 0.0],
                               atol=1e-6)


def test_view_inplace_errors(device):
    w = tinynn.ones(2, 4, requires_grad=True, device=device)
    B = w * 1
    s = B.split(1)
    with pytest.raises(RuntimeError, match="Output 1 of Split is a view and is being modified inplace. This view "
                                           "is the output of a function that returns multiple views."):
        s[1].mul_(2)
    with pytest.raises(RuntimeError, match="Output 0 of Unbind is a view and is being modified inplace"):
        B.unbind()[0].mul_(2)
    with pytest.raises(RuntimeError, match="Output 0 of SplitWithSizes is a view"):
        B.split([1, 1])[0].add_(1)
    B.mul_(2)
    with pytest.raises(RuntimeError, match="Output 0 of Split is a view and its base or another view of its base "
                                           "has been modified inplace"):
        s[0].sum().backward()
    t = tinynn.ones(4)
    t.split(2)[0].add_(1)  # fine without autograd
    assert t.tolist() == [2.0, 2.0, 1.0, 1.0]
    with tinynn.no_grad():
        nv = B[0]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being modified inplace with "
                                           "grad mode enabled."):
        nv.mul_(tinynn.ones(4, requires_grad=True))
    z = tinynn.zeros(3)
    with tinynn.no_grad():
        zv = z[0:2]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode"):
        zv.copy_(w[0, :2])
    C = w * 1
    with tinynn.no_grad():
        cv = C[0]
    C.mul_(2)
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and its base or another view of "
                                           "its base has been modified inplace with grad mode enabled"):
        cv.sum().backward()


def test_inplace_view_metadata_ops(device):
    w = tinynn.ones(2, 3, requires_grad=True, device=device)
    y = w * 1
    r = y.unsqueeze_(0)
    assert r is y and y.shape == (1, 2, 3) and y._version == 1 and node(y) == "UnsqueezeBackward0"
    y.squeeze_()
    y.t_()
    assert y.shape == (3, 2)
    (y * tinynn.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    assert w.grad.tolist() == [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]
    x = tinynn.zeros(2, 3, device=device)
    x.transpose_(0, 1)
    assert x.shape == (3, 2) and not x.is_contiguous()
    with pytest.raises(RuntimeError, match="expects a tensor with <= 2 dimensions, but self is 3D"):
        tinynn.zeros(1, 2, 3).t_()


def test_as_strided(device):
    x = tinynn.tensor(np.arange(9.0), dtype=tinynn.float32, device=device)
    s = x.as_strided((2, 2), (3, 1), 1)
    assert s.tolist() == [[1.0, 2.0], [4.0, 5.0]] and s._base is x
    w = tinynn.tensor(np.arange(6.0), requires_grad=True)
    (w.as_strided((2, 2), (1, 1)) * tinynn.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert w.grad.tolist() == [1.0, 5.0, 4.0, 0.0, 0.0, 0.0]  # overlapping elements accumulate


# ----------------------------------------------------------------------------- gradchecks
def f_view_mul(x, y):
    b = x * 1
    b[:, 0].mul_(y)
    return b


def f_view_of_view(x, y):
    b = x.clone()
    v = b[1:]
    v[:, 1:].add_(y * y)
    return b * v.sum()


def f_sibling(x):
    b = x * 2
    r = b[0]
    b.mul_(b + 1.0)  # r's history must follow b's new one
    return r * 3


def f_setitem_chain(x, y):
    b = tinynn.zeros(3, 2, dtype=x.dtype)
    b[0] = y
    b[1:, 1] = x[:, 0] * y[0]
    b.t()[0].sub_(x[0, 1])
    return b


def f_transposed(x):
    b = x.t() * 1
    b[1].mul_(b[0] + 0.5)
    b[:, 0].exp_()
    return b


@pytest.mark.parametrize("fn,shapes", [
    (f_view_mul, [(3, 2), (3,)]),
    (f_view_of_view, [(3, 3), (2, 2)]),
    (f_sibling, [(2, 3)]),
    (f_setitem_chain, [(2, 2), (2,)]),
    (f_transposed, [(3, 2)]),
])
def test_view_inplace_gradcheck(fn, shapes, device):
    check_grad(fn, *[RNG.standard_normal(s) for s in shapes], device=device)


@pytest.mark.parametrize("method,args", [
    ("add_", (0.5,)), ("mul_", (1.5,)), ("exp_", ()), ("tanh_", ()), ("sigmoid_", ()),
    ("clamp_", (-0.5, 0.5)), ("masked_fill_", (None, 0.0)), ("copy_", (None,)),
])
def test_inplace_op_gradcheck(method, args, device):
    def fn(x, y):
        b = x * 1
        a = tuple(y if a is None and method == "copy_" else (b > 0 if a is None else a) for a in args)
        getattr(b, method)(*a)
        return b
    check_grad(fn, RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3)), device=device)
