// A file mapped private (copy-on-write) and changed through the mapping: after restarts the
// changed pages keep the program's data, the others show the file, and the file is unchanged.
#include <sys/mman.h>

#include "conformance.h"

static char *map;

static void setup(void) {
  int fd = SYS(open(scratch("private.dat"), O_RDWR | O_CREAT | O_TRUNC, 0600));
  char page[4096];
  for (int p = 0; p < 16; p++) {
    memset(page, 'a' + p, sizeof page);
    CHECK(write(fd, page, sizeof page) == (ssize_t)sizeof page, "write");
  }
  map = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(map != MAP_FAILED, "mmap");
  close(fd);
  map[3 * 4096] = 'X';
}

static void tick(void) {}

static void finish(void) {
  CHECK(map[3 * 4096] == 'X' && map[3 * 4096 + 1] == 'd', "the changed page");
  CHECK(map[5 * 4096] == 'f', "an unchanged page");
  int fd = SYS(open(scratch("private.dat"), O_RDONLY));
  char c;
  CHECK(pread(fd, &c, 1, 3 * 4096) == 1 && c == 'd', "the file was changed");
}

CONFORMANCE_MAIN
