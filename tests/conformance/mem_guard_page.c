// A guard page (PROT_NONE) between two writable areas: after restarts it still faults, and the
// areas around it keep their data and permissions.
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include "conformance.h"

static char *base;
static sigjmp_buf jb;
static void segv(int s) {
  (void)s;
  siglongjmp(jb, 1);
}

static void setup(void) {
  base = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(base != MAP_FAILED, "mmap");
  base[0] = 'a';
  base[2 * 4096] = 'c';
  SYS(mprotect(base + 4096, 4096, PROT_NONE));
  SYS(mprotect(base + 2 * 4096, 4096, PROT_READ));
}

static void tick(void) {}

static void finish(void) {
  CHECK(base[0] == 'a' && base[2 * 4096] == 'c', "data");
  signal(SIGSEGV, segv);
  volatile int faulted = 0;
  if (sigsetjmp(jb, 1) == 0) {
    volatile char c = base[4096];
    (void)c;
  } else {
    faulted = 1;
  }
  CHECK(faulted, "the guard page can be read");
  faulted = 0;
  if (sigsetjmp(jb, 1) == 0) {
    base[2 * 4096] = 'x';
  } else {
    faulted = 1;
  }
  CHECK(faulted, "the read-only page can be written");
}

CONFORMANCE_MAIN
