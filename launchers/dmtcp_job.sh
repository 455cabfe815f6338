#!/bin/bash
# dmtcp_job [options] -- program [args...]
#
# Runs a program under checkpoint control as a batch job (Slurm or PBS/Torque, or no scheduler),
# for jobs that are preempted, hit their time limit or are requeued: the first start launches
# the program, every later start of the same job (with --name: of any job of that name) restarts
# it from its newest complete checkpoint, on whatever nodes the job now has. Put it last in the
# batch script, with exec (the scheduler's warning signal goes to the batch shell):
#
#   #SBATCH --signal=B:USR1@120 --requeue --open-mode=append
#   exec dmtcp_job --interval 3600 -- ./simulation input.dat
#
# dmtcp_sbatch and dmtcp_qsub write such scripts. What it does:
#  - starts the job's coordinator on a free port (or joins the one a site prolog started and
#    exported in DMTCP_COORD_HOST/DMTCP_COORD_PORT) and exports its address to every task;
#  - checkpoints every --interval seconds, each checkpoint blocking until all images are written;
#  - keeps each complete checkpoint as a generation: <ckptdir>/<key>/gen-<n>/<host>/ (the key is
#    --name, else the job id), hard links to the images each host wrote (no copies), plus the
#    restart script; "latest" points to the newest complete one; only the newest --keep stay;
#  - refuses to start while another job runs with the same key (a lock that dies with its
#    holder);
#  - on the warning signal (--signal, default USR1) takes a checkpoint, stops the program and
#    requeues the job (Slurm: scontrol requeue; PBS: exits with --requeue-exit, 99 by default,
#    for the site's rerun policy of `qsub -r y` jobs);
#  - restarts from the newest generation that passes dmtcp_restart --verify and comes back to
#    life, else from the one before it, and so on; when none does, stops and says what each one
#    failed for, without marking the job finished;
#  - exits with the program's exit code when it ends.
set -u

prog=dmtcp_job
# The commands' folder (dmtcp_job, the program that runs this script, says where it is).
bin_dir=${DMTCP_JOB_BIN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
unset DMTCP_JOB_BIN_DIR
fail_rc=${DMTCP_FAIL_RC:-99}

usage() {
  cat <<'EOF'
Usage: dmtcp_job [options] -- program [args...]
Options:
  -i, --interval SEC    checkpoint every SEC seconds, or "auto": the interval of least expected
                        loss for the job's measured checkpoint cost and --mtbi, by Young and
                        Daly, recomputed after each checkpoint; 0: only on the warning
                        signal (default: $DMTCP_CHECKPOINT_INTERVAL, else 3600, as in the
                        job scripts of docs/jobs/)
  --ckptdir DIR         where the job's checkpoints go: DIR/<name or jobid>/ (default:
                        $DMTCP_CHECKPOINT_DIR, else the submission directory + /dmtcp-ckpt)
  --mtbi SEC            with --interval auto: the mean time between interruptions of a job
                        (failures, preemptions) at this site (default: $DMTCP_MTBI, else 86400)
  --name NAME           keep the checkpoints under NAME instead of the job id: any later job of
                        that name (and --ckptdir) resumes from them; a second job of that name
                        is refused while one runs
  --max-restarts N      restart at most N times (across requeues, and new jobs of one --name),
                        then stop with the checkpoints kept (default 0: no limit)
  --keep N              complete checkpoints to keep (default 2)
  --stage-dir DIR       node-local staging: each node writes its images to DIR/<name or jobid>/
                        (a path on local storage, the same on every node, such as $TMPDIR on a
                        local SSD); the program goes on as soon as they are there, and they are
                        copied to --ckptdir in the background at low priority (the next
                        checkpoint waits for that copy). A restart on the same node uses the
                        local copy (default: $DMTCP_STAGE_DIR, else none)
  --stage-rate RATE     copy staged images at most RATE megabytes a second per node (with a K
                        suffix: kilobytes) (default: $DMTCP_STAGE_RATE, else 0: no limit)
  --signal SIG          the scheduler's warning signal (default USR1)
  --lead SEC            the warning comes SEC seconds before the job is stopped: its checkpoint
                        is abandoned if not written by then, less a margin for the requeue
                        (dmtcp_sbatch passes its --lead; under Slurm the job's end time counts
                        too, and bounds interval checkpoints)
  --no-requeue          on the warning signal, checkpoint and stop, but do not requeue
  --requeue-exit N      PBS: exit code that asks for a rerun (default 99)
  --cleanup-on-success  when the program ends with exit code 0, remove its checkpoints (the job's
                        folder keeps its logs and the mark that it finished)
  --check               check the options and exit (dmtcp_sbatch and dmtcp_qsub do, before
                        they submit)
  --help                print this text
EOF
}

stop_rc=$fail_rc
die() {
  echo "$prog: $*" >&2
  exit "$stop_rc"
}
# The job's own log lines also go to <key>/job.log once it holds its folder (dmtcp_job status).
job_log=""
# Microseconds since the epoch into the variable named $1 (bash 5's clock; whole seconds before).
now_us() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    printf -v "$1" '%s' "${EPOCHREALTIME/[.,]/}"
  else
    printf -v "$1" '%(%s)T' -1
    printf -v "$1" '%s' "$((${!1} * 1000000))"
  fi
}
say() {
  local line now
  printf -v now '%(%F %T)T' -1
  line="$prog: $now $*"
  echo "$line" >&2
  [ -z "$job_log" ] || echo "$line" >>"$job_log"
}

# ---- The companion, for users (on a login node): dmtcp_job status|checkpoint|clean KEY ----

companion_usage() {
  cat <<'EOF2'
Usage: dmtcp_job status KEY [--ckptdir DIR]
Usage: dmtcp_job checkpoint KEY [--ckptdir DIR] [--wait SEC]
Usage: dmtcp_job clean KEY [--ckptdir DIR] [--keep N] [--force]
KEY is a job's --name, or its job id when it has none; DIR is its --ckptdir (default:
$DMTCP_CHECKPOINT_DIR, else ./dmtcp-ckpt).
  status       whether the job runs (where, since when), its generations (time, size), the
               generations set aside, restarts, the last checkpoint's cost, the interval and
               when the next interval checkpoint is due, and the last error it logged
  checkpoint   asks the running job for a checkpoint now (the program runs on), through the
               scheduler (Slurm: scancel --signal=USR2 --batch; PBS: qsig -s USR2; no
               scheduler: kill -USR2), and waits up to --wait SEC (default 600) for it
  clean        removes what the job no longer needs: with --keep N, the generations set aside
               and all but the newest N; without, the whole folder of a job that ran to its end
               (--force: of any job that does not run)
