"""Reductions: values, dtypes and shapes against PyTorch-derived literals, gradients (gradcheck and
gradgradcheck), node names, named-tuple results, the axis/keepdims aliases and PyTorch's errors.

The literals in EXPECTED were derived once with PyTorch 2.13 (CPU) by running each VALUE_CASES
entry with `torch` in place of `tinynn`."""
from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
from helpers import assert_close, check_grad, make

import tinynn

X = [[0.5, -1.25, 2.0, 3.5], [1.5, 0.25, -2.0, 0.75], [-0.5, 4.0, 1.0, -3.0]]
X3 = (((np.arange(24) * 7) % 11 - 5) / 2).reshape(2, 3, 4).tolist()
XI = [[3, -1, 4], [1, 5, -9]]
TIES = [[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]]
NANS = [[1.0, float("nan"), 2.0, 3.0], [4.0, 0.0, 2.0, 2.0]]
MODE = [[3.0, 1.0, 3.0, 1.0, 2.0], [5.0, 5.0, 4.0, 4.0, 4.0]]
ZEROS = [[2.0, 0.0, 3.0], [0.0, 0.0, 1.5], [1.0, 2.0, -1.0]]


def _inputs(T, device=None):
    kw = {} if device is None else {"device": device}
    return {"x": T.tensor(X, **kw), "x3": T.tensor(X3, **kw), "xi": T.tensor(XI, **kw),
            "ties": T.tensor(TIES, **kw), "nans": T.tensor(NANS, **kw), "mode": T.tensor(MODE, **kw),
            "zeros": T.tensor(ZEROS, **kw), "s": T.tensor(2.5, **kw),
            "b": T.tensor([[True, False, True], [False, False, True]], **kw),
            "u8": T.tensor([[1, 0], [2, 3]], dtype=T.uint8, **kw)}


