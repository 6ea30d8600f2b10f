"""nn.functional: linear and bilinear maps, dropout, embeddings and one_hot (PyTorch's signatures)."""
from __future__ import annotations

import warnings

from ... import ops
from ...autograd.grad_mode import no_grad
from ...ops import nn as _nnops
from ...ops.inplace import inplace as _inplace

__all__ = ["linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "embedding", "embedding_bag", "one_hot"]


def linear(input, weight, bias=None):
    """input @ weight.T + bias, for input of shape (..., in_features)."""
    return _nnops.linear(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y_k = input1 @ weight[k] @ input2 + bias[k], for inputs of shapes (..., in1) and (..., in2)."""
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got {weight.ndim}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, 1, in2)
    # (M, in1) @ (in1, out * in2) -> (M, out, in2), then contract in2 with input2
    t = x1.matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    y = (t * x2).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out_f)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (when training)."""
    _check_p(p)
    if not training or p == 0:
        return input
    if inplace:
        return _inplace(input, _nnops.dropout, p)
    return _nnops.dropout(input, p)


def _feature_dropout(input, p, training, inplace):
    if not training or p == 0:
        return input
    if inplace:
        return _inplace(input, _nnops.dropout, p, True)
    return _nnops.dropout(input, p, True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input."""
    _check_p(p)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
                           "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or "
                           "3D inputs).")
    if nd == 3:
        return _feature_dropout(input, p, training, inplace)
    if not training or p == 0:
        return input
    res = _nnops.dropout(input.unsqueeze(0), p, True).squeeze(0)
    if inplace:
        with no_grad():
            input.copy_(res)
        return input
    return res


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this "
                      "warning, please use dropout instead. Note that dropout2d exists to provide "
                      "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
                      "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
                      "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
                      "the channel dim. This behavior will change in a future release to interpret the "
                      "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
                      "channel-wise dropout behavior, please switch to using dropout1d instead.",
                      stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this "
                      "warning, please use dropout instead. Note that dropout3d exists to provide "
                      "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
                      "and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    if nd == 5:
        return _feature_dropout(input, p, training, inplace)
    if not training or p == 0:
        return input
    res = _nnops.dropout(input.unsqueeze(0), p, True).squeeze(0)
    if inplace:
        with no_grad():
            input.copy_(res)
        return input
    return res


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps the self-normalising property of SELU networks."""
    _check_p(p)
    if not training or p == 0:
        return input
    if inplace:
        return _inplace(input, _nnops.alpha_dropout, p)
    return _nnops.alpha_dropout(input, p)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0:
        return input
    if inplace:
        return _inplace(input, _nnops.alpha_dropout, p, True)
    return _nnops.alpha_dropout(input, p, True)


def _padding_idx(padding_idx, num):
    if padding_idx is None:
        return None
    if padding_idx > 0:
        if padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = num + padding_idx
    return padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of `weight` picked by the integer `input`; the padding row gets no gradient.

    `sparse=True` is accepted but the gradient is dense (tinynn has no sparse tensors)."""
    padding_idx = _padding_idx(padding_idx, weight.shape[0])
    if max_norm is not None:
        with no_grad():
            _nnops.embedding_renorm_(weight, input, max_norm, norm_type)
    return _nnops.embedding(input, weight, padding_idx, scale_grad_by_freq)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sums, means or maxima of bags of embeddings: rows of a 2-D `input`, or the segments of a
    1-D `input` starting at `offsets` (mode='max' needs 2-D input here)."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is "
                                  f"only supported for mode='sum' (got mode='{mode}'). Please open a "
                                  "feature request on GitHub.")
    padding_idx = _padding_idx(padding_idx, weight.shape[0])
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a "
                             "mini-batch of fixed length sequences. However, found offsets of type "
                             f"{type(offsets).__name__}")
        emb = embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)
        keep = None
        if padding_idx is not None:
            keep = (input != padding_idx).to(weight.dtype).unsqueeze(-1)
            emb = emb * keep
        if per_sample_weights is not None:
            emb = emb * per_sample_weights.unsqueeze(-1)
        if mode == "sum":
            return emb.sum(1)
        if mode == "mean":
            if keep is None:
                return emb.mean(1)
            return emb.sum(1) / keep.sum(1).clamp_min(1)
        if keep is not None:
            emb = emb.masked_fill(keep == 0, float("-inf"))
            out = emb.max(1).values
            return out.masked_fill(out == float("-inf"), 0.0)
        return emb.max(1).values
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if mode == "max":
        raise NotImplementedError("tinynn's embedding_bag supports mode='max' only for 2-D input")
    n = input.shape[0]
    starts = offsets[:-1] if include_last_offset else offsets
    nbags = starts.shape[0]
    emb = embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)
    pos = ops.arange(n, device=input.device)
    bag = (pos.unsqueeze(1) >= starts.unsqueeze(0)).sum(1) - 1
    keep = ops.ones(n, dtype=weight.dtype, device=input.device)
    if padding_idx is not None:
        keep = (input != padding_idx).to(weight.dtype)
    emb = emb * keep.unsqueeze(-1)
    if per_sample_weights is not None:
        emb = emb * per_sample_weights.unsqueeze(-1)
    out = ops.zeros(nbags, weight.shape[1], dtype=weight.dtype, device=input.device).index_add(0, bag, emb)
    if mode == "mean":
        counts = ops.zeros(nbags, dtype=weight.dtype, device=input.device).index_add(0, bag, keep)
        out = out / counts.clamp_min(1).unsqueeze(-1)
    return out


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding with a trailing dimension of num_classes (inferred when -1)."""
    return _nnops.one_hot(tensor, num_classes)
