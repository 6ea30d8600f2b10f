"""tinynn.train: the training loop everyone writes, written once, explicitly.

    from tinynn.train import fit, evaluate, predict, accuracy

    history = fit(model, optimizer, nn.CrossEntropyLoss(), train_loader, epochs=5,
                  val_loader=test_loader, metrics={"accuracy": accuracy},
                  scheduler=scheduler, checkpoint_dir="runs/mlp", resume=True)
    print(history["val_accuracy"][-1])

What `fit` does each epoch, in this order (nothing hidden):

1. `model.train()`; for each batch `(inputs, target)` of `train_loader` (a batch with more than two
   items is `(*inputs, target)`): move it to `device`, `optimizer.zero_grad()`,
   `output = model(*inputs)`, `loss = loss_fn(output, target)`, `loss.backward()`, optionally
   `clip_grad_norm_(model.parameters(), clip_grad_norm)`, `optimizer.step()`, and
   `scheduler.step()` when `scheduler_step="batch"`. The loss and metrics stay on the device;
   they are read back once per epoch (and when the progress bar refreshes).
2. With `val_loader`: `evaluate(model, val_loader, loss_fn, metrics)` (eval mode, no_grad).
3. `scheduler.step()` when `scheduler_step="epoch"` (`ReduceLROnPlateau` gets the validation
   loss, or the training loss without a validation set).
4. With `checkpoint_dir`: `tinynn.save` of `{"epoch", "model", "optimizer", "scheduler", "rng",
   "history"}` to `checkpoint_dir/epoch_0001.ckpt`, ... (atomically). "rng" holds the state of
   tinynn's default CPU generator (and the CUDA one of `device`), of the generators of
   `train_loader` (its `generator=` and its sampler's), and of Python's `random`.

`resume=True` continues from the newest checkpoint in `checkpoint_dir` (or `resume=PATH` from
that file): model, optimizer, scheduler, random states and history are restored and training
goes on with the next epoch, so a resumed run gives, on the CPU, bit for bit the losses of an
uninterrupted run. Build the model, optimizer, scheduler and loaders exactly as for the first run
before calling `fit` again. When there is no checkpoint yet, `resume=True` starts from scratch.

The returned history is a dict of per-epoch lists: "epoch", "loss", one entry per metric,
"val_loss" and "val_<metric>" with a validation set, "lr" (the first group's learning rate at the
end of the epoch), "time" (seconds), "samples_per_sec", and "batch_loss" (a list per epoch).
Progress bars use tqdm (one per epoch: loss, metrics and samples/s); `quiet=True` turns them off.
"""
from __future__ import annotations

import glob
import os
import random
import re
import time
import warnings

from .autograd.grad_mode import no_grad
from .ops import cat, stack
from .ops.random import default_generator_for, get_rng_state, set_rng_state
from .tensor import Tensor

__all__ = ["fit", "evaluate", "predict", "accuracy"]

_CKPT_FORMAT = "tinynn.train/1"
_CKPT_RE = re.compile(r"^epoch_(\d+)\.ckpt$")


# ---------------------------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------------------------
def accuracy(output: Tensor, target: Tensor) -> Tensor:
    """Fraction of correct predictions in a batch, as a 0-dim float tensor (on the device).

    `output` (N, C) holds class scores (logits or probabilities): the prediction is the argmax over
    dim 1; `target` holds class indices (N,), or one-hot / probability rows (N, C), whose argmax is
    taken. Extra dimensions, as in (N, C, H, W) with targets (N, H, W), count every position. A
    single score per sample, (N,) or (N, 1), is a binary logit: positive means class 1.
    """
    output = output.detach()
    target = target.detach()
    if output.dim() >= 2 and output.shape[1] > 1:
        pred = output.argmax(1)
        if target.shape == output.shape and target.is_floating_point():
            target = target.argmax(1)
    else:
        pred = (output.reshape(output.shape[0]) > 0).long()
        target = target.reshape(target.shape[0])
    if target.shape != pred.shape:
        raise ValueError(f"accuracy: target of shape {list(target.shape)} does not match predictions "
                         f"of shape {list(pred.shape)} (from output {list(output.shape)})")
    return (pred == target.long()).float().mean()


