"""Local dataset cards: a user's own annotated documents, described in YAML, no code.

A card (``CARD.yaml``) has the keys ``id``, ``family``, ``licence`` (or ``owner``), ``format``
(``jsonl``, ``brat`` or ``csv``), ``splits`` (split name -> file or folder relative to the card),
and optionally ``fewshot_split``, ``private`` (bool), ``metadata`` (record fields used as
breakdowns) and, for ``csv``, ``columns`` (canonical field -> CSV column).

Every error is one line naming the card (and the YAML line of the key) or the data file and its
line, and the field; it is a ``UserError`` (exit 2). ``data add`` records the sha256 of every
referenced file under ``$PARTAGES_BENCH_HOME/local/<id>.json``; ``load_local`` re-checks them
and refuses a changed file, naming it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partages_bench.errors import UserError

FORMATS = ("jsonl", "brat", "csv")
_KEYS = {
    "id",
    "family",
    "licence",
    "owner",
    "format",
    "splits",
    "fewshot_split",
    "private",
    "metadata",
    "columns",
}


class LocalCardError(UserError):
    """A local dataset card, or one of its records, that cannot be used: one line."""


@dataclass(frozen=True)
class LocalCard:
    """A validated local dataset card; ``files`` maps each data file (relative to the card's
    folder, POSIX) to its sha256."""

    path: Path
    id: str
    family: str
    licence: str
    format: str
    splits: dict[str, str]
    fewshot_split: str | None = None
    private: bool = False
    metadata: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent

    def split_files(self, split: str) -> list[Path]:
        target = self.root / self.splits[split]
        if self.format == "brat":
            return sorted([*target.glob("*.txt"), *target.glob("*.ann")])
        return [target]

    def files(self) -> list[Path]:
        return [path for split in self.splits for path in self.split_files(split)]


def _line_of(node: Any, key: str) -> int | None:
    for key_node, _value in getattr(node, "value", []):
        if getattr(key_node, "value", None) == key:
            return int(key_node.start_mark.line) + 1
    return None


def load_card(path: Path) -> LocalCard:
    """The card at ``path``, validated (keys, types, family, format, split files present)."""
    import yaml

    from partages_bench.families import family_names

    if not path.is_file():
        raise LocalCardError(f"{path}: no such card")
    source = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(source)
        raw = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise LocalCardError(
            f"{path}{line}: not YAML ({getattr(error, 'problem', error)})"
        ) from None
    if not isinstance(raw, dict):
        raise LocalCardError(f"{path} line 1: a card is a mapping of keys (id, family, …)")

    def fail(key: str, message: str) -> LocalCardError:
        line = _line_of(node, key)
        where = f"{path} line {line}" if line else str(path)
        return LocalCardError(f"{where}: field {key!r}: {message}")

    for key in raw:
        if key not in _KEYS:
            raise fail(str(key), f"unknown key (keys: {', '.join(sorted(_KEYS))})")
    for key in ("id", "family", "format", "splits"):
        if key not in raw:
            raise LocalCardError(f"{path}: field {key!r}: missing")
    if "licence" not in raw and "owner" not in raw:
        raise LocalCardError(f"{path}: field 'licence': missing (or give 'owner')")
    for key in ("id", "family", "format", "licence", "owner", "fewshot_split"):
        if key in raw and not isinstance(raw[key], str):
            raise fail(key, "must be a string")
    card_id = raw["id"]
    if not card_id.replace("_", "").replace("-", "").isalnum():
        raise fail("id", f"{card_id!r} must be letters, digits, '_' or '-'")
    if raw["family"] not in family_names():
        raise fail(
            "family", f"unknown family {raw['family']!r} (one of {', '.join(family_names())})"
        )
    if raw["format"] not in FORMATS:
        raise fail("format", f"unknown format {raw['format']!r} (one of {', '.join(FORMATS)})")
    splits = raw["splits"]
    if not isinstance(splits, dict) or not splits:
        raise fail("splits", "must map split names to files or folders")
    for split, target in splits.items():
        if not isinstance(target, str):
            raise fail("splits", f"split {split!r}: must be a file or folder path")
        where = path.parent / target
        if raw["format"] == "brat" and not where.is_dir():
            raise fail("splits", f"split {split!r}: {target} is not a folder")
        if raw["format"] != "brat" and not where.is_file():
            raise fail("splits", f"split {split!r}: {target} is not a file")
    fewshot = raw.get("fewshot_split")
    if fewshot is not None and fewshot not in splits:
        raise fail("fewshot_split", f"{fewshot!r} is not one of the splits")
    if "private" in raw and not isinstance(raw["private"], bool):
        raise fail("private", "must be true or false")
    metadata = raw.get("metadata", [])
    if not isinstance(metadata, list) or not all(isinstance(m, str) for m in metadata):
        raise fail("metadata", "must be a list of record field names")
    columns = raw.get("columns", {})
    if raw["format"] == "csv" and not columns:
        raise fail("format", "a csv card needs 'columns' (canonical field -> CSV column)")
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise fail("columns", "must map canonical field names to CSV column names")
    return LocalCard(
        path=path.resolve(),
        id=card_id,
        family=raw["family"],
        licence=raw.get("licence") or f"owner: {raw['owner']}",
        format=raw["format"],
        splits={str(k): v for k, v in splits.items()},
        fewshot_split=fewshot,
        private=bool(raw.get("private", False)),
        metadata=tuple(metadata),
        columns=dict(columns),
    )


def check_record(card: LocalCard, record: Any, where: str) -> None:
    """The record has its family's canonical fields with their types and the card's metadata."""
    if not isinstance(record, dict):
        raise LocalCardError(f"{where}: a record is a JSON object")
    from partages_bench.families import get_family

    family = get_family(card.family)
    for key, types in family.record_fields.items():
        if key not in record:
            raise LocalCardError(f"{where}: field {key!r}: missing ({card.family} record)")
        if not isinstance(record[key], types):
            raise LocalCardError(f"{where}: field {key!r}: must be {types[0].__name__}")
    for number, entity in enumerate(record.get("entities") or [], start=1):
        for key, kind in family.entity_fields.items():
            if not isinstance(entity, dict) or not isinstance(entity.get(key), kind):
                raise LocalCardError(
                    f"{where}: field 'entities' #{number}: {key!r} missing or not {kind.__name__}"
                )
    for key in card.metadata:
        if key not in record:
            raise LocalCardError(f"{where}: field {key!r}: missing (a metadata field of the card)")


def _read_jsonl(card: LocalCard, path: Path) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise LocalCardError(f"{where}: not JSON ({error.msg})") from None
        check_record(card, record, where)
        records.append(record)
    return records


def _read_csv(card: LocalCard, path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for canonical, column in card.columns.items():
            if column not in header:
                raise LocalCardError(
                    f"{path} line 1: field {canonical!r}: no column {column!r} in the header"
                )
        records = []
        for number, row in enumerate(reader, start=2):
            record: dict[str, Any] = {k: row[c] for k, c in card.columns.items()}
            for key in card.metadata:
                record.setdefault(key, row.get(key))
            check_record(card, record, f"{path} line {number}")
            records.append(record)
    return records


def _read_brat_folder(card: LocalCard, folder: Path) -> list[dict[str, Any]]:
    from partages_bench.data.converters import _ner_document, _read_brat
    from partages_bench.families import get_family

    id_key = next(iter(get_family(card.family).record_fields))
    records = []
    for txt_path in sorted(folder.glob("*.txt")):
        text, entities = _read_brat(txt_path, txt_path.with_suffix(".ann"), lambda t, _n: t)
        record = _ner_document(txt_path.stem, text, card.id, entities)
        if id_key != "id":
            record[id_key] = record.pop("id")
        check_record(card, record, str(txt_path))
        records.append(record)
    if not records:
        raise LocalCardError(f"{folder}: no .txt/.ann documents")
    return records


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(card: LocalCard) -> dict[str, str]:
    """sha256 of every referenced file, keyed by its path relative to the card's folder."""
    return {path.relative_to(card.root).as_posix(): sha256_file(path) for path in card.files()}


