"""The differentiable primitives, one small class each, derivative right under the forward.

    arithmetic.py   + - * ** neg (Value and Tensor; x + 3 and x * 3 fold the number into the
                    op, and so do a floating Tensor's x - 3, 3 - x, x / 3 and 3 / x), / % and
                    fmod (Tensor; Value divides by a ** -1, as micrograd)
    elementwise.py  exp log log2 log10 log1p expm1 xlogy logit sqrt abs tanh (tanh_backward:
                    its gradient g (1 - out²) as one op, for tensors) sigmoid relu
                    leaky_relu softplus elu (ELU, SELU, CELU) hardswish hardtanh threshold
                    hardshrink smooth_l1 huber (the losses' elementwise part) sin cos maximum
                    minimum clip where; step and sign (flat: the slopes of relu and abs in
                    higher-order rules), log_or_zero (the ln a in the slope of a ** b),
                    clamped_log (the binary cross-entropy's log, clamped at -100)
    gelu.py         gelu (exact, or PyTorch's tanh approximation) and the normal CDF Φ, made from
    erf.py          erf and erfc of float64 accuracy for arrays (Cody's rational approximations),
                    and as ops
    log_ndtr.py     log Φ (PyTorch's log_ndtr) over the whole line, from the scaled erfc left
                    of -1, and its slope φ/Φ (the inverse Mills ratio) as an op
    special.py      lgamma digamma polygamma erfinv (float64 accuracy for arrays, and as ops),
                    sinc, copysign
    incomplete_gamma.py  the regularised incomplete gamma P(a, x) and Q(a, x) with their slopes
                    in x and a (gammainc, gammaincc), and a Gamma draw's implicit
                    reparameterisation (standard_gamma: dz/da from P's slope in a)
    bessel_modified.py  I₀ I₁ K₀ K₁ and their scaled forms for arrays; i0 i0e i1 i1e as ops (any
                    order: I₁/x and its scaled form as ops of their own)
    bessel.py       J₀ J₁ Y₀ Y₁ and the spherical j₀ for arrays (series, Miller's recurrence,
                    Hankel's expansion); airy.py Ai; orthogonal_polynomials.py PyTorch's
                    chebyshev, hermite, laguerre and legendre polynomials: none differentiates
                    (as PyTorch's), no_gradient.py the op that says so when backward reaches it
    erfcx.py        e^(x²) erfc(x); ndtri.py Φ⁻¹; zeta.py Hurwitz's ζ(x, q) (q's slope only);
                    entropy_terms.py entr and xlog1py: torch.special's (autograd/special.py)
    trig.py         tan asin acos atan sinh cosh asinh acosh atanh, atan2 and hypot
    reduce.py       sum mean max min median prod norm (p-norms), cumsum cumprod logcumsumexp,
                    scatter_reduce (sum, mean, amax, amin into the places an index names)
    softmax.py      logsumexp softmax log_softmax, logaddexp
    shape.py        reshape transpose broadcast_to getitem scatter_add index_put (t[i] = v)
                    embedding gather roll concatenate stack astype; windows (Tensor.unfold's
                    sliding windows) and window_sum (their overlap-add), each the other's
                    gradient
    linalg.py       matmul einsum matrix_exp solve (A⁻¹ B) solve_triangular inv det slogdet
                    cholesky eigh svd pinv
    qr.py           the QR decomposition (reduced, complete, R alone) and its gradient
    fused.py        linear (x @ Wᵀ + b), cross_entropy from logits, binary_cross_entropy (from
                    probabilities and from logits)
    conv.py         conv2d and conv3d (im2col + matmul, any number of spatial axes) and their
                    two gradients as ops, conv_transpose2d/3d
                    (conv2d's input gradient, plus a bias), pad; unfold (im2col) and fold
                    (col2im), each the other's gradient
    pad_modes.py    pad's reflect, replicate and circular modes (copies by slices) and their
                    adjoint (the border strips added back), each the other's gradient
    pool.py         max_pool2d and max_pool3d, with their backward (a scatter) and that one's
                    (a gather); max_unpool (a scatter to the indices) and its backward
    resample.py     resizing along one axis (interpolate's nearest, linear and cubic taps), with
                    its adjoint as its backward
    grid_sample.py  grid_sample: images and volumes read at arbitrary points (nearest,
                    bilinear/trilinear, bicubic; zeros, border, reflection padding), its
                    gradients for the input and the grid
    normalize.py    layer_norm and batch_norm (x̂ · w + b, x̂ each sample normalised over its
                    last axes, or each channel over the batch)
    recurrent.py    gru_step, and the LSTM's two: lstm_cell_state (c') and lstm_hidden_state
                    (h'), one time step from the gates' two shares; rnn_sequence, gru_sequence,
                    lstm_sequence: a layer's whole sequence in one direction, with its BPTT;
                    lstm_layer, gru_layer: a layer from its input itself (one product a step)
    ctc.py          the CTC loss of a batch of sequences (α in log space; backward: the β
                    recursion), and the occupancy, its gradient, as an op for gradient graphs
    payload_math.py no ops: the few functions rules call that take a raw payload or a node
                    alike (exp, power, softmax, ...), so that one rule serves both passes
"""

from .arithmetic import (Add, AddConst, ConstDiv, ConstPow, ConstSub, Div, DivConst, Fmod, Mul,
                         MulConst, Neg, Pow, PowConst, PowBase, PowExponent, Remainder, Sub,
                         SubConst)
