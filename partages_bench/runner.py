"""``partages-bench run``: plan the tasks, load the model once, run each task through
``lm_eval.simple_evaluate``, score it with bootstrap CIs and write the report as tasks finish.

We wrap lm-eval, we do not rewrite it: prompts, few-shot sampling, batching and generation are
lm-eval's. What we add is around it: data that never comes from the hub, tasks that fail loudly,
per-sample statistics with real confidence intervals, and a report that says exactly what ran.
"""

from __future__ import annotations

import hashlib
import json
import platform
import random
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from . import __version__, structured
from .context import limited_count, plan_context
from .data import data_dir_from_env, get_dataset, is_available, missing_message, pull
from .data.pull import is_offline
from .endpoints import endpoint_failure, failure_reason, scrub
from .errors import DatasetMissingError, RunInterrupted, UserError
from .families import get_family
from .family import ModelMetricOptions, ModelMetrics
from .models import ENDPOINTS, Backend, describe, identity_key
from .options import SAME_SOFTWARE, RunOptions, validate_options
from .outputs import check_output_folder
from .privacy import holds_identifiers
from .quiet import silence_lm_eval, silence_loaded_libraries
from .registry import Registry
from .report import fewshot_mentions, format_metric, score_task, skipped_result
from .rundir import (
    REPORT_JSON,
    cache_path,
    load_report,
    prepare_output,
    recorded_options,
    remove_cache,
    remove_earlier_run,
    same_run,
    save_run_options,
    write_report,
    write_samples,
)
from .schema import Provenance, Report, TaskCard, TaskResult
from .sharding import EMPTY_SHARD, Shard, select_shard

LIBRARIES = ("lm_eval", "transformers", "torch", "datasets", "numpy")


def resume_options(folder: Path, overrides: dict[str, Any], command: list[str]) -> RunOptions:
    """The options of the run in ``folder``, with the allowed ``overrides``, to continue it."""
    return replace(recorded_options(folder, overrides, "resume"), resume=True, command=command)


def software() -> dict[str, Any]:
    """The provenance fields naming the software here: a run is only resumed, and a rerun only
    expected to match, with the same (``git_sha`` aside: a commit may change nothing)."""
    return {
        "partages_bench_version": __version__,
        "git_sha": _git_sha(),
        "libraries": {name: _version(name) for name in LIBRARIES},
        "python": platform.python_version(),
    }


@dataclass(frozen=True)
class Skip:
    """Why a task does not run here, in a few words, and the one command that makes it
    runnable (None when no command does: a backend that cannot answer it)."""

    reason: str
    remedy: str | None = None


def _download_problem(dataset: str) -> str | None:
    """None if the missing dataset could be pulled now, else why not."""
    if is_offline():
        return "offline"
    try:
        pull(dataset, timeout=10)
        return None
    except UserError as exc:
        return f"download failed: {exc}"


def _not_here(data_dir: Path | None) -> str:
    """Where a missing dataset was looked for, in short: the folders the user named, if any."""
    named = [str(root) for root in (data_dir, data_dir_from_env()) if root is not None]
    return f"not in {', '.join(dict.fromkeys(named))}" if named else "not downloaded"


def _unsupported(
    cards: Sequence[TaskCard], selectors: Sequence[str], unsupported: Mapping[str, str]
) -> dict[str, Skip]:
    """Tasks the backend cannot answer (log-likelihood on a chat endpoint…) and why, with the
    generative variant to run instead; one error, before any request, if one was named."""
    refused = {}
    for card in cards:
        if card.requires not in unsupported:
            continue
        instead = f"; run {card.generative_variant} instead" if card.generative_variant else ""
        refused[card.name] = Skip(f"needs {card.requires}: {unsupported[card.requires]}{instead}")
    named = [f"{name} {skip.reason}" for name, skip in refused.items() if name in selectors]
    if named:
        raise UserError("this backend cannot run task " + " | ".join(named))
    return refused


