"""``partages-bench rerun DIR``: a report is enough to re-run. The run is repeated from its
recorded options (``DIR/run.json``) into a fresh folder, and the new report must give the same
model, hashes, sample counts, scores and CIs — exactly: with the same machine and software a run
is deterministic (seeded sampling, few-shot and bootstrap), so any difference is a finding.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import UserError
from .models import identity_key
from .options import SAME_SOFTWARE
from .rundir import load_report, recorded_options
from .runner import run, software
from .schema import Provenance, Report, TaskResult

RERUN_DIR = "rerun"
# Per task, besides every metric's value and CI.
COMPARED_FIELDS = ("skipped", "task_hash", "data_hash", "n_samples")
METRIC_FIELDS = ("value", "ci_low", "ci_high", "higher_is_better")


@dataclass(frozen=True)
class Difference:
    task: str  # "model" for the model's identity
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.task}: {self.field} was {self.old!r}, now {self.new!r}"


def _task_differences(old: TaskResult, new: TaskResult) -> list[Difference]:
    found = [
        Difference(old.name, name, getattr(old, name), getattr(new, name))
        for name in COMPARED_FIELDS
        if getattr(old, name) != getattr(new, name)
    ]
    for metric in [*old.metrics, *(m for m in new.metrics if m not in old.metrics)]:
        before, after = old.metrics.get(metric), new.metrics.get(metric)
        if before is None or after is None:
            present = (before is not None, after is not None)
            found.append(Difference(old.name, f"metrics.{metric}", *present))
            continue
        for name in METRIC_FIELDS:
            was, now = getattr(before, name), getattr(after, name)
            if was != now:
                found.append(Difference(old.name, f"metrics.{metric}.{name}", was, now))
    return found


def differences(old: Report, new: Report) -> list[Difference]:
    """Everything a rerun must reproduce that it did not: the model's identity (the response
    cache's key: backend, weights, every argument that changes an answer), then per task."""
    found = []
    if identity_key(old.model) != identity_key(new.model):
        found.append(Difference("model", "identity", old.model.name, new.model.name))
    for name in [*old.tasks, *(t for t in new.tasks if t not in old.tasks)]:
        before, after = old.tasks.get(name), new.tasks.get(name)
        if before is None or after is None:
            found.append(Difference(name, "task", before is not None, after is not None))
        else:
            found += _task_differences(before, after)
    return found


def _changed(name: str, recorded: Provenance, here: Any) -> list[str]:
    """``provenance.NAME`` (each library by name) as recorded and as here, where they differ."""
    was = getattr(recorded, name)
    if isinstance(was, dict):
        return [
            f"provenance.{name}.{key} was {was.get(key)}, here {here.get(key)}"
            for key in sorted(was.keys() | here.keys())
            if was.get(key) != here.get(key)
        ]
    return [f"provenance.{name} was {was}, here {here}"] if was != here else []


def rerun(
    folder: Path,
    output: Path | None,
    data_dir: Path | None,
    other_software: bool,
    console: Console,
    overwrite: bool = False,
) -> tuple[Report, Report, list[Difference]]:
    """Repeat the run in ``folder`` into ``output`` (default ``folder/rerun``) and compare.

    Other software (partages-bench, a library, Python) is refused before anything runs: the
    scores could differ for that reason alone. ``other_software`` runs anyway, with a warning;
    another git commit of the same version is only a warning. ``output`` must be new, empty or
    an earlier rerun with the same options, else ``overwrite``."""
    old = load_report(folder)
    overrides = {} if data_dir is None else {"data_dir": data_dir}
    options = recorded_options(folder, overrides, "rerun")
    output = output or folder / RERUN_DIR
    if output.resolve() == folder.resolve():
        raise UserError(f"--output {output}: the rerun would overwrite the report it checks")
    here = software()
    changed = [
        line for name in SAME_SOFTWARE for line in _changed(name, old.provenance, here[name])
    ]
    if changed and not other_software:
        raise UserError(
            f"{folder}: {'; '.join(changed)} — a rerun is compared exactly, with the same "
            "software (--allow-other-software to run anyway)"
        )
    changed += _changed("git_sha", old.provenance, here["git_sha"])
    for line in changed:
        console.print(f"[yellow]warning[/] {escape(line)}", soft_wrap=True)  # one line, greppable
    new = run(replace(options, output=output, command=list(sys.argv), overwrite=overwrite), console)
    return old, new, differences(old, new)


def verdict_table(old: Report, found: list[Difference]) -> Table:
    """One row a task (and one for the model if it differs): same, or the fields that differ."""
    table = Table("task", "verdict", "differs", title=f"rerun of {escape(old.model.name)}")
    by_task: dict[str, list[Difference]] = {}
    for difference in found:
        by_task.setdefault(difference.task, []).append(difference)
    rows = ["model", *old.tasks] if "model" in by_task else list(old.tasks)
    rows += [task for task in by_task if task not in rows]
    for task in rows:
        if task in by_task:
            fields = ", ".join(d.field for d in by_task[task])
            table.add_row(escape(task), "[red]differs[/]", escape(fields))
        else:
            table.add_row(escape(task), "[green]same[/]", "")
    return table
