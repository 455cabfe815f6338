// Incremental checkpoints: an image refers to the memory blocks that did
// not change since the last complete generation instead of holding them
// again. The image of each complete generation is kept as a hard link,
// <image>.gen<N>, while a newer one refers to it; a restart follows the
// references (image_reader.cc).
#pragma once

#include <cstdint>

#include "image_writer.h"

namespace dmtcp::rt {

// Before the image of generation gen at path is written: makes room for its
// table and tells w what the last generation saved (nothing when this one
// must be whole: the first, every full_every-th, after a restart or a
// change of folder). Call before WriteMemory reads the address space.
void PrepareIncremental(image::ImageWriter& w, const char* path, uint32_t gen);
// The kBaseImage records of the generations w referred to; after the memory.
bool WriteBaseImages(image::ImageWriter& w, const char* path);
// The image was written whole (fsync'd): its table waits for the commit.
void IncrementalWritten(const image::ImageWriter& w);
// The generation is in place (committed) or not: the table becomes the
// previous one, the image is linked as <path>.gen<N>, and the kept images
// that it does not refer to are removed.
void IncrementalCommitted(const char* path, bool committed);
// The memory of the tables, which the images leave out.
void IncrementalRange(uint64_t* start, uint64_t* end);
// After a restart: the tables are gone (they were not saved), and the next
// image is whole, in whatever folder it goes.
void ForgetIncremental();

}  // namespace dmtcp::rt
