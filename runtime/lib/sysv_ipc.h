// System V IPC objects (shared memory segments, semaphore sets, message
// queues): kernel objects that outlive the process and that the program
// names by ids the kernel chose. The wrappers note every object the program
// gets or uses; a checkpoint saves their state; a restart makes them again
// (or finds them still there, on the same node) and the program keeps its
// ids, translated to the kernel's from then on.
#pragma once

#include "image_writer.h"

namespace dmtcp::rt {

// In a forked child: another thread may have held the table.
void SysvAfterFork();

// Checkpoint thread, every thread of the program stopped.
// Notes the segments attached in maps (the text of /proc/self/maps).
void NoteAttachedSysvSegments(const char* maps);
// Whether the process uses any object: a forked writer would save them as
// they go on changing, so the process writes its image itself.
bool SysvObjectsInUse();
// Writes one record per live object (and a segment's pages). False with a
// message in err when one cannot be read or the table overflowed.
bool WriteSysvObjects(image::ImageWriter& w, char* err, size_t errcap);

// Restored process: the kernel's ids of the objects dmtcp_restart made
// (table_fd: a memfd holding a SysvRestartTable, -1 if none).
bool TranslateSysvIds(int table_fd);
// Once every process of the node is back (each attached its segments):
// segments that had been marked for removal are marked again.
void MarkRemovedSysvSegments();

}  // namespace dmtcp::rt
