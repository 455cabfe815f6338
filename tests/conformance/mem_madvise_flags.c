// Areas the program marked MADV_DONTFORK and MADV_DONTDUMP: the marks come back (a child forked
// after restarts does not get the first).
// FORKED-IN-PLACE: a forked child would not have the MADV_DONTFORK area to write
#include <sys/mman.h>
#include <sys/wait.h>

#include "conformance.h"

static char *nofork, *nodump;

static int area_has_flag(void *addr, const char *flag) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512], start[32];
  snprintf(start, sizeof start, "%lx-", (unsigned long)addr);
  int in = 0, found = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] >= '0' && line[0] <= 'f' && strchr(line, '-') && strncmp(line, "VmFlags", 7))
      in = strncmp(line, start, strlen(start)) == 0;
    if (in && strncmp(line, "VmFlags:", 8) == 0) {
      char want[8];
      snprintf(want, sizeof want, " %s", flag);
      found = strstr(line, want) != NULL;
    }
  }
  fclose(f);
  return found;
}

static void setup(void) {
  nofork = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  nodump = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(nofork != MAP_FAILED && nodump != MAP_FAILED, "mmap");
  SYS(madvise(nofork, 8192, MADV_DONTFORK));
  SYS(madvise(nodump, 8192, MADV_DONTDUMP));
  nofork[0] = 1;
  nodump[0] = 2;
}

static void tick(void) {}

static void finish(void) {
  CHECK(nofork[0] == 1 && nodump[0] == 2, "data");
  CHECK(area_has_flag(nofork, "dc") == 1, "MADV_DONTFORK is gone");
  CHECK(area_has_flag(nodump, "dd") == 1, "MADV_DONTDUMP is gone");
}

CONFORMANCE_MAIN
