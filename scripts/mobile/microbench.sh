#!/usr/bin/env bash
# The mobile cores' micro-benchmark table: each micro-kernel on the A76-like and A55-like cores,
# cycles per loop iteration (the difference of a 300- and a 100-iteration run over 200, so set-up
# and drain cancel) beside what the core files' latencies and pipe counts give in closed form.
#
#   scripts/mobile/microbench.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cargo build --release --quiet
bin=$PWD/target/release/sparsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cycles() { # kernel core iterations floats
    local out=$work/$1-$2-$3
    "$bin" run configs/experiments/mobile-a76-sgemm.toml --out "$out" --name r \
        --set "kernel=\"../../workloads/kernels/aarch64/$1.s\"" --set "core=\"../mobile/$2.toml\"" \
        --set 'driver="loop"' --set "m=$3" --set "n=$4" >/dev/null
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(next(s['value'] for s in r['stats'] if s['name']=='core.cycles'))" "$out/r/report.json"
}
printf '| kernel | core | what it measures | expected cycles / iteration | simulated |\n| --- | --- | --- | ---: | ---: |\n'
row() { # kernel core floats expected what
    local a b
    a=$(cycles "$1" "$2" 100 "$3")
    b=$(cycles "$1" "$2" 300 "$3")
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$5" "$4" "$(python3 -c "print(($b - $a) / 200)")"
}
row fmla_chain_mul cortex-a76 32 32 "8 FMLAs through the multiplicand: 8 x latency 4"
row fmla_chain_acc cortex-a76 32 16 "8 FMLAs through the accumulator: 8 x forwarding 2"
row fmla_independent cortex-a76 32 4 "8 independent FMLAs on 2 pipes"
row load_chain cortex-a76 16 32 "8 dependent L1 loads: 8 x load-to-use 4"
row postindex_chain cortex-a76 16 8 "8 loads chained through their written-back bases: 8 x 1"
row fmla_chain_mul cortex-a55 32 32 "8 x FMLA latency 4"
row fmla_chain_acc cortex-a55 32 32 "8 x 4 (no forwarding modelled)"
row fmla_independent cortex-a55 32 8 "8 FMLAs on 1 Q-form FMLA pipe"
row load_chain cortex-a55 16 32 "8 x load-to-use 4"
row postindex_chain cortex-a55 16 16 "8 128-bit loads x 2 cycles on the one load pipe"
