// Folders saved whole with the checkpoint (dmtcp_launch --checkpoint-folder):
// taken back to it before the processes open any file. What changed or
// appeared in them after the checkpoint is moved to FOLDER.after-checkpoint,
// never removed; checkpoint images and the folders holding them are left
// alone.
#pragma once

#include <memory>
#include <vector>

#include "image_reader.h"

namespace dmtcp::restart {

// Throws std::runtime_error naming what cannot be put back.
void RestoreSavedFolders(std::vector<std::unique_ptr<image::ImageReader>>& images);

}  // namespace dmtcp::restart
