"""Pseudonymisation scoring: parsing, grounding, leaks, redaction, spans, utility, surrogates."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partages_bench.data import load_splits
from partages_bench.families.pseudonymisation.scoring import (
    LABELS,
    STAT_KEYS,
    Span,
    ground,
    ground_listing,
    normalise,
    parse_detected,
    redact,
    score_detect,
    score_rewrite,
)
from partages_bench.stats import MetricSpec, estimate_all
from partages_bench.text import find_dates

Mention = tuple[str, str] | tuple[str, str, str]


def make_note(text: str, *mentions: Mention, keep: list[str] | None = None) -> dict[str, Any]:
    """A note whose mentions (text, label[, entity_id]) are found left to right in ``text``."""
    entities, cursor = [], 0
    for surface, label, *entity_id in mentions:
        start = text.index(surface, cursor)
        cursor = start + len(surface)
        entity = {"start": start, "end": cursor, "label": label, "text": surface}
        entities.append(entity | ({"entity_id": entity_id[0]} if entity_id else {}))
    note: dict[str, Any] = {"note_id": "n", "text": text, "entities": entities}
    if keep is not None:
        spans = [(text.index(part), text.index(part) + len(part)) for part in keep]
        note["keep"] = [{"start": s, "end": e, "kind": "dose"} for s, e in spans]
    return note


def gold_spans(note: dict[str, Any]) -> list[Span]:
    return [Span(e["start"], e["end"], e["label"]) for e in note["entities"]]


def detect_with(note: dict[str, Any], spans: list[Span]) -> dict[str, float]:
    return score_detect(note, spans, parsed=True, hallucinated=0, n_items=len(spans))


def leaked(note: dict[str, Any], output: str) -> float:
    return score_rewrite(note, output)["leak_num"]


NOTE = make_note(
    "Mme Anne DUPONT, née le 12/03/1961, vue le 02/05/2024 à l'hôpital Bichat (75018 Paris). "
    "Tél : 06 12 34 56 78. NIR 2 61 03 75 118 004 07. Mme DUPONT reçoit Doliprane 1000 mg.",
    ("Anne", "PRENOM", "p1"),
    ("DUPONT", "NOM", "n1"),
    ("12/03/1961", "DATE_NAISSANCE"),
    ("02/05/2024", "DATE"),
    ("Bichat", "HOPITAL"),
    ("75018", "ZIP"),
    ("Paris", "VILLE"),
    ("06 12 34 56 78", "TEL"),
    ("2 61 03 75 118 004 07", "SECU"),
    ("DUPONT", "NOM", "n1"),
)
PERFECT_REWRITE = (
    "Mme Claire MARTIN, née le 04/07/1958, vue le 19/01/2023 à l'hôpital Necker (69003 Lyon). "
    "Tél : 07 98 76 54 32. NIR 1 85 05 78 006 084 91. Mme MARTIN reçoit Doliprane 1000 mg."
)


# --- normalisation, keys ---------------------------------------------------------------------


def test_normalise_folds_case_accents_width_and_punctuation() -> None:
    assert normalise("M. DUPONT-Léa, 12/03") == "m dupont lea 12 03"
    assert normalise("Ｎ°１２ Œdème") == "n 12 oedeme"
    assert normalise("500mg") == "500 mg"


def test_every_statistic_of_every_label_is_emitted_in_both_modes() -> None:
    empty = make_note("Patient stable.")
    for stats in (score_rewrite(NOTE, PERFECT_REWRITE), detect_with(empty, [])):
        assert list(stats) == list(STAT_KEYS)
        assert all(isinstance(value, float) for value in stats.values())
    for label in LABELS:
        for key in (
            "leak.{}_num",
            "redact.{}_fp",
            "protect.{}_den",
            "span_overlap.{}_fn",
            "redact_eds.{}_fn",
            "redact_full_eds.{}_den",
            "token_eds.{}_fp",
        ):
            assert key.format(label) in STAT_KEYS
    assert detect_with(empty, [])["doc_leak"] == 0.0


# --- perfect and identity systems ------------------------------------------------------------


def test_a_perfect_rewrite_leaks_nothing_and_redacts_every_identifier_token() -> None:
    stats = score_rewrite(NOTE, PERFECT_REWRITE)
    assert stats["leak_num"] == 0 and stats["leak_den"] == 10
    assert stats["doc_leak"] == 0
    assert stats["redact_fn"] == 0 and stats["redact_tp"] == 24
    assert stats["redact_fp"] == 0 and stats["utility_num"] == stats["utility_den"]
    assert stats["protect_num"] == stats["protect_den"] == 9  # the two DUPONT are one entity
    assert stats["surrogate_valid_num"] == stats["surrogate_valid_den"] == 10
    assert (stats["consistent_num"], stats["consistent_den"], stats["merged"]) == (1, 1, 0)
    assert stats["clinical_num"] == stats["clinical_den"] == 1  # "1000" (dates are PHI)


def test_a_perfect_detection_leaks_nothing_and_matches_every_span() -> None:
    stats = detect_with(NOTE, gold_spans(NOTE))
    assert stats["leak_num"] == 0 and stats["doc_leak"] == 0
    assert stats["redact_fn"] == 0 and stats["redact_fp"] == 0
    assert stats["span_strict_tp"] == 10 and stats["span_strict_fp"] == stats["span_strict_fn"] == 0
    assert stats["span_overlap_tp"] == 10
    assert stats["span_unlabelled_tp"] == 10 and stats["span_unlabelled_fp"] == 0
    assert stats["redact_eds_fn"] == stats["token_eds_fp"] == stats["token_eds_fn"] == 0
    assert stats["redact_full_eds_num"] == stats["redact_full_eds_den"] == 1
    # surrogate statistics belong to rewrite mode
    assert stats["surrogate_valid_den"] == stats["consistent_den"] == stats["merged"] == 0


def test_the_identity_system_leaks_every_mention() -> None:
    for stats in (score_rewrite(NOTE, NOTE["text"]), detect_with(NOTE, [])):
        assert stats["leak_num"] == stats["leak_den"] == 10
        assert stats["doc_leak"] == 1
        assert stats["redact_tp"] == 0 and stats["protect_num"] == 0
        assert stats["leak.NOM_num"] == 2 and stats["protect.NOM_den"] == 1


def test_eds_pseudo_identity_leaks_all_and_gold_redaction_nearly_nothing(
    shared_data: Path,
) -> None:
    notes = load_splits("eds_pseudo_synthetic", data_dir=shared_data)["test"][:300]
    identity = [score_rewrite(note, note["text"]) for note in notes]
    assert sum(s["leak_num"] for s in identity) == sum(s["leak_den"] for s in identity)
    perfect = [detect_with(note, gold_spans(note)) for note in notes]
    # Only names that also stand, unannotated, outside the gold spans ("Neurologie Paris").
    assert sum(s["leak_num"] for s in perfect) <= 0.002 * sum(s["leak_den"] for s in perfect)
    assert sum(s["redact_fn"] for s in perfect) == 0


def test_statistics_aggregate_with_the_stats_core() -> None:
    rows = [score_rewrite(NOTE, PERFECT_REWRITE), score_rewrite(NOTE, NOTE["text"])]
    specs = [
        MetricSpec("leak_rate", "ratio", "leak", higher_is_better=False),
        MetricSpec("redact_recall", "micro_recall", "redact"),
        MetricSpec("redact_f2", "micro_f2", "redact"),
        MetricSpec("tel_leak", "ratio", "leak.TEL", higher_is_better=False),
    ]
    values = {name: e.value for name, e in estimate_all(rows, specs, iterations=0).items()}
    assert values == pytest.approx(
        {"leak_rate": 0.5, "redact_recall": 0.5, "redact_f2": 5 / 9, "tel_leak": 0.5}
    )


# --- leaks -----------------------------------------------------------------------------------

PHONE = make_note("Joindre le 06 12 34 56 78 demain.", ("06 12 34 56 78", "TEL"))


@pytest.mark.parametrize(
    ("output", "leaks"),
    [
        ("Joindre le 06.12.34.56.78 demain.", True),
        ("Joindre le 0612345678 demain.", True),
        ("Joindre le +33 6 12 34 56 78 demain.", True),
        ("Joindre le +33 (0)6-12-34-56-78 demain.", True),
        ("Joindre le 06, 12, 34, 56, 78 demain.", True),  # same token sequence
        ("Joindre le 07 12 34 56 78 demain.", False),
        ("Joindre le 106 12 34 56 789 demain.", False),  # not whole groups
    ],
)
def test_a_phone_leaks_through_any_spelling_of_its_digits(output: str, leaks: bool) -> None:
    assert leaked(PHONE, output) == leaks


def test_a_short_zip_never_leaks_inside_a_longer_number() -> None:
    note = make_note("Domicile : 75013 Paris.", ("75013", "ZIP"))
    assert leaked(note, "Domicile : 69003 Lyon, dossier 1750130.") == 0
    assert leaked(note, "Domicile : 69003 Lyon, réf 75013-2.") == 1  # a whole group
    assert leaked(note, "Domicile : 75 013 Lyon.") == 1


def test_an_initial_leaks_only_where_it_stands() -> None:
    note = make_note("Vu par le Dr A. Martin.", ("A.", "PRENOM"), ("Martin", "NOM"))
    # "a" (verb), "à" and "Anne" are no trace of the initial "A."
    assert leaked(note, "Vu par le Dr B. Durand, il a parlé à Anne.") == 0
    assert leaked(note, "Vu par le Dr A. Durand.") == 1
    assert score_rewrite(note, "Vu par le Dr A. Durand.")["leak.PRENOM_num"] == 1


def test_a_name_leaks_as_whole_tokens_only() -> None:
    note = make_note("Patient Dupont revu.", ("Dupont", "NOM"))
    assert leaked(note, "Patient Dupontel revu.") == 0
    assert leaked(note, "Patient Martin revu, fils de M. DUPONT.") == 1


def test_a_mention_glued_to_another_word_leaks_when_kept_in_place() -> None:
    note = make_note("Dr MadeleineMariniere", ("Madeleine", "PRENOM"), ("Mariniere", "NOM"))
    assert leaked(note, note["text"]) == 2
    assert leaked(note, "Dr PaulineMartin") == 0


@pytest.mark.parametrize(
    ("output", "leaks"),
    [
        ("Admis le 12 03 2021.", True),
        ("Admis le 12 mars 2021.", True),
        ("Admis le 12 MARS 21.", True),
        ("Admis le 2021-03-12.", True),
        ("Admis le 12.3.21.", True),
        ("Admis le 13/03/2021.", False),
        ("Admis le 12/04/2021.", False),
    ],
)
def test_a_date_leaks_in_another_french_format(output: str, leaks: bool) -> None:
    note = make_note("Admis le 12/03/2021.", ("12/03/2021", "DATE"))
    assert leaked(note, output) == leaks


def test_find_dates_reads_french_dates_only() -> None:
    text = "le 1er févr. 2020, le 3 AOUT 1999, 12/03/21, tél 06.12.34.56.78, 31/13/2020"
    assert [date for *_, date in find_dates(text)] == [(1, 2, 2020), (3, 8, 1999), (12, 3, 21)]


def test_one_leaked_mention_leaves_its_entity_unprotected() -> None:
    note = make_note(
        "Mme Durand et sa fille. Mme Durand rentre.",
        ("Durand", "NOM", "e1"),
        ("Durand", "NOM", "e1"),
    )
    stats = detect_with(note, [Span(4, 10, "NOM")])  # the first only: the second still reads
    assert (stats["leak_num"], stats["protect_num"], stats["protect_den"]) == (2, 0, 1)


# --- redaction, spans, utility ---------------------------------------------------------------


def test_detect_redaction_counts_tokens_under_predicted_spans() -> None:
    note = make_note("Jean Dupont a 40 ans.", ("Jean", "PRENOM"), ("Dupont", "NOM"))
    stats = detect_with(note, [Span(0, 11, "NOM"), Span(14, 16, "DATE")])  # "Jean Dupont", "40"
    assert (stats["redact_tp"], stats["redact_fn"], stats["redact_fp"]) == (2, 0, 1)
    assert stats["redact.PRENOM_tp"] == 1 and stats["redact.NOM_tp"] == 1
    assert stats["redact.DATE_fp"] == 1 and stats["redact.NOM_fp"] == 0
    assert stats["utility_num"] == 2 and stats["utility_den"] == 3  # "a", "ans" of a, 40, ans
    assert stats["clinical_num"] == 0 and stats["clinical_den"] == 1  # "40" redacted
    # strict: neither span right; overlap: "Jean Dupont" (NOM) pairs with Dupont (NOM) only
    assert (stats["span_strict_tp"], stats["span_strict_fp"], stats["span_strict_fn"]) == (0, 2, 2)
    assert (stats["span_overlap_tp"], stats["span_overlap_fp"], stats["span_overlap_fn"]) == (
        1,
        1,
        1,
    )
    assert stats["span_overlap.NOM_tp"] == 1 and stats["span_overlap.PRENOM_fn"] == 1


def test_overlap_matching_is_one_to_one_by_largest_overlap() -> None:
    note = make_note("Jean Pierre Dupont", ("Jean Pierre Dupont", "NOM"))
    stats = detect_with(note, [Span(0, 4, "NOM"), Span(5, 18, "NOM")])
    assert (stats["span_overlap_tp"], stats["span_overlap_fp"], stats["span_overlap_fn"]) == (
        1,
        1,
        0,
    )
    assert stats["leak_num"] == 0


def test_rewrite_redaction_uses_the_word_alignment() -> None:
    note = make_note("Le Dr Jean Dupont voit le patient.", ("Jean", "PRENOM"), ("Dupont", "NOM"))
    stats = score_rewrite(note, "Le Dr Paul Dupont examine le patient.")
    assert (stats["redact_tp"], stats["redact_fn"], stats["redact_fp"]) == (1, 1, 1)
    assert stats["redact.NOM_fn"] == 1 and stats["redact.NOM_fp"] == 0  # no per-label fp
    assert (stats["utility_num"], stats["utility_den"]) == (4, 5)
    assert stats["leak.NOM_num"] == 1 and stats["leak.PRENOM_num"] == 0


def test_a_changed_dose_is_a_clinical_loss() -> None:
    note = make_note(
        "M. Petit reçoit amoxicilline 500 mg x3/j, CRP 12 mg/L.",
        ("Petit", "NOM"),
        keep=["amoxicilline", "500 mg", "CRP 12 mg/L"],
    )
    stats = score_rewrite(note, "M. Blanc reçoit amoxicilline 250 mg x3/j, CRP 12 mg/L.")
    assert (stats["clinical_num"], stats["clinical_den"]) == (2, 3)
    assert stats["leak_num"] == 0
    # without keep spans, each digit token outside PHI counts: 500, 3, 12
    del note["keep"]
    stats = score_rewrite(note, "M. Blanc reçoit amoxicilline 250 mg x3/j, CRP 12 mg/L.")
    assert (stats["clinical_num"], stats["clinical_den"]) == (2, 3)


# --- surrogates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "original", "surrogate", "valid"),
    [
        ("SECU", "2 61 03 75 118 004 07", "1 85 05 78 006 084 91", True),
        ("SECU", "2 61 03 75 118 004 07", "1 85 05 78 006 084 92", False),  # wrong key
        ("TEL", "06 12 34 56 78", "01.45.67.89.10", True),
        ("TEL", "06 12 34 56 78", "+33 1 45 67 89 10", True),
        ("TEL", "06 12 34 56 78", "12 34", False),
        ("TEL", "73389", "41207", True),  # an internal extension
        ("DATE", "12/03/2021", "4 avril 2020", True),
        ("DATE", "2003", "2005", True),
        ("DATE", "12/03/2021", "bientôt", False),
        ("ZIP", "75013", "69003", True),
        ("ZIP", "75013", "6900", False),
        ("MAIL", "j.dupont@aphp.fr", "c.martin@chu-lyon.fr", True),
        ("MAIL", "j.dupont@aphp.fr", "c.martin", False),
        ("NOM", "Dupont", "Martin", True),
        ("NOM", "Dupont", "DUPONT", False),  # the original is no surrogate
        ("TEL", "06 12 34 56 78", "06.12.34.56.78", False),
    ],
)
def test_surrogate_validity(label: str, original: str, surrogate: str, valid: bool) -> None:
    note = make_note(f"Donnée : {original} fin.", (original, label))
    stats = score_rewrite(note, f"Donnée : {surrogate} fin.")
    assert stats["surrogate_valid_num"] == valid and stats["surrogate_valid_den"] == 1


def test_a_deleted_identifier_is_no_surrogate() -> None:
    note = make_note("Vu par Dupont hier.", ("Dupont", "NOM"))
    stats = score_rewrite(note, "Vu par hier.")
    assert stats["leak_num"] == 0 and stats["surrogate_valid_num"] == 0


def test_consistency_and_merging_of_surrogates() -> None:
    note = make_note(
        "Mme Durand voit M. Roux. Mme Durand revient.",
        ("Durand", "NOM", "a"),
        ("Roux", "NOM", "b"),
        ("Durand", "NOM", "a"),
    )
    consistent = score_rewrite(note, "Mme Leroy voit M. Faure. Mme Leroy revient.")
    assert (consistent["consistent_num"], consistent["consistent_den"]) == (1, 1)
    assert consistent["merged"] == 0
    split = score_rewrite(note, "Mme Leroy voit M. Faure. Mme Girard revient.")
    assert (split["consistent_num"], split["consistent_den"]) == (0, 1)
    merged = score_rewrite(note, "Mme Leroy voit M. Leroy. Mme Leroy revient.")
    assert merged["merged"] == 1 and merged["consistent_num"] == 1


def test_adjacent_mentions_get_their_own_surrogates() -> None:
    note = make_note(
        "MULET GISELE BERNADETTE\n0014421503\n28-07-2024",
        ("MULET", "NOM", "n"),
        ("GISELE BERNADETTE", "PRENOM", "p"),
        ("0014421503", "TEL"),
        ("28-07-2024", "DATE"),
    )
    stats = score_rewrite(note, "Durand Anne\n06 55 44 33 22\n04/11/1999")
    assert stats["surrogate_valid_num"] == 4
    assert stats["leak_num"] == 0 and stats["redact_tp"] == 7


# --- unusable output -------------------------------------------------------------------------


@pytest.mark.parametrize("output", [None, "", "  \n", "<think>je réfléchis…"])
def test_an_empty_rewrite_is_unparsable_and_protects_nothing(output: str | None) -> None:
    stats = score_rewrite(NOTE, output)
    assert stats["unparsable"] == 1 and stats["leak_num"] == stats["leak_den"]


def test_thinking_is_not_part_of_the_rewrite() -> None:
    stats = score_rewrite(NOTE, f"<think>Anne DUPONT, 06 12 34 56 78…</think>\n{PERFECT_REWRITE}")
    assert stats["unparsable"] == 0 and stats["leak_num"] == 0


def test_unparsable_detection_is_an_empty_prediction() -> None:
    parsed = parse_detected("Je ne peux pas répondre.")
    spans, hallucinated = ground(NOTE["text"], parsed.items)
    stats = score_detect(NOTE, spans, parsed.parsed, hallucinated, len(parsed.items))
    assert stats["unparsable"] == 1 and stats["leak_num"] == stats["leak_den"]


# --- parsing ---------------------------------------------------------------------------------

DUPONT = [("Dupont", "NOM"), ("06 12 34 56 78", "TEL")]


@pytest.mark.parametrize(
    "output",
    [
        '[{"text": "Dupont", "label": "NOM"}, {"text": "06 12 34 56 78", "label": "TEL"}]',
        '```json\n[{"text": "Dupont", "label": "NOM"},\n {"text": "06 12 34 56 78", '
        '"label": "TEL"}]\n```',
        'Voici les identifiants :\n[{"text": "Dupont", "label": "NOM"}, {"text": "06 12 34 56 78",'
        ' "label": "TEL"}]\nJ\'espère que cela aide !',
        "[{'text': 'Dupont', 'label': 'NOM'}, {'text': '06 12 34 56 78', 'label': 'TEL'}]",
        '{"entities": [{"text": "Dupont", "label": "nom"}, {"text": "06 12 34 56 78", '
        '"label": "Téléphone"}]}',
        '[{"text": "Dupont", "label": "NAME"}, {"text": "06 12 34 56 78", "label": "PHONE"}, '
        '{"text": "Jea',
        '<think>{"text": "faux", "label": "NOM"}</think>[{"Text": "Dupont", "Type": "[NOM]"}, '
        '{"texte": "06 12 34 56 78", "label": "phone_number"}]',
    ],
)
def test_messy_json_is_read(output: str) -> None:
    parsed = parse_detected(output)
    assert parsed.parsed and parsed.items == DUPONT and parsed.unknown_labels == 0


@pytest.mark.parametrize(
    ("alias", "label"),
    [
        ("ADDRESS", "ADRESSE"),
        ("City", "VILLE"),
        ("e-mail", "MAIL"),
        ("NIR", "SECU"),
        ("NSS", "SECU"),
        ("Hospital", "HOPITAL"),
        ("hôpital", "HOPITAL"),
        ("date of birth", "DATE_NAISSANCE"),
        ("Date de naissance", "DATE_NAISSANCE"),
        ("prénom", "PRENOM"),
        ("code postal", "ZIP"),
    ],
)
def test_label_aliases(alias: str, label: str) -> None:
    assert parse_detected(json.dumps([{"text": "x", "label": alias}])).items == [("x", label)]


def test_unknown_labels_are_dropped_and_counted() -> None:
    parsed = parse_detected('[{"text": "Doliprane", "label": "DRUG"}, {"text": "Dupont"}]')
    assert parsed.parsed and parsed.items == [] and parsed.unknown_labels == 2


@pytest.mark.parametrize(
    ("output", "parsed"),
    [
        ("[]", True),
        ('```json\n{"entities": []}\n```', True),
        ("Aucun identifiant.", False),
        ("", False),
        (None, False),
        ("[1, 2, 3]", False),
        ('{"text": ', False),
    ],
)
def test_empty_and_unusable_answers(output: str | None, parsed: bool) -> None:
    result = parse_detected(output)
    assert result.items == [] and result.parsed == parsed


# --- grounding -------------------------------------------------------------------------------


def test_grounding_goes_left_to_right_and_extends_to_every_occurrence() -> None:
    text = "Dupont voit Jeanne. Jean Dupont rappelle DUPONT."
    spans, hallucinated = ground(text, [("Dupont", "NOM"), ("Jean", "PRENOM"), ("Martin", "NOM")])
    assert hallucinated == 1
    assert [(text[s.start : s.end], s.label) for s in spans] == [
        ("Dupont", "NOM"),
        ("Jean", "PRENOM"),  # not inside "Jeanne"
        ("Dupont", "NOM"),
        ("DUPONT", "NOM"),
    ]


def test_a_repeated_listing_takes_the_next_occurrence_with_its_own_label() -> None:
    text = "Paris est né à Paris."
    spans, _ = ground(text, [("Paris", "NOM"), ("Paris", "VILLE"), ("Paris", "VILLE")])
    assert [(s.start, s.label) for s in spans] == [(0, "NOM"), (15, "VILLE")]


def test_grounding_finds_numbers_in_another_spelling() -> None:
    text = "Tél 06.12.34.56.78, dossier 106123456789."
    spans, hallucinated = ground(text, [("06 12 34 56 78", "TEL")])
    assert hallucinated == 0 and spans == [Span(4, 18, "TEL")]
    assert redact(text, spans) == "Tél [TEL], dossier 106123456789."
    assert ground("score 20/21 en 2021", [("2021", "DATE")]) == ([Span(15, 19, "DATE")], 0)


KHELIFI = make_note(
    "Mme Yasmine KHELIFI, joignable à y.khelifi@orange.fr. Mme KHELIFI va bien.",
    ("Yasmine", "PRENOM"),
    ("KHELIFI", "NOM", "k"),
    ("y.khelifi@orange.fr", "MAIL"),
    ("KHELIFI", "NOM", "k"),
)


def test_span_scores_count_what_was_listed_and_redaction_every_occurrence() -> None:
    """Issue 17: a surname listed once is redacted wherever it stands — in the e-mail address
    too, and in its second mention — but span scores count the one span listed: no spurious NOM
    nested in the MAIL span, and the unlisted second mention is a missed span."""
    items = [("Khelifi", "NOM"), ("y.khelifi@orange.fr", "MAIL")]
    grounded = ground_listing(KHELIFI["text"], items)
    text = KHELIFI["text"]
    assert [(text[s.start : s.end], s.label) for s in grounded.listed] == [
        ("KHELIFI", "NOM"),
        ("y.khelifi@orange.fr", "MAIL"),
    ]
    assert [text[s.start : s.end] for s in grounded.redacted] == [
        "KHELIFI",
        "y.khelifi@orange.fr",
        "khelifi",
        "KHELIFI",
    ]
    stats = score_detect(
        KHELIFI, grounded.redacted, True, grounded.hallucinated, 2, listed=grounded.listed
    )
    strict = [stats[f"span_strict_{kind}"] for kind in ("tp", "fp", "fn")]
    assert strict == [2, 0, 2]  # PRENOM and the second KHELIFI missed, nothing spurious
    assert [stats[f"span_overlap_{kind}"] for kind in ("tp", "fp", "fn")] == [2, 0, 2]
    assert [stats[f"span_unlabelled_{kind}"] for kind in ("tp", "fp", "fn")] == [2, 0, 2]
    # what a reader sees: both surnames and the address are gone, the first name leaks
    assert (stats["leak_num"], stats["leak_den"]) == (1, 4)
    assert stats["leak.NOM_num"] == stats["leak.MAIL_num"] == 0
    # before issue 17 the span scores read the redacted spans: a NOM spurious in the MAIL
    merged = score_detect(KHELIFI, grounded.redacted, True, 0, 2)
    assert [merged[f"span_strict_{kind}"] for kind in ("tp", "fp", "fn")] == [3, 1, 1]
    assert {k: v for k, v in merged.items() if not k.startswith(("span_", "token_eds"))} == {
        k: v for k, v in stats.items() if not k.startswith(("span_", "token_eds"))
    }


def test_a_listed_text_avoids_occurrences_inside_another_listed_text() -> None:
    """The address before the surname: the surname listed once is placed on its own mention,
    not on the piece of the address that comes first."""
    text = "Contact : y.khelifi@orange.fr (Mme KHELIFI)."
    items = [("Khelifi", "NOM"), ("y.khelifi@orange.fr", "MAIL")]
    grounded = ground_listing(text, items)
    assert [(text[s.start : s.end], s.label) for s in grounded.listed] == [
        ("y.khelifi@orange.fr", "MAIL"),
        ("KHELIFI", "NOM"),
    ]
    # alone, the address piece is the only place: it is taken
    alone = ground_listing("Contact : y.khelifi@orange.fr.", [("Khelifi", "NOM")])
    assert [(s.start, s.end) for s in alone.listed] == [(12, 19)]


def test_detect_from_messy_output_end_to_end() -> None:
    output = 'Identifiants : [{"text": "DUPONT", "label": "NAME"}, {"text": "Anne", "label": "PR'
    parsed = parse_detected(output)
    spans, hallucinated = ground(NOTE["text"], parsed.items)
    stats = score_detect(NOTE, spans, parsed.parsed, hallucinated, len(parsed.items))
    assert stats["leak.NOM_num"] == 0 and stats["leak.NOM_den"] == 2  # both DUPONT redacted
    assert stats["span_strict.NOM_tp"] == 2 and stats["hallucinated_den"] == 1


# --- properties ------------------------------------------------------------------------------

WORDS = ["Dupont", "Jean", "le", "a", "patient", "06", "12", "2021", "mg", "500", "Paris", "né"]
SEPARATORS = [" ", ", ", ". ", "\n", "-", "/", " : "]


@st.composite
def notes_and_outputs(draw: st.DrawFn) -> tuple[dict[str, Any], str, list[int]]:
    """A note of random words with random word-aligned mentions, a random edit of it, and the
    number of words inside each mention."""
    # Two words at least: a one-word note's only word has no context to be "kept in place".
    words = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=25))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    starts, text = [], ""
    for word, sep in zip(words, seps, strict=True):
        starts.append(len(text))
        text += word + sep
    cuts = sorted(draw(st.sets(st.integers(0, len(words)), max_size=12)))
    entities, sizes = [], []
    for first, last in zip(cuts[::2], cuts[1::2], strict=False):
        # A mention that is the whole note has no context either: an initial ("a a") can then
        # never be seen "kept in place", the only way a mention of 2 letters leaks.
        if first < last and (first, last) != (0, len(words)):
            end = starts[last - 1] + len(words[last - 1])
            label = draw(st.sampled_from(LABELS))
            entity_id = draw(st.sampled_from(["a", "b", "c", None]))
            entities.append({"start": starts[first], "end": end, "label": label})
            entities[-1] |= {} if entity_id is None else {"entity_id": entity_id}
            sizes.append(last - first)
    edits = draw(st.lists(st.sampled_from(["keep", "drop", "swap"]), min_size=len(words)))
    replacement = draw(st.sampled_from([*WORDS, "Martin", "07"]))
    output = "".join(
        (replacement if edit == "swap" else word) + sep
        for word, sep, edit in zip(words, seps, edits, strict=False)
        if edit != "drop"
    )
    return {"note_id": "p", "text": text, "entities": entities}, output, sizes


def check_consistent(stats: dict[str, float], phi_words: int) -> None:
    assert list(stats) == list(STAT_KEYS)
    assert all(math.isfinite(v) and v >= 0 for v in stats.values())
    for stat in ("leak", "protect", "utility", "clinical", "surrogate_valid", "consistent"):
        assert stats[f"{stat}_num"] <= stats[f"{stat}_den"]
    assert stats["redact_tp"] + stats["redact_fn"] == phi_words
    for stat, kinds in (("leak", "num den"), ("protect", "num den"), ("redact", "tp fn")):
        for kind in kinds.split():
            total = sum(stats[f"{stat}.{label}_{kind}"] for label in LABELS)
            assert total == stats[f"{stat}_{kind}"]
    for kind in ("tp", "fp", "fn"):
        total = sum(stats[f"span_strict.{label}_{kind}"] for label in LABELS)
        assert total == stats[f"span_strict_{kind}"]


@settings(max_examples=150, deadline=None)
@given(notes_and_outputs())
def test_rewrite_statistics_are_consistent(case: tuple[dict[str, Any], str, list[int]]) -> None:
    note, output, sizes = case
    check_consistent(score_rewrite(note, output), sum(sizes))
    identity = score_rewrite(note, note["text"])
    assert identity["leak_num"] == identity["leak_den"] == len(sizes)
    assert identity["redact_tp"] == 0 and identity["utility_num"] == identity["utility_den"]


@settings(max_examples=150, deadline=None)
@given(notes_and_outputs(), st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(LABELS))))
def test_detect_statistics_are_consistent(
    case: tuple[dict[str, Any], str, list[int]], items: list[tuple[str, str]]
) -> None:
    note, _, sizes = case
    spans, hallucinated = ground(note["text"], items)
    assert hallucinated <= len(items)
    listed = {text.casefold() for text, _ in items}
    assert all(note["text"][s.start : s.end].casefold() in listed for s in spans)
    check_consistent(score_detect(note, spans, True, hallucinated, len(items)), sum(sizes))
    grounded = ground_listing(note["text"], items)
    assert grounded.redacted == spans and set(grounded.listed) <= set(spans)
    assert len(grounded.listed) <= len(items) - hallucinated
    with_listed = score_detect(note, spans, True, hallucinated, len(items), grounded.listed)
    check_consistent(with_listed, sum(sizes))
    assert with_listed["span_strict_fp"] <= score_detect(note, spans, True, 0, 0)["span_strict_fp"]
    perfect = detect_with(note, gold_spans(note))
    check_consistent(perfect, sum(sizes))
    assert perfect["redact_fn"] == perfect["redact_fp"] == 0
    assert perfect["span_strict_fp"] == perfect["span_strict_fn"] == 0
    assert perfect["span_unlabelled_fp"] == perfect["span_unlabelled_fn"] == 0
    assert perfect["redact_eds_fn"] == perfect["token_eds_fp"] == perfect["token_eds_fn"] == 0


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parsing_never_raises(output: str) -> None:
    parsed = parse_detected(output)
    assert parsed.parsed or not parsed.items


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1).filter(str.strip), st.sampled_from(LABELS))))
def test_json_answers_round_trip(items: list[tuple[str, str]]) -> None:
    output = json.dumps([{"text": text, "label": label} for text, label in items])
    assert parse_detected(output).items == [(text.strip(), label) for text, label in items]
