// Calls the kernel never restarts after a signal handler (poll, select,
// epoll_wait, ...) would return EINTR to the program because of a
// checkpoint: something it never asked for, and that programs which block
// every signal (signalfd users like script(1)) treat as fatal. When a
// checkpoint (or a restart) happened during the call, it is made again
// with what is left of its timeout.
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

#include "runtime.h"

using namespace dmtcp::rt;

namespace {

// Whether an EINTR came from our checkpoint: the resume generation moved.
bool CheckpointedDuring(int gen, int r) {
  return r < 0 && errno == EINTR && g.enabled && g.resume_gen.load() != gen;
}

// What remains of a millisecond timeout (negative: none).
int Remaining(int timeout_ms, int64_t start) {
  if (timeout_ms < 0) return timeout_ms;
  int64_t left = timeout_ms - (MonotonicMs() - start);
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

extern "C" {

int poll(struct pollfd* fds, nfds_t n, int timeout) {
  static auto real = Next<int (*)(struct pollfd*, nfds_t, int)>("poll");
  const int64_t start = MonotonicMs();
  for (int t = timeout;;) {
    const int gen = g.resume_gen.load();
    int r = real(fds, n, t);
    if (!CheckpointedDuring(gen, r)) return r;
    t = Remaining(timeout, start);
  }
}

int epoll_wait(int epfd, struct epoll_event* events, int max, int timeout) {
  static auto real = Next<int (*)(int, struct epoll_event*, int, int)>("epoll_wait");
  const int64_t start = MonotonicMs();
  for (int t = timeout;;) {
    const int gen = g.resume_gen.load();
    int r = real(epfd, events, max, t);
    if (!CheckpointedDuring(gen, r)) return r;
    t = Remaining(timeout, start);
  }
}

int epoll_pwait(int epfd, struct epoll_event* events, int max, int timeout, const sigset_t* mask) {
  static auto real =
      Next<int (*)(int, struct epoll_event*, int, int, const sigset_t*)>("epoll_pwait");
  const int64_t start = MonotonicMs();
  for (int t = timeout;;) {
    const int gen = g.resume_gen.load();
    int r = real(epfd, events, max, t, mask);
    if (!CheckpointedDuring(gen, r)) return r;
    t = Remaining(timeout, start);
  }
}

int select(int n, fd_set* rd, fd_set* wr, fd_set* ex, struct timeval* tv) {
  static auto real = Next<int (*)(int, fd_set*, fd_set*, fd_set*, struct timeval*)>("select");
  // Linux updates *tv with the time left, so a retry waits only for that;
  // the sets are restored first (they are undefined after an error).
  fd_set r0, w0, e0;
  if (rd) r0 = *rd;
  if (wr) w0 = *wr;
  if (ex) e0 = *ex;
  for (;;) {
    const int gen = g.resume_gen.load();
    int r = real(n, rd, wr, ex, tv);
    if (!CheckpointedDuring(gen, r)) return r;
    if (rd) *rd = r0;
    if (wr) *wr = w0;
    if (ex) *ex = e0;
  }
}

}  // extern "C"
