"""DDP training in which the last rank fails at step 3; the job must end, not hang.
    mpirun -np 2 ... python faulty_peer.py {crash|exception|hang|exit} TIMEOUT_S
crash: the rank dies without any cleanup (os._exit), as a killed or segfaulting process;
exception: an uncaught exception ends the rank; hang: the rank stops taking part (sleeps);
exit: the rank calls sys.exit(0) mid-training. The other ranks wait in their gradient all-reduce
under the process group's timeout (TIMEOUT_S seconds).
"""
from __future__ import annotations

import datetime
import os
import sys
import time

from _setup import init

HOW = sys.argv[1]
TIMEOUT = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
dist, DEV = init("cpu", timeout=datetime.timedelta(seconds=TIMEOUT))

import tinynn as torch  # noqa: E402
from tinynn import nn  # noqa: E402
from tinynn.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

R, N = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)
model = DDP(nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 2)))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(10):
    if step == 3 and R == N - 1:
        print(f"rank {R}: failing ({HOW}) at step {step}", flush=True)
        if HOW == "crash":
            os._exit(7)
        if HOW == "exception":
            raise RuntimeError("simulated failure in the training loop")
        if HOW == "hang":
            time.sleep(600)
        if HOW == "exit":
            sys.exit(0)
    opt.zero_grad()
    model(torch.randn(8, 20)).pow(2).mean().backward()
    opt.step()
    print(f"rank {R}: step {step} done", flush=True)
print(f"rank {R}: finished all steps (unexpected)", flush=True)
