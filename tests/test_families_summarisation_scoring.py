"""Summarisation scoring: French ROUGE (agrees with rouge-score on ASCII), BERTScore (agrees with
bert_score.score), key-fact recall, unsupported content and length, on hand-made French cases."""

from __future__ import annotations

import importlib.metadata
import json
import math
import random
import shutil
import socket
import time
from pathlib import Path

import bert_score
import huggingface_hub.constants
import pytest
from rouge_score import rouge_scorer

from partages_bench.families.summarisation import scoring as summarisation
from partages_bench.families.summarisation.scoring import (
    BERTSCORE_KEYS,
    ROUGE_TYPES,
    BertScorer,
    DrugLexicon,
    FrenchTokenizer,
    key_fact_stats,
    length_stats,
    load_bertscorer,
    rouge,
    unsupported_stats,
)

# --- ROUGE ----------------------------------------------------------------------------------


def test_french_tokenizer_keeps_accents_and_splits_elisions() -> None:
    tokens = FrenchTokenizer().tokenize("L'artère ﬁbreuse, l’Œdème : 5mg à 1,5 ÉTÉ")
    assert tokens == ["l", "artère", "fibreuse", "l", "oedème", "5mg", "à", "1", "5", "été"]


def test_rouge_does_not_drop_accented_letters() -> None:
    reference, prediction = "réaction sévère", "séance brève"
    assert rouge(reference, prediction) == dict.fromkeys(ROUGE_TYPES, 0.0)
    # rouge-score's default tokenizer deletes "é", "è": "s ance br ve" shares "s" with
    # "r action s v re".
    default = rouge_scorer.RougeScorer(["rouge1"]).score(reference, prediction)
    assert default["rouge1"].fmeasure > 0


def test_rouge_equals_rouge_score_on_plain_ascii() -> None:
    rng = random.Random(20240612)
    vocabulary = ["patient", "dose", "mg", "5", "fievre", "traitement", "le", "la", "de", "j2"]
    default = rouge_scorer.RougeScorer(list(ROUGE_TYPES))
    for _ in range(300):
        reference, prediction = (
            " ".join(rng.choices(vocabulary, k=rng.randint(0, 25))) for _ in range(2)
        )
        ours = rouge(reference, prediction)
        theirs = default.score(reference, prediction)
        for name in ROUGE_TYPES:
            assert ours[name] == pytest.approx(theirs[name].fmeasure, abs=1e-12)


def test_rouge_spells_out_ligatures() -> None:
    """œ and æ are two letters each: "cœur" and "coeur" are one word (the README's rule)."""
    assert rouge("cœur et ex æquo", "coeur et ex aequo") == dict.fromkeys(ROUGE_TYPES, 1.0)


def test_rouge_is_one_for_the_same_text() -> None:
    text = "Mme X., 67 ans, hospitalisée pour œdème aigu du poumon."
    assert rouge(text, text) == dict.fromkeys(ROUGE_TYPES, 1.0)


# --- BERTScore --------------------------------------------------------------------------------

_LAYERS = 1
_CANDIDATES = [
    "Le patient présente une fièvre sévère.",
    "Traitement par amlodipine 5 mg, bien toléré.",
    "Insuffisance rénale sévère.",
    "la patiente est hospitalisée le 12 avril 2023",
    "une réaction à J2",
]
_REFERENCES = [
    "Patient hospitalisé pour fièvre.",
    "amlodipine 10 mg",
    "Réaction sévère sous traitement.",
    "hospitalisée en avril 2023 pour une insuffisance rénale",
    "réaction sévère",
]


@pytest.fixture
def baseline_file(tmp_path: Path) -> Path:
    """A rescaling baseline in bert_score's format: one row of P, R, F per layer."""
    path = tmp_path / "baseline.tsv"
    path.write_text("LAYER,P,R,F\n0,0.5,0.4,0.45\n1,0.6,0.55,0.58\n2,0.7,0.65,0.68\n")
    return path


