// Empty datagrams hidden from a checkpoint's peek. Linux returns an empty
// datagram to offset peeks (SO_PEEK_OFF) once, then marks it peeked and
// skips it: one still queued at the next checkpoint is invisible to that
// checkpoint's peeks. So the datagrams each socket held at the last
// checkpoint are remembered (length and hash), and those of them still
// queued, the empty ones included, are found again among the visible ones.
#pragma once

#include <cstdint>

namespace dmtcp::rt {

// Before a checkpoint records descriptors: what the last one saw becomes
// the reference.
void BeginPeekedDatagrams();

// The datagrams just peeked from the socket `inode` (connected to the
// socket `peer`) on descriptor fd, as records (32-bit length, bytes) at
// recs[0, len). Sets *before to the
// positions (the count of visible datagrams ahead of each) of the empty
// datagrams hidden from the peek, in order, and returns their count; -1
// with *why set when they cannot be placed (the checkpoint must refuse).
// The socket's peek offset is changed: the caller puts it back.
long PlaceHiddenEmptyDatagrams(int fd, uint64_t inode, uint64_t peer, const char* recs,
                               uint64_t len, const uint64_t** before, const char** why);

// At restart: the datagrams were sent again, none is marked peeked.
void ForgetPeekedDatagrams();

}  // namespace dmtcp::rt
