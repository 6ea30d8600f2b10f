"""Tensor printing in PyTorch's format: `tensor([[0.5000, 0.5000]], requires_grad=True)`."""
from __future__ import annotations

import numpy as np

from . import _dtype
from ._dtype import get_default_dtype
from .backend import to_host

PRINT_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    if profile == "default":
        PRINT_OPTS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        PRINT_OPTS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        PRINT_OPTS.update(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            PRINT_OPTS[k] = v
    PRINT_OPTS["sci_mode"] = sci_mode


class _Formatter:
    """Chooses one format for all elements (as PyTorch's _Formatter does) and pads to one width."""

    def __init__(self, a: np.ndarray):
        self.kind = a.dtype.kind
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        prec = PRINT_OPTS["precision"]
        if self.kind in "biu":
            strs = [str(v) for v in (a.reshape(-1).tolist() if self.kind != "b" else
                                     [bool(x) for x in a.reshape(-1)])]
            self.max_width = max((len(s) for s in strs), default=1)
            return
        vals = a.reshape(-1)
        if self.kind == "c":
            self.max_width = 1
            return
        finite = vals[np.isfinite(vals)].astype(np.float64)
        if finite.size == 0:
            self.max_width = max((len(self._nonfinite(v)) for v in vals), default=1)
            return
        nonzero = np.abs(finite[finite != 0])
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            if nonzero.size and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8):
                self.sci_mode = True
            strs = [("{:.0f}".format(v) + ".") for v in finite] if not self.sci_mode else []
        else:
            if nonzero.size:
                mx, mn = nonzero.max(), nonzero.min()
                if mx / mn > 1000.0 or mx > 1e8 or mn < 1e-4:
                    self.sci_mode = True
            strs = ([f"{{:.{prec}f}}".format(v) for v in finite] if not self.sci_mode else [])
        if PRINT_OPTS["sci_mode"] is not None:
            self.sci_mode = PRINT_OPTS["sci_mode"]
        if self.sci_mode:
            strs = [f"{{:.{prec}e}}".format(v) for v in finite]
        nf = [self._nonfinite(v) for v in vals if not np.isfinite(v)]
        self.max_width = max([len(s) for s in strs] + [len(s) for s in nf] + [1])

    @staticmethod
    def _nonfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")

    def format(self, v) -> str:
        prec = PRINT_OPTS["precision"]
        if self.kind == "b":
            s = str(bool(v))
        elif self.kind in "iu":
            s = str(int(v))
        elif self.kind == "c":
            s = f"{v.real:.{prec}f}{v.imag:+.{prec}f}j"
        elif not np.isfinite(v):
            s = self._nonfinite(v)
        elif self.sci_mode:
            s = f"{float(v):.{prec}e}"
        elif self.int_mode:
            s = f"{float(v):.0f}."
        else:
            s = f"{float(v):.{prec}f}"
        return " " * (self.max_width - len(s)) + s


def _summarize(a, edge):
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * edge:
        a = np.concatenate([a[:edge], a[-edge:]])
    return np.stack([_summarize(x, edge) for x in a]) if a.ndim > 1 else a


def _fmt(a, fmt, indent, summarize, edge):
    if a.ndim == 0:
        return fmt.format(a.item() if a.dtype.kind != "c" else a[()])
    if a.ndim == 1:
        items = [fmt.format(v) for v in a.tolist()] if a.dtype.kind != "c" else [fmt.format(v) for v in a]
        if summarize and len(items) > 2 * edge:
            items = items[:edge] + [" ..."] + items[-edge:]
        width = fmt.max_width + 2
        per_line = max(1, (PRINT_OPTS["linewidth"] - indent) // width)
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = list(range(a.shape[0]))
    parts = []
    for i in rows:
        if summarize and a.shape[0] > 2 * edge and i == edge:
            parts.append("...")
        if summarize and a.shape[0] > 2 * edge and edge <= i < a.shape[0] - edge:
            continue
        parts.append(_fmt(a[i], fmt, indent + 1, summarize, edge))
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def tensor_str(a: np.ndarray, indent: int) -> str:
    if a.size == 0:
        return "[]" if a.ndim <= 1 else "[]"
    summarize = a.size > PRINT_OPTS["threshold"]
    edge = PRINT_OPTS["edgeitems"]
    fmt = _Formatter(_summarize(a, edge) if summarize else a)
    return _fmt(a, fmt, indent, summarize, edge)


def tensor_repr(t, prefix="tensor(") -> str:
    from .tensor import Tensor  # noqa: PLC0415
    a = to_host(t._data)
    is_param = type(t) is not Tensor and type(t).__name__ == "Parameter"
    body = tensor_str(a, len(prefix))
    suffixes = []
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    if a.size == 0 and a.ndim != 1:
        suffixes.append(f"size={tuple(a.shape)}")
    dt = t.dtype
    default = get_default_dtype()
    if (a.size == 0 and dt is not default) or dt not in (default, _dtype.int64, _dtype.bool_):
        suffixes.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    s = prefix + body + "".join(", " + x for x in suffixes) + ")"
    if is_param:
        s = "Parameter containing:\n" + s
    return s
