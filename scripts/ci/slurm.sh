#!/bin/bash
# Proves the cluster path on a real single-node Slurm: installs Debian's slurm and munge if
# missing, starts munged, slurmctld and slurmd on localhost (config and state in a temporary
# directory), runs a small sweep locally, submits the same sweep as a 3-task job array plus a
# merge job (scripts/slurm/submit.sh), waits, and checks that the merged results.jsonl is
# byte-identical to the local one. Stops only the daemons it started, by their pid files.
#
#   scripts/ci/slurm.sh [SPARSIM_BINARY]      (default target/debug/sparsim)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
sparsim=$(realpath "${1:-target/debug/sparsim}")
sweep=sim/tests/data/sweeps/tiny.toml
shards=3

need=()
for b in slurmctld slurmd sbatch munged; do
    command -v "$b" >/dev/null || need+=("$b")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing slurm and munge (missing: ${need[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

work=$(mktemp -d /tmp/sparsim-slurm.XXXXXX)
started_munge=0
cleanup() {
    for f in "$work/slurmd.pid" "$work/slurmctld.pid"; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    if [ "$started_munge" = 1 ] && [ -f /run/munge/munged.pid ]; then
        kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    fi
    sleep 1
    rm -rf "$work"
}
trap cleanup EXIT

# munge: a key (the package makes one; make one if not), its run directory, the daemon.
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge && chown munge:munge /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
    started_munge=1
fi
munge -n | unmunge >/dev/null

cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=sparsim-ci
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPort=6817
SlurmdPort=6818
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld
slurmd -N localhost
for _ in $(seq 1 60); do
    sinfo -h -o %T 2>/dev/null | grep -q idle && break
    sleep 0.5
done
sinfo -h -o %T | grep -q idle || { echo "slurm did not come up"; cat "$work"/*.log; exit 1; }
echo "slurm up: $(sinfo -h -o '%P %D %T %c')"

# The reference: the same sweep in one local process.
"$sparsim" sweep "$sweep" --quiet --out "$work/local" >/dev/null

# The cluster run: jobs start in the submit directory, which is the repository root.
export SPARSIM=$sparsim
submitted=$(scripts/slurm/submit.sh "$sweep" "$shards" "$work/cluster")
echo "$submitted"
for _ in $(seq 1 600); do
    [ -z "$(squeue -h -o %i)" ] && break
    sleep 0.5
done
if [ -n "$(squeue -h -o %i)" ]; then
    echo "jobs still queued after 5 minutes:"; squeue; exit 1
fi
merged=$work/cluster/tiny/results.jsonl
if [ ! -f "$merged" ]; then
    echo "no merged results; job output:"; cat slurm-*.out 2>/dev/null || true; exit 1
fi
rm -f slurm-*.out
cmp "$merged" "$work/local/tiny/results.jsonl"
[ -f "$work/cluster/tiny/index.html" ]
echo "slurm: $(wc -l < "$merged") points from a $shards-task job array, merged, byte-identical to the local run"
