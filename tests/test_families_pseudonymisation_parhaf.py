"""PARHAF's label scheme in the pseudonymisation family (tasks parhaf_pseudo_detect and
parhaf_pseudo_rewrite): leaks per role, the statistics on eds-pseudo's labels through the one
mapping, UNIDENTIFYING_DATE kept, passages that never cut a gold span and sum back per report,
and ``score pseudonymisation --task``. Records are built here in the shared contract's schema
(canonical ``parhaf_pseudo`` records)."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO_ROOT, cli, write_jsonl
from typer.testing import CliRunner

from partages_bench.cli import app
from partages_bench.families.extraction import Span
from partages_bench.families.ner.scoring import SCHEMAS, match
from partages_bench.families.pseudonymisation import PseudonymisationCard
from partages_bench.families.pseudonymisation.labels import LABELS, PARHAF, SCHEMES
from partages_bench.families.pseudonymisation.note_stats import stat_keys
from partages_bench.families.pseudonymisation.offline import score_pseudonymisation
from partages_bench.families.pseudonymisation.schemes import (
    combine_passages,
    detect_stats,
    eds_view,
    identifiers,
)
from partages_bench.families.pseudonymisation.task_functions import (
    detect_results,
    rewrite_results,
    rewrite_target,
    scheme_datasets,
)
from partages_bench.registry import Registry
from partages_bench.schema import SampleRecord

STRICT = next(schema for schema in SCHEMAS if schema.name == "strict")
TASK_FOLDER = REPO_ROOT / "tasks" / "pseudonymisation" / "parhaf_pseudo"

TEXT = (
    "Compte rendu d'hospitalisation. Mme Claire MARTIN, née le 12/03/1961 au Portugal, "
    "domiciliée à Lyon, a été admise le 04/05/2023. Sa fille Julie DURAND (06 12 34 56 78) "
    "l'accompagne. Antécédents : appendicectomie en 1990. Vue par le Dr Paul BERNARD."
)
# (text, label, role) in text order; each text occurs once in TEXT.
GOLD = [
    ("Claire", "FIRST_NAME", "Patient"),
    ("MARTIN", "LAST_NAME", "Patient"),
    ("12/03/1961", "PATIENT_BIRTHDATE", None),
    ("Portugal", "COUNTRY", None),
    ("Lyon", "CITY", None),
    ("04/05/2023", "IDENTIFYING_DATE", None),
    ("Julie", "FIRST_NAME", "Carer"),
    ("DURAND", "LAST_NAME", "Carer"),
    ("06 12 34 56 78", "PHONE_NUMBER", None),
    ("1990", "UNIDENTIFYING_DATE", None),
    ("Paul", "FIRST_NAME", "Other"),
    ("BERNARD", "LAST_NAME", "Other"),
]
IDENTIFIERS = [(text, label) for text, label, _ in GOLD if label != "UNIDENTIFYING_DATE"]


def record(report: str = "r1", text: str = TEXT, gold: list[Any] = GOLD) -> dict[str, Any]:
    """A canonical parhaf_pseudo record (the shared contract): offsets, text, native label,
    role and entity_id (same label and text → same id)."""
    entities = []
    for mention, label, role in gold:
        start = text.index(mention)
        entities.append(
            {
                "start": start,
                "end": start + len(mention),
                "text": mention,
                "label": label,
                "role": role,
                "entity_id": f"{report}:{label}:{mention}",
            }
        )
    entities.sort(key=lambda e: (e["start"], e["end"], e["label"]))
    return {"id": report, "text": text, "speciality": "CARDIOLOGIE", "entities": entities}


def listing(items: list[tuple[str, str]]) -> str:
    return json.dumps([{"text": text, "label": label} for text, label in items])


def detect(items: list[tuple[str, str]] | str, note: dict[str, Any] | None = None) -> dict:
    answer = items if isinstance(items, str) else listing(items)
    return detect_results(PARHAF)(note or record(), [answer])["stats"]


def rewrite(output: str, note: dict[str, Any] | None = None) -> dict[str, float]:
    return rewrite_results(PARHAF)(note or record(), [output])["stats"]


def rate(stats: dict[str, float], stat: str) -> float:
    return stats[f"{stat}_num"] / stats[f"{stat}_den"]


MAPPED_GOLD = Counter(
    PARHAF.eds_pseudo[label] for _, label in IDENTIFIERS if PARHAF.eds_pseudo[label]
)


def test_gold_listing_is_perfect_on_native_roles_and_mapped_labels() -> None:
    stats = detect(IDENTIFIERS)
    assert set(stats) == set(stat_keys(PARHAF)) | {f"mapped_{k}" for k in stat_keys()}
    assert stats["leak_num"] == 0 and stats["leak_den"] == len(IDENTIFIERS)
    for role, count in (("Patient", 2), ("Carer", 2), ("Other", 2)):
        assert (stats[f"leak_role.{role}_num"], stats[f"leak_role.{role}_den"]) == (0, count)
    assert (stats["span_strict_tp"], stats["span_strict_fp"], stats["span_strict_fn"]) == (
        len(IDENTIFIERS),
        0,
        0,
    )
    # Through the mapping: COUNTRY has no counterpart, the 10 others are eds-pseudo's.
    assert stats["mapped_span_strict_tp"] == sum(MAPPED_GOLD.values()) == len(IDENTIFIERS) - 1
    assert stats["mapped_span_strict_fp"] == stats["mapped_span_strict_fn"] == 0
    assert stats["mapped_leak_num"] == 0 and stats["mapped_leak_den"] == 10
    for eds, count in MAPPED_GOLD.items():
        assert stats[f"mapped_leak.{eds}_den"] == count
    # The unidentifying date is no identifier: out of the gold, kept in place.
    assert (stats["kept_num"], stats["kept_den"]) == (1, 1)
    assert stats["unparsable"] == 0


def test_dropping_the_patients_last_name_leaks_half_the_patients_mentions() -> None:
    without = [item for item in IDENTIFIERS if item[0] != "MARTIN"]
    stats = detect(without)
    assert rate(stats, "leak_role.Patient") == 1 / 2
    assert stats["leak_role.Carer_num"] == stats["leak_role.Other_num"] == 0
    assert stats["leak_num"] == 1 and stats["leak.LAST_NAME_num"] == 1
    assert stats["mapped_leak.NOM_num"] == 1 and stats["mapped_leak.NOM_den"] == 3
    # Rewrite mode: the same when MARTIN alone is kept.
    output = TEXT
    for text, _ in without:
        output = output.replace(text, "X" * len(text))
    rewritten = rewrite(output)
    assert rate(rewritten, "leak_role.Patient") == 1 / 2
    assert rewritten["leak_num"] == 1 and rewritten["kept_num"] == 1


def test_a_wrong_label_costs_native_and_mapped_spans_as_the_mapping_says() -> None:
    right = detect(IDENTIFIERS)
    # MARTIN called a first name: LAST_NAME → FIRST_NAME, NOM → PRENOM through the mapping.
    swapped = detect([(t, "FIRST_NAME" if t == "MARTIN" else lab) for t, lab in IDENTIFIERS])
    assert swapped["span_strict.LAST_NAME_fn"] == 1 and swapped["span_strict.FIRST_NAME_fp"] == 1
    assert swapped["mapped_span_strict.NOM_fn"] == 1
    assert swapped["mapped_span_strict.PRENOM_fp"] == 1
    assert swapped["mapped_span_strict_tp"] == right["mapped_span_strict_tp"] - 1
    # Lyon called a country: a native error; through the mapping a missed VILLE, and no
    # false positive (COUNTRY has no counterpart).
    country = detect([(t, "COUNTRY" if t == "Lyon" else lab) for t, lab in IDENTIFIERS])
    assert country["span_strict.CITY_fn"] == 1 and country["span_strict.COUNTRY_fp"] == 1
    assert country["mapped_span_strict.VILLE_fn"] == 1
    assert country["mapped_span_strict_fp"] == 0
    # Redacted all the same: no leak in either case.
    assert swapped["leak_num"] == country["leak_num"] == country["mapped_leak_num"] == 0


def test_unidentifying_dates_are_kept_not_identifiers() -> None:
    listed = detect([*IDENTIFIERS, ("1990", "IDENTIFYING_DATE")])
    assert listed["span_strict_fp"] == 1 and listed["kept_num"] == 0
    assert listed["redact_fp"] >= 1  # its token is ordinary text redacted
    # A model that names it UNIDENTIFYING_DATE says it is no identifier: nothing redacted.
    named = detect([*IDENTIFIERS, ("1990", "UNIDENTIFYING_DATE")])
    assert named["kept_num"] == 1 and named["span_strict_fp"] == 0
    assert PARHAF.read("UNIDENTIFYING_DATE") is None


def test_malformed_answer_is_scored_as_an_empty_listing() -> None:
    malformed = detect("Je ne peux pas répondre à cette demande.")
    empty = detect([])
    assert malformed["unparsable"] == 1 and empty["unparsable"] == 0
    assert malformed["leak_num"] == malformed["leak_den"] == len(IDENTIFIERS)
    assert rate(malformed, "leak_role.Patient") == 1
    differing = {k for k in malformed if malformed[k] != empty[k]}
    assert differing == {"unparsable", "mapped_unparsable"}
    assert rewrite("")["unparsable"] == 1 and rewrite("")["leak_num"] == len(IDENTIFIERS)


def test_models_names_for_parhaf_labels() -> None:
    assert PARHAF.read("last name") == "LAST_NAME"
    assert PARHAF.read("NOM") == "LAST_NAME"  # eds-pseudo's name, one PARHAF label maps to it
    assert PARHAF.read("phone") == "PHONE_NUMBER"
    assert PARHAF.read("HOPITAL") is None  # no PARHAF label maps to it
    assert PARHAF.kind("PHONE_NUMBER") == "TEL" and PARHAF.kind("URL") == "URL"


def test_phone_compared_by_its_digits_as_eds_pseudo_tel() -> None:
    output = TEXT.replace("06 12 34 56 78", "06.12.34.56.78")
    assert rewrite(output)["leak.PHONE_NUMBER_num"] == 1


def _random_records(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Reports made of shuffled sentences of TEXT's kind, each sentence with its mentions."""
    sentences = [
        ("Mme Claire MARTIN est suivie pour une insuffisance cardiaque.", GOLD[:2]),
        ("Elle est née le 12/03/1961 au Portugal.", GOLD[2:4]),
        ("Elle habite à Lyon depuis longtemps.", GOLD[4:5]),
        ("Admission le 04/05/2023 pour dyspnée.", GOLD[5:6]),
        ("Sa fille Julie DURAND est joignable au 06 12 34 56 78.", GOLD[6:9]),
        ("Appendicectomie en 1990, sans suite.", GOLD[9:10]),
        ("Vue par le Dr Paul BERNARD en consultation.", GOLD[10:12]),
        ("Pas d'autre antécédent notable ; traitement par furosémide 40 mg.", []),
    ]
    records = []
    for index in range(n):
        chosen = rng.sample(sentences, rng.randint(3, len(sentences)))
        text = " ".join(sentence for sentence, _ in chosen)
        gold = [mention for _, mentions in chosen for mention in mentions]
        records.append(record(f"r{index}", text, gold))
    return records


