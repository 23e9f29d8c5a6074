"""Throughput and agreement of ``partages-bench run`` through an OpenAI-compatible server
(llama-cpp-python) against lm-eval's in-process ``hf`` backend, on the embedded default model.

Why: the endpoint backend is only worth recommending if it is faster than ``--model default``
for the same answers; and the endpoint tests compare log-probabilities across two runtimes
(llama.cpp on Q4_1 blocks vs transformers on the dequantised fp32 weights), so their tolerance
must come from a measured difference, not a guess.

What it does, all offline, in temporary folders (one per configuration, so that no response
cache is shared):

1. Runs the real harness in-process (``partages_bench.runner.run``) on the same documents
   (``--task``, default frenchmedmcqa, generative; ``--limit`` 16) with ``--model default``
   (hf, batch size 8) and with ``--model openai-completions --tokenizer default`` at each
   ``--concurrency`` (default 1, 2, 4) against ``python -m llama_cpp.server``, started here
   afresh for each run on a free port (it keeps the last prompt's KV cache, which would give
   the next run a free answer). items/s counts documents over the run's wall time without
   ``Backend.load`` (weights for hf; the tokenizer for endpoints); server start-up is excluded.
2. Compares each endpoint run's samples with the hf run's: identical ``output`` per document,
   identical per-sample statistic of the task's primary metric, and the metric's difference.
3. Asks the server for the next token of the first ``--prompts`` hf prompts (``max_tokens`` 1,
   ``logprobs`` 5, no ``echo``: llama-cpp-python 0.3.36 echoes log-probabilities one position
   off, abetlen/llama-cpp-python#1983) and compares them with transformers' log-softmax at the
   prompt's last position: absolute difference in nats, and greedy-token agreement. Then asks
   for the whole answers again with ``repeat_penalty`` 1.0. The harness runs send
   ``--extra-body '{"repeat_penalty": 1.0}'`` by default: without it the server applies its
   default 1.1 even at temperature 0, which alone shortens answers like "A, B, C" (the comma
   repeats) and makes whole outputs differ from hf far more than the log-probabilities do.

llama-cpp-python's server computes logits for every prompt position unless told
``--logits_all false`` (its default is true, which generation does not need): throughput runs
use ``false`` unless ``--logits-all``; step 3 needs them and has a server of its own.

Two cores shared with other jobs make timings noisy: the load average is printed at start and
end, each endpoint run's server-side compute rate (tokens/s) is shown next to it, and
``--repeat N`` runs every configuration N times (each repeat in a rotated order) and reports
the fastest run, as ``timeit`` does, with every run listed. Measured on 2 busy cores, one
configuration ranged from 35 to 288 s across repeats: compare only runs made together.

    .venv/bin/python benchmarks/endpoint_throughput.py [--task T] [--limit N] [--repeat N]

Measured with the defaults on an idle 2-core machine (load 1.65, commit 4621522, 217 s): hf
20.6 s for 16 documents plus 22.3 s of model load; the endpoint 30.7-31.5 s at every
concurrency (0.67x hf without its load, 1.37x with it). Next token: at most 0.062 nats apart
(mean 0.025) for the generated token, 0.285 for any of the server's top 5; greedy token the
same for 15 of 16 prompts (the other an hf near-tie, 0.033 nats). Whole answers: 3 of 16
identical to hf under the server's default repeat penalty, 14 of 16 without it.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import logging
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from unittest import mock

from common import Figure
from rich.console import Console

from partages_bench.default_model import default_gguf
from partages_bench.models import Backend
from partages_bench.options import BackendOptions, RunOptions
from partages_bench.registry import Registry
from partages_bench.rundir import REPORT_JSON, load_report, samples_path
from partages_bench.runner import run
from partages_bench.schema import Report, SampleRecord

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
HF = "hf (default)"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="frenchmedmcqa", help="a generative task")
    parser.add_argument("--limit", type=int, default=16, help="documents per run")
    parser.add_argument(
        "--data-dir", type=Path, default=REPO.parent / "shared" / "data", help="data mirror"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 2, 4], help="endpoint concurrencies"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration")
    parser.add_argument(
        "--prompts", type=int, default=16, help="prompts for the log-prob check (0: none)"
    )
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    parser.add_argument(
        "--extra-body",
        default='{"repeat_penalty": 1.0}',
        help="the harness's --extra-body for endpoint runs (default: plain greedy decoding; "
        "'' to measure the server's own defaults)",
    )
    parser.add_argument(
        "--logits-all",
        action="store_true",
        help="serve throughput runs with --logits_all true (slower prompt evaluation)",
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep run folders and logs here (else a temp dir)"
    )
    return parser.parse_args(argv)


def free_port() -> int:
    """A port free now, picked by the kernel, so that concurrent benchmarks do not clash."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _ready(port: int) -> bool:
    # http.client, not requests: no environment proxy can intercept the health check.
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/v1/models")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def serve(
    gguf: Path, log: Path, threads: int, logits_all: bool, timeout: float = 180.0
) -> Iterator[tuple[str, float]]:
    """llama-cpp-python's server on ``gguf``: yields its /v1 URL and start-up seconds; always
    stopped on exit (SIGTERM, then SIGKILL), whatever happened."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--host",
        HOST,
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(threads),
        "--logits_all",
        "true" if logits_all else "false",
    ]
    began = time.monotonic()
    with log.open("ab") as handle:
        process = subprocess.Popen(
            command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        while not _ready(port):
            if process.poll() is not None:
                raise RuntimeError(f"llama server exited with {process.returncode}; see {log}")
            if time.monotonic() - began > timeout:
                raise RuntimeError(f"llama server not ready after {timeout:.0f} s; see {log}")
            time.sleep(0.2)
        yield f"http://{HOST}:{port}/v1", time.monotonic() - began
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# llama.cpp's per-request timings: "prompt eval time = X ms / N tokens", "eval time = X ms /
# N runs" (generated tokens).
_EVAL_TIME = re.compile(r"eval time =\s*([\d.]+) ms /\s*(\d+) (?:tokens|runs)")


def server_rate(log: Path) -> float | None:
    """Tokens (prompt and generated) per second of the server's compute, from llama.cpp's
    timings in its log: a slow run with a slow rate was slowed by the machine, not the harness."""
    found = _EVAL_TIME.findall(log.read_text(encoding="utf-8", errors="replace"))
    seconds = sum(float(ms) for ms, _ in found) / 1000
    return sum(int(tokens) for _, tokens in found) / seconds if seconds else None


@dataclass
class Measure:
    """One harness run: documents evaluated, wall seconds, and the part spent in
    ``Backend.load`` (model weights for hf)."""

    folder: Path
    items: int
    wall: float
    load: float
    server_rate: float | None = None  # tokens/s of the server's compute

    @property
    def work(self) -> float:
        return self.wall - self.load


@dataclass
class Config:
    """A way to run the harness: hf in-process (``concurrency`` None) or through the server."""

    name: str
    model: str
    concurrency: int | None = None
    runs: list[Measure] = field(default_factory=list)

    def best(self) -> Measure:
        """The fastest run: on a shared machine the others measure the neighbours too."""
        return min(self.runs, key=lambda measure: measure.work)


def run_harness(
    config: Config, backend: BackendOptions, folder: Path, args: argparse.Namespace, log: TextIO
) -> None:
    """One in-process ``partages-bench run``, with ``Backend.load`` timed apart from the rest."""
    loads: list[float] = []
    original = Backend.load

    def timed_load(self: Backend, batch_size: str | None) -> Any:
        began = time.monotonic()
        try:
            return original(self, batch_size)
        finally:
            loads.append(time.monotonic() - began)

    options = RunOptions(
        output=folder,
        model=config.model,
        tasks=[args.task],
        data_dir=args.data_dir,
        limit=args.limit,
        backend=backend,
        command=["partages-bench", "run", "(benchmarks/endpoint_throughput.py)"],
    )
    console = Console(file=log, width=120)
    with mock.patch.object(Backend, "load", timed_load):
        began = time.monotonic()
        report = run(options, console)
        wall = time.monotonic() - began
    result = report.tasks[args.task]
    if result.skipped:
        raise RuntimeError(f"{config.name}: task {args.task} did not run: {result.skipped}")
    config.runs.append(Measure(folder, result.n_samples, wall, sum(loads)))


def print_throughput(configs: list[Config]) -> None:
    """The fastest run of each configuration, and every run if there were several."""
    hf = configs[0].best()
    print(
        f"{'configuration':<26} {'items':>5} {'seconds':>8} {'load s':>7} "
        f"{'items/s':>8} {'x hf':>6} {'items/s incl. load':>19} {'x hf':>6} {'srv tok/s':>9}"
    )
    for config in configs:
        best = config.best()
        rate = "-" if best.server_rate is None else f"{best.server_rate:.0f}"
        print(
            f"{config.name:<26} {best.items:>5} {best.work:>8.1f} {best.load:>7.1f} "
            f"{best.items / best.work:>8.3f} {hf.work / best.work:>6.2f} "
            f"{best.items / best.wall:>19.3f} {hf.wall / best.wall:>6.2f} {rate:>9}"
        )
    if len(configs[0].runs) > 1:
        print("\nevery run, seconds without load (srv tok/s), in repeat order:")
        for config in configs:
            runs = "  ".join(
                f"{m.work:.1f}" + ("" if m.server_rate is None else f" ({m.server_rate:.0f})")
                for m in config.runs
            )
            print(f"  {config.name:<26} {runs}")


def read_samples(folder: Path, task: str) -> dict[str, SampleRecord]:
    path = samples_path(folder, task)
    records = (SampleRecord.model_validate_json(line) for line in path.open(encoding="utf-8"))
    return {record.doc_id: record for record in records}


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def print_agreement(configs: list[Config], task: str) -> None:
    card = Registry.discover().card(task)
    primary = card.primary_metric
    stat = card.metrics[primary].stat or primary
    hf_folder = configs[0].runs[0].folder
    hf_samples = read_samples(hf_folder, task)
    hf_value = load_report(hf_folder / REPORT_JSON).tasks[task].metrics[primary].value
    print(f"primary metric {primary} (per-sample statistic '{stat}'); hf: {hf_value:.4f}")
    print(
        f"{'configuration':<26} {'paired':>6} {'same output':>12} {'same ' + stat:>12} "
        f"{primary:>8} {'minus hf':>9}"
    )
    for config in configs[1:]:
        folder = config.runs[0].folder
        samples = read_samples(folder, task)
        report: Report = load_report(folder / REPORT_JSON)
        paired = sorted(hf_samples.keys() & samples.keys())
        outputs = sum(hf_samples[d].output == samples[d].output for d in paired)
        stats = sum(
            _same(hf_samples[d].stats.get(stat), samples[d].stats.get(stat)) for d in paired
        )
        value = report.tasks[task].metrics[primary].value
        n = len(paired)
        print(
            f"{config.name:<26} {n:>6} {outputs / n:>12.0%} {stats / n:>12.0%} "
            f"{value:>8.4f} {value - hf_value:>+9.4f}"
        )


def _complete(base_url: str, prompt: str, **settings: Any) -> dict[str, Any]:
    import requests

    body = {"prompt": prompt, "temperature": 0} | settings
    response = requests.post(f"{base_url}/completions", json=body, timeout=600)
    response.raise_for_status()
    return response.json()


def generation_settings(task: str, data_dir: Path) -> tuple[list[str], int]:
    """The task's stop strings and maximum answer length, as lm-eval reads them."""
    from lm_eval.tasks import TaskManager

    folders = [str(folder) for folder in Registry.discover().task_dirs]
    manager = TaskManager(
        include_path=folders, include_defaults=False, metadata={"data_dir": data_dir}
    )
    kwargs = manager.load([task])["tasks"][task].config.generation_kwargs or {}
    until = kwargs.get("until", [])
    return [until] if isinstance(until, str) else list(until), int(kwargs.get("max_gen_toks", 256))


