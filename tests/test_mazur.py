"""Matt Mazur's "A Step by Step Backpropagation Example", reproduced with Value and with Tensor.

A 2-2-2 network with sigmoid units: inputs i1=0.05, i2=0.10, targets 0.01 / 0.99;
weights w1..w8 = .15 .20 .25 .30 .40 .45 .50 .55 (w1, w2 from i1, i2 into h1; w3, w4 into h2;
w5, w6 from h1, h2 into o1; w7, w8 into o2); biases b1 = .35 (hidden) and b2 = .60 (output) are
held fixed; E = Σ ½ (target - out)²; plain gradient descent with η = 0.5.

What the article states and how exactly it holds:
* out_o1 = 0.75136507 (8 dp), E_total = 0.298371109 (9 dp), w5⁺ = 0.35891648 (8 dp) and
  w1⁺ = 0.149780716 (9 dp) after the first update: exact to the printed digits.
* the error printed "after 10,000 rounds", 3.51085e-05, is the error of the 10,000th forward
  pass (after 9,999 updates); it holds to all 6 printed significant digits.
* the final outputs quoted (0.015912196 and 0.984065734) hold only to about 4 decimals
  (0.0159 / 0.9841): the article rounded intermediate values. Only those 4 decimals are asserted.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor, Value, no_grad

W0 = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
I1, I2, T1, T2, B1, B2, LR = 0.05, 0.10, 0.01, 0.99, 0.35, 0.60, 0.5
ROUNDS = 10_000


def _check_first_step(out_o1, e_total, w5_new, w1_new):
    assert round(out_o1, 8) == 0.75136507
    assert round(e_total, 9) == 0.298371109
    assert round(w5_new, 8) == 0.35891648
    assert round(w1_new, 9) == 0.149780716


def _check_round_10000(error, out_o1, out_o2):
    assert f"{error:.5e}" == "3.51085e-05"
    assert round(out_o1, 4) == 0.0159 and round(out_o2, 4) == 0.9841


def test_mazur_with_value():
    """The worked example on scalars: first-step numbers, then the 10,000th forward pass."""
    w = [Value(x) for x in W0]

    def forward():
        h1 = (w[0] * I1 + w[1] * I2 + B1).sigmoid()
        h2 = (w[2] * I1 + w[3] * I2 + B1).sigmoid()
        o1 = (w[4] * h1 + w[5] * h2 + B2).sigmoid()
        o2 = (w[6] * h1 + w[7] * h2 + B2).sigmoid()
        return o1, o2, 0.5 * (T1 - o1) ** 2 + 0.5 * (T2 - o2) ** 2

    for r in range(1, ROUNDS + 1):
        o1, o2, e = forward()
        if r == ROUNDS:
            break
        for p in w:
            p.grad = 0.0
        e.backward()
        with no_grad():
            for p in w:
                p.data -= LR * p.grad
        if r == 1:
            first = (o1.data, e.data, w[4].data, w[0].data)
    _check_first_step(*first)
    _check_round_10000(e.data, o1.data, o2.data)


def test_mazur_with_tensor():
    """The same network as float64 matrices: h = σ(W_h x + b1), o = σ(W_o h + b2)."""
    x = Tensor(np.array([I1, I2]))
    t = Tensor(np.array([T1, T2]))
    Wh = Tensor(np.array(W0[:4]).reshape(2, 2), requires_grad=True)   # rows: h1, h2
    Wo = Tensor(np.array(W0[4:]).reshape(2, 2), requires_grad=True)   # rows: o1, o2
    b1, b2 = Tensor(np.float64(B1)), Tensor(np.float64(B2))
    assert Wh.dtype == np.float64

    def forward():
        h = (Wh @ x + b1).sigmoid()
        o = (Wo @ h + b2).sigmoid()
        return o, (0.5 * (t - o) ** 2).sum()

    for r in range(1, ROUNDS + 1):
        o, e = forward()
        if r == ROUNDS:
            break
        Wh.grad = Wo.grad = None
        e.backward()
        with no_grad():
            Wh.data -= LR * Wh.grad
            Wo.data -= LR * Wo.grad
        if r == 1:
            first = (float(o.data[0]), e.item(), float(Wo.data[0, 0]), float(Wh.data[0, 0]))
    _check_first_step(*first)
    _check_round_10000(e.item(), float(o.data[0]), float(o.data[1]))