def test_passages_never_cut_a_gold_span_and_counts_sum_back() -> None:
    rng = random.Random(20)
    records = _random_records(rng, 12)
    passages = scheme_datasets({"dev": records}, PARHAF, passage_chars=60)["dev"]
    by_report: dict[str, list[dict[str, Any]]] = {}
    for passage in passages:
        by_report.setdefault(passage["id"], []).append(passage)
        for entity in passage["entities"]:
            assert passage["text"][entity["start"] : entity["end"]] == entity["text"]
        for span in passage["kept_spans"]:
            assert passage["text"][span["start"] : span["end"]] == "1990"
    for note in records:
        pieces = by_report[note["id"]]
        assert len(pieces) > 1
        assert sum(len(p["entities"]) for p in pieces) == len(identifiers(note, PARHAF)["entities"])
        # Each passage answered with its own gold, then one with a name dropped.
        for drop in (None, "MARTIN"):
            gold = identifiers(note, PARHAF)["entities"]
            whole = detect([(e["text"], e["label"]) for e in gold if e["text"] != drop], note)
            scored = [
                SampleRecord(
                    doc_index=0,
                    doc_id=note["id"],
                    doc_hash="",
                    prompt="",
                    output="",
                    target="",
                    stats=detect(
                        [(e["text"], e["label"]) for e in p["entities"] if e["text"] != drop], p
                    ),
                )
                for p in pieces
            ]
            combined = combine_passages(scored).stats
            summed = [k for k in whole if re.match(r"(mapped_)?(leak|span_|kept|protect)", k)]
            assert {k: combined[k] for k in summed} == {k: whole[k] for k in summed}
            for key in ("doc_leak", "unparsable", "mapped_doc_leak", "redact_full_eds_num"):
                assert combined[key] == whole[key]


