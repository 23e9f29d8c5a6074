"""Structured clinical cases: one patient, their relatives, care team, stay and clinical facts.

Documents are *rendered from* a case (``documents.py``), never written free-hand, so that the
pseudonymisation family gets exact gold spans and the summarisation family can render several
documents of one patient that agree with each other and with the case's facts.

The clinical content is data, not code: lab tests, specialties and their conditions, the
patient's history and the words for relatives are read from ``content/`` (``contentfiles``) when
this module is imported, and checked then, so that a clinician edits French text, not Python.

Clinical text is written with a small markup for the non-PHI spans a pseudonymiser must leave
alone (the ``keep`` spans of a note): ``[drug:bisoprolol]``, ``[dose:2,5 mg]``,
``[lab_value:3,2 mmol/L]``, ``[number:NYHA III]``, ``[eponym:maladie de Parkinson]``,
``[institution_reference:Institut Pasteur]``. ``eponym`` covers every named disease, sign, score
or technique that reads like a person's or a place's name ("score de Glasgow", "Deauville 5").
``marked`` turns such a string into segments once, at import time; ``MARKUP`` refuses a string
whose brackets are not that markup (a misspelt kind, a missing bracket).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from partages_bench.families.coding import cim10
from partages_bench.generator import identities as ids
from partages_bench.generator.contentfiles import Check, at_least, content_error, load, one_of
from partages_bench.generator.identities import Address, City, Hospital, Person, Sex

KEEP_KINDS = ("drug", "dose", "lab_value", "number", "eponym", "institution_reference", "rpps")

Segment = tuple[str, str | None]  # (text, keep kind or None for plain text)
Marked = tuple[Segment, ...]

_MARKUP = re.compile(rf"\[({'|'.join(KEEP_KINDS)}):([^\]]+)\]")


def marked(source: str) -> Marked:
    """Split "[eponym:signe de Murphy] positif" into (("signe de Murphy", "eponym"), …)."""
    segments: list[Segment] = []
    position = 0
    for match in _MARKUP.finditer(source):
        if match.start() > position:
            segments.append((source[position : match.start()], None))
        segments.append((match.group(2), match.group(1)))
        position = match.end()
    if position < len(source):
        segments.append((source[position:], None))
    return tuple(segments)


def _markup_problem(source: str) -> str | None:
    plain = "".join(text for text, kind in marked(source) if kind is None)
    if "[" in plain or "]" in plain:
        kinds = ", ".join(KEEP_KINDS)
        return f"brackets that are not [kind:text] markup (kinds: {kinds}) in {source!r}"
    return None


MARKUP = Check(_markup_problem)  # text with keep-span markup, in a content schema


def _all(sources: Iterable[str]) -> tuple[Marked, ...]:
    return tuple(marked(source) for source in sources)


@dataclass(frozen=True)
class Drug:
    name: str  # international non-proprietary name: a "drug" keep span
    strength: str  # "2,5 mg": a "dose" keep span
    posology: str  # "1 comprimé le matin"


def _drug_problem(line: str) -> str | None:
    parts = line.split(";")
    if len(parts) != 3 or not all(part.strip() for part in parts):
        return f"expected 'name; strength; posology', found {line!r}"
    return None


DRUG = Check(_drug_problem)  # a drug line, "name; strength; posology", in a content schema


def _cim10_problem(code: str) -> str | None:
    if code not in cim10.table():
        return f"{code!r} is not a code of the CIM-10 table content/cim10.csv"
    return None


CIM10 = Check(_cim10_problem)  # a diagnosis code of content/cim10.csv


def parse_drug(line: str) -> Drug:
    """A ``DRUG``-checked line as a Drug."""
    name, strength, posology = (part.strip() for part in line.split(";"))
    return Drug(name, strength, posology)


@dataclass(frozen=True)
class LabTest:
    name: str
    unit: str
    low: float
    high: float
    decimals: int

    def number(self, value: float) -> str:
        return f"{value:.{self.decimals}f}".replace(".", ",")

    @property
    def reference(self) -> str:
        """The normal range as a lab prints it: "3,5–5,0" or "< 5"."""
        if self.low == 0:
            return f"< {self.number(self.high)}"
        return f"{self.number(self.low)}–{self.number(self.high)}"


_RANGE = (float, float)
_LAB_FILE = load(
    "lab_tests.yaml",
    {
        "tests": {str: {"name": str, "unit": str, "low": float, "high": float, "decimals": int}},
        "standard_panel": [str],
        "panel_ranges": {str: _RANGE},
    },
)
LAB_TESTS = {
    key: LabTest(
        test["name"], test["unit"], float(test["low"]), float(test["high"]), test["decimals"]
    )
    for key, test in _LAB_FILE["tests"].items()
}


def _lab_key(key: str, name: str, field: str) -> str:
    """``key`` if it names a lab test (``name``, ``field``: where it is written)."""
    if key not in LAB_TESTS:
        raise content_error(name, field, f"no lab test {key!r} in lab_tests.yaml")
    return key


# Drawn for every case, within the normal range unless the condition says otherwise.
_STANDARD_PANEL = tuple(
    _lab_key(key, "lab_tests.yaml", f"standard_panel[{index}]")
    for index, key in enumerate(_LAB_FILE["standard_panel"])
)
_NORMAL_RANGES = {key: (test.low, test.high) for key, test in LAB_TESTS.items()} | {
    _lab_key(key, "lab_tests.yaml", f"panel_ranges.{key}"): tuple(bounds)
    for key, bounds in _LAB_FILE["panel_ranges"].items()
}


@dataclass(frozen=True)
class LabResult:
    test: LabTest
    value: float

    @property
    def value_text(self) -> str:
        """The "lab_value" keep span: "12,3 g/dL"."""
        number = self.test.number(self.value)
        return f"{number} {self.test.unit}" if self.test.unit else number

    @property
    def flag(self) -> str:
        if self.value > self.test.high:
            return "H"
        return "L" if self.value < self.test.low else ""


@dataclass(frozen=True)
class Vitals:
    systolic: int
    diastolic: int
    heart_rate: int
    temperature: float
    spo2: int
    weight: int


@dataclass(frozen=True)
class Procedure:
    name: Marked
    anaesthesia: str
    steps: tuple[Marked, ...]


@dataclass(frozen=True)
class Condition:
    """One diagnosis with what a stay for it looks like; several options per field for variety."""

    name: Marked
    motif: Marked
    ages: tuple[int, int]
    sex: Sex | None
    symptoms: tuple[Marked, ...]
    findings: tuple[Marked, ...]
    imaging: tuple[Marked, ...]
    labs: tuple[tuple[str, float, float], ...]  # (LAB_TESTS key, lowest, highest value)
    drugs: tuple[Drug, ...]
    procedure: Procedure
    scores: tuple[Marked, ...]
    course: tuple[Marked, ...]
    follow_up: tuple[Marked, ...]
    rcp: tuple[Marked, ...] = ()  # tumour board proposals (oncology)
    cim10: str | None = None  # its CIM-10 code (content/cim10.csv), the coding task's principal


@dataclass(frozen=True)
class Specialty:
    key: str
    service: str
    references: tuple[Marked, ...]  # sentences citing a non-care institution
    nursing: tuple[Marked, ...]  # specialty-specific nurse observations
    conditions: tuple[Condition, ...]


_SEX = one_of("M", "F")
_CONDITION_SCHEMA = {
    "name": MARKUP,
    "cim10?": CIM10,
    "motif": MARKUP,
    "ages": (int, int),
    "sex?": _SEX,
    "symptoms": [MARKUP],
    "findings": [MARKUP],
    "imaging": [MARKUP],
    "labs": {str: _RANGE},
    "drugs": [DRUG],
    "procedure": {"name": MARKUP, "anaesthesia": str, "steps": [MARKUP]},
    "scores": [MARKUP],
    "course": [MARKUP],
    "follow_up": [MARKUP],
    "rcp?": [MARKUP],
}
_SPECIALTY_SCHEMA = {
    "key": str,
    "service": str,
    "references": [MARKUP],
    "nursing": [MARKUP],
    "conditions": [_CONDITION_SCHEMA],
}


def _condition(fields: dict[str, Any], name: str, field: str) -> Condition:
    """A Condition from its checked content entry (``name``: the file, ``field``: the entry)."""
    youngest, oldest = fields["ages"]
    if youngest > oldest:
        raise content_error(name, f"{field}.ages", "the youngest age comes first")
    procedure = fields["procedure"]
    return Condition(
        name=marked(fields["name"]),
        motif=marked(fields["motif"]),
        ages=(youngest, oldest),
        sex=fields.get("sex"),
        symptoms=_all(fields["symptoms"]),
        findings=_all(fields["findings"]),
        imaging=_all(fields["imaging"]),
        labs=tuple(
            (_lab_key(key, name, f"{field}.labs.{key}"), low, high)
            for key, (low, high) in fields["labs"].items()
        ),
        drugs=tuple(parse_drug(line) for line in fields["drugs"]),
        procedure=Procedure(
            marked(procedure["name"]), procedure["anaesthesia"], _all(procedure["steps"])
        ),
        scores=_all(fields["scores"]),
        course=_all(fields["course"]),
        follow_up=_all(fields["follow_up"]),
        rcp=_all(fields.get("rcp", ())),
        cim10=fields.get("cim10"),
    )


def _specialty(name: str) -> Specialty:
    fields = load(name, _SPECIALTY_SCHEMA)
    return Specialty(
        key=fields["key"],
        service=fields["service"],
        references=_all(fields["references"]),
        nursing=_all(fields["nursing"]),
        conditions=tuple(
            _condition(condition, name, f"conditions[{index}]")
            for index, condition in enumerate(fields["conditions"])
        ),
    )


def _specialties() -> dict[str, Specialty]:
    """The files specialties.yaml lists, in its order: the drawing order, part of the data."""
    specialties: dict[str, Specialty] = {}
    for index, file in enumerate(load("specialties.yaml", [str])):
        specialty = _specialty(f"specialties/{file}")
        if specialty.key in specialties:
            problem = f"a second specialty with the key {specialty.key!r}"
            raise content_error("specialties.yaml", f"[{index}]", problem)
        specialties[specialty.key] = specialty
    if "oncologie" not in specialties:  # tumour board syntheses are rendered from its cases
        raise content_error("specialties.yaml", "", "an oncologie specialty is required")
    return specialties


SPECIALTIES = _specialties()


@dataclass(frozen=True)
class Comorbidity:
    name: Marked
    drug: Drug | None
    cim10: str | None = None  # its CIM-10 code, when the coding task may draw it


_HISTORY = load(
    "history.yaml",
    {
        "comorbidities": [{"name": MARKUP, "drug?": DRUG, "cim10?": CIM10}],
        "surgeries": [{"name": MARKUP, "sex?": _SEX}],
        "allergies": [MARKUP],
    },
)
# At least as many as ``_facts`` draws at once: 3 comorbidities, 2 operations, 2 allergies.
COMORBIDITIES = at_least(
    tuple(
        Comorbidity(
            marked(entry["name"]),
            parse_drug(entry["drug"]) if "drug" in entry else None,
            entry.get("cim10"),
        )
        for entry in _HISTORY["comorbidities"]
    ),
    3,
    "history.yaml",
    "comorbidities",
)


def _surgeries(entries: list[dict[str, str]]) -> tuple[tuple[Marked, Sex | None], ...]:
    """(operation, the only sex it is for or None), at least 2 for either sex."""
    surgeries = tuple((marked(entry["name"]), entry.get("sex")) for entry in entries)
    for sex in ("M", "F"):
        eligible = [surgery for surgery in surgeries if surgery[1] in (None, sex)]
        at_least(eligible, 2, "history.yaml", f"surgeries (for sex {sex})")
    return surgeries


_SURGERIES = _surgeries(_HISTORY["surgeries"])
_ALLERGIES = at_least(_all(_HISTORY["allergies"]), 2, "history.yaml", "allergies")


@dataclass(frozen=True)
class PastEvent:
    event: Marked
    when: date  # written as a month and year ("mars 2008"): a DATE span


@dataclass(frozen=True)
class ClinicalFacts:
    """What happened, independent of how a document phrases it (the summary's key facts)."""

    specialty: Specialty
    condition: Condition
    comorbidities: tuple[Comorbidity, ...]
    surgeries: tuple[PastEvent, ...]
    allergies: tuple[Marked, ...]  # empty: no known allergy
    labs: tuple[LabResult, ...]
    vitals: Vitals
    symptoms: tuple[Marked, ...]
    findings: tuple[Marked, ...]
    imaging: tuple[Marked, ...]
    score: Marked
    course: tuple[Marked, ...]
    follow_up: tuple[Marked, ...]
    rcp: Marked | None
    reference: Marked
    nursing: Marked

    @property
    def home_drugs(self) -> tuple[Drug, ...]:
        return tuple(c.drug for c in self.comorbidities if c.drug is not None)

    @property
    def discharge_drugs(self) -> tuple[Drug, ...]:
        """The stay's drugs, then home drugs not replaced by one of the same name."""
        new = {drug.name for drug in self.condition.drugs}
        return self.condition.drugs + tuple(d for d in self.home_drugs if d.name not in new)


@dataclass(frozen=True)
class Patient:
    person: Person  # usage name, contact details, home address
    origin: str  # of the family's names (identities.ORIGINS): relatives' first names follow it
    birth_date: date
    birth_surname: str  # nom de naissance; differs from person.surname after a name change
    birth_city: City | None  # None: born abroad
    nir: str
    ipp: str


@dataclass(frozen=True)
class Relative:
    person: Person
    relation: str  # as written in a note: "épouse", "fils", "mère"…


@dataclass(frozen=True)
class CareTeam:
    senior: Person
    interne: Person
    chirurgien: Person
    anesthesiste: Person
    ide: Person
    medecin_traitant: Person
    oncologue: Person
    radiologue: Person
    pathologiste: Person
    radiotherapeute: Person
    biologiste: Person


@dataclass(frozen=True)
class CareSite:
    hospital: Hospital
    address: Address
    phone: str
    service: str
    service_phone: str
    service_email: str


@dataclass(frozen=True)
class Timeline:
    admission: date
    procedure: date
    sample: date
    care: date  # a nursing shift during the stay
    discharge: date
    report: date
    rcp: date
    consultation: date
    next: date


@dataclass(frozen=True)
class ClinicalCase:
    patient: Patient
    relatives: tuple[Relative, Relative]
    team: CareTeam
    site: CareSite
    nda: str
    dates: Timeline
    facts: ClinicalFacts

    @property
    def age(self) -> int:
        """Age in years at admission (not PHI: rendered as a "number" keep span)."""
        born, seen = self.patient.birth_date, self.dates.admission
        return seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))


