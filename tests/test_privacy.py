"""PHI masking of per-sample logs."""

from __future__ import annotations

from partages_bench.privacy import mask_phi

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
