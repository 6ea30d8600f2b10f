"""DistributedDataParallel: data-parallel training over tinynn.distributed, as PyTorch's.

Each process runs the same model on its share of the batch. At construction the parameters and
buffers of rank 0 are broadcast, so all replicas start equal. During backward, the gradients are
averaged across processes by all-reduces on *buckets*: flat buffers holding several parameters'
gradients each, so that one message carries many small tensors. Buckets are filled in reverse
parameter order (roughly the order in which backward produces gradients); a post-accumulate-grad
hook on every parameter copies its gradient into its bucket, and the moment a bucket is complete
its all-reduce (a SUM of gradients divided by the world size as they are copied in) is
started without blocking (MPI_Iallreduce / NCCL on the stream), so it proceeds
while backward computes the remaining gradients. A callback at the end of backward
(`autograd.engine.queue_callback`) waits for all buckets and writes the averages back into
`.grad`, so `optimizer.step()` sees averaged gradients. Buckets are always started in the same
order on every rank, as MPI and NCCL require.
"""
from __future__ import annotations

import time
import weakref
from contextlib import contextmanager

from ...autograd.engine import queue_callback
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...ops import div as torch_div
from ...tensor import Tensor
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's: a small first bucket starts comms early


class _Bucket:
    __slots__ = ("indices", "flat", "views", "pending", "work")

    def __init__(self, indices, params):
        import tinynn  # noqa: PLC0415
        p0 = params[indices[0]]
        numel = sum(params[i].numel() for i in indices)
        self.indices = indices
        self.flat = tinynn.zeros(numel, dtype=p0.dtype, device=p0.device)
        self.views = []
        off = 0
        for i in indices:
            n = params[i].numel()
            self.views.append(self.flat[off:off + n].view(params[i].shape))
            off += n
        self.pending = len(indices)
        self.work = None


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training; see the module docstring.

    Notes (tinynn): one process per device; `device_ids` is for a module on a cuda device
    (inputs are moved there), None for CPU modules. `gradient_as_bucket_view=True` makes each
    `.grad` a view into its bucket (no copy back). `static_graph`, `mixed_precision`,
    `register_comm_hook` and `join` are not implemented (the first two are accepted when off)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False, gradient_as_bucket_view=False,
                 static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False):
        super().__init__()
        from ... import distributed as dist  # noqa: PLC0415 - only DDP users need it
        self._dist = dist
        self.process_group = dist.new_group() if process_group is None else process_group
        if static_graph or mixed_precision is not None:
            raise NotImplementedError("DistributedDataParallel: static_graph and mixed_precision "
                                      "are not implemented in tinynn")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any "
                               "parameter that requires a gradient.")
        devices = {p.device for p in module.parameters()}
        if device_ids is not None and any(d.type == "cpu" for d in devices):
            raise ValueError(f"DistributedDataParallel device_ids and output_device arguments only "
                             f"work with single-device/multiple-device GPU modules or CPU modules, "
                             f"but got device_ids {list(device_ids)}, output_device {output_device}, "
                             f"and module parameters {devices}.")
        if device_ids is not None and len(device_ids) != 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else None
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = False
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        self.bucket_bytes_cap = int(bucket_cap_mb * 1024 * 1024)
        self._world = dist.get_world_size(self.process_group)
        self._params = params
        self._buffers_to_sync = [b for b in module.buffers()]
        if init_sync:
            self._broadcast_coalesced(list(module.parameters()) + self._buffers_to_sync)
        self._buckets = self._make_buckets(params)
        self._where = {}
        for k, b in enumerate(self._buckets):
            for j, i in enumerate(b.indices):
                self._where[i] = (k, j)
        self._ready = [False] * len(params)
        self._used = [True] * len(params)
        self._next_bucket = 0
        self._expect_hooks = False
        self._in_backward = False
        self._comm_seconds = 0.0  # time spent starting, driving and waiting for all-reduces
        ref = weakref.ref(self)
        self._hook_handles = [p.register_post_accumulate_grad_hook(_grad_ready_hook(ref, i))
                              for i, p in enumerate(params)]

    # ------------------------------------------------------------------ setup
    def _make_buckets(self, params):
        """PyTorch's assignment: walk the parameters in reverse order, per (dtype, device), and
        close a bucket once it holds at least its size limit (1 MiB for the first, then
        bucket_cap_mb)."""
        first = min(_DEFAULT_FIRST_BUCKET_BYTES, self.bucket_bytes_cap)
        open_, limit, done = {}, {}, []
        for i in reversed(range(len(params))):
            p = params[i]
            key = (p.dtype, str(p.device))
            cur = open_.setdefault(key, [])
            cur.append(i)
            size = sum(params[k].numel() * params[k].element_size() for k in cur)
            if size >= limit.get(key, first):
                done.append(cur)
                open_[key] = []
                limit[key] = self.bucket_bytes_cap
        done.extend(c for c in open_.values() if c)
        return [_Bucket(idx, params) for idx in done]

    def _broadcast_coalesced(self, tensors):
        """Rank 0's values of `tensors` to every rank, one message per dtype and device."""
        if self._world == 1 or not tensors:
            return
        import tinynn  # noqa: PLC0415
        groups = {}
        for t in tensors:
            groups.setdefault((t.dtype, str(t.device)), []).append(t)
        with no_grad():
            for ts in groups.values():
                flat = tinynn.cat([t.reshape(-1) for t in ts])
                self._dist.broadcast(flat, 0, group=self.process_group)
                off = 0
                for t in ts:
                    n = t.numel()
                    t.copy_(flat[off:off + n].view(t.shape))
                    off += n

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        if self._in_backward:
            unused = [i for i, r in enumerate(self._ready) if not r]
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new "
                "one. This error indicates that your module has parameters that were not used in "
                "producing loss. You can enable unused parameter detection by passing the keyword "
                "argument `find_unused_parameters=True` to `torch.nn.parallel."
                "DistributedDataParallel`, and by making sure all `forward` function outputs "
                "participate in calculating loss.\nParameter indices which did not receive grad for "
                f"rank {self._dist.get_rank()}: {' '.join(map(str, unused))}")
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            self._prepare_for_backward()
        if self.require_forward_param_sync and self.broadcast_buffers and self._buffers_to_sync:
            self._broadcast_coalesced(self._buffers_to_sync)
        if self.device_ids is not None:
            d = self.device_ids[0]
            d = f"cuda:{d}" if isinstance(d, int) else d
            inputs, kwargs = _to_device(inputs, d), _to_device(kwargs, d)
        out = self.module(*inputs, **kwargs)
        self.require_forward_param_sync = sync
        if sync and self.find_unused_parameters:
            self._mark_unused(out)
        return out

    def _prepare_for_backward(self):
        for b in self._buckets:
            b.pending = len(b.indices)
            b.work = None
        self._ready = [False] * len(self._params)
        self._used = [True] * len(self._params)
        self._next_bucket = 0
        self._expect_hooks = True

    def _mark_unused(self, out):
        """Parameters the autograd graph of `out` does not reach get no gradient this iteration:
        count them as ready (zero) so their buckets can still be reduced."""
        reached = set()
        stack = [t.grad_fn for t in _tensors_in(out) if t.grad_fn is not None]
        seen = set()
        while stack:
            fn = stack.pop()
            if fn is None or id(fn) in seen:
                continue
            seen.add(id(fn))
            if getattr(fn, "_is_accumulate", False):
                reached.add(id(fn.variable))
                continue
            stack.extend(nf for nf, _ in fn.next_functions if nf is not None)
        for t in _tensors_in(out):  # an output that is itself a parameter
            reached.add(id(t))
        with no_grad():
            for i, p in enumerate(self._params):
                if id(p) not in reached:
                    self._used[i] = False
                    k, j = self._where[i]
                    self._buckets[k].views[j].zero_()
                    self._mark_ready(i)

    # ------------------------------------------------------------------ backward
    def _grad_ready(self, i):
        if not self._expect_hooks or self._ready[i]:
            return
        self._in_backward = True
        p = self._params[i]
        k, j = self._where[i]
        view = self._buckets[k].views[j]
        with no_grad():
            if p.grad is None:
                view.zero_()
            elif self._world > 1:  # copy and pre-divide in one pass (as PyTorch); then a SUM
                torch_div(p.grad, self._world, out=view)
            elif p.grad is not view:
                view.copy_(p.grad)
        self._mark_ready(i)

    def _mark_ready(self, i):
        self._ready[i] = True
        b = self._buckets[self._where[i][0]]
        b.pending -= 1
        t0 = time.perf_counter()
        if b.pending == 0:
            self._launch_ready()
        else:
            for bb in self._buckets[:self._next_bucket]:  # drive MPI's progress
                bb.work.is_completed()
        self._comm_seconds += time.perf_counter() - t0

    def _launch_ready(self):
        """Start, in bucket order, every complete bucket not started yet."""
        dist = self._dist
        while self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].pending == 0:
            b = self._buckets[self._next_bucket]
            b.work = dist.all_reduce(b.flat, op=dist.ReduceOp.SUM, group=self.process_group,
                                     async_op=True)
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            if self._in_backward:
                queue_callback(self._finalize)
            else:  # nothing of the model took part in the loss: nothing left to wait for
                self._finalize()

    def _finalize(self):
        """End of backward: wait for every bucket and write the averaged gradients back."""
        t0 = time.perf_counter()
        self._expect_hooks = False
        self._in_backward = False
        for b in self._buckets:
            b.work.wait()
        used = None
        if self.find_unused_parameters and not all(self._used):
            import tinynn  # noqa: PLC0415
            used = tinynn.tensor([int(u) for u in self._used], dtype=tinynn.int32)
            self._dist.all_reduce(used, op=self._dist.ReduceOp.MAX, group=self.process_group)
            used = used.tolist()
        self._comm_seconds += time.perf_counter() - t0
        with no_grad():
            for b in self._buckets:
                for j, i in enumerate(b.indices):
                    p = self._params[i]
                    view = b.views[j]
                    if p.grad is None:
                        if used is not None and not used[i]:
                            continue  # no rank used it: leave .grad as None, as PyTorch
                        p.grad = view if self.gradient_as_bucket_view else view.clone()
                    elif self.gradient_as_bucket_view:
                        if p.grad is not view:
                            p.grad = view
                    else:
                        p.grad.copy_(view)

    # ------------------------------------------------------------------ API
    @contextmanager
    def no_sync(self):
        """Within this context, backward accumulates gradients locally without communicating;
        the first forward-backward after it averages the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def register_comm_hook(self, state, hook):
        raise NotImplementedError("DistributedDataParallel.register_comm_hook is not implemented "
                                  "in tinynn")

    def join(self, *args, **kwargs):
        raise NotImplementedError("DistributedDataParallel.join (uneven inputs) is not implemented "
                                  "in tinynn")


def _grad_ready_hook(ref, i):
    def hook(param):
        ddp = ref()
        if ddp is not None:
            ddp._grad_ready(i)
    return hook


def _tensors_in(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


def _to_device(obj, device):
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, tuple):
        return tuple(_to_device(o, device) for o in obj)
    if isinstance(obj, list):
        return [_to_device(o, device) for o in obj]
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj
