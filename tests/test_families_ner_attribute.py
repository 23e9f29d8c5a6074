"""NER with an assertion attribute (PARHAF infectiology's negation): the attribute metrics agree
with an independent computation — our NER matcher on (label, value) labels for attribute-aware
F1, a direct count for accuracy — on randomised documents; a wrong negation loses points; a
malformed answer is scored as wrong; passages sum back to the document; the card declares it."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_one_line_error, cli, write_jsonl
from pydantic import ValidationError

from partages_bench.families.extraction import Span
from partages_bench.families.ner import NERCard
from partages_bench.families.ner.scoring import (
    UNKNOWN_LABEL,
    Attribute,
    AttributedSpan,
    attribute_metrics,
    combine_passages,
    doc_to_target,
    label_reader,
    score_answer,
    score_attribute,
    score_spans,
    split_passages,
)
from partages_bench.registry import Registry
from partages_bench.schema import SampleRecord
from partages_bench.stats import AGGREGATIONS, to_columns

TASK = "parhaf_infectiology"
LABELS = ("Bacterie", "Bacteriemie", "Infection", "Site")
NEGATION = Attribute("negation", ("Present", "Absent", "Indetermine"))
READ_LABEL = label_reader(LABELS)
SCHEMA_FIELDS = ("cor", "inc", "par", "mis", "spu")

TEXT = "Fièvre mais pas de bactériémie. Pyélonéphrite à E. coli, suspicion d'endocardite."


def _entity(text: str, mention: str, label: str, negation: str) -> dict[str, Any]:
    start = text.index(mention)
    return {"start": start, "end": start + len(mention), "label": label, "negation": negation}


GOLD_DOC = {
    "id": "r1",
    "speciality": "MALADIES INFECTIEUSES",
    "text": TEXT,
    "entities": [
        _entity(TEXT, "bactériémie", "Bacteriemie", "Absent"),
        _entity(TEXT, "Pyélonéphrite", "Infection", "Present"),
        _entity(TEXT, "E. coli", "Bacterie", "Present"),
        _entity(TEXT, "endocardite", "Infection", "Indetermine"),
    ],
}


def _answer(doc: dict[str, Any], **negations: str) -> str:
    """The gold answer of ``doc`` with some entities' negation changed (by their text)."""
    listed = json.loads(doc_to_target(doc, "negation"))
    for item in listed:
        item["negation"] = negations.get(item["text"], item["negation"])
    return json.dumps(listed, ensure_ascii=False)


def _metric(stats: list[dict[str, float]], aggregation: str, stat: str) -> float:
    return float(AGGREGATIONS[aggregation](to_columns(stats), stat))


def _score(doc: dict[str, Any], output: str) -> dict[str, float]:
    return score_answer(doc, output, LABELS, READ_LABEL, NEGATION)


def test_the_gold_answer_scores_one_everywhere() -> None:
    stats = [_score(GOLD_DOC, _answer(GOLD_DOC))]
    for stat in ("negation", "strict", "negation.Infection", "negation_value.Absent"):
        assert _metric(stats, "span_f1", stat) == 1.0
    assert _metric(stats, "ratio", "negation_agreement") == 1.0
    assert _metric(stats, "ratio", "negation_invalid") == 0.0


def test_a_negated_finding_called_present_loses_points() -> None:
    """The model finds "pas de bactériémie" but calls the bactériémie Present: its span F1 is
    perfect, its attribute-aware F1 and negation accuracy are not."""
    stats = [_score(GOLD_DOC, _answer(GOLD_DOC, **{"bactériémie": "Present"}))]
    assert _metric(stats, "span_f1", "strict") == 1.0
    # 3 of 4 spans right with their negation; the fourth is an INC (wrong attribute).
    assert _metric(stats, "span_f1", "negation") == pytest.approx(3 / 4)
    assert stats[0]["negation_inc"] == 1
    assert _metric(stats, "ratio", "negation_agreement") == pytest.approx(3 / 4)
    # Absent: the only gold Absent is missed; Present: one Present prediction too many.
    assert _metric(stats, "span_f1", "negation_value.Absent") == 0.0
    assert _metric(stats, "ratio", "negation_agreement_value.Absent") == 0.0
    assert _metric(stats, "span_precision", "negation_value.Present") == pytest.approx(2 / 3)
    assert _metric(stats, "span_f1", "negation.Bacteriemie") == 0.0
    assert _metric(stats, "span_f1", "negation.Infection") == 1.0


