"""The classification family: answer parsing, per-document statistics and their metrics
(checked against scikit-learn on randomised data), the kinds of errors, the justification
overlap, replay and ``score classification``."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from helpers import assert_one_line_error, cli, write_jsonl
from pydantic import ValidationError

from partages_bench.families import get_family
from partages_bench.families.classification import UNPARSABLE, ClassificationCard
from partages_bench.families.classification.scoring import (
    Answer,
    document_stats,
    error_kind,
    justification_stats,
    parse_answer,
)
from partages_bench.family import ReplayError
from partages_bench.registry import Registry
from partages_bench.report import metric_values
from partages_bench.schema import SampleRecord

TASK = "parhaf_response"
CARD = Registry.discover().card(TASK)
FIELDS = ClassificationCard.model_validate(CARD.family_fields)
CLASSES = FIELDS.classes
TEXT = (
    "Scanner de réévaluation : réponse partielle des lésions hépatiques.\nPoursuite du traitement."
)


def _records(gold: list[str], predicted: list[str | None]) -> list[SampleRecord]:
    return [
        SampleRecord(
            doc_index=i,
            doc_id=f"r{i}",
            prompt="",
            output=str(p),
            target=g,
            stats=document_stats(Answer(p), g, [], TEXT, FIELDS),
            groups={"speciality": "CANCERO ADULTE"},
        )
        for i, (g, p) in enumerate(zip(gold, predicted, strict=True))
    ]


def _random_run(seed: int, classes: list[str]) -> tuple[list[str], list[str | None]]:
    rng = random.Random(seed)
    n = rng.randint(5, 60)
    gold = [rng.choice(classes) for _ in range(n)]
    answers: list[str | None] = [*classes, None]
    return gold, [g if rng.random() < 0.4 else rng.choice(answers) for g in gold]


# --- the card ---------------------------------------------------------------------------------


def test_the_task_card_orders_the_recist_axis() -> None:
    assert FIELDS.ordered == [
        "ReponseComplete",
        "ReponsePartielle",
        "MaladieStable",
        "MaladieProgressive",
    ]
    assert set(CLASSES) - set(FIELDS.ordered) == {"NonApplicable", "NonDetermine"}
    assert CARD.breakdown == ["speciality"]
    assert get_family(CARD.family) is get_family("classification")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"classes": ["A", "A"]}, "distinct"),
        ({"classes": ["A", "B"], "ordered": ["A", "C"]}, "each one of classes"),
        ({"classes": ["A", UNPARSABLE]}, UNPARSABLE),
        ({"classes": ["A"]}, "at least 2"),
    ],
)
def test_card_fields_are_checked(fields: dict[str, list[str]], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        ClassificationCard.model_validate(fields)


# --- kinds of errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "predicted", "kind"),
    [
        ("MaladieStable", "MaladieStable", "correct"),
        ("MaladieStable", None, "unparsable"),
        ("ReponsePartielle", "MaladieStable", "adjacent"),
        ("MaladieStable", "MaladieProgressive", "adjacent"),
        ("ReponseComplete", "ReponsePartielle", "adjacent"),
        ("MaladieProgressive", "ReponseComplete", "distant"),
        ("MaladieProgressive", "ReponsePartielle", "distant"),
        ("MaladieStable", "ReponseComplete", "distant"),
        ("ReponseComplete", "MaladieStable", "distant"),
        ("MaladieStable", "NonDetermine", "off_axis"),
        ("NonApplicable", "MaladieProgressive", "off_axis"),
        ("NonApplicable", "NonDetermine", "off_axis"),
    ],
)
def test_error_kinds(gold: str, predicted: str | None, kind: str) -> None:
    assert error_kind(gold, predicted, FIELDS) == kind
    stats = document_stats(Answer(predicted), gold, [], TEXT, FIELDS)
    assert stats["distant_error"] == float(kind == "distant")
    assert stats["adjacent_error"] == float(kind == "adjacent")


@pytest.mark.parametrize("seed", range(5))
def test_every_document_is_exactly_one_outcome(seed: int) -> None:
    gold, predicted = _random_run(seed, CLASSES)
    metrics = metric_values(CARD, _records(gold, predicted), 0, 0)
    rates = ("accuracy", "unparsable_rate", "adjacent_error_rate", "distant_error_rate")
    total = sum(metrics[name].value for name in (*rates, "off_axis_error_rate"))
    assert total == pytest.approx(1.0)
    wrong = [(g, p) for g, p in zip(gold, predicted, strict=True) if p is not None and p != g]
    distant = sum(error_kind(g, p, FIELDS) == "distant" for g, p in wrong)
    assert metrics["distant_error_rate"].value == pytest.approx(distant / len(gold))


# --- metrics against scikit-learn -------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_metrics_agree_with_scikit_learn(seed: int) -> None:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    # Half the runs leave classes out of gold and answers alike.
    classes = CLASSES if seed % 2 == 0 else random.Random(seed).sample(CLASSES, 3)
    gold, predicted = _random_run(seed, classes)
    answered = [p or UNPARSABLE for p in predicted]
    metrics = metric_values(CARD, _records(gold, predicted), 0, 0)

    assert metrics["accuracy"].value == pytest.approx(accuracy_score(gold, answered))
    present = sorted(set(gold) | set(predicted) - {None})
    expected = f1_score(gold, answered, labels=present, average="macro", zero_division=0)
    assert metrics["macro_f1"].value == pytest.approx(expected)
    # Every class, those neither gold nor answered too (0, scikit-learn's zero_division=0).
    per_class = f1_score(gold, answered, labels=CLASSES, average=None, zero_division=0)
    for label, value in zip(CLASSES, per_class, strict=True):
        assert metrics[f"class_f1/label={label}"].value == pytest.approx(value)
    matrix = confusion_matrix(gold, answered, labels=[*CLASSES, UNPARSABLE])
    for i, row in enumerate(CLASSES):
        for j, column in enumerate([*CLASSES, UNPARSABLE]):
            share = metrics[f"confusion/label={row} as {column}"].value
            assert share * len(gold) == pytest.approx(matrix[i][j])


def test_macro_f1_leaves_out_classes_absent_from_gold_and_answers() -> None:
    """The documented difference with ``f1_score(labels=classes)``: a class nobody has or
    answers is left out of the mean (as with scikit-learn's default labels), not scored 0."""
    from sklearn.metrics import f1_score

    gold = ["MaladieStable", "MaladieProgressive", "MaladieStable", "MaladieProgressive"]
    predicted: list[str | None] = ["MaladieStable", "MaladieStable", None, "MaladieProgressive"]
    answered = [p or UNPARSABLE for p in predicted]
    value = metric_values(CARD, _records(gold, predicted), 0, 0)["macro_f1"].value
    every_class = f1_score(gold, answered, labels=CLASSES, average="macro", zero_division=0)
    two = f1_score(gold, answered, labels=["MaladieStable", "MaladieProgressive"], average="macro")
    assert value == pytest.approx(two)
    assert every_class == pytest.approx(value * 2 / len(CLASSES))


def test_metrics_have_intervals_and_speciality_groups() -> None:
    gold, predicted = _random_run(3, CLASSES)
    metrics = metric_values(CARD, _records(gold, predicted), 200, 0)
    macro = metrics["macro_f1"]
    assert macro.ci_low <= macro.value <= macro.ci_high
    assert "accuracy/speciality=CANCERO ADULTE" in metrics


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "output",
    [
        None,
        "",
        "MaladieStable",
        "La maladie est stable.",
        '{"label": "Remission"}',
        '{"label": 3, "justification": "x"}',
        '{"justification": "réponse partielle"}',
        '{"label": "MaladieStable"',
        "[1, 2]",
        '<think>{"label": "MaladieStable"}</think> je ne sais pas',
    ],
)
def test_malformed_answers_are_unparsable_and_wrong(output: str | None) -> None:
    answer = parse_answer(output, FIELDS)
    assert answer.label is None
    stats = document_stats(answer, "MaladieStable", [], TEXT, FIELDS)
    assert (stats["unparsable"], stats["correct"]) == (1.0, 0.0)
    assert stats[f"confusion.MaladieStable as {UNPARSABLE}_num"] == 1.0


