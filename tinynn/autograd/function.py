"""PyTorch's `autograd.Function` API: forward/backward side by side, a ctx, and graph nodes.

`Function.apply` runs `forward` with grad mode off. When an input requires grad (and grad mode is
on), the ctx it passed to `forward` becomes the graph node of the outputs: `y.grad_fn` is that ctx,
an instance of `<Name>Backward` (or the PyTorch name an op declares, e.g. `AddBackward0`), whose
`next_functions` point at the inputs' nodes. Leaves that require grad get an `AccumulateGrad` node.
"""
from __future__ import annotations

import functools
import itertools

from .anomaly_mode import _anomaly
from .grad_mode import _state

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "AccumulateGrad", "Node",
           "once_differentiable", "RemovableHandle"]

_seq = itertools.count()

_FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved tensors "
              "after they have already been freed). Saved intermediate values of the graph are freed "
              "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
              "backward through the graph a second time or if you need to access saved tensors after "
              "calling backward.")


class RemovableHandle:
    """Returned by register_*hook; `remove()` takes the hook out again."""
    _ids = itertools.count()

    def __init__(self, hooks_dict):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._ids)

    def remove(self):
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Node:
    """A node of the backward graph."""
    _is_accumulate = False

    def name(self) -> str:
        return type(self).__name__

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = {}
        h = RemovableHandle(self._post_hooks)
        self._post_hooks[h.id] = fn
        return h

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node's backward and may return replacements."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h.id] = fn
        return h

    def _add_tensor_hook(self, output_nr, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        hooks = self._tensor_hooks.setdefault(output_nr, {})
        h = RemovableHandle(hooks)
        hooks[h.id] = fn
        return h

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """The node of a leaf that requires grad: adds the incoming gradient into `variable.grad`."""
    _is_accumulate = True
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable
        self._seq = next(_seq)
        self._post_hooks = self._pre_hooks = self._tensor_hooks = None
        self.metadata = {}


class FunctionCtx:
    """The `ctx` passed to forward and backward."""
    to_save = dirty_tensors = non_differentiable = None
    materialize_grads = True

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    def mark_dirty(self, *tensors):
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value

    @property
    def saved_tensors(self):
        return tuple(self.to_save or ())


class _SavedTensor:
    """A tensor saved for backward, with the version it had when saved.

    An output of the node is stored without its grad_fn (that is the node itself: keeping it would
    make a reference cycle) and rebuilt when unpacked, as PyTorch's SavedVariable does."""
    __slots__ = ("tensor", "data", "vc", "version", "output_nr", "requires_grad", "node_ref")

    def __init__(self, t, node, output_nr):
        vc = t._vc
        if vc is None:
            vc = t._vc = [0]
        self.vc = vc
        self.version = vc[0]
        self.output_nr = output_nr
        if output_nr is None:
            self.tensor = t
            self.data = None
        else:
            self.tensor = None
            self.data = t._data
            self.requires_grad = t._requires_grad

    def unpack(self, node):
        if self.vc[0] != self.version:
            t = self.tensor
            desc = f"[{_type_name(t if t is not None else Tensor._make(self.data))}]"
            where = ""
            if self.output_nr is not None:
                where = f", which is output {self.output_nr} of {node.name()},"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {desc}{where} is at version {self.vc[0]}; expected version "
                f"{self.version} instead. Hint: the backtrace further above can help you find the "
                "operation that failed to compute its gradient. The variable in question was changed "
                "in there or anywhere later. Good luck!")
        if self.output_nr is None:
            return self.tensor
        t = Tensor._make(self.data)
        t._vc = self.vc
        if self.requires_grad:
            t._requires_grad = True
            t.grad_fn = node
            t._output_nr = self.output_nr
        return t


def _type_name(t):
    """PyTorch's 'torch.FloatTensor [2]' description of a tensor, with tinynn's module name."""
    return f"{t.type()} {list(t.shape)}"


