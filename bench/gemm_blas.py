"""The matrix products of W1/W4 alone: NumPy's BLAS (OpenBLAS here), tinynn's (MKL when the `mkl`
extra is installed, tinynn/_blas.py) and PyTorch's (MKL).

This is the floor under tinynn's W1 and W4 figures: no framework can be faster than its BLAS on a
GEMM-bound step. Prints, per product, the best-of-7 CPU time per call on 1 thread and the ratios
to PyTorch.

    python bench/gemm_blas.py
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402

import sys  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tinynn import _blas  # noqa: E402


def best(f, n):
    times = []
    for _ in range(7):
        t0 = time.process_time()
        for _ in range(n):
            f()
        times.append((time.process_time() - t0) / n * 1e3)
    return min(times)


def main():
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    cases = [  # (name, a shape, b shape, how the framework multiplies: a @ b.T or a.T @ b or a @ b)
        ("W1 fwd 1: x @ W1.T", (128, 784), (512, 784), "abT"),
        ("W1 dW 1: g1.T @ x", (128, 512), (128, 784), "aTb"),
        ("W1 fwd 2: h1 @ W2.T", (128, 512), (256, 512), "abT"),
        ("W1 dW 2: g2.T @ h1", (128, 256), (128, 512), "aTb"),
        ("W1 dx 2: g2 @ W2", (128, 256), (256, 512), "ab"),
        ("W4 fwd 1 (batch 1024)", (1024, 784), (512, 784), "abT"),
        ("W4 fwd 2 (batch 1024)", (1024, 512), (256, 512), "abT"),
    ]
    tn = f"tinynn ({_blas.blas_name()})"
    print(f"{'product':28}{'NumPy ms':>10}{tn + ' ms':>18}{'torch ms':>10}{'NumPy/torch':>13}"
          f"{'tinynn/torch':>14}")
    tot_np = tot_tn = tot_t = 0.0
    for name, sa, sb, how in cases:
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sb).astype(np.float32)
        n = 20 if sa[0] >= 1024 else 100
        f_np = {"abT": lambda: a @ b.T, "aTb": lambda: a.T @ b, "ab": lambda: a @ b}[how]
        t_np = best(f_np, n)
        tot_np += t_np
        A, B = {"abT": (a, b.T), "aTb": (a.T, b), "ab": (a, b)}[how]
        t_tn = best(lambda: _blas.matmul(A, B), n)
        tot_tn += t_tn
        line = f"{name:28}{t_np:10.3f}{t_tn:18.3f}"
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            f_t = {"abT": lambda: ta @ tb.T, "aTb": lambda: ta.T @ tb, "ab": lambda: ta @ tb}[how]
            t_t = best(f_t, n)
            tot_t += t_t
            line += f"{t_t:10.3f}{t_np / t_t:12.2f}x{t_tn / t_t:13.2f}x"
        print(line)
    if torch is not None:
        print(f"{'all of the above':28}{tot_np:10.3f}{tot_tn:18.3f}{tot_t:10.3f}{tot_np / tot_t:12.2f}x"
              f"{tot_tn / tot_t:13.2f}x")


if __name__ == "__main__":
    main()
