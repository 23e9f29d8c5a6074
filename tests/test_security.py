"""Issue 18, security: identifiers are never published in clear, a report cannot make a command
read or write outside its run folder, and untrusted text is never interpreted (CSV formulas, rich
markup, a download that never ends). Each attack of the issue is reproduced here."""

from __future__ import annotations

import csv
import importlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    QA,
    REGISTRY,
    assert_one_line_error,
    cli,
    edit,
    quiet,
    task_card,
    with_task,
    write_run,
)
from helpers import run_options as options

from partages_bench.errors import DataPullError, UserError
from partages_bench.generator import generate_notes
from partages_bench.leaderboard import build_leaderboard, load_runs
from partages_bench.merge import merge_reports, write_merged
from partages_bench.options import RunOptions, run_settings
from partages_bench.privacy import combined_in_clear
from partages_bench.report import data_hash, score_task
from partages_bench.rundir import REPORT_JSON, REPORT_MD, RUN_OPTIONS_JSON, SAMPLES_DIR, load_report
from partages_bench.runner import run
from partages_bench.schema import SampleRecord
from partages_bench.site import board_csv, write_site

pull_module = importlib.import_module("partages_bench.data.pull")

# --- 1. identifiers published in clear ----------------------------------------------------------

PSEUDO = "pseudo_detect_generated"
# The notes of pseudo_detect_generated (tasks/pseudonymisation/generated/utils.py).
GENERATED_SEED = 20261125


def test_merged_log_phi_shards_publish_no_identifier(tiny_model: Path, tmp_path: Path) -> None:
    """The issue's attack: two --log-phi shards of ``pseudo_detect_generated --limit 4``, merged,
    published every gold identifier in ``tasks/pseudo_detect_generated/samples-1.html`` (the
    merged report has no run.json and its command is the merge's)."""
    shards = []
    for shard in ("1/2", "2/2"):
        folder = tmp_path / "runs" / f"shard{shard[0]}"
        settings = {"tasks": [PSEUDO], "limit": 4, "num_fewshot": 0, "log_phi": True}
        run(options(tiny_model, tmp_path, folder, shard=shard, **settings), quiet())
        shards.append(folder)
    identifiers = {
        entity["text"]
        for note in generate_notes(4, GENERATED_SEED, "test")
        for entity in note["entities"]
    }
    logged = "".join((folder / SAMPLES_DIR / f"{PSEUDO}.jsonl").read_text() for folder in shards)
    assert identifiers and all(text in logged for text in identifiers)  # in clear, as asked

    report, samples = merge_reports(shards, REGISTRY, command=["partages-bench", "report", "merge"])
    write_merged(tmp_path / "runs" / "merged", report, samples)
    runs, _ = load_runs(tmp_path / "runs")
    write_site(build_leaderboard(runs, REGISTRY.cards, "t"), tmp_path / "site")
    published = "".join(
        path.read_text(encoding="utf-8")
        for path in (tmp_path / "site").rglob("*")
        if path.suffix in (".html", ".json", ".csv", ".md")
    )
    assert [text for text in sorted(identifiers) if text in published] == []
    assert load_report(tmp_path / "runs" / "merged").tasks[PSEUDO].samples_in_clear is True
    assert (
        "sample texts withheld"
        in (tmp_path / "site" / "tasks" / PSEUDO / "samples-1.html").read_text()
    )


@pytest.mark.parametrize(
    ("family", "log_phi", "in_clear"),
    [("pseudonymisation", True, True), ("pseudonymisation", False, False), ("qa", True, False)],
)
def test_a_run_records_whether_its_samples_hold_identifiers_in_clear(
    family: str, log_phi: bool, in_clear: bool
) -> None:
    card = task_card(family=family)
    note = {"id": "n1", "text": "M. Martin.", "entities": [{"text": "Martin", "label": "NOM"}]}
    sample = {
        "doc_id": 0,
        "doc": note,
        "doc_hash": "h",
        "target": "[]",
        "metrics": ["stats"],
        "stats": {"leak_rate": 0.0},
        "arguments": [[note["text"], {}]],
        "filtered_resps": ["Martin"],
    }
    lm_eval = {"samples": {"t": [sample]}, "configs": {"t": {}}}
    result, [record] = score_task(card, lm_eval, 10, 1, log_phi=log_phi)
    assert result.samples_in_clear is in_clear
    assert ("Martin" in record.output) is (family != "pseudonymisation" or log_phi)


