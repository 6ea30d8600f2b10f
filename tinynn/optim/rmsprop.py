"""RMSprop (with momentum, centered, weight decay, maximize), following PyTorch's update."""
from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, _add_scaled_, _addcmul_, _lerp_, _step_tensor, _to_scalar

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """v = alpha * v + (1 - alpha) * g * g; avg = sqrt(v - m*m if centered else v) + eps;
    with momentum b = momentum * b + g / avg, p -= lr * b; else p -= lr * g / avg."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        d = p._data
        xp = get_array_module(d)
        lr = _to_scalar(group["lr"])
        alpha = group["alpha"]
        momentum = group["momentum"]
        centered = group["centered"]
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["square_avg"] = self._zeros_state(d)
            if momentum > 0:
                state["momentum_buffer"] = self._zeros_state(d)
            if centered:
                state["grad_avg"] = self._zeros_state(d)
        else:
            self._sync_state(state, d)
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = self._zeros_state(d)
            if centered and "grad_avg" not in state:
                state["grad_avg"] = self._zeros_state(d)
        state["step"]._data += 1

        g = self._grad_with_decay(d, grad, group["weight_decay"], group["maximize"])
        square_avg = state["square_avg"]._data
        avg = self._buf(d, 1)
        square_avg *= alpha
        _addcmul_(square_avg, g, g, 1 - alpha, avg)
        if centered:
            grad_avg = state["grad_avg"]._data
            _lerp_(grad_avg, g, 1 - alpha, avg)
            # avg = sqrt(square_avg - grad_avg * grad_avg)
            xp.multiply(grad_avg, -1, out=avg)
            avg *= grad_avg
            avg += square_avg
            xp.sqrt(avg, out=avg)
        else:
            xp.sqrt(square_avg, out=avg)
        avg += group["eps"]

        if momentum > 0:
            buf = state["momentum_buffer"]._data
            buf *= momentum
            buf += xp.divide(g, avg, out=avg)  # buf.addcdiv_(g, avg)
            _add_scaled_(d, buf, -lr, avg)
        else:
            upd = xp.divide(g, avg, out=avg)   # p.addcdiv_(g, avg, value=-lr)
            upd *= -lr
            d += upd
