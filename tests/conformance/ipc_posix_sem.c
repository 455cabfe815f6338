// A named POSIX semaphore (it lives in /dev/shm) with the value 5. glibc makes it under a
// temporary name, links it to the semaphore's and removes the temporary one, so the process
// maps a file whose first name is gone: after restarts the memory must still be the file that
// other processes open by the semaphore's name, and no file may be made under the old name.
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <semaphore.h>
#include <sys/mman.h>

#include "conformance.h"

static sem_t *s;
static char name[64];
static char temp_name[512];  // the file glibc mapped, as /proc/self/maps names it

static void setup(void) {
  snprintf(name, sizeof name, "/conformance-sem-%d", getpid());
  s = sem_open(name, O_CREAT | O_EXCL, 0600, 5);
  CHECK(s != SEM_FAILED, "sem_open");
  FILE *maps = fopen("/proc/self/maps", "r");
  CHECK(maps != NULL, "/proc/self/maps");
  char line[1024];
  while (fgets(line, sizeof line, maps)) {
    unsigned long lo, hi;
    int at = 0;
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &at) < 2 || !at) continue;
    if ((unsigned long)s < lo || (unsigned long)s >= hi) continue;
    line[strcspn(line, "\n")] = 0;
    snprintf(temp_name, sizeof temp_name, "%s", line + at);
  }
  fclose(maps);
  CHECK(strstr(temp_name, " (deleted)") != NULL, "glibc mapped '%s', not a removed file",
        temp_name);
}

static void tick(void) {}

static void finish(void) {
  int v = -1;
  sem_getvalue(s, &v);
  CHECK(v == 5, "value %d", v);
  CHECK(sem_trywait(s) == 0, "trywait");
  // What another process that opens the semaphore now sees: the file, mapped afresh.
  char path[128];
  snprintf(path, sizeof path, "/dev/shm/sem.%s", name + 1);
  int fd = SYS(open(path, O_RDWR));
  sem_t *other = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(other != MAP_FAILED, "mmap %s", path);
  close(fd);
  CHECK(sem_post(other) == 0 && sem_post(other) == 0, "sem_post through %s", path);
  sem_getvalue(s, &v);
  CHECK(v == 6,
        "value %d after 2 posts by another opener of %s (expected 6): the restored "
        "semaphore is not the file of that name",
        v, path);
  struct stat st;
  CHECK(stat(temp_name, &st) != 0, "'%s' was made (the removed name of the semaphore's file)",
        temp_name);
  sem_unlink(name);
}

CONFORMANCE_MAIN
