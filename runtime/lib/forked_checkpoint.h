// Forked checkpoints (DMTCP_FORKED_CHECKPOINT=1): a copy-on-write child holds
// the process's memory as it was and writes the image, while the program
// runs again at once.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dmtcp::rt {

// Whether this process's memory can be written by a forked child; maps is the
// text of /proc/self/maps.
bool ForkAllowed(const char* maps);
// In a child the program forked: the result page is shared with the
// parent, whose image path the child's checkpoints would overwrite (both
// then reported the same image, and the parent's was lost). Its own comes
// with its first forked checkpoint.
void ForgetForkedResult();
// Forks the writer: its pid, 0 in the child, <0 if it failed.
long ForkWriter();
// In the child: the bytes written so far, for the parent to report.
void NoteForkedWriteProgress(uint64_t bytes);
// In the child: hands the result to the parent and exits.
[[noreturn]] void ExitWriter(bool ok, const char* path, const char* err, uint64_t bytes);
// In the parent: waits for the writer; its result as WriteImage gives it.
bool FinishForkedWrite(char* path, size_t cap, uint64_t* bytes, char* err, size_t errcap);

}  // namespace dmtcp::rt
