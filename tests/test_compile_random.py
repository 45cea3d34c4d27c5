"""Random expression graphs (hypothesis): compiled == eager, at the recorded data and after
new data; diamonds and repeated uses come from picking earlier nodes at random."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from compile_helpers import check_against_eager

# ops that are defined for every real input (so random data never leaves their domain)
UNARY = {
    "neg": lambda x: -x, "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(), "abs": lambda x: abs(x), "square": lambda x: x ** 2,
    "exp_of_tanh": lambda x: x.tanh().exp(), "log1p_square": lambda x: (x * x + 1).log(),
    "sqrt1p_square": lambda x: (1 + x * x).sqrt(), "scale": lambda x: 0.5 * x,
    "shift": lambda x: x - 0.25, "sin": lambda x: x.sin(), "cos_scaled": lambda x: (3 * x).cos(),
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div_safe": lambda a, b: a / (b * b + 1), "pow_positive": lambda a, b: (a * a + 1) ** b.tanh(),
}

numbers = st.floats(-2.0, 2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


@st.composite
def programs(draw):
    """(number of leaves, instructions): each instruction an op and earlier node indices."""
    n_leaves = draw(st.integers(1, 4))
    program = []
    for k in range(draw(st.integers(1, 25))):
        available = n_leaves + k
        if draw(st.booleans()):
            program.append((draw(st.sampled_from(sorted(UNARY))),
                            draw(st.integers(0, available - 1))))
        else:
            program.append((draw(st.sampled_from(sorted(BINARY))),
                            draw(st.integers(0, available - 1)),
                            draw(st.integers(0, available - 1))))
    return n_leaves, program


def run(leaves, program):
    nodes = list(leaves)
    for name, *args in program:
        op = UNARY.get(name) or BINARY[name]
        nodes.append(op(*[nodes[i] for i in args]))
    return sum(nodes[len(leaves):], nodes[-1])      # every node reaches the output


@settings(max_examples=150)
@given(programs(), st.lists(numbers, min_size=8, max_size=8))
def test_random_graphs_compiled_match_eager(spec, data):
    n_leaves, program = spec
    leaves = [Value(x) for x in data[:n_leaves]]
    check_against_eager(lambda: run(leaves, program), leaves, data[4:4 + n_leaves])
