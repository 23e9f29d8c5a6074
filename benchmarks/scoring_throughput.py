"""Throughput of offline scoring: ``partages-bench score pseudonymisation`` and ``score ner`` on
1 000, 10 000 and 100 000 documents (issue 11: 10 000 of each under 10 s on 2 cores, linear in
size).

Why: offline scoring is how any system — an LLM served elsewhere, a rule-based tool — gets our
metrics; a hospital scoring its whole export, or CI scoring every candidate, must not wait
minutes, and the cost must grow with the number of documents, not faster. Every figure
includes the bootstrap (1 000 resamples, the default), which computes every metric on each
resample.

What it does, offline, in a temporary folder (generation is not timed):

- pseudonymisation: ``--sizes``' largest number of notes from ``data generate-pseudo`` (seeded;
  a prefix of them for each smaller size: the generator is prefix-stable) and the answers of the
  rule baseline (``baseline pseudo-rules``) in both modes, detect and rewrite — a realistic mix
  of found, missed and leaked identifiers, and two scored modes per note;
- NER: the QUAERO documents of the data mirror (``../shared/data``, EMEA and MEDLINE, every
  split) cut into the NER tasks' 400-character passages (``split_passages``: 3 205 passages,
  16 222 entities), shuffled (seeded) and taken in turn until there are N documents
  (``doc-{i}``), each with its own predictions: the gold spans perturbed by a seeded RNG
  (``_perturbed``: 10 % dropped, 10 % with a boundary moved, 8 % relabelled, and one spurious
  span in 20 % of the documents).

Then, for each size, ``--repeats`` times each: in-process, the scoring function of
``partages_bench.scoring`` the CLI command calls (after one untimed run on the smallest size, so
that imports and the task registry are paid once); end to end, ``partages-bench score … --json``
as a subprocess, start-up included, with its peak RSS (``ru_maxrss``, through a small launcher
process: see ``_SPAWN_AND_MEASURE``). It prints
the median seconds and documents/s, PASS or MISS against 10 s for 10 000 documents (ratio
figure / target), and the linearity: time(10k) / time(1k) and time(100k) / time(10k), about 10
when the cost is linear (start-up makes the first ratio smaller end to end). ``--profile``
adds a cProfile of one in-process scoring of each kind at 10 000 documents. ``measure``
returns the figures as a dict, ``figures`` the lines of ``benchmarks/run_all.py``.

    .venv/bin/python benchmarks/scoring_throughput.py [--sizes 1000,10000,100000] [--repeats 3]

Measured on 2 cores (1 000 and 10 000 documents: idle, 3 repeats; 100 000: once, beside another
job): pseudonymisation 1.64 / 17.0 / 187 s in-process, 2.00 / 17.1 / 189 s end to end (peak
RSS 118 / 579 / 4 124 MB) — 10 000 notes MISS the target at 1.7x; NER 0.16 / 1.48 / 22.3 s
in-process, 0.44 / 1.83 / 20.5 s end to end (91 / 319 / 1 785 MB), PASS at 0.18x. Pseudonymisation
costs about 0.85 ms per note and mode (two modes here), nearly all in per-note Python: aligning
the rewrite (``difflib``, the segmentation), tokenising, leak tests. Before issue 11 (commit
d9e1be3, with a CI run on both cores) 1 000 documents took 261 s and 297 s end to end (1.6 and
1.9 GB): the bootstrap copied every column for every metric; 10 000 could not run (16 GB a
metric). Issue 17, on the same machine busy with other jobs (load 2-5), interleaved with commit
3b08190 in one session: 10 000 notes 18.8 -> 14.8 s end to end (0.79x; 844 -> 508 MB), 100 000
notes 167 -> 118 s (6.6 -> 3.3 GB); this script alone, not interleaved (load 3.6 to 6.3):
in-process 12.3 s against 18.1 s for 3b08190 run just after it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from common import BIN, DATA_DIR, Figure, load_average, median, offline_env

from partages_bench.data import load_splits
from partages_bench.families.ner.offline import nest_ner_metrics, score_ner
from partages_bench.families.ner.scoring import split_passages
from partages_bench.families.pseudonymisation.offline import score_pseudonymisation
from partages_bench.names import DEFAULT_BOOTSTRAP, DEFAULT_SEED
from partages_bench.schema import UMLS_GROUPS

SIZES = (1_000, 10_000, 100_000)
TARGET_SIZE = 10_000
TARGET_SECONDS = 10.0
KINDS = ("pseudonymisation", "ner")
PASSAGE_CHARS = 400  # as the QUAERO tasks cut their documents
CLI = str(BIN / "partages-bench")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="comma-separated numbers of documents",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each kind")
    parser.add_argument("--seed", type=int, default=0, help="seed of notes and perturbations")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one in-process scoring of each kind"
    )
    args = parser.parse_args(argv)
    args.sizes = sorted({int(size) for size in args.sizes.split(",") if size})
    return args


# --- inputs (not timed) ------------------------------------------------------------------------


def _run_cli(*arguments: str) -> None:
    subprocess.run(
        [CLI, *arguments],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, **offline_env()},
    )


def _prefixes(path: Path, sizes: Sequence[int]) -> dict[int, Path]:
    """The first ``size`` lines of a JSONL file, one file per size (the largest is the file)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    prefixes = {}
    for size in sizes:
        prefix = path.with_name(f"{path.stem}-{size}.jsonl")
        prefix.write_text("".join(lines[:size]), encoding="utf-8")
        prefixes[size] = prefix
    return prefixes


