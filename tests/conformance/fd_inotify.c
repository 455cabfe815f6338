// An inotify descriptor watching a folder. The kernel does not say which paths a watch is on, so
// a restart could not watch them again: the checkpoint is refused, naming the descriptor, and the
// program goes on watching.
// EXPECT-REFUSED: descriptor [0-9]+ \(anon_inode:inotify\) is of a kind a restart cannot make again
// \(inotify\)
#include <sys/inotify.h>

#include "conformance.h"

static int fd;

static void setup(void) {
  mkdir(scratch("watched"), 0700);
  fd = SYS(inotify_init1(IN_NONBLOCK));
  SYS(inotify_add_watch(fd, scratch("watched"), IN_CREATE));
}

static void tick(void) {}

static void finish(void) {
  int f = SYS(open(scratch("watched/new"), O_CREAT | O_WRONLY, 0600));
  close(f);
  char buf[4096] __attribute__((aligned(8)));
  ssize_t n = -1;
  for (int i = 0; i < 100 && n < 0; i++) {
    n = read(fd, buf, sizeof buf);
    if (n < 0) sleep_ms(10);
  }
  CHECK(n >= (ssize_t)sizeof(struct inotify_event), "no inotify event after restart");
  struct inotify_event *e = (struct inotify_event *)buf;
  CHECK((e->mask & IN_CREATE) && strcmp(e->name, "new") == 0, "wrong event");
}

CONFORMANCE_MAIN
