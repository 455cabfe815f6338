// zombies [ticks] [delay_ms]
//
// A parent with two children that end at once (one exits with status 7, one is killed by
// SIGTERM) and that it waits for only at the end: while it ticks, they are zombies. It then
// waits for each by pid and prints what it got, and whether the pids were those fork returned.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, rem;
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

int main(int argc, char **argv) {
  int ticks = argc > 1 ? atoi(argv[1]) : 30;
  long delay = argc > 2 ? atol(argv[2]) : 100;
  pid_t a = fork();
  if (a == 0) _exit(7);
  pid_t b = fork();
  if (b == 0) {
    kill(getpid(), SIGTERM);
    pause();
  }
  if (a < 0 || b < 0) return 2;
  for (int i = 1; i <= ticks; i++) {
    printf("tick %d\n", i);
    fflush(stdout);
    sleep_ms(delay);
  }
  int sa = 0, sb = 0;
  pid_t ra, rb;
  while ((ra = waitpid(a, &sa, 0)) < 0 && errno == EINTR) {
  }
  while ((rb = waitpid(b, &sb, 0)) < 0 && errno == EINTR) {
  }
  printf("first child: %s, exit %d\n", ra == a ? "same pid" : "WRONG PID",
         WIFEXITED(sa) ? WEXITSTATUS(sa) : -1);
  printf("second child: %s, signal %d\n", rb == b ? "same pid" : "WRONG PID",
         WIFSIGNALED(sb) ? WTERMSIG(sb) : -1);
  return 0;
}
