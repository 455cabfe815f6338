// An authenticated connection to a coordinator, as a command client.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "address.h"
#include "protocol.h"

namespace dmtcp::client {

using Millis = std::chrono::milliseconds;

// Opens a TCP connection to addr (names or numeric IPv4/IPv6, via
// getaddrinfo), trying each address until one answers within `timeout`
// overall. Returns a blocking, close-on-exec fd. Throws
// ClientError(kUnreachable).
int ConnectTcp(const CoordAddress& addr, Millis timeout);

struct ConnectOptions {
  Millis timeout{10000};                  // connect plus Hello round trip
  std::string program = "dmtcp_command";  // our name in the coordinator's log
};

class Connection {
 public:
  // Connects, sends Hello{role=kCommand, secret} and checks the reply.
  // Throws ClientError: kUnreachable, kRejected (with the coordinator's
  // message), kTimeout or kProtocol.
  Connection(const CoordAddress& addr, const std::string& secret, const ConnectOptions& opts = {});
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const proto::HelloReply& hello_reply() const { return hello_; }
  const CoordAddress& address() const { return addr_; }
  int fd() const { return fd_; }

  // Sends a command and waits for its reply (forever without a timeout).
  // Throws ClientError(kTimeout) or ClientError(kProtocol).
  proto::CommandReply Send(const proto::Command& cmd, std::optional<Millis> timeout = std::nullopt);
  proto::CommandReply Send(char command, int32_t arg = 0,
                           std::optional<Millis> timeout = std::nullopt);

  // The coordinator's key-value store (shared by the whole computation).
  void KvPut(const std::string& key, const std::string& value);
  std::optional<std::string> KvGet(const std::string& key);

 private:
  std::optional<std::string> Kv(bool put, const std::string& key, const std::string& value);

  int fd_ = -1;
  CoordAddress addr_;
  proto::HelloReply hello_{};
};

}  // namespace dmtcp::client
