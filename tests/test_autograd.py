"""The foundation: Tensor basics, the autograd engine, Function, hooks, versions, grad modes,
gradcheck. Expected values were derived once with PyTorch 2.13 and are written in as literals."""
from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from helpers import assert_close, check_grad

import tinynn
from tinynn.autograd import Function, gradcheck, once_differentiable


# ----------------------------------------------------------------------------- Tensor basics
def test_tensor_dtype_inference(device):
    assert tinynn.tensor([1.0, 2.0], device=device).dtype is tinynn.float32
    assert tinynn.tensor([1, 2], device=device).dtype is tinynn.int64
    assert tinynn.tensor([True], device=device).dtype is tinynn.bool
    assert tinynn.tensor(np.zeros(2, dtype=np.float64), device=device).dtype is tinynn.float64
    assert tinynn.tensor([[1, 2.5]], device=device).dtype is tinynn.float32


def test_tensor_metadata(device):
    t = tinynn.zeros(2, 3, device=device)
    assert t.shape == (2, 3) and t.size() == (2, 3) and t.size(1) == 3 and t.size(-1) == 3
    assert t.dim() == 2 and t.ndim == 2 and t.numel() == 6 and len(t) == 2
    assert repr(t.shape) == "tinynn.Size([2, 3])"
    assert t.is_leaf and t.grad_fn is None and t.grad is None and not t.requires_grad
    with pytest.raises(IndexError):
        t.size(2)


def test_item_float_int_bool():
    a = tinynn.tensor([3.5])
    assert a.item() == 3.5 and float(a) == 3.5 and int(a) == 3 and bool(a)
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        tinynn.tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError):
        float(tinynn.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tinynn.tensor([1.0, 2.0]))


def test_numpy_requires_grad_raises_and_shares_memory():
    t = tinynn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        t.numpy()
    a = np.arange(3.0)
    s = tinynn.from_numpy(a)
    s[0] = 10.0
    assert a[0] == 10.0
    assert t.detach().numpy().tolist() == [1.0, 2.0]


