"""Run an unmodified PyTorch script on tinynn:  python -m tinynn.run SCRIPT [ARGS...]
                                              python -m tinynn.run -m MODULE [ARGS...]

An import hook resolves `torch` and its submodules (`torch.nn`, `torch.nn.functional`, `torch.optim`,
`torch.optim.lr_scheduler`, `torch.utils.data`, `torch.distributions`, `torch.autograd`, ...) to
tinynn's, and `torchvision.datasets` / `torchvision.transforms` / `torchvision.utils` to tinynn's
own `datasets` / `transforms` / `vision_utils`, so the script needs neither torch nor torchvision
installed. SCRIPT runs as `__main__` with `sys.argv = [SCRIPT, *ARGS]` and its directory first on
`sys.path`, as `python SCRIPT ARGS...` would run it; the exit status is the script's.

Every module the script sees is a thin alias of a tinynn module. An attribute tinynn lacks raises
an AttributeError that names it ("tinynn does not implement torch.fft.rfft"); PyTorch submodules
tinynn does not have (`torch.fft`, `torch.jit`, `torch.onnx`, ...) import, and using them names
the missing function. A few process-level PyTorch calls that have no tinynn counterpart are
provided by the runner (see `_TORCH_EXTRAS`): `torch.compile` returns the model or function
unchanged, `torch.set_num_interop_threads` (recorded), `use_deterministic_algorithms`,
`set_float32_matmul_precision`, `finfo` / `iinfo`, ...

From Python, `main([...])` runs a script the same way and returns its exit status (tests drive it
that way); `install()` / `uninstall()` switch the hook on and off. After `main` returns, the hook
is gone and a real PyTorch, if installed, is what `import torch` gives again.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import traceback
import types

__all__ = ["main", "install", "uninstall", "installed", "hooked"]

# torch / torchvision module names that live elsewhere in tinynn
_RENAMES = {
    "torch": "tinynn",
    "torchvision.datasets": "tinynn.datasets",
    "torchvision.transforms": "tinynn.transforms",
    "torchvision.utils": "tinynn.vision_utils",
}
_VIRTUAL = {"torchvision"}  # no tinynn module of its own: an alias of just its submodules
# PyTorch submodules tinynn may lack: they import, and using them names the missing function
_KNOWN_SUBMODULES = {"fft", "linalg", "special", "sparse", "jit", "onnx", "quantization", "ao", "amp",
                     "compiler", "export", "fx", "hub", "profiler", "masked", "nested", "func", "mps",
                     "backends", "signal", "futures", "multiprocessing", "package", "library",
                     "models", "io", "ops", "utils", "distributed", "cuda", "autograd", "nn", "optim",
                     "xpu", "mtia", "overrides", "testing", "monitor", "cpu", "rnn",
                     "tensorboard", "checkpoint", "benchmark", "cpp_extension", "mobile_optimizer",
                     "dynamo", "inductor", "quantized", "parametrizations", "parametrize",
                     "stateless", "prune", "spectral_norm", "weight_norm"}


def _finfo_iinfo():
    import numpy as np  # host-side metadata only

    import tinynn

    def _np(dtype):
        if dtype is None:
            dtype = tinynn.get_default_dtype()
        return dtype, np.dtype(dtype.np if hasattr(dtype, "np") else dtype)

    class finfo:
        """torch.finfo: machine limits of a floating dtype (bits, eps, max, min, tiny, resolution)."""

        def __init__(self, type=None):
            dt, npdt = _np(type)
            if npdt.kind != "f":
                raise TypeError(f"torch.finfo() requires a floating point input type. Use "
                                f"torch.iinfo to handle '{dt}'")
            fi = np.finfo(npdt)
            self.dtype = str(dt).replace("torch.", "")
            self.bits = int(fi.bits)
            self.eps = float(fi.eps)
            self.max = float(fi.max)
            self.min = float(fi.min)
            self.tiny = self.smallest_normal = float(fi.smallest_normal)
            self.resolution = float(fi.resolution)

        def __repr__(self):
            return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                    f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                    f"dtype={self.dtype})")

    class iinfo:
        """torch.iinfo: machine limits of an integer dtype (bits, max, min)."""

        def __init__(self, type):
            dt, npdt = _np(type)
            if npdt.kind not in "iub":
                raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo "
                                f"to handle '{dt}'")
            ii = np.iinfo(np.uint8 if npdt.kind == "b" else npdt)
            self.dtype = str(dt).replace("torch.", "")
            self.bits = int(ii.bits)
            self.max = int(ii.max)
            self.min = int(ii.min)

        def __repr__(self):
            return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"

    return finfo, iinfo


class _Flags:
    deterministic = False
    warn_only = False
    matmul_precision = "highest"


def _compile(model=None, **kwargs):
    """torch.compile: tinynn has no compiler; the model or function is returned unchanged."""
    if model is None:  # used as @torch.compile(...)
        return lambda fn: fn
    return model


def _set_num_interop_threads(n):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    _Flags.interop_threads = n  # tinynn runs no inter-op thread pool: recorded only


def _get_num_interop_threads():
    return getattr(_Flags, "interop_threads", os.cpu_count() or 1)


def _use_deterministic_algorithms(mode, *, warn_only=False):
    _Flags.deterministic, _Flags.warn_only = bool(mode), bool(warn_only)  # tinynn's ops already are


def _set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision: {precision}")
    _Flags.matmul_precision = precision


def _typename(obj):
    import tinynn
    if isinstance(obj, tinynn.Tensor):
        t = obj.type()  # tinynn spells it "tinynn.FloatTensor"; the script expects torch's name
        return "torch." + t[len("tinynn."):] if t.startswith("tinynn.") else t
    module = type(obj).__module__ or ""
    return (module + "." if module not in ("", "builtins") else "") + type(obj).__qualname__


def _extras():
    finfo, iinfo = _finfo_iinfo()
    return {
        "compile": _compile,
        "set_num_interop_threads": _set_num_interop_threads,
        "get_num_interop_threads": _get_num_interop_threads,
        "use_deterministic_algorithms": _use_deterministic_algorithms,
        "are_deterministic_algorithms_enabled": lambda: _Flags.deterministic,
        "is_deterministic_algorithms_warn_only_enabled": lambda: _Flags.warn_only,
        "set_float32_matmul_precision": _set_float32_matmul_precision,
        "get_float32_matmul_precision": lambda: _Flags.matmul_precision,
        "finfo": finfo,
        "iinfo": iinfo,
        "typename": _typename,
    }


# Process-level PyTorch calls tinynn has no counterpart for, answered by the runner (only when
# tinynn itself lacks the name): module name -> {attribute: value}, built on first use.
_TORCH_EXTRAS: dict = {}


def _extra(module_name: str, attr: str):
    if module_name == "torch":
        if not _TORCH_EXTRAS:
            _TORCH_EXTRAS.update(_extras())
        if attr in _TORCH_EXTRAS:
            return True, _TORCH_EXTRAS[attr]
    if module_name.startswith("torch.nn.modules."):
        # torch.nn.modules.activation.MultiheadAttention and friends: tinynn's nn modules live in
        # differently split files; the class is the one torch.nn exports
        import tinynn.nn
        if attr == "NonDynamicallyQuantizableLinear":
            return True, tinynn.nn.Linear  # a Linear subclass in PyTorch, for quantization only
        if hasattr(tinynn.nn, attr) and not attr.startswith("_"):
            return True, getattr(tinynn.nn, attr)
    return False, None


class _Missing(types.ModuleType):
    """A PyTorch submodule tinynn does not have: any use names what is missing."""

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        raise AttributeError(f"tinynn does not implement {self.__name__}.{attr}")

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(f"tinynn does not implement {self.__name__}")


class _AbsentDevice(_Missing):
    """`torch.xpu`, `torch.mps`, `torch.mtia`: device kinds tinynn never has. Availability checks
    answer as a PyTorch build without them does; anything else names what is missing."""

    def __init__(self, name):
        super().__init__(name)
        self.__path__ = []
        self.is_available = lambda: False
        self.device_count = lambda: 0
        self.is_initialized = lambda: False
        for fn in ("manual_seed", "manual_seed_all", "seed", "seed_all", "empty_cache"):
            setattr(self, fn, lambda *a, **k: None)  # no-ops without the device, as in PyTorch


_ABSENT_DEVICES = {"torch.xpu", "torch.mps", "torch.mtia"}


def _target(fullname: str):
    """The tinynn module name for a torch/torchvision name (None when it is not ours)."""
    if fullname in _RENAMES:
        return _RENAMES[fullname]
    for src, dst in _RENAMES.items():
        if fullname.startswith(src + "."):
            return dst + fullname[len(src):]
    return None


def _ours(fullname: str) -> bool:
    return fullname in _VIRTUAL or fullname.split(".", 1)[0] in ("torch", "torchvision")


_FORWARDED_DUNDERS = ("__version__", "__all__", "__file__")


class _Alias(types.ModuleType):
    """A torch-named module forwarding to a tinynn module (or to nothing, for torchvision)."""

    def __init__(self, name, real):
        super().__init__(name)
        object.__setattr__(self, "_real", real)
        if real is not None:
            self.__dict__["__doc__"] = real.__doc__
            for d in _FORWARDED_DUNDERS:
                if hasattr(real, d):
                    self.__dict__[d] = getattr(real, d)
        # every alias is a package: `import torch.x.y` goes through the hook whatever tinynn's
        # layout (tinynn.backends is a module whose submodules are objects, for example)
        self.__dict__["__path__"] = []

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        real = object.__getattribute__(self, "_real")
        name = object.__getattribute__(self, "__name__")
        sub = f"{name}.{attr}"
        if real is not None:
            try:
                value = getattr(real, attr)
            except AttributeError:
                pass
            else:
                if isinstance(value, types.ModuleType) and value.__name__.startswith("tinynn"):
                    if value.__name__ == _target(sub):
                        return _alias_module(sub)
                    return value  # a module that merely lives in the namespace (e.g. numpy)
                return value
            found, value = _extra(name, attr)
            if found:
                return value
        if _target(sub) is not None or name in _VIRTUAL or sub in _ABSENT_DEVICES:
            try:
                return _alias_module(sub)
            except ImportError:
                pass
        if attr in _KNOWN_SUBMODULES:
            return _missing_module(sub)
        raise AttributeError(f"tinynn does not implement {sub}")

    def __setattr__(self, attr, value):
        real = object.__getattribute__(self, "_real")
        # import machinery sets __spec__, __loader__, __package__...: those stay on the alias
        if real is not None and not (attr.startswith("__") and attr.endswith("__")):
            setattr(real, attr, value)
        else:
            super().__setattr__(attr, value)

    def __dir__(self):
        real = object.__getattribute__(self, "_real")
        names = set(dir(real)) if real is not None else set()
        if object.__getattribute__(self, "__name__") == "torch":
            names.update(_extras())
        return sorted(names)

    def __repr__(self):
        real = object.__getattribute__(self, "_real")
        name = object.__getattribute__(self, "__name__")
        target = real.__name__ if real is not None else "tinynn"
        return f"<module '{name}' (tinynn.run alias of '{target}')>"


def _alias_module(fullname: str):
    """The alias module for `fullname`, created (and registered in sys.modules) on first use."""
    mod = sys.modules.get(fullname)
    if isinstance(mod, (_Alias, _Missing)):
        return mod
    if fullname in _ABSENT_DEVICES:
        mod = sys.modules[fullname] = _AbsentDevice(fullname)
        return mod
    if fullname in _VIRTUAL:
        alias = _Alias(fullname, None)
    else:
        target = _target(fullname)
        if target is None:  # torchvision.models, torchvision.io, ...
            if fullname.rsplit(".", 1)[-1] in _KNOWN_SUBMODULES:
                return _missing_module(fullname)
            raise ModuleNotFoundError(f"tinynn does not implement {fullname}", name=fullname)
        try:
            real = importlib.import_module(target)
        except ModuleNotFoundError as e:
            if e.name and target.startswith(e.name):
                if fullname.rsplit(".", 1)[-1] in _KNOWN_SUBMODULES:
                    return _missing_module(fullname)
                raise ModuleNotFoundError(f"tinynn does not implement {fullname}",
                                          name=fullname) from None
            raise
        alias = _Alias(fullname, real)
    sys.modules[fullname] = alias
    return alias


def _missing_module(fullname: str):
    mod = sys.modules.get(fullname)
    if not isinstance(mod, _Missing):
        mod = sys.modules[fullname] = _Missing(fullname)
        mod.__path__ = []
    return mod


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return _alias_module(spec.name)

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Resolves `torch...` and `torchvision...` imports to tinynn aliases."""

    def find_spec(self, fullname, path=None, target=None):
        if _ours(fullname):
            if fullname not in _VIRTUAL and _target(fullname) is None \
                    and fullname.rsplit(".", 1)[-1] not in _KNOWN_SUBMODULES:
                raise ModuleNotFoundError(f"tinynn does not implement {fullname}", name=fullname)
            return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)
        return None


