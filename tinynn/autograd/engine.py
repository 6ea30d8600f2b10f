"""The backward engine: iterative, dependency-counted traversal of the graph (no recursion).

1. Discover the nodes reachable from the roots and count, for each, the edges that point at it.
2. If only some inputs are wanted (autograd.grad, backward(inputs=...)), keep the nodes that lead
   to them.
3. Run nodes whose consumers have all run, newest first (like PyTorch's sequence numbers),
   summing the gradients that arrive for each of their outputs; leaves' AccumulateGrad nodes add
   into `.grad`. Saved tensors are freed as each node finishes, unless retain_graph.
"""
from __future__ import annotations

import heapq
import sys
import threading

from . import grad_mode
from .function import AccumulateGrad
from .anomaly_mode import _anomaly

__all__ = ["run_backward", "queue_callback"]

# one list of final callbacks per running backward pass (a stack: backward may nest in a hook)
_final = threading.local()


def queue_callback(callback):
    """Run `callback()` once the current backward pass has finished, as PyTorch's
    `Variable._execution_engine.queue_callback` (DistributedDataParallel waits for its gradient
    all-reduces there)."""
    stack = getattr(_final, "stack", None)
    if not stack:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    stack[-1].append(callback)


def _sum_to(g, shape, node, i):
    """Reduce a broadcast gradient back to the input's shape (the engine's job, not each op's)."""
    if g.shape == shape:
        return g
    try:
        return g.sum_to_size(shape)
    except RuntimeError:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got "
                           f"{list(g.shape)} but expected shape compatible with {list(shape)}") from None


def _call_tensor_hooks(node, output_nr, g):
    hooks = node._tensor_hooks
    if hooks is not None and output_nr in hooks:
        fns = list(hooks[output_nr].values())
        # user hooks first, then retain_grad's (it must see the final gradient), as in PyTorch
        for fn in sorted(fns, key=lambda f: type(f).__name__ == "_RetainGradHook"):
            r = fn(g)
            if r is not None:
                g = r
    return g


def run_backward(roots, grads, retain_graph, create_graph, inputs=None):
    """Backpropagate `grads` from the root tensors.

    Without `inputs`, every leaf's `.grad` is accumulated; with `inputs`, nothing is accumulated and
    the gradient of each input is returned (None where it was not reached)."""
    from ..tensor import Tensor  # noqa: PLC0415

    # --- 1. discovery --------------------------------------------------------------------
    deps = {}
    start = []
    stack = []
    for t in roots:
        fn = t.grad_fn if t.grad_fn is not None else t._grad_accumulator()
        start.append((fn, t._output_nr if t.grad_fn is not None else 0))
        if fn not in deps:
            deps[fn] = 0
            stack.append(fn)
    while stack:
        fn = stack.pop()
        if fn._is_accumulate:
            continue
        for e in fn._next:
            if e:
                nxt = e[0]
                if nxt in deps:
                    deps[nxt] += 1
                else:
                    deps[nxt] = 1
                    stack.append(nxt)

    # --- 2. targets ----------------------------------------------------------------------
    capture = None  # (node, output_nr) -> slot in the result list
    if inputs is not None:
        capture = {}
        for k, t in enumerate(inputs):
            if t.grad_fn is not None:
                key = (t.grad_fn, t._output_nr)
            else:
                acc = t._grad_acc() if t._grad_acc is not None else None
                key = (acc, 0)
            capture.setdefault(key, []).append(k)
        needed = _needed_nodes(deps, {k[0] for k in capture if k[0] is not None})
    else:
        needed = None

    results = [None] * len(inputs) if inputs is not None else None
    buffers = {}
    for (fn, nr), g in zip(start, grads):
        buf = buffers.setdefault(fn, {})
        buf[nr] = g if nr not in buf else buf[nr] + g
    # (node, output_nr) whose buffered gradient the engine made itself (a sum): it may be summed
    # into in place (measured: the W3 op chain's 25-fold fan-in 1.6 -> 0.5 ms per backward)
    owned = None if create_graph else set()

    ready = []
    for fn, _ in start:
        if deps[fn] == 0 and fn in buffers:
            heapq.heappush(ready, (-fn._seq, fn))  # sequence numbers are unique: fn never compared
            deps[fn] = -1  # queued

    prev_mode = grad_mode._state.enabled
    grad_mode._state.enabled = create_graph
    callbacks = []
    stack = _final.__dict__.setdefault("stack", [])
    stack.append(callbacks)
    heappop, heappush = heapq.heappop, heapq.heappush
    plain = capture is None and not _anomaly.enabled  # the fast path below may be taken
    try:
        while ready:
            fn = heappop(ready)[1]
            buf = buffers.pop(fn, None)
            if fn._is_accumulate:
                if buf is not None and (needed is None or fn in needed):
                    _run_accumulate(fn, buf, capture, results, create_graph)
                continue
            if needed is not None and fn not in needed:
                pass
            elif (plain and buf is not None and 0 in buf and fn._pre_hooks is None
                  and fn._post_hooks is None and fn._tensor_hooks is None
                  and len(fn._out_meta) == 1):
                # the common node: one output whose gradient arrived, no hooks (inlined: the
                # W3 op chain's backward 4.4 -> 3.6 us per node)
                out = fn._forward_cls.backward(fn, buf[0])
                nxt = fn._next
                if out.__class__ is not tuple:
                    out = (out,)
                if len(out) != len(nxt):
                    _check_count(fn, out, nxt)
                _distribute(fn, nxt, out, buffers, owned, Tensor)
                out = None  # drop our references: a leaf's gradient that nobody else holds is stolen
                if not retain_graph:
                    fn._free()
            else:
                _run_node(fn, buf or {}, buffers, owned, capture, results, retain_graph,
                          create_graph, Tensor)
            for e in fn._next:
                if e:
                    nxt = e[0]
                    d = deps[nxt] - 1
                    if d == 0:
                        deps[nxt] = -1
                        heappush(ready, (-nxt._seq, nxt))
                    else:
                        deps[nxt] = d
        i = 0
        while i < len(callbacks):  # a callback may queue another
            callbacks[i]()
            i += 1
    finally:
        stack.pop()
        grad_mode._state.enabled = prev_mode
    return results


