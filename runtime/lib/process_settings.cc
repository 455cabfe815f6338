// Resource limits the program set (setrlimit, ulimit in a script) belong to
// its state, and so do its umask, subreaper flag
// and interval timers: saved at each checkpoint and set again at restart,
// where the restart command's own would otherwise apply. A hard limit above
// what the restart's hard limit allows cannot be raised without privilege:
// then the limit is kept as close as it may be, and the restart says so. A
// timer gets back what was left of it at the checkpoint.
#include "process_settings.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "runtime.h"

namespace dmtcp::rt {
namespace {

const char* const kNames[kNumLimits] = {
    "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
    "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};

long Prlimit(int resource, const struct rlimit* set, struct rlimit* get) {
  return RawSyscall(SYS_prlimit64, 0, resource, reinterpret_cast<long>(set),
                    reinterpret_cast<long>(get));
}

// The limits the runtime raises while the program is stopped (RaiseLimitsForCheckpoint), and
// the program's own while they are raised: descriptors (the image, /proc files), the address
// space and data segment (the checkpoint's buffers), file size (the image) and CPU time (the
// checkpoint's own, which must not end in SIGXCPU or SIGXFSZ).
constexpr int kRaised[] = {RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_CPU};
constexpr int kNumRaised = sizeof kRaised / sizeof kRaised[0];
struct rlimit g_program_limit[kNumRaised];
bool g_limit_raised[kNumRaised];

// The program's own value of limit r where the runtime has raised it.
bool ProgramLimit(int r, struct rlimit* out) {
  for (int i = 0; i < kNumRaised; ++i)
    if (kRaised[i] == r && g_limit_raised[i]) {
      *out = g_program_limit[i];
      return true;
    }
  return false;
}

void SaveLimits() {
  for (int r = 0; r < kNumLimits; ++r) {
    struct rlimit l;
    g.limits_saved[r] = Prlimit(r, nullptr, &l) == 0;
    if (g.limits_saved[r]) ProgramLimit(r, &l);
    if (g.limits_saved[r]) {
      g.limits[r][0] = l.rlim_cur;
      g.limits[r][1] = l.rlim_max;
    }
  }
}

void RestoreLimits() {
  for (int r = 0; r < kNumLimits; ++r) {
    if (!g.limits_saved[r]) continue;
    struct rlimit want = {g.limits[r][0], g.limits[r][1]}, now;
    if (Prlimit(r, nullptr, &now) != 0) continue;
    if (now.rlim_cur == want.rlim_cur && now.rlim_max == want.rlim_max) continue;
    if (Prlimit(r, &want, nullptr) == 0) continue;
    // The hard limit cannot go up here: as much of the program's as fits.
    struct rlimit fit = {want.rlim_cur < now.rlim_max ? want.rlim_cur : now.rlim_max,
                         want.rlim_max < now.rlim_max ? want.rlim_max : now.rlim_max};
    Prlimit(r, &fit, nullptr);
    char was[24], is[24];
    FormatUint(was, sizeof was, want.rlim_max);
    FormatUint(is, sizeof is, now.rlim_max);
    Log("restart: the hard limit ", kNames[r], " cannot be raised back to ", was);
    Log("restart: it stays at ", is);
  }
}

}  // namespace

void RaiseLimitsForCheckpoint() {
  constexpr rlim_t kRoom = 64;  // descriptors: a few more, not the hard limit (select's sets)
  for (int i = 0; i < kNumRaised; ++i) {
    struct rlimit l;
    if (g_limit_raised[i] || Prlimit(kRaised[i], nullptr, &l) != 0 || l.rlim_cur >= l.rlim_max)
      continue;
    g_program_limit[i] = l;
    if (kRaised[i] != RLIMIT_NOFILE)
      l.rlim_cur = l.rlim_max;
    else
      l.rlim_cur = l.rlim_max - l.rlim_cur > kRoom ? l.rlim_cur + kRoom : l.rlim_max;
    g_limit_raised[i] = Prlimit(kRaised[i], &l, nullptr) == 0;
  }
}

void LowerLimitsAfterCheckpoint() {
  for (int i = 0; i < kNumRaised; ++i) {
    if (!g_limit_raised[i]) continue;
    g_limit_raised[i] = false;
    Prlimit(kRaised[i], &g_program_limit[i], nullptr);
  }
}

void ForgetRaisedLimits() {
  for (bool& raised : g_limit_raised) raised = false;
}

void SaveProcessSettings() {
  SaveLimits();
  ProcessSettings& p = g.settings;
  // umask can only be read by setting it: set it back at once.
  p.umask = static_cast<uint32_t>(RawSyscall(SYS_umask, 022));
  RawSyscall(SYS_umask, p.umask);
  int subreaper = 0;
  RawSyscall(SYS_prctl, PR_GET_CHILD_SUBREAPER, reinterpret_cast<long>(&subreaper));
  p.subreaper = subreaper;
  for (int which = 0; which < 3; ++which)
    RawSyscall(SYS_getitimer, which, reinterpret_cast<long>(&p.itimers[which]));
  p.saved = true;
}

void RestoreProcessSettings() {
  RestoreLimits();
  const ProcessSettings& p = g.settings;
  if (!p.saved) return;
  RawSyscall(SYS_umask, p.umask);
  if (p.subreaper) RawSyscall(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1);
  for (int which = 0; which < 3; ++which) {
    itimerval t = p.itimers[which];
    // A periodic ITIMER_REAL whose SIGALRM was still pending reads as
    // stopped: the kernel rearms it only when the signal is taken, and would
    // not in the restored process (that signal is raised again there).
    if (!t.it_value.tv_sec && !t.it_value.tv_usec) t.it_value = t.it_interval;
    if (t.it_value.tv_sec || t.it_value.tv_usec)
      RawSyscall(SYS_setitimer, which, reinterpret_cast<long>(&t), 0);
  }
}

}  // namespace dmtcp::rt
