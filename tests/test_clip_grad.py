"""nn.utils: gradient clipping and parameter/vector conversion, against PyTorch-derived values
(made once with real PyTorch 2.13 on the same gradients)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
from helpers import assert_close
from tinynn.nn.utils import (clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_,
                             get_total_norm, parameters_to_vector, vector_to_parameters)

G1 = np.array([[0.5, -1.5, 2.0], [-0.25, 1.0, 0.0]], dtype=np.float32)
G2 = np.array([3.0, -0.1, 0.7, -2.2], dtype=np.float32)
G3 = np.array(1.3, dtype=np.float32)
UNCLIPPED = [[0.5, -1.5, 2.0, -0.25, 1.0, 0.0], [3.0, -0.1, 0.7, -2.2], [1.3]]
INF = math.inf

# (norm_type, max_norm, total norm, gradients after clipping) from torch.nn.utils.clip_grad_norm_
NORM_CASES = [
    (2.0, 1.0, 4.857211112976074, [[0.10293971002101898, -0.30881911516189575, 0.4117588400840759,
                                    -0.05146985501050949, 0.20587942004203796, 0.0],
                                   [0.6176382303237915, -0.020587941631674767, 0.1441155970096588,
                                    -0.45293474197387695], [0.2676432430744171]]),
    (2.0, 100.0, 4.857211112976074, UNCLIPPED),
    (1.0, 1.0, 12.550000190734863, [[0.039840634912252426, -0.11952190101146698, 0.1593625396490097,
                                     -0.019920317456126213, 0.07968126982450485, 0.0],
                                    [0.23904380202293396, -0.00796812679618597, 0.05577688664197922,
                                     -0.1752987951040268], [0.10358564555644989]]),
    (1.0, 100.0, 12.550000190734863, UNCLIPPED),
    (3.5, 1.0, 3.520824670791626, [[0.14201214909553528, -0.42603644728660583, 0.5680485963821411,
                                    -0.07100607454776764, 0.28402429819107056, 0.0],
                                   [0.8520728945732117, -0.028402430936694145, 0.19881699979305267,
                                    -0.6248534917831421], [0.36923158168792725]]),
    (3.5, 100.0, 3.520824670791626, UNCLIPPED),
    (INF, 1.0, 3.0, [[0.16666661202907562, -0.4999998211860657, 0.6666664481163025, -0.08333330601453781,
                      0.33333322405815125, 0.0],
                     [0.9999996423721313, -0.033333323895931244, 0.2333332598209381, -0.7333331108093262],
                     [0.4333331882953644]]),
    (INF, 100.0, 3.0, UNCLIPPED),
    # the 0-"norm" counts non-zero entries per tensor ([5, 4, 1]), then non-zero counts (3)
    (0.0, 1.0, 3.0, [[0.16666661202907562, -0.4999998211860657, 0.6666664481163025, -0.08333330601453781,
                      0.33333322405815125, 0.0],
                     [0.9999996423721313, -0.033333323895931244, 0.2333332598209381, -0.7333331108093262],
                     [0.4333331882953644]]),
    (-INF, 1.0, 0.0, UNCLIPPED),
]


def _params(device):
    ps = [tinynn.zeros(g.shape, device=device, requires_grad=True) for g in (G1, G2, G3)]
    for p, g in zip(ps, (G1, G2, G3)):
        p.grad = tinynn.tensor(g.copy(), device=device)
    return ps


@pytest.mark.parametrize("norm_type,max_norm,total,expected", NORM_CASES)
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm, total, expected, device):
    ps = _params(device)
    grads = [p.grad for p in ps]
    n = clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    assert isinstance(n, tinynn.Tensor) and n.dim() == 0 and n.dtype == tinynn.float32
    assert n.device == ps[0].device and not n.requires_grad
    assert_close(n, total)
    for p, g, e in zip(ps, grads, expected):
        assert p.grad is g  # clipped in place
        assert_close(p.grad.reshape(-1), e, rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_single_tensor_string_norm_and_float64(device):
    p = tinynn.zeros(3, device=device, requires_grad=True)
    p.grad = tinynn.tensor([3.0, -4.0, 0.0], device=device)
    assert_close(clip_grad_norm_(p, 1.0, norm_type="inf"), 4.0)
    assert_close(p.grad, [0.75, -1.0, 0.0])
    q = tinynn.zeros(3, dtype=tinynn.float64, device=device, requires_grad=True)
    q.grad = tinynn.tensor([1e-3, 2e-3, -2e-3], dtype=tinynn.float64, device=device)
    n = clip_grad_norm_([q], 1e-3)
    assert n.dtype == tinynn.float64
    assert_close(n, 0.003, rtol=1e-12)
    assert_close(q.grad, [0.0003332222592469177, 0.0006664445184938354, -0.0006664445184938354], rtol=1e-12)


def test_clip_grad_norm_empty_and_missing_grads(device):
    n = clip_grad_norm_([], 1.0)
    assert n.item() == 0.0 and n.dtype == tinynn.float32
    p = tinynn.ones(2, device=device, requires_grad=True)
    assert clip_grad_norm_([p], 1.0).item() == 0.0 and p.grad is None
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        clip_grad_norm_((x for x in []), 1.0)


def test_clip_grad_norm_nonfinite(device):
    p = tinynn.zeros(3, device=device, requires_grad=True)
    p.grad = tinynn.tensor([3.0, float("nan"), 0.0], device=device)
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite, so it cannot be clipped"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    n = clip_grad_norm_([p], 1.0)
    assert math.isnan(n.item())


def test_clip_grad_norm_deprecated_alias_and_parts(device):
    ps = _params(device)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        clip_grad_norm(ps, 100.0)
    total = get_total_norm([p.grad for p in ps])
    assert_close(total, 4.857211112976074)
    clip_grads_with_norm_(ps, 1.0, total)
    assert_close(ps[2].grad, 0.2676432430744171)


def test_clip_grad_value(device):
    ps = _params(device)
    assert clip_grad_value_(ps, 0.8) is None
    expected = [[0.5, -0.8, 0.8, -0.25, 0.8, 0.0], [0.8, -0.1, 0.7, -0.8], [0.8]]
    for p, e in zip(ps, expected):
        assert_close(p.grad.reshape(-1), e)
        assert p.grad.dtype == tinynn.float32
    q = tinynn.zeros(2, device=device, requires_grad=True)
    clip_grad_value_(q, 1)  # a lone tensor without grad is fine


def test_clipping_does_not_record_a_graph(device):
    p = tinynn.ones(3, device=device, requires_grad=True)
    (p * p * 3).sum().backward(create_graph=True)
    n = clip_grad_norm_([p], 1.0)
    assert n.grad_fn is None


def test_parameters_to_vector_and_back(device):
    a = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    b = tinynn.tensor([5.0, 6.0], device=device, requires_grad=True)
    v = parameters_to_vector([a, b])
    assert v.shape == (6,) and v.grad_fn is not None
    assert_close(v, [1, 2, 3, 4, 5, 6])
    v.sum().backward()
    assert_close(a.grad, np.ones((2, 2)))
    vector_to_parameters(tinynn.arange(6, device=device).float() * 10, [a, b])
    assert_close(a, [[0, 10], [20, 30]])
    assert_close(b, [40, 50])
    assert a.shape == (2, 2) and a.requires_grad
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        vector_to_parameters([1.0], [a])


@pytest.mark.cuda_only(reason="counts device-to-host syncs of the CuPy stand-in")
def test_clipping_makes_no_host_round_trip(device):
    from conftest import device_mode
    if device_mode() != "cuda-standin":
        pytest.skip("the sync counter exists only on the CuPy stand-in (tests/fakecupy)")
    import fakecupy
    ps = _params(device)
    before = fakecupy.sync_counts()
    n = clip_grad_norm_(ps, 1.0)
    clip_grad_value_(ps, 0.1)
    assert fakecupy.sync_counts() == before
    assert n.device == ps[0].device
