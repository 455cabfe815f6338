// The coordinator's secret: random at start, written 0600 where only this
// user can read it, removed at exit.
#pragma once

#include <string>

namespace dmtcp::coord {

// 64 lowercase hex characters from getrandom(). Throws std::runtime_error.
std::string NewSecret();
// Whether s looks like one NewSecret made.
bool IsSecret(const std::string& s);

// Creates (0700) the per-user directory from io::UserTmpDir() if missing,
// and refuses it (returns an error text) if it is not a directory owned by
// us or is writable by group or others.
std::string EnsurePrivateDir(const std::string& dir);

// Writes the secret to io::DefaultSecretPath(port), mode 0600. On success
// sets *path and returns "", else returns the error text.
std::string WriteSecretFile(int port, const std::string& secret, std::string* path);

}  // namespace dmtcp::coord
