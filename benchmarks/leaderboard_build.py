"""Time of ``partages-bench leaderboard build`` on a large folder of reports (issue 10: under
3 s for 100 models × 20 tasks).

Why: the site is rebuilt on every published run, by CI, from every report ever published; its
build must stay fast as the number of models grows, and this says when it does not.

What it does, offline, in a temporary folder: writes ``--models`` × ``--tasks`` fake but
schema-valid run folders (``partages_bench.testing.fake_runs``; reports only unless
``--samples N`` adds N samples per task), then builds the site ``--repeats`` times in two ways,
each into a fresh output folder:

- in-process: the CLI command called in this process (``cli.app``), after one untimed build so
  that imports and first-call caches are paid once: the build's own cost;
- end to end: ``python -m partages_bench leaderboard build`` as a subprocess, Python start-up
  and imports included: what a user or CI waits for.

It prints the median (and range) of each against the 3 s target, as PASS or MISS with the ratio
figure / target. ``--profile`` adds a cProfile of one in-process build (top functions by
cumulative time). ``measure`` returns the same figures as a dict for ``benchmarks/run_all.py``.

    .venv/bin/python benchmarks/leaderboard_build.py [--models 100] [--tasks 20] [--repeats 5]

Measured on 2 shared cores (load about 2) with the first version of the site: reports only,
0.51 s in-process and 0.89 s end to end (345 files, 12 MB). With samples the document pages
rendered every run's output for every document: 100 samples per task 7.0 s (93 MB), 300
samples 22 s (256 MB), almost all in ``samples.html.j2``. The drill-down now shows the first 10
runs side by side (``--compare-runs``) and builds each stats line once: 100 samples per task
1.0 s in-process, 1.3 s end to end.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import Figure

from partages_bench.cli import app
from partages_bench.testing.fake_runs import write_generated_reports

TARGET_SECONDS = 3.0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=100, help="run folders (one per model)")
    parser.add_argument("--tasks", type=int, default=20, help="tasks per report")
    parser.add_argument("--repeats", type=int, default=5, help="timed builds of each kind")
    parser.add_argument("--samples", type=int, default=0, help="samples per task (0: none)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated reports")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one in-process build, print hot spots"
    )
    return parser.parse_args(argv)


def _command(reports: Path, site: Path) -> list[str]:
    return ["leaderboard", "build", str(reports), "--out", str(site)]


def build_in_process(reports: Path, site: Path) -> float:
    """Seconds of one build through the CLI command in this process (its output discarded)."""
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        app(_command(reports, site), standalone_mode=False)
    return time.perf_counter() - began


def build_subprocess(reports: Path, site: Path) -> float:
    """Seconds of one ``python -m partages_bench leaderboard build``, start-up included."""
    command = [sys.executable, "-m", "partages_bench", *_command(reports, site)]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr}")
    return seconds


def _site_size(site: Path) -> tuple[int, int]:
    files = [path for path in site.rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files)


def profile_build(reports: Path, site: Path, top: int = 25) -> str:
    """cProfile of one in-process build: the ``top`` functions by cumulative time."""
    profiler = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()):
        profiler.runcall(app, _command(reports, site), standalone_mode=False)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def measure(
    models: int = 100,
    tasks: int = 20,
    repeats: int = 5,
    samples: int = 0,
    seed: int = 0,
    profile: bool = False,
) -> dict[str, Any]:
    """Generate the reports and time the builds; every figure in seconds. ``profile`` adds
    ``profile``: the cProfile hot spots of one more in-process build."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    with tempfile.TemporaryDirectory(prefix="leaderboard-build-") as temporary:
        root = Path(temporary)
        reports = root / "reports"
        began = time.perf_counter()
        write_generated_reports(reports, models, tasks, seed=seed, samples_per_task=samples)
        generated = time.perf_counter() - began
        build_in_process(reports, root / "warm-up")
        in_process = [build_in_process(reports, root / f"in-{i}") for i in range(repeats)]
        end_to_end = [build_subprocess(reports, root / f"sub-{i}") for i in range(repeats)]
        files, size = _site_size(root / "sub-0")
        hot_spots = profile_build(reports, root / "profiled") if profile else None
    result = {
        "models": models,
        "tasks": tasks,
        "samples": samples,
        "repeats": repeats,
        "generate_s": generated,
        "in_process_s": statistics.median(in_process),
        "in_process_runs": in_process,
        "end_to_end_s": statistics.median(end_to_end),
        "end_to_end_runs": end_to_end,
        "site_files": files,
        "site_bytes": size,
        "target_s": TARGET_SECONDS,
    }
    return result if hot_spots is None else result | {"profile": hot_spots}


def figures(result: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            f"leaderboard build, {result['models']} models × {result['tasks']} tasks",
            result["end_to_end_s"],
            TARGET_SECONDS,
            unit="s",
            detail=f"end to end (in-process {result['in_process_s']:.2f} s); "
            f"{result['site_files']} files, {result['site_bytes'] / 1e6:.0f} MB",
        )
    ]


def verdict(seconds: float) -> str:
    return f"{'PASS' if seconds < TARGET_SECONDS else 'MISS'} ({seconds / TARGET_SECONDS:.2f}x)"


def print_table(result: dict[str, Any]) -> None:
    print(
        f"{result['models']} models × {result['tasks']} tasks, {result['samples']} samples per "
        f"task; reports generated in {result['generate_s']:.1f} s; site: "
        f"{result['site_files']} files, {result['site_bytes'] / 1e6:.1f} MB\n"
    )
    print(f"{'build':<12} {'median s':>9} {'min s':>7} {'max s':>7}  target < {TARGET_SECONDS:g} s")
    for label, key in (("in-process", "in_process"), ("end to end", "end_to_end")):
        runs = result[f"{key}_runs"]
        median = result[f"{key}_s"]
        print(f"{label:<12} {median:>9.3f} {min(runs):>7.3f} {max(runs):>7.3f}  {verdict(median)}")
    print(
        f"\nmedian of {result['repeats']} builds each; in-process after one untimed warm-up "
        "build;\nend to end includes Python start-up and imports (ratio = figure / target)."
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    print(
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"({os.cpu_count()} CPUs)"
    )
    result = measure(args.models, args.tasks, args.repeats, args.samples, args.seed, args.profile)
    print_table(result)
    if args.profile:
        print("\n" + result["profile"])
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