@pytest.mark.parametrize(
    "options",
    [{}, {"idf": True}, {"rescale": True}],
    ids=["plain", "idf", "rescaled"],
)
def test_bertscore_equals_bert_score(
    tiny_bert: Path, baseline_file: Path, options: dict[str, bool]
) -> None:
    rescale = options.get("rescale", False)
    baseline = {"baseline_path": str(baseline_file)} if rescale else {}
    scorer = BertScorer(str(tiny_bert), num_layers=_LAYERS, batch_size=2, **options, **baseline)
    ours = scorer.score(_CANDIDATES, _REFERENCES)
    theirs = bert_score.score(
        _CANDIDATES,
        _REFERENCES,
        model_type=str(tiny_bert),
        num_layers=_LAYERS,
        batch_size=2,
        device="cpu",
        idf=options.get("idf", False),
        lang="fr" if rescale else None,
        rescale_with_baseline=rescale,
        **baseline,
    )
    for key, column in zip(BERTSCORE_KEYS, theirs, strict=True):
        assert [item[key] for item in ours] == pytest.approx(column.tolist(), abs=1e-6)
    assert len({round(item["bertscore_f1"], 6) for item in ours}) > 1  # not a constant


def test_bertscore_of_a_blank_text_is_zero_then_rescaled(
    tiny_bert: Path, baseline_file: Path
) -> None:
    plain = BertScorer(str(tiny_bert), num_layers=_LAYERS)
    scores = plain.score(["", _CANDIDATES[0], "  "], [_REFERENCES[0], _REFERENCES[0], ""])
    assert scores[0] == scores[2] == dict.fromkeys(BERTSCORE_KEYS, 0.0)
    assert scores[1] == pytest.approx(plain.score(_CANDIDATES[:1], _REFERENCES[:1])[0])
    rescaled = BertScorer(
        str(tiny_bert), num_layers=_LAYERS, rescale=True, baseline_path=str(baseline_file)
    )
    # Layer 1's baseline: P 0.6, R 0.55, F 0.58; (0 − b) / (1 − b).
    expected = [-0.6 / 0.4, -0.55 / 0.45, -0.58 / 0.42]
    assert list(rescaled.score([""], ["réaction"])[0].values()) == pytest.approx(expected)
    assert rescaled.score([], []) == []


def test_bertscore_description(tiny_bert: Path) -> None:
    description = BertScorer(str(tiny_bert), num_layers=_LAYERS, idf=True).description
    assert description == {
        "model": str(tiny_bert),
        "num_layers": "1",
        "idf": "true",
        "rescale_with_baseline": "false",
        "baseline": "",
        "bert_score": importlib.metadata.version("bert-score"),
        "hash": description["hash"],
    }
    assert description["hash"].startswith(f"{tiny_bert}_L1_idf_version={bert_score.__version__}")


def test_bertscore_configuration_errors_name_the_option(tiny_bert: Path) -> None:
    with pytest.raises(ValueError, match="num_layers"):
        BertScorer(str(tiny_bert))
    with pytest.raises(ValueError, match="baseline_path"):
        BertScorer(str(tiny_bert), num_layers=_LAYERS, rescale=True)
    with pytest.raises(ValueError, match="2 predictions for 1 references"):
        BertScorer(str(tiny_bert), num_layers=_LAYERS).score(["a", "b"], ["a"])


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.mark.usefixtures("offline")
def test_load_bertscorer_gives_a_reason_instead_of_failing(tmp_path: Path) -> None:
    absent = str(tmp_path / "absent")
    assert load_bertscorer(absent, num_layers=1) == f"cannot load {absent!r}: no such folder"
    started = time.perf_counter()
    missing_id = load_bertscorer("partages-bench-tests/no-such-model", num_layers=1)
    assert time.perf_counter() - started < 0.5  # not bert_score's ~40 s of retries
    assert missing_id == (
        "cannot load 'partages-bench-tests/no-such-model': offline (HF_HUB_OFFLINE is set) and "
        "not in the Hugging Face cache"
    )