def _metric_fns(metrics) -> dict:
    """Normalise `metrics` (None, a callable, a list of callables/names, or a name->fn dict)."""
    if metrics is None:
        return {}
    if callable(metrics) or isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(metrics, dict):
        items = list(metrics.items())
    else:
        items = []
        for m in metrics:
            name = m if isinstance(m, str) else getattr(m, "__name__", type(m).__name__)
            items.append((name, m))
    out = {}
    for name, fn in items:
        if isinstance(fn, str):
            if fn != "accuracy":
                raise ValueError(f"unknown metric {fn!r}: pass a function (output, target) -> number")
            fn = accuracy
        if not callable(fn):
            raise TypeError(f"metric {name!r} must be callable, got {type(fn).__name__}")
        if name in ("loss", "epoch", "lr", "time", "samples_per_sec", "batch_loss") or name.startswith("val_"):
            raise ValueError(f"metric name {name!r} clashes with a history key")
        out[name] = fn
    return out


class _Mean:
    """Sample-weighted mean of per-batch values, read back from the device once (`.values()`)."""

    def __init__(self):
        self.batches = []   # 0-dim tensors or numbers, one per batch
        self.sizes = []

    def add(self, value, n: int):
        # `.data`, not `.detach()`: a detached view would keep the loss (and its graph) alive
        self.batches.append(value.data if isinstance(value, Tensor) else float(value))
        self.sizes.append(n)

    def values(self) -> list:
        """The per-batch values as Python floats (one device -> host transfer)."""
        if self.batches and all(isinstance(v, Tensor) for v in self.batches):
            dev = self.batches[0].device
            if all(t.device == dev for t in self.batches):
                return stack([t.reshape(()).double() for t in self.batches]).cpu().tolist()
        return [float(v) for v in self.batches]

    def mean(self, values=None) -> float:
        values = self.values() if values is None else values
        total = sum(self.sizes)
        return sum(v * n for v, n in zip(values, self.sizes)) / total if total else float("nan")


# ---------------------------------------------------------------------------------------------
# batches and devices
# ---------------------------------------------------------------------------------------------
def _to(obj, device):
    if device is None:
        return obj
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to(v, device) for k, v in obj.items()}
    return obj


def _split(batch):
    """(inputs tuple, target or None) from a batch: (x, y), (*xs, y), (x,) or a lone tensor."""
    if isinstance(batch, (list, tuple)):
        if len(batch) == 0:
            raise ValueError("fit/evaluate: got an empty batch")
        if len(batch) == 1:
            return (batch[0],), None
        return tuple(batch[:-1]), batch[-1]
    if isinstance(batch, Tensor):
        return (batch,), None
    raise TypeError(f"a batch must be a tensor or a tuple/list (inputs..., target), got "
                    f"{type(batch).__name__}")


def _batch_size(inputs) -> int:
    x = inputs[0]
    if isinstance(x, Tensor):
        return int(x.shape[0]) if x.dim() > 0 else 1
    try:
        return len(x)
    except TypeError:
        return 1


def _model_device(model, device):
    if device is not None:
        return device
    for p in model.parameters():
        return p.device
    return None


# ---------------------------------------------------------------------------------------------
# evaluate / predict
# ---------------------------------------------------------------------------------------------
def evaluate(model, loader, loss_fn=None, metrics=None, device=None) -> dict:
    """Mean loss and metrics of `model` over `loader`, in eval mode and without autograd.

    Returns {"loss": ..., "<metric>": ...} (loss only with `loss_fn`); the model's training mode
    is restored afterwards."""
    fns = _metric_fns(metrics)
    device = _model_device(model, device)
    was_training = model.training
    model.eval()
    loss_m, metric_m = _Mean(), {k: _Mean() for k in fns}
    try:
        with no_grad():
            for batch in loader:
                inputs, target = _split(_to(batch, device))
                n = _batch_size(inputs)
                output = model(*inputs)
                if loss_fn is not None:
                    loss_m.add(loss_fn(output, target), n)
                for k, fn in fns.items():
                    metric_m[k].add(fn(output, target), n)
    finally:
        model.train(was_training)
    out = {}
    if loss_fn is not None:
        out["loss"] = loss_m.mean()
    for k, m in metric_m.items():
        out[k] = m.mean()
    return out


