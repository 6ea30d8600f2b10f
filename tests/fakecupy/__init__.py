"""A CuPy stand-in for tests: NumPy does the arithmetic, CuPy's manners are enforced on top.

tinynn's CUDA path cannot run on a machine without a GPU, so the test suite runs a second time on
this module, installed as the CUDA array module (`tinynn.backend._set_cuda_module`). Its arrays
behave like `cupy.ndarray` exactly where CPU-only code hides GPU bugs:

* `numpy.asarray(a)` / `__array__` raises TypeError (CuPy refuses implicit conversion to host);
* arithmetic mixing them with host `numpy.ndarray`s raises TypeError (CuPy: "Unsupported type");
* NumPy functions called on them dispatch here (`__array_function__` / `__array_ufunc__`, as
  CuPy's arrays do), and a NumPy function CuPy does not have fails with TypeError;
* functions and methods CuPy (13.x, the oldest version tinynn's extras allow) lacks are absent
  from this module: `errstate`, `put_along_axis`, NumPy-2 aliases such as `acos`/`concat`/
  `permute_dims`, `ufunc.at` outside add/maximum/minimum/bitwise, `ndarray.__index__`, ...;
* reductions return 0-dim arrays, never NumPy scalars, so `float(x.sum())` is a device sync;
* integer-array indexing wraps out-of-range indices around (CuPy does not raise IndexError);
* sort/argsort only accept `kind=None|'stable'`; the random Generator has CuPy's method set
  (no `normal`, `permutation`, `choice`, ...) and a stream different from NumPy's CPU one;
* `cupyx.scatter_add` refuses int64 / int8 / int16 / bool data, as CuPy's atomics do;
* each array lives on a device (2 fake GPUs); computing on an array whose device is not the
  current one raises ValueError, as CuPy does without peer access; `copy()` copies to the current
  device, `asarray` does not move an array.

Every device -> host transfer is counted (`sync_counts()`): explicit ones (`get`, `asnumpy`),
scalar reads (`item`, `float`, `int`, `bool`, `tolist`, `repr`), and ops whose output shape
depends on the data (`nonzero`, boolean masks, `unique`), so tests can assert that a training
step makes no host round trip.

Not emulated: kernels, streams and asynchrony, memory limits, cuBLAS/cuDNN numerics, float16
accumulation, CuPy's value-based type promotion of NumPy scalars (this follows NumPy 2).
"""
from __future__ import annotations

import builtins as _builtins
import threading as _threading
import weakref as _weakref

import numpy as _np

_PYSCALARS = (bool, int, float, complex)
__version__ = "13.0.0+tinynn.standin"
_IS_STANDIN = True

# ----------------------------------------------------------------------------------------
# devices, host syncs, memory pool
# ----------------------------------------------------------------------------------------
N_DEVICES = 2
_tls = _threading.local()
_SYNCS = {"transfer": 0, "scalar": 0, "shape": 0, "upload": 0}
_TRACE: list | None = None


def _cur() -> int:
    return getattr(_tls, "device", 0)


_SITES: dict | None = None  # (file:line in tinynn, function) -> {kind: count}, when profiling
_TINYNN_DIR = None
# where a sync is what the caller asked for (Tensor.item/tolist/__float__, printing, gradcheck)
_USER_SYNC_FILES = ("tensor.py", "_tensor_str.py", "autograd/gradcheck.py", "autograd/function.py",
                   "backend.py")  # (backend's to_host is passed through to whoever called it)


# (file under tinynn/, function) where a copy between host and device is what the program asked for
_EXPLICIT_MOVES = {("ops/inplace.py", "ToCopy.forward"), ("ops/inplace.py", "ToCopy.backward"),
                   ("ops/inplace.py", "Copy.forward"), ("ops/creation.py", "tensor"),
                   ("ops/creation.py", "as_tensor"), ("ops/creation.py", "asarray"),
                   ("nn/parameter.py", "_rebuild_parameter"), ("nn/parameter.py", "__reduce_ex__")}


def _sync(kind: str) -> None:
    _SYNCS[kind] += 1
    if _TRACE is not None:
        import traceback  # noqa: PLC0415
        _TRACE.append((kind, "".join(traceback.format_stack(limit=12)[:-2])))
    if _SITES is not None:
        _record_site(kind)


