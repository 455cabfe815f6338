// The PMIx hub of dmtcp_srun: its wire forms, and a real hub (in a child
// process) that node servers reach over TCP.
#include "pmix_hub.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>

#include "remote_launch.h"
#include "ssh_relay.h"

namespace dmtcp::pmix {
namespace {

TEST(PmixWire, RanksRoundTripAndRejectGarbage) {
  std::vector<int> r;
  ASSERT_TRUE(ParseRanks("0,5,12", &r));
  EXPECT_EQ(r, (std::vector<int>{0, 5, 12}));
  EXPECT_EQ(JoinRanks(r), "0,5,12");
  for (const char* bad : {"", ",", "1,,2", "1,", "a", "-1", "1 2", "9999999999"})
    EXPECT_FALSE(ParseRanks(bad, &r)) << bad;
}

TEST(PmixWire, HelloMapAndFenceRoundTrip) {
  Node n{3, "node-3", {6, 7}};
  std::string token;
  int num_nodes = 0;
  Node got;
  ASSERT_TRUE(DecodeHello(EncodeHello("tok", 4, n), &token, &num_nodes, &got));
  EXPECT_EQ(token, "tok");
  EXPECT_EQ(num_nodes, 4);
  EXPECT_EQ(got.id, 3);
  EXPECT_EQ(got.name, "node-3");
  EXPECT_EQ(got.ranks, n.ranks);
  EXPECT_FALSE(DecodeHello("tok\n4\n3\nnode-3\n", &token, &num_nodes, &got));  // no ranks
  EXPECT_FALSE(DecodeHello("tok\nx\n3\nnode-3\n1\n", &token, &num_nodes, &got));

  std::map<int, Node> nodes{{0, {0, "a", {0, 1}}}, {1, {1, "b", {2}}}};
  std::map<int, Node> back;
  ASSERT_TRUE(DecodeMap(EncodeMap(nodes), &back));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].name, "b");
  EXPECT_EQ(back[0].ranks, (std::vector<int>{0, 1}));
  EXPECT_FALSE(DecodeMap("3\n0\na\n0\n", &back));  // fewer nodes than it says

  // Fence data is binary: newlines and NULs pass through.
  const std::string data("x\n\0y", 4);
  std::string name, out;
  std::vector<int> who;
  ASSERT_TRUE(DecodeFence(EncodeFence("*#0", {0, 1}, data), &name, &who, &out));
  EXPECT_EQ(name, "*#0");
  EXPECT_EQ(who, (std::vector<int>{0, 1}));
  EXPECT_EQ(out, data);
  ASSERT_TRUE(DecodeFenceDone(EncodeFenceDone("*#0", data), &name, &out));
  EXPECT_EQ(out, data);
  EXPECT_FALSE(DecodeFence("no newline", &name, &who, &out));
}

// A node server's end of a connection to the hub.
class FakeServer {
 public:
  explicit FakeServer(int port) : fd_(ssh::ConnectTo("127.0.0.1", std::to_string(port))) {}
  ~FakeServer() {
    if (fd_ >= 0) close(fd_);
  }
  bool Send(ssh::Frame type, const std::string& payload) {
    return ssh::SendFrame(fd_, type, payload.data(), static_cast<uint32_t>(payload.size()));
  }
  // The next frame (false on end of stream or after 10 s).
  bool Receive(ssh::Frame* type, std::string* payload) {
    while (!reader_.Next(type, payload)) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 10000) <= 0 || !reader_.Fill(fd_)) return false;
    }
    return true;
  }
  int fd() const { return fd_; }

 private:
  int fd_;
  ssh::FrameReader reader_;
};

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    int listener = ssh::ListenAnywhere(&port_);
    ASSERT_GE(listener, 0);
    int alive[2];
    ASSERT_EQ(pipe(alive), 0);
    hub_ = fork();
    ASSERT_GE(hub_, 0);
    if (hub_ == 0) {
      close(alive[1]);
      RunHub(listener, alive[0], "secret");
    }
    close(listener);
    close(alive[0]);
    alive_ = alive[1];
  }
  void TearDown() override {
    if (alive_ >= 0) close(alive_);
    if (hub_ > 0) {
      kill(hub_, SIGKILL);
      waitpid(hub_, nullptr, 0);
    }
  }
  // The hub's exit code once it ends by itself (-1 if it does not within 10 s).
  int HubExit() {
    for (int i = 0; i < 1000; ++i) {
      int status;
      if (waitpid(hub_, &status, WNOHANG) == hub_) {
        hub_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      usleep(10000);
    }
    return -1;
  }
  int port_ = 0;
  pid_t hub_ = -1;
  int alive_ = -1;
};

