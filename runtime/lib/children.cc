#include "children.h"

#include <elf.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <time.h>

#include <cstddef>

#include "pids.h"
#include "proc_dir.h"
#include "program_file.h"
#include "protocol.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

int OpenProc(pid_t pid, const char* leaf) {
  char path[64] = "/proc/";
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(pid));
  StrCat(path, sizeof path, num);
  StrCat(path, sizeof path, leaf);
  return static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
}

// Whether /proc/<pid>/<leaf> holds `needle`: read in pieces, a needle cut
// between two of them is found with the piece's tail kept.
bool ProcFileHas(pid_t pid, const char* leaf, const char* needle) {
  constexpr size_t kMaxNeedle = 32;
  const size_t keep = StrLen(needle);
  if (keep > kMaxNeedle) return false;
  int fd = OpenProc(pid, leaf);
  if (fd < 0) return false;
  static char buf[65536 + kMaxNeedle + 1];
  size_t kept = 0;
  bool found = false;
  for (;;) {
    long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf + kept), 65536);
    if (n <= 0) break;
    const size_t len = kept + static_cast<size_t>(n);
    for (size_t i = 0; i + keep <= len && !found; ++i)
      found = __builtin_memcmp(buf + i, needle, keep) == 0;
    if (found) break;
    kept = len < keep ? len : keep;
    for (size_t i = 0; i < kept; ++i) buf[i] = buf[len - kept + i];
  }
  RawSyscall(SYS_close, fd);
  return found;
}

// The state letter of /proc/<pid>/stat (R, S, Z, ...); 0 if it is gone.
char ProcState(pid_t pid) {
  const int fd = OpenProc(pid, "/stat");
  if (fd < 0) return 0;
  static char stat[1024];
  const long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(stat), sizeof stat - 1);
  RawSyscall(SYS_close, fd);
  stat[n > 0 ? n : 0] = 0;
  const char* state = nullptr;
  for (const char* p = stat; *p; ++p)
    if (*p == ')') state = p + 2;
  return state ? *state : 0;
}

bool Ended(pid_t pid) {
  const char s = ProcState(pid);
  return s == 0 || s == 'Z' || s == 'X';
}

// The children reported to join this checkpoint (real pids; the first
// kMaxChildren of them), until they are seen to end.
pid_t g_reported[proto::kMaxChildren];
uint32_t g_num_reported;

// Whether the program the process runs (the new one, from the start of an
// execve) names a loader: only such a program loads a runtime.
bool UsesLoader(pid_t pid) {
  const int fd = OpenProc(pid, "/exe");
  if (fd < 0) return false;
  const bool interp = ElfUsesLoader(fd);
  RawSyscall(SYS_close, fd);
  return interp;
}

// A running child without the runtime is not in the checkpoint, and a
// restart does not bring it back: said on stderr, once per child.
void WarnUnchecked(pid_t child, const char* comm) {
  static pid_t warned[64];
  static uint32_t num_warned;
  for (uint32_t i = 0; i < num_warned && i < 64; ++i)
    if (warned[i] == child) return;
  warned[num_warned++ % 64] = child;
  char what[128] = ": child ";
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(VirtualPid(child)));
  StrCat(what, sizeof what, num);
  StrCat(what, sizeof what, " (");
  StrCat(what, sizeof what, comm);
  StrCat(what, sizeof what, ")");
  Log(g.program, what, " runs without the runtime: checkpoints leave it out,",
      " and a restart does not bring it back");
}

bool WillJoin(pid_t child) {
  char text[64];
  int fd = OpenProc(child, "/comm");
  if (fd < 0) return false;
  long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(text), sizeof text - 1);
  RawSyscall(SYS_close, fd);
  text[n > 0 ? n : 0] = 0;
  if (n > 0 && text[n - 1] == '\n') text[n - 1] = 0;
  // Our own commands load the runtime but never join (comm is cut at 15).
  for (const char* own : {"dmtcp_launch", "dmtcp_command", "dmtcp_coordinat", "dmtcp_restart"})
    if (StartsWith(text, own)) return false;
  // A child in the middle of an execve shows, for a moment, a memory with
  // its new program and no loader yet, then the loader without the
  // environment: decided only once it shows more, or it would be left out
  // (xargs's next command, forked just before the checkpoint).
  // Two seconds, however long reading a large maps file takes.
  for (const long deadline = MonotonicMs() + 2000; MonotonicMs() < deadline;) {
    if (Ended(child)) return false;
    if (ProcFileHas(child, "/maps", "/libdmtcp.so")) return true;
    bool without = !UsesLoader(child);  // a static program
    // The kernel has mapped the program and its loader, and the loader has
    // not yet loaded the runtime the environment preloads.
    if (!without && ProcFileHas(child, "/maps", "/ld-")) {
      if (ProcFileHas(child, "/environ", "/libdmtcp.so")) return true;
      without = ProcFileHas(child, "/environ", "=");
    }
    if (without) {
      if (!Ended(child)) WarnUnchecked(child, text);
      return false;
    }
    struct timespec t = {0, 1000 * 1000};
    RawSyscall(SYS_nanosleep, reinterpret_cast<long>(&t), 0);
  }
  WarnUnchecked(child, text);
  return false;
}

}  // namespace