def test_load_bertscorer_without_network_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not offline by configuration, but nothing answers: one refused request, no retries."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("PARTAGES_BENCH_OFFLINE")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.perf_counter()
    reason = load_bertscorer("partages-bench-tests/no-such-model", num_layers=1)
    assert time.perf_counter() - started < 1.0
    assert isinstance(reason, str)
    assert reason.startswith(
        f"cannot load 'partages-bench-tests/no-such-model': http://127.0.0.1:{port} unreachable ("
    )
    assert reason.endswith("and not in the Hugging Face cache")
    monkeypatch.setenv("PARTAGES_BENCH_OFFLINE", "1")
    assert load_bertscorer("partages-bench-tests/no-such-model", num_layers=1) == (
        "cannot load 'partages-bench-tests/no-such-model': offline (PARTAGES_BENCH_OFFLINE "
        "forbids downloads) and not in the Hugging Face cache"
    )


@pytest.mark.usefixtures("offline")
def test_load_bertscorer_defaults_to_bert_scores_french_model(
    monkeypatch: pytest.MonkeyPatch, tiny_bert: Path
) -> None:
    assert load_bertscorer(None) == (
        "cannot load 'bert-base-multilingual-cased': offline (HF_HUB_OFFLINE is set) and not in "
        "the Hugging Face cache"
    )

    def not_cached(model_type: str, **options: object) -> BertScorer:
        raise OSError(f"{model_type} is not cached\nsecond line")

    # A model the quick check lets through whose loading fails: the first line of the error.
    monkeypatch.setattr(summarisation, "_unreachable", lambda model_type: None)
    monkeypatch.setattr(summarisation, "BertScorer", not_cached)
    reason = load_bertscorer(None)
    assert reason == (
        "cannot load 'bert-base-multilingual-cased' (offline: HF_HUB_OFFLINE is set): "
        "bert-base-multilingual-cased is not cached"
    )
    assert bert_score.utils.model2layers["bert-base-multilingual-cased"] == 9
    monkeypatch.undo()
    assert isinstance(load_bertscorer(str(tiny_bert), num_layers=_LAYERS), BertScorer)


# --- key facts ------------------------------------------------------------------------------

TYPES = ("traitement", "date", "diagnostic", "examen")
DRUG = {
    "id": "f1",
    "type": "traitement",
    "text": "amlodipine 5 mg",
    "forms": [["amlodipine", "Amlor"], ["5 mg", "5mg"]],
}
DATE = {
    "id": "f2",
    "type": "date",
    "text": "12 avril 2023",
    "forms": [["12/04/2023", "12 avril 2023", "2023-04-12"]],
}
DIAGNOSIS = {
    "id": "f3",
    "type": "diagnostic",
    "text": "insuffisance rénale",
    "forms": [["insuffisance rénale", "IRC"]],
}


def _present(summary: str, fact: dict) -> bool:
    stats = key_fact_stats(summary, [fact], TYPES)
    assert stats["key_fact_den"] == 1
    return stats["key_fact_num"] == 1


@pytest.mark.parametrize(
    ("summary", "present"),
    [
        ("Traitement : amlodipine 5 mg/j.", True),
        ("AMLODIPINE 5MG le matin", True),  # case, glued unit
        ("Amlor (5 mg)", True),  # another name, punctuation
        ("amlodipine 5 milligrammes", False),  # a form not listed
        ("amlodipine 25 mg", False),  # whole tokens only
        ("amlodipine 2,5 mg", False),  # "5 mg" is not in "2.5 mg"
        ("amlodipine. Dose : 5 mg", False),  # parts in two sentences
        ("amlodipine ; 5 mg", False),
        ("amlodipine\n5 mg", False),
        ("Dose 5 mg. Amlodipine arrêtée", False),
    ],
)
def test_a_drug_with_its_dose(summary: str, present: bool) -> None:
    assert _present(summary, DRUG) is present


@pytest.mark.parametrize(
    ("summary", "present"),
    [
        ("Hospitalisé le 12/04/2023.", True),
        ("Hospitalisé le 12 avril 2023.", True),
        ("Hospitalisé le 2023-04-12.", True),
        ("Hospitalisé le 12.04.23.", True),  # another format, two-digit year: by value
        ("Hospitalisé le 12 AVR. 2023", True),
        ("Hospitalisé le 13/04/2023.", False),
        ("Hospitalisé le 12/04/2022.", False),
        ("Hospitalisé en avril 2023.", False),
    ],
)
def test_a_date_in_any_format(summary: str, present: bool) -> None:
    assert _present(summary, DATE) is present


