"""PHI masking of per-sample logs."""

from __future__ import annotations

from helpers import task_card

from partages_bench.privacy import mask_phi
from partages_bench.report import fewshot_mentions, sample_records

MENTIONS = [("Dupont", "NOM"), ("Jean", "PRENOM"), ("06 12 34 56 78", "TEL"), ("75014", "ZIP")]


def test_every_spelling_is_masked_with_a_stable_hash() -> None:
    text = "M. DUPONT Jean, tél. 06.12.34.56.78 ou 0612345678, Paris 75014. Revu par Dupont."
    masked = mask_phi(text, MENTIONS, salt="s")
    for original in ("Dupont", "DUPONT", "Jean", "06.12.34.56.78", "0612345678", "75014"):
        assert original not in masked
    assert masked.count("[NOM:") == 2
    nom_tags = {part.split("]")[0] for part in masked.split("[NOM:")[1:]}
    assert len(nom_tags) == 1  # same identifier, same hash
    assert "Paris" in masked and "tél." in masked


def test_salt_changes_the_hash_and_empty_inputs_pass_through() -> None:
    assert mask_phi("Dupont", MENTIONS, "a") != mask_phi("Dupont", MENTIONS, "b")
    assert mask_phi("rien", [], "a") == "rien"
    assert mask_phi("", MENTIONS, "a") == ""


def test_identifiers_of_few_shot_notes_copied_into_an_answer_are_masked() -> None:
    """The model sees the few-shot notes (omitted from the log) and may copy their identifiers
    into its answer: those are masked too, not only the evaluated note's."""
    card = task_card(name="pseudo")
    fewshot = [
        {
            "text": "Mme Durand, tél. 06 11 22 33 44",
            "entities": [
                {"text": "Durand", "label": "NOM"},
                {"text": "06 11 22 33 44", "label": "TEL"},
            ],
        }
    ]
    note = {
        "id": "n1",
        "text": "M. Martin vu le 3 mai.",
        "entities": [{"text": "Martin", "label": "NOM"}],
    }
    sample = {
        "doc_id": 0,
        "doc": note,
        "doc_hash": "h",
        "target": "[]",
        "metrics": ["stats"],
        "stats": {},
        "arguments": [[f"{fewshot[0]['text']}\n[...]\n\n{note['text']}", {}]],
        "filtered_resps": ['[{"text": "Martin"}, {"text": "Durand"}, {"text": "0611223344"}]'],
    }
    [record] = sample_records(card, [sample], "salt", fewshot_mentions(fewshot))
    for identifier in ("Martin", "Durand", "0611223344", "06 11 22 33 44"):
        assert identifier not in record.output + record.prompt
    assert record.output.count("[NOM:") == 2 and "[TEL:" in record.output
    assert record.prompt.startswith("[few-shot examples omitted] M. [NOM:")
    unmasked = sample_records(card, [sample], None, fewshot_mentions(fewshot))
    assert "Durand" in unmasked[0].output  # --log-phi: in clear, as asked