EOF2
}

companion() {
  local what=$1 key=${2:-} base=${DMTCP_CHECKPOINT_DIR:-$PWD/dmtcp-ckpt} wait_secs=600 keep_n=""
  local force=0 dir
  [[ -n $key && $key != -* ]] || { companion_usage >&2; die "$what: no job name or id given"; }
  shift 2
  while [ $# -gt 0 ]; do
    case $1 in
      --ckptdir) base=${2:?}; shift ;;
      --wait) wait_secs=${2:?}; shift ;;
      --keep) keep_n=${2:?}; shift ;;
      --force) force=1 ;;
      *) companion_usage >&2; die "$what: unknown option $1" ;;
    esac
    shift
  done
  dir=$base/$key
  [ -d "$dir" ] || die "no job $key in $base (give --ckptdir, or set DMTCP_CHECKPOINT_DIR)"
  case $what in
    status) companion_status "$dir" ;;
    checkpoint) companion_checkpoint "$dir" "$wait_secs" ;;
    clean) companion_clean "$dir" "$keep_n" "$force" ;;
  esac
}

# 0 if a job holds the folder's lock (taken and given back at once otherwise).
job_runs() { ! (exec 9>>"$1/lock" && flock -n 9) 2>/dev/null; }

companion_status() {
  local dir=$1 g when next interval_now now cost latest
  latest=$(readlink "$dir/latest" 2>/dev/null)
  if job_runs "$dir"; then
    echo "running: $(cat "$dir/holder" 2>/dev/null)"
  elif [ -e "$dir/finished" ]; then
    echo "finished: the program ran to its end (job $(cat "$dir/finished"))"
  else
    echo "not running: a new job of this name (or a requeue) resumes from ${latest:-the start}"
  fi
  echo "folder: $dir ($(du -sh "$dir" 2>/dev/null | cut -f1) in all)"
  local gens=()
  mapfile -t gens < <(cd "$dir" && ls -d gen-* 2>/dev/null | sort -t- -k2 -n)
  for g in "${gens[@]}"; do
    when=$(date -r "$dir/$g" '+%F %T')
    echo "generation $g: $when, $(du -sh "$dir/$g" | cut -f1)$([ "$g" = "$latest" ] && echo ' (latest)')"
  done
  ((${#gens[@]})) || echo "generations: none yet"
  for g in "$dir"/.gen-*.drain; do
    [ -d "$g" ] || continue
    g=${g##*/.}
    echo "being copied from node-local storage: ${g%.drain} ($(du -sh "$dir/.$g" | cut -f1) so far)"
  done
  for g in "$dir"/failed-gen-*; do
    [ -d "$g" ] && echo "set aside: ${g##*/} (a restart from it failed; dmtcp_job clean --keep removes it)"
  done
  echo "restarts: $(cat "$dir/restarts" 2>/dev/null || echo 0)"
  cost=$(cat "$dir/checkpoint_cost_ms" 2>/dev/null)
  [ -n "$cost" ] && echo "last checkpoint took: $(awk -v c="$cost" 'BEGIN { printf "%.2f", c / 1000 }') s"
  if job_runs "$dir" && read -r next interval_now <"$dir/next_checkpoint" 2>/dev/null; then
    now=$(date +%s)
    if ((interval_now > 0)); then
      echo "interval: $interval_now s; next interval checkpoint: $(date -d "@$next" '+%F %T') (in $((next > now ? next - now : 0)) s)"
    else
      echo "interval: none (checkpoints on the warning signal, or dmtcp_job checkpoint)"
    fi
  fi
  g=$(grep -E "failed|cannot|abandoned|refused|no checkpoint|not starting" "$dir/job.log" 2>/dev/null | tail -n 1)
  echo "last error: ${g:-none}"
}

companion_checkpoint() {
  local dir=$1 wait_secs=$2 holder id sched pid before deadline sig=USR2
  job_runs "$dir" || die "no job runs with the checkpoints in $dir"
  holder=$(cat "$dir/holder" 2>/dev/null)
  read -r _ id _ _ sched _ pid _ <<<"${holder//[(),]/ }"
  before=$(cat "$dir/generation" 2>/dev/null || echo 0)
  case $sched in
    slurm) scancel --signal="$sig" --batch "$id" || die "scancel --signal=$sig --batch $id failed" ;;
    pbs) qsig -s "$sig" "$id" || die "qsig -s $sig $id failed" ;;
    *) kill -s "$sig" "$pid" || die "cannot signal the job's process $pid (on this host?)" ;;
  esac
  echo "asked job $id for a checkpoint (generation $((before + 1)) of $dir)"
  deadline=$((SECONDS + wait_secs))
  while (($(cat "$dir/generation" 2>/dev/null || echo 0) <= before)); do
    ((SECONDS < deadline)) || die "no new generation within $wait_secs s: see dmtcp_job status"
    sleep 0.5
  done
  echo "checkpoint complete: $dir/gen-$(cat "$dir/generation")"
}

companion_clean() {
  local dir=$1 keep_n=$2 force=$3 g gens
  job_runs "$dir" && die "a job runs with the checkpoints in $dir: stop it first"
  if [ -z "$keep_n" ]; then
    [[ -e $dir/finished || $force == 1 ]] ||
      die "the program in $dir has not run to its end: its checkpoints are how it goes on; --keep N keeps the newest N, --force removes everything"
    rm -rf "$dir" && echo "removed $dir"
    return
  fi
  [[ $keep_n =~ ^[1-9][0-9]*$ ]] || die "--keep takes a count of at least 1: $keep_n"
  for g in "$dir"/failed-gen-* "$dir"/.gen-*.drain; do
    [ -d "$g" ] && rm -rf "$g" && echo "removed ${g##*/}"
  done
  mapfile -t gens < <(cd "$dir" && ls -d gen-* 2>/dev/null | sort -t- -k2 -rn)
  for g in "${gens[@]:keep_n}"; do rm -rf "${dir:?}/$g" && echo "removed $g"; done
  [ -n "${gens[0]:-}" ] && ln -sfn "${gens[0]}" "$dir/latest"
  echo "kept: ${gens[*]:0:keep_n}"
}

# ---- Node-local staging: what each host of a staged checkpoint runs on itself ----

# on_host HOST ARGS...: dmtcp_job ARGS, on HOST (through $DMTCP_SSH, else ssh, when it is not
# this host).
is_here() { [[ $1 == localhost || $1 == "$(hostname)" || $1 == "$(hostname -s)" ]]; }
on_host() {
  local host=$1 a q="" ssh_cmd
  shift
  if is_here "$host"; then
    "$bin_dir/dmtcp_job" "$@"
    return
  fi
  for a in "$bin_dir/dmtcp_job" "$@"; do q+=" $(printf '%q' "$a")"; done
  read -r -a ssh_cmd <<<"${DMTCP_SSH:-ssh}"
  "${ssh_cmd[@]}" -T "$host" "$q" </dev/null
}

# stage-keep STAGE N HOST SCRIPT|- IMAGE...: this host's images of checkpoint N (and the
# earlier images they refer to) kept as STAGE/gen-N/HOST by hard links (the layout of a
# generation), before the next checkpoint replaces them; then the restart script, on the host
# that has it.
stage_keep() {
  local stage=$1 n=$2 host=$3 script=$4 tmp img base
  shift 4
  tmp=$stage/gen-$n/.$host.tmp
  rm -rf "$tmp" && mkdir -p "$tmp" || return 1
  for img; do
    ln -f "$img" "$tmp/" || return 1
    for base in "$img".gen*; do
      [ -f "$base" ] || continue
      ln -f "$base" "$tmp/" || return 1
    done
  done
  rm -rf "${stage:?}/gen-$n/$host" && mv -T "$tmp" "$stage/gen-$n/$host" || return 1
  [ "$script" = - ] && return 0
  cp "$(readlink -f "$script")" "$stage/gen-$n/.script.tmp" &&
    mv "$stage/gen-$n/.script.tmp" "$stage/gen-$n/dmtcp_restart_script.sh"
}

# stage-copy STAGE N DEST RATE: copies this host's STAGE/gen-N/HOST into DEST (shared storage,
# JOB_DIR/.gen-N.drain/HOST) at idle priority, at most RATE a second (MB, or KB with a K
# suffix; 0: no limit), each file synced; then this host's older staged checkpoints go. A file
# already on shared storage (an earlier image an incremental one refers to, kept by an older
# generation copied from this host) is linked there, not copied again.
stage_copy() {
  local stage=$1 n=$2 dest=$3 rate=$4 f to size off g prev done_files=() job host chunk pause
  case $rate in
    *K) rate=$((${rate%K} * 1024)) ;;
    *M) rate=$((${rate%M} * 1048576)) ;;
    *) rate=$((rate * 1048576)) ;;
  esac
  # Chunks of at most 16 MiB, each followed by its share of a second.
  chunk=$((rate < 16777216 ? rate : 16777216))
  ((rate > 0)) && pause=$(awk -v c="$chunk" -v r="$rate" 'BEGIN { printf "%.3f", c / r }')
  host=${dest##*/}
  job=${dest%/*}
  job=${job%/*}
  renice -n 19 -p $$ >/dev/null 2>&1
  ionice -c 3 -p $$ >/dev/null 2>&1
  mkdir -p "$dest" || return 1
  for f in "$stage/gen-$n/$host"/*; do
    [[ -f $f ]] || continue
    to=$dest/${f##*/}
    # (The image and its .gen<n> name are one file.)
    for prev in "${done_files[@]}"; do
      [[ $prev -ef $f ]] && ln -f "$dest/${prev##*/}" "$to" && continue 2
    done
    for prev in "$stage"/gen-*/"$host/${f##*/}"; do
      g=${prev%/*/*}
      g=${g##*/}
      [[ $g != "gen-$n" && $prev -ef $f && -f $job/$g/$host/${f##*/} ]] || continue
      ln -f "$job/$g/$host/${f##*/}" "$to" && continue 2
    done
    done_files+=("$f")
    if ((rate > 0)); then
      size=$(stat -c %s "$f") && : >"$to" || return 1
      for ((off = 0; off * chunk < size; off++)); do
        dd if="$f" of="$to" bs="$chunk" skip="$off" seek="$off" count=1 conv=notrunc \
          status=none || return 1
        sleep "$pause"
      done
    else
      cp "$f" "$to" || return 1
    fi
    sync "$to" || return 1
  done
  for g in "$stage"/gen-*; do
    [[ -d $g && ${g##*/gen-} -lt $n ]] || continue
    rm -rf "${g:?}/$host"
    # (Other hosts' folders are there only where they share this storage.)
    compgen -G "$g/*/" >/dev/null || rm -rf "$g"
  done
  return 0
}

# kill_tree PID: PID and every process under it.
kill_tree() {
  local kids c
  kids=$(pgrep -P "$1")
  kill "$1" 2>/dev/null
  for c in $kids; do kill_tree "$c"; done
}

# stage-drain JOB_DIR STAGE N RATE KEEP HOST...: checkpoint N, staged on HOSTs, becomes
# generation N of JOB_DIR once every host has copied its images there.
stage_drain() {
  local dir=$1 stage=$2 n=$3 rate=$4 keep_n=$5 host pids=() p rc=0 dest
  shift 5
  job_log=$dir/job.log
  dest=$dir/.gen-$n.drain
  trap 'for p in "${pids[@]}"; do kill_tree "$p"; done; exit 143' TERM
  rm -rf "$dest" && mkdir -p "$dest" &&
    cp "$stage/gen-$n/dmtcp_restart_script.sh" "$dest/" || return 1
  for host in "$@"; do
    on_host "$host" stage-copy "$stage" "$n" "$dest/$host" "$rate" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  if ((rc)); then
    say "the copy of checkpoint $n to $dir failed: it stays on node-local storage only"
    rm -rf "$dest"
    return 1
  fi
  sync -f "$dest" 2>/dev/null
  mv -T "$dest" "$dir/gen-$n" && publish_generation "$dir" "$n" "$keep_n" || return 1
  say "checkpoint $n complete: $dir/gen-$n (copied from node-local storage)"
}

# Generation N is complete in DIR: it becomes the newest (unless a newer one is), and all but
# the newest KEEP go.
publish_generation() {
  local dir=$1 n=$2 keep_n=$3 newest g gens
  newest=$(cat "$dir/generation" 2>/dev/null || echo 0)
  if ((n > newest)); then
    ln -sfn "gen-$n" "$dir/latest.tmp" && mv -T "$dir/latest.tmp" "$dir/latest" || return 1
    # Whole or not at all: dmtcp_job checkpoint reads it meanwhile.
    echo "$n" >"$dir/generation.tmp" && mv -f "$dir/generation.tmp" "$dir/generation" || return 1
  fi
  mapfile -t gens < <(cd "$dir" && ls -d gen-* 2>/dev/null | sort -t- -k2 -rn)
  for g in "${gens[@]:keep_n}"; do rm -rf "${dir:?}/$g"; done
  return 0
}

case ${1:-} in
  status | checkpoint | clean) companion "$@"; exit ;;
  stage-prepare) mkdir -p "$2/live" && chmod 700 "$2" "$2/live"; exit ;;
  stage-clean) rm -rf "${2:?}"; exit ;;
  stage-keep) shift; stage_keep "$@"; exit ;;
  stage-copy) shift; stage_copy "$@"; exit ;;
  stage-drain) shift; stage_drain "$@"; exit ;;
  help) companion_usage; exit 0 ;;
