// Calls that must not overlap a checkpoint: creating a thread (it would be
// missed by the freeze) and fork (the child would inherit a half-frozen
// state). They wait while a checkpoint runs. Thread, fork and exec events
// for plugins come from here too.
#include <alloca.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "environment.h"
#include "forked_checkpoint.h"
#include "made_files.h"
#include "pids.h"
#include "plugins.h"
#include "posix_timers.h"
#include "program_file.h"
#include "runtime.h"
#include "sysv_ipc.h"
#include "write_tracking.h"

namespace dmtcp::rt {

PthreadCreateFn RealPthreadCreate() {
  static auto fn = reinterpret_cast<PthreadCreateFn>(NextSymbol("pthread_create"));
  return fn;
}

namespace {
// Recursive per thread: a thread that holds it (dmtcp_disable_ckpt) and
// then creates a thread must not wait for the checkpoint it is delaying.
__thread int t_wrapper_depth __attribute__((tls_model("initial-exec")));
}  // namespace

void WrapperEnter() {
  if (t_wrapper_depth++ > 0) return;
  for (;;) {
    while (g.ckpt_pending.load()) FutexWait(&g.ckpt_pending, 1);
    g.wrappers_active.fetch_add(1);
    if (!g.ckpt_pending.load()) return;
    if (g.wrappers_active.fetch_sub(1) == 1) FutexWakeAll(&g.wrappers_active);
  }
}

void HoldOffCheckpoints() {
  // Already holding them off (dmtcp_disable_ckpt): an active checkpoint
  // may be waiting for this thread, which must not wait for it.
  if (t_wrapper_depth > 0) {
    WrapperEnter();
    return;
  }
  for (;;) {
    WrapperEnter();
    // A checkpoint marks itself active before it asks threads to stop:
    // waiting for one while holding it off would wait for ever.
    if (g.ckpt_active.load() == 0) return;
    WrapperExit();
    for (int active; (active = g.ckpt_active.load()) != 0;) FutexWait(&g.ckpt_active, active);
  }
}

void WrapperExit() {
  if (t_wrapper_depth <= 0 || --t_wrapper_depth > 0) return;
  if (g.wrappers_active.fetch_sub(1) == 1) FutexWakeAll(&g.wrappers_active);
}

namespace {

// Where the child of this thread's fork says it has connected.
__thread ForkHandoff* t_fork_handoff __attribute__((tls_model("initial-exec"))) = nullptr;

void BeforeFork() {
  if (!g.enabled) return;
  PluginEvent(DMTCP_EVENT_ATFORK_PREPARE);
  WrapperEnter();
  t_fork_handoff = g.cfg.no_coordinator ? nullptr : ForkHandoffBegin();
}
void AfterForkParent() {
  if (!g.enabled) return;
  ForkHandoffWait(t_fork_handoff);
  t_fork_handoff = nullptr;
  WrapperExit();
  PluginEvent(DMTCP_EVENT_ATFORK_PARENT);
}
void AfterForkChild() {
  if (!g.enabled) return;
  // The parent's checkpoint is not the child's: one the parent was still
  // finishing (its forked writer, or the events after a restart while the
  // program already runs) would never end here, and the child would wait
  // for it in its first fork or at its exit. A checkpoint the child must
  // join starts again in its own checkpoint thread.
  g.ckpt_active.store(0);
  g.ckpt_pending.store(0);
  g.in_checkpoint.store(0);
  g.threads_in_handler.store(0);
  g.wrappers_active.store(0);
  t_wrapper_depth = 0;
  // A new process whose pid some restored process has as its virtual pid
  // would be ambiguous: it leaves at once and fork() tries again.
  ForkHandoff* const handoff = t_fork_handoff;
  t_fork_handoff = nullptr;
  if (PidTaken(static_cast<pid_t>(RawSyscall(39 /*getpid*/)))) {
    ForkHandoffConnect(handoff, false);
    RawSyscall(231 /*exit_group*/, 0);
  }
  if (g.coord_fd >= 0) RawSyscall(SYS_close, g.coord_fd);
  g.coord_fd = -1;
  const int connection = ForkHandoffConnect(handoff, !g.cfg.no_coordinator);
  InitPids();
  ThreadIdsAfterFork();
  MadeFilesAfterFork();
  SysvAfterFork();
  ForgetForkedResult();
  ForgetPosixTimers();
  PluginEvent(DMTCP_EVENT_ATFORK_CHILD);
  // The child is a process of the computation in its own right.
  JoinAsNewProcess(connection);
}

__attribute__((constructor(101))) void RegisterForkHandlers() {
  pthread_atfork(BeforeFork, AfterForkParent, AfterForkChild);
}

struct ThreadStart {
  void* (*start)(void*);
  void* arg;
};

void* ThreadTrampoline(void* p) {
  ThreadStart ts = *static_cast<ThreadStart*>(p);
  free(p);
  PluginEvent(DMTCP_EVENT_PTHREAD_START);
  PluginEvent(DMTCP_EVENT_THREAD_START);
  void* r = ts.start(ts.arg);
  PluginEvent(DMTCP_EVENT_PTHREAD_RETURN);
  return r;
}

// The environment for an exec, marked so the new program's runtime sends
// the post-exec event. Built on the caller's stack: exec needs no free.
char** MarkedEnv(char* const* envp, char** out) {
  size_t n = 0;
  while (envp && envp[n]) {
    out[n] = envp[n];
    ++n;
  }
  out[n++] = const_cast<char*>("DMTCP_EXEC_MARK=1");
  out[n] = nullptr;
  return out;
}

size_t EnvCount(char* const* envp) {
  size_t n = 0;
  while (envp && envp[n]) ++n;
  return n;
}

bool EnvHas(char* const* envp, const char* entry) {
  for (size_t i = 0; envp && envp[i]; ++i)
    if (strcmp(envp[i], entry) == 0) return true;
  return false;
}

// `ssh host cmd` and `srun ... cmd` run under checkpoint control become
// dmtcp_ssh and dmtcp_srun (which dmtcp_launch names in DMTCP_SSH_WRAPPER
// and DMTCP_SRUN_WRAPPER), so cmd runs under it too; they run the real
// ones with DMTCP_EXEC_DIRECT=1.
const char* LauncherReplacement(const char* path, char* const* envp) {
  if (!g.enabled || !path) return nullptr;
  const char* base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char* var = strcmp(base, "ssh") == 0    ? "DMTCP_SSH_WRAPPER"
                    : strcmp(base, "srun") == 0 ? "DMTCP_SRUN_WRAPPER"
                                                : nullptr;
  if (!var || EnvHas(envp, "DMTCP_EXEC_DIRECT=1")) return nullptr;
  const char* wrapper = getenv(var);
  return wrapper && *wrapper == '/' ? wrapper : nullptr;
}

// argv with argv[0] replaced, on the caller's stack.
char** ReplacedArgv(char* const* argv, const char* first, char** out) {
  size_t n = 0;
  out[n++] = const_cast<char*>(first);
  while (argv && argv[0] && argv[n]) {
    out[n] = argv[n];
    ++n;
  }
  out[n] = nullptr;
  return out;
}

}  // namespace
}  // namespace dmtcp::rt