def data_hash(sums: dict[str, str]) -> str:
    """One hash of the local files (their names and contents), for the report."""
    return hashlib.sha256(json.dumps(sums, sort_keys=True).encode()).hexdigest()


def read_records(card: LocalCard) -> dict[str, list[dict[str, Any]]]:
    """Every split's records, each checked against the family's canonical schema."""
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "brat": _read_brat_folder}[card.format]
    return {split: reader(card, card.root / target) for split, target in card.splits.items()}


def registry_dir() -> Path:
    # $PARTAGES_BENCH_HOME as store.HOME_ENV reads it (not imported: store reads fed_splits).
    value = os.environ.get("PARTAGES_BENCH_HOME")
    home = Path(value).expanduser() if value else Path.home() / ".cache" / "partages-bench"
    return home / "local"


def register(card_path: Path) -> tuple[LocalCard, dict[str, list[dict[str, Any]]], dict[str, str]]:
    """``data add``: validate the card and every record, record the checksums."""
    card = load_card(card_path)
    splits = read_records(card)
    sums = checksums(card)
    folder = registry_dir()
    folder.mkdir(parents=True, exist_ok=True)
    entry = {"card": str(card.path), "family": card.family, "sha256": sums}
    (folder / f"{card.id}.json").write_text(json.dumps(entry, indent=2) + "\n", encoding="utf-8")
    return card, splits, sums


