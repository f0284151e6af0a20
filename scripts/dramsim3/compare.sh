#!/usr/bin/env bash
# sparsim's dram block beside DRAMsim3 (umd-memsys/DRAMsim3) on the same organisation, address
# mapping, controller and requests: DDR4-3200 x8 8 Gb (DRAMsim3's configs/DDR4_8Gb_x8_3200.ini,
# where sparsim's DDR4-3200 preset and its controller come from), one channel of 1 or 2 ranks
# (DRAMsim3's channel_size decides the ranks: 8192 MB a rank), mapping rochrababgco, random and
# stream traffic with 2:1 reads:writes as DRAMsim3's RandomCPU and StreamCPU make it.
#
# Both simulators run the same requests: `sparsim trace generate` writes them, and DRAMsim3 reads
# them with its trace CPU (all due at cycle 0, so it issues as fast as its queues accept, as its
# own CPUs do). DRAMsim3 runs CYCLES cycles; sparsim runs the requests DRAMsim3 completed in them.
# Prints bandwidth, ACTs per access, average read latency and requests per second of each side
# by side, each simulator timed as a whole process in the same minutes; DRAMsim3's requests per
# second with its own built-in generator are printed too, and sparsim's speed is given against the
# faster of DRAMsim3's two. sparsim runs twice: with its preset's controller (DRAMsim3's), and
# with one shared 32-request window and no write buffer, to show what the controller changes.
#
#   scripts/dramsim3/compare.sh [DRAMSIM3_SOURCE_DIR]     (or DRAMSIM3_SRC=DIR; with network and
#                                                         neither given, it clones the source)
#
# DRAMsim3 is built in a scratch directory outside the repository and deleted afterwards; its
# code is never copied into sparsim. Set CYCLES (default 2000000 DRAM cycles) for longer runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
src=${1:-${DRAMSIM3_SRC:-}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -z $src ]]; then
    echo "no DRAMsim3 source named: cloning https://github.com/umd-memsys/DRAMsim3" >&2
    if ! git clone -q --depth 1 https://github.com/umd-memsys/DRAMsim3 "$work/src"; then
        echo "error: cannot clone DRAMsim3; name a checkout: scripts/dramsim3/compare.sh DIR (or DRAMSIM3_SRC=DIR)" >&2
        exit 2
    fi
    src=$work/src
fi
if [[ ! -f $src/src/controller.cc || ! -f $src/configs/DDR4_8Gb_x8_3200.ini ]]; then
    echo "error: $src is not a DRAMsim3 source tree (no src/controller.cc or configs/DDR4_8Gb_x8_3200.ini)" >&2
    exit 2
