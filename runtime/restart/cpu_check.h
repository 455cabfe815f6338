// A restart on a processor without an instruction-set extension the image's
// processor had is refused before any process is made: the program may have
// chosen code that uses it (glibc's string functions, math libraries, JIT
// compilers), and would stop with SIGILL later.
#pragma once

#include <string>

#include "image_reader.h"

namespace dmtcp::restart {

// The model name and flags of this node's processor (/proc/cpuinfo); empty
// flags if they cannot be read.
struct NodeCpu {
  std::string model, flags;
};
NodeCpu ReadNodeCpu();

// Why img cannot run on `node` ("" if it can, or if either side's flags are
// unknown): names the image, the flags missing, and both processors.
std::string CpuFeaturesRefusal(const image::ImageReader& img, const NodeCpu& node);

}  // namespace dmtcp::restart