def test_accents_case_and_abbreviation_forms() -> None:
    assert _present("Insuffisance Renale chronique", DIAGNOSIS)
    assert _present("IRC stade 3", DIAGNOSIS)
    assert not _present("insuffisance cardiaque", DIAGNOSIS)


def test_numbers_match_whatever_their_writing() -> None:
    dose = {"id": "f4", "type": "examen", "text": "", "forms": [["créatinine"], ["1,5 mg/dL"]]}
    assert _present("Créatinine à 1.5 mg/dl, stable.", dose)
    assert _present("créatinine 1,5mg / dL", dose)
    assert not _present("créatinine 11,5 mg/dL", dose)
    units = {"id": "f5", "type": "traitement", "text": "", "forms": [["héparine 10 000 UI"]]}
    assert _present("Héparine 10000 UI/j", units)
    assert _present("héparine 10\u202f000 UI", units)
    assert not _present("héparine 1 000 UI", units)


def test_key_fact_stats_counts_per_type_with_zero_columns() -> None:
    summary = "Amlor 5mg depuis le 12.04.23. Pas d'insuffisance cardiaque."
    stats = key_fact_stats(summary, [DRUG, DATE, DIAGNOSIS], TYPES)
    assert stats == {
        "key_fact_num": 2,
        "key_fact_den": 3,
        "key_fact.traitement_num": 1,
        "key_fact.traitement_den": 1,
        "key_fact.date_num": 1,
        "key_fact.date_den": 1,
        "key_fact.diagnostic_num": 0,
        "key_fact.diagnostic_den": 1,
        "key_fact.examen_num": 0,
        "key_fact.examen_den": 0,
    }
    assert all(isinstance(value, float) for value in stats.values())


def test_an_empty_summary_recalls_nothing() -> None:
    stats = key_fact_stats("", [DRUG, DATE, DIAGNOSIS], TYPES)
    assert stats["key_fact_num"] == 0
    assert stats["key_fact_den"] == 3
    assert key_fact_stats("", [], TYPES) == key_fact_stats("Rien.", [], TYPES)


def test_malformed_key_facts_are_errors() -> None:
    with pytest.raises(ValueError, match="'f1': type 'dose' not in"):
        key_fact_stats("x", [{**DRUG, "type": "dose"}], TYPES)
    with pytest.raises(ValueError, match="'f1': a fact needs parts"):
        key_fact_stats("x", [{**DRUG, "forms": [["amlodipine"], []]}], TYPES)


# --- unsupported content --------------------------------------------------------------------

DRUGS = DrugLexicon(["amlodipine", "Furosémide", "Kardégic®", "insuline", "insuline glargine"])
SOURCE = (
    "Patient de 67 ans traité par amlodipine 5 mg/j depuis le 12/04/2023 et Kardégic 75 mg.\n"
    "Créatinine 1,5 mg/dL. Insuline glargine 1 000 UI. Sortie le 3 mars 2024."
)


def _unsupported(summary: str) -> tuple[float, float, float]:
    stats = unsupported_stats(summary, SOURCE, DRUGS)
    return stats["unsupported_num"], stats["unsupported_den"], stats["unsupported_any"]


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("Patient de 67 ans.", (0, 1, 0)),
        ("Amlodipine 5mg par jour.", (0, 2, 0)),  # glued unit, rate not compared
        ("Amlodipine 10 mg/j.", (1, 2, 1)),  # hallucinated dose
        ("Amlodipine 5 g/j.", (1, 2, 1)),  # wrong unit
        ("Dose de 5.", (0, 1, 0)),  # a bare number: its value anywhere
        ("créatinine 1.5 mg/dL", (0, 1, 0)),  # decimal point for comma
        ("créatinine 1,50 mg/dL", (0, 1, 0)),  # by value
        ("créatinine 15 mg/dL", (1, 1, 1)),
        ("insuline 1000 UI", (0, 2, 0)),  # thousands space; name inside a longer one
        ("KARDEGIC 75 MG", (0, 2, 0)),
        ("furosémide 40 mg", (2, 2, 1)),  # a drug and a dose the source does not have
        ("Insuline glargine", (0, 1, 0)),  # one name, not also "insuline"
    ],
)
def test_unsupported_items(summary: str, expected: tuple[float, float, float]) -> None:
    assert _unsupported(summary) == expected


