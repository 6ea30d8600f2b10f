"""Adam (with AMSGrad, maximize, L2 or decoupled weight decay), following PyTorch's update."""
from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, _addcmul_, _lerp_, _step_tensor, _to_scalar

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam: m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g * g;
    p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps).

    With `amsgrad` the running maximum of v is used; with `decoupled_weight_decay` (AdamW) the
    parameter is first scaled by (1 - lr * weight_decay) instead of adding the decay to g.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor) and b.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        d = p._data
        xp = get_array_module(d)
        lr = _to_scalar(group["lr"])
        beta1, beta2 = (_to_scalar(b) for b in group["betas"])
        weight_decay = group["weight_decay"]
        amsgrad = group["amsgrad"]

        if len(state) == 0:
            state["step"] = _step_tensor()
            state["exp_avg"] = self._zeros_state(d)
            state["exp_avg_sq"] = self._zeros_state(d)
            if amsgrad:
                state["max_exp_avg_sq"] = self._zeros_state(d)
        else:
            self._sync_state(state, d)
            if amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = self._zeros_state(d)
        step_t = state["step"]
        step_t._data += 1
        step = float(step_t._data)

        if weight_decay != 0 and group["decoupled_weight_decay"]:
            d *= 1 - lr * weight_decay
            g = self._grad_with_decay(d, grad, 0, group["maximize"])
        else:
            g = self._grad_with_decay(d, grad, weight_decay, group["maximize"])

        exp_avg = state["exp_avg"]._data
        exp_avg_sq = state["exp_avg_sq"]._data
        tmp = self._buf(d, 1)
        _lerp_(exp_avg, g, 1 - beta1, tmp)
        exp_avg_sq *= beta2
        _addcmul_(exp_avg_sq, g, g, 1 - beta2, tmp)

        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5

        if amsgrad:
            max_sq = state["max_exp_avg_sq"]._data
            xp.maximum(max_sq, exp_avg_sq, out=max_sq)
            denom = xp.sqrt(max_sq, out=tmp)
        else:
            denom = xp.sqrt(exp_avg_sq, out=tmp)
        denom /= bias_correction2_sqrt
        denom += group["eps"]
        # p.addcdiv_(exp_avg, denom, value=-step_size)
        upd = xp.divide(exp_avg, denom, out=tmp)
        upd *= -step_size
        d += upd
