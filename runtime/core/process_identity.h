// Who a process is, as the kernel knows it (proto::ProcessIdentity), read
// from /proc without allocating: workers send their own in Hello, and the
// coordinator uses it to kill a process whose checkpoint thread cannot
// read a kill message.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "protocol.h"

namespace dmtcp::ident {

// Splits the text of /proc/<pid>/stat into its numeric fields:
// fields[k] is field k as the proc(5) manual numbers them (1 = pid; the
// command name, field 2, is skipped and left 0). Returns the number of the
// last field parsed, 0 if the text is not a stat line.
int ParseProcStat(const char* text, uint64_t* fields, int cap);

// The identity of process pid as this process's /proc shows it; pid 0 is
// this process. False if the process is gone or /proc cannot be read.
bool Read(pid_t pid, proto::ProcessIdentity* out);

// Whether `who` can be addressed by its pid from here: the same machine and
// boot, the same pid namespace, and the process at that pid started when
// `who` did (not a later process given a reused pid).
bool Addressable(const proto::ProcessIdentity& who);

}  // namespace dmtcp::ident
