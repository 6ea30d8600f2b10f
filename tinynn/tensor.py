"""The Tensor: one raw array (NumPy or CuPy) plus autograd metadata.

Methods are written out here and call into `tinynn.ops` (imported at the bottom of this file, the
one deliberate upward import); nothing is patched onto the class at import time.
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import _dtype
from ._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from .autograd.function import AccumulateGrad, RemovableHandle
from .backend import array_device, as_device, get_array_module, to_device, to_host

__all__ = ["Tensor", "Size"]


class Size(tuple):
    """torch.Size: a tuple of ints that prints as `tinynn.Size([2, 3])`."""

    def __repr__(self):
        return f"tinynn.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, k):
        r = tuple.__getitem__(self, k)
        return Size(r) if isinstance(k, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


class Tensor:
    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_output_nr", "_vc", "_base",
                 "_backward_hooks", "_grad_acc", "_retains_grad", "__weakref__", "__dict__")

    # NumPy must hand `ndarray <op> Tensor` to the Tensor (DeZero sets __array_priority__)
    __array_ufunc__ = None
    __array_priority__ = 1000

    # ------------------------------------------------------------------ construction
    def __new__(cls, *args, **kwargs):
        """Legacy constructor: `Tensor([1., 2.])` (float32 data) or `Tensor(2, 3)` (uninitialised)."""
        device = kwargs.pop("device", None)
        if kwargs:
            raise TypeError(f"Tensor(): unexpected keyword arguments {sorted(kwargs)}")
        if len(args) == 1 and isinstance(args[0], Tensor):
            return args[0]
        if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args) or not args:
            arr = np.empty(tuple(args), dtype=get_default_dtype().np)
        elif len(args) == 1 and isinstance(args[0], (tuple, list, np.ndarray)):
            arr = np.asarray(args[0], dtype=get_default_dtype().np)
        elif len(args) == 1 and isinstance(args[0], (float, bool)):
            raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
        else:
            raise TypeError(f"Tensor(): invalid arguments {args!r}")
        t = object.__new__(cls)
        t._init(to_device(arr, as_device(device)) if device is not None else arr)
        return t

    def _init(self, arr, requires_grad=False):
        self._data = arr
        self._requires_grad = requires_grad
        self._grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._vc = None
        self._base = None
        self._backward_hooks = None
        self._grad_acc = None
        self._retains_grad = False

    @classmethod
    def _make(cls, arr, requires_grad=False):
        """Wrap a raw array (the fast internal constructor)."""
        t = object.__new__(Tensor)
        if type(arr) is not np.ndarray and not hasattr(arr, "__cuda_array_interface__") \
                and not hasattr(arr, "_is_fake_cupy"):
            arr = np.asarray(arr)
        t._data = arr
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._vc = None
        t._base = None
        t._backward_hooks = None
        t._grad_acc = None
        t._retains_grad = False
        return t

    def _view_of(self, arr):
        """A tensor over `arr` sharing this tensor's version counter but not a view for autograd
        (`_base` stays None, as for PyTorch's `detach()`); differentiable views come from
        `ops.shape.as_view`."""
        t = Tensor._make(arr)
        if self._vc is None:
            self._vc = [0]
        t._vc = self._vc
        return t

    def _alias(self):
        t = self._view_of(self._data)
        t._requires_grad = self._requires_grad
        t.grad_fn = self.grad_fn
        t._output_nr = self._output_nr
        return t

    def _bump(self):
        """Record an in-place change (saved copies of this tensor become stale)."""
        if self._vc is None:
            self._vc = [1]
        else:
            self._vc[0] += 1

    def _grad_accumulator(self):
        acc = self._grad_acc() if self._grad_acc is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._grad_acc = weakref.ref(acc)
        return acc

    def _detached_copy(self):
        return Tensor._make(self._data.copy())

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_ops.canonical_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return array_device(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_ops.canonical_dim(dim, self._data.ndim)]

    def data_ptr(self) -> int:
        d = self._data
        return int(d.__array_interface__["data"][0]) if type(d) is np.ndarray else int(d.data.ptr)

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    @property
    def layout(self):
        return "strided"

    @property
    def _version(self) -> int:
        return 0 if self._vc is None else self._vc[0]

    # ------------------------------------------------------------------ autograd attributes
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True):
        requires_grad = bool(requires_grad)
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want "
                               "to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        if self.grad_fn is None:
            self._requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
                "the leaf Tensor instead.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: got "
                                   f"{list(value.shape)} but expected {list(self.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: got {value.dtype} "
                                   f"but expected {self.dtype}")
            if type(value._data) is not type(self._data):
                raise RuntimeError(f"assigned grad has data located on a different device: "
                                   f"{value.device} vs {self.device}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in `.grad` after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        ref = weakref.ref(self)

        def hook(g):
            t = ref()
            if t is not None:
                t._grad = g.detach().clone() if t._grad is None else t._grad + g.detach()
        self.grad_fn._add_tensor_hook(self._output_nr, _RetainGradHook(hook))
        self._retains_grad = True

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed and may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._backward_hooks is None:
            self._backward_hooks = {}
        h = RemovableHandle(self._backward_hooks)
        self._backward_hooks[h.id] = hook
        return h

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor) runs after the gradient has been accumulated into this leaf's .grad."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        acc = self._grad_accumulator()
        self.__dict__.setdefault("_keep_acc", acc)  # keep the node (and its hook) alive
        ref = weakref.ref(self)
        return acc.register_hook(lambda gi, go: hook(ref()))

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward  # noqa: PLC0415
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        """A tensor sharing this one's data (and version counter) with no history."""
        return self._view_of(self._data)

    def detach_(self):
        if self._base is not None and self.grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    @property
    def data(self):
        """The data as a tensor without history, not tracked by autograd (even its versions)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return to_host(self._data).reshape(()).item()

    def tolist(self):
        return to_host(self._data).tolist()

    def numpy(self, *, force: bool = False):
        """The data as a NumPy array sharing memory (CPU tensors only, as in PyTorch).

        force=True copies a cuda tensor to the host and ignores requires_grad."""
        if force:
            return to_host(self._data).copy() if type(self._data) is not np.ndarray else self._data
        # PyTorch checks the device first, then grad (and only while grad mode is on)
        if type(self._data) is not np.ndarray:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                            "to copy the tensor to host memory first.")
        if self._requires_grad and _grad_enabled():
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach()."
                               "numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr  # noqa: PLC0415
        return tensor_repr(self)

    def __format__(self, spec):
        # as PyTorch: a 0-dim tensor formats as its Python number ('{:+.2f}'.format(t) works)
        if self._data.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        return (_rebuild, (to_host(self._data), str(self.device), self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.")
        new = type(self).__new__(type(self)) if type(self) is not Tensor else object.__new__(Tensor)
        new._init(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            new._grad = self._grad._detached_copy()
        for k, v in self.__dict__.items():
            if k != "_keep_acc":
                new.__dict__[k] = v
        memo[id(self)] = new
        return new

    # ------------------------------------------------------------------ device and dtype moves
    def to(self, *args, **kwargs):
        """PyTorch's three forms: to(device=None, dtype=None, non_blocking=False, copy=False),
        to(dtype, non_blocking=False, copy=False), to(other, non_blocking=False, copy=False).

        Returns self when nothing changes (unless copy=True). non_blocking is accepted; copies
        between host and GPU are synchronous here."""
        dev, dt, copy = _parse_to(args, kwargs)
        return _ops.to(self, dev, dt, copy)

    def cpu(self, memory_format=None):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """A copy on a GPU (`device`: None for the current one, an index, or 'cuda:N')."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        elif as_device(device).type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device")
        return self.to(device)

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return f"tinynn.{'cuda.' if self.is_cuda else ''}{_LEGACY_NAMES[self.dtype.name]}"
        if isinstance(dtype, str) and dtype.split(".")[-1] in _LEGACY_TYPES:
            dtype = _LEGACY_TYPES[dtype.split(".")[-1]]
        return self.to(to_dtype(dtype))

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def char(self):
        return self.to(_dtype.int8)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def clone(self, *, memory_format=None):
        return _ops.clone(self)

    def contiguous(self, memory_format=None):
        return self if self._data.flags.c_contiguous else _ops.clone(self)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return _ops.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                           requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return _ops.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                          requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return _ops.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return _ops.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return _ops.empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                          requires_grad=requires_grad)

    # ------------------------------------------------------------------ Python operators
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __floordiv__(self, other): return _ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return _ops.floor_divide(other, self)
    def __mod__(self, other): return _ops.remainder(self, other)
    def __rmod__(self, other): return _ops.remainder(other, self)
    def __pow__(self, other): return _ops.pow(self, other)
    def __rpow__(self, other): return _ops.pow(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __invert__(self): return _ops.bitwise_not(self)
    def __and__(self, other): return _ops.bitwise_and(self, other)
    def __rand__(self, other): return _ops.bitwise_and(other, self)
    def __or__(self, other): return _ops.bitwise_or(self, other)
    def __ror__(self, other): return _ops.bitwise_or(other, self)
    def __xor__(self, other): return _ops.bitwise_xor(self, other)
    def __rxor__(self, other): return _ops.bitwise_xor(other, self)
    def __eq__(self, other): return _ops.eq(self, other) if _comparable(other) else NotImplemented
    def __ne__(self, other): return _ops.ne(self, other) if _comparable(other) else NotImplemented
    def __lt__(self, other): return _ops.lt(self, other)
    def __le__(self, other): return _ops.le(self, other)
    def __gt__(self, other): return _ops.gt(self, other)
    def __ge__(self, other): return _ops.ge(self, other)

    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)
    def __ifloordiv__(self, other): return self.floor_divide_(other)
    def __imod__(self, other): return self.remainder_(other)
    def __ipow__(self, other): return self.pow_(other)
    def __imatmul__(self, other): return self.copy_(_ops.matmul(self, other))
    def __iand__(self, other): return self.bitwise_and_(other)
    def __ior__(self, other): return self.bitwise_or_(other)
    def __ixor__(self, other): return self.bitwise_xor_(other)

    def __getitem__(self, key): return _ops.getitem(self, key)
    def __setitem__(self, key, value): _ops.setitem(self, key, value)

    # ------------------------------------------------------------------ math (see tinynn.ops)
    def add(self, other, *, alpha=1): return _ops.add(self, other, alpha=alpha)
    def sub(self, other, *, alpha=1): return _ops.sub(self, other, alpha=alpha)
    subtract = sub
    def mul(self, other): return _ops.mul(self, other)
    multiply = mul
    def div(self, other, *, rounding_mode=None): return _ops.div(self, other, rounding_mode=rounding_mode)
    divide = div
    true_divide = div
    def floor_divide(self, other): return _ops.floor_divide(self, other)
    def remainder(self, other): return _ops.remainder(self, other)
    def fmod(self, other): return _ops.fmod(self, other)
    def pow(self, exponent): return _ops.pow(self, exponent)
    def float_power(self, exponent): return _ops.float_power(self, exponent)
    def neg(self): return _ops.neg(self)
    negative = neg
    def abs(self): return _ops.abs(self)
    absolute = abs
    def sign(self): return _ops.sign(self)
    def sgn(self): return _ops.sgn(self)
    def exp(self): return _ops.exp(self)
    def hypot(self, other): return _ops.hypot(self, other)
    def logaddexp(self, other): return _ops.logaddexp(self, other)
    def logaddexp2(self, other): return _ops.logaddexp2(self, other)
    def xlogy(self, other): return _ops.xlogy(self, other)
    def logit(self, eps=None): return _ops.logit(self, eps)
    def erfinv(self): return _ops.erfinv(self)
    def sinc(self): return _ops.sinc(self)
    def copysign(self, other): return _ops.copysign(self, other)
    def signbit(self): return _ops.signbit(self)
    def heaviside(self, values): return _ops.heaviside(self, values)
    def ldexp(self, other): return _ops.ldexp(self, other)
    def nextafter(self, other): return _ops.nextafter(self, other)
    def kthvalue(self, k, dim=-1, keepdim=False): return _ops.kthvalue(self, k, dim, keepdim)
    def cummax(self, dim): return _ops.cummax(self, dim)
    def cummin(self, dim): return _ops.cummin(self, dim)
    def bincount(self, weights=None, minlength=0): return _ops.bincount(self, weights, minlength)
    def histc(self, bins=100, min=0, max=0): return _ops.histc(self, bins, min, max)
    def diff(self, n=1, dim=-1, prepend=None, append=None): return _ops.diff(self, n, dim, prepend, append)
    def rot90(self, k=1, dims=(0, 1)): return _ops.rot90(self, k, dims)
    def dist(self, other, p=2): return _ops.dist(self, other, p)
    def renorm(self, p, dim, maxnorm): return _ops.renorm(self, p, dim, maxnorm)
    def exp2(self): return _ops.exp2(self)
    def expm1(self): return _ops.expm1(self)
    def log(self): return _ops.log(self)
    def log2(self): return _ops.log2(self)
    def log10(self): return _ops.log10(self)
    def log1p(self): return _ops.log1p(self)
    def sqrt(self): return _ops.sqrt(self)
    def rsqrt(self): return _ops.rsqrt(self)
    def reciprocal(self): return _ops.reciprocal(self)
    def square(self): return _ops.square(self)
    def sin(self): return _ops.sin(self)
    def cos(self): return _ops.cos(self)
    def tan(self): return _ops.tan(self)
    def asin(self): return _ops.asin(self)
    arcsin = asin
    def acos(self): return _ops.acos(self)
    arccos = acos
    def atan(self): return _ops.atan(self)
    arctan = atan
    def atan2(self, other): return _ops.atan2(self, other)
    arctan2 = atan2
    def sinh(self): return _ops.sinh(self)
    def cosh(self): return _ops.cosh(self)
    def tanh(self): return _ops.tanh(self)
    def sigmoid(self): return _ops.sigmoid(self)
    def relu(self): return _ops.relu(self)
    def erf(self): return _ops.erf(self)
    def clamp(self, min=None, max=None): return _ops.clamp(self, min, max)
    clip = clamp
    def clamp_min(self, min): return _ops.clamp_min(self, min)
    def clamp_max(self, max): return _ops.clamp_max(self, max)
    def maximum(self, other): return _ops.maximum(self, other)
    def minimum(self, other): return _ops.minimum(self, other)
    def where(self, condition, other): return _ops.where(condition, self, other)
    def lerp(self, end, weight): return _ops.lerp(self, end, weight)
    def addcmul(self, tensor1, tensor2, *, value=1): return _ops.addcmul(self, tensor1, tensor2, value=value)
    def addcdiv(self, tensor1, tensor2, *, value=1): return _ops.addcdiv(self, tensor1, tensor2, value=value)
    def floor(self): return _ops.floor(self)
    def ceil(self): return _ops.ceil(self)
    def round(self, *, decimals=0): return _ops.round(self, decimals=decimals)
    def trunc(self): return _ops.trunc(self)
    def frac(self): return _ops.frac(self)
    def eq(self, other): return _ops.eq(self, other)
    def ne(self, other): return _ops.ne(self, other)
    def lt(self, other): return _ops.lt(self, other)
    def le(self, other): return _ops.le(self, other)
    def gt(self, other): return _ops.gt(self, other)
    def ge(self, other): return _ops.ge(self, other)
    greater = gt
    less = lt
    greater_equal = ge
    less_equal = le
    not_equal = ne
    def equal(self, other): return _ops.equal(self, other)
    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.allclose(self, other, rtol, atol, equal_nan)
    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.isclose(self, other, rtol, atol, equal_nan)
    def logical_and(self, other): return _ops.logical_and(self, other)
    def logical_or(self, other): return _ops.logical_or(self, other)
    def logical_not(self): return _ops.logical_not(self)
    def logical_xor(self, other): return _ops.logical_xor(self, other)
    def bitwise_not(self): return _ops.bitwise_not(self)
    def bitwise_and(self, other): return _ops.bitwise_and(self, other)
    def bitwise_or(self, other): return _ops.bitwise_or(self, other)
    def bitwise_xor(self, other): return _ops.bitwise_xor(self, other)
    def isnan(self): return _ops.isnan(self)
    def isinf(self): return _ops.isinf(self)
    def isfinite(self): return _ops.isfinite(self)
    def nan_to_num(self, nan=0.0, posinf=None, neginf=None): return _ops.nan_to_num(self, nan, posinf, neginf)
    def softmax(self, dim, dtype=None): return _ops.softmax(self, dim, dtype=dtype)
    def log_softmax(self, dim, dtype=None): return _ops.log_softmax(self, dim, dtype=dtype)

    # reductions
    def sum(self, *args, **kwargs): return _ops.sum(self, *args, **kwargs)
    def nansum(self, *args, **kwargs): return _ops.nansum(self, *args, **kwargs)
    def mean(self, *args, **kwargs): return _ops.mean(self, *args, **kwargs)
    def nanmean(self, *args, **kwargs): return _ops.nanmean(self, *args, **kwargs)
    def prod(self, *args, **kwargs): return _ops.prod(self, *args, **kwargs)
    def var(self, *args, **kwargs): return _ops.var(self, *args, **kwargs)
    def std(self, *args, **kwargs): return _ops.std(self, *args, **kwargs)
    def max(self, *args, **kwargs): return _ops.max(self, *args, **kwargs)
    def min(self, *args, **kwargs): return _ops.min(self, *args, **kwargs)
    def amax(self, *args, **kwargs): return _ops.amax(self, *args, **kwargs)
    def amin(self, *args, **kwargs): return _ops.amin(self, *args, **kwargs)
    def aminmax(self, *args, **kwargs): return _ops.aminmax(self, *args, **kwargs)
    def argmax(self, *args, **kwargs): return _ops.argmax(self, *args, **kwargs)
    def argmin(self, *args, **kwargs): return _ops.argmin(self, *args, **kwargs)
    def median(self, *args, **kwargs): return _ops.median(self, *args, **kwargs)
    def nanmedian(self, *args, **kwargs): return _ops.nanmedian(self, *args, **kwargs)
    def mode(self, *args, **kwargs): return _ops.mode(self, *args, **kwargs)
    def logsumexp(self, *args, **kwargs): return _ops.logsumexp(self, *args, **kwargs)
    def norm(self, *args, **kwargs): return _ops.norm(self, *args, **kwargs)
    def cumsum(self, *args, **kwargs): return _ops.cumsum(self, *args, **kwargs)
    def cumprod(self, *args, **kwargs): return _ops.cumprod(self, *args, **kwargs)
    def all(self, *args, **kwargs): return _ops.all(self, *args, **kwargs)
    def any(self, *args, **kwargs): return _ops.any(self, *args, **kwargs)
    def count_nonzero(self, *args, **kwargs): return _ops.count_nonzero(self, *args, **kwargs)

    # linear algebra
    def matmul(self, other): return _ops.matmul(self, other)
    def mm(self, mat2): return _ops.mm(self, mat2)
    def bmm(self, mat2): return _ops.bmm(self, mat2)
    def mv(self, vec): return _ops.mv(self, vec)
    def dot(self, other): return _ops.dot(self, other)
    def inner(self, other): return _ops.inner(self, other)
    def outer(self, vec2): return _ops.outer(self, vec2)
    ger = outer
    def addmm(self, mat1, mat2, *, beta=1, alpha=1): return _ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)
    def trace(self): return _ops.trace(self)
    def diag(self, diagonal=0): return _ops.diag(self, diagonal)
    def diagonal(self, offset=0, dim1=0, dim2=1): return _ops.diagonal(self, offset, dim1, dim2)
    def tril(self, diagonal=0): return _ops.tril(self, diagonal)
    def triu(self, diagonal=0): return _ops.triu(self, diagonal)
    def vdot(self, other): return _ops.vdot(self, other)
    def addmv(self, mat, vec, *, beta=1, alpha=1): return _ops.addmv(self, mat, vec, beta=beta, alpha=alpha)
    def addr(self, vec1, vec2, *, beta=1, alpha=1): return _ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)
    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1): return _ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)
    def addbmm(self, batch1, batch2, *, beta=1, alpha=1): return _ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)
    def cov(self, *, correction=1, fweights=None, aweights=None): return _ops.cov(self, correction=correction, fweights=fweights, aweights=aweights)
    def corrcoef(self): return _ops.corrcoef(self)

    # shapes and views
    def view(self, *shape): return _ops.view(self, *shape)
    def view_as(self, other): return _ops.view(self, other.shape)
    def reshape(self, *shape): return _ops.reshape(self, *shape)
    def reshape_as(self, other): return _ops.reshape(self, other.shape)
    def flatten(self, start_dim=0, end_dim=-1): return _ops.flatten(self, start_dim, end_dim)
    def unflatten(self, dim, sizes): return _ops.unflatten(self, dim, sizes)
    def squeeze(self, dim=None): return _ops.squeeze(self, dim)
    def unsqueeze(self, dim): return _ops.unsqueeze(self, dim)
    def permute(self, *dims): return _ops.permute(self, *dims)
    def transpose(self, dim0, dim1): return _ops.transpose(self, dim0, dim1)
    swapaxes = transpose
    swapdims = transpose
    def t(self): return _ops.t(self)
    @property
    def T(self): return _ops.permute(self, *reversed(range(self._data.ndim)))
    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                               f"{self._data.ndim}-D tensor.")
        return _ops.transpose(self, -2, -1)
    @property
    def H(self): return _ops.t(self)
    @property
    def mH(self): return _ops.transpose(self, -2, -1)
    def expand(self, *sizes): return _ops.expand(self, *sizes)
    def expand_as(self, other): return _ops.expand(self, other.shape)
    def broadcast_to(self, size): return _ops.expand(self, size)
    def sum_to_size(self, *size): return _ops.sum_to_size(self, *size)
    def repeat(self, *sizes): return _ops.repeat(self, *sizes)
    def tile(self, *dims): return _ops.tile(self, *dims)
    def repeat_interleave(self, repeats, dim=None): return _ops.repeat_interleave(self, repeats, dim)
    def split(self, split_size, dim=0): return _ops.split(self, split_size, dim)
    def chunk(self, chunks, dim=0): return _ops.chunk(self, chunks, dim)
    def unbind(self, dim=0): return _ops.unbind(self, dim)
    def narrow(self, dim, start, length): return _ops.narrow(self, dim, start, length)
    def flip(self, *dims): return _ops.flip(self, *dims)
    def fliplr(self): return _ops.flip(self, 1)
    def flipud(self): return _ops.flip(self, 0)
    def roll(self, shifts, dims=None): return _ops.roll(self, shifts, dims)
    def movedim(self, source, destination): return _ops.movedim(self, source, destination)
    moveaxis = movedim
    def unfold(self, dimension, size, step): return _ops.unfold(self, dimension, size, step)
    def select(self, dim, index): return _ops.select(self, dim, index)
    def ravel(self): return _ops.ravel(self)
    def tensor_split(self, indices_or_sections, dim=0): return _ops.tensor_split(self, indices_or_sections, dim)
    def diag_embed(self, offset=0, dim1=-2, dim2=-1): return _ops.diag_embed(self, offset, dim1, dim2)
    def as_strided(self, size, stride, storage_offset=None): return _ops.as_strided(self, size, stride, storage_offset)

    # indexing
    def gather(self, dim, index): return _ops.gather(self, dim, index)
    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        return _ops.scatter(self, dim, index, src, value=value, reduce=reduce)
    def scatter_add(self, dim, index, src): return _ops.scatter_add(self, dim, index, src)
    def index_select(self, dim, index): return _ops.index_select(self, dim, index)
    def index_add(self, dim, index, source, *, alpha=1): return _ops.index_add(self, dim, index, source, alpha=alpha)
    def index_fill(self, dim, index, value): return _ops.index_fill(self, dim, index, value)
    def masked_fill(self, mask, value): return _ops.masked_fill(self, mask, value)
    def masked_select(self, mask): return _ops.masked_select(self, mask)
    def masked_scatter(self, mask, source): return _ops.masked_scatter(self, mask, source)
    def take(self, index): return _ops.take(self, index)
    def take_along_dim(self, indices, dim=None): return _ops.take_along_dim(self, indices, dim)
    def nonzero(self, *, as_tuple=False): return _ops.nonzero(self, as_tuple=as_tuple)
    def topk(self, k, dim=-1, largest=True, sorted=True): return _ops.topk(self, k, dim, largest, sorted)
    def sort(self, dim=-1, descending=False, stable=False): return _ops.sort(self, dim, descending, stable=stable)
    def argsort(self, dim=-1, descending=False, stable=False): return _ops.argsort(self, dim, descending, stable=stable)
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _ops.unique(self, sorted, return_inverse, return_counts, dim)
    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _ops.unique_consecutive(self, return_inverse, return_counts, dim)
    def index_copy(self, dim, index, source): return _ops.index_copy(self, dim, index, source)
    def index_put(self, indices, values, accumulate=False): return _ops.index_put(self, indices, values, accumulate)
    def msort(self): return _ops.msort(self)
    def argwhere(self): return _ops.argwhere(self)

    # ------------------------------------------------------------------ in-place
    def add_(self, other, *, alpha=1): return _ops.inplace(self, _ops.add, other, alpha=alpha)
    def sub_(self, other, *, alpha=1): return _ops.inplace(self, _ops.sub, other, alpha=alpha)
    subtract_ = sub_
    def mul_(self, other): return _ops.inplace(self, _ops.mul, other)
    def hypot_(self, other): return _ops.inplace(self, _ops.hypot, other)
    def xlogy_(self, other): return _ops.inplace(self, _ops.xlogy, other)
    def logit_(self, eps=None): return _ops.inplace(self, _ops.logit, eps)
    def erfinv_(self): return _ops.inplace(self, _ops.erfinv)
    def sinc_(self): return _ops.inplace(self, _ops.sinc)
    def copysign_(self, other): return _ops.inplace(self, _ops.copysign, other)
    def heaviside_(self, values): return _ops.inplace(self, _ops.heaviside, values)
    def ldexp_(self, other): return _ops.inplace(self, _ops.ldexp, other)
    def nextafter_(self, other): return _ops.inplace(self, _ops.nextafter, other)
    def renorm_(self, p, dim, maxnorm): return _ops.inplace(self, _ops.renorm, p, dim, maxnorm)
    multiply_ = mul_
    def div_(self, other, *, rounding_mode=None): return _ops.inplace(self, _ops.div, other, rounding_mode=rounding_mode)
    divide_ = div_
    true_divide_ = div_
    def floor_divide_(self, other): return _ops.inplace(self, _ops.floor_divide, other)
    def remainder_(self, other): return _ops.inplace(self, _ops.remainder, other)
    def fmod_(self, other): return _ops.inplace(self, _ops.fmod, other)
    def pow_(self, exponent): return _ops.inplace(self, _ops.pow, exponent)
    def neg_(self): return _ops.inplace(self, _ops.neg)
    def abs_(self): return _ops.inplace(self, _ops.abs)
    def sign_(self): return _ops.inplace(self, _ops.sign)
    def exp_(self): return _ops.inplace(self, _ops.exp)
    def log_(self): return _ops.inplace(self, _ops.log)
    def log1p_(self): return _ops.inplace(self, _ops.log1p)
    def sqrt_(self): return _ops.inplace(self, _ops.sqrt)
    def rsqrt_(self): return _ops.inplace(self, _ops.rsqrt)
    def reciprocal_(self): return _ops.inplace(self, _ops.reciprocal)
    def square_(self): return _ops.inplace(self, _ops.square)
    def sin_(self): return _ops.inplace(self, _ops.sin)
    def cos_(self): return _ops.inplace(self, _ops.cos)
    def tanh_(self): return _ops.inplace(self, _ops.tanh)
    def sigmoid_(self): return _ops.inplace(self, _ops.sigmoid)
    def relu_(self): return _ops.inplace(self, _ops.relu)
    def floor_(self): return _ops.inplace(self, _ops.floor)
    def ceil_(self): return _ops.inplace(self, _ops.ceil)
    def round_(self, *, decimals=0): return _ops.inplace(self, _ops.round, decimals=decimals)
    def trunc_(self): return _ops.inplace(self, _ops.trunc)
    def exp2_(self): return _ops.inplace(self, _ops.exp2)
    def expm1_(self): return _ops.inplace(self, _ops.expm1)
    def log2_(self): return _ops.inplace(self, _ops.log2)
    def log10_(self): return _ops.inplace(self, _ops.log10)
    def tan_(self): return _ops.inplace(self, _ops.tan)
    def asin_(self): return _ops.inplace(self, _ops.asin)
    def acos_(self): return _ops.inplace(self, _ops.acos)
    def atan_(self): return _ops.inplace(self, _ops.atan)
    def atan2_(self, other): return _ops.inplace(self, _ops.atan2, other)
    def sinh_(self): return _ops.inplace(self, _ops.sinh)
    def cosh_(self): return _ops.inplace(self, _ops.cosh)
    def erf_(self): return _ops.inplace(self, _ops.erf)
    def frac_(self): return _ops.inplace(self, _ops.frac)
    def sgn_(self): return _ops.inplace(self, _ops.sgn)
    def float_power_(self, exponent): return _ops.inplace(self, _ops.float_power, exponent)
    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None): return _ops.inplace(self, _ops.nan_to_num, nan, posinf, neginf)
    def logical_not_(self): return _ops.inplace(self, _ops.logical_not)
    def logical_and_(self, other): return _ops.inplace(self, _ops.logical_and, other)
    def logical_or_(self, other): return _ops.inplace(self, _ops.logical_or, other)
    def logical_xor_(self, other): return _ops.inplace(self, _ops.logical_xor, other)
    def bitwise_not_(self): return _ops.inplace(self, _ops.bitwise_not)
    def bitwise_and_(self, other): return _ops.inplace(self, _ops.bitwise_and, other)
    def bitwise_or_(self, other): return _ops.inplace(self, _ops.bitwise_or, other)
    def bitwise_xor_(self, other): return _ops.inplace(self, _ops.bitwise_xor, other)
    def clamp_(self, min=None, max=None): return _ops.inplace(self, _ops.clamp, min, max)
    clip_ = clamp_
    def clamp_min_(self, min): return _ops.inplace(self, _ops.clamp_min, min)
    def clamp_max_(self, max): return _ops.inplace(self, _ops.clamp_max, max)
    def lerp_(self, end, weight): return _ops.inplace(self, _ops.lerp, end, weight)
    def addcmul_(self, tensor1, tensor2, *, value=1): return _ops.inplace(self, _ops.addcmul, tensor1, tensor2, value=value)
    def addcdiv_(self, tensor1, tensor2, *, value=1): return _ops.inplace(self, _ops.addcdiv, tensor1, tensor2, value=value)
    def masked_fill_(self, mask, value): return _ops.inplace(self, _ops.masked_fill, mask, value)
    def index_fill_(self, dim, index, value): return _ops.inplace(self, _ops.index_fill, dim, index, value)
    def index_add_(self, dim, index, source, *, alpha=1): return _ops.inplace(self, _ops.index_add, dim, index, source, alpha=alpha)
    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return _ops.inplace(self, _ops.scatter, dim, index, src, value=value, reduce=reduce)
    def scatter_add_(self, dim, index, src): return _ops.inplace(self, _ops.scatter_add, dim, index, src)
    def index_copy_(self, dim, index, source): return _ops.inplace(self, _ops.index_copy, dim, index, source)
    def masked_scatter_(self, mask, source): return _ops.inplace(self, _ops.masked_scatter, mask, source)
    def index_put_(self, indices, values, accumulate=False): return _ops.index_put_(self, indices, values, accumulate)
    def copy_(self, src, non_blocking=False): return _ops.copy_(self, src)
    def zero_(self): return _ops.fill_(self, 0)
    def fill_(self, value): return _ops.fill_(self, value)
    def uniform_(self, a=0.0, b=1.0, *, generator=None): return _ops.uniform_(self, a, b, generator=generator)
    def normal_(self, mean=0.0, std=1.0, *, generator=None): return _ops.normal_(self, mean, std, generator=generator)
    def bernoulli_(self, p=0.5, *, generator=None): return _ops.bernoulli_(self, p, generator=generator)
    def exponential_(self, lambd=1.0, *, generator=None): return _ops.exponential_(self, lambd, generator=generator)
    def random_(self, *args, generator=None): return _ops.random_(self, *args, generator=generator)
    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None): return _ops.cauchy_(self, median, sigma, generator=generator)
    def log_normal_(self, mean=1.0, std=2.0, *, generator=None): return _ops.log_normal_(self, mean, std, generator=generator)
    def geometric_(self, p, *, generator=None): return _ops.geometric_(self, p, generator=generator)
    def squeeze_(self, dim=None): return _ops.inplace_view(self, _ops.squeeze, dim)
    def unsqueeze_(self, dim): return _ops.inplace_view(self, _ops.unsqueeze, dim)
    def t_(self): return _ops.inplace_view(self, _ops.t)
    def transpose_(self, dim0, dim1): return _ops.inplace_view(self, _ops.transpose, dim0, dim1)
    swapaxes_ = transpose_
    swapdims_ = transpose_
    def resize_(self, *sizes): return _ops.resize_(self, *sizes)

    # random sampling
    def bernoulli(self, *, generator=None): return _ops.bernoulli(self, generator=generator)
    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _ops.multinomial(self, num_samples, replacement, generator=generator)


