"""A student's trial of small reinforcement-learning agents, written in PyTorch's spelling after
`import autograd as torch`, `import nn`, `import nn.functional as F` (README, "Porting a PyTorch
script"), on environments of our own in numpy (no gym): a cart-pole, a four-armed bandit and a
corridor gridworld. The agents: REINFORCE with a baseline (normalised returns) and an entropy
bonus, DQN with a replay buffer and a target network (hard and soft updates), and an advantage
actor-critic with a shared body and two heads, checkpointed and resumed. Each agent's code takes
the engine as an argument, so that where PyTorch is installed the very same lines run on it from
the same weights and the numbers are compared; without torch every test still checks its numbers
against finite differences or values worked out by hand.

What the trial needed to change from the PyTorch versions, and why:
- `torch.optim.Adam` is `nn.optim.Adam`, `torch.nn.utils.clip_grad_norm_` is
  `nn.utils.clip_grad_norm_`, `torch.save`/`torch.load` are `nn.save`/`nn.load` (each AttributeError
  says so); `torch.get_rng_state()` is `autograd.random.get_state()`, saved in the checkpoint;
- `returns.std()` is numpy's std here, which divides by n where PyTorch's divides by n - 1
  (documented): `returns.std(unbiased=True)` gives PyTorch's numbers in both engines;
- `torch.distributions.Categorical` (autograd.distributions) is the actor-critic's policy, as
  written for PyTorch; REINFORCE keeps the hand-written softmax, multinomial and log (checked
  below against the module and against torch.distributions);
- `target(s2).max(1)[0]` is refused (numpy's positional max gives the values only):
  `.max(dim=1).values`, as the error says;
- a soft update through `tp.data.copy_(...)` fails (`.data` is a numpy array):
  `with torch.no_grad(): tp.copy_(tau * p + (1 - tau) * tp)`.
"""

from __future__ import annotations

import copy
import math
import types

import numpy as np
import pytest

import autograd
import autograd as torch
import nn
import nn.functional as F
from autograd import gradcheck_parameters
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

GLASSGRAD = types.SimpleNamespace(torch=torch, nn=nn, F=F, optim=nn.optim,
                                  clip_grad_norm_=nn.utils.clip_grad_norm_)


def pytorch():
    """The same names on PyTorch, for the cross-checks."""
    return types.SimpleNamespace(torch=real_torch, nn=real_torch.nn, F=real_torch.nn.functional,
                                 optim=real_torch.optim,
                                 clip_grad_norm_=real_torch.nn.utils.clip_grad_norm_)


def same_weights(ours, theirs):
    """Load our module's weights into its PyTorch twin."""
    theirs.load_state_dict({k: real_torch.as_tensor(v.numpy().copy())
                            for k, v in ours.state_dict().items()})


# -- the environments --------------------------------------------------------------------------

class CartPole:
    """A pole hinged on a cart; action 1 pushes the cart right, 0 left, with 10 N for 0.02 s
    (an Euler step of the pole's and the cart's equations of motion). Reward 1 a step until the
    pole leans more than 12 degrees or the cart leaves [-2.4, 2.4], or `max_steps` pass."""

    def __init__(self, seed=0, max_steps=200):
        self.rng, self.max_steps = np.random.default_rng(seed), max_steps

    def reset(self):
        self.state, self.steps = self.rng.uniform(-0.05, 0.05, 4), 0
        return self.state.copy()

    def step(self, action):
        x, v, theta, omega = self.state
        force = 10.0 if action == 1 else -10.0
        mass, pole_mass, half_length, dt = 1.1, 0.1, 0.5, 0.02
        cos, sin = math.cos(theta), math.sin(theta)
        # the push and the pole's spin act on cart and pole together; what is left of it tilts
        # the pole against gravity, and the pole's swing pulls the cart back
        push = (force + pole_mass * half_length * omega ** 2 * sin) / mass
        alpha = (9.8 * sin - cos * push) / (half_length * (4 / 3 - pole_mass * cos ** 2 / mass))
        accel = push - pole_mass * half_length * alpha * cos / mass
        self.state = np.array([x + dt * v, v + dt * accel, theta + dt * omega,
                               omega + dt * alpha])
        self.steps += 1
        fell = abs(self.state[0]) > 2.4 or abs(self.state[2]) > 12 * math.pi / 180
        return self.state.copy(), 1.0, fell or self.steps >= self.max_steps