def plan_tasks(
    cards: Sequence[TaskCard],
    selectors: Sequence[str],
    data_dir: Path | None,
    unsupported: Mapping[str, str] | None = None,
) -> tuple[list[TaskCard], dict[str, Skip]]:
    """Tasks that can run, and the ones skipped with their reason.

    A task named explicitly that cannot run here (its data is missing, or it needs what the
    backend cannot give) is an error; a task reached through a family or the default suite is
    skipped and listed with the reason and the command that gets its data.
    """
    skipped = _unsupported(cards, selectors, unsupported or {})
    cards = [card for card in cards if card.name not in skipped]
    runnable = []
    problems: dict[str, str | None] = {}  # dataset -> why it cannot be had (None: it can)
    for card in cards:
        dataset = card.dataset
        if dataset is not None and dataset not in problems:
            here = is_available(get_dataset(dataset), data_dir)
            problems[dataset] = None if here else _download_problem(dataset)
        problem = problems[dataset] if dataset is not None else None
        if dataset is None or problem is None:
            runnable.append(card)
            continue
        if card.name in selectors:
            missing = missing_message(get_dataset(dataset), data_dir)
            raise DatasetMissingError(f"task '{card.name}': {missing} ({problem})")
        skipped[card.name] = Skip(
            f"{_not_here(data_dir)} ({problem})", f"partages-bench data pull {dataset}"
        )
    return runnable, skipped


def _git_sha() -> str | None:
    source = Path(__file__).resolve().parent.parent
    try:
        result = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def _version(distribution: str) -> str | None:
    try:
        return importlib_metadata.version(distribution.replace("_", "-"))
    except importlib_metadata.PackageNotFoundError:
        return None


def _provenance(options: RunOptions, start: str) -> Provenance:
    return Provenance(
        **software(),
        platform=platform.platform(),
        seed=options.seed,
        bootstrap_iterations=options.bootstrap_iterations,
        limit=options.limit,
        batch_size=options.batch_size,
        apply_chat_template=options.apply_chat_template,
        command=options.command,
        start_time=start,
        shard=options.shard,
        split=options.split,
    )


def _progress_lm(
    lm: Any,
    progress: Progress,
    bar: TaskID,
    schemas: Mapping[str, dict[str, Any]] | None = None,
) -> Any:
    """Wrap an lm-eval ``LM`` so that the rich bar counts the task's documents as their
    requests are answered (a multiple-choice document asks one request per option).

    Requests are handed to the real model in chunks of several batches, generation requests
    of a task in ``schemas`` carrying its JSON schema (``structured.constrain``; above the
    response cache, so that its key holds the schema); everything else is the wrapped model's
    own.
    """
    from lm_eval.api.model import LM

    class ProgressLM(LM):
        chunk = 64

        def __init__(self) -> None:
            super().__init__()

        def __getattr__(self, name: str) -> Any:
            return getattr(lm, name)

        def _answer(self, method: str, requests: list) -> list:
            unanswered = Counter(request.doc_id for request in requests)
            progress.update(bar, total=len(unanswered), completed=0)
            answers: list = []
            for start in range(0, len(requests), self.chunk):
                chunk = requests[start : start + self.chunk]
                answers += getattr(lm, method)(chunk)
                for request in chunk:
                    unanswered[request.doc_id] -= 1
                    if unanswered[request.doc_id] == 0:
                        progress.advance(bar)
            return answers

        def loglikelihood(self, requests: list) -> list:
            return self._answer("loglikelihood", requests)

        def loglikelihood_rolling(self, requests: list) -> list:
            return self._answer("loglikelihood_rolling", requests)

        def generate_until(self, requests: list) -> list:
            return self._answer("generate_until", structured.constrain(requests, schemas or {}))

        def apply_chat_template(self, *args: Any, **kwargs: Any) -> Any:
            return lm.apply_chat_template(*args, **kwargs)

        def chat_template(self, *args: Any, **kwargs: Any) -> Any:
            return lm.chat_template(*args, **kwargs)

        @property
        def tokenizer_name(self) -> str:
            return lm.tokenizer_name

        @property
        def device(self) -> Any:
            return getattr(lm, "device", None)

    return ProgressLM()


