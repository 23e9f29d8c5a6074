"""Offline data layer: the dataset catalogue, local mirrors, verification, conversion and pull.

``DATASETS`` is resolved lazily (see ``catalog``) so that importing this package stays cheap.
"""

from __future__ import annotations

from typing import Any

from partages_bench.data.catalog import Archive, DatasetSpec, SourceFile, get_dataset
from partages_bench.data.pull import pull
from partages_bench.data.store import (
    DatasetStatus,
    cache_dir,
    data_dir_from_env,
    dataset_status,
    default_pull_dir,
    is_available,
    load_splits,
    locate,
    missing_message,
    verify,
)

__all__ = [
    "DATASETS",
    "Archive",
    "DatasetSpec",
    "DatasetStatus",
    "SourceFile",
    "cache_dir",
    "data_dir_from_env",
    "dataset_status",
    "default_pull_dir",
    "get_dataset",
    "is_available",
    "load_splits",
    "locate",
    "missing_message",
    "pull",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name == "DATASETS":
        from partages_bench.data import catalog

        return catalog.DATASETS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
