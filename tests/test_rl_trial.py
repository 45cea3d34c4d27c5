"""A user trial: a deep reinforcement learning course's homework (Spinning-Up / CleanRL style)
written the PyTorch way with the imports changed (`import autograd as torch`, `import nn`,
`import nn.functional as F`, `import nn.optim as optim`), on environments made here in numpy (no
gym): the classic cart-pole, a 1-D "reach the target" task with a continuous action, and a 4 x 4
gridworld.

- REINFORCE with reward-to-go and a learned value baseline: an MLP policy,
  `torch.distributions.Categorical(logits=...)`, `.sample()`, `.log_prob()`, `.entropy()`,
  loss `-(logp * adv).mean()`; it balances the pole from a fixed seed.
- A Gaussian policy: `Normal(mu, std)` with a learned `log_std` `nn.Parameter`, the log-prob
  summed over action dimensions, tanh squashing with its log-det correction (Spinning Up's
  softplus form, checked against `TransformedDistribution(..., TanhTransform())`).
- PPO on the reach task with that policy: GAE(lambda) by a backwards loop over tensors
  (CleanRL's `advantages[t] = lastgaelam = ...`), the clipped surrogate (`torch.clamp`,
  `torch.min`), `ratio = (logp - logp_old).exp()`, approx KL and clip fraction, epochs of
  minibatches over `torch.randperm`, advantage normalisation, value loss, `clip_grad_norm_`,
  orthogonal init (`nn.init.orthogonal_(w, np.sqrt(2))`, `nn.init.constant_`), explained variance.
- DQN on the gridworld: a replay buffer of numpy arrays, epsilon-greedy over `argmax`, a target
  network by `copy.deepcopy` and `load_state_dict`, `F.smooth_l1_loss` of
  `q.gather(1, a.unsqueeze(1))`, max over the target's next-state Q under `no_grad`, Double DQN's
  argmax from the online net, Polyak averaging.
- Invalid-action masking (`masked_fill(~mask, float('-inf'))` into a Categorical) and TRPO's
  Fisher-vector product (`torch.autograd.grad` of the mean KL twice, `parameters_to_vector`).

Every update is also run on PyTorch from the same weights and the same batch (log-probs,
entropies, losses, gradients, the parameters after the steps).

What the trial needed to change from the PyTorch versions, and why:
- Spinning Up's Polyak step `p_targ.data.mul_(rho); p_targ.data.add_((1 - rho) * p.data)` (and
  CleanRL's `p_targ.data.copy_(...)`) fails: `.data` is a numpy array here. The AttributeError's
  note (a weight EMA's, which a Polyak step is) gives the spellings that work: numpy in place,
  `p_targ.data *= rho; p_targ.data += (1 - rho) * p.data`, or on the parameter itself under
  `no_grad()`, `p_targ.mul_(rho).add_(p.detach(), alpha=1 - rho)` / `p_targ.lerp_(p, 1 - rho)`.
- `x.std()` is numpy's (divides by n); the advantage normalisation that matches PyTorch's
  numbers is `adv.std(unbiased=True)`.
- `q_targ(o2).max(1)[0]` is refused (numpy's positional max gives the values only):
  `.max(dim=1).values` or `.max(dim=1)[0]`.
- CleanRL's `torch.Tensor(obs)` keeps a float64 array's dtype (PyTorch's makes float32, and
  a float32 layer then computes in float64 here): `torch.as_tensor(obs, dtype=torch.float32)`.
- The numpy AttributeError of `.data.copy_` outside any `no_grad()` block (CleanRL's soft update)
  has no note: glassgrad never sees it pass (left as it is; the README says what `.data` is).
"""

from __future__ import annotations

import copy
import math
import types

import numpy as np
import pytest

import autograd  # noqa: F401
import autograd as torch
import nn
import nn.functional as F
import nn.optim as optim

from autograd import gradcheck_parameters
from torch_helpers import needs_torch
from torch_helpers import torch as real_torch

OURS = types.SimpleNamespace(torch=torch, nn=nn, F=F, optim=optim)


def theirs():
    """PyTorch under the same names, for the cross-checks."""
    return types.SimpleNamespace(torch=real_torch, nn=real_torch.nn,
                                 F=real_torch.nn.functional, optim=real_torch.optim)


def copy_weights(ours, their_module):
    """Our module's numbers into its PyTorch twin (the same state-dict names)."""
    their_module.load_state_dict({k: real_torch.as_tensor(v.numpy().copy())
                                  for k, v in ours.state_dict().items()})


# -- the environments --------------------------------------------------------------------------

class CartPole:
    """The classic cart-pole: a push of 10 N left or right each 0.02 s (Euler steps of the
    cart's and the pole's equations of motion, Barto, Sutton & Anderson's constants); reward 1 a
    step until the pole leans past 12 degrees or the cart leaves [-2.4, 2.4]; cut at
    `max_steps`."""
    gravity, cart_mass, pole_mass, half_length, force_mag, dt = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    x_limit, theta_limit = 2.4, 12 * 2 * math.pi / 360

    def __init__(self, seed=0, max_steps=200):
        self.rng, self.max_steps = np.random.default_rng(seed), max_steps

    def reset(self):
        self.state, self.t = self.rng.uniform(-0.05, 0.05, size=4), 0
        return self.state.astype(np.float32)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        total = self.cart_mass + self.pole_mass
        pole_moment = self.pole_mass * self.half_length
        cos, sin = math.cos(theta), math.sin(theta)
        # the push and the pole's centrifugal pull move both; the rest turns the pole
        temp = (force + pole_moment * theta_dot ** 2 * sin) / total
        theta_acc = (self.gravity * sin - cos * temp) / (
            self.half_length * (4.0 / 3.0 - self.pole_mass * cos ** 2 / total))
        x_acc = temp - pole_moment * theta_acc * cos / total
        self.state = np.array([x + self.dt * x_dot, x_dot + self.dt * x_acc,
                               theta + self.dt * theta_dot, theta_dot + self.dt * theta_acc])
        self.t += 1
        fell = abs(self.state[0]) > self.x_limit or abs(self.state[2]) > self.theta_limit
        return self.state.astype(np.float32), 1.0, bool(fell), self.t >= self.max_steps


