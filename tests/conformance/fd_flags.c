// Descriptor and status flags: close-on-exec on one descriptor and not on another, O_NONBLOCK
// on a pipe, O_ASYNC... as the program set them.
#include "conformance.h"

static int p[2], f;

static void setup(void) {
  SYS(pipe2(p, O_CLOEXEC));
  SYS(fcntl(p[0], F_SETFD, 0));
  SYS(fcntl(p[1], F_SETFL, O_NONBLOCK));
  f = SYS(open(scratch("flags"), O_RDONLY | O_CREAT | O_NOATIME, 0600));
}

static void tick(void) {}

static void finish(void) {
  CHECK(!(fcntl(p[0], F_GETFD) & FD_CLOEXEC), "close-on-exec came back on the read end");
  CHECK(fcntl(p[1], F_GETFD) & FD_CLOEXEC, "close-on-exec lost on the write end");
  CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK, "O_NONBLOCK lost");
  CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK), "O_NONBLOCK appeared");
  CHECK(fcntl(f, F_GETFL) & O_NOATIME, "O_NOATIME lost");
}

CONFORMANCE_MAIN
