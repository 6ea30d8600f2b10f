"""nn.Module and nn.Parameter: registration, traversal, state dicts, moves, hooks, repr, copies.

Expected names, orders, messages and reprs are what PyTorch 2.13 gives for the same code."""
from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from helpers import assert_close


# ---------------------------------------------------------------------------- Parameter
def test_parameter_basics(device):
    t = tinynn.tensor([1.0, 2.0], device=device)
    p = nn.Parameter(t)
    assert isinstance(p, tinynn.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert not isinstance(t, nn.Parameter)
    assert type(p * 2) is tinynn.Tensor
    assert type(p.detach()) is tinynn.Tensor and type(p.data) is tinynn.Tensor
    assert type(p[0]) is tinynn.Tensor and type(p.clone()) is tinynn.Tensor
    # shares storage (and version counter) with its data
    t.add_(1)
    assert p.tolist() == [2.0, 3.0] and p._version == t._version == 1
    q = nn.Parameter(t, requires_grad=False)
    assert not q.requires_grad
    assert repr(nn.Parameter(tinynn.tensor([1.0, 2.0], device="cpu"))) == \
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert repr(nn.Parameter(tinynn.tensor([2.0, 3.0], device="cpu"), requires_grad=False)) == \
        "Parameter containing:\ntensor([2., 3.])"
    assert repr(nn.Parameter(tinynn.empty(0, device="cpu"))) == \
        "Parameter containing:\ntensor([], requires_grad=True)"


def test_parameter_errors():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        nn.Parameter(tinynn.tensor([1, 2]))
    assert nn.Parameter(tinynn.tensor([1, 2]), requires_grad=False).dtype == tinynn.int64
    with pytest.raises(TypeError):
        nn.Parameter([1.0, 2.0])


def test_parameter_deepcopy_and_pickle(device):
    p = nn.Parameter(tinynn.tensor([1.0, 2.0], device=device))
    (p * 3).sum().backward()
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q is not p
    assert q.tolist() == [1.0, 2.0] and q.grad.tolist() == [3.0, 3.0]
    q.data.add_(1)
    assert p.tolist() == [1.0, 2.0]  # a real copy
    r = pickle.loads(pickle.dumps(p.detach().cpu() if device != "cpu" else p))
    assert r.tolist() == [1.0, 2.0]
    r2 = pickle.loads(pickle.dumps(nn.Parameter(tinynn.tensor([1.0]))))
    assert type(r2) is nn.Parameter and r2.requires_grad


def test_buffer_marker():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Buffer(tinynn.zeros(2))
            self.b = nn.Buffer(tinynn.ones(1), persistent=False)

    m = M()
    assert [n for n, _ in m.named_buffers()] == ["a", "b"]
    assert list(m.state_dict()) == ["a"]
    assert type(m.a) is tinynn.Tensor


# ---------------------------------------------------------------------------- a model to poke at
class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(tinynn.ones(2))
        self.register_buffer("count", tinynn.zeros(1))
        self.register_buffer("tmp", tinynn.zeros(1), persistent=False)

    def forward(self, x):
        return x * self.scale


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Inner()
        self.b = Inner()
        self.bias = nn.Parameter(tinynn.zeros(2))
        self.shared = self.a

    def forward(self, x):
        return self.b(self.a(x)) + self.bias


def test_registration_and_traversal_names():
    m = Outer()
    assert [n for n, _ in m.named_parameters()] == ["bias", "a.scale", "b.scale"]
    assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == \
        ["bias", "a.scale", "b.scale", "shared.scale"]
    assert [n for n, _ in m.named_parameters(prefix="net")] == ["net.bias", "net.a.scale", "net.b.scale"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["bias"]
    assert len(list(m.parameters())) == 3 and len(list(m.parameters(recurse=False))) == 1
    assert [n for n, _ in m.named_modules()] == ["", "a", "b"]
    assert [n for n, _ in m.named_children()] == ["a", "b"]
    assert list(m.children()) == [m.a, m.b] and list(m.modules()) == [m, m.a, m.b]
    assert [n for n, _ in m.named_buffers()] == ["a.count", "a.tmp", "b.count", "b.tmp"]
    assert list(m.state_dict()) == ["bias", "a.scale", "a.count", "b.scale", "b.count",
                                    "shared.scale", "shared.count"]
    assert m.state_dict()._metadata == OrderedDict([("", {"version": 1}), ("a", {"version": 1}),
                                                    ("b", {"version": 1}), ("shared", {"version": 1})])


def test_setattr_moves_between_kinds_and_delattr():
    m = Inner()
    m.scale = None  # a registered parameter may be set to None
    assert m.scale is None and list(m.named_parameters()) == []
    m.scale = nn.Parameter(tinynn.ones(3))
    m.count = tinynn.ones(1)  # a registered buffer takes a new tensor
    assert m.count.tolist() == [1.0]
    m.plain = tinynn.ones(1)  # a plain tensor attribute is not registered
    assert "plain" not in m._buffers and "plain" not in m._parameters
    m.plain = nn.Parameter(tinynn.ones(1))  # now it is, and the plain attribute is gone
    assert "plain" in m._parameters and "plain" not in m.__dict__
    del m.plain
    assert "plain" not in m._parameters
    with pytest.raises(AttributeError):
        m.plain  # noqa: B018
    del m.count
    assert [n for n, _ in m.named_buffers()] == ["tmp"]
    m.sub = Inner()
    del m.sub
    assert list(m.children()) == []


def test_registration_errors():
    m = Outer().cpu()
    with pytest.raises(TypeError, match=r"cannot assign 'tinynn.FloatTensor' object to parameter 'x' "
                                        r"\(torch.nn.Parameter or None required\)"):
        m.register_parameter("x", tinynn.ones(2, device="cpu"))
    with pytest.raises(TypeError, match=r"cannot assign 'tinynn.FloatTensor' as parameter 'bias'"):
        m.bias = tinynn.ones(2, device="cpu")
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module 'a' "
                                        r"\(torch.nn.Module or None expected\)"):
        m.a = 3
    with pytest.raises(TypeError, match=r"cannot assign 'str' as buffer 'count'"):
        m.a.count = "x"
    with pytest.raises(KeyError, match="contain"):
        m.add_module("a.b", Inner())
    with pytest.raises(KeyError, match="empty string"):
        m.register_parameter("", None)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("forward", tinynn.ones(1))
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError):
        m.register_buffer("y", 3)
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")
    with pytest.raises(AttributeError, match="'Outer' object has no attribute 'foo'"):
        m.foo  # noqa: B018
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("z", None) or m._parameters.pop("z") or nn.Module.register_parameter(
            m, "z", _nonleaf_param())

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(tinynn.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Early()

    with pytest.raises(TypeError):
        nn.Module(3)


def _nonleaf_param():
    p = nn.Parameter(tinynn.ones(1))
    p.grad_fn = (tinynn.ones(1, requires_grad=True) * 2).grad_fn  # forged history
    return p


def test_register_parameter_none_and_module_none():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_parameter("alpha", nn.Parameter(tinynn.tensor([0.5])))
            self.register_parameter("beta", None)
            self.register_module("sub", None)
            self.gamma = nn.Parameter(tinynn.tensor([2.0]))

        def forward(self, x):
            return x * self.alpha * self.gamma

    m = M()
    assert m.beta is None and m.sub is None
    assert [n for n, _ in m.named_parameters()] == ["alpha", "gamma"]
    assert list(m.state_dict()) == ["alpha", "gamma"]
    out = m(tinynn.tensor([2.0, 4.0]))
    out.sum().backward()
    assert out.tolist() == [2.0, 4.0] and m.alpha.grad.tolist() == [12.0]


def test_get_submodule_parameter_buffer():
    m = Outer()
    assert m.get_submodule("") is m and m.get_submodule("a") is m.a
    assert m.get_parameter("a.scale") is m.a.scale and m.get_parameter("bias") is m.bias
    assert m.get_buffer("b.count") is m.b.count
    with pytest.raises(AttributeError, match="Inner has no attribute `zz`"):
        m.get_submodule("a.zz")
    with pytest.raises(AttributeError, match="`scale` is not an nn.Module"):
        m.get_submodule("a.scale")
    with pytest.raises(AttributeError, match="`a` is not an nn.Parameter"):
        m.get_parameter("a")
    with pytest.raises(AttributeError, match="Inner has no attribute `zz`"):
        m.get_parameter("a.zz")
    m.set_submodule("b", Inner())
    assert [n for n, _ in m.named_children()] == ["a", "b"]


def test_forward_missing_raises():
    class N(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match='Module \\[N\\] is missing the required "forward" '
                                                  'function'):
        N()(1)


# ---------------------------------------------------------------------------- state dict
def test_state_dict_roundtrip_and_sharing(device):
    m = Outer().to(device)
    sd = m.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    with tinynn.no_grad():
        sd["bias"].fill_(5.0)  # detached but sharing storage, as in PyTorch
    assert m.bias.tolist() == [5.0, 5.0]
    kv = m.state_dict(keep_vars=True)
    assert kv["bias"] is m.bias
    pre = m.state_dict(prefix="model.")
    assert list(pre)[0] == "model.bias"
    dest = OrderedDict()
    assert m.state_dict(destination=dest) is dest and "a.scale" in dest

    fresh = Outer().to(device)
    res = fresh.load_state_dict(m.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    assert fresh.bias.tolist() == [5.0, 5.0]
    assert fresh.bias is not m.bias  # copied into the existing parameter
    # a plain dict works too
    fresh.load_state_dict(dict(m.state_dict()))


def test_load_state_dict_errors():
    m = Outer()
    r = m.load_state_dict({"bias": tinynn.zeros(2)}, strict=False)
    assert repr(r) == ("_IncompatibleKeys(missing_keys=['a.scale', 'a.count', 'b.scale', 'b.count', "
                       "'shared.scale', 'shared.count'], unexpected_keys=[])")
    missing, unexpected = r
    assert unexpected == []
    with pytest.raises(RuntimeError) as ei:
        m.load_state_dict({"bias": tinynn.zeros(3), "zzz": tinynn.ones(1)})
    assert str(ei.value) == (
        'Error(s) in loading state_dict for Outer:\n\tMissing key(s) in state_dict: "a.scale", '
        '"a.count", "b.scale", "b.count", "shared.scale", "shared.count". \n\tUnexpected key(s) in '
        'state_dict: "zzz". \n\tsize mismatch for bias: copying a param with shape tinynn.Size([3]) '
        'from checkpoint, the shape in current model is tinynn.Size([2]).')
    # size mismatch is reported even when not strict
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        m.load_state_dict({"bias": tinynn.zeros(3)}, strict=False)
    r = m.load_state_dict({"bias": tinynn.zeros(2), "a.zz": tinynn.ones(1), "q.w": tinynn.ones(1)},
                          strict=False)
    assert r.unexpected_keys == ["q.w", "a.zz"]  # PyTorch's order: own level first
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match='expected torch.Tensor or Tensor-like object'):
        m.load_state_dict({**m.state_dict(), "bias": [0.0, 0.0]})


def test_load_state_dict_assign():
    m = Outer()
    new = tinynn.tensor([7.0, 8.0])
    m.load_state_dict({**m.state_dict(), "bias": new}, assign=True)
    assert isinstance(m.bias, nn.Parameter) and m.bias.requires_grad
    assert m.bias.tolist() == [7.0, 8.0]
    new.add_(1)  # assigned, not copied: the parameter shares new's storage
    assert m.bias.tolist() == [8.0, 9.0]


def test_state_dict_hooks_and_extra_state():
    class E(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(tinynn.ones(1))
            self.step = 3

        def get_extra_state(self):
            return {"step": self.step}

        def set_extra_state(self, state):
            self.step = state["step"]

    e = E()
    sd = e.state_dict()
    assert list(sd) == ["w", "_extra_state"] and sd["_extra_state"] == {"step": 3}
    e2 = E()
    e2.step = 0
    e2.load_state_dict(sd)
    assert e2.step == 3
    seen = []
    h = e2.register_load_state_dict_post_hook(lambda mod, keys: seen.append(list(keys.missing_keys)))
    e2.load_state_dict({"w": tinynn.ones(1)}, strict=False)
    assert seen == [["_extra_state"]]
    h.remove()
    h2 = e2.register_state_dict_pre_hook(lambda mod, prefix, keep: seen.append(prefix))
    e2.state_dict(prefix="p.")
    assert seen[-1] == "p."
    h2.remove()


# ---------------------------------------------------------------------------- modes, grads, moves
def test_train_eval_zero_grad_requires_grad():
    m = Outer()
    assert m.training and m.a.training
    assert m.eval() is m and not m.training and not m.a.training and not m.b.training
    m.train()
    assert m.b.training
    m(tinynn.tensor([1.0, 2.0])).sum().backward()
    assert m.bias.grad.tolist() == [1.0, 1.0]
    m.zero_grad(set_to_none=False)
    assert m.bias.grad.tolist() == [0.0, 0.0]
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert m.requires_grad_(False) is m
    assert [p.requires_grad for p in m.parameters()] == [False, False, False]
    m.requires_grad_()
    assert all(p.requires_grad for p in m.parameters())


def test_to_keeps_parameter_identity_and_moves_grads():
    m = Outer()
    m(tinynn.tensor([1.0, 2.0])).sum().backward()
    params = list(m.parameters())
    grad = m.bias.grad
    assert m.double() is m
    assert list(m.parameters())[0] is params[0]
    assert m.bias.dtype == tinynn.float64 and m.a.count.dtype == tinynn.float64
    assert m.bias.grad is grad and grad.dtype == tinynn.float64
    m.to(tinynn.float32)
    assert m.a.scale.dtype == tinynn.float32
    m.half().float()
    assert m.a.scale.dtype == tinynn.float32
    m.to("cpu")
    m.to(device="cpu", dtype=tinynn.float64)
    assert m.bias.dtype == tinynn.float64
    m.to(tinynn.zeros(1))
    assert m.bias.dtype == tinynn.float32
    m.type(tinynn.float64)
    assert m.bias.dtype == tinynn.float64
    m.cpu()
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes, "
                                        "but got desired dtype=tinynn.int64"):
        m.to(tinynn.int64)

    class WithLong(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("idx", tinynn.tensor([1, 2]))
            self.w = nn.Parameter(tinynn.ones(1))

    w = WithLong().double()
    assert w.idx.dtype == tinynn.int64 and w.w.dtype == tinynn.float64


def test_step_by_hand_after_to_keeps_working():
    m = Outer()
    params = list(m.parameters())  # what an optimizer would hold
    m.double()
    loss = m(tinynn.tensor([1.0, 2.0], dtype=tinynn.float64)).sum()
    loss.backward()
    with tinynn.no_grad():
        for p in params:
            p -= 0.1 * p.grad
    assert m.bias.tolist() == [-0.1, -0.1]


def test_apply_and_dir():
    m = Outer()
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Inner", "Inner", "Outer"]
    d = dir(m)
    assert "a" in d and "bias" in d and "forward" in d and d == sorted(d)


# ---------------------------------------------------------------------------- hooks
def test_forward_and_backward_hooks():
    m = Outer()
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", len(args))))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 2)
    h3 = m.register_full_backward_hook(
        lambda mod, gi, go: calls.append(("bw", [g.tolist() for g in gi], [g.tolist() for g in go])))
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = m(x)
    y.sum().backward()
    assert y.tolist() == [2.0, 4.0]
    assert calls == [("pre", 1), ("bw", [[2.0, 2.0]], [[1.0, 1.0]])]
    assert x.grad.tolist() == [2.0, 2.0]
    h1.remove()
    h2.remove()
    h3.remove()
    calls.clear()
    assert m(x).tolist() == [1.0, 2.0] and calls == []


def test_hook_replacements_kwargs_prepend():
    lin = Inner()
    order = []
    lin.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
    lin.register_forward_pre_hook(lambda mod, args: order.append("first"), prepend=True)
    lin.register_forward_hook(lambda mod, args, kwargs, out: order.append(sorted(kwargs)),
                              with_kwargs=True)
    out = lin(tinynn.tensor([1.0, 2.0]))
    assert out.tolist() == [2.0, 3.0] and order == ["first", []]

    class KW(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    k = KW()
    k.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}), with_kwargs=True)
    assert k(tinynn.tensor([1.0])).tolist() == [3.0]

    # the full backward pre-hook may replace grad_output; the backward hook may replace grad_input
    m = Inner()
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,))
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1,))
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    m(x).sum().backward()
    assert x.grad.tolist() == [11.0, 11.0] and m.scale.grad.tolist() == [10.0, 20.0]


