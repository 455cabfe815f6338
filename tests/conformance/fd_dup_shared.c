// One open file reached through three descriptors (dup, dup2 to a high number) and shared with a
// child: after restarts they still share one offset.
#include <sys/wait.h>

#include "conformance.h"

static int a, b, c;
static pid_t child;

static void setup(void) {
  a = SYS(open(scratch("shared.txt"), O_RDWR | O_CREAT | O_TRUNC, 0600));
  b = SYS(dup(a));
  c = SYS(dup2(a, 700));
  child = fork();
  if (child == 0) {
    while (!conformance_done()) sleep_ms(20);
    if (write(a, "child\n", 6) != 6) _exit(3);
    _exit(0);
  }
}

static void tick(void) {}

static void finish(void) {
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child");
  CHECK(write(b, "parent\n", 7) == 7, "write");
  CHECK(lseek(a, 0, SEEK_CUR) == 13 && lseek(c, 0, SEEK_CUR) == 13,
        "the descriptors no longer share one offset (%ld, %ld)", (long)lseek(a, 0, SEEK_CUR),
        (long)lseek(c, 0, SEEK_CUR));
  char buf[16] = {0};
  CHECK(pread(a, buf, 13, 0) == 13 && strcmp(buf, "child\nparent\n") == 0, "content: %s", buf);
}

CONFORMANCE_MAIN
