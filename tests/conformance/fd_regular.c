// A regular file open for reading and writing at an offset in its middle: after each restart the
// descriptor reads on from the same offset and the file holds what was written.
#include "conformance.h"

static int fd;
static char expect[4096];

static void setup(void) {
  for (int i = 0; i < (int)sizeof expect; i++) expect[i] = (char)('a' + i % 26);
  fd = SYS(open(scratch("regular.dat"), O_RDWR | O_CREAT | O_TRUNC, 0640));
  CHECK(write(fd, expect, sizeof expect) == (ssize_t)sizeof expect, "write");
  SYS(lseek(fd, 1000, SEEK_SET));
}

static void tick(void) {
  CHECK(lseek(fd, 0, SEEK_CUR) == 1000, "offset moved: %ld", (long)lseek(fd, 0, SEEK_CUR));
}

static void finish(void) {
  char buf[100];
  CHECK(read(fd, buf, sizeof buf) == (ssize_t)sizeof buf, "read");
  CHECK(memcmp(buf, expect + 1000, sizeof buf) == 0, "wrong data at offset 1000");
  CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "not read-write any more");
  CHECK(write(fd, "Z", 1) == 1, "write after restart");
}

CONFORMANCE_MAIN
