"""tinynn.save / tinynn.load: pickle-free checkpoints in the safetensors format."""
from __future__ import annotations

import io
import json
import math
import os
import pickle
import random
import signal
import struct
import time
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy

import tinynn
from tinynn import serialization

DATA = os.path.join(os.path.dirname(__file__), "data")

# tests/data/torch_mlp.safetensors: written once by real PyTorch 2.13 with
#   torch.manual_seed(0); net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
#   safetensors.torch.save_file(net.state_dict(), "torch_mlp.safetensors")
TORCH_MLP = OrderedDict([
    ("0.weight", [[-0.004322517663240433, 0.3097158372402191, -0.4751853346824646],
                  [-0.4248946011066437, -0.2223689705133438, 0.15482072532176971],
                  [-0.011439144611358643, 0.45777493715286255, -0.05123639851808548],
                  [0.1527741253376007, -0.1744827926158905, -0.11348707973957062]]),
    ("0.bias", [-0.55157071352005, -0.3823687434196472, -0.2379971146583557, 0.021387115120887756]),
    ("2.weight", [[0.19766759872436523, 0.30001139640808105, -0.3389705419540405,
                   -0.21773141622543335],
                  [0.18160855770111084, 0.41519397497177124, -0.10290008783340454,
                   0.3741558790206909]]),
    ("2.bias", [-0.08059167861938477, 0.05290704965591431]),
])
TORCH_MLP_X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
TORCH_MLP_OUT = [[-0.09045116603374481, 0.0698498785495758],
                 [-0.1441785991191864, 0.16217662394046783]]


def _eq(a, b):
    """Deep equality of loaded objects (tensors by dtype, shape and values; NaN == NaN)."""
    if isinstance(a, tinynn.Tensor):
        return isinstance(b, tinynn.Tensor) and a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy(),
                           equal_nan=a.is_floating_point())
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(_eq(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _checkpoint(device="cpu"):
    t = tinynn.tensor([[1.0, -2.5], [3.25, 4.0]], device=device)
    model = OrderedDict([("fc.weight", t), ("fc.bias", tinynn.tensor([0.5, -1.0], device=device)),
                         ("bn.num_batches_tracked", tinynn.tensor(7, device=device))])
    optim = {"state": {0: {"step": tinynn.tensor(3.0, device=device),
                           "exp_avg": tinynn.zeros(2, 2, device=device)}},
             "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8,
                               "amsgrad": False, "maximize": False, "foreach": None,
                               "params": [0, 1]}]}
    return {"model": model, "optimizer": optim, "epoch": 4,
            "scheduler": {"last_epoch": 4, "_last_lr": [0.0005], "gamma": 0.5},
            "history": [1.5, 0.75, float("nan"), float("inf"), -float("inf"), -0.0],
            "note": "ünïcode ✓", "flags": (True, False, None), "raw": b"\x00\xffbytes",
            "big": 2 ** 80, "z": 1 - 2j, "s": {1, 2}, "fs": frozenset({"a"}),
            "np": np.arange(6, dtype=np.int16).reshape(2, 3), "np_scalar": np.float32(2.5),
            "np_bool": np.bool_(True), "np_c128": np.array([1 + 1j, 2 - 3j]),
            "size": tinynn.Size([2, 3]), "dtype": tinynn.float64, "device": tinynn.device("cpu")}


# --------------------------------------------------------------------------- round trips
def test_roundtrip_nested_checkpoint(tmp_path, device):
    ckpt = _checkpoint(device)
    path = tmp_path / "ckpt.pt"
    tinynn.save(ckpt, path)
    out = tinynn.load(path)
    assert _eq(ckpt, out)
    assert type(out["model"]) is OrderedDict and list(out["model"]) == list(ckpt["model"])
    assert out["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(out["optimizer"]["state"]) == [0]  # int keys stay ints
    assert out["model"]["bn.num_batches_tracked"].dtype == tinynn.int64
    assert out["model"]["bn.num_batches_tracked"].shape == ()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32",
                                   "int64", "uint8", "bool", "complex64", "complex128"])
