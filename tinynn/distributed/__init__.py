"""tinynn.distributed: multi-process training, as `torch.distributed`.

Processes are launched by MPI (`mpirun -np N python train.py`); `init_process_group("mpi")` joins
them. Tensors in host memory travel through MPI (mpi4py), tensors on the GPU through NCCL
(`cupy.cuda.nccl`, backend "nccl"). Importing this package does not import mpi4py: MPI is
initialised by `init_process_group`. See docs/distributed.md.
"""
from __future__ import annotations

from ._common import DistBackendError, DistError, Future, RedOpType, ReduceOp, Work
from .distributed_c10d import *  # noqa: F401,F403
from .distributed_c10d import __all__ as _c10d_all

__all__ = ["ReduceOp", "RedOpType", "Work", "Future", "DistError", "DistBackendError", *_c10d_all]