def pseudo_inputs(folder: Path, sizes: Sequence[int], seed: int) -> dict[int, tuple[Path, Path]]:
    """(gold notes, rule-baseline predictions) per size, through the CLI as a user would."""
    gold, predictions = folder / "pseudo-gold.jsonl", folder / "pseudo-predictions.jsonl"
    _run_cli(
        "data", "generate-pseudo", "--n", str(max(sizes)), "--seed", str(seed), "--out", str(gold)
    )
    _run_cli("baseline", "pseudo-rules", "--gold", str(gold), "--output", str(predictions))
    golds, answers = _prefixes(gold, sizes), _prefixes(predictions, sizes)
    return {size: (golds[size], answers[size]) for size in sizes}


def quaero_passages() -> list[dict[str, Any]]:
    """Every QUAERO document of the mirror (EMEA and MEDLINE, all splits) in 400-character
    passages, in a fixed order."""
    splits = load_splits("quaero_frenchmed", DATA_DIR)
    return [
        passage
        for name in sorted(splits)
        for doc in splits[name]
        for passage in split_passages(doc, PASSAGE_CHARS)
    ]


def _perturbed(
    entities: Sequence[dict[str, Any]], length: int, rng: random.Random
) -> list[dict[str, Any]]:
    """A plausible tagger's answer: each gold span dropped (10 %), with its start or end moved
    by 1 to 3 characters (10 %), relabelled (8 %) or kept; one spurious span in 20 % of the
    documents."""
    predicted = []
    for entity in entities:
        start, end, label = entity["start"], entity["end"], entity["label"]
        draw = rng.random()
        if draw < 0.10:
            continue
        if draw < 0.20:
            shift = rng.choice((-3, -2, -1, 1, 2, 3))
            if rng.random() < 0.5:
                start = min(max(0, start + shift), end - 1)
            else:
                end = max(min(length, end + shift), start + 1)
        elif draw < 0.28:
            label = rng.choice([other for other in UMLS_GROUPS if other != label])
        predicted.append({"start": start, "end": end, "label": label})
    if rng.random() < 0.20 and length > 1:
        start = rng.randrange(length - 1)
        end = min(length, start + rng.randint(1, 15))
        predicted.append({"start": start, "end": end, "label": rng.choice(UMLS_GROUPS)})
    return predicted


