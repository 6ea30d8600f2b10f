"""Deep graphs: backward time is linear in the graph size (issue 9, item 3).

Builds chains of N elementwise ops on a (4,) float32 tensor (N = 10k, 20k, 40k, 80k by default),
then backpropagates through them, and prints microseconds per op for the forward pass, the
backward pass and for freeing the graph. Linear time shows as a flat per-op column; the last line
gives the spread of the backward per-op times (max / min over the sizes) and the log-log slope
of backward time against N (1.0 = linear). With --torch, PyTorch (when installed) runs the same
chains side by side.

    python bench/deep_graph.py [--sizes 10000 20000 40000 80000] [--repeats 3] [--torch]

The garbage collector is paused while timing (`gc.freeze()` of the setup, `gc.disable()`): with
it on, CPython's generation-2 collections scan the whole live graph now and then, which adds a
size-dependent cost that belongs to the interpreter, not to the engine.
"""
from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time


def chain(lib, n):
    x = lib.ones(4, requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for i in range(n):  # three cheap kinds of node, in turn
        k = i % 3
        y = y * 1.0001 if k == 0 else (y + 0.5 if k == 1 else y.neg())
    t1 = time.perf_counter()
    y.sum().backward()
    t2 = time.perf_counter()
    del y
    t3 = time.perf_counter()
    assert x.grad is not None
    return (t1 - t0) / n * 1e6, (t2 - t1) / n * 1e6, (t3 - t2) / n * 1e6


def measure(lib, sizes, repeats):
    rows = []
    for n in sizes:
        best = None
        for _ in range(repeats):
            gc.collect()
            gc.disable()
            try:
                r = chain(lib, n)
            finally:
                gc.enable()
            best = r if best is None or r[1] < best[1] else best  # the repeat with fastest backward
        rows.append((n, *best))
    return rows


def report(name, rows):
    print(f"\n{name}: microseconds per op (best of the repeats)")
    print(f"{'ops':>8} {'forward':>10} {'backward':>10} {'free':>8} {'backward total (s)':>20}")
    for n, f, b, d in rows:
        print(f"{n:>8} {f:>10.2f} {b:>10.2f} {d:>8.2f} {b * n / 1e6:>20.3f}")
    bw = [b for _, _, b, _ in rows]
    ns = [n for n, *_ in rows]
    # least-squares slope of log(total backward time) on log(N): 1.0 means linear
    xs = [math.log(n) for n in ns]
    ys = [math.log(b * n) for n, b in zip(ns, bw)]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((a - mx) * (c - my) for a, c in zip(xs, ys)) / sum((a - mx) ** 2 for a in xs)
    print(f"backward per-op spread (max/min): {max(bw) / min(bw):.2f}x; "
          f"log-log slope of backward time vs ops: {slope:.3f} (1.0 = linear)")
    return slope


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000, 80_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--torch", action="store_true", help="also time PyTorch (when installed)")
    args = ap.parse_args(argv)
    import tinynn
    print(f"Python {sys.version.split()[0]}, recursion limit {sys.getrecursionlimit()} "
          f"(the chains are far deeper: the engine must not recurse)")
    gc.freeze()  # the modules loaded so far are not part of the measurement
    report("tinynn", measure(tinynn, args.sizes, args.repeats))
    if args.torch:
        try:
            import torch
        except ImportError:
            print("\nPyTorch not installed: tinynn alone")
        else:
            torch.set_num_threads(1)
            report(f"torch {torch.__version__}", measure(torch, args.sizes, args.repeats))


if __name__ == "__main__":
    main()
