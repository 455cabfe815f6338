// dmtcp_ssh [ssh options] host command...: what a process under checkpoint
// control runs when it runs `ssh host command` (the runtime's exec wrapper
// puts it in ssh's place). The real ssh, outside checkpoint control, only
// starts dmtcp_sshd on the host; dmtcp_sshd starts the command there under
// the same coordinator and connects back to us. The command's stdin,
// stdout, stderr and exit status then travel over that connection, which
// is part of the computation: at restart it is made again, wherever the
// two ends now run, and ssh is not needed any more.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "coordinator_client.h"
#include "ssh_relay.h"

extern char** environ;

namespace {

using namespace dmtcp;
constexpr const char* kCmd = "dmtcp_ssh";

[[noreturn]] void Die(const std::string& msg, int rc = 255) {
  fprintf(stderr, "%s: %s\n", kCmd, msg.c_str());
  exit(rc);
}

struct SshArgs {
  std::vector<std::string> options;  // for the real ssh
  std::string destination;
  std::string command;  // the words after the destination, joined as ssh does
};

// ssh's own grammar: options with a value take it attached or as the next
// word; the first other word is the destination.
SshArgs Parse(int argc, char** argv) {
  static const std::string kWithValue = "BbcDEeFIiJLlmOoPpQRSWw";
  SshArgs a;
  int i = 1;
  for (; i < argc; ++i) {
    std::string w = argv[i];
    if (w == "--") {
      ++i;
      break;
    }
    if (w.size() < 2 || w[0] != '-') break;
    std::string kept = "-";
    for (size_t j = 1; j < w.size(); ++j) {
      const char c = w[j];
      if (kWithValue.find(c) != std::string::npos) {
        std::string value = j + 1 < w.size() ? w.substr(j + 1) : (i + 1 < argc ? argv[++i] : "");
        if (kept.size() > 1) a.options.push_back(kept);
        kept = "-";
        a.options.push_back(std::string("-") + c);
        a.options.push_back(value);
        break;
      }
      // No pty, no background, stdin kept: the relay needs ssh's stdin.
      if (c == 't' || c == 'T' || c == 'n' || c == 'f') continue;
      kept += c;
    }
    if (kept.size() > 1) a.options.push_back(kept);
  }
  if (i < argc) a.destination = argv[i++];
  for (; i < argc; ++i) a.command += (a.command.empty() ? "" : " ") + std::string(argv[i]);
  return a;
}

// The environment of the real ssh: without our runtime.
std::vector<char*> OutsideEnvironment() {
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) {
    if (strncmp(*e, "LD_PRELOAD=", 11) == 0 || strncmp(*e, "DMTCP_", 6) == 0) continue;
    env.push_back(*e);
  }
  env.push_back(nullptr);
  return env;
}

std::string Env(const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

// A listener on every address; dmtcp_sshd connects to it at the address
// the host sees our ssh coming from.
int Listen(int* port) {
  int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    int off = 0;
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    socklen_t len = sizeof a;
    if (bind(s, reinterpret_cast<sockaddr*>(&a), len) == 0 && listen(s, 4) == 0 &&
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
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(s, 4) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    Die(std::string("cannot listen: ") + strerror(errno));
  *port = ntohs(a.sin_port);
  return s;
}

std::string RandomToken() {
  unsigned char b[16];
  if (getrandom(b, sizeof b, 0) != sizeof b) Die("getrandom failed");
  std::string t;
  char h[3];
  for (unsigned char c : b) {
    snprintf(h, sizeof h, "%02x", c);
    t += h;
  }
  return t;
}

std::string RemoteCommand(const SshArgs& a, int port, const std::string& token) {
  using ssh::ShellQuote;
  // A coordinator on this host is reached at the address the other host
  // sees us at (dmtcp_sshd finds it in SSH_CONNECTION).
  std::string coord_host = Env("DMTCP_COORD_HOST");
  if (client::IsLocalHost(coord_host)) coord_host.clear();
  std::string c = "exec " + ShellQuote(client::SelfExeDir() + "/dmtcp_sshd");
  c += " --coord-host " + ShellQuote(coord_host);
  c += " --coord-port " + ShellQuote(Env("DMTCP_COORD_PORT"));
  c += " --connect-port " + std::to_string(port) + " --token " + token;
  if (!Env("DMTCP_CHECKPOINT_DIR").empty())
    c += " --ckptdir " + ShellQuote(Env("DMTCP_CHECKPOINT_DIR"));
  if (!Env("DMTCP_GZIP").empty()) c += " --gzip " + ShellQuote(Env("DMTCP_GZIP"));
  if (!Env("DMTCP_SIGCKPT").empty()) c += " --sigckpt " + ShellQuote(Env("DMTCP_SIGCKPT"));
  if (!Env("DMTCP_PLUGIN").empty()) c += " --plugins " + ShellQuote(Env("DMTCP_PLUGIN"));
  c += " -- " + ShellQuote(a.command);
  return c;
}

// The real ssh, with stdin from us (it carries the coordinator's secret)
// and stdout to us (its end tells us ssh is over).
pid_t StartSsh(const SshArgs& a, const std::string& remote, int* in_fd, int* out_fd) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) Die("pipe failed");
  std::vector<std::string> words = {Env("DMTCP_SSH_PROGRAM").empty() ? "ssh"
                                                                     : Env("DMTCP_SSH_PROGRAM")};
  words.insert(words.end(), a.options.begin(), a.options.end());
  words.push_back("-T");
  words.push_back("--");
  words.push_back(a.destination);
  words.push_back(remote);
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  auto env = OutsideEnvironment();
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) Die("cannot run " + words[0] + ": " + strerror(rc));
  close(in[0]);
  close(out[1]);
  *in_fd = in[1];
  *out_fd = out[0];
  return pid;
}

