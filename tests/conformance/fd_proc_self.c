// Descriptors on /proc/self/status and on /proc/<pid>/stat of a child of the computation: after a
// restart they read the process they name (the child's pid seen through its virtual pid).
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static int self_fd, child_fd;
static pid_t child;

static void setup(void) {
  child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", child);
  self_fd = SYS(open("/proc/self/status", O_RDONLY));
  child_fd = SYS(open(path, O_RDONLY));
}

static void tick(void) {}

static void finish(void) {
  char buf[4096];
  ssize_t n = pread(self_fd, buf, sizeof buf - 1, 0);
  CHECK(n > 0, "read /proc/self/status: %s", strerror(errno));
  buf[n] = 0;
  CHECK(strstr(buf, "Name:") != NULL, "not a status file");
  n = pread(child_fd, buf, sizeof buf - 1, 0);
  CHECK(n > 0, "read the child's stat: %s", strerror(errno));
  buf[n] = 0;
  CHECK(strstr(buf, "(fd_proc_self)") != NULL, "the descriptor reads another process: %.60s", buf);
  SYS(kill(child, SIGKILL));
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFSIGNALED(st), "waitpid");
}

CONFORMANCE_MAIN
