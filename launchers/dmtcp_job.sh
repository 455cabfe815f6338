#!/bin/bash
# dmtcp_job [options] -- program [args...]
#
# Runs a program under checkpoint control as a batch job (Slurm or PBS/Torque, or no scheduler),
# for jobs that are preempted, hit their time limit or are requeued: the first start launches
# the program, every later start of the same job restarts it from its newest complete
# checkpoint, on whatever nodes the job now has. Put it last in the batch script, with exec
# (the scheduler's warning signal goes to the batch shell):
#
#   #SBATCH --signal=B:USR1@120 --requeue --open-mode=append
#   exec dmtcp_job --interval 3600 -- ./simulation input.dat
#
# dmtcp_sbatch and dmtcp_qsub write such scripts. What it does:
#  - starts the job's coordinator on a free port (or joins the one a site prolog started and
#    exported in DMTCP_COORD_HOST/DMTCP_COORD_PORT) and exports its address to every task;
#  - checkpoints every --interval seconds, each checkpoint blocking until all images are written;
#  - keeps each complete checkpoint as a generation: <ckptdir>/<jobid>/gen-<n>/<host>/, hard
#    links to the images each host wrote (no copies), plus the restart script; "latest" points
#    to the newest complete one; only the newest --keep generations stay;
#  - on the warning signal (--signal, default USR1) takes a checkpoint, stops the program and
#    requeues the job (Slurm: scontrol requeue; PBS: exits with --requeue-exit, 99 by default,
#    for the site's rerun policy of `qsub -r y` jobs);
#  - exits with the program's exit code when it ends.
set -u

prog=dmtcp_job
bin_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fail_rc=${DMTCP_FAIL_RC:-99}

usage() {
  cat <<'EOF'
Usage: dmtcp_job [options] -- program [args...]
Options:
  -i, --interval SEC    checkpoint every SEC seconds (default: $DMTCP_CHECKPOINT_INTERVAL, 0 = only
                        on the warning signal)
  --ckptdir DIR         where the job's checkpoints go: DIR/<jobid>/ (default:
                        $DMTCP_CHECKPOINT_DIR, else the submission directory + /dmtcp-ckpt)
  --keep N              complete checkpoints to keep (default 2)
  --signal SIG          the scheduler's warning signal (default USR1)
  --no-requeue          on the warning signal, checkpoint and stop, but do not requeue
  --requeue-exit N      PBS: exit code that asks for a rerun (default 99)
  --help                print this text
EOF
}

die() {
  echo "$prog: $*" >&2
  exit "$fail_rc"
}
say() { echo "$prog: $(date '+%F %T') $*" >&2; }

interval=${DMTCP_CHECKPOINT_INTERVAL:-0}
# The interval is this script's to keep: a coordinator or runtime that read it too would take
# checkpoints of their own, which never become generations.
unset DMTCP_CHECKPOINT_INTERVAL
ckpt_base=${DMTCP_CHECKPOINT_DIR:-}
keep=2
warn_signal=USR1
requeue=1
requeue_exit=99
while [ $# -gt 0 ]; do
  case $1 in
    -i | --interval) interval=${2:?}; shift ;;
    --ckptdir) ckpt_base=${2:?}; shift ;;
    --keep) keep=${2:?}; shift ;;
    --signal) warn_signal=${2:?}; shift ;;
    --no-requeue) requeue=0 ;;
    --requeue-exit) requeue_exit=${2:?}; shift ;;
    --help) usage; exit 0 ;;
    --) shift; break ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
