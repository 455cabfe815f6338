// Freezing and restoring the program's threads. Each thread is stopped in
// our signal handler, where it records its kernel-side state and a resume
// point; the full register and FPU state stays in the signal frame on its
// stack, which is saved with the memory. At restart each thread is created
// anew on its own stack and TLS, re-registers what the kernel keeps per
// thread, jumps back into the handler and returns through sigreturn.
#include <asm/prctl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "affinity.h"
#include "clocks.h"
#include "pids.h"
#include "plugins.h"
#include "proc_dir.h"
#include "runtime.h"
#include "thread_ids.h"

namespace dmtcp::rt {

void ForwardToProgram(int sig, siginfo_t* info, void* uc);
bool ProgramLeavesCheckpointSignal();

namespace {

constexpr uint32_t kRseqSig = 0x53053053;
constexpr int kRseqFlagUnregister = 1;

int* TidAddress(pid_t tid) {
  int* addr = nullptr;
  if (RawSyscall(SYS_prctl, PR_GET_TID_ADDRESS, reinterpret_cast<long>(&addr)) == 0 && addr)
    return addr;
  // Kernels without CONFIG_CHECKPOINT_RESTORE: find glibc's tid field in
  // the thread descriptor by its value.
  auto* self = reinterpret_cast<int*>(pthread_self());
  for (int i = 0x100 / 4; i < 0x1000 / 4; ++i)
    if (self[i] == tid) return &self[i];
  return nullptr;
}

void RegisterRseq(uint64_t fs_base) {
  if (!g.rseq_offset_valid) return;
  auto* area = reinterpret_cast<void*>(fs_base + static_cast<uint64_t>(g.rseq_offset));
  unsigned len = g.rseq_size < 32 ? 32 : g.rseq_size;
  long r = RawSyscall(SYS_rseq, reinterpret_cast<long>(area), len, 0, kRseqSig);
  if (r != 0 && len != 32) r = RawSyscall(SYS_rseq, reinterpret_cast<long>(area), 32, 0, kRseqSig);
  if (r != 0) {
    // glibc then falls back to the system call for sched_getcpu.
    reinterpret_cast<volatile int32_t*>(area)[1] = -2;
  }
  (void)kRseqFlagUnregister;
}

// The threads of the process, up to cap of them in out; the count of all.
int ListTasks(pid_t* out, int cap) {
  int n = 0;
  auto add = [&](long tid, int) {
    if (n < cap) out[n] = static_cast<pid_t>(tid);
    ++n;
  };
  // Opening the directory now would take the lowest free number for a
  // moment, beside program threads that close(k) and open() again.
  bool ok = g.task_dir_fd >= 0 && ForEachNumericEntryOf(g.task_dir_fd, add);
  if (!ok) {
    n = 0;
    ok = ForEachNumericEntry("/proc/self/task", add);
  }
  return ok ? n : -1;
}

bool Recorded(pid_t tid) {
  int n = g.num_threads.load();
  for (int i = 0; i < n && i < kMaxThreads; ++i)
    if (g.threads[i].tid == tid) return true;
  return false;
}

void TimedWait(std::atomic<int>* addr, int expected, long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  RawSyscall(SYS_futex, reinterpret_cast<long>(addr), FUTEX_WAIT_PRIVATE, expected,
             reinterpret_cast<long>(&ts));
}

void ThreadStart(void* arg) {
  auto* rec = static_cast<ThreadRec*>(arg);
  RestoreThreadKernelState(rec);
  dmtcp_ctx_restore(&rec->ctx, 1);
}

pid_t g_tasks[kMaxThreads];

}  // namespace

void SaveCurrentThread(ThreadRec* rec) {
  rec->tid = GetTid();
  rec->vtid = MyVirtualTid();
  rec->is_main = rec->tid == static_cast<pid_t>(RawSyscall(SYS_getpid));
  RawSyscall(SYS_arch_prctl, ARCH_GET_FS, reinterpret_cast<long>(&rec->fs_base));
  rec->tid_addr = TidAddress(rec->tid);
  RawSyscall(SYS_get_robust_list, 0, reinterpret_cast<long>(&rec->robust_head),
             reinterpret_cast<long>(&rec->robust_len));
  RawSyscall(SYS_sigaltstack, 0, reinterpret_cast<long>(&rec->altstack));
  RawSyscall(SYS_prctl, PR_GET_NAME, reinterpret_cast<long>(rec->comm));
  rec->personality = RawSyscall(SYS_personality, 0xffffffff);
  rec->cpu_ns = ThreadCpuTimeNs();
  rec->nice = 20 - RawSyscall(SYS_getpriority, PRIO_PROCESS, 0);  // the kernel returns 20 - nice
  SaveThreadAffinity(rec);
  // rec->pending is read once every thread is stopped (SuspendThreads):
  // reading /proc here would make a descriptor beside running threads.
}

void OpenTaskDir(bool close_old) {
  if (close_old && g.task_dir_fd >= 0) RawSyscall(SYS_close, g.task_dir_fd);
  g.task_dir_fd = -1;
  const int fd =
      static_cast<int>(RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/task"),
                                  O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd < 0) return;
  const long high = RawSyscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, ProtectedFdBase() + 1);
  RawSyscall(SYS_close, fd);
  g.task_dir_fd = high < 0 ? -1 : static_cast<int>(high);
}