class Bandit:
    """Four arms paying N(mean, 0.1); the observation is always [1.0]."""

    def __init__(self, means=(0.2, 0.5, 0.9, 0.4), seed=0):
        self.means, self.rng = np.array(means), np.random.default_rng(seed)

    def pull(self, arm):
        return float(self.rng.normal(self.means[arm], 0.1))


class Corridor:
    """Cells 0..6 in a row, starting in cell 3; cell 6 pays 1, cell 0 pays 0.1 (both end the
    episode), every other step -0.01. The observation is the cell, one-hot."""
    n = 7

    def reset(self):
        self.cell, self.steps = 3, 0
        return np.eye(self.n)[self.cell]

    def step(self, action):
        self.cell += 1 if action == 1 else -1
        self.steps += 1
        reward = {self.n - 1: 1.0, 0: 0.1}.get(self.cell, -0.01)
        return np.eye(self.n)[self.cell], reward, self.cell in (0, self.n - 1) or self.steps >= 20


def discounted(rewards, gamma):
    """G_t = r_t + γ G_{t+1}, computed backwards."""
    returns, G = [], 0.0
    for r in reversed(rewards):
        G = r + gamma * G
        returns.append(G)
    return returns[::-1]


def test_the_cart_pole_falls_in_about_twenty_steps_under_a_random_policy():
    env, rng, lengths = CartPole(seed=0), np.random.default_rng(0), []
    for _ in range(100):
        env.reset()
        done, n = False, 0
        while not done:
            _, _, done = env.step(int(rng.integers(2)))
            n += 1
        lengths.append(n)
    assert 15 < np.mean(lengths) < 30
    env.reset()
    env.state = np.zeros(4)                 # upright at rest: a push right moves the cart right
    state, _, _ = env.step(1)               # and tips the pole back, to the left
    later, _, _ = env.step(1)
    assert later[1] > 0 and later[3] < 0 and state[0] == 0.0


# -- REINFORCE with a baseline -----------------------------------------------------------------

def policy_net(nn, n_obs=4, n_actions=2):
    return nn.Sequential(nn.Linear(n_obs, 64), nn.ReLU(), nn.Linear(64, n_actions))


def select_action(torch, F, policy, obs):
    """Sample an action; its log-probability and the policy's entropy, in the graph."""
    probs = F.softmax(policy(torch.from_numpy(obs).float()), dim=-1)
    action = torch.multinomial(probs, 1).item()
    return action, torch.log(probs[action]), -(probs * torch.log(probs)).sum()


def reinforce_loss(torch, log_probs, entropies, rewards, gamma=0.99, beta=0.01):
    returns = torch.tensor(discounted(rewards, gamma))
    returns = (returns - returns.mean()) / (returns.std(unbiased=True) + 1e-8)
    return -(torch.stack(log_probs) * returns).sum() - beta * torch.stack(entropies).sum()


def play(torch, F, policy, env):
    """One episode: observations, actions, log-probabilities, entropies, rewards."""
    obs, done, trace = env.reset(), False, ([], [], [], [], [])
    while not done:
        action, log_prob, entropy = select_action(torch, F, policy, obs)
        for kept, x in zip(trace, (obs, action, log_prob, entropy)):
            kept.append(x)
        obs, reward, done = env.step(action)
        trace[4].append(reward)
    return trace


def test_reinforce_gradient_is_the_finite_difference_gradient_of_the_surrogate():
    torch.manual_seed(0)
    policy = policy_net(nn)
    observations, actions, log_probs, entropies, rewards = play(torch, F, policy, CartPole(1))
    assert len(actions) > 5
    loss = reinforce_loss(torch, log_probs, entropies, rewards)
    loss.backward()
    step_grads = {name: p.grad.copy() for name, p in policy.named_parameters()}

    # the same surrogate over the whole episode at once, in float64, as a function of the weights
    policy.double()
    obs, acts = torch.tensor(np.array(observations)), torch.tensor(actions)

    def surrogate():
        log_p = F.log_softmax(policy(obs), dim=-1)
        picked = log_p.gather(1, acts.unsqueeze(1)).squeeze(1)
        entropy = -(log_p.exp() * log_p).sum(-1)
        return reinforce_loss(torch, list(picked), list(entropy), rewards)

    assert surrogate().item() == pytest.approx(loss.item(), abs=1e-5)    # float32's rounding
    policy.zero_grad()
    surrogate().backward()
    for name, p in policy.named_parameters():       # the per-step float32 graph agrees
        np.testing.assert_allclose(step_grads[name], p.grad, rtol=1e-4, atol=1e-5)
    assert gradcheck_parameters(surrogate, policy.named_parameters(), eps=1e-6, rtol=1e-5)