def test_global_forward_hooks():
    from tinynn.nn.modules.module import register_module_forward_hook
    seen = []
    h = register_module_forward_hook(lambda mod, args, out: seen.append(type(mod).__name__))
    try:
        Outer()(tinynn.ones(2))
    finally:
        h.remove()
    assert seen == ["Inner", "Inner", "Outer"]


# ---------------------------------------------------------------------------- repr and copies
class B(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(tinynn.ones(2))

    def extra_repr(self):
        return "k=2"


class C(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = B()
        self.other = B()

    def extra_repr(self):
        return "a=1\nb=2"


class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = C()
        self.b = B()


def test_repr_nested_like_torch():
    assert repr(D()) == ("D(\n  (c): C(\n    a=1\n    b=2\n    (inner): B(k=2)\n    (other): B(k=2)\n  )"
                         "\n  (b): B(k=2)\n)")
    assert repr(B()) == "B(k=2)"
    assert repr(Inner()) == "Inner()"


def test_deepcopy_and_pickle_module():
    m = Outer()
    with tinynn.no_grad():
        m.bias.fill_(3.0)
    m2 = copy.deepcopy(m)
    assert m2.shared is m2.a and m2.a is not m.a  # sharing kept inside the copy
    assert type(m2.bias) is nn.Parameter and m2.bias is not m.bias
    assert m2.bias.tolist() == [3.0, 3.0]
    assert list(m2.state_dict()) == list(m.state_dict())
    m3 = pickle.loads(pickle.dumps(m))
    assert m3.bias.tolist() == [3.0, 3.0] and isinstance(m3.a.scale, nn.Parameter)
    assert_close(m3(tinynn.ones(2)), m(tinynn.ones(2)))


def test_many_nested_modules_no_recursion_error():
    root = cur = Inner()
    for _ in range(3000):
        nxt = Inner()
        cur.child = nxt
        cur = nxt
    assert len(list(root.parameters())) == 3001
    assert len(list(root.named_modules())) == 3001


# ---------------------------------------------------------------------------- containers
def test_sequential_indexing_and_editing():
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Tanh())
    assert isinstance(s[-1], nn.Tanh) and isinstance(s[0], nn.Linear)
    head = s[1:]
    assert isinstance(head, nn.Sequential) and list(head._modules) == ["1", "2"]
    assert repr(head) == "Sequential(\n  (1): ReLU()\n  (2): Tanh()\n)"
    del s[0]
    assert list(s._modules) == ["0", "1"] and repr(s) == "Sequential(\n  (0): ReLU()\n  (1): Tanh()\n)"
    s.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in s] == ["Sigmoid", "ReLU", "Tanh"] and list(s._modules) == ["0", "1", "2"]
    assert isinstance(s.pop(1), nn.ReLU) and [type(m).__name__ for m in s] == ["Sigmoid", "Tanh"]
    s2 = s + nn.Sequential(nn.ReLU())
    assert list(s2._modules) == ["0", "1", "2"] and len(s * 2) == 4
    s[0] = nn.ReLU()
    assert isinstance(s[0], nn.ReLU)
    s.extend([nn.Identity(), nn.Identity()])
    assert len(s) == 4 and s.append(nn.Identity()) is s and len(s) == 5
    s += nn.Sequential(nn.ReLU())
    assert len(s) == 6
    with pytest.raises(IndexError, match="index 7 is out of range"):
        s[7]  # noqa: B018
    with pytest.raises(IndexError, match="Index out of range: 9"):
        s.insert(9, nn.ReLU())
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        s + [1]  # noqa: B018
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0"):
        s * 0  # noqa: B018
    with pytest.raises(TypeError, match="is not a Module subclass"):
        nn.Sequential(tinynn.nn.functional.relu)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        s.append(3)
    assert repr(nn.Sequential()) == "Sequential()"


