// Two processes on one POSIX message queue, each with its own mq_open: a child sends numbered
// messages as fast as the queue takes them (blocking when it is full), the parent receives them.
// Across checkpoints and restarts none is lost, repeated or reordered: one process saves the
// queue, not both.
#include <mqueue.h>
#include <sys/wait.h>
#include <time.h>

#include "conformance.h"

static char name[64];
static mqd_t q;
static pid_t child;
static unsigned expected;

static void run_sender(void) {
  mqd_t w = mq_open(name, O_WRONLY);
  if (w == (mqd_t)-1) _exit(40);
  unsigned seq = 0;
  char text[32];
  while (!conformance_done()) {
    int n = snprintf(text, sizeof text, "%u", seq);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += 20000000;
    if (t.tv_nsec >= 1000000000) t.tv_sec++, t.tv_nsec -= 1000000000;
    if (mq_timedsend(w, text, (size_t)n, 0, &t) == 0)
      seq++;
    else if (errno != ETIMEDOUT && errno != EINTR)
      _exit(41);
  }
  int n = snprintf(text, sizeof text, "end %u", seq);
  if (mq_send(w, text, (size_t)n, 0) != 0) _exit(42);
  _exit(0);
}

// Takes one message; returns 0 at the sender's end mark, -1 if none came.
static int take(int wait_ms) {
  char buf[64];
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec += wait_ms / 1000;
  t.tv_nsec += (wait_ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000) t.tv_sec++, t.tv_nsec -= 1000000000;
  ssize_t n = mq_timedreceive(q, buf, sizeof buf - 1, NULL, &t);
  if (n < 0) {
    CHECK(errno == ETIMEDOUT || errno == EINTR, "mq_timedreceive: %s", strerror(errno));
    return -1;
  }
  buf[n] = 0;
  unsigned v;
  if (sscanf(buf, "end %u", &v) == 1) {
    CHECK(v == expected, "the sender sent %u messages, %u came", v, expected);
    return 0;
  }
  CHECK(sscanf(buf, "%u", &v) == 1 && v == expected, "message \"%s\", expected %u", buf, expected);
  expected++;
  return 1;
}

static void setup(void) {
  snprintf(name, sizeof name, "/conformance-mq-shared-%d", getpid());
  struct mq_attr a = {.mq_maxmsg = 10, .mq_msgsize = 32};
  q = mq_open(name, O_RDONLY | O_CREAT | O_EXCL, 0600, &a);
  CHECK(q != (mqd_t)-1, "mq_open: %s", strerror(errno));
  child = fork();
  CHECK(child >= 0, "fork: %s", strerror(errno));
  if (child == 0) {
    mq_close(q);
    run_sender();
  }
}

static void tick(void) {
  while (take(0) > 0) {
  }
}

static void finish(void) {
  int r;
  while ((r = take(10000)) > 0) {
  }
  CHECK(r == 0, "no end mark from the sender after %u messages", expected);
  CHECK(expected > 100, "only %u messages went through", expected);
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "sender ended with status %#x", st);
  mq_unlink(name);
}

CONFORMANCE_MAIN
