// Joining or starting a coordinator (what dmtcp_launch and dmtcp_restart do
// first), with the real dmtcp_coordinator.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "coordinator_client.h"

#ifndef DMTCP_TEST_BIN_DIR
#error "DMTCP_TEST_BIN_DIR must name the build's bin directory"
#endif

namespace dmtcp::client {
namespace {

class EnsureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dmtcp-ensure-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    setenv("DMTCP_TMPDIR", dir_.c_str(), 1);
    for (const char* v : {"DMTCP_COORD_SECRET", "DMTCP_COORD_SECRET_FILE",
                          "DMTCP_CHECKPOINT_INTERVAL", "DMTCP_CHECKPOINT_DIR"}) {
      unsetenv(v);
    }
  }
  void TearDown() override {
    for (const CoordinatorInfo& c : started_) {
      try {
        Connection(c.addr, c.secret, ConnectOptions{Millis(2000), "test"})
            .Send('q', 0, Millis(2000));
      } catch (const ClientError&) {
      }
    }
    unsetenv("DMTCP_TMPDIR");
    unsetenv("DMTCP_COORD_SECRET");
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  EnsureOptions Opts(CoordMode mode, int port) {
    EnsureOptions o;
    o.mode = mode;
    o.addr = CoordAddress{"localhost", port};
    o.coordinator_path = std::string(DMTCP_TEST_BIN_DIR) + "/dmtcp_coordinator";
    o.program = "test";
    o.timeout = Millis(10000);
    return o;
  }

  CoordinatorInfo Ensure(const EnsureOptions& o) {
    CoordinatorInfo info = EnsureCoordinator(o);
    if (info.started) started_.push_back(info);
    return info;
  }

  proto::CommandReply Status(const CoordinatorInfo& c) {
    return Connection(c.addr, c.secret, ConnectOptions{Millis(5000), "test"}).Send('s');
  }

  std::string dir_;
  std::vector<CoordinatorInfo> started_;
};

TEST_F(EnsureTest, NewOnAFreePortThenJoinIt) {
  EnsureOptions o = Opts(CoordMode::kNew, 0);
  o.interval = 9;
  o.port_file = dir_ + "/launch.port";
  CoordinatorInfo a = Ensure(o);
  ASSERT_TRUE(a.started);
  EXPECT_GT(a.addr.port, 0);
  EXPECT_EQ(a.addr.host, "localhost");
  EXPECT_EQ(a.secret.size(), 64u);
  std::ifstream pf(o.port_file);
  int port = 0;
  pf >> port;
  EXPECT_EQ(port, a.addr.port);
  EXPECT_EQ(Status(a).interval, 9u);

  // Default mode joins it, and -i on a joined coordinator becomes an 'i' command.
  EnsureOptions j = Opts(CoordMode::kDefault, a.addr.port);
  j.interval = 3;
  CoordinatorInfo b = Ensure(j);
  EXPECT_FALSE(b.started);
  EXPECT_EQ(b.secret, a.secret);
  EXPECT_EQ(Status(a).interval, 3u);
  EXPECT_FALSE(Ensure(Opts(CoordMode::kJoin, a.addr.port)).started);
}

TEST_F(EnsureTest, DefaultStartsOneWhereNoneListens) {
  // Find a free port by starting and quitting a coordinator on port 0.
  CoordinatorInfo probe = Ensure(Opts(CoordMode::kNew, 0));
  int port = probe.addr.port;
  Connection(probe.addr, probe.secret, ConnectOptions{Millis(2000), "t"}).Send('q');
  started_.clear();
  for (int i = 0; i < 100; ++i) {
    try {
      ConnectTcp(CoordAddress{"127.0.0.1", port}, Millis(200));
      usleep(20000);  // still exiting
    } catch (const ClientError&) {
      break;
    }
  }
  CoordinatorInfo c = Ensure(Opts(CoordMode::kDefault, port));
  EXPECT_TRUE(c.started);
  EXPECT_EQ(c.addr.port, port);
  EXPECT_EQ(Status(c).num_peers, 0u);
}

TEST_F(EnsureTest, SomeoneElsesCoordinatorIsAClearError) {
  CoordinatorInfo a = Ensure(Opts(CoordMode::kNew, 0));
  // Another user: no secret file of ours for that port.
  std::string other = dir_ + "/other";
  ASSERT_EQ(mkdir(other.c_str(), 0700), 0);
  setenv("DMTCP_TMPDIR", other.c_str(), 1);
  for (CoordMode mode : {CoordMode::kDefault, CoordMode::kJoin}) {
    try {
      Ensure(Opts(mode, a.addr.port));
      FAIL() << "joined a coordinator without its secret";
    } catch (const ClientError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(std::to_string(a.addr.port)), std::string::npos) << msg;
      EXPECT_NE(msg.find("--new-coordinator"), std::string::npos) << msg;
    }
  }
  // A secret that is not the right one.
  setenv("DMTCP_COORD_SECRET", "wrong", 1);
  try {
    Ensure(Opts(CoordMode::kDefault, a.addr.port));
    FAIL() << "joined with a wrong secret";
  } catch (const ClientError& e) {
    EXPECT_NE(std::string(e.what()).find("-p 0"), std::string::npos) << e.what();
  }
  setenv("DMTCP_TMPDIR", dir_.c_str(), 1);
}

TEST_F(EnsureTest, ABusyPortFailsToStart) {
  CoordinatorInfo a = Ensure(Opts(CoordMode::kNew, 0));
  EXPECT_THROW(Ensure(Opts(CoordMode::kNew, a.addr.port)), ClientError);
}

TEST_F(EnsureTest, NoStartOnAnotherHost) {
  EnsureOptions o = Opts(CoordMode::kNew, 0);
  o.addr.host = "192.0.2.1";
  EXPECT_THROW(Ensure(o), ClientError);
}

}  // namespace
}  // namespace dmtcp::client