esac
# Where the job's signals come (below), and the process the scheduler signals.
signal_fd=${DMTCP_JOB_SIGNAL_FD:-}
[[ $signal_fd =~ ^[0-9]+$ ]] || signal_fd=""
job_pid=${DMTCP_JOB_PID:-$$}
unset DMTCP_JOB_SIGNAL_FD DMTCP_JOB_PID

interval=${DMTCP_CHECKPOINT_INTERVAL:-3600}
# The interval is this script's to keep: a coordinator or runtime that read it too would take
# checkpoints of their own, which never become generations.
unset DMTCP_CHECKPOINT_INTERVAL
ckpt_base=${DMTCP_CHECKPOINT_DIR:-}
keep=2
warn_signal=USR1
requeue=1
requeue_exit=99
name=""
max_restarts=0
check_only=0
lead=0
cleanup_on_success=0
mtbi=${DMTCP_MTBI:-86400}
stage_dir=${DMTCP_STAGE_DIR:-}
stage_rate=${DMTCP_STAGE_RATE:-0}
while [ $# -gt 0 ]; do
  case $1 in
    -i | --interval) interval=${2:?}; shift ;;
    --ckptdir) ckpt_base=${2:?}; shift ;;
    --keep) keep=${2:?}; shift ;;
    --signal) warn_signal=${2:?}; shift ;;
    --no-requeue) requeue=0 ;;
    --requeue-exit) requeue_exit=${2:?}; shift ;;
    --name) name=${2:?}; shift ;;
    --lead) lead=${2:?}; shift ;;
    --mtbi) mtbi=${2:?}; shift ;;
    --stage-dir) stage_dir=${2:?}; shift ;;
    --stage-rate) stage_rate=${2:?}; shift ;;
    --max-restarts) max_restarts=${2:?}; shift ;;
    --check) check_only=1 ;;
    --cleanup-on-success) cleanup_on_success=1 ;;
    --help) usage; echo; companion_usage; exit 0 ;;
    --) shift; break ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