using namespace dmtcp::rt;

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                              void* arg) {
  if (!g.enabled) return RealPthreadCreate()(thread, attr, start, arg);
  void* (*fn)(void*) = start;
  void* fn_arg = arg;
  if (HaveUserPlugins()) {
    auto* ts = static_cast<ThreadStart*>(malloc(sizeof(ThreadStart)));
    if (ts) {
      *ts = ThreadStart{start, arg};
      fn = ThreadTrampoline;
      fn_arg = ts;
    }
  }
  WrapperEnter();
  int r = RealPthreadCreate()(thread, attr, fn, fn_arg);
  WrapperExit();
  if (r != 0 && fn_arg != arg) free(fn_arg);
  if (r == 0 && fn_arg != arg) PluginEvent(DMTCP_EVENT_THREAD_CREATED);
  return r;
}

namespace dmtcp::rt {
namespace {

// The runtime's own descriptors (the coordinator connection, the restart's
// pid table, the thread list) stay open whatever the program closes: a
// daemon's close-all loop, closefrom, close_range. To the program they are
// not there.
constexpr int kMaxOwnFds = 4;

// Ours, in ascending order; how many.
int OwnFds(unsigned* own) {
  int n = 0;
  for (int fd : {g.coord_fd, PidTableFd(), g.task_dir_fd, WriteTrackingFd()}) {
    if (fd < 0) continue;
    int i = n++;
    for (; i > 0 && own[i - 1] > static_cast<unsigned>(fd); --i) own[i] = own[i - 1];
    own[i] = static_cast<unsigned>(fd);
  }
  return n;
}

bool OwnFd(unsigned fd) {
  unsigned own[kMaxOwnFds];
  const int n = OwnFds(own);
  for (int i = 0; i < n; ++i)
    if (own[i] == fd) return true;
  return false;
}

// Before the program's dup2/dup3 onto one of ours: ours moves up, out of
// its way (a thread blocked on the old number reads on: it holds the socket).
int MoveOwnFd(int fd) {
  // Above it (a loop over every number goes up), or anywhere free.
  int moved = static_cast<int>(RawSyscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd + 1));
  if (moved < 0) moved = static_cast<int>(RawSyscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3));
  if (moved < 0) return -1;
  if (fd == g.coord_fd) g.coord_fd = moved;
  if (fd == PidTableFd()) PidTableFdMoved(moved);
  if (fd == g.task_dir_fd) g.task_dir_fd = moved;
  if (fd == WriteTrackingFd()) WriteTrackingFdMoved(moved);
  return 0;
}

