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
// Room for the runtime while the program is stopped for a checkpoint: a few
// more descriptors (the image, /proc files), and the soft limits of address
// space, data, file size and CPU time up to the hard ones (the checkpoint's
// buffers, its image, its own CPU time). A program at its soft limits would
// otherwise fail the checkpoint, or be killed by SIGXFSZ or SIGXCPU. The
// image keeps the program's limits; they are set back before it runs again.
void RaiseLimitsForCheckpoint();
void LowerLimitsAfterCheckpoint();
void ForgetRaisedLimits();  // in the restored process: its limits come from the image

}  // namespace dmtcp::rt
