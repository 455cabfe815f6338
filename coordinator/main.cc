// dmtcp_coordinator [port]: options, start-up (listen, secret, port file,
// daemon) and shutdown around the event loop in server.cc.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "atomic_file.h"
#include "coordinator_client.h"
#include "io.h"
#include "listener.h"
#include "log.h"
#include "secret_file.h"
#include "server.h"

namespace {

using dmtcp::client::Fail;
constexpr const char kCmd[] = "dmtcp_coordinator";

uint64_t RandomId() {
  uint64_t v = 0;
  if (!dmtcp::io::RandomBytes(&v, sizeof v)) return 0;  // the state asks again
  return v;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Creates dir and its parents (like mkdir -p).
bool MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  return IsDir(dir);
}

// Thousands of clients need more descriptors than the usual soft limit.
void RaiseFdLimit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Reading a terminal from the background would stop us with SIGTTIN.
bool StdinUsable() {
  if (!isatty(0)) return true;
  return tcgetpgrp(0) == getpgrp();
}

void Daemonize(int log_fd) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) Fail(kCmd, std::string("fork: ") + strerror(errno));
  if (pid > 0) _exit(0);  // not exit(): the secret file belongs to the child now
  setsid();
  int null = open("/dev/null", O_RDWR);
  int out = log_fd >= 0 ? log_fd : null;
  dup2(null, 0);
  dup2(out, 1);
  dup2(out, 2);
  if (null > 2) close(null);
}