def print_server_check(
    base_url: str, gguf: Path, records: list[SampleRecord], stop: list[str], max_tokens: int
) -> None:
    """Next-token log-probabilities, server (llama.cpp, Q4_1) vs transformers (fp32), matched
    by token text (the server returns no token ids); then the server's greedy answers without
    its default repeat penalty, against hf's."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    model.eval()
    by_text: dict[str, list[int]] = {}
    for token_id in range(len(tokenizer)):
        by_text.setdefault(tokenizer.decode([token_id]), []).append(token_id)

    generated: list[float] = []  # |server - transformers| for the generated token
    top: list[float] = []  # the same for every token of the server's top 5
    same_length = greedy = unmatched = same_output = 0
    disagreements: list[str] = []
    for record in records:
        ids = tokenizer(record.prompt, add_special_tokens=False).input_ids
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1]
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        answer = _complete(base_url, record.prompt, max_tokens=1, logprobs=5)
        same_length += answer["usage"]["prompt_tokens"] == len(ids)
        choice = answer["choices"][0]["logprobs"]
        text, value = choice["tokens"][0], choice["token_logprobs"][0]

        def ours(piece: str, logprobs: torch.Tensor = logprobs) -> float | None:
            candidates = by_text.get(piece)
            return max(float(logprobs[i]) for i in candidates) if candidates else None

        theirs = ours(text)
        if theirs is None:
            unmatched += 1
        else:
            generated.append(abs(value - theirs))
        for piece, server_value in choice["top_logprobs"][0].items():
            local = ours(piece)
            if local is not None:
                top.append(abs(server_value - local))
        best = int(torch.argmax(logprobs))
        if tokenizer.decode([best]) == text:
            greedy += 1
        else:
            gap = float(logprobs[best]) - (theirs if theirs is not None else math.nan)
            disagreements.append(f"{tokenizer.decode([best])!r} vs {text!r} (hf gap {gap:.3f})")
        # Same request as lm-eval's, plus repeat_penalty 1 (the prompt's KV cache is reused).
        unpenalised = _complete(
            base_url,
            record.prompt,
            max_tokens=max_tokens,
            stop=[*stop, tokenizer.eos_token],
            seed=1234,
            repeat_penalty=1.0,
        )
        same_output += unpenalised["choices"][0]["text"] == record.output

    n = len(records)
    print(f"prompts: {n}; same prompt length in tokens: {same_length}/{n}")
    if generated:
        print(
            f"generated token: |logprob difference| max {max(generated):.4f}, mean "
            f"{statistics.fmean(generated):.4f} nats ({len(generated)} matched, "
            f"{unmatched} not matched by text)"
        )
    if top:
        print(
            f"server's top-5 tokens: |logprob difference| max {max(top):.4f}, mean "
            f"{statistics.fmean(top):.4f} nats ({len(top)} tokens)"
        )
    print(f"greedy token agrees: {greedy}/{n}")
    for line in disagreements:
        print(f"  disagreement: hf {line}")
    print(
        f"whole answers with repeat_penalty 1.0 identical to hf: {same_output}/{n} "
        "(the harness sends none, and llama-cpp-python's server defaults to 1.1)"
    )


def _quiet_libraries() -> None:
    """Imports and log levels set once, before any timing: the first run must not pay for the
    imports of all the others, and progress bars and lm-eval's INFO lines would bury the
    tables (the harness's own console goes to harness.log)."""
    os.environ["TQDM_DISABLE"] = "1"  # read when tqdm is imported
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["TRANSFORMERS_VERBOSITY"] = "error"
    import lm_eval.evaluator
    import lm_eval.tasks  # noqa: F401

    logging.disable(logging.INFO)


def _prepare() -> None:
    """Offline, loopback not proxied, libraries quiet, the tokenizer exported before any timing."""
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), HOST]))
    for name in ("PARTAGES_BENCH_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[name] = "1"
    _quiet_libraries()
    from partages_bench.tokenizers import resolve_tokenizer

    resolve_tokenizer("default")


def run_configs(args: argparse.Namespace, root: Path, log: TextIO) -> tuple[list[Config], float]:
    """Every configuration ``args.repeat`` times (hf first, then the server at each
    concurrency), and the median server start-up in seconds."""
    gguf = default_gguf()
    configs = [Config(HF, "default")] + [
        Config(f"openai-completions c={c}", "openai-completions", c) for c in args.concurrency
    ]
    startups: list[float] = []
    for repeat in range(args.repeat):
        # Each repeat starts one configuration later, so that none is always run first.
        shift = repeat % len(configs)
        for index, config in [*enumerate(configs)][shift:] + [*enumerate(configs)][:shift]:
            folder = root / f"run{repeat}-{index}"
            if config.concurrency is None:
                run_harness(config, BackendOptions(), folder, args, log)
                continue
            # A fresh server per run: llama.cpp keeps the last prompt's KV cache, which
            # would give the next configuration a free answer.
            server_log = root / f"server{repeat}-{index}.log"
            with serve(gguf, server_log, args.threads, args.logits_all) as (url, startup):
                startups.append(startup)
                options = BackendOptions(
                    base_url=url,
                    concurrency=config.concurrency,
                    tokenizer="default",
                    extra_body=args.extra_body,
                )
                run_harness(config, options, folder, args, log)
            config.runs[-1].server_rate = server_rate(server_log)
    return configs, statistics.median(startups) if startups else 0.0


def measure(limit: int = 16, concurrency: Sequence[int] = (1, 2, 4)) -> dict[str, float]:
    """items/s (without model load) of each configuration, for ``benchmarks/run_all.py``."""
    args = parse_args(["--limit", str(limit), "--concurrency", *map(str, concurrency)])
    _prepare()
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="endpoint-tp-")))
        log = stack.enter_context((root / "harness.log").open("w", encoding="utf-8"))
        configs, _ = run_configs(args, root, log)
    return {config.name: config.best().items / config.best().work for config in configs}


