#include "ssh_relay.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace dmtcp::ssh {

bool WriteAll(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len) {
    ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = write(fd, p, len);
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (w <= 0) return false;
    p += w;
    len -= static_cast<size_t>(w);
  }
  return true;
}

bool SendFrame(int fd, Frame type, const void* data, uint32_t len) {
  char header[5];
  header[0] = static_cast<char>(type);
  memcpy(header + 1, &len, sizeof len);
  return WriteAll(fd, header, sizeof header) && WriteAll(fd, data, len);
}

bool ReadAll(int fd, void* data, size_t len) {
  char* p = static_cast<char*>(data);
  while (len) {
    pollfd q{fd, POLLIN, 0};
    if (poll(&q, 1, 10000) <= 0) return false;
    ssize_t r = read(fd, p, len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    len -= static_cast<size_t>(r);
  }
  return true;
}

bool FrameReader::Fill(int fd) {
  char chunk[65536];
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(r));
    return true;
  }
}

bool FrameReader::Next(Frame* type, std::string* payload) {
  if (buf_.size() < 5) return false;
  uint32_t len;
  memcpy(&len, buf_.data() + 1, sizeof len);
  if (buf_.size() < 5 + static_cast<size_t>(len)) return false;
  *type = static_cast<Frame>(buf_[0]);
  payload->assign(buf_, 5, len);
  buf_.erase(0, 5 + static_cast<size_t>(len));
  return true;
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace dmtcp::ssh
