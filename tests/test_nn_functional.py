"""nn.functional: activations, softmax family, linear/bilinear, dropout, embedding, one_hot,
normalize and distances.

Values and gradients are compared with literals that real PyTorch 2.13 gave for the same inputs
(the CASES table below runs unchanged on torch: `EXPECTED` was printed from it once); every
differentiable function is also gradchecked (and gradgradchecked) in float64."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn.functional as F
from helpers import assert_close, check_grad


def _arr(seed, *shape, lo=-1.0, hi=1.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _out_weights(shape):
    n = int(np.prod(shape)) if shape else 1
    return (0.5 + (np.arange(n) % 5) * 0.25).reshape(shape)


def run_case(lib, fn, names, inputs, device="cpu"):
    """fn(lib, F, *tensors) -> (value, gradients of (out * fixed weights).sum() w.r.t. the float
    inputs whose name does not start with 'c_')."""
    ts = []
    for n in names:
        a = inputs[n]
        grad = a.dtype.kind == "f" and not n.startswith("c_")
        ts.append(lib.tensor(a, device=device, requires_grad=grad))
    out = fn(lib, lib.nn.functional, *ts)
    w = lib.tensor(_out_weights(tuple(out.shape)), dtype=out.dtype, device=device)
    (out * w).sum().backward()
    grads = [t.grad.detach().cpu().numpy() if t.grad is not None else None
             for n, t in zip(names, ts) if t.is_floating_point() and not n.startswith("c_")]
    return out.detach().cpu().numpy(), grads


def check_case(name, cases, expected, inputs, device, rtol=1e-6, atol=1e-8):
    fn, names = cases[name]
    value, grads = run_case(tinynn, fn, names, inputs, device)
    ev, egs = expected[name]
    assert_close(value, np.asarray(ev), rtol=rtol, atol=atol)
    assert value.shape == np.asarray(ev).shape
    assert len(grads) == len(egs)
    for g, eg in zip(grads, egs):
        if eg is None:
            assert g is None
        else:
            assert_close(g, np.asarray(eg), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------- the case table
X = np.array([[-2.5, -1.0, -0.3, 0.1], [0.2, 0.7, 1.5, 3.2]])

INPUTS = {
    "x": X,
    "c_prelu_w": np.array([0.1, 0.3]),
    "prelu_w": np.array([0.1, 0.3]),
    "a": _arr(1, 3, 4),
    "w": _arr(2, 2, 4),
    "b": _arr(3, 2),
    "a3": _arr(4, 2, 3, 4),
    "a1": _arr(5, 4),
    "x1": _arr(6, 3, 4),
    "x2": _arr(7, 3, 2),
    "bw": _arr(8, 5, 4, 2),
    "bb": _arr(9, 5),
    "emb": _arr(10, 6, 3),
    "idx": np.array([[0, 2, 5], [2, 2, 1]]),
    "u": _arr(11, 3, 4),
    "v": _arr(12, 3, 4),
    "zero_row": np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]]),
}

CASES = {
    # activations (float64), on X
    "relu": (lambda T, F, x: F.relu(x), ("x",)),
    "relu6": (lambda T, F, x: F.relu6(x * 3), ("x",)),
    "leaky_relu": (lambda T, F, x: F.leaky_relu(x, 0.2), ("x",)),
    "elu": (lambda T, F, x: F.elu(x, 0.7), ("x",)),
    "selu": (lambda T, F, x: F.selu(x), ("x",)),
    "celu": (lambda T, F, x: F.celu(x, 1.3), ("x",)),
    "gelu": (lambda T, F, x: F.gelu(x), ("x",)),
    "gelu_tanh": (lambda T, F, x: F.gelu(x, approximate="tanh"), ("x",)),
    "silu": (lambda T, F, x: F.silu(x), ("x",)),
    "mish": (lambda T, F, x: F.mish(x), ("x",)),
    "softplus": (lambda T, F, x: F.softplus(x), ("x",)),
    "softplus_beta": (lambda T, F, x: F.softplus(x, beta=2.0, threshold=3.0), ("x",)),
    "softsign": (lambda T, F, x: F.softsign(x), ("x",)),
    "hardtanh": (lambda T, F, x: F.hardtanh(x, -0.5, 1.0), ("x",)),
    "hardsigmoid": (lambda T, F, x: F.hardsigmoid(x * 2), ("x",)),
    "hardswish": (lambda T, F, x: F.hardswish(x * 2), ("x",)),
    "logsigmoid": (lambda T, F, x: F.logsigmoid(x), ("x",)),
    "tanhshrink": (lambda T, F, x: F.tanhshrink(x), ("x",)),
    "threshold": (lambda T, F, x: F.threshold(x, 0.15, -2.0), ("x",)),
    "glu": (lambda T, F, x: F.glu(x, 1), ("x",)),
    "softmax": (lambda T, F, x: F.softmax(x, 1), ("x",)),
    "softmax0": (lambda T, F, x: F.softmax(x, 0), ("x",)),
    "log_softmax": (lambda T, F, x: F.log_softmax(x, 1), ("x",)),
    "softmin": (lambda T, F, x: F.softmin(x, 1), ("x",)),
    "softshrink": (lambda T, F, x: F.softshrink(x, 0.25), ("x",)),
    "hardshrink": (lambda T, F, x: F.hardshrink(x, 0.25), ("x",)),
    "sigmoid": (lambda T, F, x: F.sigmoid(x), ("x",)),
    "tanh": (lambda T, F, x: F.tanh(x), ("x",)),
    "rrelu_eval": (lambda T, F, x: F.rrelu(x), ("x",)),
    "prelu": (lambda T, F, x, w: F.prelu(x.reshape(2, 2, 2), w), ("x", "prelu_w")),
    "prelu_1": (lambda T, F, x: F.prelu(x, T.tensor([0.25], dtype=T.float64)), ("x",)),
    # linear maps
    "linear": (lambda T, F, a, w, b: F.linear(a, w, b), ("a", "w", "b")),
    "linear_nobias": (lambda T, F, a, w: F.linear(a, w), ("a", "w")),
    "linear_3d": (lambda T, F, a, w, b: F.linear(a, w, b), ("a3", "w", "b")),
    "linear_1d": (lambda T, F, a, w, b: F.linear(a, w, b), ("a1", "w", "b")),
    "bilinear": (lambda T, F, x1, x2, w, b: F.bilinear(x1, x2, w, b), ("x1", "x2", "bw", "bb")),
    # embedding
    "embedding": (lambda T, F, e, i: F.embedding(i, e), ("emb", "idx")),
    "embedding_padding": (lambda T, F, e, i: F.embedding(i, e, padding_idx=2), ("emb", "idx")),
    "embedding_freq": (lambda T, F, e, i: F.embedding(i, e, scale_grad_by_freq=True), ("emb", "idx")),
    # normalize and distances
    "normalize": (lambda T, F, x: F.normalize(x), ("x",)),
    "normalize_p1_dim0": (lambda T, F, x: F.normalize(x, p=1, dim=0), ("x",)),
    "normalize_zero_row": (lambda T, F, x: F.normalize(x, dim=1), ("zero_row",)),
    "cosine_similarity": (lambda T, F, u, v: F.cosine_similarity(u, v), ("u", "v")),
    "cosine_similarity_dim0": (lambda T, F, u, v: F.cosine_similarity(u, v[:1], dim=0), ("u", "v")),
    "pairwise_distance": (lambda T, F, u, v: F.pairwise_distance(u, v), ("u", "v")),
    "pairwise_distance_p1": (lambda T, F, u, v: F.pairwise_distance(u, v, p=1.0, keepdim=True),
                             ("u", "v")),
}

# printed once by running CASES with PyTorch 2.13 (value, [grads of the weighted sum])
EXPECTED = {'relu': ([[0.0, 0.0, 0.0, 0.1], [0.2, 0.7, 1.5, 3.2]],
          [[[0.0, 0.0, 0.0, 1.25], [1.5, 0.5, 0.75, 1.0]]]),
 'relu6': ([[0.0, 0.0, 0.0, 0.3], [0.6, 2.1, 4.5, 6.0]],
           [[[0.0, 0.0, 0.0, 3.75], [4.5, 1.5, 2.25, 0.0]]]),
 'leaky_relu': ([[-0.5, -0.2, -0.06, 0.1], [0.2, 0.7, 1.5, 3.2]],
                [[[0.1, 0.15, 0.2, 1.25], [1.5, 0.5, 0.75, 1.0]]]),
 'elu': ([[-0.642540501, -0.4424843912, -0.1814272455, 0.1], [0.2, 0.7, 1.5, 3.2]],
         [[[0.0287297495, 0.1931367066, 0.5185727545, 1.25], [1.5, 0.5, 0.75, 1.0]]]),
 'selu': ([[-1.6137857589, -1.1113307378, -0.4556673154, 0.1050700987],
           [0.2101401975, 0.7354906911, 1.576051481, 3.3622431595]],
          [[[0.072156791, 0.4850764523, 1.3024320255, 1.3133762342],
            [1.576051481, 0.5253504937, 0.7880257405, 1.0507009874]]]),
 'celu': ([[-1.1099964758, -0.69761982, -0.2679005448, 0.1], [0.2, 0.7, 1.5, 3.2]],
          [[[0.0730782761, 0.3475270299, 0.7939226802, 1.25], [1.5, 0.5, 0.75, 1.0]]]),
 'gelu': ([[-0.0155241633, -0.1586552539, -0.1146265733, 0.0539827837],
           [0.1158519419, 0.5306254434, 1.3997891981, 3.1978011586]],
          [[[-0.018805543, -0.0624866029, 0.2676722332, 0.724403865],
            [0.9862023724, 0.4883070506, 0.8456018942, 1.0069419443]]]),
 'gelu_tanh': ([[-0.0150842661, -0.1588080094, -0.1146290765, 0.053982751],
                [0.1158514298, 0.5305701347, 1.399571577, 3.1981304348]],
               [[[-0.0189757881, -0.0622230629, 0.2677045484, 0.7244022366],
                 [0.9861872238, 0.4881786093, 0.8457830949, 1.0064931421]]]),
 'silu': ([[-0.1896454501, -0.2689414214, -0.127667245, 0.0524979187],
           [0.1099667995, 0.4677314405, 1.2263617143, 3.0746696871]],
          [[[-0.0497005557, 0.0542471161, 0.3522199897, 0.6873959894],
            [0.8990059678, 0.4116933917, 0.7809706157, 1.0812559379]]]),
 'mish': ([[-0.1968162039, -0.3034014614, -0.1511331771, 0.0631794175],
           [0.1325990019, 0.5611483776, 1.4033782664, 3.1901977316]],
          [[[-0.0548717864, 0.0444125669, 0.4085108769, 0.8291710259],
            [1.0869368106, 0.4843974341, 0.8163659888, 1.0157446516]]]),
 'softplus': ([[0.0788897343, 0.3132616875, 0.5543552445, 0.7443966601],
               [0.7981388694, 1.1031860489, 1.701413278, 3.2399533332]],
              [[[0.03792909, 0.201706066, 0.4255574832, 0.6562239843],
                [0.824750996, 0.3340938861, 0.6131808571, 0.9608342772]]]),
 'softplus_beta': ([[0.0033576742, 0.0634640055, 0.2187439752, 0.3990694347],
                    [0.4565076262, 0.810208705, 1.5242936758, 3.2]],
                   [[[0.0033464255, 0.0894021915, 0.3543436938, 0.6872924966],
                     [0.8980314902, 0.4010919443, 0.7144305951, 1.0]]]),
 'softsign': ([[-0.7142857143, -0.5, -0.2307692308, 0.0909090909],
               [0.1666666667, 0.4117647059, 0.6, 0.7619047619]],
              [[[0.0408163265, 0.1875, 0.5917159763, 1.0330578512],
                [1.0416666667, 0.1730103806, 0.12, 0.0566893424]]]),
 'hardtanh': ([[-0.5, -0.5, -0.3, 0.1], [0.2, 0.7, 1.0, 1.0]],
              [[[0.0, 0.0, 1.0, 1.25], [1.5, 0.5, 0.0, 0.0]]]),
 'hardsigmoid': ([[0.0, 0.1666666667, 0.4, 0.5333333333], [0.5666666667, 0.7333333333, 1.0, 1.0]],
                 [[[0.0, 0.2500000075, 0.3333333433, 0.4166666791],
                   [0.5000000149, 0.1666666716, 0.0, 0.0]]]),
 'hardswish': ([[-0.0, -0.3333333333, -0.24, 0.1066666667], [0.2266666667, 1.0266666667, 3.0, 6.4]],
               [[[0.0, -0.25, 0.6, 1.4166666667], [1.9, 0.9666666667, 1.5, 2.0]]]),
 'logsigmoid': ([[-2.5788897343, -1.3132616875, -0.8543552445, -0.6443966601],
                 [-0.5981388694, -0.4031860489, -0.201413278, -0.0399533332]],
                [[[0.46207091, 0.548293934, 0.5744425168, 0.5937760157],
                  [0.675249004, 0.1659061139, 0.1368191429, 0.0391657228]]]),
 'tanhshrink': ([[-1.5133857018, -0.238405844, -0.0086873875, 0.0003320054],
                 [0.0026246798, 0.0956322229, 0.5948517464, 2.2033176022]],
                [[[0.4867038867, 0.4350192438, 0.0848630382, 0.0124171364],
                  [0.0584355256, 0.182630205, 0.6144700208, 0.9933758022]]]),
 'threshold': ([[-2.0, -2.0, -2.0, -2.0], [0.2, 0.7, 1.5, 3.2]],
               [[[0.0, 0.0, 0.0, 0.0], [1.5, 0.5, 0.75, 1.0]]]),
 'glu': ([[-1.063893708, -0.5249791875], [0.1635148952, 0.672583994]],
         [[[0.2127787416, 0.3937343906, -0.3055728896, -0.1870320301],
           [0.8175744762, 1.2010428465, 0.0298292904, 0.0329277978]]]),
 'softmax': ([[0.0357520289, 0.160229477, 0.3226625432, 0.4813559509],
              [0.037873688, 0.0624431551, 0.1389697973, 0.7607133596]],
             [[[-0.0201071414, -0.0500565866, -0.0201359509, 0.0902996789],
               [0.0207179369, -0.0282850519, -0.0282070913, 0.0357742063]]]),
 'softmax0': ([[0.0629733561, 0.1544652651, 0.1418510649, 0.0431072549],
               [0.9370266439, 0.8455347349, 0.8581489351, 0.9568927451]],
              [[[-0.0590077125, 0.0326514367, 0.0304323351, 0.0103122549],
                [0.0590077125, -0.0326514367, -0.0304323351, -0.0103122549]]]),
 'log_softmax': ([[-3.3311482599, -1.8311482599, -1.1311482599, -0.7311482599],
                  [-3.2734986549, -2.7734986549, -1.9734986549, -0.2734986549]],
                 [[[0.374867899, 0.1891968304, -0.1293189011, -0.4347458282],
                   [1.3579736698, 0.2658381685, 0.2288632601, -1.8526750984]]]),
 'softmin': ([[0.7101229246, 0.1584498419, 0.0786838629, 0.0527433706],
              [0.5184437609, 0.3144520363, 0.1412924078, 0.025811795]],
             [[[0.0841580311, -0.0208342655, -0.0300169558, -0.0333068098],
               [-0.2246558038, 0.1781914034, 0.0447434568, 0.0017209436]]]),
 'softshrink': ([[-2.25, -0.75, -0.05, 0.0], [0.0, 0.45, 1.25, 2.95]],
                [[[0.5, 0.75, 1.0, 0.0], [0.0, 0.5, 0.75, 1.0]]]),
 'hardshrink': ([[-2.5, -1.0, -0.3, 0.0], [0.0, 0.7, 1.5, 3.2]],
                [[[0.5, 0.75, 1.0, 0.0], [0.0, 0.5, 0.75, 1.0]]]),
 'sigmoid': ([[0.07585818, 0.2689414214, 0.4255574832, 0.5249791875],
              [0.5498339973, 0.6681877722, 0.8175744762, 0.9608342772]],
             [[[0.0350518583, 0.1474589499, 0.2444583117, 0.3117200502],
               [0.3712748591, 0.1108564366, 0.1118598391, 0.037631769]]]),
 'tanh': ([[-0.9866142982, -0.761594156, -0.2913126125, 0.0996679946],
           [0.1973753202, 0.6043677771, 0.9051482536, 0.9966823978]],
          [[[0.0132961133, 0.3149807562, 0.9151369618, 1.2375828636],
            [1.4415644744, 0.317369795, 0.1355299792, 0.0066241978]]]),
 'rrelu_eval': ([[-0.5729166667, -0.2291666667, -0.06875, 0.1], [0.2, 0.7, 1.5, 3.2]],
                [[[0.1145833333, 0.171875, 0.2291666667, 1.25], [1.5, 0.5, 0.75, 1.0]]]),
 'prelu': ([[[-0.25, -0.1], [-0.09, 0.1]], [[0.2, 0.7], [1.5, 3.2]]],
           [[[0.05, 0.075, 0.3, 1.25], [1.5, 0.5, 0.75, 1.0]], [-2.0, -0.3]]),
 'prelu_1': ([[-0.625, -0.25, -0.075, 0.1], [0.2, 0.7, 1.5, 3.2]],
             [[[0.125, 0.1875, 0.25, 1.25], [1.5, 0.5, 0.75, 1.0]]]),
 'linear': ([[-2.3826674755, -0.4639159716], [-0.0273637726, -0.9193504876],
             [-0.2388090424, -1.3228043243]],
            [[[-0.0882370768, 0.1413319336, -0.1539226494, -1.0753641169],
              [-0.2265244166, 0.1683836039, -0.1517958354, -1.9283015474],
              [-0.6150630713, -0.3759660429, 0.6305782951, -1.6691055463]],
             [[-0.2157344083, -1.120206066, 1.0601041264, 0.3814776595],
              [-0.4030952453, 0.0115707802, 0.5390090123, 0.4841153248]],
             [3.0, 2.5]]),
 'linear_nobias': ([[-1.5539658097, 0.0624630152], [0.8013378931, -0.3929715008],
                    [0.5898926233, -0.7964253375]],
                   [[[-0.0882370768, 0.1413319336, -0.1539226494, -1.0753641169],
                     [-0.2265244166, 0.1683836039, -0.1517958354, -1.9283015474],
                     [-0.6150630713, -0.3759660429, 0.6305782951, -1.6691055463]],
                    [[-0.2157344083, -1.120206066, 1.0601041264, 0.3814776595],
                     [-0.4030952453, 0.0115707802, 0.5390090123, 0.4841153248]]]),
 'linear_3d': ([[[0.0224997974, -0.1872968278], [0.0792257717, -0.394057227],
                 [-0.6756548948, -0.798872613]],
                [[-0.1741429318, -0.6626440119], [-2.2044553385, 0.2622918661],
                 [-0.5743295067, 0.4060135874]]],
               [[[[-0.0882370768, 0.1413319336, -0.1539226494, -1.0753641169],
                  [-0.2265244166, 0.1683836039, -0.1517958354, -1.9283015474],
                  [-0.6150630713, -0.3759660429, 0.6305782951, -1.6691055463]],
                 [[-0.1573807467, 0.1548577687, -0.1528592424, -1.5018328321],
                  [-0.2956680865, 0.181909439, -0.1507324284, -2.3547702627],
                  [-0.0882370768, 0.1413319336, -0.1539226494, -1.0753641169]]],
                [[3.0456149276, 1.8449146487, 2.3728097401, -1.4285342858],
                 [2.8796972943, 2.281327308, 2.1212035383, -1.9491728309]],
                [5.5, 5.75]]),
 'linear_1d': ([-0.9988419245, 0.2392928114],
               [[-0.0882370768, 0.1413319336, -0.1539226494, -1.0753641169],
                [[0.3050029237, 0.3079407897, 0.015325561, -0.2141986199],
                 [0.4575043856, 0.4619111846, 0.0229883416, -0.3212979299]],
                [0.5, 0.75]]),
 'bilinear': ([[0.7331093951, -0.1224268263, 0.3121882441, 0.6691811097, 0.5743737025],
               [0.0547229092, -0.9815960766, 0.0940856436, 0.2965179758, -0.2619016101],
               [0.9304684709, -0.2790110444, 0.8327472024, 0.3772424171, -0.6430313502]],
              [[[-1.4227246074, -0.8177425128, -0.3568044291, -1.7727078984],
                [-1.5925236337, -0.7641788858, 0.8930968878, 2.3281090101],
                [0.920456251, 0.3965673012, -0.9019723187, -2.6327548414]],
               [[-0.311398767, 0.9617471689], [-4.1611005002, -0.106491885],
                [0.3697258666, -1.1448614473]],
               [[[0.2064043626, -0.1031562185], [0.184671464, -0.4791508222],
                 [0.2425182626, -0.5347287039], [-0.2651131313, 0.2553767745]],
                [[0.3096065439, -0.1547343278], [0.277007196, -0.7187262333],
                 [0.3637773939, -0.8020930558], [-0.397669697, 0.3830651618]],
                [[0.4128087252, -0.206312437], [0.369342928, -0.9583016444],
                 [0.4850365253, -1.0694574077], [-0.5302262627, 0.5107535491]],
                [[0.5160109065, -0.2578905463], [0.46167866, -1.1978770555],
                 [0.6062956566, -1.3368217597], [-0.6627828283, 0.6384419364]],
                [[0.6192130877, -0.3094686555], [0.554014392, -1.4374524665],
                 [0.7275547879, -1.6041861116], [-0.795339394, 0.7661303236]]],
               [1.5, 2.25, 3.0, 3.75, 4.5]]),
 'embedding': ([[[0.9120034193, -0.5846363798, 0.6568897705],
                 [0.3780729596, 0.6834954486, -0.1489820052],
                 [0.8668769417, -0.7100106101, 0.4911604221]],
                [[0.3780729596, 0.6834954486, -0.1489820052],
                 [0.3780729596, 0.6834954486, -0.1489820052],
                 [-0.7014357538, 0.0256092329, -0.728160792]]],
               [[[0.5, 0.75, 1.0], [0.5, 0.75, 1.0], [3.75, 3.25, 2.75], [0.0, 0.0, 0.0],
                 [0.0, 0.0, 0.0], [0.75, 1.0, 1.25]]]),
 'embedding_padding': ([[[0.9120034193, -0.5846363798, 0.6568897705],
                         [0.3780729596, 0.6834954486, -0.1489820052],
                         [0.8668769417, -0.7100106101, 0.4911604221]],
                        [[0.3780729596, 0.6834954486, -0.1489820052],
                         [0.3780729596, 0.6834954486, -0.1489820052],
                         [-0.7014357538, 0.0256092329, -0.728160792]]],
                       [[[0.5, 0.75, 1.0], [0.5, 0.75, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                         [0.0, 0.0, 0.0], [0.75, 1.0, 1.25]]]),
 'embedding_freq': ([[[0.9120034193, -0.5846363798, 0.6568897705],
                      [0.3780729596, 0.6834954486, -0.1489820052],
                      [0.8668769417, -0.7100106101, 0.4911604221]],
                     [[0.3780729596, 0.6834954486, -0.1489820052],
                      [0.3780729596, 0.6834954486, -0.1489820052],
                      [-0.7014357538, 0.0256092329, -0.728160792]]],
                    [[[0.5, 0.75, 1.0], [0.5, 0.75, 1.0], [1.25, 1.0833333333, 0.9166666667],
                      [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.75, 1.0, 1.25]]]),
 'normalize': ([[-0.922138892, -0.3688555568, -0.110656667, 0.0368855557],
                [0.0554273995, 0.1939958984, 0.4157054966, 0.8868383928]],
               [[[-0.088450057, 0.1674905334, 0.3361102165, 0.4719845594],
                 [0.3945264403, 0.0644418019, 0.0490098262, -0.0617279027]]]),
 'normalize_p1_dim0': ([[-0.9259259259, -0.5882352941, -0.1666666667, 0.0303030303],
                        [0.0740740741, 0.4117647059, 0.8333333333, 0.9696969697]],
                       [[[0.0548696845, 0.3027681661, 0.8101851852, 0.0734618916],
                         [0.6858710562, 0.4325259516, 0.162037037, -0.0022956841]]]),
 'normalize_zero_row': ([[0.0, 0.0, 0.0], [0.3333333333, 0.6666666667, 0.6666666667]],
                        [[[500000000000.0, 750000000000.0, 1000000000000.0],
                          [0.2222222222, 0.1111111111, -0.2222222222]]]),
 'cosine_similarity': ([0.5126452905, 0.0163153883, 0.8130278276],
                       [[[-0.022224037, 0.2705204456, -0.2230703257, -0.0309391365],
                         [-0.1325859564, -0.2483143889, 0.1586149054, -0.3451637214],
                         [-0.2202299986, 0.2948684304, -0.475950717, 0.0388879191]],
                        [[-0.1554378822, -0.1246232737, 0.147764453, -0.195978222],
                         [-0.3156317732, 0.3940426608, -0.3930582841, -0.3268040847],
                         [0.3336015832, -0.0998397597, 0.1927186407, -0.0154167635]]]),
 'cosine_similarity_dim0': ([0.2335061627, 0.712412689, 0.5756573465, 0.7995524814],
                            [[[-0.165303411, 0.4872640277, -0.7647580532, 0.0534842358],
                              [-0.1677443138, -0.0908363936, -0.0437339672, -0.0870941763],
                              [-0.2686802697, 0.3220205099, -0.4490945485, -0.6178060801]],
                             [[0.0, 0.0, 0.0, -0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
 'pairwise_distance': ([1.2771084643, 1.8844397305, 0.8797747741],
                       [[[-0.0957269948, -0.350381031, 0.3227435137, -0.117924128],
                         [-0.160760771, 0.5553403474, -0.4776151688, 0.0116971642],
                         [0.1182565837, -0.5370610825, 0.8324098447, -0.0683712259]],
                        [[0.0957269948, 0.350381031, -0.3227435137, 0.117924128],
                         [0.160760771, -0.5553403474, 0.4776151688, -0.0116971642],
                         [-0.1182565837, 0.5370610825, -0.8324098447, 0.0683712259]]]),
 'pairwise_distance_p1': ([[2.2650174218], [3.0287053326], [1.3690164147]],
                          [[[-0.5, -0.5, 0.5, -0.5], [-0.75, 0.75, -0.75, 0.75], [1.0, -1.0, 1.0, -1.0]],
                           [[0.5, 0.5, -0.5, 0.5], [0.75, -0.75, 0.75, -0.75], [-1.0, 1.0, -1.0, 1.0]]])}


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_grads_match_torch(name, device):
    check_case(name, CASES, EXPECTED, INPUTS, device)


# ---------------------------------------------------------------------------- gradcheck
X_GC = np.array([[-2.3, -1.2, -0.7, -0.4], [0.3, 0.6, 1.3, 2.4]])  # away from every kink

GRADCHECK = {
    "relu": lambda x: F.relu(x),
    "relu6": lambda x: F.relu6(x * 3),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "elu": lambda x: F.elu(x, 0.7),
    "selu": lambda x: F.selu(x),
    "celu": lambda x: F.celu(x, 1.3),
    "gelu": lambda x: F.gelu(x),
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": lambda x: F.silu(x),
    "mish": lambda x: F.mish(x),
    "softplus": lambda x: F.softplus(x, beta=2.0, threshold=3.0),
    "softsign": lambda x: F.softsign(x),
    "hardtanh": lambda x: F.hardtanh(x, -0.5, 1.0),
    "hardsigmoid": lambda x: F.hardsigmoid(x * 2),
    "hardswish": lambda x: F.hardswish(x * 2),
    "logsigmoid": lambda x: F.logsigmoid(x),
    "tanhshrink": lambda x: F.tanhshrink(x),
    "threshold": lambda x: F.threshold(x, 0.15, -2.0),
    "glu": lambda x: F.glu(x, 1),
    "softmax": lambda x: F.softmax(x, 1),
    "softmax0": lambda x: F.softmax(x, 0),
    "log_softmax": lambda x: F.log_softmax(x, 1),
    "log_softmax0": lambda x: F.log_softmax(x, 0),
    "softmin": lambda x: F.softmin(x, 1),
    "softshrink": lambda x: F.softshrink(x, 0.25),
    "hardshrink": lambda x: F.hardshrink(x, 0.25),
    "normalize": lambda x: F.normalize(x, dim=1),
    "rrelu_eval": lambda x: F.rrelu(x),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck_activation(name, device):
    check_grad(GRADCHECK[name], X_GC, device=device)


def test_gradcheck_prelu(device):
    check_grad(lambda x, w: F.prelu(x, w), X_GC.reshape(2, 2, 2), np.array([0.1, 0.3]), device=device)
    check_grad(lambda x, w: F.prelu(x, w), X_GC, np.array([0.2]), device=device)


def test_gradcheck_softmax_3d_and_broadcast(device):
    x = _arr(20, 2, 3, 4, lo=-3, hi=3)
    check_grad(lambda t: F.softmax(t, -1), x, device=device)
    check_grad(lambda t: F.log_softmax(t, 1), x, device=device)


def test_gradcheck_linear_and_bilinear(device):
    check_grad(lambda a, w, b: F.linear(a, w, b), INPUTS["a"], INPUTS["w"], INPUTS["b"], device=device)
    check_grad(lambda a, w: F.linear(a, w), INPUTS["a3"], INPUTS["w"], device=device)
    check_grad(lambda a, w, b: F.linear(a, w, b), INPUTS["a1"], INPUTS["w"], INPUTS["b"], device=device)
    check_grad(lambda a, w, b: F.linear(a, w, b), INPUTS["a"], INPUTS["w"][0], np.array(0.3),
               device=device)
    check_grad(lambda x1, x2, w, b: F.bilinear(x1, x2, w, b), INPUTS["x1"], INPUTS["x2"], INPUTS["bw"],
               INPUTS["bb"], device=device)


def test_gradcheck_embedding(device):
    idx = tinynn.tensor(INPUTS["idx"], device=device)
    check_grad(lambda e: F.embedding(idx, e), INPUTS["emb"], device=device)
    # (padding_idx and scale_grad_by_freq change the gradient on purpose, so they are checked
    # against PyTorch's values in CASES instead)


def test_gradcheck_distances(device):
    check_grad(lambda u, v: F.cosine_similarity(u, v), INPUTS["u"], INPUTS["v"], device=device)
    check_grad(lambda u, v: F.pairwise_distance(u, v), INPUTS["u"], INPUTS["v"], device=device)


@pytest.mark.parametrize("name", ["relu", "elu", "gelu", "silu", "mish", "softplus", "logsigmoid",
                                  "hardswish", "hardsigmoid", "leaky_relu", "threshold", "selu"])
def test_activation_zero_dim_and_empty(name, device):
    fn = GRADCHECK[name]
    check_grad(fn, np.array(0.7), device=device)
    e = fn(tinynn.zeros(0, 3, device=device, dtype=tinynn.float64, requires_grad=True))
    assert tuple(e.shape) == (0, 3)
    e.sum().backward()


def test_softmax_zero_dim_and_empty(device):
    s = tinynn.tensor(2.0, device=device, requires_grad=True)
    y = F.softmax(s, 0)
    assert y.item() == 1.0 and F.log_softmax(s, 0).item() == 0.0
    y.backward()
    assert s.grad.item() == 0.0
    assert tuple(F.softmax(tinynn.zeros(0, 3, device=device), 1).shape) == (0, 3)
    assert tuple(F.log_softmax(tinynn.zeros(2, 0, device=device), 1).shape) == (2, 0)


# ---------------------------------------------------------------------------- softmax specifics
def test_softmax_without_dim_warns_and_picks_torchs_dim(device):
    for shape, dim in [((4,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)]:
        x = tinynn.tensor(_arr(30, *shape), device=device)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
            y = F.softmax(x)
        assert_close(y, F.softmax(x, dim))
        with pytest.warns(UserWarning, match="log_softmax"):
            assert_close(F.log_softmax(x), F.log_softmax(x, dim))
        with pytest.warns(UserWarning, match="softmin"):
            assert_close(F.softmin(x), F.softmin(x, dim))


def test_softmax_stable_for_huge_logits(device):
    x = tinynn.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4 + 1.0, -1e4]], device=device, requires_grad=True)
    y = F.log_softmax(x, 1)
    assert_close(y, [[0.0, -2e4, -1e4], [-1.5514447, -0.5514447, -1.5514447]], rtol=1e-6)
    p = F.softmax(x, 1)
    assert np.isfinite(p.detach().cpu().numpy()).all()
    assert_close(p, [[1.0, 0.0, 0.0], [0.21194156, 0.57611688, 0.21194156]])
    (y * tinynn.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], device=device)).sum().backward()
    assert_close(x.grad, [[-5.0, 2.0, 3.0], [0.36417532, -0.72835065, 0.36417532]], rtol=1e-5, atol=1e-6)


def test_softmax_dtype_methods_and_errors(device):
    x = tinynn.tensor([[1.0, 2.0, 3.0]], device=device)
    y = F.softmax(x, 1, dtype=tinynn.float64)
    assert y.dtype == tinynn.float64
    assert_close(y, [[0.09003057, 0.24472847, 0.66524096]])
    assert_close(x.softmax(1), y)
    assert_close(x.log_softmax(-1), np.log([[0.09003057, 0.24472847, 0.66524096]]))
    assert_close(tinynn.softmax(x, 1), y)
    assert F.softmax(x, 1).grad_fn is None
    assert F.softmax(x.requires_grad_(), 1).grad_fn.name() == "SoftmaxBackward0"
    assert F.log_softmax(x, 1).grad_fn.name() == "LogSoftmaxBackward0"
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.softmax(tinynn.tensor([1, 2], device=device), 0)
    assert_close(F.softmax(tinynn.tensor([1, 2], device=device), 0, dtype=tinynn.float32),
                 [0.26894142, 0.73105858])
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(x, 2)


def test_activation_dtype_and_node_names(device):
    x = tinynn.tensor([[-1.0, 2.0]], device=device, requires_grad=True)
    assert F.gelu(x).dtype == tinynn.float32
    names = {"relu6": F.relu6(x), "hardtanh": F.hardtanh(x), "leaky_relu": F.leaky_relu(x),
             "elu": F.elu(x), "selu": F.selu(x), "celu": F.celu(x), "gelu": F.gelu(x), "silu": F.silu(x),
             "mish": F.mish(x), "softplus": F.softplus(x), "logsigmoid": F.logsigmoid(x),
             "hardswish": F.hardswish(x), "hardsigmoid": F.hardsigmoid(x)}
    expect = {"relu6": "HardtanhBackward0", "hardtanh": "HardtanhBackward0",
              "leaky_relu": "LeakyReluBackward0", "elu": "EluBackward0", "selu": "EluBackward0",
              "celu": "CeluBackward0", "gelu": "GeluBackward0", "silu": "SiluBackward0",
              "mish": "MishBackward0", "softplus": "SoftplusBackward0",
              "logsigmoid": "LogSigmoidBackward0", "hardswish": "HardswishBackward0",
              "hardsigmoid": "HardsigmoidBackward0"}
    for k, v in names.items():
        assert v.grad_fn.name() == expect[k], k
    with pytest.raises(NotImplementedError, match='"GeluKernelImpl" not implemented for \'Long\''):
        F.gelu(tinynn.tensor([1, 2], device=device))
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(x, approximate="fast")
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0"):
        F.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(tinynn.ones(2, 3, device=device), 1)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size"):
        F.prelu(tinynn.ones(2, 3, device=device), tinynn.ones(2, device=device))


def test_float32_activation_values(device):
    x = tinynn.tensor(X, dtype=tinynn.float32, device=device)
    for name in ("gelu", "silu", "mish", "softplus", "logsigmoid", "elu", "selu", "hardswish"):
        y = CASES[name][0](tinynn, F, x)
        assert y.dtype == tinynn.float32
        assert_close(y, EXPECTED[name][0], rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------- in-place variants
def test_inplace_activations_keep_identity_and_graph(device):
    x = tinynn.tensor([-1.0, 2.0, -3.0], device=device)
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0, 0.0]
    y = tinynn.tensor([-1.0, 2.0], device=device)
    assert tinynn.relu_(y) is y and F.relu_(y) is y and y.tolist() == [0.0, 2.0]
    z = tinynn.tensor([-2.0, 0.5, 3.0], device=device)
    assert F.leaky_relu(z, 0.5, inplace=True) is z and z.tolist() == [-1.0, 0.5, 3.0]
    z2 = tinynn.tensor([-2.0, 0.5, 3.0], device=device)
    assert F.hardtanh(z2, inplace=True) is z2 and z2.tolist() == [-1.0, 0.5, 1.0]
    z3 = tinynn.tensor([-2.0, 0.5, 7.0], device=device)
    assert F.relu6(z3, inplace=True) is z3 and z3.tolist() == [0.0, 0.5, 6.0]
    z4 = tinynn.tensor([0.1, 0.5], device=device)
    assert F.threshold(z4, 0.2, -1.0, inplace=True) is z4 and z4.tolist() == [-1.0, 0.5]
    z5 = tinynn.tensor([-1.0, 1.0], device=device)
    assert F.elu(z5, inplace=True) is z5
    assert_close(z5, [math.exp(-1) - 1, 1.0])
    for f in (F.selu, F.celu, F.silu, F.mish, F.hardswish, F.hardsigmoid):
        t = tinynn.tensor([-1.0, 1.0], device=device)
        assert f(t, inplace=True) is t

    # in a graph: the history is rebased and gradients are right
    a = tinynn.tensor([-1.0, 2.0, -3.0, 0.5], device=device, requires_grad=True)
    h = a * 2
    out = F.relu(h, inplace=True)
    assert out is h
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 2.0, 0.0, 2.0]
    b = tinynn.tensor([-1.0, 2.0], device=device, requires_grad=True)
    hb = b * 1.0
    F.elu(hb, inplace=True).sum().backward()
    assert_close(b.grad, [math.exp(-1), 1.0])
    leaf = tinynn.tensor([-1.0, 2.0], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.relu(leaf, inplace=True)


# ---------------------------------------------------------------------------- linear
def test_linear_float32_and_errors(device):
    a = tinynn.tensor(INPUTS["a"], dtype=tinynn.float32, device=device, requires_grad=True)
    w = tinynn.tensor(INPUTS["w"], dtype=tinynn.float32, device=device, requires_grad=True)
    b = tinynn.tensor(INPUTS["b"], dtype=tinynn.float32, device=device, requires_grad=True)
    y = F.linear(a, w, b)
    assert y.dtype == tinynn.float32 and y.grad_fn.name() == "AddmmBackward0"
    assert F.linear(a, w).grad_fn.name() == "MmBackward0"
    assert_close(y, EXPECTED["linear"][0], rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x2\)"):
        F.linear(a, tinynn.ones(2, 3, device=device))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        F.linear(a, w.double())
    with pytest.raises(RuntimeError):
        F.linear(a, w, tinynn.ones(3, device=device))
    with pytest.raises(TypeError):
        F.linear(INPUTS["a"], w)
    # no graph when nothing requires grad
    assert F.linear(a.detach(), w.detach(), b.detach()).grad_fn is None


def test_linear_double_backward(device):
    a = tinynn.tensor(INPUTS["a"], device=device, requires_grad=True)
    w = tinynn.tensor(INPUTS["w"], device=device, requires_grad=True)
    y = F.linear(a, w)
    (ga,) = tinynn.autograd.grad((y * y).sum(), a, create_graph=True)
    ga.sum().backward()
    # d/dw sum(2 (a w^T) w) computed by hand: 2 (ones @ w)^T-contractions
    wn, an = INPUTS["w"], INPUTS["a"]
    expected = 2 * (np.ones((3, 4)) @ wn.T).T @ an + 2 * (an @ wn.T).T @ np.ones((3, 4))
    assert_close(w.grad, expected)


# ---------------------------------------------------------------------------- dropout
def test_dropout_training_statistics_and_scaling(device):
    tinynn.manual_seed(0)
    x = tinynn.ones(200, 100, device=device, requires_grad=True)
    y = F.dropout(x, p=0.3)
    vals = np.unique(y.detach().cpu().numpy())
    assert_close(vals, [0.0, 1 / 0.7], rtol=1e-6)
    keep = (y.detach().cpu().numpy() != 0).mean()
    assert abs(keep - 0.7) < 0.02
    y.sum().backward()
    assert_close(x.grad, y.detach())  # gradient is the scaled mask
    tinynn.manual_seed(0)
    y2 = F.dropout(tinynn.ones(200, 100, device=device), p=0.3)
    assert_close(y2, y.detach())  # same seed, same mask
    assert y.dtype == tinynn.float32


def test_dropout_identity_cases_and_errors(device):
    x = tinynn.ones(3, 4, device=device)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 1.0).abs().sum().item() == 0.0
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError):
        F.dropout(x, -0.1)
    t = tinynn.ones(50, 50, device=device)
    assert F.dropout(t, 0.5, inplace=True) is t
    assert set(np.unique(t.cpu().numpy()).tolist()) <= {0.0, 2.0}


def test_channel_dropout(device):
    tinynn.manual_seed(1)
    x = tinynn.ones(8, 16, 5, 5, device=device)
    y = F.dropout2d(x, 0.5).cpu().numpy()
    per_channel = y.reshape(8, 16, -1)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # whole channels kept or dropped
    assert set(np.unique(per_channel).tolist()) <= {0.0, 2.0}
    assert 0 < (per_channel[..., 0] == 0).sum() < 8 * 16
    y1 = F.dropout1d(tinynn.ones(4, 6, 7, device=device), 0.5).cpu().numpy()
    assert (y1.min(-1) == y1.max(-1)).all()
    y1u = F.dropout1d(tinynn.ones(6, 7, device=device), 0.5)
    assert tuple(y1u.shape) == (6, 7)
    y3 = F.dropout3d(tinynn.ones(2, 4, 3, 3, 3, device=device), 0.5).cpu().numpy().reshape(2, 4, -1)
    assert (y3.min(-1) == y3.max(-1)).all()
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(x, 0.5)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(tinynn.ones(2, 3, 4, device=device), 0.5)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F.dropout2d(tinynn.ones(2, 3, device=device), 0.5)
    assert F.dropout2d(x, 0.5, training=False) is x


def test_alpha_dropout_keeps_mean_and_variance(device):
    tinynn.manual_seed(2)
    x = tinynn.randn(400, 250, device=device)
    y = F.alpha_dropout(x, 0.2, training=True).cpu().numpy()
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1.0) < 0.03
    assert F.alpha_dropout(x, 0.2) is x  # training defaults to False
    z = F.feature_alpha_dropout(tinynn.randn(50, 40, 3, device=device), 0.5, training=True)
    assert tuple(z.shape) == (50, 40, 3)


# ---------------------------------------------------------------------------- embedding
def test_embedding_behaviour_and_errors(device):
    w = tinynn.tensor(INPUTS["emb"], device=device, requires_grad=True)
    idx = tinynn.tensor([[0, 2, 5], [2, 2, 1]], device=device)
    out = F.embedding(idx, w, padding_idx=2)
    assert tuple(out.shape) == (2, 3, 3) and out.grad_fn.name() == "EmbeddingBackward0"
    out.sum().backward()
    g = w.grad.cpu().numpy()
    assert (g[2] == 0).all() and g[0].tolist() == [1.0] * 3 and (g[3] == 0).all()
    w.grad = None
    F.embedding(idx, w).sum().backward()
    assert w.grad.cpu().numpy()[2].tolist() == [3.0] * 3  # repeated indices accumulate
    assert F.embedding(idx, w, padding_idx=-1).requires_grad
    if tinynn.device(device).type == "cpu":  # (a GPU skips the range check: a host round trip)
        with pytest.raises(IndexError, match="index out of range in self"):
            F.embedding(tinynn.tensor([6], device=device), w)
        with pytest.raises(IndexError, match="index out of range in self"):
            F.embedding(tinynn.tensor([-1], device=device), w)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the "
                                           "following scalar types: Long, Int"):
        F.embedding(tinynn.tensor([1.0], device=device), w)
    assert F.embedding(tinynn.tensor([1, 3], dtype=tinynn.int32, device=device), w).shape == (2, 3)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(idx, w, padding_idx=6)


def test_embedding_max_norm_renormalises_rows_in_place(device):
    w = tinynn.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]], device=device)
    out = F.embedding(tinynn.tensor([0, 1], device=device), w, max_norm=1.0)
    assert_close(w, [[0.6, 0.8], [0.3, 0.4], [6.0, 8.0]], rtol=1e-6)  # only rows used are touched
    assert_close(out, [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)


def test_embedding_bag_modes(device):
    w = tinynn.tensor(INPUTS["emb"], device=device, requires_grad=True)
    idx = tinynn.tensor([[0, 2, 5], [2, 2, 1]], device=device)
    e = INPUTS["emb"]
    assert_close(F.embedding_bag(idx, w, mode="sum"), e[[0, 2, 5]].sum(0)[None].tolist()
                 + e[[2, 2, 1]].sum(0)[None].tolist())
    assert_close(F.embedding_bag(idx, w), np.stack([e[[0, 2, 5]].mean(0), e[[2, 2, 1]].mean(0)]))
    assert_close(F.embedding_bag(idx, w, mode="max"), np.stack([e[[0, 2, 5]].max(0), e[[2, 2, 1]].max(0)]))
    assert_close(F.embedding_bag(idx, w, mode="mean", padding_idx=2), np.stack([e[[0, 5]].mean(0), e[1]]))


# ---------------------------------------------------------------------------- one_hot
def test_one_hot(device):
    t = tinynn.tensor([0, 2, 1], device=device)
    oh = F.one_hot(t)
    assert oh.dtype == tinynn.int64 and oh.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(t, 4).shape == (3, 4)
    assert F.one_hot(tinynn.tensor([[1], [0]], device=device), 2).tolist() == [[[0, 1]], [[1, 0]]]
    assert F.one_hot(tinynn.tensor(1, device=device), 3).tolist() == [0, 1, 0]
    assert F.one_hot(tinynn.tensor([], dtype=tinynn.int64, device=device), 3).shape == (0, 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(tinynn.tensor([1, -1], device=device))
    if tinynn.device(device).type == "cpu":  # (a GPU skips the range check: a host round trip)
        with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
            F.one_hot(tinynn.tensor([1, 3], device=device), 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        F.one_hot(tinynn.tensor([1.0], device=device))
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor."):
        F.one_hot(tinynn.tensor([], dtype=tinynn.int64, device=device))


def test_normalize_out_and_warnings_free(device):
    x = tinynn.tensor(X, device=device)
    out = tinynn.empty(2, 4, dtype=tinynn.float64, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = F.normalize(x, out=out)
    assert r is out
    assert_close(out, EXPECTED["normalize"][0])
