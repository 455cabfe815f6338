// File descriptors across checkpoint and restart.
#pragma once

#include "image_writer.h"

namespace dmtcp::rt {

// Records the open descriptors except those in skip (ours).
bool RecordFds(const int* skip, int nskip);
int RecordedFdCount();
bool WriteFdRecords(image::ImageWriter& w);
// Reopens regular files, directories and devices at restart.
bool RestoreFds();
void RegisterFilesPlugin();

}  // namespace dmtcp::rt
