#!/usr/bin/env bash
# The simulator's speed as host instructions per simulated instruction, counted by valgrind's
# callgrind inside the run loop only (Sim::run): unlike seconds, the count does not depend on the
# host's clock, its load or its neighbours, so two builds can be compared exactly on any machine.
# It is not a wall-clock speed: memory stalls and slow divisions cost time, not instructions.
#
# usage: scripts/speed/host-instructions.sh [EXPERIMENT] [--set key=value ...]
#   default experiment: SMASH V1 on bcsstk13 (configs/experiments/smash-bcsstk13.toml), which took
#   4 min 16 s under callgrind on a 2-core machine (2026-11-29); `--set max_cycles=1500000`, under 2 min.
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/../.."
exp=configs/experiments/smash-bcsstk13.toml
if [[ $# -gt 0 && $1 != --* ]]; then
    exp=$1
    shift
fi
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=callgrind --toggle-collect='sparsim::engine::sim::Sim::run' \
    --callgrind-out-file="$tmp/callgrind.out" \
    target/release/sparsim run "$exp" "$@" --out "$tmp/reports" >"$tmp/stdout" 2>"$tmp/stderr" || {
    cat "$tmp/stdout" "$tmp/stderr" >&2
    exit 1
}
host=$(grep -o 'Collected : [0-9]*' "$tmp/stderr" | grep -o '[0-9]*$')
sim=$(grep -o '[0-9]* simulated instructions' "$tmp/stdout" | grep -o '^[0-9]*')
echo "$exp $*"
echo "host instructions in the run loop: $host"
echo "simulated instructions:            $sim"
echo "host instructions per simulated instruction: $(awk -v h="$host" -v s="$sim" 'BEGIN { printf "%.1f", h / s }')"
