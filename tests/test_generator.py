"""The synthetic clinical note generator: exact spans, valid identifiers, determinism, pools."""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from stdnum.fr import nir as stdnum_nir

from partages_bench.errors import UserError
from partages_bench.generator import (
    DOC_TYPES,
    HARD_CASES,
    LABELS,
    POOLS,
    TEMPLATES,
    generate_notes,
    make_case,
    render_document,
    write_jsonl,
)
from partages_bench.generator import identities as ids
from partages_bench.generator.clinical import SPECIALTIES, ClinicalCase

SEED = 20240611
NOTES_PER_SPLIT = 1200


@pytest.fixture(scope="module")
def notes() -> list[dict[str, Any]]:
    return generate_notes(NOTES_PER_SPLIT, SEED, "dev") + generate_notes(
        NOTES_PER_SPLIT, SEED, "test"
    )


@pytest.fixture(scope="module")
def cases() -> list[ClinicalCase]:
    return [make_case(random.Random(f"case:{index}")) for index in range(1500)]


def _spans(notes: list[dict[str, Any]], *labels: str) -> list[tuple[dict[str, Any], str]]:
    return [(note, e["text"]) for note in notes for e in note["entities"] if e["label"] in labels]


# -- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_identical_notes() -> None:
    assert generate_notes(30, 7, "test") == generate_notes(30, 7, "test")


def test_different_seeds_and_splits_differ() -> None:
    def texts(seed: int, split: str) -> set[str]:
        return {note["text"] for note in generate_notes(30, seed, split)}  # type: ignore[arg-type]

    assert not texts(7, "dev") & texts(8, "dev")
    assert not texts(7, "dev") & texts(7, "test")


def test_note_i_does_not_depend_on_n() -> None:
    longer = generate_notes(40, 3, "dev")
    assert generate_notes(10, 3, "dev") == longer[:10]
    assert [note["note_id"] for note in longer[:2]] == ["gen-dev-3-00000", "gen-dev-3-00001"]


def test_bad_split_is_a_user_error() -> None:
    with pytest.raises(UserError):
        generate_notes(1, 0, "train")  # type: ignore[arg-type]


# -- spans --------------------------------------------------------------------------------------


