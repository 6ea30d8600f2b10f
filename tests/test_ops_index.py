"""Indexing: x[key], x[key] = v, gather/scatter, index_*, masked_*, take, sort/topk/unique, ...

Expected values were derived once with PyTorch 2.13 and are written in as literals."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import check_grad

import tinynn

RNG = np.random.default_rng(1)


def ar(*shape, device=None, dtype=None):
    """arange(n).reshape(shape) as a fresh float tensor."""
    n = int(np.prod(shape)) if shape else 1
    return tinynn.tensor(np.arange(n).reshape(shape), dtype=dtype or tinynn.float32, device=device)


def node(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


def idx(v, device=None):
    return tinynn.tensor(v, device=device)


# ----------------------------------------------------------------------------- x[key]
def test_getitem_basic(device):
    x = ar(3, 4, device=device)
    b = ar(2, 3, 4, device=device)
    assert x[1].tolist() == [4.0, 5.0, 6.0, 7.0] and x[-1, -2].item() == 10.0
    assert x[::2, 1::2].tolist() == [[1.0, 3.0], [9.0, 11.0]]
    assert x[None, :, None, 1].shape == (1, 3, 1) and x[..., None].shape == (3, 4, 1)
    assert b[..., 1].tolist() == [[1.0, 5.0, 9.0], [13.0, 17.0, 21.0]]
    assert x[1:100].shape == (2, 4) and x[-100:2].shape == (2, 4) and x[5:].shape == (0, 4)
    assert x[idx(1, device)].tolist() == [4.0, 5.0, 6.0, 7.0]  # a 0-dim integer tensor acts as an int
    assert x[idx(1):idx(3)].shape == (2, 4) and x[(0, 1)].item() == 1.0 and x[()].shape == (3, 4)
    v = x[1:, ::2]
    v[0, 0] = -1.0
    assert x[1, 0].item() == -1.0 and v._base is x  # basic indexing is a view


def test_getitem_advanced(device):
    x = ar(3, 4, device=device)
    b = ar(2, 3, 4, device=device)
    assert x[[0, 2, 0], [1, 1, 3]].tolist() == [1.0, 9.0, 3.0]
    assert x[x > 6].tolist() == [7.0, 8.0, 9.0, 10.0, 11.0]
    assert x[idx([True, False, True], device)].tolist() == [[0.0, 1.0, 2.0, 3.0], [8.0, 9.0, 10.0, 11.0]]
    assert x[[True, False, True]].shape == (2, 4)
    assert x[idx([[0, 1], [2, 2]], device)][:, :, 0].tolist() == [[0.0, 4.0], [8.0, 8.0]]
    assert x[True].shape == (1, 3, 4) and x[False].shape == (0, 3, 4)
    assert x[idx([], device).long()].shape == (0, 4)
    # ints next to index arrays are applied first, as PyTorch does (NumPy would move the dims)
    assert b[1, :, [0, 3, 3]].tolist() == [[12.0, 15.0, 15.0], [16.0, 19.0, 19.0], [20.0, 23.0, 23.0]]
    assert b[[0, 1], :, [1, 2]].tolist() == [[1.0, 5.0, 9.0], [14.0, 18.0, 22.0]]
    assert b[:, [0, 1], None].shape == (2, 2, 1, 4)
    assert b[[1, 0], 1].tolist() == [[16.0, 17.0, 18.0, 19.0], [4.0, 5.0, 6.0, 7.0]]
    assert b[0, [0, 1], 2].tolist() == [2.0, 6.0]
    # an Ellipsis covering no dim does not separate index arrays (NumPy would move them first)
    assert b[:, [0, 2], ..., [1, 3]].tolist() == [[1.0, 11.0], [13.0, 23.0]]
    assert b[[1, 0], ..., [0, 2]].shape == (2, 3)
    c = x[[0, 1]]
    c[0, 0] = 100.0
    assert x[0, 0].item() == 0.0 and c._base is None  # advanced indexing copies


def test_getitem_node_names(device):
    y = tinynn.ones(2, 3, requires_grad=True, device=device) * 1
    assert node(y[0]) == "SelectBackward0" and node(y[0:1]) == "SliceBackward0" and node(y[:]) == "SliceBackward0"
    assert node(y[:, 0]) == "SelectBackward0" and node(y[0, 1:]) == "SliceBackward0"
    assert node(y[None]) == "UnsqueezeBackward0" and node(y[...]) == "AliasBackward0"
    assert node(y[[0, 1]]) == "IndexBackward0" and node(y[y > 0]) == "IndexBackward0"
    assert node(y[0, None]) == "UnsqueezeBackward0" and node(y[1:, 0]) == "SelectBackward0"


def test_getitem_errors(device):
    x = ar(3, 4, device=device)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[5]
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 1 with size 4"):
        x[:, 7]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        x[-4]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[[0, 5]]
    if x.device.type == "cpu":  # a GPU index tensor is not read back to check it (CUDA asserts later)
        with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
            x[idx([0, 5], device)]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        x[::0]
    with pytest.raises(IndexError, match=r"only integers, slices .* are valid indices \(got float\)"):
        x[1.0]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[tinynn.tensor([1.0])]
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match the shape "
                                         r"of the indexed tensor \[3, 4\] at index 0"):
        x[idx([True, False], device)]
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match the shape "
                                         r"of the indexed tensor \[3, 4\] at index 1"):
        x[:, idx([True, False], device)]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]


@pytest.mark.parametrize("fn,shape", [
    (lambda x: x[1], (3, 4)),
    (lambda x: x[::2, 1::2], (3, 4)),
    (lambda x: x[None, :, None, 1], (3, 4)),
    (lambda x: x[..., 1], (2, 3, 4)),
    (lambda x: x[...], (2, 3)),
    (lambda x: x[[0, 2, 0], [1, 1, 3]], (3, 4)),
    (lambda x: x[[0, 0, 2]], (3, 4)),
    (lambda x: x[..., [3, 0, 3]], (2, 4)),
    (lambda x: x[x > 0], (3, 4)),
    (lambda x: x[tinynn.tensor([True, False, True])], (3, 4)),
    (lambda x: x[tinynn.tensor([[0, 1], [2, 2]])], (3, 4)),
    (lambda x: x[1, :, [0, 3, 3]], (2, 3, 4)),
    (lambda x: x[:, [0, 1], None], (2, 3, 4)),
    (lambda x: x[[0, 1], :, [1, 2]], (2, 3, 4)),
    (lambda x: x[True], (2, 3)),
    (lambda x: x[:, [0, 2], ..., [1, 3]], (2, 3, 4)),
    (lambda x: x[tinynn.tensor([], dtype=tinynn.int64)], (3, 2)),
])
def test_getitem_gradients(fn, shape, device):
    check_grad(fn, RNG.standard_normal(shape), device=device)


def test_getitem_backward_accumulates_repeats(device):
    g = tinynn.zeros(3, 4, requires_grad=True, device=device)
    (g[[0, 0, 2], [1, 1, 3]] * tinynn.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert g.grad.tolist() == [[0.0, 3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 3.0]]
    g = tinynn.zeros(3, 4, requires_grad=True, device=device)
    (g[[0, 0, 2]] * ar(3, 4)).sum().backward()
    assert g.grad.tolist() == [[4.0, 6.0, 8.0, 10.0], [0.0, 0.0, 0.0, 0.0], [8.0, 9.0, 10.0, 11.0]]
    g = tinynn.zeros(1000, requires_grad=True, device=device)  # many repeats: the bincount kernel
    g[tinynn.zeros(5000, dtype=tinynn.int64)].sum().backward()
    assert g.grad[0].item() == 5000.0 and g.grad[1:].sum().item() == 0.0


# ----------------------------------------------------------------------------- x[key] = value
def test_setitem_values(device):
    z = tinynn.zeros(3, 4, device=device)
    before = id(z)
    z[1] = 5
    z[:, 0] = tinynn.tensor([1.0, 2.0, 3.0])
    z[z > 4] = -1.0
    z[[0, 2], [3, 3]] = tinynn.tensor([7.0, 8.0])
    assert z.tolist() == [[1.0, 0.0, 0.0, 7.0], [2.0, -1.0, -1.0, -1.0], [3.0, 0.0, 0.0, 8.0]]
    assert id(z) == before and z._version == 4
    z = tinynn.zeros(2, 3, device=device)
    z[..., 1:] = tinynn.tensor([[1.0, 2.0]])
    z[None, 0, 0] = 9
    assert z.tolist() == [[9.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
    z[0] = tinynn.ones(1, 3)  # leading size-1 dims of the value are dropped
    assert z[0].tolist() == [1.0, 1.0, 1.0]
    c = tinynn.ones(3, dtype=tinynn.long, device=device)
    c[0] = 2.7
    assert c.tolist() == [2, 1, 1]
    w = tinynn.zeros(4, device=device)
    w[[0, 0]] = tinynn.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])[:, 0]
    assert w[0].item() in (1.0, 5.0)


def test_setitem_errors(device):
    z = tinynn.zeros(3, device=device)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(2\) must match the existing size "
                                           r"\(3\) at non-singleton dimension 0.  Target sizes: \[2\].  Tensor "
                                           r"sizes: \[3\]"):
        z[0:2] = tinynn.ones(3)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to "
                                           r"indexing result of shape \[2\]"):
        z[[0, 1]] = tinynn.ones(3)
    with pytest.raises(IndexError, match="index 9 is out of bounds for dimension 0 with size 3"):
        z[9] = 1.0
    with pytest.raises(TypeError, match="can't assign a str to a"):
        z[0] = "s"
    with pytest.raises(TypeError, match="can't assign a list to a"):
        z[0] = [1.0]
    w = tinynn.ones(3, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        w[0] = 1.0
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w[[0]] = 1.0
    with tinynn.no_grad():
        w[0] = 5.0  # allowed without grad mode
    assert w.tolist() == [5.0, 1.0, 1.0]


def test_setitem_notes_example_tracks_graph(device):
    a = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, device=device)
    b = tinynn.zeros(2, 1, device=device)
    b[0, 0] = a[0, 0] ** 2 + a[1, 0] * 5
    b[1, 0] = a[0, 1] * a[1, 1]
    assert b.requires_grad and not b.is_leaf and node(b) == "CopySlices"
    assert b.tolist() == [[16.0], [8.0]]
    b.backward(tinynn.tensor([[1.0], [0.1]]))
    assert np.allclose(a.grad.tolist(), [[2.0, 0.4], [5.0, 0.2]])


def test_setitem_advanced_grad(device):
    a = tinynn.tensor([1.0, 2.0], requires_grad=True, device=device)
    z = tinynn.zeros(2, 3, device=device)
    z[[0, 1], [2, 0]] = a * 3
    assert node(z) == "IndexPutBackward0"
    (z * ar(2, 3)).sum().backward()
    assert a.grad.tolist() == [6.0, 9.0]


def f_setitem_basic(x, v):
    y = x * 1
    y[1:, 0] = v * 2
    return y


def f_setitem_adv(x, v):
    y = x.clone()
    y[[0, 2], [1, 1]] = v
    return y


def f_setitem_mask(x):
    y = x * 2
    y[y > 0] = 0.0
    return y


@pytest.mark.parametrize("fn,shapes", [
    (f_setitem_basic, [(3, 2), (2,)]),
    (f_setitem_basic, [(3, 2), ()]),
    (f_setitem_adv, [(3, 2), (2,)]),
    (f_setitem_mask, [(3, 2)]),
])
def test_setitem_gradients(fn, shapes, device):
    check_grad(fn, *[RNG.standard_normal(s) for s in shapes], device=device)


# ----------------------------------------------------------------------------- gather / scatter
def test_gather_notes_examples(device):
    inp = tinynn.arange(16, device=device).view(4, 4)
    assert inp.gather(dim=0, index=idx([[0, 2, 2, 3]], device)).tolist() == [[0, 9, 10, 15]]
    assert inp.gather(dim=1, index=idx([[0, 2, 2, 3]], device)).tolist() == [[0, 2, 2, 3]]
    assert inp.gather(0, idx([[0], [2], [2], [3]], device)).tolist() == [[0], [8], [8], [12]]
    assert inp.gather(1, idx([[0], [2], [2], [3]], device)).tolist() == [[0], [6], [10], [15]]
    ok = inp.gather(0, tinynn.tensor([[0], [1], [2], [3], [0]]))  # longer than input along dim
    assert ok.shape == (5, 1) and ok.dtype is tinynn.int64
    assert tinynn.gather(inp, 1, tinynn.tensor([[3, 0, 1], [2, 2, 0]])).tolist() == [[3, 0, 1], [6, 6, 4]]


def test_gather_errors(device):
    inp = tinynn.arange(16, device=device).view(4, 4)
    with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions as input tensor"):
        inp.gather(1, tinynn.tensor([0, 1]))
    # index values are checked on host data (on a GPU, PyTorch's kernels assert on the device)
    cpu = tinynn.arange(16, device="cpu").view(4, 4)
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 0 with size 4"):
        cpu.gather(0, idx([[4, 0, 0, 0]], "cpu"))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1 with size 4"):
        cpu.gather(1, idx([[-1]], "cpu"))
    with pytest.raises(RuntimeError, match=r"Size does not match at dimension 0 expected index \[5, 1\] to be no "
                                           r"larger than self \[4, 4\] apart from dimension 1"):
        inp.gather(1, tinynn.tensor([[0], [1], [2], [3], [0]]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        inp.gather(2, tinynn.tensor([[0]]))
    with pytest.raises(RuntimeError, match="Expected dtype int64 for index"):
        inp.gather(0, tinynn.tensor([[0.0]]))


def test_gather_grad_values(device):
    x = tinynn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], requires_grad=True, device=device)
    out = x.gather(1, tinynn.tensor([[0, 0, 2], [1, 1, 1], [2, 0, 2]]))
    (out * tinynn.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [0.5, 0.5, 0.5]])).sum().backward()
    assert x.grad.tolist() == [[3.0, 0.0, 3.0], [0.0, 3.0, 0.0], [0.5, 0.0, 1.0]]
    assert node(out) == "GatherBackward0"


def test_scatter_family(device):
    i2 = tinynn.tensor([[0, 1], [3, 2], [1, 0]])
    src = tinynn.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert tinynn.zeros(3, 4).scatter(1, i2, src).tolist() == [[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 4.0, 3.0],
                                                               [6.0, 5.0, 0.0, 0.0]]
    assert tinynn.zeros(2, 3).scatter(0, tinynn.tensor([[1, 0, 1]]), 2.5).tolist() == [[0.0, 2.5, 0.0],
                                                                                        [2.5, 0.0, 2.5]]
    assert tinynn.ones(3, 4).scatter_add(1, tinynn.tensor([[0, 0], [3, 3], [1, 0]]), src).tolist() == \
        [[4.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 8.0], [7.0, 6.0, 1.0, 1.0]]
    j = tinynn.tensor([[0, 0], [2, 1]])
    assert tinynn.ones(2, 3).scatter(1, j, 3.0, reduce="multiply").tolist() == [[9.0, 1.0, 1.0], [1.0, 3.0, 3.0]]
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter with Tensor src is deprecated|"
                                         "reduce argument"):
        r = tinynn.ones(2, 3).scatter(1, j, tinynn.tensor([[1.0, 2.0], [3.0, 4.0]]), reduce="add")
    assert r.tolist() == [[4.0, 1.0, 1.0], [1.0, 5.0, 4.0]]
    x = tinynn.zeros(2, 3)
    assert x.scatter_(1, j, 1.0) is x and x._version == 1
    y = tinynn.ones(4, 4, requires_grad=True) * 1
    assert node(y.scatter(1, tinynn.tensor([[0]]), y[:1, :1])) == "ScatterBackward0"
    assert node(y.scatter(1, tinynn.tensor([[0]]), 2.0)) == "ScatterBackward1"
    assert node(y.scatter_add(1, tinynn.tensor([[0]]), y)) == "ScatterAddBackward0"
    m = y.scatter(1, tinynn.tensor([[0]]), 2.0, reduce="multiply")
    assert node(m) == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        m.sum().backward()


def test_scatter_errors(device):
    y = tinynn.zeros(4, 4, device=device)
    with pytest.raises(RuntimeError, match=r"Expected index \[2, 2\] to be no larger than self \[4, 4\] apart from "
                                           r"dimension 1 and to be no larger size than src \[1, 1\]"):
        y.scatter(1, tinynn.tensor([[0, 1], [2, 3]]), tinynn.ones(1, 1))
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 4"):
        tinynn.zeros(4, 4, device="cpu").scatter(1, idx([[5]], "cpu"), 1.0)  # checked on host data
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply."):
        y.scatter(1, tinynn.tensor([[0]]), 1.0, reduce="max")
    with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions as self tensor"):
        y.scatter_add(1, tinynn.tensor([0]), tinynn.ones(1))


# ----------------------------------------------------------------------------- index_*
def test_index_ops(device):
    x = ar(3, 4, device=device)
    assert x.index_select(1, tinynn.tensor([3, 0, 3])).tolist() == [[3.0, 0.0, 3.0], [7.0, 4.0, 7.0],
                                                                    [11.0, 8.0, 11.0]]
    assert tinynn.index_select(x, 0, tinynn.tensor(1)).shape == (1, 4)
    src = tinynn.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert tinynn.ones(3, 2).index_add(0, tinynn.tensor([2, 0, 2]), src, alpha=2).tolist() == \
        [[7.0, 9.0], [1.0, 1.0], [13.0, 17.0]]
    assert x.index_fill(1, tinynn.tensor([0, 2]), -1.0).tolist() == [[-1.0, 1.0, -1.0, 3.0],
                                                                     [-1.0, 5.0, -1.0, 7.0],
                                                                     [-1.0, 9.0, -1.0, 11.0]]
    assert tinynn.zeros(3, 2).index_copy(0, tinynn.tensor([2, 0]), src[:2]).tolist() == \
        [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]]
    assert tinynn.zeros(2, 3).index_put((tinynn.tensor([0, 0, 1]), tinynn.tensor([1, 1, 2])),
                                        tinynn.tensor([1.0, 2.0, 3.0]), accumulate=True).tolist() == \
        [[0.0, 3.0, 0.0], [0.0, 0.0, 3.0]]
    z = tinynn.zeros(3, 2)
    assert z.index_add_(0, tinynn.tensor([1]), tinynn.ones(1, 2)) is z and z[1].tolist() == [1.0, 1.0]
    z.index_fill_(1, tinynn.tensor([0]), 4.0)
    z.index_copy_(0, tinynn.tensor([2]), tinynn.full((1, 2), 9.0))
    z.index_put_((tinynn.tensor([0]),), tinynn.tensor(-2.0))
    assert z.tolist() == [[-2.0, -2.0], [4.0, 1.0], [9.0, 9.0]] and z._version == 4
    y = tinynn.ones(4, 4, requires_grad=True) * 1
    assert node(y.index_select(0, tinynn.tensor([0, 0]))) == "IndexSelectBackward0"
    assert node(y.index_add(0, tinynn.tensor([0, 0]), y[:2])) == "IndexAddBackward0"
    assert node(y.index_fill(0, tinynn.tensor([1]), 3.0)) == "IndexFillBackward0"
    assert node(y.index_fill(0, tinynn.tensor([1]), tinynn.tensor(3.0))) == "IndexFillBackward1"
    assert node(y.index_copy(0, tinynn.tensor([1]), y[:1])) == "IndexCopyBackward0"


def test_index_op_errors(device):
    y = ar(4, 4, device=device)
    with pytest.raises(IndexError, match=r"index_select\(\): Index is supposed to be a vector"):
        y.index_select(0, tinynn.tensor([[0]]))
    with pytest.raises(RuntimeError, match=r"index_select\(\): Expected dtype int32 or int64 for index"):
        y.index_select(0, tinynn.tensor([0.0]))
    cpu = ar(4, 4, device="cpu")  # index values are checked on host data
    with pytest.raises(IndexError, match="index out of range in self"):
        cpu.index_select(0, idx([7], "cpu"))
    with pytest.raises(RuntimeError, match=r"index_add_\(\): Number of indices \(1\) should be equal to "
                                           r"source.size\(dim\): \(4\), for dim: 0"):
        y.index_add(0, tinynn.tensor([0]), y)
    with pytest.raises(RuntimeError, match="index 9 is out of bounds for dimension 0 with size 4"):
        cpu.index_add(0, idx([9], "cpu"), cpu[:1])


# ----------------------------------------------------------------------------- masked / take
def test_masked_and_take(device):
    x = ar(3, 4, device=device)
    assert x.masked_fill(x > 8, 0.0).tolist() == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 0.0, 0.0, 0.0]]
    assert x.masked_fill(x > 8, tinynn.tensor(-1.0))[2].tolist() == [8.0, -1.0, -1.0, -1.0]
    assert tinynn.ones(3).masked_fill(tinynn.ones(2, 3).bool(), 0).shape == (2, 3)
    assert x.masked_select(x % 5 == 0).tolist() == [0.0, 5.0, 10.0]
    m = tinynn.tensor([[True, False, True], [False, True, False]])
    assert tinynn.zeros(2, 3).masked_scatter(m, tinynn.tensor([1.0, 2.0, 3.0, 4.0])).tolist() == \
        [[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]
    assert x.take(tinynn.tensor([[0, 11], [-1, 5]])).tolist() == [[0.0, 11.0], [11.0, 5.0]]
    assert x.take_along_dim(tinynn.tensor([[0], [3], [1]]), 1).tolist() == [[0.0], [7.0], [9.0]]
    assert tinynn.take_along_dim(x, tinynn.tensor([0, 5, 5])).tolist() == [0.0, 5.0, 5.0]
    assert tinynn.take_along_dim(x, tinynn.tensor([[0, 1]]), 1).shape == (3, 2)
    z = tinynn.zeros(2, 3)
    z.masked_fill_(m, 1.0)
    z.masked_scatter_(~m, tinynn.tensor([7.0, 8.0, 9.0]))
    assert z.tolist() == [[1.0, 7.0, 1.0], [8.0, 1.0, 9.0]]
    y = tinynn.ones(2, 2, requires_grad=True) * 1
    assert node(y.masked_fill(y > 3, 0.0)) == "MaskedFillBackward0"
    assert node(y.masked_fill(y > 3, tinynn.tensor(1.0))) == "MaskedFillBackward1"
    assert node(y.masked_select(y > 0)) == "MaskedSelectBackward0"
    assert node(y.masked_scatter(y > 0, y)) == "MaskedScatterBackward0"
    assert node(y.take(tinynn.tensor([0]))) == "TakeBackward0"
    assert node(y.take_along_dim(tinynn.tensor([[0], [1]]), 1)) == "GatherBackward0"


def test_masked_and_take_errors(device):
    y = ar(4, 4, device=device)
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask with dtype "
                                           "long int"):
        y.masked_fill(tinynn.ones(4, 4, dtype=tinynn.long), 0.0)
    with pytest.raises(RuntimeError, match=r"masked_fill_ only supports a 0-dimensional value tensor, but got "
                                           r"tensor with 1 dimension\(s\)."):
        y.masked_fill(y > 3, tinynn.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones in mask"):
        y.masked_scatter(y > -1, tinynn.ones(3))
    cpu = ar(4, 4, device="cpu")  # index values are checked on host data
    with pytest.raises(IndexError, match="out of range: tried to access index 16 on a tensor of 16 elements."):
        cpu.take(idx([16], "cpu"))
    with pytest.raises(IndexError, match="out of range: tried to access index -17 on a tensor of 16 elements."):
        cpu.take(idx([-17], "cpu"))
    with pytest.raises(RuntimeError, match=r"torch.take_along_dim\(\): input and indices should have the same "
                                           r"number of dimensions, but got 2 dimensions for input, and 1 "
                                           r"dimensions for indices"):
        y.take_along_dim(tinynn.tensor([0, 1]), 1)


# ----------------------------------------------------------------------------- gradients
G_IDX = tinynn.tensor([[0, 0, 2], [1, 1, 1], [2, 0, 2]])


@pytest.mark.parametrize("fn,shapes", [
    (lambda x: x.gather(1, G_IDX), [(3, 3)]),
    (lambda x: x.gather(0, tinynn.tensor([[0, 2, 2, 0]])), [(3, 4)]),
    (lambda x: x.gather(0, tinynn.tensor([[2], [0], [0], [1], [1]])), [(3, 2)]),
    (lambda x: x.gather(1, tinynn.zeros(3, 0, dtype=tinynn.int64)), [(3, 4)]),
    (lambda x: x.gather(0, tinynn.tensor(0)), [()]),
    (lambda x, y: x.scatter(1, tinynn.tensor([[0, 1], [3, 2], [1, 0]]), y), [(3, 4), (3, 2)]),
    (lambda x, y: x.scatter(0, tinynn.tensor([[2, 0]]), y), [(3, 4), (3, 4)]),
    (lambda x: x.scatter(1, tinynn.tensor([[0], [3], [1]]), 2.5), [(3, 4)]),
    (lambda x, y: x.scatter_add(1, tinynn.tensor([[0, 0], [3, 3], [1, 0]]), y), [(3, 4), (3, 2)]),
    (lambda x: x.index_select(1, tinynn.tensor([3, 0, 3])), [(3, 4)]),
    (lambda x: x.index_select(0, tinynn.tensor(1)), [(3, 4)]),
    (lambda x, y: x.index_add(0, tinynn.tensor([2, 2]), y, alpha=2), [(3, 4), (2, 4)]),
    (lambda x: x.index_fill(1, tinynn.tensor([0, 2]), -1.0), [(3, 4)]),
    (lambda x, v: x.index_fill(1, tinynn.tensor([0, 2]), v), [(3, 4), ()]),
    (lambda x, y: x.index_copy(0, tinynn.tensor([2, 0]), y), [(3, 4), (2, 4)]),
    (lambda x, v: x.index_put((tinynn.tensor([0, 0, 2]), tinynn.tensor([1, 1, 3])), v, accumulate=True),
     [(3, 4), (3,)]),
    (lambda x, v: x.index_put((tinynn.tensor([0, 2]),), v), [(3, 4), (4,)]),
    (lambda x: x.masked_fill(x > 0.5, 0.0), [(3, 4)]),
    (lambda x, v: x.masked_fill(x > 0.5, v), [(3, 4), ()]),
    (lambda x: x.masked_fill(tinynn.tensor([True, False, True]), 1.0), [(2, 3)]),
    (lambda x: x.masked_select(x > 0), [(3, 4)]),
    (lambda x: x.masked_select(tinynn.tensor([[True, False], [True, True]])), [(2,)]),
    (lambda x, s: x.masked_scatter(x > 0, s), [(3, 4), (2, 3, 4)]),
    (lambda x: x.take(tinynn.tensor([[0, 11], [-1, 5]])), [(3, 4)]),
    (lambda x: x.take_along_dim(tinynn.tensor([[0], [3], [1]]), 1), [(3, 4)]),
    (lambda x: tinynn.take_along_dim(x, tinynn.tensor([[0, 1]]), 1), [(3, 4)]),
    (lambda x: tinynn.take_along_dim(x, tinynn.tensor([0, 5, 5])), [(3, 4)]),
    (lambda x: x.sort(1).values, [(3, 4)]),
    (lambda x: x.sort(0, descending=True)[0], [(3, 4)]),
    (lambda x: x.topk(2).values, [(3, 4)]),
    (lambda x: x.topk(2, 0, largest=False).values, [(3, 4)]),
    (lambda x: tinynn.msort(x), [(3, 2)]),
    (lambda x, y: tinynn.where(x > 0, x, y), [(3, 4), (4,)]),
])
def test_index_op_gradients(fn, shapes, device):
    check_grad(fn, *[RNG.standard_normal(s) for s in shapes], device=device)


# ----------------------------------------------------------------------------- sort / topk / unique
def test_sort_topk(device):
    s = tinynn.tensor([[3.0, 1.0, 2.0, 1.0], [0.0, -1.0, 5.0, 5.0]], device=device)
    v, i = s.sort()
    assert v.tolist() == [[1.0, 1.0, 2.0, 3.0], [-1.0, 0.0, 5.0, 5.0]] and i.tolist() == [[1, 3, 2, 0], [1, 0, 2, 3]]
    r = s.sort(descending=True, stable=True)
    assert r.values.tolist() == [[3.0, 2.0, 1.0, 1.0], [5.0, 5.0, 0.0, -1.0]]
    assert r.indices.tolist() == [[0, 2, 1, 3], [2, 3, 0, 1]] and r.indices.dtype is tinynn.int64
    assert isinstance(r, tuple) and len(r) == 2 and r[0] is r.values
    assert repr(r).startswith("tinynn.return_types.sort(\nvalues=")
    assert s.sort(0).indices.tolist() == [[1, 1, 0, 0], [0, 0, 1, 1]]
    assert tinynn.sort(s, dim=1)[1].tolist() == [[1, 3, 2, 0], [1, 0, 2, 3]]
    assert s.argsort(dim=1, descending=True, stable=True).tolist() == [[0, 2, 1, 3], [2, 3, 0, 1]]
    assert tinynn.argsort(s[0]).tolist() == [1, 3, 2, 0]
    assert tinynn.tensor([2.0, float("nan"), 1.0]).sort().indices.tolist() == [2, 0, 1]
    t = s.topk(2)
    assert t.values.tolist() == [[3.0, 2.0], [5.0, 5.0]] and t.indices.tolist() == [[0, 2], [2, 3]]
    small = tinynn.tensor([[3.0, 1.0, 2.0, 0.5]]).topk(2, largest=False)
    assert small.values.tolist() == [[0.5, 1.0]] and small.indices.tolist() == [[3, 1]]
    assert repr(t).startswith("tinynn.return_types.topk(")
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        s.topk(5)
    y = s.clone().requires_grad_()
    assert node(y.sort().values) == "SortBackward0" and node(y.topk(1).values) == "TopkBackward0"
    assert not y.sort().indices.requires_grad


def test_unique_nonzero(device):
    u, inv, cnt = tinynn.unique(tinynn.tensor([[3, 1], [2, 1]], device=device), return_inverse=True,
                                return_counts=True)
    assert u.tolist() == [1, 2, 3] and inv.tolist() == [[2, 0], [1, 0]] and cnt.tolist() == [2, 1, 1]
    assert tinynn.tensor([3, 1, 3]).unique().tolist() == [1, 3]
    u, inv, cnt = tinynn.unique(tinynn.tensor([[3, 1], [2, 1], [3, 1]]), dim=0, return_inverse=True,
                                return_counts=True)
    assert u.tolist() == [[2, 1], [3, 1]] and inv.tolist() == [1, 0, 1] and cnt.tolist() == [1, 2]
    u, inv, cnt = tinynn.unique_consecutive(tinynn.tensor([1, 1, 2, 2, 3, 1, 1]), return_inverse=True,
                                            return_counts=True)
    assert u.tolist() == [1, 2, 3, 1] and inv.tolist() == [0, 0, 1, 1, 2, 3, 3] and cnt.tolist() == [2, 2, 1, 2]
    y = tinynn.tensor([1.0, 1.0, 2.0], requires_grad=True)
    uy = tinynn.unique(y)
    assert uy.requires_grad and node(uy) == "Unique2Backward0"
    with pytest.raises(RuntimeError, match="derivative for aten::_unique2 is not implemented"):
        uy.sum().backward()
    nz = tinynn.tensor([[0, 1, 0], [2, 0, 3]], device=device)
    assert nz.nonzero().tolist() == [[0, 1], [1, 0], [1, 2]] and nz.nonzero().dtype is tinynn.int64
    assert [t.tolist() for t in nz.nonzero(as_tuple=True)] == [[0, 1, 1], [1, 0, 2]]
    assert tinynn.tensor(3).nonzero().shape == (1, 0) and tinynn.tensor(0).nonzero().shape == (0, 0)
    assert [t.tolist() for t in tinynn.tensor(3).nonzero(as_tuple=True)] == [[0]]
    assert tinynn.argwhere(tinynn.tensor([0.0, 1.0])).tolist() == [[1]]
    assert [t.tolist() for t in tinynn.where(nz > 0)] == [[0, 1, 1], [1, 0, 2]]


def test_searchsorted_bucketize(device):
    seq = tinynn.tensor([1, 3, 5, 7], device=device)
    v = tinynn.tensor([[3, 6], [0, 9]], device=device)
    assert tinynn.searchsorted(seq, v).tolist() == [[1, 3], [0, 4]]
    assert tinynn.searchsorted(seq, v, right=True).tolist() == [[2, 3], [0, 4]]
    assert tinynn.searchsorted(seq, v, side="right").tolist() == [[2, 3], [0, 4]]
    assert tinynn.searchsorted(tinynn.tensor([[1, 3, 5], [2, 4, 6]]), tinynn.tensor([[3, 6], [0, 4]])).tolist() == \
        [[1, 3], [0, 1]]
    assert tinynn.searchsorted(seq, 4).item() == 2
    assert tinynn.searchsorted(seq, v, out_int32=True).dtype is tinynn.int32
    assert tinynn.bucketize(tinynn.tensor([3, 6, 0, 9]), seq).tolist() == [1, 3, 0, 4]
    assert tinynn.bucketize(tinynn.tensor([3, 6, 0, 9]), seq, right=True).tolist() == [2, 3, 0, 4]


def test_where_values(device):
    x = ar(3, 4, device=device)
    assert tinynn.where(x > 5, x, -x).tolist() == [[-0.0, -1.0, -2.0, -3.0], [-4.0, -5.0, 6.0, 7.0],
                                                   [8.0, 9.0, 10.0, 11.0]]
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
        tinynn.where(x, x, x)
