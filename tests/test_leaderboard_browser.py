"""The leaderboard site in a real headless Chromium, opened from file:// as a reader would.

Every test fails on a console error, an uncaught exception or any request that is not a local
file (the site must work offline, with nothing fetched when a page opens). Chromium is Debian's
(``/usr/bin/chromium``; Playwright cannot download its own browsers here). Screenshots go to
the test's ``tmp_path`` and, when ``PARTAGES_BENCH_SCREENSHOTS`` names a folder, there too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from partages_bench.cli import app
from partages_bench.schema import Leaderboard
from partages_bench.testing.fake_runs import write_generated_reports

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
N_MODELS, N_TASKS, N_DOCS = 5, 8, 30


def _missing() -> str | None:
    """Why the browser tests cannot run here, if they cannot."""
    if not CHROMIUM.is_file():
        return f"no {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed (pip install playwright)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built by the command line from generated reports (with a run on a subset)."""
    folder = tmp_path_factory.mktemp("leaderboard")
    write_generated_reports(folder / "runs", N_MODELS, N_TASKS, samples_per_task=N_DOCS)
    out = folder / "site"
    result = CliRunner().invoke(
        app, ["leaderboard", "build", str(folder / "runs"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def board(site: Path) -> Leaderboard:
    return Leaderboard.model_validate_json((site / "data" / "leaderboard.json").read_text())


@dataclass
class Watch:
    """What the page asked for and complained about."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page; after the test, no console error and only file:// (or data:) requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    watch = Watch()
    opened.on("request", lambda request: watch.requests.append(request.url))
    opened.on(
        "console",
        lambda message: watch.errors.append(message.text) if message.type == "error" else None,
    )
    opened.on("pageerror", lambda error: watch.errors.append(str(error)))
    yield opened
    context.close()
    assert watch.errors == []
    assert watch.requests, "the test opened no page"
    assert [url for url in watch.requests if not url.startswith(("file://", "data:"))] == []


def screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    folder = os.environ.get("PARTAGES_BENCH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(folder) / name)
    return path


def row_labels(page: Page) -> list[str]:
    return page.locator("#leaderboard tbody th[scope=row] a").all_inner_texts()


def column_values(page: Page, key: str) -> list[float | None]:
    values = page.locator(f'#leaderboard tbody td[data-col="{key}"]').evaluate_all(
        "cells => cells.map(cell => cell.dataset.value)"
    )
    return [float(value) if value else None for value in values]


def test_index_sorts_and_filters(
    page: Page, site: Path, board: Leaderboard, tmp_path: Path
) -> None:
    page.goto((site / "index.html").as_uri())
    labels = row_labels(page)
    assert sorted(labels) == sorted(row.label for row in board.rows)
    assert len(labels) == N_MODELS

    model = page.locator('#leaderboard thead th[data-col="model"]')
    model.get_by_role("button").click()
    assert model.get_attribute("aria-sort") == "ascending"
    assert row_labels(page) == sorted(labels)
    assert row_labels(page) != labels  # the default order is by overall score

    # Keyboard: focus a header's button and press Enter, then Space.
    qa = page.locator('#leaderboard thead th[data-col="family:qa"]')
    qa.get_by_role("button").focus()
    page.keyboard.press("Enter")
    assert qa.get_attribute("aria-sort") == "descending"
    assert model.get_attribute("aria-sort") is None
    descending = column_values(page, "family:qa")
    present = [value for value in descending if value is not None]
    assert present == sorted(present, reverse=True)
    assert descending[len(present) :] == [None] * (len(descending) - len(present))
    page.keyboard.press(" ")
    assert qa.get_attribute("aria-sort") == "ascending"
    ascending = column_values(page, "family:qa")
    assert [v for v in ascending if v is not None] == sorted(present)
    assert ascending[len(present) :] == [None] * (len(ascending) - len(present))

    task_header = page.locator('#leaderboard thead th[data-col="task:gen_qa_01"]')
    assert task_header.is_hidden()
    page.select_option("#family-filter", "qa")
    assert task_header.is_visible()
    assert page.locator('#leaderboard thead th[data-col="family:qa"]').is_visible()
    assert page.locator('#leaderboard thead th[data-col="overall"]').is_hidden()
    assert page.locator('#leaderboard thead th[data-col="family:ner"]').is_hidden()
    assert page.locator('td[data-col="task:gen_qa_01"]').first.is_visible()
    # The run on a data subset is flagged, not ranked with the others.
    assert page.locator('td.apart[data-col="task:gen_qa_01"] .flag').is_visible()
    page.select_option("#family-filter", "")
    assert task_header.is_hidden()
    assert page.locator('#leaderboard thead th[data-col="overall"]').is_visible()
    screenshot(page, tmp_path, "leaderboard-index.png")


def test_cell_links_to_model_page(page: Page, site: Path, board: Leaderboard) -> None:
    page.goto((site / "index.html").as_uri())
    row = board.rows[0]
    page.locator(f'#run-{row.slug} td[data-col="family:qa"] a').click()
    page.wait_for_load_state()
    assert page.url.endswith(f"models/{row.slug}.html#family-qa")
    assert page.locator("#family-qa").is_visible()
    assert page.locator("svg.chart[role=img]").get_attribute("aria-label")
    page.get_by_role("link", name="report.json").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"reports/{row.slug}/report.json")


def test_drill_down_shows_outputs(page: Page, site: Path, tmp_path: Path) -> None:
    page.goto((site / "tasks" / "gen_summarisation_01.html").as_uri())
    page.locator("#drilldown-link").click()
    page.wait_for_load_state()
    assert page.url.endswith("tasks/gen_summarisation_01/samples-1.html")
    sample = page.locator("details.sample").first
    output = sample.locator("pre.output").first
    assert output.is_hidden()
    sample.locator("summary").first.click()
    assert sample.evaluate("element => element.open")
    assert output.is_visible()
    assert "évolution favorable" in output.inner_text()
    screenshot(page, tmp_path, "leaderboard-samples.png")
    page.locator("a[rel=next]").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("samples-2.html")


def test_dark_theme(page: Page, site: Path, tmp_path: Path) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto((site / "index.html").as_uri())
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 23)"
    screenshot(page, tmp_path, "leaderboard-index-dark.png")
