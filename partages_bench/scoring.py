"""Offline scoring: outputs produced elsewhere, scored with the same code and metrics as a run.

Input files are JSON arrays or JSON lines. Every problem with them is a ``UserError`` naming the
file, the line or record, and the field; a model's malformed answer is never a problem, only a
wrong answer.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .baselines import pseudo_rules
from .errors import UserError
from .families.ner import SCHEMAS, label_key, score_spans
from .families.ner import ground as ground_entities
from .families.pseudonymisation import (
    LABELS,
    Span,
    canonical_label,
    ground_listing,
    score_detect,
    score_rewrite,
)
from .families.qa import parse_letters, random_answer, score_answer
from .inputs import InputFileError, read_records
from .registry import Registry
from .report import metric_values
from .schema import MetricValue, SampleRecord, TaskCard

QA_CARD = "frenchmedmcqa"


def _field(where: str, record: dict[str, Any], name: str) -> Any:
    if name not in record:
        raise InputFileError(f"{where}: missing field '{name}'")
    return record[name]


def _by_id(path: Path, id_field: str) -> dict[str, tuple[str, dict[str, Any]]]:
    indexed: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, record in read_records(path):
        key = str(_field(where, record, id_field))
        if key in indexed:
            raise InputFileError(f"{where}: {id_field} '{key}' appears twice")
        indexed[key] = (where, record)
    if not indexed:
        raise InputFileError(f"{path}: no records")
    return indexed


def _gold_letters(where: str, record: dict[str, Any]) -> list[str]:
    letters = _field(where, record, "correct_answers")
    if (
        not isinstance(letters, list)
        or not letters
        or not all(isinstance(x, str) and x.lower() in "abcde" and len(x) == 1 for x in letters)
    ):
        raise InputFileError(f"{where}: correct_answers must be a list of letters a-e")
    return letters


def pair_predictions(
    gold_path: Path, predictions_path: Path, id_field: str = "id"
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(id, gold record, prediction record) in gold order; every id must be on both sides."""
    gold = _by_id(gold_path, id_field)
    predictions = _by_id(predictions_path, id_field)
    for key, (where, _) in predictions.items():
        if key not in gold:
            raise InputFileError(f"{where}: {id_field} '{key}' is not in {gold_path}")
    missing = [key for key in gold if key not in predictions]
    if missing:
        raise InputFileError(
            f"{predictions_path}: no prediction for {len(missing)} of {len(gold)} gold records "
            f"(first: {id_field} '{missing[0]}')"
        )
    return [(key, record, predictions[key][1]) for key, (_, record) in gold.items()]


