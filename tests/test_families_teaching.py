"""The teaching family on hand-written cases: answer parsing, content words, premise coverage,
consistency, ROUGE-L and BERTScore on explanations, ``score teaching``; and the sanity check on
the real CasiMedicos test split (the doctors' explanation against another case's)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_one_line_error, cli, write_jsonl

from partages_bench.families import get_family
from partages_bench.families.summarisation.scoring import add_bertscore, rouge
from partages_bench.families.teaching.scoring import (
    Answer,
    case_stats,
    consistency_stats,
    content_words,
    explanation_of,
    format_answer,
    named_option,
    parse_answer,
    premise_cited,
    premise_stats,
    score_case,
)
from partages_bench.family import ModelMetricOptions, ReplayError
from partages_bench.registry import Registry
from partages_bench.schema import SampleRecord

KEYS = ["1", "2", "3", "4", "5"]
OPTIONS = {
    "1": "Syndrome de Wiskott-Aldrich.",
    "2": "Syndrome d'hyper IgE.",
    "3": "Hypogammaglobulinémie transitoire du nourrisson.",
    "4": "Déficit immunitaire combiné sévère lié à l'X.",
    "5": "Déficit immunitaire commun variable.",
}
CASE: dict[str, Any] = {
    "id": "c1",
    "case": "Enfant de 2 ans. Plusieurs garçons de la famille maternelle sont morts en bas âge.",
    "options": OPTIONS,
    "answer": "4",
    "explanation": (
        "Les décès de garçons de la famille maternelle orientent vers un déficit lié à l'X."
    ),
    "premises": [
        {"part": "case", "start": 0, "end": 16, "text": "Enfant de 2 ans."},
        {
            "part": "case",
            "start": 17,
            "end": 83,
            "text": "Plusieurs garçons de la famille maternelle sont morts en bas âge.",
        },
        {"part": "explanation", "start": 0, "end": 10, "text": "Les décès de garçons"},
    ],
}


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "choice", "explanation"),
    [
        ("4\nExplication : Car lié à l'X.", "4", "Car lié à l'X."),  # the tasks' continuation
        (" (4) Explication: car X.", "4", "car X."),
        ("Réponse : 3\nExplication : Fièvre.", "3", "Fièvre."),
        ("**Bonne réponse :** option 2\n\nExplication : blah", "2", "blah"),
        ("Analyse du cas.\nRéponse : 5\nExplication : car.", "5", "car."),
        ('{"réponse": 4, "explication": "Le DICS lié à l\'X."}', "4", "Le DICS lié à l'X."),
        ('Voici : {"answer": "option 1", "explanation": "WAS"}', "1", "WAS"),
        ("<think>Réponse : 1</think>Réponse : 5\nExplication : car.", "5", "car."),
        # unparsable: no number, a number that is no option, a decimal
        ("Je pense que c'est la bonne.", None, "Je pense que c'est la bonne."),
        ("Réponse : 7\nExplication : x", None, "x"),
        ("3,5 mg par jour", None, "3,5 mg par jour"),
        ('{"réponse": "six", "explication": "x"}', None, "x"),
        ("", None, ""),
        (None, None, ""),
    ],
)
def test_answers_are_parsed_or_unparsable(
    output: str | None, choice: str | None, explanation: str
) -> None:
    assert parse_answer(output, KEYS) == Answer(choice, explanation)


def test_the_gold_target_reads_back_as_its_explanation() -> None:
    target = format_answer("4", "Les décès de garçons orientent vers l'X.")
    assert parse_answer(target, KEYS) == Answer("4", "Les décès de garçons orientent vers l'X.")
    assert explanation_of(target) == "Les décès de garçons orientent vers l'X."


# --- content words and premise coverage -------------------------------------------------------


def test_content_words_fold_drop_function_words_and_plurals() -> None:
    words = content_words("Son père (NF1) n'a pas été décédé à l'âge de 38 ans ; taches, nodules")
    assert words == {"pere", "nf1", "decede", "age", "38", "ans", "tache", "nodule"}
    assert content_words("le la de à l' 2") == {"2"}  # digits kept, whatever their length
    assert content_words("Œdème des Pieds") == {"oedeme", "pied"}


def test_a_premise_is_cited_from_a_third_of_its_content_words() -> None:
    premise = "Plusieurs garçons de la famille maternelle sont morts en bas âge."
    assert content_words(premise) == {
        "plusieur", "garcon", "famille", "maternelle", "mort", "bas", "age"
    }  # fmt: skip
    assert premise_cited(premise, content_words("garçons de la famille maternelle"))  # 3 of 7
    assert not premise_cited(premise, content_words("garçons de la famille"))  # 2 of 7
    assert premise_cited("Enfant de 2 ans.", content_words("un enfant"))  # 1 of 3
    assert premise_cited("de la", content_words("de la")) is None  # no content word


def test_premise_coverage_counts_the_case_premises_only() -> None:
    stats = premise_stats("Garçons de la famille maternelle décédés.", CASE["premises"])
    assert stats == {"premise_num": 1.0, "premise_den": 2.0}
    assert premise_stats("", CASE["premises"]) == {"premise_num": 0.0, "premise_den": 2.0}
    assert premise_stats("x", []) == {"premise_num": 0.0, "premise_den": 0.0}


# --- consistency ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("explanation", "named"),
    [
        ("La bonne réponse est la 4.", "4"),
        ("La réponse correcte est l'option 4, car lié à l'X.", "4"),
        ("Le syndrome de Wiskott-Aldrich est le diagnostic le plus probable.", "1"),
        ("L'option 1 n'est pas correcte. La réponse correcte est l'option 4.", "4"),
        ("Le déficit immunitaire commun variable est exclu.", None),  # no correctness cue
        ("La réponse 2 et la réponse 4 sont correctes.", None),  # two options
        ("La réponse 3 est incorrecte.", None),  # negated
        ("L'âge de 38 ans est correct.", None),  # a number that refers to no option
        ("", None),
    ],
)
def test_the_option_an_explanation_names_as_correct(explanation: str, named: str | None) -> None:
    assert named_option(explanation, OPTIONS) == named


def test_consistency_is_defined_when_an_option_is_named_and_the_choice_readable() -> None:
    assert consistency_stats(Answer("4", "La bonne réponse est la 4."), OPTIONS) == {
        "names_option": 1.0,
        "consistency": 1.0,
    }
    assert consistency_stats(Answer("2", "La bonne réponse est la 4."), OPTIONS) == {
        "names_option": 1.0,
        "consistency": 0.0,
    }
    undefined = [
        consistency_stats(Answer("4", "Lié à l'X."), OPTIONS),
        consistency_stats(Answer(None, "La bonne réponse est la 4."), OPTIONS),
    ]
    assert [stats["names_option"] for stats in undefined] == [0.0, 1.0]
    assert all(math.isnan(stats["consistency"]) for stats in undefined)


# --- one case ---------------------------------------------------------------------------------


def test_case_statistics_of_a_right_a_wrong_and_an_unparsable_answer() -> None:
    right = score_case(CASE, f"4\nExplication : {CASE['explanation']} La bonne réponse est la 4.")
    wrong = score_case(CASE, "2\nExplication : La bonne réponse est la 4.")
    unreadable = score_case(CASE, "Je ne sais pas.")
    assert list(right) == list(wrong) == list(unreadable)
    assert (right["correct"], right["unparsable"], right["consistency"]) == (1.0, 0.0, 1.0)
    assert (right["premise_num"], right["premise_den"]) == (1.0, 2.0)
    reference = CASE["explanation"]
    assert right["rougeL"] == rouge(reference, f"{reference} La bonne réponse est la 4.")["rougeL"]
    assert (wrong["correct"], wrong["consistency"]) == (0.0, 0.0)
    assert (unreadable["correct"], unreadable["unparsable"]) == (0.0, 1.0)
    assert math.isnan(unreadable["consistency"])
    empty = case_stats(Answer("4", ""), CASE)
    assert (empty["empty_explanation"], empty["rougeL"], empty["premise_num"]) == (1.0, 0.0, 0.0)


class _EchoScorer:
    """A stand-in for BertScorer: records the texts it is given, scores 1 for equal texts."""

    def __init__(self) -> None:
        self.description = {"model": "echo"}
        self.seen: list[tuple[str, str]] = []

    def score(self, predictions: list[str], references: list[str]) -> list[dict[str, float]]:
        self.seen = list(zip(predictions, references, strict=True))
        return [{"bertscore_f1": float(p == r)} for p, r in self.seen]


def test_bertscore_compares_the_explanations_through_the_summarisation_hook() -> None:
    metrics = get_family("teaching").model_metrics(ModelMetricOptions())
    assert metrics is not None and get_family("teaching").needs_model_metrics
    record = SampleRecord(
        doc_index=0,
        doc_id="c1",
        prompt="",
        output="<think>…</think>Réponse : 4\nExplication : Lié à l'X.",
        target=format_answer("4", "Lié à l'X."),
        stats={},
    )
    scorer = _EchoScorer()
    scored = add_bertscore([record], scorer, metrics.candidate, metrics.reference)  # type: ignore[arg-type]
    assert scorer.seen == [("Lié à l'X.", "Lié à l'X.")]
    assert scored[0].stats == {"bertscore_f1": 1.0}


def test_score_teaching_gives_bertscore_the_explanations(tmp_path: Path) -> None:
    from partages_bench.families.teaching.offline import score_teaching

    card = Registry.discover().card("casimedicos_explain")
    gold = write_jsonl(tmp_path / "gold.jsonl", [CASE, CASE | {"id": "c2"}])
    predictions = write_jsonl(
        tmp_path / "pred.jsonl",
        [
            {"id": "c1", "output": f"Réponse : 4\nExplication : {CASE['explanation']}"},
            {"id": "c2", "output": "Je ne sais pas."},  # unparsable: the whole answer is compared
        ],
    )
    scorer = _EchoScorer()
    values, notes = score_teaching(card, gold, predictions, ["bertscore"], scorer, 100, 1)
    assert scorer.seen == [
        (CASE["explanation"], CASE["explanation"]),
        ("Je ne sais pas.", CASE["explanation"]),
    ]
    assert set(values) == {"bertscore_f1"} and values["bertscore_f1"].value == 0.5
    assert notes == ["BERTScore: model echo"]


def test_a_replayed_answer_and_explanation_read_back() -> None:
    family = get_family("teaching")
    card = Registry.discover().card("casimedicos_explain")
    text = family.replay_output(card, CASE, {"answer": 4, "explanation": "Lié à l'X."})
    assert parse_answer(text, KEYS) == Answer("4", "Lié à l'X.")
    assert family.replay_output(card, CASE, {"output": "Réponse : 2"}) == "Réponse : 2"
    with pytest.raises(ReplayError, match="explanation must be a string"):
        family.replay_output(card, CASE, {"answer": 4, "explanation": 3})


# --- the task and score teaching --------------------------------------------------------------


def test_the_task_card() -> None:
    card = Registry.discover().card("casimedicos_explain")
    assert (card.family, card.dataset, card.primary_metric) == (
        "teaching",
        "casimedicos_fr",
        "accuracy",
    )
    assert {"accuracy", "premise_coverage", "consistency", "rougeL", "bertscore_f1"} <= set(
        card.metrics
    )
    assert "translation" in card.description


def _scores(tmp_path: Path, gold: list[dict[str, Any]], predictions: list[dict[str, Any]]) -> Any:
    result = cli(
        "score",
        "teaching",
        "--gold",
        str(write_jsonl(tmp_path / "gold.jsonl", gold)),
        "--predictions",
        str(write_jsonl(tmp_path / "pred.jsonl", predictions)),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_score_teaching_reads_outputs_or_answer_fields(tmp_path: Path) -> None:
    other = CASE | {"id": "c2", "answer": "1"}
    scores = _scores(
        tmp_path,
        [CASE, other],
        [
            {"id": "c1", "output": "4\nExplication : La bonne réponse est la 4."},
            {"id": "c2", "answer": "3", "explanation": "La bonne réponse est la 4."},
        ],
    )
    metrics = scores["casimedicos_explain"]
    assert metrics["accuracy"]["value"] == 0.5
    assert metrics["consistency"]["value"] == 0.5  # c1 names 4 and chose 4; c2 chose 3
    assert metrics["unparsable_rate"]["value"] == 0.0
    assert "bertscore_f1" not in metrics and scores["notes"] == []


@pytest.mark.parametrize(
    ("gold_change", "prediction", "words"),
    [
        ({"answer": "9"}, {"id": "c1", "answer": "4"}, ("gold.jsonl line 1", "answer '9'")),
        ({"options": ["a"]}, {"id": "c1", "answer": "4"}, ("gold.jsonl line 1", "options")),
        ({}, {"id": "c1", "explanation": "x"}, ("pred.jsonl line 1", "'answer' (or 'output')")),
        ({}, {"id": "c1", "answer": "4", "explanation": 3}, ("pred.jsonl", "explanation")),
    ],
)
def test_bad_score_inputs_are_one_line_errors(
    tmp_path: Path, gold_change: dict[str, Any], prediction: dict[str, Any], words: tuple[str, ...]
) -> None:
    result = cli(
        "score",
        "teaching",
        "--gold",
        str(write_jsonl(tmp_path / "gold.jsonl", [CASE | gold_change])),
        "--predictions",
        str(write_jsonl(tmp_path / "pred.jsonl", [prediction])),
    )
    assert_one_line_error(result, *words)


def test_sanity_the_doctors_explanation_beats_another_cases(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's check: on the 117 test cases, each answered with its right option, the
    doctors' own explanation scores clearly above the explanation of the next case (a shuffled
    one): the bootstrap intervals do not overlap for premise coverage and ROUGE-L."""
    from partages_bench.data import load_splits

    monkeypatch.setenv("PARTAGES_BENCH_CACHE", str(tmp_path / "cache"))
    test = load_splits("casimedicos_fr", shared_data)["test"]
    gold = [{"id": r["id"], "output": format_answer(r["answer"], r["explanation"])} for r in test]
    shuffled = [
        {
            "id": r["id"],
            "answer": r["answer"],
            "explanation": test[(i + 1) % len(test)]["explanation"],
        }
        for i, r in enumerate(test)
    ]
    good = _scores(tmp_path, test, gold)["casimedicos_explain"]
    bad = _scores(tmp_path, test, shuffled)["casimedicos_explain"]
    for metric in ("premise_coverage", "rougeL"):
        assert good[metric]["ci_low"] > bad[metric]["ci_high"], metric
    assert good["rougeL"]["value"] == 1.0
    assert good["accuracy"]["value"] == bad["accuracy"]["value"] == 1.0
    assert good["consistency"]["value"] > bad["consistency"]["value"]


