"""Pseudonymisation scores of this tree against another git revision's, bit for bit: every
per-note statistic of both modes, and every metric with its interval from ``score
pseudonymisation``.

Why: scoring is sped up (issue 17: streaming, the bootstrap beside the workers, a cheaper
rewrite aligner) on the promise that no value changes; the unit tests compare the parallel
path with the serial one and check chosen cases, this compares whole corpora with the code as it
was.

What it does, in a temporary folder: ``--notes`` generated notes (``generate_notes``, seeded)
with three prediction files: the rule baseline's (both modes), and two seeded "model-like" ones
(``_model_like``): rewrites with surrogates, kept, deleted or half-kept identifiers, placeholders,
case changes, dropped or inserted words, a ``<think>`` block, empty or truncated answers; and
detections listing texts (aliases, duplicates, hallucinations) or offsets. Then, in a fresh
interpreter on each tree (this one, and ``git archive REV`` unpacked), each note's statistics
(``score_rewrite``, ``score_detect`` after ``ground``) and ``score_pseudonymisation`` of each
file, serial and over worker processes, written as JSON (floats as ``repr``, so equal text is
equal bits). It prints the first differences and exits 1 if any value differs; statistics only
one side has (a revision that adds or drops some) are listed, not compared.

    .venv/bin/python benchmarks/scoring_equivalence.py --against 3b08190 [--notes 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import REPO

from partages_bench.families.pseudonymisation.offline import rule_baseline_predictions
from partages_bench.generator import generate_notes, write_jsonl

SURROGATES = ["Durand", "Anne", "06 12 34 56 78", "12/03/2021", "Lyon", "69003", "[NOM]", ""]

# Run on each tree: per-note statistics and metric values of every prediction file, as JSON.
_SCORE = r"""
import json, sys
from pathlib import Path
try:  # where pseudonymisation scoring lives since issue 19, and before
    from partages_bench.families.pseudonymisation import offline as scoring
    from partages_bench.families.pseudonymisation import scoring as per_note
except ImportError:
    from partages_bench import scoring
    from partages_bench.families import pseudonymisation as per_note
canonical_label, ground, Span = per_note.canonical_label, per_note.ground, per_note.Span
score_detect, score_rewrite = per_note.score_detect, per_note.score_rewrite

folder = Path(sys.argv[1])
gold_path = folder / "gold.jsonl"
notes = [scoring._gold_note("gold", json.loads(line)) for line in gold_path.open()]
out = {"notes": {}, "metrics": {}}
for name in sys.argv[2:]:
    path = folder / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.open()]
    stats = []
    for note, row in zip(notes, rows):
        if "text" in row:
            stats.append(score_rewrite(note, row["text"]))
        entities = row.get("entities")
        if isinstance(entities, list) and entities and "start" in entities[0]:
            spans = [Span(e["start"], min(e["end"], len(note["text"])), e["label"])
                     for e in entities]
            stats.append(score_detect(note, spans, True, 0, len(entities)))
        elif isinstance(entities, list):
            items = [(e["text"], label) for e in entities
                     if (label := canonical_label(e["label"])) is not None]
            spans, hallucinated = ground(note["text"], items)
            stats.append(score_detect(note, spans, True, hallucinated, len(items)))
    out["notes"][name] = stats
    for parallel in (False, True):
        if parallel:
            scoring.PARALLEL_NOTES = 2
        results = scoring.score_pseudonymisation(gold_path, path, 200, 7)
        out["metrics"][f"{name} parallel={parallel}"] = {
            mode: {metric: value.model_dump() for metric, value in values.items()}
            for mode, (_, values) in results.items()
        }
