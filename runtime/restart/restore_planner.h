// Turns a validated image into the restart loader's plan: checks everything
// that can be checked while failing is still harmless (files, kernel
// mappings, address conflicts), decodes compressed memory, and writes the
// plan to a memory file.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "image_reader.h"
#include "restart_info.h"
#include "sysv_restore.h"

namespace dmtcp::restart {

struct PreparedRestore {
  int plan_fd = -1;   // inherited by the loader
  int data_fd = -1;   // decoded (decompressed) memory
  int image_fd = -1;  // the image itself: raw blocks are read from it directly
};

// Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS, /dev/zero, memfd,
// deleted files) shared between processes: one memory file per object,
// keyed by the (device, inode) the kernel showed, mapped by every process.
struct SharedObjects {
  std::map<std::pair<uint64_t, uint64_t>, int> fds;
  // System V segments made again or found (sysv_restore.h), by their id at
  // checkpoint: attached again where they were.
  std::map<uint64_t, SysvSegment> sysv_segments;
};

// POSIX shared memory and files in the node's temporary folders: they stay
// on their node, so a restart elsewhere makes them again.
bool NodeLocalFile(const std::string& path);
// Whether a restart makes a missing node-local file of the image again from
// the contents the image holds (all of it is there): on another node, or
// on this one where the run that went on after the checkpoint removed it
// (a compiler's temporary file, rolled back with the program).
// From the descriptor's own contents (FdContentsInImage) or from a file the
// process made (kMadeFile, made again by path).
bool RemakesNodeLocalFile(const image::ImageReader& img, const image::Fd& f);
// Whether the image holds the whole contents of descriptor f's file, in
// its record or in a kFileContents record.
bool FdContentsInImage(const image::ImageReader& img, const image::Fd& f);
// Makes the missing folders above path (mode 0700).
void MakeParentDirs(const std::string& path);

// Throws std::runtime_error with a message naming the image or file.
void CheckRestorable(const image::ImageReader& img);
PreparedRestore PrepareRestore(image::ImageReader& img, const RestartInfo& info, int fail_rc,
                               const SharedObjects* shared = nullptr);
// Creates the memory files for every shared object of the images, filled
// from the first image that has it; descriptors at or above min_fd. An
// object that is also an open unlinked file (a memfd the program maps and
// holds) is that file, given in `files` by (device, inode): one object again.
using FilesByInode = std::map<std::pair<uint64_t, uint64_t>, int>;
// Segments in `sysv` are left to it.
SharedObjects MakeSharedObjects(std::vector<std::unique_ptr<image::ImageReader>>& images,
                                int min_fd, const FilesByInode* files = nullptr,
                                const std::map<uint64_t, SysvSegment>* sysv = nullptr);

}  // namespace dmtcp::restart
