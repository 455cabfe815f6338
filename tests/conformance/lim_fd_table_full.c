// A program that uses every descriptor its soft limit allows (it lowered the limit to 256 and
// opened /dev/null until EMFILE): the checkpoint's own descriptors (the image, /proc files) must
// not fail it. After restarts the limit is the program's again and the table is still full.
#include <sys/resource.h>

#include "conformance.h"

#define LIMIT 256
static int first, last;

static void setup(void) {
  struct rlimit rl;
  SYS(getrlimit(RLIMIT_NOFILE, &rl));
  CHECK(rl.rlim_max > LIMIT + 64, "the hard limit %lu leaves no room above %d",
        (unsigned long)rl.rlim_max, LIMIT);
  rl.rlim_cur = LIMIT;
  SYS(setrlimit(RLIMIT_NOFILE, &rl));
  first = -1;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) {
      CHECK(errno == EMFILE, "open: %s", strerror(errno));
      break;
    }
    if (first < 0) first = fd;
    last = fd;
  }
  CHECK(last == LIMIT - 1, "the last descriptor is %d, not %d", last, LIMIT - 1);
}

static void tick(void) {
  for (int fd = first; fd <= last; fd++) CHECK(fcntl(fd, F_GETFD) >= 0, "descriptor %d closed", fd);
}

static void finish(void) {
  tick();
  struct rlimit rl;
  SYS(getrlimit(RLIMIT_NOFILE, &rl));
  CHECK(rl.rlim_cur == LIMIT, "the soft limit is %lu, not %d", (unsigned long)rl.rlim_cur, LIMIT);
  errno = 0;
  CHECK(open("/dev/null", O_RDONLY) < 0 && errno == EMFILE, "the table is not full: %s",
        strerror(errno));
}

CONFORMANCE_MAIN