_FIRST_DAY = date(2016, 1, 1)
_LAST_DAY = date(2024, 12, 31)


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _vitals(rng: random.Random) -> Vitals:
    return Vitals(
        systolic=rng.randint(100, 165),
        diastolic=rng.randint(55, 95),
        heart_rate=rng.randint(55, 110),
        temperature=round(rng.uniform(36.2, 38.4), 1),
        spo2=rng.randint(90, 99),
        weight=rng.randint(48, 112),
    )


def _labs(rng: random.Random, condition: Condition) -> tuple[LabResult, ...]:
    """The condition's tests at its abnormal values, then the standard panel within normal."""
    ranges = _NORMAL_RANGES | {key: (low, high) for key, low, high in condition.labs}
    keys = dict.fromkeys((*(key for key, _, _ in condition.labs), *_STANDARD_PANEL))
    return tuple(
        LabResult(LAB_TESTS[key], round(rng.uniform(*ranges[key]), LAB_TESTS[key].decimals))
        for key in keys
    )


def _pick(rng: random.Random, options: tuple[Marked, ...], most: int) -> tuple[Marked, ...]:
    """Between one and ``most`` options, in their written order (symptoms read in sequence)."""
    count = rng.randint(1, min(most, len(options)))
    chosen = set(rng.sample(range(len(options)), count))
    return tuple(option for index, option in enumerate(options) if index in chosen)


