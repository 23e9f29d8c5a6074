"""French clinical documents rendered from a ClinicalCase, with exact PHI and keep spans.

Templates are French text with typed slots (``{patient:civ}``, ``{date:admission}``,
``{clin:biologie}``) and inline keep markup (``[drug:paracétamol]``). Rendering goes through one
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
    POSSESSIVE,
    CareTeam,
    ClinicalCase,
    Drug,
    Marked,
    Timeline,
    marked,
)
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


# Grammatical agreement with the person's sex: (masculine, feminine).
_AGREEMENT = {
    "e": ("", "e"),
    "il": ("il", "elle"),
    "Il": ("Il", "Elle"),
    "le": ("le", "la"),
    "Le": ("Le patient", "La patiente"),
    "patient": ("patient", "patiente"),
    "civilite": ("Monsieur", "Madame"),
    "confrere": ("Cher confrère", "Chère consœur"),
}
_CIVILITIES = {"M": ("M.", "M.", "Monsieur", "Mr"), "F": ("Mme", "Mme", "Madame")}
_TEAM_ROLES = tuple(role.name for role in fields(CareTeam))
_ROLES = ("patient", "proche", "proche2", *_TEAM_ROLES)
_POSTOP_DRUGS = (
    Drug("paracétamol", "1 g", "1 comprimé toutes les 6 heures si douleur"),
    Drug("néfopam", "20 mg", "1 ampoule sur un sucre jusqu'à 4 fois par jour si besoin"),
    Drug("énoxaparine", "4000 UI", "1 injection sous-cutanée par jour pendant 10 jours"),
    Drug("ondansétron", "4 mg", "1 comprimé si nausées, jusqu'à 2 fois par jour"),
)
_GENERIC_NURSING = tuple(
    marked(line)
    for line in (
        "Constantes stables.",
        "Douleur évaluée à [number:3/10] sur l'EVA, [drug:paracétamol] [dose:1 g] administré "
        "à 14 h avec bon effet.",
        "Douleur évaluée à [number:5/10], [drug:tramadol] [dose:50 mg] donné selon la "
        "prescription, réévaluée à [number:2/10] une heure après.",
        "Repas pris en totalité.",
        "Mange peu, a refusé le plateau de midi.",
        "Lever au fauteuil avec l'aide d'une personne.",
        "Marche dans le couloir sans aide.",
        "Voie veineuse périphérique au bras gauche, site propre.",
        "Toilette faite au lavabo avec aide partielle.",
        "Nuit agitée, réveils fréquents.",
    )
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
# Slots: a person role (patient, proche, proche2, senior, interne, chirurgien, anesthesiste, ide,
# medecin_traitant, oncologue, radiologue, pathologiste, radiotherapeute, biologiste) with a
# spec from _PERSON_SPECS or _AGREEMENT or "lien"; {date:<Timeline field>}; {hopital[:tel|:ville|
# :adresse|:adresse_ligne]}; {service[:tel|:mail]}; {sejour:nda}; {clin:<_CLINICAL name>}.
# Template ids are stable: a gold file records them, and the dev/test pools never share one.

_HOSPITALISATION_REPORTS = (
    Template(
        "crh_1",
        "hospitalisation_report",
        "dev",
        """\
{hopital}
{service}
{hopital:adresse}
Secrétariat : {service:tel}

COMPTE RENDU D'HOSPITALISATION

Patient{patient:e} : {patient:full}, {patient:ne_le}
IPP : {patient:ipp}    NDA : {sejour:nda}
Hospitalisation du {date:admission} au {date:discharge}
Médecin traitant : {medecin_traitant:dr}, {medecin_traitant:adresse_ligne}

Motif d'hospitalisation : {clin:motif}.

Antécédents :
{clin:antecedents}
{clin:allergies}

Traitement habituel :
{clin:traitement_habituel}

Histoire de la maladie :
{patient:civ}, {patient:age}, est adressé{patient:e} par son médecin traitant. {clin:histoire}

Examen clinique à l'entrée :
{clin:constantes}
{clin:examen}

Examens complémentaires :
Biologie : {clin:biologie}
{clin:imagerie}

Évolution dans le service :
{clin:evolution}
Geste réalisé le {date:procedure} : {clin:procedure}.

Diagnostic retenu : {clin:diagnostic}

Traitement de sortie :
{clin:traitement_sortie}

Suites :
{clin:suivi}
Consultation de suivi le {date:next} avec le {senior:dr}.

{senior:dr}
{senior:mail}

Copie à : {medecin_traitant:dr} ; {patient:civ}
""",
    ),
    Template(
        "crh_2",
        "hospitalisation_report",
        "dev",
        """\
{hopital} — {service}
{hopital:adresse_ligne}
Standard : {hopital:tel}

