"""Sine-wave prediction in the style of pytorch/examples time_sequence_prediction (tinynn's tests).

Two stacked nn.LSTMCell layers in float64 trained with optim.LBFGS and a closure; the data is a
NumPy array written with torch.save and read back with torch.load + torch.from_numpy. Small sizes
so that it runs in seconds. Prints the training loss before and after, and the test loss.
"""
import argparse
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


class Sequence(nn.Module):
    def __init__(self, hidden=12):
        super(Sequence, self).__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--length', type=int, default=40)
    opt = parser.parse_args()

    np.random.seed(2)
    T, L, N = 20, opt.length, 12
    x = np.empty((N, L), 'int64')
    x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    path = os.path.join(tempfile.mkdtemp(), 'traindata.pt')
    torch.save(np.sin(x / 1.0 / T).astype('float64'), open(path, 'wb'))

    np.random.seed(0)
    torch.manual_seed(0)
    data = torch.from_numpy(torch.load(path, weights_only=False))
    input, target = data[3:, :-1], data[3:, 1:]
    test_input, test_target = data[:3, :-1], data[:3, 1:]
    seq = Sequence().double()
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=8)
    losses = []
    for i in range(opt.steps):
        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            losses.append(loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = 10
            pred = seq(test_input, future=future)
            test_loss = criterion(pred[:, :-future], test_target)
            print('STEP', i, 'test loss:', test_loss.item())
            assert pred.shape == (3, L - 1 + future)
            y = pred.detach().numpy()
    print('FIRST', losses[0])
    print('LAST', losses[-1])
    print('EVALS', len(losses))
