#include "remote_launch.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "ssh_relay.h"

extern char** environ;

namespace dmtcp::ssh {

std::string Env(const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

std::string RealLauncher(const char* env_var, const char* name) {
  const std::string v = Env(env_var);
  return v.empty() ? name : v;
}

bool UnderCheckpointControl() {
  return !Env("DMTCP_COORD_PORT").empty() && !Env("LD_PRELOAD").empty();
}

void ExecDirect(const char* program, const std::string& launcher, char** argv) {
  setenv("DMTCP_EXEC_DIRECT", "1", 1);  // the runtime's exec wrapper lets it through
  argv[0] = const_cast<char*>(launcher.c_str());
  execvp(argv[0], argv);
  fprintf(stderr, "%s: cannot run %s: %s\n", program, launcher.c_str(), strerror(errno));
  exit(255);
}

int ListenAnywhere(int* port) {
  int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    int off = 0;
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    socklen_t len = sizeof a;
    if (bind(s, reinterpret_cast<sockaddr*>(&a), len) == 0 && listen(s, 64) == 0 &&
        getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      *port = ntohs(a.sin6_port);
      return s;
    }
    close(s);
  }
  s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(s, 64) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return -1;
  *port = ntohs(a.sin_port);
  return s;
}

int ConnectTo(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int s = -1;
  for (addrinfo* ai = res; ai && s < 0; ai = ai->ai_next) {
    s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s >= 0 && connect(s, ai->ai_addr, ai->ai_addrlen) != 0) {
      close(s);
      s = -1;
    }
  }
  freeaddrinfo(res);
  return s;
}

std::string RandomToken() {
  unsigned char b[16] = {};
  if (getrandom(b, sizeof b, 0) != sizeof b) abort();
  std::string t;
  char h[3];
  for (unsigned char c : b) {
    snprintf(h, sizeof h, "%02x", c);
    t += h;
  }
  return t;
}

pid_t SpawnOutside(const std::vector<std::string>& words, bool keep_dmtcp_env, int* in_fd,
                   int* out_fd) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  if (pipe2(out, O_CLOEXEC) != 0) return -1;
  std::vector<std::string> args = words;
  std::vector<char*> argv;
  for (auto& w : args) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) {
    if (strncmp(*e, "LD_PRELOAD=", 11) == 0) continue;
    if (!keep_dmtcp_env && strncmp(*e, "DMTCP_", 6) == 0) continue;
    env.push_back(*e);
  }
  // Else the runtime (which dmtcp_srun and dmtcp_ssh carry) would put
  // LD_PRELOAD back, as it does for every program a process starts.
  static char outside[] = "DMTCP_OUTSIDE=1";
  env.push_back(outside);
  env.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    errno = rc;
    return -1;
  }
  *in_fd = in[1];
  *out_fd = out[0];
  return pid;
}

namespace {

struct Peer {
  int fd = -1;
  int32_t task = 0;
  bool line_start = true;
  bool done = false;
  FrameReader reader;
};

// An exit code as the launcher's own (0 if it is not ours to wait for any
// more: after a restart it is gone).
int LauncherExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 0;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

void WriteOutput(int to, Peer& p, const std::string& data, bool label) {
  if (!label) {
    WriteAll(to, data.data(), data.size());
    return;
  }
  std::string out;
  const std::string prefix = std::to_string(p.task) + ": ";
  for (char c : data) {
    if (p.line_start) out += prefix;
    out += c;
    p.line_start = c == '\n';
  }
  WriteAll(to, out.data(), out.size());
}

}  // namespace

void RelayAll(const char* program, int listener, int launcher_out, pid_t launcher,
              const std::string& token, const RelayOptions& opts) {
  std::vector<std::unique_ptr<Peer>> peers;
  bool stdin_open = true;
  bool launcher_running = true;
  int launcher_code = 0, highest = 0;
  for (;;) {
    size_t done = 0;
    for (const auto& p : peers) done += p->done;
    if (!launcher_running && done == peers.size()) {
      if (peers.empty()) exit(launcher_code ? launcher_code : 255);
      exit(highest);
    }
    std::vector<pollfd> fds;
    const bool accepting =
        listener >= 0 && (opts.expected_peers == 0 || peers.size() < opts.expected_peers);
    fds.push_back({accepting ? listener : -1, POLLIN, 0});
    fds.push_back({launcher_out, POLLIN, 0});
    fds.push_back({stdin_open && !peers.empty() ? 0 : -1, POLLIN, 0});
    for (const auto& p : peers) fds.push_back({p->done ? -1 : p->fd, POLLIN, 0});
    const size_t polled = peers.size();  // a peer accepted below has no entry in fds
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "%s: poll failed\n", program);
      exit(255);
    }
    if (fds[1].revents) {
      char buf[4096];
      ssize_t r = read(launcher_out, buf, sizeof buf);
      if (r > 0) WriteAll(1, buf, static_cast<size_t>(r));
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        close(launcher_out);
        launcher_out = -1;
        if (launcher > 0) launcher_code = LauncherExit(launcher);
        launcher_running = false;
      }
    }
    if (fds[0].revents & POLLIN) {
      int s = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (s >= 0) {
        std::string got(token.size(), '\0');
        int32_t task = 0;
        if (ReadAll(s, got.data(), got.size()) && got == token && ReadAll(s, &task, sizeof task)) {
          auto p = std::make_unique<Peer>();
          p->fd = s;
          p->task = task;
          peers.push_back(std::move(p));
        } else {
          close(s);  // someone else
        }
      }
    }
    if (fds[2].revents) {
      char buf[65536];
      ssize_t r = read(0, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      // srun's default: stdin goes to the first task.
      Peer* first = nullptr;
      for (const auto& p : peers)
        if (!p->done && (!first || p->task < first->task)) first = p.get();
      if (r > 0 && first) {
        SendFrame(first->fd, Frame::kStdin, buf, static_cast<uint32_t>(r));
      } else if (r <= 0) {
        for (const auto& p : peers)
          if (!p->done) SendFrame(p->fd, Frame::kStdinEnd, nullptr, 0);
        stdin_open = false;
      }
    }
    for (size_t i = 0; i < polled; ++i) {
      Peer& p = *peers[i];
      if (p.done || !(fds[3 + i].revents)) continue;
      if (!p.reader.Fill(p.fd)) {
        // Gone without its exit status: as a command killed by a signal.
        p.done = true;
        highest = std::max(highest, 255);
        close(p.fd);
        continue;
      }
      Frame type;
      std::string data;
      while (!p.done && p.reader.Next(&type, &data)) {
        if (type == Frame::kStdout) WriteOutput(1, p, data, opts.label);
        if (type == Frame::kStderr) WriteOutput(2, p, data, opts.label);
        if (type == Frame::kExit) {
          int32_t code = 255;
          if (data.size() == sizeof code) memcpy(&code, data.data(), sizeof code);
          highest = std::max(highest, static_cast<int>(code));
          p.done = true;
          close(p.fd);
        }
      }
    }
  }
}

}  // namespace dmtcp::ssh