class BackwardCFunction(FunctionCtx, Node):
    """Base of the per-Function node classes: the ctx that becomes `grad_fn`."""
    _forward_cls = None
    # class-level defaults, so creating a node writes only what differs (hot path)
    _post_hooks = _pre_hooks = _tensor_hooks = None
    _saved = None
    _freed = False
    materialize_grads = True
    to_save = dirty_tensors = non_differentiable = None

    def __init__(self):
        self._seq = next(_seq)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        saved = self._saved
        if saved is None:
            return ()
        return tuple([None if s is None else s.unpack(self) for s in saved])

    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self._next if e is not False)

    def _free(self):
        if self._saved is not None:
            self._saved = None
            self._freed = True

    def apply(self, *grad_outputs):
        return self._forward_cls.backward(self, *grad_outputs)


def once_differentiable(fn):
    """Decorate `backward` of a Function whose backward is not itself differentiable.

    Its gradient computation runs with grad mode off; asking for a second derivative through it
    raises a RuntimeError at that backward."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = _state.enabled
        _state.enabled = False
        try:
            outs = fn(ctx, *args)
        finally:
            _state.enabled = prev
        if not prev:
            return outs
        # create_graph is on: results would have no history, so mark them with a node that raises
        single = not isinstance(outs, tuple)
        res = []
        grad_args = [a for a in args if getattr(a, "requires_grad", False)]
        for o in ((outs,) if single else outs):
            if grad_args and o is not None and hasattr(o, "_data"):
                # connect the result to the incoming gradients through a node that refuses
                o = _DelayedError.apply(o, "trying to differentiate twice a function that was "
                                           "marked with @once_differentiable", *grad_args)
            res.append(o)
        return res[0] if single else tuple(res)
    return wrapper


class FunctionMeta(type):
    """Gives each Function subclass its node class (`<Name>Backward` or the declared `node_name`)."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        node_name = attrs.get("node_name") or f"{name}Backward"
        cls._backward_cls = type(node_name, (BackwardCFunction,), {"_forward_cls": cls,
                                                                   "__module__": cls.__module__})


class Function(metaclass=FunctionMeta):
    """Subclass with `@staticmethod forward(ctx, ...)` and `backward(ctx, *grad_outputs)`; call `apply`."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method. "
                           "(Example: https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        state = _state
        if state.enabled:
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    return cls._apply_recorded(args, kwargs)
            # forward runs with grad mode off, as PyTorch's
            state.enabled = False
            try:
                out = cls.forward(FunctionCtx(), *args, **kwargs)
            except (TypeError, ValueError):
                _check_devices(args)  # CuPy refusing a host array means mixed devices
                raise
            finally:
                state.enabled = True
        else:  # already off (no_grad, or a backward pass): nothing to switch (W4: -0.4 us per op)
            try:
                out = cls.forward(FunctionCtx(), *args, **kwargs)
            except (TypeError, ValueError):
                _check_devices(args)
                raise
        if out.__class__ is Tensor:
            return out
        if type(out) is tuple:
            return tuple(o if o is None or isinstance(o, Tensor) else Tensor._make(o) for o in out)
        if isinstance(out, Tensor) or out is None:
            return out
        return Tensor._make(out)

    @classmethod
    def _apply_recorded(cls, args, kwargs):
        """apply() when the result is recorded: the ctx becomes the outputs' grad_fn."""
        ctx = cls._backward_cls()
        # edges to the inputs' nodes: (node, input_nr, shape, dtype) per argument; None for a tensor
        # that does not require grad, False for a non-tensor argument
        nxt = []
        needs_grad = []
        for a in args:
            if isinstance(a, Tensor):
                if a._requires_grad:
                    fn = a.grad_fn
                    d = a._data
                    if fn is None:
                        nxt.append((a._grad_accumulator(), 0, d.shape, d.dtype))
                    else:
                        nxt.append((fn, a._output_nr, d.shape, d.dtype))
                    needs_grad.append(True)
                    continue
                nxt.append(None)
            else:
                nxt.append(False)
            needs_grad.append(False)
        ctx._next = nxt
        ctx.needs_input_grad = tuple(needs_grad)
        if _anomaly.enabled:
            _anomaly.record(ctx)
        state = _state
        state.enabled = False
        try:
            out = cls.forward(ctx, *args, **kwargs)
        except (TypeError, ValueError):
            _check_devices(args)
            raise
        finally:
            state.enabled = True
        if (out.__class__ is not tuple and ctx.dirty_tensors is None
                and ctx.non_differentiable is None and out is not None):
            return _record_one(ctx, args, out)
        return _record(ctx, args, out)