def test_normalised_returns_std_is_numpys_unless_the_divisor_is_said():
    G = torch.tensor([3.0, 1.0, 0.5, 2.0])
    assert G.std().item() == pytest.approx(np.std([3.0, 1.0, 0.5, 2.0]))           # n
    assert G.std(unbiased=True).item() == pytest.approx(np.std([3, 1, 0.5, 2], ddof=1))
    assert torch.std(G).item() == pytest.approx(np.std([3, 1, 0.5, 2], ddof=1))    # torch's


@needs_torch
def test_reinforce_log_probs_loss_and_gradients_are_pytorchs():
    torch.manual_seed(1)
    ours, theirs = policy_net(nn), policy_net(real_torch.nn)
    same_weights(ours, theirs)
    observations, actions, log_probs, entropies, rewards = play(torch, F, ours, CartPole(2))
    t = pytorch()
    their_lp, their_ent = [], []
    for obs, action in zip(observations, actions):
        probs = t.F.softmax(theirs(t.torch.from_numpy(obs).float()), dim=-1)
        their_lp.append(t.torch.log(probs[action]))
        their_ent.append(-(probs * t.torch.log(probs)).sum())
    np.testing.assert_allclose([x.item() for x in log_probs], [x.item() for x in their_lp],
                               rtol=1e-5)
    np.testing.assert_allclose([x.item() for x in entropies], [x.item() for x in their_ent],
                               rtol=1e-5)
    loss = reinforce_loss(torch, log_probs, entropies, rewards)
    their_loss = reinforce_loss(t.torch, their_lp, their_ent, rewards)
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    loss.backward()
    their_loss.backward()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_reinforce_on_the_bandit_learns_to_pull_the_best_arm():
    """One-step episodes in batches of 16: their rewards, normalised, are the returns (the
    batch mean is the baseline)."""
    torch.manual_seed(0)
    bandit = Bandit()
    policy = policy_net(nn, n_obs=1, n_actions=4)
    opt = nn.optim.Adam(policy.parameters(), lr=0.02)
    obs = np.ones(1)
    for _ in range(40):
        log_probs, entropies, rewards = [], [], []
        for _ in range(16):
            arm, log_prob, entropy = select_action(torch, F, policy, obs)
            log_probs.append(log_prob)
            entropies.append(entropy)
            rewards.append(bandit.pull(arm))
        loss = reinforce_loss(torch, log_probs, entropies, rewards, gamma=0.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        probs = F.softmax(policy(torch.from_numpy(obs).float()), dim=-1)
    assert probs.argmax().item() == 2 and probs[2].item() > 0.8


# -- DQN ---------------------------------------------------------------------------------------

class Replay:
    """A ring buffer of numpy arrays."""

    def __init__(self, n_obs, size=1000, seed=0):
        self.s, self.s2 = np.zeros((size, n_obs), np.float32), np.zeros((size, n_obs), np.float32)
        self.a, self.r = np.zeros(size, np.int64), np.zeros(size, np.float32)
        self.d = np.zeros(size, np.float32)
        self.size, self.count, self.rng = size, 0, np.random.default_rng(seed)

    def push(self, s, a, r, s2, done):
        i = self.count % self.size
        self.s[i], self.a[i], self.r[i], self.s2[i], self.d[i] = s, a, r, s2, done
        self.count += 1

    def sample(self, k):
        i = self.rng.integers(0, min(self.count, self.size), k)
        return self.s[i], self.a[i], self.r[i], self.s2[i], self.d[i]


def td(torch, F, q, target, batch, gamma=0.9):
    """The gathered Q(s, a), the TD targets r + γ max_a' Q_target(s', a') (1 - done), the loss."""
    states, actions, rewards, next_states, dones = (torch.as_tensor(x) for x in batch)
    q_sa = q(states).gather(1, actions.unsqueeze(1)).squeeze(1)
    with torch.no_grad():
        y = rewards + gamma * target(next_states).max(dim=1).values * (1 - dones)
    return q_sa, y, F.smooth_l1_loss(q_sa, y)


def dqn_step(lib, q, target, opt, batch, tau=None):
    q_sa, y, loss = td(lib.torch, lib.F, q, target, batch)
    opt.zero_grad()
    loss.backward()
    norm = lib.clip_grad_norm_(q.parameters(), 10)
    opt.step()
    if tau is not None:
        with lib.torch.no_grad():
            for tp, p in zip(target.parameters(), q.parameters()):
                tp.copy_(tau * p + (1 - tau) * tp)
    return loss.item(), float(norm)


def hand_made_batch():
    """Two-number states; actions, rewards and dones chosen by hand."""
    states = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]], np.float32)
    next_states = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.0, 0.0]], np.float32)
    return (states, np.array([0, 2, 1, 2]), np.array([1.0, 0.0, -1.0, 5.0], np.float32),
            next_states, np.array([0.0, 0.0, 1.0, 0.0], np.float32))