def predict(model, data, device=None, batch_size=None) -> Tensor:
    """Model outputs for `data`, in eval mode and without autograd, concatenated along dim 0.

    `data` is a tensor (split into chunks of `batch_size` when given) or an iterable of batches
    such as a DataLoader; a batch (x, y) or (*xs, y) uses its inputs and ignores the target. The
    result stays on the device the model computed on."""
    device = _model_device(model, device)
    was_training = model.training
    model.eval()
    outs = []
    try:
        with no_grad():
            if isinstance(data, Tensor):
                chunks = [data] if batch_size is None else data.split(batch_size)
                for x in chunks:
                    outs.append(model(_to(x, device)))
            else:
                for batch in data:
                    inputs, _ = _split(batch) if isinstance(batch, (list, tuple)) else ((batch,), None)
                    outs.append(model(*_to(inputs, device)))
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("predict: no data")
    return outs[0] if len(outs) == 1 else cat(outs, 0)


# ---------------------------------------------------------------------------------------------
# checkpoints and random states
# ---------------------------------------------------------------------------------------------
def _loader_generators(loader) -> list:
    """The distinct tinynn Generators a DataLoader draws from (its own, its samplers')."""
    found, seen = [], set()
    cands = [getattr(loader, "generator", None), getattr(getattr(loader, "sampler", None), "generator", None)]
    bs = getattr(loader, "batch_sampler", None)
    cands.append(getattr(getattr(bs, "sampler", None), "generator", None))
    for g in cands:
        if g is not None and id(g) not in seen and hasattr(g, "get_state"):
            seen.add(id(g))
            found.append(g)
    return found


def _rng_state(device, train_loader) -> dict:
    state = {"cpu": get_rng_state(), "python": _py_state(), "cuda": None,
             "loader": [g.get_state() for g in _loader_generators(train_loader)]}
    if _is_cuda(device):
        try:
            state["cuda"] = default_generator_for(device).get_state()
        except (RuntimeError, AttributeError, TypeError):
            state["cuda"] = None  # a generator that cannot report its state: not restored
    return state


def _is_cuda(device) -> bool:
    if device is None:
        return False
    return (getattr(device, "type", None) or str(device).split(":")[0]) == "cuda"


def _set_rng_state(state: dict, device, train_loader) -> None:
    set_rng_state(state["cpu"])
    if state.get("python") is not None:
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
    if state.get("cuda") is not None and device is not None:
        default_generator_for(device).set_state(state["cuda"])
    elif _is_cuda(device):
        warnings.warn("resume: the checkpoint holds no state of the CUDA random generator (CuPy's "
                      "generator cannot report it), so random draws on the GPU (dropout, ...) after "
                      "resuming differ from those of an uninterrupted run", UserWarning, stacklevel=4)
    gens = _loader_generators(train_loader)
    saved = state.get("loader") or []
    if len(saved) != len(gens):
        raise RuntimeError(f"resume: the checkpoint holds {len(saved)} DataLoader generator state(s) "
                           f"but train_loader has {len(gens)} generator(s); build the loader as in "
                           "the first run")
    for g, s in zip(gens, saved):
        g.set_state(s)


def _py_state():
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def _checkpoint_path(checkpoint_dir: str, epoch: int) -> str:
    return os.path.join(checkpoint_dir, f"epoch_{epoch:04d}.ckpt")