def _facts(
    rng: random.Random, specialty: Specialty, condition: Condition, sex: Sex, birth: date, day: date
) -> ClinicalFacts:
    age = day.year - birth.year
    count = rng.choice((0, 1, 1, 2, 2, 3) if age >= 45 else (0, 0, 0, 1))
    comorbidities = tuple(rng.sample(COMORBIDITIES, count))
    surgeries: list[PastEvent] = []
    if age >= 20:
        eligible = [name for name, only in _SURGERIES if only in (None, sex)]
        for name in rng.sample(eligible, rng.choice((0, 1, 1, 2))):
            when = _random_day(rng, date(birth.year + 12, 1, 1), date(day.year - 1, 12, 31))
            surgeries.append(PastEvent(name, when))
    surgeries.sort(key=lambda past: past.when)
    return ClinicalFacts(
        specialty=specialty,
        condition=condition,
        comorbidities=comorbidities,
        surgeries=tuple(surgeries),
        allergies=tuple(rng.sample(_ALLERGIES, rng.choice((0, 0, 0, 1, 1, 2)))),
        labs=_labs(rng, condition),
        vitals=_vitals(rng),
        symptoms=_pick(rng, condition.symptoms, 3),
        findings=_pick(rng, condition.findings, 3),
        imaging=_pick(rng, condition.imaging, 2),
        score=rng.choice(condition.scores),
        course=_pick(rng, condition.course, 3),
        follow_up=_pick(rng, condition.follow_up, 3),
        rcp=rng.choice(condition.rcp) if condition.rcp else None,
        reference=rng.choice(specialty.references),
        nursing=rng.choice(specialty.nursing),
    )


