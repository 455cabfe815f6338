// system(), popen() and pclose() called again and again across checkpoints and restarts (awk's
// system() in a loop, a program reading a filter's output), and one popen'd stream that lives
// through all of them. Each command's exit code must come back from system() or pclose(): a
// restarted call must wait for the same child, whose kernel pid changed, not fail with ECHILD
// (glibc's versions wait with internal calls no wrapper sees; system() returned -1). Shells
// spawned while a checkpoint runs join it at once: with forked checkpoints, many exit while it is
// still being written (the checkpoint failed, or a resumed shell hung, when the runtime's state
// was reset under it by a C++ initializer that ran after the runtime started).
// ROUNDS: 6
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static volatile int stop;
static char failure[256];
static volatile long systems, popens, lines;
static pthread_t system_thread, popen_thread, reader_thread;
static int long_status = -2;

static void failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failed(const char *fmt, ...) {
  if (failure[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(failure, sizeof failure, fmt, ap);
  va_end(ap);
}

static void *run_systems(void *arg) {
  (void)arg;
  while (!stop) {
    const int st = system("exit 3");
    if (st != 3 << 8) failed("system(\"exit 3\") returned %d (%s)", st, strerror(errno));
    systems++;
  }
  return NULL;
}

static void *run_popens(void *arg) {
  (void)arg;
  while (!stop) {
    FILE *in = popen("echo hi; exit 4", "r");
    if (!in) failed("popen r: %s", strerror(errno));
    char line[16] = "";
    if (in && (!fgets(line, sizeof line, in) || strcmp(line, "hi\n") != 0))
      failed("popen r read '%s'", line);
    int st = in ? pclose(in) : -1;
    if (st != 4 << 8) failed("pclose of 'exit 4' returned %d (%s)", st, strerror(errno));
    FILE *out = popen("read x && [ \"$x\" = ok ] && exit 6; exit 7", "w");
    if (!out) failed("popen w: %s", strerror(errno));
    if (out) fputs("ok\n", out);
    st = out ? pclose(out) : -1;
    if (st != 6 << 8) failed("pclose of a writer returned %d (%s)", st, strerror(errno));
    popens++;
  }
  return NULL;
}

// One stream from a command that counts until the test is done, then exits 5.
static void *read_long(void *arg) {
  FILE *in = arg;
  char line[32];
  long expect = 0;
  while (fgets(line, sizeof line, in)) {
    const long got = strtol(line, NULL, 10);
    if (got != expect) failed("the long stream said %ld, not %ld", got, expect);
    expect = got + 1;
    lines = expect;
  }
  long_status = pclose(in);
  return NULL;
}

static void setup(void) {
  static char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "i=0; while [ ! -e '%s' ]; do echo $i; i=$((i + 1)); sleep 0.01; done; exit 5",
           getenv("CONFORMANCE_DONE"));
  FILE *in = popen(cmd, "r");
  CHECK(in, "popen of the long command: %s", strerror(errno));
  CHECK(pthread_create(&reader_thread, NULL, read_long, in) == 0, "pthread_create");
  CHECK(pthread_create(&system_thread, NULL, run_systems, NULL) == 0, "pthread_create");
  CHECK(pthread_create(&popen_thread, NULL, run_popens, NULL) == 0, "pthread_create");
  while (systems == 0 || popens == 0 || lines == 0) sleep_ms(5);
  CHECK(!failure[0], "%s", failure);
}

static void tick(void) { CHECK(!failure[0], "%s", failure); }

static void finish(void) {
  stop = 1;
  pthread_join(system_thread, NULL);
  pthread_join(popen_thread, NULL);
  pthread_join(reader_thread, NULL);
  CHECK(!failure[0], "%s", failure);
  CHECK(long_status == 5 << 8, "pclose of the long command returned %d", long_status);
  CHECK(system(NULL) != 0, "system(NULL) says there is no shell");
  printf("%ld system() calls, %ld popen() pairs, %ld lines from the long stream\n", systems, popens,
         lines);
}

CONFORMANCE_MAIN
