"""The teaching family's name, in a module of its own so that the family's modules import it
without importing the family's package (no import cycle: tests/test_imports.py)."""

from __future__ import annotations

FAMILY_NAME = "teaching"
