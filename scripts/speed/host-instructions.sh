#!/usr/bin/env bash
# The simulator's speed as host instructions per simulated instruction, counted by valgrind's
# callgrind inside the run loop only (Sim::run): unlike seconds, the count does not depend on the
# host's clock, its load or its neighbours, so two builds can be compared exactly on any machine.
# It is not a wall-clock speed: memory stalls and slow divisions cost time, not instructions.
#
# usage: scripts/speed/host-instructions.sh [EXPERIMENT] [--set key=value ...]
#   default experiment: SMASH V1 on bcsstk13 (configs/experiments/smash-bcsstk13.toml), which took
#   4 min 16 s under callgrind on a 2-core machine (2026-11-29); `--set limits.max_cycles=1500000`, under 2 min.
# Needs valgrind (Debian: apt-get install valgrind).
source "$(dirname "$0")/common.sh"
speed_args "$@"
speed_callgrind
host=$(grep -o 'Collected : [0-9]*' "$tmp/stderr" | grep -o '[0-9]*$')
sim=$(grep -o '[0-9]* simulated instructions' "$tmp/stdout" | grep -o '^[0-9]*')
echo "$exp ${args[*]}"
echo "host instructions in the run loop: $host"
echo "simulated instructions:            $sim"
echo "host instructions per simulated instruction: $(awk -v h="$host" -v s="$sim" 'BEGIN { printf "%.1f", h / s }')"
# Where they go: the inclusive count of the parts the run loop calls, per simulated instruction.
# A part's count includes what it calls (the core's includes its scratchpad, data cache, programs
# and the events it schedules), so the lines overlap and do not sum to the total. A part the
# compiler inlined into its callers in this build has no count of its own and says so.
echo "per simulated instruction, by part (inclusive; parts overlap):"
callgrind_annotate --inclusive=yes "$tmp/callgrind.out" 2>/dev/null >"$tmp/annotate"
part() {
    local n
    n=$(grep -F "$2" "$tmp/annotate" | head -1 | awk '{ gsub(",", "", $1); print $1 }' || true)
    if [[ -z $n ]]; then
        # The compiler inlined the function into its callers in this build: no count of its own.
        printf "  %-52s %7s\n" "$1" "inlined"
        return
    fi
    awk -v n="$n" -v s="$sim" -v label="$1" 'BEGIN { printf "  %-52s %7.1f\n", label, n / s }'
}
part "PIUMA cores (issue, responses; all they call)" "PiumaCore as sparsim::engine::component::Component>::handle"
part "  their scratchpads" "sparsim::blocks::spad::Scratchpad::access_cycle"
part "  making threads ready" "sparsim::machines::piuma::core::PiumaCore::make_ready"
part "  kernels generating operations" "as sparsim::program::Program>::next_ops"
part "DRAM (all it calls)" "sparsim::blocks::dram::Dram as sparsim::engine::component::Component>::handle"
part "scheduling events (every caller)" "sparsim::engine::queue::EventQueue::push"
