"""NER tasks: passages, prompts that fit, lm-eval runs and offline scoring on real data."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import cli, write_jsonl

from partages_bench.data import load_splits
from partages_bench.families.ner.scoring import split_passages
from partages_bench.registry import Registry, builtin_tasks_dir
from partages_bench.schema import UMLS_GROUPS

NER_TASKS = ("e3c_fr", "quaero_emea", "quaero_medline", "mantra_gsc_fr")
NER_DATASETS = ("e3c_fr", "quaero_frenchmed", "mantra_gsc_fr")
# lm-eval's API backends cut prompts to max_length (2048 tokens by default) minus max_gen_toks.
SMALLEST_CONTEXT = 2048


def test_the_ner_family_lists_its_tasks() -> None:
    cards = [card for card in Registry.discover().cards.values() if card.family == "ner"]
    # parhaf_infectiology: tests/test_families_ner_attribute.py
    assert sorted(card.name for card in cards) == sorted((*NER_TASKS, "parhaf_infectiology"))
    for card in cards:
        # The family template's metric block is merged into every task's own card.
        assert card.combine == "passages"
        assert {"partial_f1", "type_macro_recall", "hallucination_rate"} <= set(card.metrics)
        if card.name in NER_TASKS:
            assert card.primary_metric == "strict_f1"


def test_umls_instructions_define_every_group() -> None:
    template = builtin_tasks_dir() / "ner" / "_umls_groups_template_yaml"
    description = yaml.safe_load(template.read_text(encoding="utf-8"))["description"]
    assert tuple(re.findall(r"^- ([A-Z]{4}) :", description, re.MULTILINE)) == UMLS_GROUPS


@pytest.mark.parametrize("dataset", NER_DATASETS)
def test_passages_keep_every_entity_with_its_offsets(shared_data: Path, dataset: str) -> None:
    for split, docs in load_splits(dataset, shared_data).items():
        for doc in docs:
            passages = split_passages(doc, 400)
            assert sum(len(p["entities"]) for p in passages) == len(doc["entities"])
            for passage in passages:
                start = passage["offset"]
                assert doc["text"][start : start + len(passage["text"])] == passage["text"]
                for entity in passage["entities"]:
                    moved = doc["text"][start + entity["start"] : start + entity["end"]]
                    assert passage["text"][entity["start"] : entity["end"]] == moved, split


def test_a_passage_is_never_cut_inside_an_entity() -> None:
    text = "Un mot. " * 10 + "une très longue entité sans point " * 5 + "fin."
    entity_start = text.index("une très")
    doc = {
        "id": "d",
        "text": text,
        "entities": [{"start": entity_start, "end": len(text) - 5, "label": "DISO"}],
    }
    passages = split_passages(doc, 60)
    holding = [p for p in passages if p["entities"]]
    assert len(holding) == 1 and len(holding[0]["text"]) > 60  # longer, never cut
    assert all(len(p["text"]) <= 60 for p in passages if not p["entities"])
    assert "".join(p["text"] for p in passages).replace(" ", "") == text.strip().replace(" ", "")


def _task_dict(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from lm_eval.tasks import TaskManager, get_task_dict

    monkeypatch.setenv("PARTAGES_BENCH_DATA", str(shared_data))
    manager = TaskManager(include_path=[str(builtin_tasks_dir())], include_defaults=False)
    return get_task_dict(list(NER_TASKS), manager)


def test_no_prompt_can_be_truncated(
    shared_data: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The longest test passage, after the longest few-shot examples its task can draw, plus
    the answer budget, fits in the smallest context lm-eval assumes (SmolLM2's tokenizer)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    for name, task in _task_dict(shared_data, monkeypatch).items():
        config = task.config

        def tokens(text: str) -> int:
            return len(tokenizer(text)["input_ids"])

        def example(doc: dict[str, Any], config: Any = config) -> str:
            target = config.doc_to_target(doc)
            return f"{config.doc_to_text(doc)}{config.target_delimiter}{target}"

        longest_shots = sorted(map(tokens, map(example, task.training_docs())))
        shots = sum(longest_shots[-config.num_fewshot :])
        longest = max(tokens(config.doc_to_text(doc)) for doc in task.test_docs())
        budget = config.generation_kwargs["max_gen_toks"]
        total = tokens(config.description) + shots + longest + budget
        assert total <= SMALLEST_CONTEXT, (name, total)
        # ... and the answer budget holds the gold answer of the densest passage.
        assert max(tokens(config.doc_to_target(doc)) for doc in task.test_docs()) <= budget


GOLD = [
    {
        "doc_id": "a",
        "text": "Métastases hépatiques d'un cancer colorectal.",
        "entities": [
            {"start": 0, "end": 21, "label": "DISO"},
            {"start": 11, "end": 21, "label": "ANAT"},
            {"start": 27, "end": 44, "label": "DISO"},
        ],
    },
    {
        "doc_id": "b",
        "text": "Fièvre et toux.",
        "entities": [{"start": 0, "end": 6, "label": "DISO"}],
    },
]


def test_offline_scoring_takes_offsets_or_texts(tmp_path: Path) -> None:
    gold = write_jsonl(tmp_path / "gold.jsonl", GOLD)
    predictions = write_jsonl(
        tmp_path / "predictions.jsonl",
        [
            {
                "doc_id": "a",
                "entities": [
                    {"text": "métastases hépatiques", "label": "diso"},
                    {"text": "cancer", "label": "DISO"},
                    {"text": "tumeur", "label": "DISO"},
                ],
            },
            {
                "doc_id": "b",
                "entities": [
                    {"start": 0, "end": 6, "label": "DISO"},
                    {"start": 10, "end": 14, "label": "DISO"},
                ],
            },
        ],
    )
    result = cli(
        "score",
        "ner",
        "--gold",
        str(gold),
        "--predictions",
        str(predictions),
        "--json",
        timeout=None,
    )
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    # strict: COR 2 (a, b), INC 1 ("cancer" inside "cancer colorectal"), SPU 2 ("tumeur", "toux")
    # MIS 1 (ANAT "hépatiques"): P = 2/5, R = 2/4.
    assert scores["strict"]["precision"]["micro"]["value"] == pytest.approx(0.4)
    assert scores["strict"]["recall"]["micro"]["value"] == pytest.approx(0.5)
    assert scores["strict"]["f1"]["ANAT"]["value"] == 0.0
    # partial: "cancer" earns half: (2 + 0.5) / 5
    assert scores["partial"]["precision"]["micro"]["value"] == pytest.approx(0.5)
    assert set(scores["type"]["f1"]) == {"micro", "macro", "ANAT", "DISO"}
    assert scores["hallucination_rate"]["value"] == pytest.approx(1 / 5)


def test_offline_scoring_names_the_bad_record(tmp_path: Path) -> None:
    gold = write_jsonl(tmp_path / "gold.jsonl", GOLD)
    predictions = write_jsonl(
        tmp_path / "predictions.jsonl",
        [
            {"doc_id": "a", "entities": []},
            {"doc_id": "b", "entities": [{"start": 3, "end": 99, "label": "DISO"}]},
        ],
    )
    result = cli(
        "score", "ner", "--gold", str(gold), "--predictions", str(predictions), timeout=None
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "predictions.jsonl doc 'b': entities[0] has bad offsets 3-99" in result.stderr


def test_offline_scoring_counts_a_repeated_span_as_nervaluate_does(tmp_path: Path) -> None:
    """Issue 17: gold 2 spans, prediction 3 with one repeated; once merged before scoring (P =
    1.0), now spurious as in nervaluate (strict P = 2/3), by offsets or by texts."""
    from nervaluate import Evaluator

    from partages_bench.families.ner.offline import score_ner

    reference = Evaluator(
        [[{"label": "DISO", "start": 0, "end": 5}, {"label": "DISO", "start": 10, "end": 13}]],
        [[{"label": "DISO", "start": s, "end": e} for s, e in ((0, 5), (0, 5), (10, 13))]],
        tags=["DISO"],
        loader="dict",
    ).evaluate()["overall"]["strict"]
    assert reference.precision == pytest.approx(2 / 3)
    two_spans = [
        {**GOLD[1], "entities": [*GOLD[1]["entities"], {"start": 10, "end": 14, "label": "DISO"}]}
    ]
    gold = write_jsonl(tmp_path / "gold.jsonl", two_spans)
    repeated = [
        [{"start": 0, "end": 6, "label": "DISO"}] * 2 + [{"start": 10, "end": 14, "label": "DISO"}],
        [{"text": "Fièvre", "label": "DISO"}] * 2 + [{"text": "toux", "label": "DISO"}],
    ]
    for entities in repeated:
        predictions = write_jsonl(tmp_path / "p.jsonl", [{"doc_id": "b", "entities": entities}])
        _, metrics = score_ner(gold, predictions, 0, 0)
        assert metrics["strict_precision"].value == pytest.approx(reference.precision)
        assert metrics["strict_recall"].value == reference.recall == 1.0
