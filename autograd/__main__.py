"""`python -m autograd`: the quick start — a neuron by hand, then a small network trained.

(`glassgrad demo` trains an MLP and writes its pictures.)
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor, Value, functional as F, gradcheck, manual_seed


def neuron() -> None:
    print("1. One neuron, o = tanh(x1*w1 + x2*w2 + b), backpropagated:")
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")    # makes the sum atanh(1/√2): o = 0.7071
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    print(f"   o = {o.data:.4f}")
    for v in (x1, w1, x2, w2, b):
        print(f"   do/d{v.label} = {v.grad:+.4f}")


def micrograd_golden() -> None:
    print("2. micrograd's README expression (same numbers as micrograd):")
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    print(f"   g = {g.data:.4f}, dg/da = {a.grad:.4f}, dg/db = {b.grad:.4f}")


def tiny_network() -> None:
    print("3. A 2-16-2 network learning XOR-like data with Tensors:")
    manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    W1 = Tensor(rng.normal(0, 1.0, (16, 2)), requires_grad=True)      # (out, in), as in PyTorch
    b1 = Tensor(np.zeros(16), requires_grad=True)
    W2 = Tensor(rng.normal(0, 0.5, (2, 16)), requires_grad=True)
    b2 = Tensor(np.zeros(2), requires_grad=True)
    params = (W1, b1, W2, b2)
    inputs = Tensor(X)
    for step in range(301):
        logits = F.linear(F.linear(inputs, W1, b1).tanh(), W2, b2)
        loss = F.cross_entropy(logits, y)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= 0.5 * p.grad
        if step % 100 == 0:
            accuracy = (logits.argmax(axis=1) == y).mean()
            print(f"   step {step:3d}  loss {loss.item():.4f}  accuracy {accuracy:.2f}")
    ok = gradcheck(lambda W: F.cross_entropy(F.linear(F.linear(inputs[:5], W, b1).tanh(), W2, b2),
                                             y[:5]), W1)
    print(f"   gradient check against finite differences: {'passed' if ok else 'FAILED'}")


def main() -> None:
    neuron()
    micrograd_golden()
    tiny_network()


if __name__ == "__main__":
    main()
