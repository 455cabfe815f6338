// A parent with four children, each sending it numbered lines through its own pipe faster than
// the parent reads: every line arrives once, in order per child, across restarts.
#include <sys/wait.h>

#include "conformance.h"

enum { kKids = 4, kLines = 400 };
static int fds[kKids];
static pid_t kids[kKids];
static int next_line[kKids];
static FILE *in[kKids];

static void setup(void) {
  for (int i = 0; i < kKids; i++) {
    int p[2];
    SYS(pipe(p));
    kids[i] = fork();
    if (kids[i] == 0) {
      close(p[0]);
      FILE *out = fdopen(p[1], "w");
      for (int l = 0; l < kLines; l++) {
        fprintf(out, "child %d line %d\n", i, l);
        fflush(out);
        sleep_ms(2);
      }
      _exit(0);
    }
    close(p[1]);
    fds[i] = p[0];
    in[i] = fdopen(p[0], "r");
  }
}

static void read_some(int block) {
  for (int i = 0; i < kKids; i++) {
    char line[64];
    for (int k = 0; k < (block ? kLines : 2) && next_line[i] < kLines; k++) {
      if (!fgets(line, sizeof line, in[i]))
        conformance_fail("child %d's pipe ended at line %d", i, next_line[i]);
      int c, l;
      CHECK(sscanf(line, "child %d line %d", &c, &l) == 2 && c == i && l == next_line[i],
            "child %d: expected line %d, got %s", i, next_line[i], line);
      next_line[i]++;
    }
  }
}

static void tick(void) { read_some(0); }

static void finish(void) {
  read_some(1);
  for (int i = 0; i < kKids; i++) {
    int st;
    CHECK(waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d",
          i);
  }
}

CONFORMANCE_MAIN
