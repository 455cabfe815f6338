// A program that closes every descriptor above 2, as daemons and old codes do (a close() loop up
// to the limit, closefrom, close_range) and moves descriptors onto numbers with dup2 across the
// whole range: it keeps running under checkpoints, and its own descriptors come back.
#include <sys/resource.h>

#include "conformance.h"

static int fd;

static void setup(void) {
  struct rlimit rl;
  SYS(getrlimit(RLIMIT_NOFILE, &rl));
  int top = rl.rlim_cur > 8192 ? 8192 : (int)rl.rlim_cur;
  for (int i = 3; i < top; i++) close(i);
  closefrom(3);
  SYS(close_range(3, ~0U, 0));
  // dup2 onto every number, then close them again: nothing of the runtime may be in the way.
  int null = SYS(open("/dev/null", O_RDONLY));
  for (int i = 3; i < top; i++)
    if (i != null) SYS(dup2(null, i));
  for (int i = 3; i < top; i++) close(i);
  fd = SYS(open(scratch("kept"), O_RDWR | O_CREAT | O_TRUNC, 0600));
  CHECK(write(fd, "0123456789", 10) == 10, "write");
  SYS(lseek(fd, 4, SEEK_SET));
}

static void tick(void) {}

static void finish(void) {
  char c = 0;
  CHECK(read(fd, &c, 1) == 1 && c == '4', "the file's offset did not come back (read '%c')", c);
}

CONFORMANCE_MAIN
