"""Learning-rate schedules (PyTorch's), in `base.py` for now."""

from .base import (
    ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR,
    ExponentialLR, LambdaLR, LinearLR, LRScheduler, MultiplicativeLR, MultiStepLR, OneCycleLR,
    PolynomialLR, ReduceLROnPlateau, SequentialLR, StepLR,
)

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR",
           "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "LambdaLR",
           "MultiplicativeLR", "OneCycleLR", "CyclicLR", "ReduceLROnPlateau", "SequentialLR",
           "ChainedScheduler"]