// close_range(first, last) around ours.
int CloseRangeAround(unsigned first, unsigned last, int flags) {
  unsigned own[kMaxOwnFds];
  const int n = OwnFds(own);
  unsigned from = first;
  for (int i = 0; i < n && from <= last; ++i) {
    if (own[i] < from || own[i] > last) continue;
    if (own[i] > from) {
      long r = RawSyscall(SYS_close_range, from, own[i] - 1, flags);
      if (r < 0) {
        errno = static_cast<int>(-r);
        return -1;
      }
    }
    from = own[i] + 1;
  }
  if (from > last || from == 0) return 0;
  long r = RawSyscall(SYS_close_range, from, last, flags);
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return 0;
}

}  // namespace
}  // namespace dmtcp::rt

extern "C" int close(int fd) {
  static auto real = Next<int (*)(int)>("close");
  if (g.enabled && fd >= 0 && OwnFd(static_cast<unsigned>(fd))) {
    errno = EBADF;
    return -1;
  }
  return real(fd);
}

extern "C" int close_range(unsigned first, unsigned last, int flags) {
  if (!g.enabled || first > last) {
    long r = RawSyscall(SYS_close_range, first, last, flags);
    if (r < 0) errno = static_cast<int>(-r);
    return r < 0 ? -1 : 0;
  }
  return CloseRangeAround(first, last, flags);
}

extern "C" void closefrom(int low) {
  if (low < 0) low = 0;
  if (CloseRangeAround(static_cast<unsigned>(low), ~0U, 0) == 0) return;
  // As glibc does where close_range is missing: one by one.
  for (long fd = low; fd < 65536; ++fd)
    if (!OwnFd(static_cast<unsigned>(fd))) RawSyscall(SYS_close, fd);
}

extern "C" int dup2(int oldfd, int newfd) {
  static auto real = Next<int (*)(int, int)>("dup2");
  if (g.enabled && newfd >= 0 && oldfd != newfd && OwnFd(static_cast<unsigned>(newfd)) &&
      MoveOwnFd(newfd) != 0) {
    errno = EBUSY;
    return -1;
  }
  return real(oldfd, newfd);
}

extern "C" int dup3(int oldfd, int newfd, int flags) {
  static auto real = Next<int (*)(int, int, int)>("dup3");
  if (g.enabled && newfd >= 0 && oldfd != newfd && OwnFd(static_cast<unsigned>(newfd)) &&
      MoveOwnFd(newfd) != 0) {
    errno = EBUSY;
    return -1;
  }
  return real(oldfd, newfd, flags);
}

