"""eds-pseudo's token scores (``families.eds_scores``): its tokenizer, its span-to-token rule and
its Redact / Redact Full / token P-R-F, on hand-made cases whose expected values are derived by
hand from the rules of eds-pseudo, edsnlp and spaCy (cited in the module). eds-pseudo itself
cannot be installed here."""

from __future__ import annotations

from pathlib import Path

import pytest

from partages_bench.data import load_splits
from partages_bench.families.eds_scores import eds_counts, eds_tokens
from partages_bench.families.extraction import Span
from partages_bench.families.pseudonymisation.scoring import LABELS, score_detect
from partages_bench.stats import AGGREGATIONS, to_columns


def words(text: str) -> list[str]:
    tokens = eds_tokens(text)
    return [text[s:e] for s, e in zip(tokens.starts, tokens.ends, strict=True)]


def at(text: str, surface: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return Span(start, start + len(surface), label)


def entity(span: Span) -> dict[str, object]:
    return {"start": span.start, "end": span.end, "label": span.label}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # EDSTokenizer's own docstring: numbers and letters apart, each newline a token
        ("ACR5", ["ACR", "5"]),
        ("a\n\n\nb", ["a", "\n", "\n", "\n", "b"]),
        # its exceptions stay whole; an acronym keeps its dot before a word character
        ("Dr. Mme. M. Dupont", ["Dr.", "Mme.", "M.", "Dupont"]),
        ("A.P.-H.P.", ["A.", "P", ".", "-", "H.", "P", "."]),
        # every punctuation character is a token of its own
        ("12/03/2021", ["12", "/", "03", "/", "2021"]),
        ("y.khelifi@orange.fr", ["y", ".", "khelifi", "@", "orange", ".", "fr"]),
        ("+33 (0)6", ["+", "33", "(", "0", ")", "6"]),
        # one decimal digit stays with its number, unless more digits follow
        ("12,5 et 2,50", ["12,5", "et", "2", ",", "50"]),
        ("06.12.34", ["06", ".", "12", ".", "34"]),
        # an apostrophe before a letter ends its word; a run of spaces is a token
        ("l'hôpital  Bichat", ["l'", "hôpital", " ", "Bichat"]),
    ],
)
def test_the_eds_tokenizer(text: str, expected: list[str]) -> None:
    assert words(text) == expected


# eds-pseudo's tests/test_scorer.py: its text, its gold spans (token indices), and what its
# rule-based pipeline predicts there (its expected "exact" counts: NOM and MAIL right, the
# phone number as TEL where the test's gold says MAIL, grigny missed).
SCORER_TEXT = "Dr. Juan a pour mail don juan@caramail.fr vit a grigny, tel 0607080910."
SCORER_GOLD = [
    at(SCORER_TEXT, "Juan", "NOM"),
    at(SCORER_TEXT, "juan@caramail.fr", "MAIL"),
    at(SCORER_TEXT, "grigny", "CITY"),
    at(SCORER_TEXT, "0607080910", "MAIL"),
]
SCORER_PREDICTED = [
    at(SCORER_TEXT, "Juan", "NOM"),
    at(SCORER_TEXT, "juan@caramail.fr", "MAIL"),
    at(SCORER_TEXT, "0607080910", "TEL"),
]
SCORER_LABELS = ("NOM", "MAIL", "CITY", "TEL")


def test_spans_land_on_the_tokens_of_eds_pseudos_own_test() -> None:
    tokens = eds_tokens(SCORER_TEXT)
    ranges = [tokens.token_range(s.start, s.end) for s in SCORER_GOLD]
    # Span(doc, 1, 2, "NOM"), Span(doc, 6, 11, "MAIL"), Span(doc, 13, 14, …), Span(doc, 16, 17, …)
    assert ranges == [range(1, 2), range(6, 11), range(13, 14), range(16, 17)]


