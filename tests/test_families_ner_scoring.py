"""NER span scoring agrees with the reference implementations (nervaluate, seqeval) to 1e-9."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nervaluate import Evaluator
from seqeval.metrics import classification_report

from partages_bench.families.extraction import Span
from partages_bench.families.ner.scoring import (
    SCHEMAS,
    UNKNOWN_LABEL,
    ground,
    label_reader,
    match,
    occurrences,
    score_answer,
    score_spans,
)
from partages_bench.stats import AGGREGATIONS, to_columns

LABELS = ("ANAT", "DISO", "PROC")
# Our schema names → nervaluate's.
REFERENCE_NAME = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


def _nervaluate(gold_docs: list[list[Span]], predicted_docs: list[list[Span]]) -> dict:
    """nervaluate's results; its ``end`` is inclusive, ours exclusive."""

    def as_dicts(docs: list[list[Span]]) -> list[list[dict]]:
        return [
            [{"label": s.label, "start": s.start, "end": s.end - 1} for s in sorted(doc)]
            for doc in docs
        ]

    return Evaluator(
        as_dicts(gold_docs), as_dicts(predicted_docs), tags=[*LABELS, UNKNOWN_LABEL], loader="dict"
    ).evaluate()


def _ours(gold_docs: list[list[Span]], predicted_docs: list[list[Span]]) -> dict:
    per_doc = [
        score_spans(gold, predicted, LABELS)
        for gold, predicted in zip(gold_docs, predicted_docs, strict=True)
    ]
    return to_columns(per_doc)


def _assert_agree(gold_docs: list[list[Span]], predicted_docs: list[list[Span]]) -> None:
    reference = _nervaluate(gold_docs, predicted_docs)
    columns = _ours(gold_docs, predicted_docs)
    for schema in SCHEMAS:
        theirs = reference["overall"][REFERENCE_NAME[schema.name]]
        for category, attribute in zip(
            ("cor", "inc", "par", "mis", "spu"),
            ("correct", "incorrect", "partial", "missed", "spurious"),
            strict=True,
        ):
            assert columns[f"{schema.name}_{category}"].sum() == getattr(theirs, attribute)
        for measure in ("precision", "recall", "f1"):
            ours = AGGREGATIONS[f"span_{measure}"](columns, schema.name)
            assert ours == pytest.approx(getattr(theirs, measure), abs=1e-9)
        for label, results in reference["entities"].items():
            if label == UNKNOWN_LABEL:
                continue
            for measure in ("precision", "recall", "f1"):
                ours = AGGREGATIONS[f"span_{measure}"](columns, f"{schema.name}.{label}")
                theirs_label = getattr(results[REFERENCE_NAME[schema.name]], measure)
                assert ours == pytest.approx(theirs_label, abs=1e-9), (schema.name, label)


def test_hand_made_cases_agree_with_nervaluate() -> None:
    gold = [
        # QUAERO-style nesting: DISO "métastases hépatiques" holds ANAT "hépatiques".
        [Span(15, 36, "DISO"), Span(26, 36, "ANAT"), Span(41, 60, "DISO"), Span(41, 48, "DISO")],
        [Span(0, 5, "PROC"), Span(6, 10, "DISO")],
        [Span(3, 9, "ANAT")],
    ]
    predicted = [
        # exact nested hit, a wrong-type exact span, a shorter overlapping span, a spurious one
        [Span(15, 36, "DISO"), Span(26, 36, "DISO"), Span(41, 50, "DISO"), Span(70, 75, "PROC")],
        # adjacent to gold: [5, 6) touches neither span (nervaluate's inclusive end would say so)
        [Span(5, 6, "PROC"), Span(0, 10, "DISO")],
        [],
    ]
    _assert_agree(gold, predicted)
    counts = _ours(gold, predicted)
    strict = [counts[f"strict_{c}"].sum() for c in ("cor", "inc", "par", "mis", "spu")]
    assert strict == [1, 3, 0, 3, 2]


def test_adjacent_spans_do_not_overlap() -> None:
    """End-exclusive offsets: [0, 5) and [5, 9) share no character."""
    counts = match([Span(0, 5, "DISO")], [Span(5, 9, "DISO")], SCHEMAS[1])
    assert counts["spu"] == 1 and counts["mis"] == 1 and counts["inc"] == 0


def test_type_schema_takes_the_closest_gold_span() -> None:
    gold = [Span(0, 20, "DISO"), Span(10, 14, "DISO")]
    counts = match(gold, [Span(10, 15, "DISO")], SCHEMAS[3])
    assert counts["cor"] == 1 and counts["mis"] == 1
    _assert_agree([gold], [[Span(10, 15, "DISO")]])


