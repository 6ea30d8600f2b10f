"""A small CNN on MNIST in the style of pytorch/examples mnist/main.py (written for tinynn's tests).

Same API surface as the official example: argparse, torch.accelerator, torch.backends.mps,
torchvision.datasets.MNIST / transforms, DataLoader keywords, Adadelta, StepLR, log_softmax +
nll_loss, argmax(keepdim) / eq / view_as accuracy, torch.save of the state dict. Smaller network
and a few batches, so that it runs in seconds. Prints `ACCURACY <correct> <total>` at the end.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torchvision import datasets, transforms


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(2304, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
        if batch_idx + 1 >= args.max_batches:
            break


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    n = len(test_loader.dataset)
    test_loss /= n
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, n, 100. * correct / n))
    return correct, n


def main():
    parser = argparse.ArgumentParser(description='tinynn test: MNIST CNN')
    parser.add_argument('--data', required=True, help='MNIST root (torchvision layout or flat)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--test-size', type=int, default=1000)
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--max-batches', type=int, default=30)
    parser.add_argument('--lr', type=float, default=1.0)
    parser.add_argument('--gamma', type=float, default=0.7)
    parser.add_argument('--no-accel', action='store_true')
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--log-interval', type=int, default=10)
    parser.add_argument('--save-model', default='')
    args = parser.parse_args()

    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(args.seed)
    if use_accel:
        device = torch.accelerator.current_accelerator()
    elif torch.backends.mps.is_available():
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    print("Using device:", device)

    train_kwargs = {'batch_size': args.batch_size, 'shuffle': True}
    test_kwargs = {'batch_size': 500}
    loader_kwargs = {'num_workers': args.workers, 'persistent_workers': args.workers > 0,
                     'pin_memory': True}
    train_kwargs.update(loader_kwargs)
    test_kwargs.update(loader_kwargs)

    transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.1307,), (0.3081,))
    ])
    dataset1 = datasets.MNIST(args.data, train=True, download=True, transform=transform)
    dataset2 = datasets.MNIST(args.data, train=False, transform=transform)
    dataset2 = torch.utils.data.Subset(dataset2, range(args.test_size))
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        correct, n = test(model, device, test_loader)
        scheduler.step()
    print('LR', scheduler.get_last_lr()[0])
    print('ACCURACY', correct, n)

    if args.save_model:
        torch.save(model.state_dict(), args.save_model)
        state = torch.load(args.save_model)
        fresh = Net()
        fresh.load_state_dict(state)
        assert all(torch.equal(a.cpu(), b.cpu()) for a, b in
                   zip(fresh.state_dict().values(), model.state_dict().values()))
        print('SAVED', os.path.basename(args.save_model), sorted(state)[:2])


if __name__ == '__main__':
    main()