fi
cp -r "$src" "$work/dramsim3"
echo "building DRAMsim3 in $work/dramsim3" >&2
(cd "$work/dramsim3" && make -j"$(nproc)" dramsim3main.out >"$work/build.log" 2>&1) || {
    tail -20 "$work/build.log" >&2
    exit 1
}
cargo build --release --quiet
bin=$PWD/target/release/sparsim
cycles=${CYCLES:-2000000}
now() { date +%s.%N; }
stat() { awk -v k="$1" '$1 == k { print $3; exit }' "$2/dramsim3.txt"; }
# ds3 OUT ARGS...: DRAMsim3 for $cycles cycles on $ini; sets ds3_s (its seconds) and ds3_n
# (the requests it completed).
ds3() {
    local out=$1 t0 t1
    shift
    mkdir -p "$out"
    t0=$(now)
    "$work/dramsim3/dramsim3main.out" "$ini" -c "$cycles" "$@" -o "$out" >/dev/null
    t1=$(now)
    ds3_s=$(python3 -c "print($t1 - $t0)")
    ds3_n=$(($(stat num_reads_done "$out") + $(stat num_writes_done "$out")))
}
printf '| pattern | ranks | sparsim controller | requests | bandwidth GB/s: DRAMsim3 / sparsim / ratio | ACTs per access: DRAMsim3 / sparsim / ratio | avg read latency ns: DRAMsim3 / sparsim | requests/s: DRAMsim3 on the trace; with its own generator / sparsim / ratio to the faster |\n'
printf '| --- | ---: | --- | ---: | --- | --- | --- | --- |\n'
for pattern in random stream; do
    for ranks in 1 2; do
        ini=$work/ddr4-$ranks.ini
        sed "s/^channel_size = .*/channel_size = $((8192 * ranks))/" "$work/dramsim3/configs/DDR4_8Gb_x8_3200.ini" >"$ini"
        # DRAMsim3 with its own generator: how many requests it completes, and how fast.
        ds3 "$work/own-$pattern-$ranks" -s "$pattern"
        n_own=$ds3_n own_s=$ds3_s
        # The same traffic as a trace, longer than DRAMsim3 needs, in its trace format.
        trace=$work/$pattern-$ranks
        "$bin" trace generate --pattern "$pattern" --requests $((n_own * 13 / 10)) --mix 2:1 \
            --footprint $((8 * ranks << 30)) "$trace.long" >/dev/null
        "$bin" trace convert --text "$trace.long" "$trace.txt" >/dev/null
        awk 'NR > 1 { print $2, ($1 == "S" ? "WRITE" : "READ"), 0 }' "$trace.txt" >"$trace.ds3"
        out=$work/ds3-$pattern-$ranks
        ds3 "$out" -t "$trace.ds3"
        n=$ds3_n
        # sparsim on the requests DRAMsim3 completed: the same seed gives the same first n.
        "$bin" trace generate --pattern "$pattern" --requests "$n" --mix 2:1 \
            --footprint $((8 * ranks << 30)) "$trace.trace" >/dev/null
        for variant in preset window; do
            # What DRAMsim3's controller holds before its CPU waits: 8 accesses in each bank
            # queue (16 banks a rank), 32 reads and 32 writes.
            sets=(--set "dram.org.ranks=$ranks" --set "core.max_outstanding=$((128 * ranks + 64))")
            if [[ $variant == window ]]; then
                sets+=(--set dram.bank_queue=0 --set dram.write_buffer=0 --set dram.row_hit_cap=0
                    --set core.max_outstanding=64)
            fi
            t4=$(now)
            "$bin" cachesim configs/cachesim/dram-only-ddr4-3200.toml "$trace.trace" \
                "${sets[@]}" --out "$work/sp" --name "$pattern-$ranks-$variant" >/dev/null
            t5=$(now)
            python3 - "$work/sp/$pattern-$ranks-$variant/report.json" "$pattern" "$ranks" "$n" \
                "$(stat average_bandwidth "$out")" "$(stat num_act_cmds "$out")" \
                "$(stat average_read_latency "$out")" "$(awk '$1 == "tCK" { print $3 }' "$ini")" \
                "$ds3_s" "$t4" "$t5" "$variant" "$n_own" "$own_s" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
pattern, ranks, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
ds_bw, ds_acts, ds_lat_cyc, tck = (float(x) for x in sys.argv[5:9])
ds_s, t4, t5 = (float(x) for x in sys.argv[9:12])
variant = {"preset": "the preset's (DRAMsim3's)", "window": "one 32-request window"}[sys.argv[12]]
n_own, own_s = int(sys.argv[13]), float(sys.argv[14])
st = {e["name"]: e["value"] for e in r["stats"]}
d = {k: v["value"] for k, v in r["derived"].items()}
sp_bw = d["dram.bandwidth_gb_s"]
served = st["dram.reads"] + st["dram.writes"] + st.get("dram.write_buffer_forwards", 0) + st.get("dram.write_buffer_merges", 0)
sp_acts = st["dram.activates"] / max(1, served)
ds_acts_pa = ds_acts / n
sp_lat = d["dram.avg_read_latency_ns"]
ds_rps, own_rps, sp_rps = n / ds_s, n_own / own_s, n / (t5 - t4)
print(f"| {pattern} | {ranks} | {variant} | {n} | {ds_bw:.2f} / {sp_bw:.2f} / {sp_bw / ds_bw:.3f} | "
      f"{ds_acts_pa:.4f} / {sp_acts:.4f} / {sp_acts / ds_acts_pa:.3f} | {ds_lat_cyc * tck:.1f} / {sp_lat:.1f} | "
      f"{ds_rps:,.0f}; {own_rps:,.0f} / {sp_rps:,.0f} / {sp_rps / max(ds_rps, own_rps):.1f}x |")
PY
        done
    done
done
echo
echo "DRAMsim3 $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '(not a git checkout)') built with its Makefile (-O3); sparsim release build. Requests/s: whole processes (sparsim's excludes writing its trace file; DRAMsim3's trace runs include reading its text trace)."
