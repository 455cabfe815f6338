// What the kernel keeps for a process that the program may have set and
// that a restart would otherwise take from the restart command: resource
// limits, the file mode mask, being a subreaper, and the interval timers
// (alarm, setitimer). The execution domain and the nice value are per
// thread in the kernel: threads.cc keeps those.
// Saved at each checkpoint, set again at restart (see process_settings.cc).
#pragma once

namespace dmtcp::rt {

constexpr int kNumLimits = 16;  // RLIMIT_CPU .. RLIMIT_RTTIME
void SaveProcessSettings();     // at checkpoint, threads stopped
void RestoreProcessSettings();  // in the restored process, before the program runs

}  // namespace dmtcp::rt
