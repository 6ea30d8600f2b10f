"""A tiny language model in the style of pytorch/examples word_language_model (tinynn's tests).

`--model Transformer` builds nn.TransformerEncoder(nn.TransformerEncoderLayer) with a sinusoidal
positional encoding buffer and a causal mask; `--model LSTM|GRU|RNN_TANH` an nn.LSTM / nn.GRU /
nn.RNN; `--model LSTMCell|GRUCell|RNNCell` unrolls the cell by hand. Trained by plain SGD on
`p.data.add_(p.grad, alpha=-lr)` after nn.utils.clip_grad_norm_, on a synthetic repeating token
stream; the state dict is saved and loaded back. Prints the first and last loss.
"""
import argparse
import math
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=500):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer('pe', pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.1):
        super(TransformerModel, self).__init__()
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        layer = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout)
        self.encoder = nn.TransformerEncoder(layer, nlayers, enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, src):
        mask = nn.Transformer.generate_square_subsequent_mask(len(src))
        src = self.embedding(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=mask)
        return F.log_softmax(self.decoder(output), dim=-1)


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.2):
        super(RNNModel, self).__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn_type = rnn_type
        if rnn_type in ['LSTM', 'GRU']:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        elif rnn_type.endswith('Cell'):
            self.rnn = getattr(nn, rnn_type)(ninp, nhid)
        else:
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity='tanh', dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        if self.rnn_type.endswith('Cell'):
            outs = []
            for x_t in emb:
                hidden = self.rnn(x_t, hidden)
                outs.append(hidden[0] if isinstance(hidden, tuple) else hidden)
            output = torch.stack(outs)
        else:
            output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output))
        return F.log_softmax(decoded, dim=-1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type.endswith('Cell'):
            h = weight.new_zeros(bsz, self.nhid)
            return (h, h.clone()) if self.rnn_type == 'LSTMCell' else h
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model', default='Transformer')
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--lr', type=float, default=2.0)
    parser.add_argument('--clip', type=float, default=0.25)
    parser.add_argument('--bptt', type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    ntokens, bsz = 12, 4
    stream = torch.arange(400) % ntokens            # a repeating sequence: learnable
    data = stream.view(bsz, -1).t().contiguous()    # batchify
    if args.model == 'Transformer':
        model = TransformerModel(ntokens, 16, 2, 32, 2, dropout=0.0)
    else:
        model = RNNModel(args.model, ntokens, 16, 24, 2, dropout=0.0)
    criterion = nn.NLLLoss()
    losses = []
    hidden = None if args.model == 'Transformer' else model.init_hidden(bsz)
    model.train()
    for step in range(args.steps):
        i = (step * args.bptt) % (data.size(0) - 1 - args.bptt)
        x, y = data[i:i + args.bptt], data[i + 1:i + 1 + args.bptt].reshape(-1)
        model.zero_grad()
        if hidden is None:
            output = model(x)
        else:
            hidden = repackage_hidden(hidden)
            output, hidden = model(x, hidden)
        loss = criterion(output.view(-1, ntokens), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-args.lr)
        losses.append(loss.item())
    path = os.path.join(tempfile.mkdtemp(), 'model.pt')
    with open(path, 'wb') as f:
        torch.save(model.state_dict(), f)
    with open(path, 'rb') as f:
        model.load_state_dict(torch.load(f))
    print('FIRST {:.4f}'.format(losses[0]))
    print('LAST {:.4f}'.format(sum(losses[-5:]) / 5))
    print('PPL {:8.2f}'.format(math.exp(sum(losses[-5:]) / 5)))


if __name__ == '__main__':
    main()
