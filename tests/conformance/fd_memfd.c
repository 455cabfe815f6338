// A memfd (anonymous file) with data, also mapped shared: contents, size and mapping come back.
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <sys/mman.h>

#include "conformance.h"

static int fd;
static char *map;

static void setup(void) {
  fd = SYS(memfd_create("conformance", MFD_CLOEXEC));
  SYS(ftruncate(fd, 65536));
  map = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(map != MAP_FAILED, "mmap");
  for (int i = 0; i < 65536; i++) map[i] = (char)(i * 7);
}

static void tick(void) {}

static void finish(void) {
  struct stat st;
  SYS(fstat(fd, &st));
  CHECK(st.st_size == 65536, "size %ld", (long)st.st_size);
  char b[4];
  CHECK(pread(fd, b, 4, 1000) == 4 && b[0] == (char)(1000 * 7), "memfd contents");
  map[5] = 99;
  CHECK(pread(fd, b, 1, 5) == 1 && b[0] == 99, "the mapping and the file are no longer one");
}

CONFORMANCE_MAIN