namespace {

// A signal set of /proc/self/task/<tid>/status (SigPnd, ShdPnd, SigBlk).
uint64_t TaskSignalSet(pid_t tid, const char* field) {
  char path[64] = "/proc/self/task/";
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(tid));
  StrCat(path, sizeof path, num);
  StrCat(path, sizeof path, "/status");
  int fd = static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
  if (fd < 0) return 0;
  char buf[2048];  // SigPnd and ShdPnd come early in the file
  long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf - 1);
  RawSyscall(SYS_close, fd);
  buf[n > 0 ? n : 0] = 0;
  const size_t len = StrLen(field);
  for (const char* p = buf; *p; ++p) {
    if ((p == buf || p[-1] == '\n') && __builtin_memcmp(p, field, len) == 0) {
      p += len;
      while (*p == ' ' || *p == '\t') ++p;
      uint64_t v = 0;
      for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); ++p)
        v = v * 16 + static_cast<uint64_t>(*p <= '9' ? *p - '0' : *p - 'a' + 10);
      return v;
    }
  }
  return 0;
}

// A thread that blocks the checkpoint signal in the kernel (it set its mask
// without the wrapped calls, as glibc does for its own helper threads)
// never stops: it is named, and the checkpoint refused, instead of a hang.
bool BlocksCheckpointSignal(pid_t tid, char* why, size_t cap) {
  // Pending as well: a thread inside our handler blocks every signal too.
  const uint64_t bit = 1ULL << (g.cfg.ckpt_signal - 1);
  if (!(TaskSignalSet(tid, "SigPnd:") & bit) || !(TaskSignalSet(tid, "SigBlk:") & bit))
    return false;
  char num[16], comm[32] = "";
  FormatUint(num, sizeof num, static_cast<uint64_t>(tid));
  char path[64] = "/proc/self/task/";
  StrCat(path, sizeof path, num);
  StrCat(path, sizeof path, "/comm");
  int fd = static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
  if (fd >= 0) {
    long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(comm), sizeof comm - 1);
    RawSyscall(SYS_close, fd);
    comm[n > 0 ? n - 1 : 0] = 0;  // without the newline
  }
  StrCopy(why, cap, g.program);
  StrCat(why, cap, ": thread ");
  StrCat(why, cap, num);
  StrCat(why, cap, " (");
  StrCat(why, cap, comm);
  StrCat(why, cap,
         ") blocks the checkpoint signal and cannot be stopped (glibc's helper thread of a "
         "SIGEV_THREAD timer or mq_notify does)");
  return true;
}

}  // namespace

uint64_t PendingSignals(pid_t tid, const char* field) {
  // Not the checkpoint signal: that one is ours.
  return TaskSignalSet(tid, field) & ~(1ULL << (g.cfg.ckpt_signal - 1));
}

void RaisePendingSignals(uint64_t set, bool thread) {
  const long pid = RawSyscall(SYS_getpid);
  for (int sig = 1; sig <= 64; ++sig) {
    if (!(set & (1ULL << (sig - 1)))) continue;
    if (thread)
      RawSyscall(SYS_tgkill, pid, GetTid(), sig);
    else
      RawSyscall(SYS_kill, pid, sig);
  }
}

