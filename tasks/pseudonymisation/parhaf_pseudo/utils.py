"""Pseudonymisation tasks on PARHAF-pseudo-annotated (see README.md): the reports of the canonical
``parhaf_pseudo`` records cut into passages, and the family's scorer with PARHAF's label scheme
(``labels.PARHAF``: its labels, roles, the UNIDENTIFYING_DATE spans kept, the mapping to
eds-pseudo's labels), the scheme both cards name (``family_fields.labels``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.pseudonymisation.labels import SCHEMES
from partages_bench.families.pseudonymisation.task_functions import (
    detect_results,
    rewrite_results,
    rewrite_target,
    scheme_datasets,
)

SCHEME = SCHEMES["parhaf"]
# Passage length, in characters: at about 2.5 characters a token (the default model's tokenizer
# on French reports), a passage, a one-passage example with its answer and the
# instructions fit a 2,048-token context with the rewrite's 1,024-token answer budget.
PASSAGE_CHARS = 600


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    return scheme_datasets(load_splits("parhaf_pseudo", data_dir), SCHEME, PASSAGE_CHARS)


process_results_detect = detect_results(SCHEME)
process_results_rewrite = rewrite_results(SCHEME)
doc_to_target_rewrite = rewrite_target(SCHEME)
