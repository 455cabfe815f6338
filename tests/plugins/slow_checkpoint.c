// A plugin whose checkpoints take as long as the test says: at each image-writing step it sleeps
// the milliseconds written in the file $DMTCP_SLOW_CKPT_FILE (none if the file is absent). The
// test of dmtcp_job --interval auto (tests/e2e/job_auto_interval.sh) injects checkpoint costs
// with it. (open and read, not stdio: the program's threads are stopped, perhaps in malloc.)
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dmtcp.h"

static long read_ms(const char *path) {
  char buf[32];
  int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  long ms = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) ms = ms * 10 + (buf[i] - '0');
  return ms;
}

void dmtcp_event_hook(DmtcpEvent_t event, DmtcpEventData_t *data) {
  if (event == DMTCP_EVENT_WRITE_CKPT) {
    long ms = read_ms(getenv("DMTCP_SLOW_CKPT_FILE"));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&ts, &ts) != 0) {
    }
  }
  DMTCP_NEXT_EVENT_HOOK(event, data);
}
