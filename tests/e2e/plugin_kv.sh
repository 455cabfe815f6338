#!/usr/bin/env bash
# plugin_kv.sh
#
# The coordinator's key-value store, through examples/plugins/kv_exchange.so: two counters
# under one coordinator, KV_KEY=alpha KV_PEER=beta and KV_KEY=beta KV_PEER=alpha, both with
# KV_MISSING=nobody (a key nobody publishes). At RESUME and at RESTART each publishes its kernel
# pid (new in every restarted process) under its key, waits at a global barrier and looks the
# other's up; it logs with getpid() first.
#   - After a blocking checkpoint each log holds exactly, for its resume: "<pid> resume published
#     <own key> = <own launch pid>", "... peer <other key> is pid <the other's launch pid>",
#     "... peer nobody not found".
#   - Both are killed and restarted with one `dmtcp_restart --join <alpha img> <beta img>`. Each
#     log then gains exactly three restart lines: "published <key> = <K>", "peer <other key> is
#     pid <the other's K>", "peer nobody not found", where K, the kernel pid of the restarted
#     process, is a live process whose standard output is that process's output file, and is
#     not a launch pid. The getpid() the lines start with is the launch pid (virtual pids) or K,
#     and `dmtcp_command -l` lists exactly those two pids.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plugin_lib.sh"
e2e_init plugin-kv

plugin=$DMTCP_PLUGIN_DIR/kv_exchange.so
need "$plugin"
export KV_MISSING=nobody

start_coordinator
for key in alpha beta; do
  peer=beta
  [[ $key == beta ]] && peer=alpha
  export KV_KEY=$key KV_PEER=$peer DMTCP_EVENT_LOG=$T/$key.log
  launch_plugins "PID_$key" "$T/run/$key.out" "$T/$key.err" "$plugin" \
    "$DMTCP_EXAMPLES/counter" 100000 100
done
unset KV_KEY KV_PEER DMTCP_EVENT_LOG
# shellcheck disable=SC2154  # set by launch_plugins
pa=$PID_alpha pb=$PID_beta
log "alpha is pid $pa, beta is pid $pb"
wait_line "$T/run/alpha.out" '^count 3 ' "" "$pa"
wait_line "$T/run/beta.out" '^count 3 ' "" "$pb"
wait_peers 2
checkpoint_blocking
wait_line "$T/alpha.log" "^$pa resume peer nobody" "" "$pa"
wait_line "$T/beta.log" "^$pb resume peer nobody" "" "$pb"
assert_text "$pa resume published alpha = $pa
$pa resume peer beta is pid $pb
$pa resume peer nobody not found" "$T/alpha.log" "alpha's log after the checkpoint"
assert_text "$pb resume published beta = $pb
$pb resume peer alpha is pid $pa
$pb resume peer nobody not found" "$T/beta.log" "beta's log after the checkpoint"

all_images 'ckpt_counter_*.dmtcp'
((${#IMGS[@]} == 2)) || fail "expected 2 images, found ${#IMGS[@]}: $(ls "$CKPT")"
# Images are named after the unique id, which holds the launch pid: restart alpha's first.
[[ ${IMGS[1]} == *-"$pa"-* ]] && IMGS=("${IMGS[1]}" "${IMGS[0]}")
[[ ${IMGS[0]} == *-"$pa"-* && ${IMGS[1]} == *-"$pb"-* ]] ||
  log "cannot tell the images apart by launch pid: ${IMGS[*]}"
kill_program "$pa"
kill_program "$pb"
wait_peers 0
cp "$T/alpha.log" "$T/alpha.before-restart"
cp "$T/beta.log" "$T/beta.before-restart"

start_bg RPID "$T/restart.out" "$T/restart.err" "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" \
  -p "$PORT" --join "${IMGS[@]}"
wait_peers 2
wait_lines "$T/alpha.log" ' restart peer nobody' 1 "" "$RPID"
wait_lines "$T/beta.log" ' restart peer nobody' 1 "" "$RPID"
mapfile -t listed < <(listed_pids)
log "dmtcp_command -l lists pids ${listed[*]}"
((${#listed[@]} == 2)) || fail "dmtcp_command -l lists ${#listed[@]} processes after restart"

# restarted KEY LAUNCH_PID  Sets V (getpid()) and K (kernel pid) from line 4 of KEY's log.
restarted() {
  local line
  line=$(sed -n 4p "$T/$1.log")
  [[ $line =~ ^([0-9]+)\ restart\ published\ $1\ =\ ([0-9]+)$ ]] ||
    fail "$1: line 4 of the log is '$line', not '<pid> restart published $1 = <pid>'"
  V=${BASH_REMATCH[1]}
  K=${BASH_REMATCH[2]}
  [[ $K != "$pa" && $K != "$pb" ]] || fail "$1: restarted kernel pid $K is a launch pid"
  is_alive "$K" || fail "$1: restarted kernel pid $K is not a live process"
  [[ $(readlink "/proc/$K/fd/1") == "$T/run/$1.out" ]] ||
    fail "$1: process $K writes to $(readlink "/proc/$K/fd/1"), not $T/run/$1.out"
  [[ $V == "$2" || $V == "$K" ]] ||
    fail "$1: getpid() after restart is $V, neither the launch pid $2 nor the kernel pid $K"
}
restarted alpha "$pa"
va=$V ka=$K
restarted beta "$pb"
vb=$V kb=$K
log "alpha restarted as kernel pid $ka (getpid $va), beta as $kb (getpid $vb)"
[[ $ka != "$kb" ]] || fail "both restarted processes published kernel pid $ka"
[[ "$(printf '%s\n' "$va" "$vb" | sort -n | tr '\n' ' ')" == "${listed[0]} ${listed[1]} " ]] ||
  fail "the logs name pids $va and $vb, dmtcp_command -l lists ${listed[*]}"
assert_text "$(cat "$T/alpha.before-restart")
$va restart published alpha = $ka
$va restart peer beta is pid $kb
$va restart peer nobody not found" "$T/alpha.log" "alpha's log after the restart"
assert_text "$(cat "$T/beta.before-restart")
$vb restart published beta = $kb
$vb restart peer alpha is pid $ka
$vb restart peer nobody not found" "$T/beta.log" "beta's log after the restart"
# Both still count.
wait_line "$T/run/alpha.out" "^count $(($(last_num "$T/run/alpha.out" count) + 2)) " "" "$ka"
wait_line "$T/run/beta.out" "^count $(($(last_num "$T/run/beta.out" count) + 2)) " "" "$kb"
kill_program "$RPID"
