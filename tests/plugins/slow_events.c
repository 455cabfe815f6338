// A plugin that takes its time where the runtime hands control back to the program: 300 ms when
// the program runs again after a checkpoint or restart (DMTCP_EVENT_RUNNING, as a plugin that
// reconnects something does), and 2 ms in a parent after each fork (DMTCP_EVENT_ATFORK_PARENT).
// The conformance test proc_fork_churn forks all the time: this widens the windows where a
// checkpoint must not leave a child, or a restored parent, confused about what it was doing.
#define _GNU_SOURCE
#include <time.h>

#include "dmtcp.h"

static void sleep_ns(long ns) {
  struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

void dmtcp_event_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  if (event == DMTCP_EVENT_RUNNING) sleep_ns(300L * 1000 * 1000);
  if (event == DMTCP_EVENT_ATFORK_PARENT) sleep_ns(2L * 1000 * 1000);
  DMTCP_NEXT_EVENT_HOOK(event, data);
}
