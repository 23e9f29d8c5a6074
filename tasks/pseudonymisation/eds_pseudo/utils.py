"""Pseudonymisation tasks on AP-HP's eds-pseudo fictitious notes: the notes (see README.md);
prompts and scores are the family's (``partages_bench.families.pseudonymisation``, named by the
mode templates). The loader calls the family's ``note_datasets`` as ``_datasets``, the name its
source (part of the task hash) has always called."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.pseudonymisation.task_functions import note_datasets as _datasets


def load_eds_pseudo(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    return _datasets(load_splits("eds_pseudo_synthetic", data_dir))
