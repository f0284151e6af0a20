#!/usr/bin/env bash
# Runs SCALE-Sim v3 (from PyPI, in a venv outside the repository) and `sparsim scalesim` on the
# same configs and topologies, and compares COMPUTE_REPORT.csv's "Total Cycles" layer by layer,
# for the three dataflows on a square and two non-square arrays, on a GEMM topology and a
# convolution one, dense and N:M sparse (with SPARSE_REPORT.csv); then times both on one GEMM.
#
#   scripts/scalesim/compare.sh            # venv in $SCALESIM_VENV (default /tmp/sparsim-scalesim-venv)
#
# Needs python3 with venv and pip (PyPI reachable the first time), and cargo. Exit 1 on any
# difference in compute cycles.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
venv=${SCALESIM_VENV:-/tmp/sparsim-scalesim-venv}
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import scalesim" 2>/dev/null; then
    echo "installing SCALE-Sim into $venv"
    python3 -m venv "$venv"
    # SCALE-Sim 3.0.0 needs numpy < 2, pandas < 2.3, numba < 0.62.
    "$venv/bin/pip" install -q "scalesim==3.0.0" "numpy<2" "pandas<2.3" "numba<0.62"
fi
cargo build --release --quiet
sparsim=$PWD/target/release/sparsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >base.cfg <<'EOF'
[general]
run_name = RUN

