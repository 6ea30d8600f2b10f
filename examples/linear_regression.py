"""Linear regression: fit y = 2x + 3 + noise with nn.Linear(1, 1), MSELoss and SGD.

The same model is trained twice: once with the explicit PyTorch loop (zero_grad, forward, loss,
backward, step) and once with tinynn's training-loop helper, `tinynn.train.fit`.

    python examples/linear_regression.py
    python examples/linear_regression.py --epochs 50 --device cuda
"""
from __future__ import annotations

import argparse

import tinynn as torch
from tinynn import nn
from tinynn.train import fit
from tinynn.utils.data import DataLoader, TensorDataset

TRUE_WEIGHT, TRUE_BIAS = 2.0, 3.0


def make_data(n: int = 1000, noise: float = 0.1, seed: int = 0):
    """n points with x ~ U(-1, 1) and y = 2x + 3 + N(0, noise^2), from a seeded generator."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g) * 2 - 1
    y = TRUE_WEIGHT * x + TRUE_BIAS + noise * torch.randn(n, 1, generator=g)
    return x, y


def train_explicit(x, y, epochs: int = 20, batch_size: int = 32, lr: float = 0.1, device="cpu"):
    """The loop every PyTorch user writes."""
    model = nn.Linear(1, 1).to(device)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    losses = []
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        losses.append(total / len(x))
    return model, losses


def train_with_fit(x, y, epochs: int = 20, batch_size: int = 32, lr: float = 0.1, device="cpu"):
    """The same training with tinynn.train.fit, which runs that loop (and a progress bar)."""
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    history = fit(model, optimizer, nn.MSELoss(), loader, epochs=epochs, device=device, quiet=True)
    return model, history["loss"]


def report(name: str, model: nn.Linear, losses: list) -> dict:
    w, b = model.weight.item(), model.bias.item()
    print(f"{name:>14}: weight = {w:.4f} (true {TRUE_WEIGHT}), bias = {b:.4f} (true {TRUE_BIAS}), "
          f"MSE {losses[0]:.4f} -> {losses[-1]:.4f}")
    return {"weight": w, "bias": b, "losses": losses}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda: no usable GPU (tinynn.cuda.is_available() is False)")

    torch.manual_seed(args.seed)  # nn.Linear's initial weights
    x, y = make_data(args.samples, seed=args.seed)
    results = {}
    model, losses = train_explicit(x, y, args.epochs, args.batch_size, args.lr, args.device)
    results["explicit"] = report("explicit loop", model, losses)
    torch.manual_seed(args.seed)
    model, losses = train_with_fit(x, y, args.epochs, args.batch_size, args.lr, args.device)
    results["fit"] = report("train.fit", model, losses)
    return results


if __name__ == "__main__":
    main()
