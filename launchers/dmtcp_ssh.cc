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
#include "remote_launch.h"
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

std::string RemoteCommand(const SshArgs& a, int port, const std::string& token) {
  using ssh::Env;
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
  if (Env("DMTCP_NO_ASLR") == "1") c += " --no-aslr";
  if (!Env("DMTCP_SIGCKPT").empty()) c += " --sigckpt " + ShellQuote(Env("DMTCP_SIGCKPT"));
  if (!Env("DMTCP_PLUGIN").empty()) c += " --plugins " + ShellQuote(Env("DMTCP_PLUGIN"));
  c += " -- " + ShellQuote(a.command);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  using ssh::Env;
  SshArgs a = Parse(argc, argv);
  const std::string prog = ssh::RealLauncher("DMTCP_SSH_PROGRAM", "ssh");
  // A login shell, or no checkpoint control: this is plain ssh.
  if (a.destination.empty() || a.command.empty() || !ssh::UnderCheckpointControl())
    ssh::ExecDirect(kCmd, prog, argv);
  signal(SIGPIPE, SIG_IGN);
  int port = 0;
  int listener = ssh::ListenAnywhere(&port);
  if (listener < 0) Die(std::string("cannot listen: ") + strerror(errno));
  const std::string token = ssh::RandomToken();
  // The real ssh: its stdin carries the coordinator's secret; its end tells
  // us it is over.
  std::vector<std::string> words = {prog};
  words.insert(words.end(), a.options.begin(), a.options.end());
  words.insert(words.end(), {"-T", "--", a.destination, RemoteCommand(a, port, token)});
  int ssh_in = -1, ssh_out = -1;
  pid_t pid = ssh::SpawnOutside(words, false, &ssh_in, &ssh_out);
  if (pid < 0) Die("cannot run " + prog + ": " + strerror(errno));
  const std::string secret = Env("DMTCP_COORD_SECRET") + "\n";
  ssh::WriteAll(ssh_in, secret.data(), secret.size());
  close(ssh_in);
  ssh::RelayOptions opts;
  opts.expected_peers = 1;
  ssh::RelayAll(kCmd, listener, ssh_out, pid, token, opts);
}
