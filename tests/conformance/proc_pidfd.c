// pidfds (pidfd_open, as Python's asyncio watches its children, and clone's CLONE_PIDFD): one on
// a child, watched by an epoll set too, and one on the process itself. After restarts the
// child's pidfd is still its own: not readable while it lives, pidfd_send_signal ends it, then
// poll and the epoll set see it readable and waitid(P_PIDFD) reports it, under the pid fork
// gave; the process's own pidfd still names it (a signal sent through it arrives); the pidfd of
// a child that had ended and was waited for at the checkpoint still says so (readable,
// pidfd_send_signal: ESRCH, waitid: ECHILD).
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "conformance.h"

static pid_t child;
static int child_fd, self_fd, ep, ended_fd;
static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig) {
  (void)sig;
  got_usr1 = 1;
}

static int open_pidfd(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

static void setup(void) {
  child = SYS(fork());
  if (child == 0) {
    for (;;) pause();
  }
  child_fd = SYS(open_pidfd(child));
  self_fd = SYS(open_pidfd(getpid()));
  ep = SYS(epoll_create1(0));
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 77};
  SYS(epoll_ctl(ep, EPOLL_CTL_ADD, child_fd, &ev));
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  SYS(sigaction(SIGUSR1, &sa, NULL));
  pid_t ended = SYS(fork());
  if (ended == 0) _exit(3);
  ended_fd = SYS(open_pidfd(ended));
  CHECK(waitpid(ended, NULL, 0) == ended, "waitpid");
}

static void tick(void) {}

static void finish(void) {
  struct pollfd p = {child_fd, POLLIN, 0};
  CHECK(poll(&p, 1, 0) == 0, "the child's pidfd is readable while the child lives");
  CHECK(syscall(SYS_pidfd_send_signal, child_fd, SIGTERM, NULL, 0) == 0, "pidfd_send_signal: %s",
        strerror(errno));
  CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN), "the child's end is not seen");
  struct epoll_event ev;
  CHECK(epoll_wait(ep, &ev, 1, 1000) == 1 && ev.data.u32 == 77, "the epoll set saw nothing");
  siginfo_t info = {0};
  CHECK(waitid(P_PIDFD, (id_t)child_fd, &info, WEXITED) == 0, "waitid: %s", strerror(errno));
  CHECK(info.si_pid == child && info.si_code == CLD_KILLED && info.si_status == SIGTERM,
        "waitid: pid %d (fork gave %d), code %d, status %d", (int)info.si_pid, (int)child,
        info.si_code, info.si_status);
  CHECK(syscall(SYS_pidfd_send_signal, self_fd, SIGUSR1, NULL, 0) == 0,
        "pidfd_send_signal to itself: %s", strerror(errno));
  for (int i = 0; i < 100 && !got_usr1; ++i) sleep_ms(10);
  CHECK(got_usr1, "the signal sent through its own pidfd did not arrive");
  struct pollfd q = {ended_fd, POLLIN, 0};
  CHECK(poll(&q, 1, 0) == 1, "the ended child's pidfd is not readable");
  CHECK(syscall(SYS_pidfd_send_signal, ended_fd, SIGTERM, NULL, 0) < 0 && errno == ESRCH,
        "a signal through the ended child's pidfd: %s", strerror(errno));
  CHECK(waitid(P_PIDFD, (id_t)ended_fd, &info, WEXITED | WNOHANG) < 0 && errno == ECHILD,
        "waitid on the ended child's pidfd: %s", strerror(errno));
}

CONFORMANCE_MAIN