// _exit (dash ends every shell and command with it) skips the destructor
// that holds off checkpoints at the end of a process: a process that ended
// while its checkpoint was still open (a forked writer writing) would fail
// it. Not in a vfork child: what it holds, its parent would hold for ever.
extern "C" [[noreturn]] void _exit(int status) {
  static auto real = Next<void (*)(int)>("_exit");
  if (g.enabled && GetTid() != g.ckpt_tid && !InVforkChild()) HoldOffCheckpoints();
  real(status);
  __builtin_unreachable();
}

extern "C" [[noreturn]] void _Exit(int status) { _exit(status); }

extern "C" void pthread_exit(void* value) {
  static auto real = Next<void (*)(void*)>("pthread_exit");
  if (g.enabled) PluginEvent(DMTCP_EVENT_PTHREAD_EXIT);
  real(value);
  __builtin_unreachable();
}

extern char** environ;

namespace dmtcp::rt {
namespace {

// ",<computation id hex>,<generation>,<peers>,<coordinator lost>": the new
// program names the computation when it joins, as the process did, and
// does not announce again a coordinator that is gone (init.cc reads it).
void AppendComputation(char* entry, size_t cap) {
  char num[24];
  StrCat(entry, cap, ",");
  FormatUint(num, sizeof num, g.computation_id, 16);
  StrCat(entry, cap, num);
  StrCat(entry, cap, ",");
  FormatUint(num, sizeof num, g.generation);
  StrCat(entry, cap, num);
  StrCat(entry, cap, ",");
  FormatUint(num, sizeof num, g.num_peers);
  StrCat(entry, cap, num);
  StrCat(entry, cap, g.coord_lost ? ",1" : ",0");
}

// An exec keeps the process: the new program's runtime joins the
// coordinator before this connection closes (it closes the descriptor the
// environment names), so the coordinator never counts the process as gone
// (one started with --exit-on-last would end). The new program gets the
// current coordinator in its environment, whatever copy the program passes.
template <typename Real>
int ExecInThisProcess(Real real, const char* file, char* const argv[], char* const envp[]) {
  if (!g.enabled) return real(file, argv, envp);
  // A vfork child is a new process that shares its parent's memory: it
  // leaves the parent's state and connection alone.
  const bool vfork_child = InVforkChild();
  const bool plugins = HaveUserPlugins() && !vfork_child;
  if (plugins) PluginEvent(DMTCP_EVENT_PRE_EXEC);
  if (!vfork_child) HoldOffCheckpoints();
  // A program that will not load the runtime leaves the computation: the
  // connection closes at the exec instead of staying open, unanswered, in
  // a program that never joins (every checkpoint would wait for it).
  const bool outside = StartsOutside(envp);
  const bool follows = RuntimeFollows(envp);
  const bool without = outside || !follows || RunsWithoutRuntime(file);
  if (without && !outside)
    Log(g.program, ": ", file,
        follows ? " is static or privileged: it runs unchecked"
                : " gets no runtime (LD_PRELOAD was too long to keep): it runs unchecked");
  char coord[96] = "", table[48];
  if (!vfork_child && !without && HandOn(kInheritedCoordFd, g.coord_fd, coord, sizeof coord))
    AppendComputation(coord, sizeof coord);
  HandOnPidTable(table, sizeof table);
  const char* const extra[2] = {coord, table};
  const size_t cap = EnvCount(envp) + kEnvironmentExtra + 2;
  auto** current = static_cast<char**>(alloca(cap * sizeof(char*)));
  const size_t preload_cap = PreloadEntryRoom(envp);
  auto* preload = static_cast<char*>(alloca(preload_cap));
  char** env = CurrentEnvironment(envp, current, extra, without ? Preload::kKeep : Preload::kAdd,
                                  preload, preload_cap);
  if (plugins) {
    auto** marked = static_cast<char**>(alloca((cap + 1) * sizeof(char*)));
    env = MarkedEnv(env, marked);
  }
  int r = real(file, argv, env);
  if (!vfork_child) {
    TakeBack(g.coord_fd);
    WrapperExit();
  }
  TakeBackPidTable();
  return r;
}

}  // namespace
}  // namespace dmtcp::rt

extern "C" int execve(const char* path, char* const argv[], char* const envp[]) {
  static auto real = Next<int (*)(const char*, char* const*, char* const*)>("execve");
  if (const char* ssh = LauncherReplacement(path, envp)) {
    path = ssh;
    argv =
        ReplacedArgv(argv, ssh, static_cast<char**>(alloca((EnvCount(argv) + 2) * sizeof(char*))));
  }
  return ExecInThisProcess(real, path, argv, envp);
}

