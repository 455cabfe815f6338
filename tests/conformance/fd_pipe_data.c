// A pipe within the process with 100000 bytes waiting in it (its size raised to 256 KiB): after
// restarts the data is there, in order, and the size too.
#include "conformance.h"

static int p[2];
static char data[100000];

static void setup(void) {
  for (int i = 0; i < (int)sizeof data; i++) data[i] = (char)(i * 13 + 5);
  SYS(pipe(p));
  SYS(fcntl(p[1], F_SETPIPE_SZ, 262144));
  CHECK(write(p[1], data, sizeof data) == (ssize_t)sizeof data, "write");
}

static void tick(void) {}

static void finish(void) {
  CHECK(fcntl(p[0], F_GETPIPE_SZ) >= 262144, "pipe size %d", fcntl(p[0], F_GETPIPE_SZ));
  static char got[sizeof data];
  size_t n = 0;
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  while (n < sizeof got) {
    ssize_t r = read(p[0], got + n, sizeof got - n);
    CHECK(r > 0, "only %zu of %zu bytes in the pipe", n, sizeof got);
    n += (size_t)r;
  }
  CHECK(memcmp(got, data, sizeof data) == 0, "the pipe's data changed");
  CHECK(read(p[0], got, 1) < 0 && errno == EAGAIN, "more data than was written");
}

CONFORMANCE_MAIN
