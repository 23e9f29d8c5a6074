"""Output a person can read (issue 17): libraries silenced unless --verbose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import cli

QUIET_PROBE = """
import logging, sys, warnings
from partages_bench.quiet import quiet_libraries, silence_lm_eval, silence_loaded_libraries
if sys.argv[1] == "quiet":
    quiet_libraries()
silence_loaded_libraries()
from tqdm import tqdm
for _ in tqdm(range(3), disable=False, desc="a library's bar"):
    pass
logging.getLogger("lm_eval.api.task").warning("a library's warning")
warnings.warn("a stray warning", UserWarning)
silence_lm_eval()
from lm_eval import evaluator
evaluator.get_git_commit_hash()  # run outside any git repository
print("ours", file=sys.stderr)
"""


@pytest.mark.parametrize("mode", ["quiet", "verbose"])
def test_libraries_are_silenced_unless_verbose(mode: str, tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TQDM_")}
    result = subprocess.run(
        [sys.executable, "-c", QUIET_PROBE, mode],
        capture_output=True,
        text=True,
        env=environment | {"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    noise = ("a library's bar", "a library's warning", "a stray warning", "not a git repository")
    if mode == "quiet":
        assert result.stderr == "ours\n"
    else:
        assert [text for text in noise if text not in result.stderr] == [], result.stderr


def test_a_failing_run_still_prints_its_error(tmp_path: Path) -> None:
    result = cli("run", "--tasks", "frenchmedmcqa", "--output", str(tmp_path / "r"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: task 'frenchmedmcqa': dataset 'frenchmedmcqa'")
