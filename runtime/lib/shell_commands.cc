// system(), popen() and pclose() as POSIX says, made of the wrapped
// posix_spawn and waitpid. glibc's own versions spawn and wait with
// internal calls no wrapper sees: a program restarted while it waited for
// such a command (awk's system() in a loop, a popen'd filter) waited for
// the child's old kernel pid and got ECHILD, and system() returned -1.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime.h"

using namespace dmtcp::rt;

namespace {

constexpr const char* kShell = "/bin/sh";

// Each command line runs as "sh -c -- LINE", so one that starts with "-"
// is not taken for options.
int SpawnShell(pid_t* pid, const char* line, const posix_spawn_file_actions_t* actions,
               const posix_spawnattr_t* attr) {
  char sh[] = "sh", c[] = "-c", dashes[] = "--";
  char* const argv[] = {sh, c, dashes, const_cast<char*>(line), nullptr};
  return posix_spawn(pid, kShell, actions, attr, argv, environ);
}

// While any thread runs system(), SIGINT and SIGQUIT are ignored; the
// dispositions they had come back when the last one returns.
pthread_mutex_t g_system_lock = PTHREAD_MUTEX_INITIALIZER;
int g_system_running;
struct sigaction g_saved_int, g_saved_quit;

int RunSystem(const char* line) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  pthread_mutex_lock(&g_system_lock);
  if (g_system_running++ == 0) {
    sigaction(SIGINT, &ignore, &g_saved_int);
    sigaction(SIGQUIT, &ignore, &g_saved_quit);
  }
  const bool int_ignored = g_saved_int.sa_handler == SIG_IGN;
  const bool quit_ignored = g_saved_quit.sa_handler == SIG_IGN;
  pthread_mutex_unlock(&g_system_lock);

  sigset_t chld, saved_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, &saved_mask);

  // The shell starts with the caller's mask and, unless they were ignored
  // already, SIGINT and SIGQUIT at their defaults.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  if (!int_ignored) sigaddset(&defaults, SIGINT);
  if (!quit_ignored) sigaddset(&defaults, SIGQUIT);
  posix_spawnattr_setsigmask(&attr, &saved_mask);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  int status;
  if (SpawnShell(&pid, line, nullptr, &attr) == 0) {
    pid_t r;
    do r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid) status = -1;
  } else {
    status = W_EXITCODE(127, 0);  // as a shell that could not run
  }
  posix_spawnattr_destroy(&attr);

  const int saved_errno = errno;
  pthread_mutex_lock(&g_system_lock);
  if (--g_system_running == 0) {
    sigaction(SIGINT, &g_saved_int, nullptr);
    sigaction(SIGQUIT, &g_saved_quit, nullptr);
  }
  pthread_mutex_unlock(&g_system_lock);
  pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  errno = saved_errno;
  return status;
}

// The streams popen() made, with their children: pclose() waits for the
// child, and each new child closes the other streams' descriptors (POSIX).
struct Piped {
  FILE* stream;
  int fd;
  pid_t pid;
  Piped* next;
};
pthread_mutex_t g_piped_lock = PTHREAD_MUTEX_INITIALIZER;
Piped* g_piped;

FILE* OpenPiped(const char* line, const char* mode) {
  bool reading = false, writing = false, cloexec = false;
  for (const char* m = mode; *m; ++m) {
    reading |= *m == 'r';
    writing |= *m == 'w';
    cloexec |= *m == 'e';
  }
  if (reading == writing) {
    errno = EINVAL;
    return nullptr;
  }
  auto* entry = static_cast<Piped*>(malloc(sizeof(Piped)));
  if (!entry) return nullptr;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    free(entry);
    return nullptr;
  }
  const int ours = reading ? fds[0] : fds[1];
  int theirs = reading ? fds[1] : fds[0];
  const int target = reading ? STDOUT_FILENO : STDIN_FILENO;
  // On the target already (its own stdin or stdout was closed): moved
  // away, so the child's dup2 makes a descriptor without close-on-exec.
  if (theirs == target) {
    const int moved = fcntl(theirs, F_DUPFD_CLOEXEC, 3);
    close(theirs);
    if (moved < 0) {
      close(ours);
      free(entry);
      return nullptr;
    }
    theirs = moved;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs, target);
  pthread_mutex_lock(&g_piped_lock);
  for (Piped* p = g_piped; p; p = p->next)
    if (p->fd != target) posix_spawn_file_actions_addclose(&actions, p->fd);
  pid_t pid = 0;
  const int err = SpawnShell(&pid, line, &actions, nullptr);
  posix_spawn_file_actions_destroy(&actions);
  close(theirs);
  FILE* stream = nullptr;
  if (err == 0) {
    if (!cloexec) fcntl(ours, F_SETFD, 0);
    stream = fdopen(ours, reading ? "r" : "w");
  }
  if (!stream) {
    const int saved_errno = err ? err : errno;
    pthread_mutex_unlock(&g_piped_lock);
    close(ours);
    if (err == 0) {
      pid_t r;
      do r = waitpid(pid, nullptr, 0);
      while (r < 0 && errno == EINTR);
    }
    free(entry);
    errno = saved_errno;
    return nullptr;
  }
  *entry = {stream, ours, pid, g_piped};
  g_piped = entry;
  pthread_mutex_unlock(&g_piped_lock);
  return stream;
}

}  // namespace

extern "C" {

int system(const char* line) {
  static auto real = Next<int (*)(const char*)>("system");
  if (!g.enabled) return real(line);
  if (!line) return access(kShell, X_OK) == 0;
  return RunSystem(line);
}

FILE* popen(const char* line, const char* mode) {
  static auto real = Next<FILE* (*)(const char*, const char*)>("popen");
  if (!g.enabled) return real(line, mode);
  return OpenPiped(line, mode);
}

int pclose(FILE* stream) {
  static auto real = Next<int (*)(FILE*)>("pclose");
  pthread_mutex_lock(&g_piped_lock);
  Piped* found = nullptr;
  for (Piped** p = &g_piped; *p; p = &(*p)->next) {
    if ((*p)->stream != stream) continue;
    found = *p;
    *p = found->next;
    break;
  }
  pthread_mutex_unlock(&g_piped_lock);
  if (!found) return real(stream);  // one glibc made, before the runtime ran
  const pid_t pid = found->pid;
  free(found);
  fclose(stream);
  int status;
  pid_t r;
  do r = waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  return r == pid ? status : -1;
}

}  // extern "C"
