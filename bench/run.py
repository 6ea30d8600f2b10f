"""tinynn's benchmark suite against PyTorch CPU and a hand-written NumPy reference (issue 8).

    python bench/run.py --workloads W1,W2,W3,W4 --frameworks tinynn,torch,numpy
    python bench/run.py --workloads MEM,MNIST --frameworks tinynn,torch --threads 1
    python bench/run.py --scaling --frameworks tinynn,torch --threads 1      # W1 batch/width sweep

Workloads (float32; every framework gets the same initial weights and the same data, generated
here with NumPy, and the first losses are checked to agree before the figures are trusted):

    W1    MLP 784-512-256-10, ReLU, cross-entropy, SGD momentum 0.9, batch 128: full step (steps/s)
    W1FB  the same MLP, forward + backward only (steps/s; issue 3 compares it with hand-written NumPy)
    W2    CNN Conv(1,16,3,p1)-ReLU-MaxPool2-Conv(16,32,3,p1)-ReLU-MaxPool2-Flatten-Linear(1568,128)
          -ReLU-Linear(128,10), batch 64, SGD momentum: full step (steps/s)
    W3    chain of 100 elementwise ops on a (16,) tensor, forward + backward (us per op)
    W4    the W1 MLP, inference under no_grad, batch 1024 (samples/s)
    MEM   peak memory of 20 W2 training steps above the pre-loop baseline (bytes; RSS high-water
          mark for every framework, plus tracemalloc's peak for the NumPy-based ones)
    MNIST examples/mnist.py --model cnn, one epoch, against its PyTorch twin bench/mnist_torch.py
          (seconds; same model, weights, data order and loop)

Method: each framework x workload runs in its own Python process (`--worker`), so imports, BLAS
thread pools and allocator state never leak between them. Processes are interleaved (for each
repeat: every workload, every framework in turn), each warms up, then times several blocks;
the table shows the median over processes of their median block, the spread ((max - min) /
median over processes) and the ratio to PyTorch. Thread settings: "1" sets OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS to 1 and calls torch.set_num_threads(1); "all" uses
every core (os.cpu_count()). PyTorch and the NumPy reference are skipped when not installed /
not applicable. tinynn multiplies with Intel MKL when its `mkl` extra is installed, else with
NumPy's BLAS; the results record which ("tinynn_blas"). Results (all raw samples and the machine description) go to
bench/results/latest.json (--json to change).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name: (description, unit, higher_is_better, target ratio to torch (None: none), frameworks)
WORKLOADS = {
    "W1": ("MLP 784-512-256-10 train step, batch 128", "steps/s", True, 1.0,
           ("tinynn", "torch", "numpy")),
    "W1FB": ("MLP 784-512-256-10 forward+backward, batch 128", "steps/s", True, None,
             ("tinynn", "torch", "numpy")),
    "W2": ("CNN train step, batch 64", "steps/s", True, 0.8, ("tinynn", "torch", "numpy")),
    "W3": ("100 elementwise ops on (16,), fwd+bwd", "us/op", False, 1.5, ("tinynn", "torch")),
    "W4": ("MLP inference no_grad, batch 1024", "samples/s", True, 0.95,
           ("tinynn", "torch", "numpy")),
    "MEM": ("W2 loop peak memory (RSS above baseline)", "MiB", False, 1.0,
            ("tinynn", "torch", "numpy")),
    "MNIST": ("MNIST CNN example, one epoch", "s/epoch", False, 1.5, ("tinynn", "torch")),
}
# warm-up steps per workload (not timed)
WARMUP = {"W1": 10, "W1FB": 10, "W2": 3, "W3": 20, "W4": 5}
LR, MOMENTUM = 0.01, 0.9
MNIST_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "mnist")


# ===================================================================================== data
def mlp_sizes(hidden=512):
    return [784, hidden, max(hidden // 2, 1), 10]


def mlp_state(sizes, seed=0):
    """PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn with NumPy."""
    import numpy as np
    rng = np.random.default_rng(seed)
    state = {}
    for j, (i, o) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1 / math.sqrt(i)
        state[f"{2 * j}.weight"] = rng.uniform(-bound, bound, (o, i)).astype(np.float32)
        state[f"{2 * j}.bias"] = rng.uniform(-bound, bound, (o,)).astype(np.float32)
    return state


def cnn_state(seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    shapes = {"0": (16, 1, 3, 3), "3": (32, 16, 3, 3), "7": (128, 1568), "9": (10, 128)}
    state = {}
    for k, shp in shapes.items():
        bound = 1 / math.sqrt(math.prod(shp[1:]))
        state[f"{k}.weight"] = rng.uniform(-bound, bound, shp).astype(np.float32)
        state[f"{k}.bias"] = rng.uniform(-bound, bound, shp[:1]).astype(np.float32)
    return state


def batch(shape, seed=1):
    import numpy as np
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0]).astype(np.int64)
    return x, y


# ===================================================================================== models
def build_mlp(lib, state, sizes):
    nn = lib.nn
    layers = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(i, o), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return model


def build_cnn(lib, state):
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return model


def train_step(lib, model, x, y, update=True):
    """A closure running one step as users write it; returns the loss tensor."""
    F = lib.nn.functional
    params = list(model.parameters())
    opt = lib.optim.SGD(params, lr=LR, momentum=MOMENTUM)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if update:
            opt.step()
        return loss

    return step


def chain(x):
    """W3: 100 cheap elementwise ops, tensor-scalar and tensor-tensor arithmetic and tanh."""
    y = x
    for _ in range(25):
        y = y * 1.01
        y = y + x
        y = y - 0.5
        y = y.tanh()
    return y.sum()


# ===================================================================================== worker
def make_workload(name, fw, opts):
    """(step callable returning something float()-able the first time, items per step)."""
    import numpy as np
    lib = None
    if fw == "tinynn":
        import tinynn as lib
    elif fw == "torch":
        import torch as lib
        lib.set_num_threads(opts.nthreads)
    else:
        import numpy_ref
    if name in ("W1", "W1FB", "W4"):
        sizes = mlp_sizes(opts.hidden)
        state = mlp_state(sizes)
        bs = opts.batch or (1024 if name == "W4" else 128)
        xs, ys = batch((bs, 784))
        if fw == "numpy":
            model = numpy_ref.MLP(state, LR, MOMENTUM)
            if name == "W4":
                return (lambda: model.forward(xs)), bs, lambda: numpy_ref.cross_entropy(
                    model.forward(xs), ys)[0]
            fn = model.step if name == "W1" else model.forward_backward
            return (lambda: fn(xs, ys)), 1, None
        model = build_mlp(lib, state, sizes)
        x, y = lib.tensor(xs), lib.tensor(ys)
        if name == "W4":
            model.eval()

            def infer():
                with lib.no_grad():
                    return model(x)

            def first():
                return float(lib.nn.functional.cross_entropy(infer(), y))
            return infer, bs, first
        return train_step(lib, model, x, y, update=name == "W1"), 1, None
    if name in ("W2", "MEM"):
        state = cnn_state()
        xs, ys = batch((opts.batch or 64, 1, 28, 28))
        if fw == "numpy":
            model = numpy_ref.CNN(state, LR, MOMENTUM)
            return (lambda: model.step(xs, ys)), 1, None
        model = build_cnn(lib, state)
        return train_step(lib, model, lib.tensor(xs), lib.tensor(ys)), 1, None
    if name == "W3":
        x = lib.tensor(np.linspace(-1, 1, 16).astype(np.float32), requires_grad=True)

        def step():
            x.grad = None
            out = chain(x)
            out.backward()
            return out
        return step, 1, None
    raise ValueError(f"unknown workload {name}")


def _rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def worker_mem(opts):
    """MEM: resident-memory high-water mark of `opts.steps` W2 steps above the pre-loop RSS."""
    step, _, _ = make_workload("MEM", opts.framework, opts)
    tracer = None
    if opts.framework != "torch":
        import tracemalloc as tracer
        tracer.start()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the high-water mark (Linux)
    except OSError:
        pass
    base = _rss_kb("VmRSS")
    first = float(step())
    for _ in range(opts.steps - 1):
        step()
    res = {"first_loss": first, "values": [(_rss_kb("VmHWM") - base) / 1024]}
    if tracer is not None:
        _, peak = tracer.get_traced_memory()
        res["tracemalloc_peak_mib"] = peak / 2 ** 20
        tracer.stop()
    return res


def worker_mnist(opts):
    """MNIST: one epoch of the example (tinynn) or its PyTorch twin; seconds of the training loop."""
    import importlib.util
    args = ["--model", "cnn", "--epochs", "1", "--quiet", "--data", opts.data,
            "--save", os.path.join(tempfile.gettempdir(), f"bench_mnist_{os.getpid()}.ckpt")]
    if opts.limit:
        args += ["--limit", str(opts.limit)]
    if opts.framework == "torch":
        import torch
        torch.set_num_threads(opts.nthreads)
        spec = importlib.util.spec_from_file_location("mnist_torch",
                                                      os.path.join(HERE, "mnist_torch.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out = mod.run_torch(mod.example.parse_args(args))
    else:
        spec = importlib.util.spec_from_file_location("mnist_example",
                                                      os.path.join(ROOT, "examples", "mnist.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out = mod.main(args)
        try:
            os.remove(out["checkpoint"])
        except OSError:
            pass
    return {"first_loss": None, "values": [out["seconds_per_epoch"]],
            "test_accuracy": out["test_accuracy"]}


def worker(opts):
    sys.path.insert(0, HERE)
    sys.path.insert(0, ROOT)
    if opts.worker == "MEM":
        return worker_mem(opts)
    if opts.worker == "MNIST":
        return worker_mnist(opts)
    step, items, first_fn = make_workload(opts.worker, opts.framework, opts)
    first = first_fn() if first_fn is not None else step()
    first = float(first.detach() if hasattr(first, "detach") else first)
    # warm-up, also estimating the time of one step to size the timed blocks
    t0 = time.perf_counter()
    nwarm = WARMUP.get(opts.worker, 5)
    for _ in range(nwarm):
        step()
    per = (time.perf_counter() - t0) / nwarm
    n = max(3, int(opts.block_seconds / max(per, 1e-9)))
    wall, cpu = [], []
    for _ in range(opts.blocks):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)

    def metric(dt):
        if opts.worker == "W3":
            return dt / n / 100 * 1e6     # microseconds per op
        return n * items / dt             # steps/s or samples/s
    res = {"first_loss": first, "steps_per_block": n, "wall": [metric(d) for d in wall],
           "cpu": [metric(d) for d in cpu]}
    res["values"] = res[opts.clock]
    return res


def profile(opts):
    """cProfile (by CPU time) of tinynn's step of each workload, after a warm-up, in this process."""
    import cProfile
    import pstats
    sys.path.insert(0, HERE)
    sys.path.insert(0, ROOT)
    for wl in opts.workloads.split(","):
        if wl in ("MEM", "MNIST"):
            continue
        step, _, _ = make_workload(wl, "tinynn", opts)
        for _ in range(WARMUP.get(wl, 5)):
            step()
        n = {"W2": 10, "W3": 200}.get(wl, 50)
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for _ in range(n):
            step()
        prof.disable()
        print(f"=== {wl}: {n} steps of tinynn, sorted by own CPU time")
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


