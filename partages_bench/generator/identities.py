"""French identities for synthetic clinical notes: names, places, and identifiers that validate.

Every identifier is *valid* rather than merely plausible, so that a pseudonymiser cannot tell a
surrogate from a real value by its checksum or geography:

- the NIR (``SECU``) encodes sex, birth year and month and the birth commune's INSEE code (or
  ``99`` + country for people born abroad; ``20`` for Corsica before 1976, ``2A``/``2B`` after),
  and its key is 97 − (N mod 97) with 2A → 19 and 2B → 18;
- postcodes, INSEE codes and landline prefixes come from one table of real communes, so a
  ``ZIP`` always matches its ``VILLE`` and a landline its region;
- RPPS numbers (prescribers) carry their Luhn check digit.

The data are public geography and common names, read from ``content/`` (``cities.csv``,
``hospitals.csv``, ``names.yaml``, ``contact.yaml``) and checked when this module is imported;
the people they make up are fictitious.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from stdnum import luhn

from partages_bench.generator.contentfiles import content_error, load, load_table

Sex = Literal["M", "F"]


@dataclass(frozen=True)
class City:
    name: str
    postcode: str
    insee: str  # INSEE commune code (COG), e.g. "44109", "2A004", "97411"

    @property
    def department(self) -> str:
        return self.insee[:3] if self.insee.startswith("97") else self.insee[:2]


@dataclass(frozen=True)
class Address:
    street: str  # the street line only: "12 bis rue Victor Hugo"
    city: City


@dataclass(frozen=True)
class Hospital:
    name: str
    city: City
    domain: str  # staff e-mail domain


@dataclass(frozen=True)
class Person:
    first_name: str
    surname: str
    sex: Sex
    title: str = ""  # "Dr" or "Pr" for physicians
    phone: str = ""  # ten digits, unformatted
    email: str = ""
    address: Address | None = None
    rpps: str = ""


_POSTCODE = re.compile(r"\d{5}")
_INSEE = re.compile(r"\d{5}|2[AB]\d{3}")


def _cities() -> tuple[City, ...]:
    cities = []
    for line, row in enumerate(load_table("cities.csv", ("name", "postcode", "insee")), start=2):
        city = City(*row)
        if not (_POSTCODE.fullmatch(city.postcode) and _INSEE.fullmatch(city.insee)):
            problem = "a postcode is 5 digits, an INSEE code too (2A/2B… in Corsica)"
            raise content_error("cities.csv", f"line {line}", problem)
        cities.append(city)
    return tuple(cities)


CITIES = _cities()
_CITY_BY_POSTCODE = {city.postcode: city for city in CITIES}

_CONTACT = load(
    "contact.yaml",
    {
        "street_types": [str],
        "street_names": [str],
        "personal_mail_domains": [str],
        "landline_zones": {str: str},
    },
)


def _landline_prefixes(zones: dict[str, str]) -> dict[str, str]:
    """Prefix by department, from the departments of each prefix; every city has one."""
    prefixes = {
        department: prefix
        for prefix, departments in zones.items()
        for department in departments.split()
    }
    for city in CITIES:
        if city.department not in prefixes:
            problem = f"no prefix for department {city.department} ({city.name}, cities.csv)"
            raise content_error("contact.yaml", "landline_zones", problem)
    return prefixes


# Landline prefix by department (ARCEP zones 01–05 and the overseas prefixes).
_ZONE_DEPARTMENTS: dict[str, str] = _CONTACT["landline_zones"]
LANDLINE_PREFIX = _landline_prefixes(_ZONE_DEPARTMENTS)

_GENERATIONS = ("born_before_1955", "born_1955_to_1984", "born_from_1985")  # generation()
_NAMES = load(
    "names.yaml",
    {
        "french_first_names": {sex: {key: [str] for key in _GENERATIONS} for sex in ("M", "F")},
        "origins": {
            str: {
                "weight": int,
                "birth_countries?": [str],
                "first_names?": {"M": [str], "F": [str]},
                "surnames": [str],
            }
        },
    },
)


def _origins(origins: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """France's first names are by generation (french_first_names); every other origin has its
    own, and the countries its people may be born in."""
    if "france" not in origins:
        raise content_error("names.yaml", "origins", "the france origin is required")
    for name, fields in origins.items():
        if ("birth_countries" in fields and "first_names" in fields) == (name == "france"):
            problem = "every origin but france has first_names and birth_countries, france neither"
            raise content_error("names.yaml", f"origins.{name}", problem)
    return origins


_ORIGINS = _origins(_NAMES["origins"])

# INSEE country codes (NIR positions 6–10 are "99" + code for people born abroad).
COUNTRY_CODES = {
    origin: tuple(fields["birth_countries"])
    for origin, fields in _ORIGINS.items()
    if origin != "france"
}

# First names by origin, sex and generation (born before 1955, 1955–1984, from 1985): a name
# that fits the birth year keeps notes plausible and keeps surrogates from standing out.
_FRENCH_FIRST_NAMES: dict[tuple[Sex, int], tuple[str, ...]] = {
    (sex, generation): tuple(names[key])
    for sex, names in _NAMES["french_first_names"].items()
    for generation, key in enumerate(_GENERATIONS)
}

# Other origins common in France: one list per sex, all generations.
_FIRST_NAMES_BY_ORIGIN: dict[tuple[str, Sex], tuple[str, ...]] = {
    (origin, sex): tuple(names)
    for origin, fields in _ORIGINS.items()
    if origin != "france"
    for sex, names in fields["first_names"].items()
}

SURNAMES: dict[str, tuple[str, ...]] = {
    origin: tuple(fields["surnames"]) for origin, fields in _ORIGINS.items()
}

ORIGINS = tuple(SURNAMES)
_ORIGIN_WEIGHTS = tuple(fields["weight"] for fields in _ORIGINS.values())

_STREET_TYPES = tuple(_CONTACT["street_types"])
_STREET_NAMES = tuple(_CONTACT["street_names"])
_PERSONAL_MAIL_DOMAINS = tuple(_CONTACT["personal_mail_domains"])


def _hospital(line: int, name: str, postcode: str, domain: str) -> Hospital:
    """The postcode places the hospital in CITIES."""
    if postcode not in _CITY_BY_POSTCODE:
        raise content_error(
            "hospitals.csv", f"line {line}", f"no city with postcode {postcode} in cities.csv"
        )
    return Hospital(name, _CITY_BY_POSTCODE[postcode], domain)


HOSPITALS = tuple(
    _hospital(line, *row)
    for line, row in enumerate(load_table("hospitals.csv", ("name", "postcode", "domain")), start=2)
)


def generation(birth_year: int) -> int:
    """0, 1 or 2: the first-name generation of someone born that year."""
    return 0 if birth_year < 1955 else 1 if birth_year < 1985 else 2


def random_origin(rng: random.Random) -> str:
    return rng.choices(ORIGINS, _ORIGIN_WEIGHTS)[0]


def random_first_name(rng: random.Random, sex: Sex, birth_year: int, origin: str) -> str:
    if origin == "france":
        return rng.choice(_FRENCH_FIRST_NAMES[sex, generation(birth_year)])
    return rng.choice(_FIRST_NAMES_BY_ORIGIN[origin, sex])


def random_surname(rng: random.Random, origin: str) -> str:
    """A surname of that origin; one French surname in 25 is double ("Martin-Dubois")."""
    surname = rng.choice(SURNAMES[origin])
    if origin == "france" and rng.random() < 0.04:
        second = rng.choice(SURNAMES["france"])
        if " " not in surname + second and "'" not in surname + second and second != surname:
            return f"{surname}-{second}"
    return surname


def random_address(rng: random.Random, city: City) -> Address:
    number = str(rng.randint(1, 180))
    if rng.random() < 0.08:
        number += rng.choice((" bis", " ter"))
    return Address(f"{number} {rng.choice(_STREET_TYPES)} {rng.choice(_STREET_NAMES)}", city)


_CITIES_BY_ZONE = {
    zone: [city for city in CITIES if LANDLINE_PREFIX[city.department] == zone]
    for zone in _ZONE_DEPARTMENTS
}


def city_near(rng: random.Random, city: City) -> City:
    """A commune of the same landline zone: patients mostly live near their hospital."""
    return rng.choice(_CITIES_BY_ZONE[LANDLINE_PREFIX[city.department]])


def _digits(rng: random.Random, count: int) -> str:
    return f"{rng.randrange(10**count):0{count}d}"


def random_mobile(rng: random.Random) -> str:
    return rng.choice(("06", "07")) + _digits(rng, 8)


def random_landline(rng: random.Random, city: City) -> str:
    """A fixed line of the city's zone, or a "09" box line (not geographic) one time in ten."""
    prefix = "09" if rng.random() < 0.1 else LANDLINE_PREFIX[city.department]
    return prefix + _digits(rng, 10 - len(prefix))


