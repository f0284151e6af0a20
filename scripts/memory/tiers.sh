#!/usr/bin/env bash
# The two timing tiers side by side: every bundled SAT and mobile experiment, and a DRAM-bound
# stream on the A76-like core, run with the calibrated transfer model (memory.model = "transfer",
# the default) and with the dram block itself (memory.model = "dram"). Prints a Markdown table of
# simulated cycles, their gap, and each run's wall time (host-dependent: compare the two columns
# of one row, taken in the same minutes, not rows across runs).
#
#   scripts/memory/tiers.sh [BINARY]        (default target/release/sparsim; about 10 min on 2 cores)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bin=${1:-target/release/sparsim}
[[ -x $bin ]] || { echo "$bin: not an executable (cargo build --release)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stream=(--set 'kernel="../../workloads/kernels/aarch64/stream_sum.s"' --set 'driver="loop"' --set m=1 --set n=4194304 --name stream)
run() { # label key experiment [args...]
    local label=$1 key=$2 exp=$3
    shift 3
    local row="| $label |"
    local cycles=()
    for model in transfer dram; do
        local out="$tmp/$label-$model"
        local t0=$(date +%s.%N)
        "$bin" run "$exp" "$@" --set "$key=\"$model\"" --out "$out" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
        local t1=$(date +%s.%N)
        local c=$(python3 -c "import json,glob,sys; print(int(json.load(open(glob.glob(sys.argv[1] + '/*/report.json')[0]))['derived']['cycles']['value']))" "$out")
        cycles+=("$c")
        row+=" $c | $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s |"
    done
    local gap=$(python3 -c "import sys; a, b = map(int, sys.argv[1:]); print(f'{(b / a - 1) * 100:+.2f} %')" "${cycles[@]}")
    echo "$row $gap |"
}
echo "| run | cycles, transfer model | wall | cycles, dram block | wall | dram block against transfer model |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for exp in configs/experiments/sat-*.toml; do
    run "$(basename "$exp" .toml)" sat.memory.model "$exp"
done
for exp in configs/experiments/mobile-*.toml; do
    run "$(basename "$exp" .toml)" memory.model "$exp"
done
run "mobile-a76-stream-16MB" memory.model configs/experiments/mobile-a76-sgemm.toml "${stream[@]}"