def ner_inputs(folder: Path, sizes: Sequence[int], seed: int) -> dict[int, tuple[Path, Path]]:
    """(gold documents, perturbed predictions) per size: QUAERO passages taken in turn."""
    rng = random.Random(seed)
    passages = quaero_passages()
    rng.shuffle(passages)  # every prefix mixes EMEA passages and MEDLINE titles alike
    gold, predictions = folder / "ner-gold.jsonl", folder / "ner-predictions.jsonl"
    with gold.open("w", encoding="utf-8") as golds, predictions.open("w", encoding="utf-8") as out:
        for index in range(max(sizes)):
            passage = passages[index % len(passages)]
            doc_id = f"doc-{index}"
            entities = [
                {"start": e["start"], "end": e["end"], "label": e["label"]}
                for e in passage["entities"]
            ]
            golds.write(
                json.dumps({"doc_id": doc_id, "text": passage["text"], "entities": entities}) + "\n"
            )
            answer = _perturbed(entities, len(passage["text"]), rng)
            out.write(json.dumps({"doc_id": doc_id, "entities": answer}) + "\n")
    golds_by_size, answers = _prefixes(gold, sizes), _prefixes(predictions, sizes)
    return {size: (golds_by_size[size], answers[size]) for size in sizes}


# --- timing ------------------------------------------------------------------------------------


def _score_pseudonymisation(gold: Path, predictions: Path) -> Any:
    return score_pseudonymisation(gold, predictions, DEFAULT_BOOTSTRAP, DEFAULT_SEED)


def _score_ner(gold: Path, predictions: Path) -> Any:
    _, metrics = score_ner(gold, predictions, DEFAULT_BOOTSTRAP, DEFAULT_SEED)
    return nest_ner_metrics(metrics)


SCORERS: dict[str, Callable[[Path, Path], Any]] = {
    "pseudonymisation": _score_pseudonymisation,
    "ner": _score_ner,
}


def score_in_process(kind: str, gold: Path, predictions: Path) -> float:
    """Seconds of one in-process scoring, as the CLI command scores (its result discarded)."""
    began = time.perf_counter()
    SCORERS[kind](gold, predictions)
    return time.perf_counter() - began


# Run by a fresh interpreter: Linux keeps a process's peak RSS across exec, so a command
# spawned straight from this (large) process would report this process's peak as its own.
_SPAWN_AND_MEASURE = """
import os, sys, time
began = time.perf_counter()
quiet = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=quiet)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - began, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status))
"""


def score_subprocess(kind: str, gold: Path, predictions: Path) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of one ``partages-bench score KIND … --json``, its output
    discarded."""
    command = [CLI, "score", kind, "--gold", str(gold), "--predictions", str(predictions), "--json"]
    done = subprocess.run(
        [sys.executable, "-c", _SPAWN_AND_MEASURE, *command],
        capture_output=True,
        text=True,
        env={**os.environ, **offline_env()},
        check=True,
    )
    seconds, peak, status = done.stdout.split()
    if status != "0":
        raise RuntimeError(f"{' '.join(command)} exited with {status}:\n{done.stderr}")
    return float(seconds), int(peak)  # ru_maxrss is in kilobytes on Linux


def profile_scoring(kind: str, gold: Path, predictions: Path, top: int = 25) -> str:
    """cProfile of one in-process scoring: the ``top`` functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(SCORERS[kind], gold, predictions)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _inputs(
    folder: Path, sizes: Sequence[int], seed: int
) -> Iterator[tuple[str, dict[int, tuple[Path, Path]]]]:
    yield "pseudonymisation", pseudo_inputs(folder, sizes, seed)
    yield "ner", ner_inputs(folder, sizes, seed)


