"""W2: one full CNN training step, tinynn against PyTorch CPU (the nn issue's benchmark).

Conv2d(1,16,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(16,32,3,p=1)-ReLU-MaxPool2d(2)-Flatten-Linear(1568,128)
-ReLU-Linear(128,10), batch 64 of 1x28x28, cross-entropy, backward and a hand-written SGD update.
Both frameworks start from the same weights (PyTorch's initialisation, copied) and see the same
data; the first losses are checked to agree before timing. Repeats are interleaved and the
medians printed with the ratio (tinynn steps/s divided by PyTorch's).

    python bench/cnn_step.py [--repeats 5] [--steps 30] [--threads N] [--profile]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

BATCH = 64
LR = 0.01


def build(lib, state=None):
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))
    if state is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return model


def make_step(lib, model, x, y):
    F = lib.nn.functional
    params = list(model.parameters())

    def step():
        loss = F.cross_entropy(model(x), y)
        for p in params:
            p.grad = None
        loss.backward()
        with lib.no_grad():  # plain SGD, written out
            for p in params:
                p.sub_(p.grad, alpha=LR)
        return loss

    return step


def time_steps(step, n):
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return n / (time.perf_counter() - t0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None,
                    help="PyTorch intra-op threads (default: PyTorch's own default)")
    ap.add_argument("--profile", action="store_true", help="cProfile tinynn's steps after timing")
    args = ap.parse_args(argv)

    import tinynn
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    ys = rng.integers(0, 10, BATCH).astype(np.int64)

    steps, first = {}, {}
    try:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        tmodel = build(torch)
        state = {k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()}
        steps["torch"] = make_step(torch, tmodel, torch.tensor(xs), torch.tensor(ys))
    except ImportError:
        torch = None
        tinynn.manual_seed(0)
        state = {k: v.detach().numpy().copy() for k, v in build(tinynn).state_dict().items()}
        print("PyTorch is not installed: tinynn alone")
    nmodel = build(tinynn, state)
    steps["tinynn"] = make_step(tinynn, nmodel, tinynn.tensor(xs), tinynn.tensor(ys))

    for name, step in steps.items():  # first loss (same weights, same data), then warm-up
        first[name] = float(step().item())
        for _ in range(3):
            step()
    if "torch" in first:
        diff = abs(first["tinynn"] - first["torch"])
        status = "agree" if diff < 1e-4 * max(1.0, abs(first["torch"])) else "DISAGREE"
        print(f"first losses: tinynn {first['tinynn']:.6f}  torch {first['torch']:.6f}  ({status})")

    res = {k: [] for k in steps}
    for _ in range(args.repeats):
        for name, step in steps.items():
            res[name].append(time_steps(step, args.steps))
    threads = torch.get_num_threads() if torch is not None else None
    print(f"CNN training step, batch {BATCH}, {args.repeats} repeats x {args.steps} steps"
          + (f", torch threads {threads}" if threads else ""))
    for name in steps:
        med = statistics.median(res[name])
        spread = (max(res[name]) - min(res[name])) / med * 100
        line = f"{name:>7}: {med:7.1f} steps/s  ({1000 / med:6.2f} ms/step)  spread {spread:4.1f}%"
        if name == "tinynn" and "torch" in res:
            line += f"  ratio tinynn/torch {med / statistics.median(res['torch']):.2f}x"
        print(line)

    if args.profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.steps):
            steps["tinynn"]()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