def test_a_replayed_run_reports_every_metric_with_its_interval(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The doctors' answers replayed through the lm-eval task: the report holds every
    model-free metric with its interval, the same numbers as ``score teaching``, and says why
    BERTScore was not computed (no model offline)."""
    from partages_bench.data import load_splits

    monkeypatch.setenv("PARTAGES_BENCH_CACHE", str(tmp_path / "cache"))
    test = load_splits("casimedicos_fr", shared_data)["test"]
    answers = [
        {"id": r["id"], "answer": r["answer"], "explanation": r["explanation"]} for r in test
    ]
    path = write_jsonl(tmp_path / "doctors.jsonl", answers)
    output = tmp_path / "run"
    offline = {"PARTAGES_BENCH_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    result = cli(
        "run",
        "--model",
        "replay",
        "--model-args",
        f"path={path}",
        "--tasks",
        "casimedicos_explain",
        "--data-dir",
        str(shared_data),
        "--output",
        str(output),
        env=offline,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    task = json.loads((output / "report.json").read_text())["tasks"]["casimedicos_explain"]
    assert task["n_samples"] == 117
    metrics = task["metrics"]
    expected = {
        "accuracy",
        "premise_coverage",
        "consistency",
        "names_option_rate",
        "rougeL",
        "unparsable_rate",
        "empty_explanation_rate",
    }
    assert set(metrics) == expected
    assert all(m["ci_low"] <= m["value"] <= m["ci_high"] for m in metrics.values())
    assert metrics["accuracy"]["value"] == metrics["rougeL"]["value"] == 1.0
    assert any("BERTScore not computed" in note for note in task["notes"])
    assert _scores(tmp_path, test, answers)["casimedicos_explain"] == metrics


def _task_utils(task: str) -> Any:
    import importlib.util

    path = Path(Registry.discover().card(task).path).with_name("utils.py")
    spec = importlib.util.spec_from_file_location(f"{task}_utils", path)
    assert spec is not None and spec.loader is not None
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)
    return utils


def test_the_explain_target_is_a_right_answer_for_its_own_process_results() -> None:
    utils = _task_utils("casimedicos_explain")
    assert utils.doc_to_text(CASE).endswith("5- Déficit immunitaire commun variable.\n\nRéponse :")
    stats = utils.process_results(CASE, [" " + utils.doc_to_target(CASE)])["stats"]
    assert (stats["correct"], stats["rougeL"], stats["premise_num"]) == (1.0, 1.0, 1.0)


def test_the_loglikelihood_variant_takes_the_most_likely_number() -> None:
    utils = _task_utils("casimedicos_mcq_ll")
    assert utils.doc_to_target(CASE) == 3  # the index of "4" among the choices 1-5
    likelihoods = [(-3.0, False), (-2.0, False), (-5.0, False), (-1.0, True), (-4.0, False)]
    assert utils.process_results(CASE, likelihoods) == {"stats": {"emr": 1.0}}
    tie = [(-1.0, False), (-1.0, False), (-5.0, False), (-3.0, False), (-4.0, False)]
    assert utils.process_results(CASE, tie) == {"stats": {"emr": 0.0}}  # the first: option 1
