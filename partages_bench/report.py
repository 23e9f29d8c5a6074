"""Score reports: from lm-eval's per-sample output to a task's result (``TaskResult``) and its
per-sample records, and a report as markdown; ``rundir`` writes them into the run folder.

The report is rewritten (atomically) after every finished task, so a crash in task 3 keeps
tasks 1 and 2. Nothing in it depends on the clock except ``provenance.start_time``,
``end_time`` and ``duration_seconds``: two runs with the same inputs differ only there.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import TaskCardError
from .families import get_family
from .privacy import holds_identifiers, phi_masker, salt_for
from .schema import MetricValue, Report, SampleRecord, TaskCard, TaskResult
from .stats import MetricSpec, estimate_all

# Fields of lm-eval's dumped task metadata that name this machine, not the task: the task file,
# and the data mirror the runner passes to the loaders.
_MACHINE_FIELDS = ("config_source", "data_dir")
# The one lm-eval metric of every task: the dict of a document's statistics, which process_results
# returns and our metrics aggregate (its lm-eval aggregation is NaN: families.unaggregated).
STATS_METRIC = "stats"
_MEMORY_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def task_hash(config: Mapping[str, Any], card: TaskCard | None = None) -> str:
    """sha256 of the task as lm-eval built it: prompt functions (as source), splits, few-shot,
    generation settings — and the card as partages-bench reads it (``card``: templates merged
    in; lm-eval's own ``metadata`` is the task file's alone, so a metric defined in a family
    template would otherwise be left out) with the content of its JSON schema, if it offers one
    (``structured``) — so any change to the prompt, the metric or the schema changes it.

    lm-eval writes a function whose source ``inspect`` cannot read as its repr, memory address
    included; the address is dropped so that the hash never depends on the process."""
    metadata = {k: v for k, v in config.get("metadata", {}).items() if k not in _MACHINE_FIELDS}
    if card is not None:
        metadata["card"] = card.model_dump(mode="json", exclude={"path"})
        if card.json_schema is not None:
            from .structured import load_schema

            metadata["json_schema"] = load_schema(card)
    text = _canonical_json({**config, "metadata": metadata})
    return _sha256_text(_MEMORY_ADDRESS.sub(">", text))


def data_hash(records: Iterable[SampleRecord]) -> str:
    """sha256 of the evaluated documents' ``doc_hash``, in record order: read from the per-sample
    log, so that ``report merge`` recomputes the hash a single run gives."""
    return _sha256_text("\n".join(record.doc_hash for record in records))


def metric_specs(card: TaskCard, records: list[SampleRecord]) -> list[MetricSpec]:
    """The card's metrics, and for a ``per_label`` metric one more per label found in the
    per-sample statistics (columns ``{stat}.{label}_…``), named ``metric/label=LABEL``. An
    ``optional`` metric whose statistics no record has (BERTScore without its model) is left
    out; the task's notes say why."""
    keys = {key for record in records for key in record.stats}
    specs = []
    for name, metric in card.metrics.items():
        source = metric.stat or name
        if metric.optional and not any(k == source or k.startswith(source) for k in keys):
            continue
        specs.append(MetricSpec(name, metric.aggregation, source, metric.higher_is_better))
        if metric.per_label:
            prefix = f"{source}."
            labels = sorted(
                {k[len(prefix) :].rsplit("_", 1)[0] for k in keys if k.startswith(prefix)}
            )
            specs += [
                MetricSpec(
                    f"{name}/label={label}",
                    metric.aggregation,
                    f"{prefix}{label}",
                    metric.higher_is_better,
                )
                for label in labels
            ]
    return specs


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else _canonical_json(value)


def _output_and_target(sample: dict[str, Any]) -> tuple[str, str]:
    """What the model answered and what was expected, as text.

    For a multiple-choice task lm-eval logs one log-likelihood per choice: the output is the
    most probable choice and the target the gold choice, both as the continuation strings.
    """
    arguments = sample["arguments"]
    if len(arguments) > 1 and isinstance(sample["target"], int):
        scores = [response[0] for response in sample["filtered_resps"]]
        best = max(range(len(scores)), key=scores.__getitem__)
        return arguments[best][1].strip(), arguments[sample["target"]][1].strip()
    return _as_text(sample["filtered_resps"][0]), _as_text(sample["target"])


def _without_phi(
    doc: dict[str, Any], texts: list[str], salt: str, mask_fewshot: Callable[[str], str]
) -> list[str]:
    """Prompt, output and target with the document's identifiers masked (``privacy``); the
    prompt keeps only the evaluated note's own block — few-shot notes carry identifiers too, and
    a model may copy them into its answer: ``mask_fewshot`` masks theirs."""
    mentions = [(entity["text"], entity["label"]) for entity in doc.get("entities", [])]
    prompt, *rest = texts
    start = prompt.rfind(doc["text"]) if doc.get("text") else -1
    if start > 0:
        prompt = "[few-shot examples omitted] " + prompt[start:]
    mask_document = phi_masker(mentions, salt)
    return [mask_fewshot(mask_document(text)) for text in (prompt, *rest)]