def latest_checkpoint(checkpoint_dir: str) -> str | None:
    """The newest `epoch_NNNN.ckpt` in `checkpoint_dir` (None when there is none)."""
    best, best_epoch = None, -1
    for path in glob.glob(os.path.join(glob.escape(checkpoint_dir), "epoch_*.ckpt")):
        m = _CKPT_RE.match(os.path.basename(path))
        if m and int(m.group(1)) > best_epoch:
            best, best_epoch = path, int(m.group(1))
    return best


def _save_checkpoint(path, epoch, model, optimizer, scheduler, history, device, train_loader):
    from .serialization import save  # noqa: PLC0415
    save({"format": _CKPT_FORMAT, "epoch": epoch, "model": model.state_dict(),
          "optimizer": optimizer.state_dict(),
          "scheduler": scheduler.state_dict() if scheduler is not None else None,
          "rng": _rng_state(device, train_loader), "history": history}, path)


def _load_checkpoint(path, model, optimizer, scheduler, device, train_loader):
    from .serialization import load  # noqa: PLC0415
    ckpt = load(path, map_location="cpu")
    if not isinstance(ckpt, dict) or ckpt.get("format") != _CKPT_FORMAT:
        raise RuntimeError(f"resume: {path} is not a checkpoint written by tinynn.train.fit")
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None:
        if ckpt["scheduler"] is None:
            raise RuntimeError(f"resume: {path} has no scheduler state but a scheduler was given")
        scheduler.load_state_dict(ckpt["scheduler"])
    _set_rng_state(ckpt["rng"], device, train_loader)
    return int(ckpt["epoch"]), ckpt["history"]


