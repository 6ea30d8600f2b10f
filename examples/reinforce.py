"""REINFORCE (policy gradient) with tinynn.distributions.Categorical on a small corridor.

The environment, written here: a corridor of `length` cells. The agent starts in cell 0 and
moves left or right; reaching the last cell ends the episode with reward +1, every step costs
0.05, and an episode lasts at most `max_steps` steps. With the defaults (10 cells, 40 steps) a
random policy rarely gets there (average return -1.55); the best one walks straight right (+0.55).

The policy is a small network from the one-hot cell to action probabilities, trained with the
notes' pattern:

    m = Categorical(probs)
    action = m.sample()
    loss = -m.log_prob(action) * return

Several episodes run side by side (a batch of corridors), so one forward pass serves them all.
The run is seeded and deterministic; it prints the average return as it rises.

    python examples/reinforce.py
    python examples/reinforce.py --updates 200 --length 16 --max-steps 60
"""
from __future__ import annotations

import argparse

import tinynn as torch
from tinynn import nn
from tinynn.distributions import Categorical

LEFT, RIGHT = 0, 1


class Corridor:
    """`n` corridors stepped together; positions and rewards are plain Python lists."""

    def __init__(self, n: int, length: int = 10, max_steps: int = 40, step_cost: float = 0.05):
        self.n, self.length, self.max_steps, self.step_cost = n, length, max_steps, step_cost

    def reset(self):
        self.pos = [0] * self.n
        self.done = [False] * self.n
        self.t = 0
        return self.observation()

    def observation(self):
        """One-hot cells, (n, length)."""
        return torch.eye(self.length)[torch.tensor(self.pos)]

    def step(self, actions):
        """Move every running corridor; returns (observation, rewards, done flags)."""
        self.t += 1
        rewards = [0.0] * self.n
        for i, a in enumerate(actions):
            if self.done[i]:
                continue
            self.pos[i] = max(0, self.pos[i] + (1 if a == RIGHT else -1))
            rewards[i] = -self.step_cost
            if self.pos[i] == self.length - 1:
                rewards[i] += 1.0
                self.done[i] = True
            elif self.t >= self.max_steps:
                self.done[i] = True
        return self.observation(), rewards, list(self.done)


class Policy(nn.Module):
    def __init__(self, n_states: int, hidden: int = 32, n_actions: int = 2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_states, hidden), nn.Tanh(),
                                 nn.Linear(hidden, n_actions), nn.Softmax(dim=-1))

    def forward(self, obs):
        return self.net(obs)  # action probabilities


def run_episodes(env, policy, device="cpu"):
    """Play one batch of episodes; returns (log-probs (T, n), rewards (T, n), alive masks (T, n))."""
    obs = env.reset()
    log_probs, rewards, alive = [], [], []
    done = [False] * env.n
    while not all(done):
        probs = policy(obs.to(device))
        m = Categorical(probs)
        action = m.sample()
        alive.append([0.0 if d else 1.0 for d in done])
        log_probs.append(m.log_prob(action))
        obs, r, done = env.step(action.tolist())
        rewards.append(r)
    return (torch.stack(log_probs), torch.tensor(rewards, device=device),
            torch.tensor(alive, device=device))


def discounted_returns(rewards, gamma: float):
    """G_t = r_t + gamma * G_{t+1}, per episode (rewards (T, n))."""
    returns = torch.zeros_like(rewards)
    running = torch.zeros(rewards.shape[1], device=rewards.device)
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=60, help="policy updates")
    parser.add_argument("--episodes", type=int, default=16, help="episodes per update")
    parser.add_argument("--length", type=int, default=10, help="cells in the corridor")
    parser.add_argument("--max-steps", type=int, default=40)
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-interval", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the policy network)")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda: no usable GPU (tinynn.cuda.is_available() is False)")

    torch.manual_seed(args.seed)  # the policy's weights and every action sampled
    env = Corridor(args.episodes, args.length, args.max_steps)
    policy = Policy(args.length).to(args.device)
    optimizer = torch.optim.Adam(policy.parameters(), lr=args.lr)

    history = []
    for update in range(1, args.updates + 1):
        log_probs, rewards, alive = run_episodes(env, policy, args.device)
        returns = discounted_returns(rewards, args.gamma)
        # Baseline: subtract the mean return of each time step (lower variance, same expectation).
        advantage = returns - (returns * alive).sum(1, keepdim=True) / alive.sum(1, keepdim=True)
        loss = -(log_probs * advantage * alive).sum() / args.episodes

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        history.append(rewards.sum(0).mean().item())  # undiscounted return, averaged
        if update % args.log_interval == 0 or update == 1:
            recent = history[-args.log_interval:]
            print(f"update {update:4d}: average return {sum(recent) / len(recent):+.3f} "
                  f"(last batch {history[-1]:+.3f}, {rewards.shape[0]} steps)")
    k = max(1, min(10, len(history) // 4))
    first, last = sum(history[:k]) / k, sum(history[-k:]) / k
    print(f"average return: first {k} updates {first:+.3f}, last {k} updates {last:+.3f} "
          f"(best possible {1 - env.step_cost * (args.length - 1):+.3f})")
    return {"returns": history, "first": first, "last": last}


if __name__ == "__main__":
    main()
