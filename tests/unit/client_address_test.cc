// Which coordinator and secret the commands pick, from options and the
// environment, and the exit code of failures.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "coordinator_client.h"

namespace dmtcp::client {
namespace {

// Clears the variables these tests touch and restores them afterwards.
class EnvTest : public ::testing::Test {
 protected:
  static constexpr const char* kVars[] = {"DMTCP_COORD_HOST",   "DMTCP_HOST",
                                          "DMTCP_COORD_PORT",   "DMTCP_PORT",
                                          "DMTCP_COORD_SECRET", "DMTCP_COORD_SECRET_FILE",
                                          "DMTCP_TMPDIR",       "DMTCP_FAIL_RC"};

  void SetUp() override {
    for (const char* v : kVars) {
      if (const char* old = getenv(v)) saved_[v] = old;
      unsetenv(v);
    }
    char tmpl[] = "/tmp/dmtcp-unit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const char* v : kVars) unsetenv(v);
    for (auto& [k, v] : saved_) setenv(k.c_str(), v.c_str(), 1);
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

  std::string dir_;
  std::map<std::string, std::string> saved_;
};

TEST_F(EnvTest, Defaults) {
  CoordAddress a = ResolveAddress();
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 7779);
}

TEST_F(EnvTest, NewerNamesWinOverOlderOnes) {
  setenv("DMTCP_HOST", "old-host", 1);
  setenv("DMTCP_PORT", "1111", 1);
  CoordAddress a = ResolveAddress();
  EXPECT_EQ(a.host, "old-host");
  EXPECT_EQ(a.port, 1111);
  setenv("DMTCP_COORD_HOST", "new-host", 1);
  setenv("DMTCP_COORD_PORT", "2222", 1);
  a = ResolveAddress();
  EXPECT_EQ(a.host, "new-host");
  EXPECT_EQ(a.port, 2222);
}

TEST_F(EnvTest, OptionsWinOverTheEnvironment) {
  setenv("DMTCP_COORD_HOST", "env-host", 1);
  setenv("DMTCP_COORD_PORT", "2222", 1);
  CoordAddress a = ResolveAddress(std::string("opt-host"), 3333);
  EXPECT_EQ(a.host, "opt-host");
  EXPECT_EQ(a.port, 3333);
  a = ResolveAddress(std::nullopt, 0);  // port 0 is a valid explicit choice
  EXPECT_EQ(a.host, "env-host");
  EXPECT_EQ(a.port, 0);
}

TEST_F(EnvTest, EmptyVariablesAreIgnored) {
  setenv("DMTCP_COORD_HOST", "", 1);
  setenv("DMTCP_HOST", "h", 1);
  setenv("DMTCP_COORD_PORT", "", 1);
  CoordAddress a = ResolveAddress();
  EXPECT_EQ(a.host, "h");
  EXPECT_EQ(a.port, 7779);
}

TEST_F(EnvTest, BadPortsAreErrors) {
  setenv("DMTCP_COORD_PORT", "77x", 1);
  EXPECT_THROW(ResolveAddress(), ClientError);
  setenv("DMTCP_COORD_PORT", "70000", 1);
  EXPECT_THROW(ResolveAddress(), ClientError);
  EXPECT_THROW(ResolveAddress(std::nullopt, -1), ClientError);
  EXPECT_EQ(ParsePort("0"), 0);
  EXPECT_EQ(ParsePort("65535"), 65535);
  EXPECT_EQ(ParsePort("65536"), std::nullopt);
  EXPECT_EQ(ParsePort("-1"), std::nullopt);
  EXPECT_EQ(ParsePort(""), std::nullopt);
}

TEST_F(EnvTest, SecretFromTheDefaultPath) {
  setenv("DMTCP_TMPDIR", dir_.c_str(), 1);
  std::string path = DefaultSecretPath(4242);
  EXPECT_EQ(path, dir_ + "/dmtcp-" + std::to_string(getuid()) + "/coord-4242.secret");
  EXPECT_EQ(FindSecret(4242), std::nullopt);
  ASSERT_EQ(mkdir((dir_ + "/dmtcp-" + std::to_string(getuid())).c_str(), 0700), 0);
  Write(path, "  s3cret\n");
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(FindSecret(4242), "s3cret");
  EXPECT_EQ(FindSecret(4243), std::nullopt);  // per port
}

TEST_F(EnvTest, DefaultSecretMustBePrivate) {
  setenv("DMTCP_TMPDIR", dir_.c_str(), 1);
  std::string sub = dir_ + "/dmtcp-" + std::to_string(getuid());
  ASSERT_EQ(mkdir(sub.c_str(), 0700), 0);
  std::string path = DefaultSecretPath(4242);
  Write(path, "s3cret");
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);  // readable by others: not trusted
  EXPECT_EQ(FindSecret(4242), std::nullopt);
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  ASSERT_EQ(chmod(sub.c_str(), 0777), 0);  // a directory others can write to
  EXPECT_EQ(FindSecret(4242), std::nullopt);
  ASSERT_EQ(chmod(sub.c_str(), 0700), 0);
  EXPECT_EQ(FindSecret(4242), "s3cret");
}

TEST_F(EnvTest, SecretPrecedence) {
  setenv("DMTCP_TMPDIR", dir_.c_str(), 1);
  ASSERT_EQ(mkdir((dir_ + "/dmtcp-" + std::to_string(getuid())).c_str(), 0700), 0);
  Write(DefaultSecretPath(1), "from-default");
  ASSERT_EQ(chmod(DefaultSecretPath(1).c_str(), 0600), 0);
  Write(dir_ + "/file", "from-file\n");
  EXPECT_EQ(FindSecret(1), "from-default");
  setenv("DMTCP_COORD_SECRET_FILE", (dir_ + "/file").c_str(), 1);
  EXPECT_EQ(FindSecret(1), "from-file");
  setenv("DMTCP_COORD_SECRET", "from-env", 1);
  EXPECT_EQ(FindSecret(1), "from-env");
  unsetenv("DMTCP_COORD_SECRET");
  setenv("DMTCP_COORD_SECRET_FILE", (dir_ + "/missing").c_str(), 1);
  EXPECT_EQ(FindSecret(1), std::nullopt);  // a named file that is missing is not skipped
}

TEST_F(EnvTest, FailRc) {
  EXPECT_EQ(FailRc(), 99);
  setenv("DMTCP_FAIL_RC", "42", 1);
  EXPECT_EQ(FailRc(), 42);
  for (const char* bad : {"0", "256", "-3", "4x", ""}) {
    setenv("DMTCP_FAIL_RC", bad, 1);
    EXPECT_EQ(FailRc(), 99) << bad;
  }
}

TEST_F(EnvTest, LocalHosts) {
  EXPECT_TRUE(IsLocalHost("localhost"));
  EXPECT_TRUE(IsLocalHost("127.0.0.1"));
  char name[256] = {};
  ASSERT_EQ(gethostname(name, sizeof name - 1), 0);
  EXPECT_TRUE(IsLocalHost(name));
  EXPECT_FALSE(IsLocalHost("192.0.2.1"));  // TEST-NET-1, never ours
  EXPECT_FALSE(IsLocalHost("no-such-host.invalid"));
}

TEST_F(EnvTest, UnreachableCoordinator) {
  // Port 1 on loopback: nothing listens (and we are not allowed to).
  try {
    Connection c(CoordAddress{"127.0.0.1", 1}, "x", ConnectOptions{Millis(2000), "test"});
    FAIL() << "connected to port 1";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.kind(), ClientError::Kind::kUnreachable);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos);
  }
  try {
    ConnectTcp(CoordAddress{"no-such-host.invalid", 7779}, Millis(2000));
    FAIL() << "resolved an .invalid name";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.kind(), ClientError::Kind::kUnreachable);
  }
}

TEST_F(EnvTest, JoinWithoutACoordinatorFails) {
  setenv("DMTCP_TMPDIR", dir_.c_str(), 1);
  EnsureOptions o;
  o.mode = CoordMode::kJoin;
  o.addr = CoordAddress{"127.0.0.1", 1};
  o.timeout = Millis(2000);
  EXPECT_THROW(EnsureCoordinator(o), ClientError);
  o.addr.port = 0;
  EXPECT_THROW(EnsureCoordinator(o), ClientError);
  o.mode = CoordMode::kNone;
  CoordinatorInfo info = EnsureCoordinator(o);
  EXPECT_FALSE(info.started);
  EXPECT_TRUE(info.secret.empty());
}

TEST_F(EnvTest, Absolute) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(Absolute("/x/y"), "/x/y");
  EXPECT_EQ(Absolute("."), cwd);
  EXPECT_EQ(Absolute("./a"), std::string(cwd) + "/a");
  EXPECT_EQ(Absolute("a/b"), std::string(cwd) + "/a/b");
}

}  // namespace
}  // namespace dmtcp::client
