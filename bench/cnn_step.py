"""W2: one full CNN training step (SGD with momentum), tinynn against PyTorch CPU.

Conv2d(1,16,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(16,32,3,p=1)-ReLU-MaxPool2d(2)-Flatten-Linear(1568,128)
-ReLU-Linear(128,10), batch 64 of 1x28x28. A thin wrapper over bench/run.py (same weights and data
for both, first losses checked, each framework in its own process, interleaved), plus the
hand-written NumPy reference:

    python bench/cnn_step.py [--threads 1|all|1,all] [--repeats 3] [--clock cpu] [--profile]
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    return run.main(["--workloads", "W2", "--frameworks", "tinynn,torch,numpy", "--json", ""] + argv)


if __name__ == "__main__":
    main()
