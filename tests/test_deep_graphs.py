"""Deep and wide graphs (issue 9, item 3).

* backward through a 100,000-op chain and a 1,000-layer Sequential, without RecursionError;
* dropping a 150,000-node graph that was never backpropagated does not overflow the C stack
  (checked in a subprocess, so a crash shows up as a failed test, not a dead test run);
* wide graphs: one tensor read by 10,000 ops, one op reading 10,000 tensors;
* create_graph through three levels of derivatives on a real model (a gradient penalty on a tanh
  MLP, then a third derivative), against values from PyTorch 2.13.

That backward time is linear in the graph size is shown by `bench/deep_graph.py` (a benchmark,
not a timed test).
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import tinynn
from tinynn import nn

from helpers import assert_close

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_backward_through_100k_op_chain(device):
    x = tinynn.tensor([1.0, 2.0, -1.0], dtype=tinynn.float64, device=device, requires_grad=True)
    y = x
    for i in range(100_000):  # alternate two cheap ops: y <- -y, y <- y + 1 (d/dx = (-1)^(#neg))
        y = y.neg() if i % 2 == 0 else y + 1.0
    assert sys.getrecursionlimit() < 100_000  # a recursive engine could not get through
    # autograd.grad (the `inputs` path: it prunes the graph with its own traversal) ...
    (g,) = tinynn.autograd.grad(y.sum(), x, retain_graph=True)
    assert_close(g, [1.0, 1.0, 1.0])  # 50,000 negations: the sign flips an even number of times
    # ... and backward (accumulating into .grad)
    y.sum().backward()
    assert_close(x.grad, [1.0, 1.0, 1.0])
    assert_close(y, [1.0, 2.0, -1.0])  # -(-x + 1) + 1 = x, 50,000 times


def test_double_backward_through_10k_chain(device):
    """create_graph=True records the backward pass: differentiating it again walks a graph about
    three times as deep, also without recursion."""
    x = tinynn.tensor(1.0, dtype=tinynn.float64, device=device, requires_grad=True)
    n = 10_000
    y = x
    for _ in range(n - 1):
        y = y * x  # y = x**n
    (g,) = tinynn.autograd.grad(y, x, create_graph=True)
    assert g.item() == n  # n x^(n-1)
    (gg,) = tinynn.autograd.grad(g, x)
    assert gg.item() == n * (n - 1)  # n (n-1) x^(n-2)


def test_dropping_a_huge_unused_graph_does_not_crash():
    """Freeing 150,000 chained nodes at once (no backward ran, so nothing was freed early) must not
    recurse in C; a subprocess so that a stack overflow fails this test instead of killing pytest."""
    code = ("import tinynn\n"
            "x = tinynn.ones(2, requires_grad=True)\n"
            "y = x\n"
            "for _ in range(150_000):\n"
            "    y = y * 1.0\n"
            "del y\n"
            "print('freed')\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "freed"


def test_1000_layer_sequential(device):
    layers = []
    for _ in range(1000):
        lin = nn.Linear(8, 8, dtype=tinynn.float64)
        with tinynn.no_grad():
            lin.weight.copy_(tinynn.eye(8, dtype=tinynn.float64))
            lin.bias.fill_(0.001)
        layers.append(lin)
    model = nn.Sequential(*layers).to(device)
    assert len(model.state_dict()) == 2000 and len(list(model.parameters())) == 2000
    x = tinynn.zeros(3, 8, dtype=tinynn.float64, device=device, requires_grad=True)
    out = model(x)
    assert_close(out, np.full((3, 8), 1.0), rtol=1e-9)  # 1000 * 0.001
    out.sum().backward()
    assert_close(x.grad, np.ones((3, 8)))
    assert_close(model[0].weight.grad, np.full((8, 8), 3 * 0.0))  # the first layer sees x = 0
    assert_close(model[999].weight.grad, np.full((8, 8), 3 * 0.999), rtol=1e-9)
    assert_close(model[500].bias.grad, np.full(8, 3.0))
    opt = tinynn.optim.SGD(model.parameters(), lr=0.1)
    opt.step()
    assert_close(model[500].bias, np.full(8, 0.001 - 0.3), rtol=1e-9)
    # and the whole state survives a state_dict round trip into a fresh 1000-layer model
    clone = nn.Sequential(*[nn.Linear(8, 8, dtype=tinynn.float64) for _ in range(1000)]).to(device)
    clone.load_state_dict(model.state_dict())
    assert_close(clone(x.detach()), model(x.detach()))


def test_wide_fan_out_and_fan_in(device):
    x = tinynn.tensor([1.0, 2.0], dtype=tinynn.float64, device=device, requires_grad=True)
    # fan-out: 10,000 ops read x (gradients of all consumers are summed into one buffer)
    total = x * 0.0
    for i in range(10_000):
        total = total + x * float(i % 7)
    total.sum().backward()
    expected = float(sum(i % 7 for i in range(10_000)))
    assert_close(x.grad, [expected, expected])
    # fan-in: one node (cat) with 10,000 inputs, each its own leaf
    leaves = [tinynn.full((1,), float(i), dtype=tinynn.float64, device=device, requires_grad=True)
              for i in range(10_000)]
    y = tinynn.cat(leaves)
    (y * y).sum().backward()
    assert leaves[0].grad.item() == 0.0 and leaves[9_999].grad.item() == 2 * 9_999.0
    assert all(leaf.grad is not None for leaf in leaves)


# ------------------------------------------------------------------------------------------------
# create_graph through three levels on a real model: PyTorch 2.13 (float64) values
# ------------------------------------------------------------------------------------------------
G1 = [[-0.2630937958746456, -0.3019495502599242, -0.3408053046452029],
      [-0.18582256559566965, -0.1563770112524574, -0.12693145690924518]]
GP = 0.37591154764294693
G2X = [[-0.1596230263718227, -0.16462128070699358, -0.16961953504216448],
       [0.17475334639976747, 0.15690741228658167, 0.1390614781733959]]
G2W = [[-0.04197418850442913, -0.07764654944625912, -0.1133189103880891],
       [0.0692091735304667, 0.05012582594718515, 0.031042478363903593],
       [-0.05758006440196842, -0.05936662518495427, -0.06115318596794015],
       [0.08304677811201558, 0.03905039861612135, -0.0049459808797729515]]
G3 = [[-0.21112392529365698, -0.06784451423068966, 0.07543489683227744],
      [-0.023669497628598685, -0.04671101673086865, -0.06975253583313881],
      [-0.09500764347314074, -0.013291717352685542, 0.06842420876776975],
      [-0.4635966437712434, -0.34784832303859703, -0.23210000230595051]]
W1_GRAD = [[-0.4644590483806921, -0.8097203243401607, -1.154981600299629],
           [0.6434936959930074, 0.4736211561821274, 0.30374861637124756],
           [-0.5944489413188366, -0.5888276999625222, -0.5832064586062079],
           [0.8387768126022253, 0.4041378135806668, -0.030501185440891643]]
W2_GRAD = [[-2.6943512090894917, -2.649330402435453, 2.217648906352007, 2.6113628631593286],
           [-3.1093858288044056, -2.6041718900609165, 2.3554261737753595, 3.4965450225236565]]


def _gp_model(lib, device=None):
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2), lib.nn.Tanh())
    m = m.double()
    with lib.no_grad():
        m[0].weight.copy_(lib.tensor(np.linspace(-1, 1, 12).reshape(4, 3) * 0.7))
        m[0].bias.copy_(lib.tensor(np.linspace(-0.2, 0.3, 4)))
        m[2].weight.copy_(lib.tensor(np.linspace(0.5, -0.5, 8).reshape(2, 4)))
        m[2].bias.copy_(lib.tensor([0.1, -0.1]))
    return m.to(device) if device is not None else m


def _gradient_penalty_run(lib, device=None):
    """A WGAN-GP style step, then one more derivative: first, second and third order."""
    m = _gp_model(lib, device)
    x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True, device=device)
    w1 = m[0].weight
    out = m(x)
    (g1,) = lib.autograd.grad(out.sum(), x, create_graph=True)           # d out / dx
    gp = ((g1.norm(2, dim=1) - 1) ** 2).mean()                             # gradient penalty
    g2x, g2w = lib.autograd.grad(gp, [x, w1], create_graph=True)          # second order
    (g3,) = lib.autograd.grad(g2w.pow(2).sum() + g2x.sum(), w1, retain_graph=True)  # third
    loss = out.pow(2).mean() + 10 * gp
    loss.backward()
    return g1, gp, g2x, g2w, g3, w1.grad, m[2].weight.grad


def test_create_graph_three_levels_gradient_penalty(device):
    g1, gp, g2x, g2w, g3, w1_grad, w2_grad = _gradient_penalty_run(tinynn, device)
    assert g1.requires_grad and g2w.requires_grad and not g3.requires_grad
    assert_close(g1, G1, rtol=1e-10, atol=1e-12)
    assert_close(gp, GP, rtol=1e-10, atol=1e-12)
    assert_close(g2x, G2X, rtol=1e-10, atol=1e-12)
    assert_close(g2w, G2W, rtol=1e-10, atol=1e-12)
    assert_close(g3, G3, rtol=1e-9, atol=1e-12)
    assert_close(w1_grad, W1_GRAD, rtol=1e-9, atol=1e-12)
    assert_close(w2_grad, W2_GRAD, rtol=1e-9, atol=1e-12)


def test_create_graph_three_levels_matches_torch_side_by_side():
    """The same computation in PyTorch when installed (the literals above came from it)."""
    from helpers import torch_or_skip
    torch = torch_or_skip()
    ours = _gradient_penalty_run(tinynn)
    theirs = _gradient_penalty_run(torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-12)
