#include "restart_script.h"

#include <time.h>

#include <cinttypes>
#include <cstdio>
#include <vector>

#include "atomic_file.h"

namespace dmtcp::coord {
namespace {

// Single-quoted for bash; embedded quotes become '\''.
std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

std::string Hex16(uint64_t v) {
  char buf[17];
  snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

std::string Now() {
  char buf[64];
  time_t t = time(nullptr);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm);
  return buf;
}

// The option parsing and exec part; the same for every computation.
constexpr const char kBody[] = R"BASH(
usage() {
  cat <<'USAGE'
Usage: dmtcp_restart_script.sh [options]
Restarts the computation from its last checkpoint (the images listed above).
  -h, --coord-host H   coordinator host (default: $DMTCP_COORD_HOST, $DMTCP_HOST,
                       else dmtcp_restart's default)
  -p, --coord-port P   coordinator port (default: $DMTCP_COORD_PORT, $DMTCP_PORT,
                       else dmtcp_restart's default; 0 = a new coordinator)
  -i, --interval N     checkpoint interval in seconds (0 = none)
      --ckptdir D      directory for the next checkpoint images
      --hosts H1,H2,.. restart on these hosts: the n-th host that wrote images
                       (see --list-hosts) is replaced by the n-th host given,
                       wrapping around when fewer are given
      --hostfile F     the same, one host per line ('#' starts a comment);
                       e.g. from: scontrol show hostnames > F
      --list-hosts     print the hosts that wrote the images, in order, and exit
      --list-images    print each image as "host<TAB>path", and exit
      --image-dir D    take the images from D/<host>/ (or D/) under their names:
                       a copy of a checkpoint kept elsewhere
      --lazy           map the images' memory instead of reading it (see
                       dmtcp_restart --lazy)
      --ignore-cpu-features
                       restart even on processors without an instruction-set
                       extension the checkpointed ones had (see dmtcp_restart)
      --help           print this text
Processes placed on another host are restarted there through ssh (the
command in $DMTCP_SSH, default ssh), joined to the coordinator, which must
then be reachable from those hosts; the images must be readable there at
the same paths (a shared file system).
USAGE
}

die() {
  echo "$(basename "$0"): $*" >&2
  exit "$fail_rc"
}

# Never the old coordinator's address: only what the user gives now.
coord_host="${DMTCP_COORD_HOST:-${DMTCP_HOST:-}}"
coord_port="${DMTCP_COORD_PORT:-${DMTCP_PORT:-}}"
interval=""
ckptdir=""
new_hosts=()
list_hosts=0
list_images=0
lazy=0
ignore_cpu=0
image_dir=""
while [ $# -gt 0 ]; do
  opt="$1"
  has_val=0
  case "$opt" in
    --*=*) val="${opt#*=}"; opt="${opt%%=*}"; has_val=1 ;;
  esac
  case "$opt" in
    --help) usage; exit 0 ;;
    --list-hosts) list_hosts=1 ;;
    --list-images) list_images=1 ;;
    --lazy) lazy=1 ;;
    --ignore-cpu-features) ignore_cpu=1 ;;
    -h|--coord-host|--host|-p|--coord-port|--port|-i|--interval|--ckptdir|--hosts|--hostfile|--image-dir)
      if [ "$has_val" = 0 ]; then
        [ $# -ge 2 ] || die "option $opt needs a value"
        val="$2"
        shift
      fi
      case "$opt" in
        -h|--coord-host|--host) coord_host="$val" ;;
        -p|--coord-port|--port) coord_port="$val" ;;
        -i|--interval) interval="$val" ;;
        --ckptdir) ckptdir="$val" ;;
        --hosts) IFS=', ' read -r -a new_hosts <<<"$val" ;;
        --image-dir) image_dir="$val" ;;
        --hostfile)
          [ -r "$val" ] || die "cannot read host file $val"
          while IFS= read -r line || [ -n "$line" ]; do
            line="${line%%#*}"
            for h in $line; do new_hosts+=("$h"); done
          done <"$val"
          [ ${#new_hosts[@]} -gt 0 ] || die "no hosts in $val"
          ;;
      esac
      ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

if [ "$list_hosts" = 1 ]; then
  for ((i = 0; i < num_worker_hosts; i++)); do eval "echo \"\$worker_host_$i\""; done
  exit 0
fi
if [ "$list_images" = 1 ]; then
  for ((i = 0; i < num_worker_hosts; i++)); do
    eval "host=\"\$worker_host_$i\"; ckpts=(\"\${worker_ckpts_$i[@]}\")"
    for img in "${ckpts[@]}"; do printf '%s\t%s\n' "$host" "$img"; done
  done
  exit 0
fi
if [ -n "$image_dir" ]; then
  [ -d "$image_dir" ] || die "no directory $image_dir"
  all_ckpts=()
  for ((i = 0; i < num_worker_hosts; i++)); do
    eval "host=\"\$worker_host_$i\"; ckpts=(\"\${worker_ckpts_$i[@]}\")"
    moved=()
    for img in "${ckpts[@]}"; do
      name="${img##*/}"
      if [ -e "$image_dir/$host/$name" ]; then moved+=("$image_dir/$host/$name"); else moved+=("$image_dir/$name"); fi
    done
    eval "worker_ckpts_$i=(\"\${moved[@]}\")"
    all_ckpts+=("${moved[@]}")
  done
fi

if [ ! -x "$dmtcp_restart" ]; then
  dmtcp_restart="$(command -v dmtcp_restart)" ||
    die "dmtcp_restart not found (looked in $(dirname "$dmtcp_restart") and PATH)"
fi

for img in "${all_ckpts[@]}"; do
  [ -r "$img" ] || die "checkpoint image $img is missing or unreadable"
done

args=()
[ -n "$coord_host" ] && args+=(--coord-host "$coord_host")
[ -n "$coord_port" ] && args+=(--coord-port "$coord_port")
[ -n "$interval" ] && args+=(--interval "$interval")
[ -n "$ckptdir" ] && args+=(--ckptdir "$ckptdir")
[ "$lazy" = 1 ] && args+=(--lazy)
[ "$ignore_cpu" = 1 ] && args+=(--ignore-cpu-features)

# Where each old host's processes go.
this_host() {
  case "$1" in
    localhost | 127.* | ::1 | "$(hostname)" | "$(hostname -s)") return 0 ;;
  esac
  return 1
}
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
local_ckpts=()
remote_hosts=()
declare -A remote_ckpts
for ((i = 0; i < num_worker_hosts; i++)); do
  if [ ${#new_hosts[@]} -gt 0 ]; then
    target="${new_hosts[$((i % ${#new_hosts[@]}))]}"
  else
    eval "target=\"\$worker_host_$i\""
  fi
  eval "ckpts=(\"\${worker_ckpts_$i[@]}\")"
  if this_host "$target"; then
    local_ckpts+=("${ckpts[@]}")
  else
    [ -n "${remote_ckpts[$target]+set}" ] || remote_hosts+=("$target")
    for img in "${ckpts[@]}"; do remote_ckpts[$target]+=" $(quote "$img")"; done
  fi
done

if [ ${#remote_hosts[@]} -eq 0 ]; then
  exec "$dmtcp_restart" "${args[@]}" "${local_ckpts[@]}"
fi

# Several hosts: the coordinator comes first (started by the restart here,
# or on its own), then every other host joins it through ssh.
port_file="$(mktemp)"
trap 'rm -f "$port_file"' EXIT
local_pid=""
if [ ${#local_ckpts[@]} -gt 0 ]; then
  "$dmtcp_restart" "${args[@]}" --port-file "$port_file" "${local_ckpts[@]}" &
  local_pid=$!
else
  coordinator="$(dirname "$dmtcp_restart")/dmtcp_coordinator"
  if [ -z "$coord_port" ] || ! "$(dirname "$dmtcp_restart")/dmtcp_command" -p "$coord_port" \
    ${coord_host:+-h "$coord_host"} -s >/dev/null 2>&1; then
    "$coordinator" --daemon --exit-on-last --port "${coord_port:-0}" --port-file "$port_file" \
      ${interval:+--interval "$interval"} || die "cannot start a coordinator"
  else
    echo "$coord_port" >"$port_file"
  fi
fi
for ((t = 0; t < 300; t++)); do
  [ -s "$port_file" ] && break
  if [ -n "$local_pid" ] && ! kill -0 "$local_pid" 2>/dev/null; then
    wait "$local_pid"
    exit $?
  fi
  sleep 0.1
done
port="$(cat "$port_file")"
[ -n "$port" ] || die "no coordinator port after 30 s"
secret="${DMTCP_COORD_SECRET:-}"
if [ -z "$secret" ]; then
  secret_file="${DMTCP_COORD_SECRET_FILE:-${DMTCP_TMPDIR:-${TMPDIR:-/tmp}}/dmtcp-$(id -u)/coord-$port.secret}"
  secret="$(cat "$secret_file" 2>/dev/null)" || die "cannot read the coordinator's secret ($secret_file)"
fi
# A coordinator on this host is reached at the address the other host sees
# our ssh coming from.
if [ -z "$coord_host" ] || this_host "$coord_host"; then
  remote_coord='"${SSH_CONNECTION%% *}"'
else
  remote_coord="$(quote "$coord_host")"
fi
coordinator_command() {
  DMTCP_COORD_SECRET="$secret" "$(dirname "$dmtcp_restart")/dmtcp_command" \
    ${coord_host:+-h "$coord_host"} -p "$port" "$@"
}
# The restarts the coordinator has seen through ("" if it does not say).
restarts_now() {
  coordinator_command -s --json 2>/dev/null | grep -oE '"restarts":[0-9]+' | cut -d: -f2
}
# (No other host runs yet: this restart cannot have come back.)
restarts_before=$(restarts_now)
read -r -a ssh_cmd <<<"${DMTCP_SSH:-ssh}"
ssh_pids=()
for host in "${remote_hosts[@]}"; do
  cmd="IFS= read -r DMTCP_COORD_SECRET; export DMTCP_COORD_SECRET; cd $(quote "$PWD") 2>/dev/null;"
  cmd+=" exec $(quote "$dmtcp_restart") --join --coord-host $remote_coord --coord-port $port"
  [ -n "$ckptdir" ] && cmd+=" --ckptdir $(quote "$ckptdir")"
  [ "$lazy" = 1 ] && cmd+=" --lazy"
  [ "$ignore_cpu" = 1 ] && cmd+=" --ignore-cpu-features"
  cmd+="${remote_ckpts[$host]}"
  printf '%s\n' "$secret" | "${ssh_cmd[@]}" -T "$host" "$cmd" &
  ssh_pids+=($!)
done
# Until every process is back (the coordinator counts a restart once all have arrived, before
# any runs on), a host whose restart fails would leave the others waiting for it for ever: its
# failure stops the restart everywhere, and is this script's exit code.
declare -A rcs where
where[${local_pid:-none}]="this host"
for i in "${!ssh_pids[@]}"; do where[${ssh_pids[$i]}]=${remote_hosts[$i]}; done
left=(${local_pid:+"$local_pid"} "${ssh_pids[@]}")
while [ ${#left[@]} -gt 0 ]; do
  still=()
  for pid in "${left[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then still+=("$pid"); continue; fi
    wait "$pid"
    rcs[$pid]=$?
    [ "${rcs[$pid]}" = 0 ] && continue
    back=$(restarts_now)
    [ -n "$restarts_before" ] && [ -n "$back" ] && [ "$back" -le "$restarts_before" ] || continue
    echo "$(basename "$0"): the restart on ${where[$pid]} failed (exit code ${rcs[$pid]}) before every process was back: stopping it on the other hosts" >&2
    for other in "${left[@]}"; do kill "$other" 2>/dev/null; done
    # (Also the processes still on their way to the coordinator.)
    for _ in 1 2 3 4 5; do
      coordinator_command -k >/dev/null 2>&1
      sleep 0.4
    done
    wait 2>/dev/null
    exit "${rcs[$pid]}"
  done
  left=(${still[@]+"${still[@]}"})
  [ ${#left[@]} -eq 0 ] || sleep 0.5
done
rc=${rcs[${local_pid:-none}]:-0}
for pid in "${ssh_pids[@]}"; do
  [ "$rc" != 0 ] || rc=${rcs[$pid]}
done
exit "$rc"
)BASH";

}  // namespace

std::string RenderRestartScript(const CompletedCheckpoint& ckpt, const std::string& restart_bin) {
  // Hosts in the order their first image was reported.
  std::vector<std::string> hosts;
  std::vector<std::vector<std::string>> images;
  for (const ImageRecord& img : ckpt.images) {
    size_t h = 0;
    while (h < hosts.size() && hosts[h] != img.host) ++h;
    if (h == hosts.size()) {
      hosts.push_back(img.host);
      images.emplace_back();
    }
    images[h].push_back(img.path);
  }

  std::string s = "#!/bin/bash\n";
  s += "# Restarts computation " + Hex16(ckpt.computation_id) + " from checkpoint " +
       std::to_string(ckpt.generation) + ".\n";
  s += "# Written by dmtcp_coordinator on " + Now() + ". Run with --help for options.\n\n";
  s += "computation_id=" + Hex16(ckpt.computation_id) + "\n";
  s += "ckpt_generation=" + std::to_string(ckpt.generation) + "\n";
  s += "fail_rc=\"${DMTCP_FAIL_RC:-99}\"\n";
  s += "dmtcp_restart=" + Quote(restart_bin) + "\n\n";
  s += "# Images grouped by the host that wrote them: worker_host_<n> wrote worker_ckpts_<n>.\n";
  s += "num_worker_hosts=" + std::to_string(hosts.size()) + "\n";
  for (size_t h = 0; h < hosts.size(); ++h) {
    const std::string n = std::to_string(h);
    s += "worker_host_" + n + "=" + Quote(hosts[h]) + "\n";
    s += "worker_ckpts_" + n + "=(\n";
    for (const std::string& p : images[h]) s += "  " + Quote(p) + "\n";
    s += ")\n";
  }
  s += "all_ckpts=(";
  for (size_t h = 0; h < hosts.size(); ++h) {
    s += (h ? " " : "") + std::string("\"${worker_ckpts_") + std::to_string(h) + "[@]}\"";
  }
  s += ")\n";
  s += kBody;
  return s;
}

std::string WriteRestartScript(const std::string& dir, const CompletedCheckpoint& ckpt,
                               const std::string& restart_bin, std::string* path) {
  const std::string name = "dmtcp_restart_script_" + Hex16(ckpt.computation_id) + ".sh";
  const std::string full = dir + "/" + name;
  std::string err = WriteFileAtomic(full, RenderRestartScript(ckpt, restart_bin), 0700);
  if (!err.empty()) return err;
  // A relative target keeps the link valid if the directory moves.
  err = ReplaceSymlink(name, dir + "/dmtcp_restart_script.sh");
  if (!err.empty()) return err;
  *path = full;
  return "";
}

}  // namespace dmtcp::coord
