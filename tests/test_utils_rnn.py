"""nn.utils.rnn: pad_sequence, packing and unpacking, with PyTorch 2.13's layout of a
PackedSequence (its numbers written out below, as torch gives them), gradients through every
step, the errors; and RNN, GRU and LSTM run on packed batches against PyTorch (asked live where
torch is installed, else as recorded in tests/reference/utils_rnn.npz)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from autograd import Tensor, concatenate, gradcheck
from nn import GRU, LSTM, RNN
from nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence,
                          pack_sequence, pad_packed_sequence, pad_sequence, unpack_sequence,
                          unpad_sequence)

from conftest import t64
from reference import as_array, assert_matches, record_cases, recorded_case
from test_recurrent import cut

# 4 sequences of up to 3 steps, batch first, of lengths 2, 3, 1, 3 (not sorted)
STEPS = np.arange(1.0, 13.0).reshape(4, 3)
LENGTHS = [2, 3, 1, 3]


# -- pad_sequence --------------------------------------------------------------------------------

def test_pad_sequence_stacks_and_pads_as_pytorch():
    a, b = Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0], [5.0, 6.0]])      # (1, 2) and (2, 2)
    np.testing.assert_array_equal(pad_sequence([a, b], padding_value=-1.0).data,
                                  [[[1, 2], [3, 4]], [[-1, -1], [5, 6]]])
    np.testing.assert_array_equal(pad_sequence([a, b], batch_first=True).data,
                                  [[[1, 2], [0, 0]], [[3, 4], [5, 6]]])
    np.testing.assert_array_equal(pad_sequence([a, b], padding_side="left").data,
                                  [[[0, 0], [3, 4]], [[1, 2], [5, 6]]])     # torch's numbers
    ints = pad_sequence([Tensor(np.array([1, 2])), Tensor(np.array([3]))])
    assert ints.dtype == np.int64 and ints.data.tolist() == [[1, 3], [2, 0]]


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time first", "batch first"])
def test_pad_sequence_gradients_match_finite_differences(rng, side, batch_first):
    sequences = [t64(rng.normal(size=(n, 2))) for n in (3, 1, 2)]
    r = rng.normal(size=pad_sequence(sequences, batch_first).shape)
    assert gradcheck(lambda *s: pad_sequence(s, batch_first, 0.5, side) * Tensor(r), *sequences)


def test_pad_sequence_refuses_what_cannot_be_stacked():
    with pytest.raises(ValueError, match=r"pad_sequence: sequence 1 has shape \(2, 2\), but "
                                         r"sequence 0 has \(2, 3\): every sequence must be "
                                         r"\(length, 3\), only the lengths may differ"):
        pad_sequence([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 2)))])
    with pytest.raises(ValueError, match="pad_sequence: padding_side must be 'right' or 'left', "
                                         "got 'top'"):
        pad_sequence([Tensor([1.0])], padding_side="top")
    with pytest.raises(ValueError, match="pad_sequence: got no sequences"):
        pad_sequence([])
    with pytest.raises(ValueError, match=r"pad_sequence: sequence 1 is a single number \(shape "
                                         r"\(\)\); a sequence has a length"):
        pad_sequence([Tensor([1.0]), Tensor(2.0)])


# -- packing -------------------------------------------------------------------------------------

def test_pack_padded_sequence_lays_out_the_steps_as_pytorch():
    packed = pack_padded_sequence(Tensor(STEPS), LENGTHS, batch_first=True,
                                  enforce_sorted=False)
    # torch 2.13's fields for the same call
    assert packed.data.data.tolist() == [4, 10, 1, 7, 5, 11, 2, 6, 12]
    assert packed.batch_sizes.data.tolist() == [4, 3, 2]
    assert packed.sorted_indices.data.tolist() == [1, 3, 0, 2]
    assert packed.unsorted_indices.data.tolist() == [2, 0, 3, 1]
    assert packed.batch_sizes.dtype == packed.sorted_indices.dtype == np.int64
    padded, lengths = pad_packed_sequence(packed, True, padding_value=-1.0, total_length=4)
    np.testing.assert_array_equal(padded.data, [[1, 2, -1, -1], [4, 5, 6, -1],
                                                [7, -1, -1, -1], [10, 11, 12, -1]])
    assert lengths.dtype == np.int64 and lengths.data.tolist() == LENGTHS


def test_sorted_lengths_pack_without_indices_and_time_first():
    packed = pack_padded_sequence(Tensor(STEPS.T), [3, 3, 2, 1])       # time first
    assert packed.sorted_indices is None and packed.unsorted_indices is None
    assert packed.data.data.tolist() == [1, 4, 7, 10, 2, 5, 8, 3, 6]
    padded, lengths = pad_packed_sequence(packed)
    np.testing.assert_array_equal(padded.data, [[1, 4, 7, 10], [2, 5, 8, 0], [3, 6, 0, 0]])
    assert lengths.data.tolist() == [3, 3, 2, 1]


@pytest.mark.parametrize("batch_first", [False, True], ids=["time first", "batch first"])
def test_gradients_flow_through_packing_and_unpacking(rng, batch_first):
    x = t64(rng.normal(size=(4, 3, 2)))                 # (B, T, 2) or (T, B, 2)
    lengths = [2, 3, 1, 3] if batch_first else [4, 1, 3]
    r = rng.normal(size=(4, 3, 2))

    def f(x):
        packed = pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
        return pad_packed_sequence(packed._replace(data=packed.data.tanh()), batch_first,
                                   padding_value=0.3)[0] * Tensor(r)
    assert gradcheck(f, x)


def test_pack_sequence_and_unpack_give_the_sequences_back_in_their_order(rng):
    sequences = [Tensor(rng.normal(size=(n, 2))) for n in (2, 4, 1)]
    for back in (unpack_sequence(pack_sequence(sequences, enforce_sorted=False)),
                 unpad_sequence(pad_sequence(sequences, batch_first=True), [2, 4, 1], True)):
        for mine, theirs in zip(back, sequences):
            np.testing.assert_array_equal(mine.data, theirs.data)
    assert pack_sequence([sequences[1], sequences[0]]).batch_sizes.data.tolist() == [2, 2, 1, 1]


def test_a_packed_sequence_converts_its_data_as_pytorchs_does():
    packed = pack_sequence([Tensor([1.0, 2.0]), Tensor([3.0])])
    assert packed.double().data.dtype == np.float64 == packed.to("float64").data.dtype
    assert packed.double().float().data.dtype == np.float32
    assert packed.to("cpu") is not None and packed.cpu() is packed and not packed.is_cuda
    assert packed.double().batch_sizes is packed.batch_sizes


def test_a_packed_sequence_given_to_another_layer_says_what_to_give_it():
    """An LSTM's packed output straight into a Linear (or a packed batch of indices into an
    Embedding) failed inside numpy ("setting an array element with a sequence")."""
    from nn import Embedding, Linear
    output, _ = LSTM(1, 2)(pack_sequence([Tensor(np.ones((3, 1))), Tensor(np.ones((1, 1)))]))
    expected = (r"a PackedSequence is not a Tensor: only RNN, GRU and LSTM take one; give "
                r"other layers its steps, packed.data, or the padded batch from "
                r"pad_packed_sequence\(packed\)")
    with pytest.raises(TypeError, match=expected):
        Linear(2, 1)(output)
    with pytest.raises(TypeError, match=expected):
        Embedding(5, 2)(pack_sequence([Tensor(np.array([1, 2])), Tensor(np.array([3]))]))
    assert Linear(2, 1)(output.data).shape == (4, 1)


def test_invert_permutation():
    assert invert_permutation(None) is None
    assert invert_permutation([1, 3, 0, 2]).data.tolist() == [2, 0, 3, 1]


@pytest.mark.parametrize("lengths, error, message", [
    ([3, 2, 1], ValueError, r"3 lengths for a batch of 4 sequences \(lengths \[3, 2, 1\]\)"),
    ([3, 2, 0, 1], ValueError, r"every length must be at least 1, got lengths \[3, 2, 0, 1\]"),
    ([4, 3, 3, 1], ValueError, r"lengths \[4, 3, 3, 1\] run past the input's 3 time steps"),
    ([1, 2, 3, 3], ValueError, r"lengths \[1, 2, 3, 3\] are not in decreasing order, which "
                               r"enforce_sorted=True requires; pass enforce_sorted=False"),
    (Tensor([3.0, 2.0, 1.0, 1.0]), TypeError, r"lengths must be integers, got float32 "
                                              r"\[3.0, 2.0, 1.0, 1.0\]"),
    ([[3, 2], [1, 1]], ValueError, r"lengths must be 1-d, one length per sequence, got shape "
                                   r"\(2, 2\)"),
], ids=["too few", "zero", "past T", "unsorted", "floats", "2-d"])
def test_lengths_that_do_not_fit_are_refused_naming_the_function(lengths, error, message):
    """(PyTorch takes float lengths, cutting 2.5 to 2, and lengths past T, reading past the
    input's end: refused here.)"""
    with pytest.raises(error, match=r"pack_padded_sequence: " + message):
        pack_padded_sequence(Tensor(np.zeros((3, 4, 1))), lengths)


def test_a_batch_read_with_its_axes_the_other_way_round_is_named():
    """Batch-first data packed without batch_first=True (and the other way): the lengths do not
    fit the axes as read, and would fit them swapped; the error says so."""
    batch_first = Tensor(np.zeros((2, 5, 1)))                # 2 sequences of up to 5 steps
    with pytest.raises(ValueError, match=r"pack_padded_sequence: 2 lengths for a batch of 5 "
                       r"sequences \(lengths \[5, 3\]\); the input \(2, 5, 1\) is read as "
                       r"\(T, B, \*\): if its batch and time axes are the other way round, "
                       r"pass batch_first=True for batch-first \(B, T, \*\)"):
        pack_padded_sequence(batch_first, [5, 3])
    with pytest.raises(ValueError, match=r"5 lengths for a batch of 2 sequences .* read as "
                       r"\(B, T, \*\) \(batch_first=True\): .* pass batch_first=False"):
        pack_padded_sequence(batch_first, [2, 2, 1, 1, 1], batch_first=True)
    with pytest.raises(ValueError, match=r"3 lengths for a batch of 5 sequences "
                                         r"\(lengths \[2, 2, 1\]\)$"):
        pack_padded_sequence(batch_first, [2, 2, 1])      # fits neither way: no hint


def test_unpacking_refuses_a_short_total_length_and_what_is_not_packed():
    packed = pack_sequence([Tensor(np.ones(3)), Tensor(np.ones(1))])
    with pytest.raises(ValueError, match=r"pad_packed_sequence: total_length=2 is shorter than "
                                         r"the longest sequence \(3 steps\)"):
        pad_packed_sequence(packed, total_length=2)
    with pytest.raises(TypeError, match=r"pad_packed_sequence: expects a PackedSequence .* got "
                                        r"Tensor"):
        pad_packed_sequence(Tensor(np.ones((3, 2))))
    with pytest.raises(ValueError, match=r"pad_packed_sequence: the PackedSequence's data of "
                                         r"shape \(3,\) should have 4 rows, the sum of "
                                         r"batch_sizes \[2, 1, 1\]"):
        pad_packed_sequence(packed._replace(data=Tensor(np.ones(3))))
    with pytest.raises(ValueError, match=r"batch_sizes must be positive counts in "
                                         r"non-increasing order, got \[1, 2\]"):
        pad_packed_sequence(PackedSequence(Tensor(np.ones(3)), Tensor(np.array([1, 2]))))


# -- RNN, GRU and LSTM on packed batches, against PyTorch ----------------------------------------

# (module, options, lengths): unsorted lengths with a length of one, bidirectional, stacked;
# the first is recorded (the reference files share a size budget), all are asked live
TORCH_CASES = [
    ("LSTM", {"bidirectional": True, "batch_first": True}, [2, 3, 1]),
    ("LSTM", {"num_layers": 2, "bidirectional": True}, [1, 3, 3]),
    ("GRU", {"bidirectional": True}, [2, 3, 1]),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}, [3, 1, 2]),
]
TORCH_IDS = [f"{name}-" + "-".join([f"{k}={v}" for k, v in options.items()]
                                   + ["lengths=" + ",".join(map(str, lengths))])
             for name, options, lengths in TORCH_CASES]