def _previous_report(options: RunOptions) -> Report | None:
    """The report of the run being resumed (None for a new run)."""
    if not options.resume:
        return None
    if not (options.output / REPORT_JSON).is_file():
        raise UserError(f"{options.output / REPORT_JSON}: nothing to resume (no report yet)")
    return load_report(options.output)


def _check_resumable(previous: Report, report: Report, folder: Path) -> None:
    """A run is only continued with the same model and the same software."""
    if identity_key(previous.model) != identity_key(report.model):
        raise UserError(
            f"{folder}: was run with {describe(previous.model)}; this run has "
            f"{describe(report.model)} — resume needs the same model"
        )
    for name in SAME_SOFTWARE:
        if getattr(previous.provenance, name) != getattr(report.provenance, name):
            raise UserError(f"{folder}: provenance.{name} differs; resume needs the same software")


def _ordered(cards: Sequence[TaskCard], tasks: Mapping[str, TaskResult]) -> dict[str, TaskResult]:
    """Tasks in the order they were selected, whatever order they finished (or resumed) in."""
    return {card.name: tasks[card.name] for card in cards if card.name in tasks}


# One line while a run works: the task, its documents answered, elapsed time and ETA.
PROGRESS_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(bar_width=20),
    MofNCompleteColumn(),
    TextColumn("documents"),
    TimeElapsedColumn(),
    TextColumn("ETA"),
    TimeRemainingColumn(),
)


def _plan_line(
    report: Report, runnable: Sequence[TaskCard], skipped: Mapping[str, Skip], resumed: bool
) -> str:
    """What the run is about to do, in one line (the skipped tasks are listed at the end)."""
    parts = [f"{len(runnable)} task{'' if len(runnable) == 1 else 's'} to run"]
    if resumed:
        done = sum(task.skipped is None for task in report.tasks.values())
        parts.append(f"{done} already done")
    if skipped:
        parts.append(f"{len(skipped)} skipped (see the end)")
    return f"{describe(report.model)}: " + ", ".join(parts)


def _done_line(result: TaskResult, seconds: float) -> str:
    """One line per finished task, kept above the progress display."""
    if result.skipped is not None:
        return f"[yellow]-[/] {result.name}: {escape(result.skipped)}"
    value = format_metric(result.metrics[result.primary_metric])
    return (
        f"[green]✓[/] {result.name}: {result.primary_metric} {value} "
        f"({result.n_samples} documents, {seconds:.0f} s)"
    )


def _on_local_data(card: TaskCard, dataset_id: str, data_cards: Sequence[Path]) -> TaskCard:
    """A task's card when it runs on a local dataset: no built-in dataset, and the local card's
    ``metadata`` fields added to its breakdowns (service, note type, site)."""
    from .data.local import resolve

    metadata = resolve(dataset_id, list(data_cards))[0].metadata
    breakdown = [*card.breakdown, *(name for name in metadata if name not in card.breakdown)]
    return card.model_copy(update={"dataset": None, "breakdown": breakdown})


