// A full POSIX message queue (mode 0640, limits 3 x 2048) held by a blocking reader and a
// non-blocking writer, removed from the node after every kill, as on a node that never had it:
// the restart makes it again with its mode and limits and puts its messages back; the writer
// still gets EAGAIN, the reader still blocks once it is empty.
// AFTER-KILL-UNLINK-MQUEUES
#include <mqueue.h>

#include "conformance.h"

static mqd_t rd, wr;
static char name[64];
static char big[2048];

static void check_state(void) {
  struct mq_attr a;
  SYS(mq_getattr(rd, &a));
  CHECK(a.mq_maxmsg == 3 && a.mq_msgsize == 2048 && a.mq_curmsgs == 3 && !(a.mq_flags & O_NONBLOCK),
        "reader: limits %ld/%ld, %ld messages, flags %#lx", a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs,
        a.mq_flags);
  SYS(mq_getattr(wr, &a));
  CHECK(a.mq_flags & O_NONBLOCK, "the writer lost O_NONBLOCK");
  CHECK(
      (fcntl(rd, F_GETFL) & O_ACCMODE) == O_RDONLY && (fcntl(wr, F_GETFL) & O_ACCMODE) == O_WRONLY,
      "access modes changed");
  struct stat st;
  SYS(fstat(rd, &st));
  CHECK((st.st_mode & 0777) == 0640, "mode %o, not 640", st.st_mode & 0777);
  CHECK(mq_send(wr, "x", 1, 0) < 0 && errno == EAGAIN, "a full queue took a message (%s)",
        strerror(errno));
}

static void setup(void) {
  snprintf(name, sizeof name, "/conformance-mq-gone-%d", getpid());
  printf("mqueue %s\n", name);
  umask(0);
  struct mq_attr a = {.mq_maxmsg = 3, .mq_msgsize = 2048};
  rd = mq_open(name, O_RDONLY | O_CREAT | O_EXCL, 0640, &a);
  CHECK(rd != (mqd_t)-1, "mq_open: %s", strerror(errno));
  wr = SYS(mq_open(name, O_WRONLY | O_NONBLOCK));
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 31 + 7);
  SYS(mq_send(wr, big, sizeof big, 2));
  SYS(mq_send(wr, "small", 5, 0));
  SYS(mq_send(wr, "", 0, 7));
}

static void tick(void) { check_state(); }

static void finish(void) {
  check_state();
  char buf[2048];
  unsigned prio;
  CHECK(mq_receive(rd, buf, sizeof buf, &prio) == 0 && prio == 7, "the empty message first");
  CHECK(mq_receive(rd, buf, sizeof buf, &prio) == 2048 && prio == 2 &&
            memcmp(buf, big, sizeof big) == 0,
        "the 2048-byte message");
  CHECK(mq_receive(rd, buf, sizeof buf, &prio) == 5 && prio == 0 && memcmp(buf, "small", 5) == 0,
        "the small message");
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_nsec += 50000000;
  if (t.tv_nsec >= 1000000000) t.tv_sec++, t.tv_nsec -= 1000000000;
  CHECK(mq_timedreceive(rd, buf, sizeof buf, NULL, &t) < 0 && errno == ETIMEDOUT,
        "the empty queue did not block (%s)", strerror(errno));
  mq_unlink(name);
}

CONFORMANCE_MAIN
