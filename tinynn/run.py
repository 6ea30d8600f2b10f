"""Run an unmodified PyTorch script on tinynn:  python -m tinynn.run SCRIPT [ARGS...]

An import hook resolves `torch` and its submodules (`torch.nn`, `torch.nn.functional`, `torch.optim`,
`torch.utils.data`, ...) to tinynn's, and `torchvision.datasets` / `torchvision.transforms` to
tinynn's own `datasets` / `transforms`, so the script needs neither torch nor torchvision. Every
module the script sees is a thin alias: an attribute tinynn lacks raises an AttributeError that
names it ("tinynn does not implement torch.fft.rfft") instead of failing obscurely later.

`main([...])` does the same from Python (tests drive it that way); `install()` / `uninstall()`
switch the hook on and off.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import types

__all__ = ["main", "install", "uninstall", "installed"]

# torch / torchvision module names that live elsewhere in tinynn
_RENAMES = {
    "torch": "tinynn",
    "torchvision.datasets": "tinynn.datasets",
    "torchvision.transforms": "tinynn.transforms",
}
_VIRTUAL = {"torchvision"}  # no tinynn module of its own: an alias of just its submodules
# PyTorch submodules tinynn may lack: they import, and using them names the missing function
_KNOWN_SUBMODULES = {"fft", "linalg", "special", "sparse", "jit", "onnx", "quantization", "ao", "amp",
                     "compiler", "export", "fx", "hub", "profiler", "masked", "nested", "func", "mps",
                     "backends", "signal", "futures", "multiprocessing", "package", "library",
                     "models", "io", "ops", "utils", "distributed", "cuda", "autograd", "nn", "optim"}


class _Missing(types.ModuleType):
    """A PyTorch submodule tinynn does not have: any use names what is missing."""

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        raise AttributeError(f"tinynn does not implement {self.__name__}.{attr}")

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(f"tinynn does not implement {self.__name__}")


def _target(fullname: str):
    """The tinynn module name for a torch/torchvision name (None when it is not ours)."""
    if fullname in _RENAMES:
        return _RENAMES[fullname]
    for src, dst in _RENAMES.items():
        if fullname.startswith(src + "."):
            return dst + fullname[len(src):]
    return None


class _Alias(types.ModuleType):
    """A torch-named module forwarding to a tinynn module (or to nothing, for torchvision)."""

    def __init__(self, name, real):
        super().__init__(name)
        object.__setattr__(self, "_real", real)
        if real is not None:
            self.__dict__["__doc__"] = real.__doc__
            if hasattr(real, "__path__"):
                self.__dict__["__path__"] = []  # a package: submodule imports go through the hook

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
                value = None
            else:
                if isinstance(value, types.ModuleType) and value.__name__.startswith("tinynn"):
                    return _alias_module(sub)
                return value
        if _target(sub) is not None or name in _VIRTUAL:
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
        return dir(real) if real is not None else []


def _alias_module(fullname: str):
    """The alias module for `fullname`, created (and registered in sys.modules) on first use."""
    mod = sys.modules.get(fullname)
    if isinstance(mod, _Alias):
        return mod
    if fullname in _VIRTUAL:
        alias = _Alias(fullname, None)
    else:
        target = _target(fullname)
        try:
            real = importlib.import_module(target)
        except ModuleNotFoundError as e:
            if e.name and target.startswith(e.name):
                if fullname.rsplit(".", 1)[-1] in _KNOWN_SUBMODULES:
                    return _missing_module(fullname)
                raise ModuleNotFoundError(f"tinynn does not implement {fullname}", name=fullname) from None
            raise
        alias = _Alias(fullname, real)
    sys.modules[fullname] = alias
    return alias


def _missing_module(fullname: str):
    mod = sys.modules.get(fullname)
    if not isinstance(mod, _Missing):
        mod = sys.modules[fullname] = _Missing(fullname)
    return mod


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return _alias_module(spec.name)

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Resolves `torch...` and `torchvision...` imports to tinynn aliases."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in _VIRTUAL or _target(fullname) is not None:
            return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)
        return None


_finder = _Finder()
_saved: dict = {}


def install() -> None:
    """Make `import torch` (and torchvision's datasets/transforms) resolve to tinynn."""
    if _finder in sys.meta_path:
        return
    for name in list(sys.modules):
        if name in ("torch", "torchvision") or name.startswith(("torch.", "torchvision.")):
            _saved[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Remove the hook and the aliases, restoring any real torch modules that were loaded."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if isinstance(sys.modules[name], (_Alias, _Missing)):
            del sys.modules[name]
    sys.modules.update(_saved)
    _saved.clear()


def installed() -> bool:
    return _finder in sys.meta_path


def main(argv=None) -> int:
    """`python -m tinynn.run SCRIPT [ARGS...]`: run SCRIPT as __main__ with torch -> tinynn."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    script, args = argv[0], argv[1:]
    if not os.path.exists(script):
        print(f"tinynn.run: no such script: {script}", file=sys.stderr)
        return 2
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    install()
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        uninstall()
        sys.argv, sys.path[:] = old_argv, old_path
    return 0


if __name__ == "__main__":
    sys.exit(main())
