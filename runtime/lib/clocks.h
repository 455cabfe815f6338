// Clock ids as the program knows them and as the kernel knows them now
// (CPU-time clocks name a process or thread, whose kernel id changes at
// restart): see clocks.cc.
#pragma once

#include <stdint.h>
#include <time.h>

namespace dmtcp::rt {

clockid_t KernelClock(clockid_t c);

// CPU time a process or thread used before a restart goes on counting:
// the new process starts from zero, so its own CPU-time clocks are read with
// what it had used at the checkpoint added (a program timing itself never
// sees time go back).
void SaveCpuTimes();                    // at checkpoint, by the checkpoint thread
void RestoreProcessCpuTime();           // in the restored process
int64_t ThreadCpuTimeNs();              // this thread's, as the program sees it
void RestoreThreadCpuTime(int64_t ns);  // in each restored thread

}  // namespace dmtcp::rt
