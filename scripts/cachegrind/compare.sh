#!/usr/bin/env bash
# Compare sparsim's cachegrind-like hierarchy with valgrind's cachegrind on one program.
# Usage: scripts/cachegrind/compare.sh [PROGRAM [ARGS...]]   (default: builds workloads/traces/kernel.c)
# Needs valgrind (3.19 used here) and a release build of sparsim (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -eq 0 ]; then
  gcc -O1 -static -o "$work/kernel" workloads/traces/kernel.c
  set -- "$work/kernel"
fi
I1=${I1:-32768,8,64}; D1=${D1:-32768,8,64}; LL=${LL:-262144,8,64}
valgrind --tool=lackey --trace-mem=yes --log-file="$work/trace.lackey" "$@" >/dev/null
valgrind --tool=cachegrind --cache-sim=yes --I1="$I1" --D1="$D1" --LL="$LL" --cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null | grep -E "I1  misses|D1  misses|LL misses"
IFS=, read -r i1s i1w _ <<<"$I1"; IFS=, read -r d1s d1w _ <<<"$D1"; IFS=, read -r lls llw _ <<<"$LL"
./target/release/sparsim cachesim configs/cachesim/cachegrind.toml "$work/trace.lackey" --out "$work/reports" --name cachegrind \
  --set level[0].cache.size_bytes="$i1s" --set level[0].cache.n_ways="$i1w" \
  --set level[1].cache.size_bytes="$d1s" --set level[1].cache.n_ways="$d1w" \
  --set level[2].cache.size_bytes="$lls" --set level[2].cache.n_ways="$llw" >/dev/null
python3 - "$work"/reports/cachegrind/report.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["derived"]
for lvl in ("l1i", "l1d", "ll"):
    print(f"sparsim {lvl} misses (per operation, as cachegrind counts): {d[lvl + '.misses_per_operation']['value']:.0f}")
PY