def test_note_shape_and_json_round_trip(notes: list[dict[str, Any]], tmp_path: Path) -> None:
    keys = ["note_id", "text", "entities", "keep", "doc_type", "template_id", "split"]
    for note in notes[:50]:
        assert list(note) == [*keys, "hard_cases"]
    path = tmp_path / "out" / "notes.jsonl"
    write_jsonl(notes[:50], path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == notes[:50]


def test_entity_offsets_are_exact_sorted_and_disjoint(notes: list[dict[str, Any]]) -> None:
    assert len(notes) >= 2000
    for note in notes:
        text, previous_end = note["text"], 0
        for entity in note["entities"]:
            assert text[entity["start"] : entity["end"]] == entity["text"], note["note_id"]
            assert entity["text"] == entity["text"].strip() and entity["text"]
            assert entity["label"] in LABELS
            assert entity["start"] >= previous_end, f"overlap in {note['note_id']}"
            previous_end = entity["end"]


def test_keep_spans_are_exact_and_never_overlap_phi(notes: list[dict[str, Any]]) -> None:
    kinds = {"drug", "dose", "lab_value", "number", "eponym", "institution_reference", "rpps"}
    for note in notes:
        phi = [False] * len(note["text"])
        for entity in note["entities"]:
            phi[entity["start"] : entity["end"]] = [True] * (entity["end"] - entity["start"])
        for span in note["keep"]:
            assert span["kind"] in kinds
            covered = note["text"][span["start"] : span["end"]]
            assert covered and covered == covered.strip()
            assert not any(phi[span["start"] : span["end"]]), note["note_id"]


def test_entity_ids_link_one_kind_of_thing(notes: list[dict[str, Any]]) -> None:
    """One id, one label; a person's NOM is written the same way throughout a note."""
    families = {"NOM": ":nom", "PRENOM": ":prenom", "DATE": "date:", "VILLE": "ville:"}
    for note in notes:
        labels: dict[str, set[str]] = defaultdict(set)
        surnames: dict[str, set[str]] = defaultdict(set)
        for entity in note["entities"]:
            labels[entity["entity_id"]].add(entity["label"])
            marker = families.get(entity["label"])
            assert marker is None or marker in entity["entity_id"], entity
            if entity["label"] == "NOM":
                surnames[entity["entity_id"]].add(entity["text"])
        assert all(len(found) == 1 for found in labels.values()), note["note_id"]
        assert all(len(found) == 1 for found in surnames.values()), note["note_id"]


def test_relative_with_the_patient_surname_is_another_entity(notes: list[dict[str, Any]]) -> None:
    tagged = [note for note in notes if "relative_same_surname" in note["hard_cases"]]
    assert tagged
    for note in tagged:
        by_text: dict[str, set[str]] = defaultdict(set)
        for entity in note["entities"]:
            if entity["label"] == "NOM":
                by_text[entity["text"].casefold()].add(entity["entity_id"])
        assert any(len(entity_ids) > 1 for entity_ids in by_text.values()), note["note_id"]


# -- identifiers --------------------------------------------------------------------------------


def test_every_nir_in_notes_is_valid_and_matches_the_birth_date(
    notes: list[dict[str, Any]],
) -> None:
    checked = 0
    for note in notes:
        births = [e["text"] for e in note["entities"] if e["label"] == "DATE_NAISSANCE"]
        for entity in note["entities"]:
            if entity["label"] != "SECU":
                continue
            number = entity["text"].replace(" ", "")
            assert stdnum_nir.is_valid(number), entity["text"]
            for birth in births:
                born = parse_french_date(birth)
                assert number[1:5] == f"{born.year % 100:02d}{born.month:02d}"
                checked += 1
    assert checked > 50


def test_case_nir_encodes_sex_birth_and_birthplace(cases: list[ClinicalCase]) -> None:
    corsica_before_1976 = abroad = 0
    for case in cases:
        patient = case.patient
        number = patient.nir
        assert stdnum_nir.is_valid(number)
        assert number[0] == ("1" if patient.person.sex == "M" else "2")
        assert number[1:5] == patient.birth_date.strftime("%y%m")
        if patient.birth_city is None:
            assert number[5:7] == "99"
            abroad += 1
        elif patient.birth_city.department in ("2A", "2B") and patient.birth_date.year < 1976:
            assert number[5:10] == "20" + patient.birth_city.insee[2:]
            corsica_before_1976 += 1
        else:
            assert number[5:10] == patient.birth_city.insee
        low, high = case.facts.condition.ages
        assert low <= case.age <= high
        assert case.dates.admission <= case.dates.discharge <= case.dates.next
    assert abroad and corsica_before_1976


def test_corsican_nir_key_uses_19_and_18() -> None:
    for insee, code in (("2A004", "19"), ("2B033", "18")):
        number = ids.make_nir("F", date(1990, 5, 2), insee, 12)
        numeric = number[:5] + code + number[7:13]
        assert int(number[13:]) == 97 - int(numeric) % 97
        assert stdnum_nir.is_valid(number)


def test_city_table_is_consistent() -> None:
    for city in ids.CITIES:
        if city.department in ("2A", "2B"):
            assert city.postcode.startswith("20")
        else:
            assert city.postcode.startswith(city.department[:2]), city
        assert city.department in ids.LANDLINE_PREFIX


def test_postcodes_match_their_city(notes: list[dict[str, Any]]) -> None:
    table = {(city.postcode, city.name.casefold()) for city in ids.CITIES}
    pairs = 0
    for note in notes:
        for zip_code, city in zip(note["entities"], note["entities"][1:], strict=False):
            if zip_code["label"] == "ZIP":
                assert city["label"] == "VILLE" and city["start"] == zip_code["end"] + 1
                assert (zip_code["text"], city["text"].casefold()) in table
                pairs += 1
    assert pairs > 1000


_PHONE = re.compile(
    r"0[1-9]([ .-]?)\d{2}(?:\1\d{2}){3}"  # 06 12 34 56 78, 06.12…, 06-12…, 0612345678
    r"|\+33 (?:\(0\))?[1-9](?: \d{2}){4}"  # +33 6 12 34 56 78, +33 (0)1 45 67 89 10
    r"|0(?: \d){9}"  # 0 6 1 2 3 4 5 6 7 8
)
_MAIL = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*@[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def test_phones_mails_and_stay_numbers_have_french_formats(notes: list[dict[str, Any]]) -> None:
    formats = Counter()
    for _, text in _spans(notes, "TEL"):
        assert _PHONE.fullmatch(text), text
        formats[re.sub(r"\d", "9", text)] += 1
    assert len(formats) >= 7
    for _, text in _spans(notes, "MAIL"):
        assert _MAIL.fullmatch(text), text
    for _, text in _spans(notes, "IPP"):
        assert re.fullmatch(r"80\d{8}", text)
    for _, text in _spans(notes, "NDA"):
        assert re.fullmatch(r"[1-9]\d{8}", text)


def test_rpps_keep_spans_pass_luhn(notes: list[dict[str, Any]]) -> None:
    from stdnum import luhn

    numbers = [
        note["text"][k["start"] : k["end"]] for note in notes for k in note["keep"]
        if k["kind"] == "rpps"
    ]  # fmt: skip
    assert numbers
    assert all(len(n) == 11 and n.startswith("10") and luhn.is_valid(n) for n in numbers)


# An independent reading of every date format the generator may write.
_MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
]  # fmt: skip
_WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
_LONG = re.compile(rf"(?:({'|'.join(_WEEKDAYS)}) )?(1er|\d{{1,2}}) ({'|'.join(_MONTHS)}) (\d{{4}})")


def parse_french_date(text: str) -> date:
    for pattern in ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%Y-%m-%d", "%m/%Y"):
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        # A two-digit year is read as 19xx when 20xx would be in the future (births).
        return parsed.replace(year=parsed.year - 100) if parsed.year > 2025 else parsed
    if match := _LONG.fullmatch(text):
        weekday, day, month, year = match.groups()
        parsed = date(int(year), _MONTHS.index(month) + 1, 1 if day == "1er" else int(day))
        assert weekday is None or _WEEKDAYS[parsed.weekday()] == weekday, text
        assert day != "1" and (day == "1er") == (parsed.day == 1), text
        return parsed
    month, year = text.split(" ")
    return date(int(year), _MONTHS.index(month) + 1, 1)


def test_dates_parse_back_in_every_format(notes: list[dict[str, Any]]) -> None:
    shapes = Counter()
    for _, text in _spans(notes, "DATE", "DATE_NAISSANCE"):
        assert date(1900, 1, 1) < parse_french_date(text) < date(2026, 1, 1), text
        shapes[re.sub(r"\d", "9", re.sub(r"[a-zéû]+", "a", text))] += 1
    assert len(shapes) >= 9


# -- templates, pools, hard cases ---------------------------------------------------------------


def test_dev_and_test_pools_are_disjoint_and_cover_every_doc_type(
    notes: list[dict[str, Any]],
) -> None:
    for doc_type in DOC_TYPES:
        dev, test = POOLS["dev", doc_type], POOLS["test", doc_type]
        assert dev and test and not set(dev) & set(test)
    for note in notes:
        assert TEMPLATES[note["template_id"]].pool == note["split"] == note["note_id"].split("-")[1]
    assert {note["doc_type"] for note in notes} == set(DOC_TYPES)


def test_every_hard_case_occurs_in_each_split(notes: list[dict[str, Any]]) -> None:
    for split in ("dev", "test"):
        found = Counter(
            case for note in notes if note["split"] == split for case in note["hard_cases"]
        )
        assert set(found) == set(HARD_CASES), split


def test_control_notes_have_no_entities(notes: list[dict[str, Any]]) -> None:
    controls = [note for note in notes if "control_note" in note["hard_cases"]]
    assert 0.04 < len(controls) / len(notes) < 0.11
    assert all(not note["entities"] and note["keep"] for note in controls)
    assert all(TEMPLATES[note["template_id"]].control for note in controls)


def test_every_template_renders_for_every_specialty() -> None:
    rng = random.Random(0)
    for specialty in SPECIALTIES:
        case = make_case(rng, specialty)
        for template in TEMPLATES.values():
            note = render_document(case, template.doc_type, template.template_id, rng)
            assert note["text"] and "{" not in note["text"] and "[" not in note["text"]


def test_render_document_renders_several_documents_of_one_case() -> None:
    rng = random.Random(1)
    case = make_case(rng, "oncologie")
    notes = [render_document(case, doc_type, None, rng) for doc_type in DOC_TYPES]
    surname = case.patient.person.surname.casefold()
    for note in notes:
        names = {e["text"].casefold() for e in note["entities"] if e["entity_id"] == "patient:nom"}
        assert names <= {surname}
    with pytest.raises(UserError):
        render_document(case, "prescription", "crh_1", rng)
    with pytest.raises(UserError):
        render_document(case, "radiology_report", None, rng)