def test_dqn_td_targets_and_gathered_q_values_on_a_hand_made_batch():
    q = nn.Linear(2, 3)             # Q(s) = W s: each action's value is a row of W times s
    with torch.no_grad():
        q.weight.copy_(torch.tensor([[1.0, 2.0], [-1.0, 0.5], [3.0, -2.0]]))
        q.bias.zero_()
    target = copy.deepcopy(q)
    with torch.no_grad():
        target.weight *= 2
    q_sa, y, loss = td(torch, F, q, target, hand_made_batch())
    # Q(s, a): [1 2]·[1 0], [3 -2]·[0 1], [-1 .5]·[1 1], [3 -2]·[2 -1]
    np.testing.assert_array_equal(q_sa.numpy(), [1.0, -2.0, -0.5, 8.0])
    # max over 2 W s': s'=[0 1] → max(4, 1, -4) = 4; [1 0] → 6; [.5 .5] → 3 (done); [0 0] → 0
    np.testing.assert_allclose(y.numpy(), [1 + 0.9 * 4, 0 + 0.9 * 6, -1.0, 5.0], rtol=1e-6)
    d = q_sa.numpy() - y.numpy()                    # -3.6, -7.4, 0.5, 3: Huber with β = 1
    huber = np.where(abs(d) < 1, 0.5 * d ** 2, abs(d) - 0.5)
    assert loss.item() == pytest.approx(huber.mean())
    assert not y.requires_grad and q_sa.requires_grad
    with pytest.raises(TypeError, match=r"t\.max\(dim=d\) for PyTorch's values and indices"):
        target(torch.as_tensor(hand_made_batch()[3])).max(1)[0]


def test_dqn_clips_the_gradient_and_the_targets_follow_softly_and_by_copy():
    torch.manual_seed(0)
    q = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    target = copy.deepcopy(q)
    assert all(a is not b for a, b in zip(target.parameters(), q.parameters()))
    before = [p.detach().clone() for p in target.parameters()]
    opt = nn.optim.SGD(q.parameters(), lr=0.0)      # lr 0: the clipped gradient stays to see
    states, actions, rewards, next_states, dones = hand_made_batch()
    big = (states * 100, actions, rewards * 100, next_states, dones)
    _, y, loss = td(torch, F, q, target, big)
    opt.zero_grad()
    loss.backward()
    unclipped = np.sqrt(sum((p.grad.astype(np.float64) ** 2).sum() for p in q.parameters()))
    norm = nn.utils.clip_grad_norm_(q.parameters(), 10)
    assert unclipped > 10 and norm.item() == pytest.approx(unclipped, rel=1e-6)
    clipped = np.sqrt(sum((p.grad.astype(np.float64) ** 2).sum() for p in q.parameters()))
    assert clipped == pytest.approx(10, rel=1e-5)
    # soft: θ' ← τ θ + (1 - τ) θ'
    with torch.no_grad():
        for p in q.parameters():
            p += 1.0
        for tp, p in zip(target.parameters(), q.parameters()):
            tp.copy_(0.1 * p + 0.9 * tp)
    for tp, p, old in zip(target.parameters(), q.parameters(), before):
        np.testing.assert_allclose(tp.numpy(), 0.1 * p.numpy() + 0.9 * old.numpy(), rtol=1e-6)
    # hard: a copy of the numbers, not a second name for them
    target.load_state_dict(q.state_dict())
    with torch.no_grad():
        q[0].weight += 1.0
    np.testing.assert_allclose(target[0].weight.numpy(), q[0].weight.numpy() - 1.0, atol=1e-6)


