// Record locks the program holds (a POSIX lock on bytes 100-199, an open file description lock
// on bytes 300 to the end): after restarts another process still finds both taken, and the
// bytes between still free.
#include <sys/wait.h>

#include "conformance.h"

static int fd;

// 1 if another process could take a write lock on [start, start+len) of the file.
static int other_can_lock(off_t start, off_t len) {
  pid_t p = fork();
  if (p == 0) {
    int f = open(scratch("records"), O_RDWR);
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    _exit(fcntl(f, F_SETLK, &l) == 0 ? 1 : 0);
  }
  int st;
  waitpid(p, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

static void check_locks(const char *when) {
  CHECK(!other_can_lock(150, 1), "%s: another process took the POSIX-locked bytes", when);
  CHECK(!other_can_lock(5000, 1), "%s: another process took the OFD-locked bytes", when);
  CHECK(other_can_lock(200, 100), "%s: the unlocked bytes 200-299 are locked", when);
}

static void setup(void) {
  fd = SYS(open(scratch("records"), O_RDWR | O_CREAT, 0600));
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 100};
  SYS(fcntl(fd, F_SETLK, &l));
  int ofd = SYS(open(scratch("records"), O_RDWR));
  struct flock o = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 300, .l_len = 0};
  SYS(fcntl(ofd, F_OFD_SETLK, &o));
  check_locks("before the checkpoint");
}

static void tick(void) {}

static void finish(void) { check_locks("after restarts"); }

CONFORMANCE_MAIN