int SshExitCode(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 255;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

// Waits for dmtcp_sshd's connection carrying our token; -1 when ssh ends
// first (it failed: its message is on our stderr).
int AcceptPeer(int listener, int ssh_out, const std::string& token) {
  for (;;) {
    pollfd p[2] = {{listener, POLLIN, 0}, {ssh_out, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Die("poll failed");
    }
    if (p[1].revents) {
      char buf[256];
      ssize_t r = read(ssh_out, buf, sizeof buf);
      if (r == 0) return -1;
      if (r > 0) ssh::WriteAll(2, buf, static_cast<size_t>(r));
    }
    if (!(p[0].revents & POLLIN)) continue;
    int s = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) continue;
    std::string got(token.size(), '\0');
    size_t n = 0;
    while (n < got.size()) {
      pollfd q{s, POLLIN, 0};
      if (poll(&q, 1, 10000) <= 0) break;
      ssize_t r = read(s, got.data() + n, got.size() - n);
      if (r <= 0) break;
      n += static_cast<size_t>(r);
    }
    if (n == got.size() && got == token) return s;
    close(s);
  }
}

// Our stdin to the remote command; its output and exit to us.
[[noreturn]] void Relay(int conn, int ssh_out, pid_t ssh_pid) {
  bool stdin_open = true;
  ssh::FrameReader reader;
  for (;;) {
    pollfd p[3] = {{conn, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}, {ssh_out, POLLIN, 0}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      Die("poll failed");
    }
    if (p[2].revents) {
      char buf[256];
      ssize_t r = read(ssh_out, buf, sizeof buf);
      if (r == 0) {
        close(ssh_out);
        ssh_out = -1;
        if (ssh_pid > 0) SshExitCode(ssh_pid);  // it has done its part
        ssh_pid = -1;
      }
    }
    if (p[1].revents) {
      char buf[65536];
      ssize_t r = read(0, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r > 0) {
        ssh::SendFrame(conn, ssh::Frame::kStdin, buf, static_cast<uint32_t>(r));
      } else {
        ssh::SendFrame(conn, ssh::Frame::kStdinEnd, nullptr, 0);
        stdin_open = false;
      }
    }
    if (p[0].revents) {
      if (!reader.Fill(conn)) Die("lost the connection to the remote command");
      ssh::Frame type;
      std::string data;
      while (reader.Next(&type, &data)) {
        if (type == ssh::Frame::kStdout) ssh::WriteAll(1, data.data(), data.size());
        if (type == ssh::Frame::kStderr) ssh::WriteAll(2, data.data(), data.size());
        if (type == ssh::Frame::kExit) {
          int32_t code = 255;
          if (data.size() == sizeof code) memcpy(&code, data.data(), sizeof code);
          exit(code);
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  SshArgs a = Parse(argc, argv);
  const bool controlled = !Env("DMTCP_COORD_PORT").empty() && !Env("LD_PRELOAD").empty();
  if (a.destination.empty() || a.command.empty() || !controlled) {
    // A login shell, or no checkpoint control: this is plain ssh.
    setenv("DMTCP_SSH_DIRECT", "1", 1);
    std::string prog = Env("DMTCP_SSH_PROGRAM").empty() ? "ssh" : Env("DMTCP_SSH_PROGRAM");
    argv[0] = prog.data();
    execvp(argv[0], argv);
    Die("cannot run " + prog + ": " + strerror(errno));
  }
  signal(SIGPIPE, SIG_IGN);
  int port = 0;
  int listener = Listen(&port);
  const std::string token = RandomToken();
  int ssh_in = -1, ssh_out = -1;
  pid_t ssh_pid = StartSsh(a, RemoteCommand(a, port, token), &ssh_in, &ssh_out);
  const std::string secret = Env("DMTCP_COORD_SECRET") + "\n";
  ssh::WriteAll(ssh_in, secret.data(), secret.size());
  close(ssh_in);
  int conn = AcceptPeer(listener, ssh_out, token);
  if (conn < 0) exit(SshExitCode(ssh_pid));
  close(listener);
  Relay(conn, ssh_out, ssh_pid);
}