def measure(
    sizes: Sequence[int] = SIZES, repeats: int = 3, seed: int = 0, profile: bool = False
) -> dict[str, Any]:
    """Generate the inputs and time their scoring; seconds, and bytes for the peak RSS.
    ``profile`` adds ``profile``: the cProfile hot spots at ``TARGET_SIZE`` (or the largest)."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    sizes = sorted(sizes)
    result: dict[str, Any] = {"sizes": sizes, "repeats": repeats, "target_s": TARGET_SECONDS}
    with tempfile.TemporaryDirectory(prefix="scoring-throughput-") as temporary:
        for kind, inputs in _inputs(Path(temporary), sizes, seed):
            score_in_process(kind, *inputs[sizes[0]])  # imports, registry, first-call caches
            rows = {}
            for size in sizes:
                in_process = [score_in_process(kind, *inputs[size]) for _ in range(repeats)]
                end_to_end = [score_subprocess(kind, *inputs[size]) for _ in range(repeats)]
                rows[size] = {
                    "in_process_s": median(in_process),
                    "in_process_runs": in_process,
                    "end_to_end_s": median([seconds for seconds, _ in end_to_end]),
                    "end_to_end_runs": [seconds for seconds, _ in end_to_end],
                    "peak_rss_bytes": max(rss for _, rss in end_to_end),
                }
            result[kind] = rows
            if profile:
                size = TARGET_SIZE if TARGET_SIZE in inputs else sizes[-1]
                result.setdefault("profile", {})[kind] = profile_scoring(kind, *inputs[size])
    return result


def verdict(seconds: float) -> str:
    return f"{'PASS' if seconds < TARGET_SECONDS else 'MISS'} ({seconds / TARGET_SECONDS:.2f}x)"


def linearity(rows: dict[int, dict[str, Any]], key: str) -> list[tuple[int, int, float]]:
    """(smaller size, larger size, time ratio) for each pair of consecutive sizes."""
    sizes = sorted(rows)
    return [(a, b, rows[b][key] / rows[a][key]) for a, b in pairwise(sizes)]


def print_table(result: dict[str, Any]) -> None:
    for kind in KINDS:
        rows = result[kind]
        print(f"\nscore {kind}: median of {result['repeats']} runs, bootstrap {DEFAULT_BOOTSTRAP}")
        print(
            f"{'documents':>9} {'in-process s':>13} {'docs/s':>8} {'end to end s':>13} "
            f"{'docs/s':>8} {'peak RSS MB':>12}  target < {TARGET_SECONDS:g} s at {TARGET_SIZE}"
        )
        for size, row in rows.items():
            target = ""
            if size == TARGET_SIZE:
                target = (
                    f"in-process {verdict(row['in_process_s'])}, "
                    f"end to end {verdict(row['end_to_end_s'])}"
                )
            print(
                f"{size:>9} {row['in_process_s']:>13.2f} {size / row['in_process_s']:>8.0f} "
                f"{row['end_to_end_s']:>13.2f} {size / row['end_to_end_s']:>8.0f} "
                f"{row['peak_rss_bytes'] / 1e6:>12.0f}  {target}"
            )
        for label, key in (("in-process", "in_process_s"), ("end to end", "end_to_end_s")):
            ratios = ", ".join(
                f"t({b})/t({a}) = {r:.1f} (sizes x{b / a:g})" for a, b, r in linearity(rows, key)
            )
            print(f"linearity {label}: {ratios or '(one size)'}")


def figures(result: dict[str, Any]) -> list[Figure]:
    """The end-to-end time at ``TARGET_SIZE`` (or the largest size) against the target, and the
    linearity ratios for the record."""
    found = []
    for kind in KINDS:
        rows = result[kind]
        size = TARGET_SIZE if TARGET_SIZE in rows else max(rows)
        row = rows[size]
        found.append(
            Figure(
                f"score {kind}, {size} documents",
                row["end_to_end_s"],
                TARGET_SECONDS if size == TARGET_SIZE else None,
                unit="s",
                detail=f"end to end (in-process {row['in_process_s']:.2f} s); "
                f"peak RSS {row['peak_rss_bytes'] / 1e6:.0f} MB",
            )
        )
        found += [
            Figure(
                f"score {kind}, t({b})/t({a})",
                ratio,
                None,
                detail="in-process; linear: about the ratio of sizes",
            )
            for a, b, ratio in linearity(rows, "in_process_s")
        ]
    return found


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"load average at start: {load_average()}")
    result = measure(args.sizes, args.repeats, args.seed, args.profile)
    print_table(result)
    for kind, hot_spots in result.get("profile", {}).items():
        print(f"\nprofile of score {kind}:\n{hot_spots}")
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
