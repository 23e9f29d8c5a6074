"""French clinical documents rendered from a ClinicalCase, with exact PHI and keep spans.

Templates are French text with typed slots (``{patient:civ}``, ``{date:admission}``,
``{clin:biologie}``) and inline keep markup (``[drug:paracétamol]``), read with the words every
document may write (agreement, civilities, nursing and post-operative lines) from ``content/``
(``templates/<doc_type>.yaml``, ``documents.yaml``) and checked when this module is imported: a
misspelt slot is an error naming the file and the template. Rendering goes through one
``NoteBuilder`` that appends pieces and records each span as it writes it, so no template
computes an offset and ``text[start:end] == entity["text"]`` holds by construction.

Labelling decisions (the 13 labels of AP-HP's eds-pseudo):

- ``DATE`` is any absolute date: full dates in any format and month-year dates ("mars 2008",
  "03/2008", used for past history). Bare years, ages, durations and relative days ("J3") are
  never DATE: bare years are not generated at all so that no gold label depends on that
  convention, ages and durations are ``number`` keep spans.
- ``NOM``/``PRENOM`` cover every person (patient, relatives, doctors, nurses); a civility or title
  ("M.", "Dr") is outside the span; an initial ("J.", "M.-C.") is a PRENOM span with the first
  name's entity_id.
- ``ADRESSE`` is the street line only; ``ZIP`` and ``VILLE`` are separate spans. Cities and
  postcodes have value-based entity_ids (``ville:…``, ``zip:…``): the same place written twice is
  one entity whoever lives there. Everything else has a role-based id (``patient:nom``,
  ``proche:nom``, ``date:admission``), so a relative sharing the patient's surname is another
  entity.
- A prescriber's RPPS number is not PHI here: it is a public professional identifier (the
  national directory of health professionals publishes it), identifies no patient, and has no
  eds-pseudo label. It is a ``keep`` span of kind ``rpps``: replacing it is a utility loss.
- An eponym ("maladie de Parkinson", "signe de Murphy", "score de Glasgow-Blatchford") and a
  non-care institution cited as a reference ("Institut Pasteur", "Haute Autorité de Santé") are
  ``keep`` spans, not PHI; a care place is HOPITAL even when named after a person ("Hôpital
  Pasteur", "Hôpital Dupuytren") or called an institute ("Institut Curie").
- Hard-case tags are read off the spans after rendering (``NoteBuilder.hard_cases``), so a tag
  says what the note contains, not what a template meant to contain.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from itertools import pairwise
from typing import Any, Literal

from partages_bench.errors import UserError
from partages_bench.generator import identities as ids
from partages_bench.generator.clinical import (
    DRUG,
    MARKUP,
    POSSESSIVE,
    CareTeam,
    ClinicalCase,
    Drug,
    Marked,
    Timeline,
    marked,
    parse_drug,
)
from partages_bench.generator.contentfiles import at_least, content_error, load, one_of
from partages_bench.generator.identities import Address, City, Person

LABELS = (
    "NOM", "PRENOM", "DATE", "DATE_NAISSANCE", "ADRESSE", "VILLE", "ZIP", "TEL", "MAIL", "SECU",
    "IPP", "NDA", "HOPITAL",
)  # fmt: skip
DOC_TYPES = (
    "hospitalisation_report", "consultation_letter", "prescription", "operative_report",
    "lab_header", "discharge_summary", "rcp_synthesis", "nurse_note",
)  # fmt: skip
# What each hard-case tag means; every tag is read off the note's spans (NoteBuilder.hard_cases).
HARD_CASES = {
    "uppercase_names": "a first name written in capitals (the whole name is upper-case)",
    "inverted_names": "a surname directly followed by the same person's first name",
    "initials": "a first name reduced to its initial(s): 'J. Dupont', 'Dr M.-C. Leroy'",
    "relative_same_surname": "another person's NOM span has the text of the patient's surname",
    "eponym": "a person's name inside a disease, sign, score or device name (keep span)",
    "institution_reference": "a non-care institution cited as a reference (keep span)",
    "non_phi_numbers": "doses, lab values, ages or scores (keep spans)",
    "rpps": "a prescriber's RPPS number (keep span, not PHI)",
    "spaced_digits": "a phone or NIR written digit by digit: '0 6 1 2 3 4 5 6 7 8'",
    "control_note": "a note without any PHI",
}
Pool = Literal["dev", "test"]
Note = dict[str, Any]

_NUMERIC_KEEP = frozenset(("dose", "lab_value", "number"))
_DERIVED_HARD_CASES = ("eponym", "institution_reference", "rpps")
_SPACED_DIGITS = re.compile(r"\d(?: \d)+")


class NoteBuilder:
    """Appends text pieces and records spans as it goes: the only place offsets are computed."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.entities: list[dict[str, Any]] = []
        self.keep: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def phi(self, text: str, label: str, entity_id: str) -> None:
        start = self._length
        self.add(text)
        self.entities.append(
            {"start": start, "end": self._length, "label": label, "text": text,
             "entity_id": entity_id}
        )  # fmt: skip

    def keep_span(self, text: str, kind: str) -> None:
        start = self._length
        self.add(text)
        self.keep.append({"start": start, "end": self._length, "kind": kind})

    def marked(self, segments: Marked) -> None:
        for text, kind in segments:
            if kind is None:
                self.add(text)
            else:
                self.keep_span(text, kind)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def hard_cases(self) -> list[str]:
        """The hard cases this note shows, read off its spans (so tags cannot drift)."""
        found = {kind for kind in _DERIVED_HARD_CASES if any(k["kind"] == kind for k in self.keep)}
        if any(span["kind"] in _NUMERIC_KEEP for span in self.keep):
            found.add("non_phi_numbers")
        if not self.entities:
            found.add("control_note")
        patient_names = set()
        for entity in self.entities:
            label, text = entity["label"], entity["text"]
            if label == "PRENOM" and text.endswith("."):
                found.add("initials")
            elif label == "PRENOM" and text.isupper():
                found.add("uppercase_names")
            elif label in ("TEL", "SECU") and _SPACED_DIGITS.fullmatch(text):
                found.add("spaced_digits")
            elif label == "NOM" and entity["entity_id"].startswith("patient:"):
                patient_names.add(text.casefold())
        for first, second in pairwise(self.entities):
            if (
                (first["label"], second["label"]) == ("NOM", "PRENOM")
                and second["start"] == first["end"] + 1
                and _owner(first) == _owner(second)
            ):
                found.add("inverted_names")
        if any(
            entity["label"] == "NOM"
            and not entity["entity_id"].startswith("patient:")
            and entity["text"].casefold() in patient_names
            for entity in self.entities
        ):
            found.add("relative_same_surname")
        return [case for case in HARD_CASES if case in found]