@pytest.mark.parametrize(
    ("output", "label", "quotes"),
    [
        (
            '{"label": "ReponsePartielle", "justification": "réponse partielle"}',
            "ReponsePartielle",
            ("réponse partielle",),
        ),
        (
            '```json\n{"label": "Réponse partielle", "justification": "x"}\n```',
            "ReponsePartielle",
            ("x",),
        ),
        ("Voici : {'label': 'maladie_stable', 'justification': ''} .", "MaladieStable", ()),
        (
            '<think>hmm</think>{"Label": "NON DETERMINE", "justification": ["a", "b", 3]}',
            "NonDetermine",
            ("a", "b"),
        ),
    ],
)
def test_answers_read(output: str, label: str, quotes: tuple[str, ...]) -> None:
    assert parse_answer(output, FIELDS) == Answer(label, quotes)


# --- the justification ------------------------------------------------------------------------

GOLD_SPAN = (TEXT.index("réponse partielle"), TEXT.index(" des lésions"))


@pytest.mark.parametrize(
    ("quotes", "f1", "not_found"),
    [
        (("réponse partielle",), 1.0, 0.0),
        (("« Réponse   partielle. »",), 1.0, 0.0),
        (("réponse partielle des lésions hépatiques",), 2 * 17 / (40 + 17), 0.0),
        (("Poursuite du traitement",), 0.0, 0.0),
        (("réponse complète",), 0.0, 1.0),
        ((), 0.0, 0.0),
    ],
)
def test_justification_overlap(quotes: tuple[str, ...], f1: float, not_found: float) -> None:
    stats = justification_stats(quotes, TEXT, [GOLD_SPAN])
    assert stats == {"justification_f1": pytest.approx(f1), "justification_not_found": not_found}


