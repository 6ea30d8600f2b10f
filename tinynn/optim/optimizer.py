"""Optimizer: the base class every optimizer builds on (PyTorch's layout).

The base class owns `param_groups`, the per-parameter `state`, `zero_grad`, `state_dict` and
`load_state_dict`. A subclass writes one per-parameter update, `_update(p, grad, state, group)`,
that works on raw arrays in place: `p._data` is changed where it lies, so parameters keep their
identity and device, and no autograd graph is recorded. State tensors are created with
`xp.zeros_like(p._data)` on the parameter's device at the first step; later steps reuse them and a
small per-optimizer workspace of scratch arrays, so a step allocates (almost) nothing.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from itertools import chain

from ..autograd.grad_mode import enable_grad
from ..backend import array_device, axpby, get_array_module, to_device, to_host
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    """torch.typename: 'tinynn.FloatTensor' for a tensor, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in (None, "builtins") else f"{module}.{name}"


def _to_scalar(x):
    """A hyper-parameter as a Python number (a 1-element tensor lr/beta becomes its value)."""
    return x.item() if isinstance(x, Tensor) else x


def _step_tensor(value=0.0) -> Tensor:
    """A 0-dim CPU tensor counting steps, as PyTorch keeps `state['step']` (float64 when that is
    the default dtype, else float32). It stays on the CPU so bias corrections need no device sync."""
    from .._dtype import float32, float64, get_default_dtype  # noqa: PLC0415
    from ..ops.creation import tensor  # noqa: PLC0415
    dt = float64 if get_default_dtype() == float64 else float32
    return tensor(float(value), dtype=dt, device="cpu")


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of Tensors, of dicts (parameter groups with their own options), or of
            (name, Tensor) pairs.
        defaults: the default value of every option, used where a group does not give one.
    """

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors "
                            "or dicts, but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._scratch: dict = {}

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------ pickling / printing
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._scratch = {}

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ------------------------------------------------------------------ parameter groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a parameter group (a dict with 'params' and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use a "
                            "list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names "
                                 "are missing")
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            import warnings  # noqa: PLC0415
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, "
                          "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                          "more information", stacklevel=3)

        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._data[...] = 0
                    g._bump()

    # ------------------------------------------------------------------ stepping
    def step(self, closure=None):
        """Perform one optimisation step; `closure` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._prepare_group(group)
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                self._update(p, g._data, self.state[p], group)
                p._bump()  # an in-place change: graphs that saved p see it
        return loss

    def _prepare_group(self, group: dict) -> None:
        """Hook run once per group and step before the per-parameter updates."""

    def _update(self, p: Tensor, grad, state: dict, group: dict) -> None:
        """Update `p._data` in place from the raw gradient array `grad`."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers for subclasses
    def _buf(self, like, slot: int = 0):
        """A scratch array shaped like `like` (same device and dtype), reused across steps.

        One flat buffer per (device, dtype, slot) serves every parameter, so the workspace costs at
        most `slot count x largest parameter` and a step allocates no new arrays."""
        key = (array_device(like), like.dtype, slot)
        buf = self._scratch.get(key)
        n = like.size
        if buf is None or buf.size < n:
            buf = get_array_module(like).empty(n, dtype=like.dtype)
            self._scratch[key] = buf
        return buf[:n].reshape(like.shape)

    @staticmethod
    def _zeros_state(d) -> Tensor:
        return Tensor._make(get_array_module(d).zeros_like(d))

    @staticmethod
    def _sync_state(state: dict, d) -> None:
        """Move/cast the array state of a parameter to its current device and dtype.

        An optimizer made before `model.to(device)` (or `.double()`) keeps working: parameters keep
        their identity, and their state follows them here on the next step."""
        for k, v in state.items():
            if isinstance(v, Tensor) and k != "step":
                a = v._data
                if type(a) is not type(d) or a.dtype != d.dtype or array_device(a) != array_device(d):
                    v._data = to_device(a, array_device(d)).astype(d.dtype, copy=False)

    def _grad_with_decay(self, d, grad, weight_decay: float, maximize: bool):
        """g = (-grad if maximize else grad) + weight_decay * param, in scratch space when needed."""
        xp = get_array_module(d)
        if weight_decay != 0:
            g = xp.multiply(d, weight_decay, out=self._buf(d, 0))
            if maximize:
                g -= grad
            else:
                g += grad
            return g
        if maximize:
            return xp.negative(grad, out=self._buf(d, 0))
        return grad

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """{'state': {index: per-parameter state}, 'param_groups': [{..., 'params': [indices]}]}."""
        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state dict made by `state_dict()`: state tensors are copied onto each parameter's
        device (and cast to its dtype, except the step counters)."""
        state_dict = dict(state_dict)
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                             "size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                if key == "step":  # step counters stay on the CPU, in their own dtype
                    a = to_host(value._data)
                    return Tensor._make(a.copy() if a is value._data else a)
                a = to_device(value._data, array_device(param._data))
                if not param.is_floating_point():
                    a = a.copy() if a is value._data else a
                else:
                    a = a.astype(param._data.dtype, copy=a is value._data)
                return Tensor._make(a)
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, (str, bytes)):
                return value
            if isinstance(value, Iterable):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            k_int = int(k) if isinstance(k, str) and k.isdigit() else k  # JSON turns keys to str
            if k_int in id_map:
                param = id_map[k_int]
                state[param] = cast(param, v)
                step = state[param].get("step")
                if step is not None and not isinstance(step, Tensor) and isinstance(step, (int, float)) \
                        and self._tensor_step:
                    state[param]["step"] = _step_tensor(float(step))
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                new_group.setdefault(name, default)
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

    # state['step'] is a tensor in this optimizer (False for LBFGS, whose counters are ints)
    _tensor_step = True


# ---------------------------------------------------------------------------------------------
# In-place array kernels shared by the optimizers. Each mirrors one PyTorch in-place method and
# writes through `out=` into the state array or a scratch array, so nothing new is allocated.
# ---------------------------------------------------------------------------------------------
def _lerp_(a, end, weight: float, tmp) -> None:
    """a.lerp_(end, weight), with PyTorch's two formulas (exact at weight 0 and 1)."""
    xp = get_array_module(a)
    xp.subtract(end, a, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight          # a + w * (end - a)
        a += tmp
    else:
        tmp *= 1.0 - weight    # end - (end - a) * (1 - w)
        xp.subtract(end, tmp, out=a)


def _addcmul_(a, t1, t2, value: float, tmp) -> None:
    """a.addcmul_(t1, t2, value=value): a += value * t1 * t2."""
    xp = get_array_module(a)
    xp.multiply(t1, value, out=tmp)
    tmp *= t2
    a += tmp


def _add_scaled_(a, x, alpha: float, tmp) -> None:
    """a.add_(x, alpha=alpha): a += alpha * x (`tmp` may be `x` itself when x is scratch)."""
    if axpby(alpha, x, 1.0, a):
        return
    xp = get_array_module(a)
    xp.multiply(x, alpha, out=tmp)
    a += tmp