extern "C" int execv(const char* path, char* const argv[]) { return execve(path, argv, environ); }

extern "C" int execvpe(const char* file, char* const argv[], char* const envp[]) {
  static auto real = Next<int (*)(const char*, char* const*, char* const*)>("execvpe");
  if (const char* ssh = LauncherReplacement(file, envp)) {
    file = ssh;
    argv =
        ReplacedArgv(argv, ssh, static_cast<char**>(alloca((EnvCount(argv) + 2) * sizeof(char*))));
  }
  return ExecInThisProcess(real, file, argv, envp);
}

extern "C" int execvp(const char* file, char* const argv[]) { return execvpe(file, argv, environ); }

// execl, execlp, execle: glibc's call its execve internally, past our
// wrapper; these collect their arguments and take the wrapped path.
#define DMTCP_COLLECT_ARGS(first, last_named, extra_env)                         \
  va_list ap;                                                                    \
  va_start(ap, last_named);                                                      \
  size_t n = 1;                                                                  \
  {                                                                              \
    va_list count;                                                               \
    va_copy(count, ap);                                                          \
    while (va_arg(count, char*)) ++n;                                            \
    va_end(count);                                                               \
  }                                                                              \
  auto** argv = static_cast<char**>(alloca((n + 1) * sizeof(char*)));            \
  argv[0] = const_cast<char*>(first);                                            \
  for (size_t i = 1; i <= n; ++i) argv[i] = i < n ? va_arg(ap, char*) : nullptr; \
  if (extra_env) va_arg(ap, char*);                                              \
  char* const* envp = extra_env ? va_arg(ap, char* const*) : environ;            \
  va_end(ap)

extern "C" int execl(const char* path, const char* arg, ...) {
  DMTCP_COLLECT_ARGS(arg, arg, false);
  return execve(path, argv, envp);
}

extern "C" int execlp(const char* file, const char* arg, ...) {
  DMTCP_COLLECT_ARGS(arg, arg, false);
  return execvpe(file, argv, envp);
}

extern "C" int execle(const char* path, const char* arg, ...) {
  DMTCP_COLLECT_ARGS(arg, arg, true);
  return execve(path, argv, envp);
}

// A spawned program is a new process: it gets the current coordinator in
// its environment and, after a restart, the table of virtual pids.
namespace dmtcp::rt {
namespace {

template <typename Real>
int Spawn(Real real, pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
          const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  if (!g.enabled) return real(pid, file, actions, attr, argv, envp);
  char table[48];
  HandOnPidTable(table, sizeof table);
  const char* const extra[2] = {nullptr, table};
  auto** env =
      static_cast<char**>(alloca((EnvCount(envp) + kEnvironmentExtra + 1) * sizeof(char*)));
  const size_t preload_cap = PreloadEntryRoom(envp);
  auto* preload = static_cast<char*>(alloca(preload_cap));
  const Preload runtime =
      StartsOutside(envp) || RunsWithoutRuntime(file) ? Preload::kKeep : Preload::kAdd;
  SkipTakenPids();
  int r = real(pid, file, actions, attr, argv,
               CurrentEnvironment(envp, env, extra, runtime, preload, preload_cap));
  TakeBackPidTable();
  return r;
}

using SpawnFn = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                        const posix_spawnattr_t*, char* const*, char* const*);

}  // namespace
}  // namespace dmtcp::rt

extern "C" int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                           const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  static auto real = Next<SpawnFn>("posix_spawn");
  return Spawn(real, pid, path, actions, attr, argv, envp);
}

extern "C" int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                            const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  static auto real = Next<SpawnFn>("posix_spawnp");
  return Spawn(real, pid, file, actions, attr, argv, envp);
}

