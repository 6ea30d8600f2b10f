"""Fused recurrent layers: one Function runs a whole layer (one direction) over the time steps.

Built from single ops, an LSTM step is a dozen graph nodes (matmul, add, chunk, three sigmoids, two
tanh, ...) and as many again in backward; at typical sizes the per-node overhead, not the
arithmetic, decides the speed. Here forward loops over time on raw arrays and saves the gate
activations; backward loops back over time and leaves the weight gradients to ONE GEMM over all
steps at the end (dW_hh = sum_t dgates_t^T h_{t-1}).

The input projections (x W_ih^T + b_ih for every step) stay outside, as one differentiable matmul;
the Function takes them as `xw` (L, N, G). Double backward: when the backward itself is recorded
(create_graph=True), the layer is recomputed with Tensor ops from the saved inputs and
differentiated with autograd.grad, so higher-order gradients are exact.
"""
from __future__ import annotations

from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_state
from ..backend import get_array_module
from ..tensor import Tensor

__all__ = []


def _sigmoid(xp, a, out=None):
    # 1 / (1 + exp(-a)), computed in place on `out`
    out = xp.negative(a, out=out)
    xp.exp(out, out=out)
    out += 1
    xp.reciprocal(out, out=out)
    return out


class _RNNLayer(Function):
    """One recurrent layer in one direction. mode: 'LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU'.

    Inputs: xw (L, N, G*H) input projections (for LSTM and RNN with b_hh already added), h0 (N, Hout),
    c0 (N, H) or None, w_hh (G*H, Hout), b_hh (G*H,) for GRU or None, w_hr (Hout, H) or None.
    Returns out (L, N, Hout), h_n, c_n (None unless LSTM)."""
    node_name = "RnnLayerBackward0"

    @staticmethod
    def forward(ctx, xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse):
        X = xw._data
        xp = get_array_module(X)
        L, N, G = X.shape
        h = h0._data
        whT = w_hh._data.T
        order = range(L - 1, -1, -1) if reverse else range(L)
        Hout = h.shape[-1]
        out = xp.empty((L, N, Hout), dtype=X.dtype)
        hprev = xp.empty((L, N, Hout), dtype=X.dtype)  # h_{t-1} seen by step t (for dW_hh)
        saved = {}
        if mode == "LSTM":
            H = G // 4
            c = c0._data
            acts = xp.empty((L, N, G), dtype=X.dtype)   # i, f, g, o after their nonlinearities
            cs = xp.empty((L, N, H), dtype=X.dtype)     # c_t
            cprev = xp.empty((L, N, H), dtype=X.dtype)  # c_{t-1}
            tcs = xp.empty((L, N, H), dtype=X.dtype)    # tanh(c_t)
            ms = xp.empty((L, N, H), dtype=X.dtype) if w_hr is not None else None  # o * tanh(c_t)
            whrT = w_hr._data.T if w_hr is not None else None
            for t in order:
                hprev[t] = h
                cprev[t] = c
                a = acts[t]
                xp.matmul(h, whT, out=a)
                a += X[t]
                _sigmoid(xp, a[:, :2 * H], out=a[:, :2 * H])
                xp.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
                _sigmoid(xp, a[:, 3 * H:], out=a[:, 3 * H:])
                i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
                c = f * c
                c += i * g
                cs[t] = c
                xp.tanh(c, out=tcs[t])
                m = o * tcs[t]
                if ms is not None:
                    ms[t] = m
                    h = m @ whrT
                else:
                    h = m
                out[t] = h
            saved = dict(acts=acts, cs=cs, cprev=cprev, tcs=tcs, ms=ms)
            c_n = c
        elif mode == "GRU":
            H = G // 3
            gates = xp.empty((L, N, G), dtype=X.dtype)  # r, z, n after their nonlinearities
            ghn = xp.empty((L, N, H), dtype=X.dtype)    # W_hn h + b_hn
            bh = b_hh._data if b_hh is not None else None
            for t in order:
                hprev[t] = h
                gh = h @ whT
                if bh is not None:
                    gh += bh
                a = gates[t]
                xp.add(X[t, :, :2 * H], gh[:, :2 * H], out=a[:, :2 * H])
                _sigmoid(xp, a[:, :2 * H], out=a[:, :2 * H])
                r, z = a[:, :H], a[:, H:2 * H]
                ghn[t] = gh[:, 2 * H:]
                n = a[:, 2 * H:]
                xp.multiply(r, gh[:, 2 * H:], out=n)
                n += X[t, :, 2 * H:]
                xp.tanh(n, out=n)
                h = h - n
                h *= z
                h += n  # (1 - z) * n + z * h
                out[t] = h
            saved = dict(gates=gates, ghn=ghn)
            c_n = None
        else:
            relu = mode == "RNN_RELU"
            for t in order:
                hprev[t] = h
                a = h @ whT
                a += X[t]
                h = xp.maximum(a, 0, out=a) if relu else xp.tanh(a, out=a)
                out[t] = h
            c_n = None
        ctx.conf = (mode, reverse)
        out_t = Tensor._make(out)
        if getattr(ctx, "needs_input_grad", None) is not None:
            saved = {k: v for k, v in saved.items() if v is not None}
            ctx.aux_keys = ("hprev",) + tuple(saved)
            # the outputs themselves are needed only by the plain RNN's derivative (1 - h^2 or
            # h > 0); LSTM/GRU keep their own copies, so an in-place op on their output is fine
            keep_out = out_t if mode.startswith("RNN") else None
            ctx.save_for_backward(xw, h0, c0, w_hh, b_hh, w_hr, keep_out, Tensor._make(hprev),
                                  *(Tensor._make(v) for v in saved.values()))
        h_n = out[order[-1]].copy() if L else h.copy()
        return out_t, h_n, (c_n.copy() if c_n is not None else None)

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        saved = ctx.saved_tensors
        xw, h0, c0, w_hh, b_hh, w_hr, out_t = saved[:7]
        mode, reverse = ctx.conf
        if _grad_state.enabled:  # create_graph: differentiate a Tensor-op recomputation
            return _backward_graph(ctx, (xw, h0, c0, w_hh, b_hh, w_hr), (g_out, g_hn, g_cn))
        arr = {k: v._data for k, v in zip(ctx.aux_keys, saved[7:])}
        arr["out"] = out_t._data if out_t is not None else None
        arr.setdefault("ms", None)
        X = xw._data
        xp = get_array_module(X)
        L, N, G = X.shape
        W = w_hh._data
        order = range(L) if reverse else range(L - 1, -1, -1)  # backward runs time the other way
        go = g_out._data if g_out is not None else None
        dh = g_hn._data.copy() if g_hn is not None else xp.zeros(h0._data.shape, dtype=X.dtype)
        dX = xp.empty((L, N, G), dtype=X.dtype)
        hprev = arr["hprev"]
        gw_hr = None
        if mode == "LSTM":
            H = G // 4
            acts, tcs, cprev = arr["acts"], arr["tcs"], arr["cprev"]
            ms = arr["ms"]
            Whr = w_hr._data if w_hr is not None else None
            dc = g_cn._data.copy() if g_cn is not None else xp.zeros((N, H), dtype=X.dtype)
            # derivatives of the gate nonlinearities for every step at once
            der = acts.copy()
            der[..., :2 * H] *= 1 - acts[..., :2 * H]                      # sigmoid' = s (1 - s)
            der[..., 2 * H:3 * H] = 1 - acts[..., 2 * H:3 * H] ** 2        # tanh' = 1 - t^2
            der[..., 3 * H:] *= 1 - acts[..., 3 * H:]
            dtc_fac = 1 - tcs * tcs
            dhs = xp.empty((L, N, Whr.shape[0]), dtype=X.dtype) if Whr is not None else None
            for t in order:
                if go is not None:
                    dh += go[t]
                if Whr is not None:  # h_t = m_t W_hr^T
                    dhs[t] = dh
                    dm = dh @ Whr
                else:
                    dm = dh
                a = acts[t]
                i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
                d = dX[t]
                xp.multiply(dm, tcs[t], out=d[:, 3 * H:])                  # d o
                dc += dm * o * dtc_fac[t]                                   # through tanh(c_t)
                xp.multiply(dc, g, out=d[:, :H])                            # d i
                xp.multiply(dc, cprev[t], out=d[:, H:2 * H])                # d f
                xp.multiply(dc, i, out=d[:, 2 * H:3 * H])                   # d g
                dc *= f                                                     # dc_{t-1}
                d *= der[t]                                                 # pre-activations
                dh = d @ W                                                  # dh_{t-1}
            if Whr is not None:  # dW_hr = sum_t dh_t^T m_t: one GEMM
                gw_hr = dhs.reshape(L * N, -1).T @ ms.reshape(L * N, -1)
            gc0 = dc
        elif mode == "GRU":
            H = G // 3
            gates, ghn = arr["gates"], arr["ghn"]
            dgh = xp.empty((L, N, G), dtype=X.dtype)  # gradient w.r.t. h W_hh^T + b_hh
            for t in order:
                if go is not None:
                    dh += go[t]
                a = gates[t]
                r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
                d = dX[t]
                dn = dh * (1 - z)
                dn *= 1 - n * n                                             # pre-activation of n
                d[:, 2 * H:] = dn
                xp.multiply(dn, r, out=dgh[t, :, 2 * H:])                   # d (W_hn h + b_hn)
                dr = dn * ghn[t]
                dr *= r * (1 - r)
                d[:, :H] = dr
                dz = dh * (hprev[t] - n)
                dz *= z * (1 - z)
                d[:, H:2 * H] = dz
                dgh[t, :, :2 * H] = d[:, :2 * H]
                dh = dh * z + dgh[t] @ W
            gc0 = None
        else:
            outs = arr["out"]
            relu = mode == "RNN_RELU"
            for t in order:
                if go is not None:
                    dh += go[t]
                d = dX[t]
                if relu:
                    xp.multiply(dh, outs[t] > 0, out=d)
                else:
                    xp.multiply(dh, 1 - outs[t] * outs[t], out=d)
                dh = d @ W
            gc0 = None
        needs = ctx.needs_input_grad
        dpre = dgh if mode == "GRU" else dX  # gradient w.r.t. h_{t-1} W_hh^T (+ b_hh)
        gw = dpre.reshape(L * N, G).T @ hprev.reshape(L * N, -1) if needs[3] else None  # one GEMM
        gb = dpre.reshape(L * N, G).sum(0) if b_hh is not None and needs[4] else None
        return (Tensor._make(dX) if needs[0] else None, Tensor._make(dh) if needs[1] else None,
                Tensor._make(gc0) if gc0 is not None and needs[2] else None,
                Tensor._make(gw) if gw is not None else None,
                Tensor._make(gb) if gb is not None else None,
                Tensor._make(gw_hr) if gw_hr is not None and needs[5] else None, None, None)


