"""nn.functional losses and distances (PyTorch's signatures, reductions, checks and messages)."""
from __future__ import annotations

import warnings

from ... import ops
from ... import amp as _amp
from ...autograd.grad_mode import no_grad
from ...ops import nn as _nnops
from ...tensor import Tensor

__all__ = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity",
           "pairwise_distance", "cosine_embedding_loss", "margin_ranking_loss", "soft_margin_loss",
           "hinge_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss", "pdist"]


# ----------------------------------------------------------------------------- reduction helpers
def _legacy_get_string(size_average, reduce, emit_warning=True):
    warning = "size_average and reduce args will be deprecated, please use reduction='{}' instead."
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(warning.format(ret), stacklevel=3)
    return ret


def _reduction(reduction, size_average=None, reduce=None):
    """The reduction string, after the legacy arguments; ValueError for an unknown one."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _apply_reduction(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _size_warning(input, target):
    if target.size() != input.size():
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size "
                      f"({input.size()}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _need_tensors(fn, **kw):
    for name, v in kw.items():
        if not isinstance(v, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(v).__name__}")


def _weighted(kind, input, target, weight, reduction, param):
    """The elementwise loss times weight, reduced by sum(weight) for 'mean' (PyTorch's manual path)."""
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    loss = _nnops.pointwise_loss(kind, input, target, param, "none") * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum()


# ----------------------------------------------------------------------------- regression
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum, or each) of |input - target|."""
    _need_tensors("l1_loss", input=input, target=target)
    _size_warning(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if weight is not None:
        return _weighted("l1", input, target, weight, reduction, None)
    return _nnops.pointwise_loss("l1", input, target, None, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum, or each) of (input - target)^2."""
    _need_tensors("mse_loss", input=input, target=target)
    _size_warning(input, target)
    if _amp.state.on:
        input, target = _amp.fp32(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if weight is not None:
        return _weighted("mse", input, target, weight, reduction, None)
    return _nnops.pointwise_loss("mse", input, target, None, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target)."""
    _need_tensors("smooth_l1_loss", input=input, target=target)
    _size_warning(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _nnops.pointwise_loss("smooth_l1", input, target, float(beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere."""
    _need_tensors("huber_loss", input=input, target=target)
    _size_warning(input, target)
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted("huber", input, target, weight, reduction, float(delta))
    return _nnops.pointwise_loss("huber", input, target, float(delta), reduction)


# ----------------------------------------------------------------------------- classification
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits `input` (N, C) or (N, C, d1, ...) or (C,) against class indices or
    class probabilities (a float target of the input's shape).

    Class-index targets run as one fused op whose backward is `softmax - one_hot` (scaled)."""
    _need_tensors("cross_entropy", input=input, target=target)
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target.is_floating_point() and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    return _nnops.cross_entropy_index(input, target, weight, ignore_index, float(label_smoothing),
                                      reduction)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    """-sum_c w_c t_c log_softmax(x)_c with class-probability targets (differentiable in both)."""
    if input.ndim == 0:
        raise RuntimeError("Expected 1 or more dimensions (got 0)")
    class_dim = 0 if input.ndim == 1 else 1
    C = input.shape[class_dim]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != C):
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")
    logp = _nnops.log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / C
    prod = logp * target
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = C
        prod = prod * weight.reshape(shape)
    loss = -prod.sum(class_dim)
    if reduction == "mean":
        return loss.sum() / (input.numel() / C) if input.numel() else loss.sum() / 0.0
    if reduction == "sum":
        return loss.sum()
    return loss


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` at the class indices `target`."""
    _need_tensors("nll_loss", input=input, target=target)
    reduction = _reduction(reduction, size_average, reduce)
    return _nnops.nll_loss(input, target, weight, ignore_index, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w (t log p + (1 - t) log(1 - p)) for probabilities p; each log is clamped at -100."""
    _need_tensors("binary_cross_entropy", input=input, target=target)
    reduction = _reduction(reduction, size_average, reduce)
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    return _nnops.BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE on logits, computed stably for any magnitude (no sigmoid then log)."""
    _need_tensors("binary_cross_entropy_with_logits", input=input, target=target)
    reduction = _reduction(reduction, size_average, reduce)
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    return _nnops.BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) pointwise: target (log target - input), 0 where target is 0."""
    _need_tensors("kl_div", input=input, target=target)
    if size_average is not None or reduce is not None:
        reduction_enum = _legacy_get_string(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                          "support size.'batchmean' divides only by the batch size, and aligns with the "
                          "KL div math definition.'mean' will be changed to behave the same as "
                          "'batchmean' in the next major release.", stacklevel=2)
        reduction_enum = "sum" if reduction == "batchmean" else reduction
        if reduction_enum not in ("none", "mean", "sum"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t) - t * input, with 0 log 0 = 0
        pos = target > 0
        safe = ops.where(pos, target, ops.ones_like(target))
        loss = ops.where(pos, target * safe.log(), ops.zeros_like(target)) - target * input
    if reduction == "batchmean" and input.dim() != 0:
        return loss.sum() / input.size()[0]
    return _apply_reduction(loss, reduction_enum)


# ----------------------------------------------------------------------------- distances
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along `dim` (inputs broadcast)."""
    _need_tensors("cosine_similarity", x1=x1, x2=x2)
    x1, x2 = ops.broadcast_tensors(x1, x2) if hasattr(ops, "broadcast_tensors") else (x1, x2)
    n1 = x1.norm(2, dim, keepdim=True)
    n2 = x2.norm(2, dim, keepdim=True)
    # PyTorch clamps the norms' values without cutting their gradient
    with no_grad():
        d1 = n1.clamp_min(eps) - n1
        d2 = n2.clamp_min(eps) - n2
    return ((x1 / (n1 + d1)) * (x2 / (n2 + d2))).sum(dim)


def pdist(input, p=2.0):
    """p-norm distances between every pair of rows of (N, M) input: the N (N - 1) / 2 entries above
    the diagonal of the distance matrix, row by row."""
    _need_tensors("pdist", input=input)
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    n = input.shape[0]
    rows = [i for i in range(n) for _ in range(i + 1, n)]
    cols = [j for i in range(n) for j in range(i + 1, n)]
    if not rows:
        return input.new_zeros(0)
    ri = ops.tensor(rows, device=input.device)
    ci = ops.tensor(cols, device=input.device)
    return (input.index_select(0, ri) - input.index_select(0, ci)).norm(p, 1)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dimension."""
    _need_tensors("pairwise_distance", x1=x1, x2=x2)
    out_dim = max(x1.dim(), x2.dim())
    return (x1 - x2 + eps).norm(p, out_dim - 1, keepdim=keepdim)


# ----------------------------------------------------------------------------- margin losses
def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1."""
    reduction = _reduction(reduction, size_average, reduce)
    eps = 1e-12
    dim = input1.dim() - 1
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    zeros = ops.zeros_like(cos)
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    loss = ops.where(target == 1, pos, zeros) + ops.where(target == -1, neg, zeros)
    return _apply_reduction(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target (input1 - input2) + margin)."""
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got "
                           f"sizes: input1: {input1.size()}, input2: {input2.size()}, target: "
                           f"{target.size()} ")
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return _apply_reduction(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input))."""
    from ...ops import activation as _act  # noqa: PLC0415
    reduction = _reduction(reduction, size_average, reduce)
    loss = _act.softplus(-target * input)
    return _apply_reduction(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where target is -1."""
    reduction = _reduction(reduction, size_average, reduce)
    zeros = ops.zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    loss = ops.where(target != 1, margin_clamp, zeros) + ops.where(target != -1, input, zeros)
    return _apply_reduction(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with d the pairwise p-norm distance."""
    reduction = _reduction(reduction, size_average, reduce)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    loss = (d_pos - d_neg + margin).clamp_min(0)
    return _apply_reduction(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) for any distance function (pairwise_distance by default)."""
    reduction = _reduction(reduction)
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater than 0, got "
                         f"{margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ops.minimum(d_neg, dist(positive, negative))
    loss = (d_pos - d_neg + margin).clamp_min(0)
    return _apply_reduction(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """sum over j != y of max(0, margin - x[y] + x[j])^p / C (times weight[y]), per sample."""
    reduction = _reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError(f"weight must be one-dimensional, got {weight.dim()}D")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    t = target.reshape(-1)
    C = x.shape[1]
    x_y = x.gather(1, t.unsqueeze(1))
    m = (x - x_y + margin).clamp_min(0)
    if p == 2:
        m = m * m
    if weight is not None:
        m = m * weight.index_select(0, t).unsqueeze(1)
    not_target = 1 - _nnops.one_hot(t, C).to(x.dtype)
    loss = (m * not_target).sum(1) / C
    if input.dim() < 2 and reduction == "none":
        loss = loss.reshape(target.shape)
    return _apply_reduction(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over target classes j and other classes k of max(0, 1 - (x[j] - x[k])) / C; each row of
    `target` lists class indices up to its first -1."""
    reduction = _reduction(reduction, size_average, reduce)
    x = input if input.dim() == 2 else input.reshape(1, -1)
    t = target if target.dim() == 2 else target.reshape(1, -1)
    C = x.shape[1]
    valid = (t >= 0).long().cumprod(1)                  # entries before the first -1
    onehot = _nnops.one_hot(ops.where(valid > 0, t, ops.zeros_like(t)), C) * valid.unsqueeze(-1)
    is_target = (onehot.sum(1) > 0).to(x.dtype)                 # (N, C)
    diff = (1 - (x.unsqueeze(2) - x.unsqueeze(1))).clamp_min(0)  # [n, j, k] = 1 - (x_j - x_k)
    pair = is_target.unsqueeze(2) * (1 - is_target).unsqueeze(1)
    loss = (diff * pair).sum((1, 2)) / C
    if input.dim() < 2 and reduction == "none":
        loss = loss.reshape(())
    return _apply_reduction(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(input) - target * input (log_input), or input - target * log(input + eps)."""
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        import math  # noqa: PLC0415
        safe = ops.where(target > 1, target, ops.ones_like(target))
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + ops.where(target > 1, stirling, ops.zeros_like(target))
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) if full)."""
    import math  # noqa: PLC0415
    reduction = _reduction(reduction)
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ops.full_like(input, float(var))
    elif var.size() != input.size():
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    with no_grad():
        var_c = var.clamp_min(eps) - var
    v = var + var_c
    loss = 0.5 * (v.log() + (input - target) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-mean_c (t log sigmoid(x) + (1 - t) log sigmoid(-x)) per sample."""
    from ...ops import activation as _act  # noqa: PLC0415
    reduction = _reduction(reduction, size_average, reduce)
    loss = -(target * _act.logsigmoid(input) + (1 - target) * _act.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.dim() - 1) / input.size(-1)
    return _apply_reduction(loss, reduction)
