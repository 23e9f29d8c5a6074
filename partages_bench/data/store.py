"""Where a dataset's files are on this machine, whether they are the pinned bytes, and its cache.

Users keep a mirror laid out like the shared one (``<root>/<dataset>/<original files>``): an
explicit ``--data-dir``, ``$PARTAGES_BENCH_DATA``, or what ``partages-bench data pull`` wrote.
Converted records are cached as JSONL under a key derived from the verified checksums, so the
cache can never serve records converted from other bytes or by an older converter.

Files pinned by revision only (no sha256 in the catalogue) are trusted on first use: a dataset
folder may hold a ``SHA256SUMS`` (``sha256sum`` format; every folder of the shared mirror has
one, and ``pull`` writes what it received), and such a file must match the hash listed there.
A hub snapshot (PARHAF, ``snapshot.py``) lists no files: every file of its folder is checked
against that record, and its configs against the dataset's contract, before conversion.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from partages_bench.data.catalog import DatasetSpec, SourceFile, get_dataset, read_checksums
from partages_bench.data.converters import Splits
from partages_bench.data.snapshot import (
    Tables,
    check_contract,
    is_snapshot,
    read_tables,
    snapshot_sha256s,
)
from partages_bench.errors import ChecksumError, DatasetMissingError, UserError
from partages_bench.outputs import atomic_path as atomic_path

DATA_ENV = "PARTAGES_BENCH_DATA"
HOME_ENV = "PARTAGES_BENCH_HOME"
CACHE_ENV = "PARTAGES_BENCH_CACHE"
_INDEX = "splits.json"
SUMS_FILE = "SHA256SUMS"
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


def is_complete(spec: DatasetSpec, folder: Path) -> bool:
    """Whether ``folder`` holds every declared file, or for a snapshot its card (no hash)."""
    if spec.snapshot is not None:
        return is_snapshot(folder)
    return all((folder / f.local_path).is_file() for f in spec.files)


def locate(spec: DatasetSpec, data_dir: Path | None = None) -> Path | None:
    """The first dataset folder holding every declared file, or None (existence only, no hash)."""
    for root in search_roots(data_dir):
        folder = root / spec.name
        if is_complete(spec, folder):
            return folder
    return None


def is_available(spec: DatasetSpec, data_dir: Path | None = None) -> bool:
    """Whether a complete copy exists somewhere we look; cheap enough for listings."""
    return locate(spec, data_dir) is not None


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def hash_stream(source: Readable, sink: BinaryIO | None = None) -> str:
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


def recorded_checksums(spec: DatasetSpec, folder: Path) -> dict[str, str]:
    """The folder's ``SHA256SUMS`` as {relative path: sha256}, read only for a dataset with files
    pinned by revision only (a fully pinned one never needs it); empty if there is none."""
    path = folder / SUMS_FILE
    if spec.pinned_by_sha256 or not path.is_file():
        return {}
    try:
        return read_checksums(path)
    except ValueError as error:
        raise UserError(str(error)) from None


def write_checksums(folder: Path, sums: Mapping[str, str]) -> None:
    """Write the folder's ``SHA256SUMS`` (sorted, ``sha256sum`` format) in one atomic step."""
    lines = "".join(f"{digest}  {path}\n" for path, digest in sorted(sums.items()))
    with atomic_path(folder / SUMS_FILE) as temp:
        temp.write_text(lines, encoding="utf-8")


def expected_sha256(source: SourceFile, recorded: Mapping[str, str]) -> str | None:
    """The hash a file must have: pinned in the catalogue, else recorded in the folder's
    ``SHA256SUMS`` (trust on first use), else None (accepted as it is)."""
    return source.sha256 or recorded.get(source.local_path)


def _verify_snapshot(
    spec: DatasetSpec, folder: Path, recorded: Mapping[str, str]
) -> dict[str, str]:
    actual = snapshot_sha256s(folder)
    for path, expected in sorted(recorded.items()):
        if path not in actual:
            raise DatasetMissingError(
                f"{spec.name}: {folder / path} is missing (listed in {folder / SUMS_FILE}); "
                f"restore it or run `partages-bench data pull {spec.name}`"
            )
        if actual[path] != expected:
            hint = f"recorded in {folder / SUMS_FILE} (trusted on first use); restore it or run "
            hint += f"`partages-bench data pull {spec.name}`"
            raise checksum_error(spec.name, str(folder / path), expected, actual[path], hint)
    return actual


