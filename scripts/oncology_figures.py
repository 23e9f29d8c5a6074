"""The figures of tasks/oncology/oncology_pathology_rcp/README.md, measured (no model, no network).

    python scripts/oncology_figures.py [--bootstrap 1000]

prints, as JSON: the documents of the task's dev and test pools by site, by document type and
by hard case; then the task's metrics for two answer sets on the test documents, scored as the
task scores a model: the gold record itself, and a corrupted copy in which a seeded 10 % of
the gold's non-null fields (over all documents) have another value (``corrupt``). The metrics
must separate them: every accuracy and F1 at 1 for the gold, lower for the copy.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from partages_bench.families.oncology import oncology_card
from partages_bench.families.oncology.scoring import document_stats, form_of
from partages_bench.generator.oncology import generate_oncology, vocabulary
from partages_bench.registry import Registry
from partages_bench.report import metric_values
from partages_bench.schema import SampleRecord

TASK = "oncology_pathology_rcp"
CORRUPTED_SHARE = 0.10
CORRUPTION_SEED = 0
_NEXT_TNM = {"0": "1", "1": "2", "2": "3", "3": "4", "4": "3", "X": "0", "I": "1"}


def _other(rng: random.Random, field: str, value: Any) -> Any:
    """Another value of the field: another canonical category, another number (+1 or x2),
    another TNM category, another set of decisions."""
    if isinstance(value, list):
        choices = [item for item in vocabulary()[field] if item not in value]
        return [*value[:-1], rng.choice(choices)]
    if isinstance(value, (int, float)):
        return value + 1 if rng.random() < 0.5 else value * 2 + 1
    if field in ("tnm_t", "tnm_n", "tnm_m"):
        return value[0] + _NEXT_TNM.get(value[1:2].upper(), "1")
    return rng.choice([item for item in vocabulary()[field] if item != value])


def corrupt(docs: list[dict[str, Any]], share: float, seed: int) -> list[dict[str, Any]]:
    """The gold records with ``share`` of their non-null fields (rounded, drawn over all the
    documents with ``seed``) given another value."""
    rng = random.Random(seed)
    filled = [(i, name) for i, doc in enumerate(docs) for name, value in doc["record"].items()
              if value is not None]  # fmt: skip
    chosen = rng.sample(filled, round(share * len(filled)))
    records = [copy.deepcopy(doc["record"]) for doc in docs]
    for index, name in chosen:
        records[index][name] = _other(rng, name, records[index][name])
    return records


def _metrics(docs: list[dict[str, Any]], answers: list[dict[str, Any]], bootstrap: int) -> Any:
    card = Registry.discover().card(TASK)
    form = form_of(oncology_card(card))
    records = [
        SampleRecord(
            doc_index=index, doc_id=doc["id"], prompt="", output="", target="",
            stats=document_stats(json.dumps(answer, ensure_ascii=False), doc, form),
            groups={name: str(doc[name]) for name in card.breakdown},
        )
        for index, (doc, answer) in enumerate(zip(docs, answers, strict=True))
    ]  # fmt: skip
    return {
        name: [round(value.value, 3), round(value.ci_low, 3), round(value.ci_high, 3)]
        for name, value in metric_values(card, records, bootstrap, 0).items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", type=int, default=1000)
    arguments = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tasks/oncology"))
    from oncology_pathology_rcp import utils  # type: ignore[import-not-found]

    pools = {
        "dev": generate_oncology(utils.EXAMPLE_DOCUMENTS, utils.GENERATED_SEED, "dev"),
        "test": generate_oncology(utils.TEST_DOCUMENTS, utils.GENERATED_SEED, "test"),
    }
    counts = {
        pool: {
            "documents": len(docs),
            "site_x_type": dict(Counter(f"{d['site']}/{d['document_type']}" for d in docs)),
            "hard_cases": dict(Counter(case for d in docs for case in d["hard_cases"])),
            "non_null_fields": sum(v is not None for d in docs for v in d["record"].values()),
        }
        for pool, docs in pools.items()
    }
    test = pools["test"]
    corrupted = corrupt(test, CORRUPTED_SHARE, CORRUPTION_SEED)
    changed = sum(a != d["record"][n] for d, r in zip(test, corrupted, strict=True)
                  for n, a in r.items())  # fmt: skip
    print(
        json.dumps(
            {
                "counts": counts,
                "corrupted_fields": changed,
                "gold": _metrics(test, [d["record"] for d in test], arguments.bootstrap),
                "corrupted": _metrics(test, corrupted, arguments.bootstrap),
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