class Reach:
    """A point at x = 0 and a target g drawn in [-1, 1]; the action a in [-1, 1] moves x by
    0.25 a; reward -|x - g| each of 12 steps; the observation is (x, g, the share of steps
    left)."""
    steps = 12

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.x, self.goal, self.t = 0.0, float(self.rng.uniform(-1, 1)), 0
        return self.observe()

    def observe(self):
        return np.array([self.x, self.goal, 1 - self.t / self.steps], np.float32)

    def step(self, action):
        self.x = float(np.clip(self.x + 0.25 * float(action), -2.0, 2.0))
        self.t += 1
        return self.observe(), -abs(self.x - self.goal), False, self.t >= self.steps


class Grid:
    """4 x 4 cells, the agent starting top-left; the bottom-right cell pays 1 and ends the
    episode, every other step costs 0.01; moves up, down, left, right (a wall: stay); the
    observation is the cell, one-hot; cut after 30 steps."""
    n = 4
    moves = ((-1, 0), (1, 0), (0, -1), (0, 1))

    def reset(self):
        self.row, self.col, self.t = 0, 0, 0
        return self.observe()

    def observe(self):
        obs = np.zeros(self.n * self.n, np.float32)
        obs[self.row * self.n + self.col] = 1.0
        return obs

    def step(self, action):
        dr, dc = self.moves[action]
        self.row = min(max(self.row + dr, 0), self.n - 1)
        self.col = min(max(self.col + dc, 0), self.n - 1)
        self.t += 1
        goal = self.row == self.col == self.n - 1
        return self.observe(), 1.0 if goal else -0.01, goal, self.t >= 30


def reward_to_go(rewards, gamma=1.0):
    """R_t = r_t + gamma R_{t+1}, from the end of the episode back."""
    out, running = np.zeros(len(rewards), np.float32), 0.0
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


# -- the student's code, for torch = glassgrad or PyTorch ---------------------------------------

