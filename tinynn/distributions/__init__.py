"""tinynn.distributions: probability distributions, as `torch.distributions`.

`Categorical`, `OneHotCategorical`, `Bernoulli`, `Normal`, `Uniform`, `kl_divergence`. Sampling
draws from tinynn's default generator (so `tinynn.manual_seed` fixes it); `rsample` is
differentiable (reparameterisation) and `log_prob` is differentiable in the parameters, as the
policy-gradient pattern needs:

    m = Categorical(probs)
    action = m.sample()
    loss = -m.log_prob(action) * reward
    loss.backward()
"""
from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical, OneHotCategorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .normal import Normal, Uniform

__all__ = ["Distribution", "Categorical", "OneHotCategorical", "Bernoulli", "Normal", "Uniform",
           "kl_divergence", "register_kl", "constraints"]
