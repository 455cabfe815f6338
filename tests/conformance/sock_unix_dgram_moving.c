// Unix datagram and seqpacket socketpairs through which messages, each followed by an empty
// datagram, stream while checkpoints are taken: a backlog of 50 pairs (a second of ticks) stays
// queued, so a checkpoint finds empty datagrams that the one before it peeked (Linux hides those
// from a second peek), some read since and new ones in their place. The datagram pair's messages
// are numbered; the seqpacket pair's are all alike ("ping"), so only their number tells which
// empty ones are still queued. Every message and every empty datagram arrives once, in order,
// across checkpoints and restarts.
#include <sys/socket.h>

#include "conformance.h"

enum { kBacklog = 50 };

static int sv[2][2];
static long sent[2], got[2];

static void message(int k, long i, char *buf, size_t cap) {
  if (k == 0)
    snprintf(buf, cap, "m%ld", i);
  else
    snprintf(buf, cap, "ping");
}

static void send_pair(int k) {
  char msg[32];
  message(k, sent[k], msg, sizeof msg);
  long n = (long)strlen(msg);
  CHECK(send(sv[k][0], msg, n, 0) == n, "send %s: %s", msg, strerror(errno));
  CHECK(send(sv[k][0], "", 0, 0) == 0, "send an empty datagram: %s", strerror(errno));
  ++sent[k];
}

static void receive_pair(int k) {
  char buf[64], want[32];
  message(k, got[k], want, sizeof want);
  long n = recv(sv[k][1], buf, sizeof buf - 1, MSG_DONTWAIT);
  CHECK(n >= 0, "pair %d: message %ld: %s", k, got[k], strerror(errno));
  buf[n] = 0;
  CHECK(strcmp(buf, want) == 0, "pair %d: '%s' where %s (number %ld) was due", k, buf, want,
        got[k]);
  n = recv(sv[k][1], buf, sizeof buf, MSG_DONTWAIT);
  CHECK(n == 0, "pair %d: after message %ld, %ld bytes instead of the empty datagram (%s)", k,
        got[k], n, n < 0 ? strerror(errno) : "data");
  ++got[k];
}

static void setup(void) {
  SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv[0]));
  SYS(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[1]));
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < kBacklog; ++i) send_pair(k);
}

static void tick(void) {
  for (int k = 0; k < 2; ++k) {
    send_pair(k);
    receive_pair(k);
  }
}

static void finish(void) {
  char buf[8];
  for (int k = 0; k < 2; ++k) {
    while (got[k] < sent[k]) receive_pair(k);
    CHECK(recv(sv[k][1], buf, sizeof buf, MSG_DONTWAIT) < 0, "pair %d: a datagram more", k);
    CHECK(sent[k] > kBacklog + 10, "pair %d: only %ld messages", k, sent[k]);
  }
}

CONFORMANCE_MAIN
