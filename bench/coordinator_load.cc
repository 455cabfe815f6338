// bench_coordinator_load [--clients N] [--rounds R] [--coordinator PATH]
//
// Many processes on one coordinator, simulated: starts a coordinator, connects N clients that
// speak the runtime's side of the protocol (join, then answer each checkpoint with the
// runtime's barriers and an image report), and runs R checkpoints with `dmtcp_command
// --bcheckpoint`'s request. Prints, one per line, "<name> <seconds> <limit name> <limit seconds>":
// the whole checkpoint round and the mean barrier latency (from the last client's arrival to
// the last release), each beside the same with one client.
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "address.h"
#include "connection.h"
#include "io.h"
#include "protocol.h"

namespace {

using dmtcp::proto::MsgType;
namespace proto = dmtcp::proto;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_coordinator_load: %s\n", what.c_str());
  std::exit(1);
}

// The runtime's barriers of one checkpoint, in order; the image is reported before "written".
const char* const kBarriers[] = {proto::kBarrierSuspended,  proto::kBarrierPipesElected,
                                 proto::kBarrierTcpDrained, proto::kBarrierCheckpointed,
                                 proto::kBarrierCommitted,  proto::kBarrierNameService};
constexpr int kNumBarriers = 6;

struct Result {
  double round;    // seconds per checkpoint
  double barrier;  // seconds from the last arrival to the last release, mean
};

void SendBarrier(int fd, const char* name) {
  proto::Barrier b{};
  proto::CopyField(b.name, sizeof b.name, name);
  if (!dmtcp::io::SendFrame(fd, MsgType::kBarrier, &b, sizeof b)) Die("lost the coordinator");
}

Result Run(const dmtcp::client::CoordAddress& addr, const std::string& secret, int clients,
           int rounds, const std::string& dir) {
  std::vector<int> fds;
  for (int i = 0; i < clients; ++i) {
    int fd = dmtcp::client::ConnectTcp(addr, std::chrono::milliseconds(10000));
    proto::Hello h{};
    h.role = static_cast<uint32_t>(proto::Role::kWorker);
    proto::CopyField(h.hostname, sizeof h.hostname, "sim");
    proto::CopyField(h.program, sizeof h.program, "simulated");
    proto::CopyField(h.unique_id, sizeof h.unique_id, ("sim-" + std::to_string(i)).c_str());
    h.pid = 100000 + i;
    h.ppid = 1;
    proto::HelloReply reply{};
    if (dmtcp::io::ClientHandshake(fd, secret.c_str(), &h, &reply) != dmtcp::io::Handshake::kOk)
      Die("client " + std::to_string(i) + " could not join");
    fds.push_back(fd);
  }
  dmtcp::client::Connection command(addr, secret);
  double total_round = 0, total_barrier = 0;
  for (int r = 0; r < rounds; ++r) {
    double t0 = Now();
    std::thread asker([&] {
      auto reply = command.Send('b');
      if (reply.status != 0) Die(std::string("checkpoint failed: ") + reply.text);
    });
    std::vector<int> stage(fds.size(), -1);  // index of the barrier each client waits at
    std::vector<pollfd> pfds(fds.size());
    for (size_t i = 0; i < fds.size(); ++i) pfds[i] = {fds[i], POLLIN, 0};
    int released[kNumBarriers] = {};    // clients released from each barrier
    double arrived[kNumBarriers] = {};  // when the last client arrived at each
    size_t done = 0;
    std::vector<uint8_t> buf(sizeof(proto::DoCheckpoint) + 64);
    while (done < fds.size()) {
      if (poll(pfds.data(), pfds.size(), 30000) <= 0)
        Die("clients waited 30 s for the coordinator");
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!(pfds[i].revents & POLLIN)) continue;
        MsgType type;
        if (!dmtcp::io::RecvFrame(fds[i], &type, buf.data(), buf.size()))
          Die("the coordinator closed a client");
        int next = stage[i] + 1;
        if (type == MsgType::kBarrierRelease) {
          if (stage[i] < 0) Die("a release before any barrier");
          if (++released[stage[i]] == clients) total_barrier += Now() - arrived[stage[i]];
        } else if (type != MsgType::kDoCheckpoint) {
          continue;
        }
        if (next == kNumBarriers) {
          ++done;
          pfds[i].events = 0;
          continue;
        }
        if (next == 3) {  // the image is written: report it, as the runtime does
          proto::CheckpointDone d{};
          d.ok = 1;
          d.bytes = 4096;
          proto::CopyField(d.hostname, sizeof d.hostname, "sim");
          proto::CopyField(d.image_path, sizeof d.image_path,
                           (dir + "/ckpt_simulated_sim-" + std::to_string(i) + ".dmtcp").c_str());
          if (!dmtcp::io::SendFrame(fds[i], MsgType::kCheckpointDone, &d, sizeof d))
            Die("lost the coordinator");
        }
        SendBarrier(fds[i], kBarriers[next]);
        stage[i] = next;
        arrived[next] = Now();
      }
    }
    asker.join();
    total_round += Now() - t0;
  }
  for (int fd : fds) close(fd);
  return {total_round / rounds, total_barrier / (rounds * kNumBarriers)};
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 1000, rounds = 5;
  std::string coordinator =
      (std::filesystem::canonical("/proc/self/exe").parent_path().parent_path() / "bin" /
       "dmtcp_coordinator")
          .string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--clients")
      clients = std::atoi(argv[i + 1]);
    else if (a == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else if (a == "--coordinator")
      coordinator = argv[i + 1];
    else
      Die("unknown option " + a);
  }
  if (clients < 1 || rounds < 1) Die("--clients and --rounds must be positive");
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  char tmpl[] = "/tmp/dmtcp-coordload.XXXXXX";
  if (!mkdtemp(tmpl)) Die("cannot make a temporary folder");
  const std::string dir = tmpl;
  pid_t pid = fork();
  if (pid == 0) {
    std::string port_file = dir + "/port", log = dir + "/coord.log";
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);  // it prints its port
    execl(coordinator.c_str(), coordinator.c_str(), "--port", "0", "--port-file", port_file.c_str(),
          "--ckptdir", dir.c_str(), "--coord-logfile", log.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::ifstream f(dir + "/port");
    if (!(f >> port)) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (port == 0) Die("the coordinator did not start: " + coordinator);
  dmtcp::client::CoordAddress addr{"127.0.0.1", port};
  auto secret = dmtcp::client::FindSecret(port);
  if (!secret) Die("no secret for the coordinator");
  Result one = Run(addr, *secret, 1, rounds, dir);
  Result many = Run(addr, *secret, clients, rounds, dir);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  std::printf("checkpoint round with %d simulated processes\t%.6f\tthe same with 1 process\t%.6f\n",
              clients, many.round, one.round);
  std::printf("barrier latency with %d simulated processes\t%.6f\tthe same with 1 process\t%.6f\n",
              clients, many.barrier, one.barrier);
  return 0;
}
