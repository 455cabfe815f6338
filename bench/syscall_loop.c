// bench_syscalls [iterations]
//
// Calls that the runtime wraps, each in a tight loop, and one it does not (read) as a control:
// prints "<call> <nanoseconds per call>" for each. Run bare and under dmtcp_launch, the
// difference is what the wrappers cost.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define TIME(name, ...)                                              \
  do {                                                               \
    double t0 = now_ns();                                            \
    for (long i = 0; i < iterations; ++i) {                          \
      __VA_ARGS__;                                                   \
    }                                                                \
    printf("%s %.1f\n", name, (now_ns() - t0) / (double)iterations); \
  } while (0)

int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 200000;
  volatile long sink = 0;
  char byte;
  int zero = open("/dev/zero", O_RDONLY);
  int p[2];
  if (zero < 0 || pipe(p) != 0) return 2;
  TIME("read", sink += read(zero, &byte, 1));
  TIME("getpid", sink += getpid());
  TIME("kill", sink += kill(getpid(), 0));
  TIME("open_close", {
    int fd = open("/dev/null", O_RDONLY);
    sink += fd;
    close(fd);
  });
  TIME("poll", {
    struct pollfd pf = {p[0], POLLIN, 0};
    sink += poll(&pf, 1, 0);
  });
  TIME("select", {
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {0, 0};
    sink += select(p[0] + 1, &r, NULL, NULL, &tv);
  });
  TIME("waitpid", sink += waitpid(-1, NULL, WNOHANG));
  return sink == 42 ? 1 : 0;
}
