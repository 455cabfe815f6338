// Kernel thread ids that change at restart, where the program's memory
// keeps them (see thread_ids.cc).
#pragma once

#include <sys/types.h>

namespace dmtcp::rt {

// In each restored thread: it had kernel id `from` and now has `to`; the
// robust mutexes on its robust list are corrected now.
void NoteThreadMoved(pid_t from, pid_t to, void* robust_head);
// The kernel id now of the thread that had `tid` before a restart (tid
// itself if it did not move).
pid_t CurrentTid(pid_t tid);
// At restart, once every thread is back: a dynamic loader lock still held by
// a thread the process does not have (or by the checkpoint thread, which is
// in none of the loader's calls here) would make the next dlopen, dlsym or
// exit wait for ever. Such a lock is released, and the restart says so.
void ReleaseOrphanedLoaderLocks();

}  // namespace dmtcp::rt