def test_sequential_forward_and_ordereddict(device):
    net = nn.Sequential(OrderedDict([("fc1", nn.Linear(2, 3)), ("act", nn.Tanh()), ("fc2", nn.Linear(3, 1))]))
    net.to(device)
    assert net.fc1 is net[0] and [n for n, _ in net.named_parameters()] == \
        ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    x = tinynn.ones(4, 2, device=device)
    expected = net.fc2(net.act(net.fc1(x)))
    assert_close(net(x), expected)


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["ReLU", "Sigmoid", "Tanh"]
    sl = ml[::2]
    assert type(sl) is nn.ModuleList and [type(m).__name__ for m in sl] == ["ReLU", "Tanh"]
    del ml[0]
    assert list(ml._modules) == ["0", "1"]
    ml += [nn.ReLU()]
    assert len(ml) == 3 and isinstance(ml[-1], nn.ReLU)
    assert repr(ml) == "ModuleList(\n  (0): Sigmoid()\n  (1): Tanh()\n  (2): ReLU()\n)"
    assert repr(nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])) == (
        "ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n  (3): ReLU()\n)")
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert isinstance(ml.pop(0), nn.Sigmoid) and len(ml) == 2
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, but got int"):
        ml.extend(3)
    with pytest.raises(IndexError, match="index 10 is out of range"):
        ml[10]  # noqa: B018
    with pytest.raises(NotImplementedError):
        ml(1)

    md = nn.ModuleDict([("b", nn.ReLU()), ("a", nn.Tanh())])
    assert list(md.keys()) == ["b", "a"]
    assert isinstance(md.pop("b"), nn.ReLU) and len(md) == 1 and "a" in md and "b" not in md
    md.update({"z": nn.ReLU(), "c": nn.Tanh()})
    assert list(md) == ["a", "z", "c"] and [type(v).__name__ for v in md.values()] == ["Tanh", "ReLU", "Tanh"]
    md["q"] = nn.Identity()
    assert [k for k, _ in md.items()][-1] == "q"
    del md["q"]
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 1; 2 is required"):
        md.update([("x",)])
    md.clear()
    assert len(md) == 0