Compte rendu d'hospitalisation du {date:admission} au {date:discharge}

NOM : {patient:nom}    Prénom : {patient:prenom}
Date de naissance : {patient:ddn}    IPP : {patient:ipp}
Adresse : {patient:adresse_ligne}
Médecin responsable : {senior:dr} — Interne : {interne:dr}

{patient:Le}, {patient:age}, {clin:antecedents_ligne}, a été hospitalisé{patient:e} pour \
{clin:motif}.

HISTOIRE
{clin:histoire}

EXAMEN D'ENTRÉE
{clin:constantes} {clin:examen}
Évaluation : {clin:score}.

PARACLINIQUE
Bilan biologique : {clin:biologie}
{clin:imagerie}

ÉVOLUTION
{clin:evolution}

CONCLUSION : {clin:diagnostic}.

TRAITEMENT DE SORTIE
{clin:traitement_sortie}

{senior:dr}, {service}
""",
    ),
    Template(
        "crh_3",
        "hospitalisation_report",
        "test",
        """\
{hopital}
Pôle de médecine — {service}
Tél. : {service:tel}    Standard : {hopital:tel}

Le {date:report}

COMPTE RENDU D'HOSPITALISATION

Identité : {patient:civfull}, {patient:ne_le}
N° séjour : {sejour:nda}    IPP : {patient:ipp}
Personne de confiance : {proche:full} ({proche:lien}), tél. {proche:tel}

Mode d'entrée : par les urgences le {date:admission}.
Sortie le {date:discharge} vers le domicile.

Motif : {clin:motif}

Antécédents médicaux et chirurgicaux :
{clin:antecedents}

{clin:allergies}

Histoire de la maladie : {clin:histoire}

À l'admission : {clin:constantes} {clin:examen}

Bilan : {clin:biologie}
{clin:imagerie}
Score : {clin:score}.

Au total : {clin:diagnostic}.

Évolution : {clin:evolution} {clin:reference}

Traitement à la sortie :
{clin:traitement_sortie}

Rendez-vous :
{clin:suivi}
Consultation avec le {senior:dr} le {date:next}.

Dr {interne:nom}, interne — {senior:dr}, praticien hospitalier
Copie : {medecin_traitant:dr}, {medecin_traitant:adresse_ligne}
""",
    ),
    Template(
        "crh_4",
        "hospitalisation_report",
        "test",
        """\
{service} — {hopital}
Chef de service : {senior:dr}
Secrétariat : {service:tel} — {service:mail}

{hopital:ville}, le {date:report}

Objet : hospitalisation de {patient:civfull} ({patient:ne_le}) du {date:admission} au \
{date:discharge}
Réf. : IPP {patient:ipp} / séjour {sejour:nda}

{patient:civ}, {patient:age}, {clin:antecedents_ligne}, a été admis{patient:e} dans le service \
pour {clin:motif}. {clin:histoire}

À l'examen : {clin:examen} {clin:constantes}
Le bilan biologique retrouvait : {clin:biologie}
{clin:imagerie}

Le diagnostic {clin:de_diagnostic} a été retenu. {clin:evolution}
Un geste a été réalisé le {date:procedure} : {clin:procedure}.

{clin:allergies}
Ordonnance de sortie :
{clin:traitement_sortie}

Suivi proposé :
{clin:suivi}

{patient:Il} est sorti{patient:e} le {date:discharge}, accompagné{patient:e} de {proche:lien}, \
{proche:civfull}.

{interne:dr}, interne
{senior:dr}
""",
    ),
    Template(
        "crh_5",
        "hospitalisation_report",
        "test",
        """\
{hopital}
{hopital:adresse}
{service}

=== COMPTE RENDU D'HOSPITALISATION ===

Nom de naissance : {patient:nom_naissance}
Nom d'usage : {patient:nom}
Prénom : {patient:prenom}
Date de naissance : {patient:ddn} ({patient:age})
N° de sécurité sociale : {patient:secu}
IPP : {patient:ipp}     Venue : {sejour:nda}
Domicile : {patient:adresse}
Tél. : {patient:tel}
Médecin traitant : {medecin_traitant:dr}

Entrée : {date:admission}     Sortie : {date:discharge}

DIAGNOSTIC PRINCIPAL : {clin:diagnostic}

ANTÉCÉDENTS
{clin:antecedents}
TRAITEMENT À L'ENTRÉE
{clin:traitement_habituel}
{clin:allergies}

HISTOIRE DE LA MALADIE
{clin:histoire}

EXAMEN CLINIQUE
{clin:constantes}
{clin:examen}

RÉSULTATS
{clin:biologie_tableau}

{clin:imagerie}

ÉVOLUTION
{clin:evolution}

