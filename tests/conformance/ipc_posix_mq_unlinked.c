// A POSIX message queue removed by mq_unlink while the program still uses it has no name a
// restart could open it by: refused at checkpoint, naming it, and the program goes on with its
// messages.
// EXPECT-REFUSED: POSIX message queue removed by mq_unlink
#include <mqueue.h>

#include "conformance.h"

static mqd_t q;

static void setup(void) {
  char name[64];
  snprintf(name, sizeof name, "/conformance-mq-unlinked-%d", getpid());
  struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 32};
  q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &a);
  CHECK(q != (mqd_t)-1, "mq_open: %s", strerror(errno));
  SYS(mq_unlink(name));
  SYS(mq_send(q, "low", 3, 1));
  SYS(mq_send(q, "high", 4, 9));
}

static void tick(void) {}

static void finish(void) {
  char buf[32];
  unsigned prio;
  CHECK(mq_receive(q, buf, sizeof buf, &prio) == 4 && prio == 9, "high: %s", strerror(errno));
  CHECK(mq_receive(q, buf, sizeof buf, &prio) == 3 && prio == 1, "low");
}

CONFORMANCE_MAIN