def _record_site(kind):
    """Attribute a sync to the innermost tinynn frame that is not a user-requested conversion;
    a sync reached straight from user code (test -> Tensor.item) is not recorded."""
    import sys  # noqa: PLC0415
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename.replace("\\", "/")
        if "/fakecupy/" in fn:
            f = f.f_back
            continue
        if not fn.startswith(_TINYNN_DIR):
            return
        rel = fn[len(_TINYNN_DIR):]
        if (rel, getattr(f.f_code, "co_qualname", "")) in _EXPLICIT_MOVES:
            return  # .to()/.cpu()/copy_() across devices: a move the program asked for
        if rel not in _USER_SYNC_FILES:
            site = _SITES.setdefault((f"{rel}:{f.f_lineno}", f.f_code.co_name), {})
            site[kind] = site.get(kind, 0) + 1
            return
        f = f.f_back


def profile_sync_sites(on: bool = True) -> None:
    """Record where inside tinynn device->host syncs happen (see `sync_sites()`)."""
    global _SITES, _TINYNN_DIR
    import os  # noqa: PLC0415

    import tinynn  # noqa: PLC0415
    _TINYNN_DIR = os.path.dirname(os.path.abspath(tinynn.__file__)).replace("\\", "/") + "/"
    _SITES = {} if on else None


def sync_sites() -> list:
    """[(total, 'file:line', function, {kind: n})] recorded by profile_sync_sites, most first."""
    rows = [(_builtins.sum(k.values()), site, fn, k) for (site, fn), k in (_SITES or {}).items()]
    return sorted(rows, key=lambda r: -r[0])


def sync_counts() -> dict:
    """Device -> host synchronisations so far, by kind."""
    return dict(_SYNCS)


def reset_sync_counts(trace: bool = False) -> None:
    """Zero the counters; with trace=True, record a stack for every later sync in `sync_trace()`."""
    global _TRACE
    for k in _SYNCS:
        _SYNCS[k] = 0
    _TRACE = [] if trace else None


def sync_trace() -> list:
    return list(_TRACE or ())


class _MemoryPool:
    """cupy.cuda.MemoryPool: bytes held by live arrays, per device."""

    def __init__(self):
        self._used = [0] * N_DEVICES
        self._limit = 0

    def used_bytes(self) -> int:
        return self._used[_cur()]

    def total_bytes(self) -> int:
        return self._used[_cur()]

    def free_bytes(self) -> int:
        return 0

    def free_all_blocks(self, stream=None) -> None:
        pass

    def n_free_blocks(self) -> int:
        return 0

    def set_limit(self, size=None, fraction=None) -> None:
        self._limit = size or 0

    def get_limit(self) -> int:
        return self._limit


_POOL = _MemoryPool()
_PINNED_POOL = _MemoryPool()


def get_default_memory_pool():
    return _POOL


def get_default_pinned_memory_pool():
    return _PINNED_POOL


def _free(dev, nbytes):
    _POOL._used[dev] -= nbytes


def _track(a: _np.ndarray, dev: int) -> None:
    if a.base is None and a.nbytes:
        _POOL._used[dev] += a.nbytes
        _weakref.finalize(a, _free, dev, a.nbytes)


# ----------------------------------------------------------------------------------------
# ndarray
# ----------------------------------------------------------------------------------------
def _w(a, dev=None, owner=None):
    """Wrap a NumPy result as a device array (NumPy scalars become 0-dim arrays, as in CuPy)."""
    if type(a) is not _np.ndarray:
        a = _np.asarray(a)
    o = object.__new__(ndarray)
    o._a = a
    o._dev = _cur() if dev is None else dev
    o._owner = owner
    _track(a, o._dev)
    return o


def _rewrap(r, out=None):
    t = type(r)
    if t is _np.ndarray:
        if out is not None and r is out._a:
            return out
        return _w(r)
    if isinstance(r, _np.generic):
        return _w(r)
    if isinstance(r, tuple):
        vals = [_rewrap(x) for x in r]
        return t(*vals) if hasattr(r, "_fields") else t(vals)
    if t is list:
        return [_rewrap(x) for x in r]
    return r


def _unsupported(v):
    return TypeError(f"Unsupported type {type(v)}")


