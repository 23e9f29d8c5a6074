"""Answer parsing and scoring of multiple-answer MCQ (FrenchMedMCQA definitions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partages_bench.families.qa.scoring import (
    answer_sets,
    combine_option_judgements,
    format_letters,
    judge_option,
    parse_letters,
    random_answer,
    score_answer,
)

PARSED = [
    # the shapes the prompt asks for
    (" A, C", "ac"),
    ("A", "a"),
    ("A, B, C, D, E", "abcde"),
    # headers and sentences
    ("Réponses : A, C", "ac"),
    ("Réponse(s) : B, D", "bd"),
    ("Les bonnes réponses sont B et E.", "be"),
    ("La réponse correcte est : D", "d"),
    ("La bonne réponse est la C.", "c"),
    ("Les propositions exactes sont : A, B et D", "abd"),
    ("La réponse est a", "a"),
    ("Réponse : les propositions B et C", "bc"),
    ("Option C", "c"),
    # letter decorations
    ("(c)", "c"),
    ("(b) et (d)", "bd"),
    ("a, b", "ab"),
    ("A;B;E", "abe"),
    ("A/C", "ac"),
    ("**D**", "d"),
    ("[A, C]", "ac"),
    ("« B »", "b"),
    ("ACD", "acd"),
    ("A C", "ac"),
    ("Ｂ", "b"),  # full-width, folded by NFKC
    # an answer, then prose that mentions other letters
    ("B. La bile vésiculaire", "b"),
    ("C. La proposition A est fausse car le pH gastrique est acide.", "c"),
    (" C\nLa réponse A est fausse car…", "c"),
    ("A, C. En effet, B et D sont des pièges.", "ac"),
    # chat boilerplate
    ("Bien sûr ! Voici la réponse :\n\nA, C", "ac"),
    ("<think>A ou B ? Plutôt B.</think>\nB", "b"),
    ("**Réponse : E**\n\nExplication : …", "e"),
    # options copied as the answer
    ("A. Le suc gastrique\nC. Le suc pancréatique\n", "ac"),
    # a capital letter found inside the first line
    ("Il a été démontré que B est exacte", "b"),
    # nothing to read
    ("", ""),
    ("   \n\n", ""),
    ("Je ne sais pas.", ""),
    ("Il a une réponse", ""),
    ("A. x\nB. y\nC. z\nD. w\nE. v", ""),  # all five options echoed in order
    (None, ""),
]


@pytest.mark.parametrize(("output", "letters"), PARSED)
def test_parse_letters(output: str | None, letters: str) -> None:
    assert parse_letters(output) == frozenset(letters)


@given(st.text())
def test_parser_never_fails_and_returns_option_letters(text: str) -> None:
    assert parse_letters(text) <= frozenset("abcde")


@pytest.mark.parametrize("answer", answer_sets())
def test_every_formatted_answer_reads_back(answer: str) -> None:
    assert format_letters(parse_letters(answer)) == answer


def test_scores_follow_the_paper_definitions() -> None:
    exact = score_answer({"a", "c"}, ["a", "c"])
    assert exact == {"emr": 1.0, "hamming": 1.0, "unparsable": 0.0}
    partial = score_answer({"a", "b"}, ["a", "c"])
    assert partial["emr"] == 0.0
    assert partial["hamming"] == pytest.approx(1 / 3)
    assert score_answer(set(), ["b"]) == {
        "emr": 0.0,
        "hamming": 0.0,
        "unparsable": 1.0,
        "single_correct": 0.0,
    }
    assert score_answer({"b"}, ["B"])["single_correct"] == 1.0


def test_answer_sets_are_the_31_non_empty_subsets() -> None:
    sets = answer_sets()
    assert len(sets) == len(set(sets)) == 31
    assert sets[0] == "A" and sets[-1] == "A, B, C, D, E"


def test_option_judgements_combine_into_a_scored_question() -> None:
    from partages_bench.schema import SampleRecord

    margins = {"a": 2.0, "b": -1.0, "c": 0.5, "d": -3.0, "e": -0.1}
    records = [
        SampleRecord(
            doc_index=i,
            doc_id="q1",
            prompt=f"prompt {letter}",
            output="",
            target="",
            stats=judge_option([margins[letter], 0.0], letter, ["a", "d"]),
        )
        for i, letter in enumerate("abcde")
    ]
    question = combine_option_judgements(records)
    assert (question.output, question.target) == ("A, C", "A, D")
    assert question.stats["hamming"] == pytest.approx(1 / 3)
    assert question.prompt.count("prompt ") == 5


def test_random_answers_are_seeded_per_question() -> None:
    assert random_answer(1, "q1") == random_answer(1, "q1")
    drawn = {random_answer(seed, "q1") for seed in range(200)}
    assert len(drawn) > 20 and drawn <= set(answer_sets())


def test_format_letters_is_sorted_upper_case() -> None:
    assert format_letters(["d", "a"]) == "A, D"
