// dmtcp_srun [srun options] command...: what a process under checkpoint
// control runs when it runs srun (the runtime's exec wrapper puts it in
// srun's place). The real srun, outside checkpoint control, starts
// `dmtcp_sshd --srun` as each task; that joins the task to the same
// coordinator under dmtcp_launch, runs the command and connects back to us.
// The tasks' output and exit codes travel over those connections (part of
// the computation), so after a restart, without srun, the tasks run on
// where the restart put them and we still report them, with srun's exit
// code (the highest) and its --label prefixes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "coordinator_client.h"
#include "pmix_hub.h"
#include "remote_launch.h"
#include "ssh_relay.h"

namespace {

using namespace dmtcp;
using ssh::Env;
constexpr const char* kCmd = "dmtcp_srun";

[[noreturn]] void Die(const std::string& msg) {
  fprintf(stderr, "%s: %s\n", kCmd, msg.c_str());
  exit(255);
}

// srun's options that take a value as the next word (the others take none,
// or theirs after '=').
bool TakesValue(const std::string& opt) {
  static const char* kShort = "ABcDdeiJLmMnNopqSTtwWxCGb";
  if (opt.size() == 2 && opt[0] == '-' && opt[1] != '-') return strchr(kShort, opt[1]) != nullptr;
  static const char* kLong[] = {"--account",
                                "--acctg-freq",
                                "--begin",
                                "--chdir",
                                "--comment",
                                "--constraint",
                                "--cpus-per-task",
                                "--cpus-per-gpu",
                                "--dependency",
                                "--distribution",
                                "--error",
                                "--exclude",
                                "--export",
                                "--gres",
                                "--gpus",
                                "--gpus-per-node",
                                "--gpus-per-task",
                                "--input",
                                "--job-name",
                                "--jobid",
                                "--licenses",
                                "--mem",
                                "--mem-per-cpu",
                                "--mem-per-gpu",
                                "--mpi",
                                "--nodefile",
                                "--nodelist",
                                "--nodes",
                                "--ntasks",
                                "--ntasks-per-core",
                                "--ntasks-per-node",
                                "--ntasks-per-socket",
                                "--output",
                                "--partition",
                                "--qos",
                                "--reservation",
                                "--signal",
                                "--time",
                                "--time-min",
                                "--uid",
                                "--gid",
                                "--wckey",
                                "--cpu-bind",
                                "--mem-bind",
                                "--kill-on-bad-exit",
                                "--open-mode",
                                "--network",
                                "--threads-per-core",
                                "--cores-per-socket",
                                "--sockets-per-node",
                                "--hint",
                                "--het-group",
                                "--immediate",
                                "--wait",
                                "--slurmd-debug"};
  for (const char* l : kLong)
    if (opt == l) return true;
  return false;
}

// This host's name if the name resolves to an address other than loopback,
// else its first address that is not loopback.
std::string ReachableName() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  bool good = false;
  if (getaddrinfo(name, nullptr, &hints, &res) == 0) {
    for (addrinfo* ai = res; ai && !good; ai = ai->ai_next)
      good =
          !(ai->ai_family == AF_INET &&
            (ntohl(reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr.s_addr) >> 24) == 127) &&
          !(ai->ai_family == AF_INET6 &&
            IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr));
    freeaddrinfo(res);
  }
  if (good) return name;
  ifaddrs* ifs = nullptr;
  std::string found;
  if (getifaddrs(&ifs) == 0) {
    for (ifaddrs* i = ifs; i && found.empty(); i = i->ifa_next) {
      if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK))
        continue;
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof buf);
      found = buf;
    }
    freeifaddrs(ifs);
  }
  return found.empty() ? name : found;
}

