// Shared anonymous memory the parent never touched, filled by a child that then ended (workers
// that leave their results in a shared buffer, for the parent to read later): at the
// checkpoint the pages are only in the shared object, not in any live process's page tables.
// After restarts the parent reads every page the child wrote.
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <sys/mman.h>
#include <sys/wait.h>

#include "conformance.h"

enum { kPages = 256 };
static unsigned char *buf;
static long page;

static void setup(void) {
  page = sysconf(_SC_PAGESIZE);
  buf = mmap(NULL, (size_t)(kPages * page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
             -1, 0);
  CHECK(buf != MAP_FAILED, "mmap");
  pid_t child = SYS(fork());
  if (child == 0) {
    for (int i = 0; i < kPages; ++i) memset(buf + (long)i * page, (i % 250) + 1, (size_t)page);
    _exit(0);
  }
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child");
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < kPages; ++i)
    for (long k = 0; k < page; k += 512)
      CHECK(buf[(long)i * page + k] == (i % 250) + 1, "page %d byte %ld is %d, not %d", i, k,
            buf[(long)i * page + k], (i % 250) + 1);
}

CONFORMANCE_MAIN
