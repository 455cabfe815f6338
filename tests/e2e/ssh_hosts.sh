#!/usr/bin/env bash
# ssh_hosts.sh
#
# A computation on three hosts (this one and two test hosts: network namespaces with their own
# sshd, from ci/test-hosts.sh), started the way users start one: a shell under dmtcp_launch runs
# `ssh h1 receiver` and `ssh h2 sender`. The sender streams numbered, checksummed messages to
# the receiver over TCP between the hosts; the receiver's output comes back through ssh.
#  1. ssh under checkpoint control behaves like ssh: stdout, stderr and the exit code of the
#     remote command come back.
#  2. Checkpointed under load, killed, and restarted by the restart script with the two test
#     hosts swapped (--hosts): every process must come back on its new host (the coordinator
#     says where), the TCP connections between hosts and the ssh relays must be made again, and
#     the receiver must get every message once and intact: its output must equal an
#     uninterrupted run's, and the shell exits 0.
#  3. Restarted again from that checkpoint with h2's image damaged: h2's dmtcp_restart refuses
#     it, and the restart script must stop the restart on the other hosts (they would wait for
#     h2's processes for ever) and exit with h2's exit code, naming h2, leaving no process.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init ssh-hosts
require_test_hosts
ssh_cfg=$SSH_CFG
h1_addr=$(awk '$1 == "h1" {print $2}' "$TEST_HOSTS_FILE")

start_coordinator
launch() {
  "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" --join "$@"
}

# 1. Plain remote commands.
out=$(launch bash -c "ssh -F '$ssh_cfg' h1 'hostname; echo to-stderr >&2; exit 7'" 2>"$T/err1.txt")
rc=$?
assert_rc "$rc" 7 "ssh h1 '...; exit 7' under dmtcp_launch"
[[ $out == h1 ]] || fail "ssh h1 hostname printed '$out', not 'h1'"
grep -qx to-stderr "$T/err1.txt" || fail "the remote stderr did not come back: $(cat "$T/err1.txt")"
wait_peers 0

# 2. The message stream between h1 and h2.
"$DMTCP_EXAMPLES/tcp_stream" 150 0 | grep -v '^received' >"$T/expected.txt"
printf 'received 150 messages, 0 errors\n' >>"$T/expected.txt"
port=$(dead_port)
recv="cd '$T' && exec '$DMTCP_EXAMPLES/tcp_stream' recv $port 150 40"
send="cd '$T' && exec '$DMTCP_EXAMPLES/tcp_stream' send $h1_addr $port 150 40"
out=$T/run/out.txt
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join bash -c "ssh -F '$ssh_cfg' h1 \"$recv\" & r=\$!; ssh -F '$ssh_cfg' h2 \"$send\"; s=\$?
    wait \$r; exit \$((s | \$?))"
wait_line "$out" '^message 15 ' "" "$PID"
# bash, two dmtcp_ssh here; on each host dmtcp_sshd and tcp_stream.
wait_peers 7
checkpoint_blocking
dc -k >/dev/null || fail "dmtcp_command -k failed"
kill_program "$PID"
wait_peers 0

restart_script
mapfile -t old_hosts < <("$RS" --list-hosts)
((${#old_hosts[@]} == 3)) || fail "the restart script lists ${#old_hosts[@]} hosts: ${old_hosts[*]}"
new_hosts=()
for h in "${old_hosts[@]}"; do
  case $h in
    h1) new_hosts+=(h2) ;;
    h2) new_hosts+=(h1) ;;
    *) new_hosts+=("$h") ;;
  esac
done
log "restarting: ${old_hosts[*]} -> ${new_hosts[*]}"
start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT" \
  --hosts "$(IFS=,; echo "${new_hosts[*]}")"
wait_peers 7
# Every process now runs where the host list put it.
grep -E 'tcp_stream\[[0-9]+\]@h[12] rejoined' "$T/coord.log" >"$T/rejoined.txt"
while read -r line; do
  [[ $line =~ tcp_stream\[([0-9]+)\]@(h[12]) ]] || continue
  vpid=${BASH_REMATCH[1]} now=${BASH_REMATCH[2]}
  before=$(grep -E "tcp_stream\[$vpid\]@h[12] joined" "$T/coord.log" | grep -oE '@h[12]')
  [[ $before == "@h1" && $now == h2 || $before == "@h2" && $now == h1 ]] ||
    fail "tcp_stream $vpid ran on ${before#@} and was restarted on $now, not on the other host"
done <"$T/rejoined.txt"
(($(wc -l <"$T/rejoined.txt") == 2)) || fail "expected 2 tcp_stream processes to rejoin"
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restarted computation"
assert_same "$T/expected.txt" "$out" "the receiver's output through ssh"
wait_peers 0

# 3. One host refuses its image: the restart stops everywhere, promptly.
img=$("$RS" --list-images | awk -F'\t' '$1 == "h2" && $2 ~ /tcp_stream/ { print $2; exit }')
[[ -f $img ]] || fail "no image of h2's tcp_stream: $("$RS" --list-images)"
size=$(stat -c %s "$img")
printf '\xde\xad\xbe\xef' | dd of="$img" bs=1 seek=$((size / 2)) conv=notrunc status=none
start_bg PID "$T/restart2.out" "$T/restart2.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 99 "the restart with h2's image damaged"
grep -q "the restart on h2 failed (exit code 99) before every process was back" "$T/restart2.err" &&
  grep -q "${img##*/}" "$T/restart2.err" ||
  fail "the restart did not say that h2 refused its image: $(cat "$T/restart2.err")"
wait_peers 0
