"""Shared test helpers: gradient checks on float64 inputs, closeness, optional torch comparison."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck as _gradcheck
from tinynn.autograd import gradgradcheck as _gradgradcheck


def make(arr, device=None, requires_grad=True, dtype=None):
    """A float64 tensor from a NumPy array (on the test device)."""
    t = tinynn.tensor(np.asarray(arr, dtype=np.float64 if dtype is None else dtype), device=device)
    return t.requires_grad_(requires_grad) if t.is_floating_point() else t


def check_grad(fn, *arrays, device=None, gradgrad=True, seed=0, **kw):
    """gradcheck (and gradgradcheck) of `fn` on float64 tensors built from `arrays`.

    The output is contracted with fixed random weights so that ops whose plain sum is constant
    (softmax) are still checked."""
    xs = [make(a, device) if isinstance(a, np.ndarray) else a for a in arrays]
    rng = np.random.default_rng(seed)
    cache = {}

    def weighted(*inputs):
        out = fn(*inputs)
        outs = out if isinstance(out, tuple) else (out,)
        res = []
        for i, o in enumerate(outs):
            if not isinstance(o, tinynn.Tensor) or not o.is_floating_point():
                continue
            if i not in cache:
                cache[i] = tinynn.tensor(rng.uniform(0.5, 1.5, tuple(o.shape)), dtype=o.dtype,
                                         device=o.device)
            res.append((o * cache[i]).sum())
        return tuple(res)

    assert _gradcheck(weighted, xs, **kw)
    if gradgrad:
        assert _gradgradcheck(fn, xs, **kw)


def assert_close(actual, expected, rtol=1e-5, atol=1e-6):
    if isinstance(actual, tinynn.Tensor):
        actual = actual.detach().cpu().numpy()
    if isinstance(expected, tinynn.Tensor):
        expected = expected.detach().cpu().numpy()
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol)


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is not installed (optional oracle)")


class OnDevice:
    """`tinynn` with `tensor` creating on the test device: lets literal expressions written for
    `torch` (`torch.tensor([...])`) be evaluated against tinynn on any device."""

    def __init__(self, device):
        self._device = device

    def tensor(self, data, **kw):
        kw.setdefault("device", self._device)
        return tinynn.tensor(data, **kw)

    def __getattr__(self, name):
        return getattr(tinynn, name)
