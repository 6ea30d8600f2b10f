"""Normalisation: batch norm (running statistics, momentum, eval mode), layer, group, instance,
RMS and local response norm, functional and layers.

Values, gradients and running statistics are checked against literals real PyTorch 2.13 gave for
the same inputs (`EXPECTED` at the bottom, printed once from torch with inputs from the NumPy
seeds used here); every function is gradchecked and gradgradchecked in float64."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from helpers import assert_close, check_grad


def r(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def r64(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def t(a, device, requires_grad=False):
    return tinynn.tensor(a, device=device, requires_grad=requires_grad)


def _fill(param, values, device):
    with tinynn.no_grad():
        param.copy_(t(values, device))


# ------------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("momentum,key", [(0.1, "bn_mom"), (None, "bn_cma")])
def test_batchnorm2d_three_training_steps_then_eval(device, momentum, key):
    bn = nn.BatchNorm2d(3, momentum=momentum).to(device)
    _fill(bn.weight, r(1, 3), device)
    _fill(bn.bias, r(2, 3), device)
    for step in range(3):
        x = t(r(10 + step, 4, 3, 2, 2) * (step + 1) + step, device, True)
        y = bn(x)
        y.backward(t(r(20 + step, *y.shape), device))
    e = EXPECTED[key]
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    # running_var moves towards the UNBIASED batch variance; momentum=None averages cumulatively
    assert_close(bn.running_mean, e["rm"], atol=1e-5)
    assert_close(bn.running_var, e["rv"], atol=1e-4, rtol=1e-5)
    assert bn.num_batches_tracked.item() == e["nbt"] == 3
    assert bn.num_batches_tracked.dtype == tinynn.int64
    assert_close(y, e["y"], atol=1e-4)
    assert_close(x.grad, e["gx"], atol=1e-4)
    assert_close(bn.weight.grad, e["gw"], atol=1e-4)
    assert_close(bn.bias.grad, e["gb"], atol=1e-4)
    bn.eval()  # eval: the running statistics normalise
    x = t(r(30, 2, 3, 2, 2), device, True)
    y = bn(x)
    y.backward(t(r(31, *y.shape), device))
    assert_close(y, EXPECTED[key + "_eval"]["y"], atol=1e-4)
    assert_close(x.grad, EXPECTED[key + "_eval"]["gx"], atol=1e-4)
    assert bn.num_batches_tracked.item() == 3


def test_batchnorm1d_literals_and_module_details(device):
    bn = nn.BatchNorm1d(4).to(device)
    x = t(r(40, 5, 4), device, True)
    y = bn(x)
    y.backward(t(r(41, 5, 4), device))
    assert_close(y, EXPECTED["bn1d"]["y"], atol=1e-5)
    assert_close(x.grad, EXPECTED["bn1d"]["gx"], atol=1e-5)
    assert_close(bn.running_var, EXPECTED["bn1d"]["rv"], atol=1e-5)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert repr(bn) == "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert repr(nn.BatchNorm2d(3, momentum=None, affine=False)) == \
        "BatchNorm2d(3, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=True)"
    # no running statistics: batch statistics in eval mode too
    free = nn.BatchNorm1d(4, track_running_stats=False).to(device).eval()
    assert free.running_mean is None and list(free.state_dict()) == ["weight", "bias"]
    assert_close(free(x.detach()), F.batch_norm(x.detach(), None, None, training=True))
    # an old state dict without num_batches_tracked still loads
    sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    fresh = nn.BatchNorm1d(4).to(device)
    fresh.load_state_dict(sd)
    assert_close(fresh.running_var, bn.running_var)


def test_batchnorm_errors(device):
    with pytest.raises(ValueError, match="expected 4D input \\(got 3D input\\)"):
        nn.BatchNorm2d(3)(tinynn.zeros(2, 3, 4, device=device))
    with pytest.raises(ValueError, match="expected 2D or 3D input \\(got 4D input\\)"):
        nn.BatchNorm1d(3)(tinynn.zeros(2, 3, 4, 4, device=device))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training, got "
                                         "input size tinynn.Size\\(\\[1, 3\\]\\)"):
        nn.BatchNorm1d(3)(tinynn.zeros(1, 3, device=device))
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(tinynn.zeros(2, 3, device=device), tinynn.zeros(4, device=device),
                     tinynn.ones(4, device=device))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(tinynn.zeros(2, 3, 1, device=device))
    with pytest.raises(RuntimeError, match="Given normalized_shape=\\[5\\], expected input with shape "
                                           "\\[\\*, 5\\], but got input of size\\[1, 2, 6, 6\\]"):
        F.layer_norm(tinynn.zeros(1, 2, 6, 6, device=device), (5,))
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by "
                                           "num_groups, but got input of shape \\[1, 2, 6, 6\\] and "
                                           "num_groups=3"):
        F.group_norm(tinynn.zeros(1, 2, 6, 6, device=device), 3)
    with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by num_groups \(3\)"):
        nn.GroupNorm(3, 4)


# ---------------------------------------------------------------- layer / group / instance
def test_layernorm_literals(device):
    ln = nn.LayerNorm((2, 3)).to(device)
    _fill(ln.weight, r(42, 2, 3), device)
    _fill(ln.bias, r(43, 2, 3), device)
    x = t(r(44, 2, 2, 3), device, True)
    y = ln(x)
    assert y.grad_fn.name() == "NativeLayerNormBackward0"
    y.backward(t(r(45, 2, 2, 3), device))
    e = EXPECTED["ln"]
    for got, key in ((y, "y"), (x.grad, "gx"), (ln.weight.grad, "gw"), (ln.bias.grad, "gb")):
        assert_close(got, e[key], atol=1e-5)
    assert repr(ln) == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=True)"
    assert nn.LayerNorm(3, bias=False).bias is None
    assert nn.LayerNorm(3, elementwise_affine=False).weight is None


def test_groupnorm_and_instancenorm_literals(device):
    gn = nn.GroupNorm(2, 4).to(device)
    _fill(gn.weight, r(46, 4), device)
    _fill(gn.bias, r(47, 4), device)
    x = t(r(48, 2, 4, 3), device, True)
    y = gn(x)
    assert y.grad_fn.name() == "NativeGroupNormBackward0"
    y.backward(t(r(49, 2, 4, 3), device))
    e = EXPECTED["gn"]
    for got, key in ((y, "y"), (x.grad, "gx"), (gn.weight.grad, "gw"), (gn.bias.grad, "gb")):
        assert_close(got, e[key], atol=1e-5)
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    inn = nn.InstanceNorm1d(3, affine=True, track_running_stats=True).to(device)
    x = t(r(50, 2, 3, 4), device, True)
    y = inn(x)
    y.backward(t(r(51, 2, 3, 4), device))
    e = EXPECTED["in"]
    for got, key in ((y, "y"), (x.grad, "gx"), (inn.running_mean, "rm"), (inn.running_var, "rv")):
        assert_close(got, e[key], atol=1e-5)
    assert repr(nn.InstanceNorm2d(3)) == \
        "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)"
    # unbatched input
    assert tuple(nn.InstanceNorm2d(3)(tinynn.randn(3, 4, 5, device=device)).shape) == (3, 4, 5)


def test_lrn_and_rms_norm_literals(device):
    x = t(r(52, 2, 5, 3), device)
    assert_close(F.local_response_norm(x, 3, alpha=0.1, beta=0.6, k=2.0), EXPECTED["lrn"], atol=1e-5)
    assert_close(nn.LocalResponseNorm(3, alpha=0.1, beta=0.6, k=2.0)(x), EXPECTED["lrn"], atol=1e-5)
    assert_close(F.rms_norm(x, (3,), t(r(53, 3), device), eps=1e-5), EXPECTED["rms"], atol=1e-5)
    m = nn.RMSNorm(3, eps=1e-5).to(device)
    _fill(m.weight, r(53, 3), device)
    assert_close(m(x), EXPECTED["rms"], atol=1e-5)


# ------------------------------------------------------------------------ gradients (float64)
def test_batch_norm_gradcheck(device):
    w, b = r64(60, 3), r64(61, 3)
    check_grad(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), r64(62, 4, 3, 2, 2),
               w, b, device=device)
    check_grad(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), r64(63, 5, 3), w, b,
               device=device)
    rm = tinynn.tensor(r64(64, 3), device=device)
    rv = tinynn.tensor(np.abs(r64(65, 3)) + 0.5, device=device)
    check_grad(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), r64(66, 4, 3, 2), w, b,
               device=device)
    check_grad(lambda x: F.batch_norm(x, None, None, training=True), r64(67, 4, 3, 2), device=device)


def test_layer_group_instance_norm_gradcheck(device):
    check_grad(lambda x, w, b: F.layer_norm(x, (2, 3), w, b), r64(70, 3, 2, 3), r64(71, 2, 3),
               r64(72, 2, 3), device=device)
    check_grad(lambda x: F.layer_norm(x, 4), r64(73, 2, 3, 4), device=device)
    check_grad(lambda x, w, b: F.group_norm(x, 2, w, b), r64(74, 2, 4, 3), r64(75, 4), r64(76, 4),
               device=device)
    check_grad(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), r64(77, 2, 3, 2, 2), r64(78, 3),
               r64(79, 3), device=device)
    check_grad(lambda x, w: F.rms_norm(x, (3,), w, eps=1e-6), r64(80, 2, 3), r64(81, 3),
               device=device)
    check_grad(lambda x: F.local_response_norm(x, 3), r64(82, 2, 4, 3), device=device)


def test_norm_dtypes(device):
    x = t(r(83, 4, 3, 5), device, True)
    for m in (nn.BatchNorm1d(3), nn.LayerNorm(5), nn.GroupNorm(3, 3), nn.InstanceNorm1d(3, affine=True)):
        m = m.to(device)
        y = m(x)
        assert y.dtype == tinynn.float32
        y.sum().backward()
        assert x.grad.dtype == tinynn.float32
        if getattr(m, "weight", None) is not None:
            assert m.weight.grad.dtype == tinynn.float32
    bn = nn.BatchNorm1d(3).double().to(device)
    assert bn(x.detach().double()).dtype == tinynn.float64
    assert bn.running_mean.dtype == tinynn.float64


def test_batchnorm_live_torch(device):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional live oracle)")
    tb = torch.nn.BatchNorm2d(4, momentum=0.3)
    nb = nn.BatchNorm2d(4, momentum=0.3).to(device)
    for step in range(3):
        x = r(90 + step, 3, 4, 5, 2) * 2 + step
        tx, nx = torch.tensor(x, requires_grad=True), t(x, device, True)
        tb(tx).pow(2).sum().backward()
        nb(nx).pow(2).sum().backward()
        assert_close(nx.grad, tx.grad.numpy(), atol=1e-4)
    for name in ("running_mean", "running_var"):
        assert_close(getattr(nb, name), getattr(tb, name).numpy(), atol=1e-5)
    assert_close(nb.weight.grad, tb.weight.grad.numpy(), atol=1e-4)

# printed once from PyTorch 2.13 (see the seeds above); rounded to 5 decimals
EXPECTED = {'bn1d': {'gx': [[0.3379, -0.47182, 0.41919, 0.72543], [-0.03823, 2.4426, 0.66535, -0.4429],
                 [-0.3588, -3.21576, -0.7828, 0.79955], [-0.04092, -0.05296, -0.63034, 0.00724],
                 [0.10005, 1.29794, 0.32861, -1.08932]],
          'rv': [0.95866, 0.91252, 0.93482, 1.00297],
          'y': [[-0.97179, -1.12235, -0.87943, 0.62421], [-0.81974, -0.98557, -0.18859, 1.30628],
                [-0.64387, 0.0547, 0.92149, -0.0633], [1.25899, 0.45318, -1.21728, -1.6941],
                [1.17641, 1.60004, 1.3638, -0.17308]]},
 'bn_cma': {'gb': [-5.29943, -3.53891, 6.02906],
            'gw': [-8.22301, 0.22488, 0.09039],
            'gx': [[[[-0.16553, -0.08055], [-0.11021, -0.02965]],
                    [[0.40714, -0.413], [0.32031, 0.43299]],
                    [[-0.12762, -0.11512], [0.00217, 0.14434]]],
                   [[[0.14944, 0.11836], [0.14085, 0.05269]],
                    [[-0.25613, -0.50669], [-0.3126, -0.09832]],
                    [[-0.00024, -0.28583], [0.02628, -0.08997]]],
                   [[[-0.10993, -0.12406], [0.22866, -0.01972]],
                    [[-0.25982, -0.21182], [0.54379, -0.12776]],
                    [[0.07963, 0.06801], [-0.42663, 0.12151]]],
                   [[[-0.01113, -0.15879], [-0.05713, 0.17669]],
                    [[0.12428, 0.16627], [-0.21399, 0.40535]],
                    [[0.19342, 0.24457], [0.06029, 0.10521]]]],
            'nbt': 3,
            'rm': [0.90163, 1.06788, 0.57653],
            'rv': [4.23513, 3.74871, 3.16071],
            'y': [[[[0.16478, 0.54404], [0.43434, 0.42799]],
                   [[0.85772, -1.63601], [-1.12513, -1.73764]],
                   [[-0.39573, 0.10479], [-0.35692, -0.12268]]],
                  [[[-0.52099, 0.22021], [-0.15943, 0.8067]],
                   [[0.21147, 0.26665], [-0.62265, -0.03044]],
                   [[-0.0494, -0.50278], [-0.57197, -0.39891]]],
                  [[[-0.05084, -0.04683], [0.06517, -0.09513]],
                   [[0.10506, -1.98082], [0.15559, -1.12391]],
                   [[-0.59394, -0.95803], [-0.41224, -0.45902]]],
                  [[[0.2362, -0.02502], [0.20101, 0.82266]],
                   [[-0.21044, -1.0781], [0.26997, -0.68529]],
                   [[-0.07836, -0.06982], [-0.52388, -1.22014]]]]},
 'bn_cma_eval': {'gx': [[[[-0.06638, 0.04432], [0.10195, -0.16325]],
                         [[0.32576, 0.10824], [0.33226, 0.1156]],
                         [[0.21598, -0.1743], [0.33011, 0.22348]]],
                        [[[-0.10075, 0.11086], [0.07469, -0.29316]],
                         [[0.25258, -0.24842], [-0.10609, -0.25563]],
                         [[-0.07957, 0.01333], [0.01798, -0.28979]]]],
                 'y': [[[[0.30207, 0.16246], [-0.12522, 0.00205]],
                        [[-1.09758, 0.0266], [-1.37617, -0.39208]],
                        [[-0.49733, -0.33029], [-0.52074, -0.44722]]],
                       [[[0.12012, 0.05604], [0.14701, 0.09636]],
                        [[-0.45275, -0.20891], [-1.01339, -1.05536]],
                        [[-0.44389, -0.82829], [-0.46294, -0.61766]]]]},
 'bn_mom': {'gb': [-5.29943, -3.53891, 6.02906],
            'gw': [-8.22301, 0.22488, 0.09039],
            'gx': [[[[-0.16553, -0.08055], [-0.11021, -0.02965]],
                    [[0.40714, -0.413], [0.32031, 0.43299]],
                    [[-0.12762, -0.11512], [0.00217, 0.14434]]],
                   [[[0.14944, 0.11836], [0.14085, 0.05269]],
                    [[-0.25613, -0.50669], [-0.3126, -0.09832]],
                    [[-0.00024, -0.28583], [0.02628, -0.08997]]],
                   [[[-0.10993, -0.12406], [0.22866, -0.01972]],
                    [[-0.25982, -0.21182], [0.54379, -0.12776]],
                    [[0.07963, 0.06801], [-0.42663, 0.12151]]],
                   [[[-0.01113, -0.15879], [-0.05713, 0.17669]],
                    [[0.12428, 0.16627], [-0.21399, 0.40535]],
                    [[0.19342, 0.24457], [0.06029, 0.10521]]]],
            'nbt': 3,
            'rm': [0.26832, 0.31016, 0.17276],
            'rv': [1.95595, 1.81713, 1.62745],
            'y': [[[[0.16478, 0.54404], [0.43434, 0.42799]],
                   [[0.85772, -1.63601], [-1.12513, -1.73764]],
                   [[-0.39573, 0.10479], [-0.35692, -0.12268]]],
                  [[[-0.52099, 0.22021], [-0.15943, 0.8067]],
                   [[0.21147, 0.26665], [-0.62265, -0.03044]],
                   [[-0.0494, -0.50278], [-0.57197, -0.39891]]],
                  [[[-0.05084, -0.04683], [0.06517, -0.09513]],
                   [[0.10506, -1.98082], [0.15559, -1.12391]],
                   [[-0.59394, -0.95803], [-0.41224, -0.45902]]],
                  [[[0.2362, -0.02502], [0.20101, 0.82266]],
                   [[-0.21044, -1.0781], [0.26997, -0.68529]],
                   [[-0.07836, -0.06982], [-0.52388, -1.22014]]]]},
 'bn_mom_eval': {'gx': [[[[-0.09768, 0.06521], [0.15002, -0.24022]],
                         [[0.46789, 0.15546], [0.47723, 0.16604]],
                         [[0.30098, -0.2429], [0.46005, 0.31144]]],
                        [[[-0.14825, 0.16313], [0.1099, -0.43138]],
                         [[0.36279, -0.3568], [-0.15238, -0.36716]],
                         [[-0.11088, 0.01858], [0.02505, -0.40385]]]],
                 'y': [[[[0.51185, 0.30642], [-0.11691, 0.07037]],
                        [[-0.88656, 0.72811], [-1.28669, 0.12676]],
                        [[-0.42591, -0.19313], [-0.45853, -0.35608]]],
                       [[[0.24412, 0.14982], [0.28368, 0.20915]],
                        [[0.03961, 0.38985], [-0.76563, -0.82591]],
                        [[-0.35144, -0.88714], [-0.37799, -0.5936]]]]},
 'gn': {'gb': [6.61616, -1.30426, -0.62751, -1.77716],
        'gw': [-3.37912, -1.7874, 1.22696, -3.18081],
        'gx': [[[-0.25482, 0.4733, 0.30146], [-0.82446, 0.58817, -0.28364],
                [1.0291, -0.3894, 0.21265], [-1.30197, 0.37415, 0.07547]],
               [[-0.23619, -0.08539, 0.47953], [0.40656, -0.15381, -0.41069],
                [0.3919, -0.28794, -0.62043], [-0.34176, -0.05727, 0.9155]]],
        'y': [[[-0.31364, -1.27983, -0.60542], [1.66331, -0.09355, -1.76072],
               [-2.07951, -1.36811, -1.86761], [-1.06006, -1.61709, -2.10964]],
              [[0.04535, -0.55273, -0.1372], [1.7874, 0.68228, 1.10337],
               [-2.39293, -2.07774, -1.67759], [-2.09752, -2.1008, -2.83203]]]},
 'in': {'gx': [[[-0.25139, -1.01759, 0.67922, 0.58976], [-1.09666, -0.78135, -0.90584, 2.78385],
                [0.23936, -1.09181, -0.25254, 1.10499]],
               [[-0.31105, 0.81185, 0.83152, -1.33232], [2.28705, -1.13767, -0.33497, -0.81441],
                [-0.99291, 1.34679, 0.12735, -0.48123]]],
        'rm': [-0.06883, 0.01812, -0.07457],
        'rv': [1.0161, 0.94533, 1.00345],
        'y': [[[0.80603, -0.36456, 1.02825, -1.46972], [1.46147, -1.3378, -0.2444, 0.12074],
               [0.81549, 0.71355, -1.67467, 0.14563]],
              [[0.63718, 1.16479, -1.45492, -0.34705], [0.08427, 1.21063, 0.27144, -1.56634],
               [0.58265, 0.73569, -1.71989, 0.40155]]]},
 'ln': {'gb': [[0.0738, 0.06695, -0.75661], [1.31272, -0.16629, -0.33895]],
        'gw': [[-0.96408, -0.19025, -0.78511], [0.4091, -0.05489, -0.37668]],
        'gx': [[[-0.6064, 0.75243, -0.37742], [1.34354, 0.16377, -1.27591]],
               [[0.33637, -0.91443, -1.22404], [0.82643, -0.20569, 1.18137]]],
        'y': [[[0.71535, 2.11241, -1.25378], [-0.08823, -2.36758, 1.4162]],
              [[0.0974, 2.26004, -0.02629], [-1.56478, -4.87538, 0.3501]]]},
 'lrn': [[[-0.54119, 0.15973, -0.04194], [-0.06181, 0.21298, 0.43189], [0.12455, 0.11739, -0.73068],
          [0.3736, -0.20895, 0.62808], [0.84902, -1.04834, 0.85406]],
         [[-0.44681, -0.67061, -0.1422], [0.19225, 0.65122, 1.72492], [-0.942, -0.23235, 0.22993],
          [-0.34291, -1.09908, -0.14973], [-0.01776, 0.25139, -0.25801]]],
 'rms': [[[-0.17349, -0.39247, -0.11428], [-0.02292, -0.60541, 1.37851],
          [0.02945, -0.21356, -1.50601], [0.08795, 0.38158, 1.2834], [0.09595, 0.91907, 0.82787]],
         [[-0.09778, 1.14795, -0.28433], [0.01801, -0.4679, 1.44759], [-0.17066, 0.32926, 0.37382],
          [-0.05319, 1.32394, -0.19393], [-0.00881, -0.98771, -1.08986]]]}
