# shellcheck shell=bash
# shellcheck disable=SC2034  # globals set here are read by the tests
# Helpers shared by the plugin and program-interface tests (plugin_*.sh, aware.sh). Source it
# after lib.sh. Inputs (environment; CTest sets them, see tests/CMakeLists.txt):
#   DMTCP_PLUGIN_DIR     the example plugins (event_logger.so, sleep_wrapper_a.so, ...)
#   DMTCP_TEST_PLUGINS   tests/plugins in the build tree: DMTCP's own examples (dmtcp_style_*),
#                        the test plugins and test programs

: "${DMTCP_PLUGIN_DIR:=$E2E_ROOT/build/lib/plugins}"
: "${DMTCP_TEST_PLUGINS:=$E2E_ROOT/build/tests/plugins}"
unset DMTCP_PLUGIN DMTCP_EVENT_LOG # only what a test sets

# need FILE...  Every FILE must exist (built); fails naming the first that does not.
need() {
  local f
  for f in "$@"; do
    [[ -e $f ]] || fail "$f is not built"
  done
}

# launch_plugins VAR OUT ERR PLUGINS CMD ARGS...  start_bg of `dmtcp_launch --join
# --with-plugin PLUGINS CMD ARGS` against this test's coordinator (PLUGINS: a:b list).
launch_plugins() {
  local var=$1 out=$2 err=$3 plugins=$4
  shift 4
  start_bg "$var" "$out" "$err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" --join \
    --with-plugin "$plugins" "$@"
}

# listed_pids  The pids of the processes `dmtcp_command -l` lists, one a line, sorted.
listed_pids() {
  local out
  out=$(dc -l 2>>"$T/command.err") || fail "dmtcp_command -l failed"
  printf '%s\n' "$out" | sed -n 's/.*\[\([0-9][0-9]*\)\]@.*/\1/p' | sort -n
}

# all_images GLOB  Sets IMGS to the images matching $CKPT/GLOB (sorted).
all_images() {
  local f
  IMGS=()
  for f in "$CKPT"/$1; do [[ -e $f ]] && IMGS+=("$f"); done
}

# wait_lines FILE REGEX COUNT [TIMEOUT] [PID]  Waits until at least COUNT lines of FILE match.
wait_lines() {
  local file=$1 re=$2 count=$3 timeout=${4:-$E2E_WAIT} pid=${5:-} deadline n
  deadline=$((SECONDS + timeout))
  while :; do
    n=$(grep -Ec -- "$re" "$file" 2>/dev/null)
    ((${n:-0} >= count)) && return 0
    if [[ -n $pid ]] && ! is_alive "$pid"; then
      n=$(grep -Ec -- "$re" "$file" 2>/dev/null)
      ((${n:-0} >= count)) && return 0
      fail "process $pid exited with $n of $count lines matching '$re' in $file"
    fi
    ((SECONDS < deadline)) || fail "$n of $count lines matching '$re' in $file after ${timeout}s"
    sleep 0.05
  done
}

# assert_text EXPECTED_TEXT FILE WHAT  FILE must hold exactly EXPECTED_TEXT (plus a final newline).
assert_text() {
  printf '%s\n' "$1" >"$T/expected.$$.txt"
  assert_same "$T/expected.$$.txt" "$2" "$3"
}

# pids_writing FILE  The live processes whose standard output is FILE, one a line.
pids_writing() {
  local d
  for d in /proc/[0-9]*; do
    [[ $(readlink "$d/fd/1" 2>/dev/null) == "$1" ]] && is_alive "${d#/proc/}" && echo "${d#/proc/}"
  done
  return 0
}
