// barrier_steps DIR NAME STEPS DELAY_MS
//
// Test program for dmtcp_global_barrier() called by a program's thread: STEPS times, it appends
// "arrive NAME k" to the log DIR names in DIR/logname, calls dmtcp_global_barrier("step"), then
// appends "pass NAME k" and prints "step k"; it sleeps DELAY_MS after each step. Each line is
// written by its own open(O_APPEND), write and close, so the test can point later lines at
// another log (after a kill) by changing DIR/logname. It starts once DIR/start exists (the test
// makes it when every process joined: a barrier waits for the processes there are). Exits 0
// after the last step.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dmtcp.h"

// No checkpoint inside: one between reading DIR/logname (or opening the log) and the write would
// put the restarted process's line in the log of the run before the kill.
static void log_line(const char *dir, const char *what, const char *name, int k) {
  dmtcp_disable_ckpt();
  char path[4096], logname[256] = "";
  snprintf(path, sizeof path, "%s/logname", dir);
  FILE *f = fopen(path, "r");
  if (!f || !fgets(logname, sizeof logname, f)) exit(3);
  fclose(f);
  logname[strcspn(logname, "\n")] = 0;
  snprintf(path, sizeof path, "%s/%s", dir, logname);
  char line[256];
  int n = snprintf(line, sizeof line, "%s %s %d\n", what, name, k);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (fd < 0 || write(fd, line, (size_t)n) != n) exit(4);
  close(fd);
  dmtcp_enable_ckpt();
}

int main(int argc, char **argv) {
  if (argc != 5 || !dmtcp_global_barrier) {
    fprintf(stderr, "usage: barrier_steps DIR NAME STEPS DELAY_MS (under dmtcp_launch)\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const int steps = atoi(argv[3]);
  const long delay = atol(argv[4]);
  char start[4096];
  snprintf(start, sizeof start, "%s/start", argv[1]);
  while (access(start, F_OK) != 0) usleep(10000);
  for (int k = 1; k <= steps; k++) {
    log_line(argv[1], "arrive", argv[2], k);
    dmtcp_global_barrier("step");
    log_line(argv[1], "pass", argv[2], k);
    printf("step %d\n", k);
    struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
  }
  return 0;
}
