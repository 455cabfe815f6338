// workers [N] [steps] [delay_ms]
//
// A parent forks N workers; worker i sends "worker i step k" lines to the
// parent through its own pipe, then exits with status i. Workers write three
// times faster than the parent reads, so lines wait in the pipes (a
// checkpoint finds data in them). The parent reads the pipes in turn (so the
// output is deterministic), prints each line, and then waits for each
// worker by pid. It prints its own pid and its workers'
// pids at the start and again at the end: after a restart in between, a
// process keeps seeing the same pids.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kMaxWorkers = 16 };

static void sleep_ms(long ms) {
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, rem;
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

static int read_line(FILE *f, char *buf, size_t cap) {
  for (;;) {
    if (fgets(buf, (int)cap, f)) return 1;
    if (ferror(f) && errno == EINTR) {
      clearerr(f);
      continue;
    }
    return 0;
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  int steps = argc > 2 ? atoi(argv[2]) : 50;
  long delay = argc > 3 ? atol(argv[3]) : 100;
  if (n < 1 || n > kMaxWorkers) return 2;
  pid_t pids[kMaxWorkers];
  FILE *from[kMaxWorkers];
  for (int i = 0; i < n; i++) {
    int fds[2];
    if (pipe(fds) != 0) return 2;
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
      close(fds[0]);
      FILE *to = fdopen(fds[1], "w");
      for (int k = 1; k <= steps; k++) {
        fprintf(to, "worker %d step %d ppid-ok %d\n", i, k, getppid() != 1);
        fflush(to);
        sleep_ms(delay / 3);
      }
      fclose(to);
      _exit(i);
    }
    close(fds[1]);
    pids[i] = pid;
    from[i] = fdopen(fds[0], "r");
  }
  printf("parent %d workers", (int)getpid());
  for (int i = 0; i < n; i++) printf(" %d", (int)pids[i]);
  printf("\n");
  fflush(stdout);
  char line[256];
  for (int k = 1; k <= steps; k++) {
    for (int i = 0; i < n; i++) {
      if (!read_line(from[i], line, sizeof line)) {
        printf("lost worker %d at step %d\n", i, k);
        return 3;
      }
      fputs(line, stdout);
      fflush(stdout);
    }
    sleep_ms(delay);
  }
  for (int i = 0; i < n; i++) {
    int status = 0;
    pid_t r;
    while ((r = waitpid(pids[i], &status, 0)) < 0 && errno == EINTR) {
    }
    printf("waited %d: %s %d\n", (int)r, r == pids[i] ? "exit" : "WRONG PID",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  printf("parent %d workers", (int)getpid());
  for (int i = 0; i < n; i++) printf(" %d", (int)pids[i]);
  printf("\n");
  return 0;
}
