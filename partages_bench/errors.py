"""User-facing errors: each one is printed as a single line and exits with code 2.

Anything raised as a ``UserError`` is the user's input being wrong (a file, a field, a name, a
missing dataset), never a bug of ours; the CLI prints ``error: <message>`` without a traceback
unless ``--debug`` is given.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user: one clear line, exit code 2."""

    exit_code = 2


class UnknownTaskError(UserError):
    pass


class UnknownDatasetError(UserError):
    pass


class DatasetMissingError(UserError):
    """A dataset needed by a task is not available locally (and could not be pulled)."""


class ChecksumError(UserError):
    """A data file does not match its pinned sha256."""


class DataPullError(UserError):
    """A dataset could not be downloaded (network, offline mode, bad archive): names URL, reason."""


class TaskCardError(UserError):
    """A task YAML or its card is broken: the message names the file and the field."""


class ModelArgsError(UserError):
    pass


class RunInterrupted(Exception):
    """The run stopped early for a reason outside the user's input (an endpoint that stopped
    answering): finished tasks and answers are saved, and ``run --resume DIR`` continues.
    One line, exit code 3."""

    exit_code = 3
