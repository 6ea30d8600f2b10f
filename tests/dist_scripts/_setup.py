"""Shared start-up of the scripts tests/test_distributed.py launches under mpirun.

mode "cpu": backend "mpi", tensors in host memory. mode "cuda-standin": the CuPy stand-in
(tests/fakecupy) is tinynn's CUDA module and the NCCL stand-in (fakenccl.py, NCCL's calls done
by MPI) is its `cuda.nccl`, backend "nccl", tensors on "cuda". mode "cuda": a real GPU per rank.
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
ROOT = os.path.dirname(TESTS)
sys.path[:0] = [ROOT, TESTS, HERE]


def init(mode: str, **kwargs):
    """init_process_group for `mode`; returns (tinynn.distributed, device string)."""
    import tinynn
    import tinynn.distributed as dist
    if mode == "cuda-standin":
        import fakecupy
        import fakenccl
        fakecupy.install()
        fakecupy.cuda.nccl = fakenccl
        dist.init_process_group("nccl", **kwargs)
        return dist, "cuda"
    if mode == "cuda":
        tinynn.cuda.set_device(int(os.environ.get("OMPI_COMM_WORLD_LOCAL_RANK", "0")))
        dist.init_process_group("nccl", **kwargs)
        return dist, "cuda"
    dist.init_process_group("mpi", **kwargs)
    return dist, "cpu"