def test_every_dtype_and_odd_shapes(tmp_path, device, dtype):
    dt = getattr(tinynn, dtype) if dtype != "bool" else tinynn.bool
    base = np.arange(24).reshape(2, 3, 4) % 5
    tensors = {"full": tinynn.tensor(base, device=device).to(dt),
               "scalar": tinynn.tensor(3, device=device).to(dt),
               "empty": tinynn.zeros(0, 3, device=device).to(dt),
               "noncontig": tinynn.tensor(base, device=device).to(dt).transpose(0, 2)[:, ::2]}
    tinynn.save(tensors, tmp_path / "t.pt")
    out = tinynn.load(tmp_path / "t.pt")
    for k, v in tensors.items():
        assert _eq(v, out[k]), k


def test_requires_grad_and_parameter_survive(tmp_path):
    w = tinynn.tensor([1.0, 2.0], requires_grad=True)
    p = tinynn.nn.Parameter(tinynn.tensor([3.0]))
    tinynn.save({"w": w, "p": p, "d": w.detach()}, tmp_path / "g.pt")
    out = tinynn.load(tmp_path / "g.pt")
    assert out["w"].requires_grad and out["w"].is_leaf
    assert isinstance(out["p"], tinynn.nn.Parameter) and out["p"].requires_grad
    assert not out["d"].requires_grad


def test_state_dict_metadata_preserved(tmp_path):
    sd = OrderedDict([("w", tinynn.ones(1))])
    sd._metadata = OrderedDict([("", {"version": 1}), ("fc", {"version": 2})])
    tinynn.save(sd, tmp_path / "m.pt")
    out = tinynn.load(tmp_path / "m.pt")
    assert out._metadata == sd._metadata


def test_file_like_objects(tmp_path):
    buf = io.BytesIO()
    tinynn.save({"a": tinynn.arange(3), "b": [1, "x"]}, buf)
    buf.seek(0)
    out = tinynn.load(buf)
    assert out["b"] == [1, "x"] and out["a"].tolist() == [0, 1, 2]
    path = tmp_path / "f.pt"
    with open(path, "wb") as f:
        tinynn.save(tinynn.tensor([1.5]), f)
    with open(path, "rb") as f:
        assert tinynn.load(f).tolist() == [1.5]
    tinynn.save(tinynn.tensor(2.0), str(path))  # str paths too
    assert tinynn.load(str(path)).item() == 2.0


def test_unsupported_objects_are_refused_at_save_time(tmp_path):
    class Foo:
        pass
    with pytest.raises(TypeError, match=r"Foo \(at obj\['a'\]\[1\]\)"):
        tinynn.save({"a": [1, Foo()]}, tmp_path / "x.pt")
    assert not os.path.exists(tmp_path / "x.pt")
    with pytest.raises(TypeError, match="state_dict"):
        tinynn.save(lambda: 0, tmp_path / "y.pt")
    with pytest.raises(TypeError, match="dtype <U1"):
        tinynn.save(np.array(["a"]), tmp_path / "z.pt")


def test_top_level_forwarding_and_torch_names():
    assert tinynn.save is serialization.save and tinynn.load is serialization.load
    assert serialization.DEFAULT_PROTOCOL == 2
    serialization.add_safe_globals([OrderedDict, dict])
    assert OrderedDict in serialization.get_safe_globals()
    serialization.clear_safe_globals()
    with serialization.safe_globals([OrderedDict]):
        pass


def test_load_kwargs_accepted(tmp_path):
    tinynn.save([1, 2], tmp_path / "k.pt")
    assert tinynn.load(tmp_path / "k.pt", weights_only=True) == [1, 2]
    assert tinynn.load(tmp_path / "k.pt", weights_only=False, mmap=False) == [1, 2]
    tinynn.save([3], tmp_path / "k.pt", pickle_protocol=4)
    assert tinynn.load(tmp_path / "k.pt") == [3]


# --------------------------------------------------------------------------- the file format
def test_flat_state_dict_keys_are_tensor_names(tmp_path):
    sd = OrderedDict([("0.weight", tinynn.ones(2, 3)), ("0.bias", tinynn.zeros(2))])
    tinynn.save(sd, tmp_path / "sd.safetensors")
    raw = safetensors.numpy.load_file(str(tmp_path / "sd.safetensors"))
    assert set(raw) == {"0.weight", "0.bias"}
    np.testing.assert_array_equal(raw["0.weight"], np.ones((2, 3), np.float32))