def test_repr_like_pytorch():
    assert repr(tinynn.tensor([[0.5, 0.5]], requires_grad=True)) == \
        "tensor([[0.5000, 0.5000]], requires_grad=True)"
    x = tinynn.tensor(3.0, requires_grad=True)
    assert repr(x + 0) == "tensor(3., grad_fn=<AddBackward0>)"
    assert repr(tinynn.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(tinynn.tensor([1.5, 2.25, -3.0])) == "tensor([ 1.5000,  2.2500, -3.0000])"
    assert repr(tinynn.tensor([True, False])) == "tensor([ True, False])"
    assert repr(tinynn.tensor([1.0, 2.0], dtype=tinynn.float64)) == "tensor([1., 2.], dtype=tinynn.float64)"
    assert repr(tinynn.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(tinynn.tensor(2.5)) == "tensor(2.5000)"
    assert repr(tinynn.arange(12).reshape(3, 4)) == ("tensor([[ 0,  1,  2,  3],\n"
                                                      "        [ 4,  5,  6,  7],\n"
                                                      "        [ 8,  9, 10, 11]])")
    assert repr(tinynn.arange(2000.0)) == ("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., "
                                           "1.9970e+03, 1.9980e+03,\n        1.9990e+03])")


def test_legacy_constructors():
    assert tinynn.FloatTensor([1.0]).dtype is tinynn.float32
    assert tinynn.LongTensor([1, 2]).dtype is tinynn.int64
    assert tinynn.Tensor(2, 3).shape == (2, 3)
    with pytest.raises(TypeError):
        tinynn.FloatTensor(1.0)


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        tinynn.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        tinynn.tensor([1, 2]).requires_grad_()


# ----------------------------------------------------------------------------- backward
def test_notes_mean_backward_gives_half(device):
    a = tinynn.ones(2, 3, requires_grad=True, device=device)
    out = ((a + 3) * 3).mean()
    out.backward()
    assert_close(a.grad, np.full((2, 3), 0.5))
    assert out.grad_fn.name() == "MeanBackward0"


def test_grad_accumulates_and_zero(device):
    x = tinynn.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    (x * x).sum().backward()
    (x * x).sum().backward()
    assert_close(x.grad, [4.0, 8.0, 12.0])
    x.grad.zero_()
    assert_close(x.grad, [0.0, 0.0, 0.0])


def test_nonscalar_backward_needs_gradient(device):
    x = tinynn.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(tinynn.tensor([1.0, 0.5], device=device))
    assert_close(x.grad, [2.0, 1.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(tinynn.ones(3, device=device))


def test_backward_of_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tinynn.tensor([1.0]).sum().backward()


def test_notes_setitem_builds_graph(device):
    a = tinynn.ones(2, 1, requires_grad=True, device=device)
    b = tinynn.zeros(2, 1, device=device)
    b[0, 0] = a[0, 0] ** 2 + a[1, 0] * 5
    b[1, 0] = a[0, 0] ** 3 + a[1, 0] * 4
    with pytest.raises(RuntimeError, match="grad can be implicitly created"):
        b.backward()
    b.backward(tinynn.ones(2, 1, device=device))
    assert_close(a.grad, [[5.0], [9.0]])


def test_autograd_backward_function_forms(device):
    x = tinynn.tensor([1.0, 2.0], requires_grad=True, device=device)
    tinynn.autograd.backward([x * 2, x ** 3], [tinynn.tensor([1.0, 1.0], device=device),
                                               tinynn.tensor([0.5, 2.0], device=device)])
    assert_close(x.grad, [3.5, 26.0])  # 2 + 0.5*3*1, 2 + 2*3*4


def test_retain_graph_and_second_backward_error(device):
    x = tinynn.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, [4.0, 8.0])
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_backward_inputs_restricts_accumulation(device):
    x = tinynn.tensor([1.0, 2.0], requires_grad=True, device=device)
    w = tinynn.tensor([3.0, 4.0], requires_grad=True, device=device)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    assert_close(w.grad, [1.0, 2.0])


def test_autograd_grad(device):
    x = tinynn.tensor(2.0, requires_grad=True, device=device)
    w = tinynn.tensor(-3.0, requires_grad=True, device=device)
    y = x * w + w ** 2
    gx, gw = tinynn.autograd.grad(y, [x, w])
    assert gx.item() == -3.0 and gw.item() == -4.0
    assert x.grad is None and w.grad is None
    z = tinynn.tensor([1.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="not have been used in the graph"):
        tinynn.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = tinynn.autograd.grad(x * 2, [x, z], allow_unused=True)
    assert gx.item() == 2.0 and gz is None


def test_autograd_grad_of_nonleaf_input(device):
    x = tinynn.tensor([1.0, 2.0], requires_grad=True, device=device)
    h = x * 3
    y = (h * h).sum()
    (gh,) = tinynn.autograd.grad(y, h)
    assert_close(gh, [6.0, 12.0])


def test_higher_order_derivatives(device):
    x = tinynn.tensor(2.0, requires_grad=True, device=device)
    (g,) = tinynn.autograd.grad(x ** 3, x, create_graph=True)
    assert g.requires_grad and g.item() == 12.0
    (g2,) = tinynn.autograd.grad(g, x, create_graph=True)
    assert g2.item() == 12.0  # 6x
    (g3,) = tinynn.autograd.grad(g2, x)
    assert g3.item() == 6.0
    x.grad = None
    y = x ** 3
    y.backward(create_graph=True)
    gx = x.grad
    assert gx.requires_grad
    x.grad = None
    gx.backward()
    assert x.grad.item() == 12.0


def test_long_chain_is_not_recursive():
    x = tinynn.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


# ----------------------------------------------------------------------------- graph
def test_graph_nodes_and_names():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    c = tinynn.tensor([3.0, 4.0])
    y = x * c
    assert type(y.grad_fn).__name__ == "MulBackward0"
    (acc, nr), (none, _) = y.grad_fn.next_functions
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x and nr == 0 and none is None
    z = (y + 1).sum()
    assert z.grad_fn.name() == "SumBackward0"
    assert z.grad_fn.next_functions[0][0].name() == "AddBackward0"
    assert (x @ tinynn.ones(2, requires_grad=True)).grad_fn is not None
    with tinynn.no_grad():
        assert (x * c).grad_fn is None
    assert (c * 2).grad_fn is None and not (c * 2).requires_grad


def test_nonleaf_grad_warns_and_retain_grad():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    z.backward(retain_graph=True)
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    y.retain_grad()
    z.backward()
    assert_close(y.grad, [4.0, 8.0])
    assert y.retains_grad


def test_requires_grad_on_nonleaf_false_raises():
    y = tinynn.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False
    assert y.requires_grad_() is y


# ----------------------------------------------------------------------------- hooks
def test_hooks_replace_and_remove():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    h = y.register_hook(lambda g: g * 2)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y.sum().backward(retain_graph=True)
    assert_close(x.grad, [6.0, 6.0])
    assert seen == [[6.0, 6.0]]
    h.remove()
    x.grad = None
    y.sum().backward()
    assert_close(x.grad, [3.0, 3.0])


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        tinynn.tensor([1.0]).register_hook(lambda g: g)


# ----------------------------------------------------------------------------- detach / data / versions
def test_detach_shares_data_and_version():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    u = y.detach()
    assert not u.requires_grad and u.grad_fn is None
    u[0] = 5.0
    assert y[0].item() == 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_data_is_untracked():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.data.mul_(0)  # silently changes what backward sees (as in PyTorch)
    y.sum().backward()
    assert_close(x.grad, [0.0, 0.0])


def test_detach_inplace_cuts_graph():
    x = tinynn.tensor([1.0], requires_grad=True)
    y = x * 2
    y.detach_()
    assert y.is_leaf and not y.requires_grad


def test_inplace_on_leaf_requiring_grad_raises():
    x = tinynn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.add_(1)
    with tinynn.no_grad():
        x.add_(1)
    assert x.item() == 2.0


def test_inplace_on_nonleaf_rebases_history():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    before = id(y)
    y += 1
    y.mul_(3)
    y.pow_(2)  # d/dx (3(2x+1))^2 = 36(2x+1)
    assert id(y) == before and y._version == 3
    y.sum().backward()
    assert_close(x.grad, [108.0, 180.0])
    z = x * 2
    z *= z  # as in PyTorch: mul_ saved z itself, which it then modified
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_version_counter_shared_by_views():
    x = tinynn.zeros(4)
    v = x.view(2, 2)
    v.add_(1)
    assert x._version == v._version == 1
    assert_close(x, [1.0, 1.0, 1.0, 1.0])


# ----------------------------------------------------------------------------- Function
class Line(Function):
    """The study notes' Function: w * x + b with a hand-written backward."""

    @staticmethod
    def forward(ctx, w, x, b):
        ctx.save_for_backward(w, x, b)
        return w * x + b

    @staticmethod
    def backward(ctx, grad_out):
        w, x, b = ctx.saved_tensors
        return grad_out * x, grad_out * w, grad_out


def test_notes_line_function(device):
    r = np.random.default_rng(0)
    w, x, b = (tinynn.tensor(r.uniform(size=(2, 2)), dtype=tinynn.float32, requires_grad=True,
                             device=device) for _ in range(3))
    out = Line.apply(w, x, b)
    assert type(out.grad_fn).__name__ == "LineBackward"
    out.backward(tinynn.ones(2, 2, device=device))
    assert_close(w.grad, x.detach())
    assert_close(x.grad, w.detach())
    assert_close(b.grad, np.ones((2, 2)))
    check_grad(lambda w, x, b: Line.apply(w, x, b), *(r.uniform(size=(2, 2)) for _ in range(3)),
               device=device)


def test_function_ctx_features():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k, flag=False):
            ctx.k = k
            assert not tinynn.is_grad_enabled()
            return x * k, (x > 0)

        @staticmethod
        def backward(ctx, g, g_mask):
            assert ctx.needs_input_grad == (True, False)  # one entry per argument passed
            return g * ctx.k, None, None

    x = tinynn.tensor([1.0, -2.0], requires_grad=True)
    y, mask = Scale.apply(x, 3.0)
    assert mask.dtype is tinynn.bool and not mask.requires_grad
    y.sum().backward()
    assert_close(x.grad, [3.0, 3.0])


def test_mark_dirty_and_non_differentiable():
    class AddOneInplace(Function):
        @staticmethod
        def forward(ctx, x):
            x._data += 1
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class Sorted(Function):
        @staticmethod
        def forward(ctx, x):
            idx = tinynn.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x[idx], idx

        @staticmethod
        def backward(ctx, g, _):
            (idx,) = ctx.saved_tensors
            out = tinynn.zeros(g.shape, dtype=g.dtype)
            out[idx] = g
            return out

    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    r = AddOneInplace.apply(h)
    assert r is h and h._version == 1 and h.grad_fn.name() == "AddOneInplaceBackward"
    (r * r).sum().backward()
    assert_close(x.grad, [4.0, 6.0])
    with pytest.raises(RuntimeError, match="leaf Variable"):
        AddOneInplace.apply(tinynn.tensor([1.0], requires_grad=True))
    v, i = Sorted.apply(tinynn.tensor([3.0, 1.0, 2.0], requires_grad=True))
    assert v.requires_grad and not i.requires_grad


def test_set_materialize_grads():
    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            assert g2 is None
            return g1

    x = tinynn.tensor([1.0], requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert x.grad.item() == 1.0


def test_once_differentiable_blocks_double_backward():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = tinynn.tensor([3.0], requires_grad=True)
    go = tinynn.ones((), requires_grad=True)
    (g,) = tinynn.autograd.grad(Square.apply(x).sum(), x, grad_outputs=go, create_graph=True)
    assert g.item() == 6.0 and g.requires_grad
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_backward_wrong_number_of_grads():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    x = tinynn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


# ----------------------------------------------------------------------------- grad modes
def test_grad_modes_context_and_decorator():
    x = tinynn.tensor([1.0], requires_grad=True)
    with tinynn.no_grad():
        assert not (x * 2).requires_grad
        with tinynn.enable_grad():
            assert (x * 2).requires_grad
    with tinynn.set_grad_enabled(False):
        assert not tinynn.is_grad_enabled()
    assert tinynn.is_grad_enabled()
    with tinynn.inference_mode():
        assert not (x * 2).requires_grad

    @tinynn.no_grad()
    def f(a):
        return a * 2

    @tinynn.no_grad
    def g(a):
        return a * 2

    assert not f(x).requires_grad and not g(x).requires_grad and tinynn.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["thread"] = tinynn.is_grad_enabled()

    with tinynn.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["main"] = tinynn.is_grad_enabled()
    assert seen == {"thread": True, "main": False}


# ----------------------------------------------------------------------------- gradcheck
def test_gradcheck_accepts_correct_and_rejects_wrong_backward():
    class WrongExp(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # wrong: should be g * exp(x)

    x = tinynn.tensor(np.array([0.3, 0.7]), requires_grad=True)
    assert gradcheck(lambda t: t.exp(), (x,))
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(WrongExp.apply, (x,))
    assert gradcheck(WrongExp.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_core_ops():
    r = np.random.default_rng(1)
    check_grad(lambda a, b: (a * b - a / (b + 3)) ** 2, r.uniform(1, 2, (3, 4)), r.uniform(1, 2, (4,)))
    check_grad(lambda a: a.exp().log().sum(dim=1), r.uniform(1, 2, (3, 4)))
    check_grad(lambda a, b: a @ b, r.uniform(size=(3, 4)), r.uniform(size=(4, 2)))
    check_grad(lambda a: a.mean(dim=(0, 2), keepdim=True), r.uniform(size=(2, 3, 4)))


def test_anomaly_detection_names_the_node():
    x = tinynn.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tinynn.autograd.detect_anomaly():
            y = (x / x).sum()  # 0/0 = nan in forward and in backward
            with pytest.raises(RuntimeError, match="DivBackward0.*nan"):
                y.backward()
