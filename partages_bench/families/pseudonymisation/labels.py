"""The identifiers scored: eds-pseudo's 13 labels, those compared by their digits or as dates,
and the label a model means when it names one its own way ("PHONE", "Nom de famille")."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from partages_bench.text import TOKEN, fold

LABELS = (
    "NOM",
    "PRENOM",
    "DATE",
    "DATE_NAISSANCE",
    "ADRESSE",
    "VILLE",
    "ZIP",
    "TEL",
    "MAIL",
    "SECU",
    "IPP",
    "NDA",
    "HOPITAL",
)
# Identifiers compared by their digits only, whatever the spelling.
NUMERIC_LABELS = frozenset({"TEL", "SECU", "IPP", "NDA", "ZIP"})
DATE_LABELS = frozenset({"DATE", "DATE_NAISSANCE"})

_LABEL_ALIASES = {
    **dict.fromkeys(
        (
            "NAME",
            "LAST_NAME",
            "LASTNAME",
            "SURNAME",
            "FAMILY_NAME",
            "NOM_DE_FAMILLE",
            "PERSON",
            "PERSONNE",
        ),
        "NOM",
    ),
    **dict.fromkeys(("FIRST_NAME", "FIRSTNAME", "GIVEN_NAME"), "PRENOM"),
    **dict.fromkeys(
        ("DATE_OF_BIRTH", "BIRTH_DATE", "BIRTHDATE", "DOB", "DATE_DE_NAISSANCE"), "DATE_NAISSANCE"
    ),
    **dict.fromkeys(("ADDRESS", "STREET"), "ADRESSE"),
    **dict.fromkeys(("CITY", "TOWN"), "VILLE"),
    **dict.fromkeys(("POSTCODE", "POSTAL_CODE", "ZIPCODE", "ZIP_CODE", "CODE_POSTAL", "CP"), "ZIP"),
    **dict.fromkeys(("PHONE", "PHONE_NUMBER", "TELEPHONE", "FAX", "PORTABLE"), "TEL"),
    **dict.fromkeys(("EMAIL", "E_MAIL", "COURRIEL"), "MAIL"),
    **dict.fromkeys(
        ("NIR", "NSS", "SSN", "SECURITE_SOCIALE", "NUMERO_DE_SECURITE_SOCIALE"), "SECU"
    ),
    **dict.fromkeys(("NUMERO_DE_SEJOUR", "SEJOUR"), "NDA"),
    **dict.fromkeys(("HOSPITAL", "ETABLISSEMENT"), "HOPITAL"),
}


def canonical_label(raw: str) -> str | None:
    """One of ``LABELS`` whatever the case, accents, separators or language (NAME → NOM, PHONE →
    TEL, NIR → SECU…); None for an unknown label."""
    key = _key(raw)
    return key if key in LABELS else _LABEL_ALIASES.get(key)


@dataclass(frozen=True)
class LabelScheme:
    """The labels of one annotation scheme, declared by a task's card (``labels:`` in
    ``metadata.family_fields``, a key of ``SCHEMES``): what gold notes and answers use.

    ``eds_pseudo`` gives each label its counterpart among eds-pseudo's 13 (None: none), the one
    mapping through which a scheme's results line up with eds-pseudo's and the generated notes'
    (the ``mapped_…`` statistics), and which also says how a mention is compared in a leak test
    (a PHONE_NUMBER by its digits, as TEL; a date as a date). ``kept``: gold labels of spans
    that are *not* identifiers (left out of the gold, their text is ordinary text a system must
    keep). ``roles``: whose identifier a gold mention may say it is (its ``role``), each
    counted apart in the leak statistics."""

    labels: tuple[str, ...]
    # The mapping is left out of equality and hashing (schemes are cache keys): labels, kept
    # labels and roles tell schemes apart.
    eds_pseudo: Mapping[str, str | None] = field(compare=False)
    kept: frozenset[str] = frozenset()
    roles: tuple[str, ...] = ()

    def kind(self, label: str) -> str:
        """How a mention of ``label`` is compared in a leak test: as its eds-pseudo counterpart,
        else as itself (text only)."""
        return self.eds_pseudo.get(label) or label

    def read(self, raw: str) -> str | None:
        """The label a model means: one of ``labels`` by its name (any case or separators), else
        through eds-pseudo's names and aliases ("NOM", "PHONE"…) when one label of the scheme
        maps to that one; None otherwise (a ``kept`` label too: not an identifier)."""
        key = _key(raw)
        if key in self.labels:
            return key
        if key in self.kept:
            return None
        return self._from_eds.get(canonical_label(raw) or "")

    @functools.cached_property
    def _from_eds(self) -> dict[str, str]:
        """eds-pseudo's labels that one label of the scheme maps to, to that label."""
        reverse: dict[str, list[str]] = {}
        for label, eds in self.eds_pseudo.items():
            if eds is not None:
                reverse.setdefault(eds, []).append(label)
        return {eds: labels[0] for eds, labels in reverse.items() if len(labels) == 1}


def _key(raw: str) -> str:
    return "_".join(TOKEN.findall(fold(raw))).upper()


EDS_PSEUDO = LabelScheme(labels=LABELS, eds_pseudo={label: label for label in LABELS})

# PARHAF-pseudo-annotated (HealthDataHub; attribute_Categorie and attribute_RolePER) and its
# eds-pseudo counterparts: the mapping table of tasks/pseudonymisation/parhaf_pseudo/README.md.
PARHAF = LabelScheme(
    labels=(
        "LAST_NAME",
        "FIRST_NAME",
        "PATIENT_BIRTHDATE",
        "IDENTIFYING_DATE",
        "ADDRESS",
        "CITY",
        "COUNTRY",
        "PHONE_NUMBER",
        "URL",
        "PATIENT_NATIONALITY",
        "PATIENT_SOCIAL_IDENTITY",
        "FAMILY_STATUS",
    ),
    eds_pseudo={
        "LAST_NAME": "NOM",
        "FIRST_NAME": "PRENOM",
        "PATIENT_BIRTHDATE": "DATE_NAISSANCE",
        "IDENTIFYING_DATE": "DATE",
        "ADDRESS": "ADRESSE",
        "CITY": "VILLE",
        "COUNTRY": None,
        "PHONE_NUMBER": "TEL",
        "URL": None,
        "PATIENT_NATIONALITY": None,
        "PATIENT_SOCIAL_IDENTITY": None,
        "FAMILY_STATUS": None,
    },
    kept=frozenset({"UNIDENTIFYING_DATE"}),
    roles=("Patient", "Carer", "Other"),
)

SCHEMES = {"eds_pseudo": EDS_PSEUDO, "parhaf": PARHAF}
"""The label schemes a pseudonymisation card may name (``family_fields.labels``)."""