def test_nested_tensor_names_are_paths(tmp_path):
    tinynn.save({"model": {"w": tinynn.ones(1)}, "opt": {"state": {0: {"m": tinynn.zeros(1)}}},
                 "lst": [tinynn.ones(1)]}, tmp_path / "n.pt")
    raw = safetensors.numpy.load_file(str(tmp_path / "n.pt"))
    assert set(raw) == {"model.w", "opt.state.0.m", "lst.0"}


def test_plain_safetensors_file_loads_as_dict(tmp_path):
    path = tmp_path / "plain.safetensors"
    safetensors.numpy.save_file({"a": np.arange(4, dtype=np.float32),
                                 "b": np.eye(2, dtype=np.float64)}, str(path))
    out = tinynn.load(path)
    assert set(out) == {"a", "b"}
    assert out["a"].dtype == tinynn.float32 and out["a"].tolist() == [0, 1, 2, 3]
    assert out["b"].dtype == tinynn.float64


def test_save_load_safetensors_helpers(tmp_path):
    sd = {"w": tinynn.tensor([[1.0, 2.0]]), "b": tinynn.tensor([3], dtype=tinynn.int32)}
    serialization.save_safetensors(sd, tmp_path / "h.safetensors", metadata={"k": "v"})
    out = serialization.load_safetensors(tmp_path / "h.safetensors")
    assert _eq(out["w"], sd["w"]) and _eq(out["b"], sd["b"])
    with pytest.raises(TypeError):
        serialization.save_safetensors({"w": 1.0}, tmp_path / "bad.safetensors")


def test_fixture_from_pytorch_loads(tmp_path):
    out = tinynn.load(os.path.join(DATA, "torch_mlp.safetensors"))
    assert set(out) == set(TORCH_MLP)
    for k, v in TORCH_MLP.items():
        np.testing.assert_array_equal(out[k].cpu().numpy(), np.array(v, dtype=np.float32))


def test_fixture_from_pytorch_into_tinynn_model():
    nn = tinynn.nn
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    net.load_state_dict(tinynn.load(os.path.join(DATA, "torch_mlp.safetensors")))
    with tinynn.no_grad():
        y = net(tinynn.tensor(TORCH_MLP_X))
    np.testing.assert_allclose(y.cpu().numpy(), TORCH_MLP_OUT, rtol=1e-6, atol=1e-7)


def test_bfloat16_from_pytorch_widens_to_float32():
    # tests/data/torch_mixed.safetensors: {"h": bfloat16 [1.5, -2.25, 3e10], "i": int32 arange(3),
    # "b": bool [True, False]}, written by safetensors.torch.save_file
    out = tinynn.load(os.path.join(DATA, "torch_mixed.safetensors"))
    assert out["h"].dtype == tinynn.float32
    assert out["h"].tolist() == [1.5, -2.25, 30064771072.0]
    assert out["i"].dtype == tinynn.int32 and out["i"].tolist() == [0, 1, 2]
    assert out["b"].dtype == tinynn.bool and out["b"].tolist() == [True, False]


def test_tinynn_state_dict_loads_into_pytorch(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional interop check)")
    import safetensors.torch  # noqa: PLC0415
    nn = tinynn.nn
    tinynn.manual_seed(3)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    tinynn.save(net.state_dict(), tmp_path / "tiny.safetensors")
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    tnet.load_state_dict(safetensors.torch.load_file(str(tmp_path / "tiny.safetensors")))
    x = np.array(TORCH_MLP_X, dtype=np.float32)
    with torch.no_grad():
        ty = tnet(torch.from_numpy(x)).numpy()
    with tinynn.no_grad():
        y = net(tinynn.tensor(x)).cpu().numpy()
    np.testing.assert_allclose(y, ty, rtol=1e-6, atol=1e-6)


def test_pytorch_weights_roundtrip_through_tinynn(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional interop check)")
    import safetensors.torch  # noqa: PLC0415
    sd = {"w": torch.randn(3, 2), "n": torch.tensor([1, 2], dtype=torch.int64)}
    safetensors.torch.save_file(sd, str(tmp_path / "pt.safetensors"))
    out = tinynn.load(tmp_path / "pt.safetensors")
    tinynn.save(out, tmp_path / "back.safetensors")
    back = safetensors.torch.load_file(str(tmp_path / "back.safetensors"))
    assert torch.equal(back["w"], sd["w"]) and torch.equal(back["n"], sd["n"])


