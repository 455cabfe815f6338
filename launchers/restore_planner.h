// Turns a validated image into the restart loader's plan: checks everything
// that can be checked while failing is still harmless (files, kernel
// mappings, address conflicts), decodes compressed memory, and writes the
// plan to a memory file.
#pragma once

#include <string>

#include "image_reader.h"
#include "restart_info.h"

namespace dmtcp::restart {

struct PreparedRestore {
  int plan_fd = -1;  // inherited by the loader
  int data_fd = -1;
};

// Throws std::runtime_error with a message naming the image or file.
void CheckRestorable(const image::ImageReader& img);
PreparedRestore PrepareRestore(image::ImageReader& img, const RestartInfo& info, int fail_rc);

}  // namespace dmtcp::restart
