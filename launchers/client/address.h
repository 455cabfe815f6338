// Which coordinator a command talks to, and the secret that proves we may.
#pragma once

#include <optional>
#include <string>

namespace dmtcp::client {

struct CoordAddress {
  std::string host;
  int port = 0;
};

// Explicit values win; else DMTCP_COORD_HOST, DMTCP_HOST (host) and
// DMTCP_COORD_PORT, DMTCP_PORT (port); else localhost:7779. Throws
// ClientError(kUsage) for a port outside 0..65535 or not a number.
CoordAddress ResolveAddress(const std::optional<std::string>& host = std::nullopt,
                            const std::optional<int>& port = std::nullopt);

// Parses a TCP port (0..65535); nullopt if s is not one.
std::optional<int> ParsePort(const std::string& s);

// The secret of the coordinator on `port`: $DMTCP_COORD_SECRET (the value),
// else the contents of the file named by $DMTCP_COORD_SECRET_FILE, else the
// contents of io::DefaultSecretPath(port) if that file and its directory
// belong to us and no one else can write them. nullopt if none is found.
std::optional<std::string> FindSecret(int port);

// The secret stored in a file (surrounding whitespace removed); nullopt if
// the file cannot be read or is empty.
std::optional<std::string> ReadSecretFile(const std::string& path);

// The secret in io::DefaultSecretPath(port) if that file and its directory
// belong to us alone; nullopt otherwise (environment variables not read).
std::optional<std::string> PrivateDefaultSecret(int port);

// The default secret file path for `port` (see io::DefaultSecretPath).
std::string DefaultSecretPath(int port);

// True if host names this machine (localhost, our hostname, or an address
// of one of our interfaces).
bool IsLocalHost(const std::string& host);

}  // namespace dmtcp::client