void RestoreThreadKernelState(const ThreadRec* rec) {
  pid_t tid = GetTid();
  NoteThreadMoved(rec->tid, tid, rec->robust_head);
  // Blocked here until the thread goes back to the program's mask.
  RaisePendingSignals(rec->pending, true);
  if (rec->tid_addr) {
    RawSyscall(SYS_set_tid_address, reinterpret_cast<long>(rec->tid_addr));
    *rec->tid_addr = tid;
  }
  if (rec->robust_head)
    RawSyscall(SYS_set_robust_list, reinterpret_cast<long>(rec->robust_head),
               static_cast<long>(rec->robust_len));
  RegisterRseq(rec->fs_base);
  if (rec->personality >= 0) RawSyscall(SYS_personality, rec->personality);
  RestoreThreadCpuTime(rec->cpu_ns);
  // A lower nice value (higher priority) needs privilege: as close as may be.
  RawSyscall(SYS_setpriority, PRIO_PROCESS, 0, rec->nice);
  if (!(rec->altstack.ss_flags & SS_DISABLE)) {
    stack_t ss = rec->altstack;
    ss.ss_flags = 0;
    RawSyscall(SYS_sigaltstack, reinterpret_cast<long>(&ss), 0);
  }
  RawSyscall(SYS_prctl, PR_SET_NAME, reinterpret_cast<long>(rec->comm));
  RestoreThreadAffinity(rec);
  g.threads_restored.fetch_add(1);
  FutexWakeAll(&g.threads_restored);
}

bool WaitForThreadsRestored() {
  const long start_ms = MonotonicMs();
  for (int n; (n = g.threads_restored.load()) < g.num_threads.load();) {
    if (MonotonicMs() - start_ms > 10000) return false;
    TimedWait(&g.threads_restored, n, 50);
  }
  return true;
}

namespace {

// The thread stopped at a system call instruction (interrupted there with
// SA_RESTART, or about to make it) whose pid argument the restarted
// process must translate: wait4(pid or -pgid), waitid(P_PID or P_PGID).
void SaveSyscallPidArg(ThreadRec* rec, const ucontext_t* uc) {
  rec->pid_arg_reg = 0;
  const greg_t* r = uc->uc_mcontext.gregs;
  uint16_t insn;
  memcpy(&insn, reinterpret_cast<const void*>(r[REG_RIP]), sizeof insn);
  if (insn != 0x050f) return;  // syscall
  long arg;
  int reg;
  bool group;
  if (r[REG_RAX] == SYS_wait4) {
    reg = REG_RDI;
    arg = static_cast<int>(r[REG_RDI]);
    group = arg < -1;
    if (group) arg = -arg;
  } else if (r[REG_RAX] == SYS_waitid && (r[REG_RDI] == P_PID || r[REG_RDI] == P_PGID)) {
    reg = REG_RSI;
    arg = static_cast<int>(r[REG_RSI]);
    group = r[REG_RDI] == P_PGID;
  } else {
    return;
  }
  if (arg <= 0) return;  // any child, or the caller's own group
  const pid_t virt =
      group ? VirtualGroupId(static_cast<pid_t>(arg)) : VirtualPid(static_cast<pid_t>(arg));
  rec->pid_arg = group ? -virt : virt;
  rec->pid_arg_reg = reg;
}

void RestoreSyscallPidArg(const ThreadRec* rec, ucontext_t* uc) {
  if (!rec->pid_arg_reg) return;
  greg_t* r = uc->uc_mcontext.gregs;
  const pid_t real = RealPid(rec->pid_arg < 0 ? -rec->pid_arg : rec->pid_arg);
  const bool wait4_group = rec->pid_arg_reg == REG_RDI && rec->pid_arg < 0;
  r[rec->pid_arg_reg] = wait4_group ? -real : real;
}

void LeaveHandler() {
  if (g.threads_in_handler.fetch_sub(1) == 1) FutexWakeAll(&g.threads_in_handler);
}

// Threads the last resume woke (thousands, after a restart on a busy node)
// may still be inside the handler, the signal blocked: a new signal would
// wait there, and the two-second test below would take them for threads
// that block it for good.
void WaitForLastRoundToLeave() {
  const long start_ms = MonotonicMs();
  for (int left; (left = g.threads_in_handler.load()) > 0;) {
    if (MonotonicMs() - start_ms > 30000) break;  // the test below decides
    TimedWait(&g.threads_in_handler, left, 50);
  }
}

}  // namespace

