// A program holding many record locks (a database's or a job array's lock file, stress-ng's
// lockf): 300 POSIX locks on every other 10-byte range of a file through one descriptor, and 100
// open file description locks through another, so that /proc's list of them is longer than a
// page. After restarts another process finds every one of them taken and the gaps free.
#include <sys/wait.h>

#include "conformance.h"

#define POSIX_LOCKS 300
#define OFD_LOCKS 100
#define OFD_BASE 100000
static int fd, ofd;

// How many of the n ranges [base + 20 i, +10) another process can lock, and of the gaps between.
static void others_view(off_t base, int n, int *locked_free, int *gaps_taken) {
  int pipe_fds[2];
  SYS(pipe(pipe_fds));
  pid_t p = fork();
  if (p == 0) {
    int f = open(scratch("records"), O_RDWR);
    int counts[2] = {0, 0};
    for (int i = 0; i < n; i++) {
      struct flock l = {
          .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = base + 20 * i, .l_len = 10};
      if (fcntl(f, F_GETLK, &l) == 0 && l.l_type == F_UNLCK) counts[0]++;
      struct flock g = {
          .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = base + 20 * i + 10, .l_len = 10};
      if (fcntl(f, F_GETLK, &g) == 0 && g.l_type != F_UNLCK) counts[1]++;
    }
    _exit(write(pipe_fds[1], counts, sizeof counts) == sizeof counts ? 0 : 1);
  }
  close(pipe_fds[1]);
  int counts[2] = {-1, -1};
  CHECK(read(pipe_fds[0], counts, sizeof counts) == sizeof counts, "the checker said nothing");
  close(pipe_fds[0]);
  waitpid(p, NULL, 0);
  *locked_free = counts[0];
  *gaps_taken = counts[1];
}

static void check_locks(const char *when) {
  int free_, taken;
  others_view(0, POSIX_LOCKS, &free_, &taken);
  CHECK(free_ == 0 && taken == 0, "%s: %d of %d POSIX-locked ranges free, %d gaps locked", when,
        free_, POSIX_LOCKS, taken);
  others_view(OFD_BASE, OFD_LOCKS, &free_, &taken);
  CHECK(free_ == 0 && taken == 0, "%s: %d of %d OFD-locked ranges free, %d gaps locked", when,
        free_, OFD_LOCKS, taken);
}

static void setup(void) {
  fd = SYS(open(scratch("records"), O_RDWR | O_CREAT, 0600));
  for (int i = 0; i < POSIX_LOCKS; i++) {
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20 * i, .l_len = 10};
    SYS(fcntl(fd, F_SETLK, &l));
  }
  ofd = SYS(open(scratch("records"), O_RDWR));
  for (int i = 0; i < OFD_LOCKS; i++) {
    struct flock o = {
        .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = OFD_BASE + 20 * i, .l_len = 10};
    SYS(fcntl(ofd, F_OFD_SETLK, &o));
  }
  check_locks("before the checkpoint");
}

static void tick(void) {}

static void finish(void) { check_locks("after restarts"); }

CONFORMANCE_MAIN
