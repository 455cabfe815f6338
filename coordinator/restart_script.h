// The restart script the coordinator writes after each complete checkpoint.
#pragma once

#include <string>

#include "state.h"

namespace dmtcp::coord {

// The bash script for ckpt. dmtcp_restart is looked up first at
// restart_bin (absolute), then in PATH.
std::string RenderRestartScript(const CompletedCheckpoint& ckpt, const std::string& restart_bin);

// Writes <dir>/dmtcp_restart_script_<id as 16 hex>.sh (mode 0700, atomically)
// and points the <dir>/dmtcp_restart_script.sh symlink at it. Returns an
// error text, empty on success; *path receives the script's path.
std::string WriteRestartScript(const std::string& dir, const CompletedCheckpoint& ckpt,
                               const std::string& restart_bin, std::string* path);

}  // namespace dmtcp::coord