def _check(x) -> None:
    cur = _cur()
    if x._dev != cur:
        raise ValueError(f"The device where the array resides ({x._dev}) is different from the current "
                         f"device ({cur}). Peer access is unavailable between these devices.")


def _un(v, host_ok=False):
    """Unwrap an argument: device arrays to their NumPy data, refusing host arrays."""
    t = type(v)
    if t is ndarray:
        _check(v)
        return v._a
    if t is _np.ndarray:
        if host_ok:
            return v
        raise _unsupported(v)
    if t is list or t is tuple:
        return t(_un(x, host_ok) for x in v)
    return v


def _operand(v):
    """The other operand of an arithmetic operator (NotImplemented hands over to its type)."""
    t = type(v)
    if t is ndarray:
        _check(v)
        return v._a
    if t in _PYSCALARS or isinstance(v, _np.generic):
        return v
    if t is _np.ndarray or t is list or t is tuple:
        raise _unsupported(v)
    return NotImplemented


def _binary(name):
    uf = getattr(_np, name)

    def op(self, other):
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        _check(self)
        return _w(uf(self._a, o))

    def rop(self, other):
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        _check(self)
        return _w(uf(o, self._a))

    def iop(self, other):
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        _check(self)
        uf(self._a, o, out=self._a)
        return self

    return op, rop, iop


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a):
        f = a.flags
        self.c_contiguous, self.f_contiguous, self.owndata = f.c_contiguous, f.f_contiguous, f.owndata

    def __getitem__(self, k):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[k]


class _MemoryPointer:
    __slots__ = ("ptr", "device_id")

    def __init__(self, ptr, dev):
        self.ptr, self.device_id = ptr, dev

    @property
    def device(self):
        return cuda.Device(self.device_id)


def _wrap_int_index(k, size):
    """CuPy wraps out-of-range integer-array indices around instead of raising."""
    if size > 0 and k.dtype.kind in "iu" and k.size and (k.min() < -size or k.max() >= size):
        return _np.mod(k, size)
    return k


def _prep_key(key, shape, for_set=False):
    """Convert an index to NumPy's, CuPy-style: arrays/lists/NumPy arrays are accepted (moved to
    the device), integer arrays wrap around, boolean masks are a data-dependent shape (a sync)."""
    items = list(key) if type(key) is tuple else [key]
    conv = []
    basic = True
    for s in items:
        if type(s) is ndarray:
            _check(s)
            s = s._a
        elif isinstance(s, (list, tuple)) or type(s) is _np.ndarray or isinstance(s, (_builtins.bool, _np.bool_)):
            if not isinstance(s, (_builtins.bool, _np.bool_)):
                _sync("upload")  # CuPy moves host index arrays to the device
            s = _np.asarray(s)
            if s.size == 0 and s.dtype.kind == "f":
                s = s.astype(_np.int32)
        if type(s) is _np.ndarray:
            if s.dtype.kind not in "biu":
                raise IndexError(f"arrays used as indices must be of integer or boolean type. "
                                 f"(actual: {s.dtype.type})")
            basic = False
        conv.append(s)
    # the axis each array index applies to (for the wrap-around)
    n_idx = _builtins.sum(s.ndim if type(s) is _np.ndarray and s.dtype.kind == "b" else
                0 if (s is None or s is Ellipsis) else 1 for s in conv)
    out = []
    axis = 0
    for s in conv:
        if s is None:
            out.append(s)
            continue
        if s is Ellipsis:
            axis += len(shape) - n_idx
            out.append(s)
            continue
        if type(s) is _np.ndarray:
            if s.dtype.kind == "b":
                _sync("shape")
                axis += s.ndim
            else:
                if axis < len(shape):
                    s = _wrap_int_index(s, shape[axis])
                axis += 1
        else:
            axis += 1
        out.append(s)
    return (tuple(out) if type(key) is tuple else out[0]), basic