def test_a_repeated_quote_counts_where_it_overlaps_the_gold() -> None:
    text = "stable. Bilan : maladie stable."
    gold = [(text.rindex("stable"), len(text) - 1)]
    assert justification_stats(("stable",), text, gold)["justification_f1"] == 1.0


def test_no_gold_span_leaves_the_document_out_of_the_mean() -> None:
    assert math.isnan(justification_stats(("x",), TEXT, [])["justification_f1"])


# --- replay and score classification ----------------------------------------------------------


def test_replay_writes_the_json_answer() -> None:
    family = get_family("classification")
    prediction = {"label": "MaladieStable", "justification": "stable"}
    output = family.replay_output(CARD, {}, prediction)
    assert parse_answer(output, FIELDS) == Answer("MaladieStable", ("stable",))
    # A system's malformed label is a wrong answer, as a model's is; no answer at all is refused.
    assert parse_answer(family.replay_output(CARD, {}, {"label": 3}), FIELDS) == Answer(None)
    with pytest.raises(ReplayError, match="'label'"):
        family.replay_output(CARD, {}, {"justification": "stable"})


def _gold_records(n: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    return [
        {
            "id": f"r{i}",
            "text": TEXT,
            "speciality": rng.choice(["CANCERO ADULTE", "HEMATOLOGIE"]),
            "label": rng.choice(CLASSES),
            "justifications": [
                {"start": GOLD_SPAN[0], "end": GOLD_SPAN[1], "text": "réponse partielle"}
            ],
        }
        for i in range(n)
    ]


def test_score_command_scores_like_the_task(tmp_path: Path) -> None:
    golds = _gold_records(20)
    rng = random.Random(1)
    predictions = [
        {
            "id": g["id"],
            "label": rng.choice([*CLASSES, "Inconnu"]),
            "justification": "réponse partielle",
        }
        for g in golds
    ]
    gold_file = write_jsonl(tmp_path / "gold.jsonl", golds)
    prediction_file = write_jsonl(tmp_path / "predictions.jsonl", predictions)
    result = cli(
        "score",
        TASK,  # score TASK: the family command with --task TASK
        "--gold",
        str(gold_file),
        "--predictions",
        str(prediction_file),
        "--json",
        "--bootstrap",
        "50",
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)[TASK]
    right = sum(p["label"] == g["label"] for g, p in zip(golds, predictions, strict=True))
    assert metrics["accuracy"]["value"] == pytest.approx(right / len(golds))
    unknown = sum(p["label"] == "Inconnu" for p in predictions)
    assert metrics["unparsable_rate"]["value"] == pytest.approx(unknown / len(golds))
    assert metrics["justification_f1"]["value"] == 1.0
    assert "macro_f1/speciality=HEMATOLOGIE" in metrics


@pytest.mark.parametrize(
    ("gold_edit", "prediction_edit", "words"),
    [
        ({"label": "Remission"}, {}, ("gold.jsonl line 2", "label 'Remission'")),
        ({"justifications": [{"start": 5, "end": 999}]}, {}, ("gold.jsonl line 2", "offsets")),
        ({"text": None}, {}, ("gold.jsonl line 2", "text")),
        ({}, {"label": None, "output": None}, ("predictions.jsonl line 2", "'label'")),
    ],
)
def test_score_command_bad_input_names_file_and_line(
    tmp_path: Path,
    gold_edit: dict[str, object],
    prediction_edit: dict[str, object],
    words: tuple[str, ...],
) -> None:
    golds = _gold_records(3)
    predictions = [{"id": g["id"], "label": "MaladieStable"} for g in golds]
    golds[1] |= gold_edit
    predictions[1] = {
        key: value for key, value in (predictions[1] | prediction_edit).items() if value is not None
    }
    gold_file = write_jsonl(tmp_path / "gold.jsonl", golds)
    prediction_file = write_jsonl(tmp_path / "predictions.jsonl", predictions)
    result = cli(
        "score",
        "classification",
        "--task",
        TASK,
        "--gold",
        str(gold_file),
        "--predictions",
        str(prediction_file),
    )
    assert_one_line_error(result, *words)


def test_score_command_refuses_a_task_of_another_family(tmp_path: Path) -> None:
    gold_file = write_jsonl(tmp_path / "gold.jsonl", _gold_records(2))
    result = cli(
        "score",
        "classification",
        "--task",
        "frenchmedmcqa",
        "--gold",
        str(gold_file),
        "--predictions",
        str(gold_file),
    )
    assert_one_line_error(result, "frenchmedmcqa", "not a classification task")


# --- the classification-cues baseline ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "justification"),
    [
        (
            TEXT,
            "ReponsePartielle",
            "Scanner de réévaluation : réponse partielle des lésions hépatiques",
        ),
        (
            "Maladie stable en mars. Puis progression hépatique !\nArrêt.",
            "MaladieProgressive",
            "Puis progression hépatique",
        ),
        ("Consultation de suivi sans particularité.", "NonApplicable", ""),
    ],
)
def test_cue_baseline_answers_the_last_cue_and_quotes_its_sentence(
    text: str, label: str, justification: str
) -> None:
    from partages_bench.families.classification.offline import cue_prediction

    prediction = cue_prediction(CARD, {"id": "r1", "text": text})
    assert prediction == {"label": label, "justification": justification}
    answer = parse_answer(get_family("classification").replay_output(CARD, {}, prediction), FIELDS)
    assert answer.label == label
    if justification:
        assert justification_stats(answer.quotes, text, [])["justification_not_found"] == 0.0


