"""Bad input, table-driven (issue 18): every case is a command line, the inputs it reads, the
exit code and the words its one ``error:`` line must hold — never a traceback.

Cases run in-process through ``cli.main`` (the entry point ``python -m partages_bench`` calls:
same parsing, same error plumbing, no interpreter start-up); those marked ``SUBPROCESS`` also run
through ``python -m partages_bench``. A few cases are decisions on input that used to be
accepted silently: refused (exit 2), or accepted on purpose (exit 0, said in the README).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import provenance, task_folder_copy, write_jsonl

from partages_bench import cli
from partages_bench.options import RunOptions
from partages_bench.registry import Registry, builtin_tasks_dir
from partages_bench.report import data_hash, metric_values
from partages_bench.rundir import RUN_OPTIONS_JSON, save_run_options, write_report, write_samples
from partages_bench.schema import ModelIdentity, Report, SampleRecord, TaskResult

REGISTRY = Registry.discover()
QA = "frenchmedmcqa"
LATIN1 = "é à ç".encode("latin-1")
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --- inputs, made on demand by name -----------------------------------------------------------


def _records(doc_ids: list[str]) -> list[SampleRecord]:
    return [
        SampleRecord(
            doc_index=i,
            doc_id=doc_id,
            doc_hash=hashlib.sha256(f"{doc_id}:{i}".encode()).hexdigest(),
            prompt=f"question {i}",
            output="A",
            target="A",
            stats={
                "emr": float(i % 2),
                "hamming": float(i % 2),
                "unparsable": 0.0,
                "single_correct": float(i % 2),
            },
        )
        for i, doc_id in enumerate(doc_ids)
    ]


def _run_folder(folder: Path, doc_ids: list[str] | None = None) -> Path:
    """A finished run of frenchmedmcqa: report.json, samples/ and run.json."""
    records = _records(doc_ids or [f"q{i}" for i in range(8)])
    card = REGISTRY.card(QA)
    folder.mkdir(parents=True)
    (folder / "samples").mkdir()
    write_samples(folder, QA, records)
    result = TaskResult(
        name=QA,
        family=card.family,
        version=card.version,
        dataset=card.dataset,
        primary_metric=card.primary_metric,
        metrics=metric_values(card, records, 20, 0),
        n_samples=len(records),
        task_hash="t" * 64,
        data_hash=data_hash(records),
    )
    run_provenance = provenance(
        bootstrap_iterations=20,
        end_time="2026-01-01T10:10:00+00:00",
        duration_seconds=600.0,
    )
    model = ModelIdentity(backend="hf", lm_eval_model="hf", name="m", args={"pretrained": "m"})
    write_report(folder, Report(model=model, tasks={QA: result}, provenance=run_provenance))
    save_run_options(RunOptions(output=folder, model="hf", model_args="pretrained=m"))
    return folder


def _edited_report(folder: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    report = json.loads((folder / "report.json").read_text("utf-8"))
    edit(report)
    (folder / "report.json").write_text(json.dumps(report), "utf-8")  # NaN written as NaN
    return folder


def _edited_run_json(folder: Path, edit: Callable[[Any], Any]) -> Path:
    settings = json.loads((folder / RUN_OPTIONS_JSON).read_text("utf-8"))
    (folder / RUN_OPTIONS_JSON).write_text(json.dumps(edit(settings)), "utf-8")
    return folder


def _metric(report: dict[str, Any]) -> dict[str, Any]:
    return report["tasks"][QA]["metrics"]["emr"]


def _task(folder: Path, edits: dict[str, str] | None = None, utils: bytes | None = None) -> Path:
    """A copy of the frenchmedmcqa task as ``my_mcqa`` (templates, utils.py), edited."""
    source = builtin_tasks_dir() / "qa" / QA
    task_folder_copy(folder)
    text = (source / f"{QA}.yaml").read_text("utf-8").replace(f"task: {QA}", "task: my_mcqa")
    for old, new in (edits or {}).items():
        assert old in text
        text = text.replace(old, new)
    (folder / "my_mcqa.yaml").write_text(text, "utf-8")
    if utils is not None:
        (folder / "utils.py").write_bytes(utils)
    return folder


def _loop(path: Path) -> Path:
    path.symlink_to(path)
    return path


def _under_file(path: Path) -> Path:
    path.write_text("a file")
    return path / "below"


QA_GOLD = [{"id": f"q{i}", "question": "?", "correct_answers": ["a"]} for i in range(4)]
QA_PREDICTIONS = [{"id": f"q{i}", "output": "A"} for i in range(4)]
NOTE = {"note_id": "n1", "text": "M. Jean Dupont, né le 12/03/1960.", "entities": []}
NOTE["entities"] = [{"start": 3, "end": 14, "label": "NOM"}]
NER_GOLD = [{"doc_id": "d1", "text": "fièvre et toux", "entities": []}]
RESPONSE_GOLD = [
    {"id": "r1", "text": "Maladie stable.", "label": "MaladieStable", "justifications": []}
]
CASE_GOLD = {
    "id": "c1",
    "case": "Enfant de 2 ans.",
    "options": {"1": "A", "2": "B"},
    "answer": "2",
    "explanation": "B car 2 ans.",
}
SCENARIO_GOLD = [{"id": "r1", "text": "Patient de 67 ans.", "speciality": "X", "scenario": {}}]


def _summary_gold(reference: str) -> list[dict[str, str]]:
    return [{"id": f"s{i}", "reference": reference, "source": "Patient de 60 ans."} for i in "12"]


def _summary_predictions(output: str) -> list[dict[str, str]]:
    return [{"id": f"s{i}", "output": output} for i in "12"]


Builder = Callable[[Path], Path]
TEMPLATE = "_frenchmedmcqa_template_yaml"


def _report_edit(name: str, edit: Callable[[dict[str, Any]], None]) -> Builder:
    return lambda p: _edited_report(_run_folder(p / name), edit)


def _metric_edit(name: str, **fields: float) -> Builder:
    return _report_edit(name, lambda report: _metric(report).update(fields))


def _run_json_edit(name: str, edit: Callable[[Any], Any]) -> Builder:
    return lambda p: _edited_run_json(_run_folder(p / name), edit)


def _task_edit(name: str, old: str, new: str) -> Builder:
    return lambda p: _task(p / name, {old: new})


BUILDERS: dict[str, Builder] = {
    # score inputs
    "qa_gold": lambda p: write_jsonl(p / "gold.jsonl", QA_GOLD),
    "qa_predictions": lambda p: write_jsonl(p / "pred.jsonl", QA_PREDICTIONS),
    "latin1_gold": lambda p: _write(p / "latin1.jsonl", b'{"id": "q1"}\n{"id": "' + LATIN1 + b'"}'),
    "binary_predictions": lambda p: _write(p / "binary.jsonl", b"\x89PNG\r\n\x1a\n\x00\xff\xfe"),
    "latin1_array": lambda p: _write(p / "latin1.json", b'[\n{"id": "' + LATIN1 + b'"}]'),
    "nan_gold": lambda p: _write(p / "nan.jsonl", b'{"id": "q1", "correct_answers": NaN}\n'),
    "notes": lambda p: write_jsonl(p / "notes.jsonl", [NOTE]),
    "notes_entities_string": lambda p: write_jsonl(p / "n1.jsonl", [NOTE | {"entities": "NOM"}]),
    "notes_entities_ints": lambda p: write_jsonl(p / "n2.jsonl", [NOTE | {"entities": [1, 2]}]),
    "rewrite_text_int": lambda p: write_jsonl(p / "r1.jsonl", [{"note_id": "n1", "text": 5}]),
    "rewrite_text_dict": lambda p: write_jsonl(
        p / "r2.jsonl", [{"note_id": "n1", "text": {"a": 1}}]
    ),
    "detect_strings": lambda p: write_jsonl(
        p / "d.jsonl", [{"note_id": "n1", "entities": ["start"]}]
    ),
    "ner_gold": lambda p: write_jsonl(p / "ner.jsonl", NER_GOLD),
    "scenario_gold": lambda p: write_jsonl(p / "sc.jsonl", SCENARIO_GOLD),
    "case_gold": lambda p: write_jsonl(p / "cg.jsonl", [CASE_GOLD]),
    "case_gold_answer_9": lambda p: write_jsonl(p / "cg9.jsonl", [CASE_GOLD | {"answer": "9"}]),
    "case_no_answer": lambda p: write_jsonl(p / "cp.jsonl", [{"id": "c1", "explanation": "x"}]),
    "scenario_gold_age_int": lambda p: write_jsonl(
        p / "sca.jsonl", [SCENARIO_GOLD[0] | {"scenario": {"age": 67}}]
    ),
    "scenario_fields_list": lambda p: write_jsonl(p / "scf.jsonl", [{"id": "r1", "fields": [1]}]),
    "coding_gold_invalid": lambda p: write_jsonl(
        p / "cgi.jsonl", [{"doc_id": "s1", "codes": ["I50.0", "E95"]}]
    ),
    "coding_codes_string": lambda p: write_jsonl(
        p / "ccs.jsonl", [{"doc_id": "s1", "codes": "I10"}]
    ),
    "ner_gold_text_dict": lambda p: write_jsonl(p / "ner2.jsonl", [NER_GOLD[0] | {"text": {}}]),
    "summary_gold": lambda p: write_jsonl(p / "sg.jsonl", _summary_gold("Fièvre traitée.")),
    "summary_gold_empty": lambda p: write_jsonl(p / "sge.jsonl", _summary_gold("")),
    "summary_predictions": lambda p: write_jsonl(p / "sp.jsonl", _summary_predictions("Fièvre.")),
    "summary_output_int": lambda p: write_jsonl(
        p / "spi.jsonl", [{"id": "s1", "output": 3}, {"id": "s2", "output": "Fièvre."}]
    ),
    "response_gold": lambda p: write_jsonl(p / "rg.jsonl", RESPONSE_GOLD),
    "response_gold_label_list": lambda p: write_jsonl(
        p / "rg2.jsonl", [RESPONSE_GOLD[0] | {"label": ["MaladieStable"]}]
    ),
    "response_no_label": lambda p: write_jsonl(p / "rp.jsonl", [{"id": "r1", "class": "x"}]),
    "folder": lambda p: _mkdir(p / "a-folder"),
    "loop": lambda p: _loop(p / "loop.json"),
    # run folders
    "run": lambda p: _run_folder(p / "run"),
    "run_dup_ids": lambda p: _run_folder(p / "dup", ["q0", "q1", "q1", "q3"]),
    "run_latin1_samples": lambda p: _write_in(_run_folder(p / "l1"), f"samples/{QA}.jsonl"),
    "run_samples_folder": lambda p: _samples_folder(_run_folder(p / "sf")),
    "run_report_folder": lambda p: _report_replaced(_run_folder(p / "rf"), _mkdir),
    "run_report_loop": lambda p: _report_replaced(_run_folder(p / "rl"), _loop),
    "run_report_latin1": lambda p: _write_in(_run_folder(p / "rl1"), "report.json"),
    "run_nan": _metric_edit("nan", value=float("nan")),
    "run_infinite_ci": _metric_edit("inf", ci_high=float("inf")),
    "run_negative": _metric_edit("neg", value=-0.2, ci_low=-0.3, ci_high=-0.1),
    "run_reversed": _metric_edit("rev", ci_low=0.9, ci_high=0.1),
    "run_schema_999": _report_edit("s999", lambda r: r.update(schema_version=999)),
    "run_yesterday": _report_edit("y", lambda r: r["provenance"].update(start_time="yesterday")),
    "run_json_list": _run_json_edit("rj1", lambda s: [s]),
    "run_json_no_backend": _run_json_edit("rj2", lambda s: _drop(s, "backend")),
    "run_json_no_include": _run_json_edit("rj3", lambda s: _drop(s, "include_paths")),
    "run_json_unknown_key": _run_json_edit("rj4", lambda s: s | {"temperature": 0.7}),
    "run_json_bad_type": _run_json_edit("rj5", lambda s: s | {"seed": "x"}),
    "run_json_folder": lambda p: _replaced(_run_folder(p / "rj6") / RUN_OPTIONS_JSON, _mkdir),
    "run_json_bad_seed": _run_json_edit("rj7", lambda s: s | {"seed": -1}),
    "reports_latin1": lambda p: _write_in(_run_folder(p / "board" / "r1"), "report.json").parent,
    # policies
    "policy_latin1": lambda p: _write(p / "policy.yaml", b"default:\n  max_drop: " + LATIN1),
    # task folders
    "task_latin1_yaml": lambda p: _write_in(_task(p / "t1"), "my_mcqa.yaml"),
    "task_latin1_utils": lambda p: _task(p / "t2", utils=b"def doc_to_text(d):\n    '" + LATIN1),
    "task_include_self": _task_edit("t3", TEMPLATE, "my_mcqa.yaml"),
    "task_include_missing": _task_edit("t4", TEMPLATE, "nope.yaml"),
    "task_include_list": _task_edit("t5", f"include: {TEMPLATE}", f"include: [{TEMPLATE}]"),
    "task_include_folder": lambda p: _mkdir(_task_edit("t6", TEMPLATE, "sub")(p) / "sub").parent,
    "task_output_type_list": _task_edit(
        "t7", "output_type: generate_until", "output_type: [generate_until]"
    ),
    "task_variant_unknown": _task_edit(
        "t8", "  primary_metric: emr", "  primary_metric: emr\n  generative_variant: nonexist"
    ),
    "empty_folder": lambda p: _mkdir(p / "no-yaml"),
    # outputs
    "under_file": lambda p: _under_file(p / "blocker"),
    "bert_folder": lambda p: _mkdir(p / "my-bert"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _write_in(folder: Path, name: str) -> Path:
    """``folder/name`` with a Latin-1 byte on its second line."""
    path = folder / name
    lines = path.read_bytes().split(b"\n", 1)
    path.write_bytes(lines[0] + b"\n" + LATIN1 + b"\n" + (lines[1] if len(lines) > 1 else b""))
    return folder


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def _replaced(path: Path, make: Callable[[Path], Path]) -> Path:
    path.unlink()
    make(path)
    return path.parent


def _report_replaced(folder: Path, make: Callable[[Path], Path]) -> Path:
    return _replaced(folder / "report.json", make)


def _samples_folder(folder: Path) -> Path:
    return _replaced(folder / "samples" / f"{QA}.jsonl", _mkdir).parent


def _drop(settings: dict[str, Any], key: str) -> dict[str, Any]:
    settings.pop(key)
    return settings


class Inputs(dict):
    """``{name}`` placeholders of the table, each input made on first use under ``root``."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, name: str) -> str:
        self[name] = str(BUILDERS[name](self.root))
        return self[name]


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    words: tuple[str, ...] = ()  # in the one error line (placeholders filled)
    code: int = 2
    env: dict[str, str] = field(default_factory=dict)
    subprocess: bool = False  # also through ``python -m partages_bench``
    json_stdout: bool = False  # exit 0 cases: stdout must be strict JSON, stderr empty