@pytest.mark.parametrize(
    ("shards", "merged"),
    [
        ((True, True), True),
        ((True, False), True),  # one shard in clear: the merged log is partly in clear
        ((False, False), False),
        ((False, None), None),  # a shard from before the field: unknown
        ((None, True), True),
    ],
)
def test_merge_carries_samples_in_clear(
    shards: tuple[bool | None, bool | None], merged: bool | None, tmp_path: Path
) -> None:
    folders = []
    for k, in_clear in enumerate(shards, 1):
        folder = write_run(tmp_path / f"s{k}", {QA: range(k - 1, 8, 2)}, shard=f"{k}/2")
        edit(folder, with_task(QA, samples_in_clear=in_clear))
        folders.append(folder)
    report, _ = merge_reports(folders, REGISTRY, command=["merge"])
    assert report.tasks[QA].samples_in_clear is merged
    assert combined_in_clear(shards) is merged


# --- 2. path traversal on read ------------------------------------------------------------------

EVIL = "../../../secret_outside"


def _evil_report(folder: Path, task: str = EVIL, metric: str = "emr") -> Path:
    """A run folder whose report names ``task``, and a secret file where
    ``folder/samples/<task>.jsonl`` points, whose records match the report's data hash."""
    write_run(folder, {QA: range(3)})
    secret = [
        SampleRecord(
            doc_index=0,
            doc_id="s",
            doc_hash="secret-hash",
            prompt="TOP SECRET prompt",
            output="TOP SECRET",
            target="TOP SECRET",
            stats={"emr": 1.0},
        )
    ]
    target = folder / SAMPLES_DIR / f"{task}.jsonl"
    target.resolve().parent.mkdir(parents=True, exist_ok=True)
    target.resolve().write_text("".join(r.model_dump_json() + "\n" for r in secret))
    content = json.loads((folder / REPORT_JSON).read_text())
    result = content["tasks"].pop(QA) | {"name": task, "data_hash": data_hash(secret)}
    result["metrics"] = {metric: result["metrics"]["emr"]}
    result["primary_metric"] = metric
    content["tasks"] = {task: result}
    (folder / REPORT_JSON).write_text(json.dumps(content))
    settings = run_settings(RunOptions(output=folder, tasks=[QA], command=[]))
    (folder / RUN_OPTIONS_JSON).write_text(json.dumps(settings))
    return folder


def test_a_report_naming_a_path_is_refused_and_nothing_is_published(tmp_path: Path) -> None:
    """The issue's attack: a report whose task is ``../../../secret_outside`` made
    ``leaderboard build`` read ``samples/../../../secret_outside.jsonl``, outside the reports
    folder, and publish it."""
    reports = tmp_path / "a" / "reports"
    evil = _evil_report(reports / "evil")
    assert (tmp_path / "a" / "secret_outside.jsonl").is_file()
    result = cli("leaderboard", "build", str(reports), "--out", str(tmp_path / "site"))
    assert_one_line_error(result, f"{evil / REPORT_JSON}: not a valid report (tasks.{EVIL}")
    assert not (tmp_path / "site").exists()


READERS: dict[str, Callable[[Path, Path], list[str]]] = {
    # command → its arguments, for a malicious run folder and a free output path
    "leaderboard build": lambda evil, out: [
        "leaderboard",
        "build",
        str(evil.parent),
        "--out",
        str(out),
    ],
    "report merge": lambda evil, out: ["report", "merge", str(evil), "--output", str(out)],
    "report show": lambda evil, out: ["report", "show", str(evil)],
    "compare": lambda evil, out: ["compare", str(evil), str(evil)],
    "rerun": lambda evil, out: ["rerun", str(evil), "--output", str(out)],
    "run --resume": lambda evil, out: ["run", "--resume", str(evil)],
}
UNSAFE = [
    ("task", EVIL, "emr"),
    ("task", "/etc/passwd", "emr"),
    ("task", "a/b", "emr"),
    ("metric", QA, "../../x"),
]


