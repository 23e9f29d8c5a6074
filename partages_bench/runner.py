"""``partages-bench run``: plan the tasks, load the model once, run each task through
``lm_eval.simple_evaluate``, score it with bootstrap CIs and write the report as tasks finish.

We wrap lm-eval, we do not rewrite it: prompts, few-shot sampling, batching and generation are
lm-eval's. What we add is around it: data that never comes from the hub, tasks that fail loudly,
per-sample statistics with real confidence intervals, and a report that says exactly what ran.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from . import __version__
from .context import plan_context
from .data import get_dataset, is_available, missing_message, pull
from .errors import DatasetMissingError, UserError
from .models import Backend
from .registry import DEFAULT_SUITE, Registry
from .report import prepare_output, score_task, skipped_result, write_report, write_samples
from .schema import Provenance, Report, TaskCard, TaskResult
from .stats import DEFAULT_BOOTSTRAP

DEFAULT_SEED = 1234
LIBRARIES = ("lm_eval", "transformers", "torch", "datasets", "numpy")


@dataclass
class RunOptions:
    output: Path
    model: str = "default"
    model_args: str = ""
    tasks: Sequence[str] = (DEFAULT_SUITE,)
    include_paths: Sequence[Path] = ()
    data_dir: Path | None = None
    limit: float | None = None
    num_fewshot: int | None = None
    batch_size: str | None = None
    seed: int = DEFAULT_SEED
    bootstrap_iterations: int = DEFAULT_BOOTSTRAP
    apply_chat_template: bool = False
    log_phi: bool = False
    bertscore_model: str | None = None
    bertscore_layers: int | None = None
    command: list[str] = field(default_factory=lambda: list(sys.argv))


def offline() -> bool:
    return os.environ.get("PARTAGES_BENCH_OFFLINE", "") not in ("", "0")


def _missing_reason(dataset: str, data_dir: Path | None) -> str | None:
    """None if the dataset is here (or could be pulled now), else why not and how to get it."""
    spec = get_dataset(dataset)
    if is_available(spec, data_dir):
        return None
    download = "offline, no download tried"
    if not offline():
        try:
            pull(spec.name, timeout=10)
            return None
        except UserError as exc:
            download = f"download failed: {exc}"
    return f"{missing_message(spec, data_dir)} ({download})"


def plan_tasks(
    cards: Sequence[TaskCard], selectors: Sequence[str], data_dir: Path | None
) -> tuple[list[TaskCard], dict[str, str]]:
    """Tasks that can run, and the ones skipped with their reason.

    A task named explicitly whose data is missing is an error; a task reached through a family
    or the default suite is skipped and listed with the reason and the way to get its data.
    """
    runnable, skipped = [], {}
    missing: dict[str, str | None] = {}  # dataset -> why it is missing (None: available)
    for card in cards:
        if card.dataset is not None and card.dataset not in missing:
            missing[card.dataset] = _missing_reason(card.dataset, data_dir)
        reason = missing.get(card.dataset) if card.dataset else None
        if reason is None:
            runnable.append(card)
            continue
        if card.name in selectors:
            raise DatasetMissingError(f"task '{card.name}': {reason}")
        skipped[card.name] = reason
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
        partages_bench_version=__version__,
        git_sha=_git_sha(),
        libraries={name: _version(name) for name in LIBRARIES},
        python=platform.python_version(),
        platform=platform.platform(),
        seed=options.seed,
        bootstrap_iterations=options.bootstrap_iterations,
        limit=options.limit,
        batch_size=options.batch_size,
        apply_chat_template=options.apply_chat_template,
        command=options.command,
        start_time=start,
    )


def _progress_lm(lm: Any, progress: Progress, bar: TaskID) -> Any:
    """Wrap an lm-eval ``LM`` so that the rich bar advances as requests are answered.

    Requests are handed to the real model in chunks of several batches; everything else is
    the wrapped model's own.
    """
    from lm_eval.api.model import LM

    class ProgressLM(LM):
        chunk = 64

        def __init__(self) -> None:
            super().__init__()

        def __getattr__(self, name: str) -> Any:
            return getattr(lm, name)

        def _answer(self, method: str, requests: list) -> list:
            progress.update(bar, total=len(requests), completed=0)
            answers: list = []
            for start in range(0, len(requests), self.chunk):
                answers += getattr(lm, method)(requests[start : start + self.chunk])
                progress.update(bar, completed=len(answers))
            return answers

        def loglikelihood(self, requests: list) -> list:
            return self._answer("loglikelihood", requests)

        def loglikelihood_rolling(self, requests: list) -> list:
            return self._answer("loglikelihood_rolling", requests)

        def generate_until(self, requests: list) -> list:
            return self._answer("generate_until", requests)

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


def run(options: RunOptions, console: Console) -> Report:
    """Run the selected tasks and return the final report (also written to ``options.output``)."""
    if options.data_dir is not None:
        # Task loaders read the mirror location from the environment (see partages_bench.data).
        os.environ["PARTAGES_BENCH_DATA"] = str(options.data_dir)
    registry = Registry.discover(options.include_paths)
    cards = registry.select(options.tasks)
    backend = Backend.resolve(options.model, options.model_args)
    if options.batch_size is None:
        options = replace(options, batch_size=backend.default_batch_size)
    runnable, skipped = plan_tasks(cards, options.tasks, options.data_dir)
    prepare_output(options.output)

    started = time.monotonic()
    tasks: dict[str, TaskResult] = {
        name: skipped_result(registry.card(name), reason) for name, reason in skipped.items()
    }
    report = Report(
        model=backend.identity(),
        tasks=tasks,
        provenance=_provenance(options, datetime.now(timezone.utc).isoformat(timespec="seconds")),
    )
    write_report(options.output, report)
    for name, reason in skipped.items():
        console.print(f"[yellow]skipped[/] {name}: {reason}")
    if not runnable:
        console.print("[yellow]no task can run here[/]")
        return _finish(options, report, tasks, started)

    console.print(f"loading model [bold]{report.model.name}[/] ({options.model})…")
    lm = backend.load(options.batch_size)
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager, get_task_dict

    task_manager = TaskManager(
        include_path=[str(folder) for folder in registry.task_dirs], include_defaults=False
    )
    bertscore = _BertScore(options.bertscore_model, options.bertscore_layers)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        overall = progress.add_task("tasks", total=len(runnable))
        requests = progress.add_task("requests", total=None)
        model = _progress_lm(lm, progress, requests)
        for card in runnable:
            progress.update(overall, description=f"tasks ({card.name})")
            try:
                task = get_task_dict([card.name], task_manager)[card.name]
                plan = plan_context(
                    task,
                    lm,
                    options.num_fewshot,
                    options.limit,
                    options.apply_chat_template,
                    card.doc_id_field,
                )
                if plan.skipped:
                    console.print(f"[yellow]{card.name}[/]: {plan.note}")
                results = simple_evaluate(
                    model=model,
                    tasks=[task],
                    task_manager=task_manager,
                    num_fewshot=options.num_fewshot,
                    limit=options.limit if plan.indices is None else None,
                    samples=None if plan.indices is None else {card.name: plan.indices},
                    bootstrap_iters=0,
                    log_samples=True,
                    apply_chat_template=options.apply_chat_template,
                    random_seed=options.seed,
                    numpy_random_seed=options.seed,
                    torch_random_seed=options.seed,
                    fewshot_random_seed=options.seed,
                )
                enrich, notes = None, []
                if card.family == "summarisation":
                    enrich, note = bertscore.for_task()
                    notes.append(note)
                result, records = score_task(
                    card,
                    results,
                    options.bootstrap_iterations,
                    options.seed,
                    options.log_phi,
                    enrich,
                )
                result = result.model_copy(
                    update={
                        "truncated_or_skipped": plan.skipped,
                        "context_check": plan.note,
                        "notes": notes,
                    }
                )
            except BaseException as exc:
                # Keep what finished, say what failed, and let the error reach the user.
                tasks[card.name] = skipped_result(card, f"failed: {type(exc).__name__}: {exc}")
                _finish(options, report, tasks, started)
                raise
            write_samples(options.output, card.name, records)
            tasks[card.name] = result
            report = report.model_copy(update={"tasks": dict(tasks)})
            write_report(options.output, report)
            progress.advance(overall)
    return _finish(options, report, tasks, started)


@dataclass
class _BertScore:
    """BERTScore for the summarisation tasks of a run: the model is loaded once, on first use,
    and is never skipped or swapped silently: each task's notes name the model and layer, or
    say why BERTScore was not computed."""

    model: str | None
    layers: int | None
    _loaded: Any = None

    def for_task(self) -> tuple[Callable[[list[Any]], list[Any]] | None, str]:
        from .families.summarisation import add_bertscore, load_bertscorer

        if self._loaded is None:
            options = {} if self.layers is None else {"num_layers": self.layers}
            self._loaded = load_bertscorer(self.model, **options)
        if isinstance(self._loaded, str):
            return None, f"BERTScore not computed: {self._loaded}"
        scorer = self._loaded
        described = ", ".join(f"{key} {value}" for key, value in scorer.description.items())
        return (lambda records: add_bertscore(records, scorer)), f"BERTScore: {described}"


def _finish(
    options: RunOptions, report: Report, tasks: dict[str, TaskResult], started: float
) -> Report:
    provenance = report.provenance.model_copy(
        update={
            "end_time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "duration_seconds": round(time.monotonic() - started, 3),
        }
    )
    report = report.model_copy(update={"tasks": dict(tasks), "provenance": provenance})
    write_report(options.output, report)
    return report
