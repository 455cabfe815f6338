// An epoll set watching a pipe's read end and an eventfd: after restarts it reports them ready
// when they are, with the data each was registered with.
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "conformance.h"

static int ep, p[2], ev;

static void setup(void) {
  SYS(pipe(p));
  ev = SYS(eventfd(0, 0));
  ep = SYS(epoll_create1(0));
  struct epoll_event e = {.events = EPOLLIN, .data.u64 = 111};
  SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
  e.data.u64 = 222;
  SYS(epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e));
}

static void tick(void) {
  struct epoll_event e;
  CHECK(epoll_wait(ep, &e, 1, 0) == 0, "epoll reports something ready");
}

static void finish(void) {
  CHECK(write(p[1], "x", 1) == 1, "write");
  struct epoll_event e[2];
  int n = epoll_wait(ep, e, 2, 1000);
  CHECK(n == 1 && e[0].data.u64 == 111, "epoll after restart: %d events, data %llu", n,
        n > 0 ? (unsigned long long)e[0].data.u64 : 0ULL);
  uint64_t one = 1;
  CHECK(write(ev, &one, 8) == 8, "eventfd write");
  n = epoll_wait(ep, e, 2, 1000);
  CHECK(n == 2, "epoll sees %d of the 2 ready descriptors", n);
}

CONFORMANCE_MAIN
