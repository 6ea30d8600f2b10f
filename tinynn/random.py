"""tinynn.random: the RNG functions under PyTorch's `torch.random` name.

`manual_seed`, `seed`, `initial_seed`, `get_rng_state`, `set_rng_state`, `default_generator` and
`Generator` are the ones `tinynn` exports at top level (tinynn.ops.random). `fork_rng` is
PyTorch's: it restores the CPU generator *and* the default generators of the CUDA devices (all of
them, or `devices`) when the block ends.
"""
from __future__ import annotations

import contextlib
import copy

from .ops.random import (Generator, default_generator, default_generator_for, get_rng_state,
                         initial_seed, manual_seed, seed, set_rng_state)

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
           "manual_seed", "seed", "set_rng_state"]


def _copy_generator(gen):
    """An independent copy of a backend generator, in the same state."""
    try:
        return copy.deepcopy(gen)
    except TypeError:  # tinynn.backend.CudaGenerator holds the CuPy module: copy its generator
        c = copy.copy(gen)
        c._g = copy.deepcopy(gen._g)
        return c


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):
    """Run a block, then put back the RNG states it started with (CPU and CUDA devices)."""
    if not enabled:
        yield
        return
    from . import cuda  # noqa: PLC0415
    if device_type not in (None, "cuda", "cpu"):
        raise RuntimeError(f"{_caller}: tinynn has no '{device_type}' device type")
    if devices is None:
        devices = range(cuda.device_count()) if device_type != "cpu" and cuda.is_available() else ()
    gens = [default_generator_for(f"cuda:{int(getattr(d, 'index', d) or 0)}") for d in devices]
    cpu_state = get_rng_state()
    # a CUDA generator (CuPy's) cannot export its state as bytes: the block draws from a copy of
    # it and the original, untouched, is put back afterwards
    saved = [g.gen for g in gens]
    for g, gen in zip(gens, saved):
        g._gen = _copy_generator(gen)
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        for g, gen in zip(gens, saved):
            g._gen = gen
