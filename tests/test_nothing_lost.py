"""Nothing lost (issue 9, item 5).

* SIGKILL, 50 times, at random moments while a separate process writes a 4 MB checkpoint with
  `tinynn.save` over and over: the file on disk always loads, whole and self-consistent, and never
  goes back to an older version than one already seen. (The saving processes are forked from one
  "zygote" process that imported tinynn once, so 50 kills cost seconds, not 50 interpreter starts.)
* A training run under `tinynn.train.fit(checkpoint_dir=...)` is killed at random moments and
  restarted with `resume=True` until it finishes: its losses equal an uninterrupted run's, bit for
  bit. A hand-written loop that checkpoints model, optimizer, scheduler and random states does the
  same from every epoch's checkpoint.
* Tampered files (wrong header, truncation anywhere, flipped bits, a pickle with a payload renamed
  to .pt, a zip like torch.save's, headers that lie about sizes) raise a RuntimeError that names
  the file, and run no code from it; a property test mutates a valid checkpoint at random and
  gets either that error or the original object, never anything else.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import random
import signal
import struct
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinynn
from tinynn import nn
from tinynn.utils.data import DataLoader, TensorDataset

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.cpu_only(reason="files, processes and CPU bit-for-bit reproducibility")

# ------------------------------------------------------------------------------------------------
# SIGKILL while saving
# ------------------------------------------------------------------------------------------------
ZYGOTE = r'''
import os, sys
import tinynn
path, n = sys.argv[1], int(sys.argv[2])

def payload(v):
    return {"version": v, "model": {"w": tinynn.full((n,), float(v)),
                                    "b": tinynn.arange(float(v), float(v) + 8.0)},
            "optimizer": {"state": {0: {"step": tinynn.tensor(float(v))}}, "lr": 0.1}}

for line in sys.stdin:
    cmd, arg = line.split()
    if cmd == "fork":                       # a child that saves new versions until it is killed
        pid = os.fork()
        if pid == 0:
            v = int(arg)
            while True:
                tinynn.save(payload(v), path)
                v += 1
        print(pid, flush=True)
    elif cmd == "reap":
        os.waitpid(int(arg), 0)
        print("reaped", flush=True)
'''


def _check_whole(ckpt, n):
    v = ckpt["version"]
    w = ckpt["model"]["w"].numpy()
    assert w.shape == (n,) and (w == v).all()
    assert ckpt["model"]["b"].tolist() == [float(v + i) for i in range(8)]
    assert ckpt["optimizer"]["state"][0]["step"].item() == v and ckpt["optimizer"]["lr"] == 0.1
    return v


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX) for the saving processes")
def test_sigkill_while_saving_never_loses_the_previous_checkpoint(tmp_path):
    n = 1 << 20  # 4 MB of float32: a save takes tens of milliseconds, so kills land inside writes
    path = tmp_path / "ckpt.pt"
    tinynn.save({"version": 0, "model": {"w": tinynn.zeros(n), "b": tinynn.arange(0.0, 8.0)},
                 "optimizer": {"state": {0: {"step": tinynn.tensor(0.0)}}, "lr": 0.1}}, path)
    zygote = subprocess.Popen([sys.executable, "-c", ZYGOTE, str(path), str(n)], cwd=REPO,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    rng = random.Random(20240601)
    last, versions, mid_write = 0, set(), 0
    try:
        for trial in range(50):
            zygote.stdin.write(f"fork {1000 * (trial + 1)}\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.12))
            os.kill(pid, signal.SIGKILL)
            zygote.stdin.write(f"reap {pid}\n")
            zygote.stdin.flush()
            assert zygote.stdout.readline().strip() == "reaped"
            v = _check_whole(tinynn.load(path), n)  # loads, every time, and is self-consistent
            assert v >= last  # never an older checkpoint than one already seen
            last = v
            versions.add(v)
            stray = [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
            mid_write += bool(stray)  # the kill interrupted a write (its temporary file is left)
            for f in stray:
                os.unlink(tmp_path / f)
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=30)
    assert len(versions) > 5, versions   # the children did replace the checkpoint, many times
    assert mid_write >= 3, mid_write     # and kills did land in the middle of a write


# ------------------------------------------------------------------------------------------------
# a training run killed at random moments resumes to the uninterrupted result
# ------------------------------------------------------------------------------------------------
TRAIN = r'''
import json, sys
import tinynn
from tinynn import nn
from tinynn.optim import Adam, lr_scheduler
from tinynn.train import fit
from tinynn.utils.data import DataLoader, TensorDataset

def setup():
    tinynn.manual_seed(0)
    g = tinynn.Generator().manual_seed(5)
    x = tinynn.randn(256, 5, generator=g)
    y = ((x[:, 0] - x[:, 1]) > 0).long() + (x[:, 2] > 1.0).long()
    model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Dropout(0.25), nn.Linear(32, 3))
    opt = Adam(model.parameters(), lr=0.02)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    return model, opt, sched, loader

def run(checkpoint_dir, resume, epochs=16):
    model, opt, sched, loader = setup()
    h = fit(model, opt, nn.CrossEntropyLoss(), loader, epochs, scheduler=sched,
            checkpoint_dir=checkpoint_dir, resume=resume, quiet=True)
    params = [p.detach().numpy().tolist() for p in model.parameters()]
    return {"loss": h["loss"], "batch_loss": h["batch_loss"], "lr": h["lr"], "params": params}

if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], True)))
'''


def _run_training_inprocess(checkpoint_dir):
    ns = {"__name__": "tinynn_reliability_train"}
    exec(compile(TRAIN, "<train>", "exec"), ns)
    return ns["run"](checkpoint_dir, False)


def test_training_killed_at_random_moments_resumes_bit_for_bit(tmp_path):
    reference = _run_training_inprocess(str(tmp_path / "reference"))
    ckdir = tmp_path / "killed"
    rng = random.Random(7)
    kills, result = 0, None
    for attempt in range(12):
        p = subprocess.Popen([sys.executable, "-c", TRAIN, str(ckdir)], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if kills < 3:
            # wait for this attempt to make progress (a new checkpoint), then kill at random
            start = len(os.listdir(ckdir)) if ckdir.exists() else 0
            deadline = time.time() + 60
            while p.poll() is None and time.time() < deadline and \
                    (len(os.listdir(ckdir)) if ckdir.exists() else 0) <= start:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.05))
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()
                kills += 1
                continue
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        break
    assert kills >= 2 and result is not None  # (a fast machine may finish before a third)
    # bit for bit: the floats went through JSON's repr, which round-trips exactly
    assert result["batch_loss"] == reference["batch_loss"]
    assert result["loss"] == reference["loss"] and result["lr"] == reference["lr"]
    assert result["params"] == reference["params"]


# a hand-written loop with its own checkpoints, resumed from every epoch ----------------------------
def _own_setup():
    tinynn.manual_seed(1)
    g = tinynn.Generator().manual_seed(17)
    x = tinynn.randn(64, 4, generator=g)
    y = (x.sum(1, keepdim=True) > 0).float()
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Dropout(0.3), nn.Linear(16, 1))
    opt = tinynn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    sched = tinynn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
    loader_gen = tinynn.Generator().manual_seed(99)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=loader_gen)
    return model, opt, sched, loader, loader_gen


def _own_train(epochs, ckdir, resume_from=None):
    model, opt, sched, loader, loader_gen = _own_setup()
    start, losses = 0, []
    if resume_from is not None:
        ck = tinynn.load(resume_from)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        tinynn.set_rng_state(ck["rng"])
        loader_gen.set_state(ck["loader_rng"])
        start, losses = ck["epoch"], list(ck["losses"])
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(start, epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sched.step()
        tinynn.save({"epoch": epoch + 1, "model": model.state_dict(), "optimizer": opt.state_dict(),
                     "scheduler": sched.state_dict(), "rng": tinynn.get_rng_state(),
                     "loader_rng": loader_gen.get_state(), "losses": losses},
                    os.path.join(ckdir, f"ep{epoch + 1}.pt"))
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_own_loop_resumed_from_any_epoch_reproduces_the_losses(tmp_path):
    full, full_params = _own_train(6, str(tmp_path))
    assert len(set(full)) > 20  # the losses do move
    for k in range(1, 6):
        tinynn.manual_seed(12345)  # whatever the RNG did in between must not matter
        resumed, params = _own_train(6, str(tmp_path), resume_from=str(tmp_path / f"ep{k}.pt"))
        assert resumed == full, f"resumed from epoch {k}"
        for a, b in zip(params, full_params):
            np.testing.assert_array_equal(a, b)


def test_fit_resumed_from_every_epoch_checkpoint(tmp_path):
    ns = {"__name__": "tinynn_reliability_train"}
    exec(compile(TRAIN, "<train>", "exec"), ns)
    full = ns["run"](str(tmp_path / "full"), False, epochs=5)
    for k in range(1, 5):
        tinynn.manual_seed(k * 1000)
        res = ns["run"](None, str(tmp_path / "full" / f"epoch_{k:04d}.ckpt"), epochs=5)
        assert res["batch_loss"] == full["batch_loss"], f"resumed from epoch {k}"
        assert res["params"] == full["params"]


# ------------------------------------------------------------------------------------------------
# tampered files
# ------------------------------------------------------------------------------------------------
def _valid(tmp_path):
    obj = {"epoch": 3, "model": {"fc.weight": tinynn.arange(24.0).reshape(4, 6),
                                 "fc.bias": tinynn.tensor([1, 2, 3, 4], dtype=tinynn.int64)},
           "note": "ok", "lrs": [0.1, 0.01]}
    path = tmp_path / "good.pt"
    tinynn.save(obj, path)
    return path, path.read_bytes()


def _same(a, b):
    if isinstance(a, tinynn.Tensor):
        return isinstance(b, tinynn.Tensor) and a.dtype == b.dtype and a.shape == b.shape and \
            bool((a == b).all())
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _refused(path, data):
    path.write_bytes(data)
    with pytest.raises(RuntimeError) as info:
        tinynn.load(path)
    msg = str(info.value)
    assert str(path) in msg and msg.startswith("tinynn.load: cannot load")
    return msg


class _Payload:
    """Unpickling this would create a marker file: proof that loading ran code from the file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_payload_renamed_to_pt_executes_nothing(tmp_path):
    marker = tmp_path / "PWNED"
    for proto in (2, 4, 5):
        blob = pickle.dumps({"model": _Payload(marker)}, protocol=proto)
        msg = _refused(tmp_path / f"model_p{proto}.pt", blob)
        assert "pickle" in msg and "never unpickles" in msg
    buf = io.BytesIO()  # the same payload in a zip laid out like torch.save's
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Payload(marker)))
        z.writestr("archive/version", "3\n")
    assert "zip" in _refused(tmp_path / "model.ckpt", buf.getvalue())
    # a pickle behind a safetensors-looking length prefix is just a corrupt file
    _refused(tmp_path / "prefixed.pt", struct.pack("<Q", 40) + pickle.dumps(_Payload(marker)))
    assert not marker.exists()


