// A plugin for the fault tests (tests/e2e/ckpt_faults.sh): once $DMTCP_STALL_DIR/arm exists, the
// first process to reach the image-writing step of a checkpoint claims $DMTCP_STALL_DIR/stalled
// (writing its real pid there) and waits, at most 60 s, until $DMTCP_STALL_DIR/go exists. The
// test then kills that process or the coordinator in the middle of the checkpoint, while the
// other processes have written their new images and wait for the verdict.
// If $DMTCP_STALL_DIR/forever exists too, it blocks for good instead, in a read from a pipe that no
// one writes to (as a checkpoint thread stuck in the kernel would): the test of
// `dmtcp_command -k` on such a process (tests/e2e/kill_stuck.sh).
// If $DMTCP_STALL_DIR/lonely exists, it calls dmtcp_global_barrier("stall:lonely") instead, a
// barrier no other process reaches (tests/e2e/ckpt_barrier_deadlock.sh).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dmtcp.h"

static int exists(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

static void stall_if_armed(void) {
  const char *dir = getenv("DMTCP_STALL_DIR");
  if (!dir || !exists(dir, "arm")) return;
  char path[4096];
  snprintf(path, sizeof path, "%s/stalled", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return;  // another process stalls
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%ld\n", (long)syscall(SYS_getpid));
  if (write(fd, pid, (size_t)n) != n) _exit(3);
  close(fd);
  if (exists(dir, "lonely")) {
    dmtcp_global_barrier("stall:lonely");
    return;
  }
  if (exists(dir, "forever")) {
    int p[2];
    char c;
    if (pipe(p) == 0)
      while (read(p[0], &c, 1) <= 0) {
      }
    _exit(4);  // not reached: nothing writes to the pipe
  }
  for (int i = 0; i < 6000 && !exists(dir, "go"); i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

void dmtcp_event_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  if (event == DMTCP_EVENT_WRITE_CKPT) stall_if_armed();
  DMTCP_NEXT_EVENT_HOOK(event, data);
}
