// A Unix datagram socketpair with datagrams of different sizes queued, an empty one among them,
// and a seqpacket pair the same: they come back in order, with their boundaries, the empty ones
// too (and what follows them: a peek loop that stops at an empty datagram loses the rest), also
// at a second checkpoint, where Linux hides the empty ones from the peek (they were peeked once).
#include <sys/socket.h>

#include "conformance.h"

static int sv[2], sp[2];

static void queue(int fd) {
  CHECK(send(fd, "a", 1, 0) == 1, "send");
  CHECK(send(fd, "bbbbbbbbbb", 10, 0) == 10, "send");
  CHECK(send(fd, "", 0, 0) == 0, "send an empty datagram");
  CHECK(send(fd, "cc", 2, 0) == 2, "send");
}

static void check_queue(int fd, const char *what) {
  char buf[64];
  CHECK(recv(fd, buf, sizeof buf, MSG_DONTWAIT) == 1 && buf[0] == 'a', "%s: first datagram", what);
  CHECK(recv(fd, buf, sizeof buf, MSG_DONTWAIT) == 10 && buf[9] == 'b', "%s: second datagram",
        what);
  CHECK(recv(fd, buf, sizeof buf, MSG_DONTWAIT) == 0, "%s: the empty datagram: %s", what,
        strerror(errno));
  CHECK(recv(fd, buf, sizeof buf, MSG_DONTWAIT) == 2 && buf[1] == 'c',
        "%s: the datagram after the empty one", what);
  CHECK(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0, "%s: one datagram more", what);
}

static void setup(void) {
  SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  SYS(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp));
  queue(sv[0]);
  queue(sp[0]);
}

static void tick(void) {}

static void finish(void) {
  check_queue(sv[1], "datagram pair");
  check_queue(sp[1], "seqpacket pair");
}

CONFORMANCE_MAIN
