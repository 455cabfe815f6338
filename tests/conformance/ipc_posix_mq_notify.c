// A process registered for a POSIX message queue's notification (mq_notify, SIGEV_SIGNAL with a
// value), the queue empty, and a second queue with messages and a registration too: after
// restarts both registrations are in place (the kernel refuses a second one with EBUSY) and a
// message into the empty queue brings the signal with the program's value; the messages of the
// other queue are still there, and its notification was not set off by the checkpoint.
#include <mqueue.h>
#include <signal.h>

#include "conformance.h"

static char name[2][64];
static mqd_t q[2];
static volatile sig_atomic_t fired, value;

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)ctx;
  fired++;
  value = si->si_value.sival_int;
}

static void setup(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 16};
  for (int i = 0; i < 2; i++) {
    snprintf(name[i], sizeof name[i], "/conformance-mq-notify%d-%d", i, getpid());
    q[i] = mq_open(name[i], O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &a);
    CHECK(q[i] != (mqd_t)-1, "mq_open: %s", strerror(errno));
  }
  SYS(mq_send(q[1], "waiting", 7, 3));
  for (int i = 0; i < 2; i++) {
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 4200 + i;
    SYS(mq_notify(q[i], &ev));
  }
}

static void tick(void) { CHECK(fired == 0, "a notification came with value %d", (int)value); }

static void finish(void) {
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR2;
  for (int i = 0; i < 2; i++)
    CHECK(mq_notify(q[i], &ev) < 0 && errno == EBUSY, "queue %d: registration gone (%s)", i,
          strerror(errno));
  char buf[16];
  unsigned prio;
  CHECK(mq_receive(q[1], buf, sizeof buf, &prio) == 7 && prio == 3, "the waiting message: %s",
        strerror(errno));
  SYS(mq_send(q[0], "wake", 4, 1));
  for (int i = 0; i < 100 && !fired; i++) sleep_ms(10);
  CHECK(fired == 1 && value == 4200, "after a message: %d notifications, value %d", (int)fired,
        (int)value);
  for (int i = 0; i < 2; i++) mq_unlink(name[i]);
}

CONFORMANCE_MAIN