def _check_devices(args):
    """After a forward failed: raise PyTorch's RuntimeError if its tensors were on different devices.

    Costs nothing on success; gives every op the device error without a check of its own (CuPy
    raises TypeError on a host array, ValueError on an array of another GPU). A 0-dim CPU tensor
    next to GPU tensors is allowed, as a Python scalar would be."""
    from ..tensor import Tensor  # noqa: PLC0415
    devs = []
    for a in args:
        for t in (a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(t, Tensor) and not (t._data.ndim == 0 and t.device.type == "cpu"):
                d = t.device
                if d not in devs:
                    devs.append(d)
    if len(devs) > 1:
        a, b = sorted(str(d) for d in devs[:2])[::-1]
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {a} and {b}!") from None


def _record_one(ctx, args, out):
    """_record for the common case: one output, nothing marked dirty or non-differentiable
    (measured: -0.6 us of the ~5 us an op's recorded forward costs)."""
    if out.__class__ is not Tensor:
        if isinstance(out, Tensor):
            return _record(ctx, args, out)
        o = Tensor._make(out)
    else:
        o = out
        for a in args:
            if o is a:
                o = o._alias()  # returning an input unchanged makes a new tensor sharing its data
                break
    data = o._data
    ctx._out_meta = ((data.shape, data.dtype),)
    if data.dtype.kind in "fc":
        o._requires_grad = True
        o.grad_fn = ctx
        o._output_nr = 0
    to_save = ctx.to_save
    if to_save is not None:
        saved = []
        for t in to_save:
            if t is None:
                saved.append(None)
            elif isinstance(t, Tensor):
                saved.append(_SavedTensor(t, ctx, 0 if t is o else None))
            else:
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{len(saved)} is of type {type(t).__name__}")
        ctx._saved = saved
        ctx.to_save = None
    return o


def _record(ctx, args, out):
    """Make `ctx` the node producing `out` (the forward's result) from `args`."""
    single = type(out) is not tuple
    outs = (out,) if single else out
    dirty = ctx.dirty_tensors or ()
    nondiff = ctx.non_differentiable or ()
    results = []
    meta = []
    for i, o in enumerate(outs):
        if o is None:
            results.append(None)
            meta.append(None)
            continue
        if o.__class__ is not Tensor and not isinstance(o, Tensor):
            o = Tensor._make(o)
        elif dirty and any(o is d for d in dirty):
            # an input modified in place: it keeps its identity and takes this node as history
            if o.grad_fn is None and o._requires_grad and o._base is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                                   "operation.")
            o._bump()
        elif any(o is a for a in args):
            o = o._alias()  # returning an input unchanged makes a new tensor sharing its data
        data = o._data
        meta.append((data.shape, data.dtype))
        if data.dtype.kind in "fc" and not (nondiff and any(o is n for n in nondiff)):
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = i
        results.append(o)
    ctx._out_meta = meta

    to_save = ctx.to_save
    if to_save is not None:
        saved = []
        for t in to_save:
            if t is None:
                saved.append(None)
                continue
            if not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{len(saved)} is of type {type(t).__name__}")
            nr = None
            for j, r in enumerate(results):
                if r is t:
                    nr = j
                    break
            saved.append(_SavedTensor(t, ctx, nr))
        ctx._saved = saved
        ctx.to_save = None
    return results[0] if single else tuple(results)


class _DelayedError(Function):
    """Identity whose backward raises: marks results of a once_differentiable backward."""

    @staticmethod
    def forward(ctx, x, msg, *grad_args):
        ctx.msg = msg
        return x._data.copy()

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(ctx.msg)


Tensor = None  # set by tinynn.tensor once the class exists (avoids an import on every apply)