TRAITEMENT DE SORTIE
{clin:traitement_sortie}

SUIVI
{clin:suivi}

Compte rendu validé le {date:report} par {senior:dr}.
Destinataires : {medecin_traitant:dr} ; {patient:civ} ; dossier.
""",
    ),
)

_CONSULTATION_LETTERS = (
    Template(
        "cs_1",
        "consultation_letter",
        "dev",
        """\
{hopital}
{service}
Consultation du {senior:dr}
Secrétariat : {service:tel} — {service:mail}

{hopital:ville}, le {date:consultation}

{medecin_traitant:dr}
{medecin_traitant:adresse}

{medecin_traitant:confrere},

J'ai revu en consultation ce jour {patient:civfull}, {patient:age}, pour le suivi \
{clin:de_diagnostic}, après une hospitalisation dans notre service du {date:admission} au \
{date:discharge}.

{clin:evolution}

Examen clinique : {clin:constantes} {clin:examen}

Le traitement actuel est le suivant :
{clin:traitement_sortie}

Je propose :
{clin:suivi}

Je reverrai {patient:civ} le {date:next}.

Bien confraternellement,

{senior:dr}
""",
    ),
    Template(
        "cs_2",
        "consultation_letter",
        "dev",
        """\
{senior:dr}
{service} — {hopital}
{hopital:adresse}
RPPS : {senior:rpps}

Le {date:consultation}

Objet : {patient:full}, {patient:ne_le}

{medecin_traitant:confrere},

Merci de m'avoir adressé {patient:civfull}, {patient:age}, {clin:antecedents_ligne}, pour \
{clin:motif}.

Histoire : {clin:histoire}
Examen : {clin:examen}
Évaluation : {clin:score}.
Examens complémentaires : {clin:imagerie}

Conclusion : {clin:diagnostic}.

Conduite à tenir :
{clin:suivi}

{clin:allergies}

Je reste à votre disposition.
Bien confraternellement.

{senior:dr}
Copie : {patient:civ}, {patient:adresse_ligne}
""",
    ),
    Template(
        "cs_3",
        "consultation_letter",
        "test",
        """\
COMPTE RENDU DE CONSULTATION
{hopital} — {service}

Date : {date:consultation}
Médecin : {senior:dr}
Patient{patient:e} : {patient:nom} {patient:prenom} — DDN : {patient:ddn} — IPP : {patient:ipp}
Accompagné{patient:e} de {proche:lien} ({proche:civfull}).

Motif : suivi après hospitalisation pour {clin:motif}.

Antécédents :
{clin:antecedents}

Examen : {clin:constantes} {clin:examen}
Biologie du {date:sample} : {clin:biologie}

Conclusion : {clin:diagnostic}. {clin:evolution}

Plan :
{clin:suivi}
Prochain rendez-vous : {date:next}.

{senior:dr} — {senior:mail}
""",
    ),
    Template(
        "cs_4",
        "consultation_letter",
        "test",
        """\
{service}
{hopital}
{hopital:adresse_ligne}
Tél. : {service:tel}

{medecin_traitant:dr}
{medecin_traitant:adresse}
Tél. : {medecin_traitant:tel}
MSSanté : {medecin_traitant:mail}

{hopital:ville}, le {date:consultation}

{medecin_traitant:confrere},

Je vous remercie de m'avoir adressé {patient:civfull} ({patient:ne_le}), que j'ai vu{patient:e} \
en consultation pour {clin:motif}.

{patient:civ}, {patient:age}, {clin:antecedents_ligne}, rapporte les éléments suivants : \
{clin:histoire}

Examen : {clin:examen} {clin:constantes}
Bilan : {clin:imagerie}

Au terme de ce bilan, le diagnostic {clin:de_diagnostic} est retenu.

Je propose le traitement suivant :
{clin:traitement_sortie}

Suivi :
{clin:suivi}

Je vous prie de croire, {medecin_traitant:confrere}, en l'assurance de mes sentiments \
confraternels.

{senior:dr}
""",
    ),
    Template(
        "cs_5",
        "consultation_letter",
        "test",
        """\
De : {senior:dr}, {service}, {hopital}
À : {medecin_traitant:dr}
Date : {date:consultation}
Concerne : {patient:nom} {patient:prenom}, {patient:ne_le}, IPP {patient:ipp}

{medecin_traitant:confrere},

Voici le bilan de consultation de votre {patient:patient}, {patient:civfull}.

Diagnostic : {clin:diagnostic}
Score : {clin:score}
Dernier bilan ({date:sample}) : {clin:biologie}
Traitement en cours :
{clin:traitement_sortie}
{clin:reference}

À revoir le {date:next}. N'hésitez pas à me joindre au {service:tel}.