extern "C" void dmtcp_thread_signal_handler(int sig, siginfo_t* info, void* uc) {
  const pid_t pid = static_cast<pid_t>(RawSyscall(SYS_getpid));
  if (info->si_code != kCkptSiCode || info->si_pid != pid) {
    // Without a coordinator, the checkpoint signal sent to the process
    // (kill -USR2) asks for a checkpoint, unless the program handles it.
    if (g.cfg.no_coordinator && (info->si_code == SI_USER || info->si_code == SI_QUEUE) &&
        ProgramLeavesCheckpointSignal()) {
      g.ckpt_request.store(1);
      FutexWakeAll(&g.ckpt_request);
      return;
    }
    ForwardToProgram(sig, info, uc);
    return;
  }
  // Sent for a checkpoint that has already given up on this thread (it
  // resumed the others without it): nothing to do, and nothing for the
  // program to see.
  if (!g.in_checkpoint.load() || info->si_int != g.ckpt_round.load()) return;
  const int saved_errno = errno;
  g.threads_in_handler.fetch_add(1);
  const int slot = g.num_threads.fetch_add(1);
  if (slot >= kMaxThreads) {
    // Started after the count (by a raw clone): the checkpoint fails, and
    // this thread waits for the resume like the others.
    CheckpointFailed("it started more threads during the checkpoint than a checkpoint keeps");
    volatile int gen = g.resume_gen.load();
    g.num_arrived.fetch_add(1);
    FutexWakeAll(&g.num_arrived);
    while (g.resume_gen.load() == gen) FutexWait(&g.resume_gen, gen);
    LeaveHandler();
    errno = saved_errno;
    return;
  }
  ThreadRec* rec = &g.threads[slot];
  SaveCurrentThread(rec);
  SaveSyscallPidArg(rec, static_cast<ucontext_t*>(uc));
  volatile int gen = g.resume_gen.load();
  const int restarted = dmtcp_ctx_save(&rec->ctx);
  if (!restarted) {
    g.num_arrived.fetch_add(1);
    FutexWakeAll(&g.num_arrived);
  }
  // Both after a checkpoint and after a restart: wait to be resumed.
  while (g.resume_gen.load() == gen) FutexWait(&g.resume_gen, gen);
  if (restarted) RestoreSyscallPidArg(rec, static_cast<ucontext_t*>(uc));
  LeaveHandler();
  errno = saved_errno;
}

