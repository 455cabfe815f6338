// Allocation-free file and socket I/O used by every part (the runtime calls
// these while the program's threads are frozen).
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

#include "protocol.h"

namespace dmtcp::io {

// Full read/write with EINTR and short-transfer handling. Return false on
// error or (for ReadAll) end of file before n bytes.
bool WriteAll(int fd, const void* buf, size_t n);
// Writes every byte of iov[0..n) (which it may change), retrying short writes.
bool WritevAll(int fd, iovec* iov, int n);
bool ReadAll(int fd, void* buf, size_t n);
bool PreadAll(int fd, void* buf, size_t n, off_t off);
bool PwriteAll(int fd, const void* buf, size_t n, off_t off);

bool SendFrame(int fd, proto::MsgType type, const void* payload, uint32_t len);
// Receives one frame. The payload is copied into buf (cap bytes); a shorter
// payload is zero-padded up to cap so fixed structs can be read directly.
// Returns false on EOF, error, bad header or a payload larger than cap.
bool RecvFrame(int fd, proto::MsgType* type, void* buf, size_t cap, uint32_t* len = nullptr);

// Where the coordinator on `port` keeps its secret for this user on this
// host: $DMTCP_TMPDIR or $TMPDIR or /tmp, then /dmtcp-<uid>/coord-<port>.secret.
// Returns false if it does not fit.
bool DefaultSecretPath(int port, char* out, size_t cap);
// The directory holding it (created 0700 by the coordinator).
bool UserTmpDir(char* out, size_t cap);

// The client's half of the handshake on a connected socket: receives the
// coordinator's challenge, sends `hello` signed with the secret, receives the
// reply and checks the coordinator's proof. Blocking (the caller bounds it
// with SO_RCVTIMEO). kRefused: reply->message says why.
enum class Handshake { kOk, kLost, kRefused, kForged };
Handshake ClientHandshake(int fd, const char* secret, proto::Hello* hello,
                          proto::HelloReply* reply);

// n bytes from the kernel's random generator (getrandom); false if it fails.
bool RandomBytes(void* buf, size_t n);

}  // namespace dmtcp::io
