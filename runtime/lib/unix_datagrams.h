// Unix datagram sockets that several processes share (see unix_datagrams.cc).
#pragma once

#include <cstdint>

namespace dmtcp::rt {

// Before a barrier that all processes pass: claim our connected Unix
// datagram and seqpacket sockets that have datagrams queued.
void ClaimQueuedDatagrams();
// After it: which of them this process records.
void FindDatagramOwners();
// Whether another process records the datagrams queued in this socket.
bool DatagramsRecordedElsewhere(uint64_t inode);

}  // namespace dmtcp::rt
