// The PAGEMAP_SCAN ioctl of /proc/<pid>/pagemap (linux/fs.h of Linux 6.7;
// Debian 12's headers are older).
#pragma once

#include <stdint.h>

namespace dmtcp::rt::pm_scan {

constexpr unsigned long kIoctl = 0xc0606610;  // _IOWR('f', 16, Arg)
// Flags.
constexpr uint64_t kWpMatching = 1 << 0;    // write-protect the pages reported
constexpr uint64_t kCheckWpAsync = 1 << 1;  // fail unless the area is registered so
// Page categories.
constexpr uint64_t kWritten = 1 << 1;  // written since it was last write-protected
constexpr uint64_t kFile = 1 << 2, kPresent = 1 << 3, kSwapped = 1 << 4, kPfnZero = 1 << 5;

struct Region {
  uint64_t start, end, categories;
};
struct Arg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
  uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
static_assert(sizeof(Arg) == 96);

}  // namespace dmtcp::rt::pm_scan