def test_a_soft_update_through_data_says_data_is_a_numpy_array():
    q, target = nn.Linear(2, 2), nn.Linear(2, 2)
    with pytest.raises(AttributeError, match="copy_") as raised:
        with torch.no_grad():
            for tp, p in zip(target.parameters(), q.parameters()):
                tp.data.copy_(0.1 * p.data + 0.9 * tp.data)        # PyTorch's spelling
    notes = " ".join(getattr(raised.value, "__notes__", []))
    assert not hasattr(raised.value, "add_note") or "p.copy_(numbers) on the parameter" in notes


@needs_torch
def test_dqn_gather_max_loss_clip_norm_and_step_are_pytorchs():
    torch.manual_seed(3)
    t = pytorch()
    q = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
    their_q = t.nn.Sequential(t.nn.Linear(4, 32), t.nn.ReLU(), t.nn.Linear(32, 2))
    same_weights(q, their_q)
    target, their_target = copy.deepcopy(q), copy.deepcopy(their_q)
    opt, their_opt = nn.optim.Adam(q.parameters(), 1e-3), t.optim.Adam(their_q.parameters(), 1e-3)
    rng = np.random.default_rng(0)
    buffer = Replay(4)
    for _ in range(64):
        buffer.push(rng.normal(size=4) * 50, rng.integers(2), rng.normal() * 40, rng.normal(size=4),
                    float(rng.random() < 0.2))
    for step in range(3):
        batch = buffer.sample(16)
        q_sa, y, _ = td(torch, F, q, target, batch)
        their_q_sa, their_y, _ = td(t.torch, t.F, their_q, their_target, batch)
        np.testing.assert_allclose(q_sa.numpy(), their_q_sa.detach().numpy(), rtol=1e-5)
        np.testing.assert_allclose(y.numpy(), their_y.numpy(), rtol=1e-5)
        loss, norm = dqn_step(GLASSGRAD, q, target, opt, batch, tau=0.05)
        their_loss, their_norm = dqn_step(t, their_q, their_target, their_opt, batch, tau=0.05)
        assert loss == pytest.approx(their_loss, rel=1e-5)
        assert norm == pytest.approx(their_norm, rel=1e-5) and (step > 0 or norm > 10)
    for p, tp in zip(list(q.parameters()) + list(target.parameters()),
                     list(their_q.parameters()) + list(their_target.parameters())):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-4, atol=1e-6)
    with torch.no_grad(), t.torch.no_grad():
        obs = rng.normal(size=4)
        assert (q(torch.from_numpy(obs).float()).argmax().item()
                == their_q(t.torch.from_numpy(obs).float()).argmax().item())


def test_dqn_on_the_corridor_learns_to_walk_right():
    torch.manual_seed(0)
    q = nn.Sequential(nn.Linear(Corridor.n, 32), nn.ReLU(), nn.Linear(32, 2))
    target = copy.deepcopy(q)
    opt = nn.optim.Adam(q.parameters(), lr=5e-3)
    env, buffer, rng, steps = Corridor(), Replay(Corridor.n), np.random.default_rng(0), 0
    for episode in range(60):
        obs, done = env.reset(), False
        while not done:
            if rng.random() < max(0.1, 1 - episode / 30):      # ε-greedy
                action = int(rng.integers(2))
            else:
                with torch.no_grad():
                    action = q(torch.from_numpy(obs).float()).argmax().item()
            next_obs, reward, done = env.step(action)
            buffer.push(obs, action, reward, next_obs, float(done))
            obs, steps = next_obs, steps + 1
            if buffer.count >= 32:
                dqn_step(GLASSGRAD, q, target, opt, buffer.sample(32))
            if steps % 25 == 0:
                target.load_state_dict(q.state_dict())
    with torch.no_grad():
        greedy = q(torch.eye(Corridor.n)[1:-1]).argmax(dim=1)
    assert greedy.tolist() == [1] * (Corridor.n - 2)