@pytest.mark.parametrize(
    "value",
    [None, True, "non", "", "Nié", "Present Absent"],
    ids=["missing", "boolean", "other word", "empty", "synonym", "two values"],
)
def test_a_missing_or_invalid_value_is_wrong_never_a_crash(value: Any) -> None:
    listed = json.loads(_answer(GOLD_DOC))
    if value is None:
        del listed[0]["negation"]
    else:
        listed[0]["negation"] = value
    stats = _score(GOLD_DOC, json.dumps(listed, ensure_ascii=False))
    assert (stats["strict_cor"], stats["negation_cor"], stats["negation_inc"]) == (4, 3, 1)
    assert (stats["negation_invalid_num"], stats["negation_invalid_den"]) == (1, 4)
    assert (stats["negation_agreement_num"], stats["negation_agreement_den"]) == (3, 4)


def test_values_are_read_whatever_their_case_and_accents() -> None:
    listed = json.loads(_answer(GOLD_DOC))
    listed[3]["negation"] = "indéterminé"
    listed[0]["NEGATION"] = listed[0].pop("negation").upper()
    stats = _score(GOLD_DOC, json.dumps(listed, ensure_ascii=False))
    assert stats["negation_cor"] == 4 and stats["negation_invalid_num"] == 0


def test_unusable_and_hallucinated_answers_are_scored_as_wrong() -> None:
    nothing = _score(GOLD_DOC, "Je ne sais pas.")
    assert nothing["unparsable_num"] == 1 and nothing["negation_mis"] == 4
    assert nothing["negation_agreement_den"] == 0 and nothing["negation_invalid_den"] == 0
    invented = json.dumps([{"text": "tuberculose", "label": "Infection", "negation": "Absent"}])
    stats = _score(GOLD_DOC, invented)
    # Found nowhere: spurious for its label and its value, never matched.
    assert stats["negation_spu"] == stats["negation.Infection_spu"] == 1
    assert stats["negation_value.Absent_spu"] == 1 and stats["negation_agreement_den"] == 0


def test_hedging_a_span_with_two_values_never_pays() -> None:
    """A span listed twice with two values: one copy is spurious whatever the gold value."""
    for gold_value, other in (("Absent", "Present"), ("Present", "Absent")):
        doc = {**GOLD_DOC, "entities": [{**GOLD_DOC["entities"][0], "negation": gold_value}]}
        both = [
            {"text": "bactériémie", "label": "Bacteriemie", "negation": value}
            for value in (gold_value, other)
        ]
        stats = _score(doc, json.dumps(both, ensure_ascii=False))
        assert _metric([stats], "span_precision", "negation") <= 0.5
        assert stats["negation_spu"] + stats["negation_inc"] >= 1


# --- randomised agreement ------------------------------------------------------------------------

VALUES_AND_INVALID = (*NEGATION.values, UNKNOWN_LABEL)


def _random_document(rng: random.Random) -> tuple[list[AttributedSpan], list[AttributedSpan]]:
    """Gold and predicted spans anywhere, nested and overlapping, labels and values at random
    (an invalid value now and then), predictions copied from gold, shifted or invented."""
    gold = []
    for _ in range(rng.randint(0, 7)):
        start = rng.randint(0, 60)
        gold.append(
            AttributedSpan(
                start, start + rng.randint(1, 12), rng.choice(LABELS), rng.choice(NEGATION.values)
            )
        )
    predicted = []
    for span in gold:
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            shift = rng.choice((0, 0, 0, 1, -1))
            start = max(0, span.start + shift)
            predicted.append(
                AttributedSpan(
                    start,
                    max(start + 1, span.end + rng.choice((0, 0, 1))),
                    span.label if rng.random() < 0.8 else rng.choice(LABELS),
                    span.value if rng.random() < 0.6 else rng.choice(VALUES_AND_INVALID),
                )
            )
    for _ in range(rng.randint(0, 3)):
        start = rng.randint(0, 60)
        predicted.append(
            AttributedSpan(
                start, start + rng.randint(1, 9), rng.choice(LABELS), rng.choice(VALUES_AND_INVALID)
            )
        )
    rng.shuffle(predicted)
    return gold, predicted


