// CPU-time clocks name their process or thread inside the clock id
// (~id << 3 | kind, kind bit 2 for a thread). A program gets them for
// virtual pids (clock_getcpuclockid(getpid())) and keeps them across
// restarts, after which its threads have new kernel ids: the wrapped clock
// calls translate the id to the kernel's, and clock_getcpuclockid makes
// clocks that name virtual pids so that they stay valid.
#include "clocks.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include "pids.h"
#include "runtime.h"
#include "thread_ids.h"

namespace dmtcp::rt {
namespace {

constexpr clockid_t kThreadBit = 4;

clockid_t MakeCpuClock(pid_t id, clockid_t kind) {
  return static_cast<clockid_t>((~id << 3) | kind);
}
pid_t ClockOwner(clockid_t c) { return ~(c >> 3); }

}  // namespace

clockid_t KernelClock(clockid_t c) {
  if (c >= 0) return c;
  const pid_t id = ClockOwner(c);
  if (id == 0) return c;  // this process or thread
  pid_t real = (c & kThreadBit) ? CurrentTid(RealTid(id)) : RealPid(id);
  return real == id ? c : MakeCpuClock(real, c & 7);
}

namespace {

int64_t g_process_cpu_offset_ns;  // added to this process's CPU time
int64_t g_process_cpu_saved_ns;   // as the program saw it at the checkpoint
__thread int64_t t_thread_cpu_offset_ns __attribute__((tls_model("initial-exec")));

int64_t KernelCpuNs(clockid_t c) {
  struct timespec ts = {};
  RawSyscall(SYS_clock_gettime, c, reinterpret_cast<long>(&ts));
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void AddNs(struct timespec* ts, int64_t ns) {
  int64_t t = ts->tv_sec * 1000000000LL + ts->tv_nsec + ns;
  ts->tv_sec = t / 1000000000LL;
  ts->tv_nsec = t % 1000000000LL;
}

}  // namespace

void SaveCpuTimes() {
  g_process_cpu_saved_ns = KernelCpuNs(CLOCK_PROCESS_CPUTIME_ID) + g_process_cpu_offset_ns;
}

void RestoreProcessCpuTime() {
  g_process_cpu_offset_ns = g_process_cpu_saved_ns - KernelCpuNs(CLOCK_PROCESS_CPUTIME_ID);
}

int64_t ThreadCpuTimeNs() { return KernelCpuNs(CLOCK_THREAD_CPUTIME_ID) + t_thread_cpu_offset_ns; }

void RestoreThreadCpuTime(int64_t ns) {
  t_thread_cpu_offset_ns = ns - KernelCpuNs(CLOCK_THREAD_CPUTIME_ID);
}

}  // namespace dmtcp::rt

using namespace dmtcp::rt;

extern "C" int clock_gettime(clockid_t c, struct timespec* ts) {
  static auto real = Next<int (*)(clockid_t, struct timespec*)>("clock_gettime");
  const int r = real(c < 0 ? KernelClock(c) : c, ts);
  if (r == 0 && c == CLOCK_PROCESS_CPUTIME_ID) AddNs(ts, g_process_cpu_offset_ns);
  if (r == 0 && c == CLOCK_THREAD_CPUTIME_ID) AddNs(ts, t_thread_cpu_offset_ns);
  return r;
}

extern "C" int clock_getres(clockid_t c, struct timespec* ts) {
  static auto real = Next<int (*)(clockid_t, struct timespec*)>("clock_getres");
  return real(c < 0 ? KernelClock(c) : c, ts);
}

extern "C" int clock_nanosleep(clockid_t c, int flags, const struct timespec* t,
                               struct timespec* rem) {
  static auto real =
      Next<int (*)(clockid_t, int, const struct timespec*, struct timespec*)>("clock_nanosleep");
  return real(c < 0 ? KernelClock(c) : c, flags, t, rem);
}

extern "C" int clock_getcpuclockid(pid_t pid, clockid_t* c) {
  // glibc checks the clock against the kernel; the clock the program keeps
  // names the virtual pid.
  static auto real = Next<int (*)(pid_t, clockid_t*)>("clock_getcpuclockid");
  if (pid == 0) return real(pid, c);
  clockid_t kernel;
  const int r = real(RealPid(pid), &kernel);
  if (r == 0) *c = MakeCpuClock(pid, kernel & 7);
  return r;
}
