#!/usr/bin/env bash
# file_changed.sh
#
# A file the program had open is reopened at restart at its saved offset. If, before the restart,
# that file has become shorter than the saved offset, the restart must fail loudly: exit code
# DMTCP_FAIL_RC (99), a message on stderr naming the file, no process left joined to the
# coordinator, and the file left as it was (not extended). If the file (open for writing) was
# removed, the restart makes it again with its mode, and the program writes on from its offset
# (as DMTCP does); the program made it in a temporary folder, so the image holds its contents and
# the new file holds them up to the offset, then the rest of the lines. A file
# open only for reading that was removed stays an error. Once the file is put back, the same image
# restarts and the file ends up exactly "line 1".."line N".
. "$(dirname "$0")/lib.sh"
e2e_init file-changed

N=300
DELAY=30
data=$T/run/data.txt
expected=$T/expected.txt
for ((i = 1; i <= N; i++)); do printf 'line %d\n' "$i"; done >"$expected"

start_coordinator
start_bg LPID "$T/run/stdout.txt" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" \
  -h "$COORD_HOST" -p "$PORT" --join "$DMTCP_EXAMPLES/filewriter" "$data" "$N" "$DELAY"
wait_line "$data" '^line 40$' "" "$LPID"
wait_peers 1
checkpoint_blocking
single_image 'ckpt_filewriter_*.dmtcp'
kill_program "$LPID"
wait_peers 0
cp "$data" "$T/data.saved"

# 1. The file is shorter than the offset saved in the image.
printf 'line 1\n' >"$data"
rc=0
timeout 20 "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" -p "$PORT" --join "$IMG" \
  >"$T/short.out" 2>"$T/short.err" </dev/null || rc=$?
assert_rc "$rc" 99 "restart with $data shorter than its saved offset"
grep -qF "data.txt" "$T/short.err" || fail "restart error message does not name data.txt: $(cat "$T/short.err")"
[[ $(cat "$data") == "line 1" ]] || fail "the failed restart changed $data"
wait_peers 0

# 2. The file is gone: made again, the program writing on from its offset.
rm -f "$data"
start_bg RPID "$T/remade.out" "$T/remade.err" "$DMTCP_BIN/dmtcp_restart" \
  -h "$COORD_HOST" -p "$PORT" --join "$IMG"
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restart with $data removed"
grep -qF "data.txt (descriptor" "$T/remade.err" ||
  fail "the restart did not say it made data.txt again: $(cat "$T/remade.err")"
offset=$(grep -o 'from offset [0-9]*' "$T/remade.err" | awk '{print $3}')
[[ $offset =~ ^[0-9]+$ && $offset -gt 0 ]] || fail "no offset in: $(cat "$T/remade.err")"
[[ $(stat -c %a "$data") == 644 ]] || fail "data.txt made again with mode $(stat -c %a "$data"), not 644"
# The program made the file in a temporary folder (this test's folder is one): the image holds
# what it had at the checkpoint, so the remade file starts with it and the output is whole.
cmp -s "$data" "$expected" ||
  fail "the remade data.txt is not lines 1..$N (its first $offset bytes come from the image)"
wait_peers 0

# 3. Put the file back as it was when the process was killed: the restart now succeeds.
cp "$T/data.saved" "$data"
start_bg RPID "$T/restart.out" "$T/restart.err" "$DMTCP_BIN/dmtcp_restart" \
  -h "$COORD_HOST" -p "$PORT" --join "$IMG"
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restarted filewriter"
assert_same "$expected" "$data" "file written across the restart"
