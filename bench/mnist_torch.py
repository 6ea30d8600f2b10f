"""The PyTorch twin of examples/mnist.py, for side-by-side accuracy and seconds per epoch.

Same models (the example's MLP and CNN written with torch.nn), same initial weights (copied from
the tinynn model built with the same seed), same hyper-parameters and defaults (the example's own
argument parser), same data in the same order (the example's tinynn datasets and DataLoader; each
batch goes to PyTorch with torch.from_numpy, no copy), same optimizer, cosine schedule and loop.
Only dropout masks differ (each framework draws its own).

    python bench/mnist_torch.py --model cnn --data ../shared/data/mnist            # PyTorch only
    python bench/mnist_torch.py --model cnn --data ../shared/data/mnist --with-tinynn
    python bench/mnist_torch.py --model mlp --with-tinynn --json results.json
    python bench/mnist_torch.py --model cnn --interleaved-steps 100

With --with-tinynn the tinynn example (examples/mnist.py main()) runs in the same process right
after PyTorch, and a table of both results is printed. --interleaved-steps N instead times N
training steps of each framework alternately on the same batches (the same load for both), with
wall and process CPU time per step. Seconds per epoch are the training loop's wall time (data
loading included, evaluation excluded), as the example reports them. The machine's load average
is printed before and after each run: on a shared machine it matters. For one thread in both
frameworks: OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ... --threads 1.
"""
from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import platform
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

import tinynn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_example():
    spec = importlib.util.spec_from_file_location("mnist_example",
                                                  os.path.join(ROOT, "examples", "mnist.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


example = _load_example()


# The example's models, written with torch.nn (the same code with `import torch`).
class MLP(nn.Module):
    def __init__(self, dropout: float = 0.2):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.dropout(F.relu(self.fc2(x)))
        return self.fc3(x)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


MODELS = {"mlp": MLP, "cnn": CNN}


def to_torch(t):
    return torch.from_numpy(t.numpy())


def load_avg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def run_torch(args) -> dict:
    """Train and test the PyTorch twin with the example's data pipeline; returns the results."""
    tinynn.manual_seed(args.seed)
    torch.manual_seed(args.seed)
    train_set, test_set = example.get_datasets(args)
    train_loader = tinynn.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                                generator=tinynn.Generator().manual_seed(args.seed))
    test_loader = tinynn.utils.data.DataLoader(test_set, batch_size=args.test_batch_size)

    # the example's initial weights: build its tinynn model under the same seed, copy them over
    tinynn.manual_seed(args.seed)
    tn_model = example.MODELS[args.model]()
    model = MODELS[args.model]()
    model.load_state_dict({k: to_torch(v) for k, v in tn_model.state_dict().items()})

    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    steps_per_epoch = len(train_loader) if args.limit is None else min(args.limit, len(train_loader))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer,
                                                           T_max=args.epochs * steps_per_epoch)
    print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads): model {args.model}, "
          f"{args.optimizer} lr={args.lr:g}, batch {args.batch_size}, {args.epochs} epoch(s); "
          f"load average {load_avg()}")
    seconds, test_accs = [], []
    for epoch in range(1, args.epochs + 1):
        model.train()
        total_loss, correct, seen = torch.zeros(()), torch.zeros((), dtype=torch.int64), 0
        start = time.perf_counter()
        bar = tqdm(itertools.islice(train_loader, steps_per_epoch), total=steps_per_epoch,
                   disable=args.quiet, desc=f"torch epoch {epoch}/{args.epochs}", unit="batch",
                   dynamic_ncols=True)
        for i, (data, target) in enumerate(bar):
            data, target = to_torch(data), to_torch(target)
            optimizer.zero_grad()
            output = model(data)
            loss = F.cross_entropy(output, target)
            loss.backward()
            optimizer.step()
            scheduler.step()
            with torch.no_grad():
                total_loss += loss * len(data)
                correct += (output.argmax(1) == target).sum()
            seen += len(data)
            if i % args.log_interval == 0 or i == steps_per_epoch - 1:
                bar.set_postfix(loss=f"{loss.item():.4f}", acc=f"{correct.item() / seen:.2%}",
                                samples_s=f"{seen / (time.perf_counter() - start):.0f}")
        seconds.append(time.perf_counter() - start)

        model.eval()
        test_loss, test_correct, n_test = 0.0, 0, 0
        with torch.no_grad():
            for data, target in itertools.islice(test_loader, args.limit):
                data, target = to_torch(data), to_torch(target)
                output = model(data)
                test_loss += F.cross_entropy(output, target, reduction="sum").item()
                test_correct += (output.argmax(1) == target).sum().item()
                n_test += len(data)
        test_accs.append(test_correct / n_test)
        print(f"torch epoch {epoch}: train loss {total_loss.item() / seen:.4f} acc "
              f"{correct.item() / seen:.2%} | test loss {test_loss / n_test:.4f} acc "
              f"{test_accs[-1]:.2%} | {seconds[-1]:.1f} s ({seen / seconds[-1]:.0f} samples/s)",
              flush=True)
    per_epoch = sum(seconds) / len(seconds)
    print(f"torch test accuracy: {test_accs[-1]:.2%}; {per_epoch:.1f} s per training epoch; "
          f"load average {load_avg()}")
    return {"test_accuracy": test_accs[-1], "seconds_per_epoch": per_epoch, "seconds": seconds,
            "test_acc_per_epoch": test_accs}


