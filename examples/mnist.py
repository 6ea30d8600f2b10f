"""Train an MLP or a CNN on MNIST (or Fashion-MNIST) with tinynn: the PyTorch code you know.

    python examples/mnist.py --download                    # MLP, 5 epochs: >= 98% test accuracy
    python examples/mnist.py --model cnn                   # CNN, 5 epochs: >= 99%
    python examples/mnist.py --data ~/datasets/mnist       # a folder with the four IDX files
    python examples/mnist.py --dataset fashion --model cnn # Fashion-MNIST: >= 90%
    python examples/mnist.py --device cuda                 # on the GPU (needs CuPy)
    mpirun -np 2 python examples/mnist.py --distributed    # data-parallel on 2 processes
        (add OpenMPI's flags for containers, see docs/distributed.md; with --device cuda: one
        GPU per process, NCCL)

The data are the four standard IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), read from --data (default
~/.cache/tinynn/mnist or ~/.cache/tinynn/fashion-mnist), from DIR/MNIST/raw/ (torchvision's layout)
or fetched there with --download. With --torchvision the datasets come from
torchvision.datasets and go, as they are, through tinynn's DataLoader.

At the end: the test accuracy, the seconds per epoch, a checkpoint written with tinynn.save
(--save, default mnist_<model>.ckpt) and, with --plot, a PNG of the loss and accuracy curves.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import time

from tqdm import tqdm

import tinynn as torch
import tinynn.nn.functional as F
from tinynn import datasets, nn, transforms
from tinynn.utils.data import DataLoader, DistributedSampler

# name -> (tinynn dataset class name, torchvision class name, mean, std of the training pixels)
DATASETS = {
    "mnist": ("MNIST", "MNIST", 0.1307, 0.3081),
    "fashion": ("FashionMNIST", "FashionMNIST", 0.2860, 0.3530),
}
DEFAULT_DATA = {"mnist": "~/.cache/tinynn/mnist", "fashion": "~/.cache/tinynn/fashion-mnist"}
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.05}


# ------------------------------------------------------------------------------------ models
class MLP(nn.Module):
    """784-512-256-10 with ReLU and dropout."""

    def __init__(self, dropout: float = 0.2):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.dropout(F.relu(self.fc2(x)))
        return self.fc3(x)


class CNN(nn.Module):
    """Conv(1,16,3)-ReLU-MaxPool-Conv(16,32,3)-ReLU-MaxPool-Linear(1568,128)-ReLU-Linear(128,10)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


MODELS = {"mlp": MLP, "cnn": CNN}


