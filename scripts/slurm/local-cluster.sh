#!/bin/bash
# A one-node Slurm "cluster" on this machine, for trying sweeps on Slurm without a real cluster
# (and for CI). Needs root (it installs Debian's slurmctld, slurmd, slurm-client and munge if they
# are missing, and starts munged).
#
#   scripts/slurm/local-cluster.sh start [DIR]   # prints the `export SLURM_CONF=...` line to use
#   scripts/slurm/local-cluster.sh stop  [DIR]   # stops exactly the daemons `start` started
#
# DIR (default /tmp/sparsim-slurm) holds slurm.conf, state, logs and pid files. Daemons are
# stopped by their pid files, never by name, so nothing else on the machine is touched.
set -euo pipefail
cmd=${1:?usage: local-cluster.sh start|stop [DIR]}
dir=${2:-/tmp/sparsim-slurm}

case "$cmd" in
start)
    need=()
    for b in slurmctld slurmd sbatch munged; do
        command -v "$b" >/dev/null || need+=("$b")
    done
    if [ ${#need[@]} -gt 0 ]; then
        echo "installing slurm and munge (missing: ${need[*]})" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
    fi
    if [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
        echo "a local cluster is already running from $dir" >&2
        echo "export SLURM_CONF=$dir/slurm.conf"
        exit 0
    fi
    mkdir -p "$dir/state" "$dir/spool"
    # munge: a key (the package makes one; make one if not), its run directory, the daemon.
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
        chown munge:munge /etc/munge/munge.key
        chmod 400 /etc/munge/munge.key
    fi
    mkdir -p /run/munge && chown munge:munge /run/munge
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        runuser -u munge -- /usr/sbin/munged
        cp /run/munge/munged.pid "$dir/munged.pid"
    fi
    munge -n | unmunge >/dev/null
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
    cat > "$dir/slurm.conf" <<CONF
ClusterName=sparsim-local
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
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPort=6817
SlurmdPort=6818
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$dir/slurm.conf
    slurmctld
    slurmd -N localhost
    for _ in $(seq 1 60); do
        sinfo -h -o %T 2>/dev/null | grep -q idle && break
        sleep 0.5
    done
    if ! sinfo -h -o %T | grep -q idle; then
        echo "slurm did not come up; logs:" >&2
        cat "$dir"/*.log >&2
        exit 1
    fi
    echo "slurm up: $(sinfo -h -o '%P: %D node, %c CPUs, %T')" >&2
    echo "export SLURM_CONF=$dir/slurm.conf"
    ;;
stop)
    for f in slurmd slurmctld munged; do
        if [ -f "$dir/$f.pid" ]; then
            pid=$(cat "$dir/$f.pid")
            kill "$pid" 2>/dev/null || true
            # Wait for it to finish shutting down (slurmctld saves its state first).
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.2
            done
            rm -f "$dir/$f.pid"
        fi
    done
    ;;
*)
    echo "usage: local-cluster.sh start|stop [DIR]" >&2
    exit 2
    ;;
esac