Confraternellement,
{senior:dr}
""",
    ),
)

_PRESCRIPTIONS = (
    Template(
        "ord_1",
        "prescription",
        "dev",
        """\
{hopital}
{service}
{hopital:adresse}
Tél. : {service:tel}

{senior:dr}
N° RPPS : {senior:rpps}

ORDONNANCE

{hopital:ville}, le {date:discharge}

{patient:civfull}
{patient:age} — Poids : {clin:poids}

{clin:ordonnance}

{senior:dr}
""",
    ),
    Template(
        "ord_2",
        "prescription",
        "dev",
        """\
{hopital} — {service}
{senior:dr} — RPPS {senior:rpps}
Tél. : {service:tel}

ORDONNANCE BIZONE
Patient{patient:e} : {patient:full} — Né{patient:e} le {patient:ddn}
N° d'immatriculation : {patient:secu}

Prescriptions relatives au traitement de l'affection de longue durée reconnue :
{clin:ordonnance_ald}

Prescriptions sans rapport avec l'affection de longue durée :
{clin:traitement_habituel}

Le {date:discharge}
""",
    ),
    Template(
        "ord_3",
        "prescription",
        "test",
        """\
{medecin_traitant:dr}
Médecine générale
{medecin_traitant:adresse}
Tél. : {medecin_traitant:tel}
RPPS : {medecin_traitant:rpps}

Le {date:consultation}

{patient:civfull}, {patient:age}

Renouvellement du traitement après l'hospitalisation du {date:admission} ({hopital}) :

{clin:ordonnance}
""",
    ),
    Template(
        "ord_4",
        "prescription",
        "test",
        """\
{hopital}
{service}
Prescripteur : {interne:dr}, interne, pour le {senior:dr} (RPPS {senior:rpps})

ORDONNANCE DE SOINS INFIRMIERS À DOMICILE

Le {date:discharge}
Patient{patient:e} : {patient:civfull}
Adresse : {patient:adresse_ligne}
Tél. : {patient:tel}

Faire pratiquer par un infirmier diplômé d'État à domicile, dimanches et jours fériés compris, \
pendant [number:15 jours] :
- surveillance des constantes et de la douleur ;
- injection sous-cutanée d'[drug:énoxaparine] [dose:4000 UI] une fois par jour ;
- réfection du pansement tous les [number:2 jours] ;
- bilan sanguin (NFS, plaquettes, ionogramme) à [number:J7].
""",
    ),
    Template(
        "ord_5",
        "prescription",
        "test",
        """\
{hopital} — {service}
{senior:dr}
RPPS : {senior:rpps}
{hopital:adresse_ligne}

Le {date:report}

ORDONNANCE D'EXAMENS BIOLOGIQUES
{patient:nom} {patient:prenom}
Né{patient:e} le {patient:ddn}
Sécurité sociale : {patient:secu}

Faire pratiquer au laboratoire de votre choix, à [number:1 semaine] puis à [number:1 mois] :
- NFS, plaquettes
- ionogramme sanguin, créatininémie
- CRP

Résultats à adresser au {senior:dr} ({senior:mail}) et au {medecin_traitant:dr}.
""",
    ),
    Template(
        "ord_ctrl_1",
        "prescription",
        "dev",
        control=True,
        body="""\
PROTOCOLE THÉRAPEUTIQUE — {service}
Indication : {clin:diagnostic}

Traitement de référence :
{clin:ordonnance_ald}

Analgésie post-opératoire :
Palier 1 : [drug:paracétamol] [dose:1 g] toutes les [number:6 heures] (maximum [dose:4 g] par \
24 heures, [dose:3 g] si le poids est inférieur à [number:50 kg]).
Palier 2 : [drug:néfopam] [dose:20 mg] en perfusion de [number:30 minutes], jusqu'à \
[number:4] fois par jour.
Si EVA supérieure à [number:4] malgré le palier 2 : titration de [drug:morphine] [dose:2 mg] IV \
toutes les [number:5 minutes] jusqu'à EVA inférieure ou égale à [number:3].
Antidote : [drug:naloxone] [dose:0,4 mg] diluée dans [number:10 mL].

Protocole validé par le comité du médicament.
""",
    ),
    Template(
        "ord_ctrl_2",
        "prescription",
        "test",
        control=True,
        body="""\
CONSIGNES DE SORTIE — {service}
Pathologie : {clin:diagnostic}

Traitement :
{clin:traitement_sortie}

Surveillance :
{clin:suivi}

Consulter en urgence en cas de fièvre supérieure à [number:38,5 °C], de douleur thoracique ou \
d'essoufflement.
En cas d'hypoglycémie (glycémie capillaire inférieure à [lab_value:0,70 g/L]) : [number:15 g] \
de sucre, contrôle à [number:15 minutes].
""",
    ),
)

_OPERATIVE_REPORTS = (
    Template(
        "cro_1",
        "operative_report",
        "dev",
        """\
{hopital}
Bloc opératoire — {service}

