"""Random numbers: `Generator`, the default generators, seeding, and the sampling functions.

Each device has a default generator (NumPy's PCG64 on the CPU, CuPy's on a GPU, see
`backend.new_generator`). Every sampling function takes `generator=`, a `tinynn.Generator`, instead.
The streams are not PyTorch's (the same seed gives different numbers than PyTorch), but the same
seed always gives the same numbers in tinynn, and the distributions are PyTorch's.

Samplers have no derivative, as in PyTorch: a draw from inputs that require grad (`normal(mean,
std)`, `bernoulli(p)`, `x.uniform_()` on a non-leaf) records a node whose gradient is zero.
"""
from __future__ import annotations

import contextlib
import json
import math
import os

import numpy as np  # dtype metadata and the CPU generator's state only

from .._dtype import get_default_dtype, result_type, to_dtype
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend import as_device, cuda_module, get_array_module, new_generator
from ..tensor import Tensor
from ._util import broadcast_error, check_tensor
from .creation import _alloc_xp, factory_shape, finish, resolve_device
from .inplace import inplace

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "fork_rng", "generator_for", "rand", "randn", "rand_like", "randn_like",
           "randint", "randint_like", "randperm", "normal", "bernoulli", "multinomial", "poisson",
           "uniform_", "normal_", "bernoulli_", "exponential_", "random_", "cauchy_", "log_normal_",
           "geometric_"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed


# ============================================================================= generators
class Generator:
    """torch.Generator: a seedable stream of random numbers on one device."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = _DEFAULT_SEED
        self._gen = None

    @property
    def gen(self):
        """The backend generator, created on first use (so a cuda Generator costs nothing until used).

        A cuda stream belongs to the CuPy module that made it: if that module was swapped since
        (the test suite's CuPy stand-in in and out of a real-GPU run), the stream is made anew."""
        g = self._gen
        if g is None or (self.device.type == "cuda" and g._xp is not cuda_module()):
            g = self._gen = new_generator(self.device, self._seed)
        return g

    def manual_seed(self, seed):
        """Seed the stream; any int in [-2**63, 2**64) (negative seeds wrap, as in PyTorch)."""
        seed = int(seed)
        if seed < -0x8000_0000_0000_0000 or seed > 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._gen = None
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the new seed."""
        s = int.from_bytes(os.urandom(8), "little") & 0x7FFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (JSON of the seed and the bit generator's state)."""
        state = None
        try:
            state = self.gen.bit_generator.state
        except AttributeError:
            pass
        if not isinstance(state, dict):
            raise RuntimeError(f"the {self.device.type} generator cannot report its state")
        blob = json.dumps({"seed": self._seed, "state": state}).encode()
        return Tensor._make(np.frombuffer(blob, dtype=np.uint8).copy())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("expected a tinynn.ByteTensor as the generator state")
        try:
            d = json.loads(bytes(new_state.cpu().numpy().tobytes()).decode())
            self._seed = d["seed"]
            self._gen = None
            self.gen.bit_generator.state = d["state"]
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise RuntimeError(f"Invalid generator state: {e}") from None
        return self

    def __repr__(self):
        return f"<tinynn.Generator object at {hex(id(self))}>"


_defaults: dict = {}
_manual_seed: list = [None]  # the last manual_seed, for device generators created after it


def default_generator_for(device) -> Generator:
    """The default generator of a device (cuda without an index is cuda:0)."""
    d = as_device(device)
    if d.type == "cuda" and d.index is None:
        d = as_device("cuda:0")
    g = _defaults.get(d)
    if g is None:
        g = _defaults[d] = Generator(d)
        if _manual_seed[0] is not None:  # manual_seed seeds every device, used yet or not
            g.manual_seed(_manual_seed[0])
    return g


default_generator = default_generator_for("cpu")


def generator_for(device, generator=None):
    """The backend generator to draw from: `generator`'s, else the device's default."""
    if generator is not None:
        if not isinstance(generator, Generator):
            raise TypeError(f"generator must be a tinynn.Generator, not {type(generator).__name__}")
        if generator.device.type != as_device(device).type:
            raise RuntimeError(f"Expected a '{as_device(device).type}' device type for generator but "
                               f"found '{generator.device.type}'")
        return generator.gen
    return default_generator_for(device).gen


def manual_seed(seed):
    """Seed the default generators of every device; returns the CPU generator."""
    for g in list(_defaults.values()):
        g.manual_seed(seed)
    _manual_seed[0] = seed
    return default_generator.manual_seed(seed)


def seed():
    """Seed every default generator from the operating system's entropy; returns the seed."""
    s = default_generator.seed()
    for g in _defaults.values():
        if g is not default_generator:
            g.manual_seed(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, device_type="cuda"):
    """Run a block, then restore the CPU generator's state (as torch.random.fork_rng)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# ============================================================================= drawing helpers
def _fmt(v) -> str:
    """A number as PyTorch's messages print it (C++ stream formatting: -1, 0.5)."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def _type_title(npdt) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}[np.dtype(npdt).name]


def _need_float(npdt, kernel):
    if np.dtype(npdt).kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_title(npdt)}'")