from .bessel_modified import I0, I0e, I1, I1e, I1eOverX, I1OverX
from .conv import (Conv2d, Conv3d, ConvInputGrad, ConvTranspose2d, ConvTranspose3d, ConvWeightGrad,
                   Fold, Pad, Unfold)
from .ctc import CTCLoss, CTCOccupancy
from .entropy_terms import Entr, XLog1pY
from .elementwise import (Abs, ClampedLog, Clip, Cos, Elu, Exp, Expm1, Hardswish, Hardtanh,
                          Huber,
                          LeakyRelu, Log, Log1p, Log2, Log10, Logit, LogOrZero, Maximum, Minimum,
                          Relu, Sigmoid, Sign, Silu, Sin, SmoothL1, Softplus, Sqrt, Step, Tanh,
                          TanhGrad, Threshold, Hardshrink,
                          Where, XLogY)
from .erf import Erf, Erfc
from .erfcx import Erfcx
from .fused import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy, Linear
from .gelu import Gelu, GeluTanh, NormalCdf
from .glu import Glu
from .grid_sample import GridSample
from .incomplete_gamma import Gammainc, GammaincSlopeA, StandardGammaDraw, StandardGammaSlope
from .log_ndtr import InverseMills, LogNdtr
from .ndtri import Ndtri
from .no_gradient import NoGradient
from .linalg import (Cholesky, Det, Eigh, Einsum, Inv, MatMul, MatrixExp, Pinv, Slogdet,
                     Solve, SolveTriangular, Svd)
from .normalize import BatchNorm, LayerNorm
from .pad_modes import PadCopy, PadFold
from .qr import Qr
from .pool import MaxPool2d, MaxPool3d, MaxUnpool, PoolGather, PoolScatter, UnpoolGather
from .recurrent import (GRULayer, GRUSequence, GRUStep, LSTMCellState, LSTMHiddenState,
                        LSTMLayer, LSTMSequence, RNNSequence)
from .resample import Resample, ResampleAdjoint
from .reduce import (Cumprod, Cumsum, LogCumSumExp, Max, Mean, Median, Min, Prod,
                     ScatterReduce, Sum, VectorNorm)
from .shape import (AsType, BroadcastTo, Concatenate, Embedding, Gather, GetItem, IndexPut,
                    Reshape, Roll, ScatterAdd, Stack, Transpose, Windows, WindowSum)
from .special import Copysign, Erfinv, Lgamma, Polygamma, Sinc
from .softmax import LogAddExp, LogSoftmax, LogSumExp, Softmax
from .zeta import Zeta
from .trig import Acos, Acosh, Asin, Asinh, Atan, Atan2, Atanh, Cosh, Hypot, Sinh, Tan

__all__ = [
    "Add", "AddConst", "Sub", "SubConst", "ConstSub", "Mul", "MulConst", "Div", "DivConst",
    "ConstDiv", "Remainder", "Fmod", "Neg", "Pow", "PowConst", "ConstPow",
    "PowBase", "PowExponent",
    "Exp", "Log", "Log10", "Log2", "Log1p", "Expm1", "XLogY", "Logit", "Sqrt", "Abs", "Tanh",
    "TanhGrad", "Sigmoid", "Silu", "Relu",
    "Sin", "Cos", "Step", "Sign", "Maximum", "Minimum", "Clip", "Where", "LogOrZero", "ClampedLog",
    "LeakyRelu", "Softplus", "Elu", "Hardswish", "Hardtanh", "Threshold", "Hardshrink",
    "SmoothL1", "Huber", "Gelu", "GeluTanh",
    "Glu",
    "NormalCdf", "LogNdtr", "InverseMills", "Erf", "Erfc", "Tan", "Asin", "Acos", "Atan", "Atan2", "Sinh", "Cosh", "Asinh",
    "Acosh", "Atanh", "Hypot", "LogAddExp", "Lgamma", "Polygamma", "Erfinv", "Sinc", "Copysign",
    "Sum", "Mean", "Max", "Min", "Median", "Prod", "VectorNorm", "Cumsum", "Cumprod",
    "ScatterReduce",
    "LogCumSumExp", "LogSumExp", "Softmax",
    "LogSoftmax",
    "Reshape", "Transpose", "BroadcastTo", "GetItem", "ScatterAdd", "IndexPut", "Embedding",
    "Gather", "Roll", "Windows", "WindowSum",
    "Concatenate", "Stack", "AsType", "MatMul", "Einsum", "MatrixExp", "Solve", "Inv", "Det",
    "Slogdet", "Cholesky", "Eigh", "Svd", "SolveTriangular", "Pinv", "Qr", "Linear",
    "CrossEntropy",
    "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits",
    "Conv2d", "ConvInputGrad", "ConvWeightGrad", "ConvTranspose2d", "Pad", "Unfold", "Fold",
    "PadCopy", "PadFold",
    "Conv3d", "ConvTranspose3d", "MaxPool3d",
    "Resample", "ResampleAdjoint", "GridSample", "MaxPool2d",
    "PoolScatter", "PoolGather", "MaxUnpool", "UnpoolGather", "CTCLoss", "CTCOccupancy",
    "BatchNorm", "LayerNorm", "GRUStep", "LSTMCellState", "LSTMHiddenState", "RNNSequence",
    "GRUSequence", "LSTMSequence", "LSTMLayer", "GRULayer",
    "I0", "I0e", "I1", "I1e", "I1OverX", "I1eOverX", "Erfcx", "Ndtri", "Entr", "XLog1pY", "Zeta",
    "NoGradient", "Gammainc", "GammaincSlopeA", "StandardGammaDraw", "StandardGammaSlope",
]
