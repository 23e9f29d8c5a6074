"""Start-up time of ``partages-bench --help`` and ``partages-bench tasks list`` against
``python -c "import typer, rich"`` (issue 11: at most 2× that baseline), and which heavy
modules each command imports.

Why: these two commands are what a user types first and what scripts call to discover tasks;
they must not pay for torch, transformers or lm-eval (seconds), and their start-up must stay
close to the CLI framework's own. The baseline is the cost of Python plus the framework, so the
ratio does not depend on the machine's speed.

What it does: runs each command once untimed, as a user's first run would (that run writes the
card index of ``tasks list``, see ``partages_bench/listing.py``, and Python's bytecode cache,
even where ``PYTHONDONTWRITEBYTECODE`` is set: an installed wheel has its bytecode, and typer
and rich, the baseline, have theirs); then runs the three commands as subprocesses (the
installed ``partages-bench`` console script beside this Python, else ``python -m
partages_bench``), interleaved, ``--repeats`` times each, each repeat starting one command later
so that none always runs first; output is discarded. It prints each command's median wall time
(and range) and the ratio of the median to the baseline's, PASS or MISS against 2×. Then it runs
each command once more with ``PYTHONPROFILEIMPORTTIME=1`` (Python's ``-X importtime``, which
lists every module imported) and reports which of torch, transformers, lm_eval, datasets and
numpy were imported, the number of modules, and the ``--top`` largest imports down to two levels
of nesting (cumulative time as ``-X importtime`` counts it, indented by depth: a nested import
is also in its parent's). ``measure`` returns the same figures as a dict, and ``figures`` turns
it into ``benchmarks/run_all.py``'s rows.

    .venv/bin/python benchmarks/cli_startup.py [--repeats 15] [--top 12]

Measured on 2 shared cores (load 1.5 to 3, so ratios only), medians: before issue 11
``--help`` 4.7× and ``tasks list`` 5.5×; then 3.2× and 4.2×. ``--help`` imported pydantic and
PyYAML only for two names in its help text (FAMILIES in ``schema``, DEFAULT_SUITE in
``registry``); moved to a module without imports, it measured 1.4×. ``tasks list`` had a floor
above 2×: typer 0.29 builds a pydantic TypeAdapter for each option of the command it runs, so a
bare typer app with the same three options already took 2.3-2.4×, before reading any card.
Issue 17: a plain ``tasks list`` now runs without typer's parsing, from the cached card index
(no pydantic, no YAML): 4.1× → 1.7× with bytecode cached, 4.5× → 1.9× without (load 6-8,
interleaved A/B against commit 3b08190 in one session; ``--help`` unchanged at 1.3-1.4×).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import Figure, load_average

TARGET_RATIO = 2.0
HEAVY_MODULES = ("torch", "transformers", "lm_eval", "datasets", "numpy")
BASELINE = "import typer, rich"
MAX_DEPTH = 2  # imports listed: those made by the command's code and two levels below


def cli_command() -> list[str]:
    """The installed console script beside this Python, else ``python -m partages_bench``."""
    script = shutil.which("partages-bench", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "partages_bench"]


def commands() -> dict[str, list[str]]:
    cli = cli_command()
    return {
        "baseline": [sys.executable, "-c", BASELINE],
        "--help": [*cli, "--help"],
        "tasks list": [*cli, "tasks", "list"],
    }


def time_once(command: list[str]) -> float:
    """Wall seconds of one run, output discarded; a failing command is an error."""
    began = time.perf_counter()
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr}")
    return seconds


def imports(command: list[str]) -> list[tuple[str, int, int]]:
    """Every module the command imports, as ``(name, depth, cumulative µs)`` in import order,
    from Python's import-time log (``PYTHONPROFILEIMPORTTIME``, i.e. ``-X importtime``)."""
    done = subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
    )
    found = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if not cumulative.strip().isdigit():  # the header line
            continue
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        found.append((name.strip(), depth, int(cumulative)))
    return found


def first_runs() -> None:
    """Each command once, untimed, as a first run: writes the card index and the bytecode."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for command in commands().values():
        subprocess.run(command, stdout=subprocess.DEVNULL, env=environment, check=True)


def measure(repeats: int = 15, top: int = 12) -> dict[str, Any]:
    """Median seconds of each command, its ratio to the baseline, and what it imports
    (``top_imports_us``: ``(module, depth, cumulative µs)``, largest first)."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    first_runs()
    runs: dict[str, list[float]] = {name: [] for name in commands()}
    order = list(commands().items())
    for repeat in range(repeats):
        shift = repeat % len(order)
        for name, command in order[shift:] + order[:shift]:
            runs[name].append(time_once(command))
    baseline = statistics.median(runs["baseline"])
    result: dict[str, Any] = {"repeats": repeats, "target_ratio": TARGET_RATIO, "commands": {}}
    for name, command in commands().items():
        modules = imports(command)
        names = {module for module, _, _ in modules}
        median = statistics.median(runs[name])
        result["commands"][name] = {
            "command": command,
            "median_s": median,
            "runs_s": runs[name],
            "ratio": median / baseline,
            "heavy_imported": [m for m in HEAVY_MODULES if m in names],
            "modules": len(modules),
            "top_imports_us": sorted(
                (item for item in modules if item[1] <= MAX_DEPTH), key=lambda item: -item[2]
            )[:top],
        }
    return result


def figures(result: dict[str, Any]) -> list[Figure]:
    """The ratio of each command to the baseline, and the heavy modules they import (none)."""
    baseline = result["commands"]["baseline"]["median_s"]
    found = []
    heavy: set[str] = set()
    for name in ("--help", "tasks list"):
        measured = result["commands"][name]
        heavy.update(measured["heavy_imported"])
        found.append(
            Figure(
                f"partages-bench {name} start-up",
                measured["ratio"],
                TARGET_RATIO,
                detail=f"{measured['median_s']:.3f} s; baseline python -c '{BASELINE}' "
                f"{baseline:.3f} s",
            )
        )
    found.append(
        Figure(
            "heavy modules imported by --help, tasks list",
            len(heavy),
            0,
            unit="",
            detail=", ".join(sorted(heavy)) or f"none of {', '.join(HEAVY_MODULES)}",
        )
    )
    return found


def verdict(ratio: float) -> str:
    return "PASS" if ratio <= TARGET_RATIO else "MISS"


def print_table(result: dict[str, Any]) -> None:
    print(f"{'command':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'x baseline':>11}")
    for name, measured in result["commands"].items():
        runs = measured["runs_s"]
        mark = "" if name == "baseline" else f"  {verdict(measured['ratio'])}"
        print(
            f"{name:<12} {measured['median_s']:>9.3f} {min(runs):>7.3f} {max(runs):>7.3f} "
            f"{measured['ratio']:>10.2f}x{mark}"
        )
    print(
        f"\nmedian of {result['repeats']} interleaved runs each; baseline: python -c "
        f"'{BASELINE}'; target <= {TARGET_RATIO:g}x the baseline.\n"
    )
    for name, measured in result["commands"].items():
        heavy = ", ".join(measured["heavy_imported"]) or "none"
        print(
            f"{name}: {measured['modules']} modules imported; "
            f"of {', '.join(HEAVY_MODULES)}: {heavy}"
        )
        for module, depth, us in measured["top_imports_us"]:
            print(f"  {us / 1000:7.1f} ms  {'  ' * depth}{module}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each command")
    parser.add_argument("--top", type=int, default=12, help="largest imports listed per command")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"load average at start: {load_average()}")
    print_table(measure(args.repeats, args.top))
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
