#!/usr/bin/env bash
# Runs every bundled experiment (configs/experiments/*.toml) and every example sweep
# (configs/sweeps/*.toml) with one sparsim binary, into one output folder, so that two builds can
# be compared byte for byte with scripts/identical/compare.sh.
#
#   scripts/identical/run-all.sh BINARY OUT_DIR
#
# A refactor that must not change behaviour is checked like this:
#   cp target/release/sparsim /tmp/before && scripts/identical/run-all.sh /tmp/before /tmp/a
#   ... change, cargo build --release ...
#   scripts/identical/run-all.sh target/release/sparsim /tmp/b && scripts/identical/compare.sh /tmp/a /tmp/b
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[[ $# -eq 2 ]] || { echo "usage: $0 BINARY OUT_DIR" >&2; exit 2; }
bin=$(realpath "$1")
out=$2
[[ -x $bin ]] || { echo "$1: not an executable" >&2; exit 2; }
[[ ! -e $out ]] || { echo "$out: exists already; give a new folder" >&2; exit 2; }
mkdir -p "$out/runs" "$out/sweeps"
for exp in configs/experiments/*.toml; do
    name=$(basename "$exp" .toml)
    echo "run $exp"
    mkdir -p "$out/runs/$name"
    "$bin" run "$exp" --out "$out/runs/$name" >"$out/runs/$name.stdout" 2>&1 || {
        echo "$exp failed:" >&2
        cat "$out/runs/$name.stdout" >&2
        exit 1
    }
done
for sweep in configs/sweeps/*.toml; do
    name=$(basename "$sweep" .toml)
    echo "sweep $sweep"
    "$bin" sweep "$sweep" --quiet --dir "$out/sweeps/$name" >"$out/sweeps/$name.stdout" 2>&1 || {
        echo "$sweep failed:" >&2
        cat "$out/sweeps/$name.stdout" >&2
        exit 1
    }
done
echo "done: $out"
