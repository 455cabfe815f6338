// A Unix datagram socketpair with three datagrams of different sizes queued: they come back as
// three datagrams, in order, with their boundaries.
#include <sys/socket.h>

#include "conformance.h"

static int sv[2];

static void setup(void) {
  SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  CHECK(send(sv[0], "a", 1, 0) == 1, "send");
  CHECK(send(sv[0], "bbbbbbbbbb", 10, 0) == 10, "send");
  CHECK(send(sv[0], "cc", 2, 0) == 2, "send");
}

static void tick(void) {}

static void finish(void) {
  char buf[64];
  CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == 1 && buf[0] == 'a', "first datagram");
  CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == 10 && buf[9] == 'b', "second datagram");
  CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == 2 && buf[1] == 'c', "third datagram");
  CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) < 0, "a fourth datagram");
}

CONFORMANCE_MAIN
