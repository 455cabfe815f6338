#include "protocol.h"

#include <cstring>

namespace dmtcp::proto {

size_t EncodeFrame(MsgType type, const void* payload, uint32_t len, void* out) {
  FrameHeader h{kMagic, kVersion, static_cast<uint16_t>(type), len, 0};
  memcpy(out, &h, sizeof h);
  if (len) memcpy(static_cast<char*>(out) + sizeof h, payload, len);
  return sizeof h + len;
}

bool ValidHeader(const FrameHeader& h) {
  return h.magic == kMagic && h.version == kVersion && h.length <= kMaxPayload;
}

void CopyField(char* dst, size_t cap, const char* src) {
  if (cap == 0) return;
  size_t n = src ? strnlen(src, cap - 1) : 0;
  if (n) memcpy(dst, src, n);  // memcpy from a null source is undefined, even for 0 bytes
  dst[n] = '\0';
}

}  // namespace dmtcp::proto
