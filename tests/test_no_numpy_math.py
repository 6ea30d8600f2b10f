"""Static check: no module under tinynn/ except backend.py computes on tensor data through NumPy.

Ops must take the array module from their data (`xp = get_array_module(x._data)`) so the same code
runs on CuPy arrays; a hard-wired `np.exp(x._data)` works on the CPU and breaks on the GPU. This test
parses every module with `ast` and flags

* calls `np.<name>(...)` / `numpy.<name>(...)` (also `np.linalg.<name>`, `np.random.<name>`, ...),
* `from numpy import <function>`,
* NumPy used as an array module value (`xp = np`, `return numpy`, `f(np)`),

except NumPy's dtype and metadata helpers (ALLOWED, they compute nothing on arrays) and the
host-side uses listed per file in HOST_SIDE, each with its reason. A new entry there is a claim
that the code runs on host data (Python lists, files, NumPy arrays a user handed in), never on a
tensor's device array: review it as such.
"""
from __future__ import annotations

import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tinynn")

# dtype objects, scalar types and metadata helpers: no array math
ALLOWED = {
    "dtype", "bool_", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128", "intp", "uintp", "int_", "generic",
    "number", "integer", "signedinteger", "unsignedinteger", "floating", "complexfloating", "inexact",
    "iinfo", "finfo", "result_type", "promote_types", "can_cast", "issubdtype", "isscalar", "ndarray",
    "errstate", "broadcast_shapes", "prod_shape", "pi", "e", "inf", "nan", "newaxis",
}

# (path under tinynn/, numpy name or "*") -> why that use is on host data
HOST_SIDE = {
    ("backend.py", "*"): "the backend layer: the one place that picks NumPy or CuPy",
    ("_blas.py", "*"): "the backend layer's CPU GEMM (MKL): used only when both operands are NumPy arrays",
    ("_tensor_str.py", "*"): "printing works on a host copy (to_host) of the data",
    ("_dtype.py", "*"): "dtype tables and promotion rules (no array data)",
    ("ops/creation.py", "array"): "tensor(data): Python lists/scalars -> a host array, then moved",
    ("ops/creation.py", "asarray"): "tensor(data)/as_tensor: host data (lists, NumPy arrays) at creation",
    ("ops/creation.py", "ceil"): "arange: the element count from Python numbers",
    ("ops/creation.py", "empty"): "legacy sizes -> host buffer before the device move",
    **{("ops/conv.py", f): "pooling / padding / interpolation index and weight tables computed from "
                            "shapes on the host, moved with xp.asarray"
       for f in ("array", "arange", "minimum", "maximum", "all", "zeros", "asarray", "unique",
                 "zeros_like", "abs", "where", "clip", "floor")},
    ("tensor.py", "empty"): "legacy Tensor(2, 3) constructor: host buffer, moved by device=",
    ("tensor.py", "asarray"): "legacy Tensor([...]) constructor and _make on host values",
    ("tensor.py", "array"): "unpickling: the host copy the pickle holds",
    ("ops/random.py", "frombuffer"): "generator state bytes (host) -> uint8 tensor",
    ("ops/random.py", "nextafter"): "the largest float below 1 for a dtype: a host scalar",
    ("ops/random.py", "log1p"): "log1p(-p) of the Python number p (geometric_)",
    ("ops/elementwise.py", "<module>"): "_xp_of falls back to NumPy only when no operand is an array",
    ("autograd/engine.py", "<module>"): "last-resort module for a zero gradient with no array in sight",
    ("optim/optimizer.py", "array"): "state['step'] counters are 0-dim CPU tensors, as in PyTorch",
    ("autograd/gradcheck.py", "random"): "host RNG for random cotangents, moved with xp.asarray",
    ("serialization.py", "*"): "checkpoint files: host arrays read/written by safetensors",
    ("utils/data", "*"): "data loading: samples are host data until the training loop moves them",
    ("datasets", "*"): "datasets read files into host arrays",
    ("datasets.py", "*"): "datasets read files into host arrays",
    ("transforms.py", "*"): "transforms work on host images / arrays before batching",
    ("transforms", "*"): "transforms work on host images / arrays before batching",
    ("run.py", "*"): "the script runner shims torch APIs that take host NumPy arrays",
    ("distributed", "*"): "MPI buffers are host arrays (the NCCL path uses CuPy)",
}


def _modules():
    for dirpath, _, files in os.walk(ROOT):
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                yield os.path.relpath(path, ROOT).replace(os.sep, "/"), path


def _host_side(rel, name):
    for (where, what), _ in HOST_SIDE.items():
        if (rel == where or rel.startswith(where.rstrip("/") + "/")) and what in ("*", name):
            return True
    return False


