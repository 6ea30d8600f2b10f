"""`DistributedSampler`: each of `num_replicas` processes reads its own share of the indices.

Importing this module never imports MPI: the world size and rank are asked of
`tinynn.distributed` only when they are not given."""
from __future__ import annotations

import math

import tinynn

from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _dist():
    try:
        from tinynn import distributed as dist  # noqa: PLC0415 - lazy: may need mpi4py
    except ImportError as e:
        raise RuntimeError(f"Requires distributed package to be available ({e})") from None
    return dist


class DistributedSampler(Sampler):
    """The indices `rank, rank + num_replicas, ...` of a (per-epoch shuffled) index list padded
    (or, with `drop_last`, cut) to a multiple of `num_replicas`, as PyTorch's."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None:
            num_replicas = _dist().get_world_size()
        if rank is None:
            rank = _dist().get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        if self.shuffle:
            g = tinynn.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = tinynn.randperm(len(self.dataset), generator=g, device="cpu").tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[: self.total_size]
        assert len(indices) == self.total_size
        indices = indices[self.rank: self.total_size: self.num_replicas]
        assert len(indices) == self.num_samples
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Reshuffle differently in the next `__iter__` (call at the start of each epoch)."""
        self.epoch = epoch