def _person(
    rng: random.Random, sex: Sex, birth_year: int, origin: str, surname: str = ""
) -> Person:
    """A name only; callers add contact details with ``dataclasses.replace``."""
    return Person(
        first_name=ids.random_first_name(rng, sex, birth_year, origin),
        surname=surname or ids.random_surname(rng, origin),
        sex=sex,
    )


_WORD_BY_SEX = {"M": str, "F": str}
_RELATIVES = load(
    "relatives.yaml",
    {
        "partner": {"M": [str], "F": [str]},
        "sibling": _WORD_BY_SEX,
        "child": _WORD_BY_SEX,
        "parent": _WORD_BY_SEX,
        "possessive": {str: str},
    },
)
_PARTNER_WORDS = {sex: tuple(words) for sex, words in _RELATIVES["partner"].items()}
_SIBLING_WORDS, _CHILD_WORDS, _PARENT_WORDS = (
    _RELATIVES[kind] for kind in ("sibling", "child", "parent")
)


def _possessives(possessive: dict[str, str]) -> dict[str, str]:
    """``possessive``, which must have every relation word."""
    singles = (_SIBLING_WORDS, _CHILD_WORDS, _PARENT_WORDS)
    for sex in ("M", "F"):
        for word in (*_PARTNER_WORDS[sex], *(words[sex] for words in singles)):
            if word not in possessive:
                raise content_error("relatives.yaml", "possessive", f"no possessive for {word!r}")
    return possessive


