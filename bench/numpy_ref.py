"""Hand-written NumPy forward/backward for the benchmark models (the reference tinynn is held to).

Each model takes its weights as a dict in PyTorch's `state_dict` layout (`0.weight`, `0.bias`, ...:
the names of an `nn.Sequential`), so the benchmark gives all frameworks the same numbers, and
offers the three things the benchmark times:

    loss = model.forward_backward(x, y)  # mean cross-entropy; gradients left in model.grads
    loss = model.step(x, y)              # forward_backward + SGD with momentum (PyTorch's rule)
    logits = model.forward(x)            # inference only (no caches kept)

Everything is float32 and written the way a careful NumPy programmer would: one GEMM per layer and
direction, `out=` where a buffer can be reused, the first layer skips its input gradient.

    MLP:  Linear(784,512)-ReLU-Linear(512,256)-ReLU-Linear(256,10)      (widths configurable)
    CNN:  Conv(1,16,3,p1)-ReLU-MaxPool2-Conv(16,32,3,p1)-ReLU-MaxPool2-Flatten-Linear(1568,128)
          -ReLU-Linear(128,10)
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


# ------------------------------------------------------------------------------ shared pieces
def cross_entropy(z, y):
    """Mean cross-entropy of logits z (N, K) and labels y, and its gradient dz (N, K)."""
    n = z.shape[0]
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, y]))
    e /= s                       # softmax
    e[rows, y] -= 1.0
    e *= np.float32(1.0 / n)     # d(mean)/dz
    return loss, e


class _SGD:
    """SGD with momentum as PyTorch's: buf = g at the first step, then buf = m*buf + g; p -= lr*buf."""

    def __init__(self, params, lr, momentum):
        self.params, self.lr, self.momentum = params, np.float32(lr), np.float32(momentum)
        self.bufs = {}
        self.tmp = {k: np.empty_like(v) for k, v in params.items()}

    def step(self, grads):
        for k, p in self.params.items():
            g = grads[k]
            buf = self.bufs.get(k)
            if buf is None:
                buf = self.bufs[k] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            tmp = np.multiply(buf, self.lr, out=self.tmp[k])
            p -= tmp


# ------------------------------------------------------------------------------ MLP
class MLP:
    """Linear-ReLU-...-Linear with weights {'0.weight', '0.bias', '2.weight', ...}."""

    def __init__(self, state, lr=0.01, momentum=0.9):
        self.params = {k: np.array(v, dtype=np.float32) for k, v in state.items()}
        self.names = sorted({int(k.split(".")[0]) for k in self.params})
        self.opt = _SGD(self.params, lr, momentum)
        self.grads = {}

    def forward(self, x):
        h = x
        last = self.names[-1]
        for i in self.names:
            h = h @ self.params[f"{i}.weight"].T
            h += self.params[f"{i}.bias"]
            if i != last:
                np.maximum(h, 0, out=h)
        return h

    def forward_backward(self, x, y):
        acts = [x]
        h = x
        last = self.names[-1]
        for i in self.names:
            h = h @ self.params[f"{i}.weight"].T
            h += self.params[f"{i}.bias"]
            if i != last:
                np.maximum(h, 0, out=h)
                acts.append(h)
        loss, g = cross_entropy(h, y)
        grads = self.grads
        for j in range(len(self.names) - 1, -1, -1):
            i = self.names[j]
            a = acts[j]
            w = self.params[f"{i}.weight"]
            grads[f"{i}.weight"] = g.T @ a
            grads[f"{i}.bias"] = g.sum(axis=0)
            if j > 0:            # the first layer's input needs no gradient
                g = g @ w
                g *= a > 0       # ReLU backward (a is the ReLU output)
        return loss

    def step(self, x, y):
        loss = self.forward_backward(x, y)
        self.opt.step(self.grads)
        return loss


# ------------------------------------------------------------------------------ CNN
def _im2col(x, k, pad):
    """(N, C, H, W) -> columns (C*k*k, N*H*W) of the zero-padded input (stride 1, 'same' size)."""
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype)
    xp[:, :, pad:pad + h, pad:pad + w] = x
    s = xp.strides
    v = as_strided(xp, (c, k, k, n, h, w), (s[1], s[2], s[3], s[0], s[2], s[3]))
    return np.ascontiguousarray(v).reshape(c * k * k, n * h * w)