COMPTE RENDU OPÉRATOIRE

Patient{patient:e} : {patient:full}    Né{patient:e} le {patient:ddn}
IPP : {patient:ipp}    Séjour : {sejour:nda}
Date de l'intervention : {date:procedure}
Opérateur : {chirurgien:dr}
Aide : {interne:dr}
Anesthésiste : {anesthesiste:dr}
Type d'anesthésie : {clin:anesthesie}

Indication : {clin:diagnostic}.
Intervention : {clin:procedure}.

Description :
{clin:etapes}

Prescriptions post-opératoires :
{clin:postop}

{chirurgien:dr}
""",
    ),
    Template(
        "cro_2",
        "operative_report",
        "dev",
        """\
{hopital} — {service}
Compte rendu de geste du {date:procedure}

{patient:civfull}, {patient:age}
IPP {patient:ipp}

Geste : {clin:procedure}
Opérateur : {chirurgien:dr} ; aide : {interne:dr}
Anesthésie : {clin:anesthesie} ({anesthesiste:dr})
Indication : {clin:diagnostic}.

Déroulement :
{clin:etapes}
Pas d'incident peropératoire.

Suites : surveillance en salle de réveil puis retour dans le service.
Compte rendu dicté par {chirurgien:dr} le {date:procedure}.
""",
    ),
    Template(
        "cro_3",
        "operative_report",
        "test",
        """\
COMPTE RENDU OPÉRATOIRE
{hopital}
{hopital:adresse_ligne}

Nom : {patient:nom}   Prénom : {patient:prenom}   DDN : {patient:ddn}
NDA : {sejour:nda}

Date : {date:procedure}
Chirurgien : {chirurgien:dr} ({chirurgien:mail})
Anesthésie : {clin:anesthesie}, par {anesthesiste:dr}
{clin:allergies}

Diagnostic préopératoire : {clin:diagnostic}
Acte : {clin:procedure}

Installation et déroulement :
{clin:etapes}

Décompte des compresses et des instruments vérifié, conforme.
Consignes post-opératoires :
{clin:postop}
Contrôle en consultation le {date:consultation}.
""",
    ),
    Template(
        "cro_4",
        "operative_report",
        "test",
        """\
{service} — {hopital}
Chef de service : {senior:dr}

Le {date:procedure}, {patient:civ} ({patient:age}, IPP {patient:ipp}) a bénéficié d'une \
{clin:procedure} sous {clin:anesthesie}.
Opérateur : {chirurgien:dr}. Anesthésiste : {anesthesiste:dr}.
Indication : {clin:diagnostic} ({clin:score}).

{clin:etapes}

Les suites immédiates sont simples. {patient:Le} regagne le service.

Traitement post-opératoire :
{clin:postop}

{chirurgien:dr}
Copie : {medecin_traitant:dr}
""",
    ),
    Template(
        "cro_5",
        "operative_report",
        "test",
        """\
CRO — {hopital} — {service}
{date:procedure}

Opéré{patient:e} : {patient:full}, {patient:ne_le}
Personne à prévenir : {proche:civfull} ({proche:lien}) — {proche:tel}
Équipe : {chirurgien:dr} (opérateur), {interne:dr} (aide), {anesthesiste:dr} (anesthésie), \
{ide:full} (IBODE)
Anesthésie : {clin:anesthesie}
Intervention : {clin:procedure}

Temps opératoires :
{clin:etapes}
Fermeture, pansement sec.

Surveillance post-opératoire habituelle. {clin:allergies}
""",
    ),
)

_LAB_HEADERS = (
    Template(
        "bio_1",
        "lab_header",
        "dev",
        """\
{hopital}
Laboratoire de Biologie Médicale
{hopital:adresse}
Tél. : {hopital:tel}
Biologiste responsable : {biologiste:dr}

COMPTE RENDU D'ANALYSES

Patient{patient:e} : {patient:nom} {patient:prenom}
Né{patient:e} le : {patient:ddn}
IPP : {patient:ipp}    N° de demande : {sejour:nda}
Prescripteur : {senior:dr} — {service}
Prélevé le {date:sample} à 07 h 45 — Reçu le {date:sample} à 08 h 30

{clin:biologie_tableau}

Résultats validés par {biologiste:dr}.
""",
    ),
    Template(
        "bio_2",
        "lab_header",
        "dev",
        """\
LABORATOIRE — {hopital}
{hopital:adresse_ligne} — {hopital:tel}

{patient:civfull}
{patient:adresse}
DDN : {patient:ddn}    Dossier : {patient:ipp}

