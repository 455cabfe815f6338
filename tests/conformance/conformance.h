// The frame every conformance program shares (tests/conformance/run.sh drives them).
//
// A program sets up the kernel object or behaviour it is about, prints "ready", and then runs
// ticks (every 20 ms) that check what must stay true, while the driver checkpoints, kills and
// restarts it twice. When the file named by $CONFORMANCE_DONE exists it makes its final checks
// and prints "PASS" (exit 0), or "FAIL: <what>" (exit 1) at the first check that fails. The
// output goes to standard output, one line at a time, flushed.
//
//   static void setup(void) { ... }
//   static void tick(void) { ... CHECK(cond, "what") ... }      // may be empty
//   static void finish(void) { ... CHECK(...) ... }
//   CONFORMANCE_MAIN
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#ifndef _GNU_SOURCE  // also set by the build: system headers may come first
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void conformance_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void conformance_fail(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  printf("FAIL: %s\n", buf);
  fflush(stdout);
  _exit(1);
}

#define CHECK(cond, ...)                        \
  do {                                          \
    if (!(cond)) conformance_fail(__VA_ARGS__); \
  } while (0)
// A system call that must succeed: its error is named.
#define SYS(call)                                                                       \
  ({                                                                                    \
    long _r = (long)(call);                                                             \
    if (_r < 0) conformance_fail("%s: %s (line %d)", #call, strerror(errno), __LINE__); \
    _r;                                                                                 \
  })

static inline void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L}, rem;
  while (nanosleep(&t, &rem) != 0 && errno == EINTR) t = rem;
}

static inline int conformance_done(void) {
  const char *f = getenv("CONFORMANCE_DONE");
  return f && access(f, F_OK) == 0;
}

// Makes pid the next one the kernel gives (ns_last_pid; root only): 0 if it cannot.
static inline int next_pid_is(pid_t pid) {
  int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
  if (fd < 0) return 0;
  char buf[24];
  int n = snprintf(buf, sizeof buf, "%d", pid - 1);
  int ok = write(fd, buf, n) == n;
  close(fd);
  return ok;
}

// A scratch path in the test's folder (the current directory).
static inline const char *scratch(const char *name) {
  static char buf[8][512];
  static int next;
  char *b = buf[next++ % 8];
  char cwd[400];
  if (!getcwd(cwd, sizeof cwd)) conformance_fail("getcwd: %s", strerror(errno));
  snprintf(b, 512, "%s/%s", cwd, name);
  return b;
}

static inline uint64_t checksum(const void *p, size_t n) {
  const unsigned char *c = (const unsigned char *)p;
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

static void setup(void);
static void tick(void);
static void finish(void);

#define CONFORMANCE_MAIN              \
  int main(void) {                    \
    setvbuf(stdout, NULL, _IOLBF, 0); \
    setup();                          \
    printf("ready\n");                \
    fflush(stdout);                   \
    while (!conformance_done()) {     \
      tick();                         \
      sleep_ms(20);                   \
    }                                 \
    finish();                         \
    printf("PASS\n");                 \
    fflush(stdout);                   \
    return 0;                         \
  }

#endif
