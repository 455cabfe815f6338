#include "io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

namespace dmtcp::io {

bool PwriteAll(int fd, const void* buf, size_t n, off_t off) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = pwrite(fd, p, n, off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    off += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool WriteAll(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool WritevAll(int fd, iovec* iov, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    size_t done = static_cast<size_t>(w);
    while (n > 0 && done >= iov->iov_len) {
      done -= iov->iov_len;
      ++iov;
      --n;
    }
    if (n > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + done;
      iov->iov_len -= done;
    }
  }
  return true;
}

bool ReadAll(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool PreadAll(int fd, void* buf, size_t n, off_t off) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = pread(fd, p, n, off);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) return false;
    p += r;
    off += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool SendFrame(int fd, proto::MsgType type, const void* payload, uint32_t len) {
  proto::FrameHeader h{proto::kMagic, proto::kVersion, static_cast<uint16_t>(type), len, 0};
  // One write: a payload sent apart from its header waits for the header's
  // acknowledgement on a connection with Nagle's algorithm on (40 ms).
  iovec iov[2] = {{&h, sizeof h}, {const_cast<void*>(payload), len}};
  return WritevAll(fd, iov, len ? 2 : 1);
}

bool RecvFrame(int fd, proto::MsgType* type, void* buf, size_t cap, uint32_t* len) {
  proto::FrameHeader h;
  if (!ReadAll(fd, &h, sizeof h)) return false;
  if (!proto::ValidHeader(h) || h.length > cap) return false;
  if (h.length && !ReadAll(fd, buf, h.length)) return false;
  if (h.length < cap) memset(static_cast<char*>(buf) + h.length, 0, cap - h.length);
  *type = static_cast<proto::MsgType>(h.type);
  if (len) *len = h.length;
  return true;
}

bool UserTmpDir(char* out, size_t cap) {
  const char* base = getenv("DMTCP_TMPDIR");
  if (!base || !*base) base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  int n = snprintf(out, cap, "%s/dmtcp-%u", base, static_cast<unsigned>(getuid()));
  return n > 0 && static_cast<size_t>(n) < cap;
}

bool DefaultSecretPath(int port, char* out, size_t cap) {
  char dir[3072];
  if (!UserTmpDir(dir, sizeof dir)) return false;
  int n = snprintf(out, cap, "%s/coord-%d.secret", dir, port);
  return n > 0 && static_cast<size_t>(n) < cap;
}

bool RandomBytes(void* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    long r = syscall(SYS_getrandom, static_cast<char*>(buf) + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

Handshake ClientHandshake(int fd, const char* secret, proto::Hello* hello,
                          proto::HelloReply* reply) {
  proto::Challenge challenge;
  proto::MsgType type;
  if (!RecvFrame(fd, &type, &challenge, sizeof challenge) || type != proto::MsgType::kChallenge ||
      !proto::SignHello(hello, secret, challenge) ||
      !SendFrame(fd, proto::MsgType::kHello, hello, sizeof *hello) ||
      !RecvFrame(fd, &type, reply, sizeof *reply) || type != proto::MsgType::kHelloReply) {
    return Handshake::kLost;
  }
  reply->message[sizeof reply->message - 1] = 0;
  if (reply->status != static_cast<int32_t>(proto::HelloStatus::kOk)) return Handshake::kRefused;
  if (!proto::ReplyIsGenuine(*reply, secret, challenge, *hello)) return Handshake::kForged;
  return Handshake::kOk;
}

}  // namespace dmtcp::io
