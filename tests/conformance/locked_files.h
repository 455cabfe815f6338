// Files the program holds POSIX record locks on (lock files, databases), shared by the fd_locked_*
// programs. Each tick updates 8-byte slots in each file and checks, from another process, that
// every lock is still held and that the file holds what the program wrote. The checks run in a
// child: a descriptor of the file opened and closed by the program itself would drop its locks
// (closing any descriptor of a file drops every POSIX lock the process holds on it), and so would
// a checkpoint that read the file that way.
#ifndef LOCKED_FILES_H
#define LOCKED_FILES_H

#include <sys/wait.h>

#include "conformance.h"

#define LOCKED_SLOTS 16

struct locked_file {
  const char *name;
  int flags;  // O_WRONLY or O_RDWR
  long size;
  short lock_type;  // on [lock_start, lock_start + lock_len); len 0: to the end
  off_t lock_start, lock_len;
  char path[512];
  int fd;
  uint64_t slot[LOCKED_SLOTS];
};

static off_t slot_off(const struct locked_file *f, int k) {
  return (f->size / LOCKED_SLOTS) * k + 8;
}

// In a child, exit codes: 0 all as expected, 1 it could lock, 2 cannot open, 3 size, 5 byte,
// 10 + k slot k.
static int other_process_check(const struct locked_file *f) {
  pid_t p = fork();
  if (p == 0) {
    int o = open(f->path, O_RDWR);
    if (o < 0) _exit(2);
    // A read lock conflicts only with a write lock: against either, try a write lock.
    struct flock l = {
        .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = f->lock_start + 1, .l_len = 1};
    if (fcntl(o, F_SETLK, &l) == 0) _exit(1);
    struct stat st;
    if (fstat(o, &st) != 0 || st.st_size != f->size) _exit(3);
    for (int k = 0; k < LOCKED_SLOTS; k++) {
      uint64_t v = 0;
      if (pread(o, &v, 8, slot_off(f, k)) != 8 || v != f->slot[k]) _exit(10 + k);
    }
    // A byte between the slots: the contents, not only the slots, came back.
    unsigned char b = 0;
    _exit(pread(o, &b, 1, f->size - 1) == 1 && b == 0x5a ? 0 : 5);
  }
  int st;
  CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st), "the process checking %s did not exit", f->path);
  return WEXITSTATUS(st);
}

static void locked_check(const struct locked_file *f, const char *when) {
  const int r = other_process_check(f);
  CHECK(r != 1, "%s: another process took the locked bytes of %s", when, f->path);
  CHECK(r != 2, "%s: %s is gone", when, f->path);
  CHECK(r != 3, "%s: %s changed its size", when, f->path);
  CHECK(r < 10, "%s: slot %d of %s does not hold %llu", when, r - 10, f->path,
        (unsigned long long)f->slot[r - 10]);
  CHECK(r == 0, "%s: the last byte of %s changed", when, f->path);
}

// Makes each file at prefix + name, fills it and takes its lock.
static void locked_setup(struct locked_file *files, int n, const char *prefix) {
  for (int i = 0; i < n; i++) {
    struct locked_file *f = &files[i];
    snprintf(f->path, sizeof f->path, "%s%s", prefix, f->name);
    f->fd = SYS(open(f->path, f->flags | O_CREAT | O_TRUNC, 0600));
    SYS(ftruncate(f->fd, f->size));
    const unsigned char last = 0x5a;
    CHECK(pwrite(f->fd, &last, 1, f->size - 1) == 1, "pwrite %s", f->path);
    for (int k = 0; k < LOCKED_SLOTS; k++) {
      f->slot[k] = 1000 * (i + 1) + k;
      CHECK(pwrite(f->fd, &f->slot[k], 8, slot_off(f, k)) == 8, "pwrite %s", f->path);
    }
    struct flock l = {.l_type = f->lock_type,
                      .l_whence = SEEK_SET,
                      .l_start = f->lock_start,
                      .l_len = f->lock_len};
    SYS(fcntl(f->fd, F_SETLK, &l));
    locked_check(f, "before the checkpoint");
  }
}

static void locked_tick(struct locked_file *files, int n, long tick) {
  for (int i = 0; i < n; i++) {
    struct locked_file *f = &files[i];
    locked_check(f, "tick");
    const int k = (int)(tick % LOCKED_SLOTS);
    f->slot[k] = (uint64_t)tick * 10 + i;
    CHECK(pwrite(f->fd, &f->slot[k], 8, slot_off(f, k)) == 8, "pwrite %s", f->path);
  }
}

static void locked_finish(struct locked_file *files, int n) {
  for (int i = 0; i < n; i++) {
    locked_check(&files[i], "at the end");
    unlink(files[i].path);
  }
}

#endif
