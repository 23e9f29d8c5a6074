"""The structuring family: each comparison rule on constructed cases, answers read however a
model writes them (malformed ones scored as unanswered), the field-level micro P/R/F1 and the
hallucinated-field rate against a direct count on randomised documents, the card's contract,
and ``score structuring`` (JSON out, one error line naming the file and line)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_one_line_error, cli, write_jsonl
from pydantic import ValidationError

from partages_bench.families import get_family
from partages_bench.families.structuring import StructuringCard, structuring_card
from partages_bench.families.structuring.rules import (
    Value,
    category_rule,
    code_category,
    code_exact,
    coded_rule,
    is_empty,
    normalise,
    number_rule,
    text_rule,
)
from partages_bench.families.structuring.scoring import (
    Form,
    gold_answer,
    gold_values,
    parse_answer,
    read_value,
    score_fields,
    task_functions,
)
from partages_bench.registry import Registry
from partages_bench.report import metric_values
from partages_bench.schema import SampleRecord

TASK = "parhaf_scenario"
CARD = Registry.discover().card(TASK)
FIELDS = structuring_card(CARD)
FORM = Form.of(FIELDS)
NAMES = FORM.names
AGE_UNITS = FORM.synonyms["age"]
SEX = FORM.synonyms["sex"]


def v(text: str | None = None, code: str | None = None) -> Value:
    return Value(text=text, code=code)


# --- the rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("predicted", "gold", "equal"),
    [
        ("67", "67 ans", True),
        ("67 ans", "67", True),
        ("67.0", "67 ans", True),
        ("67,5 ans", "67.5 ans", True),
        ("Âgé de 67 ans", "67 ans", True),
        ("67 years", "67 ans", True),  # units through the card's synonym table
        ("6 mois", "6 ans", False),  # both give a unit: it must agree
        ("68 ans", "67 ans", False),
        ("soixante-sept ans", "67 ans", False),  # no number written
        ("Adulte", "adulte", True),  # a gold text without a number is compared as text
    ],
)
def test_number_rule(predicted: str, gold: str, equal: bool) -> None:
    assert number_rule(v(predicted), v(gold), AGE_UNITS) is equal


@pytest.mark.parametrize(
    ("predicted", "gold", "synonyms", "equal"),
    [
        ("Hôpital-de-jour", "hopital de  jour", {}, True),  # case, accents, punctuation, spaces
        ("URGENCES.", "Urgences", {}, True),
        ("Œdème", "oedeme", {}, True),
        ("M", "Masculin", SEX, True),
        ("homme", "M", SEX, True),
        ("femme", "masculin", SEX, False),
        ("M", "Masculin", {}, False),  # without the table, M is only M
        ("domicile", "mutation", {}, False),
    ],
)
def test_category_rule(predicted: str, gold: str, synonyms: dict[str, str], equal: bool) -> None:
    assert category_rule(v(predicted), v(gold), synonyms) is equal


@pytest.mark.parametrize(
    ("predicted", "exact", "category"),
    [
        (v("pneumopathie", "j18.9"), True, True),  # upper case, dot removed
        (v(None, "J189"), True, True),
        (v("J18.9"), True, True),  # a bare code as text reads as a code
        (v("pneumopathie", "J18.0"), False, True),  # same CIM-10 category J18
        (v("pneumopathie", "J15.9"), False, False),
        (v("Pneumopathie"), False, False),  # the description alone, when the gold has a code
        (v(), False, False),
    ],
)
def test_coded_rule_with_a_gold_code(predicted: Value, exact: bool, category: bool) -> None:
    gold = v("Pneumopathie", "J18.9")
    assert code_exact(predicted, gold) is exact
    assert code_category(predicted, gold) is category
    assert coded_rule(predicted, gold, {}) is exact


@pytest.mark.parametrize(
    ("predicted", "equal"),
    [
        (v("pneumopathie  infectieuse"), True),
        (v("Pneumopathie infectieuse", "J18.9"), True),  # its description decides
        (v("pneumopathie"), False),
        (v(None, "J18.9"), False),
    ],
)
def test_coded_rule_without_a_gold_code_compares_descriptions(
    predicted: Value, equal: bool
) -> None:
    gold = v("Pneumopathie infectieuse")
    assert coded_rule(predicted, gold, {}) is equal
    assert not code_exact(predicted, gold) and not code_category(predicted, gold)


@pytest.mark.parametrize(
    ("predicted", "equal"),
    [("jean-pierre DUPONT", True), ("Jean Pierre Dupont ", True), ("Dupont Jean-Pierre", False)],
)
def test_text_rule(predicted: str, equal: bool) -> None:
    assert text_rule(v(predicted), v("Jean-Pierre Dupont"), {}) is equal


@pytest.mark.parametrize("text", [None, "", "  ", "null", "Inconnu", "N/A", "non précisé"])
def test_empty_values(text: str | None) -> None:
    assert is_empty(v(text)) and normalise("Non-Précisé !") == "non precise"


def test_a_code_alone_is_a_value() -> None:
    assert not is_empty(v(None, "J18.9")) and not is_empty(v("67"))


# --- reading answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (67, v("67")),
        (67.0, v("67")),
        ("67 ans", v("67 ans")),
        ({"value": 67, "unit": "ans"}, v("67 ans")),
        ({"code": "J18.9", "description": "Pneumopathie"}, v("Pneumopathie", "J18.9")),
        ({"Code": "J18.9", "Libellé": "x", "text": "Pneumopathie"}, v("Pneumopathie", "J18.9")),
        ([{"code": "J18.9"}, {"code": "I10"}], v(None, "J18.9")),  # a list: its first item
        (None, v()),
        ([], v()),
        (True, v("true")),
    ],
)
def test_read_value(raw: Any, expected: Value) -> None:
    assert read_value(raw) == expected


ANSWER = {"name": "Jean Dupont", "age": 67, "sex": "M", "primary_diagnosis": {"code": "J18.9"}}


@pytest.mark.parametrize(
    "output",
    [
        json.dumps(ANSWER),
        f"```json\n{json.dumps(ANSWER, indent=2)}\n```",
        f"Voici le scénario : {json.dumps(ANSWER)} J'espère que cela aide.",
        '<think>{"name": "X"}</think>' + json.dumps(ANSWER),
        str(ANSWER),  # single quotes
        json.dumps({"scenario": ANSWER}),  # a wrapper
        json.dumps(ANSWER) + "\n\n" + json.dumps({"name": "Autre", "age": 3}),  # the first
    ],
)
def test_an_answer_is_read_however_it_is_written(output: str) -> None:
    fields = parse_answer(output, NAMES)
    assert fields is not None and set(fields) == set(NAMES)
    assert fields["name"] == v("Jean Dupont") and fields["age"] == v("67")
    assert fields["primary_diagnosis"] == v(None, "J18.9")
    assert fields["discharge_mode"] == v()


@pytest.mark.parametrize(
    "output",
    ["", None, "Je ne sais pas.", "[1, 2]", "{}", '{"foo": 1}', '{"name": "Jean', "null"],
)
def test_a_malformed_answer_is_unparsable_and_answers_nothing(output: str | None) -> None:
    assert parse_answer(output, NAMES) is None
    doc = _document(0, {name: ("x", None) for name in NAMES})
    stats = task_functions(FIELDS).process_results(doc, [output or ""])["stats"]
    assert stats["unparsable"] == 1.0
    assert stats["field_tp"] == stats["field_fp"] == 0.0
    assert stats["field_fn"] == len(NAMES)
    assert all(stats[f"{name}_correct"] == 0.0 for name in NAMES)


def test_an_answer_cut_by_the_token_budget_keeps_its_complete_members() -> None:
    cut = '{"name": "Jean Dupont", "age": 67, "primary_diagnosis": {"code": "I10", "type_of_care'
    cut += '": "x"}, "primary_procedure": {"description": "Imprimer le début de la prise en ch'
    fields = parse_answer(cut, NAMES)  # not the nested object that happens to name a field
    assert fields is not None and fields["name"] == v("Jean Dupont")
    assert fields["primary_diagnosis"] == v(None, "I10") and fields["primary_procedure"] == v()
    assert fields["type_of_care"] == v()
    assert parse_answer('{"name": "Jean Dup', NAMES) is None  # nothing complete


# --- per-document statistics, and the micro counts on randomised documents ----------------------


def _document(index: int, values: dict[str, tuple[str | None, str | None]]) -> dict[str, Any]:
    return {
        "id": f"r{index}",
        "text": "…",
        "speciality": "PNEUMOLOGIE" if index % 2 else "CARDIOLOGIE",
        "scenario": {name: {"text": text, "code": code} for name, (text, code) in values.items()},
    }


def test_gold_answer_is_the_json_a_model_writes_and_scores_perfectly() -> None:
    doc = _document(1, {name: (f"valeur {name} 12", None) for name in NAMES})
    doc["scenario"]["primary_diagnosis"] = {"text": "Pneumopathie", "code": "J18.9"}
    doc["scenario"]["type_of_care"] = {"text": None, "code": None}
    answer = gold_answer(doc, FORM)
    assert json.loads(answer)["primary_diagnosis"] == {
        "code": "J18.9",
        "description": "Pneumopathie",
    }
    stats = task_functions(FIELDS).process_results(doc, [answer])["stats"]
    assert stats["field_tp"] == len(NAMES) - 1 and stats["field_fp"] == stats["field_fn"] == 0
    assert math.isnan(stats["type_of_care_correct"]) and stats["primary_diagnosis_code_exact"] == 1
    assert math.isnan(stats["primary_procedure_code_exact"])  # no gold code


OUTCOMES = ("empty", "right", "wrong")


def _random_case(rng: random.Random, index: int) -> tuple[dict[str, Any], dict[str, Any], dict]:
    """A gold document, a prediction, and what each field is by construction: gold filled or
    not, answer empty, right (the gold value rewritten as a model might) or wrong."""
    gold, answer, truth = {}, {}, {}
    for name, kind in FORM.kinds.items():
        filled = rng.random() < 0.7
        coded = kind == "coded" and filled and rng.random() < 0.5
        outcome = rng.choice(OUTCOMES)
        text = f"{rng.randint(1, 99)} ans" if kind == "number" else f"Valeur {index} {name}"
        code = f"K{rng.randint(10, 99)}.{rng.randint(0, 9)}" if coded else None
        gold[name] = (text, code) if filled else (None, None)
        if outcome == "empty":
            answer[name] = rng.choice([None, "", "inconnu"])
        elif outcome == "right" and filled:
            rewritten = text.upper().replace(" ", "  ") if kind != "number" else text.split()[0]
            answer[name] = {"code": code.lower(), "description": "x"} if code else rewritten
        else:  # wrong, or "right" where the gold has nothing: any value is invented
            answer[name] = {"code": "Z99.9"} if code else ("999 ans" if kind == "number" else "zzz")
            outcome = "wrong"
        truth[name] = (filled, outcome, code is not None)
    return _document(index, gold), answer, truth


def _direct_counts(truths: list[dict]) -> dict[str, float]:
    tp = fp = fn = invented = empty_gold = 0
    for truth in truths:
        for filled, outcome, _ in truth.values():
            tp += filled and outcome == "right"
            fp += outcome == "wrong"
            fn += filled and outcome != "right"
            invented += not filled and outcome != "empty"
            empty_gold += not filled
    return {
        "field_precision": tp / (tp + fp),
        "field_recall": tp / (tp + fn),
        "field_f1": 2 * tp / (2 * tp + fp + fn),
        "hallucinated_field_rate": invented / empty_gold,
    }


@pytest.mark.parametrize("seed", range(5))
def test_micro_counts_and_hallucination_agree_with_a_direct_count(seed: int) -> None:
    rng = random.Random(seed)
    cases = [_random_case(rng, index) for index in range(40)]
    process = task_functions(FIELDS).process_results
    records = [
        SampleRecord(
            doc_index=index,
            doc_id=doc["id"],
            prompt="",
            output="",
            target="",
            stats=process(doc, [json.dumps(answer)])["stats"],
            groups={"speciality": doc["speciality"]},
        )
        for index, (doc, answer, _) in enumerate(cases)
    ]
    metrics = metric_values(CARD, records, 20, 0)
    for name, expected in _direct_counts([truth for *_, truth in cases]).items():
        assert metrics[name].value == pytest.approx(expected), name
    for name in NAMES:
        answered = [t[name][1] == "right" for *_, t in cases if t[name][0]]
        assert metrics[f"{name}_accuracy"].value == pytest.approx(sum(answered) / len(answered))
    for name in ("primary_diagnosis", "primary_procedure"):
        coded = [t[name][1] == "right" for *_, t in cases if t[name][2]]
        if coded:
            assert metrics[f"{name}_code_exact"].value == pytest.approx(sum(coded) / len(coded))
    assert metrics["unparsable_rate"].value == 0.0
    assert {"field_f1/speciality=CARDIOLOGIE", "field_f1/speciality=PNEUMOLOGIE"} <= set(metrics)


def test_a_field_no_document_of_a_group_has_is_left_out_of_the_report() -> None:
    # Admission mode in the gold of the cardiology document only: its accuracy is undefined for
    # pneumology (NaN), which a report cannot hold (load_report refuses NaN).
    process = task_functions(FIELDS).process_results
    empty = dict.fromkeys(NAMES, (None, None))
    docs = [_document(0, empty | {"admission_mode": ("urgences", None)}), _document(1, empty)]
    records = [
        SampleRecord(
            doc_index=index,
            doc_id=doc["id"],
            prompt="",
            output="",
            target="",
            stats=process(doc, [json.dumps({"admission_mode": "urgences"})])["stats"],
            groups={"speciality": doc["speciality"]},
        )
        for index, doc in enumerate(docs)
    ]
    metrics = metric_values(CARD, records, 20, 0)
    assert metrics["admission_mode_accuracy/speciality=CARDIOLOGIE"].value == 1.0
    assert "admission_mode_accuracy/speciality=PNEUMOLOGIE" not in metrics
    assert "field_f1/speciality=PNEUMOLOGIE" in metrics
    assert all(not math.isnan(m.value) for m in metrics.values())


# --- the card -----------------------------------------------------------------------------------


def test_every_field_of_the_card_has_its_metrics() -> None:
    for name, kind in FORM.kinds.items():
        assert CARD.metrics[f"{name}_accuracy"].stat == f"{name}_correct"
        if kind == "coded":
            assert {f"{name}_code_exact", f"{name}_code_category"} <= set(CARD.metrics)
    stats = score_fields(None, gold_values(_document(0, {}), FORM), FORM)
    assert {metric.stat or name for name, metric in CARD.metrics.items()} <= {
        key.removesuffix(suffix) for key in stats for suffix in ("", "_tp", "_num")
    }
    assert CARD.breakdown == ["speciality"] and CARD.primary_metric == "field_f1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"a b": {"kind": "text"}}, "not an identifier"),
        ({"dx": {"kind": "coded", "synonyms": {"x": ["y"]}}}, "category_set and number"),
        ({"t": {"kind": "tnm", "synonyms": {"x": ["y"]}}}, "not tnm"),
        ({"sex": {"kind": "category", "synonyms": {"m": ["h"], "f": ["H"]}}}, "stands for both"),
        ({"age": {"kind": "integer"}}, "kind"),
        ({}, "at least 1"),
    ],
)
def test_a_bad_structuring_card_is_refused(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StructuringCard.model_validate({"record_field": "scenario", "fields": fields})


def test_replay_writes_a_systems_fields_as_the_json_answer() -> None:
    family = get_family("structuring")
    output = family.replay_output(CARD, {}, {"fields": {"age": 67, "sex": "F"}})
    assert parse_answer(output, NAMES)["age"] == v("67")
    assert family.replay_output(CARD, {}, {"output": "texte"}) == "texte"


# --- score structuring --------------------------------------------------------------------------


@pytest.fixture
def gold_and_predictions(tmp_path: Path) -> tuple[Path, Path]:
    rng = random.Random(7)
    cases = [_random_case(rng, index) for index in range(6)]
    gold = write_jsonl(tmp_path / "gold.jsonl", [doc for doc, _, _ in cases])
    rows = [{"id": doc["id"], "fields": answer} for doc, answer, _ in cases[:3]]
    rows += [{"id": doc["id"], "output": json.dumps(answer)} for doc, answer, _ in cases[3:5]]
    rows.append({"id": cases[5][0]["id"], "output": "Désolé, je ne peux pas."})
    return gold, write_jsonl(tmp_path / "pred.jsonl", rows)


def test_score_structuring_prints_the_tasks_metrics_as_json(
    gold_and_predictions: tuple[Path, Path],
) -> None:
    gold, predictions = gold_and_predictions
    arguments = ["--gold", str(gold), "--predictions", str(predictions), "--bootstrap", "20"]
    result = cli("score", "structuring", "--task", TASK, *arguments, "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout, parse_constant=pytest.fail)[TASK]
    assert set(CARD.metrics) <= set(metrics)
    assert metrics["unparsable_rate"]["value"] == pytest.approx(1 / 6)
    assert any(name.endswith("/speciality=PNEUMOLOGIE") for name in metrics)
    by_task = cli("score", TASK, *arguments, "--json")  # the family's command, --task set
    assert json.loads(by_task.stdout) == json.loads(result.stdout)


def _bad(tmp_path: Path, name: str, rows: list[Any]) -> Path:
    path = tmp_path / name
    path.write_text(
        "".join(row if isinstance(row, str) else json.dumps(row) + "\n" for row in rows)
    )
    return path


@pytest.mark.parametrize(
    ("side", "rows", "words"),
    [
        ("predictions", [{"id": "r0", "fields": {}}, "{not json\n"], ("line 2",)),
        ("predictions", [{"id": "r0", "fields": "67"}], ("line 1", "fields must be an object")),
        ("predictions", [{"id": "r0"}], ("line 1", "missing field 'output'")),
        ("predictions", [{"id": "r9", "output": ""}], ("line 1", "'r9' is not in")),
        ("gold", [{"id": "r0", "text": "x"}], ("line 1", "missing field 'scenario'")),
        ("gold", [{"id": "r0", "scenario": {"age": 67}}], ("line 1", "scenario.age must be")),
    ],
)
def test_bad_score_input_is_one_line_naming_the_file_and_line(
    tmp_path: Path, side: str, rows: list[Any], words: tuple[str, ...]
) -> None:
    files = {
        "gold": _bad(tmp_path, "gold.jsonl", [_document(0, {})]),
        "predictions": _bad(tmp_path, "pred.jsonl", [{"id": "r0", "output": "{}"}]),
    }
    files[side] = _bad(tmp_path, f"bad_{side}.jsonl", rows)
    result = cli("score", "structuring", "--gold", str(files["gold"]), "--predictions",
                 str(files["predictions"]))  # fmt: skip
    assert_one_line_error(result, f"bad_{side}.jsonl", *words)


def test_score_refuses_a_task_of_another_family(gold_and_predictions: tuple[Path, Path]) -> None:
    gold, predictions = gold_and_predictions
    result = cli("score", "structuring", "--task", "e3c_fr", "--gold", str(gold),
                 "--predictions", str(predictions))  # fmt: skip
    assert_one_line_error(result, "--task e3c_fr", "not a structuring one")


# --- end to end on the fixture snapshot (tests/fixtures/parhaf) ---------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "parhaf"


def _fixture_cases(split: str) -> list[dict[str, Any]]:
    from partages_bench.data import load_splits

    return load_splits("parhaf", FIXTURES)[split]


def _corrupted(answer: dict[str, Any], index: int) -> dict[str, Any]:
    """The gold answer with one field given a made-up value (wrong, or invented where the gold
    has none) and another left out."""
    changed = dict(answer)
    names = list(changed)
    changed[names[index % len(names)]] = "valeur inventée"
    changed[names[(index + 3) % len(names)]] = None
    return changed


@pytest.mark.e2e
def test_replayed_answers_run_through_the_task_and_score_like_the_score_command(
    tmp_path: Path,
) -> None:
    """The gold answers (as a system's ``fields``) on the task's own split (dev) score 1;
    corrupted ones (as raw model text) on ``--split train`` score less; both exactly as
    ``score`` scores them."""
    for name, split in (("perfect", None), ("corrupted", "train")):
        cases = _fixture_cases(split or "dev")
        gold = write_jsonl(tmp_path / f"gold_{name}.jsonl", cases)
        answers = [json.loads(gold_answer(case, FORM)) for case in cases]
        rows = [
            {"id": c["id"], "fields": a}
            if split is None
            else {"id": c["id"], "output": json.dumps(_corrupted(a, i))}
            for i, (c, a) in enumerate(zip(cases, answers, strict=True))
        ]
        predictions = write_jsonl(tmp_path / f"{name}.jsonl", rows)
        output = tmp_path / name
        chosen = () if split is None else ("--split", split)
        run = cli("run", "--model", "replay", "--model-args", f"path={predictions}", "--tasks",
                  TASK, *chosen, "--data-dir", str(FIXTURES), "--output", str(output),
                  "--bootstrap", "50", timeout=600)  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        task = json.loads((output / "report.json").read_text())["tasks"][TASK]
        assert task["n_samples"] == len(cases) and task["skipped"] is None
        assert {f"field_f1/speciality={c['speciality']}" for c in cases} <= set(task["metrics"])
        scored = cli("score", TASK, "--gold", str(gold), "--predictions",
                     str(predictions), "--bootstrap", "50", "--json")  # fmt: skip
        offline = json.loads(scored.stdout)[TASK]
        assert task["split"] == (split or "dev")
        for metric, value in offline.items():
            assert task["metrics"][metric]["value"] == pytest.approx(value["value"], nan_ok=True)
        f1 = task["metrics"]["field_f1"]["value"]
        assert f1 == 1.0 if split is None else f1 < 1.0


@pytest.mark.e2e
def test_the_default_model_structures_two_fixture_reports(tmp_path: Path) -> None:
    """The embedded model's answers go through parsing and scoring: a report with every metric
    and its interval, whatever the model writes."""
    output = tmp_path / "run"
    arguments = ["--tasks", TASK, "--limit", "2", "--data-dir", str(FIXTURES)]
    result = cli("run", "--model", "default", *arguments, "--output", str(output), timeout=1200)
    assert result.returncode == 0, result.stderr[-2000:]
    task = json.loads((output / "report.json").read_text())["tasks"][TASK]
    assert task["n_samples"] == 2 and task["context_check"].startswith("every prompt fits")
    assert set(CARD.metrics) <= set(task["metrics"])
    samples = [json.loads(line) for line in (output / f"samples/{TASK}.jsonl").open()]
    assert all(set(sample["stats"]) >= {"field_tp", "unparsable"} for sample in samples)