def run(options: RunOptions, console: Console) -> Report:
    """Run the selected tasks and return the final report (also written to ``options.output``).

    Every answer is kept in a response cache in the run folder, keyed by the model's identity;
    a run that stopped (an endpoint down, Ctrl-C) continues with ``--resume``: finished tasks
    are kept as they are and finished answers are not asked again.
    """
    silence_loaded_libraries()
    validate_options(options)
    registry = Registry.discover(options.include_paths)
    from .data.local import any_private, check_local, split_local

    names, local = split_local(options.tasks)
    if local and (private := any_private(local, options.data_cards)):
        # Private runs (a run folder with no text) are not built yet: running would write the
        # card's documents, prompts and outputs in clear, which the card forbids.
        raise UserError(
            f"local dataset {private} is private (private: true), and this version cannot run "
            "privately yet (its run folder would hold the documents' text): refused"
        )
    cards = [
        _on_local_data(card, local[card.name], options.data_cards) if card.name in local else card
        for card in registry.select(names)
    ]
    for card in cards:  # a family mismatch or a changed file is refused before the model loads
        if card.name in local:
            check_local(local[card.name], card.family, card.name, options.data_cards)
    previous = _previous_report(options)
    needs_loglikelihood = any(card.requires == "loglikelihood" for card in cards)
    backend = Backend.resolve(
        options.model, options.model_args, options.backend, needs_loglikelihood
    )
    if backend.name in ENDPOINTS:
        if options.batch_size is not None:
            raise UserError(
                "--batch-size: endpoints take one prompt per request; use --concurrency"
            )
        # A chat endpoint always formats prompts with the model's chat template.
        options = (
            replace(options, apply_chat_template=True) if backend.name == "openai-chat" else options
        )
    if options.batch_size is None:
        options = replace(options, batch_size=backend.default_batch_size)
    runnable, skipped = plan_tasks(cards, names, options.data_dir, backend.unsupported)
    model_metrics = _model_metrics(runnable, options)
    for metrics in model_metrics.values():
        metrics.check()
    if previous is None:
        what = "a run with the same options (--resume DIR continues a run)"
        check_output_folder(options.output, "--output", same_run(options), what, options.overwrite)
    prepare_output(options.output)

    started = time.monotonic()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    identity = backend.identity(options.apply_chat_template)
    report = Report(model=identity, tasks={}, provenance=_provenance(options, now))
    tasks = {
        name: skipped_result(registry.card(name), skip.reason, skip.remedy)
        for name, skip in skipped.items()
    }
    if previous is not None:
        _check_resumable(previous, report, options.output)
        done = {name: t for name, t in previous.tasks.items() if t.skipped is None}
        tasks |= done
        runnable = [card for card in runnable if card.name not in done]
        resumed = [*previous.provenance.resumed_at, now]
        report = report.model_copy(
            update={"provenance": previous.provenance.model_copy(update={"resumed_at": resumed})}
        )
    spent = (previous.provenance.duration_seconds or 0.0) if previous else 0.0
    report = report.model_copy(update={"tasks": _ordered(cards, tasks)})
    write_report(options.output, report)
    if previous is None:
        # A new run replaces the folder's earlier run (the same command's, or any with
        # --overwrite) once its own report is written: no sample log or answer of the old run is
        # left behind, and every question is asked afresh.
        remove_earlier_run(options.output)
        save_run_options(options)
    plan = _plan_line(report, runnable, skipped, resumed=previous is not None)
    console.print(plan, markup=False, highlight=False)
    for note in report.model.notes:
        console.print(f"[dim]{escape(note)}[/]")
    if not runnable:
        return _finish(options, report, cards, tasks, started, spent)

    with Progress(*PROGRESS_COLUMNS, console=console, transient=True) as progress:
        bar = progress.add_task(f"loading {report.model.name}", total=None)
        lm = backend.load(options.batch_size)
        silence_lm_eval()
        from lm_eval.api.model import CachingLM
        from lm_eval.tasks import TaskManager

        cache = cache_path(options.output, identity_key(report.model))
        try:
            cached = CachingLM(lm, str(cache))
        except sqlite3.Error as exc:
            raise _cache_error(cache, exc, options.output) from None
        # lm-eval adds this metadata to every task's and calls its loader with it: the loaders
        # read the mirror from data_dir (report.task_hash leaves it out).
        task_manager = TaskManager(
            include_path=[str(folder) for folder in registry.task_dirs],
            include_defaults=False,
            metadata={"data_dir": options.data_dir} if options.data_dir is not None else None,
        )
        schemas = structured.task_schemas(runnable) if options.backend.structured_output else {}
        model = _progress_lm(cached, progress, bar, schemas)
        try:
            for number, card in enumerate(runnable, start=1):
                description = f"[{number}/{len(runnable)}] {card.name}"
                progress.reset(bar, total=None, description=description)
                try:
                    result, records = _run_task(
                        card, model, lm, task_manager, options, model_metrics.get(card.family)
                    )
                except BaseException as exc:
                    # Keep what finished, say what failed, and let the error reach the user.
                    reason = scrub(f"{type(exc).__name__}: {exc}")
                    tasks[card.name] = skipped_result(card, f"failed: {reason}")
                    _finish(options, report, cards, tasks, started, spent)
                    if endpoint_failure(exc):
                        raise RunInterrupted(
                            f"task {card.name}: the endpoint stopped answering "
                            f"({failure_reason(exc)}); finished tasks are saved in "
                            f"{options.output / REPORT_JSON}; continue with: "
                            f"partages-bench run --resume {options.output}"
                        ) from None
                    if isinstance(exc, KeyboardInterrupt):
                        console.print(
                            "continue with: partages-bench run --resume "
                            + escape(str(options.output))
                        )
                    raise
                write_samples(options.output, card.name, records)
                tasks[card.name] = result
                report = report.model_copy(update={"tasks": _ordered(cards, tasks)})
                write_report(options.output, report)
                elapsed = progress.tasks[0].elapsed or 0.0
                console.print(_done_line(result, elapsed))
        except sqlite3.Error as exc:
            raise _cache_error(cache, exc, options.output) from None
        finally:
            cached.dbdict.close()
    # The cache is there to resume; a finished run drops it (it holds model outputs in clear,
    # identifiers included, which the sample logs mask).
    remove_cache(options.output)
    return _finish(options, report, cards, tasks, started, spent)


