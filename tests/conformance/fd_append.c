// A file opened with O_APPEND: it keeps appending after restarts, even when the file grew
// meanwhile through another descriptor.
#include "conformance.h"

static int fd, other;

static void setup(void) {
  fd = SYS(open(scratch("append.log"), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600));
  other = SYS(open(scratch("append.log"), O_WRONLY));
  CHECK(write(fd, "first\n", 6) == 6, "write");
}

static void tick(void) { CHECK(fcntl(fd, F_GETFL) & O_APPEND, "O_APPEND lost"); }

static void finish(void) {
  SYS(lseek(other, 0, SEEK_END));
  CHECK(write(other, "other\n", 6) == 6, "write other");
  CHECK(write(fd, "last\n", 5) == 5, "write");
  char buf[64] = {0};
  int r = SYS(open(scratch("append.log"), O_RDONLY));
  CHECK(read(r, buf, sizeof buf - 1) == 17, "size");
  CHECK(strcmp(buf, "first\nother\nlast\n") == 0, "content: %s", buf);
}

CONFORMANCE_MAIN
