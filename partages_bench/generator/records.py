"""Patient records for summarisation: several documents of one case, typed key facts, a reference.

A record is 2 to 6 documents of one ``ClinicalCase`` (``make_case``), each rendered with
``render_document`` from a template of the record's own pool: dev records are few-shot examples,
test records are evaluated, so a test record never reuses a template shown as an example. The
documents are put in chronological order and joined into ``source``, each introduced by a header
line ``=== <title> (<dd/mm/yyyy>) ===``; a document is dated by the event its template writes as
its own date (an operative report by the procedure, a renewal prescription by the consultation).

Key facts come from the case's structured facts, never from re-reading the text, and a fact is
kept only when one of the record's templates has the slot that writes it: a key fact the source
does not state would not be fair to a summariser. Types (``KEY_FACT_TYPES``):

- ``diagnosis``: the condition's name (the generator has no synonyms for it).
- ``procedure``: the procedure's name and its date, when one template writes both.
- ``lab``: each of the condition's own tests whose value is out of range, with its unit; the
  standard panel is drawn within range and is not a key fact.
- ``allergy``: one fact per allergy, only when there is one; "no known allergy" is not a fact.
- ``treatment``: each discharge drug with its strength (home drugs kept at discharge included).
- ``follow_up``: each follow-up instruction ("A ; B" is two), and the follow-up appointment with
  its date.

``forms`` lists a fact's required parts, each part a list of accepted surface forms: a part is
found when any of its forms occurs in a text (case-insensitive). The first form of each part is
the one the source's generator writes and the one the reference uses; the others are spellings a
summary may use (dates in other French formats, "2.5 mg" or "2,5mg" for "2,5 mg", "μ" for "µ").
Diagnosis, procedure and follow-up instruction forms are the generator's words verbatim: a
paraphrase does not match them.

The reference summary has fixed sections, in this order and only when they have a fact:
"Diagnostic principal", "Geste réalisé", "Biologie", "Allergies", "Traitement de sortie",
"Suivi"; multi-valued sections list one fact a line. It states every key fact and nothing else:
no name or identifier of the patient, and no date but the procedure's and the appointment's.

The documents also say much that is not a key fact, on purpose (distractors): identities, vital
signs, in-range labs, history and home treatment, imaging, the hospital course, nursing
observations, post-operative and nursing-care prescriptions. Harder records have more of them:
``easy`` is the hospitalisation report and the discharge summary with at most one of the
operative report and the lab results (2-3 documents); ``medium`` adds one or two of the operative
report, the lab results and a consultation letter (a tumour board synthesis in oncology), 3-4
documents; ``hard`` adds the operative report, a nurse note and a prescription, and at most one
of the lab results and the letter (5-6 documents).

Specialties and difficulties are stratified rather than drawn: any 6 consecutive records cover
the 6 specialties (in an order drawn from the seed), any 18 every (specialty, difficulty) pair,
so that per-specialty and per-difficulty scores rest on similar counts.

Record ``i`` of ``generate_records(n, seed, split)`` depends only on ``(seed, split, i)``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from datetime import date
from functools import cache
from typing import Any, Literal

from partages_bench.errors import UserError
from partages_bench.generator import identities as ids
from partages_bench.generator.clinical import (
    _ALLERGIES,
    COMORBIDITIES,
    LAB_TESTS,
    SPECIALTIES,
    ClinicalCase,
    Drug,
    LabResult,
    Marked,
    make_case,
)
from partages_bench.generator.documents import (
    _GENERIC_NURSING,
    _POSTOP_DRUGS,
    POOLS,
    TEMPLATES,
    Pool,
    Template,
    render_document,
)

Record = dict[str, Any]
Difficulty = Literal["easy", "medium", "hard"]

KEY_FACT_TYPES = ("diagnosis", "procedure", "lab", "allergy", "treatment", "follow_up")
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")

TITLES = {
    "hospitalisation_report": "Compte rendu d'hospitalisation",
    "consultation_letter": "Courrier de consultation",
    "prescription": "Ordonnance",
    "operative_report": "Compte rendu opératoire",
    "lab_header": "Résultats de biologie",
    "discharge_summary": "Lettre de liaison",
    "rcp_synthesis": "Synthèse de RCP",
    "nurse_note": "Transmissions infirmières",
}
# The Timeline events a document may be dated by, preferred first: a document is dated by the
# first one its template writes (a discharge letter "Le {date:report}" by the report's date).
_DATED_BY = {
    "lab_header": ("sample",),
    "operative_report": ("procedure",),
    "nurse_note": ("care",),
    "discharge_summary": ("report", "discharge"),
    "hospitalisation_report": ("report", "discharge"),
    "prescription": ("discharge", "report", "consultation"),
    "rcp_synthesis": ("rcp",),
    "consultation_letter": ("consultation",),
}
_CHRONOLOGY = tuple(_DATED_BY)  # order of documents of the same day

# Which template slot writes which fact (procedure: both of its slots in one template).
_WRITES = {
    "diagnosis": ("clin:diagnostic", "clin:de_diagnostic"),
    "lab": ("clin:biologie", "clin:biologie_tableau"),
    "allergy": ("clin:allergies",),
    "treatment": ("clin:traitement_sortie", "clin:ordonnance"),
    "follow_up": ("clin:suivi",),
    "appointment": ("date:next",),
}
_PROCEDURE_SLOTS = frozenset(("clin:procedure", "date:procedure"))

# Other names of an allergen a summary may use; the generator writes the key.
_ALLERGEN_ALIASES = {
    "anti-inflammatoires non stéroïdiens": ("AINS",),
    "produits de contraste iodés": ("produit de contraste iodé", "iode"),
}
# Every template writing date:next introduces it with one of these words.
_APPOINTMENT_WORDS = ("consultation", "rendez-vous", "RDV", "revu", "revue", "revoir", "reverrai")
_SECTIONS = (
    ("diagnosis", "Diagnostic principal"),
    ("procedure", "Geste réalisé"),
    ("lab", "Biologie"),
    ("allergy", "Allergies"),
    ("treatment", "Traitement de sortie"),
    ("follow_up", "Suivi"),
)


def generate_record(seed: int, split: Pool, index: int) -> Record:
    """Record ``index`` of a (seed, split) stream, from its own random generator."""
    if split not in ("dev", "test"):
        raise UserError(f"split must be 'dev' or 'test', not {split!r}")
    specialty, difficulty = _stratum(seed, split, index)
    rng = random.Random(f"record:{seed}:{split}:{index}")
    case = make_case(rng, specialty)
    doc_types = _doc_types(rng, specialty, difficulty)
    templates = [rng.choice(POOLS[split, doc_type]) for doc_type in doc_types]
    dated = sorted(
        ((_document_date(case, t), _CHRONOLOGY.index(t.doc_type), t) for t in templates),
        key=lambda item: item[:2],
    )
    documents = []
    for day, _, template in dated:
        note = render_document(case, template.doc_type, template.template_id, rng)
        documents.append(
            {
                "doc_type": template.doc_type,
                "template_id": template.template_id,
                "title": TITLES[template.doc_type],
                "date": day.isoformat(),
                "text": note["text"],
            }
        )
    key_facts = _key_facts(case, [template for _, _, template in dated])
    return {
        "id": f"rec-{split}-{seed}-{index:05d}",
        "specialty": specialty,
        "difficulty": difficulty,
        "documents": documents,
        "source": "\n\n".join(
            f"=== {document['title']} ({_slash(day)}) ===\n{document['text'].rstrip()}"
            for (day, _, _), document in zip(dated, documents, strict=True)
        ),
        "key_facts": key_facts,
        "reference": _reference(key_facts),
    }


def generate_records(n: int, seed: int, split: Pool) -> list[Record]:
    return [generate_record(seed, split, index) for index in range(n)]


@cache
def drug_lexicon() -> frozenset[str]:
    """Every drug name the generator can write, for checking a summary's drugs against it.

    Collected from the generator's own tables (conditions, comorbidities, allergies, templates,
    nursing and post-operative lines) rather than listed here, so that a drug added to the
    generator is in the lexicon without anyone remembering it.
    """
    tables = (
        SPECIALTIES,
        COMORBIDITIES,
        _ALLERGIES,
        _POSTOP_DRUGS,
        _GENERIC_NURSING,
        TEMPLATES,
    )
    return frozenset(_drug_names(tables))


def _drug_names(value: object) -> Iterator[str]:
    """Drug names in a nest of dataclasses, dicts and tuples: ``Drug`` objects and the
    ("name", "drug") segments of marked text."""
    if isinstance(value, Drug):
        yield value.name
    elif is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            yield from _drug_names(getattr(value, field.name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _drug_names(item)
    elif isinstance(value, tuple):
        if len(value) == 2 and value[1] == "drug" and isinstance(value[0], str):
            yield value[0]
        else:
            for item in value:
                yield from _drug_names(item)


def _stratum(seed: int, split: Pool, index: int) -> tuple[str, Difficulty]:
    """Specialty and difficulty of record ``index``: balanced over any 18 consecutive records,
    so that per-specialty and per-difficulty scores rest on similar counts."""
    order = random.Random(f"record-specialties:{seed}:{split}").sample(
        sorted(SPECIALTIES), len(SPECIALTIES)
    )
    return order[index % len(order)], DIFFICULTIES[(index + index // len(order)) % 3]


def _doc_types(rng: random.Random, specialty: str, difficulty: Difficulty) -> list[str]:
    """The hospitalisation report and discharge summary always (they state the diagnosis and
    the discharge treatment), then more documents and distractors with difficulty."""
    core = ["hospitalisation_report", "discharge_summary"]
    if difficulty == "easy":
        return core + rng.sample(("operative_report", "lab_header"), rng.randint(0, 1))
    # rcp_synthesis only in oncology: other cases have no tumour board proposal to show.
    letter = "rcp_synthesis" if specialty == "oncologie" else "consultation_letter"
    extras = ("operative_report", "lab_header", letter)
    if difficulty == "medium":
        return core + rng.sample(extras, rng.randint(1, 2))
    hard = ["operative_report", "nurse_note", "prescription"]
    return core + hard + rng.sample(("lab_header", letter), rng.randint(0, 1))


def _slots(template: Template) -> frozenset[str]:
    return frozenset(f"{key}:{spec}" for _, key, spec in template.parts if key is not None)


def _document_date(case: ClinicalCase, template: Template) -> date:
    events = _DATED_BY[template.doc_type]
    slots = _slots(template)
    event = next((e for e in events if f"date:{e}" in slots), events[0])
    return getattr(case.dates, event)


# -- key facts ----------------------------------------------------------------------------------


def _key_facts(case: ClinicalCase, templates: list[Template]) -> list[dict[str, Any]]:
    """The case's key facts that the record's templates write, in KEY_FACT_TYPES order, with
    ids numbered within their type ("treatment-2")."""
    per_template = [_slots(template) for template in templates]
    written = frozenset().union(*per_template)

    def writes(kind: str) -> bool:
        return any(slot in written for slot in _WRITES[kind])

    facts = case.facts
    found: list[tuple[str, str, list[list[str]]]] = []  # (type, text, forms)
    if writes("diagnosis"):
        name = _plain(facts.condition.name)
        found.append(("diagnosis", name, [[name]]))
    if any(slots >= _PROCEDURE_SLOTS for slots in per_template):
        name, day = _plain(facts.condition.procedure.name), case.dates.procedure
        found.append(("procedure", f"{name} le {_slash(day)}", [[name], _date_forms(day)]))
    if writes("lab"):
        own_tests = {LAB_TESTS[key] for key, _, _ in facts.condition.labs}
        for result in facts.labs:
            if result.flag and result.test in own_tests:
                found.append(("lab", *_lab_fact(result)))
    if writes("allergy"):
        for allergy in facts.allergies:
            text = _plain(allergy)
            allergen = text.split(" (", 1)[0]
            found.append(("allergy", text, [[allergen, *_ALLERGEN_ALIASES.get(allergen, ())]]))
    if writes("treatment"):
        for drug in facts.discharge_drugs:
            text = f"{drug.name} {drug.strength}, {drug.posology}"
            found.append(("treatment", text, [[drug.name], _quantity_forms(drug.strength)]))
    if writes("follow_up"):
        for item in facts.follow_up:
            # "Pesée quotidienne ; consulter si…" is two instructions, and a sentence break
            # for a scorer that looks for a fact within one sentence.
            for instruction in _plain(item).rstrip(".").split(";"):
                found.append(("follow_up", instruction.strip(), [[instruction.strip()]]))
    if writes("appointment"):
        day = case.dates.next
        text = f"consultation de suivi le {_slash(day)}"
        found.append(("follow_up", text, [list(_APPOINTMENT_WORDS), _date_forms(day)]))
    counts: dict[str, int] = {}
    key_facts = []
    for kind, text, forms in found:
        counts[kind] = counts.get(kind, 0) + 1
        key_facts.append(
            {"id": f"{kind}-{counts[kind]}", "type": kind, "text": text, "forms": forms}
        )
    return key_facts


def _lab_fact(result: LabResult) -> tuple[str, list[list[str]]]:
    test = result.test
    text = f"{test.name} à {result.value_text} (normale : {test.reference})"
    return text, [[test.name], _quantity_forms(result.value_text)]


def _plain(text: Marked) -> str:
    return "".join(piece for piece, _ in text)


def _slash(day: date) -> str:
    return ids.format_date(day, "slash")


def _date_forms(day: date) -> list[str]:
    """The day in every full-date format the renderer writes ("weekday" contains "long"),
    slash first, and "1 mars 2021" besides the generator's "1er mars 2021"."""
    styles = ("slash", "long", "dot", "iso", "short_year", "dash")
    forms = [ids.format_date(day, style) for style in styles]
    if day.day == 1:
        forms.append(forms[1].replace("1er ", "1 ", 1))
    return forms


