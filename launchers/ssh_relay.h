// What dmtcp_ssh and dmtcp_sshd say to each other over their own TCP
// connection (a connection of the computation, so it comes back at restart
// like any other): the remote command's stdin, stdout and stderr, and its
// end, as frames of a type byte, a 32-bit length and the bytes.
#pragma once

#include <cstdint>
#include <string>

namespace dmtcp::ssh {

enum class Frame : uint8_t {
  kStdin = 1,
  kStdinEnd = 2,
  kStdout = 3,
  kStderr = 4,
  kExit = 5,  // payload: the exit code as ssh reports it (128+signal if killed)
  // Between a PMIx step's node servers and their hub (pmix_hub.h).
  kPmixHello = 16,
  kPmixMap = 17,
  kPmixFence = 18,
  kPmixFenceDone = 19,
  kPmixAbort = 20,
};

// Writes everything, retrying after signals. False if the peer is gone.
bool WriteAll(int fd, const void* data, size_t len);
bool SendFrame(int fd, Frame type, const void* data, uint32_t len);
// Reads exactly len bytes (waiting at most 10 s). False on end of stream or timeout.
bool ReadAll(int fd, void* data, size_t len);

// Collects bytes read from the connection and hands out whole frames.
class FrameReader {
 public:
  // Reads what is there; false at end of stream or on an error.
  bool Fill(int fd);
  // The next whole frame, if one has arrived.
  bool Next(Frame* type, std::string* payload);

 private:
  std::string buf_;
};

// Single-quoted for a POSIX shell.
std::string ShellQuote(const std::string& s);

}  // namespace dmtcp::ssh