VALUE_CASES = {
    "sum": lambda T, d: d["x"].sum(),
    "sum_dim": lambda T, d: d["x"].sum(1),
    "sum_tuple_keepdim": lambda T, d: d["x3"].sum((0, 2), keepdim=True),
    "sum_neg_dim": lambda T, d: T.sum(d["x3"], -2),
    "sum_axis_keepdims": lambda T, d: d["x"].sum(axis=0, keepdims=True),
    "sum_empty_dims": lambda T, d: d["x"].sum(dim=[]),
    "sum_dtype": lambda T, d: d["x"].sum(dtype=T.float64),
    "sum_int": lambda T, d: d["xi"].sum(0),
    "sum_bool": lambda T, d: d["b"].sum(),
    "sum_uint8": lambda T, d: d["u8"].sum(),
    "sum_0d": lambda T, d: d["s"].sum(0),
    "nansum": lambda T, d: d["nans"].nansum(1),
    "mean": lambda T, d: d["x"].mean(),
    "mean_dim_keepdim": lambda T, d: d["x3"].mean(-1, True),
    "mean_tuple": lambda T, d: T.mean(d["x3"], (0, 1)),
    "mean_axis": lambda T, d: d["x"].mean(axis=1),
    "mean_int_dtype": lambda T, d: d["xi"].mean(dtype=T.float64),
    "nanmean": lambda T, d: d["nans"].nanmean(1),
    "prod": lambda T, d: d["x"].prod(),
    "prod_dim": lambda T, d: d["x"].prod(1),
    "prod_keepdim": lambda T, d: d["x3"].prod(0, keepdim=True),
    "prod_int": lambda T, d: d["xi"].prod(1),
    "prod_zeros": lambda T, d: d["zeros"].prod(0),
    "var": lambda T, d: d["x"].var(),
    "var_dim": lambda T, d: d["x"].var(1),
    "var_legacy_positional": lambda T, d: d["x"].var(0, False, True),
    "var_unbiased_only": lambda T, d: d["x"].var(False),
    "var_correction": lambda T, d: d["x3"].var((0, 2), correction=2),
    "var_correction_float": lambda T, d: d["x"].var(1, correction=0.5),
    "std": lambda T, d: d["x"].std(),
    "std_dim_keepdim": lambda T, d: T.std(d["x"], 1, keepdim=True),
    "std_unbiased_false": lambda T, d: d["x"].std(dim=0, unbiased=False),
    "std_axis": lambda T, d: T.std(d["x"], axis=1, keepdims=True),
    "var_mean": lambda T, d: T.var_mean(d["x"], 1),
    "std_mean": lambda T, d: T.std_mean(d["x3"], dim=(1, 2), correction=0, keepdim=True),
    "max": lambda T, d: d["x"].max(),
    "max_dim": lambda T, d: d["x"].max(1),
    "max_dim_keepdim": lambda T, d: T.max(d["x3"], 1, True),
    "max_kw": lambda T, d: T.max(d["x"], dim=0, keepdim=True),
    "max_axis": lambda T, d: T.max(d["x"], axis=1),
    "max_ties": lambda T, d: d["ties"].max(1),
    "max_int": lambda T, d: d["xi"].max(),
    "max_bool": lambda T, d: d["b"].max(1),
    "max_nan": lambda T, d: d["nans"].max(1),
    "max_0d": lambda T, d: d["s"].max(0),
    "max_elementwise": lambda T, d: T.max(d["x"], d["x"].flip(0)),
    "min": lambda T, d: T.min(d["x"]),
    "min_dim": lambda T, d: d["x"].min(0),
    "min_elementwise": lambda T, d: T.min(d["x"], d["x"].flip(1)),
    "amax": lambda T, d: d["x3"].amax(),
    "amax_tuple": lambda T, d: d["x3"].amax((0, 2)),
    "amin_keepdim": lambda T, d: T.amin(d["x3"], 1, True),
    "amax_axis": lambda T, d: T.amax(d["x"], axis=1, keepdims=True),
    "aminmax": lambda T, d: T.aminmax(d["x"]),
    "aminmax_dim": lambda T, d: T.aminmax(d["x"], dim=1, keepdim=True),
    "argmax": lambda T, d: d["x"].argmax(),
    "argmax_dim": lambda T, d: d["x3"].argmax(1),
    "argmin_keepdim": lambda T, d: d["x"].argmin(-1, keepdim=True),
    "argmax_flat_keepdim": lambda T, d: d["x"].argmax(keepdim=True),
    "argmax_ties": lambda T, d: d["ties"].argmax(1),
    "argmax_nan": lambda T, d: d["nans"].argmax(1),
    "argmin_int": lambda T, d: T.argmin(d["xi"], axis=1),
    "median": lambda T, d: d["x"].median(),
    "median_dim": lambda T, d: d["x"].median(1),
    "median_ties": lambda T, d: d["ties"].median(1, keepdim=True),
    "median_nan": lambda T, d: d["nans"].median(1),
    "nanmedian_dim": lambda T, d: d["nans"].nanmedian(1),
    "nanmedian": lambda T, d: d["nans"].nanmedian(),
    "mode": lambda T, d: d["mode"].mode(),
    "mode_dim0": lambda T, d: d["mode"].mode(0),
    "logsumexp": lambda T, d: d["x"].logsumexp(1),
    "logsumexp_tuple": lambda T, d: T.logsumexp(d["x3"], (0, 2), keepdim=True),
    "logsumexp_int": lambda T, d: d["xi"].logsumexp(1),
    "logsumexp_big": lambda T, d: (d["x"] * 1000).logsumexp(1),
    "logsumexp_inf": lambda T, d: T.tensor([[-math.inf, -math.inf], [math.inf, 1.0]]).logsumexp(1),
    "norm": lambda T, d: d["x"].norm(),
    "norm_p1": lambda T, d: d["x"].norm(1),
    "norm_inf": lambda T, d: d["x"].norm(float("inf")),
    "norm_ninf_dim": lambda T, d: d["x"].norm(float("-inf"), dim=1),
    "norm_p0": lambda T, d: d["x"].norm(0),
    "norm_p3_tuple": lambda T, d: d["x3"].norm(3, dim=(0, 2)),
    "norm_half_keepdim": lambda T, d: T.norm(d["x"], 0.5, 1, True),
    "norm_fro_dim": lambda T, d: d["x"].norm("fro", dim=1),
    "norm_dtype": lambda T, d: d["x"].norm(dtype=T.float64),
    "cumsum": lambda T, d: d["x"].cumsum(1),
    "cumsum_axis": lambda T, d: T.cumsum(d["x"], axis=0),
    "cumsum_int": lambda T, d: d["xi"].cumsum(1),
    "cumsum_bool": lambda T, d: d["b"].cumsum(1),
    "cumsum_dtype": lambda T, d: d["xi"].cumsum(0, dtype=T.float32),
    "cumsum_0d": lambda T, d: d["s"].cumsum(0),
    "cumprod": lambda T, d: d["x"].cumprod(1),
    "cumprod_int": lambda T, d: d["xi"].cumprod(0),
    "all": lambda T, d: d["x"].all(),
    "all_dim": lambda T, d: d["zeros"].all(1),
    "any_keepdim": lambda T, d: (d["x"] > 3).any(1, keepdim=True),
    "any_tuple": lambda T, d: T.any(d["zeros"] > 2, dim=(0, 1)),
    "any_empty_tuple": lambda T, d: d["zeros"].any(()),
    "all_uint8": lambda T, d: d["u8"].all(1),
    "count_nonzero": lambda T, d: T.count_nonzero(d["zeros"]),
    "count_nonzero_dim": lambda T, d: d["zeros"].count_nonzero(0),
    "count_nonzero_tuple": lambda T, d: T.count_nonzero(d["x3"] > 0, dim=(0, 2)),
}