class _RetainGradHook:
    """Marks the retain_grad hook so the engine can run it after the user's tensor hooks."""
    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, g):
        self.fn(g)


_LEGACY_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
                 "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
                 "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}
_LEGACY_TYPES = {v: getattr(_dtype, k if k != "bool" else "bool_") for k, v in _LEGACY_NAMES.items()}


def _comparable(v) -> bool:
    """`t == v` compares elementwise with tensors, numbers and arrays; anything else is unequal."""
    return isinstance(v, (Tensor, int, float, complex)) or hasattr(v, "__array__")


def _is_device_arg(a) -> bool:
    from .backend import device as _device  # noqa: PLC0415
    return isinstance(a, (str, _device)) or (isinstance(a, int) and not isinstance(a, bool))


def _is_dtype_arg(a) -> bool:
    return isinstance(a, _dtype.dtype) or a in (float, int, bool, complex) or isinstance(a, np.dtype) \
        or (isinstance(a, type) and issubclass(a, np.generic))


def _parse_to(args, kwargs):
    """(device, dtype, copy) from Tensor.to's arguments, raising TypeError like PyTorch's parser."""
    kw = dict(kwargs)
    dev = kw.pop("device", None)
    dt = kw.pop("dtype", None)
    non_blocking = kw.pop("non_blocking", False)
    copy = kw.pop("copy", False)
    kw.pop("memory_format", None)
    if kw:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kw))}'")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        if dev is not None or dt is not None:
            raise TypeError("to() received an invalid combination of arguments - got (Tensor, device=/"
                            "dtype=): to(other) takes the device and dtype of other")
        dev, dt = other.device, other.dtype
    elif rest and _is_dtype_arg(rest[0]):
        if dt is not None or dev is not None:
            raise TypeError("to() received an invalid combination of arguments - got (dtype, ...) with "
                            "device= or dtype=")
        dt = rest.pop(0)
    else:
        if rest and (rest[0] is None or _is_device_arg(rest[0])):
            if dev is not None:
                raise TypeError("to() received an invalid combination of arguments - got (device, "
                                "device=...)")
            dev = rest.pop(0)
            if rest and (rest[0] is None or _is_dtype_arg(rest[0])):
                if dt is not None:
                    raise TypeError("to() received an invalid combination of arguments - got "
                                    "(device, dtype, dtype=...)")
                dt = rest.pop(0)
    if rest and isinstance(rest[0], bool):
        non_blocking = rest.pop(0)
    if rest and isinstance(rest[0], bool):
        copy = rest.pop(0)
    if rest:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected "
                        f"{type(rest[0]).__name__} argument {rest[0]!r}")
    return dev, dt, bool(copy)


def _grad_enabled() -> bool:
    from .autograd.grad_mode import _state  # noqa: PLC0415
    return _state.enabled


def _rebuild(arr, device, requires_grad):
    t = Tensor._make(to_device(np.array(arr), as_device(device)))
    t._requires_grad = requires_grad
    return t


from .autograd import function as _function  # noqa: E402

_function.Tensor = Tensor  # Function.apply wraps results without importing on every call
from . import ops as _ops  # noqa: E402  (the one upward import: Tensor methods call the ops)