_finder = _Finder()
_saved: dict = {}


def _is_torch_name(name: str) -> bool:
    return name in ("torch", "torchvision") or name.startswith(("torch.", "torchvision."))


def install() -> None:
    """Make `import torch` (and torchvision's datasets/transforms/utils) resolve to tinynn.

    Real torch/torchvision modules already imported are set aside and put back by uninstall()."""
    if _finder in sys.meta_path:
        return
    for name in list(sys.modules):
        if _is_torch_name(name):
            _saved[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Remove the hook and the aliases, restoring any real torch modules that were loaded."""
    while _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if isinstance(sys.modules[name], (_Alias, _Missing)) or \
                (_is_torch_name(name) and name not in _saved):
            del sys.modules[name]
    sys.modules.update(_saved)
    _saved.clear()


def installed() -> bool:
    return _finder in sys.meta_path


@contextlib.contextmanager
def hooked():
    """`with tinynn.run.hooked(): import torch` gives tinynn inside the block only."""
    was = installed()
    install()
    try:
        yield
    finally:
        if not was:
            uninstall()


def _uses_aliases(mod) -> bool:
    d = getattr(mod, "__dict__", None)
    if not isinstance(d, dict):
        return False
    try:
        return any(isinstance(v, (_Alias, _Missing)) for v in list(d.values()))
    except Exception:  # a module with an exotic __dict__
        return False


def _forget_script_modules(before: set, script_dir: str | None) -> None:
    """Drop modules the run imported that belong to it: those in the script's folder and those
    holding a torch alias (so a later plain `import` re-imports them against real torch)."""
    installed_roots = tuple({os.path.abspath(p) + os.sep for p in (sys.prefix, sys.base_prefix)})
    for name in list(sys.modules):
        if name in before or name.startswith("tinynn"):
            continue
        mod = sys.modules.get(name)
        path = os.path.abspath(getattr(mod, "__file__", None) or "/")
        # never an installed package or a compiled module (those cannot be imported twice)
        ours = bool(script_dir) and path.startswith(script_dir + os.sep) and path.endswith(".py") \
            and not path.startswith(installed_roots) \
            and not any(p in ("site-packages", "dist-packages") for p in path.split(os.sep))
        if ours or (_uses_aliases(mod) and path.endswith(".py")):
            del sys.modules[name]


def _missing_hint(exc: BaseException) -> str | None:
    """A one-line explanation for an exception caused by something tinynn lacks."""
    seen = set()
    e = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        msg = str(e)
        if "tinynn does not implement" in msg:
            return msg[msg.index("tinynn does not implement"):].split("\n")[0]
        if isinstance(e, ImportError) and e.name and _is_torch_name(e.name):
            mod = sys.modules.get(e.name)
            what = msg.split("'")[1] if msg.startswith("cannot import name '") else None
            if what is not None:
                return f"tinynn does not implement {e.name}.{what}"
            if mod is None or isinstance(mod, _Missing):
                return f"tinynn does not implement {e.name}"
        e = e.__cause__ or e.__context__
    return None


def _print_exception(exc: BaseException) -> None:
    """Print the traceback as Python would, without the runner's own frames."""
    tb = exc.__traceback__
    while tb is not None and (tb.tb_frame.f_code.co_filename == __file__
                              or tb.tb_frame.f_code.co_filename.startswith("<frozen runpy")
                              or tb.tb_frame.f_globals.get("__name__") == "runpy"):
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb if tb is not None else exc.__traceback__,
                              file=sys.stderr)
    hint = _missing_hint(exc)
    if hint:
        print(f"tinynn.run: {hint}", file=sys.stderr)


