"""Linear algebra: matmul's 1-D / 2-D / batched broadcasting cases, mm, mv, dot, bmm, outer, inner,
addmm and friends, einsum, trace, diag/diagonal/diag_embed, tril/triu, cov and corrcoef: values
against PyTorch-derived literals, gradients (gradcheck and gradgradcheck), node names and PyTorch's
errors.

The literals in EXPECTED were derived once with PyTorch 2.13 (CPU) by running each VALUE_CASES
entry with `torch` in place of `tinynn`."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from helpers import assert_close, check_grad

import tinynn


def _a(seed, *shape):
    """Small deterministic float data with short decimals (exact in float32)."""
    n = int(np.prod(shape)) if shape else 1
    v = ((np.arange(n) * (2 * seed + 5) + seed) % 13 - 6) / 4
    return v.reshape(shape).tolist()


def _inputs(T, device=None):
    kw = {} if device is None else {"device": device}
    d = {
        "v3": _a(1, 3), "w3": _a(2, 3), "v4": _a(3, 4), "m23": _a(4, 2, 3), "m34": _a(5, 3, 4),
        "m33": _a(6, 3, 3), "b523": _a(7, 5, 2, 3), "b534": _a(8, 5, 3, 4), "b2123": _a(9, 2, 1, 2, 3),
        "m24": _a(10, 2, 4), "x63": _a(11, 6, 3), "m36": _a(12, 3, 6),
    }
    out = {k: T.tensor(v, **kw) for k, v in d.items()}
    out["i23"] = T.tensor([[1, 2, 3], [4, 5, 6]], **kw)
    out["i32"] = T.tensor([[1, 0], [2, 1], [0, 3]], **kw)
    out["i3"] = T.tensor([2, -1, 3], **kw)
    return out


VALUE_CASES = {
    "matmul_1d_1d": lambda T, d: T.matmul(d["v3"], d["w3"]),
    "matmul_2d_1d": lambda T, d: d["m23"] @ d["v3"],
    "matmul_1d_2d": lambda T, d: d["v3"] @ d["m34"],
    "matmul_2d_2d": lambda T, d: d["m23"] @ d["m34"],
    "matmul_3d_3d": lambda T, d: T.matmul(d["b523"], d["b534"]),
    "matmul_3d_2d": lambda T, d: d["b523"] @ d["m34"],
    "matmul_2d_3d": lambda T, d: d["m23"] @ d["b534"],
    "matmul_3d_1d": lambda T, d: d["b523"] @ d["v3"],
    "matmul_1d_3d": lambda T, d: d["v3"] @ d["b534"],
    "matmul_4d_3d": lambda T, d: T.matmul(d["b2123"], d["b534"]),
    "matmul_int": lambda T, d: d["i23"] @ d["i32"],
    "matmul_method": lambda T, d: d["m23"].matmul(d["m34"]),
    "mm": lambda T, d: T.mm(d["m23"], d["m34"]),
    "mm_method": lambda T, d: d["m23"].mm(d["m34"]),
    "mv": lambda T, d: T.mv(d["m23"], d["v3"]),
    "mv_int": lambda T, d: d["i23"].mv(d["i3"]),
    "dot": lambda T, d: T.dot(d["v3"], d["w3"]),
    "dot_int": lambda T, d: d["i3"].dot(d["i3"]),
    "vdot": lambda T, d: T.vdot(d["v3"], d["w3"]),
    "bmm": lambda T, d: T.bmm(d["b523"], d["b534"]),
    "outer": lambda T, d: T.outer(d["v3"], d["v4"]),
    "outer_promotes": lambda T, d: T.outer(d["i3"], d["v3"]),
    "ger": lambda T, d: d["v3"].ger(d["w3"]),
    "inner": lambda T, d: T.inner(d["m23"], d["m33"]),
    "inner_1d": lambda T, d: T.inner(d["v3"], d["w3"]),
    "inner_3d_2d": lambda T, d: T.inner(d["b523"], d["m23"]),
    "inner_scalar": lambda T, d: T.inner(T.tensor(2.0), d["m23"]),
    "addmm": lambda T, d: T.addmm(d["v4"], d["m23"], d["m34"]),
    "addmm_beta_alpha": lambda T, d: T.addmm(d["m24"], d["m23"], d["m34"], beta=0.5, alpha=-2),
    "addmm_beta0_ignores_nan": lambda T, d: T.addmm(T.full((2, 4), float("nan")), d["m23"],
                                                    d["m34"], beta=0),
    "addmv": lambda T, d: T.addmv(d["v3"][:2], d["m23"], d["w3"], beta=2, alpha=0.5),
    "addr": lambda T, d: T.addr(d["m23"], d["w3"][:2], d["v3"], alpha=3),
    "baddbmm": lambda T, d: T.baddbmm(d["m24"], d["b523"], d["b534"], beta=0.25, alpha=2),
    "addbmm": lambda T, d: T.addbmm(d["m24"], d["b523"], d["b534"]),
    "einsum_mm": lambda T, d: T.einsum("ij,jk->ik", d["m23"], d["m34"]),
    "einsum_implicit": lambda T, d: T.einsum("ij,kj", d["m23"], d["m24"][:, :3]),
    "einsum_trace": lambda T, d: T.einsum("ii", d["m33"]),
    "einsum_diag": lambda T, d: T.einsum("ii->i", d["m33"]),
    "einsum_sum": lambda T, d: T.einsum("ij->", d["m23"]),
    "einsum_transpose": lambda T, d: T.einsum("ij->ji", d["m23"]),
    "einsum_batch": lambda T, d: T.einsum("bij,bjk->bik", d["b523"], d["b534"]),
    "einsum_ellipsis": lambda T, d: T.einsum("...ij,...jk", d["b2123"], d["b534"]),
    "einsum_ellipsis_out": lambda T, d: T.einsum("b...->b", d["b523"]),
    "einsum_outer": lambda T, d: T.einsum("i,j->ij", d["v3"], d["v4"]),
    "einsum_three": lambda T, d: T.einsum("ij,jk,kl->il", d["m23"], d["m33"], d["m34"]),
    "einsum_list": lambda T, d: T.einsum("i,i", [d["v3"], d["w3"]]),
    "einsum_spaces": lambda T, d: T.einsum("i j , j k -> i k", d["m23"], d["m34"]),
    "einsum_int": lambda T, d: T.einsum("ij->j", d["i23"]),
    "einsum_broadcast_one": lambda T, d: T.einsum("ij,jk->ik", d["m23"][:, :1], d["m34"]),
    "tensordot": lambda T, d: T.tensordot(d["m23"], d["m34"], dims=1),
    "tensordot_pairs": lambda T, d: T.tensordot(d["b523"], d["m23"], dims=([1, 2], [0, 1])),
    "trace": lambda T, d: d["m33"].trace(),
    "trace_rect": lambda T, d: T.trace(d["m23"]),
    "trace_int": lambda T, d: T.trace(d["i23"]),
    "diag_vec": lambda T, d: T.diag(d["v3"]),
    "diag_vec_offset": lambda T, d: T.diag(d["v3"], 1),
    "diag_vec_neg": lambda T, d: d["v3"].diag(-2),
    "diag_mat": lambda T, d: T.diag(d["m34"]),
    "diag_mat_offset": lambda T, d: T.diag(d["m34"], 1),
    "diag_mat_neg": lambda T, d: T.diag(d["m34"], -2),
    "diag_mat_far": lambda T, d: T.diag(d["m34"], 7),
    "diagonal": lambda T, d: T.diagonal(d["b534"], 0, 1, 2),
    "diagonal_offset_dims": lambda T, d: d["b534"].diagonal(1, 2, 0),
    "diagonal_kw": lambda T, d: d["m33"].diagonal(offset=-1, dim1=1, dim2=0),
    "diag_embed": lambda T, d: T.diag_embed(d["m23"]),
    "diag_embed_dims": lambda T, d: T.diag_embed(d["m23"], 1, 0, 2),
    "tril": lambda T, d: d["m34"].tril(),
    "tril_batched": lambda T, d: T.tril(d["b534"], -1),
    "triu": lambda T, d: T.triu(d["m34"], 1),
    "triu_bool": lambda T, d: (d["m33"] > 0).triu(),
    "t": lambda T, d: d["m23"].t(),
    "cov": lambda T, d: T.cov(d["m36"]),
    "cov_vector": lambda T, d: T.cov(d["m36"][0]),
    "cov_correction0": lambda T, d: T.cov(d["m36"], correction=0),
    "cov_fweights": lambda T, d: T.cov(d["m36"], fweights=T.tensor([1, 2, 1, 3, 1, 1])),
    "cov_aweights": lambda T, d: T.cov(d["m36"], aweights=T.tensor([0.5, 1.0, 2.0, 1.5, 1.0, 0.25])),
    "cov_both_weights": lambda T, d: T.cov(d["m36"], fweights=T.tensor([1, 2, 1, 3, 1, 1]),
                                           aweights=T.tensor([0.5, 1.0, 2.0, 1.5, 1.0, 0.25])),
    "cov_int": lambda T, d: T.cov(d["i23"]),
    "cov_method_of_notes": lambda T, d: _cov_manual(T, d["x63"]),
    "cov_builtin_of_notes": lambda T, d: T.cov(d["x63"].t()),
    "corrcoef": lambda T, d: T.corrcoef(d["m36"]),
    "corrcoef_vector": lambda T, d: T.corrcoef(d["v4"]),
}


def _cov_manual(T, X):
    """The study notes' covariance: centre with mean, then Xc^T Xc / (n - 1)."""
    n = X.shape[0]
    Xc = X - X.mean(dim=0, keepdim=True)
    return Xc.t().matmul(Xc) / (n - 1)


