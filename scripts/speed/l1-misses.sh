#!/usr/bin/env bash
# The simulator's first-level data-cache misses on the host, counted by valgrind's callgrind cache
# simulation inside the run loop only (Sim::run). Like host-instructions.sh, the count does not
# depend on the host's load or neighbours, so it compares two builds' memory layouts exactly where
# wall-clock time drifts by 20 to 30 %. The simulated cache has the host's first-level geometry.
#
# usage: scripts/speed/l1-misses.sh [EXPERIMENT] [--set key=value ...]
#   default: the first 300,000 cycles of SMASH V1 on bcsstk13 (about 2 minutes on a 2-core machine).
# Needs valgrind (Debian: apt-get install valgrind).
source "$(dirname "$0")/common.sh"
speed_args "$@"
[[ ${#args[@]} -gt 0 ]] || args=(--set limits.max_cycles=300000)
speed_callgrind --cache-sim=yes
echo "$exp ${args[*]}"
grep -E 'I +refs|D +refs|D1 +misses|LLd +misses' "$tmp/stderr" | sed 's/^==[0-9]*== //'