def _usage() -> str:
    return __doc__.strip()


def main(argv=None) -> int:
    """`python -m tinynn.run SCRIPT [ARGS...]`: run SCRIPT as __main__ with torch -> tinynn.

    Returns the exit status: 0, the script's `sys.exit` code, 1 after an uncaught exception
    (printed to stderr as Python prints it), 2 for a usage error, 130 on KeyboardInterrupt."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    as_module = argv[0] == "-m"
    if as_module:
        if len(argv) < 2:
            print("tinynn.run: -m needs a module name", file=sys.stderr)
            return 2
        target, args = argv[1], argv[2:]
        script_dir = None
    else:
        target, args = argv[0], argv[1:]
        if not os.path.isfile(target):
            print(f"tinynn.run: can't open file '{target}': no such file", file=sys.stderr)
            return 2
        script_dir = os.path.dirname(os.path.abspath(target))
    old_argv, old_path, old_cwd = sys.argv, list(sys.path), os.getcwd()
    before = set(sys.modules)
    sys.argv = [target, *args]
    sys.path.insert(0, os.getcwd() if as_module else script_dir)
    was_installed = installed()
    install()
    code = 0
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None:
            code = 0
        elif not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        traceback.print_exc()
        code = 130
    except BaseException as e:  # noqa: BLE001 - reported like the interpreter does
        _print_exception(e)
        code = 1
    finally:
        sys.stdout.flush()
        if not was_installed:
            uninstall()
        _forget_script_modules(before, script_dir)
        sys.argv, sys.path[:] = old_argv, old_path
        with contextlib.suppress(OSError):
            os.chdir(old_cwd)
    return code


if __name__ == "__main__":
    sys.exit(main())
