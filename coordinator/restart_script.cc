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
      --help           print this text
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
while [ $# -gt 0 ]; do
  opt="$1"
  has_val=0
  case "$opt" in
    --*=*) val="${opt#*=}"; opt="${opt%%=*}"; has_val=1 ;;
  esac
  case "$opt" in
    --help) usage; exit 0 ;;
    -h|--coord-host|--host|-p|--coord-port|--port|-i|--interval|--ckptdir)
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
      esac
      ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

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

# For now every image restarts on this host.
exec "$dmtcp_restart" "${args[@]}" "${all_ckpts[@]}"
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
