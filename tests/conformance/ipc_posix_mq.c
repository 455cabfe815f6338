// A POSIX message queue with messages of different priorities waiting: not supported, so the
// checkpoint is refused, naming the queue, and the program goes on with its messages.
// EXPECT-REFUSED: is of a kind a restart cannot make again \(POSIX message queue\)
#include <mqueue.h>

#include "conformance.h"

static mqd_t q;
static char name[64];

static void setup(void) {
  snprintf(name, sizeof name, "/conformance-%d", getpid());
  struct mq_attr a = {.mq_maxmsg = 8, .mq_msgsize = 64};
  q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &a);
  CHECK(q != (mqd_t)-1, "mq_open: %s", strerror(errno));
  SYS(mq_send(q, "low", 3, 1));
  SYS(mq_send(q, "high", 4, 9));
}

static void tick(void) {}

static void finish(void) {
  char buf[64];
  unsigned prio;
  CHECK(mq_receive(q, buf, sizeof buf, &prio) == 4 && prio == 9, "high: %s", strerror(errno));
  CHECK(mq_receive(q, buf, sizeof buf, &prio) == 3 && prio == 1, "low");
  mq_unlink(name);
}

CONFORMANCE_MAIN
