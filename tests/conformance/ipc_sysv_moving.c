// System V objects that a thread changes every millisecond (a semaphore counts, a queue takes and
// gives messages, a segment holds the count): after restarts on the node whose kernel still has the
// objects, moved on by the run that went on after the checkpoint, they are back as the checkpoint
// saw them, in step with the program's memory.
// FORKED-IN-PLACE: semaphores and queues change while a forked child would write
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "conformance.h"

enum { kWrap = 1000, kQueued = 4 };
struct message {
  long type;
  uint64_t seq;
};

static int sem, queue, seg;
static volatile uint64_t *shared;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t n, oldest;  // counted; the oldest message still queued

static void *changer(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    struct sembuf up = {0, 1, 0};
    SYS(semop(sem, &up, 1));
    if ((n + 1) % kWrap == 0) {
      struct sembuf down = {0, -kWrap, 0};
      SYS(semop(sem, &down, 1));
    }
    struct message m = {1, n};
    SYS(msgsnd(queue, &m, sizeof m.seq, 0));
    if (n - oldest >= kQueued) {
      SYS(msgrcv(queue, &m, sizeof m.seq, 0, 0));
      CHECK(m.seq == oldest, "message %llu came out, %llu expected", (unsigned long long)m.seq,
            (unsigned long long)oldest);
      ++oldest;
    }
    shared[0] = n + 1;
    ++n;
    pthread_mutex_unlock(&mu);
    sleep_ms(1);
  }
  return NULL;
}

static void setup(void) {
  sem = SYS(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  queue = SYS(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
  seg = SYS(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
  shared = shmat(seg, NULL, 0);
  CHECK(shared != (void *)-1, "shmat: %s", strerror(errno));
  pthread_t t;
  CHECK(pthread_create(&t, NULL, changer, NULL) == 0, "pthread_create");
}

static void tick(void) {
  pthread_mutex_lock(&mu);
  const int value = semctl(sem, 0, GETVAL);
  CHECK(value == (int)(n % kWrap), "the semaphore is %d, the program counted %llu", value,
        (unsigned long long)(n % kWrap));
  struct msqid_ds ds;
  SYS(msgctl(queue, IPC_STAT, &ds));
  CHECK(ds.msg_qnum == n - oldest, "%lu messages queued, %llu expected", (unsigned long)ds.msg_qnum,
        (unsigned long long)(n - oldest));
  CHECK(shared[0] == n, "the segment holds %llu, the program counted %llu",
        (unsigned long long)shared[0], (unsigned long long)n);
  pthread_mutex_unlock(&mu);
}

static void finish(void) {
  tick();
  pthread_mutex_lock(&mu);
  CHECK(n > 50, "only %llu changes", (unsigned long long)n);
  semctl(sem, 0, IPC_RMID);
  msgctl(queue, IPC_RMID, NULL);
  shmctl(seg, IPC_RMID, NULL);
}

CONFORMANCE_MAIN
