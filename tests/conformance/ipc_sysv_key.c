// System V objects under the program's keys (a segment never attached, a semaphore set, a queue)
// and a segment removed while still attached: after restarts on a node that never had them, the
// keys find the same ids, the contents are back, the removed one is still attached and removed, and
// threads that were waiting in semop and msgrcv wait on and get what is given them at the end.
// FORKED-IN-PLACE: semaphores and queues change while a forked child would write
// AFTER-KILL-REMOVE-IPC
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "conformance.h"

enum { kSegSize = 3 * 4096 + 100 };
static key_t key;
static int seg, sem, queue, removed;
static volatile int *removed_mem;
struct message {
  long type;
  char text[16];
};

static pthread_t sem_waiter, msg_waiter;
static void *wait_semaphore(void *arg) {
  (void)arg;
  struct sembuf take = {1, -100, 0};  // blocks until finish() gives 100
  return (void *)(long)semop(sem, &take, 1);
}
static void *wait_message(void *arg) {
  (void)arg;
  struct message m;
  long r = msgrcv(queue, &m, sizeof m.text, 99, 0);  // blocks until finish() sends type 99
  return (void *)(r == sizeof m.text && strcmp(m.text, "late") == 0 ? 0L : -1L);
}

static void setup(void) {
  key = (key_t)(0x5e000000 | ((getpid() & 0xfffff) << 4));
  seg = SYS(shmget(key + 1, kSegSize, IPC_CREAT | IPC_EXCL | 0640));
  unsigned char *p = shmat(seg, NULL, 0);
  CHECK(p != (void *)-1, "shmat");
  for (int i = 0; i < kSegSize; i++) p[i] = (unsigned char)(i * 7 + 1);
  SYS(shmdt(p));
  sem = SYS(semget(key + 2, 2, IPC_CREAT | IPC_EXCL | 0600));
  unsigned short v[2] = {5, 6};
  SYS(semctl(sem, 0, SETALL, v));
  queue = SYS(msgget(key + 3, IPC_CREAT | IPC_EXCL | 0600));
  struct message m = {7, "hello"};
  SYS(msgsnd(queue, &m, sizeof m.text, 0));
  removed = SYS(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
  removed_mem = shmat(removed, NULL, 0);
  CHECK(removed_mem != (void *)-1, "shmat");
  removed_mem[0] = 77;
  SYS(shmctl(removed, IPC_RMID, NULL));
  CHECK(pthread_create(&sem_waiter, NULL, wait_semaphore, NULL) == 0, "pthread_create");
  CHECK(pthread_create(&msg_waiter, NULL, wait_message, NULL) == 0, "pthread_create");
}

static void tick(void) { CHECK(removed_mem[0] == 77, "the removed segment's data"); }

static void finish(void) {
  CHECK(shmget(key + 1, 0, 0) == seg, "the segment's key finds %d, not %d: %s",
        shmget(key + 1, 0, 0), seg, strerror(errno));
  CHECK(semget(key + 2, 0, 0) == sem, "the semaphore set's key");
  CHECK(msgget(key + 3, 0) == queue, "the queue's key");
  CHECK(shmget(key + 1, 0, IPC_CREAT | IPC_EXCL | 0600) == -1 && errno == EEXIST,
        "the segment's key is free again");
  struct shmid_ds ds;
  SYS(shmctl(seg, IPC_STAT, &ds));
  CHECK(ds.shm_segsz == kSegSize && (ds.shm_perm.mode & 0777) == 0640, "size %zu mode %o",
        (size_t)ds.shm_segsz, ds.shm_perm.mode & 0777);
  unsigned char *p = shmat(seg, NULL, SHM_RDONLY);
  CHECK(p != (void *)-1, "shmat after restart: %s", strerror(errno));
  for (int i = 0; i < kSegSize; i++)
    CHECK(p[i] == (unsigned char)(i * 7 + 1), "segment byte %d is %d", i, p[i]);
  SYS(shmdt(p));
  CHECK(semctl(sem, 0, GETVAL) == 5 && semctl(sem, 1, GETVAL) == 6, "semaphore values");
  struct sembuf give = {1, 100, 0};
  SYS(semop(sem, &give, 1));
  void *ret;
  pthread_join(sem_waiter, &ret);
  CHECK(ret == NULL, "the thread waiting in semop got an error");
  CHECK(semctl(sem, 1, GETVAL) == 6, "the waiter took its 100");
  struct message late = {99, "late"};
  SYS(msgsnd(queue, &late, sizeof late.text, 0));
  pthread_join(msg_waiter, &ret);
  CHECK(ret == NULL, "the thread waiting in msgrcv got an error or another message");
  struct message m;
  CHECK(msgrcv(queue, &m, sizeof m.text, 0, IPC_NOWAIT) == sizeof m.text, "no message: %s",
        strerror(errno));
  CHECK(m.type == 7 && strcmp(m.text, "hello") == 0, "message %ld %s", m.type, m.text);
  SYS(shmctl(removed, IPC_STAT, &ds));
  CHECK((ds.shm_perm.mode & SHM_DEST) && ds.shm_nattch == 1,
        "the removed segment: mode %o, %lu attached", ds.shm_perm.mode,
        (unsigned long)ds.shm_nattch);
  // An object made now gets an id of its own, distinct from the restored ones.
  int fresh = SYS(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  CHECK(fresh != sem, "a new semaphore set has the old one's id");
  SYS(semctl(fresh, 0, SETVAL, 3));
  CHECK(semctl(fresh, 0, GETVAL) == 3 && semctl(sem, 0, GETVAL) == 5, "new and old sets apart");
  semctl(fresh, 0, IPC_RMID);
  semctl(sem, 0, IPC_RMID);
  msgctl(queue, IPC_RMID, NULL);
  shmctl(seg, IPC_RMID, NULL);
  SYS(shmdt((void *)removed_mem));
}

CONFORMANCE_MAIN