// A child whose pid some restored process has as its virtual pid would be
// ambiguous: it leaves at once (AfterForkChild) and fork tries again.
// No checkpoint may come between the fork and the check: a parent restored
// from there would take its child's old pid, now that child's virtual pid,
// for a taken one, and fork the child a second time.
extern "C" __attribute__((visibility("hidden"))) pid_t dmtcp_fork_with_free_pid(void) {
  static auto real = Next<pid_t (*)()>("fork");
  if (g.enabled) WrapperEnter();
  for (int tries = 0;; ++tries) {
    pid_t pid = real();
    if (pid > 0 && tries < 64 && PidTaken(pid)) {
      RawSyscall(61 /*wait4*/, pid, 0, 0, 0);  // it exits at once
      continue;
    }
    // In the child, AfterForkChild left no wrapper to leave.
    if (pid != 0 && g.enabled) WrapperExit();
    return pid;
  }
}

extern "C" pid_t fork(void) { return dmtcp_fork_with_free_pid(); }

namespace {
struct CloneCall {
  int (*fn)(void*);
  void* arg;
};
// The child of a clone() that makes a process: a fork's child, then the
// program's function. Its return ends the process, as glibc's clone ends
// it with its value (exit_group: the child has a checkpoint thread too).
int CloneStart(void* p) {
  const CloneCall call = *static_cast<CloneCall*>(p);
  AfterForkChild();
  RawSyscall(SYS_exit_group, call.fn(call.arg));
  __builtin_unreachable();
}
}  // namespace

// clone() that makes a new process (no CLONE_VM) is a fork whose child runs
// fn on its own stack: the child joins the computation as a forked one does
// (glibc runs no fork handlers for clone). One that shares the descriptor
// table cannot be checkpointed: its parent refuses checkpoints while it
// lives, as while one that shares its memory without being a thread does.
// Threads and vfork-like children are left as they are.
extern "C" int clone(int (*fn)(void*), void* stack, int flags, void* arg, ...) {
  va_list ap;
  va_start(ap, arg);
  // Read whatever flags ask for them; glibc reads them the same way.
  auto* ptid = va_arg(ap, pid_t*);
  void* tls = va_arg(ap, void*);
  auto* ctid = va_arg(ap, pid_t*);
  va_end(ap);
  using CloneFn = int (*)(int (*)(void*), void*, int, void*, ...);
  static auto real = Next<CloneFn>("clone");
  if (g.enabled && (flags & CLONE_VM) && !(flags & (CLONE_THREAD | CLONE_VFORK))) {
    const int pid = real(fn, stack, flags, arg, ptid, tls, ctid);
    if (pid > 0) NoteSharedMemoryChild(pid);
    return pid;
  }
  if (!g.enabled || (flags & CLONE_VM)) return real(fn, stack, flags, arg, ptid, tls, ctid);
  if (flags & CLONE_FILES) {
    const int pid = real(fn, stack, flags, arg, ptid, tls, ctid);
    if (pid > 0) NoteSharedTableChild(pid);
    return pid;
  }
  CloneCall call{fn, arg};  // the child has a copy of this stack
  WrapperEnter();
  for (int tries = 0;; ++tries) {
    BeforeFork();
    const int pid = real(CloneStart, stack, flags, &call, ptid, tls, ctid);
    if (pid < 0) {
      // No child to say it connected: the parent is not kept waiting.
      ForkHandoffConnect(t_fork_handoff, false);
      t_fork_handoff = nullptr;
    }
    AfterForkParent();
    if (pid > 0 && tries < 64 && PidTaken(pid)) {
      RawSyscall(61 /*wait4*/, pid, 0, (flags & 0xff) == SIGCHLD ? 0 : __WALL, 0);
      continue;
    }
    WrapperExit();
    return pid;
  }
}

// vfork (vfork.S) takes the path of fork once pids have moved: a vfork
// child's pid cannot be chosen again, and one equal to a restored process's
// virtual pid would make the parent's waitpid wait for that other process
// (gcc's driver: "No child processes"). POSIX lets vfork be fork.
extern "C" {
__attribute__((visibility("hidden"))) void* dmtcp_real_vfork;

__attribute__((visibility("hidden"))) int dmtcp_vfork_must_fork(void) {
  return dmtcp_real_vfork == nullptr || (g.enabled && PidsMoved());
}
}

namespace {
__attribute__((constructor(102))) void FindRealVfork() {
  dmtcp_real_vfork = dlsym(RTLD_NEXT, "vfork");
}
}  // namespace