namespace {

// Children made by clone(CLONE_FILES) without CLONE_VM, for kernels that
// cannot compare descriptor tables (kcmp filtered by seccomp, as in some
// containers, or built without it). Past the table, checkpoints are
// refused there for good: one not noted could be alive.
constexpr int kMaxSharedTable = 1024;
pid_t g_shared_table[kMaxSharedTable];  // real pids; 0: a free slot
bool g_shared_table_overflowed;

// Whether the kernel tells if child shares this process's descriptor table
// (KCMP_FILES) or address space (KCMP_VM): 1 yes, 0 no, -1 it cannot say.
int SharesWithChild(pid_t child, int what) {
  const long r =
      RawSyscall(SYS_kcmp, static_cast<pid_t>(RawSyscall(SYS_getpid)), child, what, 0, 0);
  return r < 0 ? -1 : r == 0 ? 1 : 0;
}
int SharesDescriptorTable(pid_t child) { return SharesWithChild(child, KCMP_FILES); }

// Children made by clone(CLONE_VM) that are not threads, as the wrapper
// saw them (the kernel may not compare address spaces either).
pid_t g_shared_memory[kMaxSharedTable];  // real pids; 0: a free slot
bool g_shared_memory_overflowed;

void RefuseChild(pid_t child, const char* why) {
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(VirtualPid(child)));
  CheckpointFailed("its child ", num, why);
}

// A child in this address space: one made by vfork stops sharing it when it
// execs, in a moment; another is refused. True if it still shares it.
bool RefusedForSharedMemory(pid_t child, bool noted) {
  for (const long deadline = MonotonicMs() + 2000; MonotonicMs() < deadline;) {
    const int shares = SharesWithChild(child, KCMP_VM);
    if (shares == 0 || Ended(child)) return false;
    if (shares < 0 && !noted) return false;  // the kernel cannot say: as before
    struct timespec t = {0, 1000 * 1000};
    RawSyscall(SYS_nanosleep, reinterpret_cast<long>(&t), 0);
  }
  RefuseChild(child,
              " was made by clone() sharing its memory without being a thread (CLONE_VM without "
              "CLONE_THREAD), which a checkpoint cannot save");
  return true;
}

void RefuseSharedTable(pid_t child) {
  RefuseChild(child,
              " was made by clone() sharing its descriptor table (CLONE_FILES without CLONE_VM), "
              "which a checkpoint cannot save");
}

// Notes a child in one of the tables above (a slot of one that ended is taken again).
void NoteChild(pid_t* table, bool* overflowed, pid_t child) {
  for (int i = 0; i < kMaxSharedTable; ++i)
    if (table[i] == 0 || Ended(table[i])) {
      table[i] = child;
      return;
    }
  *overflowed = true;
}

}  // namespace

void NoteSharedTableChild(pid_t child) {
  NoteChild(g_shared_table, &g_shared_table_overflowed, child);
}

void NoteSharedMemoryChild(pid_t child) {
  NoteChild(g_shared_memory, &g_shared_memory_overflowed, child);
}

void ReportChildrenToJoin() {
  const bool kernel_says = SharesDescriptorTable(static_cast<pid_t>(RawSyscall(SYS_getpid))) == 1;
  if (!kernel_says && g_shared_table_overflowed) {
    char num[16];
    FormatUint(num, sizeof num, static_cast<uint64_t>(kMaxSharedTable));
    CheckpointFailed("it had more than ", num,
                     " children made by clone() sharing its descriptor table at once, and the "
                     "kernel does not compare descriptor tables (kcmp): it cannot tell which "
                     "still share it");
  }
  for (pid_t& p : g_shared_table) {
    if (p == 0) continue;
    if (Ended(p)) {
      p = 0;
      continue;
    }
    if (!kernel_says) RefuseSharedTable(p);
  }
  static proto::Children msg;
  auto send = [] {
    const auto len =
        static_cast<uint32_t>(offsetof(proto::Children, pids) + msg.count * sizeof msg.pids[0]);
    CoordSend(static_cast<int>(proto::MsgType::kChildren), &msg, len);
    msg.count = 0;
  };
  msg.count = 0;
  msg.ended = 0;
  g_num_reported = 0;
  if (g_shared_memory_overflowed &&
      SharesWithChild(static_cast<pid_t>(RawSyscall(SYS_getpid)), KCMP_VM) != 1)
    CheckpointFailed(
        "it made more children by clone() sharing its memory than it can follow, "
        "and the kernel does not compare address spaces (kcmp)");
  ForEachChild([&](pid_t child) {
    // Refused already: no child joins, and none is worth waiting for.
    if (g.ckpt_error[0]) return;
    bool noted = false;
    for (pid_t& p : g_shared_memory)
      if (p == child) noted = true;
    if (RefusedForSharedMemory(child, noted)) return;  // it never joins
    if (kernel_says && SharesDescriptorTable(child) == 1) {
      RefuseSharedTable(child);
      return;  // it never joins
    }
    for (pid_t p : g_shared_table)
      if (p == child) return;  // never joins: the checkpoint is refused above
    if (!WillJoin(child)) return;
    if (g_num_reported < proto::kMaxChildren) g_reported[g_num_reported++] = child;
    msg.pids[msg.count++] = VirtualPid(child);
    if (msg.count == proto::kMaxChildren) send();
  });
  if (msg.count) send();
}

void ReportEndedChildren() {
  static proto::Children msg;
  msg.count = 0;
  msg.ended = 1;
  for (uint32_t i = 0; i < g_num_reported;) {
    if (!Ended(g_reported[i])) {
      ++i;
      continue;
    }
    msg.pids[msg.count++] = VirtualPid(g_reported[i]);
    g_reported[i] = g_reported[--g_num_reported];
  }
  if (msg.count)
    CoordSend(static_cast<int>(proto::MsgType::kChildren), &msg,
              static_cast<uint32_t>(offsetof(proto::Children, pids) + msg.count * sizeof(int32_t)));
}

}  // namespace dmtcp::rt
