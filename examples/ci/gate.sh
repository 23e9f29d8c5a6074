#!/usr/bin/env bash
# Regression gate: evaluate a candidate checkpoint, compare it with a stored baseline run, write
# the comparison as markdown, and fail (exit 1) when a blocking task regressed.
#
#   examples/ci/gate.sh BASELINE_DIR CANDIDATE_MODEL_ARGS [RUN_OPTIONS...]
#
# e.g. examples/ci/gate.sh baselines/main pretrained=org/checkpoint --tasks qa --limit 200
# RUN_OPTIONS must evaluate what the baseline evaluated (tasks, limit, few-shot, seed): compare
# refuses a task whose task or data hash differs.
#
# Environment:
#   GATE_MODEL      backend of the candidate (default hf; 'default' for the embedded model)
#   GATE_OUTPUT     candidate run folder (default runs/candidate)
#   GATE_POLICY     compare policy (default policy.yaml beside this script)
#   GATE_SUMMARY    markdown summary written here (default summary.md)
#   PARTAGES_BENCH  the command to call (default partages-bench)
#   GITHUB_STEP_SUMMARY  set by GitHub Actions: the summary is appended to it
# Exit code: run's if it fails, else compare's (0 no regression, 1 regression, 2 bad input).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BASELINE_DIR CANDIDATE_MODEL_ARGS [RUN_OPTIONS...]" >&2
  exit 2
fi
baseline=$1
model_args=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
output=${GATE_OUTPUT:-runs/candidate}
policy=${GATE_POLICY:-$here/policy.yaml}
summary=${GATE_SUMMARY:-summary.md}
# Unquoted on purpose: PARTAGES_BENCH may be a command with arguments ("python -m partages_bench").
bench=${PARTAGES_BENCH:-partages-bench}

$bench run --model "${GATE_MODEL:-hf}" --model-args "$model_args" "$@" --output "$output"
status=0
$bench compare "$baseline" "$output" --policy "$policy" --format markdown >"$summary" || status=$?
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
exit "$status"