def test_mapped_strict_spans_agree_with_the_ner_matcher_on_random_listings() -> None:
    """The mapped strict span counts are the NER family's strict matcher's on the relabelled
    gold and listed spans."""
    rng = random.Random(7)
    labels = [*PARHAF.labels]
    for note in _random_records(rng, 30):
        gold = identifiers(note, PARHAF)["entities"]
        spans = [
            Span(e["start"], e["end"], rng.choice([e["label"], *labels]))
            for e in gold
            if rng.random() < 0.8
        ]
        stats = detect_stats(note, PARHAF, spans, True, 0, len(spans))
        mapped_gold = [
            Span(e["start"], e["end"], e["label"])
            for e in eds_view({"entities": gold}, PARHAF)["entities"]
        ]
        mapped_pred = [
            Span(s.start, s.end, PARHAF.eds_pseudo[s.label])
            for s in spans
            if PARHAF.eds_pseudo[s.label]
        ]
        counts = match(mapped_gold, mapped_pred, STRICT)
        assert (
            stats["mapped_span_strict_tp"],
            stats["mapped_span_strict_fp"],
            stats["mapped_span_strict_fn"],
        ) == (counts["cor"], counts["inc"] + counts["spu"], counts["inc"] + counts["mis"])


def test_rewrite_example_answer_uses_surrogates_of_the_mapped_label() -> None:
    note = identifiers(record(), PARHAF)
    target = rewrite_target(PARHAF)(note)
    assert "[COUNTRY]" in target and "1990" in target  # no counterpart; kept date stays
    assert "MARTIN" not in target and "06 12 34 56 78" not in target
    assert rewrite(target)["leak_num"] == 0


