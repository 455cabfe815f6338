// A file opened with O_DIRECT (aligned I/O that bypasses the page cache) keeps the flag and its
// offset.
#include "conformance.h"

static int fd;
static char *block;

static void setup(void) {
  if (posix_memalign((void **)&block, 4096, 8192)) conformance_fail("posix_memalign");
  memset(block, 'd', 8192);
  fd = SYS(open(scratch("direct.dat"), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600));
  CHECK(write(fd, block, 8192) == 8192, "direct write: %s", strerror(errno));
  SYS(lseek(fd, 4096, SEEK_SET));
}

static void tick(void) {}

static void finish(void) {
  CHECK(fcntl(fd, F_GETFL) & O_DIRECT, "O_DIRECT lost");
  CHECK(lseek(fd, 0, SEEK_CUR) == 4096, "offset");
  memset(block, 0, 4096);
  CHECK(read(fd, block, 4096) == 4096, "direct read: %s", strerror(errno));
  CHECK(block[0] == 'd' && block[4095] == 'd', "data");
}

CONFORMANCE_MAIN
