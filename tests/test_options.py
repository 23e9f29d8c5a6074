"""``options``: one table of limits, checked alike while the command line is parsed and when a
run starts from options read elsewhere (a ``run.json``, the API); what ``run.json`` records."""

from __future__ import annotations

import math
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
import typer

from partages_bench.errors import UserError
from partages_bench.models import lm_eval_args
from partages_bench.option_types import batch_size, run_option
from partages_bench.options import (
    LIMITS,
    RESUME_BACKEND_OVERRIDES,
    THROUGHPUT_ARGS,
    TRANSIENT_OPTIONS,
    BackendOptions,
    RunOptions,
    flag,
    run_settings,
    validate_options,
)

REFUSED = [
    ("limit", 0.0),
    ("limit", -2.0),
    ("limit", 2.5),
    ("limit", math.nan),
    ("num_fewshot", -1),
    ("seed", -1),
    ("seed", 2**32),
    ("bootstrap_iterations", 0),
    ("bootstrap_iterations", 100_001),
    ("bertscore_layers", 0),
    ("concurrency", 0),
    ("max_retries", -1),
    ("timeout", 0),
    ("max_length", 0),
    ("tensor_parallel_size", 0),
    ("data_parallel_size", 0),
    ("gpu_memory_utilization", 0.0),
    ("gpu_memory_utilization", 1.5),
]
ACCEPTED = [
    ("limit", 0.5),
    ("limit", 3.0),
    ("num_fewshot", 0),
    ("seed", 0),
    ("seed", 2**32 - 1),
    ("bootstrap_iterations", 1),
    ("bootstrap_iterations", 100_000),
    ("max_retries", 0),
    ("gpu_memory_utilization", 1.0),
]
BACKEND_FIELDS = {f.name for f in fields(BackendOptions)}


def options_with(name: str, value: Any) -> RunOptions:
    if name in BACKEND_FIELDS:
        return RunOptions(output=Path("run"), backend=BackendOptions(**{name: value}))
    return RunOptions(output=Path("run"), **{name: value})


def test_every_limit_has_a_refused_value_here() -> None:
    assert {name for name, _ in REFUSED} == set(LIMITS)


@pytest.mark.parametrize(("name", "value"), REFUSED)
def test_a_value_is_refused_in_the_same_words_from_the_command_line_and_from_run_json(
    name: str, value: Any
) -> None:
    with pytest.raises(typer.BadParameter) as parsed:
        run_option(name)(None, None, value)
    with pytest.raises(UserError) as started:
        validate_options(options_with(name, value))
    assert str(started.value) == f"{flag(name)}: {parsed.value.message}"


@pytest.mark.parametrize(("name", "value"), ACCEPTED)
def test_a_value_in_range_passes_both(name: str, value: Any) -> None:
    assert run_option(name)(None, None, value) == value
    validate_options(options_with(name, value))


@pytest.mark.parametrize("value", ["abc", "0", "auto:0", " 8"])
def test_a_batch_size_is_refused_in_the_same_words_both_ways(value: str) -> None:
    with pytest.raises(typer.BadParameter) as parsed:
        batch_size(None, None, value)
    with pytest.raises(UserError) as started:
        validate_options(RunOptions(output=Path("run"), batch_size=value))
    assert str(started.value) == f"--batch-size: {parsed.value.message}"


def test_every_problem_is_named_in_one_line() -> None:
    options = RunOptions(output=Path("run"), seed=-1, tasks=[], backend=BackendOptions(timeout=0))
    with pytest.raises(UserError) as caught:
        validate_options(options)
    assert str(caught.value) == (
        "--seed: -1 is out of range (0 to 4294967295); --timeout: 0 is out of range (at least 1); "
        "--tasks: no task given"
    )


def test_run_json_records_every_option_but_where_and_how_to_write() -> None:
    settings = run_settings(RunOptions(output=Path("run"), data_dir=Path("data"), command=["x"]))
    recorded = {f.name for f in fields(RunOptions)} - set(TRANSIENT_OPTIONS)
    assert set(settings) == recorded
    assert set(settings["backend"]) == BACKEND_FIELDS
    assert settings["data_dir"] == "data"  # JSON values


@pytest.mark.parametrize("name", RESUME_BACKEND_OVERRIDES)
def test_what_a_resume_may_change_never_changes_the_model_identity(name: str) -> None:
    """The backend options ``--resume`` overrides reach lm-eval only as THROUGHPUT_ARGS, which
    the model's identity (the response cache's key) leaves out."""
    endpoint = BackendOptions(base_url="http://127.0.0.1:8000/v1")
    changed = replace(endpoint, **{name: "OTHER_KEY" if name == "api_key_env" else 7})
    before = lm_eval_args("openai-completions", {}, endpoint)
    after = lm_eval_args("openai-completions", {}, changed)
    assert {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} <= (
        THROUGHPUT_ARGS
    )