def course(lib):
    """The homework's agents written once against `lib.torch`, `lib.nn`, `lib.F`,
    `lib.optim`."""
    torch, nn, F = lib.torch, lib.nn, lib.F
    Categorical, Normal = torch.distributions.Categorical, torch.distributions.Normal

    def mlp(sizes, activation=nn.Tanh, output_activation=nn.Identity):
        layers = []
        for j in range(len(sizes) - 1):
            act = activation if j < len(sizes) - 2 else output_activation
            layers += [nn.Linear(sizes[j], sizes[j + 1]), act()]
        return nn.Sequential(*layers)

    def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
        nn.init.orthogonal_(layer.weight, std)
        nn.init.constant_(layer.bias, bias_const)
        return layer

    def vpg_losses(pi, v, obs, act, rtg, ent_coef=0.01):
        """REINFORCE with reward-to-go, a value baseline and an entropy bonus."""
        obs = torch.as_tensor(obs, dtype=torch.float32)
        act = torch.as_tensor(act, dtype=torch.long)
        rtg = torch.as_tensor(rtg, dtype=torch.float32)
        dist = Categorical(logits=pi(obs))
        logp, entropy = dist.log_prob(act), dist.entropy()
        value = v(obs).squeeze(-1)
        adv = rtg - value.detach()
        pi_loss = -(logp * adv).mean() - ent_coef * entropy.mean()
        v_loss = F.mse_loss(value, rtg)
        return pi_loss, v_loss, logp, entropy

    class GaussianActorCritic(nn.Module):
        """A state-independent log_std, a mean net and a value net; actions tanh-squashed."""

        def __init__(self, obs_dim, act_dim, hidden=32):
            super().__init__()
            self.mu_net = nn.Sequential(layer_init(nn.Linear(obs_dim, hidden)), nn.Tanh(),
                                        layer_init(nn.Linear(hidden, act_dim), std=0.01))
            self.log_std = nn.Parameter(torch.as_tensor(-0.5 * np.ones(act_dim, np.float32)))
            self.critic = nn.Sequential(layer_init(nn.Linear(obs_dim, hidden)), nn.Tanh(),
                                        layer_init(nn.Linear(hidden, 1), std=1.0))

        def dist(self, obs):
            return Normal(self.mu_net(obs), torch.exp(self.log_std))

        def value(self, obs):
            return self.critic(obs).squeeze(-1)

        @staticmethod
        def squashed_log_prob(dist, u):
            """log pi(tanh u) = log N(u) - sum log(1 - tanh(u)^2), the second written stably as
            2 (log 2 - u - softplus(-2u))."""
            logp = dist.log_prob(u).sum(axis=-1)
            return logp - (2 * (np.log(2) - u - F.softplus(-2 * u))).sum(axis=-1)

    def gae(rewards, values, dones, next_value, gamma=0.99, lam=0.95):
        """A rollout's advantages and returns, backwards (dones[t]: the episode ended at t)."""
        with torch.no_grad():
            advantages = torch.zeros_like(rewards)
            lastgaelam = 0
            for t in reversed(range(len(rewards))):
                nextnonterminal = 1.0 - dones[t]
                nextvalue = next_value if t == len(rewards) - 1 else values[t + 1]
                delta = rewards[t] + gamma * nextvalue * nextnonterminal - values[t]
                advantages[t] = lastgaelam = delta + gamma * lam * nextnonterminal * lastgaelam
            return advantages, advantages + values

    def ppo_update(agent, optimizer, batch, n_epochs=4, minibatch=32, clip=0.2, vf_coef=0.5,
                   ent_coef=0.0, max_grad_norm=0.5, perms=None):
        """CleanRL's update: epochs of shuffled minibatches; returns the last minibatch's
        numbers (loss parts, approx KL, clip fraction) and each step's gradient norm."""
        obs, u, logp_old, adv_all, ret = batch
        n, norms = len(obs), []
        for epoch in range(n_epochs):
            perm = torch.randperm(n) if perms is None else torch.as_tensor(perms[epoch])
            for start in range(0, n, minibatch):
                idx = perm[start:start + minibatch]
                dist = agent.dist(obs[idx])
                logp = agent.squashed_log_prob(dist, u[idx])
                logratio = logp - logp_old[idx]
                ratio = logratio.exp()
                with torch.no_grad():
                    approx_kl = ((ratio - 1) - logratio).mean()
                    clipfrac = ((ratio - 1.0).abs() > clip).float().mean()
                adv = adv_all[idx]
                adv = (adv - adv.mean()) / (adv.std(unbiased=True) + 1e-8)
                surr1 = ratio * adv
                surr2 = torch.clamp(ratio, 1 - clip, 1 + clip) * adv
                pg_loss = -torch.min(surr1, surr2).mean()
                v_loss = 0.5 * ((agent.value(obs[idx]) - ret[idx]) ** 2).mean()
                entropy = dist.entropy().sum(-1).mean()
                loss = pg_loss + vf_coef * v_loss - ent_coef * entropy
                optimizer.zero_grad()
                loss.backward()
                norms.append(nn.utils.clip_grad_norm_(agent.parameters(), max_grad_norm).item())
                optimizer.step()
        return (pg_loss.item(), v_loss.item(), entropy.item(), approx_kl.item(),
                clipfrac.item(), norms)

    def dqn_loss(q, q_targ, batch, gamma=0.9, double=True):
        o, a, r, o2, d = (torch.as_tensor(x) for x in batch)
        q_sa = q(o).gather(1, a.unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            if double:      # the online net picks the next action, the target net rates it
                a2 = q(o2).argmax(dim=1, keepdim=True)
                q_next = q_targ(o2).gather(1, a2).squeeze(1)
            else:
                q_next = q_targ(o2).max(dim=1).values
            target = r + gamma * (1 - d) * q_next
        return F.smooth_l1_loss(q_sa, target), q_sa, target

    def polyak(q, q_targ, rho):
        """theta_targ <- rho theta_targ + (1 - rho) theta, on the parameters themselves."""
        with torch.no_grad():
            for p, p_targ in zip(q.parameters(), q_targ.parameters()):
                p_targ.mul_(rho)
                p_targ.add_((1 - rho) * p)

    return types.SimpleNamespace(**locals())


OUR = course(OURS)


class Replay:
    """A ring buffer of numpy arrays, sampled uniformly."""

    def __init__(self, obs_dim, size, seed=0):
        self.obs = np.zeros((size, obs_dim), np.float32)
        self.next_obs = np.zeros((size, obs_dim), np.float32)
        self.act = np.zeros(size, np.int64)
        self.rew = np.zeros(size, np.float32)
        self.done = np.zeros(size, np.float32)
        self.ptr, self.size, self.max_size = 0, 0, size
        self.rng = np.random.default_rng(seed)

    def store(self, o, a, r, o2, d):
        i = self.ptr
        self.obs[i], self.act[i], self.rew[i], self.next_obs[i], self.done[i] = o, a, r, o2, d
        self.ptr, self.size = (i + 1) % self.max_size, min(self.size + 1, self.max_size)

    def sample(self, batch_size):
        idx = self.rng.integers(0, self.size, batch_size)
        return self.obs[idx], self.act[idx], self.rew[idx], self.next_obs[idx], self.done[idx]


# -- training runs (glassgrad's; PyTorch's draws would differ) ---------------------------------

def train_reinforce(epochs=25, batch_steps=1000, seed=0):
    """Returns each epoch's mean episode return."""
    torch.manual_seed(seed)
    pi, v = OUR.mlp([4, 32, 2]), OUR.mlp([4, 32, 1])
    pi_opt, v_opt = optim.Adam(pi.parameters(), lr=1e-2), optim.Adam(v.parameters(), lr=1e-2)
    env, history = CartPole(seed), []
    for epoch in range(epochs):
        batch_obs, batch_act, batch_rtg, returns = [], [], [], []
        while len(batch_obs) < batch_steps:
            obs, rewards, done = env.reset(), [], False
            while not done:
                with torch.no_grad():
                    logits = pi(torch.as_tensor(obs, dtype=torch.float32))
                    action = torch.distributions.Categorical(logits=logits).sample().item()
                batch_obs.append(obs)
                batch_act.append(action)
                obs, reward, terminated, truncated = env.step(action)
                rewards.append(reward)
                done = terminated or truncated
            batch_rtg += list(reward_to_go(rewards))
            returns.append(sum(rewards))
        pi_loss, v_loss, _, _ = OUR.vpg_losses(pi, v, np.array(batch_obs), batch_act,
                                               np.array(batch_rtg))
        pi_opt.zero_grad()
        pi_loss.backward()
        pi_opt.step()
        for _ in range(5):
            _, v_loss, _, _ = OUR.vpg_losses(pi, v, np.array(batch_obs), batch_act,
                                             np.array(batch_rtg))
            v_opt.zero_grad()
            v_loss.backward()
            v_opt.step()
        history.append(float(np.mean(returns)))
    return history


def rollout_reach(agent, env, n_steps, obs):
    """n_steps of the reach task; returns the batch tensors, the final observation and the
    returns of the episodes that ended."""
    obs_buf = torch.zeros((n_steps, 3))
    u_buf, logp_buf = torch.zeros((n_steps, 1)), torch.zeros(n_steps)
    rew_buf, done_buf, val_buf = torch.zeros(n_steps), torch.zeros(n_steps), torch.zeros(n_steps)
    returns, ep_ret = [], 0.0
    for t in range(n_steps):
        o = torch.as_tensor(obs, dtype=torch.float32)
        with torch.no_grad():
            dist = agent.dist(o)
            u = dist.sample()
            logp_buf[t] = agent.squashed_log_prob(dist, u)
            val_buf[t] = agent.value(o)
        obs_buf[t], u_buf[t] = o, u
        obs, reward, terminated, truncated = env.step(torch.tanh(u).item())
        rew_buf[t], done_buf[t] = reward, float(terminated or truncated)
        ep_ret += reward
        if terminated or truncated:
            returns.append(ep_ret)
            obs, ep_ret = env.reset(), 0.0
    with torch.no_grad():
        next_value = agent.value(torch.as_tensor(obs, dtype=torch.float32))
    return obs_buf, u_buf, logp_buf, rew_buf, done_buf, val_buf, next_value, obs, returns


def train_ppo(updates=30, n_steps=192, seed=0):
    """Returns each update's mean episode return and its explained variance."""
    torch.manual_seed(seed)
    agent = OUR.GaussianActorCritic(3, 1)
    optimizer = optim.Adam(agent.parameters(), lr=3e-3, eps=1e-5)
    env = Reach(seed)
    obs, history = env.reset(), []
    for update in range(updates):
        obs_b, u_b, logp_b, rew_b, done_b, val_b, next_value, obs, returns = rollout_reach(
            agent, env, n_steps, obs)
        adv, ret = OUR.gae(rew_b, val_b, done_b, next_value, gamma=0.9, lam=0.95)
        y_pred, y_true = val_b.numpy(), ret.numpy()
        var_y = np.var(y_true)
        explained = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y
        OUR.ppo_update(agent, optimizer, (obs_b, u_b, logp_b, adv, ret), minibatch=48)
        history.append((float(np.mean(returns)), float(explained)))
    return agent, history


def evaluate_reach(agent, episodes=20, seed=100):
    """The mean return of the deterministic policy tanh(mu), and that of the best one (full
    speed to the target, then stay)."""
    env, best_env, total, best = Reach(seed), Reach(seed), 0.0, 0.0
    for _ in range(episodes):
        obs, done = env.reset(), False
        best_env.reset()
        while not done:
            with torch.no_grad():
                action = torch.tanh(agent.mu_net(torch.as_tensor(obs))).item()
            obs, reward, _, done = env.step(action)
            total += reward
            best += best_env.step(np.clip((best_env.goal - best_env.x) / 0.25, -1, 1))[1]
    return total / episodes, best / episodes


def train_dqn(episodes=60, seed=0, rho=0.95):
    """Double DQN with Polyak-averaged targets; returns the net and each episode's length."""
    torch.manual_seed(seed)
    q = OUR.mlp([16, 32, 4], activation=nn.ReLU)
    q_targ = copy.deepcopy(q)
    for p in q_targ.parameters():
        p.requires_grad = False
    optimizer = optim.Adam(q.parameters(), lr=3e-3)
    env, buffer, rng, lengths = Grid(), Replay(16, 5000, seed), np.random.default_rng(seed), []
    for episode in range(episodes):
        obs, done, steps = env.reset(), False, 0
        epsilon = max(0.05, 1.0 - episode / (0.6 * episodes))
        while not done:
            if rng.random() < epsilon:
                action = int(rng.integers(4))
            else:
                with torch.no_grad():
                    action = q(torch.as_tensor(obs)).argmax().item()
            obs2, reward, terminated, truncated = env.step(action)
            buffer.store(obs, action, reward, obs2, float(terminated))
            obs, done, steps = obs2, terminated or truncated, steps + 1
            if buffer.size >= 64:
                loss, _, _ = OUR.dqn_loss(q, q_targ, buffer.sample(64))
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(q.parameters(), 10.0)
                optimizer.step()
                OUR.polyak(q, q_targ, rho)
        lengths.append(steps)
    return q, lengths


def cartpole_batch(n_episodes=3, seed=0):
    """A few random episodes of the cart-pole: observations, actions, rewards-to-go."""
    env, rng = CartPole(seed), np.random.default_rng(seed)
    obs_all, act_all, rtg_all = [], [], []
    for _ in range(n_episodes):
        obs, rewards, done = env.reset(), [], False
        while not done:
            action = int(rng.integers(2))
            obs_all.append(obs)
            act_all.append(action)
            obs, reward, terminated, truncated = env.step(action)
            rewards.append(reward)
            done = terminated or truncated
        rtg_all += list(reward_to_go(rewards, 0.99))
    return np.array(obs_all), np.array(act_all), np.array(rtg_all, np.float32)


# -- the cart-pole and REINFORCE ---------------------------------------------------------------

def test_the_cart_pole_steps_by_the_equations_of_motion_and_falls_under_random_pushes():
    env = CartPole()
    env.reset()
    env.state = np.array([0.0, 0.0, 0.1, 0.0])
    obs, reward, terminated, truncated = env.step(1)
    # at rest, leaning 0.1 rad: temp = 10 / 1.1; the pole turns by (g sin - cos temp) / (l (4/3 -
    # 0.1 cos^2 / 1.1)), the cart by temp - 0.05 alpha cos / 1.1; Euler moves only the speeds
    temp = 10 / 1.1
    alpha = (9.8 * math.sin(0.1) - math.cos(0.1) * temp) / (
        0.5 * (4 / 3 - 0.1 * math.cos(0.1) ** 2 / 1.1))
    accel = temp - 0.05 * alpha * math.cos(0.1) / 1.1
    np.testing.assert_allclose(obs, [0.0, 0.02 * accel, 0.1, 0.02 * alpha], rtol=1e-6)
    assert (reward, terminated, truncated) == (1.0, False, False)
    _, _, rtg = cartpole_batch(n_episodes=20)
    lengths = np.flatnonzero(np.diff(rtg) > 0) + 1       # where a new episode's sum starts
    mean_length = len(rtg) / (len(lengths) + 1)
    assert 12 < mean_length < 40                          # gym's random agent: about 22


def test_reward_to_go_sums_the_rest_of_the_episode():
    np.testing.assert_allclose(reward_to_go([1.0, 0.0, 2.0]), [3.0, 2.0, 2.0])
    np.testing.assert_allclose(reward_to_go([1.0, 0.0, 2.0], 0.5), [1.5, 1.0, 2.0])


def test_reinforce_balances_the_pole_from_a_fixed_seed():
    history = train_reinforce(epochs=30, batch_steps=1000, seed=0)
    assert history[0] < 30                                # random: about 20 steps
    assert np.mean(history[-5:]) >= 150, history          # of at most 200


def test_reinforce_gradients_are_the_finite_differences():
    torch.manual_seed(1)
    pi, v = OUR.mlp([4, 8, 2]).double(), OUR.mlp([4, 8, 1]).double()
    obs, act, rtg = cartpole_batch(n_episodes=1)
    assert gradcheck_parameters(lambda: OUR.vpg_losses(pi, v, obs, act, rtg)[0],
                                pi.named_parameters(), eps=1e-6, atol=1e-7, rtol=1e-5)
    assert gradcheck_parameters(lambda: OUR.vpg_losses(pi, v, obs, act, rtg)[1],
                                v.named_parameters(), eps=1e-6, atol=1e-7, rtol=1e-5)
    # the baseline is detached: the policy's loss gives the value net no gradient
    pi_loss, _, _, _ = OUR.vpg_losses(pi, v, obs, act, rtg)
    pi_loss.backward()
    assert all(p.grad is None for p in v.parameters())


@needs_torch
def test_reinforce_log_probs_entropies_losses_gradients_and_steps_are_pytorchs():
    torch.manual_seed(2)
    t = theirs()
    them = course(t)
    pi, v = OUR.mlp([4, 32, 2]), OUR.mlp([4, 32, 1])
    their_pi, their_v = them.mlp([4, 32, 2]), them.mlp([4, 32, 1])
    copy_weights(pi, their_pi)
    copy_weights(v, their_v)
    opt = optim.Adam(list(pi.parameters()) + list(v.parameters()), lr=1e-2)
    their_opt = t.optim.Adam(list(their_pi.parameters()) + list(their_v.parameters()), lr=1e-2)
    obs, act, rtg = cartpole_batch(n_episodes=4)
    for step in range(3):
        pi_loss, v_loss, logp, entropy = OUR.vpg_losses(pi, v, obs, act, rtg)
        their = them.vpg_losses(their_pi, their_v, obs, act, rtg)
        for ours, expected in zip((pi_loss, v_loss, logp, entropy), their):
            np.testing.assert_allclose(ours.detach().numpy(), expected.detach().numpy(),
                                       rtol=2e-5, atol=1e-6)
        opt.zero_grad()
        their_opt.zero_grad()
        (pi_loss + v_loss).backward()
        (their[0] + their[1]).backward()
        for p, q in zip(list(pi.parameters()) + list(v.parameters()),
                        list(their_pi.parameters()) + list(their_v.parameters())):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-6)
        opt.step()
        their_opt.step()
    for p, q in zip(pi.parameters(), their_pi.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-6)


