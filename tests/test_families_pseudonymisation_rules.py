"""The rule-based pseudonymisation baseline: what its regexes find, and what they leave alone."""

from __future__ import annotations

import pytest

from partages_bench.families.pseudonymisation.rules import detect, rewrite
from partages_bench.families.pseudonymisation.scoring import score_detect, score_rewrite


def found(text: str) -> list[tuple[str, str]]:
    return [(text[span.start : span.end], span.label) for span in detect(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NIR, with or without spaces, key checked
        ("NIR : 1 85 05 78 006 084 91.", [("1 85 05 78 006 084 91", "SECU")]),
        ("NSS 269029934173285 (assuré)", [("269029934173285", "SECU")]),
        ("n° sécu 2 6 9 0 2 9 9 3 4 1 7 3 2 8 5", [("2 6 9 0 2 9 9 3 4 1 7 3 2 8 5", "SECU")]),
        ("NIR : 1 85 05 78 006 084 92.", []),  # wrong key: not a NIR, nor a phone
        # phones, every French spelling
        ("Tél : 06 12 34 56 78.", [("06 12 34 56 78", "TEL")]),
        ("Tél : 06.12.34.56.78.", [("06.12.34.56.78", "TEL")]),
        ("Tél : 06-12-34-56-78.", [("06-12-34-56-78", "TEL")]),
        ("Tél : 0612345678.", [("0612345678", "TEL")]),
        ("Fax +33 1 45 67 89 10", [("+33 1 45 67 89 10", "TEL")]),
        ("Fax +33 (0)1 45 67 89 10", [("+33 (0)1 45 67 89 10", "TEL")]),
        ("Fax 0033 145678910", [("0033 145678910", "TEL")]),
        ("secrétariat 01 2048 3632", [("01 2048 3632", "TEL")]),
        # dates, numeric and with French month names
        ("Né le 12/03/1961.", [("12/03/1961", "DATE")]),
        ("Vu le 2.5.24 puis le 2024-05-09.", [("2.5.24", "DATE"), ("2024-05-09", "DATE")]),
        ("Entrée le 1er février 2020.", [("1er février 2020", "DATE")]),
        (
            "Sortie le 3 AOÛT 1999, revu en déc. 2021.",
            [("3 AOÛT 1999", "DATE"), ("déc. 2021", "DATE")],
        ),
        # e-mails
        ("Écrire à j.dupont@aphp.fr.", [("j.dupont@aphp.fr", "MAIL")]),
        # postcodes before a town
        ("12 rue des Lilas, 75013 Paris", [("75013", "ZIP")]),
        ("Domicile : 69003, LYON", [("69003", "ZIP")]),
        # IPP and NDA after their keyword
        ("IPP : 8012939402", [("8012939402", "IPP")]),
        ("N° de séjour 10294875403", [("10294875403", "NDA")]),
        ("numéro d'identification (IPP): 3902478069", [("3902478069", "IPP")]),
    ],
)
def test_identifiers_with_a_format_are_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Doliprane 1000 mg 3 fois par jour pendant 5 jours.",
        "Hb 12.5 g/dL, plaquettes 250 000/mm3, leucocytes 8.2 G/L.",
        "Héparine 25000 UI/24h puis 15000 UI.",
        "Créatinine 85 µmol/L, kaliémie 4,2 mmol/l, INR 2.5, pH 7.38.",
        "TA 120/80 mmHg, FC 72/min, SpO2 98 %, Glasgow 15/15.",
        "Posologie 0.5 mg/kg/j, 10 mg/mL, 1.5-2.0 g.",
        "Décret n°2013-1066, article L. 1111-7.",
        "Dr Jean Dupont, hôpital Bichat, 12 rue des Lilas.",  # no names, hospitals, addresses
    ],
)
def test_clinical_values_and_names_are_left_alone(text: str) -> None:
    assert detect(text) == []


def test_the_baseline_runs_through_the_scoring_interface() -> None:
    text = "M. Dupont, tél 06 12 34 56 78, né le 12/03/1961, suit Doliprane 1000 mg."
    spans = [(3, 9, "NOM"), (15, 29, "TEL"), (37, 47, "DATE_NAISSANCE")]
    note = {
        "note_id": "b",
        "text": text,
        "entities": [{"start": s, "end": e, "label": label} for s, e, label in spans],
    }
    assert rewrite(text) == "M. Dupont, tél [TEL], né le [DATE], suit Doliprane 1000 mg."
    for stats in (
        score_detect(note, detect(text), True, 0, 0),
        score_rewrite(note, rewrite(text)),
    ):
        assert (stats["leak_num"], stats["leak.NOM_num"], stats["leak_den"]) == (1, 1, 3)
        assert stats["redact_tp"] == 8 and stats["redact_fn"] == 1 and stats["redact_fp"] == 0
        assert stats["clinical_num"] == stats["clinical_den"] == 1
