#include "image_format.h"

#include <libdeflate.h>

#include <cstring>

namespace dmtcp::image {

bool NodeLocalPath(const char* path, size_t len) {
  static const char* const kDirs[] = {"/dev/shm/", "/tmp/", "/var/tmp/"};
  for (const char* dir : kDirs) {
    size_t i = 0;
    while (dir[i] && i < len && path[i] == dir[i]) ++i;
    if (!dir[i]) return true;
  }
  return false;
}

uint32_t Crc32(uint32_t crc, const void* data, size_t len) {
  // libdeflate answers a null buffer with the initial value, not crc.
  return len == 0 ? crc : libdeflate_crc32(crc, data, len);
}

void SealHeader(FileHeader* h) {
  h->header_crc = 0;
  h->header_crc = Crc32(0, h, sizeof *h);
}

bool HeaderValid(const FileHeader& h) {
  FileHeader copy = h;
  copy.header_crc = 0;
  return memcmp(h.magic, kMagic, sizeof kMagic) == 0 && h.version >= kOldestVersion &&
         h.version <= kVersion && h.header_size == sizeof(FileHeader) && h.page_size == kPageSize &&
         Crc32(0, &copy, sizeof copy) == h.header_crc;
}

void SealRecordHeader(RecordHeader* h) {
  h->header_crc = Crc32(0, h, offsetof(RecordHeader, header_crc));
}

bool RecordHeaderValid(const RecordHeader& h) {
  return Crc32(0, &h, offsetof(RecordHeader, header_crc)) == h.header_crc;
}

}  // namespace dmtcp::image
