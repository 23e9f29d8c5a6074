"""Pseudonymisation outside a run: ``partages-bench score pseudonymisation`` (any system's
detections or rewritten notes, scored as the pseudonymisation tasks score a model's, leak rate
first) and the rule baseline ``pseudo-rules`` (``rules``).

Gold, one note a line (eds-pseudo's ``note_text`` is read as ``text``)::

    {"note_id": "n1", "text": "Mme Durand, née le 12/03/1961…",
     "entities": [{"start": 4, "end": 10, "label": "NOM"}]}

Predictions: ``{"note_id": "n1", "entities": [{"start": 4, "end": 10, "label": "NOM"}]}``
(detect; entities with offsets, or with texts ``{text, label}`` grounded like a model's
listing) and/or ``{"note_id": "n1", "text": "Mme Martin, née le…"}`` (rewrite).

With ``--task NAME``, notes and predictions are scored as that task scores them: its mode only,
its card's metrics, its labels (``family_fields.labels``: PARHAF's, with the ``mapped_``
statistics on eds-pseudo's), its id field (``id`` for the canonical records that ``data export``
writes, e.g. PARHAF's). Whole notes are scored: a system's answer is not cut into passages.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer

from partages_bench.cli_common import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    AsJson,
    Bootstrap,
    BootstrapSeed,
    console,
    gold_option,
    predictions_option,
    print_scores,
    text,
)
from partages_bench.errors import UserError
from partages_bench.families.pseudonymisation.labels import EDS_PSEUDO, SCHEMES, LabelScheme
from partages_bench.families.pseudonymisation.schemes import detect_stats, rewrite_stats
from partages_bench.families.pseudonymisation.scoring import Span, ground_listing
from partages_bench.inputs import InputFileError
from partages_bench.schema import MetricValue, SampleRecord, TaskCard
from partages_bench.scoring import by_id, entity_list, pair_predictions

from . import rules as pseudo_rules

# The cards whose metrics offline scoring reports, per mode.
SCORED_LIKE = {"detect": "pseudo_detect_eds", "rewrite": "pseudo_rewrite_eds"}


def _gold_note(
    where: str, record: dict[str, Any], scheme: LabelScheme = EDS_PSEUDO
) -> dict[str, Any]:
    """A gold note in our schema, also accepting eds-pseudo's (``note_text``, no entity texts);
    its labels those of ``scheme`` (its ``kept`` ones included)."""
    text = record.get("text", record.get("note_text"))
    if not isinstance(text, str):
        raise InputFileError(f"{where}: missing field 'text' (or 'note_text')")
    entities = []
    for i, entity in enumerate(entity_list(where, record)):
        start, end, label = entity.get("start"), entity.get("end"), entity.get("label")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise InputFileError(f"{where}: entities[{i}] has bad offsets {start}-{end}")
        if label not in scheme.labels and label not in scheme.kept:
            known = (*scheme.labels, *sorted(scheme.kept))
            raise InputFileError(f"{where}: entities[{i}].label '{label}' is not one of {known}")
        entities.append({**entity, "text": text[start:end]})
    return {**record, "text": text, "entities": entities}


def _detected(
    where: str, note: dict[str, Any], entities: Any, scheme: LabelScheme
) -> dict[str, float]:
    """Detect-mode statistics of predicted entities given with offsets or with texts."""
    if not isinstance(entities, list):
        return detect_stats(note, scheme, [], parsed=False, hallucinated=0, n_items=0)
    if entities and all(isinstance(e, dict) and "start" in e and "end" in e for e in entities):
        spans = []
        for i, entity in enumerate(entities):
            start, end = entity["start"], entity["end"]
            label = scheme.read(str(entity.get("label", "")))
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
                raise InputFileError(f"{where}: entities[{i}] has bad offsets {start}-{end}")
            if label is not None:
                spans.append(Span(start, min(end, len(note["text"])), label))
        return detect_stats(note, scheme, spans, True, hallucinated=0, n_items=len(entities))
    items = [
        (str(e.get("text", "")), label)
        for e in entities
        if isinstance(e, dict) and (label := scheme.read(str(e.get("label", "")))) is not None
    ]
    grounded = ground_listing(note["text"], items)
    return detect_stats(
        note,
        scheme,
        grounded.redacted,
        parsed=True,
        hallucinated=grounded.hallucinated,
        n_items=len(items),
        listed=grounded.listed,
    )


def _note_stats(
    item: tuple[str, dict[str, Any], dict[str, Any], Sequence[str], LabelScheme],
) -> list[dict[str, float]]:
    """One note's statistics in each mode, in order (a top-level function: worker processes
    import it). The modes of a note are scored together: they share its tokens (``_tokens``
    keeps the last texts'), and the note crosses to a worker once."""
    where, note, prediction, modes, scheme = item
    return [
        _detected(where, note, prediction.get("entities"), scheme)
        if mode == "detect"
        else rewrite_stats(note, prediction.get("text"), scheme)
        for mode in modes
    ]


# Below this many notes times modes, starting worker processes costs more than it saves.
PARALLEL_NOTES = 2000


def _ready() -> None:
    """Nothing: a worker that ran it has imported this module (``_NotePool.start``)."""


class _NotePool:
    """Scoring notes over one process per core, for large inputs: scoring a note is pure Python
    (alignment, tokenising, leak tests), about 1 ms a note and mode. Spawned workers, not
    forked: the parent may hold threads (BLAS, tokenizers)."""

    def __init__(self) -> None:
        self.workers = min(os.cpu_count() or 1, 8)
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start every worker now, so that they import the scoring code (about half a second
        each) while this process reads the files."""
        if self._executor is None and self.workers >= 2:
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            for _ in range(self.workers):  # a submitted task starts a worker when none is idle
                self._executor.submit(_ready)

    def map(self, function: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        """``map(function, items)``, in order, each result as soon as it and those before it are
        done; over the workers if they were started."""
        if self._executor is None:
            return map(function, items)
        # Small chunks: the last ones keep every worker busy until the end.
        chunk = max(1, len(items) // (self.workers * 32))
        return self._executor.map(function, items, chunksize=chunk)

    def release(self) -> None:
        """Let the workers exit (about half a second) while this process goes on."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    def __enter__(self) -> _NotePool:
        return self

    def __exit__(self, *_: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)


def _line_count(path: Path) -> int:
    """Newlines in a file (an unreadable one counts none: reading it raises the error later)."""
    try:
        with path.open("rb") as handle:
            return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return 0


@contextlib.contextmanager
def _collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused: reading notes and collecting their statistics
    allocate millions of containers, none in a cycle, and each full collection walked all of
    them again (a third of the time spent reading 10,000 notes)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_FIELDS = {"detect": "entities", "rewrite": "text"}


def _task_card(task: str) -> tuple[TaskCard, str, LabelScheme]:
    """The card of ``--task``, its mode and its label scheme (its family fields as the family's
    ``card_fields`` reads them, defaults included)."""
    from partages_bench.families import get_family
    from partages_bench.registry import Registry

    card = Registry.discover().card(task)
    family = get_family(card.family)
    if family.name != "pseudonymisation" or family.card_fields is None:
        raise UserError(f"--task {task}: a task of family {card.family}, not pseudonymisation")
    fields = family.card_fields.model_validate(card.family_fields).model_dump()
    return card, fields["mode"], SCHEMES[fields["labels"]]


def score_pseudonymisation(
    gold_path: Path,
    predictions_path: Path,
    bootstrap_iterations: int,
    seed: int,
    task: str | None = None,
) -> dict[str, tuple[TaskCard, dict[str, MetricValue]]]:
    """Gold notes and predictions ``{note_id, entities}`` (detect) and/or ``{note_id, text}``
    (rewrite), scored like the pseudonymisation tasks; one result per mode present. With
    ``task``, scored as that task scores its notes (its mode, card, labels and id field).

    For large inputs the workers start before the files are read, and the records of the notes
    scored are made while the workers score the next ones (issue 17)."""
    from partages_bench.registry import Registry
    from partages_bench.report import metric_values

    if task is None:
        cards, scheme, id_field = None, EDS_PSEUDO, "note_id"
    else:
        card, mode, scheme = _task_card(task)
        cards, id_field = {mode: card}, card.doc_id_field
    with _collection_paused(), _NotePool() as pool:
        if _line_count(gold_path) >= PARALLEL_NOTES:
            pool.start()
        pairs = pair_predictions(gold_path, predictions_path, id_field=id_field)
        notes = [_gold_note(f"{gold_path} note '{key}'", gold, scheme) for key, gold, _ in pairs]
        modes = {
            mode
            for _, _, prediction in pairs
            for mode, field in _FIELDS.items()
            if field in prediction and (cards is None or mode in cards)
        }
        if not modes:
            wanted = " or ".join(f"'{_FIELDS[mode]}'" for mode in cards or _FIELDS)
            raise InputFileError(f"{predictions_path}: predictions need {wanted}")
        for key, _, prediction in pairs:
            if not isinstance(prediction.get("text", ""), str | None):
                raise InputFileError(
                    f"{predictions_path} note '{key}': text must be a string (the rewritten note)"
                )
        if cards is None:
            registry = Registry.discover()
            cards = {mode: registry.card(SCORED_LIKE[mode]) for mode in modes}
        ordered = sorted(modes)
        if len(pairs) * len(ordered) >= PARALLEL_NOTES:
            pool.start()
        keys = [key for key, _, _ in pairs]
        # The values of the cards' breakdown fields (e.g. speciality), per note.
        fields = sorted({field for card in cards.values() for field in card.breakdown})
        groups = [{field: str(note.get(field)) for field in fields} for note in notes]
        items = [
            (f"{predictions_path} note '{key}'", note, prediction, ordered, scheme)
            for (key, _, prediction), note in zip(pairs, notes, strict=True)
        ]
        del pairs, notes  # each note is freed once scored, not all at the end
        stats = pool.map(_note_stats, items)
        del items
        records: list[list[SampleRecord]] = [[] for _ in ordered]
        for index, (key, note_groups, note_stats) in enumerate(
            zip(keys, groups, stats, strict=True)
        ):
            for mode_records, s in zip(records, note_stats, strict=True):
                record = SampleRecord(
                    doc_index=index,
                    doc_id=key,
                    prompt="",
                    output="",
                    target="",
                    stats=s,
                    groups=note_groups,
                )
                mode_records.append(record)
        pool.release()
        results = {}
        for mode, mode_records in zip(ordered, records, strict=True):
            card = cards[mode]
            results[mode] = (card, metric_values(card, mode_records, bootstrap_iterations, seed))
    return results


def rule_prediction(note_text: str) -> dict[str, Any]:
    """The regex baseline's answer to one note in both modes: the spans it detects, and the
    note with each of them replaced by a placeholder."""
    spans = pseudo_rules.detect(note_text)
    return {
        "entities": [{"start": s.start, "end": s.end, "label": s.label} for s in spans],
        "text": pseudo_rules.rewrite(note_text),
    }


def rule_baseline_predictions(gold_path: Path) -> list[dict[str, Any]]:
    """The regex baseline's answers to every note of a gold file (``rule_prediction``)."""
    return [
        {"note_id": key, **rule_prediction(_gold_note(where, record)["text"])}
        for key, (where, record) in by_id(gold_path, "note_id").items()
    ]


def score_command(
    gold: gold_option("Gold notes JSONL {note_id, text, entities}."),
    predictions: predictions_option(
        "JSONL {note_id, entities} (detect) and/or {note_id, text} (rewrite)."
    ),
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
    task: Annotated[
        str | None,
        typer.Option(
            help="Score as this task does (its mode, labels and metrics; gold: its records "
            "as 'data export' writes them)."
        ),
    ] = None,
) -> None:
    """Score any pseudonymisation system (LLM or not): leak rate first, per mode present."""
    results = score_pseudonymisation(gold, predictions, bootstrap, seed, task)
    print_scores({mode: metrics for mode, (_, metrics) in results.items()}, as_json)


def baseline_command(
    gold: gold_option("Notes JSONL {note_id, text, entities}."),
    output: Annotated[Path, typer.Option(help="Where to write the predictions JSONL.")],
) -> None:
    """Regexes for phones, NIR, dates, e-mails, postcodes, IPP/NDA (no names), in both modes."""
    from partages_bench.outputs import write_jsonl

    predictions = rule_baseline_predictions(gold)
    write_jsonl(predictions, output)
    console().print(
        f"{len(predictions)} notes written to {text(output)} (entities and rewritten text)"
    )
