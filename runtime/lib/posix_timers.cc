// glibc hands the kernel's timer id to the program as the timer_t, except
// for SIGEV_THREAD timers, whose timer_t points to glibc's own record and
// whose notifications go to a helper thread glibc made: those are refused at
// checkpoint (see README, What is not supported).
#include "posix_timers.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include <atomic>

#include "clocks.h"
#include "pids.h"
#include "runtime.h"
#include "thread_ids.h"

namespace dmtcp::rt {
namespace {

constexpr int kMaxTimers = 512;

struct TimerRec {
  bool used;
  bool glibc_thread;  // SIGEV_THREAD: cannot be made again
  intptr_t program_id;
  int kernel_id;
  clockid_t clock;         // as the program named it
  struct sigevent ev;      // the program's, with its thread ids
  struct itimerspec left;  // at the checkpoint
};

TimerRec g_timers[kMaxTimers];
bool g_overflow;  // a timer was made that the table had no room for
std::atomic_flag g_lock = ATOMIC_FLAG_INIT;

struct Guard {
  Guard() {
    while (g_lock.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~Guard() { g_lock.clear(std::memory_order_release); }
};

TimerRec* Find(timer_t t) {
  const auto id = reinterpret_cast<intptr_t>(t);
  for (auto& r : g_timers)
    if (r.used && r.program_id == id) return &r;
  return nullptr;
}

// The notification the kernel gets now: a thread id the program gave is
// virtual.
struct sigevent KernelEvent(const struct sigevent& ev) {
  struct sigevent k = ev;
  if (ev.sigev_notify & SIGEV_THREAD_ID) k._sigev_un._tid = CurrentTid(RealTid(ev._sigev_un._tid));
  return k;
}

int Result(long r) {
  if (r >= 0) return static_cast<int>(r);
  errno = static_cast<int>(-r);
  return -1;
}

}  // namespace

void SavePosixTimers() {
  Guard guard;
  if (g_overflow) {
    CheckpointFailed("the program made more POSIX timers than a checkpoint keeps (512)", "", "");
    return;
  }
  for (auto& r : g_timers) {
    if (!r.used) continue;
    if (r.glibc_thread) {
      CheckpointFailed("a POSIX timer notifies by starting a thread (SIGEV_THREAD): ",
                       "glibc's helper thread cannot be made again at restart", "");
      return;
    }
    r.left = {};
    RawSyscall(SYS_timer_gettime, r.kernel_id, reinterpret_cast<long>(&r.left));
  }
}

void RestorePosixTimers() {
  Guard guard;
  for (auto& r : g_timers) {
    if (!r.used) continue;
    struct sigevent ev = KernelEvent(r.ev);
    int id = -1;
    if (RawSyscall(SYS_timer_create, KernelClock(r.clock), reinterpret_cast<long>(&ev),
                   reinterpret_cast<long>(&id)) != 0)
      Fatal("restart: cannot make a POSIX timer of the program again");
    r.kernel_id = id;
    if (r.left.it_value.tv_sec || r.left.it_value.tv_nsec)
      RawSyscall(SYS_timer_settime, id, 0, reinterpret_cast<long>(&r.left), 0);
  }
}

void ForgetPosixTimers() {
  for (auto& r : g_timers) r.used = false;
  g_overflow = false;
}

}  // namespace dmtcp::rt

using namespace dmtcp::rt;

extern "C" int timer_create(clockid_t c, struct sigevent* ev, timer_t* timer) {
  static auto real = Next<int (*)(clockid_t, struct sigevent*, timer_t*)>("timer_create");
  struct sigevent kernel_ev;
  if (ev) kernel_ev = KernelEvent(*ev);
  const int r = real(c < 0 ? KernelClock(c) : c, ev ? &kernel_ev : nullptr, timer);
  if (r != 0) return r;
  Guard guard;
  for (auto& rec : g_timers) {
    if (rec.used) continue;
    rec = TimerRec{};
    rec.used = true;
    rec.glibc_thread = ev && ev->sigev_notify == SIGEV_THREAD;
    rec.program_id = reinterpret_cast<intptr_t>(*timer);
    rec.kernel_id = static_cast<int>(rec.program_id);
    rec.clock = c;
    if (ev) {
      rec.ev = *ev;
    } else {  // the default: SIGALRM with the timer's id as its value
      rec.ev.sigev_notify = SIGEV_SIGNAL;
      rec.ev.sigev_signo = SIGALRM;
      rec.ev.sigev_value.sival_int = rec.kernel_id;
    }
    return 0;
  }
  g_overflow = true;  // this one would not come back: refused at checkpoint
  return 0;
}

extern "C" int timer_settime(timer_t t, int flags, const struct itimerspec* v,
                             struct itimerspec* old) {
  static auto real =
      Next<int (*)(timer_t, int, const struct itimerspec*, struct itimerspec*)>("timer_settime");
  int id;
  {
    Guard guard;
    TimerRec* r = Find(t);
    if (!r || r->glibc_thread) return real(t, flags, v, old);
    id = r->kernel_id;
  }
  return Result(RawSyscall(SYS_timer_settime, id, flags, reinterpret_cast<long>(v),
                           reinterpret_cast<long>(old)));
}

extern "C" int timer_gettime(timer_t t, struct itimerspec* v) {
  static auto real = Next<int (*)(timer_t, struct itimerspec*)>("timer_gettime");
  int id;
  {
    Guard guard;
    TimerRec* r = Find(t);
    if (!r || r->glibc_thread) return real(t, v);
    id = r->kernel_id;
  }
  return Result(RawSyscall(SYS_timer_gettime, id, reinterpret_cast<long>(v)));
}

extern "C" int timer_getoverrun(timer_t t) {
  static auto real = Next<int (*)(timer_t)>("timer_getoverrun");
  int id;
  {
    Guard guard;
    TimerRec* r = Find(t);
    if (!r || r->glibc_thread) return real(t);
    id = r->kernel_id;
  }
  return Result(RawSyscall(SYS_timer_getoverrun, id));
}

extern "C" int timer_delete(timer_t t) {
  static auto real = Next<int (*)(timer_t)>("timer_delete");
  Guard guard;
  TimerRec* r = Find(t);
  if (!r) return real(t);
  r->used = false;
  if (r->glibc_thread) return real(t);
  return Result(RawSyscall(SYS_timer_delete, r->kernel_id));
}
