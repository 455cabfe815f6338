#!/usr/bin/env bash
# plugin_bad.sh
#
# Plugins that must be refused before the program runs. For each bad plugin, given with
# --with-plugin (and the first two also through DMTCP_PLUGIN in the environment), dmtcp_launch
# --join runs `touch <marker>`, and:
#   - the exit code is 99, and 42 with DMTCP_FAIL_RC=42;
#   - stderr names the plugin (its path as given; a plugin that registers a descriptor may be
#     named by its pluginName instead);
#   - the marker file does not exist (the program's main() never ran) and no process stays
#     connected to the coordinator.
# The bad plugins: a path that does not exist; a relative path (to a good plugin, from the
# current folder); a text file named *.so; a valid shared object with neither dmtcp_event_hook
# nor a DMTCP_DECL_PLUGIN descriptor (tests/plugins/no_hook_plugin.c); a descriptor declaring
# pluginApiVersion "99" (tests/plugins/bad_api_plugin.c); and a good plugin followed by a bad one.
# Control: the same command with a good plugin (event_logger.so) creates the marker and exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plugin_lib.sh"
e2e_init plugin-bad

good=$DMTCP_PLUGIN_DIR/event_logger.so
no_hook=$DMTCP_TEST_PLUGINS/no_hook_plugin.so
bad_api=$DMTCP_TEST_PLUGINS/bad_api_plugin.so
need "$good" "$no_hook" "$bad_api"
missing=$T/no-such-plugin.so
text=$T/text-plugin.so
printf 'this is not a shared object\n' >"$text"
cp "$good" "$T/run/relative_plugin.so"
marker=$T/run/marker

start_coordinator

# try WANT_RC WHAT NAMED ENV... -- LAUNCH_ARGS...  Runs `env ENV... dmtcp_launch --join
# LAUNCH_ARGS... touch $marker` and checks the exit code, that stderr names NAMED (one of
# NAMED's '|'-separated names), and that the program did not run (if WANT_RC is not 0) or did.
try() {
  local want=$1 what=$2 named=$3 rc=0 envs=() n
  shift 3
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  rm -f "$marker"
  timeout 30 env "${envs[@]}" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" --join "$@" \
    touch "$marker" >"$T/try.out" 2>"$T/try.err" </dev/null || rc=$?
  ((rc != 124)) || fail "$what: did not finish within 30 s"
  assert_rc "$rc" "$want" "$what"
  if ((want == 0)); then
    [[ -e $marker ]] || fail "$what: the program did not run"
  else
    [[ ! -e $marker ]] || fail "$what: the program ran (created $marker)"
    local alt found=0
    IFS='|' read -ra alt <<<"$named"
    for n in "${alt[@]}"; do grep -qF -- "$n" "$T/try.err" && found=1; done
    ((found)) || fail "$what: stderr does not name '$named': $(cat "$T/try.err")"
  fi
  log "$what -> $rc: $(head -n 1 "$T/try.err")"
  wait_peers 0 10
}

# bad WHAT PLUGIN_LIST NAMED  The plugin list must be refused, with 99 and with DMTCP_FAIL_RC=42.
bad() {
  try 99 "$1" "$3" -- --with-plugin "$2"
  try 42 "$1, DMTCP_FAIL_RC=42" "$3" DMTCP_FAIL_RC=42 -- --with-plugin "$2"
}

try 0 "control: a good plugin" "" -- --with-plugin "$good"
bad "missing plugin" "$missing" "$missing"
try 99 "missing plugin in DMTCP_PLUGIN" "$missing" "DMTCP_PLUGIN=$missing" --
bad "relative path" relative_plugin.so relative_plugin.so
try 99 "relative path in DMTCP_PLUGIN" relative_plugin.so DMTCP_PLUGIN=relative_plugin.so --
bad "text file" "$text" "$text"
bad "shared object without hook or descriptor" "$no_hook" "$no_hook"
# A descriptor may be named by its path or by its pluginName.
bad "pluginApiVersion 99" "$bad_api" "$bad_api|plugin bad_api"
bad "good plugin, then a bad one" "$good:$bad_api" "$bad_api|plugin bad_api"
