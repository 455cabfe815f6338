#!/usr/bin/env bash
# tmp_file_max.sh  Files in /tmp larger than 1 MiB. DMTCP_TMP_FILE_MAX_MB: a user whose node-local
# scratch is too large to go into every image leaves it out, and is told so at the checkpoint; a
# restart on a node without the file refuses, naming it, and does not make it again empty.
# Without the variable, the same file (open for writing) is in the image and the restart makes it
# again with its contents. One open only for reading (an input) is not in the image: a restart
# without it refuses, naming it.
. "$(dirname "$0")/lib.sh"
e2e_init tmp_file_max

scratch=/tmp/dmtcp-e2e-tmpmax-$$
on_exit "rm -f $scratch"
head -c 3M /dev/urandom >"$scratch" || fail "cannot write $scratch"
sum=$(md5sum <"$scratch")
# Reads the file from its descriptor at every tick: it must stay the same.
mode="<>"
prog() {
  printf '%s' "exec 3$mode'$scratch'; while :; do echo \"tick \$(md5sum <'/proc/self/fd/3' | cut -c1-8)\";"
  printf '%s' " exec 3$mode'$scratch'; sleep 0.1; done"
}

run_once() { # LIMIT: launch, checkpoint, kill, remove the file
  start_coordinator
  out=$T/out$1.txt
  start_bg PID "$out" "$T/launch$1.err" env ${1:+DMTCP_TMP_FILE_MAX_MB=$1} \
    "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" bash -c "$(prog)"
  wait_line "$out" '^tick ' 30 "$PID"
  checkpoint_blocking
  kill_program "$PID"
  wait_peers 0
  rm -f "$scratch"
  restart_script
}

# refused N WHY: restart N must fail, saying the file is missing and why, and not make it again.
refused() {
  start_bg PID "$T/restart$1.out" "$T/restart$1.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_exit "$PID" 60
  ((WAIT_RC != 0)) || fail "restart $1, without the file, succeeded"
  grep -qF "dmtcp-e2e-tmpmax-$$ (descriptor 3) is missing, and the image does not hold it (3145728 bytes, $2" \
    "$T/restart$1.err" || fail "refusal $1 does not name the file and '$2': $(tail -n 3 "$T/restart$1.err")"
  [[ ! -e $scratch ]] || fail "the refused restart $1 made $scratch again"
}

run_once 1
grep -q "dmtcp-e2e-tmpmax-$$ is larger than DMTCP_TMP_FILE_MAX_MB: it is not in the image" \
  "$T/launch1.err" || fail "no warning that the file is left out: $(cat "$T/launch1.err")"
refused 1 "larger than DMTCP_TMP_FILE_MAX_MB"
log "left out and refused as expected"
dc -q >/dev/null 2>&1
wait_exit "$COORD_PID" 30

# Without the limit: in the image, made again at restart with its contents.
head -c 3M /dev/urandom >"$scratch"
sum=$(md5sum <"$scratch")
rm -rf "$CKPT" && mkdir -p "$CKPT"
run_once ""
start_bg PID "$T/restart2.out" "$T/restart2.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_line "$T/restart2.err" "dmtcp-e2e-tmpmax-$$ \(descriptor 3, open for writing\) is missing: it is made again with the 3145728 bytes" 30 "$PID"
at=$(grep -c '^tick ' "$out")
deadline=$((SECONDS + 30))
until (($(grep -c '^tick ' "$out") > at + 3)); do
  ((SECONDS < deadline)) || fail "the restarted program does not tick"
  sleep 0.1
done
[[ $(md5sum <"$scratch") == "$sum" ]] || fail "$scratch was made again with other contents"
bad=$(grep '^tick ' "$out" | grep -v "^tick ${sum:0:8}$" | head -n 1)
[[ -z $bad ]] || fail "the program read other contents: $bad (not ${sum:0:8})"
kill_program "$PID"
log "kept and made again with its contents"
dc -q >/dev/null 2>&1
wait_exit "$COORD_PID" 30

# Open only for reading: an input, not in the image.
mode="<"
head -c 3M /dev/urandom >"$scratch"
rm -rf "$CKPT" && mkdir -p "$CKPT"
run_once ""
refused 3 "open only for reading"
log "an input file is not in the image, and the restart without it refuses"