def registered() -> dict[str, dict[str, Any]]:
    """The registered local datasets, by id."""
    folder = registry_dir()
    if not folder.is_dir():
        return {}
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.json"))
    }


def resolve(dataset_id: str, cards: list[Path] | None = None) -> tuple[LocalCard, dict[str, str]]:
    """The card for ``dataset_id`` (one given with ``--data-card`` first, then the registered
    ones) with its files' checksums, checked against those recorded at registration."""
    for path in cards or []:
        card = load_card(path)
        if card.id == dataset_id:
            return card, checksums(card)
    entry = registered().get(dataset_id)
    if entry is None:
        raise LocalCardError(
            f"no local dataset {dataset_id!r}: register it with 'partages-bench data add CARD.yaml'"
            " or give --data-card CARD.yaml"
        )
    card = load_card(Path(entry["card"]))
    recorded: dict[str, str] = entry["sha256"]
    sums = checksums(card)
    for name, digest in recorded.items():
        if sums.get(name) != digest:
            raise LocalCardError(
                f"{card.root / name}: changed since 'data add {card.path.name}' (sha256 differs); "
                "run data add again if the change is intended"
            )
    extra = sorted(set(sums) - set(recorded))
    if extra:
        raise LocalCardError(f"{card.root / extra[0]}: not there at 'data add'; run data add again")
    return card, sums


def load_local(
    dataset_id: str, family: str, task: str, cards: list[Path] | None = None
) -> tuple[LocalCard, dict[str, list[dict[str, Any]]], str]:
    """Records for ``TASK@ID``: the card, its splits and the data hash; a family mismatch is
    refused naming both families."""
    card, sums = resolve(dataset_id, cards)
    if card.family != family:
        raise LocalCardError(
            f"{task}@{dataset_id}: task {task} is of family {family!r} but local dataset "
            f"{dataset_id} is of family {card.family!r}"
        )
    return card, read_records(card), data_hash(sums)


def check_local(dataset_id: str, family: str, task: str, cards: Sequence[Path]) -> None:
    """``TASK@ID`` usable: the card found, its files unchanged, its family the task's."""
    card, _sums = resolve(dataset_id, list(cards))
    if card.family != family:
        raise LocalCardError(
            f"{task}@{dataset_id}: task {task} is of family {family!r} but local dataset "
            f"{dataset_id} is of family {card.family!r}"
        )


