// File descriptors across checkpoint and restart.
#pragma once

#include "image_writer.h"

namespace dmtcp::rt {

// Records the open descriptors except those in skip (ours). The data that
// goes with them (queued socket data, contents of small unlinked files and
// of files in temporary folders) is kept in memory of its own, grown as
// needed, until ReleaseFdData().
// Returns false (RecordFdsError() says why) if one cannot be recorded whole.
bool RecordFds(const int* skip, int nskip);
// Where that memory is (empty if none), for the image to leave it out.
void FdDataRange(uint64_t* start, uint64_t* end);
// That memory (at least 1 MiB after RecordFds), free for other use once
// WriteFdRecords is done.
char* FdDataBuffer(size_t* cap);
void ReleaseFdData();
const char* RecordFdsError();
int RecordedFdCount();
// After RecordFds: a descriptor of the program the file dev/inode can be read
// through without opening it again (-1: none), and whether the process holds
// a POSIX lock on it (a close of any descriptor of the file would drop it).
int FileReadableWithoutClose(uint64_t dev, uint64_t inode, bool* posix_locked);
// After RecordFds: the descriptor through which this process holds a write lease on the file
// dev/inode (-1: none).
int WriteLeaseFd(uint64_t dev, uint64_t inode);
// The i-th recorded descriptor and its path (path_len bytes, not terminated).
const image::FdInfo* RecordedFd(int i, const char** path);
bool WriteFdRecords(image::ImageWriter& w);
// Reopens regular files, directories and devices at restart.
bool RestoreFds();
void RegisterFilesPlugin();

}  // namespace dmtcp::rt
