// POSIX timers (timer_create) live in the kernel and are lost with the
// process: each timer the program made is recorded (clock, notification),
// its time left is saved at checkpoint, and a restart makes it again and
// arms it with what was left. The program keeps its timer id; the wrapped
// timer calls translate it to the kernel's id of the day.
#pragma once

namespace dmtcp::rt {

void SavePosixTimers();     // at checkpoint; refuses what cannot come back
void RestorePosixTimers();  // in the restored process, threads made again
void ForgetPosixTimers();   // in a forked child: timers are not inherited

}  // namespace dmtcp::rt