# ===================================================================================== driver
def available(fw):
    if fw == "tinynn":
        return True
    try:
        __import__("torch" if fw == "torch" else "numpy")
    except ImportError:
        return False
    return True


def run_worker(wl, fw, threads, opts, extra=()):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", wl, "--framework", fw,
           "--nthreads", str(threads), "--blocks", str(opts.blocks),
           "--block-seconds", str(opts.block_seconds), "--steps", str(opts.mem_steps),
           "--data", opts.data, "--clock", opts.clock] + list(extra)
    if opts.limit:
        cmd += ["--limit", str(opts.limit)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=opts.timeout)
    if p.returncode != 0:
        sys.stderr.write(f"[{wl} {fw} threads={threads}] failed:\n{p.stderr[-3000:]}\n")
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


def summarize(samples):
    """Median over processes of each process's median block, and the spread over processes."""
    meds = [statistics.median(s["values"]) for s in samples]
    med = statistics.median(meds)
    spread = (max(meds) - min(meds)) / med * 100 if med else 0.0
    return med, spread, meds


def machine_info():
    info = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "nproc": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                info["cpu"] = line.split(":", 1)[1].strip()
    except OSError:
        info["cpu"] = platform.processor()
    import numpy
    info["numpy"] = numpy.__version__
    try:
        cfg = numpy.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001  (show_config's layout varies between NumPy versions)
        pass
    sys.path.insert(0, ROOT)
    import tinynn
    info["tinynn"] = tinynn.__version__
    info["tinynn_blas"] = "mkl" if tinynn.backends.mkl.is_available() else "numpy (" + info.get("blas", "?") + ")"
    try:
        import torch
        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    try:
        info["loadavg_start"] = os.getloadavg()
    except OSError:
        pass
    return info


def fmt(v, unit):
    if unit in ("steps/s", "us/op"):
        return f"{v:8.2f}"
    if unit == "samples/s":
        return f"{v:8.0f}"
    return f"{v:8.1f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default="W1,W2,W3,W4")
    ap.add_argument("--frameworks", default="tinynn,torch,numpy")
    ap.add_argument("--threads", default="1,all", help="comma list of thread counts; 'all' = nproc")
    ap.add_argument("--repeats", type=int, default=3, help="processes per framework x workload")
    ap.add_argument("--blocks", type=int, default=3, help="timed blocks per process")
    ap.add_argument("--block-seconds", type=float, default=0.6, help="length of one timed block")
    ap.add_argument("--mem-steps", type=int, default=20, help="W2 steps of the MEM workload")
    ap.add_argument("--data", default=MNIST_DATA, help="MNIST folder for the MNIST workload")
    ap.add_argument("--limit", type=int, default=None, help="MNIST: only this many batches")
    ap.add_argument("--scaling", action="store_true",
                    help="W1 step time against batch size (32..1024) and hidden width (256..4096)")
    ap.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--profile", action="store_true",
                    help="instead of timing: cProfile (CPU time) tinynn's step of each workload in "
                         "this process and print the 25 most expensive functions")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="time blocks by the wall clock (default) or by the process's CPU time "
                         "(robust on a shared machine, meaningful for 1 thread only)")
    # worker mode (one framework x workload in this process)
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--framework", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--nthreads", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=20, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--hidden", type=int, default=512, help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)

    if opts.worker:
        print(json.dumps(worker(opts)))
        return None
    if opts.profile:
        return profile(opts)

    nproc = os.cpu_count() or 1
    threads = [nproc if t == "all" else int(t) for t in opts.threads.split(",")]
    threads = list(dict.fromkeys(threads))
    frameworks = [f for f in opts.frameworks.split(",") if f]
    for fw in list(frameworks):
        if not available(fw):
            print(f"{fw} is not installed: skipped")
            frameworks.remove(fw)
    info = machine_info()
    cmdline = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"{info['date']}  {info.get('cpu')}  nproc={nproc}  python {info['python']}  "
          f"numpy {info['numpy']} ({info.get('blas')})  tinynn {info['tinynn']}  "
          f"torch {info['torch']}  load {info.get('loadavg_start')}")

    if opts.scaling:
        cells = []
        for b in (32, 64, 128, 256, 512, 1024):
            cells.append((f"W1 batch={b} hidden=512", "W1", ["--batch", str(b), "--hidden", "512"]))
        for h in (256, 512, 1024, 2048, 4096):
            cells.append((f"W1 batch=128 hidden={h}", "W1", ["--batch", "128", "--hidden", str(h)]))
    else:
        cells = [(wl, wl, []) for wl in opts.workloads.split(",") if wl]
    for label, wl, _ in cells:
        if wl not in WORKLOADS:
            sys.exit(f"unknown workload {wl}; choose from {', '.join(WORKLOADS)}")

    raw = {}  # (threads, label, fw) -> list of worker results
    for th in threads:
        for rep in range(opts.repeats):
            for label, wl, extra in cells:
                if wl == "MNIST" and rep > 0 and opts.repeats > 1 and opts.limit is None:
                    continue  # a full epoch is long: once per thread setting
                fws = [f for f in frameworks if f in WORKLOADS[wl][4]]
                if rep % 2:
                    fws = fws[::-1]  # alternate the order: neither framework always runs first
                for fw in fws:
                    r = run_worker(wl, fw, th, opts, extra)
                    if r is not None:
                        raw.setdefault((th, label, fw), []).append(r)
                        print(f"  [{th} thr, rep {rep + 1}/{opts.repeats}] {label:24} {fw:7} "
                              f"{fmt(statistics.median(r['values']), WORKLOADS[wl][1])} "
                              f"{WORKLOADS[wl][1]}", flush=True)

    # ------------------------------------------------------------------ table
    results = []
    lines = []
    hdr = (f"| threads | workload | unit | " + " | ".join(frameworks)
           + " | spread (tinynn) | tinynn / torch | target |")
    lines.append(hdr)
    lines.append("|" + "---|" * (hdr.count("|") - 1))
    for th in threads:
        for label, wl, _ in cells:
            desc, unit, higher, target, _fws = WORKLOADS[wl]
            row = {"threads": th, "workload": label, "unit": unit, "frameworks": {}}
            firsts = {}
            for fw in frameworks:
                samples = raw.get((th, label, fw))
                if not samples:
                    continue
                med, spread, meds = summarize(samples)
                row["frameworks"][fw] = {"median": med, "spread_pct": spread, "process_medians": meds,
                                         "samples": [s["values"] for s in samples],
                                         "first_loss": samples[0]["first_loss"]}
                for key in ("tracemalloc_peak_mib", "test_accuracy"):
                    if key in samples[0]:
                        row["frameworks"][fw][key] = statistics.median(s[key] for s in samples)
                if samples[0]["first_loss"] is not None:
                    firsts[fw] = samples[0]["first_loss"]
            f = row["frameworks"]
            if len(set(round(v, 4) for v in firsts.values())) > 1:
                ref = firsts.get("torch", next(iter(firsts.values())))
                bad = {k: v for k, v in firsts.items() if abs(v - ref) > 1e-4 * max(1, abs(ref))}
                row["first_losses_agree"] = not bad
            else:
                row["first_losses_agree"] = True
            row["first_losses"] = firsts
            ratio = None
            if "tinynn" in f and "torch" in f:
                ratio = f["tinynn"]["median"] / f["torch"]["median"]
                row["ratio_to_torch"] = ratio
                if target is not None:
                    row["target"] = target
                    row["meets_target"] = ratio >= target if higher else ratio <= target
            if "tinynn" in f and "numpy" in f:
                row["ratio_to_numpy"] = f["tinynn"]["median"] / f["numpy"]["median"]
            results.append(row)
            cols = " | ".join(fmt(f[fw]["median"], unit).strip() if fw in f else "-" for fw in frameworks)
            spread = f"{f['tinynn']['spread_pct']:.0f}%" if "tinynn" in f else "-"
            rt = f"{ratio:.2f}x" if ratio is not None else "-"
            if target is not None and ratio is not None:
                tgt = f"{'>=' if higher else '<='} {target}x {'ok' if row['meets_target'] else 'MISSED'}"
            else:
                tgt = "-"
            if not row["first_losses_agree"]:
                tgt += " (FIRST LOSSES DISAGREE)"
            lines.append(f"| {th} | {label} | {unit} | {cols} | {spread} | {rt} | {tgt} |")
    print()
    print("\n".join(lines))
    for row in results:
        if "ratio_to_numpy" in row:
            print(f"{row['threads']} thr {row['workload']}: tinynn / hand-written NumPy "
                  f"{row['ratio_to_numpy']:.2f}x")
        if not row["first_losses_agree"]:
            print(f"WARNING {row['workload']}: first losses differ: {row['first_losses']}")
        for fw, v in row["frameworks"].items():
            if "tracemalloc_peak_mib" in v:
                print(f"{row['threads']} thr {row['workload']} {fw}: tracemalloc peak "
                      f"{v['tracemalloc_peak_mib']:.1f} MiB")
            if "test_accuracy" in v:
                print(f"{row['threads']} thr {row['workload']} {fw}: test accuracy "
                      f"{v['test_accuracy']:.2%}")
    try:
        info["loadavg_end"] = os.getloadavg()
    except OSError:
        pass
    if opts.json:
        os.makedirs(os.path.dirname(os.path.abspath(opts.json)), exist_ok=True)
        with open(opts.json, "w") as fh:
            json.dump({"machine": info, "command": cmdline, "options": vars(opts),
                       "results": results, "table": lines}, fh, indent=1)
        print(f"results: {opts.json}")
    return results


if __name__ == "__main__":
    main()