def _uniform01(g, shape, npdt):
    """U[0, 1) in `npdt` (float16 draws in float32 and stays below 1 after rounding)."""
    npdt = np.dtype(npdt)
    if npdt in (np.float32, np.float64):
        return g.random(shape, dtype=npdt)
    a = g.random(shape, dtype=np.float32).astype(npdt)
    xp = get_array_module(a)
    return xp.minimum(a, npdt.type(1) - np.finfo(npdt).epsneg)  # the largest value below 1


def _std_normal(g, shape, npdt):
    npdt = np.dtype(npdt)
    if npdt in (np.float32, np.float64):
        return g.standard_normal(shape, dtype=npdt)
    return g.standard_normal(shape, dtype=np.float32).astype(npdt)


class _Draw(Function):
    """A random draw from tensor parameters: the output is the sample (the last argument) and no
    gradient flows back (zeros), as in PyTorch."""
    node_name = "NormalBackward0"

    @staticmethod
    def forward(ctx, *args):
        ctx.shapes = tuple(a._data.shape if isinstance(a, Tensor) else None for a in args[:-1])
        return args[-1]

    @staticmethod
    def backward(ctx, grad_output):
        xp = get_array_module(grad_output._data)
        return tuple(None if s is None else Tensor._make(xp.zeros(s, dtype=grad_output._data.dtype))
                     for s in ctx.shapes) + (None,)


def _node(name):
    return type(name.replace("Backward", "Draw"), (_Draw,), {"node_name": name,
                                                             "__module__": __name__})


_NormalBackward = {n: _node(f"NormalBackward{n}") for n in range(4)}
_BernoulliBackward = {n: _node(f"BernoulliBackward{n}") for n in range(3)}
_RandomBackward = {n: _node(f"RandomBackward{n}") for n in range(3)}
_UniformBackward0 = _node("UniformBackward0")
_ExponentialBackward0 = _node("ExponentialBackward0")
_CauchyBackward0 = _node("CauchyBackward0")
_LogNormalBackward0 = _node("LogNormalBackward0")
_GeometricBackward0 = _node("GeometricBackward0")
_PoissonBackward0 = _node("PoissonBackward0")


def _drawn(node, inputs, arr):
    """The sample as a tensor; with history (zero gradient) when an input requires grad."""
    if _state.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        return node.apply(*inputs, arr)
    return Tensor._make(arr)


def _fill_(t, node, arr, *params):
    """Write the sample `arr` (t's shape and dtype) into t in place, through `inplace` so that a
    tensor with history takes the sampler's node (PyTorch's rebase) and versions are bumped."""
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return inplace(t, lambda x: _drawn(node, (x,) + params, arr))


# ============================================================================= factories
def _float_factory_dtype(dtype, kernel):
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    _need_float(dt.np, kernel)
    return dt


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw):
    """Uniform on [0, 1)."""
    shape = factory_shape(size, kw.pop("size", None), "rand")
    dt = _float_factory_dtype(dtype, "check_uniform_bounds")
    dev = resolve_device(device)
    _alloc_xp(dev)
    return _out(finish(_uniform01(generator_for(dev, generator), shape, dt.np), requires_grad), out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kw):
    """Standard normal."""
    shape = factory_shape(size, kw.pop("size", None), "randn")
    dt = _float_factory_dtype(dtype, "normal_kernel_cpu")
    dev = resolve_device(device)
    _alloc_xp(dev)
    return _out(finish(_std_normal(generator_for(dev, generator), shape, dt.np), requires_grad), out)


def _out(res, out):
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    out._data = res._data if res._data.dtype == out._data.dtype else res._data.astype(out._data.dtype)
    out._bump()
    return out