def fewshot_mentions(fewshot_docs: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The (identifier, label) pairs of the notes few-shot examples are drawn from."""
    return [
        (entity["text"], entity["label"])
        for doc in fewshot_docs
        for entity in doc.get("entities", [])
    ]


def _statistics(card: TaskCard, sample: Mapping[str, Any]) -> dict[str, float]:
    """The statistics of one logged sample: its task's ``process_results`` returns exactly one
    key, ``stats``, a dict of named numbers (CONTRIBUTING.md, Adding a task); anything else is
    the task's error, named with its key rather than read half-way."""
    keys = list(sample["metrics"])
    value = sample.get(STATS_METRIC)
    if keys == [STATS_METRIC] and isinstance(value, dict):
        return value
    other = next((key for key in keys if key != STATS_METRIC), None)
    if other is not None:
        problem = f"returned the key '{other}'"
    elif STATS_METRIC not in keys:
        problem = f"returned no '{STATS_METRIC}'"
    else:
        problem = f"returned '{STATS_METRIC}' as a {type(value).__name__}, not a dict"
    raise TaskCardError(
        f"{card.path}: task {card.name}: process_results {problem}; it must return only "
        f'{{"{STATS_METRIC}": {{statistic: number, ...}}}}'
    )


def sample_records(
    card: TaskCard,
    logged: list[dict[str, Any]],
    phi_salt: str | None = None,
    fewshot_phi: Iterable[tuple[str, str]] = (),
) -> list[SampleRecord]:
    """lm-eval's logged samples as our per-sample records (one per document, after the card's
    ``combine`` reduction when several lm-eval documents make one: the combined record keeps
    its first document's ``doc_index``, so that shards of a task sort back into one run's order).
    With ``phi_salt``, the identifiers of the documents (``entities``), and ``fewshot_phi``
    (those of the notes few-shot examples come from), are masked in the texts."""
    mask_fewshot = phi_masker(fewshot_phi, phi_salt) if phi_salt is not None else None
    records = []
    for sample in sorted(logged, key=lambda s: s["doc_id"]):
        stats = _statistics(card, sample)
        doc = sample["doc"]
        output, target = _output_and_target(sample)
        prompt = _as_text(sample["arguments"][0][0])
        if phi_salt is not None and mask_fewshot is not None:
            prompt, output, target = _without_phi(
                doc, [prompt, output, target], phi_salt, mask_fewshot
            )
        records.append(
            SampleRecord(
                doc_index=sample["doc_id"],
                doc_id=str(doc.get(card.doc_id_field, sample["doc_id"])),
                doc_hash=sample["doc_hash"],
                prompt=prompt,
                output=output,
                target=target,
                stats=stats,
                groups={field: str(doc.get(field)) for field in card.breakdown},
            )
        )
    if card.combine is None:
        return records
    combine = get_family(card.family).combiners[card.combine]
    by_document: dict[str, list[SampleRecord]] = {}
    for record in records:
        by_document.setdefault(record.doc_id, []).append(record)
    return [
        combine(group).model_copy(update={"doc_hash": data_hash(group)})
        for group in by_document.values()
    ]


def metric_values(
    card: TaskCard,
    records: list[SampleRecord],
    bootstrap_iterations: int,
    seed: int,
    strata: str | None = None,
) -> dict[str, MetricValue]:
    """Every metric of the card with its CI, then per breakdown group as ``metric/field=value``;
    ``strata``: a group field stratifying every bootstrap (``report pool``: the site).

    A metric undefined on a subset (a ``nanmean`` metric no document of the group has, e.g. a
    field's accuracy in a speciality whose documents all leave the field empty) is left out: a
    report holds numbers only (``load_report`` refuses NaN)."""
    specs = metric_specs(card, records)
    subsets: dict[str, list[SampleRecord]] = {"": records}
    for field in card.breakdown:
        for value in sorted({r.groups[field] for r in records}):
            subsets[f"/{field}={value}"] = [r for r in records if r.groups[field] == value]
    direction = {spec.name: spec.higher_is_better for spec in specs}
    values = {}
    for suffix, subset in subsets.items():
        layers = None if strata is None else [r.groups[strata] for r in subset]
        estimates = estimate_all(
            [r.stats for r in subset], specs, bootstrap_iterations, seed, layers
        )
        for name, e in estimates.items():
            if math.isnan(e.value) or math.isnan(e.ci_low) or math.isnan(e.ci_high):
                continue
            values[f"{name}{suffix}"] = MetricValue(
                value=e.value, ci_low=e.ci_low, ci_high=e.ci_high, higher_is_better=direction[name]
            )
    return values


def score_task(
    card: TaskCard,
    lm_eval_results: Mapping[str, Any],
    bootstrap_iterations: int,
    seed: int,
    log_phi: bool = False,
    enrich: Callable[[list[SampleRecord]], list[SampleRecord]] | None = None,
    fewshot_phi: Iterable[tuple[str, str]] = (),
) -> tuple[TaskResult, list[SampleRecord]]:
    """Metrics with bootstrap CIs, and the per-sample log, for one task of one lm-eval run.

    Pseudonymisation logs never show identifiers in clear unless ``log_phi``, those of the
    few-shot notes (``fewshot_phi``) included. ``enrich`` adds statistics computed over all
    records at once (BERTScore, one batched model call).
    """
    logged = sorted(lm_eval_results["samples"][card.name], key=lambda s: s["doc_id"])
    config = lm_eval_results["configs"][card.name]
    hashed = task_hash(config, card)
    identifiers = holds_identifiers(card.family)
    masked = identifiers and not log_phi
    records = sample_records(card, logged, salt_for(hashed) if masked else None, fewshot_phi)
    hashes = hashed, data_hash(records)
    if enrich is not None:
        records = enrich(records)
    metrics = metric_values(card, records, bootstrap_iterations, seed)
    undefined = [spec.name for spec in metric_specs(card, records) if spec.name not in metrics]
    result = TaskResult(
        name=card.name,
        family=card.family,
        version=card.version,
        dataset=card.dataset,
        primary_metric=card.primary_metric,
        metrics=metrics,
        notes=[f"undefined on these documents (none is in its subset): {', '.join(undefined)}"]
        if undefined
        else [],
        n_samples=len(records),
        num_fewshot=int(config.get("num_fewshot") or 0),
        task_hash=hashes[0],
        data_hash=hashes[1],
        samples_in_clear=identifiers and log_phi,
    )
    return result, records


def skipped_result(card: TaskCard, reason: str, remedy: str | None = None) -> TaskResult:
    return TaskResult(
        name=card.name,
        family=card.family,
        version=card.version,
        dataset=card.dataset,
        primary_metric=card.primary_metric,
        skipped=reason,
        remedy=remedy,
    )


def format_metric(metric: MetricValue) -> str:
    return f"{metric.value:.3f} [{metric.ci_low:.3f}, {metric.ci_high:.3f}]"


def render_markdown(report: Report) -> str:
    """A human-readable summary: primary metrics, every metric, skipped tasks, provenance."""
    p, model = report.provenance, report.model
    weights = f", weights sha256 `{model.weights_sha256[:16]}…`" if model.weights_sha256 else ""
    lines = [
        f"# partages-bench report — {model.name}",
        "",
        f"Backend `{model.backend}` (lm-eval `{model.lm_eval_model}`){weights}. Seed {p.seed}, "
        f"limit {p.limit}, {p.bootstrap_iterations} bootstrap resamples (95 % CI)."
        + (" Prompts formatted with the model's chat template." if model.chat_template else "")
        + (
            " Answers of tasks offering a JSON schema constrained to it (--structured-output)."
            if model.structured_output
            else ""
        ),
        *(f"- {note}" for note in model.notes),
        "",
        "| task | family | n | primary metric | value [95 % CI] |",
        "|---|---|---|---|---|",
    ]
    ran = [t for t in report.tasks.values() if t.skipped is None]
    for task in ran:
        metric = task.metrics[task.primary_metric]
        lines.append(
            f"| {task.name} | {task.family} | {task.n_samples} | {task.primary_metric} "
            f"| {format_metric(metric)} |"
        )
    for task in ran:
        split = f", split {task.split}" if task.split else ""
        lines += ["", f"## {task.name} (v{task.version}, {task.num_fewshot}-shot{split})", ""]
        lines += [f"- `{name}` = {format_metric(m)}" for name, m in task.metrics.items()]
        lines += [f"- task hash `{task.task_hash}`", f"- data hash `{task.data_hash}`"]
        if task.context_check:
            lines.append(f"- prompt lengths: {task.context_check}")
        lines += [f"- {note}" for note in task.notes]
    skipped = [t for t in report.tasks.values() if t.skipped is not None]
    if skipped:
        lines += ["", "## Skipped", ""]
        lines += [
            f"- **{t.name}**: {t.skipped}" + (f"; get it with `{t.remedy}`" if t.remedy else "")
            for t in skipped
        ]
    lines += [
        "",
        "## Provenance",
        "",
        f"- partages-bench {p.partages_bench_version} (git {p.git_sha or 'n/a'}), "
        f"Python {p.python}, {p.platform}",
        "- " + ", ".join(f"{k} {v}" for k, v in p.libraries.items()),
        f"- command: `{' '.join(p.command)}`",
        f"- started {p.start_time}, "
        + (f"duration {p.duration_seconds:.1f} s" if p.duration_seconds is not None else "running"),
        "",
    ]
    return "\n".join(lines)
