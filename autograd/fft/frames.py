"""Cutting a signal into overlapping frames, and its adjoint, adding frames back overlapped:

    Frames       x (..., L) -> (..., T, size), frame t = x[..., t·hop : t·hop + size]
    OverlapAdd   (..., T, size) -> (..., L), each frame added in at t·hop

Each is the other's gradient (framing copies; the gradient of a copy adds), so the STFT and
its inverse differentiate to any order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..graph import Node, Op, apply


class FramesCtx(NamedTuple):
    """The frame length, the hop between frame starts and the signal's length."""
    size: int
    hop: int
    length: int

    @property
    def count(self) -> int:
        return 1 + (self.length - self.size) // self.hop


def frames_forward(ctx: FramesCtx, x: np.ndarray) -> np.ndarray:
    """A strided view of x (no copy), copied so that later ops may write to it."""
    view = np.lib.stride_tricks.sliding_window_view(x, ctx.size, axis=-1)
    return np.ascontiguousarray(view[..., ::ctx.hop, :][..., :ctx.count, :])


def overlap_add_forward(ctx: FramesCtx, frames: np.ndarray) -> np.ndarray:
    """Σ_t frame t placed at t·hop. Done piece by piece of hop samples: piece j of every
    frame lands at block t + j of the output, so one vectorised add per piece
    (ceil(size / hop) adds) instead of one per frame."""
    count, size, hop = ctx.count, ctx.size, ctx.hop
    pieces = -(-size // hop)
    out = np.zeros(frames.shape[:-2] + ((count + pieces) * hop,), dtype=frames.dtype)
    blocks = out.reshape(frames.shape[:-2] + (count + pieces, hop))
    for j in range(pieces):
        width = min(hop, size - j * hop)
        blocks[..., j:j + count, :width] += frames[..., j * hop:j * hop + width]
    return out[..., :ctx.length]


class Frames(Op):
    """(..., L) -> (..., T, size);  dx = the frames' gradients added back overlapped"""
    name = "frames"
    reads_inputs = False

    @staticmethod
    def forward(ctx, x):
        return frames_forward(ctx, x)

    @staticmethod
    def backward(ctx, g, out, x):
        return (overlap_add(ctx, g),)


class OverlapAdd(Op):
    """(..., T, size) -> (..., L);  d(frames) = the gradient cut into frames"""
    name = "overlap_add"
    reads_inputs = False

    @staticmethod
    def forward(ctx, frames):
        return overlap_add_forward(ctx, frames)

    @staticmethod
    def backward(ctx, g, out, frames):
        return (frames_of(ctx, g),)


def frames_of(ctx: FramesCtx, x: Any) -> Any:
    """`frames_forward` on an array; on a node, a recorded op."""
    return apply(Frames, (x,), ctx) if isinstance(x, Node) else frames_forward(ctx, x)


def overlap_add(ctx: FramesCtx, frames: Any) -> Any:
    """`overlap_add_forward` on an array; on a node, a recorded op."""
    if isinstance(frames, Node):
        return apply(OverlapAdd, (frames,), ctx)
    return overlap_add_forward(ctx, frames)
