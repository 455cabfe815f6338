// The address space: which areas an image holds and which of their pages.
#pragma once

#include <cstdint>

#include "image_writer.h"

namespace dmtcp::rt {

struct MemoryScratch {
  char* maps;  // buffer for /proc/self/maps
  uint64_t maps_cap;
  uint64_t* pagemap;                // buffer for /proc/self/pagemap entries
  uint64_t pagemap_cap;             // entries
  uint64_t skip_start, skip_end;    // our own scratch memory, not saved
  uint64_t skip2_start, skip2_end;  // the restart's pid table (empty if none)
  uint64_t skip3_start, skip3_end;  // drained TCP data (saved with its descriptors)
  uint64_t skip4_start, skip4_end;  // other data saved with the descriptors
  uint64_t skip5_start, skip5_end;  // the incremental checkpoints' tables
  uint64_t skip6_start, skip6_end;  // the node's index of blocks saved (peer_blocks.h)
};

// True if the process maps a device whose state cannot be checkpointed (an
// RDMA network card, or one named in DMTCP_REFUSE_DEVICES); its path into
// dev. maps is a buffer of cap bytes for /proc/self/maps.
bool MappedDeviceRefused(char* maps, uint64_t cap, char* dev, size_t devcap);
// Whether the maps (as MappedDeviceRefused read them) hold a Linux native AIO
// ring (io_setup): its context and requests live in the kernel.
bool HasAioRing(const char* maps);

// True if maps (the text of /proc/self/maps) has writable memory shared with
// other processes whose pages an image holds (anonymous shared memory, /dev/shm,
// memfd), outside [skip_start, skip_end) and [skip2_start, skip2_end): a
// forked child would see it change while it writes.
bool HasSharedMemoryToSave(const char* maps, uint64_t skip_start, uint64_t skip_end,
                           uint64_t skip2_start, uint64_t skip2_end);

// Whether maps maps the whole file dev/inode of size bytes shared, as memory
// the image holds (a file of the node's temporary folders: /dev/shm): its
// contents need not be saved a second time as a file's.
bool FileSavedAsMemory(const char* maps, uint64_t dev, uint64_t inode, uint64_t size);

// Whether the page at p (4 KiB) holds only zeros.
bool PageIsZero(const uint64_t* p);

// The pages of an object mapped at base (a System V segment, a file) as
// data records at their offsets, zero pages left out; with resident_only,
// only those the kernel has (shared memory: mincore), else every one.
bool WriteObjectPages(image::ImageWriter& w, const char* base, uint64_t size, bool resident_only);

// Writes an area record and the saved pages of every area. Counts areas.
bool WriteMemory(image::ImageWriter& w, const MemoryScratch& s, uint32_t* num_areas);

}  // namespace dmtcp::rt
