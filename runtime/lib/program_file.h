// Whether a program file will load the runtime when a process execs it: a
// static program has no loader to preload it into, and the loader ignores
// LD_PRELOAD for a program that raises privileges (setuid, setgid or file
// capabilities: AT_SECURE). Such a program runs outside checkpoint control;
// its process must not keep the coordinator connection it would inherit.
#pragma once

namespace dmtcp::rt {

// Whether the ELF file open on fd names a loader (PT_INTERP). False for a
// file that is not an ELF program.
bool ElfUsesLoader(int fd);

// Whether exec'ing `file` (searched in PATH when it has no '/', as execvp
// does) starts a program without the runtime. False where it cannot tell
// (not found, unreadable, a script: its interpreter loads the runtime).
bool RunsWithoutRuntime(const char* file);

}  // namespace dmtcp::rt
