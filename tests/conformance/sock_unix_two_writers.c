// A Unix stream socket that a parent and its child both write into (a shared socket pair of a
// worker pool), its reader asking for the writers' credentials (SO_PASSCRED), left unread, and
// 2,000 more socket pairs: the kernel keeps each writer's bytes apart, so one peek stops where
// the writer changes. After restarts the reader gets every
// record of both writers, each writer's in order, and each pair still carries data.
// FORKED-IN-PLACE: some
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "conformance.h"

#define RECORDS 100
#define PAIRS 2000
static int sp[2];
static int pairs[PAIRS][2];
static pid_t child;

struct record {
  char who;
  int seq;
  char pad[56];
};

static void write_records(char who) {
  for (int i = 0; i < RECORDS; i++) {
    struct record r = {.who = who, .seq = i};
    CHECK(write(sp[0], &r, sizeof r) == sizeof r, "write: %s", strerror(errno));
  }
}

static void setup(void) {
  SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
  // The reader may ask who wrote (as servers that check their peers do): the kernel then
  // never joins two writers' bytes in one read.
  int one = 1;
  SYS(setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
  for (int i = 0; i < PAIRS; i++) {
    SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pairs[i]));
    CHECK(write(pairs[i][0], &i, sizeof i) == sizeof i, "write pair %d", i);
  }
  write_records('P');
  child = SYS(fork());
  if (child == 0) {
    write_records('C');
    for (;;) pause();
  }
  // Both writers' records are queued before "ready".
  int queued = 0;
  for (int i = 0; i < 500 && queued < 2 * RECORDS * (int)sizeof(struct record); i++) {
    sleep_ms(10);
    SYS(ioctl(sp[1], FIONREAD, &queued));
  }
  CHECK(queued == 2 * RECORDS * (int)sizeof(struct record), "%d bytes queued", queued);
}

static void tick(void) {}

static void finish(void) {
  int next[2] = {0, 0};
  for (int n = 0; n < 2 * RECORDS; n++) {
    struct record r;
    CHECK(read(sp[1], &r, sizeof r) == sizeof r, "record %d: %s", n, strerror(errno));
    CHECK(r.who == 'P' || r.who == 'C', "record %d is from '%c'", n, r.who);
    int *want = &next[r.who == 'C'];
    CHECK(r.seq == *want, "record %d: %c's %d, expected its %d", n, r.who, r.seq, *want);
    ++*want;
  }
  for (int i = 0; i < PAIRS; i++) {
    int v = -1;
    CHECK(read(pairs[i][1], &v, sizeof v) == sizeof v && v == i, "pair %d carried %d", i, v);
  }
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
}

CONFORMANCE_MAIN
