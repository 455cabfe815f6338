// ident:: reads who a process is from /proc, and says when a pid still names it.
#include "process_identity.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace dmtcp::ident {
namespace {

TEST(ProcStat, CommandNamesWithSpacesAndParentheses) {
  uint64_t f[23];
  const char* line =
      "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 987654 ...";
  ASSERT_EQ(ParseProcStat(line, f, 23), 22);
  EXPECT_EQ(f[1], 4242u);
  EXPECT_EQ(f[3], static_cast<uint64_t>('S'));
  EXPECT_EQ(f[4], 1u);
  EXPECT_EQ(f[7], 0u);
  EXPECT_EQ(f[8], static_cast<uint64_t>(-1));
  EXPECT_EQ(f[22], 987654u);
  EXPECT_EQ(ParseProcStat("no command name here", f, 23), 0);
}

TEST(ProcessIdentity, ThisProcess) {
  proto::ProcessIdentity me;
  ASSERT_TRUE(Read(0, &me));
  EXPECT_EQ(me.real_pid, getpid());
  EXPECT_GT(me.start_time, 0u);
  EXPECT_NE(me.pid_ns, 0u);
  EXPECT_EQ(strlen(me.boot_id), 36u);  // a UUID
  proto::ProcessIdentity by_pid;
  ASSERT_TRUE(Read(getpid(), &by_pid));
  EXPECT_EQ(memcmp(&me, &by_pid, sizeof me), 0);
  EXPECT_TRUE(Addressable(me));
}

TEST(ProcessIdentity, NotAddressableWhenAnythingDiffers) {
  proto::ProcessIdentity me;
  ASSERT_TRUE(Read(0, &me));
  proto::ProcessIdentity later = me;
  ++later.start_time;  // a later process that got the same pid
  EXPECT_FALSE(Addressable(later));
  proto::ProcessIdentity other_ns = me;
  ++other_ns.pid_ns;
  EXPECT_FALSE(Addressable(other_ns));
  proto::ProcessIdentity other_machine = me;
  other_machine.boot_id[0] = other_machine.boot_id[0] == '0' ? '1' : '0';
  EXPECT_FALSE(Addressable(other_machine));
  EXPECT_FALSE(Addressable(proto::ProcessIdentity{}));  // an older runtime sent none
}

TEST(ProcessIdentity, GoneProcess) {
  int hold[2];
  ASSERT_EQ(pipe(hold), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    close(hold[1]);
    _exit(static_cast<int>(read(hold[0], &c, 1)));  // until the parent closes its end
  }
  close(hold[0]);
  proto::ProcessIdentity id;
  ASSERT_TRUE(Read(child, &id));
  EXPECT_EQ(id.real_pid, child);
  EXPECT_TRUE(Addressable(id));
  close(hold[1]);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(Addressable(id));
  EXPECT_FALSE(Read(child, &id));
}

}  // namespace
}  // namespace dmtcp::ident