def verify(spec: DatasetSpec, folder: Path) -> dict[str, str]:
    """Check every declared file of ``folder``; return {local path: sha256} of what was read.

    A file with a pinned sha256 must match it. A file pinned by revision only must match the
    folder's ``SHA256SUMS`` if that lists it, and is accepted otherwise; the returned hashes let
    the cache key follow its bytes either way. A snapshot's files are every file of its folder.
    """
    recorded = recorded_checksums(spec, folder)
    if spec.snapshot is not None:
        return _verify_snapshot(spec, folder, recorded)
    actual_sha256: dict[str, str] = {}
    for source in spec.files:
        path = folder / source.local_path
        if not path.is_file():
            raise DatasetMissingError(
                f"{spec.name}: {path} is missing; run `partages-bench data pull {spec.name}`"
            )
        with path.open("rb") as stream:
            actual = hash_stream(stream)
        expected = expected_sha256(source, recorded)
        if expected is not None and actual != expected:
            hint = f"restore it or run `partages-bench data pull {spec.name}`"
            if source.sha256 is None:
                hint = f"recorded in {folder / SUMS_FILE} (pinned by revision only); {hint}"
            raise checksum_error(spec.name, str(path), expected, actual, hint)
        actual_sha256[source.local_path] = actual
    return actual_sha256


def cache_key(spec: DatasetSpec, sha256s: Mapping[str, str]) -> str:
    """Identify a conversion by the verified source files and the converter version.

    ``sha256s`` is what ``verify`` returned: the pinned hashes, and for files pinned by revision
    only their recorded (or, if unrecorded, actual) hashes, so a changed record never reuses a
    conversion of other bytes.
    """
    digest = hashlib.sha256()
    for path, sha256 in sorted(sha256s.items()):
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


def _verified(spec: DatasetSpec, data_dir: Path | None) -> tuple[Path, Path]:
    """The dataset's folder, checked, and its cache entry (keyed by what was checked)."""
    folder = locate(spec, data_dir)
    if folder is None:
        raise DatasetMissingError(missing_message(spec, data_dir))
    # Hashing the files every time is cheap (milliseconds) and catches a mirror edited after
    # its first conversion, which the cache key alone would not.
    return folder, cache_dir() / spec.name / cache_key(spec, verify(spec, folder))


def _tables(folder: Path, entry: Path) -> Tables:
    # ``datasets`` gets a cache of its own per checksum set: it would serve a stale build of a
    # folder whose files changed (issue 20).
    return read_tables(folder, entry / "datasets")


def snapshot_tables(name: str, data_dir: Path | None = None) -> tuple[Path, Tables]:
    """A snapshot dataset's folder (verified) and every config of its card, not yet checked
    against the contract (what ``data audit`` shows)."""
    spec = get_dataset(name)
    if spec.snapshot is None:
        raise UserError(f"dataset {name!r} is not a hub snapshot: it has no configs to audit")
    folder, entry = _verified(spec, data_dir)
    return folder, _tables(folder, entry)


def load_splits(name: str, data_dir: Path | None = None) -> Splits:
    """Canonical records of a dataset, per split, converted once and then read from the cache."""
    from partages_bench.data.local import fed_splits

    fed = fed_splits()  # a TASK@ID run: the local dataset's records in place of this one's
    if fed is not None:
        return fed
    spec = get_dataset(name)
    if spec.converter is None and spec.snapshot is None:
        raise UserError(f"dataset {name!r} has no converter: no task uses it yet")
    folder, entry = _verified(spec, data_dir)
    cached = _read_cache(entry)
    if cached is not None:
        return cached
    if spec.snapshot is not None:
        tables = _tables(folder, entry)
        check_contract(spec.name, spec.snapshot.contract, tables)
        splits = spec.snapshot.convert(tables)
    else:
        assert spec.converter is not None  # checked above
        splits = spec.converter(folder)
    _write_cache(entry, splits)
    return splits


@dataclass(frozen=True)
class DatasetStatus:
    """One row of ``partages-bench data list``; ``pinned_by_sha256`` is False for a dataset
    pinned by revision only (trusted on first use)."""

    name: str
    licence: str
    available: bool
    location: Path | None
    pinned_by_sha256: bool


def dataset_status(spec: DatasetSpec, data_dir: Path | None = None) -> DatasetStatus:
    """Whether and where a dataset is available locally, with its licence and pinning."""
    folder = locate(spec, data_dir)
    return DatasetStatus(spec.name, spec.licence, folder is not None, folder, spec.pinned_by_sha256)
