"""The consultation family: a consultation note (« observation médicale ») written from a
doctor–patient dialogue, scored model-free against the facts the patient stated: fact recall
(overall, per topic), contradictions (a fact with the wrong polarity), unsupported content
(numbers, dates, drugs and conditions the dialogue never mentions), section coverage, length.

The rules: ``scoring`` (module docstring); offline scoring: ``offline`` (``score
consultation``); the facts of LabForSims2: ``scripts/labforsims2_facts.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from partages_bench.family import Family


class ConsultationFamily(Family):
    name = "consultation"
    description = (
        "Consultation notes from dialogues: fact recall, contradictions, unsupported content, "
        "sections, length."
    )
    # Its first task is one standardised patient (a fictitious name); off the default suite
    # until its figures are reviewed (run it by name).
    default_in_suite = False

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command


FAMILY = ConsultationFamily()
