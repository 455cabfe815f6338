// Files the program had open for writing, saved with the checkpoint
// (DMTCP_CKPT_OPEN_FILES=1): written back before the processes open them
// again, and the files named after them that appeared since the checkpoint
// (a database's journal of a later transaction) moved aside, not removed.
#pragma once

#include <memory>
#include <vector>

#include "image_reader.h"

namespace dmtcp::restart {

// Throws std::runtime_error naming the file that cannot be written back.
void WriteBackSavedFiles(std::vector<std::unique_ptr<image::ImageReader>>& images);
// Writes the pages of data (addr = offset) into fd, a file of size bytes;
// false with errno, or throws std::runtime_error if the image cannot be read.
bool WritePages(image::ImageReader& img, const std::vector<image::DataRef>& data, uint64_t size,
                int fd);

}  // namespace dmtcp::restart