def _col2im(cols, shape, k, pad):
    """The adjoint of _im2col: (C*k*k, N*H*W) columns summed back into an (N, C, H, W) array."""
    n, c, h, w = shape
    gp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    v = cols.reshape(c, k, k, n, h, w)
    for i in range(k):
        for j in range(k):
            gp[:, :, i:i + h, j:j + w] += v[:, i, j].transpose(1, 0, 2, 3)
    return gp[:, :, pad:pad + h, pad:pad + w]


def _conv_forward(x, w, b, pad):
    n, _, h, wd = x.shape
    o = w.shape[0]
    cols = _im2col(x, w.shape[2], pad)
    y = w.reshape(o, -1) @ cols                       # (O, N*H*W): one GEMM
    y = y.reshape(o, n, h, wd).transpose(1, 0, 2, 3)
    return y + b.reshape(1, o, 1, 1), cols            # bias add fused with the layout copy


def _conv_backward(g, w, cols, x_shape, pad, need_input):
    o = w.shape[0]
    gT = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(o, -1)   # (O, N*H*W)
    gw = (gT @ cols.T).reshape(w.shape)
    gb = gT.sum(axis=1)
    gx = _col2im(w.reshape(o, -1).T @ gT, x_shape, w.shape[2], pad) if need_input else None
    return gx, gw, gb


def _maxpool2(x):
    """2x2/2 max pooling of (N, C, H, W) with even H, W by a reshape; also the argmax mask."""
    n, c, h, w = x.shape
    v = x.reshape(n, c, h // 2, 2, w // 2, 2)
    y = v.max(axis=(3, 5))
    mask = v == y[:, :, :, None, :, None]   # ties only among ReLU zeros, whose gradient is 0 anyway
    return y, mask


def _maxpool2_backward(g, mask):
    n, c, h2, _, w2, _ = mask.shape
    gx = mask * g[:, :, :, None, :, None]
    return gx.reshape(n, c, 2 * h2, 2 * w2)


class CNN:
    """The benchmark CNN with weights named as its nn.Sequential: 0 and 3 (convs), 7 and 9 (linears)."""

    def __init__(self, state, lr=0.01, momentum=0.9):
        self.params = {k: np.array(v, dtype=np.float32) for k, v in state.items()}
        self.opt = _SGD(self.params, lr, momentum)
        self.grads = {}

    def forward(self, x):
        p = self.params
        h, _ = _conv_forward(x, p["0.weight"], p["0.bias"], 1)
        h, _ = _maxpool2(np.maximum(h, 0, out=h))
        h, _ = _conv_forward(h, p["3.weight"], p["3.bias"], 1)
        h, _ = _maxpool2(np.maximum(h, 0, out=h))
        h = h.reshape(h.shape[0], -1)
        h = h @ p["7.weight"].T + p["7.bias"]
        np.maximum(h, 0, out=h)
        return h @ p["9.weight"].T + p["9.bias"]

    def forward_backward(self, x, y):
        p, grads = self.params, self.grads
        n = x.shape[0]
        a1, cols1 = _conv_forward(x, p["0.weight"], p["0.bias"], 1)
        np.maximum(a1, 0, out=a1)
        q1, m1 = _maxpool2(a1)
        a2, cols2 = _conv_forward(q1, p["3.weight"], p["3.bias"], 1)
        np.maximum(a2, 0, out=a2)
        q2, m2 = _maxpool2(a2)
        f = q2.reshape(n, -1)
        a3 = f @ p["7.weight"].T
        a3 += p["7.bias"]
        np.maximum(a3, 0, out=a3)
        z = a3 @ p["9.weight"].T
        z += p["9.bias"]
        loss, g = cross_entropy(z, y)

        grads["9.weight"] = g.T @ a3
        grads["9.bias"] = g.sum(axis=0)
        g = g @ p["9.weight"]
        g *= a3 > 0
        grads["7.weight"] = g.T @ f
        grads["7.bias"] = g.sum(axis=0)
        g = (g @ p["7.weight"]).reshape(q2.shape)
        g = _maxpool2_backward(g, m2)
        g *= a2 > 0
        g, grads["3.weight"], grads["3.bias"] = _conv_backward(g, p["3.weight"], cols2, q1.shape, 1,
                                                               True)
        g = _maxpool2_backward(g, m1)
        g *= a1 > 0
        _, grads["0.weight"], grads["0.bias"] = _conv_backward(g, p["0.weight"], cols1, x.shape, 1,
                                                               False)
        return loss

    def step(self, x, y):
        loss = self.forward_backward(x, y)
        self.opt.step(self.grads)
        return loss
