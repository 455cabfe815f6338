// Where our own files are: every command finds its siblings relative to its
// own executable, so a build tree and an install tree work the same way.
#pragma once

#include <string>

namespace dmtcp::client {

// Directory of the running executable (from /proc/self/exe).
std::string SelfExeDir();
// <bindir>/<name>: another command next to this one.
std::string SiblingCommand(const std::string& name);
// <bindir>/../lib/libdmtcp.so, normalized; empty if it does not exist.
std::string RuntimeLibrary();
// True if path names an existing regular file.
bool IsRegularFile(const std::string& path);
// Absolute form of path (relative to the cwd); does not resolve symlinks.
std::string Absolute(const std::string& path);

}  // namespace dmtcp::client
