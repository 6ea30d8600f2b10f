"""Adadelta (rho, eps, weight decay, maximize; default lr=1.0), following PyTorch's update."""
from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, _add_scaled_, _addcmul_, _step_tensor, _to_scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """v = rho * v + (1 - rho) * g * g; delta = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho * u + (1 - rho) * delta * delta; p -= lr * delta."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        d = p._data
        xp = get_array_module(d)
        rho, eps = group["rho"], group["eps"]
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["square_avg"] = self._zeros_state(d)
            state["acc_delta"] = self._zeros_state(d)
        else:
            self._sync_state(state, d)
        state["step"]._data += 1
        g = self._grad_with_decay(d, grad, group["weight_decay"], group["maximize"])
        square_avg = state["square_avg"]._data
        acc_delta = state["acc_delta"]._data
        std, delta, tmp = self._buf(d, 1), self._buf(d, 2), self._buf(d, 3)

        square_avg *= rho
        _addcmul_(square_avg, g, g, 1 - rho, tmp)
        xp.add(square_avg, eps, out=std)
        xp.sqrt(std, out=std)
        xp.add(acc_delta, eps, out=delta)
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        acc_delta *= rho
        _addcmul_(acc_delta, delta, delta, 1 - rho, tmp)
        _add_scaled_(d, delta, -_to_scalar(group["lr"]), delta)
