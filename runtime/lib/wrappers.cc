// Calls that must not overlap a checkpoint: creating a thread (it would be
// missed by the freeze) and fork (the child would inherit a half-frozen
// state). They wait while a checkpoint runs.
#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>

#include "runtime.h"

namespace dmtcp::rt {

PthreadCreateFn RealPthreadCreate() {
  static auto fn = reinterpret_cast<PthreadCreateFn>(dlsym(RTLD_NEXT, "pthread_create"));
  return fn;
}

void WrapperEnter() {
  for (;;) {
    while (g.ckpt_pending.load()) FutexWait(&g.ckpt_pending, 1);
    g.wrappers_active.fetch_add(1);
    if (!g.ckpt_pending.load()) return;
    WrapperExit();
  }
}

void WrapperExit() {
  if (g.wrappers_active.fetch_sub(1) == 1) FutexWakeAll(&g.wrappers_active);
}

namespace {

void BeforeFork() {
  if (g.enabled) WrapperEnter();
}
void AfterForkParent() {
  if (g.enabled) WrapperExit();
}
void AfterForkChild() {
  if (!g.enabled) return;
  // The child has no checkpoint thread: it is not checkpointed unless it
  // execs, when the runtime starts afresh in the new program.
  g.wrappers_active.store(0);
  g.enabled = false;
  if (g.coord_fd >= 0) close(g.coord_fd);
  g.coord_fd = -1;
}

__attribute__((constructor(101))) void RegisterForkHandlers() {
  pthread_atfork(BeforeFork, AfterForkParent, AfterForkChild);
}

}  // namespace
}  // namespace dmtcp::rt

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                              void* arg) {
  using namespace dmtcp::rt;
  if (!g.enabled) return RealPthreadCreate()(thread, attr, start, arg);
  WrapperEnter();
  int r = RealPthreadCreate()(thread, attr, start, arg);
  WrapperExit();
  return r;
}