# --- the task folder ----------------------------------------------------------------------------


def _cards() -> list[Any]:
    registry = Registry.discover()
    return [registry.card("parhaf_pseudo_detect"), registry.card("parhaf_pseudo_rewrite")]


def test_cards_name_the_scheme_utils_scores_with() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("parhaf_utils", TASK_FOLDER / "utils.py")
    assert spec is not None and spec.loader is not None
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)
    for card in _cards():
        fields = PseudonymisationCard.model_validate(card.family_fields)
        assert SCHEMES[fields.labels] is utils.SCHEME is PARHAF
        assert card.breakdown == ["speciality"] and card.combine == "passages"
        assert card.doc_id_field == "id"
    detect_card, rewrite_card = _cards()
    shared = set(rewrite_card.metrics) - set(Registry.discover().card("pseudo_rewrite_eds").metrics)
    assert {"leak_rate_patient", "leak_rate_mapped", "unidentifying_date_kept"} <= shared
    assert all(detect_card.metrics[name] == rewrite_card.metrics[name] for name in shared)


def test_prompt_and_readme_give_every_label_and_the_one_mapping() -> None:
    import yaml

    config = yaml.safe_load(
        re.sub(r"!function \S+", "f", (TASK_FOLDER / "parhaf_pseudo_detect.yaml").read_text())
    )
    for label in (*PARHAF.labels, *PARHAF.kept):
        assert label in config["description"]
    readme = (TASK_FOLDER / "README.md").read_text()
    table = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+?) \| ([^|]+?) \|$", readme, re.MULTILINE)
    rows = {label: eds for label, eds, _ in table}
    for label, _, definition in table[:-1]:  # the prompt gives the README's definitions
        assert f"{label} ({definition})" in config["description"], definition
    assert table[-1][0] == "UNIDENTIFYING_DATE"
    for label in PARHAF.labels:
        eds = PARHAF.eds_pseudo[label]
        assert rows[label].strip() == (f"`{eds}`" if eds else "none"), label
    assert "kept" in rows["UNIDENTIFYING_DATE"]
    assert set(LABELS) - set(PARHAF.eds_pseudo.values()) == {
        "ZIP",
        "MAIL",
        "SECU",
        "IPP",
        "NDA",
        "HOPITAL",
    }


# --- score pseudonymisation --task ----------------------------------------------------------------


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "gold.jsonl", [record("r1"), record("r2")])