# What {proche:lien} writes for a relation: "épouse" → "son épouse" (documents.py).
POSSESSIVE = _possessives(_RELATIVES["possessive"])


def _relatives(rng: random.Random, patient: Patient, age: int) -> tuple[Relative, Relative]:
    """A partner, sibling or parent and a child or parent, some sharing the patient's surname.

    Sharing a surname is the ``relative_same_surname`` hard case: same text, another person,
    another entity_id.
    """
    me, year = patient.person, patient.birth_date.year

    def relative(relation: str, sex: Sex, birth_year: int, surname: str = "") -> Relative:
        person = _person(rng, sex, birth_year, patient.origin, surname)
        return Relative(replace(person, phone=ids.random_mobile(rng)), relation)

    def parent(sex: Sex) -> Relative:
        if sex == "M":
            return relative(
                _PARENT_WORDS["M"], "M", year - rng.randint(25, 38), patient.birth_surname
            )
        surname = patient.birth_surname if rng.random() < 0.5 else ""
        return relative(_PARENT_WORDS["F"], "F", year - rng.randint(22, 36), surname)

    if age < 30:
        return parent("M"), parent("F")
    married_name = me.surname != patient.birth_surname
    if rng.random() < 0.75:
        sex: Sex = "F" if me.sex == "M" else "M"
        if me.sex == "F":
            surname = me.surname if married_name else ""
        else:
            surname = me.surname if rng.random() < 0.5 else ""
        word = rng.choice(_PARTNER_WORDS[sex])
        first = relative(word, sex, year + rng.randint(-5, 5), surname)
        fathers_name = me.surname if me.sex == "M" else first.person.surname
    else:
        sex = rng.choice(("M", "F"))
        first = relative(_SIBLING_WORDS[sex], sex, year + rng.randint(-6, 6), patient.birth_surname)
        fathers_name = me.surname if me.sex == "M" or rng.random() < 0.5 else ""
    if age < 45:
        return first, parent(rng.choice(("M", "F")))
    sex = rng.choice(("M", "F"))
    return first, relative(_CHILD_WORDS[sex], sex, year + rng.randint(22, 35), fathers_name)