def _numpy_aliases(tree):
    """Names bound to the numpy module (import numpy / import numpy as np), anywhere in the file."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "numpy":
                    names.add(a.asname or "numpy")
    return names


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return list(reversed(parts))
    return None


def violations():
    found = []
    for rel, path in _modules():
        with open(path, encoding="utf-8") as fh:
            src = fh.read()
        tree = ast.parse(src, filename=path)
        aliases = _numpy_aliases(tree)
        parents = {}
        for node in ast.walk(tree):
            for ch in ast.iter_child_nodes(node):
                parents[ch] = node
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "numpy":
                for a in node.names:
                    if a.name not in ALLOWED and not _host_side(rel, a.name):
                        found.append(f"{rel}:{node.lineno}: from {node.module} import {a.name}")
            elif isinstance(node, ast.Call):
                d = _dotted(node.func)
                if d and len(d) >= 2 and d[0] in aliases:
                    name = d[-1] if d[1] not in ("random", "linalg", "lib", "fft") else ".".join(d[1:])
                    leaf = d[-1]
                    if leaf in ALLOWED or _host_side(rel, name) or _host_side(rel, d[1]):
                        continue
                    found.append(f"{rel}:{node.lineno}: {'.'.join(d)}(...)")
            elif isinstance(node, ast.Name) and node.id in aliases and isinstance(node.ctx, ast.Load):
                parent = parents.get(node)
                if isinstance(parent, ast.Attribute):
                    continue  # np.<something>: handled as a call or a dtype reference
                if isinstance(parent, ast.Compare) and all(isinstance(o, (ast.Is, ast.IsNot))
                                                          for o in parent.ops):
                    continue  # `xp is np`: asking which module, not computing
                if _host_side(rel, "<module>"):
                    continue
                found.append(f"{rel}:{node.lineno}: numpy used as an array module ({ast.unparse(parent)})")
    return sorted(found, key=lambda f: (f.split(":")[0], int(f.split(":")[1])))


def test_no_numpy_math_outside_the_backend():
    found = violations()
    assert not found, ("NumPy computing on tensor data outside tinynn/backend.py (use xp = "
                       "get_array_module(x._data), or a backend kernel; if the data is host-side, add it "
                       "to HOST_SIDE with the reason):\n  " + "\n  ".join(found))


def test_the_checker_catches_a_violation(tmp_path, monkeypatch):
    bad = tmp_path / "tinynn"
    (bad / "ops").mkdir(parents=True)
    (bad / "ops" / "bad.py").write_text("import numpy as np\n\ndef f(x):\n    xp = np\n"
                                        "    return np.exp(x._data) + np.float32(1)\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", str(bad))
    found = violations()
    assert any("ops/bad.py:5: np.exp(...)" in f for f in found), found
    assert any("ops/bad.py:4: numpy used as an array module" in f for f in found), found
    assert not any("float32" in f for f in found)


def test_backend_is_the_only_cupy_importer():
    offenders = []
    for rel, path in _modules():
        if rel == "backend.py":
            continue
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(m.split(".")[0] in ("cupy", "cupyx") for m in mods):
                offenders.append(f"{rel}:{node.lineno}")
    if offenders:
        pytest.fail("CuPy imported outside tinynn/backend.py: " + ", ".join(offenders))


def _xp_names():
    """Every `xp.<name>` (and `xp.linalg.<name>`, ...) the package uses, with where; names the file
    guards with `hasattr(xp, "<name>")` are left out (they have a fallback)."""
    uses = {}
    for rel, path in _modules():
        if rel == "backend.py":
            continue
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        guarded = {n.args[1].value for n in ast.walk(tree)
                   if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "hasattr"
                   and len(n.args) == 2 and isinstance(n.args[1], ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in guarded:
                continue
            if isinstance(node, ast.Attribute):
                d = _dotted(node)
                if d and d[0] == "xp" and len(d) >= 2:
                    key = ".".join(d[1:3] if d[1] in ("linalg", "random", "fft") else
                                   d[1:4] if d[1] == "lib" else d[1:2])
                    uses.setdefault(key, f"{rel}:{node.lineno}")
    return uses


def test_every_xp_function_exists_in_cupy():
    """The array-module names ops use exist in CuPy (the stand-in carries CuPy 13's namespace):
    `xp.errstate`, `xp.put_along_axis`, `xp.acos`... work on NumPy and fail on a GPU."""
    import fakecupy  # noqa: PLC0415
    missing = []
    for key, where in sorted(_xp_names().items()):
        obj = fakecupy
        for part in key.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is None:
            missing.append(f"{where}: xp.{key}")
    assert not missing, "array-module functions CuPy lacks (use a backend kernel):\n  " + "\n  ".join(missing)
