// Memory that several processes of a computation hold alike (MPI ranks'
// identical tables, buffers of zeros) is saved once per folder. The
// processes writing their images into one folder share, for the
// generation being written, an index of the blocks they wrote (a file in
// /dev/shm, node-local); an image refers to a block another process's
// image holds through a hard link to that image beside its own,
// <image>.gen<N>.<peer>, so that each process prunes only its own files and
// a restart needs nothing but the folder.
#pragma once

#include <cstdint>

#include "image_writer.h"

namespace dmtcp::rt {

// Before the memory of generation gen's image at path (being written to
// tmp) is written, after PrepareIncremental: w looks its tracked blocks up
// in the index and publishes those it writes. Does nothing when the index
// cannot be had (no /dev/shm, no room): every block is then written.
void BeginPeerBlocks(image::ImageWriter& w, const char* path, const char* tmp, uint32_t gen);
// The kPeerImage records of the other images w referred to; after the memory.
bool WritePeerImages(image::ImageWriter& w, const char* path);
// The image is written or not: the links it made stay, the rest is let go.
void EndPeerBlocks();
// Every process of the generation is past writing: its index goes, and,
// when the generation is not kept, the links this image made (the folder
// holds the last complete generation and nothing else).
void EndPeerGeneration(const char* path, bool kept);
// After a restart: the image was written in the middle of a checkpoint, so
// the state it holds names descriptors, a mapping and links of the process
// that wrote it; none of that is this process's, and nothing is closed.
void ForgetPeerBlocks();
// The index mapping, which the image leaves out (empty when there is none).
void PeerIndexRange(uint64_t* start, uint64_t* end);

}  // namespace dmtcp::rt
