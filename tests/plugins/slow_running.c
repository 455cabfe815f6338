// A plugin that takes its time when the program runs again (DMTCP_EVENT_RUNNING, after every
// checkpoint and restart): 300 ms, as a plugin that reconnects or re-registers something does.
// The program's threads already run meanwhile, while the checkpoint has not ended in the
// checkpoint thread: the conformance test proc_fork_churn forks children in that window.
#define _GNU_SOURCE
#include <time.h>

#include "dmtcp.h"

void dmtcp_event_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  if (event == DMTCP_EVENT_RUNNING) {
    struct timespec ts = {0, 300 * 1000 * 1000};
    while (nanosleep(&ts, &ts) != 0) {
    }
  }
  DMTCP_NEXT_EVENT_HOOK(event, data);
}
