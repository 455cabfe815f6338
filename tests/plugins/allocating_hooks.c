// A plugin whose per-thread hooks do what ordinary code does: malloc, stdio, a lock, a call the
// runtime wraps (setlocale, which waits while a checkpoint stops the program's threads). Each of
// PRE_SUSPEND_USER_THREAD and RESUME_USER_THREAD appends "<EVENT> <thread>" to hooks.log in the
// current directory with fopen/fprintf. Run in a stopped thread's signal handler (where DMTCP
// runs them) these deadlock as soon as a thread is stopped inside malloc; the conformance test
// thr_hooks_allocate runs threads that are in malloc most of the time.
#define _GNU_SOURCE
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmtcp.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void note(const char *event, pid_t tid) {
  char *line = malloc(256);
  if (line == NULL) return;
  const char *locale = setlocale(LC_ALL, NULL);
  snprintf(line, 256, "%s %d %s\n", event, (int)tid, locale ? "locale" : "none");
  pthread_mutex_lock(&lock);
  FILE *f = fopen("hooks.log", "a");
  if (f != NULL) {
    fputs(line, f);
    fclose(f);
  }
  pthread_mutex_unlock(&lock);
  free(line);
}

void dmtcp_event_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  if (event == DMTCP_EVENT_PRE_SUSPEND_USER_THREAD)
    note("PRE_SUSPEND_USER_THREAD", data->threadInfo.tid);
  if (event == DMTCP_EVENT_RESUME_USER_THREAD)
    note(data->threadInfo.isRestart ? "RESUME_USER_THREAD_RESTART" : "RESUME_USER_THREAD",
         data->threadInfo.tid);
  DMTCP_NEXT_EVENT_HOOK(event, data);
}