# -- the Gaussian policy with tanh squashing ---------------------------------------------------

def test_the_squashed_log_prob_is_the_tanh_transformed_normals_and_stable_far_out():
    D = torch.distributions
    mu = torch.tensor([[0.3, -1.2], [2.0, 0.0], [0.0, 0.5]], dtype=torch.float64)
    std = torch.tensor([0.5, 1.5], dtype=torch.float64)
    u = torch.tensor([[0.1, -0.7], [1.5, 2.5], [-3.0, 0.2]], dtype=torch.float64)
    dist = D.Normal(mu, std)
    ours = OUR.GaussianActorCritic.squashed_log_prob(dist, u)
    squashed = D.TransformedDistribution(dist, [D.transforms.TanhTransform()])
    np.testing.assert_allclose(ours.numpy(), squashed.log_prob(torch.tanh(u)).sum(-1).numpy(),
                               rtol=1e-10)
    # log(1 - tanh(u)^2) written as 2 (log 2 - u - softplus(-2u)): finite where tanh(u) is 1.0
    far = torch.tensor([[30.0, -40.0]], dtype=torch.float64)
    far_logp = OUR.GaussianActorCritic.squashed_log_prob(D.Normal(far, 1.0), far)
    expected = -math.log(2 * math.pi) + 2 * sum(abs(x) - math.log(2)
                                                 + math.log1p(math.exp(-2 * abs(x)))
                                                 for x in (30.0, -40.0))
    assert far_logp.item() == pytest.approx(expected, rel=1e-12)
    with np.errstate(divide="ignore"):                  # log(1 - 1.0): the naive form's -inf
        naive = dist.log_prob(u).sum(-1) - torch.log(1 - torch.tanh(far) ** 2).sum(-1)
    assert not np.isfinite(naive.numpy()).all()


