// The checkpoint signal: our handler stays installed and unblocked whatever
// the program does; the program's own handler for that signal is kept aside
// and called for signals that are not ours. Process-wide signal actions are
// saved at checkpoint and put back at restart.
#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pids.h"
#include "runtime.h"

namespace dmtcp::rt {

extern "C" void dmtcp_thread_signal_handler(int sig, siginfo_t* info, void* uc);

namespace {

using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);
using SigmaskFn = int (*)(int, const sigset_t*, sigset_t*);

SigactionFn RealSigaction() {
  static SigactionFn fn = reinterpret_cast<SigactionFn>(NextSymbol("sigaction"));
  return fn;
}

bool Ours(int sig) { return g.enabled && sig == g.cfg.ckpt_signal; }

// Whether this thread's program asked to block the checkpoint signal: it
// never is blocked (the checkpoint must reach every thread), but the
// program sees its mask as it set it.
__thread bool t_ckpt_signal_blocked __attribute__((tls_model("initial-exec")));

const sigset_t* WithoutCkptSignal(int how, const sigset_t* set, sigset_t* copy) {
  if (!set || !g.enabled) return set;
  const bool in_set = sigismember(set, g.cfg.ckpt_signal);
  if (how == SIG_BLOCK && in_set) t_ckpt_signal_blocked = true;
  if (how == SIG_UNBLOCK && in_set) t_ckpt_signal_blocked = false;
  if (how == SIG_SETMASK) t_ckpt_signal_blocked = in_set;
  if (how == SIG_UNBLOCK || !in_set) return set;
  *copy = *set;
  sigdelset(copy, g.cfg.ckpt_signal);
  return copy;
}

// The mask as the program knows it.
void ShowCkptSignal(bool was_blocked, sigset_t* old) {
  if (old && g.enabled && was_blocked) sigaddset(old, g.cfg.ckpt_signal);
}

}  // namespace

void InstallSignalHandler() {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = dmtcp_thread_signal_handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask);
  RealSigaction()(g.cfg.ckpt_signal, &sa, nullptr);
}

bool ProgramLeavesCheckpointSignal() {
  const struct sigaction& a = g.user_ckpt_action;
  return (a.sa_flags & SA_SIGINFO) ? !a.sa_sigaction : a.sa_handler == SIG_DFL || !a.sa_handler;
}

void ForwardToProgram(int sig, siginfo_t* info, void* uc) {
  const struct sigaction a = g.user_ckpt_action;
  if (a.sa_flags & SA_RESETHAND) {
    g.user_ckpt_action.sa_handler = SIG_DFL;
    g.user_ckpt_action.sa_flags &= ~SA_SIGINFO;
  }
  if ((a.sa_flags & SA_SIGINFO) && a.sa_sigaction) {
    a.sa_sigaction(sig, info, uc);
  } else if (a.sa_handler == SIG_DFL || !a.sa_handler) {
    // What the signal does when nobody handles it (SIGUSR2: end the
    // process): with our handler out of the way.
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    RealSigaction()(sig, &dfl, nullptr);
    uint64_t unblock = 1ULL << (sig - 1);
    RawSyscall(SYS_rt_sigprocmask, SIG_UNBLOCK, reinterpret_cast<long>(&unblock), 0, 8);
    RawSyscall(SYS_tgkill, RawSyscall(SYS_getpid), RawSyscall(SYS_gettid), sig);
    InstallSignalHandler();  // if it did not end the process
  } else if (a.sa_handler != SIG_IGN) {
    a.sa_handler(sig);
  }
}

void SaveSignalActions() {
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    RawSyscall(SYS_rt_sigaction, sig, 0, reinterpret_cast<long>(&g.sigactions[sig]), 8);
  }
}

void RestoreSignalActions() {
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    RawSyscall(SYS_rt_sigaction, sig, reinterpret_cast<long>(&g.sigactions[sig]), 0, 8);
  }
}

}  // namespace dmtcp::rt

using dmtcp::rt::g;

namespace {

// The program's SA_SIGINFO handlers, called through a trampoline that
// shows them virtual pids in si_pid (a child's pid in SIGCHLD, a sender's).
using InfoHandler = void (*)(int, siginfo_t*, void*);
InfoHandler g_info_handlers[65];

void PidTranslatingHandler(int sig, siginfo_t* info, void* uc) {
  if (info && info->si_pid > 0 && (sig == SIGCHLD || info->si_code <= 0))
    info->si_pid = dmtcp::rt::VirtualPid(info->si_pid);
  if (sig > 0 && sig <= 64 && g_info_handlers[sig]) g_info_handlers[sig](sig, info, uc);
}

}  // namespace

extern "C" int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  if (dmtcp::rt::Ours(sig)) {
    if (old) *old = g.user_ckpt_action;
    if (act) g.user_ckpt_action = *act;
    return 0;
  }
  if (sig <= 0 || sig > 64 || !g.enabled) return dmtcp::rt::RealSigaction()(sig, act, old);
  const InfoHandler previous = g_info_handlers[sig];
  const InfoHandler user =
      act && (act->sa_flags & SA_SIGINFO) && act->sa_sigaction ? act->sa_sigaction : nullptr;
  struct sigaction wrapped;
  if (user) {
    wrapped = *act;
    wrapped.sa_sigaction = PidTranslatingHandler;
    act = &wrapped;
    g_info_handlers[sig] = user;  // before the trampoline can run
  }
  int r = dmtcp::rt::RealSigaction()(sig, act, old);
  if (r != 0) {
    g_info_handlers[sig] = previous;
    return r;
  }
  if (act && !user) g_info_handlers[sig] = nullptr;
  if (old && (old->sa_flags & SA_SIGINFO) && old->sa_sigaction == PidTranslatingHandler)
    old->sa_sigaction = previous;
  return 0;
}

extern "C" sighandler_t signal(int sig, sighandler_t handler) {
  struct sigaction act, old;
  memset(&act, 0, sizeof act);
  act.sa_handler = handler;
  act.sa_flags = SA_RESTART;
  sigemptyset(&act.sa_mask);
  sigaddset(&act.sa_mask, sig);
  if (sigaction(sig, &act, &old) != 0) return SIG_ERR;
  return old.sa_handler;
}

extern "C" int sigprocmask(int how, const sigset_t* set, sigset_t* old) {
  static auto real = reinterpret_cast<dmtcp::rt::SigmaskFn>(dmtcp::rt::NextSymbol("sigprocmask"));
  sigset_t copy;
  const bool was = dmtcp::rt::t_ckpt_signal_blocked;
  const int r = real(how, dmtcp::rt::WithoutCkptSignal(how, set, &copy), old);
  if (r == 0) dmtcp::rt::ShowCkptSignal(was, old);
  return r;
}

extern "C" int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) {
  static auto real =
      reinterpret_cast<dmtcp::rt::SigmaskFn>(dmtcp::rt::NextSymbol("pthread_sigmask"));
  sigset_t copy;
  const bool was = dmtcp::rt::t_ckpt_signal_blocked;
  const int r = real(how, dmtcp::rt::WithoutCkptSignal(how, set, &copy), old);
  if (r == 0) dmtcp::rt::ShowCkptSignal(was, old);
  return r;
}
