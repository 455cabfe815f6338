// A write lease (fcntl F_SETLEASE, as Samba and file servers take them) on a file the program
// writes in /tmp, whose contents a checkpoint saves: the checkpoint must neither wait for the
// lease (its holder is stopped too: 45 s, then the kernel breaks it) nor break it. After
// restarts the program still holds it, was never told of a break, and is told of the next
// one: a child's open sends it SIGIO, and the open goes through once it lets go.
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static int fd;
static volatile sig_atomic_t breaks;
static const char *path;

static void on_break(int sig) {
  (void)sig;
  ++breaks;
  fcntl(fd, F_SETLEASE, F_UNLCK);
}

static void setup(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_break;
  SYS(sigaction(SIGIO, &sa, NULL));
  path = scratch("leased.dat");
  fd = SYS(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  char text[4096];
  memset(text, 'l', sizeof text);
  CHECK(write(fd, text, sizeof text) == (ssize_t)sizeof text, "write");
  SYS(fcntl(fd, F_SETLEASE, F_WRLCK));
}

static void tick(void) {}

static void finish(void) {
  CHECK(breaks == 0, "the lease was broken %d times (by the checkpoint?)", (int)breaks);
  CHECK(fcntl(fd, F_GETLEASE) == F_WRLCK, "the lease is %d, not F_WRLCK (%d)",
        fcntl(fd, F_GETLEASE), F_WRLCK);
  struct stat sb;
  SYS(fstat(fd, &sb));
  CHECK(sb.st_size == 4096, "the file holds %lld bytes", (long long)sb.st_size);
  pid_t child = SYS(fork());
  if (child == 0) {
    int f = open(path, O_RDONLY);  // waits until the parent lets go
    _exit(f >= 0 ? 0 : 1);
  }
  for (int i = 0; i < 1000 && !breaks; ++i) sleep_ms(10);
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "the child's open failed");
  CHECK(breaks == 1, "the lease break was told %d times, not once", (int)breaks);
}

CONFORMANCE_MAIN
