// The generated restart script: its layout, and what it runs.
#include "restart_script.h"

#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "log.h"

namespace dmtcp::coord {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RestartScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogQuiet(true);
    char tmpl[] = "/tmp/dmtcp-script-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // A stand-in dmtcp_restart that records its arguments, one per line.
    fake_ = dir_ + "/dmtcp_restart";
    std::ofstream(fake_) << "#!/bin/bash\nprintf '%s\\n' \"$@\" > \"" << dir_ << "/args\"\n"
                         << "while [ $# -gt 0 ]; do\n"
                         << "  [ \"$1\" = --port-file ] && echo 4321 > \"$2\"\n"
                         << "  shift\ndone\n";
    // A stand-in ssh that records its arguments and what it reads.
    fake_ssh_ = dir_ + "/ssh";
    std::ofstream(fake_ssh_) << "#!/bin/bash\nprintf '%s\\n' \"$@\" >> \"" << dir_
                             << "/ssh_args\"\ncat >> \"" << dir_ << "/ssh_stdin\"\n";
    ASSERT_EQ(chmod(fake_ssh_.c_str(), 0755), 0);
    ASSERT_EQ(chmod(fake_.c_str(), 0755), 0);
    ckpt_.computation_id = 0x00ab;
    ckpt_.generation = 3;
    for (const char* name : {"a.dmtcp", "b b.dmtcp", "it's.dmtcp"}) {
      std::string p = dir_ + "/" + name;
      std::ofstream(p) << "image";
      ckpt_.images.push_back({name[0] == 'b' ? "node2" : "node1", p, 5});
    }
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  // Runs the script with a clean DMTCP environment plus `env`; returns the exit code.
  int Run(const std::string& args, const std::string& env = "") {
    std::string cmd =
        "env -u DMTCP_COORD_HOST -u DMTCP_HOST -u DMTCP_COORD_PORT -u DMTCP_PORT "
        "-u DMTCP_FAIL_RC " +
        env + " " + script_ + " " + args + " >" + dir_ + "/out 2>&1";
    int st = system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  std::string Args() { return ReadFile(dir_ + "/args"); }

  void Write() {
    ASSERT_EQ(WriteRestartScript(dir_, ckpt_, fake_, &script_), "");
    unlink((dir_ + "/args").c_str());
  }

  std::string dir_, fake_, fake_ssh_, script_;
  CompletedCheckpoint ckpt_;
};

TEST_F(RestartScriptTest, GroupsImagesByHost) {
  std::string s = RenderRestartScript(ckpt_, "/bin/dmtcp_restart");
  EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0u);
  EXPECT_NE(s.find("computation_id=00000000000000ab"), std::string::npos);
  EXPECT_NE(s.find("ckpt_generation=3"), std::string::npos);
  EXPECT_NE(s.find("num_worker_hosts=2"), std::string::npos);
  EXPECT_NE(s.find("worker_host_0='node1'"), std::string::npos);
  EXPECT_NE(s.find("worker_host_1='node2'"), std::string::npos);
  EXPECT_NE(s.find("'" + dir_ + "/it'\\''s.dmtcp'"), std::string::npos);  // quoted
  // node1's images are listed together, before node2's.
  size_t h0 = s.find("worker_ckpts_0=("), h1 = s.find("worker_ckpts_1=(");
  EXPECT_LT(h0, s.find("it'\\''s.dmtcp"));
  EXPECT_LT(s.find("it'\\''s.dmtcp"), h1);
}

