// sleep_wrapper.c: a plugin that wraps sleep() and usleep().
//
// Build one plugin per tag:
//   cc -shared -fPIC -DTAG=A -I<prefix>/include -o sleep_wrapper_a.so sleep_wrapper.c
// Use:  DMTCP_EVENT_LOG=/tmp/log dmtcp_launch --with-plugin $PWD/sleep_wrapper_a.so:$PWD/... prog
//
// When the program calls sleep(s), this plugin's sleep() runs instead: it logs the call, calls
// NEXT_FNC(sleep) (the next plugin's wrapper, or at the end libc's sleep), and logs the return.
// With two plugins wrapping the same call, the first one given to --with-plugin is called first,
// so the log of `--with-plugin A.so:B.so` reads
//
//   <pid> <tid> A sleep 1 enter <ns>
//   <pid> <tid> B sleep 1 enter <ns>
//   <pid> <tid> B sleep 1 leave <ns> rc=0
//   <pid> <tid> A sleep 1 leave <ns> rc=0
//
// (<ns>: CLOCK_MONOTONIC in nanoseconds). The plugin also logs "<TAG> INIT" and "<TAG> EXIT"
// from its event hook: INIT reaches plugins in load order, EXIT in reverse load order.
// Lines are appended to $DMTCP_EVENT_LOG with open(O_APPEND)/write, never stdio.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dmtcp.h"

#ifndef TAG
#define TAG X
#endif
#define STR2(x) #x
#define STR(x) STR2(x)
#define TAG_STR STR(TAG)

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// Appends "<pid> <tid> <TAG> <formatted text>\n" to $DMTCP_EVENT_LOG. errno is preserved: the
// wrapped call's errno is what the program must see.
static void log_fmt(const char *fmt, ...) {
  const char *path = getenv("DMTCP_EVENT_LOG");
  if (path == NULL || *path == '\0') return;
  int saved_errno = errno;
  char line[200];
  // The prefix always fits; the text is truncated if need be, leaving room for the newline.
  snprintf(line, sizeof line - 1, "%d %ld %s ", (int)getpid(), (long)syscall(SYS_gettid), TAG_STR);
  size_t len = strlen(line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + len, sizeof line - 1 - len, fmt, ap);
  va_end(ap);
  len = strlen(line);
  line[len++] = '\n';
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ssize_t n = write(fd, line, len);
    (void)n;
    close(fd);
  }
  errno = saved_errno;
}

unsigned int sleep(unsigned int seconds) {
  log_fmt("sleep %u enter %lld", seconds, now_ns());
  unsigned int rc = NEXT_FNC(sleep)(seconds);
  int saved_errno = errno;
  log_fmt("sleep %u leave %lld rc=%u", seconds, now_ns(), rc);
  errno = saved_errno;
  return rc;
}

int usleep(useconds_t usec) {
  log_fmt("usleep %u enter %lld", (unsigned)usec, now_ns());
  int rc = NEXT_FNC(usleep)(usec);
  int saved_errno = errno;
  log_fmt("usleep %u leave %lld rc=%d", (unsigned)usec, now_ns(), rc);
  errno = saved_errno;
  return rc;
}

static void sleep_wrapper_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  (void)data;
  if (event == DMTCP_EVENT_INIT) log_fmt("INIT");
  if (event == DMTCP_EVENT_EXIT) log_fmt("EXIT");
}

static DmtcpPluginDescriptor_t sleep_wrapper_plugin = {
    DMTCP_PLUGIN_API_VERSION,
    DMTCP_PACKAGE_VERSION,
    "sleep_wrapper_" TAG_STR,
    "dmtcp-ng examples",
    "",
    "Logs sleep() and usleep() calls, then calls the next definition",
    sleep_wrapper_hook};

DMTCP_DECL_PLUGIN(sleep_wrapper_plugin);
