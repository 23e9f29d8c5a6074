"""The runner through lm-eval's real hf backend, on a tiny random model and real data."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from helpers import quiet, task_folder_copy
from helpers import run_options as options
from rich.console import Console

from partages_bench.registry import builtin_tasks_dir
from partages_bench.rundir import load_report
from partages_bench.runner import run


def without_clock(report_json: str) -> dict:
    report = json.loads(report_json)
    for key in ("start_time", "end_time", "duration_seconds"):
        report["provenance"].pop(key)
    return report


def test_report_has_every_field(tiny_model: Path, shared_data: Path, tmp_path: Path) -> None:
    console = Console(file=io.StringIO(), width=100)
    report = run(options(tiny_model, shared_data, tmp_path / "run"), console)
    task = report.tasks["frenchmedmcqa"]
    assert task.skipped is None
    assert task.n_samples == 6
    assert task.num_fewshot == 1
    assert set(task.metrics) == {"emr", "hamming", "unparsable_rate", "accuracy_single"}
    for metric in task.metrics.values():
        assert metric.ci_low <= metric.value <= metric.ci_high
    assert len(task.task_hash) == len(task.data_hash) == 64
    assert report.model.weights_sha256 and len(report.model.weights_sha256) == 64
    assert report.provenance.libraries["lm_eval"] == "0.4.13"
    assert report.provenance.seed == 1234
    samples = (tmp_path / "run" / "samples" / "frenchmedmcqa.jsonl").read_text().splitlines()
    assert len(samples) == 6
    first = json.loads(samples[0])
    assert first["doc_id"] == "5987fa6bffd499eb439c90679d7fbca822d62bc639d1b9c94c68ae20e46f6004"
    assert first["prompt"].endswith("Réponse(s) :")
    assert set(first["stats"]) == {"emr", "hamming", "unparsable", "single_correct"}
    assert load_report(tmp_path / "run") == report
    assert "| frenchmedmcqa | qa | 6 | emr |" in (tmp_path / "run" / "report.md").read_text()
    assert not report.model.chat_template
    # What the terminal keeps: the plan, then one line per finished task.
    printed = console.file.getvalue().splitlines()
    assert printed[0].endswith("(hf): 1 task to run")
    assert printed[1].startswith("✓ frenchmedmcqa: emr ")
    assert "(6 documents, " in printed[1]


def test_the_progress_display_counts_documents() -> None:
    """A multiple-choice document asks one request per option: the bar counts documents,
    each done when its last request is answered."""
    from lm_eval.api.instance import Instance
    from rich.progress import Progress

    from partages_bench.runner import _progress_lm

    class Echo:
        def loglikelihood(self, requests: list) -> list:
            return [(0.0, False)] * len(requests)

    requests = [
        Instance("loglikelihood", {}, ("q", f" {option}"), idx=option, metadata=("t", doc, 1))
        for doc in range(10)
        for option in range(5)
    ]
    with Progress(console=quiet()) as progress:
        bar = progress.add_task("t", total=None)
        wrapped = _progress_lm(Echo(), progress, bar)
        wrapped.chunk = 7
        assert len(wrapped.loglikelihood(requests)) == 50
        assert (progress.tasks[0].total, progress.tasks[0].completed) == (10, 10)


def test_two_runs_differ_only_in_timestamps(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    for name in ("a", "b"):
        run(options(tiny_model, shared_data, tmp_path / name), quiet())
    first, second = (tmp_path / "a" / "report.json"), (tmp_path / "b" / "report.json")
    assert without_clock(first.read_text()) == without_clock(second.read_text())
    samples = "samples/frenchmedmcqa.jsonl"
    assert (tmp_path / "a" / samples).read_bytes() == (tmp_path / "b" / samples).read_bytes()


def test_hashes_follow_prompt_and_data(tiny_model: Path, shared_data: Path, tmp_path: Path) -> None:
    base = run(options(tiny_model, shared_data, tmp_path / "a"), quiet()).tasks["frenchmedmcqa"]
    more_shots = run(
        options(tiny_model, shared_data, tmp_path / "b", num_fewshot=2), quiet()
    ).tasks["frenchmedmcqa"]
    fewer_docs = run(options(tiny_model, shared_data, tmp_path / "c", limit=5), quiet()).tasks[
        "frenchmedmcqa"
    ]
    assert more_shots.task_hash != base.task_hash
    assert more_shots.data_hash == base.data_hash
    assert fewer_docs.data_hash != base.data_hash
    assert fewer_docs.task_hash == base.task_hash


def test_a_crash_keeps_the_finished_tasks(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    crashing = task_folder_copy(tmp_path / "tasks" / "crashing")
    yaml_text = (
        (builtin_tasks_dir() / "qa" / "frenchmedmcqa" / "frenchmedmcqa.yaml")
        .read_text()
        .replace("task: frenchmedmcqa", "task: crashing_mcqa")
    )
    (crashing / "crashing.yaml").write_text(yaml_text)
    with (crashing / "utils.py").open("a") as utils:
        utils.write(
            "\n\ndef process_results(doc, results):\n    raise RuntimeError('scorer exploded')\n"
        )
    settings = options(
        tiny_model,
        shared_data,
        tmp_path / "run",
        tasks=["frenchmedmcqa", "crashing_mcqa"],
        include_paths=[tmp_path / "tasks"],
    )
    with pytest.raises(RuntimeError, match="scorer exploded"):
        run(settings, quiet())
    report = load_report(tmp_path / "run")
    assert report.tasks["frenchmedmcqa"].n_samples == 6
    assert report.tasks["frenchmedmcqa"].skipped is None
    assert "scorer exploded" in (report.tasks["crashing_mcqa"].skipped or "")
    assert report.provenance.duration_seconds is not None


def test_loglikelihood_variant_scores_questions_not_options(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    settings = options(
        tiny_model, shared_data, tmp_path / "run", tasks=["frenchmedmcqa_ll"], limit=15
    )
    task = run(settings, quiet()).tasks["frenchmedmcqa_ll"]
    # 15 option documents are the five options of three questions.
    assert task.n_samples == 3
    assert {"emr", "hamming", "empty_rate", "accuracy_single"} == set(task.metrics)
    samples = [
        json.loads(line)
        for line in (tmp_path / "run" / "samples" / "frenchmedmcqa_ll.jsonl").open()
    ]
    assert samples[0]["doc_id"] == (
        "5987fa6bffd499eb439c90679d7fbca822d62bc639d1b9c94c68ae20e46f6004"
    )
    assert samples[0]["target"] == "C"
    assert samples[0]["prompt"].count("est-elle exacte ?") == 5


def test_count_variant_and_chat_template(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    settings = options(
        tiny_model,
        shared_data,
        tmp_path / "run",
        tasks=["frenchmedmcqa_nbr"],
        num_fewshot=2,
        apply_chat_template=True,
    )
    report = run(settings, quiet())
    assert report.model.chat_template  # the same model without it is another model
    task = report.tasks["frenchmedmcqa_nbr"]
    assert task.primary_metric == "macro_f1"
    assert 0.0 <= task.metrics["macro_f1"].value <= 1.0
    first = json.loads((tmp_path / "run" / "samples" / "frenchmedmcqa_nbr.jsonl").open().readline())
    # Few-shot examples as a multi-turn conversation: two examples, then the question.
    assert first["prompt"].count("<|im_start|>user") == 3
    assert first["prompt"].rstrip().endswith("<|im_start|>assistant")


def test_pseudonymisation_logs_hold_no_identifier_in_clear(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    from partages_bench.data import load_splits
    from partages_bench.generator import generate_notes

    tasks = ["pseudo_detect_generated", "pseudo_rewrite_eds"]
    notes = (
        generate_notes(4, 20261125, "test")
        + load_splits("eds_pseudo_synthetic", shared_data)["test"][:4]
    )
    mentions = {e["text"] for note in notes for e in note["entities"] if len(e["text"]) >= 4}
    assert len(mentions) > 20

    def leaked(folder: Path) -> set[str]:
        everything = "".join(p.read_text() for p in folder.rglob("*") if p.is_file())
        return {mention for mention in mentions if mention in everything}

    run(options(tiny_model, shared_data, tmp_path / "masked", tasks=tasks, limit=4), quiet())
    assert leaked(tmp_path / "masked") == set()
    report = load_report(tmp_path / "masked")
    assert report.tasks["pseudo_detect_generated"].primary_metric == "leak_rate"
    assert "leak_rate/label=NOM" in report.tasks["pseudo_rewrite_eds"].metrics

    settings = options(tiny_model, shared_data, tmp_path / "clear", tasks=tasks, limit=4)
    settings.log_phi = True
    run(settings, quiet())
    assert len(leaked(tmp_path / "clear")) > 10


def test_the_runner_scores_documents_from_passages(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    run(options(tiny_model, shared_data, tmp_path / "run", tasks=["ner"], limit=3), quiet())
    report = load_report(tmp_path / "run")
    for name in ("e3c_fr", "quaero_emea", "quaero_medline", "mantra_gsc_fr"):
        task = report.tasks[name]
        assert task.primary_metric == "strict_f1" and 0 <= task.metrics["strict_f1"].value <= 1
        assert "partial_macro_f1" in task.metrics and "unparsable_rate" in task.metrics
    assert "strict_f1/label=DISO" in report.tasks["quaero_emea"].metrics
    assert "strict_f1/subcorpus=EMEA" in report.tasks["mantra_gsc_fr"].metrics
    samples = tmp_path / "run" / "samples" / "quaero_medline.jsonl"
    first = json.loads(samples.open().readline())
    assert "strict_cor" in first["stats"] and "strict.DISO_mis" in first["stats"]


def test_documents_too_long_for_the_context_are_skipped_and_counted(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    """With a 790-token context, 512 of them kept for the answer, the longer of the first 12
    E3C passages (zero-shot: 152 tokens of instructions + 56 to 138 of passage) cannot fit: they
    are not evaluated, never cut, and the report counts them."""
    settings = options(
        tiny_model,
        shared_data,
        tmp_path / "run",
        tasks=["e3c_fr"],
        limit=12,
        num_fewshot=0,
        model_args=f"pretrained={tiny_model},device=cpu,max_length=790",
    )
    task = run(settings, quiet()).tasks["e3c_fr"]
    assert 0 < task.truncated_or_skipped < 12
    assert task.context_check.startswith(f"{task.truncated_or_skipped} of 12 documents")
    logged = (tmp_path / "run" / "samples" / "e3c_fr.jsonl").read_text()
    assert logged.count("Entités (JSON) :") == 12 - task.truncated_or_skipped
    again = options(tiny_model, shared_data, tmp_path / "all", tasks=["e3c_fr"], limit=4)
    task = run(again, quiet()).tasks["e3c_fr"]
    assert task.truncated_or_skipped == 0
    assert task.context_check.startswith("every prompt fits")
