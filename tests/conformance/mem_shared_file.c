// A file mapped shared and written through the mapping: after restarts the mapping and the file
// are one again (a write through either shows in the other).
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <sys/mman.h>

#include "conformance.h"

static char *map;
static int fd;

static void setup(void) {
  fd = SYS(open(scratch("mapped.dat"), O_RDWR | O_CREAT | O_TRUNC, 0600));
  SYS(ftruncate(fd, 1 << 20));
  map = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(map != MAP_FAILED, "mmap");
  for (int i = 0; i < 1 << 20; i += 4096) map[i] = (char)(i >> 12);
  SYS(msync(map, 1 << 20, MS_SYNC));
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < 1 << 20; i += 4096) CHECK(map[i] == (char)(i >> 12), "page %d", i >> 12);
  map[5] = 'M';
  char c = 0;
  CHECK(pread(fd, &c, 1, 5) == 1 && c == 'M', "the mapping no longer writes the file");
  CHECK(pwrite(fd, "F", 1, 6) == 1 && map[6] == 'F', "the file no longer shows in the mapping");
}

CONFORMANCE_MAIN
