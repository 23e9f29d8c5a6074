"""What test modules share, imported as ``from helpers import …``: plain functions, constants and
types, never fixtures (those are in ``conftest.py``, which test modules do not import).

- places: ``REPO_ROOT``, ``SHARED_DATA`` (the data mirror; the ``shared_data`` fixture skips
  without it);
- the command line in a subprocess: ``cli``, ``assert_one_line_error``;
- runs: ``run_options``, ``quiet``;
- files: ``write_jsonl``;
- record factories: ``provenance``, ``task_card``, ``task_folder_copy``;
- the ``serve`` fixture's types: ``HttpServer``, ``Serve``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rich.console import Console

from partages_bench.options import RunOptions
from partages_bench.registry import builtin_tasks_dir
from partages_bench.schema import MetricCard, Provenance, TaskCard

REPO_ROOT = Path(__file__).resolve().parents[1]
# The shared mirror sits beside the clone (../shared/data), in CI as on developers' machines.
SHARED_DATA = Path(os.environ.get("PARTAGES_BENCH_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))

# --- the command line ---------------------------------------------------------------------------


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float | None = 120
) -> subprocess.CompletedProcess[str]:
    """``partages-bench *args`` in a subprocess (``timeout=None``: no limit)."""
    return subprocess.run(
        [sys.executable, "-m", "partages_bench", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


# --- runs ---------------------------------------------------------------------------------------


def run_options(tiny_model: Path, shared_data: Path, output: Path, **overrides: Any) -> RunOptions:
    """Options of a quick run of the tiny model on real data (frenchmedmcqa unless overridden)."""
    settings = {
        "output": output,
        "model": "hf",
        "model_args": f"pretrained={tiny_model},device=cpu",
        "tasks": ["frenchmedmcqa"],
        "data_dir": shared_data,
        "limit": 6,
        "num_fewshot": 1,
        "batch_size": "4",
        "bootstrap_iterations": 200,
        "command": ["partages-bench", "run", "(test)"],
    }
    return RunOptions(**(settings | overrides))


def quiet() -> Console:
    """A console that prints nowhere."""
    return Console(file=io.StringIO())


# --- files --------------------------------------------------------------------------------------


def write_jsonl(path: Path, rows: list[Any], *, ensure_ascii: bool = False) -> Path:
    """``rows`` as JSON lines in ``path`` (UTF-8), one a line; returns ``path``."""
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=ensure_ascii) + "\n" for row in rows),
        encoding="utf-8",
    )
    return path


# --- record factories ---------------------------------------------------------------------------


def provenance(**fields: Any) -> Provenance:
    """A valid run provenance; ``fields`` replace the defaults."""
    defaults: dict[str, Any] = {
        "partages_bench_version": "0.1.0",
        "git_sha": None,
        "libraries": {},
        "python": "3.11",
        "platform": "linux",
        "seed": 1234,
        "bootstrap_iterations": 1000,
        "limit": None,
        "batch_size": "8",
        "apply_chat_template": False,
        "command": ["partages-bench", "run"],
        "start_time": "2026-01-01T10:00:00+00:00",
    }
    return Provenance(**(defaults | fields))


def task_card(**fields: Any) -> TaskCard:
    """A valid task card with one metric, ``leak_rate``; ``fields`` replace the defaults."""
    defaults: dict[str, Any] = {
        "name": "t",
        "family": "pseudonymisation",
        "dataset": None,
        "licence": "-",
        "citation": "-",
        "version": "1",
        "primary_metric": "leak_rate",
        "metrics": {"leak_rate": MetricCard()},
        "requires": "generation",
        "path": "-",
    }
    return TaskCard(**(defaults | fields))


def task_folder_copy(folder: Path, dataset: str = "qa/frenchmedmcqa") -> Path:
    """The built-in dataset folder ``dataset`` (``<family>/<dataset>``) copied to ``folder``
    without its task YAML, which a test writes edited, and its family's templates copied beside
    ``folder``: a dataset's template includes ``../_<family>_template_yaml``."""
    source = builtin_tasks_dir() / dataset
    shutil.copytree(
        source, folder, ignore=shutil.ignore_patterns("*.yaml", "__pycache__"), dirs_exist_ok=True
    )
    for template in source.parent.glob("_*_template_yaml"):
        shutil.copyfile(template, folder.parent / template.name)
    return folder


# --- a local HTTP server (the ``serve`` fixture's) -----------------------------------------------


class HttpServer(ThreadingHTTPServer):
    """Local HTTP server that records the paths it was asked for."""

    paths: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


Serve = Callable[[Path], HttpServer]
