"""Every example runs briefly and does what it claims, so that no example can silently rot.

The examples are imported from examples/ and driven through their `main(argv)` (a few steps
each); the MNIST ones read the real IDX files in ../shared/data/ (relative to the repository
root) and are skipped, naming the missing folder, when those are absent. Whole file: well under a
minute on 2 cores.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

import pytest

import tinynn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
MNIST_DIR = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "mnist"))
FASHION_DIR = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "fashion-mnist"))

# The examples run on the CPU here; on the suite's cuda runs (CuPy stand-in or GPU) only
# test_examples_with_device_cuda runs, passing --device cuda to them.
cpu_only = pytest.mark.cpu_only(reason="the examples run on the CPU here; on the cuda runs "
                                       "test_examples_with_device_cuda covers --device cuda")


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}",
                                                  os.path.join(EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def need(path):
    if not os.path.isfile(os.path.join(path, "train-images-idx3-ubyte.gz")):
        pytest.skip(f"real data not found: {path} (see ../shared/data/README.md)")


# ------------------------------------------------------------------------------ linear regression
@cpu_only
def test_linear_regression_learns_2x_plus_3():
    res = load("linear_regression").main([])
    for how in ("explicit", "fit"):
        assert abs(res[how]["weight"] - 2.0) < 0.05, res[how]
        assert abs(res[how]["bias"] - 3.0) < 0.05, res[how]
        assert res[how]["losses"][-1] < 0.05 * res[how]["losses"][0]
    # fit runs the same loop: the same seed gives the same losses
    assert res["fit"]["losses"] == pytest.approx(res["explicit"]["losses"], rel=1e-6)


# ------------------------------------------------------------------------------ MNIST
def _mnist_args(tmp_path, *extra):
    return ["--data", MNIST_DIR, "--epochs", "1", "--test-batch-size", "100", "--quiet",
            "--save", str(tmp_path / "model.ckpt"), *extra]


@cpu_only
def test_mnist_mlp_trains_and_saves(tmp_path):
    need(MNIST_DIR)
    mnist = load("mnist")
    res = mnist.main(_mnist_args(tmp_path, "--model", "mlp", "--limit", "30"))
    assert res["test_accuracy"] > 0.6, res["test_accuracy"]   # chance: 0.1
    losses = [loss for _, loss in res["history"]["batch_loss"]]
    assert losses[-1] < 0.5 * losses[0]
    assert res["seconds_per_epoch"] > 0

    # the checkpoint holds the trained weights: a fresh model loaded from it predicts the same
    ckpt = tinynn.load(res["checkpoint"])
    assert ckpt["epoch"] == 1 and ckpt["args"]["model"] == "mlp"
    assert ckpt["test_accuracy"] == pytest.approx(res["test_accuracy"])
    model = mnist.MLP()
    model.load_state_dict(ckpt["model"])
    model.eval()
    x = tinynn.randn(8, 1, 28, 28)
    with tinynn.no_grad():
        y1 = model(x)
    model.load_state_dict(tinynn.load(res["checkpoint"])["model"])
    with tinynn.no_grad():
        assert tinynn.equal(model(x), y1)
    assert set(ckpt["optimizer"]) == {"state", "param_groups"}


@cpu_only
def test_mnist_cnn_learns(tmp_path):
    need(MNIST_DIR)
    res = load("mnist").main(_mnist_args(tmp_path, "--model", "cnn", "--limit", "12",
                                         "--batch-size", "32", "--log-interval", "4"))
    assert res["test_accuracy"] > 0.3, res["test_accuracy"]   # chance: 0.1
    losses = [loss for _, loss in res["history"]["batch_loss"]]
    assert losses[-1] < losses[0]


@cpu_only
def test_fashion_mnist_runs(tmp_path):
    need(FASHION_DIR)
    res = load("mnist").main(["--dataset", "fashion", "--data", FASHION_DIR, "--epochs", "1",
                              "--limit", "20", "--test-batch-size", "100", "--quiet",
                              "--save", str(tmp_path / "f.ckpt")])
    assert res["test_accuracy"] > 0.5, res["test_accuracy"]   # chance: 0.1


@cpu_only
def test_mnist_without_data_fails_fast_with_a_clear_message(tmp_path):
    empty = tmp_path / "no-data-here"
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "mnist.py"), "--data",
                           str(empty), "--save", str(tmp_path / "x.ckpt")],
                          capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert proc.returncode != 0
    assert time.monotonic() - t0 < 60
    assert "--download" in proc.stderr
    assert str(empty) in proc.stderr
    assert "train-images-idx3-ubyte.gz" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "x.ckpt").exists()


@cpu_only
def test_mnist_argument_errors(tmp_path, capsys):
    mnist = load("mnist")
    with pytest.raises(SystemExit):
        mnist.main(["--epochs", "0", "--data", str(tmp_path)])
    assert "--epochs" in capsys.readouterr().err
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(SystemExit):
            mnist.main(["--plot", str(tmp_path / "c.png"), "--data", str(tmp_path)])
        assert "matplotlib" in capsys.readouterr().err
    try:
        import torchvision  # noqa: F401
    except ImportError:
        need(MNIST_DIR)
        with pytest.raises(SystemExit) as e:
            mnist.main(["--torchvision", "--data", MNIST_DIR])
        assert "pip install torchvision" in str(e.value)
    if not tinynn.cuda.is_available():
        with pytest.raises(SystemExit):
            mnist.main(["--device", "cuda", "--data", str(tmp_path)])
        assert "GPU" in capsys.readouterr().err


@cpu_only
def test_mnist_plot(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (optional extra 'plot')")
    need(MNIST_DIR)
    png = tmp_path / "curves.png"
    load("mnist").main(_mnist_args(tmp_path, "--limit", "5", "--epochs", "2", "--plot", str(png)))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@cpu_only
def test_mnist_takes_a_torchvision_style_dataset(tmp_path, monkeypatch):
    """--torchvision: a stand-in `torchvision.datasets.MNIST` (items of image array and int, the
    transform applied per item, as torchvision does) goes through tinynn's DataLoader as it is."""
    need(MNIST_DIR)
    import types  # noqa: PLC0415

    from tinynn import datasets  # noqa: PLC0415

    class TorchvisionLikeMNIST:
        calls = []

        def __init__(self, root, train=True, transform=None, target_transform=None,
                     download=False):
            self.calls.append((root, train, download))
            inner = datasets.MNIST(root, train=train)
            self.images, self.labels = inner.data.numpy(), inner.targets.numpy()
            self.transform = transform

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            return self.transform(self.images[i]), int(self.labels[i])

    fake = types.ModuleType("torchvision")
    fake.datasets = types.SimpleNamespace(MNIST=TorchvisionLikeMNIST)
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    res = load("mnist").main(_mnist_args(tmp_path, "--torchvision", "--limit", "10"))
    assert TorchvisionLikeMNIST.calls == [(MNIST_DIR, True, False), (MNIST_DIR, False, False)]
    assert res["test_accuracy"] > 0.3


