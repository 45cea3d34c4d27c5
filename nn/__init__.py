"""glassgrad.nn: the thin layer that turns the engine into the lectures' models.

- modules: `Module`, `Parameter`, `ModuleList`, `ModuleDict`, `ParameterList`,
  `ParameterDict` (nn.module, nn.containers); layers `Linear`,
  `Embedding`, `EmbeddingBag`, `Sequential`, `MLP`, `Dropout` (and `Dropout1d`/`2d`/`3d`,
  whole channels), `Flatten`, `Unflatten`, `Identity` and the
  distance modules `CosineSimilarity`, `PairwiseDistance` (nn.layers); the activations
  (`ReLU`, `Sigmoid`, `Tanh`, `Softmax`, ..., and PyTorch's others: `ELU`, `SiLU`, `PReLU`,
  ...) (nn.activations); `Conv2d`, `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`, `Conv1d`,
  `MaxPool1d`, `AvgPool1d`, `AdaptiveAvgPool1d`, `AdaptiveMaxPool2d`, `AdaptiveMaxPool1d`,
  `ConvTranspose2d`, `ConvTranspose1d`, and for volumes `Conv3d`, `ConvTranspose3d`,
  `MaxPool3d`, `AvgPool3d`, `AdaptiveAvgPool3d`, `AdaptiveMaxPool3d`, `MaxUnpool1d`/`2d`/`3d`
  (nn.conv); `BatchNorm1d`, `BatchNorm2d`, `BatchNorm3d`, `LayerNorm`, `RMSNorm`, `GroupNorm`,
  `InstanceNorm1d`, `InstanceNorm2d`, `InstanceNorm3d` (nn.normalization); `MultiheadAttention`
  (nn.attention);
  `TransformerEncoderLayer`, `TransformerEncoder`, `TransformerDecoderLayer`,
  `TransformerDecoder`, `Transformer` (nn.transformer); `RNN`, `GRU`,
  `LSTM` and their one-step cells `RNNCell`, `GRUCell`, `LSTMCell` (nn.recurrent); `Upsample`,
  `UpsamplingNearest2d`, `UpsamplingBilinear2d`, `PixelShuffle`, `PixelUnshuffle`
  (nn.resampling); `Unfold`, `Fold` (nn.fold); the padding layers `ZeroPad1d`/`2d`/`3d`,
  `ConstantPad1d`/`2d`/`3d`, `ReflectionPad1d`/`2d`/`3d`, `ReplicationPad1d`/`2d`/`3d`,
  `CircularPad1d`/`2d`/`3d`
  (nn.padding);
  micrograd's scalar `Neuron`, `Layer`, `MLP` over `Value` (nn.scalar); `LinearRegression`,
  `LogisticRegression`, `SoftmaxRegression`, `LinearSVM` (nn.models)
- losses and activations as functions (nn.functional); losses as modules (nn.losses); initialisers
  (nn.init); optimizers and learning-rate schedules (nn.optim); gradient clipping
  `clip_grad_norm_`, `clip_grad_value_` and the unrolled parameter vector
  `parameters_to_vector`, `vector_to_parameters` (nn.utils); sequences of different lengths
  padded and packed for the recurrent layers, `pad_sequence`, `pack_padded_sequence`, ...
  (nn.utils.rnn); weights computed from other parameters, `register_parametrization`
  (nn.utils.parametrize), `weight_norm`, `spectral_norm`, `orthogonal`
  (nn.utils.parametrizations, and the older hook style in nn.utils)
- data: `DataLoader`, splits, feature scaling `StandardScaler`, synthetic datasets, MNIST
  (nn.data); training: `fit`, `evaluate`, `History`, `EarlyStopping` (nn.train); metrics
  (nn.metrics); what losses and metrics declare about themselves (nn.scoring); `KFold`,
  `cross_validate`, `GridSearch`, `learning_curve`, `validation_curve` (nn.selection);
  a model's layers, shapes and parameter counts as a table, torchinfo's `summary`
  (nn.model_summary); checkpoints `save` / `load`
  of weights or whole training states, as `.npz` or as PyTorch's `.pt` (nn.io,
  nn.torch_format); a model saved by `glassgrad train`, ready to
  predict: `load_trained` (nn.trained)
"""

