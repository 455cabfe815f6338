// A file removed while open: its contents come back with the descriptor, still unlinked.
#include "conformance.h"

static int fd;

static void setup(void) {
  fd = SYS(open(scratch("gone.dat"), O_RDWR | O_CREAT | O_TRUNC, 0600));
  CHECK(write(fd, "still here", 10) == 10, "write");
  SYS(unlink(scratch("gone.dat")));
}

static void tick(void) {}

static void finish(void) {
  char buf[16] = {0};
  CHECK(pread(fd, buf, 10, 0) == 10 && strcmp(buf, "still here") == 0, "contents: %s", buf);
  struct stat st;
  SYS(fstat(fd, &st));
  CHECK(st.st_nlink == 0, "the file came back with a name");
  CHECK(access(scratch("gone.dat"), F_OK) != 0, "the name came back");
}

CONFORMANCE_MAIN
