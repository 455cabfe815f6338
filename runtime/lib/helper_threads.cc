#include "helper_threads.h"

#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>

#include "runtime.h"

namespace dmtcp::rt {

bool StartHelper(HelperThread* t, void* stack, size_t stack_size, void (*fn)(void*), void* arg) {
  constexpr unsigned long kFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                   CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID;
  uint64_t all = ~uint64_t{0}, old = 0;
  // The new thread starts with the mask in force at clone: all blocked, so
  // that no signal of the program is ever delivered to it.
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all),
             reinterpret_cast<long>(&old), sizeof all);
  t->tid.store(-1);
  auto* top = reinterpret_cast<void*>(
      reinterpret_cast<uintptr_t>(static_cast<char*>(stack) + stack_size) & ~uintptr_t{15});
  auto* tid = reinterpret_cast<int*>(&t->tid);
  long r = dmtcp_raw_clone(kFlags, top, tid, tid, 0, fn, arg);
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&old), 0, sizeof old);
  if (r < 0) {
    t->tid.store(0);
    return false;
  }
  return true;
}

// The kernel clears the word and wakes it as a shared futex when the thread
// exits, so the wait is not a private one.
void JoinHelper(HelperThread* t) {
  for (int v; (v = t->tid.load()) != 0;)
    RawSyscall(SYS_futex, reinterpret_cast<long>(&t->tid), FUTEX_WAIT, v, 0);
}

int HelperCount() {
  if (g.cfg.checkpoint_threads > 0) return g.cfg.checkpoint_threads - 1;
  uint64_t mask[16] = {};
  long n = RawSyscall(SYS_sched_getaffinity, 0, sizeof mask, reinterpret_cast<long>(mask));
  int cpus = 0;
  for (long i = 0; i < n / 8; ++i) cpus += __builtin_popcountll(mask[i]);
  return cpus > 1 ? cpus - 1 : 0;
}

}  // namespace dmtcp::rt