def score_qa(
    gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> tuple[TaskCard, dict[str, MetricValue]]:
    """FrenchMedMCQA-schema gold and ``{id, output}`` predictions, scored like ``frenchmedmcqa``."""
    card = Registry.discover().card(QA_CARD)
    records = []
    for index, (key, gold, prediction) in enumerate(pair_predictions(gold_path, predictions_path)):
        letters = _gold_letters(f"{gold_path} id '{key}'", gold)
        output = prediction.get("output")
        output = "" if output is None else str(output)
        records.append(
            SampleRecord(
                doc_index=index,
                doc_id=key,
                prompt="",
                output=output,
                target=",".join(letters),
                stats=score_answer(parse_letters(output), letters),
            )
        )
    return card, metric_values(card, records, bootstrap_iterations, seed)


def random_qa_predictions(gold_path: Path, seed: int) -> list[dict[str, str]]:
    """A chance-level system: a uniformly random non-empty answer set per question, seeded."""
    return [{"id": key, "output": random_answer(seed, key)} for key in _by_id(gold_path, "id")]


# --- pseudonymisation -------------------------------------------------------------------------

PSEUDO_CARDS = {"detect": "pseudo_detect_eds", "rewrite": "pseudo_rewrite_eds"}


def _gold_note(where: str, record: dict[str, Any]) -> dict[str, Any]:
    """A gold note in our schema, also accepting eds-pseudo's (``note_text``, no entity texts)."""
    text = record.get("text", record.get("note_text"))
    if not isinstance(text, str):
        raise InputFileError(f"{where}: missing field 'text' (or 'note_text')")
    entities = []
    for i, entity in enumerate(_entity_list(where, record)):
        start, end, label = entity.get("start"), entity.get("end"), entity.get("label")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise InputFileError(f"{where}: entities[{i}] has bad offsets {start}-{end}")
        if label not in LABELS:
            raise InputFileError(f"{where}: entities[{i}].label '{label}' is not one of {LABELS}")
        entities.append({**entity, "text": text[start:end]})
    return {**record, "text": text, "entities": entities}


def _detected(where: str, note: dict[str, Any], entities: Any) -> dict[str, float]:
    """Detect-mode statistics of predicted entities given with offsets or with texts."""
    if not isinstance(entities, list):
        return score_detect(note, [], parsed=False, hallucinated=0, n_items=0)
    if entities and all(isinstance(e, dict) and "start" in e and "end" in e for e in entities):
        spans = []
        for i, entity in enumerate(entities):
            start, end = entity["start"], entity["end"]
            label = canonical_label(str(entity.get("label", "")))
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
                raise InputFileError(f"{where}: entities[{i}] has bad offsets {start}-{end}")
            if label is not None:
                spans.append(Span(start, min(end, len(note["text"])), label))
        return score_detect(note, spans, parsed=True, hallucinated=0, n_items=len(entities))
    items = [
        (str(e.get("text", "")), label)
        for e in entities
        if isinstance(e, dict) and (label := canonical_label(str(e.get("label", "")))) is not None
    ]
    grounded = ground_listing(note["text"], items)
    return score_detect(
        note,
        grounded.redacted,
        parsed=True,
        hallucinated=grounded.hallucinated,
        n_items=len(items),
        listed=grounded.listed,
    )


def _note_stats(
    item: tuple[str, dict[str, Any], dict[str, Any], Sequence[str]],
) -> list[dict[str, float]]:
    """One note's statistics in each mode, in order (a top-level function: worker processes
    import it). The modes of a note are scored together: they share its tokens (``_tokens``
    keeps the last texts'), and the note crosses to a worker once."""
    where, note, prediction, modes = item
    return [
        _detected(where, note, prediction.get("entities"))
        if mode == "detect"
        else score_rewrite(note, prediction.get("text"))
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


def score_pseudonymisation(
    gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> dict[str, tuple[TaskCard, dict[str, MetricValue]]]:
    """Gold notes and predictions ``{note_id, entities}`` (detect) and/or ``{note_id, text}``
    (rewrite), scored like the pseudonymisation tasks; one result per mode present.

    For large inputs the workers start before the files are read, and the records of the notes
    scored are made while the workers score the next ones (issue 17)."""
    with _collection_paused(), _NotePool() as pool:
        if _line_count(gold_path) >= PARALLEL_NOTES:
            pool.start()
        pairs = pair_predictions(gold_path, predictions_path, id_field="note_id")
        notes = [_gold_note(f"{gold_path} note '{key}'", gold) for key, gold, _ in pairs]
        modes = {
            mode
            for _, _, prediction in pairs
            for mode, field in (("detect", "entities"), ("rewrite", "text"))
            if field in prediction
        }
        if not modes:
            raise InputFileError(f"{predictions_path}: predictions need 'entities' or 'text'")
        for key, _, prediction in pairs:
            if not isinstance(prediction.get("text", ""), str | None):
                raise InputFileError(
                    f"{predictions_path} note '{key}': text must be a string (the rewritten note)"
                )
        registry = Registry.discover()
        ordered = sorted(modes)
        if len(pairs) * len(ordered) >= PARALLEL_NOTES:
            pool.start()
        keys = [key for key, _, _ in pairs]
        items = [
            (f"{predictions_path} note '{key}'", note, prediction, ordered)
            for (key, _, prediction), note in zip(pairs, notes, strict=True)
        ]
        del pairs, notes  # each note is freed once scored, not all at the end
        stats = pool.map(_note_stats, items)
        del items
        records: list[list[SampleRecord]] = [[] for _ in ordered]
        for index, (key, note_stats) in enumerate(zip(keys, stats, strict=True)):
            for mode_records, s in zip(records, note_stats, strict=True):
                record = SampleRecord(
                    doc_index=index, doc_id=key, prompt="", output="", target="", stats=s
                )
                mode_records.append(record)
        pool.release()
        results = {}
        for mode, mode_records in zip(ordered, records, strict=True):
            card = registry.card(PSEUDO_CARDS[mode])
            results[mode] = (card, metric_values(card, mode_records, bootstrap_iterations, seed))
    return results


def rule_baseline_predictions(gold_path: Path) -> list[dict[str, Any]]:
    """The regex baseline's answers in both modes: detected spans, and the note with each
    detected span replaced by a placeholder."""
    predictions = []
    for key, (where, record) in _by_id(gold_path, "note_id").items():
        text = _gold_note(where, record)["text"]
        spans = pseudo_rules.detect(text)
        predictions.append(
            {
                "note_id": key,
                "entities": [{"start": s.start, "end": s.end, "label": s.label} for s in spans],
                "text": pseudo_rules.rewrite(text),
            }
        )
    return predictions


# --- NER ----------------------------------------------------------------------------------------

# Every NER task shares one metric block (tasks/ner/_ner_template_yaml): any NER card will do.
NER_CARD = "e3c_fr"
SCHEMA_NAMES = tuple(schema.name for schema in SCHEMAS)


def _offsets(where: str, entity: Any, text: str) -> tuple[int, int]:
    start, end = entity.get("start"), entity.get("end")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise InputFileError(f"{where} has bad offsets {start}-{end} (text of {len(text)} chars)")
    return start, end


def _entity_list(where: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    entities = _field(where, record, "entities")
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise InputFileError(f"{where}: entities must be a list of objects")
    return entities


def _ner_gold(where: str, record: dict[str, Any]) -> tuple[str, list[Span]]:
    text = _field(where, record, "text")
    if not isinstance(text, str):
        raise InputFileError(f"{where}: text must be a string")
    spans = []
    for i, entity in enumerate(_entity_list(where, record)):
        label = entity.get("label")
        if not isinstance(label, str) or not label:
            raise InputFileError(f"{where}: entities[{i}].label must be a non-empty string")
        spans.append(Span(*_offsets(f"{where}: entities[{i}]", entity, text), label))
    return text, spans


def _ner_predicted(
    where: str, text: str, record: dict[str, Any], read_label: Callable[[str], str]
) -> tuple[list[Span], list[str], int]:
    """Predicted spans, labels of the texts found nowhere, and how many entities were listed;
    entities come with offsets ``{start, end, label}`` or with texts ``{text, label}``. A span
    listed twice stays twice (nervaluate counts the second spurious): never merged."""
    spans, items = [], []
    entities = _entity_list(where, record)
    for i, entity in enumerate(entities):
        label = read_label(str(entity.get("label", "")))
        if "start" in entity or "end" in entity:
            spans.append(Span(*_offsets(f"{where}: entities[{i}]", entity, text), label))
        elif isinstance(entity.get("text"), str):
            items.append((entity["text"], label))
        else:
            raise InputFileError(f"{where}: entities[{i}] needs start and end, or text")
    grounding = ground_entities(text, items)
    return sorted([*spans, *grounding.spans]), grounding.hallucinated, len(entities)


def score_ner(
    gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> tuple[TaskCard, dict[str, MetricValue]]:
    """Gold ``{doc_id, text, entities: [{start, end, label}]}`` and predictions ``{doc_id,
    entities}`` (offsets, or texts grounded in the gold text like a model's answer), scored
    like the NER tasks over the labels of gold and predictions."""
    pairs = pair_predictions(gold_path, predictions_path, id_field="doc_id")
    golds = [_ner_gold(f"{gold_path} doc '{key}'", gold) for key, gold, _ in pairs]
    gold_labels = sorted({span.label for _, spans in golds for span in spans})
    known = {label_key(label): label for label in gold_labels}

    @functools.cache  # a file spells its few labels again and again
    def read_label(raw: str) -> str:
        return known.get(label_key(raw), raw)

    predicted = [
        _ner_predicted(f"{predictions_path} doc '{key}'", text, prediction, read_label)
        for (key, _, prediction), (text, _) in zip(pairs, golds, strict=True)
    ]
    labels = sorted({*gold_labels, *(s.label for spans, _, _ in predicted for s in spans)})
    records = []
    for index, ((key, _, _), (_, gold), (spans, unplaced, listed)) in enumerate(
        zip(pairs, golds, predicted, strict=True)
    ):
        stats = score_spans(gold, spans, labels, unplaced) | {
            "hallucinated_num": len(unplaced),
            "hallucinated_den": listed,
            "unknown_label_num": 0,
            "unknown_label_den": listed,
            "unparsable_num": 0,
            "unparsable_den": 1,
        }
        records.append(
            SampleRecord(doc_index=index, doc_id=key, prompt="", output="", target="", stats=stats)
        )
    card = Registry.discover().card(NER_CARD)
    return card, metric_values(card, records, bootstrap_iterations, seed)


def nest_ner_metrics(metrics: dict[str, MetricValue]) -> dict[str, Any]:
    """Flat NER metric names regrouped: ``{schema: {precision|recall|f1: {micro, macro,
    LABEL: value}}}``, the other metrics (hallucination_rate…) as they are."""
    nested: dict[str, Any] = {}
    for name, value in metrics.items():
        metric, _, label = name.partition("/label=")
        schema, _, measure = metric.partition("_")
        if schema not in SCHEMA_NAMES or "/" in measure:
            nested[name] = value.model_dump()
            continue
        scope = "macro" if measure.startswith("macro_") else (label or "micro")
        measure = measure.removeprefix("macro_")
        nested.setdefault(schema, {}).setdefault(measure, {})[scope] = value.model_dump()
    return nested


# --- summarisation ------------------------------------------------------------------------------

SUMMARY_CARD = "record_summary"  # its card holds every summarisation metric
# An output is scored on its first characters: ROUGE's longest common subsequence and the fact
# and drug searches grow with its length (a 50 MB answer took minutes and gigabytes), and no
# summary is this long (about 3,000 words). The notes say which outputs were cut.
MAX_SCORED_CHARS = 20_000
SUMMARY_METRICS = {
    "rouge": ("rouge1", "rouge2", "rougeL"),
    "bertscore": ("bertscore_f1", "bertscore_precision", "bertscore_recall"),
    "facts": ("key_fact_recall",),
    "unsupported": ("unsupported_rate", "unsupported_summary_rate"),
    "length": ("length_ratio", "compression", "empty_rate"),
}


def _text_field(where: str, record: dict[str, Any], name: str, required: bool) -> str | None:
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InputFileError(f"{where}: {name} must be a string")
    return value


def _key_facts(where: str, record: dict[str, Any]) -> list[dict[str, Any]] | None:
    facts = record.get("key_facts")
    if facts is None:
        return None
    for i, fact in enumerate(facts if isinstance(facts, list) else [None]):
        forms = fact.get("forms") if isinstance(fact, dict) else None
        if not (
            isinstance(fact, dict)
            and isinstance(fact.get("type"), str)
            and isinstance(forms, list)
            and forms
            and all(isinstance(part, list) and part for part in forms)
            and all(isinstance(form, str) for part in forms for form in part)
        ):
            raise InputFileError(
                f"{where}: key_facts[{i}] must be {{type, forms: [[form, …], …]}} (a list)"
            )
    return facts


def score_summarisation(
    gold_path: Path,
    predictions_path: Path,
    metrics: Sequence[str],
    bertscore: Any,
    bootstrap_iterations: int,
    seed: int,
) -> tuple[dict[str, MetricValue], list[str]]:
    """Gold ``{id, reference, source?, key_facts?}`` and predictions ``{id, output}``, scored
    with the summarisation metrics named in ``metrics`` (``SUMMARY_METRICS`` groups); ROUGE,
    facts, unsupported content and lengths need no model. ``bertscore`` is a
    ``BertScorer`` or the reason it could not load (needed only with ``bertscore``). Returns
    the metrics and the notes to show (what was not computed, and why)."""
    from .families.summarisation import DrugLexicon, add_bertscore, summary_stats
    from .generator import drug_lexicon

    unknown = sorted(set(metrics) - set(SUMMARY_METRICS))
    if unknown:
        raise UserError(
            f"--metrics: unknown {', '.join(unknown)}; choose among {', '.join(SUMMARY_METRICS)}"
        )
    pairs = pair_predictions(gold_path, predictions_path)
    golds = []
    for key, gold, _ in pairs:
        where = f"{gold_path} id '{key}'"
        reference = _text_field(where, gold, "reference", required=True)
        golds.append(
            (reference, _text_field(where, gold, "source", False), _key_facts(where, gold))
        )
    notes = []
    with_facts = "facts" in metrics and any(facts is not None for *_, facts in golds)
    has_source = all(source is not None for _, source, _ in golds)
    with_source = "unsupported" in metrics and has_source
    if "facts" in metrics and not with_facts:
        notes.append("key facts not scored: the gold file has no key_facts")
    if "unsupported" in metrics and not with_source:
        notes.append("unsupported content not scored: some gold records have no source")
    types = sorted({fact["type"] for *_, facts in golds for fact in facts or []})
    drugs = DrugLexicon(drug_lexicon()) if with_source else None
    records = []
    cut = []
    for index, ((key, _, prediction), (reference, source, facts)) in enumerate(
        zip(pairs, golds, strict=True)
    ):
        output = _text_field(f"{predictions_path} id '{key}'", prediction, "output", True)
        if len(output) > MAX_SCORED_CHARS:
            cut.append(key)
            output = output[:MAX_SCORED_CHARS]
        stats = summary_stats(
            output, reference, source or "", (facts or []) if with_facts else None, types, drugs
        )
        records.append(
            SampleRecord(
                doc_index=index, doc_id=key, prompt="", output=output, target=reference, stats=stats
            )
        )
    if cut:
        notes.append(
            f"{len(cut)} output(s) longer than {MAX_SCORED_CHARS} characters scored on their "
            f"first {MAX_SCORED_CHARS} characters (id {', '.join(repr(key) for key in cut[:5])}"
            f"{', …' if len(cut) > 5 else ''})"
        )
    if "bertscore" in metrics:
        if isinstance(bertscore, str):
            notes.append(f"BERTScore not computed: {bertscore}")
        else:
            records = add_bertscore(records, bertscore)
            described = ", ".join(f"{k} {v}" for k, v in bertscore.description.items())
            notes.append(f"BERTScore: {described}")
    card = Registry.discover().card(SUMMARY_CARD)
    chosen = {name for group in metrics for name in SUMMARY_METRICS[group]}
    if not has_source:
        chosen.discard("compression")
    keys = set(records[0].stats)
    kept = {
        name: metric
        for name, metric in card.metrics.items()
        if name in chosen and any(key.startswith(metric.stat or name) for key in keys)
    }
    card = card.model_copy(update={"metrics": kept, "breakdown": []})
    return metric_values(card, records, bootstrap_iterations, seed), notes
