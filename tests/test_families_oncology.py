"""The oncology family: the generator's tumour records, the TNM and category-set rules, each hard
case on hand-written documents, the metrics against scikit-learn, and ``score oncology``."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_one_line_error, cli, write_jsonl
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from partages_bench.families import get_family
from partages_bench.families.oncology import oncology_card
from partages_bench.families.oncology.scoring import document_stats, form_of, parse_answer
from partages_bench.families.structuring.rules import (
    Value,
    category_set_rule,
    tnm_component,
    tnm_rule,
)
from partages_bench.generator.oncology import (
    RECORD_FIELDS,
    SITES,
    generate_oncology,
    vocabulary,
)
from partages_bench.registry import Registry
from partages_bench.report import metric_values
from partages_bench.schema import SampleRecord

TASK = "oncology_pathology_rcp"
CARD = Registry.discover().card(TASK)
FORM = form_of(oncology_card(CARD))


def _doc(text: str, site: str = "breast", **record: Any) -> dict[str, Any]:
    return {
        "id": "d1",
        "text": text,
        "site": site,
        "document_type": "pathology",
        "record": dict.fromkeys(RECORD_FIELDS) | record,
    }


def _stats(doc: dict[str, Any], answer: dict[str, Any] | str) -> dict[str, float]:
    output = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
    return document_stats(output, doc, FORM)


# --- the rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("predicted", "gold", "equal"),
    [
        ("pT2a", "T2a", True),
        ("ypT2a", "T2a", True),
        ("cT2a", "T2a", True),
        ("2a", "T2a", True),
        ("T2", "T2a", False),
        ("pT2aN1M0", "N1", True),
        ("pT2a pN1mi", "N1mi", True),
        ("pT2a pN1mi", "N1", False),
        ("cM1b", "M1b", True),
        ("pTis", "Tis", True),
        ("Mx", "M0", False),
        ("non", "N0", False),
    ],
)
def test_tnm_components_are_compared_one_by_one_whatever_the_prefix(
    predicted: str, gold: str, equal: bool
) -> None:
    assert tnm_rule(Value(predicted), Value(gold), {}) is equal


def test_a_tnm_component_read_for_its_letter() -> None:
    assert tnm_component("pT1a pN0", "T") == "T1A"  # the "a" before "pN" stays T's
    assert tnm_component("pT1a pN0", "N") == "N0"
    assert tnm_component("pT2N1mi", "M") is None


def test_a_category_set_is_compared_as_a_set_through_the_synonyms() -> None:
    synonyms = FORM.synonyms["rcp_decision"]
    gold = Value("chirurgie; chimiothérapie")
    assert category_set_rule(
        Value("chimiothérapie adjuvante puis exérèse chirurgicale"), gold, synonyms
    )
    assert not category_set_rule(Value("chirurgie"), gold, synonyms)
    assert not category_set_rule(Value("chirurgie, chimiothérapie, radiothérapie"), gold, synonyms)


# --- each hard case on a hand-written document --------------------------------------------------

CORRECTED = _doc(
    "Carcinome infiltrant NST du sein gauche. RE 90 %. Ki-67 à 20 %, corrigé à 30 % après "
    "relecture.",
    primary_site="sein",
    laterality="gauche",
    er_percent=90,
    ki67_percent=30,
)


def test_a_corrected_value_scores_only_the_correction() -> None:
    right = _stats(CORRECTED, {"ki67_percent": 30, "er_percent": "90 %"})
    wrong = _stats(CORRECTED, {"ki67_percent": "20 %", "er_percent": 90})
    assert right["ki67_percent_correct"] == 1.0 and wrong["ki67_percent_correct"] == 0.0
    assert (right["field_tp"], right["field_fp"], right["field_fn"]) == (2.0, 0.0, 2.0)
    assert (wrong["field_tp"], wrong["field_fp"], wrong["field_fn"]) == (1.0, 1.0, 3.0)


NOT_EVALUATED = _doc(
    "Adénocarcinome du lobe supérieur droit. EGFR : non muté. ALK : non évalué.",
    site="lung",
    primary_site="poumon",
    egfr="non muté",
)


@pytest.mark.parametrize(
    ("alk", "hallucinated"), [(None, 0.0), ("non évalué", 0.0), ("négatif", 1.0)]
)
def test_not_evaluated_is_null_and_a_value_there_is_hallucinated(
    alk: str | None, hallucinated: float
) -> None:
    stats = _stats(NOT_EVALUATED, {"egfr": "sauvage", "alk": alk, "primary_site": "poumon"})
    assert stats["egfr_correct"] == 1.0  # "sauvage": a form of "non muté"
    assert stats["hallucinated_field_num"] == hallucinated
    assert stats["hallucinated_field_den"] == len(RECORD_FIELDS) - 2


def test_a_null_field_left_null_is_neither_right_nor_wrong() -> None:
    stats = _stats(NOT_EVALUATED, {"primary_site": "poumon", "egfr": "non muté", "psa": None})
    assert stats["psa_correct"] != stats["psa_correct"]  # NaN: the gold has no PSA
    assert stats["field_fp"] == 0.0 and stats["hallucinated_field_num"] == 0.0


HISTORY = _doc(
    "Antécédent de carcinome canalaire du sein droit en 2009 (pT1cN0, RE 100 %, Ki-67 12 %). "
    "Adénocarcinome lieberkühnien du côlon sigmoïde, pT3N1aM0. KRAS muté.",
    site="colorectal",
    primary_site="côlon",
    tnm_prefix="p",
    tnm_t="T3",
    tnm_n="N1a",
    tnm_m="M0",
    kras="muté",
)


def test_values_of_an_earlier_tumour_are_hallucinations() -> None:
    answer = {"primary_site": "côlon", "tnm_t": "pT3", "tnm_n": "pN1a", "tnm_m": "M0"}
    clean = _stats(HISTORY, answer | {"kras": "mutation"})
    taken = _stats(HISTORY, answer | {"kras": "muté", "er_percent": 100, "ki67_percent": 12})
    assert clean["hallucinated_field_num"] == 0.0 and clean["field_fn"] == 1.0  # prefix omitted
    assert taken["hallucinated_field_num"] == 2.0
    assert taken["field_fp"] == 2.0 and taken["field_tp"] == clean["field_tp"]


RANGE = _doc("Carcinome lobulaire infiltrant. RE : 1 à 5 %. RP 0 %.", er_percent=5, pr_percent=0)


@pytest.mark.parametrize(("er", "right"), [(5, True), ("5 %", True), (1, False), ("1-5 %", False)])
def test_a_range_is_scored_as_its_upper_bound(er: Any, right: bool) -> None:
    assert _stats(RANGE, {"er_percent": er, "pr_percent": 0})["er_percent_correct"] == float(right)


DECIMAL = _doc(
    "Adénocarcinome acinaire, Gleason 7 (3+4), groupe ISUP 2. PSA 6,4 ng/mL.",
    site="prostate",
    primary_site="prostate",
    gleason_score="3+4=7",
    grade="ISUP 2",
    psa=6.4,
)


PSA_ANSWERS = [(6.4, True), ("6,4", True), ("6,4 ng/mL", True), (6, False), (64, False)]


@pytest.mark.parametrize(("psa", "right"), [*PSA_ANSWERS, ("6,40001", False)])
def test_a_decimal_comma_is_read_with_tolerance_zero(psa: Any, right: bool) -> None:
    stats = _stats(DECIMAL, {"psa": psa, "gleason_score": "3+4", "grade": "groupe ISUP 2"})
    assert stats["psa_correct"] == float(right)
    assert stats["gleason_score_correct"] == 1.0 and stats["grade_correct"] == 1.0


@pytest.mark.parametrize("output", ["", "Je ne sais pas.", "{}", '{"autre": 1}', "```json\n{"])
def test_a_malformed_answer_is_unparsable_and_scored_wrong(output: str) -> None:
    stats = _stats(CORRECTED, output)
    assert stats["unparsable"] == 1.0 and stats["field_tp"] == 0.0 and stats["field_fn"] == 4.0


def test_an_answer_in_prose_and_a_fence_is_read() -> None:
    output = (
        'Voici la fiche :\n```json\n{"ki67_percent": 30, "rcp_decision": ["surveillance"]}\n```'
    )
    answer = parse_answer(output, FORM.names)
    assert answer is not None and answer["ki67_percent"] == Value("30")
    assert answer["rcp_decision"] == Value("surveillance")


# --- the metrics against scikit-learn -----------------------------------------------------------

_CHOICES = {
    "er_percent": [0, 10, 90],
    "ki67_percent": [5, 20, 30],
    "her2_score": ["0", "1+", "3+"],
    "tnm_t": ["T1c", "T2", "T3"],
    "laterality": ["droit", "gauche"],
}


def _random_case(rng: random.Random, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    gold, answer = {}, {}
    for name, values in _CHOICES.items():
        gold[name] = rng.choice([None, *values])
        answer[name] = rng.choice([None, gold[name], rng.choice(values)])
    doc = _doc("", site=rng.choice(SITES), **gold) | {"id": f"d{index}"}
    return doc, answer


@pytest.mark.parametrize("seed", range(4))
def test_field_metrics_agree_with_scikit_learn(seed: int) -> None:
    rng = random.Random(seed)
    cases = [_random_case(rng, index) for index in range(50)]
    records = [
        SampleRecord(
            doc_index=index, doc_id=doc["id"], prompt="", output="", target="",
            stats=_stats(doc, answer), groups={"site": doc["site"], "document_type": "pathology"},
        )
        for index, (doc, answer) in enumerate(cases)
    ]  # fmt: skip
    metrics = metric_values(CARD, records, 10, 0)
    # A field is a (field, value) label: a wrong value is a false positive and a false negative.
    pairs = [
        [
            {(name, str(source[name])) for name in _CHOICES if source[name] is not None}
            for doc, answer in cases
            for source in ([doc["record"], answer][side],)
        ]
        for side in (0, 1)
    ]
    binarizer = MultiLabelBinarizer().fit(pairs[0] + pairs[1])
    precision, recall, f1, _ = precision_recall_fscore_support(
        binarizer.transform(pairs[0]),
        binarizer.transform(pairs[1]),
        average="micro",
        zero_division=0,
    )
    assert metrics["field_precision"].value == pytest.approx(precision)
    assert metrics["field_recall"].value == pytest.approx(recall)
    assert metrics["field_f1"].value == pytest.approx(f1)
    # Over the fields the gold fills only: labels of the fields the gold fills.
    filled = [{(name, str(doc["record"][name])) for name in _CHOICES if doc["record"][name]
               is not None} for doc, _ in cases]  # fmt: skip
    answered = [{pair for pair in predicted if pair[0] in {name for name, _ in gold}}
                for gold, predicted in zip(filled, pairs[1], strict=True)]  # fmt: skip
    binarizer = MultiLabelBinarizer().fit(filled + answered)
    *_, gold_f1, _ = precision_recall_fscore_support(
        binarizer.transform(filled), binarizer.transform(answered), average="micro"
    )
    assert metrics["gold_field_f1"].value == pytest.approx(gold_f1)
    for name in _CHOICES:
        kept = [(doc["record"][name], answer[name]) for doc, answer in cases if doc["record"][name]
                is not None]  # fmt: skip
        expected = accuracy_score([str(g) for g, _ in kept], [str(p) for _, p in kept])
        assert metrics[f"{name}_accuracy"].value == pytest.approx(expected)
    empty = [answer.get(name) for doc, answer in cases for name in RECORD_FIELDS
             if doc["record"][name] is None]  # fmt: skip
    invented = sum(value is not None for value in empty)
    assert metrics["hallucinated_field_rate"].value == pytest.approx(invented / len(empty))
    assert any(name.startswith("field_f1/site=") for name in metrics)


# --- the generator ------------------------------------------------------------------------------


def test_documents_are_seeded_stratified_and_their_pools_disjoint() -> None:
    test = generate_oncology(16, 3, "test")
    assert test == generate_oncology(16, 3, "test")
    assert [doc["site"] for doc in test[:4]] == list(SITES)
    assert {doc["document_type"] for doc in test[:8]} == {"pathology", "rcp"}
    dev_headers = {generate_oncology(8, 3, "dev")[i]["text"].splitlines()[0] for i in range(8)}
    assert not dev_headers & {doc["text"].splitlines()[0] for doc in test}


def test_every_gold_value_is_scored_right_by_itself_and_its_forms_are_known() -> None:
    docs = generate_oncology(80, 11, "test") + generate_oncology(8, 11, "dev")
    for doc in docs:
        stats = _stats(doc, doc["record"])
        assert stats["field_fn"] == 0.0 and stats["field_fp"] == 0.0, doc["id"]
    cases = {case for doc in docs for case in doc["hard_cases"]}
    assert cases == {"corrected", "not_evaluated", "history", "range", "decimal_comma"}
    for field, table in vocabulary().items():
        assert FORM.kinds[field] in ("category", "category_set")
        assert set(table) >= {
            doc["record"][field] for doc in docs if isinstance(doc["record"][field], str)
        }


def test_a_corrected_document_states_both_values_and_the_gold_is_the_second() -> None:
    docs = [d for d in generate_oncology(80, 5, "test") if "corrected" in d["hard_cases"]]
    percents = ("er_percent", "pr_percent", "ki67_percent", "pd_l1_percent")
    for doc in docs:
        pairs = re.findall(r"(\d+) %[^.]*?(\d+) %", doc["text"])  # a value, then its correction
        gold = {str(doc["record"][name]) for name in percents}
        assert any(first != second and second in gold for first, second in pairs), doc["text"]
    assert docs


# --- score oncology -----------------------------------------------------------------------------


def test_score_oncology_on_external_files(tmp_path: Path) -> None:
    docs = generate_oncology(8, 2, "test")
    gold = write_jsonl(tmp_path / "gold.jsonl", docs)
    rows = [{"id": doc["id"], "record": doc["record"]} for doc in docs[:6]]
    rows.append({"id": docs[6]["id"], "output": json.dumps(docs[6]["record"], ensure_ascii=False)})
    rows.append({"id": docs[7]["id"], "output": "Pas de réponse."})
    predictions = write_jsonl(tmp_path / "pred.jsonl", rows)
    args = ["--gold", str(gold), "--predictions", str(predictions), "--bootstrap", "20", "--json"]
    result = cli("score", "oncology", "--task", TASK, *args)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)[TASK]
    assert metrics["unparsable_rate"]["value"] == pytest.approx(1 / 8)
    assert metrics["field_precision"]["value"] == 1.0 and metrics["field_recall"]["value"] < 1.0
    assert {f"field_f1/site={site}" for site in SITES} <= set(metrics)
    one = write_jsonl(tmp_path / "one.jsonl", docs[:1])
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": docs[0]["id"], "record": "x"}])
    failed = cli("score", "oncology", "--gold", str(one), "--predictions", str(bad))
    assert_one_line_error(failed, "bad.jsonl", "line 1", "record must be an object")
    gold_bad = write_jsonl(
        tmp_path / "gold_bad.jsonl", [{"id": docs[0]["id"], "record": {"psa": {}}}]
    )
    failed = cli("score", "oncology", "--gold", str(gold_bad), "--predictions", str(bad))
    assert_one_line_error(failed, "gold_bad.jsonl", "record.psa must be")


def test_replay_writes_a_systems_record_as_the_json_answer() -> None:
    family = get_family("oncology")
    output = family.replay_output(CARD, {}, {"record": {"psa": 6.4}})
    assert parse_answer(output, FORM.names)["psa"] == Value("6.4")


def test_the_card_has_an_accuracy_a_field_and_its_schema() -> None:
    assert FORM.names == RECORD_FIELDS
    assert {f"{name}_accuracy" for name in RECORD_FIELDS} <= set(CARD.metrics)
    schema = json.loads((Path(CARD.path).parent / "record.schema.json").read_text())
    assert list(schema["properties"]) == list(RECORD_FIELDS)
    assert all("null" in field["type"] for field in schema["properties"].values())


def test_the_task_is_listed_and_in_the_default_suite() -> None:
    registry = Registry.discover()
    assert TASK in [card.name for card in registry.select(["default"])]
    assert [card.name for card in registry.select(["oncology"])] == [TASK]
