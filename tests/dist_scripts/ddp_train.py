"""DDP on N processes, each on 1/N of every batch, against one process on the whole batch.

The MNIST MLP (784-512-256-10) is trained with SGD + momentum on a few hundred real MNIST
samples (../shared/data/mnist from the repository root; synthetic data when absent). Each rank
starts from different random weights (DDP must broadcast rank 0's), reads its share of every
batch through DistributedSampler, and after every optimizer step its parameters must equal
(to float32 tolerance) those of a plain model trained in this process on the full batch, and be
bit-identical across ranks. Several bucket layouts are run: PyTorch's default (one bucket for
this model), two buckets (the first all-reduce starts while backward is still computing the
first layer's gradients) and one parameter per bucket with gradients as bucket views.
    mpirun -np 2 ... python ddp_train.py {cpu|cuda-standin|cuda}
"""
from __future__ import annotations

import gzip
import os
import sys

import numpy as np
from _setup import ROOT, init

MODE = sys.argv[1] if len(sys.argv) > 1 else "cpu"
dist, DEV = init(MODE)

import tinynn as torch  # noqa: E402
from tinynn import nn  # noqa: E402
from tinynn.nn.parallel import DistributedDataParallel as DDP  # noqa: E402
from tinynn.utils.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402

R, N = dist.get_rank(), dist.get_world_size()
# the CuPy stand-in is slow (every op checked): fewer samples and epochs there
QUICK = MODE == "cuda-standin"
N_SAMPLES, BATCH, EPOCHS = (128, 64, 1) if QUICK else (256, 64, 2)


def load_mnist(n):
    d = os.path.join(ROOT, "..", "shared", "data", "mnist")
    try:
        with gzip.open(os.path.join(d, "train-images-idx3-ubyte.gz")) as f:
            f.read(16)
            x = np.frombuffer(f.read(n * 784), np.uint8).reshape(n, 784)
        with gzip.open(os.path.join(d, "train-labels-idx1-ubyte.gz")) as f:
            f.read(8)
            y = np.frombuffer(f.read(n), np.uint8)
        src = "MNIST"
    except OSError:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (n, 784), dtype=np.uint8)
        y = rng.integers(0, 10, n, dtype=np.uint8)
        src = "synthetic"
    x = ((x.astype(np.float32) / 255.0) - 0.1307) / 0.3081
    return torch.tensor(x), torch.tensor(y.astype(np.int64)), src


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


X, Y, SRC = load_mnist(N_SAMPLES)
data = TensorDataset(X, Y)


def run(label, epochs=EPOCHS, **ddp_kwargs):
    torch.manual_seed(100 + R)  # a different start on every rank: DDP must broadcast rank 0's
    model = mlp().to(DEV)
    ddp = DDP(model, **ddp_kwargs)
    ref = mlp().to(DEV)
    ref.load_state_dict(model.state_dict())  # rank 0's weights, after the broadcast
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9)
    sampler = DistributedSampler(data, shuffle=True, seed=3)
    loader = DataLoader(data, batch_size=BATCH // N, sampler=sampler)
    # the whole batch of each step, for the reference: the union of every rank's share
    all_samplers = [DistributedSampler(data, num_replicas=N, rank=r, shuffle=True, seed=3)
                    for r in range(N)]
    worst, steps = 0.0, 0
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for s in all_samplers:
            s.set_epoch(epoch)
        shares = [list(s) for s in all_samplers]
        for step, (x, y) in enumerate(loader):
            x, y = x.to(DEV), y.to(DEV)
            opt.zero_grad()
            loss = nn.functional.cross_entropy(ddp(x), y)
            loss.backward()
            opt.step()

            k = BATCH // N
            idx = [i for sh in shares for i in sh[step * k:(step + 1) * k]]
            ref_opt.zero_grad()
            nn.functional.cross_entropy(ref(X[idx].to(DEV)), Y[idx].to(DEV)).backward()
            ref_opt.step()

            for (name, p), q in zip(model.named_parameters(), ref.parameters()):
                diff = float((p.detach() - q.detach()).abs().max())
                scale = float(q.detach().abs().max())
                worst = max(worst, diff / max(scale, 1.0))
                if diff > 2e-5 * max(scale, 1.0):
                    raise AssertionError(f"rank {R} [{label}] epoch {epoch} step {step}: {name} "
                                         f"differs from the 1-process run by {diff:.3g}")
                # and every rank holds exactly the same parameters
                p0 = p.detach().clone()
                dist.broadcast(p0, src=0)
                if not bool((p0 == p.detach()).all()):
                    raise AssertionError(f"rank {R} [{label}] step {step}: {name} differs from rank 0")
            steps += 1
    nb = len(ddp._buckets)
    if R == 0:
        print(f"[{label}] {steps} steps on {SRC} data, {nb} bucket(s), max relative difference to "
              f"the 1-process run {worst:.2e}, final loss {float(loss):.4f}", flush=True)
    return nb


assert run("default") == 1  # the first bucket closes at >= 1 MiB: 2.1 MB of gradients in one
assert run("two buckets", epochs=1, bucket_cap_mb=0.5) == 2
assert run("bucket per parameter, grads as bucket views", epochs=1, bucket_cap_mb=1e-6,
           gradient_as_bucket_view=True) == 6
if MODE == "cuda-standin":  # the gradients went through the NCCL engine
    import fakenccl
    assert fakenccl.calls["allReduce"] > 0, fakenccl.calls
dist.destroy_process_group()
print(f"rank {R}: DDP OK ({MODE})", flush=True)
