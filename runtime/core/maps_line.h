// One line of /proc/self/maps, parsed in place (no allocation: the
// checkpoint thread reads them).
#pragma once

#include <cstdint>

namespace dmtcp {

struct MapsLine {
  uint64_t start, end, offset, inode;
  uint32_t dev_major, dev_minor;
  char perms[5];
  const char* name;
  uint32_t name_len;
};

inline uint64_t ParseHex(const char*& p) {
  uint64_t v = 0;
  for (;; ++p) {
    char c = *p;
    if (c >= '0' && c <= '9')
      v = v * 16 + static_cast<uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      v = v * 16 + static_cast<uint64_t>(c - 'a' + 10);
    else
      return v;
  }
}

inline uint64_t ParseDec(const char*& p) {
  uint64_t v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
  return v;
}

inline bool ParseLine(const char*& p, MapsLine* m) {
  if (!*p) return false;
  m->start = ParseHex(p);
  ++p;
  m->end = ParseHex(p);
  ++p;
  for (int i = 0; i < 4; ++i) m->perms[i] = *p++;
  m->perms[4] = 0;
  ++p;
  m->offset = ParseHex(p);
  ++p;
  m->dev_major = static_cast<uint32_t>(ParseHex(p));
  ++p;
  m->dev_minor = static_cast<uint32_t>(ParseHex(p));
  ++p;
  m->inode = ParseDec(p);
  while (*p == ' ') ++p;
  m->name = p;
  while (*p && *p != '\n') ++p;
  m->name_len = static_cast<uint32_t>(p - m->name);
  if (*p == '\n') ++p;
  return true;
}

}  // namespace dmtcp
