// Files a process made in the node's temporary folders (/tmp, /var/tmp,
// /dev/shm) and may name again by path after a restart, with no descriptor
// open on them (a compiler driver's /tmp/cc*.s between cc1 and as). The
// run that goes on after a checkpoint may remove them; the image keeps
// their contents and a restart makes them again where missing.
#pragma once

#include <stddef.h>

#include "image_writer.h"

namespace dmtcp::rt {

// From the wrappers of calls that make a file (open with O_CREAT, creat,
// fopen for writing, mkstemp and kin), once the file is there.
void NoteMadeFile(int dirfd, const char* path);
void MadeFilesAfterFork();  // in a forked child: another thread may have held the table

// Checkpoint thread, after the descriptors are recorded and before a
// forked writer exists: opens those that still exist (so a program that
// removes one meanwhile takes nothing from the writer). Not those the
// memory holds (mapped shared whole: maps is /proc/self/maps). The
// descriptors opened go to keep[] (up to cap); returns how many.
int OpenMadeFiles(int* keep, int cap, const char* maps);
// Writes them (buf: scratch room of kMaxMadeFileSize bytes) and closes them.
bool WriteMadeFiles(image::ImageWriter& w, char* buf, size_t cap);
// Closes them unwritten (a process whose forked child writes them, a failure).
void CloseMadeFiles();

}  // namespace dmtcp::rt