def test_dates_are_items_by_value_and_their_numbers_are_not_numbers() -> None:
    # 12.04.23 is 12/04/2023; 03/03/2024 is in the source as "3 mars 2024"; 15/05/2023 is not.
    assert _unsupported("Depuis le 12.04.23, sortie le 03/03/2024.") == (0, 2, 0)
    assert _unsupported("Revu le 15/05/2023.") == (1, 1, 1)
    assert _unsupported("Revu le 2023-04-12 puis le 12 avril 2023.") == (0, 1, 0)  # one date
    # A year alone is a number, supported by the year of a source date.
    assert _unsupported("Suivi depuis 2023, 2025.") == (1, 2, 1)


def test_list_markers_are_not_numbers() -> None:
    assert _unsupported("1. Amlodipine 5 mg\n2) Kardégic 75 mg\n 3. Fièvre") == (0, 4, 0)


def test_mixed_summary() -> None:
    summary = (
        "Patiente de 67 ans sous amlodipine 10 mg/j depuis le 12.04.23, furosémide ajouté le "
        "15/05/2023. Créatinine 1.5 mg/dL."
    )
    # 67 ✓, 10 mg ✗, 1.5 mg ✓, 12.04.23 ✓, 15/05/2023 ✗, amlodipine ✓, furosémide ✗
    assert unsupported_stats(summary, SOURCE, DRUGS) == {
        "unsupported_num": 3.0,
        "unsupported_den": 7.0,
        "unsupported_any": 1.0,
    }


def test_an_empty_summary_has_nothing_to_check() -> None:
    assert _unsupported("") == (0, 0, 0)
    assert _unsupported("Rien à signaler.") == (0, 0, 0)


def test_drug_lexicon_matches_whole_words_only() -> None:
    lexicon = DrugLexicon(["fer", "Kardégic", ""])
    assert lexicon.find("Fer 80 mg, KARDEGIC®, ferritine basse, ferreux") == {"fer", "kardegic"}


# --- length ---------------------------------------------------------------------------------


def test_length_ratio_and_compression_count_rouge_tokens() -> None:
    stats = length_stats(
        summary="L'artère est bouchée.",  # l, artère, est, bouchée
        source="Le patient, 67 ans, a l'artère fémorale bouchée depuis 2023.",  # 11
        reference="Artère bouchée.",  # 2
    )
    assert stats == {"length_ratio": 2.0, "compression": pytest.approx(4 / 11)}


def test_length_of_empty_texts() -> None:
    assert length_stats("", "source", "référence") == {"length_ratio": 0.0, "compression": 0.0}
    stats = length_stats("résumé", "", " ")
    assert math.isnan(stats["length_ratio"])
    assert math.isnan(stats["compression"])


def test_bertscore_with_a_tokenizer_saved_without_a_length_limit(
    tiny_bert: Path, tmp_path: Path
) -> None:
    """Such a tokenizer says 1e30; bert_score would overflow on it. The model's own limit is
    used instead, so the scores equal those of the same model with a declared limit."""
    unlimited = tmp_path / "unlimited"
    shutil.copytree(tiny_bert, unlimited)
    config = unlimited / "tokenizer_config.json"
    config.write_text(json.dumps(json.loads(config.read_text()) | {"model_max_length": 10**30}))
    ours = BertScorer(str(unlimited), num_layers=_LAYERS).score(_CANDIDATES, _REFERENCES)
    declared = BertScorer(str(tiny_bert), num_layers=_LAYERS).score(_CANDIDATES, _REFERENCES)
    assert ours == declared