def _backward_graph(ctx, inputs, grads):
    """Backward by recomputing the layer with differentiable Tensor ops (for create_graph=True)."""
    from ..autograd import grad as _grad  # noqa: PLC0415
    xw, h0, c0, w_hh, b_hh, w_hr = inputs
    mode, reverse = ctx.conf
    out, h_n, c_n = _composite(xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse)
    outs, gos = [], []
    for o, g in zip((out, h_n, c_n), grads):
        if o is not None and g is not None:
            outs.append(o)
            gos.append(g)
    wanted = [(k, t) for k, t in enumerate(inputs) if t is not None and ctx.needs_input_grad[k]]
    res = _grad(outs, [t for _, t in wanted], gos, create_graph=True, allow_unused=True)
    full = [None] * 8
    for (k, t), g in zip(wanted, res):
        full[k] = g if g is not None else t * 0
    return tuple(full)


def _composite(xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse):
    """The same layer from single differentiable ops (used only to build higher derivatives)."""
    from .. import ops  # noqa: PLC0415
    L = xw.shape[0]
    steps = xw.unbind(0)
    whT = w_hh.t()
    outs = [None] * L
    h, c = h0, c0
    for t in (range(L - 1, -1, -1) if reverse else range(L)):
        gx = steps[t]
        if mode == "LSTM":
            i, f, g, o = (gx + ops.matmul(h, whT)).chunk(4, 1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
            if w_hr is not None:
                h = ops.matmul(h, w_hr.t())
        elif mode == "GRU":
            gh = ops.matmul(h, whT)
            if b_hh is not None:
                gh = gh + b_hh
            H = h.shape[-1]
            r = (gx[:, :H] + gh[:, :H]).sigmoid()
            z = (gx[:, H:2 * H] + gh[:, H:2 * H]).sigmoid()
            n = (gx[:, 2 * H:] + r * gh[:, 2 * H:]).tanh()
            h = n + z * (h - n)
        else:
            pre = gx + ops.matmul(h, whT)
            h = pre.relu() if mode == "RNN_RELU" else pre.tanh()
        outs[t] = h
    return ops.stack(outs), h, c


def rnn_layer(xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse):
    """Run one layer/direction: (out (L, N, Hout), h_n, c_n)."""
    return _RNNLayer.apply(xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse)
