"""The consultation family on hand-written cases: mentions and polarity, fact recall and
contradictions, unsupported content (conditions included), sections, length; ``score
consultation`` (JSON out, one-line errors); the task ``labforsims2_note`` on the shared mirror
(its facts are what the committed script writes, and the metrics separate a note written from a
dialogue's facts from one written from another dialogue's)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_one_line_error, cli, write_jsonl

from partages_bench.families import get_family
from partages_bench.families.consultation.scoring import (
    AFFIRMED,
    NEGATED,
    TOPICS,
    fact_stats,
    headings,
    mentions,
    note_stats,
    required_sections,
    section_stats,
    unsupported_content,
)
from partages_bench.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
TASK = "labforsims2_note"


def _fact(key: str, topic: str, polarity: str, forms: list[list[str]], **extra: Any) -> dict:
    return {"id": key, "key": key, "topic": topic, "subtopic": extra.pop("subtopic", None),
            "text": key, "polarity": polarity, "forms": forms, **extra}  # fmt: skip


SMOKING = _fact("tabac", "lifestyle", NEGATED, [["tabac", "fume", "fumeuse", "fumeur"]])
FEVER = _fact("fievre", "present_illness", NEGATED, [["fievre", "febrile"]],
              negated_forms=["apyretique"])  # fmt: skip
POLLEN = _fact("pollen", "history", AFFIRMED, [["pollen"]], subtopic="allergy")
CHILDREN = _fact("enfants", "personal", AFFIRMED, [["2", "deux"], ["enfant", "enfants"]])
AGE = _fact("age", "personal", AFFIRMED, [["42"], ["ans"]], subtopic="age")
EPIGASTRIC = _fact("epigastre", "present_illness", AFFIRMED, [["epigastrique"]])


# --- mentions and polarity ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Non-fumeuse.", {NEGATED}),
        ("Tabac : non", {NEGATED}),
        ("Tabac : aucun.", {NEGATED}),
        ("Elle ne fume pas.", {NEGATED}),
        ("Elle fume 10 cigarettes par jour.", {AFFIRMED}),
        ("TABAC : sevré", {AFFIRMED}),  # no cue: a mention, affirmed
        ("Pas d'alcool, fumeuse.", {AFFIRMED}),  # the comma closes the negated clause
        ("Fumeuse, mais elle ne fume plus depuis un an.", {AFFIRMED, NEGATED}),
        ("Alcool occasionnel.", set()),
    ],
)
def test_polarity_of_a_mention_is_read_inside_its_clause(text: str, expected: set[str]) -> None:
    assert mentions(text, SMOKING) == expected


def test_negation_cues_before_after_and_negated_forms() -> None:
    assert mentions("Pas de fièvre ni de frissons.", FEVER) == {NEGATED}
    assert mentions("Patiente apyrétique.", FEVER) == {NEGATED}
    assert mentions("Fièvre à 39 °C.", FEVER) == {AFFIRMED}
    # a cue after the form negates only as « aucun(e) », « néant »… or a clause-ending « non »
    assert mentions("Douleur épigastrique sans irradiation.", EPIGASTRIC) == {AFFIRMED}
    assert mentions("Pas de douleur épigastrique.", EPIGASTRIC) == {NEGATED}
    assert mentions("Allergies : pollen (rhinite).", POLLEN) == {AFFIRMED}
    # the window is 5 tokens: « pas » 6 tokens before is too far
    assert mentions("pas un mot sur la journée fièvre", FEVER) == {AFFIRMED}
    assert mentions("pas sur la journée fièvre", FEVER) == {NEGATED}


def test_every_part_must_be_in_one_clause_as_whole_tokens() -> None:
    assert mentions("Mère de deux enfants.", CHILDREN) == {AFFIRMED}
    assert mentions("Deux frères ; enfants : aucun.", CHILDREN) == set()
    assert mentions("Patiente de 142 ans", AGE) == set()  # "42" is not in "142"
    assert mentions("Patiente de 42 ans", AGE) == {AFFIRMED}


# --- fact recall and contradictions ---------------------------------------------------------------


def test_fact_recall_per_topic_and_contradictions() -> None:
    facts = [SMOKING, FEVER, POLLEN, CHILDREN]
    note = "Mode de vie : fumeuse, deux enfants.\nAllergies : aucune.\nApyrétique."
    stats = fact_stats(note, facts)
    # stated: children, fever (negated as the patient said); smoking and pollen contradicted
    assert (stats["fact_num"], stats["fact_den"]) == (2, 4)
    assert (stats["contradiction_num"], stats["contradiction_den"]) == (1, 3)
    assert (stats["fact.lifestyle_num"], stats["fact.lifestyle_den"]) == (0, 1)
    assert (stats["fact.personal_num"], stats["fact.personal_den"]) == (1, 1)
    assert (stats["fact.reason_num"], stats["fact.reason_den"]) == (0, 0)  # zeros kept
    assert {key for key in stats if key.startswith("fact.")} == {
        f"fact.{topic}_{part}" for topic in TOPICS for part in ("num", "den")
    }


def test_pollen_denied_is_a_contradiction_and_not_a_recall() -> None:
    stats = fact_stats("Pas d'allergie au pollen.", [POLLEN])
    assert (stats["fact_num"], stats["contradiction_num"], stats["contradiction_den"]) == (0, 1, 1)
    silent = fact_stats("Motif : douleur abdominale.", [POLLEN])
    assert (silent["fact_num"], silent["contradiction_num"], silent["contradiction_den"]) == (
        0,
        0,
        0,
    )


def test_a_fact_said_both_ways_counts_as_stated_and_contradicted() -> None:
    stats = fact_stats("Non-fumeuse. Tabac : 10 paquets-années.", [SMOKING])
    assert (stats["fact_num"], stats["contradiction_num"], stats["contradiction_den"]) == (1, 1, 1)


def test_a_malformed_fact_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'x'"):
        fact_stats("note", [_fact("x", "lifestyle", AFFIRMED, [[]])])
    with pytest.raises(ValueError, match="topic or polarity"):
        fact_stats("note", [_fact("y", "cardiology", AFFIRMED, [["a"]])])


# --- unsupported content --------------------------------------------------------------------------


def test_unsupported_conditions_numbers_and_drugs() -> None:
    transcript = (
        "Médecin : Vous avez de la tension ?\nPatient : Non.\n"
        "Patient : J'ai 42 ans, j'ai pris du Doliprane hier."
    )
    supported = unsupported_content("42 ans. Pas d'hypertension. Doliprane.", transcript)
    # 42, hypertension (« tension »), doliprane: all supported
    assert (supported["unsupported_num"], supported["unsupported_den"]) == (0, 3)
    assert supported["unsupported_any"] == 0
    note = "45 ans. Diabète de type 2. Pas d'asthme. Kardégic 75 mg."
    stats = unsupported_content(note, transcript)
    # 45, 2, 75 mg (numbers), kardegic (drug), diabete and asthme (conditions): all unsupported
    assert (stats["unsupported_num"], stats["unsupported_den"]) == (6, 6)
    assert (stats["unsupported_condition_num"], stats["unsupported_condition_den"]) == (2, 2)
    assert stats["unsupported_any"] == 1


# --- sections and length --------------------------------------------------------------------------


def test_headings_with_markup_and_required_sections() -> None:
    note = (
        "## Motif de consultation\n**Histoire de la maladie :** douleur depuis hier\n"
        "1. Antécédents : appendicectomie\n- ATCD familiaux : aucun\n"
        "Allergies : pollen\n"
        "Le traitement habituel de la patiente est le paracétamol quand elle a mal\n"
    )
    # the last line has no ':' and more than 6 tokens: not a heading
    assert headings(note) == {"motif", "histoire", "antecedents", "allergies"}
    facts = [SMOKING, POLLEN, CHILDREN]
    assert required_sections(facts) == {"motif", "antecedents", "allergies", "mode_de_vie"}
    assert section_stats(note, facts) == {"section_num": 3.0, "section_den": 4.0}
    assert required_sections([]) == {"motif"}


def test_note_stats_removes_thinking_and_scores_a_blank_answer() -> None:
    stats = note_stats("<think>tabac ?</think>  ", [SMOKING], "Patient : je ne fume pas")
    assert stats["empty"] == 1 and stats["words"] == 0
    assert stats["fact_num"] == 0 and stats["section_num"] == 0 and stats["section_den"] == 2
    full = note_stats("Motif : douleur\nMode de vie : non-fumeuse", [SMOKING], "je ne fume pas")
    assert full["empty"] == 0 and full["words"] == 7 and full["fact_num"] == 1
    assert full["section_num"] == 2 and full["section_den"] == 2


# --- score consultation ---------------------------------------------------------------------------


def _gold(tmp_path: Path) -> Path:
    rows = [
        {"id": "a", "transcript": "Patient : je ne fume pas, j'ai 2 enfants",
         "facts": [SMOKING, CHILDREN]},
        {"id": "b", "transcript": "Patient : pas de fièvre", "facts": [FEVER]},
    ]  # fmt: skip
    return write_jsonl(tmp_path / "gold.jsonl", rows)


def test_score_consultation_prints_the_tasks_metrics_as_json(tmp_path: Path) -> None:
    gold = _gold(tmp_path)
    predictions = write_jsonl(
        tmp_path / "pred.jsonl",
        [{"id": "a", "output": "Motif : x\nMode de vie : fumeuse, 2 enfants"},
         {"id": "b", "output": "Histoire de la maladie : apyrétique, 39 °C"}],
    )  # fmt: skip
    result = cli("score", "consultation", "--task", TASK, "--gold", str(gold), "--predictions",
                 str(predictions), "--bootstrap", "20", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)[TASK]
    assert metrics["fact_recall"]["value"] == pytest.approx(2 / 3)
    assert metrics["fact_recall/label=lifestyle"]["value"] == 0
    assert metrics["contradiction_rate"]["value"] == pytest.approx(1 / 3)
    assert metrics["unsupported_rate"]["value"] == pytest.approx(1 / 2)  # 39 of {2, 39}
    assert metrics["section_coverage"]["value"] == pytest.approx(3 / 4)


@pytest.mark.parametrize(
    ("side", "rows", "words"),
    [
        ("predictions", [{"id": "a", "output": 3}], ("line 1", "output must be a string")),
        ("predictions", [{"id": "z", "output": ""}], ("line 1", "'z' is not in")),
        ("gold", [{"id": "a", "facts": []}], ("line 1", "missing field 'transcript'")),
        ("gold", [{"id": "a", "transcript": "", "facts": [{"id": "f"}]}],
         ("line 1", "no field 'topic'")),
        ("gold", [{"id": "a", "transcript": "", "facts": [{**SMOKING, "polarity": "yes"}]}],
         ("line 1", "polarity must be one of")),
        ("gold", [{"id": "zz", "transcript": ""}], ("line 1", "no facts for 'zz'")),
    ],
)  # fmt: skip
def test_bad_score_input_is_one_line_naming_the_file_and_line(
    tmp_path: Path, side: str, rows: list[Any], words: tuple[str, ...]
) -> None:
    files = {
        "gold": write_jsonl(tmp_path / "gold.jsonl", [{"id": "a", "transcript": "", "facts": []}]),
        "predictions": write_jsonl(tmp_path / "pred.jsonl", [{"id": "a", "output": ""}]),
    }
    files[side] = write_jsonl(tmp_path / f"bad_{side}.jsonl", rows)
    if side == "gold" and rows[0]["id"] == "zz":
        files["predictions"] = write_jsonl(tmp_path / "pred.jsonl", [{"id": "zz", "output": ""}])
    result = cli("score", "consultation", "--gold", str(files["gold"]), "--predictions",
                 str(files["predictions"]))  # fmt: skip
    assert_one_line_error(result, f"bad_{side}.jsonl", *words)


# --- the task on the shared mirror ----------------------------------------------------------------


def test_the_family_and_task_are_registered() -> None:
    family = get_family("consultation")
    assert family.score_command() is not None and not family.default_in_suite
    card = Registry.discover().card(TASK)
    assert card.family == "consultation" and card.dataset == "labforsims2_fr"
    assert card.primary_metric == "fact_recall" and card.licence == "CC-BY-SA-4.0"


def _module(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _facts_script() -> Any:
    return _module("labforsims2_facts", ROOT / "scripts" / "labforsims2_facts.py")


def test_committed_facts_are_what_the_script_writes(shared_data: Path) -> None:
    written = _facts_script().outputs(shared_data)
    folder = ROOT / "tasks" / "consultation" / TASK
    for name, text in written.items():
        assert (folder / name).read_text(encoding="utf-8") == text, name
    summary = json.loads(written["facts_summary.json"])
    assert summary["dialogues"] == 41 and summary["patient_answers"] == 884
    assert summary["facts"] == sum(summary["facts_by_derivation"].values())
    fixes = [json.loads(line) for line in written["code_fixes.jsonl"].splitlines()]
    assert {"turn": "p08010047", "answer": "7 et 9 ans.", "coded": "personal/age",
            "fixed": ["personal/children"]} in fixes  # fmt: skip


def test_derivation_reads_polarity_from_the_answer_or_the_question() -> None:
    script = _facts_script()
    stated, way = script.derive_answer("Vous fumez ?", "Non docteur")
    assert way == "question" and [(c.key, p) for c, p in stated] == [("tobacco", NEGATED)]
    stated, way = script.derive_answer(
        "Des signes ?", "Bah, j'ai pas vomi, mais j'avais la nausée."
    )
    assert way == "answer"
    assert {c.key: p for c, p in stated} == {"vomiting": NEGATED, "nausea": AFFIRMED}
    assert script.derive_answer("Vous avez pas de fièvre ?", "Ouais") == ([], "ambiguous")
    stated, _ = script.derive_answer("Antécédents ?", "Lithiase, non je ne souffre pas de ça")
    assert [(c.key, p) for c, p in stated] == [("gallstones", NEGATED)]


def _note(facts: list[dict[str, Any]]) -> str:
    sections = {"reason": "Motif", "present_illness": "Histoire de la maladie",
                "history": "Antécédents", "treatment": "Traitements",
                "lifestyle": "Mode de vie", "personal": "Mode de vie"}  # fmt: skip
    lines: dict[str, list[str]] = {}
    for fact in facts:
        section = "Allergies" if fact["subtopic"] == "allergy" else sections[fact["topic"]]
        lines.setdefault(section, []).append(fact["text"])
    return "\n".join(f"{section} : " + " ; ".join(texts) for section, texts in lines.items())


def test_metrics_separate_a_note_from_its_facts_from_another_dialogues(
    shared_data: Path, tmp_path: Path
) -> None:
    utils = _module("labforsims2_note_utils", ROOT / "tasks" / "consultation" / TASK / "utils.py")
    documents = utils.documents(shared_data)
    assert len(documents) == 41 and all(doc["facts"] for doc in documents)
    own = [utils.process_results(doc, [_note(doc["facts"])])["stats"] for doc in documents]
    other = [
        utils.process_results(doc, [_note(documents[(i + 1) % 41]["facts"])])["stats"]
        for i, doc in enumerate(documents)
    ]

    def pooled(rows: list[dict[str, float]], stat: str) -> float:
        return sum(r[f"{stat}_num"] for r in rows) / sum(r[f"{stat}_den"] for r in rows)

    assert pooled(own, "fact") > 0.95 > 0.6 > pooled(other, "fact")
    assert pooled(own, "unsupported") < pooled(other, "unsupported")
    assert pooled(own, "section") > pooled(other, "section")
