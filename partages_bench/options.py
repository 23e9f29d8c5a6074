"""The options of ``partages-bench run``: what they are, their limits, and which of them change a
result — the one place that says it, for the model identity, ``run.json``, ``--resume``, ``report
merge`` and ``rerun``.

- **What is recorded.** ``RunOptions`` (and its ``BackendOptions``) is what a run was asked;
  ``run_settings`` is what ``run.json`` keeps: every option but ``TRANSIENT_OPTIONS`` (where and
  how to write, never what is evaluated). ``recorded_run_options`` reads those settings back,
  every option and no other, of its type: a run is resumed or repeated with exactly its options,
  never with defaults filling a gap.
- **What may change.** Only how the model is reached and how fast: ``THROUGHPUT_ARGS`` (lm-eval
  model arguments left out of the model's identity, hence of the response cache's key) and the
  options ``--resume`` may override (``RESUME_OVERRIDES``, ``RESUME_BACKEND_OVERRIDES``).
- **What must be equal.** ``SAME_SOFTWARE`` to resume a run, and for a rerun to be expected to
  match; ``SCORE_SETTINGS`` for runs to be merged as one evaluation.
- **Limits.** ``LIMITS``, one table checked while the command line is parsed (``option_types``'
  typer callbacks) and again when a run starts (``validate_options``: options read from a
  ``run.json`` or given through the API), with the same words.

Light on purpose: the CLI imports it at start-up (through ``option_types``), so no pydantic or
numpy at import time.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import UserError
from .inputs import InputFileError, schema_error
from .names import DEFAULT_BOOTSTRAP, DEFAULT_SEED, DEFAULT_SUITE
from .sharding import Shard

# numpy's legacy seeding (lm-eval's numpy_random_seed) takes 0 to 2**32 - 1; every seed option
# shares that range so that a seed that works for one command works for all.
MAX_SEED = 2**32 - 1
# Bootstrap resamples: an index matrix of documents × resamples is drawn (compare keeps it
# whole); beyond this the run takes hours or the memory runs out, for no visible gain.
MAX_BOOTSTRAP = 100_000
_BATCH_SIZE = re.compile(r"auto(:[1-9]\d*)?|[1-9]\d*")

# lm-eval model arguments that change how fast answers come, never what they are: not part of
# the model's identity (``models.identity_key``), so a run may change them and keep its answers.
THROUGHPUT_ARGS = frozenset({"num_concurrent", "max_retries", "timeout", "batch_size"})
# What --resume may change: how to reach the model and how fast, never what is evaluated.
RESUME_OVERRIDES = ("data_dir", "batch_size")
RESUME_BACKEND_OVERRIDES = ("api_key_env", "concurrency", "max_retries", "timeout")
# Provenance fields that must be equal for a resume, and for a rerun to be expected to match.
SAME_SOFTWARE = ("partages_bench_version", "libraries", "python")
# Provenance fields that change scores: runs differing in one of them are not one evaluation.
SCORE_SETTINGS = (
    "seed",
    "bootstrap_iterations",
    "limit",
    "split",
    "apply_chat_template",
    "partages_bench_version",
    "libraries",
)
# Options that say where and how a run writes, not what it evaluates: not in run.json.
TRANSIENT_OPTIONS = ("output", "resume", "overwrite", "command")


@dataclass(frozen=True)
class BackendOptions:
    """Backend settings that have their own command-line option (``--base-url`` …), as opposed
    to free-form ``--model-args``. ``None`` means not given."""

    base_url: str | None = None
    api_key_env: str | None = None
    concurrency: int | None = None
    max_retries: int | None = None
    timeout: int | None = None
    tokenizer: str | None = None
    max_length: int | None = None
    extra_body: str | None = None
    tensor_parallel_size: int | None = None
    data_parallel_size: int | None = None
    gpu_memory_utilization: float | None = None
    structured_output: bool = False

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


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
    backend: BackendOptions = field(default_factory=BackendOptions)
    shard: str | None = None
    split: str | None = None
    data_cards: Sequence[Path] = ()
    resume: bool = False
    overwrite: bool = False
    command: list[str] = field(default_factory=lambda: list(sys.argv))


def _text(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Limit:
    """The numbers an option takes: ``[low, high]`` (``(low, high]`` with ``low_open``), finite;
    with ``whole_from_one``, a whole number from 1 up (a number of documents; below 1, a share)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    whole_from_one: bool = False

    def __str__(self) -> str:
        start = f"above {_text(self.low)}" if self.low_open else f"{_text(self.low)}"
        if self.high is None:
            return start if self.low_open else f"at least {start}"
        if self.low is None:
            return f"at most {_text(self.high)}"
        end = _text(self.high)
        return f"{start}, at most {end}" if self.low_open else f"{start} to {end}"

    def problem(self, value: float) -> str | None:
        """Why ``value`` is refused, in words after the option's name; None if it is fine."""
        if isinstance(value, float) and not math.isfinite(value):
            return f"{_text(value)} is not a number"
        low, high = self.low, self.high
        below = low is not None and (value <= low if self.low_open else value < low)
        if below or (high is not None and value > high):
            return f"{_text(value)} is out of range ({self})"
        if self.whole_from_one and value >= 1 and not float(value).is_integer():
            return f"{_text(value)} is not a whole number of documents"
        return None