def _as_label(spans: list[AttributedSpan]) -> list[Span]:
    """(label, value) as one label: the attribute-aware matching is strict matching on it
    (NUL sorts first, so the order is that of (label, value) pairs)."""
    return [Span(s.start, s.end, f"{s.label}\0{s.value}") for s in spans]


def test_attribute_aware_counts_agree_with_strict_matching_on_label_value_pairs() -> None:
    rng = random.Random(20)
    for _ in range(300):
        gold, predicted = _random_document(rng)
        ours = score_attribute(gold, predicted, LABELS, NEGATION)
        reference_labels = sorted({s.label for s in _as_label([*gold, *predicted])})
        whole = score_spans(_as_label(gold), _as_label(predicted), reference_labels)
        scopes = {"negation": (gold, predicted)}
        scopes |= {
            f"negation.{label}": (
                [s for s in gold if s.label == label],
                [s for s in predicted if s.label == label],
            )
            for label in LABELS
        }
        scopes |= {
            f"negation_value.{value}": (
                [s for s in gold if s.value == value],
                [s for s in predicted if s.value == value],
            )
            for value in NEGATION.values
        }
        for prefix, (scope_gold, scope_predicted) in scopes.items():
            reference = (
                whole
                if prefix == "negation"
                else score_spans(_as_label(scope_gold), _as_label(scope_predicted), ())
            )
            for kind in SCHEMA_FIELDS:
                assert ours[f"{prefix}_{kind}"] == reference[f"strict_{kind}"], (prefix, kind)
        # Every strict (span and label) match is judged once: the denominators add up.
        plain = score_spans(
            [Span(s.start, s.end, s.label) for s in gold],
            [Span(s.start, s.end, s.label) for s in predicted],
            LABELS,
        )
        assert ours["negation_agreement_den"] == plain["strict_cor"]
        for part in ("num", "den"):
            total = ours[f"negation_agreement_{part}"]
            assert sum(ours[f"negation_agreement.{x}_{part}"] for x in LABELS) == total
            by_value = (ours[f"negation_agreement_value.{v}_{part}"] for v in NEGATION.values)
            assert sum(by_value) == total


def test_accuracy_agrees_with_a_direct_count() -> None:
    """Gold spans apart from each other; each found at most once with its label, its value
    right or not, among invented spans elsewhere: accuracy = right values / spans found."""
    rng = random.Random(7)
    documents = []
    expected: Counter[str] = Counter()
    for _ in range(200):
        gold, predicted, position = [], [], 0
        for _ in range(rng.randint(0, 6)):
            start = position + rng.randint(1, 5)
            span = AttributedSpan(
                start, start + rng.randint(1, 8), rng.choice(LABELS), rng.choice(NEGATION.values)
            )
            gold.append(span)
            if rng.random() < 0.7:
                value = rng.choice(VALUES_AND_INVALID)
                predicted.append(AttributedSpan(span.start, span.end, span.label, value))
                for scope in ("", f".{span.label}", f"_value.{span.value}"):
                    expected[f"{scope}_den"] += 1
                    expected[f"{scope}_num"] += value == span.value
            position = span.end
            if rng.random() < 0.3:  # an invented span between two gold spans
                predicted.append(
                    AttributedSpan(position + 1, position + 2, rng.choice(LABELS), "Present")
                )
                position += 3
        rng.shuffle(predicted)
        documents.append(score_attribute(gold, predicted, LABELS, NEGATION))
    columns = to_columns(documents)
    for scope in ("", *(f".{x}" for x in LABELS), *(f"_value.{v}" for v in NEGATION.values)):
        for part in ("num", "den"):
            assert columns[f"negation_agreement{scope}_{part}"].sum() == expected[f"{scope}_{part}"]
        accuracy = AGGREGATIONS["ratio"](columns, f"negation_agreement{scope}")
        if expected[f"{scope}_den"]:
            assert accuracy == pytest.approx(expected[f"{scope}_num"] / expected[f"{scope}_den"])


