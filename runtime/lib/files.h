// File descriptors across checkpoint and restart.
#pragma once

#include "image_writer.h"

namespace dmtcp::rt {

// Records the open descriptors except those in skip (ours).
// Socket data waiting to be read is peeked into sock_data (cap bytes),
// which must stay valid until WriteFdRecords.
// Returns false (RecordFdsError() says why) if one cannot be recorded whole.
bool RecordFds(const int* skip, int nskip, char* sock_data, size_t sock_cap);
const char* RecordFdsError();
int RecordedFdCount();
// The i-th recorded descriptor and its path (path_len bytes, not terminated).
const image::FdInfo* RecordedFd(int i, const char** path);
bool WriteFdRecords(image::ImageWriter& w);
// Reopens regular files, directories and devices at restart.
bool RestoreFds();
void RegisterFilesPlugin();

}  // namespace dmtcp::rt