@pytest.mark.parametrize("command", READERS)
@pytest.mark.parametrize(("field", "task", "metric"), UNSAFE, ids=[c[1] for c in UNSAFE])
def test_every_reader_refuses_an_unsafe_name_naming_the_report_and_field(
    command: str, field: str, task: str, metric: str, tmp_path: Path
) -> None:
    evil = _evil_report(tmp_path / "reports" / "evil", task, metric)
    result = cli(*READERS[command](evil, tmp_path / "out"))
    named = f"tasks.{task}" + (".primary_metric" if field == "metric" else "")
    assert_one_line_error(result, f"{evil / REPORT_JSON}: not a valid report ({named}")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("frenchmedmcqa", True),
        ("gen_pseudonymisation_01", True),
        ("task.v2-b@x", True),
        ("..", False),
        ("a..b", False),
        ("../x", False),
        ("a/b", False),
        ("a\\b", False),
        ("", False),
        ("a b", False),
    ],
)
def test_task_names_are_checked_when_a_report_is_read(
    name: str, safe: bool, tmp_path: Path
) -> None:
    folder = write_run(tmp_path / "run", {QA: range(2)})
    content = json.loads((folder / REPORT_JSON).read_text())
    content["tasks"] = {name: content["tasks"][QA] | {"name": name}}
    (folder / REPORT_JSON).write_text(json.dumps(content))
    if safe:
        assert list(load_report(folder).tasks) == [name]
    else:
        with pytest.raises(UserError, match=r"report\.json: not a valid report \(tasks\."):
            load_report(folder)


@pytest.mark.parametrize(
    ("metric", "safe"),
    [
        ("emr", True),
        ("leak_rate/label=NOM", True),
        ("emr/medical_subject=Médecine d'urgence / soins", True),  # a group's value is data
        ("../emr", False),
        ("emr/../x", False),
        ("emr/field", False),
        ("emr/f=a\nb", False),
    ],
)
def test_metric_names_are_checked_when_a_report_is_read(
    metric: str, safe: bool, tmp_path: Path
) -> None:
    folder = write_run(tmp_path / "run", {QA: range(2)})
    content = json.loads((folder / REPORT_JSON).read_text())
    metrics = content["tasks"][QA]["metrics"]
    metrics[metric] = metrics["emr"]
    (folder / REPORT_JSON).write_text(json.dumps(content))
    if safe:
        assert metric in load_report(folder).tasks[QA].metrics
    else:
        with pytest.raises(UserError, match=rf"not a valid report \(tasks\.{QA}\.metrics\."):
            load_report(folder)


def _samples_link(folder: Path, outside: Path) -> None:
    (folder / SAMPLES_DIR / f"{QA}.jsonl").rename(outside)
    (folder / SAMPLES_DIR / f"{QA}.jsonl").symlink_to(outside)


def _report_md_link(folder: Path, outside: Path) -> None:
    outside.write_text("TOP SECRET")
    (folder / REPORT_MD).unlink()
    (folder / REPORT_MD).symlink_to(outside)


LINKED: list[tuple[str, Callable[[Path, Path], None], Callable[[Path, Path], list[str]]]] = [
    ("site, samples", _samples_link, READERS["leaderboard build"]),
    ("site, report.md", _report_md_link, READERS["leaderboard build"]),
    ("merge, samples", _samples_link, READERS["report merge"]),
    ("compare, samples", _samples_link, READERS["compare"]),
]


@pytest.mark.parametrize(
    ("link", "command"), [case[1:] for case in LINKED], ids=[case[0] for case in LINKED]
)
def test_a_symbolic_link_out_of_the_run_folder_is_refused(
    link: Callable[[Path, Path], None],
    command: Callable[[Path, Path], list[str]],
    tmp_path: Path,
) -> None:
    folder = write_run(tmp_path / "reports" / "run", {QA: range(3)})
    link(folder, tmp_path / "outside.txt")
    result = cli(*command(folder, tmp_path / "out"))
    assert_one_line_error(result, f"resolves outside {folder}")
    assert not (tmp_path / "out").exists()