def test_score_task_reads_canonical_records_and_the_tasks_metrics(
    gold: Path, tmp_path: Path
) -> None:
    note = record()
    offsets = [
        {"start": e["start"], "end": e["end"], "label": e["label"]}
        for e in note["entities"]
        if e["label"] != "UNIDENTIFYING_DATE" and (e["text"] != "MARTIN")
    ]
    predictions = write_jsonl(
        tmp_path / "p.jsonl",
        [{"id": "r1", "entities": offsets}, {"id": "r2", "entities": offsets}],
    )
    results = score_pseudonymisation(gold, predictions, 0, 0, task="parhaf_pseudo_detect")
    card, metrics = results["detect"]
    assert card.name == "parhaf_pseudo_detect"
    assert metrics["leak_rate_patient"].value == 0.5
    assert metrics["leak_rate_carer"].value == 0
    assert metrics["leak_rate_mapped/label=NOM"].value == pytest.approx(1 / 3)
    assert metrics["unidentifying_date_kept"].value == 1
    assert metrics["leak_rate_patient/speciality=CARDIOLOGIE"].value == 0.5
    # score TASK: the same, by the task's name.
    files = ["--gold", str(gold), "--predictions", str(predictions)]
    by_name = CliRunner().invoke(
        app, ["score", "parhaf_pseudo_detect", *files, "--json", "--bootstrap", "100"]
    )
    assert by_name.exit_code == 0, by_name.output
    assert json.loads(by_name.stdout)["detect"]["leak_rate_patient"]["value"] == 0.5
    result = CliRunner().invoke(
        app,
        [
            "score",
            "pseudonymisation",
            "--task",
            "parhaf_pseudo_rewrite",
            "--gold",
            str(gold),
            "--predictions",
            str(
                write_jsonl(
                    tmp_path / "r.jsonl", [{"id": "r1", "text": TEXT}, {"id": "r2", "text": ""}]
                )
            ),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)["rewrite"]
    assert scored["leak_rate_patient"]["value"] == 1 and scored["empty_rate"]["value"] == 0.5


def test_score_task_refuses_other_labels_and_other_families(gold: Path, tmp_path: Path) -> None:
    from partages_bench.errors import UserError

    eds_gold = write_jsonl(
        tmp_path / "eds.jsonl",
        [{"id": "r1", "text": "Mme Dupont", "entities": [{"start": 4, "end": 10, "label": "NOM"}]}],
    )
    predictions = write_jsonl(tmp_path / "p.jsonl", [{"id": "r1", "entities": []}])
    with pytest.raises(UserError, match=r"entities\[0\]\.label 'NOM' is not one of"):
        score_pseudonymisation(eds_gold, predictions, 0, 0, task="parhaf_pseudo_detect")
    with pytest.raises(UserError, match="not pseudonymisation"):
        score_pseudonymisation(gold, predictions, 0, 0, task="e3c_fr")


def test_a_report_prediction_answers_each_of_its_passages() -> None:
    """A replayed report's entities (offsets into the report) answer each passage with those
    inside it; a rewritten report cannot be cut, one line says why."""
    from partages_bench.families.pseudonymisation import FAMILY
    from partages_bench.family import ReplayError

    detect_card, rewrite_card = _cards()
    note = record()
    passages = scheme_datasets({"dev": [note]}, PARHAF, passage_chars=60)["dev"]
    gold = [{k: e[k] for k in ("start", "end", "label")} for e in note["entities"]]
    for passage in passages:
        listed = json.loads(FAMILY.replay_output(detect_card, passage, {"entities": gold}))
        expected = [{"text": e["text"], "label": e["label"]} for e in passage["entities"]]
        kept = [
            {"text": passage["text"][s["start"] : s["end"]], "label": s["label"]}
            for s in passage["kept_spans"]
        ]
        assert sorted(listed, key=str) == sorted(expected + kept, key=str)
    with pytest.raises(ReplayError, match=r"a rewritten report .* cannot be cut"):
        FAMILY.replay_output(rewrite_card, passages[0], {"text": TEXT})


# --- the fixture snapshot (tests/fixtures/parhaf/parhaf_pseudo) -----------------------------------

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "parhaf"


@pytest.fixture
def fixture_data(tmp_path: Path) -> Path:
    """A copy of the fixture snapshot as a data dir (loading records checksums beside it)."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "parhaf_pseudo", data / "parhaf_pseudo")
    return data


def test_both_tasks_run_on_the_fixture_as_the_offline_scorer_scores_whole_reports(
    fixture_data: Path, tmp_path: Path
) -> None:
    """The rule baseline through ``run`` (passages, answers listed and grounded) and its
    answers to whole reports through ``score TASK`` give the same value for every metric: the
    passages sum back exactly."""
    from partages_bench.data import load_splits
    from partages_bench.families.pseudonymisation.offline import rule_prediction

    output = tmp_path / "run"
    tasks = "parhaf_pseudo_detect,parhaf_pseudo_rewrite"
    replay = ["--model", "replay", "--model-args", "baseline=pseudo-rules", "--tasks", tasks]
    result = cli("run", *replay, "--data-dir", str(fixture_data), "--output", str(output))
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((output / "report.json").read_text())["tasks"]
    dev = load_splits("parhaf_pseudo", fixture_data)["dev"]
    assert max(len(note["text"]) for note in dev) > 2 * 600  # one report makes passages
    gold = write_jsonl(tmp_path / "dev.jsonl", dev)
    answers = [{"id": note["id"], **rule_prediction(note["text"])} for note in dev]
    predictions = write_jsonl(tmp_path / "rules.jsonl", answers)
    for card in _cards():
        task = report[card.name]
        assert task["split"] == "dev" and task["n_samples"] == len(dev)
        metrics = {name: value["value"] for name, value in task["metrics"].items()}
        assert set(card.metrics) <= set(metrics)
        for note in dev:
            assert f"leak_rate/speciality={note['speciality']}" in metrics
        # Regexes find no names: every person's name leaks, the patient's first.
        assert metrics["leak_rate_patient"] == metrics["leak_rate_mapped/label=NOM"] == 1
        ((_, (_, scored)),) = score_pseudonymisation(
            gold, predictions, 100, 0, task=card.name
        ).items()
        assert {name: value.value for name, value in scored.items()} == pytest.approx(metrics)


def test_every_passage_prompt_fits_a_2048_token_context(
    fixture_data: Path, tiny_model: Path
) -> None:
    """The longest dev passage of the fixture (its long report cut), after the longest
    few-shot example its task can draw, with the instructions and the answer budget, fits in a
    2,048-token context with the default model's tokenizer; so does each gold answer."""
    from lm_eval.tasks import TaskManager, get_task_dict
    from transformers import AutoTokenizer

    from partages_bench.taskfiles import builtin_tasks_dir

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)

    def tokens(text: str) -> int:
        return len(tokenizer(text)["input_ids"])

    manager = TaskManager(
        include_path=[str(builtin_tasks_dir())],
        include_defaults=False,
        metadata={"data_dir": fixture_data},
    )
    tasks = get_task_dict(["parhaf_pseudo_detect", "parhaf_pseudo_rewrite"], manager)
    for name, task in tasks.items():
        config = task.config
        examples = [
            f"{config.doc_to_text(doc)}{config.target_delimiter}{config.doc_to_target(doc)}"
            for doc in task.training_docs()
        ]
        longest = max(tokens(config.doc_to_text(doc)) for doc in task.test_docs())
        budget = config.generation_kwargs["max_gen_toks"]
        total = tokens(config.description) + max(map(tokens, examples)) + longest + budget
        assert total <= 2048, (name, total)
        assert max(tokens(config.doc_to_target(doc)) for doc in task.test_docs()) <= budget
        assert len(task.test_docs()) > len({doc["id"] for doc in task.test_docs()})  # passages


@pytest.mark.e2e
def test_real_default_model_on_both_tasks(fixture_data: Path, tmp_path: Path) -> None:
    """The real model's listings and rewrites of the fixture's passages go through parsing,
    grounding and scoring; every prompt fits the context."""
    output = tmp_path / "run"
    tasks = ["--tasks", "parhaf_pseudo_detect,parhaf_pseudo_rewrite", "--limit", "2"]
    tasks += ["--max-length", "2048"]  # the passages are sized for it
    result = cli(
        "run",
        "--model",
        "default",
        *tasks,
        "--data-dir",
        str(fixture_data),
        "--output",
        str(output),
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((output / "report.json").read_text())["tasks"]
    for card in _cards():
        task = report[card.name]
        assert task["context_check"].startswith("every prompt fits 2048"), task["context_check"]
        assert set(card.metrics) <= set(task["metrics"])
        for value in task["metrics"].values():
            assert value["ci_low"] <= value["value"] <= value["ci_high"]