def _patient(rng: random.Random, sex: Sex, birth: date, site_city: City) -> Patient:
    origin = ids.random_origin(rng)
    birth_surname = ids.random_surname(rng, origin)
    surname = birth_surname
    if sex == "F" and rng.random() < 0.45:  # nom d'usage: her spouse's name
        surname = ids.random_surname(rng, rng.choice((origin, origin, ids.random_origin(rng))))
    first_name = ids.random_first_name(rng, sex, birth.year, origin)
    if origin != "france" and rng.random() < 0.6:
        birth_city, country = None, rng.choice(ids.COUNTRY_CODES[origin])
    else:
        birth_city, country = rng.choice(ids.CITIES), ""
    home = ids.city_near(rng, site_city)
    person = Person(
        first_name=first_name,
        surname=surname,
        sex=sex,
        phone=ids.random_mobile(rng) if rng.random() < 0.7 else ids.random_landline(rng, home),
        email=ids.personal_email(rng, first_name, surname, birth.year),
        address=ids.random_address(rng, home),
    )
    place = ids.nir_place(birth, birth_city, country)
    return Patient(
        person=person,
        origin=origin,
        birth_date=birth,
        birth_surname=birth_surname,
        birth_city=birth_city,
        nir=ids.make_nir(sex, birth, place, rng.randint(1, 999)),
        ipp=ids.random_ipp(rng),
    )


_PHYSICIANS = (
    "senior", "interne", "chirurgien", "anesthesiste", "oncologue", "radiologue",
    "pathologiste", "radiotherapeute", "biologiste",
)  # fmt: skip
_PROFESSORS = ("senior", "chirurgien", "oncologue")


