"""Step time of data-parallel training of the MNIST MLP (784-512-256-10), and its communication.

    python bench/ddp_mlp.py --plain                     # 1 process, no DDP (the baseline)
    mpirun -np 2 <flags> python bench/ddp_mlp.py        # DDP on 2 processes, half a batch each
    (flags: see docs/distributed.md; set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS to choose
    the BLAS threads per process)

Each step is SGD on a global batch of --batch samples (each of N ranks computes on batch/N).
Reported, as the maximum over ranks: seconds per step; the part of it spent in DDP's gradient
all-reduces (starting them, driving MPI's progress in the gradient hooks, and waiting for them at
the end of backward); and, separately, the time of one blocking all_reduce of the whole gradient
(535,818 float32) with nothing else running.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tinynn as torch  # noqa: E402
from tinynn import nn  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64, help="global batch (split over the ranks)")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--bucket-cap-mb", type=float, default=None)
    ap.add_argument("--plain", action="store_true", help="one process, no tinynn.distributed")
    args = ap.parse_args()

    if args.plain:
        rank, world = 0, 1
    else:
        import tinynn.distributed as dist
        dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
    per_rank = args.batch // world
    n = args.batch * (args.steps + args.warmup)
    path = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist",
                        "train-images-idx3-ubyte.gz")
    try:
        with gzip.open(path) as f:
            f.read(16)
            x = np.frombuffer(f.read(min(n, 60000) * 784), np.uint8).reshape(-1, 784)
    except OSError:
        x = np.random.default_rng(0).integers(0, 256, (min(n, 60000), 784), dtype=np.uint8)
    X = torch.tensor(x.astype(np.float32) / 255.0)
    Y = torch.tensor(np.random.default_rng(1).integers(0, 10, len(x)))

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    ddp = model
    if not args.plain:
        ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=args.bucket_cap_mb)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)

    def step(i):
        lo = (i * args.batch + rank * per_rank) % (len(X) - per_rank)
        xb, yb = X[lo:lo + per_rank], Y[lo:lo + per_rank]
        opt.zero_grad()
        nn.functional.cross_entropy(ddp(xb), yb).backward()
        opt.step()

    for i in range(args.warmup):
        step(i)
    comm0 = getattr(ddp, "_comm_seconds", 0.0)
    if not args.plain:
        dist.barrier()
    t0 = time.perf_counter()
    for i in range(args.steps):
        step(args.warmup + i)
    step_s = (time.perf_counter() - t0) / args.steps
    comm_s = (getattr(ddp, "_comm_seconds", 0.0) - comm0) / args.steps

    allreduce_s = 0.0
    buckets = 0
    if not args.plain:
        buckets = len(ddp._buckets)
        g = torch.zeros(sum(p.numel() for p in model.parameters()))
        for _ in range(5):
            dist.all_reduce(g)
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(30):
            dist.all_reduce(g)
        allreduce_s = (time.perf_counter() - t0) / 30
        got = [None] * world
        dist.all_gather_object(got, (step_s, comm_s, allreduce_s))
        step_s, comm_s, allreduce_s = (max(v[k] for v in got) for k in range(3))
    if rank == 0:
        print(json.dumps({"processes": world, "plain": args.plain, "batch": args.batch,
                          "per_rank": per_rank, "buckets": buckets,
                          "threads": os.environ.get("OMP_NUM_THREADS", "default"),
                          "step_ms": round(step_s * 1e3, 3), "ddp_comm_ms": round(comm_s * 1e3, 3),
                          "allreduce_ms": round(allreduce_s * 1e3, 3),
                          "samples_per_s": round(args.batch / step_s)}), flush=True)
    if not args.plain:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
