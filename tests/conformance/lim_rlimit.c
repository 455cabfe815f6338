// Resource limits the program set (open files, core size, stack, address space): after restarts
// they are the program's, not the launch-time ones.
#include <sys/resource.h>

#include "conformance.h"

static void setup(void) {
  struct rlimit r = {777, 888};
  SYS(setrlimit(RLIMIT_NOFILE, &r));
  r.rlim_cur = 0;
  r.rlim_max = 12345678;
  SYS(setrlimit(RLIMIT_CORE, &r));
  r.rlim_cur = 16 << 20;
  r.rlim_max = RLIM_INFINITY;
  SYS(setrlimit(RLIMIT_STACK, &r));
  r.rlim_cur = 64ULL << 30;
  SYS(setrlimit(RLIMIT_AS, &r));
}

static void tick(void) {}

static void finish(void) {
  struct rlimit r;
  SYS(getrlimit(RLIMIT_NOFILE, &r));
  CHECK(r.rlim_cur == 777 && r.rlim_max == 888, "RLIMIT_NOFILE %llu/%llu",
        (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
  SYS(getrlimit(RLIMIT_CORE, &r));
  CHECK(r.rlim_cur == 0 && r.rlim_max == 12345678, "RLIMIT_CORE");
  SYS(getrlimit(RLIMIT_STACK, &r));
  CHECK(r.rlim_cur == 16 << 20, "RLIMIT_STACK %llu", (unsigned long long)r.rlim_cur);
  SYS(getrlimit(RLIMIT_AS, &r));
  CHECK(r.rlim_cur == 64ULL << 30, "RLIMIT_AS");
}

CONFORMANCE_MAIN
