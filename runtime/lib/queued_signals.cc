// The checkpoint thread blocks every signal, so a zero-timeout sigtimedwait
// there takes the process-directed instances only. More than the table
// holds fail the checkpoint (those taken are queued again all the same).
#include "queued_signals.h"

#include <signal.h>
#include <sys/syscall.h>

#include "runtime.h"

namespace dmtcp::rt {
namespace {

constexpr int kMaxQueued = 8192;  // siginfo_t: 1 MiB, touched only as far as used
siginfo_t g_queued[kMaxQueued];
int g_num_queued;

}  // namespace

void TakeQueuedSignals() {
  g_num_queued = 0;
  uint64_t set = PendingSignals(GetTid(), "ShdPnd:") & ~((1ULL << 31) - 1);  // signals 32-64
  if (!set) return;
  struct timespec zero = {0, 0};
  while (g_num_queued < kMaxQueued) {
    siginfo_t* info = &g_queued[g_num_queued];
    if (RawSyscall(SYS_rt_sigtimedwait, reinterpret_cast<long>(&set), reinterpret_cast<long>(info),
                   reinterpret_cast<long>(&zero), 8) <= 0)
      return;
    ++g_num_queued;
  }
  // A restart would raise the rest once each: refused rather than lost.
  if (PendingSignals(GetTid(), "ShdPnd:") & set)
    CheckpointFailed("more than 8,192 realtime signals are queued for the process");
}

void QueueSignalsAgain() {
  const long pid = RawSyscall(SYS_getpid);
  for (int i = 0; i < g_num_queued; ++i)
    RawSyscall(SYS_rt_sigqueueinfo, pid, g_queued[i].si_signo,
               reinterpret_cast<long>(&g_queued[i]));
  g_num_queued = 0;
}

}  // namespace dmtcp::rt
