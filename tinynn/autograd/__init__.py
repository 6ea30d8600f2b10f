"""tinynn.autograd: Function, backward, grad, grad modes, anomaly detection and gradcheck."""
from __future__ import annotations

from . import function, grad_mode  # noqa: F401
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)

__all__ = ["Function", "FunctionCtx", "once_differentiable", "backward", "grad", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "gradcheck", "gradgradcheck", "Variable"]


def _as_tuple(x):
    if x is None:
        return ()
    from ..tensor import Tensor  # noqa: PLC0415
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grads, is_grads_batched=False):
    """Default gradient 1 for scalar outputs; check given gradients' shapes."""
    from ..tensor import Tensor  # noqa: PLC0415
    out = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if not o._requires_grad:
                continue
            if o._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if o._data.dtype.kind not in "fc":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but "
                                   f"got {o.dtype}")
            xp = _xp(o)
            g = Tensor._make(xp.ones(o._data.shape, dtype=o._data.dtype))
        elif not isinstance(g, Tensor):
            if isinstance(g, (int, float)):
                g = Tensor._make(_xp(o).full(o._data.shape, g, dtype=o._data.dtype))
            else:
                raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        else:
            if g._data.shape != o._data.shape:
                if g._data.size == o._data.size == 1:
                    g = g.reshape(o._data.shape)
                else:
                    raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                       f"tinynn.Size({list(g.shape)}) and output[{i}] has a shape of "
                                       f"tinynn.Size({list(o.shape)}).")
            if type(g._data) is not type(o._data):
                raise RuntimeError(f"invalid gradient at index {i} - expected device {o.device} but got "
                                   f"{g.device}")
            if g._data.dtype != o._data.dtype:
                g = g.to(o.dtype)
        out.append((o, g))
    return out


def _check_grad_types(arg, grads, n):
    """PyTorch's TypeError for a gradient that is not a tensor (a string, bytes or a dict passed
    as `gradient` is refused as such, before its length is compared with the outputs')."""
    from ..tensor import Tensor  # noqa: PLC0415
    if arg is not None and not isinstance(arg, (Tensor, list, tuple, int, float)):
        raise TypeError(f"gradients can be either Tensors or None, but got {type(arg).__name__}")
    for g in grads[:n]:
        if g is not None and not isinstance(g, (Tensor, int, float)):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")


def _xp(t):
    from ..backend import get_array_module  # noqa: PLC0415
    return get_array_module(t._data)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """Accumulate into leaves' `.grad` the gradients of `tensors` (weighted by `grad_tensors`)."""
    from ..tensor import Tensor  # noqa: PLC0415
    from .engine import run_backward  # noqa: PLC0415
    if grad_variables is not None:
        grad_tensors = grad_variables
    tensors = _as_tuple(tensors)
    if not tensors:
        raise RuntimeError("backward() requires at least one tensor")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"backward() expects Tensors, got {type(t).__name__}")
    if grad_tensors is not None and not isinstance(grad_tensors, (Tensor, list, tuple)):
        _check_grad_types(grad_tensors, (), 0)
    grads = _as_tuple(grad_tensors) if not isinstance(grad_tensors, Tensor) else (grad_tensors,)
    if not grads:
        grads = (None,) * len(tensors)
    _check_grad_types(None, grads, len(tensors))
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grads)} gradients")
    for i, t in enumerate(tensors):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    pairs = _make_grads(tensors, grads)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs) if inputs is not None else None
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    res = run_backward([p[0] for p in pairs], [p[1] for p in pairs], retain_graph, create_graph,
                       inputs=inputs)
    if inputs is not None:
        from .engine import _accumulate  # noqa: PLC0415
        for t, g in zip(inputs, res):
            if g is not None:
                _accumulate(t, g, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, as a tuple (nothing is accumulated)."""
    from ..tensor import Tensor  # noqa: PLC0415
    from .engine import run_backward  # noqa: PLC0415
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            raise TypeError(f"grad(): outputs must be Tensors, got {type(o).__name__}")
        if not o._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    if allow_unused is None:
        allow_unused = materialize_grads
    if grad_outputs is not None and not isinstance(grad_outputs, (Tensor, list, tuple)):
        _check_grad_types(grad_outputs, (), 0)
    grads = _as_tuple(grad_outputs) if not isinstance(grad_outputs, Tensor) else (grad_outputs,)
    if not grads:
        grads = (None,) * len(outputs)
    _check_grad_types(None, grads, len(outputs))
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    pairs = _make_grads(outputs, grads)
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward([p[0] for p in pairs], [p[1] for p in pairs], retain_graph, create_graph,
                       inputs=inputs)
    out = []
    for t, g in zip(inputs, res):
        if g is None:
            if materialize_grads:
                g = Tensor._make(_xp(t).zeros_like(t._data))
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in "
                                   "the graph. Set allow_unused=True if this is the desired behavior.")
        elif not create_graph:
            g = g.detach()
        out.append(g)
    return tuple(out)


def Variable(data, requires_grad=False, volatile=False):  # noqa: N802 - legacy PyTorch API
    """Legacy `autograd.Variable`: since PyTorch 0.4 it simply returns a tensor."""
    from ..tensor import Tensor  # noqa: PLC0415
    t = data if isinstance(data, Tensor) else Tensor(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


from .gradcheck import gradcheck, gradgradcheck  # noqa: E402