def test_parameter_list_and_dict():
    pl = nn.ParameterList([tinynn.ones(2), nn.Parameter(tinynn.zeros(1))]).cpu()
    assert [type(p).__name__ for p in pl] == ["Parameter", "Parameter"] and len(pl) == 2
    assert tuple(pl[-1].shape) == (1,) and type(pl[0:1]) is nn.ParameterList
    pl.append(nn.Parameter(tinynn.tensor([5.0, 6.0], device="cpu")))
    pl.extend([tinynn.ones(3, device="cpu")])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2", "3"]
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [tinynn.float32 of size 2]\n"
                        "    (1): Parameter containing: [tinynn.float32 of size 1]\n"
                        "    (2): Parameter containing: [tinynn.float32 of size 2]\n"
                        "    (3): Parameter containing: [tinynn.float32 of size 3]\n)")
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable"):
        pl.extend(tinynn.ones(2))

    pd = nn.ParameterDict({"b": tinynn.ones(1), "a": tinynn.ones(2)})
    assert list(pd.keys()) == ["a", "b"]  # a plain dict is added in sorted order, as in PyTorch
    assert type(pd["a"]) is nn.Parameter and pd.get("zz") is None and "a" in pd
    assert pd.popitem()[0] == "b" and list(pd) == ["a"]
    assert tuple(pd.setdefault("q", tinynn.ones(3)).shape) == (3,) and list(pd) == ["a", "q"]
    pd2 = nn.ParameterDict(OrderedDict([("z", tinynn.ones(1)), ("y", tinynn.ones(1))]))
    assert list(pd2) == ["z", "y"]
    merged = pd | pd2
    assert list(merged) == ["a", "q", "z", "y"]
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key"):
        pd[1]  # noqa: B018
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        pd(1)
    assert repr(nn.ParameterDict({"a": tinynn.ones(1, device="cpu")})) == \
        "ParameterDict(  (a): Parameter containing: [tinynn.FloatTensor of size 1])"


