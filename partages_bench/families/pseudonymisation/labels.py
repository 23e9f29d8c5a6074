"""The identifiers scored: eds-pseudo's 13 labels, those compared by their digits or as dates,
and the label a model means when it names one its own way ("PHONE", "Nom de famille")."""

from __future__ import annotations

from partages_bench.families.pseudonymisation.tokens import TOKEN
from partages_bench.text import fold

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
    key = "_".join(TOKEN.findall(fold(raw))).upper()
    return key if key in LABELS else _LABEL_ALIASES.get(key)
