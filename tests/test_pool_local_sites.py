"""Three simulated hospitals end to end: three local dataset cards over generated notes (other
seeds, sizes and note mixes), one task template run at each site by a system that is not an
LLM (the pseudo-rules baseline through ``replay``), pooled by ``report pool``. The pooled
values equal those of one run over the concatenated documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from partages_bench.cli import app
from partages_bench.generator import generate_notes

TASK = "pseudo_detect_generated"
# site: (notes, seed, template pool) — sizes, seeds and note mixes differ.
SITES = {
    "chu_lille": (9, 11, "test"),
    "chu_rennes": (5, 12, "dev"),
    "cl_leon_berard": (7, 13, "test"),
}


def _local_card(folder: Path, site: str, notes: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / "notes.jsonl").write_text(
        "".join(json.dumps(note, ensure_ascii=False) + "\n" for note in notes), "utf-8"
    )
    card = {
        "id": site,
        "family": "pseudonymisation",
        "owner": site,
        "format": "jsonl",
        "splits": {"test": "notes.jsonl"},
    }
    path = folder / "card.yaml"
    path.write_text(yaml.safe_dump(card, sort_keys=False), "utf-8")
    return path


def _run(card: Path, site: str, out: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["run", "--model", "replay", "--model-args", "baseline=pseudo-rules",
         "--tasks", f"{TASK}@{site}", "--data-card", str(card), "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def _report(folder: Path) -> dict:
    return json.loads((folder / "report.json").read_text())["tasks"][TASK]


def test_three_sites_pool_into_the_values_of_one_run_over_all_their_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTAGES_BENCH_HOME", str(tmp_path / "home"))
    every_note: list[dict] = []
    runs = []
    for site, (n, seed, pool) in SITES.items():
        notes = generate_notes(n, seed, pool)
        every_note += notes
        card = _local_card(tmp_path / "data" / site, site, notes)
        _run(card, site, tmp_path / "runs" / site)
        runs.append(tmp_path / "runs" / site)
    pooled = tmp_path / "pooled"
    result = CliRunner().invoke(app, ["report", "pool", *map(str, runs), "--output", str(pooled)])
    assert result.exit_code == 0, result.output
    card = _local_card(tmp_path / "data" / "all", "all_sites", every_note)
    _run(card, "all_sites", tmp_path / "runs" / "all")

    pooled_task, single = _report(pooled), _report(tmp_path / "runs" / "all")
    assert pooled_task["n_samples"] == single["n_samples"] == sum(n for n, _, _ in SITES.values())
    overall = {k: v["value"] for k, v in pooled_task["metrics"].items() if "/site=" not in k}
    assert overall.keys() == {k for k in single["metrics"] if "/site=" not in k}
    for name, value in overall.items():
        assert value == pytest.approx(single["metrics"][name]["value"], abs=1e-12), name
    # Each site's row is that site's own run.
    for site, folder in zip(SITES, runs, strict=True):
        own = _report(folder)["metrics"]["leak_rate"]["value"]
        assert pooled_task["metrics"][f"leak_rate/site={site}"]["value"] == pytest.approx(own)
