// A System V shared memory segment, attached by a parent and its child: after restarts its data
// and the attachment come back, and both see each other's writes.
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "conformance.h"

static int id;
static volatile int *mem;
static pid_t child;

static void setup(void) {
  id = SYS(shmget(IPC_PRIVATE, 65536, IPC_CREAT | 0600));
  mem = shmat(id, NULL, 0);
  CHECK(mem != (void *)-1, "shmat");
  mem[0] = 41;
  child = fork();
  if (child == 0) {
    while (mem[1] != 2) sleep_ms(5);
    mem[2] = 3;
    _exit(0);
  }
}

static void tick(void) { CHECK(mem[0] == 41, "data"); }

static void finish(void) {
  mem[1] = 2;
  int st;
  CHECK(waitpid(child, &st, 0) == child, "child");
  CHECK(mem[2] == 3, "the child's write is not seen");
  struct shmid_ds ds;
  CHECK(shmctl(id, IPC_STAT, &ds) == 0, "shmctl on the program's id: %s", strerror(errno));
  CHECK(ds.shm_segsz == 65536, "size");
  shmctl(id, IPC_RMID, NULL);
}

CONFORMANCE_MAIN