TEST_F(HubTest, JoinsNodesAndGathersFencesInNodeOrder) {
  FakeServer a(port_), b(port_), c(port_);
  ASSERT_TRUE(b.Send(ssh::Frame::kPmixHello, EncodeHello("secret", 3, {1, "b", {2, 3}})));
  ASSERT_TRUE(a.Send(ssh::Frame::kPmixHello, EncodeHello("secret", 3, {0, "a", {0, 1}})));
  ASSERT_TRUE(c.Send(ssh::Frame::kPmixHello, EncodeHello("secret", 3, {2, "c", {4}})));
  ssh::Frame type;
  std::string payload;
  for (FakeServer* s : {&a, &b, &c}) {
    ASSERT_TRUE(s->Receive(&type, &payload));
    ASSERT_EQ(type, ssh::Frame::kPmixMap);
    std::map<int, Node> nodes;
    ASSERT_TRUE(DecodeMap(payload, &nodes));
    ASSERT_EQ(nodes.size(), 3u);
    EXPECT_EQ(nodes[1].ranks, (std::vector<int>{2, 3}));
    EXPECT_EQ(nodes[2].name, "c");
  }
  // A fence of all three, contributions arriving out of order, then one of nodes 0 and 2.
  ASSERT_TRUE(c.Send(ssh::Frame::kPmixFence, EncodeFence("*#0", {0, 1, 2}, "C")));
  ASSERT_TRUE(a.Send(ssh::Frame::kPmixFence, EncodeFence("*#0", {0, 1, 2}, "A")));
  ASSERT_TRUE(b.Send(ssh::Frame::kPmixFence, EncodeFence("*#0", {0, 1, 2}, "B")));
  ASSERT_TRUE(a.Send(ssh::Frame::kPmixFence, EncodeFence("0,4,#0", {0, 2}, "a2")));
  ASSERT_TRUE(c.Send(ssh::Frame::kPmixFence, EncodeFence("0,4,#0", {0, 2}, "c2")));
  // The two fences are independent: a and c may see the second end first (its contributions
  // can reach the hub before b's to the first).
  std::string name, data;
  for (FakeServer* s : {&a, &b, &c}) {
    std::map<std::string, std::string> done;
    for (size_t i = 0; i < (s == &b ? 1u : 2u); ++i) {
      ASSERT_TRUE(s->Receive(&type, &payload));
      ASSERT_EQ(type, ssh::Frame::kPmixFenceDone);
      ASSERT_TRUE(DecodeFenceDone(payload, &name, &data));
      done[name] = data;
    }
    EXPECT_EQ(done["*#0"], "ABC");
    if (s != &b) {
      EXPECT_EQ(done["0,4,#0"], "a2c2");
    }
  }
  // Node 1 took no part in the second fence: nothing more for it.
  pollfd p{b.fd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 200), 0);
  // An abort reaches every server.
  ASSERT_TRUE(b.Send(ssh::Frame::kPmixAbort, "rank 2 aborted the job (status 3)"));
  for (FakeServer* s : {&a, &b, &c}) {
    ASSERT_TRUE(s->Receive(&type, &payload));
    EXPECT_EQ(type, ssh::Frame::kPmixAbort);
  }
}

TEST_F(HubTest, ClosesStrangersAndEndsWhenEveryServerHasGone) {
  {
    FakeServer stranger(port_);
    ASSERT_TRUE(stranger.Send(ssh::Frame::kPmixHello, EncodeHello("guess", 1, {0, "x", {0}})));
    ssh::Frame type;
    std::string payload;
    EXPECT_FALSE(stranger.Receive(&type, &payload));  // closed, no map
    FakeServer early(port_);
    ASSERT_TRUE(early.Send(ssh::Frame::kPmixFence, EncodeFence("*#0", {0}, "x")));
    EXPECT_FALSE(early.Receive(&type, &payload));  // nothing before a hello
    FakeServer only(port_);
    ASSERT_TRUE(only.Send(ssh::Frame::kPmixHello, EncodeHello("secret", 1, {0, "x", {0}})));
    ASSERT_TRUE(only.Receive(&type, &payload));
    EXPECT_EQ(type, ssh::Frame::kPmixMap);
  }
  // Every node came and went: the hub is done, though dmtcp_srun still runs.
  EXPECT_EQ(HubExit(), 0);
}

TEST_F(HubTest, EndsWhenDmtcpSrunEndsBeforeAnyServerCame) {
  close(alive_);
  alive_ = -1;
  EXPECT_EQ(HubExit(), 0);
}

}  // namespace
}  // namespace dmtcp::pmix
