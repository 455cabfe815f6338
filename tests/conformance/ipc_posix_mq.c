// A POSIX message queue whose messages change every tick (one received, one sent, priorities 1,
// 5 and 9): after each restart it holds exactly what it held at the checkpoint, in order (highest
// priority first, in order of arrival within one), though the run that went on after the
// checkpoint left it otherwise; its limits and O_NONBLOCK are kept. The program keeps its own
// account of the queue and checks every message against it.
#include <mqueue.h>

#include "conformance.h"

enum { kMax = 8, kHeld = 6 };
static mqd_t q;
static char name[64];
// The program's account of the queue: sequence numbers in it (sent, not received yet).
static unsigned held[kMax];
static int nheld;
static unsigned next_seq;

static unsigned prio_of(unsigned seq) { return (seq * 7) % 3 * 4 + 1; }  // 1, 5 or 9

static void send_next(void) {
  char text[32];
  int n = snprintf(text, sizeof text, "message %u", next_seq);
  SYS(mq_send(q, text, (size_t)n, prio_of(next_seq)));
  held[nheld++] = next_seq++;
}

// The message the queue must give next: highest priority, then the oldest.
static int expected_index(void) {
  int best = 0;
  for (int i = 1; i < nheld; ++i)
    if (prio_of(held[i]) > prio_of(held[best])) best = i;
  return best;
}

static void receive_one(void) {
  char buf[128], want[32];
  unsigned prio;
  ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
  CHECK(n > 0, "mq_receive (%d held): %s", nheld, strerror(errno));
  buf[n] = 0;
  int i = expected_index();
  snprintf(want, sizeof want, "message %u", held[i]);
  CHECK(strcmp(buf, want) == 0 && prio == prio_of(held[i]),
        "received \"%s\" (priority %u), expected \"%s\" (priority %u)", buf, prio, want,
        prio_of(held[i]));
  memmove(held + i, held + i + 1, (size_t)(nheld - i - 1) * sizeof held[0]);
  --nheld;
}

static void check_attributes(void) {
  struct mq_attr a;
  SYS(mq_getattr(q, &a));
  CHECK(a.mq_maxmsg == kMax && a.mq_msgsize == 100, "limits %ld/%ld, not 8/100", a.mq_maxmsg,
        a.mq_msgsize);
  CHECK(a.mq_curmsgs == nheld, "%ld messages queued, the program sent %d", a.mq_curmsgs, nheld);
  CHECK(a.mq_flags & O_NONBLOCK, "O_NONBLOCK is gone");
}

static void setup(void) {
  snprintf(name, sizeof name, "/conformance-mq-%d", getpid());
  struct mq_attr a = {.mq_maxmsg = kMax, .mq_msgsize = 100};
  q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &a);
  CHECK(q != (mqd_t)-1, "mq_open: %s", strerror(errno));
  while (nheld < kHeld) send_next();
}

static void tick(void) {
  check_attributes();
  receive_one();
  send_next();
}

static void finish(void) {
  check_attributes();
  while (nheld) receive_one();
  char buf[128];
  CHECK(mq_receive(q, buf, sizeof buf, NULL) < 0 && errno == EAGAIN, "a message too many");
  mq_unlink(name);
}

CONFORMANCE_MAIN
