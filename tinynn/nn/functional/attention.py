"""Attention (nn.functional names): scaled_dot_product_attention and multi_head_attention_forward.

Both are compositions of differentiable ops (matmul, softmax, dropout, linear), so gradients of
any order come from the ops themselves."""
from __future__ import annotations

import math
import sys

from ... import ops as _ops

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _F():
    """nn.functional itself (linear, dropout live in sibling files; looked up at call time)."""
    return sys.modules["tinynn.nn.functional"]


def _additive_mask(mask, dtype, device, allow_is_true=True):
    """A bool mask (True = `allow_is_true` ? take part : masked out) or a float mask -> additive."""
    if mask is None:
        return None
    if mask.dtype.is_floating_point:
        return mask if mask.dtype == dtype else mask.to(dtype)
    if mask.dtype.name != "bool":
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but "
                           f"got attn_mask.dtype: {_c10_name(mask.dtype)} and  query.dtype: "
                           f"{_c10_name(dtype)} instead.")
    blocked = mask.logical_not() if allow_is_true else mask
    zeros = _ops.zeros(tuple(mask.shape), dtype=dtype, device=device)
    return zeros.masked_fill(blocked, float("-inf"))


_C10_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "bool": "bool"}


def _c10_name(dtype):
    """PyTorch's C++ names of dtypes, as its error messages print them."""
    return _C10_NAMES.get(dtype.name, dtype.name)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False):
    """softmax(Q K^T * scale + mask) V over the last two dims, batched over the leading ones.

    A bool `attn_mask` marks with True the positions that take part; a float one is added. Rows
    whose every position is masked give zeros (as PyTorch's CPU kernels do), not NaN."""
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("scaled_dot_product_attention: expected query, key and value to have at "
                           "least 2 dimensions")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                           "is_causal=True")
    L, E = query.shape[-2], query.shape[-1]
    S = key.shape[-2]
    if key.shape[-1] != E:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{_prod(key.shape[:-2]) or 1}, {E}] but got: "
                           f"[{_prod(key.shape[:-2]) or 1}, {key.shape[-1]}].")
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(rep, dim=-3)
        value = value.repeat_interleave(rep, dim=-3)
    scale_factor = 1.0 / math.sqrt(E) if scale is None else float(scale)
    mask = None
    if is_causal:
        allowed = _ops.ones((L, S), dtype=_bool(), device=query.device).tril(diagonal=0)
        mask = _additive_mask(allowed, query.dtype, query.device)
    elif attn_mask is not None:
        mask = _additive_mask(attn_mask, query.dtype, query.device)
    scores = _ops.matmul(query, key.transpose(-2, -1)) * scale_factor
    if mask is not None:
        scores = scores + mask
    dead = None
    if mask is not None and not is_causal:
        # a row masked everywhere would be NaN after softmax: PyTorch's kernels return 0 there (and a
        # zero gradient), so such rows go through softmax as zeros and are zeroed afterwards (always
        # applied: testing whether any row is dead would cost a device-to-host sync per call)
        dead = (scores == float("-inf")).all(dim=-1, keepdim=True)
        scores = scores.masked_fill(dead, 0.0)
    weights = _ops.softmax(scores, -1)
    if dead is not None:
        weights = weights.masked_fill(dead, 0.0)
    if dropout_p > 0.0:
        weights = _F().dropout(weights, dropout_p, training=True)
    return _ops.matmul(weights, value)


def _prod(t):
    p = 1
    for v in t:
        p *= v
    return p


def _bool():
    import tinynn  # noqa: PLC0415
    return tinynn.bool


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                                 out_proj_weight, out_proj_bias, training=True, key_padding_mask=None,
                                 need_weights=True, attn_mask=None, use_separate_proj_weight=False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None,
                                 static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """PyTorch's multi-head attention on (L, N, E) query and (S, N, E) key/value (or unbatched).

    Returns (attn_output, attn_weights); weights are (N, L, S) averaged over heads, (N, H, L, S)
    with average_attn_weights=False, or None when need_weights=False."""
    F = _F()
    is_batched = query.dim() == 3
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got "
                             f"{embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the SDPA path builds the causal mask itself
    else:
        is_causal = False

    # ---- input projections
    if not use_separate_proj_weight:
        E = embed_dim
        if query is key and key is value:
            proj = F.linear(query, in_proj_weight, in_proj_bias)
            q, k, v = proj.chunk(3, dim=-1)
        else:
            w_q, w_k, w_v = in_proj_weight.chunk(3)
            b_q = b_k = b_v = None
            if in_proj_bias is not None:
                b_q, b_k, b_v = in_proj_bias.chunk(3)
            q = F.linear(query, w_q, b_q)
            k = F.linear(key, w_k, b_k)
            v = F.linear(value, w_v, b_v)
        del E
    else:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q = F.linear(query, q_proj_weight, b_q)
        k = F.linear(key, k_proj_weight, b_k)
        v = F.linear(value, v_proj_weight, b_v)

    # ---- masks as additive float masks (True = masked out, as nn.MultiheadAttention documents)
    if attn_mask is not None:
        attn_mask = _additive_mask(attn_mask, q.dtype, q.device, allow_is_true=False)
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = _additive_mask(key_padding_mask, q.dtype, q.device, allow_is_true=False)

    if bias_k is not None and bias_v is not None:
        k = _ops.cat([k, bias_k.repeat(1, bsz, 1)])
        v = _ops.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = F.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = F.pad(key_padding_mask, (0, 1))

    # ---- heads: (L, N, E) -> (N*H, L, hd)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        k = static_k
    if static_v is None:
        v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        v = static_v

    if add_zero_attn:
        zshape = (bsz * num_heads, 1, head_dim)
        k = _ops.cat([k, _ops.zeros(zshape, dtype=k.dtype, device=k.device)], dim=1)
        v = _ops.cat([v, _ops.zeros(zshape, dtype=v.dtype, device=v.device)], dim=1)
        if attn_mask is not None:
            attn_mask = F.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = F.pad(key_padding_mask, (0, 1))

    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm

    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / head_dim)
        scores = _ops.matmul(q_scaled, k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = _ops.softmax(scores, -1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, p=dropout_p)
        out = _ops.matmul(weights, v)  # (N*H, L, hd)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = F.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out = out.squeeze(1)
            weights = weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = F.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not is_batched:
        out = out.squeeze(1)
    return out, None