def _quantity_forms(quantity: str) -> list[str]:
    """ "2,5 mg" as written first, then "2.5 mg", "2,5mg"…; "5432 pg/mL" also as "5 432 pg/mL",
    "µ" also as the Greek "μ", "nmol/24 h" also as "nmol/24h". A bare number ("7,28") has only
    number forms."""
    number, _, unit = quantity.partition(" ")
    numbers = [number, number.replace(",", ".")]
    if number.isdigit() and len(number) > 3:
        numbers.append(f"{int(number):,}".replace(",", " "))
    units = [unit, unit.replace("µ", "μ"), unit.replace(" ", "")]
    forms = [f"{n} {u}".rstrip() for n in numbers for u in units]
    forms += [f"{n}{u}" for n in numbers for u in units if u]
    return list(dict.fromkeys(forms))


def _reference(key_facts: list[dict[str, Any]]) -> str:
    """Fixed sections in KEY_FACT_TYPES order: one line for a single fact, a list for several."""
    lines = []
    for kind, heading in _SECTIONS:
        texts = [fact["text"] for fact in key_facts if fact["type"] == kind]
        if len(texts) == 1:
            lines.append(f"{heading} : {_sentence(texts[0])}")
        elif texts:
            lines.append(f"{heading} :")
            lines.extend(f"- {_sentence(text)}" for text in texts)
    return "\n".join(lines)


def _sentence(text: str) -> str:
    """A fact as written (no capital added: "pH", "HbA1c"), ended by a full stop."""
    return text + "."
