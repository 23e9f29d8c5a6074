"""Summarisation tasks through the real runner (tiny model), and offline scoring."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import cli, quiet, run_options

from partages_bench.generator import generate_records
from partages_bench.registry import Registry
from partages_bench.rundir import load_report
from partages_bench.runner import run


def test_the_family_lists_its_tasks_with_the_shared_metrics() -> None:
    cards = {c.name: c for c in Registry.discover().cards.values() if c.family == "summarisation"}
    assert set(cards) == {"record_summary", "refomed"}
    # Template metrics and the task's own, merged.
    assert {"rougeL", "bertscore_f1", "key_fact_recall"} <= set(cards["record_summary"].metrics)
    assert "key_fact_recall" not in cards["refomed"].metrics


def test_a_run_without_a_bertscore_model_says_why(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    """Offline, bert_score's French model is not there: no BERTScore, and the report says so."""
    settings = run_options(
        tiny_model,
        shared_data,
        tmp_path / "run",
        tasks=["summarisation"],
        limit=3,
        num_fewshot=None,
    )
    report = run(settings, quiet())
    summary = report.tasks["record_summary"]
    assert summary.primary_metric == "key_fact_recall"
    expected = {
        "key_fact_recall",
        "key_fact_recall/label=treatment",
        "unsupported_rate",
        "rougeL",
        "compression",
        "key_fact_recall/difficulty=easy",
    }
    assert expected <= set(summary.metrics)
    assert not any(name.startswith("bertscore") for name in summary.metrics)
    assert summary.notes[0].startswith("BERTScore not computed: cannot load")
    assert "rougeL" in report.tasks["refomed"].metrics
    assert "BERTScore not computed" in (tmp_path / "run" / "report.md").read_text()


def test_a_run_with_a_local_bertscore_model_names_it(
    tiny_model: Path, tiny_bert: Path, shared_data: Path, tmp_path: Path
) -> None:
    options = run_options(
        tiny_model,
        shared_data,
        tmp_path / "run",
        tasks=["refomed"],
        limit=3,
        bertscore_model=str(tiny_bert),
        bertscore_layers=2,
    )
    run(options, quiet())
    task = load_report(tmp_path / "run").tasks["refomed"]
    assert 0.0 <= task.metrics["bertscore_f1"].value <= 1.0
    assert str(tiny_bert) in task.notes[0] and "num_layers 2" in task.notes[0]


def test_generate_records_then_score_them_offline(tmp_path: Path) -> None:
    gold = tmp_path / "records.jsonl"
    result = cli(
        "data", "generate-records", "--n", "4", "--seed", "3", "--out", str(gold), timeout=None
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in gold.read_text().splitlines()]
    assert records == generate_records(4, 3, "test")
    predictions = tmp_path / "predictions.jsonl"
    answers = [records[0]["reference"], "", records[2]["source"][:400], "Rien à signaler."]
    predictions.write_text(
        "".join(
            json.dumps({"id": r["id"], "output": a}, ensure_ascii=False) + "\n"
            for r, a in zip(records, answers, strict=True)
        )
    )
    result = cli(
        "score",
        "summarisation",
        "--gold",
        str(gold),
        "--predictions",
        str(predictions),
        "--json",
        timeout=None,
    )
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    facts = [len(r["key_facts"]) for r in records]
    # The reference states every fact of record 0; the blank answer and the prose none.
    assert scores["key_fact_recall"]["value"] >= facts[0] / sum(facts)
    assert scores["rougeL"]["value"] > 0.25
    assert "bertscore_f1" not in scores
    assert scores["empty_rate"]["value"] == 0.25
