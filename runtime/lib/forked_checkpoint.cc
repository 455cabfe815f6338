// The child is made with clone and no exit signal: the program gets no
// SIGCHLD for it and its wait calls never see it. The result comes back in
// a shared page. Memory the kernel does not copy into a child (madvise
// MADV_DONTFORK, e.g. buffers registered with a network card, or
// MADV_WIPEONFORK) would be missing from its image, so such processes write
// their image themselves.
#include "forked_checkpoint.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "image_format.h"
#include "incremental.h"
#include "memory.h"
#include "memory_advice.h"
#include "open_files.h"
#include "pids.h"
#include "runtime.h"
#include "saved_folders.h"
#include "sysv_ipc.h"

namespace dmtcp::rt {
namespace {

struct Result {
  uint32_t done;      // a futex word: the parent waits on it
  uint64_t progress;  // bytes the child wrote so far
  int32_t ok;
  uint64_t bytes;
  char path[4200];
  char error[512];
};

Result* g_result;  // shared with the child
long g_child;

}  // namespace

bool ForkAllowed(const char* maps) {
  static bool warned_advice, warned_shared;
  // The incremental checkpoints' tables are the runtime's, left out of forks
  // on purpose (a process that wrote its image itself once has them).
  uint64_t tables = 0, tables_end = 0;
  IncrementalRange(&tables, &tables_end);
  if (AnyAreaAdvised(image::kAdviseDontFork | image::kAdviseWipeOnFork, tables)) {
    if (!warned_advice)
      Log("forked checkpoint: some memory is not inherited by a child; writing in place");
    warned_advice = true;
    return false;
  }
  // Shared memory is not copied on write: a child would save it as the
  // program goes on changing it (a lock taken after the checkpoint, half a
  // message), not as it was.
  uint64_t table_start = 0, table_end = 0;
  PidTableRange(&table_start, &table_end);
  const auto result = reinterpret_cast<uint64_t>(g_result);
  if (HasSharedMemoryToSave(maps, result, result ? result + sizeof(Result) : 0, table_start,
                            table_end)) {
    if (!warned_shared)
      Log("forked checkpoint: memory shared with other processes; writing in place");
    warned_shared = true;
    return false;
  }
  // Semaphores and message queues go on changing too.
  if (SysvObjectsInUse()) {
    if (!warned_shared)
      Log("forked checkpoint: System V IPC objects shared with other processes; writing in place");
    warned_shared = true;
    return false;
  }
  if (OpenFilesToSave()) {
    static bool warned_files;
    if (!warned_files) Log("forked checkpoint: files open for writing are saved; writing in place");
    warned_files = true;
    return false;
  }
  if (FoldersToSave()) {
    static bool warned_folders;
    if (!warned_folders) Log("forked checkpoint: folders are saved whole; writing in place");
    warned_folders = true;
    return false;
  }
  if (FileContentsToWrite(maps)) {
    static bool warned_deleted;
    if (!warned_deleted)
      Log("forked checkpoint: large unlinked or node-local files are saved; writing in place");
    warned_deleted = true;
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

void ForgetForkedResult() {
  if (g_result) RawSyscall(SYS_munmap, reinterpret_cast<long>(g_result), sizeof(Result));
  g_result = nullptr;
}

long ForkWriter() {
  g_result->done = 0;
  g_result->progress = 0;
  g_child = RawSyscall(SYS_clone, 0, 0, 0, 0, 0);  // no exit signal
  return g_child;
}

void ExitWriter(bool ok, const char* path, const char* err, uint64_t bytes) {
  StrCopy(g_result->path, sizeof g_result->path, path);
  StrCopy(g_result->error, sizeof g_result->error, err);
  g_result->bytes = bytes;
  g_result->ok = ok ? 1 : 0;
  __atomic_store_n(&g_result->done, 1, __ATOMIC_RELEASE);
  RawSyscall(SYS_futex, reinterpret_cast<long>(&g_result->done), FUTEX_WAKE, 1);
  RawSyscall(SYS_exit_group, 0);
  __builtin_unreachable();
}

void NoteForkedWriteProgress(uint64_t bytes) {
  __atomic_store_n(&g_result->progress, bytes, __ATOMIC_RELAXED);
}

bool FinishForkedWrite(char* path, size_t cap, uint64_t* bytes, char* err, size_t errcap) {
  int status = 0;
  long r;
  // Once a second until the child is done: what it wrote, for the
  // coordinator (it abandons a checkpoint whose writer is silent).
  uint64_t reported = 0;
  while (!__atomic_load_n(&g_result->done, __ATOMIC_ACQUIRE)) {
    r = RawSyscall(SYS_wait4, g_child, reinterpret_cast<long>(&status), __WALL | WNOHANG, 0);
    if (r == g_child || (r < 0 && r != -4)) break;  // ended without a word, or not ours
    struct timespec second = {1, 0};
    RawSyscall(SYS_futex, reinterpret_cast<long>(&g_result->done), FUTEX_WAIT, 0,
               reinterpret_cast<long>(&second));
    const uint64_t now = __atomic_load_n(&g_result->progress, __ATOMIC_RELAXED);
    if (now != reported) CoordReportWriteProgress(reported = now);
  }
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
