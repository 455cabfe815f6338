// Realtime signals queue: one pending bit stands for every instance sent,
// each with its own value (sigqueue). The instances pending for the process
// are taken out at checkpoint with their siginfo and queued again, in order,
// after the image is written and in the restored process.
#pragma once

namespace dmtcp::rt {

void TakeQueuedSignals();  // by the checkpoint thread, the program's threads stopped
void QueueSignalsAgain();  // after the image is written; in the restored process

}  // namespace dmtcp::rt
