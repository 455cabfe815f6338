// One process at the counts a checkpoint must keep: 10,000 descriptors (2,000 TCP connections
// with both ends here and data in flight both ways, 6,000 eventfds with their counts), 5,000
// threads (each with its own thread-local value, blocked on one condition variable), and 500
// POSIX shared-memory objects, each mapped, with its own contents.
// FORKED-IN-PLACE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "conformance.h"

enum { kConns = 2000, kEventfds = 6000, kThreads = 5000, kShm = 500, kMsg = 48 };

static int client[kConns], server[kConns], efd[kEventfds];
static unsigned char *shm[kShm];
static char shm_names[kShm][64];
static pthread_t threads[kThreads];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int released, tasks_at_setup;
static int answered[kThreads];
static __thread int my_index;

static void *worker(void *arg) {
  my_index = (int)(intptr_t)arg;
  pthread_mutex_lock(&lock);
  while (!released) pthread_cond_wait(&go, &lock);
  pthread_mutex_unlock(&lock);
  answered[(int)(intptr_t)arg] = my_index + 1;  // its own thread-local value
  return NULL;
}

// "<dir> <i>" padded to kMsg bytes.
static void message(char *buf, char dir, int i) {
  memset(buf, '.', kMsg);
  buf[snprintf(buf, kMsg, "%c %d", dir, i)] = '.';
}

static void send_all(int fd, const char *buf) {
  CHECK(write(fd, buf, kMsg) == kMsg, "write: %s", strerror(errno));
}

static void expect(int fd, char dir, int i) {
  char want[kMsg], got[kMsg];
  message(want, dir, i);
  size_t n = 0;
  while (n < kMsg) {
    ssize_t r = read(fd, got + n, kMsg - n);
    CHECK(r > 0, "connection %d (%c): read returned %zd (%s)", i, dir, r, strerror(errno));
    n += (size_t)r;
  }
  CHECK(memcmp(want, got, kMsg) == 0, "connection %d (%c): got '%.*s'", i, dir, kMsg, got);
}

static unsigned char pattern(int obj, int byte) { return (unsigned char)(obj * 7 + byte); }

static int count_tasks(void) {
  int n = 0;
  FILE *f = fopen("/proc/self/status", "r");
  CHECK(f != NULL, "open /proc/self/status");
  char line[256];
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Threads: %d", &n) == 1) break;
  fclose(f);
  return n;
}

static void setup(void) {
  struct rlimit rl;
  SYS(getrlimit(RLIMIT_NOFILE, &rl));
  if (rl.rlim_max < 16384) rl.rlim_max = 16384;  // allowed to root only
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    SYS(getrlimit(RLIMIT_NOFILE, &rl));
    rl.rlim_cur = rl.rlim_max;
    SYS(setrlimit(RLIMIT_NOFILE, &rl));
  }
  CHECK(rl.rlim_cur >= 11000, "RLIMIT_NOFILE's hard limit is %lu, below the 11000 this needs",
        (unsigned long)rl.rlim_max);

  int listener = SYS(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  SYS(bind(listener, (struct sockaddr *)&a, sizeof a));
  SYS(listen(listener, 64));
  SYS(getsockname(listener, (struct sockaddr *)&a, &len));
  char buf[kMsg];
  for (int i = 0; i < kConns; i++) {
    client[i] = SYS(socket(AF_INET, SOCK_STREAM, 0));
    SYS(connect(client[i], (struct sockaddr *)&a, sizeof a));
    server[i] = SYS(accept(listener, NULL, NULL));
    message(buf, 'c', i);  // in flight to the server end until the end
    send_all(client[i], buf);
    message(buf, 's', i);
    send_all(server[i], buf);
  }
  close(listener);

  for (int i = 0; i < kEventfds; i++) efd[i] = SYS(eventfd((unsigned)i + 1, EFD_CLOEXEC));

  for (int i = 0; i < kShm; i++) {
    snprintf(shm_names[i], sizeof shm_names[i], "/dmtcp-big-counts-%d-%d", (int)getpid(), i);
    int fd = SYS(shm_open(shm_names[i], O_RDWR | O_CREAT | O_EXCL, 0600));
    SYS(ftruncate(fd, 4096));
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    close(fd);
    shm[i] = p;
    for (int b = 0; b < 4096; b++) shm[i][b] = pattern(i, b);
  }

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (int i = 0; i < kThreads; i++) {
    int e = pthread_create(&threads[i], &attr, worker, (void *)(intptr_t)i);
    CHECK(e == 0, "pthread_create %d: %s", i, strerror(e));
  }
  pthread_attr_destroy(&attr);
  tasks_at_setup = count_tasks();  // also the checkpointer's own thread
}

static void tick(void) {}

static void finish(void) {
  CHECK(count_tasks() == tasks_at_setup, "%d threads, not %d", count_tasks(), tasks_at_setup);
  pthread_mutex_lock(&lock);
  released = 1;
  pthread_cond_broadcast(&go);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
    CHECK(answered[i] == i + 1, "thread %d answered %d", i, answered[i]);
  }
  for (int i = 0; i < kConns; i++) {
    expect(server[i], 'c', i);
    expect(client[i], 's', i);
    // Still connected after the restarts: one more exchange.
    char buf[kMsg];
    message(buf, 'C', i);
    send_all(client[i], buf);
    expect(server[i], 'C', i);
  }
  for (int i = 0; i < kEventfds; i++) {
    uint64_t v = 0;
    CHECK(read(efd[i], &v, sizeof v) == sizeof v && v == (uint64_t)i + 1, "eventfd %d holds %lu", i,
          (unsigned long)v);
  }
  for (int i = 0; i < kShm; i++) {
    for (int b = 0; b < 4096; b++)
      CHECK(shm[i][b] == pattern(i, b), "shared memory object %d, byte %d", i, b);
    shm_unlink(shm_names[i]);
  }
}

CONFORMANCE_MAIN
