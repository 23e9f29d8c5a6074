"""The libraries' own output (lm-eval, transformers, datasets, huggingface_hub, tqdm): silenced
unless ``--verbose`` or ``--debug`` (issue 17), so that a run shows our progress display and our
summary only.

Two steps, because the CLI's start-up must stay light (issue 11): ``quiet_libraries`` sets the
environment variables the libraries read when they are imported (the CLI calls it before any
command); ``silence_loaded_libraries`` sets their loggers, warnings and progress bars where they
are about to be used (``runner.run``, BERTScore), and ``silence_lm_eval`` quiets the one thing
lm-eval prints from a subprocess. Our own errors are exceptions, printed by the CLI whatever
this module did.
"""

from __future__ import annotations

import os
from typing import Any

# Read by the libraries at import time.
QUIET_ENVIRONMENT = {
    "TQDM_DISABLE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_VERBOSITY": "error",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "DATASETS_VERBOSITY": "error",
}
# Loggers whose warnings (lm-eval's "Custom kwargs can be passed to `--metadata`" once per task,
# urllib3's retries…) would otherwise reach stderr through logging's last-resort handler.
LIBRARY_LOGGERS = (
    "lm_eval",
    "transformers",
    "datasets",
    "huggingface_hub",
    "urllib3",
    "httpx",
    "accelerate",
    "torch",
    "filelock",
    "absl",
    "evaluate",
    "sqlitedict",
    "bert_score",
)
_quiet = {"on": False}


def quiet_libraries() -> None:
    """Silence the libraries for the rest of this process (variables the user set are kept)."""
    _quiet["on"] = True
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def silence_loaded_libraries() -> None:
    """Loggers to errors only, warnings other than ours ignored, every tqdm bar disabled; a
    no-op unless ``quiet_libraries`` was called."""
    if not _quiet["on"]:
        return
    import logging
    import warnings

    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # Every warning: a library's points, through its stack level, as often into our code as
    # into its own (lm-eval's "get_task_dict is deprecated" names runner.py). We raise errors.
    warnings.simplefilter("ignore")
    _disable_tqdm()


def silence_lm_eval() -> None:
    """lm-eval records the working folder's git commit with ``git describe``, whose "fatal: not
    a git repository" goes straight to the terminal from any other folder: its stderr is
    dropped. A no-op unless ``quiet_libraries`` was called; lm-eval is loaded by then."""
    if not _quiet["on"]:
        return
    from lm_eval import evaluator

    describe = evaluator.get_git_commit_hash
    if getattr(describe, "_partages_bench_quiet", False):
        return

    def without_stderr() -> Any:
        with open(os.devnull, "w") as devnull:
            saved = os.dup(2)
            os.dup2(devnull.fileno(), 2)
            try:
                return describe()
            finally:
                os.dup2(saved, 2)
                os.close(saved)

    without_stderr._partages_bench_quiet = True  # type: ignore[attr-defined]
    evaluator.get_git_commit_hash = without_stderr


def _disable_tqdm() -> None:
    """lm-eval passes ``disable=False`` explicitly to its bars ("Running generate_until
    requests"), which ``TQDM_DISABLE`` does not override; every bar is made disabled instead."""
    from tqdm import std

    if getattr(std.tqdm.__init__, "_partages_bench_quiet", False):
        return
    init = std.tqdm.__init__

    def disabled_init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["disable"] = True
        init(self, *args, **kwargs)

    disabled_init._partages_bench_quiet = True  # type: ignore[attr-defined]
    std.tqdm.__init__ = disabled_init  # type: ignore[method-assign]
