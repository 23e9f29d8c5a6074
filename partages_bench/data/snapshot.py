"""Hub datasets mirrored as a repository snapshot: files, contract, reading with ``datasets``.

Some datasets (PARHAF) live only on the Hugging Face hub, as a dataset repository whose card
(``README.md``) declares its configs in YAML (``configs: [{config_name, data_files: [{split,
path}]}]``). Their mirror folder ``<data-dir>/<dataset>/`` is that repository as
``huggingface_hub.snapshot_download(repo_id, revision=…, repo_type="dataset", local_dir=…)``
writes it at the pinned revision, so a user who has the embargoed files in the same layout (and
the card declaring them) gets their split without any change here. The catalogue does not list
the files: they are whatever the snapshot holds.

Trust on first use, as for MediQAl: ``pull`` records the sha256 of every file in the folder's
``SHA256SUMS``; each load checks the folder against it (a listed file missing or different is an
error; an unlisted file, or a folder without ``SHA256SUMS``, is accepted as it is). The hashes of
what is there key the caches, ``datasets``' own included: ``datasets`` caches the build of a local
folder and, after its files changed, served the stale build (issue 20), so it is given a cache
directory of ours per checksum set (``read_tables``).

Every config is checked against the dataset's declared contract before conversion (columns
present, label and attribute values allowed): any difference is one error naming the dataset,
config, split, column and the unexpected values, never a silently empty task.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partages_bench.errors import UserError

Row = dict[str, Any]
# config -> split -> rows, as ``datasets`` reads them (a struct is a dict, a sequence a list).
Tables = dict[str, dict[str, list[Row]]]
Record = dict[str, Any]
Splits = dict[str, list[Record]]

CARD = "README.md"
SUMS_FILE = "SHA256SUMS"
# ``snapshot_download(local_dir=…)`` keeps its bookkeeping there; not part of the repository.
_HUB_BOOKKEEPING = ".cache"
_CHUNK = 1 << 20
# A column with at most this many distinct values is shown with its counts by ``data audit``.
_CATEGORICAL_MAX = 30
_MESSAGE_MAX = 400


class ContractError(UserError):
    """A hub dataset's configs do not match its declared contract (columns or values)."""


@dataclass(frozen=True)
class Column:
    """A column a config must have. ``values``: the allowed values of a label or attribute
    column (None: any value); ``nullable``: whether a row may leave it empty (null);
    ``fields``: for a struct column, the keys its dicts may have."""

    name: str
    values: frozenset[str] | None = None
    nullable: bool = False
    fields: frozenset[str] | None = None