@st.composite
def _documents(draw: st.DrawFn) -> tuple[list[list[Span]], list[list[Span]]]:
    def spans() -> st.SearchStrategy[list[Span]]:
        one = st.tuples(
            st.integers(0, 40), st.integers(1, 12), st.sampled_from([*LABELS, UNKNOWN_LABEL])
        ).map(lambda t: Span(t[0], t[0] + t[1], t[2]))
        return st.lists(one, max_size=8, unique_by=lambda s: (s.start, s.end, s.label))

    def repeated(predicted: list[Span]) -> list[Span]:
        """Some predictions listed again (a model repeating itself)."""
        if not predicted:
            return predicted
        again = draw(st.lists(st.sampled_from(predicted), max_size=3))
        return [*predicted, *again]

    n = draw(st.integers(1, 5))
    gold = [[s for s in draw(spans()) if s.label != UNKNOWN_LABEL] for _ in range(n)]
    # nervaluate infers its loader from the first gold document: keep one entity there.
    gold[0] = gold[0] or [Span(0, 3, "DISO")]
    return gold, [repeated(draw(spans())) for _ in range(n)]


@settings(max_examples=300, deadline=None)
@given(_documents())
def test_random_documents_agree_with_nervaluate(
    docs: tuple[list[list[Span]], list[list[Span]]],
) -> None:
    _assert_agree(*docs)


def test_macro_scores_are_means_over_labels_present() -> None:
    gold = [[Span(0, 4, "DISO"), Span(5, 9, "ANAT")]]
    predicted = [[Span(0, 4, "DISO"), Span(5, 9, "DISO")]]
    columns = _ours(gold, predicted)
    reference = _nervaluate(gold, predicted)["entities"]
    expected = np.mean([reference[label]["strict"].f1 for label in ("ANAT", "DISO")])
    assert AGGREGATIONS["span_macro_f1"](columns, "strict") == pytest.approx(expected, abs=1e-9)


def _flat_spans(rng: random.Random, n_tokens: int) -> list[tuple[int, int, str]]:
    """Non-overlapping token ranges [first, last] with labels."""
    spans, token = [], 0
    while token < n_tokens:
        token += rng.randint(0, 3)
        length = rng.randint(1, 3)
        if token + length > n_tokens:
            break
        spans.append((token, token + length - 1, rng.choice(LABELS)))
        token += length
    return spans


def _iob2(spans: list[tuple[int, int, str]], n_tokens: int) -> list[str]:
    tags = ["O"] * n_tokens
    for first, last, label in spans:
        tags[first] = f"B-{label}"
        for token in range(first + 1, last + 1):
            tags[token] = f"I-{label}"
    return tags


def test_flat_entities_agree_with_seqeval() -> None:
    """Tokens i of a text "x x x …" stand at characters [2i, 2i + 1)."""
    rng = random.Random(20261125)
    gold_tags, predicted_tags, per_doc = [], [], []
    for _ in range(200):
        n_tokens = rng.randint(1, 30)
        gold, predicted = _flat_spans(rng, n_tokens), _flat_spans(rng, n_tokens)
        gold_tags.append(_iob2(gold, n_tokens))
        predicted_tags.append(_iob2(predicted, n_tokens))
        per_doc.append(
            score_spans(
                [Span(2 * a, 2 * b + 1, label) for a, b, label in gold],
                [Span(2 * a, 2 * b + 1, label) for a, b, label in predicted],
                LABELS,
            )
        )
    columns = to_columns(per_doc)
    report = classification_report(gold_tags, predicted_tags, output_dict=True, zero_division=0)
    for ours, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
        micro = AGGREGATIONS[f"span_{ours}"](columns, "strict")
        assert micro == pytest.approx(report["micro avg"][theirs], abs=1e-9)
        macro = AGGREGATIONS[f"span_macro_{ours}"](columns, "strict")
        assert macro == pytest.approx(report["macro avg"][theirs], abs=1e-9)
        for label in LABELS:
            per_label = AGGREGATIONS[f"span_{ours}"](columns, f"strict.{label}")
            assert per_label == pytest.approx(report[label][theirs], abs=1e-9)


# --- answers: parsing, labels, grounding -------------------------------------------------------

TEXT = "Métastases hépatiques d' un cancer colorectal ; cancer du sein. Fièvre."
DOC = {
    "text": TEXT,
    "entities": [
        {"start": 0, "end": 21, "label": "DISO"},
        {"start": 11, "end": 21, "label": "ANAT"},
        {"start": 28, "end": 45, "label": "DISO"},
        {"start": 48, "end": 62, "label": "DISO"},
    ],
}
READ = label_reader(LABELS, {"Anatomie": "ANAT", "Maladie": "DISO"})


