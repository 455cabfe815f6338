// A DMTCP 2 style plugin for the tests: its dmtcp_event_hook appends
//   <pid> <tid> <TAG> <event number>[ isRestart=<n>][ thread=<tid>]
// to $DMTCP_EVENT_LOG for every event, then passes the event on with DMTCP_NEXT_EVENT_HOOK. Two
// copies (-DTAG=A, -DTAG=B) loaded together show the hook chain: A's line, then B's, for each
// event. Numbers, not names: the test maps them with the order of the event enum in dmtcp.h.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dmtcp.h"

#ifndef TAG
#define TAG X
#endif
#define STR2(x) #x
#define STR(x) STR2(x)

void dmtcp_event_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  const char *path = getenv("DMTCP_EVENT_LOG");
  if (path != NULL && *path != '\0') {
    int saved_errno = errno;
    char line[128];
    char restart[48] = "";
    switch (event) {
      case DMTCP_EVENT_REGISTER_NAME_SERVICE_DATA:
      case DMTCP_EVENT_SEND_QUERIES:
      case DMTCP_EVENT_REFILL:
      case DMTCP_EVENT_THREADS_RESUME:
        if (data != NULL) {
          snprintf(restart, sizeof restart, " isRestart=%d", data->resumeInfo.isRestart);
        } else {
          snprintf(restart, sizeof restart, " isRestart=?");
        }
        break;
      case DMTCP_EVENT_THREAD_RESUME:
      case DMTCP_EVENT_RESUME_USER_THREAD:
        snprintf(restart, sizeof restart, " isRestart=%d thread=%d", data->threadInfo.isRestart,
                 (int)data->threadInfo.tid);
        break;
      case DMTCP_EVENT_PRE_SUSPEND_USER_THREAD:
        snprintf(restart, sizeof restart, " thread=%d", (int)data->threadInfo.tid);
        break;
      default:
        break;
    }
    int len = snprintf(line, sizeof line, "%d %ld %s %d%s\n", (int)getpid(),
                       (long)syscall(SYS_gettid), STR(TAG), (int)event, restart);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      if (len > 0) {
        ssize_t n = write(fd, line, (size_t)len);
        (void)n;
      }
      close(fd);
    }
    errno = saved_errno;
  }
  DMTCP_NEXT_EVENT_HOOK(event, data);
}
