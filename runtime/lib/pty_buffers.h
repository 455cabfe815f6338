// The output waiting in pseudo-terminals whose master the computation holds
// (pty_buffers.cc). Called by the pipes plugin at its events.
#pragma once

namespace dmtcp::rt {

// Before the election barrier: this process claims the masters it holds.
void ClaimPtyMasters();
// After it: saves the output waiting in the masters this process won.
void SavePtyOutput();
// After a restart, before anyone runs on: puts that output into the new ptys.
void RestorePtyOutput();
// After the checkpoint or the restart: frees what held it.
void ReleasePtyOutput();

}  // namespace dmtcp::rt
