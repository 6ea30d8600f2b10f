"""tinynn.train: fit / evaluate / predict / accuracy, checkpoints, resume-equals-uninterrupted
and reproducibility under tinynn.manual_seed."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from helpers import assert_close
from tinynn.optim import SGD, Adam, lr_scheduler
from tinynn.train import accuracy, evaluate, fit, latest_checkpoint, predict
from tinynn.utils.data import DataLoader, TensorDataset


def _data(device, n=96, seed=3):
    g = tinynn.Generator().manual_seed(seed)
    x = tinynn.randn(n, 5, generator=g, device="cpu")
    y = ((x[:, 0] - x[:, 1] + 0.5 * x[:, 2]) > 0).long() + (x[:, 3] > 1.0).long()
    return TensorDataset(x.to(device), y.to(device))


def _setup(device, seed=0, loader_generator=False, sched="step"):
    """Model, optimizer, scheduler and loaders, built the same way for every run of a test."""
    tinynn.manual_seed(seed)
    ds = _data(device)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 3)).to(device)
    opt = Adam(model.parameters(), lr=0.02)
    if sched == "step":
        scheduler = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    elif sched == "plateau":
        scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    else:
        scheduler = None
    gen = tinynn.Generator().manual_seed(123) if loader_generator else None
    train = DataLoader(ds, batch_size=16, shuffle=True, generator=gen)
    val = DataLoader(ds, batch_size=40)
    return model, opt, scheduler, train, val


def _params(model):
    return [p.detach().cpu().numpy().copy() for p in model.parameters()]


# ------------------------------------------------------------------------------------ accuracy
def test_accuracy_metric(device):
    out = tinynn.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 0.0]], device=device)
    acc = accuracy(out, tinynn.tensor([0, 1, 1, 0], device=device))
    assert isinstance(acc, tinynn.Tensor) and acc.dim() == 0 and acc.dtype == tinynn.float32
    assert acc.item() == 0.75
    probs = tinynn.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0, 1.0, 0]], device=device)
    assert accuracy(out, probs).item() == 0.75
    logits = tinynn.tensor([[0.3], [-1.0], [2.0], [-0.1]], device=device)
    assert accuracy(logits, tinynn.tensor([1.0, 0.0, 0.0, 0.0], device=device)).item() == 0.75
    seg = tinynn.zeros(2, 3, 2, 2, device=device)
    seg[:, 1] = 1.0
    assert accuracy(seg, tinynn.ones(2, 2, 2, dtype=tinynn.int64, device=device)).item() == 1.0
    with pytest.raises(ValueError, match="does not match predictions"):
        accuracy(out, tinynn.tensor([0, 1], device=device))


# ------------------------------------------------------------------------------------ fit
def test_fit_trains_and_returns_history(device):
    model, opt, sched, train, val = _setup(device)
    hist = fit(model, opt, nn.CrossEntropyLoss(), train, 6, val_loader=val, metrics={"accuracy": accuracy},
               scheduler=sched, quiet=True)
    assert list(hist) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time",
                          "samples_per_sec", "batch_loss"]
    assert hist["epoch"] == [1, 2, 3, 4, 5, 6]
    assert all(len(v) == 6 for v in hist.values())
    assert [len(b) for b in hist["batch_loss"]] == [6] * 6
    assert hist["loss"][-1] < hist["loss"][0] * 0.8
    assert hist["val_accuracy"][-1] > 0.75
    assert hist["lr"] == [0.02, 0.01, 0.01, 0.005, 0.005, 0.0025]
    # the epoch loss is the sample-weighted mean of the batch losses
    assert hist["loss"][0] == pytest.approx(np.mean(hist["batch_loss"][0]), rel=1e-12)
    assert model.training
    assert isinstance(hist["loss"][0], float) and isinstance(hist["val_accuracy"][0], float)


def test_fit_metrics_forms_and_batch_scheduler(device):
    model, opt, _, train, _ = _setup(device, sched=None)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=12)
    hist = fit(model, opt, nn.CrossEntropyLoss(), train, 2, metrics=[accuracy], scheduler=sched,
               scheduler_step="batch", quiet=True, clip_grad_norm=1.0)
    assert "accuracy" in hist and "val_loss" not in hist
    assert sched.last_epoch == 12
    assert hist["lr"][-1] == pytest.approx(sched.get_last_lr()[0])
    hist = fit(model, opt, nn.CrossEntropyLoss(), train, 1, metrics="accuracy", quiet=True)
    assert 0.0 <= hist["accuracy"][0] <= 1.0


def test_fit_with_reduce_on_plateau_uses_val_loss(device):
    model, opt, sched, train, val = _setup(device, sched="plateau")
    hist = fit(model, opt, nn.CrossEntropyLoss(), train, 4, val_loader=val, scheduler=sched, quiet=True)
    assert sched.best == min(hist["val_loss"])


def test_fit_progress_bar(device, capsys):
    model, opt, sched, train, val = _setup(device)
    fit(model, opt, nn.CrossEntropyLoss(), train, 1, val_loader=val, metrics={"acc": accuracy})
    err = capsys.readouterr().err
    assert "Epoch 1/1" in err and "samples/s" in err and "val_acc" in err and "loss=" in err
    fit(model, opt, nn.CrossEntropyLoss(), train, 1, quiet=True)
    assert capsys.readouterr().err == ""


def test_fit_errors(device, tmp_path):
    model, opt, sched, train, _ = _setup(device)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="resume=True needs checkpoint_dir"):
        fit(model, opt, loss, train, 1, resume=True, quiet=True)
    with pytest.raises(ValueError, match="scheduler_step must be 'epoch' or 'batch'"):
        fit(model, opt, loss, train, 1, scheduler_step="step", quiet=True)
    with pytest.raises(ValueError, match="ReduceLROnPlateau needs a metric"):
        fit(model, opt, loss, train, 1, scheduler=lr_scheduler.ReduceLROnPlateau(opt),
            scheduler_step="batch", quiet=True)
    with pytest.raises(ValueError, match="clashes with a history key"):
        fit(model, opt, loss, train, 1, metrics={"val_x": accuracy}, quiet=True)
    with pytest.raises(ValueError, match="epochs must be a non-negative int"):
        fit(model, opt, loss, train, -1, quiet=True)
    other = tmp_path / "weights.ckpt"
    tinynn.save({"w": tinynn.ones(2)}, str(other))
    with pytest.raises(RuntimeError, match="is not a checkpoint written by tinynn.train.fit"):
        fit(model, opt, loss, train, 2, resume=str(other), quiet=True)


# ------------------------------------------------------------------------------------ evaluate / predict
def test_evaluate(device):
    model, opt, sched, train, val = _setup(device)
    model.train()
    res = evaluate(model, val, nn.CrossEntropyLoss(), {"accuracy": accuracy})
    assert model.training  # mode restored
    x, y = val.dataset.tensors
    model.eval()
    with tinynn.no_grad():
        out = model(x)
    assert res["loss"] == pytest.approx(nn.CrossEntropyLoss()(out, y).item(), rel=1e-6)
    assert res["accuracy"] == pytest.approx(accuracy(out, y).item())
    assert list(evaluate(model, val, metrics=[accuracy])) == ["accuracy"]


def test_predict(device):
    model, opt, sched, train, val = _setup(device)
    x = val.dataset.tensors[0]
    a = predict(model, x)
    b = predict(model, val)
    c = predict(model, x, batch_size=7)
    d = predict(model, DataLoader(TensorDataset(x), batch_size=10))
    assert a.shape == (96, 3) and a.grad_fn is None and not a.requires_grad
    for t in (b, c, d):
        assert_close(t, a, rtol=1e-5, atol=1e-6)
    assert model.training


# ------------------------------------------------------------------------------------ checkpoints
def test_checkpoint_files_and_contents(device, tmp_path):
    model, opt, sched, train, val = _setup(device)
    fit(model, opt, nn.CrossEntropyLoss(), train, 2, val_loader=val, scheduler=sched,
        checkpoint_dir=str(tmp_path), quiet=True)
    assert sorted(os.listdir(tmp_path)) == ["epoch_0001.ckpt", "epoch_0002.ckpt"]
    assert latest_checkpoint(str(tmp_path)).endswith("epoch_0002.ckpt")
    ckpt = tinynn.load(str(tmp_path / "epoch_0002.ckpt"))
    assert ckpt["epoch"] == 2
    assert list(ckpt["model"]) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert ckpt["optimizer"]["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert ckpt["scheduler"]["last_epoch"] == 2
    assert ckpt["history"]["epoch"] == [1, 2]
    for name, p in model.state_dict().items():
        np.testing.assert_array_equal(ckpt["model"][name].cpu().numpy(), p.cpu().numpy())


@pytest.mark.parametrize("loader_generator", [False, True], ids=["global-rng", "loader-generator"])
def test_resume_equals_uninterrupted(device, tmp_path, loader_generator):
    loss = nn.CrossEntropyLoss()
    kw = dict(val_loader=None, metrics={"accuracy": accuracy}, quiet=True)

    # the uninterrupted run: 5 epochs
    model, opt, sched, train, val = _setup(device, loader_generator=loader_generator)
    full = fit(model, opt, loss, train, 5, scheduler=sched, checkpoint_dir=str(tmp_path / "a"),
               val_loader=val, metrics=kw["metrics"], quiet=True)
    full_params = _params(model)

    # an interrupted run: 2 epochs, then a fresh "process" that resumes to 5 epochs
    model, opt, sched, train, val = _setup(device, loader_generator=loader_generator)
    fit(model, opt, loss, train, 2, scheduler=sched, checkpoint_dir=str(tmp_path / "b"), val_loader=val,
        metrics=kw["metrics"], quiet=True)
    tinynn.manual_seed(999)  # whatever happened in between must not matter
    model, opt, sched, train, val = _setup(device, seed=7, loader_generator=loader_generator)
    cuda_rng_saved = tinynn.load(str(tmp_path / "b" / "epoch_0002.ckpt"))["rng"]["cuda"] is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = fit(model, opt, loss, train, 5, scheduler=sched, checkpoint_dir=str(tmp_path / "b"),
                      resume=True, val_loader=val, metrics=kw["metrics"], quiet=True)
    exact = device == "cpu" or cuda_rng_saved
    assert any("CUDA random generator" in str(w.message) for w in caught) == (not exact)
    assert resumed["epoch"] == [1, 2, 3, 4, 5]
    assert resumed["lr"] == full["lr"]
    if not exact:  # dropout masks on the GPU differ after resuming; nothing more to compare
        return
    # bit for bit (on the CPU; on a GPU whose generator state could be saved, too)
    assert resumed["loss"] == full["loss"]
    assert resumed["batch_loss"] == full["batch_loss"]
    assert resumed["val_loss"] == full["val_loss"]
    assert resumed["accuracy"] == full["accuracy"]
    for a, b in zip(_params(model), full_params):
        np.testing.assert_array_equal(a, b)

    # resuming from an older checkpoint of the first run reproduces it too
    model, opt, sched, train, val = _setup(device, seed=11, loader_generator=loader_generator)
    again = fit(model, opt, loss, train, 5, scheduler=sched, val_loader=val, metrics=kw["metrics"],
                resume=str(tmp_path / "a" / "epoch_0001.ckpt"), quiet=True)
    if device == "cpu":
        assert again["batch_loss"] == full["batch_loss"]

    # resuming a finished run trains no further
    model, opt, sched, train, val = _setup(device, loader_generator=loader_generator)
    done = fit(model, opt, loss, train, 5, scheduler=sched, checkpoint_dir=str(tmp_path / "a"), resume=True,
               quiet=True)
    assert done["loss"] == full["loss"]
    for a, b in zip(_params(model), full_params):
        np.testing.assert_array_equal(a, b)


def test_resume_without_checkpoint_starts_fresh(device, tmp_path):
    model, opt, sched, train, _ = _setup(device)
    hist = fit(model, opt, nn.CrossEntropyLoss(), train, 1, scheduler=sched, checkpoint_dir=str(tmp_path / "new"),
               resume=True, quiet=True)
    assert hist["epoch"] == [1]
    assert os.path.exists(tmp_path / "new" / "epoch_0001.ckpt")


# ------------------------------------------------------------------------------------ reproducibility
def _script(device):
    """A small training script: seeded init, shuffling, dropout, SGD with momentum."""
    tinynn.manual_seed(2024)
    x = tinynn.randn(64, 6, device=device)
    y = (x.sum(1) > 0).long()
    model = nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Dropout(0.3), nn.Linear(12, 2)).to(device)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    losses = []
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses, _params(model)


def test_manual_seed_makes_runs_bit_identical(device):
    a, pa = _script(device)
    b, pb = _script(device)
    assert a == b
    for u, v in zip(pa, pb):
        np.testing.assert_array_equal(u, v)
    assert len(set(a)) > 10  # the losses do change over training
