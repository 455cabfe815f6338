# shellcheck shell=bash
# shellcheck disable=SC2034  # globals set here are read by the tests
# Shared helpers for the end-to-end tests in this folder. A test sources this file, calls
# `e2e_init NAME`, and uses the helpers below. Every wait is bounded and every check compares real
# output; a failing check prints what differed, the tails of the logs, and exits 1.
#
# Inputs (environment; CTest sets them, see tests/CMakeLists.txt):
#   DMTCP_BIN           folder with dmtcp_coordinator, dmtcp_launch, dmtcp_command, dmtcp_restart
#   DMTCP_EXAMPLES      folder with the built example programs (counter, threads, filewriter)
#   DMTCP_EXAMPLES_SRC  the source folder examples/ (loop.py)
#   E2E_WAIT            seconds for one bounded wait (default 30)
#   DMTCP_E2E_KEEP=1    keep the test's temporary folder (it is printed) instead of removing it
# Run one test by hand:  DMTCP_BIN=build/bin DMTCP_EXAMPLES=build/examples bash tests/e2e/counter.sh

set -u -o pipefail

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_LIB_DIR/../.." && pwd)
: "${DMTCP_BIN:=$E2E_ROOT/build/bin}"
: "${DMTCP_EXAMPLES:=$E2E_ROOT/build/examples}"
: "${DMTCP_EXAMPLES_SRC:=$E2E_ROOT/examples}"
: "${E2E_WAIT:=30}"
PYTHON=/usr/bin/python3
COORD_HOST=127.0.0.1

T=""             # this test's temporary folder
PORT=""          # port of the coordinator started by start_coordinator
COORD_PID=""     # its pid
CKPT=""          # checkpoint folder ($T/ckpt): images and dmtcp_restart_script.sh
E2E_PGIDS=()     # process groups started by start_bg, killed at exit
E2E_NAME=""
WAIT_RC=""       # exit code set by wait_exit
IMG=""           # set by single_image
RS=""            # set by restart_script

# Messages go to stderr, so that they are never captured by a command substitution.
log() { printf '[%s %s] %s\n' "$E2E_NAME" "$(date +%H:%M:%S.%3N)" "$*" >&2; }

# Prints the tail of every log of this test, for the reader of a failure.
dump_logs() {
  local f
  [[ -n $T && -d $T ]] || return 0
  while IFS= read -r -d '' f; do
    [[ -s $f ]] || continue
    printf -- '----- %s (last 30 lines) -----\n' "${f#"$T"/}"
    tail -n 30 -- "$f"
  done >&2 < <(find "$T" -maxdepth 2 -type f \( -name '*.err' -o -name '*.log' -o -name '*.out' -o -name '*.txt' \) -print0 2>/dev/null)
}

