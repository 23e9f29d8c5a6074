"""Answer parsing and scoring of multiple-answer MCQ (FrenchMedMCQA definitions)."""

from __future__ import annotations

import pytest

from partages_bench.families.qa import format_letters, parse_letters, score_answer


@pytest.mark.parametrize(
    ("output", "letters"),
    [
        (" A, C", "ac"),
        ("Réponses : A, C", "ac"),
        ("Les bonnes réponses sont B et E.", "be"),
        ("(c)", "c"),
        ("a, b", "ab"),
        ("B. La bile vésiculaire", "b"),
        ("A;B;E", "abe"),
        ("**D**", "d"),
        (" C\nLa réponse A est fausse car…", "c"),
        ("La réponse correcte est : D", "d"),
        ("Il a été démontré que B est exacte", "b"),
        ("", ""),
        ("Je ne sais pas.", ""),
        (None, ""),
    ],
)
def test_parse_letters(output: str | None, letters: str) -> None:
    assert parse_letters(output) == frozenset(letters)


def test_scores_follow_the_paper_definitions() -> None:
    assert score_answer({"a", "c"}, ["a", "c"]) == {"emr": 1.0, "hamming": 1.0, "unparsable": 0.0}
    partial = score_answer({"a", "b"}, ["a", "c"])
    assert partial["emr"] == 0.0
    assert partial["hamming"] == pytest.approx(1 / 3)
    assert score_answer(set(), ["b"]) == {"emr": 0.0, "hamming": 0.0, "unparsable": 1.0}


def test_format_letters_is_sorted_upper_case() -> None:
    assert format_letters(["d", "a"]) == "A, D"
