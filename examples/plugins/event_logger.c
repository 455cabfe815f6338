// event_logger.c: a DMTCP 3 style plugin that logs every event it receives.
//
// Build:  cc -shared -fPIC -I<prefix>/include -o event_logger.so event_logger.c
// Use:    DMTCP_EVENT_LOG=/tmp/events.log dmtcp_launch --with-plugin $PWD/event_logger.so prog
//
// Each event appends one line to the file named by $DMTCP_EVENT_LOG (nothing is logged when it is
// unset):
//
//   <pid> <tid> <EVENT>[ isRestart=<0|1>][ thread=<tid>]
//
// where EVENT is the name without DMTCP_EVENT_, isRestart is shown for the events that carry it
// (REGISTER_NAME_SERVICE_DATA, SEND_QUERIES, REFILL, THREADS_RESUME, THREAD_RESUME,
// RESUME_USER_THREAD), and thread= names the program thread a per-thread event is about
// (PRE_SUSPEND_USER_THREAD, THREAD_RESUME, RESUME_USER_THREAD: they run on the checkpoint thread).
//
// Most hooks run on the checkpoint thread while the program's threads are stopped, possibly in
// the middle of malloc or printf. So a hook must not use stdio or malloc: this one formats into a
// stack buffer with snprintf and appends it with open(O_APPEND)/write/close, all async-signal-
// safe in practice. Opening the file for every line keeps it correct across fork, exec and
// restart (no descriptor to carry over), and O_APPEND keeps lines of several processes whole.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dmtcp.h"

static const char *event_name(DmtcpEvent_t event) {
  switch (event) {
#define NAME(e)         \
  case DMTCP_EVENT_##e: \
    return #e
    NAME(INIT);
    NAME(EXIT);
    NAME(PRE_EXEC);
    NAME(POST_EXEC);
    NAME(ATFORK_PREPARE);
    NAME(ATFORK_PARENT);
    NAME(ATFORK_CHILD);
    NAME(ATFORK_FAILED);
    NAME(VFORK_PREPARE);
    NAME(VFORK_PARENT);
    NAME(VFORK_CHILD);
    NAME(VFORK_FAILED);
    NAME(PTHREAD_START);
    NAME(PTHREAD_EXIT);
    NAME(PTHREAD_RETURN);
    NAME(PRESUSPEND);
    NAME(PRECHECKPOINT);
    NAME(RESUME);
    NAME(RESTART);
    NAME(RUNNING);
    NAME(THREAD_RESUME);
    NAME(OPEN_FD);
    NAME(REOPEN_FD);
    NAME(CLOSE_FD);
    NAME(DUP_FD);
    NAME(VIRTUAL_TO_REAL_PATH);
    NAME(REAL_TO_VIRTUAL_PATH);
    NAME(WAIT_FOR_SUSPEND_MSG);
    NAME(THREADS_SUSPEND);
    NAME(LEADER_ELECTION);
    NAME(PRE_CKPT_NAME_SERVICE_DATA_REGISTER);
    NAME(PRE_CKPT_NAME_SERVICE_DATA_QUERY);
    NAME(DRAIN);
    NAME(WRITE_CKPT);
    NAME(REGISTER_NAME_SERVICE_DATA);
    NAME(SEND_QUERIES);
    NAME(REFILL);
    NAME(THREADS_RESUME);
    NAME(PRE_SUSPEND_USER_THREAD);
    NAME(RESUME_USER_THREAD);
    NAME(THREAD_START);
    NAME(THREAD_CREATED);
#undef NAME
    default:
      return NULL;
  }
}

// Appends one line to $DMTCP_EVENT_LOG; errno is preserved, since hooks run inside the program's
// own calls (fork, exec, exit...).
static void log_line(const char *line, size_t len) {
  const char *path = getenv("DMTCP_EVENT_LOG");
  if (path == NULL || *path == '\0') return;
  int saved_errno = errno;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ssize_t n = write(fd, line, len);
    (void)n;
    close(fd);
  }
  errno = saved_errno;
}

static void event_logger_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  char line[160];
  char unknown[32];
  const char *name = event_name(event);
  if (name == NULL) {
    snprintf(unknown, sizeof unknown, "UNKNOWN_%d", (int)event);
    name = unknown;
  }
  int len;
  long tid = syscall(SYS_gettid);
  switch (event) {
    case DMTCP_EVENT_REGISTER_NAME_SERVICE_DATA:
    case DMTCP_EVENT_SEND_QUERIES:
    case DMTCP_EVENT_REFILL:
    case DMTCP_EVENT_THREADS_RESUME:
      // The four isRestart members share one layout; resumeInfo stands for all of them.
      if (data != NULL) {
        len = snprintf(line, sizeof line, "%d %ld %s isRestart=%d\n", (int)getpid(), tid, name,
                       data->resumeInfo.isRestart);
      } else {
        len = snprintf(line, sizeof line, "%d %ld %s isRestart=?\n", (int)getpid(), tid, name);
      }
      break;
    case DMTCP_EVENT_THREAD_RESUME:
    case DMTCP_EVENT_RESUME_USER_THREAD:
      len = snprintf(line, sizeof line, "%d %ld %s isRestart=%d thread=%d\n", (int)getpid(), tid,
                     name, data->threadInfo.isRestart, (int)data->threadInfo.tid);
      break;
    case DMTCP_EVENT_PRE_SUSPEND_USER_THREAD:
      len = snprintf(line, sizeof line, "%d %ld %s thread=%d\n", (int)getpid(), tid, name,
                     (int)data->threadInfo.tid);
      break;
    default:
      len = snprintf(line, sizeof line, "%d %ld %s\n", (int)getpid(), tid, name);
      break;
  }
  if (len > 0) log_line(line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

static DmtcpPluginDescriptor_t event_logger_plugin = {DMTCP_PLUGIN_API_VERSION,
                                                      DMTCP_PACKAGE_VERSION,
                                                      "event_logger",
                                                      "dmtcp-ng examples",
                                                      "",
                                                      "Logs every event to $DMTCP_EVENT_LOG",
                                                      event_logger_hook};

DMTCP_DECL_PLUGIN(event_logger_plugin);