# derived once with PyTorch 2.13 (see the module docstring); ("t", dtype, shape, values)
EXPECTED = {
    'matmul_1d_1d': ('t', 'float32', [], 1.625),
    'matmul_2d_1d': ('t', 'float32', [2], [0.875, 0.875]),
    'matmul_1d_2d': ('t', 'float32', [4], [-0.9375, -1.8125, -2.6875, -0.3125]),
    'matmul_2d_2d': ('t', 'float32', [2, 4], [[0.625, -0.125, -0.875, 0.0], [0.625, -0.125, -0.875, 0.0]]),
    'matmul_3d_3d': ('t', 'float32', [5, 2, 4], [[[2.0, -1.3125, 1.0625, -2.25], [1.375, -2.5625, 3.25, -0.6875]], [[-0.375, -1.6875, 1.875, -1.875], [-0.375, 1.75, -1.8125, 1.9375]], [[1.375, -0.375, -1.3125, 2.625], [2.0, -0.375, -1.9375, 1.375]], [[2.375, -1.4375, -0.375, 1.5], [-2.0625, 1.625, -0.375, -1.5625]], [[-1.4375, 1.625, -1.8125, -0.375], [-0.375, -0.375, -0.375, 4.5]]]),
    'matmul_3d_2d': ('t', 'float32', [5, 2, 4], [[[2.1875, 1.5625, 0.9375, 0.3125], [0.625, 1.875, 3.125, 0.3125]], [[-1.75, -1.875, -2.0, 0.3125], [1.5625, 1.6875, 1.8125, 0.3125]], [[-0.8125, -2.0625, -3.3125, 0.3125], [-2.375, -1.75, -1.125, 0.3125]], [[0.9375, 1.8125, 2.6875, 0.3125], [-1.4375, -1.9375, -2.4375, 0.3125]], [[1.875, 1.625, 1.375, 0.3125], [1.125, 1.125, 1.125, -3.75]]]),
    'matmul_2d_3d': ('t', 'float32', [5, 2, 4], [[[0.25, 0.5, -0.875, -0.625], [0.25, 0.5, -0.875, -0.625]], [[0.0, 0.25, 0.5, -0.875], [0.0, 0.25, 0.5, -0.875]], [[-0.25, 0.0, 0.25, 0.5], [-0.25, 0.0, 0.25, 0.5]], [[-0.5, -0.25, 0.0, 0.25], [-0.5, -0.25, 0.0, 0.25]], [[0.875, -0.5, -0.25, 0.0], [0.875, -0.5, -0.25, 0.0]]]),
    'matmul_3d_1d': ('t', 'float32', [5, 2], [[-1.0625, -3.25], [1.875, -1.9375], [3.1875, 1.0], [-2.8125, 2.3125], [-1.5, 0.375]]),
    'matmul_1d_3d': ('t', 'float32', [5, 4], [[-1.5, 2.3125, -2.8125, 1.0], [0.375, -1.5, 2.3125, -2.8125], [1.4375, 0.375, -1.5, 2.3125], [-2.375, 1.4375, 0.375, -1.5], [2.75, -2.375, 1.4375, 0.375]]),
    'matmul_4d_3d': ('t', 'float32', [2, 5, 2, 4], [[[[0.1875, 0.1875, 0.1875, 0.1875], [-1.9375, 1.625, -2.125, 1.4375]], [[-2.25, 0.1875, 0.1875, 0.1875], [2.625, -1.9375, 1.625, -2.125]], [[0.1875, -2.25, 0.1875, 0.1875], [1.5, 2.625, -1.9375, 1.625]], [[0.1875, 0.1875, -2.25, 0.1875], [-2.0625, 1.5, 2.625, -1.9375]], [[0.1875, 0.1875, 0.1875, -2.25], [1.6875, -2.0625, 1.5, 2.625]]], [[[1.625, -1.8125, 1.25, -2.1875], [0.3125, 0.4375, -0.25, -0.125]], [[2.625, 1.625, -1.8125, 1.25], [-2.25, 0.3125, 0.4375, -0.25]], [[-2.0625, 2.625, 1.625, -1.8125], [0.0625, -2.25, 0.3125, 0.4375]], [[1.375, -2.0625, 2.625, 1.625], [-0.0625, 0.0625, -2.25, 0.3125]], [[-1.6875, 1.375, -2.0625, 2.625], [0.625, -0.0625, 0.0625, -2.25]]]]),
    'matmul_int': ('t', 'int64', [2, 2], [[5, 11], [14, 23]]),
    'matmul_method': ('t', 'float32', [2, 4], [[0.625, -0.125, -0.875, 0.0], [0.625, -0.125, -0.875, 0.0]]),
    'mm': ('t', 'float32', [2, 4], [[0.625, -0.125, -0.875, 0.0], [0.625, -0.125, -0.875, 0.0]]),
    'mm_method': ('t', 'float32', [2, 4], [[0.625, -0.125, -0.875, 0.0], [0.625, -0.125, -0.875, 0.0]]),
    'mv': ('t', 'float32', [2], [0.875, 0.875]),
    'mv_int': ('t', 'int64', [2], [9, 21]),
    'dot': ('t', 'float32', [], 1.625),
    'dot_int': ('t', 'int64', [], 14),
    'vdot': ('t', 'float32', [], 1.625),
    'bmm': ('t', 'float32', [5, 2, 4], [[[2.0, -1.3125, 1.0625, -2.25], [1.375, -2.5625, 3.25, -0.6875]], [[-0.375, -1.6875, 1.875, -1.875], [-0.375, 1.75, -1.8125, 1.9375]], [[1.375, -0.375, -1.3125, 2.625], [2.0, -0.375, -1.9375, 1.375]], [[2.375, -1.4375, -0.375, 1.5], [-2.0625, 1.625, -0.375, -1.5625]], [[-1.4375, 1.625, -1.8125, -0.375], [-0.375, -0.375, -0.375, 4.5]]]),
    'outer': ('t', 'float32', [3, 4], [[0.9375, 1.5625, -1.875, -1.25], [-0.375, -0.625, 0.75, 0.5], [0.75, 1.25, -1.5, -1.0]]),
    'outer_promotes': ('t', 'float32', [3, 3], [[-2.5, 1.0, -2.0], [1.25, -0.5, 1.0], [-3.75, 1.5, -3.0]]),
    'ger': ('t', 'float32', [3, 3], [[1.25, -1.5625, -0.3125], [-0.5, 0.625, 0.125], [1.0, -1.25, -0.25]]),
    'inner': ('t', 'float32', [2, 3], [[0.125, 0.5, -0.75], [0.125, 0.5, -0.75]]),
    'inner_1d': ('t', 'float32', [], 1.625),
    'inner_3d_2d': ('t', 'float32', [5, 2, 2], [[[0.625, 0.625], [-1.25, -1.25]], [[0.125, 0.125], [-0.125, -0.125]], [[1.25, 1.25], [-0.625, -0.625]], [[-0.875, -0.875], [0.5, 0.5]], [[0.25, 0.25], [0.0, 0.0]]]),
    'inner_scalar': ('t', 'float32', [2, 3], [[-1.0, -1.0, -1.0], [-1.0, -1.0, -1.0]]),
    'addmm': ('t', 'float32', [2, 4], [[-0.125, -1.375, 0.625, 1.0], [-0.125, -1.375, 0.625, 1.0]]),
    'addmm_beta_alpha': ('t', 'float32', [2, 4], [[-0.75, 0.625, 2.0, 0.125], [-1.25, 0.125, 1.5, -0.375]]),
    'addmm_beta0_ignores_nan': ('t', 'float32', [2, 4], [[0.625, -0.125, -0.875, 0.0], [0.625, -0.125, -0.875, 0.0]]),
    'addmv': ('t', 'float32', [2], [-2.625, 0.875]),
    'addr': ('t', 'float32', [2, 3], [[3.25, -2.0, 2.5], [-5.1875, 1.375, -4.25]]),
    'baddbmm': ('t', 'float32', [5, 2, 4], [[[4.25, -2.4375, 2.25, -4.4375], [2.75, -5.1875, 6.375, -1.5625]], [[-0.5, -3.1875, 3.875, -3.6875], [-0.75, 3.4375, -3.75, 3.6875]], [[3.0, -0.5625, -2.5, 5.3125], [4.0, -0.8125, -4.0, 2.5625]], [[5.0, -2.6875, -0.625, 3.0625], [-4.125, 3.1875, -0.875, -3.3125]], [[-2.625, 3.4375, -3.5, -0.6875], [-0.75, -0.8125, -0.875, 8.8125]]]),
    'addbmm': ('t', 'float32', [2, 4], [[4.9375, -2.4375, -0.0625, -0.125], [0.5625, -0.1875, -1.75, 4.8125]]),
    'einsum_mm': ('t', 'float32', [2, 4], [[0.625, -0.125, -0.875, 0.0], [0.625, -0.125, -0.875, 0.0]]),
    'einsum_implicit': ('t', 'float32', [2, 2], [[-1.125, 0.375], [-1.125, 0.375]]),
    'einsum_trace': ('t', 'float32', [], 2.25),
    'einsum_diag': ('t', 'float32', [3], [0.0, 0.75, 1.5]),
    'einsum_sum': ('t', 'float32', [], -3.0),
    'einsum_transpose': ('t', 'float32', [3, 2], [[-0.5, -0.5], [-0.5, -0.5], [-0.5, -0.5]]),
    'einsum_batch': ('t', 'float32', [5, 2, 4], [[[2.0, -1.3125, 1.0625, -2.25], [1.375, -2.5625, 3.25, -0.6875]], [[-0.375, -1.6875, 1.875, -1.875], [-0.375, 1.75, -1.8125, 1.9375]], [[1.375, -0.375, -1.3125, 2.625], [2.0, -0.375, -1.9375, 1.375]], [[2.375, -1.4375, -0.375, 1.5], [-2.0625, 1.625, -0.375, -1.5625]], [[-1.4375, 1.625, -1.8125, -0.375], [-0.375, -0.375, -0.375, 4.5]]]),
    'einsum_ellipsis': ('t', 'float32', [2, 5, 2, 4], [[[[0.1875, 0.1875, 0.1875, 0.1875], [-1.9375, 1.625, -2.125, 1.4375]], [[-2.25, 0.1875, 0.1875, 0.1875], [2.625, -1.9375, 1.625, -2.125]], [[0.1875, -2.25, 0.1875, 0.1875], [1.5, 2.625, -1.9375, 1.625]], [[0.1875, 0.1875, -2.25, 0.1875], [-2.0625, 1.5, 2.625, -1.9375]], [[0.1875, 0.1875, 0.1875, -2.25], [1.6875, -2.0625, 1.5, 2.625]]], [[[1.625, -1.8125, 1.25, -2.1875], [0.3125, 0.4375, -0.25, -0.125]], [[2.625, 1.625, -1.8125, 1.25], [-2.25, 0.3125, 0.4375, -0.25]], [[-2.0625, 2.625, 1.625, -1.8125], [0.0625, -2.25, 0.3125, 0.4375]], [[1.375, -2.0625, 2.625, 1.625], [-0.0625, 0.0625, -2.25, 0.3125]], [[-1.6875, 1.375, -2.0625, 2.625], [0.625, -0.0625, 0.0625, -2.25]]]]),
    'einsum_ellipsis_out': ('t', 'float32', [5], [1.25, 0.0, -1.25, 0.75, -0.5]),
    'einsum_outer': ('t', 'float32', [3, 4], [[0.9375, 1.5625, -1.875, -1.25], [-0.375, -0.625, 0.75, 0.5], [0.75, 1.25, -1.5, -1.0]]),
    'einsum_three': ('t', 'float32', [2, 4], [[1.90625, 1.84375, 1.78125, -0.3125], [1.90625, 1.84375, 1.78125, -0.3125]]),
    'einsum_list': ('t', 'float32', [], 1.625),
    'einsum_spaces': ('t', 'float32', [2, 4], [[0.625, -0.125, -0.875, 0.0], [0.625, -0.125, -0.875, 0.0]]),
    'einsum_int': ('t', 'int64', [3], [5, 7, 9]),
    'einsum_broadcast_one': ('t', 'float32', [2, 4], [[0.625, -0.125, -0.875, -0.0], [0.625, -0.125, -0.875, -0.0]]),
    'tensordot': ('t', 'float32', [2, 4], [[0.625, -0.125, -0.875, 0.0], [0.625, -0.125, -0.875, 0.0]]),
    'tensordot_pairs': ('t', 'float32', [5], [-0.625, 0.0, 0.625, -0.375, 0.25]),
    'trace': ('t', 'float32', [], 2.25),
    'trace_rect': ('t', 'float32', [], -1.0),
    'trace_int': ('t', 'int64', [], 6),
    'diag_vec': ('t', 'float32', [3, 3], [[-1.25, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, -1.0]]),
    'diag_vec_offset': ('t', 'float32', [4, 4], [[0.0, -1.25, 0.0, 0.0], [0.0, 0.0, 0.5, 0.0], [0.0, 0.0, 0.0, -1.0], [0.0, 0.0, 0.0, 0.0]]),
    'diag_vec_neg': ('t', 'float32', [5, 5], [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [-1.25, 0.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0, 0.0]]),
    'diag_mat': ('t', 'float32', [3], [-0.25, -1.0, 1.5]),
    'diag_mat_offset': ('t', 'float32', [3], [0.25, -0.5, -1.25]),
    'diag_mat_neg': ('t', 'float32', [1], [0.5]),
    'diag_mat_far': ('t', 'float32', [0], []),
    'diagonal': ('t', 'float32', [5, 3], [[0.5, 0.75, 1.0], [-1.5, -1.25, -1.0], [-0.25, 0.0, 0.25], [1.0, 1.25, 1.5], [-1.0, -0.75, -0.5]]),
    'diagonal_offset_dims': ('t', 'float32', [3, 4], [[-1.5, -1.5, -1.5, -1.5], [0.0, 0.0, 0.0, 0.0], [1.5, 1.5, 1.5, 1.5]]),
    'diagonal_kw': ('t', 'float32', [2], [1.0, -1.5]),
    'diag_embed': ('t', 'float32', [2, 3, 3], [[[-0.5, 0.0, 0.0], [0.0, -0.5, 0.0], [0.0, 0.0, -0.5]], [[-0.5, 0.0, 0.0], [0.0, -0.5, 0.0], [0.0, 0.0, -0.5]]]),
    'diag_embed_dims': ('t', 'float32', [4, 2, 4], [[[0.0, -0.5, 0.0, 0.0], [0.0, -0.5, 0.0, 0.0]], [[0.0, 0.0, -0.5, 0.0], [0.0, 0.0, -0.5, 0.0]], [[0.0, 0.0, 0.0, -0.5], [0.0, 0.0, 0.0, -0.5]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
    'tril': ('t', 'float32', [3, 4], [[-0.25, 0.0, 0.0, 0.0], [-1.5, -1.0, 0.0, 0.0], [0.5, 1.0, 1.5, 0.0]]),
    'tril_batched': ('t', 'float32', [5, 3, 4], [[[0.0, 0.0, 0.0, 0.0], [-1.25, 0.0, 0.0, 0.0], [0.25, -1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [1.5, 0.25, 0.0, 0.0]], [[0.0, 0.0, 0.0, 0.0], [1.25, 0.0, 0.0, 0.0], [-0.5, 1.5, 0.0, 0.0]], [[0.0, 0.0, 0.0, 0.0], [-0.75, 0.0, 0.0, 0.0], [0.75, -0.5, 0.0, 0.0]], [[0.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0], [-1.25, 0.75, 0.0, 0.0]]]),
    'triu': ('t', 'float32', [3, 4], [[0.0, 0.25, 0.75, 1.25], [0.0, 0.0, -0.5, 0.0], [0.0, 0.0, 0.0, -1.25]]),
    'triu_bool': ('t', 'bool', [3, 3], [[False, True, False], [False, True, False], [False, False, True]]),
    't': ('t', 'float32', [3, 2], [[-0.5, -0.5], [-0.5, -0.5], [-0.5, -0.5]]),
    'cov': ('t', 'float32', [3, 3], [[1.318750023841858, -0.550000011920929, -0.3062499761581421], [-0.550000011920929, 0.75, -0.0625], [-0.3062499761581421, -0.0625, 0.8854166269302368]]),
    'cov_vector': ('t', 'float32', [], 1.318750023841858),
    'cov_correction0': ('t', 'float32', [3, 3], [[1.0989583730697632, -0.4583333432674408, -0.2552083134651184], [-0.4583333432674408, 0.625, -0.0520833320915699], [-0.2552083134651184, -0.0520833320915699, 0.7378471493721008]]),
    'cov_fweights': ('t', 'float32', [3, 3], [[1.015625, -0.5416666269302368, -0.4062500596046448], [-0.5416666269302368, 0.835069477558136, 0.2369791567325592], [-0.4062500596046448, 0.2369791567325592, 0.8125]]),
    'cov_aweights': ('t', 'float32', [3, 3], [[0.9093237519264221, -0.6224384903907776, -0.0896516889333725], [-0.6224384903907776, 1.2223360538482666, -0.3227458596229553], [-0.0896516889333725, -0.3227458596229553, 1.0758196115493774]]),
    'cov_both_weights': ('t', 'float32', [3, 3], [[0.6900755763053894, -0.557692289352417, -0.2719780206680298], [-0.557692289352417, 1.1543611288070679, 0.047218382358551025], [-0.2719780206680298, 0.047218382358551025, 0.8552541136741638]]),
    'cov_int': ('t', 'float32', [2, 2], [[1.0, 1.0], [1.0, 1.0]]),
    'cov_method_of_notes': ('t', 'float32', [3, 3], [[1.318750023841858, 1.318750023841858, 0.4249999523162842], [1.318750023841858, 1.318750023841858, 0.4249999523162842], [0.4249999523162842, 0.4249999523162842, 1.2916666269302368]]),
    'cov_builtin_of_notes': ('t', 'float32', [3, 3], [[1.318750023841858, 1.318750023841858, 0.4249999523162842], [1.318750023841858, 1.318750023841858, 0.4249999523162842], [0.4249999523162842, 0.4249999523162842, 1.2916666269302368]]),
    'corrcoef': ('t', 'float32', [3, 3], [[1.0, -0.5530327558517456, -0.283413827419281], [-0.5530327558517456, 1.0, -0.0766965001821518], [-0.283413827419281, -0.07669650763273239, 1.0]]),
    'corrcoef_vector': ('t', 'float32', [], 1.0),
}


def _encode(v, T):
    if isinstance(v, T.Tensor):
        name = str(v.dtype).split(".")[-1]
        return ("t", name, list(v.shape), v.detach().cpu().tolist())
    if isinstance(v, tuple):
        return ("seq", type(v).__name__, [_encode(e, T) for e in v])
    return v


def _compare(actual, expected, where):
    assert actual[0] == "t", where
    assert actual[1] == expected[1], f"{where}: dtype {actual[1]} != {expected[1]}"
    assert actual[2] == expected[2], f"{where}: shape {actual[2]} != {expected[2]}"
    np.testing.assert_allclose(np.asarray(actual[3], dtype=np.float64),
                               np.asarray(expected[3], dtype=np.float64),
                               rtol=1e-5, atol=1e-5, equal_nan=True, err_msg=where)


@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_values_match_pytorch(name, device):
    out = VALUE_CASES[name](tinynn, _inputs(tinynn, device))
    _compare(_encode(out, tinynn), EXPECTED[name], name)


def test_values_side_by_side_with_torch():
    """Optional: the same cases run on real PyTorch still give the literals (guards the table)."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional oracle)")
    for name, fn in VALUE_CASES.items():
        _compare(_encode(fn(torch, _inputs(torch)), torch), EXPECTED[name], name)


def test_covariance_three_ways_agree(device):
    """The notes' covariance: tinynn.cov, the manual mean/matmul/transpose formula and its
    transpose variants all agree."""
    X = tinynn.tensor(_a(11, 6, 3), device=device)
    n = X.shape[0]
    Xc = X - X.mean(axis=0, keepdims=True)
    c1 = tinynn.matmul(tinynn.transpose(Xc, 0, 1), Xc) / (n - 1)
    c2 = (Xc.T @ Xc) / (n - 1)
    c3 = tinynn.mm(Xc.transpose(1, 0), Xc) / (n - 1)
    c4 = tinynn.cov(X.t())
    for c in (c2, c3, c4):
        assert_close(c, c1, rtol=1e-5, atol=1e-6)
    assert tinynn.allclose(c4, c1, atol=1e-5)
    assert_close(c4.diagonal(), X.var(dim=0), rtol=1e-5)
    assert (c4 - c4.t()).abs().max().item() < 1e-6


# ----------------------------------------------------------------------------- gradients
def _rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, shape)


GRAD_CASES = [
    ("dot", tinynn.dot, [(3,), (3,)]),
    ("vdot", tinynn.vdot, [(3,), (3,)]),
    ("mv", tinynn.mv, [(2, 3), (3,)]),
    ("mm", tinynn.mm, [(2, 3), (3, 4)]),
    ("bmm", tinynn.bmm, [(2, 2, 3), (2, 3, 2)]),
    ("matmul_1d_1d", tinynn.matmul, [(3,), (3,)]),
    ("matmul_1d_2d", tinynn.matmul, [(3,), (3, 2)]),
    ("matmul_2d_1d", tinynn.matmul, [(2, 3), (3,)]),
    ("matmul_3d_3d", tinynn.matmul, [(2, 2, 3), (2, 3, 2)]),
    ("matmul_3d_2d", tinynn.matmul, [(2, 2, 3), (3, 2)]),
    ("matmul_2d_3d", tinynn.matmul, [(2, 3), (2, 3, 2)]),
    ("matmul_3d_1d", tinynn.matmul, [(2, 2, 3), (3,)]),
    ("matmul_1d_3d", tinynn.matmul, [(3,), (2, 3, 2)]),
    ("matmul_bcast_batch", tinynn.matmul, [(2, 1, 2, 3), (3, 3, 2)]),
    ("matmul_bcast_both", tinynn.matmul, [(2, 1, 1, 3), (1, 2, 3, 2)]),
    ("outer", tinynn.outer, [(3,), (2,)]),
    ("inner", tinynn.inner, [(2, 3), (2, 3)]),
    ("inner_scalar", tinynn.inner, [(), (2, 3)]),
    ("addmm", lambda a, b, c: tinynn.addmm(a, b, c, beta=0.5, alpha=2), [(3,), (2, 3), (3, 3)]),
    ("addmv", lambda a, b, c: tinynn.addmv(a, b, c, beta=-1), [(2,), (2, 3), (3,)]),
    ("addr", lambda a, b, c: tinynn.addr(a, b, c, alpha=2), [(2, 3), (2,), (3,)]),
    ("baddbmm", lambda a, b, c: tinynn.baddbmm(a, b, c, alpha=0.5), [(1, 2, 2), (2, 2, 3), (2, 3, 2)]),
    ("addbmm", tinynn.addbmm, [(2, 2), (2, 2, 3), (2, 3, 2)]),
    ("einsum_mm", lambda a, b: tinynn.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)]),
    ("einsum_implicit", lambda a, b: tinynn.einsum("ij,kj", a, b), [(2, 3), (2, 3)]),
    ("einsum_trace", lambda a: tinynn.einsum("ii", a), [(3, 3)]),
    ("einsum_diag", lambda a: tinynn.einsum("ii->i", a), [(3, 3)]),
    ("einsum_rowsum", lambda a: tinynn.einsum("ij->i", a), [(2, 3)]),
    ("einsum_batch", lambda a, b: tinynn.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 2)]),
    ("einsum_ellipsis", lambda a, b: tinynn.einsum("...ij,...jk", a, b), [(2, 1, 2, 3), (2, 3, 2)]),
    ("einsum_ellipsis_sum", lambda a: tinynn.einsum("b...->b", a), [(2, 2, 3)]),
    ("einsum_three", lambda a, b, c: tinynn.einsum("ij,jk,k->i", a, b, c), [(2, 3), (3, 2), (2,)]),
    ("einsum_repeat_mixed", lambda a, b: tinynn.einsum("iji,j->", a, b), [(2, 3, 2), (3,)]),
    ("einsum_broadcast_one", lambda a, b: tinynn.einsum("ij,jk->ik", a, b), [(2, 1), (3, 2)]),
    ("tensordot", lambda a, b: tinynn.tensordot(a, b, dims=([0, 2], [2, 0])), [(2, 3, 2), (2, 2, 2)]),
    ("trace", tinynn.trace, [(3, 3)]),
    ("trace_rect", tinynn.trace, [(2, 3)]),
    ("diag_vec", lambda a: tinynn.diag(a, 1), [(3,)]),
    ("diag_mat", lambda a: tinynn.diag(a, -1), [(3, 4)]),
    ("diagonal", lambda a: tinynn.diagonal(a, 1, 2, 0), [(3, 2, 3)]),
    ("diag_embed", lambda a: tinynn.diag_embed(a, -1), [(2, 3)]),
    ("tril", lambda a: a.tril(-1), [(2, 3, 3)]),
    ("triu", lambda a: a.triu(1), [(3, 4)]),
    ("cov", tinynn.cov, [(3, 5)]),
    ("cov_vector", lambda a: tinynn.cov(a, correction=0), [(5,)]),
    ("cov_aweights", lambda a, w: tinynn.cov(a, aweights=w.abs() + 0.5), [(2, 4), (4,)]),
    ("corrcoef", tinynn.corrcoef, [(3, 5)]),
    ("cov_manual", lambda X: _cov_manual(tinynn, X), [(5, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(name, fn, shapes, device):
    arrays = [_rand(*s, seed=i + 1) for i, s in enumerate(shapes)]
    check_grad(fn, *arrays, device=device)


def test_matmul_broadcast_gradient_is_summed_back(device):
    a = tinynn.tensor(_rand(4, 2, 3), device=device, requires_grad=True)
    w = tinynn.tensor(_rand(3, 5, seed=2), device=device, requires_grad=True)
    (a @ w).sum().backward()
    assert w.grad.shape == (3, 5) and a.grad.shape == (4, 2, 3)
    assert_close(w.grad, np.einsum("bij->j", np.asarray(_rand(4, 2, 3)))[:, None].repeat(5, 1))


def test_empty_products(device):
    a = tinynn.zeros(2, 0, device=device, requires_grad=True)
    b = tinynn.zeros(0, 3, device=device, requires_grad=True)
    c = a @ b
    assert c.tolist() == [[0.0] * 3] * 2
    c.sum().backward()
    assert a.grad.shape == (2, 0) and b.grad.shape == (0, 3)
    assert tinynn.dot(tinynn.zeros(0, device=device), tinynn.zeros(0, device=device)).item() == 0.0
    assert tinynn.bmm(tinynn.zeros(0, 2, 3, device=device), tinynn.zeros(0, 3, 4, device=device)).shape == (0, 2, 4)


@pytest.mark.cpu_only(reason="the CuPy stand-in's diagonal() is a read-only NumPy view, where "
                              "CuPy's is writable")
def test_diagonal_is_a_writable_view(device):
    x = tinynn.zeros(3, 4, device=device)
    d = x.diagonal(1)
    d.fill_(1.0)
    assert x.tolist() == [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert d._base is x
    y = tinynn.arange(12.0, device=device).reshape(3, 4).t()   # non-contiguous base
    y.diagonal().mul_(10)
    assert y.tolist()[1][1] == 50.0 and y.tolist()[2][2] == 100.0


# ----------------------------------------------------------------------------- node names
def _t(*shape):
    return tinynn.tensor(_rand(*shape), requires_grad=True)


NODES = [
    (lambda: _t(3) @ _t(3), "DotBackward0"), (lambda: _t(2, 3) @ _t(3), "MvBackward0"),
    (lambda: _t(3) @ _t(3, 2), "SqueezeBackward4"), (lambda: _t(2, 3) @ _t(3, 2), "MmBackward0"),
    (lambda: _t(2, 2, 3) @ _t(2, 3, 2), "UnsafeViewBackward0"),
    (lambda: _t(2, 2, 3) @ _t(3, 2), "UnsafeViewBackward0"),
    (lambda: _t(2, 3) @ _t(2, 3, 2), "CloneBackward0"),
    (lambda: tinynn.bmm(_t(2, 2, 3), _t(2, 3, 2)), "BmmBackward0"),
    (lambda: tinynn.vdot(_t(3), _t(3)), "VdotBackward0"),
    (lambda: tinynn.outer(_t(3), _t(2)), "MulBackward0"),
    (lambda: tinynn.addmm(_t(2), _t(2, 3), _t(3, 2)), "AddmmBackward0"),
    (lambda: tinynn.addmv(_t(2), _t(2, 3), _t(3)), "AddmvBackward0"),
    (lambda: tinynn.baddbmm(_t(2, 2), _t(2, 2, 3), _t(2, 3, 2)), "BaddbmmBackward0"),
    (lambda: tinynn.trace(_t(3, 3)), "TraceBackward0"),
    (lambda: tinynn.diag(_t(3)), "DiagEmbedBackward0"),
    (lambda: tinynn.diagonal(_t(3, 3)), "DiagonalBackward0"),
    (lambda: tinynn.tril(_t(3, 3)), "TrilBackward0"), (lambda: tinynn.triu(_t(3, 3)), "TriuBackward0"),
    (lambda: _t(3, 2).t(), "TBackward0"), (lambda: tinynn.cov(_t(2, 4)), "SqueezeBackward0"),
]


@pytest.mark.parametrize("fn,node", NODES)
def test_node_names(fn, node):
    assert type(fn().grad_fn).__name__ == node


# ----------------------------------------------------------------------------- errors
def _o(*shape, dtype=None):
    return tinynn.ones(*shape, dtype=dtype)


ERRORS = [
    (lambda: tinynn.matmul(_o(2, 3), _o(2, 3)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"),
    (lambda: tinynn.mm(_o(2, 3), _o(2, 3)), RuntimeError, r"cannot be multiplied \(2x3 and 2x3\)"),
    (lambda: tinynn.mm(_o(2, 2, 2), _o(2, 2)), RuntimeError, "self must be a matrix"),
    (lambda: tinynn.mm(_o(2, 2), _o(2, 2, 2)), RuntimeError, "mat2 must be a matrix"),
    (lambda: tinynn.dot(_o(2, 2), _o(2, 2)), RuntimeError,
     "1D tensors expected, but got 2D and 2D tensors"),
    (lambda: tinynn.dot(_o(2), _o(3)), RuntimeError, "inconsistent tensor size"),
    (lambda: tinynn.dot(_o(2), _o(2, dtype=tinynn.float64)), RuntimeError,
     "expected both vectors to have same dtype, but found Float and Double"),
    (lambda: tinynn.mm(_o(2, 2), _o(2, 2, dtype=tinynn.float64)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: _o(5, 2, 3) @ _o(5, 2, 3), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[5, 3\] but got: \[5, 2\]"),
    (lambda: _o(5, 2, 3) @ _o(4, 3, 3), RuntimeError,
     r"The size of tensor a \(5\) must match the size of tensor b \(4\) at non-singleton dimension 0"),
    (lambda: _o(5, 2, 3) @ _o(2, 3), RuntimeError, r"cannot be multiplied \(10x3 and 2x3\)"),
    (lambda: _o(5, 2, 3) @ _o(4), RuntimeError, r"size mismatch, got input \(10\), mat \(10x3\), vec \(4\)"),
    (lambda: _o(4) @ _o(2, 3), RuntimeError, r"cannot be multiplied \(1x4 and 2x3\)"),
    (lambda: _o(2, 3) @ _o(4), RuntimeError, r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    (lambda: tinynn.matmul(_o(3), tinynn.tensor(2.0)), RuntimeError, "at least 1D"),
    (lambda: tinynn.matmul(_o(2, 2), [[1.0]]), TypeError, "must be Tensor"),
    (lambda: tinynn.mv(_o(2, 3, 3), _o(2)), RuntimeError, "vector \\+ matrix @ vector expected"),
    (lambda: tinynn.bmm(_o(2, 2), _o(2, 2)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda: tinynn.bmm(_o(2, 2, 3), _o(3, 3, 2)), RuntimeError, r"to be: \[2, 3\] but got: \[3, 3\]"),
    (lambda: tinynn.mm(_o(2, 2, dtype=tinynn.bool), _o(2, 2, dtype=tinynn.bool)), NotImplementedError,
     "not implemented for 'Bool'"),
    (lambda: tinynn.outer(_o(2, 2), _o(2)), RuntimeError, "outer: Expected 1-D argument self"),
    (lambda: tinynn.inner(_o(2, 3), _o(2, 2)), RuntimeError, "the last dimension must match"),
    (lambda: tinynn.addmm(_o(3, 1), _o(2, 3), _o(3, 4)), RuntimeError,
     r"The expanded size of the tensor \(2\) must match the existing size \(3\)"),
    (lambda: tinynn.trace(_o(2, 2, 2)), RuntimeError, "trace: expected a matrix, but got tensor with dim 3"),
    (lambda: tinynn.diag(_o(2, 2, 2)), RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got 3D"),
    (lambda: tinynn.diagonal(_o(2, 2), 0, 1, 1), RuntimeError, "diagonal dimensions cannot be identical"),
    (lambda: tinynn.diagonal(_o(2)), IndexError, "Dimension out of range"),
    (lambda: tinynn.tril(_o(2)), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda: _o(2, 2, 2).t(), RuntimeError, "t\\(\\) expects a tensor with <= 2 dimensions"),
    (lambda: tinynn.cov(_o(2, 2, 2)), RuntimeError, "expected input to have two or fewer dimensions"),
    (lambda: tinynn.cov(_o(2, 3), fweights=tinynn.tensor([1.0, 1, 1])), RuntimeError,
     "expected fweights to have integral dtype but got fweights with Float dtype"),
    (lambda: tinynn.cov(_o(2, 3), fweights=tinynn.tensor([1, -1, 1])), RuntimeError,
     "fweights cannot be negative"),
    (lambda: tinynn.cov(_o(2, 3), fweights=tinynn.tensor([1, 1])), RuntimeError, "got 2 != 3"),
    (lambda: tinynn.cov(_o(2, 3), aweights=tinynn.tensor([1, 1, 1])), RuntimeError,
     "expected aweights to have floating point dtype but got aweights with Long dtype"),
    (lambda: tinynn.cov(_o(2, 3), aweights=tinynn.tensor([1.0, -1, 1])), RuntimeError,
     "aweights cannot be negative"),
    (lambda: tinynn.einsum("ij,jk->ik", _o(2, 3), _o(2, 3)), RuntimeError,
     "subscript j has size 2 for operand 1 which does not broadcast with previously seen size 3"),
    (lambda: tinynn.einsum("ij,jk", _o(2, 3)), RuntimeError, "fewer operands were provided"),
    (lambda: tinynn.einsum("i", _o(2), _o(2)), RuntimeError, "more operands were provided"),
    (lambda: tinynn.einsum("ij", _o(2)), RuntimeError, "does not match the number of dimensions"),
    (lambda: tinynn.einsum("i->j", _o(2)), RuntimeError, "output subscript j does not appear"),
    (lambda: tinynn.einsum("ij->ii", _o(2, 2)), RuntimeError, "appears more than once in the output"),
    (lambda: tinynn.einsum("i1", _o(2, 2)), RuntimeError, "subscripts must be in \\[a-zA-Z\\]"),
    (lambda: tinynn.einsum("ii", _o(2, 3)), RuntimeError, "sizes don't match, 3 != 2"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_errors(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()


def test_cov_warns_without_degrees_of_freedom(device):
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        c = tinynn.cov(tinynn.tensor([[1.0], [2.0]], device=device))
    assert all(math.isnan(v) or math.isinf(v) for v in c.flatten().tolist())


def test_cov_nan_on_single_observation_matches_torch(device):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = tinynn.cov(tinynn.tensor(2.0, device=device))
    assert c.shape == () and math.isnan(c.item())
