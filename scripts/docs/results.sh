#!/usr/bin/env bash
# Writes the figures the docs quote, as data under docs/results/, each from the command that
# measures it (release build):
#   docs/results/reproduce-smash.md        `sparsim reproduce smash` (about 15 min with 2 cores)
#   docs/results/reproduce-sat.md          `sparsim reproduce sat` (a few seconds)
#   docs/results/reproduce-sparsebytenn.md `sparsim reproduce sparsebytenn` (about 12 min with 2 cores),
#                                          its plots in docs/results/sparsebytenn/
#   docs/results/piuma-thread-scaling.csv  `sparsim sweep configs/sweeps/piuma-thread-scaling.toml` (about 20 s)
#   docs/results/bench.txt                 `sparsim bench` (about 1 min; host speed, see docs/performance.md)
#   docs/results/memory-tiers.md           `scripts/memory/tiers.sh` (about 10 min with 2 cores)
#   docs/results/dramsim3-compare.md       `scripts/dramsim3/compare.sh` (about 1 min; needs DRAMsim3's
#                                          source: DRAMSIM3_SRC=DIR, or network to clone it)
#
#   scripts/docs/results.sh [reproduce|sat|sparsebytenn|scaling|bench|tiers|dramsim3]...
#                                          (default: all but dramsim3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
what=("$@")
[[ ${#what[@]} -gt 0 ]] || what=(reproduce sat sparsebytenn scaling bench)
cargo build --release --quiet
bin=target/release/sparsim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# "+changes": the sources differ from that commit (the results being written do not count).
header() {
    echo "<!-- written by scripts/docs/results.sh: $1; commit $(git rev-parse --short HEAD)$(git diff --quiet -- . ':!docs/results' || echo '+changes'); host $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores -->"
}
for w in "${what[@]}"; do
    case $w in
    reproduce)
        "$bin" reproduce smash --out "$tmp" >/dev/null
        { header "sparsim reproduce smash"; echo; cat "$tmp/reproduce-smash/summary.md"; } >docs/results/reproduce-smash.md
        ;;
    sat)
        "$bin" reproduce sat --out "$tmp" >/dev/null
        { header "sparsim reproduce sat"; echo; cat "$tmp/reproduce-sat/summary.md"; } >docs/results/reproduce-sat.md
        ;;
    sparsebytenn)
        "$bin" reproduce sparsebytenn --out "$tmp" >/dev/null
        { header "sparsim reproduce sparsebytenn"; echo; cat "$tmp/reproduce-sparsebytenn/summary.md"; } >docs/results/reproduce-sparsebytenn.md
        rm -rf docs/results/sparsebytenn
        mkdir -p docs/results/sparsebytenn
        cp "$tmp"/reproduce-sparsebytenn/*.svg docs/results/sparsebytenn/
        ;;
    scaling)
        "$bin" sweep configs/sweeps/piuma-thread-scaling.toml --quiet --dir "$tmp/scaling" >/dev/null
        cp "$tmp/scaling/results.csv" docs/results/piuma-thread-scaling.csv
        ;;
    bench)
        { header "sparsim bench"; "$bin" bench; } >docs/results/bench.txt
        ;;
    tiers)
        scripts/memory/tiers.sh "$bin" >"$tmp/tiers.md"
        { header "scripts/memory/tiers.sh"; echo; cat "$tmp/tiers.md"; } >docs/results/memory-tiers.md
        ;;
    dramsim3)
        scripts/dramsim3/compare.sh >"$tmp/dramsim3.md"
        { header "scripts/dramsim3/compare.sh"; echo; cat "$tmp/dramsim3.md"; } >docs/results/dramsim3-compare.md
        ;;
    *)
        echo "unknown: $w (reproduce, sat, sparsebytenn, scaling, bench, tiers or dramsim3)" >&2
        exit 2
        ;;
    esac
    echo "wrote docs/results for $w"
done