# -- advantage actor-critic, checkpointed --------------------------------------------------------

def actor_critic(nn, n_obs=4, n_actions=2):
    class ActorCritic(nn.Module):
        """A shared body, a policy head and a value head."""

        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(n_obs, 32), nn.Tanh())
            self.pi = nn.Linear(32, n_actions)
            self.v = nn.Linear(32, 1)

        def forward(self, x):
            h = self.body(x)
            return self.pi(h), self.v(h)

    return ActorCritic()


def a2c_act(torch, F, net, obs, action=None):
    """Sample an action (or take `action`): its log-probability, the entropy, the value."""
    logits, value = net(torch.from_numpy(obs).float())
    policy = torch.distributions.Categorical(logits=logits)
    if action is None:
        action = policy.sample().item()
    return action, policy.log_prob(torch.tensor(action)), policy.entropy(), value.squeeze(-1)


def a2c_loss(torch, F, log_probs, entropies, values, rewards, gamma=0.99, beta=0.01):
    returns = torch.tensor(discounted(rewards, gamma))
    values = torch.stack(values)
    advantage = returns - values
    return (-(torch.stack(log_probs) * advantage.detach()).mean()
            + 0.5 * F.mse_loss(values, returns) - beta * torch.stack(entropies).mean())


def a2c_episode(torch, F, net, opt, env, gamma=0.99):
    """Play one episode, then one update: (loss, length, observations, actions, rewards)."""
    obs, done = env.reset(), False
    observations, actions, trace, rewards = [], [], ([], [], []), []
    while not done:
        action, *taken = a2c_act(torch, F, net, obs)
        observations.append(obs)
        actions.append(action)
        for kept, x in zip(trace, taken):
            kept.append(x)
        obs, reward, done = env.step(action)
        rewards.append(reward)
    loss = a2c_loss(torch, F, *trace, rewards, gamma)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item(), len(rewards), observations, actions, rewards


def a2c_optimizer(optim, net, lr=1e-2):
    """One optimizer over both heads' parameters and the body's."""
    return optim.Adam(list(net.body.parameters()) + list(net.pi.parameters())
                      + list(net.v.parameters()), lr=lr)


