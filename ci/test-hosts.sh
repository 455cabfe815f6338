#!/usr/bin/env bash
# ci/test-hosts.sh up [N] | down | status
#
# Test hosts on this machine: N network namespaces (dmtcp-h1 ... dmtcp-hN, default 3), each with
# a veth link to a bridge in the root namespace on a private subnet, its own hostname (h1 ...)
# and a real sshd (Debian's openssh-server) that accepts one generated key. The root namespace
# is 10.77.0.1; host i is 10.77.0.(10+i). Everything else lives under $DMTCP_TEST_HOSTS_DIR
# (default /tmp/dmtcp-test-hosts):
#   ssh_config   "ssh -F <dir>/ssh_config h1 cmd" logs in to h1 without questions
#   hosts        one line per host: name address
# The namespaces share the file system and the pid space with the root namespace, so a test can
# run the same binaries everywhere. Needs root (creating namespaces); "up" is idempotent.
set -euo pipefail

dir=${DMTCP_TEST_HOSTS_DIR:-/tmp/dmtcp-test-hosts}
bridge=dmtcpbr0
subnet=10.77.0

die() {
  echo "test-hosts: $*" >&2
  exit 1
}

host_up() {
  local i=$1 ns=dmtcp-h$1 addr=$subnet.$((10 + $1))
  if ! ip netns list | grep -qw "$ns"; then
    ip netns add "$ns"
    ip link add "vdh$i" type veth peer name eth0 netns "$ns"
    ip link set "vdh$i" master "$bridge" up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" route add default via "$subnet.1"
  fi
  cat >"$dir/sshd_config.h$i" <<EOF
ListenAddress $addr
HostKey $dir/host_key
PidFile $dir/sshd.h$i.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AcceptEnv DMTCP_*
LogLevel ERROR
EOF
  echo "h$i $addr" >>"$dir/hosts.new"
  printf 'Host h%s\n  HostName %s\n' "$i" "$addr" >>"$dir/ssh_config.hosts"
  if [[ -f $dir/sshd.h$i.pid ]] && kill -0 "$(cat "$dir/sshd.h$i.pid")" 2>/dev/null; then
    return 0
  fi
  # Its own UTS namespace: the host is called h<i>, as processes started there will see.
  ip netns exec "$ns" unshare -u sh -c \
    "hostname h$i; exec /usr/sbin/sshd -f '$dir/sshd_config.h$i' -E '$dir/sshd.h$i.log'"
}

up() {
  local n=${1:-3}
  ((EUID == 0)) || die "creating network namespaces needs root"
  [[ -x /usr/sbin/sshd ]] || die "/usr/sbin/sshd missing (install openssh-server)"
  mkdir -p "$dir" /run/sshd
  chmod 700 "$dir"
  [[ -f $dir/host_key ]] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
  [[ -f $dir/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$subnet.1/24" dev "$bridge"
    ip link set "$bridge" up
  fi
  rm -f "$dir/hosts.new" "$dir/ssh_config.hosts"
  for ((i = 1; i <= n; i++)); do host_up "$i"; done
  mv "$dir/hosts.new" "$dir/hosts"
  {
    cat "$dir/ssh_config.hosts"
    printf 'Host *\n'
    printf '  IdentityFile %s\n  IdentitiesOnly yes\n  User root\n' "$dir/id_ed25519"
    printf '  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n'
    printf '  BatchMode yes\n  LogLevel ERROR\n  ConnectTimeout 10\n'
  } >"$dir/ssh_config"
  # Every host answers before we say we are up.
  local name addr tries
  while read -r name addr; do
    for ((tries = 0; ; tries++)); do
      if [[ $(ssh -F "$dir/ssh_config" "$name" hostname 2>/dev/null) == "$name" ]]; then break; fi
      ((tries < 50)) || die "cannot log in to $name ($addr); see $dir/sshd.$name.log"
      sleep 0.1
    done
  done <"$dir/hosts"
  echo "test-hosts: up: $(awk '{printf "%s=%s ", $1, $2}' "$dir/hosts")"
}

down() {
  local f ns
  for f in "$dir"/sshd.h*.pid; do
    [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
  done
  for ns in $(ip netns list 2>/dev/null | awk '/^dmtcp-h[0-9]+/ {print $1}'); do
    # Processes a test left behind in the namespace go with it.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns"
  done
  ip link del "$bridge" 2>/dev/null || true
  rm -rf "$dir"
  echo "test-hosts: down"
}

status() {
  [[ -f $dir/hosts ]] || die "not up"
  local name addr
  while read -r name addr; do
    [[ $(ssh -F "$dir/ssh_config" "$name" hostname 2>/dev/null) == "$name" ]] ||
      die "$name ($addr) does not answer"
  done <"$dir/hosts"
  echo "test-hosts: up"
}

case ${1:-} in
  up) up "${2:-3}" ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up [N] | down | status" ;;
esac
