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
// Room for the runtime's own descriptors while the program is stopped for a
// checkpoint (the image, /proc files): a program that uses all of its soft
// limit would otherwise fail the checkpoint. The image keeps the program's
// limit; it is set back before the program runs again.
void RaiseDescriptorLimit();
void RestoreDescriptorLimit();
void ForgetDescriptorLimit();  // in the restored process: its limits come from the image

}  // namespace dmtcp::rt