def test_eds_pseudos_own_expected_counts() -> None:
    """tests/test_scorer.py expects, for mode "rb": redact micro support 8, tp 7 (NOM 1/1,
    MAIL 6/6, CITY 1/0); token micro positives 7, support 8, tp 6 (MAIL 5/6/5, TEL 1/0/0,
    CITY 0/1/0)."""
    counts = eds_counts(SCORER_TEXT, SCORER_GOLD, SCORER_PREDICTED, SCORER_PREDICTED, SCORER_LABELS)
    assert (counts["redact_eds_tp"], counts["redact_eds_fn"]) == (7, 1)
    for label, support, tp in (("NOM", 1, 1), ("MAIL", 6, 6), ("CITY", 1, 0)):
        assert counts[f"redact_eds.{label}_tp"] == tp
        assert counts[f"redact_eds.{label}_tp"] + counts[f"redact_eds.{label}_fn"] == support
    assert (counts["token_eds_tp"], counts["token_eds_fp"], counts["token_eds_fn"]) == (6, 1, 2)
    for label, positives, support, tp in (
        ("NOM", 1, 1, 1),
        ("MAIL", 5, 6, 5),
        ("TEL", 1, 0, 0),
        ("CITY", 0, 1, 0),
    ):
        assert counts[f"token_eds.{label}_tp"] == tp
        assert counts[f"token_eds.{label}_tp"] + counts[f"token_eds.{label}_fp"] == positives
        assert counts[f"token_eds.{label}_tp"] + counts[f"token_eds.{label}_fn"] == support
    # « Redact Full » over that document and an empty one: grigny is missed, so 1 of 2.
    empty = eds_counts("", [], [], [], SCORER_LABELS)
    columns = to_columns([counts, empty])
    assert AGGREGATIONS["ratio"](columns, "redact_full_eds") == 0.5
    assert AGGREGATIONS["ratio"](columns, "redact_full_eds.NOM") == 1.0
    assert AGGREGATIONS["micro_recall"](columns, "redact_eds") == pytest.approx(7 / 8)
    assert AGGREGATIONS["micro_precision"](columns, "token_eds") == pytest.approx(6 / 7)
    assert AGGREGATIONS["micro_f1"](columns, "token_eds") == pytest.approx(12 / 15)


def test_char_spans_expand_to_whole_tokens_as_spacy_does() -> None:
    text = "Né le 12/03/2021 à Lyon"
    tokens = eds_tokens(text)  # Né le 12 / 03 / 2021 à Lyon
    assert tokens.token_range(7, 9) == range(2, 4)  # "2/" → "12", "/"
    assert tokens.token_range(5, 8) == range(2, 3)  # the space after "le" starts nothing: "12"
    assert tokens.token_range(4, 8) == range(1, 3)  # "e 1" → "le", "12"
    assert tokens.token_range(6, 16) == range(2, 7)


def test_punctuation_inside_an_identifier_counts() -> None:
    """Issue 17: « Redact » counts the / of a date and the @ and . of an e-mail; our
    ``redaction_recall`` counts letter and digit runs only."""
    text = "Né le 12/03/2021, écrire à y.khelifi@orange.fr."
    note = {
        "note_id": "k",
        "text": text,
        "entities": [
            entity(at(text, "12/03/2021", "DATE_NAISSANCE")),
            entity(at(text, "y.khelifi@orange.fr", "MAIL")),
        ],
    }
    # The system finds the year and the surname inside the address (as NOM), nothing else.
    predicted = [at(text, "2021", "DATE_NAISSANCE"), at(text, "khelifi", "NOM")]
    stats = score_detect(note, predicted, True, 0, len(predicted))
    # eds tokens: 12 / 03 / 2021 (5) and y . khelifi @ orange . fr (7); redacted: 2021, khelifi
    assert (stats["redact_eds_tp"], stats["redact_eds_fn"], stats["redact_eds_fp"]) == (2, 10, 0)
    assert stats["redact_eds.MAIL_tp"] == 1 and stats["redact_eds.MAIL_fn"] == 6
    # ours: 12 03 2021 (3) and y khelifi orange fr (4)
    assert (stats["redact_tp"], stats["redact_fn"]) == (2, 5)
    assert stats["redact_full_eds_num"] == 0 and stats["redact_full_eds_den"] == 1
    assert stats["redact_full_eds.ZIP_num"] == 1  # no ZIP to redact: complete
    # token scores are label-aware: "2021" is right, "khelifi" as NOM is not MAIL
    assert (stats["token_eds_tp"], stats["token_eds_fp"], stats["token_eds_fn"]) == (1, 1, 11)
    assert stats["token_eds.NOM_fp"] == 1 and stats["token_eds.MAIL_fn"] == 7


def test_a_perfect_system_scores_one_on_the_eds_pseudo_notes(shared_data: Path) -> None:
    notes = load_splits("eds_pseudo_synthetic", data_dir=shared_data)["test"][:200]
    rows = []
    for note in notes:
        gold = [Span(e["start"], e["end"], e["label"]) for e in note["entities"]]
        rows.append(eds_counts(note["text"], gold, gold, gold, LABELS))
    columns = to_columns(rows)
    for aggregation, stat in (
        ("micro_recall", "redact_eds"),
        ("ratio", "redact_full_eds"),
        ("micro_f1", "token_eds"),
    ):
        assert AGGREGATIONS[aggregation](columns, stat) == 1.0
