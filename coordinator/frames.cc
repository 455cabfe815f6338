#include "frames.h"

#include <cstring>

namespace dmtcp::coord {

using proto::MsgType;

uint32_t MaxPayload(MsgType type) {
  switch (type) {
    case MsgType::kHello:
      return sizeof(proto::Hello);
    case MsgType::kBarrier:
      return sizeof(proto::Barrier);
    case MsgType::kCheckpointDone:
      return sizeof(proto::CheckpointDone);
    case MsgType::kCommand:
      return sizeof(proto::Command);
    case MsgType::kKvPut:
    case MsgType::kKvGet:
      return sizeof(proto::KeyValue);
    case MsgType::kChildren:
      return sizeof(proto::Children);
    case MsgType::kProgramBarrier:
      return sizeof(proto::ProgramBarrier);
    case MsgType::kWriteProgress:
      return sizeof(proto::WriteProgress);
    default:
      return 0;  // not something a client sends
  }
}

Frame ParseFrame(const char* data, size_t avail, bool authed) {
  Frame f;
  proto::FrameHeader h;
  if (avail < sizeof h) return f;
  memcpy(&h, data, sizeof h);  // the buffer need not be aligned
  f.type = static_cast<MsgType>(h.type);
  f.version = h.version;
  f.length = h.length;
  if (h.magic != proto::kMagic) {
    f.status = FrameStatus::kBadMagic;
    return f;
  }
  if (h.version != proto::kVersion) {
    f.status = FrameStatus::kBadVersion;
    return f;
  }
  // Refused before the payload arrives, so a client cannot make us buffer
  // more than this.
  const uint32_t limit = authed ? proto::kMaxPayload : MaxPayload(MsgType::kHello);
  if (h.length > limit) {
    f.status = FrameStatus::kTooLarge;
    return f;
  }
  if (avail - sizeof h < h.length) return f;  // kNeedMore
  f.payload = data + sizeof h;
  f.size = sizeof h + h.length;
  const uint32_t max = MaxPayload(f.type);
  const bool hello = f.type == MsgType::kHello;
  f.status = max == 0 || h.length > max || authed == hello ? FrameStatus::kUnexpected
                                                           : FrameStatus::kFrame;
  return f;
}

bool CopyPayload(MsgType type, const char* payload, uint32_t len, Message* msg) {
  const uint32_t max = MaxPayload(type);
  if (max == 0 || len > max || max > sizeof *msg) return false;
  memset(msg, 0, max);
  if (len) memcpy(msg, payload, len);
  return true;
}

}  // namespace dmtcp::coord
