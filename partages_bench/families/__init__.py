"""The registry of task families: the built-in ones and those other packages add.

A family is a ``partages_bench.family.Family`` instance exposed as ``FAMILY`` by a module or
package. The built-in families are listed in ``BUILTIN`` below, in the order lists and the
leaderboard show them; another package adds one through the entry point group
``partages_bench.families`` (``name = "package.module:FAMILY"``), with no edit here. The family
list is this registry: every other module asks it (``family_names``, ``get_family``).

Loading a family imports only its descriptor (a package ``__init__`` with its facts); its
scoring code is imported by its tasks and hooks when they run.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import entry_points

from partages_bench.errors import UserError
from partages_bench.family import Family

ENTRY_POINT_GROUP = "partages_bench.families"
BUILTIN = (
    "partages_bench.families.qa",
    "partages_bench.families.summarisation",
    "partages_bench.families.ner",
    "partages_bench.families.pseudonymisation",
    "partages_bench.families.classification",
    "partages_bench.families.structuring",
    "partages_bench.families.consultation",
    "partages_bench.families.teaching",
    "partages_bench.families.coding",
    "partages_bench.families.oncology",
)


class FamilyError(UserError):
    """A family that cannot be loaded, or two with one name: one line naming the entry point."""


def _checked(family: object, where: str) -> Family:
    if isinstance(family, type) and issubclass(family, Family):
        family = family()
    if not isinstance(family, Family):
        raise FamilyError(f"{where}: is not a partages_bench.family.Family")
    name = getattr(family, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise FamilyError(f"{where}: name {name!r} is not an identifier")
    return family


@cache
def families() -> dict[str, Family]:
    """Every family by name: the built-in ones first, then the entry points' by name."""
    found: dict[str, tuple[Family, str]] = {}
    loaded = [(module, lambda m=module: import_module(m).FAMILY) for module in BUILTIN]
    plugins = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda point: point.name)
    loaded += [(f"entry point {point.name} = {point.value}", point.load) for point in plugins]
    for where, load in loaded:
        try:
            family = _checked(load(), where)
        except FamilyError:
            raise
        except Exception as exc:  # a broken plugin: say which, never a traceback
            raise FamilyError(f"{where}: cannot be loaded ({type(exc).__name__}: {exc})") from None
        if family.name in found:
            raise FamilyError(
                f"{where}: family '{family.name}' is already defined by {found[family.name][1]}"
            )
        found[family.name] = (family, where)
    return {name: family for name, (family, _) in found.items()}


def family_names() -> tuple[str, ...]:
    return tuple(families())


def get_family(name: str) -> Family:
    """The family of that name; an unknown one is one error listing the known ones."""
    known = families()
    if name not in known:
        raise FamilyError(f"unknown family '{name}'; known families: {', '.join(known)}")
    return known[name]


def find_family(name: str) -> Family | None:
    """The family of that name, or None (a report written where a plugin was installed, read
    where it is not)."""
    return families().get(name)


def unaggregated(values: list[object]) -> float:
    """lm-eval ``aggregation`` for a metric whose per-sample value is a dict of statistics: we
    aggregate those ourselves (with bootstrap CIs); lm-eval's own number would mean nothing."""
    return float("nan")
