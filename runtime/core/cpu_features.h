// The instruction-set extensions of the processor an image was written on.
// A program picks its code paths when it starts (glibc's string functions,
// math libraries, JIT compilers): restarted on a processor without one of
// them, it would stop with SIGILL hours later. The image records the
// kernel's list (/proc/cpuinfo), and a restart compares it with the node's.
// No allocation: the runtime uses these while the program is stopped.
#pragma once

#include <stddef.h>

namespace dmtcp::image {

// From the text of /proc/cpuinfo: the first processor's model name and
// flags ("flags" on x86, "Features" on ARM), each NUL-terminated and cut to
// its buffer. False if there is no flags line.
bool ParseCpuinfo(const char* text, size_t len, char* model, size_t model_cap, char* flags,
                  size_t flags_cap);

// The flags of `before` (space-separated) that `now` lacks and a program
// may use (instructions, not the kernel's or the hypervisor's notes), into
// missing (space-separated, NUL-terminated, cut to its buffer). Returns how
// many there are.
int MissingCpuFlags(const char* before, const char* now, char* missing, size_t missing_cap);

}  // namespace dmtcp::image