def case(id: str, *args: str, words: tuple[str, ...] = (), **settings: Any) -> Case:
    return Case(id, args, words, **settings)


QA_FILES = ("--gold", "{qa_gold}", "--predictions", "{qa_predictions}")
ENDPOINT = ("--model", "openai-completions", "--base-url", "http://127.0.0.1:9/v1")
NO_DATA = ("--tasks", QA, "-o", "{root}/out")  # the dataset is missing: fails after the options
UTF8 = "not UTF-8"

CASES = [
    # Invalid UTF-8, binary or Latin-1 input, on every reader
    case("qa-gold-latin1", "score", "qa", "--gold", "{latin1_gold}", "--predictions",
         "{qa_predictions}", words=("latin1.jsonl line 2", UTF8), subprocess=True),
    case("qa-predictions-binary", "score", "qa", "--gold", "{qa_gold}", "--predictions",
         "{binary_predictions}", words=("binary.jsonl line 1", UTF8)),
    case("qa-gold-array-latin1", "score", "qa", "--gold", "{latin1_array}", "--predictions",
         "{qa_predictions}", words=("latin1.json line 2", UTF8)),
    case("qa-gold-nan", "score", "qa", "--gold", "{nan_gold}", "--predictions",
         "{qa_predictions}", words=("nan.jsonl line 1", "correct_answers", "NaN")),
    case("pseudo-gold-latin1", "score", "pseudonymisation", "--gold", "{latin1_gold}",
         "--predictions", "{notes}", words=("latin1.jsonl line 2", UTF8)),
    case("ner-predictions-binary", "score", "ner", "--gold", "{ner_gold}", "--predictions",
         "{binary_predictions}", words=("binary.jsonl", UTF8)),
    case("summary-gold-latin1", "score", "summarisation", "--gold", "{latin1_gold}",
         "--predictions", "{summary_predictions}", words=("latin1.jsonl line 2", UTF8)),
    case("baseline-qa-latin1", "baseline", "qa-random", "--gold", "{latin1_gold}", "--output",
         "{root}/o.jsonl", words=("latin1.jsonl line 2", UTF8)),
    case("baseline-pseudo-binary", "baseline", "pseudo-rules", "--gold", "{binary_predictions}",
         "--output", "{root}/o.jsonl", words=("binary.jsonl", UTF8)),
    case("compare-samples-latin1", "compare", "{run}", "{run_latin1_samples}",
         words=("frenchmedmcqa.jsonl line 2", UTF8)),
    case("merge-samples-latin1", "report", "merge", "{run_latin1_samples}", "-o", "{root}/m",
         words=("frenchmedmcqa.jsonl line 2", UTF8)),
    case("report-show-latin1", "report", "show", "{run_report_latin1}",
         words=("report.json line 2", UTF8)),
    case("leaderboard-latin1", "leaderboard", "build", "{reports_latin1}", "--out",
         "{root}/site", words=("report.json line 2", UTF8)),
    case("policy-latin1", "compare", "{run}", "{run}", "--policy", "{policy_latin1}",
         words=("policy.yaml line 2", UTF8)),
    case("task-yaml-latin1", "tasks", "validate", "{task_latin1_yaml}",
         words=("my_mcqa.yaml line 2", UTF8)),
    case("task-utils-latin1", "tasks", "validate", "{task_latin1_utils}",
         words=("utils.py line 2", UTF8)),
    case("include-path-latin1", "tasks", "list", "--include-path", "{task_latin1_yaml}",
         words=("my_mcqa.yaml line 2", UTF8)),
    # A path that is a folder or a symlink loop
    case("report-json-folder", "report", "show", "{run_report_folder}",
         words=("report.json", "Is a directory"), subprocess=True),
    case("report-json-loop", "report", "show", "{run_report_loop}",
         words=("report.json", "symbolic links")),
    case("report-loop", "report", "show", "{loop}", words=("loop.json", "symbolic links")),
    case("run-json-folder", "rerun", "{run_json_folder}", words=("run.json", "Is a directory")),
    case("resume-run-json-folder", "run", "--resume", "{run_json_folder}",
         words=("run.json", "Is a directory")),
    case("compare-samples-folder", "compare", "{run}", "{run_samples_folder}",
         words=("frenchmedmcqa.jsonl", "Is a directory")),
    case("merge-samples-folder", "report", "merge", "{run_samples_folder}", "-o", "{root}/m",
         words=("frenchmedmcqa.jsonl", "Is a directory")),
    case("policy-folder", "compare", "{run}", "{run}", "--policy", "{folder}",
         words=("a-folder", "Is a directory")),
    case("policy-loop", "compare", "{run}", "{run}", "--policy", "{loop}",
         words=("loop.json", "symbolic links")),
    case("score-gold-loop", "score", "qa", "--gold", "{loop}", "--predictions",
         "{qa_predictions}", words=("loop.json", "symbolic links")),
    case("bertscore-folder-without-layers", "score", "summarisation", "--gold", "{summary_gold}",
         "--predictions", "{summary_predictions}", "--metrics", "bertscore",
         "--bertscore-model", "{bert_folder}", words=("--bertscore-layers", "my-bert")),
    # An output path that is a folder, under a file, or on a full disk
    case("generate-pseudo-out-folder", "data", "generate-pseudo", "--out", "{folder}", "--n", "1",
         words=("a-folder", "Is a directory"), subprocess=True),
    case("generate-records-out-under-file", "data", "generate-records", "--out", "{under_file}",
         "--n", "1", words=("blocker", "File exists")),
    case("baseline-qa-out-folder", "baseline", "qa-random", "--gold", "{qa_gold}", "--output",
         "{folder}", words=("a-folder", "Is a directory")),
    case("baseline-pseudo-out-under-file", "baseline", "pseudo-rules", "--gold", "{notes}",
         "--output", "{under_file}", words=("blocker", "File exists")),
    case("leaderboard-out-under-file", "leaderboard", "build", "{run}", "--out", "{under_file}",
         words=("blocker",)),
    case("merge-out-under-file", "report", "merge", "{run}", "-o", "{under_file}",
         words=("blocker", "cannot write")),
    case("run-out-under-file", "run", "--tasks", "pseudo_detect_generated", "-o", "{under_file}",
         words=("blocker", "not writable")),
    # Wrong types in score inputs
    case("pseudo-entities-string", "score", "pseudonymisation", "--gold",
         "{notes_entities_string}", "--predictions", "{notes}",
         words=("n1.jsonl", "entities must be a list of objects")),
    case("pseudo-entities-ints", "score", "pseudonymisation", "--gold", "{notes_entities_ints}",
         "--predictions", "{notes}", words=("n2.jsonl", "entities must be a list of objects")),
    case("rewrite-text-int", "score", "pseudonymisation", "--gold", "{notes}", "--predictions",
         "{rewrite_text_int}", words=("r1.jsonl", "n1", "text must be a string")),
    case("rewrite-text-dict", "score", "pseudonymisation", "--gold", "{notes}", "--predictions",
         "{rewrite_text_dict}", words=("r2.jsonl", "n1", "text must be a string")),
    case("detect-entities-strings", "score", "pseudonymisation", "--gold", "{notes}",
         "--predictions", "{detect_strings}", code=0),
    case("ner-text-dict", "score", "ner", "--gold", "{ner_gold_text_dict}", "--predictions",
         "{ner_gold}", words=("ner2.jsonl", "text must be a string")),
    case("scenario-gold-age-int", "score", "structuring", "--gold", "{scenario_gold_age_int}",
         "--predictions", "{scenario_fields_list}", words=("sca.jsonl line 1", "scenario.age")),
    case("scenario-fields-list", "score", "structuring", "--gold", "{scenario_gold}",
         "--predictions", "{scenario_fields_list}",
         words=("scf.jsonl line 1", "fields must be an object")),
    case("scenario-task-not-structuring", "score", "structuring", "--task", "e3c_fr", "--gold",
         "{scenario_gold}", "--predictions", "{scenario_fields_list}",
         words=("--task e3c_fr", "not a structuring one")),
    case("coding-gold-invalid-code", "score", "coding", "--gold", "{coding_gold_invalid}",
         "--predictions", "{coding_codes_string}", words=("cgi.jsonl line 1", "'E95'")),
    case("coding-codes-string", "score", "coding", "--gold", "{coding_codes_string}",
         "--predictions", "{coding_codes_string}", words=("ccs.jsonl line 1", "codes must")),
    case("summary-output-int", "score", "summarisation", "--gold", "{summary_gold}",
         "--predictions", "{summary_output_int}", words=("spi.jsonl", "output must be a string")),
    case("response-gold-label-list", "score", "parhaf_response", "--gold",
         "{response_gold_label_list}", "--predictions", "{response_gold}",
         words=("rg2.jsonl line 1", "is not a class")),
    case("response-prediction-without-label", "score", "classification", "--gold",
         "{response_gold}", "--predictions", "{response_no_label}",
         words=("rp.jsonl line 1", "missing field 'label'")),
    case("case-gold-answer-not-an-option", "score", "teaching", "--gold", "{case_gold_answer_9}",
         "--predictions", "{case_gold}", words=("cg9.jsonl line 1", "answer '9' is not an option")),
    case("case-prediction-without-answer", "score", "teaching", "--gold", "{case_gold}",
         "--predictions", "{case_no_answer}",
         words=("cp.jsonl line 1", "missing field 'answer' (or 'output')")),
    # Out-of-range options
    case("score-seed-negative", "score", "qa", *QA_FILES, "--seed", "-1", words=("--seed", "-1"),
         subprocess=True),
    case("compare-seed-negative", "compare", "{run}", "{run}", "--seed", "-1",
         words=("--seed", "-1")),
    case("seed-not-an-integer", "score", "ner", "--gold", "{ner_gold}", "--predictions",
         "{ner_gold}", "--seed", "abc", words=("--seed", "integer")),
    case("max-drop-negative", "compare", "{run}", "{run}", "--max-drop", "-1",
         words=("--max-drop", "-1")),
    case("max-drop-nan", "compare", "{run}", "{run}", "--max-drop", "nan",
         words=("--max-drop", "nan")),
    case("alpha-nan", "compare", "{run}", "{run}", "--alpha", "nan", words=("--alpha", "nan")),
    case("score-bootstrap-zero", "score", "qa", *QA_FILES, "--bootstrap", "0",
         words=("--bootstrap", "0")),
    case("score-bootstrap-negative", "score", "pseudonymisation", "--gold", "{notes}",
         "--predictions", "{notes}", "--bootstrap", "-5", words=("--bootstrap", "-5")),
    case("score-bootstrap-absurd", "score", "qa", *QA_FILES, "--bootstrap", "99999999999",
         words=("--bootstrap", "99999999999")),
    case("compare-bootstrap-absurd", "compare", "{run}", "{run}", "--bootstrap", "99999999999",
         words=("--bootstrap", "99999999999")),
    case("run-bootstrap-zero", "run", *NO_DATA, "--bootstrap", "0", words=("--bootstrap", "0")),
    case("limit-negative", "run", *NO_DATA, "--limit", "-2", words=("--limit", "-2")),
    case("limit-zero", "run", *NO_DATA, "--limit", "0", words=("--limit", "0")),
    case("limit-nan", "run", *NO_DATA, "--limit", "nan", words=("--limit", "nan")),
    case("limit-not-whole", "run", *NO_DATA, "--limit", "2.5", words=("--limit", "2.5")),
    case("batch-size-abc", "run", *NO_DATA, "--batch-size", "abc", words=("--batch-size", "abc")),
    case("batch-size-zero", "run", *NO_DATA, "--batch-size", "0", words=("--batch-size", "0")),
    case("n-negative", "data", "generate-pseudo", "--out", "{root}/n.jsonl", "--n", "-5",
         words=("--n", "-5")),
    case("coding-n-zero", "data", "generate-coding", "--out", "{root}/n.jsonl", "--n", "0",
         words=("--n", "0")),
    case("records-n-zero", "data", "generate-records", "--out", "{root}/n.jsonl", "--n", "0",
         words=("--n", "0")),
    case("oncology-n-zero", "data", "generate-oncology", "--out", "{root}/n.jsonl", "--n", "0",
         words=("--n", "0")),
    case("num-fewshot-negative", "run", *NO_DATA, "--num-fewshot", "-1",
         words=("--num-fewshot", "-1")),
    case("timeout-zero", "run", *ENDPOINT, *NO_DATA, "--timeout", "0", words=("--timeout", "0")),
    case("timeout-negative", "run", *ENDPOINT, *NO_DATA, "--timeout", "-5",
         words=("--timeout", "-5")),
    case("max-retries-negative", "run", *ENDPOINT, *NO_DATA, "--max-retries", "-1",
         words=("--max-retries", "-1")),
    case("concurrency-zero", "run", *ENDPOINT, *NO_DATA, "--concurrency", "0",
         words=("--concurrency", "0")),
    case("max-length-negative", "run", *NO_DATA, "--max-length", "-1",
         words=("--max-length", "-1")),
    case("bertscore-layers-zero", "run", *NO_DATA, "--bertscore-layers", "0",
         words=("--bertscore-layers", "0")),
    case("gpu-memory-above-one", "run", *NO_DATA, "--gpu-memory-utilization", "1.5",
         words=("--gpu-memory-utilization", "1.5")),
    case("compare-runs-zero", "leaderboard", "build", "{run}", "--out", "{root}/site",
         "--compare-runs", "0", words=("--compare-runs", "0")),
    case("resume-timeout-zero", "run", "--resume", "{run}", "--timeout", "0",
         words=("--timeout", "0")),
    case("model-args-unknown", "run", *NO_DATA, "--model-args", "foo=bar",
         words=("--model-args", "foo")),
    case("pretrained-missing-folder", "run", *NO_DATA, "--model", "hf", "--model-args",
         "pretrained=/nonexistent/model", words=("pretrained", "/nonexistent/model")),
    case("pretrained-not-a-hub-id", "run", *NO_DATA, "--model", "hf", "--model-args",
         "pretrained=not a model!", words=("pretrained", "not a model!")),
    case("pretrained-offline-not-cached", "run", *NO_DATA, "--model", "hf", "--model-args",
         "pretrained=partages/no-such-model", words=("partages/no-such-model", "offline")),
    # run.json: a list, a key missing, a key unknown, a wrong type
    case("rerun-run-json-list", "rerun", "{run_json_list}", words=("run.json", "object"),
         subprocess=True),
    case("resume-run-json-list", "run", "--resume", "{run_json_list}",
         words=("run.json", "object")),
    case("rerun-no-backend", "rerun", "{run_json_no_backend}", words=("run.json", "backend")),
    case("resume-no-backend", "run", "--resume", "{run_json_no_backend}",
         words=("run.json", "backend")),
    case("rerun-no-include-paths", "rerun", "{run_json_no_include}",
         words=("run.json", "include_paths")),
    case("resume-no-include-paths", "run", "--resume", "{run_json_no_include}",
         words=("run.json", "include_paths")),
    case("rerun-unknown-key", "rerun", "{run_json_unknown_key}",
         words=("run.json", "temperature")),
    case("resume-unknown-key", "run", "--resume", "{run_json_unknown_key}",
         words=("run.json", "temperature")),
    case("resume-bad-type", "run", "--resume", "{run_json_bad_type}", words=("run.json", "seed")),
    # the limits of options.LIMITS, in the words the command line uses
    case("resume-seed-out-of-range", "run", "--resume", "{run_json_bad_seed}",
         words=("--seed", "-1 is out of range (0 to 4294967295)")),
    # Task YAML include: and output_type
    case("include-itself", "tasks", "validate", "{task_include_self}",
         words=("my_mcqa.yaml", "include"), subprocess=True),
    case("include-missing", "tasks", "validate", "{task_include_missing}",
         words=("my_mcqa.yaml", "include", "nope.yaml")),
    case("include-list", "tasks", "validate", "{task_include_list}",
         words=("my_mcqa.yaml", "include")),
    case("include-folder", "tasks", "validate", "{task_include_folder}",
         words=("my_mcqa.yaml", "include", "sub")),
    case("output-type-list", "tasks", "validate", "{task_output_type_list}",
         words=("my_mcqa.yaml", "output_type")),
    # data pull
    case("pull-mirror-not-a-url", "data", "pull", "refomed_fr", "--to", "{root}/d",
         words=("notaurl", "http"),
         env={"PARTAGES_BENCH_MIRROR_URL": "notaurl", "PARTAGES_BENCH_OFFLINE": "0"}),
    case("pull-to-under-file", "data", "pull", "refomed_fr", "--to", "{under_file}",
         words=("blocker", "not a folder")),
    # report merge and the report schema
    case("merge-start-time-yesterday", "report", "merge", "{run_yesterday}", "-o", "{root}/m",
         words=("provenance.start_time", "yesterday")),
    case("show-schema-999", "report", "show", "{run_schema_999}",
         words=("schema_version", "999")),
    case("show-nan", "report", "show", "{run_nan}", words=("metrics.emr.value", "NaN")),
    case("show-infinite-ci", "report", "show", "{run_infinite_ci}",
         words=("metrics.emr.ci_high", "Infinity")),
    case("show-reversed-interval", "report", "show", "{run_reversed}",
         words=("metrics.emr", "ci_low")),
    case("show-negative", "report", "show", "{run_negative}", code=0),  # rescaled BERTScore < 0
    # Accepted silently until now: refused
    case("tasks-comma", "run", "--tasks", ",", "-o", "{root}/out", words=("--tasks",)),
    case("compare-duplicate-doc-id", "compare", "{run_dup_ids}", "{run_dup_ids}",
         words=("frenchmedmcqa.jsonl", "doc_id 'q1'")),
    case("validate-empty-folder", "tasks", "validate", "{empty_folder}",
         words=("no-yaml", "no task YAML")),
    case("validate-unknown-variant", "tasks", "validate", "{task_variant_unknown}",
         words=("generative_variant", "nonexist")),
    case("summary-empty-references-json", "score", "summarisation", "--gold",
         "{summary_gold_empty}", "--predictions", "{summary_predictions}", "--json", code=0,
         json_stdout=True),
]  # fmt: skip


