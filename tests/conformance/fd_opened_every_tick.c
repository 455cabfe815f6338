// Descriptors opened all the time and kept: after a restart the program's next ones take the
// lowest free numbers, the numbers the runtime's own descriptors had while it wrote the image
// it restarted from. Each must stay open on its own file through the checkpoints that follow
// (a restored image's leftover runtime state once closed them at the next checkpoint). An idle
// child makes it a computation of two processes, which share memory blocks (peer_blocks.h).
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

#define MAX_HELD 300

static int fds[MAX_HELD];
static ino_t inodes[MAX_HELD];
static int held;

static void open_one(void) {
  char name[32];
  snprintf(name, sizeof name, "held-%d", held);
  const int fd = SYS(open(scratch(name), O_RDWR | O_CREAT, 0600));
  struct stat st;
  SYS(fstat(fd, &st));
  fds[held] = fd;
  inodes[held++] = st.st_ino;
}

static void check_all(void) {
  for (int i = 0; i < held; ++i) {
    struct stat st;
    CHECK(fcntl(fds[i], F_GETFD) != -1, "descriptor %d (held-%d) was closed: %s", fds[i], i,
          strerror(errno));
    CHECK(fstat(fds[i], &st) == 0 && st.st_ino == inodes[i],
          "descriptor %d no longer names held-%d", fds[i], i);
  }
}

static pid_t child;

static void setup(void) {
  child = SYS(fork());
  if (child == 0)
    for (;;) pause();
  open_one();
}

static void tick(void) {
  check_all();
  if (held < MAX_HELD) open_one();
}

static void finish(void) {
  check_all();
  int st;
  kill(child, SIGKILL);
  CHECK(waitpid(child, &st, 0) == child && WIFSIGNALED(st), "the idle child ended on its own");
}

CONFORMANCE_MAIN