def random_ipp(rng: random.Random) -> str:
    """Patient identifier: ten digits starting with 80, as in AP-HP's IPP."""
    return "80" + _digits(rng, 8)


def random_nda(rng: random.Random) -> str:
    """Stay (visit) number: nine digits."""
    return str(rng.randint(1, 9)) + _digits(rng, 8)


def random_rpps(rng: random.Random) -> str:
    """An 11-digit RPPS number: "10" + 8 digits + Luhn check digit."""
    body = "10" + _digits(rng, 8)
    return body + luhn.calc_check_digit(body)


def nir_place(birth_date: date, city: City | None, country: str = "") -> str:
    """NIR positions 6–10: the birth commune, "99" + country abroad, "20…" in Corsica pre-1976."""
    if city is None:
        return "99" + country
    if city.department in ("2A", "2B") and birth_date.year < 1976:
        return "20" + city.insee[2:]
    return city.insee


def make_nir(sex: Sex, birth_date: date, place: str, order: int) -> str:
    """A valid 15-character NIR: sex, yy, mm, place (5), order (3), key = 97 − (N mod 97)."""
    body = f"{'1' if sex == 'M' else '2'}{birth_date.year % 100:02d}{birth_date.month:02d}"
    body += f"{place}{order:03d}"
    numeric = body[:5] + {"2A": "19", "2B": "18"}.get(place[:2], place[:2]) + body[7:]
    return f"{body}{97 - int(numeric) % 97:02d}"


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: "d'Aubigny" → "daubigny"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if char.isascii() and char.isalnum())


