"""tinynn.nn.parallel: DistributedDataParallel (multi-process data parallelism over
tinynn.distributed), as `torch.nn.parallel`."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