// A count of seconds from the environment variable name, if it is set;
// anything but a non-negative number is an error.
void SecondsFromEnvironment(const char* name, int* seconds) {
  const char* env = getenv(name);
  if (!env || !*env) return;
  char* end = nullptr;
  long v = strtol(env, &end, 10);
  if (*end != '\0' || v < 0 || v > INT32_MAX)
    Fail(kCmd, std::string("invalid ") + name + " '" + env + "'");
  *seconds = static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"DMTCP coordinator: drives the checkpoints of one computation.", kCmd};
  int pos_port = -1, opt_port = -1;
  int interval = 0;
  int ckpt_timeout = 120;
  std::string port_file, ckptdir, logfile;
  bool daemon = false, exit_on_last = false, exit_after_ckpt = false, quiet = false;
  app.add_option("port", pos_port,
                 "Port to listen on (default: $DMTCP_COORD_PORT, $DMTCP_PORT, "
                 "7779; 0 = a free port)");
  app.add_option("-p,--coord-port,--port", opt_port, "Port to listen on, as the positional port");
  app.add_option("--port-file", port_file, "Write the port listened on to this file");
  app.add_flag("--daemon", daemon, "Run in the background, detached (no commands on stdin)");
  app.add_flag("--exit-on-last", exit_on_last,
               "Exit when the last process of the computation exits");
  app.add_flag("--exit-after-ckpt", exit_after_ckpt,
               "Kill the computation after its first checkpoint, then exit");
  app.add_option("-i,--interval", interval,
                 "Checkpoint interval in seconds, 0 = none (default: "
                 "$DMTCP_CHECKPOINT_INTERVAL or 0)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--checkpoint-timeout", ckpt_timeout,
                 "Seconds a checkpoint waits for every process to stop; past them it is "
                 "abandoned, naming the processes, and the others run on; 0 = for ever "
                 "(default: $DMTCP_CHECKPOINT_TIMEOUT or 120)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--ckptdir", ckptdir,
                 "Checkpoint directory: overrides the processes' own, holds the restart script "
                 "(default: $DMTCP_CHECKPOINT_DIR or the current directory)");
  app.add_option("--coord-logfile", logfile, "Log to this file instead of stderr");
  app.add_flag("-q,--quiet", quiet, "Log errors only");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    Fail(kCmd, e.what());
  }
  if (daemon) close_range(3, ~0U, 0);  // hold nothing a parent might wait on

  int port = 0;
  try {
    std::optional<int> explicit_port;
    if (app.count("--coord-port")) {
      explicit_port = opt_port;
    } else if (app.count("port")) {
      explicit_port = pos_port;
    }
    port = dmtcp::client::ResolveAddress(std::nullopt, explicit_port).port;
  } catch (const dmtcp::client::ClientError& e) {
    Fail(kCmd, e.what());
  }
  if (!app.count("--interval")) SecondsFromEnvironment("DMTCP_CHECKPOINT_INTERVAL", &interval);
  if (!app.count("--checkpoint-timeout"))
    SecondsFromEnvironment("DMTCP_CHECKPOINT_TIMEOUT", &ckpt_timeout);
  // Only an explicit --ckptdir overrides where the processes write images.
  std::string worker_dir;
  std::string script_dir;
  try {
    if (app.count("--ckptdir")) {
      script_dir = worker_dir = dmtcp::client::Absolute(ckptdir);
      if (!IsDir(script_dir)) Fail(kCmd, "checkpoint directory " + script_dir + " does not exist");
    } else if (const char* env = getenv("DMTCP_CHECKPOINT_DIR"); env && *env) {
      script_dir = dmtcp::client::Absolute(env);
      if (!MakeDirs(script_dir)) Fail(kCmd, "cannot create checkpoint directory " + script_dir);
    } else {
      script_dir = dmtcp::client::Absolute(".");
    }
  } catch (const dmtcp::client::ClientError& e) {
    Fail(kCmd, e.what());
  }

  int log_fd = -1;
  if (!logfile.empty()) {
    log_fd = open(logfile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) Fail(kCmd, "cannot open log file " + logfile + ": " + strerror(errno));
    dmtcp::coord::SetLogFd(log_fd);
  }
  dmtcp::coord::SetLogQuiet(quiet);
  signal(SIGPIPE, SIG_IGN);
  // Held until the loop's signalfd reads them, so cleanup always runs.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  RaiseFdLimit();

  std::string err;
  int actual_port = 0;
  int listen_fd = dmtcp::coord::ListenTcp(port, &actual_port, &err);
  if (listen_fd < 0) Fail(kCmd, err);

  dmtcp::coord::Config config;
  // A coordinator that died (killed, its node's OOM killer) left its secret
  // here, and its processes, which still hold it, try to join again at this
  // address: taking the secret over lets them back in.
  bool took_over = false;
  try {
    if (auto left = dmtcp::client::PrivateDefaultSecret(actual_port);
        left && dmtcp::coord::IsSecret(*left)) {
      config.secret = *left;
      took_over = true;
    } else {
      config.secret = dmtcp::coord::NewSecret();
    }
  } catch (const std::exception& e) {
    Fail(kCmd, e.what());
  }
  std::string secret_path;
  err = dmtcp::coord::WriteSecretFile(actual_port, config.secret, &secret_path);
  if (!err.empty()) Fail(kCmd, "cannot store the secret: " + err);
  if (!port_file.empty()) {
    err = dmtcp::coord::WriteFileAtomic(port_file, std::to_string(actual_port) + "\n", 0644);
    if (!err.empty()) {
      unlink(secret_path.c_str());
      Fail(kCmd, "cannot write the port file: " + err);
    }
  }
  printf("%d\n", actual_port);
  fflush(stdout);

  dmtcp::coord::ServerOptions opts;
  opts.listen_fd = listen_fd;
  opts.port = actual_port;
  opts.read_stdin = !daemon && StdinUsable();
  opts.script_dir = script_dir;
  try {
    opts.restart_bin = dmtcp::client::SiblingCommand("dmtcp_restart");
  } catch (const dmtcp::client::ClientError&) {
    opts.restart_bin = "dmtcp_restart";  // the script falls back to PATH
  }
  config.worker_ckpt_dir = worker_dir;
  config.interval = static_cast<uint32_t>(interval);
  config.checkpoint_timeout = static_cast<uint32_t>(ckpt_timeout);
  config.exit_on_last = exit_on_last;
  config.exit_after_ckpt = exit_after_ckpt;
  config.expect_rejoin = took_over;
  config.random_id = RandomId;

  if (daemon) {
    // From here on only the log file (if any) hears from us: a daemon started
    // by dmtcp_launch must not write into the program's stderr.
    Daemonize(log_fd);
    if (chdir("/") != 0) {
      // Harmless: every path we use is absolute.
    }
  }
  if (took_over)
    dmtcp::coord::LogInfo(
        "took over the secret a coordinator on port %d left behind: its "
        "processes can join again",
        actual_port);
  dmtcp::coord::LogInfo(
      "listening on port %d; checkpoint interval %s; exit on last process: %s; "
      "restart scripts in %s",
      actual_port, interval ? (std::to_string(interval) + " s").c_str() : "none",
      exit_on_last ? "yes" : "no", script_dir.c_str());

  bool ok;
  bool processes_left = false;
  {
    dmtcp::coord::Server server(opts, std::move(config));
    ok = server.Run();
    processes_left = server.processes_left_running();
  }
  // Processes still running try to join a coordinator started again here:
  // it needs the secret they know.
  if (processes_left) {
    dmtcp::coord::LogInfo("processes are still running: keeping %s for the next coordinator",
                          secret_path.c_str());
  } else {
    unlink(secret_path.c_str());
  }
  dmtcp::coord::LogInfo("exiting");
  return ok ? 0 : dmtcp::client::FailRc();
}