# derived once with PyTorch 2.13 (see the module docstring); ("t", dtype, shape, values),
# ("seq", type name, [items]), or a Python value
EXPECTED = {
    'sum': ('t', 'float32', [], 6.75),
    'sum_dim': ('t', 'float32', [3], [4.75, 0.5, 1.5]),
    'sum_tuple_keepdim': ('t', 'float32', [1, 3, 1], [[[3.0], [-0.5], [-4.0]]]),
    'sum_neg_dim': ('t', 'float32', [2, 4], [[-4.0, 1.0, 0.5, 0.0], [1.0, 0.5, 0.0, -0.5]]),
    'sum_axis_keepdims': ('t', 'float32', [1, 4], [[1.5, 3.0, 1.0, 1.25]]),
    'sum_empty_dims': ('t', 'float32', [], 6.75),
    'sum_dtype': ('t', 'float64', [], 6.75),
    'sum_int': ('t', 'int64', [3], [4, 4, -5]),
    'sum_bool': ('t', 'int64', [], 3),
    'sum_uint8': ('t', 'int64', [], 6),
    'sum_0d': ('t', 'float32', [], 2.5),
    'nansum': ('t', 'float32', [2], [6.0, 8.0]),
    'mean': ('t', 'float32', [], 0.5625),
    'mean_dim_keepdim': ('t', 'float32', [2, 3, 1], [[[0.0], [0.25], [-0.875]], [[0.75], [-0.375], [-0.125]]]),
    'mean_tuple': ('t', 'float32', [4], [-0.5, 0.25, 0.0833333358168602, -0.0833333358168602]),
    'mean_axis': ('t', 'float32', [3], [1.1875, 0.125, 0.375]),
    'mean_int_dtype': ('t', 'float64', [], 0.5),
    'nanmean': ('t', 'float32', [2], [2.0, 2.0]),
    'prod': ('t', 'float32', [], 14.765625),
    'prod_dim': ('t', 'float32', [3], [-4.375, -0.5625, 6.0]),
    'prod_keepdim': ('t', 'float32', [1, 3, 4], [[[-2.5, -1.0, -2.5, 1.25], [-0.75, -3.0, 0.0, -0.0], [-3.0, -0.75, 1.25, -2.5]]]),
    'prod_int': ('t', 'int64', [2], [-12, -45]),
    'prod_zeros': ('t', 'float32', [3], [0.0, 0.0, -4.5]),
    'var': ('t', 'float32', [], 4.308238506317139),
    'var_dim': ('t', 'float32', [3], [4.140625, 2.2708332538604736, 8.5625]),
    'var_legacy_positional': ('t', 'float32', [1, 4], [[0.6666666865348816, 4.875, 2.8888888359069824, 7.097222328186035]]),
    'var_unbiased_only': ('t', 'float32', [], 3.94921875),
    'var_correction': ('t', 'float32', [3], [3.6458332538604736, 2.7864582538604736, 3.4166667461395264]),
    'var_correction_float': ('t', 'float32', [3], [3.549107074737549, 1.9464285373687744, 7.339285850524902]),
    'std': ('t', 'float32', [], 2.075629711151123),
    'std_dim_keepdim': ('t', 'float32', [3, 1], [[2.0348525047302246], [1.5069284439086914], [2.9261748790740967]]),
    'std_unbiased_false': ('t', 'float32', [4], [0.8164966106414795, 2.207940101623535, 1.6996731758117676, 2.6640613079071045]),
    'std_axis': ('t', 'float32', [3, 1], [[2.0348525047302246], [1.5069284439086914], [2.9261748790740967]]),
    'var_mean': ('seq', 'tuple', [('t', 'float32', [3], [4.140625, 2.2708332538604736, 8.5625]), ('t', 'float32', [3], [1.1875, 0.125, 0.375])]),
    'std_mean': ('seq', 'tuple', [('t', 'float32', [2, 1, 1], [[[1.6640604734420776]], [[1.5388487577438354]]]), ('t', 'float32', [2, 1, 1], [[[-0.2083333283662796]], [[0.0833333358168602]]])]),
    'max': ('t', 'float32', [], 4.0),
    'max_dim': ('seq', 'max', [('t', 'float32', [3], [3.5, 1.5, 4.0]), ('t', 'int64', [3], [3, 0, 1])]),
    'max_dim_keepdim': ('seq', 'max', [('t', 'float32', [2, 1, 4], [[[0.5, 1.5, 2.0, 2.5]], [[1.5, 2.0, 2.5, 1.0]]]), ('t', 'int64', [2, 1, 4], [[[1, 2, 1, 0]], [[2, 1, 0, 2]]])]),
    'max_kw': ('seq', 'max', [('t', 'float32', [1, 4], [[1.5, 4.0, 2.0, 3.5]]), ('t', 'int64', [1, 4], [[1, 2, 0, 0]])]),
    'max_axis': ('seq', 'max', [('t', 'float32', [3], [3.5, 1.5, 4.0]), ('t', 'int64', [3], [3, 0, 1])]),
    'max_ties': ('seq', 'max', [('t', 'float32', [2], [3.0, 3.0]), ('t', 'int64', [2], [1, 0])]),
    'max_int': ('t', 'int64', [], 5),
    'max_bool': ('seq', 'max', [('t', 'bool', [2], [True, True]), ('t', 'int64', [2], [0, 2])]),
    'max_nan': ('seq', 'max', [('t', 'float32', [2], [float("nan"), 4.0]), ('t', 'int64', [2], [1, 0])]),
    'max_0d': ('seq', 'max', [('t', 'float32', [], 2.5), ('t', 'int64', [], 0)]),
    'max_elementwise': ('t', 'float32', [3, 4], [[0.5, 4.0, 2.0, 3.5], [1.5, 0.25, -2.0, 0.75], [0.5, 4.0, 2.0, 3.5]]),
    'min': ('t', 'float32', [], -3.0),
    'min_dim': ('seq', 'min', [('t', 'float32', [4], [-0.5, -1.25, -2.0, -3.0]), ('t', 'int64', [4], [2, 0, 1, 2])]),
    'min_elementwise': ('t', 'float32', [3, 4], [[0.5, -1.25, -1.25, 0.5], [0.75, -2.0, -2.0, 0.75], [-3.0, 1.0, 1.0, -3.0]]),
    'amax': ('t', 'float32', [], 2.5),
    'amax_tuple': ('t', 'float32', [3], [2.5, 2.0, 1.5]),
    'amin_keepdim': ('t', 'float32', [2, 1, 4], [[[-2.5, -1.5, -1.0, -2.5]], [[-1.5, -1.0, -2.5, -2.0]]]),
    'amax_axis': ('t', 'float32', [3, 1], [[3.5], [1.5], [4.0]]),
    'aminmax': ('seq', 'aminmax', [('t', 'float32', [], -3.0), ('t', 'float32', [], 4.0)]),
    'aminmax_dim': ('seq', 'aminmax', [('t', 'float32', [3, 1], [[-1.25], [-2.0], [-3.0]]), ('t', 'float32', [3, 1], [[3.5], [1.5], [4.0]])]),
    'argmax': ('t', 'int64', [], 9),
    'argmax_dim': ('t', 'int64', [2, 4], [[1, 2, 1, 0], [2, 1, 0, 2]]),
    'argmin_keepdim': ('t', 'int64', [3, 1], [[1], [2], [3]]),
    'argmax_flat_keepdim': ('t', 'int64', [1, 1], [[9]]),
    'argmax_ties': ('t', 'int64', [2], [1, 0]),
    'argmax_nan': ('t', 'int64', [2], [1, 0]),
    'argmin_int': ('t', 'int64', [2], [1, 2]),
    'median': ('t', 'float32', [], 0.5),
    'median_dim': ('seq', 'median', [('t', 'float32', [3], [0.5, 0.25, -0.5]), ('t', 'int64', [3], [0, 1, 0])]),
    'median_ties': ('seq', 'median', [('t', 'float32', [2, 1], [[3.0], [2.0]]), ('t', 'int64', [2, 1], [[1], [2]])]),
    'median_nan': ('seq', 'median', [('t', 'float32', [2], [float("nan"), 2.0]), ('t', 'int64', [2], [1, 2])]),
    'nanmedian_dim': ('seq', 'nanmedian', [('t', 'float32', [2], [2.0, 2.0]), ('t', 'int64', [2], [2, 2])]),
    'nanmedian': ('t', 'float32', [], 2.0),
    'mode': ('seq', 'mode', [('t', 'float32', [2], [1.0, 4.0]), ('t', 'int64', [2], [3, 4])]),
    'mode_dim0': ('seq', 'mode', [('t', 'float32', [5], [3.0, 1.0, 3.0, 1.0, 2.0]), ('t', 'int64', [5], [0, 0, 0, 0, 0])]),
    'logsumexp': ('t', 'float32', [3], [3.7480850219726562, 2.081695079803467, 4.059972763061523]),
    'logsumexp_tuple': ('t', 'float32', [1, 3, 1], [[[3.4740796089172363], [2.944882392883301], [2.5797793865203857]]]),
    'logsumexp_int': ('t', 'float32', [2], [4.318175315856934, 5.018150806427002]),
    'logsumexp_big': ('t', 'float32', [3], [3500.0, 1500.0, 4000.0]),
    'logsumexp_inf': ('t', 'float32', [2], [-math.inf, math.inf]),
    'norm': ('t', 'float32', [], 7.154543876647949),
    'norm_p1': ('t', 'float32', [], 20.25),
    'norm_inf': ('t', 'float32', [], 4.0),
    'norm_ninf_dim': ('t', 'float32', [3], [0.5, 0.25, 0.5]),
    'norm_p0': ('t', 'float32', [], 12.0),
    'norm_p3_tuple': ('t', 'float32', [3], [3.7084298133850098, 3.137152671813965, 3.615213632583618]),
    'norm_half_keepdim': ('t', 'float32', [3, 1], [[26.113967895507812], [16.03989601135254], [29.584434509277344]]),
    'norm_fro_dim': ('t', 'float32', [3], [4.25, 2.6220221519470215, 5.123475551605225]),
    'norm_dtype': ('t', 'float64', [], 7.1545440106270926),
    'cumsum': ('t', 'float32', [3, 4], [[0.5, -0.75, 1.25, 4.75], [1.5, 1.75, -0.25, 0.5], [-0.5, 3.5, 4.5, 1.5]]),
    'cumsum_axis': ('t', 'float32', [3, 4], [[0.5, -1.25, 2.0, 3.5], [2.0, -1.0, 0.0, 4.25], [1.5, 3.0, 1.0, 1.25]]),
    'cumsum_int': ('t', 'int64', [2, 3], [[3, 2, 6], [1, 6, -3]]),
    'cumsum_bool': ('t', 'int64', [2, 3], [[1, 1, 2], [0, 0, 1]]),
    'cumsum_dtype': ('t', 'float32', [2, 3], [[3.0, -1.0, 4.0], [4.0, 4.0, -5.0]]),
    'cumsum_0d': ('t', 'float32', [], 2.5),
    'cumprod': ('t', 'float32', [3, 4], [[0.5, -0.625, -1.25, -4.375], [1.5, 0.375, -0.75, -0.5625], [-0.5, -2.0, -2.0, 6.0]]),
    'cumprod_int': ('t', 'int64', [2, 3], [[3, -1, 4], [3, -5, -36]]),
    'all': ('t', 'bool', [], True),
    'all_dim': ('t', 'bool', [3], [False, False, True]),
    'any_keepdim': ('t', 'bool', [3, 1], [[True], [False], [True]]),
    'any_tuple': ('t', 'bool', [], True),
    'any_empty_tuple': ('t', 'bool', [3, 3], [[True, False, True], [False, False, True], [True, True, True]]),
    'all_uint8': ('t', 'uint8', [2], [0, 1]),
    'count_nonzero': ('t', 'int64', [], 6),
    'count_nonzero_dim': ('t', 'int64', [3], [2, 1, 3]),
    'count_nonzero_tuple': ('t', 'int64', [3], [5, 3, 3]),
}


