#include "ensure.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "errors.h"
#include "paths.h"

namespace dmtcp::client {
namespace {

using Kind = ClientError::Kind;
using Clock = std::chrono::steady_clock;

std::string Where(const CoordAddress& a) { return a.host + ":" + std::to_string(a.port); }

std::string ForeignHint(const CoordAddress& a) {
  return "port " + std::to_string(a.port) + " of " + a.host +
         " is taken by a coordinator whose secret we do not have (another user's?); use "
         "--new-coordinator or -p 0 to start your own";
}

// Joins a running coordinator. nullopt if nothing listens there (why says
// what happened); throws if something answers but will not take us.
std::optional<CoordinatorInfo> TryJoin(const EnsureOptions& o, std::string* why) {
  std::optional<std::string> secret = FindSecret(o.addr.port);
  if (!secret) {
    // Without a secret we can only tell "nothing there" from "not ours".
    int fd;
    try {
      fd = ConnectTcp(o.addr, o.timeout);
    } catch (const ClientError& e) {
      if (e.kind() != Kind::kUnreachable) throw;
      *why = e.what();
      return std::nullopt;
    }
    close(fd);
    throw ClientError(Kind::kRejected, ForeignHint(o.addr));
  }
  ConnectOptions copts;
  copts.timeout = o.timeout;
  copts.program = o.program;
  std::optional<Connection> conn;
  try {
    conn.emplace(o.addr, *secret, copts);
  } catch (const ClientError& e) {
    if (e.kind() == Kind::kUnreachable) {
      *why = e.what();
      return std::nullopt;
    }
    if (e.kind() == Kind::kRejected &&
        e.hello_status() == static_cast<int>(proto::HelloStatus::kBadSecret)) {
      throw ClientError(Kind::kRejected, ForeignHint(o.addr));
    }
    throw;
  }
  if (o.interval) {
    proto::CommandReply r = conn->Send('i', *o.interval, o.timeout);
    if (r.status != static_cast<int32_t>(proto::CommandStatus::kOk)) {
      throw ClientError(Kind::kProtocol,
                        "cannot set the checkpoint interval of the coordinator at " +
                            Where(o.addr) + ": " + r.text);
    }
  }
  return CoordinatorInfo{o.addr, *secret, false};
}

std::string TmpBase() {
  const char* t = getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

// Removes the launcher's temporary directory on every path out.
struct TmpDir {
  std::string path;
  ~TmpDir() {
    if (path.empty()) return;
    unlink((path + "/port").c_str());
    rmdir(path.c_str());
  }
};

}  // namespace

void WritePortFile(const std::string& path, int port) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    out.close();
    if (!out) throw ClientError(Kind::kUsage, "cannot write port file " + path);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    throw ClientError(Kind::kUsage, "cannot write port file " + path + ": " + strerror(err));
  }
}

CoordinatorInfo StartCoordinator(const EnsureOptions& o) {
  std::string coord =
      o.coordinator_path.empty() ? SiblingCommand("dmtcp_coordinator") : o.coordinator_path;
  if (access(coord.c_str(), X_OK) != 0) {
    throw ClientError(Kind::kStart, "cannot start a coordinator: " + coord + " is missing");
  }
  TmpDir dir;
  std::string tmpl = TmpBase() + "/dmtcp-launch-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    throw ClientError(Kind::kStart, "cannot create a temporary directory in " + TmpBase() + ": " +
                                        strerror(errno));
  }
  dir.path = buf.data();
  std::string port_file = dir.path + "/port";

  std::vector<std::string> args = {
      coord,         "--daemon", "--exit-on-last", "--port", std::to_string(o.addr.port),
      "--port-file", port_file};
  if (o.interval) {
    args.push_back("--interval");
    args.push_back(std::to_string(*o.interval));
  }
  if (!o.ckptdir.empty()) {
    args.push_back("--ckptdir");
    args.push_back(o.ckptdir);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) throw ClientError(Kind::kStart, std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    // The daemon must not hold our stdout or any inherited pipe open: a
    // shell reading the program's output would wait for it forever.
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
    }
    close_range(3, ~0U, 0);
    unsetenv("LD_PRELOAD");  // never checkpoint the coordinator itself
    execv(argv[0], argv.data());
    dprintf(2, "%s: cannot execute %s: %s\n", o.program.c_str(), argv[0], strerror(errno));
    _exit(127);
  }

  // The first process exits once the coordinator listens and has written its
  // secret and port file (it daemonizes after that).
  auto deadline = Clock::now() + o.timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      throw ClientError(Kind::kStart, std::string("waitpid: ") + strerror(errno));
    }
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      throw ClientError(Kind::kStart, "the coordinator did not start within " +
                                          std::to_string(o.timeout.count() / 1000) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw ClientError(
        Kind::kStart,
        "could not start a coordinator on port " + std::to_string(o.addr.port) +
            (WIFEXITED(status) ? " (exit status " + std::to_string(WEXITSTATUS(status))
                               : " (killed by signal " + std::to_string(WTERMSIG(status))) +
            ")");
  }
  std::optional<std::string> port_text = ReadSecretFile(port_file);  // a trimmed one-line file
  std::optional<int> port = port_text ? ParsePort(*port_text) : std::nullopt;
  if (!port || *port == 0) {
    throw ClientError(Kind::kStart, "the coordinator started but wrote no port to " + port_file);
  }
  CoordinatorInfo info;
  info.addr = CoordAddress{o.addr.host, *port};
  info.started = true;
  std::string secret_path = DefaultSecretPath(*port);
  std::optional<std::string> secret = ReadSecretFile(secret_path);
  if (!secret) {
    throw ClientError(Kind::kStart, "the coordinator on port " + std::to_string(*port) +
                                        " wrote no secret to " + secret_path);
  }
  info.secret = *secret;
  return info;
}

CoordinatorInfo EnsureCoordinator(const EnsureOptions& o) {
  if (o.mode == CoordMode::kNone) return CoordinatorInfo{o.addr, "", false};
  CoordMode mode = o.mode;
  if (o.addr.port == 0) {
    if (mode == CoordMode::kJoin) {
      throw ClientError(Kind::kUsage, "cannot join a coordinator on port 0: give its port");
    }
    mode = CoordMode::kNew;  // DMTCP: -p 0 means a new coordinator on a free port
  }
  CoordinatorInfo info;
  if (mode == CoordMode::kNew) {
    if (!IsLocalHost(o.addr.host)) {
      throw ClientError(Kind::kUsage,
                        "cannot start a coordinator on another host (" + o.addr.host + ")");
    }
    info = StartCoordinator(o);
  } else {
    std::string why;
    std::optional<CoordinatorInfo> joined = TryJoin(o, &why);
    if (joined) {
      info = *joined;
    } else if (mode == CoordMode::kJoin) {
      throw ClientError(Kind::kUnreachable,
                        why +
                            " (--join needs a running coordinator; start one with "
                            "dmtcp_coordinator, or use --new-coordinator)");
    } else if (!IsLocalHost(o.addr.host)) {
      throw ClientError(Kind::kUnreachable,
                        why + " (the host is not this machine, so none is started here)");
    } else {
      try {
        info = StartCoordinator(o);
      } catch (const ClientError&) {
        // Another launch may have started one on this port a moment ago.
        std::string why2;
        std::optional<CoordinatorInfo> again = TryJoin(o, &why2);
        if (!again) throw;
        info = *again;
      }
    }
  }
  if (!o.port_file.empty()) WritePortFile(o.port_file, info.addr.port);
  return info;
}

}  // namespace dmtcp::client