def test_labels_are_read_whatever_their_spelling() -> None:
    assert READ("diso") == "DISO" and READ(" Anatomie ") == "ANAT" and READ("MALADIE") == "DISO"
    assert READ("anatomíe") == "ANAT" and READ("médicament") == UNKNOWN_LABEL
    assert label_reader(["CLINENTITY"])("symptôme") == "CLINENTITY"


def test_occurrences_ignore_case_accents_and_spacing() -> None:
    assert occurrences(TEXT, "metastases HEPATIQUES") == [(0, 21)]
    assert occurrences(TEXT, "d'un cancer") == [(22, 34)]
    assert occurrences(TEXT, "cancer") == [(28, 34), (48, 54)]
    assert occurrences(TEXT, "patiques") == [(13, 21)]  # inside a word only as a last resort
    assert occurrences(TEXT, "tumeur") == []


def test_grounding_uses_each_occurrence_once_left_to_right() -> None:
    items = [("cancer", "DISO"), ("cancer", "DISO"), ("cancer", "DISO"), ("tumeur", "DISO")]
    grounding = ground(TEXT, items)
    # The third "cancer" has no occurrence left: the first one again, a span predicted twice.
    assert grounding.spans == [Span(28, 34, "DISO"), Span(28, 34, "DISO"), Span(48, 54, "DISO")]
    assert grounding.hallucinated == ["DISO"] and grounding.repeated == 1


def test_a_repeated_span_is_spurious_as_in_nervaluate() -> None:
    """Issue 17: gold 2 spans, prediction 3 with one repeated. nervaluate's strict precision is
    2/3; merging the repeat gave 1.0."""
    gold = [[Span(0, 6, "DISO"), Span(10, 16, "ANAT")]]
    predicted = [[Span(0, 6, "DISO"), Span(0, 6, "DISO"), Span(10, 16, "ANAT")]]
    _assert_agree(gold, predicted)
    columns = _ours(gold, predicted)
    assert AGGREGATIONS["span_precision"](columns, "strict") == pytest.approx(2 / 3)
    assert AGGREGATIONS["span_recall"](columns, "strict") == 1.0
    assert columns["strict_spu"].sum() == 1 and columns["strict.DISO_spu"].sum() == 1
    reference = _nervaluate(gold, predicted)["overall"]["strict"]
    assert (reference.precision, reference.spurious) == (pytest.approx(2 / 3), 1)


def test_a_model_repeating_an_entity_pays_for_it_in_a_run() -> None:
    output = '[{"text": "fièvre", "label": "DISO"}, {"text": "Fièvre", "label": "DISO"}]'
    doc = {"text": "Patiente avec fièvre.", "entities": [{"start": 14, "end": 20, "label": "DISO"}]}
    stats = score_answer(doc, output, LABELS, READ)
    assert (stats["strict_cor"], stats["strict_spu"], stats["strict_mis"]) == (1, 1, 0)


@pytest.mark.parametrize(
    "output",
    [
        '```json\n[{"text": "Métastases hépatiques", "label": "DISO"}, '
        '{"text": "hépatiques", "label": "anatomie"}]\n```\nVoilà les entités.',
        "[{'text': 'Métastases hépatiques', 'label': 'diso'}, {'text': 'hépatiques', "
        "'label': 'ANAT'}, {'text': 'cancer colo",  # truncated: the complete objects count
    ],
)
def test_messy_answers_are_read(output: str) -> None:
    stats = score_answer(DOC, output, LABELS, READ)
    assert stats["strict_cor"] == 2 and stats["strict_mis"] == 2 and stats["unparsable_num"] == 0


def test_unusable_answer_is_an_empty_prediction() -> None:
    stats = score_answer(DOC, "Je ne sais pas.", LABELS, READ)
    assert stats["unparsable_num"] == 1 and stats["strict_mis"] == 4 and stats["strict_spu"] == 0
    assert score_answer(DOC, "[]", LABELS, READ)["unparsable_num"] == 0


def test_hallucinated_and_unknown_label_items_are_spurious() -> None:
    output = (
        '[{"text": "tumeur", "label": "DISO"}, {"text": "Fièvre", "label": "symptôme"},'
        ' {"text": "cancer du sein", "label": "DISO"}]'
    )
    stats = score_answer(DOC, output, LABELS, READ)
    assert stats["hallucinated_num"] == 1 and stats["hallucinated_den"] == 3
    assert stats["unknown_label_num"] == 1
    assert stats["strict_cor"] == 1 and stats["strict_spu"] == 2
    assert stats["strict.DISO_spu"] == 1  # the hallucinated DISO item
    assert stats["exact_spu"] == 2  # an unknown label is still a span for the exact schema
