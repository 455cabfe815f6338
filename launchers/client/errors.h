// Errors shared by every command: one exception type for coordinator
// trouble and the DMTCP_FAIL_RC exit convention.
#pragma once

#include <stdexcept>
#include <string>

namespace dmtcp::client {

class ClientError : public std::runtime_error {
 public:
  enum class Kind {
    kUsage,        // bad option or environment value
    kUnreachable,  // nothing listens there, or the host does not resolve
    kRejected,     // the coordinator refused our Hello (secret, version, busy)
    kTimeout,      // no answer in time
    kProtocol,     // the peer closed or sent something we do not understand
    kStart,        // starting a coordinator failed
  };
  ClientError(Kind kind, const std::string& what, int hello_status = 0)
      : std::runtime_error(what), kind_(kind), hello_status_(hello_status) {}
  Kind kind() const { return kind_; }
  // For kRejected: the proto::HelloStatus the coordinator answered.
  int hello_status() const { return hello_status_; }

 private:
  Kind kind_;
  int hello_status_;
};

// Exit code of every failing command: $DMTCP_FAIL_RC if it is a valid exit
// code (1..255), else 99 (DMTCP's default).
int FailRc();

// Prints "<command>: <message>" on stderr and exits with FailRc().
[[noreturn]] void Fail(const std::string& command, const std::string& message);

}  // namespace dmtcp::client
