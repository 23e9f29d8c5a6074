"""The leaderboard site as files: every page written, escaped, linked, and nothing loaded from
elsewhere (the site must open from file:// on an offline machine)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from partages_bench.errors import UserError
from partages_bench.leaderboard import build_leaderboard, load_runs
from partages_bench.schema import (
    Leaderboard,
    LeaderboardCell,
    MetricCard,
    SampleRecord,
    TaskCard,
)
from partages_bench.site import (
    SAMPLES_PER_PAGE,
    Bar,
    RunSamples,
    bar_chart,
    documents,
    paginate,
    rank_text,
    safe_name,
    sample_stat,
    write_site,
)
from partages_bench.testing.fake_runs import write_generated_reports

N_MODELS, N_TASKS, N_DOCS = 4, 4, 60
PSEUDO_TASK = "gen_pseudonymisation_01"


class _Page(HTMLParser):
    """The links, ids and element counts of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.ids: set[str] = set()
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, name, value))
            elif name == "id" and value:
                self.ids.add(value)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Leaderboard:
    reports = tmp_path_factory.mktemp("reports")
    write_generated_reports(reports, N_MODELS, N_TASKS, samples_per_task=N_DOCS)
    runs, skipped = load_runs(reports)
    card = TaskCard(
        name="gen_qa_01",
        family="qa",
        dataset="frenchmedmcqa",
        licence="Apache-2.0",
        citation="Labrak Y. et al. (2022). FrenchMedMCQA. https://aclanthology.org/2022.louhi-1.5",
        version="1.0",
        description="Generated multiple-choice questions.",
        primary_metric="emr",
        metrics={"emr": MetricCard(description="exact match ratio")},
        requires="generation",
        path="tasks/qa/gen_qa_01.yaml",
    )
    return build_leaderboard(runs, {card.name: card}, "Test board", skipped=skipped)


