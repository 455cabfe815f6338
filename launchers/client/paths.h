// Where our own files are: every command finds its siblings relative to its
// own executable, so a build tree and an install tree work the same way.
#pragma once

#include <string>

namespace dmtcp::client {

// Directory of the running executable (from /proc/self/exe).
std::string SelfExeDir();
// <bindir>/<name>: another command next to this one.
std::string SiblingCommand(const std::string& name);
// The runtime library libdmtcp.so, normalized; empty if it does not exist. Looked for in the
// installed library folder relative to <bindir> (DMTCP_BIN_TO_LIB, from GNUInstallDirs: ../lib,
// or ../lib/x86_64-linux-gnu with a multiarch libdir), then in the build tree's <bindir>/../lib.
// *looked_at (if given) gets the installed path, for a message when it is missing.
std::string RuntimeLibrary(std::string* looked_at = nullptr);
// The restart loader, <libexecdir>/dmtcp/dmtcp_restart_loader, found the same way (installed
// relative to <bindir>, else the build tree's <bindir>/../libexec); the installed path if it is
// in neither place.
std::string RestartLoader();
// True if path names an existing regular file.
bool IsRegularFile(const std::string& path);
// Absolute form of path (relative to the cwd); does not resolve symlinks.
std::string Absolute(const std::string& path);

}  // namespace dmtcp::client
