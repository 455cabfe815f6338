// 400 pseudo-terminals, each with output its slave wrote and its master has not read (a
// terminal multiplexer, stress-ng's pty stressor): after restarts every master reads exactly
// its own output. The checkpoint once waited 20 ms a pty for late output (24 s for stress-ng).
#include <poll.h>
#include <pty.h>

#include "conformance.h"

enum { kPtys = 400 };
static int master[kPtys], slave[kPtys];

static void setup(void) {
  for (int i = 0; i < kPtys; ++i) {
    SYS(openpty(&master[i], &slave[i], NULL, NULL, NULL));
    char line[64];
    int n = snprintf(line, sizeof line, "pty %d of %d\n", i, kPtys);
    CHECK(write(slave[i], line, (size_t)n) == n, "write to slave %d", i);
  }
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < kPtys; ++i) {
    char want[64], got[64] = {0};
    int n = snprintf(want, sizeof want, "pty %d of %d\r\n", i, kPtys);
    size_t have = 0;
    while (have < (size_t)n) {
      struct pollfd p = {master[i], POLLIN, 0};
      if (poll(&p, 1, 1000) <= 0) break;
      ssize_t r = read(master[i], got + have, sizeof got - 1 - have);
      if (r <= 0) break;
      have += (size_t)r;
    }
    CHECK(have == (size_t)n && memcmp(got, want, (size_t)n) == 0,
          "master %d read %zu bytes, '%.*s', not '%s'", i, have, (int)have, got, want);
  }
}

CONFORMANCE_MAIN
