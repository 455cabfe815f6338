// dmtcp_sshd: the remote half of dmtcp_ssh.
//
// Run by the real ssh (not under checkpoint control), it reads the
// coordinator's secret from stdin, leaves the ssh session (so ssh ends and
// is not needed again), and runs itself with --serve under dmtcp_launch,
// joined to the coordinator. The --serve half connects back to dmtcp_ssh,
// runs the command with `sh -c` and relays its stdin, stdout, stderr and
// exit status. Errors before the connection is made reach ssh's stderr.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "coordinator_client.h"
#include "pmix_hub.h"
#include "remote_launch.h"
#include "ssh_relay.h"

namespace {

using namespace dmtcp;
constexpr const char* kCmd = "dmtcp_sshd";

[[noreturn]] void Die(const std::string& msg) {
  fprintf(stderr, "%s: %s\n", kCmd, msg.c_str());
  exit(1);
}

struct Options {
  bool serve = false;
  bool srun = false;  // a task of srun: secret in the environment, stays in the foreground
  bool no_aslr = false;
  std::string coord_host, coord_port, connect_host, connect_port, token, ckptdir, gzip, sigckpt,
      plugins, command;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string w = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("option " + w + " needs a value");
      return argv[++i];
    };
    if (w == "--serve")
      o.serve = true;
    else if (w == "--srun")
      o.srun = true;
    else if (w == "--no-aslr")
      o.no_aslr = true;
    else if (w == "--coord-host")
      o.coord_host = value();
    else if (w == "--coord-port")
      o.coord_port = value();
    else if (w == "--connect-host")
      o.connect_host = value();
    else if (w == "--connect-port")
      o.connect_port = value();
    else if (w == "--token")
      o.token = value();
    else if (w == "--ckptdir")
      o.ckptdir = value();
    else if (w == "--gzip")
      o.gzip = value();
    else if (w == "--sigckpt")
      o.sigckpt = value();
    else if (w == "--plugins")
      o.plugins = value();
    else if (w == "--" && i + 1 < argc) {
      o.command = argv[++i];
      break;
    } else {
      Die("unknown argument '" + w + "' (dmtcp_sshd is started by dmtcp_ssh)");
    }
  }
  if (o.connect_port.empty() || o.token.empty() || o.command.empty())
    Die("missing --connect-port, --token or the command (dmtcp_sshd is started by dmtcp_ssh)");
  return o;
}

// The address our ssh client came from: dmtcp_ssh listens there, and a
// coordinator on its host is reached there too.
std::string SshClientAddress() {
  const char* c = getenv("SSH_CONNECTION");
  if (!c || !*c) Die("SSH_CONNECTION is not set: dmtcp_sshd must be started through ssh");
  std::string s = c;
  return s.substr(0, s.find(' '));
}

[[noreturn]] void Bootstrap(Options o) {
  std::string secret;
  std::string client = o.connect_host;
  if (o.srun) {
    // srun passes our environment on, the secret with it.
    const char* s = getenv("DMTCP_COORD_SECRET");
    if (!s || !*s)
      Die("DMTCP_COORD_SECRET is not set (dmtcp_sshd --srun is started by dmtcp_srun)");
    secret = s;
  } else {
    if (!std::getline(std::cin, secret) || secret.empty())
      Die("no coordinator secret on stdin (dmtcp_sshd is started by dmtcp_ssh)");
    client = SshClientAddress();
  }
  if (o.coord_host.empty()) o.coord_host = client;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) Die("pipe failed");
  // An srun task stays what srun waits for; an ssh session ends at once.
  pid_t pid = o.srun ? 0 : fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    if (!o.srun) {
      setsid();
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(report[1], 2);  // until --serve has connected
    }
    setenv("DMTCP_COORD_SECRET", secret.c_str(), 1);
    std::vector<std::string> args = {client::SelfExeDir() + "/dmtcp_launch",
                                     "--join",
                                     "--coord-host",
                                     o.coord_host,
                                     "--coord-port",
                                     o.coord_port};
    if (!o.ckptdir.empty()) args.insert(args.end(), {"--ckptdir", o.ckptdir});
    if (o.gzip == "0") args.push_back("--no-gzip");
    if (o.no_aslr) args.push_back("--no-aslr");
    if (!o.gzip.empty() && o.gzip != "0") args.push_back("--gzip");
    if (!o.sigckpt.empty()) setenv("DMTCP_SIGCKPT", o.sigckpt.c_str(), 1);
    if (!o.plugins.empty()) args.insert(args.end(), {"--with-plugin", o.plugins});
    args.insert(args.end(),
                {client::SelfExeDir() + "/dmtcp_sshd", "--serve", "--connect-host", client,
                 "--connect-port", o.connect_port, "--token", o.token, "--", o.command});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    Die("cannot run " + args[0] + ": " + strerror(errno));
  }
  close(report[1]);
  // Whatever the other side says before it is connected is an error.
  bool failed = false;
  char buf[4096];
  for (;;) {
    ssize_t r = read(report[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    failed = true;
    ssh::WriteAll(2, buf, static_cast<size_t>(r));
  }
  exit(failed ? 1 : 0);
}

int ConnectBack(const Options& o) {
  int s = ssh::ConnectTo(o.connect_host, o.connect_port);
  if (s < 0) Die("cannot connect back to dmtcp_ssh at " + o.connect_host + ":" + o.connect_port);
  // Our token, then which task we are (srun's SLURM_PROCID; 0 for ssh).
  const char* procid = getenv("SLURM_PROCID");
  int32_t task = procid ? atoi(procid) : 0;
  if (!ssh::WriteAll(s, o.token.data(), o.token.size()) || !ssh::WriteAll(s, &task, sizeof task))
    Die("cannot talk to dmtcp_ssh");
  return s;
}

// An srun task of a PMIx step (pmix_hub.h). The node's first task starts
// the node's PMIx server (a child, so a process of the computation); every
// task then waits for the environment the server made for its rank.
struct PmixTask {
  std::string dir;
  int rank = -1;
  pid_t server = -1;
  int server_in = -1;  // closed when our command has ended
};

PmixTask PreparePmix() {
  PmixTask t;
  const std::string token = ssh::Env(pmix::kTokenEnv);
  if (token.empty()) return t;
  std::string node = ssh::Env("SLURMD_NODENAME");
  if (node.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    node = host;
  }
  t.rank = atoi(ssh::Env("SLURM_PROCID").c_str());
  t.dir = pmix::StepDir(token, node);
  if (ssh::Env("SLURM_LOCALID") == "0") {
    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) Die("pipe failed");
    t.server = fork();
    if (t.server < 0) Die("fork failed");
    if (t.server == 0) {
      dup2(in[0], 0);
      const std::string exe = client::SelfExeDir() + "/dmtcp_pmix_server";
      execl(exe.c_str(), exe.c_str(), static_cast<char*>(nullptr));
      Die("cannot run " + exe + ": " + strerror(errno));
    }
    close(in[0]);
    t.server_in = in[1];
  }
  const std::string path = t.dir + "/env." + std::to_string(t.rank);
  std::string env;
  for (int waited = 0; env.empty(); waited += 50) {
    FILE* f = fopen(path.c_str(), "re");
    if (f) {
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, f)) > 0) env.append(buf, n);
      fclose(f);
      break;
    }
    int status;
    if (t.server > 0 && waitpid(t.server, &status, WNOHANG) == t.server)
      Die("the node's PMIx server (dmtcp_pmix_server) ended before it served rank " +
          std::to_string(t.rank));
    if (waited > 300000)
      Die("no PMIx environment for rank " + std::to_string(t.rank) + " in " + t.dir +
          " after 300 s");
    usleep(50000);
  }
  for (size_t at = 0; at < env.size();) {
    size_t end = env.find('\0', at);
    if (end == std::string::npos) end = env.size();
    std::string entry = env.substr(at, end - at);
    size_t eq = entry.find('=');
    if (eq != std::string::npos && eq > 0)
      setenv(entry.substr(0, eq).c_str(), entry.substr(eq + 1).c_str(), 1);
    at = end + 1;
  }
  unsetenv(pmix::kHubEnv);
  unsetenv(pmix::kTokenEnv);
  return t;
}

