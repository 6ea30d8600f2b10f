"""W3: per-op overhead, a chain of 100 elementwise ops on a (16,) tensor, forward + backward.

A thin wrapper over bench/run.py (which holds the workload, `chain`): tinynn and PyTorch, each in
its own process, interleaved, on 1 thread, printing microseconds per op and the ratio.

    python bench/op_overhead.py [--repeats 5] [--clock cpu] [--profile]
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    return run.main(["--workloads", "W3", "--frameworks", "tinynn,torch", "--threads", "1",
                     "--json", ""] + argv)


if __name__ == "__main__":
    main()