print(json.dumps(out))
"""


def _model_like(note: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A seeded answer of a plausible, imperfect model in both modes."""
    text = note["text"]
    pieces, cursor = [], 0
    for entity in sorted(note["entities"], key=lambda e: (e["start"], -e["end"])):
        if entity["start"] < cursor:
            continue
        pieces.append(text[cursor : entity["start"]])
        original = text[entity["start"] : entity["end"]]
        draw = rng.random()
        if draw < 0.5:
            pieces.append(rng.choice(SURROGATES))
        elif draw < 0.6:
            pieces.append(original)
        elif draw < 0.7:
            pieces.append(original.split()[0] if original.split() else "")
        elif draw < 0.8:
            pieces.append(original.upper() if rng.random() < 0.5 else original.lower())
        else:
            pieces.append(f"[{entity['label']}]")
        cursor = entity["end"]
    pieces.append(text[cursor:])
    words = "".join(pieces).split(" ")
    for _ in range(rng.randrange(4)):
        position = rng.randrange(len(words))
        if rng.random() < 0.5:
            del words[position]
        else:
            words.insert(position, rng.choice(["le", "patient", "12", "Lyon", "mg"]))
    rewritten = " ".join(words)
    draw = rng.random()
    if draw < 0.03:
        rewritten = ""
    elif draw < 0.06:
        rewritten = f"<think>{text[:80]}</think>{rewritten}"
    elif draw < 0.09:
        rewritten = rewritten[: len(rewritten) // 2]
    listed = []
    for entity in note["entities"]:
        if rng.random() < 0.8:
            label = rng.choice([entity["label"], entity["label"].lower(), "PHONE", "NAME"])
            listed.append({"text": entity["text"], "label": label})
    if rng.random() < 0.3:
        listed.append({"text": rng.choice(SURROGATES) or "x", "label": "NOM"})
    if listed and rng.random() < 0.2:
        listed.append(dict(listed[0]))
    if rng.random() < 0.3:
        offsets = [
            {"start": e["start"], "end": e["end"] + rng.choice((0, 0, 1)), "label": e["label"]}
            for e in note["entities"]
            if rng.random() < 0.85
        ]
        return {"note_id": note["note_id"], "entities": offsets, "text": rewritten}
    return {"note_id": note["note_id"], "entities": listed, "text": rewritten}


def write_inputs(folder: Path, notes: int, seed: int) -> list[str]:
    """Gold notes and the prediction files; their names."""
    gold = folder / "gold.jsonl"
    write_jsonl(generate_notes(notes, seed, "test"), gold)
    write_jsonl(rule_baseline_predictions(gold), folder / "rules.jsonl")
    names = ["rules"]
    for variant in range(2):
        rng = random.Random(seed * 1000 + variant)
        rows = [_model_like(json.loads(line), rng) for line in gold.open()]
        write_jsonl(rows, folder / f"model{variant}.jsonl")
        names.append(f"model{variant}")
    return names


def scores(tree: Path, folder: Path, names: Sequence[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _SCORE, str(folder), *names],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def unpack(revision: str, target: Path) -> Path:
    archive = target / "tree.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "archive", revision], cwd=REPO, stdout=handle, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target / "tree", filter="data")
    return target / "tree"


def differences(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[list[str], set[str]]:
    """Lines naming each differing value, and the statistics only one side has."""
    found, one_sided = [], set()
    for name, notes in ours["notes"].items():
        for index, (mine, other) in enumerate(zip(notes, theirs["notes"][name], strict=True)):
            one_sided |= set(mine) ^ set(other)
            found += [
                f"{name} statistics {index} {key}: {mine[key]!r} vs {other[key]!r}"
                for key in mine.keys() & other.keys()
                if json.dumps(mine[key]) != json.dumps(other[key])
            ]
    for name, modes in ours["metrics"].items():
        for mode, metrics in modes.items():
            other = theirs["metrics"][name][mode]
            found += [
                f"{name} {mode} {metric}: {value} vs {other[metric]}"
                for metric, value in metrics.items()
                if metric in other and json.dumps(value) != json.dumps(other[metric])
            ]
    return found, one_sided


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="git revision to compare with")
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scoring-equivalence-") as temporary:
        folder = Path(temporary)
        names = write_inputs(folder, args.notes, args.seed)
        ours = scores(REPO, folder, names)
        theirs = scores(unpack(args.against, folder), folder, names)
    found, one_sided = differences(ours, theirs)
    compared = sum(len(s) for notes in ours["notes"].values() for s in notes)
    print(f"{args.notes} notes x {len(names)} prediction files; {compared} statistics compared")
    if one_sided:
        print(f"statistics on one side only (not compared): {', '.join(sorted(one_sided))}")
    for line in found[:20]:
        print(line)
    print(f"{len(found)} differences against {args.against}")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