def test_cue_baseline_needs_cues_on_the_card() -> None:
    from partages_bench.families.classification.offline import cue_prediction

    card = CARD.model_copy(update={"family_fields": {"classes": ["A", "B"]}})
    with pytest.raises(ReplayError, match="declares no cues"):
        cue_prediction(card, {"text": "x"})


def test_cue_baseline_command_writes_predictions_the_score_command_reads(tmp_path: Path) -> None:
    gold_file = write_jsonl(tmp_path / "gold.jsonl", _gold_records(4))
    predictions = tmp_path / "cues.jsonl"
    made = cli(
        "baseline",
        "classification-cues",
        "--task",
        TASK,
        "--gold",
        str(gold_file),
        "--output",
        str(predictions),
    )
    assert made.returncode == 0, made.stderr
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert {row["label"] for row in rows} == {"ReponsePartielle"}
    scored = cli(
        "score",
        "classification",
        "--task",
        TASK,
        "--gold",
        str(gold_file),
        "--predictions",
        str(predictions),
        "--json",
        "--bootstrap",
        "10",
    )
    assert scored.returncode == 0, scored.stderr
    metrics = json.loads(scored.stdout)[TASK]
    # The quoted sentence holds the gold span: recall 1, precision 17/66.
    assert metrics["justification_f1"]["value"] == pytest.approx(2 * 17 / (66 + 17))


def test_the_task_target_is_a_right_answer_for_its_own_process_results() -> None:
    import importlib.util

    path = Path(CARD.path).with_name("utils.py")
    spec = importlib.util.spec_from_file_location("parhaf_response_utils", path)
    assert spec is not None and spec.loader is not None
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)
    doc = _gold_records(1)[0] | {"label": "ReponsePartielle"}
    assert utils.doc_to_text(doc).endswith("Réponse (JSON) :")
    stats = utils.process_results(doc, [utils.doc_to_target(doc)])["stats"]
    assert (stats["correct"], stats["justification_f1"]) == (1.0, 1.0)
    wrong = utils.process_results(doc, ['{"label": "MaladieProgressive"}'])["stats"]
    assert (wrong["distant_error"], wrong["justification_f1"]) == (1.0, 0.0)


