"""The run folder ``DIR`` that ``partages-bench run`` writes: the one module that knows its layout
and reads or writes it. ``runner`` writes runs, ``report merge`` writes merged ones, and
``compare``, ``site``, ``leaderboard``, ``merge`` and ``rerun`` read them, all through here::

    DIR/report.json           the scores (``schema.Report``); the file that marks a complete run
    DIR/report.md             the same, for a person (``report.render_markdown``)
    DIR/samples/<task>.jsonl  the per-sample log each task was scored from, one record a line
    DIR/run.json              the run's options (``options.run_settings``): --resume and rerun
    DIR/cache/<key>.sqlite    the response cache of an unfinished run, per model identity

Every write is atomic (``outputs``): a crash leaves the old file or the new one, never half of
one. A task name becomes a path part only through ``outputs.inside``, which refuses a path that
resolves outside ``DIR``. A read checks what it reads: a report against its schema, a sample log
against the ``data_hash`` its report was computed from, a ``run.json`` against the options of
``run`` (``options.recorded_run_options``); each failure is one line naming the file and field.

Plain functions of the folder's path rather than a ``RunFolder`` object: every caller already
holds a ``Path`` (a run, a staging folder for a merge, a leaderboard row's source), and the path
is all the state there is.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import UserError
from .inputs import InputFileError, read_json, read_text, schema_error
from .options import RunOptions, recorded_run_options, run_settings
from .outputs import inside, remove_entries, write_lines, write_text
from .report import data_hash, render_markdown
from .schema import Report, SampleRecord, TaskResult

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
RUN_OPTIONS_JSON = "run.json"  # the options of a run, for --resume and rerun
SAMPLES_DIR = "samples"
CACHE_DIR = "cache"  # the run's response cache (runner), for --resume
# Everything a run writes in its folder; the file that marks a complete output last.
RUN_ENTRIES = (SAMPLES_DIR, CACHE_DIR, RUN_OPTIONS_JSON, REPORT_MD, REPORT_JSON)


def prepare_output(folder: Path) -> None:
    """Create the run folder and prove it is writable before any model is loaded."""
    try:
        (folder / SAMPLES_DIR).mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{folder}: output folder is not writable ({exc.strerror})") from None


# --- report.json and report.md ------------------------------------------------------------------


def write_report(folder: Path, report: Report) -> None:
    write_text(inside(folder, REPORT_JSON), report.model_dump_json(indent=2) + "\n")
    write_text(inside(folder, REPORT_MD), render_markdown(report))


def load_report(path: Path) -> Report:
    """A report from a run folder or a ``report.json`` path, its schema checked (an unknown
    ``schema_version``, a reversed interval, NaN, a time that is not ISO 8601: one error naming
    the file and the field)."""
    file = path / REPORT_JSON if path.is_dir() else path
    content = read_json(file, missing="no report here")
    try:
        return Report.model_validate(content)
    except ValidationError as exc:
        raise InputFileError(f"{file}: not a valid report ({schema_error(exc)})") from None


# --- samples/<task>.jsonl -----------------------------------------------------------------------


def samples_path(folder: Path, task: str) -> Path:
    """``folder/samples/<task>.jsonl``, refused if it would resolve outside ``folder``."""
    return inside(folder, SAMPLES_DIR, f"{task}.jsonl")


def write_samples(folder: Path, task: str, records: Iterable[SampleRecord]) -> None:
    write_lines(samples_path(folder, task), (record.model_dump_json() + "\n" for record in records))


def read_samples(folder: Path, result: TaskResult) -> list[SampleRecord]:
    """A task's per-sample log, checked to be the one its report was scored from."""
    path = samples_path(folder, result.name)
    lines = read_text(path, missing=f"missing (task '{result.name}' ran in {folder})").splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        try:
            record = SampleRecord.model_validate_json(line)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "JSON"
            raise UserError(f"{path} line {number}: {field}: {error['msg']}") from None
        if not record.doc_hash:
            raise UserError(
                f"{path} line {number}: doc_hash: missing (written by an older partages-bench: "
                "run the task again)"
            )
        records.append(record)
    if data_hash(records) != result.data_hash:
        raise UserError(
            f"{path}: not the records tasks.{result.name}.data_hash of {folder} was computed from"
        )
    return records


# --- run.json -----------------------------------------------------------------------------------


def save_run_options(options: RunOptions) -> None:
    """``DIR/run.json``: what ``--resume DIR`` needs to continue the same run (no secret: the
    API key is only named, by its environment variable)."""
    text = json.dumps(run_settings(options), indent=2, ensure_ascii=False) + "\n"
    write_text(inside(options.output, RUN_OPTIONS_JSON), text)


def recorded_options(folder: Path, overrides: Mapping[str, Any], action: str) -> RunOptions:
    """The options recorded in ``folder/run.json`` (to ``action`` that run: resume, rerun), with
    the overrides a resume allows (``options.RESUME_OVERRIDES`` …)."""
    path = folder / RUN_OPTIONS_JSON
    settings = read_json(path, missing=f"nothing to {action} (no run was started in {folder})")
    return recorded_run_options(path, settings, folder, overrides)


def same_run(options: RunOptions) -> Callable[[Path], bool]:
    """Whether a folder holds a run of these very options (the same command run again)."""

    def same(folder: Path) -> bool:
        try:
            recorded = json.loads((folder / RUN_OPTIONS_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return recorded == run_settings(options)

    return same


# --- cache/ -------------------------------------------------------------------------------------


def cache_path(folder: Path, identity_key: str) -> Path:
    """The response cache of the model whose ``models.identity_key`` is ``identity_key``."""
    return folder / CACHE_DIR / f"{identity_key[:16]}.sqlite"


def remove_cache(folder: Path) -> None:
    """Drop the response cache (a finished run: it holds model outputs in clear, identifiers
    included, which the sample logs mask)."""
    shutil.rmtree(folder / CACHE_DIR, ignore_errors=True)


def remove_earlier_run(folder: Path) -> None:
    """Drop an earlier run's sample logs and answers from ``folder`` (a new run replaces it)."""
    remove_entries(folder, (SAMPLES_DIR, CACHE_DIR))
