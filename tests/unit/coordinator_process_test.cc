// The real dmtcp_coordinator over real sockets: authentication, bad input
// on its port, a checkpoint driven by a scripted worker, and clean exit.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "coordinator_client.h"
#include "io.h"

#ifndef DMTCP_TEST_BIN_DIR
#error "DMTCP_TEST_BIN_DIR must name the build's bin directory"
#endif

namespace dmtcp {
namespace {

using client::ClientError;
using client::Connection;
using client::CoordAddress;
using client::Millis;
using proto::MsgType;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Raw TCP connection to 127.0.0.1:port.
int RawConnect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// True if the peer closes fd within `ms` (reads and discards anything sent).
bool ClosedWithin(int fd, int ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) return true;
    }
  }
  return false;
}

class CoordinatorProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dmtcp-coord-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ckpt_ = dir_ + "/ckpt";
    ASSERT_EQ(mkdir(ckpt_.c_str(), 0755), 0);
    setenv("DMTCP_TMPDIR", dir_.c_str(), 1);
    unsetenv("DMTCP_COORD_SECRET");
    unsetenv("DMTCP_COORD_SECRET_FILE");
    Start();
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    unsetenv("DMTCP_TMPDIR");
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  void Start() {
    std::string pf = dir_ + "/port";
    std::string bin = std::string(DMTCP_TEST_BIN_DIR) + "/dmtcp_coordinator";
    std::string log = dir_ + "/coord.log";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      execl(bin.c_str(), bin.c_str(), "--port", "0", "--port-file", pf.c_str(), "--ckptdir",
            ckpt_.c_str(), "--coord-logfile", log.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 1000 && port_ == 0; ++i) {
      std::string s = ReadFile(pf);
      if (!s.empty()) port_ = atoi(s.c_str());
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GT(port_, 0) << "no port file";
    secret_path_ =
        dir_ + "/dmtcp-" + std::to_string(getuid()) + "/coord-" + std::to_string(port_) + ".secret";
    auto secret = client::ReadSecretFile(secret_path_);
    ASSERT_TRUE(secret);
    secret_ = *secret;
  }

  Connection Command() {
    return Connection(CoordAddress{"127.0.0.1", port_}, secret_,
                      client::ConnectOptions{Millis(5000), "test"});
  }

  proto::CommandReply Status() { return Command().Send('s', 0, Millis(5000)); }

  // A worker speaking the protocol by hand.
  int Worker(int pid) {
    int fd = RawConnect(port_);
    EXPECT_GE(fd, 0);
    proto::Hello h{};
    h.role = static_cast<uint32_t>(proto::Role::kWorker);
    proto::CopyField(h.hostname, sizeof h.hostname, "testhost");
    proto::CopyField(h.program, sizeof h.program, "fakeprog");
    proto::CopyField(h.unique_id, sizeof h.unique_id, "u1");
    h.pid = pid;
    proto::HelloReply r;
    EXPECT_EQ(io::ClientHandshake(fd, secret_.c_str(), &h, &r), io::Handshake::kOk);
    EXPECT_EQ(r.status, 0);
    return fd;
  }

  template <typename T>
  T Expect(int fd, MsgType want) {
    T t;
    MsgType type;
    EXPECT_TRUE(io::RecvFrame(fd, &type, &t, sizeof t));
    EXPECT_EQ(type, want);
    return t;
  }

  void SendBarrier(int fd, const char* name) {
    proto::Barrier b{};
    proto::CopyField(b.name, sizeof b.name, name);
    ASSERT_TRUE(io::SendFrame(fd, MsgType::kBarrier, &b, sizeof b));
  }

  std::string dir_, ckpt_, secret_, secret_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(CoordinatorProcess, SecretFileIsPrivate) {
  struct stat st;
  ASSERT_EQ(stat(secret_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir_ + "/dmtcp-" + std::to_string(getuid())).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(secret_.size(), 64u);
  EXPECT_EQ(secret_.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(CoordinatorProcess, RightAndWrongSecret) {
  proto::CommandReply r = Status();
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.num_peers, 0u);
  try {
    Connection c(CoordAddress{"127.0.0.1", port_}, std::string(64, 'a'),
                 client::ConnectOptions{Millis(5000), "test"});
    FAIL() << "accepted a wrong secret";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.kind(), ClientError::Kind::kRejected);
    EXPECT_EQ(e.hello_status(), static_cast<int>(proto::HelloStatus::kBadSecret));
  }
  // IPv6 loopback reaches the same coordinator.
  Connection c6(CoordAddress{"::1", port_}, secret_, client::ConnectOptions{Millis(5000), "t"});
  EXPECT_EQ(c6.Send('s').status, 0);
}

TEST_F(CoordinatorProcess, BadInputCostsOnlyThatConnection) {
  int slow = RawConnect(port_);  // sends half a header and then nothing
  ASSERT_GE(slow, 0);
  proto::FrameHeader h{proto::kMagic, proto::kVersion, 1, 10, 0};
  ASSERT_TRUE(io::WriteAll(slow, &h, 7));

  int garbage = RawConnect(port_);
  const char http[] = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_TRUE(io::WriteAll(garbage, http, sizeof http - 1));
  EXPECT_TRUE(ClosedWithin(garbage, 3000));
  close(garbage);

  int huge = RawConnect(port_);  // a valid header announcing too much
  proto::FrameHeader big{proto::kMagic, proto::kVersion, static_cast<uint16_t>(MsgType::kHello),
                         proto::kMaxPayload, 0};
  ASSERT_TRUE(io::WriteAll(huge, &big, sizeof big));
  EXPECT_TRUE(ClosedWithin(huge, 3000));
  close(huge);

  int early = RawConnect(port_);  // a command before Hello
  proto::Command cmd{};
  cmd.command = 'q';
  ASSERT_TRUE(io::SendFrame(early, MsgType::kCommand, &cmd, sizeof cmd));
  EXPECT_TRUE(ClosedWithin(early, 3000));
  close(early);

  int old = RawConnect(port_);  // another protocol version gets told so
  proto::FrameHeader v{proto::kMagic, static_cast<uint16_t>(proto::kVersion + 1),
                       static_cast<uint16_t>(MsgType::kHello), 0, 0};
  ASSERT_TRUE(io::WriteAll(old, &v, sizeof v));
  proto::HelloReply reply;
  MsgType type;
  ASSERT_TRUE(io::RecvFrame(old, &type, &reply, sizeof reply));
  EXPECT_EQ(type, MsgType::kChallenge);  // the coordinator speaks first
  ASSERT_TRUE(io::RecvFrame(old, &type, &reply, sizeof reply));
  EXPECT_EQ(type, MsgType::kHelloReply);
  EXPECT_EQ(reply.status, static_cast<int32_t>(proto::HelloStatus::kBadVersion));
  EXPECT_NE(std::string(reply.message).find("version"), std::string::npos);
  EXPECT_TRUE(ClosedWithin(old, 3000));
  close(old);

  int eof = RawConnect(port_);  // half a Hello, then gone
  ASSERT_TRUE(io::WriteAll(eof, &h, sizeof h));
  close(eof);

  EXPECT_EQ(Status().status, 0);  // still serving, with the slow client still connected
  close(slow);
  EXPECT_EQ(Status().status, 0);
}

TEST_F(CoordinatorProcess, ManyConnections) {
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  const int n = static_cast<int>(std::min<rlim_t>(rl.rlim_cur - 64, 600));
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    int fd = RawConnect(port_);
    ASSERT_GE(fd, 0) << i;
    fds.push_back(fd);
  }
  std::vector<Connection> conns;
  for (int i = 0; i < 50; ++i) conns.push_back(Command());
  for (Connection& c : conns) EXPECT_EQ(c.Send('s', 0, Millis(5000)).status, 0);
  for (int fd : fds) close(fd);
  EXPECT_EQ(Status().status, 0);
}

TEST_F(CoordinatorProcess, CheckpointWithAScriptedWorker) {
  int w = Worker(4242);
  proto::CommandReply s = Status();
  EXPECT_EQ(s.num_peers, 1u);
  EXPECT_EQ(s.running, 1u);

  auto blocking =
      std::async(std::launch::async, [this] { return Command().Send('b', 0, Millis(10000)); });
  auto dc = Expect<proto::DoCheckpoint>(w, MsgType::kDoCheckpoint);
  EXPECT_EQ(dc.generation, 1u);
  EXPECT_EQ(dc.num_peers, 1u);
  EXPECT_EQ(std::string(dc.ckpt_dir), ckpt_);  // --ckptdir was explicit
  EXPECT_EQ(Status().running, 0u);             // checkpoint in progress

  SendBarrier(w, proto::kBarrierSuspended);
  EXPECT_STREQ(Expect<proto::Barrier>(w, MsgType::kBarrierRelease).name, proto::kBarrierSuspended);
  proto::CheckpointDone done{};
  done.ok = 1;
  done.bytes = 1234;
  proto::CopyField(done.hostname, sizeof done.hostname, "testhost");
  std::string image = ckpt_ + "/ckpt_fakeprog_u1.dmtcp";
  proto::CopyField(done.image_path, sizeof done.image_path, image.c_str());
  ASSERT_TRUE(io::SendFrame(w, MsgType::kCheckpointDone, &done, sizeof done));
  SendBarrier(w, proto::kBarrierCheckpointed);
  EXPECT_STREQ(Expect<proto::Barrier>(w, MsgType::kBarrierRelease).name,
               proto::kBarrierCheckpointed);
  SendBarrier(w, proto::kBarrierCommitted);
  EXPECT_STREQ(Expect<proto::Barrier>(w, MsgType::kBarrierRelease).name, proto::kBarrierCommitted);

  proto::CommandReply r = blocking.get();
  EXPECT_EQ(r.status, 0) << r.text;
  EXPECT_EQ(std::string(r.text), image + "\n");
  EXPECT_EQ(r.generation, 1u);
  std::string script = ReadFile(ckpt_ + "/dmtcp_restart_script.sh");
  EXPECT_NE(script.find(image), std::string::npos);
  EXPECT_NE(script.find("worker_host_0='testhost'"), std::string::npos);

  // Key-value store over the wire.
  proto::KeyValue kv{};
  proto::CopyField(kv.key, sizeof kv.key, "addr");
  kv.key_len = 4;
  proto::CopyField(kv.value, sizeof kv.value, "10.0.0.1:5");
  kv.value_len = 10;
  ASSERT_TRUE(io::SendFrame(w, MsgType::kKvPut, &kv, sizeof kv));
  proto::KeyValue get{};
  proto::CopyField(get.key, sizeof get.key, "addr");
  get.key_len = 4;
  ASSERT_TRUE(io::SendFrame(w, MsgType::kKvGet, &get, sizeof get));
  auto got = Expect<proto::KeyValue>(w, MsgType::kKvReply);
  EXPECT_EQ(got.found, 1);
  EXPECT_EQ(std::string(got.value, got.value_len), "10.0.0.1:5");

  // dmtcp_command prints DMTCP's status lines.
  std::string cmd = std::string(DMTCP_TEST_BIN_DIR) + "/dmtcp_command -h 127.0.0.1 -p " +
                    std::to_string(port_) + " -s";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, p)) out += buf;
  EXPECT_EQ(pclose(p), 0);
  EXPECT_EQ(out, "Coordinator:\n  Host: 127.0.0.1\n  Port: " + std::to_string(port_) +
                     "\nStatus...\n  NUM_PEERS=1\n  RUNNING=yes\n  CKPT_INTERVAL=0\n");

  // 'k' reaches the worker.
  EXPECT_EQ(Command().Send('k').status, 0);
  MsgType type;
  char none[8];
  ASSERT_TRUE(io::RecvFrame(w, &type, none, sizeof none));
  EXPECT_EQ(type, MsgType::kKill);
  close(w);
}

TEST_F(CoordinatorProcess, SigtermRemovesTheSecret) {
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  int st = 0;
  ASSERT_EQ(waitpid(pid_, &st, 0), pid_);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
  EXPECT_NE(access(secret_path_.c_str(), F_OK), 0);
}

TEST_F(CoordinatorProcess, QuitCommand) {
  EXPECT_EQ(Command().Send('q').status, 0);
  int st = 0;
  ASSERT_EQ(waitpid(pid_, &st, 0), pid_);
  pid_ = -1;
  EXPECT_EQ(WEXITSTATUS(st), 0);
  EXPECT_NE(access(secret_path_.c_str(), F_OK), 0);
  EXPECT_THROW(Status(), ClientError);
}

}  // namespace
}  // namespace dmtcp