@cpu_only
def test_mnist_torch_twin_matches(tmp_path):
    """bench/mnist_torch.py: same weights, data and order as the tinynn example, so the CNN (no
    dropout) gives the same accuracy in both frameworks."""
    pytest.importorskip("torch", reason="PyTorch is not installed (optional side-by-side check)")
    need(MNIST_DIR)
    spec = importlib.util.spec_from_file_location("mnist_torch",
                                                  os.path.join(ROOT, "bench", "mnist_torch.py"))
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)
    res = twin.main(_mnist_args(tmp_path, "--model", "cnn", "--limit", "4", "--batch-size", "32",
                                "--with-tinynn"))
    assert res["tinynn"]["test_accuracy"] == pytest.approx(res["torch"]["test_accuracy"], abs=0.01)


# ------------------------------------------------------------------------------ custom Function
@cpu_only
def test_custom_function():
    res = load("custom_function").main([])
    assert res["line"] == {"same_as_autograd": True, "gradcheck": True, "gradgradcheck": True}
    assert res["sort"] == {"indices_requires_grad": False, "grad_ok": True, "gradcheck": True}
    assert res["cube"]["grad"] == [3.0, 12.0, 27.0]
    assert res["cube"]["gradcheck"] is True
    assert "once_differentiable" in res["cube"]["second_order_error"]


# ------------------------------------------------------------------------------ REINFORCE
@cpu_only
def test_reinforce_return_rises():
    res = load("reinforce").main(["--updates", "20"])
    assert res["first"] < 0.0
    assert res["last"] > res["first"] + 0.8
    again = load("reinforce").main(["--updates", "3"])
    assert again["returns"] == res["returns"][:3]   # seeded: deterministic


# ------------------------------------------------------------------------------ char-RNN
@cpu_only
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_char_rnn_loss_falls(cell):
    res = load("char_rnn").main(["--cell", cell, "--steps", "30", "--seq-len", "12",
                                 "--hidden-size", "48", "--lr", "1e-2", "--sample-length", "30",
                                 "--log-interval", "20"])
    assert res["last"] < res["first"] - 0.5, (res["first"], res["last"])
    assert len(res["sample"]) == len("The ") + 30


# ------------------------------------------------------------------------------ --device cuda
@pytest.mark.cuda_only(reason="the examples' --device cuda path")
def test_examples_with_device_cuda(tmp_path, device):
    """Each example with --device cuda (on the CuPy stand-in in CI, or a real GPU): the model on
    the device, the data moved there batch by batch, results read back only where printed."""
    tinynn.set_default_device("cpu")  # as for a user: factories default to the CPU (restored after)
    if os.path.isfile(os.path.join(MNIST_DIR, "train-images-idx3-ubyte.gz")):
        res = load("mnist").main(["--data", MNIST_DIR, "--device", device, "--epochs", "1",
                                  "--limit", "8", "--test-batch-size", "100", "--quiet",
                                  "--save", str(tmp_path / "m.ckpt")])
        assert res["test_accuracy"] > 0.3
        ckpt = tinynn.load(res["checkpoint"], map_location="cpu")
        assert ckpt["model"]["fc1.weight"].device.type == "cpu"
    res = load("linear_regression").main(["--device", device, "--epochs", "10"])
    assert abs(res["explicit"]["weight"] - 2.0) < 0.1
    res = load("custom_function").main(["--device", device])
    assert res["line"]["gradcheck"] and res["sort"]["grad_ok"] and res["cube"]["gradcheck"]
    res = load("reinforce").main(["--device", device, "--updates", "3"])
    assert len(res["returns"]) == 3
    res = load("char_rnn").main(["--device", device, "--steps", "3", "--seq-len", "8",
                                 "--hidden-size", "16", "--sample-length", "5"])
    assert len(res["sample"]) == len("The ") + 5