@pytest.fixture(scope="module")
def site(board: Leaderboard, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    write_site(board, out)
    return out


def test_pages_written(board: Leaderboard, site: Path) -> None:
    assert (site / "index.html").is_file()
    for row in board.rows:
        assert (site / "models" / f"{row.slug}.html").is_file()
        assert (site / "reports" / row.slug / "report.json").is_file()
        assert (site / "reports" / row.slug / "report.md").is_file()
    for task in board.variants:
        assert (site / "tasks" / f"{task}.html").is_file()
    assert (site / "assets" / "site.css").is_file()
    assert (site / "assets" / "site.js").is_file()
    index = (site / "index.html").read_text(encoding="utf-8")
    for rule in (board.normalisation, board.aggregation, board.ties):
        assert rule.replace("'", "&#39;") in index


def test_links_resolve_and_nothing_is_loaded_from_elsewhere(site: Path) -> None:
    pages = {path: parse(path) for path in site.rglob("*.html")}
    assert len(pages) > 10
    external = []
    for path, page in pages.items():
        for tag, attribute, url in page.links:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https"):
                # Only a plain link a reader may follow (a dataset's repository), never a load.
                assert (tag, attribute) == ("a", "href"), f"{path}: {tag} {attribute}={url}"
                external.append(url)
                continue
            if parts.scheme == "data":
                continue
            assert not parts.scheme and not parts.netloc, f"{path}: {url}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file(), f"{path}: broken link {url}"
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in pages[target].ids, f"{path}: no #{parts.fragment}"
    assert external == [
        "https://github.com/qanastek/FrenchMedMCQA/tree/4e36a4055245feec3218573c9f6bb1a9ecb1756b"
    ]


def test_every_cell_links_to_its_model_page_section(board: Leaderboard, site: Path) -> None:
    links = {url for _, _, url in parse(site / "index.html").links}
    row = board.rows[0]
    assert f"models/{row.slug}.html#overall" in links
    assert f"models/{row.slug}.html#family-qa" in links
    assert f"models/{row.slug}.html#task-gen_qa_01" in links


def test_not_comparable_run_shown_apart(board: Leaderboard, site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    apart = [
        (row, key) for row in board.rows for key, cell in row.cells.items() if not cell.comparable
    ]
    assert apart, "the generator's subset run must be flagged"
    assert 'id="not-compared"' in index
    assert index.count('class="cell apart"') == len(apart)
    assert "other version/subset" in (site / "tasks" / "gen_qa_01.html").read_text("utf-8")


def test_model_name_is_escaped(board: Leaderboard, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    row = board.rows[0]
    rows = [
        row.model_copy(
            update={"label": evil, "model": row.model.model_copy(update={"name": evil})}
        ),
        *board.rows[1:],
    ]
    write_site(board.model_copy(update={"rows": rows}), tmp_path / "site")
    for path in (tmp_path / "site").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (tmp_path / "site" / "index.html").read_text(
        "utf-8"
    )


def test_data_exports_match_the_board(board: Leaderboard, site: Path) -> None:
    exported = Leaderboard.model_validate_json((site / "data" / "leaderboard.json").read_text())
    assert exported == board
    with (site / "data" / "leaderboard.csv").open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [line["slug"] for line in lines] == [row.slug for row in board.rows]
    for line, row in zip(lines, board.rows, strict=True):
        assert line["label"] == row.label and line["backend"] == row.model.backend
        for key, cell in row.cells.items():
            assert line[f"{key}:value"] == ("" if cell.value is None else repr(cell.value))
            assert line[f"{key}:rank"] == ("" if cell.rank is None else str(cell.rank))
            assert line[f"{key}:comparable"] == ("yes" if cell.comparable else "no")


def test_pagination(board: Leaderboard, site: Path) -> None:
    folder = site / "tasks" / "gen_ner_01"
    pages = sorted(folder.glob("samples-*.html"))
    assert len(pages) == 3  # 60 documents, 25 a page
    counts = [parse(folder / f"samples-{k}.html").tags.get("details", 0) for k in (1, 2, 3)]
    # Each document is one <details>, and one more per document for its shared prompt.
    assert counts == [2 * 25, 2 * 25, 2 * 10]
    first, middle, last = (parse(folder / f"samples-{k}.html").links for k in (1, 2, 3))
    hrefs = [{url for _, _, url in links} for links in (first, middle, last)]
    assert "samples-2.html" in hrefs[0] and "samples-0.html" not in hrefs[0]
    assert {"samples-1.html", "samples-3.html"} <= hrefs[1]
    assert "samples-2.html" in hrefs[2] and "samples-4.html" not in hrefs[2]
    text = (folder / "samples-1.html").read_text(encoding="utf-8")
    assert 'id="doc-doc-0001"' in text and 'id="doc-doc-0026"' not in text


def test_paginate() -> None:
    assert [len(page) for page in paginate(list(range(60)))] == [25, 25, 10]
    assert paginate([]) == [[]]
    assert SAMPLES_PER_PAGE == 25


def test_withheld_samples_show_no_text(board: Leaderboard, tmp_path: Path) -> None:
    rows = [row.model_copy(update={"samples_withheld": [PSEUDO_TASK]}) for row in board.rows]
    write_site(board.model_copy(update={"rows": rows}), tmp_path / "site")
    page = (tmp_path / "site" / "tasks" / PSEUDO_TASK / "samples-1.html").read_text("utf-8")
    assert "withheld" in page
    assert "Remplacez les identifiants" not in page  # the generator's pseudonymisation prompt
    assert 'class="output"' not in page and 'class="target"' not in page


def test_output_folder_refused_unless_empty_or_a_site(board: Leaderboard, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not empty and not a previous leaderboard site"):
        write_site(board, out)
    assert (out / "notes.txt").read_text() == "mine"


def test_previous_site_replaced(board: Leaderboard, tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(board, out)
    (out / "models" / "stale.html").write_text("old")
    write_site(board, out)
    assert not (out / "models" / "stale.html").exists()
    assert (out / "index.html").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging folder left behind


def test_cli_build_and_one_line_error(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_generated_reports(reports, 2, 2)
    command = [sys.executable, "-m", "partages_bench", "leaderboard", "build", str(reports)]
    built = subprocess.run(
        [*command, "--out", str(tmp_path / "site"), "--title", "T"], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    assert json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())["title"] == "T"
    refused = subprocess.run([*command, "--out", str(reports)], capture_output=True, text=True)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"error: --out {reports}: not empty and not a previous leaderboard site "
        "(no data/leaderboard.json)"
    ]


def test_small_helpers() -> None:
    assert safe_name("a b/c") == "a_b_c"
    chart = bar_chart([Bar("qa", 0.5, 0.4, 0.6), Bar("<ner>", None, None, None)], "Scores")
    assert chart.startswith('<svg class="chart" role="img" aria-label="Scores: qa 0.500')
    assert "&lt;ner&gt;" in chart and "<ner>" not in chart
    assert rank_text(LeaderboardCell(value=0.5, rank=3, tied=True)) == "=3"
    assert rank_text(LeaderboardCell(value=0.5, rank=2)) == "2"
    assert rank_text(LeaderboardCell(value=None)) == ""


def _record(doc_index: int, doc_id: str, prompt: str, **stats: float) -> SampleRecord:
    return SampleRecord(
        doc_index=doc_index,
        doc_id=doc_id,
        doc_hash=doc_id,
        prompt=prompt,
        output="out",
        target="gold",
        stats=stats,
    )


def test_documents_in_evaluation_order_with_prompt_once(board: Leaderboard) -> None:
    first, second = board.rows[:2]
    runs = [
        RunSamples(first, {"b": _record(1, "b", "same"), "a": _record(0, "a", "p1")}),
        RunSamples(second, {"a": _record(0, "a", "p2")}),
    ]
    docs = documents(runs, lambda record: 1.0)
    assert [doc.doc_id for doc in docs] == ["a", "b"]
    assert docs[0].shared_prompt is None  # the runs saw different prompts: shown per run
    assert docs[1].shared_prompt == "same"
    assert [output.record is None for output in docs[1].runs] == [False, True]
    assert [output.stat for output in docs[1].runs] == [1.0, None]


def test_sample_stat_is_the_primary_metric_on_one_document() -> None:
    span = MetricCard(aggregation="span_f1", stat="strict")
    card = TaskCard(
        name="ner",
        family="ner",
        dataset=None,
        licence="-",
        citation="-",
        version="1",
        primary_metric="strict_f1",
        metrics={"strict_f1": span},
        requires="generation",
        path="ner.yaml",
    )
    counts = {"strict_cor": 2, "strict_inc": 0, "strict_par": 0, "strict_spu": 1, "strict_mis": 1}
    assert sample_stat(_record(0, "a", "p", **counts), card, "strict_f1") == pytest.approx(2 / 3)
    assert sample_stat(_record(0, "a", "p", emr=1.0), None, "emr") == 1.0
    assert sample_stat(_record(0, "a", "p", other=1.0), card, "strict_f1") is None


def test_drill_down_shows_the_first_compared_runs_only(board: Leaderboard, tmp_path: Path) -> None:
    write_site(board, tmp_path / "site", compared_runs=2)
    page = (tmp_path / "site" / "tasks" / "gen_ner_01" / "samples-1.html").read_text("utf-8")
    shown = [row.label for row in board.rows if f'class="stat" title="{row.label}:' in page]
    assert shown == [row.label for row in board.rows][:2]
    assert f"first 2 of the {N_MODELS} runs" in page
    with pytest.raises(UserError, match="--compare-runs"):
        write_site(board, tmp_path / "other", compared_runs=0)
