// What the program told the kernel about its memory with madvise (huge
// pages or not, not inherited by a child, wiped in a child, left out of core
// dumps) is part of its state: read from /proc/self/smaps (VmFlags) at each
// checkpoint, saved with each area, and given again by the restart loader.
#pragma once

#include <stdint.h>

namespace dmtcp::rt {

// Reads the advice of every area; false if /proc/self/smaps cannot be read
// or more areas carry advice than are kept (the checkpoint fails then).
bool ReadMemoryAdvice();
// image::kAdvise* bits of the area that starts at `start`.
uint32_t AdviceAt(uint64_t start);
// Whether some area but the one at `except_start` has one of `bits`.
bool AnyAreaAdvised(uint32_t bits, uint64_t except_start = 0);

}  // namespace dmtcp::rt