Demande du {date:sample} — {service}
Médecin : {senior:dr}

BIOCHIMIE / HÉMATOLOGIE
{clin:biologie_tableau}

Valeurs de référence adaptées à l'âge et au sexe.
Biologiste : {biologiste:dr}
""",
    ),
    Template(
        "bio_3",
        "lab_header",
        "test",
        """\
{hopital} — Pôle de Biologie
{biologiste:dr}, biologiste médical — {biologiste:mail}

Identité : {patient:full}
Date de naissance : {patient:ddn} ({patient:age})
N° sécurité sociale : {patient:secu}
NDA : {sejour:nda}
Prescripteur : {senior:dr}, {service}

Prélèvement : {date:sample}
{clin:biologie_tableau}

Sérologies transmises pour confirmation au Centre National de Référence de \
l'[institution_reference:Institut Pasteur].
Compte rendu validé le {date:sample}.
""",
    ),
    Template(
        "bio_4",
        "lab_header",
        "test",
        """\
RÉSULTATS DE BIOLOGIE
Établissement : {hopital}
Unité : {service} — tél. {service:tel}

Patient{patient:e} : {patient:nom} {patient:prenom} ({patient:ddn})
IPP {patient:ipp} / NDA {sejour:nda}

Date du prélèvement : {date:sample}, 06:30
{clin:biologie_tableau}

Valeurs hors normes signalées par H (haute) ou L (basse).
Résultats transmis par messagerie sécurisée au {medecin_traitant:dr} \
({medecin_traitant:mail}).
""",
    ),
    Template(
        "bio_5",
        "lab_header",
        "test",
        """\
{hopital}
{patient:full} — {patient:ne_le} — IPP {patient:ipp}

Biologie du {date:sample} : {clin:biologie}
Contrôle prévu le {date:discharge}.

Biologiste : {biologiste:dr}
""",
    ),
)

_DISCHARGE_SUMMARIES = (
    Template(
        "ls_1",
        "discharge_summary",
        "dev",
        """\
{hopital}
{service}
Tél. : {service:tel}

LETTRE DE LIAISON À LA SORTIE

{medecin_traitant:confrere},

Votre {patient:patient}, {patient:civfull}, {patient:ne_le}, a été hospitalisé{patient:e} dans \
notre service du {date:admission} au {date:discharge} pour {clin:motif}.

Diagnostic de sortie : {clin:diagnostic}.

Résumé du séjour : {clin:evolution}

Traitement de sortie :
{clin:traitement_sortie}
{clin:allergies}

Suivi :
{clin:suivi}
Rendez-vous de consultation le {date:next}.

Confraternellement,
{senior:dr}
Destinataire : {medecin_traitant:dr}, {medecin_traitant:adresse_ligne}
""",
    ),
    Template(
        "ls_2",
        "discharge_summary",
        "dev",
        """\
{hopital} — {hopital:adresse_ligne}
{service}

Lettre de sortie du {date:discharge}

Patient{patient:e} : {patient:nom} {patient:prenom} — IPP {patient:ipp}
Entrée le {date:admission}
Médecin traitant : {medecin_traitant:dr} — {medecin_traitant:tel}

Motif d'hospitalisation : {clin:motif}
Diagnostic principal : {clin:diagnostic}
Acte : {clin:procedure}, le {date:procedure}

Traitements à la sortie :
{clin:traitement_sortie}

Consignes :
{clin:suivi}

Contact en cas de problème : {service:tel} ({service:mail})
{interne:dr}, pour {senior:dr}
""",
    ),
    Template(
        "ls_3",
        "discharge_summary",
        "test",
        """\
{medecin_traitant:dr}
{medecin_traitant:adresse}

{hopital:ville}, le {date:report}

Objet : sortie de {patient:civfull}

{medecin_traitant:confrere},

Je vous informe de la sortie le {date:discharge} de {patient:civ}, {patient:age}, \
hospitalisé{patient:e} dans le {service} depuis le {date:admission}.

Le séjour a permis de retenir le diagnostic {clin:de_diagnostic}. {clin:histoire} \
{clin:evolution}

Au plan thérapeutique :
{clin:traitement_sortie}

Je vous remercie d'assurer la surveillance suivante :
{clin:suivi}

{patient:Il} sera revu{patient:e} en consultation le {date:next}. La famille ({proche:lien}, \
{proche:full}, {proche:tel}) a été informée du retour à domicile.

Bien confraternellement,
{senior:dr}
{senior:mail}
""",
    ),
    Template(
        "ls_4",
        "discharge_summary",
        "test",
        """\
{hopital}
{service} — Unité d'hospitalisation conventionnelle

SYNTHÈSE DE SORTIE
{patient:full} — {patient:ne_le}
{patient:adresse}
Tél. : {patient:tel} — Courriel : {patient:mail}
IPP : {patient:ipp} — NDA : {sejour:nda}

