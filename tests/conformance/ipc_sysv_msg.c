// A System V message queue with three messages of two types waiting: after restarts they are
// there, in order, under the id the program knows, on a node that never had the queue.
// FORKED-IN-PLACE: semaphores and queues change while a forked child would write
// AFTER-KILL-REMOVE-IPC
#include <sys/ipc.h>
#include <sys/msg.h>

#include "conformance.h"

struct msg {
  long type;
  char text[32];
};
static int id;

static void setup(void) {
  id = SYS(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
  struct msg m = {1, "one"};
  SYS(msgsnd(id, &m, 4, 0));
  m.type = 2;
  strcpy(m.text, "two");
  SYS(msgsnd(id, &m, 4, 0));
  m.type = 1;
  strcpy(m.text, "three");
  SYS(msgsnd(id, &m, 6, 0));
}

static void tick(void) {}

static void finish(void) {
  struct msg m;
  CHECK(msgrcv(id, &m, sizeof m.text, 2, IPC_NOWAIT) == 4 && strcmp(m.text, "two") == 0,
        "message of type 2: %s", strerror(errno));
  CHECK(msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT) == 4 && strcmp(m.text, "one") == 0, "first");
  CHECK(msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT) == 6 && strcmp(m.text, "three") == 0, "third");
  msgctl(id, IPC_RMID, NULL);
}

CONFORMANCE_MAIN
