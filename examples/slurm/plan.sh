#!/bin/bash
# The array's index arithmetic, shared by evaluate.sbatch and merge.sbatch (and the tests).
# Settings (environment): CHECKPOINTS (file, one checkpoint path or HF id a line), SHARDS (N),
# SUITE (default: the default suite), RUNS (folder of the run folders), BACKEND (hf, vllm),
# PARTAGES (the command, default partages-bench), DRY_RUN=1 prints the commands instead.
CHECKPOINTS=${CHECKPOINTS:-checkpoints.txt}
SHARDS=${SHARDS:-4}
SUITE=${SUITE:-default}
RUNS=${RUNS:-runs}
BACKEND=${BACKEND:-hf}
PARTAGES=${PARTAGES:-partages-bench}

checkpoints() { grep -v '^[[:space:]]*\(#\|$\)' "$CHECKPOINTS"; }
n_checkpoints() { checkpoints | wc -l; }
# A checkpoint's folder name: its path with / replaced by _.
slug() { printf '%s' "$1" | tr '/:' '__'; }

execute() {
    if [[ "${DRY_RUN:-0}" == 1 ]]; then printf '%q ' "$@"; echo; else "$@"; fi
}

# The run of array index $1: checkpoint $1 / SHARDS, shard $1 % SHARDS + 1 (explicit K/N, so
# the array may hold several checkpoints; --shard auto reads K/N from the array when it holds
# one checkpoint's shards only).
job_command() {
    local index=$1 checkpoint shard
    checkpoint=$(checkpoints | sed -n "$((index / SHARDS + 1))p")
    [[ -n "$checkpoint" ]] || { echo "error: array index $index: no checkpoint $((index / SHARDS + 1)) in $CHECKPOINTS" >&2; return 2; }
    shard="$((index % SHARDS + 1))/$SHARDS"
    execute "$PARTAGES" run --model "$BACKEND" --model-args "pretrained=$checkpoint" \
        --tasks "$SUITE" --shard "$shard" \
        --output "$RUNS/shards/$(slug "$checkpoint")/shard-$((index % SHARDS + 1))"
}

# After every shard: merge each checkpoint's shards, then build the leaderboard.
merge_commands() {
    local checkpoint
    while read -r checkpoint; do
        execute "$PARTAGES" report merge "$RUNS/shards/$(slug "$checkpoint")"/shard-* \
            --output "$RUNS/merged/$(slug "$checkpoint")" --overwrite
    done < <(checkpoints)
    execute "$PARTAGES" leaderboard build "$RUNS/merged" --out "$RUNS/leaderboard"
}