def interleaved_steps(args, steps: int, warmup: int = 5) -> dict:
    """Time full training steps of both frameworks alternately on the same batches.

    On a shared machine the load drifts over minutes; alternating step by step exposes both
    frameworks to the same load, so the ratio of the medians holds even when the absolute
    figures do not."""
    import statistics  # noqa: PLC0415

    import tinynn.nn.functional as tF  # noqa: PLC0415

    tinynn.manual_seed(args.seed)
    train_set, _ = example.get_datasets(args)
    loader = tinynn.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                          generator=tinynn.Generator().manual_seed(args.seed))
    batches = list(itertools.islice(loader, steps + warmup))
    tinynn.manual_seed(args.seed)
    tn_model = example.MODELS[args.model]()
    model = MODELS[args.model]()
    model.load_state_dict({k: to_torch(v) for k, v in tn_model.state_dict().items()})
    make = {"adam": lambda lib, p: lib.optim.Adam(p, lr=args.lr),
            "sgd": lambda lib, p: lib.optim.SGD(p, lr=args.lr, momentum=0.9)}[args.optimizer]
    tn_opt, t_opt = make(tinynn, tn_model.parameters()), make(torch, model.parameters())

    def tn_step(x, y):
        tn_opt.zero_grad()
        loss = tF.cross_entropy(tn_model(x), y)
        loss.backward()
        tn_opt.step()
        return loss.item()

    def t_step(x, y):
        t_opt.zero_grad()
        loss = F.cross_entropy(model(to_torch(x)), to_torch(y))
        loss.backward()
        t_opt.step()
        return loss.item()

    times = {"tinynn": [], "torch": []}
    cpu = {"tinynn": [], "torch": []}   # process CPU time: all threads, unaffected by waiting
    first = {}
    for i, (x, y) in enumerate(batches):
        for name, fn in (("tinynn", tn_step), ("torch", t_step)):
            t0, c0 = time.perf_counter(), time.process_time()
            loss = fn(x, y)
            if i >= warmup:
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
            first.setdefault(name, loss)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    med_cpu = {k: statistics.median(v) * 1e3 for k, v in cpu.items()}
    q = {k: statistics.quantiles(v, n=4) for k, v in times.items()} if steps >= 4 else {}
    per_epoch = len(loader)
    print(f"interleaved: {steps} training steps each ({args.model}, batch {args.batch_size}, "
          f"{args.optimizer}, torch threads {torch.get_num_threads()}), first losses tinynn "
          f"{first['tinynn']:.5f} / torch {first['torch']:.5f}; load average {load_avg()}")
    for k in ("torch", "tinynn"):
        spread = f" (quartiles {q[k][0] * 1e3:.1f}-{q[k][2] * 1e3:.1f})" if q else ""
        print(f"  {k:7} median {med[k]:.1f} ms/step wall{spread}, {med_cpu[k]:.1f} ms/step CPU "
              f"(x {per_epoch} steps = {med_cpu[k] * per_epoch / 1e3:.1f} CPU-s per epoch)")
    ratio = med["tinynn"] / med["torch"]
    ratio_cpu = med_cpu["tinynn"] / med_cpu["torch"]
    print(f"  tinynn / PyTorch: {ratio:.2f}x per step (wall), {ratio_cpu:.2f}x (CPU time)")
    return {"steps": steps, "ms_per_step": med, "cpu_ms_per_step": med_cpu, "ratio": ratio,
            "ratio_cpu": ratio_cpu, "steps_per_epoch": per_epoch, "first_loss": first}


def main(argv=None) -> dict:
    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--with-tinynn", action="store_true",
                     help="also run examples/mnist.py (tinynn) in this process and compare")
    own.add_argument("--json", default=None, metavar="PATH", help="write the results there")
    own.add_argument("--threads", type=int, default=None,
                     help="torch.set_num_threads (default: PyTorch's default)")
    own.add_argument("--interleaved-steps", type=int, default=None, metavar="N",
                     help="instead of full runs: time N training steps of each framework, "
                          "alternating step by step on the same batches (a load-robust ratio)")
    own_args, rest = own.parse_known_args(argv)
    if "-h" in rest or "--help" in rest:
        own.print_help()
        print("\nAll other arguments are examples/mnist.py's (same defaults):")
    args = example.parse_args(rest)
    if args.device != "cpu":
        sys.exit("bench/mnist_torch.py compares CPU runs: use --device cpu")
    if own_args.threads is not None:
        torch.set_num_threads(own_args.threads)

    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.processor() or
               platform.machine(), "nproc": os.cpu_count(), "model": args.model,
               "dataset": args.dataset, "epochs": args.epochs, "batch_size": args.batch_size,
               "optimizer": args.optimizer, "lr": args.lr, "limit": args.limit}
    if own_args.interleaved_steps is not None:
        results["interleaved"] = interleaved_steps(args, own_args.interleaved_steps)
    else:
        results["torch"] = run_torch(args)
    if own_args.with_tinynn and own_args.interleaved_steps is None:
        save = args.save
        print(f"\ntinynn {tinynn.__version__}: the example itself; load average {load_avg()}")
        out = example.main(rest + ["--save", save])
        print(f"load average {load_avg()}")
        results["tinynn"] = {"test_accuracy": out["test_accuracy"],
                             "seconds_per_epoch": out["seconds_per_epoch"],
                             "seconds": out["history"]["seconds"],
                             "test_acc_per_epoch": out["history"]["test_acc"]}
        t, n = results["torch"], results["tinynn"]
        print(f"\n{'':8}{'test accuracy':>15}{'s/epoch':>10}\n"
              f"{'PyTorch':8}{t['test_accuracy']:>15.2%}{t['seconds_per_epoch']:>10.1f}\n"
              f"{'tinynn':8}{n['test_accuracy']:>15.2%}{n['seconds_per_epoch']:>10.1f}\n"
              f"tinynn / PyTorch time per epoch: {n['seconds_per_epoch'] / t['seconds_per_epoch']:.2f}x")
    if own_args.json:
        with open(own_args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
