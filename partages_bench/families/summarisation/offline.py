"""``partages-bench score summarisation``: summaries produced elsewhere, scored with the
summarisation tasks' metrics (key-fact recall, unsupported content, French ROUGE, lengths; no
model needed) and BERTScore on request.

Gold, one document a line (``source`` and ``key_facts`` optional)::

    {"id": "s1", "reference": "Patient de 54 ans hospitalisé pour pneumopathie…",
     "source": "…the record…", "key_facts": [{"type": "age", "forms": [["54 ans"]]}]}

Predictions: ``{"id": "s1", "output": "…the summary…"}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from partages_bench.cli_common import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    AsJson,
    BertScoreLayers,
    BertScoreModel,
    Bootstrap,
    BootstrapSeed,
    console,
    gold_option,
    predictions_option,
    print_scores,
    text,
)
from partages_bench.errors import UserError
from partages_bench.inputs import InputFileError, strict_json
from partages_bench.option_types import split_list
from partages_bench.schema import MetricValue, SampleRecord

SCORED_LIKE = "record_summary"  # its card holds every summarisation metric
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
MODEL_FREE_METRICS = ("rouge", "facts", "unsupported", "length")


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
    from partages_bench.generator import drug_lexicon
    from partages_bench.registry import Registry
    from partages_bench.report import metric_values
    from partages_bench.scoring import pair_predictions

    from .scoring import DrugLexicon, add_bertscore, summary_stats

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
    card = Registry.discover().card(SCORED_LIKE)
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


def score_command(
    gold: gold_option("Gold JSONL {id, reference, source?, key_facts?}."),
    predictions: predictions_option("JSONL of {id, output}."),
    metrics: Annotated[
        str,
        typer.Option(help="Comma-separated: rouge, facts, unsupported, length, bertscore."),
    ] = ",".join(MODEL_FREE_METRICS),
    bertscore_model: BertScoreModel = None,
    bertscore_layers: BertScoreLayers = None,
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score summaries: key-fact recall, unsupported content, French ROUGE, lengths (no model
    needed) and BERTScore on request; JSON keyed rouge1, rougeL, key_fact_recall, bertscore_f1…"""
    chosen = split_list([metrics])
    scorer: object = None
    if "bertscore" in chosen:
        from .scoring import load_bertscorer

        options = {} if bertscore_layers is None else {"num_layers": bertscore_layers}
        scorer = load_bertscorer(bertscore_model, **options)
    values, notes = score_summarisation(gold, predictions, chosen, scorer, bootstrap, seed)
    if as_json:
        payload = {name: metric.model_dump() for name, metric in values.items()}
        print(strict_json(payload | {"notes": notes}, indent=2, ensure_ascii=False))
        return
    print_scores({"summarisation": values}, as_json=False)
    for note in notes:
        console().print(f"[yellow]{text(note)}[/]")