def split_local(tasks: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """``--tasks`` without the ``@ID`` suffixes, and the local dataset id of each task given one
    (``TASK@ID``). One task on one local dataset per run: the result key stays the task name."""
    names, local = [], {}
    for entry in tasks:
        name, _, dataset_id = entry.partition("@")
        if dataset_id:
            if local.get(name, dataset_id) != dataset_id:
                raise LocalCardError(
                    f"--tasks {entry}: {name} is already on {local[name]}; one local dataset per"
                    " task in one run"
                )
            local[name] = dataset_id
        names.append(name)
    return names, local


def any_private(local: dict[str, str], cards: Sequence[Path]) -> str | None:
    """The id of a used card that says ``private: true``, or None."""
    return next(
        (
            dataset_id
            for dataset_id in sorted(set(local.values()))
            if resolve(dataset_id, list(cards))[0].private
        ),
        None,
    )


_FED: ContextVar[dict[str, Any] | None] = ContextVar("local_splits", default=None)


@contextmanager
def feeding(splits: dict[str, list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """While a ``TASK@ID`` task is built, ``load_splits`` (the one indirection, in store.py)
    returns the local records, so the task's own loader (passages, filters) applies to them;
    ``state["used"]`` says whether the loader read them."""
    state: dict[str, Any] = {"splits": splits, "used": False}
    token = _FED.set(state)
    try:
        yield state
    finally:
        _FED.reset(token)


def fed_splits() -> dict[str, list[dict[str, Any]]] | None:
    """The local records in place of a dataset's, while a ``TASK@ID`` task is built."""
    state = _FED.get()
    if state is None:
        return None
    state["used"] = True
    return state["splits"]


def build_local_task(
    build: Any, name: str, family: str, dataset_id: str, cards: Sequence[Path]
) -> tuple[Any, str]:
    """The lm-eval task ``build()`` makes, on the local dataset's records: through its own
    loader when it reads ``load_splits``, else (a generated task) in place of its records."""
    card, splits, digest = load_local(dataset_id, family, name, list(cards))
    # Built-in loaders read "train" (few-shot) and "validation" too: the card's few-shot split,
    # else none (zero-shot on local data; a few-shot run needs fewshot_split).
    fed = dict(splits)
    for alias in ("train", "validation"):
        fed.setdefault(alias, splits[card.fewshot_split] if card.fewshot_split else [])
    with feeding(fed) as state:
        task = build()
    if not state["used"]:
        feed_task(task, card, splits)
    _pick_test_split(task, card, name)
    return task, digest


def _pick_test_split(task: Any, card: LocalCard, name: str) -> None:
    test = task.config.test_split or task.config.validation_split
    available = list(task.dataset or {})
    if test in available:
        return
    others = [s for s in card.splits if s != card.fewshot_split and s in available]
    if len(others) != 1:
        raise LocalCardError(
            f"{card.path}: field 'splits': no split {test!r} (the test split of {name}) and "
            f"not one other to use (splits: {', '.join(available)})"
        )
    task.config.test_split = others[0]
    task.config.validation_split = None


def feed_task(task: Any, card: LocalCard, splits: dict[str, list[dict[str, Any]]]) -> None:
    """Replace a built lm-eval task's records with the local ones (few-shot from the card's
    ``fewshot_split``, else the task's own few-shot split: none of the local data)."""
    from datasets import Dataset, DatasetDict

    dataset = DatasetDict({split: Dataset.from_list(rows) for split, rows in splits.items()})
    own_fewshot = task.config.fewshot_split
    if card.fewshot_split is None and own_fewshot and own_fewshot not in dataset:
        dataset[own_fewshot] = task.dataset[own_fewshot]
    task.dataset = dataset
    if card.fewshot_split is not None:
        task.config.fewshot_split = card.fewshot_split
