// An eventfd holding a count: the count comes back, and it still counts.
#include <sys/eventfd.h>

#include "conformance.h"

static int fd;

static void setup(void) {
  fd = SYS(eventfd(0, EFD_NONBLOCK));
  uint64_t v = 41;
  CHECK(write(fd, &v, 8) == 8, "write");
}

static void tick(void) {}

static void finish(void) {
  uint64_t v = 1;
  CHECK(write(fd, &v, 8) == 8, "write");
  CHECK(read(fd, &v, 8) == 8 && v == 42, "count %llu, expected 42", (unsigned long long)v);
  CHECK(read(fd, &v, 8) < 0 && errno == EAGAIN, "not non-blocking any more");
}

CONFORMANCE_MAIN
