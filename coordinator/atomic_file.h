// Writing a file so that readers see either the old or the whole new one.
#pragma once

#include <sys/types.h>

#include <string>

namespace dmtcp::coord {

// Writes data to a temporary file beside path with `mode`, then renames it
// over path. Returns an error text, empty on success.
std::string WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode);

// Points `link` at `target` (a symlink), replacing any old link atomically.
std::string ReplaceSymlink(const std::string& target, const std::string& link);

}  // namespace dmtcp::coord