def _cache_error(path: Path, exc: sqlite3.Error, folder: Path) -> UserError:
    """The response cache could not be written (a full disk): one line, and how to go on."""
    return UserError(
        f"{path}: response cache: {exc}; finished tasks are saved; free space, then continue "
        f"with: partages-bench run --resume {folder}"
    )


def _fewshot_per_document(task: Any, seed: int) -> None:
    """Draw each document's few-shot examples with a generator seeded by the run's seed and the
    document itself.

    lm-eval draws every prompt's examples from one random sequence, in document order, so a
    document's examples would depend on the documents evaluated before it: a shard, or a run
    whose documents were selected differently, would show other examples for the same document.
    """
    sampler = getattr(task, "sampler", None)
    if sampler is None:
        return
    build = task.fewshot_context

    def fewshot_context(doc: Any, *args: Any, **kwargs: Any) -> Any:
        key = f"{seed}:{json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)}"
        sampler.rnd = random.Random(hashlib.sha256(key.encode()).hexdigest())
        return build(doc, *args, **kwargs)

    task.fewshot_context = fewshot_context


def _evaluated_split(task: Any, card: TaskCard, asked: str | None) -> str | None:
    """The split of ``task``'s data that is evaluated: ``asked`` (``--split``) in place of the
    task's own test split, refused if the task's data has no such split; else the task's own
    (its test split, or its validation split when it has none)."""
    if asked is None:
        return task.config.test_split or task.config.validation_split
    splits = list(task.dataset or {})
    if asked not in splits:
        raise UserError(
            f"--split {asked}: task {card.name} has no split {asked!r} (its splits: "
            f"{', '.join(splits) or 'none'})"
        )
    task.config.test_split = asked
    return asked


