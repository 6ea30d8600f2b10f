"""Attention: scaled_dot_product_attention, MultiheadAttention and the Transformer layers.

Outputs, attention weights and gradients are checked against literals real PyTorch 2.13 gave with
the same weights (filled from NumPy seeds; `EXPECTED` at the bottom), state-dict keys against
PyTorch's, and the functions are gradchecked and gradgradchecked in float64."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from helpers import assert_close, check_grad


def r(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def t(a, device, requires_grad=False):
    return tinynn.tensor(a, device=device, requires_grad=requires_grad)


def fill(m, seed, device):
    with tinynn.no_grad():
        for i, (_, p) in enumerate(m.named_parameters()):
            p.copy_(t(r(seed + i, *p.shape) * 0.5, device))
    return m


def test_sdpa_literals(device):
    e = EXPECTED["sdpa_mask"]
    q, k, v = t(r(1, 1, 2, 3, 4), device, True), t(r(2, 1, 2, 5, 4), device, True), t(r(3, 1, 2, 5, 2), device, True)
    mask = tinynn.tensor(e["mask"], device=device)  # True = takes part
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    y.backward(t(r(5, *y.shape), device))
    for got, key in ((y, "y"), (q.grad, "gq"), (k.grad, "gk"), (v.grad, "gv")):
        assert_close(got, e[key], atol=1e-5)
    y2 = F.scaled_dot_product_attention(q.detach(), k.detach()[:, :, :3], v.detach()[:, :, :3],
                                        is_causal=True, scale=0.7)
    assert_close(y2, EXPECTED["sdpa_causal"], atol=1e-5)


def test_sdpa_by_hand_and_masks(device):
    q, k, v = (t(r(s, 2, 4, 8), device) for s in (20, 21, 22))
    ref = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(8), -1) @ v
    assert_close(F.scaled_dot_product_attention(q, k, v), ref, atol=1e-6)
    # a float mask is added; a bool mask keeps the True positions
    fm = t(r(23, 4, 4), device)
    ref = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(8) + fm, -1) @ v
    assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=fm), ref, atol=1e-6)
    causal = tinynn.ones(4, 4, dtype=tinynn.bool, device=device).tril()
    assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=causal),
                 F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-6)
    # a row with every position masked gives zeros (and zero gradients), not NaN
    qq = t(r(24, 2, 4, 8), device, True)
    m = tinynn.ones(4, 4, dtype=tinynn.bool, device=device)
    m[1] = False
    y = F.scaled_dot_product_attention(qq, k, v, attn_mask=m)
    assert np.abs(y.detach().cpu().numpy()[:, 1]).max() == 0
    y.sum().backward()
    assert np.isfinite(qq.grad.detach().cpu().numpy()).all()
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=causal, is_causal=True)
    # dropout_p drops attention weights (training-style, always on in the functional)
    tinynn.manual_seed(0)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(a.detach().cpu().numpy(), F.scaled_dot_product_attention(q, k, v).detach().cpu().numpy())


def test_sdpa_gradcheck(device):
    rng = np.random.default_rng(30)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 2))
    check_grad(F.scaled_dot_product_attention, q, k, v, device=device)
    check_grad(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
               q, k[:, :3], v[:, :3], device=device)
    mask = tinynn.tensor(rng.random((3, 5)) > 0.3, device=device)
    check_grad(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), q, k, v,
               device=device)


def test_multihead_attention_literals(device):
    mha = fill(nn.MultiheadAttention(4, 2).to(device), 10, device)
    x = t(r(6, 3, 2, 4), device, True)
    kpm = tinynn.tensor([[False, False, True], [False, False, False]], device=device)
    o, w = mha(x, x, x, key_padding_mask=kpm)
    o.backward(t(r(7, *o.shape), device))
    e = EXPECTED["mha"]
    assert_close(o, e["o"], atol=1e-5)
    assert_close(w, e["w"], atol=1e-5)
    assert_close(x.grad, e["gx"], atol=1e-5)
    assert_close(mha.in_proj_weight.grad, e["gin"], atol=1e-5)
    # need_weights=False takes the fused attention path: same output, no weights
    o2, w2 = mha(x, x, x, key_padding_mask=kpm, need_weights=False)
    assert w2 is None
    assert_close(o2, o, atol=1e-6)


def test_multihead_attention_kdim_vdim_bias_kv_literals(device):
    mha = fill(nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, batch_first=True).to(device),
               30, device)
    o, w = mha(t(r(8, 2, 3, 4), device), t(r(9, 2, 4, 3), device), t(r(10, 2, 4, 5), device),
               average_attn_weights=False)
    assert tuple(w.shape) == (2, 2, 3, 5)
    assert_close(o, EXPECTED["mha_kv"]["o"], atol=1e-5)
    assert_close(w, EXPECTED["mha_kv"]["w"], atol=1e-5)


def test_state_dict_keys_are_pytorchs():
    assert list(nn.MultiheadAttention(4, 2).state_dict()) == \
        ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert list(nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True).state_dict()) == \
        ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k", "bias_v",
         "out_proj.weight", "out_proj.bias"]
    assert list(nn.MultiheadAttention(4, 2, bias=False).state_dict()) == ["in_proj_weight",
                                                                         "out_proj.weight"]
    keys = list(nn.Transformer(4, 2, 1, 1, 8).state_dict())
    assert keys[:4] == ["encoder.layers.0.self_attn.in_proj_weight",
                        "encoder.layers.0.self_attn.in_proj_bias",
                        "encoder.layers.0.self_attn.out_proj.weight",
                        "encoder.layers.0.self_attn.out_proj.bias"]
    assert "decoder.layers.0.multihead_attn.in_proj_weight" in keys
    assert keys[-2:] == ["decoder.norm.weight", "decoder.norm.bias"]
    assert len(keys) == 34
    assert repr(nn.MultiheadAttention(4, 2)) == (
        "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=4, "
        "out_features=4, bias=True)\n)")


def test_multihead_attention_init_and_errors():
    tinynn.manual_seed(0)
    m = nn.MultiheadAttention(8, 2)
    assert np.abs(m.in_proj_bias.detach().cpu().numpy()).max() == 0  # biases start at zero
    assert np.abs(m.out_proj.bias.detach().cpu().numpy()).max() == 0
    bound = np.sqrt(6 / (8 + 24))  # xavier_uniform_ on the (3E, E) packed projection
    assert np.abs(m.in_proj_weight.detach().cpu().numpy()).max() <= bound
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(0, 2)
    x = tinynn.zeros(3, 2, 8, device=m.in_proj_weight.device)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is \\(2, 2\\), but should be "
                                           "\\(3, 3\\)."):
        m(x, x, x, attn_mask=tinynn.zeros(2, 2, device=x.device))


def test_multihead_attention_masks_and_layouts(device):
    tinynn.manual_seed(1)
    m = nn.MultiheadAttention(8, 4).to(device).eval()
    x = tinynn.randn(5, 2, 8, device=device)
    causal = nn.Transformer.generate_square_subsequent_mask(5, device=device)
    assert causal.dtype == tinynn.float32 and np.isinf(causal.detach().cpu().numpy()[0, 1])
    bool_causal = tinynn.ones(5, 5, dtype=tinynn.bool, device=device).triu(1)  # True = masked
    a = m(x, x, x, attn_mask=causal)[0]
    assert_close(m(x, x, x, attn_mask=bool_causal)[0], a, atol=1e-6)
    assert_close(m(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)[0], a, atol=1e-6)
    # the first query sees only the first key: its weights are one-hot
    w = m(x, x, x, attn_mask=causal)[1]
    assert_close(w[:, 0, 0], [1.0, 1.0])
    # batch_first and unbatched inputs give the same numbers
    mb = nn.MultiheadAttention(8, 4, batch_first=True).to(device).eval()
    mb.load_state_dict(m.state_dict())
    assert_close(mb(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1))[0].transpose(0, 1),
                 m(x, x, x)[0], atol=1e-6)
    assert_close(m(x[:, 0], x[:, 0], x[:, 0])[0], m(x, x, x)[0][:, 0], atol=1e-6)


def test_multihead_attention_gradcheck(device):
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2).double().to(device)
    rng = np.random.default_rng(40)
    q, k, v = rng.standard_normal((3, 1, 4)), rng.standard_normal((2, 1, 3)), rng.standard_normal((2, 1, 2))
    check_grad(lambda q, k, v: m(q, k, v)[0], q, k, v, device=device)


def test_transformer_encoder_layer_literals(device):
    enc = fill(nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0).to(device), 50, device).eval()
    y = enc(t(r(11, 3, 2, 4), device), src_mask=nn.Transformer.generate_square_subsequent_mask(3, device=device))
    assert_close(y, EXPECTED["enc"], atol=1e-5)
    enc2 = fill(nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", norm_first=True,
                                           batch_first=True).to(device), 70, device)
    x = t(r(12, 2, 3, 4), device, True)
    y = enc2(x)
    y.backward(t(r(13, 2, 3, 4), device))
    assert_close(y, EXPECTED["enc_nf"]["y"], atol=1e-5)
    assert_close(x.grad, EXPECTED["enc_nf"]["gx"], atol=1e-5)
    assert [n for n, _ in enc.named_children()] == ["self_attn", "linear1", "dropout", "linear2",
                                                    "norm1", "norm2", "dropout1", "dropout2"]


def test_transformer_stack_trains(device):
    tinynn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    model = nn.Sequential()
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)).to(device)
    head = nn.Linear(8, 1).to(device)
    assert enc.layers[0] is not enc.layers[1]  # deep copies
    rng = np.random.default_rng(41)
    x = t(rng.standard_normal((8, 5, 8)).astype(np.float32), device)
    y = t(rng.standard_normal((8, 5, 1)).astype(np.float32), device)
    params = list(enc.parameters()) + list(head.parameters())
    losses = []
    for _ in range(40):
        loss = ((head(enc(x)) - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with tinynn.no_grad():
            for p in params:
                p -= 0.05 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    del model
    full = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0).to(device)
    out = full(tinynn.randn(5, 2, 8, device=device), tinynn.randn(4, 2, 8, device=device),
               tgt_mask=nn.Transformer.generate_square_subsequent_mask(4, device=device))
    assert tuple(out.shape) == (4, 2, 8)
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        full(tinynn.randn(5, 2, 8, device=device), tinynn.randn(4, 2, 6, device=device))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_transformer_live_torch(device):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional live oracle)")
    tm = torch.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, batch_first=True)
    nm = nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, batch_first=True).to(device)
    assert list(tm.state_dict()) == list(nm.state_dict())
    nm.load_state_dict({k: tinynn.tensor(v.numpy(), device=device) for k, v in tm.state_dict().items()})
    src, tgt = r(50, 2, 5, 8), r(51, 2, 4, 8)
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    ts, tt = torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    ns, nt = t(src, device, True), t(tgt, device, True)
    to = tm(ts, tt, tgt_mask=tm.generate_square_subsequent_mask(4), src_key_padding_mask=torch.tensor(kpm),
            memory_key_padding_mask=torch.tensor(kpm))
    no = nm(ns, nt, tgt_mask=nm.generate_square_subsequent_mask(4, device=device),
            src_key_padding_mask=tinynn.tensor(kpm, device=device),
            memory_key_padding_mask=tinynn.tensor(kpm, device=device))
    to.pow(2).sum().backward()
    no.pow(2).sum().backward()
    assert_close(no, to.detach().numpy(), atol=1e-5)
    assert_close(ns.grad, ts.grad.numpy(), atol=1e-4)
    assert_close(nt.grad, tt.grad.numpy(), atol=1e-4)

# printed once from PyTorch 2.13 (see the seeds above); rounded to 5 decimals
EXPECTED = {'enc': [[[0.51831, -0.70384, 0.42544, -1.07489], [0.18274, -0.74093, 0.0885, -1.0667]],
         [[0.34983, -0.74015, 0.22655, -1.05548], [0.50612, -0.58212, 1.05215, -0.51496]],
         [[0.54885, -0.64634, 0.94844, -0.5037], [0.24451, -0.75874, 0.14507, -0.99144]]],
 'enc_nf': {'gx': [[[1.75409, -2.98076, 1.58391, -0.58111], [1.26399, 0.59007, 1.7784, -0.06957],
                    [-0.87892, 0.15125, 0.45087, 0.41632]],
                   [[-0.21202, 0.66278, 0.68554, -0.45379], [-0.9191, -1.51495, 1.59439, 0.12007],
                    [1.30063, 0.7594, 1.94637, 1.22941]]],
            'y': [[[0.8554, 1.48427, 1.84846, -0.03225], [1.87965, -0.5366, 0.71119, -1.69229],
                   [0.61936, 1.49451, 1.12568, -0.20071]],
                  [[-1.56913, 0.67251, 0.12287, 0.88307], [1.30449, 1.47043, 1.17489, -0.01786],
                   [0.85927, 0.26944, 0.80104, -0.62219]]]},
 'mha': {'gin': [[-0.21478, -0.0566, 0.31754, 0.29547], [0.13172, 0.32687, -0.06208, 0.45454],
                 [0.02118, -0.01975, -0.05829, -0.15188], [0.01546, 0.03834, 0.02326, 0.0697],
                 [-0.1674, -0.18366, 0.63033, -0.13788], [-0.19963, -0.62043, -0.33628, -0.43222],
                 [-0.0003, 0.00494, 0.07343, 0.00017], [-0.24041, -0.27225, 0.13445, -0.16379],
                 [3.61111, 1.81227, -1.07054, -3.9071], [-0.89994, -1.74164, 2.32022, 0.59867],
                 [0.78825, 0.25161, -0.37336, -1.39852], [-2.31012, -1.71822, 2.17373, 3.91766]],
         'gx': [[[0.03572, -0.6824, -0.25968, 1.46467], [-0.22461, 0.46554, -0.00527, -0.60436]],
                [[0.34002, -1.03171, -0.17196, 1.22561], [-0.12866, 1.07195, -0.04572, -2.31547]],
                [[0.06704, 0.05777, 0.08343, 0.00801], [-0.5322, 0.45672, -0.42092, -1.68119]]],
         'o': [[[0.49946, -1.44885, 0.19118, 1.02436], [0.51086, 0.01057, -0.29077, -1.96943]],
               [[0.48054, -1.39306, 0.16451, 0.97736], [0.5183, -0.14756, -0.27938, -1.79257]],
               [[0.46719, -1.32828, 0.12843, 0.90427], [0.5427, -0.16471, -0.27615, -1.82233]]],
         'w': [[[0.49761, 0.50239, 0.0], [0.52783, 0.47217, 0.0], [0.56073, 0.43927, 0.0]],
               [[0.17742, 0.52113, 0.30145], [0.16492, 0.37087, 0.4642],
                [0.14598, 0.35772, 0.49631]]]},
 'mha_kv': {'o': [[[0.29095, -0.09643, -1.01356, -0.44567], [0.09904, 0.09387, -1.06654, -0.40252],
                   [0.12728, 0.05481, -0.81701, -0.14784]],
                  [[0.44258, -0.13542, -0.92769, 0.68847], [0.41185, -0.10582, -0.88764, 0.74819],
                   [0.39195, -0.08839, -0.89517, 0.70748]]],
            'w': [[[[0.16942, 0.17732, 0.22343, 0.16084, 0.26899],
                    [0.33808, 0.24654, 0.2252, 0.13925, 0.05093],
                    [0.19297, 0.19885, 0.16688, 0.24434, 0.19695]],
                   [[0.36123, 0.11573, 0.19533, 0.22515, 0.10255],
                    [0.1788, 0.14725, 0.19868, 0.24453, 0.23075],
                    [0.05487, 0.21758, 0.14656, 0.15192, 0.42906]]],
                  [[[0.61135, 0.06044, 0.24133, 0.05941, 0.02746],
                    [0.51336, 0.08999, 0.26315, 0.08694, 0.04655],
                    [0.41423, 0.12329, 0.22863, 0.13163, 0.10221]],
                   [[0.2479, 0.17152, 0.08296, 0.23764, 0.25998],
                    [0.13101, 0.20659, 0.08173, 0.27855, 0.30211],
                    [0.11584, 0.22297, 0.11114, 0.2682, 0.28185]]]]},
 'sdpa_causal': [[[[2.04092, -2.55567], [0.50968, -0.67996], [0.37722, -0.67622]],
                  [[0.22579, -0.35263], [0.06302, -0.45388], [-0.51178, -0.45374]]]],
 'sdpa_mask': {'gk': [[[[0.16362, 0.32643, 0.12146, -0.40702],
                        [-0.07826, -0.01712, 0.08288, -0.02796],
                        [-0.00096, 0.01464, 0.00855, -0.05317],
                        [-0.04416, -0.04149, -0.01599, -0.08226],
                        [-0.04025, -0.28247, -0.1969, 0.5704]],
                       [[0.01569, 0.00172, 0.01842, -0.00635],
                        [-0.01701, 0.02057, 0.12278, 0.07321],
                        [-0.07941, -0.00629, -0.10438, 0.02337],
                        [1e-05, 0.00016, -0.00197, -0.00134],
                        [0.08072, -0.01617, -0.03485, -0.0889]]]],
               'gq': [[[[-0.12128, 0.05105, -0.1742, -0.52001],
                        [-0.19488, -0.2507, 0.07053, -0.21847],
                        [0.27634, 0.25839, -0.19722, -0.11502]],
                       [[-0.2036, -0.24187, 0.2362, 0.02024], [0.09478, 0.00946, -0.35576, 0.1365],
                        [0.03992, 0.08948, 0.03511, -0.05904]]]],
               'gv': [[[[-0.28046, -0.63495], [0.14674, 0.14089], [0.08114, -0.18358],
                        [0.15721, 0.06592], [-0.01888, -0.18249]],
                       [[-0.03869, -0.41158], [0.12528, -0.07658], [-0.14671, -0.74654],
                        [0.27147, 0.26779], [0.25751, 0.58359]]]],
               'mask': [[True, True, True, False, True], [False, True, False, True, True],
                        [True, True, True, True, True]],
               'y': [[[[0.8195, -0.7065], [-0.05696, 0.06696], [-0.1813, -0.02919]],
                      [[-0.18623, -0.3654], [0.59771, -0.29385], [-0.22788, -0.40637]]]]}}