TEST_F(RestartScriptTest, WrittenExecutableWithALink) {
  Write();
  EXPECT_EQ(script_, dir_ + "/dmtcp_restart_script_00000000000000ab.sh");
  struct stat st;
  ASSERT_EQ(stat(script_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  char target[PATH_MAX] = {};
  ASSERT_GT(readlink((dir_ + "/dmtcp_restart_script.sh").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "dmtcp_restart_script_00000000000000ab.sh");
  // A later checkpoint replaces both.
  ckpt_.generation = 4;
  Write();
  EXPECT_NE(ReadFile(dir_ + "/dmtcp_restart_script.sh").find("ckpt_generation=4"),
            std::string::npos);
}

TEST_F(RestartScriptTest, RunsDmtcpRestartWithAllImagesAndNoOldAddress) {
  Write();
  ASSERT_EQ(Run("--hosts localhost"), 0) << ReadFile(dir_ + "/out");
  EXPECT_EQ(Args(), dir_ + "/a.dmtcp\n" + dir_ + "/it's.dmtcp\n" + dir_ + "/b b.dmtcp\n");
}

TEST_F(RestartScriptTest, PassesTheOptionsGivenNow) {
  Write();
  ASSERT_EQ(Run("-h somehost -p 1234 -i 5 --ckptdir /new --hosts localhost"), 0)
      << ReadFile(dir_ + "/out");
  EXPECT_EQ(Args().rfind("--coord-host\nsomehost\n--coord-port\n1234\n--interval\n5\n--ckptdir\n"
                         "/new\n" +
                             dir_ + "/a.dmtcp\n",
                         0),
            0u)
      << Args();
  ASSERT_EQ(Run("--coord-port=99 --coord-host=h2 --hosts=localhost"), 0);
  EXPECT_EQ(Args().rfind("--coord-host\nh2\n--coord-port\n99\n", 0), 0u) << Args();
}

TEST_F(RestartScriptTest, TakesTheAddressFromTheEnvironment) {
  Write();
  ASSERT_EQ(Run("--hosts localhost", "DMTCP_PORT=77 DMTCP_HOST=oldname"), 0);
  EXPECT_EQ(Args().rfind("--coord-host\noldname\n--coord-port\n77\n", 0), 0u) << Args();
  ASSERT_EQ(Run("--hosts localhost", "DMTCP_PORT=77 DMTCP_COORD_PORT=88"), 0);
  EXPECT_EQ(Args().rfind("--coord-port\n88\n", 0), 0u) << Args();
}

TEST_F(RestartScriptTest, HelpAndErrors) {
  Write();
  EXPECT_EQ(Run("--help"), 0);
  EXPECT_NE(ReadFile(dir_ + "/out").find("--coord-port"), std::string::npos);
  EXPECT_EQ(Run("--bogus"), 99);
  EXPECT_EQ(Run("--bogus", "DMTCP_FAIL_RC=42"), 42);
  EXPECT_EQ(Run("-p"), 99);  // missing value
  EXPECT_EQ(Run("--hostfile /nonexistent"), 99);
  unlink((dir_ + "/a.dmtcp").c_str());
  EXPECT_EQ(Run(""), 99);
  EXPECT_NE(ReadFile(dir_ + "/out").find("a.dmtcp"), std::string::npos);
}

TEST_F(RestartScriptTest, FallsBackToPath) {
  ASSERT_EQ(WriteRestartScript(dir_, ckpt_, "/nonexistent/dmtcp_restart", &script_), "");
  EXPECT_EQ(Run("--hosts localhost", "PATH=" + dir_ + ":/usr/bin:/bin"), 0)
      << ReadFile(dir_ + "/out");
  EXPECT_NE(Args().find("a.dmtcp"), std::string::npos);
  EXPECT_EQ(Run("", "PATH=/usr/bin:/bin"), 99);
}

TEST_F(RestartScriptTest, ListsTheHostsThatWroteImages) {
  Write();
  ASSERT_EQ(Run("--list-hosts"), 0);
  EXPECT_EQ(ReadFile(dir_ + "/out"), "node1\nnode2\n");
}

TEST_F(RestartScriptTest, HostFileReplacesHostsInOrderAndWrapsAround) {
  Write();
  std::ofstream(dir_ + "/hosts") << "# the new allocation\n\nlocalhost   # one node\n";
  ASSERT_EQ(Run("--hostfile " + dir_ + "/hosts"), 0) << ReadFile(dir_ + "/out");
  // Both old hosts map to the one new host: one restart with every image.
  EXPECT_EQ(Args(), dir_ + "/a.dmtcp\n" + dir_ + "/it's.dmtcp\n" + dir_ + "/b b.dmtcp\n");
}

TEST_F(RestartScriptTest, OtherHostsRestartThroughSshJoinedToOurCoordinator) {
  Write();
  ASSERT_EQ(Run("--hosts localhost,far -p 0",
                "DMTCP_SSH='" + fake_ssh_ + " -F cfg' DMTCP_COORD_SECRET=s3cret"),
            0)
      << ReadFile(dir_ + "/out");
  // node1's images here, with a port file (the coordinator's port is not known yet)...
  std::string local = Args();
  EXPECT_NE(local.find("--port-file\n"), std::string::npos) << local;
  EXPECT_NE(local.find(dir_ + "/a.dmtcp\n"), std::string::npos) << local;
  EXPECT_EQ(local.find("b b.dmtcp"), std::string::npos) << local;
  // ...node2's on host "far", through the ssh command given, joined to that port.
  std::string ssh = ReadFile(dir_ + "/ssh_args");
  EXPECT_EQ(ssh.rfind("-F\ncfg\n-T\nfar\n", 0), 0u) << ssh;
  EXPECT_NE(ssh.find("--join --coord-host \"${SSH_CONNECTION%% *}\" --coord-port 4321"),
            std::string::npos)
      << ssh;
  EXPECT_NE(ssh.find("'" + dir_ + "/b b.dmtcp'"), std::string::npos) << ssh;
  EXPECT_EQ(ssh.find("a.dmtcp"), std::string::npos) << ssh;
  // The secret travels on ssh's stdin, never on a command line.
  EXPECT_EQ(ReadFile(dir_ + "/ssh_stdin"), "s3cret\n");
  EXPECT_EQ(ssh.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace dmtcp::coord