def test_wrong_header_truncation_and_lying_sizes(tmp_path):
    path, good = _valid(tmp_path)
    n = struct.unpack("<Q", good[:8])[0]
    header = json.loads(good[8:8 + n])
    bad = tmp_path / "bad.pt"
    assert "not a safetensors file" in _refused(bad, b"\x00" * 8 + good[8:])
    assert "truncated" in _refused(bad, struct.pack("<Q", 1 << 62) + good[8:])  # absurd length
    assert "header" in _refused(bad, good[:8] + b"[" + good[9:])
    for cut in (0, 3, 8, 9, n // 2, n + 8, n + 9, len(good) - 1):
        _refused(bad, good[:cut])
    # a header that claims a 2**40-element tensor in a few bytes of data: refused, not allocated
    name = next(k for k in header if k != "__metadata__")
    lie = dict(header)
    lie[name] = dict(header[name], shape=[1 << 20, 1 << 20])
    hb = json.dumps(lie).encode()
    hb += b" " * (-len(hb) % 8)
    _refused(bad, struct.pack("<Q", len(hb)) + hb + good[8 + n:])
    # the structure record edited to point at a tensor that is not there (CRC catches it first)
    meta = dict(header["__metadata__"])
    meta["tinynn"] = meta["tinynn"].replace('"name":"model.fc.bias"', '"name":"nope"')
    lie = dict(header, __metadata__=meta)
    hb = json.dumps(lie).encode()
    hb += b" " * (-len(hb) % 8)
    _refused(bad, struct.pack("<Q", len(hb)) + hb + good[8 + n:])
    assert _same(tinynn.load(path), tinynn.load(path))


_mutations = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 16)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(muts=st.lists(_mutations, min_size=1, max_size=3))
def test_random_corruption_gives_a_clear_error_or_the_original(tmp_path, muts):
    path, good = _valid(tmp_path)
    original = tinynn.load(path)
    data = bytearray(good)
    for kind, pos, val in muts:
        pos %= max(len(data), 1)
        if kind == "flip" and data:
            data[pos] ^= val
        elif kind == "cut":
            del data[pos:]
        elif kind == "insert":
            data.insert(pos, val)
        elif kind == "delete":
            del data[pos:pos + val]
    bad = tmp_path / "mutated.pt"
    bad.write_bytes(bytes(data))
    try:
        obj = tinynn.load(bad)
    except RuntimeError as e:
        assert str(bad) in str(e)
    else:  # only a change the format ignores (e.g. trailing header padding) may load, unchanged
        assert _same(obj, original)