@dataclass(frozen=True)
class HubSnapshot:
    """Where a snapshot dataset comes from and what it must look like.

    ``contract`` maps each config the converter reads to its required columns (a config the card
    declares but the contract does not name is read and shown by ``data audit``, never required);
    ``convert`` turns the checked tables into canonical records per split.
    """

    repo_id: str
    revision: str
    contract: Mapping[str, tuple[Column, ...]]
    convert: Callable[[Tables], Splits] = field(compare=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _repository_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.parts[0] == _HUB_BOOKKEEPING or relative.as_posix() == SUMS_FILE:
            continue
        if path.is_file():
            yield path


def snapshot_sha256s(folder: Path) -> dict[str, str]:
    """{relative POSIX path: sha256} of every file of the snapshot (not ``SHA256SUMS``, not the
    hub's ``.cache/`` bookkeeping)."""
    return {
        path.relative_to(folder).as_posix(): _sha256(path) for path in _repository_files(folder)
    }


def is_snapshot(folder: Path) -> bool:
    """Whether ``folder`` looks like a snapshot: it has the dataset card."""
    return (folder / CARD).is_file()


def _brief(error: Exception) -> str:
    """The library's message on one line, without its long lists (every file extension it
    knows), and cut at a few hundred characters."""
    message = re.sub(r"\s*\[[^\]]{80,}\]", " […]", " ".join(str(error).split()))
    return message if len(message) <= _MESSAGE_MAX else message[:_MESSAGE_MAX] + "…"


def read_tables(folder: Path, cache: Path) -> Tables:
    """Every config the card declares, every split, read by ``datasets`` from the local folder
    (no network) with ``cache`` as its cache directory: the caller keys it by the verified
    checksums, so ``datasets`` can never serve a build of other bytes.

    The card gives each split's files (and features, if it declares them); each split is then
    built on its own, so that a file whose columns differ from the other splits' (a renamed
    column) reaches the contract check, which names it, instead of failing ``datasets``' cast
    of the whole config."""
    import datasets  # ~0.7 s: paid only when a snapshot is converted or audited

    from partages_bench.quiet import silence_loaded_libraries

    silence_loaded_libraries()
    # Building a few parquet files takes milliseconds: no "Generating split" bars, ever.
    datasets.disable_progress_bars()
    try:
        names = datasets.get_dataset_config_names(str(folder))
        tables: Tables = {}
        for name in names:
            builder = datasets.load_dataset_builder(str(folder), name=name, cache_dir=str(cache))
            tables[name] = {
                split: datasets.load_dataset(
                    builder.name,  # the packaged module of the files: parquet, json…
                    data_files={split: list(files)},
                    split=split,
                    features=builder.info.features,
                    cache_dir=str(cache),
                ).to_list()
                for split, files in builder.config.data_files.items()
            }
    except (OSError, ValueError, datasets.exceptions.DatasetGenerationError) as error:
        # FileNotFoundError (a declared file absent), a card whose YAML is broken, a file that
        # is not parquet or does not fit the card's features: the library's message, one line.
        raise UserError(
            f"{folder}: cannot read the snapshot with datasets: {_brief(error)}"
        ) from None
    return tables


def _shown(values: Mapping[Any, int]) -> str:
    ordered = sorted(values.items(), key=lambda item: str(item[0]))
    return ", ".join(f"{value!r} ({count})" for value, count in ordered)


def contract_differences(contract: Mapping[str, tuple[Column, ...]], tables: Tables) -> list[str]:
    """What differs between the declared contract and the tables, one phrase each."""
    differences: list[str] = []
    for config, columns in contract.items():
        if config not in tables:
            declared = ", ".join(sorted(tables)) or "none"
            differences.append(f"config {config!r} is missing (the card declares: {declared})")
            continue
        for split, rows in tables[config].items():
            where = f"config {config!r}, split {split!r}"
            present = set(rows[0]) if rows else set()
            for column in columns:
                if rows and column.name not in present:
                    found = ", ".join(sorted(present))
                    differences.append(
                        f"{where}: column {column.name!r} is missing (columns: {found})"
                    )
                    continue
                values = [row[column.name] for row in rows]
                unexpected: Counter[Any] = Counter()
                for value in values:
                    if value is None:
                        if not column.nullable:
                            unexpected[None] += 1
                    elif column.values is not None and value not in column.values:
                        unexpected[value] += 1
                    elif column.fields is not None and isinstance(value, dict):
                        unexpected.update(f"field {key}" for key in set(value) - column.fields)
                if unexpected:
                    allowed = ", ".join(sorted(column.values or column.fields or ()))
                    differences.append(
                        f"{where}: column {column.name!r} has unexpected values "
                        f"{_shown(unexpected)}" + (f" (allowed: {allowed})" if allowed else "")
                    )
    return differences


def check_contract(
    dataset: str, contract: Mapping[str, tuple[Column, ...]], tables: Tables
) -> None:
    """Raise one ``ContractError`` listing every difference from the contract."""
    differences = contract_differences(contract, tables)
    if differences:
        raise ContractError(f"{dataset}: does not match its contract: " + "; ".join(differences))


def _looks_categorical(values: list[Any]) -> bool:
    """Strings (or nulls) that repeat: few distinct values, each used twice on average."""
    if not all(isinstance(value, str) or value is None for value in values):
        return False
    distinct = len(set(values))
    return distinct <= _CATEGORICAL_MAX and 2 * distinct <= len(values)


def observed_contract(tables: Tables, contract: Mapping[str, tuple[Column, ...]]) -> dict[str, Any]:
    """What ``data audit`` shows: per config and split, row count, columns, for each label or
    attribute column of the contract and each other column of few repeated string values every
    value with its count, and the keys of each struct column."""
    observed: dict[str, Any] = {}
    for config, splits in tables.items():
        declared = {c.name for c in contract.get(config, ()) if c.values is not None}
        observed[config] = {}
        for split, rows in splits.items():
            columns = list(rows[0]) if rows else []
            categorical = {}
            for column in columns:
                values = [row[column] for row in rows]
                if column in declared or _looks_categorical(values):
                    counts = Counter(values)
                    categorical[column] = {
                        str(value): counts[value] for value in sorted(counts, key=str)
                    }
            structs = {
                column: sorted(
                    {key for row in rows if isinstance(row[column], dict) for key in row[column]}
                )
                for column in columns
                if any(isinstance(row[column], dict) for row in rows)
            }
            observed[config][split] = {
                "rows": len(rows),
                "columns": columns,
                "values": categorical,
                "fields": structs,
            }
    return observed
