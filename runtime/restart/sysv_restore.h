// System V IPC objects of the images restored on this node (shared memory
// segments, semaphore sets, message queues): found still there (a restart
// on the node that ran them) or made again, and given the state the
// checkpoint saved. The program keeps its ids; each process learns the
// kernel's new ones from a table.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "image_reader.h"

namespace dmtcp::restart {

struct SysvSegment {
  int32_t id;     // the kernel's now
  uint64_t size;  // bytes
};

struct SysvRestored {
  int table_fd = -1;  // a memfd holding a SysvRestartTable (restart_info.h)
  // By the kernel's id at checkpoint (the inode of a /SYSV area).
  std::map<uint64_t, SysvSegment> segments;
};

// Throws std::runtime_error naming the object that cannot be made again.
SysvRestored RestoreSysvObjects(std::vector<std::unique_ptr<image::ImageReader>>& images);

}  // namespace dmtcp::restart
