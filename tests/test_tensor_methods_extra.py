"""The Tensor methods of the ops added with hypot ... renorm: each is its function, and each
in-place form leaves in the tensor what the function returns (and bumps the version counter)."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn

A = np.array([[0.3, -1.2, 2.0], [0.5, 0.1, -0.7]])
B = np.array([[1.5, 0.2, -0.3], [0.4, 2.0, 1.0]])
SMALL = np.clip(A, -0.9, 0.9) * 0.5 + 0.5  # in (0, 1): logit, erfinv

METHODS = {  # name: (input, extra args as arrays / values)
    "hypot": (A, (B,)), "logaddexp": (A, (B,)), "logaddexp2": (A, (B,)), "xlogy": (SMALL, (B,)),
    "logit": (SMALL, ()), "erfinv": (SMALL, ()), "sinc": (A, ()), "copysign": (A, (B,)),
    "signbit": (A, ()), "heaviside": (A, (B,)), "ldexp": (A, (B,)), "nextafter": (A, (B,)),
    "kthvalue": (A, (2,)), "cummax": (A, (1,)), "cummin": (A, (0,)), "histc": (A, (4,)),
    "diff": (A, ()), "rot90": (A, ()), "dist": (A, (B,)), "renorm": (A, (2, 0, 1.0)),
    "bincount": (np.array([0, 2, 2, 5]), ()),
}
IN_PLACE = ["hypot", "xlogy", "logit", "erfinv", "sinc", "copysign", "heaviside", "ldexp", "nextafter",
            "renorm"]


def _args(device, extra):
    return [tinynn.tensor(e, device=device) if isinstance(e, np.ndarray) else e for e in extra]


def _values(r):
    r = r[0] if isinstance(r, tuple) else r
    return r.detach().cpu().numpy()


@pytest.mark.parametrize("name", sorted(METHODS))
def test_method_is_the_function(name, device):
    x, extra = METHODS[name]
    t = tinynn.tensor(x, device=device)
    got = getattr(t, name)(*_args(device, extra))
    want = getattr(tinynn, name)(tinynn.tensor(x, device=device), *_args(device, extra))
    np.testing.assert_array_equal(_values(got), _values(want))


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_method_matches_the_function(name, device):
    x, extra = METHODS[name]
    t = tinynn.tensor(x, device=device)
    v = t._version
    assert getattr(t, name + "_")(*_args(device, extra)) is t
    want = getattr(tinynn, name)(tinynn.tensor(x, device=device), *_args(device, extra))
    np.testing.assert_array_equal(_values(t), _values(want))
    assert t._version > v
