"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (PyTorch's rule)."""
from __future__ import annotations

from ..backend import axpby, get_array_module, is_cuda_array
from ..tensor import Tensor
from .optimizer import Optimizer, _add_scaled_, _to_scalar

__all__ = ["SGD"]

# elements per block of the blocked momentum update: three 128 KiB blocks and a scratch block stay
# in the L2 cache between the update's four passes
_BLOCK = 1 << 15


def _momentum_step_(p, buf, g, momentum: float, neg_lr: float, tmp) -> None:
    """buf = momentum * buf + g; p += -lr * buf, block by block (same arithmetic, same order).

    Done array by array, each of the four passes streams whole parameter-sized arrays through
    memory; block by block, each block is read from memory once and the passes run in cache
    (W1's SGD-momentum step, 1 thread: 0.38 -> 0.27 ms on its largest weight). With MKL, two
    BLAS-1 passes instead, which MKL runs on every thread (2 threads: 0.29 -> 0.11 ms)."""
    if axpby(1.0, g, momentum, buf):
        if not axpby(neg_lr, buf, 1.0, p):
            p += neg_lr * buf
        return
    xp = get_array_module(p)
    pf, bf, gf = p.reshape(-1), buf.reshape(-1), g.reshape(-1)
    for i in range(0, pf.size, _BLOCK):
        b = bf[i:i + _BLOCK]
        b *= momentum
        b += gf[i:i + _BLOCK]
        t = tmp[:b.size]
        xp.multiply(b, neg_lr, out=t)
        pf[i:i + _BLOCK] += t


class SGD(Optimizer):
    """Stochastic gradient descent.

    g = grad (+ weight_decay * p); with momentum: b = momentum * b + (1 - dampening) * g (b = g at
    the first step), g = g + momentum * b (Nesterov) or g = b; then p -= lr * g.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        d = p._data
        lr = _to_scalar(group["lr"])
        momentum = group["momentum"]
        g = self._grad_with_decay(d, grad, group["weight_decay"], group["maximize"])
        owned = g is not grad  # g lives in scratch space and may be overwritten
        if momentum != 0:
            buf_t = state.get("momentum_buffer")
            if buf_t is None:
                # the first buffer is the gradient itself (no dampening at the first step)
                buf_t = state["momentum_buffer"] = Tensor._make(g.copy())
                buf = buf_t._data
            else:
                self._sync_state(state, d)
                buf = buf_t._data
                dampening = group["dampening"]
                if (dampening == 0 and not group["nesterov"] and not is_cuda_array(d)
                        and d.flags.c_contiguous and buf.flags.c_contiguous and g.flags.c_contiguous
                        and buf.dtype == d.dtype == g.dtype):
                    # the common case on the CPU: one blocked pass (a GPU runs each pass at once)
                    _momentum_step_(d, buf, g, momentum, -lr, self._buf(d, 2).reshape(-1))
                    return
                buf *= momentum
                if dampening == 0:
                    buf += g
                else:
                    _add_scaled_(buf, g, 1 - dampening, self._buf(d, 1))
            if group["nesterov"]:
                t = get_array_module(d).multiply(buf, momentum, out=self._buf(d, 1))
                t += g  # g + momentum * buf
                g, owned = t, True
            else:
                g, owned = buf, False
        _add_scaled_(d, g, -lr, g if owned else self._buf(d, 2))  # p += -lr * g