# --- passages ------------------------------------------------------------------------------------


def test_passages_keep_the_attribute_and_sum_back_to_the_document() -> None:
    """Cut into passages, each answered with its part of a corrupted answer: the combined
    statistics are the document's, scored at once."""
    sentences = [
        "Patient de 70 ans admis pour fièvre.",
        "Hémocultures : pas de bactériémie.",
        "Pyélonéphrite à E. coli.",
        "Suspicion d'endocardite, échographie prévue.",
    ]
    text = " ".join(sentences)
    mentions = [
        ("bactériémie", "Bacteriemie", "Absent"),
        ("Pyélonéphrite", "Infection", "Present"),
        ("E. coli", "Bacterie", "Present"),
        ("endocardite", "Infection", "Indetermine"),
    ]
    entities = [_entity(text, *mention) for mention in mentions]
    doc = {"id": "r2", "speciality": "INCONNUE", "text": text, "entities": entities}
    corrupted = {"bactériémie": "Present", "endocardite": "Absent"}
    passages = split_passages(doc, 50)
    assert len(passages) > 2
    assert [e["negation"] for p in passages for e in p["entities"]] == [m[2] for m in mentions]

    def record(index: int, stats: dict[str, float]) -> SampleRecord:
        return SampleRecord(
            doc_index=index, doc_id="r2", prompt="", output="", target="", stats=stats
        )

    combined = combine_passages(
        [record(i, _score(p, _answer(p, **corrupted))) for i, p in enumerate(passages)]
    )
    whole = _score(doc, _answer(doc, **corrupted))
    # Every count is the document's; only the answers differ (one a passage, one in all).
    assert combined.stats.pop("unparsable_den") == len(passages)
    assert combined.stats == pytest.approx(
        {k: v for k, v in whole.items() if k != "unparsable_den"}
    )
    assert whole["negation_cor"] == 2 and whole["negation_inc"] == 2


# --- the card and score ner --task ---------------------------------------------------------------


def test_the_card_declares_the_attribute_and_its_metrics() -> None:
    card = Registry.discover().card(TASK)
    fields = NERCard.model_validate(card.family_fields)
    assert fields.labels == LABELS and fields.attribute_spec() == NEGATION
    assert card.primary_metric == "negation_f1" and card.breakdown == ["speciality"]
    for name, declared in attribute_metrics(NEGATION).items():
        assert card.metrics[name].model_dump(include=set(declared)) == declared, name
    # ... and the span metrics of every NER task.
    assert {"strict_f1", "partial_f1", "hallucination_rate"} <= set(card.metrics)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"attribute": "negation"}, "go together"),
        ({"attribute_values": ["Present"]}, "go together"),
        ({"attribute": "Négation", "attribute_values": ["Present"]}, "lower-case identifier"),
        ({"attribute": "negation", "attribute_values": ["Present", "Present"]}, "distinct"),
        ({"attributes": "negation"}, "Extra inputs"),
    ],
)
def test_a_bad_attribute_declaration_is_refused(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        NERCard.model_validate(fields)


def _gold_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "gold.jsonl", [GOLD_DOC])