# Every numeric option of ``run`` (RunOptions and BackendOptions fields), by field name.
LIMITS: dict[str, Limit] = {
    "limit": Limit(0, low_open=True, whole_from_one=True),
    "num_fewshot": Limit(0),
    "seed": Limit(0, MAX_SEED),
    "bootstrap_iterations": Limit(1, MAX_BOOTSTRAP),
    "bertscore_layers": Limit(1),
    "concurrency": Limit(1),
    "max_retries": Limit(0),
    "timeout": Limit(1),
    "max_length": Limit(1),
    "tensor_parallel_size": Limit(1),
    "data_parallel_size": Limit(1),
    "gpu_memory_utilization": Limit(0, 1, low_open=True),
}
_FLAGS = {"bootstrap_iterations": "--bootstrap"}  # the fields whose flag is not their name


def flag(name: str) -> str:
    """The command-line flag of option field ``name``."""
    return _FLAGS.get(name, "--" + name.replace("_", "-"))


def batch_size_problem(value: str) -> str | None:
    """Why a ``--batch-size`` is refused (lm-eval takes N, ``auto`` or ``auto:N``); None if not."""
    if _BATCH_SIZE.fullmatch(value):
        return None
    return f"'{value}' is not a positive integer, 'auto' or 'auto:N'"


def validate_options(options: RunOptions) -> None:
    """Every option checked before anything is loaded or written (whether it came from the
    command line or from a ``run.json`` being resumed or re-run): one error naming it."""
    values = {f.name: getattr(options.backend, f.name) for f in fields(BackendOptions)}
    values |= {f.name: getattr(options, f.name) for f in fields(RunOptions)}
    problems = [
        f"{flag(name)}: {problem}"
        for name, limit in LIMITS.items()
        if values[name] is not None and (problem := limit.problem(values[name])) is not None
    ]
    if options.batch_size is not None and (problem := batch_size_problem(options.batch_size)):
        problems.append(f"--batch-size: {problem}")
    if not options.tasks:
        problems.append("--tasks: no task given")
    if options.shard is not None:
        Shard.parse(options.shard)
    if problems:
        raise UserError("; ".join(problems))


def run_settings(options: RunOptions) -> dict[str, Any]:
    """The options as ``run.json`` records them (JSON values; ``TRANSIENT_OPTIONS`` left out)."""
    settings = asdict(options)
    for transient in TRANSIENT_OPTIONS:
        settings.pop(transient)
    return json.loads(json.dumps(settings, ensure_ascii=False, default=str))


def _require_keys(where: str, value: Any, names: Sequence[str]) -> None:
    if not isinstance(value, dict):
        raise InputFileError(f"{where}: expected a JSON object, as partages-bench run writes")
    unknown = sorted(value.keys() - set(names))
    if unknown:
        raise InputFileError(f"{where}: {unknown[0]}: not an option of partages-bench run")
    missing = [name for name in names if name not in value]
    if missing:
        raise InputFileError(f"{where}: {missing[0]}: missing")


def recorded_run_options(
    path: Path, settings: Any, output: Path, overrides: Mapping[str, Any]
) -> RunOptions:
    """The options ``settings`` (read from ``path``, a ``run.json``) record, checked to be every
    option and no other, each of its type, for the run in ``output``; with the ``overrides`` a
    resume may make (RESUME_OVERRIDES and RESUME_BACKEND_OVERRIDES; others are ignored)."""
    from pydantic import TypeAdapter, ValidationError

    recorded = [f.name for f in fields(RunOptions) if f.name not in TRANSIENT_OPTIONS]
    _require_keys(str(path), settings, recorded)
    _require_keys(f"{path}: backend", settings["backend"], [f.name for f in fields(BackendOptions)])
    try:
        TypeAdapter(RunOptions).validate_python(settings | {"output": output})
    except ValidationError as exc:
        raise InputFileError(f"{path}: {schema_error(exc)}") from None
    settings = dict(settings)
    backend = settings.pop("backend") | {
        k: v for k, v in overrides.items() if k in RESUME_BACKEND_OVERRIDES
    }
    settings |= {k: v for k, v in overrides.items() if k in RESUME_OVERRIDES}
    if settings.get("data_dir") is not None:
        settings["data_dir"] = Path(settings["data_dir"])
    settings["include_paths"] = [Path(p) for p in settings["include_paths"]]
    return RunOptions(output=output, backend=BackendOptions(**backend), **settings)
