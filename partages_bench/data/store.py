"""Where a dataset's files are on this machine, whether they are the pinned bytes, and its cache.

Users keep a mirror laid out like the shared one (``<root>/<dataset>/<original files>``): an
explicit ``--data-dir``, ``$PARTAGES_BENCH_DATA``, or what ``partages-bench data pull`` wrote.
Converted records are cached as JSONL under a key derived from the pinned checksums, so the cache
can never serve records converted from other bytes or by an older converter.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from partages_bench.data.catalog import DatasetSpec, get_dataset
from partages_bench.data.converters import Splits
from partages_bench.errors import ChecksumError, DatasetMissingError, UserError

DATA_ENV = "PARTAGES_BENCH_DATA"
HOME_ENV = "PARTAGES_BENCH_HOME"
CACHE_ENV = "PARTAGES_BENCH_CACHE"
_INDEX = "splits.json"
_CHUNK = 1 << 20


def _env_path(variable: str) -> Path | None:
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser() if value else None


def data_dir_from_env() -> Path | None:
    """The mirror root named by ``$PARTAGES_BENCH_DATA``, if set."""
    return _env_path(DATA_ENV)


def default_pull_dir() -> Path:
    """Where ``data pull`` writes by default: ``$PARTAGES_BENCH_HOME/data`` or the user cache."""
    home = _env_path(HOME_ENV)
    return home / "data" if home else Path.home() / ".cache" / "partages-bench" / "data"


def cache_dir() -> Path:
    """Root of the converted-records cache: ``$PARTAGES_BENCH_CACHE`` or the user cache."""
    return _env_path(CACHE_ENV) or Path.home() / ".cache" / "partages-bench" / "converted"


def search_roots(data_dir: Path | None = None) -> list[Path]:
    """Mirror roots in the order they are searched: explicit, environment, default pull dir."""
    roots: list[Path] = []
    for root in (data_dir, data_dir_from_env(), default_pull_dir()):
        if root is not None and root not in roots:
            roots.append(root)
    return roots


def locate(spec: DatasetSpec, data_dir: Path | None = None) -> Path | None:
    """The first dataset folder holding every declared file, or None (existence only, no hash)."""
    for root in search_roots(data_dir):
        folder = root / spec.name
        if all((folder / f.local_path).is_file() for f in spec.files):
            return folder
    return None


def is_available(spec: DatasetSpec, data_dir: Path | None = None) -> bool:
    """Whether a complete copy exists somewhere we look; cheap enough for listings."""
    return locate(spec, data_dir) is not None


def hash_stream(source: BinaryIO, sink: BinaryIO | None = None) -> str:
    """sha256 of a stream, optionally copying it to ``sink`` in the same pass."""
    digest = hashlib.sha256()
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
    return digest.hexdigest()


def checksum_error(dataset: str, what: str, expected: str, actual: str, hint: str) -> ChecksumError:
    """One-line mismatch message shared by verification and download."""
    return ChecksumError(
        f"{dataset}: {what} has sha256 {actual[:12]}…, expected {expected[:12]}…; {hint}"
    )


def verify(spec: DatasetSpec, folder: Path) -> None:
    """Check every declared file of ``folder`` against its pinned sha256."""
    for source in spec.files:
        path = folder / source.local_path
        if not path.is_file():
            raise DatasetMissingError(
                f"{spec.name}: {path} is missing; run `partages-bench data pull {spec.name}`"
            )
        with path.open("rb") as stream:
            actual = hash_stream(stream)
        if actual != source.sha256:
            hint = f"restore it or run `partages-bench data pull {spec.name}`"
            raise checksum_error(spec.name, str(path), source.sha256, actual, hint)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``target`` that replaces it only if the block succeeds.

    A crash, a failed download or a bad checksum thus never leaves a partial file where a good one
    is expected.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def cache_key(spec: DatasetSpec) -> str:
    """Identify a conversion by the pinned source files and the converter version."""
    digest = hashlib.sha256()
    for path, sha256 in sorted((f.local_path, f.sha256) for f in spec.files):
        digest.update(f"{sha256}  {path}\n".encode())
    digest.update(f"converter_version={spec.converter_version}\n".encode())
    return digest.hexdigest()[:16]


def missing_message(spec: DatasetSpec, data_dir: Path | None) -> str:
    searched = ", ".join(str(root / spec.name) for root in search_roots(data_dir))
    return (
        f"dataset {spec.name!r} not found (searched: {searched}); run "
        f"`partages-bench data pull {spec.name}`, or point --data-dir or ${DATA_ENV} "
        f"to a folder containing {spec.name}/"
    )


def _read_cache(folder: Path) -> Splits | None:
    index = folder / _INDEX
    if not index.is_file():
        return None
    splits: Splits = {}
    for split in json.loads(index.read_text(encoding="utf-8")):
        with (folder / f"{split}.jsonl").open(encoding="utf-8") as lines:
            splits[split] = [json.loads(line) for line in lines]
    return splits


def _write_cache(folder: Path, splits: Splits) -> None:
    # The index is written last: its presence marks a complete cache entry.
    for split, records in splits.items():
        with atomic_path(folder / f"{split}.jsonl") as temp:
            lines = (json.dumps(record, ensure_ascii=False) + "\n" for record in records)
            temp.write_text("".join(lines), encoding="utf-8")
    with atomic_path(folder / _INDEX) as temp:
        temp.write_text(json.dumps(list(splits)), encoding="utf-8")


def load_splits(name: str, data_dir: Path | None = None) -> Splits:
    """Canonical records of a dataset, per split, converted once and then read from the cache."""
    spec = get_dataset(name)
    if spec.converter is None:
        raise UserError(f"dataset {name!r} has no converter: no task uses it yet")
    folder = locate(spec, data_dir)
    if folder is None:
        raise DatasetMissingError(missing_message(spec, data_dir))
    # Hashing the files every time is cheap (milliseconds) and catches a mirror edited after
    # its first conversion, which the cache key alone would not.
    verify(spec, folder)
    entry = cache_dir() / spec.name / cache_key(spec)
    cached = _read_cache(entry)
    if cached is not None:
        return cached
    splits = spec.converter(folder)
    _write_cache(entry, splits)
    return splits


@dataclass(frozen=True)
class DatasetStatus:
    """One row of ``partages-bench data list``."""

    name: str
    licence: str
    available: bool
    location: Path | None


def dataset_status(spec: DatasetSpec, data_dir: Path | None = None) -> DatasetStatus:
    """Whether and where a dataset is available locally, with its licence."""
    folder = locate(spec, data_dir)
    return DatasetStatus(spec.name, spec.licence, folder is not None, folder)