def test_the_gaussian_policys_log_std_is_a_parameter_and_gets_the_finite_difference_gradient():
    torch.manual_seed(3)
    agent = OUR.GaussianActorCritic(3, 2).double()
    assert [n for n, _ in agent.named_parameters()][:3] == ["log_std", "mu_net.0.weight",
                                                            "mu_net.0.bias"] or \
        "log_std" in dict(agent.named_parameters())
    np.testing.assert_allclose(agent.log_std.numpy(), [-0.5, -0.5])
    obs = torch.as_tensor(np.random.default_rng(0).normal(size=(5, 3)))
    u = torch.as_tensor(np.random.default_rng(1).normal(size=(5, 2)))

    def cost():
        dist = agent.dist(obs)
        logp = agent.squashed_log_prob(dist, u)
        return -(logp * torch.linspace(-1, 1, 5, dtype=torch.float64)).mean() \
            - 0.1 * dist.entropy().sum(-1).mean()
    assert gradcheck_parameters(cost, [(n, p) for n, p in agent.named_parameters()
                                       if not n.startswith("critic")],
                                eps=1e-6, atol=1e-8, rtol=1e-5)
    # a batch of one and a single observation give the same numbers
    one = agent.squashed_log_prob(agent.dist(obs[:1]), u[:1])
    single = agent.squashed_log_prob(agent.dist(obs[0]), u[0])
    assert one.shape == (1,) and single.shape == ()
    assert single.item() == pytest.approx(one.item(), rel=1e-12)


def twin_agents(seed, act_dim):
    """PyTorch's names, and a Gaussian actor-critic for the reach task on both sides with the
    same weights."""
    torch.manual_seed(seed)
    t = theirs()
    agent, their_agent = OUR.GaussianActorCritic(3, act_dim), course(t).GaussianActorCritic(
        3, act_dim)
    copy_weights(agent, their_agent)
    return t, agent, their_agent


@needs_torch
def test_the_gaussian_policys_log_probs_entropy_and_gradients_are_pytorchs():
    t, agent, their_agent = twin_agents(seed=4, act_dim=2)
    rng = np.random.default_rng(5)
    obs = rng.normal(size=(16, 3)).astype(np.float32)
    u = (2 * rng.normal(size=(16, 2))).astype(np.float32)

    def loss_of(lib, a):
        dist = a.dist(lib.torch.as_tensor(obs))
        logp = a.squashed_log_prob(dist, lib.torch.as_tensor(u))
        return logp, dist.entropy().sum(-1), -logp.mean() - 0.01 * dist.entropy().sum(-1).mean()
    logp, entropy, loss = loss_of(OURS, agent)
    their_logp, their_entropy, their_loss = loss_of(t, their_agent)
    np.testing.assert_allclose(logp.detach().numpy(), their_logp.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(entropy.detach().numpy(), their_entropy.detach().numpy(),
                               rtol=1e-6)
    loss.backward()
    their_loss.backward()
    for (name, p), q in zip(agent.named_parameters(), their_agent.parameters()):
        if name.startswith("critic"):
            assert p.grad is None and q.grad is None
        else:
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-7,
                                       err_msg=name)


