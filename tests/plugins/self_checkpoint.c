// self_checkpoint DIR
//
// Test program for the program interface's dmtcp_checkpoint(): each time DIR/go<N> appears
// (N = 1, 2, ...), calls dmtcp_checkpoint() and prints "checkpoint <N> returned <rc>"; exits 0
// once DIR/stop exists. Polls every 20 ms.
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "dmtcp.h"

static int exists(const char *dir, const char *name, int n) {
  char path[4096];
  if (n > 0)
    snprintf(path, sizeof path, "%s/%s%d", dir, name, n);
  else
    snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: self_checkpoint DIR\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  for (int n = 1; !exists(argv[1], "stop", 0);) {
    if (exists(argv[1], "go", n)) {
      int rc = dmtcp_checkpoint();
      printf("checkpoint %d returned %d\n", n, rc);
      ++n;
    }
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return 0;
}