from . import (
    activations, data, functional, init, losses, metrics, optim, scalar, scoring, selection, utils,
)
from .selection import (
    GridSearch, KFold, StratifiedKFold, cross_validate, learning_curve, validation_curve,
)
from .functional import (
    binary_cross_entropy, binary_cross_entropy_with_logits, celu, cosine_embedding_loss,
    cosine_similarity, cross_entropy, ctc_loss, dropout, elu, gaussian_nll_loss, gelu, glu,
    hardsigmoid, hardswish, hardtanh, hinge_embedding_loss, hinge_loss, huber_loss, kl_div, l1_loss,
    l1_penalty, l2_penalty, leaky_relu, log_softmax, logsigmoid, margin_ranking_loss, mish,
    mse_loss, multi_margin_loss, multilabel_margin_loss, multilabel_soft_margin_loss, nll_loss,
    normalize, one_hot, pairwise_distance, poisson_nll_loss, prelu, relu, relu6, selu, sigmoid,
    silu, smooth_l1_loss, soft_margin_loss, softmax, softmin, softplus, softshrink, softsign,
    tanh, tanhshrink, threshold, hardshrink, triplet_margin_loss, triplet_margin_with_distance_loss,
)
from .attention import MultiheadAttention
from .activations import (
    CELU, ELU, GELU, GLU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid,
    LogSoftmax, Mish, PReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softmin, Softplus, Softsign,
    Tanh, Tanhshrink, Threshold, Hardshrink, Softshrink,
)
from .conv import (
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
    AvgPool2d, Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, MaxPool1d, MaxPool2d,
    AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, Conv3d, ConvTranspose3d, MaxPool3d,
    MaxUnpool1d, MaxUnpool2d, MaxUnpool3d,
)
from .data import StandardScaler
from .fold import Fold, Unfold
from .io import load, save
from .layers import (
    MLP, CosineSimilarity, Dropout, Dropout1d, Dropout2d, Dropout3d, Embedding, EmbeddingBag,
    Flatten,
    Identity, Linear, PairwiseDistance, Sequential, Unflatten,
)
from .losses import (
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CTCLoss, CrossEntropyLoss, GaussianNLLLoss,
    HingeEmbeddingLoss, HingeLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss,
    MultiLabelMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss, PoissonNLLLoss,
    SmoothL1Loss, SoftMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss,
)
from .padding import (
    CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d, ReflectionPad2d,
    ReplicationPad1d, ReplicationPad2d, ZeroPad1d, ZeroPad2d, CircularPad3d, ConstantPad3d,
    ReflectionPad3d, ReplicationPad3d, ZeroPad3d,
)
from .models import LinearRegression, LinearSVM, LogisticRegression, SoftmaxRegression
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList
from .normalization import (
    BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm, RMSNorm,
    BatchNorm3d, InstanceNorm3d,
)
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .resampling import (
    PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d,
)
from .transformer import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
from .train import EarlyStopping, History, evaluate, fit
from .model_summary import summary
from .trained import TrainedModel, load_trained

__all__ = [
    "Module", "Parameter", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "summary",
    "Linear", "Embedding", "EmbeddingBag", "Sequential", "MLP", "Dropout", "Dropout1d",
    "Dropout2d", "Dropout3d", "Flatten",
    "Unflatten", "Identity",
    "CosineSimilarity", "PairwiseDistance",
    "ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "ReLU6", "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Softsign", "Hardtanh",
    "Hardsigmoid", "Hardswish", "LogSigmoid", "Tanhshrink", "Softmin", "GLU", "PReLU",
    "Threshold", "Hardshrink", "Softshrink",
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Conv1d", "MaxPool1d", "AvgPool1d",
    "AdaptiveAvgPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool1d", "ConvTranspose2d",
    "ConvTranspose1d", "BatchNorm1d", "BatchNorm2d", "Conv3d", "ConvTranspose3d", "MaxPool3d",
    "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "BatchNorm3d", "InstanceNorm3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    "LayerNorm", "RMSNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "MultiheadAttention",
    "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
    "TransformerDecoder", "Transformer",
    "RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
    "Unfold", "Fold",
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
    "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
    "ZeroPad3d", "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d",
    "LinearRegression", "LogisticRegression", "SoftmaxRegression", "LinearSVM",
    "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout",
    "one_hot", "relu6", "elu", "selu", "celu", "silu", "mish", "softplus", "softsign",
    "hardtanh", "hardsigmoid", "hardswish", "logsigmoid", "tanhshrink", "softmin", "glu",
    "threshold", "hardshrink", "softshrink",
    "prelu", "cosine_similarity", "pairwise_distance", "normalize",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss", "ctc_loss", "hinge_loss", "l2_penalty", "l1_penalty",
    "smooth_l1_loss", "huber_loss",
    "kl_div", "gaussian_nll_loss", "poisson_nll_loss", "margin_ranking_loss", "soft_margin_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "cosine_embedding_loss",
    "hinge_embedding_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "HingeLoss",
    "CTCLoss",
    "SmoothL1Loss", "HuberLoss", "KLDivLoss", "GaussianNLLLoss", "PoissonNLLLoss",
    "MarginRankingLoss", "SoftMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
    "CosineEmbeddingLoss",
    "HingeEmbeddingLoss", "MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
    "StandardScaler",
    "fit", "evaluate", "History", "EarlyStopping", "save", "load", "load_trained", "TrainedModel",
    "KFold", "StratifiedKFold", "cross_validate", "GridSearch", "learning_curve",
    "validation_curve",
    "activations", "data", "functional", "init", "losses", "metrics", "optim", "scalar",
    "scoring", "selection", "utils",
]

#: the first argument of the layers PyTorch also has in a lazy form (nn.LazyLinear, ...)
_SIZE_ARGUMENT = {"Linear": "in_features", "Conv": "in_channels", "ConvTranspose": "in_channels",
                  "BatchNorm": "num_features", "InstanceNorm": "num_features"}


def __getattr__(name: str) -> object:
    # PyTorch's lazy layers guess their input size at the first call; glassgrad's are told it
    base = name.removeprefix("Lazy")
    kind = base.rstrip("123d")
    if name.startswith("Lazy") and base in globals() and kind in _SIZE_ARGUMENT:
        example = ("nn.LazyLinear(256) is nn.Linear(X.shape[-1], 256) for inputs X; after "
                   "nn.Flatten(), the product of the axes after the first" if kind == "Linear"
                   else "the input's channels, X.shape[1]")
        raise AttributeError(f"module 'nn' has no attribute {name!r}; PyTorch's nn.{name} "
                             f"finds its input size at the first call, and glassgrad has no lazy "
                             f"layers: write nn.{base}({_SIZE_ARGUMENT[kind]}, ...) with the size "
                             f"given ({example})")
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
