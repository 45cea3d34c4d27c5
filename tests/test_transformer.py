"""TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder and
Transformer: PyTorch's numbers (values, input and parameter gradients, asked live where torch is
installed, else as recorded in tests/reference/transformer.npz) with every kind of mask, pre-
and post-norm, batch first, batch 1 and unbatched; gradients against finite differences; the
state dict's names and order, loading into PyTorch and back as .pt; dropout; errors that name
the layer and the argument."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck, gradcheck_parameters
from nn import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)

from conftest import t64
from reference import as_array, assert_matches, cut, record_cases, recorded_case

SIZES = dict(d_model=4, nhead=2, dim_feedforward=6)


def _drawn(rng, model):
    """`model` with every parameter drawn uniform in ±1 (LayerNorm's too: no ones and zeros)."""
    for p in model.parameters():
        p.data[...] = rng.uniform(-1, 1, p.shape)
    return model


def encoder_layer(rng, **options):
    return _drawn(rng, TransformerEncoderLayer(**SIZES, dropout=0.0, dtype=np.float64,
                                               **options))


def decoder_layer(rng, **options):
    return _drawn(rng, TransformerDecoderLayer(**SIZES, dropout=0.0, dtype=np.float64,
                                               **options))


def causal(T):
    """The layers' bool causal mask: True where a key is left out (the future)."""
    return np.triu(np.ones((T, T), dtype=bool), 1)


# -- what the layers compute -------------------------------------------------------------------

def test_an_encoder_layer_is_attention_then_feed_forward_each_added_and_normalised(rng):
    """Post-norm (the paper's) and pre-norm, written out with the sublayers themselves."""
    x = t64(rng.normal(size=(3, 2, 4)))
    for norm_first in (False, True):
        layer = encoder_layer(rng, norm_first=norm_first)

        def attention(z):
            return layer.self_attn(z, z, z)[0]

        def feed_forward(z):
            return layer.linear2(layer.linear1(z).relu())

        if norm_first:
            h = x + attention(layer.norm1(x))
            expected = h + feed_forward(layer.norm2(h))
        else:
            h = layer.norm1(x + attention(x))
            expected = layer.norm2(h + feed_forward(h))
        np.testing.assert_allclose(layer(x).data, expected.data, rtol=1e-12, atol=1e-13)


def test_a_stack_applies_copies_of_the_layer_in_turn_then_its_norm(rng):
    """As PyTorch's: the copies start with the layer's weights, and are separate Parameters."""
    layer = encoder_layer(rng)
    encoder = TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(4, dtype=np.float64))
    first, second = encoder.layers
    assert first is not layer and first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(second.linear1.weight.data, layer.linear1.weight.data)
    _drawn(rng, encoder)
    x = t64(rng.normal(size=(3, 2, 4)))
    np.testing.assert_allclose(encoder(x).data, encoder.norm(second(first(x))).data,
                               rtol=1e-12)


def test_the_transformer_draws_every_matrix_afresh_so_its_layers_differ():
    model = Transformer(8, 2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16,
                        rng=np.random.default_rng(0))
    first, second = model.encoder.layers
    assert not np.array_equal(first.linear1.weight.data, second.linear1.weight.data)
    limit = np.sqrt(6 / (8 + 16))                         # Xavier-uniform of linear1 (16, 8)
    assert limit * 0.8 < np.abs(first.linear1.weight.data).max() <= limit
    np.testing.assert_array_equal(model.encoder.norm.weight.data, 1.0)


def test_the_causal_mask_is_minus_infinity_above_the_diagonal():
    mask = Transformer.generate_square_subsequent_mask(4)
    assert mask.dtype == np.float32 and mask.shape == (4, 4)
    np.testing.assert_array_equal(mask.data == -np.inf, causal(4))
    np.testing.assert_array_equal(mask.data[~causal(4)], 0.0)
    assert Transformer.generate_square_subsequent_mask(2, dtype=np.float64).dtype == np.float64


def test_a_bool_mask_and_its_float_form_give_the_same_output(rng):
    layer = decoder_layer(rng, batch_first=True)
    tgt, memory = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    padding = np.array([[False, False, False, False, True], [False, True, False, False, False]])
    as_bool = layer(tgt, memory, tgt_mask=causal(3), memory_key_padding_mask=padding)
    as_float = layer(tgt, memory, tgt_mask=Transformer.generate_square_subsequent_mask(3),
                     memory_key_padding_mask=np.where(padding, -np.inf, 0.0))
    np.testing.assert_allclose(as_bool.data, as_float.data, rtol=1e-12)


