"""Step time of data-parallel training of the MNIST MLP (784-512-256-10), and its communication.

    python bench/ddp_mlp.py --plain                     # 1 process, no DDP (the baseline)
    mpirun -np 2 <flags> python bench/ddp_mlp.py        # DDP on 2 processes, half a batch each
    (flags: see docs/distributed.md; set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS to choose
    the BLAS threads per process)

Each step is SGD on a global batch of --batch samples (each of N ranks computes on batch/N).
Reported (each step timed on every rank, the slowest rank's time taken): the median and mean
milliseconds per step; the median part of a step spent in DDP's gradient all-reduces (starting
them, driving MPI's progress in the gradient hooks, and waiting for them at the end of backward,
which includes waiting for the slower rank); and, separately, the median time of one blocking
all_reduce of the whole gradient (535,818 float32) with nothing else running; the fastest step
(and the all-reduce share of it) and the fastest all_reduce; this process's CPU time per step.
Medians and minima, because on a shared machine a descheduled process stalls both ranks of a
step now and then: the fastest step is the one where both had a core.
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
    if not args.plain:
        dist.barrier()
    steps, comms = [], []
    start, cpu0 = time.perf_counter(), time.process_time()
    for i in range(args.steps):
        t0, c0 = time.perf_counter(), getattr(ddp, "_comm_seconds", 0.0)
        step(args.warmup + i)
        steps.append(time.perf_counter() - t0)
        comms.append(getattr(ddp, "_comm_seconds", 0.0) - c0)
    total = time.perf_counter() - start
    cpu = (time.process_time() - cpu0) / args.steps  # this process's CPU time per step

    allreduce = [0.0]
    buckets = 0
    if not args.plain:
        buckets = len(ddp._buckets)
        g = torch.zeros(sum(p.numel() for p in model.parameters()))
        for _ in range(5):
            dist.all_reduce(g)
        dist.barrier()
        allreduce = []
        for _ in range(50):
            t0 = time.perf_counter()
            dist.all_reduce(g)
            allreduce.append(time.perf_counter() - t0)
        # per step, the slowest rank (they wait for each other every step anyway)
        got = [None] * world
        dist.all_gather_object(got, (steps, comms, allreduce, total, cpu))
        steps = [max(v) for v in zip(*(g_[0] for g_ in got))]
        comms = [max(v) for v in zip(*(g_[1] for g_ in got))]
        allreduce = [max(v) for v in zip(*(g_[2] for g_ in got))]
        total = max(g_[3] for g_ in got)
        cpu = max(g_[4] for g_ in got)
    if rank == 0:
        med = lambda v: float(np.median(v)) * 1e3  # noqa: E731 - robust to descheduling spikes
        print(json.dumps({"processes": world, "plain": args.plain, "batch": args.batch,
                          "per_rank": per_rank, "buckets": buckets,
                          "threads": os.environ.get("OMP_NUM_THREADS", "default"),
                          "step_ms_median": round(med(steps), 2),
                          "step_ms_mean": round(total / args.steps * 1e3, 2),
                          "step_ms_min": round(min(steps) * 1e3, 2),
                          "ddp_comm_ms_in_min_step": round(comms[steps.index(min(steps))] * 1e3, 2),
                          "allreduce_ms_min": round(min(allreduce) * 1e3, 2),
                          "cpu_ms_per_step": round(cpu * 1e3, 2),
                          "ddp_comm_ms_median": round(med(comms), 2),
                          "allreduce_ms_median": round(med(allreduce), 2),
                          "samples_per_s_median": round(args.batch / med(steps) * 1e3)}), flush=True)
    if not args.plain:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
