// shared_counter [steps] [delay_ms]
//
// A parent and a forked child share one page (MAP_SHARED | MAP_ANONYMOUS). Each adds 1 to a
// shared counter `steps` times, in turns (a turn flag in the same page decides who goes), so the
// output is deterministic. The parent prints the counter after each of its turns; at the end it
// prints "final <n>", which is 2*steps only if the page stayed shared all along.
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
  atomic_int turn;  // 0: parent, 1: child
  atomic_long counter;
};

static void sleep_ms(long ms) {
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, rem;
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

static void take_turns(struct shared *s, int me, int steps, long delay, int print) {
  for (int k = 0; k < steps; k++) {
    while (atomic_load(&s->turn) != me) sleep_ms(1);
    long v = atomic_fetch_add(&s->counter, 1) + 1;
    if (print) {
      printf("parent turn %d counter %ld\n", k + 1, v);
      fflush(stdout);
    }
    atomic_store(&s->turn, 1 - me);
    sleep_ms(delay);
  }
}

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 100;
  long delay = argc > 2 ? atol(argv[2]) : 20;
  struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    take_turns(s, 1, steps, delay, 0);
    _exit(0);
  }
  take_turns(s, 0, steps, delay, 1);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  printf("final %ld\n", atomic_load(&s->counter));
  return 0;
}
