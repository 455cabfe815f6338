// The calls that name a process or thread by its id, made every tick with the ids the program
// knows (its own, a child's, a thread's): after restarts the kernel's ids differ, and each call
// must still reach the same process (fcntl's F_SETOWN/F_GETOWN and their _EX forms, sigqueue,
// the sched_* calls, get/setpriority, prlimit, and through syscall(): set_tid_address, tkill,
// rt_sigqueueinfo, getpgid, ioprio_get, sched_getaffinity).
// FORKED-IN-PLACE: memory shared with the child is not copied on write for a forked writer
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "conformance.h"

static pid_t child;
static volatile int *seen;  // shared with the child: the last value it was sent
static int pipe_fds[2];
static int sent;
static volatile pid_t helper_tid;
static volatile int helper_ok = 1, helper_rounds;
static char helper_why[128];

static void on_usr2(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  seen[0] = si->si_value.sival_int;
}

// set_tid_address returns the caller's thread id (stress-ng checks it against gettid).
static void *helper(void *arg) {
  (void)arg;
  static int clear_me;
  helper_tid = gettid();
  while (helper_ok) {
    long r = syscall(SYS_set_tid_address, &clear_me);
    if (r != gettid()) {
      snprintf(helper_why, sizeof helper_why, "set_tid_address returned %ld, gettid %d", r,
               gettid());
      helper_ok = 0;
    }
    helper_rounds++;
    sleep_ms(20);
  }
  return NULL;
}

static void setup(void) {
  seen = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(seen != MAP_FAILED, "mmap");
  struct sigaction sa = {0};
  sa.sa_sigaction = on_usr2;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  SYS(sigaction(SIGUSR2, &sa, NULL));
  child = SYS(fork());
  if (child == 0) {
    for (;;) pause();
  }
  SYS(pipe(pipe_fds));
  SYS(setpriority(PRIO_PROCESS, child, 4));
  pthread_t t;
  CHECK(pthread_create(&t, NULL, helper, NULL) == 0, "pthread_create");
  while (!helper_tid) sleep_ms(1);
}

static void tick(void) {
  const pid_t me = getpid();
  CHECK(fcntl(pipe_fds[0], F_SETOWN, me) == 0, "F_SETOWN %d: %s", me, strerror(errno));
  CHECK(fcntl(pipe_fds[0], F_GETOWN) == me, "F_GETOWN says %d, not %d",
        fcntl(pipe_fds[0], F_GETOWN), me);
  CHECK(fcntl(pipe_fds[0], F_SETOWN, -getpgrp()) == 0, "F_SETOWN of the group: %s",
        strerror(errno));
  CHECK(fcntl(pipe_fds[0], F_GETOWN) == -getpgrp(), "F_GETOWN says %d, not the group -%d",
        fcntl(pipe_fds[0], F_GETOWN), getpgrp());
  struct f_owner_ex o = {F_OWNER_TID, helper_tid};
  CHECK(fcntl(pipe_fds[1], F_SETOWN_EX, &o) == 0, "F_SETOWN_EX thread %d: %s", helper_tid,
        strerror(errno));
  memset(&o, 0, sizeof o);
  CHECK(fcntl(pipe_fds[1], F_GETOWN_EX, &o) == 0 && o.type == F_OWNER_TID && o.pid == helper_tid,
        "F_GETOWN_EX says type %d id %d, not the thread %d", o.type, o.pid, helper_tid);
  CHECK(syscall(SYS_fcntl, pipe_fds[1], F_GETOWN) == me ||
            syscall(SYS_fcntl, pipe_fds[1], F_GETOWN) == helper_tid,
        "syscall(SYS_fcntl, F_GETOWN) says %ld", syscall(SYS_fcntl, pipe_fds[1], F_GETOWN));
  union sigval v = {.sival_int = ++sent};
  CHECK(sigqueue(child, SIGUSR2, v) == 0, "sigqueue to child %d: %s", child, strerror(errno));
  siginfo_t si = {0};
  si.si_code = SI_QUEUE;
  si.si_pid = me;
  si.si_uid = getuid();
  si.si_value.sival_int = sent;
  CHECK(syscall(SYS_rt_sigqueueinfo, child, SIGUSR2, &si) == 0, "rt_sigqueueinfo to %d: %s", child,
        strerror(errno));
  CHECK(sched_getscheduler(child) == SCHED_OTHER, "sched_getscheduler(%d): %s", child,
        strerror(errno));
  struct sched_param sp;
  CHECK(sched_getparam(helper_tid, &sp) == 0, "sched_getparam(thread %d): %s", helper_tid,
        strerror(errno));
  struct timespec ts;
  CHECK(sched_rr_get_interval(child, &ts) == 0, "sched_rr_get_interval(%d): %s", child,
        strerror(errno));
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, child);
  CHECK(errno == 0 && nice == 4, "getpriority(child %d) = %d: %s", child, nice, strerror(errno));
  struct rlimit rl;
  CHECK(prlimit(child, RLIMIT_NOFILE, NULL, &rl) == 0, "prlimit(%d): %s", child, strerror(errno));
  CHECK(syscall(SYS_tkill, helper_tid, 0) == 0, "tkill(thread %d): %s", helper_tid,
        strerror(errno));
  CHECK(syscall(SYS_getpgid, child) == getpgrp(), "syscall getpgid(%d) = %ld, not %d", child,
        syscall(SYS_getpgid, child), getpgrp());
  CHECK(syscall(SYS_ioprio_get, 1, child) >= 0, "ioprio_get(%d): %s", child, strerror(errno));
  cpu_set_t cs;
  CHECK(syscall(SYS_sched_getaffinity, child, sizeof cs, &cs) > 0, "sched_getaffinity(%d): %s",
        child, strerror(errno));
  CHECK(helper_ok, "%s", helper_why);
}

static void finish(void) {
  int rounds = helper_rounds;
  sleep_ms(100);
  CHECK(helper_rounds > rounds, "the helper thread stopped");
  CHECK(helper_ok, "%s", helper_why);
  int last = seen[0];
  CHECK(last > sent - 50 && last <= sent, "the child last got %d, %d were sent", last, sent);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
}

CONFORMANCE_MAIN
