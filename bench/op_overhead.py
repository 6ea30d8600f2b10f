"""W3: per-op overhead. A chain of 100 elementwise ops on a (16,) float32 tensor, forward + backward.

Runs tinynn and (when installed) PyTorch CPU side by side in one process, interleaved, and prints
microseconds per op (forward + backward, divided by the 100 ops) and the ratio to PyTorch.

    python bench/op_overhead.py [--repeats 7] [--iters 200]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def chain(lib, x):
    """100 cheap elementwise ops: a mix of tensor-scalar and tensor-tensor arithmetic."""
    y = x
    for i in range(25):
        y = y * 1.01
        y = y + x
        y = y - 0.5
        y = y.tanh()
    return y.sum()


def run(lib, iters):
    x0 = np.linspace(-1, 1, 16).astype(np.float32)
    x = lib.tensor(x0, requires_grad=True)
    loss = None
    t0 = time.perf_counter()
    for _ in range(iters):
        x.grad = None
        loss = chain(lib, x)
        loss.backward()
    dt = time.perf_counter() - t0
    return dt / iters / 100 * 1e6, float(loss.item())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--iters", type=int, default=200)
    args = ap.parse_args(argv)
    import tinynn
    libs = {"tinynn": tinynn}
    try:
        import torch
        torch.set_num_threads(1)
        libs["torch"] = torch
    except ImportError:
        print("PyTorch not installed: tinynn alone")
    res = {k: [] for k in libs}
    first = {}
    for name, lib in libs.items():  # warm-up
        _, first[name] = run(lib, 20)
    for _ in range(args.repeats):
        for name, lib in libs.items():
            us, _ = run(lib, args.iters)
            res[name].append(us)
    for name in libs:
        med = statistics.median(res[name])
        spread = (max(res[name]) - min(res[name])) / med * 100
        line = f"{name:>7}: {med:6.2f} us/op (fwd+bwd)  spread {spread:4.1f}%  loss {first[name]:.6f}"
        if name != "torch" and "torch" in res:
            line += f"  ratio to torch {med / statistics.median(res['torch']):.2f}x"
        print(line)


if __name__ == "__main__":
    main()