def _owner(entity: dict[str, Any]) -> str:
    return entity["entity_id"].split(":", 1)[0]


_FORMATTER = string.Formatter()
Part = tuple[Marked, str | None, str]  # literal text, slot key (None at the end), slot spec


@dataclass(frozen=True)
class Template:
    """French text with typed slots; a dev template may be shown as a few-shot example, a test
    template is only ever evaluated."""

    template_id: str
    doc_type: str
    pool: Pool
    body: str
    control: bool = False  # a PHI-free note: no person, place, date or identifier slot
    parts: tuple[Part, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = tuple(
            (marked(literal), key, spec or "")
            for literal, key, spec, _ in _FORMATTER.parse(self.body)
        )
        object.__setattr__(self, "parts", parts)


_DOCUMENTS = load(
    "documents.yaml",
    {
        "agreement": {str: (str, str)},
        "civilities": {"M": [str], "F": [str]},
        "postop_drugs": [DRUG],
        "nursing": [MARKUP],
    },
)
# Grammatical agreement with the person's sex: (masculine, feminine).
_AGREEMENT = {spec: tuple(forms) for spec, forms in _DOCUMENTS["agreement"].items()}
_CIVILITIES = {sex: tuple(forms) for sex, forms in _DOCUMENTS["civilities"].items()}
_TEAM_ROLES = tuple(role.name for role in fields(CareTeam))
_ROLES = ("patient", "proche", "proche2", *_TEAM_ROLES)
_POSTOP_DRUGS = tuple(parse_drug(line) for line in _DOCUMENTS["postop_drugs"])
_GENERIC_NURSING = at_least(  # {clin:transmission} draws three
    tuple(marked(line) for line in _DOCUMENTS["nursing"]), 3, "documents.yaml", "nursing"
)


def _initial_of(first_name: str) -> str:
    """ "Jean" → "J.", "Marie-Christine" → "M.-C."."""
    return "-".join(f"{part[0]}." for part in first_name.split("-"))


def _in_sentence(name: str) -> str:
    """Lower-case an ordinary noun ("Protéine C réactive"), not an acronym ("HbA1c", "PSA")."""
    head = name.split(" ", 1)[0]
    return name[0].lower() + name[1:] if head[1:].islower() else name


def _de(text: Marked) -> str:
    """French elision of "de" before the text: "d'" before a vowel or a mute h."""
    return "d'" if ids.ascii_fold(text[0][0][:1]) in tuple("aeiouyh") else "de "


def _decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


class _Renderer:
    """One note being written: the case, the note's style draws and the builder."""

    def __init__(self, case: ClinicalCase, rng: random.Random) -> None:
        self.case, self.rng, self.b = case, rng, NoteBuilder()
        team = case.team
        self.people: dict[str, Person] = {
            "patient": case.patient.person,
            "proche": case.relatives[0].person,
            "proche2": case.relatives[1].person,
            **{role: getattr(team, role) for role in _TEAM_ROLES},
        }
        # One style per note, as one secretary or one software writes a whole document.
        self.all_caps = rng.random() < 0.12
        self.caps_surname = self.all_caps or rng.random() < 0.6
        self.inverted = rng.random() < 0.25
        self.caps_city = rng.random() < 0.4
        # Weights follow the order of DATE_STYLES and PHONE_STYLES: common formats first.
        self.date_style = rng.choices(ids.DATE_STYLES, (40, 10, 8, 10, 20, 6, 6))[0]
        self.phone_style = rng.choices(ids.PHONE_STYLES, (50, 15, 8, 7, 10, 5, 5))[0]
        self.bullet = rng.choice(("- ", "• ", "* "))

    # -- slots ----------------------------------------------------------------------------

    def render(self, template: Template) -> None:
        for literal, key, spec in template.parts:
            self.b.marked(literal)
            if key is None:
                continue
            if key in self.people:
                self._person(key, spec)
            else:
                _SLOTS[key](self, spec)

    def _person(self, role: str, spec: str) -> None:
        person = self.people[role]
        if spec in _AGREEMENT:
            self.b.add(_AGREEMENT[spec][person.sex == "F"])
        elif spec == "lien":
            self.b.add(POSSESSIVE[self.case.relatives[role == "proche2"].relation])
        else:
            _PERSON_SPECS[spec](self, role, person)

    def _surname(self, role: str, person: Person) -> None:
        text = person.surname.upper() if self.caps_surname else person.surname
        self.b.phi(text, "NOM", f"{role}:nom")

    def _first_name(self, role: str, person: Person) -> None:
        text = person.first_name.upper() if self.all_caps else person.first_name
        self.b.phi(text, "PRENOM", f"{role}:prenom")

    def _initial(self, role: str, person: Person) -> None:
        self.b.phi(_initial_of(person.first_name), "PRENOM", f"{role}:prenom")
        self.b.add(" ")
        self._surname(role, person)

    def _full(self, role: str, person: Person) -> None:
        if self.inverted:
            self._surname(role, person)
            self.b.add(" ")
            self._first_name(role, person)
        else:
            self._first_name(role, person)
            self.b.add(" ")
            self._surname(role, person)

    def _civility(self, role: str, person: Person) -> None:
        self.b.add(self.rng.choice(_CIVILITIES[person.sex]) + " ")
        self._surname(role, person)

    def _civility_full(self, role: str, person: Person) -> None:
        self.b.add(self.rng.choice(_CIVILITIES[person.sex]) + " ")
        self._full(role, person)

    def _doctor(self, role: str, person: Person) -> None:
        """ "Dr Jean LEROY", "Dr J. Leroy", "Pr LEROY", "Docteur Jean Leroy"…"""
        title = person.title or "Dr"
        if self.rng.random() < 0.1:
            title = "Docteur" if title == "Dr" else "Professeur"
        self.b.add(title + " ")
        form = self.rng.random()
        if form < 0.45:
            self._full(role, person)
        elif form < 0.8:
            self._initial(role, person)
        else:
            self._surname(role, person)

    def _phone(self, number: str, entity_id: str) -> None:
        style = self.phone_style
        if self.rng.random() < 0.15:
            style = self.rng.choice(ids.PHONE_STYLES)
        self.b.phi(ids.format_phone(number, style), "TEL", entity_id)

    def _person_phone(self, role: str, person: Person) -> None:
        self._phone(person.phone, f"{role}:tel")

    def _person_mail(self, role: str, person: Person) -> None:
        self.b.phi(person.email, "MAIL", f"{role}:mail")

    def _address(self, owner: str, address: Address, separator: str) -> None:
        city = address.city
        self.b.phi(address.street, "ADRESSE", f"{owner}:adresse")
        self.b.add(separator)
        self.b.phi(city.postcode, "ZIP", f"zip:{city.postcode}")
        self.b.add(" ")
        self._city(city)

    def _city(self, city: City) -> None:
        name = city.name.upper() if self.caps_city else city.name
        self.b.phi(name, "VILLE", f"ville:{city.department}:{ids.ascii_fold(city.name)}")

    def _person_address(self, role: str, person: Person) -> None:
        assert person.address is not None, f"{role} has no address"
        self._address(role, person.address, "\n")

    def _person_address_line(self, role: str, person: Person) -> None:
        assert person.address is not None, f"{role} has no address"
        self._address(role, person.address, ", ")

    def _rpps(self, role: str, person: Person) -> None:
        self.b.keep_span(person.rpps, "rpps")

    # Patient-only person specs.

    def _birth_date(self, role: str, person: Person) -> None:
        style = self.rng.choices(("slash", "dot", "long", "short_year"), (75, 8, 12, 5))[0]
        text = ids.format_date(self.case.patient.birth_date, style)
        self.b.phi(text, "DATE_NAISSANCE", "patient:ddn")

    def _born(self, role: str, person: Person) -> None:
        """ "née le 03/04/1956 à Marseille" (the place only for people born in France)."""
        self.b.add(("né", "née")[person.sex == "F"] + " le ")
        self._birth_date(role, person)
        if self.case.patient.birth_city is not None:
            self.b.add(" à ")
            self._city(self.case.patient.birth_city)

    def _age(self, role: str, person: Person) -> None:
        self.b.keep_span(f"{self.case.age} ans", "number")

    def _nir(self, role: str, person: Person) -> None:
        style = self.rng.choices(ids.NIR_STYLES, (45, 25, 20, 10))[0]
        self.b.phi(ids.format_nir(self.case.patient.nir, style), "SECU", "patient:secu")

    def _ipp(self, role: str, person: Person) -> None:
        self.b.phi(self.case.patient.ipp, "IPP", "patient:ipp")

    def _birth_surname(self, role: str, person: Person) -> None:
        name = self.case.patient.birth_surname
        entity_id = "patient:nom" if name == person.surname else "patient:nom_naissance"
        self.b.phi(name.upper() if self.caps_surname else name, "NOM", entity_id)

    # -- other slots ----------------------------------------------------------------------

    def _date(self, event: str) -> None:
        style = self.date_style
        if self.rng.random() < 0.2:
            style = self.rng.choice(ids.DATE_STYLES)
        self.b.phi(ids.format_date(getattr(self.case.dates, event), style), "DATE", f"date:{event}")

    def _hospital(self, spec: str) -> None:
        site = self.case.site
        if spec == "":
            self.b.phi(site.hospital.name, "HOPITAL", "hopital:nom")
        elif spec == "tel":
            self._phone(site.phone, "hopital:tel")
        elif spec == "ville":
            self._city(site.hospital.city)
        else:
            self._address("hopital", site.address, "\n" if spec == "adresse" else ", ")

    def _service(self, spec: str) -> None:
        site = self.case.site
        if spec == "":
            self.b.add(site.service)
        elif spec == "tel":
            self._phone(site.service_phone, "service:tel")
        else:
            self.b.phi(site.service_email, "MAIL", "service:mail")

    def _stay(self, spec: str) -> None:
        self.b.phi(self.case.nda, "NDA", "sejour:nda")

    def _clinical(self, spec: str) -> None:
        _CLINICAL[spec](self)

    # -- clinical sections ----------------------------------------------------------------

    def _sentences(self, items: tuple[Marked, ...], separator: str = " ") -> None:
        for index, item in enumerate(items):
            if index:
                self.b.add(separator)
            self.b.marked(item)

    def _lines(self, items: tuple[Marked, ...]) -> None:
        for index, item in enumerate(items):
            self.b.add(("\n" if index else "") + self.bullet)
            self.b.marked(item)

    def _drug(self, drug: Drug, posology: str = " : ") -> None:
        self.b.keep_span(drug.name, "drug")
        self.b.add(" ")
        self.b.keep_span(drug.strength, "dose")
        self.b.add(posology + drug.posology)

    def _drug_lines(self, drugs: tuple[Drug, ...], empty: str) -> None:
        if not drugs:
            self.b.add(self.bullet + empty)
        for index, drug in enumerate(drugs):
            self.b.add(("\n" if index else "") + self.bullet)
            self._drug(drug)

    def motif(self) -> None:
        self.b.marked(self.case.facts.condition.motif)

    def diagnostic(self) -> None:
        self.b.marked(self.case.facts.condition.name)

    def de_diagnostic(self) -> None:
        """ "d'insuffisance cardiaque…" or "de maladie de Crohn…", for "le diagnostic de"."""
        name = self.case.facts.condition.name
        self.b.add(_de(name))
        self.b.marked(name)

    def histoire(self) -> None:
        self._sentences(self.case.facts.symptoms)

    def examen(self) -> None:
        self._sentences(self.case.facts.findings)

    def imagerie(self) -> None:
        self._sentences(self.case.facts.imaging)

    def evolution(self) -> None:
        self._sentences(self.case.facts.course)

    def suivi(self) -> None:
        self._lines(self.case.facts.follow_up)

    def score(self) -> None:
        self.b.marked(self.case.facts.score)

    def reference(self) -> None:
        self.b.marked(self.case.facts.reference)

    def procedure(self) -> None:
        self.b.marked(self.case.facts.condition.procedure.name)

    def anesthesie(self) -> None:
        self.b.add(self.case.facts.condition.procedure.anaesthesia)

    def etapes(self) -> None:
        self._sentences(self.case.facts.condition.procedure.steps, "\n")

    def rcp(self) -> None:
        proposal = self.case.facts.rcp
        self.b.marked(proposal or marked("Surveillance clinique, biologique et radiologique."))

    def constantes(self) -> None:
        vitals = self.case.facts.vitals
        self.b.marked(
            marked(
                f"TA [number:{vitals.systolic}/{vitals.diastolic} mmHg], "
                f"FC [number:{vitals.heart_rate} bpm], SpO2 [number:{vitals.spo2} %], "
                f"température [number:{_decimal(vitals.temperature)} °C]."
            )
        )

    def poids(self) -> None:
        self.b.keep_span(f"{self.case.facts.vitals.weight} kg", "number")

    def biologie(self) -> None:
        for index, result in enumerate(self.case.facts.labs):
            self.b.add((", " if index else "") + _in_sentence(result.test.name) + " ")
            self.b.keep_span(result.value_text, "lab_value")
        self.b.add(".")

    def biologie_tableau(self) -> None:
        for index, result in enumerate(self.case.facts.labs):
            self.b.add(("\n" if index else "") + f"{result.test.name:<36}")
            self.b.keep_span(result.value_text, "lab_value")
            self.b.add(" " * max(1, 16 - len(result.value_text)) + "(")
            self.b.keep_span(result.test.reference, "number")
            self.b.add(")" + (f"  {result.flag}" if result.flag else ""))

    def antecedents(self) -> None:
        facts = self.case.facts
        items = [c.name for c in facts.comorbidities]
        for index, item in enumerate(items):
            self.b.add(("\n" if index else "") + self.bullet)
            self.b.marked(item)
        for index, past in enumerate(facts.surgeries):
            self.b.add(("\n" if items or index else "") + self.bullet)
            self.b.marked(past.event)
            self.b.add(" (")
            self._month(past.when, index)
            self.b.add(")")
        if not items and not facts.surgeries:
            self.b.add(self.bullet + "Pas d'antécédent notable.")

    def antecedents_ligne(self) -> None:
        facts = self.case.facts
        if not facts.comorbidities and not facts.surgeries:
            self.b.add("sans antécédent notable")
            return
        first = facts.comorbidities[0].name if facts.comorbidities else facts.surgeries[0].event
        self.b.add("aux antécédents " + _de(first))
        self._sentences(tuple(c.name for c in facts.comorbidities), ", ")
        for index, past in enumerate(facts.surgeries):
            self.b.add(", " if facts.comorbidities or index else "")
            self.b.marked(past.event)
            self.b.add(" en ")
            self._month(past.when, index)

    def _month(self, when: date, index: int) -> None:
        style = self.rng.choice(ids.MONTH_STYLES)
        self.b.phi(ids.format_date(when, style), "DATE", f"date:atcd{index}")

    def allergies(self) -> None:
        allergies = self.case.facts.allergies
        if not allergies:
            self.b.add(self.rng.choice(("Pas d'allergie connue.", "Allergies : aucune connue.")))
            return
        self.b.add("Allergies : ")
        self._sentences(allergies, ", ")
        self.b.add(".")

    def traitement_habituel(self) -> None:
        self._drug_lines(self.case.facts.home_drugs, "Aucun traitement au long cours.")

    def traitement_sortie(self) -> None:
        self._drug_lines(self.case.facts.discharge_drugs, "Pas de traitement.")

    def _prescription(self, drugs: tuple[Drug, ...]) -> None:
        for index, drug in enumerate(drugs):
            self.b.add(f"{index + 1}) " if not index else f"\n\n{index + 1}) ")
            self._drug(drug, "\n   ")
        self.b.add("\n\nQSP " + self.rng.choice(("1 mois", "3 mois", "6 mois")) + ".")

    def ordonnance(self) -> None:
        self._prescription(self.case.facts.discharge_drugs)

    def ordonnance_ald(self) -> None:
        """Only the drugs of the stay's condition: the upper part of a bizone prescription."""
        self._prescription(self.case.facts.condition.drugs)

    def postop(self) -> None:
        self._drug_lines(_POSTOP_DRUGS, "")

    def transmission(self) -> None:
        """Three generic observations and one specific to the specialty."""
        chosen = sorted(self.rng.sample(range(len(_GENERIC_NURSING)), 3))
        self._sentences((*(_GENERIC_NURSING[i] for i in chosen), self.case.facts.nursing))


_PERSON_SPECS: dict[str, Callable[[_Renderer, str, Person], None]] = {
    "": _Renderer._full,
    "full": _Renderer._full,
    "nom": _Renderer._surname,
    "prenom": _Renderer._first_name,
    "initial": _Renderer._initial,
    "civ": _Renderer._civility,
    "civfull": _Renderer._civility_full,
    "dr": _Renderer._doctor,
    "tel": _Renderer._person_phone,
    "mail": _Renderer._person_mail,
    "adresse": _Renderer._person_address,
    "adresse_ligne": _Renderer._person_address_line,
    "rpps": _Renderer._rpps,
    "ddn": _Renderer._birth_date,
    "ne_le": _Renderer._born,
    "age": _Renderer._age,
    "secu": _Renderer._nir,
    "ipp": _Renderer._ipp,
    "nom_naissance": _Renderer._birth_surname,
}
_SLOTS: dict[str, Callable[[_Renderer, str], None]] = {
    "date": _Renderer._date,
    "hopital": _Renderer._hospital,
    "service": _Renderer._service,
    "sejour": _Renderer._stay,
    "clin": _Renderer._clinical,
}
_CLINICAL: dict[str, Callable[[_Renderer], None]] = {
    name: getattr(_Renderer, name)
    for name in (
        "motif", "diagnostic", "de_diagnostic", "histoire", "examen", "imagerie", "evolution",
        "suivi", "score", "reference", "procedure", "anesthesie", "etapes", "rcp", "constantes",
        "poids",
        "biologie", "biologie_tableau", "antecedents", "antecedents_ligne", "allergies",
        "traitement_habituel", "traitement_sortie", "ordonnance", "ordonnance_ald", "postop",
        "transmission",
    )
}  # fmt: skip


# -- templates --------------------------------------------------------------------------------
# One file a document type, content/templates/<doc_type>.yaml. Slots: a person role (patient,
# proche, proche2, senior, interne, chirurgien, anesthesiste, ide, medecin_traitant, oncologue,
# radiologue, pathologiste, radiotherapeute, biologiste) with a spec from _PERSON_SPECS or
# _AGREEMENT or "lien"; {date:<Timeline field>}; {hopital[:tel|:ville|:adresse|:adresse_ligne]};
# {service[:tel|:mail]}; {sejour:nda}; {clin:<_CLINICAL name>}. Template ids are stable: a gold
# file records them, and the dev/test pools never share one. ``_check`` refuses a misspelt slot.

_TEMPLATE_SCHEMA = [{"id": str, "pool": one_of("dev", "test"), "control?": bool, "body": MARKUP}]


_EVENTS = frozenset(event.name for event in fields(Timeline))
_SLOT_SPECS = {
    "hopital": frozenset(("", "tel", "ville", "adresse", "adresse_ligne")),
    "service": frozenset(("", "tel", "mail")),
    "sejour": frozenset(("nda",)),
    "date": _EVENTS,
    "clin": frozenset(_CLINICAL),
}
_PATIENT_SPECS = frozenset(("ddn", "ne_le", "age", "secu", "ipp", "nom_naissance"))
# Past-history dates make these two sections PHI; every other clinical section is PHI-free.
_CONTROL_SLOTS = {
    "service": frozenset(("",)),
    "clin": frozenset(_CLINICAL) - {"antecedents", "antecedents_ligne"},
}


def _check(template: Template, name: str) -> None:
    """Refuse a misspelt slot, or a control template with a PHI slot (``name``: its file)."""
    for _, key, spec in template.parts:
        if key is None:
            continue
        if template.control:
            known = spec in _CONTROL_SLOTS.get(key, ())
        elif key in _ROLES:
            lien = spec == "lien" and key.startswith("proche")
            mine = key == "patient" or spec not in _PATIENT_SPECS
            known = mine and (spec in _PERSON_SPECS or spec in _AGREEMENT or lien)
        else:
            known = spec in _SLOT_SPECS.get(key, ())
        if not known:
            kind = "slot of a control template" if template.control else "slot"
            raise content_error(name, template.template_id, f"unknown {kind} {{{key}:{spec}}}")


def _load_templates() -> dict[str, Template]:
    """Every template by id, document type by document type (DOC_TYPES order)."""
    templates: dict[str, Template] = {}
    for doc_type in DOC_TYPES:
        name = f"templates/{doc_type}.yaml"
        for index, entry in enumerate(load(name, _TEMPLATE_SCHEMA)):
            try:
                template = Template(
                    entry["id"], doc_type, entry["pool"], entry["body"], entry.get("control", False)
                )
            except ValueError as exc:  # a lone "{" or "}" (str.Formatter)
                raise content_error(name, f"[{index}].body", str(exc)) from None
            _check(template, name)
            if template.template_id in templates:
                raise content_error(name, template.template_id, "a template id used twice")
            templates[template.template_id] = template
    return templates


TEMPLATES = _load_templates()
POOLS: dict[tuple[Pool, str], tuple[Template, ...]] = {
    (pool, doc_type): tuple(
        t for t in TEMPLATES.values() if (t.pool, t.doc_type, t.control) == (pool, doc_type, False)
    )
    for pool in ("dev", "test")
    for doc_type in DOC_TYPES
}
CONTROL_TEMPLATES: dict[Pool, tuple[Template, ...]] = {
    pool: tuple(t for t in TEMPLATES.values() if t.control and t.pool == pool)
    for pool in ("dev", "test")
}


def _check_content() -> None:
    """An agreement spec must not hide a person spec, and no pool may be empty (notes and
    records draw from each)."""
    for spec in _AGREEMENT:
        if spec in _PERSON_SPECS or spec == "lien":
            problem = f"{spec!r} is a person spec ({{patient:{spec}}}): choose another name"
            raise content_error("documents.yaml", f"agreement.{spec}", problem)
    for (pool, doc_type), templates in POOLS.items():
        if not templates:
            raise content_error(f"templates/{doc_type}.yaml", "", f"no {pool} template")
    for pool, templates in CONTROL_TEMPLATES.items():
        if not templates:
            raise content_error("templates", "", f"no control template in the {pool} pool")


_check_content()


def render_template(case: ClinicalCase, template: Template, rng: random.Random) -> Note:
    """One note (without its note_id): text, spans, and what it is made of."""
    renderer = _Renderer(case, rng)
    renderer.render(template)
    builder = renderer.b
    return {
        "text": builder.text,
        "entities": builder.entities,
        "keep": builder.keep,
        "doc_type": template.doc_type,
        "template_id": template.template_id,
        "split": template.pool,
        "hard_cases": builder.hard_cases(),
    }


def render_document(
    case: ClinicalCase, doc_type: str, template: str | None, rng: random.Random
) -> Note:
    """Render one document of a case: ``template`` is a template id, or None for any
    non-control template of ``doc_type`` (several documents of one case for summarisation)."""
    if template is not None:
        chosen = TEMPLATES.get(template)
        if chosen is None or chosen.doc_type != doc_type:
            raise UserError(f"no template {template!r} for document type {doc_type!r}")
        return render_template(case, chosen, rng)
    if doc_type not in DOC_TYPES:
        raise UserError(f"unknown document type {doc_type!r}; known: {', '.join(DOC_TYPES)}")
    return render_template(case, rng.choice(POOLS["dev", doc_type] + POOLS["test", doc_type]), rng)