def _like(input, dtype, device, name):
    check_tensor(name, "input", 1, input)
    dt = to_dtype(dtype) if dtype is not None else input.dtype
    dev = resolve_device(device) if device is not None else input.device
    _alloc_xp(dev)
    return input._data.shape, dt, dev


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """U[0, 1) shaped like `input` (its dtype and device unless given)."""
    shape, dt, dev = _like(input, dtype, device, "rand_like")
    _need_float(dt.np, "check_uniform_bounds")
    return finish(_uniform01(generator_for(dev, generator), shape, dt.np), requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """N(0, 1) shaped like `input` (its dtype and device unless given)."""
    shape, dt, dev = _like(input, dtype, device, "randn_like")
    _need_float(dt.np, "normal_kernel_cpu")
    return finish(_std_normal(generator_for(dev, generator), shape, dt.np), requires_grad)


def _int_draw(g, low, high, shape, npdt):
    """Integers uniform on [low, high) as `npdt`."""
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    return g.integers(low, high - 1, size=shape, dtype=np.int64, endpoint=True).astype(npdt)


def randint(*args, size=None, low=None, high=None, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False):
    """randint(high, size) or randint(low, high, size): integers uniform on [low, high), int64
    unless `dtype`."""
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {len(args) + 1}) must be tuple of ints, "
                        f"not {type(size).__name__}")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif len(args) > 2:
        raise TypeError(f"randint() takes at most 3 positional arguments ({len(args) + 1} given)")
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    low = 0 if low is None else low
    shape = factory_shape((tuple(size),), None, "randint")
    dt = to_dtype(dtype) if dtype is not None else to_dtype(int)
    dev = resolve_device(device)
    _alloc_xp(dev)
    arr = _int_draw(generator_for(dev, generator), low, high, shape, dt.np)
    return _out(finish(arr, requires_grad), out)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):
    """randint_like(input, high) or randint_like(input, low, high): shaped like `input`."""
    if high is None:
        low, high = 0, low
    shape, dt, dev = _like(input, dtype, device, "randint_like")
    return finish(_int_draw(generator_for(dev, generator), low, high, shape, dt.np), requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of 0 .. n-1 (int64 unless `dtype`)."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = to_dtype(dtype) if dtype is not None else to_dtype(int)
    dev = resolve_device(device)
    _alloc_xp(dev)
    arr = generator_for(dev, generator).permutation(n).astype(dt.np)
    return _out(finish(arr, requires_grad), out)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    """normal(mean, std, size) with numbers, or normal(mean, std) with a tensor mean and/or std
    (broadcast together). No gradient flows to mean or std (PyTorch's NormalBackward nodes)."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one of: "
                            "(Tensor mean, Tensor std), (Tensor mean, float std), (float mean, Tensor "
                            "std), (float mean, float std, tuple of ints size)")
        if not std >= 0:  # (NaN too, as PyTorch)
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        shape = factory_shape((size,), None, "normal")
        dt = _float_factory_dtype(dtype, "normal_kernel_cpu")
        dev = resolve_device(device)
        _alloc_xp(dev)
        arr = _std_normal(generator_for(dev, generator), shape, dt.np)
        if std != 1:
            arr *= dt.np.type(std)
        if mean != 0:
            arr += dt.np.type(mean)
        return _out(finish(arr, requires_grad), out)
    ref = mean if tm else std
    dev = ref.device
    dt = result_type(*(v for v in (mean, std) if isinstance(v, Tensor)))
    _need_float(dt.np, "normal_kernel_cpu")
    xp = get_array_module(ref._data)
    if ts:
        if std._data.size and not bool((std._data >= 0).all()):  # (NaN too)
            raise RuntimeError("normal expects all elements of std >= 0.0")
        s = std._data.astype(dt.np, copy=False)
    else:
        if not std >= 0:  # (NaN too, as PyTorch)
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        s = dt.np.type(std)
    m = mean._data.astype(dt.np, copy=False) if tm else dt.np.type(mean)
    try:
        shape = np.broadcast_shapes(getattr(m, "shape", ()), getattr(s, "shape", ()))
    except ValueError:
        raise broadcast_error(mean._data.shape, std._data.shape) from None
    arr = _std_normal(generator_for(dev, generator), shape, dt.np) * s + m
    arr = xp.asarray(arr, dtype=dt.np)
    node = _NormalBackward[3 if tm and ts else (1 if tm else 2)]
    return _out(_drawn(node, (mean, std), arr), out)


def bernoulli(input, p=None, *, generator=None, out=None):
    """1 with probability `input` (or `p`), else 0, in input's dtype."""
    check_tensor("bernoulli", "input", 1, input)
    a = input._data
    _need_float(a.dtype, "bernoulli_tensor_cpu_p_" if p is None else "bernoulli_scalar_cpu_")
    g = generator_for(input.device, generator)
    u = _uniform01(g, a.shape, np.float64 if a.dtype == np.float64 else np.float32)
    if p is None:
        xp = get_array_module(a)
        if a.size and bool(((a < 0) | (a > 1) | xp.isnan(a)).any()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                               "this error message be improved?  If so, please report an enhancement "
                               "request to PyTorch.)")
        arr = (u < a).astype(a.dtype)
        return _out(_drawn(_BernoulliBackward[0], (input,), arr), out)
    _check_p(p, "bernoulli")
    arr = (u < p).astype(a.dtype)
    return _out(_drawn(_BernoulliBackward[1], (input,), arr), out)


def _check_p(p, name):
    if not 0 <= p <= 1:
        raise RuntimeError(f"{name} expects p to be in [0, 1], but got p={_fmt(p)}")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the categorical distributions in the rows of `input` (weights, not
    necessarily normalised): with replacement by inverse CDF, without by an exponential race
    (the k smallest Exp(1)/w keys are a sequential draw without replacement)."""
    check_tensor("multinomial", "input", 1, input)
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_type_title(a.dtype)}")
    if a.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    k = int(num_samples)
    if k <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = a.shape[-1]
    if not replacement and k > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    xp = get_array_module(a)
    w = a.reshape(-1, n).astype(np.float64)
    if w.size and bool((~xp.isfinite(w) | (w < 0)).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if w.size and bool((w.sum(axis=1) <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = w.shape[0]
    g = generator_for(input.device, generator)
    if replacement:
        cdf = xp.cumsum(w, axis=1)
        cdf /= cdf[:, -1:]  # the last entry (and any trailing zero-weight ones) exactly 1
        u = g.random((rows, k), dtype=np.float64)
        # one flat searchsorted for all rows: row r's CDF lives in [r, r + 1]
        offs = xp.arange(rows, dtype=np.float64)[:, None]
        idx = xp.searchsorted((cdf + offs).reshape(-1), (u + offs).reshape(-1), side="right")
        idx = idx.reshape(rows, k) - xp.arange(rows)[:, None] * n
        last = n - 1 - xp.argmax(w[:, ::-1] > 0, axis=1)  # the last category with weight
        idx = xp.minimum(idx, last[:, None])
    else:
        e = g.standard_exponential((rows, n))
        keys = xp.where(w > 0, e / xp.where(w > 0, w, 1.0), xp.inf)  # zero weight: never first
        idx = xp.argsort(keys, axis=1)[:, :k]
    idx = idx.astype(np.int64).reshape(a.shape[:-1] + (k,))
    return _out(Tensor._make(idx), out)


def poisson(input, generator=None):
    """Poisson counts with rates `input` (same dtype)."""
    check_tensor("poisson", "input", 1, input)
    a = input._data
    _need_float(a.dtype, "poisson_cpu")
    g = generator_for(input.device, generator)
    return _drawn(_PoissonBackward0, (input,), g.poisson(a).astype(a.dtype))


# ============================================================================= in-place samplers
def uniform_(t, a=0.0, b=1.0, *, generator=None, **kw):
    """Fill t from U[a, b)."""
    a, b = kw.pop("from", a), kw.pop("to", b)
    _need_float(t._data.dtype, "check_uniform_bounds")
    dt = t._data.dtype
    top = float(np.finfo(dt).max)
    for name, v in (("from", a), ("to", b)):  # PyTorch's bounds check (it refuses NaN and inf)
        if not -top <= v <= top:
            kind = {"float32": "float", "float64": "double", "float16": "Half"}.get(dt.name, dt.name)
            raise RuntimeError(f"{name} is out of bounds for {kind}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > "
                           f"to={b}")
    arr = _uniform01(generator_for(t.device, generator), t._data.shape, dt)
    if (a, b) != (0.0, 1.0):
        arr = arr * dt.type(b - a) + dt.type(a)
    return _fill_(t, _UniformBackward0, arr)


def normal_(t, mean=0.0, std=1.0, *, generator=None):
    """Fill t from N(mean, std**2)."""
    _need_float(t._data.dtype, "normal_kernel_cpu")
    if not std >= 0:  # (NaN too, as PyTorch)
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    dt = t._data.dtype
    arr = _std_normal(generator_for(t.device, generator), t._data.shape, dt)
    if std != 1:
        arr *= dt.type(std)
    if mean != 0:
        arr += dt.type(mean)
    return _fill_(t, _NormalBackward[0], arr)


def bernoulli_(t, p=0.5, *, generator=None):
    """Fill t with 1 with probability p (a number or a tensor broadcast to t), else 0."""
    dt = t._data.dtype
    shape = t._data.shape
    g = generator_for(t.device, generator)
    u = _uniform01(g, shape, np.float64)
    if isinstance(p, Tensor):
        pa = p._data
        if pa.size and bool(((pa < 0) | (pa > 1)).any()):
            raise RuntimeError("bernoulli_ expects p to be in [0, 1]")
        try:
            arr = (u < pa).astype(dt)
        except ValueError:
            raise broadcast_error(shape, pa.shape) from None
        if arr.shape != shape:
            raise RuntimeError(f"expand(...): the shape of p {list(pa.shape)} must broadcast to the "
                               f"tensor's {list(shape)}")
        return _fill_(t, _BernoulliBackward[1], arr, p)
    _check_p(p, "bernoulli_")
    return _fill_(t, _BernoulliBackward[2], (u < p).astype(dt))


def exponential_(t, lambd=1.0, *, generator=None):
    """Fill t from the exponential distribution with rate lambd."""
    dt = t._data.dtype
    if dt.kind != "f":
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified {_type_title(dt)}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    g = generator_for(t.device, generator)
    arr = g.standard_exponential(t._data.shape).astype(dt) / dt.type(lambd)
    return _fill_(t, _ExponentialBackward0, arr)


def _random_bounds(dt):
    """random_()'s range: [0, 2**mantissa] for floats, [0, max] for integers, {0, 1} for bool."""
    if dt.kind == "b":
        return 0, 2
    if dt.kind == "f":
        return 0, 2 ** (np.finfo(dt).nmant + 1) + 1
    return 0, int(np.iinfo(dt).max) + 1


def random_(t, *args, generator=None, **kw):
    """random_() / random_(to) / random_(from, to): integers uniform on [from, to), cast to t's
    dtype."""
    dt = t._data.dtype
    frm, to = kw.pop("from", None), kw.pop("to", None)
    if len(args) == 1:
        to = args[0]
    elif len(args) == 2:
        frm, to = args
    elif len(args) > 2:
        raise TypeError(f"random_() takes at most 2 arguments ({len(args)} given)")
    lo, hi = _random_bounds(dt)
    node = _RandomBackward[2]
    if frm is not None or to is not None:
        node = _RandomBackward[0] if frm is not None else _RandomBackward[1]
        lo = 0 if frm is None else int(frm)
        hi = hi if to is None else int(to)
    arr = _int_draw(generator_for(t.device, generator), lo, hi, t._data.shape, dt)
    return _fill_(t, node, arr)


def cauchy_(t, median=0.0, sigma=1.0, *, generator=None):
    """Fill t from the Cauchy distribution: median + sigma * tan(pi * (u - 1/2))."""
    dt = t._data.dtype
    _need_float(dt, "cauchy_cpu")
    u = _uniform01(generator_for(t.device, generator), t._data.shape, np.float64)
    arr = (median + sigma * get_array_module(u).tan(np.pi * (u - 0.5))).astype(dt)
    return _fill_(t, _CauchyBackward0, arr)


def log_normal_(t, mean=1.0, std=2.0, *, generator=None):
    """Fill t with exp of N(mean, std**2) draws."""
    dt = t._data.dtype
    _need_float(dt, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    z = _std_normal(generator_for(t.device, generator), t._data.shape, np.float64)
    arr = get_array_module(z).exp(z * std + mean).astype(dt)
    return _fill_(t, _LogNormalBackward0, arr)


def geometric_(t, p, *, generator=None):
    """Fill t with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    dt = t._data.dtype
    u = _uniform01(generator_for(t.device, generator), t._data.shape, np.float64)
    xp = get_array_module(u)
    arr = xp.ceil(xp.log1p(-u) / math.log1p(-p))
    arr = xp.maximum(arr, 1.0).astype(dt)
    return _fill_(t, _GeometricBackward0, arr)
