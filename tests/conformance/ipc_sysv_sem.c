// A System V semaphore set of three (values 3, 0, 7): after restarts the values are the same,
// under the id the program knows, and semop works on it, on a node that never had the set.
// FORKED-IN-PLACE: semaphores and queues change while a forked child would write
// AFTER-KILL-REMOVE-IPC
#include <sys/ipc.h>
#include <sys/sem.h>

#include "conformance.h"

static int id;

static void setup(void) {
  id = SYS(semget(IPC_PRIVATE, 3, IPC_CREAT | 0600));
  unsigned short v[3] = {3, 0, 7};
  SYS(semctl(id, 0, SETALL, v));
}

static void tick(void) {}

static void finish(void) {
  unsigned short v[3] = {9, 9, 9};
  CHECK(semctl(id, 0, GETALL, v) == 0, "semctl on the program's id: %s", strerror(errno));
  CHECK(v[0] == 3 && v[1] == 0 && v[2] == 7, "values %d %d %d", v[0], v[1], v[2]);
  struct sembuf op = {0, -1, IPC_NOWAIT};
  CHECK(semop(id, &op, 1) == 0, "semop");
  CHECK(semctl(id, 0, GETVAL) == 2, "value after semop");
  semctl(id, 0, IPC_RMID);
}

CONFORMANCE_MAIN