[ $# -gt 0 ] || { usage >&2; die "no program given"; }
[[ $interval =~ ^[0-9]+$ ]] || die "--interval must be a number of seconds"
[[ $keep =~ ^[1-9][0-9]*$ ]] || die "--keep must be at least 1"

# The scheduler: job id, where it was submitted from, the nodes it has now.
if [ -n "${SLURM_JOB_ID:-}" ]; then
  scheduler=slurm
  # Other nodes' processes are restarted as steps of this job, not through ssh.
  export DMTCP_SSH=${DMTCP_SSH:-$bin_dir/dmtcp_srun_ssh}
  job_id=$SLURM_JOB_ID
  submit_dir=${SLURM_SUBMIT_DIR:-$PWD}
  mapfile -t nodes < <(scontrol show hostnames "${SLURM_JOB_NODELIST:-$(hostname)}" 2>/dev/null)
  # Slurm's node names, as the hosts' own names (NodeHostName) where they differ.
  for i in "${!nodes[@]}"; do
    h=$(scontrol show node "${nodes[$i]}" 2>/dev/null | grep -oE 'NodeHostName=[^ ]+' | cut -d= -f2)
    [ -n "$h" ] && nodes[i]=$h
  done
elif [ -n "${PBS_JOBID:-}" ]; then
  scheduler=pbs
  job_id=${PBS_JOBID%%.*}
  submit_dir=${PBS_O_WORKDIR:-$PWD}
  nodes=()
  if [ -r "${PBS_NODEFILE:-}" ]; then
    # One line per slot; each node once, in order.
    mapfile -t nodes < <(awk 'NF && !seen[$1]++ {print $1}' "$PBS_NODEFILE")
  fi
else
  scheduler=none
  job_id=${DMTCP_JOB_ID:-local}
  submit_dir=$PWD
  nodes=()
fi
[ ${#nodes[@]} -gt 0 ] || nodes=("$(hostname)")
# Each host once (several Slurm nodes may share one).
mapfile -t nodes < <(printf '%s\n' "${nodes[@]}" | awk 'NF && !seen[$1]++')
[ -n "$ckpt_base" ] || ckpt_base=$submit_dir/dmtcp-ckpt
job_dir=$ckpt_base/$job_id
live=$job_dir/live
mkdir -p "$live" || die "cannot create $live"
chmod 700 "$job_dir" "$live" 2>/dev/null
# Before a coordinator is started, which would outlive this exit.
if [ -e "$job_dir/finished" ]; then
  say "job $job_id already ran to its end ($job_dir/finished); nothing to do"
  exit 0
fi

# The coordinator: the site's, or our own on a free port.
own_coordinator=0
coord_host=${DMTCP_COORD_HOST:-}
coord_port=${DMTCP_COORD_PORT:-}
if [ -n "$coord_port" ]; then
  # A site's coordinator (dmtcp_slurm_site) writes this job's checkpoints where we keep them.
  if out=$("$bin_dir/dmtcp_command" -h "${coord_host:-localhost}" -p "$coord_port" \
    --ckptdir "$live" 2>&1); then
    say "joining the coordinator at ${coord_host:-localhost}:$coord_port"
  else
    say "not joining the coordinator at ${coord_host:-localhost}:$coord_port ($out): starting one"
    coord_port=""
  fi
fi
# Our coordinator on port $1 (0: a free one). Started again on the same port after it died, it
# takes over the secret it left, and the processes join it again by themselves.
start_coordinator() {
  rm -f "$job_dir/coordinator.port"
  "$bin_dir/dmtcp_coordinator" --daemon --port "$1" --port-file "$job_dir/coordinator.port" \
    --ckptdir "$live" --coord-logfile "$job_dir/coordinator.log" >/dev/null
}
if [ -z "$coord_port" ]; then
  unset DMTCP_COORD_SECRET_FILE # it names the other coordinator's secret
  start_coordinator 0 || die "cannot start the coordinator"
  coord_port=$(cat "$job_dir/coordinator.port") || die "the coordinator wrote no port"
  # Tasks on other nodes reach it by this host's name.
  coord_host=$(hostname)
  if ! getent hosts "$coord_host" >/dev/null 2>&1; then
    # A name no one resolves: this host's first address.
    coord_host=$(hostname -I 2>/dev/null | awk '{print $1}')
    [ -n "$coord_host" ] || coord_host=127.0.0.1
  fi
  own_coordinator=1
fi
export DMTCP_COORD_HOST=$coord_host DMTCP_COORD_PORT=$coord_port DMTCP_CHECKPOINT_DIR=$live
# A restart that keeps failing must not be requeued forever: dmtcp_restart gives up after this
# many restarts from one checkpoint that produce no newer one.
export DMTCP_RESTART_MAX_ATTEMPTS=${DMTCP_RESTART_MAX_ATTEMPTS:-3}
cmd=("$bin_dir/dmtcp_command" -h "$coord_host" -p "$coord_port")

stop_coordinator() {
  ((own_coordinator)) && "${cmd[@]}" -q >/dev/null 2>&1
}

# A complete checkpoint becomes generation <n>: hard links to its images, by host.
generation=0
[ -f "$job_dir/generation" ] && generation=$(cat "$job_dir/generation")
snapshot() {
  local script=$live/dmtcp_restart_script.sh n gen tmp host img base
  [ -e "$script" ] || return 1
  n=$((generation + 1))
  gen=gen-$n
  tmp=$job_dir/.$gen.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp" && cp "$(readlink -f "$script")" "$tmp/dmtcp_restart_script.sh" || return 1
  while IFS=$'\t' read -r host img; do
    mkdir -p "$tmp/$host" && ln -f "$img" "$tmp/$host/" || return 1
    # An incremental image refers to earlier generations' images kept beside it.
    for base in "$img".gen*; do
      [ -f "$base" ] || continue
      ln -f "$base" "$tmp/$host/" || return 1
    done
  done < <(bash "$script" --list-images)
  sync -f "$tmp" 2>/dev/null
  mv "$tmp" "$job_dir/$gen" || return 1
  ln -sfn "$gen" "$job_dir/latest.tmp" && mv -T "$job_dir/latest.tmp" "$job_dir/latest" || return 1
  generation=$n
  echo "$n" >"$job_dir/generation"
  # Older generations beyond --keep go.
  local g
  for g in "$job_dir"/gen-*; do
    [ -d "$g" ] && [ "${g##*/gen-}" -le $((n - keep)) ] && rm -rf "$g"
  done
  say "checkpoint $n complete: $job_dir/$gen"
  return 0
}

checkpoint() {
  local out
  if out=$("${cmd[@]}" --bcheckpoint 2>&1); then
    snapshot || say "checkpoint written, but it could not be kept as a generation"
  else
    say "checkpoint failed: $out"
    return 1
  fi
}

# Where each host of the checkpoint goes now: the batch host's processes (the job script's own)
# come here; a node still in the allocation (other than this one) keeps its processes; the
# others take the allocation's unused nodes in order (shared round robin when too few).
place_hosts() {
  local old_batch="" old new=() free=() taken h i=0 here
  here=$(hostname)
  [ -f "$job_dir/batch_host" ] && old_batch=$(cat "$job_dir/batch_host")
  local -a olds
  mapfile -t olds < <(bash "$1" --list-hosts)
  taken=" $here "
  for h in "${nodes[@]}"; do
    if [ "$h" != "$here" ] && [[ " ${olds[*]} " != *" $h "* ]]; then free+=("$h"); fi
  done
  for old in "${olds[@]}"; do
    if [ "$old" = "$old_batch" ]; then
      new+=("$here")
    elif [[ " ${nodes[*]} " == *" $old "* && $taken != *" $old "* ]]; then
      new+=("$old")
    elif [ ${#free[@]} -gt 0 ]; then
      new+=("${free[$((i++ % ${#free[@]}))]}")
    else
      new+=("$here")
    fi
    taken+="${new[-1]} "
  done
  (IFS=,; echo "${new[*]}")
}

program_pid=""
warned=0
on_warning() { warned=1; }
trap on_warning "$warn_signal"
# The scheduler's own stop (preemption, a time limit without warning, scancel): a checkpoint
# if there is time for one, then the program stops. A preempted job is requeued by Slurm.
terminated=0
on_term() { terminated=1; }
[ "$warn_signal" = TERM ] || trap on_term TERM

if [ -L "$job_dir/latest" ] && [ -f "$job_dir/latest/dmtcp_restart_script.sh" ]; then
  say "job $job_id (${scheduler}, restart ${SLURM_RESTART_COUNT:-${PBS_RUNCOUNT:-?}}): restarting from $(readlink "$job_dir/latest") on ${nodes[*]}"
  latest=$(readlink -f "$job_dir/latest")
  hosts=$(place_hosts "$latest/dmtcp_restart_script.sh")
  say "hosts of the checkpoint: $(bash "$latest/dmtcp_restart_script.sh" --list-hosts | paste -sd,) -> $hosts"
  hostname >"$job_dir/batch_host"
  bash "$latest/dmtcp_restart_script.sh" -h "$coord_host" -p "$coord_port" \
    --ckptdir "$live" --hosts "$hosts" --image-dir "$latest" &
  program_pid=$!
else
  hostname >"$job_dir/batch_host"
  say "job $job_id (${scheduler}): launching $* on ${nodes[*]}"
  "$bin_dir/dmtcp_launch" --join -h "$coord_host" -p "$coord_port" --ckptdir "$live" "$@" &
  program_pid=$!
fi

# A coordinator that died must not end checkpointing for the rest of the job: noticed within
# seconds (two failed status queries in a row), started again and logged.
coord_failures=0
watch_coordinator() {
  if "${cmd[@]}" -s >/dev/null 2>&1; then
    coord_failures=0
    return
  fi
  ((++coord_failures < 2)) && return
  if ((!own_coordinator)); then
    ((coord_failures == 2)) && say "the coordinator at $coord_host:$coord_port does not answer"
    return
  fi
  say "the coordinator (port $coord_port) is gone: starting it again"
  if start_coordinator "$coord_port"; then
    say "coordinator started again on port $coord_port; the processes join it by themselves"
    coord_failures=0
  else
    say "cannot start the coordinator again on port $coord_port; trying again"
  fi
}

next=$((SECONDS + interval))
next_watch=$((SECONDS + 5))
while kill -0 "$program_pid" 2>/dev/null; do
  if ((terminated)); then
    say "terminated: checkpointing before the end"
    checkpoint
    "${cmd[@]}" -k >/dev/null 2>&1
    wait "$program_pid" 2>/dev/null
    stop_coordinator
    exit 143
  fi
  if ((warned)); then
    say "warning signal: checkpointing"
    if checkpoint; then
      "${cmd[@]}" -k >/dev/null 2>&1
      wait "$program_pid" 2>/dev/null
      stop_coordinator
      if ((requeue)); then
        case $scheduler in
          slurm)
            say "requeueing job $job_id"
            scontrol requeue "$job_id" || die "scontrol requeue $job_id failed"
            exit 0
            ;;
          pbs)
            say "exiting with $requeue_exit for a rerun"
            exit "$requeue_exit"
            ;;
        esac
      fi
      exit 0
    fi
    warned=0
  fi
  if ((SECONDS >= next_watch)); then
    watch_coordinator
    next_watch=$((SECONDS + (coord_failures ? 1 : 5)))
  fi
  if ((interval > 0 && SECONDS >= next)); then
    checkpoint
    next=$((SECONDS + interval))
  fi
  sleep 1 &
  wait $! 2>/dev/null
done
wait "$program_pid"
rc=$?
stop_coordinator
say "the program ended with exit code $rc"
touch "$job_dir/finished"
exit "$rc"
