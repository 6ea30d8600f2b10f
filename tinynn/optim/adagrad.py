"""Adagrad (with lr decay, weight decay, initial accumulator value, maximize), as PyTorch's."""
from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, _addcmul_, _step_tensor, _to_scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """s += g * g; p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps).

    As in PyTorch the state (`step`, `sum`) is created when the optimizer is built."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p._data, group)

    @staticmethod
    def _init_state(state, d, group):
        state["step"] = _step_tensor()
        state["sum"] = Tensor._make(get_array_module(d).full_like(d, group["initial_accumulator_value"]))

    def _update(self, p, grad, state, group):
        d = p._data
        xp = get_array_module(d)
        if "sum" not in state:  # a parameter group added after construction
            self._init_state(state, d, group)
        else:
            self._sync_state(state, d)
        step_t = state["step"]
        step_t._data += 1
        step = float(step_t._data)
        g = self._grad_with_decay(d, grad, group["weight_decay"], group["maximize"])
        clr = _to_scalar(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        state_sum = state["sum"]._data
        std = self._buf(d, 1)
        _addcmul_(state_sum, g, g, 1, std)
        xp.sqrt(state_sum, out=std)
        std += group["eps"]
        upd = xp.divide(g, std, out=std)  # p.addcdiv_(g, std, value=-clr)
        upd *= -clr
        d += upd
