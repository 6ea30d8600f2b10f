"""DistributedSampler partitions, DDP's no_sync, buffer broadcast and unused parameters, under
mpirun -np N (N >= 2):
    mpirun -np 2 ... python ddp_extra.py {cpu|cuda-standin|cuda}
"""
from __future__ import annotations

import sys

from _setup import init

MODE = sys.argv[1] if len(sys.argv) > 1 else "cpu"
dist, DEV = init(MODE)

import tinynn as torch  # noqa: E402
from tinynn import nn  # noqa: E402
from tinynn.nn.parallel import DistributedDataParallel as DDP  # noqa: E402
from tinynn.utils.data import DistributedSampler  # noqa: E402

R, N = dist.get_rank(), dist.get_world_size()


def gather(obj):
    out = [None] * N
    dist.all_gather_object(out, obj)
    return out


# --- DistributedSampler: rank and world size from the process group ---------------------------
for n in (24, 25, 3):
    for drop_last in (False, True):
        s = DistributedSampler(range(n), shuffle=True, seed=5, drop_last=drop_last)
        assert (s.num_replicas, s.rank) == (N, R)
        epochs = []
        for epoch in range(3):
            s.set_epoch(epoch)
            mine = list(s)
            assert mine == list(s), "same epoch, same order"
            assert len(mine) == len(s)
            parts = gather(mine)
            assert len({len(p) for p in parts}) == 1, "every rank gets as many samples"
            flat = [i for p in parts for i in p]
            if n % N == 0:
                assert sorted(flat) == list(range(n)), f"n={n}: not an exact partition: {parts}"
            elif drop_last:
                assert len(set(flat)) == len(flat) == n // N * N, parts  # disjoint, tail dropped
            else:
                assert set(flat) == set(range(n)) and len(flat) == -(-n // N) * N, parts  # padded
            epochs.append(flat)
        if n > 3:
            assert epochs[0] != epochs[1] != epochs[2], "set_epoch must reshuffle"
s = DistributedSampler(range(10), shuffle=False)
assert list(s) == list(range(R, 10 + (-10 % N), N))[:len(s)]

# --- no_sync: local accumulation, then one averaged all-reduce --------------------------------
torch.manual_seed(R)
model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2)).to(DEV)
ddp = DDP(model, bucket_cap_mb=1e-5)
ref = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2)).to(DEV)
ref.load_state_dict(model.state_dict())
xs = [torch.randn(3, 5, device=DEV) for _ in range(3)]  # different data on every rank
with ddp.no_sync():
    ddp(xs[0]).pow(2).sum().backward()
    ddp(xs[1]).pow(2).sum().backward()
for x in xs[:2]:
    ref(x).pow(2).sum().backward()
for p, q in zip(model.parameters(), ref.parameters()):  # purely local so far
    assert torch.allclose(p.grad, q.grad, atol=1e-6), "no_sync must not communicate"
local = [g.grad.clone() for g in ref.parameters()]
others = gather([g.cpu().tolist() for g in local])
assert any(o != others[0] for o in others), "ranks should have different local gradients"
ddp(xs[2]).pow(2).sum().backward()  # synchronised: averages everything accumulated
ref(xs[2]).pow(2).sum().backward()
for p, q in zip(model.parameters(), ref.parameters()):
    want = q.grad.clone()
    dist.all_reduce(want, op=dist.ReduceOp.AVG)
    assert torch.allclose(p.grad, want, atol=1e-6), (p.grad, want)

# --- buffers: rank 0's at construction and before every forward ------------------------------
torch.manual_seed(R)
bn = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to(DEV)
with torch.no_grad():
    bn[1].running_mean.fill_(float(R))
dbn = DDP(bn)
assert gather(bn[1].running_mean.cpu().tolist()) == [[0.0] * 4] * N
dbn(torch.randn(6, 3, device=DEV) + R).sum().backward()  # local batch statistics differ...
rm = gather(bn[1].running_mean.cpu().tolist())
assert rm.count(rm[0]) == 1, rm
dbn.eval()
dbn(torch.randn(6, 3, device=DEV))  # ...until the next forward broadcasts rank 0's
rm = gather(bn[1].running_mean.cpu().tolist())
assert rm.count(rm[0]) == N, rm
w = gather(bn[0].weight.cpu().tolist())
assert w.count(w[0]) == N
assert list(dbn.state_dict()) == ["module.0.weight", "module.0.bias", "module.1.weight",
                                  "module.1.bias", "module.1.running_mean", "module.1.running_var",
                                  "module.1.num_batches_tracked"]


# --- unused parameters -----------------------------------------------------------------------
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 2)
        self.c = nn.Linear(2, 2)  # never used

    def forward(self, x, use_b):
        return self.b(self.a(x)) if use_b else self.a(x)


torch.manual_seed(0)
m = Branchy().to(DEV)
d = DDP(m, find_unused_parameters=True)
x = torch.ones(1, 2, device=DEV)
d(x, use_b=(R == 0)).sum().backward()  # b is used on rank 0 only
ref = Branchy().to(DEV)
ref.load_state_dict(m.state_dict())
ref(x, use_b=True).sum().backward()
assert torch.allclose(m.b.weight.grad, ref.b.weight.grad / N, atol=1e-6), "b: rank 0's grad / N"
assert m.c.weight.grad is None, "a parameter no rank used keeps grad None"
d(x, use_b=True).sum().backward()  # and the next iteration is fine

d2 = DDP(Branchy().to(DEV))  # without find_unused_parameters: PyTorch's error on the next forward
d2(x, use_b=True).sum().backward()
try:
    d2(x, use_b=True)
except RuntimeError as e:
    assert "Expected to have finished reduction in the prior iteration" in str(e)
    assert "4 5" in str(e)  # c.weight, c.bias
else:
    raise AssertionError("unused parameters without find_unused_parameters must raise")

dist.destroy_process_group()
print(f"rank {R}: DDP extras OK ({MODE})", flush=True)