[architecture_presets]
ArrayHeight:    ROWS
ArrayWidth:     COLS
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : DF
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
EOF
# SCALE-Sim reads a layout file even when it uses none: one row per layer, 21 fields.
layout() {
    echo "Layer name, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t,"
    for name in "$@"; do echo "$name, 1, 1, 1, 1, 1, 1, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3,"; done
}
printf 'Layer, M, N, K,\nG1, 100, 40, 70,\nG2, 256, 128, 256,\nG3, 7, 300, 33,\n' >gemm.csv
layout G1 G2 G3 >gemm-layout.csv
printf 'Layer, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nConv1, 35, 35, 5, 5, 3, 20, 2,\nConv2, 16, 16, 3, 3, 20, 30, 1,\n' >conv.csv
layout Conv1 Conv2 >conv-layout.csv
status=0
printf '%-26s %-6s %8s %14s %14s\n' "topology" "array" "dataflow" "SCALE-Sim" "sparsim"
for topo in gemm conv; do
    for df in ws os is; do
        for shape in 8x8 8x16 16x8; do
            rows=${shape%x*}
            cols=${shape#*x}
            run="${topo}_${df}_${shape}"
            sed -e "s/RUN/$run/" -e "s/ROWS/$rows/" -e "s/COLS/$cols/" -e "s/DF/$df/" base.cfg >"$run.cfg"
            "$venv/bin/python" -m scalesim.scale -c "$run.cfg" -t "$topo.csv" -l "$topo-layout.csv" \
                -p ss -i "$topo" -s N >"$run.ss.log" 2>&1 || { cat "$run.ss.log" >&2; exit 1; }
            "$sparsim" scalesim -c "$run.cfg" -t "$topo.csv" -p sp -i "$topo" >"$run.sp.log" 2>&1 ||
                { cat "$run.sp.log" >&2; exit 1; }
            # Column 3 is "Total Cycles" (compute, no stalls with CALC bandwidth).
            a=$(awk -F', ' 'NR > 1 { printf "%s ", $3 }' "ss/$run/COMPUTE_REPORT.csv")
            b=$(awk -F', ' 'NR > 1 { printf "%s ", $3 }' "sp/$run/COMPUTE_REPORT.csv")
            mark=same
            [[ $a == "$b" ]] || { mark=DIFFERENT; status=1; }
            printf '%-26s %-6s %8s %14s %14s  %s\n' "$topo.csv" "$shape" "$df" "$a" "$b" "$mark"
        done
    done
done
# Sparsity: N:M in the topology, layer-wise and row-wise (OptimizedMapping), ELLPACK and CSR
# storage: compute cycles and SPARSE_REPORT.csv (which sparsim writes except for row-wise CSR/CSC,
# whose storage follows SCALE-Sim's random N per column).
printf 'Layer, M, N, K, Sparsity,\nS1, 100, 40, 70, 2:4,\nS2, 64, 48, 96, 1:8,\nS3, 7, 30, 33, 3:4,\n' >sgemm.csv
layout S1 S2 S3 >sgemm-layout.csv
printf 'Layer, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Sparsity,\nSConv1, 35, 35, 5, 5, 3, 20, 2, 2:4,\nSConv2, 16, 16, 3, 3, 20, 30, 1, 1:4,\n' >sconv.csv
layout SConv1 SConv2 >sconv-layout.csv
for topo in sgemm sconv; do
    kind=gemm
    [[ $topo == sconv ]] && kind=conv
    for rep in ellpack_block csr; do
        for rowwise in false true; do
            run="${topo}_${rep}_rowwise-${rowwise}"
            sed -e "s/RUN/$run/" -e "s/ROWS/8/" -e "s/COLS/16/" -e "s/DF/ws/" \
                -e "s/SparsitySupport : false/SparsitySupport : true/" \
                -e "s/SparseRep : ellpack_block/SparseRep : $rep/" \
                -e "s/OptimizedMapping : false/OptimizedMapping : $rowwise/" base.cfg >"$run.cfg"
            "$venv/bin/python" -m scalesim.scale -c "$run.cfg" -t "$topo.csv" -l "$topo-layout.csv" \
                -p ss -i "$kind" -s N >"$run.ss.log" 2>&1 || { cat "$run.ss.log" >&2; exit 1; }
            "$sparsim" scalesim -c "$run.cfg" -t "$topo.csv" -p sp -i "$kind" >"$run.sp.log" 2>&1 ||
                { cat "$run.sp.log" >&2; exit 1; }
            a=$(awk -F', ' 'NR > 1 { printf "%s ", $3 }' "ss/$run/COMPUTE_REPORT.csv")
            b=$(awk -F', ' 'NR > 1 { printf "%s ", $3 }' "sp/$run/COMPUTE_REPORT.csv")
            mark=same
            [[ $a == "$b" ]] || { mark=DIFFERENT; status=1; }
            if [[ -f sp/$run/SPARSE_REPORT.csv ]]; then
                if cmp -s "ss/$run/SPARSE_REPORT.csv" "sp/$run/SPARSE_REPORT.csv"; then
                    mark="$mark, SPARSE_REPORT identical"
                else
                    mark="$mark, SPARSE_REPORT DIFFERENT"
                    status=1
                fi
            fi
            printf '%-26s %-6s %8s %14s %14s  %s\n' "$topo.csv $rep" "8x16" "rw=$rowwise" "$a" "$b" "$mark"
        done
    done
done
# Speed: one larger GEMM, both as whole processes, simulated (compute) cycles per second.
printf 'Layer, M, N, K,\nBig, 1024, 1024, 1024,\n' >big.csv
layout Big >big-layout.csv
sed -e "s/RUN/speed/" -e "s/ROWS/32/" -e "s/COLS/32/" -e "s/DF/ws/" base.cfg >speed.cfg
t0=$(date +%s.%N)
"$venv/bin/python" -m scalesim.scale -c speed.cfg -t big.csv -l big-layout.csv -p ss -i gemm -s N >speed.ss.log 2>&1
t1=$(date +%s.%N)
"$sparsim" scalesim -c speed.cfg -t big.csv -p sp -i gemm >speed.sp.log 2>&1
t2=$(date +%s.%N)
ss_cycles=$(awk -F', ' 'NR == 2 { print $3 }' ss/speed/COMPUTE_REPORT.csv)
sp_cycles=$(awk -F', ' 'NR == 2 { print $3 }' sp/speed/COMPUTE_REPORT.csv)
python3 - "$t0" "$t1" "$t2" "$ss_cycles" "$sp_cycles" <<'PY'
import sys
t0, t1, t2, ss, sp = (float(x) for x in sys.argv[1:])
a, b = t1 - t0, t2 - t1
print(f"speed, GEMM 1024^3 on 32x32 ws: SCALE-Sim {ss:.0f} cycles in {a:.2f} s ({ss / a:.3g} cycles/s); "
      f"sparsim {sp:.0f} cycles in {b:.3f} s ({sp / b:.3g} cycles/s), whole processes: {a / b:.0f}x")
PY
[[ $status -eq 0 ]] && echo "compute cycles: identical on every layer" || echo "compute cycles: DIFFERENT (see above)"
exit $status