// The MPI plugin the step would get: --mpi, else SLURM_MPI_TYPE, else the
// cluster's MpiDefault.
std::string MpiType(const std::vector<std::string>& options) {
  std::string type;
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i].rfind("--mpi=", 0) == 0) type = options[i].substr(6);
    if (options[i] == "--mpi" && i + 1 < options.size()) type = options[i + 1];
  }
  if (type.empty()) type = Env("SLURM_MPI_TYPE");
  if (type.empty()) {
    // Outside checkpoint control: scontrol is no process of the computation.
    int in = -1, out = -1;
    pid_t pid =
        ssh::SpawnOutside({"sh", "-c", "exec scontrol show config 2>/dev/null"}, false, &in, &out);
    if (pid > 0) {
      close(in);
      std::string text;
      char buf[4096];
      ssize_t r;
      while ((r = read(out, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0) text.append(buf, static_cast<size_t>(r));
      close(out);
      waitpid(pid, nullptr, 0);
      char key[64], value[64];
      for (size_t at = 0; at < text.size();) {
        size_t nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        const std::string line = text.substr(at, nl - at);
        if (sscanf(line.c_str(), "%63s = %63s", key, value) == 2 && strcmp(key, "MpiDefault") == 0)
          type = value;
        at = nl + 1;
      }
    }
  }
  return type;
}

// A PMIx step gets our PMIx servers instead of slurmstepd's (pmix_hub.h):
// srun runs it with --mpi=none, and a child of ours, the hub, joins the
// servers. It learns that we have ended when `alive` closes.
void TakeOverPmix(std::vector<std::string>& options, const std::string& host) {
  if (MpiType(options).rfind("pmix", 0) != 0) return;
  std::vector<std::string> kept;
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i] == "--mpi" && i + 1 < options.size()) {
      ++i;
      continue;
    }
    if (options[i].rfind("--mpi=", 0) != 0) kept.push_back(options[i]);
  }
  kept.push_back("--mpi=none");
  options = kept;
  int port = 0;
  int listener = ssh::ListenAnywhere(&port);
  int alive[2];
  if (listener < 0 || pipe2(alive, O_CLOEXEC) != 0)
    Die(std::string("cannot listen for PMIx servers: ") + strerror(errno));
  const std::string token = ssh::RandomToken();
  pid_t hub = fork();
  if (hub < 0) Die(std::string("fork failed: ") + strerror(errno));
  if (hub == 0) {
    close(alive[1]);
    pmix::RunHub(listener, alive[0], token);
  }
  close(listener);
  close(alive[0]);  // alive[1] stays open as long as we run
  const std::string where = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  setenv(pmix::kHubEnv, (where + ":" + std::to_string(port)).c_str(), 1);
  setenv(pmix::kTokenEnv, token.c_str(), 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> options, command;
  bool label = false;
  int i = 1;
  for (; i < argc; ++i) {
    std::string w = argv[i];
    if (w == "--") {
      ++i;
      break;
    }
    if (w.empty() || w[0] != '-') break;
    options.push_back(w);
    if (w == "-l" || w == "--label") label = true;
    // Short options may carry their value attached (-N2); long ones after '='.
    if (TakesValue(w) && i + 1 < argc) options.push_back(argv[++i]);
  }
  for (; i < argc; ++i) command.push_back(argv[i]);
  const std::string prog = ssh::RealLauncher("DMTCP_SRUN_PROGRAM", "srun");
  if (command.empty() || !ssh::UnderCheckpointControl()) ssh::ExecDirect(kCmd, prog, argv);
  signal(SIGPIPE, SIG_IGN);
  int port = 0;
  int listener = ssh::ListenAnywhere(&port);
  if (listener < 0) Die(std::string("cannot listen: ") + strerror(errno));
  const std::string token = ssh::RandomToken();
  // Tasks on other nodes reach us, and a coordinator on this host, at an
  // address of ours: the coordinator's, if it is one, else our name, else
  // our first address.
  std::string coord_host = Env("DMTCP_COORD_HOST");
  const bool loopback = coord_host.empty() || coord_host == "localhost" ||
                        coord_host.rfind("127.", 0) == 0 || coord_host == "::1";
  std::string host = client::IsLocalHost(coord_host) && !loopback ? coord_host : ReachableName();
  if (loopback || client::IsLocalHost(coord_host)) coord_host = host;
  TakeOverPmix(options, host);
  std::string joined;
  for (const auto& w : command) joined += (joined.empty() ? "" : " ") + ssh::ShellQuote(w);
  std::vector<std::string> words = {prog};
  words.insert(words.end(), options.begin(), options.end());
  words.insert(words.end(), {client::SelfExeDir() + "/dmtcp_sshd", "--srun", "--coord-host",
                             coord_host, "--coord-port", Env("DMTCP_COORD_PORT"), "--connect-host",
                             host, "--connect-port", std::to_string(port), "--token", token});
  if (!Env("DMTCP_CHECKPOINT_DIR").empty())
    words.insert(words.end(), {"--ckptdir", Env("DMTCP_CHECKPOINT_DIR")});
  if (!Env("DMTCP_GZIP").empty()) words.insert(words.end(), {"--gzip", Env("DMTCP_GZIP")});
  if (!Env("DMTCP_PLUGIN").empty()) words.insert(words.end(), {"--plugins", Env("DMTCP_PLUGIN")});
  words.insert(words.end(), {"--", joined});
  int in = -1, out = -1;
  // srun passes our environment (the coordinator's secret with it) to the tasks.
  pid_t pid = ssh::SpawnOutside(words, true, &in, &out);
  if (pid < 0) Die("cannot run " + prog + ": " + strerror(errno));
  close(in);  // the tasks' stdin comes through us
  ssh::RelayOptions opts;
  opts.label = label;
  ssh::RelayAll(kCmd, listener, out, pid, token, opts);
}
