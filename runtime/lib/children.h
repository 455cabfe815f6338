// The children of a process at checkpoint time that are not in the
// checkpoint yet: forked (or spawned) just before it, they may not have
// joined the coordinator, or joined after the checkpoint began.
#pragma once

#include <sys/types.h>

namespace dmtcp::rt {

// With the threads stopped, before ckpt:suspended: tells the coordinator
// which children will join (they run the runtime and are not our own
// commands), so that it brings them into this checkpoint.
void ReportChildrenToJoin();
// While waiting for ckpt:suspended: those of them that ended without
// joining (a child that exits at once: its parent is stopped and cannot
// reap it), so that the coordinator stops waiting for them.
void ReportEndedChildren();

// A child made by clone() sharing this process's descriptor table
// (CLONE_FILES without CLONE_VM): a checkpoint cannot save the sharing,
// and is refused while the child lives.
void NoteSharedTableChild(pid_t child);
// A child made by clone() sharing this process's memory but not as a thread
// (CLONE_VM without CLONE_THREAD or CLONE_VFORK): it runs in the parent's
// address space without a runtime of its own, so checkpoints are refused
// while it does (until it ends or execs).
void NoteSharedMemoryChild(pid_t child);

}  // namespace dmtcp::rt
