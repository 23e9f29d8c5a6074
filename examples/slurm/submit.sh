#!/bin/bash
# Submit N checkpoints × SHARDS shards as one array, and the merge after it succeeds.
# Usage: CHECKPOINTS=checkpoints.txt SHARDS=4 examples/slurm/submit.sh [sbatch options…]
# (e.g. --account=abc@v100 --qos=qos_gpu-t3 on Jean Zay; see README.md).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PLAN="$here/plan.sh"
# shellcheck source=examples/slurm/plan.sh
source "$PLAN"
mkdir -p logs
jobs=$(( $(n_checkpoints) * SHARDS ))
array=$(sbatch --parsable --export=ALL "$@" --array="0-$((jobs - 1))" "$here/evaluate.sbatch")
echo "array job $array: $jobs jobs"
merge=$(sbatch --parsable --export=ALL "$@" --dependency="afterok:${array%%;*}" "$here/merge.sbatch")
echo "merge job $merge (after $array)"