RECORDED = {"packed-lstm": TORCH_CASES[0]}
MODULES = {cls.__name__: cls for cls in (RNN, GRU, LSTM)}


def packed_case_inputs(rng, case):
    """The case's weights end to end in state_dict order, the padded input x (float64,
    2 features, 3 steps), h0 (and c0), and g, the weights of the loss Σ g ⊙ results."""
    name, options, lengths = case
    model = MODULES[name](2, 2, dtype="float64", rng=rng, **options)
    batch_first = options.get("batch_first", False)
    x = rng.standard_normal((len(lengths), 3, 2) if batch_first else (3, len(lengths), 2))
    layers = model.num_layers * (2 if model.bidirectional else 1)
    inputs = {"weights": np.concatenate([p.numpy().ravel() for p in model.parameters()]),
              "x": x}
    for part in ("h0", "c0") if name == "LSTM" else ("h0",):
        inputs[part] = rng.standard_normal((layers, len(lengths), 2))
    output, last = model(pack_padded_sequence(Tensor(x), lengths, batch_first, False))
    size = output.data.size + sum(part.size for part in (last if name == "LSTM" else (last,)))
    return {**inputs, "g": rng.standard_normal(size)}


def packed_results(library, module, x, states, g, lengths, batch_first):
    """Pack x, run `module` (glassgrad's or torch's; `library` its nn.utils.rnn and its
    concatenation), backward from Σ g ⊙ (output's packed data, h_n, c_n): the results, the
    packed fields, and the gradients of x, the state and the weights."""
    rnn, cat = library
    packed = rnn.pack_padded_sequence(x, list(lengths), batch_first, enforce_sorted=False)
    initial = tuple(states.values()) if len(states) == 2 else states["h0"]
    output, last = module(packed, initial)
    parts = [output.data, *(last if isinstance(last, tuple) else (last,))]
    flat = cat([part.reshape(-1) for part in parts])
    (flat * g).sum().backward()
    assert output.batch_sizes is packed.batch_sizes        # the input's layout, kept
    return {"results": as_array(flat), "x.grad": as_array(x.grad),
            **{f"{name}.grad": as_array(state.grad) for name, state in states.items()},
            "weights.grad": np.concatenate([as_array(p.grad).ravel()
                                            for p in module.parameters()])}


