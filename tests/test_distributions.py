"""tinynn.distributions. Expected values come from PyTorch 2.13 (torch.distributions)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_close, check_grad

import tinynn
from tinynn.distributions import (Bernoulli, Categorical, Normal, OneHotCategorical, Uniform,
                                  kl_divergence)


def T(data, device, **kw):
    return tinynn.tensor(data, device=device, **kw)


# --------------------------------------------------------------------------- Categorical
def test_categorical_values(device):
    m = Categorical(T([0.1, 0.2, 0.3, 0.4], device))
    assert_close(m.log_prob(T([0, 1, 2, 3], device)),
                 [-2.3025851249694824, -1.6094379425048828, -1.2039728164672852, -0.9162907004356384])
    assert_close(m.entropy(), 1.2798542976379395)
    assert m.batch_shape == () and m.event_shape == () and m.param_shape == (4,)
    assert_close(Categorical(T([1.0, 2.0, 3.0, 4.0], device)).probs, [0.1, 0.2, 0.3, 0.4])
    lm = Categorical(logits=T([1.0, 2.0, 3.0], device))
    assert_close(lm.probs, [0.09003057330846786, 0.2447284758090973, 0.6652409434318542])
    assert_close(lm.logits, [-2.4076058864593506, -1.4076058864593506, -0.4076058864593506])
    assert_close(lm.entropy(), 0.8323954939842224)


def test_categorical_batched(device):
    m = Categorical(T([[0.2, 0.8], [0.5, 0.5]], device))
    assert m.batch_shape == (2,)
    assert_close(m.entropy(), [0.5004023909568787, 0.6931471824645996])
    assert_close(m.log_prob(T([1, 0], device)), [-0.2231435328722, -0.6931471824645996])
    assert_close(m.log_prob(T([[1], [0]], device)),  # broadcast (2, 1) against batch (2,)
                 [[-0.2231435328722, -0.6931471824645996], [-1.6094379425048828, -0.6931471824645996]])
    assert m.mode.tolist() == [1, 0]
    assert m.enumerate_support().tolist() == [[0, 0], [1, 1]]
    assert m.enumerate_support(expand=False).shape == (2, 1)
    assert Categorical(T([[0.1, 0.9]] * 3, device)).sample((4, 2)).shape == (4, 2, 3)
    assert math.isnan(m.mean[0].item()) and math.isnan(m.variance[1].item())


def test_categorical_zero_probabilities(device):
    assert_close(Categorical(T([0.0, 1.0], device)).entropy(), 1.1920930376163597e-07)
    assert_close(Categorical(T([0.5, 0.5, 0.0], device)).entropy(), 0.6931471824645996)
    tinynn.manual_seed(0)
    s = Categorical(T([[0.0, 0.5, 0.0, 0.5], [1.0, 0.0, 0.0, 0.0]], device)).sample((2000,))
    assert set(s[:, 0].tolist()) == {1, 3} and set(s[:, 1].tolist()) == {0}


def test_categorical_sampling(device):
    tinynn.manual_seed(1)
    m = Categorical(T([0.1, 0.2, 0.3, 0.4], device))
    s = m.sample((20000,))
    assert s.dtype == tinynn.int64 and s.shape == (20000,)
    freqs = np.bincount(s.cpu().numpy(), minlength=4) / 20000
    np.testing.assert_allclose(freqs, [0.1, 0.2, 0.3, 0.4], atol=0.015)
    one = m.sample()
    assert one.shape == () and isinstance(one.item(), int)
    tinynn.manual_seed(1)
    assert m.sample((20000,)).tolist() == s.tolist()  # the default generator decides


def test_categorical_gradients(device):
    logits = T([0.3, -1.2, 2.0], device, requires_grad=True)
    (Categorical(logits=logits).log_prob(T(1, device)) * 2.5).backward()
    assert_close(logits.grad, [-0.37329718470573425, 2.416706085205078, -2.0434091091156006])
    p = T([0.2, 0.3, 0.5], device, requires_grad=True)
    Categorical(probs=p).log_prob(T(2, device)).backward()
    assert_close(p.grad, [-1.0, -1.0, 1.0])
    p = T([0.2, 0.3, 0.5], device, requires_grad=True)
    Categorical(probs=p).entropy().backward()
    assert_close(p.grad, [0.5797849297523499, 0.174319788813591, -0.33650583028793335])
    rng = np.random.default_rng(0)
    value = T([[1, 0], [2, 2], [0, 1]], device)  # (3, 2) against batch (2,) of 3 categories
    check_grad(lambda lg: Categorical(logits=lg).log_prob(value), rng.normal(size=(2, 3)), device=device)
    check_grad(lambda lg: Categorical(logits=lg).entropy(), rng.normal(size=(2, 4)), device=device)


def test_reinforce_pattern(device):
    """The study notes' policy-gradient step: m = Categorical(probs); action = m.sample();
    loss = -m.log_prob(action) * reward; loss.backward()."""
    tinynn.manual_seed(0)
    w = T([[0.5, -0.2], [0.1, 0.3], [-0.4, 0.2]], device, requires_grad=True)
    state = T([1.0, 2.0], device)
    probs = tinynn.softmax(w @ state, dim=0)
    m = Categorical(probs)
    action = m.sample()
    loss = -m.log_prob(action) * 1.5
    loss.backward()
    p = probs.detach().cpu().numpy()
    onehot = np.eye(3)[action.item()]
    # d(-log p_a * r)/dw = -r * (onehot - p) outer state
    assert_close(w.grad, -1.5 * np.outer(onehot - p, [1.0, 2.0]), rtol=1e-5)


def test_categorical_errors(device):
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        Categorical(T([0.5, 0.5], device), logits=T([0.0, 0.0], device))
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional."):
        Categorical(T(0.5, device))
    with pytest.raises(ValueError) as info:
        Categorical(T([0.5, -0.1, 0.6], device))
    assert str(info.value).startswith(
        "Expected parameter probs (Tensor of shape (3,)) of distribution Categorical(probs: "
        "tinynn.Size([3])) to satisfy the constraint Simplex(), but found invalid values:\n")
    m = Categorical(T([0.1, 0.2, 0.3, 0.4], device))
    with pytest.raises(ValueError, match=r"to be within the support \(IntegerInterval\(lower_bound=0, "
                                         r"upper_bound=3\)\) of the distribution Categorical"):
        m.log_prob(T([4], device))
    with pytest.raises(ValueError, match="IntegerInterval"):
        m.log_prob(T([1.5], device))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        m.log_prob([1])
    with pytest.raises(ValueError, match=r"Value is not broadcastable with batch_shape\+event_shape: "
                                         r"tinynn.Size\(\[3\]\) vs tinynn.Size\(\[2\]\)."):
        Categorical(T([[0.1, 0.9], [0.2, 0.8]], device)).log_prob(T([1, 0, 1], device))
    assert Categorical(T([0.5, -0.1, 0.6], device), validate_args=False).probs.shape == (3,)


def test_one_hot_categorical(device):
    m = OneHotCategorical(T([0.1, 0.2, 0.7], device))
    assert m.batch_shape == () and m.event_shape == (3,)
    assert_close(m.log_prob(T([0.0, 0.0, 1.0], device)), -0.3566749691963196)
    assert_close(m.entropy(), 0.8018185496330261)
    assert m.enumerate_support().tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    s = m.sample((50,))
    assert s.shape == (50, 3) and s.sum(-1).tolist() == [1.0] * 50
    assert repr(m) == "OneHotCategorical()"


# --------------------------------------------------------------------------- Bernoulli
def test_bernoulli(device):
    b = Bernoulli(T([0.0, 1.0, 0.3], device))
    assert_close(b.log_prob(T([0.0, 1.0, 1.0], device)), [0.0, -1.192093321833454e-07, -1.2039728164672852],
                 atol=1e-7)
    assert_close(b.entropy(), [0.0, 1.192093321833454e-07, 0.6108643412590027], atol=1e-7)
    assert_close(b.logits, [-15.942384719848633, 15.942384719848633, -0.8472978472709656])
    lb = Bernoulli(logits=T([0.0, 2.0, -3.0], device))
    assert_close(lb.probs, [0.5, 0.8807970285415649, 0.04742587357759476])
    assert_close(lb.log_prob(T([1.0, 0.0, 1.0], device)),
                 [-0.6931471824645996, -2.1269280910491943, -3.0485873222351074])
    assert_close(lb.entropy(), [0.6931471824645996, 0.3653339743614197, 0.19086503982543945])
    assert_close(lb.variance, [0.25, 0.10499362647533417, 0.045176658779382706])
    tinynn.manual_seed(3)
    s = Bernoulli(T([0.2, 0.9], device)).sample((4000,))
    assert s.shape == (4000, 2) and s.dtype == tinynn.float32
    assert_close(s.mean(0), [0.2, 0.9], atol=0.03)
    assert Bernoulli(0.3).batch_shape == () and repr(Bernoulli(0.3)) == "Bernoulli(probs: 0.30000001192092896)"
    check_grad(lambda lg: Bernoulli(logits=lg).log_prob(T([1.0, 0.0, 1.0], device, dtype=tinynn.float64)),
               np.array([0.3, -1.0, 2.0]), device=device)


def test_bernoulli_errors(device):
    with pytest.raises(ValueError, match=r"to satisfy the constraint Interval\(lower_bound=0.0, "
                                         r"upper_bound=1.0\)"):
        Bernoulli(T([1.5], device))
    with pytest.raises(ValueError, match=r"within the support \(Boolean\(\)\) of the distribution "
                                         r"Bernoulli\(probs: 0.30000001192092896\), but found invalid "
                                         r"values:\n2.0"):
        Bernoulli(0.3).log_prob(T(2.0, device))


# --------------------------------------------------------------------------- Normal / Uniform
def test_normal(device):
    n = Normal(T([0.0, 1.0], device), T([1.0, 2.0], device))
    v = T([0.5, -1.0], device)
    assert_close(n.log_prob(v), [-1.0439385175704956, -2.1120858192443848])
    assert_close(n.entropy(), [1.4189385175704956, 2.1120858192443848])
    assert_close(n.cdf(v), [0.6914624571800232, 0.15865525603294373])
    if hasattr(tinynn, "erfinv"):
        assert_close(n.icdf(T([0.7, 0.2], device)), [0.5244004726409912, -0.6832425594329834],
                     rtol=1e-5)
    else:  # an optional method: a clear error until the op library has erfinv
        with pytest.raises(NotImplementedError, match="erfinv"):
            n.icdf(T([0.7, 0.2], device))
    assert_close(n.variance, [1.0, 4.0]) and n.stddev.tolist() == [1.0, 2.0]
    assert n.mean.tolist() == [0.0, 1.0] and n.mode.tolist() == [0.0, 1.0]
    s = Normal(0.0, 1.0)
    assert s.batch_shape == () and s.loc.dtype == tinynn.float32 and s.sample().shape == ()
    assert Normal(T([1.0], device), 2.0).rsample((3,)).shape == (3, 1)
    assert Normal(T(0.0, device, dtype=tinynn.float64), 1.0).scale.dtype == tinynn.float64
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(n) == "Normal(loc: tinynn.Size([2]), scale: tinynn.Size([2]))"


def test_normal_gradients_and_rsample(device):
    loc = T([1.0, 2.0], device, requires_grad=True)
    sc = T([0.5, 3.0], device, requires_grad=True)
    Normal(loc, sc).log_prob(T([0.0, 1.0], device)).sum().backward()
    assert_close(loc.grad, [-4.0, -0.1111111119389534])
    assert_close(sc.grad, [6.0, -0.29629629850387573])
    loc = T(1.0, device, requires_grad=True)
    sc = T(2.0, device, requires_grad=True)
    tinynn.manual_seed(0)
    x = Normal(loc, sc).rsample((10000,))
    assert x.requires_grad and not Normal(loc, sc).sample((3,)).requires_grad
    x.mean().backward()
    eps = (x.detach() - 1.0) / 2.0
    assert_close(loc.grad, 1.0) and assert_close(sc.grad, eps.mean().item(), rtol=1e-4)
    assert abs(x.mean().item() - 1.0) < 0.06 and abs(x.std().item() - 2.0) < 0.06
    check_grad(lambda m, s: Normal(m, s).log_prob(T([0.3, -0.7], device, dtype=tinynn.float64)),
               np.array([0.1, 0.4]), np.array([0.8, 1.3]), device=device)


def test_normal_errors(device):
    with pytest.raises(ValueError) as info:
        Normal(0.0, -1.0)
    assert str(info.value) == (
        "Expected parameter scale (Tensor of shape ()) of distribution Normal(loc: 0.0, scale: -1.0) "
        "to satisfy the constraint GreaterThan(lower_bound=0.0), but found invalid values:\n-1.0")
    with pytest.raises(ValueError, match=r"within the support \(Real\(\)\)"):
        Normal(0.0, 1.0).log_prob(T(float("nan"), device))


def test_uniform(device):
    u = Uniform(T([0.0, -1.0], device), T([2.0, 3.0], device))
    assert_close(u.log_prob(T([0.5, 2.0], device)), [-0.6931471824645996, -1.3862943649291992])
    assert_close(u.entropy(), [0.6931471824645996, 1.3862943649291992])
    assert_close(u.cdf(T([0.5, 2.5], device)), [0.25, 0.875])
    assert_close(u.icdf(T([0.25, 0.5], device)), [0.5, 1.0])
    assert u.mean.tolist() == [1.0, 1.0]
    assert_close(u.variance, [0.3333333432674408, 1.3333333730697632])
    assert Uniform(0.0, 1.0, validate_args=False).log_prob(T(2.0, device)).item() == -math.inf
    tinynn.manual_seed(5)
    lo = T(-1.0, device, requires_grad=True)
    hi = T(3.0, device, requires_grad=True)
    x = Uniform(lo, hi).rsample((5000,))
    assert x.min().item() >= -1.0 and x.max().item() < 3.0 and abs(x.mean().item() - 1.0) < 0.1
    x.sum().backward()
    assert_close(lo.grad + hi.grad, 5000.0)  # d/dlow + d/dhigh of low + u (high - low) is 1 each


def test_uniform_errors(device):
    with pytest.raises(ValueError, match=r"Expected parameter low \(Tensor of shape \(\)\) of "
                                         r"distribution Uniform\(low: 1.0, high: 0.0\) to satisfy the "
                                         r"constraint LessThan\(upper_bound=0.0\)"):
        Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match=r"within the support \(Interval\(lower_bound=0.0, "
                                         r"upper_bound=1.0\)\) of the distribution Uniform\(low: 0.0, "
                                         r"high: 1.0\)"):
        Uniform(0.0, 1.0).log_prob(T(2.0, device))


# --------------------------------------------------------------------------- KL
def test_kl_divergence(device):
    assert_close(kl_divergence(Normal(T([0.0, 1.0], device), T([1.0, 2.0], device)),
                               Normal(T([1.0, 0.0], device), T([2.0, 0.5], device))),
                 [0.4431471824645996, 8.1137056350708])
    assert_close(kl_divergence(Categorical(T([[0.5, 0.5], [0.9, 0.1]], device)),
                               Categorical(T([[0.9, 0.1], [0.5, 0.5]], device))),
                 [0.5108256340026855, 0.36806410551071167])
    assert kl_divergence(Categorical(T([0.5, 0.5], device)), Categorical(T([1.0, 0.0], device))).item() == math.inf
    assert_close(kl_divergence(Categorical(T([1.0, 0.0], device)), Categorical(T([0.5, 0.5], device))),
                 0.6931470632553101)
    assert_close(kl_divergence(Bernoulli(T([0.3, 0.0, 1.0], device)), Bernoulli(T([0.6, 0.5, 0.5], device))),
                 [0.18378689885139465, 0.6931470632553101, 0.6931470632553101])
    uu = kl_divergence(Uniform(T([0.0, 0.0], device), T([1.0, 1.0], device)),
                       Uniform(T([-1.0, 0.5], device), T([2.0, 2.0], device)))
    assert_close(uu[0], 1.0986123085021973) and uu[1].item() == math.inf
    assert_close(kl_divergence(Uniform(0.0, 1.0), Normal(0.5, 2.0)), 1.622502326965332)
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type "
                                                  "Normal and q type Categorical"):
        kl_divergence(Normal(0.0, 1.0), Categorical(T([0.5, 0.5], device)))
