"""Shape ops and views: values, gradients, storage sharing, node names and errors.

Expected values were derived once with PyTorch 2.13 and are written in as literals."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_close, check_grad

import tinynn

RNG = np.random.default_rng(0)


def ar(*shape, device=None, dtype=None):
    """arange(n).reshape(shape) as a fresh tensor (not a view)."""
    n = int(np.prod(shape)) if shape else 1
    return tinynn.tensor(np.arange(n).reshape(shape), dtype=dtype or tinynn.float32, device=device)


def rnd(*shape):
    return RNG.standard_normal(shape)


def node(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


# ----------------------------------------------------------------------------- view / reshape
def test_view_values_and_shapes(device):
    a = tinynn.arange(0, 6, device=device)
    b = a.view(2, 3)
    assert b.tolist() == [[0, 1, 2], [3, 4, 5]] and b.dtype is tinynn.int64
    assert a.view(-1, 2).shape == (3, 2) and a.view(3, -1).shape == (3, 2)
    assert a.view((3, 2)).shape == (3, 2) and a.view([6]).shape == (6,)
    assert b.view(-1).tolist() == [0, 1, 2, 3, 4, 5]
    assert tinynn.tensor(5.0, device=device).view(1, 1).shape == (1, 1)
    assert tinynn.zeros(0, 3, device=device).view(-1, 3).shape == (0, 3)
    with pytest.raises(RuntimeError, match="unspecified dimension size -1 can be any value and is ambiguous"):
        tinynn.zeros(0, 3, device=device).view(3, 0, -1)


def test_view_errors(device):
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        tinynn.arange(6, device=device).view(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        tinynn.arange(6, device=device).view(-1, -1)
    t = ar(3, 4, device=device).t()
    with pytest.raises(RuntimeError, match=r"view size is not compatible .* Use \.reshape\(\.\.\.\) instead"):
        t.view(12)


def test_view_shares_storage_and_version(device):
    a = tinynn.arange(6, device=device)
    b = a.view(2, 3)
    b[0, 0] = 100
    a[5] = -1
    assert a.tolist() == [100, 1, 2, 3, 4, -1]
    assert b.tolist() == [[100, 1, 2], [3, 4, -1]]
    assert a._version == b._version == 2
    assert b._base is a and b.view(6)._base is a and a._base is None


def test_reshape_views_when_possible(device):
    x = ar(3, 4, device=device)
    r = x.reshape(4, 3)
    r[0, 0] = 50
    assert x[0, 0].item() == 50 and r._base is x
    c = x.t().reshape(12)  # needs a copy
    assert c._base is None
    c[0] = -5
    assert x[0, 0].item() == 50
    assert c.tolist()[:4] == [-5.0, 4.0, 8.0, 1.0]


def test_reshape_and_view_node_names(device):
    y = tinynn.ones(2, 3, requires_grad=True, device=device) * 1
    assert node(y.view(6)) == "ViewBackward0" and node(y.reshape(6)) == "ViewBackward0"
    r = y.t().reshape(6)
    assert node(r) == "UnsafeViewBackward0"
    assert r.grad_fn.next_functions[0][0].name() == "CloneBackward0"
    assert node(y.flatten()) == "ViewBackward0" and node(y.unflatten(1, (3, 1))) == "ViewBackward0"
    assert node(y.t().ravel()) == "ViewBackward0"


def test_flatten_unflatten_ravel(device):
    b = ar(2, 3, 4, device=device)
    assert b.flatten().shape == (24,) and b.flatten(1).shape == (2, 12)
    assert b.flatten(0, 1).shape == (6, 4) and b.flatten(-2, -1).shape == (2, 12)
    v = tinynn.ones(3, device=device)
    assert v.flatten() is v  # nothing to flatten: PyTorch returns the input itself
    assert tinynn.tensor(2.0, device=device).flatten().shape == (1,)
    assert tinynn.flatten(b, 1).shape == (2, 12)
    assert b.unflatten(2, (2, 2)).shape == (2, 3, 2, 2) and b.unflatten(-1, (-1, 2)).shape == (2, 3, 2, 2)
    assert tinynn.ravel(b.transpose(0, 2)).tolist()[:4] == [0.0, 12.0, 4.0, 16.0]
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        b.flatten(2, 1)
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[2, 2\] don't multiply up to the "
                                           r"size of dim 1 \(3\) in the input tensor"):
        b.unflatten(1, (2, 2))


# ----------------------------------------------------------------------------- squeeze / unsqueeze
def test_unsqueeze_notes_examples(device):
    a = tinynn.arange(0, 6, device=device).view(2, 3)
    assert a.unsqueeze(0).shape == (1, 2, 3) and a.unsqueeze(0).tolist() == [[[0, 1, 2], [3, 4, 5]]]
    assert a.unsqueeze(1).shape == (2, 1, 3) and a.unsqueeze(1).tolist() == [[[0, 1, 2]], [[3, 4, 5]]]
    assert a.unsqueeze(2).shape == (2, 3, 1)
    assert a.unsqueeze(2).tolist() == [[[0], [1], [2]], [[3], [4], [5]]]
    assert a.unsqueeze(-1).shape == (2, 3, 1) and tinynn.unsqueeze(a, 1).shape == (2, 1, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], "
                                         r"but got 3\)"):
        a.unsqueeze(3)


def test_squeeze_notes_examples(device):
    c = tinynn.arange(0, 6, device=device).view(2, 3).unsqueeze(0)
    assert c.squeeze(0).shape == (2, 3) and c.squeeze(0).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert c.squeeze(1).shape == (1, 2, 3) and c.squeeze(2).shape == (1, 2, 3)
    assert c.squeeze().shape == (2, 3) and tinynn.squeeze(c, 0).shape == (2, 3)
    x = tinynn.zeros(1, 2, 1, 3, 1, device=device)
    assert x.squeeze().shape == (2, 3) and x.squeeze(2).shape == (1, 2, 3, 1)
    assert x.squeeze(-1).shape == (1, 2, 1, 3) and x.squeeze((0, 2)).shape == (2, 3, 1)
    assert x.squeeze([0, -1]).shape == (2, 1, 3)
    assert tinynn.tensor(3.0, device=device).squeeze(0).shape == ()
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.squeeze((0, 0))


def test_squeeze_node_names(device):
    y = tinynn.ones(1, 3, requires_grad=True, device=device) * 1
    assert node(y.squeeze()) == "SqueezeBackward0" and node(y.squeeze(0)) == "SqueezeBackward1"
    assert node(y.squeeze((0, 1))) == "SqueezeBackward2" and node(y.unsqueeze(0)) == "UnsqueezeBackward0"


# ----------------------------------------------------------------------------- permutations
def test_permute_transpose_t(device):
    b = ar(2, 3, 4, device=device)
    p = b.permute(2, 0, 1)
    assert p.shape == (4, 2, 3) and not p.is_contiguous()
    assert p.contiguous().is_contiguous() and p.contiguous().view(-1).tolist()[:6] == [0, 4, 8, 12, 16, 20]
    assert b.permute((1, 0, 2)).shape == (3, 2, 4) and tinynn.permute(b, (2, 1, 0)).shape == (4, 3, 2)
    assert b.transpose(0, 2).shape == (4, 3, 2) and b.swapaxes(0, 1).shape == (3, 2, 4)
    assert tinynn.swapdims(b, -1, 0).shape == (4, 3, 2) and tinynn.swapaxes(b, 1, 2).shape == (2, 4, 3)
    x = ar(3, 4, device=device)
    assert x.t().shape == (4, 3) and x.T.shape == (4, 3) and b.mT.shape == (2, 4, 3)
    assert tinynn.ones(3, device=device).t().shape == (3,)
    assert x.t().tolist()[1] == [1.0, 5.0, 9.0]
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        b.t()
    with pytest.raises(RuntimeError, match="number of dimensions in the tensor input does not match"):
        b.permute(0, 1)
    with pytest.raises(RuntimeError, match="duplicate dims are not allowed"):
        b.permute(0, 0, 1)
    with pytest.raises(RuntimeError, match="tensor.mT is only supported on matrices or batches of matrices. "
                                           "Got 1-D tensor."):
        tinynn.ones(3, device=device).mT


def test_contiguous_after_transpose(device):
    t = tinynn.arange(12, device=device).view(3, 4)
    tt = t.transpose(0, 1)
    assert t.is_contiguous() and not tt.is_contiguous() and not t.t().is_contiguous()
    assert tt.tolist() == [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
    c = tt.contiguous()
    assert c.is_contiguous() and c.view(12).tolist() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]
    assert t.contiguous() is t
    t[0, 1] = 100
    assert tt[1, 0].item() == 100 and c[1, 0].item() == 1  # the transpose is a view, the copy is not


def test_permute_node_names(device):
    y = tinynn.ones(2, 3, requires_grad=True, device=device) * 1
    assert node(y.T) == "PermuteBackward0" and node(y.permute(1, 0)) == "PermuteBackward0"
    assert node(y.mT) == "TransposeBackward0" and node(y.t()) == "TBackward0"
    assert node(y.transpose(0, 1)) == "TransposeBackward0" and node(y.movedim(0, 1)) == "PermuteBackward0"


def test_movedim(device):
    b = ar(2, 3, 4, device=device)
    m = b.movedim(0, 2)
    assert m.shape == (3, 4, 2) and m[1].tolist() == [[4.0, 16.0], [5.0, 17.0], [6.0, 18.0], [7.0, 19.0]]
    assert tinynn.movedim(b, (0, 1), (2, 0)).shape == (3, 4, 2) and b.moveaxis(-1, 0).shape == (4, 2, 3)
    assert tinynn.moveaxis(b, 1, 1).shape == (2, 3, 4)
    with pytest.raises(RuntimeError, match="movedim: Invalid source or destination dims"):
        b.movedim((0, 1), (0,))
    with pytest.raises(RuntimeError, match="repeated dim in `source`"):
        b.movedim((0, 0), (1, 2))


# ----------------------------------------------------------------------------- expand
def test_expand_broadcast(device):
    x = tinynn.tensor([[1.0], [2.0]], device=device)
    e = x.expand(2, 3)
    assert e.tolist() == [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]] and not e.is_contiguous()
    assert x.expand(-1, 4).shape == (2, 4) and x.expand(3, 2, 2).shape == (3, 2, 2)
    assert x.expand_as(tinynn.zeros(2, 5)).shape == (2, 5)
    assert tinynn.broadcast_to(x, (2, 2)).shape == (2, 2) and x.broadcast_to((1, 2, 3)).shape == (1, 2, 3)
    a, b = tinynn.broadcast_tensors(tinynn.ones(3, 1, device=device), tinynn.ones(4, device=device))
    assert a.shape == b.shape == (3, 4)
    assert tinynn.broadcast_shapes((3, 1), (4,), (2, 1, 1)) == (2, 3, 4)
    x[1, 0] = 7.0
    assert e[1].tolist() == [7.0, 7.0, 7.0]  # a view
    y = tinynn.ones(2, 3, device=device)
    same = y.expand(2, 3)
    assert same is not y and same._base is y


def test_expand_errors(device):
    y = tinynn.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(3\) must match the existing "
                                           r"size \(2\) at non-singleton dimension 0.  Target sizes: \[3, 3\].  "
                                           r"Tensor sizes: \[2, 3\]"):
        y.expand(3, 3)
    with pytest.raises(RuntimeError, match=r"the number of sizes provided \(1\) must be greater or equal to "
                                           r"the number of dimensions in the tensor \(2\)"):
        y.expand(3)
    with pytest.raises(RuntimeError, match=r"at non-singleton dimension 1.  Target sizes: \[-1, 3, 3\]"):
        y.expand(-1, 3, 3)
    with pytest.raises(RuntimeError, match="The size of tensor a"):
        tinynn.broadcast_tensors(tinynn.ones(2, device=device), tinynn.ones(3, device=device))
    with pytest.raises(RuntimeError, match="Shape mismatch: objects cannot be broadcast to a single shape"):
        tinynn.broadcast_shapes((2,), (3,))


def test_expand_node_names(device):
    y = tinynn.ones(1, 3, requires_grad=True, device=device) * 1
    assert node(y.expand(2, 3)) == "ExpandBackward0" and node(y.expand(1, 3)) == "ExpandBackward0"
    assert node(tinynn.broadcast_tensors(y, tinynn.ones(4, 1, 3))[0]) == "ExpandBackward0"


# ----------------------------------------------------------------------------- repeat / tile
def test_repeat_tile_repeat_interleave(device):
    x = ar(3, 4, device=device)
    assert x[:2, :2].repeat(2, 1, 2).tolist() == [[[0.0, 1.0, 0.0, 1.0], [4.0, 5.0, 4.0, 5.0]],
                                                  [[0.0, 1.0, 0.0, 1.0], [4.0, 5.0, 4.0, 5.0]]]
    assert tinynn.tensor([1, 2], device=device).tile(2, 2).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert x.tile(2).shape == (3, 8) and tinynn.tile(x, (2, 1, 1)).shape == (2, 3, 4)
    m = tinynn.tensor([[1, 2], [3, 4]], device=device)
    assert m.repeat_interleave(2, dim=0).tolist() == [[1, 2], [1, 2], [3, 4], [3, 4]]
    assert m.repeat_interleave(2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert m.repeat_interleave(tinynn.tensor([1, 2], device=device), dim=1).tolist() == [[1, 2, 2], [3, 4, 4]]
    assert tinynn.repeat_interleave(tinynn.tensor([2, 0, 1], device=device)).tolist() == [0, 0, 2]
    assert x.repeat(1, 1).shape == (3, 4) and x.repeat(0, 1).shape == (0, 4)
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller than "
                                           "number of dimensions of tensor"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="repeats must have the same size as input along dim"):
        m.repeat_interleave(tinynn.tensor([1, 2, 3], device=device), dim=0)
    y = tinynn.ones(2, 3, requires_grad=True, device=device) * 1
    assert node(y.repeat(2, 1)) == "RepeatBackward0" and node(y.tile(2)) == "RepeatBackward0"
    assert node(y.repeat_interleave(tinynn.tensor([1, 2]), dim=0)) == "IndexSelectBackward0"


# ----------------------------------------------------------------------------- cat / stack
def test_cat_stack_values(device):
    x = ar(2, 3, device=device)
    assert tinynn.cat([x, x]).shape == (4, 3) and tinynn.cat((x, x[:, :1]), 1).shape == (2, 4)
    assert tinynn.concat([x, x], dim=-1).shape == (2, 6) and tinynn.concatenate([x, x], axis=1).shape == (2, 6)
    assert tinynn.cat([x, x], 1)[1].tolist() == [3.0, 4.0, 5.0, 3.0, 4.0, 5.0]
    assert tinynn.cat([x, tinynn.zeros(0, device=device)]).shape == (2, 3)  # legacy empty 1-D is skipped
    assert tinynn.cat([x, x[:0]]).shape == (2, 3)
    c = tinynn.cat([tinynn.tensor([1, 2], device=device), tinynn.tensor([0.5], device=device)])
    assert c.dtype is tinynn.float32 and c.tolist() == [1.0, 2.0, 0.5]
    s = tinynn.stack([x, x * 2], 1)
    assert s.shape == (2, 2, 3) and s[0, 1].tolist() == [0.0, 2.0, 4.0]
    assert tinynn.stack([x, x], -1).shape == (2, 3, 2)
    assert tinynn.hstack([x, x]).shape == (2, 6) and tinynn.vstack([x[0], x[1]]).shape == (2, 3)
    assert tinynn.row_stack([x, x]).shape == (4, 3)
    assert tinynn.dstack([tinynn.tensor([1, 2]), tinynn.tensor([3, 4])]).tolist() == [[[1, 3], [2, 4]]]
    assert tinynn.column_stack([tinynn.tensor([1, 2]), tinynn.tensor([[3, 4], [5, 6]])]).tolist() == \
        [[1, 3, 4], [2, 5, 6]]
    out = tinynn.empty(0, device=device)
    r = tinynn.cat([x, x], out=out)
    assert r is out and out.shape == (4, 3)


def test_cat_stack_errors(device):
    y = tinynn.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0. Expected size "
                                           "3 but got size 4 for tensor number 1 in the list."):
        tinynn.cat([y, tinynn.ones(2, 4, device=device)])
    with pytest.raises(ValueError, match=r"expected a non-empty list of Tensors"):
        tinynn.cat([])
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions: got 2 and 1"):
        tinynn.cat([y, tinynn.ones(3, device=device)])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor \\(at position 0\\) cannot be concatenated"):
        tinynn.cat([tinynn.tensor(1.0), tinynn.tensor(2.0)])
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 0, but got int"):
        tinynn.cat([y, 3])
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2, 3\] at "
                                           r"entry 0 and \[2, 4\] at entry 1"):
        tinynn.stack([y, tinynn.ones(2, 4, device=device)])
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        tinynn.stack([])


def test_cat_stack_node_names(device):
    y = tinynn.ones(2, 3, requires_grad=True, device=device) * 1
    assert node(tinynn.cat([y, y])) == "CatBackward0" and node(tinynn.stack([y, y])) == "StackBackward0"
    assert node(tinynn.hstack([y, y])) == "CatBackward0"


# ----------------------------------------------------------------------------- split and friends
def test_split_chunk_unbind_views(device):
    x = ar(3, 4, device=device)
    parts = x.split(3, 1)
    assert [p.shape for p in parts] == [(3, 3), (3, 1)]
    assert [p.shape for p in x.split([1, 2])] == [(1, 4), (2, 4)]
    assert [p.tolist() for p in tinynn.arange(5, device=device).chunk(3)] == [[0, 1], [2, 3], [4]]
    assert [p.shape for p in tinynn.ones(6, device=device).chunk(4)] == [(2,), (2,), (2,)]
    rows = x.unbind()
    assert len(rows) == 3 and rows[1].tolist() == [4.0, 5.0, 6.0, 7.0]
    assert [t.tolist() for t in tinynn.arange(7).tensor_split(3)] == [[0, 1, 2], [3, 4], [5, 6]]
    assert [t.tolist() for t in tinynn.arange(7).tensor_split([1, 5])] == [[0], [1, 2, 3, 4], [5, 6]]
    parts[0][0, 0] = 99.0
    rows[2][3] = -1.0
    assert x[0, 0].item() == 99.0 and x[2, 3].item() == -1.0
    assert parts[0]._base is x and rows[0]._base is x
    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly to 3 "
                                           r"\(input tensor's size at dimension 0\), but got split_sizes=\[1, 1\]"):
        x.split([1, 1])
    with pytest.raises(RuntimeError, match="split_size can only be 0 if dimension size is 0, but got "
                                           "dimension size of 3"):
        x.split(0)
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0, got: 0"):
        x.chunk(0)


def test_split_node_names(device):
    y = tinynn.ones(2, 4, requires_grad=True, device=device) * 1
    assert node(y.split(1)[0]) == "SplitBackward0" and node(y.split([1, 3], 1)[0]) == "SplitWithSizesBackward0"
    assert node(y.chunk(2)[0]) == "SplitBackward0" and node(y.unbind()[0]) == "UnbindBackward0"
    assert node(y.narrow(1, 0, 2)) == "SliceBackward0" and node(y.select(0, 1)) == "SelectBackward0"


def test_narrow_select(device):
    x = ar(3, 4, device=device)
    n = x.narrow(1, 1, 2)
    assert n.tolist() == [[1.0, 2.0], [5.0, 6.0], [9.0, 10.0]] and not n.is_contiguous()
    assert x.narrow(1, -1, 1).shape == (3, 1) and x.narrow(0, 0, 3).shape == (3, 4)
    assert x.narrow(1, tinynn.tensor(1), 2).shape == (3, 2) and x.narrow(1, 4, 0).shape == (3, 0)
    assert x.select(1, -1).tolist() == [3.0, 7.0, 11.0] and tinynn.select(x, 0, 1).tolist() == [4.0, 5.0, 6.0, 7.0]
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(3\) exceeds dimension size \(4\)."):
        x.narrow(1, 2, 3)
    with pytest.raises(IndexError, match=r"start out of range \(expected to be in range of \[-4, 4\], but got 5\)"):
        x.narrow(1, 5, 0)
    with pytest.raises(IndexError, match=r"select\(\): index 5 out of range for tensor of size \[3, 4\] at "
                                         r"dimension 0"):
        x.select(0, 5)


def test_metadata_ops_share_storage(device):
    x = tinynn.arange(6.0, device=device)
    v, n, u = x.view(2, 3), x.narrow(0, 1, 3), x.unsqueeze(0)
    t, e = v.t(), x[:1].expand(2, 3)
    x[1] = 100.0
    x[0] = -7.0
    assert v.tolist() == [[-7.0, 100.0, 2.0], [3.0, 4.0, 5.0]]
    assert n.tolist() == [100.0, 2.0, 3.0] and u.tolist() == [[-7.0, 100.0, 2.0, 3.0, 4.0, 5.0]]
    assert t.tolist() == [[-7.0, 3.0], [100.0, 4.0], [2.0, 5.0]]
    assert e.tolist() == [[-7.0, -7.0, -7.0], [-7.0, -7.0, -7.0]]
    assert not e.is_contiguous() and n.is_contiguous()
    assert x._version == v._version == t._version == e._version == 2


# ----------------------------------------------------------------------------- copies
def test_flip_roll(device):
    b = ar(2, 3, 4, device=device)
    f = b.flip(0, 2)
    assert f[:, 0].tolist() == [[15.0, 14.0, 13.0, 12.0], [3.0, 2.0, 1.0, 0.0]] and f._base is None
    assert tinynn.flip(b, [0]).shape == (2, 3, 4) and b.flip(()).tolist() == b.tolist()
    x = ar(3, 4, device=device)
    assert x.fliplr()[0].tolist() == [3.0, 2.0, 1.0, 0.0] and x.flipud()[0].tolist() == [8.0, 9.0, 10.0, 11.0]
    assert x.roll(1).tolist() == [[11.0, 0.0, 1.0, 2.0], [3.0, 4.0, 5.0, 6.0], [7.0, 8.0, 9.0, 10.0]]
    assert x.roll((1, -1), (0, 1)).tolist() == [[9.0, 10.0, 11.0, 8.0], [1.0, 2.0, 3.0, 0.0],
                                                [5.0, 6.0, 7.0, 4.0]]
    assert tinynn.roll(x, 1, 0)[0].tolist() == [8.0, 9.0, 10.0, 11.0]
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.flip(0, 0)
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        x.roll((1, 2), 0)
    y = tinynn.ones(2, 3, requires_grad=True, device=device) * 1
    assert node(y.flip(0)) == "FlipBackward0" and node(y.roll(1)) == "RollBackward0"


def test_unfold_diag_embed(device):
    u = tinynn.arange(7.0, device=device).unfold(0, 3, 2)
    assert u.tolist() == [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0], [4.0, 5.0, 6.0]] and u._base is not None
    assert ar(3, 4, device=device).unfold(1, 2, 1)[1].tolist() == [[4.0, 5.0], [5.0, 6.0], [6.0, 7.0]]
    assert ar(2, 3, 4, device=device).unfold(0, 2, 2).shape == (1, 3, 4, 2)
    d = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]], device=device).diag_embed()
    assert d.tolist() == [[[1.0, 0.0], [0.0, 2.0]], [[3.0, 0.0], [0.0, 4.0]]]
    assert tinynn.tensor([1.0, 2.0]).diag_embed(1).tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0],
                                                                [0.0, 0.0, 0.0]]
    assert tinynn.diag_embed(ar(2, 3), 0, 0, 2).shape == (3, 2, 3)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 1 is 4 but size is 5"):
        ar(3, 4).unfold(1, 5, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        ar(3, 4).unfold(1, 2, 0)


def test_atleast(device):
    s = tinynn.tensor(1.0, device=device)
    assert tinynn.atleast_1d(s).shape == (1,) and tinynn.atleast_2d(s).shape == (1, 1)
    assert tinynn.atleast_3d(tinynn.ones(3)).shape == (1, 3, 1) and tinynn.atleast_3d(ar(2, 3)).shape == (2, 3, 1)
    a, b = tinynn.atleast_2d(s, tinynn.ones(3))
    assert a.shape == (1, 1) and b.shape == (1, 3)


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("fn,shapes", [
    (lambda x: x.view(4, 3), [(3, 4)]),
    (lambda x: x.view(-1), [(0, 3)]),
    (lambda x: x.reshape(6), [(2, 3)]),
    (lambda x: x.t().reshape(12), [(3, 4)]),
    (lambda x: x.flatten(1), [(2, 3, 4)]),
    (lambda x: x.unflatten(1, (2, 2)), [(3, 4)]),
    (lambda x: x.squeeze(), [(1, 3, 1)]),
    (lambda x: x.squeeze((0, 2)), [(1, 3, 1)]),
    (lambda x: x.unsqueeze(1), [(3, 2)]),
    (lambda x: x.unsqueeze(0), [()]),
    (lambda x: x.permute(2, 0, 1), [(2, 3, 4)]),
    (lambda x: x.transpose(0, 1), [(2, 3)]),
    (lambda x: x.t(), [(2, 3)]),
    (lambda x: x.T, [(2, 3)]),
    (lambda x: x.mT, [(2, 2, 3)]),
    (lambda x: x.movedim(0, -1), [(2, 3, 4)]),
    (lambda x: x.expand(4, 2, 3), [(2, 1)]),
    (lambda x: x.expand(2, 3), [()]),
    (lambda x: x.repeat(2, 1, 3), [(2, 2)]),
    (lambda x: x.tile(2), [(3,)]),
    (lambda x: x.repeat_interleave(3, dim=1), [(2, 2)]),
    (lambda x: x.repeat_interleave(tinynn.tensor([2, 0, 1]), dim=0), [(3, 2)]),
    (lambda x, y: tinynn.cat([x, y, x], 1), [(2, 3), (2, 1)]),
    (lambda x, y: tinynn.cat([x, y]), [(2, 3), (0, 3)]),
    (lambda x, y: tinynn.stack([x, y], 1), [(2, 3), (2, 3)]),
    (lambda x, y: tinynn.hstack([x, y]), [(3,), (2,)]),
    (lambda x: x.split(2, 1), [(2, 5)]),
    (lambda x: x.split([1, 2]), [(3, 2)]),
    (lambda x: x.chunk(2)[1], [(5,)]),
    (lambda x: x.unbind(1), [(2, 3)]),
    (lambda x: x.unbind(0)[1], [(3, 2)]),
    (lambda x: x.tensor_split(3, 1), [(2, 4)]),
    (lambda x: x.narrow(1, 1, 2), [(2, 4)]),
    (lambda x: x.select(1, 0), [(2, 4)]),
    (lambda x: x.flip(0, 1), [(2, 3)]),
    (lambda x: x.roll(2), [(2, 3)]),
    (lambda x: x.roll((1, -1), (0, 1)), [(2, 3)]),
    (lambda x: x.unfold(1, 3, 2), [(2, 7)]),
    (lambda x: x.unfold(0, 2, 1), [(4, 2)]),
    (lambda x: x.diag_embed(), [(2, 3)]),
    (lambda x: tinynn.diag_embed(x, -1, 0, 2), [(2, 3)]),
    (lambda x, y: tinynn.broadcast_tensors(x, y), [(3, 1), (4,)]),
    (lambda x: x.sum_to_size(1, 3), [(2, 3)]),
])
def test_shape_op_gradients(fn, shapes, device):
    check_grad(fn, *[rnd(*s) for s in shapes], device=device)


def test_view_grad_flows_to_base(device):
    w = tinynn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, device=device)
    (w.view(3, 2)[1] * tinynn.tensor([2.0, 3.0])).sum().backward()
    assert w.grad.tolist() == [[0.0, 0.0, 2.0], [3.0, 0.0, 0.0]]
    w.grad = None
    a, b = w.split([1, 1])
    (a * 2).sum().backward()  # b's gradient is zero-filled
    assert w.grad.tolist() == [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]]
