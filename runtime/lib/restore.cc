// Where the restart loader hands over: the process now has the image's
// memory but nothing else. Runs on a stack of its own, with every signal
// blocked, as the thread that becomes the program's main thread.
#include <signal.h>
#include <sys/syscall.h>

#include "pids.h"
#include "restore_plan.h"
#include "runtime.h"

namespace dmtcp::rt {

alignas(16) char g_restore_stack[128 * 1024];

extern "C" [[noreturn]] void dmtcp_restore_entry(const void* arg) {
  const auto* handoff = static_cast<const plan::LoaderHandoff*>(arg);
  uint64_t all = ~0ULL;
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all), 0, 8);
  const auto* info = static_cast<const RestartInfo*>(handoff->restart_info);
  if (handoff->restart_info_len != sizeof(RestartInfo) || info->magic != kRestartInfoMagic)
    Fatal("restart: dmtcp_restart and the image's runtime are different versions");
  const auto* src = reinterpret_cast<const char*>(info);
  auto* dst = reinterpret_cast<char*>(&g.restart);
  for (size_t i = 0; i < sizeof(RestartInfo); ++i) dst[i] = src[i];
  g.cfg.fail_rc = g.restart.fail_rc;
  g.restarting = true;
  RawSyscall(SYS_munmap, static_cast<long>(handoff->loader_start),
             static_cast<long>(handoff->loader_end - handoff->loader_start));

  RestoreSignalActions();
  if (g.cwd[0] && RawSyscall(SYS_chdir, reinterpret_cast<long>(g.cwd)) != 0)
    Log("restart: cannot return to the working directory ", g.cwd);
  ThreadRec* main_thread = nullptr;
  for (int i = 0; i < g.num_threads.load(); ++i)
    if (g.threads[i].is_main) main_thread = &g.threads[i];
  if (!main_thread) Fatal("restart: the image has no main thread");
  g.threads_restored.store(0);
  RestoreThreadKernelState(main_thread);
  ClearThreadIds();
  RecreateThreads();
  dmtcp_ctx_restore(&main_thread->ctx, 1);
}

}  // namespace dmtcp::rt
