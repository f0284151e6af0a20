#!/usr/bin/env bash
# sparsim's dram block beside DRAMsim3 (umd-memsys/DRAMsim3) on the same organisation, address
# mapping and traffic: DDR4-3200 x8 8 Gb (DRAMsim3's configs/DDR4_8Gb_x8_3200.ini, which is where
# sparsim's DDR4-3200 preset comes from), one channel of 1 or 2 ranks (DRAMsim3's channel_size
# decides the ranks: 8192 MB a rank), mapping rochrababgco, random and stream traffic with 2:1
# reads:writes made by DRAMsim3's own RandomCPU and StreamCPU, and by `sparsim trace generate` the
# same way. Prints bandwidth, ACTs per access, average read latency and requests per second of
# each, side by side; each simulator runs as a whole process, in the same minutes. sparsim runs
# twice: with reads and writes in one scheduler window, and with a 32-entry write buffer drained
# as DRAMsim3's controller drains it (`dram.write_buffer`).
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
printf '| pattern | ranks | sparsim writes | requests | bandwidth GB/s: DRAMsim3 / sparsim / ratio | ACTs per access: DRAMsim3 / sparsim / ratio | avg read latency ns: DRAMsim3 / sparsim | requests/s: DRAMsim3 / sparsim / ratio |\n'
printf '| --- | ---: | --- | ---: | --- | --- | --- | --- |\n'
for pattern in random stream; do
    for ranks in 1 2; do
        ini=$work/ddr4-$ranks.ini
        sed "s/^channel_size = .*/channel_size = $((8192 * ranks))/" "$work/dramsim3/configs/DDR4_8Gb_x8_3200.ini" >"$ini"
        out=$work/ds3-$pattern-$ranks
        mkdir -p "$out"
        t0=$(now)
        "$work/dramsim3/dramsim3main.out" "$ini" -c "$cycles" -s "$pattern" -o "$out" >/dev/null
        t1=$(now)
        stat() { awk -v k="$1" '$1 == k { print $3; exit }' "$out/dramsim3.txt"; }
        reads=$(stat num_reads_done)
        writes=$(stat num_writes_done)
        n=$((reads + writes))
        "$bin" trace generate --pattern "$pattern" --requests "$n" --mix 2:1 --footprint $((8 * ranks << 30)) \
            "$work/$pattern-$ranks.trace" >/dev/null
        for variant in buffered shared; do
            sets=(--set "dram.org.ranks=$ranks")
            [[ $variant == buffered ]] && sets+=(--set dram.write_buffer=32 --set dram.write_idle=8)
            t2=$(now)
            "$bin" cachesim configs/cachesim/dram-only-ddr4-3200.toml "$work/$pattern-$ranks.trace" \
                "${sets[@]}" --out "$work/sp" --name "$pattern-$ranks-$variant" >/dev/null
            t3=$(now)
            python3 - "$work/sp/$pattern-$ranks-$variant/report.json" "$pattern" "$ranks" "$n" \
                "$(stat average_bandwidth)" "$(stat num_act_cmds)" "$(stat average_read_latency)" \
                "$(awk '$1 == "tCK" { print $3 }' "$ini")" "$t0" "$t1" "$t2" "$t3" "$variant" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
pattern, ranks, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
ds_bw, ds_acts, ds_lat_cyc, tck = (float(x) for x in sys.argv[5:9])
t0, t1, t2, t3 = (float(x) for x in sys.argv[9:13])
variant = {"buffered": "write buffer", "shared": "one queue"}[sys.argv[13]]
st = {e["name"]: e["value"] for e in r["stats"]}
d = {k: v["value"] for k, v in r["derived"].items()}
sp_bw = d["dram.bandwidth_gb_s"]
served = st["dram.reads"] + st["dram.writes"] + st.get("dram.write_buffer_forwards", 0) + st.get("dram.write_buffer_merges", 0)
sp_acts = st["dram.activates"] / max(1, served)
ds_acts_pa = ds_acts / n
sp_lat = d["dram.avg_read_latency_ns"]
ds_rps, sp_rps = n / (t1 - t0), n / (t3 - t2)
print(f"| {pattern} | {ranks} | {variant} | {n} | {ds_bw:.2f} / {sp_bw:.2f} / {sp_bw / ds_bw:.3f} | "
      f"{ds_acts_pa:.4f} / {sp_acts:.4f} / {sp_acts / ds_acts_pa:.3f} | {ds_lat_cyc * tck:.1f} / {sp_lat:.1f} | "
      f"{ds_rps:,.0f} / {sp_rps:,.0f} / {sp_rps / ds_rps:.1f}x |")
PY
        done    done
done
echo
echo "DRAMsim3 $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '(not a git checkout)') built with its Makefile (-O3); sparsim release build. Requests/s: whole processes (sparsim's excludes writing its trace file)."
