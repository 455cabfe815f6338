// /dev/null and /dev/zero, read and written, with their flags.
#include "conformance.h"

static int null_fd, zero_fd;

static void setup(void) {
  null_fd = SYS(open("/dev/null", O_WRONLY | O_APPEND));
  zero_fd = SYS(open("/dev/zero", O_RDONLY | O_CLOEXEC));
}

static void tick(void) {}

static void finish(void) {
  CHECK(write(null_fd, "x", 1) == 1, "write /dev/null");
  CHECK(fcntl(null_fd, F_GETFL) & O_APPEND, "O_APPEND lost");
  char b[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  CHECK(read(zero_fd, b, 8) == 8 && b[0] == 0 && b[7] == 0, "read /dev/zero");
  CHECK(fcntl(zero_fd, F_GETFD) & FD_CLOEXEC, "close-on-exec lost");
}

CONFORMANCE_MAIN