[ $# -gt 0 ] || { usage >&2; die "no program given"; }
auto_interval=0
if [ "$interval" = auto ]; then
  auto_interval=1
  interval=0 # until the cost is known (below)
fi
[[ $interval =~ ^[0-9]+$ ]] ||
  die "--interval must be a whole number of seconds (0 = none) or auto: $interval"
[[ $mtbi =~ ^[1-9][0-9]*$ ]] || die "--mtbi must be a whole number of seconds, at least 1: $mtbi"
[[ $keep =~ ^[1-9][0-9]*$ ]] || die "--keep must be a count of at least 1: $keep"
[[ $lead =~ ^[0-9]+$ ]] || die "--lead must be a whole number of seconds: $lead"
[[ $max_restarts =~ ^[0-9]+$ ]] || die "--max-restarts must be a count (0 = no limit): $max_restarts"
[[ $requeue_exit =~ ^[0-9]+$ ]] && ((requeue_exit < 256)) ||
  die "--requeue-exit must be 0 to 255: $requeue_exit"
[[ -z $name || $name =~ ^[A-Za-z0-9_][A-Za-z0-9._-]*$ ]] ||
  die "--name takes letters, digits, '.', '_' and '-', and does not start with '.' or '-': $name"
[[ -z $stage_dir || $stage_dir == /* ]] ||
  die "--stage-dir must be an absolute path (the same on every node): $stage_dir"
[[ $stage_rate =~ ^[0-9]+K?$ ]] ||
  die "--stage-rate must be a whole number of MB a second, or of KB with a K suffix (0 = no limit): $stage_rate"
[[ $warn_signal != [0-9]* ]] && kill -l "$warn_signal" >/dev/null 2>&1 ||
  die "--signal takes a signal's name (USR1, TERM, ...): $warn_signal"
((check_only)) && exit 0
# An exit of a job that cannot go on must not read as PBS's "please rerun".
[[ -n ${PBS_JOBID:-} && $stop_rc == "$requeue_exit" ]] && stop_rc=1

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
key=${name:-$job_id}
job_dir=$ckpt_base/$key
live=$job_dir/live
mkdir -p "$live" || die "cannot create $live"
chmod 700 "$job_dir" "$live" 2>/dev/null
# One live job a key: a lock that goes with its holder (the process; on a network file system,
# its node's lease). A requeued job may start while its former self still exits: it waits.
exec {lock_fd}>>"$job_dir/lock" || die "cannot open $job_dir/lock"
holder=$(cat "$job_dir/holder" 2>/dev/null)
lock_wait=5
[[ $holder == "job $job_id "* ]] && lock_wait=60
flock -w "$lock_wait" "$lock_fd" ||
  die "another job runs with the checkpoints in $job_dir (${holder:-unknown}; lock $job_dir/lock): not starting a second one"
echo "job $job_id on $(hostname) ($scheduler, pid $job_pid), since $(date '+%F %T')" >"$job_dir/holder"
job_log=$job_dir/job.log
# Before a coordinator is started, which would outlive this exit.
if [ -e "$job_dir/finished" ]; then
  by=$(cat "$job_dir/finished" 2>/dev/null)
  if [[ -n $name && $by != "$job_id" ]]; then
    die "$name already ran to its end${by:+ (job $by)}: remove $job_dir to run it again from the start, or choose another --name"
  fi
  say "job $job_id already ran to its end ($job_dir/finished); nothing to do"
  exit 0
fi
# Copies to shared storage that a job ended in the middle of.
rm -rf "$job_dir"/.gen-*.drain
# Node-local staging: the processes write their images to $stage/live on their own node.
stage=""
ckpt_target=$live
if [ -n "$stage_dir" ]; then
  stage=$stage_dir/$key
  for h in "${nodes[@]}"; do
    on_host "$h" stage-prepare "$stage" ||
      die "cannot create $stage/live on $h (--stage-dir $stage_dir)"
  done
  ckpt_target=$stage/live
fi
# The complete generations, newest first (of one number, the node-local copy first): a start
# with any of them is a restart.
mapfile -t candidates < <({
  for g in "$job_dir"/gen-*; do
    [ -f "$g/dmtcp_restart_script.sh" ] && echo "${g##*/gen-} 1 $g"
  done
  if [ -n "$stage" ]; then
    for g in "$stage"/gen-*; do
      [ -f "$g/dmtcp_restart_script.sh" ] && echo "${g##*/gen-} 2 $g"
    done
  fi
} | sort -k1,1rn -k2,2rn | cut -d' ' -f3-)
if ((${#candidates[@]})); then
  restarts=$(($(cat "$job_dir/restarts" 2>/dev/null || echo 0) + 1))
  ((max_restarts == 0 || restarts <= max_restarts)) ||
    die "this job has restarted $((restarts - 1)) times, --max-restarts $max_restarts: not again. Its checkpoints stay in $job_dir; to go on, submit it again with a higher --max-restarts${name:+ and --name $name}, or remove $job_dir/restarts"
  echo "$restarts" >"$job_dir/restarts"
fi

# The coordinator: the site's, or our own on a free port.
own_coordinator=0
coord_host=${DMTCP_COORD_HOST:-}
coord_port=${DMTCP_COORD_PORT:-}
if [ -n "$coord_port" ]; then
  # A site's coordinator (dmtcp_slurm_site) writes this job's checkpoints where we keep them.
  if out=$("$bin_dir/dmtcp_command" -h "${coord_host:-localhost}" -p "$coord_port" \
    --ckptdir "$ckpt_target" 2>&1); then
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
  (
    [ -z "$signal_fd" ] || exec {signal_fd}<&-
    exec "$bin_dir/dmtcp_coordinator" --daemon --port "$1" --port-file "$job_dir/coordinator.port" \
      --ckptdir "$ckpt_target" --coord-logfile "$job_dir/coordinator.log" >/dev/null {lock_fd}>&-
  )
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
export DMTCP_COORD_HOST=$coord_host DMTCP_COORD_PORT=$coord_port DMTCP_CHECKPOINT_DIR=$ckpt_target
# A restart that keeps failing must not be requeued forever: dmtcp_restart gives up after this
# many restarts from one checkpoint that produce no newer one.
export DMTCP_RESTART_MAX_ATTEMPTS=${DMTCP_RESTART_MAX_ATTEMPTS:-3}
cmd=("$bin_dir/dmtcp_command" -h "$coord_host" -p "$coord_port")

stop_coordinator() {
  ((own_coordinator)) && "${cmd[@]}" -q >/dev/null 2>&1
}

# The number of the next checkpoint: above every one taken, on shared or node-local storage
# (a node's staged copy of a number must be that checkpoint, whatever ran elsewhere since).
next_number() {
  local used newest
  used=$(cat "$job_dir/numbered" 2>/dev/null || echo 0)
  newest=$(cat "$job_dir/generation" 2>/dev/null || echo 0)
  ((newest > used)) && used=$newest
  echo $((used + 1)) | tee "$job_dir/numbered"
}

# A complete checkpoint becomes generation <n>: hard links to its images, by host.
snapshot() {
  local script=$live/dmtcp_restart_script.sh n gen tmp host img base
  [ -e "$script" ] || return 1
  n=$(next_number)
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
  mv "$tmp" "$job_dir/$gen" && publish_generation "$job_dir" "$n" "$keep" || return 1
  say "checkpoint $n complete: $job_dir/$gen"
  return 0
}

# A checkpoint written to node-local storage: each host keeps its images as $stage/gen-<n>, and
# a drain in the background copies them to generation <n> of the job's folder.
drain_pid=""
drain_busy() { [ -n "$drain_pid" ] && kill -0 "$drain_pid" 2>/dev/null; }
stage_snapshot() {
  local script=$stage/live/dmtcp_restart_script.sh n host hosts imgs s
  [ -e "$script" ] || return 1
  n=$(next_number)
  mapfile -t hosts < <(bash "$script" --list-hosts)
  for host in "${hosts[@]}"; do
    mapfile -t imgs < <(bash "$script" --list-images | awk -F'\t' -v h="$host" '$1 == h { print $2 }')
    s=-
    is_here "$host" && s=$script
    on_host "$host" stage-keep "$stage" "$n" "$host" "$s" "${imgs[@]}" ||
      { say "checkpoint $n written, but $host could not keep it in $stage"; return 1; }
  done
  say "checkpoint $n written to node-local storage ($stage/gen-$n on ${hosts[*]}); copying it to $job_dir"
  start_drain "$n" "${hosts[@]}"
}
# start_drain N HOST...
start_drain() {
  (untrapped "$bin_dir/dmtcp_job" stage-drain "$job_dir" "$stage" "$1" "$stage_rate" "$keep" \
    "${@:2}") {lock_fd}>&- &
  drain_pid=$!
}
# Before the job stops: a drain in progress is given up (its checkpoint stays on node-local
# storage), and the last checkpoint goes to shared storage directly (1 if it cannot).
leave_stage() {
  local t
  [ -n "$stage" ] || return 0
  if drain_busy; then
    kill_tree "$drain_pid"
    say "the copy of the last node-local checkpoint to $job_dir is given up"
  fi
  # (Refused while a checkpoint is in progress: one to node-local storage ends soon.)
  for ((t = 0; t < 50; t++)); do
    if "${cmd[@]}" --ckptdir "$live" >/dev/null 2>&1; then
      ckpt_target=$live
      stage=""
      return 0
    fi
    sleep 0.2
  done
  say "cannot write the next checkpoint to $live directly: it goes to node-local storage first"
  return 1
}

# checkpoint DEADLINE [INTERRUPTIBLE]  A checkpoint that the coordinator abandons if its images
# are not all written within DEADLINE seconds (0: no deadline of ours; the coordinator's
# --checkpoint-timeout still stops a stuck one), kept as a generation. 1 if it failed;
# INTERRUPTIBLE=1: returns 2 as soon as the warning or SIGTERM comes (the checkpoint goes on,
# and the one they ask for joins it).
checkpoint() {
  local deadline=$1 interruptible=${2:-0} args=(--bcheckpoint) out=$job_dir/.checkpoint.out pid rc
  local t0 t1
  now_us t0
  ((deadline > 0)) && args+=(--timeout "$deadline")
  (untrapped "${cmd[@]}" "${args[@]}") >"$out" 2>&1 {lock_fd}>&- &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    take_signals 0.05
    if ((interruptible && (warned || terminated))); then
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      return 2
    fi
  done
  wait "$pid"
  rc=$?
  if ((rc == 0)); then
    # What a checkpoint costs the program (it is stopped meanwhile), for --interval auto.
    now_us t1
    echo $(((t1 - t0) / 1000)) >"$job_dir/checkpoint_cost_ms"
    if [ -n "$stage" ]; then
      stage_snapshot || say "checkpoint written, but it could not be kept as a generation"
    else
      snapshot || say "checkpoint written, but it could not be kept as a generation"
    fi
    return 0
  fi
  say "checkpoint failed: $(cat "$out")"
  return 1
}

# --interval auto: the interval of least expected loss for checkpoints that cost delta seconds
# and interruptions every M seconds on average (mtbi): Young's sqrt(2 delta M), with Daly's
# higher-order terms, which matter when delta is not small against M; M itself once delta >= 2M.
# The cost is the last checkpoint's (this job's or, before its first, the previous start's);
# until there is one, a guess of 1 s.
choose_interval() {
  local cost_ms why new
  cost_ms=$(cat "$job_dir/checkpoint_cost_ms" 2>/dev/null)
  if [[ $cost_ms =~ ^[0-9]+$ ]]; then
    why="checkpoint cost $(awk -v c="$cost_ms" 'BEGIN { printf "%.2f", c / 1000 }') s"
  else
    cost_ms=1000
    why="checkpoint cost guessed 1 s until one is measured"
  fi
  new=$(awk -v d="$cost_ms" -v m="$mtbi" 'BEGIN {
    d /= 1000; r = d / (2 * m)
    t = d >= 2 * m ? m : sqrt(2 * d * m) * (1 + sqrt(r) / 3 + r / 9) - d
    printf "%d", t < 1 ? 1 : t + 0.5 }')
  if [ "$new" != "$interval" ]; then
    say "interval $new s (Young/Daly: $why, MTBI $mtbi s)"
    interval=$new
  fi
}

# The next interval checkpoint is due $interval seconds from now (0: none); dmtcp_job status reads
# when.
plan_next() {
  next=$((SECONDS + interval))
  local now
  printf -v now '%(%s)T' -1
  echo "$((now + interval)) $interval" >"$job_dir/next_checkpoint"
}

# The deadline of a checkpoint between warnings: done before the warning is due (0: no deadline
# known; -1: too near the end, none now).
warning_deadline_for_interval() {
  local rem deadline
  rem=$(job_remaining)
  [[ -n $rem ]] || { echo 0; return; }
  deadline=$((rem - lead - $(margin "$rem")))
  if ((deadline < 5)); then
    say "the job ends in $rem s: no checkpoint now, the warning's comes before the end"
    echo -1
    return
  fi
  echo "$deadline"
}

# Seconds until the scheduler ends the job, if it says (Slurm's EndTime); else nothing.
job_remaining() {
  [ "$scheduler" = slurm ] || return 0
  local end
  end=$(squeue -h -j "$job_id" -o %e 2>/dev/null | head -n 1)
  [[ $end =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]] && end=$(date -d "$end" +%s 2>/dev/null) || return 0
  echo $((end - $(date +%s)))
}
# What to keep of a window of $1 seconds for stopping the program and requeueing: a tenth, 3 to
# 30 s.
margin() {
  local m=$(($1 / 10))
  ((m < 3)) && m=3
  ((m > 30)) && m=30
  echo "$m"
}
# The deadline of the checkpoint the warning asks for: the warning's lead time (--lead) or the
# time left until the job's end, whichever is shorter, less the margin; 0 if neither is known.
warning_deadline() {
  local window=$lead rem
  rem=$(job_remaining)
  [[ -n $rem ]] && ((window == 0 || rem < window)) && window=$rem
  ((window > 0)) || { echo 0; return; }
  window=$((window - $(margin "$window")))
  echo $((window > 0 ? window : 1))
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

# Slurm's KillWait: the time between its SIGTERM and its SIGKILL at a job's end.
kill_wait=0
if [ "$scheduler" = slurm ]; then
  kill_wait=$(scontrol show config 2>/dev/null | awk '$1 == "KillWait" {print $3}')
  [[ $kill_wait =~ ^[0-9]+$ ]] || kill_wait=0
fi

program_pid=""
asked_later=0
drain_wait_said=0 # the log said an interval checkpoint waits for a copy
# A drain the job's end waits for (one given up by leave_stage is gone already).
wait_drain() {
  drain_busy || return 0
  say "waiting for the copy of the last checkpoint to $job_dir"
  wait "$drain_pid"
}
# The job's signals: the warning (a checkpoint, then the program stops and the job is requeued),
# dmtcp_job checkpoint's USR2 (a checkpoint, and the program runs on), and the scheduler's own
# stop, SIGTERM (preemption, a time limit without warning, scancel: a checkpoint if there is time
# for one, then the program stops; a preempted job is requeued by Slurm). dmtcp_job, the program
# that runs this script, takes them and writes their numbers to $signal_fd: bash 5.2 runs a trap
# that fires while it parses a command substitution inside that parse ("trap: unexpected EOF
# while looking for matching `)'", then "reader_loop: bad jump"), which aborted the job on its
# warning. Sent to every process of the job, they reach dmtcp_job too: here they are ignored
# (and set back to default for the program).
warned=0
asked=0
terminated=0
warn_number=$(kill -l "$warn_signal")
job_signals=("$warn_signal" TERM USR2)
note_signal() {
  case $1 in
    "$warn_number") warned=1 ;;
    15) terminated=1 ;;
    12) asked=1 ;;
  esac
}
if [ -n "$signal_fd" ]; then
  trap '' "${job_signals[@]}"
else
  # Run without dmtcp_job (bash dmtcp_job.sh): bash's traps, with the race above.
  trap 'note_signal 12' USR2
  trap 'note_signal 15' TERM
  trap 'note_signal $warn_number' "$warn_signal"
fi
# take_signals SEC: waits up to SEC seconds for the job's signals; returns once one came.
take_signals() {
  local sig
  if [ -z "$signal_fd" ]; then
    sleep "$1" &
    wait $! 2>/dev/null
    return 0
  fi
  read -r -t "$1" -u "$signal_fd" sig
  case $? in
    0) note_signal "$sig" ;;
    1)
      # dmtcp_job is gone (killed): no more signals come this way.
      signal_fd=""
      return 0
      ;;
    *) return 0 ;;
  esac
  # Every one that came meanwhile (a hundred asks are one checkpoint).
  while read -r -t 0 -u "$signal_fd" && read -r -u "$signal_fd" sig; do note_signal "$sig"; done
  return 0
}
# (untrapped command...): the command, with the job's signals back to their default.
untrapped() {
  trap - "${job_signals[@]}"
  [ -z "$signal_fd" ] || exec {signal_fd}<&-
  exec "$@"
}