def _encode(v, T):
    """A result as plain data: tensors as (kind, dtype, shape, values)."""
    if isinstance(v, T.Tensor):
        name = str(v.dtype).split(".")[-1]
        return ("t", name, list(v.shape), v.detach().cpu().tolist())
    if isinstance(v, tuple):
        return ("seq", type(v).__name__, [_encode(e, T) for e in v])
    return v


def _compare(actual, expected, where):
    if isinstance(expected, tuple) and expected and expected[0] == "t":
        assert actual[0] == "t", where
        assert actual[1] == expected[1], f"{where}: dtype {actual[1]} != {expected[1]}"
        assert actual[2] == expected[2], f"{where}: shape {actual[2]} != {expected[2]}"
        a = np.asarray(actual[3], dtype=np.float64)
        e = np.asarray(expected[3], dtype=np.float64)
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=where)
    elif isinstance(expected, tuple) and expected and expected[0] == "seq":
        assert actual[0] == "seq" and actual[1] == expected[1], f"{where}: {actual[:2]}"
        assert len(actual[2]) == len(expected[2])
        for i, (a, e) in enumerate(zip(actual[2], expected[2])):
            _compare(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, where


@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_values_match_pytorch(name, device):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = VALUE_CASES[name](tinynn, _inputs(tinynn, device))
    _compare(_encode(out, tinynn), EXPECTED[name], name)


def test_values_side_by_side_with_torch():
    """Optional: the same cases run on real PyTorch still give the literals (guards the table)."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional oracle)")
    for name, fn in VALUE_CASES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(torch, _inputs(torch))
        _compare(_encode(out, torch), EXPECTED[name], name)


# ----------------------------------------------------------------------------- gradients
def _rand(*shape, seed=0, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


A = _rand(2, 3, 4)
A0 = np.array(1.7)
POS = _rand(2, 3, 4, lo=0.5, hi=2.0, seed=1)

GRAD_CASES = [
    ("sum", lambda x: x.sum(), A),
    ("sum_dim", lambda x: x.sum(1), A),
    ("sum_tuple_keepdim", lambda x: x.sum((0, 2), keepdim=True), A),
    ("sum_axis", lambda x: tinynn.sum(x, axis=-1, keepdims=True), A),
    ("sum_0d", lambda x: x.sum(), A0),
    ("nansum", lambda x: x.nansum(2), A),
    ("mean", lambda x: x.mean(), A),
    ("mean_dim", lambda x: x.mean(-1), A),
    ("mean_tuple_keepdim", lambda x: x.mean((0, 1), keepdim=True), A),
    ("mean_0d", lambda x: x.mean(0), A0),
    ("nanmean", lambda x: x.nanmean(1), A),
    ("prod", lambda x: x.prod(), _rand(2, 3, seed=2, lo=0.5, hi=1.5)),
    ("prod_dim", lambda x: x.prod(1), A),
    ("prod_keepdim", lambda x: x.prod(-1, keepdim=True), A),
    ("prod_one_zero", lambda x: x.prod(1), np.array([[2.0, 0.0, 3.0], [1.0, 2.0, -1.5]])),
    ("prod_two_zeros", lambda x: x.prod(1), np.array([[0.0, 0.0, 3.0], [0.0, 2.0, 0.0]])),
    ("prod_all_zero", lambda x: x.prod(), np.array([[1.5, 0.0], [2.0, -1.0]])),
    ("prod_0d", lambda x: x.prod(), A0),
    ("cumsum", lambda x: x.cumsum(1), A),
    ("cumsum_neg", lambda x: tinynn.cumsum(x, dim=-1), A),
    ("cumsum_0d", lambda x: x.cumsum(0), A0),
    ("cumprod", lambda x: x.cumprod(2), A),
    ("cumprod_zeros", lambda x: x.cumprod(1),
     np.array([[2.0, 0.0, 3.0, 1.5], [0.0, 1.0, 0.0, 2.0], [1.0, 2.0, 1.5, 0.0]])),
    ("cumprod_0d", lambda x: x.cumprod(0), A0),
    ("var", lambda x: x.var(), A),
    ("var_dim", lambda x: x.var(1), A),
    ("var_tuple_keepdim", lambda x: x.var((0, 2), keepdim=True, correction=0), A),
    ("var_legacy", lambda x: x.var(2, False, True), A),
    ("std", lambda x: x.std(), A),
    ("std_dim", lambda x: x.std(-1, keepdim=True), A),
    ("std_correction", lambda x: x.std((0, 1), correction=2), A),
    ("var_mean", lambda x: tinynn.var_mean(x, 1), A),
    ("std_mean", lambda x: tinynn.std_mean(x, (0, 2), keepdim=True), A),
    ("max", lambda x: x.max(), A),
    ("max_dim", lambda x: x.max(1)[0], A),
    ("max_dim_keepdim", lambda x: x.max(-1, keepdim=True).values, A),
    ("min_dim", lambda x: tinynn.min(x, 0).values, A),
    ("min", lambda x: x.min(), A),
    ("max_0d", lambda x: x.max(0).values, A0),
    ("amax", lambda x: x.amax((0, 2)), A),
    ("amin_keepdim", lambda x: x.amin(1, keepdim=True), A),
    ("aminmax", lambda x: tinynn.aminmax(x, dim=1), A),
    ("median", lambda x: x.median(), A),
    ("median_dim", lambda x: x.median(1).values, A),
    ("nanmedian_dim", lambda x: x.nanmedian(2, keepdim=True).values, A),
    ("logsumexp", lambda x: x.logsumexp(1), A),
    ("logsumexp_tuple", lambda x: x.logsumexp((0, 2), keepdim=True), A),
    ("logsumexp_0d", lambda x: x.logsumexp(0), A0),
    ("norm", lambda x: x.norm(), A),
    ("norm_dim", lambda x: x.norm(dim=1), A),
    ("norm_p1", lambda x: x.norm(1, dim=(0, 2)), A),
    ("norm_p3", lambda x: x.norm(3, dim=-1, keepdim=True), A),
    ("norm_p_half", lambda x: x.norm(0.5, dim=1), A),
    ("norm_inf", lambda x: x.norm(float("inf"), dim=2), A),
    ("norm_ninf", lambda x: x.norm(-math.inf), A),
    ("norm_0d", lambda x: x.norm(), A0),
]


@pytest.mark.parametrize("name,fn,arr", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(name, fn, arr, device):
    check_grad(fn, arr, device=device)


def test_gradcheck_elementwise_max_min(device):
    a, b = _rand(2, 3, seed=3), _rand(3, seed=4)
    check_grad(lambda x, y: tinynn.max(x, y), a, b, device=device)
    check_grad(lambda x, y: tinynn.min(x, y), a, b, device=device)


def test_gradgradcheck_prod_through_zeros_is_exact(device):
    """Second derivatives of prod and cumprod at zeros (the create_graph path) match finite
    differences, including the zero-zero mixed derivative of a slice with two zeros."""
    x = make([[0.0, 0.0, 3.0], [2.0, 0.0, 1.0]], device)
    (g,) = tinynn.autograd.grad(x.prod(), x, create_graph=True)
    (h,) = tinynn.autograd.grad(g[0, 0], x)
    assert_close(h, [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # d/dx01 prod_{j!=00} x_j = prod_{j!=00,01} = 0
    x = make([[0.0, 0.0, 3.0]], device)
    (g,) = tinynn.autograd.grad(x.prod(1).sum(), x, create_graph=True)
    (h,) = tinynn.autograd.grad(g[0, 0], x)
    assert_close(h, [[0.0, 3.0, 0.0]])


# ----------------------------------------------------------------------------- gradient values
def test_max_gradient_splits_evenly_among_ties(device):
    # PyTorch: max()/amax/median() share the gradient among equal entries; max(dim) picks the index
    x = make(TIES, device)
    x.max().backward()
    assert_close(x.grad, [[0, 1 / 3, 1 / 3], [1 / 3, 0, 0]])
    x = make(TIES, device)
    x.amax(1).sum().backward()
    assert_close(x.grad, [[0, 0.5, 0.5], [1, 0, 0]])
    x = make(TIES, device)
    x.max(1).values.sum().backward()
    assert_close(x.grad, [[0, 1, 0], [1, 0, 0]])
    x = make([[3.0, 3.0, 3.0, 2.0]], device)
    x.median().backward()
    assert_close(x.grad, [[1 / 3, 1 / 3, 1 / 3, 0]])
    x = make([[3.0, 3.0, 3.0, 2.0]], device)
    x.median(1).values.backward(tinynn.ones(1, dtype=tinynn.float64, device=device))
    assert_close(x.grad, [[1, 0, 0, 0]])
    x = make([[1.5, 2.5, 1.5], [0.5, 0.5, -1.0]], device)
    x.mode(1).values.sum().backward()   # to the returned index: the last occurrence
    assert_close(x.grad, [[0, 0, 1], [0, 1, 0]])


def test_conformance_style_max_grads(device):
    a = make([[1.0, 5.0, 3.0, -2.0], [7.0, 0.5, 2.0, 8.0], [-1.0, 6.0, 9.0, 4.0]], device)
    v, i = tinynn.max(a, 1)
    (v * tinynn.tensor([1.0, 2.0, 3.0], dtype=tinynn.float64, device=device)).sum().backward()
    assert_close(a.grad, [[0, 1, 0, 0], [0, 0, 0, 2], [0, 0, 3, 0]])
    assert i.tolist() == [1, 3, 2]


def test_norm_gradient_at_zero_vector_is_zero(device):
    for p in (2, 3, 0.5, 1, float("inf")):
        x = make(np.zeros((2, 3)), device)
        x.norm(p).backward()
        assert_close(x.grad, np.zeros((2, 3)))
    x = make([[0.0, 0.0], [3.0, 4.0]], device)
    x.norm(dim=1).sum().backward()
    assert_close(x.grad, [[0.0, 0.0], [0.6, 0.8]])


def test_std_gradient_of_constant_slice_is_zero(device):
    x = make([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], device)
    x.std(1).sum().backward()
    assert_close(x.grad[0], [0.0, 0.0, 0.0])
    assert np.isfinite(x.grad.detach().cpu().numpy()).all()


def test_prod_gradient_values_with_zeros(device):
    x = make([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5]], device)
    x.prod(1).sum().backward()
    assert_close(x.grad, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])
    x = make([2.0, 0.0, 3.0, 0.5], device)
    x.cumprod(0).sum().backward()
    # d/dx1 of (2, 2*x1, 6*x1, 3*x1) = 2 + 6 + 3
    assert_close(x.grad, [1.0, 11.0, 0.0, 0.0])


def test_logsumexp_is_stable(device):
    x = tinynn.tensor([[1000.0, 1000.0], [-1000.0, -1000.0]], device=device, requires_grad=True)
    y = x.logsumexp(1)
    assert_close(y, [1000.0 + math.log(2), -1000.0 + math.log(2)], rtol=1e-6)
    y.sum().backward()
    assert_close(x.grad, [[0.5, 0.5], [0.5, 0.5]], rtol=1e-4)  # float32 rounding of 1000 + log 2


def test_gradient_dtype_follows_input_when_dtype_given(device):
    x = tinynn.tensor([1.0, 2.0], device=device, requires_grad=True)
    x.sum(dtype=tinynn.float64).backward()
    assert x.grad.dtype is tinynn.float32
    x = tinynn.tensor([1.0, 2.0], device=device, requires_grad=True)
    x.cumsum(0, dtype=tinynn.float64).sum().backward()
    assert x.grad.dtype is tinynn.float32 and x.grad.tolist() == [2.0, 1.0]


# ----------------------------------------------------------------------------- empty tensors
def test_empty_reductions(device):
    e = tinynn.zeros(0, 3, device=device)
    assert e.sum().item() == 0.0 and e.prod().item() == 1.0
    assert math.isnan(e.mean().item())
    assert e.sum(0).tolist() == [0.0, 0.0, 0.0] and e.prod(0).tolist() == [1.0, 1.0, 1.0]
    assert e.amax(1).shape == (0,) and e.max(1).values.shape == (0,)
    assert e.logsumexp(0).tolist() == [-math.inf] * 3
    assert e.norm().item() == 0.0 and e.cumsum(0).shape == (0, 3)
    assert e.count_nonzero().item() == 0 and e.all().item() is True and e.any().item() is False
    x = tinynn.zeros(0, 3, dtype=tinynn.float64, device=device, requires_grad=True)
    x.sum(0).sum().backward()
    assert x.grad.shape == (0, 3)


# ----------------------------------------------------------------------------- node names
NODES = [
    (lambda x: x.sum(), "SumBackward0"), (lambda x: x.sum(0), "SumBackward1"),
    (lambda x: x.sum(()), "SumBackward1"), (lambda x: x.mean(), "MeanBackward0"),
    (lambda x: x.mean(1), "MeanBackward1"), (lambda x: x.nansum(), "NansumBackward0"),
    (lambda x: x.nanmean(), "DivBackward0"), (lambda x: x.prod(), "ProdBackward0"),
    (lambda x: x.prod(0), "ProdBackward1"), (lambda x: x.var(), "VarBackward0"),
    (lambda x: x.std(0), "StdBackward0"), (lambda x: tinynn.var_mean(x)[0], "VarMeanBackward0"),
    (lambda x: tinynn.std_mean(x)[1], "StdMeanBackward0"), (lambda x: x.max(), "MaxBackward1"),
    (lambda x: x.max(0).values, "MaxBackward0"), (lambda x: x.min(), "MinBackward1"),
    (lambda x: x.min(1)[0], "MinBackward0"), (lambda x: x.amax(0), "AmaxBackward0"),
    (lambda x: x.amin(), "AminBackward0"), (lambda x: tinynn.aminmax(x).max, "AminmaxBackward0"),
    (lambda x: x.median(), "MedianBackward0"), (lambda x: x.median(0).values, "MedianBackward1"),
    (lambda x: x.nanmedian(), "NanmedianBackward0"),
    (lambda x: x.nanmedian(0).values, "NanmedianBackward1"),
    (lambda x: x.mode(0).values, "ModeBackward0"), (lambda x: x.logsumexp(0), "LogsumexpBackward0"),
    (lambda x: x.norm(), "LinalgVectorNormBackward0"), (lambda x: x.norm(1, 0), "LinalgVectorNormBackward0"),
    (lambda x: x.cumsum(0), "CumsumBackward0"), (lambda x: x.cumprod(0), "CumprodBackward0"),
]


@pytest.mark.parametrize("fn,node", NODES)
def test_node_names(fn, node, device):
    x = tinynn.tensor(X, device=device, requires_grad=True)
    assert type(fn(x).grad_fn).__name__ == node


def test_integer_results_do_not_require_grad(device):
    x = tinynn.tensor(X, device=device, requires_grad=True)
    r = x.max(1)
    assert r.values.requires_grad and not r.indices.requires_grad
    assert not x.argmax().requires_grad and not x.any().requires_grad
    assert not x.count_nonzero().requires_grad


# ----------------------------------------------------------------------------- named tuples
def test_return_types(device):
    a = tinynn.tensor([[1.0, 5.0, 3.0], [7.0, 0.5, 2.0]], device=device)
    r = tinynn.max(a, 1)
    values, indices = r
    assert type(r).__name__ == "max" and isinstance(r, tuple) and len(r) == 2
    assert r[0] is values is r.values and r[1] is indices is r.indices
    assert type(r) is tinynn.return_types.max
    assert repr(r) == ("tinynn.return_types.max(\nvalues=tensor([5., 7.]),\nindices=tensor([1, 0]))"
                       if device == "cpu" else repr(r))
    assert str(r) == repr(r)
    lo, hi = tinynn.aminmax(a)
    assert tinynn.aminmax(a).min is not None and lo.item() == 0.5 and hi.item() == 7.0
    assert type(a.min(0)).__name__ == "min" and type(a.median(0)).__name__ == "median"
    assert type(a.mode(0)).__name__ == "mode"


@pytest.mark.cpu_only(reason="pickles host tensors")
def test_return_types_pickle():
    r = tinynn.tensor([[1.0, 5.0]]).max(1)
    r2 = pickle.loads(pickle.dumps(r))
    assert type(r2) is type(r) and r2.values.tolist() == [5.0] and r2.indices.tolist() == [1]


def test_out_argument(device):
    x = tinynn.tensor(X, device=device)
    out = tinynn.empty(0, device=device)
    res = tinynn.sum(x, 1, out=out)
    assert res is out and out.tolist() == [4.75, 0.5, 1.5]
    v, i = tinynn.empty(0, device=device), tinynn.empty(0, dtype=tinynn.int64, device=device)
    tinynn.max(x, 0, out=(v, i))
    assert v.tolist() == [1.5, 4.0, 2.0, 3.5] and i.tolist() == [1, 2, 0, 0]
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tinynn.sum(x.clone().requires_grad_(), out=tinynn.empty(0, device=device))


# ----------------------------------------------------------------------------- errors
ERRORS = [
    (lambda x: x.sum(2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda x: x.max(-3), IndexError, r"expected to be in range of \[-2, 1\], but got -3"),
    (lambda x: x.mean((0, -2)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda x: x.long().mean(), RuntimeError,
     "mean\\(\\): could not infer output dtype. Input dtype must be either a floating point or "
     "complex dtype. Got: Long"),
    (lambda x: x.long().std(), RuntimeError, "std and var only support floating point"),
    (lambda x: x.long().norm(), RuntimeError, "Expected a floating point or complex tensor"),
    (lambda x: tinynn.zeros(0).max(), RuntimeError,
     "max\\(\\): Expected reduction dim to be specified for input.numel\\(\\) == 0"),
    (lambda x: tinynn.zeros(0).amin(), RuntimeError, "Expected reduction dim to be specified"),
    (lambda x: tinynn.zeros(0, 3).max(0), IndexError,
     "max\\(\\): Expected reduction dim 0 to have non-zero size"),
    (lambda x: tinynn.zeros(0, 3).argmax(), IndexError, "Expected reduction dim to be specified"),
    (lambda x: tinynn.zeros(0).aminmax(), RuntimeError, "cannot compute aminmax over an empty"),
    (lambda x: x.sum(0, axis=1), TypeError, "axis"),
    (lambda x: x.var(0, 1), TypeError, "unbiased"),
    (lambda x: x.var(0, True, correction=1), TypeError, "unbiased"),
    (lambda x: x.prod((0, 1)), TypeError, "dim"),
    (lambda x: x.cumsum(), TypeError, "dim"),
    (lambda x: tinynn.max(x, keepdim=True), TypeError, "invalid combination"),
    (lambda x: x.norm("nuclear-ish"), RuntimeError, "not supported"),
    (lambda x: x.norm(dtype=tinynn.float16), RuntimeError, "without narrowing"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_errors(fn, exc, msg, device):
    x = tinynn.tensor(X, device=device)
    with pytest.raises(exc, match=msg):
        fn(x)


def test_degrees_of_freedom_warning(device):
    x = tinynn.tensor([1.0], device=device)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        v = x.var()
    assert math.isnan(v.item())
