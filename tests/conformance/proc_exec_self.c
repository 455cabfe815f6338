// A process that execs after launch (itself, with an argument): the same pid, the same process
// for the coordinator, and the new program is checkpointed and restarted too.
#include "conformance.h"

static char self[4096];
static int generation_arg;

static void setup(void) {}
static void tick(void) {}
static void finish(void) {}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 1) {
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) conformance_fail("readlink");
    char pid[32];
    snprintf(pid, sizeof pid, "%d", getpid());
    execl(self, argv[0], pid, (char *)NULL);
    conformance_fail("execl: %s", strerror(errno));
  }
  generation_arg = atoi(argv[1]);
  CHECK(generation_arg == getpid(), "exec changed the pid: %d -> %d", generation_arg, getpid());
  (void)setup;
  (void)tick;
  (void)finish;
  printf("ready\n");
  while (!conformance_done()) {
    CHECK(getpid() == generation_arg, "pid changed after restart");
    sleep_ms(20);
  }
  printf("PASS\n");
  return 0;
}
