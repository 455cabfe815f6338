// The coordinator's listening socket.
#pragma once

#include <string>

namespace dmtcp::coord {

// Listens on `port` (0 = a free one) on every address, IPv6 and IPv4 where
// the system allows both. Returns a non-blocking fd and sets *actual_port,
// or returns -1 with *error set.
int ListenTcp(int port, int* actual_port, std::string* error);

}  // namespace dmtcp::coord