def test_orthogonal_init_with_gain_root_two_and_constant_biases():
    torch.manual_seed(5)
    wide = OUR.layer_init(nn.Linear(8, 4))                   # 4 rows of 8: W W^T = 2 I
    tall = OUR.layer_init(nn.Linear(3, 6), std=0.01, bias_const=0.5)    # W^T W = 1e-4 I
    np.testing.assert_allclose(wide.weight.numpy() @ wide.weight.numpy().T, 2 * np.eye(4),
                               atol=1e-5)
    np.testing.assert_allclose(tall.weight.numpy().T @ tall.weight.numpy(), 1e-4 * np.eye(3),
                               atol=1e-9)
    assert (wide.bias.numpy() == 0).all() and (tall.bias.numpy() == 0.5).all()
    assert wide.weight.dtype == np.float32 and isinstance(wide.weight, nn.Parameter)


def masked_policy(lib, logits, mask, actions):
    """Invalid-action masking: the masked logits' Categorical, its entropy and log-probs."""
    dist = lib.torch.distributions.Categorical(logits=logits.masked_fill(~mask, float("-inf")))
    return dist, dist.entropy(), dist.log_prob(actions)


def test_masked_actions_are_never_drawn_and_get_no_gradient():
    torch.manual_seed(11)
    logits = torch.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]], requires_grad=True)
    mask = torch.tensor([[True, False, True], [True, True, False]])
    dist, entropy, logp = masked_policy(OURS, logits, mask, torch.tensor([2, 1]))
    draws = dist.sample((500,)).numpy()
    assert not (draws[:, 0] == 1).any() and not (draws[:, 1] == 2).any()
    p = np.exp([0.5, 2.0]) / np.exp([0.5, 2.0]).sum()         # the allowed actions' softmax
    assert entropy.numpy()[0] == pytest.approx(-(p * np.log(p)).sum(), rel=1e-6)
    assert logp.numpy()[0] == pytest.approx(np.log(p[1]), rel=1e-6)
    (entropy.sum() + logp.sum()).backward()
    assert np.isfinite(logits.grad).all() and logits.grad[0, 1] == logits.grad[1, 2] == 0.0


def test_trpos_fisher_vector_product_is_the_finite_difference_of_the_kl_gradient():
    torch.manual_seed(14)
    pi = OUR.mlp([3, 6, 2]).double()
    params = list(pi.parameters())
    obs = torch.as_tensor(np.random.default_rng(15).normal(size=(8, 3)))
    with torch.no_grad():
        old = torch.distributions.Categorical(logits=pi(obs))

    def kl_grad(create_graph=False):
        new = torch.distributions.Categorical(logits=pi(obs))
        kl = torch.distributions.kl_divergence(old, new).mean()
        grads = torch.autograd.grad(kl, params, create_graph=create_graph)
        return torch.cat([g.reshape(-1) for g in grads])
    v = np.random.default_rng(16).normal(size=sum(p.numel() for p in params))
    flat = kl_grad(create_graph=True)
    hvp = torch.cat([h.reshape(-1) for h in torch.autograd.grad(
        (flat * torch.as_tensor(v)).sum(), params)]).numpy()
    theta = nn.utils.parameters_to_vector(params).detach().numpy()
    eps, sides = 1e-5, []
    for sign in (1, -1):
        nn.utils.vector_to_parameters(torch.as_tensor(theta + sign * eps * v), params)
        sides.append(kl_grad().numpy())
    nn.utils.vector_to_parameters(torch.as_tensor(theta), params)
    np.testing.assert_allclose(hvp, (sides[0] - sides[1]) / (2 * eps), rtol=1e-5, atol=1e-9)
    assert v @ hvp > 0                      # the Fisher matrix is positive semi-definite


@needs_torch
def test_masked_policies_and_trpos_fisher_vector_product_are_pytorchs():
    t = theirs()
    logits = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]], np.float32)
    mask = np.array([[True, False, True], [True, True, False]])
    results = []
    for lib in (OURS, t):
        z = lib.torch.tensor(logits, requires_grad=True)
        _, entropy, logp = masked_policy(lib, z, lib.torch.as_tensor(mask),
                                         lib.torch.tensor([2, 1]))
        (entropy.sum() + logp.sum()).backward()
        results.append([entropy.detach().numpy(), logp.detach().numpy(), np.asarray(z.grad)])
    for ours, expected in zip(*results):
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-7)
    # TRPO's step direction needs H v, H the Hessian of the mean KL from the old policy
    torch.manual_seed(12)
    pi = OUR.mlp([3, 8, 2])
    their_pi = course(t).mlp([3, 8, 2])
    copy_weights(pi, their_pi)
    obs = np.random.default_rng(13).normal(size=(10, 3)).astype(np.float32)
    v = np.linspace(-1, 1, 50).astype(np.float32)
    hvps = []
    for lib, net in ((OURS, pi), (t, their_pi)):
        tch, params = lib.torch, list(net.parameters())
        with tch.no_grad():
            old = tch.distributions.Categorical(logits=net(tch.as_tensor(obs)))
        kl = tch.distributions.kl_divergence(
            old, tch.distributions.Categorical(logits=net(tch.as_tensor(obs)))).mean()
        grads = tch.autograd.grad(kl, params, create_graph=True)
        flat = tch.cat([g.reshape(-1) for g in grads])
        hvp = tch.autograd.grad((flat * tch.as_tensor(v)).sum(), params)
        hvps.append(tch.cat([h.reshape(-1) for h in hvp]).detach().numpy())
        assert abs(kl.item()) < 1e-6                        # the KL is 0 where the policies meet
    np.testing.assert_allclose(hvps[0], hvps[1], rtol=1e-4, atol=1e-7)
    assert np.abs(hvps[0]).max() > 1e-3


# -- GAE and PPO -------------------------------------------------------------------------------

