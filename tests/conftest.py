"""Test configuration. The `device` fixture gives the device tests should create tensors on.

The suite runs on one device per session, chosen by `--device` or `TINYNN_TEST_DEVICE`:

* `cpu` (default): NumPy.
* `cuda-standin`: the CuPy stand-in in `tests/fakecupy` is installed as tinynn's CUDA module and
  the default device becomes "cuda", so tensors made with `device=device` *and* factory calls
  without `device=` land on it. `.ci/run` runs the whole suite this way after the CPU run.
* `cuda`: a real GPU through CuPy (when `tinynn.cuda.is_available()`), same switch of the default.

Tests that are CPU-only by nature (the `.numpy()` memory-sharing contract, CPU random streams
checked against PyTorch's literals, host-side file formats, ...) carry
`@pytest.mark.cpu_only(reason="...")` and are skipped, with that reason, on the cuda runs.
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

_MODES = ("cpu", "cuda-standin", "cuda")
_mode = ["cpu"]

# Tests in files this conftest does not own that are CPU-only by nature, by node id prefix, with
# the reason (prefer marking the test itself with @pytest.mark.cpu_only(reason=...)).
CPU_ONLY_NODEIDS: dict[str, str] = {
    "tests/test_autograd.py::test_numpy_requires_grad_raises_and_shares_memory":
        "checks that .numpy() shares memory with the tensor, which only a CPU tensor can",
    "tests/test_autograd.py::test_repr_like_pytorch":
        "compares with PyTorch's CPU repr literals (a cuda tensor's repr adds device='cuda:0')",
    "tests/test_autograd.py::test_mark_dirty_and_non_differentiable":
        "its custom Function computes with NumPy on the host (x.numpy() inside forward)",
}


def pytest_addoption(parser):
    parser.addoption("--device", action="store", default=None, choices=_MODES,
                     help="device the suite runs on: cpu (default), cuda-standin (the CuPy stand-in "
                          "in tests/fakecupy) or cuda (a real GPU); also TINYNN_TEST_DEVICE")


def pytest_configure(config):
    config.addinivalue_line("markers", "cpu_only(reason): CPU-only by nature; skipped on the cuda runs")
    config.addinivalue_line("markers", "cuda_only(reason): needs a cuda device (real or stand-in)")
    mode = config.getoption("--device") or os.environ.get("TINYNN_TEST_DEVICE", "cpu")
    if mode not in _MODES:
        raise pytest.UsageError(f"TINYNN_TEST_DEVICE must be one of {', '.join(_MODES)}, got {mode!r}")
    _mode[0] = mode
    if mode == "cpu":
        return
    import tinynn  # noqa: PLC0415
    if mode == "cuda-standin":
        import fakecupy  # noqa: PLC0415
        fakecupy.install()
        fakecupy.quiet_floating_point_warnings()
        fakecupy.profile_sync_sites(True)
    elif not tinynn.cuda.is_available():
        raise pytest.UsageError(f"--device=cuda but tinynn.cuda.is_available() is False: "
                                f"{tinynn.cuda.unavailable_reason()}")
    tinynn.set_default_device("cuda")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """On the stand-in run: where inside tinynn the device was read back to the host (op code
    should not; the user's item()/tolist()/print are not counted)."""
    if _mode[0] != "cuda-standin":
        return
    import fakecupy  # noqa: PLC0415
    rows = fakecupy.sync_sites()
    tr = terminalreporter
    tr.section("host syncs inside tinynn on the CuPy stand-in")
    if not rows:
        tr.write_line("none")
        return
    tr.write_line(f"{sum(r[0] for r in rows)} syncs at {len(rows)} sites (kinds: scalar = float/int/bool/"
                  "item of a device array, shape = data-dependent output shape, transfer = copy to host, "
                  "upload = copy from pageable host memory, which waits for the GPU too):")
    for total, site, fn, kinds in rows[:30]:
        tr.write_line(f"  {total:6d}  {site} in {fn}()  {kinds}")


def pytest_report_header(config):
    return f"tinynn test device: {_mode[0]}"


def pytest_collection_modifyitems(config, items):
    mode = _mode[0]
    for item in items:
        if mode != "cpu":
            m = item.get_closest_marker("cpu_only")
            reason = None
            if m is not None:
                reason = m.kwargs.get("reason") or (m.args[0] if m.args else "CPU-only test")
            else:
                for prefix, why in CPU_ONLY_NODEIDS.items():
                    if item.nodeid.startswith(prefix):
                        reason = why
                        break
            if reason is not None:
                item.add_marker(pytest.mark.skip(reason=f"cpu_only on the {mode} run: {reason}"))
        elif item.get_closest_marker("cuda_only") is not None:
            m = item.get_closest_marker("cuda_only")
            why = m.kwargs.get("reason") or (m.args[0] if m.args else "needs a cuda device")
            item.add_marker(pytest.mark.skip(reason=f"cuda_only ({why}); run with --device=cuda-standin"))


def device_mode() -> str:
    """The session's device mode: 'cpu', 'cuda-standin' or 'cuda' (`from conftest import device_mode`)."""
    return _mode[0]


@pytest.fixture
def device():
    """The device tests create tensors on: 'cpu', or 'cuda' on the stand-in / GPU runs."""
    return "cpu" if _mode[0] == "cpu" else "cuda"


@pytest.fixture(autouse=True)
def _default_device_guard():
    """A test that changes the default device must not leak it into the next test."""
    yield
    if _mode[0] != "cpu" or _default_is_not_cpu():
        import tinynn  # noqa: PLC0415
        tinynn.set_default_device("cpu" if _mode[0] == "cpu" else "cuda")


def _default_is_not_cpu():
    mod = sys.modules.get("tinynn.backend")
    return mod is not None and mod._DEFAULT_DEVICE[0].type != "cpu"