def test_padding_hides_the_padded_keys_and_padded_outputs_are_computed_anyway(rng):
    """A padded key changes no other position's output; the padded position's own output is
    computed (PyTorch's plain path; its nested-tensor fast path would give zeros there)."""
    layer = encoder_layer(rng, batch_first=True)
    x = rng.normal(size=(1, 4, 4))
    padding = np.array([[False, False, False, True]])
    out = layer(x, src_key_padding_mask=padding).data
    changed = x.copy()
    changed[0, 3] += 10.0
    np.testing.assert_allclose(layer(changed, src_key_padding_mask=padding).data[0, :3],
                               out[0, :3], rtol=1e-12)
    assert np.isfinite(out).all() and np.abs(out[0, 3]).sum() > 0


def test_a_fully_padded_memory_gives_finite_outputs_and_gradients(rng):
    layer = decoder_layer(rng)
    tgt, memory = t64(rng.normal(size=(3, 2, 4))), t64(rng.normal(size=(5, 2, 4)))
    padding = np.array([[False] * 5, [True] * 5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layer(tgt, memory, memory_key_padding_mask=padding)
        out.backward(rng.normal(size=out.shape))
    assert np.isfinite(out.data).all() and np.isfinite(tgt.grad).all()
    np.testing.assert_array_equal(memory.grad[:, 1], 0.0)


@pytest.mark.parametrize("activation", ["gelu", nn.functional.silu, nn.SiLU()],
                         ids=["gelu", "a function", "a module"])
def test_the_activation_is_a_name_or_a_function_of_one_tensor(rng, activation):
    layer = encoder_layer(rng, activation=activation)
    x = t64(rng.normal(size=(3, 4)))
    h = layer.norm1(x + layer.self_attn(x, x, x)[0])
    hidden = layer.linear1(h)
    hidden = nn.functional.gelu(hidden) if activation == "gelu" else nn.functional.silu(hidden)
    np.testing.assert_allclose(layer(x).data, layer.norm2(h + layer.linear2(hidden)).data,
                               rtol=1e-12)
    assert list(layer.state_dict()) == list(encoder_layer(rng).state_dict())


# -- dropout -----------------------------------------------------------------------------------

def test_dropout_acts_in_training_only(rng):
    layer = TransformerEncoderLayer(**SIZES, dropout=0.5, dtype=np.float64)
    x = rng.normal(size=(5, 2, 4))
    assert not np.allclose(layer(x).data, layer(x).data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)


def test_the_copies_in_a_stack_share_the_generator_given_and_draw_their_own_masks():
    """Copied with the layer, a generator would be copied too, and every layer would drop the
    same positions."""
    generator = np.random.default_rng(3)
    layer = TransformerEncoderLayer(4, 2, 6, dropout=0.5, rng=generator)
    encoder = TransformerEncoder(layer, num_layers=2)
    first, second = encoder.layers
    assert first.dropout.rng is generator and second.self_attn.rng is generator
    x = Tensor(np.ones((1, 64, 6)))
    assert not np.array_equal(first.dropout(x).data, second.dropout(x).data)


# -- gradients against finite differences ------------------------------------------------------

@pytest.mark.parametrize("options, shape, masks", [
    ({}, (3, 2, 4), {"src_key_padding_mask": np.array([[False, False, True],
                                                       [False, False, False]])}),
    ({"norm_first": True, "batch_first": True, "activation": "gelu"}, (1, 3, 4),
     {"src_mask": causal(3), "is_causal": True}),
    ({"bias": False}, (3, 4), {"src_mask": np.array([[0.0, -1.0, 0.5], [0.3, 0.0, -np.inf],
                                                      [0.0, 0.0, 0.0]])}),
], ids=["padding", "pre-norm, batch 1, causal", "unbatched, no bias, a float mask"])
def test_encoder_layer_gradients_match_finite_differences(rng, options, shape, masks):
    layer = encoder_layer(rng, **options)
    x = t64(rng.normal(size=shape))
    r = rng.normal(size=shape)
    assert gradcheck(lambda x: layer(x, **masks), x)
    assert gradcheck_parameters(lambda: (layer(x, **masks) * r).sum(), layer.named_parameters())


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_decoder_layer_gradients_match_finite_differences(rng, norm_first):
    layer = decoder_layer(rng, norm_first=norm_first)
    tgt, memory = t64(rng.normal(size=(3, 2, 4))), t64(rng.normal(size=(2, 2, 4)))
    masks = {"tgt_mask": causal(3), "memory_key_padding_mask": np.array([[False, True],
                                                                         [False, False]])}
    r = rng.normal(size=(3, 2, 4))
    assert gradcheck(lambda tgt, memory: layer(tgt, memory, **masks), tgt, memory)
    assert gradcheck_parameters(lambda: (layer(tgt, memory, **masks) * r).sum(),
                                layer.named_parameters())


# -- the state dict: PyTorch's names, in PyTorch's order ---------------------------------------

def test_the_state_dict_has_pytorchs_names_in_pytorchs_order():
    layer = TransformerEncoderLayer(4, 2, 6)
    assert list(layer.state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
        "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
    decoder = TransformerDecoderLayer(4, 2, 6, bias=False)
    assert list(decoder.state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.out_proj.weight",
        "multihead_attn.in_proj_weight", "multihead_attn.out_proj.weight", "linear1.weight",
        "linear2.weight", "norm1.weight", "norm2.weight", "norm3.weight"]
    model = Transformer(4, 2, 1, 2, 6)
    names = list(model.state_dict())
    assert names[0] == "encoder.layers.0.self_attn.in_proj_weight"
    assert names[-3:] == ["decoder.layers.1.norm3.bias", "decoder.norm.weight",
                          "decoder.norm.bias"]
    assert "encoder.norm.weight" in names and len(names) == 12 + 2 + 2 * 18 + 2


def test_a_transformer_saved_as_pt_loads_back_with_the_same_outputs(tmp_path, rng):
    model = _drawn(rng, Transformer(4, 2, 1, 1, 6, dropout=0.0, dtype=np.float64)).eval()
    nn.save(model.state_dict(), tmp_path / "transformer.pt")
    again = Transformer(4, 2, 1, 1, 6, dropout=0.0, dtype=np.float64).eval()
    again.load_state_dict(nn.load(tmp_path / "transformer.pt"))
    src, tgt = rng.normal(size=(5, 2, 4)), rng.normal(size=(3, 2, 4))
    np.testing.assert_array_equal(again(src, tgt).data, model(src, tgt).data)


@pytest.mark.parametrize("make", [
    lambda lib: lib.TransformerEncoderLayer(4, 2, 6, norm_first=True),
    lambda lib: lib.TransformerDecoderLayer(4, 2, 6, bias=False),
    lambda lib: lib.Transformer(4, 2, 1, 1, 6),
], ids=["encoder layer", "decoder layer without bias", "transformer"])
def test_a_state_dict_saved_as_pt_loads_into_pytorch_strictly_and_back(tmp_path, make):
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    ours = make(nn)
    nn.save(ours.state_dict(), tmp_path / "transformer.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                   # (torch's nested-tensor notice)
        theirs = make(torch.nn)
    theirs.load_state_dict(torch.load(tmp_path / "transformer.pt"))
    assert list(theirs.state_dict()) == list(ours.state_dict())
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_()
    torch.save(theirs.state_dict(), tmp_path / "theirs.pt")
    ours.load_state_dict(nn.load(tmp_path / "theirs.pt"))
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name], as_array(value))


# -- errors ------------------------------------------------------------------------------------

ENCODER = r"TransformerEncoderLayer\(d_model=4, nhead=2\): "
DECODER = r"TransformerDecoderLayer\(d_model=4, nhead=2\): "
X, MEMORY = np.ones((3, 2, 4)), np.ones((5, 2, 4))


@pytest.mark.parametrize("make, error, message", [
    (lambda: TransformerEncoderLayer(4, 3), ValueError,
     r"TransformerEncoderLayer: d_model 4 must be divisible by nhead 3"),
    (lambda: TransformerDecoderLayer(4, 0), ValueError,
     r"TransformerDecoderLayer: nhead must be a positive integer, got 0"),
    (lambda: TransformerEncoderLayer(4, 2, dim_feedforward=2.5), ValueError,
     r"dim_feedforward must be a positive integer, got 2.5"),
    (lambda: TransformerEncoderLayer(4, 2, dropout=1.5), ValueError,
     r"TransformerEncoderLayer: dropout must be a probability in \[0, 1\], got 1.5"),
    (lambda: TransformerEncoderLayer(4, 2, activation="tanh"), ValueError,
     r"activation must be 'relu', 'gelu' or a function of one tensor .* got 'tanh'"),
    (lambda: TransformerDecoderLayer(4, 2, activation=nn.GELU), TypeError,
     r"TransformerDecoderLayer: activation is the class GELU; pass a layer of it, GELU\(\), "
     r"or a function"),
    (lambda: TransformerEncoderLayer(4, 2, layer_norm_eps=0), ValueError,
     r"layer_norm_eps must be > 0, got 0"),
    (lambda: TransformerEncoder(TransformerEncoderLayer(4, 2), 0), ValueError,
     r"TransformerEncoder: num_layers must be a positive integer, got 0"),
    (lambda: TransformerDecoder("layer", 2), TypeError,
     r"TransformerDecoder: expects a layer \(a Module\) to copy, got str"),
    (lambda: TransformerEncoder(TransformerEncoderLayer(4, 2), 1, norm=4), TypeError,
     r"TransformerEncoder: norm must be a Module"),
    (lambda: Transformer(4, 2, custom_encoder=lambda x: x), TypeError,
     r"Transformer: custom_encoder must be a Module, got function"),
    (lambda: Transformer.generate_square_subsequent_mask(-1), ValueError,
     r"generate_square_subsequent_mask: sz must be a number of positions"),
])
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("call, error, message", [
    (lambda e, d: e(np.ones((3, 2, 5))), ValueError,
     ENCODER + r"src of shape \(3, 2, 5\) must have d_model = 4 features on its last axis"),
    (lambda e, d: e(np.ones(4)), ValueError,
     ENCODER + r"src must be 3-d \(L, N, E\), or 2-d \(L, E\) unbatched, got shape \(4,\)"),
    (lambda e, d: e(X, src_mask=np.zeros((2, 3, 3))), ValueError,
     ENCODER + r"src_mask must have shape \(3, 3\) \(L, S\) or \(4, 3, 3\) "
               r"\(N · num_heads, L, S\), got \(2, 3, 3\)"),
    (lambda e, d: e(X, src_key_padding_mask=np.zeros((3, 2), bool)), ValueError,
     ENCODER + r"src_key_padding_mask must have shape \(2, 3\) \(N, S: one flag per key\), got "
               r"\(3, 2\); the inputs are read sequence first, \(L, N, E\): for batch-first "
               r"inputs \(N, L, E\) make the layer with batch_first=True"),
    (lambda e, d: e(X, src_mask=np.zeros((3, 3), int)), TypeError,
     ENCODER + r"src_mask must be bool \(True where a key is left out\) or float"),
    (lambda e, d: e(X, is_causal=True), ValueError,
     ENCODER + r"is_causal=True is PyTorch's hint that src_mask is the causal mask, which "
               r"must be given: src_mask=np.triu"),
    (lambda e, d: TransformerEncoder(e, 1)(X, mask=np.zeros((3, 3)), is_causal=True),
     ValueError, ENCODER + r"is_causal=True says src_mask is the causal mask, but it is not"),
    (lambda e, d: d(X, MEMORY, memory_mask=np.zeros((3, 3))), ValueError,
     DECODER + r"memory_mask must have shape \(3, 5\)"),
    (lambda e, d: d(X, MEMORY, memory_key_padding_mask=np.zeros((2, 3), bool)), ValueError,
     DECODER + r"memory_key_padding_mask must have shape \(2, 5\)"),
    (lambda e, d: d(X, MEMORY, tgt_key_padding_mask=np.zeros((2, 5), bool)), ValueError,
     DECODER + r"tgt_key_padding_mask must have shape \(2, 3\)"),
    (lambda e, d: d(X, MEMORY, tgt_is_causal=True), ValueError,
     DECODER + r"tgt_is_causal=True is PyTorch's hint that tgt_mask is the causal mask"),
    (lambda e, d: d(X, MEMORY[:, :1]), ValueError,
     DECODER + r"tgt \(3, 2, 4\), memory \(5, 1, 4\) must have the same batch size on axis 1"),
    (lambda e, d: d(X, MEMORY[:, 0]), ValueError,
     DECODER + r"tgt \(3, 2, 4\), memory \(5, 4\) must be all batched \(3-d\) or all "
               r"unbatched"),
    (lambda e, d: TransformerEncoder(e, 2)(X, mask=np.zeros((4, 4))), ValueError,
     ENCODER + r"src_mask must have shape \(3, 3\)"),
])
def test_mistakes_in_the_inputs_name_the_layer_and_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call(TransformerEncoderLayer(4, 2, 6), TransformerDecoderLayer(4, 2, 6))


def test_warnings_about_a_mask_name_the_layer_and_the_argument_at_the_callers_line(rng):
    """The lecture's float tril (added: it leaves nothing out) as tgt_mask, and the causal mask
    in scaled_dot_product_attention's convention (True: attend) as memory_mask."""
    layer = TransformerDecoderLayer(4, 2, 6)
    with pytest.warns(UserWarning, match=DECODER + r"tgt_mask is a float mask of 0s and 1s; .* "
                      r"leaves no key out") as caught:
        layer(X, X, tgt_mask=np.tril(np.ones((3, 3))))
    assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match=DECODER + r"this bool memory_mask lets each query see "
                      r"only the keys after it"):
        layer(X, X, memory_mask=np.tril(np.ones((3, 3), bool)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(X, X, tgt_mask=causal(3), memory_mask=np.zeros((3, 3)))


def test_token_indices_given_to_a_transformer_point_to_an_embedding():
    """Forgetting the Embedding: a batch of token indices (N, L) whose L equals d_model would
    pass as one unbatched sequence of N positions; it is refused, naming the sequence."""
    tokens = np.array([[5, 2, 7, 1], [3, 3, 0, 6], [1, 1, 2, 9]])     # (N, L) = (3, 4)
    message = (r"holds integers other than 0 and 1 \(shape \(3, 4\), dtype int64\): token "
               r"indices\? pass them through an Embedding \(or one_hot\) first")
    with pytest.raises(TypeError, match=ENCODER + r"src " + message):
        TransformerEncoderLayer(4, 2, 6, batch_first=True)(tokens)
    with pytest.raises(TypeError, match=ENCODER + r"src " + message):
        TransformerEncoder(TransformerEncoderLayer(4, 2, 6), 2)(tokens)
    with pytest.raises(TypeError, match=DECODER + r"tgt " + message):
        TransformerDecoderLayer(4, 2, 6)(tokens, np.ones((5, 4)))
    with pytest.raises(TypeError, match=r"Transformer\(d_model=4, nhead=2\): tgt " + message):
        Transformer(4, 2, 1, 1, 6)(np.ones((5, 4)), tokens)


def test_the_transformers_errors_name_it_and_the_sequences():
    model = Transformer(4, 2, 1, 1, 6, batch_first=True)
    with pytest.raises(ValueError, match=r"Transformer\(d_model=4, nhead=2\): src \(2, 5, 4\), "
                                         r"tgt \(3, 3, 4\) must have the same batch size on "
                                         r"axis 0 \(N, L, E\)"):
        model(np.ones((2, 5, 4)), np.ones((3, 3, 4)))
    with pytest.raises(ValueError, match=r"Transformer\(d_model=4, nhead=2\): tgt of shape "
                                         r"\(2, 3, 8\) must have d_model = 4 features"):
        model(np.ones((2, 5, 4)), np.ones((2, 3, 8)))


# -- the same numbers as PyTorch: asked live where torch is installed, else as recorded --------

# (id, model, its options, the shapes of its sequences, its masks): small, so the file stays so
TORCH_CASES = [
    ("encoder_layer_padding_float_mask", "TransformerEncoderLayer", {},
     {"src": (3, 2, 4)}, {"src_key_padding_mask": "padding (2, 3)", "src_mask": "float (3, 3)"}),
    ("encoder_layer_pre_norm_batch1_gelu_no_bias", "TransformerEncoderLayer",
     {"norm_first": True, "batch_first": True, "activation": "gelu", "bias": False},
     {"src": (1, 3, 4)}, {"src_mask": "causal (3, 3)", "is_causal": True}),
    ("decoder_layer_pre_norm_unbatched", "TransformerDecoderLayer", {"norm_first": True},
     {"tgt": (3, 4), "memory": (4, 4)},
     {"tgt_mask": "causal (3, 3)", "memory_mask": "float (3, 4)",
      "memory_key_padding_mask": "padding (4,)"}),
    ("transformer_batch_first_every_mask", "Transformer", {"batch_first": True},
     {"src": (2, 4, 4), "tgt": (2, 3, 4)},
     {"src_mask": "float (4, 4)", "tgt_mask": "square subsequent (3, 3)",
      "memory_mask": "float (3, 4)", "src_key_padding_mask": "padding (2, 4)",
      "tgt_key_padding_mask": "padding (2, 3)", "memory_key_padding_mask": "padding (2, 4)"}),
]
TORCH_IDS = [case[0] for case in TORCH_CASES]


def make_model(lib, kind, options, dtype):
    """The case's model in `lib` (nn or torch.nn); the Transformer's decoder has two layers."""
    layer_options = dict(SIZES, dropout=0.0, dtype=dtype, **options)
    if kind == "Transformer":
        return lib.Transformer(num_encoder_layers=1, num_decoder_layers=2, **layer_options)
    return getattr(lib, kind)(**layer_options)


def draw_mask(rng, kind):
    what, shape = kind.split(" (")
    shape = tuple(int(n) for n in shape.rstrip(")").split(",") if n.strip())
    if what == "padding":                             # the last key of the first sample
        mask = np.zeros(shape, dtype=bool)
        mask[(0,) * (len(shape) - 1) + (-1,)] = True
        return mask
    if what == "float":
        return rng.normal(size=shape)
    if what == "causal":
        return causal(shape[0])
    return np.triu(np.full(shape, -np.inf), 1)        # square subsequent


def torch_case_inputs(rng, case):
    """The sequences, the masks, the model's weights end to end in state_dict order (uniform in
    ±1: no ones and zeros in the norms) and the weights g of the output in Σ g ⊙ output."""
    _, kind, options, shapes, masks = case
    inputs = {name: rng.normal(size=shape) for name, shape in shapes.items()}
    for name, mask in masks.items():
        if isinstance(mask, str):
            inputs[name] = draw_mask(rng, mask)
    size = sum(p.size for p in make_model(nn, kind, options, np.float64).parameters())
    output_shape = shapes["tgt"] if "tgt" in shapes else shapes["src"]
    return {**inputs, "weights": rng.uniform(-1, 1, size), "g": rng.normal(size=output_shape)}


def transformer_results(lib, tensor, dtype, case, **inputs):
    """The case run by `lib` in float64 (`dtype`), with `tensor` making its tensors: the
    output, and after backward from Σ g ⊙ output the gradients of the sequences and of the
    weights (end to end, in named_parameters order)."""
    _, kind, options, shapes, masks = case
    model = make_model(lib, kind, options, dtype)
    model.load_state_dict({name: value if lib is nn else tensor(value)
                           for name, value in cut(inputs["weights"], model.state_dict()).items()})
    model.eval()
    sequences = {name: tensor(inputs[name], requires_grad=True) for name in shapes}
    given = {name: (inputs[name] if lib is nn else tensor(inputs[name])) if isinstance(mask, str)
             else mask for name, mask in masks.items()}
    output = model(*sequences.values(), **given)
    (output * tensor(inputs["g"])).sum().backward()
    return {"output": as_array(output.data if lib is nn else output),
            **{f"{name}.grad": as_array(x.grad) for name, x in sequences.items()},
            "weights.grad": np.concatenate([as_array(p.grad).ravel()
                                            for p in model.parameters()])}


def transformer_glassgrad(case, **inputs):
    return transformer_results(nn, Tensor, np.float64, case, **inputs)


def transformer_torch(torch, case, **inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # (torch's notices: nested tensors, mixed masks)
        return transformer_results(torch.nn, torch.tensor, torch.float64, case, **inputs)


def pytorch_reference(torch) -> dict[str, np.ndarray]:
    """tests/reference/transformer.npz: each case's inputs and PyTorch's results, under its id."""
    return record_cases(TORCH_IDS, TORCH_CASES, torch_case_inputs,
                        lambda case, **inputs: transformer_torch(torch, case, **inputs))


@pytest.mark.parametrize("case", TORCH_CASES, ids=TORCH_IDS)
def test_values_and_gradients_match_pytorch(rng, case):
    torch = pytest.importorskip("torch", reason="optional cross-check: pip install torch")
    inputs = torch_case_inputs(rng, case)
    assert_matches(transformer_glassgrad(case, **inputs), transformer_torch(torch, case, **inputs),
                   rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", TORCH_CASES, ids=TORCH_IDS)
def test_values_and_gradients_match_pytorchs_recorded_numbers(case):
    theirs = recorded_case("transformer", case[0])
    inputs = {key: value for key, value in theirs.items()
              if key != "output" and not key.endswith(".grad")}
    assert_matches(transformer_glassgrad(case, **inputs), theirs, rtol=1e-10, atol=1e-12,
                   inputs=tuple(inputs))