# ---------------------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------------------
class _Progress:
    """A tqdm bar for one epoch (a silent stand-in when quiet or tqdm is missing)."""

    def __init__(self, total, desc, quiet):
        self.bar = None
        self.last = 0.0
        if quiet:
            return
        try:
            from tqdm import tqdm  # noqa: PLC0415
        except ImportError:  # tqdm is a dependency; without it print one line per epoch
            self.desc = desc
            return
        self.bar = tqdm(total=total, desc=desc, unit="batch", dynamic_ncols=True, leave=True)

    def due(self) -> bool:
        """Refresh the numbers at most twice a second (reading them back is a device sync)."""
        now = time.monotonic()
        if self.bar is not None and now - self.last > 0.5:
            self.last = now
            return True
        return False

    def update(self, n=1, **postfix):
        if self.bar is not None:
            if postfix:
                self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(n)

    def close(self, quiet, **postfix):
        if self.bar is not None:
            self.bar.set_postfix(postfix)
            self.bar.close()
        elif not quiet:
            print(self.desc + " " + " ".join(f"{k}={v}" for k, v in postfix.items()))


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def fit(model, optimizer, loss_fn, train_loader, epochs: int = 1, val_loader=None, metrics=None,
        scheduler=None, device=None, checkpoint_dir=None, resume=False, quiet=False, *,
        scheduler_step: str = "epoch", clip_grad_norm: float | None = None) -> dict:
    """Train `model` for `epochs` epochs and return the history (see the module docstring).

    Args:
        model: an `nn.Module`; moved to `device` when one is given.
        optimizer: a `tinynn.optim` optimizer over the model's parameters.
        loss_fn: `loss_fn(output, target) -> 0-dim tensor` (e.g. `nn.CrossEntropyLoss()`).
        train_loader: an iterable of batches `(inputs, target)` (e.g. a DataLoader).
        epochs: the total number of epochs (a resumed run stops at the same total).
        val_loader: batches to evaluate on after every epoch.
        metrics: functions `(output, target) -> number or 0-dim tensor`, as a dict name -> fn, a
            list (named by `__name__`) or "accuracy".
        scheduler: an `lr_scheduler`, stepped per epoch or per batch (`scheduler_step`).
        device: where to train (default: where the model's parameters are).
        checkpoint_dir: save a checkpoint there after every epoch.
        resume: True to continue from the newest checkpoint in `checkpoint_dir`, or a path.
        quiet: no progress bars.
        clip_grad_norm: clip the gradients' total 2-norm to this value before each step.
    """
    from .nn.utils import clip_grad_norm_  # noqa: PLC0415
    from .optim.lr_scheduler import ReduceLROnPlateau  # noqa: PLC0415

    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    if resume and checkpoint_dir is None and not isinstance(resume, (str, os.PathLike)):
        raise ValueError("resume=True needs checkpoint_dir (or pass resume=PATH to a checkpoint)")
    if isinstance(scheduler, ReduceLROnPlateau) and scheduler_step == "batch":
        raise ValueError("ReduceLROnPlateau needs a metric: use scheduler_step='epoch'")
    fns = _metric_fns(metrics)
    if device is not None:
        model.to(device)
    device = _model_device(model, device)

    history = {"epoch": [], "loss": [], **{k: [] for k in fns}}
    if val_loader is not None:
        history["val_loss"] = []
        history.update({f"val_{k}": [] for k in fns})
    history.update({"lr": [], "time": [], "samples_per_sec": [], "batch_loss": []})

    start = 0
    if resume:
        path = resume if isinstance(resume, (str, os.PathLike)) else latest_checkpoint(checkpoint_dir)
        if path is not None:
            start, history = _load_checkpoint(path, model, optimizer, scheduler, device, train_loader)
    if checkpoint_dir is not None:
        os.makedirs(checkpoint_dir, exist_ok=True)

    for epoch in range(start, epochs):
        model.train()
        t0 = time.perf_counter()
        loss_m, metric_m = _Mean(), {k: _Mean() for k in fns}
        seen = 0
        total = len(train_loader) if hasattr(train_loader, "__len__") else None
        bar = _Progress(total, f"Epoch {epoch + 1}/{epochs}", quiet)
        for batch in train_loader:
            inputs, target = _split(_to(batch, device))
            n = _batch_size(inputs)
            optimizer.zero_grad()
            output = model(*inputs)
            loss = loss_fn(output, target)
            loss.backward()
            if clip_grad_norm is not None:
                clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if scheduler is not None and scheduler_step == "batch":
                scheduler.step()
            loss_m.add(loss, n)
            with no_grad():
                for k, fn in fns.items():
                    metric_m[k].add(fn(output, target), n)
            seen += n
            if bar.due():
                rate = seen / max(time.perf_counter() - t0, 1e-9)
                post = {"loss": _fmt(float(loss)), "samples/s": f"{rate:.0f}"}
                bar.update(1, **post)
            else:
                bar.update(1)
        elapsed = time.perf_counter() - t0
        batch_losses = loss_m.values()
        history["epoch"].append(epoch + 1)
        history["loss"].append(loss_m.mean(batch_losses))
        history["batch_loss"].append(batch_losses)
        for k, m in metric_m.items():
            history[k].append(m.mean())
        post = {"loss": _fmt(history["loss"][-1]), **{k: _fmt(history[k][-1]) for k in fns}}
        if val_loader is not None:
            res = evaluate(model, val_loader, loss_fn, fns, device)
            history["val_loss"].append(res["loss"])
            post["val_loss"] = _fmt(res["loss"])
            for k in fns:
                history[f"val_{k}"].append(res[k])
                post[f"val_{k}"] = _fmt(res[k])
        if scheduler is not None and scheduler_step == "epoch":
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(history["val_loss"][-1] if val_loader is not None else history["loss"][-1])
            else:
                scheduler.step()
        history["lr"].append(float(optimizer.param_groups[0]["lr"]))
        history["time"].append(elapsed)
        history["samples_per_sec"].append(seen / elapsed if elapsed > 0 else float("inf"))
        post["samples/s"] = f"{history['samples_per_sec'][-1]:.0f}"
        bar.close(quiet, **post)
        if checkpoint_dir is not None:
            _save_checkpoint(_checkpoint_path(checkpoint_dir, epoch + 1), epoch + 1, model, optimizer,
                             scheduler, history, device, train_loader)
    return history
