// Finding or starting the coordinator a new computation joins.
#pragma once

#include <optional>
#include <string>

#include "address.h"
#include "connection.h"

namespace dmtcp::client {

enum class CoordMode {
  kDefault,  // join if reachable, else start one when the host is local
  kJoin,     // it must exist
  kNew,      // start one (port 0: any free port)
  kNone,     // no coordinator (DMTCP_NO_COORDINATOR)
};

struct EnsureOptions {
  CoordMode mode = CoordMode::kDefault;
  CoordAddress addr;                     // from ResolveAddress()
  std::optional<int> interval;           // for a started one; an 'i' command for a joined one
  std::string ckptdir;                   // --ckptdir of a started coordinator (empty: none)
  std::string port_file;                 // if set, the final port is written there
  Millis timeout{10000};                 // connecting, and waiting for a started one
  std::string coordinator_path;          // empty: <bindir>/dmtcp_coordinator
  std::string program = "dmtcp_launch";  // our name in messages
};

struct CoordinatorInfo {
  CoordAddress addr;   // final host and port
  std::string secret;  // empty for kNone
  bool started = false;
};

// Joins or starts a coordinator according to opts.mode. A port of 0 means
// "start a new one on a free port" (kJoin then is an error). Throws
// ClientError with a one-line message fit for the user.
CoordinatorInfo EnsureCoordinator(const EnsureOptions& opts);

// Starts `<bindir>/dmtcp_coordinator --daemon --exit-on-last` on opts.addr.port
// (0 = free port) and waits for it to be ready. Throws ClientError(kStart).
CoordinatorInfo StartCoordinator(const EnsureOptions& opts);

// Writes "<port>\n" to path atomically (tmp + rename). Throws ClientError.
void WritePortFile(const std::string& path, int port);

}  // namespace dmtcp::client