@needs_torch
def test_a2c_loss_gradients_and_step_are_pytorchs():
    torch.manual_seed(4)
    t = pytorch()
    net, their_net = actor_critic(nn), actor_critic(t.nn)
    same_weights(net, their_net)
    their_opt = a2c_optimizer(t.optim, their_net)
    loss, _, observations, actions, rewards = a2c_episode(torch, F, net, a2c_optimizer(
        nn.optim, net), CartPole(5))
    trace = ([], [], [])                    # our episode's actions, through the torch twin
    for obs, action in zip(observations, actions):
        for kept, x in zip(trace, a2c_act(t.torch, t.F, their_net, obs, action)[1:]):
            kept.append(x)
    their_loss = a2c_loss(t.torch, t.F, *trace, rewards)
    assert loss == pytest.approx(their_loss.item(), rel=1e-5)
    their_opt.zero_grad()
    their_loss.backward()
    for (name, p), q in zip(net.named_parameters(), their_net.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    their_opt.step()
    for (name, p), q in zip(net.named_parameters(), their_net.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=name)


def test_a2c_saved_and_resumed_continues_identically(tmp_path):
    def fresh():
        autograd.manual_seed(7)
        net = actor_critic(nn)
        return net, a2c_optimizer(nn.optim, net)

    net, opt = fresh()
    env = CartPole(seed=3)
    for k in range(4):
        a2c_episode(torch, F, net, opt, env)
    with pytest.raises(AttributeError, match=r"torch\.save is nn\.save\(obj, path\)"):
        torch.save
    for path in (tmp_path / "agent.pt", tmp_path / "agent.npz"):
        nn.save({"policy": net.state_dict(), "optim": opt.state_dict(), "episode": k,
                 "rng": autograd.random.get_state(), "env": env.rng.bit_generator.state}, path)
    going_on = [a2c_episode(torch, F, net, opt, env)[:2] for _ in range(4)]

    for path in (tmp_path / "agent.pt", tmp_path / "agent.npz"):
        resumed, resumed_opt = fresh()
        checkpoint = nn.load(path)
        resumed.load_state_dict(checkpoint["policy"])
        resumed_opt.load_state_dict(checkpoint["optim"])
        autograd.random.set_state(checkpoint["rng"])
        resumed_env = CartPole()
        resumed_env.rng.bit_generator.state = checkpoint["env"]
        assert checkpoint["episode"] == 3
        again = [a2c_episode(torch, F, resumed, resumed_opt, resumed_env)[:2]
                 for _ in range(4)]
        assert again == going_on
        for (name, p), q in zip(resumed.named_parameters(), net.parameters()):
            np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
        if real_torch is not None:          # PyTorch reads the .pt with its default weights_only
            twin = actor_critic(real_torch.nn)
            twin.load_state_dict(real_torch.load(tmp_path / "agent.pt")["policy"])


def test_a2c_on_the_corridor_learns_to_walk_right():
    autograd.manual_seed(0)
    net = actor_critic(nn, n_obs=Corridor.n)
    opt = a2c_optimizer(nn.optim, net, lr=0.02)
    env = Corridor()
    lengths = [a2c_episode(torch, F, net, opt, env, gamma=0.9)[1] for _ in range(150)]
    with torch.no_grad():
        logits, _ = net(torch.eye(Corridor.n)[1:-1])
    assert logits.argmax(dim=1).tolist() == [1] * (Corridor.n - 2)
    assert np.mean(lengths[-20:]) < 4       # three steps right


# -- torch.distributions ------------------------------------------------------------------------

def test_torch_distributions_categorical_is_the_hand_written_recipe_and_pytorchs():
    z = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]], requires_grad=True)
    a = torch.tensor([2, 1])
    policy = torch.distributions.Categorical(logits=z)
    drawn = policy.sample()
    assert drawn.shape == (2,) and drawn.dtype == np.int64 and not drawn.requires_grad
    assert policy.sample((5,)).shape == (5, 2)
    # the lines the policy stands for: log_softmax, gather, -Σ p log p
    log_p = F.log_softmax(z, dim=-1)
    np.testing.assert_allclose(policy.log_prob(a).numpy(),
                               log_p.gather(-1, a.unsqueeze(-1)).squeeze(-1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(policy.entropy().numpy(),
                               (-(log_p.exp() * log_p).sum(-1)).numpy(), rtol=1e-6)
    assert policy.entropy()[1].item() == pytest.approx(math.log(3))
    # the score function: d log pi(a) / dz = onehot(a) - softmax(z)
    policy.log_prob(a).sum().backward()
    p = np.exp(z.numpy()) / np.exp(z.numpy()).sum(1, keepdims=True)
    np.testing.assert_allclose(z.grad, np.eye(3)[[2, 1]] - p, rtol=1e-6, atol=1e-7)
    normal = torch.distributions.Normal(torch.tensor([0.0]), torch.tensor([2.0]))
    assert normal.log_prob(torch.tensor([0.3])).item() == pytest.approx(
        -0.5 * (0.3 / 2) ** 2 - math.log(2 * math.sqrt(2 * math.pi)))
    if real_torch is not None:
        theirs = real_torch.distributions.Categorical(logits=real_torch.tensor(z.numpy()))
        np.testing.assert_allclose(policy.log_prob(a).numpy(),
                                   theirs.log_prob(real_torch.tensor([2, 1])), rtol=1e-6)
        np.testing.assert_allclose(policy.entropy().numpy(), theirs.entropy(), rtol=1e-6)
        their_normal = real_torch.distributions.Normal(real_torch.tensor([0.0]),
                                                       real_torch.tensor([2.0]))
        assert normal.log_prob(torch.tensor([0.3])).item() == pytest.approx(
            their_normal.log_prob(real_torch.tensor([0.3])).item())