# --- the task end to end on the PARHAF fixtures -----------------------------------------------

PARHAF_FIXTURES = Path(__file__).parent / "fixtures" / "parhaf"
# What the corrupted system answers for each gold class of the fixtures' dev split, and what
# that is: unreadable, adjacent (partial called stable), distant (progression called complete).
CORRUPTED = {
    "NonDetermine": "Inconnu",
    "ReponsePartielle": "MaladieStable",
    "MaladieProgressive": "ReponseComplete",
}


def _ok(*args: str) -> str:
    result = cli(*args, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _replayed(tmp_path: Path, name: str, predictions: list[dict[str, object]]) -> dict:
    """The task's metrics from a replay run, after checking ``score TASK`` gives the same."""
    path = write_jsonl(tmp_path / f"{name}.jsonl", predictions)
    output = tmp_path / name
    _ok(
        "run",
        "--model",
        "replay",
        "--model-args",
        f"path={path}",
        "--tasks",
        TASK,
        "--data-dir",
        str(PARHAF_FIXTURES),
        "--output",
        str(output),
    )
    task = json.loads((output / "report.json").read_text())["tasks"][TASK]
    offline = json.loads(
        _ok(
            "score",
            TASK,
            "--gold",
            str(tmp_path / "gold.jsonl"),
            "--predictions",
            str(path),
            "--json",
        )
    )[TASK]
    assert offline == task["metrics"]
    return task


@pytest.mark.e2e
def test_replayed_answers_through_the_task(tmp_path: Path) -> None:
    _ok(
        "data",
        "export",
        TASK,
        "--split",
        "dev",
        "--out",
        str(tmp_path / "gold.jsonl"),
        "--data-dir",
        str(PARHAF_FIXTURES),
    )
    golds = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text().splitlines()]
    assert {g["label"] for g in golds} == set(CORRUPTED)

    right = [
        {
            "id": g["id"],
            "label": g["label"],
            "justification": [s["text"] for s in g["justifications"]],
        }
        for g in golds
    ]
    task = _replayed(tmp_path, "right", right)
    assert (task["split"], task["n_samples"]) == ("dev", len(golds))
    metrics = {name: value["value"] for name, value in task["metrics"].items()}
    assert metrics["accuracy"] == metrics["macro_f1"] == metrics["justification_f1"] == 1.0
    assert metrics["confusion"] == metrics["unparsable_rate"] == 0.0
    assert "accuracy/speciality=INCONNUE" in metrics

    corrupted = [
        {
            "id": g["id"],
            "label": CORRUPTED[g["label"]],
            "justification": "texte absent du compte rendu",
        }
        for g in golds
    ]
    metrics = {
        k: v["value"] for k, v in _replayed(tmp_path, "corrupted", corrupted)["metrics"].items()
    }
    third = pytest.approx(1 / 3)
    assert metrics["accuracy"] == metrics["macro_f1"] == metrics["justification_f1"] == 0.0
    for rate in ("unparsable_rate", "adjacent_error_rate", "distant_error_rate"):
        assert metrics[rate] == third, rate
    assert metrics["justification_not_found_rate"] == 1.0
    assert metrics["confusion/label=MaladieProgressive as ReponseComplete"] == third
    assert metrics["confusion/label=NonDetermine as unparsable"] == third


@pytest.mark.e2e
def test_the_default_model_runs_the_task(tmp_path: Path) -> None:
    """The embedded SmolLM2 on two fixture reports: whatever it answers, every metric of the
    card is reported with its interval."""
    output = tmp_path / "run"
    _ok(
        "run",
        "--model",
        "default",
        "--tasks",
        TASK,
        "--limit",
        "2",
        "--data-dir",
        str(PARHAF_FIXTURES),
        "--output",
        str(output),
    )
    task = json.loads((output / "report.json").read_text())["tasks"][TASK]
    assert task["skipped"] is None
    assert task["n_samples"] + task["truncated_or_skipped"] == 2
    assert task["context_check"].startswith("every prompt fits")
    for name in CARD.metrics:
        metric = task["metrics"][name]
        assert metric["ci_low"] <= metric["value"] <= metric["ci_high"] or math.isnan(
            metric["value"]
        ), name
