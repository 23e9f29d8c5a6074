"""Small record factories shared by test modules (imported as ``from helpers import …``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from partages_bench.registry import builtin_tasks_dir
from partages_bench.schema import MetricCard, Provenance, TaskCard


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
