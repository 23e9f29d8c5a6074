"""The coding family: the CIM-10 table and code rules, answers read however a model writes them
(malformed ones scored as no code), each metric on hand-written stays (negated finding, past
history, « suspicion écartée », invalid code, principal order, category match), micro and macro
F1 against scikit-learn on randomised data, the generator's documents and gold, and ``score
coding`` (JSON out, one error line naming the file and line)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import assert_one_line_error, cli, write_jsonl

from partages_bench.families.coding import cim10
from partages_bench.families.coding.scoring import parse_codes, process_results, score_codes
from partages_bench.generator.coding import FORMS, TEMPLATES, generate_coding_documents
from partages_bench.registry import Registry
from partages_bench.stats import AGGREGATIONS, to_columns

TASK = "cim10_discharge"

# --- the CIM-10 table and the code rules ---------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [(" i500 ", "I50.0"), ("I50.0", "I50.0"), ("e6600", "E66.00"), ("C61", "C61"),
     ("I 10", "I10"), ("G35+", "G35"), ("M07.3*", "M07.3"), ("I50.0.1", "I50.0.1")],
)  # fmt: skip
def test_codes_are_normalised(written: str, code: str) -> None:
    assert cim10.normalise(written) == code


@pytest.mark.parametrize(
    ("code", "valid", "chapter"),
    [("I50.0", True, "IX"), ("E66.00", True, "IV"), ("E11.8", True, "IV"), ("D48.9", True, "II"),
     ("D50.9", True, "III"), ("H60.0", True, "VIII"), ("T98.3", True, "XIX"),
     ("U07.1", True, "XXII"), ("E95", False, None), ("K94.0", False, None),
     ("I50.0.1", False, None), ("ZZZ", False, None), ("I5", False, None), ("I50.123", False, None)],
)  # fmt: skip
def test_a_code_is_valid_when_well_formed_in_a_chapter_range(
    code: str, valid: bool, chapter: str | None
) -> None:
    assert cim10.is_valid(code) is valid and cim10.chapter_of(code) == chapter


def test_the_table_is_checked_and_covers_every_generated_code() -> None:
    table = cim10.table()
    assert len(cim10.CHAPTERS) == 22 and len(table) >= 60
    assert all(cim10.chapter_of(code) == entry.chapter for code, entry in table.items())
    documents = generate_coding_documents(60, 7, "test") + generate_coding_documents(12, 7, "dev")
    used = {code for doc in documents for code in doc["codes"]}
    used |= {item["code"] for doc in documents for item in doc["distractors"]}
    assert used <= set(table)


@pytest.mark.parametrize(
    ("row", "message"),
    [("I50.0;Insuffisance cardiaque congestive;X", "I50.0 is in chapter IX, not X"),
     ("I500;Insuffisance cardiaque congestive;IX", "'I500' is not a CIM-10 code"),
     ("I10;;IX", "expected 3 non-empty cells"),
     ("I10;Hypertension essentielle;IX", "I10 is listed twice")],
)  # fmt: skip
def test_a_bad_table_row_is_one_error(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "cim10.csv"
    path.write_text(f"# comment\ncode;label;chapter\nI10;Hypertension essentielle;IX\n{row}\n")
    with pytest.raises(cim10.Cim10TableError, match="row 3") as raised:
        cim10.table(path)
    assert message in str(raised.value)


# --- answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "codes"),
    [('{"codes": ["I50.0", "I10"]}', ["I50.0", "I10"]),
     ('```json\n{"codes": ["i500", "I10", "I10"]}\n```', ["I50.0", "I10"]),
     ('Voici : ["I50.0", "E11.9"]', ["I50.0", "E11.9"]),
     ("<think>I10 ?</think>{'codes': ['I48.0']}", ["I48.0"]),
     ('{"codes": [{"code": "I50.0", "libelle": "IC"}, {"code": "N18.3"}]}', ["I50.0", "N18.3"]),
     ('{"codes": "I50.0, I10"}', ["I50.0", "I10"]),
     ('{"codes": []}', []),
     ('{"codes": ["I50.0", "I10", "E11', ["I50.0", "I10"]),  # cut by the token budget
     ("Le diagnostic principal est I50.0.", None),
     ("", None),
     ('{"diagnostic": "I50.0"}', None)],
)  # fmt: skip
def test_answers_are_read_however_a_model_writes_them(answer: str, codes: list[str] | None) -> None:
    assert parse_codes(answer) == codes


def _headline(stats: dict[str, float]) -> dict[str, float]:
    return {key: value for key, value in stats.items() if not key.startswith(("code.", "codes."))}


# Hand-written stays: the text a model reads, the gold, and what a model answered.
EMBOLIE_ECARTEE = {
    "doc_id": "h1",
    "text": "Diagnostic principal : insuffisance cardiaque décompensée. HTA, DT2.\n"
    "Pas d'embolie pulmonaire à l'angioscanner.",
    "codes": ["I50.0", "I10", "E11.9"],
    "distractors": [{"code": "I26.9", "kind": "negated"}],
}
APPENDICITE_ANCIENNE = {
    "doc_id": "h2",
    "text": "Au total : FA paroxystique. IRC stade 3.\nATCD d'appendicite opérée dans l'enfance.",
    "codes": ["I48.0", "N18.3"],
    "distractors": [{"code": "K35.8", "kind": "history"}],
}
SEPSIS_ECARTE = {
    "doc_id": "h3",
    "text": "Diagnostic retenu : pyélonéphrite aiguë. Suspicion de sepsis écartée.",
    "codes": ["N10"],
    "distractors": [{"code": "A41.9", "kind": "negated"}],
}


def _scored(doc: dict[str, Any], answer: str) -> dict[str, float]:
    return _headline(process_results(doc, [answer])["stats"])


def test_a_negated_finding_coded_is_an_error_and_a_hallucination() -> None:
    stats = _scored(EMBOLIE_ECARTEE, '{"codes": ["I50.0", "I10", "E11.9", "I26.9"]}')
    assert stats["negated_finding_error_num"] == stats["negated_finding_error_den"] == 1
    assert stats["hallucinated_code_num"] == 1 and stats["hallucinated_code_den"] == 4
    assert (stats["code_tp"], stats["code_fp"], stats["code_fn"]) == (3, 1, 0)
    right = _scored(EMBOLIE_ECARTEE, '{"codes": ["I50.0", "I10", "E11.9"]}')
    assert right["negated_finding_error_num"] == 0 and right["negated_finding_error_den"] == 1


def test_past_history_coded_is_an_error_even_in_another_code_of_its_category() -> None:
    for code in ("K35.8", "K35.3"):
        stats = _scored(APPENDICITE_ANCIENNE, json.dumps({"codes": ["I48.0", "N18.3", code]}))
        assert stats["negated_finding_error_num"] == 1, code
    stats = _scored(APPENDICITE_ANCIENNE, '{"codes": ["I48.0", "N18.3", "K40.9"]}')
    assert stats["negated_finding_error_num"] == 0 and stats["hallucinated_code_num"] == 1


def test_a_suspicion_ecartee_left_uncoded_is_right() -> None:
    stats = _scored(SEPSIS_ECARTE, '{"codes": ["N10"]}')
    assert stats["principal_correct"] == 1 and stats["negated_finding_error_num"] == 0
    assert stats["negated_finding_error_den"] == 1 and stats["hallucinated_code_num"] == 0
    wrong = _scored(SEPSIS_ECARTE, '{"codes": ["N10", "A41.9"]}')
    assert wrong["negated_finding_error_num"] == 1


def test_invalid_codes_are_counted_apart_from_valid_hallucinations() -> None:
    answer = '{"codes": ["I50.0", "I50.0.1", "ZZZ", "E95", "E11.8", "I10"]}'
    stats = _scored(EMBOLIE_ECARTEE, answer)
    assert stats["invalid_code_num"] == 3 and stats["invalid_code_den"] == 6
    # E11.8: valid (not in the table, but well formed in chapter IV), absent from the gold
    assert stats["hallucinated_code_num"] == 1 and stats["hallucinated_code_den"] == 3
    assert (stats["code_tp"], stats["code_fp"], stats["code_fn"]) == (2, 4, 1)
    # E11.8 shares E11.9's category; the invalid codes are categories of their own
    assert (stats["category_tp"], stats["category_fp"]) == (3, 3)


def test_the_principal_is_the_first_code() -> None:
    stats = _scored(EMBOLIE_ECARTEE, '{"codes": ["I10", "I50.0", "E11.9"]}')
    assert stats["principal_correct"] == 0 and stats["principal_category_correct"] == 0
    assert (stats["code_tp"], stats["code_fp"], stats["code_fn"]) == (3, 0, 0)


def test_a_code_of_the_principals_category_matches_at_three_characters() -> None:
    stats = _scored(EMBOLIE_ECARTEE, '{"codes": ["I50.9", "I10", "E11.9"]}')
    assert stats["principal_correct"] == 0 and stats["principal_category_correct"] == 1
    assert (stats["code_tp"], stats["code_fp"], stats["code_fn"]) == (2, 1, 1)
    assert (stats["category_tp"], stats["category_fp"], stats["category_fn"]) == (3, 0, 0)
    invalid = _scored(EMBOLIE_ECARTEE, '{"codes": ["I50.0.1"]}')
    assert invalid["principal_category_correct"] == 0


def test_an_unparsable_answer_predicts_nothing() -> None:
    stats = process_results(EMBOLIE_ECARTEE, ["Je ne sais pas."])["stats"]
    assert stats["unparsable"] == 1 and stats["principal_correct"] == 0
    assert (stats["code_tp"], stats["code_fp"], stats["code_fn"]) == (0, 0, 3)
    assert stats["invalid_code_den"] == 0 and stats["hallucinated_code_den"] == 0
    assert stats["codes.I50.0_fn"] == 1 and stats["code.IX_fn"] == 2 and stats["code.IV_fn"] == 1
    assert list(stats) == list(process_results(SEPSIS_ECARTE, ['{"codes": []}'])["stats"])


# --- micro and macro F1 against scikit-learn ---------------------------------------------------


def test_micro_and_macro_f1_agree_with_scikit_learn_on_randomised_data() -> None:
    from sklearn.metrics import f1_score, precision_score, recall_score
    from sklearn.preprocessing import MultiLabelBinarizer

    rng = random.Random(3)
    table = sorted(cim10.table())
    extra = ["E11.8", "I50.9", "XYZ", "J45.9"]  # valid codes outside the table, one invalid
    gold, predicted, per_doc = [], [], []
    for _ in range(80):
        g = rng.sample(table, rng.randint(1, 5))
        p = rng.sample(g, rng.randint(0, len(g))) + rng.sample(table + extra, rng.randint(0, 3))
        p = list(dict.fromkeys(p))
        gold.append(g)
        predicted.append(p)
        per_doc.append(score_codes(p, g))
    columns = to_columns(per_doc)
    binarizer = MultiLabelBinarizer().fit(gold + predicted)
    y_true, y_pred = binarizer.transform(gold), binarizer.transform(predicted)
    for name, reference in (("micro_f1", f1_score), ("micro_precision", precision_score),
                            ("micro_recall", recall_score)):  # fmt: skip
        ours = float(AGGREGATIONS[name](columns, "code"))
        assert ours == pytest.approx(reference(y_true, y_pred, average="micro", zero_division=0))
    in_table = sorted({c for codes in gold + predicted for c in codes} & set(table))
    macro = f1_score(y_true, y_pred, average="macro", labels=binarizer.transform([in_table])[0]
                     .nonzero()[0], zero_division=0)  # fmt: skip
    assert float(AGGREGATIONS["label_macro_f1"](columns, "codes")) == pytest.approx(macro)
    # per chapter: the same micro F1 with both sides restricted to the chapter's codes
    chapter = [[c for c in codes if cim10.chapter_of(c) == "IX"] for codes in gold + predicted]
    y = MultiLabelBinarizer().fit(chapter).transform(chapter)
    expected = f1_score(y[: len(gold)], y[len(gold) :], average="micro", zero_division=0)
    assert float(AGGREGATIONS["micro_f1"](columns, "code.IX")) == pytest.approx(expected)
    categories = [{cim10.category(c) if cim10.is_valid(c) else c for c in codes}
                  for codes in gold + predicted]  # fmt: skip
    y = MultiLabelBinarizer().fit(categories).transform(categories)
    expected = f1_score(y[: len(gold)], y[len(gold) :], average="micro", zero_division=0)
    assert float(AGGREGATIONS["micro_f1"](columns, "category")) == pytest.approx(expected)
    assert np.isfinite(float(AGGREGATIONS["ratio"](columns, "invalid_code")))


# --- the generator ---------------------------------------------------------------------------


def test_generated_documents_state_their_codes_and_keep_distractors_apart() -> None:
    documents = generate_coding_documents(36, 11, "test")
    assert documents == generate_coding_documents(36, 11, "test")
    assert [d["specialty"] for d in documents[:6]] == [d["specialty"] for d in documents[6:12]]
    assert len({d["specialty"] for d in documents[:6]}) == 6
    assert {d["template_id"] for d in documents} <= {t.template_id for t in TEMPLATES["test"]}
    assert not {t.template_id for t in TEMPLATES["dev"]} & {
        t.template_id for t in TEMPLATES["test"]
    }
    counts = {len(d["codes"]) - 1 for d in documents}
    assert min(counts) == 0 and max(counts) <= 5 and len(counts) >= 4
    kinds = {item["kind"] for d in documents for item in d["distractors"]}
    assert kinds == {"negated", "history"}
    for doc in documents:
        categories = [code[:3] for code in doc["codes"]]
        assert len(set(categories)) == len(categories)
        assert not {item["code"][:3] for item in doc["distractors"]} & set(categories)
        assert any(form in doc["text"] for code in doc["codes"][1:] for form in FORMS[code]) or (
            len(doc["codes"]) == 1
        )
        for item in doc["distractors"]:
            assert item["text"] in doc["text"]


# --- score coding ----------------------------------------------------------------------------


def _corrupted(documents: list[dict[str, Any]], share: float, seed: int) -> list[dict[str, Any]]:
    """The gold codes with ``share`` of them replaced by another code of the table (seeded)."""
    rng = random.Random(seed)
    table = sorted(cim10.table())
    rows = []
    for doc in documents:
        codes = [
            rng.choice([c for c in table if c != code]) if rng.random() < share else code
            for code in doc["codes"]
        ]
        rows.append({"doc_id": doc["doc_id"], "codes": codes})
    return rows


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "gold.jsonl", generate_coding_documents(24, 5, "test"))


def _score(gold: Path, predictions: Path, *options: str) -> dict[str, Any]:
    result = cli("score", "coding", "--gold", str(gold), "--predictions", str(predictions),
                 "--bootstrap", "50", "--json", *options)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout, parse_constant=pytest.fail)[TASK]


def test_score_separates_the_gold_from_a_corrupted_copy(generated: Path, tmp_path: Path) -> None:
    documents = [json.loads(line) for line in generated.read_text().splitlines()]
    gold_codes = [{"doc_id": d["doc_id"], "codes": d["codes"]} for d in documents]
    exact = write_jsonl(tmp_path / "exact.jsonl", gold_codes)
    corrupted = write_jsonl(tmp_path / "corrupted.jsonl", _corrupted(documents, 0.1, 1))
    right, wrong = _score(generated, exact), _score(generated, corrupted, "--task", TASK)
    assert set(Registry.discover().card(TASK).metrics) <= set(right)
    for key in ("principal_accuracy", "code_f1", "category_f1", "code_macro_f1"):
        assert right[key]["value"] == 1 and wrong[key]["value"] < 1
        assert wrong[key]["ci_low"] < wrong[key]["ci_high"]
    assert (
        right["invalid_code_rate"]["value"] == 0 and right["hallucinated_code_rate"]["value"] == 0
    )
    assert wrong["hallucinated_code_rate"]["value"] > 0
    assert any(name.startswith("code_f1/label=") for name in right)
    assert any(name.startswith("code_f1/specialty=") for name in right)


def test_score_reads_raw_model_answers(tmp_path: Path) -> None:
    gold = write_jsonl(tmp_path / "gold.jsonl", [EMBOLIE_ECARTEE, APPENDICITE_ANCIENNE])
    predictions = write_jsonl(tmp_path / "predictions.jsonl", [
        {"doc_id": "h1", "output": '```json\n{"codes": ["I500", "I10", "E11.9", "I26.9"]}\n```'},
        {"doc_id": "h2", "output": "Je ne sais pas."},
    ])  # fmt: skip
    metrics = _score(gold, predictions)
    assert metrics["unparsable_rate"]["value"] == 0.5
    assert metrics["principal_accuracy"]["value"] == 0.5
    assert metrics["negated_finding_error_rate"]["value"] == 0.5
    assert metrics["code_recall"]["value"] == pytest.approx(3 / 5)


@pytest.mark.parametrize(
    ("side", "row", "words"),
    [("gold", {"doc_id": "h1", "codes": []}, ("line 1", "codes must be a non-empty list")),
     ("gold", {"doc_id": "h1", "codes": ["I50.0.1"]}, ("line 1", "'I50.0.1' is not a CIM-10")),
     ("gold", {"doc_id": "h1", "codes": ["I50.0"], "distractors": ["I26.9"]},
      ("line 1", "distractors must be a list")),
     ("gold", {"doc_id": "h1"}, ("line 1", "missing field 'codes'")),
     ("predictions", {"doc_id": "h1", "codes": "I50.0"}, ("line 1", "codes must be a list")),
     ("predictions", {"doc_id": "h1", "text": "I50.0"}, ("line 1", "missing field 'output'"))],
)  # fmt: skip
def test_bad_files_are_one_error_naming_the_line(
    tmp_path: Path, side: str, row: dict[str, Any], words: tuple[str, ...]
) -> None:
    files = {"gold": [{"doc_id": "h1", "codes": ["I50.0"]}],
             "predictions": [{"doc_id": "h1", "codes": ["I50.0"]}]}  # fmt: skip
    files[side] = [row]
    paths = {
        name: write_jsonl(tmp_path / f"bad_{name}.jsonl", rows) for name, rows in files.items()
    }
    result = cli("score", "coding", "--gold", str(paths["gold"]), "--predictions",
                 str(paths["predictions"]))  # fmt: skip
    assert_one_line_error(result, f"bad_{side}.jsonl", *words)


def test_score_refuses_a_task_of_another_family(tmp_path: Path) -> None:
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"doc_id": "h1", "codes": ["I50.0"]}])
    result = cli("score", "coding", "--task", "e3c_fr", "--gold", str(gold), "--predictions",
                 str(gold))  # fmt: skip
    assert_one_line_error(result, "--task e3c_fr", "not a coding one")


def test_generate_coding_writes_the_gold(tmp_path: Path) -> None:
    out = tmp_path / "coding.jsonl"
    result = cli("data", "generate-coding", "--out", str(out), "--n", "7", "--split", "dev")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == generate_coding_documents(7, 20261125, "dev")
    assert "7 dev coding documents (seed 20261125)" in result.stdout


def test_a_replayed_run_scores_as_score_coding(tmp_path: Path) -> None:
    """The task run on replayed predictions (``codes`` lists and raw ``output`` answers) gives
    the metrics ``score coding`` gives on the same files: one parser, one scorer."""
    gold = tmp_path / "gold.jsonl"
    assert cli("data", "generate-coding", "--out", str(gold)).returncode == 0
    documents = [json.loads(line) for line in gold.read_text().splitlines()]
    rows: list[dict[str, Any]] = _corrupted(documents, 0.2, 2)
    rows[0] = {"doc_id": rows[0]["doc_id"], "output": '```json\n{"codes": ["I500", "XYZ"]}\n```'}
    rows[1] = {"doc_id": rows[1]["doc_id"], "output": "Je ne sais pas."}
    predictions = write_jsonl(tmp_path / "predictions.jsonl", rows)
    output = tmp_path / "run"
    run = cli("run", "--model", "replay", "--model-args", f"path={predictions}", "--tasks", TASK,
              "--output", str(output), "--bootstrap", "50", timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    task = json.loads((output / "report.json").read_text())["tasks"][TASK]
    assert task["n_samples"] == len(documents) == 120
    offline = _score(gold, predictions)
    assert set(offline) == set(task["metrics"])
    for metric, value in offline.items():
        assert task["metrics"][metric]["value"] == pytest.approx(value["value"]), metric
    assert 0 < offline["unparsable_rate"]["value"] < 0.02
    assert 0 < offline["invalid_code_rate"]["value"] < 0.01


def test_the_task_is_in_the_default_suite_not_the_quick_demo() -> None:
    registry = Registry.discover()
    assert TASK in [card.name for card in registry.select(["default"])]
    assert TASK not in [card.name for card in registry.select(["quick"])]
    assert [card.name for card in registry.select(["coding"])] == [TASK]