def test_score_ner_as_the_task_reports_the_attribute_metrics(tmp_path: Path) -> None:
    listed = json.loads(_answer(GOLD_DOC, **{"bactériémie": "Present"}))
    listed[1] = {"start": 32, "end": 45, "label": "infection", "negation": "present"}
    predictions = write_jsonl(tmp_path / "p.jsonl", [{"id": "r1", "entities": listed}])
    result = cli(
        "score", "ner", "--task", TASK, "--gold", str(_gold_file(tmp_path)),
        "--predictions", str(predictions), "--json", "--bootstrap", "10", timeout=None,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["strict"]["f1"]["micro"]["value"] == 1.0
    assert scores["negation_f1"]["value"] == pytest.approx(3 / 4)
    assert scores["negation_accuracy_absent"]["value"] == 0.0
    assert scores["negation_f1/label=Infection"]["value"] == 1.0
    assert scores["negation_f1/speciality=MALADIES INFECTIEUSES"]["value"] == pytest.approx(3 / 4)


def test_score_ner_as_the_task_names_a_bad_gold_value(tmp_path: Path) -> None:
    gold = {**GOLD_DOC, "entities": [{**GOLD_DOC["entities"][0], "negation": "Nie"}]}
    gold_path = write_jsonl(tmp_path / "gold.jsonl", [gold])
    predictions = write_jsonl(tmp_path / "p.jsonl", [{"id": "r1", "entities": []}])
    # score TASK is score FAMILY --task TASK.
    result = cli(
        "score", TASK, "--gold", str(gold_path), "--predictions", str(predictions), timeout=None
    )
    assert_one_line_error(result, "gold.jsonl doc 'r1': entities[0].negation is 'Nie'")


def test_a_replayed_report_answers_each_of_its_passages() -> None:
    """A replay line with the report's entities (a gold record is one) answers each passage
    with the entities inside it: the gold scores 1 everywhere; an answer text cannot be cut."""
    from partages_bench.families.ner import FAMILY
    from partages_bench.family import ReplayError

    card = Registry.discover().card(TASK)
    passages = split_passages(GOLD_DOC, 35)
    assert len(passages) > 1
    for passage in passages:
        answer = FAMILY.replay_output(card, passage, GOLD_DOC)
        stats = _score(passage, answer)
        assert stats["negation_cor"] == len(passage["entities"])
        assert stats["negation_spu"] == stats["negation_mis"] == 0
    with pytest.raises(ReplayError, match="answer text"):
        FAMILY.replay_output(card, passages[0], {"output": "[]"})


# --- the task on the fixture snapshot (tests/fixtures/parhaf) -----------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "parhaf"
SMALLEST_CONTEXT = 2048


def _dense_report(sentences: int) -> dict[str, Any]:
    """A report with a bacterium in every sentence: about 11 entities a passage, three times
    PARHAF pseudo's density of annotations (3.4 per 1,000 characters)."""
    sentence = (
        "Les hémocultures prélevées le 12 mars sont revenues positives à Staphylococcus aureus. "
    )
    text = sentence * sentences
    return {
        "id": "dense",
        "speciality": "INCONNUE",
        "text": text,
        "entities": [
            {"start": start, "end": start + 21, "label": "Bacterie", "negation": "Absent"}
            for start in range(sentence.index("Staphylococcus"), len(text), len(sentence))
        ],
    }


def test_no_prompt_can_be_truncated(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Instructions + the longest few-shot passage with its answer + the longest passage + the
    answer budget fit a 2,048-token context (SmolLM2's tokenizer), on the fixture reports (one
    of 8,873 characters) and on a dense report; the budget holds the densest gold answer."""
    from lm_eval.tasks import TaskManager, get_task_dict
    from transformers import AutoTokenizer

    from partages_bench.registry import builtin_tasks_dir

    monkeypatch.setenv("PARTAGES_BENCH_DATA", str(FIXTURES))
    manager = TaskManager(include_path=[str(builtin_tasks_dir())], include_defaults=False)
    task = get_task_dict([TASK], manager)[TASK]
    config = task.config
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)

    def tokens(text: str) -> int:
        return len(tokenizer(text)["input_ids"])

    dense = split_passages(_dense_report(40), 1000)
    assert len(dense[0]["text"]) <= 1000 and len(dense[0]["entities"]) >= 10
    shots = [*task.training_docs(), *dense]
    passages = [*task.test_docs(), *dense]
    assert max(len(doc["text"]) for doc in task.test_docs()) <= 1000
    shot = max(
        tokens(f"{config.doc_to_text(d)}{config.target_delimiter}{config.doc_to_target(d)}")
        for d in shots
    )
    longest = max(tokens(config.doc_to_text(doc)) for doc in passages)
    budget = config.generation_kwargs["max_gen_toks"]
    assert tokens(config.description) + shot + longest + budget <= SMALLEST_CONTEXT
    assert max(tokens(config.doc_to_target(doc)) for doc in passages) <= budget


def _replay(tmp_path: Path, name: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    predictions = write_jsonl(tmp_path / f"{name}.jsonl", records)
    output = tmp_path / name
    result = cli(
        "run", "--model", "replay", "--model-args", f"path={predictions}", "--tasks", TASK,
        "--data-dir", str(FIXTURES), "--output", str(output), "--bootstrap", "50", timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads((output / "report.json").read_text())["tasks"][TASK]


@pytest.mark.e2e
def test_a_replay_of_the_gold_scores_one_and_a_corrupted_negation_what_it_should(
    tmp_path: Path,
) -> None:
    """Through run --model replay on the fixture snapshot (dev): the gold records themselves
    score 1; with the negation of every entity of one report flipped, the spans stay perfect
    and negation_f1 and negation_accuracy fall to the share of entities left right."""
    from partages_bench.data import load_splits

    dev = load_splits(TASK, FIXTURES)["dev"]
    gold = _replay(tmp_path, "gold", dev)
    metrics = {name: value["value"] for name, value in gold["metrics"].items()}
    assert gold["skipped"] is None and gold["n_samples"] == len(dev)
    assert metrics["strict_f1"] == metrics["negation_f1"] == metrics["negation_accuracy"] == 1.0
    assert "negation_f1/speciality=CARDIOLOGIE" in metrics

    flip = {"Present": "Absent", "Absent": "Present", "Indetermine": "Present"}
    longest = max(dev, key=lambda doc: len(doc["text"]))  # several passages
    corrupted = [
        {**doc, "entities": [{**e, "negation": flip[e["negation"]]} for e in doc["entities"]]}
        if doc is longest
        else doc
        for doc in dev
    ]
    total = sum(len(doc["entities"]) for doc in dev)
    right = (total - len(longest["entities"])) / total
    scored = _replay(tmp_path, "corrupted", corrupted)["metrics"]
    assert scored["strict_f1"]["value"] == 1.0
    # Each flipped entity is an INC: P = R = F1 = right spans / spans.
    assert scored["negation_f1"]["value"] == pytest.approx(right)
    assert scored["negation_accuracy"]["value"] == pytest.approx(right)
    assert scored[f"negation_f1/speciality={longest['speciality']}"]["value"] == 0.0
    assert scored["negation_f1"]["ci_low"] <= right <= scored["negation_f1"]["ci_high"]


@pytest.mark.e2e
def test_the_default_model_runs_the_task(tmp_path: Path) -> None:
    """The embedded SmolLM2 on two passages: its answers are parsed and every metric, the
    negation ones included, is reported with an interval. Up to 512 new tokens a passage after
    a prompt of about 1,000 tokens, on CPU: 10 minutes on 2 busy cores."""
    output = tmp_path / "run"
    result = cli(
        "run", "--model", "default", "--tasks", TASK, "--limit", "2",
        "--data-dir", str(FIXTURES), "--output", str(output), timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    task = json.loads((output / "report.json").read_text())["tasks"][TASK]
    assert task["context_check"].startswith("every prompt fits")
    card = Registry.discover().card(TASK)
    for name in card.metrics:
        value = task["metrics"][name]
        assert value["ci_low"] <= value["value"] <= value["ci_high"], name
    samples = [json.loads(line) for line in (output / f"samples/{TASK}.jsonl").open()]
    assert all("negation_agreement_den" in sample["stats"] for sample in samples)