# ---------------------------------------------------------------------------- a whole model
class Net(nn.Module):
    """Nested containers, a ParameterList, a ParameterDict and buffers (one non-persistent)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Dropout(0.1),
                                      nn.Linear(8, 8, bias=False))
        self.heads = nn.ModuleDict({"cls": nn.Linear(8, 3),
                                    "reg": nn.Sequential(OrderedDict([("fc", nn.Linear(8, 1)),
                                                                      ("act", nn.Tanh())]))})
        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)] + [nn.GELU()])
        self.scales = nn.ParameterList([nn.Parameter(tinynn.ones(8)), nn.Parameter(tinynn.zeros(2, 3))])
        self.extra = nn.ParameterDict({"b": nn.Parameter(tinynn.zeros(3)), "a": nn.Parameter(tinynn.ones(1))})
        self.emb = nn.Embedding(10, 4, padding_idx=0)
        self.register_buffer("steps", tinynn.zeros((), dtype=tinynn.int64))
        self.register_buffer("cache", tinynn.zeros(2), persistent=False)

    def forward(self, x, tokens):
        h = self.features(x + self.emb(tokens).mean(1))
        for blk in self.blocks:
            h = blk(h)
        h = h * self.scales[0]
        self.steps += 1
        return self.heads["cls"](h) + self.extra["b"], self.heads["reg"](h) * self.extra["a"]


NET_REPR = (
    "Net(\n  (features): Sequential(\n    (0): Linear(in_features=4, out_features=8, bias=True)\n"
    "    (1): ReLU(inplace=True)\n    (2): Dropout(p=0.1, inplace=False)\n"
    "    (3): Linear(in_features=8, out_features=8, bias=False)\n  )\n  (heads): ModuleDict(\n"
    "    (cls): Linear(in_features=8, out_features=3, bias=True)\n    (reg): Sequential(\n"
    "      (fc): Linear(in_features=8, out_features=1, bias=True)\n      (act): Tanh()\n    )\n  )\n"
    "  (blocks): ModuleList(\n    (0-2): 3 x Linear(in_features=8, out_features=8, bias=True)\n"
    "    (3): GELU(approximate='none')\n  )\n  (scales): ParameterList(\n"
    "      (0): Parameter containing: [tinynn.float32 of size 8]\n"
    "      (1): Parameter containing: [tinynn.float32 of size 2x3]\n  )\n  (extra): ParameterDict(\n"
    "      (a): Parameter containing: [tinynn.FloatTensor of size 1]\n"
    "      (b): Parameter containing: [tinynn.FloatTensor of size 3]\n  )\n"
    "  (emb): Embedding(10, 4, padding_idx=0)\n)")

NET_STATE_KEYS = [  # PyTorch 2.13's state_dict keys for the same model
    "steps", "features.0.weight", "features.0.bias", "features.3.weight", "heads.cls.weight",
    "heads.cls.bias", "heads.reg.fc.weight", "heads.reg.fc.bias", "blocks.0.weight", "blocks.0.bias",
    "blocks.1.weight", "blocks.1.bias", "blocks.2.weight", "blocks.2.bias", "scales.0", "scales.1",
    "extra.a", "extra.b", "emb.weight"]


def test_nested_model_repr_and_state_dict_keys_like_torch():
    net = Net().cpu()
    assert repr(net) == NET_REPR  # PyTorch's string, with tinynn for torch
    assert list(net.state_dict()) == NET_STATE_KEYS
    assert [n for n, _ in net.named_parameters()] == NET_STATE_KEYS[1:]
    assert [n for n, _ in net.named_modules()] == [
        "", "features", "features.0", "features.1", "features.2", "features.3", "heads", "heads.cls",
        "heads.reg", "heads.reg.fc", "heads.reg.act", "blocks", "blocks.0", "blocks.1", "blocks.2",
        "blocks.3", "scales", "extra", "emb"]


def test_user_model_trains_by_hand_saves_and_reloads(device, tmp_path):
    tinynn.manual_seed(0)
    net = Net().to(device)
    rng = np.random.default_rng(0)
    x = tinynn.tensor(rng.normal(size=(16, 4)), dtype=tinynn.float32, device=device)
    tokens = tinynn.tensor(rng.integers(0, 10, (16, 5)), device=device)
    y = tinynn.tensor(rng.integers(0, 3, 16), device=device)
    r = tinynn.tensor(rng.normal(size=(16, 1)), dtype=tinynn.float32, device=device)
    params = list(net.parameters())
    losses = []
    for _ in range(80):
        net.zero_grad()
        logits, reg = net(x, tokens)
        loss = nn.functional.cross_entropy(logits, y) + nn.MSELoss()(reg, r)
        loss.backward()
        with tinynn.no_grad():
            for p in params:
                if p.grad is not None:
                    p.data -= 0.5 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    assert net.steps.item() == 80
    assert net.emb.weight[0].abs().sum().item() == 0.0  # the padding row never moved

    net.eval()
    with tinynn.no_grad():
        out = net(x, tokens)
    sd = net.state_dict()
    # a copy of the state dict (as a checkpoint would hold) loads into a fresh instance
    saved = OrderedDict((k, v.clone()) for k, v in sd.items())
    fresh = Net().to(device).eval()
    res = fresh.load_state_dict(saved)
    assert res.missing_keys == [] and res.unexpected_keys == []
    with tinynn.no_grad():
        out2 = fresh(x, tokens)
    assert_close(out2[0], out[0], rtol=1e-6, atol=1e-6)
    assert_close(out2[1], out[1], rtol=1e-6, atol=1e-6)
    assert fresh.steps.item() == 82 and net.steps.item() == 81
    # and through pickle (a checkpoint on disk)
    path = tmp_path / "net.pkl"
    path.write_bytes(pickle.dumps({k: v.cpu() for k, v in sd.items()}))
    fresh2 = Net().to(device)
    fresh2.load_state_dict({k: v.to(device) for k, v in pickle.loads(path.read_bytes()).items()})
    assert_close(fresh2.blocks[2].weight, net.blocks[2].weight)


def test_to_device_moves_parameters_buffers_and_grads_in_place(device):
    m = Outer().cpu()
    m(tinynn.ones(2, device="cpu")).sum().backward()
    params = list(m.parameters())
    assert m.to(device) is m
    assert all(a is b for a, b in zip(m.parameters(), params))
    kind = tinynn.device(device).type
    assert all(p.device.type == kind for p in m.parameters())
    assert all(p.grad.device.type == kind for p in m.parameters())
    assert all(b.device.type == kind for b in m.buffers())
    m.to(device, tinynn.float64)
    assert m.bias.dtype == tinynn.float64 and m.bias.grad.dtype == tinynn.float64
    m.cpu().float()
    assert m.a.scale.device == tinynn.device("cpu") and m.a.scale.grad.dtype == tinynn.float32


def test_forward_hook_always_call_and_errors_in_forward():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    b = Boom()
    b.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    b.register_forward_hook(lambda mod, args, out: seen.append("never"))
    with pytest.raises(ValueError, match="boom"):
        b(tinynn.ones(1))
    assert seen == [None]
