"""``--help`` and ``tasks list`` start without the heavy libraries (issue 11), and the plain help
that keeps them fast still says everything the rich help did.

Which modules a command imports is read from Python's import-time log (``-X importtime`` lists
every module imported, in a subprocess like a user's); timings are benchmarks/cli_startup.py's.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "lm_eval", "datasets", "numpy")


def imported_modules(*args: str) -> tuple[set[str], str]:
    """The modules ``python -m partages_bench ARGS`` imports, and its standard output."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "partages_bench", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},  # rich would cut task names at 80
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return modules, result.stdout


@pytest.mark.parametrize(
    ("args", "shown"), [(("--help",), "leaderboard"), (("tasks", "list"), "frenchmedmcqa")]
)
def test_no_heavy_module_is_imported(args: tuple[str, ...], shown: str) -> None:
    modules, stdout = imported_modules(*args)
    assert "partages_bench.cli" in modules  # the log is read right
    assert shown in stdout
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY) == []


def test_help_is_plain() -> None:
    """typer's rich help would import rich's markdown and traceback renderers (~60 ms); the
    help's names come from ``partages_bench.names``, not from the pydantic schema or the YAML
    registry (~90 ms)."""
    modules, _ = imported_modules("--help")
    assert {"typer.rich_utils", "rich.markdown", "rich.console"}.isdisjoint(modules)
    assert {"pydantic", "yaml", "partages_bench.schema"}.isdisjoint(modules)


def test_tasks_list_from_its_index_reads_no_yaml_and_skips_pydantic() -> None:
    """Once the card index is written, ``tasks list`` neither parses YAML nor runs typer's
    pydantic coercion of its options (issue 17, ``partages_bench.listing``)."""
    _, first = imported_modules("tasks", "list", "--json")
    modules, second = imported_modules("tasks", "list", "--json")
    assert second == first
    assert {"pydantic", "yaml", "partages_bench.registry", "importlib.metadata"}.isdisjoint(modules)


def test_help_lists_every_command_with_its_first_sentence() -> None:
    _, stdout = imported_modules("--help")
    text = " ".join(stdout.split())
    assert "run Evaluate a model on tasks and write DIR/report.json, report.md and samples/." in (
        text
    )
    assert "sample counts, every metric and CI. tasks List, show and validate tasks." in text
    for command in ("compare", "data", "report", "score", "baseline", "leaderboard"):
        assert f" {command} " in text


def test_run_help_groups_backend_options() -> None:
    _, stdout = imported_modules("run", "--help")
    endpoints = stdout.index("OpenAI-compatible endpoints (openai-completions, openai-chat):")
    vllm = stdout.index("vLLM (--model vllm):")
    assert endpoints < stdout.index("--base-url") < vllm < stdout.index("--tensor-parallel-size")
    assert stdout.index("--output") < endpoints


def test_usage_error_is_short_without_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "partages_bench", "tasks", "list", "--no-such-option"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "No such option: --no-such-option" in result.stderr