# ------------------------------------------------------------------------------------ data
def get_datasets(args):
    """(train, test) datasets of ToTensor + Normalize images, from tinynn or torchvision."""
    tinynn_name, tv_name, mean, std = DATASETS[args.dataset]
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    if args.torchvision:
        try:
            import torchvision  # noqa: PLC0415
        except ImportError:
            sys.exit("error: --torchvision needs torchvision: pip install torchvision "
                     "(or pip install -e '.[vision]'), or leave out --torchvision to use "
                     "tinynn.datasets")
        # torchvision's dataset gives (PIL image, int) items; tinynn's transforms turn the image
        # into a tinynn tensor and tinynn's DataLoader batches them: no adapter needed.
        dataset_cls = getattr(torchvision.datasets, tv_name)
    else:
        dataset_cls = getattr(datasets, tinynn_name)
    try:
        train_set = dataset_cls(args.data, train=True, download=args.download, transform=transform)
        test_set = dataset_cls(args.data, train=False, download=args.download, transform=transform)
    except RuntimeError as e:
        files = ("train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                 "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz")
        if args.torchvision:  # torchvision reads DIR/<Name>/raw/ (and extracts the .gz there)
            where = os.path.join(args.data, tv_name, "raw")
            todo = f"put the four IDX files ({files}) in {where} and pass --download"
        else:
            where = args.data
            todo = (f"put the four IDX files ({files}) in {where}"
                    + (" or point --data at a folder that has them" if args.download else
                       ", point --data at a folder that has them, or pass --download to fetch "
                       "them"))
        what = "could not be downloaded into" if args.download else "was not found in"
        sys.exit(f"error: {tinynn_name} {what} {where}.\nTo fix: {todo}.\n"
                 f"(details: {e})")
    return train_set, test_set


# ------------------------------------------------------------------------------------ train / test
def train_epoch(model, loader, optimizer, scheduler, device, epoch, args):
    """One epoch; returns (mean loss, accuracy, samples, seconds, losses logged along the way)."""
    model.train()
    n_batches = len(loader) if args.limit is None else min(args.limit, len(loader))
    total_loss = torch.zeros((), device=device)  # summed on the device, read back now and then
    correct = torch.zeros((), dtype=torch.int64, device=device)
    seen, logged = 0, []
    start = time.perf_counter()
    bar = tqdm(itertools.islice(loader, n_batches), total=n_batches, disable=args.quiet,
               desc=f"epoch {epoch}/{args.epochs}", unit="batch", dynamic_ncols=True)
    for i, (data, target) in enumerate(bar):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()

        with torch.no_grad():
            total_loss += loss * len(data)
            correct += (output.argmax(1) == target).sum()
        seen += len(data)
        if i % args.log_interval == 0 or i == n_batches - 1:
            logged.append((epoch - 1 + (i + 1) / n_batches, loss.item()))
            elapsed = time.perf_counter() - start
            bar.set_postfix(loss=f"{logged[-1][1]:.4f}", acc=f"{correct.item() / seen:.2%}",
                            samples_s=f"{seen / elapsed:.0f}")
    seconds = time.perf_counter() - start
    return total_loss.item() / seen, correct.item() / seen, seen, seconds, logged


@torch.no_grad()
def evaluate(model, loader, device, limit=None):
    """(mean loss, accuracy, number of samples) over `loader` (the first `limit` batches)."""
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for data, target in itertools.islice(loader, limit):
        data, target = data.to(device), target.to(device)
        output = model(data)
        total_loss += F.cross_entropy(output, target, reduction="sum").item()
        correct += (output.argmax(1) == target).sum().item()
        seen += len(data)
    return total_loss / seen, correct / seen, seen


def save_plot(history, path, title):
    import matplotlib  # noqa: PLC0415
    import matplotlib.ticker  # noqa: PLC0415
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    steps, losses = zip(*history["batch_loss"])
    ax_loss.plot(steps, losses, lw=0.8, alpha=0.6, label="train (batches)")
    ax_loss.plot(history["epoch"], history["train_loss"], "o-", label="train (epoch mean)")
    ax_loss.plot(history["epoch"], history["test_loss"], "s-", label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="loss")
    ax_acc.plot(history["epoch"], [100 * a for a in history["train_acc"]], "o-", label="train")
    ax_acc.plot(history["epoch"], [100 * a for a in history["test_acc"]], "s-", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------------------------ distributed
def setup_distributed(args):
    """Join the mpirun job: MPI for CPU tensors, NCCL with one GPU per process for cuda.
    Only rank 0 prints."""
    import tinynn.distributed as dist  # noqa: PLC0415
    cuda = args.device.startswith("cuda")
    if cuda:
        local = int(os.environ.get("OMPI_COMM_WORLD_LOCAL_RANK", os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(local)
        args.device = f"cuda:{local}"
    dist.init_process_group("nccl" if cuda else "mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} processes")
    if rank != 0:
        args.quiet = True
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the other ranks stay silent
    return rank, world


def combine_ranks(train_loss, train_acc, seen, test_loss, test_acc, n_test, seconds):
    """Per-process epoch figures -> figures over all processes (the slowest one's seconds)."""
    import tinynn.distributed as dist  # noqa: PLC0415
    t = torch.tensor([train_loss * seen, train_acc * seen, seen, test_loss * n_test,
                      test_acc * n_test, n_test], dtype=torch.float64)
    dist.all_reduce(t)
    s = torch.tensor([seconds], dtype=torch.float64)
    dist.all_reduce(s, op=dist.ReduceOp.MAX)
    a, b, n, c, d, m = t.tolist()
    return (a / n, b / n, int(n), c / m, d / m, int(m)), s.item()


# ------------------------------------------------------------------------------------ main
def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Train an MLP or a CNN on MNIST / Fashion-MNIST with "
                                            "tinynn.")
    p.add_argument("--model", choices=sorted(MODELS), default="mlp")
    p.add_argument("--dataset", choices=sorted(DATASETS), default="mnist",
                   help="mnist, or fashion for Fashion-MNIST")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--test-batch-size", type=int, default=1000)
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: 1e-3 for adam, 0.05 for sgd with momentum 0.9); "
                        "annealed to 0 over the run with a cosine schedule")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="folder with the IDX files (default: ~/.cache/tinynn/mnist, or "
                        "~/.cache/tinynn/fashion-mnist with --dataset fashion)")
    p.add_argument("--download", action="store_true", help="download missing files into --data")
    p.add_argument("--torchvision", action="store_true",
                   help="load the data with torchvision.datasets (must be installed)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--save", default=None, metavar="PATH",
                   help="checkpoint path (default: mnist_<model>.ckpt, fashion_<model>.ckpt)")
    p.add_argument("--plot", default=None, metavar="PATH", help="PNG of the loss/accuracy curves")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="use only the first N batches of the training and test sets per epoch "
                        "(quick checks)")
    p.add_argument("--log-interval", type=int, default=20, metavar="N",
                   help="batches between progress-bar updates")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel training on the processes of `mpirun -np N` "
                        "(DistributedDataParallel; --batch-size is then split over the N processes)")
    args = p.parse_args(argv)

    if args.epochs < 1 or args.batch_size < 1 or (args.limit is not None and args.limit < 1):
        p.error("--epochs, --batch-size and --limit must be positive")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        p.error("--device cuda: no usable GPU (tinynn.cuda.is_available() is False; install "
                "tinynn[cuda12] or tinynn[cuda13] on a machine with an NVIDIA GPU)")
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401,PLC0415
        except ImportError:
            p.error("--plot needs matplotlib: pip install matplotlib (or pip install -e '.[plot]')")
    if args.lr is None:
        args.lr = DEFAULT_LR[args.optimizer]
    if args.data is None:
        args.data = DEFAULT_DATA[args.dataset]
    args.data = os.path.expanduser(args.data)
    if args.save is None:
        args.save = f"{'mnist' if args.dataset == 'mnist' else 'fashion'}_{args.model}.ckpt"
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    rank, world = setup_distributed(args) if args.distributed else (0, 1)
    device = torch.device(args.device)

    train_set, test_set = get_datasets(args)
    train_sampler = test_sampler = None
    if args.distributed:  # each process reads its own share of every epoch
        train_sampler = DistributedSampler(train_set, shuffle=True, seed=args.seed)
        test_sampler = DistributedSampler(test_set, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size // world,
                              shuffle=train_sampler is None, sampler=train_sampler,
                              generator=torch.Generator().manual_seed(args.seed))
    test_loader = DataLoader(test_set, batch_size=args.test_batch_size, sampler=test_sampler)

    model = MODELS[args.model]().to(device)
    net = nn.parallel.DistributedDataParallel(model) if args.distributed else model
    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    else:
        optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9)
    steps_per_epoch = len(train_loader) if args.limit is None else min(args.limit, len(train_loader))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * steps_per_epoch)

    print(f"{DATASETS[args.dataset][0]}: {len(train_set)} training and {len(test_set)} test images; "
          f"model {args.model} ({sum(p.numel() for p in model.parameters()):,} parameters) on "
          f"{device}, {args.optimizer} lr={args.lr:g}, batch {args.batch_size}, "
          f"{args.epochs} epoch(s)" + (f", {world} processes" if args.distributed else ""))
    test_limit = None if args.limit is None else args.limit
    history = {"epoch": [], "train_loss": [], "train_acc": [], "test_loss": [], "test_acc": [],
               "seconds": [], "batch_loss": []}
    for epoch in range(1, args.epochs + 1):
        if train_sampler is not None:
            train_sampler.set_epoch(epoch)
        train_loss, train_acc, seen, seconds, logged = train_epoch(
            net, train_loader, optimizer, scheduler, device, epoch, args)
        test_loss, test_acc, n_test = evaluate(model, test_loader, device, test_limit)
        if args.distributed:  # the figures of all processes together
            (train_loss, train_acc, seen, test_loss, test_acc, n_test), seconds = \
                combine_ranks(train_loss, train_acc, seen, test_loss, test_acc, n_test, seconds)
        for key, value in (("epoch", epoch), ("train_loss", train_loss), ("train_acc", train_acc),
                           ("test_loss", test_loss), ("test_acc", test_acc), ("seconds", seconds)):
            history[key].append(value)
        history["batch_loss"].extend(logged)
        print(f"epoch {epoch}: train loss {train_loss:.4f} acc {train_acc:.2%} | test loss "
              f"{test_loss:.4f} acc {test_acc:.2%} | {seconds:.1f} s ({seen / seconds:.0f} samples/s)",
              flush=True)

    per_epoch = sum(history["seconds"]) / len(history["seconds"])
    on = f"{n_test} test images" + ("" if n_test == len(test_set) else f" of {len(test_set)}")
    print(f"test accuracy: {history['test_acc'][-1]:.2%} on {on}; {per_epoch:.1f} s per "
          f"training epoch")
    if rank == 0:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "epoch": args.epochs, "test_accuracy": history["test_acc"][-1],
                    "args": vars(args)}, args.save)
    print(f"checkpoint: {args.save} (tinynn.save; load with model.load_state_dict("
          f"tinynn.load(path)['model']))")
    if args.plot is not None and rank == 0:
        save_plot(history, args.plot, f"{args.model.upper()} on {DATASETS[args.dataset][0]}")
        print(f"plot: {args.plot}")
    return {"test_accuracy": history["test_acc"][-1], "seconds_per_epoch": per_epoch,
            "history": history, "checkpoint": args.save, "args": args}


if __name__ == "__main__":
    main()
