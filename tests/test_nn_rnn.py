"""Recurrent layers: RNN, LSTM, GRU (layers, directions, batch_first, projections, initial states)
and their cells.

Outputs and gradients are checked against literals real PyTorch 2.13 gave with the same weights
(filled from NumPy seeds; `EXPECTED` at the bottom), state-dict keys against PyTorch's, and the
layers are gradchecked and gradgradchecked in float64."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from helpers import assert_close, check_grad


def r(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def fill(m, seed, device, scale=0.5, dtype=np.float32):
    """Every parameter, in named_parameters order, from its own NumPy seed (as the literals were)."""
    with tinynn.no_grad():
        for i, (_, p) in enumerate(m.named_parameters()):
            v = np.random.default_rng(seed + i).standard_normal(tuple(p.shape)).astype(dtype) * scale
            p.copy_(tinynn.tensor(v, device=device))
    return m


CASES = {"lstm": (nn.LSTM, dict(num_layers=2, bidirectional=True)),
         "gru": (nn.GRU, dict(batch_first=True)),
         "rnn": (nn.RNN, dict(nonlinearity="relu", num_layers=2)),
         "lstm_proj": (nn.LSTM, dict(proj_size=2))}


@pytest.mark.parametrize("key", list(CASES))
def test_recurrent_layers_match_torch_literals(device, key):
    cls, kw = CASES[key]
    m = fill(cls(3, 4, **kw).to(device), 100, device)
    x = tinynn.tensor(r(1, 2, 3, 3), device=device, requires_grad=True)
    o, h = m(x)
    if isinstance(h, tuple):
        loss = (o ** 2).sum() + h[0].sum() + 2 * h[1].sum()
    else:
        loss = (o ** 2).sum() + h.sum()
        h = (h,)
    loss.backward()
    e = EXPECTED[key]
    assert_close(o, e["o"], atol=1e-5)
    for got, want in zip(h, e["h"]):
        assert_close(got, want, atol=1e-5)
    assert_close(x.grad, e["gx"], atol=1e-5)
    assert_close(m.weight_ih_l0.grad, e["gw_ih0"], atol=1e-4)
    assert_close(m.weight_hh_l0.grad, e["gw_hh0"], atol=1e-4)


@pytest.mark.parametrize("key,cls", [("lstmcell", nn.LSTMCell), ("grucell", nn.GRUCell),
                                     ("rnncell", nn.RNNCell)])
def test_cells_match_torch_literals(device, key, cls):
    m = fill(cls(3, 4).to(device), 200, device)
    x = tinynn.tensor(r(2, 2, 3), device=device, requires_grad=True)
    h = tinynn.tensor(r(3, 2, 4), device=device)
    if key == "lstmcell":
        out = m(x, (h, h * 0.5))
        loss = out[0].sum() + (out[1] ** 2).sum()
    else:
        out = (m(x, h),)
        loss = (out[0] ** 2).sum()
    loss.backward()
    e = EXPECTED[key]
    for got, want in zip(out, e["o"]):
        assert_close(got, want, atol=1e-5)
    assert_close(x.grad, e["gx"], atol=1e-5)
    assert_close(m.weight_hh.grad, e["gw_hh"], atol=1e-5)


def test_state_dict_keys_and_shapes_are_pytorchs():
    m = nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2)
    want = []
    for layer in range(2):
        for sfx in ("", "_reverse"):
            want += [f"{n}_l{layer}{sfx}" for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                                    "weight_hr")]
    assert list(m.state_dict()) == want
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes["weight_ih_l0"] == (16, 3) and shapes["weight_hh_l0"] == (16, 2)
    assert shapes["weight_ih_l1_reverse"] == (16, 4) and shapes["weight_hr_l1"] == (2, 4)
    assert list(nn.GRU(3, 4, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert tuple(nn.GRU(3, 4).weight_ih_l0.shape) == (12, 3)
    assert list(nn.LSTMCell(3, 4).state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert repr(m) == "LSTM(3, 4, proj_size=2, num_layers=2, bidirectional=True)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4)"
    assert repr(nn.GRU(3, 4, bias=False, batch_first=True)) == "GRU(3, 4, bias=False, batch_first=True)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"


def test_default_init_is_uniform_in_one_over_sqrt_hidden():
    tinynn.manual_seed(0)
    m = nn.GRU(10, 16, num_layers=2)
    bound = 1 / math.sqrt(16)
    vals = np.concatenate([p.detach().cpu().numpy().ravel() for p in m.parameters()])
    assert np.abs(vals).max() <= bound and np.abs(vals).max() > 0.95 * bound
    assert abs(vals.std() - bound / math.sqrt(3)) < 0.05 * bound


def test_shapes_batch_first_unbatched_and_default_state(device):
    m = nn.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True).to(device)
    x = tinynn.randn(4, 7, 3, device=device)  # (N, L, H_in)
    o, (h, c) = m(x)
    assert tuple(o.shape) == (4, 7, 10) and tuple(h.shape) == (4, 4, 5) and tuple(c.shape) == (4, 4, 5)
    # zeros as the initial state = no initial state
    z = tinynn.zeros(4, 4, 5, device=device)
    assert_close(m(x, (z, z))[0], o)
    # unbatched (L, H_in): the same as a batch of one
    o1, (h1, _) = m(x[0])
    assert tuple(o1.shape) == (7, 10) and tuple(h1.shape) == (4, 5)
    assert_close(o1, o[0], atol=1e-6)
    g = nn.GRU(3, 5).to(device)
    o, h = g(tinynn.randn(6, 2, 3, device=device))
    assert tuple(o.shape) == (6, 2, 5) and tuple(h.shape) == (1, 2, 5)
    # the last output of a one-direction layer is its final state
    assert_close(o[-1], h[0])


def test_dropout_between_layers(device):
    tinynn.manual_seed(0)
    m = nn.GRU(3, 8, num_layers=2, dropout=0.5).to(device)
    x = tinynn.randn(5, 2, 3, device=device)
    a, b = m(x)[0], m(x)[0]
    assert not np.allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy())  # training: random
    m.eval()
    assert_close(m(x)[0], m(x)[0])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nn.RNN(3, 4, dropout=0.5)
    assert "non-zero dropout expects num_layers greater than 1" in str(w[0].message)


def test_errors(device):
    rnn = nn.RNN(3, 4).to(device)
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor instead"):
        rnn(tinynn.zeros(2, 3, 4, 3, device=device))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"):
        rnn(tinynn.zeros(2, 3, 5, device=device))
    with pytest.raises(RuntimeError, match="Expected hidden size \\(1, 3, 4\\), got \\[2, 3, 4\\]"):
        rnn(tinynn.zeros(2, 3, 3, device=device), tinynn.zeros(2, 3, 4, device=device))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        rnn(tinynn.zeros(2, 3, 3, device=device), tinynn.zeros(3, 4, device=device))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D"):
        rnn(tinynn.zeros(2, 3, device=device), tinynn.zeros(1, 1, 4, device=device))
    lstm = nn.LSTM(3, 4).to(device)
    with pytest.raises(RuntimeError, match="Expected hidden\\[1\\] size \\(1, 3, 4\\), got \\[1, 2, 4\\]"):
        lstm(tinynn.zeros(2, 3, 3, device=device),
             (tinynn.zeros(1, 3, 4, device=device), tinynn.zeros(1, 2, 4, device=device)))
    cell = nn.RNNCell(3, 4).to(device)
    with pytest.raises(ValueError, match="RNNCell: Expected input to be 1D or 2D, got 3D instead"):
        cell(tinynn.zeros(2, 3, 3, device=device))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 4 expected 3"):
        cell(tinynn.zeros(2, 4, device=device))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        cell(tinynn.zeros(2, 3, device=device), tinynn.zeros(3, 4, device=device))
    with pytest.raises(ValueError, match="dropout should be a number in range \\[0, 1\\]"):
        nn.RNN(3, 4, dropout=2)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(3, 0)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'foo'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="foo")
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)


def call_with(m, names, values, *args):
    """m(*args) with its parameters `names` replaced by the tensors `values` (so gradcheck can
    perturb them and differentiate through them)."""
    saved = {n: m._parameters[n] for n in names}
    try:
        for n, v in zip(names, values):
            m._parameters[n] = v
        return m(*args)
    finally:
        m._parameters.update(saved)


@pytest.mark.parametrize("cls,kw", [(nn.LSTM, dict(bidirectional=True)), (nn.GRU, dict(num_layers=2)),
                                    (nn.RNN, dict(batch_first=True)), (nn.LSTM, dict(proj_size=2))])
def test_layers_gradcheck(device, cls, kw):
    m = fill(cls(2, 3, **kw).double().to(device), 300, device, dtype=np.float64)
    names = [n for n, _ in m.named_parameters()]
    values = [p.detach().cpu().numpy() for p in m.parameters()]
    rng = np.random.default_rng(301)
    x = rng.standard_normal((2, 2, 2))  # (L, N, H_in), or (N, L, H_in) with batch_first
    layers = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    h = rng.standard_normal((layers, 2, kw.get("proj_size") or 3))
    c = rng.standard_normal((layers, 2, 3))

    def run(x, h, c, *ws):
        return call_with(m, names, ws, x, (h, c) if cls is nn.LSTM else h)

    # the weights: first derivatives; input and initial state: second derivatives too
    check_grad(lambda x, h, c, *ws: run(x, h, c, *ws)[0], x, h, c, *values, device=device,
               gradgrad=False)
    x1 = x[:1] if kw.get("batch_first") else x[:, :1]  # a batch of one
    check_grad(lambda x, h, c: run(x, h, c)[0], x1, h[:, :1], c[:, :1], device=device)


def test_cells_gradcheck(device):
    for cls in (nn.RNNCell, nn.GRUCell):
        m = fill(cls(2, 3).double().to(device), 310, device, dtype=np.float64)
        check_grad(lambda x, h: m(x, h), np.random.default_rng(311).standard_normal((2, 2)),
                   np.random.default_rng(312).standard_normal((2, 3)), device=device)
    m = fill(nn.LSTMCell(2, 3).double().to(device), 320, device, dtype=np.float64)
    check_grad(lambda x, h, c: m(x, (h, c)), np.random.default_rng(321).standard_normal((2, 2)),
               np.random.default_rng(322).standard_normal((2, 3)),
               np.random.default_rng(323).standard_normal((2, 3)), device=device)


def test_state_dict_round_trip_with_torch(device):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional live oracle)")
    tm = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    nm = nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True).to(device)
    assert list(tm.state_dict()) == list(nm.state_dict())
    nm.load_state_dict({k: tinynn.tensor(v.numpy(), device=device) for k, v in tm.state_dict().items()})
    x = r(330, 2, 5, 3)
    to, th = tm(torch.tensor(x))
    no, nh = nm(tinynn.tensor(x, device=device))
    assert_close(no, to.detach().numpy(), atol=1e-5)
    assert_close(nh, th.detach().numpy(), atol=1e-5)
    # and back: tinynn's trained weights load into torch
    tm2 = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    tm2.load_state_dict({k: torch.tensor(v.detach().cpu().numpy()) for k, v in nm.state_dict().items()})
    assert_close(tm2(torch.tensor(x))[0].detach().numpy(), no, atol=1e-5)

# printed once from PyTorch 2.13 (see the seeds above); rounded to 5 decimals
EXPECTED = {'gru': {'gw_hh0': [[-0.00333, 0.00438, 0.00251, -0.00279], [-0.05866, 0.08786, 0.03531, -0.0535],
                    [-0.03739, 0.05349, 0.04164, -0.03083], [-0.02149, 0.03074, 0.01345, -0.01908],
                    [0.10803, -0.15984, -0.04178, 0.09812], [0.29447, -0.44428, -0.13594, 0.27186],
                    [0.33993, -0.49218, -0.22621, 0.29774], [0.0872, -0.12185, -0.04953, 0.07499],
                    [0.00717, -0.0098, -0.00469, 0.00617], [-0.28583, 0.42329, 0.17855, -0.2588],
                    [-0.66048, 1.12144, 0.26286, -0.67198],
                    [0.03325, -0.04818, -0.01992, 0.02999]],
         'gw_ih0': [[0.03322, 0.02616, 0.05139], [-0.03894, 0.08203, 0.02949],
                    [-0.03374, -0.08142, -0.13466], [0.00456, 0.03562, 0.02945],
                    [0.03389, -0.41535, -0.2956], [0.20926, -0.77635, -0.45924],
                    [0.2749, -0.14388, -0.01235], [0.05827, -0.10889, -0.07407],
                    [-0.1511, -0.12229, -0.24078], [-0.32295, 0.76721, 0.33656],
                    [-1.53558, 1.98482, 1.31537], [-0.05828, -0.20109, -0.2418]],
         'gx': [[[-0.28619, -0.42701, 0.23738], [-0.1078, -0.56079, 0.31818],
                 [-0.06463, -0.16762, 0.26793]],
                [[-0.51947, -0.47485, 0.13034], [-0.10554, 0.03238, 0.37932],
                 [-0.0836, 0.08807, 0.17269]]],
         'h': [[[[-0.5324, 0.86706, 0.60788, -0.58298], [-0.63099, 0.78905, 0.64316, -0.69211]]]],
         'o': [[[-0.28636, 0.56001, -0.06012, -0.34694], [-0.42563, 0.79959, 0.286, -0.44442],
                [-0.5324, 0.86706, 0.60788, -0.58298]],
               [[-0.40724, 0.49897, 0.26496, -0.30302], [-0.56696, 0.71398, 0.49753, -0.46717],
                [-0.63099, 0.78905, 0.64316, -0.69211]]]},
 'grucell': {'gw_hh': [[0.03341, 0.01546, 0.14798, 0.01691], [0.02302, -0.02876, 0.00489, -0.00637],
                       [0.19888, -0.24936, 0.03994, -0.05547],
                       [0.48576, -0.60958, 0.09631, -0.13573],
                       [0.40802, -0.3835, 0.39747, -0.05522],
                       [1.33057, -1.66863, 0.26649, -0.37129],
                       [-0.00492, -0.12418, -0.32206, -0.05825],
                       [-0.01393, 0.06782, 0.12125, 0.02692],
                       [-0.05826, -0.03232, -0.27125, -0.03194],
                       [-0.0208, 0.02632, -0.00357, 0.00591],
                       [0.15696, -0.19591, 0.03372, -0.04337],
                       [-0.30715, 0.39535, -0.03647, 0.09036]],
             'gx': [[-0.56915, 0.32704, -0.09803], [-0.12589, 0.17179, 0.30276]],
             'o': [[[1.99818, -2.40574, 0.32931, -0.59805],
                    [0.29269, -0.20794, -1.97597, -0.96055]]]},
 'lstm': {'gw_hh0': [[0.34807, -0.3858, 0.11724, 0.33762], [-0.30145, 0.3345, -0.10384, -0.29723],
                     [-0.18933, 0.20572, -0.06316, -0.16628], [0.03712, -0.04113, 0.00911, 0.03099],
                     [0.27272, -0.30133, 0.0949, 0.26519], [-0.17165, 0.19213, -0.05949, -0.1764],
                     [0.07067, -0.07738, 0.02775, 0.07052], [0.01104, -0.01233, 0.00288, 0.00982],
                     [-0.09342, 0.11001, -0.04012, -0.12895],
                     [-0.17122, 0.19405, -0.05919, -0.1853],
                     [-1.03453, 1.16134, -0.37002, -1.09333],
                     [-0.01407, 0.01593, -0.00337, -0.01296], [0.10549, -0.11678, 0.03536, 0.10152],
                     [0.03636, -0.03895, 0.01245, 0.0302], [-0.05454, 0.06005, -0.01779, -0.05043],
                     [-0.12785, 0.14052, -0.04277, -0.11885]],
          'gw_ih0': [[0.09385, -0.27371, -0.02725], [-0.11755, 0.42711, 0.13605],
                     [0.08858, -0.21183, -0.22177], [-0.09722, 0.13076, 0.09803],
                     [-0.0266, 0.03853, 0.09605], [0.08603, -0.01354, -0.02424],
                     [0.03186, 0.01524, 0.0146], [-0.0104, 0.00035, 0.00845],
                     [0.13803, 0.09167, 0.15959], [0.12506, 0.15578, 0.08706],
                     [-1.48757, 2.79633, 1.42343], [0.03458, -0.07309, -0.04271],
                     [-0.50487, 0.71075, 0.3897], [0.08625, 0.08922, 0.06632],
                     [0.06614, -0.10482, -0.07671], [-0.01429, 0.01216, -0.05219]],
          'gx': [[[3.26729, -0.55317, 1.39773], [-0.53443, -1.24617, 0.57496],
                  [0.96993, -0.9484, 1.25472]],
                 [[3.33316, -1.26756, 2.24928], [0.72569, -0.82089, 1.37269],
                  [2.9339, -0.95049, 2.09966]]],
          'h': [[[[-0.17984, 0.28572, 0.06861, -0.37452], [-0.37485, 0.39744, 0.07021, -0.29269],
                  [-0.23879, 0.27036, 0.10606, -0.37848]],
                 [[0.06393, -0.07748, 0.02579, 0.22379], [-0.32525, -0.10008, -0.03475, 0.39941],
                  [-0.15826, -0.10193, -0.00611, 0.30178]],
                 [[0.24902, -0.26047, 0.19779, -0.11888], [0.2035, -0.41205, 0.13824, -0.07563],
                  [0.205, -0.33421, 0.20023, -0.10498]],
                 [[-0.09432, -0.20551, -0.02576, 0.02481], [-0.09865, -0.21737, -0.03259, -0.06555],
                  [-0.09636, -0.20758, -0.03264, -0.02151]]],
                [[[-0.95607, 0.80158, 0.16251, -0.46029], [-1.28118, 0.6429, 0.18928, -0.40277],
                  [-1.05533, 0.75741, 0.26069, -0.50074]],
                 [[0.10168, -0.26896, 0.07557, 0.50591], [-0.7623, -0.55527, -0.17902, 0.79073],
                  [-0.33053, -0.39511, -0.02236, 0.61544]],
                 [[0.475, -0.47635, 0.58631, -0.21438], [0.33555, -0.75141, 0.46674, -0.14794],
                  [0.38555, -0.62994, 0.61487, -0.19219]],
                 [[-0.32779, -0.38494, -0.07402, 0.07382], [-0.4858, -0.46219, -0.11407, -0.18012],
                  [-0.40104, -0.42775, -0.10347, -0.06185]]]],
          'o': [[[0.14687, -0.13466, 0.1288, -0.09546, -0.09432, -0.20551, -0.02576, 0.02481],
                 [0.1304, -0.25775, 0.08261, -0.05667, -0.09865, -0.21737, -0.03259, -0.06555],
                 [0.13709, -0.22544, 0.09582, -0.07232, -0.09636, -0.20758, -0.03264, -0.02151]],
                [[0.24902, -0.26047, 0.19779, -0.11888, -0.06506, -0.17386, -0.04228, 0.0084],
                 [0.2035, -0.41205, 0.13824, -0.07563, -0.07451, -0.19483, -0.03374, -0.0642],
                 [0.205, -0.33421, 0.20023, -0.10498, -0.05917, -0.17852, -0.0414, -0.00019]]]},
 'lstm_proj': {'gw_hh0': [[-0.04185, 0.05809], [0.04783, -0.07168], [0.00826, -0.01287],
                          [-0.03139, 0.04196], [-0.04105, 0.06134], [0.02717, -0.03851],
                          [-0.0097, 0.01603], [-0.01422, 0.01967], [0.01805, -0.02283],
                          [0.02519, -0.03226], [0.16605, -0.23006], [0.01232, -0.01443],
                          [-0.00554, 0.00836], [0.00498, -0.00693], [0.00109, -0.00128],
                          [0.00096, -0.00137]],
               'gw_ih0': [[0.10224, -0.35424, -0.07477], [-0.29139, 0.40101, 0.07723],
                          [0.11465, -0.1618, -0.07233], [0.19776, -0.39774, -0.13187],
                          [-0.0126, 0.0447, 0.12944], [0.06622, -0.01938, -0.04312],
                          [0.02294, 0.0127, 0.00909], [-0.05835, 0.00447, -0.01977],
                          [0.14422, 0.1133, 0.18071], [0.09337, 0.13278, 0.05687],
                          [-1.04049, 2.57199, 1.15557], [0.01495, 0.21455, 0.11945],
                          [-0.0059, 0.0159, 0.02355], [0.01705, -0.00247, -0.00402],
                          [0.05281, -0.0995, -0.03641], [-0.00184, 0.00868, 0.00082]],
               'gx': [[[0.12792, -1.06543, 0.36259], [-0.00287, -1.00538, 0.29321],
                       [0.11344, -1.04465, 0.32894]],
                      [[0.52888, -1.75699, 1.14738], [0.28987, -1.56208, 0.8449],
                       [0.35351, -1.91854, 0.93211]]],
               'h': [[[[0.00273, 0.09159], [-0.00908, 0.04233], [-0.00585, 0.06567]]],
                     [[[-0.95795, 0.83468, 0.09355, -0.38509],
                       [-1.27258, 0.64785, -0.00953, -0.33609],
                       [-1.05771, 0.75478, 0.0342, -0.4208]]]],
               'o': [[[0.04602, -0.06589], [0.03894, -0.08802], [0.02329, -0.00375]],
                     [[0.00273, 0.09159], [-0.00908, 0.04233], [-0.00585, 0.06567]]]},
 'lstmcell': {'gw_hh': [[0.22406, -0.3113, -0.02979, -0.07639],
                        [1.54879, -2.14604, -0.19168, -0.52537],
                        [0.29027, -0.54655, -0.3915, -0.16449],
                        [0.3024, -0.50644, -0.25278, -0.14256],
                        [0.33432, -0.39161, 0.13505, -0.08065],
                        [0.77165, -0.9656, 0.15974, -0.21436],
                        [0.06676, -0.15245, -0.15593, -0.05006],
                        [0.10283, -0.13453, 0.00686, -0.03124],
                        [-0.15086, -0.16156, -0.89419, -0.11833],
                        [-0.05783, 0.00325, -0.18224, -0.01555],
                        [0.11991, -0.14716, 0.03194, -0.03199],
                        [-0.02705, 0.04054, 0.01089, 0.01058],
                        [0.26017, -0.35515, -0.01903, -0.08581],
                        [-0.33476, 0.34961, -0.23998, 0.0613],
                        [0.18816, -0.18191, 0.17085, -0.02778],
                        [-0.01244, 0.14901, 0.32613, 0.06449]],
              'gx': [[-0.05016, 0.28322, 0.05399], [-0.42439, -0.01557, 0.23982]],
              'o': [[[0.16373, -0.7648, 0.10881, -0.54154], [0.04836, 0.16286, -0.07586, -0.41113]],
                    [[1.944, -1.76138, 0.39054, -0.67665], [0.21937, 0.3755, -1.09173, -0.87234]]]},
 'rnn': {'gw_hh0': [[5.06536, 0.7207, 4.31862, 0.0], [15.92769, 2.24597, 12.47651, 0.0],
                    [19.6554, 2.72377, 15.00581, 0.0], [0.0, 0.0, 0.0, 0.0]],
         'gw_ih0': [[-2.96508, 2.10448, 1.77511], [-0.4747, 3.59505, 1.85565],
                    [-4.50131, 18.19823, 7.87228], [0.0, 0.0, 0.0]],
         'gx': [[[4.64249, 3.38085, 5.4982], [1.33813, 2.11441, 2.48601],
                 [2.02604, 0.50283, 5.30105]],
                [[1.64162, -0.14348, 5.14441], [1.37985, -0.03386, 3.86717],
                 [2.95389, 0.14404, 4.06133]]],
         'h': [[[[0.63049, 1.86086, 0.97426, 0.0], [0.56917, 0.47414, 0.62888, 0.0],
                 [0.0, 1.06734, 1.07388, 0.0]],
                [[2.10461, 1.22779, 0.0, 1.77336], [1.12058, 0.30791, 0.1201, 1.44822],
                 [1.16743, 0.96975, 0.09579, 1.77178]]]],
         'o': [[[0.56105, 0.68552, 0.70985, 1.41358], [0.91358, 0.12491, 0.37325, 1.03636],
                [0.78759, 0.26615, 0.46511, 1.19999]],
               [[2.10461, 1.22779, 0.0, 1.77336], [1.12058, 0.30791, 0.1201, 1.44822],
                [1.16743, 0.96975, 0.09579, 1.77178]]]},
 'rnncell': {'gw_hh': [[-0.15664, -0.10427, -0.77208, -0.09383],
                       [1.30604, -1.7757, -0.07792, -0.42748], [-1.3921, 1.86177, 0.00687, 0.4415],
                       [0.27192, -0.46849, -0.25954, -0.13418]],
             'gx': [[0.14469, 0.97222, 0.22427], [0.05429, 0.21562, -0.17843]],
             'o': [[[0.99789, 0.40752, -0.69817, 0.08538], [0.8849, 0.09037, -0.95971, 0.95628]]]}}
