// The file mode mask and the working folder the program chose: a file it makes after restarts
// lands in that folder with that mask.
#include "conformance.h"

static char dir[512];

static void setup(void) {
  snprintf(dir, sizeof dir, "%s", scratch("workdir"));
  SYS(mkdir(dir, 0700));
  SYS(chdir(dir));
  umask(027);
}

static void tick(void) {
  char cwd[512];
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, dir) == 0, "the working folder changed");
}

static void finish(void) {
  mode_t m = umask(0);
  CHECK(m == 027, "umask %o", m);
  umask(m);
  int fd = SYS(open("made-here", O_CREAT | O_WRONLY, 0666));
  struct stat st;
  SYS(fstat(fd, &st));
  CHECK((st.st_mode & 0777) == 0640, "mode %o", st.st_mode & 0777);
  char path[600];
  snprintf(path, sizeof path, "%s/made-here", dir);
  CHECK(access(path, F_OK) == 0, "not made in the working folder");
}

CONFORMANCE_MAIN
