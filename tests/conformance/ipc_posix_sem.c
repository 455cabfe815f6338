// A named POSIX semaphore (it lives in /dev/shm) with the value 5.
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <semaphore.h>

#include "conformance.h"

static sem_t *s;
static char name[64];

static void setup(void) {
  snprintf(name, sizeof name, "/conformance-sem-%d", getpid());
  s = sem_open(name, O_CREAT | O_EXCL, 0600, 5);
  CHECK(s != SEM_FAILED, "sem_open");
}

static void tick(void) {}

static void finish(void) {
  int v = -1;
  sem_getvalue(s, &v);
  CHECK(v == 5, "value %d", v);
  CHECK(sem_trywait(s) == 0, "trywait");
  sem_unlink(name);
}

CONFORMANCE_MAIN