# --------------------------------------------------------------------------- map_location
def _file_with_cuda_tensor(path):
    """A checkpoint whose tensor is recorded as saved on cuda:0 (made without a GPU)."""
    structure = {"version": 1, "object": {"$": "dict", "items": [
        ["w", {"$": "tensor", "name": "w", "dtype": "float32", "device": "cuda:0"}]]}}
    raw = safetensors.numpy.save({"w": np.array([1.0, 2.0], np.float32)},
                                 metadata={"format": "pt", "tinynn": json.dumps(structure)})
    head, data = serialization._finish(raw)
    path.write_bytes(head + bytes(data))


@pytest.mark.parametrize("ml", ["cpu", tinynn.device("cpu"), {"cuda:0": "cpu"},
                                lambda storage, loc: storage])
def test_map_location_to_cpu(tmp_path, ml):
    path = tmp_path / "cuda.pt"
    _file_with_cuda_tensor(path)
    out = tinynn.load(path, map_location=ml)
    assert out["w"].device == tinynn.device("cpu") and out["w"].tolist() == [1.0, 2.0]


def test_map_location_callable_sees_saved_location(tmp_path):
    path = tmp_path / "cuda.pt"
    _file_with_cuda_tensor(path)
    seen = []
    tinynn.load(path, map_location=lambda t, loc: seen.append(loc) or t)
    assert seen == ["cuda:0"]