Séjour : du {date:admission} au {date:discharge}
Pathologie principale : {clin:diagnostic}
Évaluation à l'entrée : {clin:score}
Antécédents :
{clin:antecedents}

Traitement de sortie :
{clin:traitement_sortie}

Rendez-vous :
{clin:suivi}
Consultation le {date:next} avec le {senior:dr}.

Document remis en main propre et adressé au {medecin_traitant:dr}.
""",
    ),
    Template(
        "ls_5",
        "discharge_summary",
        "test",
        """\
Lettre de sortie — {hopital}

{hopital:ville}, {date:discharge}

{medecin_traitant:confrere},

{patient:civfull} ({patient:age}) sort ce jour du {service} après un séjour débuté le \
{date:admission}.

Résumé : {clin:histoire} Le diagnostic retenu est : {clin:diagnostic}. {clin:evolution} \
{clin:reference}

Biologie de sortie : {clin:biologie}

Ordonnance remise :
{clin:traitement_sortie}

Personne de confiance désignée : {proche:civfull}, {proche:lien}.

{interne:dr}, interne, et {senior:dr}
""",
    ),
)

_RCP_SYNTHESES = (
    Template(
        "rcp_1",
        "rcp_synthesis",
        "dev",
        """\
{hopital}
Réunion de Concertation Pluridisciplinaire d'oncologie

FICHE RCP — Séance du {date:rcp}

Patient{patient:e} : {patient:full}    Né{patient:e} le {patient:ddn}    IPP : {patient:ipp}
Médecin présentant le dossier : {oncologue:dr}
Médecin traitant : {medecin_traitant:dr}

Participants : {oncologue:dr} (oncologie médicale), {chirurgien:dr} (chirurgie), \
{radiologue:dr} (radiologie), {pathologiste:dr} (anatomie pathologique), {radiotherapeute:dr} \
(radiothérapie)

Histoire : {clin:histoire}
Antécédents :
{clin:antecedents}
Intervention du {date:procedure} : {clin:procedure}.
Diagnostic : {clin:diagnostic}
État général : {clin:score}

Question posée : stratégie thérapeutique adjuvante ?

PROPOSITION : {clin:rcp}
{clin:reference}

Proposition présentée lors de la consultation d'annonce du {date:consultation}.
""",
    ),
    Template(
        "rcp_2",
        "rcp_synthesis",
        "dev",
        """\
RCP — {service} — {hopital}
Date : {date:rcp}
Coordonnateur : {oncologue:dr}

Identité : {patient:nom} {patient:prenom} — {patient:ddn} — {patient:age}
Adresse : {patient:adresse_ligne}
NIR : {patient:secu}

Type de présentation : dossier présenté pour décision thérapeutique.
Résumé : {clin:histoire} {clin:imagerie}
Anatomopathologie ({pathologiste:dr}) : {clin:diagnostic}.
État général : {clin:score}

Décision : {clin:rcp}
Quorum atteint ({chirurgien:dr}, {radiotherapeute:dr}, {radiologue:dr}).
""",
    ),
    Template(
        "rcp_3",
        "rcp_synthesis",
        "test",
        """\
{hopital}
Synthèse de Réunion de Concertation Pluridisciplinaire

Date de la RCP : {date:rcp}
Patient{patient:e} : {patient:civfull}, {patient:ne_le}
IPP : {patient:ipp}
Adressé{patient:e} par : {medecin_traitant:dr}, {medecin_traitant:adresse_ligne}

Motif de présentation : {clin:motif}
Antécédents :
{clin:antecedents}
{clin:allergies}
Bilan d'extension : {clin:imagerie}
Biologie : {clin:biologie}
Acte réalisé le {date:procedure} par le {chirurgien:dr} : {clin:procedure}.
Histologie définitive : {clin:diagnostic}.

Avis de la RCP : {clin:rcp}
{clin:reference}

Médecin référent : {oncologue:dr} — {oncologue:mail} — {service:tel}
""",
    ),
    Template(
        "rcp_4",
        "rcp_synthesis",
        "test",
        """\
FICHE DE RCP — {service}
Établissement : {hopital}
Séance : {date:rcp}

NOM : {patient:nom}    PRÉNOM : {patient:prenom}
Nom de naissance : {patient:nom_naissance}
DDN : {patient:ddn}
Médecin demandeur : {oncologue:dr}

Situation : {clin:diagnostic}, {clin:score}.
Traitement antérieur : {clin:procedure} ({date:procedure}).
Question : indication d'un traitement complémentaire ?

Proposition thérapeutique : {clin:rcp}
{clin:reference}