def _team(rng: random.Random, hospital: Hospital, home: City, taken: set[str]) -> CareTeam:
    """Care team with surnames unlike the family's (``taken``, updated), so that only
    relatives share the patient's surname."""

    def clinician() -> Person:
        while True:
            sex: Sex = rng.choice(("M", "F"))
            person = _person(rng, sex, rng.randint(1955, 1998), ids.random_origin(rng))
            if person.surname not in taken:
                taken.add(person.surname)
                return person

    members: dict[str, Person] = {}
    for role in _PHYSICIANS:
        doctor = clinician()
        members[role] = replace(
            doctor,
            title="Pr" if role in _PROFESSORS and rng.random() < 0.2 else "Dr",
            rpps=ids.random_rpps(rng),
            email=ids.professional_email(rng, doctor.first_name, doctor.surname, hospital.domain),
        )
    members["ide"] = clinician()
    gp, gp_city = clinician(), ids.city_near(rng, home)
    members["medecin_traitant"] = replace(
        gp,
        title="Dr",
        rpps=ids.random_rpps(rng),
        phone=ids.random_landline(rng, gp_city),
        email=ids.professional_email(rng, gp.first_name, gp.surname, "medecin.mssante.fr"),
        address=ids.random_address(rng, gp_city),
    )
    return CareTeam(**members)


def _site(rng: random.Random, hospital: Hospital, specialty: Specialty) -> CareSite:
    service_mailbox = ids.ascii_fold(specialty.key)
    return CareSite(
        hospital=hospital,
        address=ids.random_address(rng, hospital.city),
        phone=ids.random_landline(rng, hospital.city),
        service=specialty.service,
        service_phone=ids.random_landline(rng, hospital.city),
        service_email=f"secretariat.{service_mailbox}@{hospital.domain}",
    )


def _timeline(rng: random.Random, admission: date) -> Timeline:
    stay = rng.randint(2, 14)
    discharge = admission + timedelta(days=stay)
    consultation = discharge + timedelta(days=rng.randint(20, 60))
    return Timeline(
        admission=admission,
        procedure=admission + timedelta(days=rng.randint(0, min(2, stay - 1))),
        sample=admission,
        care=admission + timedelta(days=rng.randint(1, stay - 1)),
        discharge=discharge,
        report=discharge + timedelta(days=rng.randint(0, 5)),
        rcp=discharge + timedelta(days=rng.randint(5, 15)),
        consultation=consultation,
        next=consultation + timedelta(days=rng.randint(60, 180)),
    )


def make_case(rng: random.Random, specialty: str | None = None) -> ClinicalCase:
    """A coherent random case: ``specialty`` (a SPECIALTIES key) forces the clinical field."""
    chosen = SPECIALTIES[specialty] if specialty else rng.choice(tuple(SPECIALTIES.values()))
    condition = rng.choice(chosen.conditions)
    sex: Sex = condition.sex or rng.choice(("M", "F"))
    admission = _random_day(rng, _FIRST_DAY, _LAST_DAY)
    age = rng.randint(*condition.ages)
    last_birthday = admission - timedelta(days=rng.randint(0, 364))
    if (last_birthday.month, last_birthday.day) == (2, 29):
        last_birthday -= timedelta(days=1)
    birth = last_birthday.replace(year=last_birthday.year - age)
    hospital = rng.choice(ids.HOSPITALS)
    patient = _patient(rng, sex, birth, hospital.city)
    relatives = _relatives(rng, patient, age)
    family = {patient.person.surname, patient.birth_surname}
    family.update(relative.person.surname for relative in relatives)
    home = patient.person.address.city if patient.person.address else hospital.city
    return ClinicalCase(
        patient=patient,
        relatives=relatives,
        team=_team(rng, hospital, home, family),
        site=_site(rng, hospital, chosen),
        nda=ids.random_nda(rng),
        dates=_timeline(rng, admission),
        facts=_facts(rng, chosen, condition, sex, birth, admission),
    )