def _needed_nodes(deps, targets):
    """Nodes from which some target is reachable (iterative post-order)."""
    needed = set()
    state = {}
    for root in deps:
        if root in state:
            continue
        stack = [(root, False)]
        while stack:
            fn, done = stack.pop()
            if done:
                if fn in targets or (not fn._is_accumulate and
                                     any(e and e[0] in needed for e in fn._next)):
                    needed.add(fn)
                continue
            if fn in state:
                continue
            state[fn] = True
            stack.append((fn, True))
            if not fn._is_accumulate:
                for e in fn._next:
                    if e and e[0] not in state:
                        stack.append((e[0], False))
    return needed


def _run_node(fn, buf, buffers, owned, capture, results, retain_graph, create_graph, Tensor):
    """Run a function node in full generality (hooks, several outputs, captured inputs)."""
    meta = fn._out_meta
    if len(meta) == 1 and capture is None and fn._tensor_hooks is None and 0 in buf:
        grads = (buf[0],)
    else:
        grads = []
        for i in range(len(meta)):
            g = buf.get(i)
            if g is not None:
                g = _call_tensor_hooks(fn, i, g)
                if capture is not None and (fn, i) in capture:
                    for k in capture[(fn, i)]:
                        results[k] = g if results[k] is None else results[k] + g
            elif meta[i] is not None and fn.materialize_grads:
                from ..backend import get_array_module  # noqa: PLC0415
                shape, dt = meta[i]
                xp = _xp_of(fn, get_array_module, buf)
                g = Tensor._make(xp.zeros(shape, dtype=dt))
            grads.append(g)
    if fn._pre_hooks:
        for h in list(fn._pre_hooks.values()):
            r = h(tuple(grads))
            if r is not None:
                grads = list(r)

    out = fn.apply(*grads)
    nxt = fn._next
    if out.__class__ is not tuple:
        out = (out,)
    if len(out) != len(nxt):
        _check_count(fn, out, nxt)
    if _anomaly.enabled:
        _anomaly.check(fn, out)
    _distribute(fn, nxt, out, buffers, owned, Tensor)
    if fn._post_hooks:
        for h in list(fn._post_hooks.values()):
            h(tuple(out), tuple(grads))
    if not retain_graph:
        fn._free()