[[noreturn]] void Serve(const Options& o) {
  signal(SIGPIPE, SIG_IGN);
  const PmixTask pmix_task = PreparePmix();
  int conn = ConnectBack(o);
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  dup2(null, 2);  // connected: the bootstrap half may end, and ssh with it
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    _exit(255);
  pid_t child = fork();
  if (child < 0) _exit(255);
  if (child == 0) {
    if (pmix_task.rank >= 0) setpgid(0, 0);  // what an MPI_Abort kills
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execl("/bin/sh", "sh", "-c", o.command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pmix_task.rank >= 0) {
    const std::string pgid = std::to_string(child) + "\n";
    FILE* f = fopen((pmix_task.dir + "/pgid." + std::to_string(pmix_task.rank)).c_str(), "we");
    if (f) {
      fputs(pgid.c_str(), f);
      fclose(f);
    }
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  int to_child = in[1];
  int from[2] = {out[0], err[0]};
  ssh::FrameReader reader;
  bool conn_open = true;
  while (from[0] >= 0 || from[1] >= 0) {
    pollfd p[3] = {{conn_open ? conn : -1, POLLIN, 0}, {from[0], POLLIN, 0}, {from[1], POLLIN, 0}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(255);
    }
    for (int k = 0; k < 2; ++k) {
      if (!p[k + 1].revents) continue;
      char buf[65536];
      ssize_t r = read(from[k], buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r > 0) {
        ssh::SendFrame(conn, k == 0 ? ssh::Frame::kStdout : ssh::Frame::kStderr, buf,
                       static_cast<uint32_t>(r));
      } else {
        close(from[k]);
        from[k] = -1;
      }
    }
    if (p[0].revents) {
      if (!reader.Fill(conn)) {
        conn_open = false;  // dmtcp_ssh is gone: the command runs on, as under sshd
        if (to_child >= 0) close(to_child);
        to_child = -1;
        continue;
      }
      ssh::Frame type;
      std::string data;
      while (reader.Next(&type, &data)) {
        if (type == ssh::Frame::kStdin && to_child >= 0 &&
            !ssh::WriteAll(to_child, data.data(), data.size())) {
          close(to_child);
          to_child = -1;
        }
        if (type == ssh::Frame::kStdinEnd && to_child >= 0) {
          close(to_child);
          to_child = -1;
        }
      }
    }
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  int32_t code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (pmix_task.server > 0) {
    close(pmix_task.server_in);
    while (waitpid(pmix_task.server, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ssh::SendFrame(conn, ssh::Frame::kExit, &code, sizeof code);
  shutdown(conn, SHUT_WR);
  // Until dmtcp_ssh has read everything and closed its end.
  char buf[256];
  for (;;) {
    ssize_t r = read(conn, buf, sizeof buf);
    if (r > 0 || (r < 0 && errno == EINTR)) continue;
    break;
  }
  exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  if (o.serve) Serve(o);
  Bootstrap(o);
}
