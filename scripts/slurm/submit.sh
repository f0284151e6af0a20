#!/bin/bash
# Submits a sparsim sweep to Slurm: an array of N shard tasks, then a merge job that waits for
# them. Prints the two job ids.
#
#   scripts/slurm/submit.sh configs/sweeps/piuma-threads-spad.toml 8 [OUT]
#
# Extra sbatch options (partition, time, account) go in SBATCH_EXTRA, e.g.
#   SBATCH_EXTRA="--partition=short --time=01:00:00" scripts/slurm/submit.sh ...
set -euo pipefail
sweep=${1:?usage: submit.sh SWEEP.toml N [OUT]}
n=${2:?the number of shards (array tasks)}
out=${3:-reports}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_EXTRA:-} --array="1-$n" "$here/sweep.sbatch" "$sweep" "$out")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_EXTRA:-} --dependency="afterok:$array" "$here/merge.sbatch" "$sweep" "$n" "$out")
merge=${merge%%;*}
echo "shards: job $array (array 1-$n); merge: job $merge -> $out/$(sed -n 's/^name *= *"\(.*\)".*/\1/p' "$sweep" | head -n 1)/"