# The restarts the coordinator saw through until the program ran again ("" if it does not answer).
restarts_seen() {
  "${cmd[@]}" -s --json 2>/dev/null | grep -oE '"restarts":[0-9]+' | cut -d: -f2
}

# dmtcp_restart --verify on the images of generation directory $1: every check a restart makes
# before anything of the program runs (checksums, referred images, processor). Prints why not.
verify_generation() {
  local gen=$1 host img imgs=() out
  while IFS=$'\t' read -r host img; do
    if [ -e "$gen/$host/${img##*/}" ]; then imgs+=("$gen/$host/${img##*/}"); else imgs+=("$gen/${img##*/}"); fi
  done < <(bash "$gen/dmtcp_restart_script.sh" --list-images 2>&1)
  ((${#imgs[@]})) || { echo "its restart script lists no images"; return 1; }
  out=$("$bin_dir/dmtcp_restart" --verify "${imgs[@]}" 2>&1 >/dev/null) && return 0
  printf '%s\n' "$out" | paste -sd';' | sed 's/;/; /g'
  return 1
}

# Starts the restart from the newest generation left in $candidates that passes the checks;
# returns 1 when none is left.
restart_gen=""
restarting=0
resumed=0
failed=()
restart_local=0
restart_hosts=""
start_restart() {
  local n gen why hosts olds what
  while ((${#candidates[@]})); do
    gen=${candidates[0]}
    candidates=("${candidates[@]:1}")
    n=${gen##*/gen-}
    hosts=$(place_hosts "$gen/dmtcp_restart_script.sh")
    olds=$(bash "$gen/dmtcp_restart_script.sh" --list-hosts | paste -sd,)
    restart_local=0
    restart_hosts=$olds
    what=gen-$n
    if [[ -n $stage && $gen == "$stage"/* ]]; then
      # A node's own copy serves a restart of its processes there (of every host's, for now).
      if [[ $hosts != "$olds" || $olds == *,* ]]; then
        say "gen-$n is on the node-local storage of $olds: not used by a restart on $hosts"
        continue
      fi
      restart_local=1
      what="gen-$n (node-local copy in $gen)"
    fi
    say "job $job_id (${scheduler}, restart $restarts): restarting from $what on ${nodes[*]}"
    if ! why=$(verify_generation "$gen"); then
      failed+=("$what: $why")
      say "$what cannot be restarted: $why"
      continue
    fi
    say "hosts of the checkpoint: $olds -> $hosts"
    hostname >"$job_dir/batch_host"
    restart_gen=$n
    restarts_before=$(restarts_seen)
    (untrapped bash "$gen/dmtcp_restart_script.sh" -h "$coord_host" -p "$coord_port" \
      --ckptdir "$ckpt_target" --hosts "$hosts" --image-dir "$gen") {lock_fd}>&- &
    program_pid=$!
    return 0
  done
  return 1
}

# The restarted program runs again: generations newer than the one it came from, which failed,
# are set aside (failed-gen-<n>: not restarted from, not counted by --keep).
restart_resumed() {
  local f
  resumed=1
  plan_next
  say "the program runs again from gen-$restart_gen$( ((restart_local)) && echo " (node-local copy)")"
  for f in "${failed[@]}"; do
    f=${f%%:*}
    [[ $f =~ ^gen-[0-9]+$ && -d $job_dir/$f ]] && mv -T "$job_dir/$f" "$job_dir/failed-$f" &&
      say "$f set aside as $job_dir/failed-$f"
  done
  if [ -d "$job_dir/gen-$restart_gen" ]; then
    ln -sfn "gen-$restart_gen" "$job_dir/latest.tmp" && mv -T "$job_dir/latest.tmp" "$job_dir/latest"
  elif ((restart_local)); then
    # Its copy to shared storage did not end before the job did: it goes on now.
    say "copying gen-$restart_gen from node-local storage to $job_dir, which lacks it"
    IFS=, read -r -a f <<<"$restart_hosts"
    start_drain "$restart_gen" "${f[@]}"
  fi
}

# No generation came back: say what each failed for and how to go on; the job is not finished.
give_up() {
  local f again="submit the job again with --name $name"
  if [ -z "$name" ]; then
    case $scheduler in
      slurm) again="scontrol requeue $job_id" ;;
      pbs) again="qrerun $job_id" ;;
      *) again="start the job again with DMTCP_JOB_ID=$job_id" ;;
    esac
  fi
  stop_coordinator
  say "no checkpoint of this job could be restarted; each one tried:"
  for f in "${failed[@]}"; do say "  $f"; done
  say "the checkpoints stay in $job_dir and the job is not marked finished. Once the cause is fixed, $again, or restart a generation by hand: bash $job_dir/gen-<n>/dmtcp_restart_script.sh --image-dir $job_dir/gen-<n> -p 0"
  exit "$stop_rc"
}

hostname >"$job_dir/batch_host"
if ((${#candidates[@]})); then
  restarting=1
  start_restart || give_up
else
  say "job $job_id (${scheduler}): launching $* on ${nodes[*]}"
  (untrapped "$bin_dir/dmtcp_launch" --join -h "$coord_host" -p "$coord_port" \
    --ckptdir "$ckpt_target" "$@") {lock_fd}>&- &
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

((auto_interval)) && choose_interval
plan_next
next_watch=$((SECONDS + 5))
while :; do
  while kill -0 "$program_pid" 2>/dev/null; do
    if ((restarting && !resumed)); then
      seen=$(restarts_seen)
      [[ -n $seen && -n $restarts_before ]] && ((seen > restarts_before)) && restart_resumed
    fi
    if ((terminated)); then
      # Slurm kills what is left KillWait seconds after SIGTERM.
      deadline=0
      if ((kill_wait > 0)); then
        deadline=$((kill_wait - $(margin "$kill_wait")))
        say "terminated: checkpointing before the end (within $deadline s)"
      else
        say "terminated: checkpointing before the end"
      fi
      leave_stage
      checkpoint "$deadline"
      "${cmd[@]}" -k >/dev/null 2>&1
      wait "$program_pid" 2>/dev/null
      stop_coordinator
      wait_drain
      exit 143
    fi
    if ((warned)); then
      deadline=$(warning_deadline)
      if ((deadline > 0)); then
        say "warning signal: checkpointing (within $deadline s)"
      else
        say "warning signal: checkpointing"
      fi
      leave_stage || stage_rate=0
      ok=1
      checkpoint "$deadline" || ok=0
      # Checkpointed or not, the program stops here, and the next start goes on from the newest
      # complete generation: the end comes anyway, and a requeue now keeps the job's place.
      if ((!ok)); then
        newest=$(readlink "$job_dir/latest" 2>/dev/null)
        say "the previous checkpoint stays the newest (${newest:-none: the next start begins anew}); stopping the program"
      fi
      "${cmd[@]}" -k >/dev/null 2>&1
      wait "$program_pid" 2>/dev/null
      stop_coordinator
      wait_drain
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
      ((ok)) && exit 0
      exit "$stop_rc"
    fi
    if ((SECONDS >= next_watch)); then
      watch_coordinator
      next_watch=$((SECONDS + (coord_failures ? 1 : 5)))
    fi
    if ((asked)); then
      asked=0
      if drain_busy; then
        say "a checkpoint was asked for: it comes once the last one is copied to $job_dir"
        asked_later=1
      elif ((!restarting || resumed)); then
        say "a checkpoint was asked for (dmtcp_job checkpoint)"
        deadline=$(warning_deadline_for_interval)
        ((deadline < 0)) || checkpoint "$deadline" 1
        ((auto_interval)) && choose_interval
        plan_next
      else
        say "a checkpoint was asked for, but the restart has not come back yet: none now"
      fi
    fi
    ((asked_later)) && ! drain_busy && asked_later=0 asked=1
    # (A restart that has not come back yet has nothing to checkpoint; the next checkpoint
    # waits for the copy of the last one to shared storage.)
    if ((interval > 0 && SECONDS >= next && (!restarting || resumed))) && drain_busy &&
      ((!drain_wait_said)); then
      say "the interval checkpoint is due: it waits for the copy of the last one to $job_dir"
      drain_wait_said=1
    fi
    if ((interval > 0 && SECONDS >= next && (!restarting || resumed))) && ! drain_busy; then
      drain_wait_said=0
      # Written before the warning is due, or not at all: the warning's checkpoint comes then.
      deadline=$(warning_deadline_for_interval)
      ((deadline < 0)) || checkpoint "$deadline" 1
      ((auto_interval)) && choose_interval
      plan_next
    fi
    take_signals 1
  done
  wait "$program_pid"
  rc=$?
  ((!restarting || resumed)) && break
  # The restart's processes are gone: did the program run again before it ended?
  seen=$(restarts_seen)
  if [[ -z $seen || -z $restarts_before ]]; then
    stop_coordinator
    say "the restart from gen-$restart_gen ended with exit code $rc, and the coordinator cannot tell whether the program ran again: the job is not marked finished"
    exit "$rc"
  fi
  if ((seen > restarts_before)); then
    restart_resumed
    break
  fi
  failed+=("gen-$restart_gen$( ((restart_local)) && echo " (node-local copy)"): the restart ended with exit code $rc before the program ran again (its messages are above)")
  say "the restart from gen-$restart_gen failed before the program ran again (exit code $rc)"
  "${cmd[@]}" -k >/dev/null 2>&1 # whatever of it started elsewhere
  start_restart || give_up
done
stop_coordinator
# A scheduler's SIGTERM (scancel, a time limit, a preemption) reaches the program too, and may
# end it before this script has heard of it: give the signal a moment. A program stopped from
# outside (TERM, KILL, INT, HUP) did not run to its end: the job is not finished, and a requeue
# or a new job of the name goes on from the newest checkpoint.
((rc > 128)) && take_signals 1
if ((terminated)) || [[ " 129 130 137 143 " == *" $rc "* ]]; then
  why="exit code $rc"
  ((terminated)) && why+=", and the job got SIGTERM"
  say "the program was stopped from outside ($why): the job is not finished; its next start goes on from $(readlink "$job_dir/latest" 2>/dev/null || echo 'the start')"
  wait_drain
  exit "$rc"
fi
say "the program ended with exit code $rc"
echo "$job_id" >"$job_dir/finished"
# Its node-local checkpoints are of no more use.
if [ -n "$stage" ]; then
  drain_busy && kill_tree "$drain_pid"
  rm -rf "$job_dir"/.gen-*.drain
  for h in "${nodes[@]}"; do on_host "$h" stage-clean "$stage"; done
fi
if ((cleanup_on_success && rc == 0)); then
  rm -rf "$job_dir"/gen-* "$job_dir"/failed-gen-* "$live" "$job_dir/latest" &&
    say "checkpoints removed (--cleanup-on-success); $job_dir keeps the logs"
fi
exit "$rc"
