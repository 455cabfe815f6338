#!/usr/bin/env bash
# ci/slurm.sh up | down | status
#
# A real Slurm (Debian's slurmctld, slurmd, munge) on this machine, without systemd: one
# controller and two compute nodes, n1 and n2, both slurmd daemons on this host (different
# ports), in two partitions: "batch" (low priority, jobs preempted by requeue after a grace
# time) and "urgent" (high priority). When the test hosts of ci/test-hosts.sh are up, each of
# them is a node too (h1, h2, ...: a slurmd in its namespace, under its own host name and
# address), in partition "hosts". With $DMTCP_SLURM_SITE_BIN (the built commands), jobs of
# partition "site" get their coordinator from slurm/dmtcp_slurm_site (Prolog, TaskProlog,
# Epilog). Requeued jobs may start again after 10 s. Everything lives
# under $DMTCP_SLURM_DIR (default /tmp/dmtcp-slurm): slurm.conf, logs, spool, state. Commands
# find the configuration through SLURM_CONF=<dir>/slurm.conf (printed by "up"; tests set it).
# Needs root (munge and slurmd run as root or munge). "up" is idempotent.
set -euo pipefail

dir=${DMTCP_SLURM_DIR:-/tmp/dmtcp-slurm}
conf=$dir/slurm.conf
export SLURM_CONF=$conf

die() {
  echo "slurm: $*" >&2
  exit 1
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  [[ -f /etc/munge/munge.key ]] || die "/etc/munge/munge.key missing (reinstall munge)"
  su -s /bin/sh munge -c /usr/sbin/munged
  for ((i = 0; i < 50; i++)); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "munged does not answer"
}

write_conf() {
  local host cpus
  host=$(hostname)
  cpus=$(nproc)
  mkdir -p "$dir/spool/ctld" "$dir/spool/n1" "$dir/spool/n2" "$dir/tmp/n1" "$dir/tmp/n2" "$dir/log"
  local hosts_file=${DMTCP_TEST_HOSTS_DIR:-/tmp/dmtcp-test-hosts}/hosts ctld=$host
  # Nodes in the test hosts' namespaces reach the controller on the bridge.
  [[ -f $hosts_file ]] && ctld="$host(10.77.0.1)"
  cat >"$conf" <<EOF
ClusterName=dmtcptest
SlurmctldHost=$ctld
SlurmctldPort=6917
SlurmdPort=6918
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=cred_expire=10
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.%n.log
TmpFS=$dir/tmp/%n
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobRequeue=1
MinJobAge=600
KillWait=5
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
SlurmctldParameters=preempt_send_user_signal
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=6921 CPUs=$cpus State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=6922 CPUs=$cpus State=UNKNOWN
PartitionName=batch Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP PriorityTier=1 PreemptMode=REQUEUE GraceTime=20 OverSubscribe=NO
PartitionName=urgent Nodes=n1,n2 MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF OverSubscribe=NO
EOF
  # The site side (slurm/dmtcp_slurm_site as Prolog, TaskProlog and Epilog), for jobs of
  # partition "site" only, when $DMTCP_SLURM_SITE_BIN names the built commands.
  local site=${DMTCP_SLURM_SITE_BIN:-}
  if [[ -n $site && -x $site/dmtcp_slurm_site ]]; then
    cat >"$dir/site-script" <<EOF
#!/bin/sh
DMTCP_SITE_PARTITIONS=site DMTCP_SITE_RUNDIR=$dir/site-run DMTCP_SITE_CONF=/dev/null exec $site/dmtcp_slurm_site
EOF
    chmod 755 "$dir/site-script"
    printf '%s\n' "Prolog=$dir/site-script" "Epilog=$dir/site-script" \
      "TaskProlog=$dir/site-script" "PrologFlags=Alloc" \
      "PartitionName=site Nodes=n1,n2 MaxTime=INFINITE State=UP PriorityTier=1 OverSubscribe=NO" \
      >>"$conf"
  fi
  if [[ -f $hosts_file ]]; then
    local name addr i=0 names=()
    while read -r name addr; do
      mkdir -p "$dir/spool/$name" "$dir/tmp/$name"
      echo "NodeName=$name NodeHostname=$name NodeAddr=$addr Port=$((6930 + i)) CPUs=$cpus State=UNKNOWN" >>"$conf"
      names+=("$name")
      i=$((i + 1))
    done <"$hosts_file"
    echo "PartitionName=hosts Nodes=$(IFS=,; echo "${names[*]}") MaxTime=INFINITE State=UP PriorityTier=1 OverSubscribe=NO" >>"$conf"
  fi
}

running() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
  ((EUID == 0)) || die "starting Slurm needs root"
  command -v slurmctld >/dev/null || die "slurmctld missing (install slurmctld slurmd slurm-client munge)"
  start_munge
  write_conf
  running "$dir/slurmctld.pid" || slurmctld -f "$conf"
  local n name addr
  for n in n1 n2; do
    running "$dir/slurmd.$n.pid" || slurmd -f "$conf" -N "$n"
  done
  local hosts_file=${DMTCP_TEST_HOSTS_DIR:-/tmp/dmtcp-test-hosts}/hosts
  if [[ -f $hosts_file ]]; then
    while read -r name addr; do
      running "$dir/slurmd.$name.pid" && continue
      # nsenter, not "ip netns exec": that mounts a new /sys, without the cgroup file systems
      # slurmd needs.
      nsenter --net="/run/netns/dmtcp-$name" unshare -u sh -c \
        "hostname $name; exec slurmd -f '$conf' -N $name"
    done <"$hosts_file"
  fi
  for ((i = 0; i < 100; i++)); do
    local want=2 have
    [[ -f $hosts_file ]] && want=$((2 + $(wc -l <"$hosts_file")))
    have=$(sinfo -h -N -o '%N %T' 2>/dev/null | sort -u | grep -cE ' (idle|mixed|allocated)')
    if ((have == want)); then
      echo "slurm: up: $(sinfo -h -N -o '%N' | sort -u | paste -sd' ') (SLURM_CONF=$conf)"
      return 0
    fi
    sleep 0.2
  done
  sinfo -N >&2 || true
  die "the nodes did not come up; see $dir/log"
}

down() {
  local f
  scancel --quiet --user root 2>/dev/null || true
  for f in "$dir"/slurmd.*.pid "$dir/slurmctld.pid"; do
    [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.5
  rm -rf "$dir"
  echo "slurm: down"
}

status() {
  [[ -f $conf ]] || die "not up"
  sinfo -N
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up | down | status" ;;
esac