def test_gae_is_the_lambda_discounted_sum_of_td_errors_cut_at_episode_ends():
    rewards = torch.tensor([1.0, 0.5, -1.0, 2.0, 0.0])
    values = torch.tensor([0.2, -0.3, 0.4, 1.0, 0.7])
    dones = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0])
    next_value, gamma, lam = torch.tensor(0.6), 0.9, 0.8
    adv, ret = OUR.gae(rewards, values, dones, next_value, gamma, lam)
    r, v, d = rewards.numpy().astype(np.float64), values.numpy(), dones.numpy()
    v_next = np.append(v[1:], 0.6)
    delta = r + gamma * v_next * (1 - d) - v
    expected = np.zeros(5)
    for t in range(5):      # the forward sum, stopped after the first episode end
        for k in range(t, 5):
            expected[t] += (gamma * lam) ** (k - t) * delta[k]
            if d[k]:
                break
    np.testing.assert_allclose(adv.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(ret.numpy(), expected + v, rtol=1e-6)
    assert not adv.requires_grad and adv.dtype == np.float32
    # lambda = 1 gives the discounted return minus V (bootstrapped at the end), lambda = 0 the
    # one-step TD error
    adv1, ret1 = OUR.gae(rewards, values, dones, next_value, gamma, 1.0)
    np.testing.assert_allclose(ret1.numpy()[:2], [1 + 0.9 * 0.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(
        ret1.numpy()[2:], [-1 + 0.9 * 2 + 0.81 * 0.6 * 0.9, 2 + 0.9 * 0.6 * 0.9, 0.6 * 0.9],
        rtol=1e-6)
    np.testing.assert_allclose(OUR.gae(rewards, values, dones, next_value, gamma, 0.0)[0].numpy(),
                               delta, rtol=1e-6, atol=1e-7)


@needs_torch
def test_gae_on_tensors_is_pytorchs():
    t = theirs()
    rng = np.random.default_rng(6)
    arrays = [rng.normal(size=40).astype(np.float32), rng.normal(size=40).astype(np.float32),
              (rng.random(40) < 0.2).astype(np.float32)]
    adv, ret = OUR.gae(*(torch.as_tensor(a) for a in arrays), torch.tensor(0.3))
    their_adv, their_ret = course(t).gae(*(t.torch.as_tensor(a) for a in arrays),
                                         t.torch.tensor(0.3))
    np.testing.assert_allclose(adv.numpy(), their_adv.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ret.numpy(), their_ret.numpy(), rtol=1e-5, atol=1e-6)


def reach_batch(agent, n_steps=96, seed=7):
    """A rollout of the reach task with its GAE, as ppo_update takes it."""
    torch.manual_seed(seed)
    env = Reach(seed)
    obs_b, u_b, logp_b, rew_b, done_b, val_b, next_value, _, _ = rollout_reach(
        agent, env, n_steps, env.reset())
    adv, ret = OUR.gae(rew_b, val_b, done_b, next_value, gamma=0.9, lam=0.95)
    return obs_b, u_b, logp_b, adv, ret


@needs_torch
def test_a_ppo_update_is_pytorchs_from_the_same_weights_batch_and_shuffles():
    t, agent, their_agent = twin_agents(seed=8, act_dim=1)
    batch = reach_batch(agent)
    their_batch = [t.torch.as_tensor(x.numpy()) for x in batch]
    perms = [np.random.default_rng(k).permutation(96) for k in range(4)]
    opt = optim.Adam(agent.parameters(), lr=3e-3, eps=1e-5)
    their_opt = t.optim.Adam(their_agent.parameters(), lr=3e-3, eps=1e-5)
    ours = OUR.ppo_update(agent, opt, batch, minibatch=32, perms=perms)
    expected = course(t).ppo_update(their_agent, their_opt, their_batch, minibatch=32,
                                    perms=perms)
    # pg loss, value loss, entropy, approx KL, clip fraction, then 12 gradient norms
    np.testing.assert_allclose(ours[:5], expected[:5], rtol=2e-3, atol=1e-5)
    np.testing.assert_allclose(ours[5], expected[5], rtol=1e-3)
    assert ours[3] > 0 and max(ours[5]) > 0.5           # the policy moved; norms were clipped
    for (name, p), q in zip(agent.named_parameters(), their_agent.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-3, atol=1e-5,
                                   err_msg=name)


def test_ppo_clips_the_ratio_only_where_it_helps():
    # a made-up minibatch: ratio 1.5 with a positive advantage is clipped to 1.2 (no gradient),
    # 1.5 with a negative one keeps its gradient; 0.5 the other way round
    logratio = torch.tensor(np.log([1.5, 1.5, 0.5, 0.5]), requires_grad=True)
    adv = torch.tensor([1.0, -1.0, 1.0, -1.0])
    ratio = logratio.exp()
    surr = torch.min(ratio * adv, torch.clamp(ratio, 0.8, 1.2) * adv)
    np.testing.assert_allclose(surr.detach().numpy(), [1.2, -1.5, 0.5, -0.8], rtol=1e-6)
    (-surr.mean()).backward()
    np.testing.assert_allclose(logratio.grad, [0.0, 1.5 / 4, -0.5 / 4, 0.0], rtol=1e-6)
    approx_kl = ((ratio - 1) - logratio).mean().item()
    assert approx_kl == pytest.approx(np.mean([0.5 - np.log(1.5), -0.5 - np.log(0.5)] * 2))


def test_ppo_learns_to_reach_the_target():
    agent, history = train_ppo(updates=40, n_steps=192, seed=0)
    returns, explained = zip(*history)
    assert returns[0] < -4
    greedy, best = evaluate_reach(agent)
    assert greedy > best - 0.4, (greedy, best, returns)
    assert np.mean(explained[-10:]) > 0.3, explained


# -- DQN ---------------------------------------------------------------------------------------

def test_dqn_and_double_dqn_targets_on_a_hand_made_batch():
    q = nn.Linear(2, 3)
    with torch.no_grad():
        q.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        q.bias.zero_()
    q_targ = copy.deepcopy(q)
    with torch.no_grad():
        q_targ.weight.copy_(torch.tensor([[3.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    o = np.array([[1.0, 2.0], [0.5, 0.5]], np.float32)
    o2 = np.array([[1.0, 0.4], [0.0, 2.0]], np.float32)
    batch = (o, np.array([2, 0]), np.array([1.0, -1.0], np.float32), o2,
             np.array([0.0, 1.0], np.float32))
    loss, q_sa, target = OUR.dqn_loss(q, q_targ, batch, gamma=0.5, double=False)
    np.testing.assert_allclose(q_sa.detach().numpy(), [3.0, 0.5])
    # the target net's max at o2[0]: (3, 0.4, 1.4) -> 3; the second transition ended
    np.testing.assert_allclose(target.numpy(), [1 + 0.5 * 3.0, -1.0])
    # Double DQN: the online net picks argmax (1, 0.4, 1.4) -> action 2, the target rates it 1.4
    loss2, _, target2 = OUR.dqn_loss(q, q_targ, batch, gamma=0.5, double=True)
    np.testing.assert_allclose(target2.numpy(), [1 + 0.5 * 1.4, -1.0], rtol=1e-6)
    d = np.array([3.0 - 1.7, 0.5 + 1.0])          # Huber: |d| - 0.5 from 1 on (0.5 d^2 below)
    assert loss2.item() == pytest.approx(np.mean(d - 0.5), rel=1e-6)
    loss2.backward()
    assert q_targ.weight.grad is None
    # dL/dQ(s, a) = clip(d, -1, 1) / 2 = 1/2 each, reaching the rows of the actions taken
    np.testing.assert_allclose(q.weight.grad, [[0.25, 0.25], [0.0, 0.0], [0.5, 1.0]], rtol=1e-6)
    with pytest.raises(TypeError, match=r"max\(dim=d\)"):
        q_targ(torch.as_tensor(o2)).max(1)[0]


def test_the_polyak_step_on_data_says_what_to_write_and_the_spellings_that_work_agree():
    torch.manual_seed(9)
    q = OUR.mlp([3, 4, 2])
    rho = 0.9
    start = copy.deepcopy(q)
    with pytest.raises(AttributeError, match="mul_") as raised:
        with torch.no_grad():
            for p, p_targ in zip(q.parameters(), copy.deepcopy(start).parameters()):
                p_targ.data.mul_(rho)                      # Spinning Up's spelling
                p_targ.data.add_((1 - rho) * p.data)
    if hasattr(raised.value, "add_note"):
        note = " ".join(raised.value.__notes__)     # a Polyak step is an EMA of the weights
        assert "a target network's Polyak step" in note and "ema_p.data *= decay" in note
    results = []
    for spelling in ("data", "methods", "lerp"):
        q_targ = copy.deepcopy(start)
        with torch.no_grad():
            for p in q.parameters():
                p += 1.0                                    # the online net has moved
        with torch.no_grad():
            for p, p_targ in zip(q.parameters(), q_targ.parameters()):
                if spelling == "data":
                    p_targ.data *= rho
                    p_targ.data += (1 - rho) * p.data
                elif spelling == "methods":
                    p_targ.mul_(rho)
                    p_targ.add_((1 - rho) * p)
                else:
                    p_targ.lerp_(p, 1 - rho)
        for p, p_targ, p0 in zip(q.parameters(), q_targ.parameters(), start.parameters()):
            np.testing.assert_allclose(p_targ.numpy(), rho * p0.numpy() + (1 - rho) * p.numpy(),
                                       rtol=1e-5, atol=1e-6)
        results.append([p.numpy().copy() for p in q_targ.parameters()])
        with torch.no_grad():
            for p in q.parameters():
                p -= 1.0
    # a hard copy is a copy: moving the online net later leaves the target where it was
    q_targ.load_state_dict(q.state_dict())
    with torch.no_grad():
        q[0].weight += 1.0
    np.testing.assert_allclose(q_targ[0].weight.numpy(), q[0].weight.numpy() - 1.0, atol=1e-6)


@needs_torch
def test_double_dqn_steps_with_polyak_targets_are_pytorchs():
    torch.manual_seed(10)
    t = theirs()
    them = course(t)
    q = OUR.mlp([16, 32, 4], activation=nn.ReLU)
    their_q = them.mlp([16, 32, 4], activation=t.nn.ReLU)
    copy_weights(q, their_q)
    q_targ, their_targ = copy.deepcopy(q), copy.deepcopy(their_q)
    opt, their_opt = optim.Adam(q.parameters(), lr=3e-3), t.optim.Adam(their_q.parameters(),
                                                                       lr=3e-3)
    buffer, env, rng = Replay(16, 500), Grid(), np.random.default_rng(11)
    obs = env.reset()
    for _ in range(200):
        action = int(rng.integers(4))
        obs2, reward, terminated, truncated = env.step(action)
        buffer.store(obs, action, reward, obs2, float(terminated))
        obs = env.reset() if terminated or truncated else obs2
    for step in range(4):
        batch = buffer.sample(32)
        loss, q_sa, target = OUR.dqn_loss(q, q_targ, batch)
        their_loss, their_q_sa, their_target = them.dqn_loss(their_q, their_targ, batch)
        np.testing.assert_allclose(target.numpy(), their_target.numpy(), rtol=1e-5, atol=1e-6)
        assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
        for o, l, clip in ((opt, loss, nn.utils.clip_grad_norm_),
                           (their_opt, their_loss, t.nn.utils.clip_grad_norm_)):
            o.zero_grad()
            l.backward()
        norm = nn.utils.clip_grad_norm_(q.parameters(), 1.0)
        their_norm = t.nn.utils.clip_grad_norm_(their_q.parameters(), 1.0)
        assert norm.item() == pytest.approx(their_norm.item(), rel=1e-5)
        opt.step()
        their_opt.step()
        OUR.polyak(q, q_targ, 0.9)
        with t.torch.no_grad():                           # Spinning Up's own lines on PyTorch
            for p, p_targ in zip(their_q.parameters(), their_targ.parameters()):
                p_targ.data.mul_(0.9)
                p_targ.data.add_((1 - 0.9) * p.data)
    for p, p_t in zip(list(q.parameters()) + list(q_targ.parameters()),
                      list(their_q.parameters()) + list(their_targ.parameters())):
        np.testing.assert_allclose(p.numpy(), p_t.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_double_dqn_learns_the_shortest_way_through_the_grid():
    q, lengths = train_dqn(episodes=60, seed=0)
    assert lengths[0] == 30                              # random moves: seldom there in 30
    env, path, done = Grid(), [], False
    obs = env.reset()
    while not done:
        with torch.no_grad():
            action = q(torch.as_tensor(obs)).argmax().item()
        obs, reward, terminated, truncated = env.step(action)
        path.append(action)
        done = terminated or truncated
    assert terminated and len(path) == 6, path          # three downs and three rights
    assert sorted(path) == [1, 1, 1, 3, 3, 3]


def test_explained_variance_of_a_value_fit():
    y_true = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    for y_pred, expected in ((y_true, 1.0), (np.full(4, 2.5, np.float32), 0.0),
                             (y_true + 1, 1.0), (y_true[::-1].copy(), -3.0)):
        var_y = np.var(y_true)
        assert 1 - np.var(y_true - y_pred) / var_y == pytest.approx(expected)
    values = torch.as_tensor(y_true) * 0.5
    assert values.detach().numpy().dtype == np.float32 and values.sum().item() == 5.0