def _check_count(fn, out, nxt):
    """A backward may return extra Nones (PyTorch allows them), nothing else beyond the inputs."""
    if len(out) < len(nxt) or any(o is not None for o in out[len(nxt):]):
        raise RuntimeError(f"function {fn.name()} returned an incorrect number of gradients "
                           f"(expected {len(nxt)}, got {len(out)})")


def _distribute(fn, nxt, out, buffers, owned, Tensor):
    """Add the gradients a node returned into the buffers of the nodes its inputs came from,
    summed back to each input's shape and cast to its dtype."""
    for e, g in zip(nxt, out):
        if not e or g is None:
            continue
        if g.__class__ is not Tensor:
            g = g if isinstance(g, Tensor) else Tensor._make(g)
        node, nr, shape, dt = e
        d = g._data
        if d.shape != shape:
            g = _sum_to(g, shape, fn, nxt.index(e))
        if d.dtype != dt:
            g = g.to(_dtype_of(dt))
        b = buffers.get(node)
        if b is None:
            buffers[node] = {nr: g}
        elif nr not in b:
            b[nr] = g
        elif owned is None:  # create_graph: the sum is recorded
            b[nr] = b[nr] + g
        else:
            # not recording: sum raw arrays, in place once the buffer holds a sum of our own
            key = (node, nr)
            if key in owned:
                b[nr]._data += g._data
            else:
                b[nr] = Tensor._make(b[nr]._data + g._data)
                owned.add(key)


def _run_accumulate(fn, buf, capture, results, create_graph):
    """An AccumulateGrad node: hooks, then the gradient goes into the leaf's .grad (or is captured)."""
    g = buf.pop(0, None)
    if g is None:
        return
    # Like PyTorch's AccumulateGrad, a gradient nobody else references is stolen rather than
    # copied (saves a full copy of every parameter gradient per step: ~3 ms of a 17 ms MLP
    # step). References: the local `g`, the caller's and getrefcount's argument, for the tensor
    # and its array.
    private = (sys.getrefcount(g) == 2 and sys.getrefcount(g._data) == 2
               and g._data.base is None and getattr(g._data.flags, "writeable", True))  # CuPy: none
    var = fn.variable
    for h in list(var._backward_hooks.values()) if var._backward_hooks else ():
        r = h(g)
        if r is not None:
            g = r
    g = _call_tensor_hooks(fn, 0, g)
    if capture is not None:  # autograd.grad: captured, never accumulated (no post hooks either)
        for k in capture.get((fn, 0), ()):
            results[k] = g if results[k] is None else results[k] + g
        return
    _accumulate(var, g, create_graph, private and not var._backward_hooks and fn._tensor_hooks is None)
    if fn._post_hooks:
        for h in list(fn._post_hooks.values()):
            h((), (g,))


def _xp_of(fn, get_array_module, buf=None):
    """The array module of the node's data, for a zero gradient it must make up: from a gradient
    that did arrive, else the nearest leaf or saved tensor down the graph (a node reached with no
    gradient at all, e.g. the view a `copy_` overwrote, has nothing of its own to go by)."""
    if buf:
        for g in buf.values():
            if g is not None:
                return get_array_module(g._data)
    seen = set()
    todo = [fn]
    while todo and len(seen) < 10000:
        node = todo.pop(0)
        if node in seen:
            continue
        seen.add(node)
        if node._is_accumulate:
            return get_array_module(node.variable._data)
        saved = node._saved
        if saved:
            for s in saved:
                if s is not None:
                    return get_array_module(s.data if s.tensor is None else s.tensor._data)
        todo.extend(e[0] for e in node._next if e)
    return get_array_module(None)  # nothing to go by: the CPU module


def _dtype_of(npdt):
    from .._dtype import from_numpy_dtype  # noqa: PLC0415
    return from_numpy_dtype(npdt)


def _accumulate(var, g, create_graph, private=False):
    """Add `g` into the leaf's .grad: stored detached, summed in place, unless create_graph.

    A `private` gradient (referenced nowhere else) is stored as it is; any other is copied, since
    the same tensor may also flow to other leaves or be held by a hook."""
    old = var._grad
    if old is None:
        if create_graph:
            var._grad = g
        elif private and not g._requires_grad:
            g._vc = None
            g._base = None
            var._grad = g
        else:
            var._grad = g._detached_copy()
    elif create_graph:
        var._grad = old + g
    elif old._requires_grad:
        var._grad = (old + g).detach()
    else:
        old._data += g._data
        old._bump()
