"""tinynn.backends: the `torch.backends` flags and availability checks scripts touch.

tinynn runs on NumPy (CPU) and CuPy (CUDA); it uses none of cuDNN, MPS, MKL-DNN or OpenMP
itself, and Intel MKL only for CPU matrix products when the `mkl` extra is installed
(`backends.mkl.is_available()` says whether it is). So `backends.mps.is_available()` is False (as on any non-Apple machine),
`backends.cudnn.is_available()` is False, and the tuning flags (`cudnn.benchmark`,
`cudnn.deterministic`, `cuda.matmul.allow_tf32`, ...) keep PyTorch's defaults, can be set and read
back, and change nothing: tinynn's kernels are deterministic and compute float32 in float32.
`backends.cuda.is_built()` says whether CuPy is installed.

    import torch.backends.cudnn as cudnn   # under python -m tinynn.run
    cudnn.benchmark = True

The submodules (`tinynn.backends.cudnn`, `.mps`, `.cuda`, ...) are registered in `sys.modules`, so
`import tinynn.backends.cudnn` works as for PyTorch's package.
"""
from __future__ import annotations

import contextlib
import sys
import types

from . import _blas

__all__ = ["cpu", "cuda", "cudnn", "mps", "mkl", "mkldnn", "openmp", "opt_einsum", "mha", "nnpack",
           "quantized", "flags_frozen", "disable_global_flags"]

__path__: list = []  # a package for the import system: submodules live in sys.modules

_flags_frozen = False


def flags_frozen() -> bool:
    return _flags_frozen


def disable_global_flags() -> None:
    global _flags_frozen
    _flags_frozen = True


def _submodule(name: str, doc: str) -> types.ModuleType:
    mod = types.ModuleType(f"{__name__}.{name}", doc)
    sys.modules[mod.__name__] = mod
    globals()[name] = mod
    return mod


def _false(*args, **kwargs) -> bool:
    return False


# ------------------------------------------------------------------------------------------ mps
mps = _submodule("mps", "Apple's Metal backend: never available in tinynn.")
mps.is_available = _false
mps.is_built = _false
mps.is_macos_or_newer = _false
mps.is_macos13_or_newer = _false

# ---------------------------------------------------------------------------------------- cudnn
cudnn = _submodule("cudnn", "cuDNN flags: accepted and kept, unused (tinynn does not call cuDNN).")
cudnn.enabled = True
cudnn.benchmark = False
cudnn.benchmark_limit = 10
cudnn.deterministic = False
cudnn.allow_tf32 = True
cudnn.is_available = _false
cudnn.is_acceptable = _false
cudnn.version = lambda: None


@contextlib.contextmanager
def _cudnn_flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
                 allow_tf32=True):
    """Set the cuDNN flags for a block, then restore them (torch.backends.cudnn.flags)."""
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    old = {n: getattr(cudnn, n) for n in names}
    for n, v in zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)):
        if v is not None:
            setattr(cudnn, n, v)
    try:
        yield
    finally:
        for n, v in old.items():
            setattr(cudnn, n, v)


cudnn.flags = _cudnn_flags
cudnn.set_flags = lambda _enabled=None, _benchmark=None, _benchmark_limit=None, \
    _deterministic=None, _allow_tf32=None: None

# ----------------------------------------------------------------------------------------- cuda
cuda = _submodule("cuda", "CUDA flags: matmul precision switches and attention-kernel choices "
                          "(kept, unused: CuPy computes float32 matmuls in float32).")


def _cuda_is_built() -> bool:
    """True when CuPy is installed (tinynn's CUDA "build"), whether or not a GPU is present."""
    from .backend import cuda_is_built  # noqa: PLC0415 - only the backend touches CuPy
    return cuda_is_built()


cuda.is_built = _cuda_is_built


class _CuBLASModule:
    """torch.backends.cuda.matmul: allow_tf32 and the reduced-precision reduction switches."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True
        self.allow_fp16_accumulation = False

    def __repr__(self):
        return f"<torch.backends.cuda.matmul allow_tf32={self.allow_tf32}>"


cuda.matmul = _CuBLASModule()
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}
for _k in _sdp:
    setattr(cuda, f"enable_{_k}_sdp", (lambda k: lambda enabled: _sdp.__setitem__(k, bool(enabled)))(_k))
    setattr(cuda, f"{_k}_sdp_enabled", (lambda k: lambda: _sdp[k])(_k))
cuda.is_flash_attention_available = _false


@contextlib.contextmanager
def _sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    old = dict(_sdp)
    _sdp.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient,
                cudnn=enable_cudnn)
    try:
        yield
    finally:
        _sdp.update(old)


cuda.sdp_kernel = _sdp_kernel
cuda.preferred_linalg_library = lambda backend=None: "default"
cuda.preferred_blas_library = lambda backend=None: "cublas"

# ------------------------------------------------------------------ CPU-side libraries tinynn skips
mkl = _submodule("mkl", "Intel MKL: tinynn's CPU matrix products use it when the `mkl` extra is "
                        "installed (tinynn/_blas.py), NumPy's own BLAS otherwise.")
mkl.is_available = lambda: _blas.blas_name() == "mkl"
mkldnn = _submodule("mkldnn", "oneDNN: not used by tinynn.")
mkldnn.is_available = _false
mkldnn.enabled = True
openmp = _submodule("openmp", "OpenMP: not used by tinynn.")
openmp.is_available = _false
nnpack = _submodule("nnpack", "NNPACK: not used by tinynn.")
nnpack.is_available = _false
opt_einsum = _submodule("opt_einsum", "opt_einsum contraction-order search: not used by tinynn.")
opt_einsum.is_available = _false
opt_einsum.enabled = False
opt_einsum.strategy = None
mha = _submodule("mha", "Fast-path switch of nn.MultiheadAttention (kept, unused).")
_mha_fastpath = [True]
mha.get_fastpath_enabled = lambda: _mha_fastpath[0]
mha.set_fastpath_enabled = lambda value: _mha_fastpath.__setitem__(0, bool(value))
quantized = _submodule("quantized", "Quantized engines: none in tinynn.")
quantized.engine = "none"
quantized.supported_engines = ["none"]
cpu = _submodule("cpu", "The CPU backend.")
cpu.get_cpu_capability = lambda: "DEFAULT"
