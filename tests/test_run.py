"""tinynn.run (the drop-in runner), torch.accelerator / torch.backends / torch.random shims,
tinynn.vision_utils, and the PyTorch-style scripts under tests/scripts run through the runner.

The scripts are small programs written for these tests in the style of pytorch/examples
(mnist/main.py, regression/main.py, time_sequence_prediction, word_language_model); the official
scripts themselves are run by the manual command in docs/run.md.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinynn
import tinynn.accelerator
import tinynn.backends
import tinynn.random
import tinynn.vision_utils
from tinynn import backend
from tinynn import run as runner

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "scripts")
ROOT = os.path.dirname(HERE)
MNIST_DIR = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "mnist"))
MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
HAVE_MNIST = all(os.path.exists(os.path.join(MNIST_DIR, f)) for f in MNIST_FILES)
NEED_MNIST = pytest.mark.skipif(not HAVE_MNIST, reason=f"the MNIST files are not in {MNIST_DIR}")


def _run(capsys, script, *args):
    """Run a script through tinynn.run.main; (exit status, stdout, stderr)."""
    code = runner.main([script, *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def _lines(out, key):
    return [line.split()[1:] for line in out.splitlines() if line.startswith(key + " ")]


# ============================================================================ the import hook
def test_torch_names_resolve_to_tinynn(tmp_path, capsys):
    script = _write(tmp_path, "names.py", """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        import torch.optim.lr_scheduler
        import torch.utils.data
        import torch.distributions
        import torch.autograd
        import torch.nn.init
        import torch.nn.utils
        import torch.backends.cudnn as cudnn
        from torch import nn as nn2, optim as optim2
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import DataLoader, TensorDataset
        from torch.distributions import Normal
        from torch.autograd import Variable, grad
        from torchvision import datasets, transforms
        import torchvision
        import torchvision.transforms as T
        from torchvision.utils import save_image, make_grid
        import tinynn
        checks = {
            "nn": nn is nn2 and nn.Linear is tinynn.nn.Linear,
            "F": F.relu is tinynn.nn.functional.relu,
            "optim": optim is optim2 and optim.Adadelta is tinynn.optim.Adadelta,
            "sched": StepLR is tinynn.optim.lr_scheduler.StepLR,
            "data": DataLoader is tinynn.utils.data.DataLoader,
            "dist": Normal is tinynn.distributions.Normal,
            "grad": grad is tinynn.autograd.grad,
            "init": torch.nn.init.xavier_uniform_ is tinynn.nn.init.xavier_uniform_,
            "clip": torch.nn.utils.clip_grad_norm_ is tinynn.nn.utils.clip_grad_norm_,
            "isinstance": isinstance(torch.zeros(2), torch.Tensor),
            "subclass": issubclass(nn.Module, torch.nn.Module),
            "mnist": datasets.MNIST is tinynn.datasets.MNIST,
            "transforms": T.ToTensor is tinynn.transforms.ToTensor is transforms.ToTensor,
            "tv": torchvision.datasets.MNIST is tinynn.datasets.MNIST,
            "utils": save_image is tinynn.vision_utils.save_image,
            "cudnn": cudnn.benchmark is False,
            "nn.modules": torch.nn.modules.activation.MultiheadAttention is nn.MultiheadAttention,
            "nn.modules2": torch.nn.modules.transformer.TransformerEncoder is nn.TransformerEncoder,
            "ndql": torch.nn.modules.linear.NonDynamicallyQuantizableLinear is nn.Linear,
            "version": torch.__version__ == tinynn.__version__,
            "main": __name__ == "__main__",
        }
        cudnn.benchmark = True
        checks["set"] = tinynn.backends.cudnn.benchmark is True
        cudnn.benchmark = False
        bad = [k for k, v in checks.items() if not v]
        print("BAD", bad)
    """)
    code, out, err = _run(capsys, script)
    assert code == 0, err
    assert "BAD []" in out


def test_missing_attribute_names_it(tmp_path, capsys):
    with runner.hooked():
        import torch
        with pytest.raises(AttributeError, match=r"^tinynn does not implement torch\.fft\.rfft$"):
            torch.fft.rfft
        with pytest.raises(AttributeError, match=r"tinynn does not implement torch\.no_such_fn"):
            torch.no_such_fn
        with pytest.raises(AttributeError, match=r"tinynn does not implement torch\.nn\.NoSuchLayer"):
            torch.nn.NoSuchLayer
        with pytest.raises(ModuleNotFoundError, match=r"tinynn does not implement torch\.nosuchmod"):
            import torch.nosuchmod  # noqa: F401
        with pytest.raises(AttributeError, match=r"torchvision\.models\.resnet18"):
            import torchvision.models
            torchvision.models.resnet18()
        with pytest.raises(NotImplementedError, match="tinynn does not implement torch.jit"):
            torch.jit()
        assert not hasattr(torch, "no_such_fn")
    script = _write(tmp_path, "fft.py", """
        import torch
        from torch.fft import rfft
    """)
    code, out, err = _run(capsys, script)
    assert code == 1
    assert "ImportError: cannot import name 'rfft' from 'torch.fft'" in err
    assert err.rstrip().endswith("tinynn.run: tinynn does not implement torch.fft.rfft")
    assert "tinynn/run.py" not in err  # the runner's own frames are not shown


def test_runner_extras_for_process_level_calls():
    with runner.hooked():
        import torch
        m = torch.nn.Linear(2, 2)
        assert torch.compile(m) is m
        assert torch.compile(mode="max-autotune")(len) is len
        old = torch.get_num_threads()
        torch.set_num_threads(1)
        assert torch.get_num_threads() == 1
        torch.set_num_threads(old)
        torch.set_num_interop_threads(2)
        assert torch.get_num_interop_threads() == 2
        torch.use_deterministic_algorithms(True)
        assert torch.are_deterministic_algorithms_enabled()
        torch.use_deterministic_algorithms(False)
        torch.set_float32_matmul_precision("high")
        assert torch.get_float32_matmul_precision() == "high"
        torch.set_float32_matmul_precision("highest")
        with pytest.raises(RuntimeError):
            torch.set_float32_matmul_precision("fastest")
        # values from PyTorch 2.13
        fi = torch.finfo(torch.float32)
        assert (fi.bits, fi.eps, fi.max, fi.tiny) == (32, 1.1920928955078125e-07, 3.4028234663852886e+38,
                                                      1.1754943508222875e-38)
        assert torch.finfo(torch.float16).eps == 0.0009765625
        assert torch.finfo().bits == 32  # the default dtype
        ii = torch.iinfo(torch.int64)
        assert (ii.bits, ii.min, ii.max) == (64, -9223372036854775808, 9223372036854775807)
        assert (torch.iinfo(torch.uint8).min, torch.iinfo(torch.uint8).max) == (0, 255)
        with pytest.raises(TypeError, match="floating point"):
            torch.finfo(torch.int32)
        with pytest.raises(TypeError, match="integer"):
            torch.iinfo(torch.float32)
        assert torch.typename(torch.zeros(1, device="cpu")) == "torch.FloatTensor"
        assert torch.xpu.is_available() is False and torch.mps.device_count() == 0
        torch.xpu.manual_seed(0)
        import torch.mtia
        assert torch.mtia.is_available() is False
        with pytest.raises(AttributeError, match=r"tinynn does not implement torch\.xpu\.current_device"):
            torch.xpu.current_device()
        assert "compile" in dir(torch)
    assert not hasattr(tinynn, "compile") or tinynn.compile is not None  # nothing leaked into tinynn


# ======================================================================= main(): argv, exits
def test_argv_name_and_exit_codes(tmp_path, capsys):
    script = _write(tmp_path, "exit.py", """
        import sys
        import torch
        print("ARGV", *sys.argv)
        print("NAME", __name__)
        if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
            sys.exit(int(sys.argv[1]) if sys.argv[1].isdigit() else sys.argv[1])
    """)
    before = list(sys.argv)
    code, out, _ = _run(capsys, script, "--epochs", "1")
    assert code == 0
    assert f"ARGV {script} --epochs 1" in out and "NAME __main__" in out
    assert sys.argv == before
    assert _run(capsys, script, "7")[0] == 7
    code, _, err = _run(capsys, script, "boom")
    assert code == 1 and "boom" in err
    assert runner.main([str(tmp_path / "nope.py")]) == 2
    assert "can't open file" in capsys.readouterr().err
    assert runner.main([]) == 2
    assert runner.main(["--help"]) == 0
    assert "python -m tinynn.run SCRIPT" in capsys.readouterr().out


def test_uncaught_exception_and_keyboard_interrupt(tmp_path, capsys):
    script = _write(tmp_path, "err.py", """
        import torch
        torch.zeros(2, 3) @ torch.zeros(4, 5)
    """)
    code, _, err = _run(capsys, script)
    assert code == 1
    assert "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)" in err
    script = _write(tmp_path, "kbd.py", "raise KeyboardInterrupt\n")
    assert _run(capsys, script)[0] == 130


def test_script_dir_on_path_and_local_modules_forgotten(tmp_path, capsys):
    (tmp_path / "helper_mod_for_run.py").write_text("import torch\nVALUE = torch.ones(2).sum().item()\n")
    script = _write(tmp_path, "uses_helper.py", """
        import helper_mod_for_run
        print("VALUE", helper_mod_for_run.VALUE)
    """)
    for _ in range(2):  # repeated runs work the same
        code, out, err = _run(capsys, script)
        assert code == 0, err
        assert "VALUE 2.0" in out
        assert "helper_mod_for_run" not in sys.modules
        assert not runner.installed()
        assert not any(isinstance(m, (runner._Alias, runner._Missing)) for m in sys.modules.values())


def test_install_uninstall_restores_previous_state():
    had = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    runner.install()
    runner.install()  # idempotent
    try:
        import torch
        assert torch.Tensor is tinynn.Tensor
    finally:
        runner.uninstall()
    assert not runner.installed()
    now = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    assert now == had


def test_real_torch_is_back_after_a_run(tmp_path, capsys):
    real = pytest.importorskip("torch", reason="needs a real PyTorch install for the side-by-side check")
    script = _write(tmp_path, "which.py", """
        import torch, tinynn
        print("TINYNN", torch.Tensor is tinynn.Tensor)
    """)
    code, out, err = _run(capsys, script)
    assert code == 0, err
    assert "TINYNN True" in out
    import torch
    assert torch is real and torch.Tensor is not tinynn.Tensor
    assert sys.modules["torch.nn"].Linear is not tinynn.nn.Linear


def test_command_line(tmp_path):
    script = _write(tmp_path, "cli.py", """
        import sys, torch
        print(torch.tensor([1.5, 2.5]).sum().item(), sys.argv[1:])
        sys.exit(4)
    """)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-m", "tinynn.run", script, "a", "-b"], capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 4, p.stderr
    assert p.stdout.strip() == "4.0 ['a', '-b']"


def test_run_module_flag(tmp_path, capsys, monkeypatch):
    (tmp_path / "runmod_pkg_for_run.py").write_text(
        "import sys, torch\nprint('MOD', __name__, torch.ones(1).item(), sys.argv[1:])\n")
    monkeypatch.chdir(tmp_path)
    code = runner.main(["-m", "runmod_pkg_for_run", "x"])
    out = capsys.readouterr().out
    assert code == 0
    assert "MOD __main__ 1.0 ['x']" in out
    assert runner.main(["-m"]) == 2


# ================================================================= accelerator / backends / random
@pytest.fixture
def no_cuda(monkeypatch):
    """A machine without CuPy: the real lookup, with `import cupy` failing."""
    prev = (backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error)
    monkeypatch.setitem(sys.modules, "cupy", None)
    backend._set_cuda_module(None)
    yield
    backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error = prev
    backend._ARRAY_TYPES.clear()


@pytest.fixture
def standin():
    import fakecupy
    prev = (backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error)
    fakecupy.install()
    fakecupy.cuda.Device(0).use()
    yield fakecupy
    fakecupy.cuda.Device(0).use()
    backend._cuda_xp, backend._cupyx, backend._cuda_checked, backend._cuda_error = prev
    backend._ARRAY_TYPES.clear()


def test_accelerator_cpu_only(no_cuda):
    acc = tinynn.accelerator
    assert acc.is_available() is False
    assert acc.current_accelerator() is None
    assert acc.current_accelerator(check_available=True) is None
    assert acc.device_count() == 0
    msg = "Cannot access accelerator device when none is available."
    for call in (acc.current_device_index, acc.synchronize, lambda: acc.set_device_index(0),
                 acc.memory_allocated, lambda: acc.device_index(0).__enter__()):
        with pytest.raises(RuntimeError, match=msg):
            call()
    with acc.device_index(None):  # None: a no-op, as in PyTorch
        pass
    acc.empty_cache()  # no-op


def test_accelerator_with_a_gpu(standin):
    acc = tinynn.accelerator
    assert acc.is_available() is True
    dev = acc.current_accelerator()
    assert dev == tinynn.device("cuda") and dev.type == "cuda" and dev.index is None
    assert acc.device_count() == tinynn.cuda.device_count() >= 1
    assert acc.current_device_index() == 0
    acc.set_device_index(0)
    acc.synchronize()
    acc.synchronize("cuda:0")
    with acc.device_index(0):
        assert acc.current_device_index() == 0
    with pytest.raises(ValueError):
        acc.set_device_index("cpu")
    x = tinynn.ones(3, device=acc.current_accelerator())
    assert x.device.type == "cuda"
    assert acc.memory_allocated() >= 0 and isinstance(acc.get_memory_info(), tuple)


def test_backends_flags():
    b = tinynn.backends
    assert b.mps.is_available() is False and b.mps.is_built() is False
    # PyTorch 2.13's defaults
    assert (b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic, b.cudnn.allow_tf32) == \
        (True, False, False, True)
    assert b.cudnn.is_available() is False and b.cudnn.version() is None
    assert b.cuda.matmul.allow_tf32 is False
    with b.cudnn.flags(enabled=False, benchmark=True, deterministic=True):
        assert (b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic) == (False, True, True)
    assert (b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic) == (True, False, False)
    assert b.cuda.flash_sdp_enabled() is True
    with b.cuda.sdp_kernel(enable_flash=False):
        assert b.cuda.flash_sdp_enabled() is False
    assert b.cuda.flash_sdp_enabled() is True
    assert isinstance(b.cuda.is_built(), bool)
    assert b.mkldnn.is_available() is False and b.openmp.is_available() is False
    import tinynn.backends.cudnn as cudnn
    assert cudnn is b.cudnn


def test_random_module(device):
    r = tinynn.random
    r.manual_seed(3)
    a = tinynn.rand(4, device=device)
    r.manual_seed(3)
    with r.fork_rng():  # restores the CPU generator and those of the CUDA devices
        tinynn.rand(10, device=device)
    assert tinynn.equal(tinynn.rand(4, device=device), a)
    r.manual_seed(3)
    state = r.get_rng_state()
    tinynn.rand(4, device="cpu")
    r.set_rng_state(state)
    assert tinynn.equal(tinynn.rand(4, device="cpu"),
                        tinynn.rand(4, device="cpu", generator=tinynn.Generator().manual_seed(3)))
    assert r.initial_seed() == 3
    assert r.default_generator is tinynn.default_generator


# ============================================================== API the example scripts lean on
def test_format_zero_dim_tensor():
    assert "{:+.2f}".format(tinynn.tensor(1.23456)) == "+1.23"
    assert "{:+.2f} x^{}".format(tinynn.tensor([-5.5, 2.0])[0], 1) == "-5.50 x^1"
    assert f"{tinynn.tensor(3):d}" == "3"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        "{:+.2f}".format(tinynn.tensor([1.0]))


def test_range_as_an_index(device):
    # mnist_forward_forward writes x_[range(x.shape[0]), y] = x.max(); PyTorch takes a range as a list
    x = tinynn.zeros(3, 4, device=device)
    x[range(3), tinynn.tensor([0, 1, 3], device=device)] = 5.0
    assert x.cpu().tolist() == [[5.0, 0.0, 0.0, 0.0], [0.0, 5.0, 0.0, 0.0], [0.0, 0.0, 0.0, 5.0]]
    assert x[range(1, 3)].shape == (2, 4)


def test_save_load_tensors_state_dicts_numpy(tmp_path):
    arr = np.sin(np.arange(12.0)).reshape(3, 4)
    with open(tmp_path / "a.pt", "wb") as f:
        tinynn.save(arr, f)
    back = tinynn.load(str(tmp_path / "a.pt"), weights_only=False)
    assert isinstance(back, np.ndarray) and back.dtype == np.float64
    np.testing.assert_array_equal(back, arr)
    m = tinynn.nn.Linear(3, 2)
    buf = io.BytesIO()
    tinynn.save({"model": m.state_dict(), "epoch": 3, "t": tinynn.arange(3)}, buf)
    buf.seek(0)
    ck = tinynn.load(buf)
    assert ck["epoch"] == 3 and tinynn.equal(ck["t"], tinynn.arange(3))
    assert list(ck["model"]) == ["weight", "bias"]
    m2 = tinynn.nn.Linear(3, 2)
    m2.load_state_dict(ck["model"])
    assert tinynn.equal(m2.weight, m.weight)
    with tinynn.serialization.safe_globals([tinynn.nn.Linear]):
        pass
    tinynn.serialization.add_safe_globals([tinynn.nn.Linear])


def test_lbfgs_with_closure_matches_pytorch():
    def rosen(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    # PyTorch 2.13: losses returned by three step(closure) calls, final point, closure calls
    expected = {None: ([12.5, 3.1754964895, 0.7251948916], [0.7139295488688885, 0.5121570081584955], 60),
                "strong_wolfe": ([12.5, 1.3079683883, 8.53e-08], [0.9999834179208867, 0.9999669023996953],
                                 52)}
    for ls, (losses, point, ncalls) in expected.items():
        p = tinynn.tensor([-1.5, 2.0], dtype=tinynn.float64, requires_grad=True)
        opt = tinynn.optim.LBFGS([p], lr=1, max_iter=20, history_size=10, line_search_fn=ls)
        calls = [0]

        def closure():
            calls[0] += 1
            opt.zero_grad()
            loss = rosen(p)
            loss.backward()
            return loss

        got = [opt.step(closure).item() for _ in range(3)]
        np.testing.assert_allclose(got, losses, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(p.detach().tolist(), point, rtol=1e-5)
        assert calls[0] == ncalls


def test_adadelta_with_steplr_matches_pytorch(device):
    w = tinynn.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, device=device)
    opt = tinynn.optim.Adadelta([w], lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.01)
    sched = tinynn.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    for _ in range(3):
        opt.zero_grad()
        ((w ** 3).sum() + w.sum()).backward()
        opt.step()
        sched.step()
    np.testing.assert_allclose(w.detach().cpu().flatten().tolist(),
                               [0.99296141, -2.00705838, 0.49296317, 2.99295425], atol=1e-6)
    assert sched.get_last_lr() == pytest.approx([0.343])


def test_dataloader_accepts_worker_and_pinning_keywords():
    ds = tinynn.utils.data.TensorDataset(tinynn.arange(10.0), tinynn.arange(10))
    plain = [b[0].tolist() for b in tinynn.utils.data.DataLoader(ds, batch_size=4)]
    dl = tinynn.utils.data.DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True,
                                      persistent_workers=True, prefetch_factor=2)
    for _ in range(2):  # persistent workers: two epochs
        assert [b[0].tolist() for b in dl] == plain


@NEED_MNIST
@pytest.mark.cpu_only(reason="reads the IDX files on the host and checks host arrays")
@pytest.mark.parametrize("layout", ["torchvision", "flat"])
def test_mnist_finds_files_in_both_layouts(tmp_path, layout):
    where = tmp_path / "MNIST" / "raw" if layout == "torchvision" else tmp_path
    where.mkdir(parents=True, exist_ok=True)
    for f in MNIST_FILES:
        os.symlink(os.path.join(MNIST_DIR, f), where / f)
    ds = tinynn.datasets.MNIST(str(tmp_path), train=False, download=True,
                               transform=tinynn.transforms.ToTensor())
    assert len(ds) == 10000
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and y == 7  # the first test digit is a 7


# ======================================================================= vision_utils (grids)
def test_make_grid_layout(device):
    imgs = tinynn.arange(1, 6, dtype=tinynn.float32, device=device).reshape(5, 1, 1, 1).expand(5, 1, 2, 2)
    g = tinynn.vision_utils.make_grid(imgs, nrow=3, padding=1, pad_value=0.5)
    # 2 rows of 3 tiles, each tile 2x2 plus 1 pixel of padding, one-channel -> three channels
    assert g.shape == (3, 1 + 2 * 3, 1 + 3 * 3)
    gn = g.cpu().numpy()
    assert np.all(gn[:, 1:3, 1:3] == 1) and np.all(gn[:, 1:3, 4:6] == 2) and np.all(gn[:, 4:6, 4:6] == 5)
    assert np.all(gn[:, 4:6, 7:9] == 0.5)  # the empty sixth tile is padding
    assert np.all(gn[:, 0, :] == 0.5) and np.all(gn[:, :, -1] == 0.5)
    one = tinynn.vision_utils.make_grid(imgs[:1])
    assert one.shape == (3, 2, 2)
    norm = tinynn.vision_utils.make_grid(imgs * 4 - 3, normalize=True, padding=0)
    assert float(norm.min()) == 0.0 and float(norm.max()) == 1.0
    each = tinynn.vision_utils.make_grid([imgs[0, :, :1], imgs[1, :, :1]], padding=0, normalize=True,
                                         value_range=(0.0, 4.0))
    assert each.shape == (3, 1, 4) and each.cpu().numpy()[0].tolist() == [[0.25, 0.25, 0.5, 0.5]]


def test_save_image_writes_a_png(tmp_path):
    pil = pytest.importorskip("PIL.Image", reason="save_image needs Pillow")
    x = tinynn.rand(4, 1, 5, 5)
    path = tmp_path / "grid.png"
    tinynn.vision_utils.save_image(x, str(path), nrow=2)
    with pil.open(path) as im:
        assert im.size == (2 + 2 * 7, 2 + 2 * 7) and im.mode == "RGB"
        px = np.asarray(im)
    expect = np.clip(x[0, 0].cpu().numpy() * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(px[2:7, 2:7, 0], expect)


# ========================================================== PyTorch-style scripts through main
@pytest.mark.cpu_only(reason="the script picks its device itself (cpu, or the accelerator when "
                             "available) and seeds the CPU generator")
def test_regression_script_converges(capsys):
    code, out, err = _run(capsys, os.path.join(SCRIPTS, "regression.py"))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Loss: ") and float(lines[0].split()[1]) < 1e-3
    learned = lines[1].split("\t")[1]
    actual = lines[2].split("\t")[1]
    assert learned.startswith("y = ") and lines[1].startswith("==> Learned function:")

    def coeffs(s):
        return [float(t) for t in s.replace("y = ", "").split() if not t.startswith("x^")]

    np.testing.assert_allclose(coeffs(learned), coeffs(actual), atol=0.15)


@NEED_MNIST
@pytest.mark.cpu_only(reason="reads MNIST on the host; the script picks its device itself")
def test_mnist_cnn_script(tmp_path, capsys):
    root = tmp_path / "data"
    (root / "MNIST" / "raw").mkdir(parents=True)
    for f in MNIST_FILES:
        os.symlink(os.path.join(MNIST_DIR, f), root / "MNIST" / "raw" / f)
    code, out, err = _run(capsys, os.path.join(SCRIPTS, "mnist_cnn.py"), "--data", root,
                          "--max-batches", 20, "--test-size", 500, "--save-model", tmp_path / "cnn.pt")
    assert code == 0, err
    assert "Using device: cpu" in out
    assert "Train Epoch: 1 [0/60000 (0%)]" in out and "Train Epoch: 1 [640/60000 (1%)]" in out
    correct, total = map(int, _lines(out, "ACCURACY")[0])
    assert total == 500 and correct / total > 0.6  # 20 batches of Adadelta lr=1.0
    assert "LR 0.7" in out  # StepLR stepped once
    assert "SAVED cnn.pt ['conv1.bias', 'conv1.weight']" in out


@pytest.mark.cpu_only(reason="the script builds its tensors on the default CPU generator")
def test_lstmcell_lbfgs_script(capsys):
    code, out, err = _run(capsys, os.path.join(SCRIPTS, "sine_lbfgs.py"), "--steps", 2, "--length", 30)
    assert code == 0, err
    first = float(_lines(out, "FIRST")[0][0])
    last = float(_lines(out, "LAST")[0][0])
    assert last < first / 4
    assert int(_lines(out, "EVALS")[0][0]) > 2  # LBFGS called the closure more than once a step


@pytest.mark.cpu_only(reason="the script builds its tensors on the default CPU device")
@pytest.mark.parametrize("model", ["Transformer", "LSTM", "GRUCell", "LSTMCell", "RNNCell"])
def test_word_lm_script(capsys, model):
    code, out, err = _run(capsys, os.path.join(SCRIPTS, "word_lm.py"), "--model", model,
                          "--steps", 25)
    assert code == 0, err
    first = float(_lines(out, "FIRST")[0][0])
    last = float(_lines(out, "LAST")[0][0])
    assert first > 2.0 and last < first * 0.8