def test_document_ids_and_model_names_never_become_paths(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "reports" / "run", {QA: range(3)})
    samples = folder / SAMPLES_DIR / f"{QA}.jsonl"
    records = [json.loads(line) for line in samples.read_text().splitlines()]
    for record in records:
        record["doc_id"] = f"../../../escaped-{record['doc_id']}"
    samples.write_text("".join(json.dumps(record) + "\n" for record in records))
    edit(
        folder,
        lambda r: r.model_copy(
            update={"model": r.model.model_copy(update={"name": "../../../escaped"})}
        ),
    )
    runs, _ = load_runs(tmp_path / "reports")
    write_site(build_leaderboard(runs, REGISTRY.cards, "t"), tmp_path / "site" / "out")
    site = tmp_path / "site" / "out"
    outside = [*tmp_path.parent.glob("escaped*"), *tmp_path.rglob("*escaped*")]
    assert [path for path in outside if site not in path.parents] == []
    assert "escaped-q0" in (tmp_path / "site" / "out" / "tasks" / QA / "samples-1.html").read_text()


# --- 3. low risk: CSV formulas, rich markup, endless downloads ----------------------------------


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+2", "'+1+2"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("org/model-7b", "org/model-7b"),
    ],
)
def test_csv_cells_are_never_formulas(name: str, cell: str, tmp_path: Path) -> None:
    folder = write_run(tmp_path / "reports" / "run", {QA: range(3)})
    edit(
        folder, lambda r: r.model_copy(update={"model": r.model.model_copy(update={"name": name})})
    )
    runs, _ = load_runs(tmp_path / "reports")
    rows = list(csv.reader(board_csv(build_leaderboard(runs, {}, "t")).splitlines()))
    assert rows[1][1] == cell


@pytest.mark.parametrize("name", ["[/x]", "[red]recoloured[/red]", "a\\"])
def test_report_show_prints_a_model_name_as_written(name: str, tmp_path: Path) -> None:
    folder = write_run(tmp_path / "run", {QA: range(3), "mediqal_mcqm": f"skipped [/x] {name}"})
    edit(
        folder, lambda r: r.model_copy(update={"model": r.model.model_copy(update={"name": name})})
    )
    result = cli("report", "show", str(folder), env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert f"{name} (hf)" in result.stdout and f"skipped [/x] {name}" in result.stdout


MARKUP_COMMANDS = [
    # A skipped task's reason names the data folder searched: "[/x]" in it crashed the run.
    (["run", "--tasks", "qa", "--data-dir", "TMP/[/x]", "--output", "TMP/run"], 0),
    (["data", "pull", "[/x]"], 2),  # the progress bar's label
]


@pytest.mark.parametrize(("args", "code"), MARKUP_COMMANDS, ids=["run", "data pull"])
def test_commands_print_text_holding_markup_as_written(
    args: list[str], code: int, tmp_path: Path
) -> None:
    result = cli(*(arg.replace("TMP", str(tmp_path)) for arg in args), env={"COLUMNS": "400"})
    if code == 2:
        assert_one_line_error(result, "'[/x]'")
    else:
        assert result.returncode == 0, result.stderr
        assert f"not in {tmp_path}/[/x]" in result.stdout


class _Endless(BaseHTTPRequestHandler):
    """A mirror that streams forever (no Content-Length), or declares a huge file."""

    def do_GET(self) -> None:
        self.send_response(200)
        if self.path.startswith("/declared/"):
            self.send_header("Content-Length", str(1 << 40))
        self.end_headers()
        try:
            while True:
                self.wfile.write(b"x" * 65536)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def endless(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("declared", [False, True])
def test_a_download_that_never_ends_is_cut_at_the_cap(
    declared: bool, endless: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: a mirror streaming forever wrote 4.98 GB in 12 s."""
    monkeypatch.setattr(pull_module, "MAX_FILE_BYTES", 1 << 20)
    monkeypatch.delenv("PARTAGES_BENCH_OFFLINE")
    base = f"{endless}/declared" if declared else endless
    with pytest.raises(DataPullError, match=r"larger than 1048576 bytes"):
        pull_module.pull("refomed_fr", to=tmp_path / "pulled", base_url=base)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