def packed_glassgrad(case, weights, x, g, h0, c0=None):
    import nn.utils.rnn as rnn
    name, options, lengths = case
    model = MODULES[name](2, 2, dtype="float64", **options)
    model.load_state_dict(cut(weights, model.state_dict()))
    states = {"h0": Tensor(h0, requires_grad=True)}
    if c0 is not None:
        states["c0"] = Tensor(c0, requires_grad=True)
    return packed_results((rnn, concatenate), model, Tensor(x, requires_grad=True), states,
                          Tensor(g), lengths, options.get("batch_first", False))


def packed_torch(torch, case, weights, x, g, h0, c0=None):
    name, options, lengths = case
    theirs = getattr(torch.nn, name)(2, 2, dtype=torch.float64, **options)
    theirs.load_state_dict({key: torch.from_numpy(value.copy())
                            for key, value in cut(weights, theirs.state_dict()).items()})
    states = {key: torch.tensor(value, requires_grad=True)
              for key, value in (("h0", h0), ("c0", c0)) if value is not None}
    return packed_results((torch.nn.utils.rnn, torch.cat), theirs,
                          torch.tensor(x, requires_grad=True), states, torch.from_numpy(g),
                          lengths, options.get("batch_first", False))


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/utils_rnn.npz: each case's inputs and PyTorch's results, under its id."""
    return record_cases(list(RECORDED), list(RECORDED.values()), packed_case_inputs,
                        functools.partial(packed_torch, torch))


@pytest.mark.parametrize("case", TORCH_CASES, ids=TORCH_IDS)
def test_packed_batches_match_pytorch_from_the_same_weights(rng, case):
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    inputs = packed_case_inputs(rng, case)
    assert_matches(packed_glassgrad(case, **inputs), packed_torch(torch, case, **inputs),
                   rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case_id, case", RECORDED.items(), ids=list(RECORDED))
def test_packed_batches_match_pytorchs_recorded_numbers(case_id, case):
    theirs = recorded_case("utils_rnn", case_id)
    inputs = {key: value for key, value in theirs.items()
              if key in ("weights", "x", "g", "h0", "c0")}
    assert_matches(packed_glassgrad(case, **inputs), theirs, rtol=1e-10, atol=1e-10,
                   inputs=tuple(inputs))
