// A System V shared memory segment, attached by a parent and its child: after restarts its data
// and the attachment come back on a node that never had it (in the parent in three parts: a page
// in the middle made read-only), both see each other's writes, and the parent can detach it.
// Before it, 5,000 segments made and removed (more than the runtime's table holds at once).
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
// AFTER-KILL-REMOVE-IPC
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "conformance.h"

static int id;
static volatile int *mem;
static pid_t child;

static void setup(void) {
  for (int i = 0; i < 5000; i++) {
    int gone = SYS(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
    SYS(shmctl(gone, IPC_RMID, NULL));
  }
  id = SYS(shmget(IPC_PRIVATE, 65536, IPC_CREAT | 0600));
  mem = shmat(id, NULL, 0);
  CHECK(mem != (void *)-1, "shmat");
  mem[0] = 41;
  mem[8192] = 43;  // byte 32768: its page made read-only
  SYS(mprotect((char *)mem + 32768, 4096, PROT_READ));
  child = fork();
  if (child == 0) {
    while (mem[1] != 2) sleep_ms(5);
    mem[2] = 3;
    _exit(0);
  }
}

static void tick(void) { CHECK(mem[0] == 41 && mem[8192] == 43, "data"); }

static void finish(void) {
  mem[1] = 2;
  int st;
  CHECK(waitpid(child, &st, 0) == child, "child");
  CHECK(mem[2] == 3, "the child's write is not seen");
  struct shmid_ds ds;
  CHECK(shmctl(id, IPC_STAT, &ds) == 0, "shmctl on the program's id: %s", strerror(errno));
  CHECK(ds.shm_segsz == 65536, "size");
  SYS(shmdt((void *)mem));
  SYS(shmctl(id, IPC_STAT, &ds));
  CHECK(ds.shm_nattch == 0, "%lu attachments left after shmdt", (unsigned long)ds.shm_nattch);
  shmctl(id, IPC_RMID, NULL);
}

CONFORMANCE_MAIN