@pytest.mark.skipif(tinynn.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_cuda_checkpoint_without_cuda_asks_for_map_location(tmp_path):
    path = tmp_path / "cuda.pt"
    _file_with_cuda_tensor(path)
    with pytest.raises(RuntimeError, match="map_location"):
        tinynn.load(path)
    with pytest.raises(RuntimeError, match="CUDA"):
        tinynn.load(_save_cpu(tmp_path), map_location="cuda")


def _save_cpu(tmp_path):
    p = tmp_path / "cpu.pt"
    tinynn.save({"w": tinynn.ones(1, device="cpu")}, p)
    return p


def test_map_location_callable_returning_none_keeps_location(tmp_path):
    out = tinynn.load(_save_cpu(tmp_path), map_location=lambda t, loc: None)
    assert out["w"].device.type == "cpu"


def test_map_location_bad_type(tmp_path):
    with pytest.raises(TypeError, match="map_location"):
        tinynn.load(_save_cpu(tmp_path), map_location=3)


# --------------------------------------------------------------------------- damaged files
def _good_file(tmp_path):
    path = tmp_path / "good.pt"
    tinynn.save({"w": tinynn.arange(200, dtype=tinynn.float32), "epoch": 3}, path)
    return path, path.read_bytes()


def _load_error(path, data) -> str:
    path.write_bytes(data)
    with pytest.raises(RuntimeError) as info:
        tinynn.load(path)
    msg = str(info.value)
    assert str(path) in msg  # the message names the file
    return msg


@pytest.mark.parametrize("keep", [0, 5, 8, 40, 300, -1])
def test_truncated_file_raises(tmp_path, keep):
    path, good = _good_file(tmp_path)
    cut = good[:keep] if keep >= 0 else good[:-1]
    msg = _load_error(tmp_path / "cut.pt", cut)
    assert "truncated" in msg or "too short" in msg


@pytest.mark.parametrize("where", ["length", "header", "structure", "data", "last"])
def test_flipped_bytes_raise(tmp_path, where):
    path, good = _good_file(tmp_path)
    n = struct.unpack("<Q", good[:8])[0]
    pos = {"length": 2, "header": 9, "structure": good.index(b"epoch"), "data": 8 + n + 100,
           "last": len(good) - 1}[where]
    bad = bytearray(good)
    bad[pos] ^= 0x24
    msg = _load_error(tmp_path / "flip.pt", bytes(bad))
    assert "corrupt" in msg or "truncated" in msg or "not a safetensors" in msg


def test_appended_garbage_raises(tmp_path):
    _, good = _good_file(tmp_path)
    assert "unexpected bytes" in _load_error(tmp_path / "more.pt", good + b"junk")


@pytest.mark.parametrize("blob", [b"", b"\x00" * 64, b'{"not": "safetensors"}',
                                  bytes(random.Random(0).getrandbits(8) for _ in range(300))])
def test_foreign_bytes_raise(tmp_path, blob):
    _load_error(tmp_path / "foreign.pt", blob)


def test_wrong_header_raises(tmp_path):
    _, good = _good_file(tmp_path)
    n = struct.unpack("<Q", good[:8])[0]
    bad = good[:8] + b"[" + good[9:]  # header no longer a JSON object
    assert "header" in _load_error(tmp_path / "hdr.pt", bad)
    header = json.loads(good[8:8 + n])
    header["w"]["dtype"] = "F64"  # consistent JSON, wrong content (CRC catches it)
    hb = json.dumps(header).encode()
    hb += b" " * (-len(hb) % 8)
    assert "checksum" in _load_error(tmp_path / "hdr2.pt", struct.pack("<Q", len(hb)) + hb + good[8 + n:])


class _Exploit:
    """Unpickling this creates a file: proof that loading executed code from the file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_renamed_to_pt_executes_nothing(tmp_path):
    marker = tmp_path / "PWNED"
    msg = _load_error(tmp_path / "evil.pt", pickle.dumps({"w": _Exploit(str(marker))}, protocol=2))
    assert "pickle" in msg and not marker.exists()
    # and the same payload inside a zip laid out like torch.save's archives
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Exploit(str(marker))))
        z.writestr("archive/version", "3\n")
    msg = _load_error(tmp_path / "evil_zip.pt", buf.getvalue())
    assert "zip" in msg and "torch.save" in msg and not marker.exists()


def test_real_pytorch_pickle_checkpoint_is_refused(tmp_path):
    # tests/data/torch_pickle.pt: torch.save({"w": torch.ones(2)}, ...) by PyTorch 2.13
    data = open(os.path.join(DATA, "torch_pickle.pt"), "rb").read()
    assert "safetensors.torch import save_file" in _load_error(tmp_path / "real.pt", data)


def test_newer_format_version_is_refused(tmp_path):
    raw = safetensors.numpy.save({}, metadata={"tinynn": json.dumps({"version": 99, "object": 1})})
    head, data = serialization._finish(raw)
    assert "newer tinynn" in _load_error(tmp_path / "v99.pt", head + bytes(data))


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tinynn.load(tmp_path / "nope.pt")


# --------------------------------------------------------------------------- atomic writes
def test_failure_mid_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    tinynn.save({"epoch": 1, "w": tinynn.ones(3)}, path)

    def boom(*args):
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="simulated"):
        tinynn.save({"epoch": 2, "w": tinynn.zeros(3)}, path)
    monkeypatch.undo()
    assert tinynn.load(path)["epoch"] == 1
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]  # the temporary file was removed


def test_failure_at_rename_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    tinynn.save({"epoch": 1}, path)
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("rename failed")))
    with pytest.raises(OSError, match="rename failed"):
        tinynn.save({"epoch": 2}, path)
    monkeypatch.undo()
    assert tinynn.load(path) == {"epoch": 1}
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_file_permissions_like_a_plain_open(tmp_path):
    path = tmp_path / "perm.pt"
    tinynn.save(1, path)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork to SIGKILL a saving process")
def test_sigkill_during_save_never_loses_the_previous_checkpoint(tmp_path):
    """50 times: a child process saves checkpoints in a loop and is SIGKILLed at a random moment;
    the file on disk is always a complete checkpoint."""
    path = tmp_path / "ckpt.pt"
    big = 1 << 18  # 1 MiB of float32 per checkpoint, so kills land inside writes

    def payload(gen):
        return {"gen": gen, "w": tinynn.full((big,), float(gen))}

    tinynn.save(payload(0), path)
    rng = random.Random(1234)
    gens, stray = set(), 0
    for trial in range(50):
        pid = os.fork()
        if pid == 0:  # child: save forever
            try:
                g = 1000 * (trial + 1)
                while True:
                    g += 1
                    tinynn.save(payload(g), path)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        ckpt = tinynn.load(path)  # never raises: the file is always a whole checkpoint
        w = ckpt["w"].cpu().numpy()
        assert w.shape == (big,) and (w == ckpt["gen"]).all()
        gens.add(ckpt["gen"])
        leftovers = [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
        stray += len(leftovers)
        for f in leftovers:
            os.unlink(tmp_path / f)
    assert len(gens) > 1  # the children did replace the checkpoint
    assert stray > 0      # and some kills landed in the middle of a write
