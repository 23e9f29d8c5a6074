"""Every benchmark of issue 11, one after the other, and one table: figure, target, PASS/MISS.

Each script measures one thing and can be run alone (its docstring says what and why); this
runs them with their defaults, on an otherwise idle machine if the figures are to mean
anything (the load average is printed before and after). About 15 minutes on 2 cores.

    .venv/bin/python benchmarks/run_all.py [--only NAME,…] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cached_rerun
import cli_startup
import endpoint_throughput
import leaderboard_build
import scoring_throughput
import wrapper_overhead
from common import REPO, Figure, load_average, print_figures

BENCHMARKS: dict[str, Callable[[], list[Figure]]] = {
    "cli_startup": lambda: cli_startup.figures(cli_startup.measure()),
    "wrapper_overhead": lambda: wrapper_overhead.figures(wrapper_overhead.measure()),
    "cached_rerun": lambda: cached_rerun.figures(cached_rerun.measure()),
    # One run per size: 100k notes take minutes (the script alone defaults to 3 repeats).
    "scoring_throughput": lambda: scoring_throughput.figures(scoring_throughput.measure(repeats=1)),
    "leaderboard_build": lambda: leaderboard_build.figures(leaderboard_build.measure()),
    "endpoint_throughput": lambda: endpoint_throughput.figures(endpoint_throughput.measure()),
}


def machine() -> str:
    """CPU model, cores, commit: what the figures were measured on."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text(encoding="utf-8").splitlines() if cpuinfo.exists() else []
    cpu = next(
        (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
        platform.processor(),
    )
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores; commit {commit}"


def markdown(figures: Sequence[Figure]) -> str:
    lines = ["| figure | value | target | verdict |", "|---|---|---|---|"]
    for figure in figures:
        name = f"{figure.name} ({figure.detail})" if figure.detail else figure.name
        lines.append(
            f"| {name} | {figure.value_text()} | {figure.target_text} | {figure.verdict} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help=f"comma-separated: {', '.join(BENCHMARKS)}")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = parser.parse_args(argv)
    chosen = [name for name in args.only.split(",") if name] or list(BENCHMARKS)
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    print(f"{machine()}\nload average at start: {load_average()}")
    figures: list[Figure] = []
    for name in chosen:
        began = time.perf_counter()
        print(f"\n== {name}", flush=True)
        measured = BENCHMARKS[name]()
        print_figures(measured)
        print(f"({time.perf_counter() - began:.0f} s; load average {load_average()})", flush=True)
        figures += measured
    print("\n== all figures")
    print_figures(figures)
    if args.markdown:
        print("\n" + markdown(figures))
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