Médecins présents : {oncologue:dr}, {chirurgien:dr}, {radiotherapeute:dr}, {pathologiste:dr}, \
{radiologue:dr}.
Copie : {medecin_traitant:dr}
""",
    ),
    Template(
        "rcp_5",
        "rcp_synthesis",
        "test",
        """\
{hopital} — Comité d'oncologie

Le dossier de {patient:civfull}, {patient:age}, a été discuté en RCP le {date:rcp}.
{patient:Il} a été opéré{patient:e} le {date:procedure} ({clin:procedure}) par le \
{chirurgien:dr}.
Résultat anatomopathologique : {clin:diagnostic}.
{clin:histoire}

La RCP propose : {clin:rcp}
{patient:Il} sera revu{patient:e} par le {oncologue:dr} le {date:consultation} pour la \
consultation d'annonce, en présence de {proche:lien}, {proche:civfull}.
{clin:reference}

Secrétariat d'oncologie : {service:tel}
""",
    ),
)

_NURSE_NOTES = (
    Template(
        "ide_1",
        "nurse_note",
        "dev",
        """\
TRANSMISSIONS CIBLÉES — {service}
Patient{patient:e} : {patient:full} — chambre [number:12] — IPP {patient:ipp}
Date : {date:care} — équipe de jour
IDE : {ide:full}

Cible : surveillance
D : {clin:transmission}
A : surveillance, poursuite du traitement prescrit par {interne:dr}.
R : {clin:constantes}
""",
    ),
    Template(
        "ide_2",
        "nurse_note",
        "dev",
        """\
Transmission infirmière du {date:care}, 14 h
{patient:civ} — {patient:age}

{clin:transmission}
Appel de {proche:lien}, {proche:civfull}, au {proche:tel} : nouvelles données, visite prévue \
demain.

{ide:full}, IDE
""",
    ),
    Template(
        "ide_3",
        "nurse_note",
        "test",
        """\
DOSSIER DE SOINS — {hopital}
{service}
{patient:nom} {patient:prenom}, {patient:ddn}
Jour : {date:care}

Nuit : RAS, sommeil correct.
Matin : {clin:transmission}
Constantes : {clin:constantes}
Poids : {clin:poids}

Signature IDE : {ide:initial}
""",
    ),
    Template(
        "ide_4",
        "nurse_note",
        "test",
        """\
Transmissions — {date:care}
Pt : {patient:nom}, {patient:age}, entré{patient:e} le {date:admission} pour {clin:motif}.
Cible douleur
D : {clin:transmission}
A : antalgiques selon la prescription du {senior:dr}.
R : {patient:patient} soulagé{patient:e}.
Famille : {proche2:lien} ({proche2:full}) a appelé, rappeler au {proche2:tel}.
IDE : {ide:full}
""",
    ),
    Template(
        "ide_5",
        "nurse_note",
        "test",
        """\
{hopital} — {service}
Relève IDE du {date:care}
{patient:civfull} (IPP {patient:ipp})
Diagnostic : {clin:diagnostic}
{clin:allergies}

Traitement en cours :
{clin:traitement_sortie}

Observations : {clin:transmission}
Sortie prévue le {date:discharge}, retour à domicile avec {proche:lien}.
{ide:full}
""",
    ),
    Template(
        "ide_ctrl_1",
        "nurse_note",
        "dev",
        control=True,
        body="""\
TRANSMISSIONS — {service}
Équipe de nuit

Cible : douleur
D : {clin:transmission}
A : poursuite de la surveillance, réévaluation de la douleur à [number:1 heure].
R : confort satisfaisant, pas d'événement indésirable.
""",
    ),
    Template(
        "ide_ctrl_2",
        "nurse_note",
        "test",
        control=True,
        body="""\
Fiche de surveillance — salle de surveillance post-interventionnelle
Constantes : {clin:constantes}
[eponym:Score d'Aldrete] à [number:9/10].
Douleur EVA à [number:2/10], pas de nausée.
Pansement sec. Diurèse spontanée.
Sortie de SSPI autorisée par l'anesthésiste de garde.
""",
    ),
)

TEMPLATES: dict[str, Template] = {
    template.template_id: template
    for template in (
        *_HOSPITALISATION_REPORTS, *_CONSULTATION_LETTERS, *_PRESCRIPTIONS, *_OPERATIVE_REPORTS,
        *_LAB_HEADERS, *_DISCHARGE_SUMMARIES, *_RCP_SYNTHESES, *_NURSE_NOTES,
    )
}  # fmt: skip

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


def _check(template: Template) -> None:
    """Fail at import on a misspelt slot, or on a control template with a PHI slot."""
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
            raise ValueError(f"template {template.template_id}: unknown slot {{{key}:{spec}}}")


for _template in TEMPLATES.values():
    _check(_template)

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