class ndarray:
    """cupy.ndarray stand-in: a NumPy array on a fake device."""

    __slots__ = ("_a", "_dev", "_owner", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = _np.empty(shape, dtype=dtype, order=order)
        self._dev = _cur()
        self._owner = None
        _track(self._a, self._dev)

    def _view(self, r):
        """Wrap `r`, recording this array as its base when `r` is a view of our data."""
        if type(r) is not _np.ndarray:
            return _w(r, self._dev)
        b = r.base
        if b is not None and (b is self._a or b is self._a.base):
            return _w(r, self._dev, self._owner if self._owner is not None else self)
        return _w(r, self._dev)

    # -------------------------------------------------------------- NumPy interop: refuse / dispatch
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
                        "construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        f = _UFUNCS.get(ufunc.__name__)
        if f is None:
            return NotImplemented
        if method == "__call__":
            return f(*inputs, **kwargs)
        m = getattr(f, method, None)
        if m is None:
            return NotImplemented
        return m(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        mod = _SUBMODULES.get(func.__module__, None)
        if mod is None:
            return NotImplemented
        f = getattr(mod, func.__name__, None)
        if f is None:
            return NotImplemented
        return f(*args, **kwargs)

    @property
    def __cuda_array_interface__(self):
        a = self._a
        return {"shape": a.shape, "typestr": a.dtype.str, "data": (a.ctypes.data, False),
                "strides": None if a.flags.c_contiguous else a.strides, "version": 3}

    # -------------------------------------------------------------- attributes
    @property
    def shape(self):
        return self._a.shape

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def size(self):
        return self._a.size

    @property
    def itemsize(self):
        return self._a.itemsize

    @property
    def nbytes(self):
        return self._a.nbytes

    @property
    def strides(self):
        return self._a.strides

    @property
    def flags(self):
        return _Flags(self._a)

    @property
    def base(self):
        return self._owner

    @property
    def data(self):
        return _MemoryPointer(self._a.ctypes.data, self._dev)

    @property
    def device(self):
        return cuda.Device(self._dev)

    @property
    def T(self):
        return self._view(self._a.T)

    @property
    def real(self):
        return self._view(self._a.real)

    @property
    def imag(self):
        return self._view(self._a.imag)

    # -------------------------------------------------------------- host transfer (counted)
    def get(self, stream=None, order="C", out=None, blocking=True):
        _sync("transfer")
        if out is not None:
            _np.copyto(out, self._a)
            return out
        return _np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        if type(arr) is not _np.ndarray:
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray. Given: {type(arr)}")
        if arr.shape != self._a.shape:
            raise ValueError("Shape mismatch. Old shape: {}, new shape: {}".format(self._a.shape, arr.shape))
        _np.copyto(self._a, arr)

    def item(self):
        _sync("scalar")
        return self._a.item()

    def tolist(self):
        _sync("scalar")
        return self._a.tolist()

    def tobytes(self, order="C"):
        _sync("transfer")
        return self._a.tobytes(order)

    def __float__(self):
        _sync("scalar")
        return float(self._a)

    def __int__(self):
        _sync("scalar")
        return int(self._a)

    def __complex__(self):
        _sync("scalar")
        return complex(self._a)

    def __bool__(self):
        _sync("scalar")
        return _builtins.bool(self._a)

    def __repr__(self):
        _sync("transfer")
        return repr(self._a)

    def __str__(self):
        _sync("transfer")
        return str(self._a)

    def __format__(self, spec):
        _sync("scalar")
        return format(self._a, spec)

    def __reduce__(self):
        _sync("transfer")
        return (_rebuild, (self._a.copy(), self._dev))

    # -------------------------------------------------------------- sequence protocol
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __getitem__(self, key):
        _check(self)
        k, basic = _prep_key(key, self._a.shape)
        r = self._a[k]
        return self._view(r) if basic else _w(r, self._dev)

    def __setitem__(self, key, value):
        _check(self)
        k, basic = _prep_key(key, self._a.shape, True)
        if type(value) is ndarray:
            _check(value)
            value = value._a
        elif basic and not _np.isscalar(value) and not (type(value) is _np.ndarray and value.ndim == 0):
            # CuPy fills basic-indexed targets with a scalar; a host array or a list is refused
            if type(value) is _np.ndarray:
                raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
            raise TypeError(f"Unsupported type {type(value)}")
        self._a[k] = value

    # -------------------------------------------------------------- copies and views
    def copy(self, order="C"):
        # CuPy copies to the *current* device (this is how arrays move between GPUs)
        return _w(self._a.copy(order=order))

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        _check(self)
        r = self._a.astype(dtype, order=order, copy=copy)
        return self if r is self._a else _w(r)

    def view(self, dtype=None):
        return self._view(self._a.view() if dtype is None else self._a.view(dtype))

    def reshape(self, *shape, order="C"):
        _check(self)
        return self._view(self._a.reshape(*shape, order=order))

    def transpose(self, *axes):
        return self._view(self._a.transpose(*axes))

    def swapaxes(self, axis1, axis2):
        return self._view(self._a.swapaxes(axis1, axis2))

    def ravel(self, order="C"):
        _check(self)
        return self._view(self._a.ravel(order))

    def flatten(self, order="C"):
        _check(self)
        return _w(self._a.flatten(order))

    def squeeze(self, axis=None):
        return self._view(self._a.squeeze(axis))

    def diagonal(self, offset=0, axis1=0, axis2=1):
        _check(self)
        return self._view(_writable_diagonal(self._a, offset, axis1, axis2))

    def fill(self, value):
        _check(self)
        self._a.fill(_fill_value(value))

    def sort(self, axis=-1, kind=None):
        _check_kind(kind)
        self._a.sort(axis=axis, kind="stable")

    def argsort(self, axis=-1, kind=None):
        _check_kind(kind)
        return _w(self._a.argsort(axis=axis, kind="stable"))

    def nonzero(self):
        _check(self)
        _sync("shape")
        return tuple(_w(x) for x in self._a.nonzero())

    def take(self, indices, axis=None, out=None):
        return take(self, indices, axis, out)

    def put(self, indices, values, mode="wrap"):
        _check(self)
        self._a.put(_un(indices, True), _un(values, True), mode=mode)

    def scatter_add(self, slices, value):
        _cupyx_scatter("add", self, slices, value)


def _make_method(name):
    def method(self, *args, **kwargs):
        _check(self)
        out = kwargs.get("out")
        args = _un(args)
        if kwargs:
            kwargs = {k: _un(v) for k, v in kwargs.items()}
        return _rewrap(getattr(self._a, name)(*args, **kwargs), out)
    method.__name__ = name
    return method


for _name in ("sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "ptp", "all",
              "any", "cumsum", "cumprod", "clip", "round", "trace", "dot", "conj", "conjugate",
              "repeat", "partition", "argpartition", "searchsorted", "compress", "choose"):
    if _name == "ptp":
        setattr(ndarray, _name, lambda self, axis=None, out=None, keepdims=False:
                _w(_np.ptp(self._a, axis=axis, keepdims=keepdims)))
    else:
        setattr(ndarray, _name, _make_method(_name))

for _name in ("add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "power",
              "matmul", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"):
    _op, _rop, _iop = _binary(_name)
    _dunder = {"add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "truediv",
               "floor_divide": "floordiv", "remainder": "mod", "power": "pow", "matmul": "matmul",
               "bitwise_and": "and", "bitwise_or": "or", "bitwise_xor": "xor", "left_shift": "lshift",
               "right_shift": "rshift"}[_name]
    setattr(ndarray, f"__{_dunder}__", _op)
    setattr(ndarray, f"__r{_dunder}__", _rop)
    setattr(ndarray, f"__i{_dunder}__", _iop)

for _name, _dunder in (("equal", "eq"), ("not_equal", "ne"), ("less", "lt"), ("less_equal", "le"),
                       ("greater", "gt"), ("greater_equal", "ge")):
    setattr(ndarray, f"__{_dunder}__", _binary(_name)[0])

for _name, _dunder in (("negative", "neg"), ("positive", "pos"), ("absolute", "abs"), ("invert", "invert")):
    def _unary(self, _uf=getattr(_np, _name)):
        _check(self)
        return _w(_uf(self._a))
    setattr(ndarray, f"__{_dunder}__", _unary)


def _writable_diagonal(a, offset, axis1, axis2):
    """NumPy's diagonal() is a read-only view; CuPy's is writable: the same view, built writable."""
    r = a.diagonal(offset, axis1, axis2)
    if r.size == 0 or not a.flags.writeable:
        return r
    idx = [slice(None)] * a.ndim
    if offset >= 0:
        idx[axis2 % a.ndim] = slice(offset, None)
    else:
        idx[axis1 % a.ndim] = slice(-offset, None)
    return _np.lib.stride_tricks.as_strided(a[tuple(idx)], shape=r.shape, strides=r.strides)


def diagonal(a, offset=0, axis1=0, axis2=1):
    if type(a) is not ndarray:
        raise _unsupported(a)
    return a.diagonal(offset, axis1, axis2)


def _check_kind(kind):
    if kind is not None and kind != "stable":
        raise ValueError(f"kind '{kind}' is not supported (CuPy sorts are always stable)")


def _rebuild(a, dev):
    return _w(a, dev)


# ----------------------------------------------------------------------------------------
# ufuncs and functions
# ----------------------------------------------------------------------------------------
# CuPy (v12+) supports these ufunc methods only for these ufuncs
_UFUNC_AT = {"add", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"}
_UFUNC_REDUCE = {"add", "multiply"}
_UFUNC_ACCUMULATE = {"add"}


class ufunc:
    """cupy.ufunc stand-in: __call__ and outer everywhere; reduce/accumulate/at where CuPy has them."""

    def __init__(self, npuf):
        self._uf = npuf
        self.__name__ = npuf.__name__
        self.nin, self.nout, self.nargs = npuf.nin, npuf.nout, npuf.nargs

    def __repr__(self):
        return f"<ufunc '{self.__name__}'>"

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        if isinstance(out, tuple) and len(out) == 1:
            out = kwargs["out"] = out[0]
        args = _un(args)
        if kwargs:
            kwargs = {k: _un(v) for k, v in kwargs.items()}
        return _rewrap(self._uf(*args, **kwargs), out if type(out) is ndarray else None)

    def outer(self, a, b, **kwargs):
        return _rewrap(self._uf.outer(_un(a), _un(b), **{k: _un(v) for k, v in kwargs.items()}))

    def __getattr__(self, name):
        name_ok = {"reduce": _UFUNC_REDUCE, "accumulate": _UFUNC_ACCUMULATE, "reduceat": _UFUNC_REDUCE,
                   "at": _UFUNC_AT}.get(name)
        if name_ok is None or self.__name__ not in name_ok:
            raise AttributeError(f"'cupy.ufunc' object '{self.__name__}' has no attribute '{name}' "
                                 "(not supported by CuPy)")
        meth = getattr(self._uf, name)

        def call(*args, **kwargs):
            out = kwargs.get("out")
            if name == "at":
                a, idx = args[0], args[1]
                _check(a)
                k, _ = _prep_key(idx, a._a.shape, True)
                rest = _un(args[2:])
                meth(a._a, k, *rest)
                return None
            return _rewrap(meth(*_un(args), **{k: _un(v) for k, v in kwargs.items()}), out)
        return call


def _func(name, npf, host_ok=False, scalar_result=False):
    def f(*args, **kwargs):
        out = kwargs.get("out")
        args = _un(args, host_ok)
        if kwargs:
            kwargs = {k: _un(v, host_ok) for k, v in kwargs.items()}
        r = npf(*args, **kwargs)
        if scalar_result and type(r) in _PYSCALARS:
            return _w(_np.asarray(r))
        return _rewrap(r, out if type(out) is ndarray else None)
    f.__name__ = name
    f.__qualname__ = name
    return f


# NumPy names CuPy 13 provides with the same meaning (a deliberate allow-list: anything not here,
# e.g. errstate, put_along_axis, apply_along_axis helpers, NumPy 2's acos/concat/pow/permute_dims,
# is missing from CuPy or from its oldest supported version)
_UFUNC_NAMES = """
add subtract multiply divide true_divide floor_divide negative positive power float_power remainder
mod fmod divmod absolute fabs rint sign heaviside conj conjugate exp exp2 log log2 log10 expm1 log1p
sqrt square cbrt reciprocal sin cos tan arcsin arccos arctan arctan2 hypot sinh cosh tanh arcsinh
arccosh arctanh deg2rad rad2deg degrees radians bitwise_and bitwise_or bitwise_xor invert
bitwise_not left_shift right_shift greater greater_equal less less_equal not_equal equal logical_and
logical_or logical_xor logical_not maximum minimum fmax fmin isfinite isinf isnan signbit copysign
nextafter modf ldexp frexp floor ceil trunc logaddexp logaddexp2 gcd lcm matmul
""".split()

_FUNC_NAMES = """
zeros_like ones_like empty_like full_like copy copyto reshape ravel moveaxis rollaxis swapaxes
transpose atleast_1d atleast_2d atleast_3d broadcast_arrays broadcast_to expand_dims squeeze
column_stack concatenate dstack hstack stack vstack asfortranarray ascontiguousarray require
array_split dsplit hsplit split vsplit repeat tile flip fliplr flipud roll rot90 append resize
packbits unpackbits take_along_axis choose compress extract select place fill_diagonal
where diag diagflat tril triu ravel_multi_index unravel_index searchsorted lexsort partition
argpartition dot vdot inner outer tensordot einsum kron trace cross all any isclose iscomplex
isreal around round fix prod sum nansum nanprod cumprod cumsum nancumsum nancumprod diff gradient
abs absolute clip nan_to_num real imag angle convolve interp i0 sinc amax amin max min nanmax nanmin
ptp percentile quantile median nanmedian average mean std var nanmean nanstd nanvar corrcoef cov
histogram bincount digitize argmax argmin nanargmax nanargmin pad isin ndim meshgrid
isposinf isneginf triu_indices tril_indices diag_indices setdiff1d intersect1d union1d trim_zeros
""".split()

_HOST_FUNCS = {"array", "asarray", "asanyarray"}
_SCALAR_RESULT = {"allclose", "array_equal", "array_equiv", "count_nonzero"}
_SHAPE_SYNC = {"nonzero", "flatnonzero", "argwhere", "unique", "extract", "compress"}

_UFUNCS: dict = {}
for _name in _UFUNC_NAMES:
    _UFUNCS[_name] = globals()[_name] = ufunc(getattr(_np, _name))
# NumPy's canonical names for its aliases (np.abs.__name__ == 'absolute', ...)
for _name in list(_UFUNCS):
    _UFUNCS.setdefault(getattr(_np, _name).__name__, _UFUNCS[_name])
for _name in _FUNC_NAMES:
    if _name not in _UFUNCS:
        globals()[_name] = _func(_name, getattr(_np, _name))
abs = _UFUNCS["absolute"]  # noqa: A001
for _name in _SCALAR_RESULT:
    globals()[_name] = _func(_name, getattr(_np, _name), scalar_result=True)


def _shape_func(name):
    npf = getattr(_np, name)

    def f(*args, **kwargs):
        _sync("shape")
        return _rewrap(npf(*_un(args), **{k: _un(v) for k, v in kwargs.items()}))
    f.__name__ = name
    return f


for _name in _SHAPE_SYNC:
    globals()[_name] = _shape_func(_name)


def where(condition, x=None, y=None):  # noqa: F811
    if x is None and y is None:
        return nonzero(condition)
    return _rewrap(_np.where(_un(condition), _un(x), _un(y)))


def sort(a, axis=-1, kind=None):
    _check_kind(kind)
    return _w(_np.sort(_un(a), axis=axis, kind="stable"))


def argsort(a, axis=-1, kind=None):
    _check_kind(kind)
    return _w(_np.argsort(_un(a), axis=axis, kind="stable"))


def take(a, indices, axis=None, out=None):
    """cupy.take: out-of-range indices wrap around; there is no `mode`."""
    x = _un(a)
    idx = _un(indices, True)
    if type(idx) is not _np.ndarray:
        idx = _np.asarray(idx)
    n = x.size if axis is None else x.shape[axis]
    r = _np.take(x, _wrap_int_index(idx, n), axis=axis)
    if out is not None:
        out._a[...] = r
        return out
    return _w(r)


def take_along_axis(arr, indices, axis):  # noqa: F811
    x, idx = _un(arr), _un(indices)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return _w(_np.take_along_axis(x, _wrap_int_index(idx, x.shape[axis]), axis))


def result_type(*arrays_and_dtypes):
    return _np.result_type(*[a.dtype if type(a) is ndarray else a for a in arrays_and_dtypes])


def can_cast(from_, to, casting="safe"):
    return _np.can_cast(from_.dtype if type(from_) is ndarray else from_, to, casting=casting)


def _to_device_array(obj, dtype=None, copy=True, order="K", ndmin=0):
    if type(obj) is ndarray:
        a = obj._a if obj._dev == _cur() or copy else obj._a
        r = _np.array(a, dtype=dtype, copy=copy, order=order, ndmin=ndmin)
        return obj if r is obj._a else _w(r)
    # a copy from pageable host memory: CUDA waits for the stream before it starts (a sync)
    _sync("upload")
    return _w(_np.array(_un(obj, True), dtype=dtype, copy=True, order=order, ndmin=ndmin))


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, blocking=False):
    return _to_device_array(obj, dtype, copy, order, ndmin)


def asarray(a, dtype=None, order=None, blocking=False):
    """No copy (and no move between devices) when `a` already is a device array of that dtype."""
    if type(a) is ndarray and (dtype is None or _np.dtype(dtype) == a.dtype):
        return a
    return _to_device_array(a, dtype, False if type(a) is ndarray else True, order or "K")


asanyarray = asarray


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    if type(a) is ndarray:
        return a.get(stream=stream, order=order, out=out)
    return _np.asarray(a, order=order)


def get_array_module(*args):
    import sys  # noqa: PLC0415
    for a in args:
        if type(a) is ndarray:
            return sys.modules[__name__]
    return _np


def _shape_factory(name):
    npf = getattr(_np, name)

    def f(*args, **kwargs):
        return _w(npf(*_un(args), **kwargs))
    f.__name__ = name
    return f


for _name in ("zeros", "ones", "empty", "eye", "identity", "arange", "linspace", "logspace",
              "tri", "indices"):
    globals()[_name] = _shape_factory(_name)


def _fill_value(v):
    """CuPy's fill takes scalars, 0-dim NumPy arrays and device arrays (not host arrays)."""
    if type(v) is _np.ndarray:
        if v.ndim:
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        return v
    return _un(v)


def full(shape, fill_value, dtype=None, order="C"):
    return _w(_np.full(shape, _fill_value(fill_value), dtype=dtype, order=order))


def full_like(a, fill_value, dtype=None, order="K", subok=None, shape=None):
    return _w(_np.full_like(_un(a), _fill_value(fill_value), dtype=dtype, order=order, shape=shape))


def fuse(*args, **kwargs):
    """cupy.fuse: on the stand-in the function runs unfused (same results)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda f: f


# dtypes, constants and dtype helpers are NumPy's own objects in CuPy too
from numpy import (bool_, byte, complex64, complex128, complexfloating, double, dtype, e,  # noqa: E402,F401
                   euler_gamma, finfo, float16, float32, float64, floating, generic, half, iinfo, inexact,
                   inf, int8, int16, int32, int64, int_, intc, integer, intp, isscalar, issubdtype,
                   min_scalar_type, nan, newaxis, number, pi, promote_types, short, signedinteger, single,
                   ubyte, uint, uint8, uint16, uint32, uint64, uintp, unsignedinteger, ushort)

bool = _np.bool_  # noqa: A001

# ----------------------------------------------------------------------------------------
# submodules: cuda, random, linalg, lib.stride_tricks
# ----------------------------------------------------------------------------------------
from . import cuda, lib, linalg, random  # noqa: E402

_SUBMODULES = {"numpy": None, "numpy.linalg": linalg, "numpy.lib.stride_tricks": lib.stride_tricks}
import sys as _sys  # noqa: E402

_SUBMODULES["numpy"] = _sys.modules[__name__]


def _cupyx_scatter(op, a, slices, value):
    from . import cupyx  # noqa: PLC0415
    getattr(cupyx, f"scatter_{op}")(a, slices, value)


def is_available():
    return True


def install():
    """Make this module tinynn's CUDA array module (what `TINYNN_TEST_DEVICE=cuda-standin` does)."""
    import sys  # noqa: PLC0415

    import tinynn.backend as backend  # noqa: PLC0415
    from . import cupyx  # noqa: PLC0415
    backend._set_cuda_module(sys.modules[__name__], cupyx)


def quiet_floating_point_warnings():
    """CuPy's kernels never warn on overflow / invalid values (inf - inf is nan, silently); NumPy's
    do. The stand-in session silences them (NumPy's error state is process-wide here)."""
    _np.seterr(all="ignore")


def uninstall():
    """Back to the real lookup (CuPy imported on the next cuda request)."""
    import tinynn.backend as backend  # noqa: PLC0415
    backend._set_cuda_module(None)
