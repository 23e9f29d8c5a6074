"""What test modules share, imported as ``from helpers import …``: plain functions, constants and
types, never fixtures (those are in ``conftest.py``, which test modules do not import).

- places: ``REPO_ROOT``, ``SHARED_DATA`` (the data mirror; the ``shared_data`` fixture skips
  without it);
- the command line in a subprocess: ``cli``, ``assert_one_line_error``;
- runs: ``run_options``, ``quiet``;
- files: ``write_jsonl``;
- record factories: ``provenance``, ``task_card``, ``task_folder_copy``;
- the ``serve`` fixture's types: ``HttpServer``, ``Serve``;
- a scripted OpenAI look-alike (the ``scripted`` fixture's): ``ScriptedServer``, ``Respond``,
  ``models_listing``;
- run folders as ``run`` writes them, of QA tasks' questions: ``write_run`` (``questions``,
  ``SETTINGS``, ``REGISTRY``, ``QA``, ``QA_LL``), changed by ``edit`` and ``with_task``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rich.console import Console

from partages_bench.options import RunOptions
from partages_bench.registry import Registry, builtin_tasks_dir
from partages_bench.report import data_hash, metric_values, skipped_result
from partages_bench.rundir import load_report, prepare_output, write_report, write_samples
from partages_bench.schema import (
    MetricCard,
    ModelIdentity,
    Provenance,
    Report,
    SampleRecord,
    TaskCard,
    TaskResult,
)

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


# --- a scripted OpenAI-compatible server (the ``scripted`` fixture's) ----------------------------

Respond = Callable[[str, dict[str, Any] | None], tuple[int, Any]]


class ScriptedServer:
    """An HTTP server on 127.0.0.1 whose answers a test scripts with ``respond(path, body)``."""

    def __init__(self, respond: Respond) -> None:
        self.requests: list[tuple[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, body: dict[str, Any] | None) -> None:
                server.requests.append((self.path, body))
                status, payload = respond(self.path, body)
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._reply(None)

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                self._reply(json.loads(self.rfile.read(length)))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def models_listing(*names: str, **extra: Any) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": name, "object": "model", **extra} for name in names]}


# --- run folders as ``run`` writes them (of the questions of QA tasks) ---------------------------

REGISTRY = Registry.discover()
QA, QA_LL = "frenchmedmcqa", "frenchmedmcqa_ll"
SETTINGS: dict[str, Any] = {
    "partages_bench_version": "0.1.0",
    "git_sha": None,
    "libraries": {"lm_eval": "0.4.13"},
    "python": "3.12",
    "platform": "linux",
    "seed": 1234,
    "bootstrap_iterations": 50,
    "limit": None,
    "batch_size": "8",
    "apply_chat_template": False,
    "command": ["partages-bench", "run"],
    "start_time": "2026-01-01T10:00:00+00:00",
    "end_time": "2026-01-01T11:00:00+00:00",
    "duration_seconds": 3600.0,
}


def questions(indices: Sequence[int]) -> list[SampleRecord]:
    """Scored questions at these lm-eval positions, with statistics that vary between them."""
    return [
        SampleRecord(
            doc_index=i,
            doc_id=f"q{i}",
            doc_hash=hashlib.sha256(f"q{i}".encode()).hexdigest(),
            prompt=f"question {i}",
            output="A",
            target="AB"[i % 2],
            stats={
                "emr": float(i % 3 == 0),
                "hamming": (i % 4) / 4,
                "unparsable": float(i % 5 == 0),
                "single_correct": float(i % 2),
            },
        )
        for i in indices
    ]


def write_run(folder: Path, tasks: Mapping[str, Sequence[int] | str], **provenance: Any) -> Path:
    """A run folder as ``run`` writes it: each task's records at these positions, or skipped
    for the reason given."""
    prepare_output(folder)
    results: dict[str, TaskResult] = {}
    for name, content in tasks.items():
        card = REGISTRY.card(name)
        if isinstance(content, str):
            results[name] = skipped_result(card, content)
            continue
        records = questions(content)
        write_samples(folder, name, records)
        results[name] = TaskResult(
            name=name,
            family=card.family,
            version=card.version,
            dataset=card.dataset,
            primary_metric=card.primary_metric,
            metrics=metric_values(card, records, SETTINGS["bootstrap_iterations"], 1234),
            n_samples=len(records),
            num_fewshot=3,
            task_hash=hashlib.sha256(name.encode()).hexdigest(),
            data_hash=data_hash(records),
            context_check="every prompt fits",
        )
    write_report(
        folder,
        Report(
            model=ModelIdentity(backend="hf", lm_eval_model="hf", name="tiny", args={}),
            tasks=results,
            provenance=Provenance(**(SETTINGS | provenance)),
        ),
    )
    return folder


def edit(folder: Path, change: Callable[[Report], Report]) -> None:
    write_report(folder, change(load_report(folder)))


def with_task(name: str, **fields: Any) -> Callable[[Report], Report]:
    def change(report: Report) -> Report:
        task = report.tasks[name].model_copy(update=fields)
        return report.model_copy(update={"tasks": report.tasks | {name: task}})

    return change
