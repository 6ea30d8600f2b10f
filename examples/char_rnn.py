"""A character-level language model: nn.LSTM (or nn.GRU), gradient clipping and sampling.

Trains on a small text shipped with the example (examples/data/river.txt, two short stories
written for tinynn) or on any text file, then samples new text one character at a time.

    python examples/char_rnn.py
    python examples/char_rnn.py --cell gru --steps 1000 --text my_book.txt
"""
from __future__ import annotations

import argparse
import math
import os
import time

import tinynn as torch
import tinynn.nn.functional as F
from tinynn import nn

DEFAULT_TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "river.txt")


class CharRNN(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 128,
                 num_layers: int = 1, cell: str = "lstm"):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn_cls(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        """x: (batch, time) character ids -> logits (batch, time, vocab) and the final state."""
        out, state = self.rnn(self.embed(x), state)
        return self.head(out), state


def random_batch(data, batch_size: int, seq_len: int, generator):
    """`batch_size` random windows of the text: inputs and the same shifted by one character."""
    starts = torch.randint(0, len(data) - seq_len - 1, (batch_size,), generator=generator)
    offsets = torch.arange(seq_len + 1)
    windows = data[starts[:, None] + offsets]          # (batch, seq_len + 1)
    return windows[:, :-1], windows[:, 1:]


@torch.no_grad()
def sample(model, stoi, itos, prime: str, length: int, temperature: float, generator, device):
    """Feed `prime`, then draw `length` characters from softmax(logits / temperature)."""
    model.eval()
    x = torch.tensor([[stoi[c] for c in prime]], device=device)
    logits, state = model(x)
    out = list(prime)
    for _ in range(length):
        probs = F.softmax(logits[0, -1] / temperature, dim=-1)
        next_id = torch.multinomial(probs.cpu(), 1, generator=generator).item()
        out.append(itos[next_id])
        logits, state = model(torch.tensor([[next_id]], device=device), state)
    model.train()
    return "".join(out)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", default=DEFAULT_TEXT, help="a UTF-8 text file to learn")
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    parser.add_argument("--sample-length", type=int, default=300)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-interval", type=int, default=50)
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda: no usable GPU (tinynn.cuda.is_available() is False)")

    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text])
    print(f"{args.text}: {len(text)} characters, {len(chars)} distinct "
          f"(uniform guess: loss {math.log(len(chars)):.3f})")

    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    model = CharRNN(len(chars), hidden_size=args.hidden_size, num_layers=args.num_layers,
                    cell=args.cell).to(args.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    losses, start = [], time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = random_batch(data, args.batch_size, args.seq_len, g)
        x, y = x.to(args.device), y.to(args.device)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))

        optimizer.zero_grad()
        loss.backward()
        # Recurrent nets can produce huge gradients now and then: rescale them to norm <= clip.
        grad_norm = nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()

        losses.append(loss.item())
        if step % args.log_interval == 0 or step == 1:
            recent = losses[-args.log_interval:]
            print(f"step {step:5d}: loss {sum(recent) / len(recent):.3f} "
                  f"(grad norm before clipping {grad_norm.item():.2f}, "
                  f"{time.perf_counter() - start:.1f} s)")

    k = max(1, min(20, len(losses) // 4))
    first, last = sum(losses[:k]) / k, sum(losses[-k:]) / k
    print(f"loss: first {k} steps {first:.3f}, last {k} steps {last:.3f}")
    text_out = sample(model, stoi, chars, "The ", args.sample_length, args.temperature, g,
                      args.device)
    print(f"\nsample (temperature {args.temperature}):\n{text_out}")
    return {"losses": losses, "first": first, "last": last, "sample": text_out}


if __name__ == "__main__":
    main()