def _run_task(
    card: TaskCard,
    model: Any,
    lm: Any,
    task_manager: Any,
    options: RunOptions,
    model_metrics: ModelMetrics | None,
) -> tuple[TaskResult, list[Any]]:
    """One task through lm-eval (``model``: the loaded ``lm`` behind its cache and progress
    bar), scored with CIs; prompts that cannot fit are skipped and counted first."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import get_task_dict

    from .data.local import build_local_task, split_local

    def build() -> Any:
        return get_task_dict([card.name], task_manager)[card.name]

    local_id = split_local(options.tasks)[1].get(card.name)
    local_note = None
    if local_id is None:
        task = build()
    else:  # TASK@ID: the local dataset's records in place of the task's
        task, files_hash = build_local_task(
            build, card.name, card.family, local_id, options.data_cards
        )
        local_note = f"local dataset {local_id} (sha256 of its files {files_hash[:16]})"
    split = _evaluated_split(task, card, options.split)
    if hasattr(lm, "check_documents"):  # a replay: its answers must be for these documents
        lm.check_documents(card, task.eval_docs)
    _fewshot_per_document(task, options.seed)
    plan = plan_context(
        task, lm, options.num_fewshot, options.limit, options.apply_chat_template, card.doc_id_field
    )
    indices = plan.indices
    if options.shard is not None:
        docs = task.eval_docs
        doc_ids = [str(doc.get(card.doc_id_field, i)) for i, doc in enumerate(docs)]
        positions = (
            indices if indices is not None else range(limited_count(len(docs), options.limit))
        )
        indices = select_shard(doc_ids, positions, Shard.parse(options.shard))
        if not indices:  # lm-eval would read an empty selection as "every document"
            return skipped_result(card, EMPTY_SHARD), []
    results = simple_evaluate(
        model=model,
        tasks=[task],
        task_manager=task_manager,
        num_fewshot=options.num_fewshot,
        limit=options.limit if indices is None else None,
        samples=None if indices is None else {card.name: indices},
        bootstrap_iters=0,
        log_samples=True,
        apply_chat_template=options.apply_chat_template,
        random_seed=options.seed,
        numpy_random_seed=options.seed,
        torch_random_seed=options.seed,
        fewshot_random_seed=options.seed,
    )
    enrich, notes = None, []
    if model_metrics is not None:
        enrich, note = model_metrics.for_task(card)
        notes.append(note)
    if options.backend.structured_output and card.json_schema is not None:
        notes.append(structured.task_note(card))
    if hasattr(lm, "take_notes"):
        notes += lm.take_notes(card.name)
    if hasattr(lm, "take_unreadable"):
        from .endpoints import unreadable_note

        note = unreadable_note(lm.take_unreadable())
        notes += [note] if note else []
    shots = results["configs"][card.name].get("num_fewshot") or 0
    fewshot_phi = (
        fewshot_mentions(task.fewshot_docs())
        if holds_identifiers(card.family) and shots > 0
        else []
    )
    result, records = score_task(
        card,
        results,
        options.bootstrap_iterations,
        options.seed,
        options.log_phi,
        enrich,
        fewshot_phi,
    )
    if local_id is not None:
        notes.append(str(local_note))
    update = {
        **({"dataset": local_id} if local_id is not None else {}),
        "split": split,
        "truncated_or_skipped": plan.skipped,
        "context_check": plan.note,
        "notes": notes + result.notes,
    }
    return result.model_copy(update=update), records


def _model_metrics(cards: Sequence[TaskCard], options: RunOptions) -> dict[str, ModelMetrics]:
    """What computes the model-based statistics of each family of ``cards`` that has some
    (BERTScore), one per family for the whole run: its model is loaded once, on first use."""
    settings = ModelMetricOptions(options.bertscore_model, options.bertscore_layers)
    found = {}
    for name in dict.fromkeys(card.family for card in cards):
        family = get_family(name)
        metrics = family.model_metrics(settings) if family.needs_model_metrics else None
        if metrics is not None:
            found[name] = metrics
    return found


def _finish(
    options: RunOptions,
    report: Report,
    cards: Sequence[TaskCard],
    tasks: dict[str, TaskResult],
    started: float,
    spent: float,
) -> Report:
    """The report with its end time and duration (``spent``: seconds of earlier sessions of a
    resumed run), written."""
    provenance = report.provenance.model_copy(
        update={
            "end_time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "duration_seconds": round(spent + time.monotonic() - started, 3),
        }
    )
    report = report.model_copy(update={"tasks": _ordered(cards, tasks), "provenance": provenance})
    write_report(options.output, report)
    return report