def personal_email(rng: random.Random, first_name: str, surname: str, birth_year: int) -> str:
    first, last = ascii_fold(first_name), ascii_fold(surname)
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first[0]}.{last}",
            f"{first}{last}",
            f"{last}.{first}{birth_year % 100:02d}",
            f"{first}.{last}{birth_year}",
        )
    )
    return f"{local}@{rng.choice(_PERSONAL_MAIL_DOMAINS)}"


def professional_email(rng: random.Random, first_name: str, surname: str, domain: str) -> str:
    first, last = ascii_fold(first_name), ascii_fold(surname)
    local = rng.choice((f"{first}.{last}", f"{first}.{last}", f"{first[0]}{last}"))
    return f"{local}@{domain}"


# ---------------------------------------------------------------------------------------------
# Surface forms. Each style is a name a renderer can draw, so the formats stay listed in one
# place and tests can check that every produced string is one of them.

PHONE_STYLES = ("spaced", "dotted", "compact", "dashed", "intl", "intl_paren", "digits")


def format_phone(number: str, style: str) -> str:
    """ "0612345678" as "06 12 34 56 78", "+33 (0)6 12 34 56 78", "0 6 1 2 3 4 5 6 7 8"…"""
    pairs = [number[i : i + 2] for i in range(0, 10, 2)]
    if style == "spaced":
        return " ".join(pairs)
    if style == "dotted":
        return ".".join(pairs)
    if style == "compact":
        return number
    if style == "dashed":
        return "-".join(pairs)
    if style == "digits":
        return " ".join(number)
    national = " ".join([number[1], *pairs[1:]])
    return f"+33 {national}" if style == "intl" else f"+33 (0){national}"


NIR_STYLES = ("grouped", "compact", "key_apart", "digits")


def format_nir(nir: str, style: str) -> str:
    """ "184127505612345" as "1 84 12 75 056 123 45", "1841275056123 45", spaced digits…"""
    if style == "compact":
        return nir
    if style == "key_apart":
        return f"{nir[:13]} {nir[13:]}"
    if style == "digits":
        return " ".join(nir)
    parts = (nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:])
    return " ".join(parts)


MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
DATE_STYLES = ("slash", "dot", "dash", "short_year", "long", "weekday", "iso")
MONTH_STYLES = ("month_year", "numeric_month_year")


def format_date(day: date, style: str) -> str:
    """A date in one of DATE_STYLES ("12/03/2021", "1er mars 2021", …) or MONTH_STYLES."""
    if style == "slash":
        return day.strftime("%d/%m/%Y")
    if style == "dot":
        return day.strftime("%d.%m.%Y")
    if style == "dash":
        return day.strftime("%d-%m-%Y")
    if style == "short_year":
        return day.strftime("%d/%m/%y")
    if style == "iso":
        return day.isoformat()
    month = MONTHS[day.month - 1]
    if style == "month_year":
        return f"{month} {day.year}"
    if style == "numeric_month_year":
        return f"{day.month:02d}/{day.year}"
    long = f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {long}" if style == "weekday" else long
