// The pages the program wrote since the last checkpoint, from the kernel
// (userfaultfd write-protection in async mode and PAGEMAP_SCAN, Linux 6.7):
// an incremental checkpoint then neither reads nor hashes the blocks it
// knows did not change.
#pragma once

#include <stdint.h>

namespace dmtcp::rt {

// At the start of the memory of generation `gen` (the program stopped).
// `since_gen`: the generation the image refers to (0: none); the kernel's
// reports are used only if its scan was the last one made.
void BeginWriteScan(uint32_t gen, uint32_t since_gen);
// Whether the reports of this checkpoint may be used at all.
bool WriteScanUsable();
// For the pages [start, start + pages * 4096) of the private anonymous area
// [area_start, area_end): sets `written_bit` in pagemap[i] for each page
// written since the last scan, and protects them again for the next one.
// False if the kernel cannot say for this area (every page counts as
// written then).
bool ScanWrittenPages(int pagemap_fd, uint64_t area_start, uint64_t area_end, uint32_t advice,
                      uint64_t start, uint64_t pages, uint64_t* pagemap, uint64_t written_bit);
// The descriptor the runtime keeps for it (-1: none), and its new number
// after the program took the old one.
int WriteTrackingFd();
void WriteTrackingFdMoved(int fd);
// In a fork child: the parent's descriptor is closed (the child's memory is
// not registered). After a restart: forgotten (the number is not ours).
void DropWriteTracking();
void ForgetWriteTracking();

}  // namespace dmtcp::rt
