"""Data for training: mini-batches, held-out splits, feature scaling, synthetic datasets,
MNIST, and image transforms in torchvision's spelling (`nn.data.transforms`).

>>> from nn.data import DataLoader, make_moons, train_test_split
>>> X, y = make_moons(200, noise=0.1, seed=0)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, seed=0)
>>> loader = DataLoader(X_train, y_train, batch_size=32, shuffle=True, seed=0)
>>> len(loader), next(iter(loader))[0].shape
(5, (32, 2))
"""

from .datasets import (
    lag_features, make_blobs, make_circles, make_daily_views, make_moons, make_regression,
    make_spirals, make_xor,
)
from .dataset import (
    ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, random_split,
)
from .collate import default_collate
from .loader import DataLoader, TensorDataset
from .workers import WorkerInfo, get_worker_info
from .mnist import MNIST, DownloadError, load_mnist, read_idx, write_idx
from .sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler,
)
from .scaling import StandardScaler
from .splits import train_test_split, train_val_test_split

__all__ = [
    "DataLoader", "TensorDataset", "Dataset", "Subset", "ConcatDataset", "random_split",
    "IterableDataset", "ChainDataset", "get_worker_info", "WorkerInfo",
    "default_collate", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler",
    "train_test_split", "train_val_test_split", "StandardScaler",
    "make_xor", "make_moons", "make_circles", "make_spirals", "make_blobs", "make_regression",
    "make_daily_views", "lag_features",
    "load_mnist", "MNIST", "DownloadError", "read_idx", "write_idx",
]