@dataclass
class Outcome:
    code: int | None  # None: an exception escaped main()
    stdout: str
    stderr: str


def run_in_process(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Outcome:
    monkeypatch.setattr(sys, "argv", ["partages-bench", *args])
    code: int | None = 0
    escaped = ""
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:
        code, escaped = None, traceback.format_exc()
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err + escaped)


def run_subprocess(args: list[str], env: dict[str, str]) -> Outcome:
    result = subprocess.run(
        [sys.executable, "-m", "partages_bench", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    return Outcome(result.returncode, result.stdout, result.stderr)


def check(outcome: Outcome, expected: Case, words: list[str]) -> None:
    assert outcome.code == expected.code, outcome.stderr
    assert "Traceback" not in outcome.stderr, outcome.stderr
    if expected.code == 0:
        if expected.json_stdout:
            json.loads(outcome.stdout, parse_constant=pytest.fail)  # strict: no bare NaN
            assert outcome.stderr == "", outcome.stderr  # no NumPy warning
        return
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith("error: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def offline_mirror_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTAGES_BENCH_MIRROR_URL", raising=False)


@pytest.mark.parametrize("expected", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_and_exit_2(
    expected: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    offline_mirror_env: None,
) -> None:
    inputs = Inputs(tmp_path)
    inputs["root"] = str(tmp_path)
    args = [arg.format_map(inputs) for arg in expected.args]
    words = [word.format_map(inputs) for word in expected.words]
    for name, value in expected.env.items():
        monkeypatch.setenv(name, value)
    check(run_in_process(args, monkeypatch, capsys), expected, words)
    if expected.subprocess:
        check(run_subprocess(args, expected.env), expected, words)


def test_the_table_covers_every_cause() -> None:
    assert len(CASES) == len({c.id for c in CASES})
    assert len(CASES) >= 90


# --- cases that need a server, a model stand-in or a large input ------------------------------


@pytest.fixture
def not_http() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that answers every connection with a line that is not HTTP."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def answer() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(4096)
                connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


def test_a_mirror_answering_non_http_is_one_line(
    not_http: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for variable in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(variable, "127.0.0.1")
    monkeypatch.setenv("PARTAGES_BENCH_OFFLINE", "0")
    monkeypatch.setenv("PARTAGES_BENCH_MIRROR_URL", not_http)
    args = ["data", "pull", "refomed_fr", "--to", str(tmp_path / "d")]
    outcome = run_in_process(args, monkeypatch, capsys)
    check(outcome, Case("pull-not-http", ()), [not_http, "not an HTTP answer"])


def test_debug_keeps_the_exit_code_and_adds_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from partages_bench import runner
    from partages_bench.errors import RunInterrupted

    def stopped(*args: Any) -> None:
        raise RunInterrupted("task x: the endpoint stopped answering")

    monkeypatch.setattr(runner, "run", stopped)
    plain = run_in_process(["run", "-o", str(tmp_path)], monkeypatch, capsys)
    assert (plain.code, plain.stderr) == (3, "error: task x: the endpoint stopped answering\n")
    debug = run_in_process(["--debug", "run", "-o", str(tmp_path)], monkeypatch, capsys)
    assert debug.code == 3
    assert "Traceback" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("error: task x: the endpoint")


def test_an_os_error_with_a_file_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The backstop for output paths: any OSError naming a file, from any command."""
    from partages_bench import rundir

    def full(*args: Any) -> None:
        raise OSError(28, "No space left on device", "/data/run/report.json")

    monkeypatch.setattr(rundir, "load_report", full)
    outcome = run_in_process(["report", "show", "x"], monkeypatch, capsys)
    assert (outcome.code, outcome.stderr) == (
        2,
        "error: /data/run/report.json: No space left on device\n",
    )


def test_a_huge_summary_is_scored_on_its_first_characters(tmp_path: Path) -> None:
    from partages_bench.families.summarisation.offline import MAX_SCORED_CHARS, score_summarisation

    gold = write_jsonl(tmp_path / "g.jsonl", _summary_gold("Fièvre traitée par paracétamol."))
    huge = "Fièvre traitée. " * (MAX_SCORED_CHARS // 4)
    predictions = write_jsonl(
        tmp_path / "p.jsonl", [{"id": "s1", "output": huge}, {"id": "s2", "output": "Fièvre."}]
    )
    values, notes = score_summarisation(gold, predictions, ["rouge", "length"], None, 10, 0)
    assert any(f"first {MAX_SCORED_CHARS} characters" in note and "s1" in note for note in notes)
    assert values["length_ratio"].value < MAX_SCORED_CHARS


def test_a_response_cache_on_a_full_disk_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    from lm_eval.api import model as lm_eval_model

    from partages_bench.models import Backend

    def full(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Backend, "load", lambda self, batch_size: object())
    monkeypatch.setattr(lm_eval_model, "CachingLM", full)
    args = ["run", "--tasks", "pseudo_detect_generated", "-o", str(tmp_path / "run")]
    outcome = run_in_process(args, monkeypatch, capsys)
    words = ["response cache: database or disk is full", f"--resume {tmp_path / 'run'}"]
    check(outcome, Case("run-cache-full-disk", ()), words)
