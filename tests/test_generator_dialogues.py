"""Generated consultation dialogues: deterministic, stratified, phrasings from their own pool,
one self-contradiction whose fact is the correction, facts of the consultation family's shape,
and the task ``consultation_note_generated`` separating a note from its facts from another's."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from partages_bench.families.consultation.facts import check_fact
from partages_bench.families.consultation.scoring import fact_stats, mentions
from partages_bench.generator.clinical import SPECIALTIES
from partages_bench.generator.dialogues import QUESTIONS, generate_dialogue, generate_dialogues
from partages_bench.registry import Registry

SEED = 20261125
TASK_DIR = Path(__file__).resolve().parents[1] / "tasks" / "consultation" / "generated"


def _utils() -> Any:
    spec = importlib.util.spec_from_file_location("consultation_generated_utils",
                                                  TASK_DIR / "utils.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_dialogues_are_deterministic_and_stratified() -> None:
    first = generate_dialogues(12, SEED, "test")
    assert generate_dialogue(SEED, "test", 7) == first[7]
    assert {d["specialty"] for d in first[:6]} == set(SPECIALTIES)
    assert [d["self_contradiction"] for d in first[:3]] == ["allergy", "tobacco", "alcohol"]
    assert generate_dialogue(SEED, "dev", 0)["id"] == f"dlg-dev-{SEED}-00000"


def test_doctor_phrasings_come_from_the_dialogues_own_pool() -> None:
    for slot, pools in QUESTIONS.items():
        assert not set(pools["dev"]) & set(pools["test"]), slot
    for split, other in (("dev", "test"), ("test", "dev")):
        for dialogue in generate_dialogues(12, SEED, split):
            for turn in dialogue["turns"]:
                if turn["speaker"] != "doctor" or turn["slot"] == "recap":
                    continue
                assert turn["text"] in QUESTIONS[turn["slot"]][split]
                assert turn["text"] not in QUESTIONS[turn["slot"]][other]


def test_one_self_contradiction_and_the_fact_is_the_correction() -> None:
    for dialogue in generate_dialogues(12, SEED, "test"):
        slot = dialogue["self_contradiction"]
        corrections = [t for t in dialogue["turns"] if "je me suis trompé" in t["text"]]
        assert len(corrections) == 1
        first = next(
            t for t in dialogue["turns"] if t["speaker"] == "patient" and t["slot"] == slot
        )
        key = {"allergy": "allergy", "tobacco": "tobacco", "alcohol": "alcohol"}[slot]
        fact = next(f for f in dialogue["facts"] if f["key"].startswith(key))
        # the first answer says the opposite of the fact; the correction says the fact
        assert fact["polarity"] in mentions(corrections[0]["text"], fact)
        assert fact["polarity"] not in mentions(first["text"], fact) or (
            slot == "allergy" and fact["polarity"] == "affirmed"
        )
        for fact in dialogue["facts"]:
            check_fact(dialogue["id"], fact)
        assert "Patient : " in dialogue["transcript"] and "Médecin : " in dialogue["transcript"]


def test_a_note_believing_the_first_answer_is_a_contradiction() -> None:
    dialogue = generate_dialogue(SEED, "test", 1)  # tobacco contradicted
    tobacco = next(f for f in dialogue["facts"] if f["key"] == "tobacco")
    wrong = "Mode de vie : fumeur." if tobacco["polarity"] == "negated" else "Non-fumeur."
    right = "Mode de vie : non-fumeur." if tobacco["polarity"] == "negated" else "Fumeur."
    assert fact_stats(wrong, [tobacco])["contradiction_num"] == 1
    assert fact_stats(right, [tobacco])["fact_num"] == 1


def test_the_task_separates_a_note_from_its_facts_from_another_dialogues() -> None:
    card = Registry.discover().card("consultation_note_generated")
    assert card.family == "consultation" and card.dataset is None
    utils = _utils()
    documents = generate_dialogues(18, utils.GENERATED_SEED, "test")
    own = [utils.process_results(d, [utils.doc_to_target(d)])["stats"] for d in documents]
    other = [
        utils.process_results(d, [utils.doc_to_target(documents[(i + 1) % 18])])["stats"]
        for i, d in enumerate(documents)
    ]

    def pooled(rows: list[dict[str, float]], stat: str) -> float:
        return sum(r[f"{stat}_num"] for r in rows) / sum(r[f"{stat}_den"] for r in rows)

    assert pooled(own, "fact") > 0.95 > 0.5 > pooled(other, "fact")
    assert pooled(own, "contradiction") < pooled(other, "contradiction")
    assert pooled(own, "unsupported") < pooled(other, "unsupported")