def figures(result: dict[str, float]) -> list[Figure]:
    """Throughput has no target: reported for the record, relative to hf."""
    hf = result[HF]
    return [
        Figure(f"backend throughput: {name}", rate, None, unit="items/s",
               detail=f"{rate / hf:.2f}× hf")
        for name, rate in result.items()
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    _prepare()
    gguf = default_gguf()
    started = time.monotonic()
    print(
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"({os.cpu_count()} CPUs)"
    )
    print(
        f"task {args.task}, limit {args.limit}, {args.repeat} run(s) per configuration, "
        f"server --n_threads {args.threads} --logits_all {str(args.logits_all).lower()}"
    )
    print(f"model {gguf.name}\n")

    with contextlib.ExitStack() as stack:
        if args.keep is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="endpoint-tp-")))
        else:
            root = args.keep
            root.mkdir(parents=True, exist_ok=True)
        log = stack.enter_context((root / "harness.log").open("w", encoding="utf-8"))
        configs, startup = run_configs(args, root, log)
        print_throughput(configs)
        print(
            "\nseconds: the run's wall time without Backend.load (the fastest run); load s: "
            "Backend.load (hf:\nthe GGUF read and dequantised; endpoints: the tokenizer); "
            f"server start-up ({startup:.1f} s) not\ncounted. x hf: "
            "speed-up over hf. srv tok/s: tokens (prompt and generated) per second of\nthe "
            "server's compute in that run (llama.cpp's timings; it serves one request at a "
            "time, so a\ndifferent rate is the machine's load, not the concurrency).\n"
        )
        print_agreement(configs, args.task)

        if args.prompts > 0:
            records = list(read_samples(configs[0].runs[0].folder, args.task).values())
            records.sort(key=lambda record: record.doc_index)
            stop, max_tokens = generation_settings(args.task, args.data_dir)
            print("\nnext-token log-probabilities, server (Q4_1, llama.cpp) vs transformers:")
            with serve(gguf, root / "server-logits.log", args.threads, True) as (url, _):
                print_server_check(url, gguf, records[: args.prompts], stop, max_tokens)
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