bool SuspendThreads() {
  // A plugin's word on each thread, on this thread and while the program
  // still runs: a hook in a stopped thread's signal handler could deadlock
  // on a lock (malloc's) that a thread stopped beside it holds. Before
  // wrapped calls wait (ckpt_pending), which a hook may make too.
  if (HaveUserPlugins()) {
    const pid_t me = GetTid();
    const int listed = ListTasks(g_tasks, kMaxThreads);
    for (int i = 0; i < listed && i < kMaxThreads; ++i) {
      if (g_tasks[i] == me) continue;
      DmtcpEventData_t data;
      memset(&data, 0, sizeof data);
      data.threadInfo.tid = VirtualTid(g_tasks[i]);
      PluginEvent(DMTCP_EVENT_PRE_SUSPEND_USER_THREAD, &data);
    }
  }
  g.ckpt_pending.store(1);
  for (int active; (active = g.wrappers_active.load()) != 0;)
    TimedWait(&g.wrappers_active, active, 100);
  WaitForLastRoundToLeave();
  g.num_threads.store(1);
  g.num_arrived.store(0);
  ThreadRec* self = &g.threads[0];
  SaveCurrentThread(self);
  self->is_ckpt = 1;
  g.in_checkpoint.store(1);

  const pid_t pid = static_cast<pid_t>(RawSyscall(SYS_getpid));
  const int n = ListTasks(g_tasks, kMaxThreads);
  if (n < 0) return false;
  if (n > kMaxThreads) {
    // Threads left unfrozen would be missing at restart: refuse instead.
    char num[48];
    FormatUint(num, sizeof num, static_cast<uint64_t>(n));
    StrCat(num, sizeof num, " threads; a checkpoint keeps at most ");
    char cap[16];
    FormatUint(cap, sizeof cap, static_cast<uint64_t>(kMaxThreads));
    CheckpointFailed("the process has ", num, cap);
    return false;
  }
  // The signal carries the round: one that reaches a thread only after its
  // checkpoint gave up is told apart from the program's own and dropped.
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = g.cfg.ckpt_signal;
  info.si_code = kCkptSiCode;
  info.si_pid = pid;
  info.si_uid = static_cast<uid_t>(RawSyscall(SYS_getuid));
  info.si_int = g.ckpt_round.fetch_add(1) + 1;
  int expected = 0;
  for (int i = 0; i < n; ++i) {
    if (g_tasks[i] == self->tid) continue;
    if (RawSyscall(SYS_rt_tgsigqueueinfo, pid, g_tasks[i], g.cfg.ckpt_signal,
                   reinterpret_cast<long>(&info)) == 0)
      g_tasks[expected++] = g_tasks[i];
  }
  // Threads that exit before they see the signal are dropped from the count.
  // Time is the clock's, not counted waits: a wait ends early each time a
  // thread arrives.
  const long start_ms = MonotonicMs();
  for (long next_check_ms = 500;;) {
    int arrived = g.num_arrived.load();
    if (arrived >= expected) break;
    TimedWait(&g.num_arrived, arrived, 50);
    const long waited_ms = MonotonicMs() - start_ms;
    if (waited_ms >= next_check_ms) {
      next_check_ms = waited_ms + 500;
      int alive = 0;
      for (int i = 0; i < expected; ++i) {
        if (Recorded(g_tasks[i]) || RawSyscall(SYS_tgkill, pid, g_tasks[i], 0) == 0)
          g_tasks[alive++] = g_tasks[i];
      }
      expected = alive;
      // Two seconds on, a thread the signal cannot reach fails the checkpoint.
      for (int i = 0; waited_ms >= 2000 && i < expected; ++i) {
        if (!Recorded(g_tasks[i]) &&
            BlocksCheckpointSignal(g_tasks[i], g.ckpt_error, sizeof g.ckpt_error))
          return false;
      }
    }
    if (waited_ms > 60000) {
      CheckpointFailed("a thread did not stop for the checkpoint within 60 s");
      return false;
    }
  }
  // Every thread stopped: /proc may be read now.
  const int stopped = g.num_threads.load();
  for (int i = 0; i < stopped && i < kMaxThreads; ++i)
    g.threads[i].pending = PendingSignals(g.threads[i].tid, "SigPnd:");
  return true;
}

void ResumeThreads(int is_restart) {
  g.in_checkpoint.store(0);
  g.resume_gen.fetch_add(1);
  FutexWakeAll(&g.resume_gen);
  g.ckpt_pending.store(0);
  FutexWakeAll(&g.ckpt_pending);
  if (!HaveUserPlugins()) return;
  // Each thread's resume events, here once the threads run (see the
  // pre-suspend events): a hook may allocate and use stdio.
  const int n = g.num_threads.load();
  for (int i = 0; i < n && i < kMaxThreads; ++i) {
    const ThreadRec& rec = g.threads[i];
    if (rec.is_ckpt || rec.tid <= 0) continue;
    DmtcpEventData_t data;
    memset(&data, 0, sizeof data);
    data.threadInfo.isRestart = is_restart;
    data.threadInfo.tid = rec.vtid;
    PluginEvent(DMTCP_EVENT_THREAD_RESUME, &data);
    PluginEvent(DMTCP_EVENT_RESUME_USER_THREAD, &data);
  }
}

void RecreateThreads() {
  const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                              CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                              CLONE_CHILD_CLEARTID;
  const int n = g.num_threads.load();
  for (int i = 0; i < n; ++i) {
    ThreadRec* rec = &g.threads[i];
    if (rec->is_main) continue;
    // Start below the saved stack pointer: what lies there is dead.
    auto stack = reinterpret_cast<void*>((rec->ctx.rsp - 1024) & ~uint64_t{15});
    long r =
        dmtcp_raw_clone(flags, stack, rec->tid_addr, rec->tid_addr, rec->fs_base, ThreadStart, rec);
    if (r < 0) Fatal("cannot recreate a thread at restart");
    RecordThreadId(rec->vtid, static_cast<pid_t>(r));
  }
}

}  // namespace dmtcp::rt
