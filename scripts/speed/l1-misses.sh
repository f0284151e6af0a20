#!/usr/bin/env bash
# The simulator's first-level data-cache misses on the host, counted by valgrind's callgrind cache
# simulation inside the run loop only (Sim::run). Like host-instructions.sh, the count does not
# depend on the host's load or neighbours, so it compares two builds' memory layouts exactly where
# wall-clock time drifts by 20 to 30 %. The simulated cache has the host's first-level geometry.
#
# usage: scripts/speed/l1-misses.sh [EXPERIMENT] [--set key=value ...]
#   default: the first 300,000 cycles of SMASH V1 on bcsstk13 (about 2 minutes on a 2-core machine).
# Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/../.."
exp=configs/experiments/smash-bcsstk13.toml
if [[ $# -gt 0 && $1 != --* ]]; then
    exp=$1
    shift
fi
[[ $# -gt 0 ]] || set -- --set max_cycles=300000
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=callgrind --cache-sim=yes --toggle-collect='sparsim::engine::sim::Sim::run' \
    --callgrind-out-file="$tmp/callgrind.out" \
    target/release/sparsim run "$exp" "$@" --out "$tmp/reports" >"$tmp/stdout" 2>"$tmp/stderr" || {
    cat "$tmp/stdout" "$tmp/stderr" >&2
    exit 1
}
echo "$exp $*"
grep -E 'I +refs|D +refs|D1 +misses|LLd +misses' "$tmp/stderr" | sed 's/^==[0-9]*== //'
