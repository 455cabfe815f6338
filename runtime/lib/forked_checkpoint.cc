// The child is made with clone and no exit signal: the program gets no
// SIGCHLD for it and its wait calls never see it. The result comes back in
// a shared page. Memory the kernel does not copy into a child (madvise
// MADV_DONTFORK, e.g. buffers registered with a network card, or
// MADV_WIPEONFORK) would be missing from its image, so such processes write
// their image themselves.
#include "forked_checkpoint.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "image_format.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

struct Result {
  int32_t done;
  int32_t ok;
  uint64_t bytes;
  char path[4200];
  char error[512];
};

Result* g_result;  // shared with the child
long g_child;

// Whether some area is not inherited as it is by a child (VmFlags "dc" or
// "wf" in /proc/self/smaps).
bool HasAreasForkDoesNotCopy() {
  static char buf[8192];
  int fd = static_cast<int>(RawSyscall(
      SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/smaps"), O_RDONLY | O_CLOEXEC));
  if (fd < 0) return true;  // cannot tell: do not fork
  bool found = false;
  size_t kept = 0;
  for (;;) {
    long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf + kept),
                        static_cast<long>(sizeof buf - 1 - kept));
    if (n <= 0) break;
    size_t len = kept + static_cast<size_t>(n);
    buf[len] = 0;
    // Complete lines only; the last partial one is kept for the next read.
    size_t line = 0;
    for (size_t i = 0; i < len; ++i) {
      if (buf[i] != '\n') continue;
      buf[i] = 0;
      const char* l = buf + line;
      if (l[0] == 'V' && l[1] == 'm' && l[2] == 'F') {  // "VmFlags: rd wr mr ..."
        for (const char* p = l; *p; ++p)
          if (p[0] == ' ' && ((p[1] == 'd' && p[2] == 'c') || (p[1] == 'w' && p[2] == 'f')) &&
              (p[3] == ' ' || p[3] == 0))
            found = true;
      }
      line = i + 1;
    }
    kept = len - line;
    for (size_t i = 0; i < kept; ++i) buf[i] = buf[line + i];
    if (kept == sizeof buf - 1) kept = 0;  // a line this long is no VmFlags line
  }
  RawSyscall(SYS_close, fd);
  return found;
}

}  // namespace

bool ForkAllowed() {
  static bool warned;
  if (HasAreasForkDoesNotCopy()) {
    if (!warned)
      Log("forked checkpoint: some memory is not inherited by a child; writing in place");
    warned = true;
    return false;
  }
  if (!g_result) {
    long p = RawSyscall(SYS_mmap, 0, sizeof(Result), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p < 0 && p > -4096) return false;
    g_result = reinterpret_cast<Result*>(p);
  }
  return true;
}

long ForkWriter() {
  g_result->done = 0;
  g_child = RawSyscall(SYS_clone, 0, 0, 0, 0, 0);  // no exit signal
  return g_child;
}

void ExitWriter(bool ok, const char* path, const char* err, uint64_t bytes) {
  StrCopy(g_result->path, sizeof g_result->path, path);
  StrCopy(g_result->error, sizeof g_result->error, err);
  g_result->bytes = bytes;
  g_result->ok = ok ? 1 : 0;
  g_result->done = 1;
  RawSyscall(SYS_exit_group, 0);
  __builtin_unreachable();
}

bool FinishForkedWrite(char* path, size_t cap, uint64_t* bytes, char* err, size_t errcap) {
  int status = 0;
  long r;
  do {
    r = RawSyscall(SYS_wait4, g_child, reinterpret_cast<long>(&status), __WALL, 0);
  } while (r == -4);  // EINTR
  if (!g_result->done) {
    StrCopy(err, errcap, "the forked checkpoint writer died before it finished");
    return false;
  }
  StrCopy(path, cap, g_result->path);
  StrCopy(err, errcap, g_result->error);
  *bytes = g_result->bytes;
  return g_result->ok != 0;
}

}  // namespace dmtcp::rt