fail() {
  log "FAIL: $*"
  dump_logs
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Setup and cleanup

e2e_init() {
  E2E_NAME=$1
  local tool
  for tool in dmtcp_coordinator dmtcp_launch dmtcp_command dmtcp_restart; do
    [[ -x $DMTCP_BIN/$tool ]] || { E2E_NAME=$1; fail "$DMTCP_BIN/$tool is not built"; }
  done
  T=$(mktemp -d "${TMPDIR:-/tmp}/dmtcp-e2e-$1.XXXXXX") || fail "mktemp failed"
  CKPT=$T/ckpt
  mkdir -p "$T/tmp" "$CKPT" "$T/run" || fail "mkdir in $T failed"
  # Nothing from the caller's environment may point us at another coordinator or folder.
  unset DMTCP_COORD_HOST DMTCP_HOST DMTCP_COORD_PORT DMTCP_PORT DMTCP_CHECKPOINT_DIR DMTCP_GZIP \
    DMTCP_SIGCKPT DMTCP_FAIL_RC DMTCP_CHECKPOINT_INTERVAL DMTCP_RESTART_DIR LD_PRELOAD
  export DMTCP_TMPDIR=$T/tmp         # coordinator secrets of this test only
  export DMTCP_CHECKPOINT_DIR=$CKPT
  export DMTCP_E2E_TAG=$T            # marks every process of this test (see e2e_cleanup)
  trap e2e_cleanup EXIT
  trap 'exit 143' TERM INT HUP
  cd "$T/run" || fail "cd $T/run failed"
  log "temporary folder $T"
}

# e2e_our_pids [EXCLUDED_PGID]  Sets E2E_OUR to the pids of live processes of this test other
# than this shell: those whose environment carries our tag, whose working directory is inside $T,
# or whose process group was started by start_bg; except members of process group EXCLUDED_PGID.
# Pure builtins (but for readlink), so that the scan does not find and kill its own helpers.
e2e_our_pids() {
  local d pid kv cwd line rest st pgrp pg mine excluded=${1:-}
  E2E_OUR=()
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    line=""
    { IFS= read -r line <"$d/stat"; } 2>/dev/null || continue
    rest=${line##*) }
    read -r st _ pgrp _ <<<"$rest"
    [[ $st == Z ]] && continue
    [[ -n $excluded && $pgrp == "$excluded" ]] && continue
    mine=0
    for pg in "${E2E_PGIDS[@]}"; do
      [[ $pgrp == "$pg" ]] && { mine=1; break; }
    done
    if ((!mine)); then
      cwd=$(readlink "$d/cwd" 2>/dev/null) || cwd=""
      [[ $cwd == "$T" || $cwd == "$T"/* ]] && mine=1
    fi
    if ((!mine)); then
      while IFS= read -r -d '' kv; do
        if [[ $kv == "DMTCP_E2E_TAG=$T" ]]; then
          mine=1
          break
        fi
      done 2>/dev/null <"$d/environ"
    fi
    ((mine)) && E2E_OUR+=("$pid")
  done
}

# on_exit COMMAND  Runs COMMAND (a string, with eval) when the test ends, whether it passes or
# fails, before its processes are killed and its folder removed (a test's own cleanup, such as
# cancelling its batch job; the EXIT trap stays ours).
E2E_EXIT_HOOKS=()
on_exit() { E2E_EXIT_HOOKS+=("$1"); }

e2e_cleanup() {
  local rc=$? pg hook
  trap - EXIT
  set +e
  for hook in "${E2E_EXIT_HOOKS[@]}"; do eval "$hook" 2>/dev/null; done
  exec 3>&2 2>/dev/null # silence bash's "Killed" notices for the processes killed here
  for pg in "${E2E_PGIDS[@]}"; do kill -KILL -- "-$pg" 2>/dev/null; done
  [[ -n $COORD_PID ]] && kill -KILL "$COORD_PID" 2>/dev/null
  if [[ -n $T ]]; then
    for _ in 1 2 3; do
      e2e_our_pids
      ((${#E2E_OUR[@]} == 0)) && break
      kill -KILL "${E2E_OUR[@]}" 2>/dev/null
      sleep 0.1
    done
  fi
  wait 2>/dev/null
  if [[ -n $T && -d $T ]]; then
    if [[ ${DMTCP_E2E_KEEP:-0} == 1 ]]; then
      log "kept $T"
    else
      rm -rf -- "$T"
    fi
  fi
  exec 2>&3 3>&-
  if ((rc == 0)); then log "PASS"; else log "FAILED (exit $rc)"; fi
  exit "$rc"
}

# ---------------------------------------------------------------------------------------------
# Processes

# Process state letter of PID, empty if it does not exist.
proc_state() {
  local line rest
  { IFS= read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
  rest=${line##*) }
  printf '%s' "${rest%% *}"
}

is_alive() {
  local st
  st=$(proc_state "$1")
  [[ -n $st && $st != Z ]]
}

# start_bg VAR OUT ERR CMD ARGS...  Runs CMD in the background in a new session (so that its whole
# process tree can be killed as a group), in folder $E2E_CWD (default: the current folder), with
# stdin from /dev/null, stdout to OUT (">>FILE" appends), stderr to ERR. Stores its pid in VAR.
start_bg() {
  local __var=$1 out=$2 err=$3 dir=${E2E_CWD:-$PWD}
  shift 3
  if [[ $out == '>>'* ]]; then
    (cd "$dir" && exec setsid "$@") >>"${out#>>}" 2>"$err" </dev/null &
  else
    (cd "$dir" && exec setsid "$@") >"$out" 2>"$err" </dev/null &
  fi
  printf -v "$__var" '%s' "$!"
  E2E_PGIDS+=("$!")
}

# Every thread of PID's process tree: where each one waits, for the reader of a hang.
tree_threads() {
  local -A parent=()
  local line p pp t rest
  while read -r p pp; do parent[$p]=$pp; done < <(ps -e -o pid=,ppid=)
  ps -e -L -o pid=,ppid=,tid=,stat=,wchan:24=,comm= | while read -r p pp t rest; do
    local a=$p
    while [[ -n $a && $a != 0 && $a != 1 && $a != "$1" ]]; do a=${parent[$a]:-}; done
    [[ $a == "$1" ]] || continue
    local sc
    sc=$(cat "/proc/$t/syscall" 2>/dev/null)
    printf '%s %s %s %s syscall: %s\n' "$p" "$pp" "$t" "$rest" "$(cut -d' ' -f1-4 <<<"$sc")"
    # Where the thread is (its pc) and, for a futex wait, whose lock word it waits on: the
    # mapping and the offset in its file say which library's lock it is.
    read -r -a f <<<"$sc"
    if ((${#f[@]} >= 9)); then
      printf '    pc %s\n' "$(addr_in_maps "$p" "${f[8]}")"
      [[ ${f[0]} == 202 ]] && printf '    futex %s\n' "$(addr_in_maps "$p" "${f[1]}")"
    fi
  done
}

# addr_in_maps PID ADDR  "ADDR: FILE+OFFSET" (or the mapping's name) for an address of PID.
addr_in_maps() {
  local range perms off dev inode name lo hi
  while read -r range perms off dev inode name; do
    lo=$((16#${range%-*})) hi=$((16#${range#*-}))
    if (($2 >= lo && $2 < hi)); then
      printf '%s: %s+0x%x (%s)' "$2" "${name:-anonymous}" $(($2 - lo + 16#$off)) "$perms"
      return
    fi
  done <"/proc/$1/maps" 2>/dev/null
  printf '%s: not mapped' "$2"
}

# wait_gone PID WHAT  Waits until PID has exited (WHAT names it in the failure message).
wait_gone() {
  local deadline=$((SECONDS + E2E_WAIT))
  while is_alive "$1"; do
    ((SECONDS < deadline)) || fail "$2 still runs ${E2E_WAIT}s later"
    sleep 0.05
  done
}

# wait_exit PID [TIMEOUT]  Waits for a process started by start_bg to exit; sets WAIT_RC.
wait_exit() {
  local pid=$1 timeout=${2:-$E2E_WAIT} deadline
  deadline=$((SECONDS + timeout))
  while is_alive "$pid"; do
    ((SECONDS < deadline)) || fail "process $pid did not exit within ${timeout}s; its process tree:
$(tree_threads "$pid")"
    sleep 0.05
  done
  wait "$pid"
  WAIT_RC=$?
}

# Live members of process group PGID, one pid per line.
group_members() {
  local d line rest st pgrp
  for d in /proc/[0-9]*; do
    { IFS= read -r line <"$d/stat"; } 2>/dev/null || continue
    rest=${line##*) }
    read -r st _ pgrp _ <<<"$rest"
    [[ $st != Z && $pgrp == "$1" ]] && printf '%s\n' "${d#/proc/}"
  done
}

# kill_program PID  Simulates a crash of the computation: SIGKILLs the process group started by
# start_bg as PID, and every other process of this test except the coordinator (a restarted
# process may have left the restart command's process group), then waits until they are gone.
kill_program() {
  local pid=$1 deadline p
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  deadline=$((SECONDS + E2E_WAIT))
  while :; do
    e2e_our_pids "$COORD_PID"
    [[ ${#E2E_OUR[@]} -eq 0 && -z $(group_members "$pid") ]] && break
    ((SECONDS < deadline)) || fail "processes ${E2E_OUR[*]} still alive after SIGKILL"
    for p in "${E2E_OUR[@]}"; do kill -KILL "$p" 2>/dev/null; done
    sleep 0.05
  done
}

# assert_group_gone PGID WHAT  The process group must be empty (bounded wait: processes that are
# exiting get a few seconds).
assert_group_gone() {
  local deadline=$((SECONDS + 10)) left
  while left=$(group_members "$1") && [[ -n $left ]]; do
    if ((SECONDS >= deadline)); then
      fail "$2: processes left behind: $(echo "$left" | while read -r p; do
        printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"
      done)"
    fi
    sleep 0.05
  done
}

# A TCP port on 127.0.0.1 where nothing listens (bound and released at once).
dead_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ---------------------------------------------------------------------------------------------
# Coordinator and commands

# start_coordinator [ARGS...]  Starts a coordinator of this test on a free port (port 0 with a
# port file) and waits until the port file names its port. Sets PORT and COORD_PID.
start_coordinator() {
  local pf=$T/coord.port deadline
  rm -f "$pf"
  start_bg COORD_PID "$T/coord.out" "$T/coord.err" "$DMTCP_BIN/dmtcp_coordinator" \
    --port 0 --port-file "$pf" --ckptdir "$CKPT" --coord-logfile "$T/coord.log" "$@"
  deadline=$((SECONDS + E2E_WAIT))
  PORT=""
  while :; do
    if [[ -s $pf ]]; then
      PORT=$(tr -d ' \n' <"$pf")
      [[ $PORT =~ ^[1-9][0-9]*$ ]] && break
    fi
    is_alive "$COORD_PID" || fail "dmtcp_coordinator exited before writing its port file $pf"
    ((SECONDS < deadline)) || fail "dmtcp_coordinator wrote no port to $pf within ${E2E_WAIT}s"
    sleep 0.05
  done
  log "coordinator pid $COORD_PID on port $PORT"
}

# dc ARGS...  dmtcp_command against this test's coordinator (bounded).
dc() { timeout "$E2E_WAIT" "$DMTCP_BIN/dmtcp_command" -h "$COORD_HOST" -p "$PORT" "$@"; }

# status_field NAME  Value of NAME= in `dmtcp_command -s` (empty if missing).
status_field() {
  local out
  out=$(dc -s 2>>"$T/command.err") || return 1
  printf '%s\n' "$out" | sed -n "s/^[[:space:]]*$1=//p" | head -n 1
}

# wait_status NAME VALUE [TIMEOUT]  Polls `dmtcp_command -s` until NAME=VALUE.
wait_status() {
  local name=$1 want=$2 timeout=${3:-$E2E_WAIT} deadline got=""
  deadline=$((SECONDS + timeout))
  while :; do
    got=$(status_field "$name") && [[ $got == "$want" ]] && return 0
    ((SECONDS < deadline)) || fail "coordinator status $name is '$got', not '$want' after ${timeout}s"
    sleep 0.1
  done
}

wait_peers() { wait_status NUM_PEERS "$1" "${2:-$E2E_WAIT}"; }

# start_stalling_pair N DELAY  Two counters joined to the coordinator: a, and b with the test
# plugin stall_plugin (its folder $T/stall: the test arms it). Returns when both count; sets
# stall, pa and pb (their pids); outputs in $T/run/a.out and $T/run/b.out.
start_stalling_pair() {
  stall=$T/stall
  mkdir -p "$stall"
  start_bg PID_a "$T/run/a.out" "$T/a.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
    --join "$DMTCP_EXAMPLES/counter" "$1" "$2"
  DMTCP_STALL_DIR=$stall start_bg PID_b "$T/run/b.out" "$T/b.err" "$DMTCP_BIN/dmtcp_launch" \
    -h "$COORD_HOST" -p "$PORT" --join --with-plugin "$DMTCP_TEST_PLUGINS/stall_plugin.so" \
    "$DMTCP_EXAMPLES/counter" "$1" "$2"
  # shellcheck disable=SC2154  # set by start_bg
  pa=$PID_a pb=$PID_b
  wait_line "$T/run/a.out" '^count 20 ' "" "$pa"
  wait_line "$T/run/b.out" '^count 20 ' "" "$pb"
  wait_peers 2
}

# restart_stalling_pair  After a checkpoint: kills the pair start_stalling_pair started, restarts
# it from the restart script, and checks that each counter's output equals $T/native.txt.
restart_stalling_pair() {
  kill_program "$pa"
  kill_program "$pb"
  wait_peers 0
  restart_script
  start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_exit "$PID" 90
  assert_rc "$WAIT_RC" 0 "the restart"
  wait_peers 0 60
  assert_same "$T/native.txt" "$T/run/a.out" "counter a's output"
  assert_same "$T/native.txt" "$T/run/b.out" "counter b's output"
}

# saved_checkpoint  The images in $CKPT (names, times) and the restart script's checksum: what a
# failed checkpoint must leave as it was.
saved_checkpoint() { (cd "$CKPT" && ls --full-time ./*.dmtcp && md5sum dmtcp_restart_script.sh); }

# checkpoint_blocking  `dmtcp_command --bcheckpoint`; it must succeed and leave the restart script.
checkpoint_blocking() {
  local out rc t0=$SECONDS
  out=$(dc --bcheckpoint 2>&1)
  rc=$?
  ((rc == 0)) || fail "dmtcp_command --bcheckpoint exited $rc: $out"
  [[ -e $CKPT/dmtcp_restart_script.sh ]] ||
    fail "no $CKPT/dmtcp_restart_script.sh after a blocking checkpoint"
  # With forked checkpoints, every image must have been written by a forked child; a program
  # with memory a child does not inherit (E2E_FORKED_IN_PLACE=1) writes its image itself; with
  # E2E_FORKED_IN_PLACE=some, processes may do either (it depends on the moment: a large file in
  # /tmp open then); with E2E_FORKED_IN_PLACE=one, exactly one process writes its image itself
  # (the one that saves a folder).
  local line re='complete: ([0-9]+) images \(([0-9]+) written by forked children\)'
  if [[ ${E2E_FORKED_IN_PLACE:-0} == some ]]; then
    :
  elif [[ ${DMTCP_FORKED_CHECKPOINT:-0} == 1 && ${E2E_FORKED_IN_PLACE:-0} == one ]]; then
    line=$(grep 'complete: ' "$T/coord.log" | tail -n 1)
    [[ $line =~ $re && ${BASH_REMATCH[1]} == $((BASH_REMATCH[2] + 1)) ]] ||
      [[ $line =~ complete:\ 1\ images$ ]] ||
      fail "not every image but one was written by a forked child: $line"
  elif [[ ${DMTCP_FORKED_CHECKPOINT:-0} == 1 && ${E2E_FORKED_IN_PLACE:-0} == 1 ]]; then
    grep -q 'complete: [0-9]* images$' "$T/coord.log" ||
      fail "an image was written by a forked child: $(grep 'complete: ' "$T/coord.log" | tail -n 1)"
  elif [[ ${DMTCP_FORKED_CHECKPOINT:-0} == 1 ]]; then
    line=$(grep 'complete: ' "$T/coord.log" | tail -n 1)
    [[ $line =~ $re && ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] ||
      fail "not every image was written by a forked child: $line"
  fi
  log "checkpoint done in $((SECONDS - t0))s"
}

# single_image GLOB  Sets IMG to the one image matching $CKPT/GLOB; fails unless there is exactly
# one (images are replaced in place, never added, at later checkpoints of the same process).
single_image() {
  local files=() f
  for f in "$CKPT"/$1; do [[ -e $f ]] && files+=("$f"); done
  ((${#files[@]} == 1)) ||
    fail "expected exactly one image $CKPT/$1, found ${#files[@]}: $(ls -la "$CKPT" 2>&1)"
  IMG=${files[0]}
}

# kill_and_restart WHAT  After a checkpoint: kill the computation started as $PID, restart it
# with the generated restart script (PID becomes the restart's), wait for it to finish, and
# require exit code 0 (WHAT names it in the failure message).
kill_and_restart() {
  kill_program "$PID"
  wait_peers 0
  restart_script
  start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_exit "$PID" 90
  assert_rc "$WAIT_RC" 0 "$1"
}

# restart_on_new_coordinator ROUND  As a job and its requeue do: a blocking checkpoint, a kill of
# the computation started as $PID (its --exit-on-last coordinator must end with it), and a restart
# under a new --exit-on-last coordinator (another port and secret); PID becomes the restart's,
# whose output goes to $T/restartROUND.out and .err. Returns once the computation runs.
restart_on_new_coordinator() {
  local deadline old_port=$PORT
  checkpoint_blocking
  kill_program "$PID"
  deadline=$((SECONDS + E2E_WAIT))
  while is_alive "$COORD_PID"; do
    ((SECONDS < deadline)) || fail "the --exit-on-last coordinator outlived its computation"
    sleep 0.05
  done
  restart_script
  start_coordinator --exit-on-last
  [[ $PORT != "$old_port" ]] || fail "the new coordinator took the old port $PORT"
  start_bg PID "$T/restart$1.out" "$T/restart$1.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_status RUNNING yes
}

# restart_script  Sets RS to the generated restart script; it must be an executable file.
restart_script() {
  RS=$CKPT/dmtcp_restart_script.sh
  [[ -f $RS ]] || fail "$RS missing"
  [[ -x $RS ]] || fail "$RS is not executable"
}

# ---------------------------------------------------------------------------------------------
# Output

# wait_line FILE REGEX [TIMEOUT] [PID]  Waits until a line of FILE matches the extended REGEX;
# fails early if PID is given and exits first.
wait_line() {
  local file=$1 re=$2 timeout=${3:-$E2E_WAIT} pid=${4:-} deadline
  deadline=$((SECONDS + timeout))
  until grep -Eq -- "$re" "$file" 2>/dev/null; do
    if [[ -n $pid ]] && ! is_alive "$pid"; then
      grep -Eq -- "$re" "$file" 2>/dev/null && return 0
      fail "process $pid exited before '$re' appeared in $file"
    fi
    ((SECONDS < deadline)) || fail "no line matching '$re' in $file after ${timeout}s"
    sleep 0.05
  done
}

# last_num FILE WORD  The number after WORD on the last line of FILE that starts "WORD <n>" (0 if
# none).
last_num() {
  local n
  n=$(grep -E "^$2 [0-9]+( |$)" "$1" 2>/dev/null | tail -n 1 | awk '{print $2}')
  printf '%s\n' "${n:-0}"
}

# assert_same EXPECTED ACTUAL WHAT  Files must be byte-identical.
assert_same() {
  cmp -s -- "$1" "$2" && return 0
  log "$3 differs from the expected output ($(wc -l <"$1") expected lines, $(wc -l <"$2") actual)"
  diff -- "$1" "$2" | head -n 20 >&2
  fail "$3: output not as expected"
}

assert_rc() {
  [[ $1 == "$2" ]] || fail "$3: exit code $1, expected $2"
}

# ---------------------------------------------------------------------------------------------
# Processors

# cpu_flag_pair  Prints "HAVE LACK": a flag of this processor and one of the same length that it
# lacks, both instruction-set flags (the runtime's list); ssse3 and sse4a when they fit. Nothing
# if there is no such pair.
cpu_flag_pair() {
  local flags
  flags=$(grep -m1 -E '^(flags|Features)[[:space:]]*:' /proc/cpuinfo | sed 's/^[^:]*: *//')
  [[ -n $flags ]] || fail "no flags line in /proc/cpuinfo"
  "$PYTHON" - "$E2E_ROOT/runtime/core/cpu_features.cc" "$flags" <<'EOF'
import re, sys
src = open(sys.argv[1]).read()
block = src[src.index("kX86InstructionFlags"):]
isa = re.findall(r'"([^"]+)"', block[:block.index("};")])
cpu = set(sys.argv[2].split())
pairs = [("ssse3", "sse4a")] + [(h, l) for l in isa for h in isa if len(h) == len(l)]
for h, l in pairs:
    if h in cpu and l not in cpu and h in isa and l in isa:
        print(h, l)
        break
EOF
}

# swap_cpu_flag IMAGE HAVE LACK  Rewrites IMAGE's processor record (type 18: a 40-byte header
# ending 8 bytes before the model name) as a processor with LACK in place of HAVE would have
# written it, checksums made again.
swap_cpu_flag() {
  local model
  model=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
  "$PYTHON" - "$1" "$model" "$2" "$3" <<'EOF' || fail "cannot change the processor record of $1"
import struct, sys, zlib
path, model = sys.argv[1], sys.argv[2].encode()
have, lack = sys.argv[3].encode(), sys.argv[4].encode()
data = bytearray(open(path, "rb").read())
at = data.find(model)
info = at - 8
hdr = info - 40
rtype, codec, length, raw_len, aux, pcrc, hcrc = struct.unpack_from("<IIQQQII", data, hdr)
assert rtype == 18, rtype
payload = data[info:info + length]
i = payload.find(b" " + have + b" ")
assert i > 0
payload[i + 1:i + 1 + len(have)] = lack
data[info:info + length] = payload
pcrc = zlib.crc32(bytes(payload))
struct.pack_into("<IIQQQI", data, hdr, rtype, codec, length, raw_len, aux, pcrc)
struct.pack_into("<I", data, hdr + 36, zlib.crc32(bytes(data[hdr:hdr + 36])))
open(path, "wb").write(data)
EOF
}
