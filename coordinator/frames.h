// Framing of what clients send the coordinator, without any I/O: which
// frames are complete, which are believable, and which message a client may
// send before and after its Hello. The server and the fuzzer share it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol.h"

namespace dmtcp::coord {

// The largest payload each client-to-coordinator message may carry; 0 for
// what no client sends.
uint32_t MaxPayload(proto::MsgType type);

enum class FrameStatus {
  kNeedMore,    // not a whole header, or not the whole payload yet
  kFrame,       // a complete frame this client may send now
  kBadMagic,    // not our protocol
  kBadVersion,  // our protocol, another version (version says which)
  kTooLarge,    // announces more than is believable (length says how much)
  kUnexpected,  // complete, but not a message this client may send now
};

struct Frame {
  FrameStatus status = FrameStatus::kNeedMore;
  proto::MsgType type{};
  uint16_t version = 0;
  uint32_t length = 0;            // payload bytes as announced
  const char* payload = nullptr;  // kFrame, kUnexpected
  size_t size = 0;                // header and payload: what to consume (kFrame, kUnexpected)
};

// Looks at the first frame of data[0, avail). Before Hello (authed false)
// only a Hello is accepted, and only a Hello-sized frame is believable.
Frame ParseFrame(const char* data, size_t avail, bool authed);

// What State reads: an aligned copy of a payload, zero-padded to its
// struct, so that a short frame reads as one with empty trailing fields.
union Message {
  proto::Hello hello;
  proto::Barrier barrier;
  proto::CheckpointDone done;
  proto::Command command;
  proto::KeyValue kv;
  proto::Children children;
};

// Copies the payload of a kFrame frame into *msg. Returns false (and
// copies nothing) for a type or length that ParseFrame refuses.
bool CopyPayload(proto::MsgType type, const char* payload, uint32_t len, Message* msg);

}  // namespace dmtcp::coord
