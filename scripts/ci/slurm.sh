#!/bin/bash
# Proves the cluster path on a real single-node Slurm: brings one up with
# scripts/slurm/local-cluster.sh (installing Debian's slurm and munge if missing), runs a small
# sweep locally, submits the same sweep as a 3-task job array plus a merge job
# (scripts/slurm/submit.sh), waits, checks that the merged results.jsonl is byte-identical to the
# local one, and stops the daemons it started.
#
#   scripts/ci/slurm.sh [SPARSIM_BINARY]      (default target/debug/sparsim)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
sparsim=$(realpath "${1:-target/debug/sparsim}")
sweep=sim/tests/data/sweeps/tiny.toml
shards=3

work=$(mktemp -d /tmp/sparsim-slurm.XXXXXX)
cleanup() {
    scripts/slurm/local-cluster.sh stop "$work/cluster-state" || true
    rm -f slurm-*.out
    rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/slurm/local-cluster.sh start "$work/cluster-state")"

# The reference: the same sweep in one local process.
"$sparsim" sweep "$sweep" --quiet --out "$work/local" >/dev/null

# The cluster run: jobs start in the submit directory, which is the repository root.
export SPARSIM=$sparsim
scripts/slurm/submit.sh "$sweep" "$shards" "$work/cluster"
for _ in $(seq 1 600); do
    [ -z "$(squeue -h -o %i)" ] && break
    sleep 0.5
done
if [ -n "$(squeue -h -o %i)" ]; then
    echo "jobs still queued after 5 minutes:"; squeue; exit 1
fi
merged=$work/cluster/tiny/results.jsonl
if [ ! -f "$merged" ]; then
    echo "no merged results; job output:"; cat slurm-*.out 2>/dev/null || true; exit 1
fi
cmp "$merged" "$work/local/tiny/results.jsonl"
[ -f "$work/cluster/tiny/index.html" ]
echo "slurm: $(wc -l < "$merged") points from a $shards-task job array, merged, byte-identical to the local run"
